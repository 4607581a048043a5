//! The Vyper forms of detectors whose class exists in both languages. Each function
//! is called from its detector's [`crate::Detector::check_vyper`] with that
//! detector's metadata, so findings carry the same id, title and documentation as
//! their Solidity counterparts.

use std::collections::{BTreeSet, HashMap, HashSet};

use vyper::ast::{
    Ast, BinOp, CmpOp, ExprId, ExprKind, FunctionDef, Mutability, StmtId, StmtKind, UnaryOp,
};
use vyper::summary::{ExternalCallKind, FunctionSummary, GuardKind};
use vyper::{Builtin, EnvVar, TypeShape};

use super::{
    EffectKind, VyperContext, any_expr, input_reaches, is_entry_point, module_state, names_in,
    storage_root, walk_expr, walk_stmts,
};
use crate::finding::Finding;
use crate::meta::DetectorMeta;

/// The entry points of the module with their definitions.
fn entry_points<'a>(
    cx: &VyperContext<'a>,
) -> impl Iterator<Item = (&'a FunctionSummary, &'a FunctionDef)> + 'a {
    let cx = *cx;
    cx.module
        .functions()
        .iter()
        .filter_map(move |f| cx.def(f).map(|d| (f, d)))
        .filter(|(f, d)| is_entry_point(f, Some(d)))
}

/// A call that hands control to code we do not know: not a static call, not `send`
/// (2,300 gas), not `selfdestruct`, not a deployment, not a delegate call (our own code
/// on our own storage).
fn hands_over_control(kind: ExternalCallKind, delegate: bool) -> bool {
    kind.can_reenter()
        && !delegate
        && !matches!(
            kind,
            ExternalCallKind::Send | ExternalCallKind::Selfdestruct | ExternalCallKind::Create(_)
        )
}

/// `reentrancy-eth` (`with_value`) and `reentrancy-no-eth`: an entry point without
/// `@nonreentrant` reads a storage variable, calls out, then writes that variable (after
/// the call, or later in the loop that makes the call).
pub(crate) fn reentrancy(
    cx: &VyperContext<'_>,
    meta: &'static DetectorMeta,
    with_value: bool,
    out: &mut Vec<Finding>,
) {
    for (f, def) in entry_points(cx) {
        // A locked function cannot be re-entered; one only a trusted caller may call
        // (an owner, a role) hands control to contracts that caller chose.
        if f.nonreentrant.is_some()
            || f.is_guarded()
            || cx.module.calls_unknown(f)
            || matches!(f.mutability, Mutability::View | Mutability::Pure)
            || writes_once(cx.ast(), def)
        {
            continue;
        }
        let effects = cx.module.effects(f);
        for (i, call) in effects.iter().enumerate() {
            let EffectKind::Call(c) = call.kind else {
                continue;
            };
            // Only a contract the caller chooses (`msg.sender`, an address parameter) can
            // be relied on to call back; the contracts a module keeps in storage are its
            // own configuration.
            if !call.untrusted
                || !hands_over_control(c.kind, c.delegate)
                || c.sends_value != with_value
            {
                continue;
            }
            let read_before: HashSet<&str> = effects[..i]
                .iter()
                .filter_map(|e| match e.kind {
                    EffectKind::Read(name) => Some(name),
                    _ => None,
                })
                .collect();
            let stale = effects.iter().find(|e| {
                matches!(e.kind, EffectKind::Write(name) if read_before.contains(name))
                    && cx.module.happens_after(call.at, e.at)
            });
            let Some(write) = stale else { continue };
            let EffectKind::Write(name) = write.kind else {
                continue;
            };
            let what = call_name(c.kind);
            out.push(
                cx.finding(
                    meta,
                    Some(&f.name),
                    call.span,
                    format!(
                        "`{}` reads `self.{name}`, {} (`{what}`) and writes `self.{name}` afterwards, \
                         without `@nonreentrant`: the callee can re-enter while `{name}` is stale",
                        f.name,
                        if with_value { "sends ether" } else { "calls another contract" },
                    ),
                )
                .with_secondary(cx.file, write.span, format!("`self.{name}` written after the call")),
            );
        }
    }
}

