//! Administration: tenants, users, API keys, the audit log. Admin role only; tenants
//! other than one's own are visible to admins of the operator tenant alone.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{api_key_view, audit_event_view, new_id, page_limit, tenant_view, user_view};
use crate::auth;
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
        .require(&principal, "tenant.manage", "list tenants")
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
        .require(&principal, "tenant.manage", "create tenants")
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
        .require(&principal, "tenant.manage", "read tenants")
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
        .require(&principal, "tenant.manage", "change tenants")
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
    state
        .require(&principal, "user.manage", "list users")
        .await?;
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

/// `role` when it names a built-in role or one of the tenant's, and grants nothing the
/// principal lacks (nobody hands out more than they hold).
async fn grantable_role(
    state: &AppState,
    principal: &Principal,
    tenant_id: &str,
    role: &str,
) -> ApiResult<String> {
    let known = crate::permissions::builtin(role).is_some()
        || state.store.get_role(tenant_id, role).await?.is_some();
    if !known {
        return Err(ApiError::unprocessable(
            "invalid-request",
            "Invalid request",
            format!(
                "role must be admin, auditor, viewer or one of the tenant's roles (GET /api/v1/roles), not `{}`",
                role.escape_debug()
            ),
        ));
    }
    let granted = crate::extract::role_permissions(state, tenant_id, role).await?;
    if !granted.is_subset_of(principal.permissions) {
        return Err(ApiError::forbidden(format!(
            "the role `{role}` grants permissions this credential does not have"
        )));
    }
    Ok(role.to_owned())
}

