//! Roles: the built-in ones and the tenant's own, named sets of permissions
//! ([`crate::permissions`]).
//!
//! - `GET /api/v1/roles`: every permission with what it allows, the built-in roles and the
//!   tenant's roles, each with its permissions.
//! - `POST /api/v1/roles` `{"name", "permissions", "description"}`: a role of the tenant
//!   (`user.manage`; only permissions the caller holds).
//! - `DELETE /api/v1/roles/{name}`: deletes a role no user or live API key holds.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, Principal};
use crate::permissions::{self, BUILTIN_ROLES, Permissions};
use crate::state::AppState;
use crate::timestamp::{now_ms, rfc3339};

fn role_view(
    name: &str,
    permissions: &[&str],
    builtin: bool,
    role: Option<&store::TenantRole>,
) -> Value {
    json!({
        "name": name,
        "builtin": builtin,
        "permissions": permissions,
        "description": role.and_then(|r| r.description.clone()),
        "created_by": role.map(|r| r.created_by.clone()),
        "created_at": role.map(|r| rfc3339(r.created_at)),
    })
}

pub(crate) async fn list(
    State(state): State<Arc<AppState>>,
    principal: Principal,
) -> ApiResult<Json<Value>> {
    let mut roles: Vec<Value> = BUILTIN_ROLES
        .iter()
        .map(|name| {
            let granted = permissions::builtin(name).unwrap_or_default();
            role_view(name, &granted.names(), true, None)
        })
        .collect();
    for role in state.store.list_roles(&principal.tenant_id).await? {
        let names: Vec<&str> = role.permissions.iter().map(String::as_str).collect();
        roles.push(role_view(&role.name, &names, false, Some(&role)));
    }
    let catalogue: Vec<Value> = permissions::catalogue()
        .into_iter()
        .map(|(name, allows)| json!({ "name": name, "allows": allows }))
        .collect();
    Ok(Json(json!({ "permissions": catalogue, "roles": roles })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewRole {
    name: String,
    permissions: Vec<String>,
    description: Option<String>,
}

pub(crate) async fn create(
    State(state): State<Arc<AppState>>,
    principal: Principal,
    ApiJson(body): ApiJson<NewRole>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    state
        .require(&principal, "user.manage", "create roles")
        .await?;
    let invalid =
        |detail: String| ApiError::unprocessable("invalid-request", "Invalid request", detail);
    let name = body.name.trim();
    if name.is_empty()
        || name.len() > 40
        || !name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
    {
        return Err(invalid(
            "name must be 1 to 40 characters among a-z, 0-9, `-` and `_`".into(),
        ));
    }
    if permissions::builtin(name).is_some() {
        return Err(invalid(format!("`{name}` is a built-in role")));
    }
    if body.permissions.is_empty() {
        return Err(invalid(
            "permissions must name at least one permission".into(),
        ));
    }
    let granted = Permissions::from_names(&body.permissions)
        .map_err(|why| invalid(format!("permissions: {why}")))?;
    if !granted.is_subset_of(principal.permissions) {
        return Err(ApiError::forbidden(
            "a role cannot grant permissions this credential does not have",
        ));
    }
    if body.description.as_ref().is_some_and(|d| d.len() > 500) {
        return Err(invalid("description is longer than 500 bytes".into()));
    }
    let role = store::TenantRole {
        tenant_id: principal.tenant_id.clone(),
        name: name.to_owned(),
        permissions: granted.names().into_iter().map(str::to_owned).collect(),
        description: body.description,
        created_by: principal.actor.clone(),
        created_at: now_ms(),
    };
    state.store.create_role(&role).await.map_err(|e| match e {
        store::StoreError::Conflict(_) => ApiError::new(
            StatusCode::CONFLICT,
            "role-exists",
            "Role exists",
            format!("the tenant has a role named `{name}`"),
        ),
        other => other.into(),
    })?;
    state
        .record(
            Some(&principal.tenant_id),
            &principal.actor,
            "role.created",
            Some(&role.name),
            "success",
            json!({ "permissions": role.permissions }),
        )
        .await?;
    let names: Vec<&str> = role.permissions.iter().map(String::as_str).collect();
    Ok((
        StatusCode::CREATED,
        Json(role_view(&role.name, &names, false, Some(&role))),
    ))
}

pub(crate) async fn delete(
    State(state): State<Arc<AppState>>,
    principal: Principal,
    Path(name): Path<String>,
) -> ApiResult<StatusCode> {
    state
        .require(&principal, "user.manage", "delete roles")
        .await?;
    let deleted = state
        .store
        .delete_role(&principal.tenant_id, &name)
        .await
        .map_err(|e| match e {
            store::StoreError::Conflict(_) => ApiError::new(
                StatusCode::CONFLICT,
                "role-in-use",
                "Role in use",
                "users or live API keys hold this role: give them another role first",
            ),
            other => other.into(),
        })?;
    if !deleted {
        return Err(ApiError::not_found("role"));
    }
    state
        .record(
            Some(&principal.tenant_id),
            &principal.actor,
            "role.deleted",
            Some(&name),
            "success",
            json!({}),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
