//! Rows of the per-tenant webhooks and their deliveries. Times are Unix milliseconds.
//!
//! A delivery is at once an entry of the delivery log and an item of the delivery queue:
//! `pending` deliveries whose `next_attempt_at` has come are taken under a lease, so that
//! several processes sharing a database never attempt one delivery at the same time.

use serde::{Deserialize, Serialize};

/// The events a webhook may subscribe to.
pub const WEBHOOK_EVENTS: [&str; 4] = [
    "audit.completed",
    "audit.failed",
    "finding.critical",
    "finding.high",
];

/// Delivery states. Terminal: succeeded, failed, refused.
pub const DELIVERY_PENDING: &str = "pending";
pub const DELIVERY_SUCCEEDED: &str = "succeeded";
pub const DELIVERY_FAILED: &str = "failed";
/// The destination was refused by the egress policy: no connection was made.
pub const DELIVERY_REFUSED: &str = "refused";

#[derive(Clone, PartialEq, Eq)]
pub struct Webhook {
    pub id: String,
    pub tenant_id: String,
    pub url: String,
    /// Key of the HMAC-SHA256 signatures.
    pub secret: String,
    pub events: Vec<String>,
    pub description: String,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    /// Deliveries that ended failed or refused since the last one that succeeded.
    pub consecutive_failures: i64,
    pub created_by: String,
    pub created_at: i64,
    pub updated_at: i64,
}

impl std::fmt::Debug for Webhook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Webhook")
            .field("id", &self.id)
            .field("tenant_id", &self.tenant_id)
            .field("url", &self.url)
            .field("secret", &"<redacted>")
            .field("events", &self.events)
            .field("enabled", &self.enabled)
            .field("disabled_reason", &self.disabled_reason)
            .field("consecutive_failures", &self.consecutive_failures)
            .finish_non_exhaustive()
    }
}

impl Webhook {
    pub fn subscribes_to(&self, event: &str) -> bool {
        self.events.iter().any(|e| e == event)
    }
}

/// A change of a webhook; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct WebhookUpdate {
    pub url: Option<String>,
    pub events: Option<Vec<String>>,
    pub description: Option<String>,
    /// Re-enabling clears the reason and the failure count; disabling fails the
    /// deliveries still pending.
    pub enabled: Option<bool>,
    /// Recorded with `enabled: Some(false)`.
    pub disabled_reason: Option<String>,
    pub updated_at: i64,
}

#[derive(Debug, Clone)]
pub struct NewWebhookDelivery {
    pub id: String,
    pub webhook_id: String,
    pub tenant_id: String,
    pub event: String,
    pub payload: String,
    pub created_at: i64,
    /// Inserted already leased, for a delivery its creator attempts at once.
    pub lease: Option<(String, i64)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookDelivery {
    pub id: String,
    pub webhook_id: String,
    pub tenant_id: String,
    pub event: String,
    pub payload: String,
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: Option<i64>,
    pub last_status_code: Option<i64>,
    pub last_error: Option<String>,
    pub last_attempt_at: Option<i64>,
    /// Duration of the last attempt.
    pub duration_ms: Option<i64>,
    pub created_at: i64,
    pub finished_at: Option<i64>,
}

/// A pending delivery taken under a lease, with what sending it needs.
#[derive(Clone)]
pub struct ClaimedDelivery {
    pub delivery: WebhookDelivery,
    pub url: String,
    pub secret: String,
}

impl std::fmt::Debug for ClaimedDelivery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClaimedDelivery")
            .field("delivery", &self.delivery.id)
            .field("url", &self.url)
            .field("secret", &"<redacted>")
            .finish()
    }
}

/// What one attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttemptResult {
    Succeeded,
    /// Retry at this time.
    Retry(i64),
    Failed,
    Refused,
}

#[derive(Debug, Clone)]
pub struct DeliveryAttempt {
    pub result: AttemptResult,
    pub status_code: Option<i64>,
    pub error: Option<String>,
    pub at: i64,
    pub duration_ms: i64,
}

/// What recording an attempt did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptRecorded {
    /// The lease was no longer held by the caller: nothing written.
    LeaseLost,
    /// Written; `webhook_disabled` when this attempt ended the run of failures that
    /// disables the webhook.
    Recorded { webhook_disabled: bool },
}

#[derive(Debug, Clone, Default)]
pub struct DeliveryFilter {
    /// Deliveries with an id below this one (ids grow with time).
    pub before_id: Option<String>,
    pub status: Option<String>,
    pub limit: i64,
}
