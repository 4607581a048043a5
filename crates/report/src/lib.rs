//! Findings resolved for output, stable fingerprints, and renderers.
//!
//! Detectors emit [`detectors::Finding`]s with compact byte spans. This crate turns them,
//! together with the source texts they point into, into a [`Report`]: every finding
//! resolved to a path, 1-based lines and columns, the flagged source text and a
//! content-based [fingerprint](fingerprint), sorted deterministically and counted by
//! severity. The report is then rendered:
//!
//! - [`render_text`]: compiler-like output with code frames, for people;
//! - [`render_json`]: the [`Report`] itself serialized (documented in `docs/json-output.md`);
//! - [`render_sarif`]: SARIF 2.1.0 for GitHub code scanning (documented in `docs/sarif.md`);
//! - [`render_markdown`]: Markdown for pull requests and tickets;
//! - [`render_code_quality`]: GitLab's Code Quality report (documented in `docs/ci.md`);
//! - [`render_html`]: one self-contained HTML page (inline CSS and SVG, no script);
//! - [`render_pdf`]: a paginated PDF written in-process.
//!
//! ```
//! use detectors::{Confidence, DetectorMeta, FileId, Finding, Severity};
//! use report::{Report, SourceView, ToolInfo};
//! use syntax::{LineIndex, Span};
//!
//! static META: DetectorMeta = DetectorMeta {
//!     id: "tx-origin-auth",
//!     title: "Authorization through `tx.origin`",
//!     severity: Severity::High,
//!     confidence: Confidence::High,
//!     swc: Some("SWC-115"),
//!     category: "access_control",
//!     description: "`tx.origin` is used for authorization",
//!     recommendation: "Use `msg.sender` instead",
//!     references: &[],
//!     doc: "",
//! };
//!
//! let text = "contract A { function f() public { require(tx.origin == owner); } }";
//! let line_index = LineIndex::new(text);
//! let files = [SourceView { id: FileId(0), path: "src/A.sol", text, line_index: &line_index }];
//! let finding = Finding::new(&META, FileId(0), Span::new(43, 61), "authorization through `tx.origin`");
//! let report = Report::build(&files, vec![finding], &[&META], ToolInfo::new("web3audit", "0.1.0"))
//!     .expect("the finding's file is among `files`");
//! assert_eq!(report.findings[0].location.start_line, 1);
//! assert_eq!(report.findings[0].location.snippet, "tx.origin == owner");
//! assert!(report::render_text(&report, &files, &report::TextOptions::default()).ends_with("1 finding: 1 high\n"));
//! ```

mod baseline;
mod code_quality;
pub mod fingerprint;
mod html;
mod json;
mod markdown;
mod model;
mod pdf;
mod sarif;
mod serde_level;
mod stored;
mod text;

pub use baseline::{
    BASELINE_FORMAT_VERSION, Baseline, BaselineEntry, BaselineError, BaselineSummary,
};
pub use code_quality::render_code_quality;
pub use html::{
    AssistantNote, EXCERPTS_KEY, Excerpt, HtmlOptions, TriageComment, TriageNote, excerpts,
    render_html,
};
pub use json::render_json;
pub use markdown::render_markdown;
pub use model::{
    BuildError, InputDiagnostic, Location, MergedFinding, REPORT_FORMAT_VERSION, Report,
    ReportFinding, RuleInfo, ScanStats, SecondaryLocation, SourceView, Summary, ToolInfo, ToolRun,
};
pub use pdf::{
    DEFAULT_FINDINGS_PER_PAGE, DocBlock, PdfOptions, pdf_page_count, render_document_pdf,
    render_pdf,
};
pub use sarif::{SARIF_FINGERPRINT_KEY, SARIF_SCHEMA_URI, SarifOptions, render_sarif};
pub use stored::{RULES_BY_ID, from_stored_json, to_stored_json};
pub use text::{TextOptions, render_text, summary_line, tool_line};
