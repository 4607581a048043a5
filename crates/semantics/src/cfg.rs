//! Control-flow graphs at statement granularity, and a worklist data-flow solver.

use syntax::FileId;
use syntax::ast::{Ast, BinaryOp, ExprId, ExprKind, StmtId, StmtKind, UnaryOp};

use crate::calls::CallKind;
use crate::ids::FunctionId;
use crate::{Builtin, Declaration, Model};

/// Index of a node in a [`Cfg`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId(pub u32);

impl NodeId {
    /// The position in [`Cfg::nodes`].
    pub const fn index(self) -> usize {
        self.0 as usize
    }
}

/// What a CFG node stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NodeKind {
    /// Where execution starts.
    Entry,
    /// Normal end of the function (after the last statement or a `return`).
    Exit,
    /// Abnormal end: `revert`, `throw`, a failing `require`/`assert`.
    Revert,
    /// A statement other than blocks, `if` and loops (their conditions are
    /// [`NodeKind::Condition`] nodes). For `try`, the external call.
    Stmt {
        /// The file holding the statement (a modifier may live in another file).
        file: FileId,
        /// The statement.
        stmt: StmtId,
    },
    /// One operand of a branch condition; `&&`, `||` and `!` are split into
    /// their operands (short-circuit evaluation).
    Condition {
        /// The file holding the expression.
        file: FileId,
        /// The condition operand.
        expr: ExprId,
    },
    /// The update expression of a `for` loop.
    Update {
        /// The file holding the expression.
        file: FileId,
        /// The expression.
        expr: ExprId,
    },
    /// A join point (loop heads, after branches, after a modifier's `_`).
    Join,
}

/// The kind of a CFG edge.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EdgeKind {
    /// Unconditional.
    Normal,
    /// Taken when the source condition is true.
    True,
    /// Taken when the source condition is false.
    False,
    /// To the revert node (`require` failing, `revert`, `throw`).
    Revert,
    /// From a `try` call into one of its `catch` clauses.
    Catch,
}

/// A node with its edges.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CfgNode {
    /// What it stands for.
    pub kind: NodeKind,
    /// Outgoing edges.
    pub succs: Vec<(NodeId, EdgeKind)>,
    /// Incoming edges.
    pub preds: Vec<(NodeId, EdgeKind)>,
    /// The function (or modifier) whose body holds the node.
    pub function: FunctionId,
}

/// The control-flow graph of one function with its modifiers expanded: the first
/// modifier's body runs, its `_` runs the next modifier, and the innermost `_`
/// runs the function body, whose `return` continues after that `_`.
#[derive(Clone, Debug)]
pub struct Cfg {
    /// The nodes; [`Cfg::ENTRY`], [`Cfg::EXIT`] and [`Cfg::REVERT`] come first.
    pub nodes: Vec<CfgNode>,
}

type Pending = Vec<(NodeId, EdgeKind)>;

struct LoopCx {
    continue_to: NodeId,
    breaks: Pending,
}

struct Builder<'m, 'a> {
    model: &'m Model<'a>,
    nodes: Vec<CfgNode>,
    loops: Vec<LoopCx>,
    /// Where `return` goes in the body being built.
    return_to: NodeId,
    function: FunctionId,
    file: FileId,
    ast: &'m Ast,
    /// The modifiers still to expand, outermost first, and the function itself.
    chain: Vec<FunctionId>,
    depth: usize,
}

impl Cfg {
    /// The entry node.
    pub const ENTRY: NodeId = NodeId(0);
    /// The normal exit node.
    pub const EXIT: NodeId = NodeId(1);
    /// The revert node.
    pub const REVERT: NodeId = NodeId(2);

    /// The node.
    pub fn node(&self, id: NodeId) -> &CfgNode {
        &self.nodes[id.index()]
    }

    /// Every node id.
    pub fn node_ids(&self) -> impl Iterator<Item = NodeId> + '_ {
        (0..self.nodes.len() as u32).map(NodeId)
    }

    /// The node of statement `stmt` of `file`, if the statement is in the graph.
    pub fn stmt_node(&self, file: FileId, stmt: StmtId) -> Option<NodeId> {
        self.node_ids()
            .find(|&n| self.node(n).kind == NodeKind::Stmt { file, stmt })
    }

    /// True when `to` can be reached from `from` along edges.
    pub fn reaches(&self, from: NodeId, to: NodeId) -> bool {
        let mut seen = vec![false; self.nodes.len()];
        let mut stack = vec![from];
        while let Some(n) = stack.pop() {
            if n == to {
                return true;
            }
            if std::mem::replace(&mut seen[n.index()], true) {
                continue;
            }
            stack.extend(self.node(n).succs.iter().map(|e| e.0));
        }
        false
    }
}

