//! Baselines: the findings a project already has, so that CI reports only new ones.
//!
//! A baseline is a JSON file written by `web3audit scan --write-baseline FILE`:
//!
//! ```json
//! {
//!   "version": 1,
//!   "tool": { "name": "web3audit", "version": "0.1.0" },
//!   "findings": [
//!     { "fingerprint": "3f2a…:1", "rule_id": "tx-origin-auth", "file": "src/Wallet.sol", "line": 16 }
//!   ]
//! }
//! ```
//!
//! Findings are matched by [fingerprint](crate::fingerprint) only; `rule_id`, `file` and
//! `line` are there for people reading the file. Each entry hides at most one finding: an
//! entry in the same file is used first, then one from any file (a renamed file keeps
//! its fingerprints).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::model::{Report, Summary, ToolInfo};

/// Version of the baseline format, written as its `version` field.
pub const BASELINE_FORMAT_VERSION: u32 = 1;

/// The fingerprints of the findings a project accepted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Baseline {
    /// [`BASELINE_FORMAT_VERSION`].
    pub version: u32,
    /// The tool that wrote it.
    pub tool: ToolInfo,
    pub findings: Vec<BaselineEntry>,
}

/// One accepted finding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BaselineEntry {
    pub fingerprint: String,
    pub rule_id: String,
    pub file: String,
    /// 1-based start line when the baseline was written, for people.
    pub line: u32,
}

/// What a baseline hid from a report.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BaselineSummary {
    /// Findings hidden because the baseline has them.
    pub hidden: usize,
}

/// Why a baseline could not be read.
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    #[error("not a web3audit baseline: {0}")]
    Malformed(#[from] serde_json::Error),
    #[error(
        "baseline format version {found} is not supported (this web3audit reads version {BASELINE_FORMAT_VERSION})"
    )]
    Version { found: u32 },
}

impl Baseline {
    /// The baseline of every finding of `report`.
    pub fn from_report(report: &Report) -> Self {
        Self {
            version: BASELINE_FORMAT_VERSION,
            tool: report.tool.clone(),
            findings: report
                .findings
                .iter()
                .map(|f| BaselineEntry {
                    fingerprint: f.fingerprint.clone(),
                    rule_id: f.rule_id.clone(),
                    file: f.location.file.clone(),
                    line: f.location.start_line,
                })
                .collect(),
        }
    }

    /// Pretty-printed JSON, ending with a newline.
    pub fn to_json(&self) -> String {
        let mut out =
            serde_json::to_string_pretty(self).expect("a baseline always serializes to JSON");
        out.push('\n');
        out
    }

    /// Reads a baseline written by [`Baseline::to_json`].
    pub fn from_json(text: &str) -> Result<Self, BaselineError> {
        #[derive(Deserialize)]
        struct VersionOnly {
            version: u32,
        }
        let VersionOnly { version } = serde_json::from_str(text)?;
        if version != BASELINE_FORMAT_VERSION {
            return Err(BaselineError::Version { found: version });
        }
        Ok(serde_json::from_str(text)?)
    }
}

impl Report {
    /// Removes the findings `baseline` has, recounts the summary and records how many
    /// were hidden in [`Report::baseline`]. Returns that number.
    pub fn apply_baseline(&mut self, baseline: &Baseline) -> usize {
        // Unused entries per fingerprint, as (file, used) pairs.
        let mut known: HashMap<&str, Vec<(&str, bool)>> = HashMap::new();
        for entry in &baseline.findings {
            known
                .entry(entry.fingerprint.as_str())
                .or_default()
                .push((entry.file.as_str(), false));
        }
        // Same-file matches first, so a finding moved to a renamed file cannot take the
        // entry of one that stayed.
        let mut hide = vec![false; self.findings.len()];
        for same_file in [true, false] {
            for (i, finding) in self.findings.iter().enumerate() {
                if hide[i] {
                    continue;
                }
                let Some(entries) = known.get_mut(finding.fingerprint.as_str()) else {
                    continue;
                };
                if let Some(entry) = entries
                    .iter_mut()
                    .find(|(file, used)| !used && (!same_file || *file == finding.location.file))
                {
                    entry.1 = true;
                    hide[i] = true;
                }
            }
        }
        let mut index = 0;
        self.findings.retain(|_| {
            index += 1;
            !hide[index - 1]
        });
        self.summary = Summary::of(self.findings.iter().map(|f| f.severity));
        let hidden = hide.iter().filter(|&&h| h).count();
        self.baseline = Some(BaselineSummary { hidden });
        hidden
    }
}

