-- web3audit store, SQLite, version 2. Never edit once released: add a new file.
-- Token buckets of the rate limits, kept in the database by backends shared by several
-- processes; an idle bucket is deleted (a missing bucket is a full one).
CREATE TABLE rate_limit_buckets (
    key        TEXT PRIMARY KEY,
    tokens     REAL NOT NULL,
    -- whether the last request took a token
    taken      INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
