//! The adapter against the real Slither, on the fixture contracts. Skipped (with a
//! message) when Slither or a matching `solc-X.Y.Z` is not on `PATH`, unless
//! `WEB3AUDIT_SLITHER_TESTS=required`, which `.ci/run` sets: then a missing Slither fails.
//! Install: `pip install slither-analyzer` and the solc shim (`docs/tools.md`).

mod common;

use common::{fixture_project, our_report};
use tools::{ToolKind, ToolsConfig};

/// Whether the real Slither can run here; panics when it cannot and is required.
fn slither_available() -> bool {
    let required = std::env::var("WEB3AUDIT_SLITHER_TESTS").is_ok_and(|v| v == "required");
    let slither = tools::sandbox::find_on_path("slither");
    let solc = ["solc-0.8.27", "solc-0.4.24"]
        .iter()
        .all(|name| tools::sandbox::find_on_path(name).is_some());
    match (slither.is_some(), solc) {
        (true, true) => true,
        _ if required => panic!(
            "WEB3AUDIT_SLITHER_TESTS=required, but slither ({}) or solc-0.8.27 and solc-0.4.24 ({}) are not on PATH",
            if slither.is_some() {
                "found"
            } else {
                "missing"
            },
            if solc { "found" } else { "missing" }
        ),
        _ => {
            eprintln!(
                "skipped: the real Slither tests need `slither`, `solc-0.8.27` and `solc-0.4.24` on PATH \
                 (set WEB3AUDIT_SLITHER_TESTS=required to make their absence a failure)"
            );
            false
        }
    }
}

#[test]
fn real_slither_on_the_fixture_contracts() {
    if !slither_available() {
        return;
    }
    let project = fixture_project();
    let results = tools::run_tools(&project, &[ToolKind::Slither], &ToolsConfig::default());
    let mut report = our_report(&project);
    tools::apply(&mut report, results);
    let run = &report.tools[0];
    assert_eq!(run.status, "ok", "{run:?}");
    assert!(
        run.version.as_deref().is_some_and(|v| v.starts_with("0.")),
        "{run:?}"
    );

    let rules: Vec<(&str, &str, u32)> = report
        .findings
        .iter()
        .flat_map(|f| {
            let own = f.rule_id.starts_with("slither:").then_some((
                f.rule_id.as_str(),
                f.location.file.as_str(),
                f.location.start_line,
            ));
            own.into_iter().chain(
                f.merged
                    .iter()
                    .map(|m| (m.rule_id.as_str(), f.location.file.as_str(), m.start_line)),
            )
        })
        .collect();
    // Each file was compiled with the compiler its pragma admits (0.8 and 0.4) and
    // Slither's findings landed on the right lines of the right file.
    for expected in [
        ("slither:reentrancy-eth", "Bank.sol", 18),
        ("slither:suicidal", "Bank.sol", 25),
        ("slither:tx-origin", "Bank.sol", 25),
        ("slither:unchecked-send", "Legacy.sol", 12),
        ("slither:weak-prng", "Legacy.sol", 17),
    ] {
        assert!(rules.contains(&expected), "{expected:?} not in {rules:?}");
    }
    let reentrancy = report
        .findings
        .iter()
        .find(|f| f.rule_id == "reentrancy-eth" && f.location.file == "Bank.sol")
        .unwrap();
    assert_eq!(reentrancy.found_by, ["web3audit", "slither"]);
}

#[test]
fn real_slither_detector_selection_is_passed_on() {
    if !slither_available() {
        return;
    }
    let project = project::Project::load(
        &[common::fixtures().join("contracts/Bank.sol")],
        &project::LoadOptions::default(),
    )
    .unwrap();
    let mut config = ToolsConfig::default();
    config.slither.detectors = vec!["tx-origin".to_owned()];
    let results = tools::run_tools(&project, &[ToolKind::Slither], &config);
    let ids: Vec<&str> = results[0]
        .normalized
        .findings
        .iter()
        .map(|f| f.rule_id.as_str())
        .collect();
    assert_eq!(ids, ["slither:tx-origin"], "{:?}", results[0].run);
}
