//! The source view of a finding: the lines of one submitted file, the flagged span marked.

use serde::Serialize;

/// One line of the source view.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub(crate) struct SourceLine {
    pub number: usize,
    pub text: String,
    pub flagged: bool,
}

/// The lines of `text`, those from `start` to `end` (1-based, inclusive) flagged. A span
/// outside the file flags nothing.
pub(crate) fn lines(text: &str, start: u32, end: u32) -> Vec<SourceLine> {
    let (start, end) = (start as usize, end.max(start) as usize);
    text.lines()
        .enumerate()
        .map(|(index, line)| {
            let number = index + 1;
            SourceLine {
                number,
                text: line.replace('\t', "    "),
                flagged: (start..=end).contains(&number),
            }
        })
        .collect()
}

/// The text of `file` in an audit's sources (a JSON object of path to text).
pub(crate) fn file_text(sources_json: &str, file: &str) -> Option<String> {
    let sources: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(sources_json).ok()?;
    sources.get(file)?.as_str().map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_the_span_only() {
        let view = lines("a\n\tb\nc\nd", 2, 3);
        let flagged: Vec<usize> = view
            .iter()
            .filter(|l| l.flagged)
            .map(|l| l.number)
            .collect();
        assert_eq!(flagged, [2, 3]);
        assert_eq!(view[1].text, "    b");
        assert!(lines("a\nb", 9, 9).iter().all(|l| !l.flagged));
    }

    #[test]
    fn finds_a_file_in_the_sources() {
        let json = r#"{"A.sol": "contract A {}", "B.sol": 1}"#;
        assert_eq!(file_text(json, "A.sol").as_deref(), Some("contract A {}"));
        assert_eq!(file_text(json, "B.sol"), None);
        assert_eq!(file_text("not json", "A.sol"), None);
    }
}
