//! The PostgreSQL backend, for deployments where several `web3audit serve` and
//! `web3audit worker` processes share one database.
//!
//! - Jobs are claimed with `FOR UPDATE SKIP LOCKED`, so concurrent dispatchers never take
//!   the same audit and never wait on each other.
//! - Audit-trail appends take an exclusive lock on the chain head table for the length of
//!   their transaction: appends from every process form one chain, in `seq` order.
//! - Migrations run under a session advisory lock, so processes that start together
//!   apply each migration once.
//! - Rate-limit token buckets live in a table, so that limits hold across nodes.
//! - Submissions and re-queues `NOTIFY` the channel [`JOBS_CHANNEL`]; idle dispatchers of
//!   every process `LISTEN` to it, so a worker process starts an audit submitted through
//!   an API process at once instead of at its next poll.
//! - Changes to credentials (a key revoked or its expiry changed, a user changed)
//!   `NOTIFY` the channel [`CREDENTIALS_CHANNEL`]; every process that caches
//!   authentications `LISTEN`s to it and advances its [`CredentialEpoch`].

use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgListener, PgPool};
use sqlx::{Pool, Postgres, Row};

use crate::sql::{self, Dialect, SqlBackend, run_with_sqlx};
use crate::*;

/// Per-backend migrations: `(version, name, sql)`, applied in order, never edited.
/// PostgreSQL has no version 2 (its version 1 holds the rate-limit table); numbers are
/// shared with SQLite from 3 on.
pub(crate) const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "initial",
        include_str!("../migrations/postgres/0001_initial.sql"),
    ),
    (
        3,
        "webhooks",
        include_str!("../migrations/postgres/0003_webhooks.sql"),
    ),
    (
        4,
        "alerts",
        include_str!("../migrations/postgres/0004_alerts.sql"),
    ),
    (
        5,
        "audit_log_checkpoints",
        include_str!("../migrations/postgres/0005_audit_log_checkpoints.sql"),
    ),
    (
        6,
        "dashboard_sessions",
        include_str!("../migrations/postgres/0006_dashboard_sessions.sql"),
    ),
    (
        7,
        "audit_targets",
        include_str!("../migrations/postgres/0007_audit_targets.sql"),
    ),
    (
        8,
        "chain_reads",
        include_str!("../migrations/postgres/0008_chain_reads.sql"),
    ),
    (
        9,
        "monitoring",
        include_str!("../migrations/postgres/0009_monitoring.sql"),
    ),
    (
        10,
        "finding_shapes",
        include_str!("../migrations/postgres/0010_finding_shapes.sql"),
    ),
    (
        11,
        "mfa",
        include_str!("../migrations/postgres/0011_mfa.sql"),
    ),
    (
        12,
        "api_key_lifetimes",
        include_str!("../migrations/postgres/0012_api_key_lifetimes.sql"),
    ),
    (
        13,
        "assistant",
        include_str!("../migrations/postgres/0013_assistant.sql"),
    ),
    (
        14,
        "roles_and_scopes",
        include_str!("../migrations/postgres/0014_roles_and_scopes.sql"),
    ),
    (
        15,
        "sso",
        include_str!("../migrations/postgres/0015_sso.sql"),
    ),
];

/// Notification channel for "work may be queued".
pub(crate) const JOBS_CHANNEL: &str = jobs_channel!();

macro_rules! jobs_channel {
    () => {
        "web3audit_jobs"
    };
}
use jobs_channel;

/// Notification channel for "a credential changed".
pub(crate) const CREDENTIALS_CHANNEL: &str = credentials_channel!();

macro_rules! credentials_channel {
    () => {
        "web3audit_credentials"
    };
}
use credentials_channel;

/// Key of the advisory lock held while migrations run ("w3a-migr" in ASCII).
const MIGRATION_LOCK: i64 = 0x7733_612d_6d69_6772;

