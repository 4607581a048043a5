//! Audits: submit, list, get, cancel, findings, report.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::{audit_view, decode_cursor, encode_cursor, finding_view, new_id, page_limit};
use crate::analyzer::{EXTERNAL_TOOLS, SEVERITIES};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiQuery, Principal, is_json, parse_json};
use crate::state::AppState;
use crate::submission::{self, Limits};
use crate::timestamp::now_ms;

/// JSON submission: `sources`, or `address` and `chain` (and optionally `block`) of a
/// deployed contract.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SubmitJson {
    sources: Option<BTreeMap<String, String>>,
    address: Option<String>,
    chain: Option<String>,
    block: Option<u64>,
    #[serde(default)]
    include_detectors: Vec<String>,
    #[serde(default)]
    exclude_detectors: Vec<String>,
    min_severity: Option<String>,
    timeout_secs: Option<u64>,
    project: Option<String>,
    #[serde(default)]
    tools: Vec<String>,
}

/// Options of an archive submission, in the query string.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct SubmitQuery {
    include_detectors: Option<String>,
    exclude_detectors: Option<String>,
    min_severity: Option<String>,
    timeout_secs: Option<u64>,
    project: Option<String>,
    tools: Option<String>,
}

fn split_list(value: Option<String>) -> Vec<String> {
    value
        .map(|v| {
            v.split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

fn sha256_hex(parts: &[&str]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part.as_bytes());
        hasher.update([0u8]);
    }
    hex::encode(hasher.finalize())
}

fn check_detector_ids(ids: &[String]) -> ApiResult<()> {
    if let Some(bad) = ids.iter().find(|id| {
        id.is_empty()
            || id.len() > 64
            || !id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    }) {
        return Err(ApiError::unprocessable(
            "invalid-request",
            "Invalid request",
            format!("`{}` is not a detector id", bad.escape_debug()),
        ));
    }
    Ok(())
}

async fn read_body(body: Body, headers: &HeaderMap, limit: usize) -> ApiResult<axum::body::Bytes> {
    if let Some(length) = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        && length > limit as u64
    {
        return Err(ApiError::body_too_large(limit));
    }
    axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| ApiError::body_too_large(limit))
}

