//! The account page: the signed-in user's second factor. Setting one up shows the secret
//! (and its `otpauth://` URI for the app) and asks for a first code; the recovery codes are
//! shown once, on the page that confirms it. Removing takes a valid code. The same
//! operations as the API's (`handlers::second_factor`), with the dashboard's CSRF checks.

use std::sync::Arc;

use axum::extract::rejection::FormRejection;
use axum::extract::{Form, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;

use super::pages::{bad_form, me};
use super::session::SignedIn;
use super::{PageResult, render, stylesheet_url};
use crate::handlers::second_factor;
use crate::state::AppState;

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
