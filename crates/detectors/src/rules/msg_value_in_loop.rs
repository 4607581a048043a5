use semantics::{Builtin, Declaration};
use syntax::ast::{Ast, BinaryOp, ExprId, ExprKind, StmtId, StmtKind};

use syntax::FileId;

use crate::analysis::call_results::{own_exprs, walk_expr, walk_stmts};
use crate::analysis::value_flow::{Reached, reached_internal};
use crate::declare::declare_detector;
use crate::detector::{Detector, FileContext};
use crate::finding::Finding;
use crate::meta::{Confidence, DetectorMeta, Severity};

declare_detector! {
    /// ## What it detects
    /// `msg.value` read inside the body of a loop for anything other than a comparison or
    /// a share (`msg.value / n`, `msg.value * w / total`): credited, added, passed on or
    /// sent once per iteration. Also a comparison that requires `msg.value` to cover one
    /// item's fixed price (`require(msg.value >= PRICE)` with `PRICE` a literal, a constant
    /// or state, not a product) inside a loop that handles several items: the single
    /// payment passes the check for each. A call in the loop of an internal helper that
    /// uses `msg.value` either way (`_credit(people[i])` with `sponsored[who] +=
    /// msg.value` inside, through at most four helpers) is reported at the call. Loops
    /// that stop at the first match (`break`, `return`) are not reported.
    ///
    /// Calibration: on the triage set of real mainnet contracts (`bench/triage/`),
    /// 0 of 2 findings were right when this severity and confidence were set
    /// (`docs/benchmarks.md`, Precision).
    ///
    /// ## Why it matters
    /// `msg.value` is the ether of the whole call, not of one iteration. A loop that
    /// credits or forwards it once per item counts the same ether several times: a
    /// caller paying for one item is credited for all of them, and the contract pays
    /// out ether it never received.
    ///
    /// ## Example
    /// ```solidity
    /// function buyFor(address[] calldata buyers) external payable {
    ///     for (uint256 i = 0; i < buyers.length; i++) {
    ///         credit[buyers[i]] += msg.value;   // reported: counted once per buyer
    ///     }
    /// }
    /// ```
    ///
    /// ## Recommendation
    /// Read `msg.value` once before the loop into a budget, subtract what each iteration
    /// spends, and require the budget to cover the total.
    pub(crate) struct MsgValueInLoop;
}

static META: DetectorMeta = DetectorMeta {
    id: "msg-value-in-loop",
    title: "`msg.value` used inside a loop",
    severity: Severity::Low,
    confidence: Confidence::Low,
    swc: None,
    category: "msg_value_reuse",
    description: "`msg.value` is read once per iteration, so the same ether is counted several times",
    recommendation: "Track a budget from `msg.value` before the loop and subtract each iteration's spending",
    references: &["https://github.com/Uniswap/v3-periphery/issues/52"],
    doc: MsgValueInLoop::DOC,
};

impl Detector for MsgValueInLoop {
    fn meta(&self) -> &'static DetectorMeta {
        &META
    }

    fn check_file(&self, cx: &FileContext<'_>, out: &mut Vec<Finding>) {
        let ast = cx.ast();
        let model = cx.model();
        for (f, info) in cx.functions() {
            let Some(body) = ast.item(info.item.item).as_function().and_then(|d| d.body) else {
                continue;
            };
            let mut reached = None;
            walk_stmts(ast, body, &mut Vec::new(), &mut |s, loops| {
                // Loops that stop at the first match (`break`, `return`) use it once.
                let Some(&outer) = loops.first() else { return };
                if loops.iter().any(|&l| exits_early(ast, l)) {
                    return;
                }
                let loop_at = ast.stmt(outer).span;
                let the_loop = syntax::Span::new(loop_at.lo, loop_at.lo);
                for e in own_exprs(ast, s) {
                    for u in value_uses(cx, cx.file, ast, e) {
                        let message = match u.price {
                            Some(price) => format!(
                                "`msg.value` is checked against `{}` once per iteration: one payment passes the check for every item",
                                cx.snippet(ast.expr(price).span)
                            ),
                            None => "`msg.value` is used once per iteration of the loop: the same ether counts several times".to_string(),
                        };
                        out.push(
                            cx.finding(&META, Some(f), ast.expr(u.at).span, message)
                                .with_secondary(cx.file, the_loop, "the loop"),
                        );
                    }
                    // An internal helper called in the loop that reads `msg.value` the
                    // same way: the call is reported.
                    walk_expr(ast, e, &mut |x| {
                        if !matches!(ast.expr(x).kind, ExprKind::Call { .. }) {
                            return;
                        }
                        let all = reached.get_or_insert_with(|| reached_internal(model, f));
                        let Some((r, u)) = all
                            .iter()
                            .filter(|r| r.via == x)
                            .find_map(|r| helper_uses(cx, r).into_iter().next().map(|u| (r, u)))
                        else {
                            return;
                        };
                        let name = &model.function(r.body.function).name;
                        out.push(
                            cx.finding(
                                &META,
                                Some(f),
                                ast.expr(x).span,
                                format!(
                                    "`{}` is called once per iteration and `{name}` uses `msg.value` each time: the same ether counts several times",
                                    cx.snippet(ast.expr(x).span)
                                ),
                            )
                            .with_secondary(cx.file, the_loop, "the loop")
                            .with_secondary(r.body.file, r.body.ast.expr(u.at).span, "`msg.value` read here"),
                        );
                    });
                }
            });
        }
    }
}

