//! Persistence for the web3audit service.
//!
//! One interface, [`Store`], that every backend implements: tenants, users, API keys,
//! audits (which double as the persistent job queue, with leases), findings and their
//! triage history, the analysis cache, the cache of chain reads, the hash-chained audit
//! trail, and on-chain monitoring (monitors, their checkpoints and events, incidents). The
//! backend is chosen by the scheme of the database URL ([`connect`]): SQLite, the embedded
//! default owned by one process, or PostgreSQL, shared by any number of `serve` and
//! `worker` processes. Both run one conformance suite (`tests/conformance.rs`, and the
//! suites of alerts, webhooks and monitoring beside it).
//!
//! Invariants:
//! - every tenant-owned row is read and written through a `tenant_id` filter; a row of
//!   another tenant is indistinguishable from a missing one;
//! - migrations are per backend, numbered, applied in order once, and never edited;
//! - a job completes only while its lease is held by the completing worker, so a job that
//!   was re-queued and picked up again never records its findings twice;
//! - audit-trail appends are serialized across every process using the database, so the
//!   trail stays one chain;
//! - a monitor's blocks are recorded behind its checkpoint, serialized per monitor and
//!   chain across every process: each firing is stored, alerted and joined to an incident
//!   once.

mod alerts;
pub mod backup;
mod credentials;
mod error;
mod model;
mod monitoring;
mod postgres;
pub mod retention;
mod sql;
mod sqlite;
pub mod trail;
mod webhooks;

use std::sync::Arc;

pub use alerts::*;
pub use credentials::CredentialEpoch;
pub use error::StoreError;
pub use model::*;
pub use monitoring::*;
pub use postgres::PostgresStore;
pub use retention::PrunedAudits;
pub use sqlite::SqliteStore;
pub use webhooks::*;

/// The most decisions [`Store::project_dismissals`] returns.
pub const MAX_DISMISSALS: i64 = 1000;

/// Result alias of this crate.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// How a store connects, beyond its URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectOptions {
    /// The most connections the process keeps open to the database: PostgreSQL's pool
    /// for every request and worker; SQLite's pool of readers (it has one writer).
    pub max_connections: u32,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        ConnectOptions {
            max_connections: default_max_connections(),
        }
    }
}

/// The default pool size: four connections per CPU of the node, at least 16, at most 64.
/// Every process of a deployment holds up to this many, so their sum must stay under the
/// PostgreSQL server's `max_connections` (100 by default).
pub fn default_max_connections() -> u32 {
    let cpus = std::thread::available_parallelism().map_or(2, |n| n.get());
    u32::try_from(cpus.saturating_mul(4))
        .unwrap_or(u32::MAX)
        .clamp(16, 64)
}

/// The default number of SQLite readers: two per CPU, 2 to 16. A SQLite read runs in the
/// process, on the reader's own thread: readers beyond the CPUs add no parallelism, only
/// threads to wake (with 100 clients polling on 2 cores, 4 readers completed about 10%
/// more audits per second than 16).
pub fn default_sqlite_readers() -> u32 {
    let cpus = std::thread::available_parallelism().map_or(2, |n| n.get());
    u32::try_from(cpus.saturating_mul(2))
        .unwrap_or(u32::MAX)
        .clamp(2, 16)
}

/// Opens the store named by `url`, creating the database and applying migrations.
///
/// `sqlite://PATH` (relative or absolute) and `sqlite:PATH` select SQLite;
/// `postgres://USER:PASSWORD@HOST:PORT/DATABASE` (or `postgresql://`) selects PostgreSQL.
pub async fn connect(url: &str) -> Result<Arc<dyn Store>> {
    connect_with(url, &ConnectOptions::default()).await
}

