use std::collections::HashMap;

use semantics::{CallKind, CallSite, FunctionId, ItemRef, LowLevelKind};
use syntax::Span;
use syntax::ast::{ExprId, ExprKind};

use crate::analysis::call_results::{CallResults, own_exprs, walk_expr, walk_stmts};
use crate::declare::declare_detector;
use crate::detector::{Detector, FileContext};
use crate::finding::Finding;
use crate::meta::{Confidence, DetectorMeta, Severity};

declare_detector! {
    /// ## What it detects
    /// An external call inside a loop whose failure reverts the whole transaction:
    /// `transfer`, a `send` or low-level `call` whose result decides a revert
    /// (`require(to.send(v))`, `if (!ok) revert()`, by the control-flow graph, also
    /// through copies of the flag and internal helpers that revert on it), or a
    /// high-level call of a state-changing function on a contract taken from an array
    /// (`hooks[i].notify()`). `view` and `pure` functions and calls are not reported.
    ///
    /// A call of an internal function of the same file that makes such a call is
    /// reported at the call in the loop.
    ///
    /// Calls whose failure is tolerated (the flag is ignored, or handled without
    /// reverting, or the call is in a `try`) are not reported here.
    ///
    /// ## Why it matters
    /// One recipient that reverts (a contract without a payable fallback, or one that
    /// reverts on purpose) makes every iteration revert with it: refunds, payouts or
    /// distributions to everybody else are blocked, for as long as that recipient stays
    /// in the list.
    ///
    /// ## Example
    /// ```solidity
    /// function refundAll() public {
    ///     for (uint256 i = 0; i < refundees.length; i++) {
    ///         payable(refundees[i]).transfer(refunds[i]);   // reported
    ///     }
    /// }
    /// ```
    ///
    /// ## Recommendation
    /// Let each recipient withdraw their own funds (pull payments), or record failed
    /// payments and carry on instead of reverting.
    pub(crate) struct DosExternalCallInLoop;
}

static META: DetectorMeta = DetectorMeta {
    id: "dos-external-call-in-loop",
    title: "External call that must succeed inside a loop",
    severity: Severity::Low,
    confidence: Confidence::Low,
    swc: Some("SWC-113"),
    category: "denial_of_service",
    description: "A call inside a loop reverts the whole transaction when it fails, so one failing \
                  recipient blocks every other one",
    recommendation: "Use pull payments, or record failed calls and continue instead of reverting",
    references: &[
        "https://swcregistry.io/docs/SWC-113",
        "https://consensys.github.io/smart-contract-best-practices/attacks/denial-of-service/",
    ],
    doc: DosExternalCallInLoop::DOC,
};

impl Detector for DosExternalCallInLoop {
    fn meta(&self) -> &'static DetectorMeta {
        &META
    }

    fn check_file(&self, cx: &FileContext<'_>, out: &mut Vec<Finding>) {
        let model = cx.model();
        let ast = cx.ast();
        // Per function of this file: its calls that must succeed (computed on demand).
        let mut must_succeed: HashMap<FunctionId, Vec<(Span, &'static str)>> = HashMap::new();
        for (f, info) in cx.functions() {
            let Some(def) = ast.item(info.item.item).as_function() else {
                continue;
            };
            // Read-only functions move no funds and are mostly read off-chain.
            let Some(body) = def.body.filter(|_| !def.is_read_only()) else {
                continue;
            };
            let sites: HashMap<ExprId, &CallSite> = model
                .calls(f)
                .iter()
                .filter_map(|c| Some((c.expr?, c)))
                .collect();
            if sites.is_empty() {
                continue;
            }
            walk_stmts(ast, body, &mut Vec::new(), &mut |s, loops| {
                let Some(&outer) = loops.first() else { return };
                let loop_at = ast.stmt(outer).span;
                for e in own_exprs(ast, s) {
                    walk_expr(ast, e, &mut |x| {
                        let Some(site) = sites.get(&x) else { return };
                        let direct = calls_that_must_succeed(cx, f, &mut must_succeed)
                            .iter()
                            .find(|(at, _)| *at == site.span)
                            .copied();
                        let finding = if let Some((_, what)) = direct {
                            cx.finding(
                                &META,
                                Some(f),
                                site.span,
                                format!("{what} inside a loop: one failing recipient blocks the whole loop"),
                            )
                        } else if let Some(g) = internal_target(cx, site) {
                            // One level into internal functions of this file: `pay(i)`.
                            let Some(&(at, what)) =
                                calls_that_must_succeed(cx, g, &mut must_succeed).first()
                            else {
                                return;
                            };
                            cx.finding(
                                &META,
                                Some(f),
                                site.span,
                                format!(
                                    "this call, inside a loop, makes a payment or call that must succeed: one failing recipient blocks the whole loop ({what})"
                                ),
                            )
                            .with_secondary(cx.file, at, "the call that must succeed")
                        } else {
                            return;
                        };
                        out.push(finding.with_secondary(
                            cx.file,
                            Span::new(loop_at.lo, loop_at.lo),
                            "the loop",
                        ));
                    });
                }
            });
        }
    }
}

