//! The model's answer, validated. The answer is untrusted (the code it read may carry a
//! prompt injection), so it must be exactly one JSON object with exactly the schema's
//! fields and types; anything else is [`AssistantError::InvalidOutput`] for this suggestion.
//! Text fields are stripped of control characters; a patch that is not a unified diff of
//! the finding's file only is dropped with a note.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::AssistantError;

pub const MAX_TEXT_CHARS: usize = 6_000;
pub const MAX_PATCH_CHARS: usize = 20_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    LikelyTrue,
    LikelyFalsePositive,
    Uncertain,
}

/// A validated suggestion, stored beside the finding. Never a triage decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Suggestion {
    pub explanation: String,
    pub attack_scenario: String,
    /// A unified diff touching only the finding's file.
    pub patch_diff: Option<String>,
    pub verdict: Verdict,
    pub reasoning: String,
    /// 0 to 1.
    pub confidence: f64,
}

/// The answer as the schema says, before sanitizing.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSuggestion {
    explanation: String,
    attack_scenario: String,
    patch_diff: Option<String>,
    verdict: Verdict,
    reasoning: String,
    confidence: f64,
}

fn invalid(m: impl Into<String>) -> AssistantError {
    AssistantError::InvalidOutput(m.into())
}

/// Parses an answer given as text (OpenAI-compatible `message.content`): it must be one
/// JSON object, with only whitespace around it. Code fences or prose are refused.
pub fn parse_text(text: &str, file: &str) -> Result<(Suggestion, Vec<String>), AssistantError> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(invalid("the answer is empty"));
    }
    if !trimmed.starts_with('{') || !trimmed.ends_with('}') {
        return Err(invalid(
            "the answer is not a bare JSON object (text, Markdown or code fences around it)",
        ));
    }
    let value: Value = serde_json::from_str(trimmed)
        .map_err(|e| invalid(format!("the answer is not valid JSON: {e}")))?;
    parse_value(value, file)
}

/// Parses an answer given as a JSON value (Anthropic tool input, or parsed text).
pub fn parse_value(value: Value, file: &str) -> Result<(Suggestion, Vec<String>), AssistantError> {
    if !value.is_object() {
        return Err(invalid("the answer is not a JSON object"));
    }
    let raw: RawSuggestion = serde_json::from_value(value).map_err(|e| invalid(e.to_string()))?;
    validate(raw, file)
}

fn validate(raw: RawSuggestion, file: &str) -> Result<(Suggestion, Vec<String>), AssistantError> {
    let mut notes = Vec::new();
    let explanation = text_field("explanation", &raw.explanation)?;
    let attack_scenario = text_field("attack_scenario", &raw.attack_scenario)?;
    let reasoning = text_field("reasoning", &raw.reasoning)?;
    if !raw.confidence.is_finite() || !(0.0..=1.0).contains(&raw.confidence) {
        return Err(invalid(format!(
            "confidence {} is not between 0 and 1",
            raw.confidence
        )));
    }
    let patch_diff = match raw.patch_diff {
        None => None,
        Some(p) if p.trim().is_empty() => None,
        Some(p) if p.chars().count() > MAX_PATCH_CHARS => {
            notes.push(format!(
                "the suggested patch was dropped: longer than {MAX_PATCH_CHARS} characters"
            ));
            None
        }
        Some(p) => {
            let p = strip_controls(&p);
            match check_unified_diff(&p, file) {
                Ok(()) => Some(p),
                Err(why) => {
                    notes.push(format!("the suggested patch was dropped: {why}"));
                    None
                }
            }
        }
    };
    Ok((
        Suggestion {
            explanation,
            attack_scenario,
            patch_diff,
            verdict: raw.verdict,
            reasoning,
            confidence: raw.confidence,
        },
        notes,
    ))
}

fn text_field(name: &str, value: &str) -> Result<String, AssistantError> {
    if value.chars().count() > MAX_TEXT_CHARS {
        return Err(invalid(format!(
            "`{name}` is longer than {MAX_TEXT_CHARS} characters"
        )));
    }
    let clean = strip_controls(value);
    if clean.trim().is_empty() {
        return Err(invalid(format!("`{name}` is empty")));
    }
    Ok(clean.trim().to_string())
}

/// Removes control characters except newline and tab (CR LF becomes LF), and the
/// bidirectional-override characters that could make displayed text differ from its
/// content.
pub fn strip_controls(text: &str) -> String {
    text.replace("\r\n", "\n")
        .chars()
        .filter(|&c| {
            c == '\n'
                || c == '\t'
                || !(c.is_control()
                    || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}'))
        })
        .collect()
}

/// The path of a `---`/`+++` header: without a trailing timestamp and a leading `./`.
fn header_path(p: &str) -> &str {
    let p = p.trim();
    // A timestamp after a tab is allowed by the format.
    let p = p.split('\t').next().unwrap_or(p).trim_end();
    p.strip_prefix("./").unwrap_or(p)
}

/// Whether a header path names `want`, as written or with git's `a/`/`b/` prefix.
fn names_file(path: &str, want: &str) -> bool {
    path == want || path.strip_prefix("a/") == Some(want) || path.strip_prefix("b/") == Some(want)
}

