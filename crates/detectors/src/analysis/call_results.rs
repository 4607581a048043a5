//! What becomes of the value a call returns: dropped by an expression statement, stored
//! in locals (and whether a read of that definition follows, by def-use chains), or used
//! directly (a condition, an argument, a return, an operand, a state variable).
//!
//! Also a statement walk that knows the loops around each statement, shared by the
//! detectors that look at calls and loops.

use std::collections::HashMap;

use semantics::{
    CallKind, CallSite, Cfg, Declaration, DefUse, FunctionId, LowLevelKind, Model, NodeId, NodeKind,
};
use syntax::FileId;
use syntax::Span;
use syntax::ast::{
    Ast, CompactString, ExprId, ExprKind, StmtId, StmtKind, YulExprId, YulExprKind, YulStmtId,
    YulStmtKind,
};

/// One component of a call's value stored in a local variable.
#[derive(Clone, Debug)]
pub(crate) struct StoredIn {
    /// The variable's name.
    pub(crate) name: CompactString,
    /// Where the variable is declared or assigned.
    pub(crate) span: Span,
    /// Some read of this definition follows (also: a read in inline assembly).
    pub(crate) read: bool,
    /// The CFG nodes reading this definition.
    pub(crate) read_at: Vec<NodeId>,
}

/// Where one component of a call's value goes in `(a, , b) = call()`.
#[derive(Clone, Debug)]
pub(crate) enum Part {
    /// A skipped tuple position: the component is dropped.
    Skipped,
    /// A local variable (or parameter).
    Local(StoredIn),
    /// A state variable, a named return, an array element...: kept, so used.
    Elsewhere,
}

impl Part {
    fn is_used(&self) -> bool {
        match self {
            Part::Skipped => false,
            Part::Local(s) => s.read,
            Part::Elsewhere => true,
        }
    }

    fn local(&self) -> Option<&StoredIn> {
        match self {
            Part::Local(s) => Some(s),
            _ => None,
        }
    }
}

/// What becomes of the value of one call.
#[derive(Clone, Debug)]
pub(crate) enum ResultUse {
    /// The call is an expression statement: its value is dropped.
    Dropped,
    /// The value was stored by a declaration or an assignment, one entry per component.
    Stored(Vec<Part>),
    /// Used directly, or stored in state or in a named return variable.
    Used,
}

impl ResultUse {
    /// True when the first component (the success flag of a low-level call, the
    /// boolean of `send` or of an ERC20 `transfer`) is acted on.
    pub(crate) fn first_is_used(&self) -> bool {
        match self {
            ResultUse::Dropped => false,
            // `(, bytes memory data) = a.call(...)`: the flag is skipped.
            ResultUse::Stored(parts) => parts.first().is_some_and(Part::is_used),
            ResultUse::Used => true,
        }
    }

    /// True when some component is acted on.
    pub(crate) fn any_is_used(&self) -> bool {
        match self {
            ResultUse::Dropped => false,
            ResultUse::Stored(parts) => parts.iter().any(Part::is_used),
            ResultUse::Used => true,
        }
    }

    /// The local holding the first component, when it is stored and never read.
    pub(crate) fn unread_first(&self) -> Option<&StoredIn> {
        match self {
            ResultUse::Stored(parts) => parts.first()?.local().filter(|s| !s.read),
            _ => None,
        }
    }
}

/// The calls of one function whose value is dropped or stored in locals, with the
/// statement holding each; every other call's value is [`ResultUse::Used`].
pub(crate) struct CallResults {
    by_call: HashMap<ExprId, (StmtId, ResultUse)>,
    /// The def-use chains of the function (and its CFG), when it has a body.
    du: Option<DefUse>,
    /// The calls tried by `try` statements.
    tried: Vec<ExprId>,
}

