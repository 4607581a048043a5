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
//! Also: a generated Anchor client (`callee::cpi::deposit(ctx, ..)`, including
//! clients of another program of the same workspace) called with a
//! `CpiContext` whose program is such an account: the client builds the
//! instruction with the context program's key, so the caller picks the program.
//! And a `token_interface` helper in the same situation (medium: the interface
//! is meant to accept more than one token program).
//!
//! Recommendation: `Program<'info, T>`, or compare the key with the expected
//! id (`spl_token::ID`) before invoking, or build the instruction with the
//! constant id.

use super::{Ctx, Rule, finding};
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

pub(super) fn check(cx: &Ctx<'_, '_>, out: &mut Vec<Finding>) {
    for ix in &cx.program.instructions {
        // Calls that invoke whatever program their `CpiContext` names: the
        // clients Anchor generates for a program (`callee::cpi::deposit`, which
        // build the instruction with the context program's key), and
        // `token_interface` helpers (unlike `anchor_spl::token`, which fixes
        // the token program id).
        for c in &ix.facts.calls {
            let client =
                c.path.len() >= 2 && c.path.iter().rev().nth(1).is_some_and(|s| s == "cpi");
            let interface = c.path.iter().any(|s| s == "token_interface");
            if !client && !interface {
                continue;
            }
            let Some(program) = c.args.first().and_then(|e| ix.context_program(e)) else {
                continue;
            };
            let raw = ix
                .accounts()
                .iter()
                .any(|(n, k, _)| n == &program && k.is_raw());
            if !raw || ix.address_checked(&program, cx.index) {
                continue;
            }
            let callee = ix
                .callee_of_path(&c.path, cx.index, cx.workspace)
                .map(|k| format!(" (a client of the workspace program `{}`)", k.program))
                .unwrap_or_default();
            let mut f = finding(
                &RULE,
                &c.location,
                format!(
                    "`{}` calls `{}`{callee} with the program passed as `{program}`, whose id is never checked",
                    ix.name,
                    c.path.join("::"),
                ),
                Some(ix),
                Some(&program),
            );
            if !client {
                f.severity = Severity::Medium;
            }
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
