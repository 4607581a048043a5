//! The statements both SQL backends share, written once over a [`Dialect`].
//!
//! Most of the store's SQL reads the same on SQLite and PostgreSQL: placeholders are
//! `$1`, `$2`, ... on both (SQLite takes `$N` as the N-th parameter), `TRUE`/`FALSE`,
//! `RETURNING`, `ON CONFLICT ... DO NOTHING/UPDATE` and `IS NOT DISTINCT FROM` mean the
//! same on both. What differs is a [`Dialect`]: a few SQL fragments (row locks, the
//! two-argument maximum) and the locks that serialize writers across processes, which
//! PostgreSQL takes and SQLite's single writer connection makes unnecessary.
//!
//! Generic code does not name sqlx's per-type bounds: a value bound as a parameter is a
//! [`Param`] and a value read from a row is a [`Column`] (each is every type that both
//! backends encode or decode), rows are read through [`RowExt`], and statements run
//! through [`Query`] and [`Builder`], which hand them to the backend's executor.
//!
//! Why this shape: bounding generic code by sqlx's own traits takes a dozen higher-ranked
//! bounds (`Executor` on `&mut DB::Connection`, `IntoArguments`, `Encode`/`Decode` per
//! type) on every function; `sqlx::Any` converts every value at run time and loses each
//! backend's own types and connections (the `LISTEN` connection, the snapshot kinds of
//! backups); a query builder such as `sea-query` would rewrite every statement as calls
//! and add a dependency. Shared SQL text with a handful of dialect constants keeps the
//! statements readable and checked once, and the backends statically dispatched.

mod alerts;
mod assistant;
mod chain_reads;
mod monitoring;
mod store;
mod webhooks;

pub(crate) use store::SqlBackend;

use std::fmt::Display;
use std::future::Future;

use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use sqlx::{Database, Decode, Encode, Pool, Postgres, QueryBuilder, Sqlite, Type};

/// How long a pooled connection may sit idle before it is checked (a ping) on its next use.
const CHECK_IDLE_AFTER: std::time::Duration = std::time::Duration::from_secs(30);

/// The pool settings both backends share. sqlx checks a connection with a ping when it
/// is returned to the pool; by default it pings again before every use, a round trip per
/// query that doubled what a busy node waited on. Here only a connection that sat idle
/// (which a server or a firewall may have closed meanwhile) is checked before use; one
/// that fails its check is replaced.
pub(crate) fn pool_options<DB: Database>() -> sqlx::pool::PoolOptions<DB> {
    sqlx::pool::PoolOptions::new()
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for < CHECK_IDLE_AFTER {
                    return Ok(true);
                }
                Ok(sqlx::Connection::ping(conn).await.is_ok())
            })
        })
}

/// A statement with its arguments, as sqlx builds it for `DB`.
pub(crate) type RawQuery<'q, DB> = sqlx::query::Query<'q, DB, <DB as Database>::Arguments<'q>>;

/// A value bound as a statement parameter: any type both backends encode.
pub(crate) trait Param<'q>:
    'q + Send + Encode<'q, Sqlite> + Type<Sqlite> + Encode<'q, Postgres> + Type<Postgres>
{
}

impl<'q, T> Param<'q> for T where
    T: 'q + Send + Encode<'q, Sqlite> + Type<Sqlite> + Encode<'q, Postgres> + Type<Postgres>
{
}

/// A value read from a column: any type both backends decode (and SQLite's reads on the
/// calling thread, [`SqlBackend::read_now`]).
pub(crate) trait Column:
    Sized
    + for<'r> Decode<'r, Sqlite>
    + Type<Sqlite>
    + for<'r> Decode<'r, Postgres>
    + Type<Postgres>
    + rusqlite::types::FromSql
{
}

impl<T> Column for T where
    T: for<'r> Decode<'r, Sqlite>
        + Type<Sqlite>
        + for<'r> Decode<'r, Postgres>
        + Type<Postgres>
        + rusqlite::types::FromSql
{
}

/// Reading the columns of a row of either backend.
pub(crate) trait RowExt {
    /// The column named `name`.
    fn field<T: Column>(&self, name: &str) -> sqlx::Result<T>;
    /// The column at `index`, from 0.
    fn field_at<T: Column>(&self, index: usize) -> sqlx::Result<T>;
}

