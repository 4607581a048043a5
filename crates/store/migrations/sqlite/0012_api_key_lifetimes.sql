-- web3audit store, SQLite, version 12. Never edit once released: add a new file.
-- API keys that expire (set at creation, or shortened when a rotation gives the old key an
-- overlap window) and the time a key was last used (recorded at most once a minute).
ALTER TABLE api_keys ADD COLUMN expires_at INTEGER;
ALTER TABLE api_keys ADD COLUMN last_used_at INTEGER;
