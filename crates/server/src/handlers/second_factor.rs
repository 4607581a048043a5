//! A user's second factor (TOTP, with recovery codes) and the tenant's policy requiring
//! one. See [`crate::mfa`] for the codes and how secrets are kept.
//!
//! - `POST /api/v1/me/second-factor`: a new secret to enrol (pending until confirmed).
//! - `POST /api/v1/me/second-factor/confirm` `{"code"}`: the first code confirms the
//!   secret; the answer holds the recovery codes, shown this once.
//! - `DELETE /api/v1/me/second-factor` `{"code"}`: removes it, on a valid code.
//! - `PUT /api/v1/tenants/{id}/second-factor-policy` `{"required"}`: admins of the tenant
//!   (or of the operator tenant) require a second factor of its users.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, Principal};
use crate::handlers::auth::check_second_factor;
use crate::state::AppState;
use crate::timestamp::now_ms;

/// The signed-in user. Only a user's own sign-in manages its second factor: an API key
/// (even one a user owns) cannot, so that a leaked key cannot enrol a factor its owner does
/// not hold.
async fn user_of(state: &AppState, principal: &Principal) -> ApiResult<store::User> {
    let signed_in = principal.actor.starts_with("user:");
    let Some(user_id) = principal.user_id.as_ref().filter(|_| signed_in) else {
        return Err(ApiError::forbidden(
            "an API key has no second factor: sign in as the user (POST /api/v1/auth/login)",
        ));
    };
    state
        .store
        .get_user(&principal.tenant_id, user_id)
        .await?
        .ok_or_else(|| ApiError::not_found("user"))
}

/// A new enrolment for `user`: the secret in base32 and its `otpauth://` URI.
pub(crate) async fn begin(state: &AppState, user: &store::User) -> ApiResult<(String, String)> {
    let secret = crate::mfa::new_secret();
    let sealed = crate::mfa::seal(&state.secret, &user.id, &secret);
    if !state
        .store
        .start_mfa_enrolment(&user.id, &sealed, now_ms())
        .await?
    {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "second-factor-enrolled",
            "Second factor already enrolled",
            "remove the current second factor first",
        ));
    }
    let tenant = state.store.get_tenant(&user.tenant_id).await?;
    let issuer = match &tenant {
        Some(t) => format!("web3audit {}", t.name),
        None => "web3audit".to_owned(),
    };
    Ok((
        crate::mfa::secret_base32(&secret),
        crate::mfa::otpauth_uri(&secret, &issuer, &user.email),
    ))
}

pub(crate) async fn start(
    State(state): State<Arc<AppState>>,
    principal: Principal,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let user = user_of(&state, &principal).await?;
    let (secret, uri) = begin(&state, &user).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "secret": secret,
            "otpauth_uri": uri,
            "algorithm": "SHA1",
            "digits": crate::mfa::DIGITS,
            "period": crate::mfa::STEP_SECS,
        })),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Code {
    code: String,
}

fn invalid_code() -> ApiError {
    ApiError::unprocessable(
        "invalid-second-factor",
        "Invalid second factor",
        "the code is wrong, outside the allowed time window, or already used",
    )
}

/// Confirms `user`'s pending enrolment with its first code; the recovery codes, to show
/// once.
pub(crate) async fn finish(
    state: &AppState,
    user: &store::User,
    actor: &str,
    code: &str,
) -> ApiResult<Vec<String>> {
    let no_pending = || {
        ApiError::new(
            StatusCode::CONFLICT,
            "no-enrolment-pending",
            "No enrolment pending",
            "start an enrolment first (or it was confirmed or replaced meanwhile)",
        )
    };
    let pending = state
        .store
        .get_user_mfa(&user.id)
        .await?
        .filter(|m| m.enabled_at.is_none())
        .ok_or_else(no_pending)?;
    let secret = crate::mfa::open(&state.secret, &user.id, &pending.secret)
        .ok_or_else(|| ApiError::internal("a pending secret does not open with this secret key"))?;
    let now = u64::try_from(now_ms() / 1000).unwrap_or(0);
    let Some(step) = crate::mfa::matching_step(&secret, code, now, None) else {
        return Err(invalid_code());
    };
    let codes = crate::mfa::new_recovery_codes();
    let hashes: Vec<String> = codes
        .iter()
        .map(|c| crate::mfa::recovery_hash(&state.secret, &user.id, c))
        .collect();
    if !state
        .store
        .confirm_mfa(&user.id, step, &hashes, now_ms())
        .await?
    {
        return Err(no_pending());
    }
    state
        .record(
            Some(&user.tenant_id),
            actor,
            "second_factor.enrolled",
            Some(&user.id),
            "success",
            json!({ "kind": "totp", "recovery_codes": codes.len() }),
        )
        .await?;
    Ok(codes)
}

