//! Values derived from one kind of source expression (a pool's spot price, `tx.gasprice`)
//! across the project: the variables the source reaches through declarations,
//! assignments and arguments of internal calls, and the functions whose return value
//! carries it. Flow-insensitive like the taint analysis, but for one chosen source, so
//! that a detector can ask "does this amount come from that read".

use std::collections::{HashMap, HashSet};

use semantics::{CallKind, Declaration, FunctionId, Model, VarId};
use syntax::FileId;
use syntax::ast::{Ast, CallArgs, ExprId, ExprKind, StmtId, StmtKind};
use syntax::visit::{self, VisitCx, Visitor};

/// Upper bound on fixpoint rounds (chains of helpers are short in practice).
const MAX_ROUNDS: usize = 12;

/// The statements and expressions of one function body, in visiting order.
pub(crate) struct BodyNodes {
    pub stmts: Vec<StmtId>,
    pub exprs: Vec<ExprId>,
}

/// The statements and expressions of the body of `f` (empty without a body).
pub(crate) fn body_nodes(ast: &Ast, model: &Model<'_>, f: FunctionId) -> BodyNodes {
    struct Nodes(BodyNodes);
    impl<'a> Visitor<'a> for Nodes {
        fn visit_stmt(&mut self, cx: VisitCx<'a>, id: StmtId) {
            self.0.stmts.push(id);
            visit::walk_stmt(self, cx, id);
        }
        fn visit_expr(&mut self, cx: VisitCx<'a>, id: ExprId) {
            self.0.exprs.push(id);
            visit::walk_expr(self, cx, id);
        }
    }
    let mut n = Nodes(BodyNodes {
        stmts: Vec::new(),
        exprs: Vec::new(),
    });
    if let Some(body) = ast
        .item(model.function(f).item.item)
        .as_function()
        .and_then(|d| d.body)
    {
        n.visit_stmt(VisitCx::new(ast), body);
    }
    n.0
}

/// The function a call expression of `f` runs, when the model resolves it: internal and
/// library calls (dispatched for `f`'s contract) and high-level calls whose callee
/// function is known.
pub(crate) fn callee_of(model: &Model<'_>, f: FunctionId, call: ExprId) -> Option<FunctionId> {
    let site = model.calls(f).iter().find(|s| s.expr == Some(call))?;
    let item = match site.kind {
        CallKind::Internal { function, .. } | CallKind::Library { function, .. } => {
            match model.function(f).contract {
                Some(md) if matches!(site.kind, CallKind::Internal { .. }) => {
                    model.dispatch(md, function)
                }
                _ => function,
            }
        }
        CallKind::HighLevel {
            function: Some(function),
            ..
        } => function,
        _ => return None,
    };
    model.function_of_item(item)
}

/// `(base, member, args)` for a call of a member, `base.member(args)`, also with call
/// options (`base.member{value: v}(args)`).
pub(crate) fn member_call(ast: &Ast, e: ExprId) -> Option<(ExprId, &str, &CallArgs)> {
    let ExprKind::Call { callee, args } = &ast.expr(e).kind else {
        return None;
    };
    let mut callee = ast.skip_parens(*callee);
    if let ExprKind::CallOptions { callee: inner, .. } = &ast.expr(callee).kind {
        callee = ast.skip_parens(*inner);
    }
    let (base, member) = ast.expr(callee).as_member_access()?;
    Some((base, member.name.as_str(), args))
}

/// The variables a value is stored in: the names of a declaration, the places of an
/// assignment (`x`, `(a, , b)`).
fn targets_of(model: &Model<'_>, file: FileId, ast: &Ast, lhs: ExprId, out: &mut Vec<VarId>) {
    let lhs = ast.skip_parens(lhs);
    match &ast.expr(lhs).kind {
        ExprKind::Tuple { elements } => {
            for &e in elements.iter().flatten() {
                targets_of(model, file, ast, e, out);
            }
        }
        ExprKind::Ident(_) => {
            if let Some(Declaration::Local(v) | Declaration::Param(v) | Declaration::Return(v)) =
                model.declaration(file, lhs)
            {
                out.push(v);
            }
        }
        _ => {}
    }
}

