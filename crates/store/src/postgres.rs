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

use std::collections::BTreeMap;
use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgListener, PgPool, PgPoolOptions, PgRow};
use sqlx::{Postgres, QueryBuilder, Row, Transaction};

use crate::trail::{self, ChainHead, Signer};
use crate::*;

mod chain_reads;
mod webhooks;

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
];

/// Notification channel for "work may be queued".
pub(crate) const JOBS_CHANNEL: &str = "web3audit_jobs";

/// Key of the advisory lock held while migrations run ("w3a-migr" in ASCII).
const MIGRATION_LOCK: i64 = 0x7733_612d_6d69_6772;

const AUDIT_COLUMNS: &str = "id, tenant_id, status, sources_hash, cache_key, options_json, timeout_secs, \
     source_bytes, file_count, idempotency_key, request_hash, created_by, created_at, started_at, \
     finished_at, error, attempts, from_cache, counts_json, project, target_chain, target_address, \
     target_block";

const FINDING_COLUMNS: &str = "id, audit_id, tenant_id, ordinal, detector, title, severity, confidence, file, \
     start_line, end_line, message, fingerprint, category, swc, triage_state";

const AUDIT_EVENT_COLUMNS: &str =
    "seq, ts, tenant_id, actor, action, target, outcome, detail, prev_hash, hash, mac";

/// PostgreSQL store: one connection pool shared by every request and worker of the
/// process.
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: PgPool,
    /// The `LISTEN` connection of this process's dispatcher, opened on first use.
    listener: std::sync::Arc<tokio::sync::Mutex<Option<PgListener>>>,
}

impl PostgresStore {
    /// Connects to a `postgres://` or `postgresql://` URL and applies pending migrations.
    /// Query parameters of the URL are those of libpq (`sslmode`, `options`, ...);
    /// `options[search_path]=SCHEMA` selects a schema other than `public`.
    pub async fn open(url: &str) -> Result<Self> {
        let options = PgConnectOptions::from_str(url)?;
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options)
            .await?;
        let store = PostgresStore {
            pool,
            listener: Default::default(),
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
        let result = self.migrate_locked(&mut conn).await;
        let unlocked = sqlx::query("SELECT pg_advisory_unlock($1)")
            .bind(MIGRATION_LOCK)
            .execute(&mut *conn)
            .await;
        result?;
        unlocked?;
        Ok(())
    }

    async fn migrate_locked(&self, conn: &mut sqlx::PgConnection) -> Result<()> {
        sqlx::query(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
        )
        .execute(&mut *conn)
        .await?;
        let rows = sqlx::query("SELECT version FROM schema_migrations ORDER BY version")
            .fetch_all(&mut *conn)
            .await?;
        let applied = rows
            .iter()
            .map(|r| r.try_get::<i64, _>(0))
            .collect::<Result<Vec<_>, _>>()?;
        for &(version, name, sql) in MIGRATIONS {
            if applied.contains(&version) {
                continue;
            }
            let mut tx = sqlx::Connection::begin(&mut *conn).await?;
            sqlx::raw_sql(sql)
                .execute(&mut *tx)
                .await
                .map_err(|source| StoreError::Migration { version, source })?;
            sqlx::query("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, (EXTRACT(EPOCH FROM now()) * 1000)::BIGINT)")
                .bind(version)
                .bind(name)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        }
        Ok(())
    }
}

/// Tells listening dispatchers that work may be queued (delivered at commit).
async fn notify_jobs(conn: &mut sqlx::PgConnection) -> Result<()> {
    sqlx::query("SELECT pg_notify($1, '')")
        .bind(JOBS_CHANNEL)
        .execute(conn)
        .await?;
    Ok(())
}

async fn listen(pool: &PgPool) -> Result<PgListener> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(JOBS_CHANNEL).await?;
    Ok(listener)
}

fn audit_from_row(row: &PgRow) -> Result<Audit> {
    let options: String = row.try_get("options_json")?;
    let counts: Option<String> = row.try_get("counts_json")?;
    Ok(Audit {
        id: row.try_get("id")?,
        tenant_id: row.try_get("tenant_id")?,
        status: row.try_get("status")?,
        sources_hash: row.try_get("sources_hash")?,
        cache_key: row.try_get("cache_key")?,
        options: serde_json::from_str(&options)?,
        timeout_secs: row.try_get("timeout_secs")?,
        source_bytes: row.try_get("source_bytes")?,
        file_count: row.try_get("file_count")?,
        idempotency_key: row.try_get("idempotency_key")?,
        request_hash: row.try_get("request_hash")?,
        created_by: row.try_get("created_by")?,
        created_at: row.try_get("created_at")?,
        started_at: row.try_get("started_at")?,
        finished_at: row.try_get("finished_at")?,
        error: row.try_get("error")?,
        attempts: row.try_get("attempts")?,
        from_cache: row.try_get("from_cache")?,
        counts: counts.map(|c| serde_json::from_str(&c)).transpose()?,
        project: row.try_get("project")?,
        target: target_from_row(row)?,
    })
}

/// The deployed contract of an audit, `None` for an audit of submitted sources.
fn target_from_row(row: &PgRow) -> Result<Option<AuditTarget>> {
    let chain: Option<String> = row.try_get("target_chain")?;
    let address: Option<String> = row.try_get("target_address")?;
    let block: Option<i64> = row.try_get("target_block")?;
    Ok(chain.zip(address).map(|(chain, address)| AuditTarget {
        chain,
        address,
        block: block.map(|b| b as u64),
    }))
}

fn finding_from_row(row: &PgRow) -> Result<Finding> {
    Ok(Finding {
        id: row.try_get("id")?,
        audit_id: row.try_get("audit_id")?,
        tenant_id: row.try_get("tenant_id")?,
        ordinal: row.try_get("ordinal")?,
        data: FindingData {
            detector: row.try_get("detector")?,
            title: row.try_get("title")?,
            severity: row.try_get("severity")?,
            confidence: row.try_get("confidence")?,
            file: row.try_get("file")?,
            start_line: row.try_get::<i64, _>("start_line")? as u32,
            end_line: row.try_get::<i64, _>("end_line")? as u32,
            message: row.try_get("message")?,
            fingerprint: row.try_get("fingerprint")?,
            category: row.try_get("category")?,
            swc: row.try_get("swc")?,
        },
        triage_state: row.try_get("triage_state")?,
    })
}

fn tenant_from_row(row: &PgRow) -> Result<Tenant> {
    Ok(Tenant {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        plan: row.try_get("plan")?,
        is_operator: row.try_get("is_operator")?,
        created_at: row.try_get("created_at")?,
    })
}

fn user_from_row(row: &PgRow) -> Result<User> {
    Ok(User {
        id: row.try_get("id")?,
        tenant_id: row.try_get("tenant_id")?,
        email: row.try_get("email")?,
        password_hash: row.try_get("password_hash")?,
        role: row.try_get("role")?,
        disabled: row.try_get("disabled")?,
        created_at: row.try_get("created_at")?,
    })
}

