//! On-chain monitors at work in a service process.
//!
//! Each monitor is followed by its own task: it reads the monitor's checkpoint from the
//! store, lets the engine ([`monitor::engine`]) process the next confirmed blocks on a
//! blocking thread, and records the firings, their alerts and incidents and the new
//! checkpoint in one store transaction ([`store::Store::record_monitor_blocks`]). The
//! transaction checks that the checkpoint has not moved, so two processes following the
//! same monitor never both record a block: the loser reads the checkpoint again. Alerts
//! the transaction opened are then sent to the alert channels of their level.
//!
//! Monitors come from the operator's monitor file (keys `file:NAME`) and from the tenants'
//! monitors defined through the API (keys are their ids), read again every
//! `monitoring.refresh_every`: a new or changed monitor is (re)started, a deleted or
//! disabled one stopped. A failing step (an RPC error, a node serving another chain, a
//! block that does not hang together) is logged, counted, and tried again after a backoff;
//! the other monitors are not affected.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use monitor::engine::{Checkpoint, Engine, EngineError, Step};
use monitor::rules::Monitor;
use serde_json::json;
use tokio::sync::watch;

use crate::config::AlertChannel;
use crate::handlers::new_id;
use crate::state::AppState;
use crate::timestamp::now_ms;

/// The longest wait between two attempts of a failing monitor.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// One monitor to follow, with the tenant its alerts belong to.
#[derive(Debug, Clone)]
pub struct MonitorJob {
    /// `file:NAME` for a monitor of the monitor file, the id of a monitor of the API.
    pub key: String,
    pub tenant_id: String,
    pub monitor: Monitor,
    /// Whether the RPC endpoints must pass the egress policy (monitors of tenants).
    pub check_egress: bool,
}

/// Resolves the tenant of each monitor of the operator's monitor file: its `tenant` (an
/// id or a name), or the only tenant when there is one.
pub async fn file_jobs(
    store: &dyn store::Store,
    monitors: Vec<Monitor>,
) -> Result<Vec<MonitorJob>, String> {
    let tenants = store
        .list_tenants()
        .await
        .map_err(|e| format!("cannot list the tenants: {e}"))?;
    monitors
        .into_iter()
        .map(|monitor| {
            let tenant = match &monitor.tenant {
                Some(wanted) => tenants
                    .iter()
                    .find(|t| &t.id == wanted || &t.name == wanted)
                    .ok_or_else(|| {
                        format!("monitor `{}`: no tenant `{wanted}`", monitor.name)
                    })?,
                None => match tenants.as_slice() {
                    [only] => only,
                    [] => {
                        return Err(format!(
                            "monitor `{}`: the service has no tenant yet (run `web3audit bootstrap`)",
                            monitor.name
                        ));
                    }
                    _ => {
                        return Err(format!(
                            "monitor `{}`: the service has several tenants: set `tenant` (an id or a name)",
                            monitor.name
                        ));
                    }
                },
            };
            Ok(MonitorJob {
                key: format!("file:{}", monitor.name),
                tenant_id: tenant.id.clone(),
                monitor,
                check_egress: false,
            })
        })
        .collect()
}

