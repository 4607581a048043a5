//! The finding model resolved for output: paths, lines, columns, code excerpts and
//! fingerprints. A [`Report`] serialized with serde *is* the JSON output.

use std::collections::HashMap;

use detectors::{Confidence, DetectorMeta, FileId, Finding, Label, Severity};
use serde::{Deserialize, Serialize};
use syntax::{LineIndex, Span};

use crate::baseline::BaselineSummary;
use crate::fingerprint;

/// Version of the JSON report format, written as the report's `version` field. Bumped
/// when a field is removed or changes meaning; adding a field does not bump it.
pub const REPORT_FORMAT_VERSION: u32 = 1;

/// One source file as the report sees it: its id in the analysed set, the path to show,
/// its text and line index.
#[derive(Clone, Copy, Debug)]
pub struct SourceView<'a> {
    pub id: FileId,
    /// Display path, relative to the project root where there is one, with forward
    /// slashes. SARIF uses it as the artifact URI.
    pub path: &'a str,
    pub text: &'a str,
    pub line_index: &'a LineIndex,
}

/// The tool that produced a report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolInfo {
    pub name: String,
    pub version: String,
    /// Home page of the tool; SARIF's `tool.driver.informationUri`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub information_uri: Option<String>,
}

impl ToolInfo {
    pub fn new(name: impl Into<String>, version: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            version: version.into(),
            information_uri: None,
        }
    }

    pub fn with_information_uri(mut self, uri: impl Into<String>) -> Self {
        self.information_uri = Some(uri.into());
        self
    }
}

/// Why a report could not be built.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BuildError {
    /// A finding (or one of its secondary labels) points into a file that is not among
    /// the sources given to [`Report::build`].
    #[error("a `{rule}` finding points into file #{} which is not among the report's sources", file.0)]
    UnknownFile { rule: &'static str, file: FileId },
}

/// All findings of one analysis, resolved for output.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// [`REPORT_FORMAT_VERSION`].
    pub version: u32,
    pub tool: ToolInfo,
    pub summary: Summary,
    /// Sorted by file path, line, column and rule id.
    pub findings: Vec<ReportFinding>,
    /// The rules that ran, plus any rule a finding came from; sorted by id.
    pub rules: Vec<RuleInfo>,
    /// What was analysed. Filled in by the caller (the loader knows it).
    #[serde(default)]
    pub stats: ScanStats,
    /// Problems with the input that are not findings: syntax errors, unresolved
    /// imports, unreadable files. Filled in by the caller; sorted by file and line.
    #[serde(default)]
    pub diagnostics: Vec<InputDiagnostic>,
    /// Present when findings were compared with a baseline (`scan --baseline`): then
    /// `findings` and `summary` hold only the findings the baseline does not have.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<BaselineSummary>,
    /// The other analyzers that ran beside ours (`scan --with slither`), with their
    /// versions and what happened to each run. Empty (and absent from JSON) otherwise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<ToolRun>,
}

/// One run of another analyzer in the same audit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolRun {
    /// `slither`, `aderyn` or `mythril`.
    pub name: String,
    /// The version the tool reported, when it could be asked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// `ok`, `partial` (some inputs failed), `failed` or `unavailable`.
    pub status: String,
    /// Findings the tool reported in reported files, after mapping.
    pub findings: usize,
    /// How many of them were merged into a finding of another analyzer.
    pub merged: usize,
    /// Wall time of the tool's processes, in milliseconds.
    pub duration_ms: u64,
    /// What went wrong, precisely: a timeout, a crash, output that was not JSON, output
    /// cut at the size limit, a sandbox limit that could not be enforced.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// What one analysis covered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanStats {
    /// Source files loaded (inputs and everything they import).
    pub files_loaded: usize,
    /// Files whose findings are reported (dependencies, tests and scripts are not, by default).
    pub files_reported: usize,
    /// Bytes of source loaded.
    pub bytes: u64,
    /// Wall time of the analysis, in milliseconds.
    pub duration_ms: u64,
}

/// A problem with the input: it did not stop the analysis, but parts of it may be missing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputDiagnostic {
    /// `syntax`, `unresolved-import`, `io`, `invalid-utf8`, `too-large` or `config`.
    pub kind: String,
    /// `error` or `warning`.
    pub level: String,
    /// The file's display path, when the problem is in one file.
    pub file: Option<String>,
    /// 1-based line and column, when the problem has a position.
    pub line: Option<u32>,
    pub column: Option<u32>,
    pub message: String,
}

/// Finding counts by severity.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub total: usize,
    pub critical: usize,
    pub high: usize,
    pub medium: usize,
    pub low: usize,
    pub informational: usize,
}

impl Summary {
    /// The counts of findings of these severities.
    pub fn of(severities: impl IntoIterator<Item = Severity>) -> Self {
        let mut summary = Summary::default();
        for severity in severities {
            summary.add(severity);
        }
        summary
    }