/// PostgreSQL store: the process's connections, shared by every request and worker,
/// in two pools (see [`split_pool`]).
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: PgPool,
    /// Connections for reads outside a transaction that writes ([`SqlBackend::reader`]);
    /// the same pool as `pool` when the process has few connections.
    reader: PgPool,
    /// The `LISTEN` connection of this process's dispatcher, opened on first use.
    listener: Arc<tokio::sync::Mutex<Option<PgListener>>>,
    /// Live only while [`Store::watch_credentials`] listens to other processes' changes.
    credentials: Arc<CredentialEpoch>,
    watching: Arc<AtomicBool>,
}

impl PostgresStore {
    /// Connects to a `postgres://` or `postgresql://` URL and applies pending migrations.
    /// Query parameters of the URL are those of libpq (`sslmode`, `options`, ...);
    /// `options[search_path]=SCHEMA` selects a schema other than `public`.
    pub async fn open(url: &str) -> Result<Self> {
        Self::open_with(url, &ConnectOptions::default()).await
    }

    /// [`PostgresStore::open`] with up to `options.max_connections` connections.
    pub async fn open_with(url: &str, connect: &ConnectOptions) -> Result<Self> {
        let options = PgConnectOptions::from_str(url)?;
        let (writers, readers) = split_pool(connect.max_connections);
        let pool_of = |size: u32| {
            sql::pool_options::<Postgres>()
                .max_connections(size)
                .acquire_timeout(Duration::from_secs(30))
        };
        let pool = pool_of(writers).connect_with(options.clone()).await?;
        let reader = match readers {
            0 => pool.clone(),
            n => pool_of(n).connect_lazy_with(options),
        };
        let store = PostgresStore {
            pool,
            reader,
            listener: Default::default(),
            credentials: Arc::new(CredentialEpoch::new(false)),
            watching: Arc::new(AtomicBool::new(false)),
        };
        store.migrate().await?;
        Ok(store)
    }

    async fn migrate(&self) -> Result<()> {
        let mut conn = self.pool.acquire().await?;
        sqlx::query("SELECT pg_advisory_lock($1)")
            .bind(MIGRATION_LOCK)
            .execute(&mut *conn)
            .await?;
        let result = sql::migrate::<Postgres>(&mut *conn, MIGRATIONS).await;
        let unlocked = sqlx::query("SELECT pg_advisory_unlock($1)")
            .bind(MIGRATION_LOCK)
            .execute(&mut *conn)
            .await;
        result?;
        unlocked?;
        Ok(())
    }
}

/// The sizes of the two pools of a process allowed `max_connections` in all: for writes
/// (and reads inside them) and for reads alone. Writes queue behind the audit trail's
/// lock when many arrive at once, each holding its connection while it waits; reads of
/// their own (a client polling its audit) then still find a connection. A quarter of the
/// connections read, from 8 in all; below that one pool serves both (`0` readers).
fn split_pool(max_connections: u32) -> (u32, u32) {
    let all = max_connections.max(2);
    if all < 8 {
        return (all, 0);
    }
    let readers = all / 4;
    (all - readers, readers)
}

/// Advances `epoch` on every credential change any process makes, keeping it live only
/// while the `LISTEN` connection is up; ends when nothing but this task holds `epoch`.
async fn follow_credentials(pool: PgPool, epoch: Arc<CredentialEpoch>) {
    const CHECK_EVERY: Duration = Duration::from_secs(5);
    while Arc::strong_count(&epoch) > 1 {
        let listener = async {
            let mut listener = PgListener::connect_with(&pool).await?;
            listener.listen(CREDENTIALS_CHANNEL).await?;
            Ok::<_, sqlx::Error>(listener)
        }
        .await;
        let Ok(mut listener) = listener else {
            tokio::time::sleep(Duration::from_secs(1)).await;
            continue;
        };
        epoch.set_live(true);
        while Arc::strong_count(&epoch) > 1 {
            match tokio::time::timeout(CHECK_EVERY, listener.try_recv()).await {
                Err(_) => {}
                Ok(Ok(Some(_))) => epoch.advance(),
                // The connection was lost: notifications may be missed until it is back.
                Ok(Ok(None) | Err(_)) => break,
            }
        }
        epoch.set_live(false);
    }
}

