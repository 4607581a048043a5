//! Dynamic storage arrays that any caller can grow, and the operations whose cost grows
//! with them: resetting the whole array, looping over its length, and growing it in a loop.

use std::collections::{HashMap, HashSet};

use semantics::{Builtin, Declaration, FunctionId, ItemRef, Model, Type};
use syntax::ast::{Ast, ExprId, ExprKind, StmtId, StmtKind, UnaryOp};
use syntax::{FileId, Span};

use crate::analysis::call_results::{own_exprs, walk_expr, walk_stmts};
use crate::detector::FileContext;

/// What an operation does to the array.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ArrayOpKind {
    /// `a = new T[](0)`, `delete a`, `a.length = 0`: every element is cleared.
    Reset,
    /// A loop whose condition reads `a.length`.
    Iterate,
    /// A loop that pushes to (or lengthens) `a`, in a function anyone can call.
    GrowInLoop,
}

/// One operation whose cost grows with the length of a storage array.
#[derive(Clone, Debug)]
pub(crate) struct ArrayOp {
    pub(crate) kind: ArrayOpKind,
    /// The array.
    pub(crate) array: ItemRef,
    /// The function holding the operation.
    pub(crate) function: FunctionId,
    /// The statement to report: the reset, or the loop.
    pub(crate) stmt: StmtId,
    /// Where to report: the reset statement, or the loop header.
    pub(crate) span: Span,
    /// For [`ArrayOpKind::GrowInLoop`]: the resets and loops of this file that pay for
    /// the array's length.
    pub(crate) cost_at: Vec<Span>,
}

/// A place where a caller without privileges grows an array.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Growth {
    pub(crate) file: FileId,
    pub(crate) span: Span,
}

/// The operations of this file whose cost grows with a storage array, with the places
/// where anyone can grow that array (only arrays with at least one such place).
pub(crate) fn costly_array_ops(cx: &FileContext<'_>) -> Vec<(ArrayOp, Vec<Growth>)> {
    let model = cx.model();
    let ast = cx.ast();
    let mut ops = Vec::new();
    for (f, info) in cx.functions() {
        let Some(def) = ast.item(info.item.item).as_function() else {
            continue;
        };
        let Some(body) = def.body else { continue };
        // Functions that change nothing are read off-chain; constructors run once, on
        // an empty contract.
        let read_only = || {
            def.is_read_only() || {
                let summary = model.summary(None, f);
                summary.writes.is_empty() && summary.external_calls.is_empty()
            }
        };
        let constructor = model.is_constructor(f);
        let mut open = None;
        walk_stmts(ast, body, &mut Vec::new(), &mut |s, loops| {
            let stmt = ast.stmt(s);
            if let StmtKind::Expr(e) = &stmt.kind
                && !constructor
                && let Some(array) = reset_array(model, cx.file, ast, ast.skip_parens(*e))
            {
                ops.push(ArrayOp {
                    kind: ArrayOpKind::Reset,
                    array,
                    function: f,
                    stmt: s,
                    span: stmt.span,
                    cost_at: Vec::new(),
                });
            }
            let cond = match &stmt.kind {
                StmtKind::For { cond, .. } => *cond,
                StmtKind::While { cond, .. } | StmtKind::DoWhile { cond, .. } => Some(*cond),
                _ => None,
            };
            if let Some(cond) = cond
                && has_storage_length(model, cx.file, ast, cond)
                && !read_only()
            {
                let header = Span::new(stmt.span.lo, ast.expr(cond).span.hi.max(stmt.span.lo));
                let header = if matches!(stmt.kind, StmtKind::DoWhile { .. }) {
                    stmt.span
                } else {
                    header
                };
                let mut seen = HashSet::new();
                walk_expr(ast, cond, &mut |x| {
                    if let Some(array) = length_of(model, cx.file, ast, x)
                        && seen.insert(array)
                    {
                        ops.push(ArrayOp {
                            kind: ArrayOpKind::Iterate,
                            array,
                            function: f,
                            stmt: s,
                            span: header,
                            cost_at: Vec::new(),
                        });
                    }
                });
            }
            // Growth inside a loop whose trip count the caller picks (no state in its
            // condition): reported at the outermost such loop.
            if !loops.is_empty()
                && *open.get_or_insert_with(|| is_open(model, f))
                && let Some(&outer) = loops
                    .iter()
                    .find(|&&l| !condition_reads_state(model, cx.file, ast, l))
                && !capped_before(model, cx.file, ast, f, outer)
            {
                for e in own_exprs(ast, s) {
                    let mut grown = Vec::new();
                    walk_expr(ast, e, &mut |x| {
                        grown.extend(grown_array(model, cx.file, ast, x));
                        grown.extend(grown_by_helper(model, f, x));
                    });
                    for array in grown {
                        if !ops.iter().any(|o: &ArrayOp| {
                            o.kind == ArrayOpKind::GrowInLoop && o.stmt == outer && o.array == array
                        }) {
                            ops.push(ArrayOp {
                                kind: ArrayOpKind::GrowInLoop,
                                array,
                                function: f,
                                stmt: outer,
                                span: loop_header(ast, outer),
                                cost_at: Vec::new(),
                            });
                        }
                    }
                }
            }
        });
    }
    if ops.is_empty() {
        return Vec::new();
    }
    // A loop growing an array matters when something else pays for its length.
    let with_cost: Vec<(ItemRef, Span)> = ops
        .iter()
        .filter(|o| o.kind != ArrayOpKind::GrowInLoop)
        .map(|o| (o.array, o.span))
        .collect();
    for o in &mut ops {
        if o.kind == ArrayOpKind::GrowInLoop {
            o.cost_at = with_cost
                .iter()
                .filter(|(a, _)| *a == o.array)
                .map(|&(_, at)| at)
                .collect();
        }
    }
    ops.retain(|o| o.kind != ArrayOpKind::GrowInLoop || !o.cost_at.is_empty());
    let arrays: HashSet<ItemRef> = ops.iter().map(|o| o.array).collect();
    let growth = growth_sites(cx, &arrays);
    ops.into_iter()
        .filter_map(|o| {
            let g = growth.get(&o.array)?;
            Some((o, g.clone()))
        })
        .collect()
}

