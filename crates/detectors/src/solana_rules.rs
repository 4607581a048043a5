//! The rules of the Solana front-end (`crates/solana`) as detectors of the registry, so
//! that `web3audit detectors`, `explain`, `--detectors`, the configuration file, severity
//! overrides and the reports treat them like the others. They analyse no Solidity or
//! Vyper file: the scan runs `solana::analyze_package` over each Solana program and turns
//! its findings into [`Finding`]s of these detectors ([`solana_finding_meta`]).
//!
//! Categories: each Sealevel class is filed under the closest category of the other
//! detectors (see [`category_of`]); the class itself is named in the documentation.

use std::sync::LazyLock;

use syntax::{Comment, CommentKind, Span};

use crate::detector::{Detector, FileContext};
use crate::finding::Finding;
use crate::meta::{Confidence, DetectorMeta, Severity};

/// A rule of `solana::RULES`, by id.
pub(crate) struct SolanaRule(pub(crate) &'static str);

/// The public repository of the Sealevel attack examples, which names the classes.
const SEALEVEL_ATTACKS: &str = "https://github.com/coral-xyz/sealevel-attacks";

/// The category of the other detectors closest to a Sealevel class (or to the class the
/// front-end gives a rule outside that set).
pub fn category_of(class: &str) -> &'static str {
    match class {
        // Who may act, and on which accounts: the caller passes accounts, so every
        // missing check of an account's signer, owner, type, address or data is an
        // authorization flaw.
        "signer-authorization"
        | "account-data-matching"
        | "owner-checks"
        | "type-cosplay"
        | "initialization"
        | "arbitrary-cpi"
        | "pda-sharing"
        | "sysvar-address-checking" => "access_control",
        "arithmetic-overflow" => "arithmetic",
        // A documentation requirement (Anchor refuses to build without it).
        "unchecked-account-documentation" => "best_practice",
        // Account aliasing, non-canonical PDAs and revived accounts have no class of
        // their own among the other detectors'.
        _ => "other",
    }
}

/// Whether `class` is one of the Sealevel attack classes (the others are the front-end's).
fn is_sealevel(class: &str) -> bool {
    !matches!(
        class,
        "arithmetic-overflow" | "unchecked-account-documentation"
    )
}

const fn severity(s: solana::Severity) -> Severity {
    match s {
        solana::Severity::Informational => Severity::Informational,
        solana::Severity::Low => Severity::Low,
        solana::Severity::Medium => Severity::Medium,
        solana::Severity::High => Severity::High,
        solana::Severity::Critical => Severity::Critical,
    }
}

const fn confidence(c: solana::Confidence) -> Confidence {
    match c {
        solana::Confidence::Low => Confidence::Low,
        solana::Confidence::Medium => Confidence::Medium,
        solana::Confidence::High => Confidence::High,
    }
}

