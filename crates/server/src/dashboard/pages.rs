//! The dashboard's pages and form handlers.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};

use super::session::{
    self, LOGIN_PURPOSE, MaybeSignedIn, SignedIn, derived_token, forged, same_origin, tokens_match,
};
use super::{PageError, PageResult, chart, render, source, stylesheet_url};
use crate::analyzer::SEVERITIES;
use crate::error::ApiError;
use crate::handlers::audits::{Created, MAX_PROJECT_LEN, Submission, create_audit};
use crate::handlers::auth::{LoginRefused, check_password};
use crate::handlers::findings::apply_triage;
use crate::state::AppState;
use crate::submission::{self, Limits};
use crate::timestamp::{now_ms, rfc3339};

/// Audits per page of the list.
const PAGE_SIZE: i64 = 50;
/// Findings shown on an audit page; the API pages through larger audits.
const MAX_FINDINGS_SHOWN: i64 = 5_000;
/// Length of the sign-in form's validity.
const LOGIN_FORM_SECS: u64 = 3600;

/// What every page's header needs to know about the signed-in user.
#[derive(Serialize)]
pub(super) struct Me {
    email: String,
    role: String,
    csrf: String,
    can_submit: bool,
    can_read_trail: bool,
    can_export_compliance: bool,
    can_manage_monitors: bool,
}

pub(super) fn me(signed_in: &SignedIn) -> Me {
    Me {
        email: signed_in.user.email.clone(),
        role: signed_in.principal.role.clone(),
        csrf: signed_in.csrf.clone(),
        can_submit: signed_in.can("audit.submit"),
        can_read_trail: signed_in.can("trail.read"),
        can_export_compliance: signed_in.can("compliance.export"),
        can_manage_monitors: signed_in.can("monitor.manage"),
    }
}

/// `2026-11-23 15:47 UTC`.
pub(super) fn when(ms: i64) -> String {
    let text = rfc3339(ms);
    format!("{} {} UTC", &text[..10], &text[11..16])
}

pub(super) fn short(id: &str) -> &str {
    id.get(..8).unwrap_or(id)
}

pub(crate) async fn home(MaybeSignedIn(signed_in): MaybeSignedIn) -> Redirect {
    Redirect::to(if signed_in.is_some() {
        "/audits"
    } else {
        "/login"
    })
}

// Sign-in and sign-out.

pub(super) fn login_page(
    state: &AppState,
    status: StatusCode,
    email: &str,
    error: Option<&str>,
) -> Response {
    // A fresh nonce per form, in a cookie; the form carries a MAC of it, so that another
    // site cannot sign this browser into an account of its choosing.
    let nonce = session::new_token();
    let mut response = render(
        status,
        "login.html",
        page! {
            css => stylesheet_url(),
            me => (),
            nav => "login",
            csrf => derived_token(state, LOGIN_PURPOSE, &nonce),
            email => email,
            error => error,
            providers => state
                .settings
                .sso
                .iter()
                .map(|(name, p)| serde_json::json!({ "name": name, "label": p.label(name) }))
                .collect::<Vec<_>>(),
        },
    );
    response.headers_mut().append(
        header::SET_COOKIE,
        session::set_cookie(
            &state.settings,
            session::login_cookie(&state.settings),
            &nonce,
            LOGIN_FORM_SECS,
        ),
    );
    response
}

pub(crate) async fn login_form(
    State(state): State<Arc<AppState>>,
    MaybeSignedIn(signed_in): MaybeSignedIn,
) -> Response {
    if signed_in.is_some() {
        return Redirect::to("/audits").into_response();
    }
    login_page(&state, StatusCode::OK, "", None)
}

#[derive(Deserialize)]
pub(crate) struct LoginForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    /// The second factor, when the user has one.
    #[serde(default)]
    code: String,
}

pub(super) fn bad_form(rejection: FormRejection) -> PageError {
    PageError::new(
        StatusCode::BAD_REQUEST,
        "Unreadable form",
        rejection.body_text(),
    )
}