async fn listen(pool: &PgPool) -> Result<PgListener> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(JOBS_CHANNEL).await?;
    Ok(listener)
}

impl Dialect for Postgres {
    const SHARED: bool = true;
    const SKIP_LOCKED: &'static str = " FOR UPDATE SKIP LOCKED";
    const FOR_UPDATE: &'static str = " FOR UPDATE";
    const GREATEST: &'static str = "GREATEST";
    const TRANSACTION_LOCK: Option<&'static str> = Some("SELECT pg_advisory_xact_lock($1)");
    // Conflicts with itself, not with readers.
    const TRAIL_LOCK: Option<&'static str> = Some("LOCK TABLE audit_log_head IN EXCLUSIVE MODE");
    const READ_SNAPSHOT: Option<&'static str> =
        Some("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
    const MIGRATIONS_TABLE: &'static str = "CREATE TABLE IF NOT EXISTS schema_migrations \
         (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)";
    const NOW_MS: &'static str = "(EXTRACT(EPOCH FROM now()) * 1000)::BIGINT";
    const NOTIFY_JOBS: Option<&'static str> =
        Some(concat!("SELECT pg_notify('", jobs_channel!(), "', '')"));
    const NOTIFY_CREDENTIALS: Option<&'static str> = Some(concat!(
        "SELECT pg_notify('",
        credentials_channel!(),
        "', '')"
    ));
    run_with_sqlx!();
}

#[async_trait::async_trait]
impl SqlBackend for PostgresStore {
    type DB = Postgres;

    fn writer(&self) -> &Pool<Postgres> {
        &self.pool
    }

    fn reader(&self) -> &Pool<Postgres> {
        &self.reader
    }

    fn credentials(&self) -> &CredentialEpoch {
        &self.credentials
    }

    fn watch_credentials(&self) {
        if !self.watching.swap(true, Ordering::SeqCst) {
            tokio::spawn(follow_credentials(
                self.pool.clone(),
                self.credentials.clone(),
            ));
        }
    }

    async fn sync_rate_buckets(
        &self,
        rate: &TokenRate,
        consumed: &[(String, f64)],
        now: i64,
    ) -> Result<Vec<f64>> {
        // One statement for every bucket, rows locked in key order (so that nodes syncing
        // the same buckets never deadlock), committed without waiting for a disk flush
        // (a crash forgets a second of consumption).
        let mut order: Vec<usize> = (0..consumed.len()).collect();
        order.sort_by(|a, b| consumed[*a].0.cmp(&consumed[*b].0));
        order.dedup_by(|a, b| consumed[*a].0 == consumed[*b].0);
        let keys: Vec<&str> = order.iter().map(|i| consumed[*i].0.as_str()).collect();
        let used: Vec<f64> = order.iter().map(|i| consumed[*i].1).collect();
        let mut tx = self.pool.begin().await?;
        sqlx::query("SET LOCAL synchronous_commit TO OFF")
            .execute(&mut *tx)
            .await?;
        let rows = sqlx::query(
            "WITH used AS (SELECT k, c FROM unnest($1::text[], $5::float8[]) AS t(k, c)) \
             INSERT INTO rate_limit_buckets AS b (key, tokens, taken, updated_at) \
             SELECT k, GREATEST(-$2, $2 - c), TRUE, $3 FROM used ORDER BY k \
             ON CONFLICT (key) DO UPDATE SET \
             tokens = GREATEST(-$2, LEAST($2, b.tokens + GREATEST(0, $3 - b.updated_at) / 1000.0 * $4) \
                 - (SELECT c FROM used WHERE used.k = EXCLUDED.key)), \
             taken = TRUE, \
             updated_at = GREATEST($3, b.updated_at) \
             RETURNING key, tokens",
        )
        .bind(&keys)
        .bind(rate.capacity)
        .bind(now)
        .bind(rate.per_second)
        .bind(&used)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        let mut levels = std::collections::HashMap::with_capacity(rows.len());
        for row in rows {
            levels.insert(row.try_get::<String, _>(0)?, row.try_get::<f64, _>(1)?);
        }
        consumed
            .iter()
            .map(|(key, _)| {
                levels.get(key).copied().ok_or_else(|| {
                    StoreError::Corrupt(format!("no rate-limit bucket returned for {key}"))
                })
            })
            .collect()
    }

