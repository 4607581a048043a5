use semantics::{Builtin, CallKind, Declaration, FunctionId, LowLevelKind};
use syntax::Span;
use syntax::ast::{Ast, ExprId, ExprKind, StmtKind};

use crate::analysis::call_results::{CallResults, Unchecked, walk_stmts};
use crate::declare::declare_detector;
use crate::detector::{Detector, FileContext};
use crate::finding::Finding;
use crate::meta::{Confidence, DetectorMeta, Severity};

declare_detector! {
    /// ## What it detects
    /// A low-level `call`, `delegatecall`, `callcode` or `staticcall` whose success flag
    /// is never acted on: the call is an expression statement, or the flag is stored in a
    /// local variable that nothing reads afterwards (no condition, `require`, `return`,
    /// argument or assignment uses it, as decided by def-use chains), or is only copied
    /// into other locals (`bool ok = success;`) that nothing checks either (unread, only
    /// logged, or tested by conditions that decide nothing). Both the legacy
    /// form (`to.call.value(v)(data)`) and the modern one
    /// (`(bool ok, ) = to.call{value: v}("")`) are covered.
    ///
    /// It also reports the legacy statement `to.call.value(v);`, which only prepares the
    /// call and never makes it.
    ///
    /// Reported at low severity: measured on real mainnet code, most ignored results are
    /// deliberate (payout queues that skip a recipient who refuses ether, refunds of the
    /// caller's own payment, notifications whose failure does not matter).
    ///
    /// In Vyper: `raw_call(..., revert_on_failure=False)` as a statement of its own, or
    /// whose success flag is assigned to locals none of which is read afterwards.
    ///
    /// ## Why it matters
    /// Low-level calls do not revert when the callee fails: they return `false`. Code that
    /// ignores the flag carries on as if the ether or the message had arrived, e.g. it
    /// marks a withdrawal as paid, counts tokens as sent, or lets the contract's books
    /// drift from its real balance.
    ///
    /// ## Example
    /// ```solidity
    /// function withdraw(uint256 amount) external {
    ///     balances[msg.sender] -= amount;
    ///     msg.sender.call{value: amount}("");   // reported: a failure keeps the ether here
    /// }
    /// ```
    ///
    /// ## Recommendation
    /// Check the flag: `(bool ok, ) = to.call{value: v}(""); require(ok);`, or use a
    /// helper that reverts on failure (OpenZeppelin's `Address.sendValue` /
    /// `Address.functionCall`).
    pub(crate) struct UncheckedLowLevelCall;
}

static META: DetectorMeta = DetectorMeta {
    id: "unchecked-low-level-call",
    title: "Unchecked low-level call",
    severity: Severity::Low,
    confidence: Confidence::Low,
    swc: Some("SWC-104"),
    category: "unchecked_low_level_calls",
    description: "The success flag of a low-level call is never checked, so a failed call goes unnoticed",
    recommendation: "Check the returned flag (`require(ok)`) or use a helper that reverts on failure",
    references: &[
        "https://swcregistry.io/docs/SWC-104",
        "https://docs.soliditylang.org/en/latest/security-considerations.html#call-stack-depth",
    ],
    doc: UncheckedLowLevelCall::DOC,
};

