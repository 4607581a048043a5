//! `solana-unchecked-arithmetic`
//!
//! What it detects: `+`, `-`, `*` (and `+=`, `-=`, `*=`) on amounts — an
//! operand named like an amount (`amount`, `lamports`, `balance`, `supply`,
//! `fee`, `price`, `reward`, `shares`, `stake`, `deposit`, `debt`, ...) or
//! typed `u64` (parameters and annotated locals) — outside `checked_*`, in a
//! package whose release profile does not set `overflow-checks = true`.
//!
//! Why it matters: release builds wrap on overflow; an underflowing balance
//! becomes huge.
//!
//! Example: `vault.balance -= amount;` in a package without `overflow-checks = true`.
//!
//! Recommendation: `checked_add`/`checked_sub`/`checked_mul` with an error,
//! or `overflow-checks = true` in `[profile.release]`.

use std::collections::HashSet;

use syn::visit::{self, Visit};
use syn::{BinOp, Expr, FnArg, Pat};

use super::{Rule, finding, words};
use crate::extract::{PackageIndex, chain};
use crate::{Confidence, Finding, Location, Options, Severity};

pub(super) const RULE: Rule = Rule {
    id: "solana-unchecked-arithmetic",
    title: "Unchecked arithmetic on amounts",
    severity: Severity::Medium,
    confidence: Confidence::Low,
    class: "arithmetic-overflow",
    description: "Amounts are added, subtracted or multiplied with plain operators; release builds without `overflow-checks` wrap silently.",
    recommendation: "Use `checked_add`/`checked_sub`/`checked_mul` and return an error on `None`, or set `overflow-checks = true` in `[profile.release]`.",
};

const AMOUNT_WORDS: &[&str] = &[
    "amount",
    "amounts",
    "lamports",
    "balance",
    "balances",
    "supply",
    "fee",
    "fees",
    "price",
    "reward",
    "rewards",
    "shares",
    "stake",
    "staked",
    "deposit",
    "deposits",
    "debt",
    "collateral",
    "liquidity",
    "principal",
    "interest",
    "payout",
    "withdrawal",
];

struct Arith<'f> {
    file: &'f str,
    fn_name: String,
    u64_names: HashSet<String>,
    found: Vec<(Location, String)>,
    depth: usize,
}

impl Arith<'_> {
    fn amount_like(&self, e: &Expr) -> Option<String> {
        match e {
            Expr::Paren(p) => return self.amount_like(&p.expr),
            Expr::Cast(c) => {
                let ty = quote::ToTokens::to_token_stream(&c.ty).to_string();
                return (ty == "u64").then(|| "a `u64` cast".to_owned());
            }
            Expr::Lit(_) => return None,
            _ => {}
        }
        let (root, segs) = chain(e)?;
        let name = segs.last().cloned().unwrap_or_else(|| root.clone());
        if segs.is_empty() && self.u64_names.contains(&root) {
            return Some(format!("`{root}`"));
        }
        if matches!(name.as_str(), "len" | "count" | "index") {
            return None;
        }
        words(&name)
            .any(|w| AMOUNT_WORDS.contains(&w))
            .then(|| format!("`{name}`"))
    }
}

impl<'ast> Visit<'ast> for Arith<'_> {
    fn visit_local(&mut self, l: &'ast syn::Local) {
        if let Pat::Type(t) = &l.pat
            && quote::ToTokens::to_token_stream(&t.ty).to_string() == "u64"
            && let Pat::Ident(i) = &*t.pat
        {
            self.u64_names.insert(i.ident.to_string());
        }
        visit::visit_local(self, l);
    }

    fn visit_item(&mut self, _: &'ast syn::Item) {}

    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        for e in crate::extract::macro_args(m) {
            self.visit_expr(&e);
        }
    }

    fn visit_expr(&mut self, e: &'ast Expr) {
        if self.depth > 256 {
            return;
        }
        self.depth += 1;
        match e {
            Expr::MethodCall(m)
                if m.method.to_string().starts_with("checked_")
                    || m.method.to_string().starts_with("saturating_") =>
            {
                // Arguments of a checked operation are still plain expressions.
                visit::visit_expr(self, e);
            }
            Expr::Binary(b)
                if matches!(
                    b.op,
                    BinOp::Add(_)
                        | BinOp::Sub(_)
                        | BinOp::Mul(_)
                        | BinOp::AddAssign(_)
                        | BinOp::SubAssign(_)
                        | BinOp::MulAssign(_)
                ) =>
            {
                let both_lit =
                    matches!(&*b.left, Expr::Lit(_)) && matches!(&*b.right, Expr::Lit(_));
                let float = [&*b.left, &*b.right]
                    .iter()
                    .any(|x| matches!(x, Expr::Lit(l) if matches!(l.lit, syn::Lit::Float(_))));
                let what = self
                    .amount_like(&b.left)
                    .or_else(|| self.amount_like(&b.right));
                match what {
                    Some(what) if !both_lit && !float => {
                        let op = quote::ToTokens::to_token_stream(&b.op).to_string();
                        self.found.push((
                            Location::of(self.file, syn::spanned::Spanned::span(&b.op)),
                            format!(
                                "`{op}` on {what} in `{}` can wrap in release builds",
                                self.fn_name
                            ),
                        ));
                        // Report the outermost operation of a chain once.
                    }
                    _ => visit::visit_expr(self, e),
                }
            }
            _ => visit::visit_expr(self, e),
        }
        self.depth -= 1;
    }
}

pub(super) fn check(index: &PackageIndex<'_>, options: Options, out: &mut Vec<Finding>) {
    if options.overflow_checks {
        return;
    }
    for f in index.fns.iter().filter(|f| !f.is_test) {
        let mut u64_names = HashSet::new();
        for arg in &f.func.inputs {
            if let FnArg::Typed(t) = arg
                && quote::ToTokens::to_token_stream(&t.ty).to_string() == "u64"
                && let Pat::Ident(i) = &*t.pat
            {
                u64_names.insert(i.ident.to_string());
            }
        }
        let mut v = Arith {
            file: f.file,
            fn_name: f.name.clone(),
            u64_names,
            found: Vec::new(),
            depth: 0,
        };
        v.visit_block(f.block);
        for (location, message) in v.found {
            out.push(finding(&RULE, &location, message, None, None));
        }
    }
}
