//! The account page: the signed-in user's second factor. Setting one up shows the secret
//! (and its `otpauth://` URI for the app) and asks for a first code; the recovery codes are
//! shown once, on the page that confirms it. Removing takes a valid code. The same
//! operations as the API's (`handlers::second_factor`), with the dashboard's CSRF checks.

use std::sync::Arc;

use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;

use super::pages::{bad_form, me};
use super::session::SignedIn;
use super::{PageResult, render, stylesheet_url};
use crate::handlers::admin::{NewKey, issue_api_key};
use crate::handlers::second_factor;
use crate::state::AppState;
use crate::timestamp::now_ms;

#[derive(Deserialize)]
pub(crate) struct CodeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    code: String,
}

/// What the page shows besides the status.
#[derive(Default)]
struct Shown<'a> {
    /// A personal API key just made: its view with the key itself, shown once.
    new_key: Option<serde_json::Value>,
    /// An enrolment just started: the secret and its URI.
    enrolment: Option<(String, String)>,
    /// Recovery codes of an enrolment just confirmed.
    recovery_codes: Vec<String>,
    error: Option<&'a str>,
    notice: Option<&'a str>,
}

async fn page(
    state: &AppState,
    signed_in: &SignedIn,
    status: StatusCode,
    shown: Shown<'_>,
) -> PageResult {
    let factor = second_factor::status(state, &signed_in.principal).await?;
    let keys: Vec<serde_json::Value> = own_keys(state, signed_in)
        .await?
        .iter()
        .map(|k| {
            let mut view = crate::handlers::api_key_view(k);
            view["live"] = serde_json::Value::Bool(
                k.revoked_at.is_none() && k.expires_at.is_none_or(|e| e > now_ms()),
            );
            view
        })
        .collect();
    Ok(render(
        status,
        "account.html",
        page! {
            css => stylesheet_url(),
            me => me(signed_in),
            nav => "account",
            factor => factor,
            enrolment => shown.enrolment.map(|(secret, uri)| serde_json::json!({ "secret": secret, "uri": uri })),
            recovery_codes => shown.recovery_codes,
            keys => keys,
            new_key => shown.new_key,
            error => shown.error,
            notice => shown.notice,
        },
    ))
}

pub(crate) async fn account(State(state): State<Arc<AppState>>, signed_in: SignedIn) -> PageResult {
    page(&state, &signed_in, StatusCode::OK, Shown::default()).await
}

pub(crate) async fn start(
    State(state): State<Arc<AppState>>,
    signed_in: SignedIn,
    headers: HeaderMap,
    form: Result<Form<CodeForm>, FormRejection>,
) -> PageResult {
    let Form(form) = form.map_err(bad_form)?;
    signed_in
        .check_post(&state, &headers, &form.csrf, "set up a second factor")
        .await?;
    let begun = second_factor::begin(&state, &signed_in.user)
        .await
        .map(|enrolment| Shown {
            enrolment: Some(enrolment),
            ..Shown::default()
        });
    answer(&state, &signed_in, begun).await
}

/// The page after a form: what it shows on success, or the refusal (a client error) on
/// the page; a server error is an error page.
async fn answer(
    state: &AppState,
    signed_in: &SignedIn,
    outcome: Result<Shown<'_>, crate::error::ApiError>,
) -> PageResult {
    match outcome {
        Ok(shown) => page(state, signed_in, StatusCode::OK, shown).await,
        Err(error) if error.status.is_client_error() => {
            let shown = Shown {
                error: Some(&error.detail),
                ..Shown::default()
            };
            page(state, signed_in, error.status, shown).await
        }
        Err(error) => Err(error.into()),
    }
}

pub(crate) async fn confirm(
    State(state): State<Arc<AppState>>,
    signed_in: SignedIn,
    headers: HeaderMap,
    form: Result<Form<CodeForm>, FormRejection>,
) -> PageResult {
    let Form(form) = form.map_err(bad_form)?;
    signed_in
        .check_post(&state, &headers, &form.csrf, "confirm a second factor")
        .await?;
    let actor = signed_in.principal.actor.clone();
    let finished = second_factor::finish(&state, &signed_in.user, &actor, &form.code)
        .await
        .map(|codes| Shown {
            recovery_codes: codes,
            notice: Some("Your second factor is set up. Keep these recovery codes somewhere safe: each signs in once in place of a code, and they are not shown again."),
            ..Shown::default()
        });
    answer(&state, &signed_in, finished).await
}

