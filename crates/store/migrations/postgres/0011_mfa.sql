-- web3audit store, PostgreSQL, version 11. Never edit once released: add a new file.
-- Multi-factor sign-in for local accounts: a user's TOTP secret (encrypted with a key
-- derived from the service's secret key; pending until a first code confirms it), the last
-- time step a code was accepted for (a code is never accepted twice), single-use recovery
-- codes (hashed), and the tenants whose users must use a second factor.
CREATE TABLE user_mfa (
    user_id    TEXT PRIMARY KEY REFERENCES users(id),
    secret     TEXT NOT NULL,
    enabled_at BIGINT,
    last_step  BIGINT,
    created_at BIGINT NOT NULL
);
CREATE TABLE recovery_codes (
    user_id   TEXT NOT NULL REFERENCES users(id),
    code_hash TEXT NOT NULL,
    used_at   BIGINT,
    PRIMARY KEY (user_id, code_hash)
);
CREATE TABLE tenant_policies (
    tenant_id    TEXT PRIMARY KEY REFERENCES tenants(id),
    mfa_required BOOLEAN NOT NULL,
    updated_at   BIGINT NOT NULL
);
