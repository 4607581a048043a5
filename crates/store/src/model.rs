//! Rows as the service sees them. Times are Unix milliseconds.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tenant {
    pub id: String,
    pub name: String,
    pub plan: String,
    /// The operator tenant (the bootstrapped one) may manage other tenants.
    pub is_operator: bool,
    pub created_at: i64,
}

#[derive(Clone, PartialEq, Eq)]
pub struct User {
    pub id: String,
    pub tenant_id: String,
    pub email: String,
    pub password_hash: String,
    pub role: String,
    pub disabled: bool,
    pub created_at: i64,
}

impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("tenant_id", &self.tenant_id)
            .field("email", &self.email)
            .field("password_hash", &"<redacted>")
            .field("role", &self.role)
            .field("disabled", &self.disabled)
            .finish()
    }
}

#[derive(Debug, Clone, Default)]
pub struct UserUpdate {
    pub role: Option<String>,
    pub disabled: Option<bool>,
    pub password_hash: Option<String>,
}

#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey {
    pub id: String,
    pub tenant_id: String,
    pub user_id: Option<String>,
    pub name: String,
    pub role: String,
    /// Public lookup part of the key, stored in clear.
    pub prefix: String,
    /// SHA-256 of the secret part, hex.
    pub secret_hash: String,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
    /// From this time on the key is refused; `None` never expires.
    pub expires_at: Option<i64>,
    /// The last request made with it (recorded at most about once a minute).
    pub last_used_at: Option<i64>,
    /// The permissions it is limited to (among its role's); `None`: its role's.
    pub scopes: Option<Vec<String>>,
}

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiKey")
            .field("id", &self.id)
            .field("tenant_id", &self.tenant_id)
            .field("name", &self.name)
            .field("role", &self.role)
            .field("prefix", &self.prefix)
            .field("secret_hash", &"<redacted>")
            .field("revoked_at", &self.revoked_at)
            .finish()
    }
}

/// Job states. Terminal: succeeded, failed, timed_out, cancelled.
pub const STATUS_QUEUED: &str = "queued";
pub const STATUS_RUNNING: &str = "running";
pub const STATUS_SUCCEEDED: &str = "succeeded";
pub const STATUS_FAILED: &str = "failed";
pub const STATUS_TIMED_OUT: &str = "timed_out";
pub const STATUS_CANCELLED: &str = "cancelled";
pub const STATUSES: [&str; 6] = [
    STATUS_QUEUED,
    STATUS_RUNNING,
    STATUS_SUCCEEDED,
    STATUS_FAILED,
    STATUS_TIMED_OUT,
    STATUS_CANCELLED,
];

/// Options of an audit, part of its cache key.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditOptions {
    pub include_detectors: Vec<String>,
    pub exclude_detectors: Vec<String>,
    pub min_severity: Option<String>,
    /// Other analyzers run beside ours (`slither`, …), sorted; absent from the stored
    /// JSON when none, so the cache keys of audits without them are unchanged.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct NewAudit {
    pub id: String,
    pub tenant_id: String,
    pub sources_hash: String,
    pub cache_key: String,
    pub options: AuditOptions,
    pub timeout_secs: i64,
    pub source_bytes: i64,
    pub file_count: i64,
    pub idempotency_key: Option<String>,
    /// Hash of the request, to tell a retried submission from a reused key.
    pub request_hash: String,
    pub created_by: String,
    pub created_at: i64,
    /// The project the audit belongs to: named at submission, or derived from the file
    /// names. Audits of one project are compared ("new since the previous audit").
    pub project: Option<String>,
    /// The deployed contract audited, `None` when sources were submitted.
    pub target: Option<AuditTarget>,
}

/// A deployed contract to audit instead of submitted sources.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditTarget {
    /// A chain the service knows by name (a `[chains.NAME]` table).
    pub chain: String,
    /// `0x` and 40 hex digits, as submitted.
    pub address: String,
    /// The block read at; `None`: the latest block when the audit runs.
    pub block: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Audit {
    pub id: String,
    pub tenant_id: String,
    pub status: String,
    pub sources_hash: String,
    pub cache_key: String,
    pub options: AuditOptions,
    pub timeout_secs: i64,
    pub source_bytes: i64,
    pub file_count: i64,
    pub idempotency_key: Option<String>,
    pub request_hash: String,
    pub created_by: String,
    pub created_at: i64,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
    pub error: Option<String>,
    pub attempts: i64,
    pub from_cache: bool,
    /// Findings per severity once succeeded.
    pub counts: Option<std::collections::BTreeMap<String, i64>>,
    /// See [`NewAudit::project`]; `None` for audits stored before projects existed.
    pub project: Option<String>,
    /// See [`NewAudit::target`].
    pub target: Option<AuditTarget>,
}

