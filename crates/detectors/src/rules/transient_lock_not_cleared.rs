use std::collections::HashSet;

use semantics::{Cfg, Declaration, FunctionId, Model, NodeId, NodeKind, Type};
use syntax::ast::{
    Ast, ExprId, ExprKind, Literal, StmtKind, UnaryOp, YulExprId, YulExprKind, YulStmtKind,
};
use syntax::{FileId, Span};

use crate::analysis::access::def_of;
use crate::declare::declare_detector;
use crate::detector::{Detector, FileContext};
use crate::finding::Finding;
use crate::meta::{Confidence, DetectorMeta, Severity};

declare_detector! {
    /// ## What it detects
    /// A transient-storage flag set by a public function and not reset before it
    /// returns: an assembly `tstore(slot, v)` or an assignment to a `transient` state
    /// variable, where the slot is a literal or a constant and `v` is a flag value (a
    /// non-zero literal, `true`, an address such as `caller()`, `address()` or an
    /// address-typed local), after which some path to the function's normal end
    /// clears nothing (`tstore(slot, 0)`, `= false`, `delete`). Modifiers are expanded
    /// (`_; tstore(slot, 0)` resets on every path) and internal functions that set or
    /// clear the slot count where they are called.
    ///
    /// A caller-supplied value stored in a slot read for authorization is
    /// `transient-slot-injection`'s.
    ///
    /// Not reported: counters and computed values (deltas settled later), slots whose
    /// key is computed at run time, and reverting paths (a revert discards transient
    /// writes too).
    ///
    /// ## Why it matters
    /// Transient storage lives until the end of the transaction, not the call. A lock
    /// left set blocks every later call in the same transaction (a batch, a
    /// multicall, an account-abstraction bundle); an authorization flag left set lets
    /// a later call in the transaction act as the authorized party.
    ///
    /// ## Example
    /// ```solidity
    /// function mint(uint256 amount) external {
    ///     assembly { tstore(1, address()) }   // reported: never reset
    ///     this.swapCallback(amount);
    /// }
    /// ```
    ///
    /// ## Recommendation
    /// Reset the slot on every path before returning (a modifier with
    /// `_; tstore(slot, 0)`).
    pub(crate) struct TransientLockNotCleared;
}

static META: DetectorMeta = DetectorMeta {
    id: "transient-lock-not-cleared",
    title: "Transient lock or authorization flag not cleared",
    severity: Severity::Low,
    confidence: Confidence::Medium,
    swc: None,
    category: "reentrancy",
    description: "A transient-storage lock or authorization flag stays set after the function returns, for \
                  the rest of the transaction",
    recommendation: "Reset the transient slot on every path before returning",
    references: &["https://eips.ethereum.org/EIPS/eip-1153"],
    doc: TransientLockNotCleared::DOC,
};

/// What a statement does to a transient slot.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Op {
    Set,
    Clear,
}

/// One write of a transient slot, named by its key's source text (or the variable).
#[derive(Clone, Debug)]
struct SlotWrite {
    slot: String,
    op: Op,
    span: Span,
}

/// How many internal calls are followed to find slot writes.
const DEPTH: u32 = 3;

