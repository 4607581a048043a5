//! HTML: one self-contained page for clients and the dashboard. No external asset, no
//! script: inline CSS, the severity chart as inline SVG, code excerpts with the flagged
//! lines highlighted. Everything taken from the input (source code, messages, paths,
//! triage comments) is HTML-escaped by the template engine.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use detectors::Severity;
use minijinja::Environment;
use serde::{Deserialize, Serialize};

use crate::model::{Report, ReportFinding, RuleInfo, SourceView};

const TEMPLATE: &str = include_str!("templates/report.html");
const CSS: &str = include_str!("templates/report.css");

/// Lines shown before and after a flagged span.
const CONTEXT_LINES: u32 = 3;
/// At most this many flagged lines are shown; a longer span is cut.
const MAX_FLAGGED_LINES: u32 = 30;
/// Longer source lines are cut (with an ellipsis) in excerpts.
const MAX_LINE_CHARS: usize = 400;

/// The key under which the audit service stores a report's excerpts (a JSON map from
/// fingerprint to [`Excerpt`]) next to its rendered reports.
pub const EXCERPTS_KEY: &str = "excerpts";

/// Source lines around one finding: `lines[0]` is line `first_line` of the file.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Excerpt {
    pub first_line: u32,
    pub lines: Vec<String>,
}

/// The triage state of one finding and its history, as the audit service keeps them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TriageNote {
    /// `open`, `confirmed`, `false_positive`, `acknowledged` or `fixed`.
    pub state: String,
    /// Oldest first.
    pub comments: Vec<TriageComment>,
}

/// One triage change.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TriageComment {
    pub author: String,
    /// When, as shown (RFC 3339).
    pub at: String,
    pub from_state: String,
    pub to_state: String,
    pub text: Option<String>,
}

/// An AI assistant's suggestion on a finding, as the audit service stores it: shown as a
/// suggestion beside the triage, never as a decision.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AssistantNote {
    /// `likely_true`, `likely_false_positive` or `uncertain`.
    pub verdict: String,
    pub confidence: f64,
    pub explanation: String,
    pub attack_scenario: String,
    /// The model that answered.
    pub model: String,
}

/// What the HTML (and PDF) report shows beyond the [`Report`] itself.
#[derive(Clone, Debug, Default)]
pub struct HtmlOptions {
    /// The page title; `"<tool> report"` when `None`.
    pub title: Option<String>,
    /// Extra facts for the header, e.g. `("audit", id)`.
    pub facts: Vec<(String, String)>,
    /// Code excerpts by finding fingerprint (see [`excerpts`]). A finding without one
    /// shows its flagged text only.
    pub excerpts: BTreeMap<String, Excerpt>,
    /// Triage by finding fingerprint; `None` when triage is not tracked (a command-line
    /// scan), which the report says.
    pub triage: Option<BTreeMap<String, TriageNote>>,
    /// The assistant's latest answered suggestion by finding fingerprint (the audit
    /// service's; empty elsewhere).
    pub suggestions: BTreeMap<String, AssistantNote>,
}

/// The excerpt around every finding of `report`, by fingerprint, cut from `files`.
/// A finding whose file is not among `files` gets none.
pub fn excerpts(report: &Report, files: &[SourceView<'_>]) -> BTreeMap<String, Excerpt> {
    let mut out = BTreeMap::new();
    for f in &report.findings {
        let Some(view) = files.iter().find(|v| v.path == f.location.file) else {
            continue;
        };
        let first = f.location.start_line.saturating_sub(CONTEXT_LINES).max(1);
        let last_flagged = f
            .location
            .end_line
            .min(f.location.start_line + MAX_FLAGGED_LINES - 1);
        let last = last_flagged + CONTEXT_LINES;
        let lines = view
            .text
            .lines()
            .skip(first as usize - 1)
            .take((last - first + 1) as usize)
            .map(cut_line)
            .collect();
        out.insert(
            f.fingerprint.clone(),
            Excerpt {
                first_line: first,
                lines,
            },
        );
    }
    out
}

fn cut_line(line: &str) -> String {
    match line.char_indices().nth(MAX_LINE_CHARS) {
        Some((at, _)) => format!("{}…", &line[..at]),
        None => line.to_owned(),
    }
}

/// Renders `report` as one self-contained HTML page.
pub fn render_html(report: &Report, options: &HtmlOptions) -> String {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    let env = ENV.get_or_init(|| {
        let mut env = Environment::new();
        // A name ending in `.html` turns on HTML auto-escaping of every interpolation.
        env.add_template("report.html", TEMPLATE)
            .expect("the report template parses");
        env
    });
    let page = page(report, options);
    env.get_template("report.html")
        .and_then(|t| t.render(minijinja::value::Serde(&page)))
        .expect("the report template renders every report")
}

#[derive(Serialize)]
struct Page<'a> {
    title: String,
    css: &'static str,
    tool: &'a crate::model::ToolInfo,
    facts: &'a [(String, String)],
    chart: Chart,
    total: usize,
    findings: Vec<FindingView<'a>>,
    groups: Vec<Group<'a>>,
    tracked: bool,
    diagnostics: &'a [crate::model::InputDiagnostic],
    stats: String,
}

