//! The optional AI assistant in the service: which tenants use which profile, the queue
//! of suggestions and the runner that works it off the audit path.
//!
//! A suggestion is queued by a request (`POST /api/v1/findings/{id}/suggestions`, or the
//! dashboard) or, for tenants that asked for it, for each finding at or above a severity
//! when an audit succeeds. Nodes that run workers take suggestions from the queue under a
//! lease ([`runner`]), send the finding with its surrounding source to the profile's
//! provider through the egress guard (the provider's host must be allow-listed, and the
//! connection goes to the checked addresses only), and store the validated outcome or the
//! error beside the finding. The audit never waits for any of it, and nothing here changes
//! a finding's triage state. Budgets (tokens per tenant and UTC day) and the outcome cache
//! live in the database, so they hold across every node.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use assistant::budget::{day_string, utc_day};
use assistant::{
    Assistant, AssistantError, AssistantSettings, Budget, CacheKey, FindingInput, Outcome,
    Reservation, SuggestionCache,
};
use serde_json::{Value, json};
use store::{Store, Suggestion};
use tokio::sync::watch;

use crate::analyzer::SEVERITIES;
use crate::egress::EgressPolicy;
use crate::state::AppState;
use crate::timestamp::{now_ms, rfc3339};

/// Suggestions worked on at once by one node.
const CONCURRENCY: usize = 4;
/// Attempts before a suggestion whose node died with it is given up.
const MAX_ATTEMPTS: i64 = 3;
/// How long a claimed suggestion is held: the longest provider timeout and a margin.
const LEASE: Duration = Duration::from_secs(assistant::config::MAX_TIMEOUT_SECS + 60);
/// How often an idle runner looks at the queue (a request on this node wakes it at once).
const POLL: Duration = Duration::from_secs(2);
/// Source lines sent on each side of the flagged ones.
const CONTEXT_RADIUS: u32 = 30;
/// The most findings of one audit queued on their own when it succeeds.
pub(crate) const MAX_AUTO_PER_AUDIT: usize = 25;

/// The shown reminder of what a suggestion is.
pub(crate) const DISCLAIMER: &str = "A suggestion from an AI model, from the finding and its source: it can be wrong, and it does not change the finding's triage state.";

/// Why a tenant cannot use the assistant now, as an API problem type and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Unavailable(pub String);

/// The profile the tenant chose, if its plan still offers it and it is enabled.
pub(crate) async fn tenant_profile<'s>(
    state: &'s AppState,
    tenant_id: &str,
) -> Result<(String, &'s AssistantSettings), Unavailable> {
    let policy =
        state.store.assistant_policy(tenant_id).await.map_err(|e| {
            Unavailable(format!("cannot read the tenant's assistant settings: {e}"))
        })?;
    let Some(name) = policy.profile else {
        return Err(Unavailable(
            "the tenant has not opted in to the assistant (PUT /api/v1/tenants/{id}/assistant)"
                .into(),
        ));
    };
    check_profile(state, tenant_id, &name)
        .await
        .map(|settings| (name, settings))
}

/// The named profile when the tenant's plan offers it and the operator enabled it.
pub(crate) async fn check_profile<'s>(
    state: &'s AppState,
    tenant_id: &str,
    name: &str,
) -> Result<&'s AssistantSettings, Unavailable> {
    let offered = plan_profiles(state, tenant_id).await;
    if !offered.iter().any(|p| p == name) {
        return Err(Unavailable(format!(
            "the tenant's plan does not offer the assistant profile `{}`",
            name.escape_debug()
        )));
    }
    match state.settings.assistants.get(name) {
        Some(settings) if settings.enabled => Ok(settings),
        Some(_) => Err(Unavailable(format!(
            "the assistant profile `{}` is turned off by the operator",
            name.escape_debug()
        ))),
        None => Err(Unavailable(format!(
            "the assistant profile `{}` is not configured",
            name.escape_debug()
        ))),
    }
}

/// The assistant profiles the tenant's plan offers.
pub(crate) async fn plan_profiles(state: &AppState, tenant_id: &str) -> Vec<String> {
    state
        .tenant_plan(tenant_id)
        .await
        .map(|plan| plan.assistants)
        .unwrap_or_default()
}

