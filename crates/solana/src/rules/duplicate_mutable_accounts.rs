//! `solana-duplicate-mutable-accounts`
//!
//! What it detects: two accounts of the same program-owned type
//! (`Account<'info, T>`/`AccountLoader<'info, T>` with the same `T`) that the
//! instruction both mutates, with nothing that makes them distinct: no
//! constraint or body comparison of their keys, not both PDAs, not `init`.
//!
//! In a native program (no declared types), the same notion: two accounts
//! of the instruction whose data is deserialised as the same type and that
//! are both mutated (a store into their data, a serialiser writing into a
//! mutable borrow of it, or their lamports changed), with no comparison of
//! their keys (in the body or in a helper both are given to) and not both
//! compared with derived addresses.
//!
//! Why it matters: the caller passes the same account twice; the second write
//! overwrites the first (or a transfer from an account to itself mints value).
//!
//! Example: `from: Account<'info, Wallet>, to: Account<'info, Wallet>` both written, no `from.key() != to.key()`.
//!
//! Recommendation: `constraint = a.key() != b.key()` or an explicit check.

use super::{Ctx, Rule, finding};
use crate::extract::{IxData, PackageIndex, is_lamports_seg};
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

/// `a` and `b` are told apart: their keys are compared (a body, a
/// constraint, or a helper given both that compares the keys it receives).
fn distinct(ix: &IxData<'_>, index: &PackageIndex<'_>, a: &str, b: &str) -> bool {
    let pair = |x: &str, y: &str| x == a && y == b || x == b && y == a;
    let compared = ix
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
                    t.contains(a) && t.contains(b)
                }
            })
        });
    let helper = ix.facts.calls.iter().any(|c| {
        let Some(summary) = index.summaries.get(&c.name) else {
            return false;
        };
        let compared = |who: &str| {
            c.args.iter().enumerate().any(|(i, arg)| {
                ix.facts.account_of(arg).as_deref() == Some(who)
                    && summary.get(i).is_some_and(|p| p.key)
            })
        };
        compared(a) && compared(b)
    });
    compared || helper
}

/// Native: the account is mutated (data stored into, or lamports changed).
fn mutated(ix: &IxData<'_>, name: &str) -> bool {
    ix.stores_data(name)
        || ix.facts.assigns.iter().any(|a| {
            a.account.as_deref() == Some(name) && a.segs.first().is_some_and(|s| is_lamports_seg(s))
        })
}

fn check_native(ix: &IxData<'_>, index: &PackageIndex<'_>, out: &mut Vec<Finding>) {
    // Each native account with the types its data is deserialised as.
    let typed: Vec<(&str, &crate::Location, Vec<String>)> = ix
        .native_accounts
        .iter()
        .filter(|(n, _)| mutated(ix, n))
        .map(|(n, l)| {
            let mut types: Vec<String> = ix
                .facts
                .data_vars
                .iter()
                .filter(|d| &d.account == n)
                .filter(|d| !d.ty.is_empty())
                .map(|d| format!("{}{}", d.ty.rsplit("::").next().unwrap_or(""), d.ty_args))
                .collect();
            types.sort_unstable();
            types.dedup();
            (n.as_str(), l, types)
        })
        .filter(|(_, _, t)| !t.is_empty())
        .collect();
    for (i, (a, _, ta)) in typed.iter().enumerate() {
        for (b, location, tb) in typed.iter().skip(i + 1) {
            let Some(shared) = ta.iter().find(|t| tb.contains(t)) else {
                continue;
            };
            if distinct(ix, index, a, b) || (ix.is_derived_address(a) && ix.is_derived_address(b)) {
                continue;
            }
            out.push(finding(
                &RULE,
                location,
                format!(
                    "`{a}` and `{b}` are both read as `{shared}` and mutated in `{}` but may be the same account",
                    ix.name
                ),
                Some(ix),
                Some(b),
            ));
        }
    }
}

pub(super) fn check(cx: &Ctx<'_, '_>, out: &mut Vec<Finding>) {
    for ix in &cx.program.instructions {
        if ix.fields.is_empty() {
            check_native(ix, cx.index, out);
            continue;
        }
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
                let distinct = distinct(ix, cx.index, &a.name, &b.name);
                if distinct {
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