impl Detector for TransientLockNotCleared {
    fn meta(&self) -> &'static DetectorMeta {
        &META
    }

    fn check_file(&self, cx: &FileContext<'_>, out: &mut Vec<Finding>) {
        let model = cx.model();
        let ast = cx.ast();
        for (f, _) in cx.functions() {
            if !model.is_entry_point(f) || model.is_constructor(f) {
                continue;
            }
            let Some(def) = def_of(ast, model, f) else {
                continue;
            };
            if def.is_read_only() {
                continue;
            }
            let Some(cfg) = model.cfg(f) else { continue };
            let writes: Vec<Vec<SlotWrite>> = cfg
                .node_ids()
                .map(|n| node_writes(model, &cfg, n, DEPTH))
                .collect();
            let mut reported = HashSet::new();
            for n in cfg.node_ids() {
                let Some(ws) = writes.get(n.index()) else {
                    continue;
                };
                for w in ws {
                    if w.op != Op::Set || reported.contains(&w.slot) {
                        continue;
                    }
                    // The last write of the slot in this node.
                    if ws
                        .iter()
                        .rev()
                        .find(|x| x.slot == w.slot)
                        .is_some_and(|x| x.op == Op::Clear)
                    {
                        continue;
                    }
                    if reaches_exit_uncleared(&cfg, &writes, n, &w.slot) {
                        reported.insert(w.slot.clone());
                        if let NodeKind::Stmt { file, .. } = cfg.node(n).kind
                            && file != cx.file
                        {
                            continue;
                        }
                        out.push(cx.finding(
                            &META,
                            Some(f),
                            w.span,
                            format!(
                                "transient slot `{}` is set here and stays set when `{}` returns: \
                                 it persists for the rest of the transaction",
                                w.slot,
                                model.function(f).name
                            ),
                        ));
                    }
                }
            }
        }
    }
}

/// True when a path from `from` reaches the normal exit without a node clearing `slot`.
fn reaches_exit_uncleared(cfg: &Cfg, writes: &[Vec<SlotWrite>], from: NodeId, slot: &str) -> bool {
    let mut seen = vec![false; cfg.nodes.len()];
    let mut stack: Vec<NodeId> = cfg.node(from).succs.iter().map(|e| e.0).collect();
    while let Some(n) = stack.pop() {
        if n == Cfg::EXIT {
            return true;
        }
        if n == Cfg::REVERT || seen.get(n.index()).copied().unwrap_or(true) {
            continue;
        }
        if let Some(s) = seen.get_mut(n.index()) {
            *s = true;
        }
        let clears = writes
            .get(n.index())
            .is_some_and(|ws| ws.iter().any(|w| w.slot == slot && w.op == Op::Clear));
        if clears {
            continue;
        }
        stack.extend(cfg.node(n).succs.iter().map(|e| e.0));
    }
    false
}

/// The slot writes of a CFG node, in source order, with those of the internal
/// functions it calls.
fn node_writes(model: &Model<'_>, cfg: &Cfg, n: NodeId, depth: u32) -> Vec<SlotWrite> {
    let node = cfg.node(n);
    let NodeKind::Stmt { file, stmt } = node.kind else {
        return Vec::new();
    };
    let Some(ast) = model.file_ast(file) else {
        return Vec::new();
    };
    span_writes(model, ast, file, node.function, ast.stmt(stmt).span, depth)
}

