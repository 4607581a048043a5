//! On-chain monitors of the caller's tenant: create, list, read, change, delete, and the
//! events their rules fired. Viewers read; admins manage. Every change is recorded in
//! the audit trail.
//!
//! A monitor's `config` is a monitor file holding exactly one `[[monitors]]` entry (plus
//! optional `[lists]`), checked by [`monitor::load`] without a base directory (so ABI
//! files cannot be named; inline ABIs and signatures can). The monitor's `name` must be
//! the name the config gives it (alerts are named after it), a `tenant` key, when
//! present, must name the caller's tenant (id or name), and every `rpc` endpoint must
//! pass the egress policy, as the service checks them before following the chain.
//!
//! Only admins read a config as stored: others get it with its RPC endpoints redacted,
//! since those often carry a provider's API key.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{new_id, page_limit};
use crate::egress::EgressPolicy;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiQuery, Principal};
use crate::state::AppState;
use crate::timestamp::{now_ms, rfc3339};

/// Longest monitor name, in characters.
pub(crate) const MAX_NAME_LEN: usize = 100;
/// Largest monitor config, in bytes (inline ABIs can be long).
pub(crate) const MAX_CONFIG_BYTES: usize = 256 * 1024;
/// Monitors one tenant may have.
const MAX_MONITORS_PER_TENANT: usize = 100;

/// What a stored config says at a glance: its monitor's name, chain and rule names. `None` when the text
/// no longer parses (the loader may have become stricter since it was stored).
pub(crate) struct ConfigSummary {
    pub name: String,
    pub chain_id: u64,
    pub rules: Vec<String>,
    pub contracts: usize,
}

pub(crate) fn summary(config: &str) -> Option<ConfigSummary> {
    let file = monitor::config::MonitorFile::parse(config).ok()?;
    let spec = file.monitors.first()?;
    Some(ConfigSummary {
        name: spec.name.clone(),
        chain_id: spec.chain_id,
        rules: spec.rules.iter().map(|r| r.name.clone()).collect(),
        contracts: spec.contracts.len(),
    })
}

/// The config as a caller who does not manage monitors may read it: every RPC endpoint
/// redacted as the service names it in messages (keys in paths and queries, user
/// information). `None` when that cannot be done safely (the text no longer parses, or an
/// endpoint is not written literally in it).
fn redacted_config(config: &str) -> Option<String> {
    let file = monitor::config::MonitorFile::parse(config).ok()?;
    let mut text = config.to_string();
    for url in file.monitors.iter().flat_map(|m| &m.rpc) {
        let redacted = chain::redact_url(url);
        if redacted != *url {
            if !text.contains(url.as_str()) {
                return None;
            }
            text = text.replace(url.as_str(), &redacted);
        }
    }
    Some(text)
}

/// A monitor as answered to a caller; `full` (admins) shows the config as stored, else
/// its RPC endpoints are redacted (they often carry a provider's API key).
pub(crate) fn monitor_view(m: &store::StoredMonitor, full: bool) -> Value {
    let summary = summary(&m.config);
    let config = if full {
        Some(m.config.clone())
    } else {
        redacted_config(&m.config)
    };
    json!({
        "id": m.id,
        "name": m.name,
        "enabled": m.enabled,
        "config": config,
        "config_redacted": !full,
        "chain_id": summary.as_ref().map(|s| s.chain_id),
        "rules": summary.as_ref().map(|s| s.rules.clone()),
        "created_by": m.created_by,
        "created_at": rfc3339(m.created_at),
        "updated_at": rfc3339(m.updated_at),
    })
}

pub(crate) fn event_view(e: &store::MonitorEvent) -> Value {
    json!({
        "id": e.id,
        "monitor_id": e.monitor_key,
        "rule": e.rule,
        "level": e.level,
        "chain_id": e.chain_id,
        "block_number": e.block_number,
        "block_hash": e.block_hash,
        "tx_hash": e.tx_hash,
        "tx_index": (e.tx_index >= 0).then_some(e.tx_index),
        "log_index": (e.log_index >= 0).then_some(e.log_index),
        "alert_id": e.alert_id,
        "incident_id": e.incident_id,
        "detail": e.detail,
        "created_at": rfc3339(e.created_at),
    })
}

fn invalid(detail: impl Into<String>) -> ApiError {
    ApiError::unprocessable("invalid-request", "Invalid request", detail)
}

fn check_name(name: &str) -> ApiResult<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_LEN {
        return Err(invalid(format!(
            "name must be 1 to {MAX_NAME_LEN} characters"
        )));
    }
    if name.chars().any(char::is_control) {
        return Err(invalid("name must not contain control characters"));
    }
    Ok(name.to_string())
}

