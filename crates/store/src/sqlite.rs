//! The SQLite backend: one writer connection (SQLite allows one writer at a time; a
//! single connection turns lock contention into an orderly queue) and a pool of readers,
//! WAL journal, `synchronous = NORMAL`.
//!
//! sqlx runs each SQLite connection on a thread of its own: every statement is handed to
//! that thread and its rows handed back, and a connection returned to the pool is pinged
//! the same way. For a look-up by primary key those hand-offs cost more than the read
//! itself (a poll of an audit spent a third of its CPU switching threads), so such reads
//! ([`SqlBackend::read_now`]) run on the calling thread through read-only connections of
//! their own ([`ReadNow`]). A reader in WAL mode does not wait for the writer; where it
//! would wait all the same (a busy database, a connection limit reached, any error), the
//! read goes through the pool instead, so the fast path never changes an answer.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
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
    /// Reads by primary key on the calling thread.
    now: Arc<ReadNow>,
    /// This process owns the database: every change goes through it, so it is live.
    credentials: Arc<CredentialEpoch>,
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
            now: Arc::new(ReadNow::new(path, connect.max_connections.max(1) as usize)),
            credentials: Arc::new(CredentialEpoch::new(true)),
        };
        store.migrate().await?;
        Ok(store)
    }

    async fn migrate(&self) -> Result<()> {
        let mut conn = self.writer.acquire().await?;
        sql::migrate::<Sqlite>(&mut *conn, MIGRATIONS).await
    }
}

/// Read-only connections used on the calling thread (see the module documentation):
/// opened when first needed, at most `limit` at once, kept while they answer.
#[derive(Debug)]
struct ReadNow {
    path: String,
    limit: usize,
    /// Connections not in use, and how many exist in all.
    idle: Mutex<(Vec<NowConnection>, usize)>,
}

/// A connection of [`ReadNow`], and the column names of each statement it has run.
#[derive(Debug)]
struct NowConnection {
    conn: rusqlite::Connection,
    columns: HashMap<String, Vec<String>>,
}

/// Statements each connection keeps prepared.
const READ_NOW_STATEMENTS: usize = 16;

impl ReadNow {
    fn new(path: String, limit: usize) -> Self {
        ReadNow {
            path,
            limit,
            idle: Mutex::new((Vec::new(), 0)),
        }
    }