impl Detector for UncheckedLowLevelCall {
    fn meta(&self) -> &'static DetectorMeta {
        &META
    }

    fn check_vyper(&self, cx: &crate::vyper_analysis::VyperContext<'_>, out: &mut Vec<Finding>) {
        crate::vyper_analysis::checks::unchecked_raw_call(cx, &META, out);
    }

    fn supports_vyper(&self) -> bool {
        true
    }

    fn check_file(&self, cx: &FileContext<'_>, out: &mut Vec<Finding>) {
        let model = cx.model();
        let ast = cx.ast();
        for (f, info) in cx.functions() {
            let mut results = None;
            for site in model.calls(f) {
                let CallKind::LowLevel { kind, .. } = site.kind else {
                    continue;
                };
                if matches!(kind, LowLevelKind::Send | LowLevelKind::Transfer) {
                    continue;
                }
                let Some(call) = site.expr else { continue };
                let results = results.get_or_insert_with(|| CallResults::of(model, ast, f));
                let Some((span, why)) = results.unchecked_flag_through(model, ast, cx.file, call)
                else {
                    continue;
                };
                let what = format!("the success flag of `{}`", call_target_text(cx, ast, call));
                let finding = unchecked_finding(cx, &META, f, span, &what, why);
                out.push(finding);
            }
            // `to.call.value(v);`: the call is prepared, never made.
            let Some(body) = ast.item(info.item.item).as_function().and_then(|d| d.body) else {
                continue;
            };
            walk_stmts(ast, body, &mut Vec::new(), &mut |s, _| {
                if let StmtKind::Expr(e) = &ast.stmt(s).kind
                    && let Some(name) = prepared_low_level_call(cx, ast, ast.skip_parens(*e))
                {
                    let text = cx.snippet(ast.expr(*e).span).trim();
                    out.push(cx.finding(
                        &META,
                        Some(f),
                        ast.stmt(s).span,
                        format!("`{text}` only prepares the `{name}`: it is never made and nothing checks it"),
                    ));
                }
            });
        }
    }
}

/// A finding for a result that is not acted on; `what` names it ("the result of `x.send`").
pub(crate) fn unchecked_finding(
    cx: &FileContext<'_>,
    meta: &'static DetectorMeta,
    f: FunctionId,
    span: Span,
    what: &str,
    why: Unchecked,
) -> Finding {
    match why {
        Unchecked::Dropped => cx.finding(meta, Some(f), span, format!("{what} is not checked")),
        Unchecked::Unread(name, at) => cx
            .finding(
                meta,
                Some(f),
                span,
                format!("{what} is stored in `{name}` but never checked"),
            )
            .with_secondary(cx.file, at, format!("`{name}` is never read")),
        Unchecked::DecidesNothing(cond) => cx
            .finding(
                meta,
                Some(f),
                span,
                format!("{what} is tested, but every outcome runs the same code"),
            )
            .with_secondary(cx.file, cond, "this test decides nothing"),
        Unchecked::OnlyLogged(log) => cx
            .finding(
                meta,
                Some(f),
                span,
                format!("{what} is only logged, never checked"),
            )
            .with_secondary(cx.file, log, "logged here, and the code goes on either way"),
    }
}

/// The callee of a call as written, shortened: `to.call`, `whale.call.value(amount)`.
pub(crate) fn call_target_text(cx: &FileContext<'_>, ast: &Ast, call: ExprId) -> String {
    let text = match &ast.expr(call).kind {
        ExprKind::Call { callee, .. } => cx.snippet(ast.expr(*callee).span),
        _ => cx.snippet(ast.expr(call).span),
    };
    let one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() > 60 {
        let short: String = one_line.chars().take(57).collect();
        format!("{short}...")
    } else {
        one_line
    }
}

/// For `to.call.value(v)` or `to.call.gas(g).value(v)` used as a whole statement: the
/// low-level member (`call`, `delegatecall`, `callcode`) that is never invoked.
fn prepared_low_level_call(cx: &FileContext<'_>, ast: &Ast, e: ExprId) -> Option<&'static str> {
    let model = cx.model();
    let mut e = e;
    // Bounded by the parser's nesting cap: each step goes one level down.
    loop {
        let (callee, _) = ast.expr(e).as_call()?;
        let callee = ast.skip_parens(callee);
        let (base, _) = ast.expr(callee).as_member_access()?;
        match model.declaration(cx.file, callee)? {
            Declaration::Builtin(Builtin::FunctionValue | Builtin::FunctionGas) => {
                let base = ast.skip_parens(base);
                match model.declaration(cx.file, base) {
                    Some(Declaration::Builtin(b)) => {
                        return match b {
                            Builtin::AddressCall => Some("call"),
                            Builtin::AddressDelegatecall => Some("delegatecall"),
                            Builtin::AddressCallcode => Some("callcode"),
                            _ => None,
                        };
                    }
                    _ => e = base,
                }
            }
            _ => return None,
        }
    }
}
