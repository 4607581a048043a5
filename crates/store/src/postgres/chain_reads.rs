//! The cache of chain reads on PostgreSQL.

use sqlx::Row;

use super::PostgresStore;
use crate::*;

pub(super) async fn get_chain_read(
    store: &PostgresStore,
    key: &ChainReadKey,
) -> Result<Option<Vec<u8>>> {
    let row = sqlx::query(
        "SELECT value FROM chain_reads WHERE chain_id = $1 AND block = $2 AND address = $3 AND kind = $4 AND key = $5",
    )
    .bind(key.chain_id as i64)
    .bind(key.block as i64)
    .bind(&key.address)
    .bind(key.kind.as_str())
    .bind(&key.key)
    .fetch_optional(&store.pool)
    .await?;
    Ok(row.map(|r| r.try_get(0)).transpose()?)
}

pub(super) async fn put_chain_read(
    store: &PostgresStore,
    key: &ChainReadKey,
    value: &[u8],
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO chain_reads (chain_id, block, address, kind, key, value, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
    )
    .bind(key.chain_id as i64)
    .bind(key.block as i64)
    .bind(&key.address)
    .bind(key.kind.as_str())
    .bind(&key.key)
    .bind(value)
    .bind(now)
    .execute(&store.pool)
    .await?;
    Ok(())
}

pub(super) async fn get_verified_sources(
    store: &PostgresStore,
    key: &VerifiedSourcesKey,
) -> Result<Option<String>> {
    let row = sqlx::query(
        "SELECT sources FROM verified_sources WHERE chain_id = $1 AND address = $2 AND metadata_hash = $3",
    )
    .bind(key.chain_id as i64)
    .bind(&key.address)
    .bind(&key.metadata_hash)
    .fetch_optional(&store.pool)
    .await?;
    Ok(row.map(|r| r.try_get(0)).transpose()?)
}

pub(super) async fn put_verified_sources(
    store: &PostgresStore,
    key: &VerifiedSourcesKey,
    sources: &str,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO verified_sources (chain_id, address, metadata_hash, sources, created_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
    )
    .bind(key.chain_id as i64)
    .bind(&key.address)
    .bind(&key.metadata_hash)
    .bind(sources)
    .bind(now)
    .execute(&store.pool)
    .await?;
    Ok(())
}
