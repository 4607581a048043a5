//! The optional assistant through the API (see [`crate::suggestions`]).
//!
//! - `GET /api/v1/tenants/{id}/assistant`: the tenant's choice, the profiles its plan
//!   offers, today's token use.
//! - `PUT /api/v1/tenants/{id}/assistant` `{"profile", "auto_severity"}`: admins opt the
//!   tenant in to one profile (or out, with `null`), and may have findings at or above a
//!   severity sent on their own when an audit succeeds.
//! - `POST /api/v1/findings/{id}/suggestions`: auditors ask for a suggestion (202; one
//!   already waiting is returned instead of a second).
//! - `GET /api/v1/findings/{id}/suggestions`: the finding's suggestions, newest first.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::analyzer::SEVERITIES;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, Principal};
use crate::state::AppState;
use crate::suggestions::{self, Unavailable};
use crate::timestamp::now_ms;

async fn tenant_settings(state: &AppState, tenant_id: &str) -> ApiResult<Value> {
    let policy = state.store.assistant_policy(tenant_id).await?;
    let offered = suggestions::plan_profiles(state, tenant_id).await;
    let profiles: Vec<Value> = offered
        .iter()
        .filter_map(|name| {
            let settings = state.settings.assistants.get(name)?;
            Some(json!({
                "name": name,
                "kind": settings.provider.kind,
                "model": settings.provider.model,
                "enabled": settings.enabled,
                "daily_token_budget": settings.daily_token_budget,
            }))
        })
        .collect();
    let usable = match &policy.profile {
        Some(name) => suggestions::check_profile(state, tenant_id, name)
            .await
            .err()
            .map(|Unavailable(why)| why),
        None => None,
    };
    Ok(json!({
        "tenant_id": tenant_id,
        "profile": policy.profile,
        "auto_severity": policy.auto_severity,
        "profiles": profiles,
        "tokens_used_today": suggestions::tokens_used_today(state, tenant_id).await?,
        "unavailable": usable,
    }))
}

pub(crate) async fn get_settings(
    State(state): State<Arc<AppState>>,
    principal: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    super::tenant_in_reach(&state, &principal, &id).await?;
    Ok(Json(tenant_settings(&state, &id).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Settings {
    profile: Option<String>,
    #[serde(default)]
    auto_severity: Option<String>,
}

pub(crate) async fn put_settings(
    State(state): State<Arc<AppState>>,
    principal: Principal,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<Settings>,
) -> ApiResult<Json<Value>> {
    state
        .require(
            &principal,
            "tenant.manage",
            "change the tenant's assistant settings",
        )
        .await?;
    super::tenant_in_reach(&state, &principal, &id).await?;
    let invalid =
        |detail: String| ApiError::unprocessable("invalid-request", "Invalid request", detail);
    if let Some(name) = &body.profile {
        suggestions::check_profile(&state, &id, name)
            .await
            .map_err(|Unavailable(why)| invalid(why))?;
    }
    if let Some(severity) = &body.auto_severity {
        if !SEVERITIES.contains(&severity.as_str()) {
            return Err(invalid(format!(
                "auto_severity must be one of {}",
                SEVERITIES.join(", ")
            )));
        }
        if body.profile.is_none() {
            return Err(invalid("auto_severity needs a profile".into()));
        }
    }
    let policy = store::AssistantPolicy {
        profile: body.profile,
        auto_severity: body.auto_severity,
    };
    state
        .store
        .set_assistant_policy(&id, &policy, now_ms())
        .await?;
    state
        .record(
            Some(&id),
            &principal.actor,
            "tenant.assistant",
            Some(&id),
            "success",
            json!({ "profile": policy.profile, "auto_severity": policy.auto_severity }),
        )
        .await?;
    Ok(Json(tenant_settings(&state, &id).await?))
}

/// Queues a suggestion on the finding for the principal (auditors and admins), when the
/// tenant opted in; records the request in the trail. The dashboard shares it.
pub(crate) async fn ask(
    state: &AppState,
    principal: &Principal,
    finding_id: &str,
) -> ApiResult<(store::Suggestion, bool)> {
    state
        .require(principal, "assistant.use", "ask the assistant")
        .await?;
    let finding = super::finding_of(state, principal, finding_id).await?;
    let (profile, _) = suggestions::tenant_profile(state, &principal.tenant_id)
        .await
        .map_err(|Unavailable(why)| {
            ApiError::new(
                StatusCode::CONFLICT,
                "assistant-unavailable",
                "Assistant unavailable",
                why,
            )
        })?;
    let (suggestion, created) =
        suggestions::request(state, &finding, &profile, &principal.actor).await?;
    if created {
        state
            .record(
                Some(&principal.tenant_id),
                &principal.actor,
                "assistant.requested",
                Some(&finding.id),
                "success",
                json!({ "suggestion_id": suggestion.id, "profile": profile }),
            )
            .await?;
    }
    Ok((suggestion, created))
}

pub(crate) async fn request(
    State(state): State<Arc<AppState>>,
    principal: Principal,
    Path(id): Path<String>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let (suggestion, _) = ask(&state, &principal, &id).await?;
    Ok((StatusCode::ACCEPTED, Json(suggestions::view(&suggestion))))
}

pub(crate) async fn list(
    State(state): State<Arc<AppState>>,
    principal: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let finding = super::finding_of(&state, &principal, &id).await?;
    let items: Vec<Value> = state
        .store
        .finding_suggestions(&principal.tenant_id, &finding.id)
        .await?
        .iter()
        .map(suggestions::view)
        .collect();
    Ok(Json(json!({ "items": items })))
}
