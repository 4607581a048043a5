//! `solana-missing-signer`
//!
//! What it detects: an account whose name says it is an authority (`authority`,
//! `admin`, `owner`, `signer`, `manager`, `operator`, `governor`) received as
//! `AccountInfo`/`UncheckedAccount` (or a native `next_account_info`) with no
//! signer check: not `Signer<'info>`, no `signer` constraint, no `is_signer`
//! read in the instruction or in a helper it passes the account to, and not a
//! PDA (`seeds`).
//!
//! Why it matters: anyone can pass the authority's public key without its
//! signature and act as the authority.
//!
//! Example: `authority: AccountInfo<'info>` and the handler trusts it.
//! Recommendation: `Signer<'info>`, or check `authority.is_signer`.

use super::{Ctx, Rule, finding, words};
use crate::extract::{IxData, Side, is_key_seg};
use crate::{Confidence, Finding, Severity};

pub(super) const RULE: Rule = Rule {
    id: "solana-missing-signer",
    title: "Authority account without a signer check",
    severity: Severity::High,
    confidence: Confidence::Medium,
    class: "signer-authorization",
    description: "An account used as an authority is not required to sign the transaction, so anyone can pass its public key and act in its name.",
    recommendation: "Declare the account as `Signer<'info>` (Anchor) or return `MissingRequiredSignature` unless `account.is_signer`.",
};

const AUTHORITY_WORDS: &[&str] = &[
    "authority",
    "admin",
    "owner",
    "signer",
    "manager",
    "operator",
    "governor",
];
/// Words that say the account is a value being set or looked at, not the actor.
const NOT_ACTOR: &[&str] = &[
    "vault",
    "treasury",
    "escrow",
    "fee",
    "pool",
    "market",
    "account",
    "sysvar",
    "rent",
    "clock",
    "new",
    "old",
    "pending",
    "next",
    "proposed",
    "target",
    "mint",
    "program",
    "destination",
    "recipient",
    "receiver",
    "beneficiary",
];

pub(crate) fn authority_like(name: &str) -> bool {
    words(name).any(|w| AUTHORITY_WORDS.contains(&w))
        && !words(name).any(|w| NOT_ACTOR.contains(&w))
}

/// The account's key is bound to a key stored in program state (`has_one`,
/// or compared with a field of account data): the program treats it as the
/// party that state belongs to, whatever its name.
fn bound_to_stored_key(ix: &IxData<'_>, name: &str) -> bool {
    if words(name).any(|w| NOT_ACTOR.contains(&w)) {
        return false;
    }
    let has_one = ix.fields.iter().any(|f| {
        f.constraints
            .iter()
            .any(|c| c.key == "has_one" && c.value_text() == name)
    });
    let is_key = |s: &Side| {
        s.account
            .as_ref()
            .is_some_and(|(a, segs)| a == name && segs.first().is_some_and(|x| is_key_seg(x)))
    };
    let stored = |s: &Side| {
        s.data.as_ref().is_some_and(|(_, segs)| !segs.is_empty())
            || s.account
                .as_ref()
                .is_some_and(|(a, segs)| a != name && segs.first().is_some_and(|x| !is_key_seg(x)))
    };
    has_one
        || ix
            .facts
            .compares
            .iter()
            .chain(ix.cfacts.iter().flat_map(|c| c.compares.iter()))
            .any(|c| {
                let [l, r] = c.sides();
                (is_key(l) && stored(r)) || (is_key(r) && stored(l))
            })
}

/// Every CPI the account is forwarded to passes it in the accounts struct of
/// a workspace program's instruction (`callee::cpi::accounts::Deposit { .. }`)
/// as an account that instruction does not require to sign.
fn callee_ignores_signature(cx: &Ctx<'_, '_>, ix: &IxData<'_>, name: &str) -> bool {
    let fields: Vec<_> = ix
        .facts
        .cpi_fields
        .iter()
        .filter(|f| f.account == name)
        .collect();
    let unsigned = fields
        .iter()
        .filter(|f| {
            let mut path: Vec<String> = Vec::new();
            if let Some(first) = f.path.first()
                && let Some(full) = cx.index.use_aliases.get(first)
            {
                path.extend(full.split("::").map(str::to_owned));
                path.extend(f.path.iter().skip(1).cloned());
            } else {
                path.extend(f.path.iter().cloned());
            }
            let generated = path.len() >= 4
                && path.iter().rev().nth(1).is_some_and(|s| s == "accounts")
                && path.iter().rev().nth(2).is_some_and(|s| s == "cpi");
            let (Some(program), Some(st)) = (path.first(), path.last()) else {
                return false;
            };
            generated
                && cx
                    .workspace
                    .program(program)
                    .and_then(|p| p.by_accounts_struct(st))
                    .is_some_and(|i| i.accounts.iter().any(|(n, s)| n == &f.field && !s))
        })
        .count();
    let forwarded = ix
        .facts
        .accesses
        .iter()
        .filter(|a| a.account == name && a.cpi && !a.signed_cpi)
        .count();
    !fields.is_empty() && unsigned == fields.len() && forwarded <= unsigned
}

pub(super) fn check(cx: &Ctx<'_, '_>, out: &mut Vec<Finding>) {
    for ix in &cx.program.instructions {
        for (name, kind, location) in ix.accounts() {
            if !kind.is_raw() || !(authority_like(&name) || bound_to_stored_key(ix, &name)) {
                continue;
            }
            if ix
                .field(&name)
                .is_some_and(|f| f.has("seeds") || f.has("address"))
            {
                continue;
            }
            // Passed to another program in the same instruction, the callee
            // verifies the signature it needs (the transaction is atomic).
            // A CPI the program signs with PDA seeds does not need the
            // account's signature, so forwarding it there proves nothing.
            // A workspace program whose instruction does not require the
            // account's signature verifies nothing for the caller.
            let forwarded = ix
                .facts
                .accesses
                .iter()
                .any(|a| a.account == name && a.cpi && !a.signed_cpi)
                && !callee_ignores_signature(cx, ix, &name);
            if ix.signer_checked(&name, cx.index)
                || !ix.relies_on(&name)
                || forwarded
                || ix.is_derived_address(&name)
            {
                continue;
            }
            out.push(finding(
                &RULE,
                &location,
                format!(
                    "`{name}` acts as an authority in `{}` but is never required to sign",
                    ix.name
                ),
                Some(ix),
                Some(&name),
            ));
        }
    }
}
