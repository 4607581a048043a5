//! Reentrancy: the external calls of a function that can re-enter the contract, and what
//! the function still does after them along its control flow (state writes, events).
//!
//! One pass per file computes every [`Report`]; the reentrancy detectors each keep their
//! own [`Kind`].
//!
//! - A call can re-enter when it hands control to code we do not know with enough gas:
//!   low-level `call`/`callcode` and high-level calls, except calls to the contract itself,
//!   `transfer`/`send` (2300 gas), `staticcall`, creations, and calls of `view`/`pure`
//!   functions from 0.5 on (compiled to `STATICCALL`). Calls to a target only the
//!   deployer or a privileged caller configures (a constant or immutable, or state written
//!   only by constructors and guarded functions) are trusted and not reported.
//! - A node of the CFG (modifiers expanded) makes the calls written in it and those its
//!   internal callees make (through their summaries); it writes what it writes and what
//!   its internal callees write.
//! - A forward data flow gives, at each node, the calls that may have run before it.
//!   Writes in nodes from which the function can only revert do not count.
//! - A state variable written after a call is dangerous when the function itself or
//!   another non-`view` entry point reads it other than to update it in place
//!   (`x += 1`): re-entering sees the stale value. Read only by `view` entry points, it
//!   is read-only reentrancy; read by nothing, benign.
//! - Protection: a mutex modifier on the function (or on every entry point reaching an
//!   internal function), or an inline lock (a `bool` flag set before the call and reset
//!   after it), leaves only read-only reentrancy. In functions only a privileged caller
//!   can run, only readers among the other, unrestricted entry points count.

use std::collections::{BTreeSet, HashMap};
use std::rc::Rc;
use std::sync::Arc;

use semantics::{
    Analysis, Builtin, CallKind, CallSite, Cfg, ContractId, Declaration, FunctionId,
    FunctionSummary, ItemRef, LowLevelKind, Model, NodeId, NodeKind, Taint, solve,
};
use syntax::ast::{Ast, ContractKind, ExprId, ExprKind, FunctionKind, StmtKind};
use syntax::{FileId, Span, Version};

use crate::analysis::contracts::ContractIndex;
use crate::detector::FileContext;
use crate::finding::Finding;
use crate::meta::{Confidence, DetectorMeta, Severity};

/// What a report is about, one per detector.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A call sending ether, then a write of state that is read somewhere.
    Eth,
    /// The same without ether.
    NoEth,
    /// A `view` entry point reads state written after the call (with a mutex, or when
    /// nothing else reads it).
    ReadOnly,
    /// Only state nobody reads is written after the call.
    Benign,
    /// Only events are emitted after the call.
    Events,
}

/// A place that explains a report.
#[derive(Clone, Debug)]
pub(crate) struct Place {
    pub(crate) file: FileId,
    pub(crate) span: Span,
    pub(crate) message: String,
}

/// One finding-to-be.
#[derive(Clone, Debug)]
pub(crate) struct Report {
    pub(crate) kind: Kind,
    pub(crate) function: FunctionId,
    /// In the analysed function's file: the call, the internal call leading to it, or the
    /// modifier invocation holding it.
    pub(crate) span: Span,
    pub(crate) message: String,
    pub(crate) secondary: Vec<Place>,
    /// Only a privileged caller can run the function (only other entry points matter).
    pub(crate) guarded: bool,
    /// The call forwards a payload the caller chooses (an executor).
    pub(crate) executor: bool,
}

/// The reentrancy reports of one file, computed once for the five detectors that share them.
pub(crate) struct FileReports(pub(crate) Vec<Report>);

/// Every reentrancy report of the functions declared in `cx`'s file (computed once
/// per file and shared).
pub(crate) fn reports(cx: &FileContext<'_>) -> std::sync::Arc<FileReports> {
    cx.project
        .per_file(cx.file, || FileReports(compute_reports(cx)))
}

fn compute_reports(cx: &FileContext<'_>) -> Vec<Report> {
    let model = cx.model();
    let mut an = Analyzer {
        model,
        file: cx.file,
        text: cx.text,
        taint: cx.taint(),
        index: ContractIndex::of(cx),
        summaries: HashMap::new(),
        contracts: HashMap::new(),
        trusted: HashMap::new(),
    };
    let mut out = Vec::new();
    for (f, info) in cx.functions() {
        let Some(md) = info.contract else { continue };
        if !an.is_candidate(f, md) {
            continue;
        }
        an.function(f, md, &mut out);
    }
    out
}

/// The gas `transfer` and `send` forward: too little to make a call back.
const STIPEND: u128 = 2300;

/// One entry point of a contract, as the cross-function check needs it.
struct Entry {
    function: FunctionId,
    reads: Vec<ItemRef>,
    callees: Vec<FunctionId>,
    view: bool,
    guarded: bool,
    mutex: bool,
}

struct Analyzer<'m, 'a> {
    model: &'m Model<'a>,
    file: FileId,
    text: &'m str,
    taint: &'m Taint,
    index: Arc<ContractIndex>,
    summaries: HashMap<(ContractId, FunctionId), FunctionSummary>,
    contracts: HashMap<ContractId, Rc<Vec<Entry>>>,
    trusted: HashMap<ItemRef, bool>,
}

/// A call that may re-enter, seen from the analysed function.
struct CallPoint {
    /// Where to report it in the analysed function's file.
    anchor: Span,
    /// The external call itself.
    site_file: FileId,
    site_span: Span,
    sends_value: bool,
    /// The internal function making the call, when not the node's own function.
    via: Option<FunctionId>,
    /// The call expression.
    site_expr: Option<ExprId>,
    /// The node making the call.
    node: NodeId,
    /// The target is configured by the deployer or a privileged caller.
    trusted: bool,
    /// The payload is chosen by the caller: a generic executor (multisig, timelock).
    executor: bool,
}

/// A state write or an event after a call.
struct Effect {
    node: NodeId,
    var: Option<ItemRef>,
    file: FileId,
    span: Span,
    via: Option<FunctionId>,
}

