//! Each tool's JSON output parsed into tool findings: the recorded Slither runs, and the
//! Aderyn and Mythril reports written from their documented formats (see
//! `fixtures/README.md`).

use tools::{ParseError, ToolKind, aderyn, mythril, slither};

fn fixture(path: &str) -> String {
    let full = format!("{}/tests/fixtures/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{full}: {e}"))
}

#[test]
fn slither_findings_keep_rule_ids_places_and_scopes() {
    let findings = slither::parse(&fixture("recorded/slither/Bank.json")).unwrap();
    let summary: Vec<(&str, &str, u32, u32)> = findings
        .iter()
        .map(|f| {
            (
                f.rule.as_str(),
                f.impact.as_str(),
                f.location.start_line,
                f.location.end_line,
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("reentrancy-eth", "High", 18, 23),
            ("suicidal", "High", 25, 28),
            ("tx-origin", "Medium", 25, 28),
            ("solc-version", "Informational", 2, 2),
            ("low-level-calls", "Informational", 18, 23),
            ("immutable-states", "Optimization", 8, 8),
        ]
    );
    let reentrancy = &findings[0];
    assert_eq!(reentrancy.tool, ToolKind::Slither);
    assert_eq!(reentrancy.location.path, "Bank.sol");
    assert_eq!(reentrancy.location.bytes, Some((436, 215)));
    assert_eq!(reentrancy.contract.as_deref(), Some("Bank"));
    assert_eq!(reentrancy.function.as_deref(), Some("withdraw"));
    assert_eq!(reentrancy.confidence.as_deref(), Some("Medium"));
    assert!(
        reentrancy
            .message
            .starts_with("Reentrancy in Bank.withdraw()")
    );
    assert!(
        reentrancy
            .reference
            .as_deref()
            .is_some_and(|r| r.contains("reentrancy"))
    );
    assert!(
        reentrancy
            .secondary
            .iter()
            .any(|l| l.message.starts_with("external calls:") && l.location.start_line == 20),
        "{:?}",
        reentrancy.secondary
    );
    // A node's scope comes from its parents: the function and the contract.
    let legacy = slither::parse(&fixture("recorded/slither/Legacy.json")).unwrap();
    let send = legacy.iter().find(|f| f.rule == "unchecked-send").unwrap();
    assert_eq!(send.function.as_deref(), Some("pay"));
    assert_eq!(send.contract.as_deref(), Some("Legacy"));
    // A result without located elements is left out, not an error.
    assert_eq!(
        legacy.iter().filter(|f| f.rule == "solc-version").count(),
        1
    );
}

#[test]
fn slither_errors_and_garbage_are_precise() {
    let e = slither::parse(
        r#"{"success": false, "error": "Invalid compilation: solc not found", "results": {}}"#,
    )
    .unwrap_err();
    assert!(
        matches!(&e, ParseError::ToolError(m) if m.contains("solc not found")),
        "{e}"
    );
    assert!(matches!(
        slither::parse("Traceback (most recent call last):"),
        Err(ParseError::NotJson(_))
    ));
    assert!(matches!(
        slither::parse("[1, 2]"),
        Err(ParseError::NotJson(_))
    ));
    assert!(
        slither::parse(r#"{"success": true, "error": null, "results": {}}"#)
            .unwrap()
            .is_empty()
    );
}

#[test]
fn aderyn_instances_become_findings() {
    let findings = aderyn::parse(&fixture("recorded/aderyn-Bank.json")).unwrap();
    let summary: Vec<(&str, &str, u32)> = findings
        .iter()
        .map(|f| (f.rule.as_str(), f.impact.as_str(), f.location.start_line))
        .collect();
    assert_eq!(
        summary,
        [
            ("tx-origin-used-for-auth", "High", 26),
            ("send-ether-no-checks", "High", 18),
            ("unspecific-solidity-pragma", "Low", 2),
            ("state-variable-could-be-immutable", "Low", 8),
        ]
    );
    let origin = &findings[0];
    let text = fixture("contracts/Bank.sol");
    let (offset, length) = origin.location.bytes.unwrap();
    assert_eq!(
        &text[offset as usize..(offset + length) as usize],
        "tx.origin == owner"
    );
    assert!(
        findings[3]
            .message
            .contains("written only in the constructor")
    );
    assert!(matches!(
        aderyn::parse(r#"{"files_summary": {}}"#),
        Err(ParseError::Shape(_))
    ));
    assert!(matches!(
        aderyn::parse(r#"{"high_issues": {"issues": [{"title": 1}]}}"#),
        Err(ParseError::Shape(_))
    ));
}

#[test]
fn mythril_issues_with_a_source_line_become_findings() {
    let (findings, unplaced) = mythril::parse(&fixture("recorded/mythril-Bank.json")).unwrap();
    assert_eq!(unplaced, 1, "the issue without filename and lineno");
    let summary: Vec<(&str, &str, u32, Option<&str>)> = findings
        .iter()
        .map(|f| {
            (
                f.rule.as_str(),
                f.impact.as_str(),
                f.location.start_line,
                f.function.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("SWC-107", "Low", 20, Some("withdraw")),
            ("SWC-107", "Medium", 22, Some("withdraw")),
            ("SWC-106", "High", 27, Some("close")),
            ("SWC-115", "Low", 26, Some("close")),
        ]
    );
    assert_eq!(
        findings[0].title.as_deref(),
        Some("External Call To User-Supplied Address")
    );
    assert_eq!(
        findings[0].message,
        "A call to a user-supplied address is executed."
    );
    let e = mythril::parse(
        r#"{"success": false, "error": "Solc experienced a fatal error", "issues": []}"#,
    )
    .unwrap_err();
    assert!(e.to_string().contains("fatal error"), "{e}");
}
