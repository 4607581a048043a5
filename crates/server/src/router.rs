//! All routes in one place, and the layers every response passes through.

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, patch, post, put};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};

use crate::error::ApiError;
use crate::handlers::{
    admin, alerts, audits, auth, findings, health, incidents, monitors, openapi, roles,
    second_factor, suggestions, webhooks,
};
use crate::state::AppState;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

pub(crate) fn router(state: Arc<AppState>) -> Router {
    let operations = Router::new()
        .route("/health", get(health::live))
        .route("/health/live", get(health::live))
        .route("/health/ready", get(health::ready))
        .route("/health/detailed", get(health::detailed))
        .route("/metrics", get(health::metrics));
    // A worker node answers health and metrics only.
    let routes = if state.role.runs_api() {
        api_routes()
            .merge(operations)
            // The web dashboard (pages at `/`).
            .merge(crate::dashboard::routes())
    } else {
        operations
    };
    let api = routes
        .route_layer(middleware::from_fn_with_state(state.clone(), track_metrics))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(state.settings.max_body_bytes))
        .with_state(state);

    let security_headers = [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
        (
            header::STRICT_TRANSPORT_SECURITY,
            "max-age=31536000; includeSubDomains",
        ),
        (
            HeaderName::from_static("cross-origin-resource-policy"),
            "same-origin",
        ),
    ];
    let mut app = api;
    for (name, value) in security_headers {
        app = app.layer(SetResponseHeaderLayer::overriding(
            name,
            HeaderValue::from_static(value),
        ));
    }
    // A handler may set a narrower policy of its own (HTML reports allow inline styles).
    app = app.layer(SetResponseHeaderLayer::if_not_present(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
    ));
    app.layer(SetResponseHeaderLayer::if_not_present(header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(
            TraceLayer::new_for_http().make_span_with(|request: &Request| {
                let request_id = request.headers().get(&REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("");
                // The path only: query strings and headers (credentials) are never logged.
                tracing::info_span!("request", method = %request.method(), path = %request.uri().path(), request_id = %request_id)
            })
            .on_response(DefaultOnResponse::new().level(tracing::Level::INFO)),
        )
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
}

/// The `/api/v1` routes, served by API nodes.
fn api_routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/v1/openapi.json", get(openapi::document))
        .route("/api/v1/auth/login", post(auth::login))
        .route("/api/v1/me", get(admin::me))
        .route(
            "/api/v1/me/second-factor",
            post(second_factor::start).delete(second_factor::remove),
        )
        .route(
            "/api/v1/me/second-factor/confirm",
            post(second_factor::confirm),
        )
        .route(
            "/api/v1/tenants/{id}/second-factor-policy",
            put(second_factor::set_policy),
        )
        .route("/api/v1/audits", post(audits::submit).get(audits::list))
        .route("/api/v1/audits/{id}", get(audits::get))
        .route("/api/v1/audits/{id}/cancel", post(audits::cancel))
        .route("/api/v1/audits/{id}/findings", get(audits::findings))
        .route("/api/v1/audits/{id}/report", get(audits::report))
        .route("/api/v1/findings/{id}", get(findings::get))
        .route("/api/v1/findings/{id}/triage", post(findings::triage))
        .route(
            "/api/v1/findings/{id}/suggestions",
            get(suggestions::list).post(suggestions::request),
        )
        .route(
            "/api/v1/tenants/{id}/assistant",
            get(suggestions::get_settings).put(suggestions::put_settings),
        )
        .route(
            "/api/v1/tenants",
            get(admin::list_tenants).post(admin::create_tenant),
        )
        .route(
            "/api/v1/tenants/{id}",
            get(admin::get_tenant).patch(admin::update_tenant),
        )
        .route(
            "/api/v1/users",
            get(admin::list_users).post(admin::create_user),
        )
        .route("/api/v1/users/{id}", patch(admin::update_user))
        .route(
            "/api/v1/users/{id}/sessions",
            delete(admin::revoke_sessions),
        )
        .route("/api/v1/roles", get(roles::list).post(roles::create))
        .route("/api/v1/roles/{name}", delete(roles::delete))
        .route(
            "/api/v1/users/{id}/second-factor",
            delete(second_factor::reset),
        )
        .route(
            "/api/v1/api-keys",
            get(admin::list_api_keys).post(admin::create_api_key),
        )
        .route(
            "/api/v1/api-keys/{id}",
            axum::routing::delete(admin::revoke_api_key),
        )
        .route("/api/v1/api-keys/{id}/rotate", post(admin::rotate_api_key))
        .route("/api/v1/audit-log", get(admin::audit_log))
        // Webhooks.
        .route(
            "/api/v1/webhooks",
            get(webhooks::list).post(webhooks::create),
        )
        .route(
            "/api/v1/webhooks/{id}",
            get(webhooks::get)
                .patch(webhooks::update)
                .delete(webhooks::delete),
        )
        .route("/api/v1/webhooks/{id}/test", post(webhooks::test))
        .route(
            "/api/v1/webhooks/{id}/deliveries",
            get(webhooks::deliveries),
        )
        // Alerts
        .route("/api/v1/alerts", get(alerts::list))
        .route("/api/v1/alerts/{id}", get(alerts::get))
        .route("/api/v1/alerts/{id}/ack", post(alerts::acknowledge))
        // Monitors and the incidents their alerts open.
        .route(
            "/api/v1/monitors",
            get(monitors::list).post(monitors::create),
        )
        .route(
            "/api/v1/monitors/{id}",
            get(monitors::get)
                .patch(monitors::update)
                .delete(monitors::delete),
        )
        .route("/api/v1/monitors/{id}/events", get(monitors::events))
        .route("/api/v1/incidents", get(incidents::list))
        .route(
            "/api/v1/incidents/{id}",
            get(incidents::get).patch(incidents::update),
        )
        .route("/api/v1/incidents/{id}/comments", post(incidents::comment))
}

async fn track_metrics(
    State(state): State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let method = request.method().to_string();
    let response = next.run(request).await;
    state.metrics.http(
        &method,
        &route,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}

async fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not-found",
        "Not found",
        "no such route",
    )
}

async fn method_not_allowed() -> Response {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method-not-allowed",
        "Method not allowed",
        "this route does not accept that method",
    )
    .into_response()
}
