-- web3audit store, PostgreSQL, version 15. Never edit once released: add a new file.
-- OpenID Connect sign-in: the sign-ins under way (one row per authorization request,
-- spent once by its callback; ephemeral, never backed up), and which account each
-- identity of a provider signs in as (created on its first sign-in).
CREATE TABLE sso_logins (
    state_hash    TEXT PRIMARY KEY,
    provider      TEXT NOT NULL,
    browser_hash  TEXT NOT NULL,
    nonce         TEXT NOT NULL,
    pkce_verifier TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL,
    used_at       BIGINT
);
CREATE INDEX sso_logins_expiry ON sso_logins(expires_at);
CREATE TABLE sso_identities (
    provider          TEXT NOT NULL,
    subject           TEXT NOT NULL,
    tenant_id         TEXT NOT NULL REFERENCES tenants(id),
    user_id           TEXT NOT NULL REFERENCES users(id),
    created_at        BIGINT NOT NULL,
    last_sign_in_at   BIGINT NOT NULL,
    PRIMARY KEY (provider, subject)
);
CREATE INDEX sso_identities_user ON sso_identities(user_id);