/// The slot writes inside `span` of function `f`: assembly `tstore`s, assignments of
/// transient variables, and internal calls that write slots.
fn span_writes(
    model: &Model<'_>,
    ast: &Ast,
    file: FileId,
    f: FunctionId,
    span: Span,
    depth: u32,
) -> Vec<SlotWrite> {
    let within = |s: Span| s.lo >= span.lo && s.hi <= span.hi;
    let mut out: Vec<SlotWrite> = Vec::new();
    for (_, e) in ast.yul_exprs() {
        if !within(e.span) {
            continue;
        }
        if let YulExprKind::Call {
            function,
            builtin: true,
            args,
        } = &e.kind
            && function.as_str() == "tstore"
            && let [key, value] = args.as_slice()
            && let Some(slot) = yul_key(model, ast, f, *key)
        {
            let op = if yul_flag(model, ast, f, *value) {
                Op::Set
            } else {
                Op::Clear
            };
            out.push(SlotWrite {
                slot,
                op,
                span: e.span,
            });
        }
    }
    for (x, e) in ast.exprs() {
        if !within(e.span) {
            continue;
        }
        let (place, value) = match &e.kind {
            ExprKind::Assign { op: None, lhs, rhs } => (*lhs, Some(*rhs)),
            ExprKind::Unary {
                op: UnaryOp::Delete,
                operand,
            } => (*operand, None),
            _ => continue,
        };
        let Some(name) = transient_var(model, ast, file, place) else {
            continue;
        };
        let op = if value.is_some_and(|v| solidity_flag(model, ast, file, v)) {
            Op::Set
        } else {
            Op::Clear
        };
        let _ = x;
        out.push(SlotWrite {
            slot: name,
            op,
            span: e.span,
        });
    }
    if depth > 0 {
        let md = model.function(f).contract;
        for site in model.calls(f) {
            if !within(site.span) || matches!(site.kind, semantics::CallKind::Modifier { .. }) {
                continue;
            }
            let Some(g) = model.internal_callees(md, f).into_iter().find(|&g| {
                let target = match site.kind {
                    semantics::CallKind::Internal { function, .. }
                    | semantics::CallKind::Library { function, .. } => function,
                    _ => return false,
                };
                model.function_of_item(target) == Some(g)
                    || md.is_some_and(|c| {
                        model.function_of_item(model.dispatch(c, target)) == Some(g)
                    })
            }) else {
                continue;
            };
            let item = model.function(g).item;
            let Some(gast) = model.file_ast(item.file) else {
                continue;
            };
            let Some(body) = gast.item(item.item).as_function().and_then(|d| d.body) else {
                continue;
            };
            let inner = span_writes(model, gast, item.file, g, gast.stmt(body).span, depth - 1);
            // The call's net effect on each slot: its last write.
            let mut slots: Vec<String> = inner.iter().map(|w| w.slot.clone()).collect();
            slots.dedup();
            for s in slots {
                if let Some(last) = inner.iter().rev().find(|w| w.slot == s) {
                    out.push(SlotWrite {
                        slot: s,
                        op: last.op.clone(),
                        span: site.span,
                    });
                }
            }
        }
    }
    out.sort_by_key(|w| w.span.lo);
    out
}

/// The name of a slot key: a literal, or a name that is no variable (a constant).
fn yul_key(model: &Model<'_>, ast: &Ast, f: FunctionId, e: YulExprId) -> Option<String> {
    match &ast.yul_expr(e).kind {
        YulExprKind::Literal(l) => Some(l.to_string()),
        YulExprKind::Path(p) if p.len() == 1 => {
            let name = p.first()?.as_str();
            // A constant: not a variable of the function nor of the assembly block.
            let local = local_named(model, f, name).is_some()
                || model.params(f).iter().any(|&v| model.var(v).name == name)
                || ast.yul_stmts().any(|(_, s)| {
                    matches!(&s.kind, YulStmtKind::Let { names, .. }
                        if names.iter().any(|n| n.as_str() == name))
                });
            (!local).then(|| name.to_owned())
        }
        _ => None,
    }
}

/// True for a flag value in assembly: a non-zero literal, `caller()`, `address()`,
/// `origin()`, or a Solidity address or bool variable of `f`.
fn yul_flag(model: &Model<'_>, ast: &Ast, f: FunctionId, e: YulExprId) -> bool {
    match &ast.yul_expr(e).kind {
        YulExprKind::Literal(l) => {
            let l = l.as_str();
            l != "0" && l != "false" && l != "0x0" && l != "0x00"
        }
        YulExprKind::Call { function, args, .. } => {
            args.is_empty() && matches!(function.as_str(), "caller" | "address" | "origin")
        }
        YulExprKind::Path(p) if p.len() == 1 => {
            let Some(name) = p.first() else { return false };
            local_named(model, f, name.as_str()).is_some_and(|t| {
                t.is_address() || t == Type::BOOL || matches!(t, Type::Contract(_))
            })
        }
        _ => false,
    }
}