/// Queues a suggestion on `finding` with `profile` for `actor`; returns the one that
/// now waits (an earlier one still waiting is returned instead) and whether it is new.
pub(crate) async fn request(
    state: &AppState,
    finding: &store::Finding,
    profile: &str,
    actor: &str,
) -> store::Result<(Suggestion, bool)> {
    let suggestion = Suggestion {
        id: crate::handlers::new_id(),
        tenant_id: finding.tenant_id.clone(),
        audit_id: finding.audit_id.clone(),
        finding_id: finding.id.clone(),
        fingerprint: finding.data.fingerprint.clone(),
        profile: profile.to_owned(),
        status: store::SUGGESTION_QUEUED.into(),
        requested_by: actor.to_owned(),
        attempts: 0,
        outcome: None,
        error: None,
        created_at: now_ms(),
        finished_at: None,
    };
    let queued = state.store.request_suggestion(&suggestion).await?;
    if queued.1 {
        state.suggested.notify_one();
    }
    Ok(queued)
}

/// After an audit succeeded: queues suggestions on its findings at or above the tenant's
/// chosen severity (most severe first, at most [`MAX_AUTO_PER_AUDIT`]). Does nothing for
/// tenants that did not ask for it; problems are logged, never the audit's.
pub(crate) async fn queue_for_audit(state: &AppState, tenant_id: &str, audit_id: &str) {
    let Ok(policy) = state.store.assistant_policy(tenant_id).await else {
        return;
    };
    let Some(floor) = policy.auto_severity.as_deref().and_then(severity_rank) else {
        return;
    };
    let Ok((profile, _)) = tenant_profile(state, tenant_id).await else {
        return;
    };
    let filter = store::FindingFilter {
        limit: i64::MAX,
        ..Default::default()
    };
    let findings = match state
        .store
        .list_findings(tenant_id, audit_id, &filter)
        .await
    {
        Ok(findings) => findings,
        Err(error) => {
            tracing::error!(%audit_id, %error, "cannot list findings to send to the assistant");
            return;
        }
    };
    let mut chosen: Vec<&store::Finding> = findings
        .iter()
        .filter(|f| severity_rank(&f.data.severity).is_some_and(|rank| rank <= floor))
        .filter(|f| f.triage_state != "false_positive")
        .collect();
    chosen.sort_by_key(|f| (severity_rank(&f.data.severity), f.ordinal));
    for finding in chosen.into_iter().take(MAX_AUTO_PER_AUDIT) {
        if let Err(error) = request(state, finding, &profile, "system:assistant").await {
            tracing::error!(%audit_id, finding_id = %finding.id, %error, "cannot queue a suggestion");
        }
    }
}

/// Position in [`SEVERITIES`] (0 is the most severe).
pub(crate) fn severity_rank(severity: &str) -> Option<usize> {
    SEVERITIES.iter().position(|s| *s == severity)
}

/// Works the queue until `stop`: claims suggestions under a lease and answers up to
/// [`CONCURRENCY`] at once.
pub(crate) async fn runner(state: Arc<AppState>, mut stop: watch::Receiver<bool>) {
    let mut running = tokio::task::JoinSet::new();
    loop {
        if *stop.borrow() {
            running.abort_all();
            return;
        }
        while running.len() < CONCURRENCY {
            let now = now_ms();
            let lease_until = now + LEASE.as_millis() as i64;
            match state
                .store
                .claim_suggestion(&state.owner, now, lease_until, MAX_ATTEMPTS)
                .await
            {
                Ok(Some(suggestion)) => {
                    let state = state.clone();
                    running.spawn(async move { answer(&state, suggestion).await });
                }
                Ok(None) => break,
                Err(error) => {
                    tracing::error!(%error, "cannot take suggestions from the queue");
                    break;
                }
            }
        }
        tokio::select! {
            Some(_) = running.join_next(), if !running.is_empty() => {}
            _ = state.suggested.notified() => {}
            _ = tokio::time::sleep(POLL) => {}
            _ = stop.changed() => {}
        }
    }
}

/// Answers one claimed suggestion and records the outcome or the error.
async fn answer(state: &AppState, suggestion: Suggestion) {
    let result = match ask(state, &suggestion).await {
        Ok(outcome) => serde_json::to_string(&outcome).map_err(|e| e.to_string()),
        Err(error) => Err(error),
    };
    let outcome = match &result {
        Ok(json) => Ok(json.as_str()),
        Err(error) => Err(error.as_str()),
    };
    state
        .metrics
        .record_suggestion(if outcome.is_ok() { "done" } else { "failed" });
    match state
        .store
        .finish_suggestion(&suggestion.id, &state.owner, outcome, now_ms())
        .await
    {
        Ok(true) => {}
        Ok(false) => tracing::warn!(
            suggestion_id = %suggestion.id,
            "a suggestion's lease was lost before its outcome was recorded"
        ),
        Err(error) => {
            tracing::error!(suggestion_id = %suggestion.id, %error, "cannot record a suggestion")
        }
    }
}