/// Forward "may have happened" facts: the marks (`calls_at[node]`, e.g. the indexes
/// of the calls a node makes) of every node on some path to a point.
pub(crate) struct MayHaveCalled<'c> {
    pub(crate) calls_at: &'c [Vec<usize>],
}

impl Analysis for MayHaveCalled<'_> {
    type Fact = BTreeSet<usize>;
    const FORWARD: bool = true;

    fn bottom(&self) -> Self::Fact {
        BTreeSet::new()
    }

    fn boundary(&self) -> Self::Fact {
        BTreeSet::new()
    }

    fn join(&self, into: &mut Self::Fact, other: &Self::Fact) {
        into.extend(other.iter().copied());
    }

    fn transfer(&self, _cfg: &Cfg, node: NodeId, fact: &Self::Fact) -> Self::Fact {
        let mut out = fact.clone();
        if let Some(calls) = self.calls_at.get(node.index()) {
            out.extend(calls.iter().copied());
        }
        out
    }
}

impl<'m, 'a> Analyzer<'m, 'a> {
    fn def(&self, f: FunctionId) -> Option<&'a syntax::ast::FunctionDef> {
        let item = self.model.function(f).item;
        self.model
            .file_ast(item.file)?
            .item(item.item)
            .as_function()
    }

    /// Functions whose body may write state after a call: not constructors, modifiers,
    /// `view`/`pure` functions, nor functions of interfaces and libraries.
    fn is_candidate(&self, f: FunctionId, md: ContractId) -> bool {
        let m = self.model;
        let info = m.function(f);
        if matches!(
            m.contract(md).kind,
            ContractKind::Interface | ContractKind::Library
        ) || info.kind == FunctionKind::Modifier
            || m.is_constructor(f)
        {
            return false;
        }
        self.def(f)
            .is_some_and(|d| d.body.is_some() && !d.is_read_only())
    }

    fn summary(&mut self, md: ContractId, f: FunctionId) -> &FunctionSummary {
        let model = self.model;
        self.summaries
            .entry((md, f))
            .or_insert_with(|| model.summary(Some(md), f))
    }

    /// The entry points of every contract that is or inherits from `c` (each resolved
    /// for its most-derived contract), without duplicates: whoever can call into state
    /// declared along `c`'s hierarchy.
    fn entries(&mut self, c: ContractId) -> Rc<Vec<Entry>> {
        if let Some(e) = self.contracts.get(&c) {
            return Rc::clone(e);
        }
        let m = self.model;
        let index = Arc::clone(&self.index);
        let derived: Vec<ContractId> = index
            .derived(c)
            .iter()
            .copied()
            .filter(|&d| {
                let kind = m.contract(d).kind;
                kind != ContractKind::Interface && kind != ContractKind::Library
            })
            .collect();
        let mut list: Vec<Entry> = Vec::new();
        for d in derived {
            // The functions of `d`'s hierarchy, in the model's order.
            let mut functions: Vec<FunctionId> = m
                .linearization(d)
                .iter()
                .flat_map(|&b| index.declared(b).iter().copied())
                .collect();
            functions.sort_unstable();
            for g in functions {
                let info = m.function(g);
                if list.iter().any(|e| e.function == g)
                    || !m.is_entry_point(g)
                    || m.is_constructor(g)
                    || m.dispatch(d, info.item) != info.item
                {
                    continue;
                }
                let view = self.def(g).is_some_and(|x| x.is_read_only());
                let s = self.summary(d, g).clone();
                let reads = self.real_reads(g, &s);
                list.push(Entry {
                    function: g,
                    reads,
                    callees: s.callees,
                    view,
                    guarded: m.is_guarded(g),
                    mutex: m.has_reentrancy_mutex(g),
                });
            }
        }
        let list = Rc::new(list);
        self.contracts.insert(c, Rc::clone(&list));
        list
    }

    /// The state variables `f` (with its internal callees, from `summary`) reads other
    /// than to update them in place (`count += 1`, `m[k]++`): what a stale value can
    /// mislead.
    fn real_reads(&self, f: FunctionId, summary: &FunctionSummary) -> Vec<ItemRef> {
        let m = self.model;
        let mut out = Vec::new();
        for g in std::iter::once(f).chain(summary.callees.iter().copied()) {
            let Some(ast) = m.file_ast(m.function(g).item.file) else {
                continue;
            };
            let writes = m.state_writes(g);
            for r in m.state_reads(g) {
                let rs = ast.expr(r.expr).span;
                let in_place = writes.iter().any(|w| {
                    let ws = ast.expr(w.expr).span;
                    w.var == r.var && rs.lo >= ws.lo && rs.hi <= ws.hi
                });
                if !in_place && !out.contains(&r.var) {
                    out.push(r.var);
                }
            }
        }
        out
    }

    /// True when only the deployer or a privileged caller decides the state variable
    /// `v`: it is constant or immutable, or every function writing it is a constructor,
    /// restricted to privileged callers, or internal and reached only from those.
    fn is_configured(&mut self, v: ItemRef) -> bool {
        if let Some(&t) = self.trusted.get(&v) {
            return t;
        }
        // Pessimistic while deciding: a cycle through `v` does not make it trusted.
        self.trusted.insert(v, false);
        let m = self.model;
        let fixed = m
            .file_ast(v.file)
            .and_then(|ast| ast.item(v.item).as_variable())
            .is_some_and(|d| d.is_constant || d.is_immutable);
        let mut trusted = true;
        if !fixed {
            for g in self.writers(v) {
                if m.is_constructor(g) || self.writes_only_trusted_values(g, v) {
                    continue;
                }
                if m.is_entry_point(g) {
                    if !m.is_guarded(g) {
                        trusted = false;
                        break;
                    }
                    continue;
                }
                let Some(c) = m.function(g).contract else {
                    trusted = false;
                    break;
                };
                let entries = self.entries(c);
                if entries.iter().any(|e| e.callees.contains(&g) && !e.guarded) {
                    trusted = false;
                    break;
                }
            }
        }
        self.trusted.insert(v, trusted);
        trusted
    }

    /// True when every write of `v` in `g` assigns a constant address (`C(0x12..)`) or
    /// the result of a call to a trusted target (`oracle = OracleI(resolver.get())`).
    fn writes_only_trusted_values(&mut self, g: FunctionId, v: ItemRef) -> bool {
        let m = self.model;
        let file = m.function(g).item.file;
        let Some(ast) = m.file_ast(file) else {
            return false;
        };
        let places: Vec<ExprId> = m
            .state_writes(g)
            .iter()
            .filter(|w| w.var == v)
            .map(|w| w.expr)
            .collect();
        let mut values = Vec::new();
        for place in places {
            let assigned = ast.exprs().find_map(|(_, e)| match e.kind {
                ExprKind::Assign {
                    op: None, lhs, rhs, ..
                } if lhs == place => Some(rhs),
                _ => None,
            });
            match assigned {
                Some(rhs) => values.push(rhs),
                None => return false,
            }
        }
        values.into_iter().all(|rhs| {
            let rhs = strip_conversions(m, file, ast, rhs);
            match &ast.expr(rhs).kind {
                ExprKind::Literal(_) => true,
                ExprKind::Call { .. } => {
                    let external = m.calls(g).iter().any(|c| {
                        c.expr == Some(rhs) && matches!(c.kind, CallKind::HighLevel { .. })
                    });
                    external && self.trusted_target(file, Some(rhs))
                }
                _ => false,
            }
        })
    }

    /// True when the call's target is a contract or address only the deployer or a
    /// privileged caller configured (see [`Analyzer::is_configured`]).
    fn trusted_target(&mut self, file: FileId, call: Option<ExprId>) -> bool {
        let m = self.model;
        let (Some(call), Some(ast)) = (call, m.file_ast(file)) else {
            return false;
        };
        let Some(e) = call_target(ast, call) else {
            return false;
        };
        self.trusted_expr(file, ast, e)
    }

    /// True when the address or contract `e` is one only the deployer or a privileged
    /// caller configured (a constant, immutable or guarded state variable).
    fn trusted_expr(&mut self, file: FileId, ast: &Ast, mut e: ExprId) -> bool {
        let m = self.model;
        for _ in 0..16 {
            e = ast.skip_parens(e);
            match &ast.expr(e).kind {
                // Conversions: `IToken(addr)`, `address(x)`.
                ExprKind::Call { .. } => {
                    let inner = strip_conversions(m, file, ast, e);
                    if inner == e {
                        return false;
                    }
                    e = inner;
                }
                ExprKind::Member { base, .. } => match m.declaration(file, e) {
                    Some(Declaration::StateVar(v)) => return self.is_configured(v),
                    _ => e = *base,
                },
                ExprKind::Index { base, .. } => e = *base,
                ExprKind::Ident(_) => {
                    return match m.declaration(file, e) {
                        Some(Declaration::StateVar(v)) => self.is_configured(v),
                        Some(Declaration::Local(l)) => {
                            m.storage_alias(l).is_some_and(|v| self.is_configured(v))
                        }
                        _ => false,
                    };
                }
                _ => return false,
            }
        }
        false
    }

    /// For an external call `ext` made in `h` (reached from `g`, which is called
    /// internally at `site` in `file`) with `h`'s parameters as its target or value:
    /// whether every argument bound to the target is trusted, and whether every one
    /// bound to the value is zero (`exec(MOM, data, 0)` → `tryExec` → `call`).
    fn bound_call(
        &mut self,
        md: ContractId,
        file: FileId,
        site: &CallSite,
        g: FunctionId,
        h: FunctionId,
        ext: &CallSite,
    ) -> (bool, bool) {
        let m = self.model;
        let h_file = m.function(h).item.file;
        let (Some(h_ast), Some(ext_expr)) = (m.file_ast(h_file), ext.expr) else {
            return (false, false);
        };
        let mut within = vec![g];
        within.extend(self.summary(md, g).callees.iter().copied());
        let bound = |e: ExprId| -> Vec<(FileId, ExprId)> {
            let e = strip_conversions(m, h_file, h_ast, h_ast.skip_parens(e));
            match m.declaration(h_file, e) {
                Some(Declaration::Param(p)) => m
                    .params(h)
                    .iter()
                    .position(|&q| q == p)
                    .map(|i| self.args_bound(file, site, g, &within, h, i, 3))
                    .unwrap_or_default(),
                _ => Vec::new(),
            }
        };
        let targets = call_target(h_ast, ext_expr).map(bound).unwrap_or_default();
        let value = match ext.kind {
            CallKind::LowLevel { value, .. } | CallKind::HighLevel { value, .. } => value,
            _ => None,
        };
        let values = value.map(bound).unwrap_or_default();
        let trusted = !targets.is_empty()
            && targets.iter().all(|&(f, a)| {
                m.file_ast(f)
                    .is_some_and(|ast| self.trusted_expr(f, ast, a))
            });
        let no_value = !values.is_empty()
            && values
                .iter()
                .all(|&(f, a)| m.file_ast(f).is_some_and(|ast| is_zero(ast, a)));
        (trusted, no_value)
    }

    /// The arguments passed to parameter `i` of `h` along the internal calls from `g`
    /// (itself called at `site` in `file`), followed through parameters of the
    /// functions in between; empty when one cannot be found.
    #[allow(clippy::too_many_arguments)]
    fn args_bound(
        &self,
        file: FileId,
        site: &CallSite,
        g: FunctionId,
        within: &[FunctionId],
        h: FunctionId,
        i: usize,
        depth: u32,
    ) -> Vec<(FileId, ExprId)> {
        let m = self.model;
        let arg_at = |f: FileId, call: ExprId| -> Option<ExprId> {
            let (_, args) = m.file_ast(f)?.expr(call).as_call()?;
            args.exprs().get(i).copied()
        };
        if h == g {
            return match (site.kind, site.expr) {
                (CallKind::Internal { .. }, Some(call)) => arg_at(file, call)
                    .map(|a| vec![(file, a)])
                    .unwrap_or_default(),
                _ => Vec::new(),
            };
        }
        if depth == 0 {
            return Vec::new();
        }
        let mut out = Vec::new();
        for &k in within {
            let k_file = m.function(k).item.file;
            let Some(k_ast) = m.file_ast(k_file) else {
                return Vec::new();
            };
            for c in m.calls(k) {
                let CallKind::Internal { function, .. } = c.kind else {
                    continue;
                };
                if m.function_of_item(function) != Some(h) {
                    continue;
                }
                let Some(a) = c.expr.and_then(|call| arg_at(k_file, call)) else {
                    return Vec::new();
                };
                let a = strip_conversions(m, k_file, k_ast, k_ast.skip_parens(a));
                match m.declaration(k_file, a) {
                    Some(Declaration::Param(p)) => {
                        let Some(j) = m.params(k).iter().position(|&q| q == p) else {
                            return Vec::new();
                        };
                        let inner = self.args_bound(file, site, g, within, k, j, depth - 1);
                        if inner.is_empty() {
                            return Vec::new();
                        }
                        out.extend(inner);
                    }
                    _ => out.push((k_file, a)),
                }
            }
        }
        out
    }

    /// The branches of `f` taken only when an external call failed: the `then` of
    /// `if (!call)` or `if (!ok)` with `ok` holding the call's result, the `else` of
    /// `if (call)`.
    fn failure_branches(&self, f: FunctionId) -> Vec<Span> {
        let m = self.model;
        let file = m.function(f).item.file;
        let Some(ast) = m.file_ast(file) else {
            return Vec::new();
        };
        let Some(body) = ast
            .item(m.function(f).item.item)
            .as_function()
            .and_then(|d| d.body)
        else {
            return Vec::new();
        };
        let body = ast.stmt(body).span;
        let calls: Vec<Span> = m
            .calls(f)
            .iter()
            .filter(|c| c.kind.is_external())
            .map(|c| c.span)
            .collect();
        // Exactly a call's result, not a condition that merely contains a call.
        let holds_call = |e: ExprId| {
            let sp = ast.expr(ast.skip_parens(e)).span;
            calls.contains(&sp)
        };
        // Locals holding a call's result: `bool ok = to.call.value(v)();`.
        let mut results: Vec<semantics::VarId> = Vec::new();
        for (_, st) in ast.stmts() {
            if st.span.lo < body.lo || st.span.hi > body.hi {
                continue;
            }
            if let StmtKind::VarDecl {
                decls,
                value: Some(v),
                ..
            } = &st.kind
                && holds_call(*v)
                && let [Some(d)] = decls.as_slice()
                && let Some(name) = &d.name
                && let Some(var) = m.var_declared_at(file, name.span)
            {
                results.push(var);
            }
        }
        let is_result = |e: ExprId| {
            let e = ast.skip_parens(e);
            holds_call(e)
                || matches!(m.declaration(file, e),
                    Some(Declaration::Local(v)) if results.contains(&v))
        };
        let mut out = Vec::new();
        for (_, st) in ast.stmts() {
            if st.span.lo < body.lo || st.span.hi > body.hi {
                continue;
            }
            let StmtKind::If {
                cond,
                then_branch,
                else_branch,
            } = &st.kind
            else {
                continue;
            };
            match &ast.expr(ast.skip_parens(*cond)).kind {
                ExprKind::Unary {
                    op: syntax::ast::UnaryOp::Not,
                    operand,
                } if is_result(*operand) => out.push(ast.stmt(*then_branch).span),
                _ if is_result(*cond) => {
                    if let Some(e) = else_branch {
                        out.push(ast.stmt(*e).span);
                    }
                }
                _ => {}
            }
        }
        out
    }

    /// Whether `f` can only run for a privileged caller, and whether a mutex holds while
    /// it runs: its own, or for internal functions those of every entry point reaching it.
    fn protection(&mut self, f: FunctionId, md: ContractId) -> (bool, bool) {
        let m = self.model;
        if m.is_entry_point(f) {
            return (m.is_guarded(f), m.has_reentrancy_mutex(f));
        }
        let callers: Vec<(bool, bool)> = self
            .entries(md)
            .iter()
            .filter(|e| e.callees.contains(&f))
            .map(|e| (e.guarded, e.mutex))
            .collect();
        if callers.is_empty() {
            return (false, false);
        }
        (callers.iter().all(|c| c.0), callers.iter().all(|c| c.1))
    }

    /// `Some(sends_value)` when `site`, written in `file`, can re-enter.
    fn reentrant(&self, file: FileId, site: &CallSite) -> Option<bool> {
        let m = self.model;
        let (value, gas) = match site.kind {
            CallKind::LowLevel {
                kind: LowLevelKind::Call | LowLevelKind::CallCode,
                value,
                gas,
            } => (value, gas),
            CallKind::HighLevel {
                function,
                value,
                gas,
                ..
            } => {
                let static_call = m.version(file).is_none_or(|v| v >= Version::new(0, 5, 0));
                if static_call && function.is_some_and(|f| self.is_read_only_item(f)) {
                    return None;
                }
                (value, gas)
            }
            _ => return None,
        };
        let ast = m.file_ast(file)?;
        if site.expr.is_some_and(|e| self.targets_this(file, ast, e)) {
            return None;
        }
        // A stipend like `transfer`'s (`.gas(2300)`) is too little to call back.
        if gas.is_some_and(|g| {
            self.constant_value(file, ast, g)
                .is_some_and(|v| v <= STIPEND)
        }) {
            return None;
        }
        Some(value.is_some_and(|v| !is_zero(ast, v)))
    }

    /// The value of a number literal, or of a constant state variable initialised with one.
    fn constant_value(&self, file: FileId, ast: &Ast, e: ExprId) -> Option<u128> {
        let e = ast.skip_parens(e);
        if let Some(v) = ast.expr(e).as_literal().and_then(|l| l.number_value()) {
            return Some(v);
        }
        let Some(Declaration::StateVar(var)) = self.model.declaration(file, e) else {
            return None;
        };
        let vast = self.model.file_ast(var.file)?;
        let def = vast.item(var.item).as_variable()?;
        let init = def.value?;
        // A variable only constructors and privileged callers may change is
        // configuration, like a constant (`uint safeGas = 2300;` with an owner setter).
        if !def.is_constant && !self.only_privileged_writers(var) {
            return None;
        }
        vast.expr(vast.skip_parens(init))
            .as_literal()
            .and_then(|l| l.number_value())
    }

    /// True when every function writing `var` is a constructor or guarded.
    fn only_privileged_writers(&self, var: ItemRef) -> bool {
        let m = self.model;
        self.writers(var)
            .into_iter()
            .all(|g| m.is_constructor(g) || m.is_guarded(g))
    }

    /// The functions that write the state variable `v`: only the hierarchies that
    /// contain its contract can.
    fn writers(&self, v: ItemRef) -> Vec<FunctionId> {
        let m = self.model;
        let mut candidates: Vec<FunctionId> = Vec::new();
        let owner = m
            .file_ast(v.file)
            .and_then(|ast| ast.parent_contract(v.item))
            .and_then(|(c, _)| {
                m.contract_of_item(ItemRef {
                    file: v.file,
                    item: c,
                })
            });
        if let Some(owner) = owner {
            for &d in self.index.derived(owner) {
                for &b in m.linearization(d) {
                    candidates.extend(self.index.declared(b));
                }
            }
        }
        candidates.sort_unstable();
        candidates.dedup();
        candidates.retain(|&g| m.state_writes(g).iter().any(|a| a.var == v));
        candidates
    }

    /// True for a low-level call whose payload the caller chooses (not a literal): the
    /// function executes arbitrary calls by design, and who may run it is the question.
    fn forwards_caller_data(&self, file: FileId, site: &CallSite) -> bool {
        if !matches!(site.kind, CallKind::LowLevel { .. }) {
            return false;
        }
        let (Some(call), Some(ast)) = (site.expr, self.model.file_ast(file)) else {
            return false;
        };
        let Some((_, args)) = ast.expr(call).as_call() else {
            return false;
        };
        args.exprs().first().is_some_and(|&a| {
            ast.expr(ast.skip_parens(a)).as_literal().is_none()
                && self.taint.expr(self.model, file, a).is_caller_controlled()
        })
    }

    /// A `view`/`pure` function or a public state variable's getter.
    fn is_read_only_item(&self, item: ItemRef) -> bool {
        let Some(ast) = self.model.file_ast(item.file) else {
            return false;
        };
        let it = ast.item(item.item);
        match it.as_function() {
            Some(d) => d.is_read_only(),
            None => it.as_variable().is_some(),
        }
    }

    /// The call's target is `this` or `address(this)`.
    fn targets_this(&self, file: FileId, ast: &Ast, call: ExprId) -> bool {
        let Some(target) = call_target(ast, call) else {
            return false;
        };
        let is_this = |e: ExprId| {
            matches!(
                self.model.declaration(file, ast.skip_parens(e)),
                Some(Declaration::Builtin(Builtin::This))
            )
        };
        if is_this(target) {
            return true;
        }
        // `address(this)`, `payable(address(this))`.
        let mut e = ast.skip_parens(target);
        for _ in 0..4 {
            match ast.expr(e).as_call() {
                Some((_, args)) if args.len() == 1 => {
                    let Some(&inner) = args.exprs().first() else {
                        return false;
                    };
                    if is_this(inner) {
                        return true;
                    }
                    e = ast.skip_parens(inner);
                }
                _ => return false,
            }
        }
        false
    }

    /// The span of node `n` in its file, when it stands for source.
    fn node_span(&self, cfg: &Cfg, n: NodeId) -> Option<(FileId, Span)> {
        match cfg.node(n).kind {
            NodeKind::Stmt { file, stmt } => {
                let ast = self.model.file_ast(file)?;
                let s = ast.stmt(stmt);
                match &s.kind {
                    StmtKind::Try { call, .. } => Some((file, ast.expr(*call).span)),
                    StmtKind::Placeholder => None,
                    _ => Some((file, s.span)),
                }
            }
            NodeKind::Condition { file, expr } | NodeKind::Update { file, expr } => {
                let ast = self.model.file_ast(file)?;
                Some((file, ast.expr(expr).span))
            }
            _ => None,
        }
    }

    /// The function an internal call site reaches for `md`.
    fn internal_target(
        &self,
        md: ContractId,
        from: FunctionId,
        site: &CallSite,
    ) -> Option<FunctionId> {
        internal_target(self.model, md, from, site)
    }

    fn function(&mut self, f: FunctionId, md: ContractId, out: &mut Vec<Report>) {
        let m = self.model;
        // Nothing to do unless some call, here or in a callee or modifier, can re-enter.
        let calls = self.summary(md, f).external_calls.clone();
        if !calls
            .iter()
            .any(|(h, c)| self.reentrant(m.function(*h).item.file, c).is_some())
        {
            return;
        }
        let Some(cfg) = m.cfg(f) else { return };
        let n = cfg.nodes.len();

        // Where a node of a modifier body is reported: the modifier's invocation in `f`.
        let modifier_anchor = |g: FunctionId| -> Option<Span> {
            let item = m.function(g).item;
            m.calls(f).iter().find_map(|c| match c.kind {
                CallKind::Modifier { modifier } if modifier == item => Some(c.span),
                _ => None,
            })
        };

        let mut points: Vec<CallPoint> = Vec::new();
        let mut calls_at: Vec<Vec<usize>> = vec![Vec::new(); n];
        let mut effects: Vec<Effect> = Vec::new();
        let mut events: Vec<Effect> = Vec::new();

        for id in cfg.node_ids() {
            let Some((file, span)) = self.node_span(&cfg, id) else {
                continue;
            };
            let holder = cfg.node(id).function;
            let in_modifier = holder != f;
            let anchor_of = |s: Span| -> Option<Span> {
                if in_modifier {
                    modifier_anchor(holder)
                } else {
                    Some(s)
                }
            };
            let inside = |s: Span| s.lo >= span.lo && s.hi <= span.hi;

            for site in m.calls(holder).iter().filter(|c| inside(c.span)) {
                if let Some(value) = self.reentrant(file, site) {
                    if let Some(anchor) = anchor_of(site.span) {
                        calls_at[id.index()].push(points.len());
                        let trusted = self.trusted_target(file, site.expr);
                        let executor = self.forwards_caller_data(file, site);
                        points.push(CallPoint {
                            anchor,
                            site_file: file,
                            site_span: site.span,
                            sends_value: value,
                            via: None,
                            site_expr: site.expr,
                            node: id,
                            trusted,
                            executor,
                        });
                    }
                    continue;
                }
                let Some(g) = self.internal_target(md, holder, site) else {
                    continue;
                };
                let s = self.summary(md, g).clone();
                for (h, ext) in &s.external_calls {
                    let h_file = m.function(*h).item.file;
                    if let Some(value) = self.reentrant(h_file, ext)
                        && let Some(anchor) = anchor_of(site.span)
                    {
                        // A helper called with a configured target and no ether
                        // (`exec(MOM, data, 0)`): what its parameters are bound to here.
                        let (bound_trusted, bound_no_value) =
                            self.bound_call(md, file, site, g, *h, ext);
                        let value = value && !bound_no_value;
                        calls_at[id.index()].push(points.len());
                        let trusted = bound_trusted || self.trusted_target(h_file, ext.expr);
                        let executor = self.forwards_caller_data(h_file, ext);
                        points.push(CallPoint {
                            anchor,
                            site_file: h_file,
                            site_span: ext.span,
                            sends_value: value,
                            via: Some(g),
                            site_expr: ext.expr,
                            node: id,
                            trusted,
                            executor,
                        });
                    }
                }
                for &var in &s.writes {
                    effects.push(Effect {
                        node: id,
                        var: Some(var),
                        file,
                        span: site.span,
                        via: Some(g),
                    });
                }
                for _ in &s.events {
                    events.push(Effect {
                        node: id,
                        var: None,
                        file,
                        span: site.span,
                        via: Some(g),
                    });
                }
            }
            if let Some(ast) = m.file_ast(file) {
                for w in m.state_writes(holder) {
                    let ws = ast.expr(w.expr).span;
                    if inside(ws) {
                        effects.push(Effect {
                            node: id,
                            var: Some(w.var),
                            file,
                            span: ws,
                            via: None,
                        });
                    }
                }
                if let Some(ev) = self.event_in(&cfg, id, file, ast) {
                    events.push(Effect {
                        node: id,
                        var: None,
                        file,
                        span: ev,
                        via: None,
                    });
                }
            }
        }
        if points.is_empty() {
            return;
        }
        // A write that runs only when a call failed (`if (!to.call.value(v)()) {
        // owed[to] = v; }`) follows no successful call: a re-entry inside the failed
        // call was undone with it.
        let failed = self.failure_branches(f);
        if !failed.is_empty() {
            let f_file = m.function(f).item.file;
            effects.retain(|e| {
                e.file != f_file
                    || !failed
                        .iter()
                        .any(|b| b.lo <= e.span.lo && e.span.hi <= b.hi)
            });
        }

        let before = solve(
            &cfg,
            &MayHaveCalled {
                calls_at: &calls_at,
            },
        );
        let completes = completing_nodes(&cfg);

        let (guarded, mutex) = self.protection(f, md);
        let own_summary = self.summary(md, f).clone();
        let own_reads = self.real_reads(f, &own_summary);
        let entries: Vec<(FunctionId, Vec<ItemRef>, bool, bool, bool)> = self
            .entries(md)
            .iter()
            .map(|e| (e.function, e.reads.clone(), e.view, e.guarded, e.mutex))
            .collect();

        for (pi, p) in points.iter().enumerate() {
            let after = |e: &Effect| {
                before.get(e.node.index()).is_some_and(|b| b.contains(&pi))
                    && completes[e.node.index()]
            };
            // Distinct variables written after the call, first write of each.
            let mut written: Vec<&Effect> = Vec::new();
            for e in effects.iter().filter(|e| after(e)) {
                if !written.iter().any(|w| w.var == e.var) {
                    written.push(e);
                }
            }
            let emitted: Vec<&Effect> = events.iter().filter(|e| after(e)).collect();
            // An inline lock: a flag set before the call and reset after it (checked here
            // or by the other entry points). It is not state a re-entrant call misuses.
            let leads_here = |node: NodeId| {
                node != p.node
                    && !before.get(node.index()).is_some_and(|b| b.contains(&pi))
                    && cfg.reaches(node, p.node)
            };
            let locks: Vec<ItemRef> = written
                .iter()
                .filter_map(|w| w.var)
                .filter(|&v| {
                    is_bool_var(m, v)
                        && effects
                            .iter()
                            .any(|e| e.var == Some(v) && e.via.is_none() && leads_here(e.node))
                })
                .collect();
            written.retain(|w| w.var.is_none_or(|v| !locks.contains(&v)));
            let mutex = mutex || !locks.is_empty();
            if (written.is_empty() && emitted.is_empty()) || p.trusted {
                continue;
            }

            let call_text = self.text(p.site_file, p.site_span, p.site_expr);
            let call_desc = match p.via {
                Some(g) => format!("the external call {call_text} in `{}`", m.function(g).name),
                None => format!("the external call {call_text}"),
            };
            let mut secondary = Vec::new();
            if p.via.is_some() || p.anchor != p.site_span {
                secondary.push(Place {
                    file: p.site_file,
                    span: p.site_span,
                    message: "external call that can re-enter".to_owned(),
                });
            }

            let mut dangerous: Vec<(&Effect, Vec<FunctionId>)> = Vec::new();
            let mut benign: Vec<&Effect> = Vec::new();
            let mut view_readers: Vec<(&Effect, Vec<FunctionId>)> = Vec::new();
            for w in &written {
                let Some(var) = w.var else { continue };
                let others: Vec<FunctionId> = entries
                    .iter()
                    .filter(|e| e.0 != f && !e.2 && (!guarded || !e.3) && e.1.contains(&var))
                    .map(|e| e.0)
                    .collect();
                let views: Vec<FunctionId> = entries
                    .iter()
                    .filter(|e| e.0 != f && e.2 && !e.4 && e.1.contains(&var))
                    .map(|e| e.0)
                    .collect();
                let read_here = !guarded && own_reads.contains(&var);
                if read_here || !others.is_empty() {
                    dangerous.push((w, if read_here { Vec::new() } else { others }));
                } else if views.is_empty() {
                    benign.push(w);
                }
                if !views.is_empty() {
                    view_readers.push((w, views));
                }
            }

            let write_place = |w: &Effect, what: &str| -> Place {
                let name = w.var.map(|v| self.var_name(v)).unwrap_or_default();
                let message = match w.via {
                    Some(g) => {
                        format!("`{name}` {what} by `{}` after the call", m.function(g).name)
                    }
                    None => format!("`{name}` {what} after the call"),
                };
                Place {
                    file: w.file,
                    span: w.span,
                    message,
                }
            };

            if mutex || (dangerous.is_empty() && !view_readers.is_empty()) {
                // Privileged callers choose whom they call: no read-only report there.
                if view_readers.is_empty() || guarded {
                    continue;
                }
                let mut places = secondary.clone();
                let mut names = Vec::new();
                let mut readers: Vec<FunctionId> = Vec::new();
                for (w, views) in &view_readers {
                    places.push(write_place(w, "is written"));
                    if let Some(v) = w.var {
                        names.push(format!("`{}`", self.var_name(v)));
                    }
                    for v in views {
                        if !readers.contains(v) {
                            readers.push(*v);
                        }
                    }
                }
                for &r in readers.iter().take(3) {
                    if let Some(d) = self.def(r) {
                        places.push(Place {
                            file: m.function(r).item.file,
                            span: d.header_span,
                            message: "`view` function reading the stale state".to_owned(),
                        });
                    }
                }
                out.push(Report {
                    kind: Kind::ReadOnly,
                    function: f,
                    span: p.anchor,
                    message: format!(
                        "read-only reentrancy: during {call_desc}, {} {} stale state ({}), which is \
                         written only after the call{}",
                        list_names(m, &readers),
                        if readers.len() == 1 { "reads" } else { "read" },
                        names.join(", "),
                        if mutex {
                            "; the reentrancy guard does not cover views"
                        } else {
                            ""
                        }
                    ),
                    secondary: places,
                    guarded,
                    executor: p.executor,
                });
                continue;
            }

            let (kind, list): (Kind, Vec<&Effect>) = if !dangerous.is_empty() {
                let kind = if p.sends_value {
                    Kind::Eth
                } else {
                    Kind::NoEth
                };
                (kind, dangerous.iter().map(|d| d.0).collect())
            } else if guarded {
                // Re-entering is blocked; nothing else reads what is written.
                continue;
            } else if !benign.is_empty() {
                (Kind::Benign, benign.clone())
            } else if !emitted.is_empty() && written.is_empty() {
                (Kind::Events, Vec::new())
            } else {
                continue;
            };

            let mut places = secondary;
            let names: Vec<String> = list
                .iter()
                .filter_map(|w| w.var.map(|v| format!("`{}`", self.var_name(v))))
                .collect();
            for w in list.iter().take(4) {
                places.push(write_place(w, "is written"));
            }
            let message = match kind {
                Kind::Eth | Kind::NoEth => {
                    let cross: Vec<FunctionId> = dangerous
                        .iter()
                        .flat_map(|d| d.1.iter().copied())
                        .fold(Vec::new(), |mut acc, g| {
                            if !acc.contains(&g) {
                                acc.push(g);
                            }
                            acc
                        });
                    let only_cross = dangerous.iter().all(|d| !d.1.is_empty());
                    let sends = if kind == Kind::Eth {
                        " sends ether and"
                    } else {
                        ""
                    };
                    let mut msg = format!(
                        "reentrancy: {call_desc}{sends} can re-enter before {} {} written",
                        names.join(", "),
                        if names.len() == 1 { "is" } else { "are" }
                    );
                    if only_cross {
                        msg.push_str(&format!(
                            " (cross-function: read by {})",
                            list_names(m, &cross)
                        ));
                    }
                    if guarded {
                        msg.push_str("; the function is restricted to privileged callers");
                    }
                    msg
                }
                Kind::Benign => format!(
                    "{call_desc} can re-enter before {} {} written (state no function reads)",
                    names.join(", "),
                    if names.len() == 1 { "is" } else { "are" }
                ),
                _ => {
                    for e in emitted.iter().take(3) {
                        places.push(Place {
                            file: e.file,
                            span: e.span,
                            message: "event emitted after the call".to_owned(),
                        });
                    }
                    format!(
                        "{call_desc} can re-enter before events are emitted: re-entrant calls \
                         make the events appear out of order"
                    )
                }
            };
            out.push(Report {
                kind,
                function: f,
                span: p.anchor,
                message,
                secondary: places,
                guarded,
                executor: p.executor,
            });
        }
    }

    /// The span of the event emitted by node `id`, if it emits one directly.
    fn event_in(&self, cfg: &Cfg, id: NodeId, file: FileId, ast: &Ast) -> Option<Span> {
        let NodeKind::Stmt { stmt, .. } = cfg.node(id).kind else {
            return None;
        };
        let s = ast.stmt(stmt);
        match &s.kind {
            StmtKind::Emit { .. } => Some(s.span),
            // Before 0.4.21 events were invoked like functions: `Transfer(a, b, n);`.
            StmtKind::Expr(e) => {
                let (callee, _) = ast.expr(ast.skip_parens(*e)).as_call()?;
                matches!(
                    self.model.declaration(file, ast.skip_parens(callee)),
                    Some(Declaration::Event(_))
                )
                .then_some(s.span)
            }
            _ => None,
        }
    }

    /// The source of `span` on one line and shortened; only this file's text is at hand,
    /// so a call elsewhere is named by its callee.
    fn text(&self, file: FileId, span: Span, call: Option<ExprId>) -> String {
        if file == self.file {
            return format!("`{}`", compact(span.text(self.text)));
        }
        let name = call.and_then(|e| {
            let ast = self.model.file_ast(file)?;
            ast.callee_name(e).map(|n| n.as_str().to_owned())
        });
        match name {
            Some(n) => format!("of `{n}`"),
            None => "in another file".to_owned(),
        }
    }

    fn var_name(&self, v: ItemRef) -> String {
        self.model
            .file_ast(v.file)
            .and_then(|ast| ast.item(v.item).name())
            .map_or_else(String::new, |n| n.as_str().to_owned())
    }
}