/// True when `cond` reads the length of a dynamic storage array.
fn has_storage_length(model: &Model<'_>, file: FileId, ast: &Ast, cond: ExprId) -> bool {
    let mut found = false;
    walk_expr(ast, cond, &mut |x| {
        found |= length_of(model, file, ast, x).is_some();
    });
    found
}

/// True when the condition of loop `s` reads a state variable (a stored bound).
fn condition_reads_state(model: &Model<'_>, file: FileId, ast: &Ast, s: StmtId) -> bool {
    let cond = match &ast.stmt(s).kind {
        StmtKind::For { cond, .. } => *cond,
        StmtKind::While { cond, .. } | StmtKind::DoWhile { cond, .. } => Some(*cond),
        _ => None,
    };
    let Some(cond) = cond else { return false };
    let mut reads = false;
    walk_expr(ast, cond, &mut |x| {
        reads |= matches!(model.declaration(file, x), Some(Declaration::StateVar(_)));
    });
    reads
}

/// True when the variables the condition of loop `s` (of `f`) reads, or the values they
/// derive from, are checked before the loop by a condition that also reads state: a
/// stored cap (`if (count + amount >= maxCount) throw;` before `for (j < amount)`).
fn capped_before(model: &Model<'_>, file: FileId, ast: &Ast, f: FunctionId, s: StmtId) -> bool {
    use crate::analysis::derived::{body_nodes, conditions, local_closure, mentions_vars, var_of};
    let (cond, init) = match &ast.stmt(s).kind {
        StmtKind::For { cond, init, .. } => (*cond, *init),
        StmtKind::While { cond, .. } | StmtKind::DoWhile { cond, .. } => (Some(*cond), None),
        _ => (None, None),
    };
    let Some(cond) = cond else { return false };
    let mut seeds = HashSet::new();
    walk_expr(ast, cond, &mut |x| {
        seeds.extend(var_of(model, file, ast, x));
    });
    // The loop's own counter is not the bound.
    if let Some(init) = init
        && let StmtKind::VarDecl { decls, .. } = &ast.stmt(init).kind
    {
        for name in decls.iter().flatten().filter_map(|d| d.name.as_ref()) {
            if let Some(v) = model.var_declared_at(file, name.span) {
                seeds.remove(&v);
            }
        }
    }
    if seeds.is_empty() {
        return false;
    }
    let nodes = body_nodes(ast, model, f);
    let vars = local_closure(model, file, ast, &nodes, seeds.iter().copied());
    let start = ast.stmt(s).span.lo;
    conditions(ast, &nodes).into_iter().any(|c| {
        let mut reads_state = false;
        walk_expr(ast, c, &mut |x| {
            reads_state |= matches!(model.declaration(file, x), Some(Declaration::StateVar(_)));
        });
        ast.expr(c).span.hi <= start && reads_state && mentions_vars(model, file, ast, c, &vars)
    })
}