impl RowExt for SqliteRow {
    fn field<T: Column>(&self, name: &str) -> sqlx::Result<T> {
        sqlx::Row::try_get(self, name)
    }
    fn field_at<T: Column>(&self, index: usize) -> sqlx::Result<T> {
        sqlx::Row::try_get(self, index)
    }
}

impl RowExt for PgRow {
    fn field<T: Column>(&self, name: &str) -> sqlx::Result<T> {
        sqlx::Row::try_get(self, name)
    }
    fn field_at<T: Column>(&self, index: usize) -> sqlx::Result<T> {
        sqlx::Row::try_get(self, index)
    }
}

/// A row read by [`SqlBackend::read_now`], with its statement's column names. They are
/// read from SQLite once per statement: `rusqlite` finds a column by name by asking
/// SQLite for the name of every column in turn, for every field of every row.
pub(crate) struct NowRow<'a> {
    pub(crate) row: &'a rusqlite::Row<'a>,
    pub(crate) names: &'a [String],
}

impl RowExt for NowRow<'_> {
    fn field<T: Column>(&self, name: &str) -> sqlx::Result<T> {
        // Matched as SQLite matches column names: without regard to ASCII case.
        let index = self
            .names
            .iter()
            .position(|n| n.eq_ignore_ascii_case(name))
            .ok_or_else(|| sqlx::Error::ColumnNotFound(name.to_owned()))?;
        self.field_at(index)
    }
    fn field_at<T: Column>(&self, index: usize) -> sqlx::Result<T> {
        self.row.get(index).map_err(now_read_error)
    }
}

/// A column of a row read by [`SqlBackend::read_now`] that does not decode, reported as
/// the same column read through sqlx would be.
fn now_read_error(error: rusqlite::Error) -> sqlx::Error {
    match error {
        rusqlite::Error::InvalidColumnName(name) => sqlx::Error::ColumnNotFound(name),
        other => sqlx::Error::Decode(Box::new(other)),
    }
}

/// Where a statement runs: the pool (a connection of it, for this statement alone) or a
/// connection, usually that of an open transaction (`&mut *tx`).
pub(crate) enum Exec<'e, DB: Database> {
    Pool(&'e Pool<DB>),
    Conn(&'e mut DB::Connection),
}

impl<'e, DB: Database> From<&'e Pool<DB>> for Exec<'e, DB> {
    fn from(pool: &'e Pool<DB>) -> Self {
        Exec::Pool(pool)
    }
}

impl<'e, DB: Database> From<&'e mut DB::Connection> for Exec<'e, DB> {
    fn from(conn: &'e mut DB::Connection) -> Self {
        Exec::Conn(conn)
    }
}

/// What differs between the SQL of the backends, and the hand-over to sqlx's executor
/// (whose bounds hold for each backend, but are not named by generic code).
pub(crate) trait Dialect: Database<Row: RowExt> {
    /// Whether other processes may use the database at once.
    const SHARED: bool;
    /// Appended to a `SELECT` that picks rows to claim: the picked rows are locked and
    /// rows locked by another transaction are passed over (PostgreSQL), or nothing where
    /// one writer serializes every claim (SQLite).
    const SKIP_LOCKED: &'static str;
    /// Appended to a `SELECT` of a row about to be changed in the same transaction: it
    /// is locked until commit (PostgreSQL), or nothing (SQLite).
    const FOR_UPDATE: &'static str;
    /// The larger of two values, as a function name.
    const GREATEST: &'static str;
    /// A statement that takes a lock on its one `BIGINT` parameter for the rest of the
    /// transaction, serializing transactions of every process that take the same key
    /// (PostgreSQL); `None` where the single writer already serializes them (SQLite).
    const TRANSACTION_LOCK: Option<&'static str>;
    /// A statement that serializes appends to the audit trail across processes until
    /// the transaction ends (PostgreSQL); `None` where the single writer does (SQLite).
    const TRAIL_LOCK: Option<&'static str>;
    /// A statement, first in a transaction, that has it read from one snapshot while
    /// other processes write (PostgreSQL); `None` where a transaction is one (SQLite).
    const READ_SNAPSHOT: Option<&'static str>;
    /// Creates the table of applied migrations when there is none.
    const MIGRATIONS_TABLE: &'static str;
    /// The current time in Unix milliseconds, as an expression.
    const NOW_MS: &'static str;
    /// A statement that tells the dispatchers of every process that work may be queued,
    /// delivered at commit (PostgreSQL); `None` where nothing listens (SQLite).
    const NOTIFY_JOBS: Option<&'static str>;
    /// A statement that tells every process caching authentications that a credential
    /// changed (PostgreSQL); `None` where this process sees every change itself (SQLite).
    const NOTIFY_CREDENTIALS: Option<&'static str>;

