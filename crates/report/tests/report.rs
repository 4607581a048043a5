//! Building a report: resolution, ordering, counts, rules, JSON.

mod common;

use common::*;
use detectors::{FileId, Finding, Severity};
use report::{BuildError, REPORT_FORMAT_VERSION, Report, render_json};
use syntax::Span;

#[test]
fn resolves_locations_snippets_and_context() {
    let sources = bank_and_token();
    let report = sample_report(&sources);
    let f = report
        .findings
        .iter()
        .find(|f| f.rule_id == "reentrancy-eth")
        .expect("reentrancy finding");
    assert_eq!(f.title, REENTRANCY.title);
    assert_eq!(f.severity, Severity::High);
    assert_eq!(f.category, "reentrancy");
    assert_eq!(f.swc.as_deref(), Some("SWC-107"));
    assert_eq!(f.message, "external call before `balances` is written");
    assert_eq!(f.location.file, "src/Bank.sol");
    assert_eq!((f.location.start_line, f.location.start_column), (9, 23));
    assert_eq!((f.location.end_line, f.location.end_column), (9, 57));
    assert_eq!(f.location.snippet, "msg.sender.call{value: amount}(\"\")");
    let span = span_of(BANK, "msg.sender.call{value: amount}(\"\")", 0);
    assert_eq!(
        (f.location.byte_start, f.location.byte_end),
        (span.lo, span.hi)
    );
    assert_eq!(
        (f.contract.as_deref(), f.function.as_deref()),
        (Some("Bank"), Some("withdraw"))
    );

    assert_eq!(f.secondary.len(), 2);
    assert_eq!(f.secondary[0].message, "state written after the call");
    assert_eq!(f.secondary[0].location.file, "src/Bank.sol");
    assert_eq!(f.secondary[0].location.start_line, 11);
    assert_eq!(
        f.secondary[0].location.snippet,
        "balances[msg.sender] -= amount"
    );
    assert_eq!(f.secondary[1].location.file, "src/Token.sol");
    assert_eq!(
        (
            f.secondary[1].location.start_line,
            f.secondary[1].location.start_column
        ),
        (3, 1)
    );
}

#[test]
fn multi_line_spans_and_unicode_columns() {
    let text = "// é\ncontract Ünï { function f() {\n  x();\n} }\n";
    let sources = Sources::new(&[("A.sol", text)]);
    let span = Span::new(
        span_of(text, "function", 0).lo,
        span_of(text, "} }", 0).lo + 1,
    );
    let finding = Finding::new(&PRAGMA, FileId(0), span, "m");
    let report = Report::build(&sources.views(), vec![finding], &[], tool()).unwrap();
    let l = &report.findings[0].location;
    // `Ünï` is 3 characters but 5 bytes: columns count characters.
    assert_eq!(
        (l.start_line, l.start_column, l.end_line, l.end_column),
        (2, 16, 4, 2)
    );
    assert_eq!(l.snippet, "function f() {\n  x();\n}");
}

#[test]
fn spans_are_clamped_to_the_text_and_to_char_boundaries() {
    let text = "aé b";
    let sources = Sources::new(&[("A.sol", text)]);
    let findings = vec![
        // Starts inside `é` (bytes 1..3): widened to the whole character.
        Finding::new(&PRAGMA, FileId(0), Span::new(2, 3), "inside a char"),
        // Past the end of the file.
        Finding::new(&MEDIUM, FileId(0), Span::new(4, 99), "past the end"),
        // Reversed.
        Finding::new(&TX_ORIGIN, FileId(0), Span::new(3, 1), "reversed"),
    ];
    let report = Report::build(&sources.views(), findings, &[], tool()).unwrap();
    let by_message = |m: &str| {
        report
            .findings
            .iter()
            .find(|f| f.message == m)
            .unwrap()
            .location
            .clone()
    };
    let inside = by_message("inside a char");
    assert_eq!(
        (inside.byte_start, inside.byte_end, inside.snippet.as_str()),
        (1, 3, "é")
    );
    let past = by_message("past the end");
    assert_eq!(
        (past.byte_start, past.byte_end, past.snippet.as_str()),
        (4, 5, "b")
    );
    assert_eq!((past.end_line, past.end_column), (1, 5));
    let reversed = by_message("reversed");
    assert_eq!(
        (
            reversed.byte_start,
            reversed.byte_end,
            reversed.snippet.as_str()
        ),
        (3, 3, "")
    );
}

#[test]
fn findings_are_sorted_by_file_line_column_and_rule() {
    let sources = bank_and_token();
    let report = sample_report(&sources);
    let order: Vec<(&str, u32, u32, &str)> = report
        .findings
        .iter()
        .map(|f| {
            (
                f.location.file.as_str(),
                f.location.start_line,
                f.location.start_column,
                f.rule_id.as_str(),
            )
        })
        .collect();
    assert_eq!(
        order,
        [
            ("src/Bank.sol", 1, 1, "floating-pragma"),
            ("src/Bank.sol", 9, 23, "reentrancy-eth"),
            ("src/Bank.sol", 15, 17, "tx-origin-auth"),
            ("src/Token.sol", 5, 9, "unchecked-send"),
            ("src/Token.sol", 6, 9, "unchecked-send"),
            ("src/Token.sol", 7, 13, "block-timestamp"),
            ("src/Token.sol", 7, 38, "unchecked-send"),
        ]
    );
}

