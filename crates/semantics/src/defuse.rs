//! Def-use chains of local variables and parameters, from reaching definitions
//! over the [`Cfg`].

use std::collections::BTreeSet;

use syntax::FileId;
use syntax::ast::{Ast, CallArgs, ExprId, ExprKind, StmtKind, UnaryOp};

use crate::cfg::{Analysis, Cfg, NodeId, NodeKind, solve};
use crate::ids::{FunctionId, VarId};
use crate::{Declaration, Model};

/// One use of a variable and the definitions that may reach it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Use {
    /// The node using the variable.
    pub node: NodeId,
    /// The expression naming it.
    pub expr: ExprId,
    /// The variable.
    pub var: VarId,
    /// The nodes whose definition may reach the use; [`Cfg::ENTRY`] stands for the
    /// value a parameter (or a default-initialised variable) has on entry.
    pub defs: Vec<NodeId>,
}

/// The def-use chains of one function (modifiers expanded).
#[derive(Clone, Debug)]
pub struct DefUse {
    /// The CFG the chains refer to.
    pub cfg: Cfg,
    /// Every use of a parameter, return or local variable, in node order.
    pub uses: Vec<Use>,
}

/// Per node: variables defined and (variable, expression) pairs used.
struct NodeEffects {
    defs: Vec<Vec<VarId>>,
    uses: Vec<Vec<(VarId, ExprId)>>,
}

struct Reaching<'e> {
    effects: &'e NodeEffects,
    params: Vec<VarId>,
}

impl Analysis for Reaching<'_> {
    type Fact = BTreeSet<(VarId, NodeId)>;
    const FORWARD: bool = true;

    fn bottom(&self) -> Self::Fact {
        BTreeSet::new()
    }

    fn boundary(&self) -> Self::Fact {
        self.params.iter().map(|&p| (p, Cfg::ENTRY)).collect()
    }

    fn join(&self, into: &mut Self::Fact, other: &Self::Fact) {
        into.extend(other.iter().copied());
    }

    fn transfer(&self, _cfg: &Cfg, node: NodeId, fact: &Self::Fact) -> Self::Fact {
        let defs = &self.effects.defs[node.index()];
        if defs.is_empty() {
            return fact.clone();
        }
        let mut out: Self::Fact = fact
            .iter()
            .filter(|(v, _)| !defs.contains(v))
            .copied()
            .collect();
        out.extend(defs.iter().map(|&v| (v, node)));
        out
    }
}

