//! `solana-duplicate-mutable-accounts`
//!
//! What it detects: two accounts of the same program-owned type
//! (`Account<'info, T>`/`AccountLoader<'info, T>` with the same `T`) that the
//! instruction both mutates, with nothing that makes them distinct: no
//! constraint or body comparison of their keys, not both PDAs, not `init`.
//!
//! Why it matters: the caller passes the same account twice; the second write
//! overwrites the first (or a transfer from an account to itself mints value).
//!
//! Example: `from: Account<'info, Wallet>, to: Account<'info, Wallet>` both written, no `from.key() != to.key()`.
//!
//! Recommendation: `constraint = a.key() != b.key()` or an explicit check.

use super::{Ctx, Rule, finding};
use crate::model::AccountKind;
use crate::{Confidence, Finding, Severity};

pub(super) const RULE: Rule = Rule {
    id: "solana-duplicate-mutable-accounts",
    title: "Two mutable accounts of the same type may be the same account",
    severity: Severity::Medium,
    confidence: Confidence::Medium,
    class: "duplicate-mutable-accounts",
    description: "Two mutable accounts of the same type are never checked to be different, so the caller can pass one account twice and the writes interfere.",
    recommendation: "Add `constraint = a.key() != b.key()` (Anchor) or return an error when the two keys are equal.",
};

/// Types the program does not own (the token program validates its own).
const FOREIGN: &[&str] = &["TokenAccount", "Mint"];

pub(super) fn check(cx: &Ctx<'_, '_>, out: &mut Vec<Finding>) {
    for ix in &cx.program.instructions {
        let candidates: Vec<_> = ix
            .fields
            .iter()
            .filter(|f| matches!(f.kind, AccountKind::Account | AccountKind::AccountLoader))
            .filter(|f| f.inner.as_deref().is_some_and(|t| !FOREIGN.contains(&t)))
            .filter(|f| {
                !(f.has("init") || f.has("init_if_needed") || f.has("zero") || f.has("address"))
            })
            .filter(|f| ix.writes(&f.name, cx.index))
            .collect();
        for (i, a) in candidates.iter().enumerate() {
            for b in candidates.iter().skip(i + 1) {
                if a.inner != b.inner || (a.has("seeds") && b.has("seeds")) {
                    continue;
                }
                let pair =
                    |x: &str, y: &str| x == a.name && y == b.name || x == b.name && y == a.name;
                let distinct = ix
                    .facts
                    .compares
                    .iter()
                    .chain(ix.cfacts.iter().flat_map(|c| c.compares.iter()))
                    .any(|c| match (&c.left.account, &c.right.account) {
                        (Some((x, _)), Some((y, _))) => pair(x, y),
                        _ => false,
                    })
                    || ix.fields.iter().any(|f| {
                        f.constraints.iter().any(|c| {
                            c.key == "constraint" && {
                                let t = c.value_text();
                                t.contains(&a.name) && t.contains(&b.name)
                            }
                        })
                    });
                // Both handed to a helper that compares the keys it receives.
                let helper = ix.facts.calls.iter().any(|c| {
                    let Some(summary) = cx.index.summaries.get(&c.name) else {
                        return false;
                    };
                    let compared = |who: &str| {
                        c.args.iter().enumerate().any(|(i, arg)| {
                            ix.facts.account_of(arg).as_deref() == Some(who)
                                && summary.get(i).is_some_and(|p| p.key)
                        })
                    };
                    compared(&a.name) && compared(&b.name)
                });
                if distinct || helper {
                    continue;
                }
                out.push(finding(
                    &RULE,
                    &b.location,
                    format!(
                        "`{}` and `{}` are both mutable `{}` accounts in `{}` and may be the same account",
                        a.name,
                        b.name,
                        a.inner.as_deref().unwrap_or("?"),
                        ix.name
                    ),
                    Some(ix),
                    Some(&b.name),
                ));
            }
        }
    }
}