    /// The row `sql` finds with `key` as `$1`, mapped by `map`; `None` when no connection
    /// is free or SQLite did not answer at once.
    fn read<T>(
        &self,
        sql: &str,
        key: &str,
        map: fn(&sql::NowRow<'_>) -> Result<T>,
    ) -> Option<Result<Option<T>>> {
        let mut conn = self.take()?;
        match Self::query(&mut conn, sql, key, map) {
            Ok(found) => {
                self.give_back(conn);
                Some(found.transpose())
            }
            Err(_) => {
                // Busy, locked, or broken: this connection is closed, the pool answers.
                drop(conn);
                self.lock().1 -= 1;
                None
            }
        }
    }

    fn query<T>(
        NowConnection { conn, columns }: &mut NowConnection,
        sql: &str,
        key: &str,
        map: fn(&sql::NowRow<'_>) -> Result<T>,
    ) -> rusqlite::Result<Option<Result<T>>> {
        let mut statement = conn.prepare_cached(sql)?;
        if !columns.contains_key(sql) {
            let names = statement.column_names().into_iter().map(str::to_owned);
            columns.insert(sql.to_owned(), names.collect());
        }
        let names = &columns[sql];
        // Dropping the rows resets the statement, which ends the read transaction.
        let mut rows = statement.query([key])?;
        Ok(rows.next()?.map(|row| map(&sql::NowRow { row, names })))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, (Vec<NowConnection>, usize)> {
        self.idle
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// An idle connection, or a new one while fewer than `limit` exist.
    fn take(&self) -> Option<NowConnection> {
        {
            let mut idle = self.lock();
            if let Some(conn) = idle.0.pop() {
                return Some(conn);
            }
            if idle.1 >= self.limit {
                return None;
            }
            idle.1 += 1;
        }
        let opened = rusqlite::Connection::open_with_flags(
            &self.path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .and_then(|conn| {
            // Never wait on the calling thread: a busy database is the pool's to wait for.
            conn.busy_timeout(Duration::ZERO)?;
            conn.set_prepared_statement_cache_capacity(READ_NOW_STATEMENTS);
            Ok(conn)
        });
        match opened {
            Ok(conn) => Some(NowConnection {
                conn,
                columns: HashMap::new(),
            }),
            Err(_) => {
                self.lock().1 -= 1;
                None
            }
        }
    }

    fn give_back(&self, conn: NowConnection) {
        self.lock().0.push(conn);
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

    fn read_now<T>(
        &self,
        sql: &str,
        key: &str,
        map: fn(&sql::NowRow<'_>) -> Result<T>,
    ) -> Option<Result<Option<T>>> {
        self.now.read(sql, key, map)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn name_of(row: &sql::NowRow<'_>) -> Result<String> {
        Ok(sql::RowExt::field(row, "name")?)
    }

    fn count_of(row: &sql::NowRow<'_>) -> Result<i64> {
        Ok(sql::RowExt::field(row, "name")?)
    }

    /// A database with one table `t (id, name)` holding `('a', 'first')`, written by
    /// a connection that stays open (as the store's writer does).
    fn database(dir: &tempfile::TempDir) -> (String, rusqlite::Connection) {
        let path = dir.path().join("db.sqlite").display().to_string();
        let writer = rusqlite::Connection::open(&path).unwrap();
        writer
            .execute_batch(
                "PRAGMA journal_mode = WAL; CREATE TABLE t (id TEXT PRIMARY KEY, name TEXT); \
                 INSERT INTO t VALUES ('a', 'first');",
            )
            .unwrap();
        (path, writer)
    }

    const BY_ID: &str = "SELECT name FROM t WHERE id = $1";

    #[test]
    fn reads_the_row_and_sees_each_commit() {
        let dir = tempfile::tempdir().unwrap();
        let (path, writer) = database(&dir);
        let now = ReadNow::new(path, 2);
        let found = now.read(BY_ID, "a", name_of).unwrap().unwrap();
        assert_eq!(found.as_deref(), Some("first"));
        assert!(now.read(BY_ID, "b", name_of).unwrap().unwrap().is_none());
        writer
            .execute("UPDATE t SET name = 'second' WHERE id = 'a'", [])
            .unwrap();
        let found = now.read(BY_ID, "a", name_of).unwrap().unwrap();
        assert_eq!(found.as_deref(), Some("second"));
        // One connection served every read, and it is idle again.
        assert_eq!(now.lock().1, 1);
        assert_eq!(now.lock().0.len(), 1);
    }

    #[test]
    fn a_column_that_does_not_decode_is_an_error_not_a_fallback() {
        let dir = tempfile::tempdir().unwrap();
        let (path, _writer) = database(&dir);
        let now = ReadNow::new(path, 1);
        let read = now
            .read(BY_ID, "a", count_of)
            .expect("answered on this thread");
        assert!(matches!(
            read,
            Err(StoreError::Database(sqlx::Error::Decode(_)))
        ));
        assert_eq!(now.lock().0.len(), 1, "the connection is kept");
    }

    #[test]
    fn a_statement_sqlite_refuses_falls_back_and_closes_the_connection() {
        let dir = tempfile::tempdir().unwrap();
        let (path, _writer) = database(&dir);
        let now = ReadNow::new(path, 1);
        assert!(
            now.read("SELECT nope FROM t WHERE id = $1", "a", name_of)
                .is_none()
        );
        assert!(now.lock().0.is_empty());
        assert_eq!(now.lock().1, 0);
        // The slot is free again: the next read opens a new connection.
        assert!(now.read(BY_ID, "a", name_of).is_some());
    }

    #[test]
    fn a_database_that_cannot_be_opened_falls_back() {
        let dir = tempfile::tempdir().unwrap();
        let now = ReadNow::new(dir.path().join("missing.sqlite").display().to_string(), 1);
        assert!(now.read(BY_ID, "a", name_of).is_none());
        assert_eq!(now.lock().1, 0);
    }

    #[test]
    fn past_the_limit_of_connections_the_pool_answers() {
        let dir = tempfile::tempdir().unwrap();
        let (path, _writer) = database(&dir);
        let now = ReadNow::new(path, 1);
        let held = now.take().expect("the one connection");
        assert!(now.read(BY_ID, "a", name_of).is_none());
        now.give_back(held);
        assert!(now.read(BY_ID, "a", name_of).is_some());
    }
}