#[test]
fn order_and_fingerprints_do_not_depend_on_detector_order() {
    let sources = bank_and_token();
    let forward = sample_report(&sources);
    for rotation in 1..sample_findings().len() {
        let mut findings = sample_findings();
        findings.rotate_left(rotation);
        findings.reverse();
        let mut rules = ALL_RULES;
        rules.rotate_left(rotation % ALL_RULES.len());
        let other = Report::build(&sources.views(), findings, &rules, tool()).unwrap();
        assert_eq!(other, forward, "rotation {rotation}");
    }
}

#[test]
fn same_position_findings_are_ordered_by_rule() {
    let sources = Sources::new(&[("A.sol", "x = y;")]);
    let span = Span::new(0, 5);
    let findings = vec![
        Finding::new(&UNCHECKED_SEND, FileId(0), span, "c"),
        Finding::new(&MEDIUM, FileId(0), span, "b"),
        Finding::new(&PRAGMA, FileId(0), span, "a"),
    ];
    let report = Report::build(&sources.views(), findings, &[], tool()).unwrap();
    let rules: Vec<&str> = report.findings.iter().map(|f| f.rule_id.as_str()).collect();
    assert_eq!(
        rules,
        ["block-timestamp", "floating-pragma", "unchecked-send"]
    );
}

#[test]
fn summary_counts_by_severity() {
    let sources = bank_and_token();
    let report = sample_report(&sources);
    let s = report.summary;
    assert_eq!(
        (
            s.total,
            s.critical,
            s.high,
            s.medium,
            s.low,
            s.informational
        ),
        (7, 1, 1, 1, 3, 1)
    );
    assert_eq!(s.count(Severity::Low), 3);

    let empty = Report::build(&sources.views(), Vec::new(), &ALL_RULES, tool()).unwrap();
    assert_eq!(empty.summary, report::Summary::default());
    assert!(empty.findings.is_empty());
}

#[test]
fn a_finding_keeps_its_own_severity_and_confidence() {
    let sources = bank_and_token();
    let mut finding = Finding::new(&REENTRANCY, FileId(0), Span::new(0, 6), "downgraded");
    finding.severity = Severity::Low;
    finding.confidence = detectors::Confidence::Low;
    let report = Report::build(&sources.views(), vec![finding], &[], tool()).unwrap();
    assert_eq!(report.findings[0].severity, Severity::Low);
    assert_eq!(report.findings[0].confidence, detectors::Confidence::Low);
    assert_eq!(report.summary.low, 1);
    // The rule keeps its defaults.
    assert_eq!(report.rules[0].severity, Severity::High);
}

#[test]
fn rules_are_those_that_ran_plus_those_that_found_something_sorted_and_unique() {
    let sources = bank_and_token();
    let findings = vec![Finding::new(&TX_ORIGIN, FileId(0), Span::new(0, 6), "m")];
    let report = Report::build(
        &sources.views(),
        findings,
        &[&REENTRANCY, &PRAGMA, &REENTRANCY],
        tool(),
    )
    .unwrap();
    let ids: Vec<&str> = report.rules.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["floating-pragma", "reentrancy-eth", "tx-origin-auth"]);
    let reentrancy = &report.rules[1];
    assert_eq!(
        reentrancy.references,
        ["https://swcregistry.io/docs/SWC-107"]
    );
    assert_eq!(reentrancy.doc, REENTRANCY.doc);
}

#[test]
fn a_finding_in_an_unknown_file_is_an_error() {
    let sources = bank_and_token();
    let primary = Finding::new(&TX_ORIGIN, FileId(7), Span::new(0, 1), "m");
    assert_eq!(
        Report::build(&sources.views(), vec![primary], &[], tool()),
        Err(BuildError::UnknownFile {
            rule: "tx-origin-auth",
            file: FileId(7)
        })
    );
    let secondary = Finding::new(&TX_ORIGIN, FileId(0), Span::new(0, 1), "m").with_secondary(
        FileId(9),
        Span::new(0, 1),
        "s",
    );
    let error = Report::build(&sources.views(), vec![secondary], &[], tool()).unwrap_err();
    assert_eq!(
        error.to_string(),
        "a `tx-origin-auth` finding points into file #9 which is not among the report's sources"
    );
}

#[test]
fn json_is_the_serialized_report_and_reads_back() {
    let sources = bank_and_token();
    let report = sample_report(&sources);
    let json = render_json(&report);
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(value["version"], REPORT_FORMAT_VERSION);
    assert_eq!(value["tool"]["name"], "web3audit");
    assert_eq!(value["summary"]["total"], 7);
    let first = &value["findings"][1];
    assert_eq!(first["rule_id"], "reentrancy-eth");
    assert_eq!(first["severity"], "high");
    assert_eq!(first["confidence"], "medium");
    assert_eq!(first["file"], "src/Bank.sol");
    assert_eq!(first["start_line"], 9);
    assert_eq!(first["secondary"][0]["start_line"], 11);
    assert_eq!(
        first["secondary"][0]["message"],
        "state written after the call"
    );
    assert!(value["findings"][0]["contract"].is_null());

    let back: Report = serde_json::from_str(&json).unwrap();
    assert_eq!(back, report);
}

#[test]
fn json_rejects_unknown_levels() {
    let sources = bank_and_token();
    let json = render_json(&sample_report(&sources)).replacen(
        "\"severity\": \"critical\"",
        "\"severity\": \"dire\"",
        1,
    );
    let error = serde_json::from_str::<Report>(&json).unwrap_err();
    assert!(
        error.to_string().contains("unknown level `dire`"),
        "{error}"
    );
}

#[test]
fn json_snapshot() {
    let sources = bank_and_token();
    insta::assert_snapshot!(render_json(&sample_report(&sources)));
}
