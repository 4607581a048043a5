use semantics::{Builtin, Declaration, ItemRef, Model, Type};
use syntax::ast::{Ast, ExprId, ExprKind, StmtKind, UnaryOp};

use crate::analysis::access::root_state_var;
use crate::analysis::call_results::{walk_expr, walk_stmts};
use crate::analysis::value_flow::{Body, bodies, key, subexprs};
use crate::declare::declare_detector;
use crate::detector::{Detector, FileContext};
use crate::finding::Finding;
use crate::meta::{Confidence, DetectorMeta, Severity};

declare_detector! {
    /// ## What it detects
    /// `delete a[i]` on an element of a dynamic storage array (a state variable, or a
    /// local `storage` pointer to one), at a position the caller names (the index is
    /// made of parameters), outside any loop, in a function that neither fills the hole nor
    /// shortens the array: no element of `a` is assigned afterwards (the last element
    /// moved into the hole, or the elements shifted down) and `a` is not popped (or,
    /// before 0.6, its `length` decreased). Only arrays used as lists are reported:
    /// some loop of the project runs over `a.length`, or a function returns `a` or
    /// `a.length`.
    ///
    /// Not reported: `delete` of a mapping entry, of a whole array, and of an element
    /// of a fixed-size array (fixed arrays are slots by design: their length never
    /// counts live elements), nor arrays only indexed by an id and never iterated or
    /// counted (records addressed by position, where a zeroed record is the intent).
    /// Positions read from state (a queue's head cursor, an index stored per record)
    /// and deletions inside loops (sweeps over processed entries) are not reported
    /// either: on real code they clear entries behind a cursor on purpose.
    ///
    /// ## Why it matters
    /// `delete` only writes the element's default value. The array keeps its length,
    /// so loops still visit the zeroed entry and `length` still counts it: payouts go
    /// to `address(0)`, averages and totals are skewed, and a list that is meant to
    /// shrink only grows.
    ///
    /// ## Example
    /// ```solidity
    /// function removeHolder(uint256 i) external onlyOwner {
    ///     delete holders[i];          // reported: a zero gap stays in `holders`
    /// }
    /// ```
    ///
    /// ## Recommendation
    /// Move the last element into the hole and pop (`a[i] = a[a.length - 1]; a.pop();`)
    /// when the order does not matter, or shift the later elements down and pop.
    pub(crate) struct ArrayDeleteGap;
}

static META: DetectorMeta = DetectorMeta {
    id: "array-delete-gap",
    title: "Deleted array element leaves a gap",
    severity: Severity::Low,
    confidence: Confidence::Medium,
    swc: None,
    category: "other",
    description: "`delete` on an element of a storage array zeroes it but keeps the length, so loops and \
                  counts still include the empty entry",
    recommendation: "Move the last element into the hole and pop, or shift the elements down and pop",
    references: &["https://docs.soliditylang.org/en/latest/types.html#delete"],
    doc: ArrayDeleteGap::DOC,
};

impl Detector for ArrayDeleteGap {
    fn meta(&self) -> &'static DetectorMeta {
        &META
    }

    fn check_file(&self, cx: &FileContext<'_>, out: &mut Vec<Finding>) {
        let model = cx.model();
        for body in bodies(cx) {
            if body.def.is_read_only() || model.is_constructor(body.function) {
                continue;
            }
            let ast = body.ast;
            for &e in &body.exprs {
                let ExprKind::Unary {
                    op: UnaryOp::Delete,
                    operand,
                } = &ast.expr(e).kind
                else {
                    continue;
                };
                let ExprKind::Index {
                    base,
                    index: Some(index),
                } = &ast.expr(ast.skip_parens(*operand)).kind
                else {
                    continue;
                };
                // A position the caller names, outside any loop: a removal from the
                // list. Positions read from state (a queue's head cursor, a stored
                // index) and sweeps in loops clear processed entries on purpose.
                let caller_position =
                    subexprs(ast, *index)
                        .into_iter()
                        .all(|x| match &ast.expr(x).kind {
                            ExprKind::Ident(_) => {
                                matches!(model.declaration(cx.file, x), Some(Declaration::Param(_)))
                            }
                            ExprKind::Member { .. }
                            | ExprKind::Index { .. }
                            | ExprKind::Call { .. } => false,
                            _ => true,
                        });
                if !caller_position || in_loop(&body, e) {
                    continue;
                }
                let base = ast.skip_parens(*base);
                if !matches!(
                    model.type_of(cx.file, base),
                    Type::Array { fixed: false, .. }
                ) {
                    continue;
                }
                let Some(var) = root_state_var(model, ast, cx.file, base) else {
                    continue;
                };
                let k = key(ast, cx.text, base);
                let closed = body
                    .exprs
                    .iter()
                    .any(|&x| closes_gap(model, cx, ast, x, &k));
                if closed || !used_as_list(model, var) {
                    continue;
                }
                let name = cx.snippet(ast.expr(base).span);
                out.push(cx.finding(
                    &META,
                    Some(body.function),
                    body.report_span(cx.text, e),
                    format!(
                        "`{}` zeroes the element but keeps it in `{name}`: the length stays and \
                         loops still visit the gap",
                        cx.snippet(ast.expr(e).span)
                    ),
                ));
            }
        }
    }
}

