//! Backups at the level of rows, the same on both backends, so that a backup taken from
//! SQLite restores into PostgreSQL and the reverse.
//!
//! An export reads every table of the service, discovered from the database catalog, in
//! foreign-key order, and hands the rows to a [`RowSink`] as backend-neutral [`Value`]s; a
//! restore takes them back from a [`RowSource`] and converts each to the type of the
//! target's column (SQLite `INTEGER` 0/1 and PostgreSQL `BOOLEAN`, `BIGINT` and narrower
//! integers, `REAL` and `DOUBLE PRECISION`, `TEXT`, `NULL`). The file format around the rows
//! belongs to the caller.
//!
//! Invariants:
//! - an export reads every table inside one snapshot (SQLite: one read transaction of a
//!   WAL database; PostgreSQL: `REPEATABLE READ READ ONLY`), so a backup taken while the
//!   service writes is a state the database really was in;
//! - `schema_migrations` is not copied (the applied versions travel in [`Snapshot`]), nor
//!   are [`EPHEMERAL_TABLES`];
//! - a restore writes in one transaction and commits only when every table holds the row
//!   count and content checksum of the backup and the audit trail verifies; anything
//!   refused leaves the target as it was;
//! - the content checksum of a table ([`ContentChecksum`]) covers its column names and its
//!   rows in primary-key order in a canonical form that both backends give for equal data,
//!   so equal sums on two databases mean equal contents.

use std::collections::{BTreeMap, BTreeSet};

use futures_util::TryStreamExt;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::postgres::{PgConnection, PgRow};
use sqlx::sqlite::{SqliteConnection, SqliteRow};
use sqlx::{Postgres, QueryBuilder, Row, Sqlite, TypeInfo, ValueRef};

use crate::trail::{self, ChainHead};
use crate::{AuditEvent, NewAuditEvent, Result, StoreError};

/// The table of applied migration versions: not copied, its versions are in the snapshot.
pub const MIGRATIONS_TABLE: &str = "schema_migrations";

/// Tables whose rows are worth nothing after a restore (rate-limit token buckets,
/// dashboard sessions, sign-ins under way) or are a cache read again on demand (chain
/// reads, verified sources): never copied; a forced restore empties them too. Every other
/// table is copied, found in the catalog: monitor checkpoints among them, which are state
/// (where each monitor stands on its chain, behind which events are recorded exactly
/// once), not a cache.
pub const EPHEMERAL_TABLES: &[&str] = &[
    "rate_limit_buckets",
    "dashboard_sessions",
    "sso_logins",
    "chain_reads",
    "verified_sources",
];

/// The audit-trail tables, verified after a restore.
const TRAIL_TABLE: &str = "audit_log";
const TRAIL_HEAD_TABLE: &str = "audit_log_head";
const TRAIL_CHECKPOINTS_TABLE: &str = "audit_log_checkpoints";

/// Rows per `INSERT` of a restore, at most (also bounded by bind parameters and bytes).
const INSERT_BATCH_ROWS: usize = 500;
const INSERT_BATCH_PARAMETERS: usize = 30_000;
const INSERT_BATCH_BYTES: usize = 4 * 1024 * 1024;

/// The database a snapshot comes from or goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }

    /// The backend a database URL selects, as [`crate::connect`] reads it.
    pub fn of_url(url: &str) -> Option<Backend> {
        if url.starts_with("sqlite:") {
            Some(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Backend::Postgres)
        } else {
            None
        }
    }

    /// The schema version this build migrates a database of this backend to.
    pub fn latest_schema_version(self) -> i64 {
        let versions: Vec<i64> = match self {
            Backend::Sqlite => crate::sqlite::MIGRATIONS.iter().map(|m| m.0).collect(),
            Backend::Postgres => crate::postgres::MIGRATIONS.iter().map(|m| m.0).collect(),
        };
        schema_version(self, &versions)
    }
}

impl std::fmt::Display for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The schema version of a database, comparable across backends: the highest applied
/// migration. Migration numbers are shared by both backends from 0003 on; PostgreSQL has
/// no 0002 because its 0001 already holds SQLite's 0002, so there 0001 counts as 2.
pub fn schema_version(backend: Backend, applied: &[i64]) -> i64 {
    let highest = applied.iter().copied().max().unwrap_or(0);
    match backend {
        Backend::Postgres if applied.contains(&1) => highest.max(2),
        _ => highest,
    }
}

/// One stored value, independent of the backend.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Integer(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

impl Value {
    /// The JSON form: `null`, `true`/`false`, an integer, a number with a fraction or an
    /// exponent, a string, and bytes as `{"hex": "…"}`.
    pub fn to_json(&self) -> Result<serde_json::Value> {
        Ok(match self {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Integer(i) => serde_json::Value::from(*i),
            Value::Real(f) => serde_json::Number::from_f64(*f)
                .map(serde_json::Value::Number)
                .ok_or_else(|| {
                    StoreError::Backup(format!("the real number {f} has no JSON form"))
                })?,
            Value::Text(s) => serde_json::Value::String(s.clone()),
            Value::Blob(bytes) => serde_json::json!({ "hex": hex::encode(bytes) }),
        })
    }

    /// Reads the form written by [`Value::to_json`].
    pub fn from_json(value: &serde_json::Value) -> Result<Value> {
        let invalid = || StoreError::Backup(format!("`{value}` is not a stored value"));
        Ok(match value {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) if n.is_f64() => {
                Value::Real(n.as_f64().ok_or_else(invalid)?)
            }
            serde_json::Value::Number(n) => Value::Integer(n.as_i64().ok_or_else(invalid)?),
            serde_json::Value::String(s) => Value::Text(s.clone()),
            serde_json::Value::Object(map) if map.len() == 1 => {
                let hex = map
                    .get("hex")
                    .and_then(|h| h.as_str())
                    .ok_or_else(invalid)?;
                Value::Blob(hex::decode(hex).map_err(|_| invalid())?)
            }
            _ => return Err(invalid()),
        })
    }

    fn describe(&self) -> String {
        match self {
            Value::Null => "NULL".into(),
            Value::Bool(b) => format!("the boolean {b}"),
            Value::Integer(i) => format!("the integer {i}"),
            Value::Real(f) => format!("the real number {f}"),
            Value::Text(_) => "a text".into(),
            Value::Blob(_) => "bytes".into(),
        }
    }
}

