//! Access-control facts shared by the access-control detectors: which entry points
//! anyone can call, what they reach without passing a guard, which state the guards
//! protect, and where to point at a function.

use std::collections::{BTreeSet, HashMap, HashSet};

use semantics::{ContractId, Declaration, FunctionId, ItemRef, Model};
use syntax::Span;
use syntax::ast::{Ast, ExprId, ExprKind, FunctionDef, FunctionKind};

use crate::analysis::contracts::ContractIndex;

/// The syntax definition of a function of the model.
pub(crate) fn def_of<'a>(
    ast: &'a Ast,
    model: &Model<'_>,
    f: FunctionId,
) -> Option<&'a FunctionDef> {
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
    let Some(def) = def_of(ast, model, f) else {
        return false;
    };
    if def.is_read_only() || def.kind == FunctionKind::Modifier {
        return false;
    }
    // A modifier the model cannot resolve (its source is missing) may be a guard.
    let resolved = model
        .calls(f)
        .iter()
        .filter(|c| matches!(c.kind, semantics::CallKind::Modifier { .. }))
        .count();
    if def.modifiers.len() > resolved {
        return false;
    }
    // A modifier declared in another file: its body is not in this AST, so checks
    // the model's guard misses cannot be seen; it may be one unless it is a mutex.
    let foreign_modifier = model.calls(f).iter().any(|c| match c.kind {
        semantics::CallKind::Modifier { modifier } => modifier.file != model.function(f).item.file,
        _ => false,
    });
    if foreign_modifier && !model.has_reentrancy_mutex(f) {
        return false;
    }
    !has_own_check(model, ast, f, 2)
}