#[derive(Serialize)]
struct Chart {
    width: u32,
    height: u32,
    bar_x: u32,
    bar_max: u32,
    bars: Vec<Bar>,
}

#[derive(Serialize)]
struct Bar {
    label: &'static str,
    count: usize,
    y: u32,
    width: u32,
    color: &'static str,
}

#[derive(Serialize)]
struct Group<'a> {
    severity: &'static str,
    heading: String,
    findings: Vec<FindingView<'a>>,
}

#[derive(Clone, Serialize)]
struct FindingView<'a> {
    anchor: String,
    title: &'a str,
    rule_id: &'a str,
    severity: &'static str,
    confidence: &'static str,
    file: &'a str,
    start_line: u32,
    start_column: u32,
    end_line: u32,
    end_column: u32,
    scope: Option<String>,
    category: &'a str,
    swc: Option<&'a str>,
    /// `web3audit, slither` when other analyzers ran; empty otherwise.
    found_by: String,
    fingerprint: &'a str,
    message: &'a str,
    excerpt: Vec<ExcerptLine>,
    secondary: Vec<SecondaryView<'a>>,
    explanation: Option<&'a str>,
    recommendation: Option<&'a str>,
    references: Vec<Reference<'a>>,
    triage: Option<&'a TriageNote>,
    suggestion: Option<&'a AssistantNote>,
}

#[derive(Clone, Serialize)]
struct ExcerptLine {
    number: u32,
    text: String,
    flagged: bool,
}

#[derive(Clone, Serialize)]
struct SecondaryView<'a> {
    message: &'a str,
    file: &'a str,
    line: u32,
}

#[derive(Clone, Serialize)]
struct Reference<'a> {
    text: &'a str,
    /// Set only for `http(s)` addresses: nothing else becomes a link.
    link: Option<&'a str>,
}

/// Bar colours, matching the stylesheet's severity colours.
fn color(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "#8e1b3a",
        Severity::High => "#c2410c",
        Severity::Medium => "#b7791f",
        Severity::Low => "#2563a8",
        Severity::Informational => "#5b6475",
    }
}

fn chart(report: &Report) -> Chart {
    const ROW: u32 = 26;
    const BAR_MAX: u32 = 200;
    let max = Severity::ALL
        .iter()
        .map(|s| report.summary.count(*s))
        .max()
        .unwrap_or(0);
    let bars = Severity::ALL
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let count = report.summary.count(*s);
            let width = if count == 0 {
                0
            } else {
                ((count as u64 * u64::from(BAR_MAX)) / max as u64).max(2) as u32
            };
            Bar {
                label: s.as_str(),
                count,
                y: i as u32 * ROW,
                width,
                color: color(*s),
            }
        })
        .collect::<Vec<_>>();
    Chart {
        width: 110 + BAR_MAX + 60,
        height: bars.len() as u32 * ROW,
        bar_x: 110,
        bar_max: BAR_MAX,
        bars,
    }
}