/// The content checksum of one table: SHA-256 over its column names, sorted, and its
/// rows in primary-key order, each value in a canonical form (booleans as the integers 0
/// and 1, reals in their shortest exact decimal form, texts and bytes length-prefixed),
/// so that equal data gives equal sums on both backends.
#[derive(Debug, Clone)]
pub struct ContentChecksum {
    hasher: Sha256,
    /// Indices of the row's values in the order of the sorted column names.
    order: Vec<usize>,
    rows: u64,
    buffer: Vec<u8>,
}

impl ContentChecksum {
    /// For rows whose values come in the order of `columns`.
    pub fn new(columns: &[String]) -> Self {
        let mut order: Vec<usize> = (0..columns.len()).collect();
        order.sort_by(|&a, &b| columns[a].cmp(&columns[b]));
        let mut hasher = Sha256::new();
        hasher.update(b"columns");
        for &index in &order {
            hasher.update(format!(" {}:", columns[index].len()).as_bytes());
            hasher.update(columns[index].as_bytes());
        }
        hasher.update(b"\n");
        ContentChecksum {
            hasher,
            order,
            rows: 0,
            buffer: Vec::new(),
        }
    }

    /// Adds the next row; fewer values than columns is an error of the caller and is
    /// hashed as given (the sum then differs).
    pub fn add_row(&mut self, values: &[Value]) {
        self.buffer.clear();
        for &index in &self.order {
            match values.get(index) {
                Some(value) => canonical(value, &mut self.buffer),
                None => self.buffer.extend_from_slice(b"?;"),
            }
        }
        self.buffer.push(b'\n');
        self.hasher.update(&self.buffer);
        self.rows += 1;
    }

    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// The sum, hex.
    pub fn finish(self) -> String {
        hex::encode(self.hasher.finalize())
    }
}

fn canonical(value: &Value, out: &mut Vec<u8>) {
    use std::io::Write;
    // Writing into a Vec cannot fail.
    let _ = match value {
        Value::Null => write!(out, "n;"),
        Value::Bool(b) => write!(out, "i{};", i64::from(*b)),
        Value::Integer(i) => write!(out, "i{i};"),
        Value::Real(f) => write!(out, "r{f:?};"),
        Value::Text(s) => write!(out, "t{}:", s.len()).and_then(|()| out.write_all(s.as_bytes())),
        Value::Blob(b) => write!(out, "b{}:", b.len()).and_then(|()| out.write_all(b)),
    };
}

/// One table of a snapshot: its columns (in the order of the values), row count and
/// content checksum.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableSummary {
    pub name: String,
    pub columns: Vec<String>,
    pub rows: u64,
    pub checksum: String,
}

/// What an export read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    pub backend: Backend,
    /// Applied migration versions, ascending.
    pub migrations: Vec<i64>,
    /// See [`schema_version`].
    pub schema_version: i64,
    /// In foreign-key order: a table comes after every table it references.
    pub tables: Vec<TableSummary>,
}

/// Receives the rows of an export, table by table.
pub trait RowSink: Send {
    fn begin_table(&mut self, table: &str, columns: &[String]) -> Result<()>;
    /// One row, values in the order of the columns given to `begin_table`.
    fn row(&mut self, values: &[Value]) -> Result<()>;
    fn end_table(&mut self, summary: &TableSummary) -> Result<()>;
}

/// A sink that keeps nothing: an export into it yields the checksums of a live database.
#[derive(Debug, Default)]
pub struct Discard;

impl RowSink for Discard {
    fn begin_table(&mut self, _table: &str, _columns: &[String]) -> Result<()> {
        Ok(())
    }
    fn row(&mut self, _values: &[Value]) -> Result<()> {
        Ok(())
    }
    fn end_table(&mut self, _summary: &TableSummary) -> Result<()> {
        Ok(())
    }
}

/// Gives back the rows of a backup, table by table, in whatever order the restore asks.
pub trait RowSource: Send {
    /// Starts reading the rows of `table`, whose values come in the order of its columns.
    fn open_table(&mut self, table: &TableSummary) -> Result<()>;
    /// The next row of the open table; `None` at its end.
    fn next_row(&mut self) -> Result<Option<Vec<Value>>>;
}

/// What to restore, and how.
#[derive(Debug, Clone, Copy)]
pub struct RestoreRequest<'a> {
    /// The schema version of the backup; a newer one than the target's is refused.
    pub schema_version: i64,
    /// The tables of the backup with their expected row counts and checksums.
    pub tables: &'a [TableSummary],
    /// Empty a non-empty target first instead of refusing it.
    pub force: bool,
    /// Key of the audit trail, verified before the restore commits; `None` skips that.
    pub signer: Option<&'a trail::Signer>,
}

/// What a restore did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RestoreOutcome {
    /// The schema version of the target (after its migrations).
    pub schema_version: i64,
    /// The restored tables, in the order written, as checked after writing.
    pub tables: Vec<TableSummary>,
    /// Tables that held rows and were emptied first (forced restore).
    pub cleared: Vec<String>,
    /// Tables of the target that the backup does not hold (left empty).
    pub missing: Vec<String>,
    /// The audit trail as verified before committing.
    pub trail: Option<trail::Verification>,
}

/// The type of a column as the target's catalog declares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ColumnKind {
    Boolean,
    SmallInt,
    Int,
    BigInt,
    Float4,
    Real,
    Text,
    Blob,
    /// SQLite without a usable affinity: values are stored as they come.
    Any,
    /// A PostgreSQL type read and written through its text form (`CAST`), by name.
    Other(String),
}

