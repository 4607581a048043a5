//! Access-control facts shared by the access-control detectors: which entry points
//! anyone can call, what they reach without passing a guard, which state the guards
//! protect, and where to point at a function.

use std::collections::{BTreeSet, HashSet};

use semantics::{ContractId, Declaration, FunctionId, ItemRef, Model};
use syntax::Span;
use syntax::ast::{Ast, ExprId, ExprKind, FunctionDef, FunctionKind};

/// The syntax definition of a function of the model.
pub(crate) fn def_of<'a>(ast: &'a Ast, model: &Model<'_>, f: FunctionId) -> Option<&'a FunctionDef> {
    ast.item(model.function(f).item.item).as_function()
}

/// Where to point at a function: from its keyword to the end of its name (or the
/// end of the first header line for unnamed ones), so the span stays on one line.
pub(crate) fn header_span(text: &str, def: &FunctionDef) -> Span {
    let lo = def.header_span.lo;
    let hi = match &def.name {
        Some(name) => name.span.hi,
        None => {
            let start = lo as usize;
            let end = (def.header_span.hi as usize).min(text.len());
            let line_end = text
                .get(start..end)
                .and_then(|s| s.find('\n'))
                .map_or(end, |i| start + i);
            line_end as u32
        }
    };
    Span::new(lo, hi.max(lo))
}

/// True for an entry point anyone can call: public or external (before 0.5 also
/// without visibility), fallback or receive; not a constructor, not view or pure, and
/// without a guard ([`Model::is_guarded`]).
pub(crate) fn is_open_entry(model: &Model<'_>, ast: &Ast, f: FunctionId) -> bool {
    if !model.is_entry_point(f) || model.is_constructor(f) || model.is_guarded(f) {
        return false;
    }
    def_of(ast, model, f).is_some_and(|d| !d.is_read_only() && d.kind != FunctionKind::Modifier)
}

/// The functions an open entry point reaches through internal calls (itself first),
/// without entering a function that has a guard of its own.
pub(crate) fn open_reach(model: &Model<'_>, entry: FunctionId) -> Vec<FunctionId> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    let mut stack = vec![entry];
    seen.insert(entry);
    while let Some(f) = stack.pop() {
        out.push(f);
        for g in model.internal_callees(model.function(entry).contract, f) {
            if model.function(g).kind == FunctionKind::Modifier {
                continue;
            }
            if seen.insert(g) && !model.is_guarded(g) {
                stack.push(g);
            }
        }
    }
    out
}

/// The contracts whose functions may guard the state of the contracts of this file:
/// every contract along their linearizations.
pub(crate) fn family(model: &Model<'_>, contracts: &[ContractId]) -> BTreeSet<ContractId> {
    let mut out = BTreeSet::new();
    for &c in contracts {
        out.extend(model.linearization(c).iter().copied());
        // Derived contracts may guard inherited state too.
        for (d, _) in model.contracts() {
            if model.linearization(d).contains(&c) {
                out.extend(model.linearization(d).iter().copied());
            }
        }
    }
    out
}

/// The state variables the guards of `contracts` compare the caller with: those read
/// inside a guard condition ([`Model::guard`]), directly or by a function the
/// condition calls (`isOwner(msg.sender)` reads `owners`).
pub(crate) fn privileged_state(
    model: &Model<'_>,
    file: syntax::FileId,
    ast: &Ast,
    contracts: &BTreeSet<ContractId>,
) -> BTreeSet<ItemRef> {
    let mut out = BTreeSet::new();
    let mut guards = BTreeSet::new();
    for (f, info) in model.functions() {
        if info.contract.is_some_and(|c| contracts.contains(&c))
            && let Some(g) = model.guard(f)
        {
            guards.insert((g.function, g.span.lo, g.span.hi));
        }
    }
    for (gf, lo, hi) in guards {
        let inside = |s: Span| s.lo >= lo && s.hi <= hi;
        // Guards in other files: their expressions are not in this AST.
        if model.function(gf).item.file != file {
            continue;
        }
        for a in model.state_reads(gf) {
            if inside(ast.expr(a.expr).span) {
                out.insert(a.var);
            }
        }
        for c in model.calls(gf) {
            if !inside(c.span) || c.kind.is_external() {
                continue;
            }
            for g in model.internal_callees(model.function(gf).contract, gf) {
                if model
                    .calls(gf)
                    .iter()
                    .any(|s| inside(s.span) && s.expr.is_some() && callee_is(model, gf, s, g))
                {
                    out.extend(model.summary(None, g).reads);
                }
            }
        }
    }
    out
}