/// What a view can observe and a function can change: a storage variable, or the
/// state of a contract held in storage (its balances, its supply).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum State<'m> {
    Var(&'m str),
    Contract(&'m str),
}

impl State<'_> {
    fn describe(self) -> String {
        match self {
            State::Var(v) => format!("`self.{v}`"),
            State::Contract(c) => format!("the state of the contract in `self.{c}`"),
        }
    }
}

/// `reentrancy-read-only`: a function hands control to a contract its caller chooses
/// (sending it ether, or calling it) before it finishes its update (a storage write, or a state-changing
/// call to a contract held in storage, after the call or later in its loop), while an
/// external view without a lock reads that state: during the callback the view returns
/// values of a half-updated state (the 2022–2023 Curve `get_virtual_price` cases).
pub(crate) fn read_only_reentrancy(
    cx: &VyperContext<'_>,
    meta: &'static DetectorMeta,
    out: &mut Vec<Finding>,
) {
    let module = cx.module;
    let views: Vec<(&FunctionSummary, BTreeSet<State<'_>>)> = entry_points(cx)
        .filter(|(f, _)| f.mutability == Mutability::View && f.nonreentrant.is_none())
        .map(|(f, _)| {
            let reads = module
                .effects(f)
                .into_iter()
                .filter_map(|e| match e.kind {
                    EffectKind::Read(name) => Some(State::Var(name)),
                    EffectKind::Call(c) if !c.kind.can_reenter() => {
                        module.call_target(c).map(State::Contract)
                    }
                    _ => None,
                })
                .collect();
            (f, reads)
        })
        .collect();
    if views.is_empty() {
        return;
    }
    for (f, def) in entry_points(cx) {
        // A function only a trusted caller may call hands control to contracts that
        // caller chose; an initializer runs once, at deployment.
        if matches!(f.mutability, Mutability::View | Mutability::Pure)
            || f.is_guarded()
            || module.calls_unknown(f)
            || writes_once(cx.ast(), def)
        {
            continue;
        }
        let effects = module.effects(f);
        for (i, call) in effects.iter().enumerate() {
            let EffectKind::Call(c) = call.kind else {
                continue;
            };
            if !call.untrusted || !hands_over_control(c.kind, c.delegate) {
                continue;
            }
            let changed: BTreeSet<State<'_>> = effects
                .iter()
                .enumerate()
                .filter(|&(j, e)| j != i && module.happens_after(call.at, e.at))
                .filter_map(|(_, e)| match e.kind {
                    EffectKind::Write(name) => Some(State::Var(name)),
                    EffectKind::Call(later) if later.kind.can_reenter() && !later.sends_value => {
                        module.call_target(later).map(State::Contract)
                    }
                    _ => None,
                })
                .collect();
            let exposed: Vec<(&str, State<'_>)> = views
                .iter()
                .filter_map(|(v, reads)| {
                    reads
                        .iter()
                        .find(|r| changed.contains(*r))
                        .map(|r| (v.name.as_str(), *r))
                })
                .collect();
            let Some(&(view, state)) = exposed.first() else {
                continue;
            };
            let more = match exposed.len() {
                1 => String::new(),
                n => format!(
                    " (and {} other view{})",
                    n - 1,
                    if n == 2 { "" } else { "s" }
                ),
            };
            out.push(cx.finding(
                meta,
                Some(&f.name),
                call.span,
                format!(
                    "`{}` hands control to another contract (`{}`) before it finishes updating \
                     {}; the view `{view}`{more} reads it without `@nonreentrant`, so a \
                     contract that trusts `{view}` during the callback sees a half-updated state",
                    f.name,
                    call_name(c.kind),
                    state.describe(),
                ),
            ));
        }
    }
}

fn call_name(kind: ExternalCallKind) -> &'static str {
    match kind {
        ExternalCallKind::RawCall => "raw_call",
        ExternalCallKind::Send => "send",
        ExternalCallKind::Selfdestruct => "selfdestruct",
        ExternalCallKind::Create(b) => b.name(),
        ExternalCallKind::Interface | ExternalCallKind::InterfaceView => "interface call",
        ExternalCallKind::ExtCall => "extcall",
        ExternalCallKind::StaticCall => "staticcall",
    }
}

/// `unchecked-low-level-call`: `raw_call(..., revert_on_failure=False)` whose success
/// flag is dropped: the call is a statement of its own, or its result is assigned to
/// locals none of which is read afterwards.
pub(crate) fn unchecked_raw_call(
    cx: &VyperContext<'_>,
    meta: &'static DetectorMeta,
    out: &mut Vec<Finding>,
) {
    let ast = cx.ast();
    for f in cx.module.functions() {
        let Some(def) = cx.def(f) else { continue };
        let mut statements: Vec<StmtId> = Vec::new();
        walk_stmts(ast, &def.body, &mut |s| statements.push(s));
        for &s in &statements {
            let stmt = ast.stmt(s);
            let (call, targets) = match &stmt.kind {
                StmtKind::Expr(e) => (*e, Vec::new()),
                // A flag stored in the module's state (`self.ok = ...`, an immutable set
                // in the constructor) is read by other functions: not followed here.
                StmtKind::Assign { target, .. } if module_state(ast, *target) => continue,
                StmtKind::Assign { target, value } => (*value, names_in(ast, *target)),
                StmtKind::AnnAssign {
                    target,
                    value: Some(v),
                    ..
                } => (*v, vec![target.as_str()]),
                _ => continue,
            };
            if targets
                .iter()
                .any(|n| ast.variables().any(|v| v.name.as_str() == *n))
            {
                continue;
            }
            let unchecked_call = ast.builtin_call(call) == Some(Builtin::RawCall)
                && ast
                    .keyword_arg(call, "revert_on_failure")
                    .is_some_and(|v| ast.expr(v).kind == ExprKind::Bool(false));
            if !unchecked_call {
                continue;
            }
            let message = if targets.is_empty() {
                "the result of `raw_call(..., revert_on_failure=False)` is dropped: a failed call \
                 goes unnoticed"
                    .to_owned()
            } else {
                let read_later = statements.iter().any(|&later| {
                    ast.stmt(later).span.lo >= stmt.span.hi && mentions(ast, later, &targets)
                });
                if read_later {
                    continue;
                }
                format!(
                    "the success flag of `raw_call(..., revert_on_failure=False)` is assigned to \
                     `{}` and never read: a failed call goes unnoticed",
                    targets.join("`, `")
                )
            };
            out.push(cx.finding(meta, Some(&f.name), ast.expr(call).span, message));
        }
    }
}

/// True when statement `s` (its own expressions, not nested blocks) reads one of `names`.
fn mentions(ast: &Ast, s: StmtId, names: &[&str]) -> bool {
    let mut found = false;
    ast.for_each_stmt_expr(s, |e| {
        found = found
            || any_expr(ast, e, &mut |x| {
                matches!(&ast.expr(x).kind, ExprKind::Name(n) if names.contains(&n.as_str()))
            });
    });
    found
}

/// `tx-origin-auth`: `assert tx.origin == self.owner`, `if tx.origin != X: raise`, or a
/// permission looked up by `tx.origin` (`assert self.admins[tx.origin]`).
pub(crate) fn tx_origin(
    cx: &VyperContext<'_>,
    meta: &'static DetectorMeta,
    out: &mut Vec<Finding>,
) {
    let ast = cx.ast();
    for f in cx.module.functions() {
        let mut seen = HashSet::new();
        for g in &f.guards {
            if let GuardKind::OriginEquals(subject) = &g.kind
                && seen.insert(g.span)
            {
                out.push(cx.finding(
                    meta,
                    Some(&f.name),
                    g.span,
                    format!(
                        "`{}` authorizes `tx.origin` against `{subject}`: any contract that \
                         account calls can act with its rights",
                        f.name
                    ),
                ));
            }
        }
        let Some(def) = cx.def(f) else { continue };
        walk_stmts(ast, &def.body, &mut |s| {
            let Some((cond, _)) = check_condition(ast, s) else {
                return;
            };
            let keyed_by_origin = any_expr(ast, cond, &mut |e| {
                matches!(&ast.expr(e).kind, ExprKind::Subscript { base, index }
                    if ast.env_var(*index) == Some(EnvVar::TxOrigin)
                        && ast.self_member(*base).is_some())
            });
            let span = ast.stmt(s).span;
            if keyed_by_origin && seen.insert(span) {
                out.push(cx.finding(
                    meta,
                    Some(&f.name),
                    span,
                    format!(
                        "`{}` looks up a permission by `tx.origin`: any contract that account \
                         calls passes the check",
                        f.name
                    ),
                ));
            }
        });
    }
}

/// `weak-randomness`: a value taken modulo `n` that derives from a hash of block
/// values, or from `blockhash`, `block.prevrandao` or `block.difficulty` directly. Plain
/// time arithmetic (`block.timestamp % WEEK`) is not randomness and is not reported.
pub(crate) fn weak_randomness(
    cx: &VyperContext<'_>,
    meta: &'static DetectorMeta,
    out: &mut Vec<Finding>,
) {
    let ast = cx.ast();
    for f in cx.module.functions() {
        let Some(def) = cx.def(f) else { continue };
        let random_source = |e: ExprId| -> bool {
            let env = ast.env_var(e);
            if matches!(
                env,
                Some(EnvVar::BlockPrevrandao | EnvVar::BlockDifficulty | EnvVar::BlockPrevHash)
            ) || ast.builtin_call(e) == Some(Builtin::Blockhash)
            {
                return true;
            }
            matches!(
                ast.builtin_call(e),
                Some(Builtin::Keccak256 | Builtin::Sha256)
            ) && any_expr(ast, e, &mut |x| {
                ast.env_var(x).is_some_and(EnvVar::is_block_value)
                    || ast.builtin_call(x) == Some(Builtin::Blockhash)
            })
        };
        let derived = derived_locals(ast, def, HashSet::new(), &random_source);
        walk_stmts(ast, &def.body, &mut |s| {
            ast.for_each_stmt_expr(s, |root| {
                walk_expr(ast, root, &mut |e| {
                    let ExprKind::Binary {
                        op: BinOp::Mod,
                        lhs,
                        ..
                    } = &ast.expr(e).kind
                    else {
                        return;
                    };
                    let from_block = any_expr(ast, *lhs, &mut |x| {
                        random_source(x)
                            || matches!(&ast.expr(x).kind, ExprKind::Name(n) if derived.contains(n.as_str()))
                    });
                    if from_block {
                        out.push(cx.finding(
                            meta,
                            Some(&f.name),
                            ast.expr(e).span,
                            "a number drawn from block values: the block producer, and any \
                             contract calling in the same block, knows or chooses it",
                        ));
                    }
                });
            });
        });
    }
}

/// The locals assigned (transitively) from an expression in which `source` holds,
/// starting from `seed`; two passes so that loops settle.
fn derived_locals<'a>(
    ast: &'a Ast,
    def: &'a FunctionDef,
    mut set: HashSet<&'a str>,
    source: &impl Fn(ExprId) -> bool,
) -> HashSet<&'a str> {
    for _ in 0..2 {
        walk_stmts(ast, &def.body, &mut |s| {
            let (names, value): (Vec<&str>, ExprId) = match &ast.stmt(s).kind {
                StmtKind::AnnAssign {
                    target,
                    value: Some(v),
                    ..
                } => (vec![target.as_str()], *v),
                StmtKind::Assign { target, value } | StmtKind::AugAssign { target, value, .. } => {
                    match &ast.expr(*target).kind {
                        ExprKind::Name(n) => (vec![n.as_str()], *value),
                        _ => return,
                    }
                }
                _ => return,
            };
            let carries = any_expr(ast, value, &mut |x| {
                source(x)
                    || matches!(&ast.expr(x).kind, ExprKind::Name(n) if set.contains(n.as_str()))
            });
            if carries {
                set.extend(names);
            }
        });
    }
    set
}

