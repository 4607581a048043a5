use std::sync::Arc;

use semantics::{Builtin, CallKind, FunctionId, LowLevelKind, Model};
use syntax::FileId;
use syntax::ast::{Ast, ExprId, ExprKind};

use crate::analysis::access::{open_entries, root_state_var};
use crate::analysis::derived::{Derived, body_nodes, conditions, member_call};
use crate::analysis::value_flow::{builtin, subexprs};
use crate::declare::declare_detector;
use crate::detector::{Detector, FileContext};
use crate::finding::Finding;
use crate::meta::{Confidence, DetectorMeta, Severity};

declare_detector! {
    /// ## What it detects
    /// `tx.gasprice` read in a function anyone can call (no access check on the way),
    /// when an amount derived from it (through locals, arguments of internal calls and
    /// values returned by helpers) is paid out or credited along the same entry point:
    /// the value of an ether transfer (`transfer`, `send`, `call{value: ...}`), an
    /// argument of a token `transfer`, `transferFrom` or `mint`, or an amount added to
    /// a mapping entry.
    ///
    /// Not reported when the gas price is capped: it or an amount derived from it is
    /// compared in a condition of a function along the entry point
    /// (`require(tx.gasprice <= maxGasPrice)`, `if (refund > cap) refund = cap;`,
    /// `tx.gasprice > cap ? cap : tx.gasprice`) or passed to a `min` function.
    ///
    /// ## Why it matters
    /// The transaction's sender chooses its gas price. A refund of `gasUsed *
    /// tx.gasprice` lets them set an absurd price, pay the block producer (often
    /// themselves, or refunded by a builder) and collect the refund from the
    /// contract, draining it in a few calls.
    ///
    /// ## Example
    /// ```solidity
    /// function relay(address to) external {
    ///     uint256 fee = (gasUsed + OVERHEAD) * tx.gasprice;   // reported
    ///     payable(to).transfer(fee);
    /// }
    /// ```
    ///
    /// ## Recommendation
    /// Cap the price (`Math.min(tx.gasprice, maxGasPrice)`, or `block.basefee` plus a
    /// bounded tip), reimburse a fixed amount, or restrict who can trigger refunds.
    pub(crate) struct GasPriceRefund;
}

static META: DetectorMeta = DetectorMeta {
    id: "gas-price-refund",
    title: "Refund computed from an uncapped `tx.gasprice`",
    severity: Severity::Low,
    confidence: Confidence::Medium,
    swc: None,
    category: "other",
    description: "An amount paid or credited to anyone who calls is computed from `tx.gasprice`, which \
                  the caller sets",
    recommendation: "Cap the gas price used for refunds, reimburse a fixed amount, or restrict the caller",
    references: &[
        "https://docs.soliditylang.org/en/latest/units-and-global-variables.html#block-and-transaction-properties",
    ],
    doc: GasPriceRefund::DOC,
};

fn is_gas_price(model: &Model<'_>, file: FileId, ast: &Ast, _f: FunctionId, e: ExprId) -> bool {
    matches!(ast.expr(e).kind, ExprKind::Member { .. })
        && builtin(model, file, e) == Some(Builtin::TxGasPrice)
}

/// The project-wide reach of `tx.gasprice`.
struct GasPriceFlow(Derived);

impl Detector for GasPriceRefund {
    fn meta(&self) -> &'static DetectorMeta {
        &META
    }

    fn check_file(&self, cx: &FileContext<'_>, out: &mut Vec<Finding>) {
        let model = cx.model();
        let ast = cx.ast();
        // Cheap exit: no read of the gas price in this file.
        let reads: Vec<(FunctionId, ExprId)> = cx
            .functions()
            .flat_map(|(f, _)| {
                body_nodes(ast, model, f)
                    .exprs
                    .into_iter()
                    .filter(move |&e| is_gas_price(model, cx.file, ast, f, e))
                    .map(move |e| (f, e))
            })
            .collect();
        if reads.is_empty() {
            return;
        }
        let flow: Arc<GasPriceFlow> = cx
            .project
            .project_wide(|| GasPriceFlow(Derived::compute(model, &is_gas_price)));
        let flow = &flow.0;
        let mut reported = Vec::new();
        for (entry, reach) in open_entries(cx) {
            if reach.iter().any(|&g| caps(model, cx.file, ast, g, flow)) {
                continue;
            }
            let Some(sink) = reach
                .iter()
                .find_map(|&g| payout(model, cx.file, ast, g, flow).map(|s| (g, s)))
            else {
                continue;
            };
            for &(h, read) in &reads {
                if !reach.contains(&h)
                    || reported.contains(&read)
                    || in_min(ast, &body_nodes(ast, model, h).exprs, read)
                {
                    continue;
                }
                reported.push(read);
                out.push(
                    cx.finding(
                        &META,
                        Some(entry),
                        ast.expr(read).span,
                        format!(
                            "the caller sets `tx.gasprice`, and an amount computed from it is paid out: `{}`",
                            cx.snippet(ast.expr(sink.1).span)
                        ),
                    )
                    .with_secondary(cx.file, ast.expr(sink.1).span, "paid here"),
                );
            }
        }
    }
}