fn callee_is(model: &Model<'_>, from: FunctionId, site: &semantics::CallSite, g: FunctionId) -> bool {
    let target = match site.kind {
        semantics::CallKind::Internal { function, .. } => Some(function),
        semantics::CallKind::Library { function, .. } => Some(function),
        _ => None,
    };
    target.is_some_and(|t| {
        let md = model.function(from).contract;
        let t = match md {
            Some(md) => model.dispatch(md, t),
            None => t,
        };
        model.function_of_item(t) == Some(g)
    })
}

/// The state variable at the root of an assigned place: `x`, `x[k]`, `x.f[k]`, or a
/// local storage pointer initialised from one.
pub(crate) fn root_state_var(
    model: &Model<'_>,
    ast: &Ast,
    file: syntax::FileId,
    e: ExprId,
) -> Option<ItemRef> {
    let e = ast.skip_parens(e);
    match &ast.expr(e).kind {
        ExprKind::Ident(_) => match model.declaration(file, e)? {
            Declaration::StateVar(r) => Some(r),
            Declaration::Local(v) => model.storage_alias(v),
            _ => None,
        },
        ExprKind::Member { base, .. } => match model.declaration(file, e) {
            Some(Declaration::StateVar(r)) => Some(r),
            _ => root_state_var(model, ast, file, *base),
        },
        ExprKind::Index { base, .. } => root_state_var(model, ast, file, *base),
        _ => None,
    }
}

/// True when `e` is `msg.sender` (possibly converted: `address(msg.sender)`).
pub(crate) fn is_msg_sender(model: &Model<'_>, ast: &Ast, file: syntax::FileId, e: ExprId) -> bool {
    let e = ast.skip_parens(e);
    match &ast.expr(e).kind {
        ExprKind::Member { .. } => matches!(
            model.declaration(file, e),
            Some(Declaration::Builtin(semantics::Builtin::MsgSender))
        ),
        ExprKind::Call { callee, args } => {
            matches!(
                ast.expr(ast.skip_parens(*callee)).kind,
                ExprKind::ElementaryType(_)
            ) && args.len() == 1
                && args
                    .exprs()
                    .first()
                    .is_some_and(|&a| is_msg_sender(model, ast, file, a))
        }
        _ => false,
    }
}

/// The expressions of `ast` whose spans lie inside `span`, in id order.
pub(crate) fn exprs_within(ast: &Ast, span: Span) -> impl Iterator<Item = ExprId> + '_ {
    ast.exprs()
        .filter(move |(_, e)| e.span.lo >= span.lo && e.span.hi <= span.hi)
        .map(|(id, _)| id)
}

/// The body span of a function, if it has one.
pub(crate) fn body_span(ast: &Ast, def: &FunctionDef) -> Option<Span> {
    def.body.map(|b| ast.stmt(b).span)
}

/// Every open entry point of this file ([`is_open_entry`]) with the functions of this
/// file it reaches without passing a guard ([`open_reach`]).
pub(crate) fn open_entries(
    model: &Model<'_>,
    file: syntax::FileId,
    ast: &Ast,
) -> Vec<(FunctionId, Vec<FunctionId>)> {
    model
        .functions()
        .filter(|(_, info)| info.item.file == file)
        .map(|(f, _)| f)
        .filter(|&f| is_open_entry(model, ast, f))
        .map(|f| {
            let reach = open_reach(model, f)
                .into_iter()
                .filter(|&g| model.function(g).item.file == file)
                .collect();
            (f, reach)
        })
        .collect()
}

/// Whether the caller of `entry` chooses a value, judged more narrowly than the
/// whole-project taint: parameters of internal functions count only through the
/// arguments the functions of `reach` pass them, and state variables only when an
/// open entry point of the file writes them (not when a constructor stored a
/// deployment parameter).
pub(crate) struct CallerChoice<'m, 'a> {
    pub(crate) model: &'m Model<'a>,
    pub(crate) ast: &'m Ast,
    pub(crate) file: syntax::FileId,
    pub(crate) entry: FunctionId,
    pub(crate) reach: &'m [FunctionId],
    /// State variables written by open entry points (and what they reach).
    pub(crate) open_written: &'m BTreeSet<ItemRef>,
}

impl CallerChoice<'_, '_> {
    /// True when some leaf of `e` (a name or `msg.*` member) is chosen by the caller.
    pub(crate) fn any_leaf(&self, e: ExprId, depth: u32) -> bool {
        let span = self.ast.expr(e).span;
        exprs_within(self.ast, span).any(|x| self.leaf(x, depth))
    }