/// The front-end's rule documentation (paragraphs starting `What it detects:`, `Why it
/// matters:`, `Example:`, `Recommendation:`) as the Markdown sections of the other
/// detectors' docs; other paragraphs stay in the section they follow.
fn doc_of(rule: &solana::Rule) -> String {
    const SECTIONS: [&str; 4] = [
        "What it detects",
        "Why it matters",
        "Example",
        "Recommendation",
    ];
    let raw = solana::rule_doc(rule.id).unwrap_or_default();
    let mut out = String::new();
    for line in raw.lines() {
        // The first line names the rule; the title says it already.
        if line.trim() == format!("`{}`", rule.id) {
            continue;
        }
        match SECTIONS.iter().find_map(|s| {
            line.strip_prefix(s)?
                .strip_prefix(':')
                .map(|rest| (s, rest))
        }) {
            Some((section, rest)) => {
                while out.ends_with("\n\n") {
                    out.pop();
                }
                if !out.is_empty() {
                    out.push('\n');
                }
                let rest = rest.trim();
                let mut chars = rest.chars();
                let rest: String = chars
                    .next()
                    .map(|first| first.to_uppercase().chain(chars).collect())
                    .unwrap_or_default();
                out.push_str(&format!("## {section}\n{rest}\n"));
            }
            None if out.is_empty() && line.trim().is_empty() => {}
            None => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    for section in SECTIONS {
        if !out.contains(&format!("## {section}")) {
            let text = match section {
                "What it detects" => rule.description,
                "Recommendation" => rule.recommendation,
                _ => "See the description.",
            };
            out.push_str(&format!("\n## {section}\n{text}\n"));
        }
    }
    let class = if is_sealevel(rule.class) {
        format!(
            "Sealevel attack class `{}` (the examples of <{SEALEVEL_ATTACKS}>).",
            rule.class
        )
    } else {
        format!(
            "Class `{}` (not one of the Sealevel attack classes).",
            rule.class
        )
    };
    out.push_str(&format!(
        "\n## Language and class\nRust: Solana programs (Anchor and native). {class}\n"
    ));
    out
}

/// The metadata of every Solana rule, in `solana::RULES` order (sorted by id).
static METAS: LazyLock<Vec<DetectorMeta>> = LazyLock::new(|| {
    solana::RULES
        .iter()
        .map(|rule| DetectorMeta {
            id: rule.id,
            title: rule.title,
            severity: severity(rule.severity),
            confidence: confidence(rule.confidence),
            swc: None,
            category: category_of(rule.class),
            description: rule.description,
            recommendation: rule.recommendation,
            references: if is_sealevel(rule.class) {
                &[SEALEVEL_ATTACKS]
            } else {
                &[]
            },
            doc: Box::leak(doc_of(rule).into_boxed_str()),
        })
        .collect()
});

/// The detector metadata of a Solana rule (`solana::Finding::rule_id`).
pub fn solana_finding_meta(rule_id: &str) -> Option<&'static DetectorMeta> {
    METAS.iter().find(|m| m.id == rule_id)
}

/// A finding of a Solana rule with the scan's severity (the front-end may lower it).
pub fn solana_severity(s: solana::Severity) -> Severity {
    severity(s)
}

/// A finding of a Solana rule with the front-end's confidence.
pub fn solana_confidence(c: solana::Confidence) -> Confidence {
    confidence(c)
}

/// The comments of a Rust source, in source order, as the suppression comments read them:
/// `//` and `/* */` (nested), with `///`, `//!`, `/** */` and `/*! */` as doc comments.
/// Strings, raw strings, byte strings and character literals are skipped; a `'` that
/// starts no character literal is a lifetime.
pub fn rust_comments(text: &str) -> Vec<Comment> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let at = |i: usize| u32::try_from(i).unwrap_or(u32::MAX);
    let ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    while i < bytes.len() {
        match bytes[i] {
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                let start = i;
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                let body = &bytes[start..i];
                let doc = (body.starts_with(b"///") && !body.starts_with(b"////"))
                    || body.starts_with(b"//!");
                out.push(Comment {
                    kind: if doc {
                        CommentKind::DocLine
                    } else {
                        CommentKind::Line
                    },
                    span: Span::new(at(start), at(i)),
                });
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                let start = i;
                let doc = matches!(bytes.get(i + 2), Some(b'*' | b'!'))
                    && bytes.get(i + 3) != Some(&b'/');
                let mut depth = 0usize;
                while i < bytes.len() {
                    if bytes[i] == b'/' && bytes.get(i + 1) == Some(&b'*') {
                        depth += 1;
                        i += 2;
                    } else if bytes[i] == b'*' && bytes.get(i + 1) == Some(&b'/') {
                        depth -= 1;
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        i += 1;
                    }
                }
                out.push(Comment {
                    kind: if doc {
                        CommentKind::DocBlock
                    } else {
                        CommentKind::Block
                    },
                    span: Span::new(at(start), at(i.min(bytes.len()))),
                });
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
            }
            b'r' | b'b' if i == 0 || !ident(bytes[i - 1]) => {
                // `r"..."`, `r#"..."#`, `br"..."`: no escapes, ends with `"` and the hashes.
                let mut j = i + 1;
                if bytes[i] == b'b' && bytes.get(j) == Some(&b'r') {
                    j += 1;
                } else if bytes[i] == b'b' {
                    i += 1;
                    continue;
                }
                let hashes = bytes[j..].iter().take_while(|&&b| b == b'#').count();
                if bytes.get(j + hashes) != Some(&b'"') {
                    i += 1;
                    continue;
                }
                let mut k = j + hashes + 1;
                let end = loop {
                    match bytes.get(k) {
                        None => break bytes.len(),
                        Some(b'"')
                            if bytes.len() >= k + 1 + hashes
                                && bytes[k + 1..k + 1 + hashes].iter().all(|&b| b == b'#') =>
                        {
                            break k + 1 + hashes;
                        }
                        Some(_) => k += 1,
                    }
                };
                i = end;
            }
            b'\'' => {
                // A character literal (`'a'`, `'\n'`, `'é'`) or a lifetime (`'info`).
                if bytes.get(i + 1) == Some(&b'\\') {
                    i += 2;
                    while i < bytes.len() && bytes[i] != b'\'' && bytes[i] != b'\n' {
                        i += 1;
                    }
                    i += 1;
                } else {
                    let next = text[i + 1..].chars().next().map_or(1, char::len_utf8);
                    if bytes.get(i + 1 + next) == Some(&b'\'') {
                        i += next + 2;
                    } else {
                        i += 1;
                    }
                }
            }
            _ => i += 1,
        }
    }
    out
}

