//! The whole path of another tool's findings, with fake tools standing in for the real
//! ones: run in the sandbox, parsed, placed, merged with ours; and every way a tool can
//! fail ends as a note of its run, never as an error.

mod common;

use std::time::Duration;

use common::{fake_tool, fixture_project, our_report, recorded_slither};
use report::Baseline;
use tools::{ToolKind, ToolSettings, ToolsConfig};

fn config_with(tool: ToolKind, settings: ToolSettings) -> ToolsConfig {
    let mut config = ToolsConfig::default();
    match tool {
        ToolKind::Slither => config.slither = settings,
        ToolKind::Aderyn => config.aderyn = settings,
        ToolKind::Mythril => config.mythril = settings,
    }
    config
}

fn at(path: &std::path::Path) -> ToolSettings {
    ToolSettings {
        path: Some(path.to_path_buf()),
        ..ToolSettings::default()
    }
}

#[test]
fn slither_findings_merge_into_ours_and_the_rest_are_kept_with_their_tool() {
    let dir = tempfile::tempdir().unwrap();
    let project = fixture_project();
    let plain = our_report(&project);
    let config = config_with(ToolKind::Slither, at(&recorded_slither(dir.path())));
    let results = tools::run_tools(&project, &[ToolKind::Slither], &config);
    let mut report = our_report(&project);
    tools::apply(&mut report, results);

    let run = &report.tools[0];
    assert_eq!(
        (
            run.name.as_str(),
            run.version.as_deref(),
            run.status.as_str()
        ),
        ("slither", Some("0.11.6"), "ok"),
        "{run:?}"
    );
    assert!(run.findings > 0 && run.merged > 0, "{run:?}");

    // Our reentrancy finding in `withdraw` is also Slither's.
    let reentrancy = report
        .findings
        .iter()
        .find(|f| f.rule_id == "reentrancy-eth" && f.location.file == "Bank.sol")
        .expect("our reentrancy finding");
    assert_eq!(reentrancy.found_by, ["web3audit", "slither"]);
    assert!(
        reentrancy
            .merged
            .iter()
            .any(|m| m.rule_id == "slither:reentrancy-eth"),
        "{:?}",
        reentrancy.merged
    );
    // So is the `tx.origin` check.
    let origin = report
        .findings
        .iter()
        .find(|f| f.rule_id == "tx-origin-auth")
        .expect("our tx.origin finding");
    assert!(
        origin
            .merged
            .iter()
            .any(|m| m.rule_id == "slither:tx-origin"),
        "{:?}",
        origin.merged
    );

    // Every finding names who found it; Slither's own are kept with their rule.
    assert!(report.findings.iter().all(|f| !f.found_by.is_empty()));
    let theirs: Vec<&str> = report
        .findings
        .iter()
        .filter(|f| f.found_by == ["slither"])
        .map(|f| f.rule_id.as_str())
        .collect();
    assert!(
        theirs.iter().all(|id| id.starts_with("slither:")),
        "{theirs:?}"
    );
    assert!(theirs.contains(&"slither:immutable-states"), "{theirs:?}");
    // Their rules are in the report (SARIF needs one per result).
    for f in &report.findings {
        assert!(
            report.rules.iter().any(|r| r.id == f.rule_id),
            "{}",
            f.rule_id
        );
    }
    assert_eq!(report.summary.total, report.findings.len());

    // Our fingerprints do not change when tools run, so baselines and triage still apply.
    for ours in &plain.findings {
        assert!(
            report
                .findings
                .iter()
                .any(|f| f.fingerprint == ours.fingerprint && f.rule_id == ours.rule_id),
            "{} lost its fingerprint",
            ours.rule_id
        );
    }
    // A baseline of the plain scan hides exactly our findings; a baseline of this scan
    // hides everything on the next one.
    let mut again = report.clone();
    again.apply_baseline(&Baseline::from_report(&plain));
    assert!(
        again.findings.iter().all(|f| f.found_by == ["slither"]),
        "{:?}",
        again.findings
    );
    let mut next = report.clone();
    next.apply_baseline(&Baseline::from_report(&report));
    assert!(next.findings.is_empty());

    // Reports show who found what.
    let json = report::render_json(&report);
    assert!(json.contains("\"found_by\""), "JSON");
    assert!(json.contains("\"tools\""), "JSON");
    let sarif = report::render_sarif(&report, &report::SarifOptions::default());
    assert!(sarif.contains("\"foundBy\""), "SARIF");
    let log: serde_json::Value = serde_json::from_str(&sarif).unwrap();
    let extension = &log["runs"][0]["tool"]["extensions"][0];
    assert_eq!(
        (extension["name"].as_str(), extension["version"].as_str()),
        (Some("slither"), Some("0.11.6"))
    );
    let markdown = report::render_markdown(&report);
    assert!(
        markdown.contains("**Found by:** web3audit, slither"),
        "Markdown"
    );
    assert!(markdown.contains("## Other analyzers"), "Markdown");
}

