-- web3audit store, SQLite, version 14. Never edit once released: add a new file.
-- Tenants' own roles (named sets of permissions; the built-in roles are data in the
-- service), and scopes of API keys (a JSON array of permissions; NULL: the role's).
CREATE TABLE tenant_roles (
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    name        TEXT NOT NULL,
    permissions TEXT NOT NULL,
    description TEXT,
    created_by  TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, name)
);
ALTER TABLE api_keys ADD COLUMN scopes TEXT;
