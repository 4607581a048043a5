//! Per-tenant webhooks: events queued as deliveries when an audit finishes, and the
//! delivery worker that sends them.
//!
//! Every body is signed with HMAC-SHA256 under the webhook's secret over
//! `"<unix seconds>.<body>"` (header `X-Web3audit-Signature: t=<secs>,v1=<hex>`); the
//! delivery id (`X-Web3audit-Delivery`) stays the same across attempts, so a receiver can
//! drop a repeat. Each attempt first passes [`EgressPolicy::check`]; a refused
//! destination ends the delivery as `refused` without any connection. 5xx, 408, 429,
//! time-outs and connection errors are retried with exponential backoff and full jitter
//! up to `webhooks.max_attempts`; other answers end the delivery at once. A webhook whose
//! deliveries fail `webhooks.disable_after_failures` times in a row is disabled, and
//! that is recorded in the audit trail.

use std::sync::Arc;
use std::time::{Duration, Instant};

use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use store::{
    AttemptRecorded, AttemptResult, ClaimedDelivery, DeliveryAttempt, FindingFilter,
    NewWebhookDelivery,
};
use tokio::sync::watch;

use crate::egress::EgressPolicy;
use crate::handlers::{finding_view, new_id};
use crate::state::AppState;
use crate::timestamp::{now_ms, rfc3339};

/// The event of a test delivery; not subscribable.
pub(crate) const PING: &str = "ping";

/// Header names (HTTP header names are case-insensitive).
pub(crate) const SIGNATURE_HEADER: &str = "X-Web3audit-Signature";
pub(crate) const EVENT_HEADER: &str = "X-Web3audit-Event";
pub(crate) const DELIVERY_HEADER: &str = "X-Web3audit-Delivery";

/// How often an idle delivery worker looks for due deliveries.
const POLL: Duration = Duration::from_millis(200);
/// Deliveries one worker sends at once.
const BATCH: i64 = 16;
/// A lease outlives the attempt it covers by this much.
const LEASE_MARGIN: Duration = Duration::from_secs(30);
/// Findings carried by one finding event; the count says how many there were.
const MAX_FINDINGS_PER_EVENT: i64 = 100;
/// Who the trail names for what the delivery worker does.
const ACTOR: &str = "system:webhooks";

/// A new signing secret: 32 random bytes, URL-safe base64, prefixed.
pub(crate) fn new_secret() -> String {
    use base64::Engine;
    format!(
        "whsec_{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(crate::auth::random_bytes::<32>())
    )
}

/// The `v1` signature: hex HMAC-SHA256 under `secret` of `"<timestamp>.<body>"`.
pub(crate) fn sign(secret: &str, timestamp: i64, body: &str) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any size");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// The JSON view of an audit carried by events.
fn audit_summary(audit: &store::Audit) -> Value {
    let base = format!("/api/v1/audits/{}", audit.id);
    json!({
        "id": audit.id,
        "status": audit.status,
        "created_at": rfc3339(audit.created_at),
        "finished_at": audit.finished_at.map(rfc3339),
        "error": audit.error,
        "counts": audit.counts,
        "links": {
            "self": base,
            "findings": format!("{base}/findings"),
            "report": format!("{base}/report"),
        },
    })
}

fn envelope(event: &str, tenant_id: &str, data: Value) -> Value {
    let mut body = json!({
        "event": event,
        "id": new_id(),
        "created_at": rfc3339(now_ms()),
        "tenant": tenant_id,
    });
    if let (Some(body), Value::Object(data)) = (body.as_object_mut(), data) {
        body.extend(data);
    }
    body
}

/// Queues the events of a finished audit for every enabled webhook of its tenant that
/// subscribes to them. Failures are logged: the audit's outcome is recorded already.
pub(crate) async fn audit_finished(state: &AppState, tenant_id: &str, audit_id: &str) {
    if let Err(error) = queue_audit_events(state, tenant_id, audit_id).await {
        tracing::error!(%audit_id, %error, "cannot queue the webhook events of an audit");
    }
}

