//! `solana-reinitialization`
//!
//! What it detects: (1) `init_if_needed` on an account whose state the
//! instruction never tests; (2) a manual initialiser (a function named
//! `init*`, or one that stores an authority into the account) that
//! deserialises account data, writes it back, and never tests anything of
//! the loaded state (an `is_initialized` flag, a discriminator, empty data).
//!
//! Why it matters: calling the initialiser again on a live account resets it,
//! for example replacing its authority with the caller.
//!
//! Example: `fn initialize` that deserialises `state`, sets `state.authority = signer.key()` and serialises it back, with no `is_initialized` test.
//!
//! Recommendation: Anchor `init` (fails on an existing account), or check an
//! initialised flag before writing.

use super::{Ctx, Rule, finding, words};
use crate::extract::is_lamports_seg;
use crate::model::AccountKind;
use crate::{Confidence, Finding, Severity};

pub(super) const RULE: Rule = Rule {
    id: "solana-reinitialization",
    title: "Account can be initialised again",
    severity: Severity::High,
    confidence: Confidence::Medium,
    class: "initialization",
    description: "An initialiser writes account state without checking that the account is not initialised yet, so it can be called again to overwrite live state.",
    recommendation: "Use Anchor `init` instead of `init_if_needed`, or keep an `is_initialized` flag (or discriminator) and refuse to initialise when it is set.",
};

const STATE_READS: &[&str] = &[
    "key",
    "to_account_info",
    "is_signer",
    "owner",
    "clone",
    "is_writable",
];

pub(super) fn check(cx: &Ctx<'_, '_>, out: &mut Vec<Finding>) {
    for ix in &cx.program.instructions {
        for f in &ix.fields {
            if !f.has("init_if_needed") {
                continue;
            }
            let guarded = ix.facts.accesses.iter().any(|a| {
                a.account == f.name
                    && a.cond
                    && a.segs
                        .first()
                        .is_some_and(|s| !STATE_READS.contains(&s.as_str()))
            });
            if !guarded {
                let mut fnd = finding(
                    &RULE,
                    &f.location,
                    format!(
                        "`{}` is `init_if_needed` and `{}` never checks whether it was already initialised",
                        f.name, ix.name
                    ),
                    Some(ix),
                    Some(&f.name),
                );
                fnd.severity = Severity::Medium;
                out.push(fnd);
            }
        }
        let init_name =
            words(&ix.name).any(|w| w.starts_with("init") || w == "create" || w == "setup");
        // An initialiser that fills an existing typed account (no `init`) by hand.
        if init_name {
            for f in &ix.fields {
                let typed = matches!(f.kind, AccountKind::Account | AccountKind::AccountLoader);
                if !typed || f.has("init") || f.has("init_if_needed") || f.has("zero") {
                    continue;
                }
                let filled = ix.facts.assigns.iter().any(|a| {
                    a.account.as_deref() == Some(f.name.as_str())
                        && a.segs.first().is_some_and(|s| !is_lamports_seg(s))
                });
                let guarded = f.has("has_one")
                    || f.has("constraint")
                    || ix.facts.accesses.iter().any(|a| {
                        a.account == f.name
                            && a.cond
                            && a.segs
                                .first()
                                .is_some_and(|s| !STATE_READS.contains(&s.as_str()))
                    });
                // Updating (`count = count + 1`) reads the old state; filling does not.
                let reads_state = ix.facts.accesses.iter().any(|a| {
                    a.account == f.name
                        && !a.lhs
                        && a.segs
                            .first()
                            .is_some_and(|s| !STATE_READS.contains(&s.as_str()))
                });
                if filled && !guarded && !reads_state {
                    out.push(finding(
                        &RULE,
                        &f.location,
                        format!(
                            "`{}` fills the existing account `{}` without `init` and without checking that it is not initialised already",
                            ix.name, f.name
                        ),
                        Some(ix),
                        Some(&f.name),
                    ));
                }
            }
        }
        for d in &ix.facts.data_vars {
            let accesses: Vec<_> = ix
                .facts
                .data_accesses
                .iter()
                .filter(|a| a.var == d.name)
                .collect();
            let sets_authority = accesses.iter().any(|a| {
                a.lhs
                    && a.segs
                        .first()
                        .is_some_and(|s| super::missing_signer::authority_like(s))
            });
            // Filling every value it stores without reading any of the old
            // ones is what an initialiser does, whatever its name.
            let fills = accesses.iter().any(|a| a.lhs)
                && !accesses.iter().any(|a| {
                    !a.lhs
                        && a.segs.first().is_some_and(|s| {
                            !matches!(
                                s.as_str(),
                                "serialize" | "try_serialize" | "pack" | "pack_into_slice"
                            )
                        })
                });
            if !(init_name || sets_authority || fills) || !ix.stores_data(&d.account) {
                continue;
            }
            let tested = accesses.iter().any(|a| a.cond || a.cmp)
                || ix.facts.accesses.iter().any(|a| {
                    a.account == d.account
                        && a.cond
                        && a.segs
                            .first()
                            .is_some_and(|s| !STATE_READS.contains(&s.as_str()))
                });
            if tested {
                continue;
            }
            out.push(finding(
                &RULE,
                &d.location,
                format!(
                    "`{}` initialises `{}` without checking that it is not initialised already",
                    ix.name, d.account
                ),
                Some(ix),
                Some(&d.account),
            ));
        }
    }
}