/// Runs the monitors until `stop`: the file's for the life of the process, the tenants'
/// as they come and go.
pub(crate) async fn supervisor(
    state: Arc<AppState>,
    file: Vec<MonitorJob>,
    mut stop: watch::Receiver<bool>,
) {
    let mut running: HashMap<String, (String, tokio::task::JoinHandle<()>, watch::Sender<bool>)> =
        HashMap::new();
    let start = |job: MonitorJob, version: String, running: &mut HashMap<_, _>| {
        let (tx, rx) = watch::channel(false);
        let key = job.key.clone();
        tracing::info!(monitor = %job.monitor.name, key = %key, chain_id = job.monitor.chain_id, "monitor started");
        let handle = tokio::spawn(follow(state.clone(), job, rx));
        running.insert(key, (version, handle, tx));
    };
    for job in file {
        start(job, String::new(), &mut running);
    }
    let mut reported_unsupported = false;
    loop {
        match state.store.list_enabled_monitors().await {
            Ok(stored) => {
                let mut wanted = HashMap::new();
                for row in stored {
                    let version = format!("{}", row.updated_at);
                    wanted.insert(row.id.clone(), (version, row));
                }
                // Stop what was deleted, disabled or changed.
                let stale: Vec<String> = running
                    .iter()
                    .filter(|(key, (version, _, _))| {
                        !key.starts_with("file:")
                            && wanted.get(*key).is_none_or(|(v, _)| v != version)
                    })
                    .map(|(key, _)| key.clone())
                    .collect();
                for key in stale {
                    if let Some((_, handle, tx)) = running.remove(&key) {
                        let _ = tx.send(true);
                        let _ = handle.await;
                        tracing::info!(key = %key, "monitor stopped");
                    }
                }
                for (id, (version, row)) in wanted {
                    if running.contains_key(&id) {
                        continue;
                    }
                    match stored_job(&row) {
                        Ok(job) => start(job, version, &mut running),
                        Err(error) => {
                            // Keep it out of `running` under its version so the error is
                            // logged once per change, not on every refresh.
                            tracing::error!(monitor = %row.name, key = %row.id, %error, "monitor cannot run");
                            let (tx, _) = watch::channel(true);
                            running.insert(id, (version, tokio::spawn(async {}), tx));
                        }
                    }
                }
            }
            Err(store::StoreError::Unsupported(message)) => {
                if !reported_unsupported {
                    tracing::warn!(%message, "the tenants' monitors cannot be read");
                    reported_unsupported = true;
                }
            }
            Err(error) => tracing::warn!(%error, "cannot read the tenants' monitors"),
        }
        escalate(&state).await;
        resend_unsent(&state).await;
        tokio::select! {
            _ = tokio::time::sleep(state.settings.monitoring.refresh_every.duration()) => {}
            _ = stop.changed() => break,
        }
    }
    for (_, (_, handle, tx)) in running {
        let _ = tx.send(true);
        let _ = handle.await;
    }
}

/// A tenant's monitor as a job: its file text compiled (it was checked when stored, but the
/// language may have grown stricter since).
fn stored_job(row: &store::StoredMonitor) -> Result<MonitorJob, String> {
    let mut monitors = monitor::load_monitors(&row.config, None).map_err(|e| e.to_string())?;
    if monitors.len() != 1 {
        return Err(format!(
            "a stored monitor holds exactly one monitor, this one {}",
            monitors.len()
        ));
    }
    Ok(MonitorJob {
        key: row.id.clone(),
        tenant_id: row.tenant_id.clone(),
        monitor: monitors.remove(0),
        check_egress: true,
    })
}

fn client(job: &MonitorJob) -> Result<chain::RpcClient, String> {
    if job.monitor.rpc.is_empty() {
        return Err("the monitor has no `rpc` endpoint".into());
    }
    let mut config = chain::ClientConfig::new(job.monitor.rpc.clone());
    config.expected_chain_id = Some(job.monitor.chain_id);
    config.budget = u64::MAX;
    config.max_response_bytes = 256 * 1024 * 1024;
    config.retries = 1;
    chain::RpcClient::new(config).map_err(|e| e.to_string())
}

