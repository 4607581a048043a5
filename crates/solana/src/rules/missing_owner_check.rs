//! `solana-missing-owner-check`
//!
//! What it detects: the data of an `AccountInfo`/`UncheckedAccount` (or native
//! account) is deserialised while nothing establishes who owns the account: no
//! `account.owner` read, no `owner =` constraint, no comparison of its key with
//! a known address, no `Account::try_from`, and the instruction does not write
//! the account's data (the runtime rejects writes to accounts the program does
//! not own, which would prove ownership).
//!
//! Why it matters: an attacker creates an account with the same layout under
//! a program they control and feeds it arbitrary data.
//!
//! Example: `let cfg = Config::try_from_slice(&cfg_info.data.borrow())?;` with no `cfg_info.owner` comparison.
//!
//! Recommendation: `Account<'info, T>` (Anchor checks the owner) or compare
//! `account.owner` with the expected program id before reading.

use super::{Ctx, Rule, finding};
use crate::{Confidence, Finding, Severity};

pub(super) const RULE: Rule = Rule {
    id: "solana-missing-owner-check",
    title: "Account data read without an owner check",
    severity: Severity::High,
    confidence: Confidence::Medium,
    class: "owner-checks",
    description: "Account data is deserialised from an account whose owner is never checked, so an account forged under another program is accepted.",
    recommendation: "Use `Account<'info, T>` or compare `account.owner` with the expected program id (for example `spl_token::ID`) before trusting the data.",
};

pub(super) fn check(cx: &Ctx<'_, '_>, out: &mut Vec<Finding>) {
    for ix in &cx.program.instructions {
        let accounts = ix.accounts();
        let mut seen: Vec<&str> = Vec::new();
        for d in &ix.facts.data_vars {
            if seen.contains(&d.account.as_str()) {
                continue;
            }
            seen.push(&d.account);
            let raw = accounts
                .iter()
                .any(|(n, k, _)| n == &d.account && k.is_raw());
            if !raw
                || ix.owner_checked(&d.account, cx.index)
                || ix.address_checked(&d.account, cx.index)
                || ix.stores_data(&d.account)
            {
                continue;
            }
            out.push(finding(
                &RULE,
                &d.location,
                format!(
                    "`{}` is deserialised{} without checking which program owns it",
                    d.account,
                    if d.ty.is_empty() {
                        String::new()
                    } else {
                        format!(" as `{}`", d.ty)
                    }
                ),
                Some(ix),
                Some(&d.account),
            ));
        }
    }
}