fn hunk_counts(header: &str) -> Option<(u32, u32)> {
    // @@ -l[,s] +l[,s] @@ optional section
    let rest = header.strip_prefix("@@ -")?;
    let (ranges, _) = rest.split_once(" @@")?;
    let (old, new) = ranges.split_once(" +")?;
    let count = |r: &str| -> Option<u32> {
        let mut parts = r.split(',');
        parts.next()?.parse::<u32>().ok()?;
        match parts.next() {
            Some(n) => n.parse().ok(),
            None => Some(1),
        }
    };
    Some((count(old)?, count(new)?))
}

/// Checks that `diff` is a unified diff whose every file header names `file` (with or
/// without `a/`/`b/`), with at least one hunk, and hunks whose line counts match.
pub fn check_unified_diff(diff: &str, file: &str) -> Result<(), String> {
    let want = header_path(file);
    let mut lines = diff.lines().peekable();
    let mut hunks = 0usize;
    let mut files = 0usize;
    while let Some(line) = lines.next() {
        if line.starts_with("diff --git ") || line.starts_with("index ") || line.trim().is_empty() {
            continue;
        }
        if let Some(old) = line.strip_prefix("--- ") {
            let new = lines
                .next()
                .and_then(|l| l.strip_prefix("+++ "))
                .ok_or("a `---` header is not followed by a `+++` header")?;
            for path in [old, new] {
                let path = header_path(path);
                if !names_file(path, want) {
                    return Err(format!(
                        "it touches `{path}`, not the finding's file `{want}`"
                    ));
                }
            }
            files += 1;
            continue;
        }
        if line.starts_with("@@ ") {
            if files == 0 {
                return Err("a hunk comes before any file header".into());
            }
            let (mut old, mut new) =
                hunk_counts(line).ok_or_else(|| format!("bad hunk header `{line}`"))?;
            while old > 0 || new > 0 {
                let Some(body) = lines.next() else {
                    return Err("a hunk ends before its line counts".into());
                };
                match body.chars().next() {
                    Some(' ') | None => {
                        old = old.checked_sub(1).ok_or("hunk line counts do not match")?;
                        new = new.checked_sub(1).ok_or("hunk line counts do not match")?;
                    }
                    Some('-') => old = old.checked_sub(1).ok_or("hunk line counts do not match")?,
                    Some('+') => new = new.checked_sub(1).ok_or("hunk line counts do not match")?,
                    Some('\\') => {}
                    Some(_) => {
                        return Err(format!(
                            "unexpected line in a hunk: `{}`",
                            crate::finding::cut(body, 80)
                        ));
                    }
                }
            }
            while lines.peek().is_some_and(|l| l.starts_with('\\')) {
                lines.next();
            }
            hunks += 1;
            continue;
        }
        return Err(format!(
            "not a unified diff (unexpected line `{}`)",
            crate::finding::cut(line, 80)
        ));
    }
    if hunks == 0 {
        return Err("it has no hunk".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_diff_of_the_file_passes_and_others_do_not() {
        let ok = "--- a/src/Vault.sol\n+++ b/src/Vault.sol\n@@ -1,3 +1,3 @@\n a\n-b\n+c\n d\n";
        assert_eq!(check_unified_diff(ok, "src/Vault.sol"), Ok(()));
        let other = ok.replace("src/Vault.sol", "src/Other.sol");
        assert!(
            check_unified_diff(&other, "src/Vault.sol")
                .unwrap_err()
                .contains("Other.sol")
        );
        let bad_count = "--- a/x\n+++ b/x\n@@ -1,3 +1,3 @@\n a\n-b\n";
        assert!(check_unified_diff(bad_count, "x").is_err());
        assert!(check_unified_diff("just prose", "x").is_err());
        assert!(check_unified_diff("--- a/x\n+++ b/x\n", "x").is_err());
        let devnull = "--- /dev/null\n+++ b/x\n@@ -0,0 +1 @@\n+a\n";
        assert!(check_unified_diff(devnull, "x").is_err());
        // The `a/` prefix is git's, not part of the finding's path.
        let plain = "--- Vault.sol\n+++ Vault.sol\n@@ -1 +1 @@\n-a\n+b\n";
        assert_eq!(check_unified_diff(plain, "Vault.sol"), Ok(()));
        assert!(check_unified_diff(plain, "a/Vault.sol").is_err());
        let git = "diff --git a/a/V.sol b/a/V.sol\nindex 1..2 100644\n--- a/a/V.sol\n+++ b/a/V.sol\n@@ -1 +1 @@\n-a\n+b\n\\ No newline at end of file\n";
        assert_eq!(check_unified_diff(git, "a/V.sol"), Ok(()));
        let traversal =
            "--- a/src/../src/Vault.sol\n+++ b/src/../src/Vault.sol\n@@ -1 +1 @@\n-a\n+b\n";
        assert!(check_unified_diff(traversal, "src/Vault.sol").is_err());
    }

    #[test]
    fn controls_and_bidi_are_stripped() {
        assert_eq!(strip_controls("a\u{7}b\r\nc\u{202E}d\te"), "ab\ncd\te");
    }
}