impl CallResults {
    /// Computes the uses for the body of `f` (not its modifiers, which are functions of
    /// their own).
    pub(crate) fn of(model: &Model<'_>, ast: &Ast, f: FunctionId) -> CallResults {
        let mut by_call = HashMap::new();
        let info = model.function(f);
        let file = info.item.file;
        let Some(body) = ast.item(info.item.item).as_function().and_then(|d| d.body) else {
            return CallResults {
                by_call,
                du: None,
                tried: Vec::new(),
            };
        };
        let mut stores = Vec::new();
        let mut tried = Vec::new();
        walk_stmts(
            ast,
            body,
            &mut Vec::new(),
            &mut |s, _| match &ast.stmt(s).kind {
                StmtKind::Try { call, .. } => tried.push(ast.skip_parens(*call)),
                StmtKind::Expr(e) => {
                    let e = ast.skip_parens(*e);
                    match &ast.expr(e).kind {
                        ExprKind::Call { .. } => {
                            by_call.insert(e, (s, ResultUse::Dropped));
                        }
                        ExprKind::Assign { op: None, lhs, rhs } => {
                            let rhs = ast.skip_parens(*rhs);
                            if matches!(ast.expr(rhs).kind, ExprKind::Call { .. }) {
                                stores.push((s, rhs, Store::Assign(*lhs)));
                            }
                        }
                        _ => {}
                    }
                }
                StmtKind::VarDecl { value: Some(v), .. } => {
                    let v = ast.skip_parens(*v);
                    if matches!(ast.expr(v).kind, ExprKind::Call { .. }) {
                        stores.push((s, v, Store::Declare));
                    }
                }
                _ => {}
            },
        );
        let du = model.def_use(f);
        if !stores.is_empty() {
            let in_assembly = assembly_names(ast, body);
            let cx = StoreCx {
                model,
                ast,
                file,
                du: du.as_ref(),
                in_assembly: &in_assembly,
            };
            for (s, call, store) in stores {
                by_call.insert(call, (s, cx.stored(s, store)));
            }
        }
        CallResults { by_call, du, tried }
    }

    /// The use of the value of `call`, and the statement holding the call when it is
    /// dropped or stored.
    pub(crate) fn get(&self, call: ExprId) -> (Option<StmtId>, &ResultUse) {
        match self.by_call.get(&call) {
            Some((s, u)) => (Some(*s), u),
            None => (None, &ResultUse::Used),
        }
    }

    /// True when a failure of the call `site` (in this function, of `file`) makes the
    /// transaction revert: `transfer`, high-level calls and creations (unless tried with
    /// `try`), and low-level calls and `send` whose flag decides a revert
    /// (`require(ok)`, `if (!to.send(v)) throw;`), by the CFG.
    pub(crate) fn failure_reverts(&self, ast: &Ast, file: FileId, site: &CallSite) -> bool {
        let Some(call) = site.expr else { return false };
        if self.tried.contains(&call) {
            return false;
        }
        match site.kind {
            CallKind::LowLevel {
                kind: LowLevelKind::Transfer,
                ..
            }
            | CallKind::HighLevel { .. }
            | CallKind::Creation { .. } => return true,
            CallKind::LowLevel { .. } => {}
            _ => return false,
        }
        let Some(du) = &self.du else { return false };
        let cfg = &du.cfg;
        let decides_revert = |n: NodeId| decides_revert(cfg, n);
        match self.get(call).1 {
            ResultUse::Dropped => false,
            ResultUse::Stored(parts) => parts
                .first()
                .and_then(Part::local)
                .is_some_and(|s| s.read_at.iter().any(|&n| decides_revert(n))),
            ResultUse::Used => {
                node_of(ast, file, cfg, ast.expr(call).span).is_some_and(decides_revert)
            }
        }
    }
}