async fn queue_audit_events(
    state: &AppState,
    tenant_id: &str,
    audit_id: &str,
) -> Result<(), store::StoreError> {
    let hooks: Vec<store::Webhook> = state
        .store
        .list_webhooks(tenant_id)
        .await?
        .into_iter()
        .filter(|w| w.enabled)
        .collect();
    if hooks.is_empty() {
        return Ok(());
    }
    let Some(audit) = state.store.get_audit(tenant_id, audit_id).await? else {
        return Ok(());
    };
    let mut events = Vec::new();
    match audit.status.as_str() {
        store::STATUS_SUCCEEDED => {
            events.push((
                "audit.completed",
                envelope(
                    "audit.completed",
                    tenant_id,
                    json!({ "audit": audit_summary(&audit) }),
                ),
            ));
            for (event, severity) in [("finding.critical", "critical"), ("finding.high", "high")] {
                let count = audit
                    .counts
                    .as_ref()
                    .and_then(|c| c.get(severity))
                    .copied()
                    .unwrap_or(0);
                if count == 0 || !hooks.iter().any(|w| w.subscribes_to(event)) {
                    continue;
                }
                let filter = FindingFilter {
                    severity: Some(severity.into()),
                    limit: MAX_FINDINGS_PER_EVENT,
                    ..FindingFilter::default()
                };
                let findings = state
                    .store
                    .list_findings(tenant_id, audit_id, &filter)
                    .await?;
                events.push((
                    event,
                    envelope(
                        event,
                        tenant_id,
                        json!({
                            "audit": audit_summary(&audit),
                            "finding_count": count,
                            "findings": findings.iter().map(finding_view).collect::<Vec<_>>(),
                        }),
                    ),
                ));
            }
        }
        store::STATUS_FAILED | store::STATUS_TIMED_OUT => events.push((
            "audit.failed",
            envelope(
                "audit.failed",
                tenant_id,
                json!({ "audit": audit_summary(&audit) }),
            ),
        )),
        _ => {}
    }
    let now = now_ms();
    let mut deliveries = Vec::new();
    for (event, payload) in &events {
        let payload = payload.to_string();
        for hook in hooks.iter().filter(|w| w.subscribes_to(event)) {
            deliveries.push(NewWebhookDelivery {
                id: new_id(),
                webhook_id: hook.id.clone(),
                tenant_id: tenant_id.to_string(),
                event: event.to_string(),
                payload: payload.clone(),
                created_at: now,
                lease: None,
            });
        }
    }
    if !deliveries.is_empty() {
        state.store.insert_webhook_deliveries(&deliveries).await?;
    }
    Ok(())
}

/// The body of a test delivery.
pub(crate) fn ping_payload(tenant_id: &str, webhook_id: &str) -> String {
    envelope(
        PING,
        tenant_id,
        json!({ "webhook": { "id": webhook_id }, "message": "a test delivery from web3audit" }),
    )
    .to_string()
}

/// The lease a delivery attempt is taken under.
pub(crate) fn lease_until(state: &AppState) -> i64 {
    now_ms()
        + (Duration::from_millis(state.settings.webhooks.timeout_ms) + LEASE_MARGIN).as_millis()
            as i64
}

/// Waits before retry `attempt` (1 for the first retry): a random time up to
/// `retry_base_ms * 2^(attempt-1)`, capped by `retry_max_ms` (full jitter).
fn backoff_ms(state: &AppState, attempt: i64) -> i64 {
    let w = &state.settings.webhooks;
    let exponent = u32::try_from(attempt.saturating_sub(1).clamp(0, 40)).unwrap_or(40);
    let cap = w
        .retry_base_ms
        .saturating_mul(1u64 << exponent)
        .min(w.retry_max_ms);
    let random = u64::from_le_bytes(crate::auth::random_bytes::<8>());
    i64::try_from(random % (cap + 1)).unwrap_or(i64::MAX)
}

/// A failure worth retrying, or not.
enum Outcome {
    Success(u16),
    Retryable(Option<u16>, String),
    Final(Option<u16>, String),
    Refused(String),
}