/// True when `x` fills or removes the hole a `delete` leaves in the array written
/// `k`: an element of it assigned, a `pop()`, or its `length` decreased or set.
fn closes_gap(model: &Model<'_>, cx: &FileContext<'_>, ast: &Ast, x: ExprId, k: &str) -> bool {
    let same = |e: ExprId| key(ast, cx.text, e) == k;
    match &ast.expr(x).kind {
        ExprKind::Assign { lhs, .. } => match &ast.expr(ast.skip_parens(*lhs)).kind {
            ExprKind::Index { base, .. } => same(*base),
            ExprKind::Member { base, member } => member.as_str() == "length" && same(*base),
            _ => false,
        },
        ExprKind::Unary {
            op: UnaryOp::PostDec | UnaryOp::PreDec,
            operand,
        } => matches!(&ast.expr(ast.skip_parens(*operand)).kind,
            ExprKind::Member { base, member } if member.as_str() == "length" && same(*base)),
        ExprKind::Call { callee, .. } => {
            let callee = ast.skip_parens(*callee);
            matches!(
                model.declaration(cx.file, callee),
                Some(Declaration::Builtin(Builtin::ArrayPop))
            ) && ast
                .expr(callee)
                .as_member_access()
                .is_some_and(|(b, _)| same(b))
        }
        _ => false,
    }
}

/// True when some function of the project loops over `var`'s length, or returns the
/// array or its length: the array is a list whose length counts live elements.
fn used_as_list(model: &Model<'_>, var: ItemRef) -> bool {
    model.functions().any(|(f, info)| {
        if !model.state_reads(f).iter().any(|a| a.var == var) {
            return false;
        }
        let file = info.item.file;
        let Some(ast) = model.file_ast(file) else {
            return false;
        };
        let Some(body) = ast.item(info.item.item).as_function().and_then(|d| d.body) else {
            return false;
        };
        let is_var = |e: ExprId| root_state_var(model, ast, file, e) == Some(var);
        let length_of_var = |e: ExprId| {
            matches!(&ast.expr(e).kind, ExprKind::Member { base, member }
                if member.as_str() == "length" && is_var(*base))
        };
        let mut found = false;
        walk_stmts(ast, body, &mut Vec::new(), &mut |s, _| {
            let exprs: Vec<ExprId> = match &ast.stmt(s).kind {
                StmtKind::For { cond: Some(c), .. }
                | StmtKind::While { cond: c, .. }
                | StmtKind::DoWhile { cond: c, .. } => vec![*c],
                StmtKind::Return { value: Some(v) } => {
                    let v = ast.skip_parens(*v);
                    if matches!(
                        ast.expr(v).kind,
                        ExprKind::Ident(_) | ExprKind::Member { .. }
                    ) && is_var(v)
                        && matches!(model.type_of(file, v), Type::Array { .. })
                    {
                        found = true;
                    }
                    vec![v]
                }
                _ => Vec::new(),
            };
            for c in exprs {
                walk_expr(ast, c, &mut |y| found |= length_of_var(y));
            }
        });
        found
    })
}

/// True when `e` lies inside the body of a loop of `body`.
fn in_loop(body: &Body<'_>, e: ExprId) -> bool {
    let ast = body.ast;
    let span = ast.expr(e).span;
    let Some(root) = body.def.body else {
        return false;
    };
    let mut inside = false;
    walk_stmts(ast, root, &mut Vec::new(), &mut |s, loops| {
        let st = ast.stmt(s).span;
        if !loops.is_empty() && st.lo <= span.lo && span.hi <= st.hi {
            inside = true;
        }
    });
    inside
}