/// Checks a monitor config sent for `tenant` and answers the one monitor it defines. A
/// config the loader refuses is a 422 `invalid-monitor-config` whose detail is the
/// loader's message (with its line and column, or the place of the mistake). Its `tenant`
/// key, when present, must name the caller's tenant (by id or name, as in the operator's
/// monitor file).
pub(crate) fn check_config(
    config: &str,
    tenant: &store::Tenant,
) -> ApiResult<monitor::config::MonitorSpec> {
    let refused = |detail: String| {
        ApiError::unprocessable("invalid-monitor-config", "Invalid monitor config", detail)
    };
    if config.len() > MAX_CONFIG_BYTES {
        return Err(refused(format!(
            "config must be at most {MAX_CONFIG_BYTES} bytes"
        )));
    }
    let file = monitor::load(config, None).map_err(|e| refused(e.to_string()))?;
    let count = file.monitors.len();
    let Ok([spec]) = <[monitor::config::MonitorSpec; 1]>::try_from(file.monitors) else {
        return Err(refused(format!(
            "config must define exactly one [[monitors]] entry; it defines {count}"
        )));
    };
    if let Some(named) = &spec.tenant
        && *named != tenant.id
        && *named != tenant.name
    {
        return Err(refused(format!(
            "monitors[{}].tenant: `{}` is not this credential's tenant; leave `tenant` out or set it to `{}`",
            spec.name,
            named.escape_debug(),
            tenant.id
        )));
    }
    if spec.rpc.is_empty() {
        return Err(refused(format!(
            "monitors[{}].rpc: the service needs at least one JSON-RPC endpoint to follow the chain",
            spec.name
        )));
    }
    Ok(spec)
}

/// Every RPC endpoint of a monitor must pass the egress policy, as the service checks it
/// before following the chain (422 `url-not-allowed` with the reason otherwise).
async fn check_endpoints(state: &AppState, spec: &monitor::config::MonitorSpec) -> ApiResult<()> {
    let policy = EgressPolicy::new(&state.settings.egress_allow_hosts);
    for (index, url) in spec.rpc.iter().enumerate() {
        policy.check(url).await.map_err(|reason| {
            ApiError::unprocessable(
                "url-not-allowed",
                "Destination not allowed",
                format!("monitors[{}].rpc[{index}]: {reason}", spec.name),
            )
        })?;
    }
    Ok(())
}

async fn tenant_of(state: &AppState, principal: &Principal) -> ApiResult<store::Tenant> {
    state
        .store
        .get_tenant(&principal.tenant_id)
        .await?
        .ok_or_else(|| ApiError::internal("the tenant of a credential is missing"))
}

/// The monitor's name and the name its config gives it must be the same.
fn check_agreement(name: &str, config_name: &str) -> ApiResult<()> {
    if name == config_name {
        return Ok(());
    }
    Err(ApiError::unprocessable(
        "invalid-monitor-config",
        "Invalid monitor config",
        format!(
            "the monitor is named `{}` but its config names it `{}`; use one name for both",
            name.escape_debug(),
            config_name.escape_debug()
        ),
    ))
}

fn name_taken(name: &str) -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "conflict",
        "Conflict",
        format!("a monitor named `{}` already exists", name.escape_debug()),
    )
}

async fn find(
    state: &AppState,
    principal: &Principal,
    id: &str,
) -> ApiResult<store::StoredMonitor> {
    state
        .store
        .get_monitor(&principal.tenant_id, id)
        .await?
        .ok_or_else(|| ApiError::not_found("monitor"))
}

/// Whether another monitor of the tenant (not `except`) is named `name`.
async fn name_in_use(
    state: &AppState,
    tenant_id: &str,
    name: &str,
    except: Option<&str>,
) -> ApiResult<bool> {
    Ok(state
        .store
        .list_monitors(tenant_id)
        .await?
        .iter()
        .any(|m| m.name == name && Some(m.id.as_str()) != except))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewMonitor {
    name: String,
    config: String,
    enabled: Option<bool>,
}

pub(crate) async fn create(
    State(state): State<Arc<AppState>>,
    principal: Principal,
    ApiJson(body): ApiJson<NewMonitor>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    state
        .require(&principal, "monitor.manage", "create monitors")
        .await?;
    let name = check_name(&body.name)?;
    let tenant = tenant_of(&state, &principal).await?;
    let spec = check_config(&body.config, &tenant)?;
    check_agreement(&name, &spec.name)?;
    check_endpoints(&state, &spec).await?;
    let existing = state.store.list_monitors(&principal.tenant_id).await?;
    if existing.iter().any(|m| m.name == name) {
        return Err(name_taken(&name));
    }
    if existing.len() >= MAX_MONITORS_PER_TENANT {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "too-many-monitors",
            "Too many monitors",
            format!("a tenant has at most {MAX_MONITORS_PER_TENANT} monitors; delete one first"),
        ));
    }
    let now = now_ms();
    let monitor = store::StoredMonitor {
        id: new_id(),
        tenant_id: principal.tenant_id.clone(),
        name,
        config: body.config,
        enabled: body.enabled.unwrap_or(true),
        created_by: principal.actor.clone(),
        created_at: now,
        updated_at: now,
    };
    state
        .store
        .create_monitor(&monitor)
        .await
        .map_err(|e| match e {
            // Created by someone else since the check above.
            store::StoreError::Conflict(_) => name_taken(&monitor.name),
            other => other.into(),
        })?;
    state
        .record(
            Some(&principal.tenant_id),
            &principal.actor,
            "monitor.created",
            Some(&monitor.id),
            "success",
            json!({ "name": monitor.name, "enabled": monitor.enabled }),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(monitor_view(&monitor, true))))
}

