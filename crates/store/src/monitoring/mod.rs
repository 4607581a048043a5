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
