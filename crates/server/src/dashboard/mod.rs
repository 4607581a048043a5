//! The web dashboard at `/`: server-rendered pages over the same store, roles, quotas and
//! audit trail as the API. Templates (minijinja, auto-escaped) and the stylesheet are
//! compiled into the binary; pages run no script.
//!
//! Invariants:
//! - every page reads and writes through the signed-in user's tenant; another tenant's
//!   audit or finding is a 404, exactly as in the API;
//! - a session is a random token in an `HttpOnly`, `SameSite=Strict` cookie; the store
//!   keeps only its SHA-256, and logging out revokes it;
//! - every POST carries the CSRF token of its session (of the sign-in form for `/login`),
//!   compared in constant time, and, when the browser sends one, an `Origin` (else
//!   `Referer`) naming this host; a refusal is a 403 recorded in the audit trail;
//! - roles are checked as the API checks them, whatever the page showed.

/// A template context: `name => value` pairs, each value serialized.
macro_rules! page {
    ($($key:ident => $value:expr),* $(,)?) => {{
        let mut map = serde_json::Map::new();
        $( map.insert(
            stringify!($key).to_string(),
            serde_json::to_value(&$value).unwrap_or(serde_json::Value::Null),
        ); )*
        serde_json::Value::Object(map)
    }};
}

mod account;
mod chart;
mod compliance;
mod monitoring;
mod pages;
pub(crate) mod session;
mod source;
mod sso;

use std::sync::{Arc, OnceLock};

use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use minijinja::Environment;
use sha2::{Digest, Sha256};

use crate::error::ApiError;
use crate::state::AppState;

/// The pages' policy: the stylesheet of this origin, inline SVG images, forms posting
/// back here, no script, no framing.
pub(crate) const PAGE_CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; \
     form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

const STYLESHEET: &str = include_str!("assets/dashboard.css");
const STYLESHEET_PATH: &str = "/assets/dashboard.css";

/// The dashboard routes, served by API nodes.
pub(crate) fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/", get(pages::home))
        .route("/login", get(pages::login_form).post(pages::login))
        .route("/logout", post(pages::logout))
        .route("/login/sso/{name}", post(sso::start))
        .route("/login/sso/{name}/callback", get(sso::callback))
        .route("/audits", get(pages::audits).post(pages::submit))
        .route("/audits/new", get(pages::new_audit))
        .route("/audits/{id}", get(pages::audit))
        .route("/findings/{id}", get(pages::finding))
        .route("/findings/{id}/triage", post(pages::triage))
        .route("/findings/{id}/assistant", post(pages::ask_assistant))
        .route("/security", get(pages::security))
        .route("/account", get(account::account))
        .route("/account/second-factor", post(account::start))
        .route("/account/second-factor/confirm", post(account::confirm))
        .route("/account/second-factor/remove", post(account::remove))
        .route("/account/keys", post(account::create_key))
        .route("/account/keys/{id}/revoke", post(account::revoke_key))
        .route("/usage", get(pages::usage))
        .route("/incidents", get(monitoring::incidents))
        .route("/incidents/{id}", get(monitoring::incident))
        .route("/incidents/{id}/state", post(monitoring::move_state))
        .route("/incidents/{id}/assign", post(monitoring::assign))
        .route("/incidents/{id}/comments", post(monitoring::comment))
        .route("/monitors", get(monitoring::monitors))
        .route("/compliance", get(compliance::page))
        .route("/compliance/pack", get(compliance::pack))
        .route(STYLESHEET_PATH, get(stylesheet))
}

/// The stylesheet's URL, versioned by its content so that it can be cached for a year.
fn stylesheet_url() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        let digest = hex::encode(Sha256::digest(STYLESHEET.as_bytes()));
        format!("{STYLESHEET_PATH}?v={}", &digest[..12])
    })
}

async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        STYLESHEET,
    )
        .into_response()
}

fn templates() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        // Names end in `.html`, so every value is HTML-escaped unless marked safe, and
        // nothing here marks user data safe.
        for (name, text) in [
            ("base.html", include_str!("templates/base.html")),
            ("login.html", include_str!("templates/login.html")),
            ("signed_in.html", include_str!("templates/signed_in.html")),
            (
                "to_provider.html",
                include_str!("templates/to_provider.html"),
            ),
            ("audits.html", include_str!("templates/audits.html")),
            ("new_audit.html", include_str!("templates/new_audit.html")),
            ("audit.html", include_str!("templates/audit.html")),
            ("finding.html", include_str!("templates/finding.html")),
            ("security.html", include_str!("templates/security.html")),
            ("account.html", include_str!("templates/account.html")),
            ("usage.html", include_str!("templates/usage.html")),
            ("incidents.html", include_str!("templates/incidents.html")),
            ("incident.html", include_str!("templates/incident.html")),
            ("monitors.html", include_str!("templates/monitors.html")),
            ("compliance.html", include_str!("templates/compliance.html")),
            ("error.html", include_str!("templates/error.html")),
        ] {
            env.add_template(name, text)
                .expect("the dashboard templates compile");
        }
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
        env
    })
}

/// Renders a page with the dashboard's security policy.
fn render(status: StatusCode, name: &str, context: serde_json::Value) -> Response {
    let html = templates()
        .get_template(name)
        .and_then(|template| template.render(minijinja::value::Serde(&context)));
    match html {
        Ok(html) => (
            status,
            [
                (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                (header::CONTENT_SECURITY_POLICY, PAGE_CSP),
            ],
            html,
        )
            .into_response(),
        Err(error) => {
            tracing::error!(%error, template = name, "cannot render a dashboard page");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                "the page could not be rendered; see the server log",
            )
                .into_response()
        }
    }
}

/// Why a page was not shown.
#[derive(Debug)]
pub(crate) enum PageError {
    /// No live session: go to the sign-in page.
    SignIn,
    /// The tenant requires a second factor the user has not set up: go to the account
    /// page, the only one such a session opens.
    Enrol,
    Refused {
        status: StatusCode,
        title: &'static str,
        message: String,
        retry_after: Option<u64>,
    },
}

impl PageError {
    fn new(status: StatusCode, title: &'static str, message: impl Into<String>) -> Self {
        PageError::Refused {
            status,
            title,
            message: message.into(),
            retry_after: None,
        }
    }

    fn not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "Not found",
            format!("{what} not found"),
        )
    }
}

impl From<ApiError> for PageError {
    fn from(error: ApiError) -> Self {
        if let Some(internal) = &error.internal {
            tracing::error!(problem = error.slug, error = %internal, "dashboard request failed");
        }
        PageError::Refused {
            status: error.status,
            title: error.title,
            message: error.detail,
            retry_after: error.retry_after,
        }
    }
}

impl From<store::StoreError> for PageError {
    fn from(error: store::StoreError) -> Self {
        ApiError::from(error).into()
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        match self {
            PageError::SignIn => Redirect::to("/login").into_response(),
            PageError::Enrol => Redirect::to("/account").into_response(),
            PageError::Refused {
                status,
                title,
                message,
                retry_after,
            } => {
                let mut response = render(
                    status,
                    "error.html",
                    page! {
                        css => stylesheet_url(),
                        me => (),
                        nav => "",
                        status => status.as_u16(),
                        title => title,
                        message => message,
                    },
                );
                if let Some(secs) = retry_after {
                    response
                        .headers_mut()
                        .insert(header::RETRY_AFTER, HeaderValue::from(secs));
                }
                response
            }
        }
    }
}

type PageResult<T = Response> = Result<T, PageError>;