impl Audit {
    pub fn is_terminal(&self) -> bool {
        !matches!(self.status.as_str(), STATUS_QUEUED | STATUS_RUNNING)
    }
}

#[derive(Debug, Clone)]
pub enum InsertedAudit {
    Created(Audit),
    /// The tenant already submitted with this idempotency key.
    Existing(Audit),
}

#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub status: Option<String>,
    pub created_by: Option<String>,
    pub created_after: Option<i64>,
    pub created_before: Option<i64>,
    /// Return audits with an id below this one (ids grow with time).
    pub before_id: Option<String>,
    pub limit: i64,
}

#[derive(Debug, Clone)]
pub struct ClaimedJob {
    pub audit: Audit,
    pub sources_json: String,
}

/// One finding as produced by the analyzer, before storage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindingData {
    pub detector: String,
    pub title: String,
    pub severity: String,
    pub confidence: String,
    pub file: String,
    pub start_line: u32,
    pub end_line: u32,
    pub message: String,
    pub fingerprint: String,
    pub category: Option<String>,
    pub swc: Option<String>,
    /// A hash of the detector and the flagged code alone (not the contract and function
    /// names the fingerprint also covers): the same kind of finding on the same code,
    /// wherever it is. `None` when the analyzer gives none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shape: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CachedAnalysis {
    pub cache_key: String,
    pub analyzer_version: String,
    pub findings: Vec<FindingData>,
    pub reports: std::collections::BTreeMap<String, String>,
}

#[derive(Debug, Clone)]
pub enum JobOutcome {
    Succeeded(CachedAnalysis),
    Failed(String),
    TimedOut(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub id: String,
    pub audit_id: String,
    pub tenant_id: String,
    pub ordinal: i64,
    #[serde(flatten)]
    pub data: FindingData,
    pub triage_state: String,
}

pub const TRIAGE_STATES: [&str; 5] = [
    "open",
    "confirmed",
    "false_positive",
    "acknowledged",
    "fixed",
];

#[derive(Debug, Clone, Default)]
pub struct FindingFilter {
    pub severity: Option<String>,
    pub detector: Option<String>,
    pub triage_state: Option<String>,
    pub after_ordinal: Option<i64>,
    pub limit: i64,
}

#[derive(Debug, Clone)]
pub struct NewTriageEvent {
    pub id: String,
    pub to_state: String,
    pub comment: Option<String>,
    pub actor: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TriageEvent {
    pub id: String,
    pub finding_id: String,
    pub fingerprint: String,
    pub from_state: String,
    pub to_state: String,
    pub comment: Option<String>,
    pub actor: String,
    pub created_at: i64,
}

/// A user's TOTP second factor: the secret (encrypted by the service), whether a first
/// code confirmed it, and the last time step a code was accepted for.
#[derive(Clone, PartialEq, Eq)]
pub struct UserMfa {
    pub user_id: String,
    /// Sealed by the service; never shown again after enrolment.
    pub secret: String,
    /// `None` while enrolment waits for its first code.
    pub enabled_at: Option<i64>,
    pub last_step: Option<i64>,
    pub created_at: i64,
}

impl std::fmt::Debug for UserMfa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserMfa")
            .field("user_id", &self.user_id)
            .field("enabled_at", &self.enabled_at)
            .field("last_step", &self.last_step)
            .finish_non_exhaustive()
    }
}

/// A false-positive decision taken on a finding of an earlier audit of a project, and
/// still standing (the fingerprint's triage state is `false_positive`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dismissal {
    /// The finding the decision was taken on, and its audit.
    pub finding_id: String,
    pub audit_id: String,
    pub fingerprint: String,
    pub detector: String,
    pub shape: Option<String>,
    pub actor: String,
    /// The reason given with the decision.
    pub comment: Option<String>,
    pub created_at: i64,
}

/// A security-relevant event to append to the audit trail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewAuditEvent {
    pub ts: i64,
    pub tenant_id: Option<String>,
    pub actor: String,
    pub action: String,
    pub target: Option<String>,
    pub outcome: String,
    pub detail: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEvent {
    pub seq: i64,
    #[serde(flatten)]
    pub event: NewAuditEvent,
    pub prev_hash: String,
    pub hash: String,
    pub mac: String,
}

#[derive(Debug, Clone, Default)]
pub struct AuditEventFilter {
    pub tenant_id: Option<String>,
    pub action: Option<String>,
    pub actor: Option<String>,
    pub since: Option<i64>,
    pub before_seq: Option<i64>,
    pub limit: i64,
}

/// A token bucket's refill rate and size.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TokenRate {
    pub per_second: f64,
    pub capacity: f64,
}

impl TokenRate {
    pub fn per_minute(per_minute: u32, burst: u32) -> Self {
        TokenRate {
            per_second: f64::from(per_minute.max(1)) / 60.0,
            capacity: f64::from(burst.max(1)),
        }
    }