pub(crate) async fn submit(
    State(state): State<Arc<AppState>>,
    principal: Principal,
    headers: HeaderMap,
    ApiQuery(query): ApiQuery<SubmitQuery>,
    body: Body,
) -> ApiResult<Response> {
    state
        .require(&principal, "audit.submit", "submit audits")
        .await?;
    let settings = &state.settings;
    let limits = Limits {
        allowed_extensions: settings.allowed_extensions.clone(),
        max_files: settings.max_files,
        max_unpacked_bytes: settings.max_unpacked_bytes,
    };
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let mime = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let bytes = read_body(body, &headers, settings.max_body_bytes).await?;

    let ((sources, target), total, include, exclude, min_severity, timeout, project, tools) =
        if is_json(Some(&content_type)) {
            let has_archive_options = query.include_detectors.is_some()
                || query.exclude_detectors.is_some()
                || query.min_severity.is_some()
                || query.timeout_secs.is_some()
                || query.project.is_some()
                || query.tools.is_some();
            if has_archive_options {
                return Err(ApiError::bad_request(
                    "invalid-parameter",
                    "Invalid query parameter",
                    "options of a JSON submission go in the body, not in the query string",
                ));
            }
            let submission: SubmitJson = parse_json(&bytes)?;
            let (sources, target) = match (submission.sources, submission.address) {
                (Some(_), Some(_)) => return Err(submission::both_targets()),
                (Some(_), None) if submission.chain.is_some() || submission.block.is_some() => {
                    return Err(submission::both_targets());
                }
                (Some(sources), None) => (sources, None),
                (None, Some(address)) => {
                    let target = submission::check_target(
                        &address,
                        submission.chain.as_deref(),
                        submission.block,
                        &settings.chains,
                    )?;
                    (BTreeMap::new(), Some(target))
                }
                (None, None) => return Err(submission::no_target()),
            };
            let total = if target.is_some() {
                0
            } else {
                submission::check_sources(&sources, &limits)?
            };
            (
                (sources, target),
                total,
                submission.include_detectors,
                submission.exclude_detectors,
                submission.min_severity,
                submission.timeout_secs,
                submission.project,
                submission.tools,
            )
        } else {
            let unpack: fn(&[u8], &Limits) -> ApiResult<submission::Unpacked> = match mime.as_str()
            {
                "application/zip" | "application/x-zip-compressed" => submission::unpack_zip,
                "application/gzip"
                | "application/x-gzip"
                | "application/tar+gzip"
                | "application/x-tar+gzip"
                | "application/x-gtar" => submission::unpack_tar_gz,
                _ => {
                    return Err(ApiError::new(
                        StatusCode::UNSUPPORTED_MEDIA_TYPE,
                        "unsupported-media-type",
                        "Unsupported media type",
                        "submit `application/json` sources, an `application/zip` or an `application/gzip` (tar.gz) archive",
                    ));
                }
            };
            let (sources, total) = tokio::task::spawn_blocking(move || unpack(&bytes, &limits))
                .await
                .map_err(ApiError::internal)??;
            (
                (sources, None),
                total,
                split_list(query.include_detectors),
                split_list(query.exclude_detectors),
                query.min_severity,
                query.timeout_secs,
                query.project,
                split_list(query.tools),
            )
        };

    let idempotency_key = idempotency_key(&headers)?;
    let submission = Submission {
        sources,
        target,
        total,
        include,
        exclude,
        min_severity,
        timeout,
        project,
        tools,
        idempotency_key,
    };
    let (audit, status) = match create_audit(&state, &principal, submission).await? {
        Created::New(audit) => (audit, StatusCode::ACCEPTED),
        Created::Replayed(existing) => {
            let mut response = (
                StatusCode::OK,
                Json(json!({ "id": existing.id, "status": existing.status })),
            )
                .into_response();
            response
                .headers_mut()
                .insert("idempotent-replayed", HeaderValue::from_static("true"));
            return Ok(response);
        }
    };
    let mut response = (
        status,
        Json(json!({ "id": audit.id, "status": audit.status })),
    )
        .into_response();
    if let Ok(location) = HeaderValue::from_str(&format!("/api/v1/audits/{}", audit.id)) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

pub(crate) async fn get(
    State(state): State<Arc<AppState>>,
    principal: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let audit = state
        .store
        .get_audit(&principal.tenant_id, &id)
        .await?
        .ok_or_else(|| ApiError::not_found("audit"))?;
    Ok(Json(audit_view(&audit)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ListQuery {
    status: Option<String>,
    created_by: Option<String>,
    created_after: Option<i64>,
    created_before: Option<i64>,
    limit: Option<i64>,
    cursor: Option<String>,
}

pub(crate) async fn list(
    State(state): State<Arc<AppState>>,
    principal: Principal,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> ApiResult<Json<Value>> {
    if let Some(status) = &query.status
        && !store::STATUSES.contains(&status.as_str())
    {
        return Err(ApiError::bad_request(
            "invalid-parameter",
            "Invalid query parameter",
            format!("status must be one of {}", store::STATUSES.join(", ")),
        ));
    }
    let limit = page_limit(query.limit)?;
    let filter = store::AuditFilter {
        status: query.status,
        created_by: query.created_by,
        created_after: query.created_after,
        created_before: query.created_before,
        before_id: query.cursor.as_deref().map(decode_cursor).transpose()?,
        limit: limit + 1,
    };
    let mut audits = state
        .store
        .list_audits(&principal.tenant_id, &filter)
        .await?;
    let next = if audits.len() as i64 > limit {
        audits.truncate(limit as usize);
        audits.last().map(|a| encode_cursor(&a.id))
    } else {
        None
    };
    Ok(Json(
        json!({ "items": audits.iter().map(audit_view).collect::<Vec<_>>(), "next_cursor": next }),
    ))
}

pub(crate) async fn cancel(
    State(state): State<Arc<AppState>>,
    principal: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    state
        .require(&principal, "audit.submit", "cancel audits")
        .await?;
    let before = state
        .store
        .get_audit(&principal.tenant_id, &id)
        .await?
        .ok_or_else(|| ApiError::not_found("audit"))?;
    if before.is_terminal() {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "audit-already-finished",
            "Audit already finished",
            format!("the audit is {}", before.status),
        ));
    }
    let audit = state
        .store
        .cancel_audit(&principal.tenant_id, &id, now_ms())
        .await?
        .ok_or_else(|| ApiError::not_found("audit"))?;
    if audit.status != store::STATUS_CANCELLED {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "audit-already-finished",
            "Audit already finished",
            format!("the audit is {}", audit.status),
        ));
    }
    if let Some(notify) = state
        .cancels
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(&id)
    {
        notify.notify_one();
    }
    state.metrics.completed(store::STATUS_CANCELLED);
    state
        .record(
            Some(&principal.tenant_id),
            &principal.actor,
            "audit.cancelled",
            Some(&id),
            "success",
            json!({ "was": before.status }),
        )
        .await?;
    Ok(Json(audit_view(&audit)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FindingsQuery {
    severity: Option<String>,
    detector: Option<String>,
    triage_state: Option<String>,
    limit: Option<i64>,
    cursor: Option<String>,
}

pub(crate) async fn findings(
    State(state): State<Arc<AppState>>,
    principal: Principal,
    Path(id): Path<String>,
    ApiQuery(query): ApiQuery<FindingsQuery>,
) -> ApiResult<Json<Value>> {
    if let Some(s) = &query.severity
        && !SEVERITIES.contains(&s.as_str())
    {
        return Err(ApiError::bad_request(
            "invalid-parameter",
            "Invalid query parameter",
            format!("severity must be one of {}", SEVERITIES.join(", ")),
        ));
    }
    if let Some(s) = &query.triage_state
        && !store::TRIAGE_STATES.contains(&s.as_str())
    {
        return Err(ApiError::bad_request(
            "invalid-parameter",
            "Invalid query parameter",
            format!(
                "triage_state must be one of {}",
                store::TRIAGE_STATES.join(", ")
            ),
        ));
    }
    let audit = state
        .store
        .get_audit(&principal.tenant_id, &id)
        .await?
        .ok_or_else(|| ApiError::not_found("audit"))?;
    let limit = page_limit(query.limit)?;
    let after = match query.cursor.as_deref().map(decode_cursor).transpose()? {
        Some(c) => Some(c.parse::<i64>().map_err(|_| {
            ApiError::bad_request(
                "invalid-cursor",
                "Invalid cursor",
                "the cursor was not issued by this API",
            )
        })?),
        None => None,
    };
    let filter = store::FindingFilter {
        severity: query.severity,
        detector: query.detector,
        triage_state: query.triage_state,
        after_ordinal: after,
        limit: limit + 1,
    };
    let mut items = state
        .store
        .list_findings(&principal.tenant_id, &id, &filter)
        .await?;
    let next = if items.len() as i64 > limit {
        items.truncate(limit as usize);
        items.last().map(|f| encode_cursor(&f.ordinal.to_string()))
    } else {
        None
    };
    let recalled = previously_dismissed(&state, &audit, &items).await?;
    let items: Vec<Value> = items
        .iter()
        .map(|f| with_recall(finding_view(f), recalled.get(&f.id)))
        .collect();
    Ok(Json(json!({ "items": items, "next_cursor": next })))
}

/// A standing false-positive decision taken in another audit of the same project that
/// applies to a finding: by its fingerprint, or else by its shape (the same detector on
/// the same code, under other names or elsewhere).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Recalled {
    /// The finding the decision was taken on (`/api/v1/findings/{id}`), and its audit.
    pub finding_id: String,
    pub audit_id: String,
    pub by: String,
    pub at: String,
    pub reason: Option<String>,
    /// `fingerprint` or `shape`.
    pub matched: &'static str,
}

/// The decisions [`Recalled`] for each of `findings` (by finding id) that is not itself
/// marked a false positive.
pub(crate) async fn previously_dismissed(
    state: &AppState,
    audit: &store::Audit,
    findings: &[store::Finding],
) -> ApiResult<BTreeMap<String, Recalled>> {
    let Some(project) = audit.project.as_deref() else {
        return Ok(BTreeMap::new());
    };
    if findings.is_empty() {
        return Ok(BTreeMap::new());
    }
    let dismissals = state
        .store
        .project_dismissals(&audit.tenant_id, project, &audit.id)
        .await?;
    let recall = |d: &store::Dismissal, matched| Recalled {
        finding_id: d.finding_id.clone(),
        audit_id: d.audit_id.clone(),
        by: d.actor.clone(),
        at: crate::timestamp::rfc3339(d.created_at),
        reason: d.comment.clone(),
        matched,
    };
    // The newest standing decision per fingerprint and per (detector, shape).
    let mut by_fingerprint: BTreeMap<&str, &store::Dismissal> = BTreeMap::new();
    let mut by_shape: BTreeMap<(&str, &str), &store::Dismissal> = BTreeMap::new();
    for d in &dismissals {
        by_fingerprint.entry(d.fingerprint.as_str()).or_insert(d);
        if let Some(shape) = d.shape.as_deref() {
            by_shape.entry((d.detector.as_str(), shape)).or_insert(d);
        }
    }
    let mut out = BTreeMap::new();
    for finding in findings {
        if finding.triage_state == "false_positive" {
            continue;
        }
        let recalled = match by_fingerprint.get(finding.data.fingerprint.as_str()) {
            Some(d) => Some(recall(d, "fingerprint")),
            None => finding
                .data
                .shape
                .as_deref()
                .and_then(|shape| by_shape.get(&(finding.data.detector.as_str(), shape)))
                .map(|d| recall(d, "shape")),
        };
        if let Some(recalled) = recalled {
            out.insert(finding.id.clone(), recalled);
        }
    }
    Ok(out)
}

/// `view` with `previously_dismissed` added when a decision is recalled for it.
fn with_recall(mut view: Value, recalled: Option<&Recalled>) -> Value {
    if let Some(recalled) = recalled
        && let Some(object) = view.as_object_mut()
    {
        object.insert("previously_dismissed".into(), json!(recalled));
    }
    view
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReportQuery {
    format: Option<String>,
}

pub(crate) async fn report(
    State(state): State<Arc<AppState>>,
    principal: Principal,
    Path(id): Path<String>,
    ApiQuery(query): ApiQuery<ReportQuery>,
) -> ApiResult<Response> {
    let format = query.format.unwrap_or_else(|| "json".into());
    let content_type = match format.as_str() {
        "json" => "application/json",
        "sarif" => "application/sarif+json",
        "markdown" => "text/markdown; charset=utf-8",
        "html" => "text/html; charset=utf-8",
        "pdf" => "application/pdf",
        _ => {
            return Err(ApiError::bad_request(
                "invalid-parameter",
                "Invalid query parameter",
                "format must be json, sarif, markdown, html or pdf",
            ));
        }
    };
    let audit = state
        .store
        .get_audit(&principal.tenant_id, &id)
        .await?
        .ok_or_else(|| ApiError::not_found("audit"))?;
    if audit.status != store::STATUS_SUCCEEDED {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "report-not-available",
            "Report not available",
            format!(
                "the audit is {}; reports exist for succeeded audits",
                audit.status
            ),
        ));
    }
    if format == "html" || format == "pdf" {
        let page = page_report(&state, &principal.tenant_id, &audit).await?;
        return Ok(if format == "html" {
            (
                [
                    (header::CONTENT_TYPE, content_type),
                    // The page styles itself inline and runs no script.
                    (header::CONTENT_SECURITY_POLICY, REPORT_CSP),
                ],
                report::render_html(&page.0, &page.1),
            )
                .into_response()
        } else {
            let options = report::PdfOptions {
                content: page.1,
                ..report::PdfOptions::default()
            };
            let disposition = format!("attachment; filename=\"audit-{}.pdf\"", audit.id);
            (
                [
                    (header::CONTENT_TYPE, content_type.to_owned()),
                    (header::CONTENT_DISPOSITION, disposition),
                ],
                report::render_pdf(&page.0, &options),
            )
                .into_response()
        });
    }
    let body = if format == "json" {
        // The service's own JSON report carries triage states.
        let filter = store::FindingFilter {
            limit: i64::MAX,
            ..Default::default()
        };
        let findings = state
            .store
            .list_findings(&principal.tenant_id, &id, &filter)
            .await?;
        let (found_by, runs) = other_analyzers(&state, &audit).await?;
        let recalled = previously_dismissed(&state, &audit, &findings).await?;
        // The latest suggestion of the assistant on each finding, when any was asked.
        let suggested: BTreeMap<String, store::Suggestion> = state
            .store
            .audit_suggestions(&principal.tenant_id, &id)
            .await?
            .into_iter()
            .map(|s| (s.finding_id.clone(), s))
            .collect();
        let views: Vec<Value> = findings
            .iter()
            .map(|f| {
                let mut view = with_recall(finding_view(f), recalled.get(&f.id));
                if let Some(object) = view.as_object_mut() {
                    if let Some(tools) =
                        found_by.get(&(f.data.file.clone(), f.data.fingerprint.clone()))
                    {
                        object.insert("found_by".into(), json!(tools));
                    }
                    if let Some(suggestion) = suggested.get(&f.id) {
                        object.insert("assistant".into(), crate::suggestions::view(suggestion));
                    }
                }
                view
            })
            .collect();
        let mut body = json!({
            "audit": audit_view(&audit),
            "analyzer_version": state.analyzer_version,
            "findings": views,
        });
        if !runs.is_empty()
            && let Some(object) = body.as_object_mut()
        {
            object.insert("tools".into(), json!(runs));
        }
        serde_json::to_string_pretty(&body).map_err(ApiError::internal)?
    } else {
        let unavailable = || {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "report-format-unavailable",
                "Report format unavailable",
                format!("the analyzer produced no {format} report for this audit"),
            )
        };
        let mut cached = state
            .store
            .get_cached(&audit.cache_key)
            .await?
            .ok_or_else(unavailable)?;
        // Kept as rendered by an analyzer that stores every format, or rendered now from
        // the analyzer's report (which is all the pipeline stores).
        match cached.reports.remove(&format) {
            Some(body) => body,
            None => {
                let analyzed = analyzer_report(&cached).ok_or_else(unavailable)?;
                if format == "sarif" {
                    report::render_sarif(&analyzed, &report::SarifOptions::default())
                } else {
                    report::render_markdown(&analyzed)
                }
            }
        }
    };
    Ok(([(header::CONTENT_TYPE, content_type)], body).into_response())
}

/// The analyzer's own report of a result (kept whole or in the stored form); `None` when
/// it kept none or it does not read as one (a deployed contract's scan).
fn analyzer_report(cached: &store::CachedAnalysis) -> Option<report::Report> {
    cached
        .reports
        .get("json")
        .and_then(|json| report::from_stored_json(json).ok())
}

/// Which analyzers found each finding of `audit` (by file and fingerprint; only the
/// findings other analyzers had a part in), and the runs of those analyzers: from the
/// analyzer's own report of the audit. Empty when no other analyzer ran.
pub(crate) type FoundBy = BTreeMap<(String, String), Vec<String>>;

pub(crate) async fn other_analyzers(
    state: &AppState,
    audit: &store::Audit,
) -> ApiResult<(FoundBy, Vec<report::ToolRun>)> {
    if audit.options.tools.is_empty() {
        return Ok((FoundBy::new(), Vec::new()));
    }
    let analyzed: Option<report::Report> = state
        .store
        .get_cached(&audit.cache_key)
        .await?
        .and_then(|cached| analyzer_report(&cached));
    let Some(analyzed) = analyzed else {
        return Ok((FoundBy::new(), Vec::new()));
    };
    let found_by = analyzed
        .findings
        .into_iter()
        .filter(|f| !f.found_by.is_empty())
        .map(|f| ((f.location.file, f.fingerprint), f.found_by))
        .collect();
    Ok((found_by, analyzed.tools))
}

/// The content security policy of an HTML report: inline styles, nothing else.
pub(crate) const REPORT_CSP: &str =
    "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; form-action 'none'";

/// The analyzer's report of a succeeded audit, with the excerpts it stored and the
/// triage states and comments the service keeps, ready for the HTML or PDF renderer.
pub(crate) async fn page_report(
    state: &AppState,
    tenant_id: &str,
    audit: &store::Audit,
) -> ApiResult<(report::Report, report::HtmlOptions)> {
    let unavailable = || {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "report-format-unavailable",
            "Report format unavailable",
            "the analyzer produced no report this format can be made from",
        )
    };
    let cached = state
        .store
        .get_cached(&audit.cache_key)
        .await?
        .ok_or_else(unavailable)?;
    let report = analyzer_report(&cached).ok_or_else(unavailable)?;
    let excerpts = cached
        .reports
        .get(report::EXCERPTS_KEY)
        .and_then(|json| serde_json::from_str(json).ok())
        .unwrap_or_default();
    let filter = store::FindingFilter {
        limit: i64::MAX,
        ..Default::default()
    };
    let findings = state
        .store
        .list_findings(tenant_id, &audit.id, &filter)
        .await?;
    let mut triage = BTreeMap::new();
    for f in &findings {
        // Triage history is kept by fingerprint, so it follows the finding across re-scans.
        let events = state
            .store
            .list_triage_events(tenant_id, &f.data.fingerprint)
            .await?;
        let comments = events
            .iter()
            .map(|e| report::TriageComment {
                author: e.actor.clone(),
                at: crate::timestamp::rfc3339(e.created_at),
                from_state: e.from_state.clone(),
                to_state: e.to_state.clone(),
                text: e.comment.clone(),
            })
            .collect();
        triage.insert(
            f.data.fingerprint.clone(),
            report::TriageNote {
                state: f.triage_state.clone(),
                comments,
            },
        );
    }
    let mut facts = vec![
        ("audit".to_owned(), audit.id.clone()),
        (
            "submitted".to_owned(),
            crate::timestamp::rfc3339(audit.created_at),
        ),
        ("by".to_owned(), audit.created_by.clone()),
    ];
    match &audit.target {
        Some(target) => {
            facts.push(("contract".to_owned(), target.address.clone()));
            facts.push(("chain".to_owned(), target.chain.clone()));
            let block = target
                .block
                .map_or_else(|| "latest".to_owned(), |b| b.to_string());
            facts.push(("block".to_owned(), block));
        }
        None => facts.push(("files".to_owned(), audit.file_count.to_string())),
    }
    // The latest answered suggestion of each finding, by its fingerprint.
    let fingerprints: BTreeMap<&str, &str> = findings
        .iter()
        .map(|f| (f.id.as_str(), f.data.fingerprint.as_str()))
        .collect();
    let mut suggestions = BTreeMap::new();
    for s in state.store.audit_suggestions(tenant_id, &audit.id).await? {
        let outcome = s
            .outcome
            .as_deref()
            .and_then(|json| serde_json::from_str::<assistant::Outcome>(json).ok());
        if let (Some(outcome), Some(fingerprint)) =
            (outcome, fingerprints.get(s.finding_id.as_str()))
        {
            let answer = outcome.suggestion;
            suggestions.insert(
                (*fingerprint).to_owned(),
                report::AssistantNote {
                    verdict: serde_json::to_value(answer.verdict)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_default(),
                    confidence: answer.confidence,
                    explanation: answer.explanation,
                    attack_scenario: answer.attack_scenario,
                    model: outcome.model,
                },
            );
        }
    }
    let options = report::HtmlOptions {
        title: Some(format!("Audit report {}", audit.id)),
        facts,
        excerpts,
        triage: Some(triage),
        suggestions,
    };
    Ok((report, options))
}

