-- web3audit store, SQLite, version 9. Never edit once released: add a new file.
-- On-chain monitoring: monitors defined through the API, where each monitor stands on
-- each chain, the events its rules fired, and the incidents those events open or join.
CREATE TABLE monitors (
    id         TEXT PRIMARY KEY,
    tenant_id  TEXT NOT NULL REFERENCES tenants(id),
    name       TEXT NOT NULL,
    -- the monitor-file text (TOML, one [[monitors]])
    config     TEXT NOT NULL,
    enabled    INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (tenant_id, name)
);
CREATE INDEX monitors_enabled ON monitors (enabled, tenant_id, name);

-- monitor_key: the id of a stored monitor, or file:NAME for one from a monitor file
CREATE TABLE monitor_checkpoints (
    monitor_key TEXT NOT NULL,
    chain_id    INTEGER NOT NULL,
    next_block  INTEGER NOT NULL,
    last_hash   TEXT,
    -- JSON: the rules' rolling windows, opaque to the store
    state       TEXT NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (monitor_key, chain_id)
);

CREATE TABLE incidents (
    id              TEXT PRIMARY KEY,
    tenant_id       TEXT NOT NULL REFERENCES tenants(id),
    title           TEXT NOT NULL,
    priority        TEXT NOT NULL CHECK (priority IN ('P0', 'P1', 'P2', 'P3')),
    state           TEXT NOT NULL CHECK (state IN ('open', 'acknowledged', 'mitigated', 'resolved')),
    assignee        TEXT,
    monitor_key     TEXT,
    alert_count     INTEGER NOT NULL,
    opened_at       INTEGER NOT NULL,
    acknowledged_at INTEGER,
    mitigated_at    INTEGER,
    resolved_at     INTEGER,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX incidents_by_tenant ON incidents (tenant_id, opened_at DESC, id);
CREATE INDEX incidents_by_monitor ON incidents (tenant_id, monitor_key, opened_at DESC);

-- The timeline of an incident, in seq order.
CREATE TABLE incident_events (
    id          TEXT PRIMARY KEY,
    incident_id TEXT NOT NULL REFERENCES incidents(id),
    seq         INTEGER NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('alert', 'comment', 'state', 'assign')),
    actor       TEXT,
    -- JSON, by kind
    body        TEXT NOT NULL,
    -- the alert of an `alert` entry (which incident an alert joined)
    alert_id    TEXT,
    created_at  INTEGER NOT NULL,
    UNIQUE (incident_id, seq)
);
CREATE INDEX incident_events_by_alert ON incident_events (alert_id);

-- One row per firing: (monitor, chain, rule, block, transaction, log).
CREATE TABLE monitor_events (
    id           TEXT PRIMARY KEY,
    monitor_key  TEXT NOT NULL,
    tenant_id    TEXT NOT NULL REFERENCES tenants(id),
    rule         TEXT NOT NULL,
    level        TEXT NOT NULL CHECK (level IN ('critical', 'high', 'medium', 'low')),
    chain_id     INTEGER NOT NULL,
    block_number INTEGER NOT NULL,
    block_hash   TEXT NOT NULL,
    tx_hash      TEXT,
    -- -1 for a block-level firing
    tx_index     INTEGER NOT NULL,
    -- -1 when no log fired it
    log_index    INTEGER NOT NULL,
    alert_id     TEXT REFERENCES alerts(id) ON DELETE SET NULL,
    incident_id  TEXT REFERENCES incidents(id),
    detail       TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    UNIQUE (monitor_key, chain_id, rule, block_number, tx_index, log_index)
);
CREATE INDEX monitor_events_by_monitor
    ON monitor_events (tenant_id, monitor_key, created_at DESC, block_number DESC, tx_index DESC, log_index DESC);