/// Follows one monitor until `stop`.
async fn follow(state: Arc<AppState>, job: MonitorJob, mut stop: watch::Receiver<bool>) {
    let name = job.monitor.name.clone();
    let labels = vec![("monitor", name.clone())];
    if job.check_egress {
        let egress = crate::egress::EgressPolicy::new(&state.settings.egress_allow_hosts);
        for url in &job.monitor.rpc {
            if let Err(error) = egress.check(url).await {
                tracing::error!(monitor = %name, endpoint = %chain::redact_url(url), %error, "monitor not started: its RPC endpoint is refused by the egress policy");
                return;
            }
        }
    }
    let client = match client(&job) {
        Ok(client) => Arc::new(client),
        Err(error) => {
            tracing::error!(monitor = %name, %error, "monitor not started");
            return;
        }
    };
    let engine = Arc::new(
        Engine::new(job.monitor.clone()).with_batch_blocks(state.settings.monitoring.batch_blocks),
    );
    let chain_id = job.monitor.chain_id as i64;
    let poll = job.monitor.poll_interval;
    let mut failures = 0u32;
    // The checkpoint as stored (`None`: not read yet) and whether a row exists.
    let mut checkpoint: Option<(Checkpoint, bool)> = None;
    loop {
        if *stop.borrow() {
            return;
        }
        let wait = match advance(&state, &job, &engine, &client, chain_id, &mut checkpoint).await {
            Ok(Advanced::Caught { lag }) => {
                failures = 0;
                state
                    .metrics
                    .monitor_lag
                    .get_or_create(&labels)
                    .set(lag as i64);
                poll
            }
            Ok(Advanced::Moved) => {
                failures = 0;
                Duration::ZERO
            }
            Err(error) => {
                failures += 1;
                state.metrics.monitor_errors.get_or_create(&labels).inc();
                let backoff = poll
                    .max(Duration::from_millis(200))
                    .saturating_mul(1 << failures.min(8))
                    .min(MAX_BACKOFF);
                tracing::warn!(monitor = %name, %error, retry_in_ms = backoff.as_millis() as u64, "monitor step failed; the same blocks are tried again");
                backoff
            }
        };
        if wait.is_zero() {
            tokio::task::yield_now().await;
            continue;
        }
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = stop.changed() => return,
        }
    }
}

enum Advanced {
    /// No confirmed block waits; `lag` is the head minus the next block.
    Caught { lag: u64 },
    /// Blocks were processed (or another process moved the checkpoint): go on at once.
    Moved,
}

#[derive(Debug, thiserror::Error)]
enum StepError {
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error("store: {0}")]
    Store(#[from] store::StoreError),
    #[error("stored checkpoint: {0}")]
    Checkpoint(String),
    #[error("the monitor's thread stopped: {0}")]
    Join(String),
}