/// A checked submission, however it arrived (JSON, archive, dashboard form).
pub(crate) struct Submission {
    /// Empty when `target` is given.
    pub sources: BTreeMap<String, String>,
    /// A deployed contract, checked against the chains the service knows.
    pub target: Option<store::AuditTarget>,
    /// Total size of the sources in bytes.
    pub total: u64,
    pub include: Vec<String>,
    pub exclude: Vec<String>,
    pub min_severity: Option<String>,
    pub timeout: Option<u64>,
    pub project: Option<String>,
    /// Other analyzers to run beside ours; checked against the tenant's plan.
    pub tools: Vec<String>,
    pub idempotency_key: Option<String>,
}

/// What [`create_audit`] did.
pub(crate) enum Created {
    New(store::Audit),
    /// The tenant already submitted this with the same idempotency key.
    Replayed(store::Audit),
}

/// The longest project name accepted.
pub(crate) const MAX_PROJECT_LEN: usize = 100;

/// The project of a submission: the name given, trimmed, or one derived from the file
/// names, so that re-submitting the same files counts as a new audit of the same project.
fn check_project(
    given: Option<&str>,
    sources: &BTreeMap<String, String>,
    target: Option<&store::AuditTarget>,
) -> ApiResult<String> {
    if let Some(name) = given.map(str::trim).filter(|n| !n.is_empty()) {
        if name.chars().count() > MAX_PROJECT_LEN || name.chars().any(char::is_control) {
            return Err(ApiError::unprocessable(
                "invalid-request",
                "Invalid request",
                format!(
                    "project must be at most {MAX_PROJECT_LEN} characters, without control characters"
                ),
            ));
        }
        return Ok(name.to_string());
    }
    if let Some(target) = target {
        // Every block of one contract is one project.
        return Ok(format!("{} on {}", target.address, target.chain));
    }
    let names: Vec<&str> = sources.keys().map(String::as_str).collect();
    let joined = names.join(", ");
    if joined.chars().count() <= MAX_PROJECT_LEN {
        return Ok(joined);
    }
    let digest = sha256_hex(&names);
    Ok(format!(
        "{} and {} more files ({})",
        names[0].chars().take(40).collect::<String>(),
        names.len() - 1,
        &digest[..12]
    ))
}

