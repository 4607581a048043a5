/// Failures of the store. Database details stay in `Database` for logs; callers show a
/// generic message to users.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration {version} failed: {source}")]
    Migration { version: i64, source: sqlx::Error },
    /// The database was migrated by a newer release (it holds migrations this release does
    /// not have); nothing was applied or changed.
    #[error(
        "the database schema is newer than this release: it has migration(s) {} that this \
         release does not know (its last is {known}); run a release at least as new as the one \
         that last migrated it (docs/releases.md, \"Upgrading the service\")",
        unknown.iter().map(i64::to_string).collect::<Vec<_>>().join(", ")
    )]
    NewerSchema { unknown: Vec<i64>, known: i64 },
    #[error("{0}")]
    Unsupported(String),
    #[error("{0} already exists")]
    Conflict(&'static str),
    #[error("corrupt stored value: {0}")]
    Corrupt(String),
    /// A backup cannot be taken or restored as asked; nothing was written.
    #[error("{0}")]
    Backup(String),
    /// A restore found rows in a target it was not allowed to empty.
    #[error("the target database is not empty: {} hold rows", tables.join(", "))]
    NotEmpty { tables: Vec<String> },
    #[error("cannot prepare the database directory {path}: {source}")]
    Directory {
        path: String,
        source: std::io::Error,
    },
}

impl From<serde_json::Error> for StoreError {
    fn from(error: serde_json::Error) -> Self {
        StoreError::Corrupt(error.to_string())
    }
}
