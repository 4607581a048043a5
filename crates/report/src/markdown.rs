//! Markdown: a readable report for pull requests, tickets and the audit service.

use std::fmt::Write as _;

use detectors::Severity;

use crate::model::{Report, ReportFinding};

/// Renders `report` as GitHub-flavoured Markdown: a summary table by severity, then
/// every finding under its severity with location, message, the flagged code,
/// recommendation and fingerprint.
pub fn render_markdown(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# {} report\n", report.tool.name);
    let _ = writeln!(
        out,
        "{} {} · files analysed: {} · reported: {}\n",
        report.tool.name,
        report.tool.version,
        report.stats.files_loaded,
        report.stats.files_reported
    );
    out.push_str("| severity | findings |\n|---|---|\n");
    for severity in Severity::ALL {
        let _ = writeln!(out, "| {severity} | {} |", report.summary.count(severity));
    }
    let _ = writeln!(out, "| **total** | **{}** |", report.summary.total);

    for severity in Severity::ALL {
        let findings: Vec<&ReportFinding> = report
            .findings
            .iter()
            .filter(|f| f.severity == severity)
            .collect();
        if findings.is_empty() {
            continue;
        }
        let _ = writeln!(
            out,
            "\n## {} ({})",
            capitalized(severity.as_str()),
            findings.len()
        );
        for f in findings {
            finding(&mut out, report, f);
        }
    }
    if !report.diagnostics.is_empty() {
        let _ = writeln!(
            out,
            "\n## Input diagnostics ({})\n",
            report.diagnostics.len()
        );
        for d in &report.diagnostics {
            let at = match (&d.file, d.line) {
                (Some(file), Some(line)) => format!("`{file}:{line}` "),
                (Some(file), None) => format!("`{file}` "),
                _ => String::new(),
            };
            let _ = writeln!(out, "- {} [{}] {at}{}", d.level, d.kind, escape(&d.message));
        }
    }
    if !report.tools.is_empty() {
        let _ = writeln!(out, "\n## Other analyzers\n");
        out.push_str(
            "| tool | version | status | findings | merged | time |\n|---|---|---|---|---|---|\n",
        );
        for t in &report.tools {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} ms |",
                t.name,
                t.version.as_deref().unwrap_or("-"),
                t.status,
                t.findings,
                t.merged,
                t.duration_ms
            );
        }
        for t in &report.tools {
            for note in &t.notes {
                let _ = writeln!(out, "- {}: {}", t.name, escape(note));
            }
        }
    }
    if report.findings.is_empty() {
        out.push_str("\nNo findings.\n");
    }
    out
}

fn finding(out: &mut String, report: &Report, f: &ReportFinding) {
    let l = &f.location;
    let _ = writeln!(out, "\n### {} `{}`\n", escape(&f.title), f.rule_id);
    let _ = writeln!(
        out,
        "- **Location:** `{}:{}:{}`",
        l.file, l.start_line, l.start_column
    );
    if let Some(contract) = &f.contract {
        let function = f.function.as_deref().filter(|s| !s.is_empty());
        let at = function.map_or_else(|| contract.clone(), |func| format!("{contract}.{func}"));
        let _ = writeln!(out, "- **In:** `{at}`");
    }
    let _ = writeln!(
        out,
        "- **Severity:** {} · **Confidence:** {}",
        f.severity, f.confidence
    );
    let mut class = f.category.clone();
    if let Some(swc) = &f.swc {
        let _ = write!(class, ", {swc}");
    }
    let _ = writeln!(out, "- **Category:** {class}");
    if !f.found_by.is_empty() {
        let _ = writeln!(out, "- **Found by:** {}", f.found_by.join(", "));
    }
    for m in &f.merged {
        let _ = writeln!(
            out,
            "- **Also reported as:** `{}` (line {}): {}",
            m.rule_id,
            m.start_line,
            escape(&m.message)
        );
    }
    let _ = writeln!(out, "- **Fingerprint:** `{}`\n", f.fingerprint);
    let _ = writeln!(out, "{}\n", escape(&f.message));
    let fence = if l.snippet.contains("```") {
        "~~~~"
    } else {
        "```"
    };
    let language = if l.file.ends_with(".vy") {
        "vyper"
    } else if l.file.ends_with(".rs") {
        "rust"
    } else {
        "solidity"
    };
    let _ = writeln!(out, "{fence}{language}\n{}\n{fence}", l.snippet.trim_end());
    for s in &f.secondary {
        let _ = writeln!(
            out,
            "\n- {} (`{}:{}`)",
            escape(&s.message),
            s.location.file,
            s.location.start_line
        );
    }
    if let Some(rule) = report.rules.iter().find(|r| r.id == f.rule_id) {
        let _ = writeln!(out, "\n**Recommendation:** {}", rule.recommendation);
    }
}

fn capitalized(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map_or_else(String::new, |c| c.to_uppercase().chain(chars).collect())
}

/// Keeps user-controlled text from opening HTML or links in rendered Markdown.
fn escape(text: &str) -> String {
    text.replace('<', "&lt;").replace('>', "&gt;")
}