pub(crate) async fn login(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    form: Result<Form<LoginForm>, FormRejection>,
) -> PageResult {
    let Form(form) = form.map_err(bad_form)?;
    check_login_form(&state, &headers, &form.csrf, "sign in").await?;
    let email = form.email.trim().to_ascii_lowercase();
    let code = Some(form.code.as_str()).filter(|c| !c.trim().is_empty());
    let (user, must_enrol) = match check_password(&state, &email, form.password, code, "dashboard")
        .await?
    {
        Ok(signed_in) => (signed_in.user, signed_in.must_enrol),
        Err(LoginRefused::SecondFactorRequired) => {
            return Ok(login_page(
                &state,
                StatusCode::UNAUTHORIZED,
                &email,
                Some(
                    "This account signs in with a second factor: enter the code from your authenticator app, or a recovery code.",
                ),
            ));
        }
        Err(LoginRefused::InvalidSecondFactor) => {
            return Ok(login_page(
                &state,
                StatusCode::UNAUTHORIZED,
                &email,
                Some("The code is wrong or was already used."),
            ));
        }
        Err(LoginRefused::RateLimited(retry)) => {
            let mut response = login_page(
                &state,
                StatusCode::TOO_MANY_REQUESTS,
                &email,
                Some(&format!(
                    "Too many sign-in attempts for this email; try again in {retry} seconds."
                )),
            );
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, retry.into());
            return Ok(response);
        }
        Err(LoginRefused::InvalidCredentials) => {
            return Ok(login_page(
                &state,
                StatusCode::UNAUTHORIZED,
                &email,
                Some("The email or password is wrong, or the account is disabled."),
            ));
        }
    };
    // A user who must set up a second factor goes where that is done.
    let mut response =
        Redirect::to(if must_enrol { "/account" } else { "/audits" }).into_response();
    let cookie = open_session(&state, &user).await?;
    let settings = &state.settings;
    let headers = response.headers_mut();
    headers.append(header::SET_COOKIE, cookie);
    headers.append(
        header::SET_COOKIE,
        session::set_cookie(settings, session::login_cookie(settings), "", 0),
    );
    Ok(response)
}

/// Checks a post of the sign-in form (and of the single sign-on buttons on it): origin,
/// then the MAC of the form's cookie. A refusal is recorded and answered 403.
pub(super) async fn check_login_form(
    state: &AppState,
    headers: &HeaderMap,
    csrf: &str,
    attempted: &str,
) -> Result<(), PageError> {
    let nonce = session::cookie(headers, session::login_cookie(&state.settings));
    let genuine =
        nonce.is_some_and(|n| tokens_match(&derived_token(state, LOGIN_PURPOSE, n), csrf));
    if same_origin(headers) && genuine {
        return Ok(());
    }
    state
        .record_denial(
            None,
            "anonymous",
            "csrf.rejected",
            None,
            serde_json::json!({ "attempted": attempted }),
        )
        .await;
    Err(forged())
}

/// Opens a dashboard session for `user`; returns the cookie that carries it.
pub(super) async fn open_session(
    state: &AppState,
    user: &store::User,
) -> PageResult<header::HeaderValue> {
    let now = now_ms();
    let ttl = state.settings.dashboard_session_ttl_secs;
    let token = session::new_token();
    state
        .store
        .create_dashboard_session(&store::DashboardSession {
            token_hash: session::token_hash(&token),
            tenant_id: user.tenant_id.clone(),
            user_id: user.id.clone(),
            created_at: now,
            expires_at: now + ttl as i64 * 1000,
            revoked_at: None,
        })
        .await?;
    // Expired sessions are of no use to anyone: sweep them now and then.
    if now % 16 == 0
        && let Err(error) = state.store.delete_expired_dashboard_sessions(now).await
    {
        tracing::warn!(%error, "cannot delete expired dashboard sessions");
    }
    let settings = &state.settings;
    Ok(session::set_cookie(
        settings,
        session::session_cookie(settings),
        &token,
        ttl,
    ))
}

#[derive(Deserialize)]
pub(crate) struct CsrfForm {
    #[serde(default)]
    pub(super) csrf: String,
}

pub(crate) async fn logout(
    State(state): State<Arc<AppState>>,
    signed_in: SignedIn,
    headers: HeaderMap,
    form: Result<Form<CsrfForm>, FormRejection>,
) -> PageResult {
    let Form(form) = form.map_err(bad_form)?;
    signed_in
        .check_post(&state, &headers, &form.csrf, "sign out")
        .await?;
    state
        .store
        .revoke_dashboard_session(&signed_in.token_hash, now_ms())
        .await?;
    state
        .record(
            Some(&signed_in.principal.tenant_id),
            &signed_in.principal.actor,
            "logout",
            None,
            "success",
            serde_json::json!({ "via": "dashboard" }),
        )
        .await?;
    let mut response = Redirect::to("/login").into_response();
    let settings = &state.settings;
    response.headers_mut().append(
        header::SET_COOKIE,
        session::set_cookie(settings, session::session_cookie(settings), "", 0),
    );
    Ok(response)
}