impl CallResults {
    /// [`CallResults::failure_reverts`], also following the flag of a low-level call or
    /// `send` (of `f`) through copies into locals (`bool ok = sent; require(ok);`,
    /// `bool failed = !sent;`) and into the parameters of internal helpers that decide a
    /// revert on it (`_check(sent)` with `require(ok)` inside).
    pub(crate) fn failure_reverts_through(
        &self,
        model: &Model<'_>,
        ast: &Ast,
        f: FunctionId,
        site: &CallSite,
    ) -> bool {
        let file = model.function(f).item.file;
        if self.failure_reverts(ast, file, site) {
            return true;
        }
        let (Some(call), Some(du)) = (site.expr, &self.du) else {
            return false;
        };
        if !matches!(site.kind, CallKind::LowLevel { .. }) || self.tried.contains(&call) {
            return false;
        }
        let flow = FlagFlow { model };
        match self.get(call) {
            (_, ResultUse::Used) => flow.arg_reverts(ast, f, call, FLAG_DEPTH),
            (Some(s), ResultUse::Stored(parts)) => {
                let (Some(Part::Local(local)), Some(node)) =
                    (parts.first(), du.cfg.stmt_node(file, s))
                else {
                    return false;
                };
                du.uses.iter().any(|u| {
                    reached(u, node)
                        && model.var(u.var).name == local.name
                        && flow.use_reverts(ast, f, du, u, FLAG_DEPTH)
                })
            }
            _ => false,
        }
    }
}

/// How deep [`FlagFlow`] follows a flag through copies and helpers.
const FLAG_DEPTH: u32 = 4;

/// Follows a boolean flag through copies into locals and into internal helpers'
/// parameters, to a node that decides a revert on it.
struct FlagFlow<'m, 'a> {
    model: &'m Model<'a>,
}

impl FlagFlow<'_, '_> {
    /// True when the use `u` (of `f`, whose def-use chains are `du`) decides a revert:
    /// its node does, or it is copied (or negated) into a local whose uses do, or passed
    /// to an internal helper whose parameter does.
    fn use_reverts(
        &self,
        ast: &Ast,
        f: FunctionId,
        du: &DefUse,
        u: &semantics::Use,
        depth: u32,
    ) -> bool {
        if decides_revert(&du.cfg, u.node) {
            return true;
        }
        if depth == 0 {
            return false;
        }
        let NodeKind::Stmt { file, stmt } = du.cfg.node(u.node).kind else {
            return false;
        };
        if file != self.model.function(f).item.file {
            return false;
        }
        let copied = copied_into(self.model, ast, file, stmt, u.expr);
        if let Some(var) = copied {
            return du.uses.iter().any(|w| {
                w.var == var && reached(w, u.node) && self.use_reverts(ast, f, du, w, depth - 1)
            });
        }
        self.arg_reverts(ast, f, u.expr, depth - 1)
    }

    /// True when `arg` is an argument of an internal call of `f` whose callee decides a
    /// revert on the matching parameter.
    fn arg_reverts(&self, ast: &Ast, f: FunctionId, arg: ExprId, depth: u32) -> bool {
        let model = self.model;
        model.calls(f).iter().any(|site| {
            if !matches!(site.kind, CallKind::Internal { .. }) {
                return false;
            }
            let Some(call) = site.expr else { return false };
            let Some((_, args)) = ast.expr(call).as_call() else {
                return false;
            };
            let Some(i) = args.exprs().iter().position(|&a| ast.skip_parens(a) == arg) else {
                return false;
            };
            let Some(g) = crate::analysis::derived::callee_of(model, f, call) else {
                return false;
            };
            let (Some(&param), Some(du), Some(g_ast)) = (
                model.params(g).get(i),
                model.def_use(g),
                model.file_ast(model.function(g).item.file),
            ) else {
                return false;
            };
            g != f
                && du.uses.iter().any(|u| {
                    u.var == param
                        && u.defs.contains(&Cfg::ENTRY)
                        && self.use_reverts(g_ast, g, &du, u, depth)
                })
        })
    }
}

