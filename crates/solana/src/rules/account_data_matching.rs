//! `solana-account-data-matching`
//!
//! What it detects: a token account (`Account<'info, TokenAccount>` or an SPL
//! token `Account` unpacked from raw data) whose fields the instruction reads
//! while neither its `owner` nor its `mint` (nor `delegate`) is compared with
//! anything: no `token::mint`/`token::authority`/`associated_token::*`
//! constraint, no `constraint`/`has_one` naming them, no comparison in the body.
//!
//! Why it matters: the caller may pass any token account (somebody else's, or
//! one of a worthless mint) and the program acts on its balance.
//!
//! Example: `let t = Account::unpack(&token.data.borrow())?; msg!("{}", t.amount);` with no `t.owner`/`t.mint` comparison.
//!
//! Recommendation: constrain `token::authority`/`token::mint` or compare
//! `token.owner`/`token.mint` with the expected keys.

use super::{Ctx, Rule, finding};
use crate::extract::chain;
use crate::model::AccountKind;
use crate::{Confidence, Finding, Severity};

pub(super) const RULE: Rule = Rule {
    id: "solana-account-data-matching",
    title: "Token account data not matched against the expected owner or mint",
    severity: Severity::High,
    confidence: Confidence::Medium,
    class: "account-data-matching",
    description: "The instruction reads a token account whose owner and mint are never compared with the expected keys, so any token account is accepted.",
    recommendation: "Add `token::authority = ...`/`token::mint = ...` or a `constraint` (Anchor), or compare `token.owner` and `token.mint` with the expected keys before use.",
};

/// Fields whose value the program acts on (reading `mint`/`owner` to derive
/// seeds or to store them is not acting on an unmatched account).
const BALANCE_FIELDS: &[&str] = &[
    "amount",
    "delegated_amount",
    "delegate",
    "state",
    "is_native",
    "close_authority",
];

const BINDING_FIELDS: &[&str] = &["owner", "mint", "delegate", "authority"];

fn token_type(ty: &str) -> bool {
    let last = ty.rsplit("::").next().unwrap_or(ty);
    last.contains("TokenAccount")
        || ty.ends_with("state::Account")
        || ty == "spl_token::state::Account"
}

/// `helper(.., &token.owner, ..)` where the helper compares that parameter.
fn passed_to_comparing_helper(
    cx: &Ctx<'_, '_>,
    ix: &crate::extract::IxData<'_>,
    var: &str,
) -> bool {
    ix.facts.calls.iter().any(|c| {
        let Some(summary) = cx.index.summaries.get(&c.name) else {
            return false;
        };
        c.args.iter().enumerate().any(|(i, arg)| {
            summary.get(i).is_some_and(|p| p.key)
                && chain(arg).is_some_and(|(root, segs)| {
                    root == var
                        && segs
                            .first()
                            .is_some_and(|s| BINDING_FIELDS.contains(&s.as_str()))
                })
        })
    })
}

pub(super) fn check(cx: &Ctx<'_, '_>, out: &mut Vec<Finding>) {
    for ix in &cx.program.instructions {
        // Anchor typed token accounts.
        for f in &ix.fields {
            let typed = matches!(f.kind, AccountKind::Account | AccountKind::InterfaceAccount)
                && f.inner.as_deref().is_some_and(token_type);
            if !typed {
                continue;
            }
            let constrained = f.constraints.iter().any(|c| {
                c.key.starts_with("token::")
                    || c.key.starts_with("associated_token::")
                    || c.key == "address"
                    || c.key == "seeds"
                    || c.key == "init"
                    || c.key == "init_if_needed"
                    // On the token account itself: `has_one = owner`, `constraint = ..`.
                    || c.key == "has_one"
                    || c.key == "constraint"
            }) || ix.fields.iter().any(|g| {
                g.constraints.iter().any(|c| {
                    (c.key == "has_one" && c.value_text() == f.name)
                        || (c.key == "constraint" && {
                            let t = c.value_text();
                            BINDING_FIELDS
                                .iter()
                                .any(|b| t.contains(&format!("{}.{b}", f.name)))
                                || t.contains(&format!("{}.key()", f.name))
                        })
                })
            });
            let compared = ix.facts.compares.iter().any(|c| {
                c.sides().iter().any(|s| {
                    s.account.as_ref().is_some_and(|(a, segs)| {
                        a == &f.name
                            && segs
                                .first()
                                .is_some_and(|s| BINDING_FIELDS.contains(&s.as_str()) || s == "key")
                    })
                })
            });
            let reads = ix.facts.accesses.iter().any(|a| {
                a.account == f.name
                    && a.segs
                        .first()
                        .is_some_and(|s| BALANCE_FIELDS.contains(&s.as_str()))
                    && !a.cmp
            });
            if reads && !constrained && !compared && !ix.address_checked(&f.name, cx.index) {
                out.push(finding(
                    &RULE,
                    &f.location,
                    format!("token account `{}` is read in `{}` but its owner and mint are never checked", f.name, ix.name),
                    Some(ix),
                    Some(&f.name),
                ));
            }
        }
        // Token accounts unpacked from raw data.
        for d in &ix.facts.data_vars {
            if !token_type(&d.ty) {
                continue;
            }
            let accesses: Vec<_> = ix
                .facts
                .data_accesses
                .iter()
                .filter(|a| a.var == d.name)
                .collect();
            let reads = accesses.iter().any(|a| {
                !a.lhs
                    && a.segs
                        .first()
                        .is_some_and(|s| BALANCE_FIELDS.contains(&s.as_str()))
            });
            let matched = accesses.iter().any(|a| {
                (a.cmp || a.cond)
                    && a.segs
                        .first()
                        .is_some_and(|s| BINDING_FIELDS.contains(&s.as_str()))
            }) || ix.facts.compares.iter().any(|c| {
                c.sides().iter().any(|s| {
                    s.data.as_ref().is_some_and(|(v, segs)| {
                        v == &d.name
                            && segs
                                .first()
                                .is_some_and(|s| BINDING_FIELDS.contains(&s.as_str()))
                    })
                })
            }) || ix.address_checked(&d.account, cx.index)
                || passed_to_comparing_helper(cx, ix, &d.name);
            if reads && !matched {
                out.push(finding(
                    &RULE,
                    &d.location,
                    format!("token account `{}` is unpacked and read but its owner and mint are never checked", d.account),
                    Some(ix),
                    Some(&d.account),
                ));
            }
        }
    }
}
