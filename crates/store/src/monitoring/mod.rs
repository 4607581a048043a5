//! On-chain monitoring: monitors defined through the API, the checkpoint of each monitor,
//! the events its rules fired, and the incidents those events open or join. Times are Unix
//! milliseconds.
//!
//! Exactly once: [`crate::Store::record_monitor_blocks`] takes the events of a run of
//! consecutive blocks and, in one transaction, checks that the monitor's checkpoint is
//! still where the caller read it (another process that moved it makes this a
//! [`crate::StoreError::Conflict`] and nothing is written), stores the events (one row per
//! `(monitor, rule, block, transaction, log)`, a repeated one is ignored), raises or folds
//! the alert of each event (the same cooldown decision as [`crate::Store::raise_alert`]),
//! opens or joins the incident of each opened alert, and advances the checkpoint.

use serde::{Deserialize, Serialize};

/// Incident states, in lifecycle order. Open until resolved.
pub const INCIDENT_OPEN: &str = "open";
pub const INCIDENT_ACKNOWLEDGED: &str = "acknowledged";
pub const INCIDENT_MITIGATED: &str = "mitigated";
pub const INCIDENT_RESOLVED: &str = "resolved";
pub const INCIDENT_STATES: [&str; 4] = [
    INCIDENT_OPEN,
    INCIDENT_ACKNOWLEDGED,
    INCIDENT_MITIGATED,
    INCIDENT_RESOLVED,
];

/// Incident priorities, most urgent first; an alert at level `ALERT_LEVELS[i]` opens an
/// incident of priority `INCIDENT_PRIORITIES[i]`.
pub const INCIDENT_PRIORITIES: [&str; 4] = ["P0", "P1", "P2", "P3"];

/// Kinds of incident timeline entries.
pub const INCIDENT_EVENT_ALERT: &str = "alert";
pub const INCIDENT_EVENT_COMMENT: &str = "comment";
pub const INCIDENT_EVENT_STATE: &str = "state";
pub const INCIDENT_EVENT_ASSIGN: &str = "assign";

/// A monitor defined through the API: its monitor-file text (TOML, one `[[monitors]]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredMonitor {
    pub id: String,
    pub tenant_id: String,
    pub name: String,
    pub config: String,
    pub enabled: bool,
    pub created_by: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A change of a stored monitor: the fields given, and `updated_at = now`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MonitorUpdate {
    pub name: Option<String>,
    pub config: Option<String>,
    pub enabled: Option<bool>,
    pub now: i64,
}

/// Where a monitor stands on one chain. `monitor_key` names the monitor: the id of a
/// stored monitor, or `file:NAME` for one from a monitor file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonitorCheckpoint {
    pub monitor_key: String,
    pub chain_id: i64,
    /// The next block to process.
    pub next_block: i64,
    /// Hash of block `next_block - 1` as processed (reorg detection).
    pub last_hash: Option<String>,
    /// The rules' rolling windows, opaque to the store.
    pub state: serde_json::Value,
    pub updated_at: i64,
}

/// One firing of a monitor rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewMonitorEvent {
    pub id: String,
    pub rule: String,
    /// `critical`, `high`, `medium` or `low`.
    pub level: String,
    pub block_number: i64,
    pub block_hash: String,
    pub tx_hash: Option<String>,
    /// -1 for a block-level firing.
    pub tx_index: i64,
    /// -1 when no log fired it.
    pub log_index: i64,
    /// Alerts of one rule with the same key fold together during the cooldown.
    pub dedup_key: String,
    pub cooldown_ms: i64,
    /// `summary` (one line) and whatever the rule decoded.
    pub detail: serde_json::Value,
}

/// The outcome of processing a run of consecutive blocks, to be recorded at once.
#[derive(Debug, Clone, PartialEq)]
pub struct MonitorBlocks {
    pub monitor_key: String,
    /// The monitor's name, used in alert rule names (`monitor:NAME/RULE`) and incidents.
    pub monitor_name: String,
    pub tenant_id: String,
    /// The checkpoint's `next_block` as the caller read it (`None`: there was none).
    pub expected_next: Option<i64>,
    /// The checkpoint after these blocks.
    pub checkpoint: MonitorCheckpoint,
    pub events: Vec<NewMonitorEvent>,
    pub now: i64,
}