/// The local that statement `stmt` (of `file`) copies the value `e` into: `T x = e;`,
/// `x = e;`, also negated (`bool failed = !e;`).
fn copied_into(
    model: &Model<'_>,
    ast: &Ast,
    file: FileId,
    stmt: StmtId,
    e: ExprId,
) -> Option<semantics::VarId> {
    let copy_of = |value: ExprId| {
        let mut v = ast.skip_parens(value);
        if let ExprKind::Unary {
            op: syntax::ast::UnaryOp::Not,
            operand,
        } = &ast.expr(v).kind
        {
            v = ast.skip_parens(*operand);
        }
        v == e
    };
    match &ast.stmt(stmt).kind {
        StmtKind::VarDecl {
            decls,
            value: Some(v),
            ..
        } if decls.len() == 1 && copy_of(*v) => decls[0]
            .as_ref()
            .and_then(|d| d.name.as_ref())
            .and_then(|n| model.var_declared_at(file, n.span)),
        StmtKind::Expr(x) => match &ast.expr(ast.skip_parens(*x)).kind {
            ExprKind::Assign { op: None, lhs, rhs } if copy_of(*rhs) => {
                match model.declaration(file, ast.skip_parens(*lhs)) {
                    Some(Declaration::Local(v)) => Some(v),
                    _ => None,
                }
            }
            _ => None,
        },
        _ => None,
    }
}

/// True when node `n` of `cfg` decides a revert: a `require`/`assert` (an edge to the
/// revert node), or a condition with a branch that only reverts.
fn decides_revert(cfg: &Cfg, n: NodeId) -> bool {
    let node = cfg.node(n);
    node.succs.iter().any(|&(s, _)| s == Cfg::REVERT)
        || (matches!(node.kind, NodeKind::Condition { .. })
            && node.succs.iter().any(|&(s, _)| {
                let succs = &cfg.node(s).succs;
                !succs.is_empty() && succs.iter().all(|&(t, _)| t == Cfg::REVERT)
            }))
}

/// Why the first value of a call (a success flag) is not acted on.
#[derive(Clone, Debug)]
pub(crate) enum Unchecked {
    /// The call is an expression statement.
    Dropped,
    /// Stored in a local that nothing reads; the local's name and declaration.
    Unread(CompactString, Span),
    /// Only tested by conditions whose outcomes all run the same code (`if (ok) {}`).
    DecidesNothing(Span),
    /// Only logged: every read is an `emit` or a `console.log` argument; the statement
    /// of the first.
    OnlyLogged(Span),
}

impl CallResults {
    /// Whether the first value of `call` (a success flag) is acted on; when it is not,
    /// where to report (the statement, or the call for a test that decides nothing) and why.
    pub(crate) fn unchecked_flag(
        &self,
        ast: &Ast,
        file: FileId,
        call: ExprId,
    ) -> Option<(Span, Unchecked)> {
        let (stmt, used) = self.get(call);
        if !used.first_is_used() {
            let span = ast.stmt(stmt?).span;
            return Some(match used.unread_first() {
                Some(local) => (span, Unchecked::Unread(local.name.clone(), local.span)),
                None => (span, Unchecked::Dropped),
            });
        }
        let cfg = &self.du.as_ref()?.cfg;
        let idle = |n: NodeId| idle_condition(ast, file, cfg, n);
        match used {
            ResultUse::Used => {
                let n = node_of(ast, file, cfg, ast.expr(call).span)?;
                let cond = idle(n)?;
                Some((ast.expr(call).span, Unchecked::DecidesNothing(cond)))
            }
            ResultUse::Stored(parts) => {
                let local = parts.first()?.local()?;
                if local.read_at.is_empty() {
                    return None;
                }
                let logs: Option<Vec<Span>> = local
                    .read_at
                    .iter()
                    .map(|&n| logging_stmt(ast, file, cfg, n))
                    .collect();
                if let Some(logs) = logs
                    && let Some(&first) = logs.first()
                {
                    return Some((ast.stmt(stmt?).span, Unchecked::OnlyLogged(first)));
                }
                let conds: Vec<Span> = local
                    .read_at
                    .iter()
                    .map(|&n| idle(n))
                    .collect::<Option<_>>()?;
                let span = ast.stmt(stmt?).span;
                Some((span, Unchecked::DecidesNothing(*conds.first()?)))
            }
            ResultUse::Dropped => None,
        }
    }
}

