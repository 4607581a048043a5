//! The JSON renderer: the [`Report`] itself, serialized. The format is documented in
//! `docs/json-output.md`.

use crate::model::Report;

/// Renders the report as pretty-printed JSON (without a trailing newline).
pub fn render_json(report: &Report) -> String {
    // Every type in `Report` serializes to JSON infallibly: plain structs, strings,
    // integers and vectors, with no maps keyed by non-strings.
    serde_json::to_string_pretty(report).expect("a `Report` always serializes to JSON")
}
