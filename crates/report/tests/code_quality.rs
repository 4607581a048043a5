//! The GitLab Code Quality renderer: one issue per finding with GitLab's fields and
//! levels, fingerprints unique in the report and stable, paths from the repository root.

mod common;

use std::collections::BTreeSet;

use common::{bank_and_token, sample_report};
use detectors::Severity;
use serde_json::Value;

fn issues(prefix: &str) -> Vec<Value> {
    let sources = bank_and_token();
    let report = sample_report(&sources);
    let rendered = report::render_code_quality(&report, prefix);
    serde_json::from_str::<Value>(&rendered)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn every_finding_is_an_issue_with_gitlab_fields() {
    let sources = bank_and_token();
    let report = sample_report(&sources);
    let issues = issues("");
    assert_eq!(issues.len(), report.findings.len());
    for (issue, finding) in issues.iter().zip(&report.findings) {
        assert_eq!(issue["type"], "issue");
        assert_eq!(issue["check_name"], finding.rule_id.as_str());
        assert_eq!(issue["categories"], serde_json::json!(["Security"]));
        assert_eq!(issue["location"]["path"], finding.location.file.as_str());
        assert_eq!(
            issue["location"]["lines"]["begin"],
            finding.location.start_line
        );
        assert_eq!(issue["location"]["lines"]["end"], finding.location.end_line);
        let description = issue["description"].as_str().unwrap();
        assert!(description.starts_with(&finding.title) && description.ends_with(&finding.message));
    }
    // GitLab's five levels, one per severity, most severe first.
    for (issue, finding) in issues.iter().zip(&report.findings) {
        let expected = match finding.severity {
            Severity::Critical => "blocker",
            Severity::High => "critical",
            Severity::Medium => "major",
            Severity::Low => "minor",
            Severity::Informational => "info",
        };
        assert_eq!(issue["severity"], expected, "{}", finding.rule_id);
    }
    let levels: BTreeSet<&str> = issues
        .iter()
        .map(|i| i["severity"].as_str().unwrap())
        .collect();
    assert!(
        levels.len() >= 3,
        "the sample spans several levels: {levels:?}"
    );
}

#[test]
fn fingerprints_are_unique_stable_and_depend_on_the_path() {
    let plain = issues("");
    let fingerprints: BTreeSet<&str> = plain
        .iter()
        .map(|i| i["fingerprint"].as_str().unwrap())
        .collect();
    // The sample holds the same unchecked `a.send(1)` twice in one function.
    assert_eq!(fingerprints.len(), plain.len());
    assert!(
        fingerprints
            .iter()
            .all(|f| f.len() == 32 && f.bytes().all(|b| b.is_ascii_hexdigit()))
    );
    assert_eq!(plain, issues(""), "rendering twice gives the same report");

    let nested = issues("contracts/");
    assert_eq!(
        nested[0]["location"]["path"],
        format!(
            "contracts/{}",
            plain[0]["location"]["path"].as_str().unwrap()
        )
    );
    assert_ne!(nested[0]["fingerprint"], plain[0]["fingerprint"]);
    assert_eq!(issues("."), plain);
}

#[test]
fn an_empty_report_is_an_empty_array() {
    let sources = bank_and_token();
    let mut report = sample_report(&sources);
    report.findings.clear();
    assert_eq!(report::render_code_quality(&report, ""), "[]");
}
