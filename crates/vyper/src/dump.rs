//! A compact, stable text form of the AST for tests and debugging: one line per
//! declaration or statement, expressions as S-expressions
//! (`(+ a (* b c))`, `(call raw_call t d value=v)`).

use std::fmt::Write;

use crate::ast::*;

/// Renders the whole file.
pub fn dump(ast: &Ast, source: &str) -> String {
    let d = Dumper { ast, source };
    let mut out = String::new();
    if ast.docstring.is_some() {
        out.push_str("docstring\n");
    }
    for item in &ast.items {
        d.item(&mut out, item);
    }
    out
}

/// Renders one expression.
pub fn dump_expr(ast: &Ast, source: &str, id: ExprId) -> String {
    let mut out = String::new();
    Dumper { ast, source }.expr(&mut out, id);
    out
}

struct Dumper<'a> {
    ast: &'a Ast,
    source: &'a str,
}

impl Dumper<'_> {
    fn exprs(&self, out: &mut String, ids: &[ExprId]) {
        for &id in ids {
            out.push(' ');
            self.expr(out, id);
        }
    }

    fn params(&self, out: &mut String, params: &[Param]) {
        out.push('(');
        for (i, p) in params.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            out.push_str(p.name.as_str());
            out.push_str(": ");
            self.expr(out, p.ty);
            if let Some(d) = p.default {
                out.push_str(" = ");
                self.expr(out, d);
            }
        }
        out.push(')');
    }

    fn item(&self, out: &mut String, item: &Item) {
        match &item.kind {
            ItemKind::Import(i) => {
                if i.names.is_empty() {
                    let _ = write!(out, "import {}", i.module);
                } else {
                    let _ = write!(out, "from {} import", i.module);
                }
                for n in &i.names {
                    let _ = write!(out, " {}", n.name.as_str());
                    if let Some(a) = &n.alias {
                        let _ = write!(out, " as {}", a.as_str());
                    }
                }
                if let Some(a) = &i.alias {
                    let _ = write!(out, " as {}", a.as_str());
                }
            }
            ItemKind::Implements(l)
            | ItemKind::Uses(l)
            | ItemKind::Initializes(l)
            | ItemKind::Exports(l) => {
                out.push_str(match &item.kind {
                    ItemKind::Implements(_) => "implements:",
                    ItemKind::Uses(_) => "uses:",
                    ItemKind::Initializes(_) => "initializes:",
                    _ => "exports:",
                });
                self.exprs(out, l);
            }
            ItemKind::Variable(v) => {
                let loc = match v.location {
                    VarLocation::Storage => "storage",
                    VarLocation::Transient => "transient",
                    VarLocation::Immutable => "immutable",
                    VarLocation::Constant => "constant",
                };
                let _ = write!(
                    out,
                    "{loc}{}{} {}: ",
                    if v.public { " public" } else { "" },
                    if v.reentrant { " reentrant" } else { "" },
                    v.name.as_str()
                );
                self.expr(out, v.ty);
                if let Some(value) = v.value {
                    out.push_str(" = ");
                    self.expr(out, value);
                }
            }
            ItemKind::Event(e) => {
                let _ = write!(out, "event {}", e.name.as_str());
                self.fields(out, &e.fields);
            }
            ItemKind::Struct(s) => {
                let _ = write!(out, "struct {}", s.name.as_str());
                self.fields(out, &s.fields);
            }
            ItemKind::Flag(f) => {
                let _ = write!(
                    out,
                    "{} {}",
                    if f.legacy_enum { "enum" } else { "flag" },
                    f.name.as_str()
                );
                for m in &f.members {
                    let _ = write!(out, " {}", m.as_str());
                }
            }
            ItemKind::Interface(i) => {
                let _ = write!(out, "interface {}", i.name.as_str());
                for f in &i.functions {
                    let _ = write!(out, "\n  def {}", f.name.as_str());
                    self.params(out, &f.params);
                    if let Some(r) = f.returns {
                        out.push_str(" -> ");
                        self.expr(out, r);
                    }
                    if let Some(m) = &f.mutability {
                        let _ = write!(out, ": {}", m.as_str());
                    }
                }
            }
            ItemKind::Function(f) => {
                for d in &f.decorators {
                    let _ = write!(out, "@{}", d.name.as_str());
                    if let Some(args) = &d.args {
                        out.push('(');
                        self.exprs(out, args);
                        out.push_str(" )");
                    }
                    out.push(' ');
                }
                let _ = write!(out, "def {}", f.name.as_str());
                self.params(out, &f.params);
                if let Some(r) = f.returns {
                    out.push_str(" -> ");
                    self.expr(out, r);
                }
                if f.docstring.is_some() {
                    out.push_str(" docstring");
                }
                out.push('\n');
                self.block(out, &f.body, 1);
                // `block` ends with a newline; the item loop adds one too.
                out.pop();
            }
        }
        out.push('\n');
    }

    fn fields(&self, out: &mut String, fields: &[Field]) {
        for f in fields {
            let _ = write!(out, "\n  {}: ", f.name.as_str());
            if f.indexed {
                out.push_str("indexed ");
            }
            self.expr(out, f.ty);
        }
    }

    fn block(&self, out: &mut String, stmts: &[StmtId], depth: usize) {
        for &s in stmts {
            self.stmt(out, s, depth);
        }
    }

    fn stmt(&self, out: &mut String, id: StmtId, depth: usize) {
        let indent = "  ".repeat(depth);
        out.push_str(&indent);
        match &self.ast.stmt(id).kind {
            StmtKind::Expr(e) => self.expr(out, *e),
            StmtKind::Assign { target, value } => {
                self.expr(out, *target);
                out.push_str(" = ");
                self.expr(out, *value);
            }
            StmtKind::AugAssign { target, op, value } => {
                self.expr(out, *target);
                let _ = write!(out, " {}= ", op.as_str());
                self.expr(out, *value);
            }
            StmtKind::AnnAssign { target, ty, value } => {
                let _ = write!(out, "let {}: ", target.as_str());
                self.expr(out, *ty);
                if let Some(v) = value {
                    out.push_str(" = ");
                    self.expr(out, *v);
                }
            }
            StmtKind::If { cond, then, orelse } => {
                out.push_str("if ");
                self.expr(out, *cond);
                out.push('\n');
                self.block(out, then, depth + 1);
                if !orelse.is_empty() {
                    out.push_str(&indent);
                    out.push_str("else\n");
                    self.block(out, orelse, depth + 1);
                }
                out.pop();
            }
            StmtKind::For {
                target,
                ty,
                iter,
                body,
            } => {
                out.push_str("for ");
                self.expr(out, *target);
                if let Some(t) = ty {
                    out.push_str(": ");
                    self.expr(out, *t);
                }
                out.push_str(" in ");
                self.expr(out, *iter);
                out.push('\n');
                self.block(out, body, depth + 1);
                out.pop();
            }
            StmtKind::Assert { cond, msg } => {
                out.push_str("assert ");
                self.expr(out, *cond);
                if let Some(m) = msg {
                    out.push_str(", ");
                    self.expr(out, *m);
                }
            }
            StmtKind::Raise(msg) => {
                out.push_str("raise");
                if let Some(m) = msg {
                    out.push(' ');
                    self.expr(out, *m);
                }
            }
            StmtKind::Return(v) => {
                out.push_str("return");
                if let Some(v) = v {
                    out.push(' ');
                    self.expr(out, *v);
                }
            }
            StmtKind::Pass => out.push_str("pass"),
            StmtKind::Break => out.push_str("break"),
            StmtKind::Continue => out.push_str("continue"),
            StmtKind::Log(e) => {
                out.push_str("log ");
                self.expr(out, *e);
            }
            StmtKind::Error => out.push_str("<error>"),
        }
        out.push('\n');
    }

    fn expr(&self, out: &mut String, id: ExprId) {
        let e = self.ast.expr(id);
        match &e.kind {
            ExprKind::Name(n) => out.push_str(n.as_str()),
            ExprKind::Number(_) | ExprKind::Str(_) => out.push_str(e.span.text(self.source)),
            ExprKind::Bool(b) => out.push_str(if *b { "True" } else { "False" }),
            ExprKind::Ellipsis => out.push_str("..."),
            ExprKind::Attribute { base, attr } => {
                self.expr(out, *base);
                out.push('.');
                out.push_str(attr.as_str());
            }
            ExprKind::Subscript { base, index } => {
                self.expr(out, *base);
                out.push('[');
                self.expr(out, *index);
                out.push(']');
            }
            ExprKind::Call {
                func,
                args,
                keywords,
            } => {
                out.push_str("(call ");
                self.expr(out, *func);
                self.exprs(out, args);
                for k in keywords {
                    let _ = write!(out, " {}=", k.name.as_str());
                    self.expr(out, k.value);
                }
                out.push(')');
            }
            ExprKind::Unary { op, operand } => {
                out.push('(');
                out.push_str(match op {
                    UnaryOp::Neg => "-",
                    UnaryOp::Pos => "+",
                    UnaryOp::Invert => "~",
                    UnaryOp::Not => "not",
                });
                out.push(' ');
                self.expr(out, *operand);
                out.push(')');
            }
            ExprKind::Binary { op, lhs, rhs } => self.binary(out, op.as_str(), *lhs, *rhs),
            ExprKind::Logical { op, lhs, rhs } => self.binary(
                out,
                match op {
                    BoolOp::And => "and",
                    BoolOp::Or => "or",
                },
                *lhs,
                *rhs,
            ),
            ExprKind::Compare { op, lhs, rhs } => self.binary(out, op.as_str(), *lhs, *rhs),
            ExprKind::IfExp { body, cond, orelse } => {
                out.push_str("(if ");
                self.expr(out, *cond);
                out.push(' ');
                self.expr(out, *body);
                out.push(' ');
                self.expr(out, *orelse);
                out.push(')');
            }
            ExprKind::Tuple(items) => {
                out.push_str("(tuple");
                self.exprs(out, items);
                out.push(')');
            }
            ExprKind::List(items) => {
                out.push_str("(list");
                self.exprs(out, items);
                out.push(')');
            }
            ExprKind::Dict(pairs) => {
                out.push_str("(dict");
                for (k, v) in pairs {
                    out.push(' ');
                    self.expr(out, *k);
                    out.push(':');
                    self.expr(out, *v);
                }
                out.push(')');
            }
            ExprKind::ExtCall(c) => {
                out.push_str("(extcall ");
                self.expr(out, *c);
                out.push(')');
            }
            ExprKind::StaticCall(c) => {
                out.push_str("(staticcall ");
                self.expr(out, *c);
                out.push(')');
            }
            ExprKind::Walrus { target, value } => self.binary(out, ":=", *target, *value),
            ExprKind::Error => out.push_str("<error>"),
        }
    }

    fn binary(&self, out: &mut String, op: &str, lhs: ExprId, rhs: ExprId) {
        let _ = write!(out, "({op} ");
        self.expr(out, lhs);
        out.push(' ');
        self.expr(out, rhs);
        out.push(')');
    }
}
