//! Health probes and metrics; no authentication (bind them to a private network).

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::state::AppState;

/// Queue depth per worker slot above which the service reports itself degraded.
const DEGRADED_QUEUE_PER_SLOT: i64 = 100;

pub(crate) async fn live() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

pub(crate) async fn ready(State(state): State<Arc<AppState>>) -> Response {
    let database = state.store.ping().await.is_ok();
    // An API-only node has no workers to wait for.
    let workers = !state.role.runs_workers() || state.workers_alive.load(Ordering::SeqCst);
    let status = if database && workers {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        Json(json!({ "status": if status == StatusCode::OK { "ready" } else { "not_ready" }, "database": database, "workers": workers })),
    )
        .into_response()
}

pub(crate) async fn detailed(State(state): State<Arc<AppState>>) -> Response {
    let started = Instant::now();
    let database = state.store.ping().await;
    let db_latency = started.elapsed().as_secs_f64() * 1000.0;
    let started = Instant::now();
    let depth = state.store.queue_depth().await;
    let queue_latency = started.elapsed().as_secs_f64() * 1000.0;
    let workers_alive = state.workers_alive.load(Ordering::SeqCst);
    let capacity = if state.role.runs_workers() {
        state.settings.max_concurrent_audits as i64
    } else {
        0
    };

    let db_status = match &database {
        Ok(()) if db_latency > 1000.0 => "degraded",
        Ok(()) => "healthy",
        Err(_) => "unhealthy",
    };
    let queue_status = match &depth {
        Ok(d) if capacity > 0 && *d > DEGRADED_QUEUE_PER_SLOT * capacity => "degraded",
        Ok(_) => "healthy",
        Err(_) => "unhealthy",
    };
    let worker_status = if !state.role.runs_workers() {
        "disabled"
    } else if workers_alive {
        "healthy"
    } else {
        "unhealthy"
    };
    // The other analyzers some plan allows, as this node's workers would run them: one
    // that is missing or broken degrades the service (audits asking for it complete with
    // the tool's run marked as such).
    let mut enabled: Vec<String> = state
        .settings
        .plans
        .values()
        .flat_map(|plan| plan.tools.iter().cloned())
        .collect();
    enabled.sort();
    enabled.dedup();
    let tools = if state.role.runs_workers() && !enabled.is_empty() {
        let analyzer = state.analyzer.clone();
        tokio::task::spawn_blocking(move || analyzer.external_tools(&enabled))
            .await
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    // Absent (not part of the status) when no plan allows a tool or no worker runs here.
    let tools_status = (!tools.is_empty()).then(|| {
        if tools.iter().all(|t| t.status == "ok") {
            "healthy"
        } else {
            "degraded"
        }
    });
    let statuses = [
        db_status,
        queue_status,
        worker_status,
        tools_status.unwrap_or("healthy"),
    ];
    let overall = if statuses.contains(&"unhealthy") {
        "unhealthy"
    } else if statuses.contains(&"degraded") {
        "degraded"
    } else {
        "healthy"
    };
    let code = if overall == "unhealthy" {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::OK
    };
    let mut body = json!({
        "status": overall,
        "version": env!("CARGO_PKG_VERSION"),
        "analyzer_version": state.analyzer_version,
        "components": {
            "database": { "status": db_status, "latency_ms": db_latency },
            "queue": { "status": queue_status, "latency_ms": queue_latency, "depth": depth.ok() },
            "workers": {
                "status": worker_status,
                "active": state.active.load(Ordering::SeqCst),
                "capacity": capacity,
            },
        },
    });
    if let Some(status) = tools_status {
        body["components"]["tools"] = json!({ "status": status, "tools": tools });
    }
    (code, Json(body)).into_response()
}

pub(crate) async fn metrics(State(state): State<Arc<AppState>>) -> Response {
    if let Ok(depth) = state.store.queue_depth().await {
        state.metrics.queue_size.set(depth);
    }
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.metrics.render(),
    )
        .into_response()
}
