-- web3audit store, PostgreSQL, version 1. Never edit once released: add a new file.
CREATE TABLE tenants (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    plan        TEXT NOT NULL,
    is_operator BOOLEAN NOT NULL DEFAULT FALSE,
    created_at  BIGINT NOT NULL
);

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    tenant_id     TEXT NOT NULL REFERENCES tenants(id),
    email         TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL,
    disabled      BOOLEAN NOT NULL DEFAULT FALSE,
    created_at    BIGINT NOT NULL
);
CREATE INDEX users_tenant ON users(tenant_id);

CREATE TABLE api_keys (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    user_id     TEXT REFERENCES users(id),
    name        TEXT NOT NULL,
    role        TEXT NOT NULL,
    prefix      TEXT NOT NULL UNIQUE,
    secret_hash TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    revoked_at  BIGINT
);
CREATE INDEX api_keys_tenant ON api_keys(tenant_id);

CREATE TABLE source_blobs (
    hash    TEXT PRIMARY KEY,
    content TEXT NOT NULL
);

CREATE TABLE analysis_cache (
    cache_key        TEXT PRIMARY KEY,
    analyzer_version TEXT NOT NULL,
    findings_json    TEXT NOT NULL,
    reports_json     TEXT NOT NULL,
    created_at       BIGINT NOT NULL
);

CREATE TABLE audits (
    id               TEXT PRIMARY KEY,
    tenant_id        TEXT NOT NULL REFERENCES tenants(id),
    status           TEXT NOT NULL,
    sources_hash     TEXT NOT NULL REFERENCES source_blobs(hash),
    cache_key        TEXT NOT NULL,
    options_json     TEXT NOT NULL,
    timeout_secs     BIGINT NOT NULL,
    source_bytes     BIGINT NOT NULL,
    file_count       BIGINT NOT NULL,
    idempotency_key  TEXT,
    request_hash     TEXT NOT NULL,
    created_by       TEXT NOT NULL,
    created_at       BIGINT NOT NULL,
    started_at       BIGINT,
    finished_at      BIGINT,
    error            TEXT,
    attempts         BIGINT NOT NULL DEFAULT 0,
    lease_owner      TEXT,
    lease_expires_at BIGINT,
    from_cache       BOOLEAN NOT NULL DEFAULT FALSE,
    counts_json      TEXT
);
CREATE INDEX audits_tenant_id ON audits(tenant_id, id);
CREATE INDEX audits_queue ON audits(status, id);
CREATE INDEX audits_tenant_created ON audits(tenant_id, created_at);
CREATE UNIQUE INDEX audits_idempotency ON audits(tenant_id, idempotency_key) WHERE idempotency_key IS NOT NULL;

CREATE TABLE findings (
    id           TEXT PRIMARY KEY,
    audit_id     TEXT NOT NULL REFERENCES audits(id),
    tenant_id    TEXT NOT NULL REFERENCES tenants(id),
    ordinal      BIGINT NOT NULL,
    detector     TEXT NOT NULL,
    title        TEXT NOT NULL,
    severity     TEXT NOT NULL,
    confidence   TEXT NOT NULL,
    file         TEXT NOT NULL,
    start_line   BIGINT NOT NULL,
    end_line     BIGINT NOT NULL,
    message      TEXT NOT NULL,
    fingerprint  TEXT NOT NULL,
    category     TEXT,
    swc          TEXT,
    triage_state TEXT NOT NULL,
    UNIQUE (audit_id, ordinal)
);
CREATE INDEX findings_audit ON findings(audit_id, ordinal);
CREATE INDEX findings_tenant_fingerprint ON findings(tenant_id, fingerprint);

CREATE TABLE triage_states (
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    fingerprint TEXT NOT NULL,
    state       TEXT NOT NULL,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, fingerprint)
);

CREATE TABLE triage_events (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    finding_id  TEXT NOT NULL REFERENCES findings(id),
    fingerprint TEXT NOT NULL,
    from_state  TEXT NOT NULL,
    to_state    TEXT NOT NULL,
    comment     TEXT,
    actor       TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX triage_events_fingerprint ON triage_events(tenant_id, fingerprint, created_at);

CREATE TABLE audit_log (
    seq        BIGINT PRIMARY KEY,
    ts         BIGINT NOT NULL,
    tenant_id  TEXT,
    actor      TEXT NOT NULL,
    action     TEXT NOT NULL,
    target     TEXT,
    outcome    TEXT NOT NULL,
    detail     TEXT NOT NULL,
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL,
    mac        TEXT NOT NULL
);
CREATE INDEX audit_log_tenant ON audit_log(tenant_id, seq);

-- The chain head, so that removing the newest entries is detected too.
CREATE TABLE audit_log_head (
    id   BIGINT PRIMARY KEY CHECK (id = 1),
    seq  BIGINT NOT NULL,
    hash TEXT NOT NULL,
    mac  TEXT NOT NULL
);

-- Token buckets of the rate limits, shared by every node; an idle bucket is deleted (a
-- missing bucket is a full one).
CREATE TABLE rate_limit_buckets (
    key        TEXT PRIMARY KEY,
    tokens     DOUBLE PRECISION NOT NULL,
    -- whether the last request took a token
    taken      BOOLEAN NOT NULL,
    updated_at BIGINT NOT NULL
);