    /// True when `e` itself is a name or member the caller chooses.
    pub(crate) fn leaf(&self, e: ExprId, depth: u32) -> bool {
        let e = self.ast.skip_parens(e);
        if !matches!(
            self.ast.expr(e).kind,
            ExprKind::Ident(_) | ExprKind::Member { .. }
        ) {
            return false;
        }
        match self.model.declaration(self.file, e) {
            Some(Declaration::Builtin(b)) => matches!(
                b,
                semantics::Builtin::MsgSender
                    | semantics::Builtin::MsgData
                    | semantics::Builtin::TxOrigin
            ),
            Some(Declaration::StateVar(r)) => self.open_written.contains(&r),
            Some(Declaration::Param(v)) => {
                let Some(f) = self.model.var(v).function else {
                    return false;
                };
                if f == self.entry {
                    return true;
                }
                if depth == 0 {
                    return false;
                }
                let Some(index) = self.model.params(f).iter().position(|&p| p == v) else {
                    return false;
                };
                self.args_to(f, index)
                    .into_iter()
                    .any(|a| self.any_leaf(a, depth - 1))
            }
            Some(Declaration::Local(v)) => {
                // The initialiser and assignments of the local.
                let Some(f) = self.model.var(v).function else {
                    return false;
                };
                depth > 0 && self.assigned_values(f, v).into_iter().any(|a| self.any_leaf(a, depth - 1))
            }
            _ => false,
        }
    }

    /// The arguments at `index` of the internal calls of `f` made in `reach`.
    pub(crate) fn args_to(&self, f: FunctionId, index: usize) -> Vec<ExprId> {
        let mut out = Vec::new();
        for &g in self.reach {
            for site in self.model.calls(g) {
                let Some(call) = site.expr else { continue };
                let item = match site.kind {
                    semantics::CallKind::Internal { function, .. }
                    | semantics::CallKind::Library { function, .. } => function,
                    _ => continue,
                };
                let md = self.model.function(self.entry).contract;
                let item = md.map_or(item, |md| self.model.dispatch(md, item));
                if self.model.function_of_item(item) != Some(f) {
                    continue;
                }
                if let Some((_, args)) = self.ast.expr(call).as_call() {
                    let args = args.exprs();
                    // `x.f(a)` through `using L for T`: `x` is the first parameter.
                    let bound = args.len() < self.model.params(f).len();
                    let i = if bound { index.checked_sub(1) } else { Some(index) };
                    match i {
                        Some(i) => out.extend(args.get(i).copied()),
                        None => {
                            if let Some((callee, _)) = self.ast.expr(call).as_call()
                                && let Some((base, _)) = self.ast.expr(callee).as_member_access()
                            {
                                out.push(base);
                            }
                        }
                    }
                }
            }
        }
        out
    }

    /// The values stored in the local `v` of `f`: its initialiser and assignments.
    pub(crate) fn assigned_values(&self, f: FunctionId, v: semantics::VarId) -> Vec<ExprId> {
        let mut out = Vec::new();
        let Some(body) = def_of(self.ast, self.model, f).and_then(|d| body_span(self.ast, d)) else {
            return out;
        };
        let decl_span = self.model.var(v).span;
        for (_, stmt) in self.ast.stmts() {
            if let syntax::ast::StmtKind::VarDecl {
                decls,
                value: Some(value),
                ..
            } = &stmt.kind
                && stmt.span.lo >= body.lo
                && stmt.span.hi <= body.hi
                && decls
                    .iter()
                    .flatten()
                    .any(|d| d.name.as_ref().is_some_and(|n| n.span == decl_span))
            {
                out.push(*value);
            }
        }
        for x in exprs_within(self.ast, body) {
            if let ExprKind::Assign { lhs, rhs, .. } = &self.ast.expr(x).kind
                && self.model.declaration(self.file, self.ast.skip_parens(*lhs))
                    == Some(Declaration::Local(v))
            {
                out.push(*rhs);
            }
        }
        out
    }
}

/// The state variables written by the functions of `reaches` (own writes).
pub(crate) fn written_by(model: &Model<'_>, reaches: &[(FunctionId, Vec<FunctionId>)]) -> BTreeSet<ItemRef> {
    reaches
        .iter()
        .flat_map(|(_, r)| r.iter())
        .flat_map(|&g| model.state_writes(g).iter().map(|a| a.var))
        .collect()
}