impl ColumnKind {
    /// SQLite's affinity rules applied to a declared type (booleans named as such).
    fn of_sqlite(declared: &str) -> ColumnKind {
        let t = declared.to_ascii_uppercase();
        if t.contains("INT") {
            ColumnKind::BigInt
        } else if t.contains("CHAR") || t.contains("CLOB") || t.contains("TEXT") {
            ColumnKind::Text
        } else if t.contains("REAL") || t.contains("FLOA") || t.contains("DOUB") {
            ColumnKind::Real
        } else if t.contains("BOOL") {
            ColumnKind::Boolean
        } else {
            ColumnKind::Any
        }
    }

    /// A PostgreSQL type by its `udt_name`.
    fn of_postgres(udt: &str) -> ColumnKind {
        match udt {
            "bool" => ColumnKind::Boolean,
            "int2" => ColumnKind::SmallInt,
            "int4" => ColumnKind::Int,
            "int8" => ColumnKind::BigInt,
            "float4" => ColumnKind::Float4,
            "float8" => ColumnKind::Real,
            "text" | "varchar" | "bpchar" | "name" => ColumnKind::Text,
            "bytea" => ColumnKind::Blob,
            other => ColumnKind::Other(other.to_string()),
        }
    }

    fn describe(&self) -> &str {
        match self {
            ColumnKind::Boolean => "boolean",
            ColumnKind::SmallInt => "16-bit integer",
            ColumnKind::Int => "32-bit integer",
            ColumnKind::BigInt => "integer",
            ColumnKind::Float4 | ColumnKind::Real => "real",
            ColumnKind::Text => "text",
            ColumnKind::Blob => "bytes",
            ColumnKind::Any => "untyped",
            ColumnKind::Other(name) => name,
        }
    }

