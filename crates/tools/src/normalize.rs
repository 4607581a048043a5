//! Other analyzers' findings placed in our files and lines, mapped to our categories and
//! severities, fingerprinted like ours, and filtered by our inline suppressions.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use detectors::suppression::Suppressions;
use project::{Project, SourceFile};
use report::{Location, ReportFinding, RuleInfo, SecondaryLocation, SourceView, fingerprint};
use syntax::Span;

use crate::finding::{ToolFinding, ToolLocation};
use crate::mapping::mapping;
use crate::tool::ToolKind;

/// Findings of one tool, ready to merge.
#[derive(Debug, Default)]
pub struct Normalized {
    /// Rule ids are `tool:rule`; `found_by` is `[tool]`; sorted in report order.
    pub findings: Vec<ReportFinding>,
    /// One rule per `tool:rule` id that a finding uses, sorted by id.
    pub rules: Vec<RuleInfo>,
    /// Findings left out because they are in files we do not report (dependencies,
    /// tests) or in no file of the project.
    pub outside: usize,
    /// Findings hidden by an inline suppression.
    pub suppressed: usize,
    /// Paths the tool named that are no file of the project (at most a few).
    pub unknown_paths: Vec<String>,
}

/// The id of a tool's rule in our reports: `slither:reentrancy-eth`.
pub fn rule_id(tool: ToolKind, rule: &str) -> String {
    format!("{}:{rule}", tool.name())
}

/// Places `findings` (of one or several runs of one tool, whose paths are relative to
/// `tool_root` or absolute under it) in `project`. Duplicates, which a tool reports once
/// per run when several runs share an imported file, are kept once.
pub fn normalize(project: &Project, tool_root: &Path, findings: Vec<ToolFinding>) -> Normalized {
    let mut out = Normalized::default();
    let mut rules: BTreeMap<String, RuleInfo> = BTreeMap::new();
    let mut suppressions: HashMap<syntax::FileId, Suppressions> = HashMap::new();
    let mut seen = std::collections::HashSet::new();
    let mut resolved: Vec<(ReportFinding, String)> = Vec::new();
    for finding in findings {
        let Some(file) = resolve_path(project, tool_root, &finding.location.path) else {
            out.outside += 1;
            if out.unknown_paths.len() < 3 && !out.unknown_paths.contains(&finding.location.path) {
                out.unknown_paths.push(finding.location.path.clone());
            }
            continue;
        };
        if !file.reported {
            out.outside += 1;
            continue;
        }
        let span = span_of(file, &finding.location);
        let id = rule_id(finding.tool, &finding.rule);
        let mapped = mapping().map(
            finding.tool,
            &finding.rule,
            &finding.impact,
            finding.confidence.as_deref(),
            finding.swc.as_deref(),
        );
        let key = (
            id.clone(),
            file.id,
            span.lo,
            span.hi,
            finding.message.clone(),
        );
        if !seen.insert(key) {
            continue;
        }
        let in_file = suppressions
            .entry(file.id)
            .or_insert_with(|| Suppressions::new(&file.text, file.parse.comments()));
        if is_suppressed(in_file, file, span, &id, &mapped.category) {
            out.suppressed += 1;
            continue;
        }
        let view = view(file);
        let location = Location::resolve(&view, span);
        let secondary = finding
            .secondary
            .iter()
            .filter_map(|label| {
                let f = resolve_path(project, tool_root, &label.location.path)?;
                Some(SecondaryLocation {
                    message: label.message.clone(),
                    location: Location::resolve(&self::view(f), span_of(f, &label.location)),
                })
            })
            .collect();
        let title = finding
            .title
            .clone()
            .unwrap_or_else(|| format!("{} `{}`", capitalized(finding.tool.name()), finding.rule));
        rules.entry(id.clone()).or_insert_with(|| RuleInfo {
            id: id.clone(),
            title: title.clone(),
            severity: mapped.severity,
            confidence: mapped.confidence,
            category: mapped.category.clone(),
            swc: mapped.swc.clone(),
            description: format!(
                "Reported by {}'s `{}` rule; mapped to our category `{}` (docs/tools.md).",
                capitalized(finding.tool.name()),
                finding.rule,
                mapped.category
            ),
            recommendation: finding.reference.as_ref().map_or_else(
                || {
                    format!(
                        "See {}'s documentation of `{}`.",
                        capitalized(finding.tool.name()),
                        finding.rule
                    )
                },
                |r| {
                    format!(
                        "See {}'s documentation: {r}",
                        capitalized(finding.tool.name())
                    )
                },
            ),
            references: finding.reference.iter().cloned().collect(),
            doc: String::new(),
        });
        let hash = fingerprint::content_hash(
            &id,
            finding.contract.as_deref(),
            finding.function.as_deref(),
            &location.snippet,
        );
        resolved.push((
            ReportFinding {
                rule_id: id,
                title,
                severity: mapped.severity,
                confidence: mapped.confidence,
                category: mapped.category,
                swc: mapped.swc,
                message: finding.message,
                location,
                secondary,
                contract: finding.contract,
                function: finding.function,
                fingerprint: String::new(),
                found_by: vec![finding.tool.name().to_owned()],
                merged: Vec::new(),
            },
            hash,
        ));
    }
    // Occurrences count in source order per file and hash, as ours do.
    resolved.sort_by(|(a, _), (b, _)| {
        (
            &a.location.file,
            a.location.byte_start,
            a.location.byte_end,
            &a.message,
        )
            .cmp(&(
                &b.location.file,
                b.location.byte_start,
                b.location.byte_end,
                &b.message,
            ))
    });
    let mut occurrences: HashMap<(String, String), u32> = HashMap::new();
    for (mut finding, hash) in resolved {
        let n = occurrences
            .entry((finding.location.file.clone(), hash.clone()))
            .or_insert(0);
        *n += 1;
        finding.fingerprint = fingerprint::with_occurrence(&hash, *n);
        out.findings.push(finding);
    }
    out.rules = rules.into_values().collect();
    out
}