/// The type of the parameter, return or local of `f` named `name`.
fn local_named(model: &Model<'_>, f: FunctionId, name: &str) -> Option<Type> {
    let item = model.function(f).item;
    let ast = model.file_ast(item.file)?;
    let def = ast.item(item.item).as_function()?;
    let body = ast.stmt(def.body?).span;
    let header = def.header_span;
    ast.stmts()
        .find_map(|(_, s)| match &s.kind {
            StmtKind::VarDecl { decls, .. } if s.span.lo >= body.lo && s.span.hi <= body.hi => {
                decls
                    .iter()
                    .flatten()
                    .find(|d| d.name.as_ref().is_some_and(|n| n.as_str() == name))
                    .and_then(|d| d.name.as_ref())
                    .and_then(|n| model.var_declared_at(item.file, n.span))
                    .map(|v| model.var(v).ty.clone())
            }
            _ => None,
        })
        .or_else(|| {
            model
                .params(f)
                .iter()
                .chain(model.returns(f))
                .find(|&&v| model.var(v).name == name && model.var(v).span.lo >= header.lo)
                .map(|&v| model.var(v).ty.clone())
        })
}

/// The name of the transient state variable assigned at `place`.
fn transient_var(model: &Model<'_>, ast: &Ast, file: FileId, place: ExprId) -> Option<String> {
    let place = ast.skip_parens(place);
    let Some(Declaration::StateVar(r)) = model.declaration(file, place) else {
        return None;
    };
    let v = model.file_ast(r.file)?.item(r.item).as_variable()?;
    v.is_transient.then(|| v.name.as_str().to_owned())
}

/// True for a flag value in Solidity: `true`, a non-zero number, an address.
fn solidity_flag(model: &Model<'_>, ast: &Ast, file: FileId, e: ExprId) -> bool {
    let e = ast.skip_parens(e);
    match &ast.expr(e).kind {
        ExprKind::Literal(Literal::Bool(b)) => *b,
        ExprKind::Literal(l) => l.number_value().is_some_and(|v| v != 0),
        _ => {
            let t = model.type_of(file, e);
            t.is_address() || matches!(t, Type::Contract(_))
        }
    }
}

/// Reports a function that reads a transient slot and stores one of its parameters
/// in the same slot (an authorization value the caller can forge).
pub(crate) fn injected(
    cx: &FileContext<'_>,
    meta: &'static DetectorMeta,
    f: FunctionId,
    out: &mut Vec<Finding>,
) {
    let model = cx.model();
    let ast = cx.ast();
    let Some(body) = def_of(ast, model, f).and_then(|d| d.body) else {
        return;
    };
    let span = ast.stmt(body).span;
    let within = |s: Span| s.lo >= span.lo && s.hi <= span.hi;
    let loaded: Vec<String> = ast
        .yul_exprs()
        .filter(|(_, e)| within(e.span))
        .filter_map(|(_, e)| match &e.kind {
            YulExprKind::Call { function, args, .. } if function.as_str() == "tload" => {
                args.first().and_then(|&k| yul_key(model, ast, f, k))
            }
            _ => None,
        })
        .collect();
    if loaded.is_empty() {
        return;
    }
    let params: Vec<&str> = model
        .params(f)
        .iter()
        .map(|&v| model.var(v).name.as_str())
        .collect();
    for (_, e) in ast.yul_exprs() {
        if !within(e.span) {
            continue;
        }
        if let YulExprKind::Call { function, args, .. } = &e.kind
            && function.as_str() == "tstore"
            && let [key, value] = args.as_slice()
            && let Some(slot) = yul_key(model, ast, f, *key)
            && loaded.contains(&slot)
            && let YulExprKind::Path(p) = &ast.yul_expr(*value).kind
            && p.first().is_some_and(|n| params.contains(&n.as_str()))
        {
            out.push(cx.finding(
                meta,
                Some(f),
                e.span,
                format!(
                    "transient slot `{slot}` is read as an authorization value and then \
                     overwritten with the caller-supplied `{}`",
                    cx.snippet(ast.yul_expr(*value).span)
                ),
            ));
        }
    }
}