/// A use of `msg.value` counted once per iteration: credited, added, passed on or
/// sent, or compared with one item's fixed `price`.
struct ValueUse {
    at: ExprId,
    price: Option<ExprId>,
}

/// The uses of `msg.value` inside `e` (of `file`) other than comparisons and shares,
/// and its comparisons with a fixed price.
fn value_uses(cx: &FileContext<'_>, file: FileId, ast: &Ast, e: ExprId) -> Vec<ValueUse> {
    let mut out = Vec::new();
    let mut exempt = Vec::new();
    walk_expr(ast, e, &mut |x| {
        // A payment checked against one item's price, once per item.
        if let Some(price) = per_item_price(cx, file, ast, x) {
            out.push(ValueUse {
                at: x,
                price: Some(price),
            });
        }
        // Compared, or scaled to a share (`msg.value / n`, `msg.value * w / 1e18`).
        if let ExprKind::Binary { op, lhs, rhs } = &ast.expr(x).kind
            && (op.is_comparison() || matches!(op, BinaryOp::Mul | BinaryOp::Div))
        {
            exempt.push(ast.skip_parens(*lhs));
            exempt.push(ast.skip_parens(*rhs));
        }
        if is_msg_value(cx, file, ast, x) && !exempt.contains(&x) {
            out.push(ValueUse { at: x, price: None });
        }
    });
    out
}

/// The uses of `msg.value` in a helper's body, outside its own loops (those are
/// reported in the helper).
fn helper_uses(cx: &FileContext<'_>, r: &Reached<'_>) -> Vec<ValueUse> {
    let ast = r.body.ast;
    let Some(body) = r.body.def.body else {
        return Vec::new();
    };
    let mut out = Vec::new();
    walk_stmts(ast, body, &mut Vec::new(), &mut |s, loops| {
        if loops.is_empty() {
            for e in own_exprs(ast, s) {
                out.extend(value_uses(cx, r.body.file, ast, e));
            }
        }
    });
    out
}

/// For `x` a comparison of `msg.value` with a fixed price (`msg.value >= PRICE`,
/// `prices[id] > msg.value`, `msg.value == fee`), the price: a non-zero literal, or a
/// value read from state or a constant, without a multiplication. A price held in a local
/// or a parameter may be a running total and is not reported.
fn per_item_price(cx: &FileContext<'_>, file: FileId, ast: &Ast, x: ExprId) -> Option<ExprId> {
    let ExprKind::Binary { op, lhs, rhs } = &ast.expr(x).kind else {
        return None;
    };
    let (l, r) = (ast.skip_parens(*lhs), ast.skip_parens(*rhs));
    // Either way round: `require(msg.value >= P)` and `if (P > msg.value) revert()`.
    if !op.is_comparison() {
        return None;
    }
    let price = if is_msg_value(cx, file, ast, l) {
        r
    } else if is_msg_value(cx, file, ast, r) {
        l
    } else {
        return None;
    };
    let mut fixed = true;
    walk_expr(ast, price, &mut |y| match &ast.expr(y).kind {
        ExprKind::Binary {
            op: BinaryOp::Mul, ..
        } => fixed = false,
        ExprKind::Call { .. } => fixed = false,
        ExprKind::Ident(_) => {
            if matches!(
                cx.model().declaration(file, y),
                Some(Declaration::Local(_) | Declaration::Param(_))
            ) {
                fixed = false;
            }
        }
        _ => {}
    });
    let root = {
        let mut e = price;
        while let ExprKind::Index { base, .. } | ExprKind::Member { base, .. } = &ast.expr(e).kind {
            e = ast.skip_parens(*base);
        }
        e
    };
    let from_state = matches!(
        cx.model().declaration(file, root),
        Some(Declaration::StateVar(_))
    );
    let nonzero_literal = ast
        .expr(price)
        .as_literal()
        .is_some_and(|l| l.number_value() != Some(0));
    (fixed && (from_state || nonzero_literal)).then_some(price)
}

fn is_msg_value(cx: &FileContext<'_>, file: FileId, ast: &Ast, e: ExprId) -> bool {
    ast.expr(e).as_member_access().is_some()
        && cx.model().declaration(file, e) == Some(Declaration::Builtin(Builtin::MsgValue))
}

/// True when the body of loop `l` holds a `break` or `return` (outside nested loops for
/// `break`).
fn exits_early(ast: &Ast, l: StmtId) -> bool {
    let body = match &ast.stmt(l).kind {
        StmtKind::For { body, .. }
        | StmtKind::While { body, .. }
        | StmtKind::DoWhile { body, .. } => *body,
        _ => return false,
    };
    let mut exits = false;
    walk_stmts(
        ast,
        body,
        &mut Vec::new(),
        &mut |s, loops| match ast.stmt(s).kind {
            StmtKind::Return { .. } => exits = true,
            StmtKind::Break if loops.is_empty() => exits = true,
            _ => {}
        },
    );
    exits
}