    fn bind<'q, T: Param<'q>>(query: RawQuery<'q, Self>, value: T) -> RawQuery<'q, Self>;
    /// Runs a script of several statements (a migration).
    fn execute_script<'e>(
        sql: &'e str,
        conn: &'e mut Self::Connection,
    ) -> impl Future<Output = sqlx::Result<()>> + Send + 'e;
    fn push_bind<'q, T: Param<'q>>(builder: &mut QueryBuilder<'q, Self>, value: T);
    fn execute<'e, 'q: 'e>(
        query: RawQuery<'q, Self>,
        on: Exec<'e, Self>,
    ) -> impl Future<Output = sqlx::Result<u64>> + Send + 'e;
    fn fetch_one<'e, 'q: 'e>(
        query: RawQuery<'q, Self>,
        on: Exec<'e, Self>,
    ) -> impl Future<Output = sqlx::Result<Self::Row>> + Send + 'e;
    fn fetch_optional<'e, 'q: 'e>(
        query: RawQuery<'q, Self>,
        on: Exec<'e, Self>,
    ) -> impl Future<Output = sqlx::Result<Option<Self::Row>>> + Send + 'e;
    fn fetch_all<'e, 'q: 'e>(
        query: RawQuery<'q, Self>,
        on: Exec<'e, Self>,
    ) -> impl Future<Output = sqlx::Result<Vec<Self::Row>>> + Send + 'e;
    /// Runs what a [`Builder`] built.
    fn execute_built<'e, 'q: 'e>(
        builder: &'e mut QueryBuilder<'q, Self>,
        on: Exec<'e, Self>,
    ) -> impl Future<Output = sqlx::Result<u64>> + Send + 'e;
    /// Fetches the row, if any, of what a [`Builder`] built.
    fn fetch_optional_built<'e, 'q: 'e>(
        builder: &'e mut QueryBuilder<'q, Self>,
        on: Exec<'e, Self>,
    ) -> impl Future<Output = sqlx::Result<Option<Self::Row>>> + Send + 'e;
    /// Fetches the rows of what a [`Builder`] built.
    fn fetch_all_built<'e, 'q: 'e>(
        builder: &'e mut QueryBuilder<'q, Self>,
        on: Exec<'e, Self>,
    ) -> impl Future<Output = sqlx::Result<Vec<Self::Row>>> + Send + 'e;
}

