use semantics::{Builtin, Declaration};
use syntax::ast::ExprKind;

use semantics::FunctionId;
use syntax::ast::Ast;

use crate::analysis::access::{
    body_span, checked_in_body, def_of, exprs_within, header_span, is_open_entry, open_entries,
    privileged_writes_of,
};
use crate::declare::declare_detector;
use crate::detector::{Detector, FileContext};
use crate::finding::Finding;
use crate::meta::{Confidence, DetectorMeta, Severity};

declare_detector! {
    /// ## What it detects
    /// A public or external function (before 0.5 also one without visibility) that
    /// reaches `selfdestruct` or `suicide`, directly or through internal calls, without
    /// an access check on the way: no `onlyOwner`-style modifier, no
    /// `require(msg.sender == owner)` and no role lookup in the function or in the
    /// internal function holding the call. Constructors are not reported.
    ///
    /// Calibration: on the triage set of real mainnet contracts (`bench/triage/`),
    /// 1 of 8 findings were right when this severity and confidence were set
    /// (`docs/benchmarks.md`, Precision).
    ///
    /// In Vyper: an `@external` function with no caller check (`assert msg.sender == ...`,
    /// an allow-list, or a guarded internal function it calls) that reaches `selfdestruct`.
    ///
    /// ## Why it matters
    /// Anyone can destroy the contract: its code is removed (before the Cancun upgrade)
    /// and its whole ether balance goes to an address the caller may choose. Every
    /// contract relying on it breaks for good.
    ///
    /// ## Example
    /// ```solidity
    /// function close() public {          // reported: anyone can call it
    ///     selfdestruct(msg.sender);
    /// }
    /// ```
    ///
    /// ## Recommendation
    /// Restrict the function to the owner or a governance role (`onlyOwner`), or
    /// remove the ability to self-destruct.
    pub(crate) struct UnprotectedSelfdestruct;
}

static META: DetectorMeta = DetectorMeta {
    id: "unprotected-selfdestruct",
    title: "Anyone can destroy the contract",
    severity: Severity::Low,
    confidence: Confidence::Low,
    swc: Some("SWC-106"),
    category: "access_control",
    description: "`selfdestruct` is reachable from a function anyone can call, without an access check",
    recommendation: "Restrict the function to a privileged caller, or remove `selfdestruct`",
    references: &["https://swcregistry.io/docs/SWC-106"],
    doc: UnprotectedSelfdestruct::DOC,
};

impl Detector for UnprotectedSelfdestruct {
    fn meta(&self) -> &'static DetectorMeta {
        &META
    }

    fn check_vyper(&self, cx: &crate::vyper_analysis::VyperContext<'_>, out: &mut Vec<Finding>) {
        crate::vyper_analysis::checks::unprotected_selfdestruct(cx, &META, out);
    }

    fn supports_vyper(&self) -> bool {
        true
    }

    fn check_file(&self, cx: &FileContext<'_>, out: &mut Vec<Finding>) {
        let model = cx.model();
        let ast = cx.ast();
        for (entry, reach) in open_entries(cx) {
            let Some(entry_def) = def_of(ast, model, entry) else {
                continue;
            };
            let Some(kill) = find_kill(cx, ast, &reach, true) else {
                continue;
            };
            let name = model.function(entry).name.as_str();
            let shown = if name.is_empty() {
                "the fallback function"
            } else {
                name
            };
            let call = ast.expr(kill).span;
            out.push(
                cx.finding(
                    &META,
                    Some(entry),
                    header_span(cx.text, entry_def),
                    format!(
                        "`{shown}` lets any caller destroy the contract: `{}` is reachable without an access check",
                        cx.snippet(call)
                    ),
                )
                .with_secondary(cx.file, call, "the contract is destroyed here"),
            );
        }
        // Guarded, but by state that anyone can rewrite: the guard is no protection.
        let rewrites = privileged_writes_of(cx);
        if rewrites.is_empty() {
            return;
        }
        for (f, info) in cx.functions() {
            if !model.is_entry_point(f)
                || model.is_constructor(f)
                || is_open_entry(model, ast, f)
                || info.kind == syntax::ast::FunctionKind::Modifier
            {
                continue;
            }
            let mut reach = vec![f];
            reach.extend(
                model
                    .summary(None, f)
                    .callees
                    .into_iter()
                    .filter(|&g| model.function(g).item.file == cx.file),
            );
            let (Some(def), Some(kill)) =
                (def_of(ast, model, f), find_kill(cx, ast, &reach, false))
            else {
                continue;
            };
            // A rewrite counts when it changes state this function's guard reads, in a
            // contract deployed together with it (one inherits from the other).
            // (When the model's guard is not found, the file's own check is: what the
            // function and its modifiers read stands for the guard's state.)
            let checker = model.guard(f).map_or(f, |g| g.function);
            let guard_reads = model.summary(info.contract, checker).reads;
            let related = |g: FunctionId| match (info.contract, model.function(g).contract) {
                (Some(a), Some(b)) => {
                    model.linearization(a).contains(&b) || model.linearization(b).contains(&a)
                }
                _ => false,
            };
            let Some(open) = rewrites
                .iter()
                .find(|w| !w.dormant && guard_reads.contains(&w.var) && related(w.entry))
            else {
                continue;
            };
            let opener = model.function(open.entry).name.as_str();
            let call = ast.expr(kill).span;
            let mut finding = cx
                .finding(
                    &META,
                    Some(f),
                    header_span(cx.text, def),
                    format!(
                        "`{}` is guarded only by state that anyone can rewrite through `{opener}`: `{}` is reachable by any caller who does so first",
                        info.name,
                        cx.snippet(call)
                    ),
                )
                .with_secondary(cx.file, open.span, "anyone can rewrite the guarded state here")
                .with_secondary(cx.file, call, "the contract is destroyed here");
            finding.confidence = Confidence::Medium;
            out.push(finding);
        }
    }
}

/// The first `selfdestruct`/`suicide` call in the bodies of `reach`; with
/// `unchecked_only`, only one not inside a check of the caller.
fn find_kill(
    cx: &FileContext<'_>,
    ast: &Ast,
    reach: &[FunctionId],
    unchecked_only: bool,
) -> Option<syntax::ast::ExprId> {
    let model = cx.model();
    reach.iter().find_map(|&g| {
        let body = body_span(ast, def_of(ast, model, g)?)?;
        exprs_within(ast, body).find(|&e| {
            matches!(&ast.expr(e).kind, ExprKind::Call { callee, .. }
            if matches!(
                model.declaration(cx.file, ast.skip_parens(*callee)),
                Some(Declaration::Builtin(Builtin::Selfdestruct | Builtin::Suicide))
            )) && (!unchecked_only || !checked_in_body(model, ast, cx.file, g, ast.expr(e).span))
        })
    })
}
