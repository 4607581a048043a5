-- web3audit store, PostgreSQL, version 4. Never edit once released: add a new file.
-- Alerts raised by the alert rules of the service, and every notification sent for them.
CREATE TABLE alerts (
    id              TEXT PRIMARY KEY,
    rule            TEXT NOT NULL,
    severity        TEXT NOT NULL CHECK (severity IN ('critical', 'high', 'medium', 'low')),
    -- NULL for a service-wide alert
    tenant_id       TEXT REFERENCES tenants(id),
    dedup_key       TEXT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('firing', 'acknowledged', 'resolved')),
    first_seen      BIGINT NOT NULL,
    last_seen       BIGINT NOT NULL,
    -- occurrences folded into this alert during its cooldown, the first included
    occurrences     BIGINT NOT NULL,
    escalated_at    BIGINT,
    acknowledged_by TEXT,
    acknowledged_at BIGINT,
    resolved_at     BIGINT,
    detail          TEXT NOT NULL
);
CREATE INDEX alerts_by_key ON alerts (rule, dedup_key, first_seen);
CREATE INDEX alerts_by_time ON alerts (first_seen);
CREATE INDEX alerts_by_state ON alerts (state, first_seen);

CREATE TABLE alert_notifications (
    id         TEXT PRIMARY KEY,
    alert_id   TEXT NOT NULL REFERENCES alerts(id) ON DELETE CASCADE,
    channel    TEXT NOT NULL,
    purpose    TEXT NOT NULL CHECK (purpose IN ('initial', 'escalation')),
    status     TEXT NOT NULL CHECK (status IN ('sent', 'failed')),
    error      TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX alert_notifications_by_alert ON alert_notifications (alert_id, created_at);

-- The audit_failures rule counts audits finished in a recent window.
CREATE INDEX audits_by_finished_at ON audits (finished_at);