pub(crate) async fn confirm(
    State(state): State<Arc<AppState>>,
    principal: Principal,
    ApiJson(body): ApiJson<Code>,
) -> ApiResult<Json<Value>> {
    let user = user_of(&state, &principal).await?;
    let codes = finish(&state, &user, &principal.actor, &body.code).await?;
    Ok(Json(json!({
        "enrolled": true,
        "recovery_codes": codes,
        "note": "each recovery code signs in once in place of a TOTP code; they are not shown again",
    })))
}

/// Removes `user`'s second factor on a valid code (or recovery code).
pub(crate) async fn drop_factor(
    state: &AppState,
    user: &store::User,
    actor: &str,
    code: &str,
) -> ApiResult<()> {
    let mfa = state
        .store
        .get_user_mfa(&user.id)
        .await?
        .filter(|m| m.enabled_at.is_some())
        .ok_or_else(|| ApiError::not_found("second factor"))?;
    if check_second_factor(state, &user.id, &mfa, code.trim())
        .await?
        .is_none()
    {
        state
            .record_denial(
                Some(&user.tenant_id),
                actor,
                "permission_denied",
                Some(&user.id),
                json!({ "attempted": "remove the second factor", "reason": "wrong second factor" }),
            )
            .await;
        return Err(invalid_code());
    }
    state.store.remove_mfa(&user.id).await?;
    state
        .record(
            Some(&user.tenant_id),
            actor,
            "second_factor.removed",
            Some(&user.id),
            "success",
            json!({}),
        )
        .await?;
    Ok(())
}

pub(crate) async fn remove(
    State(state): State<Arc<AppState>>,
    principal: Principal,
    ApiJson(body): ApiJson<Code>,
) -> ApiResult<StatusCode> {
    let user = user_of(&state, &principal).await?;
    drop_factor(&state, &user, &principal.actor, &body.code).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /api/v1/users/{id}/second-factor`: an admin of the user's tenant removes a
/// user's second factor (a lost phone and lost recovery codes, or a database restored under
/// another secret key); the user signs in with the password again and enrols anew.
pub(crate) async fn reset(
    State(state): State<Arc<AppState>>,
    principal: Principal,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let user =
        super::admin::user_to_manage(&state, &principal, "reset a second factor", &id).await?;
    if !state.store.remove_mfa(&user.id).await? {
        return Err(ApiError::not_found("second factor"));
    }
    state
        .record(
            Some(&principal.tenant_id),
            &principal.actor,
            "second_factor.reset",
            Some(&user.id),
            "success",
            json!({}),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// What `GET /api/v1/me` says of the caller's second factor.
pub(crate) async fn status(state: &AppState, principal: &Principal) -> ApiResult<Value> {
    let required = state.store.mfa_required(&principal.tenant_id).await?;
    let Some(user_id) = &principal.user_id else {
        return Ok(json!({ "required": required, "enrolled": false, "recovery_codes_left": null }));
    };
    let enrolled = state
        .store
        .get_user_mfa(user_id)
        .await?
        .is_some_and(|m| m.enabled_at.is_some());
    let left = if enrolled {
        Some(state.store.count_recovery_codes(user_id).await?)
    } else {
        None
    };
    Ok(json!({ "required": required, "enrolled": enrolled, "recovery_codes_left": left }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Policy {
    required: bool,
}

pub(crate) async fn set_policy(
    State(state): State<Arc<AppState>>,
    principal: Principal,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<Policy>,
) -> ApiResult<Json<Value>> {
    state
        .require(&principal, "user.manage", "set the second-factor policy")
        .await?;
    super::tenant_in_reach(&state, &principal, &id).await?;
    state
        .store
        .set_mfa_required(&id, body.required, now_ms())
        .await?;
    state
        .record(
            Some(&id),
            &principal.actor,
            "tenant.second_factor_policy",
            Some(&id),
            "success",
            json!({ "required": body.required }),
        )
        .await?;
    Ok(Json(
        json!({ "tenant_id": id, "second_factor_required": body.required }),
    ))
}
