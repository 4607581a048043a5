//! The detectors: one file per rule, and the [`RULES`] registry (sorted by id).

use crate::extract::{IxData, PackageIndex, ProgramData};
use crate::workspace::Workspace;
use crate::{Confidence, Finding, Location, Options, Severity};

mod account_data_matching;
mod account_revival;
mod arbitrary_cpi;
mod bump_seed_canonicalization;
mod duplicate_mutable_accounts;
mod missing_owner_check;
mod missing_signer;
mod pda_sharing;
mod reinitialization;
mod type_cosplay;
mod unchecked_account_without_check;
mod unchecked_arithmetic;
mod unchecked_sysvar;

/// Static metadata of one rule (docs, SARIF rules, selectors).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rule {
    /// Kebab-case, `solana-` prefix.
    pub id: &'static str,
    pub title: &'static str,
    /// Default severity (a finding may be lower when the evidence is weaker).
    pub severity: Severity,
    pub confidence: Confidence,
    /// The Sealevel attack class (`signer-authorization`, ...), or a class of
    /// our own for rules outside that set.
    pub class: &'static str,
    pub description: &'static str,
    pub recommendation: &'static str,
}

/// Every rule, sorted by id.
pub static RULES: &[Rule] = &[
    account_data_matching::RULE,
    account_revival::RULE,
    arbitrary_cpi::RULE,
    bump_seed_canonicalization::RULE,
    duplicate_mutable_accounts::RULE,
    missing_owner_check::RULE,
    missing_signer::RULE,
    pda_sharing::RULE,
    reinitialization::RULE,
    type_cosplay::RULE,
    unchecked_account_without_check::RULE,
    unchecked_arithmetic::RULE,
    unchecked_sysvar::RULE,
];

/// The rule with this id.
pub fn rule(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.id == id)
}

/// The source of each rule file, whose `//!` header is the rule's documentation.
static SOURCES: &[(&str, &str)] = &[
    (
        "solana-account-data-matching",
        include_str!("account_data_matching.rs"),
    ),
    ("solana-account-revival", include_str!("account_revival.rs")),
    ("solana-arbitrary-cpi", include_str!("arbitrary_cpi.rs")),
    (
        "solana-bump-seed-canonicalization",
        include_str!("bump_seed_canonicalization.rs"),
    ),
    (
        "solana-duplicate-mutable-accounts",
        include_str!("duplicate_mutable_accounts.rs"),
    ),
    (
        "solana-missing-owner-check",
        include_str!("missing_owner_check.rs"),
    ),
    ("solana-missing-signer", include_str!("missing_signer.rs")),
    ("solana-pda-sharing", include_str!("pda_sharing.rs")),
    (
        "solana-reinitialization",
        include_str!("reinitialization.rs"),
    ),
    ("solana-type-cosplay", include_str!("type_cosplay.rs")),
    (
        "solana-unchecked-account-without-check",
        include_str!("unchecked_account_without_check.rs"),
    ),
    (
        "solana-unchecked-arithmetic",
        include_str!("unchecked_arithmetic.rs"),
    ),
    (
        "solana-unchecked-sysvar",
        include_str!("unchecked_sysvar.rs"),
    ),
];

/// The documentation of the rule with this id: the `//!` header of its file without
/// the comment markers (paragraphs *What it detects:*, *Why it matters:*, *Example:*,
/// *Recommendation:*), for `explain`, the detector catalog and SARIF help.
pub fn rule_doc(id: &str) -> Option<String> {
    let (_, source) = SOURCES.iter().find(|(rule, _)| *rule == id)?;
    let mut out = String::new();
    for line in source.lines() {
        let Some(text) = line.strip_prefix("//!") else {
            break;
        };
        out.push_str(text.strip_prefix(' ').unwrap_or(text));
        out.push('\n');
    }
    Some(out)
}

/// What a detector sees.
pub(crate) struct Ctx<'c, 'i> {
    pub(crate) index: &'c PackageIndex<'i>,
    pub(crate) program: &'c ProgramData<'c>,
    /// The programs of the workspace (this package's included).
    pub(crate) workspace: &'c Workspace,
}

impl Ctx<'_, '_> {
    /// Whether any instruction of the program does `pred`.
    pub(crate) fn any_ix(&self, pred: impl Fn(&IxData<'_>) -> bool) -> bool {
        self.program.instructions.iter().any(pred)
    }
}

pub(crate) fn finding(
    rule: &'static Rule,
    location: &Location,
    message: String,
    ix: Option<&IxData<'_>>,
    account: Option<&str>,
) -> Finding {
    Finding {
        rule_id: rule.id,
        severity: rule.severity,
        confidence: rule.confidence,
        file: location.file.clone(),
        line: location.line,
        column: location.column,
        start: location.start,
        end: location.end,
        message,
        instruction: ix.map(|i| i.name.clone()),
        account: account.map(str::to_owned),
    }
}

/// `snake_case` name split into words.
pub(crate) fn words(name: &str) -> impl Iterator<Item = &str> {
    name.split('_').filter(|w| !w.is_empty())
}

pub(crate) fn run(
    index: &PackageIndex<'_>,
    programs: &[ProgramData<'_>],
    workspace: &Workspace,
    options: Options,
) -> Vec<Finding> {
    let mut out = Vec::new();
    for program in programs {
        let cx = Ctx {
            index,
            program,
            workspace,
        };
        account_data_matching::check(&cx, &mut out);
        account_revival::check(&cx, &mut out);
        arbitrary_cpi::check(&cx, &mut out);
        bump_seed_canonicalization::check(&cx, &mut out);
        duplicate_mutable_accounts::check(&cx, &mut out);
        missing_owner_check::check(&cx, &mut out);
        missing_signer::check(&cx, &mut out);
        pda_sharing::check(&cx, &mut out);
        reinitialization::check(&cx, &mut out);
        type_cosplay::check(&cx, &mut out);
        unchecked_sysvar::check(&cx, &mut out);
    }
    // Package-wide rules (declarations and all function bodies).
    if !programs.is_empty() {
        unchecked_account_without_check::check(index, &mut out);
        unchecked_arithmetic::check(index, options, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_is_sorted_unique_and_prefixed() {
        for w in RULES.windows(2) {
            assert!(w[0].id < w[1].id, "{} before {}", w[0].id, w[1].id);
        }
        for r in RULES {
            assert!(r.id.starts_with("solana-"));
            assert!(r.id.chars().all(|c| c.is_ascii_lowercase() || c == '-'));
            assert!(!r.description.is_empty() && !r.recommendation.is_empty());
        }
    }
}

#[cfg(test)]
mod doc_tests {
    /// Every rule file documents itself in the fixed sections (the text feeds
    /// `explain`, the detector docs and SARIF help).
    #[test]
    fn every_rule_has_its_doc_sections() {
        let files = super::SOURCES;
        assert_eq!(files.len(), super::RULES.len());
        for rule in super::RULES {
            let doc = super::rule_doc(rule.id).expect("a doc for every rule");
            assert!(doc.contains("What it detects:"), "{}", rule.id);
        }
        for (id, text) in files {
            assert!(
                text.starts_with(&format!("//! `{id}`")),
                "{id}: first line names the rule"
            );
            for section in [
                "What it detects",
                "Why it matters",
                "Example",
                "Recommendation",
            ] {
                assert!(
                    text.contains(&format!("//! {section}")),
                    "{id}: no `{section}` section"
                );
            }
            assert!(
                text.contains(&format!("id: \"{id}\"")),
                "{id}: the file declares another rule"
            );
        }
    }
}