// Audits.

#[derive(Serialize)]
struct AuditRow {
    id: String,
    short_id: String,
    project: Option<String>,
    status: String,
    counts: Vec<i64>,
    total: Option<i64>,
    files: i64,
    /// The deployed contract audited, as `ADDRESS on CHAIN at BLOCK`.
    target: Option<String>,
    created: String,
    created_by: String,
}

fn audit_row(audit: &store::Audit) -> AuditRow {
    AuditRow {
        id: audit.id.clone(),
        short_id: short(&audit.id).to_string(),
        project: audit.project.clone(),
        status: audit.status.clone(),
        counts: SEVERITIES
            .iter()
            .map(|s| {
                audit
                    .counts
                    .as_ref()
                    .and_then(|c| c.get(*s).copied())
                    .unwrap_or(0)
            })
            .collect(),
        total: audit.counts.as_ref().map(|c| c.values().sum()),
        files: audit.file_count,
        target: audit.target.as_ref().map(|t| {
            let block = t
                .block
                .map_or_else(|| "the latest block".to_owned(), |b| format!("block {b}"));
            format!("{} on {} at {block}", t.address, t.chain)
        }),
        created: when(audit.created_at),
        created_by: audit.created_by.clone(),
    }
}

#[derive(Deserialize)]
pub(crate) struct AuditsQuery {
    /// Show audits older than this id.
    before: Option<String>,
}

pub(crate) async fn audits(
    State(state): State<Arc<AppState>>,
    signed_in: SignedIn,
    Query(query): Query<AuditsQuery>,
) -> PageResult {
    let filter = store::AuditFilter {
        before_id: query.before.clone().filter(|b| !b.is_empty()),
        limit: PAGE_SIZE + 1,
        ..Default::default()
    };
    let mut audits = state
        .store
        .list_audits(&signed_in.principal.tenant_id, &filter)
        .await?;
    let older = if audits.len() as i64 > PAGE_SIZE {
        audits.truncate(PAGE_SIZE as usize);
        audits.last().map(|a| a.id.clone())
    } else {
        None
    };
    let rows: Vec<AuditRow> = audits.iter().map(audit_row).collect();
    Ok(render(
        StatusCode::OK,
        "audits.html",
        page! {
            css => stylesheet_url(),
            me => me(&signed_in),
            nav => "audits",
            audits => rows,
            severities => SEVERITIES,
            older => older,
            paged => query.before.is_some(),
        },
    ))
}

#[derive(Default, Serialize)]
struct SubmitFields {
    project: String,
    file_name: String,
    source: String,
    /// A deployed contract instead of sources.
    address: String,
    chain: String,
    block: String,
    /// Other analyzers to run beside ours (checkboxes; those of the tenant's plan).
    tools: Vec<String>,
}

/// The other analyzers the signed-in user's tenant may add to an audit.
async fn plan_tools(state: &AppState, signed_in: &SignedIn) -> Vec<String> {
    state
        .tenant_plan(&signed_in.principal.tenant_id)
        .await
        .map(|plan| plan.tools)
        .unwrap_or_default()
}

async fn new_audit_page(
    state: &AppState,
    signed_in: &SignedIn,
    status: StatusCode,
    fields: &SubmitFields,
    error: Option<&str>,
) -> Response {
    let settings = &state.settings;
    let tools = plan_tools(state, signed_in).await;
    render(
        status,
        "new_audit.html",
        page! {
            css => stylesheet_url(),
            me => me(signed_in),
            nav => "new",
            fields => fields,
            error => error,
            max_project => MAX_PROJECT_LEN,
            extensions => settings.allowed_extensions.join(", "),
            accept => accept_list(&settings.allowed_extensions),
            max_body_mib => format!("{:.0}", settings.max_body_bytes as f64 / (1024.0 * 1024.0)),
            max_files => settings.max_files,
            chains => settings.chains,
            tools => tools,
        },
    )
}

