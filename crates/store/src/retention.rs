//! What retention sweeps delete, and the SQL both backends share for it.
//!
//! An audit may be pruned once it is final (never while queued or running) and finished
//! before the cutoff; with it go its findings, the triage events of those findings and the
//! assistant's suggestions on them (not counted: they are notes beside the findings).
//! The triage state of a fingerprint (`triage_states`) stays, so a decision still applies
//! to later audits. Source blobs and analysis-cache rows go once no audit refers to them.

use serde::Serialize;

/// Rows deleted (or, in a dry run, that would be) for the audits kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct PrunedAudits {
    pub audits: u64,
    pub findings: u64,
    pub triage_events: u64,
    pub source_blobs: u64,
    pub analysis_cache: u64,
}

impl std::ops::AddAssign for PrunedAudits {
    fn add_assign(&mut self, other: Self) {
        self.audits += other.audits;
        self.findings += other.findings;
        self.triage_events += other.triage_events;
        self.source_blobs += other.source_blobs;
        self.analysis_cache += other.analysis_cache;
    }
}

impl PrunedAudits {
    pub fn total(&self) -> u64 {
        self.audits + self.findings + self.triage_events + self.source_blobs + self.analysis_cache
    }
}

/// The condition on `audits` (aliased `a`) of an audit that may be pruned; one bound
/// parameter, the cutoff (`?` for SQLite, rewritten for PostgreSQL).
pub(crate) const PRUNABLE_AUDIT: &str =
    "a.finished_at IS NOT NULL AND a.finished_at < ? AND a.status NOT IN ('queued', 'running')";

/// Counting queries of a dry run, each with the cutoff as its only parameter.
pub(crate) fn count_queries() -> [String; 5] {
    [
        format!("SELECT COUNT(*) FROM audits a WHERE {PRUNABLE_AUDIT}"),
        format!(
            "SELECT COUNT(*) FROM findings f JOIN audits a ON a.id = f.audit_id WHERE {PRUNABLE_AUDIT}"
        ),
        format!(
            "SELECT COUNT(*) FROM triage_events t JOIN findings f ON f.id = t.finding_id \
             JOIN audits a ON a.id = f.audit_id WHERE {PRUNABLE_AUDIT}"
        ),
        format!(
            "SELECT COUNT(*) FROM source_blobs b WHERE NOT EXISTS \
             (SELECT 1 FROM audits a WHERE a.sources_hash = b.hash AND NOT ({PRUNABLE_AUDIT}))"
        ),
        format!(
            "SELECT COUNT(*) FROM analysis_cache c WHERE NOT EXISTS \
             (SELECT 1 FROM audits a WHERE a.cache_key = c.cache_key AND NOT ({PRUNABLE_AUDIT}))"
        ),
    ]
}

/// Deletes up to the bound limit of source blobs no audit refers to.
pub(crate) const DELETE_UNREFERENCED_BLOBS: &str = "DELETE FROM source_blobs WHERE hash IN \
     (SELECT b.hash FROM source_blobs b WHERE NOT EXISTS \
      (SELECT 1 FROM audits a WHERE a.sources_hash = b.hash) LIMIT ?)";

/// Deletes up to the bound limit of analysis-cache rows no audit refers to.
pub(crate) const DELETE_UNREFERENCED_CACHE: &str = "DELETE FROM analysis_cache WHERE cache_key IN \
     (SELECT c.cache_key FROM analysis_cache c WHERE NOT EXISTS \
      (SELECT 1 FROM audits a WHERE a.cache_key = c.cache_key) LIMIT ?)";

/// Action of the trail entry appended by each pruning of the trail.
pub const AUDIT_LOG_PRUNED: &str = "audit_log.pruned";

/// The trail entry a pruning appends, in the transaction that deletes the entries.
pub(crate) fn pruned_event(
    checkpoint: &crate::trail::Checkpoint,
    before: i64,
    actor: &str,
) -> crate::NewAuditEvent {
    crate::NewAuditEvent {
        ts: checkpoint.created_at,
        tenant_id: None,
        actor: actor.to_string(),
        action: AUDIT_LOG_PRUNED.into(),
        target: None,
        outcome: "success".into(),
        detail: serde_json::json!({
            "through_seq": checkpoint.seq,
            "pruned": checkpoint.pruned,
            "older_than": before,
        }),
    }
}

/// Rewrites `?` placeholders as `$1`, `$2`, … for PostgreSQL.
pub(crate) fn numbered(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut n = 0;
    for c in sql.chars() {
        if c == '?' {
            n += 1;
            out.push('$');
            out.push_str(&n.to_string());
        } else {
            out.push(c);
        }
    }
    out
}
