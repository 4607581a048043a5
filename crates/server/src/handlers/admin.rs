//! Administration: tenants, users, API keys, the audit log. Admin role only; tenants
//! other than one's own are visible to admins of the operator tenant alone.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{api_key_view, audit_event_view, new_id, page_limit, tenant_view, user_view};
use crate::auth::{self, Role};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiQuery, Principal};
use crate::state::AppState;
use crate::timestamp::now_ms;

async fn is_operator(state: &AppState, principal: &Principal) -> ApiResult<bool> {
    Ok(state
        .store
        .get_tenant(&principal.tenant_id)
        .await?
        .is_some_and(|t| t.is_operator))
}

/// The tenant an admin acts on: its own, or (operator admins only) the one named.
async fn target_tenant(
    state: &AppState,
    principal: &Principal,
    requested: Option<String>,
) -> ApiResult<String> {
    match requested {
        None => Ok(principal.tenant_id.clone()),
        Some(id) if id == principal.tenant_id => Ok(id),
        Some(id) => {
            if is_operator(state, principal).await? && state.store.get_tenant(&id).await?.is_some()
            {
                Ok(id)
            } else {
                Err(ApiError::not_found("tenant"))
            }
        }
    }
}

pub(crate) async fn me(
    State(state): State<Arc<AppState>>,
    principal: Principal,
) -> ApiResult<Json<Value>> {
    let tenant = state
        .store
        .get_tenant(&principal.tenant_id)
        .await?
        .ok_or_else(|| ApiError::not_found("tenant"))?;
    let second_factor = super::second_factor::status(&state, &principal).await?;
    Ok(Json(json!({
        "actor": principal.actor, "role": principal.role, "user_id": principal.user_id, "tenant": tenant_view(&tenant),
        "second_factor": second_factor,
    })))
}

