-- web3audit store, PostgreSQL, version 5. Never edit once released: add a new file.
-- Retention: signed checkpoints of the pruned audit trail, and the indexes that keep
-- retention sweeps cheap.

-- One row per pruning of the audit trail: the entries up to `seq` were deleted, the last
-- of them had hash `hash`, and this pruning deleted `pruned` of them. `mac` is an HMAC
-- under the service secret (the key of the trail's MACs) over all of it, so the first
-- remaining entry links to a value an intruder cannot forge. Checkpoints are never
-- deleted: together they account for every pruned entry.
CREATE TABLE audit_log_checkpoints (
    seq        BIGINT PRIMARY KEY,
    hash       TEXT NOT NULL,
    pruned     BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    mac        TEXT NOT NULL
);

-- Finished audits by age; source blobs and cache rows still referenced; the triage events
-- of a finding (foreign-key checks when findings are deleted).
CREATE INDEX audits_finished ON audits(finished_at);
CREATE INDEX audits_sources_hash ON audits(sources_hash);
CREATE INDEX audits_cache_key ON audits(cache_key);
CREATE INDEX triage_events_finding ON triage_events(finding_id);
