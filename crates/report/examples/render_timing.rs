//! Rendering time of the HTML and PDF reports for a synthetic report with many findings.
//!
//! `cargo run --release -p report --example render_timing -- [FINDINGS]` (default 1000)

use std::time::Instant;

use detectors::{Confidence, DetectorMeta, FileId, Finding, Severity};
use report::{HtmlOptions, PdfOptions, Report, SourceView, ToolInfo};
use syntax::{LineIndex, Span};

static RULE: DetectorMeta = DetectorMeta {
    id: "tx-origin-auth",
    title: "Authorization through `tx.origin`",
    severity: Severity::High,
    confidence: Confidence::High,
    swc: Some("SWC-115"),
    category: "access_control",
    description: "`tx.origin` decides who may act",
    recommendation: "Authorize with `msg.sender`",
    references: &["https://swcregistry.io/docs/SWC-115"],
    doc: "",
};

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1000);
    let line = "    function f() public { require(tx.origin == owner); }\n";
    let text = format!("contract A {{\n{}}}\n", line.repeat(n));
    let index = LineIndex::new(&text);
    let files = [SourceView {
        id: FileId(0),
        path: "src/A.sol",
        text: &text,
        line_index: &index,
    }];
    let findings: Vec<Finding> = text
        .match_indices("tx.origin == owner")
        .enumerate()
        .map(|(i, (at, s))| {
            let mut f = Finding::new(
                &RULE,
                FileId(0),
                Span::new(at as u32, (at + s.len()) as u32),
                "authorization through `tx.origin`",
            );
            f.severity = Severity::ALL[i % Severity::ALL.len()];
            f
        })
        .collect();
    let report = Report::build(
        &files,
        findings,
        &[&RULE],
        ToolInfo::new("web3audit", "0.1.0"),
    )
    .unwrap();
    let options = HtmlOptions {
        excerpts: report::excerpts(&report, &files),
        ..HtmlOptions::default()
    };
    let runs = 5;
    let started = Instant::now();
    let mut html_len = 0;
    for _ in 0..runs {
        html_len = report::render_html(&report, &options).len();
    }
    let html_ms = started.elapsed().as_secs_f64() * 1000.0 / f64::from(runs);
    let pdf_options = PdfOptions {
        content: options,
        ..PdfOptions::default()
    };
    let started = Instant::now();
    let mut pdf_len = 0;
    for _ in 0..runs {
        pdf_len = report::render_pdf(&report, &pdf_options).len();
    }
    let pdf_ms = started.elapsed().as_secs_f64() * 1000.0 / f64::from(runs);
    println!(
        "{n} findings: html {html_ms:.1} ms ({} KiB), pdf {pdf_ms:.1} ms ({} KiB, {} pages)",
        html_len / 1024,
        pdf_len / 1024,
        report::pdf_page_count(n, report::DEFAULT_FINDINGS_PER_PAGE)
    );
}