/// The hand-over to sqlx of a [`Dialect`] implementation: the same text for each
/// backend, where sqlx's bounds hold for the concrete types.
macro_rules! run_with_sqlx {
    () => {
        fn bind<'q, T: $crate::sql::Param<'q>>(
            query: $crate::sql::RawQuery<'q, Self>,
            value: T,
        ) -> $crate::sql::RawQuery<'q, Self> {
            query.bind(value)
        }
        async fn execute_script<'e>(
            sql: &'e str,
            conn: &'e mut Self::Connection,
        ) -> ::sqlx::Result<()> {
            ::sqlx::Executor::execute(conn, ::sqlx::raw_sql(sql)).await?;
            Ok(())
        }
        fn push_bind<'q, T: $crate::sql::Param<'q>>(
            builder: &mut ::sqlx::QueryBuilder<'q, Self>,
            value: T,
        ) {
            builder.push_bind(value);
        }
        async fn execute<'e, 'q: 'e>(
            query: $crate::sql::RawQuery<'q, Self>,
            on: $crate::sql::Exec<'e, Self>,
        ) -> ::sqlx::Result<u64> {
            let done = match on {
                $crate::sql::Exec::Pool(pool) => query.execute(pool).await?,
                $crate::sql::Exec::Conn(conn) => query.execute(conn).await?,
            };
            Ok(done.rows_affected())
        }
        async fn fetch_one<'e, 'q: 'e>(
            query: $crate::sql::RawQuery<'q, Self>,
            on: $crate::sql::Exec<'e, Self>,
        ) -> ::sqlx::Result<Self::Row> {
            match on {
                $crate::sql::Exec::Pool(pool) => query.fetch_one(pool).await,
                $crate::sql::Exec::Conn(conn) => query.fetch_one(conn).await,
            }
        }
        async fn fetch_optional<'e, 'q: 'e>(
            query: $crate::sql::RawQuery<'q, Self>,
            on: $crate::sql::Exec<'e, Self>,
        ) -> ::sqlx::Result<Option<Self::Row>> {
            match on {
                $crate::sql::Exec::Pool(pool) => query.fetch_optional(pool).await,
                $crate::sql::Exec::Conn(conn) => query.fetch_optional(conn).await,
            }
        }
        async fn fetch_all<'e, 'q: 'e>(
            query: $crate::sql::RawQuery<'q, Self>,
            on: $crate::sql::Exec<'e, Self>,
        ) -> ::sqlx::Result<Vec<Self::Row>> {
            match on {
                $crate::sql::Exec::Pool(pool) => query.fetch_all(pool).await,
                $crate::sql::Exec::Conn(conn) => query.fetch_all(conn).await,
            }
        }
        async fn execute_built<'e, 'q: 'e>(
            builder: &'e mut ::sqlx::QueryBuilder<'q, Self>,
            on: $crate::sql::Exec<'e, Self>,
        ) -> ::sqlx::Result<u64> {
            let query = builder.build();
            let done = match on {
                $crate::sql::Exec::Pool(pool) => query.execute(pool).await?,
                $crate::sql::Exec::Conn(conn) => query.execute(conn).await?,
            };
            Ok(done.rows_affected())
        }
        async fn fetch_optional_built<'e, 'q: 'e>(
            builder: &'e mut ::sqlx::QueryBuilder<'q, Self>,
            on: $crate::sql::Exec<'e, Self>,
        ) -> ::sqlx::Result<Option<Self::Row>> {
            let query = builder.build();
            match on {
                $crate::sql::Exec::Pool(pool) => query.fetch_optional(pool).await,
                $crate::sql::Exec::Conn(conn) => query.fetch_optional(conn).await,
            }
        }
        async fn fetch_all_built<'e, 'q: 'e>(
            builder: &'e mut ::sqlx::QueryBuilder<'q, Self>,
            on: $crate::sql::Exec<'e, Self>,
        ) -> ::sqlx::Result<Vec<Self::Row>> {
            let query = builder.build();
            match on {
                $crate::sql::Exec::Pool(pool) => query.fetch_all(pool).await,
                $crate::sql::Exec::Conn(conn) => query.fetch_all(conn).await,
            }
        }
    };
}
pub(crate) use run_with_sqlx;

/// Applies the migrations not applied yet, in order, each in a transaction of its own
/// with its row in `schema_migrations`.
pub(crate) async fn migrate<DB: Dialect>(
    conn: &mut DB::Connection,
    migrations: &[(i64, &str, &str)],
) -> crate::Result<()> {
    query::<DB>(DB::MIGRATIONS_TABLE)
        .execute(&mut *conn)
        .await?;
    let rows = query::<DB>("SELECT version FROM schema_migrations ORDER BY version")
        .fetch_all(&mut *conn)
        .await?;
    let applied = rows
        .iter()
        .map(|row| row.field_at::<i64>(0))
        .collect::<Result<Vec<_>, _>>()?;
    // A database that a newer release migrated holds versions this release does not know:
    // applying our migrations or running on it could damage what the newer release wrote.
    let known = migrations
        .iter()
        .map(|&(version, _, _)| version)
        .max()
        .unwrap_or(0);
    let unknown: Vec<i64> = applied
        .iter()
        .copied()
        .filter(|version| !migrations.iter().any(|&(known, _, _)| known == *version))
        .collect();
    if !unknown.is_empty() {
        return Err(crate::StoreError::NewerSchema { unknown, known });
    }
    for &(version, name, sql) in migrations {
        if applied.contains(&version) {
            continue;
        }
        let mut tx = sqlx::Connection::begin(&mut *conn).await?;
        DB::execute_script(sql, &mut *tx)
            .await
            .map_err(|source| crate::StoreError::Migration { version, source })?;
        query::<DB>(&format!(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, {})",
            DB::NOW_MS
        ))
        .bind(version)
        .bind(name)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
    }
    Ok(())
}

