//! Name resolution and expression typing over function bodies, and call classification.

use syntax::ast::{
    Ast, CallArgs, CompactString, ContractKind, ElementaryType, ExprId, ExprKind, FunctionDef,
    ItemKind, Literal, StmtId, StmtKind, UnaryOp, VarDecl,
};
use syntax::{FileId, Version};

use crate::calls::{CallKind, CallSite, LowLevelKind};
use crate::ids::{ContractId, FunctionId, ItemRef, VarId};
use crate::symbols::{Tables, UsingSet};
use crate::taint::{Flow, FlowTarget};
use crate::types::{Magic, Type};
use crate::{Builtin, Declaration, FileResults, Model, StateAccess, VarInfo};
use rustc_hash::{FxHashMap, FxHashSet};

pub(crate) fn resolve(tables: Tables<'_>) -> Model<'_> {
    let nfn = tables.functions.len();
    let mut out = Outputs {
        results: Vec::with_capacity(tables.files.len()),
        vars: Vec::new(),
        calls: vec![Vec::new(); nfn],
        signatures: vec![(Vec::new(), Vec::new()); nfn],
        reads: vec![Vec::new(); nfn],
        writes: vec![Vec::new(); nfn],
        storage_alias: FxHashMap::default(),
        default_storage_pointers: FxHashSet::default(),
        flows: vec![Vec::new(); nfn],
        events: vec![Vec::new(); nfn],
        var_at: FxHashMap::default(),
    };
    for fi in 0..tables.files.len() {
        let f = &tables.files[fi];
        let ast = f.parse.ast();
        let n = ast.exprs().count();
        out.results.push(FileResults {
            decls: vec![None; n],
            types: vec![Type::Unknown; n],
            unchecked: vec![0; n.div_ceil(64)],
        });
        let mut r = Resolver {
            t: &tables,
            out: &mut out,
            ast,
            file: f.id,
            fi,
            version: f.version,
            contract: None,
            function: None,
            scopes: Vec::new(),
            function_locals: Vec::new(),
            unchecked: 0,
            call_args_types: Vec::new(),
        };
        for &id in &ast.source_unit().items {
            r.contract = tables
                .contract_of_item
                .get(&ItemRef {
                    file: f.id,
                    item: id,
                })
                .copied();
            match &ast.item(id).kind {
                ItemKind::Contract(c) => {
                    for b in &c.bases {
                        if let Some(args) = &b.args {
                            r.call_args(args);
                        }
                    }
                    for &m in &c.members {
                        r.item(m);
                    }
                }
                _ => r.item(id),
            }
        }
    }
    Model {
        tables,
        results: out.results,
        vars: out.vars,
        calls: out.calls,
        signatures: out.signatures,
        reads: out.reads,
        writes: out.writes,
        storage_alias: out.storage_alias,
        default_storage_pointers: out.default_storage_pointers,
        flows: out.flows,
        events: out.events,
        var_at: out.var_at,
    }
}

struct Outputs {
    results: Vec<FileResults>,
    vars: Vec<VarInfo>,
    calls: Vec<Vec<CallSite>>,
    signatures: Vec<(Vec<VarId>, Vec<VarId>)>,
    /// Indexed by `FunctionId`.
    reads: Vec<Vec<StateAccess>>,
    /// Indexed by `FunctionId`.
    writes: Vec<Vec<StateAccess>>,
    /// Local `storage` pointers initialised from a state variable.
    storage_alias: FxHashMap<VarId, ItemRef>,
    /// Uninitialised local storage pointers (before 0.5), which point at slot 0.
    default_storage_pointers: FxHashSet<VarId>,
    /// Indexed by `FunctionId`.
    flows: Vec<Vec<Flow>>,
    /// Indexed by `FunctionId`: events emitted.
    events: Vec<Vec<ItemRef>>,
    /// Variables by the position of their name.
    var_at: FxHashMap<(FileId, u32), VarId>,
}

struct Resolver<'t, 'a> {
    t: &'t Tables<'a>,
    out: &'t mut Outputs,
    ast: &'a Ast,
    file: FileId,
    fi: usize,
    version: Option<Version>,
    contract: Option<ContractId>,
    function: Option<FunctionId>,
    /// Block scopes, innermost last.
    scopes: Vec<Vec<(CompactString, Declaration)>>,
    /// Every local of the current function: before 0.5 a local is visible in the
    /// whole function, whatever block declares it.
    function_locals: Vec<(CompactString, Declaration)>,
    /// Depth of `unchecked { }` blocks around the current node.
    unchecked: u32,
    /// The argument types of the calls whose callee is being resolved, innermost last.
    call_args_types: Vec<Vec<Type>>,
}

impl<'a> Resolver<'_, 'a> {
    fn at_least(&self, minor: u32) -> bool {
        self.version.is_none_or(|v| v >= Version::new(0, minor, 0))
    }

    fn item(&mut self, id: syntax::ast::ItemId) {
        let ast = self.ast;
        match &ast.item(id).kind {
            ItemKind::Variable(v) => {
                if let Some(value) = v.value {
                    self.expr(value, None);
                }
            }
            ItemKind::Function(f) => {
                let fid = self
                    .t
                    .function_of_item
                    .get(&ItemRef {
                        file: self.file,
                        item: id,
                    })
                    .copied();
                self.function_def(fid, f);
            }
            _ => {}
        }
    }

    /// A variable for an unnamed parameter or return: positional, never in scope.
    fn unnamed_var(&mut self, decl: &VarDecl, ty: Type) -> Option<VarId> {
        let id = VarId(self.out.vars.len() as u32);
        self.out.vars.push(VarInfo {
            name: CompactString::default(),
            span: decl.span,
            file: self.file,
            ty,
            function: self.function,
        });
        Some(id)
    }

    fn new_var(&mut self, decl: &VarDecl, ty: Type) -> Option<VarId> {
        let name = decl.name.as_ref()?;
        let id = VarId(self.out.vars.len() as u32);
        self.out.var_at.insert((self.file, name.span.lo), id);
        self.out.vars.push(VarInfo {
            name: name.name.clone(),
            span: name.span,
            file: self.file,
            ty,
            function: self.function,
        });
        Some(id)
    }

    fn declare(
        &mut self,
        decl: &VarDecl,
        ty: Type,
        make: fn(VarId) -> Declaration,
    ) -> Option<VarId> {
        let v = self.new_var(decl, ty)?;
        let name = self.out.vars[v.index()].name.clone();
        let d = make(v);
        self.function_locals.push((name.clone(), d));
        if let Some(s) = self.scopes.last_mut() {
            s.push((name, d));
        }
        Some(v)
    }

    /// The state variable in storage slot 0 of the current contract: the first
    /// non-constant state variable of the most basic contract that declares one.
    fn slot_zero_var(&self) -> Option<ItemRef> {
        let c = self.contract?;
        let info = &self.t.contracts[c.index()];
        info.linearization.iter().rev().find_map(|&base| {
            let item = self.t.contracts[base.index()].item;
            let ast = self.t.file(item.file)?.parse.ast();
            ast.item(item.item)
                .as_contract()?
                .members
                .iter()
                .find(|&&m| {
                    ast.item(m)
                        .as_variable()
                        .is_some_and(|v| !v.is_constant && !v.is_immutable && !v.is_transient)
                })
                .map(|&m| ItemRef {
                    file: item.file,
                    item: m,
                })
        })
    }

    fn decl_type(&self, decl: &VarDecl) -> Type {
        self.t.type_of_typename(self.file, self.contract, decl.ty)
    }

    fn function_def(&mut self, fid: Option<FunctionId>, f: &'a FunctionDef) {
        self.function = fid;
        self.scopes.clear();
        self.function_locals.clear();
        self.scopes.push(Vec::new());
        let mut params = Vec::new();
        let mut returns = Vec::new();
        // Unnamed parameters and returns get a variable too (named `""`, spanning the
        // declaration, not in scope), so that positions line up with arguments.
        for p in &f.params {
            let ty = self.decl_type(p);
            params.extend(
                self.declare(p, ty.clone(), Declaration::Param)
                    .or_else(|| self.unnamed_var(p, ty)),
            );
        }
        for p in &f.returns {
            let ty = self.decl_type(p);
            returns.extend(
                self.declare(p, ty.clone(), Declaration::Return)
                    .or_else(|| self.unnamed_var(p, ty)),
            );
        }
        if let Some(fid) = fid {
            self.out.signatures[fid.index()] = (params, returns);
        }
        for m in &f.modifiers {
            if let Some(args) = &m.args {
                self.call_args(args);
            }
            let decl = self.t.resolve_path(self.file, self.contract, &m.path);
            if let (Some(Declaration::Modifier(modifier)), Some(fid)) = (decl, fid) {
                self.out.calls[fid.index()].push(CallSite {
                    expr: None,
                    span: m.span,
                    kind: CallKind::Modifier { modifier },
                });
            }
        }
        if let Some(body) = f.body {
            self.stmt(body);
        }
        self.scopes.clear();
        self.function = None;
    }

    fn call_args(&mut self, args: &CallArgs) {
        match args {
            CallArgs::Positional(v) => {
                for &a in v {
                    self.expr(a, None);
                }
            }
            CallArgs::Named(v) => {
                for a in v {
                    self.expr(a.value, None);
                }
            }
        }
    }

    fn stmt(&mut self, id: StmtId) {
        let ast = self.ast;
        match &ast.stmt(id).kind {
            StmtKind::Block { stmts, unchecked } => {
                self.scopes.push(Vec::new());
                self.unchecked += u32::from(*unchecked);
                for &s in stmts {
                    self.stmt(s);
                }
                self.unchecked -= u32::from(*unchecked);
                self.scopes.pop();
            }
            StmtKind::VarDecl { decls, value, .. } => {
                let value_ty = value.map(|v| self.expr(v, None));
                let single = decls.len() == 1;
                for (i, d) in decls.iter().enumerate() {
                    let Some(d) = d else { continue };
                    let ty = if matches!(ast.ty(d.ty).kind, syntax::ast::TypeKind::Var) {
                        match (&value_ty, single) {
                            (Some(Type::Tuple(ts)), false) => {
                                ts.get(i).cloned().unwrap_or(Type::Unknown)
                            }
                            (Some(t), true) => t.clone(),
                            _ => Type::Unknown,
                        }
                    } else {
                        self.decl_type(d)
                    };
                    let pointer = self.is_storage_pointer(d, &ty);
                    let v = self.declare(d, ty, Declaration::Local);
                    if let (Some(v), Some(value)) = (v, value) {
                        self.flow(Flow::Def {
                            target: FlowTarget::Var(v),
                            value: *value,
                        });
                    }
                    if let (Some(v), Some(value), true) = (v, value, single)
                        && pointer
                        && let Some((var, _)) = self.root_state_var(*value)
                    {
                        self.out.storage_alias.insert(v, var);
                    }
                    // Before 0.5, an uninitialised one points at slot 0: writes through
                    // it overwrite whatever state lives there.
                    if let (Some(v), None) = (v, value)
                        && pointer
                        && d.location.is_none()
                        && self.function.is_some()
                    {
                        self.out.default_storage_pointers.insert(v);
                        if let Some(slot_zero) = self.slot_zero_var() {
                            self.out.storage_alias.insert(v, slot_zero);
                        }
                    }
                }
            }
            StmtKind::Expr(e) => {
                self.expr(*e, None);
            }
            StmtKind::If {
                cond,
                then_branch,
                else_branch,
            } => {
                self.expr(*cond, None);
                self.scoped_stmt(*then_branch);
                if let Some(e) = else_branch {
                    self.scoped_stmt(*e);
                }
            }
            StmtKind::For {
                init,
                cond,
                update,
                body,
            } => {
                self.scopes.push(Vec::new());
                if let Some(i) = init {
                    self.stmt(*i);
                }
                if let Some(c) = cond {
                    self.expr(*c, None);
                }
                if let Some(u) = update {
                    self.expr(*u, None);
                }
                self.scoped_stmt(*body);
                self.scopes.pop();
            }
            StmtKind::While { cond, body } | StmtKind::DoWhile { body, cond } => {
                self.expr(*cond, None);
                self.scoped_stmt(*body);
            }
            StmtKind::Return { value } => {
                if let Some(v) = value {
                    self.expr(*v, None);
                    self.flow(Flow::Return { value: *v });
                }
            }
            StmtKind::Emit { event, args } => {
                self.expr(*event, Some(args.len()));
                if let (Some(Declaration::Event(e)), Some(f)) =
                    (self.decl_of(*event), self.function)
                {
                    self.out.events[f.index()].push(e);
                }
                self.call_args(args);
            }
            StmtKind::Revert { error, args } => {
                if let Some(e) = error {
                    self.expr(*e, Some(args.len()));
                }
                self.call_args(args);
            }
            StmtKind::Try {
                call,
                returns,
                body,
                catches,
            } => {
                self.expr(*call, None);
                self.scopes.push(Vec::new());
                for r in returns {
                    let ty = self.decl_type(r);
                    self.declare(r, ty, Declaration::Local);
                }
                self.stmt(*body);
                self.scopes.pop();
                for c in catches {
                    self.scopes.push(Vec::new());
                    for p in &c.params {
                        let ty = self.decl_type(p);
                        self.declare(p, ty, Declaration::Local);
                    }
                    self.stmt(c.body);
                    self.scopes.pop();
                }
            }
            StmtKind::Continue
            | StmtKind::Break
            | StmtKind::Throw
            | StmtKind::Placeholder
            | StmtKind::Assembly { .. }
            | StmtKind::Error => {}
        }
    }

    /// A branch or loop body: a declaration there is scoped to it.
    fn scoped_stmt(&mut self, id: StmtId) {
        self.scopes.push(Vec::new());
        self.stmt(id);
        self.scopes.pop();
    }

    fn record(&mut self, id: ExprId, decl: Option<Declaration>, ty: Type) -> Type {
        let res = &mut self.out.results[self.fi];
        if let Some(d) = decl {
            res.decls[id.index()] = Some(d);
        }
        if self.unchecked > 0 {
            res.unchecked[id.index() / 64] |= 1 << (id.index() % 64);
        }
        res.types[id.index()] = ty.clone();
        ty
    }

    /// Resolves and types `id`; `arity` is the argument count when `id` is called.
    fn expr(&mut self, id: ExprId, arity: Option<usize>) -> Type {
        let ast = self.ast;
        match &ast.expr(id).kind {
            ExprKind::Ident(name) => {
                let decl = self.lookup(&name.name, arity);
                if let (Declaration::StateVar(var), Some(f)) = (decl, self.function) {
                    self.out.reads[f.index()].push(StateAccess { var, expr: id });
                }
                let ty = self.decl_value_type(decl);
                self.record(id, Some(decl), ty)
            }
            ExprKind::Literal(l) => {
                let ty = match l {
                    Literal::Bool(_) => Type::BOOL,
                    Literal::Number { .. } => Type::NumberLiteral,
                    Literal::String { .. } => Type::StringLiteral,
                };
                self.record(id, None, ty)
            }
            ExprKind::ElementaryType(e) => {
                self.record(id, None, Type::TypeType(Box::new(Type::Elementary(*e))))
            }
            ExprKind::Member { base, member } => {
                let bt = self.expr(*base, None);
                let (decl, ty) = self.member(&bt, &member.name, arity);
                self.record(id, Some(decl), ty)
            }
            ExprKind::Index { base, index } => {
                let bt = self.expr(*base, None);
                if let Some(i) = index {
                    self.expr(*i, None);
                }
                let ty = match bt {
                    Type::Mapping(_, v) => *v,
                    Type::Array { element, .. } => *element,
                    Type::Elementary(ElementaryType::Bytes | ElementaryType::FixedBytes(_)) => {
                        Type::Elementary(ElementaryType::FixedBytes(1))
                    }
                    Type::TypeType(t) => Type::TypeType(Box::new(Type::Array {
                        element: t,
                        fixed: index.is_some(),
                    })),
                    _ => Type::Unknown,
                };
                self.record(id, None, ty)
            }
            ExprKind::Slice { base, start, end } => {
                let bt = self.expr(*base, None);
                for e in [start, end].into_iter().flatten() {
                    self.expr(*e, None);
                }
                self.record(id, None, bt)
            }
            ExprKind::Call { callee, args } => {
                self.call_args(args);
                let arg_types = match args {
                    CallArgs::Positional(v) => {
                        Some(v.iter().map(|&a| self.type_of(a).clone()).collect())
                    }
                    CallArgs::Named(_) => None,
                };
                self.call_args_types.push(arg_types.unwrap_or_default());
                let ct = self.expr(*callee, Some(args.len()));
                self.call_args_types.pop();
                if let Some(Declaration::Builtin(Builtin::ArrayPush | Builtin::ArrayPop)) =
                    self.decl_of(*callee)
                    && let Some((base, _)) = ast.expr(*callee).as_member_access()
                {
                    self.written(base, false);
                }
                // Legacy `f.value(v)` / `f.gas(g)` yield `f` again, still to be called.
                let ty = match self.decl_of(*callee) {
                    Some(Declaration::Builtin(Builtin::FunctionValue | Builtin::FunctionGas)) => ct,
                    _ => self.call_result(&ct, args),
                };
                if let Some(kind) = self.classify_call(*callee, args)
                    && let Some(f) = self.function
                {
                    self.argument_flows(*callee, &kind, args);
                    self.out.calls[f.index()].push(CallSite {
                        expr: Some(id),
                        span: ast.expr(id).span,
                        kind,
                    });
                }
                self.record(id, None, ty)
            }
            ExprKind::CallOptions { callee, options } => {
                for o in options {
                    self.expr(o.value, None);
                }
                let ct = self.expr(*callee, arity);
                self.record(id, None, ct)
            }
            ExprKind::New { ty } => {
                let t = self.t.type_of_typename(self.file, self.contract, *ty);
                self.record(id, None, Type::TypeType(Box::new(t)))
            }
            ExprKind::Paren(inner) => {
                let t = self.expr(*inner, arity);
                self.record(id, None, t)
            }
            ExprKind::Tuple { elements } => {
                let ts = elements
                    .iter()
                    .map(|e| e.map_or(Type::Unknown, |e| self.expr(e, None)))
                    .collect();
                self.record(id, None, Type::Tuple(ts))
            }
            ExprKind::InlineArray { elements } => {
                let mut first = Type::Unknown;
                for (i, &e) in elements.iter().enumerate() {
                    let t = self.expr(e, None);
                    if i == 0 {
                        first = t;
                    }
                }
                self.record(
                    id,
                    None,
                    Type::Array {
                        element: Box::new(first),
                        fixed: true,
                    },
                )
            }
            ExprKind::Unary { op, operand } => {
                let t = self.expr(*operand, None);
                if op.is_update() || *op == UnaryOp::Delete {
                    self.written(*operand, *op == UnaryOp::Delete);
                }
                let ty = match op {
                    UnaryOp::Not => Type::BOOL,
                    UnaryOp::Delete => Type::Tuple(Vec::new()),
                    _ => t,
                };
                self.record(id, None, ty)
            }
            ExprKind::Binary { op, lhs, rhs } => {
                let l = self.expr(*lhs, None);
                let r = self.expr(*rhs, None);
                let ty = if op.is_comparison()
                    || matches!(op, syntax::ast::BinaryOp::And | syntax::ast::BinaryOp::Or)
                {
                    Type::BOOL
                } else if l == Type::NumberLiteral
                    && !matches!(
                        op,
                        syntax::ast::BinaryOp::Shl
                            | syntax::ast::BinaryOp::Shr
                            | syntax::ast::BinaryOp::Pow
                    )
                {
                    r
                } else {
                    l
                };
                self.record(id, None, ty)
            }
            ExprKind::Ternary {
                cond,
                then_expr,
                else_expr,
            } => {
                self.expr(*cond, None);
                let a = self.expr(*then_expr, None);
                let b = self.expr(*else_expr, None);
                let ty = if matches!(a, Type::NumberLiteral | Type::StringLiteral) {
                    b
                } else {
                    a
                };
                self.record(id, None, ty)
            }
            ExprKind::Assign { lhs, rhs, op } => {
                let l = self.expr(*lhs, None);
                self.expr(*rhs, None);
                self.assign_flows(*lhs, *rhs);
                self.written(*lhs, op.is_none());
                self.record(id, None, l)
            }
            ExprKind::TypeOf { ty } => {
                let t = self.t.type_of_typename(self.file, self.contract, *ty);
                self.record(id, None, Type::Magic(Magic::TypeInfo(Box::new(t))))
            }
            ExprKind::Type(ty) => {
                let t = self.t.type_of_typename(self.file, self.contract, *ty);
                self.record(id, None, Type::TypeType(Box::new(t)))
            }
            ExprKind::Error => Type::Unknown,
        }
    }

    fn lookup(&self, name: &str, arity: Option<usize>) -> Declaration {
        for scope in self.scopes.iter().rev() {
            if let Some((_, d)) = scope.iter().rev().find(|(n, _)| n == name) {
                return *d;
            }
        }
        if !self.at_least(5)
            && let Some((_, d)) = self.function_locals.iter().rev().find(|(n, _)| n == name)
        {
            return *d;
        }
        if let Some(c) = self.contract
            && let Some(d) = self.t.lookup_member(c, name)
        {
            if let (Declaration::Function(_), Some(n)) = (d, arity) {
                let cands = self.t.function_candidates(c, name, 0);
                if let Some(f) = self.pick_arity(&cands, n, 0) {
                    return Declaration::Function(f);
                }
            }
            return d;
        }
        if let Some(d) = self.t.files[self.fi].scope.get(name) {
            return *d;
        }
        if let Some(b) = Builtin::global(name) {
            return Declaration::Builtin(b);
        }
        Declaration::Unresolved
    }

    /// Picks the candidate with `n + bound` parameters whose parameter types best
    /// fit the arguments of the call being resolved; else the first candidate.
    fn pick_arity(&self, cands: &[ItemRef], n: usize, bound: usize) -> Option<ItemRef> {
        let args = self.call_args_types.last();
        let mut best: Option<(usize, ItemRef)> = None;
        for &f in cands {
            let params = self.t.param_types_of(f);
            if params.len() != n + bound {
                continue;
            }
            let score = match args {
                Some(args) if args.len() == n => {
                    let fits = params[bound..]
                        .iter()
                        .zip(args)
                        .map(|(p, a)| fits(a, p))
                        .collect::<Option<Vec<usize>>>();
                    match fits {
                        Some(v) => v.iter().sum::<usize>() + 1,
                        None => 0,
                    }
                }
                _ => 1,
            };
            if best.is_none_or(|(s, _)| score > s) {
                best = Some((score, f));
            }
        }
        best.map(|(_, f)| f).or_else(|| cands.first().copied())
    }

    fn var_type(&self, r: ItemRef) -> Type {
        let Some(f) = self.t.file(r.file) else {
            return Type::Unknown;
        };
        match f.parse.ast().item(r.item).as_variable() {
            Some(v) => self
                .t
                .type_of_typename(r.file, self.t.enclosing_contract(r), v.ty),
            None => Type::Unknown,
        }
    }

    /// The type of a name that refers to `decl`, used as a value.
    fn decl_value_type(&self, decl: Declaration) -> Type {
        match decl {
            Declaration::StateVar(r) | Declaration::FileConstant(r) => self.var_type(r),
            Declaration::Local(v) | Declaration::Param(v) | Declaration::Return(v) => {
                self.out.vars[v.index()].ty.clone()
            }
            Declaration::Function(r)
            | Declaration::Modifier(r)
            | Declaration::Event(r)
            | Declaration::Error(r) => Type::Function(r),
            Declaration::Struct(_)
            | Declaration::Enum(_)
            | Declaration::UserType(_)
            | Declaration::Contract(_) => Type::TypeType(Box::new(decl.as_type())),
            Declaration::StructField(s, i) => self.field_type(s, i),
            Declaration::EnumValue(e, _) => Type::Enum(e),
            Declaration::Module(f) => Type::Module(f),
            Declaration::Builtin(b) => self.builtin_type(b),
            Declaration::Unresolved => Type::Unknown,
        }
    }

    fn sender_type(&self) -> Type {
        if self.at_least(8) {
            Type::ADDRESS
        } else {
            Type::ADDRESS_PAYABLE
        }
    }

    fn builtin_type(&self, b: Builtin) -> Type {
        use Builtin as B;
        match b {
            B::Msg => Type::Magic(Magic::Msg),
            B::Tx => Type::Magic(Magic::Tx),
            B::Block => Type::Magic(Magic::Block),
            B::Abi => Type::Magic(Magic::Abi),
            B::This => self.contract.map_or(Type::Unknown, Type::Contract),
            B::Super => self.contract.map_or(Type::Unknown, Type::Super),
            B::MsgSender | B::TxOrigin => self.sender_type(),
            B::BlockCoinbase => Type::ADDRESS_PAYABLE,
            B::Now
            | B::MsgValue
            | B::MsgGas
            | B::TxGasPrice
            | B::BlockTimestamp
            | B::BlockNumber
            | B::BlockDifficulty
            | B::BlockPrevrandao
            | B::BlockGasLimit
            | B::BlockBaseFee
            | B::BlockChainId
            | B::BlockBlobBaseFee
            | B::AddressBalance
            | B::ArrayLength => Type::UINT256,
            B::MsgData | B::AddressCode | B::TypeCreationCode | B::TypeRuntimeCode => Type::BYTES,
            B::MsgSig | B::TypeInterfaceId | B::FunctionSelector => {
                Type::Elementary(ElementaryType::FixedBytes(4))
            }
            B::AddressCodehash => Type::Elementary(ElementaryType::FixedBytes(32)),
            B::TypeName => Type::Elementary(ElementaryType::String),
            B::FunctionAddress => Type::ADDRESS,
            _ => Type::BuiltinFunction(b),
        }
    }

    fn field_type(&self, s: ItemRef, i: u32) -> Type {
        let Some(f) = self.t.file(s.file) else {
            return Type::Unknown;
        };
        match &f.parse.ast().item(s.item).kind {
            ItemKind::Struct(def) => def.fields.get(i as usize).map_or(Type::Unknown, |fd| {
                self.t
                    .type_of_typename(s.file, self.t.enclosing_contract(s), fd.ty)
            }),
            _ => Type::Unknown,
        }
    }

    /// Resolves `base.name` given the base's type.
    fn member(&self, bt: &Type, name: &str, arity: Option<usize>) -> (Declaration, Type) {
        use Builtin as B;
        let builtin = |b: B| (Declaration::Builtin(b), self.builtin_type(b));
        let found = match bt {
            Type::Magic(Magic::Msg) => match name {
                "sender" => Some(B::MsgSender),
                "value" => Some(B::MsgValue),
                "data" => Some(B::MsgData),
                "sig" => Some(B::MsgSig),
                "gas" => Some(B::MsgGas),
                _ => None,
            },
            Type::Magic(Magic::Tx) => match name {
                "origin" => Some(B::TxOrigin),
                "gasprice" => Some(B::TxGasPrice),
                _ => None,
            },
            Type::Magic(Magic::Block) => match name {
                "timestamp" => Some(B::BlockTimestamp),
                "number" => Some(B::BlockNumber),
                "difficulty" => Some(B::BlockDifficulty),
                "prevrandao" => Some(B::BlockPrevrandao),
                "coinbase" => Some(B::BlockCoinbase),
                "gaslimit" => Some(B::BlockGasLimit),
                "basefee" => Some(B::BlockBaseFee),
                "chainid" => Some(B::BlockChainId),
                "blobbasefee" => Some(B::BlockBlobBaseFee),
                "blockhash" => Some(B::BlockBlockhash),
                _ => None,
            },
            Type::Magic(Magic::Abi) => match name {
                "encode" => Some(B::AbiEncode),
                "encodePacked" => Some(B::AbiEncodePacked),
                "encodeWithSelector" => Some(B::AbiEncodeWithSelector),
                "encodeWithSignature" => Some(B::AbiEncodeWithSignature),
                "encodeCall" => Some(B::AbiEncodeCall),
                "decode" => Some(B::AbiDecode),
                _ => None,
            },
            Type::Magic(Magic::TypeInfo(t)) => match name {
                "name" => Some(B::TypeName),
                "creationCode" => Some(B::TypeCreationCode),
                "runtimeCode" => Some(B::TypeRuntimeCode),
                "interfaceId" => Some(B::TypeInterfaceId),
                "min" | "max" => {
                    let b = if name == "min" {
                        B::TypeMin
                    } else {
                        B::TypeMax
                    };
                    return (Declaration::Builtin(b), (**t).clone());
                }
                _ => None,
            },
            Type::Elementary(ElementaryType::Address { .. }) => address_member(name),
            Type::Elementary(ElementaryType::Bytes) | Type::Array { .. } => match name {
                "length" => Some(B::ArrayLength),
                "push" => Some(B::ArrayPush),
                "pop" => Some(B::ArrayPop),
                _ => None,
            },
            Type::Elementary(ElementaryType::FixedBytes(_)) if name == "length" => {
                return (
                    Declaration::Builtin(B::ArrayLength),
                    Type::Elementary(ElementaryType::Uint(8)),
                );
            }
            Type::Function(_)
            | Type::FunctionPointer(_)
            | Type::BuiltinFunction(_)
            | Type::Getter(_) => match name {
                "selector" => Some(B::FunctionSelector),
                "address" => Some(B::FunctionAddress),
                "value" | "gas" => {
                    let b = if name == "value" {
                        B::FunctionValue
                    } else {
                        B::FunctionGas
                    };
                    return (Declaration::Builtin(b), bt.clone());
                }
                _ => None,
            },
            Type::TypeType(inner) => match (&**inner, name) {
                (Type::Elementary(ElementaryType::Bytes), "concat") => Some(B::BytesConcat),
                (Type::Elementary(ElementaryType::String), "concat") => Some(B::StringConcat),
                (Type::UserValue(_), "wrap") => Some(B::Wrap),
                (Type::UserValue(_), "unwrap") => Some(B::Unwrap),
                _ => None,
            },
            _ => None,
        };
        if let Some(b) = found {
            return builtin(b);
        }
        match bt {
            Type::Contract(c) => {
                let cands = self.t.function_candidates(*c, name, 0);
                if let Some(f) = arity
                    .and_then(|n| self.pick_arity(&cands, n, 0))
                    .or(cands.first().copied())
                {
                    return (Declaration::Function(f), Type::Function(f));
                }
                if let Some(d @ Declaration::StateVar(v)) = self.t.lookup_member(*c, name) {
                    return (d, Type::Getter(v));
                }
                // Before 0.5 contract values had the address members.
                if !self.at_least(5)
                    && let Some(b) = address_member(name)
                {
                    return builtin(b);
                }
            }
            Type::Super(c) => {
                let cands = self.t.function_candidates(*c, name, 1);
                if let Some(f) = self.pick_arity(&cands, arity.unwrap_or(0), 0) {
                    return (Declaration::Function(f), Type::Function(f));
                }
            }
            Type::Struct(s) => {
                if let Some(f) = self.t.file(s.file)
                    && let ItemKind::Struct(def) = &f.parse.ast().item(s.item).kind
                    && let Some(i) = def
                        .fields
                        .iter()
                        .position(|fd| fd.name.as_ref().is_some_and(|n| n.name == name))
                {
                    let d = Declaration::StructField(*s, i as u32);
                    return (d, self.field_type(*s, i as u32));
                }
            }
            Type::TypeType(inner) => match &**inner {
                Type::Enum(e) => {
                    if let Some(f) = self.t.file(e.file)
                        && let ItemKind::Enum(def) = &f.parse.ast().item(e.item).kind
                        && let Some(i) = def.variants.iter().position(|v| v.name == name)
                    {
                        return (Declaration::EnumValue(*e, i as u32), Type::Enum(*e));
                    }
                }
                Type::Contract(c) => {
                    let cands = self.t.function_candidates(*c, name, 0);
                    if let Some(f) = arity
                        .and_then(|n| self.pick_arity(&cands, n, 0))
                        .or(cands.first().copied())
                    {
                        return (Declaration::Function(f), Type::Function(f));
                    }
                    if let Some(d) = self.t.lookup_member(*c, name) {
                        return (d, self.decl_value_type(d));
                    }
                }
                _ => {}
            },
            Type::Module(m) => {
                if let Some(&d) = self.t.file(*m).and_then(|f| f.scope.get(name)) {
                    return (d, self.decl_value_type(d));
                }
            }
            _ => {}
        }
        // Library functions attached with `using L for T`.
        if let Some(f) = self.attached_function(name, arity) {
            return (Declaration::Function(f), Type::Function(f));
        }
        (Declaration::Unresolved, Type::Unknown)
    }

    fn attached_function(&self, name: &str, arity: Option<usize>) -> Option<ItemRef> {
        let mut sets: Vec<&UsingSet> = Vec::new();
        if let Some(c) = self.contract {
            // `using` was inherited before 0.7.
            let lin = &self.t.contracts[c.index()].linearization;
            let n = if self.at_least(7) { 1 } else { lin.len() };
            for &b in lin.iter().take(n) {
                sets.push(&self.t.contracts[b.index()].using);
            }
        }
        sets.push(&self.t.file_using[self.fi]);
        sets.push(&self.t.global_using);
        for set in sets {
            for &l in &set.libraries {
                let cands = self.t.function_candidates(l, name, 0);
                if let Some(f) = self.pick_arity(&cands, arity.unwrap_or(0), 1) {
                    return Some(f);
                }
            }
            let named: Vec<ItemRef> = set
                .functions
                .iter()
                .copied()
                .filter(|f| {
                    self.t
                        .function_of_item
                        .get(f)
                        .is_some_and(|&id| self.t.functions[id.index()].name == name)
                })
                .collect();
            if let Some(f) = self.pick_arity(&named, arity.unwrap_or(0), 1) {
                return Some(f);
            }
        }
        None
    }

    fn returns_of(&self, r: ItemRef) -> Type {
        let Some(f) = self.t.file(r.file) else {
            return Type::Unknown;
        };
        match &f.parse.ast().item(r.item).kind {
            ItemKind::Function(def) => {
                let ctx = self.t.enclosing_contract(r);
                let mut ts: Vec<Type> = def
                    .returns
                    .iter()
                    .map(|p| self.t.type_of_typename(r.file, ctx, p.ty))
                    .collect();
                if ts.len() == 1 {
                    ts.pop().unwrap_or(Type::Unknown)
                } else {
                    Type::Tuple(ts)
                }
            }
            ItemKind::Event(_) | ItemKind::CustomError(_) => Type::Tuple(Vec::new()),
            _ => Type::Unknown,
        }
    }

    fn call_result(&self, callee: &Type, args: &CallArgs) -> Type {
        use Builtin as B;
        match callee {
            Type::Function(r) => self.returns_of(*r),
            Type::Getter(v) => {
                let mut t = self.var_type(*v);
                for _ in 0..args.len() {
                    t = match t {
                        Type::Mapping(_, v) => *v,
                        Type::Array { element, .. } => *element,
                        _ => Type::Unknown,
                    };
                }
                t
            }
            Type::FunctionPointer(rets) => {
                if rets.len() == 1 {
                    rets[0].clone()
                } else {
                    Type::Tuple(rets.clone())
                }
            }
            Type::TypeType(t) => (**t).clone(),
            Type::BuiltinFunction(b) => match b {
                B::Require
                | B::Assert
                | B::Revert
                | B::Selfdestruct
                | B::Suicide
                | B::AddressTransfer
                | B::ArrayPop => Type::Tuple(Vec::new()),
                B::Keccak256
                | B::Sha3
                | B::Sha256
                | B::Blockhash
                | B::BlockBlockhash
                | B::Blobhash => Type::Elementary(ElementaryType::FixedBytes(32)),
                B::Ripemd160 => Type::Elementary(ElementaryType::FixedBytes(20)),
                B::Ecrecover => Type::ADDRESS,
                B::Addmod | B::Mulmod | B::Gasleft => Type::UINT256,
                B::AbiEncode
                | B::AbiEncodePacked
                | B::AbiEncodeWithSelector
                | B::AbiEncodeWithSignature
                | B::AbiEncodeCall
                | B::BytesConcat => Type::BYTES,
                B::StringConcat => Type::Elementary(ElementaryType::String),
                B::AddressSend => Type::BOOL,
                B::AddressCall
                | B::AddressDelegatecall
                | B::AddressStaticcall
                | B::AddressCallcode => {
                    if self.at_least(5) {
                        Type::Tuple(vec![Type::BOOL, Type::BYTES])
                    } else {
                        Type::BOOL
                    }
                }
                B::AbiDecode => {
                    let exprs = args.exprs();
                    match exprs
                        .get(1)
                        .map(|&e| self.out.results[self.fi].types[e.index()].clone())
                    {
                        Some(Type::Tuple(ts)) => Type::Tuple(
                            ts.into_iter()
                                .map(|t| match t {
                                    Type::TypeType(t) => *t,
                                    _ => Type::Unknown,
                                })
                                .collect(),
                        ),
                        Some(Type::TypeType(t)) => *t,
                        _ => Type::Unknown,
                    }
                }
                _ => Type::Unknown,
            },
            _ => Type::Unknown,
        }
    }

    /// The state variable an assignable expression lives in: `x`, `x[i].f`, or a
    /// local storage pointer to it; with the expression naming it.
    /// True when the local `d` of type `ty` refers to storage: declared `storage`, or
    /// before 0.5 a local of reference type without a location (`var a = accounts[x];`,
    /// `Holder h = holders[x];`), whose default location was storage.
    fn is_storage_pointer(&self, d: &syntax::ast::VarDecl, ty: &Type) -> bool {
        match d.location {
            Some(loc) => loc == syntax::ast::DataLocation::Storage,
            None => {
                self.version.is_some_and(|v| v < Version::new(0, 5, 0))
                    && matches!(
                        ty,
                        Type::Struct(_)
                            | Type::Array { .. }
                            | Type::Mapping(..)
                            | Type::Elementary(
                                syntax::ast::ElementaryType::Bytes
                                    | syntax::ast::ElementaryType::String
                            )
                    )
            }
        }
    }

    fn root_state_var(&self, mut e: ExprId) -> Option<(ItemRef, ExprId)> {
        let ast = self.ast;
        loop {
            match &ast.expr(e).kind {
                ExprKind::Paren(x) => e = *x,
                ExprKind::Index { base, .. } | ExprKind::Slice { base, .. } => e = *base,
                ExprKind::Member { base, .. } => match self.decl_of(e) {
                    Some(Declaration::StateVar(v)) => return Some((v, e)),
                    _ => e = *base,
                },
                ExprKind::Ident(_) => {
                    return match self.decl_of(e)? {
                        Declaration::StateVar(v) => Some((v, e)),
                        Declaration::Local(l) => self.out.storage_alias.get(&l).map(|&v| (v, e)),
                        _ => None,
                    };
                }
                _ => return None,
            }
        }
    }

    /// Records the write of the place `lhs`; `pure_write` drops the read its root name
    /// recorded (`x = 1` and `m[k] = 1` do not read `x` or `m`; `x += 1` does).
    fn written(&mut self, lhs: ExprId, pure_write: bool) {
        let Some(f) = self.function else { return };
        if let ExprKind::Tuple { elements } = &self.ast.expr(lhs).kind {
            for &e in elements.iter().flatten() {
                self.written(e, pure_write);
            }
            return;
        }
        let Some((var, expr)) = self.root_state_var(lhs) else {
            return;
        };
        if pure_write {
            let reads = &mut self.out.reads[f.index()];
            if let Some(pos) = reads.iter().rposition(|a| a.expr == expr) {
                reads.remove(pos);
            }
        }
        self.out.writes[f.index()].push(StateAccess { var, expr: lhs });
    }

    fn flow(&mut self, flow: Flow) {
        if let Some(f) = self.function {
            self.out.flows[f.index()].push(flow);
        }
    }

    /// The variable or state variable an assigned place belongs to.
    fn flow_target(&self, mut e: ExprId) -> Option<FlowTarget> {
        let ast = self.ast;
        if let Some((var, _)) = self.root_state_var(e) {
            return Some(FlowTarget::State(var));
        }
        loop {
            match &ast.expr(e).kind {
                ExprKind::Paren(x) => e = *x,
                ExprKind::Index { base, .. }
                | ExprKind::Slice { base, .. }
                | ExprKind::Member { base, .. } => e = *base,
                ExprKind::Ident(_) => {
                    return match self.decl_of(e)? {
                        Declaration::Local(v) | Declaration::Param(v) | Declaration::Return(v) => {
                            Some(FlowTarget::Var(v))
                        }
                        _ => None,
                    };
                }
                _ => return None,
            }
        }
    }

    fn assign_flows(&mut self, lhs: ExprId, rhs: ExprId) {
        let ast = self.ast;
        match (&ast.expr(lhs).kind, &ast.expr(rhs).kind) {
            (ExprKind::Tuple { elements: l }, ExprKind::Tuple { elements: r })
                if l.len() == r.len() =>
            {
                for (a, b) in l.iter().zip(r) {
                    if let (Some(a), Some(b)) = (a, b) {
                        self.assign_flows(*a, *b);
                    }
                }
            }
            (ExprKind::Tuple { elements }, _) => {
                for a in elements.iter().flatten() {
                    self.assign_flows(*a, rhs);
                }
            }
            _ => {
                if let Some(target) = self.flow_target(lhs) {
                    self.flow(Flow::Def { target, value: rhs });
                }
            }
        }
    }

    /// Arguments flow into the parameters of internally called functions.
    fn argument_flows(&mut self, callee: ExprId, kind: &CallKind, args: &CallArgs) {
        let function = match *kind {
            CallKind::Internal { function, .. } | CallKind::Library { function, .. } => function,
            _ => return,
        };
        let CallArgs::Positional(args) = args else {
            return;
        };
        // `x.f(a)` through `using L for T`: `x` is the first argument.
        let mut all = Vec::with_capacity(args.len() + 1);
        if let CallKind::Library { .. } = kind
            && let Some((base, _)) = self
                .ast
                .expr(self.ast.skip_parens(callee))
                .as_member_access()
            && !matches!(self.type_of(base), Type::TypeType(_))
        {
            all.push(base);
        }
        all.extend(args.iter().copied());
        for (index, value) in all.into_iter().enumerate() {
            self.flow(Flow::Arg {
                function,
                index: index as u32,
                value,
            });
        }
    }

    fn decl_of(&self, e: ExprId) -> Option<Declaration> {
        self.out.results[self.fi].decls[e.index()]
    }

    fn type_of(&self, e: ExprId) -> &Type {
        &self.out.results[self.fi].types[e.index()]
    }

    fn classify_call(&self, callee: ExprId, args: &CallArgs) -> Option<CallKind> {
        let ast = self.ast;
        let mut value = None;
        let mut gas = None;
        let mut c = callee;
        loop {
            match &ast.expr(c).kind {
                ExprKind::Paren(x) => c = *x,
                ExprKind::CallOptions { callee, options } => {
                    for o in options {
                        match o.name.as_str() {
                            "value" => value = Some(o.value),
                            "gas" => gas = Some(o.value),
                            _ => {}
                        }
                    }
                    c = *callee;
                }
                ExprKind::Call {
                    callee: inner,
                    args: a,
                } => {
                    let (base, _) = ast.expr(*inner).as_member_access()?;
                    let first = a.exprs().first().copied();
                    match self.decl_of(*inner) {
                        Some(Declaration::Builtin(Builtin::FunctionValue)) => value = first,
                        Some(Declaration::Builtin(Builtin::FunctionGas)) => gas = first,
                        _ => return None,
                    }
                    c = base;
                }
                _ => break,
            }
        }
        if let ExprKind::New { .. } = ast.expr(c).kind {
            let contract = match self.type_of(c) {
                Type::TypeType(t) => t.as_contract(),
                _ => None,
            };
            return Some(CallKind::Creation { contract, value });
        }
        let low = |kind| CallKind::LowLevel { kind, value, gas };
        let base = ast.expr(c).as_member_access().map(|(b, _)| b);
        match self.decl_of(c)? {
            Declaration::Builtin(b) => Some(match b {
                Builtin::AddressCall => low(LowLevelKind::Call),
                Builtin::AddressDelegatecall => low(LowLevelKind::DelegateCall),
                Builtin::AddressStaticcall => low(LowLevelKind::StaticCall),
                Builtin::AddressCallcode => low(LowLevelKind::CallCode),
                Builtin::AddressSend | Builtin::AddressTransfer => CallKind::LowLevel {
                    kind: if b == Builtin::AddressSend {
                        LowLevelKind::Send
                    } else {
                        LowLevelKind::Transfer
                    },
                    value: args.exprs().first().copied(),
                    gas,
                },
                _ => return None,
            }),
            Declaration::Function(f) => {
                let library_of = |f: ItemRef| {
                    self.t
                        .enclosing_contract(f)
                        .filter(|l| self.t.contracts[l.index()].kind == ContractKind::Library)
                };
                let Some(base) = base else {
                    return Some(CallKind::Internal {
                        function: f,
                        via_super: false,
                    });
                };
                Some(match self.type_of(base) {
                    Type::Contract(cc)
                        if self.t.contracts[cc.index()].kind != ContractKind::Library =>
                    {
                        CallKind::HighLevel {
                            callee_contract: Some(*cc),
                            function: Some(f),
                            value,
                            gas,
                        }
                    }
                    Type::Super(_) => CallKind::Internal {
                        function: f,
                        via_super: true,
                    },
                    Type::TypeType(t) if matches!(**t, Type::Contract(_)) => match library_of(f) {
                        Some(l) => CallKind::Library {
                            library: Some(l),
                            function: f,
                        },
                        None => CallKind::Internal {
                            function: f,
                            via_super: false,
                        },
                    },
                    Type::Module(_) => CallKind::Internal {
                        function: f,
                        via_super: false,
                    },
                    _ => CallKind::Library {
                        library: library_of(f),
                        function: f,
                    },
                })
            }
            Declaration::StateVar(v) => match base.map(|b| self.type_of(b)) {
                Some(Type::Contract(cc)) => Some(CallKind::HighLevel {
                    callee_contract: Some(*cc),
                    function: Some(v),
                    value,
                    gas,
                }),
                _ => None,
            },
            Declaration::Unresolved => match base.map(|b| self.type_of(b)) {
                Some(Type::Contract(cc)) => Some(CallKind::HighLevel {
                    callee_contract: Some(*cc),
                    function: None,
                    value,
                    gas,
                }),
                _ => None,
            },
            _ => None,
        }
    }
}