pub(crate) async fn remove(
    State(state): State<Arc<AppState>>,
    signed_in: SignedIn,
    headers: HeaderMap,
    form: Result<Form<CodeForm>, FormRejection>,
) -> PageResult {
    let Form(form) = form.map_err(bad_form)?;
    signed_in
        .check_post(&state, &headers, &form.csrf, "remove a second factor")
        .await?;
    let actor = signed_in.principal.actor.clone();
    match second_factor::drop_factor(&state, &signed_in.user, &actor, &form.code).await {
        Ok(()) => Ok(Redirect::to("/account").into_response()),
        Err(error) => answer(&state, &signed_in, Err(error)).await,
    }
}

/// The signed-in user's own API keys, newest first.
async fn own_keys(state: &AppState, signed_in: &SignedIn) -> PageResult<Vec<store::ApiKey>> {
    let mut keys: Vec<store::ApiKey> = state
        .store
        .list_api_keys(&signed_in.user.tenant_id)
        .await?
        .into_iter()
        .filter(|k| k.user_id.as_deref() == Some(signed_in.user.id.as_str()))
        .collect();
    keys.sort_by_key(|k| std::cmp::Reverse(k.created_at));
    Ok(keys)
}

#[derive(Deserialize)]
pub(crate) struct KeyForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    /// Days until it expires; empty: 90.
    #[serde(default)]
    expires_in_days: String,
}

/// `POST /account/keys`: a personal API key, with the user's own role. It can never do
/// more than its owner: it acts with the owner's current permissions and stops when the
/// owner is disabled. Any signed-in user may make one (the way to the API for accounts
/// of single sign-on, which have no password).
pub(crate) async fn create_key(
    State(state): State<Arc<AppState>>,
    signed_in: SignedIn,
    headers: HeaderMap,
    form: Result<Form<KeyForm>, FormRejection>,
) -> PageResult {
    let Form(form) = form.map_err(bad_form)?;
    signed_in
        .check_post(&state, &headers, &form.csrf, "create a personal API key")
        .await?;
    let days = form.expires_in_days.trim();
    let expires_in_days = if days.is_empty() {
        Ok(90)
    } else {
        days.parse::<u32>().map_err(|_| {
            crate::error::ApiError::unprocessable(
                "invalid-request",
                "Invalid request",
                "the lifetime must be a whole number of days",
            )
        })
    };
    let made = match expires_in_days {
        Ok(days) => {
            let key = NewKey {
                tenant_id: signed_in.user.tenant_id.clone(),
                user_id: Some(signed_in.user.id.clone()),
                name: form.name,
                role: signed_in.user.role.clone(),
                expires_in_days: Some(days),
                scopes: None,
            };
            issue_api_key(&state, &signed_in.principal.actor, key).await
        }
        Err(error) => Err(error),
    };
    let shown = made.map(|view| Shown {
        new_key: Some(view),
        notice: Some("Your API key is below. Copy it now: it is not shown again."),
        ..Shown::default()
    });
    answer(&state, &signed_in, shown).await
}

/// `POST /account/keys/{id}/revoke`: revokes one of the user's own keys.
pub(crate) async fn revoke_key(
    State(state): State<Arc<AppState>>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    headers: HeaderMap,
    form: Result<Form<CodeForm>, FormRejection>,
) -> PageResult {
    let Form(form) = form.map_err(bad_form)?;
    signed_in
        .check_post(&state, &headers, &form.csrf, "revoke a personal API key")
        .await?;
    if !own_keys(&state, &signed_in)
        .await?
        .iter()
        .any(|k| k.id == id)
    {
        return Err(super::PageError::not_found("API key"));
    }
    if let Some(key) = state
        .store
        .revoke_api_key(&signed_in.user.tenant_id, &id, now_ms())
        .await?
    {
        state
            .record(
                Some(&key.tenant_id),
                &signed_in.principal.actor,
                "api_key.revoked",
                Some(&key.id),
                "success",
                serde_json::json!({ "name": key.name, "via": "dashboard" }),
            )
            .await?;
    }
    Ok(Redirect::to("/account").into_response())
}
