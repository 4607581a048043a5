-- web3audit store, PostgreSQL, version 7. Never edit once released: add a new file.
-- Audits of a deployed contract: the chain (a name the service knows), the address and
-- the block read at (NULL: the latest block when the audit ran). All NULL for audits of
-- submitted sources.
ALTER TABLE audits ADD COLUMN target_chain TEXT;
ALTER TABLE audits ADD COLUMN target_address TEXT;
ALTER TABLE audits ADD COLUMN target_block BIGINT;
