//! Dashboard sign-in state: the session cookie and its row, CSRF tokens, the same-origin
//! check of form posts.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::PageError;
use crate::auth::random_bytes;
use crate::config::Settings;
use crate::extract::Principal;
use crate::state::{AppState, Limit};
use crate::timestamp::now_ms;

/// The signed-in user of a dashboard request.
#[derive(Debug, Clone)]
pub(crate) struct SignedIn {
    pub principal: Principal,
    pub user: store::User,
    pub token_hash: String,
    /// The token every form of this session carries.
    pub csrf: String,
}

/// Name of the session cookie. With `Secure` cookies the `__Host-` prefix also makes the
/// browser refuse one set without `Secure`, with a `Domain`, or for another path.
pub(crate) fn session_cookie(settings: &Settings) -> &'static str {
    if settings.dashboard_cookie_secure {
        "__Host-web3audit_session"
    } else {
        "web3audit_session"
    }
}

/// Name of the cookie that ties the sign-in form to the browser that asked for it.
pub(crate) fn login_cookie(settings: &Settings) -> &'static str {
    if settings.dashboard_cookie_secure {
        "__Host-web3audit_login"
    } else {
        "web3audit_login"
    }
}

/// Name of the cookie that ties a single sign-on callback to the browser that started it.
pub(crate) fn sso_cookie(settings: &Settings) -> &'static str {
    if settings.dashboard_cookie_secure {
        "__Host-web3audit_sso"
    } else {
        "web3audit_sso"
    }
}

/// A `Set-Cookie` value: host-only, whole site, not readable by script, never sent on
/// cross-site requests; `max_age` 0 deletes it.
pub(crate) fn set_cookie(
    settings: &Settings,
    name: &str,
    value: &str,
    max_age: u64,
) -> HeaderValue {
    cookie_header(settings, name, value, max_age, "Strict")
}

/// As [`set_cookie`], but also sent when another site sends the browser here with a
/// top-level GET: the identity provider's redirect back to the single sign-on callback.
pub(crate) fn set_lax_cookie(
    settings: &Settings,
    name: &str,
    value: &str,
    max_age: u64,
) -> HeaderValue {
    cookie_header(settings, name, value, max_age, "Lax")
}

fn cookie_header(
    settings: &Settings,
    name: &str,
    value: &str,
    max_age: u64,
    same_site: &str,
) -> HeaderValue {
    let secure = if settings.dashboard_cookie_secure {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; HttpOnly; SameSite={same_site}; Max-Age={max_age}{secure}"
    ))
    .expect("cookie names and base64url values are valid header text")
}

/// The value of cookie `name` in the request, if any.
pub(crate) fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.trim())
}

/// A fresh random token (256 bits, base64url).
pub(crate) fn new_token() -> String {
    URL_SAFE_NO_PAD.encode(random_bytes::<32>())
}

