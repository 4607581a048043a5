use std::collections::HashMap;

use semantics::{CallKind, CallSite, FunctionId, LowLevelKind, Model};
use syntax::ast::ExprId;

use crate::analysis::call_results::{own_exprs, walk_expr, walk_stmts};
use crate::declare::declare_detector;
use crate::detector::{Detector, FileContext};
use crate::finding::Finding;
use crate::meta::{Confidence, DetectorMeta, Severity};

declare_detector! {
    /// ## What it detects
    /// A `delegatecall` made inside a loop of a `payable` function, directly or through an
    /// internal or library function (`Address.functionDelegateCall`): the shape of a
    /// payable `multicall`.
    ///
    /// ## Why it matters
    /// A delegate call keeps the caller's context, `msg.value` included. Each delegated
    /// sub-call sees the full `msg.value` of the transaction, so a caller who sends ether
    /// once can have it counted by every sub-call: deposit ten times for the price of one,
    /// or buy several items with one payment.
    ///
    /// ## Example
    /// ```solidity
    /// function multicall(bytes[] calldata calls) external payable {
    ///     for (uint256 i = 0; i < calls.length; i++) {
    ///         (bool ok, ) = address(this).delegatecall(calls[i]);   // reported
    ///         require(ok);
    ///     }
    /// }
    /// ```
    ///
    /// ## Recommendation
    /// Make the batching function non-payable, or make the functions it can reach ignore
    /// `msg.value` and account for ether with an explicit budget.
    pub(crate) struct DelegatecallInLoop;
}

static META: DetectorMeta = DetectorMeta {
    id: "delegatecall-in-loop",
    title: "`delegatecall` in a loop of a payable function",
    severity: Severity::High,
    confidence: Confidence::Medium,
    swc: None,
    category: "msg_value_reuse",
    description: "Every delegated call in the loop sees the same `msg.value`, so ether sent once can be \
                  counted several times",
    recommendation: "Make the batching function non-payable, or account for ether with an explicit budget",
    references: &["https://github.com/Uniswap/v3-periphery/issues/52"],
    doc: DelegatecallInLoop::DOC,
};

impl Detector for DelegatecallInLoop {
    fn meta(&self) -> &'static DetectorMeta {
        &META
    }

    fn check_file(&self, cx: &FileContext<'_>, out: &mut Vec<Finding>) {
        let model = cx.model();
        let ast = cx.ast();
        for (f, info) in cx.functions() {
            let Some(def) = ast.item(info.item.item).as_function() else {
                continue;
            };
            let Some(body) = def.body else { continue };
            if !def.is_payable() {
                continue;
            }
            let sites: HashMap<ExprId, &CallSite> = model
                .calls(f)
                .iter()
                .filter_map(|c| Some((c.expr?, c)))
                .collect();
            walk_stmts(ast, body, &mut Vec::new(), &mut |s, loops| {
                let Some(&outer) = loops.first() else { return };
                for e in own_exprs(ast, s) {
                    walk_expr(ast, e, &mut |x| {
                        let Some(site) = sites.get(&x) else { return };
                        let how = match site.kind {
                            CallKind::LowLevel {
                                kind: LowLevelKind::DelegateCall,
                                ..
                            } => "`delegatecall`",
                            _ if reaches_delegatecall(model, f, site) => "a call that delegates",
                            _ => return,
                        };
                        let loop_at = ast.stmt(outer).span;
                        out.push(
                            cx.finding(
                                &META,
                                Some(f),
                                site.span,
                                format!(
                                    "{how} in a loop of a payable function: every iteration sees the same `msg.value`"
                                ),
                            )
                            .with_secondary(
                                cx.file,
                                syntax::Span::new(loop_at.lo, loop_at.lo),
                                "the loop",
                            ),
                        );
                    });
                }
            });
        }
    }
}

/// True when the internal or library call `site` (in `f`) makes a `delegatecall`,
/// directly or through further internal calls.
fn reaches_delegatecall(model: &Model<'_>, f: FunctionId, site: &CallSite) -> bool {
    let target = match site.kind {
        CallKind::Internal { function, .. } | CallKind::Library { function, .. } => function,
        _ => return false,
    };
    let Some(target) = model.function_of_item(target) else {
        return false;
    };
    let md = model.function(f).contract;
    let summary = model.summary(md, target);
    summary.external_calls.iter().any(|(_, c)| {
        matches!(
            c.kind,
            CallKind::LowLevel {
                kind: LowLevelKind::DelegateCall,
                ..
            }
        )
    })
}