fn accept_list(extensions: &[String]) -> String {
    let mut accept: Vec<String> = extensions.to_vec();
    accept.extend([".zip", ".tar.gz", ".tgz"].map(String::from));
    accept.join(",")
}

pub(crate) async fn new_audit(
    State(state): State<Arc<AppState>>,
    signed_in: SignedIn,
) -> PageResult {
    if !signed_in.can("audit.submit") {
        return Err(PageError::new(
            StatusCode::FORBIDDEN,
            "Permission denied",
            "submitting audits needs the `audit.submit` permission",
        ));
    }
    Ok(new_audit_page(
        &state,
        &signed_in,
        StatusCode::OK,
        &SubmitFields::default(),
        None,
    )
    .await)
}

/// The parts of a submission form.
#[derive(Default)]
struct SubmitForm {
    csrf: String,
    fields: SubmitFields,
    /// Uploaded files: `(file name, bytes)`.
    uploads: Vec<(String, Vec<u8>)>,
}

async fn read_submit_form(mut multipart: Multipart) -> Result<SubmitForm, ApiError> {
    let unreadable = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body-too-large",
                "Request body too large",
                e.body_text(),
            )
        } else {
            ApiError::bad_request("invalid-body", "Unreadable form", e.body_text())
        }
    };
    let mut form = SubmitForm::default();
    while let Some(field) = multipart.next_field().await.map_err(unreadable)? {
        let name = field.name().unwrap_or("").to_string();
        match name.as_str() {
            "files" => {
                let file_name = field.file_name().unwrap_or("").to_string();
                let bytes = field.bytes().await.map_err(unreadable)?;
                // An empty file input still sends one nameless, empty part.
                if !file_name.is_empty() || !bytes.is_empty() {
                    form.uploads.push((file_name, bytes.to_vec()));
                }
            }
            "csrf" | "project" | "file_name" | "source" | "address" | "chain" | "block"
            | "tools" => {
                let text = field.text().await.map_err(unreadable)?;
                match name.as_str() {
                    "csrf" => form.csrf = text,
                    "tools" => form.fields.tools.push(text),
                    "project" => form.fields.project = text,
                    "file_name" => form.fields.file_name = text,
                    "address" => form.fields.address = text,
                    "chain" => form.fields.chain = text,
                    "block" => form.fields.block = text,
                    _ => form.fields.source = text,
                }
            }
            _ => {}
        }
    }
    Ok(form)
}

/// The deployed contract of a submission form, checked as the API checks it; an empty
/// block field is the latest block.
fn form_target(fields: &SubmitFields, chains: &[String]) -> Result<store::AuditTarget, ApiError> {
    let chain = fields.chain.trim();
    let block = fields.block.trim();
    let block = if block.is_empty() {
        None
    } else {
        Some(block.parse::<u64>().map_err(|_| {
            ApiError::unprocessable(
                "invalid-block",
                "Invalid block",
                format!(
                    "block `{}` is not a block number",
                    block.chars().take(40).collect::<String>().escape_debug()
                ),
            )
        })?)
    };
    submission::check_target(
        fields.address.trim(),
        (!chain.is_empty()).then_some(chain),
        block,
        chains,
    )
}

/// The sources of a submission form: the pasted text and every uploaded file, archives
/// unpacked, under the same limits as the API.
fn form_sources(form: &SubmitForm, limits: &Limits) -> Result<BTreeMap<String, String>, ApiError> {
    let mut sources = BTreeMap::new();
    let mut add = |path: String, text: String| {
        if sources.insert(path.clone(), text).is_some() {
            return Err(ApiError::unprocessable(
                "duplicate-path",
                "Duplicate path",
                format!("`{}` is submitted twice", path.escape_debug()),
            ));
        }
        Ok(())
    };
    let pasted = form.fields.source.replace("\r\n", "\n");
    if !pasted.trim().is_empty() {
        let name = form.fields.file_name.trim();
        if name.is_empty() {
            return Err(ApiError::unprocessable(
                "invalid-request",
                "Invalid request",
                "give a file name (such as `Vault.sol`) for the pasted source",
            ));
        }
        add(name.to_string(), pasted)?;
    }
    for (file_name, bytes) in &form.uploads {
        let lower = file_name.to_ascii_lowercase();
        let unpacked = if lower.ends_with(".zip") {
            Some(submission::unpack_zip(bytes, limits)?)
        } else if lower.ends_with(".tar.gz") || lower.ends_with(".tgz") {
            Some(submission::unpack_tar_gz(bytes, limits)?)
        } else {
            None
        };
        match unpacked {
            Some((files, _)) => {
                for (path, text) in files {
                    add(path, text)?;
                }
            }
            None => {
                let text = String::from_utf8(bytes.clone()).map_err(|_| {
                    ApiError::unprocessable(
                        "invalid-utf8",
                        "Invalid UTF-8",
                        format!("`{}` is not valid UTF-8 text", file_name.escape_debug()),
                    )
                })?;
                add(file_name.clone(), text)?;
            }
        }
    }
    Ok(sources)
}

