//! Handlers per resource, and the JSON views they answer with.

pub(crate) mod admin;
pub(crate) mod alerts;
pub(crate) mod audits;
pub(crate) mod auth;
pub(crate) mod findings;
pub(crate) mod health;
pub(crate) mod incidents;
pub(crate) mod monitors;
pub(crate) mod openapi;
pub(crate) mod roles;
pub(crate) mod second_factor;
pub(crate) mod suggestions;
pub(crate) mod webhooks;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use crate::error::{ApiError, ApiResult};
use crate::extract::Principal;
use crate::state::AppState;
use crate::timestamp::rfc3339;

pub(crate) const DEFAULT_PAGE: i64 = 50;
pub(crate) const MAX_PAGE: i64 = 200;

pub(crate) fn page_limit(limit: Option<i64>) -> Result<i64, ApiError> {
    match limit {
        None => Ok(DEFAULT_PAGE),
        Some(n) if (1..=MAX_PAGE).contains(&n) => Ok(n),
        Some(n) => Err(ApiError::bad_request(
            "invalid-parameter",
            "Invalid query parameter",
            format!("limit {n} is outside 1..={MAX_PAGE}"),
        )),
    }
}

pub(crate) fn encode_cursor(value: &str) -> String {
    URL_SAFE_NO_PAD.encode(value.as_bytes())
}

pub(crate) fn decode_cursor(cursor: &str) -> Result<String, ApiError> {
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| {
            ApiError::bad_request(
                "invalid-cursor",
                "Invalid cursor",
                "the cursor was not issued by this API",
            )
        })
}

fn time(ms: Option<i64>) -> Value {
    ms.map_or(Value::Null, |ms| Value::String(rfc3339(ms)))
}

pub(crate) fn audit_view(audit: &store::Audit) -> Value {
    let duration_ms = match (audit.started_at, audit.finished_at) {
        (Some(s), Some(f)) => json!(f - s),
        _ => Value::Null,
    };
    json!({
        "id": audit.id,
        "status": audit.status,
        "created_at": time(Some(audit.created_at)),
        "started_at": time(audit.started_at),
        "finished_at": time(audit.finished_at),
        "duration_ms": duration_ms,
        "error": audit.error,
        "counts": audit.counts,
        "finding_count": audit.counts.as_ref().map(|c| c.values().sum::<i64>()),
        "file_count": audit.file_count,
        "source_bytes": audit.source_bytes,
        "options": audit.options,
        "timeout_secs": audit.timeout_secs,
        "from_cache": audit.from_cache,
        "attempts": audit.attempts,
        "created_by": audit.created_by,
        "project": audit.project,
        "target": audit.target,
    })
}

pub(crate) fn finding_view(f: &store::Finding) -> Value {
    json!({
        "id": f.id,
        "audit_id": f.audit_id,
        "detector": f.data.detector,
        "title": f.data.title,
        "severity": f.data.severity,
        "confidence": f.data.confidence,
        "file": f.data.file,
        "start_line": f.data.start_line,
        "end_line": f.data.end_line,
        "message": f.data.message,
        "fingerprint": f.data.fingerprint,
        "category": f.data.category,
        "swc": f.data.swc,
        "triage_state": f.triage_state,
    })
}

pub(crate) fn triage_event_view(e: &store::TriageEvent) -> Value {
    json!({
        "id": e.id,
        "finding_id": e.finding_id,
        "from_state": e.from_state,
        "to_state": e.to_state,
        "comment": e.comment,
        "actor": e.actor,
        "created_at": rfc3339(e.created_at),
    })
}

pub(crate) fn tenant_view(t: &store::Tenant) -> Value {
    json!({ "id": t.id, "name": t.name, "plan": t.plan, "is_operator": t.is_operator, "created_at": rfc3339(t.created_at) })
}

pub(crate) fn user_view(u: &store::User) -> Value {
    json!({
        "id": u.id, "tenant_id": u.tenant_id, "email": u.email, "role": u.role,
        "disabled": u.disabled, "created_at": rfc3339(u.created_at),
    })
}

pub(crate) fn api_key_view(k: &store::ApiKey) -> Value {
    json!({
        "id": k.id, "tenant_id": k.tenant_id, "user_id": k.user_id, "name": k.name, "role": k.role,
        "prefix": format!("{}{}", crate::auth::API_KEY_PREFIX, k.prefix),
        "created_at": rfc3339(k.created_at), "revoked_at": time(k.revoked_at),
        "expires_at": time(k.expires_at), "last_used_at": time(k.last_used_at),
        "scopes": k.scopes,
    })
}

pub(crate) fn audit_event_view(e: &store::AuditEvent) -> Value {
    json!({
        "seq": e.seq,
        "ts": rfc3339(e.event.ts),
        "tenant_id": e.event.tenant_id,
        "actor": e.event.actor,
        "action": e.event.action,
        "target": e.event.target,
        "outcome": e.event.outcome,
        "detail": e.event.detail,
        "hash": e.hash,
    })
}

/// The principal's tenant's finding `id`, or 404.
pub(crate) async fn finding_of(
    state: &AppState,
    principal: &Principal,
    id: &str,
) -> ApiResult<store::Finding> {
    state
        .store
        .get_finding(&principal.tenant_id, id)
        .await?
        .ok_or_else(|| ApiError::not_found("finding"))
}

/// The tenant `id` when the principal may manage it: its own, or any from the operator
/// tenant; any other is not found.
pub(crate) async fn tenant_in_reach(
    state: &AppState,
    principal: &Principal,
    id: &str,
) -> ApiResult<store::Tenant> {
    if id != principal.tenant_id {
        let operator = state
            .store
            .get_tenant(&principal.tenant_id)
            .await?
            .is_some_and(|t| t.is_operator);
        if !operator {
            return Err(ApiError::not_found("tenant"));
        }
    }
    state
        .store
        .get_tenant(id)
        .await?
        .ok_or_else(|| ApiError::not_found("tenant"))
}

pub(crate) fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}
