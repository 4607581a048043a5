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
    // The bytecode detectors of address scans are listed and explained too.
    assert!(text.contains("Bytecode detectors"), "{text}");
    assert!(text.contains("bytecode-unguarded-selfdestruct"), "{text}");
    let explain = web3audit(&["explain", "bytecode-unchecked-call"]);
    assert_eq!(explain.status.code(), Some(0));
    let doc = String::from_utf8(explain.stdout).unwrap();
    assert!(
        doc.starts_with("# Success flag of a low-level call dropped (bytecode-unchecked-call)"),
        "{doc}"
    );
    assert!(doc.contains("- Severity: medium"), "{doc}");
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

// CI ergonomics: inline suppressions, `web3audit.toml`, baselines.

/// Writes `files` (path, text) under `root`, creating folders.
fn write_tree(root: &Path, files: &[(&str, &str)]) {
    for (path, text) in files {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
}

const SUPPRESSED: &str = "\
pragma solidity 0.8.24;

contract Suppressed {
    address public owner;

    function nextLine() external view {
        // web3audit-disable-next-line tx-origin-auth -- owner is an EOA by design
        require(tx.origin == owner);
    }

    function sameLine() external view {
        require(tx.origin == owner); // web3audit-disable-line tx-origin-auth
    }

    // web3audit-disable-start tx-origin-auth
    function range() external view {
        if (tx.origin != owner) revert();
    }
    // web3audit-disable-end tx-origin-auth

    function migrated() external view {
        // slither-disable-next-line tx-origin
        require(tx.origin == owner);
        require(tx.origin == owner); // aderyn-ignore-next-line(some-aderyn-id)
        require(tx.origin == owner); // aderyn-ignore
    }

    function stale() external view {
        // web3audit-disable-next-line tx-origin-auth
        require(msg.sender == owner);
    }
}
";

#[test]
fn suppression_comments_hide_findings_and_unused_ones_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    write_tree(
        dir.path(),
        &[
            ("Suppressed.sol", SUPPRESSED),
            (
                "Legacy.sol",
                "// web3audit-disable-file tx-origin-auth\npragma solidity 0.8.24;\ncontract Legacy {\n    address owner;\n    function f() external view { require(tx.origin == owner); }\n}\n",
            ),
        ],
    );
    let root = dir.path().to_str().unwrap();
    let report = json_scan(&[
        root,
        "--no-config",
        "--detectors",
        "tx-origin-auth,unused-suppression",
    ]);
    assert_eq!(
        rules_at(&report),
        vec![
            // The Aderyn comment names only an id of Aderyn's: it hides nothing of ours.
            ("tx-origin-auth".into(), "Suppressed.sol".into(), 24),
            ("unused-suppression".into(), "Suppressed.sol".into(), 29),
        ]
    );
    let unused = &report["findings"][1];
    assert_eq!(unused["severity"], "low");
    assert_eq!(
        unused["message"],
        "unused suppression: no `tx-origin-auth` finding on the next line"
    );

    // Without `unused-suppression`, suppressions still apply and nothing is said about them.
    let report = json_scan(&[root, "--no-config", "--detectors", "tx-origin-auth"]);
    assert_eq!(
        rules_at(&report),
        vec![("tx-origin-auth".into(), "Suppressed.sol".into(), 24)]
    );

    // An unknown id in our own comment is reported, in text output too.
    write_tree(
        dir.path(),
        &[(
            "Typo.sol",
            "pragma solidity 0.8.24;\ncontract T {\n    address owner;\n    // web3audit-disable-next-line tx-orign-auth\n    function f() external view { require(msg.sender == owner); }\n}\n",
        )],
    );
    let out = web3audit(&["scan", root, "--no-config", "--color", "never"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains(
            "low[unused-suppression]: suppression names unknown detector `tx-orign-auth`"
        ),
        "{text}"
    );
    assert!(text.contains("--> Typo.sol:4:36"), "{text}");
}

const PROJECT_CONFIG: &str = r#"
fail-on = "critical"
exclude = ["src/legacy/**"]

[detectors]
disable = ["floating-pragma"]

[severity]
tx-origin-auth = "critical"
"#;

const WALLET: &str = "pragma solidity ^0.8.0;\ncontract Wallet {\n    address owner;\n    function take() external view {\n        require(tx.origin == owner);\n    }\n}\n";

fn configured_project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write_tree(
        dir.path(),
        &[
            ("web3audit.toml", PROJECT_CONFIG),
            ("foundry.toml", "[profile.default]\nsrc = \"src\"\n"),
            ("src/Wallet.sol", WALLET),
            ("src/legacy/Old.sol", WALLET),
        ],
    );
    dir
}

