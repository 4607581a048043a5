//! Extractors: the authenticated principal (API key or JWT, then rate limits), and JSON
//! and query extractors whose rejections are problem documents.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, MatchedPath, Query, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use serde::de::DeserializeOwned;

use crate::auth;
use crate::error::ApiError;
use crate::keycache::ResolvedKey;
use crate::permissions::{self, Permissions};
use crate::state::{AppState, Limit};

/// Who is calling, in which tenant, with which role and permissions.
#[derive(Debug, Clone)]
pub struct Principal {
    pub tenant_id: String,
    /// The role's name: built-in (`viewer`, `auditor`, `admin`) or one of the tenant's.
    pub role: String,
    /// What the credential may do: its role's permissions, narrowed by an API key's scopes
    /// and its owner's permissions.
    pub permissions: Permissions,
    /// An API key limited to scopes.
    pub scoped: bool,
    /// `user:ID` or `api_key:ID`, as recorded in the audit trail.
    pub actor: String,
    pub user_id: Option<String>,
}

impl Principal {
    pub fn can(&self, permission: &str) -> bool {
        self.permissions.contains(permission)
    }
}

/// The permissions of the tenant's role `role` (built-in, else the tenant's own; a role
/// that no longer exists grants nothing).
pub(crate) async fn role_permissions(
    state: &AppState,
    tenant_id: &str,
    role: &str,
) -> Result<Permissions, ApiError> {
    if let Some(builtin) = permissions::builtin(role) {
        return Ok(builtin);
    }
    Ok(match state.store.get_role(tenant_id, role).await? {
        Some(stored) => Permissions::from_names(&stored.permissions).map_err(ApiError::internal)?,
        None => Permissions::default(),
    })
}

impl FromRequestParts<Arc<AppState>> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let (mut principal, unconfirmed) = authenticate(parts, state).await?;
        let kinds = [Limit::Credential, Limit::Tenant];
        let limits = [
            (kinds[0], principal.actor.as_str()),
            (kinds[1], principal.tenant_id.as_str()),
        ];
        let (rates, redis_generation) = state.check_rates(&limits).await;
        // A key kept from an earlier request holds while the Redis generation (read by
        // the rate script, else followed on its channel) is the one it was read under;
        // else it is read again (a revocation on another node answers 401 before any 429).
        if let Some(key) = unconfirmed
            && redis_generation != Some(key.redis_generation)
        {
            state.keys.forget(&key.prefix);
            principal = authenticate(parts, state).await?.0;
        }
        if let Err((index, retry)) = rates {
            let scope = kinds[index].scope();
            return Err(rate_limited(state, &principal, scope, retry).await);
        }
        // The route's permission, before anything else of the request is read.
        if let Some(route) = parts.extensions.get::<MatchedPath>()
            && route.as_str().starts_with("/api/")
        {
            let method = parts.method.as_str();
            match permissions::route_permission(method, route.as_str()) {
                Some(Some(permission)) if !principal.can(permission) => {
                    // Refused: recorded and answered by the one check handlers use too.
                    state
                        .require(
                            &principal,
                            permission,
                            &format!("{method} {}", route.as_str()),
                        )
                        .await?;
                }
                Some(_) => {}
                None => {
                    tracing::error!(
                        method,
                        route = route.as_str(),
                        "a route without a permission in the table is refused"
                    );
                    return Err(ApiError::forbidden("this route has no permission assigned"));
                }
            }
        }
        Ok(principal)
    }
}

async fn rate_limited(
    state: &AppState,
    principal: &Principal,
    scope: &str,
    retry: u64,
) -> ApiError {
    let detail = state.rate_refused(principal, scope, retry, None).await;
    ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "rate-limited",
        "Too many requests",
        detail,
    )
    .with_retry_after(retry)
}

/// An API key taken from this process's copy of the Redis key cache, to be confirmed by
/// the generation the request's rate-limit script reads.
struct Unconfirmed {
    prefix: String,
    redis_generation: u64,
}

