//! Alert rules at work.
//!
//! - `finding` rules are evaluated when an audit's findings are stored
//!   ([`findings_stored`], called by the worker when a job completes and by the
//!   submission handler for an audit answered from the analysis cache): one firing per
//!   rule and audit, counting the findings at or above the rule's `min_severity`, scoped
//!   to the audit's tenant.
//! - `audit_failures`, `queue_depth` and `error_rate` rules, and escalations, are
//!   evaluated every `alerts.evaluate_every` by [`evaluator`], which runs on every node.
//!
//! A firing goes to the store, which decides in one transaction whether it opens a new
//! alert (sent to every channel whose `levels` hold the alert's severity) or folds into
//! the open alert of the same key (cooldown). Each delivery attempt is recorded as a
//! notification row, sent or failed with the reason; no failure stops the engine.

pub(crate) mod channels;

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use store::{NewAlert, RaisedAlert};
use tokio::sync::watch;

use crate::config::{AlertChannel, AlertRule, AlertRuleKind};
use crate::egress::EgressPolicy;
use crate::handlers::new_id;
use crate::state::AppState;
use crate::timestamp::now_ms;

/// Dedup key of service-wide alerts and of finding alerts (the tenant scopes those).
const SERVICE_KEY: &str = "service";
const FINDINGS_KEY: &str = "findings";

/// Default `min_count` of the share rules.
const AUDIT_FAILURES_MIN_COUNT: u64 = 5;
const ERROR_RATE_MIN_COUNT: u64 = 20;

/// Findings listed in an alert's detail.
const DETAIL_FINDINGS: usize = 5;

/// Rank of a finding severity: 0 is the most severe; unknown severities rank last.
fn severity_rank(severity: &str) -> usize {
    crate::SEVERITIES
        .iter()
        .position(|s| *s == severity)
        .unwrap_or(crate::SEVERITIES.len())
}

/// Evaluates the `finding` rules on the findings stored for `audit`; deliveries run in
/// the background.
pub(crate) fn findings_stored(
    state: &Arc<AppState>,
    audit: &store::Audit,
    findings: &[store::FindingData],
) {
    for rule in &state.settings.alerts.rules {
        if rule.kind != AlertRuleKind::Finding
            || (!rule.tenants.is_empty() && !rule.tenants.contains(&audit.tenant_id))
        {
            continue;
        }
        let min = severity_rank(rule.min_severity.as_deref().unwrap_or("critical"));
        let matching: Vec<&store::FindingData> = findings
            .iter()
            .filter(|f| severity_rank(&f.severity) <= min)
            .collect();
        if matching.is_empty() {
            continue;
        }
        let summary = format!(
            "{} finding(s) at or above {} in audit {}",
            matching.len(),
            rule.min_severity.as_deref().unwrap_or("critical"),
            audit.id
        );
        let findings: Vec<Value> = matching
            .iter()
            .take(DETAIL_FINDINGS)
            .map(|f| {
                json!({ "detector": f.detector, "title": f.title, "severity": f.severity,
                    "file": f.file, "line": f.start_line })
            })
            .collect();
        let detail = json!({
            "summary": summary,
            "audit_id": audit.id,
            "count": matching.len(),
            "findings": findings,
        });
        let state = state.clone();
        let rule = rule.clone();
        let tenant = audit.tenant_id.clone();
        let occurrences = matching.len() as i64;
        tokio::spawn(async move {
            raise(
                &state,
                &rule,
                Some(tenant),
                FINDINGS_KEY,
                occurrences,
                detail,
            )
            .await;
        });
    }
}

/// Records one firing; sends the alert when it is a new one.
async fn raise(
    state: &AppState,
    rule: &AlertRule,
    tenant_id: Option<String>,
    dedup_key: &str,
    occurrences: i64,
    detail: Value,
) {
    let new = NewAlert {
        id: new_id(),
        rule: rule.name.clone(),
        severity: rule.severity.as_str().into(),
        tenant_id,
        dedup_key: dedup_key.into(),
        occurrences,
        detail,
        now: now_ms(),
        cooldown_ms: rule.cooldown.as_millis(),
    };
    match state.store.raise_alert(&new).await {
        Ok(RaisedAlert::Opened(alert)) => {
            tracing::warn!(alert_id = %alert.id, rule = %alert.rule, severity = %alert.severity, "alert opened");
            let channels: Vec<&AlertChannel> = state
                .settings
                .alerts
                .channels
                .iter()
                .filter(|c| c.levels.contains(&rule.severity))
                .collect();
            deliver(state, &alert, &channels, store::NOTIFICATION_INITIAL).await;
        }
        Ok(RaisedAlert::Folded(alert)) => {
            tracing::debug!(alert_id = %alert.id, occurrences = alert.occurrences, "alert occurrence folded into the open alert");
        }
        Err(error) => tracing::error!(%error, rule = %rule.name, "cannot record an alert"),
    }
}