    async fn take_token(&self, key: &str, rate: &TokenRate, now: i64) -> Result<Option<u64>> {
        // One statement: concurrent requests on any node queue on the bucket's row lock,
        // held until commit. A bucket is not worth a disk flush (a crash forgets a few
        // requests), so the commit does not wait for one: the lock is released sooner.
        let mut tx = self.pool.begin().await?;
        sqlx::query("SET LOCAL synchronous_commit TO OFF")
            .execute(&mut *tx)
            .await?;
        let row = sqlx::query(
            "INSERT INTO rate_limit_buckets AS b (key, tokens, taken, updated_at) VALUES ($1, $2 - 1, TRUE, $3) \
             ON CONFLICT (key) DO UPDATE SET \
             tokens = LEAST($2, b.tokens + GREATEST(0, $3 - b.updated_at) / 1000.0 * $4) \
                 - CASE WHEN LEAST($2, b.tokens + GREATEST(0, $3 - b.updated_at) / 1000.0 * $4) >= 1 THEN 1 ELSE 0 END, \
             taken = LEAST($2, b.tokens + GREATEST(0, $3 - b.updated_at) / 1000.0 * $4) >= 1, \
             updated_at = GREATEST($3, b.updated_at) \
             RETURNING tokens, taken",
        )
        .bind(key)
        .bind(rate.capacity)
        .bind(now)
        .bind(rate.per_second)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        let taken: bool = row.try_get(1)?;
        Ok((!taken).then(|| rate.retry_after(row.try_get(0).unwrap_or(0.0))))
    }

    async fn wait_for_work(&self, timeout: Duration) {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut slot = self.listener.lock().await;
        if slot.is_none() {
            match listen(&self.pool).await {
                Ok(listener) => *slot = Some(listener),
                Err(_) => {
                    // Polling still works; the next call tries again.
                    tokio::time::sleep_until(deadline).await;
                    return;
                }
            }
        }
        if let Some(listener) = slot.as_mut() {
            match tokio::time::timeout_at(deadline, listener.recv()).await {
                Ok(Ok(_)) | Err(_) => {}
                Ok(Err(_)) => {
                    *slot = None;
                    tokio::time::sleep_until(deadline).await;
                }
            }
        }
    }

    async fn backup_export(&self, sink: &mut dyn backup::RowSink) -> Result<backup::Snapshot> {
        let mut tx = self
            .pool
            .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .await?;
        let snapshot = backup::export(&mut backup::PostgresSnapshot(&mut tx), sink).await?;
        tx.commit().await?;
        Ok(snapshot)
    }

    async fn backup_restore(
        &self,
        request: &backup::RestoreRequest<'_>,
        source: &mut dyn backup::RowSource,
    ) -> Result<backup::RestoreOutcome> {
        let mut tx = self.pool.begin().await?;
        let outcome =
            backup::restore(&mut backup::PostgresSnapshot(&mut tx), request, source).await?;
        tx.commit().await?;
        Ok(outcome)
    }
}

#[cfg(test)]
mod tests {
    use super::split_pool;

    #[test]
    fn a_quarter_of_the_connections_read_from_eight_in_all() {
        assert_eq!(split_pool(0), (2, 0));
        assert_eq!(split_pool(7), (7, 0));
        assert_eq!(split_pool(8), (6, 2));
        assert_eq!(split_pool(16), (12, 4));
        assert_eq!(split_pool(64), (48, 16));
        for all in 8..100 {
            let (writers, readers) = split_pool(all);
            assert_eq!(writers + readers, all, "never more than allowed");
            assert!(readers >= 2 && writers > readers);
        }
    }
}
