//! Taint: which values the caller, a miner, or another contract can control.
//!
//! Sources: `msg.sender`, `tx.origin`, `msg.value`, `msg.data`/`msg.sig` and the
//! parameters of entry points, block values (`block.*`, `now`, `blockhash`), and the
//! return data of external calls. Taint flows through assignments and declarations,
//! arithmetic and other operators, conversions and builtins (their arguments),
//! arguments into the parameters of internal and library calls, return values back
//! to callers, and storage: a state variable written from tainted data taints every
//! later read of it, in any function. The analysis is flow-insensitive within a
//! function (a variable is tainted if any assignment taints it) and does not
//! propagate through mapping or array keys (`balances[msg.sender]` is not tainted by
//! the sender).

use rustc_hash::{FxHashMap, FxHashSet};
use syntax::FileId;
use syntax::ast::{ExprId, ExprKind};

use crate::ids::{ExprRef, FunctionId, ItemRef, VarId};
use crate::{Builtin, CallKind, Declaration, Model};

/// A flow of data recorded while resolving a function body.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Flow {
    /// `target = value` (also declarations with an initialiser).
    Def { target: FlowTarget, value: ExprId },
    /// `return value`.
    Return { value: ExprId },
    /// The argument at `index` of an internal or library call of `function`.
    Arg {
        function: ItemRef,
        index: u32,
        value: ExprId,
    },
}

/// Where an assignment stores.
#[derive(Clone, Copy, Debug)]
pub(crate) enum FlowTarget {
    Var(VarId),
    State(ItemRef),
}

/// A set of taint sources.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct TaintSources(u8);

impl TaintSources {
    /// No source.
    pub const NONE: TaintSources = TaintSources(0);
    /// `msg.sender`.
    pub const SENDER: TaintSources = TaintSources(1);
    /// `tx.origin`.
    pub const ORIGIN: TaintSources = TaintSources(2);
    /// `msg.value`.
    pub const VALUE: TaintSources = TaintSources(4);
    /// `msg.data`, `msg.sig` and the parameters of entry points.
    pub const CALLDATA: TaintSources = TaintSources(8);
    /// `block.*`, `now`, `blockhash(...)`: chosen or influenced by the block producer.
    pub const BLOCK: TaintSources = TaintSources(16);
    /// Return data of external calls.
    pub const EXTERNAL: TaintSources = TaintSources(32);

    /// True when no source is present.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// True when every source of `other` is present.
    pub fn contains(self, other: TaintSources) -> bool {
        self.0 & other.0 == other.0
    }

    /// The union.
    #[must_use]
    pub fn union(self, other: TaintSources) -> TaintSources {
        TaintSources(self.0 | other.0)
    }

    /// Can the caller choose this value (sender, origin, value, calldata)?
    pub fn is_caller_controlled(self) -> bool {
        self.0 & (Self::SENDER.0 | Self::ORIGIN.0 | Self::VALUE.0 | Self::CALLDATA.0) != 0
    }

    /// Can a block producer influence this value?
    pub fn is_miner_controlled(self) -> bool {
        self.0 & Self::BLOCK.0 != 0
    }
}

impl std::ops::BitOr for TaintSources {
    type Output = TaintSources;
    fn bitor(self, rhs: TaintSources) -> TaintSources {
        self.union(rhs)
    }
}

impl std::ops::BitOrAssign for TaintSources {
    fn bitor_assign(&mut self, rhs: TaintSources) {
        *self = self.union(rhs);
    }
}

/// The result of the taint analysis over the whole model.
#[derive(Clone, Debug, Default)]
pub struct Taint {
    vars: Vec<TaintSources>,
    state: FxHashMap<ItemRef, TaintSources>,
    returns: Vec<TaintSources>,
    external_calls: FxHashSet<ExprRef>,
    internal_calls: FxHashMap<ExprRef, FunctionId>,
}

/// An upper bound on fixpoint rounds (the lattice has 6 bits per variable, so
/// real programs settle long before).
const MAX_ROUNDS: usize = 64;

impl Taint {
    /// The sources that may reach a parameter, return or local variable.
    pub fn var(&self, v: VarId) -> TaintSources {
        self.vars.get(v.index()).copied().unwrap_or_default()
    }

    /// The sources that may have been stored in a state variable.
    pub fn state_var(&self, r: ItemRef) -> TaintSources {
        self.state.get(&r).copied().unwrap_or_default()
    }

    /// The sources that may reach a function's return values.
    pub fn returns(&self, f: FunctionId) -> TaintSources {
        self.returns.get(f.index()).copied().unwrap_or_default()
    }