async fn advance(
    state: &Arc<AppState>,
    job: &MonitorJob,
    engine: &Arc<Engine>,
    client: &Arc<chain::RpcClient>,
    chain_id: i64,
    checkpoint: &mut Option<(Checkpoint, bool)>,
) -> Result<Advanced, StepError> {
    if checkpoint.is_none() {
        *checkpoint = Some(
            match state
                .store
                .get_monitor_checkpoint(&job.key, chain_id)
                .await?
            {
                Some(row) => (from_row(&row)?, true),
                None => {
                    let (engine, client) = (engine.clone(), client.clone());
                    let initial =
                        tokio::task::spawn_blocking(move || engine.initial_checkpoint(&*client))
                            .await
                            .map_err(|e| StepError::Join(e.to_string()))??;
                    (initial, false)
                }
            },
        );
    }
    let Some((current, stored)) = checkpoint.clone() else {
        return Ok(Advanced::Moved);
    };
    let step = {
        let (engine, client, current) = (engine.clone(), client.clone(), current.clone());
        tokio::task::spawn_blocking(move || engine.step(&*client, &current))
            .await
            .map_err(|e| StepError::Join(e.to_string()))??
    };
    let (next, firings, blocks, transactions, head) = match step {
        Step::Idle { head } => {
            if stored {
                return Ok(Advanced::Caught {
                    lag: head.saturating_sub(current.next_block.saturating_sub(1)),
                });
            }
            // Store the starting point at once, so that a restart resumes here rather
            // than at a later head.
            (current.clone(), Vec::new(), 0, 0, head)
        }
        Step::Advanced(progress) => (
            progress.checkpoint,
            progress.firings,
            progress.blocks,
            progress.transactions,
            progress.head,
        ),
    };
    let now = now_ms();
    let events: Vec<store::NewMonitorEvent> = firings
        .iter()
        .map(|f| store::NewMonitorEvent {
            id: new_id(),
            rule: f.rule.clone(),
            level: f.level.as_str().into(),
            block_number: f.block_number as i64,
            block_hash: f.block_hash.to_string(),
            tx_hash: f.tx_hash.map(|h| h.to_string()),
            tx_index: f.tx_index,
            log_index: f.log_index,
            dedup_key: f.dedup_key.clone(),
            cooldown_ms: f.cooldown_ms,
            detail: f.detail.clone(),
        })
        .collect();
    let record = store::MonitorBlocks {
        monitor_key: job.key.clone(),
        monitor_name: job.monitor.name.clone(),
        tenant_id: job.tenant_id.clone(),
        expected_next: stored.then_some(current.next_block as i64),
        checkpoint: store::MonitorCheckpoint {
            monitor_key: job.key.clone(),
            chain_id,
            next_block: next.next_block as i64,
            last_hash: next.last_hash.map(|h| h.to_string()),
            state: serde_json::to_value(&next.state)
                .map_err(|e| StepError::Checkpoint(e.to_string()))?,
            updated_at: now,
        },
        events,
        now,
    };
    let recorded = match state.store.record_monitor_blocks(&record).await {
        Ok(recorded) => recorded,
        Err(store::StoreError::Conflict(_)) => {
            // Another process recorded these blocks: read where it stands.
            tracing::info!(monitor = %job.monitor.name, "checkpoint moved by another process; reading it again");
            *checkpoint = None;
            return Ok(Advanced::Moved);
        }
        Err(error) => return Err(error.into()),
    };
    *checkpoint = Some((next.clone(), true));
    let labels = vec![("monitor", job.monitor.name.clone())];
    state
        .metrics
        .monitor_blocks
        .get_or_create(&labels)
        .inc_by(blocks);
    state
        .metrics
        .monitor_transactions
        .get_or_create(&labels)
        .inc_by(transactions);
    state
        .metrics
        .monitor_lag
        .get_or_create(&labels)
        .set(head.saturating_sub(next.next_block.saturating_sub(1)) as i64);
    for firing in &firings {
        state
            .metrics
            .monitor_alerts
            .get_or_create(&vec![("level", firing.level.as_str().to_string())])
            .inc();
        tracing::info!(monitor = %job.monitor.name, rule = %firing.rule, level = firing.level.as_str(), block = firing.block_number, "monitor rule fired");
    }
    for incident in &recorded.incidents_opened {
        let _ = state
            .record(
                Some(&job.tenant_id),
                &format!("monitor:{}", job.monitor.name),
                "incident.opened",
                Some(&incident.id),
                "ok",
                json!({"priority": incident.priority, "title": incident.title, "monitor": job.monitor.name}),
            )
            .await;
    }
    for alert in &recorded.opened {
        let channels = channels_for(state, &alert.severity);
        crate::notify::alerts::deliver(state, alert, &channels, store::NOTIFICATION_INITIAL).await;
    }
    Ok(if blocks == 0 {
        Advanced::Caught {
            lag: head.saturating_sub(next.next_block.saturating_sub(1)),
        }
    } else {
        Advanced::Moved
    })
}

fn from_row(row: &store::MonitorCheckpoint) -> Result<Checkpoint, StepError> {
    let last_hash = row
        .last_hash
        .as_deref()
        .map(str::parse)
        .transpose()
        .map_err(|e| StepError::Checkpoint(format!("last hash: {e}")))?;
    let state = if row.state.is_null() {
        Default::default()
    } else {
        serde_json::from_value(row.state.clone())
            .map_err(|e| StepError::Checkpoint(format!("rule windows: {e}")))?
    };
    Ok(Checkpoint {
        next_block: u64::try_from(row.next_block)
            .map_err(|_| StepError::Checkpoint(format!("next block {}", row.next_block)))?,
        last_hash,
        state,
    })
}

