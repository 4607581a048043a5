//! The SQLite backend: one writer connection (SQLite allows one writer at a time; a
//! single connection turns lock contention into an orderly queue) and a pool of readers,
//! WAL journal, `synchronous = NORMAL`.

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqliteSynchronous};
use sqlx::{Pool, Row, Sqlite};

use crate::sql::{self, Dialect, SqlBackend, run_with_sqlx};
use crate::*;

/// Per-backend migrations: `(version, name, sql)`, applied in order, never edited.
pub(crate) const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "initial",
        include_str!("../migrations/sqlite/0001_initial.sql"),
    ),
    (
        2,
        "rate_limits",
        include_str!("../migrations/sqlite/0002_rate_limits.sql"),
    ),
    (
        3,
        "webhooks",
        include_str!("../migrations/sqlite/0003_webhooks.sql"),
    ),
    (
        4,
        "alerts",
        include_str!("../migrations/sqlite/0004_alerts.sql"),
    ),
    (
        5,
        "audit_log_checkpoints",
        include_str!("../migrations/sqlite/0005_audit_log_checkpoints.sql"),
    ),
    (
        6,
        "dashboard_sessions",
        include_str!("../migrations/sqlite/0006_dashboard_sessions.sql"),
    ),
    (
        7,
        "audit_targets",
        include_str!("../migrations/sqlite/0007_audit_targets.sql"),
    ),
    (
        8,
        "chain_reads",
        include_str!("../migrations/sqlite/0008_chain_reads.sql"),
    ),
    (
        9,
        "monitoring",
        include_str!("../migrations/sqlite/0009_monitoring.sql"),
    ),
    (
        10,
        "finding_shapes",
        include_str!("../migrations/sqlite/0010_finding_shapes.sql"),
    ),
    (11, "mfa", include_str!("../migrations/sqlite/0011_mfa.sql")),
    (
        12,
        "api_key_lifetimes",
        include_str!("../migrations/sqlite/0012_api_key_lifetimes.sql"),
    ),
    (
        13,
        "assistant",
        include_str!("../migrations/sqlite/0013_assistant.sql"),
    ),
    (
        14,
        "roles_and_scopes",
        include_str!("../migrations/sqlite/0014_roles_and_scopes.sql"),
    ),
    (15, "sso", include_str!("../migrations/sqlite/0015_sso.sql")),
];

/// SQLite store. See the module documentation for the connection layout.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    writer: SqlitePool,
    reader: SqlitePool,
    /// This process owns the database: every change goes through it, so it is live.
    credentials: std::sync::Arc<CredentialEpoch>,
}

impl SqliteStore {
    /// Opens (creating when needed) the database at a `sqlite://PATH` or `sqlite:PATH`
    /// URL and applies pending migrations.
    pub async fn open(url: &str) -> Result<Self> {
        Self::open_with(url, &ConnectOptions::default()).await
    }

    /// [`SqliteStore::open`] with up to `options.max_connections` readers.
    pub async fn open_with(url: &str, connect: &ConnectOptions) -> Result<Self> {
        let path = sqlite_path(url)?;
        if let Some(parent) = std::path::Path::new(&path).parent()
            && !parent.as_os_str().is_empty()
        {
            std::fs::create_dir_all(parent).map_err(|source| StoreError::Directory {
                path: parent.display().to_string(),
                source,
            })?;
        }
        let options = SqliteConnectOptions::from_str(&format!("sqlite://{path}"))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true);
        let writer = sql::pool_options::<Sqlite>()
            .max_connections(1)
            .min_connections(1)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options.clone())
            .await?;
        let store = SqliteStore {
            reader: sql::pool_options::<Sqlite>()
                .max_connections(connect.max_connections.max(1))
                .acquire_timeout(Duration::from_secs(30))
                .connect_lazy_with(options.read_only(true)),
            writer,
            credentials: std::sync::Arc::new(CredentialEpoch::new(true)),
        };
        store.migrate().await?;
        Ok(store)
    }

    async fn migrate(&self) -> Result<()> {
        let mut conn = self.writer.acquire().await?;
        sql::migrate::<Sqlite>(&mut *conn, MIGRATIONS).await
    }
}

/// The file path of a SQLite URL.
fn sqlite_path(url: &str) -> Result<String> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .ok_or_else(|| StoreError::Unsupported(format!("not a sqlite URL: {url}")))?;
    let path = rest.split('?').next().unwrap_or("");
    if path.is_empty() || path.contains(":memory:") {
        return Err(StoreError::Unsupported(
            "the SQLite backend needs a file path (sqlite://PATH); in-memory databases are not supported".into(),
        ));
    }
    Ok(path.to_string())
}

