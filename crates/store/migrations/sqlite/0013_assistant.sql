-- web3audit store, SQLite, version 13. Never edit once released: add a new file.
-- The optional assistant: each tenant's choice among the assistant profiles of its plan
-- and the lowest severity whose findings are sent to it on their own; suggestions (a
-- queue under leases, then the outcome or the error, beside their finding); the cache of
-- outcomes; the tokens each tenant used per UTC day.
ALTER TABLE tenant_policies ADD COLUMN assistant_profile TEXT;
ALTER TABLE tenant_policies ADD COLUMN assistant_auto_severity TEXT;
CREATE TABLE suggestions (
    id               TEXT PRIMARY KEY,
    tenant_id        TEXT NOT NULL REFERENCES tenants(id),
    audit_id         TEXT NOT NULL,
    finding_id       TEXT NOT NULL,
    fingerprint      TEXT NOT NULL,
    profile          TEXT NOT NULL,
    status           TEXT NOT NULL,
    requested_by     TEXT NOT NULL,
    attempts         INTEGER NOT NULL,
    lease_owner      TEXT,
    lease_expires_at INTEGER,
    outcome          TEXT,
    error            TEXT,
    created_at       INTEGER NOT NULL,
    finished_at      INTEGER
);
CREATE INDEX suggestions_finding ON suggestions (tenant_id, finding_id, created_at);
CREATE INDEX suggestions_audit ON suggestions (tenant_id, audit_id);
CREATE INDEX suggestions_queue ON suggestions (status, created_at);
-- At most one suggestion waits or runs per finding.
CREATE UNIQUE INDEX suggestions_one_pending ON suggestions (finding_id)
    WHERE status IN ('queued', 'running');
CREATE TABLE assistant_cache (
    cache_key  TEXT PRIMARY KEY,
    tenant_id  TEXT NOT NULL,
    outcome    TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE TABLE assistant_usage (
    tenant_id TEXT NOT NULL,
    day       TEXT NOT NULL,
    used      INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, day)
);