/// The header of a loop: from its keyword to the end of its condition.
fn loop_header(ast: &Ast, s: StmtId) -> Span {
    let stmt = ast.stmt(s);
    match &stmt.kind {
        StmtKind::For {
            cond: Some(cond), ..
        }
        | StmtKind::While { cond, .. } => {
            Span::new(stmt.span.lo, ast.expr(*cond).span.hi.max(stmt.span.lo))
        }
        _ => Span::new(stmt.span.lo, stmt.span.lo),
    }
}

/// True when any caller may run `f`: an entry point other than a constructor, not
/// read-only, with no access check.
fn is_open(model: &Model<'_>, f: FunctionId) -> bool {
    model.is_entry_point(f) && !model.is_constructor(f) && !model.is_guarded(f)
}

/// The dynamic storage array `e` names (directly or through a local storage pointer).
fn storage_array(model: &Model<'_>, file: FileId, ast: &Ast, e: ExprId) -> Option<ItemRef> {
    let e = ast.skip_parens(e);
    let var = match model.declaration(file, e)? {
        Declaration::StateVar(v) => v,
        Declaration::Local(v) => model.storage_alias(v)?,
        _ => return None,
    };
    matches!(model.type_of(file, e), Type::Array { fixed: false, .. }).then_some(var)
}

/// `a.length` of a dynamic storage array `a`.
fn length_of(model: &Model<'_>, file: FileId, ast: &Ast, e: ExprId) -> Option<ItemRef> {
    let (base, _) = ast.expr(e).as_member_access()?;
    match model.declaration(file, e)? {
        Declaration::Builtin(Builtin::ArrayLength) => storage_array(model, file, ast, base),
        _ => None,
    }
}

/// The array `e` grows: `a.push(x)`, `a.length++`, `a.length += n`.
fn grown_array(model: &Model<'_>, file: FileId, ast: &Ast, e: ExprId) -> Option<ItemRef> {
    match &ast.expr(e).kind {
        ExprKind::Call { callee, .. } => {
            let callee = ast.skip_parens(*callee);
            let (base, _) = ast.expr(callee).as_member_access()?;
            match model.declaration(file, callee)? {
                Declaration::Builtin(Builtin::ArrayPush) => storage_array(model, file, ast, base),
                _ => None,
            }
        }
        ExprKind::Unary {
            op: UnaryOp::PreInc | UnaryOp::PostInc,
            operand,
        } => length_of(model, file, ast, ast.skip_parens(*operand)),
        ExprKind::Assign {
            op: Some(syntax::ast::BinaryOp::Add),
            lhs,
            ..
        } => length_of(model, file, ast, ast.skip_parens(*lhs)),
        _ => None,
    }
}

