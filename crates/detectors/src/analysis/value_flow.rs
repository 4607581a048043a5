//! Function bodies as flat lists of expressions with their enclosing statements, the
//! conditions a body checks, and where to report an expression (a span of at most
//! three lines). Used by the arithmetic, randomness, time and ordering rules.

use std::collections::HashMap;

use semantics::{Builtin, CallKind, Declaration, FunctionId, Model, VarId};
use syntax::ast::{
    Ast, BinaryOp, CallArgs, ExprId, ExprKind, FunctionDef, ItemId, StmtId, StmtKind,
};
use syntax::visit::{self, VisitCx, Visitor};
use syntax::{FileId, Span};

use crate::detector::FileContext;

/// The statement around an expression and the outermost expression of that statement
/// that contains it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Anchor {
    pub stmt: StmtId,
    pub top: ExprId,
}

/// One function or modifier body of the file.
pub(crate) struct Body<'a> {
    pub ast: &'a Ast,
    /// The file that declares the function.
    pub file: FileId,
    pub function: FunctionId,
    pub item: ItemId,
    pub def: &'a FunctionDef,
    /// Every expression of the body, in visiting order (parents before children).
    pub exprs: Vec<ExprId>,
    pub anchor: HashMap<ExprId, Anchor>,
    /// Conditions: of `if`, loops, `require`/`assert` (first argument) and `?:`.
    pub conditions: Vec<ExprId>,
    /// The conditions that must hold after them: of `require` and `assert`.
    pub asserted: Vec<ExprId>,
}

/// The bodies of the functions and modifiers declared in the file of `cx`.
pub(crate) fn bodies<'a>(cx: &FileContext<'a>) -> Vec<Body<'a>> {
    let model = cx.model();
    cx.functions()
        .filter_map(|(fid, _)| body_of(model, fid))
        .collect()
}

/// The body of function or modifier `f`, in the file that declares it (`None` without
/// a body or a parsed file).
pub(crate) fn body_of<'a>(model: &Model<'a>, f: FunctionId) -> Option<Body<'a>> {
    let info = model.function(f);
    let ast = model.file_ast(info.item.file)?;
    let def = ast.item(info.item.item).as_function()?;
    let body = def.body?;
    let mut c = Collector {
        ast,
        stack: Vec::new(),
        depth: 0,
        exprs: Vec::new(),
        anchor: HashMap::new(),
        conditions: Vec::new(),
        asserted: Vec::new(),
    };
    let vcx = VisitCx {
        ast,
        contract: None,
        function: Some(info.item.item),
    };
    c.visit_stmt(vcx, body);
    Some(Body {
        ast,
        file: info.item.file,
        function: f,
        item: info.item.item,
        def,
        exprs: c.exprs,
        anchor: c.anchor,
        conditions: c.conditions,
        asserted: c.asserted,
    })
}

struct Collector<'a> {
    ast: &'a Ast,
    stack: Vec<(StmtId, Option<ExprId>)>,
    depth: u32,
    exprs: Vec<ExprId>,
    anchor: HashMap<ExprId, Anchor>,
    conditions: Vec<ExprId>,
    asserted: Vec<ExprId>,
}

impl<'a> Visitor<'a> for Collector<'a> {
    fn visit_stmt(&mut self, cx: VisitCx<'a>, id: StmtId) {
        match &self.ast.stmt(id).kind {
            StmtKind::If { cond, .. }
            | StmtKind::While { cond, .. }
            | StmtKind::DoWhile { cond, .. }
            | StmtKind::For {
                cond: Some(cond), ..
            } => self.conditions.push(*cond),
            _ => {}
        }
        self.stack.push((id, None));
        let saved = self.depth;
        self.depth = 0;
        visit::walk_stmt(self, cx, id);
        self.depth = saved;
        self.stack.pop();
    }

    fn visit_expr(&mut self, cx: VisitCx<'a>, id: ExprId) {
        if let Some(frame) = self.stack.last_mut() {
            if self.depth == 0 {
                frame.1 = Some(id);
            }
            let top = frame.1.unwrap_or(id);
            self.anchor.insert(id, Anchor { stmt: frame.0, top });
        }
        self.exprs.push(id);
        match &self.ast.expr(id).kind {
            ExprKind::Call { callee, args } => {
                let callee = self.ast.expr(*callee);
                if (callee.is_ident("require") || callee.is_ident("assert"))
                    && let Some(&c) = args.exprs().first()
                {
                    self.conditions.push(c);
                    self.asserted.push(c);
                }
            }
            ExprKind::Ternary { cond, .. } => self.conditions.push(*cond),
            _ => {}
        }
        self.depth += 1;
        visit::walk_expr(self, cx, id);
        self.depth -= 1;
    }
}

/// Number of lines `span` covers in `text`.
pub(crate) fn line_count(text: &str, span: Span) -> usize {
    text.get(span.range())
        .map_or(1, |s| s.bytes().filter(|&b| b == b'\n').count() + 1)
}