impl Model<'_> {
    /// Def-use chains of the locals, parameters and return variables of `f` and of
    /// its modifiers; `None` for functions without a body.
    pub fn def_use(&self, f: FunctionId) -> Option<DefUse> {
        let cfg = self.cfg(f)?;
        let mut effects = NodeEffects {
            defs: vec![Vec::new(); cfg.nodes.len()],
            uses: vec![Vec::new(); cfg.nodes.len()],
        };
        for n in cfg.node_ids() {
            let (file, exprs, declared) = self.node_exprs(&cfg, n);
            let Some(ast) = self.tables.file(file).map(|f| f.parse.ast()) else {
                continue;
            };
            let (defs, uses) = (&mut effects.defs[n.index()], &mut effects.uses[n.index()]);
            defs.extend(declared);
            for e in exprs {
                self.collect_effects(ast, file, e, false, defs, uses);
            }
        }
        // Parameters and returns of the function and its modifiers are defined on entry.
        let mut params: Vec<VarId> = Vec::new();
        let mut chain: Vec<FunctionId> = vec![f];
        chain.extend(self.calls(f).iter().filter_map(|c| match c.kind {
            crate::CallKind::Modifier { modifier } => self.function_of_item(modifier),
            _ => None,
        }));
        for g in chain {
            params.extend(self.params(g));
            params.extend(self.returns(g));
        }
        let reaching = solve(
            &cfg,
            &Reaching {
                effects: &effects,
                params,
            },
        );
        let mut uses = Vec::new();
        for n in cfg.node_ids() {
            for &(var, expr) in &effects.uses[n.index()] {
                let defs = reaching[n.index()]
                    .iter()
                    .filter(|(v, _)| *v == var)
                    .map(|&(_, d)| d)
                    .collect();
                uses.push(Use {
                    node: n,
                    expr,
                    var,
                    defs,
                });
            }
        }
        Some(DefUse { cfg, uses })
    }

    /// The expressions evaluated at a node, and the variables a declaration there introduces.
    fn node_exprs(&self, cfg: &Cfg, n: NodeId) -> (FileId, Vec<ExprId>, Vec<VarId>) {
        let none = (FileId(u32::MAX), Vec::new(), Vec::new());
        match cfg.node(n).kind {
            NodeKind::Condition { file, expr } | NodeKind::Update { file, expr } => {
                (file, vec![expr], Vec::new())
            }
            NodeKind::Stmt { file, stmt } => {
                let Some(ast) = self.tables.file(file).map(|f| f.parse.ast()) else {
                    return none;
                };
                let (exprs, declared) = match &ast.stmt(stmt).kind {
                    StmtKind::Expr(e) => (vec![*e], Vec::new()),
                    StmtKind::VarDecl { decls, value, .. } => {
                        let declared = decls
                            .iter()
                            .flatten()
                            .filter_map(|d| d.name.as_ref())
                            .filter_map(|name| self.var_declared_at(file, name.span))
                            .collect();
                        (value.iter().copied().collect(), declared)
                    }
                    StmtKind::Return { value } => (value.iter().copied().collect(), Vec::new()),
                    StmtKind::Emit { event, args } => (args_with(args, Some(*event)), Vec::new()),
                    StmtKind::Revert { error, args } => (args_with(args, *error), Vec::new()),
                    StmtKind::Try { call, .. } => (vec![*call], Vec::new()),
                    _ => (Vec::new(), Vec::new()),
                };
                (file, exprs, declared)
            }
            _ => none,
        }
    }

    /// The variable whose name is declared at `span` (the name's span) in `file`.
    pub fn var_declared_at(&self, file: FileId, span: syntax::Span) -> Option<VarId> {
        self.var_at.get(&(file, span.lo)).copied()
    }

    fn collect_effects(
        &self,
        ast: &Ast,
        file: FileId,
        e: ExprId,
        is_def: bool,
        defs: &mut Vec<VarId>,
        uses: &mut Vec<(VarId, ExprId)>,
    ) {
        let go = |x: ExprId, def: bool, defs: &mut Vec<VarId>, uses: &mut Vec<(VarId, ExprId)>| {
            self.collect_effects(ast, file, x, def, defs, uses);
        };
        match &ast.expr(e).kind {
            ExprKind::Ident(_) => {
                if let Some(
                    Declaration::Local(v) | Declaration::Param(v) | Declaration::Return(v),
                ) = self.declaration(file, e)
                {
                    if is_def {
                        defs.push(v);
                    } else {
                        uses.push((v, e));
                    }
                }
            }
            ExprKind::Assign { op, lhs, rhs } => {
                go(*rhs, false, defs, uses);
                if op.is_some() {
                    go(*lhs, false, defs, uses);
                }
                go(*lhs, true, defs, uses);
            }
            ExprKind::Unary { op, operand } => {
                go(*operand, false, defs, uses);
                if op.is_update() || *op == UnaryOp::Delete {
                    go(*operand, true, defs, uses);
                }
            }
            ExprKind::Paren(x) => go(*x, is_def, defs, uses),
            ExprKind::Tuple { elements } => {
                for x in elements.iter().flatten() {
                    go(*x, is_def, defs, uses);
                }
            }
            // Writing `a[i]` or `s.f` uses `i` and keeps the rest of `a`/`s`: a use, not a definition.
            ExprKind::Index { base, index } => {
                go(*base, false, defs, uses);
                if let Some(i) = index {
                    go(*i, false, defs, uses);
                }
            }
            ExprKind::Slice { base, start, end } => {
                for x in [Some(*base), *start, *end].into_iter().flatten() {
                    go(x, false, defs, uses);
                }
            }
            ExprKind::Member { base, .. } => go(*base, false, defs, uses),
            ExprKind::Call { callee, args } => {
                go(*callee, false, defs, uses);
                for a in args.exprs() {
                    go(a, false, defs, uses);
                }
            }
            ExprKind::CallOptions { callee, options } => {
                go(*callee, false, defs, uses);
                for o in options {
                    go(o.value, false, defs, uses);
                }
            }
            ExprKind::InlineArray { elements } => {
                for &x in elements {
                    go(x, false, defs, uses);
                }
            }
            ExprKind::Binary { lhs, rhs, .. } => {
                go(*lhs, false, defs, uses);
                go(*rhs, false, defs, uses);
            }
            ExprKind::Ternary {
                cond,
                then_expr,
                else_expr,
            } => {
                for x in [*cond, *then_expr, *else_expr] {
                    go(x, false, defs, uses);
                }
            }
            ExprKind::Literal(_)
            | ExprKind::ElementaryType(_)
            | ExprKind::New { .. }
            | ExprKind::TypeOf { .. }
            | ExprKind::Type(_)
            | ExprKind::Error => {}
        }
    }
}

fn args_with(args: &CallArgs, first: Option<ExprId>) -> Vec<ExprId> {
    first.into_iter().chain(args.exprs()).collect()
}
