-- web3audit store, PostgreSQL, version 10. Never edit once released: add a new file.
-- The shape of a finding: a hash of its detector and its flagged code (normalised, without
-- the contract and function names the fingerprint also hashes), so that a decision taken
-- on one finding can be recalled on a finding of the same kind on the same code elsewhere
-- ("previously dismissed"). NULL for findings stored before, and for analyzers that give
-- none.
ALTER TABLE findings ADD COLUMN shape TEXT;
CREATE INDEX findings_tenant_shape ON findings(tenant_id, shape);