    /// `value` as this column stores it.
    fn convert(&self, value: Value) -> std::result::Result<Value, Value> {
        use ColumnKind as K;
        use Value as V;
        let in_range = |i: i64, low: i64, high: i64| (low..=high).contains(&i);
        Ok(match (self, value) {
            (_, V::Null) => V::Null,
            (K::Boolean, V::Bool(b)) => V::Bool(b),
            (K::Boolean, V::Integer(i @ (0 | 1))) => V::Bool(i == 1),
            (K::SmallInt | K::Int | K::BigInt | K::Any, V::Bool(b)) => V::Integer(i64::from(b)),
            (K::SmallInt, V::Integer(i)) if in_range(i, i16::MIN.into(), i16::MAX.into()) => {
                V::Integer(i)
            }
            (K::Int, V::Integer(i)) if in_range(i, i32::MIN.into(), i32::MAX.into()) => {
                V::Integer(i)
            }
            (K::BigInt, V::Integer(i)) => V::Integer(i),
            (K::Float4 | K::Real, V::Integer(i)) => V::Real(i as f64),
            (K::Float4 | K::Real, V::Real(f)) => V::Real(f),
            (K::Text, V::Text(s)) => V::Text(s),
            (K::Blob, V::Blob(b)) => V::Blob(b),
            (K::Any, value) => value,
            (K::Other(_), V::Text(s)) => V::Text(s),
            (K::Other(_), V::Integer(i)) => V::Text(i.to_string()),
            (K::Other(_), V::Real(f)) => V::Text(f.to_string()),
            (K::Other(_), V::Bool(b)) => V::Text(b.to_string()),
            (_, value) => return Err(value),
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Column {
    name: String,
    kind: ColumnKind,
}

/// A table as the catalog describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Table {
    name: String,
    columns: Vec<Column>,
    primary_key: Vec<String>,
    /// Tables this one references by foreign keys.
    parents: BTreeSet<String>,
}

impl Table {
    fn column_names(&self) -> Vec<String> {
        self.columns.iter().map(|c| c.name.clone()).collect()
    }

    /// The columns rows are ordered by: the primary key, or every column without one.
    fn order_columns(&self) -> Vec<&Column> {
        let key: Vec<&Column> = self
            .primary_key
            .iter()
            .filter_map(|name| self.columns.iter().find(|c| &c.name == name))
            .collect();
        if key.is_empty() {
            self.columns.iter().collect()
        } else {
            key
        }
    }
}

fn is_ephemeral(table: &str) -> bool {
    EPHEMERAL_TABLES.contains(&table)
}

/// Orders tables so that each comes after the tables it references (references to
/// itself or to tables not in the list aside); ties by name. A cycle is refused.
pub(crate) fn foreign_key_order(tables: Vec<Table>) -> Result<Vec<Table>> {
    let mut remaining: BTreeMap<String, Table> =
        tables.into_iter().map(|t| (t.name.clone(), t)).collect();
    let mut ordered = Vec::with_capacity(remaining.len());
    while !remaining.is_empty() {
        let ready: Vec<String> = remaining
            .values()
            .filter(|t| {
                t.parents
                    .iter()
                    .all(|p| p == &t.name || !remaining.contains_key(p))
            })
            .map(|t| t.name.clone())
            .collect();
        if ready.is_empty() {
            let names: Vec<&str> = remaining.keys().map(String::as_str).collect();
            return Err(StoreError::Backup(format!(
                "the foreign keys between the tables {} form a cycle: no order to copy them in",
                names.join(", ")
            )));
        }
        for name in ready {
            if let Some(table) = remaining.remove(&name) {
                ordered.push(table);
            }
        }
    }
    Ok(ordered)
}

fn quote(identifier: &str) -> String {
    format!("\"{}\"", identifier.replace('"', "\"\""))
}

fn column_list(columns: &[&Column]) -> String {
    columns
        .iter()
        .map(|c| quote(&c.name))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The database side of an export and a restore, inside one transaction.
#[async_trait::async_trait]
pub(crate) trait SnapshotConnection: Send {
    fn backend(&self) -> Backend;
    async fn applied_migrations(&mut self) -> Result<Vec<i64>>;
    /// Every base table of the database (of the current schema on PostgreSQL).
    async fn table_names(&mut self) -> Result<Vec<String>>;
    async fn describe(&mut self, table: &str) -> Result<Table>;
    /// The values of `columns` of every row of `table`, in primary-key order.
    async fn scan(
        &mut self,
        table: &Table,
        columns: &[&Column],
        each: &mut (dyn FnMut(Vec<Value>) -> Result<()> + Send),
    ) -> Result<()>;
    async fn has_rows(&mut self, table: &str) -> Result<bool>;
    async fn clear(&mut self, table: &str) -> Result<()>;
    /// Inserts rows whose values are already converted to the columns' kinds.
    async fn insert(&mut self, table: &str, columns: &[&Column], rows: &[Vec<Value>])
    -> Result<()>;
    /// Moves sequences (serial and identity columns) past the restored rows.
    async fn reset_sequences(&mut self, _table: &Table) -> Result<()> {
        Ok(())
    }
}

/// Every table of the database but the migrations table, in foreign-key order.
async fn catalog(conn: &mut dyn SnapshotConnection) -> Result<Vec<Table>> {
    let mut tables = Vec::new();
    for name in conn.table_names().await? {
        if name == MIGRATIONS_TABLE || name.starts_with("sqlite_") {
            continue;
        }
        tables.push(conn.describe(&name).await?);
    }
    foreign_key_order(tables)
}

/// Reads every table to back up into `sink`.
pub(crate) async fn export(
    conn: &mut dyn SnapshotConnection,
    sink: &mut dyn RowSink,
) -> Result<Snapshot> {
    let migrations = conn.applied_migrations().await?;
    let tables = catalog(conn).await?;
    let mut summaries = Vec::new();
    for table in tables.iter().filter(|t| !is_ephemeral(&t.name)) {
        let names = table.column_names();
        sink.begin_table(&table.name, &names)?;
        let mut checksum = ContentChecksum::new(&names);
        let columns: Vec<&Column> = table.columns.iter().collect();
        conn.scan(table, &columns, &mut |row| {
            checksum.add_row(&row);
            sink.row(&row)
        })
        .await?;
        let summary = TableSummary {
            name: table.name.clone(),
            columns: names,
            rows: checksum.rows(),
            checksum: checksum.finish(),
        };
        sink.end_table(&summary)?;
        summaries.push(summary);
    }
    let backend = conn.backend();
    Ok(Snapshot {
        backend,
        schema_version: schema_version(backend, &migrations),
        migrations,
        tables: summaries,
    })
}

/// Restores a backup; see [`crate::Store::backup_restore`].
pub(crate) async fn restore(
    conn: &mut dyn SnapshotConnection,
    request: &RestoreRequest<'_>,
    source: &mut dyn RowSource,
) -> Result<RestoreOutcome> {
    let backend = conn.backend();
    let target_version = schema_version(backend, &conn.applied_migrations().await?);
    if request.schema_version > target_version {
        return Err(StoreError::Backup(format!(
            "the backup has schema version {}, newer than the target database's {target_version}: restore it with a newer web3audit",
            request.schema_version
        )));
    }
    let tables = catalog(conn).await?;
    let wanted: BTreeMap<&str, &TableSummary> = request
        .tables
        .iter()
        .map(|t| (t.name.as_str(), t))
        .collect();
    if let Some(unknown) = wanted
        .keys()
        .find(|name| !tables.iter().any(|t| t.name == **name))
    {
        return Err(StoreError::Backup(format!(
            "table `{unknown}` of the backup does not exist in the target database (schema version {target_version})"
        )));
    }

    let mut occupied = Vec::new();
    for table in &tables {
        if conn.has_rows(&table.name).await? {
            occupied.push(table.name.clone());
        }
    }
    let stateful: Vec<String> = occupied
        .iter()
        .filter(|t| !is_ephemeral(t))
        .cloned()
        .collect();
    if !stateful.is_empty() && !request.force {
        return Err(StoreError::NotEmpty { tables: stateful });
    }
    if request.force {
        for table in tables.iter().rev() {
            if occupied.contains(&table.name) {
                conn.clear(&table.name).await?;
            }
        }
    }

    let mut restored = Vec::new();
    for table in &tables {
        let Some(expected) = wanted.get(table.name.as_str()) else {
            continue;
        };
        let columns = expected
            .columns
            .iter()
            .map(|name| {
                table.columns.iter().find(|c| &c.name == name).ok_or_else(|| {
                    StoreError::Backup(format!(
                        "column `{name}` of table `{}` in the backup does not exist in the target database",
                        table.name
                    ))
                })
            })
            .collect::<Result<Vec<&Column>>>()?;
        copy_rows(conn, table, &columns, expected, source).await?;
        conn.reset_sequences(table).await?;
        restored.push((table, columns, *expected));
    }

    // Prove the copy before committing: counts, checksums, the audit trail.
    let mut summaries = Vec::new();
    for (table, columns, expected) in restored {
        let mut checksum = ContentChecksum::new(&expected.columns);
        conn.scan(table, &columns, &mut |row| {
            checksum.add_row(&row);
            Ok(())
        })
        .await?;
        let summary = TableSummary {
            name: table.name.clone(),
            columns: expected.columns.clone(),
            rows: checksum.rows(),
            checksum: checksum.finish(),
        };
        if summary.rows != expected.rows || summary.checksum != expected.checksum {
            return Err(StoreError::Backup(format!(
                "table `{}` after the restore holds {} rows with checksum {}, the backup {} rows with checksum {}; nothing was restored",
                table.name, summary.rows, summary.checksum, expected.rows, expected.checksum
            )));
        }
        summaries.push(summary);
    }
    let trail = match request.signer {
        Some(signer) => {
            let snapshot = read_chain(conn, &tables).await?;
            let verification = trail::verify_snapshot(&snapshot, signer);
            if let Some(brk) = &verification.first_break {
                return Err(StoreError::Backup(format!(
                    "the restored audit trail does not verify at entry {}: {}; nothing was restored",
                    brk.seq, brk.reason
                )));
            }
            Some(verification)
        }
        None => None,
    };
    Ok(RestoreOutcome {
        schema_version: target_version,
        tables: summaries,
        cleared: occupied,
        missing: tables
            .iter()
            .filter(|t| !wanted.contains_key(t.name.as_str()) && !is_ephemeral(&t.name))
            .map(|t| t.name.clone())
            .collect(),
        trail,
    })
}

/// Copies the rows of one table from `source`, converted to the target's columns.
async fn copy_rows(
    conn: &mut dyn SnapshotConnection,
    table: &Table,
    columns: &[&Column],
    expected: &TableSummary,
    source: &mut dyn RowSource,
) -> Result<()> {
    source.open_table(expected)?;
    let max_rows = (INSERT_BATCH_PARAMETERS / columns.len().max(1)).clamp(1, INSERT_BATCH_ROWS);
    let mut batch: Vec<Vec<Value>> = Vec::with_capacity(max_rows);
    let mut batch_bytes = 0;
    while let Some(row) = source.next_row()? {
        if row.len() != columns.len() {
            return Err(StoreError::Backup(format!(
                "a row of table `{}` in the backup has {} values for {} columns",
                table.name,
                row.len(),
                columns.len()
            )));
        }
        let mut converted = Vec::with_capacity(row.len());
        for (value, column) in row.into_iter().zip(columns) {
            batch_bytes += match &value {
                Value::Text(s) => s.len(),
                Value::Blob(b) => b.len(),
                _ => 8,
            };
            let value = column.kind.convert(value).map_err(|value| {
                StoreError::Backup(format!(
                    "table `{}`, column `{}`: cannot store {} in a {} column",
                    table.name,
                    column.name,
                    value.describe(),
                    column.kind.describe()
                ))
            })?;
            converted.push(value);
        }
        batch.push(converted);
        if batch.len() >= max_rows || batch_bytes >= INSERT_BATCH_BYTES {
            conn.insert(&table.name, columns, &batch).await?;
            batch.clear();
            batch_bytes = 0;
        }
    }
    if !batch.is_empty() {
        conn.insert(&table.name, columns, &batch).await?;
    }
    Ok(())
}

/// The audit trail as stored in the tables being restored.
async fn read_chain(
    conn: &mut dyn SnapshotConnection,
    tables: &[Table],
) -> Result<trail::TrailSnapshot> {
    let mut entries = Vec::new();
    let mut head = None;
    let mut checkpoints = Vec::new();
    if let Some(table) = tables.iter().find(|t| t.name == TRAIL_TABLE) {
        let columns: Vec<&Column> = table.columns.iter().collect();
        let names = table.column_names();
        conn.scan(table, &columns, &mut |row| {
            entries.push(audit_event_from_values(&names, row)?);
            Ok(())
        })
        .await?;
    }
    if let Some(table) = tables.iter().find(|t| t.name == TRAIL_HEAD_TABLE) {
        let columns: Vec<&Column> = table.columns.iter().collect();
        let names = table.column_names();
        conn.scan(table, &columns, &mut |row| {
            let row = NamedRow::new(&names, row);
            head = Some(ChainHead {
                seq: row.integer("seq")?,
                hash: row.text("hash")?,
                mac: row.text("mac")?,
            });
            Ok(())
        })
        .await?;
    }
    if let Some(table) = tables.iter().find(|t| t.name == TRAIL_CHECKPOINTS_TABLE) {
        let columns: Vec<&Column> = table.columns.iter().collect();
        let names = table.column_names();
        conn.scan(table, &columns, &mut |row| {
            let row = NamedRow::new(&names, row);
            checkpoints.push(trail::Checkpoint {
                seq: row.integer("seq")?,
                hash: row.text("hash")?,
                pruned: row.integer("pruned")?,
                created_at: row.integer("created_at")?,
                mac: row.text("mac")?,
            });
            Ok(())
        })
        .await?;
    }
    // Scanned in primary-key order; verification wants ascending `seq`.
    checkpoints.sort_by_key(|c| c.seq);
    Ok(trail::TrailSnapshot {
        entries,
        head,
        checkpoints,
    })
}

/// A row's values by column name, for the tables whose meaning this crate knows.
struct NamedRow<'a> {
    names: &'a [String],
    values: Vec<Value>,
}

impl<'a> NamedRow<'a> {
    fn new(names: &'a [String], values: Vec<Value>) -> Self {
        NamedRow { names, values }
    }

    fn get(&self, column: &str) -> Result<&Value> {
        self.names
            .iter()
            .position(|n| n == column)
            .and_then(|i| self.values.get(i))
            .ok_or_else(|| StoreError::Corrupt(format!("no column `{column}`")))
    }

    fn integer(&self, column: &str) -> Result<i64> {
        match self.get(column)? {
            Value::Integer(i) => Ok(*i),
            other => Err(StoreError::Corrupt(format!(
                "`{column}` holds {}, not an integer",
                other.describe()
            ))),
        }
    }

    fn optional_text(&self, column: &str) -> Result<Option<String>> {
        match self.get(column)? {
            Value::Null => Ok(None),
            Value::Text(s) => Ok(Some(s.clone())),
            other => Err(StoreError::Corrupt(format!(
                "`{column}` holds {}, not a text",
                other.describe()
            ))),
        }
    }

    fn text(&self, column: &str) -> Result<String> {
        self.optional_text(column)?
            .ok_or_else(|| StoreError::Corrupt(format!("`{column}` is NULL")))
    }
}

fn audit_event_from_values(names: &[String], values: Vec<Value>) -> Result<AuditEvent> {
    let row = NamedRow::new(names, values);
    Ok(AuditEvent {
        seq: row.integer("seq")?,
        event: NewAuditEvent {
            ts: row.integer("ts")?,
            tenant_id: row.optional_text("tenant_id")?,
            actor: row.text("actor")?,
            action: row.text("action")?,
            target: row.optional_text("target")?,
            outcome: row.text("outcome")?,
            detail: serde_json::from_str(&row.text("detail")?)?,
        },
        prev_hash: row.text("prev_hash")?,
        hash: row.text("hash")?,
        mac: row.text("mac")?,
    })
}

const APPLIED_MIGRATIONS: &str = "SELECT version FROM schema_migrations ORDER BY version";

/// SQLite inside a transaction of the caller.
pub(crate) struct SqliteSnapshot<'c>(pub(crate) &'c mut SqliteConnection);

#[async_trait::async_trait]
impl SnapshotConnection for SqliteSnapshot<'_> {
    fn backend(&self) -> Backend {
        Backend::Sqlite
    }

    async fn applied_migrations(&mut self) -> Result<Vec<i64>> {
        let rows = sqlx::query(APPLIED_MIGRATIONS)
            .fetch_all(&mut *self.0)
            .await?;
        rows.iter().map(|r| Ok(r.try_get::<i64, _>(0)?)).collect()
    }

    async fn table_names(&mut self) -> Result<Vec<String>> {
        let rows = sqlx::query("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .fetch_all(&mut *self.0)
            .await?;
        rows.iter()
            .map(|r| Ok(r.try_get::<String, _>(0)?))
            .collect()
    }

    async fn describe(&mut self, table: &str) -> Result<Table> {
        let rows = sqlx::query("SELECT name, type, pk FROM pragma_table_info(?1) ORDER BY cid")
            .bind(table)
            .fetch_all(&mut *self.0)
            .await?;
        let mut columns = Vec::new();
        let mut key = Vec::new();
        for row in &rows {
            let name: String = row.try_get(0)?;
            let declared: String = row.try_get(1)?;
            let pk: i64 = row.try_get(2)?;
            if pk > 0 {
                key.push((pk, name.clone()));
            }
            columns.push(Column {
                name,
                kind: ColumnKind::of_sqlite(&declared),
            });
        }
        key.sort();
        let parents = sqlx::query("SELECT DISTINCT \"table\" FROM pragma_foreign_key_list(?1)")
            .bind(table)
            .fetch_all(&mut *self.0)
            .await?
            .iter()
            .map(|r| r.try_get::<String, _>(0))
            .collect::<Result<BTreeSet<_>, _>>()?;
        Ok(Table {
            name: table.to_string(),
            columns,
            primary_key: key.into_iter().map(|(_, name)| name).collect(),
            parents,
        })
    }

    async fn scan(
        &mut self,
        table: &Table,
        columns: &[&Column],
        each: &mut (dyn FnMut(Vec<Value>) -> Result<()> + Send),
    ) -> Result<()> {
        // BINARY: texts in byte order, as PostgreSQL's "C" collation orders them.
        let order = table
            .order_columns()
            .iter()
            .map(|c| format!("{} COLLATE BINARY", quote(&c.name)))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT {} FROM {} ORDER BY {order}",
            column_list(columns),
            quote(&table.name)
        );
        let mut rows = sqlx::query(&sql).fetch(&mut *self.0);
        while let Some(row) = rows.try_next().await? {
            let values = (0..columns.len())
                .map(|i| sqlite_value(&row, i))
                .collect::<Result<Vec<_>>>()?;
            each(values)?;
        }
        Ok(())
    }

    async fn has_rows(&mut self, table: &str) -> Result<bool> {
        let sql = format!("SELECT EXISTS (SELECT 1 FROM {})", quote(table));
        Ok(sqlx::query(&sql)
            .fetch_one(&mut *self.0)
            .await?
            .try_get::<bool, _>(0)?)
    }

    async fn clear(&mut self, table: &str) -> Result<()> {
        sqlx::query(&format!("DELETE FROM {}", quote(table)))
            .execute(&mut *self.0)
            .await?;
        Ok(())
    }

    async fn insert(
        &mut self,
        table: &str,
        columns: &[&Column],
        rows: &[Vec<Value>],
    ) -> Result<()> {
        let mut q: QueryBuilder<Sqlite> = QueryBuilder::new(format!(
            "INSERT INTO {} ({}) ",
            quote(table),
            column_list(columns)
        ));
        q.push_values(rows, |mut b, row| {
            for value in row {
                match value {
                    Value::Null => b.push_bind(None::<i64>),
                    Value::Bool(v) => b.push_bind(i64::from(*v)),
                    Value::Integer(v) => b.push_bind(*v),
                    Value::Real(v) => b.push_bind(*v),
                    Value::Text(v) => b.push_bind(v.as_str()),
                    Value::Blob(v) => b.push_bind(v.as_slice()),
                };
            }
        });
        q.build().execute(&mut *self.0).await?;
        Ok(())
    }
}

/// A value by its storage class, which SQLite keeps per value, not per column.
fn sqlite_value(row: &SqliteRow, index: usize) -> Result<Value> {
    let raw = row.try_get_raw(index)?;
    if raw.is_null() {
        return Ok(Value::Null);
    }
    let class = raw.type_info().name().to_string();
    Ok(match class.as_str() {
        "INTEGER" => Value::Integer(row.try_get_unchecked(index)?),
        "REAL" => Value::Real(row.try_get_unchecked(index)?),
        "BLOB" => Value::Blob(row.try_get_unchecked(index)?),
        _ => Value::Text(row.try_get_unchecked(index)?),
    })
}

/// PostgreSQL inside a transaction of the caller, in the connection's current schema.
pub(crate) struct PostgresSnapshot<'c>(pub(crate) &'c mut PgConnection);

