use std::collections::{HashMap, HashSet};

use semantics::{Declaration, Type, VarId};
use syntax::Span;
use syntax::ast::{Ast, DataLocation, ExprId, ExprKind, StmtKind, UnaryOp};

use crate::analysis::access::root_state_var;
use crate::analysis::call_results::walk_stmts;
use crate::analysis::value_flow::{Body, bodies};
use crate::declare::declare_detector;
use crate::detector::{Detector, FileContext};
use crate::finding::Finding;
use crate::meta::{Confidence, DetectorMeta, Severity};

declare_detector! {
    /// ## What it detects
    /// A local declared `memory` and initialised from a struct in storage
    /// (`Info memory info = infos[msg.sender];`), a field of which the function then
    /// assigns (`info.amount = x`, `info.debt += y`, `delete info.since`), when the
    /// copy never leaves the local: it is not stored back (`infos[k] = info`), not
    /// returned, not passed to a function (library calls on it included) nor emitted,
    /// and the assigned field is not read after the assignment. The assignment changes
    /// a copy that is then thrown away.
    ///
    /// The copy may be handed to an internal helper that assigns the field on its
    /// `memory` parameter (the same memory) and does not write it back either, when the
    /// caller does not use the copy after the call.
    ///
    /// Not reported: `storage` pointers, copies written back or handed on, copies only
    /// read, fields assigned and then read (the copy used as scratch space for a
    /// computation), and `view`/`pure` functions.
    ///
    /// ## Why it matters
    /// Reading a storage struct into `memory` copies it. Writes to the copy never reach
    /// storage, so the update the function exists for is lost without an error: a
    /// reward debt that is never recorded lets the user claim the same rewards again.
    ///
    /// ## Example
    /// ```solidity
    /// function updateDebt(uint256 debt) external {
    ///     UserInfo memory user = userInfo[msg.sender];
    ///     user.rewardDebt = debt;      // reported: the copy is discarded
    /// }
    /// ```
    ///
    /// ## Recommendation
    /// Declare the local `storage` (`UserInfo storage user = userInfo[msg.sender];`),
    /// or write the copy back (`userInfo[msg.sender] = user;`).
    pub(crate) struct MemoryCopyNotWritten;
}

static META: DetectorMeta = DetectorMeta {
    id: "memory-copy-not-written",
    title: "Update of a memory copy of storage is lost",
    severity: Severity::Low,
    confidence: Confidence::Medium,
    swc: None,
    category: "other",
    description: "A field of a memory copy of a storage struct is assigned and the copy is never written \
                  back, so the update never reaches storage",
    recommendation: "Declare the local as a `storage` pointer, or write the copy back to storage",
    references: &[
        "https://docs.soliditylang.org/en/latest/types.html#data-location-and-assignment-behaviour",
    ],
    doc: MemoryCopyNotWritten::DOC,
};

impl Detector for MemoryCopyNotWritten {
    fn meta(&self) -> &'static DetectorMeta {
        &META
    }

    fn check_file(&self, cx: &FileContext<'_>, out: &mut Vec<Finding>) {
        let model = cx.model();
        let all = bodies(cx);
        for body in &all {
            if body.def.is_read_only() {
                continue;
            }
            let ast = body.ast;
            let Some(root) = body.def.body else { continue };
            let mut copies = Vec::new();
            let mut loops = Vec::new();
            walk_stmts(ast, root, &mut Vec::new(), &mut |s, _| {
                let stmt = ast.stmt(s);
                match &stmt.kind {
                    StmtKind::For { .. } | StmtKind::While { .. } | StmtKind::DoWhile { .. } => {
                        loops.push(stmt.span);
                    }
                    StmtKind::VarDecl {
                        decls,
                        value: Some(value),
                        ..
                    } => {
                        let [Some(decl)] = decls.as_slice() else {
                            return;
                        };
                        if decl.location != Some(DataLocation::Memory) {
                            return;
                        }
                        let Some(name) = &decl.name else { return };
                        let Some(v) = model.var_declared_at(cx.file, name.span) else {
                            return;
                        };
                        let value = ast.skip_parens(*value);
                        if matches!(model.var(v).ty, Type::Struct(_))
                            && matches!(
                                ast.expr(value).kind,
                                ExprKind::Ident(_)
                                    | ExprKind::Member { .. }
                                    | ExprKind::Index { .. }
                            )
                            && root_state_var(model, ast, cx.file, value).is_some()
                        {
                            copies.push((v, stmt.span, value));
                        }
                    }
                    _ => {}
                }
            });
            for (v, decl_span, value) in copies {
                if let Some((field, at, helper)) =
                    lost_write(cx, &all, body, v, &loops, HELPER_DEPTH)
                    && let Some(at_body) = all.iter().find(|b| b.function == helper)
                {
                    let name = model.var(v).name.as_str();
                    let through = if helper == body.function {
                        String::new()
                    } else {
                        format!(" (passed to `{}`)", model.function(helper).name)
                    };
                    out.push(
                        cx.finding(
                            &META,
                            Some(body.function),
                            at_body.report_span(cx.text, at),
                            format!(
                                "`{name}.{field}` is assigned on a memory copy of `{}`{through} that is \
                                 never written back: the update is lost",
                                cx.snippet(ast.expr(value).span)
                            ),
                        )
                        .with_secondary(
                            cx.file,
                            decl_span,
                            format!("`{name}` is a copy, not a reference to storage"),
                        ),
                    );
                }
            }
        }
    }
}