fn api_key_from_row(row: &PgRow) -> Result<ApiKey> {
    Ok(ApiKey {
        id: row.try_get("id")?,
        tenant_id: row.try_get("tenant_id")?,
        user_id: row.try_get("user_id")?,
        name: row.try_get("name")?,
        role: row.try_get("role")?,
        prefix: row.try_get("prefix")?,
        secret_hash: row.try_get("secret_hash")?,
        created_at: row.try_get("created_at")?,
        revoked_at: row.try_get("revoked_at")?,
    })
}

fn triage_event_from_row(row: &PgRow) -> Result<TriageEvent> {
    Ok(TriageEvent {
        id: row.try_get("id")?,
        finding_id: row.try_get("finding_id")?,
        fingerprint: row.try_get("fingerprint")?,
        from_state: row.try_get("from_state")?,
        to_state: row.try_get("to_state")?,
        comment: row.try_get("comment")?,
        actor: row.try_get("actor")?,
        created_at: row.try_get("created_at")?,
    })
}

fn audit_event_from_row(row: &PgRow) -> Result<AuditEvent> {
    let detail: String = row.try_get("detail")?;
    Ok(AuditEvent {
        seq: row.try_get("seq")?,
        event: NewAuditEvent {
            ts: row.try_get("ts")?,
            tenant_id: row.try_get("tenant_id")?,
            actor: row.try_get("actor")?,
            action: row.try_get("action")?,
            target: row.try_get("target")?,
            outcome: row.try_get("outcome")?,
            detail: serde_json::from_str(&detail)?,
        },
        prev_hash: row.try_get("prev_hash")?,
        hash: row.try_get("hash")?,
        mac: row.try_get("mac")?,
    })
}

fn dashboard_session_from_row(row: &PgRow) -> Result<DashboardSession> {
    Ok(DashboardSession {
        token_hash: row.try_get("token_hash")?,
        tenant_id: row.try_get("tenant_id")?,
        user_id: row.try_get("user_id")?,
        created_at: row.try_get("created_at")?,
        expires_at: row.try_get("expires_at")?,
        revoked_at: row.try_get("revoked_at")?,
    })
}

fn is_unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(db) if db.is_unique_violation())
}

fn severity_counts(findings: &[FindingData]) -> BTreeMap<String, i64> {
    let mut counts: BTreeMap<String, i64> = ["critical", "high", "medium", "low", "informational"]
        .iter()
        .map(|s| (s.to_string(), 0))
        .collect();
    for finding in findings {
        *counts.entry(finding.severity.clone()).or_default() += 1;
    }
    counts
}