pub(crate) async fn list_tenants(
    State(state): State<Arc<AppState>>,
    principal: Principal,
) -> ApiResult<Json<Value>> {
    state
        .require(&principal, Role::Admin, "list tenants")
        .await?;
    let tenants = if is_operator(&state, &principal).await? {
        state.store.list_tenants().await?
    } else {
        state
            .store
            .get_tenant(&principal.tenant_id)
            .await?
            .into_iter()
            .collect()
    };
    Ok(Json(
        json!({ "items": tenants.iter().map(tenant_view).collect::<Vec<_>>(), "next_cursor": null }),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewTenant {
    name: String,
    plan: Option<String>,
}

fn check_plan(state: &AppState, plan: &str) -> ApiResult<()> {
    if state.settings.plans.contains_key(plan) {
        Ok(())
    } else {
        Err(ApiError::unprocessable(
            "invalid-request",
            "Invalid request",
            format!("plan `{}` is not configured", plan.escape_debug()),
        ))
    }
}

pub(crate) async fn create_tenant(
    State(state): State<Arc<AppState>>,
    principal: Principal,
    ApiJson(body): ApiJson<NewTenant>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    state
        .require(&principal, Role::Admin, "create tenants")
        .await?;
    if !is_operator(&state, &principal).await? {
        return Err(ApiError::forbidden(
            "only admins of the operator tenant create tenants",
        ));
    }
    let name = body.name.trim().to_string();
    if name.is_empty() || name.len() > 100 {
        return Err(ApiError::unprocessable(
            "invalid-request",
            "Invalid request",
            "name must be 1 to 100 characters",
        ));
    }
    let plan = body
        .plan
        .unwrap_or_else(|| state.settings.default_plan.clone());
    check_plan(&state, &plan)?;
    let tenant = store::Tenant {
        id: new_id(),
        name,
        plan,
        is_operator: false,
        created_at: now_ms(),
    };
    state.store.create_tenant(&tenant).await?;
    state
        .record(
            Some(&principal.tenant_id),
            &principal.actor,
            "tenant.created",
            Some(&tenant.id),
            "success",
            json!({ "name": tenant.name, "plan": tenant.plan }),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(tenant_view(&tenant))))
}

pub(crate) async fn get_tenant(
    State(state): State<Arc<AppState>>,
    principal: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    state
        .require(&principal, Role::Admin, "read tenants")
        .await?;
    let id = target_tenant(&state, &principal, Some(id)).await?;
    let tenant = state
        .store
        .get_tenant(&id)
        .await?
        .ok_or_else(|| ApiError::not_found("tenant"))?;
    Ok(Json(tenant_view(&tenant)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TenantUpdate {
    plan: String,
}

pub(crate) async fn update_tenant(
    State(state): State<Arc<AppState>>,
    principal: Principal,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<TenantUpdate>,
) -> ApiResult<Json<Value>> {
    state
        .require(&principal, Role::Admin, "change tenants")
        .await?;
    if !is_operator(&state, &principal).await? {
        return Err(ApiError::forbidden(
            "only admins of the operator tenant change plans",
        ));
    }
    check_plan(&state, &body.plan)?;
    let tenant = state
        .store
        .update_tenant_plan(&id, &body.plan)
        .await?
        .ok_or_else(|| ApiError::not_found("tenant"))?;
    state
        .record(
            Some(&principal.tenant_id),
            &principal.actor,
            "tenant.updated",
            Some(&id),
            "success",
            json!({ "plan": body.plan }),
        )
        .await?;
    Ok(Json(tenant_view(&tenant)))
}

pub(crate) async fn list_users(
    State(state): State<Arc<AppState>>,
    principal: Principal,
) -> ApiResult<Json<Value>> {
    state.require(&principal, Role::Admin, "list users").await?;
    let users = state.store.list_users(&principal.tenant_id).await?;
    Ok(Json(
        json!({ "items": users.iter().map(user_view).collect::<Vec<_>>(), "next_cursor": null }),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewUser {
    email: String,
    password: String,
    role: String,
    tenant_id: Option<String>,
}

fn parse_role(role: &str) -> ApiResult<Role> {
    Role::parse(role).ok_or_else(|| {
        ApiError::unprocessable(
            "invalid-request",
            "Invalid request",
            "role must be admin, auditor or viewer",
        )
    })
}

pub(crate) async fn create_user(
    State(state): State<Arc<AppState>>,
    principal: Principal,
    ApiJson(body): ApiJson<NewUser>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    state
        .require(&principal, Role::Admin, "create users")
        .await?;
    let tenant_id = target_tenant(&state, &principal, body.tenant_id).await?;
    let role = parse_role(&body.role)?;
    let email = body.email.trim().to_ascii_lowercase();
    if !email.contains('@') || email.len() > 254 {
        return Err(ApiError::unprocessable(
            "invalid-request",
            "Invalid request",
            "email is not an address",
        ));
    }
    if body.password.len() < 12 {
        return Err(ApiError::unprocessable(
            "invalid-request",
            "Invalid request",
            "password must be at least 12 characters",
        ));
    }
    let password = body.password;
    let hash = tokio::task::spawn_blocking(move || auth::hash_password(&password))
        .await
        .map_err(ApiError::internal)?;
    let user = store::User {
        id: new_id(),
        tenant_id,
        email,
        password_hash: hash,
        role: role.as_str().into(),
        disabled: false,
        created_at: now_ms(),
    };
    state.store.create_user(&user).await?;
    state
        .record(
            Some(&user.tenant_id),
            &principal.actor,
            "user.created",
            Some(&user.id),
            "success",
            json!({ "email": user.email, "role": user.role }),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(user_view(&user))))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct UserPatch {
    role: Option<String>,
    disabled: Option<bool>,
    password: Option<String>,
}

pub(crate) async fn update_user(
    State(state): State<Arc<AppState>>,
    principal: Principal,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<UserPatch>,
) -> ApiResult<Json<Value>> {
    state
        .require(&principal, Role::Admin, "change users")
        .await?;
    let role = body.role.as_deref().map(parse_role).transpose()?;
    let password_hash = match body.password {
        Some(p) if p.len() < 12 => {
            return Err(ApiError::unprocessable(
                "invalid-request",
                "Invalid request",
                "password must be at least 12 characters",
            ));
        }
        Some(p) => Some(
            tokio::task::spawn_blocking(move || auth::hash_password(&p))
                .await
                .map_err(ApiError::internal)?,
        ),
        None => None,
    };
    let update = store::UserUpdate {
        role: role.map(|r| r.as_str().to_string()),
        disabled: body.disabled,
        password_hash,
    };
    let changed_password = update.password_hash.is_some();
    let user = state
        .store
        .update_user(&principal.tenant_id, &id, &update)
        .await?
        .ok_or_else(|| ApiError::not_found("user"))?;
    state
        .record(
            Some(&principal.tenant_id),
            &principal.actor,
            "user.updated",
            Some(&id),
            "success",
            json!({ "role": update.role, "disabled": update.disabled, "password_changed": changed_password }),
        )
        .await?;
    Ok(Json(user_view(&user)))
}

pub(crate) async fn list_api_keys(
    State(state): State<Arc<AppState>>,
    principal: Principal,
) -> ApiResult<Json<Value>> {
    state
        .require(&principal, Role::Admin, "list API keys")
        .await?;
    let keys = state.store.list_api_keys(&principal.tenant_id).await?;
    Ok(Json(
        json!({ "items": keys.iter().map(api_key_view).collect::<Vec<_>>(), "next_cursor": null }),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewApiKey {
    name: String,
    role: String,
    tenant_id: Option<String>,
}

pub(crate) async fn create_api_key(
    State(state): State<Arc<AppState>>,
    principal: Principal,
    ApiJson(body): ApiJson<NewApiKey>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    state
        .require(&principal, Role::Admin, "create API keys")
        .await?;
    let tenant_id = target_tenant(&state, &principal, body.tenant_id).await?;
    let role = parse_role(&body.role)?;
    if body.name.trim().is_empty() || body.name.len() > 100 {
        return Err(ApiError::unprocessable(
            "invalid-request",
            "Invalid request",
            "name must be 1 to 100 characters",
        ));
    }
    let generated = auth::generate_api_key();
    let key = store::ApiKey {
        id: new_id(),
        tenant_id: tenant_id.clone(),
        user_id: if tenant_id == principal.tenant_id {
            principal.user_id.clone()
        } else {
            None
        },
        name: body.name.trim().to_string(),
        role: role.as_str().into(),
        prefix: generated.prefix.clone(),
        secret_hash: generated.secret_hash.clone(),
        created_at: now_ms(),
        revoked_at: None,
    };
    state.store.create_api_key(&key).await?;
    state
        .record(
            Some(&key.tenant_id),
            &principal.actor,
            "api_key.created",
            Some(&key.id),
            "success",
            json!({ "name": key.name, "role": key.role }),
        )
        .await?;
    let mut view = api_key_view(&key);
    view["api_key"] = Value::String(generated.full);
    Ok((StatusCode::CREATED, Json(view)))
}

pub(crate) async fn revoke_api_key(
    State(state): State<Arc<AppState>>,
    principal: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    state
        .require(&principal, Role::Admin, "revoke API keys")
        .await?;
    let key = state
        .store
        .revoke_api_key(&principal.tenant_id, &id, now_ms())
        .await?
        .ok_or_else(|| ApiError::not_found("API key"))?;
    state
        .record(
            Some(&principal.tenant_id),
            &principal.actor,
            "api_key.revoked",
            Some(&id),
            "success",
            json!({ "name": key.name }),
        )
        .await?;
    Ok(Json(api_key_view(&key)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AuditLogQuery {
    action: Option<String>,
    actor: Option<String>,
    since: Option<i64>,
    tenant_id: Option<String>,
    limit: Option<i64>,
    cursor: Option<String>,
}

pub(crate) async fn audit_log(
    State(state): State<Arc<AppState>>,
    principal: Principal,
    ApiQuery(query): ApiQuery<AuditLogQuery>,
) -> ApiResult<Json<Value>> {
    state
        .require(&principal, Role::Admin, "read the audit log")
        .await?;
    let tenant_id = target_tenant(&state, &principal, query.tenant_id).await?;
    let limit = page_limit(query.limit)?;
    let before_seq = match query.cursor {
        Some(c) => Some(super::decode_cursor(&c)?.parse::<i64>().map_err(|_| {
            ApiError::bad_request(
                "invalid-cursor",
                "Invalid cursor",
                "the cursor was not issued by this API",
            )
        })?),
        None => None,
    };
    let filter = store::AuditEventFilter {
        tenant_id: Some(tenant_id),
        action: query.action,
        actor: query.actor,
        since: query.since,
        before_seq,
        limit: limit + 1,
    };
    let mut events = state.store.list_audit_events(&filter).await?;
    let next = if events.len() as i64 > limit {
        events.truncate(limit as usize);
        events
            .last()
            .map(|e| super::encode_cursor(&e.seq.to_string()))
    } else {
        None
    };
    Ok(Json(
        json!({ "items": events.iter().map(audit_event_view).collect::<Vec<_>>(), "next_cursor": next }),
    ))
}
