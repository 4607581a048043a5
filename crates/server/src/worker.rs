//! The worker pool: a dispatcher takes queued audits under a lease while fewer than
//! `max_concurrent_audits` run; each runs on the blocking thread pool under its timeout,
//! with a heartbeat that keeps the lease; a reaper re-queues audits whose lease expired.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use store::{ClaimedJob, JobOutcome};
use tokio::sync::{Notify, OwnedSemaphorePermit, watch};

use crate::analyzer::AnalysisRequest;
use crate::state::AppState;
use crate::timestamp::now_ms;

/// How often an idle dispatcher looks at the queue even without a submission signal
/// (of this process, or from other processes through `Store::wait_for_work`).
const IDLE_POLL: Duration = Duration::from_millis(500);

/// How often a node deletes the shared rate-limit buckets idle for [`RATE_BUCKET_IDLE`].
const RATE_BUCKET_PRUNE_EVERY: Duration = Duration::from_secs(60);
const RATE_BUCKET_IDLE: Duration = Duration::from_secs(3600);

/// The longest a running audit goes without checking (and renewing) its lease.
const LEASE_CHECK: Duration = Duration::from_secs(1);

pub(crate) async fn dispatcher(state: Arc<AppState>, mut stop: watch::Receiver<bool>) {
    state.workers_alive.store(true, Ordering::SeqCst);
    loop {
        if *stop.borrow() {
            break;
        }
        let permit = tokio::select! {
            permit = state.slots.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
            _ = stop.changed() => break,
        };
        let now = now_ms();
        let lease_until = now + state.settings.lease_secs as i64 * 1000;
        match state.store.claim_next(&state.owner, now, lease_until).await {
            Ok(Some(job)) => {
                tokio::spawn(run_job(state.clone(), job, permit));
            }
            Ok(None) => {
                drop(permit);
                tokio::select! {
                    _ = state.submitted.notified() => {}
                    _ = state.store.wait_for_work(IDLE_POLL) => {}
                    _ = stop.changed() => break,
                }
            }
            Err(error) => {
                drop(permit);
                tracing::error!(%error, "cannot take an audit from the queue");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
    state.workers_alive.store(false, Ordering::SeqCst);
}

/// Re-queues audits whose lease ran out (a worker that died without a restart of this
/// process, or another process sharing the database), and deletes idle shared rate-limit
/// buckets.
pub(crate) async fn lease_reaper(state: Arc<AppState>, mut stop: watch::Receiver<bool>) {
    let period = Duration::from_secs(state.settings.lease_secs.max(3) / 3);
    let mut pruned = Instant::now();
    loop {
        tokio::select! {
            _ = tokio::time::sleep(period) => {}
            _ = stop.changed() => return,
        }
        if state.store.is_shared() && pruned.elapsed() >= RATE_BUCKET_PRUNE_EVERY {
            pruned = Instant::now();
            let idle_before = now_ms() - RATE_BUCKET_IDLE.as_millis() as i64;
            if let Err(error) = state.store.prune_rate_buckets(idle_before).await {
                tracing::warn!(%error, "cannot prune idle rate-limit buckets");
            }
        }
        match state.store.requeue_expired(now_ms()).await {
            Ok(0) => {}
            Ok(n) => {
                tracing::warn!(count = n, "re-queued audits whose lease expired");
                state.submitted.notify_waiters();
            }
            Err(error) => tracing::error!(%error, "cannot re-queue expired leases"),
        }
    }
}

async fn run_job(state: Arc<AppState>, job: ClaimedJob, permit: OwnedSemaphorePermit) {
    let audit = job.audit;
    let id = audit.id.clone();
    state.metrics.audits_started.inc();
    state.metrics.active_audits.inc();
    state.active.fetch_add(1, Ordering::SeqCst);
    let cancel = Arc::new(Notify::new());
    state
        .cancels
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(id.clone(), cancel.clone());
    let started = Instant::now();

    let outcome = if audit.attempts > i64::from(state.settings.max_attempts) {
        drop(permit);
        Some(JobOutcome::Failed(format!(
            "gave up after {} attempts: the analysis was interrupted every time",
            state.settings.max_attempts
        )))
    } else {
        analyze(&state, &audit, &job.sources_json, permit, &cancel).await
    };

    state
        .cancels
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .remove(&id);
    if let Some(outcome) = outcome {
        let status = match &outcome {
            JobOutcome::Succeeded(_) => store::STATUS_SUCCEEDED,
            JobOutcome::Failed(_) => store::STATUS_FAILED,
            JobOutcome::TimedOut(_) => store::STATUS_TIMED_OUT,
        };
        match state
            .store
            .complete(&id, &state.owner, now_ms(), &outcome)
            .await
        {
            Ok(true) => {
                state.metrics.completed(status);
                state
                    .metrics
                    .audit_duration
                    .observe(started.elapsed().as_secs_f64());
                if let JobOutcome::Succeeded(analysis) = &outcome {
                    for finding in &analysis.findings {
                        state.metrics.finding(&finding.severity);
                    }
                    crate::notify::alerts::findings_stored(&state, &audit, &analysis.findings);
                }
                tracing::info!(audit_id = %id, status, elapsed_ms = started.elapsed().as_millis() as u64, "audit finished");
                crate::notify::webhooks::audit_finished(&state, &audit.tenant_id, &id).await;
                if status == store::STATUS_SUCCEEDED {
                    crate::suggestions::queue_for_audit(&state, &audit.tenant_id, &id).await;
                }
            }
            Ok(false) => {
                tracing::info!(audit_id = %id, "audit result discarded: the lease was lost (cancelled or re-queued)")
            }
            Err(error) => {
                tracing::error!(audit_id = %id, %error, "cannot record the audit result; its lease will expire and it will run again")
            }
        }
    }
    state.metrics.active_audits.dec();
    state.active.fetch_sub(1, Ordering::SeqCst);
}

/// Runs the analyzer; `None` when the audit was cancelled meanwhile.
async fn analyze(
    state: &Arc<AppState>,
    audit: &store::Audit,
    sources_json: &str,
    permit: OwnedSemaphorePermit,
    cancel: &Notify,
) -> Option<JobOutcome> {
    let sources = match serde_json::from_str(sources_json) {
        Ok(sources) => sources,
        Err(error) => {
            return Some(JobOutcome::Failed(format!(
                "stored sources are unreadable: {error}"
            )));
        }
    };
    let request = AnalysisRequest {
        sources,
        include_detectors: audit.options.include_detectors.clone(),
        exclude_detectors: audit.options.exclude_detectors.clone(),
        min_severity: audit.options.min_severity.clone(),
        target: audit.target.clone(),
        tools: audit.options.tools.clone(),
    };
    let analyzer = state.analyzer.clone();
    // The permit moves into the blocking task: a slot stays taken until the analyzer
    // returns, even after a timeout, so a stuck analysis cannot multiply CPU use.
    let task = tokio::task::spawn_blocking(move || {
        let _slot = permit;
        std::panic::catch_unwind(AssertUnwindSafe(|| analyzer.analyze(&request)))
    });
    let timeout = Duration::from_secs(audit.timeout_secs.max(1) as u64);
    let heartbeat = heartbeat(state, &audit.id);
    tokio::pin!(heartbeat);
    let result = tokio::select! {
        result = tokio::time::timeout(timeout, task) => result,
        _ = cancel.notified() => return None,
        _ = &mut heartbeat => return None,
    };
    Some(match result {
        Err(_) => JobOutcome::TimedOut(format!(
            "the analysis did not finish within {} s",
            timeout.as_secs()
        )),
        Ok(Err(join_error)) => {
            JobOutcome::Failed(format!("the analysis task failed: {join_error}"))
        }
        Ok(Ok(Err(_panic))) => {
            tracing::error!(audit_id = %audit.id, "the analyzer panicked");
            JobOutcome::Failed("the analyzer crashed on this input".into())
        }
        Ok(Ok(Ok(Err(error)))) => JobOutcome::Failed(error.message),
        Ok(Ok(Ok(Ok(output)))) => JobOutcome::Succeeded(store::CachedAnalysis {
            cache_key: audit.cache_key.clone(),
            analyzer_version: state.analyzer_version.clone(),
            findings: output.findings,
            reports: output.reports,
        }),
    })
}

/// Extends the lease every third of its length, and at least every
/// [`LEASE_CHECK`]; returns only when the lease is lost. A cancellation made through
/// another node ends the lease, so the worker running the audit sees it within that time.
async fn heartbeat(state: &Arc<AppState>, id: &str) {
    let lease = Duration::from_secs(state.settings.lease_secs);
    loop {
        tokio::time::sleep((lease / 3).min(LEASE_CHECK)).await;
        let until = now_ms() + lease.as_millis() as i64;
        match state.store.heartbeat(id, &state.owner, until).await {
            Ok(true) => {}
            Ok(false) => return,
            Err(error) => tracing::warn!(audit_id = %id, %error, "lease heartbeat failed"),
        }
    }
}
