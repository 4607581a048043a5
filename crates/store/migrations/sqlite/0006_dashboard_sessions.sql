-- web3audit store, SQLite, version 6. Never edit once released: add a new file.
-- The web dashboard: server-side sessions, of which only a SHA-256 of the token is
-- stored, and the project an audit belongs to ("new since the previous audit").
CREATE TABLE dashboard_sessions (
    token_hash TEXT PRIMARY KEY,
    tenant_id  TEXT NOT NULL REFERENCES tenants(id),
    user_id    TEXT NOT NULL REFERENCES users(id),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    revoked_at INTEGER
);
CREATE INDEX dashboard_sessions_expires ON dashboard_sessions(expires_at);

-- The project named at submission, or derived from the submitted file names.
ALTER TABLE audits ADD COLUMN project TEXT;
CREATE INDEX audits_tenant_project ON audits(tenant_id, project, id);

-- The security page counts trail entries of a tenant over a time window (covering).
CREATE INDEX audit_log_tenant_ts ON audit_log(tenant_id, ts, action, outcome);