fn list_names(m: &Model<'_>, fs: &[FunctionId]) -> String {
    let mut names: Vec<String> = fs
        .iter()
        .take(3)
        .map(|&g| {
            let name = &m.function(g).name;
            if name.is_empty() {
                "the fallback function".to_owned()
            } else {
                format!("`{name}`")
            }
        })
        .collect();
    if fs.len() > 3 {
        names.push(format!("{} more", fs.len() - 3));
    }
    names.join(", ")
}

/// Nodes from which the normal exit is reachable (a write on a path that must revert
/// is undone).
pub(crate) fn completing_nodes(cfg: &Cfg) -> Vec<bool> {
    let mut ok = vec![false; cfg.nodes.len()];
    let mut stack = vec![Cfg::EXIT];
    while let Some(n) = stack.pop() {
        if std::mem::replace(&mut ok[n.index()], true) {
            continue;
        }
        stack.extend(cfg.node(n).preds.iter().map(|e| e.0));
    }
    ok
}

/// The address or contract a call is made on: `a` in `a.f(x)`, `a.call{value: v}(d)`,
/// `a.call.value(v)()`.
pub(crate) fn call_target(ast: &Ast, call: ExprId) -> Option<ExprId> {
    let (mut callee, _) = ast.expr(ast.skip_parens(call)).as_call()?;
    for _ in 0..8 {
        callee = ast.skip_parens(callee);
        match &ast.expr(callee).kind {
            ExprKind::CallOptions { callee: inner, .. } => callee = *inner,
            // Legacy `.value(v)` / `.gas(g)`.
            ExprKind::Call { callee: inner, .. } => match ast.expr(*inner).as_member_access() {
                Some((base, m)) if m.name == "value" || m.name == "gas" => callee = base,
                _ => return None,
            },
            ExprKind::Member { base, .. } => return Some(*base),
            _ => return None,
        }
    }
    None
}

