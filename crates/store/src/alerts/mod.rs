//! Alerts raised by the service's alert rules, and the notifications sent for them.
//!
//! The cooldown decision is taken by the store, in one transaction serialized per alert
//! key (rule, tenant, dedup key) across every process sharing the database: a rule that
//! fires again while its alert is open and younger than the cooldown folds into that
//! alert (one more occurrence, nothing to send); otherwise a new alert opens and is sent.

use serde::{Deserialize, Serialize};

/// Alert states. An alert is open while firing or acknowledged.
pub const ALERT_FIRING: &str = "firing";
pub const ALERT_ACKNOWLEDGED: &str = "acknowledged";
pub const ALERT_RESOLVED: &str = "resolved";
pub const ALERT_STATES: [&str; 3] = [ALERT_FIRING, ALERT_ACKNOWLEDGED, ALERT_RESOLVED];

/// Alert severity levels, most severe first.
pub const ALERT_LEVELS: [&str; 4] = ["critical", "high", "medium", "low"];

/// Why a notification was sent.
pub const NOTIFICATION_INITIAL: &str = "initial";
pub const NOTIFICATION_ESCALATION: &str = "escalation";

/// One firing of a rule, to be opened as an alert or folded into the open one.
#[derive(Debug, Clone)]
pub struct NewAlert {
    /// Id of the alert if one is opened.
    pub id: String,
    pub rule: String,
    pub severity: String,
    /// `None` for a service-wide alert.
    pub tenant_id: Option<String>,
    pub dedup_key: String,
    /// Occurrences this firing stands for (a job with 100 findings: 100).
    pub occurrences: i64,
    pub detail: serde_json::Value,
    pub now: i64,
    pub cooldown_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alert {
    pub id: String,
    pub rule: String,
    pub severity: String,
    pub tenant_id: Option<String>,
    pub dedup_key: String,
    pub state: String,
    pub first_seen: i64,
    pub last_seen: i64,
    pub occurrences: i64,
    pub escalated_at: Option<i64>,
    pub acknowledged_by: Option<String>,
    pub acknowledged_at: Option<i64>,
    pub resolved_at: Option<i64>,
    pub detail: serde_json::Value,
}

/// What [`crate::Store::raise_alert`] decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RaisedAlert {
    /// A new alert: notify the channels.
    Opened(Alert),
    /// Folded into the open alert of the same key (cooldown): nothing to send.
    Folded(Alert),
}

impl RaisedAlert {
    pub fn alert(&self) -> &Alert {
        match self {
            RaisedAlert::Opened(alert) | RaisedAlert::Folded(alert) => alert,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct AlertFilter {
    pub state: Option<String>,
    pub severity: Option<String>,
    pub rule: Option<String>,
    /// Only the alerts of this tenant (service-wide alerts excluded).
    pub tenant_id: Option<String>,
    /// Alerts seen (last occurrence) at or after this time.
    pub since: Option<i64>,
    /// Alerts opened before this time.
    pub opened_before: Option<i64>,
    /// Whether the alert was escalated.
    pub escalated: Option<bool>,
    /// Whether any notification of the alert (sent or failed) was recorded.
    pub notified: Option<bool>,
    pub limit: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertNotification {
    pub id: String,
    pub alert_id: String,
    pub channel: String,
    /// `initial` or `escalation`.
    pub purpose: String,
    /// `sent` or `failed`.
    pub status: String,
    pub error: Option<String>,
    pub created_at: i64,
}

/// Key that serializes the cooldown decisions of one alert key.
pub(crate) fn lock_key(rule: &str, tenant_id: Option<&str>, dedup_key: &str) -> i64 {
    use sha2::Digest;
    let mut hasher = sha2::Sha256::new();
    for part in [rule, tenant_id.unwrap_or(""), dedup_key] {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part.as_bytes());
    }
    let digest = hasher.finalize();
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(bytes)
}
