//! Persistence for the web3audit service.
//!
//! One interface, [`Store`], that every backend implements: tenants, users, API keys,
//! audits (which double as the persistent job queue, with leases), findings and their
//! triage history, the analysis cache and the hash-chained audit trail. The backend is
//! chosen by the scheme of the database URL ([`connect`]): SQLite, the embedded default
//! owned by one process, or PostgreSQL, shared by any number of `serve` and `worker`
//! processes. Both run one conformance suite (`tests/conformance.rs`).
//!
//! Invariants:
//! - every tenant-owned row is read and written through a `tenant_id` filter; a row of
//!   another tenant is indistinguishable from a missing one;
//! - migrations are per backend, numbered, applied in order once, and never edited;
//! - a job completes only while its lease is held by the completing worker, so a job that
//!   was re-queued and picked up again never records its findings twice;
//! - audit-trail appends are serialized across every process using the database, so the
//!   trail stays one chain.

mod error;
mod model;
mod postgres;
mod sqlite;
pub mod trail;

use std::sync::Arc;

pub use error::StoreError;
pub use model::*;
pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;

/// Result alias of this crate.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Opens the store named by `url`, creating the database and applying migrations.
///
/// `sqlite://PATH` (relative or absolute) and `sqlite:PATH` select SQLite;
/// `postgres://USER:PASSWORD@HOST:PORT/DATABASE` (or `postgresql://`) selects PostgreSQL.
pub async fn connect(url: &str) -> Result<Arc<dyn Store>> {
    if url.starts_with("sqlite:") {
        Ok(Arc::new(SqliteStore::open(url).await?))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(PostgresStore::open(url).await?))
    } else {
        Err(StoreError::Unsupported(format!(
            "unknown database URL scheme in {}; expected sqlite://PATH or postgres://HOST/DATABASE",
            redact_url(url)
        )))
    }
}

/// A database URL with any password (in the user part or a `password=` parameter)
/// replaced by `***`, safe to log or print.
pub fn redact_url(url: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let mut redacted = match base.split_once("://") {
        Some((scheme, rest)) => match rest.rsplit_once('@') {
            Some((userinfo, host)) => {
                let user = userinfo.split(':').next().unwrap_or("");
                format!("{scheme}://{user}:***@{host}")
            }
            None => base.to_string(),
        },
        None => base.to_string(),
    };
    if let Some(query) = query {
        let params: Vec<String> = query
            .split('&')
            .map(|param| match param.split_once('=') {
                Some((name, _)) if name.eq_ignore_ascii_case("password") => format!("{name}=***"),
                _ => param.to_string(),
            })
            .collect();
        redacted.push('?');
        redacted.push_str(&params.join("&"));
    }
    redacted
}