#[test]
fn slither_fingerprints_are_stable_across_runs() {
    let dir = tempfile::tempdir().unwrap();
    let project = fixture_project();
    let config = config_with(ToolKind::Slither, at(&recorded_slither(dir.path())));
    let fingerprints = |_: ()| {
        let results = tools::run_tools(&project, &[ToolKind::Slither], &config);
        let mut report = our_report(&project);
        tools::apply(&mut report, results);
        report
            .findings
            .iter()
            .map(|f| f.fingerprint.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(fingerprints(()), fingerprints(()));
}

#[test]
fn inline_suppressions_hide_a_tools_finding_of_the_same_class() {
    let dir = tempfile::tempdir().unwrap();
    let original = std::fs::read_to_string(common::fixtures().join("contracts/Bank.sol")).unwrap();
    // The same line numbers: the comment ends the line of the external call.
    let suppressed = original.replace(
        "(bool ok, ) = msg.sender.call{value: amount}(\"\");",
        "(bool ok, ) = msg.sender.call{value: amount}(\"\"); // web3audit-disable-line reentrancy-eth",
    );
    assert_ne!(original, suppressed);
    let project = project::Project::from_sources(
        [("Bank.sol".to_owned(), suppressed)].into(),
        &project::LoadOptions::default(),
    );
    let config = config_with(ToolKind::Slither, at(&recorded_slither(dir.path())));
    let results = tools::run_tools(&project, &[ToolKind::Slither], &config);
    let mut report = our_report(&project);
    tools::apply(&mut report, results);
    assert!(
        !report.findings.iter().any(|f| f.category == "reentrancy"),
        "{:?}",
        report
            .findings
            .iter()
            .map(|f| &f.rule_id)
            .collect::<Vec<_>>()
    );
    assert!(
        report.tools[0]
            .notes
            .iter()
            .any(|n| n.contains("hidden by inline suppressions"))
    );
    // Other classes at the same place are not hidden.
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.rule_id == "slither:low-level-calls")
    );
}

/// Runs a fake Slither whose body is `body` and returns its run record.
fn failing_run(body: &str, timeout: Duration) -> report::ToolRun {
    let dir = tempfile::tempdir().unwrap();
    let project = fixture_project();
    let tool = fake_tool(dir.path(), "slither", "0.11.6", body);
    let settings = ToolSettings {
        timeout,
        max_output_mb: 1,
        ..at(&tool)
    };
    let results = tools::run_tools(
        &project,
        &[ToolKind::Slither],
        &config_with(ToolKind::Slither, settings),
    );
    let mut report = our_report(&project);
    let ours = report.findings.len();
    tools::apply(&mut report, results);
    assert_eq!(report.findings.len(), ours, "a failed tool adds nothing");
    report.tools.remove(0)
}

#[test]
fn a_tool_that_hangs_is_a_note() {
    let run = failing_run("sleep 300", Duration::from_millis(400));
    assert_eq!(run.status, "failed");
    assert!(
        run.notes
            .iter()
            .any(|n| n
                .starts_with("`Bank.sol`: timed out after 0.4 s; its process group was killed")),
        "{:?}",
        run.notes
    );
}

#[test]
fn a_tool_that_prints_garbage_is_a_note() {
    let run = failing_run(
        "echo 'Traceback (most recent call last):'; echo 'boom' >&2; exit 1",
        Duration::from_secs(30),
    );
    assert_eq!(run.status, "failed");
    let note = run
        .notes
        .iter()
        .find(|n| n.starts_with("`Bank.sol`"))
        .unwrap();
    assert!(note.contains("the output is not JSON"), "{note}");
    assert!(note.contains("exited with code 1"), "{note}");
    assert!(
        note.contains("starts with `Traceback (most recent call last):`"),
        "{note}"
    );
    assert!(note.contains("stderr: boom"), "{note}");
}

#[test]
fn a_tool_that_prints_without_end_is_a_note() {
    let run = failing_run("exec yes '{\"success\": true, '", Duration::from_secs(60));
    assert_eq!(run.status, "failed");
    assert!(
        run.notes
            .iter()
            .any(|n| n.contains("printed more than the output limit of 1048576 bytes")),
        "{:?}",
        run.notes
    );
}

#[test]
fn a_tool_that_crashes_is_a_note() {
    let run = failing_run("kill -SEGV $$", Duration::from_secs(30));
    assert!(
        run.notes
            .iter()
            .any(|n| n.contains("crashed (killed by signal 11")),
        "{:?}",
        run.notes
    );
}