/// The assistant's answer for one suggestion, or why there is none (one line, no
/// secrets: the assistant's errors never carry the key).
async fn ask(state: &AppState, suggestion: &Suggestion) -> Result<Outcome, String> {
    let tenant = &suggestion.tenant_id;
    let finding = state
        .store
        .get_finding(tenant, &suggestion.finding_id)
        .await
        .map_err(|e| format!("cannot read the finding: {e}"))?
        .ok_or("the finding no longer exists")?;
    let settings = check_profile(state, tenant, &suggestion.profile)
        .await
        .map_err(|Unavailable(why)| why)?
        .clone();
    let sources = state
        .store
        .audit_sources(tenant, &finding.audit_id)
        .await
        .map_err(|e| format!("cannot read the audit's sources: {e}"))?;
    let input = finding_input(&finding, sources.as_deref());

    let endpoint = settings.provider.endpoint.clone();
    let destination = EgressPolicy::new(&state.settings.egress_allow_hosts)
        .check(&endpoint)
        .await
        .map_err(|e| format!("the provider cannot be reached under the egress policy: {e}"))?;
    let client = destination.client(settings.provider.timeout());
    let key = settings
        .provider
        .api_key
        .as_ref()
        .map(assistant::resolve_key)
        .transpose()
        .map_err(|e| e.to_string())?;
    let store_cache: Arc<dyn SuggestionCache> = Arc::new(StoredCache {
        store: state.store.clone(),
        tenant: tenant.clone(),
    });
    let budget: Arc<dyn Budget> = Arc::new(StoredBudget {
        store: state.store.clone(),
    });
    let assistant = Assistant::new(tenant.clone(), settings, client, key, store_cache, budget)
        .map_err(|e| e.to_string())?;
    assistant.suggest(&input).await.map_err(|e| e.to_string())
}

/// What the provider is told about a finding: its facts, the flagged lines and
/// [`CONTEXT_RADIUS`] lines around them from the audit's sources.
fn finding_input(finding: &store::Finding, sources_json: Option<&str>) -> FindingInput {
    let data = &finding.data;
    let text = sources_json.and_then(|json| {
        let files: BTreeMap<String, String> = serde_json::from_str(json).ok()?;
        files.get(&data.file).cloned()
    });
    let (snippet, context) = match &text {
        Some(text) => {
            let snippet: Vec<&str> = text
                .lines()
                .skip(data.start_line.saturating_sub(1) as usize)
                .take(data.end_line.saturating_sub(data.start_line) as usize + 1)
                .collect();
            (
                snippet.join("\n"),
                FindingInput::context_from_source(
                    text,
                    data.start_line,
                    data.end_line,
                    CONTEXT_RADIUS,
                ),
            )
        }
        None => (String::new(), Vec::new()),
    };
    FindingInput {
        fingerprint: data.fingerprint.clone(),
        rule_id: data.detector.clone(),
        title: data.title.clone(),
        severity: data.severity.clone(),
        message: data.message.clone(),
        file: data.file.clone(),
        line_start: data.start_line,
        line_end: data.end_line,
        snippet,
        context,
    }
}

/// The outcome cache in the database, shared by every node.
struct StoredCache {
    store: Arc<dyn Store>,
    tenant: String,
}

#[async_trait::async_trait]
impl SuggestionCache for StoredCache {
    async fn get(&self, key: &CacheKey) -> Result<Option<Outcome>, AssistantError> {
        let stored = self
            .store
            .cached_outcome(&key.0)
            .await
            .map_err(|e| AssistantError::Storage(e.to_string()))?;
        // An entry that no longer parses (an older format) is a miss.
        Ok(stored.and_then(|json| serde_json::from_str(&json).ok()))
    }

    async fn put(&self, key: &CacheKey, outcome: &Outcome) -> Result<(), AssistantError> {
        let json =
            serde_json::to_string(outcome).map_err(|e| AssistantError::Storage(e.to_string()))?;
        self.store
            .cache_outcome(&key.0, &self.tenant, &json, now_ms())
            .await
            .map_err(|e| AssistantError::Storage(e.to_string()))
    }
}

/// Token budgets in the database: a reservation is one conditional update, so budgets
/// hold across nodes and concurrent suggestions.
struct StoredBudget {
    store: Arc<dyn Store>,
}