impl Model<'_> {
    /// The CFG of `f` with its modifiers expanded; `None` for functions without a body.
    pub fn cfg(&self, f: FunctionId) -> Option<Cfg> {
        let info = self.function(f);
        let file = self.tables.file(info.item.file)?;
        file.parse.ast().item(info.item.item).as_function()?.body?;
        let mut chain: Vec<FunctionId> = self
            .calls(f)
            .iter()
            .filter_map(|c| match c.kind {
                CallKind::Modifier { modifier } => self.function_of_item(modifier),
                _ => None,
            })
            .collect();
        chain.push(f);
        let mut b = Builder {
            model: self,
            nodes: Vec::new(),
            loops: Vec::new(),
            return_to: Cfg::EXIT,
            function: f,
            file: info.item.file,
            ast: file.parse.ast(),
            chain,
            depth: 0,
        };
        for kind in [NodeKind::Entry, NodeKind::Exit, NodeKind::Revert] {
            b.node(kind);
        }
        let out = b.body_at(0, vec![(Cfg::ENTRY, EdgeKind::Normal)]);
        b.connect(&out, Cfg::EXIT);
        Some(Cfg { nodes: b.nodes })
    }
}

impl Builder<'_, '_> {
    fn node(&mut self, kind: NodeKind) -> NodeId {
        let id = NodeId(self.nodes.len() as u32);
        self.nodes.push(CfgNode {
            kind,
            succs: Vec::new(),
            preds: Vec::new(),
            function: self.function,
        });
        id
    }

    fn edge(&mut self, from: NodeId, to: NodeId, kind: EdgeKind) {
        self.nodes[from.index()].succs.push((to, kind));
        self.nodes[to.index()].preds.push((from, kind));
    }

    fn connect(&mut self, pending: &Pending, to: NodeId) {
        for &(from, kind) in pending {
            self.edge(from, to, kind);
        }
    }

    /// Builds the body of `chain[level]` (a modifier or, last, the function).
    fn body_at(&mut self, level: usize, pending: Pending) -> Pending {
        let Some(&f) = self.chain.get(level) else {
            return pending;
        };
        let info = self.model.function(f);
        let Some(file) = self.model.tables.file(info.item.file) else {
            return pending;
        };
        let ast = file.parse.ast();
        let Some(body) = ast.item(info.item.item).as_function().and_then(|d| d.body) else {
            // A modifier without body (abstract): continue with the next level.
            return self.body_at(level + 1, pending);
        };
        let saved = (
            self.function,
            self.file,
            self.ast,
            self.return_to,
            self.depth,
        );
        let after = self.node(NodeKind::Join);
        self.function = f;
        self.file = info.item.file;
        self.ast = ast;
        self.return_to = after;
        self.depth = level;
        let loops = std::mem::take(&mut self.loops);
        let out = self.stmt(body, pending);
        self.loops = loops;
        self.connect(&out, after);
        (
            self.function,
            self.file,
            self.ast,
            self.return_to,
            self.depth,
        ) = saved;
        vec![(after, EdgeKind::Normal)]
    }

    fn is_builtin_call(&self, e: ExprId, which: &[Builtin]) -> bool {
        let e = self.ast.skip_parens(e);
        let ExprKind::Call { callee, .. } = &self.ast.expr(e).kind else {
            return false;
        };
        matches!(
            self.model.declaration(self.file, self.ast.skip_parens(*callee)),
            Some(Declaration::Builtin(b)) if which.contains(&b)
        )
    }

    fn simple(&mut self, s: StmtId, pending: Pending) -> NodeId {
        let n = self.node(NodeKind::Stmt {
            file: self.file,
            stmt: s,
        });
        self.connect(&pending, n);
        n
    }