/// Sends every monitor alert still firing after the response time of its level to the
/// `monitoring.escalate_to` channels, once (the store's claim makes sure of that across
/// processes).
/// The channels alerts of `level` go to.
fn channels_for<'s>(state: &'s AppState, level: &str) -> Vec<&'s AlertChannel> {
    state
        .settings
        .alerts
        .channels
        .iter()
        .filter(|c| c.levels.iter().any(|l| l.as_str() == level))
        .collect()
}

/// Alerts considered for a late first notification: those seen within this window.
const RESEND_WINDOW_MS: i64 = 24 * 60 * 60 * 1000;

/// Sends the monitor alerts that were recorded but never sent: their process stopped (a
/// crash, SIGKILL) between the commit of their block and the delivery. An alert still
/// firing, opened at least `[monitoring] resend_unsent_after` ago (its normal delivery is
/// long over by then), seen within the last day, whose level has channels and which has
/// no notification at all, is sent now. Two nodes may both send such an alert: the first
/// notification is at least once; the alert itself stays exactly once.
pub(crate) async fn resend_unsent(state: &AppState) {
    let now = now_ms();
    let after = state.settings.monitoring.resend_unsent_after.as_millis();
    let filter = store::AlertFilter {
        state: Some(store::ALERT_FIRING.into()),
        since: Some(now - RESEND_WINDOW_MS),
        opened_before: Some(now - after + 1),
        notified: Some(false),
        limit: 100,
        ..Default::default()
    };
    let unsent = match state.store.list_alerts(&filter).await {
        Ok(unsent) => unsent,
        Err(error) => {
            tracing::warn!(%error, "cannot list monitor alerts to check that they were sent");
            return;
        }
    };
    for alert in unsent.iter().filter(|a| a.rule.starts_with("monitor:")) {
        let channels = channels_for(state, &alert.severity);
        if channels.is_empty() {
            continue;
        }
        tracing::warn!(alert_id = %alert.id, rule = %alert.rule, "monitor alert recorded but never sent (its process stopped before sending it): sending it now");
        crate::notify::alerts::deliver(state, alert, &channels, store::NOTIFICATION_INITIAL).await;
    }
}

pub(crate) async fn escalate(state: &AppState) {
    let monitoring = &state.settings.monitoring;
    if monitoring.escalate_to.is_empty() {
        return;
    }
    let channels: Vec<&AlertChannel> = state
        .settings
        .alerts
        .channels
        .iter()
        .filter(|c| monitoring.escalate_to.contains(&c.name))
        .collect();
    let now = now_ms();
    for level in store::ALERT_LEVELS {
        let after = monitoring.response_times.of(level);
        let filter = store::AlertFilter {
            state: Some(store::ALERT_FIRING.into()),
            severity: Some(level.into()),
            opened_before: Some(now - after.as_millis() + 1),
            escalated: Some(false),
            limit: 100,
            ..Default::default()
        };
        let due = match state.store.list_alerts(&filter).await {
            Ok(due) => due,
            Err(error) => {
                tracing::warn!(%error, "cannot list monitor alerts due for escalation");
                return;
            }
        };
        for alert in due.into_iter().filter(|a| a.rule.starts_with("monitor:")) {
            match state.store.claim_alert_escalation(&alert.id, now).await {
                Ok(true) => {
                    tracing::warn!(alert_id = %alert.id, rule = %alert.rule, level, "monitor alert escalated: not acknowledged within its response time");
                    let alert = store::Alert {
                        escalated_at: Some(now),
                        ..alert
                    };
                    crate::notify::alerts::deliver(
                        state,
                        &alert,
                        &channels,
                        store::NOTIFICATION_ESCALATION,
                    )
                    .await;
                }
                Ok(false) => {}
                Err(error) => {
                    tracing::warn!(%error, alert_id = %alert.id, "cannot escalate a monitor alert")
                }
            }
        }
    }
}
