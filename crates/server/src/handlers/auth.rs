//! `POST /api/v1/auth/login`: email and password for a JWT; the password check it shares
//! with the dashboard's sign-in.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::auth::{Claims, ENROL_ONLY, dummy_password_hash, issue_jwt, verify_password};
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiJson;
use crate::state::{AppState, Limit};
use crate::timestamp::now_ms;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Login {
    email: String,
    password: String,
    /// The second factor, for users who enrolled one: a TOTP code or a recovery code.
    #[serde(default)]
    code: Option<String>,
}

/// Why a password sign-in was refused.
#[derive(Debug)]
pub(crate) enum LoginRefused {
    /// Too many attempts for this email; retry after this many seconds.
    RateLimited(u64),
    /// Wrong email or password, or a disabled user (not told apart).
    InvalidCredentials,
    /// The password is right and the user has a second factor, but no code was given.
    SecondFactorRequired,
    /// The code is wrong, of a step already used, or a spent recovery code.
    InvalidSecondFactor,
}

/// A sign-in that passed.
pub(crate) struct SignedIn {
    pub user: store::User,
    /// The tenant requires a second factor and the user has none yet: the sign-in may
    /// only be used to enrol one.
    pub must_enrol: bool,
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
    code: Option<&str>,
    via: &str,
) -> ApiResult<Result<SignedIn, LoginRefused>> {
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
            let actor = format!("user:{}", user.id);
            let factor = match second_factor(state, &user, code).await? {
                Ok(factor) => factor,
                Err(refused) => {
                    if matches!(refused, LoginRefused::InvalidSecondFactor) {
                        state
                            .record(
                                Some(&user.tenant_id),
                                &actor,
                                "login",
                                None,
                                "failure",
                                json!({ "via": via, "reason": "wrong second factor" }),
                            )
                            .await?;
                    }
                    return Ok(Err(refused));
                }
            };
            let must_enrol = factor.is_none() && state.store.mfa_required(&user.tenant_id).await?;
            state
                .record(
                    Some(&user.tenant_id),
                    &actor,
                    "login",
                    None,
                    "success",
                    json!({ "via": via, "second_factor": factor, "must_enrol": must_enrol }),
                )
                .await?;
            Ok(Ok(SignedIn { user, must_enrol }))
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

/// The second factor of a user whose password was right: `None` when the user has none,
/// else which one the code was (`totp` or `recovery_code`), spent.
async fn second_factor(
    state: &AppState,
    user: &store::User,
    code: Option<&str>,
) -> ApiResult<Result<Option<&'static str>, LoginRefused>> {
    let Some(mfa) = state
        .store
        .get_user_mfa(&user.id)
        .await?
        .filter(|m| m.enabled_at.is_some())
    else {
        return Ok(Ok(None));
    };
    let Some(code) = code.map(str::trim).filter(|c| !c.is_empty()) else {
        return Ok(Err(LoginRefused::SecondFactorRequired));
    };
    Ok(check_second_factor(state, &user.id, &mfa, code)
        .await?
        .ok_or(LoginRefused::InvalidSecondFactor))
}

/// Checks and spends `code` (a TOTP code, or else a recovery code) against the user's
/// confirmed second factor; the kind spent, or `None` when it is not valid.
pub(crate) async fn check_second_factor(
    state: &AppState,
    user_id: &str,
    mfa: &store::UserMfa,
    code: &str,
) -> ApiResult<Option<Option<&'static str>>> {
    if let Err(retry) = state.second_factor_attempt(user_id) {
        return Err(ApiError::new(
            axum::http::StatusCode::TOO_MANY_REQUESTS,
            "second-factor-locked",
            "Too many wrong codes",
            format!(
                "{} wrong second-factor codes in a row; retry after {retry} s",
                crate::state::SECOND_FACTOR_FAILURES
            ),
        )
        .with_retry_after(retry));
    }
    let spent = spend_second_factor(state, user_id, mfa, code).await?;
    state.second_factor_checked(user_id, spent.is_some());
    Ok(spent)
}

/// [`check_second_factor`] without the count of wrong codes.
async fn spend_second_factor(
    state: &AppState,
    user_id: &str,
    mfa: &store::UserMfa,
    code: &str,
) -> ApiResult<Option<Option<&'static str>>> {
    let secret = crate::mfa::open(&state.secret, user_id, &mfa.secret).ok_or_else(|| {
        ApiError::internal("a stored second factor does not open with this secret key")
    })?;
    let now = u64::try_from(now_ms() / 1000).unwrap_or(0);
    if let Some(step) = crate::mfa::matching_step(&secret, code, now, mfa.last_step) {
        // Atomic with the check that no later (or the same) step was used meanwhile.
        return Ok(state
            .store
            .use_totp_step(user_id, step)
            .await?
            .then_some(Some("totp")));
    }
    let hash = crate::mfa::recovery_hash(&state.secret, user_id, code);
    Ok(state
        .store
        .use_recovery_code(user_id, &hash, now_ms())
        .await?
        .then_some(Some("recovery_code")))
}

pub(crate) async fn login(
    State(state): State<Arc<AppState>>,
    ApiJson(body): ApiJson<Login>,
) -> ApiResult<Json<Value>> {
    let signed_in = match check_password(
        &state,
        &body.email,
        body.password,
        body.code.as_deref(),
        "api",
    )
    .await?
    {
        Ok(signed_in) => signed_in,
        Err(LoginRefused::RateLimited(retry)) => {
            return Err(ApiError::new(
                axum::http::StatusCode::TOO_MANY_REQUESTS,
                "rate-limited",
                "Too many requests",
                format!("too many login attempts; retry after {retry} s"),
            )
            .with_retry_after(retry));
        }
        Err(refused) => {
            let (slug, title, detail) = match refused {
                LoginRefused::SecondFactorRequired => (
                    "second-factor-required",
                    "Second factor required",
                    "this user signs in with a second factor: send `code` (a TOTP code or a recovery code)",
                ),
                LoginRefused::InvalidSecondFactor => (
                    "invalid-second-factor",
                    "Invalid second factor",
                    "the code is wrong, was already used, or is a spent recovery code",
                ),
                LoginRefused::InvalidCredentials | LoginRefused::RateLimited(_) => (
                    "invalid-credentials",
                    "Invalid credentials",
                    "the email or password is wrong, or the user is disabled",
                ),
            };
            return Err(ApiError::new(
                axum::http::StatusCode::UNAUTHORIZED,
                slug,
                title,
                detail,
            ));
        }
    };
    let user = signed_in.user;
    let now = now_ms() / 1000;
    let ttl = state.settings.jwt_ttl_secs as i64;
    let claims = Claims {
        sub: user.id.clone(),
        tid: user.tenant_id.clone(),
        iss: state.settings.jwt_issuer.clone(),
        iat: now,
        exp: now + ttl,
        mfa: signed_in.must_enrol.then(|| ENROL_ONLY.to_owned()),
    };
    let mut answer = json!({ "token": issue_jwt(&state.secret, &claims), "token_type": "Bearer", "expires_in": ttl });
    if signed_in.must_enrol {
        answer["second_factor_enrolment_required"] = json!(true);
    }
    Ok(Json(answer))
}