/// A stored firing, with the alert it raised or folded into.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MonitorEvent {
    pub id: String,
    pub monitor_key: String,
    pub tenant_id: String,
    pub rule: String,
    pub level: String,
    pub chain_id: i64,
    pub block_number: i64,
    pub block_hash: String,
    pub tx_hash: Option<String>,
    pub tx_index: i64,
    pub log_index: i64,
    pub alert_id: Option<String>,
    pub incident_id: Option<String>,
    pub detail: serde_json::Value,
    pub created_at: i64,
}

/// What [`crate::Store::record_monitor_blocks`] did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RecordedBlocks {
    /// Events stored (repeats already stored are not counted).
    pub events: u64,
    /// Alerts opened by these events: to be sent to the channels.
    pub opened: Vec<crate::Alert>,
    /// Incidents opened by these events.
    pub incidents_opened: Vec<Incident>,
}

/// An incident of a tenant: opened by a monitor's alert, joined by the monitor's later
/// alerts until it is resolved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Incident {
    pub id: String,
    pub tenant_id: String,
    pub title: String,
    /// `P0` … `P3`; raised when a more urgent alert joins.
    pub priority: String,
    pub state: String,
    pub assignee: Option<String>,
    /// The monitor key whose alerts open or join it.
    pub monitor_key: Option<String>,
    pub alert_count: i64,
    pub opened_at: i64,
    pub acknowledged_at: Option<i64>,
    pub mitigated_at: Option<i64>,
    pub resolved_at: Option<i64>,
    pub updated_at: i64,
}

/// One entry of an incident's timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentEvent {
    pub id: String,
    pub incident_id: String,
    /// `alert`, `comment`, `state` or `assign`.
    pub kind: String,
    pub actor: Option<String>,
    /// `alert`: `{"alert_id", "rule", "level", "summary"}`; `comment`: `{"text"}`;
    /// `state`: `{"from", "to"}`; `assign`: `{"assignee"}`.
    pub body: serde_json::Value,
    pub created_at: i64,
}

/// Which incidents [`crate::Store::list_incidents`] returns; `limit` 0 or less means
/// 100, at most 1000.
#[derive(Debug, Clone, Default)]
pub struct IncidentFilter {
    pub state: Option<String>,
    pub priority: Option<String>,
    /// Only incidents not resolved.
    pub open_only: bool,
    pub limit: i64,
}

/// A change of state and/or assignee, by `actor`. A state may only move forward
/// (open → acknowledged → mitigated → resolved, skipping allowed), never back.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IncidentUpdate {
    pub state: Option<String>,
    /// `Some(None)` unassigns.
    pub assignee: Option<Option<String>>,
    pub actor: String,
    pub now: i64,
}

/// Why an incident update was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IncidentChange {
    Updated(Incident),
    /// The state would move backwards or is unknown.
    InvalidTransition {
        from: String,
        to: String,
    },
}

/// Default number of rows a list returns when the caller gives no positive limit.
const DEFAULT_LIST_LIMIT: i64 = 100;
/// Most rows a list returns.
const MAX_LIST_LIMIT: i64 = 1000;

/// The number of rows a list returns for a requested `limit`: a sane default when it is
/// zero or negative, capped.
pub(crate) fn list_limit(limit: i64) -> i64 {
    if limit <= 0 {
        DEFAULT_LIST_LIMIT
    } else {
        limit.min(MAX_LIST_LIMIT)
    }
}

/// The incident priority an alert level opens: critical → P0 … low → P3.
pub(crate) fn priority_of_level(level: &str) -> Option<&'static str> {
    crate::ALERT_LEVELS
        .iter()
        .position(|l| *l == level)
        .map(|i| INCIDENT_PRIORITIES[i])
}

/// The more urgent of two priorities (an unknown one loses).
fn more_urgent<'a>(a: &'a str, b: &'a str) -> &'a str {
    let rank = |p: &str| INCIDENT_PRIORITIES.iter().position(|q| *q == p);
    match (rank(a), rank(b)) {
        (Some(x), Some(y)) if y < x => b,
        (None, Some(_)) => b,
        _ => a,
    }
}

/// Position of a state in the lifecycle.
fn state_rank(state: &str) -> Option<usize> {
    INCIDENT_STATES.iter().position(|s| *s == state)
}