/// `unprotected-selfdestruct`: an entry point without any caller check reaches
/// `selfdestruct` (directly or through internal functions).
pub(crate) fn unprotected_selfdestruct(
    cx: &VyperContext<'_>,
    meta: &'static DetectorMeta,
    out: &mut Vec<Finding>,
) {
    for (f, _) in entry_points(cx) {
        if f.is_guarded() || cx.module.calls_unknown(f) {
            continue;
        }
        if let Some(call) = cx.module.effects(f).into_iter().find(
            |e| matches!(e.kind, EffectKind::Call(c) if c.kind == ExternalCallKind::Selfdestruct),
        ) {
            out.push(cx.finding(
                meta,
                Some(&f.name),
                call.span,
                format!(
                    "anyone can call `{}`, which destroys the contract (`selfdestruct`) without \
                     checking the caller",
                    f.name
                ),
            ));
        }
    }
}

/// `unprotected-state-write`: an entry point without any caller check writes a storage
/// variable that other functions use to authorize their callers (`self.owner`, an
/// allow-list). Functions that write only once (they first assert the variable is still
/// empty: an initializer) are left to initializer checks.
pub(crate) fn unprotected_privileged_write(
    cx: &VyperContext<'_>,
    meta: &'static DetectorMeta,
    out: &mut Vec<Finding>,
) {
    let ast = cx.ast();
    // Declared types of storage variables: only a variable that holds the allowed
    // caller itself (an address, an allow-list keyed or filled by address) is
    // privileged; a struct that has an address field among others is not.
    let types: HashMap<&str, ExprId> = ast.variables().map(|v| (v.name.as_str(), v.ty)).collect();
    let named = |ty: ExprId, name: &str| matches!(ast.type_shape(ty), TypeShape::Named(n) if n.as_str() == name);
    let privileged: BTreeSet<&str> = cx
        .module
        .functions()
        .iter()
        .flat_map(|f| &f.guards)
        .filter_map(|g| {
            let (v, holds_caller): (&str, &dyn Fn(ExprId) -> bool) = match &g.kind {
                GuardKind::SenderEquals(v) => (v, &|ty| named(ty, "address")),
                GuardKind::SenderInMapping(v) => (v, &|ty| {
                    matches!(ast.type_shape(ty), TypeShape::HashMap { key, .. } if named(key, "address"))
                }),
                GuardKind::SenderInList(v) => (v, &|ty| {
                    matches!(ast.type_shape(ty), TypeShape::DynArray { elem, .. } | TypeShape::FixedArray { elem, .. } if named(elem, "address"))
                }),
                _ => return None,
            };
            types.get(v).is_some_and(|&ty| holds_caller(ty)).then_some(v)
        })
        .collect();
    if privileged.is_empty() {
        return;
    }
    for (f, def) in entry_points(cx) {
        if f.is_guarded() || cx.module.calls_unknown(f) || writes_once(ast, def) {
            continue;
        }
        let mut reported = HashSet::new();
        for e in cx.module.effects(f) {
            let EffectKind::Write(name) = e.kind else {
                continue;
            };
            if !privileged.contains(name) || !reported.insert(name) {
                continue;
            }
            out.push(cx.finding(
                meta,
                Some(&f.name),
                e.span,
                format!(
                    "anyone can call `{}`, which writes `self.{name}`, the variable other \
                     functions check the caller against",
                    f.name
                ),
            ));
        }
    }
}

