//! Fingerprints: a finding's identity across re-scans.
//!
//! A fingerprint is computed from content, never from line numbers or byte offsets, so
//! it survives edits elsewhere in the file (code added above, a reformat). It is
//! `HASH:N` where
//!
//! - `HASH` is the first [`HASH_HEX_LEN`] hex digits of a SHA-256 over the rule id, the
//!   enclosing contract and function names, and the flagged code [normalized](normalize_code)
//!   (comments stripped, whitespace that does not separate two words dropped);
//! - `N` (from 1) is the occurrence of that hash in the file, in source order, so two
//!   identical findings in one function stay distinct.
//!
//! The path is deliberately not hashed, so a renamed file keeps its fingerprints; a
//! fingerprint is unique within one file, and `(path, fingerprint)` within a report.

use sha2::{Digest, Sha256};

/// Number of hex digits kept from the SHA-256 digest (128 bits).
pub const HASH_HEX_LEN: usize = 32;

/// Domain separation, and the version of the scheme: changing anything in how the
/// hash is computed must change this string.
const SCHEME: &[u8] = b"web3audit-fingerprint/v1";

/// The content hash of a finding: [`HASH_HEX_LEN`] lowercase hex digits.
pub fn content_hash(
    rule_id: &str,
    contract: Option<&str>,
    function: Option<&str>,
    code: &str,
) -> String {
    let mut hasher = Sha256::new();
    hasher.update(SCHEME);
    write_field(&mut hasher, Some(rule_id));
    write_field(&mut hasher, contract);
    write_field(&mut hasher, function);
    write_field(&mut hasher, Some(&normalize_code(code)));
    let mut hex = hex::encode(hasher.finalize());
    hex.truncate(HASH_HEX_LEN);
    hex
}

/// The fingerprint of the `occurrence`-th (from 1) finding with `hash` in a file.
pub fn with_occurrence(hash: &str, occurrence: u32) -> String {
    format!("{hash}:{occurrence}")
}

/// Writes a field so that no two different field sequences hash the same bytes: a
/// presence tag, then the length, then the text.
fn write_field(hasher: &mut Sha256, field: Option<&str>) {
    match field {
        None => hasher.update([0u8]),
        Some(text) => {
            hasher.update([1u8]);
            hasher.update((text.len() as u64).to_le_bytes());
            hasher.update(text.as_bytes());
        }
    }
}

/// Solidity code reduced to what a reformat cannot change: comments are removed, and
/// whitespace is dropped except for a single space between two word characters
/// (`uint256 x` stays apart, `a + b` and `a+b` become `a+b`). String literals are kept
/// exactly as written.
pub fn normalize_code(code: &str) -> String {
    let mut out = String::with_capacity(code.len());
    let mut chars = code.char_indices().peekable();
    // Whether whitespace (or a comment) was skipped since the last character written.
    let mut gap = false;
    let push = |out: &mut String, gap: &mut bool, c: char| {
        if *gap && out.chars().next_back().is_some_and(is_word_char) && is_word_char(c) {
            out.push(' ');
        }
        *gap = false;
        out.push(c);
    };
    while let Some((i, c)) = chars.next() {
        match c {
            c if c.is_whitespace() => gap = true,
            '/' if code[i + 1..].starts_with('/') => {
                // A line comment runs to the end of the line.
                while chars.next_if(|&(_, c)| c != '\n').is_some() {}
                gap = true;
            }
            '/' if code[i + 1..].starts_with('*') => {
                chars.next();
                // A block comment runs to `*/`, or to the end of an excerpt that cuts it.
                while let Some((j, c)) = chars.next() {
                    if c == '*' && code[j + 1..].starts_with('/') {
                        chars.next();
                        break;
                    }
                }
                gap = true;
            }
            '"' | '\'' => {
                push(&mut out, &mut gap, c);
                // A string literal, escapes included, up to its closing quote (or the
                // end of the line, where an unterminated literal ends).
                while let Some((_, s)) = chars.next_if(|&(_, s)| s != '\n') {
                    out.push(s);
                    if s == '\\' {
                        if let Some((_, escaped)) = chars.next_if(|&(_, e)| e != '\n') {
                            out.push(escaped);
                        }
                    } else if s == c {
                        break;
                    }
                }
            }
            c => push(&mut out, &mut gap, c),
        }
    }
    out
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '$'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalization_drops_comments_and_layout() {
        assert_eq!(normalize_code("a  +\n\tb"), "a+b");
        assert_eq!(normalize_code("uint256   x = 1 ; // set x"), "uint256 x=1;");
        assert_eq!(normalize_code("foo(/* amount */ a,\n    b)"), "foo(a,b)");
        assert_eq!(normalize_code("return/**/x"), "return x");
        assert_eq!(
            normalize_code("  leading and trailing  "),
            "leading and trailing"
        );
    }

    #[test]
    fn normalization_keeps_string_literals() {
        assert_eq!(
            normalize_code(r#"s = "a  // not a comment";"#),
            r#"s="a  // not a comment";"#
        );
        assert_eq!(
            normalize_code(r#"s = 'it\'s  /* x */' ;"#),
            r#"s='it\'s  /* x */';"#
        );
        assert_eq!(normalize_code("s = \"open\nx"), "s=\"open x");
    }

    #[test]
    fn normalization_survives_cut_comments_and_literals() {
        assert_eq!(normalize_code("a /* unterminated"), "a");
        assert_eq!(normalize_code("a // é"), "a");
        assert_eq!(normalize_code("\"\\"), "\"\\");
        assert_eq!(normalize_code("/"), "/");
    }

    #[test]
    fn hash_separates_fields() {
        let a = content_hash("r", Some("ab"), Some("c"), "x");
        let b = content_hash("r", Some("a"), Some("bc"), "x");
        let c = content_hash("r", None, Some("abc"), "x");
        let d = content_hash("r", Some(""), Some("abc"), "x");
        assert_eq!(a.len(), HASH_HEX_LEN);
        assert!(a != b && b != c && c != d && a != c);
    }
}