#[test]
fn a_tool_that_fails_on_one_file_is_partial() {
    let dir = tempfile::tempdir().unwrap();
    let recorded = common::fixtures().join("recorded/slither/Bank.json");
    let body = format!(
        "case \"$1\" in *Bank.sol) cat \"{}\";; *) echo '{{\"success\": false, \"error\": \"Invalid compilation\", \"results\": {{}}}}';; esac",
        recorded.display()
    );
    let tool = fake_tool(dir.path(), "slither", "0.11.6", &body);
    let project = fixture_project();
    let results = tools::run_tools(
        &project,
        &[ToolKind::Slither],
        &config_with(ToolKind::Slither, at(&tool)),
    );
    let run = &results[0].run;
    assert_eq!(run.status, "partial", "{run:?}");
    assert!(
        run.notes
            .iter()
            .any(|n| n == "`Legacy.sol`: slither reported an error: Invalid compilation"),
        "{:?}",
        run.notes
    );
    assert!(!results[0].normalized.findings.is_empty());
}

#[test]
fn a_missing_tool_is_unavailable_not_an_error() {
    let project = fixture_project();
    let settings = at(std::path::Path::new("/nonexistent/slither"));
    let results = tools::run_tools(
        &project,
        &[ToolKind::Slither],
        &config_with(ToolKind::Slither, settings),
    );
    assert_eq!(results[0].run.status, "unavailable");
    assert!(
        results[0].run.notes[0].contains("is not an executable file"),
        "{:?}",
        results[0].run.notes
    );
}

#[test]
fn rule_filters_of_the_configuration_apply() {
    let dir = tempfile::tempdir().unwrap();
    let project = fixture_project();
    let settings = ToolSettings {
        exclude_detectors: vec!["immutable-states".to_owned(), "solc-version".to_owned()],
        ..at(&recorded_slither(dir.path()))
    };
    let results = tools::run_tools(
        &project,
        &[ToolKind::Slither],
        &config_with(ToolKind::Slither, settings),
    );
    let ids: Vec<&str> = results[0]
        .normalized
        .findings
        .iter()
        .map(|f| f.rule_id.as_str())
        .collect();
    assert!(
        !ids.contains(&"slither:immutable-states") && !ids.contains(&"slither:solc-version"),
        "{ids:?}"
    );
    assert!(ids.contains(&"slither:reentrancy-eth"), "{ids:?}");
}

#[test]
fn aderyn_and_mythril_reports_merge_too() {
    let dir = tempfile::tempdir().unwrap();
    let project = fixture_project();
    let recorded = common::fixtures().join("recorded");
    // Aderyn writes its report to the file after `--output`.
    let aderyn = fake_tool(
        dir.path(),
        "aderyn",
        "aderyn 0.5.13",
        &format!("cp \"{}/aderyn-Bank.json\" \"$3\"", recorded.display()),
    );
    let mythril = fake_tool(
        dir.path(),
        "myth",
        "Mythril version v0.24.8",
        &format!(
            "case \"$2\" in *Bank.sol) cat \"{}/mythril-Bank.json\";; *) echo '{{\"error\": null, \"issues\": [], \"success\": true}}';; esac",
            recorded.display()
        ),
    );
    let config = ToolsConfig {
        aderyn: at(&aderyn),
        mythril: at(&mythril),
        ..ToolsConfig::default()
    };
    let results = tools::run_tools(&project, &[ToolKind::Aderyn, ToolKind::Mythril], &config);
    let mut report = our_report(&project);
    tools::apply(&mut report, results);
    let versions: Vec<(&str, Option<&str>, &str)> = report
        .tools
        .iter()
        .map(|t| (t.name.as_str(), t.version.as_deref(), t.status.as_str()))
        .collect();
    assert_eq!(
        versions,
        [
            ("aderyn", Some("0.5.13"), "ok"),
            ("mythril", Some("0.24.8"), "ok")
        ],
        "{:?}",
        report.tools
    );
    assert!(
        report.tools[1]
            .notes
            .iter()
            .any(|n| n.contains("1 issue(s) without a source line")),
        "{:?}",
        report.tools[1].notes
    );
    let origin = report
        .findings
        .iter()
        .find(|f| f.rule_id == "tx-origin-auth")
        .unwrap();
    assert_eq!(origin.found_by, ["web3audit", "aderyn", "mythril"]);
    let reentrancy = report
        .findings
        .iter()
        .find(|f| f.rule_id == "reentrancy-eth" && f.location.file == "Bank.sol")
        .unwrap();
    assert!(
        reentrancy.found_by.contains(&"mythril".to_owned()),
        "{:?}",
        reentrancy.found_by
    );
}
