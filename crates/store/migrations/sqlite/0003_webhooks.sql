-- web3audit store, SQLite, version 3. Never edit once released: add a new file.
-- Per-tenant webhooks, and their deliveries: the delivery log and the delivery queue at
-- once (a pending delivery is taken under a lease, like an audit).
CREATE TABLE webhooks (
    id                   TEXT PRIMARY KEY,
    tenant_id            TEXT NOT NULL REFERENCES tenants(id),
    url                  TEXT NOT NULL,
    -- HMAC-SHA256 key of the signatures; shown once at creation, never returned again
    secret               TEXT NOT NULL,
    -- JSON array of event names
    events_json          TEXT NOT NULL,
    description          TEXT NOT NULL DEFAULT '',
    enabled              INTEGER NOT NULL DEFAULT 1,
    disabled_reason      TEXT,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    created_by           TEXT NOT NULL,
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL
);
CREATE INDEX webhooks_tenant ON webhooks(tenant_id, id);

CREATE TABLE webhook_deliveries (
    id               TEXT PRIMARY KEY,
    webhook_id       TEXT NOT NULL REFERENCES webhooks(id),
    tenant_id        TEXT NOT NULL REFERENCES tenants(id),
    event            TEXT NOT NULL,
    -- the exact body sent (every attempt sends the same bytes)
    payload          TEXT NOT NULL,
    -- pending, succeeded, failed, refused
    status           TEXT NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  INTEGER,
    last_status_code INTEGER,
    last_error       TEXT,
    last_attempt_at  INTEGER,
    duration_ms      INTEGER,
    created_at       INTEGER NOT NULL,
    finished_at      INTEGER,
    lease_owner      TEXT,
    lease_expires_at INTEGER
);
CREATE INDEX webhook_deliveries_log ON webhook_deliveries(tenant_id, webhook_id, id);
CREATE INDEX webhook_deliveries_queue ON webhook_deliveries(status, next_attempt_at);
CREATE INDEX webhook_deliveries_finished ON webhook_deliveries(finished_at);
