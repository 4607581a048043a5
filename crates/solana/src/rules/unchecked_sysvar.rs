//! `solana-unchecked-sysvar`
//!
//! What it detects: an `AccountInfo`/`UncheckedAccount` (or native account)
//! used as a sysvar — its data deserialised as a sysvar type (`Rent`,
//! `Clock`, `SlotHashes`, ...) or given to the instruction-sysvar readers that
//! do not check the address (`load_instruction_at`, `load_current_index`) —
//! whose address is never checked: not `Sysvar<'info, T>`, no `address =`, no
//! key comparison, not read with a checking accessor
//! (`Rent::from_account_info`, `load_instruction_at_checked`, ...). An account
//! only named after a sysvar (`rent`, `clock`, `instructions`, `*_sysvar`,
//! `slot_hashes`, ...) and relied on is reported with low confidence.
//!
//! Why it matters: the caller passes an account of their own with forged
//! sysvar contents (for example a fake instructions sysvar).
//!
//! Example: `rent: AccountInfo<'info>` read as the rent sysvar with no `address = sysvar::rent::ID`.
//!
//! Recommendation: `Sysvar<'info, T>`, `address = sysvar::x::ID`, or the
//! checked accessors.

use super::{Ctx, Rule, finding, words};
use crate::{Confidence, Finding, Severity};

pub(super) const RULE: Rule = Rule {
    id: "solana-unchecked-sysvar",
    title: "Sysvar account not checked by address",
    severity: Severity::High,
    confidence: Confidence::Medium,
    class: "sysvar-address-checking",
    description: "An account used as a sysvar is never checked against the sysvar's address, so a forged account with chosen contents is accepted.",
    recommendation: "Declare `Sysvar<'info, T>`, add `address = sysvar::<name>::ID`, or read it with `T::from_account_info` / the `*_checked` instruction-sysvar accessors.",
};

const SYSVAR_FIRST: &[&str] = &["rent", "clock", "instructions", "sysvar"];
const SYSVAR_NAMES: &[&str] = &[
    "slot_hashes",
    "recent_blockhashes",
    "stake_history",
    "epoch_schedule",
    "slot_history",
    "epoch_rewards",
    "last_restart_slot",
    "instructions_sysvar",
    "instruction_sysvar",
    "ix_sysvar",
];

/// Sysvar types (read from an account with a deserialiser).
const SYSVAR_TYPES: &[&str] = &[
    "Rent",
    "Clock",
    "EpochSchedule",
    "SlotHashes",
    "StakeHistory",
    "Instructions",
    "Fees",
    "RecentBlockhashes",
    "SlotHistory",
    "EpochRewards",
    "LastRestartSlot",
];

/// Instruction-sysvar readers that do not check the account's address.
const UNCHECKED_READERS: &[&str] = &["load_instruction_at", "load_current_index"];

fn sysvar_like(name: &str) -> bool {
    words(name)
        .next()
        .is_some_and(|w| SYSVAR_FIRST.contains(&w))
        || words(name).any(|w| w == "sysvar")
        || SYSVAR_NAMES.iter().any(|s| name.contains(s))
}

pub(super) fn check(cx: &Ctx<'_, '_>, out: &mut Vec<Finding>) {
    for ix in &cx.program.instructions {
        for (name, kind, location) in ix.accounts() {
            // Whatever its name: read as a sysvar type, or handed to the
            // unchecked instruction-sysvar readers.
            let used_as_sysvar = ix.facts.data_vars.iter().any(|d| {
                d.account == name && SYSVAR_TYPES.contains(&d.ty.rsplit("::").next().unwrap_or(""))
            }) || ix.facts.calls.iter().any(|c| {
                UNCHECKED_READERS.contains(&c.name.as_str())
                    && c.args.iter().any(|a| {
                        ix.facts.account_of(a).as_deref() == Some(name.as_str())
                            || ix.facts.account_of(ix.facts.through_lets(a)).as_deref()
                                == Some(name.as_str())
                    })
            });
            if !kind.is_raw()
                || !(sysvar_like(&name) || used_as_sysvar)
                || !ix.relies_on(&name)
                || ix.address_checked(&name, cx.index)
            {
                continue;
            }
            let read_checked = ix.facts.calls.iter().any(|c| {
                (c.name.ends_with("from_account_info") || c.name.ends_with("_checked"))
                    && !c.name.contains("unchecked")
                    && c.args
                        .iter()
                        .chain(c.receiver.iter())
                        .any(|a| ix.facts.account_of(a).as_deref() == Some(name.as_str()))
            });
            if read_checked {
                continue;
            }
            let mut f = finding(
                &RULE,
                &location,
                if used_as_sysvar {
                    format!(
                        "`{name}` is read as a sysvar in `{}` but is not checked against the sysvar address",
                        ix.name
                    )
                } else {
                    format!(
                        "`{name}` is named as a sysvar in `{}` but is not checked against the sysvar address",
                        ix.name
                    )
                },
                Some(ix),
                Some(&name),
            );
            // The name alone is weak evidence (kept because a handler that
            // only looks at a raw `rent` account reads nothing we can type).
            if !used_as_sysvar {
                f.confidence = Confidence::Low;
            }
            out.push(f);
        }
    }
}
