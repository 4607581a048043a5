//! The HTML renderer: self-contained, grouped by severity, excerpts with flagged lines,
//! triage, and everything user-provided escaped.

mod common;

use std::collections::BTreeMap;

use common::{ALL_RULES, Sources, TX_ORIGIN, bank_and_token, sample_findings, span_of, tool};
use detectors::{FileId, Finding};
use report::{HtmlOptions, Report, TriageComment, TriageNote};

/// The page with `/` unescaped (the engine writes it as `&#x2f;`), for readable asserts.
fn render(report: &Report, options: &HtmlOptions) -> String {
    report::render_html(report, options).replace("&#x2f;", "/")
}

fn sample() -> (Sources, Report) {
    let sources = bank_and_token();
    let report = Report::build(&sources.views(), sample_findings(), &ALL_RULES, tool()).unwrap();
    (sources, report)
}

#[test]
fn html_is_self_contained_and_has_no_script() {
    let (sources, report) = sample();
    let options = HtmlOptions {
        excerpts: report::excerpts(&report, &sources.views()),
        ..HtmlOptions::default()
    };
    let html = render(&report, &options);
    assert!(html.starts_with("<!doctype html>"));
    assert!(html.contains("<style>") && html.contains("<svg class=\"chart\""));
    assert!(!html.contains("<script"), "the report runs no script");
    for external in ["<link", "src=\"http", "url(http", "@import"] {
        assert!(!html.contains(external), "no external asset: {external}");
    }
    // Reference links are the only addresses, and they are plain anchors.
    assert!(html.contains("<a href=\"https://swcregistry.io/docs/SWC-107\""));
}

#[test]
fn html_groups_by_severity_and_highlights_the_flagged_lines() {
    let (sources, report) = sample();
    let options = HtmlOptions {
        excerpts: report::excerpts(&report, &sources.views()),
        ..HtmlOptions::default()
    };
    let html = render(&report, &options);
    let critical = html
        .find("id=\"group-critical\"")
        .expect("a critical group");
    let high = html.find("id=\"group-high\"").expect("a high group");
    let low = html.find("id=\"group-low\"").expect("a low group");
    assert!(critical < high && high < low, "most severe first");

    // `tx.origin == owner` is on line 15 of Bank.sol: flagged, with context around it.
    let flagged = "<span class=\"line flagged\"><span class=\"ln\" aria-hidden=\"true\">15</span>        require(tx.origin == owner);";
    assert!(html.contains(flagged), "{html}");
    assert!(
        html.contains("<span class=\"line\"><span class=\"ln\" aria-hidden=\"true\">12</span>")
    );
    // The chart and the table count the same.
    let s = &report.summary;
    let chart_title = format!(
        "Findings by severity: critical {}, high {}, medium {}, low {}, informational {}",
        s.critical, s.high, s.medium, s.low, s.informational
    );
    assert!(html.contains(&chart_title), "{chart_title}");
    assert_eq!(html.matches("<article class=\"finding\"").count(), s.total);
    assert!(html.contains("<dt>Recommendation</dt>") || html.contains("<h4>Recommendation</h4>"));
    assert!(html.contains("Use `msg.sender`"));
    assert!(html.contains("not tracked (command-line report)"));
}

#[test]
fn html_shows_triage_state_and_comments() {
    let (_, report) = sample();
    let fp = report
        .findings
        .iter()
        .find(|f| f.rule_id == "tx-origin-auth")
        .unwrap()
        .fingerprint
        .clone();
    let triage = BTreeMap::from([(
        fp,
        TriageNote {
            state: "false_positive".into(),
            comments: vec![TriageComment {
                author: "auditor@example.com".into(),
                at: "2026-01-02T03:04:05Z".into(),
                from_state: "open".into(),
                to_state: "false_positive".into(),
                text: Some("owner is <b>trusted</b>".into()),
            }],
        },
    )]);
    let html = render(
        &report,
        &HtmlOptions {
            triage: Some(triage),
            ..HtmlOptions::default()
        },
    );
    assert!(html.contains("<span class=\"triage triage-false_positive\">false positive</span>"));
    assert!(
        html.contains("owner is &lt;b&gt;trusted&lt;/b&gt;"),
        "{html}"
    );
    assert!(!html.contains("command-line report"));
}

#[test]
fn html_shows_the_assistant_suggestion_as_a_suggestion_and_escaped() {
    let (_, report) = sample();
    let fp = report
        .findings
        .iter()
        .find(|f| f.rule_id == "tx-origin-auth")
        .unwrap()
        .fingerprint
        .clone();
    let note = report::AssistantNote {
        verdict: "likely_false_positive".into(),
        confidence: 0.7,
        explanation: "The check guards <b>nothing</b> of value.".into(),
        attack_scenario: "None that gains anything.".into(),
        model: "local-model".into(),
    };
    let with = render(
        &report,
        &HtmlOptions {
            suggestions: BTreeMap::from([(fp, note)]),
            ..HtmlOptions::default()
        },
    );
    assert!(with.contains("<h4>Assistant suggestion</h4>"), "{with}");
    assert!(with.contains("From local-model; a suggestion, not a triage decision."));
    assert!(with.contains("<strong>likely false positive</strong> (confidence 0.7)"));
    assert!(with.contains("guards &lt;b&gt;nothing&lt;/b&gt;"), "{with}");
    assert!(with.contains("None that gains anything."));
    // Only where there is one.
    assert_eq!(with.matches("Assistant suggestion").count(), 1);
    let without = render(&report, &HtmlOptions::default());
    assert!(!without.contains("Assistant suggestion"));
}

#[test]
fn a_contract_carrying_markup_renders_inert() {
    const EVIL: &str = "pragma solidity ^0.8.0;\n// </script><script>alert(1)</script>\ncontract E {\n    string s = \"</script><script>alert(1)</script>\";\n    function f() public { require(tx.origin == address(0)); }\n}\n";
    let sources = Sources::new(&[("src/<img src=x onerror=alert(1)>.sol", EVIL)]);
    let finding = Finding::new(
        &TX_ORIGIN,
        FileId(0),
        span_of(EVIL, "tx.origin == address(0)", 0),
        "message with </script><script>alert(1)</script>",
    );
    let report = Report::build(&sources.views(), vec![finding], &ALL_RULES, tool()).unwrap();
    let options = HtmlOptions {
        title: Some("<script>alert(1)</script>".into()),
        excerpts: report::excerpts(&report, &sources.views()),
        ..HtmlOptions::default()
    };
    let html = report::render_html(&report, &options);
    assert!(!html.contains("<script"), "{html}");
    assert!(!html.contains("<img"), "{html}");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;"));
    // The comment line is in the excerpt, escaped.
    assert!(
        html.replace("&#x2f;", "/")
            .contains("// &lt;/script&gt;&lt;script&gt;alert(1)"),
        "{html}"
    );
}

#[test]
fn an_empty_report_says_so() {
    let sources = bank_and_token();
    let report = Report::build(&sources.views(), Vec::new(), &ALL_RULES, tool()).unwrap();
    let html = report::render_html(&report, &HtmlOptions::default());
    assert!(html.contains("No findings."));
    assert!(html.contains("critical 0, high 0, medium 0, low 0, informational 0"));
}
