//! The dashboard's monitoring pages: incidents (list, detail with timeline and actions)
//! and monitors with their recent events. Changes go through the same functions as the
//! API ([`crate::handlers::incidents`]), so roles, checks and trail entries are the API's.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect};
use serde::{Deserialize, Serialize};

use super::pages::{bad_form, me, short, when};
use super::session::SignedIn;
use super::{PageError, PageResult, render, stylesheet_url};
use crate::error::ApiError;
use crate::handlers::incidents::{self, Change, MAX_COMMENT_LEN, user_emails};
use crate::handlers::monitors::summary;
use crate::state::AppState;
use crate::timestamp::now_ms;

/// Incidents shown on the list.
const INCIDENTS_SHOWN: i64 = 200;
/// Events shown per monitor on the monitors page.
const RECENT_EVENTS: i64 = 5;
/// The state filter value for incidents not resolved.
const UNRESOLVED: &str = "unresolved";

/// How long ago `then` was: `45 s`, `12 min`, `5 h`, `3 d`.
fn age(now: i64, then: i64) -> String {
    let secs = (now - then).max(0) / 1000;
    match secs {
        0..60 => format!("{secs} s"),
        60..3600 => format!("{} min", secs / 60),
        3600..86_400 => format!("{} h", secs / 3600),
        _ => format!("{} d", secs / 86_400),
    }
}

#[derive(Serialize)]
struct IncidentRow {
    id: String,
    short_id: String,
    title: String,
    priority: String,
    state: String,
    assignee: Option<String>,
    alerts: i64,
    opened: String,
    age: String,
    monitor: Option<String>,
}

fn incident_row(i: &store::Incident, emails: &HashMap<String, String>, now: i64) -> IncidentRow {
    IncidentRow {
        id: i.id.clone(),
        short_id: short(&i.id).to_string(),
        title: i.title.clone(),
        priority: i.priority.clone(),
        state: i.state.clone(),
        assignee: i
            .assignee
            .as_ref()
            .map(|a| emails.get(a).cloned().unwrap_or_else(|| a.clone())),
        alerts: i.alert_count,
        opened: when(i.opened_at),
        age: age(now, i.opened_at),
        monitor: i.monitor_key.clone(),
    }
}

#[derive(Deserialize)]
pub(crate) struct IncidentsQuery {
    #[serde(default)]
    state: String,
    #[serde(default)]
    priority: String,
}

pub(crate) async fn incidents(
    State(state): State<Arc<AppState>>,
    signed_in: SignedIn,
    Query(query): Query<IncidentsQuery>,
) -> PageResult {
    let bad = |what: &str, value: &str, allowed: String| {
        PageError::new(
            StatusCode::BAD_REQUEST,
            "Invalid filter",
            format!(
                "{what} `{}` is not one of {allowed}",
                value.chars().take(40).collect::<String>().escape_debug()
            ),
        )
    };
    let mut filter = store::IncidentFilter {
        limit: INCIDENTS_SHOWN,
        ..Default::default()
    };
    match query.state.as_str() {
        "" => {}
        UNRESOLVED => filter.open_only = true,
        s if store::INCIDENT_STATES.contains(&s) => filter.state = Some(s.to_string()),
        s => {
            return Err(bad(
                "state",
                s,
                format!("{UNRESOLVED}, {}", store::INCIDENT_STATES.join(", ")),
            ));
        }
    }
    match query.priority.as_str() {
        "" => {}
        p if store::INCIDENT_PRIORITIES.contains(&p) => filter.priority = Some(p.to_string()),
        p => {
            return Err(bad("priority", p, store::INCIDENT_PRIORITIES.join(", ")));
        }
    }
    let tenant_id = &signed_in.principal.tenant_id;
    let list = state.store.list_incidents(tenant_id, &filter).await?;
    let emails = user_emails(&state, tenant_id).await?;
    let now = now_ms();
    let rows: Vec<IncidentRow> = list.iter().map(|i| incident_row(i, &emails, now)).collect();
    let mut states = vec![UNRESOLVED];
    states.extend(store::INCIDENT_STATES);
    Ok(render(
        StatusCode::OK,
        "incidents.html",
        page! {
            css => stylesheet_url(),
            me => me(&signed_in),
            nav => "incidents",
            incidents => rows,
            states => states,
            priorities => store::INCIDENT_PRIORITIES,
            state => query.state,
            priority => query.priority,
            filtered => !query.state.is_empty() || !query.priority.is_empty(),
            limit => INCIDENTS_SHOWN,
        },
    ))
}

