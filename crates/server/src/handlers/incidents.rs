//! Incidents of the caller's tenant, opened and joined by the alerts of its monitors:
//! list, read with the timeline, move the state forward and assign, comment. Viewers
//! read; auditors and admins update and comment. Every change is recorded in the audit
//! trail.
//!
//! States only move forward (open → acknowledged → mitigated → resolved, skipping
//! allowed); a move backwards is a 409 `invalid-transition`. Asking for the state the
//! incident is already in changes nothing. An assignee is named by user id and must be
//! an enabled user of the tenant; `null` unassigns.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Deserializer};
use serde_json::{Value, json};

use super::page_limit;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiQuery, Principal};
use crate::state::AppState;
use crate::timestamp::{now_ms, rfc3339};

/// Longest comment, in characters.
pub(crate) const MAX_COMMENT_LEN: usize = 4000;

fn time(ms: Option<i64>) -> Value {
    ms.map_or(Value::Null, |ms| Value::String(rfc3339(ms)))
}

/// The e-mail of each user of a tenant, by id (to show assignees).
pub(crate) async fn user_emails(
    state: &AppState,
    tenant_id: &str,
) -> ApiResult<HashMap<String, String>> {
    Ok(state
        .store
        .list_users(tenant_id)
        .await?
        .into_iter()
        .map(|u| (u.id, u.email))
        .collect())
}

pub(crate) fn incident_view(i: &store::Incident, emails: &HashMap<String, String>) -> Value {
    json!({
        "id": i.id,
        "title": i.title,
        "priority": i.priority,
        "state": i.state,
        "assignee": i.assignee,
        "assignee_email": i.assignee.as_ref().and_then(|a| emails.get(a)),
        "monitor_id": i.monitor_key,
        "alert_count": i.alert_count,
        "opened_at": rfc3339(i.opened_at),
        "acknowledged_at": time(i.acknowledged_at),
        "mitigated_at": time(i.mitigated_at),
        "resolved_at": time(i.resolved_at),
        "updated_at": rfc3339(i.updated_at),
    })
}

pub(crate) fn timeline_view(e: &store::IncidentEvent) -> Value {
    json!({
        "id": e.id,
        "kind": e.kind,
        "actor": e.actor,
        "body": e.body,
        "created_at": rfc3339(e.created_at),
    })
}

/// Position of a state in the lifecycle.
fn rank(state: &str) -> Option<usize> {
    store::INCIDENT_STATES.iter().position(|s| *s == state)
}

async fn find(state: &AppState, tenant_id: &str, id: &str) -> ApiResult<store::Incident> {
    state
        .store
        .get_incident(tenant_id, id)
        .await?
        .ok_or_else(|| ApiError::not_found("incident"))
}

fn invalid_transition(from: &str, to: &str) -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "invalid-transition",
        "Invalid state transition",
        format!(
            "an incident moves only forward ({}); it cannot go from {from} to {to}",
            store::INCIDENT_STATES.join(" → ")
        ),
    )
}

/// A requested change of an incident, as the API and the dashboard receive it.
#[derive(Debug, Default)]
pub(crate) struct Change {
    pub state: Option<String>,
    /// `Some(None)` unassigns.
    pub assignee: Option<Option<String>>,
}

/// Applies `change` to incident `id` of the principal's tenant, as `principal`: checks
/// the role, the state and the assignee, updates, records `incident.updated`. Answers
/// the incident as it is afterwards.
pub(crate) async fn apply_change(
    state: &AppState,
    principal: &Principal,
    id: &str,
    change: Change,
) -> ApiResult<store::Incident> {
    state
        .require(principal, "incident.manage", "update incidents")
        .await?;
    let tenant_id = &principal.tenant_id;
    let current = find(state, tenant_id, id).await?;
    if change.state.is_none() && change.assignee.is_none() {
        return Err(ApiError::unprocessable(
            "invalid-request",
            "Invalid request",
            "send at least one of state, assignee",
        ));
    }
    let to = match change.state {
        Some(to) => {
            let Some(to_rank) = rank(&to) else {
                return Err(ApiError::unprocessable(
                    "invalid-request",
                    "Invalid request",
                    format!(
                        "state `{}` is not one of {}",
                        to.escape_debug(),
                        store::INCIDENT_STATES.join(", ")
                    ),
                ));
            };
            match rank(&current.state) {
                Some(from_rank) if to_rank < from_rank => {
                    return Err(invalid_transition(&current.state, &to));
                }
                // Already there: nothing to move.
                Some(from_rank) if to_rank == from_rank => None,
                _ => Some(to),
            }
        }
        None => None,
    };
    let assignee = match change.assignee {
        Some(Some(user_id)) => {
            let user = state
                .store
                .get_user(tenant_id, &user_id)
                .await?
                .filter(|u| !u.disabled)
                .ok_or_else(|| {
                    ApiError::unprocessable(
                        "unknown-assignee",
                        "Unknown assignee",
                        format!(
                            "`{}` is not the id of an enabled user of this tenant",
                            user_id.escape_debug()
                        ),
                    )
                })?;
            // Assigning the current assignee changes nothing.
            (current.assignee.as_deref() != Some(user.id.as_str())).then_some(Some(user.id))
        }
        Some(None) => current.assignee.is_some().then_some(None),
        None => None,
    };
    if to.is_none() && assignee.is_none() {
        return Ok(current);
    }
    let update = store::IncidentUpdate {
        state: to.clone(),
        assignee: assignee.clone(),
        actor: principal.actor.clone(),
        now: now_ms(),
    };
    let incident = match state.store.update_incident(tenant_id, id, &update).await? {
        None => return Err(ApiError::not_found("incident")),
        Some(store::IncidentChange::InvalidTransition { from, to }) => {
            // Moved by someone else since it was read.
            return Err(invalid_transition(&from, &to));
        }
        Some(store::IncidentChange::Updated(incident)) => incident,
    };
    let mut detail = json!({});
    if let Some(to) = &to {
        detail["from"] = json!(current.state);
        detail["to"] = json!(to);
    }
    if let Some(assignee) = &assignee {
        detail["assignee"] = json!(assignee);
        detail["previous_assignee"] = json!(current.assignee);
    }
    state
        .record(
            Some(tenant_id),
            &principal.actor,
            "incident.updated",
            Some(id),
            "success",
            detail,
        )
        .await?;
    Ok(incident)
}

