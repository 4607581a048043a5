//! Single sign-on pages: the sign-in page's provider buttons post to [`start`], whose page
//! sends the browser on to the provider; the provider sends it back to [`callback`], which
//! opens a session (see `crate::sso` for the checks).

use std::sync::Arc;

use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;

use super::pages::{CsrfForm, bad_form, check_login_form, login_page, open_session};
use super::session;
use super::{PageResult, render, stylesheet_url};
use crate::sso::{self, CallbackQuery, SsoError};
use crate::state::AppState;

/// The sign-in page again, with why single sign-on did not sign in.
fn refused(state: &AppState, error: &SsoError) -> Response {
    let status = match error {
        SsoError::UnknownProvider(_) => StatusCode::NOT_FOUND,
        SsoError::Unreachable(_) => StatusCode::BAD_GATEWAY,
        SsoError::Internal(e) => e.status,
        SsoError::NoMappedGroup | SsoError::Disabled(_) | SsoError::DomainNotAllowed(_) => {
            StatusCode::FORBIDDEN
        }
        _ => StatusCode::UNAUTHORIZED,
    };
    let message = match error {
        // The detail is in the server log; the page does not show internals.
        SsoError::Internal(e) if e.status.is_server_error() => {
            "single sign-on failed on this server; see its log".to_owned()
        }
        other => format!("Single sign-on refused: {other}."),
    };
    login_page(state, status, "", Some(&message))
}

/// `POST /login/sso/{name}`: begins a sign-in at the provider.
pub(crate) async fn start(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    headers: HeaderMap,
    form: Result<Form<CsrfForm>, FormRejection>,
) -> PageResult {
    let Form(form) = form.map_err(bad_form)?;
    check_login_form(&state, &headers, &form.csrf, "single sign-on").await?;
    match sso::start(&state, &name).await {
        Ok(started) => {
            // A page that goes on to the provider rather than a redirect: the dashboard's
            // `form-action 'self'` also governs where a form's redirects may lead.
            let label = state
                .settings
                .sso
                .get(&name)
                .map_or(name.as_str(), |provider| provider.label(&name));
            let mut response = render(
                StatusCode::OK,
                "to_provider.html",
                page! {
                    css => stylesheet_url(),
                    me => (),
                    nav => "login",
                    authorize_url => started.authorize_url,
                    label => label,
                },
            );
            let settings = &state.settings;
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, "no-store".parse().expect("valid"));
            response.headers_mut().append(
                header::SET_COOKIE,
                session::set_lax_cookie(
                    settings,
                    session::sso_cookie(settings),
                    &started.browser_token,
                    sso::LOGIN_TTL_SECS,
                ),
            );
            Ok(response)
        }
        Err(error) => {
            let attempt = sso::Attempt::anonymous(&state, &name);
            sso::record_refusal(&state, &name, &attempt, &error).await?;
            Ok(refused(&state, &error))
        }
    }
}

/// `GET /login/sso/{name}/callback`: the provider's answer.
pub(crate) async fn callback(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    headers: HeaderMap,
    query: Result<Query<CallbackQuery>, QueryRejection>,
) -> PageResult {
    // A query that does not parse (a repeated parameter, say) is read as an empty one,
    // which is then refused for what it lacks.
    let query = query.map(|Query(q)| q).unwrap_or_default();
    let settings = &state.settings;
    let browser = session::cookie(&headers, session::sso_cookie(settings));
    let signed_in = match sso::finish(&state, &name, &query, browser).await {
        Ok(signed_in) => signed_in,
        Err(error) => return Ok(refused(&state, &error)),
    };
    let cookie = open_session(&state, &signed_in.user).await?;
    // The session cookie is `SameSite=Strict`: a browser does not send it on a navigation
    // another site started, redirects included, so the way on is a page of this site.
    let mut response = render(
        StatusCode::OK,
        "signed_in.html",
        page! {
            css => stylesheet_url(),
            me => (),
            nav => "login",
            next => "/audits",
            created => signed_in.created,
        },
    );
    let headers = response.headers_mut();
    headers.append(header::SET_COOKIE, cookie);
    headers.append(
        header::SET_COOKIE,
        session::set_lax_cookie(settings, session::sso_cookie(settings), "", 0),
    );
    headers.insert(header::CACHE_CONTROL, "no-store".parse().expect("valid"));
    Ok(response)
}