#[async_trait::async_trait]
impl SnapshotConnection for PostgresSnapshot<'_> {
    fn backend(&self) -> Backend {
        Backend::Postgres
    }

    async fn applied_migrations(&mut self) -> Result<Vec<i64>> {
        let rows = sqlx::query(APPLIED_MIGRATIONS)
            .fetch_all(&mut *self.0)
            .await?;
        rows.iter().map(|r| Ok(r.try_get::<i64, _>(0)?)).collect()
    }

    async fn table_names(&mut self) -> Result<Vec<String>> {
        let rows = sqlx::query(
            "SELECT table_name::text FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name",
        )
        .fetch_all(&mut *self.0)
        .await?;
        rows.iter()
            .map(|r| Ok(r.try_get::<String, _>(0)?))
            .collect()
    }

    async fn describe(&mut self, table: &str) -> Result<Table> {
        let columns = sqlx::query(
            "SELECT column_name::text, udt_name::text FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
        )
        .bind(table)
        .fetch_all(&mut *self.0)
        .await?
        .iter()
        .map(|r| {
            Ok(Column {
                name: r.try_get(0)?,
                kind: ColumnKind::of_postgres(&r.try_get::<String, _>(1)?),
            })
        })
        .collect::<Result<Vec<_>>>()?;
        let primary_key = sqlx::query(
            "SELECT k.column_name::text FROM information_schema.table_constraints c \
             JOIN information_schema.key_column_usage k \
               ON k.constraint_schema = c.constraint_schema AND k.constraint_name = c.constraint_name \
              AND k.table_name = c.table_name \
             WHERE c.table_schema = current_schema() AND c.table_name = $1 AND c.constraint_type = 'PRIMARY KEY' \
             ORDER BY k.ordinal_position",
        )
        .bind(table)
        .fetch_all(&mut *self.0)
        .await?
        .iter()
        .map(|r| r.try_get::<String, _>(0))
        .collect::<Result<Vec<_>, _>>()?;
        let parents = sqlx::query(
            "SELECT DISTINCT f.relname::text FROM pg_constraint k \
             JOIN pg_class c ON c.oid = k.conrelid JOIN pg_class f ON f.oid = k.confrelid \
             JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE k.contype = 'f' AND n.nspname = current_schema() AND c.relname = $1",
        )
        .bind(table)
        .fetch_all(&mut *self.0)
        .await?
        .iter()
        .map(|r| r.try_get::<String, _>(0))
        .collect::<Result<BTreeSet<_>, _>>()?;
        Ok(Table {
            name: table.to_string(),
            columns,
            primary_key,
            parents,
        })
    }

    async fn scan(
        &mut self,
        table: &Table,
        columns: &[&Column],
        each: &mut (dyn FnMut(Vec<Value>) -> Result<()> + Send),
    ) -> Result<()> {
        let select = columns
            .iter()
            .map(|c| match c.kind {
                ColumnKind::Other(_) => format!("{}::text", quote(&c.name)),
                _ => quote(&c.name),
            })
            .collect::<Vec<_>>()
            .join(", ");
        // "C": texts in byte order, as SQLite's BINARY collation orders them.
        let order = table
            .order_columns()
            .iter()
            .map(|c| match c.kind {
                ColumnKind::Text => format!("{} COLLATE \"C\"", quote(&c.name)),
                _ => quote(&c.name),
            })
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT {select} FROM {} ORDER BY {order}",
            quote(&table.name)
        );
        let mut rows = sqlx::query(&sql).fetch(&mut *self.0);
        while let Some(row) = rows.try_next().await? {
            let values = columns
                .iter()
                .enumerate()
                .map(|(i, c)| postgres_value(&row, i, &c.kind))
                .collect::<Result<Vec<_>>>()?;
            each(values)?;
        }
        Ok(())
    }

    async fn has_rows(&mut self, table: &str) -> Result<bool> {
        let sql = format!("SELECT EXISTS (SELECT 1 FROM {})", quote(table));
        Ok(sqlx::query(&sql)
            .fetch_one(&mut *self.0)
            .await?
            .try_get::<bool, _>(0)?)
    }

    async fn clear(&mut self, table: &str) -> Result<()> {
        sqlx::query(&format!("DELETE FROM {}", quote(table)))
            .execute(&mut *self.0)
            .await?;
        Ok(())
    }

    async fn insert(
        &mut self,
        table: &str,
        columns: &[&Column],
        rows: &[Vec<Value>],
    ) -> Result<()> {
        let mut q: QueryBuilder<Postgres> = QueryBuilder::new(format!(
            "INSERT INTO {} ({}) ",
            quote(table),
            column_list(columns)
        ));
        q.push_values(rows, |mut b, row| {
            for (value, column) in row.iter().zip(columns) {
                // Values are converted to the column's kind already; a NULL is bound
                // with the column's type.
                match (&column.kind, value) {
                    (ColumnKind::Boolean, v) => b.push_bind(match v {
                        Value::Bool(v) => Some(*v),
                        _ => None,
                    }),
                    (ColumnKind::SmallInt, v) => {
                        b.push_bind(integer(v).and_then(|i| i16::try_from(i).ok()))
                    }
                    (ColumnKind::Int, v) => {
                        b.push_bind(integer(v).and_then(|i| i32::try_from(i).ok()))
                    }
                    (ColumnKind::BigInt | ColumnKind::Any, v) => b.push_bind(integer(v)),
                    (ColumnKind::Float4, v) => b.push_bind(real(v).map(|f| f as f32)),
                    (ColumnKind::Real, v) => b.push_bind(real(v)),
                    (ColumnKind::Text, v) => b.push_bind(text(v)),
                    (ColumnKind::Blob, v) => b.push_bind(match v {
                        Value::Blob(v) => Some(v.as_slice()),
                        _ => None,
                    }),
                    (ColumnKind::Other(type_name), v) => {
                        b.push("CAST(")
                            .push_bind_unseparated(text(v))
                            .push_unseparated(format!(" AS {})", quote(type_name)));
                        &mut b
                    }
                };
            }
        });
        q.build().execute(&mut *self.0).await?;
        Ok(())
    }

    async fn reset_sequences(&mut self, table: &Table) -> Result<()> {
        for column in &table.columns {
            let sequence: Option<String> = sqlx::query("SELECT pg_get_serial_sequence($1, $2)")
                .bind(quote(&table.name))
                .bind(&column.name)
                .fetch_one(&mut *self.0)
                .await?
                .try_get(0)?;
            if let Some(sequence) = sequence {
                let sql = format!(
                    "SELECT setval($1, COALESCE((SELECT MAX({}) FROM {}), 0) + 1, false)",
                    quote(&column.name),
                    quote(&table.name)
                );
                sqlx::query(&sql)
                    .bind(sequence)
                    .execute(&mut *self.0)
                    .await?;
            }
        }
        Ok(())
    }
}

