//! The one implementation of [`Store`] over both SQL backends: every method but the few
//! that only one backend has a way to do (rate-limit buckets, waiting for work, backups)
//! is written here once, over the backend's [`Dialect`].

use std::collections::BTreeMap;
use std::sync::LazyLock;
use std::time::Duration;

use sqlx::{Pool, Transaction};

use super::{
    Builder, Dialect, Exec, NowRow, RowExt, alerts, assistant, chain_reads, monitoring, query,
    webhooks,
};
use crate::trail::{self, ChainHead, Signer};
use crate::*;

/// A store on one SQL backend: its pools and what only that backend does. Each such
/// store is a [`Store`] through the implementation below.
#[async_trait::async_trait]
pub(crate) trait SqlBackend: Send + Sync + 'static {
    type DB: Dialect;
    /// Connections for statements that write (SQLite: the single writer).
    fn writer(&self) -> &Pool<Self::DB>;
    /// Connections for statements that only read: the writer's pool, unless the backend
    /// has readers of their own (SQLite: a pool of read-only connections).
    fn reader(&self) -> &Pool<Self::DB> {
        self.writer()
    }
    /// The row a statement with one parameter (`$1`, bound to `key`) finds, read at once
    /// on the calling thread where the backend can answer that without waiting, mapped by
    /// `map`; `None` where it cannot, and the caller reads through [`Self::reader`]. Only
    /// for statements that touch a few pages (a look-up by primary key). SQLite answers
    /// from in-process connections of its own (see `SqliteStore`); PostgreSQL, whose every
    /// read is a round trip, never does.
    fn read_now<T>(
        &self,
        _sql: &str,
        _key: &str,
        _map: fn(&NowRow<'_>) -> Result<T>,
    ) -> Option<Result<Option<T>>>
    where
        Self: Sized,
    {
        None
    }
    /// See [`Store::take_token`].
    async fn take_token(&self, key: &str, rate: &TokenRate, now: i64) -> Result<Option<u64>>;
    /// See [`Store::sync_rate_buckets`].
    async fn sync_rate_buckets(
        &self,
        rate: &TokenRate,
        consumed: &[(String, f64)],
        now: i64,
    ) -> Result<Vec<f64>>;
    /// The generation of credentials this process follows.
    fn credentials(&self) -> &CredentialEpoch;
    /// See [`Store::watch_credentials`].
    fn watch_credentials(&self) {}
    /// See [`Store::wait_for_work`].
    async fn wait_for_work(&self, timeout: Duration) {
        tokio::time::sleep(timeout).await;
    }
    /// See [`Store::backup_export`].
    async fn backup_export(&self, sink: &mut dyn backup::RowSink) -> Result<backup::Snapshot>;
    /// See [`Store::backup_restore`].
    async fn backup_restore(
        &self,
        request: &backup::RestoreRequest<'_>,
        source: &mut dyn backup::RowSource,
    ) -> Result<backup::RestoreOutcome>;
}

const AUDIT_COLUMNS: &str = "id, tenant_id, status, sources_hash, cache_key, options_json, timeout_secs, \
     source_bytes, file_count, idempotency_key, request_hash, created_by, created_at, started_at, \
     finished_at, error, attempts, from_cache, counts_json, project, target_chain, target_address, \
     target_block";

/// The audit by primary key, read by every poll of a submitter waiting for its result.
static AUDIT_BY_ID: LazyLock<String> =
    LazyLock::new(|| format!("SELECT {AUDIT_COLUMNS} FROM audits WHERE id = $1"));

const FINDING_COLUMNS: &str = "id, audit_id, tenant_id, ordinal, detector, title, severity, confidence, file, \
     start_line, end_line, message, fingerprint, category, swc, shape, triage_state";

const AUDIT_EVENT_COLUMNS: &str =
    "seq, ts, tenant_id, actor, action, target, outcome, detail, prev_hash, hash, mac";

fn audit_from_row(row: &impl RowExt) -> Result<Audit> {
    let options: String = row.field("options_json")?;
    let counts: Option<String> = row.field("counts_json")?;
    Ok(Audit {
        id: row.field("id")?,
        tenant_id: row.field("tenant_id")?,
        status: row.field("status")?,
        sources_hash: row.field("sources_hash")?,
        cache_key: row.field("cache_key")?,
        options: serde_json::from_str(&options)?,
        timeout_secs: row.field("timeout_secs")?,
        source_bytes: row.field("source_bytes")?,
        file_count: row.field("file_count")?,
        idempotency_key: row.field("idempotency_key")?,
        request_hash: row.field("request_hash")?,
        created_by: row.field("created_by")?,
        created_at: row.field("created_at")?,
        started_at: row.field("started_at")?,
        finished_at: row.field("finished_at")?,
        error: row.field("error")?,
        attempts: row.field("attempts")?,
        from_cache: row.field("from_cache")?,
        counts: counts.map(|c| serde_json::from_str(&c)).transpose()?,
        project: row.field("project")?,
        target: target_from_row(row)?,
    })
}

/// The deployed contract of an audit, `None` for an audit of submitted sources.
fn target_from_row(row: &impl RowExt) -> Result<Option<AuditTarget>> {
    let chain: Option<String> = row.field("target_chain")?;
    let address: Option<String> = row.field("target_address")?;
    let block: Option<i64> = row.field("target_block")?;
    Ok(chain.zip(address).map(|(chain, address)| AuditTarget {
        chain,
        address,
        block: block.map(|b| b as u64),
    }))
}

fn finding_from_row(row: &impl RowExt) -> Result<Finding> {
    Ok(Finding {
        id: row.field("id")?,
        audit_id: row.field("audit_id")?,
        tenant_id: row.field("tenant_id")?,
        ordinal: row.field("ordinal")?,
        data: FindingData {
            detector: row.field("detector")?,
            title: row.field("title")?,
            severity: row.field("severity")?,
            confidence: row.field("confidence")?,
            file: row.field("file")?,
            start_line: row.field::<i64>("start_line")? as u32,
            end_line: row.field::<i64>("end_line")? as u32,
            message: row.field("message")?,
            fingerprint: row.field("fingerprint")?,
            category: row.field("category")?,
            swc: row.field("swc")?,
            shape: row.field("shape")?,
        },
        triage_state: row.field("triage_state")?,
    })
}

fn tenant_from_row(row: &impl RowExt) -> Result<Tenant> {
    Ok(Tenant {
        id: row.field("id")?,
        name: row.field("name")?,
        plan: row.field("plan")?,
        is_operator: row.field("is_operator")?,
        created_at: row.field("created_at")?,
    })
}

fn user_from_row(row: &impl RowExt) -> Result<User> {
    Ok(User {
        id: row.field("id")?,
        tenant_id: row.field("tenant_id")?,
        email: row.field("email")?,
        password_hash: row.field("password_hash")?,
        role: row.field("role")?,
        disabled: row.field("disabled")?,
        created_at: row.field("created_at")?,
    })
}

/// The tenant's key `id`, read on `pool` (the writer, right after a change to it).
async fn api_key_in<DB: Dialect>(
    pool: &Pool<DB>,
    tenant_id: &str,
    id: &str,
) -> Result<Option<ApiKey>> {
    let row = query::<DB>("SELECT * FROM api_keys WHERE tenant_id = $1 AND id = $2")
        .bind(tenant_id)
        .bind(id)
        .fetch_optional(pool)
        .await?;
    row.as_ref().map(api_key_from_row).transpose()
}

fn api_key_from_row(row: &impl RowExt) -> Result<ApiKey> {
    Ok(ApiKey {
        id: row.field("id")?,
        tenant_id: row.field("tenant_id")?,
        user_id: row.field("user_id")?,
        name: row.field("name")?,
        role: row.field("role")?,
        prefix: row.field("prefix")?,
        secret_hash: row.field("secret_hash")?,
        created_at: row.field("created_at")?,
        revoked_at: row.field("revoked_at")?,
        expires_at: row.field("expires_at")?,
        last_used_at: row.field("last_used_at")?,
        scopes: row
            .field::<Option<String>>("scopes")?
            .map(|json| serde_json::from_str(&json))
            .transpose()?,
    })
}

fn tenant_role_from_row(row: &impl RowExt) -> Result<TenantRole> {
    Ok(TenantRole {
        tenant_id: row.field("tenant_id")?,
        name: row.field("name")?,
        permissions: serde_json::from_str(&row.field::<String>("permissions")?)?,
        description: row.field("description")?,
        created_by: row.field("created_by")?,
        created_at: row.field("created_at")?,
    })
}

