//! Function summaries over the call graph: state accesses, external calls, guards
//! and reentrancy mutexes.

use rustc_hash::FxHashSet;
use syntax::Span;
use syntax::ast::{
    Ast, BinaryOp, ExprId, ExprKind, FunctionKind, Literal, StmtId, StmtKind, UnaryOp,
};

use crate::calls::{CallKind, CallSite};
use crate::ids::{ContractId, FunctionId, ItemRef, VarId};
use crate::slots::Location;
use crate::types::Type;
use crate::{Builtin, Declaration, Model};

/// What a function does, including everything it calls internally (modifiers,
/// internal and library functions, resolved for one most-derived contract).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FunctionSummary {
    /// State variables read, sorted and without duplicates.
    pub reads: Vec<ItemRef>,
    /// State variables written, sorted and without duplicates.
    pub writes: Vec<ItemRef>,
    /// External calls (high-level, low-level, creations) with the function making them.
    pub external_calls: Vec<(FunctionId, CallSite)>,
    /// Some external call may send ether (`value` given, `send`, `transfer`).
    pub sends_value: bool,
    /// Every function reached internally (the function itself excluded).
    pub callees: Vec<FunctionId>,
    /// Events emitted, sorted and without duplicates.
    pub events: Vec<ItemRef>,
}

/// Why a function can only succeed for a privileged caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Guard {
    /// The function, modifier or internal callee holding the check.
    pub function: FunctionId,
    /// The checked condition (`msg.sender == owner`, `hasRole(R, msg.sender)`, ...).
    pub span: Span,
}

/// What the caller of a modifier or internal check bound its parameters to: the
/// sender (`_checkRole(role, msg.sender)`), or a privileged value, state or a constant
/// (`only(owner)`, `only(DEV)`), so that `require(msg.sender == who)` inside is a guard.
#[derive(Default)]
struct Bound {
    senders: Vec<VarId>,
    privileged: Vec<VarId>,
    /// Locals holding the outcome of a caller check (`bool ok = isAdmin(msg.sender);`),
    /// and parameters a caller bound to one (`req(msg.sender == owner)`).
    checks: Vec<VarId>,
}

/// True when the statement is or directly contains (through blocks) the modifier placeholder `_`.
fn contains_placeholder(ast: &Ast, s: StmtId) -> bool {
    match &ast.stmt(s).kind {
        StmtKind::Placeholder => true,
        StmtKind::Block { stmts, .. } => stmts.iter().any(|&x| contains_placeholder(ast, x)),
        _ => false,
    }
}

/// How deep guard detection follows internal calls (`onlyOwner` → `_checkOwner` → `owner`).
const GUARD_DEPTH: u32 = 4;

