//! `solana-account-revival`
//!
//! What it detects: an account closed by hand (its lamports set to zero)
//! without making the closure final: the account is neither handed back to
//! the system program (`assign`) or shrunk to zero (`realloc`/`resize`), nor
//! zero-filled; for Anchor data accounts, also not marked with the closed
//! discriminator, or marked while no instruction lets anyone defund accounts
//! so marked (a refund in the same transaction keeps it alive).
//!
//! Why it matters: the "closed" account is refunded within the transaction and
//! survives with its old data, to be used again (rent, rewards, re-entry).
//!
//! Example: `**acct.lamports.borrow_mut() = 0;` moving the lamports away and nothing else.
//!
//! Recommendation: Anchor `close = destination`; by hand, move the lamports,
//! then zero the data and write the closed discriminator, or `assign` to the
//! system program and `realloc(0)`.

use super::{Ctx, Rule, finding};
use crate::extract::is_lamports_seg;
use crate::model::{AccountKind, ProgramKind};
use crate::{Confidence, Finding, Severity};

pub(super) const RULE: Rule = Rule {
    id: "solana-account-revival",
    title: "Closed account can be revived",
    severity: Severity::High,
    confidence: Confidence::Medium,
    class: "closing-accounts",
    description: "An account is closed by draining its lamports without clearing its data (and, for Anchor accounts, marking it closed), so it can be refunded in the same transaction and used again.",
    recommendation: "Use Anchor `close = destination`, or after moving the lamports zero the data and write the closed-account discriminator (or assign the account to the system program and shrink it to zero).",
};

const MARKER: &str = "CLOSED_ACCOUNT_DISCRIMINATOR";

pub(super) fn check(cx: &Ctx<'_, '_>, out: &mut Vec<Finding>) {
    let defund_exists = cx.any_ix(|ix| {
        ix.facts
            .compares
            .iter()
            .any(|c| c.left.text.contains(MARKER) || c.right.text.contains(MARKER))
    });
    for ix in &cx.program.instructions {
        let defunds = ix
            .facts
            .compares
            .iter()
            .any(|c| c.left.text.contains(MARKER) || c.right.text.contains(MARKER));
        if defunds {
            continue;
        }
        // Drains: `**x.lamports.borrow_mut() = 0`, `x.set_lamports(0)`,
        // `x.sub_lamports(x.lamports())`.
        let mut drains: Vec<(String, crate::Location)> = Vec::new();
        for a in &ix.facts.assigns {
            if let Some(account) = &a.account
                && a.rhs_zero
                && a.segs.first().is_some_and(|s| is_lamports_seg(s))
            {
                drains.push((account.clone(), a.location.clone()));
            }
        }
        for c in &ix.facts.calls {
            let Some(account) = c.receiver.as_ref().and_then(|r| ix.facts.account_of(r)) else {
                continue;
            };
            let drained = match c.name.as_str() {
                "set_lamports" => c
                    .args
                    .first()
                    .is_some_and(|a| quote::ToTokens::to_token_stream(a).to_string() == "0"),
                "sub_lamports" => c.args.first().is_some_and(|a| {
                    ix.facts.account_of(a).as_deref() == Some(account.as_str())
                        && quote::ToTokens::to_token_stream(a)
                            .to_string()
                            .contains("lamports")
                }),
                _ => false,
            };
            if drained {
                drains.push((account, c.location.clone()));
            }
        }
        let mut seen: Vec<&str> = Vec::new();
        for (account, location) in &drains {
            let account = account.as_str();
            if seen.contains(&account) {
                continue;
            }
            seen.push(account);
            let cleared = ix.facts.helper(cx.index, account).clears
                || ix.facts.accesses.iter().any(|x| {
                    x.account == account
                        && x.segs
                            .iter()
                            .any(|s| matches!(s.as_str(), "assign" | "realloc" | "resize"))
                });
            if cleared {
                continue;
            }
            let zeroed = ix.facts.zero_fill && ix.writes_data(account);
            let marked = ix.facts.idents.contains(MARKER);
            let anchor_data = ix.field(account).is_some_and(|f| {
                matches!(f.kind, AccountKind::Account | AccountKind::AccountLoader)
            }) || (cx.program.kind == ProgramKind::Anchor
                && ix.fields.is_empty());
            let problem = if !zeroed {
                Some("its data is not zeroed")
            } else if anchor_data && !marked {
                Some("it is not marked with the closed-account discriminator")
            } else if anchor_data && !defund_exists {
                Some(
                    "no instruction lets anyone defund accounts marked closed, so a refund in the same transaction revives it",
                )
            } else {
                None
            };
            if let Some(problem) = problem {
                out.push(finding(
                    &RULE,
                    location,
                    format!(
                        "`{}` closes `{account}` by draining its lamports but {problem}",
                        ix.name
                    ),
                    Some(ix),
                    Some(account),
                ));
            }
        }
    }
}
