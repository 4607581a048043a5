//! `POST /api/v1/auth/login`: email and password for a JWT.

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

pub(crate) async fn login(
    State(state): State<Arc<AppState>>,
    ApiJson(mut body): ApiJson<Login>,
) -> ApiResult<Json<Value>> {
    // Emails are stored lower-cased.
    body.email = body.email.trim().to_ascii_lowercase();
    if let Err(retry) = state
        .check_rate(Limit::Credential, &format!("login:{}", body.email))
        .await
    {
        return Err(ApiError::new(
            axum::http::StatusCode::TOO_MANY_REQUESTS,
            "rate-limited",
            "Too many requests",
            format!("too many login attempts; retry after {retry} s"),
        )
        .with_retry_after(retry));
    }
    let user = state.store.find_user_by_email(&body.email).await?;
    let hash = user.as_ref().map_or_else(
        || dummy_password_hash().to_string(),
        |u| u.password_hash.clone(),
    );
    let password = body.password;
    let matches = tokio::task::spawn_blocking(move || verify_password(&password, &hash))
        .await
        .map_err(ApiError::internal)?;
    let user = match user {
        Some(user) if matches && !user.disabled => user,
        other => {
            state
                .record(
                    other.as_ref().map(|u| u.tenant_id.as_str()),
                    &other
                        .as_ref()
                        .map_or_else(|| "anonymous".to_string(), |u| format!("user:{}", u.id)),
                    "login",
                    None,
                    "failure",
                    json!({ "email": body.email }),
                )
                .await?;
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
    state
        .record(
            Some(&user.tenant_id),
            &format!("user:{}", user.id),
            "login",
            None,
            "success",
            json!({}),
        )
        .await?;
    Ok(Json(
        json!({ "token": issue_jwt(&state.secret, &claims), "token_type": "Bearer", "expires_in": ttl }),
    ))
}
