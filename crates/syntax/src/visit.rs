//! A read-only visitor over the [`Ast`].
//!
//! Implement [`Visitor`], override the `visit_*` hooks you care about, and call
//! the matching `walk_*` function inside an override to keep descending. Every
//! hook receives a [`VisitCx`] that knows the enclosing contract and function.
//!
//! ```
//! use syntax::ast::{ExprId};
//! use syntax::visit::{Visitor, VisitCx, walk_expr};
//!
//! #[derive(Default)]
//! struct TxOrigin(Vec<(Option<String>, ExprId)>);
//!
//! impl<'a> Visitor<'a> for TxOrigin {
//!     fn visit_expr(&mut self, cx: VisitCx<'a>, id: ExprId) {
//!         if cx.ast.is_member_of(id, "tx", "origin") {
//!             let function = cx.function_def().map(|f| f.name_str().to_string());
//!             self.0.push((function, id));
//!         }
//!         walk_expr(self, cx, id);
//!     }
//! }
//!
//! let parse = syntax::parse("contract C { function f() { require(tx.origin == owner); } }");
//! let mut v = TxOrigin::default();
//! v.visit_source_unit(parse.ast());
//! assert_eq!(v.0.len(), 1);
//! assert_eq!(v.0[0].0.as_deref(), Some("f"));
//! ```
//!
//! Recursion depth is bounded: lowering replaces anything nested deeper than
//! [`crate::MAX_NESTING`] with an `Error` node.

use crate::ast::*;

/// Where a visited node sits: the AST, the enclosing contract and function.
#[derive(Clone, Copy, Debug)]
pub struct VisitCx<'a> {
    /// The whole AST.
    pub ast: &'a Ast,
    /// The enclosing contract, interface or library, if any.
    pub contract: Option<ItemId>,
    /// The enclosing function, constructor, fallback, receive or modifier, if any.
    pub function: Option<ItemId>,
}

impl<'a> VisitCx<'a> {
    /// A context at the top level of `ast`.
    pub fn new(ast: &'a Ast) -> Self {
        VisitCx {
            ast,
            contract: None,
            function: None,
        }
    }

    /// The enclosing contract definition, if any.
    pub fn contract_def(&self) -> Option<&'a ContractDef> {
        self.contract.and_then(|id| self.ast.item(id).as_contract())
    }

    /// The enclosing function-like definition, if any.
    pub fn function_def(&self) -> Option<&'a FunctionDef> {
        self.function.and_then(|id| self.ast.item(id).as_function())
    }
}

/// Hooks called while walking the AST. Every hook defaults to the matching
/// `walk_*` function, which visits the node's children.
pub trait Visitor<'a> {
    /// Walks the whole file.
    fn visit_source_unit(&mut self, ast: &'a Ast) {
        walk_source_unit(self, ast);
    }

    /// An item (top-level or contract member). The context's `contract` and
    /// `function` are those around the item, not the item itself.
    fn visit_item(&mut self, cx: VisitCx<'a>, id: ItemId) {
        walk_item(self, cx, id);
    }

    /// A statement.
    fn visit_stmt(&mut self, cx: VisitCx<'a>, id: StmtId) {
        walk_stmt(self, cx, id);
    }

    /// An expression.
    fn visit_expr(&mut self, cx: VisitCx<'a>, id: ExprId) {
        walk_expr(self, cx, id);
    }

    /// A type name.
    fn visit_type(&mut self, cx: VisitCx<'a>, id: TypeId) {
        walk_type(self, cx, id);
    }

    /// A variable declaration (parameter, local, field).
    fn visit_var_decl(&mut self, cx: VisitCx<'a>, decl: &'a VarDecl) {
        walk_var_decl(self, cx, decl);
    }

    /// A Yul statement.
    fn visit_yul_stmt(&mut self, cx: VisitCx<'a>, id: YulStmtId) {
        walk_yul_stmt(self, cx, id);
    }

    /// A Yul expression.
    fn visit_yul_expr(&mut self, cx: VisitCx<'a>, id: YulExprId) {
        walk_yul_expr(self, cx, id);
    }
}

/// Visits every top-level item.
pub fn walk_source_unit<'a, V: Visitor<'a> + ?Sized>(v: &mut V, ast: &'a Ast) {
    let cx = VisitCx::new(ast);
    for &id in &ast.source_unit().items {
        v.visit_item(cx, id);
    }
}

fn walk_call_args<'a, V: Visitor<'a> + ?Sized>(v: &mut V, cx: VisitCx<'a>, args: &'a CallArgs) {
    match args {
        CallArgs::Positional(list) => {
            for &e in list {
                v.visit_expr(cx, e);
            }
        }
        CallArgs::Named(list) => {
            for a in list {
                v.visit_expr(cx, a.value);
            }
        }
    }
}

fn walk_var_decls<'a, V: Visitor<'a> + ?Sized>(v: &mut V, cx: VisitCx<'a>, decls: &'a [VarDecl]) {
    for d in decls {
        v.visit_var_decl(cx, d);
    }
}