impl CallResults {
    /// [`CallResults::unchecked_flag`], also when the flag stored in a local is only
    /// copied into other locals (`bool ok = success;`) whose reads all act on nothing:
    /// none, only logging, or tests that decide nothing.
    pub(crate) fn unchecked_flag_through(
        &self,
        model: &Model<'_>,
        ast: &Ast,
        file: FileId,
        call: ExprId,
    ) -> Option<(Span, Unchecked)> {
        if let Some(found) = self.unchecked_flag(ast, file, call) {
            return Some(found);
        }
        let (Some(stmt), ResultUse::Stored(parts)) = self.get(call) else {
            return None;
        };
        let local = parts.first()?.local()?;
        let du = self.du.as_ref()?;
        let cfg = &du.cfg;
        let node = cfg.stmt_node(file, stmt)?;
        let mut frontier: Vec<&semantics::Use> = du
            .uses
            .iter()
            .filter(|u| reached(u, node) && model.var(u.var).name == local.name)
            .collect();
        let mut reads: Vec<NodeId> = Vec::new();
        let mut copies: Vec<(semantics::VarId, NodeId)> = Vec::new();
        for _ in 0..FLAG_DEPTH {
            let mut next = Vec::new();
            for u in frontier {
                let copy = match cfg.node(u.node).kind {
                    NodeKind::Stmt { file: f, stmt } if f == file => {
                        copied_into(model, ast, file, stmt, u.expr)
                    }
                    _ => None,
                };
                match copy {
                    Some(v) if !copies.iter().any(|&(c, _)| c == v) => {
                        copies.push((v, u.node));
                        next.extend(du.uses.iter().filter(|w| w.var == v && reached(w, u.node)));
                    }
                    Some(_) => {}
                    None => reads.push(u.node),
                }
            }
            frontier = next;
        }
        if copies.is_empty() || !frontier.is_empty() {
            return None;
        }
        let span = ast.stmt(stmt).span;
        if reads.is_empty() {
            let (v, _) = copies[0];
            let var = model.var(v);
            return Some((span, Unchecked::Unread(var.name.clone(), var.span)));
        }
        let logs: Option<Vec<Span>> = reads
            .iter()
            .map(|&n| logging_stmt(ast, file, cfg, n))
            .collect();
        if let Some(&first) = logs.as_ref().and_then(|l| l.first()) {
            return Some((span, Unchecked::OnlyLogged(first)));
        }
        let conds: Vec<Span> = reads
            .iter()
            .map(|&n| idle_condition(ast, file, cfg, n))
            .collect::<Option<_>>()?;
        Some((span, Unchecked::DecidesNothing(*conds.first()?)))
    }
}

/// The span of statement node `n` when it only logs: an `emit`, or a call of a member
/// of `console` (the Hardhat and Foundry logging libraries).
fn logging_stmt(ast: &Ast, file: FileId, cfg: &Cfg, n: NodeId) -> Option<Span> {
    let NodeKind::Stmt { file: f, stmt } = cfg.node(n).kind else {
        return None;
    };
    if f != file {
        return None;
    }
    let s = ast.stmt(stmt);
    let logs = match &s.kind {
        StmtKind::Emit { .. } => true,
        StmtKind::Expr(e) => ast
            .expr(ast.skip_parens(*e))
            .as_call()
            .is_some_and(|(callee, _)| {
                matches!(&ast.expr(ast.skip_parens(callee)).kind, ExprKind::Member { base, .. }
                if ast.expr(ast.skip_parens(*base)).is_ident("console"))
            }),
        _ => false,
    };
    logs.then_some(s.span)
}