pub(crate) async fn list(
    State(state): State<Arc<AppState>>,
    principal: Principal,
) -> ApiResult<Json<Value>> {
    state
        .require(&principal, "monitor.read", "list monitors")
        .await?;
    let monitors = state.store.list_monitors(&principal.tenant_id).await?;
    let full = principal.can("monitor.manage");
    Ok(Json(json!({
        "items": monitors.iter().map(|m| monitor_view(m, full)).collect::<Vec<_>>(),
        "next_cursor": null,
    })))
}

pub(crate) async fn get(
    State(state): State<Arc<AppState>>,
    principal: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    state
        .require(&principal, "monitor.read", "read monitors")
        .await?;
    let monitor = find(&state, &principal, &id).await?;
    Ok(Json(monitor_view(
        &monitor,
        principal.can("monitor.manage"),
    )))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct MonitorChange {
    name: Option<String>,
    config: Option<String>,
    enabled: Option<bool>,
}

pub(crate) async fn update(
    State(state): State<Arc<AppState>>,
    principal: Principal,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<MonitorChange>,
) -> ApiResult<Json<Value>> {
    state
        .require(&principal, "monitor.manage", "change monitors")
        .await?;
    let current = find(&state, &principal, &id).await?;
    if body.name.is_none() && body.config.is_none() && body.enabled.is_none() {
        return Err(invalid("send at least one of name, config, enabled"));
    }
    let name = body.name.as_deref().map(check_name).transpose()?;
    let config_name = match &body.config {
        Some(config) => {
            let tenant = tenant_of(&state, &principal).await?;
            let spec = check_config(config, &tenant)?;
            check_endpoints(&state, &spec).await?;
            spec.name
        }
        // The stored config, as it was accepted; only its name is needed.
        None => summary(&current.config).map_or_else(|| current.name.clone(), |s| s.name),
    };
    check_agreement(name.as_deref().unwrap_or(&current.name), &config_name)?;
    if let Some(name) = &name
        && *name != current.name
        && name_in_use(&state, &principal.tenant_id, name, Some(&id)).await?
    {
        return Err(name_taken(name));
    }
    let update = store::MonitorUpdate {
        name: name.clone(),
        config: body.config,
        enabled: body.enabled,
        now: now_ms(),
    };
    let monitor = state
        .store
        .update_monitor(&principal.tenant_id, &id, &update)
        .await
        .map_err(|e| match e {
            store::StoreError::Conflict(_) => name_taken(name.as_deref().unwrap_or_default()),
            other => other.into(),
        })?
        .ok_or_else(|| ApiError::not_found("monitor"))?;
    state
        .record(
            Some(&principal.tenant_id),
            &principal.actor,
            "monitor.updated",
            Some(&id),
            "success",
            json!({
                "name": monitor.name,
                "renamed_from": (monitor.name != current.name).then_some(&current.name),
                "config_changed": update.config.as_ref().is_some_and(|c| *c != current.config),
                "enabled": update.enabled,
            }),
        )
        .await?;
    Ok(Json(monitor_view(&monitor, true)))
}

pub(crate) async fn delete(
    State(state): State<Arc<AppState>>,
    principal: Principal,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    state
        .require(&principal, "monitor.manage", "delete monitors")
        .await?;
    let monitor = find(&state, &principal, &id).await?;
    if !state
        .store
        .delete_monitor(&principal.tenant_id, &id)
        .await?
    {
        return Err(ApiError::not_found("monitor"));
    }
    state
        .record(
            Some(&principal.tenant_id),
            &principal.actor,
            "monitor.deleted",
            Some(&id),
            "success",
            json!({ "name": monitor.name }),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct EventQuery {
    limit: Option<i64>,
}

/// The events the monitor's rules fired, newest first.
pub(crate) async fn events(
    State(state): State<Arc<AppState>>,
    principal: Principal,
    Path(id): Path<String>,
    ApiQuery(query): ApiQuery<EventQuery>,
) -> ApiResult<Json<Value>> {
    state
        .require(&principal, "monitor.read", "read monitor events")
        .await?;
    let monitor = find(&state, &principal, &id).await?;
    let limit = page_limit(query.limit)?;
    let events = state
        .store
        .list_monitor_events(&principal.tenant_id, &monitor.id, limit)
        .await?;
    Ok(Json(
        json!({ "items": events.iter().map(event_view).collect::<Vec<_>>() }),
    ))
}
