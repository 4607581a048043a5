//! The compliance page (admins): a signed evidence pack of the tenant for a period, as
//! `web3audit compliance report` makes it (`crate::compliance`).

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde::Deserialize;

use super::pages::me;
use super::session::SignedIn;
use super::{PageError, PageResult, render, stylesheet_url};
use crate::compliance::{self, PackRequest};
use crate::error::ApiError;
use crate::state::AppState;
use crate::timestamp::{day_start_ms, now_ms, rfc3339};

const DAY_MS: i64 = 86_400_000;

pub(crate) async fn page(State(state): State<Arc<AppState>>, signed_in: SignedIn) -> PageResult {
    state
        .require(
            &signed_in.principal,
            "compliance.export",
            "make compliance packs",
        )
        .await?;
    let today = &rfc3339(now_ms())[..10];
    let month_ago = &rfc3339(now_ms() - 30 * DAY_MS)[..10];
    Ok(render(
        StatusCode::OK,
        "compliance.html",
        page! {
            css => stylesheet_url(),
            me => me(&signed_in),
            nav => "compliance",
            from => month_ago,
            to => today,
            controls => compliance::controls(),
        },
    ))
}

#[derive(Deserialize)]
pub(crate) struct PackQuery {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    format: String,
}

/// The pack as a download: the days `from` to `to`, both included (UTC).
pub(crate) async fn pack(
    State(state): State<Arc<AppState>>,
    signed_in: SignedIn,
    Query(query): Query<PackQuery>,
) -> PageResult {
    state
        .require(
            &signed_in.principal,
            "compliance.export",
            "make compliance packs",
        )
        .await?;
    let bad = |message: String| PageError::new(StatusCode::BAD_REQUEST, "Invalid period", message);
    let (Some(from_ms), Some(to_day)) = (day_start_ms(&query.from), day_start_ms(&query.to)) else {
        return Err(bad("`from` and `to` are days, written YYYY-MM-DD".into()));
    };
    let to_ms = to_day + DAY_MS;
    if from_ms >= to_ms {
        return Err(bad("`from` must not be after `to`".into()));
    }
    let pdf = match query.format.as_str() {
        "" | "pdf" => true,
        "json" => false,
        _ => return Err(bad("the format is `pdf` or `json`".into())),
    };
    let request = PackRequest {
        tenant_id: signed_in.principal.tenant_id.clone(),
        from_ms,
        to_ms,
        generated_by: signed_in.principal.actor.clone(),
    };
    let pack = compliance::build(state.store.as_ref(), &state.signer, &request, now_ms())
        .await
        .map_err(ApiError::internal)?;
    let key = compliance::pack_key(&state.settings, &state.secret).map_err(ApiError::internal)?;
    let (bytes, content_type, extension) = if pdf {
        (
            compliance::signed_pdf(&pack, &key),
            "application/pdf",
            "pdf",
        )
    } else {
        (
            compliance::signed_json(&pack, &key),
            "application/json",
            "json",
        )
    };
    compliance::record(
        state.store.as_ref(),
        &state.signer,
        &request,
        extension,
        &bytes,
    )
    .await
    .map_err(ApiError::from)?;
    let disposition = format!(
        "attachment; filename=\"compliance-{}-{}.{extension}\"",
        query.from, query.to
    );
    Ok((
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response())
}