async fn insert_findings(
    tx: &mut Transaction<'_, Postgres>,
    audit_id: &str,
    tenant_id: &str,
    findings: &[FindingData],
) -> Result<()> {
    // Only called while the audit moves into `succeeded` (once, under its lease), so the
    // audit has no findings yet; a plain INSERT makes any violation of that loud.
    for (ordinal, f) in findings.iter().enumerate() {
        sqlx::query(
            "INSERT INTO findings (id, audit_id, tenant_id, ordinal, detector, title, severity, confidence, file, \
             start_line, end_line, message, fingerprint, category, swc, triage_state) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, \
             COALESCE((SELECT state FROM triage_states WHERE tenant_id = $16 AND fingerprint = $17), 'open'))",
        )
        .bind(format!("{audit_id}-f{ordinal}"))
        .bind(audit_id)
        .bind(tenant_id)
        .bind(ordinal as i64)
        .bind(&f.detector)
        .bind(&f.title)
        .bind(&f.severity)
        .bind(&f.confidence)
        .bind(&f.file)
        .bind(i64::from(f.start_line))
        .bind(i64::from(f.end_line))
        .bind(&f.message)
        .bind(&f.fingerprint)
        .bind(&f.category)
        .bind(&f.swc)
        .bind(tenant_id)
        .bind(&f.fingerprint)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

async fn upsert_cache(
    tx: &mut Transaction<'_, Postgres>,
    analysis: &CachedAnalysis,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO analysis_cache (cache_key, analyzer_version, findings_json, reports_json, created_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (cache_key) DO UPDATE SET analyzer_version = EXCLUDED.analyzer_version, \
         findings_json = EXCLUDED.findings_json, reports_json = EXCLUDED.reports_json, created_at = EXCLUDED.created_at",
    )
    .bind(&analysis.cache_key)
    .bind(&analysis.analyzer_version)
    .bind(serde_json::to_string(&analysis.findings)?)
    .bind(serde_json::to_string(&analysis.reports)?)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Appends one entry to the hash chain inside `tx`, holding the chain lock until it
/// commits.
async fn append_in(
    tx: &mut Transaction<'_, Postgres>,
    event: &NewAuditEvent,
    signer: &Signer,
) -> Result<AuditEvent> {
    // One chain for every process: appenders queue on this lock (it conflicts with
    // itself, not with readers) until the transaction that holds it commits.
    sqlx::query("LOCK TABLE audit_log_head IN EXCLUSIVE MODE")
        .execute(&mut **tx)
        .await?;
    let head = sqlx::query("SELECT seq, hash FROM audit_log_head WHERE id = 1")
        .fetch_optional(&mut **tx)
        .await?;
    let (prev_seq, prev_hash) = match head {
        Some(row) => (row.try_get::<i64, _>(0)?, row.try_get::<String, _>(1)?),
        None => (0, trail::GENESIS.to_string()),
    };
    let seq = prev_seq + 1;
    let hash = trail::link_hash(&prev_hash, seq, event);
    let mac = signer.mac(&hash);
    sqlx::query(&format!(
        "INSERT INTO audit_log ({AUDIT_EVENT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
    ))
    .bind(seq)
    .bind(event.ts)
    .bind(&event.tenant_id)
    .bind(&event.actor)
    .bind(&event.action)
    .bind(&event.target)
    .bind(&event.outcome)
    .bind(event.detail.to_string())
    .bind(&prev_hash)
    .bind(&hash)
    .bind(&mac)
    .execute(&mut **tx)
    .await?;
    sqlx::query(
        "INSERT INTO audit_log_head (id, seq, hash, mac) VALUES (1, $1, $2, $3) \
         ON CONFLICT (id) DO UPDATE SET seq = EXCLUDED.seq, hash = EXCLUDED.hash, mac = EXCLUDED.mac",
    )
    .bind(seq)
    .bind(&hash)
    .bind(signer.mac(&trail::head_message(seq, &hash)))
    .execute(&mut **tx)
    .await?;
    Ok(AuditEvent {
        seq,
        event: event.clone(),
        prev_hash,
        hash,
        mac,
    })
}

#[async_trait::async_trait]
impl Store for PostgresStore {
    fn is_shared(&self) -> bool {
        true
    }

    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn migration_versions(&self) -> Result<Vec<i64>> {
        let rows = sqlx::query("SELECT version FROM schema_migrations ORDER BY version")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| Ok(r.try_get::<i64, _>(0)?)).collect()
    }

    async fn create_tenant(&self, tenant: &Tenant) -> Result<()> {
        sqlx::query(
            "INSERT INTO tenants (id, name, plan, is_operator, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&tenant.id)
        .bind(&tenant.name)
        .bind(&tenant.plan)
        .bind(tenant.is_operator)
        .bind(tenant.created_at)
        .execute(&self.pool)
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                StoreError::Conflict("tenant")
            } else {
                e.into()
            }
        })?;
        Ok(())
    }

    async fn get_tenant(&self, id: &str) -> Result<Option<Tenant>> {
        let row = sqlx::query("SELECT * FROM tenants WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(tenant_from_row).transpose()
    }

    async fn list_tenants(&self) -> Result<Vec<Tenant>> {
        let rows = sqlx::query("SELECT * FROM tenants ORDER BY created_at, id")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(tenant_from_row).collect()
    }

    async fn update_tenant_plan(&self, id: &str, plan: &str) -> Result<Option<Tenant>> {
        sqlx::query("UPDATE tenants SET plan = $1 WHERE id = $2")
            .bind(plan)
            .bind(id)
            .execute(&self.pool)
            .await?;
        let row = sqlx::query("SELECT * FROM tenants WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(tenant_from_row).transpose()
    }

    async fn create_user(&self, user: &User) -> Result<()> {
        sqlx::query(
            "INSERT INTO users (id, tenant_id, email, password_hash, role, disabled, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&user.id)
        .bind(&user.tenant_id)
        .bind(&user.email)
        .bind(&user.password_hash)
        .bind(&user.role)
        .bind(user.disabled)
        .bind(user.created_at)
        .execute(&self.pool)
        .await
        .map_err(|e| if is_unique_violation(&e) { StoreError::Conflict("user") } else { e.into() })?;
        Ok(())
    }

    async fn get_user(&self, tenant_id: &str, id: &str) -> Result<Option<User>> {
        let row = sqlx::query("SELECT * FROM users WHERE tenant_id = $1 AND id = $2")
            .bind(tenant_id)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    async fn find_user_by_email(&self, email: &str) -> Result<Option<User>> {
        let row = sqlx::query("SELECT * FROM users WHERE email = $1")
            .bind(email)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    async fn list_users(&self, tenant_id: &str) -> Result<Vec<User>> {
        let rows = sqlx::query("SELECT * FROM users WHERE tenant_id = $1 ORDER BY created_at, id")
            .bind(tenant_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(user_from_row).collect()
    }

    async fn update_user(
        &self,
        tenant_id: &str,
        id: &str,
        update: &UserUpdate,
    ) -> Result<Option<User>> {
        let mut tx = self.pool.begin().await?;
        if let Some(role) = &update.role {
            sqlx::query("UPDATE users SET role = $1 WHERE tenant_id = $2 AND id = $3")
                .bind(role)
                .bind(tenant_id)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        if let Some(disabled) = update.disabled {
            sqlx::query("UPDATE users SET disabled = $1 WHERE tenant_id = $2 AND id = $3")
                .bind(disabled)
                .bind(tenant_id)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        if let Some(hash) = &update.password_hash {
            sqlx::query("UPDATE users SET password_hash = $1 WHERE tenant_id = $2 AND id = $3")
                .bind(hash)
                .bind(tenant_id)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        let row = sqlx::query("SELECT * FROM users WHERE tenant_id = $1 AND id = $2")
            .bind(tenant_id)
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
        tx.commit().await?;
        row.as_ref().map(user_from_row).transpose()
    }

    async fn create_api_key(&self, key: &ApiKey) -> Result<()> {
        sqlx::query(
            "INSERT INTO api_keys (id, tenant_id, user_id, name, role, prefix, secret_hash, created_at, revoked_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&key.id)
        .bind(&key.tenant_id)
        .bind(&key.user_id)
        .bind(&key.name)
        .bind(&key.role)
        .bind(&key.prefix)
        .bind(&key.secret_hash)
        .bind(key.created_at)
        .bind(key.revoked_at)
        .execute(&self.pool)
        .await
        .map_err(|e| if is_unique_violation(&e) { StoreError::Conflict("api key") } else { e.into() })?;
        Ok(())
    }

    async fn find_api_key_by_prefix(&self, prefix: &str) -> Result<Option<ApiKey>> {
        let row = sqlx::query("SELECT * FROM api_keys WHERE prefix = $1")
            .bind(prefix)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(api_key_from_row).transpose()
    }

    async fn list_api_keys(&self, tenant_id: &str) -> Result<Vec<ApiKey>> {
        let rows =
            sqlx::query("SELECT * FROM api_keys WHERE tenant_id = $1 ORDER BY created_at, id")
                .bind(tenant_id)
                .fetch_all(&self.pool)
                .await?;
        rows.iter().map(api_key_from_row).collect()
    }

    async fn revoke_api_key(&self, tenant_id: &str, id: &str, now: i64) -> Result<Option<ApiKey>> {
        sqlx::query("UPDATE api_keys SET revoked_at = $1 WHERE tenant_id = $2 AND id = $3 AND revoked_at IS NULL")
            .bind(now)
            .bind(tenant_id)
            .bind(id)
            .execute(&self.pool)
            .await?;
        let row = sqlx::query("SELECT * FROM api_keys WHERE tenant_id = $1 AND id = $2")
            .bind(tenant_id)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(api_key_from_row).transpose()
    }

    async fn insert_audit(
        &self,
        audit: &NewAudit,
        sources_json: &str,
        cached: Option<&CachedAnalysis>,
    ) -> Result<InsertedAudit> {
        let mut tx = self.pool.begin().await?;
        if let Some(key) = &audit.idempotency_key {
            let existing = sqlx::query(&format!(
                "SELECT {AUDIT_COLUMNS} FROM audits WHERE tenant_id = $1 AND idempotency_key = $2"
            ))
            .bind(&audit.tenant_id)
            .bind(key)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(row) = existing {
                return Ok(InsertedAudit::Existing(audit_from_row(&row)?));
            }
        }
        sqlx::query("INSERT INTO source_blobs (hash, content) VALUES ($1, $2) ON CONFLICT (hash) DO NOTHING")
            .bind(&audit.sources_hash)
            .bind(sources_json)
            .execute(&mut *tx)
            .await?;
        let (status, started, finished, counts) = match cached {
            Some(c) => (
                STATUS_SUCCEEDED,
                Some(audit.created_at),
                Some(audit.created_at),
                Some(serde_json::to_string(&severity_counts(&c.findings))?),
            ),
            None => (STATUS_QUEUED, None, None, None),
        };
        let inserted = sqlx::query(
            "INSERT INTO audits (id, tenant_id, status, sources_hash, cache_key, options_json, timeout_secs, source_bytes, \
             file_count, idempotency_key, request_hash, created_by, created_at, started_at, finished_at, from_cache, counts_json, project, \
             target_chain, target_address, target_block) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)",
        )
        .bind(&audit.id)
        .bind(&audit.tenant_id)
        .bind(status)
        .bind(&audit.sources_hash)
        .bind(&audit.cache_key)
        .bind(serde_json::to_string(&audit.options)?)
        .bind(audit.timeout_secs)
        .bind(audit.source_bytes)
        .bind(audit.file_count)
        .bind(&audit.idempotency_key)
        .bind(&audit.request_hash)
        .bind(&audit.created_by)
        .bind(audit.created_at)
        .bind(started)
        .bind(finished)
        .bind(cached.is_some())
        .bind(counts)
        .bind(&audit.project)
        .bind(audit.target.as_ref().map(|t| &t.chain))
        .bind(audit.target.as_ref().map(|t| &t.address))
        .bind(audit.target.as_ref().and_then(|t| t.block).map(|b| b as i64))
        .execute(&mut *tx)
        .await;
        if let Err(error) = inserted {
            // Another node inserted the same idempotency key since the look-up above.
            if let (Some(key), true) = (&audit.idempotency_key, is_unique_violation(&error)) {
                tx.rollback().await?;
                let row = sqlx::query(&format!(
                    "SELECT {AUDIT_COLUMNS} FROM audits WHERE tenant_id = $1 AND idempotency_key = $2"
                ))
                .bind(&audit.tenant_id)
                .bind(key)
                .fetch_one(&self.pool)
                .await?;
                return Ok(InsertedAudit::Existing(audit_from_row(&row)?));
            }
            return Err(error.into());
        }
        if let Some(c) = cached {
            insert_findings(&mut tx, &audit.id, &audit.tenant_id, &c.findings).await?;
        } else {
            notify_jobs(&mut tx).await?;
        }
        let row = sqlx::query(&format!("SELECT {AUDIT_COLUMNS} FROM audits WHERE id = $1"))
            .bind(&audit.id)
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(InsertedAudit::Created(audit_from_row(&row)?))
    }

    async fn get_audit(&self, tenant_id: &str, id: &str) -> Result<Option<Audit>> {
        let row = sqlx::query(&format!(
            "SELECT {AUDIT_COLUMNS} FROM audits WHERE tenant_id = $1 AND id = $2"
        ))
        .bind(tenant_id)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(audit_from_row).transpose()
    }

    async fn list_audits(&self, tenant_id: &str, filter: &AuditFilter) -> Result<Vec<Audit>> {
        let mut q: QueryBuilder<Postgres> = QueryBuilder::new(format!(
            "SELECT {AUDIT_COLUMNS} FROM audits WHERE tenant_id = "
        ));
        q.push_bind(tenant_id);
        if let Some(status) = &filter.status {
            q.push(" AND status = ").push_bind(status);
        }
        if let Some(by) = &filter.created_by {
            q.push(" AND created_by = ").push_bind(by);
        }
        if let Some(after) = filter.created_after {
            q.push(" AND created_at >= ").push_bind(after);
        }
        if let Some(before) = filter.created_before {
            q.push(" AND created_at < ").push_bind(before);
        }
        if let Some(id) = &filter.before_id {
            q.push(" AND id < ").push_bind(id);
        }
        q.push(" ORDER BY id DESC LIMIT ").push_bind(filter.limit);
        let rows = q.build().fetch_all(&self.pool).await?;
        rows.iter().map(audit_from_row).collect()
    }

    async fn count_audits_since(&self, tenant_id: &str, since: i64) -> Result<i64> {
        Ok(
            sqlx::query("SELECT COUNT(*) FROM audits WHERE tenant_id = $1 AND created_at >= $2")
                .bind(tenant_id)
                .bind(since)
                .fetch_one(&self.pool)
                .await?
                .try_get(0)?,
        )
    }

    async fn stored_source_bytes(&self, tenant_id: &str) -> Result<i64> {
        Ok(sqlx::query(
            "SELECT COALESCE(SUM(source_bytes), 0)::BIGINT FROM audits WHERE tenant_id = $1",
        )
        .bind(tenant_id)
        .fetch_one(&self.pool)
        .await?
        .try_get(0)?)
    }

    async fn cancel_audit(&self, tenant_id: &str, id: &str, now: i64) -> Result<Option<Audit>> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "UPDATE audits SET status = 'cancelled', finished_at = $1, lease_owner = NULL, lease_expires_at = NULL \
             WHERE tenant_id = $2 AND id = $3 AND status IN ('queued', 'running')",
        )
        .bind(now)
        .bind(tenant_id)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        let row = sqlx::query(&format!(
            "SELECT {AUDIT_COLUMNS} FROM audits WHERE tenant_id = $1 AND id = $2"
        ))
        .bind(tenant_id)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        tx.commit().await?;
        row.as_ref().map(audit_from_row).transpose()
    }

    async fn claim_next(
        &self,
        owner: &str,
        now: i64,
        lease_until: i64,
    ) -> Result<Option<ClaimedJob>> {
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query(&format!(
            "UPDATE audits SET status = 'running', lease_owner = $1, lease_expires_at = $2, started_at = $3, attempts = attempts + 1 \
             WHERE id = (SELECT id FROM audits WHERE status = 'queued' ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED) \
             RETURNING {AUDIT_COLUMNS}"
        ))
        .bind(owner)
        .bind(lease_until)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            tx.commit().await?;
            return Ok(None);
        };
        let audit = audit_from_row(&row)?;
        let sources_json: String = sqlx::query("SELECT content FROM source_blobs WHERE hash = $1")
            .bind(&audit.sources_hash)
            .fetch_one(&mut *tx)
            .await?
            .try_get(0)?;
        tx.commit().await?;
        Ok(Some(ClaimedJob {
            audit,
            sources_json,
        }))
    }

    async fn heartbeat(&self, id: &str, owner: &str, lease_until: i64) -> Result<bool> {
        let done = sqlx::query("UPDATE audits SET lease_expires_at = $1 WHERE id = $2 AND status = 'running' AND lease_owner = $3")
            .bind(lease_until)
            .bind(id)
            .bind(owner)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn complete(
        &self,
        id: &str,
        owner: &str,
        now: i64,
        outcome: &JobOutcome,
    ) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        let (status, error, counts) = match outcome {
            JobOutcome::Succeeded(a) => (
                STATUS_SUCCEEDED,
                None,
                Some(serde_json::to_string(&severity_counts(&a.findings))?),
            ),
            JobOutcome::Failed(e) => (STATUS_FAILED, Some(e.as_str()), None),
            JobOutcome::TimedOut(e) => (STATUS_TIMED_OUT, Some(e.as_str()), None),
        };
        let updated = sqlx::query(
            "UPDATE audits SET status = $1, finished_at = $2, error = $3, counts_json = $4, lease_owner = NULL, lease_expires_at = NULL \
             WHERE id = $5 AND status = 'running' AND lease_owner = $6 RETURNING tenant_id",
        )
        .bind(status)
        .bind(now)
        .bind(error)
        .bind(counts)
        .bind(id)
        .bind(owner)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = updated else {
            tx.rollback().await?;
            return Ok(false);
        };
        let tenant_id: String = row.try_get(0)?;
        if let JobOutcome::Succeeded(analysis) = outcome {
            insert_findings(&mut tx, id, &tenant_id, &analysis.findings).await?;
            upsert_cache(&mut tx, analysis, now).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    async fn requeue_running(&self, owner: Option<&str>) -> Result<u64> {
        let mut q: QueryBuilder<Postgres> = QueryBuilder::new(
            "UPDATE audits SET status = 'queued', lease_owner = NULL, lease_expires_at = NULL, started_at = NULL WHERE status = 'running'",
        );
        if let Some(owner) = owner {
            q.push(" AND lease_owner = ").push_bind(owner);
        }
        let requeued = q.build().execute(&self.pool).await?.rows_affected();
        if requeued > 0 {
            notify_jobs(&mut *self.pool.acquire().await?).await?;
        }
        Ok(requeued)
    }

    async fn requeue_expired(&self, now: i64) -> Result<u64> {
        let requeued = sqlx::query(
            "UPDATE audits SET status = 'queued', lease_owner = NULL, lease_expires_at = NULL, started_at = NULL \
             WHERE status = 'running' AND lease_expires_at < $1",
        )
        .bind(now)
        .execute(&self.pool)
        .await?
        .rows_affected();
        if requeued > 0 {
            notify_jobs(&mut *self.pool.acquire().await?).await?;
        }
        Ok(requeued)
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

    async fn queue_depth(&self) -> Result<i64> {
        Ok(
            sqlx::query("SELECT COUNT(*) FROM audits WHERE status = 'queued'")
                .fetch_one(&self.pool)
                .await?
                .try_get(0)?,
        )
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

    async fn prune_rate_buckets(&self, idle_before: i64) -> Result<u64> {
        Ok(
            sqlx::query("DELETE FROM rate_limit_buckets WHERE updated_at < $1")
                .bind(idle_before)
                .execute(&self.pool)
                .await?
                .rows_affected(),
        )
    }

    async fn get_cached(&self, cache_key: &str) -> Result<Option<CachedAnalysis>> {
        let row = sqlx::query("SELECT * FROM analysis_cache WHERE cache_key = $1")
            .bind(cache_key)
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else { return Ok(None) };
        let findings: String = row.try_get("findings_json")?;
        let reports: String = row.try_get("reports_json")?;
        Ok(Some(CachedAnalysis {
            cache_key: row.try_get("cache_key")?,
            analyzer_version: row.try_get("analyzer_version")?,
            findings: serde_json::from_str(&findings)?,
            reports: serde_json::from_str(&reports)?,
        }))
    }

    async fn list_findings(
        &self,
        tenant_id: &str,
        audit_id: &str,
        filter: &FindingFilter,
    ) -> Result<Vec<Finding>> {
        let mut q: QueryBuilder<Postgres> = QueryBuilder::new(format!(
            "SELECT {FINDING_COLUMNS} FROM findings WHERE tenant_id = "
        ));
        q.push_bind(tenant_id)
            .push(" AND audit_id = ")
            .push_bind(audit_id);
        if let Some(v) = &filter.severity {
            q.push(" AND severity = ").push_bind(v);
        }
        if let Some(v) = &filter.detector {
            q.push(" AND detector = ").push_bind(v);
        }
        if let Some(v) = &filter.triage_state {
            q.push(" AND triage_state = ").push_bind(v);
        }
        if let Some(v) = filter.after_ordinal {
            q.push(" AND ordinal > ").push_bind(v);
        }
        q.push(" ORDER BY ordinal LIMIT ").push_bind(filter.limit);
        let rows = q.build().fetch_all(&self.pool).await?;
        rows.iter().map(finding_from_row).collect()
    }

    async fn get_finding(&self, tenant_id: &str, id: &str) -> Result<Option<Finding>> {
        let row = sqlx::query(&format!(
            "SELECT {FINDING_COLUMNS} FROM findings WHERE tenant_id = $1 AND id = $2"
        ))
        .bind(tenant_id)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(finding_from_row).transpose()
    }

    async fn triage_finding(
        &self,
        tenant_id: &str,
        id: &str,
        event: &NewTriageEvent,
    ) -> Result<Option<(Finding, TriageEvent)>> {
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query(&format!(
            "SELECT {FINDING_COLUMNS} FROM findings WHERE tenant_id = $1 AND id = $2"
        ))
        .bind(tenant_id)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let mut finding = finding_from_row(&row)?;
        let stored = TriageEvent {
            id: event.id.clone(),
            finding_id: finding.id.clone(),
            fingerprint: finding.data.fingerprint.clone(),
            from_state: finding.triage_state.clone(),
            to_state: event.to_state.clone(),
            comment: event.comment.clone(),
            actor: event.actor.clone(),
            created_at: event.created_at,
        };
        // The state belongs to the fingerprint, so it carries over to every scan.
        sqlx::query(
            "UPDATE findings SET triage_state = $1 WHERE tenant_id = $2 AND fingerprint = $3",
        )
        .bind(&event.to_state)
        .bind(tenant_id)
        .bind(&finding.data.fingerprint)
        .execute(&mut *tx)
        .await?;
        sqlx::query("INSERT INTO triage_states (tenant_id, fingerprint, state, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (tenant_id, fingerprint) DO UPDATE SET state = EXCLUDED.state, updated_at = EXCLUDED.updated_at")
            .bind(tenant_id)
            .bind(&finding.data.fingerprint)
            .bind(&event.to_state)
            .bind(event.created_at)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO triage_events (id, tenant_id, finding_id, fingerprint, from_state, to_state, comment, actor, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&stored.id)
        .bind(tenant_id)
        .bind(&stored.finding_id)
        .bind(&stored.fingerprint)
        .bind(&stored.from_state)
        .bind(&stored.to_state)
        .bind(&stored.comment)
        .bind(&stored.actor)
        .bind(stored.created_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        finding.triage_state = event.to_state.clone();
        Ok(Some((finding, stored)))
    }

    async fn list_triage_events(
        &self,
        tenant_id: &str,
        fingerprint: &str,
    ) -> Result<Vec<TriageEvent>> {
        let rows = sqlx::query("SELECT * FROM triage_events WHERE tenant_id = $1 AND fingerprint = $2 ORDER BY created_at, id")
            .bind(tenant_id)
            .bind(fingerprint)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(triage_event_from_row).collect()
    }

    async fn append_audit_event(
        &self,
        event: &NewAuditEvent,
        signer: &Signer,
    ) -> Result<AuditEvent> {
        let mut tx = self.pool.begin().await?;
        let appended = append_in(&mut tx, event, signer).await?;
        tx.commit().await?;
        Ok(appended)
    }

    async fn list_audit_events(&self, filter: &AuditEventFilter) -> Result<Vec<AuditEvent>> {
        let mut q: QueryBuilder<Postgres> = QueryBuilder::new(format!(
            "SELECT {AUDIT_EVENT_COLUMNS} FROM audit_log WHERE 1 = 1"
        ));
        if let Some(v) = &filter.tenant_id {
            q.push(" AND tenant_id = ").push_bind(v);
        }
        if let Some(v) = &filter.action {
            q.push(" AND action = ").push_bind(v);
        }
        if let Some(v) = &filter.actor {
            q.push(" AND actor = ").push_bind(v);
        }
        if let Some(v) = filter.since {
            q.push(" AND ts >= ").push_bind(v);
        }
        if let Some(v) = filter.before_seq {
            q.push(" AND seq < ").push_bind(v);
        }
        q.push(" ORDER BY seq DESC LIMIT ").push_bind(filter.limit);
        let rows = q.build().fetch_all(&self.pool).await?;
        rows.iter().map(audit_event_from_row).collect()
    }

    async fn audit_chain(&self) -> Result<(Vec<AuditEvent>, Option<ChainHead>)> {
        let mut tx = self.pool.begin().await?;
        // Entries and head from one snapshot, even while other nodes append.
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .execute(&mut *tx)
            .await?;
        let rows = sqlx::query(&format!(
            "SELECT {AUDIT_EVENT_COLUMNS} FROM audit_log ORDER BY seq"
        ))
        .fetch_all(&mut *tx)
        .await?;
        let head = sqlx::query("SELECT seq, hash, mac FROM audit_log_head WHERE id = 1")
            .fetch_optional(&mut *tx)
            .await?;
        tx.commit().await?;
        let entries = rows
            .iter()
            .map(audit_event_from_row)
            .collect::<Result<Vec<_>>>()?;
        let head = head
            .map(|r| -> Result<ChainHead> {
                Ok(ChainHead {
                    seq: r.try_get(0)?,
                    hash: r.try_get(1)?,
                    mac: r.try_get(2)?,
                })
            })
            .transpose()?;
        Ok((entries, head))
    }

    // Retention. Batches are bounded by `limit`; two processes sweeping at once take
    // disjoint audits (SKIP LOCKED) and serialize trail pruning on the chain lock.
    async fn prune_audits(&self, finished_before: i64, limit: i64) -> Result<PrunedAudits> {
        let mut tx = self.pool.begin().await?;
        let ids: Vec<String> = sqlx::query_scalar(&retention::numbered(&format!(
            "SELECT a.id FROM audits a WHERE {} ORDER BY a.finished_at, a.id LIMIT ? FOR UPDATE SKIP LOCKED",
            retention::PRUNABLE_AUDIT
        )))
        .bind(finished_before)
        .bind(limit)
        .fetch_all(&mut *tx)
        .await?;
        if ids.is_empty() {
            tx.rollback().await?;
            return Ok(PrunedAudits::default());
        }
        let triage_events = sqlx::query(
            "DELETE FROM triage_events WHERE finding_id IN (SELECT id FROM findings WHERE audit_id = ANY($1))",
        )
        .bind(&ids)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let findings = sqlx::query("DELETE FROM findings WHERE audit_id = ANY($1)")
            .bind(&ids)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        let audits = sqlx::query(
            "DELETE FROM audits WHERE id = ANY($1) AND status NOT IN ('queued', 'running')",
        )
        .bind(&ids)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(PrunedAudits {
            audits,
            findings,
            triage_events,
            ..PrunedAudits::default()
        })
    }

    async fn prune_unreferenced(&self, limit: i64) -> Result<PrunedAudits> {
        let source_blobs = sqlx::query(&retention::numbered(retention::DELETE_UNREFERENCED_BLOBS))
            .bind(limit)
            .execute(&self.pool)
            .await?
            .rows_affected();
        let analysis_cache =
            sqlx::query(&retention::numbered(retention::DELETE_UNREFERENCED_CACHE))
                .bind(limit)
                .execute(&self.pool)
                .await?
                .rows_affected();
        Ok(PrunedAudits {
            source_blobs,
            analysis_cache,
            ..PrunedAudits::default()
        })
    }

    async fn count_prunable_audits(&self, finished_before: i64) -> Result<PrunedAudits> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .execute(&mut *tx)
            .await?;
        let mut counts = [0u64; 5];
        for (sql, count) in retention::count_queries().iter().zip(counts.iter_mut()) {
            let n: i64 = sqlx::query_scalar(&retention::numbered(sql))
                .bind(finished_before)
                .fetch_one(&mut *tx)
                .await?;
            *count = n as u64;
        }
        tx.commit().await?;
        let [
            audits,
            findings,
            triage_events,
            source_blobs,
            analysis_cache,
        ] = counts;
        Ok(PrunedAudits {
            audits,
            findings,
            triage_events,
            source_blobs,
            analysis_cache,
        })
    }

    async fn prune_audit_log(
        &self,
        before: i64,
        limit: i64,
        now: i64,
        actor: &str,
        signer: &Signer,
    ) -> Result<Option<trail::Checkpoint>> {
        let mut tx = self.pool.begin().await?;
        // The chain lock: appends and other prunings wait until this one commits.
        sqlx::query("LOCK TABLE audit_log_head IN EXCLUSIVE MODE")
            .execute(&mut *tx)
            .await?;
        let latest = sqlx::query(
            "SELECT seq, hash, pruned, created_at, mac FROM audit_log_checkpoints ORDER BY seq DESC LIMIT 1",
        )
        .fetch_optional(&mut *tx)
        .await?
        .as_ref()
        .map(checkpoint_from_row)
        .transpose()?;
        let rows = sqlx::query(&format!(
            "SELECT {AUDIT_EVENT_COLUMNS} FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2"
        ))
        .bind(latest.as_ref().map_or(0, |c| c.seq))
        .bind(limit)
        .fetch_all(&mut *tx)
        .await?;
        let mut old = Vec::new();
        for row in &rows {
            let entry = audit_event_from_row(row)?;
            if entry.event.ts >= before {
                break;
            }
            old.push(entry);
        }
        let Some(checkpoint) = trail::prepare_checkpoint(latest.as_ref(), &old, now, signer)?
        else {
            tx.rollback().await?;
            return Ok(None);
        };
        sqlx::query("DELETE FROM audit_log WHERE seq <= $1")
            .bind(checkpoint.seq)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO audit_log_checkpoints (seq, hash, pruned, created_at, mac) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(checkpoint.seq)
        .bind(&checkpoint.hash)
        .bind(checkpoint.pruned)
        .bind(checkpoint.created_at)
        .bind(&checkpoint.mac)
        .execute(&mut *tx)
        .await?;
        append_in(
            &mut tx,
            &retention::pruned_event(&checkpoint, before, actor),
            signer,
        )
        .await?;
        tx.commit().await?;
        Ok(Some(checkpoint))
    }

    async fn count_prunable_audit_log(&self, before: i64) -> Result<u64> {
        // The run of old entries at the start of the chain: up to the first newer one.
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM audit_log WHERE seq < \
             COALESCE((SELECT MIN(seq) FROM audit_log WHERE ts >= $1), (SELECT MAX(seq) + 1 FROM audit_log), 0)",
        )
        .bind(before)
        .fetch_one(&self.pool)
        .await?;
        Ok(n as u64)
    }

    async fn audit_trail(&self) -> Result<trail::TrailSnapshot> {
        let mut tx = self.pool.begin().await?;
        // Entries, head and checkpoints from one snapshot, even while other nodes append
        // or prune.
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .execute(&mut *tx)
            .await?;
        let rows = sqlx::query(&format!(
            "SELECT {AUDIT_EVENT_COLUMNS} FROM audit_log ORDER BY seq"
        ))
        .fetch_all(&mut *tx)
        .await?;
        let head = sqlx::query("SELECT seq, hash, mac FROM audit_log_head WHERE id = 1")
            .fetch_optional(&mut *tx)
            .await?;
        let checkpoints = sqlx::query(
            "SELECT seq, hash, pruned, created_at, mac FROM audit_log_checkpoints ORDER BY seq",
        )
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(trail::TrailSnapshot {
            entries: rows
                .iter()
                .map(audit_event_from_row)
                .collect::<Result<_>>()?,
            head: head
                .map(|r| -> Result<ChainHead> {
                    Ok(ChainHead {
                        seq: r.try_get(0)?,
                        hash: r.try_get(1)?,
                        mac: r.try_get(2)?,
                    })
                })
                .transpose()?,
            checkpoints: checkpoints
                .iter()
                .map(checkpoint_from_row)
                .collect::<Result<_>>()?,
        })
    }

    // Backup
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

    // Webhooks (implemented in the `webhooks` submodule).
    async fn create_webhook(&self, webhook: &Webhook) -> Result<()> {
        webhooks::create_webhook(self, webhook).await
    }
    async fn get_webhook(&self, tenant_id: &str, id: &str) -> Result<Option<Webhook>> {
        webhooks::get_webhook(self, tenant_id, id).await
    }
    async fn list_webhooks(&self, tenant_id: &str) -> Result<Vec<Webhook>> {
        webhooks::list_webhooks(self, tenant_id).await
    }
    async fn update_webhook(
        &self,
        tenant_id: &str,
        id: &str,
        update: &WebhookUpdate,
    ) -> Result<Option<Webhook>> {
        webhooks::update_webhook(self, tenant_id, id, update).await
    }
    async fn delete_webhook(&self, tenant_id: &str, id: &str) -> Result<bool> {
        webhooks::delete_webhook(self, tenant_id, id).await
    }
    async fn insert_webhook_deliveries(&self, deliveries: &[NewWebhookDelivery]) -> Result<()> {
        webhooks::insert_webhook_deliveries(self, deliveries).await
    }
    async fn claim_webhook_deliveries(
        &self,
        owner: &str,
        now: i64,
        lease_until: i64,
        limit: i64,
    ) -> Result<Vec<ClaimedDelivery>> {
        webhooks::claim_webhook_deliveries(self, owner, now, lease_until, limit).await
    }
    async fn record_webhook_attempt(
        &self,
        id: &str,
        owner: &str,
        attempt: &DeliveryAttempt,
        disable_after: i64,
    ) -> Result<AttemptRecorded> {
        webhooks::record_webhook_attempt(self, id, owner, attempt, disable_after).await
    }
    async fn get_webhook_delivery(
        &self,
        tenant_id: &str,
        id: &str,
    ) -> Result<Option<WebhookDelivery>> {
        webhooks::get_webhook_delivery(self, tenant_id, id).await
    }
    async fn list_webhook_deliveries(
        &self,
        tenant_id: &str,
        webhook_id: &str,
        filter: &DeliveryFilter,
    ) -> Result<Vec<WebhookDelivery>> {
        webhooks::list_webhook_deliveries(self, tenant_id, webhook_id, filter).await
    }
    async fn prune_webhook_deliveries(&self, before: i64) -> Result<u64> {
        webhooks::prune_webhook_deliveries(self, before).await
    }

    // Alerts
    async fn raise_alert(&self, alert: &NewAlert) -> Result<RaisedAlert> {
        alerts::postgres::raise(&self.pool, alert).await
    }

    async fn get_alert(&self, id: &str) -> Result<Option<Alert>> {
        alerts::postgres::get(&self.pool, id).await
    }

    async fn list_alerts(&self, filter: &AlertFilter) -> Result<Vec<Alert>> {
        alerts::postgres::list(&self.pool, filter).await
    }

    async fn acknowledge_alert(&self, id: &str, actor: &str, now: i64) -> Result<Option<Alert>> {
        alerts::postgres::acknowledge(&self.pool, id, actor, now).await
    }

    async fn resolve_alerts(
        &self,
        rule: &str,
        tenant_id: Option<&str>,
        dedup_key: &str,
        now: i64,
    ) -> Result<u64> {
        alerts::postgres::resolve(&self.pool, rule, tenant_id, dedup_key, now).await
    }

    async fn claim_alert_escalation(&self, id: &str, now: i64) -> Result<bool> {
        alerts::postgres::claim_escalation(&self.pool, id, now).await
    }

    async fn record_alert_notification(&self, notification: &AlertNotification) -> Result<()> {
        alerts::postgres::record_notification(&self.pool, notification).await
    }

    async fn list_alert_notifications(&self, alert_id: &str) -> Result<Vec<AlertNotification>> {
        alerts::postgres::notifications(&self.pool, alert_id).await
    }

    async fn count_finished_audits(&self, since: i64) -> Result<(i64, i64)> {
        alerts::postgres::count_finished(&self.pool, since).await
    }

    async fn prune_alert_history(&self, before_ms: i64) -> Result<u64> {
        alerts::postgres::prune(&self.pool, before_ms).await
    }

    // Dashboard

    async fn create_dashboard_session(&self, session: &DashboardSession) -> Result<()> {
        sqlx::query(
            "INSERT INTO dashboard_sessions (token_hash, tenant_id, user_id, created_at, expires_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&session.token_hash)
        .bind(&session.tenant_id)
        .bind(&session.user_id)
        .bind(session.created_at)
        .bind(session.expires_at)
        .bind(session.revoked_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn get_dashboard_session(&self, token_hash: &str) -> Result<Option<DashboardSession>> {
        let row = sqlx::query("SELECT * FROM dashboard_sessions WHERE token_hash = $1")
            .bind(token_hash)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(dashboard_session_from_row).transpose()
    }

    async fn revoke_dashboard_session(&self, token_hash: &str, now: i64) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE dashboard_sessions SET revoked_at = $1 WHERE token_hash = $2 AND revoked_at IS NULL AND expires_at > $3",
        )
        .bind(now)
        .bind(token_hash)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn delete_expired_dashboard_sessions(&self, before: i64) -> Result<u64> {
        Ok(
            sqlx::query("DELETE FROM dashboard_sessions WHERE expires_at < $1")
                .bind(before)
                .execute(&self.pool)
                .await?
                .rows_affected(),
        )
    }

    async fn audit_sources(&self, tenant_id: &str, audit_id: &str) -> Result<Option<String>> {
        let row = sqlx::query(
            "SELECT b.content FROM audits a JOIN source_blobs b ON b.hash = a.sources_hash WHERE a.tenant_id = $1 AND a.id = $2",
        )
        .bind(tenant_id)
        .bind(audit_id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| r.try_get(0)).transpose().map_err(Into::into)
    }

    async fn previous_project_audit(
        &self,
        tenant_id: &str,
        audit: &Audit,
    ) -> Result<Option<Audit>> {
        let Some(project) = &audit.project else {
            return Ok(None);
        };
        let row = sqlx::query(&format!(
            "SELECT {AUDIT_COLUMNS} FROM audits WHERE tenant_id = $1 AND project = $2 AND id < $3 \
             AND status = 'succeeded' ORDER BY id DESC LIMIT 1"
        ))
        .bind(tenant_id)
        .bind(project)
        .bind(&audit.id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(audit_from_row).transpose()
    }

    async fn audit_fingerprints(&self, tenant_id: &str, audit_id: &str) -> Result<Vec<String>> {
        let rows =
            sqlx::query("SELECT fingerprint FROM findings WHERE tenant_id = $1 AND audit_id = $2")
                .bind(tenant_id)
                .bind(audit_id)
                .fetch_all(&self.pool)
                .await?;
        // Not `DISTINCT`: SQLite would walk the tenant's fingerprint index (every finding
        // of the tenant) instead of the audit's findings.
        let mut fingerprints = rows
            .iter()
            .map(|r| r.try_get::<String, _>(0))
            .collect::<Result<Vec<_>, _>>()?;
        fingerprints.sort_unstable();
        fingerprints.dedup();
        Ok(fingerprints)
    }

    async fn severity_counts_since(
        &self,
        tenant_id: &str,
        since: i64,
    ) -> Result<Vec<SeverityCounts>> {
        let rows = sqlx::query(
            "SELECT created_at, counts_json FROM audits WHERE tenant_id = $1 AND created_at >= $2 AND counts_json IS NOT NULL ORDER BY created_at",
        )
        .bind(tenant_id)
        .bind(since)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let counts: String = r.try_get(1)?;
                Ok(SeverityCounts {
                    created_at: r.try_get(0)?,
                    counts: serde_json::from_str(&counts)?,
                })
            })
            .collect()
    }

    async fn audit_event_counts(
        &self,
        tenant_id: &str,
        untenanted: bool,
        since: i64,
    ) -> Result<Vec<AuditEventCount>> {
        let rows = sqlx::query(
            "SELECT action, outcome, COUNT(*) FROM audit_log WHERE (tenant_id = $1 OR ($2 AND tenant_id IS NULL)) AND ts >= $3 GROUP BY action, outcome ORDER BY action, outcome",
        )
        .bind(tenant_id)
        .bind(untenanted)
        .bind(since)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(AuditEventCount {
                    action: r.try_get(0)?,
                    outcome: r.try_get(1)?,
                    count: r.try_get(2)?,
                })
            })
            .collect()
    }

    // Chain reads
    async fn get_chain_read(&self, key: &ChainReadKey) -> Result<Option<Vec<u8>>> {
        chain_reads::get_chain_read(self, key).await
    }
    async fn put_chain_read(&self, key: &ChainReadKey, value: &[u8], now: i64) -> Result<()> {
        chain_reads::put_chain_read(self, key, value, now).await
    }
    async fn get_verified_sources(&self, key: &VerifiedSourcesKey) -> Result<Option<String>> {
        chain_reads::get_verified_sources(self, key).await
    }
    async fn put_verified_sources(
        &self,
        key: &VerifiedSourcesKey,
        sources: &str,
        now: i64,
    ) -> Result<()> {
        chain_reads::put_verified_sources(self, key, sources, now).await
    }

    // Monitoring (implemented in `monitoring::postgres`).
    async fn create_monitor(&self, monitor: &StoredMonitor) -> Result<()> {
        monitoring::postgres::create_monitor(&self.pool, monitor).await
    }
    async fn get_monitor(&self, tenant_id: &str, id: &str) -> Result<Option<StoredMonitor>> {
        monitoring::postgres::get_monitor(&self.pool, tenant_id, id).await
    }
    async fn list_monitors(&self, tenant_id: &str) -> Result<Vec<StoredMonitor>> {
        monitoring::postgres::list_monitors(&self.pool, Some(tenant_id)).await
    }
    async fn list_enabled_monitors(&self) -> Result<Vec<StoredMonitor>> {
        monitoring::postgres::list_monitors(&self.pool, None).await
    }
    async fn update_monitor(
        &self,
        tenant_id: &str,
        id: &str,
        update: &MonitorUpdate,
    ) -> Result<Option<StoredMonitor>> {
        monitoring::postgres::update_monitor(&self.pool, tenant_id, id, update).await
    }
    async fn delete_monitor(&self, tenant_id: &str, id: &str) -> Result<bool> {
        monitoring::postgres::delete_monitor(&self.pool, tenant_id, id).await
    }
    async fn get_monitor_checkpoint(
        &self,
        monitor_key: &str,
        chain_id: i64,
    ) -> Result<Option<MonitorCheckpoint>> {
        monitoring::postgres::get_checkpoint(&self.pool, monitor_key, chain_id).await
    }
    async fn record_monitor_blocks(&self, blocks: &MonitorBlocks) -> Result<RecordedBlocks> {
        monitoring::postgres::record_blocks(&self.pool, blocks).await
    }
    async fn list_monitor_events(
        &self,
        tenant_id: &str,
        monitor_key: &str,
        limit: i64,
    ) -> Result<Vec<MonitorEvent>> {
        monitoring::postgres::list_events(&self.pool, tenant_id, monitor_key, limit).await
    }
    async fn list_incidents(
        &self,
        tenant_id: &str,
        filter: &IncidentFilter,
    ) -> Result<Vec<Incident>> {
        monitoring::postgres::list_incidents(&self.pool, tenant_id, filter).await
    }
    async fn get_incident(&self, tenant_id: &str, id: &str) -> Result<Option<Incident>> {
        monitoring::postgres::get_incident(&self.pool, tenant_id, id).await
    }
    async fn list_incident_events(
        &self,
        tenant_id: &str,
        incident_id: &str,
    ) -> Result<Vec<IncidentEvent>> {
        monitoring::postgres::list_incident_events(&self.pool, tenant_id, incident_id).await
    }
    async fn update_incident(
        &self,
        tenant_id: &str,
        id: &str,
        update: &IncidentUpdate,
    ) -> Result<Option<IncidentChange>> {
        monitoring::postgres::update_incident(&self.pool, tenant_id, id, update).await
    }
    async fn comment_incident(
        &self,
        tenant_id: &str,
        id: &str,
        actor: &str,
        text: &str,
        now: i64,
    ) -> Result<Option<IncidentEvent>> {
        monitoring::postgres::comment_incident(&self.pool, tenant_id, id, actor, text, now).await
    }
}

fn checkpoint_from_row(row: &PgRow) -> Result<trail::Checkpoint> {
    Ok(trail::Checkpoint {
        seq: row.try_get("seq")?,
        hash: row.try_get("hash")?,
        pruned: row.try_get("pruned")?,
        created_at: row.try_get("created_at")?,
        mac: row.try_get("mac")?,
    })
}