/// How well an argument of type `arg` fits a parameter of type `param`: `None`
/// when it cannot, 2 for the same type, 1 for an implicit conversion or an unknown.
fn fits(arg: &Type, param: &Type) -> Option<usize> {
    use ElementaryType as E;
    if arg == param {
        return Some(2);
    }
    match (arg, param) {
        (Type::Unknown, _) | (_, Type::Unknown) => Some(1),
        (Type::NumberLiteral, Type::Elementary(E::Uint(_) | E::Int(_) | E::FixedBytes(_)))
        | (Type::NumberLiteral, Type::Enum(_)) => Some(1),
        (Type::StringLiteral, Type::Elementary(E::String | E::Bytes | E::FixedBytes(_))) => Some(1),
        (Type::Elementary(E::Uint(a)), Type::Elementary(E::Uint(b)))
        | (Type::Elementary(E::Int(a)), Type::Elementary(E::Int(b))) => (a <= b).then_some(1),
        (Type::Elementary(E::Uint(a)), Type::Elementary(E::Int(b))) => (a < b).then_some(1),
        (Type::Elementary(E::Address { .. }), Type::Elementary(E::Address { payable: false }))
        | (Type::Contract(_), Type::Elementary(E::Address { .. }) | Type::Contract(_)) => Some(1),
        (Type::Elementary(E::Address { .. }), Type::Elementary(E::Address { payable: true })) => {
            Some(1)
        }
        (Type::Array { .. }, Type::Array { .. }) | (Type::Struct(_), Type::Struct(_)) => Some(1),
        (Type::Tuple(_), _) | (_, Type::Tuple(_)) => Some(1),
        (Type::Function(_) | Type::FunctionPointer(_), Type::FunctionPointer(_)) => Some(1),
        (Type::Elementary(E::FixedBytes(a)), Type::Elementary(E::FixedBytes(b))) => {
            (a <= b).then_some(1)
        }
        _ => None,
    }
}

fn address_member(name: &str) -> Option<Builtin> {
    use Builtin as B;
    Some(match name {
        "balance" => B::AddressBalance,
        "code" => B::AddressCode,
        "codehash" => B::AddressCodehash,
        "call" => B::AddressCall,
        "delegatecall" => B::AddressDelegatecall,
        "staticcall" => B::AddressStaticcall,
        "callcode" => B::AddressCallcode,
        "send" => B::AddressSend,
        "transfer" => B::AddressTransfer,
        _ => return None,
    })
}