    fn stmt(&mut self, s: StmtId, pending: Pending) -> Pending {
        let ast = self.ast;
        match &ast.stmt(s).kind {
            StmtKind::Block { stmts, .. } => {
                let mut p = pending;
                for &x in stmts {
                    p = self.stmt(x, p);
                }
                p
            }
            StmtKind::Expr(e) => {
                let n = self.simple(s, pending);
                if self.is_builtin_call(*e, &[Builtin::Revert]) {
                    self.edge(n, Cfg::REVERT, EdgeKind::Revert);
                    return Vec::new();
                }
                if self.is_builtin_call(*e, &[Builtin::Require, Builtin::Assert]) {
                    self.edge(n, Cfg::REVERT, EdgeKind::Revert);
                }
                vec![(n, EdgeKind::Normal)]
            }
            StmtKind::Revert { .. } | StmtKind::Throw => {
                let n = self.simple(s, pending);
                self.edge(n, Cfg::REVERT, EdgeKind::Revert);
                Vec::new()
            }
            StmtKind::Return { .. } => {
                let n = self.simple(s, pending);
                let to = self.return_to;
                self.edge(n, to, EdgeKind::Normal);
                Vec::new()
            }
            StmtKind::Placeholder => {
                let n = self.simple(s, pending);
                let level = self.depth + 1;
                if level < self.chain.len() {
                    self.body_at(level, vec![(n, EdgeKind::Normal)])
                } else {
                    vec![(n, EdgeKind::Normal)]
                }
            }
            StmtKind::If {
                cond,
                then_branch,
                else_branch,
            } => {
                let (t, f) = self.branch(*cond, pending);
                let mut out = self.stmt(*then_branch, t);
                match else_branch {
                    Some(e) => out.extend(self.stmt(*e, f)),
                    None => out.extend(f),
                }
                out
            }
            StmtKind::While { cond, body } => {
                let head = self.node(NodeKind::Join);
                self.connect(&pending, head);
                let (t, f) = self.branch(*cond, vec![(head, EdgeKind::Normal)]);
                let breaks = self.loop_body(*body, t, head, head);
                [f, breaks].concat()
            }
            StmtKind::DoWhile { body, cond } => {
                let head = self.node(NodeKind::Join);
                let check = self.node(NodeKind::Join);
                self.connect(&pending, head);
                self.loops.push(LoopCx {
                    continue_to: check,
                    breaks: Vec::new(),
                });
                let out = self.stmt(*body, vec![(head, EdgeKind::Normal)]);
                let cx = self.loops.pop();
                self.connect(&out, check);
                let (t, f) = self.branch(*cond, vec![(check, EdgeKind::Normal)]);
                self.connect(&t, head);
                [f, cx.map(|c| c.breaks).unwrap_or_default()].concat()
            }
            StmtKind::For {
                init,
                cond,
                update,
                body,
            } => {
                let p = match init {
                    Some(i) => self.stmt(*i, pending),
                    None => pending,
                };
                let head = self.node(NodeKind::Join);
                self.connect(&p, head);
                let (t, f) = match cond {
                    Some(c) => self.branch(*c, vec![(head, EdgeKind::Normal)]),
                    None => (vec![(head, EdgeKind::Normal)], Vec::new()),
                };
                let step = match update {
                    Some(u) => {
                        let n = self.node(NodeKind::Update {
                            file: self.file,
                            expr: *u,
                        });
                        self.edge(n, head, EdgeKind::Normal);
                        n
                    }
                    None => head,
                };
                let breaks = self.loop_body(*body, t, step, step);
                [f, breaks].concat()
            }
            StmtKind::Continue => {
                if let Some(to) = self.loops.last().map(|l| l.continue_to) {
                    self.connect(&pending, to);
                }
                Vec::new()
            }
            StmtKind::Break => {
                if let Some(l) = self.loops.last_mut() {
                    l.breaks.extend(pending);
                }
                Vec::new()
            }
            StmtKind::Try { body, catches, .. } => {
                let n = self.simple(s, pending);
                let mut out = self.stmt(*body, vec![(n, EdgeKind::Normal)]);
                for c in catches {
                    out.extend(self.stmt(c.body, vec![(n, EdgeKind::Catch)]));
                }
                out
            }
            StmtKind::VarDecl { .. }
            | StmtKind::Emit { .. }
            | StmtKind::Assembly { .. }
            | StmtKind::Error => {
                let n = self.simple(s, pending);
                vec![(n, EdgeKind::Normal)]
            }
        }
    }