/// True when `f`, one of its modifiers, or an internal function called at the top
/// of either checks the caller at its top level (`require(msg.sender == address(this))`,
/// `if (msg.sender != owner()) revert ...`): checks the model's guard does not count
/// (the contract itself, getters) in functions of this file.
fn has_own_check(model: &Model<'_>, ast: &Ast, f: FunctionId, depth: u32) -> bool {
    use syntax::ast::StmtKind;
    let file = model.function(f).item.file;
    let Some(def) = def_of(ast, model, f) else {
        return false;
    };
    let Some(body) = def.body else { return false };
    let StmtKind::Block { stmts, .. } = &ast.stmt(body).kind else {
        return false;
    };
    for &s in stmts {
        match &ast.stmt(s).kind {
            StmtKind::Expr(e) => {
                let Some((callee, args)) = ast.expr(ast.skip_parens(*e)).as_call() else {
                    continue;
                };
                if (ast.expr(callee).is_ident("require") || ast.expr(callee).is_ident("assert"))
                    && let Some(&c) = args.exprs().first()
                    && is_sender_check(model, ast, file, c, true)
                {
                    return true;
                }
            }
            StmtKind::If {
                cond,
                then_branch,
                else_branch: None,
            } if exits(ast, *then_branch) && is_sender_check(model, ast, file, *cond, false) => {
                return true;
            }
            // A modifier running its body only for the privileged: `if (check) _;`,
            // `if (check) { _; } else { throw; }`, `if (isAdmin) { _; } else { _fallback(); }`.
            StmtKind::If {
                cond,
                then_branch,
                else_branch,
            } if def.kind == FunctionKind::Modifier
                && ((has_placeholder(ast, *then_branch)
                    && else_branch.is_none_or(|e| !has_placeholder(ast, e))
                    && is_sender_check(model, ast, file, *cond, true))
                    || (!has_placeholder(ast, *then_branch)
                        && else_branch.is_some_and(|e| has_placeholder(ast, e))
                        && is_sender_check(model, ast, file, *cond, false))) =>
            {
                return true;
            }
            _ => {}
        }
    }
    depth > 0
        && model
            .internal_callees(model.function(f).contract, f)
            .into_iter()
            .any(|g| {
                model.function(g).item.file == file
                    && (model.function(g).kind == FunctionKind::Modifier
                        || model
                            .calls(f)
                            .iter()
                            .any(|c| stmts.iter().any(|&s| ast.stmt(s).span.lo == c.span.lo)))
                    && has_own_check(model, ast, g, depth - 1)
            })
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
pub(crate) fn family(
    model: &Model<'_>,
    index: &ContractIndex,
    contracts: &[ContractId],
) -> BTreeSet<ContractId> {
    let mut out = BTreeSet::new();
    for &c in contracts {
        out.extend(model.linearization(c).iter().copied());
        // Derived contracts may guard inherited state too.
        for &d in index.derived(c) {
            out.extend(model.linearization(d).iter().copied());
        }
    }
    out
}

/// The state variables the guards of `contracts` compare the caller with: those read
/// inside a guard condition ([`Model::guard`]), directly or by a function the
/// condition calls (`isOwner(msg.sender)` reads `owners`).
pub(crate) fn privileged_state(
    model: &Model<'_>,
    index: &ContractIndex,
    file: syntax::FileId,
    ast: &Ast,
    contracts: &BTreeSet<ContractId>,
) -> BTreeSet<ItemRef> {
    let mut out = BTreeSet::new();
    let mut guards = BTreeSet::new();
    for &c in contracts {
        for &f in index.declared(c) {
            // The guards of functions, not of modifiers alone: a modifier nothing
            // invokes protects nothing (the functions invoking one find it).
            if model.function(f).kind == FunctionKind::Modifier {
                continue;
            }
            if let Some(g) = model.guard(f) {
                guards.insert((g.function, g.span.lo, g.span.hi));
            }
        }
    }
    for (gf, lo, hi) in guards {
        // Guards in other files: their expressions are not in this AST.
        if model.function(gf).item.file != file {
            continue;
        }
        let spans = condition_spans(model, ast, file, Span::new(lo, hi));
        for &s in &spans {
            out.extend(sender_compared_vars(model, ast, file, s));
        }
        let inside = |s: Span| spans.iter().any(|g| s.lo >= g.lo && s.hi <= g.hi);
        for c in model.calls(gf) {
            if !inside(c.span) || c.kind.is_external() {
                continue;
            }
            let Some(call) = c.expr else { continue };
            // A check about one record (`_owns(msg.sender, tokenId)`) is per-record
            // ownership, not a privilege of the contract.
            let per_record = ast.expr(call).as_call().is_some_and(|(_, args)| {
                args.exprs().into_iter().any(|a| {
                    !is_msg_sender(model, ast, file, a)
                        && exprs_within(ast, ast.expr(a).span).any(|y| {
                            matches!(
                                model.declaration(file, y),
                                Some(Declaration::Param(_) | Declaration::Local(_))
                            )
                        })
                })
            });
            if per_record {
                continue;
            }
            for g in model.internal_callees(model.function(gf).contract, gf) {
                if callee_is(model, gf, c, g) {
                    // A check reads; a call that also writes (`transferFrom(from, msg.sender, v)`
                    // inside an `assert`) is an action, not a lookup of the caller.
                    let summary = model.summary(None, g);
                    if summary.writes.is_empty() {
                        out.extend(summary.reads);
                    }
                }
            }
        }
    }
    out
}

/// The span of a condition and those of the initializers of the `bool` locals it
/// tests: a check held in a local first (`bool ok = msg.sender == owner; require(ok);`).
fn condition_spans(model: &Model<'_>, ast: &Ast, file: syntax::FileId, cond: Span) -> Vec<Span> {
    let mut spans = vec![cond];
    for x in exprs_within(ast, cond) {
        if let Some(Declaration::Local(l)) = model.declaration(file, x)
            && *model.type_of(file, x) == semantics::Type::BOOL
            && let Some(init) = local_initializer(model, ast, l)
        {
            spans.push(ast.expr(init).span);
        }
    }
    spans
}

fn callee_is(
    model: &Model<'_>,
    from: FunctionId,
    site: &semantics::CallSite,
    g: FunctionId,
) -> bool {
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
    is_msg_sender_within(model, ast, file, e, 2)
}

/// [`is_msg_sender`], following locals declared from the sender (`address who =
/// msg.sender;`) `depth` deep.
fn is_msg_sender_within(
    model: &Model<'_>,
    ast: &Ast,
    file: syntax::FileId,
    e: ExprId,
    depth: u32,
) -> bool {
    let e = ast.skip_parens(e);
    match &ast.expr(e).kind {
        ExprKind::Ident(_) => {
            depth > 0
                && matches!(model.declaration(file, e), Some(Declaration::Local(l))
                    if local_initializer(model, ast, l)
                        .is_some_and(|init| is_msg_sender_within(model, ast, file, init, depth - 1)))
        }
        ExprKind::Member { .. } => matches!(
            model.declaration(file, e),
            Some(Declaration::Builtin(semantics::Builtin::MsgSender))
        ),
        // `_msgSender()`: OpenZeppelin's `Context` and ERC-2771, a standard name.
        ExprKind::Call { callee, args }
            if args.is_empty() && ast.expr(ast.skip_parens(*callee)).is_ident("_msgSender") =>
        {
            true
        }
        ExprKind::Call { callee, args } => {
            matches!(
                ast.expr(ast.skip_parens(*callee)).kind,
                ExprKind::ElementaryType(_)
            ) && args.len() == 1
                && args
                    .exprs()
                    .first()
                    .is_some_and(|&a| is_msg_sender_within(model, ast, file, a, depth))
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
    cx: &crate::detector::FileContext<'_>,
) -> Vec<(FunctionId, Vec<FunctionId>)> {
    struct Entries(Vec<(FunctionId, Vec<FunctionId>)>);
    let (model, ast, file) = (cx.model(), cx.ast(), cx.file);
    cx.project
        .per_file(file, || {
            Entries(open_entries_among(
                model,
                ast,
                file,
                cx.functions().map(|(f, _)| f),
            ))
        })
        .0
        .clone()
}

fn open_entries_among(
    model: &Model<'_>,
    ast: &Ast,
    file: syntax::FileId,
    functions: impl Iterator<Item = FunctionId>,
) -> Vec<(FunctionId, Vec<FunctionId>)> {
    functions
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
    pub(crate) taint: &'m semantics::Taint,
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
            Some(Declaration::StateVar(r)) => {
                self.open_written.contains(&r) && self.taint.state_var(r).is_caller_controlled()
            }
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
                depth > 0
                    && self
                        .assigned_values(f, v)
                        .into_iter()
                        .any(|a| self.any_leaf(a, depth - 1))
            }
            _ => false,
        }
    }

    /// True when `e` is the caller's address on every path: `msg.sender`, a local only
    /// ever holding it (`address who = msg.sender;`), or a parameter of an internal
    /// function every call of `reach` passes it to (`_setOwner(msg.sender)`).
    pub(crate) fn is_caller(&self, e: ExprId, depth: u32) -> bool {
        let e = self.ast.skip_parens(e);
        if is_msg_sender(self.model, self.ast, self.file, e) {
            return true;
        }
        if depth == 0 {
            return false;
        }
        let values = match self.model.declaration(self.file, e) {
            Some(Declaration::Param(v)) => {
                let Some(f) = self.model.var(v).function else {
                    return false;
                };
                let Some(index) = self.model.params(f).iter().position(|&p| p == v) else {
                    return false;
                };
                if f == self.entry {
                    return false;
                }
                self.args_to(f, index)
            }
            Some(Declaration::Local(v)) => match self.model.var(v).function {
                Some(f) => self.assigned_values(f, v),
                None => return false,
            },
            _ => return false,
        };
        !values.is_empty() && values.into_iter().all(|a| self.is_caller(a, depth - 1))
    }

    /// The arguments at `index` of the internal calls of `f` made in `reach`.
    pub(crate) fn args_to(&self, f: FunctionId, index: usize) -> Vec<ExprId> {
        self.args_to_from(f, index)
            .into_iter()
            .map(|(_, a)| a)
            .collect()
    }

    /// [`CallerChoice::args_to`] with the function each argument is written in.
    pub(crate) fn args_to_from(&self, f: FunctionId, index: usize) -> Vec<(FunctionId, ExprId)> {
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
                    let i = if bound {
                        index.checked_sub(1)
                    } else {
                        Some(index)
                    };
                    match i {
                        Some(i) => out.extend(args.get(i).map(|&a| (g, a))),
                        None => {
                            if let Some((callee, _)) = self.ast.expr(call).as_call()
                                && let Some((base, _)) = self.ast.expr(callee).as_member_access()
                            {
                                out.push((g, base));
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
        let Some(body) = def_of(self.ast, self.model, f).and_then(|d| body_span(self.ast, d))
        else {
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
                && self
                    .model
                    .declaration(self.file, self.ast.skip_parens(*lhs))
                    == Some(Declaration::Local(v))
            {
                out.push(*rhs);
            }
        }
        out
    }
}

/// The state variables written by the functions of `reaches` (own writes).
pub(crate) fn written_by(
    model: &Model<'_>,
    reaches: &[(FunctionId, Vec<FunctionId>)],
) -> BTreeSet<ItemRef> {
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
        // `owners[msg.sender] != 0` (an address-valued mapping).
        ExprKind::Binary {
            op: BinaryOp::Ne,
            lhs,
            rhs,
        } if holds && is_zero_like(ast, *rhs) => {
            model.type_of(file, ast.skip_parens(*lhs)).is_address()
                && matches!(&ast.expr(ast.skip_parens(*lhs)).kind, ExprKind::Index { base, index: Some(i) }
                if is_msg_sender(model, ast, file, *i) && root_state_var(model, ast, file, *base).is_some())
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
            let state = |e: ExprId| {
                let e = ast.skip_parens(e);
                root_state_var(model, ast, file, e).is_some()
                    || is_this(model, ast, file, e)
                    || matches!(&ast.expr(e).kind, ExprKind::Call { callee, .. }
                        if !matches!(ast.expr(ast.skip_parens(*callee)).kind, ExprKind::ElementaryType(_))
                            && !matches!(model.declaration(file, ast.skip_parens(*callee)), Some(Declaration::Builtin(_))))
            };
            (is_eq == holds) && ((sender(*lhs) && state(*rhs)) || (sender(*rhs) && state(*lhs)))
        }
        ExprKind::Unary {
            op: UnaryOp::Not,
            operand,
        } => sub(*operand, !holds),
        // `bool isAdmin = admins[msg.sender]; require(isAdmin);`
        ExprKind::Ident(_) => match model.declaration(file, cond) {
            Some(Declaration::Local(v)) => {
                let name = model.var(v).span;
                ast.stmts().any(|(_, stmt)| match &stmt.kind {
                    syntax::ast::StmtKind::VarDecl {
                        decls,
                        value: Some(value),
                        ..
                    } => {
                        decls
                            .iter()
                            .flatten()
                            .any(|d| d.name.as_ref().is_some_and(|n| n.span == name))
                            && ast.expr(*value).span.lo > name.hi
                            && !matches!(ast.expr(ast.skip_parens(*value)).kind, ExprKind::Ident(_))
                            && sub(*value, holds)
                    }
                    _ => false,
                })
            }
            _ => false,
        },
        ExprKind::Index {
            base,
            index: Some(index),
        } => {
            holds
                && *model.type_of(file, cond) == semantics::Type::BOOL
                && is_msg_sender(model, ast, file, *index)
                && root_state_var(model, ast, file, *base).is_some()
        }
        ExprKind::Call { callee, args } => {
            (holds && looks_up_caller(model, ast, file, *callee))
                || holds
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
/// caller: by the model's guards ([`Model::guarded_at`]), or by a check of the caller
/// this file recognises ([`is_sender_check`]) that is not at the top of the function:
/// inside `if (msg.sender == owner) { ... }`, or after `if (msg.sender != owner)
/// return;` in an enclosing block.
pub(crate) fn checked_in_body(
    model: &Model<'_>,
    ast: &Ast,
    file: syntax::FileId,
    g: FunctionId,
    target: Span,
) -> bool {
    model.guarded_at(g, target)
        || model.checked_on_path(
            g,
            target,
            |cond, holds| is_sender_check(model, ast, file, cond, holds),
            |s| exits(ast, s),
        )
}

/// The state variables the file compares the caller with in a check of its own
/// (`require(msg.sender == owner)`, `if (msg.sender == creator) _;`,
/// `require(owners[msg.sender] != 0)`), besides those of the model's guards.
pub(crate) fn checked_state(
    model: &Model<'_>,
    ast: &Ast,
    file: syntax::FileId,
    invoked: &HashSet<ItemRef>,
    with_unused_modifiers: bool,
) -> BTreeSet<ItemRef> {
    use syntax::ast::StmtKind;
    // Each condition with the truth value under which the code goes on.
    let mut conds = Vec::new();
    for (_, stmt) in ast.stmts() {
        if let StmtKind::If {
            cond, then_branch, ..
        } = &stmt.kind
        {
            conds.push((*cond, !exits(ast, *then_branch)));
        }
    }
    for (_, e) in ast.exprs() {
        if let Some((callee, args)) = e.as_call()
            && (ast.expr(callee).is_ident("require") || ast.expr(callee).is_ident("assert"))
            && let Some(&c) = args.exprs().first()
        {
            conds.push((c, true));
        }
    }
    // Checks in modifiers that no function invokes protect nothing.
    let unused: Vec<Span> = ast
        .items()
        .filter_map(|(item, it)| {
            let def = it.as_function()?;
            (def.kind == FunctionKind::Modifier && !invoked.contains(&ItemRef { file, item }))
                .then(|| def.body.map(|b| ast.stmt(b).span))
                .flatten()
        })
        .collect();
    let mut out = BTreeSet::new();
    for (c, holds) in conds {
        let at = ast.expr(c).span;
        if !with_unused_modifiers && unused.iter().any(|u| u.lo <= at.lo && at.hi <= u.hi) {
            continue;
        }
        if is_sender_check(model, ast, file, c, holds) {
            for s in condition_spans(model, ast, file, ast.expr(c).span) {
                out.extend(sender_compared_vars(model, ast, file, s));
            }
        }
    }
    out
}

/// The state variables compared with the caller inside `span`: `owner` in
/// `msg.sender == owner`, `admins` in `admins[msg.sender]` (a flag) and in
/// `owners[msg.sender] != 0`. Per-record owners (`channels[id].party == msg.sender`)
/// are left out.
fn sender_compared_vars(
    model: &Model<'_>,
    ast: &Ast,
    file: syntax::FileId,
    span: Span,
) -> BTreeSet<ItemRef> {
    use syntax::ast::BinaryOp;
    let records = record_vars(model, ast, file, span);
    let mut out = BTreeSet::new();
    for x in exprs_within(ast, span) {
        match &ast.expr(x).kind {
            ExprKind::Binary {
                op: BinaryOp::Eq | BinaryOp::Ne,
                lhs,
                rhs,
            } => {
                for (a, b) in [(*lhs, *rhs), (*rhs, *lhs)] {
                    if is_msg_sender(model, ast, file, a)
                        && let Some(r) = root_state_var(model, ast, file, b)
                    {
                        out.insert(r);
                    }
                    // `owners[msg.sender] != 0`.
                    if let ExprKind::Index {
                        base,
                        index: Some(i),
                    } = &ast.expr(ast.skip_parens(a)).kind
                        && is_msg_sender(model, ast, file, *i)
                        && is_zero_like(ast, b)
                        && let Some(r) = root_state_var(model, ast, file, *base)
                    {
                        out.insert(r);
                    }
                }
            }
            ExprKind::Index {
                base,
                index: Some(i),
            } if *model.type_of(file, x) == semantics::Type::BOOL
                && is_msg_sender(model, ast, file, *i) =>
            {
                out.extend(root_state_var(model, ast, file, *base));
            }
            _ => {}
        }
    }
    out.retain(|r| !records.contains(r));
    out
}

/// True when `f` only proceeds for a caller who pays or holds a stake: a comparison
/// requiring `msg.value` (or a local computed from it) or the caller's own entry of a
/// state mapping to reach a non-zero amount (`require(msg.value >= price)`,
/// `msg.value == fee`, `require(balanceOf[msg.sender] == totalSupply)`).
/// Becoming the owner, the leader or the last depositor by paying is then the
/// contract's design (a sale, a game), not a takeover.
pub(crate) fn requires_payment(model: &Model<'_>, ast: &Ast, f: FunctionId) -> bool {
    // The entry and the functions it reaches (a fallback calling `bid()`).
    open_reach(model, f)
        .into_iter()
        .filter(|&g| model.function(g).item.file == model.function(f).item.file)
        .any(|g| requires_payment_in(model, ast, g))
}

fn requires_payment_in(model: &Model<'_>, ast: &Ast, f: FunctionId) -> bool {
    use syntax::ast::BinaryOp;
    let file = model.function(f).item.file;
    let Some(body) = def_of(ast, model, f).and_then(|d| body_span(ast, d)) else {
        return false;
    };
    let is_value = |e: ExprId| {
        matches!(
            model.declaration(file, ast.skip_parens(e)),
            Some(Declaration::Builtin(semantics::Builtin::MsgValue))
        )
    };
    // `msg.value`, a local computed from it (`uint bid = msg.value.sub(fee);`), or
    // the caller's own holding (`balanceOf[msg.sender] == totalSupply`): a stake.
    let value = |e: ExprId| {
        let e = ast.skip_parens(e);
        if is_value(e) {
            return true;
        }
        if let Some(Declaration::Local(l)) = model.declaration(file, e)
            && let Some(init) = local_initializer(model, ast, l)
        {
            return exprs_within(ast, ast.expr(init).span).any(is_value);
        }
        matches!(&ast.expr(e).kind, ExprKind::Index { base, index: Some(i) }
            if is_msg_sender(model, ast, file, *i) && root_state_var(model, ast, file, *base).is_some())
    };
    let zero = |e: ExprId| is_zero_like(ast, e);
    exprs_within(ast, body).any(|c| {
        let ExprKind::Binary { op, lhs, rhs } = &ast.expr(c).kind else {
            return false;
        };
        match op {
            BinaryOp::Ge | BinaryOp::Gt => value(*lhs) && !zero(*rhs),
            BinaryOp::Le | BinaryOp::Lt => value(*rhs) && !zero(*lhs),
            BinaryOp::Eq => (value(*lhs) && !zero(*rhs)) || (value(*rhs) && !zero(*lhs)),
            _ => false,
        }
    })
}

/// The initializer of the local `v` (`T v = value;`), if it has one.
pub(crate) fn local_initializer(
    model: &Model<'_>,
    ast: &Ast,
    v: semantics::VarId,
) -> Option<ExprId> {
    let decl = model.var(v).span;
    ast.stmts().find_map(|(_, st)| match &st.kind {
        syntax::ast::StmtKind::VarDecl {
            decls,
            value: Some(value),
            ..
        } if decls
            .iter()
            .flatten()
            .any(|d| d.name.as_ref().is_some_and(|n| n.span == decl)) =>
        {
            Some(*value)
        }
        _ => None,
    })
}

/// The initializer of the local `v` (of `file`) when nothing assigns `v` afterwards:
/// the local stands for that value wherever it is read (`bool ok = cond; require(ok);`).
pub(crate) fn fixed_initializer(
    model: &Model<'_>,
    ast: &Ast,
    file: syntax::FileId,
    v: semantics::VarId,
) -> Option<ExprId> {
    let reassigned = ast.exprs().any(|(_, x)| {
        matches!(&x.kind, ExprKind::Assign { lhs, .. }
            if model.declaration(file, ast.skip_parens(*lhs)) == Some(Declaration::Local(v)))
    });
    if reassigned {
        return None;
    }
    local_initializer(model, ast, v)
}

/// The modifiers some function of the project invokes (computed once per project).
pub(crate) struct InvokedModifiers(pub(crate) HashSet<ItemRef>);

impl InvokedModifiers {
    pub(crate) fn of(model: &Model<'_>) -> InvokedModifiers {
        InvokedModifiers(
            model
                .functions()
                .flat_map(|(f, _)| model.calls(f).iter())
                .filter_map(|c| match c.kind {
                    semantics::CallKind::Modifier { modifier } => Some(modifier),
                    _ => None,
                })
                .collect(),
        )
    }
}

/// How an open entry point changes privileged state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum GrantKind {
    /// The caller records itself: `owner = msg.sender`, `admins[msg.sender] = true`.
    SelfGrant,
    /// The caller chooses the value or the key: `owner = _newOwner`, `owners[_o] = x`.
    CallerChosen,
}

/// A write of privileged state reachable from an open entry point.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PrivilegedWrite {
    pub(crate) entry: FunctionId,
    /// The assignment (or `delete`, `push`).
    pub(crate) span: Span,
    pub(crate) var: ItemRef,
    pub(crate) kind: GrantKind,
    /// Only checks in modifiers that no function invokes read `var`: it gates nothing
    /// today.
    pub(crate) dormant: bool,
}

/// The privileged writes of `cx`'s file ([`privileged_writes`]), computed once per file
/// for the detectors that share them.
pub(crate) fn privileged_writes_of(cx: &crate::detector::FileContext<'_>) -> Vec<PrivilegedWrite> {
    struct FileWrites(Vec<PrivilegedWrite>);
    cx.project
        .per_file(cx.file, || {
            let index = ContractIndex::of(cx);
            let invoked = cx.project.project_wide(|| InvokedModifiers::of(cx.model()));
            FileWrites(privileged_writes(cx, &index, &invoked.0, open_entries(cx)))
        })
        .0
        .clone()
}

/// Every write of privileged state (compared with the caller by a guard or check of
/// the contract family) that an open entry point of the file reaches without an
/// access check, when the caller records itself or chooses what is written.
pub(crate) fn privileged_writes(
    cx: &crate::detector::FileContext<'_>,
    index: &ContractIndex,
    invoked: &HashSet<ItemRef>,
    entries: Vec<(FunctionId, Vec<FunctionId>)>,
) -> Vec<PrivilegedWrite> {
    let (model, taint, ast, text, file) = (cx.model(), cx.taint(), cx.ast(), cx.text, cx.file);
    let contracts: Vec<ContractId> = model
        .contracts()
        .filter(|(_, c)| c.item.file == file)
        .map(|(id, _)| id)
        .collect();
    let fam = family(model, index, &contracts);
    let mut privileged = privileged_state(model, index, file, ast, &fam);
    privileged.extend(checked_state(model, ast, file, invoked, false));
    // State only a modifier nothing invokes compares with the caller: dormant
    // privilege (a forgotten `onlyOwner`), reported but at low severity.
    // So is an address the constructor records as the deployer (`owner = msg.sender`)
    // that no check reads yet: the code names a privileged party it never consults.
    let dormant: BTreeSet<ItemRef> = checked_state(model, ast, file, invoked, true)
        .into_iter()
        .chain(deployer_recorded(model, ast, file, &contracts))
        .filter(|v| !privileged.contains(v))
        .collect();
    let open_written = written_by(model, &entries);
    // The assignments of each reached function, found once (reach sets overlap).
    let mut assignments: HashMap<FunctionId, Vec<ExprId>> = HashMap::new();
    for &g in entries.iter().flat_map(|(_, reach)| reach) {
        assignments.entry(g).or_insert_with(|| {
            def_of(ast, model, g)
                .and_then(|d| body_span(ast, d))
                .map(|body| {
                    exprs_within(ast, body)
                        .filter(|&x| matches!(ast.expr(x).kind, ExprKind::Assign { .. }))
                        .collect()
                })
                .unwrap_or_default()
        });
    }
    let mut admin_gated: Option<BTreeSet<ItemRef>> = None;
    let mut out = Vec::new();
    for (entry, reach) in &entries {
        let choice = CallerChoice {
            model,
            ast,
            file,
            entry: *entry,
            reach,
            open_written: &open_written,
            taint,
        };
        for &g in reach {
            for &x in assignments.get(&g).map_or(&[][..], Vec::as_slice) {
                let (place, value) = match &ast.expr(x).kind {
                    ExprKind::Assign { lhs, rhs, .. } => (*lhs, Some(*rhs)),
                    _ => continue,
                };
                let Some(var) = root_state_var(model, ast, file, place) else {
                    continue;
                };
                let is_dormant = dormant.contains(&var);
                if !privileged.contains(&var) && !is_dormant {
                    continue;
                }
                let span = ast.expr(x).span;
                // `owner = owner` stores back what is there: nothing changes.
                let unchanged = value.is_some_and(|v| {
                    crate::analysis::value_flow::key(ast, text, v)
                        == crate::analysis::value_flow::key(ast, text, place)
                });
                if unchanged || checked_in_body(model, ast, file, g, span) {
                    continue;
                }
                let keys = index_keys(ast, place);
                let self_key = keys.iter().any(|&k| is_msg_sender(model, ast, file, k));
                let self_value = value.is_some_and(|v| choice.is_caller(v, 3));
                let zero_value = value.is_some_and(|v| is_zero_like(ast, v));
                // Revoking (`= 0`, `= false`) is not a takeover, and nor is the caller's
                // own entry (`members[msg.sender] = true`) unless the set it joins
                // admits its members to an administrative action.
                let enrols = self_key
                    && keys.len() == 1
                    && !is_dormant
                    && value.is_some_and(|v| is_true_like(ast, v))
                    && admin_gated
                        .get_or_insert_with(|| admin_gating_vars(model, ast, file))
                        .contains(&var);
                if zero_value || (self_key && !enrols) {
                    continue;
                }
                let kind = if (self_value && keys.is_empty()) || enrols {
                    GrantKind::SelfGrant
                } else if (keys.is_empty() && value.is_some_and(|v| choice.any_leaf(v, 3)))
                    || keys.iter().any(|&k| choice.any_leaf(k, 3))
                {
                    // With keys, the caller must choose whose entry changes.
                    GrantKind::CallerChosen
                } else {
                    continue;
                };
                out.push(PrivilegedWrite {
                    entry: *entry,
                    span,
                    var,
                    kind,
                    dormant: is_dormant,
                });
            }
        }
    }
    out
}

/// The state variables of `contracts` (declared in `file`) that a constructor sets to
/// `msg.sender`: `owner = msg.sender;`.
fn deployer_recorded(
    model: &Model<'_>,
    ast: &Ast,
    file: syntax::FileId,
    contracts: &[ContractId],
) -> BTreeSet<ItemRef> {
    let mut out = BTreeSet::new();
    for (f, info) in model.functions() {
        if info.item.file != file
            || !info.contract.is_some_and(|c| contracts.contains(&c))
            || !model.is_constructor(f)
        {
            continue;
        }
        let Some(body) = def_of(ast, model, f).and_then(|d| body_span(ast, d)) else {
            continue;
        };
        for x in exprs_within(ast, body) {
            if let ExprKind::Assign { op: None, lhs, rhs } = &ast.expr(x).kind
                && is_msg_sender(model, ast, file, *rhs)
                && let Some(Declaration::StateVar(v)) =
                    model.declaration(file, ast.skip_parens(*lhs))
            {
                out.insert(v);
            }
        }
    }
    out
}

/// The state variables whose check of the caller (`require(managers[msg.sender])`)
/// admits to an administrative action: a function of `file` guarded by such a check
/// that sets contract-wide state (not the caller's own entry) from its arguments
/// (`rate = r`), or sends ether in an amount its caller chooses or the whole balance.
/// A register that admits its members to play or to withdraw their own funds is not
/// one.
fn admin_gating_vars(model: &Model<'_>, ast: &Ast, file: syntax::FileId) -> BTreeSet<ItemRef> {
    let mut out = BTreeSet::new();
    for (f, info) in model.functions() {
        if info.item.file != file || info.kind == FunctionKind::Modifier {
            continue;
        }
        let Some(g) = model.guard(f) else { continue };
        if model.function(g.function).item.file != file {
            continue;
        }
        let gating: BTreeSet<ItemRef> = condition_spans(model, ast, file, g.span)
            .into_iter()
            .flat_map(|s| sender_compared_vars(model, ast, file, s))
            .collect();
        if gating.is_empty() || gating.iter().all(|v| out.contains(v)) {
            continue;
        }
        let Some(body) = def_of(ast, model, f).and_then(|d| body_span(ast, d)) else {
            continue;
        };
        let from_args = |e: ExprId| {
            exprs_within(ast, ast.expr(e).span).any(|y| {
                matches!(model.declaration(file, y),
                    Some(Declaration::Param(p)) if model.var(p).function == Some(f))
            })
        };
        let sets_config = exprs_within(ast, body).any(|x| match &ast.expr(x).kind {
            ExprKind::Assign { lhs, rhs, .. } => {
                root_state_var(model, ast, file, *lhs).is_some()
                    && !index_keys(ast, *lhs)
                        .iter()
                        .any(|&k| is_msg_sender(model, ast, file, k))
                    && from_args(*rhs)
            }
            _ => false,
        });
        let pays_out = model.calls(f).iter().any(|c| match c.kind {
            semantics::CallKind::LowLevel {
                value: Some(v), ..
            }
            | semantics::CallKind::HighLevel {
                value: Some(v), ..
            } => {
                from_args(v)
                    || exprs_within(ast, ast.expr(v).span)
                        .any(|y| matches!(&ast.expr(y).kind, ExprKind::Member { base, .. } if is_this(model, ast, file, *base)))
            }
            _ => false,
        });
        if sets_config || pays_out {
            out.extend(gating);
        }
    }
    out
}

/// `true` or a non-zero number: a membership being granted.
fn is_true_like(ast: &Ast, e: ExprId) -> bool {
    ast.expr(ast.skip_parens(e)).as_literal().is_some_and(|l| {
        matches!(l, syntax::ast::Literal::Bool(true)) || l.number_value().is_some_and(|n| n != 0)
    })
}

/// The index expressions along an assigned place: `k` and `j` in `m[k].f[j]`.
fn index_keys(ast: &Ast, place: ExprId) -> Vec<ExprId> {
    let mut out = Vec::new();
    let mut e = ast.skip_parens(place);
    for _ in 0..32 {
        match &ast.expr(e).kind {
            ExprKind::Index { base, index } => {
                out.extend(*index);
                e = ast.skip_parens(*base);
            }
            ExprKind::Member { base, .. } => e = ast.skip_parens(*base),
            _ => break,
        }
    }
    out
}

/// `0`, `false`, `address(0)`.
fn is_zero_like(ast: &Ast, e: ExprId) -> bool {
    let e = ast.skip_parens(e);
    let x = ast.expr(e);
    if let Some(l) = x.as_literal() {
        return l.number_value() == Some(0) || matches!(l, syntax::ast::Literal::Bool(false));
    }
    if let Some((callee, args)) = x.as_call()
        && matches!(ast.expr(callee).kind, ExprKind::ElementaryType(_))
        && let [a] = args.exprs().as_slice()
    {
        return is_zero_like(ast, *a);
    }
    false
}

/// True for a function that reads, in a check that reverts or returns early, a state
/// variable it writes: a run-once guard (`if (initialized) throw; ... initialized = true`).
pub(crate) fn has_once_check(model: &Model<'_>, entry: FunctionId) -> bool {
    let writes = model.summary(None, entry).writes;
    model.calls(entry).iter().any(|c| match c.kind {
        semantics::CallKind::Modifier { modifier } => model
            .function_of_item(modifier)
            .is_some_and(|m| model.state_reads(m).iter().any(|a| writes.contains(&a.var))),
        _ => false,
    })
}

/// True for a function meant as a constructor whose name does not make it one: before
/// 0.5, a non-constructor named like its contract up to letter case, or named
/// `constructor` in any case but the keyword's.
pub(crate) fn is_misnamed_constructor(model: &Model<'_>, f: FunctionId) -> bool {
    let info = model.function(f);
    if info.kind != FunctionKind::Function || model.is_constructor(f) || info.name.is_empty() {
        return false;
    }
    let Some(c) = info.contract else {
        return false;
    };
    let before_05 = model
        .version(info.item.file)
        .is_some_and(|v| v < syntax::Version::new(0, 5, 0));
    let contract = model.contract(c).name.as_str();
    let name = info.name.as_str();
    // A constructor returns nothing: a function handing out a value (`Random.random()`
    // returning a number) is meant to be called, whatever its name.
    let returns_value = !model.returns(f).is_empty()
        || model
            .file_ast(info.item.file)
            .and_then(|ast| ast.item(info.item.item).as_function())
            .is_some_and(|d| !d.returns.is_empty());
    before_05
        && !returns_value
        && ((name.eq_ignore_ascii_case(contract) && name != contract)
            || name.eq_ignore_ascii_case("constructor"))
}

/// `this`, `address(this)`.
pub(crate) fn is_this(model: &Model<'_>, ast: &Ast, file: syntax::FileId, e: ExprId) -> bool {
    let e = ast.skip_parens(e);
    match &ast.expr(e).kind {
        ExprKind::Ident(_) => matches!(
            model.declaration(file, e),
            Some(Declaration::Builtin(semantics::Builtin::This))
        ),
        ExprKind::Call { callee, args } => {
            matches!(
                ast.expr(ast.skip_parens(*callee)).kind,
                ExprKind::ElementaryType(_)
            ) && args.len() == 1
                && args
                    .exprs()
                    .first()
                    .is_some_and(|&a| is_this(model, ast, file, a))
        }
        _ => false,
    }
}

/// The state variables indexed, inside `span`, by a key the caller picks
/// (`channels[id].partyA == msg.sender`): per-record ownership, not a privilege of
/// the contract. Keys that are the sender or constants do not count.
fn record_vars(
    model: &Model<'_>,
    ast: &Ast,
    file: syntax::FileId,
    span: Span,
) -> BTreeSet<ItemRef> {
    let mut out = BTreeSet::new();
    for x in exprs_within(ast, span) {
        if let ExprKind::Index {
            base,
            index: Some(index),
        } = &ast.expr(x).kind
            && !is_msg_sender(model, ast, file, *index)
            && exprs_within(ast, ast.expr(*index).span).any(|k| {
                matches!(
                    model.declaration(file, k),
                    Some(Declaration::Param(_) | Declaration::Local(_) | Declaration::Return(_))
                )
            })
            && let Some(r) = root_state_var(model, ast, file, *base)
        {
            out.insert(r);
        }
    }
    out
}

/// True when `callee` names an internal function of this file whose body looks the
/// caller up in state (`m_ownerIndex[uint(msg.sender)]`): a check of who calls, such
/// as a multi-signature confirmation.
fn looks_up_caller(model: &Model<'_>, ast: &Ast, file: syntax::FileId, callee: ExprId) -> bool {
    let Some(Declaration::Function(item)) = model.declaration(file, ast.skip_parens(callee)) else {
        return false;
    };
    if item.file != file {
        return false;
    }
    let Some(g) = model.function_of_item(item) else {
        return false;
    };
    let Some(body) = def_of(ast, model, g).and_then(|d| body_span(ast, d)) else {
        return false;
    };
    exprs_within(ast, body).any(|x| {
        matches!(&ast.expr(x).kind, ExprKind::Index { base, index: Some(i) }
            if is_msg_sender(model, ast, file, *i) && root_state_var(model, ast, file, *base).is_some())
    })
}

/// The statement is the modifier placeholder `_` or a block holding one.
fn has_placeholder(ast: &Ast, s: syntax::ast::StmtId) -> bool {
    use syntax::ast::StmtKind;
    match &ast.stmt(s).kind {
        StmtKind::Placeholder => true,
        StmtKind::Block { stmts, .. } => stmts.iter().any(|&x| has_placeholder(ast, x)),
        StmtKind::Expr(e) => ast.expr(*e).is_ident("_"),
        _ => false,
    }
}

/// True when the caller chooses which function the call data calls: the data is
/// (a name holding) `msg.data` or a parameter, or an ABI encoding whose selector or
/// signature the caller chooses.
pub(crate) fn selector_chosen(
    choice: &CallerChoice<'_, '_>,
    ast: &Ast,
    data: ExprId,
    depth: u32,
) -> bool {
    let data = ast.skip_parens(data);
    let model = choice.model;
    match &ast.expr(data).kind {
        ExprKind::Ident(_) | ExprKind::Member { .. } => {
            match model.declaration(choice.file, data) {
                Some(Declaration::Param(v)) => {
                    let Some(f) = model.var(v).function else {
                        return false;
                    };
                    if f == choice.entry {
                        return true;
                    }
                    let Some(i) = model.params(f).iter().position(|&p| p == v) else {
                        return false;
                    };
                    depth > 0
                        && choice
                            .args_to(f, i)
                            .into_iter()
                            .any(|a| selector_chosen(choice, ast, a, depth - 1))
                }
                Some(Declaration::Local(v)) => {
                    let Some(f) = model.var(v).function else {
                        return false;
                    };
                    depth > 0
                        && choice
                            .assigned_values(f, v)
                            .into_iter()
                            .any(|a| selector_chosen(choice, ast, a, depth - 1))
                }
                _ => choice.leaf(data, depth),
            }
        }
        ExprKind::Call { callee, args } => {
            let callee = ast.skip_parens(*callee);
            let encodes_call = ast.expr(callee).as_member_access().is_some_and(|(_, m)| {
                matches!(
                    m.name.as_str(),
                    "encodeWithSelector" | "encodeWithSignature" | "encodeCall"
                )
            });
            let conversion = matches!(ast.expr(callee).kind, ExprKind::ElementaryType(_));
            (encodes_call || conversion)
                && args.exprs().first().is_some_and(|&a| choice.any_leaf(a, 3))
        }
        _ => false,
    }
}

/// The declared name of a state variable (or any named item), in whichever file it is;
/// empty when the item has no name.
pub(crate) fn item_name(model: &Model<'_>, v: ItemRef) -> String {
    model
        .file_ast(v.file)
        .and_then(|ast| ast.item(v.item).name())
        .map_or_else(String::new, |n| n.as_str().to_owned())
}

/// The functions whose conditions guard the body of `f`: `f` itself, the modifiers it
/// invokes, and the internal functions it calls (`depth` calls deep) with their own
/// modifiers; only those declared in the file of `f` (their bodies are in its syntax
/// tree). A check moved into a modifier (`modifier cond(uint a) { require(...); _; }`)
/// or a helper (`function check(uint a) internal { require(...); }`) still guards.
pub(crate) fn checking_functions(model: &Model<'_>, f: FunctionId, depth: u32) -> Vec<FunctionId> {
    let file = model.function(f).item.file;
    let md = model.function(f).contract;
    let mut out = vec![f];
    let mut frontier = vec![f];
    for level in 0..=depth {
        let mut next = Vec::new();
        for &g in &frontier {
            for h in model.internal_callees(md, g) {
                if model.function(h).item.file != file || out.contains(&h) {
                    continue;
                }
                let modifier = model.function(h).kind == FunctionKind::Modifier;
                if !modifier && level == depth {
                    continue;
                }
                out.push(h);
                if !modifier {
                    next.push(h);
                }
            }
        }
        frontier = next;
    }
    out
}

/// The argument lists `f` passes to the modifier `m`, one per invocation
/// (`onlyBelow(amount)`).
pub(crate) fn modifier_args(
    model: &Model<'_>,
    ast: &Ast,
    f: FunctionId,
    m: FunctionId,
) -> Vec<Vec<ExprId>> {
    let Some(def) = def_of(ast, model, f) else {
        return Vec::new();
    };
    model
        .calls(f)
        .iter()
        .filter(|c| {
            matches!(c.kind, semantics::CallKind::Modifier { modifier }
                if model.function_of_item(modifier) == Some(m))
        })
        .filter_map(|c| {
            def.modifiers
                .iter()
                .find(|inv| inv.span == c.span)
                .map(|inv| inv.args.as_ref().map(|a| a.exprs()).unwrap_or_default())
        })
        .collect()
}

/// The values `e` stands for: when it names a local (possibly converted,
/// `address(payer)`), the values the local is declared with and assigned in its
/// function, followed through locals holding other locals `depth` deep; any other
/// expression stands for itself. A local with no value stands for nothing.
pub(crate) fn held_values(
    model: &Model<'_>,
    ast: &Ast,
    file: syntax::FileId,
    e: ExprId,
    depth: u32,
) -> Vec<ExprId> {
    let mut inner = ast.skip_parens(e);
    while let Some((callee, args)) = ast.expr(inner).as_call()
        && matches!(
            ast.expr(ast.skip_parens(callee)).kind,
            ExprKind::ElementaryType(_)
        )
        && let [a] = args.exprs()[..]
    {
        inner = ast.skip_parens(a);
    }
    let Some(Declaration::Local(v)) = model.declaration(file, inner) else {
        return vec![e];
    };
    if depth == 0 {
        return vec![e];
    }
    let mut values: Vec<ExprId> = local_initializer(model, ast, v).into_iter().collect();
    if let Some(body) = model
        .var(v)
        .function
        .and_then(|f| def_of(ast, model, f))
        .and_then(|d| body_span(ast, d))
    {
        values.extend(
            exprs_within(ast, body).filter_map(|x| match ast.expr(x).kind {
                ExprKind::Assign { op: None, lhs, rhs }
                    if model.declaration(file, ast.skip_parens(lhs))
                        == Some(Declaration::Local(v)) =>
                {
                    Some(rhs)
                }
                _ => None,
            }),
        );
    }
    values
        .into_iter()
        .flat_map(|x| held_values(model, ast, file, x, depth - 1))
        .collect()
}
