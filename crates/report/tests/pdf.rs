//! The PDF renderer, read back with a PDF parser: page count, text per page.

mod common;

use common::{ALL_RULES, bank_and_token, sample_findings, tool};
use report::{HtmlOptions, PdfOptions, Report};

fn text_of(doc: &lopdf::Document, page: u32) -> String {
    doc.extract_text(&[page])
        .expect("the page has extractable text")
}

#[test]
fn pdf_has_a_summary_page_and_one_page_per_n_findings() {
    let sources = bank_and_token();
    let report = Report::build(&sources.views(), sample_findings(), &ALL_RULES, tool()).unwrap();
    let n = report.findings.len();
    assert!(n >= 4, "the sample has enough findings to span pages");
    for per_page in [1, 2, 3] {
        let options = PdfOptions {
            content: HtmlOptions {
                title: Some("Bank audit".into()),
                excerpts: report::excerpts(&report, &sources.views()),
                ..HtmlOptions::default()
            },
            findings_per_page: per_page,
        };
        let bytes = report::render_pdf(&report, &options);
        assert!(bytes.starts_with(b"%PDF-1.4"));
        let doc = lopdf::Document::load_mem(&bytes).expect("a well-formed PDF");
        let pages = doc.get_pages();
        assert_eq!(pages.len(), report::pdf_page_count(n, per_page));
        assert_eq!(pages.len(), 1 + n.div_ceil(per_page));

        let summary = text_of(&doc, 1);
        assert!(summary.contains("Bank audit"), "{summary}");
        assert!(summary.contains("Summary by severity"));
        assert!(summary.contains("Triage is not tracked"));

        // Finding k (1-based, most severe first) is on page 1 + ceil(k / per_page).
        let ordered: Vec<&report::ReportFinding> = detectors::Severity::ALL
            .iter()
            .flat_map(|s| report.findings.iter().filter(move |f| f.severity == *s))
            .collect();
        for (i, f) in ordered.iter().enumerate() {
            let page = 2 + (i / per_page) as u32;
            let text = text_of(&doc, page);
            let heading = format!("{}. ", i + 1);
            assert!(text.contains(&heading), "page {page}: {text}");
            assert!(text.contains(&f.rule_id), "page {page}: {text}");
            assert!(
                text.contains(&format!("{}:{}", f.location.file, f.location.start_line)),
                "page {page}: {text}"
            );
        }
    }
}

#[test]
fn pdf_of_an_empty_report_is_one_page() {
    let sources = bank_and_token();
    let report = Report::build(&sources.views(), Vec::new(), &ALL_RULES, tool()).unwrap();
    let bytes = report::render_pdf(&report, &PdfOptions::default());
    let doc = lopdf::Document::load_mem(&bytes).unwrap();
    assert_eq!(doc.get_pages().len(), 1);
    assert!(text_of(&doc, 1).contains("No findings."));
}