fn tokens(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

#[async_trait::async_trait]
impl Budget for StoredBudget {
    async fn reserve(
        &self,
        tenant: &str,
        requested: u64,
        daily_limit: u64,
    ) -> Result<Reservation, AssistantError> {
        let day = utc_day(SystemTime::now());
        let storage = |e: store::StoreError| AssistantError::Storage(e.to_string());
        let day_name = day_string(day);
        let taken = self
            .store
            .reserve_assistant_tokens(tenant, &day_name, tokens(requested), tokens(daily_limit))
            .await
            .map_err(storage)?;
        if !taken {
            let used = self
                .store
                .assistant_tokens_used(tenant, &day_name)
                .await
                .map_err(storage)?;
            return Err(AssistantError::BudgetExhausted {
                tenant: tenant.to_owned(),
                day: day_name,
                limit: daily_limit,
                used: u64::try_from(used).unwrap_or(0),
                requested,
            });
        }
        Ok(Reservation {
            tenant: tenant.to_owned(),
            day,
            tokens: requested,
        })
    }

    async fn settle(&self, reservation: Reservation, actual: u64) -> Result<(), AssistantError> {
        let delta = tokens(actual) - tokens(reservation.tokens);
        if delta == 0 {
            return Ok(());
        }
        self.store
            .adjust_assistant_tokens(&reservation.tenant, &day_string(reservation.day), delta)
            .await
            .map_err(|e| AssistantError::Storage(e.to_string()))
    }
}

/// Tokens the tenant used today (UTC).
pub(crate) async fn tokens_used_today(state: &AppState, tenant_id: &str) -> store::Result<i64> {
    state
        .store
        .assistant_tokens_used(tenant_id, &day_string(utc_day(SystemTime::now())))
        .await
}

/// The API's view of a suggestion: its state, and the validated outcome when answered.
pub(crate) fn view(s: &Suggestion) -> Value {
    let outcome = s
        .outcome
        .as_deref()
        .and_then(|json| serde_json::from_str::<Outcome>(json).ok());
    let answer = outcome.map(|o| {
        json!({
            "explanation": o.suggestion.explanation,
            "attack_scenario": o.suggestion.attack_scenario,
            "patch_diff": o.suggestion.patch_diff,
            "verdict": o.suggestion.verdict,
            "reasoning": o.suggestion.reasoning,
            "confidence": o.suggestion.confidence,
            "notes": o.notes,
            "provider": o.provider,
            "model": o.model,
            "prompt_version": o.prompt_version,
            "cached": o.cached,
            "usage": o.usage,
        })
    });
    json!({
        "id": s.id,
        "finding_id": s.finding_id,
        "audit_id": s.audit_id,
        "profile": s.profile,
        "status": s.status,
        "requested_by": s.requested_by,
        "attempts": s.attempts,
        "created_at": rfc3339(s.created_at),
        "finished_at": s.finished_at.map(rfc3339),
        "error": s.error,
        "suggestion": answer,
        "disclaimer": DISCLAIMER,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(file: &str, start: u32, end: u32) -> store::Finding {
        store::Finding {
            id: "f".into(),
            audit_id: "a".into(),
            tenant_id: "t".into(),
            ordinal: 0,
            data: store::FindingData {
                detector: "reentrancy".into(),
                title: "Reentrancy".into(),
                severity: "high".into(),
                confidence: "high".into(),
                file: file.into(),
                start_line: start,
                end_line: end,
                message: "state written after the call".into(),
                fingerprint: "fp".into(),
                category: None,
                swc: None,
                shape: None,
            },
            triage_state: "open".into(),
        }
    }

    #[test]
    fn the_provider_gets_the_flagged_lines_and_their_surroundings() {
        let text: String = (1..=100).map(|i| format!("line {i}\n")).collect();
        let sources = serde_json::to_string(&BTreeMap::from([("src/A.sol", &text)])).unwrap();
        let input = finding_input(&finding("src/A.sol", 50, 51), Some(&sources));
        assert_eq!(input.snippet, "line 50\nline 51");
        assert_eq!(input.context.first().unwrap().line, 20);
        assert_eq!(input.context.last().unwrap().line, 81);
        assert_eq!(input.context[0].text, "line 20");
        // A file the sources lack (or no sources) gives the facts alone.
        let bare = finding_input(&finding("src/B.sol", 1, 1), Some(&sources));
        assert!(bare.snippet.is_empty() && bare.context.is_empty());
        assert_eq!(bare.rule_id, "reentrancy");
    }

    #[test]
    fn severities_rank_most_severe_first() {
        assert_eq!(severity_rank("critical"), Some(0));
        assert!(severity_rank("high") < severity_rank("low"));
        assert_eq!(severity_rank("severe"), None);
    }
}
