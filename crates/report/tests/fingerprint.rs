//! Fingerprints survive unrelated edits and change with the finding.

mod common;

use common::*;
use detectors::{DetectorMeta, FileId, Finding};
use report::Report;

/// The fingerprint of one finding at `needle` in `text`, with the given context.
fn fingerprint(text: &str, needle: &str, meta: &'static DetectorMeta, function: &str) -> String {
    fingerprints(text, &[needle], meta, function).remove(0)
}

/// The fingerprints of findings at the first occurrences of `needles`, in report order.
fn fingerprints(
    text: &str,
    needles: &[&str],
    meta: &'static DetectorMeta,
    function: &str,
) -> Vec<String> {
    let sources = Sources::new(&[("src/A.sol", text)]);
    let mut seen = std::collections::HashMap::new();
    let findings = needles
        .iter()
        .map(|needle| {
            let n = seen.entry(*needle).or_insert(0);
            let span = span_of(text, needle, *n);
            *n += 1;
            Finding::new(meta, FileId(0), span, "m").with_context(Some("A"), Some(function))
        })
        .collect();
    let report = Report::build(&sources.views(), findings, &[], tool()).unwrap();
    report.findings.into_iter().map(|f| f.fingerprint).collect()
}

const ORIGINAL: &str = "\
contract A {
    function f() external {
        (bool ok, ) = msg.sender.call{value: 1}(\"\");
    }
}
";

const CALL: &str = "msg.sender.call{value: 1}(\"\")";

#[test]
fn has_the_documented_shape() {
    let fp = fingerprint(ORIGINAL, CALL, &REENTRANCY, "f");
    let (hash, occurrence) = fp.split_once(':').unwrap();
    assert_eq!(hash.len(), report::fingerprint::HASH_HEX_LEN);
    assert!(
        hash.bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    );
    assert_eq!(occurrence, "1");
    assert_eq!(
        hash,
        report::fingerprint::content_hash("reentrancy-eth", Some("A"), Some("f"), CALL)
    );
}

#[test]
fn survives_code_added_above() {
    let moved = format!(
        "// SPDX-License-Identifier: MIT\npragma solidity ^0.8.0;\n\nimport \"./B.sol\";\n\n{ORIGINAL}"
    );
    assert_eq!(
        fingerprint(ORIGINAL, CALL, &REENTRANCY, "f"),
        fingerprint(&moved, CALL, &REENTRANCY, "f")
    );
}

#[test]
fn survives_reformatting_and_comments() {
    let reformatted = "\
contract A {
  function f() external
  {
    (bool ok, ) = msg.sender
        .call{ value : 1 }( \"\" ); // pays the caller
  }
}
";
    let code = "msg.sender\n        .call{ value : 1 }( \"\" )";
    assert_eq!(
        fingerprint(ORIGINAL, CALL, &REENTRANCY, "f"),
        fingerprint(reformatted, code, &REENTRANCY, "f")
    );
    let commented = ORIGINAL.replace(CALL, "msg.sender.call{value: /* wei */ 1}(\"\")");
    assert_eq!(
        fingerprint(ORIGINAL, CALL, &REENTRANCY, "f"),
        fingerprint(
            &commented,
            "msg.sender.call{value: /* wei */ 1}(\"\")",
            &REENTRANCY,
            "f"
        )
    );
}

#[test]
fn changes_with_the_flagged_code() {
    let changed = ORIGINAL.replace("value: 1", "value: 2");
    assert_ne!(
        fingerprint(ORIGINAL, CALL, &REENTRANCY, "f"),
        fingerprint(
            &changed,
            "msg.sender.call{value: 2}(\"\")",
            &REENTRANCY,
            "f"
        )
    );
    // Whitespace inside a string literal is code.
    let literal = ORIGINAL.replace("(\"\")", "(\" \")");
    assert_ne!(
        fingerprint(ORIGINAL, CALL, &REENTRANCY, "f"),
        fingerprint(
            &literal,
            "msg.sender.call{value: 1}(\" \")",
            &REENTRANCY,
            "f"
        )
    );
}

#[test]
fn changes_with_the_function_contract_and_rule() {
    let base = fingerprint(ORIGINAL, CALL, &REENTRANCY, "f");
    assert_ne!(base, fingerprint(ORIGINAL, CALL, &REENTRANCY, "g"));
    assert_ne!(base, fingerprint(ORIGINAL, CALL, &UNCHECKED_SEND, "f"));
    let other_contract =
        report::fingerprint::content_hash("reentrancy-eth", Some("B"), Some("f"), CALL);
    assert!(!base.starts_with(&other_contract));
}

#[test]
fn repeated_code_gets_distinct_stable_occurrences() {
    let text = "contract A { function f() { a.send(1); a.send(1); } }";
    let both = fingerprints(text, &["a.send(1)", "a.send(1)"], &UNCHECKED_SEND, "f");
    let hash = both[0].split_once(':').unwrap().0;
    assert_eq!(both, [format!("{hash}:1"), format!("{hash}:2")]);

    // Shifting both down keeps both fingerprints.
    let moved = format!("\n\n{text}");
    assert_eq!(
        fingerprints(&moved, &["a.send(1)", "a.send(1)"], &UNCHECKED_SEND, "f"),
        both
    );
}

#[test]
fn occurrences_count_per_file() {
    let sources = Sources::new(&[("a/A.sol", "a.send(1);"), ("b/A.sol", "a.send(1);")]);
    let findings = (0..2)
        .map(|i| {
            Finding::new(
                &UNCHECKED_SEND,
                FileId(i),
                span_of("a.send(1);", "a.send(1)", 0),
                "m",
            )
        })
        .collect();
    let report = Report::build(&sources.views(), findings, &[], tool()).unwrap();
    // Same content in two files: the same fingerprint, told apart by the path.
    assert_eq!(
        report.findings[0].fingerprint,
        report.findings[1].fingerprint
    );
    assert!(report.findings[0].fingerprint.ends_with(":1"));
    assert_ne!(
        report.findings[0].location.file,
        report.findings[1].location.file
    );
}
