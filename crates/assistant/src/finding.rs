//! What the assistant is told about a finding. Everything here is untrusted data: it is
//! rendered into the prompt as escaped JSON between delimiters, never as instructions.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceLine {
    pub line: u32,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FindingInput {
    /// The finding's stable fingerprint (the report's), part of the cache key.
    pub fingerprint: String,
    pub rule_id: String,
    pub title: String,
    pub severity: String,
    pub message: String,
    /// Path of the file, relative to the project root; the only file a patch may touch.
    pub file: String,
    pub line_start: u32,
    pub line_end: u32,
    /// The flagged lines.
    pub snippet: String,
    /// Some lines around the finding, with their numbers.
    #[serde(default)]
    pub context: Vec<SourceLine>,
}

/// Longest line and most context lines sent to the provider.
pub const MAX_LINE_CHARS: usize = 400;
pub const MAX_CONTEXT_LINES: usize = 120;
pub const MAX_SNIPPET_CHARS: usize = 8_000;

impl FindingInput {
    /// The lines `line_start - radius ..= line_end + radius` of `source`, numbered from 1,
    /// each cut to [`MAX_LINE_CHARS`].
    pub fn context_from_source(
        source: &str,
        line_start: u32,
        line_end: u32,
        radius: u32,
    ) -> Vec<SourceLine> {
        let first = line_start.saturating_sub(radius).max(1);
        let last = line_end.saturating_add(radius);
        source
            .lines()
            .enumerate()
            .filter_map(|(i, text)| {
                let line = u32::try_from(i + 1).ok()?;
                (first..=last).contains(&line).then(|| SourceLine {
                    line,
                    text: cut(text, MAX_LINE_CHARS),
                })
            })
            .take(MAX_CONTEXT_LINES)
            .collect()
    }
}

pub(crate) fn cut(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_is_numbered_from_one_and_clipped_to_the_source() {
        let source = "a\nb\nc\nd\ne";
        let lines = FindingInput::context_from_source(source, 1, 2, 2);
        let numbers: Vec<u32> = lines.iter().map(|l| l.line).collect();
        assert_eq!(numbers, [1, 2, 3, 4]);
        assert_eq!(lines[0].text, "a");
        let lines = FindingInput::context_from_source(source, 5, 5, 10);
        assert_eq!(lines.len(), 5);
        let long = "é".repeat(MAX_LINE_CHARS + 10);
        let lines = FindingInput::context_from_source(&long, 1, 1, 0);
        assert_eq!(lines[0].text.chars().count(), MAX_LINE_CHARS + 1);
    }
}
