//! `solana-pda-sharing`
//!
//! What it detects: a CPI signed with PDA seeds (`invoke_signed`,
//! `CpiContext::new_with_signer`, `.with_signer`) whose seeds name no account
//! of the instruction other than mints, programs and sysvars: only constants,
//! the bump, and values such as a pool's mint.
//!
//! Why it matters: the same PDA then signs for every user or pool that shares
//! those seeds; one user's instruction can move another's funds.
//!
//! Example: `invoke_signed(.., &[&[b"vault", &[bump]]])`: one vault authority for everybody.
//!
//! Recommendation: include the key of the account the authority is for (the
//! user, the pool, the withdraw destination) in the seeds.

use std::collections::HashSet;

use syn::Expr;

use super::missing_signer::authority_like;
use super::{Ctx, Rule, finding};
use crate::extract::{IxData, chain, vars_of};
use crate::model::AccountKind;
use crate::{Confidence, Finding, Severity};

pub(super) const RULE: Rule = Rule {
    id: "solana-pda-sharing",
    title: "PDA signer seeds bind no user or pool account",
    severity: Severity::Medium,
    confidence: Confidence::Low,
    class: "pda-sharing",
    description: "A PDA signs a cross-program invocation with seeds that do not include the account it acts for, so the same PDA signs for every user sharing those seeds.",
    recommendation: "Derive the signing PDA from the key of the account it controls or acts for (user, pool, destination), not only from constants or a mint.",
};

fn binding_accounts(ix: &IxData<'_>) -> HashSet<String> {
    ix.accounts()
        .into_iter()
        .filter(|(name, kind, _)| {
            let field = ix.field(name);
            !matches!(kind, AccountKind::Program | AccountKind::Sysvar)
                && !name.contains("mint")
                && !name.contains("program")
                && field.is_none_or(|f| f.inner.as_deref() != Some("Mint"))
        })
        .map(|(name, _, _)| name)
        .collect()
}

fn seeds_bind(ix: &IxData<'_>, seeds: &Expr, binding: &HashSet<String>) -> bool {
    let mut todo = vec![ix.facts.through_lets(seeds).clone()];
    let mut seen: HashSet<String> = HashSet::new();
    let mut steps = 0;
    while let Some(e) = todo.pop() {
        steps += 1;
        if steps > 64 {
            return true;
        }
        struct Chains<'f> {
            f: &'f dyn Fn(&Expr) -> bool,
            hit: bool,
        }
        impl<'ast> syn::visit::Visit<'ast> for Chains<'_> {
            fn visit_expr(&mut self, e: &'ast Expr) {
                // Whole chains only: `ctx.accounts.pool.mint` is not `ctx.accounts.pool`.
                if chain(e).is_some() {
                    self.hit |= (self.f)(e);
                } else {
                    syn::visit::visit_expr(self, e);
                }
            }
        }
        let test = |x: &Expr| {
            if let Some((account, rest)) = ix.facts.account_target(x) {
                return match rest.first().map(String::as_str) {
                    // The account's own key.
                    None | Some("key" | "as_ref" | "to_bytes" | "unsigned_key" | "signer_key") => {
                        binding.contains(&account)
                    }
                    // A key stored in its data: binds when named after an
                    // account of the instruction or an authority.
                    // A value stored in a user or pool account binds the PDA
                    // to what it identifies; a mint is shared by every pool of
                    // that mint, and a bump, nonce or seed identifies nothing.
                    Some(field) => {
                        !(field.contains("bump")
                            || field.contains("nonce")
                            || field.contains("seed")
                            || field.contains("mint"))
                            && (binding.contains(&account)
                                || binding.contains(field)
                                || authority_like(field))
                    }
                };
            }
            // `pool.withdraw_destination` on a local copy of account data.
            chain(x).is_some_and(|(_, segs)| segs.iter().any(|s| binding.contains(s)))
        };
        let mut v = Chains {
            f: &test,
            hit: false,
        };
        syn::visit::Visit::visit_expr(&mut v, &e);
        if v.hit {
            return true;
        }
        for id in vars_of(&e) {
            // Seeds handed in by the caller (a helper's parameter): unknown here.
            if ix.args.contains(&id) && !ix.facts.lets.contains_key(&id) {
                return true;
            }
            if seen.insert(id.clone())
                && let Some(init) = ix.facts.lets.get(&id)
            {
                todo.push(init.clone());
            }
        }
    }
    false
}

pub(super) fn check(cx: &Ctx<'_, '_>, out: &mut Vec<Finding>) {
    for ix in &cx.program.instructions {
        let binding = binding_accounts(ix);
        for c in &ix.facts.calls {
            let seeds = match c.name.as_str() {
                "invoke_signed" | "invoke_signed_unchecked" | "new_with_signer" => c.args.get(2),
                "with_signer" => c.args.first(),
                _ => None,
            };
            let Some(seeds) = seeds else { continue };
            // `invoke_signed(.., &[])`: no PDA signs.
            let mut inner = ix.facts.through_lets(seeds);
            while let Expr::Reference(r) = inner {
                inner = &r.expr;
            }
            if matches!(inner, Expr::Array(a) if a.elems.is_empty()) {
                continue;
            }
            if seeds_bind(ix, seeds, &binding) {
                continue;
            }
            out.push(finding(
                &RULE,
                &c.location,
                format!("the PDA signing in `{}` is derived from seeds that name no user or pool account", ix.name),
                Some(ix),
                None,
            ));
        }
    }
}
