//! Storage addressed by slot rather than by a state variable: `StorageSlot`-style
//! accessors (`SLOT.getUint256Slot().value = 1`) and transient or raw storage through
//! library functions (`SLOT.asBoolean().tstore(true)`), recognised by what the library
//! functions do (assembly `r.slot := ...`, `sstore`/`tstore`, `sload`/`tload`), not by
//! their names. A slot is named by the constant holding its key.

use rustc_hash::FxHashSet;
use syntax::Span;
use syntax::ast::{Ast, ExprId, ExprKind, StmtKind, YulExprKind, YulStmtKind};

use crate::calls::CallKind;
use crate::ids::{ContractId, FunctionId, ItemRef};
use crate::{Declaration, Model};

/// A storage location a function reads or writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Location {
    /// A state variable.
    State(ItemRef),
    /// A storage or transient-storage slot whose key is this constant.
    Slot(ItemRef),
}

/// One read or write of a slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SlotAccess {
    /// The constant naming the slot.
    pub key: ItemRef,
    /// The call that accesses it.
    pub span: Span,
}

/// The slots a function's own body reads and writes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SlotAccesses {
    /// Reads, in source order.
    pub reads: Vec<SlotAccess>,
    /// Writes, in source order.
    pub writes: Vec<SlotAccess>,
}

/// What a library function does with the slot it is given.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct SlotEffect {
    /// Returns a storage pointer at the slot (`r.slot := slot`).
    accessor: bool,
    /// Returns the slot key itself, possibly wrapped (`BooleanSlot.wrap(slot)`).
    pass_through: bool,
    /// Reads the slot (`sload`, `tload`).
    reads: bool,
    /// Writes the slot (`sstore`, `tstore`).
    writes: bool,
}

/// How many internal calls a slot key is followed through (`_guardSlot()` returning a constant).
const KEY_DEPTH: u32 = 3;

