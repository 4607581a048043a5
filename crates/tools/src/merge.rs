//! One finding per issue: other analyzers' findings merged into ours.
//!
//! A tool's finding merges into a finding already in the report when both are in the
//! same file, of the same category, and at the same place: their line ranges overlap,
//! or (except for the catch-all category `other`) both name the same contract and
//! function. The finding it merges into must have been found by another analyzer (a
//! tool's own findings are never merged with each other). Candidates found by us come
//! first, then the nearest by line. The merged finding keeps its rule, severity,
//! location and fingerprint (so baselines and triage made before still apply); the tool
//! joins its `found_by` and its rule is listed in `merged`. Findings that merge nowhere
//! are kept, with their tool named in `found_by`.

use report::{MergedFinding, Report, ReportFinding};

use crate::normalize::Normalized;
use crate::tool::ToolKind;

/// Our name in `found_by`.
pub const OURS: &str = "web3audit";

/// Merges each tool's findings into `report`, in the order given, and adds their rules.
/// Returns, per tool in the same order, how many of its findings were merged.
pub fn merge(report: &mut Report, tools: Vec<(ToolKind, Normalized)>) -> Vec<usize> {
    for finding in &mut report.findings {
        if finding.found_by.is_empty() {
            finding.found_by.push(OURS.to_owned());
        }
    }
    let mut merged_counts = Vec::with_capacity(tools.len());
    for (tool, normalized) in tools {
        let mut merged = 0;
        for external in normalized.findings {
            match best_match(&report.findings, &external, tool) {
                Some(i) => {
                    let target = &mut report.findings[i];
                    if !target.found_by.iter().any(|t| t == tool.name()) {
                        target.found_by.push(tool.name().to_owned());
                    }
                    target.merged.push(MergedFinding {
                        rule_id: external.rule_id,
                        start_line: external.location.start_line,
                        end_line: external.location.end_line,
                        message: external.message,
                    });
                    merged += 1;
                }
                None => report.findings.push(external),
            }
        }
        for rule in normalized.rules {
            if !report.rules.iter().any(|r| r.id == rule.id) {
                report.rules.push(rule);
            }
        }
        merged_counts.push(merged);
    }
    report.rules.sort_by(|a, b| a.id.cmp(&b.id));
    report.resort();
    merged_counts
}

/// The finding of `findings` that `external` (of `tool`) is the same issue as.
fn best_match(
    findings: &[ReportFinding],
    external: &ReportFinding,
    tool: ToolKind,
) -> Option<usize> {
    findings
        .iter()
        .enumerate()
        .filter(|(_, f)| f.found_by.iter().any(|t| t != tool.name()))
        .filter(|(_, f)| same_place_and_class(f, external))
        .min_by_key(|(_, f)| {
            let ours = f.found_by.first().is_some_and(|t| t == OURS);
            (!ours, !overlaps(f, external), line_distance(f, external))
        })
        .map(|(i, _)| i)
}

/// The merge rule: same file, same category, overlapping lines or the same function.
pub fn same_place_and_class(a: &ReportFinding, b: &ReportFinding) -> bool {
    if a.location.file != b.location.file || a.category != b.category {
        return false;
    }
    if overlaps(a, b) {
        return true;
    }
    a.category != "other"
        && a.function.is_some()
        && a.function == b.function
        && a.contract.is_some()
        && a.contract == b.contract
}

fn overlaps(a: &ReportFinding, b: &ReportFinding) -> bool {
    a.location.start_line <= b.location.end_line && b.location.start_line <= a.location.end_line
}

fn line_distance(a: &ReportFinding, b: &ReportFinding) -> u32 {
    a.location.start_line.abs_diff(b.location.start_line)
}

#[cfg(test)]
mod tests {
    use detectors::{Confidence, Severity};
    use report::{Location, ReportFinding, RuleInfo, ScanStats, Summary, ToolInfo};

    use super::*;

    fn finding(
        rule: &str,
        by: &str,
        category: &str,
        lines: (u32, u32),
        function: Option<&str>,
    ) -> ReportFinding {
        ReportFinding {
            rule_id: rule.to_owned(),
            title: rule.to_owned(),
            severity: Severity::High,
            confidence: Confidence::Medium,
            category: category.to_owned(),
            swc: None,
            message: format!("{rule} here"),
            location: Location {
                file: "A.sol".to_owned(),
                start_line: lines.0,
                start_column: 1,
                end_line: lines.1,
                end_column: 2,
                byte_start: lines.0 * 10,
                byte_end: lines.1 * 10 + 5,
                snippet: String::new(),
            },
            secondary: Vec::new(),
            contract: function.map(|_| "A".to_owned()),
            function: function.map(str::to_owned),
            fingerprint: format!("{rule}:{}", lines.0),
            found_by: if by == OURS {
                Vec::new()
            } else {
                vec![by.to_owned()]
            },
            merged: Vec::new(),
        }
    }

    fn report(findings: Vec<ReportFinding>) -> Report {
        Report {
            version: 1,
            tool: ToolInfo::new("web3audit", "test"),
            summary: Summary::default(),
            findings,
            rules: Vec::new(),
            stats: ScanStats::default(),
            diagnostics: Vec::new(),
            baseline: None,
            tools: Vec::new(),
        }
    }

