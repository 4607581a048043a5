//! `web3audit scan` end to end: the real binary on the shipped example and temp projects.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn web3audit(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_web3audit"))
        .args(args)
        .output()
        .expect("the binary runs")
}

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/phishable-wallet")
}

fn json_scan(args: &[&str]) -> serde_json::Value {
    let mut all = vec!["scan", "--format", "json"];
    all.extend_from_slice(args);
    let out = web3audit(&all);
    assert!(
        out.status.code().is_some_and(|c| c < 2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON output")
}

fn rules_at(report: &serde_json::Value) -> Vec<(String, String, u64)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule_id"].as_str().unwrap().to_owned(),
                f["file"].as_str().unwrap().to_owned(),
                f["start_line"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn text_output_shows_code_frames_and_hides_dependencies_and_tests() {
    let ex = example();
    let out = web3audit(&["scan", ex.to_str().unwrap(), "--color", "never"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains(
        "high[tx-origin-auth]: authorization through `tx.origin`: it is compared with `owner`"
    ));
    assert!(text.contains("--> src/Wallet.sol:16:17"));
    assert!(text.contains("16 |         require(tx.origin == owner);"));
    assert!(text.contains("^^^^^^^^^^^^^^^^^^"));
    assert!(
        !text.contains("test/Wallet.t.sol"),
        "tests are hidden by default"
    );
    assert!(
        !text.contains("lib/solmate-lite"),
        "dependencies are hidden by default"
    );
    assert!(
        text.trim_end()
            .ends_with("6 findings: 1 high, 5 informational"),
        "{text}"
    );
}

#[test]
fn json_lists_findings_stats_and_content_fingerprints() {
    let ex = example();
    let report = json_scan(&[ex.to_str().unwrap()]);
    let stats = &report["stats"];
    assert_eq!(
        stats["files_loaded"], 4,
        "Wallet, Vault, the test and the imported lib file"
    );
    assert_eq!(stats["files_reported"], 2);
    assert_eq!(report["diagnostics"].as_array().unwrap().len(), 0);
    let found = rules_at(&report);
    assert!(found.contains(&("tx-origin-auth".into(), "src/Wallet.sol".into(), 16)));
    assert!(found.contains(&("floating-pragma".into(), "src/Wallet.sol".into(), 2)));
    assert!(
        found.iter().all(|(_, file, _)| file == "src/Wallet.sol"),
        "Vault.sol is clean: {found:?}"
    );
    for f in report["findings"].as_array().unwrap() {
        assert!(f["fingerprint"].as_str().is_some_and(|s| s.len() > 32));
    }
}

#[test]
fn include_glob_reports_tests_too() {
    let ex = example();
    let report = json_scan(&[
        ex.to_str().unwrap(),
        "--include",
        "test/**",
        "--detectors",
        "tx-origin-auth",
    ]);
    let found = rules_at(&report);
    assert!(
        found.contains(&("tx-origin-auth".into(), "test/Wallet.t.sol".into(), 12)),
        "{found:?}"
    );
}

#[test]
fn fail_on_gates_the_exit_code() {
    let ex = example();
    let ex = ex.to_str().unwrap();
    assert_eq!(
        web3audit(&["scan", ex, "--fail-on", "high"]).status.code(),
        Some(1)
    );
    assert_eq!(
        web3audit(&["scan", ex, "--fail-on", "critical"])
            .status
            .code(),
        Some(0)
    );
    assert_eq!(
        web3audit(&[
            "scan",
            ex,
            "--fail-on",
            "high",
            "--exclude-detectors",
            "tx-origin-auth"
        ])
        .status
        .code(),
        Some(0)
    );
    assert_eq!(
        web3audit(&["scan", ex, "--fail-on", "low", "--min-severity", "high"])
            .status
            .code(),
        Some(1)
    );
}

#[test]
fn usage_and_io_errors_exit_2() {
    let ex = example();
    let ex = ex.to_str().unwrap();
    let missing = web3audit(&["scan", "/definitely/not/here.sol"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("does not exist"));
    assert_eq!(
        web3audit(&["scan", ex, "--fail-on", "severe"])
            .status
            .code(),
        Some(2)
    );
    let unknown = web3audit(&["scan", ex, "--detectors", "no-such-detector"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&unknown.stderr).contains("unknown detector `no-such-detector`")
    );
    assert_eq!(
        web3audit(&["scan", ex, "--output", "/definitely/not/here/out.json"])
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn sarif_goes_to_the_output_file() {
    let dir = tempfile::tempdir().unwrap();
    let out_path = dir.path().join("out.sarif");
    let ex = example();
    let out = web3audit(&[
        "scan",
        ex.to_str().unwrap(),
        "--format",
        "sarif",
        "--output",
        out_path.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty(), "the report goes to the file");
    let sarif: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out_path).unwrap()).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 6);
    let tx = results
        .iter()
        .find(|r| r["ruleId"] == "tx-origin-auth")
        .unwrap();
    assert_eq!(
        tx["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "src/Wallet.sol"
    );
    assert_eq!(
        tx["locations"][0]["physicalLocation"]["region"]["startLine"],
        16
    );
    assert!(tx["partialFingerprints"]["web3auditFingerprint/v1"].is_string());
}

#[test]
fn fingerprints_survive_unrelated_edits() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("Bank.sol");
    let body = "contract Bank {\n    address owner;\n    function take() public {\n        require(tx.origin == owner);\n    }\n}\n";
    std::fs::write(&file, format!("pragma solidity ^0.4.24;\n{body}")).unwrap();
    let before = json_scan(&[file.to_str().unwrap(), "--detectors", "tx-origin-auth"]);
    std::fs::write(
        &file,
        format!("pragma solidity ^0.4.24;\n// a new comment\n\n// and blank lines\n{body}"),
    )
    .unwrap();
    let after = json_scan(&[file.to_str().unwrap(), "--detectors", "tx-origin-auth"]);
    let (b, a) = (&before["findings"][0], &after["findings"][0]);
    assert_eq!(
        b["start_line"].as_u64().unwrap() + 3,
        a["start_line"].as_u64().unwrap()
    );
    assert_eq!(b["fingerprint"], a["fingerprint"]);
}

#[test]
fn syntax_errors_are_diagnostics_and_the_rest_is_still_analysed() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("Broken.sol");
    let src = "pragma solidity ^0.4.24;\ncontract A {\n    address owner;\n    function f() public { uint x = ; }\n    function g() public { require(tx.origin == owner); }\n}\n";
    std::fs::write(&file, src).unwrap();
    let report = json_scan(&[file.to_str().unwrap(), "--detectors", "tx-origin-auth"]);
    let diagnostics = report["diagnostics"].as_array().unwrap();
    assert!(
        diagnostics
            .iter()
            .any(|d| d["kind"] == "syntax" && d["line"] == 4),
        "{diagnostics:?}"
    );
    assert_eq!(
        rules_at(&report),
        vec![("tx-origin-auth".into(), "Broken.sol".into(), 5)]
    );
}

#[test]
fn explain_and_detectors_list_the_registry() {
    let list = web3audit(&["detectors"]);
    assert_eq!(list.status.code(), Some(0));
    let text = String::from_utf8(list.stdout).unwrap();
    for id in ["deprecated-construct", "floating-pragma", "tx-origin-auth"] {
        assert!(text.contains(id));
    }
    let explain = web3audit(&["explain", "tx-origin-auth"]);
    let doc = String::from_utf8(explain.stdout).unwrap();
    assert!(
        doc.contains("## What it detects")
            && doc.contains("## Recommendation")
            && doc.contains("SWC-115")
    );
    assert_eq!(web3audit(&["explain", "nope"]).status.code(), Some(2));
}

#[test]
fn an_impossible_inheritance_hierarchy_is_a_semantic_diagnostic() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("Diamond.sol");
    // Bases go from most base-like to most derived: `C is B, A` asks for A to be more
    // derived than B, which already derives from A, so no C3 order exists.
    let src = "pragma solidity 0.8.24;\ncontract A {}\ncontract B is A {}\ncontract C is B, A {}\n";
    std::fs::write(&file, src).unwrap();
    let report = json_scan(&[file.to_str().unwrap()]);
    let diagnostics = report["diagnostics"].as_array().unwrap();
    assert!(
        diagnostics
            .iter()
            .any(|d| d["kind"] == "semantic" && d["file"] == "Diamond.sol" && d["line"] == 4),
        "{diagnostics:?}"
    );
}

#[test]
fn dump_shows_the_semantic_model() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("Bank.sol");
    let src = "pragma solidity 0.8.24;\n\
               contract Owned {\n    address owner;\n    modifier onlyOwner() { require(msg.sender == owner); _; }\n}\n\
               contract Bank is Owned {\n    mapping(address => uint256) balances;\n\
               \x20   function withdraw(uint256 amount) external {\n\
               \x20       if (balances[msg.sender] >= amount) {\n            balances[msg.sender] -= amount;\n            payable(msg.sender).transfer(amount);\n        }\n    }\n\
               \x20   function sweep() external onlyOwner { _pay(owner); }\n\
               \x20   function _pay(address to) internal { payable(to).transfer(address(this).balance); }\n}\n";
    std::fs::write(&file, src).unwrap();
    let path = file.to_str().unwrap();
    let run = |view: &str| {
        let out = web3audit(&["scan", path, "--dump", view]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };

    let symbols = run("symbols");
    assert!(
        symbols.contains("Contract Bank (Bank.sol:6)\n  linearization: Bank -> Owned"),
        "{symbols}"
    );
    assert!(symbols.contains("sweep: function, 0 params, entry point, guarded by `msg.sender == owner` in Owned.onlyOwner"));
    assert!(
        symbols.contains("_pay: function, 1 params\n"),
        "internal functions are not entry points: {symbols}"
    );

    let calls = run("callgraph");
    assert!(calls.starts_with("digraph callgraph {"));
    assert!(
        calls.contains("\"Bank.sweep\" -> \"Owned.onlyOwner\" [label=\"modifier\"];"),
        "{calls}"
    );
    assert!(
        calls.contains("\"Bank.sweep\" -> \"Bank._pay\" [label=\"\"];"),
        "{calls}"
    );
    assert!(
        calls.contains(
            "\"Bank._pay\" -> \"<transfer>\" [label=\"low-level, value\", style=dashed];"
        ),
        "{calls}"
    );

    let cfg = run("cfg");
    assert!(cfg.starts_with("digraph cfg {") && cfg.contains("label=\"Bank.withdraw\";"));
    assert!(
        cfg.contains("Bank.sol:9  balances[msg.sender] >= amount?"),
        "{cfg}"
    );
    assert!(cfg.contains("[label=\"true\"]") && cfg.contains("[label=\"false\"]"));
    assert!(
        cfg.contains("[label=\"revert\", style=dashed]"),
        "the modifier's require can revert: {cfg}"
    );
}

#[test]
fn solc_version_overrides_the_pragma_in_the_model() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("Bank.sol");
    std::fs::write(
        &file,
        "pragma solidity >=0.4.0 <0.9.0;\ncontract Bank {\n    function Bank() public {}\n}\n",
    )
    .unwrap();
    let path = file.to_str().unwrap();
    let symbols = |extra: &[&str]| {
        let mut args = vec!["scan", path, "--dump", "symbols"];
        args.extend_from_slice(extra);
        let out = web3audit(&args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    // The pragma admits 0.4.0: a function named after its contract is its constructor.
    assert!(symbols(&[]).contains("  Bank: constructor, 0 params"));
    // From 0.5 on it is an ordinary function.
    assert!(symbols(&["--solc-version", "0.5.0"]).contains("  Bank: function, 0 params"));
    assert_eq!(
        web3audit(&["scan", path, "--solc-version", "0.8"])
            .status
            .code(),
        Some(2)
    );
}
