//! `POST /api/v1/auth/login`: email and password for a JWT; the password check it shares
//! with the dashboard's sign-in.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::auth::{Claims, dummy_password_hash, issue_jwt, verify_password};
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiJson;
use crate::state::{AppState, Limit};
use crate::timestamp::now_ms;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Login {
    email: String,
    password: String,
}

/// Why a password sign-in was refused.
#[derive(Debug)]
pub(crate) enum LoginRefused {
    /// Too many attempts for this email; retry after this many seconds.
    RateLimited(u64),
    /// Wrong email or password, or a disabled user (not told apart).
    InvalidCredentials,
}

/// Checks an email and password: the per-email rate limit (shared by the API and the
/// dashboard), the argon2 verification (off the executor, against a dummy hash for an
/// unknown email so that both cost the same) and the audit trail. A failure for a known
/// user is recorded every time (bounded by the rate limit); one for an unknown email at
/// most once a minute, so that guessing emails cannot flood the trail.
pub(crate) async fn check_password(
    state: &AppState,
    email: &str,
    password: String,
    via: &str,
) -> ApiResult<Result<store::User, LoginRefused>> {
    // Emails are stored lower-cased.
    let email = email.trim().to_ascii_lowercase();
    if let Err(retry) = state
        .check_rate(Limit::Credential, &format!("login:{email}"))
        .await
    {
        state
            .record_denial(
                None,
                &format!("login:{email}"),
                "rate_limited",
                None,
                json!({ "scope": "login", "retry_after_secs": retry, "via": via }),
            )
            .await;
        return Ok(Err(LoginRefused::RateLimited(retry)));
    }
    let user = state.store.find_user_by_email(&email).await?;
    let hash = user.as_ref().map_or_else(
        || dummy_password_hash().to_string(),
        |u| u.password_hash.clone(),
    );
    let matches = tokio::task::spawn_blocking(move || verify_password(&password, &hash))
        .await
        .map_err(ApiError::internal)?;
    match user {
        Some(user) if matches && !user.disabled => {
            state
                .record(
                    Some(&user.tenant_id),
                    &format!("user:{}", user.id),
                    "login",
                    None,
                    "success",
                    json!({ "via": via }),
                )
                .await?;
            Ok(Ok(user))
        }
        Some(user) => {
            state
                .record(
                    Some(&user.tenant_id),
                    &format!("user:{}", user.id),
                    "login",
                    None,
                    "failure",
                    json!({ "email": email, "via": via }),
                )
                .await?;
            Ok(Err(LoginRefused::InvalidCredentials))
        }
        None => {
            state
                .record_throttled(
                    None,
                    "anonymous",
                    "login",
                    None,
                    "failure",
                    json!({ "email": email, "via": via }),
                )
                .await;
            Ok(Err(LoginRefused::InvalidCredentials))
        }
    }
}

pub(crate) async fn login(
    State(state): State<Arc<AppState>>,
    ApiJson(body): ApiJson<Login>,
) -> ApiResult<Json<Value>> {
    let user = match check_password(&state, &body.email, body.password, "api").await? {
        Ok(user) => user,
        Err(LoginRefused::RateLimited(retry)) => {
            return Err(ApiError::new(
                axum::http::StatusCode::TOO_MANY_REQUESTS,
                "rate-limited",
                "Too many requests",
                format!("too many login attempts; retry after {retry} s"),
            )
            .with_retry_after(retry));
        }
        Err(LoginRefused::InvalidCredentials) => {
            return Err(ApiError::new(
                axum::http::StatusCode::UNAUTHORIZED,
                "invalid-credentials",
                "Invalid credentials",
                "the email or password is wrong, or the user is disabled",
            ));
        }
    };
    let now = now_ms() / 1000;
    let ttl = state.settings.jwt_ttl_secs as i64;
    let claims = Claims {
        sub: user.id.clone(),
        tid: user.tenant_id.clone(),
        iss: state.settings.jwt_issuer.clone(),
        iat: now,
        exp: now + ttl,
    };
    Ok(Json(
        json!({ "token": issue_jwt(&state.secret, &claims), "token_type": "Bearer", "expires_in": ttl }),
    ))
}