/// One place a value flows: into variables, or out of a function as its return.
enum Flow {
    Store {
        file: FileId,
        f: FunctionId,
        targets: Vec<VarId>,
        value: ExprId,
    },
    Return {
        file: FileId,
        f: FunctionId,
        value: ExprId,
    },
}

/// What a source reaches.
#[derive(Default)]
pub(crate) struct Derived {
    pub vars: HashSet<VarId>,
    pub returning: HashSet<FunctionId>,
    callees: HashMap<(FileId, ExprId), FunctionId>,
}

impl Derived {
    /// The fixpoint over every function of the model for the source `is_source`.
    pub(crate) fn compute(
        model: &Model<'_>,
        is_source: &dyn Fn(&Model<'_>, FileId, &Ast, FunctionId, ExprId) -> bool,
    ) -> Derived {
        let mut flows = Vec::new();
        let mut d = Derived::default();
        let mut sources_in: Vec<(FileId, FunctionId, Vec<ExprId>)> = Vec::new();
        for (f, info) in model.functions() {
            let file = info.item.file;
            let Some(ast) = model.file_ast(file) else {
                continue;
            };
            let nodes = body_nodes(ast, model, f);
            let mut own = Vec::new();
            for &e in &nodes.exprs {
                if is_source(model, file, ast, f, e) {
                    own.push(e);
                }
                match &ast.expr(e).kind {
                    ExprKind::Assign { lhs, rhs, .. } => {
                        let mut targets = Vec::new();
                        targets_of(model, file, ast, *lhs, &mut targets);
                        if !targets.is_empty() {
                            flows.push(Flow::Store {
                                file,
                                f,
                                targets,
                                value: *rhs,
                            });
                        }
                    }
                    ExprKind::Call { args, .. } => {
                        let Some(g) = callee_of(model, f, e) else {
                            continue;
                        };
                        d.callees.insert((file, e), g);
                        let internal = model.calls(f).iter().any(|s| {
                            s.expr == Some(e)
                                && matches!(
                                    s.kind,
                                    CallKind::Internal { .. } | CallKind::Library { .. }
                                )
                        });
                        if !internal {
                            continue;
                        }
                        let params = model.params(g);
                        let args = args.exprs();
                        // `x.f(a)` through `using L for T`: `x` is the first parameter.
                        let shift = params.len().saturating_sub(args.len());
                        for (i, &a) in args.iter().enumerate() {
                            if let Some(&p) = params.get(i + shift) {
                                flows.push(Flow::Store {
                                    file,
                                    f,
                                    targets: vec![p],
                                    value: a,
                                });
                            }
                        }
                    }
                    _ => {}
                }
            }
            for &s in &nodes.stmts {
                match &ast.stmt(s).kind {
                    StmtKind::VarDecl {
                        decls,
                        value: Some(value),
                        ..
                    } => {
                        let targets: Vec<VarId> = decls
                            .iter()
                            .flatten()
                            .filter_map(|d| d.name.as_ref())
                            .filter_map(|n| model.var_declared_at(file, n.span))
                            .collect();
                        flows.push(Flow::Store {
                            file,
                            f,
                            targets,
                            value: *value,
                        });
                    }
                    StmtKind::Return { value: Some(value) } => flows.push(Flow::Return {
                        file,
                        f,
                        value: *value,
                    }),
                    _ => {}
                }
            }
            if !own.is_empty() {
                sources_in.push((file, f, own));
            }
        }
        if sources_in.is_empty() {
            return d;
        }
        for _ in 0..MAX_ROUNDS {
            let mut changed = false;
            for flow in &flows {
                match *flow {
                    Flow::Store {
                        file,
                        f,
                        ref targets,
                        value,
                    } => {
                        if targets.iter().all(|v| d.vars.contains(v)) {
                            continue;
                        }
                        let Some(ast) = model.file_ast(file) else {
                            continue;
                        };
                        if d.mentions(model, file, ast, f, value, is_source) {
                            for &v in targets {
                                changed |= d.vars.insert(v);
                            }
                        }
                    }
                    Flow::Return { file, f, value } => {
                        if d.returning.contains(&f) {
                            continue;
                        }
                        let Some(ast) = model.file_ast(file) else {
                            continue;
                        };
                        if d.mentions(model, file, ast, f, value, is_source) {
                            changed |= d.returning.insert(f);
                        }
                    }
                }
            }
            // Named return variables that hold a derived value.
            for (f, _) in model.functions() {
                if !d.returning.contains(&f) && model.returns(f).iter().any(|v| d.vars.contains(v))
                {
                    changed |= d.returning.insert(f);
                }
            }
            if !changed {
                break;
            }
        }
        d
    }

    /// True when `e` (or a part of it) is a source, a derived variable, or a call of a
    /// function returning a derived value.
    pub(crate) fn mentions(
        &self,
        model: &Model<'_>,
        file: FileId,
        ast: &Ast,
        f: FunctionId,
        e: ExprId,
        is_source: &dyn Fn(&Model<'_>, FileId, &Ast, FunctionId, ExprId) -> bool,
    ) -> bool {
        self.derived_part(model, file, ast, f, e, is_source)
            .is_some()
    }

    /// The first part of `e` that is a source, a derived variable, or a call of a
    /// function returning a derived value.
    pub(crate) fn derived_part(
        &self,
        model: &Model<'_>,
        file: FileId,
        ast: &Ast,
        f: FunctionId,
        e: ExprId,
        is_source: &dyn Fn(&Model<'_>, FileId, &Ast, FunctionId, ExprId) -> bool,
    ) -> Option<ExprId> {
        crate::analysis::value_flow::subexprs(ast, e)
            .into_iter()
            .find(|&x| self.is_derived(model, file, ast, f, x, is_source))
    }

    /// True when `x` itself is a source, a derived variable, or a call of a function
    /// returning a derived value.
    pub(crate) fn is_derived(
        &self,
        model: &Model<'_>,
        file: FileId,
        ast: &Ast,
        f: FunctionId,
        x: ExprId,
        is_source: &dyn Fn(&Model<'_>, FileId, &Ast, FunctionId, ExprId) -> bool,
    ) -> bool {
        if is_source(model, file, ast, f, x) {
            return true;
        }
        match &ast.expr(x).kind {
            ExprKind::Ident(_) => matches!(
                model.declaration(file, x),
                Some(Declaration::Local(v) | Declaration::Param(v) | Declaration::Return(v))
                    if self.vars.contains(&v)
            ),
            ExprKind::Call { .. } => self
                .callees
                .get(&(file, x))
                .is_some_and(|g| self.returning.contains(g)),
            _ => false,
        }
    }
}

/// True when some name inside `e` is one of `vars`.
pub(crate) fn mentions_vars(
    model: &Model<'_>,
    file: FileId,
    ast: &Ast,
    e: ExprId,
    vars: &HashSet<VarId>,
) -> bool {
    crate::analysis::value_flow::subexprs(ast, e)
        .into_iter()
        .any(|x| var_of(model, file, ast, x).is_some_and(|v| vars.contains(&v)))
}

/// The local, parameter or return variable a name refers to.
pub(crate) fn var_of(model: &Model<'_>, file: FileId, ast: &Ast, e: ExprId) -> Option<VarId> {
    let e = ast.skip_parens(e);
    if !matches!(ast.expr(e).kind, ExprKind::Ident(_)) {
        return None;
    }
    match model.declaration(file, e)? {
        Declaration::Local(v) | Declaration::Param(v) | Declaration::Return(v) => Some(v),
        _ => None,
    }
}

/// `seeds` and the variables of a body whose declarations or assignments read them,
/// transitively (`uint256 price = uint256(answer)`, `age = block.timestamp - updatedAt`).
pub(crate) fn local_closure(
    model: &Model<'_>,
    file: FileId,
    ast: &Ast,
    nodes: &BodyNodes,
    seeds: impl IntoIterator<Item = VarId>,
) -> HashSet<VarId> {
    let mut set: HashSet<VarId> = seeds.into_iter().collect();
    let mut stores: Vec<(Vec<VarId>, ExprId)> = Vec::new();
    for &s in &nodes.stmts {
        if let StmtKind::VarDecl {
            decls,
            value: Some(value),
            ..
        } = &ast.stmt(s).kind
        {
            let targets = decls
                .iter()
                .flatten()
                .filter_map(|d| d.name.as_ref())
                .filter_map(|n| model.var_declared_at(file, n.span))
                .collect();
            stores.push((targets, *value));
        }
    }
    for &e in &nodes.exprs {
        if let ExprKind::Assign { lhs, rhs, .. } = &ast.expr(e).kind {
            let mut targets = Vec::new();
            targets_of(model, file, ast, *lhs, &mut targets);
            stores.push((targets, *rhs));
        }
    }
    for _ in 0..MAX_ROUNDS {
        let mut changed = false;
        for (targets, value) in &stores {
            if targets.iter().any(|v| !set.contains(v))
                && mentions_vars(model, file, ast, *value, &set)
            {
                for &v in targets {
                    changed |= set.insert(v);
                }
            }
        }
        if !changed {
            break;
        }
    }
    set
}

/// The conditions of a body: of `if`, loops, `require`/`assert` (first argument) and
/// `?:`.
pub(crate) fn conditions(ast: &Ast, nodes: &BodyNodes) -> Vec<ExprId> {
    let mut out = Vec::new();
    for &s in &nodes.stmts {
        match &ast.stmt(s).kind {
            StmtKind::If { cond, .. }
            | StmtKind::While { cond, .. }
            | StmtKind::DoWhile { cond, .. }
            | StmtKind::For {
                cond: Some(cond), ..
            } => out.push(*cond),
            _ => {}
        }
    }
    for &e in &nodes.exprs {
        match &ast.expr(e).kind {
            ExprKind::Call { callee, args } => {
                let callee = ast.expr(ast.skip_parens(*callee));
                if (callee.is_ident("require") || callee.is_ident("assert"))
                    && let Some(&c) = args.exprs().first()
                {
                    out.push(c);
                }
            }
            ExprKind::Ternary { cond, .. } => out.push(*cond),
            _ => {}
        }
    }
    out
}

/// True when a condition of `f`, or of an internal function `f` passes them to (up to
/// `depth` calls deep), reads one of `vars` (variables of `f`).
pub(crate) fn checked_in(
    model: &Model<'_>,
    f: FunctionId,
    vars: &HashSet<VarId>,
    depth: u32,
) -> bool {
    let file = model.function(f).item.file;
    let Some(ast) = model.file_ast(file) else {
        return false;
    };
    let nodes = body_nodes(ast, model, f);
    let vars = local_closure(model, file, ast, &nodes, vars.iter().copied());
    if conditions(ast, &nodes)
        .into_iter()
        .any(|c| mentions_vars(model, file, ast, c, &vars))
    {
        return true;
    }
    if depth == 0 {
        return false;
    }
    nodes.exprs.iter().any(|&e| {
        let ExprKind::Call { args, .. } = &ast.expr(e).kind else {
            return false;
        };
        let internal = model.calls(f).iter().any(|s| {
            s.expr == Some(e)
                && matches!(s.kind, CallKind::Internal { .. } | CallKind::Library { .. })
        });
        if !internal {
            return false;
        }
        let Some(g) = callee_of(model, f, e) else {
            return false;
        };
        let params = model.params(g);
        let args = args.exprs();
        let shift = params.len().saturating_sub(args.len());
        let passed: HashSet<VarId> = args
            .iter()
            .enumerate()
            .filter(|&(_, &a)| mentions_vars(model, file, ast, a, &vars))
            .filter_map(|(i, _)| params.get(i + shift).copied())
            .collect();
        !passed.is_empty() && checked_in(model, g, &passed, depth - 1)
    })
}