/// Sends `alert` to each channel and records every attempt.
pub(crate) async fn deliver(
    state: &AppState,
    alert: &store::Alert,
    channels: &[&AlertChannel],
    purpose: &'static str,
) {
    let egress = EgressPolicy::new(&state.settings.egress_allow_hosts);
    let notice = channels::Notice {
        alert: alert.clone(),
        purpose,
        summary: alert
            .detail
            .get("summary")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
    };
    for channel in channels {
        let result = channels::send(channel, &state.settings.smtp, &egress, &notice).await;
        if let Err(error) = &result {
            tracing::warn!(alert_id = %alert.id, channel = %channel.name, %error, "alert notification failed");
        }
        let row = store::AlertNotification {
            id: new_id(),
            alert_id: alert.id.clone(),
            channel: channel.name.clone(),
            purpose: purpose.into(),
            status: if result.is_ok() { "sent" } else { "failed" }.into(),
            error: result.err(),
            created_at: now_ms(),
        };
        if let Err(error) = state.store.record_alert_notification(&row).await {
            tracing::error!(%error, alert_id = %alert.id, "cannot record an alert notification");
        }
    }
}

/// What the evaluator remembers between ticks.
#[derive(Debug, Default)]
struct Memory {
    /// Since when each `queue_depth` rule's depth has been above its threshold.
    above_since: HashMap<String, Instant>,
    /// `(when, requests, 5xx answers)` samples of this process's HTTP counters.
    http_samples: VecDeque<(Instant, u64, u64)>,
}

/// Evaluates the metric rules and the escalations every `alerts.evaluate_every` until
/// `stop`.
pub(crate) async fn evaluator(state: Arc<AppState>, mut stop: watch::Receiver<bool>) {
    let alerts = &state.settings.alerts;
    if alerts.rules.is_empty() {
        return;
    }
    let period = alerts.evaluate_every.duration();
    let longest_window = alerts
        .rules
        .iter()
        .filter_map(|r| r.window)
        .map(|w| w.duration())
        .max()
        .unwrap_or(Duration::ZERO);
    let mut memory = Memory::default();
    loop {
        tokio::select! {
            _ = tokio::time::sleep(period) => {}
            _ = stop.changed() => return,
        }
        if state.role.runs_api() {
            let (requests, errors) = http_totals(&state.metrics.render());
            let now = Instant::now();
            memory.http_samples.push_back((now, requests, errors));
            while memory
                .http_samples
                .front()
                .is_some_and(|(t, _, _)| now.duration_since(*t) > longest_window + period)
            {
                memory.http_samples.pop_front();
            }
        }
        for rule in &alerts.rules {
            if let Err(error) = evaluate(&state, rule, &mut memory).await {
                tracing::warn!(%error, rule = %rule.name, "cannot evaluate an alert rule");
            }
        }
        escalate(&state).await;
    }
}

