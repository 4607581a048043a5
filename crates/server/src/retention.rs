//! Retention: the sweeper that deletes what is older than the configured periods.
//!
//! One sweep handles every kind with a period: finished audits (with their findings,
//! the triage events of those findings, then the source blobs and cache rows no audit
//! refers to any more), the webhook delivery log, the alert history, monitor events,
//! resolved incidents (with their timelines) and the audit trail
//! (behind signed checkpoints, see `store::trail`). Deletes run in bounded batches, each
//! its own short transaction, and are idempotent, so any number of processes may sweep
//! the same PostgreSQL database at once. A sweep that deleted anything appends a
//! `retention.swept` entry to the audit trail. `web3audit retention run` runs the same
//! sweep once, or counts what it would delete (`--dry-run`).

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use store::trail::Signer;
use store::{NewAuditEvent, PrunedAudits, Store, StoreError};
use tokio::sync::watch;

use crate::config::Retention;
use crate::state::AppState;
use crate::timestamp::now_ms;

/// Audits deleted per transaction (with their findings and triage events).
const AUDIT_BATCH: i64 = 200;
/// Unreferenced source blobs (and cache rows) deleted per statement.
const UNREFERENCED_BATCH: i64 = 500;
/// Audit-trail entries pruned per transaction (each writes one checkpoint).
const TRAIL_BATCH: i64 = 2000;

const DAY_MS: i64 = 86_400_000;

/// Action of the trail entry of a sweep that deleted something.
pub const SWEPT_ACTION: &str = "retention.swept";

/// The kinds of rows a sweep deletes, in the order reported.
pub const KINDS: [&str; 10] = [
    "audits",
    "findings",
    "triage_events",
    "source_blobs",
    "analysis_cache",
    "webhook_deliveries",
    "alert_history",
    "monitor_events",
    "incidents",
    "audit_log",
];

/// What a sweep did (or, in a dry run, would do) for one kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KindOutcome {
    pub kind: &'static str,
    /// Rows deleted, or that would be; `None` when the kind was not swept.
    pub rows: Option<u64>,
    /// The cutoff: rows older than this (Unix ms) go; `None` when kept forever.
    pub older_than: Option<i64>,
    /// Why the kind was not swept, when it was not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<&'static str>,
}

/// The result of one sweep.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SweepReport {
    pub dry_run: bool,
    pub at: i64,
    pub kinds: Vec<KindOutcome>,
    /// Checkpoints written for the audit trail (the last one is where the chain starts).
    pub checkpoints: Vec<store::trail::Checkpoint>,
}

impl SweepReport {
    /// Rows deleted (or that would be) over every kind.
    pub fn total(&self) -> u64 {
        self.kinds.iter().filter_map(|k| k.rows).sum()
    }

    pub fn rows(&self, kind: &str) -> Option<u64> {
        self.kinds
            .iter()
            .find(|k| k.kind == kind)
            .and_then(|k| k.rows)
    }
}

const KEPT_FOREVER: &str = "kept forever (no retention period)";

fn cutoff(now: i64, days: u32) -> Option<i64> {
    (days > 0).then(|| now - i64::from(days) * DAY_MS)
}

/// Runs one sweep at `now`; `actor` names who runs it in the audit trail
/// (`system:retention` for the service, `cli:retention` for the command).
pub async fn sweep(
    store: &dyn Store,
    signer: &Signer,
    retention: &Retention,
    now: i64,
    actor: &str,
    dry_run: bool,
) -> Result<SweepReport, StoreError> {
    let mut kinds = Vec::with_capacity(KINDS.len());
    let mut checkpoints = Vec::new();

    let audits_before = cutoff(now, retention.audits_days);
    let audits = match audits_before {
        None => None,
        Some(before) if dry_run => Some(store.count_prunable_audits(before).await?),
        Some(before) => Some(prune_audits(store, before).await?),
    };
    for (kind, rows) in [
        ("audits", audits.map(|a| a.audits)),
        ("findings", audits.map(|a| a.findings)),
        ("triage_events", audits.map(|a| a.triage_events)),
        ("source_blobs", audits.map(|a| a.source_blobs)),
        ("analysis_cache", audits.map(|a| a.analysis_cache)),
    ] {
        kinds.push(KindOutcome {
            kind,
            rows,
            older_than: audits_before,
            note: rows.is_none().then_some(KEPT_FOREVER),
        });
    }

    for (kind, days) in [
        (HistoryKind::WebhookDeliveries, retention.deliveries_days),
        (HistoryKind::AlertHistory, retention.alerts_days),
        (HistoryKind::MonitorEvents, retention.monitor_events_days),
        (HistoryKind::Incidents, retention.incidents_days),
    ] {
        let before = cutoff(now, days);
        let (rows, note) = match before {
            None => (None, Some(KEPT_FOREVER)),
            Some(before) => match prune_history(store, kind, before, dry_run).await? {
                History::Rows(rows) => (Some(rows), None),
                History::Skipped(note) => (None, Some(note)),
            },
        };
        kinds.push(KindOutcome {
            kind: kind.name(),
            rows,
            older_than: before,
            note,
        });
    }

    let trail_before = cutoff(now, retention.audit_log_days);
    let trail_rows = match trail_before {
        None => None,
        Some(before) if dry_run => Some(store.count_prunable_audit_log(before).await?),
        Some(before) => {
            let mut pruned = 0;
            while let Some(checkpoint) = store
                .prune_audit_log(before, TRAIL_BATCH, now, actor, signer)
                .await?
            {
                pruned += checkpoint.pruned as u64;
                let full = checkpoint.pruned >= TRAIL_BATCH;
                checkpoints.push(checkpoint);
                if !full {
                    break;
                }
            }
            Some(pruned)
        }
    };
    kinds.push(KindOutcome {
        kind: "audit_log",
        rows: trail_rows,
        older_than: trail_before,
        note: trail_rows.is_none().then_some(KEPT_FOREVER),
    });

    let report = SweepReport {
        dry_run,
        at: now,
        kinds,
        checkpoints,
    };
    if !dry_run && report.total() > 0 {
        let pruned: serde_json::Map<String, serde_json::Value> = report
            .kinds
            .iter()
            .filter_map(|k| k.rows.map(|rows| (k.kind.to_string(), rows.into())))
            .collect();
        let event = NewAuditEvent {
            ts: now_ms(),
            tenant_id: None,
            actor: actor.to_string(),
            action: SWEPT_ACTION.into(),
            target: None,
            outcome: "success".into(),
            detail: serde_json::json!({ "pruned": pruned }),
        };
        store.append_audit_event(&event, signer).await?;
    }
    Ok(report)
}