/// The arrays an internal call `call` of `f` grows, in the helper's body or in the
/// functions it reaches (`for (...) { _add(msg.sender); }` with `_add` pushing); none
/// when the helper has an access check of its own.
fn grown_by_helper(model: &Model<'_>, f: FunctionId, call: ExprId) -> Vec<ItemRef> {
    let internal = model
        .calls(f)
        .iter()
        .any(|c| c.expr == Some(call) && matches!(c.kind, semantics::CallKind::Internal { .. }));
    let Some(g) = internal
        .then(|| crate::analysis::derived::callee_of(model, f, call))
        .flatten()
    else {
        return Vec::new();
    };
    if g == f || model.is_guarded(g) {
        return Vec::new();
    }
    let mut out: Vec<ItemRef> = Vec::new();
    for h in std::iter::once(g).chain(model.summary(None, g).callees) {
        let info = model.function(h);
        let Some(ast) = model.file_ast(info.item.file) else {
            continue;
        };
        let Some(body) = ast.item(info.item.item).as_function().and_then(|d| d.body) else {
            continue;
        };
        walk_stmts(ast, body, &mut Vec::new(), &mut |s, _| {
            for e in own_exprs(ast, s) {
                walk_expr(ast, e, &mut |x| {
                    if let Some(array) = grown_array(model, info.item.file, ast, x)
                        && !out.contains(&array)
                    {
                        out.push(array);
                    }
                });
            }
        });
    }
    out
}

/// The array a statement expression clears entirely.
fn reset_array(model: &Model<'_>, file: FileId, ast: &Ast, e: ExprId) -> Option<ItemRef> {
    match &ast.expr(e).kind {
        ExprKind::Assign { op: None, lhs, rhs } => {
            let rhs = ast.skip_parens(*rhs);
            if let Some(array) = length_of(model, file, ast, ast.skip_parens(*lhs)) {
                let zero = ast
                    .expr(rhs)
                    .as_literal()
                    .and_then(|l| l.number_value())
                    .is_some_and(|v| v == 0);
                return zero.then_some(array);
            }
            let (callee, _) = ast.expr(rhs).as_call()?;
            matches!(ast.expr(ast.skip_parens(callee)).kind, ExprKind::New { .. })
                .then(|| storage_array(model, file, ast, *lhs))
                .flatten()
        }
        ExprKind::Unary {
            op: UnaryOp::Delete,
            operand,
        } => storage_array(model, file, ast, *operand),
        _ => None,
    }
}

/// Where callers without privileges grow each of `arrays`: directly in an open entry
/// point, or in a function one reaches (the functions of this file).
fn growth_sites(cx: &FileContext<'_>, arrays: &HashSet<ItemRef>) -> HashMap<ItemRef, Vec<Growth>> {
    let model = cx.model();
    let ast = cx.ast();
    let mut reachable: HashSet<FunctionId> = HashSet::new();
    for (f, _) in cx.functions() {
        if is_open(model, f) && reachable.insert(f) {
            reachable.extend(model.summary(None, f).callees);
        }
    }
    let mut out: HashMap<ItemRef, Vec<Growth>> = HashMap::new();
    for (f, info) in cx.functions() {
        if !reachable.contains(&f) {
            continue;
        }
        let Some(body) = ast.item(info.item.item).as_function().and_then(|d| d.body) else {
            continue;
        };
        walk_stmts(ast, body, &mut Vec::new(), &mut |s, _| {
            for e in own_exprs(ast, s) {
                walk_expr(ast, e, &mut |x| {
                    if let Some(array) = grown_array(model, cx.file, ast, x)
                        && arrays.contains(&array)
                    {
                        out.entry(array).or_default().push(Growth {
                            file: cx.file,
                            span: ast.expr(x).span,
                        });
                    }
                });
            }
        });
    }
    for sites in out.values_mut() {
        sites.sort_by_key(|g| g.span.lo);
    }
    out
}

/// The name of a state variable (declared in this file or another).
pub(crate) fn array_name(cx: &FileContext<'_>, array: ItemRef) -> String {
    if array.file == cx.file
        && let Some(v) = cx.ast().item(array.item).as_variable()
    {
        return v.name.name.to_string();
    }
    "the array".to_owned()
}