    fn slither(findings: Vec<ReportFinding>) -> (ToolKind, Normalized) {
        let rules = findings
            .iter()
            .map(|f| RuleInfo {
                id: f.rule_id.clone(),
                title: f.title.clone(),
                severity: f.severity,
                confidence: f.confidence,
                category: f.category.clone(),
                swc: None,
                description: String::new(),
                recommendation: String::new(),
                references: Vec::new(),
                doc: String::new(),
            })
            .collect();
        (
            ToolKind::Slither,
            Normalized {
                findings,
                rules,
                ..Normalized::default()
            },
        )
    }

    #[test]
    fn same_class_at_overlapping_lines_merges() {
        let mut r = report(vec![finding(
            "reentrancy-eth",
            OURS,
            "reentrancy",
            (20, 20),
            Some("withdraw"),
        )]);
        let merged = merge(
            &mut r,
            vec![slither(vec![finding(
                "slither:reentrancy-eth",
                "slither",
                "reentrancy",
                (18, 23),
                Some("withdraw"),
            )])],
        );
        assert_eq!(merged, [1]);
        assert_eq!(r.findings.len(), 1);
        assert_eq!(r.findings[0].found_by, ["web3audit", "slither"]);
        assert_eq!(r.findings[0].merged[0].rule_id, "slither:reentrancy-eth");
        assert_eq!(r.findings[0].merged[0].start_line, 18);
        assert_eq!(
            r.findings[0].fingerprint, "reentrancy-eth:20",
            "ours is kept"
        );
        assert_eq!(r.summary.total, 1);
        assert!(
            r.rules
                .iter()
                .any(|rule| rule.id == "slither:reentrancy-eth")
        );
    }

    #[test]
    fn same_function_merges_without_overlap_except_for_other() {
        let mut r = report(vec![
            finding("ours-a", OURS, "access_control", (30, 30), Some("close")),
            finding("ours-b", OURS, "other", (40, 40), Some("close")),
        ]);
        merge(
            &mut r,
            vec![slither(vec![
                finding(
                    "slither:a",
                    "slither",
                    "access_control",
                    (33, 33),
                    Some("close"),
                ),
                finding("slither:b", "slither", "other", (44, 44), Some("close")),
            ])],
        );
        let by: Vec<(&str, Vec<String>)> = r
            .findings
            .iter()
            .map(|f| (f.rule_id.as_str(), f.found_by.clone()))
            .collect();
        assert_eq!(
            by,
            [
                ("ours-a", vec!["web3audit".to_owned(), "slither".to_owned()]),
                ("ours-b", vec!["web3audit".to_owned()]),
                ("slither:b", vec!["slither".to_owned()]),
            ]
        );
    }

    #[test]
    fn another_class_or_file_or_place_stays_apart() {
        let mut r = report(vec![finding(
            "ours",
            OURS,
            "reentrancy",
            (20, 20),
            Some("withdraw"),
        )]);
        let mut elsewhere = finding(
            "slither:x",
            "slither",
            "reentrancy",
            (20, 20),
            Some("withdraw"),
        );
        elsewhere.location.file = "B.sol".to_owned();
        merge(
            &mut r,
            vec![slither(vec![
                finding(
                    "slither:timestamp",
                    "slither",
                    "time_manipulation",
                    (20, 20),
                    Some("withdraw"),
                ),
                finding(
                    "slither:far",
                    "slither",
                    "reentrancy",
                    (50, 52),
                    Some("other"),
                ),
                elsewhere,
            ])],
        );
        assert_eq!(r.findings.len(), 4);
        assert_eq!(r.findings.iter().filter(|f| f.merged.is_empty()).count(), 4);
        assert_eq!(
            r.findings
                .iter()
                .find(|f| f.rule_id == "ours")
                .unwrap()
                .found_by,
            ["web3audit"]
        );
    }

    #[test]
    fn a_tool_never_merges_with_itself_and_ours_are_preferred() {
        // Two tools: Aderyn's finding at the same place merges into ours, not into
        // Slither's, though Slither's is nearer.
        let mut r = report(vec![finding(
            "ours",
            OURS,
            "access_control",
            (10, 30),
            Some("f"),
        )]);
        merge(
            &mut r,
            vec![slither(vec![
                finding("slither:one", "slither", "access_control", (50, 50), None),
                finding("slither:two", "slither", "access_control", (50, 50), None),
            ])],
        );
        assert_eq!(r.findings.len(), 3, "Slither's two findings stay apart");
        let aderyn = Normalized {
            findings: vec![finding(
                "aderyn:x",
                "aderyn",
                "access_control",
                (50, 50),
                None,
            )],
            ..Normalized::default()
        };
        merge(&mut r, vec![(ToolKind::Aderyn, aderyn)]);
        // No overlap with ours (10-30) and no function: it merges into the first
        // Slither finding at line 50 instead.
        let one = r
            .findings
            .iter()
            .find(|f| f.rule_id == "slither:one")
            .unwrap();
        assert_eq!(one.found_by, ["slither", "aderyn"]);
        let mut r = report(vec![finding(
            "ours",
            OURS,
            "access_control",
            (10, 60),
            Some("f"),
        )]);
        merge(
            &mut r,
            vec![slither(vec![finding(
                "slither:one",
                "slither",
                "access_control",
                (50, 50),
                None,
            )])],
        );
        let aderyn = Normalized {
            findings: vec![finding(
                "aderyn:x",
                "aderyn",
                "access_control",
                (50, 50),
                None,
            )],
            ..Normalized::default()
        };
        merge(&mut r, vec![(ToolKind::Aderyn, aderyn)]);
        assert_eq!(r.findings.len(), 1);
        assert_eq!(r.findings[0].found_by, ["web3audit", "slither", "aderyn"]);
    }
}