async fn authenticate(
    parts: &Parts,
    state: &AppState,
) -> Result<(Principal, Option<Unconfirmed>), ApiError> {
    if let Some(key) = parts.headers.get("x-api-key") {
        let key = key
            .to_str()
            .map_err(|_| ApiError::unauthenticated("the API key is not valid"))?;
        return authenticate_key(state, key.trim()).await;
    }
    if let Some(value) = parts.headers.get(header::AUTHORIZATION) {
        let value = value.to_str().unwrap_or("");
        let token = value.strip_prefix("Bearer ").ok_or_else(|| {
            ApiError::unauthenticated("the Authorization header must be `Bearer TOKEN`")
        })?;
        let principal = authenticate_jwt(state, token.trim(), parts.uri.path()).await?;
        return Ok((principal, None));
    }
    Err(ApiError::unauthenticated(
        "send an `X-API-Key` header or `Authorization: Bearer TOKEN`",
    ))
}

async fn authenticate_key(
    state: &AppState,
    key: &str,
) -> Result<(Principal, Option<Unconfirmed>), ApiError> {
    let invalid = || {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "invalid-api-key",
            "Invalid API key",
            "the API key is not valid",
        )
    };
    let (prefix, secret) = auth::split_api_key(key).ok_or_else(invalid)?;
    let mut resolution = state.keys.resolve(state, prefix).await?;
    let matches = |key: &ResolvedKey| auth::api_key_matches(secret, &key.secret_hash);
    if resolution.unconfirmed.is_some() && !resolution.key.as_ref().is_some_and(matches) {
        // Refused on an unconfirmed copy: read the key again before refusing.
        state.keys.forget(prefix);
        resolution = state.keys.resolve(state, prefix).await?;
    }
    let unconfirmed = resolution.unconfirmed.map(|redis_generation| Unconfirmed {
        prefix: prefix.to_owned(),
        redis_generation,
    });
    let Some(stored) = resolution.key.filter(|k| matches(k)) else {
        state
            .record_denial(
                None,
                &format!("api_key_prefix:{prefix}"),
                "auth.failed",
                None,
                serde_json::json!({ "credential": "api_key" }),
            )
            .await;
        return Err(invalid());
    };
    if stored.revoked {
        return Err(refuse_key(
            state,
            &stored,
            "revoked",
            ("api-key-revoked", "API key revoked"),
            "this API key has been revoked",
        )
        .await);
    }
    if stored
        .expires_at
        .is_some_and(|at| at <= crate::timestamp::now_ms())
    {
        return Err(refuse_key(
            state,
            &stored,
            "expired",
            ("api-key-expired", "API key expired"),
            "this API key has expired; create a new one or rotate it before it expires",
        )
        .await);
    }
    if stored.owner_disabled {
        return Err(refuse_key(
            state,
            &stored,
            "owner disabled",
            ("api-key-owner-disabled", "API key owner disabled"),
            "the user who owns this API key is disabled or removed",
        )
        .await);
    }
    state.key_used(&stored.id).await;
    let principal = Principal {
        actor: format!("api_key:{}", stored.id),
        tenant_id: stored.tenant_id,
        role: stored.role,
        permissions: stored.permissions,
        scoped: stored.scoped,
        user_id: stored.user_id,
    };
    Ok((principal, unconfirmed))
}

/// Refuses a known key that cannot be used now: records `auth.failed` with the reason and
/// answers 401 with the problem `slug` and `title`.
async fn refuse_key(
    state: &AppState,
    key: &ResolvedKey,
    reason: &str,
    (slug, title): (&'static str, &'static str),
    detail: &str,
) -> ApiError {
    state
        .record_denial(
            Some(&key.tenant_id),
            &format!("api_key:{}", key.id),
            "auth.failed",
            None,
            serde_json::json!({ "credential": "api_key", "reason": reason }),
        )
        .await;
    ApiError::new(StatusCode::UNAUTHORIZED, slug, title, detail)
}