/// The calls of `f` (a function of this file) in scope whose failure reverts, with a
/// description; cached in `cache`.
fn calls_that_must_succeed<'c>(
    cx: &FileContext<'_>,
    f: FunctionId,
    cache: &'c mut HashMap<FunctionId, Vec<(Span, &'static str)>>,
) -> &'c [(Span, &'static str)] {
    cache.entry(f).or_insert_with(|| {
        let model = cx.model();
        let ast = cx.ast();
        if model.function(f).item.file != cx.file {
            return Vec::new();
        }
        let results = CallResults::of(model, ast, f);
        model
            .calls(f)
            .iter()
            .filter(|site| {
                in_scope(cx, site) && results.failure_reverts_through(model, ast, f, site)
            })
            .map(|site| {
                let what = match site.kind {
                    CallKind::LowLevel {
                        kind: LowLevelKind::Transfer,
                        ..
                    } => "`transfer` reverts",
                    CallKind::LowLevel { .. } => "the call's failure reverts",
                    _ => "the call reverts",
                };
                (site.span, what)
            })
            .collect()
    })
}

/// The function of this file an internal or library call reaches (not through `super`
/// or virtual dispatch to another file).
fn internal_target(cx: &FileContext<'_>, site: &CallSite) -> Option<FunctionId> {
    let function = match site.kind {
        CallKind::Internal { function, .. } | CallKind::Library { function, .. } => function,
        _ => return None,
    };
    let g = cx.model().function_of_item(function)?;
    (function.file == cx.file).then_some(g)
}

/// Payments and low-level calls, and high-level calls on a contract read from an array
/// (a different callee each iteration; a fixed callee failing is not one recipient
/// blocking the others).
fn in_scope(cx: &FileContext<'_>, site: &CallSite) -> bool {
    match site.kind {
        CallKind::LowLevel { .. } => true,
        CallKind::HighLevel { function, .. } => {
            !function.is_some_and(|f| is_read_only(cx, f))
                && site.expr.is_some_and(|e| callee_is_element(cx, e))
        }
        _ => false,
    }
}

/// True when `f` is declared `view` or `pure` (in this file; elsewhere unknown, false).
fn is_read_only(cx: &FileContext<'_>, f: ItemRef) -> bool {
    f.file == cx.file
        && cx
            .ast()
            .item(f.item)
            .as_function()
            .is_some_and(|d| d.is_read_only())
}

/// `a[i].f(...)`, `C(a[i]).f(...)`: the called contract comes from an array or mapping.
fn callee_is_element(cx: &FileContext<'_>, call: ExprId) -> bool {
    let ast = cx.ast();
    let Some((callee, _)) = ast.expr(call).as_call() else {
        return false;
    };
    let mut c = ast.skip_parens(callee);
    if let ExprKind::CallOptions { callee, .. } = &ast.expr(c).kind {
        c = ast.skip_parens(*callee);
    }
    let Some((mut base, _)) = ast.expr(c).as_member_access() else {
        return false;
    };
    // Through conversions: `IHook(hooks[i])`.
    loop {
        base = ast.skip_parens(base);
        match &ast.expr(base).kind {
            ExprKind::Index { .. } => return true,
            ExprKind::Call { args, .. } if args.len() == 1 => match args.exprs().first() {
                Some(&a) => base = a,
                None => return false,
            },
            _ => return false,
        }
    }
}