fn is_zero(ast: &Ast, e: ExprId) -> bool {
    ast.expr(ast.skip_parens(e))
        .as_literal()
        .and_then(|l| l.number_value())
        .is_some_and(|v| v == 0)
}

/// `text` on one line, at most 80 characters.
fn compact(text: &str) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= 80 {
        return one_line;
    }
    let mut short: String = one_line.chars().take(77).collect();
    short.push_str("...");
    short
}

/// Pushes the reports of `kind` in `cx`'s file as findings of `meta`. Reports on
/// functions only privileged callers can run get low confidence.
pub(crate) fn emit(
    cx: &FileContext<'_>,
    meta: &'static DetectorMeta,
    kind: Kind,
    out: &mut Vec<Finding>,
) {
    for r in reports(cx).0.iter().filter(|r| r.kind == kind) {
        let mut finding = cx.finding(meta, Some(r.function), r.span, r.message.clone());
        if r.guarded {
            finding.confidence = Confidence::Low;
        }
        // An executor of caller-chosen calls is reentrant by design; access control,
        // which the model may not see (roles, proposals), decides the impact.
        if r.executor && finding.severity > Severity::Medium {
            finding.severity = Severity::Medium;
            finding.confidence = Confidence::Low;
        }
        for p in &r.secondary {
            finding = finding.with_secondary(p.file, p.span, p.message.clone());
        }
        out.push(finding);
    }
}

