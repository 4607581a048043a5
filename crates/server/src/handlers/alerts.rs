//! Alert history and acknowledgement.
//!
//! Who sees what: alerts are for admins. Admins of the operator tenant see every alert,
//! service-wide (queue depth, failures, error rate) and tenant-scoped (findings); admins
//! of another tenant see only the alerts scoped to their tenant. An alert a caller may
//! not see is answered like a missing one (404). Whoever sees an alert may acknowledge it.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

use super::page_limit;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiQuery, Principal};
use crate::state::AppState;
use crate::timestamp::{now_ms, rfc3339};

fn time(ms: Option<i64>) -> Value {
    ms.map_or(Value::Null, |ms| Value::String(rfc3339(ms)))
}

pub(crate) fn alert_view(a: &store::Alert) -> Value {
    json!({
        "id": a.id,
        "rule": a.rule,
        "severity": a.severity,
        "state": a.state,
        "tenant_id": a.tenant_id,
        "dedup_key": a.dedup_key,
        "first_seen": rfc3339(a.first_seen),
        "last_seen": rfc3339(a.last_seen),
        "occurrences": a.occurrences,
        "escalated_at": time(a.escalated_at),
        "acknowledged_by": a.acknowledged_by,
        "acknowledged_at": time(a.acknowledged_at),
        "resolved_at": time(a.resolved_at),
        "detail": a.detail,
    })
}

fn notification_view(n: &store::AlertNotification) -> Value {
    json!({
        "channel": n.channel,
        "purpose": n.purpose,
        "status": n.status,
        "error": n.error,
        "created_at": rfc3339(n.created_at),
    })
}

/// The alerts `principal` may see: `None` for all of them, else one tenant's.
async fn visible_scope(
    state: &AppState,
    principal: &Principal,
    action: &str,
) -> ApiResult<Option<String>> {
    state.require(principal, "alert.manage", action).await?;
    let operator = state
        .store
        .get_tenant(&principal.tenant_id)
        .await?
        .is_some_and(|t| t.is_operator);
    Ok((!operator).then(|| principal.tenant_id.clone()))
}

async fn visible_alert(
    state: &AppState,
    principal: &Principal,
    id: &str,
    action: &str,
) -> ApiResult<store::Alert> {
    let scope = visible_scope(state, principal, action).await?;
    state
        .store
        .get_alert(id)
        .await?
        .filter(|a| scope.is_none() || a.tenant_id == scope)
        .ok_or_else(|| ApiError::not_found("alert"))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AlertQuery {
    state: Option<String>,
    severity: Option<String>,
    since: Option<i64>,
    limit: Option<i64>,
}

pub(crate) async fn list(
    State(state): State<Arc<AppState>>,
    principal: Principal,
    ApiQuery(query): ApiQuery<AlertQuery>,
) -> ApiResult<Json<Value>> {
    let scope = visible_scope(&state, &principal, "read alerts").await?;
    let invalid = |detail: String| {
        ApiError::bad_request("invalid-parameter", "Invalid query parameter", detail)
    };
    if let Some(s) = &query.state
        && !store::ALERT_STATES.contains(&s.as_str())
    {
        return Err(invalid(format!(
            "state `{}` is not one of {}",
            s.escape_debug(),
            store::ALERT_STATES.join(", ")
        )));
    }
    if let Some(s) = &query.severity
        && !store::ALERT_LEVELS.contains(&s.as_str())
    {
        return Err(invalid(format!(
            "severity `{}` is not one of {}",
            s.escape_debug(),
            store::ALERT_LEVELS.join(", ")
        )));
    }
    let filter = store::AlertFilter {
        state: query.state,
        severity: query.severity,
        tenant_id: scope,
        since: query.since,
        limit: page_limit(query.limit)?,
        ..Default::default()
    };
    let alerts = state.store.list_alerts(&filter).await?;
    Ok(Json(
        json!({ "items": alerts.iter().map(alert_view).collect::<Vec<_>>() }),
    ))
}

pub(crate) async fn get(
    State(state): State<Arc<AppState>>,
    principal: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let alert = visible_alert(&state, &principal, &id, "read alerts").await?;
    let notifications = state.store.list_alert_notifications(&alert.id).await?;
    let mut view = alert_view(&alert);
    view["notifications"] = notifications.iter().map(notification_view).collect();
    Ok(Json(view))
}

pub(crate) async fn acknowledge(
    State(state): State<Arc<AppState>>,
    principal: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let alert = visible_alert(&state, &principal, &id, "acknowledge alerts").await?;
    if alert.state != store::ALERT_FIRING {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "alert-not-firing",
            "Alert not firing",
            format!("the alert is already {}", alert.state),
        ));
    }
    let alert = state
        .store
        .acknowledge_alert(&alert.id, &principal.actor, now_ms())
        .await?
        .ok_or_else(|| ApiError::not_found("alert"))?;
    if alert.acknowledged_by.as_deref() != Some(principal.actor.as_str()) {
        // Acknowledged or resolved by someone else meanwhile.
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "alert-not-firing",
            "Alert not firing",
            format!("the alert is already {}", alert.state),
        ));
    }
    state
        .record(
            Some(&principal.tenant_id),
            &principal.actor,
            "alert.acknowledged",
            Some(&alert.id),
            "success",
            json!({ "rule": alert.rule, "severity": alert.severity, "alert_tenant_id": alert.tenant_id }),
        )
        .await?;
    Ok(Json(alert_view(&alert)))
}