impl Model<'_> {
    fn function_ast(&self, f: FunctionId) -> Option<(&Ast, Span)> {
        let info = self.function(f);
        let ast = self.tables.file(info.item.file)?.parse.ast();
        let body = ast.item(info.item.item).as_function()?.body?;
        Some((ast, ast.stmt(body).span))
    }

    fn slot_effect(&self, g: FunctionId) -> SlotEffect {
        let mut effect = SlotEffect::default();
        let Some((ast, body)) = self.function_ast(g) else {
            return effect;
        };
        let within = |span: Span| span.lo >= body.lo && span.hi <= body.hi;
        for (_, e) in ast.yul_exprs() {
            if let YulExprKind::Call {
                function,
                builtin: true,
                ..
            } = &e.kind
                && within(e.span)
            {
                match function.as_str() {
                    "sload" | "tload" => effect.reads = true,
                    "sstore" | "tstore" => effect.writes = true,
                    _ => {}
                }
            }
        }
        for (_, s) in ast.yul_stmts() {
            if let YulStmtKind::Assign { targets, .. } = &s.kind
                && within(s.span)
                && targets
                    .iter()
                    .any(|path| path.last().is_some_and(|id| id.as_str() == "slot"))
            {
                effect.accessor = true;
            }
        }
        // `return T.wrap(slot);` or `return slot;` of the first parameter.
        let first_param = self.params(g).first().copied();
        let file = self.function(g).item.file;
        if let Some(p) = first_param
            && let Some(body_stmt) = ast
                .item(self.function(g).item.item)
                .as_function()
                .and_then(|d| d.body)
            && let StmtKind::Block { stmts, .. } = &ast.stmt(body_stmt).kind
            && let [only] = stmts.as_slice()
            && let StmtKind::Return { value: Some(v) } = &ast.stmt(*only).kind
        {
            let mut v = ast.skip_parens(*v);
            if let ExprKind::Call { args, .. } = &ast.expr(v).kind
                && let [arg] = args.exprs().as_slice()
            {
                v = ast.skip_parens(*arg);
            }
            effect.pass_through = self.declaration(file, v) == Some(Declaration::Param(p));
        }
        effect
    }

    /// The slot argument of a library call: the receiver of `x.f()` (bound by
    /// `using ... for`), else the first argument of `L.f(x)`.
    fn slot_argument(&self, f: FunctionId, call: ExprId) -> Option<ExprId> {
        self.bound_args(f, call).first().copied()
    }

    /// The constant naming the slot that `e` (in `f`) evaluates to, when known.
    fn slot_key(
        &self,
        md: Option<ContractId>,
        f: FunctionId,
        e: ExprId,
        depth: u32,
    ) -> Option<ItemRef> {
        let file = self.function(f).item.file;
        let ast = self.tables.file(file)?.parse.ast();
        let e = ast.skip_parens(e);
        match &ast.expr(e).kind {
            ExprKind::Ident(_) | ExprKind::Member { .. } => match self.declaration(file, e)? {
                Declaration::FileConstant(c) => Some(c),
                Declaration::StateVar(v) => {
                    let var = self
                        .tables
                        .file(v.file)?
                        .parse
                        .ast()
                        .item(v.item)
                        .as_variable()?;
                    (var.is_constant || var.is_immutable).then_some(v)
                }
                _ => None,
            },
            ExprKind::Call { .. } if depth > 0 => {
                let site = self.calls(f).iter().find(|c| c.expr == Some(e))?;
                match site.kind {
                    CallKind::Library { function, .. } => {
                        let g = self.function_of_item(function)?;
                        let effect = self.slot_effect(g);
                        if effect.accessor || effect.pass_through {
                            let arg = self.slot_argument(f, e)?;
                            self.slot_key(md, f, arg, depth - 1)
                        } else {
                            None
                        }
                    }
                    CallKind::Internal { .. } => {
                        let g = self.internal_target(md, f, site)?;
                        let (gast, _) = self.function_ast(g)?;
                        let body = gast.item(self.function(g).item.item).as_function()?.body?;
                        let StmtKind::Block { stmts, .. } = &gast.stmt(body).kind else {
                            return None;
                        };
                        stmts.iter().find_map(|&s| match &gast.stmt(s).kind {
                            StmtKind::Return { value: Some(v) } => {
                                self.slot_key(md, g, *v, depth - 1)
                            }
                            _ => None,
                        })
                    }
                    _ => None,
                }
            }
            _ => None,
        }
    }

    /// The slots `f`'s own body reads and writes, with where (not through calls).
    pub fn slot_accesses(&self, most_derived: Option<ContractId>, f: FunctionId) -> SlotAccesses {
        let md = most_derived.or(self.function(f).contract);
        let mut out = SlotAccesses::default();
        let Some((ast, body)) = self.function_ast(f) else {
            return out;
        };
        // Accessor calls that are the base of an assigned member: writes.
        let mut assigned: FxHashSet<ExprId> = FxHashSet::default();
        for (_, e) in ast.exprs() {
            if let ExprKind::Assign { lhs, .. } = &e.kind
                && e.span.lo >= body.lo
                && e.span.hi <= body.hi
                && let ExprKind::Member { base, .. } = &ast.expr(ast.skip_parens(*lhs)).kind
            {
                assigned.insert(ast.skip_parens(*base));
            }
        }
        for site in self.calls(f) {
            let (CallKind::Library { function, .. }, Some(call)) = (site.kind, site.expr) else {
                continue;
            };
            let Some(g) = self.function_of_item(function) else {
                continue;
            };
            let effect = self.slot_effect(g);
            if !(effect.accessor || effect.reads || effect.writes) {
                continue;
            }
            let Some(key) = self
                .slot_argument(f, call)
                .and_then(|arg| self.slot_key(md, f, arg, KEY_DEPTH))
            else {
                continue;
            };
            let access = SlotAccess {
                key,
                span: site.span,
            };
            if effect.accessor {
                if assigned.contains(&call) {
                    out.writes.push(access);
                } else {
                    out.reads.push(access);
                }
            }
            if effect.reads {
                out.reads.push(access);
            }
            if effect.writes {
                out.writes.push(access);
            }
        }
        out
    }

    /// The locations `f` reads and writes, including through internal calls, for
    /// `most_derived`: state variables and slots.
    pub fn locations(
        &self,
        most_derived: Option<ContractId>,
        f: FunctionId,
    ) -> (Vec<Location>, Vec<Location>) {
        let summary = self.summary(most_derived, f);
        let mut reads: Vec<Location> = summary.reads.iter().map(|&v| Location::State(v)).collect();
        let mut writes: Vec<Location> =
            summary.writes.iter().map(|&v| Location::State(v)).collect();
        for g in std::iter::once(f).chain(summary.callees.iter().copied()) {
            let slots = self.slot_accesses(most_derived, g);
            reads.extend(slots.reads.iter().map(|a| Location::Slot(a.key)));
            writes.extend(slots.writes.iter().map(|a| Location::Slot(a.key)));
        }
        for v in [&mut reads, &mut writes] {
            v.sort();
            v.dedup();
        }
        (reads, writes)
    }
}