/// A statement of fixed text with `$N` placeholders (see the module documentation).
pub(crate) struct Query<'q, DB: Database>(RawQuery<'q, DB>);

/// Starts a statement of fixed text.
pub(crate) fn query<DB: Dialect>(sql: &str) -> Query<'_, DB> {
    Query(sqlx::query(sql))
}

impl<'q, DB: Dialect> Query<'q, DB> {
    pub(crate) fn bind<T: Param<'q>>(self, value: T) -> Self {
        Query(DB::bind(self.0, value))
    }

    /// Runs the statement; the number of rows it changed.
    pub(crate) fn execute<'e>(
        self,
        on: impl Into<Exec<'e, DB>>,
    ) -> impl Future<Output = sqlx::Result<u64>> + Send + 'e
    where
        'q: 'e,
    {
        DB::execute(self.0, on.into())
    }

    pub(crate) fn fetch_one<'e>(
        self,
        on: impl Into<Exec<'e, DB>>,
    ) -> impl Future<Output = sqlx::Result<DB::Row>> + Send + 'e
    where
        'q: 'e,
    {
        DB::fetch_one(self.0, on.into())
    }

    pub(crate) fn fetch_optional<'e>(
        self,
        on: impl Into<Exec<'e, DB>>,
    ) -> impl Future<Output = sqlx::Result<Option<DB::Row>>> + Send + 'e
    where
        'q: 'e,
    {
        DB::fetch_optional(self.0, on.into())
    }

    pub(crate) fn fetch_all<'e>(
        self,
        on: impl Into<Exec<'e, DB>>,
    ) -> impl Future<Output = sqlx::Result<Vec<DB::Row>>> + Send + 'e
    where
        'q: 'e,
    {
        DB::fetch_all(self.0, on.into())
    }
}

/// A statement built piece by piece (optional filters, lists of values); its
/// placeholders are numbered by the backend.
pub(crate) struct Builder<'q, DB: Database>(QueryBuilder<'q, DB>);

impl<'q, DB: Dialect> Builder<'q, DB> {
    pub(crate) fn new(init: impl Into<String>) -> Self {
        Builder(QueryBuilder::new(init))
    }

    pub(crate) fn push(&mut self, sql: impl Display) -> &mut Self {
        self.0.push(sql);
        self
    }

    pub(crate) fn push_bind<T: Param<'q>>(&mut self, value: T) -> &mut Self {
        DB::push_bind(&mut self.0, value);
        self
    }

    /// Pushes `values` as a comma-separated list of parameters.
    pub(crate) fn push_binds<T: Param<'q>>(
        &mut self,
        values: impl IntoIterator<Item = T>,
    ) -> &mut Self {
        for (i, value) in values.into_iter().enumerate() {
            if i > 0 {
                self.0.push(", ");
            }
            DB::push_bind(&mut self.0, value);
        }
        self
    }

    /// Runs the statement; the number of rows it changed.
    pub(crate) fn execute<'e>(
        &'e mut self,
        on: impl Into<Exec<'e, DB>>,
    ) -> impl Future<Output = sqlx::Result<u64>> + Send + 'e {
        DB::execute_built(&mut self.0, on.into())
    }

    pub(crate) fn fetch_optional<'e>(
        &'e mut self,
        on: impl Into<Exec<'e, DB>>,
    ) -> impl Future<Output = sqlx::Result<Option<DB::Row>>> + Send + 'e {
        DB::fetch_optional_built(&mut self.0, on.into())
    }

    pub(crate) fn fetch_all<'e>(
        &'e mut self,
        on: impl Into<Exec<'e, DB>>,
    ) -> impl Future<Output = sqlx::Result<Vec<DB::Row>>> + Send + 'e {
        DB::fetch_all_built(&mut self.0, on.into())
    }
}
