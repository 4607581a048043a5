//! The GitLab Code Quality renderer: the JSON array of issues that a CI job gives GitLab
//! as its `artifacts:reports:codequality` report, shown in merge requests (new and fixed
//! findings) and the pipeline's Code Quality tab. Documented in `docs/ci.md`.
//!
//! Each finding becomes one issue: `description` (title, then the message), `check_name`
//! (the rule id), `fingerprint`, `severity` and `location` (path and lines). GitLab tells
//! new findings from old ones by the fingerprint, which must be unique in the report:
//! ours is unique for a path, so the path is hashed in.

use detectors::Severity;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::model::Report;

/// Domain separation of the issue fingerprint.
const SCHEME: &[u8] = b"web3audit-code-quality/v1";

/// Renders the report as a pretty-printed Code Quality report. `path_prefix` is put
/// before every path (with a `/`) when not empty: GitLab wants paths relative to the
/// repository root, and report paths are relative to the scanned project's root.
pub fn render_code_quality(report: &Report, path_prefix: &str) -> String {
    let prefix = path_prefix.trim_matches('/');
    let issues: Vec<Issue> = report
        .findings
        .iter()
        .map(|finding| {
            let path = if prefix.is_empty() || prefix == "." {
                finding.location.file.clone()
            } else {
                format!("{prefix}/{}", finding.location.file)
            };
            let mut hasher = Sha256::new();
            hasher.update(SCHEME);
            hasher.update((path.len() as u64).to_le_bytes());
            hasher.update(path.as_bytes());
            hasher.update(finding.fingerprint.as_bytes());
            Issue {
                kind: "issue",
                description: format!("{}: {}", finding.title, finding.message),
                check_name: &finding.rule_id,
                categories: ["Security"],
                fingerprint: hex::encode(&hasher.finalize()[..16]),
                severity: severity(finding.severity),
                location: IssueLocation {
                    path,
                    lines: Lines {
                        begin: finding.location.start_line,
                        end: finding.location.end_line,
                    },
                },
            }
        })
        .collect();
    // Plain structs, strings and integers: serialization cannot fail.
    serde_json::to_string_pretty(&issues).expect("a Code Quality report always serializes")
}

/// GitLab's five levels.
fn severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "blocker",
        Severity::High => "critical",
        Severity::Medium => "major",
        Severity::Low => "minor",
        Severity::Informational => "info",
    }
}

#[derive(Serialize)]
struct Issue<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    description: String,
    check_name: &'a str,
    categories: [&'static str; 1],
    fingerprint: String,
    severity: &'static str,
    location: IssueLocation,
}

#[derive(Serialize)]
struct IssueLocation {
    path: String,
    lines: Lines,
}

#[derive(Serialize)]
struct Lines {
    begin: u32,
    end: u32,
}