pub(crate) async fn create_user(
    State(state): State<Arc<AppState>>,
    principal: Principal,
    ApiJson(body): ApiJson<NewUser>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    state
        .require(&principal, "user.manage", "create users")
        .await?;
    let tenant_id = target_tenant(&state, &principal, body.tenant_id).await?;
    let role = grantable_role(&state, &principal, &tenant_id, &body.role).await?;
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
        .require(&principal, "user.manage", "change users")
        .await?;
    let role = match body.role.as_deref() {
        Some(role) => Some(grantable_role(&state, &principal, &principal.tenant_id, role).await?),
        None => None,
    };
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
        role,
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

/// The tenant's user `id`, for a caller with `user.manage` doing `action` (refusal
/// recorded; 404 for a user of another tenant or none).
pub(crate) async fn user_to_manage(
    state: &AppState,
    principal: &Principal,
    action: &str,
    id: &str,
) -> Result<store::User, ApiError> {
    state.require(principal, "user.manage", action).await?;
    state
        .store
        .get_user(&principal.tenant_id, id)
        .await?
        .ok_or_else(|| ApiError::not_found("user"))
}

/// `DELETE /api/v1/users/{id}/sessions`: signs a user out of the dashboard everywhere.
pub(crate) async fn revoke_sessions(
    State(state): State<Arc<AppState>>,
    principal: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let user = user_to_manage(&state, &principal, "revoke sessions", &id).await?;
    let revoked = state
        .store
        .revoke_user_sessions(&user.tenant_id, &user.id, now_ms())
        .await?;
    state
        .record(
            Some(&user.tenant_id),
            &principal.actor,
            "user.sessions_revoked",
            Some(&user.id),
            "success",
            json!({ "revoked": revoked }),
        )
        .await?;
    Ok(Json(json!({ "revoked": revoked })))
}

pub(crate) async fn list_api_keys(
    State(state): State<Arc<AppState>>,
    principal: Principal,
) -> ApiResult<Json<Value>> {
    state
        .require(&principal, "key.manage", "list API keys")
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
    /// Days until the key expires; none never expires.
    expires_in_days: Option<u32>,
    /// Permissions the key is limited to (among its role's); none: its role's.
    scopes: Option<Vec<String>>,
}

/// The longest lifetime a key can be given, in days (10 years).
const MAX_KEY_DAYS: u32 = 3650;
/// The longest overlap a rotation leaves the old key, in seconds (7 days).
const MAX_OVERLAP_SECS: u64 = 7 * 86_400;

pub(crate) async fn create_api_key(
    State(state): State<Arc<AppState>>,
    principal: Principal,
    ApiJson(body): ApiJson<NewApiKey>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    state
        .require(&principal, "key.manage", "create API keys")
        .await?;
    let tenant_id = target_tenant(&state, &principal, body.tenant_id).await?;
    let role = grantable_role(&state, &principal, &tenant_id, &body.role).await?;
    let scopes = match &body.scopes {
        None => None,
        Some(scopes) => {
            let set = crate::permissions::Permissions::from_names(scopes).map_err(|why| {
                ApiError::unprocessable(
                    "invalid-request",
                    "Invalid request",
                    format!("scopes: {why}"),
                )
            })?;
            if scopes.is_empty() {
                return Err(ApiError::unprocessable(
                    "invalid-request",
                    "Invalid request",
                    "scopes must name at least one permission (leave them out for the role's)",
                ));
            }
            if !set.is_subset_of(principal.permissions) {
                return Err(ApiError::forbidden(
                    "scopes name permissions this credential does not have",
                ));
            }
            Some(set.names().into_iter().map(str::to_owned).collect())
        }
    };
    let user_id = if tenant_id == principal.tenant_id {
        principal.user_id.clone()
    } else {
        None
    };
    let key = NewKey {
        tenant_id,
        user_id,
        name: body.name,
        role,
        expires_in_days: body.expires_in_days,
        scopes,
    };
    let view = issue_api_key(&state, &principal.actor, key).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// An API key to make, its role and scopes already checked against its maker.
pub(crate) struct NewKey {
    pub tenant_id: String,
    /// The user it acts for (bounded by that user's permissions), if any.
    pub user_id: Option<String>,
    pub name: String,
    pub role: String,
    pub expires_in_days: Option<u32>,
    pub scopes: Option<Vec<String>>,
}

/// Makes an API key and records it; answers its view with the key itself, shown once.
pub(crate) async fn issue_api_key(state: &AppState, actor: &str, new: NewKey) -> ApiResult<Value> {
    if new.name.trim().is_empty() || new.name.len() > 100 {
        return Err(ApiError::unprocessable(
            "invalid-request",
            "Invalid request",
            "name must be 1 to 100 characters",
        ));
    }
    let expires_at = match new.expires_in_days {
        None => None,
        Some(days) if (1..=MAX_KEY_DAYS).contains(&days) => {
            Some(now_ms() + i64::from(days) * 86_400_000)
        }
        Some(_) => {
            return Err(ApiError::unprocessable(
                "invalid-request",
                "Invalid request",
                format!("expires_in_days must be between 1 and {MAX_KEY_DAYS}"),
            ));
        }
    };
    let generated = auth::generate_api_key();
    let key = store::ApiKey {
        id: new_id(),
        tenant_id: new.tenant_id,
        user_id: new.user_id,
        name: new.name.trim().to_string(),
        role: new.role,
        prefix: generated.prefix.clone(),
        secret_hash: generated.secret_hash.clone(),
        created_at: now_ms(),
        revoked_at: None,
        expires_at,
        last_used_at: None,
        scopes: new.scopes,
    };
    state.store.create_api_key(&key).await?;
    state
        .record(
            Some(&key.tenant_id),
            actor,
            "api_key.created",
            Some(&key.id),
            "success",
            json!({ "name": key.name, "role": key.role, "expires_at": key.expires_at, "scopes": key.scopes }),
        )
        .await?;
    let mut view = api_key_view(&key);
    view["api_key"] = Value::String(generated.full);
    Ok(view)
}

pub(crate) async fn revoke_api_key(
    State(state): State<Arc<AppState>>,
    principal: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    state
        .require(&principal, "key.manage", "revoke API keys")
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
pub(crate) struct Rotation {
    /// How long the old key keeps working, in seconds (default an hour).
    overlap_secs: Option<u64>,
}

/// `POST /api/v1/api-keys/{id}/rotate`: a new key with the same name, role, owner and
/// lifetime; the old one keeps working for the overlap window (at most until it expired
/// anyway), so that clients can switch without downtime. The new key is shown once.
pub(crate) async fn rotate_api_key(
    State(state): State<Arc<AppState>>,
    principal: Principal,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<Rotation>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    state
        .require(&principal, "key.manage", "rotate API keys")
        .await?;
    let overlap = body.overlap_secs.unwrap_or(3600);
    if overlap > MAX_OVERLAP_SECS {
        return Err(ApiError::unprocessable(
            "invalid-request",
            "Invalid request",
            format!("overlap_secs must be at most {MAX_OVERLAP_SECS}"),
        ));
    }
    let old = state
        .store
        .list_api_keys(&principal.tenant_id)
        .await?
        .into_iter()
        .find(|k| k.id == id)
        .ok_or_else(|| ApiError::not_found("API key"))?;
    let now = now_ms();
    if old.revoked_at.is_some() || old.expires_at.is_some_and(|at| at <= now) {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "api-key-not-live",
            "API key not live",
            "a revoked or expired key cannot be rotated; create a new one",
        ));
    }
    let generated = auth::generate_api_key();
    let key = store::ApiKey {
        id: new_id(),
        tenant_id: old.tenant_id.clone(),
        user_id: old.user_id.clone(),
        name: old.name.clone(),
        role: old.role.clone(),
        prefix: generated.prefix.clone(),
        secret_hash: generated.secret_hash.clone(),
        created_at: now,
        revoked_at: None,
        // The same lifetime as the old key had from its creation.
        expires_at: old.expires_at.map(|at| now + (at - old.created_at)),
        last_used_at: None,
        scopes: old.scopes.clone(),
    };
    state.store.create_api_key(&key).await?;
    let overlap_ms = i64::try_from(overlap.saturating_mul(1000)).unwrap_or(i64::MAX);
    let old = state
        .store
        .expire_api_key_by(&principal.tenant_id, &id, now.saturating_add(overlap_ms))
        .await?
        .ok_or_else(|| ApiError::not_found("API key"))?;
    state
        .record(
            Some(&principal.tenant_id),
            &principal.actor,
            "api_key.rotated",
            Some(&id),
            "success",
            json!({ "new_key": key.id, "old_expires_at": old.expires_at }),
        )
        .await?;
    let mut view = api_key_view(&key);
    view["api_key"] = Value::String(generated.full);
    view["replaces"] = api_key_view(&old);
    Ok((StatusCode::CREATED, Json(view)))
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
        .require(&principal, "trail.read", "read the audit log")
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