/// Whether our inline suppressions hide a tool's finding: one that covers any line of
/// the finding's primary span and names every detector, or one of our detectors of the
/// same category (so that a suppressed finding of ours does not come back as the same
/// finding of another tool).
fn is_suppressed(
    suppressions: &mut Suppressions,
    file: &SourceFile,
    span: Span,
    rule_id: &str,
    category: &str,
) -> bool {
    if suppressions.is_empty() {
        return false;
    }
    let first = file.line_index.line_col(&file.text, span.lo).line;
    let last = file
        .line_index
        .line_col(&file.text, span.hi)
        .line
        .max(first);
    let same_category: Vec<&str> = detectors::registry::metas()
        .filter(|m| m.category == category && category != "other")
        .map(|m| m.id)
        .collect();
    for line in first..=last {
        let Some(line_span) = file.line_index.line_span(&file.text, line) else {
            continue;
        };
        let offset = line_span.lo.max(span.lo.min(line_span.hi));
        if suppressions.suppresses(rule_id, offset)
            || same_category
                .iter()
                .any(|id| suppressions.suppresses(id, offset))
        {
            return true;
        }
    }
    false
}

fn view(file: &SourceFile) -> SourceView<'_> {
    SourceView {
        id: file.id,
        path: &file.display_path,
        text: &file.text,
        line_index: &file.line_index,
    }
}

/// The project file a tool's path names: relative to the tool's working directory or
/// absolute under it, absolute under the project root, or else the one reported file
/// whose path ends with it.
fn resolve_path<'p>(project: &'p Project, tool_root: &Path, path: &str) -> Option<&'p SourceFile> {
    let as_path = Path::new(path);
    let mut candidates: Vec<String> = Vec::new();
    for root in [tool_root.to_path_buf(), project.root.clone()] {
        let canonical = std::fs::canonicalize(&root).unwrap_or_else(|_| root.clone());
        for base in [root, canonical] {
            if let Ok(rest) = as_path.strip_prefix(&base) {
                candidates.push(rest.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    candidates.push(path.trim_start_matches("./").replace('\\', "/"));
    for candidate in &candidates {
        if let Some(file) = project.file_by_display_path(candidate) {
            return Some(file);
        }
    }
    let wanted = candidates.last()?;
    let mut matches = project.files.iter().filter(|f| {
        f.display_path.ends_with(&format!("/{wanted}"))
            || wanted.ends_with(&format!("/{}", f.display_path))
    });
    let first = matches.next()?;
    matches.next().is_none().then_some(first)
}

/// The span of a tool's location in `file`: its byte range when the tool gave one that
/// starts on the line the tool named, else the lines' code without their indentation.
fn span_of(file: &SourceFile, location: &ToolLocation) -> Span {
    let text = &file.text;
    let len = text.len() as u64;
    if let Some((offset, length)) = location.bytes {
        let end = u64::from(offset) + u64::from(length);
        if end <= len
            && text.is_char_boundary(offset as usize)
            && text.is_char_boundary(end as usize)
            && file.line_index.line_col(text, offset).line == location.start_line
        {
            return Span::new(offset, end as u32);
        }
    }
    let first = file.line_index.line_span(text, location.start_line.max(1));
    let last = file
        .line_index
        .line_span(text, location.end_line.max(location.start_line).max(1))
        .or(first);
    match (first, last) {
        (Some(first), Some(last)) => {
            let mut lo = first.lo;
            let hi = last.hi.max(lo);
            let bytes = text.as_bytes();
            while lo < hi && bytes[lo as usize].is_ascii_whitespace() {
                lo += 1;
            }
            Span::new(lo, hi)
        }
        // A line past the end of the file: the end of the file.
        _ => Span::new(len as u32, len as u32),
    }
}

fn capitalized(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map_or_else(String::new, |c| c.to_uppercase().chain(chars).collect())
}
