//! `web3audit scan --format markdown|html|pdf` with the real binary on the shipped example.

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

#[test]
fn html_report_is_one_page_with_the_flagged_line_highlighted() {
    let ex = example();
    let out = web3audit(&["scan", ex.to_str().unwrap(), "--format", "html"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let html = String::from_utf8(out.stdout)
        .unwrap()
        .replace("&#x2f;", "/");
    assert!(html.starts_with("<!doctype html>"));
    assert!(!html.contains("<script"));
    assert!(html.contains(
        "<span class=\"line flagged\"><span class=\"ln\" aria-hidden=\"true\">16</span>        require(tx.origin == owner);"
    ));
    assert!(html.contains("tx-origin-auth"));
    assert!(html.contains("not tracked (command-line report)"));
}

#[test]
fn markdown_report_on_standard_output() {
    let ex = example();
    let out = web3audit(&["scan", ex.to_str().unwrap(), "--format", "markdown"]);
    assert_eq!(out.status.code(), Some(0));
    let md = String::from_utf8(out.stdout).unwrap();
    assert!(md.starts_with("# web3audit report"));
    assert!(md.contains("- **Location:** `src/Wallet.sol:16:17`"));
}

#[test]
fn pdf_report_goes_to_the_output_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.pdf");
    let ex = example();
    let out = web3audit(&[
        "scan",
        ex.to_str().unwrap(),
        "--format",
        "pdf",
        "--output",
        path.to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bytes = std::fs::read(&path).unwrap();
    assert!(bytes.starts_with(b"%PDF-1.4") && bytes.ends_with(b"%%EOF\n"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("finding"),
        "the summary goes to stderr: {stderr}"
    );
}
