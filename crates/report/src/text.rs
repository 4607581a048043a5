//! The text renderer: compiler-like diagnostics with code frames, for people.
//!
//! ```text
//! high[reentrancy-eth]: external call before `balances` is written
//!   --> src/Bank.sol:12:9
//!    |
//! 12 |         (bool ok, ) = msg.sender.call{value: amount}("");
//!    |         ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
//! 13 |         balances[msg.sender] = 0;
//!    |         ------------------------ state written after the call
//!    |
//!    = note: Reentrancy through an external call (SWC-107, reentrancy, confidence: high)
//!    = help: Update state before calling out
//! ```

use std::collections::HashMap;
use std::ops::Range;

use annotate_snippets::{AnnotationKind, Group, Level, Origin, Renderer, Snippet};
use detectors::Severity;

use crate::model::{Location, Report, ReportFinding, SourceView};

/// How [`render_text`] renders.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TextOptions {
    /// Colour the output with ANSI escapes. Off by default: the caller decides (a
    /// terminal, `--color`, `NO_COLOR`).
    pub color: bool,
}

/// Renders every finding with a code frame, then a summary line. `files` supply the
/// source lines of the frames; a finding whose file is missing from `files` (or whose
/// file changed since the analysis) is shown with its location but without a frame.
pub fn render_text(report: &Report, files: &[SourceView<'_>], options: &TextOptions) -> String {
    let renderer = if options.color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    let sources: HashMap<&str, &str> = files.iter().map(|f| (f.path, f.text)).collect();
    let recommendations: HashMap<&str, &str> = report
        .rules
        .iter()
        .map(|r| (r.id.as_str(), r.recommendation.as_str()))
        .collect();
    let mut out = String::new();
    for finding in &report.findings {
        let recommendation = recommendations.get(finding.rule_id.as_str()).copied();
        out.push_str(&renderer.render(&[finding_group(finding, recommendation, &sources)]));
        out.push_str("\n\n");
    }
    for tool in &report.tools {
        out.push_str(&tool_line(tool));
        out.push('\n');
    }
    out.push_str(&summary_line(report));
    out.push('\n');
    out
}

/// `slither 0.11.6: ok, 5 findings (2 merged), 3.1 s`, then its notes, one per line.
pub fn tool_line(tool: &crate::ToolRun) -> String {
    let version = tool
        .version
        .as_deref()
        .map(|v| format!(" {v}"))
        .unwrap_or_default();
    let mut line = format!(
        "{}{version}: {}, {} finding{} ({} merged), {:.1} s",
        tool.name,
        tool.status,
        tool.findings,
        if tool.findings == 1 { "" } else { "s" },
        tool.merged,
        tool.duration_ms as f64 / 1000.0
    );
    for note in &tool.notes {
        line.push_str(&format!("\n  note: {note}"));
    }
    line
}

/// `3 findings: 1 high, 2 low`, `1 finding: 1 critical` or `no findings`; after a
/// baseline, `1 new finding: 1 high; 4 hidden by the baseline`.
pub fn summary_line(report: &Report) -> String {
    let summary = &report.summary;
    let new = if report.baseline.is_some() {
        "new "
    } else {
        ""
    };
    let mut line = if summary.total == 0 {
        format!("no {new}findings")
    } else {
        let noun = if summary.total == 1 {
            "finding"
        } else {
            "findings"
        };
        let counts: Vec<String> = Severity::ALL
            .iter()
            .filter(|&&severity| summary.count(severity) > 0)
            .map(|&severity| format!("{} {severity}", summary.count(severity)))
            .collect();
        format!("{} {new}{noun}: {}", summary.total, counts.join(", "))
    };
    if let Some(baseline) = &report.baseline {
        line.push_str(&format!("; {} hidden by the baseline", baseline.hidden));
    }
    line
}

/// A location to underline, with its label (`None` for the primary location).
type FrameLabel<'a> = (&'a Location, Option<&'a str>);

fn level(severity: Severity) -> Level<'static> {
    let level = match severity {
        Severity::Critical | Severity::High => Level::ERROR,
        Severity::Medium => Level::WARNING,
        Severity::Low => Level::INFO,
        Severity::Informational => Level::NOTE,
    };
    level.with_name(severity.as_str())
}