#[derive(Serialize)]
struct TimelineRow {
    kind: String,
    when: String,
    actor: Option<String>,
    /// `alert`: the alert's level and rule.
    level: Option<String>,
    rule: Option<String>,
    /// `alert`: its summary; `comment`: its text.
    text: Option<String>,
    /// `state`: from and to.
    from: Option<String>,
    to: Option<String>,
    /// `assign`: the assignee's e-mail (`None`: unassigned).
    assignee: Option<String>,
}

fn timeline_row(e: &store::IncidentEvent, emails: &HashMap<String, String>) -> TimelineRow {
    let field = |name: &str| {
        e.body
            .get(name)
            .and_then(|v| v.as_str())
            .map(str::to_string)
    };
    let user = |id: String| emails.get(&id).cloned().unwrap_or(id);
    let actor = e.actor.as_ref().map(|a| match a.strip_prefix("user:") {
        Some(id) => user(id.to_string()),
        None => a.clone(),
    });
    let text = match e.kind.as_str() {
        store::INCIDENT_EVENT_COMMENT => field("text"),
        store::INCIDENT_EVENT_ALERT => field("summary"),
        _ => None,
    };
    TimelineRow {
        kind: e.kind.clone(),
        when: when(e.created_at),
        actor,
        level: field("level"),
        rule: field("rule"),
        text,
        from: field("from"),
        to: field("to"),
        assignee: field("assignee").map(user),
    }
}

#[derive(Serialize)]
struct UserOption {
    id: String,
    email: String,
}

/// The incident page; `error` is the refusal of a form just posted.
async fn incident_page(
    state: &AppState,
    signed_in: &SignedIn,
    id: &str,
    status: StatusCode,
    error: Option<&str>,
) -> PageResult {
    let tenant_id = &signed_in.principal.tenant_id;
    let incident = state
        .store
        .get_incident(tenant_id, id)
        .await?
        .ok_or_else(|| PageError::not_found("incident"))?;
    let events = state.store.list_incident_events(tenant_id, id).await?;
    let users = state.store.list_users(tenant_id).await?;
    let emails: HashMap<String, String> = users
        .iter()
        .map(|u| (u.id.clone(), u.email.clone()))
        .collect();
    let timeline: Vec<TimelineRow> = events.iter().map(|e| timeline_row(e, &emails)).collect();
    let position = store::INCIDENT_STATES
        .iter()
        .position(|s| *s == incident.state);
    let next_states: Vec<&str> = match position {
        Some(p) => store::INCIDENT_STATES[p + 1..].to_vec(),
        None => Vec::new(),
    };
    let assignable: Vec<UserOption> = users
        .iter()
        .filter(|u| !u.disabled)
        .map(|u| UserOption {
            id: u.id.clone(),
            email: u.email.clone(),
        })
        .collect();
    let monitor = match &incident.monitor_key {
        Some(key) => state
            .store
            .get_monitor(tenant_id, key)
            .await?
            .map(|m| m.name),
        None => None,
    };
    let now = now_ms();
    Ok(render(
        status,
        "incident.html",
        page! {
            css => stylesheet_url(),
            me => me(signed_in),
            nav => "incidents",
            incident => incident_row(&incident, &emails, now),
            assignee_id => incident.assignee,
            monitor_name => monitor,
            acknowledged => incident.acknowledged_at.map(when),
            mitigated => incident.mitigated_at.map(when),
            resolved => incident.resolved_at.map(when),
            timeline => timeline,
            next_states => next_states,
            users => assignable,
            can_act => signed_in.can("incident.manage"),
            max_comment => MAX_COMMENT_LEN,
            error => error,
        },
    ))
}

pub(crate) async fn incident(
    State(state): State<Arc<AppState>>,
    signed_in: SignedIn,
    Path(id): Path<String>,
) -> PageResult {
    incident_page(&state, &signed_in, &id, StatusCode::OK, None).await
}

/// After a form: back to the incident, or the incident with the refusal of a client
/// error (an invalid transition, an unknown assignee, an empty comment).
async fn after_form(
    state: &AppState,
    signed_in: &SignedIn,
    id: &str,
    outcome: Result<(), ApiError>,
    anchor: &str,
) -> PageResult {
    match outcome {
        Ok(()) => Ok(Redirect::to(&format!("/incidents/{id}#{anchor}")).into_response()),
        Err(error)
            if error.status.is_client_error()
                && error.status != StatusCode::FORBIDDEN
                && error.status != StatusCode::NOT_FOUND =>
        {
            incident_page(state, signed_in, id, error.status, Some(&error.detail)).await
        }
        Err(error) => Err(error.into()),
    }
}

#[derive(Deserialize)]
pub(crate) struct StateForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    state: String,
}