/// True when a condition of `g` reads `tx.gasprice` or an amount derived from it
/// (`if (refund > cap) refund = cap;`).
fn caps(model: &Model<'_>, file: FileId, ast: &Ast, g: FunctionId, flow: &Derived) -> bool {
    let nodes = body_nodes(ast, model, g);
    conditions(ast, &nodes).into_iter().any(|c| {
        subexprs(ast, c).into_iter().any(|x| {
            // A comparison with a bound (not with zero: `if (refund > 0)` caps nothing).
            matches!(&ast.expr(x).kind, ExprKind::Binary { op, lhs, rhs }
                if op.is_comparison() && !is_zero(ast, *lhs) && !is_zero(ast, *rhs))
                && flow.mentions(model, file, ast, g, x, &is_gas_price)
        })
    })
}

/// True when `read` is an argument of a `min` call (`Math.min(tx.gasprice, cap)`).
fn in_min(ast: &Ast, exprs: &[ExprId], read: ExprId) -> bool {
    let span = ast.expr(read).span;
    exprs.iter().any(|&c| {
        let ExprKind::Call { callee, args } = &ast.expr(c).kind else {
            return false;
        };
        let name = match &ast.expr(ast.skip_parens(*callee)).kind {
            ExprKind::Ident(i) => i.name.as_str(),
            ExprKind::Member { member, .. } => member.name.as_str(),
            _ => return false,
        };
        name.to_ascii_lowercase().contains("min")
            && args.exprs().iter().any(|&a| {
                let s = ast.expr(a).span;
                s.lo <= span.lo && span.hi <= s.hi
            })
    })
}

/// A payout in `g` whose amount derives from the gas price: the call or assignment.
fn payout(
    model: &Model<'_>,
    file: FileId,
    ast: &Ast,
    g: FunctionId,
    flow: &Derived,
) -> Option<ExprId> {
    let derived = |e: ExprId| flow.mentions(model, file, ast, g, e, &is_gas_price);
    for site in model.calls(g) {
        let Some(call) = site.expr else { continue };
        let hit = match site.kind {
            CallKind::LowLevel {
                kind: LowLevelKind::Send | LowLevelKind::Transfer,
                ..
            } => ast
                .expr(call)
                .as_call()
                .is_some_and(|(_, args)| args.exprs().into_iter().any(derived)),
            CallKind::LowLevel {
                kind: LowLevelKind::Call,
                value: Some(v),
                ..
            }
            | CallKind::HighLevel { value: Some(v), .. } => derived(v),
            CallKind::HighLevel { .. } => member_call(ast, call).is_some_and(|(_, name, args)| {
                matches!(
                    name,
                    "transfer" | "transferFrom" | "safeTransfer" | "safeTransferFrom" | "mint"
                ) && args.exprs().into_iter().any(derived)
            }),
            _ => false,
        };
        if hit {
            return Some(call);
        }
    }
    // An amount credited to an entry of a mapping.
    body_nodes(ast, model, g).exprs.into_iter().find(|&e| {
        matches!(&ast.expr(e).kind, ExprKind::Assign { lhs, rhs, op }
            if matches!(ast.expr(ast.skip_parens(*lhs)).kind, ExprKind::Index { .. })
                && (*op == Some(syntax::ast::BinaryOp::Add) || (op.is_none() && is_addition(ast, *rhs)))
                && root_state_var(model, ast, file, *lhs).is_some()
                && derived(*rhs))
    })
}

/// `a + b`, `a.add(b)`, `safeAdd(a, b)`: an increase, not a charge.
fn is_addition(ast: &Ast, e: ExprId) -> bool {
    let e = ast.skip_parens(e);
    match &ast.expr(e).kind {
        ExprKind::Binary { op, .. } => *op == syntax::ast::BinaryOp::Add,
        ExprKind::Call { callee, .. } => match &ast.expr(ast.skip_parens(*callee)).kind {
            ExprKind::Ident(i) => i.name.to_ascii_lowercase().ends_with("add"),
            ExprKind::Member { member, .. } => member.name.to_ascii_lowercase().ends_with("add"),
            _ => false,
        },
        _ => false,
    }
}

fn is_zero(ast: &Ast, e: ExprId) -> bool {
    matches!(&ast.expr(ast.skip_parens(e)).kind,
        ExprKind::Literal(syntax::ast::Literal::Number { text, .. }) if text == "0")
}