    pub fn count(&self, severity: Severity) -> usize {
        match severity {
            Severity::Critical => self.critical,
            Severity::High => self.high,
            Severity::Medium => self.medium,
            Severity::Low => self.low,
            Severity::Informational => self.informational,
        }
    }

    fn add(&mut self, severity: Severity) {
        self.total += 1;
        *match severity {
            Severity::Critical => &mut self.critical,
            Severity::High => &mut self.high,
            Severity::Medium => &mut self.medium,
            Severity::Low => &mut self.low,
            Severity::Informational => &mut self.informational,
        } += 1;
    }
}

/// A rule (detector) as the report describes it; the owned mirror of [`DetectorMeta`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleInfo {
    pub id: String,
    pub title: String,
    /// Default severity of the rule's findings.
    #[serde(with = "crate::serde_level")]
    pub severity: Severity,
    /// Default confidence of the rule's findings.
    #[serde(with = "crate::serde_level")]
    pub confidence: Confidence,
    pub category: String,
    pub swc: Option<String>,
    pub description: String,
    pub recommendation: String,
    pub references: Vec<String>,
    /// Full Markdown documentation.
    pub doc: String,
}

impl From<&DetectorMeta> for RuleInfo {
    fn from(meta: &DetectorMeta) -> Self {
        Self {
            id: meta.id.to_owned(),
            title: meta.title.to_owned(),
            severity: meta.severity,
            confidence: meta.confidence,
            category: meta.category.to_owned(),
            swc: meta.swc.map(str::to_owned),
            description: meta.description.to_owned(),
            recommendation: meta.recommendation.to_owned(),
            references: meta.references.iter().map(|r| (*r).to_owned()).collect(),
            doc: detectors::doc_markdown(meta.doc),
        }
    }
}

/// A span resolved to a path, 1-based lines and columns, and the text it covers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    /// [`SourceView::path`] of the file.
    pub file: String,
    pub start_line: u32,
    /// 1-based, counted in Unicode scalar values.
    pub start_column: u32,
    pub end_line: u32,
    /// Exclusive: the column just after the last flagged character.
    pub end_column: u32,
    /// Byte offset of the span's start in the file.
    pub byte_start: u32,
    /// Byte offset just after the span's end.
    pub byte_end: u32,
    /// The flagged source text, exactly as written.
    pub snippet: String,
}

/// A secondary label ("external call here"), resolved.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecondaryLocation {
    pub message: String,
    #[serde(flatten)]
    pub location: Location,
}

/// One finding, resolved for output.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportFinding {
    pub rule_id: String,
    pub title: String,
    #[serde(with = "crate::serde_level")]
    pub severity: Severity,
    #[serde(with = "crate::serde_level")]
    pub confidence: Confidence,
    pub category: String,
    pub swc: Option<String>,
    pub message: String,
    /// The primary location: in JSON its fields sit directly in the finding object.
    #[serde(flatten)]
    pub location: Location,
    pub secondary: Vec<SecondaryLocation>,
    pub contract: Option<String>,
    pub function: Option<String>,
    /// Content-based identity of the finding; see [`crate::fingerprint`].
    pub fingerprint: String,
    /// The analyzers that reported this finding, ours (`web3audit`) first, when other
    /// analyzers ran in the same audit; empty (and absent from JSON) otherwise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub found_by: Vec<String>,
    /// The rules of other analyzers whose findings were merged into this one, as
    /// `tool:rule-id` with the line the tool reported.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub merged: Vec<MergedFinding>,
}

/// A finding of another analyzer merged into a [`ReportFinding`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MergedFinding {
    /// `tool:rule-id`, e.g. `slither:reentrancy-eth`.
    pub rule_id: String,
    pub start_line: u32,
    pub end_line: u32,
    pub message: String,
}