impl Body<'_> {
    /// Where to report `e`: its statement when that is a simple statement of at most
    /// three lines, else the outermost expression around it, else `e` itself.
    pub(crate) fn report_span(&self, text: &str, e: ExprId) -> Span {
        let own = self.ast.expr(e).span;
        let Some(a) = self.anchor.get(&e) else {
            return own;
        };
        let stmt = self.ast.stmt(a.stmt);
        let simple = matches!(
            stmt.kind,
            StmtKind::Expr(_)
                | StmtKind::VarDecl { .. }
                | StmtKind::Return { .. }
                | StmtKind::Emit { .. }
                | StmtKind::Revert { .. }
        );
        let top = self.ast.expr(a.top).span;
        let candidates = [simple.then_some(stmt.span), Some(top)];
        candidates
            .into_iter()
            .flatten()
            .find(|s| line_count(text, *s) <= 3)
            .unwrap_or(own)
    }

    /// The statement around `e`.
    pub(crate) fn stmt_of(&self, e: ExprId) -> Option<StmtId> {
        self.anchor.get(&e).map(|a| a.stmt)
    }

    /// True when `e` lies inside one of the body's conditions.
    pub(crate) fn in_condition(&self, e: ExprId) -> bool {
        self.within(&self.conditions, e)
    }

    /// True when `e` lies inside a `require` or `assert` condition.
    pub(crate) fn in_asserted(&self, e: ExprId) -> bool {
        self.within(&self.asserted, e)
    }

    fn within(&self, set: &[ExprId], e: ExprId) -> bool {
        let span = self.ast.expr(e).span;
        set.iter().any(|&c| {
            let cs = self.ast.expr(c).span;
            cs.lo <= span.lo && span.hi <= cs.hi
        })
    }
}

/// The source of `e` without parentheses around it and without whitespace: a
/// structural key to compare operands written the same way.
pub(crate) fn key(ast: &Ast, text: &str, e: ExprId) -> String {
    let e = ast.skip_parens(e);
    ast.expr(e)
        .span
        .text(text)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect()
}

/// Every expression inside `e` (itself included), parents first.
pub(crate) fn subexprs(ast: &Ast, e: ExprId) -> Vec<ExprId> {
    struct Sub(Vec<ExprId>);
    impl<'a> Visitor<'a> for Sub {
        fn visit_expr(&mut self, cx: VisitCx<'a>, id: ExprId) {
            self.0.push(id);
            visit::walk_expr(self, cx, id);
        }
    }
    let mut s = Sub(Vec::new());
    s.visit_expr(VisitCx::new(ast), e);
    s.0
}

/// The builtin `e` names, if any.
pub(crate) fn builtin(model: &Model<'_>, file: FileId, e: ExprId) -> Option<Builtin> {
    match model.declaration(file, e) {
        Some(Declaration::Builtin(b)) => Some(b),
        _ => None,
    }
}

/// True for a direct read of a block value: `block.*` members a producer influences,
/// `now`, and calls of `blockhash` / `block.blockhash`.
pub(crate) fn is_block_read(model: &Model<'_>, ast: &Ast, file: FileId, e: ExprId) -> bool {
    match &ast.expr(e).kind {
        ExprKind::Call { callee, .. } => matches!(
            builtin(model, file, ast.skip_parens(*callee)),
            Some(Builtin::Blockhash | Builtin::BlockBlockhash)
        ),
        ExprKind::Ident(_) | ExprKind::Member { .. } => builtin(model, file, e).is_some_and(|b| {
            b.is_block_value() && !matches!(b, Builtin::Blockhash | Builtin::BlockBlockhash)
        }),
        _ => false,
    }
}

/// True for a direct read of the block time: `block.timestamp` or `now`.
pub(crate) fn is_time_read(model: &Model<'_>, file: FileId, e: ExprId) -> bool {
    matches!(
        builtin(model, file, e),
        Some(Builtin::BlockTimestamp | Builtin::Now)
    )
}

/// True for comparison operators.
pub(crate) fn is_comparison(op: BinaryOp) -> bool {
    matches!(
        op,
        BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge | BinaryOp::Eq | BinaryOp::Ne
    )
}

/// True for a hash builtin call: `keccak256`, `sha3`, `sha256`.
pub(crate) fn is_hash_call(model: &Model<'_>, ast: &Ast, file: FileId, e: ExprId) -> bool {
    match &ast.expr(e).kind {
        ExprKind::Call { callee, .. } => matches!(
            builtin(model, file, ast.skip_parens(*callee)),
            Some(Builtin::Keccak256 | Builtin::Sha3 | Builtin::Sha256)
        ),
        _ => false,
    }
}

/// Upper bound on the chain of internal calls followed from a body.
pub(crate) const CALL_DEPTH: u32 = 4;