/// Visits the children of an item, with `cx` updated to the item when it is a
/// contract or a function.
pub fn walk_item<'a, V: Visitor<'a> + ?Sized>(v: &mut V, cx: VisitCx<'a>, id: ItemId) {
    let ast = cx.ast;
    match &ast.item(id).kind {
        ItemKind::Pragma(_) | ItemKind::Import(_) | ItemKind::Error => {}
        ItemKind::Contract(c) => {
            let inner = VisitCx {
                contract: Some(id),
                function: None,
                ..cx
            };
            for base in &c.bases {
                if let Some(args) = &base.args {
                    walk_call_args(v, inner, args);
                }
            }
            if let Some(layout) = c.layout {
                v.visit_expr(inner, layout);
            }
            for &m in &c.members {
                v.visit_item(inner, m);
            }
        }
        ItemKind::Function(f) => {
            let inner = VisitCx {
                function: Some(id),
                ..cx
            };
            walk_var_decls(v, inner, &f.params);
            walk_var_decls(v, inner, &f.returns);
            for m in &f.modifiers {
                if let Some(args) = &m.args {
                    walk_call_args(v, inner, args);
                }
            }
            if let Some(body) = f.body {
                v.visit_stmt(inner, body);
            }
        }
        ItemKind::Variable(var) => {
            v.visit_type(cx, var.ty);
            if let Some(value) = var.value {
                v.visit_expr(cx, value);
            }
        }
        ItemKind::Struct(s) => walk_var_decls(v, cx, &s.fields),
        ItemKind::Enum(_) => {}
        ItemKind::Event(e) => walk_var_decls(v, cx, &e.params),
        ItemKind::CustomError(e) => walk_var_decls(v, cx, &e.params),
        ItemKind::UserDefinedValueType(t) => v.visit_type(cx, t.underlying),
        ItemKind::Using(u) => {
            if let Some(target) = u.target {
                v.visit_type(cx, target);
            }
        }
    }
}

/// Visits the type of a declaration.
pub fn walk_var_decl<'a, V: Visitor<'a> + ?Sized>(v: &mut V, cx: VisitCx<'a>, decl: &'a VarDecl) {
    v.visit_type(cx, decl.ty);
}

/// Visits the children of a statement.
pub fn walk_stmt<'a, V: Visitor<'a> + ?Sized>(v: &mut V, cx: VisitCx<'a>, id: StmtId) {
    match &cx.ast.stmt(id).kind {
        StmtKind::Block { stmts, .. } => {
            for &s in stmts {
                v.visit_stmt(cx, s);
            }
        }
        StmtKind::VarDecl { decls, value, .. } => {
            for d in decls.iter().flatten() {
                v.visit_var_decl(cx, d);
            }
            if let Some(value) = value {
                v.visit_expr(cx, *value);
            }
        }
        StmtKind::Expr(e) => v.visit_expr(cx, *e),
        StmtKind::If {
            cond,
            then_branch,
            else_branch,
        } => {
            v.visit_expr(cx, *cond);
            v.visit_stmt(cx, *then_branch);
            if let Some(e) = else_branch {
                v.visit_stmt(cx, *e);
            }
        }
        StmtKind::For {
            init,
            cond,
            update,
            body,
        } => {
            if let Some(s) = init {
                v.visit_stmt(cx, *s);
            }
            if let Some(e) = cond {
                v.visit_expr(cx, *e);
            }
            if let Some(e) = update {
                v.visit_expr(cx, *e);
            }
            v.visit_stmt(cx, *body);
        }
        StmtKind::While { cond, body } => {
            v.visit_expr(cx, *cond);
            v.visit_stmt(cx, *body);
        }
        StmtKind::DoWhile { body, cond } => {
            v.visit_stmt(cx, *body);
            v.visit_expr(cx, *cond);
        }
        StmtKind::Continue
        | StmtKind::Break
        | StmtKind::Throw
        | StmtKind::Placeholder
        | StmtKind::Error => {}
        StmtKind::Return { value } => {
            if let Some(e) = value {
                v.visit_expr(cx, *e);
            }
        }
        StmtKind::Emit { event, args } => {
            v.visit_expr(cx, *event);
            walk_call_args(v, cx, args);
        }
        StmtKind::Revert { error, args } => {
            if let Some(e) = error {
                v.visit_expr(cx, *e);
            }
            walk_call_args(v, cx, args);
        }
        StmtKind::Try {
            call,
            returns,
            body,
            catches,
        } => {
            v.visit_expr(cx, *call);
            walk_var_decls(v, cx, returns);
            v.visit_stmt(cx, *body);
            for c in catches {
                walk_var_decls(v, cx, &c.params);
                v.visit_stmt(cx, c.body);
            }
        }
        StmtKind::Assembly { body, .. } => {
            for &s in body {
                v.visit_yul_stmt(cx, s);
            }
        }
    }
}