/// True when `def` asserts (or checks before `raise`) that some storage variable is
/// still unset: `assert self.owner == empty(address)`, `assert not self.initialized`,
/// `assert self.x == 0`.
fn writes_once(ast: &Ast, def: &FunctionDef) -> bool {
    let mut once = false;
    walk_stmts(ast, &def.body, &mut |s| {
        if let Some((cond, negated)) = check_condition(ast, s) {
            once = once || checks_unset(ast, cond, negated);
        }
    });
    once
}

/// The condition a statement enforces: `assert cond` (`negated` false), or
/// `if cond: ... raise` (`negated` true: the code goes on when `cond` is false).
fn check_condition(ast: &Ast, s: StmtId) -> Option<(ExprId, bool)> {
    match &ast.stmt(s).kind {
        StmtKind::Assert { cond, .. } => Some((*cond, false)),
        StmtKind::If { cond, then, .. }
            if then
                .last()
                .is_some_and(|&t| matches!(ast.stmt(t).kind, StmtKind::Raise(_))) =>
        {
            Some((*cond, true))
        }
        _ => None,
    }
}

fn checks_unset(ast: &Ast, cond: ExprId, negated: bool) -> bool {
    let is_storage = |e: ExprId| storage_root(ast, e).is_some();
    let is_zero = |e: ExprId| match &ast.expr(e).kind {
        ExprKind::Number(_) => true,
        ExprKind::Bool(false) => true,
        ExprKind::Name(n) => matches!(n.as_str(), "ZERO_ADDRESS" | "EMPTY_BYTES32"),
        ExprKind::Call { func, .. } => {
            matches!(&ast.expr(*func).kind, ExprKind::Name(n) if n.as_str() == "empty")
        }
        _ => false,
    };
    match &ast.expr(cond).kind {
        ExprKind::Logical { lhs, rhs, .. } => {
            checks_unset(ast, *lhs, negated) || checks_unset(ast, *rhs, negated)
        }
        ExprKind::Compare { op, lhs, rhs } => {
            let wanted = if negated { CmpOp::NotEq } else { CmpOp::Eq };
            *op == wanted
                && (is_storage(*lhs) && is_zero(*rhs) || is_storage(*rhs) && is_zero(*lhs))
        }
        ExprKind::Unary {
            op: UnaryOp::Not,
            operand,
        } if !negated => is_storage(*operand),
        _ if negated => is_storage(cond),
        _ => false,
    }
}