fn triage_event_from_row(row: &impl RowExt) -> Result<TriageEvent> {
    Ok(TriageEvent {
        id: row.field("id")?,
        finding_id: row.field("finding_id")?,
        fingerprint: row.field("fingerprint")?,
        from_state: row.field("from_state")?,
        to_state: row.field("to_state")?,
        comment: row.field("comment")?,
        actor: row.field("actor")?,
        created_at: row.field("created_at")?,
    })
}

fn audit_event_from_row(row: &impl RowExt) -> Result<AuditEvent> {
    let detail: String = row.field("detail")?;
    Ok(AuditEvent {
        seq: row.field("seq")?,
        event: NewAuditEvent {
            ts: row.field("ts")?,
            tenant_id: row.field("tenant_id")?,
            actor: row.field("actor")?,
            action: row.field("action")?,
            target: row.field("target")?,
            outcome: row.field("outcome")?,
            detail: serde_json::from_str(&detail)?,
        },
        prev_hash: row.field("prev_hash")?,
        hash: row.field("hash")?,
        mac: row.field("mac")?,
    })
}

fn dashboard_session_from_row(row: &impl RowExt) -> Result<DashboardSession> {
    Ok(DashboardSession {
        token_hash: row.field("token_hash")?,
        tenant_id: row.field("tenant_id")?,
        user_id: row.field("user_id")?,
        created_at: row.field("created_at")?,
        expires_at: row.field("expires_at")?,
        revoked_at: row.field("revoked_at")?,
    })
}

fn sso_login_from_row(row: &impl RowExt) -> Result<SsoLogin> {
    Ok(SsoLogin {
        state_hash: row.field("state_hash")?,
        provider: row.field("provider")?,
        browser_hash: row.field("browser_hash")?,
        nonce: row.field("nonce")?,
        pkce_verifier: row.field("pkce_verifier")?,
        created_at: row.field("created_at")?,
        expires_at: row.field("expires_at")?,
        used_at: row.field("used_at")?,
    })
}