    /// Builds a loop body whose end and `continue` go to `continue_to`; returns the breaks.
    fn loop_body(
        &mut self,
        body: StmtId,
        entry: Pending,
        continue_to: NodeId,
        end_to: NodeId,
    ) -> Pending {
        self.loops.push(LoopCx {
            continue_to,
            breaks: Vec::new(),
        });
        let out = self.stmt(body, entry);
        self.connect(&out, end_to);
        self.loops.pop().map(|l| l.breaks).unwrap_or_default()
    }

    /// Splits a condition into short-circuit operands; returns the true and false exits.
    fn branch(&mut self, e: ExprId, pending: Pending) -> (Pending, Pending) {
        let ast = self.ast;
        let e = ast.skip_parens(e);
        match &ast.expr(e).kind {
            ExprKind::Binary {
                op: BinaryOp::And,
                lhs,
                rhs,
            } => {
                let (ta, fa) = self.branch(*lhs, pending);
                let (tb, fb) = self.branch(*rhs, ta);
                (tb, [fa, fb].concat())
            }
            ExprKind::Binary {
                op: BinaryOp::Or,
                lhs,
                rhs,
            } => {
                let (ta, fa) = self.branch(*lhs, pending);
                let (tb, fb) = self.branch(*rhs, fa);
                ([ta, tb].concat(), fb)
            }
            ExprKind::Unary {
                op: UnaryOp::Not,
                operand,
            } => {
                let (t, f) = self.branch(*operand, pending);
                (
                    f.into_iter().map(|(n, _)| (n, EdgeKind::True)).collect(),
                    t.into_iter().map(|(n, _)| (n, EdgeKind::False)).collect(),
                )
            }
            _ => {
                let n = self.node(NodeKind::Condition {
                    file: self.file,
                    expr: e,
                });
                self.connect(&pending, n);
                (vec![(n, EdgeKind::True)], vec![(n, EdgeKind::False)])
            }
        }
    }
}

/// A data-flow problem over a [`Cfg`], solved by [`solve`].
pub trait Analysis {
    /// The facts at a program point (a lattice with [`Analysis::join`]).
    type Fact: Clone + PartialEq;
    /// Forward (facts flow along edges) or backward (against them).
    const FORWARD: bool;
    /// The fact before anything is known (the lattice bottom).
    fn bottom(&self) -> Self::Fact;
    /// The fact at the boundary: before [`Cfg::ENTRY`] (forward) or after the exits (backward).
    fn boundary(&self) -> Self::Fact;
    /// Merges `other` into `into`.
    fn join(&self, into: &mut Self::Fact, other: &Self::Fact);
    /// The fact after `node` given the fact before it (in analysis direction).
    fn transfer(&self, cfg: &Cfg, node: NodeId, fact: &Self::Fact) -> Self::Fact;
}

/// Solves `analysis` on `cfg` with a worklist; returns the fact at the start of each
/// node in analysis direction (before it for forward problems, after it for backward
/// ones), indexed by [`NodeId`]. Terminates for monotone transfers over finite lattices.
pub fn solve<A: Analysis>(cfg: &Cfg, analysis: &A) -> Vec<A::Fact> {
    let n = cfg.nodes.len();
    let mut input: Vec<A::Fact> = vec![analysis.bottom(); n];
    let starts: Vec<NodeId> = if A::FORWARD {
        vec![Cfg::ENTRY]
    } else {
        vec![Cfg::EXIT, Cfg::REVERT]
    };
    for &s in &starts {
        input[s.index()] = analysis.boundary();
    }
    let mut queued = vec![true; n];
    let mut work: std::collections::VecDeque<NodeId> = cfg.node_ids().collect();
    while let Some(node) = work.pop_front() {
        queued[node.index()] = false;
        let out = analysis.transfer(cfg, node, &input[node.index()]);
        let next: Vec<NodeId> = if A::FORWARD {
            cfg.node(node).succs.iter().map(|e| e.0).collect()
        } else {
            cfg.node(node).preds.iter().map(|e| e.0).collect()
        };
        for m in next {
            let mut merged = input[m.index()].clone();
            analysis.join(&mut merged, &out);
            if merged != input[m.index()] {
                input[m.index()] = merged;
                if !std::mem::replace(&mut queued[m.index()], true) {
                    work.push_back(m);
                }
            }
        }
    }
    input
}