/// `unchecked-arithmetic`: `unsafe_add`, `unsafe_sub`, `unsafe_mul` or `unsafe_div` in a
/// state-changing entry point, applied to caller input (a parameter, `msg.value`, or a
/// local computed from them) that no earlier `assert` or `if` of the function compares,
/// whose result reaches state: it is written to storage (directly or through a local), or
/// passed to an external call. Wrapping math in `view` helpers only returns a wrong
/// number to the caller that asked for it, and is left to the code that uses it.
pub(crate) fn unsafe_math_on_input(
    cx: &VyperContext<'_>,
    meta: &'static DetectorMeta,
    out: &mut Vec<Finding>,
) {
    let ast = cx.ast();
    for (f, def) in entry_points(cx) {
        if matches!(f.mutability, Mutability::View | Mutability::Pure) {
            continue;
        }
        if def.params.is_empty() {
            continue;
        }
        let external: HashSet<ExprId> = f.external_calls.iter().map(|c| c.expr).collect();
        let mut statements: Vec<StmtId> = Vec::new();
        walk_stmts(ast, &def.body, &mut |s| statements.push(s));
        // Caller input, followed in statement order: parameters, then locals assigned
        // from unchecked input (a local overwritten with something else is dropped).
        let mut input: HashSet<&str> = def.params.iter().map(|p| p.name.as_str()).collect();
        // Names compared in a condition so far: bounded, no longer the caller's to choose.
        let mut checked: HashSet<&str> = HashSet::new();
        for (i, &s) in statements.iter().enumerate() {
            let stmt = ast.stmt(s);
            let live: HashSet<&str> = input.difference(&checked).copied().collect();
            let mut wraps: Vec<(ExprId, &str, Builtin)> = Vec::new();
            ast.for_each_stmt_expr(s, |root| {
                walk_expr(ast, root, &mut |e| {
                    let Some(b) = ast.builtin_call(e) else { return };
                    let ExprKind::Call { args, .. } = &ast.expr(e).kind else {
                        return;
                    };
                    if !b.is_unchecked_arithmetic() {
                        return;
                    }
                    if let Some(name) = args
                        .iter()
                        .filter(|&&a| input_reaches(ast, &live, a))
                        .flat_map(|&a| names_in(ast, a))
                        .find(|n| live.contains(n))
                    {
                        wraps.push((e, name, b));
                    }
                });
            });
            for (e, name, b) in wraps {
                if !reaches_state(ast, &statements[i..], e, &external) {
                    continue;
                }
                out.push(cx.finding(
                    meta,
                    Some(&f.name),
                    ast.expr(e).span,
                    format!(
                        "`{}` wraps around instead of reverting, and `{name}` comes from the \
                         caller unchecked: a chosen value overflows it, and the result is \
                         stored or sent",
                        b.name()
                    ),
                ));
            }
            let (targets, value): (Vec<&str>, Option<ExprId>) = match &stmt.kind {
                StmtKind::AnnAssign { target, value, .. } => (vec![target.as_str()], *value),
                StmtKind::Assign { target, value } | StmtKind::AugAssign { target, value, .. }
                    if !module_state(ast, *target) =>
                {
                    (names_in(ast, *target), Some(*value))
                }
                _ => (Vec::new(), None),
            };
            let carries = value.is_some_and(|v| input_reaches(ast, &live, v));
            for t in targets {
                if carries {
                    input.insert(t);
                } else if !matches!(stmt.kind, StmtKind::AugAssign { .. }) {
                    input.remove(t);
                }
            }
            if let StmtKind::Assert { cond, .. } | StmtKind::If { cond, .. } = &stmt.kind {
                checked.extend(names_in(ast, *cond));
            }
        }
    }
}

