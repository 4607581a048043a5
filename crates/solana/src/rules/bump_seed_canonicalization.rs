//! `solana-bump-seed-canonicalization`
//!
//! What it detects: a PDA verified with a bump the caller supplies:
//! `create_program_address` whose seeds use an instruction argument, or an
//! Anchor `seeds` constraint with `bump = <instruction argument>` (without
//! `init`, Anchor then derives with that bump as given).
//!
//! Why it matters: several bumps give valid PDAs for the same seeds; the caller
//! picks a non-canonical one and gets a second "unique" account.
//!
//! Example: `Pubkey::create_program_address(&[b"vault", &[bump]], program_id)` with `bump: u8` an instruction argument.
//!
//! Recommendation: `find_program_address` (or bare `bump`) and store the
//! canonical bump; later use the stored value.

use std::collections::HashSet;

use super::{Ctx, Rule, finding};
use crate::extract::vars_of;
use crate::model::BumpSource;
use crate::{Confidence, Finding, Severity};

pub(super) const RULE: Rule = Rule {
    id: "solana-bump-seed-canonicalization",
    title: "PDA derived with a caller-supplied bump",
    severity: Severity::High,
    confidence: Confidence::Medium,
    class: "bump-seed-canonicalization",
    description: "A program address is derived with a bump chosen by the caller instead of the canonical bump, so several addresses pass the check.",
    recommendation: "Derive with `find_program_address` (Anchor: bare `bump`) and store the canonical bump; verify later with the stored bump.",
};

pub(super) fn check(cx: &Ctx<'_, '_>, out: &mut Vec<Finding>) {
    for ix in &cx.program.instructions {
        let args: HashSet<&str> = ix
            .args
            .iter()
            .chain(ix.ix_args.iter())
            .map(String::as_str)
            .collect();
        for c in &ix.facts.calls {
            if c.name != "create_program_address" {
                continue;
            }
            let Some(seeds) = c.args.first() else {
                continue;
            };
            // Identifiers of the seeds, through a few local bindings.
            let mut seen: HashSet<String> = HashSet::new();
            let mut todo = vec![ix.facts.through_lets(seeds).clone()];
            let mut supplied = None;
            while let Some(e) = todo.pop() {
                for id in vars_of(&e) {
                    if !seen.insert(id.clone()) || seen.len() > 200 {
                        continue;
                    }
                    if args.contains(id.as_str()) && id != "program_id" {
                        supplied = Some(id.clone());
                    }
                    if let Some(init) = ix.facts.lets.get(&id) {
                        todo.push(init.clone());
                    }
                }
            }
            // The argument compared with the canonical bump first is the canonical bump.
            let canonical = ix
                .facts
                .calls
                .iter()
                .any(|c| c.name.contains("find_program_address"))
                && supplied.as_ref().is_some_and(|arg| {
                    ix.facts
                        .compares
                        .iter()
                        .any(|c| c.sides().iter().any(|s| &s.text == arg))
                });
            if canonical {
                continue;
            }
            if let Some(arg) = supplied {
                out.push(finding(
                    &RULE,
                    &c.location,
                    format!("`create_program_address` in `{}` uses seeds from the instruction argument `{arg}` (the caller chooses the bump)", ix.name),
                    Some(ix),
                    None,
                ));
            }
        }
        for f in &ix.fields {
            if f.has("seeds")
                && !f.has("init")
                && let BumpSource::Supplied(b) = ix.bump_source(f)
            {
                out.push(finding(
                    &RULE,
                    &f.location,
                    format!("`{}` is checked with `bump = {b}`, an instruction argument the caller chooses", f.name),
                    Some(ix),
                    Some(&f.name),
                ));
            }
        }
    }
}