/// The internal or library function that the call expression `call` of `f` runs
/// (dispatched for `f`'s contract), when the model resolves it.
pub(crate) fn internal_callee(
    model: &Model<'_>,
    f: FunctionId,
    call: ExprId,
) -> Option<FunctionId> {
    let site = model.calls(f).iter().find(|s| s.expr == Some(call))?;
    match site.kind {
        CallKind::Internal { .. } | CallKind::Library { .. } => {
            crate::analysis::derived::callee_of(model, f, call)
        }
        _ => None,
    }
}

/// The arguments of `call` (an expression of `ast`) bound to the parameters of `g`, in
/// parameter order: named arguments by name, and the receiver of `x.f(a)` through
/// `using L for T` to the first parameter.
pub(crate) fn args_by_param(
    model: &Model<'_>,
    ast: &Ast,
    call: ExprId,
    g: FunctionId,
) -> Vec<(VarId, ExprId)> {
    let ExprKind::Call { callee, args } = &ast.expr(call).kind else {
        return Vec::new();
    };
    let params = model.params(g);
    let mut out = Vec::new();
    match args {
        CallArgs::Named(named) => {
            for &p in params {
                let name = &model.var(p).name;
                if let Some(a) = named.iter().find(|a| a.name.as_str() == name.as_str()) {
                    out.push((p, a.value));
                }
            }
        }
        CallArgs::Positional(list) => {
            let mut values: Vec<ExprId> = Vec::new();
            if params.len() == list.len() + 1
                && let Some((base, _)) = ast.expr(ast.skip_parens(*callee)).as_member_access()
            {
                values.push(base);
            }
            values.extend(list.iter().copied());
            out.extend(params.iter().copied().zip(values));
        }
    }
    out
}

/// The values `return` statements of `body` give back (single values only).
pub(crate) fn returned_values(body: &Body<'_>) -> Vec<ExprId> {
    let ast = body.ast;
    let mut out: Vec<ExprId> = Vec::new();
    for a in body.anchor.values() {
        if let StmtKind::Return { value: Some(v) } = &ast.stmt(a.stmt).kind
            && !out.contains(v)
        {
            out.push(*v);
        }
    }
    out.sort_unstable_by_key(|e| ast.expr(*e).span.lo);
    out
}

/// A function reached from a body through a chain of internal calls.
pub(crate) struct Reached<'a> {
    pub body: Body<'a>,
    /// The call written in the starting body that leads here.
    pub via: ExprId,
    /// Parameters of the function bound to what was passed for them: the file and
    /// argument expression, followed back through the callers' own parameters.
    pub frame: HashMap<VarId, (FileId, ExprId)>,
}

/// A call still to follow: written in `caller` (of `file`), whose parameters `outer`
/// binds, leading to a callee at `depth`.
struct Pending<'a> {
    caller: FunctionId,
    file: FileId,
    ast: &'a Ast,
    call: ExprId,
    outer: HashMap<VarId, (FileId, ExprId)>,
    depth: u32,
}

/// The internal and library functions reached from the body of `f`, per call written
/// in it: each function once per starting call (no recursion), at most
/// [`CALL_DEPTH`] calls deep, with the parameters bound to their arguments.
pub(crate) fn reached_internal<'a>(model: &Model<'a>, f: FunctionId) -> Vec<Reached<'a>> {
    let mut out = Vec::new();
    let Some(start) = body_of(model, f) else {
        return out;
    };
    let calls: Vec<ExprId> = start
        .exprs
        .iter()
        .copied()
        .filter(|&e| matches!(start.ast.expr(e).kind, ExprKind::Call { .. }))
        .collect();
    for via in calls {
        let mut seen: Vec<FunctionId> = vec![f];
        let mut work = vec![Pending {
            caller: f,
            file: start.file,
            ast: start.ast,
            call: via,
            outer: HashMap::new(),
            depth: 1,
        }];
        while let Some(Pending {
            caller,
            file,
            ast,
            call,
            outer,
            depth,
        }) = work.pop()
        {
            let Some(g) = internal_callee(model, caller, call) else {
                continue;
            };
            if seen.contains(&g) {
                continue;
            }
            seen.push(g);
            let Some(body) = body_of(model, g) else {
                continue;
            };
            let mut frame = HashMap::new();
            for (p, a) in args_by_param(model, ast, call, g) {
                let bound = match model.declaration(file, ast.skip_parens(a)) {
                    Some(Declaration::Param(q)) => outer.get(&q).copied(),
                    _ => None,
                };
                frame.insert(p, bound.unwrap_or((file, a)));
            }
            if depth < CALL_DEPTH {
                for &e in &body.exprs {
                    if matches!(body.ast.expr(e).kind, ExprKind::Call { .. }) {
                        work.push(Pending {
                            caller: g,
                            file: body.file,
                            ast: body.ast,
                            call: e,
                            outer: frame.clone(),
                            depth: depth + 1,
                        });
                    }
                }
            }
            out.push(Reached { body, via, frame });
        }
    }
    out
}