/// How many internal helpers deep a copy is followed.
const HELPER_DEPTH: u32 = 3;

/// The first field assignment of the copy `v` (a local, or a `memory` parameter of a
/// helper it was passed to) that is lost: the copy never leaves the local, and the
/// field is not read after the assignment (nor in a loop around it). A copy passed to
/// one internal helper of this file, and not used after that call, is followed into the
/// helper: its parameter refers to the same memory. Returns the field name, the
/// assignment and the function holding it.
fn lost_write(
    cx: &FileContext<'_>,
    all: &[Body<'_>],
    body: &Body<'_>,
    v: VarId,
    loops: &[Span],
    depth: u32,
) -> Option<(String, ExprId, semantics::FunctionId)> {
    let (model, ast) = (cx.model(), body.ast);
    let is_copy = |e: ExprId| {
        matches!(ast.expr(e).kind, ExprKind::Ident(_))
            && matches!(model.declaration(cx.file, e),
                Some(Declaration::Local(x) | Declaration::Param(x)) if x == v)
    };
    let parents = parents(ast, &body.exprs);
    // The copy used whole: stored, returned, passed, reassigned. Or a bound library
    // function called on it (`info.settle()`). Passed to one internal helper: followed.
    let mut handed = None;
    for &x in &body.exprs {
        if !is_copy(x) {
            continue;
        }
        let &p = parents.get(&x)?;
        match &ast.expr(p).kind {
            ExprKind::Member { .. } => {
                if let Some(&pp) = parents.get(&p)
                    && matches!(&ast.expr(pp).kind, ExprKind::Call { callee, .. } if *callee == p)
                {
                    return None;
                }
            }
            ExprKind::Call { callee, .. } if *callee != x && handed.is_none() && depth > 0 => {
                handed = Some((p, x));
            }
            _ => return None,
        }
    }
    if let Some((call, arg)) = handed {
        return lost_in_helper(cx, all, body, v, call, arg, loops, depth - 1);
    }
    // Field writes: the member at the root of each assigned place.
    let mut writes: Vec<(String, ExprId, ExprId)> = Vec::new();
    let mut roots = HashSet::new();
    for &x in &body.exprs {
        let place = match &ast.expr(x).kind {
            ExprKind::Assign { lhs, .. } => *lhs,
            ExprKind::Unary { op, operand } if op.is_update() || *op == UnaryOp::Delete => *operand,
            _ => continue,
        };
        let mut e = ast.skip_parens(place);
        for _ in 0..32 {
            match &ast.expr(e).kind {
                ExprKind::Member { base, member } if is_copy(ast.skip_parens(*base)) => {
                    roots.insert(e);
                    writes.push((member.as_str().to_owned(), e, x));
                    break;
                }
                ExprKind::Member { base, .. } | ExprKind::Index { base, .. } => {
                    e = ast.skip_parens(*base);
                }
                _ => break,
            }
        }
    }
    let reads: Vec<(String, Span)> = body
        .exprs
        .iter()
        .filter(|x| !roots.contains(*x))
        .filter_map(|&x| match &ast.expr(x).kind {
            ExprKind::Member { base, member } if is_copy(ast.skip_parens(*base)) => {
                Some((member.as_str().to_owned(), ast.expr(x).span))
            }
            _ => None,
        })
        .collect();
    writes.into_iter().find_map(|(field, _, assign)| {
        let at = ast.expr(assign).span;
        let read_later = reads.iter().any(|(f, s)| {
            *f == field
                && (s.lo >= at.hi
                    || loops
                        .iter()
                        .any(|l| l.lo <= at.lo && at.hi <= l.hi && l.lo <= s.lo && s.hi <= l.hi))
        });
        (!read_later).then_some((field, assign, body.function))
    })
}

/// [`lost_write`] for the copy `v` of `body` passed as `arg` to the internal call `call`:
/// the copy is not used after the call nor is the call in a loop, and the helper (of
/// this file) loses a write to its parameter.
#[allow(clippy::too_many_arguments)]
fn lost_in_helper(
    cx: &FileContext<'_>,
    all: &[Body<'_>],
    body: &Body<'_>,
    v: VarId,
    call: ExprId,
    arg: ExprId,
    loops: &[Span],
    depth: u32,
) -> Option<(String, ExprId, semantics::FunctionId)> {
    let (model, ast) = (cx.model(), body.ast);
    let at = ast.expr(call).span;
    if loops.iter().any(|l| l.lo <= at.lo && at.hi <= l.hi) {
        return None;
    }
    let used_after = body.exprs.iter().any(|&x| {
        ast.expr(x).span.lo >= at.hi
            && matches!(model.declaration(cx.file, x),
                Some(Declaration::Local(y) | Declaration::Param(y)) if y == v)
    });
    if used_after {
        return None;
    }
    let is_internal = model
        .calls(body.function)
        .iter()
        .any(|c| c.expr == Some(call) && matches!(c.kind, semantics::CallKind::Internal { .. }));
    let g = is_internal
        .then(|| crate::analysis::derived::callee_of(model, body.function, call))
        .flatten()?;
    let (_, args) = ast.expr(call).as_call()?;
    let index = args.exprs().iter().position(|&a| a == arg)?;
    let &param = model.params(g).get(index)?;
    let helper = all
        .iter()
        .find(|b| b.function == g && b.function != body.function)?;
    let mut helper_loops = Vec::new();
    walk_stmts(
        helper.ast,
        helper.def.body?,
        &mut Vec::new(),
        &mut |s, _| {
            let stmt = helper.ast.stmt(s);
            if matches!(
                stmt.kind,
                StmtKind::For { .. } | StmtKind::While { .. } | StmtKind::DoWhile { .. }
            ) {
                helper_loops.push(stmt.span);
            }
        },
    );
    lost_write(cx, all, helper, param, &helper_loops, depth)
}

/// The parent of each expression of `exprs` that has one among them.
fn parents(ast: &Ast, exprs: &[ExprId]) -> HashMap<ExprId, ExprId> {
    let mut out = HashMap::new();
    for &x in exprs {
        let mut add = |c: ExprId| {
            out.insert(c, x);
        };
        match &ast.expr(x).kind {
            ExprKind::Member { base, .. } => add(*base),
            ExprKind::Index { base, index } => {
                add(*base);
                index.iter().for_each(|&i| add(i));
            }
            ExprKind::Slice { base, start, end } => {
                add(*base);
                start.iter().chain(end).for_each(|&i| add(i));
            }
            ExprKind::Call { callee, args } => {
                add(*callee);
                args.exprs().into_iter().for_each(&mut add);
            }
            ExprKind::CallOptions { callee, options } => {
                add(*callee);
                options.iter().for_each(|o| add(o.value));
            }
            ExprKind::Tuple { elements } => elements.iter().flatten().for_each(|&e| add(e)),
            ExprKind::InlineArray { elements } => elements.iter().for_each(|&e| add(e)),
            ExprKind::Unary { operand, .. } | ExprKind::Paren(operand) => add(*operand),
            ExprKind::Binary { lhs, rhs, .. } | ExprKind::Assign { lhs, rhs, .. } => {
                add(*lhs);
                add(*rhs);
            }
            ExprKind::Ternary {
                cond,
                then_expr,
                else_expr,
            } => {
                add(*cond);
                add(*then_expr);
                add(*else_expr);
            }
            _ => {}
        }
    }
    out
}