/// True for a state variable declared `bool`.
fn is_bool_var(m: &Model<'_>, v: ItemRef) -> bool {
    m.file_ast(v.file).is_some_and(|ast| {
        ast.item(v.item).as_variable().is_some_and(|d| {
            matches!(
                ast.ty(d.ty).kind,
                syntax::ast::TypeKind::Elementary(syntax::ast::ElementaryType::Bool)
            )
        })
    })
}

/// `e` without type conversions around it (`IToken(address(x))` is `x`).
pub(crate) fn strip_conversions(m: &Model<'_>, file: FileId, ast: &Ast, mut e: ExprId) -> ExprId {
    for _ in 0..8 {
        e = ast.skip_parens(e);
        let ExprKind::Call { callee, args } = &ast.expr(e).kind else {
            return e;
        };
        let conversion = matches!(m.type_of(file, *callee), semantics::Type::TypeType(_))
            || matches!(ast.expr(*callee).kind, ExprKind::ElementaryType(_));
        match args.exprs().as_slice() {
            [inner] if conversion => e = *inner,
            _ => return e,
        }
    }
    e
}

/// The function an internal or library call `site` (written in `from`) runs when the
/// most-derived contract is `md`: dispatched, or the next base's for `super.f()`.
pub(crate) fn internal_target(
    m: &Model<'_>,
    md: ContractId,
    from: FunctionId,
    site: &CallSite,
) -> Option<FunctionId> {
    let item = match site.kind {
        CallKind::Internal {
            function,
            via_super: false,
        } => m.dispatch(md, function),
        CallKind::Internal {
            function,
            via_super: true,
        } => {
            let info = m.function(m.function_of_item(function)?);
            let from_contract = m.function(from).contract?;
            m.super_function(md, from_contract, &info.name, info.arity)
                .unwrap_or(function)
        }
        CallKind::Library { function, .. } => function,
        _ => return None,
    };
    m.function_of_item(item)
}
