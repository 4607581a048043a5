-- web3audit store, SQLite, version 8. Never edit once released: add a new file.
-- A cache of chain state read at a concrete block (never "latest"): such a read never
-- changes, so audits of a deployed contract read each value from the chain once.
-- `kind` is code, storage, balance, nonce or call; `key` the storage slot or the call
-- data (hex), else empty.
CREATE TABLE chain_reads (
    chain_id   INTEGER NOT NULL,
    block      INTEGER NOT NULL,
    address    TEXT NOT NULL,
    kind       TEXT NOT NULL,
    key        TEXT NOT NULL,
    value      BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (chain_id, block, address, kind, key)
);

-- Verified sources of a contract, by the metadata hash its runtime code embeds: the same
-- hash is the same compilation, whatever the block.
CREATE TABLE verified_sources (
    chain_id      INTEGER NOT NULL,
    address       TEXT NOT NULL,
    metadata_hash TEXT NOT NULL,
    sources       TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    PRIMARY KEY (chain_id, address, metadata_hash)
);
