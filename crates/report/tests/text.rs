//! The text renderer, snapshot-tested.

mod common;

use common::*;
use detectors::{FileId, Finding};
use report::{Report, TextOptions, render_text, summary_line};
use syntax::Span;

#[test]
fn renders_code_frames_secondary_labels_and_summary() {
    let sources = bank_and_token();
    let report = sample_report(&sources);
    insta::assert_snapshot!(render_text(
        &report,
        &sources.views(),
        &TextOptions::default()
    ));
}

#[test]
fn renders_multi_line_spans() {
    let text = "contract A {\n    function f() external {\n        a.call(\n            data\n        );\n    }\n}\n";
    let sources = Sources::new(&[("A.sol", text)]);
    let span = span_of(text, "a.call(\n            data\n        )", 0);
    let finding = Finding::new(
        &UNCHECKED_SEND,
        FileId(0),
        span,
        "return value of a low-level call is ignored",
    );
    let report = Report::build(&sources.views(), vec![finding], &[], tool()).unwrap();
    insta::assert_snapshot!(render_text(
        &report,
        &sources.views(),
        &TextOptions::default()
    ));
}

#[test]
fn without_sources_shows_locations_only() {
    let sources = bank_and_token();
    let report = sample_report(&sources);
    let out = render_text(&report, &[], &TextOptions::default());
    assert!(
        out.contains("critical[tx-origin-auth]: authorization through `tx.origin`"),
        "{out}"
    );
    assert!(out.contains("--> src/Bank.sol:15:17"), "{out}");
    assert!(out.contains("state written after the call"), "{out}");
    assert!(!out.contains("^^^"), "{out}");
    assert!(
        out.ends_with("7 findings: 1 critical, 1 high, 1 medium, 3 low, 1 informational\n"),
        "{out}"
    );
}

#[test]
fn a_changed_file_is_not_framed_with_wrong_code() {
    let sources = bank_and_token();
    let report = sample_report(&sources);
    let edited = Sources::new(&[
        ("src/Bank.sol", &format!("\n\n{BANK}")),
        ("src/Token.sol", TOKEN),
    ]);
    let out = render_text(&report, &edited.views(), &TextOptions::default());
    // Bank.sol findings lose their frames; Token.sol findings keep theirs.
    assert!(!out.contains("tx.origin == owner);"), "{out}");
    assert!(out.contains("b.send(1);"), "{out}");
}

#[test]
fn colour_only_when_asked() {
    let sources = bank_and_token();
    let report = sample_report(&sources);
    let plain = render_text(&report, &sources.views(), &TextOptions { color: false });
    let coloured = render_text(&report, &sources.views(), &TextOptions { color: true });
    assert!(!plain.contains('\u{1b}'));
    assert!(coloured.contains("\u{1b}["));
}

#[test]
fn summary_lines() {
    let sources = Sources::new(&[("A.sol", "abc")]);
    let build =
        |findings: Vec<Finding>| Report::build(&sources.views(), findings, &[], tool()).unwrap();
    assert_eq!(summary_line(&build(Vec::new())), "no findings");
    let one = build(vec![Finding::new(
        &TX_ORIGIN,
        FileId(0),
        Span::new(0, 1),
        "m",
    )]);
    assert_eq!(summary_line(&one), "1 finding: 1 critical");
    let three = build(vec![
        Finding::new(&REENTRANCY, FileId(0), Span::new(0, 1), "m"),
        Finding::new(&UNCHECKED_SEND, FileId(0), Span::new(1, 2), "m"),
        Finding::new(&UNCHECKED_SEND, FileId(0), Span::new(2, 3), "m"),
    ]);
    assert_eq!(summary_line(&three), "3 findings: 1 high, 2 low");
    assert_eq!(
        render_text(
            &build(Vec::new()),
            &sources.views(),
            &TextOptions::default()
        ),
        "no findings\n"
    );
}

#[test]
fn odd_spans_render_without_panicking() {
    let text = "a = 1;\r\nb = é;\r\n\r\nc();";
    let sources = Sources::new(&[("A.sol", text)]);
    let len = text.len() as u32;
    let findings = vec![
        Finding::new(&PRAGMA, FileId(0), Span::new(0, 0), "empty at the start"),
        Finding::new(&PRAGMA, FileId(0), Span::new(len, len), "empty at the end"),
        Finding::new(&PRAGMA, FileId(0), Span::new(4, 10), "over a CRLF line end"),
        Finding::new(&PRAGMA, FileId(0), Span::new(13, 14), "inside `é`"),
        Finding::new(
            &PRAGMA,
            FileId(0),
            Span::new(0, len + 10),
            "the whole file and more",
        ),
        Finding::new(&PRAGMA, FileId(0), Span::new(17, 17), "on an empty line"),
    ];
    let report = Report::build(&sources.views(), findings, &[], tool()).unwrap();
    let out = render_text(&report, &sources.views(), &TextOptions::default());
    for finding in &report.findings {
        let l = &finding.location;
        assert!(
            out.contains(&format!("--> A.sol:{}:{}", l.start_line, l.start_column)),
            "{out}"
        );
    }
    assert!(out.ends_with("6 findings: 6 informational\n"), "{out}");
}
