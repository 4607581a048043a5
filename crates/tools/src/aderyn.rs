//! Aderyn's JSON report (`aderyn ROOT --output report.json`).
//!
//! The report has one object per severity, `high_issues` and `low_issues` (older
//! versions also wrote `critical_issues`, `medium_issues` and `nc_issues`), each
//! `{"issues": [...]}`; an issue has `title`, `description`, `detector_name` and
//! `instances`, each with `contract_path` (relative to the root), `line_no` and `src`
//! (`offset:length` in bytes; `src_char` is the same in characters). An instance may
//! carry a `hint`. Aderyn gives no confidence and no enclosing function.

use serde::Deserialize;

use crate::finding::{ParseError, ToolFinding, ToolLocation};
use crate::tool::ToolKind;

#[derive(Deserialize)]
struct Issues {
    #[serde(default)]
    issues: Vec<Issue>,
}

#[derive(Deserialize)]
struct Issue {
    title: String,
    detector_name: String,
    #[serde(default)]
    instances: Vec<Instance>,
}

#[derive(Deserialize)]
struct Instance {
    contract_path: String,
    line_no: u32,
    #[serde(default)]
    src: Option<String>,
    #[serde(default)]
    hint: Option<String>,
}

/// The severity sections Aderyn has written, with the word our mapping reads.
const SECTIONS: &[(&str, &str)] = &[
    ("critical_issues", "Critical"),
    ("high_issues", "High"),
    ("medium_issues", "Medium"),
    ("medium_issue", "Medium"),
    ("low_issues", "Low"),
    ("nc_issues", "NC"),
];

/// The findings of one Aderyn report: one per instance.
pub fn parse(text: &str) -> Result<Vec<ToolFinding>, ParseError> {
    let root: serde_json::Map<String, serde_json::Value> = serde_json::from_str(text.trim())?;
    if !SECTIONS.iter().any(|(key, _)| root.contains_key(*key)) {
        return Err(ParseError::Shape(
            "no `high_issues` or `low_issues` section".to_owned(),
        ));
    }
    let mut out = Vec::new();
    for (key, impact) in SECTIONS {
        let Some(section) = root.get(*key) else {
            continue;
        };
        let section: Issues = serde_json::from_value(section.clone())
            .map_err(|e| ParseError::Shape(format!("`{key}`: {e}")))?;
        for issue in section.issues {
            for instance in &issue.instances {
                let message = match &instance.hint {
                    Some(hint) if !hint.trim().is_empty() => format!("{}: {hint}", issue.title),
                    _ => issue.title.clone(),
                };
                out.push(ToolFinding {
                    tool: ToolKind::Aderyn,
                    rule: issue.detector_name.clone(),
                    title: Some(issue.title.clone()),
                    message,
                    impact: (*impact).to_owned(),
                    confidence: None,
                    swc: None,
                    reference: None,
                    location: ToolLocation {
                        path: instance.contract_path.clone(),
                        start_line: instance.line_no,
                        end_line: instance.line_no,
                        bytes: instance.src.as_deref().and_then(offset_length),
                    },
                    secondary: Vec::new(),
                    contract: None,
                    function: None,
                });
            }
        }
    }
    Ok(out)
}

/// `"488:19"` (or solc's `"488:19:0"`) → `(488, 19)`.
pub(crate) fn offset_length(src: &str) -> Option<(u32, u32)> {
    let mut parts = src.split(':');
    let offset = parts.next()?.trim().parse().ok()?;
    let length = parts.next()?.trim().parse().ok()?;
    Some((offset, length))
}