async fn send(state: &AppState, claimed: &ClaimedDelivery) -> Outcome {
    let policy = EgressPolicy::new(&state.settings.egress_allow_hosts);
    let destination = match policy.check(&claimed.url).await {
        Ok(destination) => destination,
        Err(reason) => return Outcome::Refused(reason.to_string()),
    };
    let timeout = Duration::from_millis(state.settings.webhooks.timeout_ms);
    let delivery = &claimed.delivery;
    let timestamp = now_ms() / 1000;
    let signature = sign(&claimed.secret, timestamp, &delivery.payload);
    let request = destination
        .client(timeout)
        .post(&destination.url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(EVENT_HEADER, &delivery.event)
        .header(DELIVERY_HEADER, &delivery.id)
        .header(SIGNATURE_HEADER, format!("t={timestamp},v1={signature}"))
        .body(delivery.payload.clone());
    match request.send().await {
        Ok(response) => {
            let code = response.status().as_u16();
            let reason = response.status().canonical_reason().unwrap_or("");
            let text = format!("HTTP {code} {reason}").trim_end().to_string();
            match code {
                200..=299 => Outcome::Success(code),
                408 | 429 | 500..=599 => Outcome::Retryable(Some(code), text),
                300..=399 => {
                    Outcome::Final(Some(code), format!("{text}: redirects are not followed"))
                }
                _ => Outcome::Final(Some(code), text),
            }
        }
        Err(error) if error.is_timeout() => {
            Outcome::Retryable(None, format!("no answer within {} ms", timeout.as_millis()))
        }
        Err(error) => {
            let error = error.without_url();
            let mut text = String::from("request failed");
            let mut source: Option<&dyn std::error::Error> = Some(&error);
            while let Some(cause) = source {
                text.push_str(": ");
                text.push_str(&cause.to_string());
                source = cause.source();
            }
            Outcome::Retryable(None, text)
        }
    }
}

/// Makes one attempt of a leased delivery and records it; the delivery as it is
/// afterwards, `None` when the lease was lost meanwhile.
pub(crate) async fn deliver(
    state: &AppState,
    claimed: &ClaimedDelivery,
) -> Result<Option<store::WebhookDelivery>, store::StoreError> {
    let started = Instant::now();
    let outcome = send(state, claimed).await;
    let at = now_ms();
    let attempt_number = claimed.delivery.attempts + 1;
    let max_attempts = i64::from(state.settings.webhooks.max_attempts);
    let (result, status_code, error) = match outcome {
        Outcome::Success(code) => (AttemptResult::Succeeded, Some(code), None),
        Outcome::Retryable(code, text) if attempt_number < max_attempts => (
            AttemptResult::Retry(at + backoff_ms(state, attempt_number)),
            code,
            Some(text),
        ),
        Outcome::Retryable(code, text) => (
            AttemptResult::Failed,
            code,
            Some(format!("{text} (gave up after {attempt_number} attempts)")),
        ),
        Outcome::Final(code, text) => (AttemptResult::Failed, code, Some(text)),
        Outcome::Refused(reason) => (AttemptResult::Refused, None, Some(reason)),
    };
    let attempt = DeliveryAttempt {
        result,
        status_code: status_code.map(i64::from),
        error,
        at,
        duration_ms: i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX),
    };
    let delivery = &claimed.delivery;
    let disable_after = i64::from(state.settings.webhooks.disable_after_failures);
    match state
        .store
        .record_webhook_attempt(&delivery.id, &state.owner, &attempt, disable_after)
        .await?
    {
        AttemptRecorded::LeaseLost => {
            tracing::warn!(delivery_id = %delivery.id, "webhook attempt not recorded: the lease was lost");
            return Ok(None);
        }
        AttemptRecorded::Recorded { webhook_disabled } => {
            if webhook_disabled {
                tracing::warn!(webhook_id = %delivery.webhook_id, "webhook disabled after repeated failed deliveries");
                let recorded = state
                    .record(
                        Some(&delivery.tenant_id),
                        ACTOR,
                        "webhook.disabled",
                        Some(&delivery.webhook_id),
                        "success",
                        json!({
                            "reason": format!("{disable_after} consecutive failed deliveries"),
                            "last_delivery": delivery.id,
                            "last_error": attempt.error,
                        }),
                    )
                    .await;
                if let Err(error) = recorded {
                    tracing::error!(
                        ?error,
                        "cannot record a disabled webhook in the audit trail"
                    );
                }
            }
        }
    }
    tracing::info!(
        delivery_id = %delivery.id,
        webhook_id = %delivery.webhook_id,
        event = %delivery.event,
        status_code = ?attempt.status_code,
        result = ?attempt.result,
        "webhook attempt"
    );
    state
        .store
        .get_webhook_delivery(&delivery.tenant_id, &delivery.id)
        .await
}

/// Sends due deliveries until `stop`: claims a batch under a lease, attempts them
/// concurrently, records each attempt.
pub(crate) async fn delivery_worker(state: Arc<AppState>, mut stop: watch::Receiver<bool>) {
    loop {
        if *stop.borrow() {
            return;
        }
        let claimed = state
            .store
            .claim_webhook_deliveries(&state.owner, now_ms(), lease_until(&state), BATCH)
            .await;
        let batch = match claimed {
            Ok(batch) => batch,
            Err(error) => {
                tracing::error!(%error, "cannot take webhook deliveries from the queue");
                Vec::new()
            }
        };
        let full = batch.len() as i64 == BATCH;
        let mut running = tokio::task::JoinSet::new();
        for claimed in batch {
            let state = state.clone();
            running.spawn(async move {
                if let Err(error) = deliver(&state, &claimed).await {
                    tracing::error!(delivery_id = %claimed.delivery.id, %error, "cannot record a webhook attempt");
                }
            });
        }
        while running.join_next().await.is_some() {}
        if !full {
            tokio::select! {
                _ = tokio::time::sleep(POLL) => {}
                _ = stop.changed() => return,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_covers_timestamp_and_body() {
        let a = sign("whsec_k", 1_700_000_000, "{\"a\":1}");
        // As computed by the Python receiver of docs/operations.md.
        assert_eq!(
            a,
            "a252a4340d8bbbdbac8643a2812cc7d628ad79bfba544bff054ac2fa10f795a2"
        );
        assert_eq!(a, sign("whsec_k", 1_700_000_000, "{\"a\":1}"));
        assert_ne!(a, sign("whsec_k", 1_700_000_001, "{\"a\":1}"));
        assert_ne!(a, sign("whsec_k", 1_700_000_000, "{\"a\":2}"));
        assert_ne!(a, sign("whsec_j", 1_700_000_000, "{\"a\":1}"));
        assert!(new_secret().starts_with("whsec_"));
        assert_ne!(new_secret(), new_secret());
    }
}
