//! Mythril's JSON output (`myth analyze FILE -o json`).
//!
//! `{"success", "error", "issues": [...]}`; an issue has `title`, `swc-id` (the number
//! only, `"107"`), `severity` (`High`, `Medium`, `Low`), `contract`, `function` (a
//! signature, `withdraw()`), `description`, `address`, and, when Mythril could map the
//! bytecode back to source, `filename`, `lineno`, `code` and `sourceMap`
//! (`offset:length:file`). Issues without a source line cannot be placed in our files
//! and are left out (counted in the run's notes).

use serde::Deserialize;

use crate::aderyn::offset_length;
use crate::finding::{ParseError, ToolFinding, ToolLocation, bare_function_name};
use crate::tool::ToolKind;

#[derive(Deserialize)]
struct Output {
    success: bool,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    issues: Vec<Issue>,
}

#[derive(Deserialize)]
struct Issue {
    title: String,
    #[serde(rename = "swc-id", default)]
    swc_id: Option<String>,
    #[serde(default)]
    severity: Option<String>,
    #[serde(default)]
    contract: Option<String>,
    #[serde(default)]
    function: Option<String>,
    #[serde(default)]
    description: String,
    #[serde(default)]
    filename: Option<String>,
    #[serde(default)]
    lineno: Option<u32>,
    #[serde(rename = "sourceMap", default)]
    source_map: Option<serde_json::Value>,
}

/// The findings of one Mythril report, and how many issues had no source location.
pub fn parse(text: &str) -> Result<(Vec<ToolFinding>, usize), ParseError> {
    let output: Output = serde_json::from_str(text.trim())?;
    if !output.success {
        return Err(ParseError::ToolError(output.error.unwrap_or_else(|| {
            "`success` is false, without an error message".to_owned()
        })));
    }
    let mut unplaced = 0;
    let mut out = Vec::new();
    for issue in output.issues {
        let (Some(path), Some(line)) = (issue.filename.clone(), issue.lineno) else {
            unplaced += 1;
            continue;
        };
        let swc = issue.swc_id.as_deref().map(|n| format!("SWC-{}", n.trim()));
        let bytes = issue
            .source_map
            .as_ref()
            .and_then(|v| v.as_str())
            .and_then(offset_length);
        let message = issue
            .description
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .unwrap_or(&issue.title)
            .to_owned();
        out.push(ToolFinding {
            tool: ToolKind::Mythril,
            // Mythril's stable identity of a rule is its SWC id; its titles vary.
            rule: swc.clone().unwrap_or_else(|| issue.title.clone()),
            title: Some(issue.title),
            message,
            impact: issue.severity.unwrap_or_else(|| "Medium".to_owned()),
            confidence: None,
            swc,
            reference: None,
            location: ToolLocation {
                path,
                start_line: line,
                end_line: line,
                bytes,
            },
            secondary: Vec::new(),
            contract: issue.contract,
            function: issue
                .function
                .as_deref()
                .map(bare_function_name)
                .filter(|f| !f.is_empty() && !f.starts_with("_function_0x")),
        });
    }
    Ok((out, unplaced))
}