/// Deletes finished audits batch by batch, then what no audit refers to any more.
async fn prune_audits(store: &dyn Store, before: i64) -> Result<PrunedAudits, StoreError> {
    let mut total = PrunedAudits::default();
    loop {
        let batch = store.prune_audits(before, AUDIT_BATCH).await?;
        total += batch;
        if batch.audits < AUDIT_BATCH as u64 {
            break;
        }
        tokio::task::yield_now().await;
    }
    loop {
        let batch = store.prune_unreferenced(UNREFERENCED_BATCH).await?;
        total += batch;
        if batch.source_blobs < UNREFERENCED_BATCH as u64
            && batch.analysis_cache < UNREFERENCED_BATCH as u64
        {
            break;
        }
        tokio::task::yield_now().await;
    }
    Ok(total)
}

/// Kinds whose tables come with the notification and monitoring features (webhooks,
/// alerts, monitor events, incidents).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HistoryKind {
    WebhookDeliveries,
    AlertHistory,
    MonitorEvents,
    Incidents,
}

impl HistoryKind {
    fn name(self) -> &'static str {
        match self {
            HistoryKind::WebhookDeliveries => "webhook_deliveries",
            HistoryKind::AlertHistory => "alert_history",
            HistoryKind::MonitorEvents => "monitor_events",
            HistoryKind::Incidents => "incidents",
        }
    }
}

/// What [`prune_history`] did for one kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum History {
    Rows(u64),
    /// Not swept, and why.
    Skipped(&'static str),
}

/// The one place where the webhook delivery log, the alert history, monitor events and
/// resolved incidents are pruned (a dry run does not count them).
async fn prune_history(
    store: &dyn Store,
    kind: HistoryKind,
    before: i64,
    dry_run: bool,
) -> Result<History, StoreError> {
    match kind {
        _ if dry_run => Ok(History::Skipped("not counted in a dry run")),
        HistoryKind::WebhookDeliveries => {
            Ok(History::Rows(store.prune_webhook_deliveries(before).await?))
        }
        HistoryKind::AlertHistory => Ok(History::Rows(store.prune_alert_history(before).await?)),
        HistoryKind::MonitorEvents => Ok(History::Rows(store.prune_monitor_events(before).await?)),
        HistoryKind::Incidents => Ok(History::Rows(store.prune_incidents(before).await?)),
    }
}

/// The periodic sweeper of a service process: a sweep at start, then every
/// `retention.interval`; does nothing when no retention period is configured.
pub(crate) async fn sweeper(state: Arc<AppState>, mut stop: watch::Receiver<bool>) {
    let retention = state.settings.retention;
    if !retention.any() {
        return;
    }
    let period = Duration::from_secs(retention.interval);
    loop {
        match sweep(
            state.store.as_ref(),
            &state.signer,
            &retention,
            now_ms(),
            "system:retention",
            false,
        )
        .await
        {
            Ok(report) => {
                for kind in &report.kinds {
                    if let Some(rows) = kind.rows.filter(|&rows| rows > 0) {
                        state.metrics.retention_pruned(kind.kind, rows);
                    }
                }
                if report.total() > 0 {
                    tracing::info!(
                        pruned = report.total(),
                        audits = report.rows("audits").unwrap_or(0),
                        audit_log = report.rows("audit_log").unwrap_or(0),
                        "retention sweep deleted old rows"
                    );
                }
            }
            Err(error) => {
                state.metrics.retention_failed();
                tracing::error!(%error, "retention sweep failed; it runs again at the next interval");
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(period) => {}
            _ = stop.changed() => return,
        }
    }
}