fn integer(value: &Value) -> Option<i64> {
    match value {
        Value::Integer(i) => Some(*i),
        Value::Bool(b) => Some(i64::from(*b)),
        _ => None,
    }
}

fn real(value: &Value) -> Option<f64> {
    match value {
        Value::Real(f) => Some(*f),
        _ => None,
    }
}

fn text(value: &Value) -> Option<&str> {
    match value {
        Value::Text(s) => Some(s.as_str()),
        _ => None,
    }
}

/// A value by the column's declared type (PostgreSQL types every value of a column).
fn postgres_value(row: &PgRow, index: usize, kind: &ColumnKind) -> Result<Value> {
    fn or_null<T>(value: Option<T>, wrap: impl FnOnce(T) -> Value) -> Value {
        value.map_or(Value::Null, wrap)
    }
    Ok(match kind {
        ColumnKind::Boolean => or_null(row.try_get::<Option<bool>, _>(index)?, Value::Bool),
        ColumnKind::SmallInt => or_null(row.try_get::<Option<i16>, _>(index)?, |v| {
            Value::Integer(v.into())
        }),
        ColumnKind::Int => or_null(row.try_get::<Option<i32>, _>(index)?, |v| {
            Value::Integer(v.into())
        }),
        ColumnKind::BigInt | ColumnKind::Any => {
            or_null(row.try_get::<Option<i64>, _>(index)?, Value::Integer)
        }
        ColumnKind::Float4 => or_null(row.try_get::<Option<f32>, _>(index)?, |v| {
            Value::Real(v.into())
        }),
        ColumnKind::Real => or_null(row.try_get::<Option<f64>, _>(index)?, Value::Real),
        ColumnKind::Text | ColumnKind::Other(_) => {
            or_null(row.try_get::<Option<String>, _>(index)?, Value::Text)
        }
        ColumnKind::Blob => or_null(row.try_get::<Option<Vec<u8>>, _>(index)?, Value::Blob),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(name: &str, parents: &[&str]) -> Table {
        Table {
            name: name.into(),
            columns: Vec::new(),
            primary_key: Vec::new(),
            parents: parents.iter().map(|p| p.to_string()).collect(),
        }
    }

    #[test]
    fn tables_come_after_the_tables_they_reference() {
        let ordered = foreign_key_order(vec![
            table("findings", &["audits", "tenants"]),
            table("audits", &["tenants", "source_blobs"]),
            table("tenants", &[]),
            table("source_blobs", &[]),
            table("nodes", &["nodes"]),
        ])
        .unwrap();
        let names: Vec<&str> = ordered.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(
            names,
            ["nodes", "source_blobs", "tenants", "audits", "findings"]
        );
        let cycle = foreign_key_order(vec![table("a", &["b"]), table("b", &["a"])]);
        assert!(
            matches!(cycle, Err(StoreError::Backup(m)) if m.contains("a, b") && m.contains("cycle"))
        );
    }

    #[test]
    fn checksums_normalize_booleans_and_see_every_value() {
        let columns = ["b".to_string(), "a".to_string()];
        let sum = |rows: &[[Value; 2]]| {
            let mut checksum = ContentChecksum::new(&columns);
            for row in rows {
                checksum.add_row(row);
            }
            checksum.finish()
        };
        let sqlite = sum(&[[Value::Integer(1), Value::Text("x".into())]]);
        let postgres = sum(&[[Value::Bool(true), Value::Text("x".into())]]);
        assert_eq!(sqlite, postgres);
        assert_ne!(sqlite, sum(&[[Value::Integer(0), Value::Text("x".into())]]));
        assert_ne!(sqlite, sum(&[[Value::Integer(1), Value::Text("y".into())]]));
        assert_ne!(sqlite, sum(&[[Value::Integer(1), Value::Null]]));
        // Texts are length-prefixed: moving a character between values changes the sum.
        assert_ne!(
            sum(&[[Value::Text("ab".into()), Value::Text("c".into())]]),
            sum(&[[Value::Text("a".into()), Value::Text("bc".into())]])
        );
        // The column names count, in sorted order.
        let mut renamed = ContentChecksum::new(&["b".to_string(), "c".to_string()]);
        renamed.add_row(&[Value::Integer(1), Value::Text("x".into())]);
        assert_ne!(sqlite, renamed.finish());
    }

    #[test]
    fn values_round_trip_through_json_and_convert_to_column_types() {
        for value in [
            Value::Null,
            Value::Bool(true),
            Value::Integer(-7),
            Value::Real(2.0),
            Value::Real(0.1),
            Value::Text("ü\"".into()),
            Value::Blob(vec![0, 255]),
        ] {
            let json = value.to_json().unwrap();
            assert_eq!(Value::from_json(&json).unwrap(), value, "{json}");
        }
        assert!(Value::Real(f64::NAN).to_json().is_err());
        assert!(Value::from_json(&serde_json::json!([1])).is_err());
        assert!(Value::from_json(&serde_json::json!(u64::MAX)).is_err());

        assert_eq!(
            ColumnKind::Boolean.convert(Value::Integer(1)),
            Ok(Value::Bool(true))
        );
        assert_eq!(
            ColumnKind::Boolean.convert(Value::Integer(2)),
            Err(Value::Integer(2))
        );
        assert_eq!(
            ColumnKind::of_sqlite("INTEGER").convert(Value::Bool(false)),
            Ok(Value::Integer(0))
        );
        assert_eq!(
            ColumnKind::Int.convert(Value::Integer(1 << 40)),
            Err(Value::Integer(1 << 40))
        );
        assert_eq!(
            ColumnKind::of_postgres("float8").convert(Value::Integer(3)),
            Ok(Value::Real(3.0))
        );
        assert_eq!(
            ColumnKind::Text.convert(Value::Integer(3)),
            Err(Value::Integer(3))
        );
        assert_eq!(
            ColumnKind::of_postgres("timestamptz").convert(Value::Integer(3)),
            Ok(Value::Text("3".into()))
        );
    }

    #[test]
    fn schema_versions_line_up_across_backends() {
        assert_eq!(schema_version(Backend::Sqlite, &[1, 2]), 2);
        assert_eq!(schema_version(Backend::Postgres, &[1]), 2);
        assert_eq!(schema_version(Backend::Postgres, &[1, 3, 4]), 4);
        assert_eq!(
            Backend::Sqlite.latest_schema_version(),
            Backend::Postgres.latest_schema_version()
        );
    }
}