pub(crate) async fn submit(
    State(state): State<Arc<AppState>>,
    signed_in: SignedIn,
    headers: HeaderMap,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> PageResult {
    let multipart = multipart
        .map_err(|e| PageError::new(StatusCode::BAD_REQUEST, "Unreadable form", e.body_text()))?;
    let form = read_submit_form(multipart).await?;
    signed_in
        .check_post(&state, &headers, &form.csrf, "submit audits")
        .await?;
    // Whatever the page offered: the API's rule, refused and recorded the API's way.
    state
        .require(&signed_in.principal, "audit.submit", "submit audits")
        .await?;
    let settings = &state.settings;
    let limits = Limits {
        allowed_extensions: settings.allowed_extensions.clone(),
        max_files: settings.max_files,
        max_unpacked_bytes: settings.max_unpacked_bytes,
    };
    let checked = form_sources(&form, &limits).and_then(|sources| {
        let address = form.fields.address.trim();
        if !address.is_empty() {
            if !sources.is_empty() {
                return Err(submission::both_targets());
            }
            let target = form_target(&form.fields, &settings.chains)?;
            return Ok((sources, Some(target), 0));
        }
        if sources.is_empty() {
            return Err(ApiError::unprocessable(
                "empty-submission",
                "No sources",
                "paste a source or choose files to audit",
            ));
        }
        let total = submission::check_sources(&sources, &limits)?;
        Ok((sources, None, total))
    });
    let created = match checked {
        Ok((sources, target, total)) => {
            let project = form.fields.project.trim();
            let submission = Submission {
                sources,
                target,
                total,
                include: Vec::new(),
                exclude: Vec::new(),
                min_severity: None,
                timeout: None,
                project: (!project.is_empty()).then(|| project.to_string()),
                tools: form.fields.tools.clone(),
                idempotency_key: None,
            };
            create_audit(&state, &signed_in.principal, submission).await
        }
        Err(error) => Err(error),
    };
    match created {
        Ok(Created::New(audit) | Created::Replayed(audit)) => {
            Ok(Redirect::to(&format!("/audits/{}", audit.id)).into_response())
        }
        Err(error) if error.status.is_client_error() => Ok(new_audit_page(
            &state,
            &signed_in,
            error.status,
            &form.fields,
            Some(&error.detail),
        )
        .await),
        Err(error) => Err(error.into()),
    }
}

#[derive(Serialize)]
struct FindingRow {
    id: String,
    title: String,
    detector: String,
    confidence: String,
    file: String,
    start_line: u32,
    end_line: u32,
    triage_state: String,
    is_new: bool,
    /// The analyzers that found it, when others ran beside ours (`web3audit, slither`).
    found_by: String,
    /// A false-positive decision on the same finding, or the same kind of finding on the
    /// same code, in an earlier audit of the project.
    dismissed: Option<crate::handlers::audits::Recalled>,
}

#[derive(Serialize)]
struct SeverityGroup {
    severity: &'static str,
    findings: Vec<FindingRow>,
}

#[derive(Serialize)]
struct Comparison {
    previous_id: String,
    previous_short_id: String,
    previous_created: String,
    new: usize,
    fixed: usize,
}

pub(crate) async fn audit(
    State(state): State<Arc<AppState>>,
    signed_in: SignedIn,
    Path(id): Path<String>,
) -> PageResult {
    let tenant_id = &signed_in.principal.tenant_id;
    let audit = state
        .store
        .get_audit(tenant_id, &id)
        .await?
        .ok_or_else(|| PageError::not_found("audit"))?;
    let filter = store::FindingFilter {
        limit: MAX_FINDINGS_SHOWN + 1,
        ..Default::default()
    };
    let mut findings = state.store.list_findings(tenant_id, &id, &filter).await?;
    let truncated = findings.len() as i64 > MAX_FINDINGS_SHOWN;
    findings.truncate(MAX_FINDINGS_SHOWN as usize);

    // New since the previous succeeded audit of the same project: fingerprints it did not
    // have; fixed: fingerprints it had that this audit no longer has.
    let previous = if audit.status == store::STATUS_SUCCEEDED {
        state
            .store
            .previous_project_audit(tenant_id, &audit)
            .await?
    } else {
        None
    };
    let (before, comparison) = match &previous {
        Some(previous) => {
            let before: BTreeSet<String> = state
                .store
                .audit_fingerprints(tenant_id, &previous.id)
                .await?
                .into_iter()
                .collect();
            let now: BTreeSet<&str> = findings
                .iter()
                .map(|f| f.data.fingerprint.as_str())
                .collect();
            let new = now.iter().filter(|f| !before.contains(**f)).count();
            let fixed = before.iter().filter(|f| !now.contains(f.as_str())).count();
            let comparison = Comparison {
                previous_id: previous.id.clone(),
                previous_short_id: short(&previous.id).to_string(),
                previous_created: when(previous.created_at),
                new,
                fixed,
            };
            (Some(before), Some(comparison))
        }
        None => (None, None),
    };
    let (found_by, runs) = crate::handlers::audits::other_analyzers(&state, &audit).await?;
    let mut recalled =
        crate::handlers::audits::previously_dismissed(&state, &audit, &findings).await?;
    let tool_runs: Vec<String> = runs
        .iter()
        .map(|run| {
            let version = run
                .version
                .as_deref()
                .map(|v| format!(" {v}"))
                .unwrap_or_default();
            format!("{}{version}: {}", run.name, run.status)
        })
        .collect();
    let mut groups: Vec<SeverityGroup> = SEVERITIES
        .iter()
        .map(|&severity| SeverityGroup {
            severity,
            findings: Vec::new(),
        })
        .collect();
    for finding in &findings {
        let row = FindingRow {
            id: finding.id.clone(),
            title: finding.data.title.clone(),
            detector: finding.data.detector.clone(),
            confidence: finding.data.confidence.clone(),
            file: finding.data.file.clone(),
            start_line: finding.data.start_line,
            end_line: finding.data.end_line,
            triage_state: finding.triage_state.clone(),
            is_new: before
                .as_ref()
                .is_some_and(|b| !b.contains(&finding.data.fingerprint)),
            found_by: found_by
                .get(&(finding.data.file.clone(), finding.data.fingerprint.clone()))
                .map(|tools| tools.join(", "))
                .unwrap_or_default(),
            dismissed: recalled.remove(&finding.id),
        };
        match groups
            .iter_mut()
            .find(|g| g.severity == finding.data.severity)
        {
            Some(group) => group.findings.push(row),
            None => groups
                .last_mut()
                .expect("there are severities")
                .findings
                .push(row),
        }
    }
    // Within a severity, what was dismissed before comes last: the rest needs triage first.
    for group in &mut groups {
        group.findings.sort_by_key(|row| row.dismissed.is_some());
    }
    let duration = match (audit.started_at, audit.finished_at) {
        (Some(s), Some(f)) => Some(format!("{:.1} s", (f - s) as f64 / 1000.0)),
        _ => None,
    };
    Ok(render(
        StatusCode::OK,
        "audit.html",
        page! {
            css => stylesheet_url(),
            me => me(&signed_in),
            nav => "audits",
            audit => audit_row(&audit),
            error => audit.error,
            running => !audit.is_terminal(),
            succeeded => audit.status == store::STATUS_SUCCEEDED,
            duration => duration,
            from_cache => audit.from_cache,
            groups => groups,
            finding_count => findings.len(),
            truncated => truncated,
            comparison => comparison,
            severities => SEVERITIES,
            tool_runs => tool_runs,
        },
    ))
}

// Findings.

#[derive(Serialize)]
struct HistoryRow {
    when: String,
    actor: String,
    from_state: String,
    to_state: String,
    comment: Option<String>,
}

pub(crate) async fn finding(
    State(state): State<Arc<AppState>>,
    signed_in: SignedIn,
    Path(id): Path<String>,
) -> PageResult {
    let tenant_id = &signed_in.principal.tenant_id;
    let finding = state
        .store
        .get_finding(tenant_id, &id)
        .await?
        .ok_or_else(|| PageError::not_found("finding"))?;
    let history: Vec<HistoryRow> = state
        .store
        .list_triage_events(tenant_id, &finding.data.fingerprint)
        .await?
        .into_iter()
        .rev()
        .map(|e| HistoryRow {
            when: when(e.created_at),
            actor: e.actor,
            from_state: e.from_state,
            to_state: e.to_state,
            comment: e.comment,
        })
        .collect();
    let lines = state
        .store
        .audit_sources(tenant_id, &finding.audit_id)
        .await?
        .and_then(|json| source::file_text(&json, &finding.data.file))
        .map(|text| source::lines(&text, finding.data.start_line, finding.data.end_line));
    let data = &finding.data;
    let suggestions: Vec<serde_json::Value> = state
        .store
        .finding_suggestions(tenant_id, &finding.id)
        .await?
        .iter()
        .take(3)
        .map(|s| {
            let mut view = crate::suggestions::view(s);
            view["created_at"] = serde_json::Value::String(when(s.created_at));
            view
        })
        .collect();
    let assistant = match crate::suggestions::tenant_profile(&state, tenant_id).await {
        Ok((profile, _)) => page! { available => true, profile => profile },
        Err(crate::suggestions::Unavailable(why)) => page! { available => false, why => why },
    };
    Ok(render(
        StatusCode::OK,
        "finding.html",
        page! {
            css => stylesheet_url(),
            me => me(&signed_in),
            nav => "audits",
            finding => page! {
                id => finding.id,
                audit_id => finding.audit_id,
                audit_short_id => short(&finding.audit_id),
                title => data.title,
                detector => data.detector,
                severity => data.severity,
                confidence => data.confidence,
                file => data.file,
                start_line => data.start_line,
                end_line => data.end_line,
                message => data.message,
                fingerprint => data.fingerprint,
                category => data.category,
                swc => data.swc,
                triage_state => finding.triage_state,
            },
            states => store::TRIAGE_STATES,
            history => history,
            lines => lines,
            can_triage => signed_in.can("finding.triage"),
            can_ask => signed_in.can("assistant.use"),
            suggestions => suggestions,
            assistant => assistant,
            disclaimer => crate::suggestions::DISCLAIMER,
        },
    ))
}

/// Asks the assistant about a finding (auditors and admins of a tenant that opted in).
pub(crate) async fn ask_assistant(
    State(state): State<Arc<AppState>>,
    signed_in: SignedIn,
    headers: HeaderMap,
    Path(id): Path<String>,
    form: Result<Form<CsrfForm>, FormRejection>,
) -> PageResult {
    let Form(form) = form.map_err(bad_form)?;
    signed_in
        .check_post(&state, &headers, &form.csrf, "ask the assistant")
        .await?;
    crate::handlers::suggestions::ask(&state, &signed_in.principal, &id).await?;
    Ok(Redirect::to(&format!("/findings/{id}#assistant")).into_response())
}

#[derive(Deserialize)]
pub(crate) struct TriageForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    comment: String,
}