/// The source of condition node `n` when all its outcomes go to the same node (`if (ok) {}`).
fn idle_condition(ast: &Ast, file: FileId, cfg: &Cfg, n: NodeId) -> Option<Span> {
    let node = cfg.node(n);
    let NodeKind::Condition { file: f, expr } = node.kind else {
        return None;
    };
    let (first, _) = *node.succs.first()?;
    (f == file && node.succs.len() >= 2 && node.succs.iter().all(|&(s, _)| s == first))
        .then(|| ast.expr(expr).span)
}

/// The smallest statement, condition or update node of `cfg` (in `file`) whose source
/// covers `span`.
pub(crate) fn node_of(ast: &Ast, file: FileId, cfg: &Cfg, span: Span) -> Option<NodeId> {
    cfg.node_ids()
        .filter_map(|n| {
            let at = match cfg.node(n).kind {
                NodeKind::Stmt { file: f, stmt } if f == file => ast.stmt(stmt).span,
                NodeKind::Condition { file: f, expr } | NodeKind::Update { file: f, expr }
                    if f == file =>
                {
                    ast.expr(expr).span
                }
                _ => return None,
            };
            (at.lo <= span.lo && span.hi <= at.hi).then_some((at.len(), n))
        })
        .min()
        .map(|(_, n)| n)
}

enum Store {
    /// `T x = call();`, `(bool ok, bytes memory d) = call();`.
    Declare,
    /// `x = call();`, `(ok, d) = call();`.
    Assign(ExprId),
}

struct StoreCx<'m, 'a> {
    model: &'m Model<'a>,
    ast: &'m Ast,
    file: FileId,
    du: Option<&'m DefUse>,
    in_assembly: &'m [CompactString],
}

impl StoreCx<'_, '_> {
    fn stored(&self, s: StmtId, store: Store) -> ResultUse {
        let Some(du) = self.du else {
            return ResultUse::Used;
        };
        let Some(node) = du.cfg.stmt_node(self.file, s) else {
            return ResultUse::Used;
        };
        match store {
            Store::Declare => {
                let StmtKind::VarDecl { decls, .. } = &self.ast.stmt(s).kind else {
                    return ResultUse::Used;
                };
                let parts = decls
                    .iter()
                    .map(|d| {
                        let Some(name) = d.as_ref().and_then(|d| d.name.as_ref()) else {
                            return Part::Skipped;
                        };
                        let read_at: Vec<NodeId> = du
                            .uses
                            .iter()
                            .filter(|u| {
                                let v = self.model.var(u.var);
                                v.span == name.span && v.file == self.file && reached(u, node)
                            })
                            .map(|u| u.node)
                            .collect();
                        Part::Local(StoredIn {
                            name: name.name.clone(),
                            span: name.span,
                            read: !read_at.is_empty() || self.in_assembly.contains(&name.name),
                            read_at,
                        })
                    })
                    .collect();
                ResultUse::Stored(parts)
            }
            Store::Assign(lhs) => {
                let lhs = self.ast.skip_parens(lhs);
                let targets: Vec<Option<ExprId>> = match &self.ast.expr(lhs).kind {
                    ExprKind::Tuple { elements } => elements.clone(),
                    _ => vec![Some(lhs)],
                };
                let parts = targets
                    .into_iter()
                    .map(|t| match t {
                        None => Part::Skipped,
                        Some(t) => self
                            .assigned(du, node, t)
                            .map_or(Part::Elsewhere, Part::Local),
                    })
                    .collect();
                ResultUse::Stored(parts)
            }
        }
    }