/// What the store keeps of a session token.
pub(crate) fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A token derived from `token` under the service's secret key, for the hidden field of
/// forms: only this server can compute it, and only from the cookie's value.
pub(crate) fn derived_token(state: &AppState, purpose: &str, token: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(state.secret.expose().as_bytes())
        .expect("HMAC accepts any key length");
    mac.update(purpose.as_bytes());
    mac.update(&[0]);
    mac.update(token.as_bytes());
    URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

pub(crate) const CSRF_PURPOSE: &str = "dashboard-csrf";
pub(crate) const LOGIN_PURPOSE: &str = "dashboard-login";

/// Constant-time comparison of a submitted token with the expected one.
pub(crate) fn tokens_match(expected: &str, given: &str) -> bool {
    expected.as_bytes().ct_eq(given.as_bytes()).into()
}

/// Whether the browser says the post comes from a page of this host: the `Origin`
/// header, else the `Referer`, compared with `Host`. Neither present passes (older
/// clients); the CSRF token is then the whole check. `Origin: null` never passes.
pub(crate) fn same_origin(headers: &HeaderMap) -> bool {
    let Some(host) = headers.get(header::HOST).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let source = headers
        .get(header::ORIGIN)
        .or_else(|| headers.get(header::REFERER))
        .map(|v| v.to_str().unwrap_or(""));
    let Some(source) = source else {
        return true;
    };
    let authority = source
        .strip_prefix("https://")
        .or_else(|| source.strip_prefix("http://"))
        .map(|rest| rest.split(['/', '?', '#']).next().unwrap_or(""));
    authority.is_some_and(|a| a.eq_ignore_ascii_case(host))
}

impl SignedIn {
    /// Checks a form post of this session: origin, then CSRF token. A refusal is
    /// recorded (throttled: a forged post can be sent at will) and answered 403.
    pub(crate) async fn check_post(
        &self,
        state: &AppState,
        headers: &HeaderMap,
        csrf: &str,
        action: &str,
    ) -> Result<(), PageError> {
        let reason = if !same_origin(headers) {
            "origin"
        } else if !tokens_match(&self.csrf, csrf) {
            "csrf token"
        } else {
            return Ok(());
        };
        state
            .record_denial(
                Some(&self.principal.tenant_id),
                &self.principal.actor,
                "csrf.rejected",
                None,
                serde_json::json!({ "attempted": action, "reason": reason }),
            )
            .await;
        Err(forged())
    }

    pub(crate) fn can(&self, permission: &str) -> bool {
        self.principal.can(permission)
    }
}

pub(crate) fn forged() -> PageError {
    PageError::new(
        StatusCode::FORBIDDEN,
        "Form refused",
        "the form did not come from a page of this dashboard, or it has expired; \
         reload the page and submit it again",
    )
}

impl FromRequestParts<Arc<AppState>> for SignedIn {
    type Rejection = PageError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let Some(token) = cookie(&parts.headers, session_cookie(&state.settings)) else {
            return Err(PageError::SignIn);
        };
        let hash = token_hash(token);
        let session = state.store.get_dashboard_session(&hash).await?;
        let Some(session) = session.filter(|s| s.is_live(now_ms())) else {
            return Err(PageError::SignIn);
        };
        // The user is read on every request: a disabled user or a changed role takes
        // effect at once.
        let user = state
            .store
            .get_user(&session.tenant_id, &session.user_id)
            .await?;
        let Some(user) = user.filter(|u| !u.disabled) else {
            return Err(PageError::SignIn);
        };
        let permissions =
            crate::extract::role_permissions(state, &user.tenant_id, &user.role).await?;
        let principal = Principal {
            tenant_id: user.tenant_id.clone(),
            role: user.role.clone(),
            permissions,
            scoped: false,
            actor: format!("user:{}", user.id),
            user_id: Some(user.id.clone()),
        };
        // A user whose tenant requires a second factor and who has none yet may only set
        // one up (and sign out); every other page sends them to the account page. An
        // account of single sign-on has its second factor at its identity provider.
        let path = parts.uri.path();
        if !(path == "/account" || path.starts_with("/account/") || path == "/logout")
            && user.password_hash != crate::sso::NO_PASSWORD
            && state.store.mfa_required(&user.tenant_id).await?
            && state
                .store
                .get_user_mfa(&user.id)
                .await?
                .is_none_or(|m| m.enabled_at.is_none())
        {
            return Err(PageError::Enrol);
        }
        let limits = [
            (Limit::Credential, principal.actor.as_str()),
            (Limit::Tenant, principal.tenant_id.as_str()),
        ];
        if let (Err((index, retry)), _) = state.check_rates(&limits).await {
            let scope = limits[index].0.scope();
            let message = state
                .rate_refused(&principal, scope, retry, Some("dashboard"))
                .await;
            return Err(PageError::Refused {
                status: StatusCode::TOO_MANY_REQUESTS,
                title: "Too many requests",
                message,
                retry_after: Some(retry),
            });
        }
        Ok(SignedIn {
            csrf: derived_token(state, CSRF_PURPOSE, token),
            principal,
            user,
            token_hash: hash,
        })
    }
}

/// The session, or none (for pages shown to everyone, such as the sign-in form).
pub(crate) struct MaybeSignedIn(pub Option<SignedIn>);

impl FromRequestParts<Arc<AppState>> for MaybeSignedIn {
    type Rejection = PageError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        match SignedIn::from_request_parts(parts, state).await {
            Ok(signed_in) => Ok(MaybeSignedIn(Some(signed_in))),
            Err(PageError::SignIn) => Ok(MaybeSignedIn(None)),
            Err(other) => Err(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(name.clone(), HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn origin_must_name_this_host() {
        let host = (header::HOST, "audit.example:8443");
        assert!(same_origin(&headers(std::slice::from_ref(&host))));
        assert!(same_origin(&headers(&[
            host.clone(),
            (header::ORIGIN, "https://audit.example:8443")
        ])));
        assert!(!same_origin(&headers(&[
            host.clone(),
            (header::ORIGIN, "https://evil.example")
        ])));
        assert!(!same_origin(&headers(&[
            host.clone(),
            (header::ORIGIN, "null")
        ])));
        assert!(same_origin(&headers(&[
            host.clone(),
            (header::REFERER, "http://audit.example:8443/audits/new?x=1")
        ])));
        assert!(!same_origin(&headers(&[
            host,
            (header::REFERER, "http://audit.example:8443.evil.example/")
        ])));
    }

    #[test]
    fn cookies_are_found_by_exact_name() {
        let map = headers(&[(header::COOKIE, "a=1; web3audit_session=tok; b=2")]);
        assert_eq!(cookie(&map, "web3audit_session"), Some("tok"));
        assert_eq!(cookie(&map, "session"), None);
    }
}