impl Detector for SolanaRule {
    fn meta(&self) -> &'static DetectorMeta {
        match solana_finding_meta(self.0) {
            Some(meta) => meta,
            // The registry names only ids of `solana::RULES` (a test keeps it so).
            None => unreachable!("`{}` is not a Solana rule", self.0),
        }
    }

    fn check_file(&self, _cx: &FileContext<'_>, _out: &mut Vec<Finding>) {}

    fn supports_solidity(&self) -> bool {
        false
    }

    fn supports_solana(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_solana_rule_is_registered_once_with_its_sections() {
        let registered: Vec<&str> = crate::registry::all()
            .filter(|d| d.supports_solana())
            .map(|d| d.meta().id)
            .collect();
        let rules: Vec<&str> = solana::RULES.iter().map(|r| r.id).collect();
        assert_eq!(registered, rules);
        for meta in METAS.iter() {
            assert!(meta.doc.starts_with("## What it detects\n"), "{}", meta.doc);
            for section in ["## Why it matters", "## Example", "## Recommendation"] {
                assert_eq!(
                    meta.doc.matches(section).count(),
                    1,
                    "{}: {section}",
                    meta.id
                );
            }
            assert!(meta.doc.contains("Solana programs"));
        }
        let signer = solana_finding_meta("solana-missing-signer").unwrap();
        assert_eq!(signer.category, "access_control");
        assert!(signer.doc.contains("`signer-authorization`"));
        assert_eq!(
            solana_finding_meta("solana-unchecked-arithmetic")
                .unwrap()
                .category,
            "arithmetic"
        );
    }

    #[test]
    fn rust_comments_skip_strings_chars_and_lifetimes() {
        let text = "fn f<'info>(a: &'info str) { let s = \"// no\"; let r = r#\"/* no \" */\"#;\n\
                    let c = '\\''; let d = '/'; // yes 1\n\
                    /* yes /* nested */ 2 */ /// doc\n}";
        let found: Vec<(&str, CommentKind)> = rust_comments(text)
            .iter()
            .map(|c| (&text[c.span.lo as usize..c.span.hi as usize], c.kind))
            .collect();
        assert_eq!(
            found,
            [
                ("// yes 1", CommentKind::Line),
                ("/* yes /* nested */ 2 */", CommentKind::Block),
                ("/// doc", CommentKind::DocLine),
            ]
        );
    }
}