pub(crate) async fn triage(
    State(state): State<Arc<AppState>>,
    signed_in: SignedIn,
    headers: HeaderMap,
    Path(id): Path<String>,
    form: Result<Form<TriageForm>, FormRejection>,
) -> PageResult {
    let Form(form) = form.map_err(bad_form)?;
    signed_in
        .check_post(&state, &headers, &form.csrf, "triage findings")
        .await?;
    let comment = form.comment.replace("\r\n", "\n");
    let comment = (!comment.trim().is_empty()).then_some(comment);
    let finding = apply_triage(&state, &signed_in.principal, &id, form.state, comment).await?;
    Ok(Redirect::to(&format!("/findings/{}#triage", finding.id)).into_response())
}

// Security and usage.

/// The trail actions the security page counts, with their headings.
const SECURITY_EVENTS: [(&str, &str, &str); 5] = [
    ("login", "failure", "Failed sign-ins"),
    ("auth.failed", "denied", "Rejected credentials"),
    ("permission.denied", "denied", "Permission denied"),
    ("rate_limited", "denied", "Rate-limited requests"),
    ("csrf.rejected", "denied", "Rejected forms"),
];

#[derive(Serialize)]
struct KeyRow {
    name: String,
    prefix: String,
    role: String,
    created: String,
    revoked: Option<String>,
    expires: Option<String>,
    last_used: Option<String>,
}