pub(crate) async fn move_state(
    State(state): State<Arc<AppState>>,
    signed_in: SignedIn,
    headers: HeaderMap,
    Path(id): Path<String>,
    form: Result<Form<StateForm>, FormRejection>,
) -> PageResult {
    let Form(form) = form.map_err(bad_form)?;
    signed_in
        .check_post(&state, &headers, &form.csrf, "update incidents")
        .await?;
    let change = Change {
        state: Some(form.state),
        assignee: None,
    };
    let outcome = incidents::apply_change(&state, &signed_in.principal, &id, change)
        .await
        .map(drop);
    after_form(&state, &signed_in, &id, outcome, "actions").await
}

#[derive(Deserialize)]
pub(crate) struct AssignForm {
    #[serde(default)]
    csrf: String,
    /// A user id; empty unassigns.
    #[serde(default)]
    assignee: String,
}

pub(crate) async fn assign(
    State(state): State<Arc<AppState>>,
    signed_in: SignedIn,
    headers: HeaderMap,
    Path(id): Path<String>,
    form: Result<Form<AssignForm>, FormRejection>,
) -> PageResult {
    let Form(form) = form.map_err(bad_form)?;
    signed_in
        .check_post(&state, &headers, &form.csrf, "update incidents")
        .await?;
    let assignee = form.assignee.trim();
    let change = Change {
        state: None,
        assignee: Some((!assignee.is_empty()).then(|| assignee.to_string())),
    };
    let outcome = incidents::apply_change(&state, &signed_in.principal, &id, change)
        .await
        .map(drop);
    after_form(&state, &signed_in, &id, outcome, "actions").await
}

#[derive(Deserialize)]
pub(crate) struct CommentForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    text: String,
}

pub(crate) async fn comment(
    State(state): State<Arc<AppState>>,
    signed_in: SignedIn,
    headers: HeaderMap,
    Path(id): Path<String>,
    form: Result<Form<CommentForm>, FormRejection>,
) -> PageResult {
    let Form(form) = form.map_err(bad_form)?;
    signed_in
        .check_post(&state, &headers, &form.csrf, "comment on incidents")
        .await?;
    let text = form.text.replace("\r\n", "\n");
    let outcome = incidents::add_comment(&state, &signed_in.principal, &id, &text)
        .await
        .map(drop);
    after_form(&state, &signed_in, &id, outcome, "timeline").await
}

// Monitors.

#[derive(Serialize)]
struct EventRow {
    when: String,
    rule: String,
    level: String,
    block: i64,
    tx_hash: Option<String>,
    summary: Option<String>,
    incident_id: Option<String>,
}

#[derive(Serialize)]
struct MonitorRow {
    id: String,
    name: String,
    enabled: bool,
    chain_id: Option<u64>,
    rules: usize,
    contracts: usize,
    updated: String,
    events: Vec<EventRow>,
}

pub(crate) async fn monitors(
    State(state): State<Arc<AppState>>,
    signed_in: SignedIn,
) -> PageResult {
    let tenant_id = &signed_in.principal.tenant_id;
    let monitors = state.store.list_monitors(tenant_id).await?;
    let mut rows = Vec::with_capacity(monitors.len());
    for m in &monitors {
        let events = state
            .store
            .list_monitor_events(tenant_id, &m.id, RECENT_EVENTS)
            .await?;
        let summary = summary(&m.config);
        rows.push(MonitorRow {
            id: m.id.clone(),
            name: m.name.clone(),
            enabled: m.enabled,
            chain_id: summary.as_ref().map(|s| s.chain_id),
            rules: summary.as_ref().map_or(0, |s| s.rules.len()),
            contracts: summary.as_ref().map_or(0, |s| s.contracts),
            updated: when(m.updated_at),
            events: events
                .into_iter()
                .map(|e| EventRow {
                    when: when(e.created_at),
                    summary: e
                        .detail
                        .get("summary")
                        .and_then(|s| s.as_str())
                        .map(str::to_string),
                    rule: e.rule,
                    level: e.level,
                    block: e.block_number,
                    tx_hash: e.tx_hash,
                    incident_id: e.incident_id,
                })
                .collect(),
        });
    }
    Ok(render(
        StatusCode::OK,
        "monitors.html",
        page! {
            css => stylesheet_url(),
            me => me(&signed_in),
            nav => "monitors",
            monitors => rows,
            recent => RECENT_EVENTS,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::age;

    #[test]
    fn ages_are_in_the_largest_whole_unit() {
        let now = 10 * 86_400_000;
        assert_eq!(age(now, now - 5_000), "5 s");
        assert_eq!(age(now, now - 60_000), "1 min");
        assert_eq!(age(now, now - 3_599_000), "59 min");
        assert_eq!(age(now, now - 3_600_000), "1 h");
        assert_eq!(age(now, now - 2 * 86_400_000), "2 d");
        // A clock step backwards is no negative age.
        assert_eq!(age(now, now + 1_000), "0 s");
    }
}