/// Key of the advisory lock that serializes the recording of one monitor on one chain.
pub(crate) fn checkpoint_lock_key(monitor_key: &str, chain_id: i64) -> i64 {
    use sha2::Digest;
    let mut hasher = sha2::Sha256::new();
    hasher.update(b"monitor-checkpoint");
    hasher.update((monitor_key.len() as u64).to_be_bytes());
    hasher.update(monitor_key.as_bytes());
    hasher.update(chain_id.to_be_bytes());
    let digest = hasher.finalize();
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(bytes)
}

/// The one-line summary a rule put in an event's detail.
fn summary_of(event: &NewMonitorEvent) -> Option<&str> {
    event
        .detail
        .get("summary")
        .and_then(serde_json::Value::as_str)
}

/// The alert an event raises: `monitor:NAME/RULE`, of the tenant, with the event's
/// detail and where on the chain it fired.
fn alert_of(blocks: &MonitorBlocks, event: &NewMonitorEvent) -> crate::NewAlert {
    let mut detail = match &event.detail {
        serde_json::Value::Object(map) => map.clone(),
        serde_json::Value::Null => serde_json::Map::new(),
        other => {
            let mut map = serde_json::Map::new();
            map.insert("detail".into(), other.clone());
            map
        }
    };
    detail.insert("monitor".into(), blocks.monitor_name.clone().into());
    detail.insert("block_number".into(), event.block_number.into());
    detail.insert("tx_hash".into(), event.tx_hash.clone().into());
    detail.insert("chain_id".into(), blocks.checkpoint.chain_id.into());
    crate::NewAlert {
        id: format!("{}-alert", event.id),
        rule: format!("monitor:{}/{}", blocks.monitor_name, event.rule),
        severity: event.level.clone(),
        tenant_id: Some(blocks.tenant_id.clone()),
        dedup_key: event.dedup_key.clone(),
        occurrences: 1,
        detail: serde_json::Value::Object(detail),
        now: blocks.now,
        cooldown_ms: event.cooldown_ms,
    }
}

/// A timeline entry to append to an incident.
pub(crate) struct NewIncidentEvent<'a> {
    pub(crate) incident_id: &'a str,
    pub(crate) kind: &'static str,
    pub(crate) actor: Option<&'a str>,
    pub(crate) body: serde_json::Value,
    /// The alert of an `alert` entry.
    pub(crate) alert_id: Option<&'a str>,
    pub(crate) created_at: i64,
}

/// The statements a backend runs inside the transaction of a monitoring write; the
/// decisions around them ([`record`], [`update`], [`comment`]) are the same on both.
#[async_trait::async_trait]
pub(crate) trait MonitorTx: Send {
    /// Serializes this transaction against others recording the same monitor and chain.
    async fn lock_checkpoint(&mut self, monitor_key: &str, chain_id: i64) -> crate::Result<()>;
    /// The stored checkpoint's `next_block`.
    async fn checkpoint_next(
        &mut self,
        monitor_key: &str,
        chain_id: i64,
    ) -> crate::Result<Option<i64>>;
    async fn upsert_checkpoint(&mut self, checkpoint: &MonitorCheckpoint) -> crate::Result<()>;
    /// Inserts an event without its alert and incident; false when one with the same
    /// (monitor, chain, rule, block, transaction, log) is stored already.
    async fn insert_event(&mut self, event: &MonitorEvent) -> crate::Result<bool>;
    async fn link_event(
        &mut self,
        event_id: &str,
        alert_id: &str,
        incident_id: Option<&str>,
    ) -> crate::Result<()>;
    /// The cooldown decision of [`crate::Store::raise_alert`], in this transaction.
    async fn raise_alert(&mut self, alert: &crate::NewAlert) -> crate::Result<crate::RaisedAlert>;
    /// The newest incident of the monitor that is not resolved, locked for update.
    async fn unresolved_incident(
        &mut self,
        tenant_id: &str,
        monitor_key: &str,
    ) -> crate::Result<Option<Incident>>;
    /// The tenant's incident, locked for update.
    async fn lock_incident(&mut self, tenant_id: &str, id: &str)
    -> crate::Result<Option<Incident>>;
    /// The incident whose timeline holds the alert.
    async fn incident_of_alert(
        &mut self,
        tenant_id: &str,
        alert_id: &str,
    ) -> crate::Result<Option<String>>;
    async fn insert_incident(&mut self, incident: &Incident) -> crate::Result<()>;
    /// Writes the mutable fields of an incident (priority, state, assignee, count, times).
    async fn save_incident(&mut self, incident: &Incident) -> crate::Result<()>;
    /// Appends a timeline entry after the incident's last one (the incident is locked).
    async fn append_incident_event(
        &mut self,
        event: &NewIncidentEvent<'_>,
    ) -> crate::Result<IncidentEvent>;
}