#[derive(Serialize)]
struct EventRow {
    seq: i64,
    when: String,
    actor: String,
    action: String,
    target: Option<String>,
    outcome: String,
}

pub(crate) async fn security(
    State(state): State<Arc<AppState>>,
    signed_in: SignedIn,
) -> PageResult {
    state
        .require(&signed_in.principal, "trail.read", "view the security page")
        .await?;
    let tenant_id = &signed_in.principal.tenant_id;
    let tenant = state
        .store
        .get_tenant(tenant_id)
        .await?
        .ok_or_else(|| ApiError::internal("tenant of a session is missing"))?;
    let now = now_ms();
    let week_ago = now - 7 * 86_400_000;
    // The operator tenant also sees what names no tenant (unknown emails and keys).
    let counts = state
        .store
        .audit_event_counts(tenant_id, tenant.is_operator, week_ago)
        .await?;
    let headline: Vec<(&str, i64)> = SECURITY_EVENTS
        .iter()
        .map(|(action, outcome, heading)| {
            let count = counts
                .iter()
                .filter(|c| c.action == *action && c.outcome == *outcome)
                .map(|c| c.count)
                .sum();
            (*heading, count)
        })
        .collect();
    let keys: Vec<KeyRow> = state
        .store
        .list_api_keys(tenant_id)
        .await?
        .into_iter()
        .map(|k| KeyRow {
            prefix: format!("{}{}", crate::auth::API_KEY_PREFIX, k.prefix),
            name: k.name,
            role: k.role,
            created: when(k.created_at),
            revoked: k.revoked_at.map(when),
            expires: k.expires_at.map(when),
            last_used: k.last_used_at.map(when),
        })
        .collect();
    let events: Vec<EventRow> = state
        .store
        .list_audit_events(&store::AuditEventFilter {
            tenant_id: Some(tenant_id.clone()),
            limit: 50,
            ..Default::default()
        })
        .await?
        .into_iter()
        .map(|e| EventRow {
            seq: e.seq,
            when: when(e.event.ts),
            actor: e.event.actor,
            action: e.event.action,
            target: e.event.target,
            outcome: e.event.outcome,
        })
        .collect();
    let series = state
        .store
        .severity_counts_since(tenant_id, now - 30 * 86_400_000)
        .await?;
    let chart = chart::build(&series, now, 30);
    Ok(render(
        StatusCode::OK,
        "security.html",
        page! {
            css => stylesheet_url(),
            me => me(&signed_in),
            nav => "security",
            headline => headline,
            counts => counts,
            untenanted => tenant.is_operator,
            keys => keys,
            events => events,
            chart => chart,
        },
    ))
}