    /// The sources that may reach the value of `expr`.
    pub fn expr(&self, model: &Model<'_>, file: FileId, expr: ExprId) -> TaintSources {
        let Some(f) = model.tables.file(file) else {
            return TaintSources::NONE;
        };
        let ast = f.parse.ast();
        let args_union = |args: &[ExprId]| {
            args.iter()
                .fold(TaintSources::NONE, |t, &a| t | self.expr(model, file, a))
        };
        match &ast.expr(expr).kind {
            ExprKind::Ident(_) | ExprKind::Member { .. } => match model.declaration(file, expr) {
                Some(Declaration::Local(v) | Declaration::Param(v) | Declaration::Return(v)) => {
                    self.var(v)
                }
                Some(Declaration::StateVar(r)) => self.state_var(r),
                Some(Declaration::Builtin(b)) => match b {
                    Builtin::MsgSender => TaintSources::SENDER,
                    Builtin::TxOrigin => TaintSources::ORIGIN,
                    Builtin::MsgValue => TaintSources::VALUE,
                    Builtin::MsgData | Builtin::MsgSig => TaintSources::CALLDATA,
                    b if b.is_block_value() => TaintSources::BLOCK,
                    _ => match &ast.expr(expr).kind {
                        ExprKind::Member { base, .. } => self.expr(model, file, *base),
                        _ => TaintSources::NONE,
                    },
                },
                _ => match &ast.expr(expr).kind {
                    ExprKind::Member { base, .. } => self.expr(model, file, *base),
                    _ => TaintSources::NONE,
                },
            },
            ExprKind::Index { base, .. } | ExprKind::Slice { base, .. } => {
                self.expr(model, file, *base)
            }
            ExprKind::Call { callee, args } => {
                let key = ExprRef { file, expr };
                let args = args.exprs();
                if self.external_calls.contains(&key) {
                    return TaintSources::EXTERNAL;
                }
                if let Some(&g) = self.internal_calls.get(&key)
                    && model.cfg_body_exists(g)
                {
                    return self.returns(g);
                }
                let callee_taint = match model.declaration(file, ast.skip_parens(*callee)) {
                    Some(Declaration::Builtin(Builtin::Blockhash | Builtin::BlockBlockhash)) => {
                        TaintSources::BLOCK
                    }
                    _ => TaintSources::NONE,
                };
                callee_taint | args_union(&args)
            }
            ExprKind::Paren(e) => self.expr(model, file, *e),
            ExprKind::CallOptions { callee, .. } => self.expr(model, file, *callee),
            ExprKind::Tuple { elements } => elements
                .iter()
                .flatten()
                .fold(TaintSources::NONE, |t, &e| t | self.expr(model, file, e)),
            ExprKind::InlineArray { elements } => args_union(elements),
            ExprKind::Unary { operand, .. } => self.expr(model, file, *operand),
            ExprKind::Binary { lhs, rhs, .. } => {
                self.expr(model, file, *lhs) | self.expr(model, file, *rhs)
            }
            ExprKind::Ternary {
                cond,
                then_expr,
                else_expr,
            } => {
                self.expr(model, file, *cond)
                    | self.expr(model, file, *then_expr)
                    | self.expr(model, file, *else_expr)
            }
            ExprKind::Assign { rhs, .. } => self.expr(model, file, *rhs),
            ExprKind::Literal(_)
            | ExprKind::ElementaryType(_)
            | ExprKind::New { .. }
            | ExprKind::TypeOf { .. }
            | ExprKind::Type(_)
            | ExprKind::Error => TaintSources::NONE,
        }
    }
}

impl Model<'_> {
    pub(crate) fn cfg_body_exists(&self, f: FunctionId) -> bool {
        let item = self.function(f).item;
        self.tables
            .file(item.file)
            .and_then(|file| file.parse.ast().item(item.item).as_function())
            .is_some_and(|d| d.body.is_some())
    }

    /// Runs the taint analysis over every function of the model (see the module
    /// documentation for sources and propagation).
    pub fn taint(&self) -> Taint {
        let mut t = Taint {
            vars: vec![TaintSources::NONE; self.vars.len()],
            state: FxHashMap::default(),
            returns: vec![TaintSources::NONE; self.tables.functions.len()],
            external_calls: FxHashSet::default(),
            internal_calls: FxHashMap::default(),
        };
        for (f, info) in self.functions() {
            for c in self.calls(f) {
                let Some(expr) = c.expr else { continue };
                let key = ExprRef {
                    file: info.item.file,
                    expr,
                };
                match c.kind {
                    CallKind::Internal { function, .. } | CallKind::Library { function, .. } => {
                        if let Some(g) = self.function_of_item(function) {
                            t.internal_calls.insert(key, g);
                        }
                    }
                    k if k.is_external() => {
                        t.external_calls.insert(key);
                    }
                    _ => {}
                }
            }
        }
        let entries: Vec<FunctionId> = self.entry_points().collect();
        for f in entries {
            for &p in self.params(f) {
                t.vars[p.index()] = TaintSources::CALLDATA;
            }
        }
        for _ in 0..MAX_ROUNDS {
            let mut changed = false;
            for (f, info) in self.functions() {
                let file = info.item.file;
                for flow in &self.flows[f.index()] {
                    match *flow {
                        Flow::Def { target, value } => {
                            let v = t.expr(self, file, value);
                            if v.is_empty() {
                                continue;
                            }
                            let slot = match target {
                                FlowTarget::Var(var) => &mut t.vars[var.index()],
                                FlowTarget::State(r) => t.state.entry(r).or_default(),
                            };
                            changed |= !slot.contains(v);
                            *slot |= v;
                        }
                        Flow::Return { value } => {
                            let v = t.expr(self, file, value);
                            changed |= !t.returns[f.index()].contains(v);
                            t.returns[f.index()] |= v;
                        }
                        Flow::Arg {
                            function,
                            index,
                            value,
                        } => {
                            let Some(g) = self.function_of_item(function) else {
                                continue;
                            };
                            let Some(&p) = self.params(g).get(index as usize) else {
                                continue;
                            };
                            let v = t.expr(self, file, value);
                            changed |= !t.vars[p.index()].contains(v);
                            t.vars[p.index()] |= v;
                        }
                    }
                }
                let named = self
                    .returns(f)
                    .iter()
                    .fold(TaintSources::NONE, |acc, &r| acc | t.vars[r.index()]);
                changed |= !t.returns[f.index()].contains(named);
                t.returns[f.index()] |= named;
            }
            if !changed {
                break;
            }
        }
        t
    }
}