/// The other analyzers asked for, sorted and without repeats: each must be one of
/// [`EXTERNAL_TOOLS`] (else 422) and allowed by the tenant's plan (else 403).
fn check_tools(
    asked: Vec<String>,
    plan: Option<&crate::config::PlanQuota>,
    plan_name: &str,
) -> ApiResult<Vec<String>> {
    let mut tools = asked;
    tools.sort();
    tools.dedup();
    if let Some(unknown) = tools.iter().find(|t| !EXTERNAL_TOOLS.contains(&t.as_str())) {
        return Err(ApiError::unprocessable(
            "invalid-request",
            "Invalid request",
            format!(
                "tool `{}` is not one of {}",
                unknown.escape_debug(),
                EXTERNAL_TOOLS.join(", ")
            ),
        ));
    }
    let allowed = plan.map(|p| p.tools.as_slice()).unwrap_or_default();
    if let Some(refused) = tools.iter().find(|t| !allowed.contains(t)) {
        return Err(ApiError::forbidden(format!(
            "the `{plan_name}` plan does not include `{refused}`; an operator enables it with `tools` in the plan's settings"
        ))
        .with_slug("tool-not-allowed", "Tool not allowed"));
    }
    Ok(tools)
}

/// Checks options, quotas and the idempotency key, then stores the audit (answered from
/// the cache when the same sources were analyzed with the same options) and records it.
pub(crate) async fn create_audit(
    state: &Arc<AppState>,
    principal: &Principal,
    submission: Submission,
) -> ApiResult<Created> {
    let settings = &state.settings;
    check_detector_ids(&submission.include)?;
    check_detector_ids(&submission.exclude)?;
    let project = check_project(
        submission.project.as_deref(),
        &submission.sources,
        submission.target.as_ref(),
    )?;
    if let Some(severity) = &submission.min_severity
        && !SEVERITIES.contains(&severity.as_str())
    {
        return Err(ApiError::unprocessable(
            "invalid-request",
            "Invalid request",
            format!(
                "min_severity `{}` is not one of {}",
                severity.escape_debug(),
                SEVERITIES.join(", ")
            ),
        ));
    }
    let timeout_secs = submission
        .timeout
        .unwrap_or(settings.default_audit_timeout_secs);
    if timeout_secs == 0 || timeout_secs > settings.max_audit_timeout_secs {
        return Err(ApiError::unprocessable(
            "invalid-request",
            "Invalid request",
            format!(
                "timeout_secs must be between 1 and {}",
                settings.max_audit_timeout_secs
            ),
        ));
    }
    // Quotas of the tenant's plan.
    let tenant = state
        .store
        .get_tenant(&principal.tenant_id)
        .await?
        .ok_or_else(|| ApiError::internal("tenant of a credential is missing"))?;
    let tools = check_tools(
        submission.tools,
        settings.plans.get(&tenant.plan),
        &tenant.plan,
    )?;
    if let Some(quota) = settings.plans.get(&tenant.plan) {
        if let Some(per_day) = quota.audits_per_day {
            let used = state
                .store
                .count_audits_since(&tenant.id, now_ms() - 86_400_000)
                .await?;
            if used as u64 >= per_day {
                return Err(ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "quota-exceeded",
                    "Plan quota exceeded",
                    format!("the `{}` plan allows {per_day} audits per day", tenant.plan),
                )
                .with_retry_after(3600));
            }
        }
        if let Some(max_bytes) = quota.stored_bytes {
            let used = state.store.stored_source_bytes(&tenant.id).await?;
            if used as u64 + submission.total > max_bytes {
                return Err(ApiError::forbidden(format!(
                    "the `{}` plan stores at most {max_bytes} bytes of sources; {used} are used",
                    tenant.plan
                ))
                .with_slug("storage-quota-exceeded", "Storage quota exceeded"));
            }
        }
    }

    let options = store::AuditOptions {
        include_detectors: submission.include,
        exclude_detectors: submission.exclude,
        min_severity: submission.min_severity,
        tools,
    };
    let sources_json = serde_json::to_string(&submission.sources).map_err(ApiError::internal)?;
    let sources_hash = sha256_hex(&[&sources_json]);
    let options_json = serde_json::to_string(&options).map_err(ApiError::internal)?;
    let id = new_id();
    // What was asked for: the same request gives the same key (idempotency compares it).
    let request_key = match &submission.target {
        None => sha256_hex(&[&state.analyzer_version, &options_json, &sources_hash]),
        Some(target) => sha256_hex(&[
            &state.analyzer_version,
            &options_json,
            "address",
            &target.chain,
            &target.address,
            &target
                .block
                .map_or_else(|| "latest".to_owned(), |b| b.to_string()),
        ]),
    };
    // A contract read at the latest block reads whatever that block is when the audit
    // runs: its result answers no other audit, so its cache key is its own.
    let cache_key = match &submission.target {
        Some(target) if target.block.is_none() => sha256_hex(&[&request_key, &id]),
        _ => request_key.clone(),
    };
    let request_hash = sha256_hex(&[&request_key, &timeout_secs.to_string()]);
    let cached = state.store.get_cached(&cache_key).await?;
    let new = store::NewAudit {
        id,
        tenant_id: principal.tenant_id.clone(),
        sources_hash,
        cache_key,
        options,
        timeout_secs: timeout_secs as i64,
        source_bytes: submission.total as i64,
        file_count: submission.sources.len() as i64,
        idempotency_key: submission.idempotency_key,
        request_hash,
        created_by: principal.actor.clone(),
        created_at: now_ms(),
        project: Some(project),
        target: submission.target,
    };
    // The submission's trail entry is written in the audit's own transaction.
    let event = store::NewAuditEvent {
        ts: now_ms(),
        tenant_id: Some(principal.tenant_id.clone()),
        actor: principal.actor.clone(),
        action: "audit.submitted".into(),
        target: Some(new.id.clone()),
        outcome: "success".into(),
        detail: json!({ "files": new.file_count, "bytes": new.source_bytes, "from_cache": cached.is_some() }),
    };
    let inserted = state
        .store
        .insert_audit_recorded(&new, &sources_json, cached.as_ref(), &event, &state.signer)
        .await?;
    let audit = match inserted {
        store::InsertedAudit::Existing(existing) => {
            if existing.request_hash != new.request_hash {
                return Err(ApiError::unprocessable(
                    "idempotency-key-reused",
                    "Idempotency key reused",
                    "this Idempotency-Key was used for a different submission",
                ));
            }
            return Ok(Created::Replayed(existing));
        }
        store::InsertedAudit::Created(audit) => audit,
    };
    if let Some(cached) = &cached {
        state.metrics.cache_hits.inc();
        state.metrics.completed(store::STATUS_SUCCEEDED);
        for finding in &cached.findings {
            state.metrics.finding(&finding.severity);
        }
        // Webhooks and alerts: an audit answered from the cache is finished already.
        crate::notify::webhooks::audit_finished(state, &audit.tenant_id, &audit.id).await;
        crate::notify::alerts::findings_stored(state, &audit, &cached.findings);
        crate::suggestions::queue_for_audit(state, &audit.tenant_id, &audit.id).await;
    } else {
        state.submitted.notify_one();
    }
    Ok(Created::New(audit))
}

fn idempotency_key(headers: &HeaderMap) -> ApiResult<Option<String>> {
    Ok(match headers.get("idempotency-key") {
        None => None,
        Some(v) => {
            let key = v
                .to_str()
                .ok()
                .filter(|k| !k.is_empty() && k.len() <= 200)
                .ok_or_else(|| {
                    ApiError::bad_request(
                        "invalid-idempotency-key",
                        "Invalid Idempotency-Key",
                        "the key must be 1 to 200 visible ASCII characters",
                    )
                })?;
            Some(key.to_string())
        }
    })
}