/// The persistence interface of the service.
#[async_trait::async_trait]
pub trait Store: Send + Sync + 'static {
    /// Whether other processes may use the same database at once (PostgreSQL). When
    /// false (SQLite) this process owns the database, so at start every audit left
    /// running belongs to a dead process; when true, only expired leases say so.
    fn is_shared(&self) -> bool;
    /// Cheap round trip to the database, for readiness probes.
    async fn ping(&self) -> Result<()>;
    /// Applied migration versions, ascending.
    async fn migration_versions(&self) -> Result<Vec<i64>>;

    // Tenants, users, API keys.
    async fn create_tenant(&self, tenant: &Tenant) -> Result<()>;
    async fn get_tenant(&self, id: &str) -> Result<Option<Tenant>>;
    async fn list_tenants(&self) -> Result<Vec<Tenant>>;
    async fn update_tenant_plan(&self, id: &str, plan: &str) -> Result<Option<Tenant>>;
    async fn create_user(&self, user: &User) -> Result<()>;
    async fn get_user(&self, tenant_id: &str, id: &str) -> Result<Option<User>>;
    async fn find_user_by_email(&self, email: &str) -> Result<Option<User>>;
    async fn list_users(&self, tenant_id: &str) -> Result<Vec<User>>;
    async fn update_user(
        &self,
        tenant_id: &str,
        id: &str,
        update: &UserUpdate,
    ) -> Result<Option<User>>;
    async fn create_api_key(&self, key: &ApiKey) -> Result<()>;
    async fn find_api_key_by_prefix(&self, prefix: &str) -> Result<Option<ApiKey>>;
    async fn list_api_keys(&self, tenant_id: &str) -> Result<Vec<ApiKey>>;
    async fn revoke_api_key(&self, tenant_id: &str, id: &str, now: i64) -> Result<Option<ApiKey>>;

    // Audits and the job queue.
    /// Inserts an audit (queued, or already succeeded when `cached` is given) with its
    /// sources. An audit with the same tenant and idempotency key is returned instead.
    async fn insert_audit(
        &self,
        audit: &NewAudit,
        sources_json: &str,
        cached: Option<&CachedAnalysis>,
    ) -> Result<InsertedAudit>;
    async fn get_audit(&self, tenant_id: &str, id: &str) -> Result<Option<Audit>>;
    async fn list_audits(&self, tenant_id: &str, filter: &AuditFilter) -> Result<Vec<Audit>>;
    async fn count_audits_since(&self, tenant_id: &str, since: i64) -> Result<i64>;
    async fn stored_source_bytes(&self, tenant_id: &str) -> Result<i64>;
    /// Cancels a queued or running audit; returns the audit as it is afterwards.
    async fn cancel_audit(&self, tenant_id: &str, id: &str, now: i64) -> Result<Option<Audit>>;
    /// Takes the oldest queued audit under a lease for `owner`.
    async fn claim_next(
        &self,
        owner: &str,
        now: i64,
        lease_until: i64,
    ) -> Result<Option<ClaimedJob>>;
    /// Extends the lease; false when the lease was lost (cancelled, re-queued).
    async fn heartbeat(&self, id: &str, owner: &str, lease_until: i64) -> Result<bool>;
    /// Records the outcome while the lease is held; false (and nothing written) otherwise.
    async fn complete(&self, id: &str, owner: &str, now: i64, outcome: &JobOutcome)
    -> Result<bool>;
    /// Puts running audits back in the queue: those of `owner`, or all when `None`.
    async fn requeue_running(&self, owner: Option<&str>) -> Result<u64>;
    /// Puts running audits whose lease expired before `now` back in the queue.
    async fn requeue_expired(&self, now: i64) -> Result<u64>;
    async fn queue_depth(&self) -> Result<i64>;
    /// Waits until work may have been queued by any process sharing the database (a
    /// submission, a re-queued lease), or `timeout` passes. Backends without such
    /// notifications just wait out the timeout.
    async fn wait_for_work(&self, timeout: std::time::Duration) {
        tokio::time::sleep(timeout).await;
    }

    // Rate limits shared by every process using the database.
    /// Takes one token from the bucket `key`; `None` when taken, else the seconds until
    /// one is available (nothing taken).
    async fn take_token(&self, key: &str, rate: &TokenRate, now: i64) -> Result<Option<u64>>;
    /// Deletes buckets untouched since `idle_before` (a missing bucket is a full one).
    async fn prune_rate_buckets(&self, idle_before: i64) -> Result<u64>;
    async fn get_cached(&self, cache_key: &str) -> Result<Option<CachedAnalysis>>;

    // Findings and triage.
    async fn list_findings(
        &self,
        tenant_id: &str,
        audit_id: &str,
        filter: &FindingFilter,
    ) -> Result<Vec<Finding>>;
    async fn get_finding(&self, tenant_id: &str, id: &str) -> Result<Option<Finding>>;
    async fn triage_finding(
        &self,
        tenant_id: &str,
        id: &str,
        event: &NewTriageEvent,
    ) -> Result<Option<(Finding, TriageEvent)>>;
    async fn list_triage_events(
        &self,
        tenant_id: &str,
        fingerprint: &str,
    ) -> Result<Vec<TriageEvent>>;

    // Audit trail.
    /// Appends one entry to the hash chain; returns it as stored.
    async fn append_audit_event(
        &self,
        event: &NewAuditEvent,
        signer: &trail::Signer,
    ) -> Result<AuditEvent>;
    async fn list_audit_events(&self, filter: &AuditEventFilter) -> Result<Vec<AuditEvent>>;
    /// Every entry in `seq` order and the recorded head, for verification.
    async fn audit_chain(&self) -> Result<(Vec<AuditEvent>, Option<trail::ChainHead>)>;

    // Dashboard
    async fn create_dashboard_session(&self, session: &DashboardSession) -> Result<()>;
    /// The session with this token hash, live or not (the caller checks).
    async fn get_dashboard_session(&self, token_hash: &str) -> Result<Option<DashboardSession>>;
    /// Marks the session revoked; false when there is no such live session.
    async fn revoke_dashboard_session(&self, token_hash: &str, now: i64) -> Result<bool>;
    /// Deletes sessions that expired before `before`.
    async fn delete_expired_dashboard_sessions(&self, before: i64) -> Result<u64>;
    /// The submitted sources of an audit (a JSON object of path to text).
    async fn audit_sources(&self, tenant_id: &str, audit_id: &str) -> Result<Option<String>>;
    /// The latest succeeded audit of the same tenant and project submitted before `audit`.
    async fn previous_project_audit(&self, tenant_id: &str, audit: &Audit)
    -> Result<Option<Audit>>;
    /// The distinct finding fingerprints of an audit.
    async fn audit_fingerprints(&self, tenant_id: &str, audit_id: &str) -> Result<Vec<String>>;
    /// Severity counts of the tenant's succeeded audits submitted since `since`, oldest first.
    async fn severity_counts_since(
        &self,
        tenant_id: &str,
        since: i64,
    ) -> Result<Vec<SeverityCounts>>;
    /// Trail entries since `since` per action and outcome: the tenant's, plus those that
    /// name no tenant when `untenanted` (unknown credentials; for the operator tenant).
    async fn audit_event_counts(
        &self,
        tenant_id: &str,
        untenanted: bool,
        since: i64,
    ) -> Result<Vec<AuditEventCount>>;
}