#[cfg(test)]
mod tests {
    use detectors::{Confidence, DetectorMeta, FileId, Finding, Severity};
    use syntax::{LineIndex, Span};

    use super::*;
    use crate::model::SourceView;

    static META: DetectorMeta = DetectorMeta {
        id: "tx-origin-auth",
        title: "Authorization through `tx.origin`",
        severity: Severity::High,
        confidence: Confidence::High,
        swc: None,
        category: "access_control",
        description: "d",
        recommendation: "r",
        references: &[],
        doc: "",
    };

    fn report(files: &[(&str, &str)]) -> Report {
        let indexes: Vec<LineIndex> = files.iter().map(|(_, t)| LineIndex::new(t)).collect();
        let views: Vec<SourceView<'_>> = files
            .iter()
            .zip(&indexes)
            .enumerate()
            .map(|(i, ((path, text), line_index))| SourceView {
                id: FileId(i as u32),
                path,
                text,
                line_index,
            })
            .collect();
        let mut findings = Vec::new();
        for (i, (_, text)) in files.iter().enumerate() {
            for (at, _) in text.match_indices("tx.origin == owner") {
                let span = Span::new(at as u32, (at + 18) as u32);
                findings.push(Finding::new(&META, FileId(i as u32), span, "m"));
            }
        }
        Report::build(
            &views,
            findings,
            &[&META],
            ToolInfo::new("web3audit", "0.1.0"),
        )
        .unwrap()
    }

    #[test]
    fn round_trip_and_only_new_findings_remain() {
        let old = report(&[("A.sol", "require(tx.origin == owner);\n")]);
        let baseline = Baseline::from_json(&Baseline::from_report(&old).to_json()).unwrap();
        assert_eq!(baseline.findings.len(), 1);
        assert_eq!(baseline.findings[0].line, 1);

        let mut new = report(&[
            (
                "A.sol",
                "// moved\nrequire(tx.origin == owner);\nrequire(tx.origin == owner);\n",
            ),
            ("B.sol", "require(tx.origin == owner);\n"),
        ]);
        assert_eq!(new.apply_baseline(&baseline), 1);
        let left: Vec<(&str, u32)> = new
            .findings
            .iter()
            .map(|f| (f.location.file.as_str(), f.location.start_line))
            .collect();
        assert_eq!(left, [("A.sol", 3), ("B.sol", 1)]);
        assert_eq!(new.summary.total, 2);
        assert_eq!(new.baseline, Some(BaselineSummary { hidden: 1 }));
    }

    #[test]
    fn a_renamed_file_keeps_its_baseline() {
        let old = report(&[("A.sol", "require(tx.origin == owner);\n")]);
        let mut new = report(&[("Renamed.sol", "require(tx.origin == owner);\n")]);
        assert_eq!(new.apply_baseline(&Baseline::from_report(&old)), 1);
        assert!(new.findings.is_empty());
    }

    #[test]
    fn malformed_and_future_baselines_are_errors() {
        assert!(matches!(
            Baseline::from_json("{\"findings\": []}"),
            Err(BaselineError::Malformed(_))
        ));
        assert!(matches!(
            Baseline::from_json("not json"),
            Err(BaselineError::Malformed(_))
        ));
        assert!(matches!(
            Baseline::from_json(
                "{\"version\": 2, \"tool\": {\"name\": \"w\", \"version\": \"1\"}, \"findings\": []}"
            ),
            Err(BaselineError::Version { found: 2 })
        ));
    }
}