fn finding_group<'a>(
    finding: &'a ReportFinding,
    recommendation: Option<&'a str>,
    sources: &HashMap<&str, &'a str>,
) -> Group<'a> {
    // The labels of the finding, grouped by file, the primary location's file first.
    let mut labels: Vec<(&str, Vec<FrameLabel<'_>>)> = Vec::new();
    let all = std::iter::once((&finding.location, None)).chain(
        finding
            .secondary
            .iter()
            .map(|s| (&s.location, Some(s.message.as_str()))),
    );
    for (location, message) in all {
        match labels.iter_mut().find(|(file, _)| *file == location.file) {
            Some((_, in_file)) => in_file.push((location, message)),
            None => labels.push((&location.file, vec![(location, message)])),
        }
    }

    let title = level(finding.severity)
        .primary_title(&finding.message)
        .id(&finding.rule_id);
    let mut group = Group::with_title(title);
    for (file, in_file) in labels {
        let frame = sources
            .get(file)
            .and_then(|text| frame(file, text, &in_file));
        group = match frame {
            Some(snippet) => group.element(snippet),
            None => {
                // No source to show: the location, and secondary labels as notes.
                for (location, message) in in_file {
                    let origin = Origin::path(file)
                        .line(location.start_line as usize)
                        .char_column(location.start_column as usize);
                    group = group.element(origin);
                    if let Some(message) = message {
                        group = group.element(Level::NOTE.message(message));
                    }
                }
                group
            }
        };
    }

    let mut about = finding.title.clone();
    about.push_str(" (");
    if let Some(swc) = &finding.swc {
        about.push_str(swc);
        about.push_str(", ");
    }
    about.push_str(&format!(
        "{}, confidence: {})",
        finding.category, finding.confidence
    ));
    group = group.element(Level::NOTE.message(about));
    if !finding.found_by.is_empty() {
        let mut found = format!("found by: {}", finding.found_by.join(", "));
        for m in &finding.merged {
            found.push_str(&format!("; {} at line {}", m.rule_id, m.start_line));
        }
        group = group.element(Level::NOTE.message(found));
    }
    if let Some(recommendation) = recommendation.filter(|r| !r.is_empty()) {
        group = group.element(Level::HELP.message(recommendation));
    }
    group
}

/// A code frame over the lines the labels of one file cover, or `None` when `text` no
/// longer holds the flagged code there (the file changed since the analysis).
fn frame<'a>(
    file: &'a str,
    text: &'a str,
    labels: &[FrameLabel<'a>],
) -> Option<Snippet<'a, annotate_snippets::Annotation<'a>>> {
    let unchanged = labels.iter().all(|(l, _)| {
        text.get(l.byte_start as usize..l.byte_end as usize) == Some(l.snippet.as_str())
    });
    if !unchanged {
        return None;
    }
    // Only the covered lines go to the renderer, not the whole file.
    let lo = labels.iter().map(|(l, _)| l.byte_start as usize).min()?;
    let hi = labels.iter().map(|(l, _)| l.byte_end as usize).max()?;
    let start = text[..lo].rfind('\n').map_or(0, |i| i + 1);
    let end = text[hi..].find('\n').map_or(text.len(), |i| hi + i);
    let first_line = labels.iter().map(|(l, _)| l.start_line).min()? as usize;
    let excerpt = text[start..end].trim_end_matches('\r');
    let shift = |l: &Location| -> Range<usize> {
        let lo = (l.byte_start as usize - start).min(excerpt.len());
        let hi = (l.byte_end as usize - start).min(excerpt.len());
        lo..hi
    };
    let mut snippet = Snippet::source(excerpt).path(file).line_start(first_line);
    for (location, message) in labels {
        let annotation = match message {
            None => AnnotationKind::Primary.span(shift(location)),
            Some(message) => AnnotationKind::Context
                .span(shift(location))
                .label(*message),
        };
        snippet = snippet.annotation(annotation);
    }
    Some(snippet)
}