/// True when the value of `e` (in the first of `statements`) is written to storage or
/// passed to one of the `external` calls: in that statement, or through the local it is
/// assigned to, in a later one.
fn reaches_state(ast: &Ast, statements: &[StmtId], e: ExprId, external: &HashSet<ExprId>) -> bool {
    let Some((&first, later)) = statements.split_first() else {
        return false;
    };
    let to_storage = |target: ExprId| storage_root(ast, target).is_some();
    let contains = |root: ExprId, wanted: &dyn Fn(ExprId) -> bool| {
        let mut found = false;
        walk_expr(ast, root, &mut |x| found = found || wanted(x));
        found
    };
    // An external call with `e` (or a name in `names`) among its arguments.
    let passed = |root: ExprId, names: &[&str]| {
        contains(root, &|x| {
            external.contains(&x)
                && contains(x, &|y| {
                    y == e
                        || matches!(&ast.expr(y).kind, ExprKind::Name(n) if names.contains(&n.as_str()))
                })
        })
    };
    let local = match &ast.stmt(first).kind {
        StmtKind::Assign { target, value } | StmtKind::AugAssign { target, value, .. }
            if contains(*value, &|x| x == e) =>
        {
            if to_storage(*target) {
                return true;
            }
            match &ast.expr(*target).kind {
                ExprKind::Name(n) => Some(n.as_str()),
                _ => None,
            }
        }
        StmtKind::AnnAssign {
            target,
            value: Some(value),
            ..
        } if contains(*value, &|x| x == e) => Some(target.as_str()),
        _ => None,
    };
    let mut direct = false;
    ast.for_each_stmt_expr(first, |root| direct = direct || passed(root, &[]));
    if direct {
        return true;
    }
    let Some(local) = local else { return false };
    later.iter().any(|&s| match &ast.stmt(s).kind {
        StmtKind::Assign { target, value } | StmtKind::AugAssign { target, value, .. }
            if to_storage(*target) && names_in(ast, *value).contains(&local) =>
        {
            true
        }
        _ => {
            let mut hit = false;
            ast.for_each_stmt_expr(s, |root| hit = hit || passed(root, &[local]));
            hit
        }
    })
}