impl Dialect for Sqlite {
    const SHARED: bool = false;
    const SKIP_LOCKED: &'static str = "";
    const FOR_UPDATE: &'static str = "";
    const GREATEST: &'static str = "MAX";
    const TRANSACTION_LOCK: Option<&'static str> = None;
    const TRAIL_LOCK: Option<&'static str> = None;
    const READ_SNAPSHOT: Option<&'static str> = None;
    const MIGRATIONS_TABLE: &'static str = "CREATE TABLE IF NOT EXISTS schema_migrations \
         (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)";
    const NOW_MS: &'static str = "strftime('%s','now') * 1000";
    const NOTIFY_JOBS: Option<&'static str> = None;
    const NOTIFY_CREDENTIALS: Option<&'static str> = None;
    run_with_sqlx!();
}

#[async_trait::async_trait]
impl SqlBackend for SqliteStore {
    type DB = Sqlite;

    fn writer(&self) -> &Pool<Sqlite> {
        &self.writer
    }

    fn reader(&self) -> &Pool<Sqlite> {
        &self.reader
    }

    fn credentials(&self) -> &CredentialEpoch {
        &self.credentials
    }

    async fn sync_rate_buckets(
        &self,
        rate: &TokenRate,
        consumed: &[(String, f64)],
        now: i64,
    ) -> Result<Vec<f64>> {
        // One process owns a SQLite database, so this only keeps the interface whole:
        // one statement per bucket, in one transaction.
        let mut tx = self.writer.begin().await?;
        let mut levels = Vec::with_capacity(consumed.len());
        for (key, used) in consumed {
            let row = sqlx::query(
                "INSERT INTO rate_limit_buckets (key, tokens, taken, updated_at) \
                 VALUES (?1, MAX(-?2, ?2 - ?5), 1, ?3) \
                 ON CONFLICT (key) DO UPDATE SET \
                 tokens = MAX(-?2, MIN(?2, tokens + MAX(0, ?3 - updated_at) / 1000.0 * ?4) - ?5), \
                 taken = 1, updated_at = MAX(?3, updated_at) \
                 RETURNING tokens",
            )
            .bind(key)
            .bind(rate.capacity)
            .bind(now)
            .bind(rate.per_second)
            .bind(used)
            .fetch_one(&mut *tx)
            .await?;
            levels.push(row.try_get(0)?);
        }
        tx.commit().await?;
        Ok(levels)
    }

    async fn take_token(&self, key: &str, rate: &TokenRate, now: i64) -> Result<Option<u64>> {
        let row = sqlx::query(
            "INSERT INTO rate_limit_buckets (key, tokens, taken, updated_at) VALUES (?1, ?2 - 1, 1, ?3) \
             ON CONFLICT (key) DO UPDATE SET \
             tokens = MIN(?2, tokens + MAX(0, ?3 - updated_at) / 1000.0 * ?4) \
                 - (MIN(?2, tokens + MAX(0, ?3 - updated_at) / 1000.0 * ?4) >= 1), \
             taken = (MIN(?2, tokens + MAX(0, ?3 - updated_at) / 1000.0 * ?4) >= 1), \
             updated_at = MAX(?3, updated_at) \
             RETURNING tokens, taken",
        )
        .bind(key)
        .bind(rate.capacity)
        .bind(now)
        .bind(rate.per_second)
        .fetch_one(&self.writer)
        .await?;
        let taken: bool = row.try_get(1)?;
        Ok((!taken).then(|| rate.retry_after(row.try_get(0).unwrap_or(0.0))))
    }

    async fn backup_export(&self, sink: &mut dyn backup::RowSink) -> Result<backup::Snapshot> {
        let mut tx = self.reader.begin().await?;
        let snapshot = backup::export(&mut backup::SqliteSnapshot(&mut tx), sink).await?;
        tx.commit().await?;
        Ok(snapshot)
    }

    async fn backup_restore(
        &self,
        request: &backup::RestoreRequest<'_>,
        source: &mut dyn backup::RowSource,
    ) -> Result<backup::RestoreOutcome> {
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let outcome =
            backup::restore(&mut backup::SqliteSnapshot(&mut tx), request, source).await?;
        tx.commit().await?;
        Ok(outcome)
    }
}