impl Report {
    /// Resolves `findings` against `files` and sorts them. `rules` are the rules that
    /// ran (SARIF lists them all, whether or not they found something).
    ///
    /// Spans are clamped to their file and widened to character boundaries, so a
    /// detector's off-by-one never makes output fail; a finding whose file is not among
    /// `files` is an error.
    pub fn build(
        files: &[SourceView<'_>],
        findings: Vec<Finding>,
        rules: &[&'static DetectorMeta],
        tool: ToolInfo,
    ) -> Result<Report, BuildError> {
        let by_id: HashMap<FileId, &SourceView<'_>> = files.iter().map(|f| (f.id, f)).collect();

        let input = findings;
        let mut resolved = Vec::with_capacity(input.len());
        for finding in &input {
            resolved.push(resolve(&by_id, finding)?);
        }
        resolved.sort_by(|(a, _), (b, _)| finding_order(a, b));

        // The occurrence index tells apart findings with the same content hash in one
        // file, in source order, so that it too survives edits elsewhere in the file.
        let mut occurrences: HashMap<(String, String), u32> = HashMap::new();
        let mut summary = Summary::default();
        let findings: Vec<ReportFinding> = resolved
            .into_iter()
            .map(|(mut finding, hash)| {
                let n = occurrences
                    .entry((finding.location.file.clone(), hash.clone()))
                    .or_insert(0);
                *n += 1;
                finding.fingerprint = fingerprint::with_occurrence(&hash, *n);
                summary.add(finding.severity);
                finding
            })
            .collect();

        let mut rules: Vec<&DetectorMeta> = rules
            .iter()
            .copied()
            .chain(input.iter().map(|f| f.detector))
            .collect();
        rules.sort_by_key(|meta| meta.id);
        rules.dedup_by_key(|meta| meta.id);

        Ok(Report {
            version: REPORT_FORMAT_VERSION,
            tool,
            summary,
            findings,
            rules: rules.into_iter().map(RuleInfo::from).collect(),
            stats: ScanStats::default(),
            diagnostics: Vec::new(),
            baseline: None,
            tools: Vec::new(),
        })
    }
}

impl Report {
    /// Sorts the findings in report order and recounts the summary: for callers that
    /// add or merge findings after [`Report::build`] (other analyzers' findings).
    pub fn resort(&mut self) {
        self.findings.sort_by(finding_order);
        self.summary = Summary::of(self.findings.iter().map(|f| f.severity));
    }
}

impl Location {
    /// `span` in `view`, clamped to the text and widened to character boundaries, as
    /// [`Report::build`] resolves a finding's span.
    pub fn resolve(view: &SourceView<'_>, span: Span) -> Location {
        locate(view, span)
    }
}

/// The order of findings in a report: by file, position, rule, then everything else
/// that could tell two findings apart, so the order never depends on detector order.
fn finding_order(a: &ReportFinding, b: &ReportFinding) -> std::cmp::Ordering {
    fn key(f: &ReportFinding) -> (&str, u32, u32, &str, u32, u32) {
        let l = &f.location;
        (
            &l.file,
            l.start_line,
            l.start_column,
            &f.rule_id,
            l.end_line,
            l.end_column,
        )
    }
    fn secondary_key(s: &SecondaryLocation) -> (&str, u32, u32, &str) {
        let l = &s.location;
        (&l.file, l.byte_start, l.byte_end, &s.message)
    }
    key(a)
        .cmp(&key(b))
        .then_with(|| a.message.cmp(&b.message))
        .then_with(|| a.contract.cmp(&b.contract))
        .then_with(|| a.function.cmp(&b.function))
        .then_with(|| b.severity.cmp(&a.severity))
        .then_with(|| b.confidence.cmp(&a.confidence))
        .then_with(|| {
            a.secondary
                .iter()
                .map(secondary_key)
                .cmp(b.secondary.iter().map(secondary_key))
        })
}

/// Resolves one finding; returns it (fingerprint still empty) with its content hash.
fn resolve(
    files: &HashMap<FileId, &SourceView<'_>>,
    finding: &Finding,
) -> Result<(ReportFinding, String), BuildError> {
    let meta = finding.detector;
    let locate = |label: &Label| {
        files
            .get(&label.file)
            .map(|view| locate(view, label.span))
            .ok_or(BuildError::UnknownFile {
                rule: meta.id,
                file: label.file,
            })
    };
    let location = locate(&finding.primary)?;
    let secondary = finding
        .secondary
        .iter()
        .map(|label| {
            Ok(SecondaryLocation {
                message: label.message.clone(),
                location: locate(label)?,
            })
        })
        .collect::<Result<Vec<_>, BuildError>>()?;
    let hash = fingerprint::content_hash(
        meta.id,
        finding.contract.as_deref(),
        finding.function.as_deref(),
        &location.snippet,
    );
    let resolved = ReportFinding {
        rule_id: meta.id.to_owned(),
        title: meta.title.to_owned(),
        severity: finding.severity,
        confidence: finding.confidence,
        category: meta.category.to_owned(),
        swc: meta.swc.map(str::to_owned),
        message: finding.primary.message.clone(),
        location,
        secondary,
        contract: finding.contract.clone(),
        function: finding.function.clone(),
        fingerprint: String::new(),
        found_by: Vec::new(),
        merged: Vec::new(),
    };
    Ok((resolved, hash))
}

/// Resolves `span` in `view`, after clamping it to the text and widening it to
/// character boundaries.
fn locate(view: &SourceView<'_>, span: Span) -> Location {
    let span = clamp_span(view.text, span);
    let start = view.line_index.line_col(view.text, span.lo);
    let end = view.line_index.line_col(view.text, span.hi);
    Location {
        file: view.path.to_owned(),
        start_line: start.line,
        start_column: start.col,
        end_line: end.line,
        end_column: end.col,
        byte_start: span.lo,
        byte_end: span.hi,
        snippet: span.text(view.text).to_owned(),
    }
}

/// `span` limited to `text` and widened outwards to the nearest character boundaries.
fn clamp_span(text: &str, span: Span) -> Span {
    let len = text.len();
    let mut lo = (span.lo as usize).min(len);
    let mut hi = (span.hi as usize).clamp(lo, len);
    while !text.is_char_boundary(lo) {
        lo -= 1;
    }
    while !text.is_char_boundary(hi) {
        hi += 1;
    }
    Span::new(lo as u32, hi as u32)
}