async fn authenticate_jwt(
    state: &AppState,
    token: &str,
    path: &str,
) -> Result<Principal, ApiError> {
    let claims = match auth::verify_jwt(&state.secret, &state.settings.jwt_issuer, token) {
        Ok(claims) => claims,
        Err(reason) => {
            state
                .record_denial(
                    None,
                    "bearer",
                    "auth.failed",
                    None,
                    serde_json::json!({ "credential": "jwt", "reason": reason }),
                )
                .await;
            return Err(ApiError::invalid_token(reason));
        }
    };
    let user = state.store.get_user(&claims.tid, &claims.sub).await?;
    let Some(user) = user.filter(|u| !u.disabled) else {
        return Err(ApiError::invalid_token(
            "the token's user does not exist or is disabled",
        ));
    };
    let granted = role_permissions(state, &user.tenant_id, &user.role).await?;
    // A token given to a user who must first enrol a second factor opens only that.
    if claims.mfa.as_deref() == Some(auth::ENROL_ONLY)
        && path != "/api/v1/me"
        && !path.starts_with("/api/v1/me/second-factor")
    {
        state
            .record_denial(
                Some(&user.tenant_id),
                &format!("user:{}", user.id),
                "permission_denied",
                Some(path),
                serde_json::json!({ "reason": "second factor not enrolled" }),
            )
            .await;
        return Err(ApiError::forbidden(
            "your tenant requires a second factor: enrol one (POST /api/v1/me/second-factor) and sign in again",
        )
        .with_slug(
            "second-factor-enrolment-required",
            "Second factor enrolment required",
        ));
    }
    Ok(Principal {
        tenant_id: user.tenant_id,
        role: user.role,
        permissions: granted,
        scoped: false,
        actor: format!("user:{}", user.id),
        user_id: Some(user.id),
    })
}

/// Parses JSON with precise problems: invalid UTF-8, syntax, unknown fields, wrong types.
pub(crate) fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    if let Err(e) = std::str::from_utf8(body) {
        return Err(ApiError::bad_request(
            "invalid-utf8",
            "Invalid UTF-8",
            format!(
                "the request body is not valid UTF-8 (at byte {})",
                e.valid_up_to()
            ),
        ));
    }
    serde_json::from_slice(body).map_err(|e| {
        let message = e.to_string();
        match e.classify() {
            serde_json::error::Category::Data if message.starts_with("unknown field") => {
                ApiError::bad_request("unknown-field", "Unknown field", message)
            }
            serde_json::error::Category::Data => {
                ApiError::unprocessable("invalid-request", "Invalid request", message)
            }
            _ => ApiError::bad_request("malformed-json", "Malformed JSON", message),
        }
    })
}

pub(crate) fn is_json(content_type: Option<&str>) -> bool {
    content_type.is_some_and(|ct| {
        let mime = ct
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        mime == "application/json" || mime.ends_with("+json")
    })
}

/// JSON body; rejections are problems.
#[derive(Debug)]
pub(crate) struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        if !is_json(content_type.as_deref()) {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                "Unsupported media type",
                "send the body as `Content-Type: application/json`",
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "body-too-large",
                    "Request body too large",
                    rejection.body_text(),
                )
            } else {
                ApiError::bad_request("invalid-body", "Unreadable body", rejection.body_text())
            }
        })?;
        Ok(ApiJson(parse_json(&bytes)?))
    }
}

/// Query string; rejections are problems.
#[derive(Debug)]
pub(crate) struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Query::<T>::try_from_uri(&parts.uri)
            .map(|q| ApiQuery(q.0))
            .map_err(|e| {
                ApiError::bad_request(
                    "invalid-parameter",
                    "Invalid query parameter",
                    e.body_text(),
                )
            })
    }
}