/// True when `cond` holding (`holds`) or failing (`!holds`) restricts the caller to
/// a privileged set: `msg.sender == owner` (state), `admins[msg.sender]`,
/// `isOwner(msg.sender)`; through `&&`, `||`, `!` and parentheses.
pub(crate) fn is_sender_check(
    model: &Model<'_>,
    ast: &Ast,
    file: syntax::FileId,
    cond: ExprId,
    holds: bool,
) -> bool {
    use syntax::ast::{BinaryOp, UnaryOp};
    let cond = ast.skip_parens(cond);
    let sub = |e: ExprId, h: bool| is_sender_check(model, ast, file, e, h);
    match &ast.expr(cond).kind {
        ExprKind::Binary {
            op: op @ (BinaryOp::And | BinaryOp::Or),
            lhs,
            rhs,
        } => {
            if (*op == BinaryOp::Or) == holds {
                sub(*lhs, holds) && sub(*rhs, holds)
            } else {
                sub(*lhs, holds) || sub(*rhs, holds)
            }
        }
        ExprKind::Binary {
            op: op @ (BinaryOp::Eq | BinaryOp::Ne),
            lhs,
            rhs,
        } => {
            let is_eq = *op == BinaryOp::Eq;
            let sender = |e: ExprId| {
                is_msg_sender(model, ast, file, e)
                    || matches!(
                        model.declaration(file, ast.skip_parens(e)),
                        Some(Declaration::Builtin(semantics::Builtin::TxOrigin))
                    )
            };
            let state = |e: ExprId| root_state_var(model, ast, file, e).is_some();
            (is_eq == holds) && ((sender(*lhs) && state(*rhs)) || (sender(*rhs) && state(*lhs)))
        }
        ExprKind::Unary {
            op: UnaryOp::Not,
            operand,
        } => sub(*operand, !holds),
        ExprKind::Index {
            base,
            index: Some(index),
        } => {
            holds
                && is_msg_sender(model, ast, file, *index)
                && root_state_var(model, ast, file, *base).is_some()
        }
        ExprKind::Call { callee, args } => {
            holds
                && args
                    .exprs()
                    .iter()
                    .any(|&a| is_msg_sender(model, ast, file, a))
                && *model.type_of(file, cond) == semantics::Type::BOOL
                && !matches!(
                    model.declaration(file, ast.skip_parens(*callee)),
                    Some(Declaration::Builtin(_))
                )
        }
        _ => false,
    }
}

/// True when the statement at `target` inside `stmt` runs only after a check of the
/// caller that the model's guard does not see because it is not at the top of the
/// function: inside `if (msg.sender == owner) { ... }`, or after
/// `if (msg.sender != owner) return;` in an enclosing block.
pub(crate) fn sender_checked_at(
    model: &Model<'_>,
    ast: &Ast,
    file: syntax::FileId,
    stmt: syntax::ast::StmtId,
    target: Span,
) -> bool {
    use syntax::ast::StmtKind;
    let within = |s: syntax::ast::StmtId| {
        let sp = ast.stmt(s).span;
        sp.lo <= target.lo && target.hi <= sp.hi
    };
    if !within(stmt) {
        return false;
    }
    match &ast.stmt(stmt).kind {
        StmtKind::Block { stmts, .. } => {
            for &s in stmts {
                if within(s) {
                    return sender_checked_at(model, ast, file, s, target);
                }
                if let StmtKind::If {
                    cond,
                    then_branch,
                    else_branch: None,
                } = &ast.stmt(s).kind
                    && exits(ast, *then_branch)
                    && is_sender_check(model, ast, file, *cond, false)
                {
                    return true;
                }
            }
            false
        }
        StmtKind::If {
            cond,
            then_branch,
            else_branch,
        } => {
            if within(*then_branch) {
                is_sender_check(model, ast, file, *cond, true)
                    || sender_checked_at(model, ast, file, *then_branch, target)
            } else if let Some(e) = else_branch
                && within(*e)
            {
                is_sender_check(model, ast, file, *cond, false)
                    || sender_checked_at(model, ast, file, *e, target)
            } else {
                false
            }
        }
        StmtKind::While { body, .. } | StmtKind::DoWhile { body, .. } | StmtKind::For { body, .. } => {
            sender_checked_at(model, ast, file, *body, target)
        }
        _ => false,
    }
}

/// A statement that leaves the function: `return`, `revert`, `throw`, or a block
/// starting with one.
fn exits(ast: &Ast, s: syntax::ast::StmtId) -> bool {
    use syntax::ast::StmtKind;
    match &ast.stmt(s).kind {
        StmtKind::Return { .. } | StmtKind::Revert { .. } | StmtKind::Throw => true,
        StmtKind::Block { stmts, .. } => stmts.first().is_some_and(|&x| exits(ast, x)),
        StmtKind::Expr(e) => ast
            .expr(ast.skip_parens(*e))
            .as_call()
            .is_some_and(|(c, _)| ast.expr(c).is_ident("revert")),
        _ => false,
    }
}

/// True when the operation at `target` in function `g` runs only for a privileged
/// caller by a check inside the body ([`sender_checked_at`]).
pub(crate) fn checked_in_body(model: &Model<'_>, ast: &Ast, file: syntax::FileId, g: FunctionId, target: Span) -> bool {
    def_of(ast, model, g)
        .and_then(|d| d.body)
        .is_some_and(|b| sender_checked_at(model, ast, file, b, target))
}