/// Visits the children of an expression.
pub fn walk_expr<'a, V: Visitor<'a> + ?Sized>(v: &mut V, cx: VisitCx<'a>, id: ExprId) {
    match &cx.ast.expr(id).kind {
        ExprKind::Ident(_)
        | ExprKind::Literal(_)
        | ExprKind::ElementaryType(_)
        | ExprKind::Error => {}
        ExprKind::Member { base, .. } => v.visit_expr(cx, *base),
        ExprKind::Index { base, index } => {
            v.visit_expr(cx, *base);
            if let Some(i) = index {
                v.visit_expr(cx, *i);
            }
        }
        ExprKind::Slice { base, start, end } => {
            v.visit_expr(cx, *base);
            for e in [start, end].into_iter().flatten() {
                v.visit_expr(cx, *e);
            }
        }
        ExprKind::Call { callee, args } => {
            v.visit_expr(cx, *callee);
            walk_call_args(v, cx, args);
        }
        ExprKind::CallOptions { callee, options } => {
            v.visit_expr(cx, *callee);
            for o in options {
                v.visit_expr(cx, o.value);
            }
        }
        ExprKind::New { ty } | ExprKind::TypeOf { ty } | ExprKind::Type(ty) => {
            v.visit_type(cx, *ty)
        }
        ExprKind::Paren(e) => v.visit_expr(cx, *e),
        ExprKind::Tuple { elements } => {
            for e in elements.iter().flatten() {
                v.visit_expr(cx, *e);
            }
        }
        ExprKind::InlineArray { elements } => {
            for &e in elements {
                v.visit_expr(cx, e);
            }
        }
        ExprKind::Unary { operand, .. } => v.visit_expr(cx, *operand),
        ExprKind::Binary { lhs, rhs, .. } | ExprKind::Assign { lhs, rhs, .. } => {
            v.visit_expr(cx, *lhs);
            v.visit_expr(cx, *rhs);
        }
        ExprKind::Ternary {
            cond,
            then_expr,
            else_expr,
        } => {
            v.visit_expr(cx, *cond);
            v.visit_expr(cx, *then_expr);
            v.visit_expr(cx, *else_expr);
        }
    }
}

/// Visits the children of a type.
pub fn walk_type<'a, V: Visitor<'a> + ?Sized>(v: &mut V, cx: VisitCx<'a>, id: TypeId) {
    match &cx.ast.ty(id).kind {
        TypeKind::Elementary(_) | TypeKind::Var | TypeKind::UserDefined(_) | TypeKind::Error => {}
        TypeKind::Mapping { key, value, .. } => {
            v.visit_type(cx, *key);
            v.visit_type(cx, *value);
        }
        TypeKind::Array { element, size } => {
            v.visit_type(cx, *element);
            if let Some(s) = size {
                v.visit_expr(cx, *s);
            }
        }
        TypeKind::Function {
            params, returns, ..
        } => {
            walk_var_decls(v, cx, params);
            walk_var_decls(v, cx, returns);
        }
    }
}

/// Visits the children of a Yul statement.
pub fn walk_yul_stmt<'a, V: Visitor<'a> + ?Sized>(v: &mut V, cx: VisitCx<'a>, id: YulStmtId) {
    match &cx.ast.yul_stmt(id).kind {
        YulStmtKind::Block(stmts) => {
            for &s in stmts {
                v.visit_yul_stmt(cx, s);
            }
        }
        YulStmtKind::Let { value, .. } | YulStmtKind::Assign { value, .. } => {
            if let Some(e) = value {
                v.visit_yul_expr(cx, *e);
            }
        }
        YulStmtKind::Expr(e) => v.visit_yul_expr(cx, *e),
        YulStmtKind::If { cond, body } => {
            v.visit_yul_expr(cx, *cond);
            v.visit_yul_stmt(cx, *body);
        }
        YulStmtKind::For {
            init,
            cond,
            post,
            body,
        } => {
            v.visit_yul_stmt(cx, *init);
            v.visit_yul_expr(cx, *cond);
            v.visit_yul_stmt(cx, *post);
            v.visit_yul_stmt(cx, *body);
        }
        YulStmtKind::Switch { expr, cases } => {
            v.visit_yul_expr(cx, *expr);
            for c in cases {
                if let Some(val) = c.value {
                    v.visit_yul_expr(cx, val);
                }
                v.visit_yul_stmt(cx, c.body);
            }
        }
        YulStmtKind::FunctionDef { body, .. } => v.visit_yul_stmt(cx, *body),
        YulStmtKind::Leave
        | YulStmtKind::Break
        | YulStmtKind::Continue
        | YulStmtKind::Label(_)
        | YulStmtKind::Error => {}
    }
}

/// Visits the children of a Yul expression.
pub fn walk_yul_expr<'a, V: Visitor<'a> + ?Sized>(v: &mut V, cx: VisitCx<'a>, id: YulExprId) {
    if let YulExprKind::Call { args, .. } = &cx.ast.yul_expr(id).kind {
        for &a in args {
            v.visit_yul_expr(cx, a);
        }
    }
}