fn finding_view<'a>(
    index: usize,
    f: &'a ReportFinding,
    rule: Option<&'a RuleInfo>,
    options: &'a HtmlOptions,
) -> FindingView<'a> {
    let l = &f.location;
    let flagged = |n: u32| n >= l.start_line && n <= l.end_line;
    let excerpt = match options.excerpts.get(&f.fingerprint) {
        Some(e) => e
            .lines
            .iter()
            .enumerate()
            .map(|(i, text)| {
                let number = e.first_line + i as u32;
                ExcerptLine {
                    number,
                    text: text.clone(),
                    flagged: flagged(number),
                }
            })
            .collect(),
        None => l
            .snippet
            .lines()
            .take(MAX_FLAGGED_LINES as usize)
            .enumerate()
            .map(|(i, text)| ExcerptLine {
                number: l.start_line + i as u32,
                text: cut_line(text),
                flagged: true,
            })
            .collect(),
    };
    let scope = f.contract.as_ref().map(|c| match f.function.as_deref() {
        Some(func) if !func.is_empty() => format!("{c}.{func}"),
        _ => c.clone(),
    });
    let non_empty = |s: &'a String| Some(s.as_str()).filter(|s| !s.trim().is_empty());
    FindingView {
        anchor: format!("finding-{}", index + 1),
        title: &f.title,
        rule_id: &f.rule_id,
        severity: f.severity.as_str(),
        confidence: f.confidence.as_str(),
        file: &l.file,
        start_line: l.start_line,
        start_column: l.start_column,
        end_line: l.end_line,
        end_column: l.end_column,
        scope,
        category: &f.category,
        swc: f.swc.as_deref(),
        found_by: f.found_by.join(", "),
        fingerprint: &f.fingerprint,
        message: &f.message,
        excerpt,
        secondary: f
            .secondary
            .iter()
            .map(|s| SecondaryView {
                message: &s.message,
                file: &s.location.file,
                line: s.location.start_line,
            })
            .collect(),
        explanation: rule.and_then(|r| non_empty(&r.description)),
        recommendation: rule.and_then(|r| non_empty(&r.recommendation)),
        references: rule
            .map(|r| {
                r.references
                    .iter()
                    .map(|text| Reference {
                        text,
                        link: (text.starts_with("https://") || text.starts_with("http://"))
                            .then_some(text.as_str()),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        triage: options.triage.as_ref().and_then(|t| t.get(&f.fingerprint)),
        suggestion: options.suggestions.get(&f.fingerprint),
    }
}

/// Findings most severe first, then in report order (file, line, rule).
pub(crate) fn by_severity(report: &Report) -> Vec<&ReportFinding> {
    Severity::ALL
        .iter()
        .flat_map(|s| report.findings.iter().filter(move |f| f.severity == *s))
        .collect()
}

fn page<'a>(report: &'a Report, options: &'a HtmlOptions) -> Page<'a> {
    let rule = |id: &str| report.rules.iter().find(|r| r.id == id);
    let findings: Vec<FindingView<'a>> = by_severity(report)
        .into_iter()
        .enumerate()
        .map(|(i, f)| finding_view(i, f, rule(&f.rule_id), options))
        .collect();
    let groups = Severity::ALL
        .iter()
        .filter_map(|s| {
            let members: Vec<FindingView<'a>> = findings
                .iter()
                .filter(|f| f.severity == s.as_str())
                .cloned()
                .collect();
            (!members.is_empty()).then(|| Group {
                severity: s.as_str(),
                heading: capitalized(s.as_str()),
                findings: members,
            })
        })
        .collect();
    let s = &report.stats;
    Page {
        title: options
            .title
            .clone()
            .unwrap_or_else(|| format!("{} report", report.tool.name)),
        css: CSS,
        tool: &report.tool,
        facts: &options.facts,
        chart: chart(report),
        total: report.summary.total,
        findings,
        groups,
        tracked: options.triage.is_some(),
        diagnostics: &report.diagnostics,
        stats: format!(
            "{} files loaded, {} reported, {} bytes, analysed in {} ms.",
            s.files_loaded, s.files_reported, s.bytes, s.duration_ms
        ),
    }
}

pub(crate) fn capitalized(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map_or_else(String::new, |c| c.to_uppercase().chain(chars).collect())
}
