//! Slither's JSON output (`slither TARGET --json -`).
//!
//! The report is `{"success", "error", "results": {"detectors": [...]}}`; each detector
//! result has `check` (the detector's argument), `impact`, `confidence`, `description`,
//! `reference` and `elements`, each element a `type` (`function`, `node`, `contract`,
//! `variable`, `pragma`, ...), a `name`, a `source_mapping` (`filename_relative`,
//! `start` and `length` in bytes, `lines`) and `type_specific_fields.parent` up to the
//! contract. The first element is the primary location; the others become secondary
//! labels.

use serde::Deserialize;

use crate::finding::{ParseError, ToolFinding, ToolLabel, ToolLocation, bare_function_name};
use crate::tool::ToolKind;

#[derive(Deserialize)]
struct Output {
    success: bool,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    results: Option<Results>,
}

#[derive(Deserialize, Default)]
struct Results {
    #[serde(default)]
    detectors: Vec<Detection>,
}

#[derive(Deserialize)]
struct Detection {
    check: String,
    impact: String,
    #[serde(default)]
    confidence: Option<String>,
    #[serde(default)]
    description: String,
    #[serde(default)]
    reference: Option<String>,
    #[serde(default)]
    elements: Vec<Element>,
}

#[derive(Deserialize)]
struct Element {
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    source_mapping: Option<SourceMapping>,
    #[serde(default)]
    type_specific_fields: Option<TypeSpecific>,
    #[serde(default)]
    additional_fields: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct TypeSpecific {
    #[serde(default)]
    parent: Option<Box<Element>>,
}

#[derive(Deserialize)]
struct SourceMapping {
    #[serde(default)]
    filename_relative: Option<String>,
    #[serde(default)]
    filename_absolute: Option<String>,
    #[serde(default)]
    start: Option<u32>,
    #[serde(default)]
    length: Option<u32>,
    #[serde(default)]
    lines: Vec<u32>,
}

/// The findings of one Slither report.
pub fn parse(text: &str) -> Result<Vec<ToolFinding>, ParseError> {
    let output: Output = serde_json::from_str(text.trim())?;
    if !output.success {
        return Err(ParseError::ToolError(output.error.unwrap_or_else(|| {
            "`success` is false, without an error message".to_owned()
        })));
    }
    let detections = output.results.unwrap_or_default().detectors;
    Ok(detections.into_iter().filter_map(finding).collect())
}

fn finding(d: Detection) -> Option<ToolFinding> {
    // The primary element is the first that has a location.
    let mut located = d
        .elements
        .iter()
        .filter_map(|e| Some((e, location(e.source_mapping.as_ref()?)?)));
    let (primary, location) = located.next()?;
    let (contract, function) = scope(primary);
    let secondary = located
        .take(8)
        .map(|(e, location)| ToolLabel {
            message: label(e),
            location,
        })
        .collect();
    Some(ToolFinding {
        tool: ToolKind::Slither,
        rule: d.check,
        title: None,
        message: first_line(&d.description),
        impact: d.impact,
        confidence: d.confidence,
        swc: None,
        reference: d.reference,
        location,
        secondary,
        contract,
        function,
    })
}

fn location(mapping: &SourceMapping) -> Option<ToolLocation> {
    let path = mapping
        .filename_relative
        .clone()
        .or_else(|| mapping.filename_absolute.clone())?;
    let start_line = *mapping.lines.iter().min()?;
    let end_line = *mapping.lines.iter().max()?;
    Some(ToolLocation {
        path,
        start_line,
        end_line,
        bytes: mapping.start.zip(mapping.length),
    })
}

/// The enclosing contract and function of an element, from its parents.
fn scope(element: &Element) -> (Option<String>, Option<String>) {
    let mut contract = None;
    let mut function = None;
    let mut current = Some(element);
    while let Some(e) = current {
        match e.kind.as_str() {
            "function" if function.is_none() => function = Some(bare_function_name(&e.name)),
            "contract" if contract.is_none() => contract = Some(e.name.clone()),
            _ => {}
        }
        current = e
            .type_specific_fields
            .as_ref()
            .and_then(|t| t.parent.as_deref());
    }
    (contract, function)
}

/// A secondary element's label: what it is (`external call`, from Slither's
/// `underlying_type`) and its text.
fn label(e: &Element) -> String {
    let underlying = e
        .additional_fields
        .as_ref()
        .and_then(|f| f.get("underlying_type"))
        .and_then(|v| v.as_str())
        .map(|s| s.replace('_', " "));
    let name = first_line(&e.name);
    match underlying {
        Some(kind) => format!("{kind}: `{name}`"),
        None => format!("{} `{name}`", e.kind),
    }
}

/// The first line of a description, without Slither's trailing location list.
fn first_line(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("")
        .to_owned()
}