/// [`crate::Store::record_monitor_blocks`] inside the caller's transaction; the caller
/// commits on `Ok`.
pub(crate) async fn record<T: MonitorTx + ?Sized>(
    tx: &mut T,
    blocks: &MonitorBlocks,
) -> crate::Result<RecordedBlocks> {
    let chain_id = blocks.checkpoint.chain_id;
    if blocks.checkpoint.monitor_key != blocks.monitor_key {
        return Err(crate::StoreError::Unsupported(format!(
            "the checkpoint is of monitor `{}`, the blocks of monitor `{}`",
            blocks.checkpoint.monitor_key, blocks.monitor_key
        )));
    }
    if let Some(event) = blocks
        .events
        .iter()
        .find(|e| priority_of_level(&e.level).is_none())
    {
        return Err(crate::StoreError::Unsupported(format!(
            "event `{}` has level `{}`; expected one of {}",
            event.id,
            event.level,
            crate::ALERT_LEVELS.join(", ")
        )));
    }
    tx.lock_checkpoint(&blocks.monitor_key, chain_id).await?;
    if tx.checkpoint_next(&blocks.monitor_key, chain_id).await? != blocks.expected_next {
        return Err(crate::StoreError::Conflict("monitor checkpoint"));
    }
    let mut recorded = RecordedBlocks::default();
    for event in &blocks.events {
        let stored = MonitorEvent {
            id: event.id.clone(),
            monitor_key: blocks.monitor_key.clone(),
            tenant_id: blocks.tenant_id.clone(),
            rule: event.rule.clone(),
            level: event.level.clone(),
            chain_id,
            block_number: event.block_number,
            block_hash: event.block_hash.clone(),
            tx_hash: event.tx_hash.clone(),
            tx_index: event.tx_index,
            log_index: event.log_index,
            alert_id: None,
            incident_id: None,
            detail: event.detail.clone(),
            created_at: blocks.now,
        };
        if !tx.insert_event(&stored).await? {
            continue;
        }
        recorded.events += 1;
        let (alert_id, incident_id) = match tx.raise_alert(&alert_of(blocks, event)).await? {
            crate::RaisedAlert::Opened(alert) => {
                let incident = open_or_join(tx, blocks, event, &alert, &mut recorded).await?;
                let alert_id = alert.id.clone();
                recorded.opened.push(alert);
                (alert_id, Some(incident))
            }
            crate::RaisedAlert::Folded(alert) => {
                // An alert opened earlier in this run is sent with its final count.
                if let Some(opened) = recorded.opened.iter_mut().find(|a| a.id == alert.id) {
                    *opened = alert.clone();
                }
                let incident = tx.incident_of_alert(&blocks.tenant_id, &alert.id).await?;
                (alert.id, incident)
            }
        };
        tx.link_event(&event.id, &alert_id, incident_id.as_deref())
            .await?;
    }
    tx.upsert_checkpoint(&blocks.checkpoint).await?;
    Ok(recorded)
}

