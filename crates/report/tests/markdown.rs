//! The Markdown renderer: summary, findings grouped by severity, code and escaping.

use detectors::{Confidence, DetectorMeta, FileId, Finding, Severity};
use report::{Report, SourceView, ToolInfo};
use syntax::{LineIndex, Span};

static RULE: DetectorMeta = DetectorMeta {
    id: "tx-origin-auth",
    title: "Authorization through `tx.origin`",
    severity: Severity::High,
    confidence: Confidence::High,
    swc: Some("SWC-115"),
    category: "access_control",
    description: "d",
    recommendation: "Use `msg.sender`",
    references: &[],
    doc: "",
};

#[test]
fn markdown_groups_findings_by_severity_and_escapes_html() {
    let text = "contract A {\n  function f() public { require(tx.origin == owner); }\n}\n";
    let index = LineIndex::new(text);
    let files = [SourceView {
        id: FileId(0),
        path: "src/A.sol",
        text,
        line_index: &index,
    }];
    let lo = text.find("tx.origin").unwrap() as u32;
    let high = Finding::new(
        &RULE,
        FileId(0),
        Span::new(lo, lo + 18),
        "compared with <script>",
    )
    .with_context(Some("A"), Some("f"));
    let mut low = Finding::new(&RULE, FileId(0), Span::new(0, 8), "low one");
    low.severity = Severity::Low;
    let report = Report::build(
        &files,
        vec![low, high],
        &[&RULE],
        ToolInfo::new("web3audit", "0.1.0"),
    )
    .unwrap();
    let md = report::render_markdown(&report);

    assert!(
        md.contains("| high | 1 |")
            && md.contains("| low | 1 |")
            && md.contains("| **total** | **2** |")
    );
    let high_at = md.find("## High (1)").expect("a high section");
    let low_at = md.find("## Low (1)").expect("a low section");
    assert!(high_at < low_at, "most severe first");
    assert!(md.contains("- **Location:** `src/A.sol:2:33`"));
    assert!(md.contains("- **In:** `A.f`"));
    assert!(md.contains("```solidity\ntx.origin == owner\n```"));
    assert!(md.contains("compared with &lt;script&gt;") && !md.contains("<script>"));
    assert!(md.contains("**Recommendation:** Use `msg.sender`"));
}

#[test]
fn markdown_of_an_empty_report_says_so() {
    let report = Report::build(&[], vec![], &[&RULE], ToolInfo::new("web3audit", "0.1.0")).unwrap();
    let md = report::render_markdown(&report);
    assert!(md.contains("No findings."));
    assert!(md.contains("| **total** | **0** |"));
}