    /// The local `target` names (not a named return, which the caller receives).
    fn assigned(&self, du: &DefUse, node: NodeId, target: ExprId) -> Option<StoredIn> {
        let target = self.ast.skip_parens(target);
        let ident = self.ast.expr(target).as_ident()?;
        let (Declaration::Local(var) | Declaration::Param(var)) =
            self.model.declaration(self.file, target)?
        else {
            return None;
        };
        let read_at: Vec<NodeId> = du
            .uses
            .iter()
            .filter(|u| u.var == var && reached(u, node))
            .map(|u| u.node)
            .collect();
        Some(StoredIn {
            name: ident.name.clone(),
            span: self.ast.expr(target).span,
            read: !read_at.is_empty() || self.in_assembly.contains(&ident.name),
            read_at,
        })
    }
}

/// True when the definition at `node` may reach the use `u`.
fn reached(u: &semantics::Use, node: NodeId) -> bool {
    u.defs.contains(&node)
}

/// Every name read or written in the inline assembly of a body (a Solidity local used
/// there is acted on, as far as this analysis can tell).
fn assembly_names(ast: &Ast, body: StmtId) -> Vec<CompactString> {
    let mut names = Vec::new();
    walk_stmts(ast, body, &mut Vec::new(), &mut |s, _| {
        if let StmtKind::Assembly { body, .. } = &ast.stmt(s).kind {
            for &y in body {
                yul_stmt_names(ast, y, &mut names);
            }
        }
    });
    names
}

fn yul_stmt_names(ast: &Ast, s: YulStmtId, out: &mut Vec<CompactString>) {
    match &ast.yul_stmt(s).kind {
        YulStmtKind::Block(stmts) => stmts.iter().for_each(|&x| yul_stmt_names(ast, x, out)),
        YulStmtKind::Let { value, .. } => {
            if let Some(v) = value {
                yul_expr_names(ast, *v, out);
            }
        }
        YulStmtKind::Assign { targets, value } => {
            out.extend(
                targets
                    .iter()
                    .filter_map(|t| t.first())
                    .map(|i| i.name.clone()),
            );
            if let Some(v) = value {
                yul_expr_names(ast, *v, out);
            }
        }
        YulStmtKind::Expr(e) => yul_expr_names(ast, *e, out),
        YulStmtKind::If { cond, body } => {
            yul_expr_names(ast, *cond, out);
            yul_stmt_names(ast, *body, out);
        }
        YulStmtKind::For {
            init,
            cond,
            post,
            body,
        } => {
            yul_expr_names(ast, *cond, out);
            for x in [*init, *post, *body] {
                yul_stmt_names(ast, x, out);
            }
        }
        YulStmtKind::Switch { expr, cases } => {
            yul_expr_names(ast, *expr, out);
            for c in cases {
                yul_stmt_names(ast, c.body, out);
            }
        }
        YulStmtKind::FunctionDef { body, .. } => yul_stmt_names(ast, *body, out),
        YulStmtKind::Leave
        | YulStmtKind::Break
        | YulStmtKind::Continue
        | YulStmtKind::Label(_)
        | YulStmtKind::Error => {}
    }
}

fn yul_expr_names(ast: &Ast, e: YulExprId, out: &mut Vec<CompactString>) {
    match &ast.yul_expr(e).kind {
        YulExprKind::Path(p) => out.extend(p.first().map(|i| i.name.clone())),
        YulExprKind::Call { args, .. } => args.iter().for_each(|&a| yul_expr_names(ast, a, out)),
        YulExprKind::Literal(_) | YulExprKind::Error => {}
    }
}