/// Opens an incident for an opened alert, or joins the monitor's newest unresolved one;
/// appends the alert to its timeline and returns its id.
async fn open_or_join<T: MonitorTx + ?Sized>(
    tx: &mut T,
    blocks: &MonitorBlocks,
    event: &NewMonitorEvent,
    alert: &crate::Alert,
    recorded: &mut RecordedBlocks,
) -> crate::Result<String> {
    let priority = priority_of_level(&event.level).unwrap_or(INCIDENT_PRIORITIES[3]);
    let incident = match tx
        .unresolved_incident(&blocks.tenant_id, &blocks.monitor_key)
        .await?
    {
        Some(mut incident) => {
            incident.priority = more_urgent(&incident.priority, priority).to_string();
            incident.alert_count += 1;
            incident.updated_at = blocks.now;
            tx.save_incident(&incident).await?;
            if let Some(opened) = recorded
                .incidents_opened
                .iter_mut()
                .find(|i| i.id == incident.id)
            {
                *opened = incident.clone();
            }
            incident
        }
        None => {
            let incident = Incident {
                id: format!("{}-incident", event.id),
                tenant_id: blocks.tenant_id.clone(),
                title: summary_of(event)
                    .map(str::to_string)
                    .unwrap_or_else(|| format!("{}: {}", blocks.monitor_name, event.rule)),
                priority: priority.to_string(),
                state: INCIDENT_OPEN.to_string(),
                assignee: None,
                monitor_key: Some(blocks.monitor_key.clone()),
                alert_count: 1,
                opened_at: blocks.now,
                acknowledged_at: None,
                mitigated_at: None,
                resolved_at: None,
                updated_at: blocks.now,
            };
            tx.insert_incident(&incident).await?;
            recorded.incidents_opened.push(incident.clone());
            incident
        }
    };
    let actor = format!("monitor:{}", blocks.monitor_name);
    tx.append_incident_event(&NewIncidentEvent {
        incident_id: &incident.id,
        kind: INCIDENT_EVENT_ALERT,
        actor: Some(&actor),
        body: serde_json::json!({
            "alert_id": alert.id,
            "rule": alert.rule,
            "level": event.level,
            "summary": summary_of(event),
        }),
        alert_id: Some(&alert.id),
        created_at: blocks.now,
    })
    .await?;
    Ok(incident.id)
}

/// [`crate::Store::update_incident`] inside the caller's transaction; the caller commits
/// on `Ok` (an invalid transition has written nothing).
pub(crate) async fn update<T: MonitorTx + ?Sized>(
    tx: &mut T,
    tenant_id: &str,
    id: &str,
    update: &IncidentUpdate,
) -> crate::Result<Option<IncidentChange>> {
    let Some(mut incident) = tx.lock_incident(tenant_id, id).await? else {
        return Ok(None);
    };
    let mut entries: Vec<(&'static str, serde_json::Value)> = Vec::new();
    if let Some(to) = &update.state {
        let from = incident.state.clone();
        match (state_rank(&from), state_rank(to)) {
            (Some(f), Some(t)) if t >= f => {
                if t > f {
                    match to.as_str() {
                        INCIDENT_ACKNOWLEDGED => incident.acknowledged_at = Some(update.now),
                        INCIDENT_MITIGATED => incident.mitigated_at = Some(update.now),
                        INCIDENT_RESOLVED => incident.resolved_at = Some(update.now),
                        _ => {}
                    }
                    incident.state = to.clone();
                    entries.push((
                        INCIDENT_EVENT_STATE,
                        serde_json::json!({ "from": from, "to": to }),
                    ));
                }
            }
            _ => {
                return Ok(Some(IncidentChange::InvalidTransition {
                    from,
                    to: to.clone(),
                }));
            }
        }
    }
    if let Some(assignee) = &update.assignee
        && *assignee != incident.assignee
    {
        incident.assignee = assignee.clone();
        entries.push((
            INCIDENT_EVENT_ASSIGN,
            serde_json::json!({ "assignee": assignee }),
        ));
    }
    if !entries.is_empty() {
        incident.updated_at = update.now;
        tx.save_incident(&incident).await?;
        for (kind, body) in entries {
            tx.append_incident_event(&NewIncidentEvent {
                incident_id: &incident.id,
                kind,
                actor: Some(&update.actor),
                body,
                alert_id: None,
                created_at: update.now,
            })
            .await?;
        }
    }
    Ok(Some(IncidentChange::Updated(incident)))
}

/// [`crate::Store::comment_incident`] inside the caller's transaction.
pub(crate) async fn comment<T: MonitorTx + ?Sized>(
    tx: &mut T,
    tenant_id: &str,
    id: &str,
    actor: &str,
    text: &str,
    now: i64,
) -> crate::Result<Option<IncidentEvent>> {
    let Some(mut incident) = tx.lock_incident(tenant_id, id).await? else {
        return Ok(None);
    };
    incident.updated_at = incident.updated_at.max(now);
    tx.save_incident(&incident).await?;
    tx.append_incident_event(&NewIncidentEvent {
        incident_id: &incident.id,
        kind: INCIDENT_EVENT_COMMENT,
        actor: Some(actor),
        body: serde_json::json!({ "text": text }),
        alert_id: None,
        created_at: now,
    })
    .await
    .map(Some)
}