fn sso_identity_from_row(row: &impl RowExt) -> Result<SsoIdentity> {
    Ok(SsoIdentity {
        provider: row.field("provider")?,
        subject: row.field("subject")?,
        tenant_id: row.field("tenant_id")?,
        user_id: row.field("user_id")?,
        created_at: row.field("created_at")?,
        last_sign_in_at: row.field("last_sign_in_at")?,
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

async fn insert_findings<DB: Dialect>(
    tx: &mut Transaction<'_, DB>,
    audit_id: &str,
    tenant_id: &str,
    findings: &[FindingData],
) -> Result<()> {
    // Only called while the audit moves into `succeeded` (once, under its lease), so the
    // audit has no findings yet; a plain INSERT makes any violation of that loud.
    for (ordinal, f) in findings.iter().enumerate() {
        query::<DB>(
            "INSERT INTO findings (id, audit_id, tenant_id, ordinal, detector, title, severity, confidence, file, \
             start_line, end_line, message, fingerprint, category, swc, shape, triage_state) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, \
             COALESCE((SELECT state FROM triage_states WHERE tenant_id = $17 AND fingerprint = $18), 'open'))",
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
        .bind(&f.shape)
        .bind(tenant_id)
        .bind(&f.fingerprint)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

async fn upsert_cache<DB: Dialect>(
    tx: &mut Transaction<'_, DB>,
    analysis: &CachedAnalysis,
    now: i64,
) -> Result<()> {
    query::<DB>(
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

/// One chain for every process: appenders (and prunings) queue on the dialect's trail
/// lock until the transaction that holds it commits (PostgreSQL: an exclusive lock on the
/// head table, which conflicts with itself, not with readers; SQLite: the single writer).
async fn lock_trail<DB: Dialect>(tx: &mut Transaction<'_, DB>) -> Result<()> {
    if let Some(lock) = DB::TRAIL_LOCK {
        query::<DB>(lock).execute(&mut **tx).await?;
    }
    Ok(())
}

/// Has the transaction read from one snapshot, even while other processes write
/// (PostgreSQL: repeatable read; SQLite: a read transaction is one snapshot already).
async fn read_snapshot<DB: Dialect>(tx: &mut Transaction<'_, DB>) -> Result<()> {
    if let Some(snapshot) = DB::READ_SNAPSHOT {
        query::<DB>(snapshot).execute(&mut **tx).await?;
    }
    Ok(())
}

/// Records that a credential changed: this process's cached authentications are stale
/// at once, other processes' when the notification reaches them (PostgreSQL).
async fn credentials_changed<S: SqlBackend>(store: &S) -> Result<()> {
    store.credentials().advance();
    if let Some(notify) = <S::DB as Dialect>::NOTIFY_CREDENTIALS {
        query::<S::DB>(notify).execute(store.writer()).await?;
    }
    Ok(())
}

/// Tells listening dispatchers that work may be queued (delivered at commit).
async fn notify_jobs<'e, DB: Dialect>(on: impl Into<Exec<'e, DB>>) -> Result<()> {
    if let Some(notify) = DB::NOTIFY_JOBS {
        query::<DB>(notify).execute(on).await?;
    }
    Ok(())
}

/// Appends one entry to the hash chain inside `tx`, holding the trail lock until it
/// commits.
async fn append_in<DB: Dialect>(
    tx: &mut Transaction<'_, DB>,
    event: &NewAuditEvent,
    signer: &Signer,
) -> Result<AuditEvent> {
    lock_trail(tx).await?;
    let head = query::<DB>("SELECT seq, hash FROM audit_log_head WHERE id = 1")
        .fetch_optional(&mut **tx)
        .await?;
    let (prev_seq, prev_hash) = match head {
        Some(row) => (row.field_at::<i64>(0)?, row.field_at::<String>(1)?),
        None => (0, trail::GENESIS.to_string()),
    };
    let seq = prev_seq + 1;
    let hash = trail::link_hash(&prev_hash, seq, event);
    let mac = signer.mac(&hash);
    query::<DB>(&format!(
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
    query::<DB>(
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

/// Inserts an audit and its sources; with `record`, appends that trail entry last in the
/// same transaction (the trail lock is held only from there to the commit).
async fn insert_audit<S: SqlBackend>(
    store: &S,
    audit: &NewAudit,
    sources_json: &str,
    cached: Option<&CachedAnalysis>,
    record: Option<(&NewAuditEvent, &Signer)>,
) -> Result<InsertedAudit> {
    let mut tx = store.writer().begin().await?;
    if let Some(key) = &audit.idempotency_key {
        let existing = query::<S::DB>(&format!(
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
    query::<S::DB>(
        "INSERT INTO source_blobs (hash, content) VALUES ($1, $2) ON CONFLICT (hash) DO NOTHING",
    )
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
    let inserted = query::<S::DB>(&format!(
            "INSERT INTO audits (id, tenant_id, status, sources_hash, cache_key, options_json, timeout_secs, source_bytes, \
             file_count, idempotency_key, request_hash, created_by, created_at, started_at, finished_at, from_cache, counts_json, project, \
             target_chain, target_address, target_block) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21) \
             RETURNING {AUDIT_COLUMNS}",
        ))
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
        .fetch_one(&mut *tx)
        .await;
    let row = match inserted {
        Ok(row) => row,
        Err(error) => {
            // Another node inserted the same idempotency key since the look-up above.
            if let (Some(key), true) = (&audit.idempotency_key, is_unique_violation(&error)) {
                tx.rollback().await?;
                let row = query::<S::DB>(&format!(
                    "SELECT {AUDIT_COLUMNS} FROM audits WHERE tenant_id = $1 AND idempotency_key = $2"
                ))
                .bind(&audit.tenant_id)
                .bind(key)
                .fetch_one(store.writer())
                .await?;
                return Ok(InsertedAudit::Existing(audit_from_row(&row)?));
            }
            return Err(error.into());
        }
    };
    if let Some(c) = cached {
        insert_findings(&mut tx, &audit.id, &audit.tenant_id, &c.findings).await?;
    } else {
        notify_jobs::<S::DB>(&mut *tx).await?;
    }
    let created = audit_from_row(&row)?;
    if let Some((event, signer)) = record {
        append_in(&mut tx, event, signer).await?;
    }
    tx.commit().await?;
    Ok(InsertedAudit::Created(created))
}

#[async_trait::async_trait]
impl<S: SqlBackend> Store for S {
    fn is_shared(&self) -> bool {
        <S::DB as Dialect>::SHARED
    }

    async fn ping(&self) -> Result<()> {
        query::<S::DB>("SELECT 1").execute(self.reader()).await?;
        Ok(())
    }

    async fn migration_versions(&self) -> Result<Vec<i64>> {
        let rows = query::<S::DB>("SELECT version FROM schema_migrations ORDER BY version")
            .fetch_all(self.writer())
            .await?;
        rows.iter().map(|r| Ok(r.field_at::<i64>(0)?)).collect()
    }

    async fn create_tenant(&self, tenant: &Tenant) -> Result<()> {
        query::<S::DB>(
            "INSERT INTO tenants (id, name, plan, is_operator, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&tenant.id)
        .bind(&tenant.name)
        .bind(&tenant.plan)
        .bind(tenant.is_operator)
        .bind(tenant.created_at)
        .execute(self.writer())
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
        let row = query::<S::DB>("SELECT * FROM tenants WHERE id = $1")
            .bind(id)
            .fetch_optional(self.reader())
            .await?;
        row.as_ref().map(tenant_from_row).transpose()
    }

    async fn list_tenants(&self) -> Result<Vec<Tenant>> {
        let rows = query::<S::DB>("SELECT * FROM tenants ORDER BY created_at, id")
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(tenant_from_row).collect()
    }

    async fn update_tenant_plan(&self, id: &str, plan: &str) -> Result<Option<Tenant>> {
        query::<S::DB>("UPDATE tenants SET plan = $1 WHERE id = $2")
            .bind(plan)
            .bind(id)
            .execute(self.writer())
            .await?;
        let row = query::<S::DB>("SELECT * FROM tenants WHERE id = $1")
            .bind(id)
            .fetch_optional(self.writer())
            .await?;
        row.as_ref().map(tenant_from_row).transpose()
    }

    async fn create_user(&self, user: &User) -> Result<()> {
        query::<S::DB>(
            "INSERT INTO users (id, tenant_id, email, password_hash, role, disabled, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&user.id)
        .bind(&user.tenant_id)
        .bind(&user.email)
        .bind(&user.password_hash)
        .bind(&user.role)
        .bind(user.disabled)
        .bind(user.created_at)
        .execute(self.writer())
        .await
        .map_err(|e| if is_unique_violation(&e) { StoreError::Conflict("user") } else { e.into() })?;
        Ok(())
    }

    async fn get_user(&self, tenant_id: &str, id: &str) -> Result<Option<User>> {
        let row = query::<S::DB>("SELECT * FROM users WHERE tenant_id = $1 AND id = $2")
            .bind(tenant_id)
            .bind(id)
            .fetch_optional(self.reader())
            .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    async fn find_user_by_email(&self, email: &str) -> Result<Option<User>> {
        let row = query::<S::DB>("SELECT * FROM users WHERE email = $1")
            .bind(email)
            .fetch_optional(self.reader())
            .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    async fn list_users(&self, tenant_id: &str) -> Result<Vec<User>> {
        let rows =
            query::<S::DB>("SELECT * FROM users WHERE tenant_id = $1 ORDER BY created_at, id")
                .bind(tenant_id)
                .fetch_all(self.reader())
                .await?;
        rows.iter().map(user_from_row).collect()
    }

    async fn update_user(
        &self,
        tenant_id: &str,
        id: &str,
        update: &UserUpdate,
    ) -> Result<Option<User>> {
        let mut tx = self.writer().begin().await?;
        if let Some(role) = &update.role {
            query::<S::DB>("UPDATE users SET role = $1 WHERE tenant_id = $2 AND id = $3")
                .bind(role)
                .bind(tenant_id)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        if let Some(disabled) = update.disabled {
            query::<S::DB>("UPDATE users SET disabled = $1 WHERE tenant_id = $2 AND id = $3")
                .bind(disabled)
                .bind(tenant_id)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        if let Some(hash) = &update.password_hash {
            query::<S::DB>("UPDATE users SET password_hash = $1 WHERE tenant_id = $2 AND id = $3")
                .bind(hash)
                .bind(tenant_id)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        let row = query::<S::DB>("SELECT * FROM users WHERE tenant_id = $1 AND id = $2")
            .bind(tenant_id)
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
        tx.commit().await?;
        if update.role.is_some() || update.disabled.is_some() {
            // The user's API keys never do more than the user may do now.
            credentials_changed(self).await?;
        }
        row.as_ref().map(user_from_row).transpose()
    }

    async fn create_api_key(&self, key: &ApiKey) -> Result<()> {
        query::<S::DB>(
            "INSERT INTO api_keys (id, tenant_id, user_id, name, role, prefix, secret_hash, created_at, revoked_at, expires_at, last_used_at, scopes) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
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
        .bind(key.expires_at)
        .bind(key.last_used_at)
        .bind(
            key.scopes
                .as_ref()
                .map(serde_json::to_string)
                .transpose()?,
        )
        .execute(self.writer())
        .await
        .map_err(|e| if is_unique_violation(&e) { StoreError::Conflict("api key") } else { e.into() })?;
        Ok(())
    }

    async fn find_api_key_by_prefix(&self, prefix: &str) -> Result<Option<ApiKey>> {
        let row = query::<S::DB>("SELECT * FROM api_keys WHERE prefix = $1")
            .bind(prefix)
            .fetch_optional(self.reader())
            .await?;
        row.as_ref().map(api_key_from_row).transpose()
    }

    async fn list_api_keys(&self, tenant_id: &str) -> Result<Vec<ApiKey>> {
        let rows =
            query::<S::DB>("SELECT * FROM api_keys WHERE tenant_id = $1 ORDER BY created_at, id")
                .bind(tenant_id)
                .fetch_all(self.reader())
                .await?;
        rows.iter().map(api_key_from_row).collect()
    }

    async fn revoke_api_key(&self, tenant_id: &str, id: &str, now: i64) -> Result<Option<ApiKey>> {
        query::<S::DB>("UPDATE api_keys SET revoked_at = $1 WHERE tenant_id = $2 AND id = $3 AND revoked_at IS NULL")
            .bind(now)
            .bind(tenant_id)
            .bind(id)
            .execute(self.writer())
            .await?;
        credentials_changed(self).await?;
        api_key_in(self.writer(), tenant_id, id).await
    }

    async fn expire_api_key_by(
        &self,
        tenant_id: &str,
        id: &str,
        at: i64,
    ) -> Result<Option<ApiKey>> {
        query::<S::DB>(
            "UPDATE api_keys SET expires_at = $1 WHERE tenant_id = $2 AND id = $3 \
             AND (expires_at IS NULL OR expires_at > $4)",
        )
        .bind(at)
        .bind(tenant_id)
        .bind(id)
        .bind(at)
        .execute(self.writer())
        .await?;
        credentials_changed(self).await?;
        api_key_in(self.writer(), tenant_id, id).await
    }

    fn credential_generation(&self) -> Option<u64> {
        self.credentials().current()
    }

    fn watch_credentials(&self) {
        SqlBackend::watch_credentials(self);
    }

    async fn touch_api_key(&self, id: &str, now: i64, since: i64) -> Result<()> {
        query::<S::DB>(
            "UPDATE api_keys SET last_used_at = $1 WHERE id = $2 AND (last_used_at IS NULL OR last_used_at < $3)",
        )
        .bind(now)
        .bind(id)
        .bind(since)
        .execute(self.writer())
        .await?;
        Ok(())
    }

    async fn insert_audit(
        &self,
        audit: &NewAudit,
        sources_json: &str,
        cached: Option<&CachedAnalysis>,
    ) -> Result<InsertedAudit> {
        insert_audit(self, audit, sources_json, cached, None).await
    }

    async fn insert_audit_recorded(
        &self,
        audit: &NewAudit,
        sources_json: &str,
        cached: Option<&CachedAnalysis>,
        event: &NewAuditEvent,
        signer: &Signer,
    ) -> Result<InsertedAudit> {
        insert_audit(self, audit, sources_json, cached, Some((event, signer))).await
    }

    async fn get_audit(&self, tenant_id: &str, id: &str) -> Result<Option<Audit>> {
        // By primary key, the tenant compared here: with `tenant_id = $1` in the statement,
        // PostgreSQL's generic plan for a table not yet analyzed (a new deployment's first
        // minutes) may scan the tenant's index on `created_at` and filter on the id,
        // reading every audit of the tenant on each poll.
        let audit = match self.read_now(&AUDIT_BY_ID, id, |row| audit_from_row(row)) {
            Some(read) => read?,
            None => {
                let row = query::<S::DB>(&AUDIT_BY_ID)
                    .bind(id)
                    .fetch_optional(self.reader())
                    .await?;
                row.as_ref().map(audit_from_row).transpose()?
            }
        };
        Ok(audit.filter(|audit| audit.tenant_id == tenant_id))
    }

    async fn list_audits(&self, tenant_id: &str, filter: &AuditFilter) -> Result<Vec<Audit>> {
        let mut q = Builder::<S::DB>::new(format!(
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
        let rows = q.fetch_all(self.reader()).await?;
        rows.iter().map(audit_from_row).collect()
    }

    async fn count_audits_since(&self, tenant_id: &str, since: i64) -> Result<i64> {
        Ok(
            query::<S::DB>("SELECT COUNT(*) FROM audits WHERE tenant_id = $1 AND created_at >= $2")
                .bind(tenant_id)
                .bind(since)
                .fetch_one(self.reader())
                .await?
                .field_at(0)?,
        )
    }

    async fn stored_source_bytes(&self, tenant_id: &str) -> Result<i64> {
        Ok(query::<S::DB>(
            "SELECT CAST(COALESCE(SUM(source_bytes), 0) AS BIGINT) FROM audits WHERE tenant_id = $1",
        )
        .bind(tenant_id)
        .fetch_one(self.reader())
        .await?
        .field_at(0)?)
    }

    async fn cancel_audit(&self, tenant_id: &str, id: &str, now: i64) -> Result<Option<Audit>> {
        let mut tx = self.writer().begin().await?;
        query::<S::DB>(
            "UPDATE audits SET status = 'cancelled', finished_at = $1, lease_owner = NULL, lease_expires_at = NULL \
             WHERE tenant_id = $2 AND id = $3 AND status IN ('queued', 'running')",
        )
        .bind(now)
        .bind(tenant_id)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        let row = query::<S::DB>(&format!(
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
        let mut tx = self.writer().begin().await?;
        let row = query::<S::DB>(&format!(
            "UPDATE audits SET status = 'running', lease_owner = $1, lease_expires_at = $2, started_at = $3, attempts = attempts + 1 \
             WHERE id = (SELECT id FROM audits WHERE status = 'queued' ORDER BY id LIMIT 1{skip_locked}) \
             RETURNING {AUDIT_COLUMNS}",
            skip_locked = <S::DB as Dialect>::SKIP_LOCKED
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
        let sources_json: String =
            query::<S::DB>("SELECT content FROM source_blobs WHERE hash = $1")
                .bind(&audit.sources_hash)
                .fetch_one(&mut *tx)
                .await?
                .field_at(0)?;
        tx.commit().await?;
        Ok(Some(ClaimedJob {
            audit,
            sources_json,
        }))
    }

    async fn heartbeat(&self, id: &str, owner: &str, lease_until: i64) -> Result<bool> {
        let done = query::<S::DB>("UPDATE audits SET lease_expires_at = $1 WHERE id = $2 AND status = 'running' AND lease_owner = $3")
            .bind(lease_until)
            .bind(id)
            .bind(owner)
            .execute(self.writer())
            .await?;
        Ok(done == 1)
    }

    async fn complete(
        &self,
        id: &str,
        owner: &str,
        now: i64,
        outcome: &JobOutcome,
    ) -> Result<bool> {
        let mut tx = self.writer().begin().await?;
        let (status, error, counts) = match outcome {
            JobOutcome::Succeeded(a) => (
                STATUS_SUCCEEDED,
                None,
                Some(serde_json::to_string(&severity_counts(&a.findings))?),
            ),
            JobOutcome::Failed(e) => (STATUS_FAILED, Some(e.as_str()), None),
            JobOutcome::TimedOut(e) => (STATUS_TIMED_OUT, Some(e.as_str()), None),
        };
        let updated = query::<S::DB>(
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
        let tenant_id: String = row.field_at(0)?;
        if let JobOutcome::Succeeded(analysis) = outcome {
            insert_findings(&mut tx, id, &tenant_id, &analysis.findings).await?;
            upsert_cache(&mut tx, analysis, now).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    async fn requeue_running(&self, owner: Option<&str>) -> Result<u64> {
        let mut q = Builder::<S::DB>::new(
            "UPDATE audits SET status = 'queued', lease_owner = NULL, lease_expires_at = NULL, started_at = NULL WHERE status = 'running'",
        );
        if let Some(owner) = owner {
            q.push(" AND lease_owner = ").push_bind(owner);
        }
        let requeued = q.execute(self.writer()).await?;
        if requeued > 0 {
            notify_jobs::<S::DB>(self.writer()).await?;
        }
        Ok(requeued)
    }

    async fn requeue_expired(&self, now: i64) -> Result<u64> {
        let requeued = query::<S::DB>(
            "UPDATE audits SET status = 'queued', lease_owner = NULL, lease_expires_at = NULL, started_at = NULL \
             WHERE status = 'running' AND lease_expires_at < $1",
        )
        .bind(now)
        .execute(self.writer())
        .await?;
        if requeued > 0 {
            notify_jobs::<S::DB>(self.writer()).await?;
        }
        Ok(requeued)
    }

    async fn wait_for_work(&self, timeout: Duration) {
        SqlBackend::wait_for_work(self, timeout).await;
    }

    async fn queue_depth(&self) -> Result<i64> {
        Ok(
            query::<S::DB>("SELECT COUNT(*) FROM audits WHERE status = 'queued'")
                .fetch_one(self.reader())
                .await?
                .field_at(0)?,
        )
    }

    async fn take_token(&self, key: &str, rate: &TokenRate, now: i64) -> Result<Option<u64>> {
        SqlBackend::take_token(self, key, rate, now).await
    }

    async fn sync_rate_buckets(
        &self,
        rate: &TokenRate,
        consumed: &[(String, f64)],
        now: i64,
    ) -> Result<Vec<f64>> {
        SqlBackend::sync_rate_buckets(self, rate, consumed, now).await
    }

    async fn prune_rate_buckets(&self, idle_before: i64) -> Result<u64> {
        Ok(
            query::<S::DB>("DELETE FROM rate_limit_buckets WHERE updated_at < $1")
                .bind(idle_before)
                .execute(self.writer())
                .await?,
        )
    }

    async fn get_cached(&self, cache_key: &str) -> Result<Option<CachedAnalysis>> {
        let row = query::<S::DB>("SELECT * FROM analysis_cache WHERE cache_key = $1")
            .bind(cache_key)
            .fetch_optional(self.reader())
            .await?;
        let Some(row) = row else { return Ok(None) };
        let findings: String = row.field("findings_json")?;
        let reports: String = row.field("reports_json")?;
        Ok(Some(CachedAnalysis {
            cache_key: row.field("cache_key")?,
            analyzer_version: row.field("analyzer_version")?,
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
        let mut q = Builder::<S::DB>::new(format!(
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
        let rows = q.fetch_all(self.reader()).await?;
        rows.iter().map(finding_from_row).collect()
    }

    async fn get_finding(&self, tenant_id: &str, id: &str) -> Result<Option<Finding>> {
        // By primary key, the tenant compared here (see `get_audit`).
        let row = query::<S::DB>(&format!(
            "SELECT {FINDING_COLUMNS} FROM findings WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(self.reader())
        .await?;
        let finding = row.as_ref().map(finding_from_row).transpose()?;
        Ok(finding.filter(|finding| finding.tenant_id == tenant_id))
    }

    async fn triage_finding(
        &self,
        tenant_id: &str,
        id: &str,
        event: &NewTriageEvent,
    ) -> Result<Option<(Finding, TriageEvent)>> {
        let mut tx = self.writer().begin().await?;
        let row = query::<S::DB>(&format!(
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
        query::<S::DB>(
            "UPDATE findings SET triage_state = $1 WHERE tenant_id = $2 AND fingerprint = $3",
        )
        .bind(&event.to_state)
        .bind(tenant_id)
        .bind(&finding.data.fingerprint)
        .execute(&mut *tx)
        .await?;
        query::<S::DB>("INSERT INTO triage_states (tenant_id, fingerprint, state, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (tenant_id, fingerprint) DO UPDATE SET state = EXCLUDED.state, updated_at = EXCLUDED.updated_at")
            .bind(tenant_id)
            .bind(&finding.data.fingerprint)
            .bind(&event.to_state)
            .bind(event.created_at)
            .execute(&mut *tx)
            .await?;
        query::<S::DB>(
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

    async fn get_user_mfa(&self, user_id: &str) -> Result<Option<UserMfa>> {
        let row = query::<S::DB>("SELECT * FROM user_mfa WHERE user_id = $1")
            .bind(user_id)
            .fetch_optional(self.reader())
            .await?;
        row.map(|row| {
            Ok(UserMfa {
                user_id: row.field("user_id")?,
                secret: row.field("secret")?,
                enabled_at: row.field("enabled_at")?,
                last_step: row.field("last_step")?,
                created_at: row.field("created_at")?,
            })
        })
        .transpose()
    }

    async fn start_mfa_enrolment(&self, user_id: &str, secret: &str, now: i64) -> Result<bool> {
        let mut tx = self.writer().begin().await?;
        // A pending enrolment is replaced; a confirmed one stays.
        query::<S::DB>("DELETE FROM user_mfa WHERE user_id = $1 AND enabled_at IS NULL")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        let enabled = query::<S::DB>("SELECT user_id FROM user_mfa WHERE user_id = $1")
            .bind(user_id)
            .fetch_optional(&mut *tx)
            .await?
            .is_some();
        if enabled {
            return Ok(false);
        }
        query::<S::DB>(
            "INSERT INTO user_mfa (user_id, secret, enabled_at, last_step, created_at) VALUES ($1, $2, NULL, NULL, $3)",
        )
        .bind(user_id)
        .bind(secret)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn confirm_mfa(
        &self,
        user_id: &str,
        step: i64,
        recovery_hashes: &[String],
        now: i64,
    ) -> Result<bool> {
        let mut tx = self.writer().begin().await?;
        let confirmed = query::<S::DB>(
            "UPDATE user_mfa SET enabled_at = $1, last_step = $2 WHERE user_id = $3 AND enabled_at IS NULL",
        )
        .bind(now)
        .bind(step)
        .bind(user_id)
        .execute(&mut *tx)
        .await?
            == 1;
        if !confirmed {
            return Ok(false);
        }
        query::<S::DB>("DELETE FROM recovery_codes WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        for hash in recovery_hashes {
            query::<S::DB>(
                "INSERT INTO recovery_codes (user_id, code_hash, used_at) VALUES ($1, $2, NULL)",
            )
            .bind(user_id)
            .bind(hash)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    async fn use_totp_step(&self, user_id: &str, step: i64) -> Result<bool> {
        Ok(query::<S::DB>(
            "UPDATE user_mfa SET last_step = $1 WHERE user_id = $2 AND enabled_at IS NOT NULL \
             AND (last_step IS NULL OR last_step < $3)",
        )
        .bind(step)
        .bind(user_id)
        .bind(step)
        .execute(self.writer())
        .await?
            == 1)
    }

    async fn use_recovery_code(&self, user_id: &str, code_hash: &str, now: i64) -> Result<bool> {
        Ok(query::<S::DB>(
            "UPDATE recovery_codes SET used_at = $1 WHERE user_id = $2 AND code_hash = $3 AND used_at IS NULL",
        )
        .bind(now)
        .bind(user_id)
        .bind(code_hash)
        .execute(self.writer())
        .await?
            == 1)
    }

    async fn count_recovery_codes(&self, user_id: &str) -> Result<i64> {
        let row = query::<S::DB>(
            "SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL",
        )
        .bind(user_id)
        .fetch_one(self.reader())
        .await?;
        Ok(row.field_at::<i64>(0)?)
    }

    async fn remove_mfa(&self, user_id: &str) -> Result<bool> {
        let mut tx = self.writer().begin().await?;
        query::<S::DB>("DELETE FROM recovery_codes WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        let removed = query::<S::DB>("DELETE FROM user_mfa WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await?
            == 1;
        tx.commit().await?;
        Ok(removed)
    }

    async fn mfa_required(&self, tenant_id: &str) -> Result<bool> {
        let row = query::<S::DB>("SELECT mfa_required FROM tenant_policies WHERE tenant_id = $1")
            .bind(tenant_id)
            .fetch_optional(self.reader())
            .await?;
        Ok(match row {
            Some(row) => row.field::<bool>("mfa_required")?,
            None => false,
        })
    }

    async fn set_mfa_required(&self, tenant_id: &str, required: bool, now: i64) -> Result<()> {
        query::<S::DB>(
            "INSERT INTO tenant_policies (tenant_id, mfa_required, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (tenant_id) DO UPDATE SET mfa_required = EXCLUDED.mfa_required, updated_at = EXCLUDED.updated_at",
        )
        .bind(tenant_id)
        .bind(required)
        .bind(now)
        .execute(self.writer())
        .await?;
        Ok(())
    }

    async fn project_dismissals(
        &self,
        tenant_id: &str,
        project: &str,
        audit_id: &str,
    ) -> Result<Vec<Dismissal>> {
        let rows = query::<S::DB>(
            "SELECT f.id AS finding_id, f.audit_id, f.fingerprint, f.detector, f.shape, \
             e.actor, e.comment, e.created_at \
             FROM triage_events e \
             JOIN findings f ON f.id = e.finding_id \
             JOIN audits a ON a.id = f.audit_id \
             JOIN triage_states s ON s.tenant_id = e.tenant_id AND s.fingerprint = e.fingerprint \
             WHERE e.tenant_id = $1 AND a.tenant_id = $2 AND a.project = $3 AND a.id <> $4 \
             AND e.to_state = 'false_positive' AND s.state = 'false_positive' \
             ORDER BY e.created_at DESC, e.id DESC LIMIT $5",
        )
        .bind(tenant_id)
        .bind(tenant_id)
        .bind(project)
        .bind(audit_id)
        .bind(MAX_DISMISSALS)
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(Dismissal {
                    finding_id: row.field("finding_id")?,
                    audit_id: row.field("audit_id")?,
                    fingerprint: row.field("fingerprint")?,
                    detector: row.field("detector")?,
                    shape: row.field("shape")?,
                    actor: row.field("actor")?,
                    comment: row.field("comment")?,
                    created_at: row.field("created_at")?,
                })
            })
            .collect()
    }

    async fn list_triage_events(
        &self,
        tenant_id: &str,
        fingerprint: &str,
    ) -> Result<Vec<TriageEvent>> {
        let rows = query::<S::DB>("SELECT * FROM triage_events WHERE tenant_id = $1 AND fingerprint = $2 ORDER BY created_at, id")
            .bind(tenant_id)
            .bind(fingerprint)
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(triage_event_from_row).collect()
    }

    async fn append_audit_event(
        &self,
        event: &NewAuditEvent,
        signer: &Signer,
    ) -> Result<AuditEvent> {
        let mut tx = self.writer().begin().await?;
        let appended = append_in(&mut tx, event, signer).await?;
        tx.commit().await?;
        Ok(appended)
    }

    async fn list_audit_events(&self, filter: &AuditEventFilter) -> Result<Vec<AuditEvent>> {
        let mut q = Builder::<S::DB>::new(format!(
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
        let rows = q.fetch_all(self.reader()).await?;
        rows.iter().map(audit_event_from_row).collect()
    }

    async fn audit_chain(&self) -> Result<(Vec<AuditEvent>, Option<ChainHead>)> {
        let mut tx = self.reader().begin().await?;
        // Entries and head from one snapshot, even while other nodes append.
        read_snapshot(&mut tx).await?;
        let rows = query::<S::DB>(&format!(
            "SELECT {AUDIT_EVENT_COLUMNS} FROM audit_log ORDER BY seq"
        ))
        .fetch_all(&mut *tx)
        .await?;
        let head = query::<S::DB>("SELECT seq, hash, mac FROM audit_log_head WHERE id = 1")
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
                    seq: r.field_at(0)?,
                    hash: r.field_at(1)?,
                    mac: r.field_at(2)?,
                })
            })
            .transpose()?;
        Ok((entries, head))
    }

    // Retention. Batches are bounded by `limit`; two processes sweeping at once take
    // disjoint audits (SKIP LOCKED) and serialize trail pruning on the chain lock.
    async fn prune_audits(&self, finished_before: i64, limit: i64) -> Result<PrunedAudits> {
        let mut tx = self.writer().begin().await?;
        let rows = query::<S::DB>(&retention::numbered(&format!(
            "SELECT a.id FROM audits a WHERE {} ORDER BY a.finished_at, a.id LIMIT ?{}",
            retention::PRUNABLE_AUDIT,
            <S::DB as Dialect>::SKIP_LOCKED,
        )))
        .bind(finished_before)
        .bind(limit)
        .fetch_all(&mut *tx)
        .await?;
        let ids = rows
            .iter()
            .map(|row| row.field_at::<String>(0))
            .collect::<Result<Vec<_>, _>>()?;
        if ids.is_empty() {
            tx.rollback().await?;
            return Ok(PrunedAudits::default());
        }
        let mut pruned = PrunedAudits::default();
        let mut suggestions = 0;
        for (prefix, suffix, count) in [
            (
                "DELETE FROM triage_events WHERE finding_id IN (SELECT id FROM findings WHERE audit_id IN (",
                "))",
                &mut pruned.triage_events,
            ),
            (
                "DELETE FROM suggestions WHERE audit_id IN (",
                ")",
                &mut suggestions,
            ),
            (
                "DELETE FROM findings WHERE audit_id IN (",
                ")",
                &mut pruned.findings,
            ),
            (
                "DELETE FROM audits WHERE status NOT IN ('queued', 'running') AND id IN (",
                ")",
                &mut pruned.audits,
            ),
        ] {
            let mut q = Builder::<S::DB>::new(prefix);
            q.push_binds(&ids).push(suffix);
            *count = q.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(pruned)
    }

    async fn prune_unreferenced(&self, limit: i64) -> Result<PrunedAudits> {
        let source_blobs =
            query::<S::DB>(&retention::numbered(retention::DELETE_UNREFERENCED_BLOBS))
                .bind(limit)
                .execute(self.writer())
                .await?;
        let analysis_cache =
            query::<S::DB>(&retention::numbered(retention::DELETE_UNREFERENCED_CACHE))
                .bind(limit)
                .execute(self.writer())
                .await?;
        Ok(PrunedAudits {
            source_blobs,
            analysis_cache,
            ..PrunedAudits::default()
        })
    }

    async fn count_prunable_audits(&self, finished_before: i64) -> Result<PrunedAudits> {
        let mut tx = self.reader().begin().await?;
        read_snapshot(&mut tx).await?;
        let mut counts = [0u64; 5];
        for (sql, count) in retention::count_queries().iter().zip(counts.iter_mut()) {
            let n: i64 = query::<S::DB>(&retention::numbered(sql))
                .bind(finished_before)
                .fetch_one(&mut *tx)
                .await?
                .field_at(0)?;
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
        let mut tx = self.writer().begin().await?;
        // The chain lock: appends and other prunings wait until this one commits.
        lock_trail(&mut tx).await?;
        let latest = query::<S::DB>(
            "SELECT seq, hash, pruned, created_at, mac FROM audit_log_checkpoints ORDER BY seq DESC LIMIT 1",
        )
        .fetch_optional(&mut *tx)
        .await?
        .as_ref()
        .map(checkpoint_from_row)
        .transpose()?;
        let rows = query::<S::DB>(&format!(
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
        query::<S::DB>("DELETE FROM audit_log WHERE seq <= $1")
            .bind(checkpoint.seq)
            .execute(&mut *tx)
            .await?;
        query::<S::DB>(
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
        let n: i64 = query::<S::DB>(
            "SELECT COUNT(*) FROM audit_log WHERE seq < \
             COALESCE((SELECT MIN(seq) FROM audit_log WHERE ts >= $1), (SELECT MAX(seq) + 1 FROM audit_log), 0)",
        )
        .bind(before)
        .fetch_one(self.reader())
        .await?
        .field_at(0)?;
        Ok(n as u64)
    }

    async fn audit_trail(&self) -> Result<trail::TrailSnapshot> {
        let mut tx = self.reader().begin().await?;
        // Entries, head and checkpoints from one snapshot, even while other nodes append
        // or prune.
        read_snapshot(&mut tx).await?;
        let rows = query::<S::DB>(&format!(
            "SELECT {AUDIT_EVENT_COLUMNS} FROM audit_log ORDER BY seq"
        ))
        .fetch_all(&mut *tx)
        .await?;
        let head = query::<S::DB>("SELECT seq, hash, mac FROM audit_log_head WHERE id = 1")
            .fetch_optional(&mut *tx)
            .await?;
        let checkpoints = query::<S::DB>(
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
                        seq: r.field_at(0)?,
                        hash: r.field_at(1)?,
                        mac: r.field_at(2)?,
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
        SqlBackend::backup_export(self, sink).await
    }

    async fn backup_restore(
        &self,
        request: &backup::RestoreRequest<'_>,
        source: &mut dyn backup::RowSource,
    ) -> Result<backup::RestoreOutcome> {
        let outcome = SqlBackend::backup_restore(self, request, source).await?;
        // Every key and user may have changed.
        credentials_changed(self).await?;
        Ok(outcome)
    }

    // Webhooks (the `webhooks` module).
    async fn create_webhook(&self, webhook: &Webhook) -> Result<()> {
        webhooks::create_webhook(self.writer(), webhook).await
    }
    async fn get_webhook(&self, tenant_id: &str, id: &str) -> Result<Option<Webhook>> {
        webhooks::get_webhook(self.reader(), tenant_id, id).await
    }
    async fn list_webhooks(&self, tenant_id: &str) -> Result<Vec<Webhook>> {
        webhooks::list_webhooks(self.reader(), tenant_id).await
    }
    async fn update_webhook(
        &self,
        tenant_id: &str,
        id: &str,
        update: &WebhookUpdate,
    ) -> Result<Option<Webhook>> {
        webhooks::update_webhook(self.writer(), tenant_id, id, update).await
    }
    async fn delete_webhook(&self, tenant_id: &str, id: &str) -> Result<bool> {
        webhooks::delete_webhook(self.writer(), tenant_id, id).await
    }
    async fn insert_webhook_deliveries(&self, deliveries: &[NewWebhookDelivery]) -> Result<()> {
        webhooks::insert_webhook_deliveries(self.writer(), deliveries).await
    }
    async fn claim_webhook_deliveries(
        &self,
        owner: &str,
        now: i64,
        lease_until: i64,
        limit: i64,
    ) -> Result<Vec<ClaimedDelivery>> {
        webhooks::claim_webhook_deliveries(self.writer(), owner, now, lease_until, limit).await
    }
    async fn record_webhook_attempt(
        &self,
        id: &str,
        owner: &str,
        attempt: &DeliveryAttempt,
        disable_after: i64,
    ) -> Result<AttemptRecorded> {
        webhooks::record_webhook_attempt(self.writer(), id, owner, attempt, disable_after).await
    }
    async fn get_webhook_delivery(
        &self,
        tenant_id: &str,
        id: &str,
    ) -> Result<Option<WebhookDelivery>> {
        webhooks::get_webhook_delivery(self.writer(), tenant_id, id).await
    }
    async fn list_webhook_deliveries(
        &self,
        tenant_id: &str,
        webhook_id: &str,
        filter: &DeliveryFilter,
    ) -> Result<Vec<WebhookDelivery>> {
        webhooks::list_webhook_deliveries(self.reader(), tenant_id, webhook_id, filter).await
    }
    async fn prune_webhook_deliveries(&self, before: i64) -> Result<u64> {
        webhooks::prune_webhook_deliveries(self.writer(), before).await
    }

    // Alerts
    async fn raise_alert(&self, alert: &NewAlert) -> Result<RaisedAlert> {
        alerts::raise(self.writer(), alert).await
    }

    async fn get_alert(&self, id: &str) -> Result<Option<Alert>> {
        alerts::get(self.reader(), id).await
    }

    async fn list_alerts(&self, filter: &AlertFilter) -> Result<Vec<Alert>> {
        alerts::list(self.reader(), filter).await
    }

    async fn acknowledge_alert(&self, id: &str, actor: &str, now: i64) -> Result<Option<Alert>> {
        alerts::acknowledge(self.writer(), id, actor, now).await
    }

    async fn resolve_alerts(
        &self,
        rule: &str,
        tenant_id: Option<&str>,
        dedup_key: &str,
        now: i64,
    ) -> Result<u64> {
        alerts::resolve(self.writer(), rule, tenant_id, dedup_key, now).await
    }

    async fn claim_alert_escalation(&self, id: &str, now: i64) -> Result<bool> {
        alerts::claim_escalation(self.writer(), id, now).await
    }

    async fn record_alert_notification(&self, notification: &AlertNotification) -> Result<()> {
        alerts::record_notification(self.writer(), notification).await
    }

    async fn list_alert_notifications(&self, alert_id: &str) -> Result<Vec<AlertNotification>> {
        alerts::notifications(self.reader(), alert_id).await
    }

    async fn count_finished_audits(&self, since: i64) -> Result<(i64, i64)> {
        alerts::count_finished(self.reader(), since).await
    }

    async fn prune_alert_history(&self, before_ms: i64) -> Result<u64> {
        alerts::prune(self.writer(), before_ms).await
    }

    // Dashboard

    async fn create_dashboard_session(&self, session: &DashboardSession) -> Result<()> {
        query::<S::DB>(
            "INSERT INTO dashboard_sessions (token_hash, tenant_id, user_id, created_at, expires_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&session.token_hash)
        .bind(&session.tenant_id)
        .bind(&session.user_id)
        .bind(session.created_at)
        .bind(session.expires_at)
        .bind(session.revoked_at)
        .execute(self.writer())
        .await?;
        Ok(())
    }

    async fn get_dashboard_session(&self, token_hash: &str) -> Result<Option<DashboardSession>> {
        let row = query::<S::DB>("SELECT * FROM dashboard_sessions WHERE token_hash = $1")
            .bind(token_hash)
            .fetch_optional(self.reader())
            .await?;
        row.as_ref().map(dashboard_session_from_row).transpose()
    }

    async fn revoke_dashboard_session(&self, token_hash: &str, now: i64) -> Result<bool> {
        let done = query::<S::DB>(
            "UPDATE dashboard_sessions SET revoked_at = $1 WHERE token_hash = $2 AND revoked_at IS NULL AND expires_at > $3",
        )
        .bind(now)
        .bind(token_hash)
        .bind(now)
        .execute(self.writer())
        .await?;
        Ok(done == 1)
    }

    async fn delete_expired_dashboard_sessions(&self, before: i64) -> Result<u64> {
        Ok(
            query::<S::DB>("DELETE FROM dashboard_sessions WHERE expires_at < $1")
                .bind(before)
                .execute(self.writer())
                .await?,
        )
    }

    async fn revoke_user_sessions(&self, tenant_id: &str, user_id: &str, now: i64) -> Result<u64> {
        Ok(query::<S::DB>(
            "UPDATE dashboard_sessions SET revoked_at = $1 WHERE tenant_id = $2 AND user_id = $3 AND revoked_at IS NULL AND expires_at > $4",
        )
        .bind(now)
        .bind(tenant_id)
        .bind(user_id)
        .bind(now)
        .execute(self.writer())
        .await?)
    }

    async fn create_sso_login(&self, login: &SsoLogin) -> Result<()> {
        query::<S::DB>(
            "INSERT INTO sso_logins (state_hash, provider, browser_hash, nonce, pkce_verifier, created_at, expires_at, used_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&login.state_hash)
        .bind(&login.provider)
        .bind(&login.browser_hash)
        .bind(&login.nonce)
        .bind(&login.pkce_verifier)
        .bind(login.created_at)
        .bind(login.expires_at)
        .bind(login.used_at)
        .execute(self.writer())
        .await?;
        Ok(())
    }

    async fn get_sso_login(&self, state_hash: &str) -> Result<Option<SsoLogin>> {
        let row = query::<S::DB>("SELECT * FROM sso_logins WHERE state_hash = $1")
            .bind(state_hash)
            .fetch_optional(self.writer())
            .await?;
        row.as_ref().map(sso_login_from_row).transpose()
    }

    async fn spend_sso_login(&self, state_hash: &str, now: i64) -> Result<bool> {
        Ok(query::<S::DB>(
            "UPDATE sso_logins SET used_at = $1 WHERE state_hash = $2 AND used_at IS NULL",
        )
        .bind(now)
        .bind(state_hash)
        .execute(self.writer())
        .await?
            == 1)
    }

    async fn delete_expired_sso_logins(&self, before: i64) -> Result<u64> {
        Ok(
            query::<S::DB>("DELETE FROM sso_logins WHERE expires_at < $1")
                .bind(before)
                .execute(self.writer())
                .await?,
        )
    }

    async fn get_sso_identity(&self, provider: &str, subject: &str) -> Result<Option<SsoIdentity>> {
        let row =
            query::<S::DB>("SELECT * FROM sso_identities WHERE provider = $1 AND subject = $2")
                .bind(provider)
                .bind(subject)
                .fetch_optional(self.writer())
                .await?;
        row.as_ref().map(sso_identity_from_row).transpose()
    }

    async fn create_sso_identity(&self, identity: &SsoIdentity) -> Result<()> {
        query::<S::DB>(
            "INSERT INTO sso_identities (provider, subject, tenant_id, user_id, created_at, last_sign_in_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&identity.provider)
        .bind(&identity.subject)
        .bind(&identity.tenant_id)
        .bind(&identity.user_id)
        .bind(identity.created_at)
        .bind(identity.last_sign_in_at)
        .execute(self.writer())
        .await
        .map_err(|e| if is_unique_violation(&e) { StoreError::Conflict("single sign-on identity") } else { e.into() })?;
        Ok(())
    }

    async fn touch_sso_identity(&self, provider: &str, subject: &str, now: i64) -> Result<()> {
        query::<S::DB>(
            "UPDATE sso_identities SET last_sign_in_at = $1 WHERE provider = $2 AND subject = $3",
        )
        .bind(now)
        .bind(provider)
        .bind(subject)
        .execute(self.writer())
        .await?;
        Ok(())
    }

    async fn audit_sources(&self, tenant_id: &str, audit_id: &str) -> Result<Option<String>> {
        let row = query::<S::DB>(
            "SELECT b.content FROM audits a JOIN source_blobs b ON b.hash = a.sources_hash WHERE a.tenant_id = $1 AND a.id = $2",
        )
        .bind(tenant_id)
        .bind(audit_id)
        .fetch_optional(self.reader())
        .await?;
        row.map(|r| r.field_at(0)).transpose().map_err(Into::into)
    }

    async fn previous_project_audit(
        &self,
        tenant_id: &str,
        audit: &Audit,
    ) -> Result<Option<Audit>> {
        let Some(project) = &audit.project else {
            return Ok(None);
        };
        let row = query::<S::DB>(&format!(
            "SELECT {AUDIT_COLUMNS} FROM audits WHERE tenant_id = $1 AND project = $2 AND id < $3 \
             AND status = 'succeeded' ORDER BY id DESC LIMIT 1"
        ))
        .bind(tenant_id)
        .bind(project)
        .bind(&audit.id)
        .fetch_optional(self.reader())
        .await?;
        row.as_ref().map(audit_from_row).transpose()
    }

    async fn audit_fingerprints(&self, tenant_id: &str, audit_id: &str) -> Result<Vec<String>> {
        let rows = query::<S::DB>(
            "SELECT fingerprint FROM findings WHERE tenant_id = $1 AND audit_id = $2",
        )
        .bind(tenant_id)
        .bind(audit_id)
        .fetch_all(self.reader())
        .await?;
        // Not `DISTINCT`: SQLite would walk the tenant's fingerprint index (every finding
        // of the tenant) instead of the audit's findings.
        let mut fingerprints = rows
            .iter()
            .map(|r| r.field_at::<String>(0))
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
        let rows = query::<S::DB>(
            "SELECT created_at, counts_json FROM audits WHERE tenant_id = $1 AND created_at >= $2 AND counts_json IS NOT NULL ORDER BY created_at",
        )
        .bind(tenant_id)
        .bind(since)
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|r| {
                let counts: String = r.field_at(1)?;
                Ok(SeverityCounts {
                    created_at: r.field_at(0)?,
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
        let rows = query::<S::DB>(
            "SELECT action, outcome, COUNT(*) FROM audit_log WHERE (tenant_id = $1 OR ($2 AND tenant_id IS NULL)) AND ts >= $3 GROUP BY action, outcome ORDER BY action, outcome",
        )
        .bind(tenant_id)
        .bind(untenanted)
        .bind(since)
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(AuditEventCount {
                    action: r.field_at(0)?,
                    outcome: r.field_at(1)?,
                    count: r.field_at(2)?,
                })
            })
            .collect()
    }

    // Chain reads
    async fn get_chain_read(&self, key: &ChainReadKey) -> Result<Option<Vec<u8>>> {
        chain_reads::get_chain_read(self.reader(), key).await
    }
    async fn put_chain_read(&self, key: &ChainReadKey, value: &[u8], now: i64) -> Result<()> {
        chain_reads::put_chain_read(self.writer(), key, value, now).await
    }
    async fn get_verified_sources(&self, key: &VerifiedSourcesKey) -> Result<Option<String>> {
        chain_reads::get_verified_sources(self.reader(), key).await
    }
    async fn put_verified_sources(
        &self,
        key: &VerifiedSourcesKey,
        sources: &str,
        now: i64,
    ) -> Result<()> {
        chain_reads::put_verified_sources(self.writer(), key, sources, now).await
    }

    // Monitoring (the `monitoring` module).
    async fn create_monitor(&self, monitor: &StoredMonitor) -> Result<()> {
        monitoring::create_monitor(self.writer(), monitor).await
    }
    async fn get_monitor(&self, tenant_id: &str, id: &str) -> Result<Option<StoredMonitor>> {
        monitoring::get_monitor(self.reader(), tenant_id, id).await
    }
    async fn list_monitors(&self, tenant_id: &str) -> Result<Vec<StoredMonitor>> {
        monitoring::list_monitors(self.reader(), Some(tenant_id)).await
    }
    async fn list_enabled_monitors(&self) -> Result<Vec<StoredMonitor>> {
        monitoring::list_monitors(self.reader(), None).await
    }
    async fn update_monitor(
        &self,
        tenant_id: &str,
        id: &str,
        update: &MonitorUpdate,
    ) -> Result<Option<StoredMonitor>> {
        monitoring::update_monitor(self.writer(), tenant_id, id, update).await
    }
    async fn delete_monitor(&self, tenant_id: &str, id: &str) -> Result<bool> {
        monitoring::delete_monitor(self.writer(), tenant_id, id).await
    }
    async fn get_monitor_checkpoint(
        &self,
        monitor_key: &str,
        chain_id: i64,
    ) -> Result<Option<MonitorCheckpoint>> {
        monitoring::get_checkpoint(self.reader(), monitor_key, chain_id).await
    }
    async fn record_monitor_blocks(&self, blocks: &MonitorBlocks) -> Result<RecordedBlocks> {
        monitoring::record_blocks(self.writer(), blocks).await
    }
    async fn list_monitor_events(
        &self,
        tenant_id: &str,
        monitor_key: &str,
        limit: i64,
    ) -> Result<Vec<MonitorEvent>> {
        monitoring::list_events(self.reader(), tenant_id, monitor_key, limit).await
    }
    async fn list_incidents(
        &self,
        tenant_id: &str,
        filter: &IncidentFilter,
    ) -> Result<Vec<Incident>> {
        monitoring::list_incidents(self.reader(), tenant_id, filter).await
    }
    async fn get_incident(&self, tenant_id: &str, id: &str) -> Result<Option<Incident>> {
        monitoring::get_incident(self.reader(), tenant_id, id).await
    }
    async fn list_incident_events(
        &self,
        tenant_id: &str,
        incident_id: &str,
    ) -> Result<Vec<IncidentEvent>> {
        monitoring::list_incident_events(self.reader(), tenant_id, incident_id).await
    }
    async fn update_incident(
        &self,
        tenant_id: &str,
        id: &str,
        update: &IncidentUpdate,
    ) -> Result<Option<IncidentChange>> {
        monitoring::update_incident(self.writer(), tenant_id, id, update).await
    }
    async fn comment_incident(
        &self,
        tenant_id: &str,
        id: &str,
        actor: &str,
        text: &str,
        now: i64,
    ) -> Result<Option<IncidentEvent>> {
        monitoring::comment_incident(self.writer(), tenant_id, id, actor, text, now).await
    }
    async fn prune_monitor_events(&self, before_ms: i64) -> Result<u64> {
        monitoring::prune_events(self.writer(), before_ms).await
    }
    async fn prune_incidents(&self, resolved_before_ms: i64) -> Result<u64> {
        monitoring::prune_incidents(self.writer(), resolved_before_ms).await
    }

    async fn list_roles(&self, tenant_id: &str) -> Result<Vec<TenantRole>> {
        let rows = query::<S::DB>("SELECT * FROM tenant_roles WHERE tenant_id = $1 ORDER BY name")
            .bind(tenant_id)
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(tenant_role_from_row).collect()
    }

    async fn get_role(&self, tenant_id: &str, name: &str) -> Result<Option<TenantRole>> {
        let row = query::<S::DB>("SELECT * FROM tenant_roles WHERE tenant_id = $1 AND name = $2")
            .bind(tenant_id)
            .bind(name)
            .fetch_optional(self.reader())
            .await?;
        row.as_ref().map(tenant_role_from_row).transpose()
    }

    async fn create_role(&self, role: &TenantRole) -> Result<()> {
        query::<S::DB>(
            "INSERT INTO tenant_roles (tenant_id, name, permissions, description, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&role.tenant_id)
        .bind(&role.name)
        .bind(serde_json::to_string(&role.permissions)?)
        .bind(&role.description)
        .bind(&role.created_by)
        .bind(role.created_at)
        .execute(self.writer())
        .await
        .map_err(|e| if is_unique_violation(&e) { StoreError::Conflict("role") } else { e.into() })?;
        Ok(())
    }

    async fn delete_role(&self, tenant_id: &str, name: &str) -> Result<bool> {
        let mut tx = self.writer().begin().await?;
        let holders: i64 = query::<S::DB>(
            "SELECT (SELECT COUNT(*) FROM users WHERE tenant_id = $1 AND role = $2) + \
             (SELECT COUNT(*) FROM api_keys WHERE tenant_id = $3 AND role = $4 AND revoked_at IS NULL)",
        )
        .bind(tenant_id)
        .bind(name)
        .bind(tenant_id)
        .bind(name)
        .fetch_one(&mut *tx)
        .await?
        .field_at(0)?;
        if holders > 0 {
            return Err(StoreError::Conflict("role in use"));
        }
        let deleted = query::<S::DB>("DELETE FROM tenant_roles WHERE tenant_id = $1 AND name = $2")
            .bind(tenant_id)
            .bind(name)
            .execute(&mut *tx)
            .await?
            == 1;
        tx.commit().await?;
        Ok(deleted)
    }

    async fn assistant_policy(&self, tenant_id: &str) -> Result<AssistantPolicy> {
        assistant::assistant_policy(self.reader(), tenant_id).await
    }

    async fn set_assistant_policy(
        &self,
        tenant_id: &str,
        policy: &AssistantPolicy,
        now: i64,
    ) -> Result<()> {
        assistant::set_assistant_policy(self.writer(), tenant_id, policy, now).await
    }

    async fn request_suggestion(&self, suggestion: &Suggestion) -> Result<(Suggestion, bool)> {
        assistant::request_suggestion(self.writer(), suggestion).await
    }

    async fn claim_suggestion(
        &self,
        owner: &str,
        now: i64,
        lease_until: i64,
        max_attempts: i64,
    ) -> Result<Option<Suggestion>> {
        assistant::claim_suggestion(self.writer(), owner, now, lease_until, max_attempts).await
    }

    async fn finish_suggestion(
        &self,
        id: &str,
        owner: &str,
        outcome: std::result::Result<&str, &str>,
        now: i64,
    ) -> Result<bool> {
        assistant::finish_suggestion(self.writer(), id, owner, outcome, now).await
    }

    async fn finding_suggestions(
        &self,
        tenant_id: &str,
        finding_id: &str,
    ) -> Result<Vec<Suggestion>> {
        assistant::finding_suggestions(self.reader(), tenant_id, finding_id).await
    }

    async fn audit_suggestions(&self, tenant_id: &str, audit_id: &str) -> Result<Vec<Suggestion>> {
        assistant::audit_suggestions(self.reader(), tenant_id, audit_id).await
    }

    async fn cached_outcome(&self, key: &str) -> Result<Option<String>> {
        assistant::cached_outcome(self.reader(), key).await
    }

    async fn cache_outcome(
        &self,
        key: &str,
        tenant_id: &str,
        outcome: &str,
        now: i64,
    ) -> Result<()> {
        assistant::cache_outcome(self.writer(), key, tenant_id, outcome, now).await
    }

    async fn reserve_assistant_tokens(
        &self,
        tenant_id: &str,
        day: &str,
        tokens: i64,
        limit: i64,
    ) -> Result<bool> {
        assistant::reserve_tokens(self.writer(), tenant_id, day, tokens, limit).await
    }

    async fn adjust_assistant_tokens(&self, tenant_id: &str, day: &str, delta: i64) -> Result<()> {
        assistant::adjust_tokens(self.writer(), tenant_id, day, delta).await
    }

    async fn assistant_tokens_used(&self, tenant_id: &str, day: &str) -> Result<i64> {
        assistant::tokens_used(self.reader(), tenant_id, day).await
    }
}

fn checkpoint_from_row(row: &impl RowExt) -> Result<trail::Checkpoint> {
    Ok(trail::Checkpoint {
        seq: row.field("seq")?,
        hash: row.field("hash")?,
        pruned: row.field("pruned")?,
        created_at: row.field("created_at")?,
        mac: row.field("mac")?,
    })
}