    /// The whole seconds until a bucket holding `tokens` (fewer than one) has one.
    pub fn retry_after(&self, tokens: f64) -> u64 {
        ((1.0 - tokens) / self.per_second).ceil().max(1.0) as u64
    }
}

// Dashboard

/// A signed-in dashboard session. The token itself is only ever in the cookie; the store
/// keeps its SHA-256.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DashboardSession {
    pub token_hash: String,
    pub tenant_id: String,
    pub user_id: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
}

impl DashboardSession {
    /// Neither revoked (logged out) nor expired at `now`.
    pub fn is_live(&self, now: i64) -> bool {
        self.revoked_at.is_none() && now < self.expires_at
    }
}

/// An OpenID Connect sign-in under way: one authorization request, spent once by its
/// callback. The `state` and the browser-binding cookie are only ever kept hashed.
#[derive(Clone, PartialEq, Eq)]
pub struct SsoLogin {
    pub state_hash: String,
    /// The provider's name (`[sso.NAME]`).
    pub provider: String,
    /// SHA-256 of the cookie that ties the callback to the browser that started it.
    pub browser_hash: String,
    pub nonce: String,
    pub pkce_verifier: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

impl std::fmt::Debug for SsoLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SsoLogin")
            .field("provider", &self.provider)
            .field("nonce", &"<redacted>")
            .field("pkce_verifier", &"<redacted>")
            .field("created_at", &self.created_at)
            .field("expires_at", &self.expires_at)
            .field("used_at", &self.used_at)
            .finish()
    }
}

/// Which account an identity of a provider (its `sub`) signs in as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsoIdentity {
    pub provider: String,
    pub subject: String,
    pub tenant_id: String,
    pub user_id: String,
    pub created_at: i64,
    pub last_sign_in_at: i64,
}

/// How many audit-trail entries have one action and outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEventCount {
    pub action: String,
    pub outcome: String,
    pub count: i64,
}

/// Findings per severity of one succeeded audit, with when it was submitted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SeverityCounts {
    pub created_at: i64,
    pub counts: std::collections::BTreeMap<String, i64>,
}

// Chain reads

/// What a cached chain read is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChainReadKind {
    /// Runtime code of the address.
    Code,
    /// One storage word; the key is the slot.
    Storage,
    /// Ether balance, in wei.
    Balance,
    /// Transaction count.
    Nonce,
    /// An `eth_call` to the address; the key is the call data (hex). The value is the
    /// output, or the revert message after `revert:`.
    Call,
}

impl ChainReadKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChainReadKind::Code => "code",
            ChainReadKind::Storage => "storage",
            ChainReadKind::Balance => "balance",
            ChainReadKind::Nonce => "nonce",
            ChainReadKind::Call => "call",
        }
    }
}

/// One read of chain state at a concrete block.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ChainReadKey {
    pub chain_id: u64,
    pub block: u64,
    /// `0x` and 40 hex digits, lower case.
    pub address: String,
    pub kind: ChainReadKind,
    /// The storage slot (`0x` and 64 hex digits) for [`ChainReadKind::Storage`], else empty.
    pub key: String,
}

/// The verified sources of one compilation of a contract.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct VerifiedSourcesKey {
    pub chain_id: u64,
    /// `0x` and 40 hex digits, lower case.
    pub address: String,
    /// The metadata hash the runtime code embeds, hex.
    pub metadata_hash: String,
}

/// Suggestion states: waiting in the queue, being worked on under a lease, answered,
/// or given up with an error.
pub const SUGGESTION_QUEUED: &str = "queued";
pub const SUGGESTION_RUNNING: &str = "running";
pub const SUGGESTION_DONE: &str = "done";
pub const SUGGESTION_FAILED: &str = "failed";

/// A tenant's use of the optional assistant: the profile of its plan it chose (`None`:
/// not opted in) and the lowest severity whose findings are sent on their own when an
/// audit succeeds (`None`: only on request).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssistantPolicy {
    pub profile: Option<String>,
    pub auto_severity: Option<String>,
}

/// A request for the assistant's view of one finding, and its result. `outcome` is the
/// assistant's answer as JSON; `error` why there is none. Never a triage decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suggestion {
    pub id: String,
    pub tenant_id: String,
    pub audit_id: String,
    pub finding_id: String,
    pub fingerprint: String,
    /// The assistant profile (of the service's configuration) asked.
    pub profile: String,
    pub status: String,
    pub requested_by: String,
    pub attempts: i64,
    pub outcome: Option<String>,
    pub error: Option<String>,
    pub created_at: i64,
    pub finished_at: Option<i64>,
}

/// A tenant's own role: a named set of permissions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantRole {
    pub tenant_id: String,
    pub name: String,
    pub permissions: Vec<String>,
    pub description: Option<String>,
    pub created_by: String,
    pub created_at: i64,
}
