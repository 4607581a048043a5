//! The boundary between the service and the analysis pipeline. The binary implements
//! [`Analyzer`] with the real parse → detectors → report pipeline; the service only needs
//! "scan these sources", or "scan the contract deployed at this address".

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Runs an analysis. Implementations must be deterministic for a given `version()`:
/// results are cached under a key that includes it.
pub trait Analyzer: Send + Sync + 'static {
    /// Analyzer version and detector-set identity, part of the cache key.
    fn version(&self) -> String;
    /// Runs on a blocking thread. Must not panic on user input (the service catches
    /// panics all the same and fails the audit).
    fn analyze(&self, request: &AnalysisRequest) -> Result<AnalysisOutput, AnalysisError>;
    /// Which of `names` (among [`EXTERNAL_TOOLS`]) can run here. Blocking (it may start
    /// the tools); implementations may answer from a short-lived cache. None by default.
    fn external_tools(&self, names: &[String]) -> Vec<ExternalToolStatus> {
        let _ = names;
        Vec::new()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnalysisRequest {
    /// Path inside the submission → UTF-8 source text.
    pub sources: BTreeMap<String, String>,
    pub include_detectors: Vec<String>,
    pub exclude_detectors: Vec<String>,
    /// `critical|high|medium|low|informational`.
    pub min_severity: Option<String>,
    /// A deployed contract to read instead of `sources` (then empty). Absent from jobs
    /// queued before deployed contracts could be audited.
    #[serde(default)]
    pub target: Option<AddressTarget>,
    /// Other analyzers to run beside ours and merge (names of [`EXTERNAL_TOOLS`]).
    #[serde(default)]
    pub tools: Vec<String>,
}

/// The other analyzers an audit may add (`tools`), when its tenant's plan allows them.
pub const EXTERNAL_TOOLS: [&str; 3] = ["slither", "aderyn", "mythril"];

/// Whether one of [`EXTERNAL_TOOLS`] can run on this node, as `web3audit doctor` sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExternalToolStatus {
    pub name: String,
    /// `ok`, `missing` or `broken` (found, but it does not answer `--version`).
    pub status: String,
    pub version: Option<String>,
    /// What is wrong, or how to install it.
    pub detail: Option<String>,
}

/// A deployed contract: a chain the service knows by name, an address, and the block to
/// read at (the latest when `None`).
pub type AddressTarget = store::AuditTarget;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnalysisOutput {
    pub findings: Vec<AnalyzedFinding>,
    /// Rendered reports by format: `json`, `sarif`, `markdown`.
    pub reports: BTreeMap<String, String>,
}

pub type AnalyzedFinding = store::FindingData;

/// An analysis that could not produce findings; the message is shown to the submitter.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct AnalysisError {
    pub message: String,
}

impl AnalysisError {
    pub fn new(message: impl Into<String>) -> Self {
        AnalysisError {
            message: message.into(),
        }
    }
}

/// Severities, most severe first.
pub const SEVERITIES: [&str; 5] = ["critical", "high", "medium", "low", "informational"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_without_a_target_still_reads() {
        let request: AnalysisRequest = serde_json::from_str(
            r#"{"sources": {"A.sol": "contract A {}"}, "include_detectors": [], "exclude_detectors": [], "min_severity": null}"#,
        )
        .unwrap();
        assert_eq!(request.target, None);
        assert_eq!(request.sources.len(), 1);
    }
}
