//! Webhooks of the caller's tenant: create (the signing secret is shown once), list,
//! read, change, delete, send a test delivery, read the delivery log. Admin role only;
//! every change is recorded in the audit trail.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{decode_cursor, encode_cursor, new_id, page_limit};
use crate::egress::EgressPolicy;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiQuery, Principal};
use crate::notify::webhooks as notify;
use crate::state::AppState;
use crate::timestamp::{now_ms, rfc3339};

/// Webhooks one tenant may have.
const MAX_WEBHOOKS_PER_TENANT: usize = 50;
const MAX_URL_LEN: usize = 2000;
const MAX_DESCRIPTION_LEN: usize = 500;

pub(crate) fn webhook_view(w: &store::Webhook) -> Value {
    json!({
        "id": w.id,
        "url": w.url,
        "events": w.events,
        "description": w.description,
        "enabled": w.enabled,
        "disabled_reason": w.disabled_reason,
        "consecutive_failures": w.consecutive_failures,
        "created_by": w.created_by,
        "created_at": rfc3339(w.created_at),
        "updated_at": rfc3339(w.updated_at),
    })
}

pub(crate) fn delivery_view(d: &store::WebhookDelivery) -> Value {
    let payload: Value =
        serde_json::from_str(&d.payload).unwrap_or_else(|_| Value::String(d.payload.clone()));
    json!({
        "id": d.id,
        "webhook_id": d.webhook_id,
        "event": d.event,
        "status": d.status,
        "attempts": d.attempts,
        "last_status_code": d.last_status_code,
        "last_error": d.last_error,
        "created_at": rfc3339(d.created_at),
        "last_attempt_at": d.last_attempt_at.map(rfc3339),
        "next_attempt_at": d.next_attempt_at.filter(|_| d.status == store::DELIVERY_PENDING).map(rfc3339),
        "finished_at": d.finished_at.map(rfc3339),
        "duration_ms": d.duration_ms,
        "payload": payload,
    })
}

fn invalid(detail: impl Into<String>) -> ApiError {
    ApiError::unprocessable("invalid-request", "Invalid request", detail)
}

/// The events, checked and without repeats.
fn check_events(events: &[String]) -> ApiResult<Vec<String>> {
    if events.is_empty() {
        return Err(invalid("events must name at least one event"));
    }
    let mut checked: Vec<String> = Vec::new();
    for event in events {
        if !store::WEBHOOK_EVENTS.contains(&event.as_str()) {
            return Err(invalid(format!(
                "unknown event `{}`; events are {}",
                event.escape_debug(),
                store::WEBHOOK_EVENTS.join(", ")
            )));
        }
        if !checked.contains(event) {
            checked.push(event.clone());
        }
    }
    Ok(checked)
}

/// The URL, accepted by the egress policy (422 with the reason otherwise).
async fn check_url(state: &AppState, url: &str) -> ApiResult<String> {
    let url = url.trim();
    if url.is_empty() || url.len() > MAX_URL_LEN {
        return Err(invalid(format!(
            "url must be 1 to {MAX_URL_LEN} characters"
        )));
    }
    EgressPolicy::new(&state.settings.egress_allow_hosts)
        .check(url)
        .await
        .map_err(|reason| {
            ApiError::unprocessable(
                "url-not-allowed",
                "Destination not allowed",
                reason.to_string(),
            )
        })?;
    Ok(url.to_string())
}

fn check_description(description: Option<String>) -> ApiResult<Option<String>> {
    match description {
        Some(d) if d.chars().count() > MAX_DESCRIPTION_LEN => Err(invalid(format!(
            "description must be at most {MAX_DESCRIPTION_LEN} characters"
        ))),
        other => Ok(other),
    }
}

async fn find(state: &AppState, principal: &Principal, id: &str) -> ApiResult<store::Webhook> {
    state
        .store
        .get_webhook(&principal.tenant_id, id)
        .await?
        .ok_or_else(|| ApiError::not_found("webhook"))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewWebhook {
    url: String,
    events: Vec<String>,
    description: Option<String>,
}

pub(crate) async fn create(
    State(state): State<Arc<AppState>>,
    principal: Principal,
    ApiJson(body): ApiJson<NewWebhook>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    state
        .require(&principal, "webhook.manage", "create webhooks")
        .await?;
    let events = check_events(&body.events)?;
    let description = check_description(body.description)?.unwrap_or_default();
    let url = check_url(&state, &body.url).await?;
    if state.store.list_webhooks(&principal.tenant_id).await?.len() >= MAX_WEBHOOKS_PER_TENANT {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "too-many-webhooks",
            "Too many webhooks",
            format!("a tenant has at most {MAX_WEBHOOKS_PER_TENANT} webhooks; delete one first"),
        ));
    }
    let now = now_ms();
    let webhook = store::Webhook {
        id: new_id(),
        tenant_id: principal.tenant_id.clone(),
        url,
        secret: notify::new_secret(),
        events,
        description,
        enabled: true,
        disabled_reason: None,
        consecutive_failures: 0,
        created_by: principal.actor.clone(),
        created_at: now,
        updated_at: now,
    };
    state.store.create_webhook(&webhook).await?;
    state
        .record(
            Some(&principal.tenant_id),
            &principal.actor,
            "webhook.created",
            Some(&webhook.id),
            "success",
            json!({ "url": webhook.url, "events": webhook.events }),
        )
        .await?;
    let mut view = webhook_view(&webhook);
    view["secret"] = json!(webhook.secret);
    Ok((StatusCode::CREATED, Json(view)))
}

