//! `solana-missing-signer`
//!
//! What it detects: an account the program treats as an authority, received
//! as `AccountInfo`/`UncheckedAccount` (or a native `next_account_info`) with
//! no signer check: not `Signer<'info>`, no `signer` constraint, no
//! `is_signer` read in the instruction or in a helper it passes the account
//! to, and not a PDA (`seeds`). Structural evidence (medium confidence): its
//! key is matched with a stored key (`has_one`, `constraint = s.k == x.key()`,
//! `if state.k != *x.key`) that another instruction of the program binds to a
//! signer or writes from a signer's key, in an instruction that changes
//! something and does not pay the account. Weaker (low confidence): bound to
//! any stored key, or named as an authority (`authority`, `admin`, `owner`,
//! `signer`, `manager`, `operator`, `governor`).
//!
//! Why it matters: anyone can pass the authority's public key without its
//! signature and act as the authority.
//!
//! Example: `authority: AccountInfo<'info>` and the handler trusts it.
//! Recommendation: `Signer<'info>`, or check `authority.is_signer`.

use std::collections::HashSet;

use super::{Ctx, Rule, finding, words};
use crate::extract::{IxData, Side, is_key_seg, is_lamports_seg};
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

/// Members of an account the runtime fills in (not program state).
const ACCOUNT_METADATA: &[&str] = &[
    "owner",
    "owner()",
    "lamports",
    "is_signer",
    "is_writable",
    "executable",
    "rent_epoch",
    "data_len",
];

/// The stored keys the account's key is bound to: `has_one = name` (the
/// field of the same name), or a comparison of its key with a field of
/// account data (`state.authority != *name.key`, `constraint = s.admin ==
/// name.key()`). Each is the last member of the stored side.
fn stored_keys_bound(ix: &IxData<'_>, name: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    if ix.fields.iter().any(|f| {
        f.constraints
            .iter()
            .any(|c| c.key == "has_one" && c.value_text() == name)
    }) {
        out.push(name.to_owned());
    }
    let is_key = |s: &Side| {
        s.account
            .as_ref()
            .is_some_and(|(a, segs)| a == name && segs.first().is_some_and(|x| is_key_seg(x)))
    };
    let stored = |s: &Side| -> Option<String> {
        if let Some((_, segs)) = &s.data
            && let Some(last) = segs.iter().rev().find(|x| !is_key_seg(x))
        {
            return Some(last.clone());
        }
        // A field of another account's data (`escrow.initializer_key`), not
        // the runtime's metadata about a raw account (`info.owner` is a
        // program; on a typed token account `owner` is a data field).
        let raw = |a: &str| ix.accounts().iter().any(|(n, k, _)| n == a && k.is_raw());
        match &s.account {
            Some((a, segs))
                if a != name
                    && segs.first().is_some_and(|x| {
                        let metadata = raw(a) && ACCOUNT_METADATA.contains(&x.as_str());
                        !is_key_seg(x) && !metadata
                    }) =>
            {
                segs.iter().rev().find(|x| !is_key_seg(x)).cloned()
            }
            _ => None,
        }
    };
    for c in ix
        .facts
        .compares
        .iter()
        .chain(ix.cfacts.iter().flat_map(|c| c.compares.iter()))
    {
        let [l, r] = c.sides();
        let field = if is_key(l) {
            stored(r)
        } else if is_key(r) {
            stored(l)
        } else {
            None
        };
        if let Some(f) = field
            && !out.contains(&f)
        {
            out.push(f);
        }
    }
    out
}

/// The instruction changes something (writes an account or invokes another
/// program): an instruction with no effect has nothing to authorise.
fn has_effect(ix: &IxData<'_>, cx: &Ctx<'_, '_>) -> bool {
    !ix.cpis(cx.index, cx.workspace).is_empty()
        || ix.accounts().iter().any(|(n, _, _)| ix.writes(n, cx.index))
}

/// The account receives value in the instruction (`close = name`, lamports
/// credited): the stored key names a beneficiary here, not an actor.
fn is_recipient(ix: &IxData<'_>, name: &str) -> bool {
    ix.fields.iter().any(|f| {
        f.constraints
            .iter()
            .any(|c| c.key == "close" && c.value_text() == name)
    }) || ix.facts.assigns.iter().any(|a| {
        a.account.as_deref() == Some(name) && a.segs.first().is_some_and(|s| is_lamports_seg(s))
    })
}

/// Stored keys that some instruction of the program binds to an account it
/// requires to sign, or writes from the key of such an account: the program
/// itself treats the holder of that key as an actor whose signature counts.
fn signer_held_keys(cx: &Ctx<'_, '_>) -> HashSet<String> {
    let mut out = HashSet::new();
    for ix in &cx.program.instructions {
        for (name, _, _) in ix.accounts() {
            if ix.signer_checked(&name, cx.index) {
                out.extend(stored_keys_bound(ix, &name));
                out.extend(
                    ix.facts
                        .key_stores
                        .iter()
                        .filter(|(_, a)| *a == name)
                        .map(|(f, _)| f.clone()),
                );
            }
        }
    }
    out
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
    let held = signer_held_keys(cx);
    for ix in &cx.program.instructions {
        for (name, kind, location) in ix.accounts() {
            if !kind.is_raw() {
                continue;
            }
            let bound = stored_keys_bound(ix, &name);
            // Structural: bound to a stored key another instruction binds to a
            // signer. Weaker: bound to any stored key, or named as an authority.
            let held_key = bound
                .iter()
                .find(|k| held.contains(*k))
                .filter(|_| has_effect(ix, cx) && !is_recipient(ix, &name));
            let named = authority_like(&name);
            let weak_bound = !bound.is_empty() && !words(&name).any(|w| NOT_ACTOR.contains(&w));
            if held_key.is_none() && !named && !weak_bound {
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
            let mut f = finding(
                &RULE,
                &location,
                match (held_key, weak_bound) {
                    (Some(k), _) => format!(
                        "`{name}` is matched with the stored `{k}`, which other instructions require to sign, but `{}` never requires its signature",
                        ix.name
                    ),
                    (None, true) => format!(
                        "`{name}` acts as an authority in `{}` but is never required to sign",
                        ix.name
                    ),
                    (None, false) => format!(
                        "`{name}` is named as an authority in `{}` but is never required to sign",
                        ix.name
                    ),
                },
                Some(ix),
                Some(&name),
            );
            if held_key.is_none() {
                f.confidence = Confidence::Low;
            }
            out.push(f);
        }
    }
}