/// [`connect`] with a pool size.
pub async fn connect_with(url: &str, options: &ConnectOptions) -> Result<Arc<dyn Store>> {
    if url.starts_with("sqlite:") {
        Ok(Arc::new(SqliteStore::open_with(url, options).await?))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(PostgresStore::open_with(url, options).await?))
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

    // Second factor (TOTP) and the tenant's policy.
    async fn get_user_mfa(&self, user_id: &str) -> Result<Option<UserMfa>>;
    /// Starts (or restarts) an enrolment with a new sealed secret; `false`, changing
    /// nothing, when the user already has a confirmed second factor.
    async fn start_mfa_enrolment(&self, user_id: &str, secret: &str, now: i64) -> Result<bool>;
    /// Confirms a pending enrolment with the step of its first code and replaces the
    /// user's recovery codes with `recovery_hashes`; `false` when nothing was pending.
    async fn confirm_mfa(
        &self,
        user_id: &str,
        step: i64,
        recovery_hashes: &[String],
        now: i64,
    ) -> Result<bool>;
    /// Records that a code of `step` was accepted, only when `step` is later than every
    /// step accepted before (so a code is accepted once, even by concurrent sign-ins).
    async fn use_totp_step(&self, user_id: &str, step: i64) -> Result<bool>;
    /// Spends one recovery code; `false` when there is no such unused code.
    async fn use_recovery_code(&self, user_id: &str, code_hash: &str, now: i64) -> Result<bool>;
    /// Unused recovery codes of the user.
    async fn count_recovery_codes(&self, user_id: &str) -> Result<i64>;
    /// Removes the user's second factor and recovery codes.
    async fn remove_mfa(&self, user_id: &str) -> Result<bool>;
    async fn mfa_required(&self, tenant_id: &str) -> Result<bool>;
    async fn set_mfa_required(&self, tenant_id: &str, required: bool, now: i64) -> Result<()>;
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
    /// Makes the key expire at `at` unless it expires sooner already; the key as it is now,
    /// `None` when the tenant has no such key.
    async fn expire_api_key_by(&self, tenant_id: &str, id: &str, at: i64)
    -> Result<Option<ApiKey>>;
    /// Records a use of the key at `now` when the last recorded one is older than `since`.
    async fn touch_api_key(&self, id: &str, now: i64, since: i64) -> Result<()>;
    /// The generation of credentials, for caches of authentication: it changes whenever
    /// an API key is revoked or its expiry changes, or a user is changed (role, disabled),
    /// through this process or (PostgreSQL, once [`Store::watch_credentials`] runs) any
    /// other. `None` while changes made elsewhere may go unseen (the notification
    /// connection is down, or not started): nothing may then be served from a cache.
    fn credential_generation(&self) -> Option<u64>;
    /// Starts following credential changes made by other processes (PostgreSQL: a
    /// `LISTEN` connection, re-opened when lost); nothing to do where this process owns
    /// the database. Call it once, from a Tokio runtime.
    fn watch_credentials(&self) {}

    // Audits and the job queue.
    /// Inserts an audit (queued, or already succeeded when `cached` is given) with its
    /// sources. An audit with the same tenant and idempotency key is returned instead.
    async fn insert_audit(
        &self,
        audit: &NewAudit,
        sources_json: &str,
        cached: Option<&CachedAnalysis>,
    ) -> Result<InsertedAudit>;
    /// [`Store::insert_audit`] and, in the same transaction, `event` on the audit trail:
    /// an audit is never stored without the entry that records its submission, and
    /// neither is the entry without the audit. Nothing is appended when an audit with the
    /// same idempotency key is returned instead.
    async fn insert_audit_recorded(
        &self,
        audit: &NewAudit,
        sources_json: &str,
        cached: Option<&CachedAnalysis>,
        event: &NewAuditEvent,
        signer: &trail::Signer,
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
    /// Adds what this process consumed from buckets since its last sync to the shared
    /// buckets (refilled at `rate` up to `now`; a level may go below zero, down to minus
    /// the capacity, so that requests admitted over the limit are paid back) and returns
    /// each bucket's level afterwards, in the order given. A missing bucket is a full one.
    async fn sync_rate_buckets(
        &self,
        rate: &TokenRate,
        consumed: &[(String, f64)],
        now: i64,
    ) -> Result<Vec<f64>>;
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
    /// The standing false-positive decisions on findings of the tenant's other audits of
    /// `project` (not `audit_id`), newest first, at most [`MAX_DISMISSALS`].
    async fn project_dismissals(
        &self,
        tenant_id: &str,
        project: &str,
        audit_id: &str,
    ) -> Result<Vec<Dismissal>>;
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

    // Retention: deleting old rows in bounded, idempotent batches (safe when several
    // processes sweep at once), and pruning the audit trail behind signed checkpoints.
    /// Deletes up to `limit` audits that reached a final state before `finished_before`
    /// (never a queued or running one), with their findings and the triage events of
    /// those findings; per-fingerprint triage states stay. Fewer than `limit` audits
    /// deleted means none older is left.
    async fn prune_audits(&self, finished_before: i64, limit: i64) -> Result<PrunedAudits>;
    /// Deletes up to `limit` source blobs and up to `limit` analysis-cache rows that no
    /// audit refers to any more.
    async fn prune_unreferenced(&self, limit: i64) -> Result<PrunedAudits>;
    /// What `prune_audits` then `prune_unreferenced` would delete for this cutoff.
    async fn count_prunable_audits(&self, finished_before: i64) -> Result<PrunedAudits>;
    /// Prunes the oldest trail entries written before `before`: at most `limit`, the run
    /// of them at the start of the chain. In one transaction it checks that they verify
    /// (pruning never hides tampering: a broken chain is an error and nothing is
    /// deleted), deletes them, stores a signed checkpoint of the last one and appends an
    /// `audit_log.pruned` entry by `actor`. `None` when nothing was old enough.
    async fn prune_audit_log(
        &self,
        before: i64,
        limit: i64,
        now: i64,
        actor: &str,
        signer: &trail::Signer,
    ) -> Result<Option<trail::Checkpoint>>;
    /// How many entries `prune_audit_log` would delete for this cutoff, without a limit.
    async fn count_prunable_audit_log(&self, before: i64) -> Result<u64>;
    /// The remaining entries, the head and every checkpoint, from one snapshot.
    async fn audit_trail(&self) -> Result<trail::TrailSnapshot>;
    // Backup
    /// Reads every table of the service (found in the catalog, but for the migrations
    /// table and the ephemeral ones) in one read-only snapshot, in foreign-key order,
    /// handing the rows to `sink`; returns the tables' row counts and content checksums.
    async fn backup_export(&self, sink: &mut dyn backup::RowSink) -> Result<backup::Snapshot>;
    /// Row counts and content checksums of the live database, from one snapshot.
    async fn backup_checksums(&self) -> Result<backup::Snapshot> {
        self.backup_export(&mut backup::Discard).await
    }
    /// Writes a backup into this database in one transaction: refuses a newer schema and,
    /// unless `force` (which empties it first), a target holding rows; writes the tables
    /// in foreign-key order, converting values to the columns' types; commits only when
    /// every table's row count and checksum equal the backup's and the audit trail
    /// verifies under the signer.
    async fn backup_restore(
        &self,
        request: &backup::RestoreRequest<'_>,
        source: &mut dyn backup::RowSource,
    ) -> Result<backup::RestoreOutcome>;
    // Webhooks: per-tenant subscriptions, and their deliveries (log and queue at once).
    async fn create_webhook(&self, webhook: &Webhook) -> Result<()>;
    async fn get_webhook(&self, tenant_id: &str, id: &str) -> Result<Option<Webhook>>;
    async fn list_webhooks(&self, tenant_id: &str) -> Result<Vec<Webhook>>;
    async fn update_webhook(
        &self,
        tenant_id: &str,
        id: &str,
        update: &WebhookUpdate,
    ) -> Result<Option<Webhook>>;
    /// Deletes a webhook with its delivery log; false when there was none.
    async fn delete_webhook(&self, tenant_id: &str, id: &str) -> Result<bool>;
    /// Queues deliveries (pending, due at their creation unless inserted leased).
    async fn insert_webhook_deliveries(&self, deliveries: &[NewWebhookDelivery]) -> Result<()>;
    /// Takes up to `limit` due pending deliveries under a lease for `owner`; a delivery
    /// whose lease expired is due again.
    async fn claim_webhook_deliveries(
        &self,
        owner: &str,
        now: i64,
        lease_until: i64,
        limit: i64,
    ) -> Result<Vec<ClaimedDelivery>>;
    /// Records one attempt while `owner` holds the lease. A delivery that ends failed or
    /// refused counts against its webhook, which is disabled (its pending deliveries
    /// failed) when `disable_after` such deliveries follow each other; one that succeeds
    /// resets the count.
    async fn record_webhook_attempt(
        &self,
        id: &str,
        owner: &str,
        attempt: &DeliveryAttempt,
        disable_after: i64,
    ) -> Result<AttemptRecorded>;
    async fn get_webhook_delivery(
        &self,
        tenant_id: &str,
        id: &str,
    ) -> Result<Option<WebhookDelivery>>;
    /// A webhook's deliveries, newest first.
    async fn list_webhook_deliveries(
        &self,
        tenant_id: &str,
        webhook_id: &str,
        filter: &DeliveryFilter,
    ) -> Result<Vec<WebhookDelivery>>;
    /// Deletes finished deliveries (not pending) that finished before `before`.
    async fn prune_webhook_deliveries(&self, before: i64) -> Result<u64>;

    // Alerts
    /// Records one firing of an alert rule: opens a new alert (`Opened`: to be sent)
    /// unless the latest open alert of the same rule, tenant and dedup key was opened less
    /// than `cooldown_ms` ago, in which case the occurrences fold into it (`Folded`). Open
    /// alerts of the key older than the cooldown are resolved (superseded). Decided in one
    /// transaction, serialized per key across every process sharing the database.
    async fn raise_alert(&self, alert: &NewAlert) -> Result<RaisedAlert>;
    async fn get_alert(&self, id: &str) -> Result<Option<Alert>>;
    /// Alerts, latest first.
    async fn list_alerts(&self, filter: &AlertFilter) -> Result<Vec<Alert>>;
    /// Acknowledges a firing alert; returns the alert as it is afterwards (unchanged when
    /// it was not firing), `None` when there is no such alert.
    async fn acknowledge_alert(&self, id: &str, actor: &str, now: i64) -> Result<Option<Alert>>;
    /// Resolves the open alerts of a key (its condition cleared); returns how many.
    async fn resolve_alerts(
        &self,
        rule: &str,
        tenant_id: Option<&str>,
        dedup_key: &str,
        now: i64,
    ) -> Result<u64>;
    /// Marks a firing, not yet escalated alert as escalated; false when it was
    /// acknowledged, resolved or escalated meanwhile (by any process).
    async fn claim_alert_escalation(&self, id: &str, now: i64) -> Result<bool>;
    async fn record_alert_notification(&self, notification: &AlertNotification) -> Result<()>;
    async fn list_alert_notifications(&self, alert_id: &str) -> Result<Vec<AlertNotification>>;
    /// Audits of every tenant that reached succeeded, failed or timed_out at or after
    /// `since`: `(finished, failed or timed out)`.
    async fn count_finished_audits(&self, since: i64) -> Result<(i64, i64)>;
    /// Deletes acknowledged and resolved alerts last seen before `before_ms`, with their
    /// notifications (firing alerts are kept); returns the number of alerts deleted.
    async fn prune_alert_history(&self, before_ms: i64) -> Result<u64>;

    // Dashboard
    async fn create_dashboard_session(&self, session: &DashboardSession) -> Result<()>;
    /// The session with this token hash, live or not (the caller checks).
    async fn get_dashboard_session(&self, token_hash: &str) -> Result<Option<DashboardSession>>;
    /// Marks the session revoked; false when there is no such live session.
    async fn revoke_dashboard_session(&self, token_hash: &str, now: i64) -> Result<bool>;
    /// Deletes sessions that expired before `before`.
    async fn delete_expired_dashboard_sessions(&self, before: i64) -> Result<u64>;
    /// Revokes every live session of a user of the tenant; returns how many.
    async fn revoke_user_sessions(&self, tenant_id: &str, user_id: &str, now: i64) -> Result<u64>;

    // Single sign-on
    async fn create_sso_login(&self, login: &SsoLogin) -> Result<()>;
    /// The sign-in with this state hash, spent or not (the caller checks).
    async fn get_sso_login(&self, state_hash: &str) -> Result<Option<SsoLogin>>;
    /// Marks the sign-in spent; false when it already was (a replayed callback).
    async fn spend_sso_login(&self, state_hash: &str, now: i64) -> Result<bool>;
    /// Deletes sign-ins that expired before `before`.
    async fn delete_expired_sso_logins(&self, before: i64) -> Result<u64>;
    async fn get_sso_identity(&self, provider: &str, subject: &str) -> Result<Option<SsoIdentity>>;
    /// Records an identity's first sign-in; `StoreError::Conflict` when it exists.
    async fn create_sso_identity(&self, identity: &SsoIdentity) -> Result<()>;
    async fn touch_sso_identity(&self, provider: &str, subject: &str, now: i64) -> Result<()>;
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

    // Chain reads: a cache of state read from a chain at a concrete block, which never
    // changes, shared by every process using the database.
    /// The value read, when it was read before.
    async fn get_chain_read(&self, key: &ChainReadKey) -> Result<Option<Vec<u8>>>;
    /// Records a value read; a value already recorded stays (it is the same one).
    async fn put_chain_read(&self, key: &ChainReadKey, value: &[u8], now: i64) -> Result<()>;
    /// The verified sources of a contract's compilation, when fetched before.
    async fn get_verified_sources(&self, key: &VerifiedSourcesKey) -> Result<Option<String>>;
    /// Records verified sources; sources already recorded stay.
    async fn put_verified_sources(
        &self,
        key: &VerifiedSourcesKey,
        sources: &str,
        now: i64,
    ) -> Result<()>;
    // On-chain monitoring (see the `monitoring` module): monitors defined through the API,
    // checkpoints, events, and the incidents they open.
    /// Stores a monitor; a name the tenant already uses is `Conflict("monitor")`.
    async fn create_monitor(&self, monitor: &StoredMonitor) -> Result<()>;
    async fn get_monitor(&self, tenant_id: &str, id: &str) -> Result<Option<StoredMonitor>>;
    /// The tenant's monitors, by name.
    async fn list_monitors(&self, tenant_id: &str) -> Result<Vec<StoredMonitor>>;
    /// Every enabled monitor of every tenant (what monitor processes run).
    async fn list_enabled_monitors(&self) -> Result<Vec<StoredMonitor>>;
    /// Changes what the update names; a name the tenant already uses is
    /// `Conflict("monitor")`.
    async fn update_monitor(
        &self,
        tenant_id: &str,
        id: &str,
        update: &MonitorUpdate,
    ) -> Result<Option<StoredMonitor>>;
    /// Deletes a monitor with its checkpoints (its events and incidents stay); false when
    /// there was none.
    async fn delete_monitor(&self, tenant_id: &str, id: &str) -> Result<bool>;
    async fn get_monitor_checkpoint(
        &self,
        monitor_key: &str,
        chain_id: i64,
    ) -> Result<Option<MonitorCheckpoint>>;
    /// Records a run of blocks exactly once (see the `monitoring` module): a checkpoint
    /// that is not at `expected_next` any more is `Conflict("monitor checkpoint")` and
    /// nothing is written; an event level that is not an alert level is refused.
    async fn record_monitor_blocks(&self, blocks: &MonitorBlocks) -> Result<RecordedBlocks>;
    /// The events of one monitor (by key), newest first; `limit` 0 or less means 100, at
    /// most 1000.
    async fn list_monitor_events(
        &self,
        tenant_id: &str,
        monitor_key: &str,
        limit: i64,
    ) -> Result<Vec<MonitorEvent>>;
    /// The tenant's incidents, newest opened first; `limit` as for monitor events.
    async fn list_incidents(
        &self,
        tenant_id: &str,
        filter: &IncidentFilter,
    ) -> Result<Vec<Incident>>;
    async fn get_incident(&self, tenant_id: &str, id: &str) -> Result<Option<Incident>>;
    /// The timeline of an incident, oldest first (empty for another tenant's incident).
    async fn list_incident_events(
        &self,
        tenant_id: &str,
        incident_id: &str,
    ) -> Result<Vec<IncidentEvent>>;
    /// Moves the state forward and/or changes the assignee, appending a timeline entry
    /// for each actual change; `None` when the tenant has no such incident.
    async fn update_incident(
        &self,
        tenant_id: &str,
        id: &str,
        update: &IncidentUpdate,
    ) -> Result<Option<IncidentChange>>;
    /// Appends a comment to the timeline; `None` when the tenant has no such incident.
    async fn comment_incident(
        &self,
        tenant_id: &str,
        id: &str,
        actor: &str,
        text: &str,
        now: i64,
    ) -> Result<Option<IncidentEvent>>;
    /// Deletes monitor events (firings) recorded before `before_ms`; returns how many.
    /// Their alerts and incidents stay (an incident's timeline keeps its alert entries).
    async fn prune_monitor_events(&self, before_ms: i64) -> Result<u64>;
    /// Deletes incidents resolved before `before_ms`, with their timelines; monitor events
    /// that joined them stay, unlinked. Open, acknowledged and mitigated incidents are
    /// kept however old. Returns the number of incidents deleted.
    async fn prune_incidents(&self, resolved_before_ms: i64) -> Result<u64>;

    // Tenants' own roles.
    async fn list_roles(&self, tenant_id: &str) -> Result<Vec<TenantRole>>;
    async fn get_role(&self, tenant_id: &str, name: &str) -> Result<Option<TenantRole>>;
    /// [`StoreError::Conflict`] when the tenant has a role of that name.
    async fn create_role(&self, role: &TenantRole) -> Result<()>;
    /// Deletes a role no user and no live API key holds (else [`StoreError::Conflict`]);
    /// `false` when there is no such role.
    async fn delete_role(&self, tenant_id: &str, name: &str) -> Result<bool>;

    // The optional assistant.
    /// The tenant's assistant policy (the default when it never set one).
    async fn assistant_policy(&self, tenant_id: &str) -> Result<AssistantPolicy>;
    async fn set_assistant_policy(
        &self,
        tenant_id: &str,
        policy: &AssistantPolicy,
        now: i64,
    ) -> Result<()>;
    /// Queues `suggestion` (its status, attempts, outcome and error are ignored) unless
    /// one for the same finding is queued or running; returns the suggestion that now
    /// waits, and whether it is the new one.
    async fn request_suggestion(&self, suggestion: &Suggestion) -> Result<(Suggestion, bool)>;
    /// Takes the oldest queued suggestion (or one whose lease expired, while it has had
    /// fewer than `max_attempts`) under a lease for `owner`; gives up, as failed, those
    /// whose lease expired on their last attempt.
    async fn claim_suggestion(
        &self,
        owner: &str,
        now: i64,
        lease_until: i64,
        max_attempts: i64,
    ) -> Result<Option<Suggestion>>;
    /// Records the outcome (JSON) or the error of a suggestion while `owner` holds its
    /// lease; `false` (nothing written) otherwise.
    async fn finish_suggestion(
        &self,
        id: &str,
        owner: &str,
        outcome: std::result::Result<&str, &str>,
        now: i64,
    ) -> Result<bool>;
    /// The finding's suggestions, newest first (at most 20).
    async fn finding_suggestions(
        &self,
        tenant_id: &str,
        finding_id: &str,
    ) -> Result<Vec<Suggestion>>;
    /// Every suggestion on the audit's findings, oldest first.
    async fn audit_suggestions(&self, tenant_id: &str, audit_id: &str) -> Result<Vec<Suggestion>>;
    /// An assistant outcome cached under `key` (JSON).
    async fn cached_outcome(&self, key: &str) -> Result<Option<String>>;
    async fn cache_outcome(
        &self,
        key: &str,
        tenant_id: &str,
        outcome: &str,
        now: i64,
    ) -> Result<()>;
    /// Adds `tokens` to the tenant's usage of `day` when the total stays within `limit`;
    /// `false`, changing nothing, otherwise. Concurrent reservations never exceed it.
    async fn reserve_assistant_tokens(
        &self,
        tenant_id: &str,
        day: &str,
        tokens: i64,
        limit: i64,
    ) -> Result<bool>;
    /// Adds `delta` (negative to give tokens back) to the usage of `day`, never below 0.
    async fn adjust_assistant_tokens(&self, tenant_id: &str, day: &str, delta: i64) -> Result<()>;
    /// Tokens the tenant used (or holds) on `day`.
    async fn assistant_tokens_used(&self, tenant_id: &str, day: &str) -> Result<i64>;
}