pub(crate) async fn list(
    State(state): State<Arc<AppState>>,
    principal: Principal,
) -> ApiResult<Json<Value>> {
    state
        .require(&principal, "webhook.manage", "list webhooks")
        .await?;
    let hooks = state.store.list_webhooks(&principal.tenant_id).await?;
    Ok(Json(
        json!({ "items": hooks.iter().map(webhook_view).collect::<Vec<_>>(), "next_cursor": null }),
    ))
}

pub(crate) async fn get(
    State(state): State<Arc<AppState>>,
    principal: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    state
        .require(&principal, "webhook.manage", "read webhooks")
        .await?;
    Ok(Json(webhook_view(&find(&state, &principal, &id).await?)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct WebhookChange {
    url: Option<String>,
    events: Option<Vec<String>>,
    description: Option<String>,
    enabled: Option<bool>,
}

pub(crate) async fn update(
    State(state): State<Arc<AppState>>,
    principal: Principal,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<WebhookChange>,
) -> ApiResult<Json<Value>> {
    state
        .require(&principal, "webhook.manage", "change webhooks")
        .await?;
    find(&state, &principal, &id).await?;
    let events = body.events.as_deref().map(check_events).transpose()?;
    let description = check_description(body.description)?;
    let url = match &body.url {
        Some(url) => Some(check_url(&state, url).await?),
        None => None,
    };
    let update = store::WebhookUpdate {
        url,
        events,
        description,
        enabled: body.enabled,
        disabled_reason: (body.enabled == Some(false))
            .then(|| format!("disabled by {}", principal.actor)),
        updated_at: now_ms(),
    };
    let webhook = state
        .store
        .update_webhook(&principal.tenant_id, &id, &update)
        .await?
        .ok_or_else(|| ApiError::not_found("webhook"))?;
    state
        .record(
            Some(&principal.tenant_id),
            &principal.actor,
            "webhook.updated",
            Some(&id),
            "success",
            json!({ "url": update.url, "events": update.events, "enabled": update.enabled,
                    "description_changed": update.description.is_some() }),
        )
        .await?;
    Ok(Json(webhook_view(&webhook)))
}

pub(crate) async fn delete(
    State(state): State<Arc<AppState>>,
    principal: Principal,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    state
        .require(&principal, "webhook.manage", "delete webhooks")
        .await?;
    if !state
        .store
        .delete_webhook(&principal.tenant_id, &id)
        .await?
    {
        return Err(ApiError::not_found("webhook"));
    }
    state
        .record(
            Some(&principal.tenant_id),
            &principal.actor,
            "webhook.deleted",
            Some(&id),
            "success",
            json!({}),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Sends a `ping` delivery at once and answers with its first attempt. A retryable
/// failure stays queued and is retried like any delivery.
pub(crate) async fn test(
    State(state): State<Arc<AppState>>,
    principal: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    state
        .require(&principal, "webhook.manage", "test webhooks")
        .await?;
    let webhook = find(&state, &principal, &id).await?;
    let new = store::NewWebhookDelivery {
        id: new_id(),
        webhook_id: webhook.id.clone(),
        tenant_id: webhook.tenant_id.clone(),
        event: notify::PING.into(),
        payload: notify::ping_payload(&webhook.tenant_id, &webhook.id),
        created_at: now_ms(),
        lease: Some((state.owner.clone(), notify::lease_until(&state))),
    };
    state
        .store
        .insert_webhook_deliveries(std::slice::from_ref(&new))
        .await?;
    let claimed = store::ClaimedDelivery {
        delivery: store::WebhookDelivery {
            id: new.id.clone(),
            webhook_id: new.webhook_id,
            tenant_id: new.tenant_id,
            event: new.event,
            payload: new.payload,
            status: store::DELIVERY_PENDING.into(),
            attempts: 0,
            next_attempt_at: Some(new.created_at),
            last_status_code: None,
            last_error: None,
            last_attempt_at: None,
            duration_ms: None,
            created_at: new.created_at,
            finished_at: None,
        },
        url: webhook.url,
        secret: webhook.secret,
    };
    let delivery = notify::deliver(&state, &claimed)
        .await?
        .ok_or_else(|| ApiError::internal("the test delivery lost its lease"))?;
    Ok(Json(delivery_view(&delivery)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DeliveryQuery {
    status: Option<String>,
    limit: Option<i64>,
    cursor: Option<String>,
}

pub(crate) async fn deliveries(
    State(state): State<Arc<AppState>>,
    principal: Principal,
    Path(id): Path<String>,
    ApiQuery(query): ApiQuery<DeliveryQuery>,
) -> ApiResult<Json<Value>> {
    state
        .require(&principal, "webhook.manage", "read webhook deliveries")
        .await?;
    find(&state, &principal, &id).await?;
    let limit = page_limit(query.limit)?;
    if let Some(status) = &query.status
        && ![
            store::DELIVERY_PENDING,
            store::DELIVERY_SUCCEEDED,
            store::DELIVERY_FAILED,
            store::DELIVERY_REFUSED,
        ]
        .contains(&status.as_str())
    {
        return Err(ApiError::bad_request(
            "invalid-parameter",
            "Invalid query parameter",
            format!(
                "status `{}` is not one of pending, succeeded, failed, refused",
                status.escape_debug()
            ),
        ));
    }
    let filter = store::DeliveryFilter {
        before_id: query.cursor.as_deref().map(decode_cursor).transpose()?,
        status: query.status,
        limit: limit + 1,
    };
    let mut items = state
        .store
        .list_webhook_deliveries(&principal.tenant_id, &id, &filter)
        .await?;
    let next = if items.len() as i64 > limit {
        items.truncate(limit as usize);
        items.last().map(|d| encode_cursor(&d.id))
    } else {
        None
    };
    Ok(Json(
        json!({ "items": items.iter().map(delivery_view).collect::<Vec<_>>(), "next_cursor": next }),
    ))
}