async fn evaluate(
    state: &AppState,
    rule: &AlertRule,
    memory: &mut Memory,
) -> Result<(), store::StoreError> {
    let now = now_ms();
    match rule.kind {
        AlertRuleKind::Finding => {}
        AlertRuleKind::QueueDepth => {
            let threshold = rule.threshold.unwrap_or(0);
            let depth = state.store.queue_depth().await?;
            if depth > threshold as i64 {
                let since = *memory
                    .above_since
                    .entry(rule.name.clone())
                    .or_insert_with(Instant::now);
                let sustained = rule.sustained.map_or(Duration::ZERO, |s| s.duration());
                if since.elapsed() >= sustained {
                    let summary =
                        format!("{depth} audits are queued, above the threshold of {threshold}");
                    let detail =
                        json!({ "summary": summary, "queue_depth": depth, "threshold": threshold });
                    raise(state, rule, None, SERVICE_KEY, 1, detail).await;
                }
            } else {
                memory.above_since.remove(&rule.name);
                state
                    .store
                    .resolve_alerts(&rule.name, None, SERVICE_KEY, now)
                    .await?;
            }
        }
        AlertRuleKind::AuditFailures => {
            let window = rule.window.map_or(0, |w| w.as_millis());
            let (finished, failed) = state.store.count_finished_audits(now - window).await?;
            let min = rule.min_count.unwrap_or(AUDIT_FAILURES_MIN_COUNT) as i64;
            let max = rule.max_share.map_or(1.0, |s| s.get());
            let share = if finished > 0 {
                failed as f64 / finished as f64
            } else {
                0.0
            };
            if finished >= min && share > max {
                let summary = format!(
                    "{failed} of {finished} audits finished in the last {} failed or timed out ({:.1} %, above {:.1} %)",
                    rule.window.map(|w| w.to_string()).unwrap_or_default(),
                    share * 100.0,
                    max * 100.0
                );
                let detail = json!({ "summary": summary, "finished": finished, "failed": failed, "share": share });
                raise(state, rule, None, SERVICE_KEY, 1, detail).await;
            } else {
                state
                    .store
                    .resolve_alerts(&rule.name, None, SERVICE_KEY, now)
                    .await?;
            }
        }
        AlertRuleKind::ErrorRate => {
            let window = rule.window.map_or(Duration::ZERO, |w| w.duration());
            let Some(&(_, last_requests, last_errors)) = memory.http_samples.back() else {
                return Ok(());
            };
            // The oldest sample still inside the window is the baseline.
            let Some(&(_, base_requests, base_errors)) = memory
                .http_samples
                .iter()
                .find(|(t, _, _)| t.elapsed() <= window)
            else {
                return Ok(());
            };
            let requests = last_requests.saturating_sub(base_requests);
            let errors = last_errors.saturating_sub(base_errors);
            let min = rule.min_count.unwrap_or(ERROR_RATE_MIN_COUNT);
            let max = rule.max_share.map_or(1.0, |s| s.get());
            let share = if requests > 0 {
                errors as f64 / requests as f64
            } else {
                0.0
            };
            if requests >= min && share > max {
                let summary = format!(
                    "{errors} of {requests} HTTP answers in the last {} were 5xx ({:.1} %, above {:.1} %)",
                    rule.window.map(|w| w.to_string()).unwrap_or_default(),
                    share * 100.0,
                    max * 100.0
                );
                let detail = json!({ "summary": summary, "requests": requests, "errors": errors, "share": share });
                raise(state, rule, None, SERVICE_KEY, 1, detail).await;
            }
        }
    }
    Ok(())
}

/// Total HTTP requests and 5xx answers in the OpenMetrics text of this process.
fn http_totals(metrics: &str) -> (u64, u64) {
    let mut requests = 0u64;
    let mut errors = 0u64;
    for line in metrics.lines() {
        let Some(rest) = line.strip_prefix("web3audit_http_requests_total{") else {
            continue;
        };
        let Some((labels, value)) = rest.rsplit_once("} ") else {
            continue;
        };
        let count = value.trim().parse::<f64>().unwrap_or(0.0) as u64;
        requests += count;
        if labels.contains("status=\"5") {
            errors += count;
        }
    }
    (requests, errors)
}

/// Sends every alert still firing `escalate_after` after it opened to its rule's
/// escalation channels, once: the claim in the store makes sure of that across
/// processes.
async fn escalate(state: &AppState) {
    let now = now_ms();
    for rule in &state.settings.alerts.rules {
        let Some(after) = rule.escalate_after else {
            continue;
        };
        let filter = store::AlertFilter {
            state: Some(store::ALERT_FIRING.into()),
            rule: Some(rule.name.clone()),
            opened_before: Some(now - after.as_millis() + 1),
            escalated: Some(false),
            limit: 100,
            ..Default::default()
        };
        let due = match state.store.list_alerts(&filter).await {
            Ok(due) => due,
            Err(error) => {
                tracing::warn!(%error, rule = %rule.name, "cannot list alerts due for escalation");
                continue;
            }
        };
        let channels: Vec<&AlertChannel> = state
            .settings
            .alerts
            .channels
            .iter()
            .filter(|c| rule.escalate_to.contains(&c.name))
            .collect();
        for alert in due {
            match state.store.claim_alert_escalation(&alert.id, now).await {
                Ok(true) => {
                    tracing::warn!(alert_id = %alert.id, rule = %rule.name, "alert escalated: not acknowledged in time");
                    let alert = store::Alert {
                        escalated_at: Some(now),
                        ..alert
                    };
                    deliver(state, &alert, &channels, store::NOTIFICATION_ESCALATION).await;
                }
                Ok(false) => {}
                Err(error) => {
                    tracing::warn!(%error, alert_id = %alert.id, "cannot escalate an alert")
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_totals_sum_every_route_and_count_5xx() {
        let text = "# HELP web3audit_http_requests HTTP requests\n\
            web3audit_http_requests_total{method=\"GET\",route=\"/a\",status=\"200\"} 7\n\
            web3audit_http_requests_total{method=\"POST\",route=\"/b\",status=\"503\"} 2\n\
            web3audit_http_requests_total{method=\"GET\",route=\"/c\",status=\"500\"} 1\n\
            web3audit_http_request_duration_seconds_count{method=\"GET\",route=\"/a\",status=\"200\"} 7\n";
        assert_eq!(http_totals(text), (10, 3));
    }
}
