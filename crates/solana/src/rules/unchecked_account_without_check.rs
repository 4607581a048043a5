//! `solana-unchecked-account-without-check`
//!
//! What it detects: an `UncheckedAccount<'info>` or `AccountInfo<'info>` field
//! of a `#[derive(Accounts)]` struct without a `/// CHECK:` doc comment saying
//! why no check is needed (Anchor 0.20+ refuses to build such structs).
//!
//! Why it matters: unchecked accounts are where missing owner, signer and
//! address checks hide; the comment forces the author to state the argument.
//!
//! Example: `pub oracle: UncheckedAccount<'info>,` with no doc comment.
//!
//! Recommendation: use a checked type, or add `/// CHECK: <why it is safe>`.

use crate::extract::PackageIndex;
use crate::model::AccountKind;
use crate::{Confidence, Finding, Severity};

use super::{Rule, finding};

pub(super) const RULE: Rule = Rule {
    id: "solana-unchecked-account-without-check",
    title: "Unchecked account without a `/// CHECK:` justification",
    severity: Severity::Low,
    confidence: Confidence::High,
    class: "unchecked-account-documentation",
    description: "An `UncheckedAccount`/`AccountInfo` field has no `/// CHECK:` comment explaining why the account needs no validation.",
    recommendation: "Use a checked account type, or document the reasoning with `/// CHECK: ...` above the field.",
};

pub(super) fn check(index: &PackageIndex<'_>, out: &mut Vec<Finding>) {
    let mut structs: Vec<_> = index.accounts_structs.values().collect();
    structs.sort_by(|a, b| a.name.cmp(&b.name));
    for s in structs {
        for f in &s.fields {
            if matches!(f.kind, AccountKind::Unchecked | AccountKind::AccountInfo)
                && !f.check_comment
            {
                out.push(finding(
                    &RULE,
                    &f.location,
                    format!(
                        "`{}.{}` is unchecked and has no `/// CHECK:` comment",
                        s.name, f.name
                    ),
                    None,
                    Some(&f.name),
                ));
            }
        }
    }
}
