//! `web3audit scan` on Vyper sources and on projects that mix both languages: the same
//! report formats, fingerprints, suppression comments and diagnostics as for Solidity.

use std::path::Path;
use std::process::{Command, Output};

fn web3audit(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_web3audit"))
        .args(args)
        .output()
        .expect("the binary runs")
}

fn write_tree(root: &Path, files: &[(&str, &str)]) {
    for (path, text) in files {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
}

/// A pool compiled with a release whose `@nonreentrant` locks are broken, which also
/// sends ether before its accounting is done.
const POOL: &str = "\
# @version 0.2.15

balances: public(HashMap[address, uint256])
total: public(uint256)
owner: public(address)


@external
@payable
@nonreentrant('lock')
def add_liquidity():
    self.balances[msg.sender] += msg.value
    self.total += msg.value


@external
@nonreentrant('lock')
def remove_liquidity(amount: uint256):
    self.balances[msg.sender] -= amount
    raw_call(msg.sender, b\"\", value=amount)
    self.total -= amount


@external
def sweep(to: address):
    # web3audit-disable-next-line tx-origin-auth -- the owner is a cold wallet
    assert tx.origin == self.owner
    send(to, self.balance)


@external
def stale():
    # web3audit-disable-next-line weak-randomness
    assert msg.sender == self.owner
";

const WALLET: &str = "\
pragma solidity 0.8.24;

contract Wallet {
    address public owner;

    function withdraw(address payable to) external {
        require(tx.origin == owner);
        to.transfer(address(this).balance);
    }
}
";

fn findings(report: &serde_json::Value) -> Vec<(String, String, u64)> {
    let mut out: Vec<(String, String, u64)> = report["findings"]
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
        .collect();
    out.sort();
    out
}

#[test]
fn a_mixed_project_reports_both_languages_with_suppressions_and_sarif() {
    let dir = tempfile::tempdir().unwrap();
    write_tree(
        dir.path(),
        &[
            ("contracts/Pool.vy", POOL),
            ("contracts/Wallet.sol", WALLET),
        ],
    );
    let out = web3audit(&[
        "scan",
        dir.path().to_str().unwrap(),
        "--format",
        "json",
        "--fail-on",
        "critical",
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "the critical Vyper finding fails the scan: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["stats"]["files_reported"], 2);
    assert_eq!(
        findings(&report),
        [
            (
                "tx-origin-auth".to_owned(),
                "contracts/Wallet.sol".to_owned(),
                7
            ),
            // The suppression of a detector that found nothing on its line.
            (
                "unused-suppression".to_owned(),
                "contracts/Pool.vy".to_owned(),
                33
            ),
            (
                "vyper-reentrancy-lock-bug".to_owned(),
                "contracts/Pool.vy".to_owned(),
                10
            ),
        ]
    );
    let lock = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule_id"] == "vyper-reentrancy-lock-bug")
        .unwrap();
    assert_eq!(lock["severity"], "critical");
    assert_eq!(lock["contract"], "Pool");
    assert_eq!(lock["function"], "add_liquidity");
    let message = lock["message"].as_str().unwrap();
    assert!(message.contains("GHSA-5824-cm3x-3c38"), "{message}");
    assert!(message.contains("0.2.15"), "{message}");

    let sarif_path = dir.path().join("out.sarif");
    let out = web3audit(&[
        "scan",
        dir.path().to_str().unwrap(),
        "--format",
        "sarif",
        "--output",
        sarif_path.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0));
    let sarif: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&sarif_path).unwrap()).unwrap();
    let result = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == "vyper-reentrancy-lock-bug")
        .expect("the Vyper finding is in the SARIF log");
    let location = &result["locations"][0]["physicalLocation"];
    assert_eq!(location["artifactLocation"]["uri"], "contracts/Pool.vy");
    assert_eq!(location["region"]["startLine"], 10);
    assert!(result["partialFingerprints"]["web3auditFingerprint/v1"].is_string());
}

#[test]
fn a_fixed_compiler_silences_the_lock_bug_and_text_output_frames_vyper_code() {
    let dir = tempfile::tempdir().unwrap();
    let fixed = POOL.replace("# @version 0.2.15", "# @version 0.3.1");
    write_tree(dir.path(), &[("Pool.vy", &fixed)]);
    let file = dir.path().join("Pool.vy");
    let out = web3audit(&[
        "scan",
        file.to_str().unwrap(),
        "--format",
        "json",
        "--exclude-detectors",
        "unused-suppression",
        "--fail-on",
        "low",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(findings(&report), []);

    write_tree(dir.path(), &[("Pool.vy", POOL)]);
    let out = web3audit(&["scan", file.to_str().unwrap(), "--color", "never"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("critical[vyper-reentrancy-lock-bug]"),
        "{text}"
    );
    assert!(text.contains("--> Pool.vy:10:1"), "{text}");
    assert!(text.contains("10 | @nonreentrant('lock')"), "{text}");
}

#[test]
fn vyper_syntax_errors_are_diagnostics_and_the_rest_is_still_analysed() {
    let dir = tempfile::tempdir().unwrap();
    let broken = "\
# @version 0.3.10

owner: public(address)

@external
def broken(:
    pass

@external
def withdraw_all(to: address):
    assert tx.origin == self.owner
    send(to, self.balance)
";
    write_tree(dir.path(), &[("Broken.vy", broken)]);
    let out = web3audit(&["scan", dir.path().to_str().unwrap(), "--format", "json"]);
    assert_eq!(out.status.code(), Some(0));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        findings(&report),
        [("tx-origin-auth".to_owned(), "Broken.vy".to_owned(), 11)]
    );
    let diagnostics = report["diagnostics"].as_array().unwrap();
    assert!(
        diagnostics.iter().any(|d| d["kind"] == "syntax"
            && d["level"] == "error"
            && d["file"] == "Broken.vy"
            && d["line"] == 6),
        "{diagnostics:?}"
    );
}
