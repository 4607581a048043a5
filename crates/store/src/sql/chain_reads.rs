//! The cache of chain reads: values read at a concrete block, and verified sources,
//! which never change once recorded.

use sqlx::Pool;

use super::{Dialect, RowExt, query};
use crate::*;

pub(crate) async fn get_chain_read<DB: Dialect>(
    reader: &Pool<DB>,
    key: &ChainReadKey,
) -> Result<Option<Vec<u8>>> {
    let row = query::<DB>(
        "SELECT value FROM chain_reads WHERE chain_id = $1 AND block = $2 AND address = $3 AND kind = $4 AND key = $5",
    )
    .bind(key.chain_id as i64)
    .bind(key.block as i64)
    .bind(&key.address)
    .bind(key.kind.as_str())
    .bind(&key.key)
    .fetch_optional(reader)
    .await?;
    Ok(row.map(|r| r.field_at(0)).transpose()?)
}

pub(crate) async fn put_chain_read<DB: Dialect>(
    writer: &Pool<DB>,
    key: &ChainReadKey,
    value: &[u8],
    now: i64,
) -> Result<()> {
    query::<DB>(
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
    .execute(writer)
    .await?;
    Ok(())
}

pub(crate) async fn get_verified_sources<DB: Dialect>(
    reader: &Pool<DB>,
    key: &VerifiedSourcesKey,
) -> Result<Option<String>> {
    let row = query::<DB>(
        "SELECT sources FROM verified_sources WHERE chain_id = $1 AND address = $2 AND metadata_hash = $3",
    )
    .bind(key.chain_id as i64)
    .bind(&key.address)
    .bind(&key.metadata_hash)
    .fetch_optional(reader)
    .await?;
    Ok(row.map(|r| r.field_at(0)).transpose()?)
}

pub(crate) async fn put_verified_sources<DB: Dialect>(
    writer: &Pool<DB>,
    key: &VerifiedSourcesKey,
    sources: &str,
    now: i64,
) -> Result<()> {
    query::<DB>(
        "INSERT INTO verified_sources (chain_id, address, metadata_hash, sources, created_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
    )
    .bind(key.chain_id as i64)
    .bind(&key.address)
    .bind(&key.metadata_hash)
    .bind(sources)
    .bind(now)
    .execute(writer)
    .await?;
    Ok(())
}