#[test]
fn the_configuration_file_is_found_upwards_and_applies_to_every_format() {
    let dir = configured_project();
    let src = dir.path().join("src");
    let src = src.to_str().unwrap();

    // From a subfolder: the file at the project root applies.
    let out = web3audit(&["scan", src, "--format", "json"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "fail-on = critical from the file"
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        rules_at(&report),
        vec![("tx-origin-auth".into(), "src/Wallet.sol".into(), 5)],
        "floating-pragma disabled, src/legacy excluded"
    );
    assert_eq!(report["findings"][0]["severity"], "critical");
    let rule = report["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "tx-origin-auth")
        .unwrap();
    assert_eq!(rule["severity"], "critical");
    assert_eq!(report["summary"]["critical"], 1);

    let out = web3audit(&["scan", src, "--format", "sarif"]);
    let sarif: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let run = &sarif["runs"][0];
    assert_eq!(run["results"][0]["properties"]["severity"], "critical");
    let rule = run["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "tx-origin-auth")
        .unwrap();
    assert_eq!(rule["properties"]["security-severity"], "9.5");

    let out = web3audit(&["scan", src, "--color", "never"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("critical[tx-origin-auth]"), "{text}");

    // Flags win over the file.
    let out = web3audit(&[
        "scan",
        src,
        "--fail-on",
        "informational",
        "--detectors",
        "floating-pragma",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("informational[floating-pragma]"), "{text}");

    // --no-config: the defaults.
    let report = json_scan(&[src, "--no-config"]);
    let found = rules_at(&report);
    assert!(found.contains(&("floating-pragma".into(), "src/Wallet.sol".into(), 1)));
    assert!(found.contains(&("tx-origin-auth".into(), "src/legacy/Old.sol".into(), 5)));
    assert_eq!(report["findings"][0]["severity"], "informational");
    assert_eq!(
        web3audit(&["scan", src, "--no-config"]).status.code(),
        Some(0)
    );

    // --config names another file.
    let other = dir.path().join("other.toml");
    std::fs::write(&other, "[detectors]\nenable = [\"floating-pragma\"]\n").unwrap();
    let report = json_scan(&[src, "--config", other.to_str().unwrap()]);
    let found = rules_at(&report);
    assert!(!found.is_empty());
    assert!(
        found.iter().all(|(rule, _, _)| rule == "floating-pragma"),
        "{found:?}"
    );
}

#[test]
fn configuration_errors_are_precise_and_exit_2() {
    let dir = configured_project();
    let root = dir.path().to_str().unwrap();
    let config = dir.path().join("web3audit.toml");
    for (text, expected) in [
        ("fail_on = \"high\"\n", "unknown field `fail_on`"),
        (
            "[detectors]\ndisable = [\"no-such-detector\"]\n",
            "unknown detector `no-such-detector`",
        ),
        (
            "[severity]\ntx-origin-auth = \"severe\"\n",
            "`severe` is not one of",
        ),
        ("[detector]\n", "unknown field `detector`"),
    ] {
        std::fs::write(&config, text).unwrap();
        let out = web3audit(&["scan", root]);
        assert_eq!(out.status.code(), Some(2), "{text}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("web3audit.toml")
                && stderr.contains(expected)
                && stderr.contains("line"),
            "{text}: {stderr}"
        );
    }
    let out = web3audit(&["scan", root, "--config", "/definitely/not/here.toml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read the configuration"));
}

#[test]
fn a_baseline_hides_known_findings_and_gates_only_new_ones() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("Bank.sol");
    let baseline = dir.path().join("baseline.json");
    let (file_s, baseline_s) = (file.to_str().unwrap(), baseline.to_str().unwrap());
    let known = "pragma solidity 0.8.24;\ncontract Bank {\n    address owner;\n    function take() external view {\n        require(tx.origin == owner);\n    }\n";
    std::fs::write(&file, format!("{known}}}\n")).unwrap();

    let out = web3audit(&[
        "scan",
        file_s,
        "--no-config",
        "--write-baseline",
        baseline_s,
    ]);
    assert_eq!(out.status.code(), Some(0));
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&baseline).unwrap()).unwrap();
    assert_eq!(written["version"], 1);
    assert_eq!(written["tool"]["name"], "web3audit");
    let entries = written["findings"].as_array().unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["rule_id"], "tx-origin-auth");
    assert_eq!(entries[0]["file"], "Bank.sol");
    assert_eq!(entries[0]["line"], 5);
    assert!(
        entries[0]["fingerprint"]
            .as_str()
            .is_some_and(|f| f.contains(':'))
    );

    // Nothing new: nothing reported, nothing to fail on.
    let out = web3audit(&[
        "scan",
        file_s,
        "--no-config",
        "--baseline",
        baseline_s,
        "--fail-on",
        "high",
        "--color",
        "never",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.trim_end()
            .ends_with("no new findings; 1 hidden by the baseline"),
        "{text}"
    );

    // A pull request adds a vulnerability (and moves the old one down).
    std::fs::write(
        &file,
        format!("// a comment moves everything down\n{known}    function give() external view {{\n        if (tx.origin != owner) revert();\n    }}\n}}\n"),
    )
    .unwrap();
    let out = web3audit(&[
        "scan",
        file_s,
        "--no-config",
        "--baseline",
        baseline_s,
        "--fail-on",
        "high",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(1), "the new finding fails the gate");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        rules_at(&report),
        vec![("tx-origin-auth".into(), "Bank.sol".into(), 9)]
    );
    assert_eq!(report["baseline"]["hidden"], 1);
    assert_eq!(report["summary"]["total"], 1);

    let out = web3audit(&[
        "scan",
        file_s,
        "--no-config",
        "--baseline",
        baseline_s,
        "--format",
        "sarif",
    ]);
    let sarif: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let run = &sarif["runs"][0];
    assert_eq!(run["results"].as_array().unwrap().len(), 1);
    assert_eq!(run["results"][0]["baselineState"], "new");
    assert_eq!(run["properties"]["hiddenByBaseline"], 1);

    // The gate ignores what the baseline holds: below the new finding's severity, no failure.
    let out = web3audit(&[
        "scan",
        file_s,
        "--no-config",
        "--baseline",
        baseline_s,
        "--fail-on",
        "critical",
    ]);
    assert_eq!(out.status.code(), Some(0));

    // A missing or malformed baseline is an error.
    let missing = web3audit(&["scan", file_s, "--baseline", "/definitely/not/here.json"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("cannot read the baseline"));
    std::fs::write(&baseline, "{\"findings\": 3}").unwrap();
    let malformed = web3audit(&["scan", file_s, "--baseline", baseline_s]);
    assert_eq!(malformed.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&malformed.stderr).contains("invalid baseline"));
}

#[test]
fn version_names_the_commit_and_the_detector_set() {
    let out = web3audit(&["--version"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    let line = text.trim();
    let rest = line
        .strip_prefix(&format!("web3audit {} (commit ", env!("CARGO_PKG_VERSION")))
        .unwrap_or_else(|| panic!("{line}"));
    let (commit, rest) = rest.split_once("; ").unwrap();
    // A build outside a git checkout (and without WEB3AUDIT_COMMIT) says `unknown`.
    assert!(
        commit == "unknown" || commit.len() == 12 && commit.bytes().all(|b| b.is_ascii_hexdigit()),
        "{line}"
    );
    // The counts are the registry's: `detectors --json` lists the source detectors.
    let catalog = web3audit(&["detectors", "--json"]);
    let listed: serde_json::Value = serde_json::from_slice(&catalog.stdout).unwrap();
    let count = listed.as_array().unwrap().len();
    assert!(
        rest.starts_with(&format!("{count} source detectors, ")),
        "{line}"
    );
    let set = rest.rsplit_once("set ").unwrap().1.trim_end_matches(')');
    assert!(
        set.len() == 8 && set.bytes().all(|b| b.is_ascii_hexdigit()),
        "{line}"
    );
}