/// Adds a comment to incident `id` as `principal`: checks the role and the text, stores
/// it, records `incident.commented`.
pub(crate) async fn add_comment(
    state: &AppState,
    principal: &Principal,
    id: &str,
    text: &str,
) -> ApiResult<store::IncidentEvent> {
    state
        .require(principal, "incident.manage", "comment on incidents")
        .await?;
    let length = text.chars().count();
    if text.trim().is_empty() || length > MAX_COMMENT_LEN {
        return Err(ApiError::unprocessable(
            "invalid-request",
            "Invalid request",
            format!("text must be 1 to {MAX_COMMENT_LEN} characters, not only spaces"),
        ));
    }
    let event = state
        .store
        .comment_incident(&principal.tenant_id, id, &principal.actor, text, now_ms())
        .await?
        .ok_or_else(|| ApiError::not_found("incident"))?;
    state
        .record(
            Some(&principal.tenant_id),
            &principal.actor,
            "incident.commented",
            Some(id),
            "success",
            json!({ "event_id": event.id, "length": length }),
        )
        .await?;
    Ok(event)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct IncidentQuery {
    state: Option<String>,
    priority: Option<String>,
    open: Option<bool>,
    limit: Option<i64>,
}

pub(crate) async fn list(
    State(state): State<Arc<AppState>>,
    principal: Principal,
    ApiQuery(query): ApiQuery<IncidentQuery>,
) -> ApiResult<Json<Value>> {
    state
        .require(&principal, "incident.read", "read incidents")
        .await?;
    let invalid = |detail: String| {
        ApiError::bad_request("invalid-parameter", "Invalid query parameter", detail)
    };
    if let Some(s) = &query.state
        && rank(s).is_none()
    {
        return Err(invalid(format!(
            "state `{}` is not one of {}",
            s.escape_debug(),
            store::INCIDENT_STATES.join(", ")
        )));
    }
    if let Some(p) = &query.priority
        && !store::INCIDENT_PRIORITIES.contains(&p.as_str())
    {
        return Err(invalid(format!(
            "priority `{}` is not one of {}",
            p.escape_debug(),
            store::INCIDENT_PRIORITIES.join(", ")
        )));
    }
    let filter = store::IncidentFilter {
        state: query.state,
        priority: query.priority,
        open_only: query.open.unwrap_or(false),
        limit: page_limit(query.limit)?,
    };
    let incidents = state
        .store
        .list_incidents(&principal.tenant_id, &filter)
        .await?;
    let emails = user_emails(&state, &principal.tenant_id).await?;
    Ok(Json(json!({
        "items": incidents.iter().map(|i| incident_view(i, &emails)).collect::<Vec<_>>()
    })))
}

pub(crate) async fn get(
    State(state): State<Arc<AppState>>,
    principal: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    state
        .require(&principal, "incident.read", "read incidents")
        .await?;
    let incident = find(&state, &principal.tenant_id, &id).await?;
    let timeline = state
        .store
        .list_incident_events(&principal.tenant_id, &id)
        .await?;
    let emails = user_emails(&state, &principal.tenant_id).await?;
    let mut view = incident_view(&incident, &emails);
    view["timeline"] = timeline.iter().map(timeline_view).collect();
    Ok(Json(view))
}

/// Absent stays `None`; `null` becomes `Some(None)`.
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct IncidentPatch {
    state: Option<String>,
    #[serde(default, deserialize_with = "present")]
    assignee: Option<Option<String>>,
}

pub(crate) async fn update(
    State(state): State<Arc<AppState>>,
    principal: Principal,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<IncidentPatch>,
) -> ApiResult<Json<Value>> {
    let change = Change {
        state: body.state,
        assignee: body.assignee,
    };
    let incident = apply_change(&state, &principal, &id, change).await?;
    let emails = user_emails(&state, &principal.tenant_id).await?;
    Ok(Json(incident_view(&incident, &emails)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewComment {
    text: String,
}

pub(crate) async fn comment(
    State(state): State<Arc<AppState>>,
    principal: Principal,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<NewComment>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let event = add_comment(&state, &principal, &id, &body.text).await?;
    Ok((StatusCode::CREATED, Json(timeline_view(&event))))
}