fn mib(bytes: i64) -> String {
    format!("{:.2} MiB", bytes as f64 / (1024.0 * 1024.0))
}

pub(crate) async fn usage(State(state): State<Arc<AppState>>, signed_in: SignedIn) -> PageResult {
    let tenant_id = &signed_in.principal.tenant_id;
    let tenant = state
        .store
        .get_tenant(tenant_id)
        .await?
        .ok_or_else(|| ApiError::internal("tenant of a session is missing"))?;
    let audits_today = state
        .store
        .count_audits_since(tenant_id, now_ms() - 86_400_000)
        .await?;
    let stored = state.store.stored_source_bytes(tenant_id).await?;
    let quota = state.settings.plans.get(&tenant.plan);
    let audits_limit = quota.and_then(|q| q.audits_per_day);
    let bytes_limit = quota.and_then(|q| q.stored_bytes);
    Ok(render(
        StatusCode::OK,
        "usage.html",
        page! {
            css => stylesheet_url(),
            me => me(&signed_in),
            nav => "usage",
            tenant => tenant.name,
            plan => tenant.plan,
            audits_today => audits_today,
            audits_limit => audits_limit,
            stored => stored,
            stored_text => mib(stored),
            bytes_limit => bytes_limit,
            bytes_limit_text => bytes_limit.map(|b| mib(b as i64)),
        },
    ))
}
