//! The cache of chain reads on SQLite.

use sqlx::Row;

use super::SqliteStore;
use crate::*;

pub(super) async fn get_chain_read(
    store: &SqliteStore,
    key: &ChainReadKey,
) -> Result<Option<Vec<u8>>> {
    let row = sqlx::query(
        "SELECT value FROM chain_reads WHERE chain_id = ? AND block = ? AND address = ? AND kind = ? AND key = ?",
    )
    .bind(key.chain_id as i64)
    .bind(key.block as i64)
    .bind(&key.address)
    .bind(key.kind.as_str())
    .bind(&key.key)
    .fetch_optional(&store.reader)
    .await?;
    Ok(row.map(|r| r.try_get(0)).transpose()?)
}

pub(super) async fn put_chain_read(
    store: &SqliteStore,
    key: &ChainReadKey,
    value: &[u8],
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT OR IGNORE INTO chain_reads (chain_id, block, address, kind, key, value, created_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(key.chain_id as i64)
    .bind(key.block as i64)
    .bind(&key.address)
    .bind(key.kind.as_str())
    .bind(&key.key)
    .bind(value)
    .bind(now)
    .execute(&store.writer)
    .await?;
    Ok(())
}

pub(super) async fn get_verified_sources(
    store: &SqliteStore,
    key: &VerifiedSourcesKey,
) -> Result<Option<String>> {
    let row = sqlx::query(
        "SELECT sources FROM verified_sources WHERE chain_id = ? AND address = ? AND metadata_hash = ?",
    )
    .bind(key.chain_id as i64)
    .bind(&key.address)
    .bind(&key.metadata_hash)
    .fetch_optional(&store.reader)
    .await?;
    Ok(row.map(|r| r.try_get(0)).transpose()?)
}

pub(super) async fn put_verified_sources(
    store: &SqliteStore,
    key: &VerifiedSourcesKey,
    sources: &str,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT OR IGNORE INTO verified_sources (chain_id, address, metadata_hash, sources, created_at) \
         VALUES (?, ?, ?, ?, ?)",
    )
    .bind(key.chain_id as i64)
    .bind(&key.address)
    .bind(&key.metadata_hash)
    .bind(sources)
    .bind(now)
    .execute(&store.writer)
    .await?;
    Ok(())
}
