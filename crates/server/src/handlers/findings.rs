//! One finding, its triage history, and triage.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{finding_view, new_id, triage_event_view};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, Principal};
use crate::state::AppState;
use crate::timestamp::now_ms;

pub(crate) async fn get(
    State(state): State<Arc<AppState>>,
    principal: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let finding = super::finding_of(&state, &principal, &id).await?;
    let history = state
        .store
        .list_triage_events(&principal.tenant_id, &finding.data.fingerprint)
        .await?;
    let mut view = finding_view(&finding);
    view["history"] = history.iter().map(triage_event_view).collect();
    Ok(Json(view))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Triage {
    state: String,
    comment: Option<String>,
}

pub(crate) async fn triage(
    State(state): State<Arc<AppState>>,
    principal: Principal,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<Triage>,
) -> ApiResult<Json<Value>> {
    let finding = apply_triage(&state, &principal, &id, body.state, body.comment).await?;
    let history = state
        .store
        .list_triage_events(&principal.tenant_id, &finding.data.fingerprint)
        .await?;
    let mut view = finding_view(&finding);
    view["history"] = history.iter().map(triage_event_view).collect();
    Ok(Json(view))
}

/// Moves a finding (and every finding with its fingerprint) to `to_state` with an
/// optional comment: auditors and admins only; the change is recorded in the trail.
pub(crate) async fn apply_triage(
    state: &AppState,
    principal: &Principal,
    id: &str,
    to_state: String,
    comment: Option<String>,
) -> ApiResult<store::Finding> {
    state
        .require(principal, "finding.triage", "triage findings")
        .await?;
    if !store::TRIAGE_STATES.contains(&to_state.as_str()) {
        return Err(ApiError::unprocessable(
            "invalid-request",
            "Invalid request",
            format!("state must be one of {}", store::TRIAGE_STATES.join(", ")),
        ));
    }
    if comment.as_ref().is_some_and(|c| c.len() > 10_000) {
        return Err(ApiError::unprocessable(
            "invalid-request",
            "Invalid request",
            "comment is longer than 10000 bytes",
        ));
    }
    let event = store::NewTriageEvent {
        id: new_id(),
        to_state,
        comment,
        actor: principal.actor.clone(),
        created_at: now_ms(),
    };
    let (finding, stored) = state
        .store
        .triage_finding(&principal.tenant_id, id, &event)
        .await?
        .ok_or_else(|| ApiError::not_found("finding"))?;
    state
        .record(
            Some(&principal.tenant_id),
            &principal.actor,
            "triage.changed",
            Some(&finding.id),
            "success",
            json!({ "from": stored.from_state, "to": stored.to_state, "fingerprint": stored.fingerprint }),
        )
        .await?;
    Ok(finding)
}