impl Model<'_> {
    fn ast_of(&self, f: FunctionId) -> Option<&Ast> {
        self.tables
            .file(self.function(f).item.file)
            .map(|file| file.parse.ast())
    }

    fn body_stmts(&self, f: FunctionId) -> &[StmtId] {
        let info = self.function(f);
        let Some(ast) = self.ast_of(f) else {
            return &[];
        };
        let Some(body) = ast.item(info.item.item).as_function().and_then(|d| d.body) else {
            return &[];
        };
        match &ast.stmt(body).kind {
            StmtKind::Block { stmts, .. } => stmts,
            _ => &[],
        }
    }

    /// The internal targets of one call site for `most_derived` (virtual dispatch and
    /// `super` resolved); `None` for external calls.
    pub(crate) fn internal_target(
        &self,
        most_derived: Option<ContractId>,
        from: FunctionId,
        call: &CallSite,
    ) -> Option<FunctionId> {
        let target = match call.kind {
            CallKind::Internal {
                function,
                via_super: false,
            } => match most_derived {
                Some(md) => self.dispatch(md, function),
                None => function,
            },
            CallKind::Internal {
                function,
                via_super: true,
            } => {
                let info = self.function(self.function_of_item(function)?);
                match (most_derived, self.function(from).contract) {
                    (Some(md), Some(c)) => self
                        .super_function(md, c, &info.name, info.arity)
                        .unwrap_or(function),
                    _ => function,
                }
            }
            CallKind::Modifier { modifier } => modifier,
            CallKind::Library { function, .. } => function,
            _ => return None,
        };
        self.function_of_item(target)
    }

    /// The functions `f` calls internally (modifiers included), resolved for
    /// `most_derived` (the declaring contract when `None`).
    pub fn internal_callees(
        &self,
        most_derived: Option<ContractId>,
        f: FunctionId,
    ) -> Vec<FunctionId> {
        let md = most_derived.or(self.function(f).contract);
        let mut out: Vec<FunctionId> = self
            .calls(f)
            .iter()
            .filter_map(|c| self.internal_target(md, f, c))
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// The transitive summary of `f` when the most-derived contract is `most_derived`
    /// (the declaring contract when `None`).
    pub fn summary(&self, most_derived: Option<ContractId>, f: FunctionId) -> FunctionSummary {
        let md = most_derived.or(self.function(f).contract);
        let mut seen: FxHashSet<FunctionId> = FxHashSet::default();
        let mut stack = vec![f];
        seen.insert(f);
        let mut s = FunctionSummary::default();
        while let Some(g) = stack.pop() {
            if g != f {
                s.callees.push(g);
            }
            s.reads.extend(self.state_reads(g).iter().map(|a| a.var));
            s.writes.extend(self.state_writes(g).iter().map(|a| a.var));
            s.events.extend(self.events_emitted(g));
            for c in self.calls(g) {
                if c.kind.is_external() {
                    s.sends_value |= matches!(
                        c.kind,
                        CallKind::LowLevel { value: Some(_), .. }
                            | CallKind::HighLevel { value: Some(_), .. }
                            | CallKind::Creation { value: Some(_), .. }
                    );
                    s.external_calls.push((g, *c));
                } else if let Some(t) = self.internal_target(md, g, c)
                    && seen.insert(t)
                {
                    stack.push(t);
                }
            }
        }
        for v in [&mut s.reads, &mut s.writes, &mut s.events] {
            v.sort();
            v.dedup();
        }
        s.callees.sort();
        s
    }

    /// The access check that makes `f` succeed only for a privileged caller, if any:
    /// a `require`/`assert` or an `if (...) revert` comparing `msg.sender` (or
    /// `tx.origin`) with state, looking the caller up in a state mapping of flags, or
    /// passing it to a state-reading check (`hasRole(R, msg.sender)`); in the body,
    /// in an invoked modifier, or in an internal function called at the top level of
    /// either (`_checkOwner()`). Recognised by behaviour, not by name. The answer of a
    /// state-changing call to a contract the caller names
    /// (`require(IHook(hook).onClaim(msg.sender))`, `hook` a parameter) is no guard:
    /// that contract answers what its author wants. A `view` query passed the sender
    /// still counts, even on a contract the caller names.
    pub fn guard(&self, f: FunctionId) -> Option<Guard> {
        let mut visited = FxHashSet::default();
        let md = self.function(f).contract;
        self.guard_in(md, f, GUARD_DEPTH, &mut visited, &Bound::default())
    }

    /// [`Model::guard`] with internal calls resolved for the most-derived contract
    /// `most_derived`: the check of an inherited function may sit in an override the
    /// deriving contract writes (`upgradeToAndCall` calling `_authorizeUpgrade`, declared
    /// without a body in the base and `onlyOwner` in the contract).
    pub fn guard_for(&self, most_derived: ContractId, f: FunctionId) -> Option<Guard> {
        let mut visited = FxHashSet::default();
        self.guard_in(
            Some(most_derived),
            f,
            GUARD_DEPTH,
            &mut visited,
            &Bound::default(),
        )
    }

    /// True when [`Model::guard`] finds a check.
    pub fn is_guarded(&self, f: FunctionId) -> bool {
        self.guard(f).is_some()
    }

    /// True when the code at `target` (a span inside the body of `f`) runs only for a
    /// privileged caller: `f` is guarded ([`Model::guard`]), or `target` lies in a
    /// branch taken only when a caller check holds (`if (msg.sender == owner) { .. }`,
    /// the `else` of `if (!isAdmin(msg.sender))`), or after an early exit for other
    /// callers (`if (msg.sender != owner) return;`) in an enclosing block.
    pub fn guarded_at(&self, f: FunctionId, target: Span) -> bool {
        if self.is_guarded(f) {
            return true;
        }
        let Some(ast) = self.ast_of(f) else {
            return false;
        };
        let md = self.function(f).contract;
        self.checked_on_path(
            f,
            target,
            |cond, holds| {
                self.is_sender_condition(md, f, cond, holds, GUARD_DEPTH, &Bound::default())
            },
            |s| self.exits(f, ast, s),
        )
    }

    /// The walk behind [`Model::guarded_at`], with the check and the early exit given:
    /// true when `target` (inside the body of `f`) lies in the branch of an `if` taken
    /// only when `check(cond, true)` holds (or, in an `else`, `check(cond, false)`), or
    /// after an `if (cond) <exit>` of an enclosing block with `check(cond, false)`.
    pub fn checked_on_path(
        &self,
        f: FunctionId,
        target: Span,
        check: impl Fn(ExprId, bool) -> bool,
        exits: impl Fn(StmtId) -> bool,
    ) -> bool {
        let Some(ast) = self.ast_of(f) else {
            return false;
        };
        let Some(body) = ast
            .item(self.function(f).item.item)
            .as_function()
            .and_then(|d| d.body)
        else {
            return false;
        };
        let within = |s: StmtId| {
            let sp = ast.stmt(s).span;
            sp.lo <= target.lo && target.hi <= sp.hi
        };
        let mut stmt = body;
        // Bounded descent: each step enters a statement strictly inside the last one.
        for _ in 0..256 {
            if !within(stmt) {
                return false;
            }
            match &ast.stmt(stmt).kind {
                StmtKind::Block { stmts, .. } => {
                    let mut next = None;
                    for &s in stmts {
                        if within(s) {
                            next = Some(s);
                            break;
                        }
                        if let StmtKind::If {
                            cond,
                            then_branch,
                            else_branch: None,
                        } = &ast.stmt(s).kind
                            && exits(*then_branch)
                            && check(*cond, false)
                        {
                            return true;
                        }
                    }
                    match next {
                        Some(s) => stmt = s,
                        None => return false,
                    }
                }
                StmtKind::If {
                    cond,
                    then_branch,
                    else_branch,
                } => {
                    if within(*then_branch) {
                        if check(*cond, true) {
                            return true;
                        }
                        stmt = *then_branch;
                    } else if let Some(e) = else_branch
                        && within(*e)
                    {
                        if check(*cond, false) {
                            return true;
                        }
                        stmt = *e;
                    } else {
                        return false;
                    }
                }
                StmtKind::While { body, .. }
                | StmtKind::DoWhile { body, .. }
                | StmtKind::For { body, .. } => stmt = *body,
                _ => return false,
            }
        }
        false
    }

    /// True when the statement leaves the function or reverts: `return`, `revert`,
    /// `throw`, or a block ending in one of them.
    fn exits(&self, f: FunctionId, ast: &Ast, s: StmtId) -> bool {
        match &ast.stmt(s).kind {
            StmtKind::Return { .. } => true,
            StmtKind::Block { stmts, .. } => {
                stmts.last().is_some_and(|&l| self.exits(f, ast, l)) || self.reverts(f, ast, s)
            }
            _ => self.reverts(f, ast, s),
        }
    }

    fn guard_in(
        &self,
        md: Option<ContractId>,
        f: FunctionId,
        depth: u32,
        visited: &mut FxHashSet<FunctionId>,
        bound: &Bound,
    ) -> Option<Guard> {
        if depth == 0 || !visited.insert(f) {
            return None;
        }
        for c in self.calls(f) {
            if let CallKind::Modifier { modifier } = c.kind
                && let Some(m) = self.function_of_item(modifier)
            {
                let args = self.modifier_args(f, c.span);
                let inner = self.bind(md, f, &args, m, depth, bound);
                if let Some(g) = self.guard_in(md, m, depth - 1, visited, &inner) {
                    return Some(g);
                }
            }
        }
        let ast = self.ast_of(f)?;
        // Locals holding the sender (`address who = msg.sender;`) count as the sender.
        let with_locals = self.sender_locals(md, f, ast, depth, bound);
        let bound = with_locals.as_ref().unwrap_or(bound);
        for &s in self.body_stmts(f) {
            match &ast.stmt(s).kind {
                StmtKind::Expr(e) => {
                    let e = ast.skip_parens(*e);
                    let ExprKind::Call { callee, args } = &ast.expr(e).kind else {
                        continue;
                    };
                    let file = self.function(f).item.file;
                    match self.declaration(file, ast.skip_parens(*callee)) {
                        Some(Declaration::Builtin(Builtin::Require | Builtin::Assert)) => {
                            if let Some(&cond) = args.exprs().first()
                                && self.is_sender_condition(md, f, cond, true, depth, bound)
                            {
                                return Some(Guard {
                                    function: f,
                                    span: ast.expr(cond).span,
                                });
                            }
                        }
                        _ => {
                            let site = self.calls(f).iter().find(|c| c.expr == Some(e));
                            if let Some(site) = site
                                && let Some(t) = self.internal_target(md, f, site)
                            {
                                let args = self.bound_args(f, e);
                                let inner = self.bind(md, f, &args, t, depth, bound);
                                if let Some(g) = self.guard_in(md, t, depth - 1, visited, &inner) {
                                    return Some(g);
                                }
                            }
                        }
                    }
                }
                // `if (!privileged) revert(...) [else ...]`, or in a modifier `if (privileged) _;`.
                StmtKind::If {
                    cond,
                    then_branch,
                    else_branch,
                } if (self.reverts(f, ast, *then_branch)
                    && self.is_sender_condition(md, f, *cond, false, depth, bound))
                    || (else_branch.is_none()
                        && self.function(f).kind == FunctionKind::Modifier
                        && contains_placeholder(ast, *then_branch)
                        && self.is_sender_condition(md, f, *cond, true, depth, bound)) =>
                {
                    return Some(Guard {
                        function: f,
                        span: ast.expr(*cond).span,
                    });
                }
                _ => {}
            }
        }
        None
    }

    /// `bound` extended with the locals declared at the top of `f` from the sender
    /// (`address who = msg.sender;`), or `None` when there are none.
    fn sender_locals(
        &self,
        md: Option<ContractId>,
        f: FunctionId,
        ast: &Ast,
        depth: u32,
        bound: &Bound,
    ) -> Option<Bound> {
        let file = self.function(f).item.file;
        // In order, each local seeing those before it (`address who = msg.sender;
        // bool ok = admins[who]; require(ok);`).
        let mut grown = Bound {
            senders: bound.senders.clone(),
            privileged: bound.privileged.clone(),
            checks: bound.checks.clone(),
        };
        let mut found = false;
        for &s in self.body_stmts(f) {
            if let StmtKind::VarDecl {
                decls,
                value: Some(v),
                ..
            } = &ast.stmt(s).kind
                && let [Some(d)] = decls.as_slice()
                && let Some(name) = &d.name
                && let Some(var) = self.var_declared_at(file, name.span)
            {
                if self.is_sender_expr(md, f, *v, depth, &grown) {
                    grown.senders.push(var);
                    found = true;
                } else if *self.type_of(file, *v) == Type::BOOL
                    && self.is_sender_condition(md, f, *v, true, depth, &grown)
                {
                    grown.checks.push(var);
                    found = true;
                }
            }
        }
        found.then_some(grown)
    }

    /// True when the statement always reverts: `revert ...`, `throw`, `revert(...)`,
    /// `require(false)`, or a block starting with one.
    fn reverts(&self, f: FunctionId, ast: &Ast, s: StmtId) -> bool {
        match &ast.stmt(s).kind {
            StmtKind::Revert { .. } | StmtKind::Throw => true,
            StmtKind::Block { stmts, .. } => {
                stmts.first().is_some_and(|&s| self.reverts(f, ast, s))
            }
            StmtKind::Expr(e) => match &ast.expr(ast.skip_parens(*e)).kind {
                ExprKind::Call { callee, .. } => matches!(
                    self.declaration(self.function(f).item.file, *callee),
                    Some(Declaration::Builtin(Builtin::Revert))
                ),
                _ => false,
            },
            _ => false,
        }
    }

    /// `msg.sender`, `tx.origin`, or a call of an internal function returning one (`_msgSender()`).
    fn is_sender_expr(
        &self,
        md: Option<ContractId>,
        f: FunctionId,
        e: ExprId,
        depth: u32,
        bound: &Bound,
    ) -> bool {
        let file = self.function(f).item.file;
        let Some(ast) = self.ast_of(f) else {
            return false;
        };
        let e = ast.skip_parens(e);
        match &ast.expr(e).kind {
            ExprKind::Member { .. } => matches!(
                self.declaration(file, e),
                Some(Declaration::Builtin(Builtin::MsgSender | Builtin::TxOrigin))
            ),
            // A parameter bound to the sender by the caller (`_checkRole(role, _msgSender())`).
            ExprKind::Ident(_) => match self.declaration(file, e) {
                Some(Declaration::Param(v) | Declaration::Local(v)) => bound.senders.contains(&v),
                _ => false,
            },
            // `address(msg.sender)`, `payable(msg.sender)`, `_msgSender()`.
            ExprKind::Call { callee, args } => {
                if matches!(self.type_of(file, *callee), Type::TypeType(_)) && args.len() == 1 {
                    return args
                        .exprs()
                        .first()
                        .is_some_and(|&a| self.is_sender_expr(md, f, a, depth, bound));
                }
                depth > 0
                    && self.callee_returns(md, f, e, |g, r| {
                        self.is_sender_expr(md, g, r, depth - 1, &Bound::default())
                    })
            }
            _ => false,
        }
    }

    /// The sender, or a hash of it used as a mapping key (`admins[keccak256(msg.sender)]`).
    fn is_sender_key(
        &self,
        md: Option<ContractId>,
        f: FunctionId,
        e: ExprId,
        depth: u32,
        bound: &Bound,
    ) -> bool {
        if self.is_sender_expr(md, f, e, depth, bound) {
            return true;
        }
        let file = self.function(f).item.file;
        let Some(ast) = self.ast_of(f) else {
            return false;
        };
        match &ast.expr(ast.skip_parens(e)).kind {
            ExprKind::Call { callee, args } => {
                matches!(
                    self.declaration(file, ast.skip_parens(*callee)),
                    Some(Declaration::Builtin(
                        Builtin::Keccak256
                            | Builtin::Sha3
                            | Builtin::Sha256
                            | Builtin::AbiEncodePacked
                            | Builtin::AbiEncode
                    ))
                ) && depth > 0
                    && args
                        .exprs()
                        .iter()
                        .any(|&a| self.is_sender_key(md, f, a, depth - 1, bound))
            }
            _ => false,
        }
    }

    /// True when `call` is an internal call of a function one of whose `return`
    /// values satisfies `pred`.
    fn callee_returns(
        &self,
        md: Option<ContractId>,
        f: FunctionId,
        call: ExprId,
        pred: impl Fn(FunctionId, ExprId) -> bool,
    ) -> bool {
        let Some(site) = self.calls(f).iter().find(|c| c.expr == Some(call)) else {
            return false;
        };
        let Some(g) = self.internal_target(md, f, site) else {
            return false;
        };
        let Some(ast) = self.ast_of(g) else {
            return false;
        };
        self.body_stmts(g).iter().any(|&s| match &ast.stmt(s).kind {
            StmtKind::Return { value: Some(v) } => pred(g, *v),
            _ => false,
        })
    }

    /// True when the expression reads contract state: a state variable, or a call
    /// of a function (internal or external) that reads state.
    fn reads_state(&self, md: Option<ContractId>, f: FunctionId, e: ExprId) -> bool {
        let file = self.function(f).item.file;
        let Some(ast) = self.ast_of(f) else {
            return false;
        };
        let e = ast.skip_parens(e);
        match &ast.expr(e).kind {
            ExprKind::Ident(_) => match self.declaration(file, e) {
                Some(Declaration::StateVar(_) | Declaration::FileConstant(_)) => true,
                // A `storage` parameter (a library's `Role storage role`) is the
                // caller's state.
                Some(Declaration::Param(v)) => self.is_storage_param(v),
                _ => false,
            },
            ExprKind::Member { base, .. } | ExprKind::Index { base, .. } => {
                self.reads_state(md, f, *base)
            }
            ExprKind::Call { callee, args } => {
                match self.calls(f).iter().find(|c| c.expr == Some(e)) {
                    Some(site) if site.kind.is_external() => true,
                    // State read by the callee, or passed to it (`role.has(who)`, a
                    // library reading the caller's storage through its parameter).
                    Some(site) => {
                        self.internal_target(md, f, site)
                            .is_some_and(|g| !self.summary(md, g).reads.is_empty())
                            || args.exprs().iter().any(|&a| self.reads_state(md, f, a))
                            || matches!(
                                (&site.kind, &ast.expr(ast.skip_parens(*callee)).kind),
                                (CallKind::Library { .. }, ExprKind::Member { base, .. })
                                    if self.reads_state(md, f, *base)
                            )
                    }
                    // Conversions: `address(token)`.
                    None => {
                        matches!(self.type_of(file, *callee), Type::TypeType(_))
                            && args.exprs().iter().any(|&a| self.reads_state(md, f, a))
                    }
                }
            }
            _ => false,
        }
    }

    /// The arguments written at the invocation of a modifier of `f` (at `span`).
    fn modifier_args(&self, f: FunctionId, span: Span) -> Vec<ExprId> {
        self.ast_of(f)
            .and_then(|ast| ast.item(self.function(f).item.item).as_function())
            .and_then(|d| d.modifiers.iter().find(|m| m.span == span))
            .and_then(|m| m.args.as_ref())
            .map(|a| a.exprs())
            .unwrap_or_default()
    }

    /// What the parameters of `callee` are bound to when `f` passes it `args`.
    fn bind(
        &self,
        md: Option<ContractId>,
        f: FunctionId,
        args: &[ExprId],
        callee: FunctionId,
        depth: u32,
        outer: &Bound,
    ) -> Bound {
        let mut inner = Bound::default();
        for (&a, &p) in args.iter().zip(self.params(callee)) {
            if self.is_sender_expr(md, f, a, depth, outer) {
                inner.senders.push(p);
            } else if self.is_privileged_value(md, f, a, outer) {
                inner.privileged.push(p);
            } else if *self.type_of(self.function(f).item.file, a) == Type::BOOL
                && self.is_sender_condition(md, f, a, true, depth, outer)
            {
                // A check passed as a flag: `req(msg.sender == owner)` into
                // `modifier req(bool c) { require(c); _; }`.
                inner.checks.push(p);
            }
        }
        inner
    }

    /// A value a caller can only match by being privileged: state (or a getter of it),
    /// a constant or a literal address, the contract itself, or a parameter the caller
    /// bound to one of these.
    fn is_privileged_value(
        &self,
        md: Option<ContractId>,
        f: FunctionId,
        e: ExprId,
        bound: &Bound,
    ) -> bool {
        if self.reads_state(md, f, e) || self.is_this(f, e) {
            return true;
        }
        let file = self.function(f).item.file;
        let Some(ast) = self.ast_of(f) else {
            return false;
        };
        let e = ast.skip_parens(e);
        match &ast.expr(e).kind {
            ExprKind::Ident(_) => matches!(
                self.declaration(file, e),
                Some(Declaration::Param(v)) if bound.privileged.contains(&v)
            ),
            // `0x1234…` and `address(0x1234…)`, but not the zero address nobody holds.
            ExprKind::Literal(Literal::Number { text, .. }) => {
                text.trim_start_matches("0x").chars().any(|c| c != '0')
            }
            ExprKind::Call { callee, args } => {
                matches!(self.type_of(file, *callee), Type::TypeType(_))
                    && matches!(args.exprs().as_slice(), [a]
                        if matches!(ast.expr(ast.skip_parens(*a)).kind, ExprKind::Literal(_))
                            && self.is_privileged_value(md, f, *a, bound))
            }
            _ => false,
        }
    }

    /// `this` or `address(this)`.
    fn is_this(&self, f: FunctionId, e: ExprId) -> bool {
        let file = self.function(f).item.file;
        let Some(ast) = self.ast_of(f) else {
            return false;
        };
        let e = ast.skip_parens(e);
        match &ast.expr(e).kind {
            ExprKind::Ident(_) => {
                self.declaration(file, e) == Some(Declaration::Builtin(Builtin::This))
            }
            ExprKind::Call { callee, args } => {
                matches!(self.type_of(file, *callee), Type::TypeType(_))
                    && matches!(args.exprs().as_slice(), [a] if self.is_this(f, *a))
            }
            _ => false,
        }
    }

    /// True when `v` is a parameter declared with the `storage` data location.
    fn is_storage_param(&self, v: VarId) -> bool {
        let Some(f) = self.var(v).function else {
            return false;
        };
        let Some(i) = self.params(f).iter().position(|&p| p == v) else {
            return false;
        };
        self.ast_of(f)
            .and_then(|ast| ast.item(self.function(f).item.item).as_function())
            .and_then(|d| d.params.get(i))
            .is_some_and(|p| p.location == Some(syntax::ast::DataLocation::Storage))
    }

    /// The arguments of a call in the order of the callee's parameters: for a library
    /// function bound with `using ... for` (`x.f(a)`), the receiver `x` comes first.
    pub(crate) fn bound_args(&self, f: FunctionId, call: ExprId) -> Vec<ExprId> {
        let Some(ast) = self.ast_of(f) else {
            return Vec::new();
        };
        let ExprKind::Call { callee, args } = &ast.expr(call).kind else {
            return Vec::new();
        };
        let mut out = Vec::new();
        let bound = self
            .calls(f)
            .iter()
            .any(|c| c.expr == Some(call) && matches!(c.kind, CallKind::Library { .. }));
        if bound
            && let ExprKind::Member { base, .. } = &ast.expr(ast.skip_parens(*callee)).kind
            && !matches!(
                self.declaration(self.function(f).item.file, ast.skip_parens(*base)),
                Some(Declaration::Contract(_) | Declaration::Module(_))
            )
        {
            out.push(*base);
        }
        out.extend(args.exprs());
        out
    }

    /// True when `cond` restricts the caller to a privileged set: with `holds`, the
    /// call proceeds only when `cond` is true (`require(cond)`, `if (cond) _;`);
    /// without, only when it is false (`if (cond) revert()`). Deny-lists
    /// (`require(!frozen[msg.sender])`) and exclusions (`require(msg.sender != x)`)
    /// are not privileges.
    fn is_sender_condition(
        &self,
        md: Option<ContractId>,
        f: FunctionId,
        cond: ExprId,
        holds: bool,
        depth: u32,
        bound: &Bound,
    ) -> bool {
        let file = self.function(f).item.file;
        let Some(ast) = self.ast_of(f) else {
            return false;
        };
        let cond = ast.skip_parens(cond);
        let sub = |e: ExprId, holds: bool| self.is_sender_condition(md, f, e, holds, depth, bound);
        match &ast.expr(cond).kind {
            // `a || b` must hold: both must be privileges; `a && b` must hold: one suffices.
            ExprKind::Binary {
                op: op @ (BinaryOp::Or | BinaryOp::And),
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
                let bool_literal = |e: ExprId| match ast.expr(ast.skip_parens(e)).kind {
                    ExprKind::Literal(Literal::Bool(b)) => Some(b),
                    _ => None,
                };
                let is_eq = *op == BinaryOp::Eq;
                // `owners[msg.sender] == true`, `blacklist[msg.sender] == false`.
                if let Some(b) = bool_literal(*rhs) {
                    return sub(*lhs, holds == (b == is_eq));
                }
                if let Some(b) = bool_literal(*lhs) {
                    return sub(*rhs, holds == (b == is_eq));
                }
                // The sender compared with state, a fixed address, a value the caller
                // bound to one (`only(owner)`), or the contract itself (a function only
                // the contract's own calls reach, e.g. a wallet's
                // `require(msg.sender == address(this))`).
                let privileged = |e: ExprId| self.is_privileged_value(md, f, e, bound);
                is_eq == holds
                    && ((self.is_sender_expr(md, f, *lhs, depth, bound) && privileged(*rhs))
                        || (self.is_sender_expr(md, f, *rhs, depth, bound) && privileged(*lhs)))
            }
            ExprKind::Unary {
                op: UnaryOp::Not,
                operand,
            } => sub(*operand, !holds),
            // `bool ok = isAdmin(msg.sender); require(ok);`
            ExprKind::Ident(_) => {
                holds
                    && matches!(self.declaration(file, cond),
                        Some(Declaration::Local(v) | Declaration::Param(v)) if bound.checks.contains(&v))
            }
            // `admins[msg.sender]`, `roles[r][msg.sender]`.
            ExprKind::Index {
                base,
                index: Some(index),
            } => {
                holds
                    && *self.type_of(file, cond) == Type::BOOL
                    && (self.is_sender_key(md, f, *index, depth, bound) || sub(*base, holds))
                    && self.reads_state(md, f, *base)
            }
            // `hasRole(R, msg.sender)`, `registry.isAdmin(msg.sender)`, `isOwner()`.
            ExprKind::Call { args, .. } => {
                let low_level = self
                    .calls(f)
                    .iter()
                    .any(|c| c.expr == Some(cond) && matches!(c.kind, CallKind::LowLevel { .. }));
                let passes_sender = args
                    .exprs()
                    .iter()
                    .any(|&a| self.is_sender_expr(md, f, a, depth, bound));
                (holds
                    && !low_level
                    && passes_sender
                    && *self.type_of(file, cond) == Type::BOOL
                    && self.reads_state(md, f, cond)
                    && !self.asks_caller_named_contract(f, cond, bound))
                    || (depth > 0
                        && self.callee_returns(md, f, cond, |g, r| {
                            self.is_sender_condition(md, g, r, holds, depth - 1, &Bound::default())
                        }))
            }
            _ => false,
        }
    }

    /// True when `call` is a state-changing call (its function neither `view` nor
    /// `pure`) on a contract the caller names: a parameter of `f`, possibly converted
    /// (`IHook(hook).onClaim(msg.sender)`), that no caller bound to the sender or a
    /// privileged value. Its answer comes from code the caller wrote, so requiring it
    /// is no access check. A `view` query (`registry.isAdmin(msg.sender)`) may still be
    /// one, and so may a call whose function is unknown.
    fn asks_caller_named_contract(&self, f: FunctionId, call: ExprId, bound: &Bound) -> bool {
        let Some(ast) = self.ast_of(f) else {
            return false;
        };
        let file = self.function(f).item.file;
        let Some(site) = self.calls(f).iter().find(|c| c.expr == Some(call)) else {
            return false;
        };
        let CallKind::HighLevel {
            function: Some(function),
            ..
        } = site.kind
        else {
            return false;
        };
        let changes_state = self
            .file_ast(function.file)
            .and_then(|a| a.item(function.item).as_function())
            .is_some_and(|def| !def.is_read_only());
        let ExprKind::Call { callee, .. } = &ast.expr(call).kind else {
            return false;
        };
        let ExprKind::Member { base, .. } = &ast.expr(ast.skip_parens(*callee)).kind else {
            return false;
        };
        // `IHook(hook)`, `address(hook)`: the converted value.
        let mut target = ast.skip_parens(*base);
        for _ in 0..4 {
            match &ast.expr(target).kind {
                ExprKind::Call { callee, args }
                    if matches!(self.type_of(file, *callee), Type::TypeType(_)) =>
                {
                    match args.exprs().as_slice() {
                        [a] => target = ast.skip_parens(*a),
                        _ => return false,
                    }
                }
                _ => break,
            }
        }
        changes_state
            && matches!(self.declaration(file, target), Some(Declaration::Param(v))
                if self.var(v).function == Some(f)
                    && !bound.privileged.contains(&v)
                    && !bound.senders.contains(&v))
    }

    /// True when a modifier of `f` is a reentrancy mutex: before `_` it reads a storage
    /// location and writes it, and after `_` it writes it again (directly or through
    /// internal calls, e.g. `_nonReentrantBefore()`). A location is a state variable or
    /// a slot reached through a slot accessor or transient storage (see [`Location`]).
    pub fn has_reentrancy_mutex(&self, f: FunctionId) -> bool {
        self.calls(f).iter().any(|c| match c.kind {
            CallKind::Modifier { modifier } => self
                .function_of_item(modifier)
                .is_some_and(|m| self.is_mutex_modifier(m)),
            _ => false,
        })
    }

    fn is_mutex_modifier(&self, m: FunctionId) -> bool {
        let Some(ast) = self.ast_of(m) else {
            return false;
        };
        let stmts = self.body_stmts(m);
        let Some(p) = stmts
            .iter()
            .position(|&s| matches!(ast.stmt(s).kind, StmtKind::Placeholder))
        else {
            return false;
        };
        let placeholder = ast.stmt(stmts[p]).span;
        let before = |span: Span| span.hi <= placeholder.lo;
        let after = |span: Span| span.lo >= placeholder.hi;
        let (mut before_r, mut before_w, mut after_w) = (Vec::new(), Vec::new(), Vec::new());
        for a in self.state_reads(m) {
            if before(ast.expr(a.expr).span) {
                before_r.push(Location::State(a.var));
            }
        }
        for a in self.state_writes(m) {
            let span = ast.expr(a.expr).span;
            if before(span) {
                before_w.push(Location::State(a.var));
            } else if after(span) {
                after_w.push(Location::State(a.var));
            }
        }
        let slots = self.slot_accesses(None, m);
        for a in &slots.reads {
            if before(a.span) {
                before_r.push(Location::Slot(a.key));
            }
        }
        for a in &slots.writes {
            if before(a.span) {
                before_w.push(Location::Slot(a.key));
            } else if after(a.span) {
                after_w.push(Location::Slot(a.key));
            }
        }
        for c in self.calls(m) {
            let Some(t) = self.internal_target(None, m, c) else {
                continue;
            };
            let (reads, writes) = self.locations(None, t);
            if before(c.span) {
                before_r.extend(reads);
                before_w.extend(writes);
            } else if after(c.span) {
                after_w.extend(writes);
            }
        }
        // The counter form: `n += 1; uint c = n; _; require(c == n);`: a re-entered
        // call bumps the counter, so the outer call's check after `_` fails.
        let file = self.function(m).item.file;
        let checked_after: Vec<Location> = stmts[p + 1..]
            .iter()
            .filter(|&&s| match &ast.stmt(s).kind {
                StmtKind::Expr(e) => match &ast.expr(ast.skip_parens(*e)).kind {
                    ExprKind::Call { callee, .. } => matches!(
                        self.declaration(file, ast.skip_parens(*callee)),
                        Some(Declaration::Builtin(Builtin::Require | Builtin::Assert))
                    ),
                    _ => false,
                },
                StmtKind::If { then_branch, .. } => self.reverts(m, ast, *then_branch),
                _ => false,
            })
            .flat_map(|&s| {
                let span = ast.stmt(s).span;
                self.state_reads(m)
                    .iter()
                    .filter(move |a| {
                        let at = ast.expr(a.expr).span;
                        at.lo >= span.lo && at.hi <= span.hi
                    })
                    .map(|a| Location::State(a.var))
            })
            .collect();
        before_w
            .iter()
            .any(|v| before_r.contains(v) && (after_w.contains(v) || checked_after.contains(v)))
    }
}
