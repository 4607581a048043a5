//! `solana-arbitrary-cpi`
//!
//! What it detects: `invoke`/`invoke_signed` of an instruction whose program
//! id is the key of an account the caller chose (`AccountInfo`,
//! `UncheckedAccount`, native account) and that key is never compared with
//! the expected program id (no `address =`, no `Program<'info, T>`).
//!
//! Why it matters: the caller passes a program of their own, which receives
//! the accounts (and signatures) meant for the real one.
//!
//! Example: `invoke(&spl_token::instruction::transfer(token_program.key, ..)?, ..)` where `token_program: AccountInfo` is never compared with `spl_token::ID`.
//!
//! Also: a `token_interface` helper called with a `CpiContext` whose program is
//! such an account (those helpers invoke the program the context names); medium.
//!
//! Recommendation: `Program<'info, T>`, or compare the key with the expected
//! id (`spl_token::ID`) before invoking, or build the instruction with the
//! constant id.

use syn::Expr;

use super::{Ctx, Rule, finding};
use crate::extract::IxData;
use crate::model::ProgramId;
use crate::{Confidence, Finding, Severity};

pub(super) const RULE: Rule = Rule {
    id: "solana-arbitrary-cpi",
    title: "Cross-program invocation of a caller-chosen program",
    severity: Severity::High,
    confidence: Confidence::Medium,
    class: "arbitrary-cpi",
    description: "A cross-program invocation takes its program id from an account whose key is never checked, so the caller can substitute any program.",
    recommendation: "Declare the program as `Program<'info, T>`, or check its key against the expected program id before `invoke`.",
};

/// The program account of a `CpiContext::new*(program, ..)` expression
/// (through locals and `.with_signer(..)`).
fn context_program(ix: &IxData<'_>, e: &Expr) -> Option<String> {
    let mut e = ix.facts.through_lets(e);
    for _ in 0..8 {
        e = match e {
            Expr::Reference(r) => &r.expr,
            Expr::Paren(p) => &p.expr,
            Expr::MethodCall(m) => ix.facts.through_lets(&m.receiver),
            Expr::Call(c) => {
                let Expr::Path(p) = &*c.func else { return None };
                if !p.path.segments.iter().any(|s| s.ident == "CpiContext") {
                    return None;
                }
                return c.args.first().and_then(|a| ix.facts.account_of(a));
            }
            _ => return None,
        };
    }
    None
}

pub(super) fn check(cx: &Ctx<'_, '_>, out: &mut Vec<Finding>) {
    for ix in &cx.program.instructions {
        // `token_interface` helpers invoke whatever program the context names
        // (unlike `anchor_spl::token`, which fixes the token program id).
        for c in &ix.facts.calls {
            if !c.path.iter().any(|s| s == "token_interface") {
                continue;
            }
            let Some(program) = c.args.first().and_then(|e| context_program(ix, e)) else {
                continue;
            };
            let raw = ix
                .accounts()
                .iter()
                .any(|(n, k, _)| n == &program && k.is_raw());
            if !raw || ix.address_checked(&program, cx.index) {
                continue;
            }
            let mut f = finding(
                &RULE,
                &c.location,
                format!(
                    "`{}` calls `{}` with the program passed as `{program}`, whose id is never checked",
                    ix.name, c.name
                ),
                Some(ix),
                Some(&program),
            );
            f.severity = Severity::Medium;
            out.push(f);
        }
        for c in &ix.facts.calls {
            if !matches!(
                c.name.as_str(),
                "invoke" | "invoke_signed" | "invoke_unchecked" | "invoke_signed_unchecked"
            ) {
                continue;
            }
            let ProgramId::Account(program) = ix.facts.cpi_program_id(c) else {
                continue;
            };
            let raw = ix
                .accounts()
                .iter()
                .any(|(n, k, _)| n == &program && k.is_raw());
            if !raw || ix.address_checked(&program, cx.index) {
                continue;
            }
            out.push(finding(
                &RULE,
                &c.location,
                format!(
                    "`{}` invokes the program passed as `{program}` without checking its id",
                    ix.name
                ),
                Some(ix),
                Some(&program),
            ));
        }
    }
}