/// Calls `visit(stmt, loops)` for every statement under `s` (itself included), in
/// source order, with the loop statements enclosing it, outermost first. `loops` is the
/// stack of loops around `s`. The parser caps nesting, so this recursion is bounded.
pub(crate) fn walk_stmts(
    ast: &Ast,
    s: StmtId,
    loops: &mut Vec<StmtId>,
    visit: &mut impl FnMut(StmtId, &[StmtId]),
) {
    visit(s, loops);
    match &ast.stmt(s).kind {
        StmtKind::Block { stmts, .. } => {
            for &x in stmts {
                walk_stmts(ast, x, loops, visit);
            }
        }
        StmtKind::If {
            then_branch,
            else_branch,
            ..
        } => {
            walk_stmts(ast, *then_branch, loops, visit);
            if let Some(e) = else_branch {
                walk_stmts(ast, *e, loops, visit);
            }
        }
        StmtKind::For { init, body, .. } => {
            if let Some(i) = init {
                walk_stmts(ast, *i, loops, visit);
            }
            loops.push(s);
            walk_stmts(ast, *body, loops, visit);
            loops.pop();
        }
        StmtKind::While { body, .. } | StmtKind::DoWhile { body, .. } => {
            loops.push(s);
            walk_stmts(ast, *body, loops, visit);
            loops.pop();
        }
        StmtKind::Try { body, catches, .. } => {
            walk_stmts(ast, *body, loops, visit);
            for c in catches {
                walk_stmts(ast, c.body, loops, visit);
            }
        }
        _ => {}
    }
}

/// The expressions a statement evaluates itself (not those of nested statements): a
/// loop's condition and update, an `if` condition, an expression statement, an
/// initializer, a returned or emitted value.
pub(crate) fn own_exprs(ast: &Ast, s: StmtId) -> Vec<ExprId> {
    match &ast.stmt(s).kind {
        StmtKind::Expr(e) => vec![*e],
        StmtKind::VarDecl { value, .. } => value.iter().copied().collect(),
        StmtKind::If { cond, .. }
        | StmtKind::While { cond, .. }
        | StmtKind::DoWhile { cond, .. } => {
            vec![*cond]
        }
        StmtKind::For { cond, update, .. } => cond.iter().chain(update).copied().collect(),
        StmtKind::Return { value } => value.iter().copied().collect(),
        StmtKind::Emit { event, args } => std::iter::once(*event).chain(args.exprs()).collect(),
        StmtKind::Revert { error, args } => error.iter().copied().chain(args.exprs()).collect(),
        StmtKind::Try { call, .. } => vec![*call],
        _ => Vec::new(),
    }
}

/// Calls `visit` on `e` and every expression inside it. Bounded by the parser's nesting cap.
pub(crate) fn walk_expr(ast: &Ast, e: ExprId, visit: &mut impl FnMut(ExprId)) {
    visit(e);
    let mut go = |x: ExprId| walk_expr(ast, x, visit);
    match &ast.expr(e).kind {
        ExprKind::Member { base, .. } => go(*base),
        ExprKind::Index { base, index } => {
            go(*base);
            if let Some(i) = index {
                go(*i);
            }
        }
        ExprKind::Slice { base, start, end } => {
            go(*base);
            for x in [start, end].into_iter().flatten() {
                go(*x);
            }
        }
        ExprKind::Call { callee, args } => {
            go(*callee);
            for a in args.exprs() {
                go(a);
            }
        }
        ExprKind::CallOptions { callee, options } => {
            go(*callee);
            for o in options {
                go(o.value);
            }
        }
        ExprKind::Paren(x) => go(*x),
        ExprKind::Tuple { elements } => elements.iter().flatten().for_each(|&x| go(x)),
        ExprKind::InlineArray { elements } => elements.iter().for_each(|&x| go(x)),
        ExprKind::Unary { operand, .. } => go(*operand),
        ExprKind::Binary { lhs, rhs, .. } | ExprKind::Assign { lhs, rhs, .. } => {
            go(*lhs);
            go(*rhs);
        }
        ExprKind::Ternary {
            cond,
            then_expr,
            else_expr,
        } => {
            go(*cond);
            go(*then_expr);
            go(*else_expr);
        }
        ExprKind::Ident(_)
        | ExprKind::Literal(_)
        | ExprKind::ElementaryType(_)
        | ExprKind::New { .. }
        | ExprKind::TypeOf { .. }
        | ExprKind::Type(_)
        | ExprKind::Error => {}
    }
}
