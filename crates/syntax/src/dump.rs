//! A readable, indented s-expression dump of the AST, for tests and debugging.
//!
//! Each line is `(Kind details @lo..hi` with children indented below it. The
//! output is stable and meant for snapshot tests.

use std::fmt::Write;

use crate::ast::*;

/// Renders the whole AST of a file.
pub fn dump(ast: &Ast) -> String {
    let mut d = Dumper {
        ast,
        out: String::new(),
        indent: 0,
    };
    d.line(format_args!("SourceUnit {}", sp(ast.source_unit().span)));
    d.indent += 1;
    for &id in &ast.source_unit().items {
        d.item(id);
    }
    d.out
}

fn sp(s: crate::Span) -> String {
    format!("@{}..{}", s.lo, s.hi)
}

fn ident(i: &Ident) -> String {
    format!("{:?}{}", i.name.as_str(), sp(i.span))
}

fn path(p: &Path) -> String {
    format!("{:?}{}", p.to_dotted(), sp(p.span))
}

struct Dumper<'a> {
    ast: &'a Ast,
    out: String,
    indent: usize,
}

impl Dumper<'_> {
    fn line(&mut self, args: std::fmt::Arguments<'_>) {
        for _ in 0..self.indent {
            self.out.push_str("  ");
        }
        let _ = self.out.write_fmt(args);
        self.out.push('\n');
    }

    fn nested(&mut self, f: impl FnOnce(&mut Self)) {
        self.indent += 1;
        f(self);
        self.indent -= 1;
    }

    fn labeled(&mut self, label: &str, f: impl FnOnce(&mut Self)) {
        self.line(format_args!("{label}:"));
        self.nested(f);
    }

    fn item(&mut self, id: ItemId) {
        let ast = self.ast;
        let item = ast.item(id);
        let s = sp(item.span);
        match &item.kind {
            ItemKind::Pragma(Pragma::Solidity { req, text, .. }) => {
                let (lowest, floating) = match req {
                    Some(r) => (r.lowest().map(|v| v.to_string()), r.is_floating()),
                    None => (None, false),
                };
                self.line(format_args!(
                    "Pragma solidity {text:?} lowest={} floating={floating} {s}",
                    lowest.as_deref().unwrap_or("none")
                ));
            }
            ItemKind::Pragma(Pragma::Other { name, value }) => {
                self.line(format_args!("Pragma {} {value:?} {s}", ident(name)));
            }
            ItemKind::Import(i) => {
                let alias = i
                    .alias
                    .as_ref()
                    .map(|a| format!(" as {}", ident(a)))
                    .unwrap_or_default();
                self.line(format_args!("Import {:?}{alias} {s}", i.path));
                self.nested(|d| {
                    for sym in &i.symbols {
                        let alias = sym
                            .alias
                            .as_ref()
                            .map(|a| format!(" as {}", ident(a)))
                            .unwrap_or_default();
                        d.line(format_args!("Symbol {}{alias}", ident(&sym.name)));
                    }
                });
            }
            ItemKind::Contract(c) => {
                self.line(format_args!("Contract {:?} {} {s}", c.kind, ident(&c.name)));
                self.nested(|d| {
                    for b in &c.bases {
                        d.line(format_args!("Base {} {}", path(&b.path), sp(b.span)));
                        if let Some(args) = &b.args {
                            d.nested(|d| d.call_args(args));
                        }
                    }
                    if let Some(l) = c.layout {
                        d.labeled("layout", |d| d.expr(l));
                    }
                    for &m in &c.members {
                        d.item(m);
                    }
                });
            }
            ItemKind::Function(f) => {
                let mut flags = Vec::new();
                if let Some(v) = f.visibility {
                    flags.push(format!("{v:?}"));
                }
                if let Some(m) = f.mutability {
                    flags.push(format!("{m:?}"));
                }
                if f.is_virtual {
                    flags.push("virtual".into());
                }
                if f.is_legacy_constructor {
                    flags.push("legacy_constructor".into());
                }
                if f.is_legacy_fallback {
                    flags.push("legacy_fallback".into());
                }
                if f.body.is_none() {
                    flags.push("no_body".into());
                }
                let name = f.name.as_ref().map(ident).unwrap_or_else(|| "_".into());
                self.line(format_args!(
                    "Function {:?} {name} [{}] {s}",
                    f.kind,
                    flags.join(" ")
                ));
                self.nested(|d| {
                    d.decls("params", &f.params);
                    d.decls("returns", &f.returns);
                    if let Some(o) = &f.overrides {
                        let bases: Vec<_> = o.bases.iter().map(path).collect();
                        d.line(format_args!(
                            "Override [{}] {}",
                            bases.join(", "),
                            sp(o.span)
                        ));
                    }
                    for m in &f.modifiers {
                        d.line(format_args!("Modifier {} {}", path(&m.path), sp(m.span)));
                        if let Some(args) = &m.args {
                            d.nested(|d| d.call_args(args));
                        }
                    }
                    if let Some(b) = f.body {
                        d.stmt(b);
                    }
                });
            }
            ItemKind::Variable(v) => {
                let mut flags = Vec::new();
                if let Some(vis) = v.visibility {
                    flags.push(format!("{vis:?}"));
                }
                for (on, name) in [
                    (v.is_constant, "constant"),
                    (v.is_immutable, "immutable"),
                    (v.is_transient, "transient"),
                ] {
                    if on {
                        flags.push(name.into());
                    }
                }
                self.line(format_args!(
                    "Variable {} [{}] {s}",
                    ident(&v.name),
                    flags.join(" ")
                ));
                self.nested(|d| {
                    d.ty(v.ty);
                    if let Some(o) = &v.overrides {
                        let bases: Vec<_> = o.bases.iter().map(path).collect();
                        d.line(format_args!("Override [{}]", bases.join(", ")));
                    }
                    if let Some(e) = v.value {
                        d.labeled("value", |d| d.expr(e));
                    }
                });
            }
            ItemKind::Struct(st) => {
                self.line(format_args!("Struct {} {s}", ident(&st.name)));
                self.nested(|d| d.decls("fields", &st.fields));
            }
            ItemKind::Enum(e) => {
                let vs: Vec<_> = e.variants.iter().map(ident).collect();
                self.line(format_args!(
                    "Enum {} [{}] {s}",
                    ident(&e.name),
                    vs.join(", ")
                ));
            }
            ItemKind::Event(e) => {
                let anon = if e.is_anonymous { " anonymous" } else { "" };
                self.line(format_args!("Event {}{anon} {s}", ident(&e.name)));
                self.nested(|d| d.decls("params", &e.params));
            }
            ItemKind::CustomError(e) => {
                self.line(format_args!("CustomError {} {s}", ident(&e.name)));
                self.nested(|d| d.decls("params", &e.params));
            }
            ItemKind::UserDefinedValueType(t) => {
                self.line(format_args!("UserDefinedValueType {} {s}", ident(&t.name)));
                self.nested(|d| d.ty(t.underlying));
            }
            ItemKind::Using(u) => {
                let lib = u
                    .library
                    .as_ref()
                    .map(|p| format!(" {}", path(p)))
                    .unwrap_or_default();
                let global = if u.is_global { " global" } else { "" };
                self.line(format_args!("Using{lib}{global} {s}"));
                self.nested(|d| {
                    for f in &u.functions {
                        let op = f
                            .operator
                            .as_ref()
                            .map(|o| format!(" as {o:?}"))
                            .unwrap_or_default();
                        d.line(format_args!("Function {}{op}", path(&f.path)));
                    }
                    match u.target {
                        Some(t) => d.labeled("for", |d| d.ty(t)),
                        None => d.line(format_args!("for: *")),
                    }
                });
            }
            ItemKind::Error => self.line(format_args!("ErrorItem {s}")),
        }
    }

    fn decl(&mut self, v: &VarDecl) {
        let mut extra = String::new();
        if let Some(l) = v.location {
            let _ = write!(extra, " {l:?}");
        }
        if v.indexed {
            extra.push_str(" indexed");
        }
        let name = v.name.as_ref().map(ident).unwrap_or_else(|| "_".into());
        self.line(format_args!("Decl {name}{extra} {}", sp(v.span)));
        self.nested(|d| d.ty(v.ty));
    }

    fn decls(&mut self, label: &str, list: &[VarDecl]) {
        if list.is_empty() {
            return;
        }
        self.labeled(label, |d| {
            for v in list {
                d.decl(v);
            }
        });
    }

    fn call_args(&mut self, args: &CallArgs) {
        match args {
            CallArgs::Positional(list) => {
                for &e in list {
                    self.expr(e);
                }
            }
            CallArgs::Named(list) => {
                for a in list {
                    self.line(format_args!("Named {} {}", ident(&a.name), sp(a.span)));
                    self.nested(|d| d.expr(a.value));
                }
            }
        }
    }

    fn stmt(&mut self, id: StmtId) {
        let ast = self.ast;
        let st = ast.stmt(id);
        let s = sp(st.span);
        match &st.kind {
            StmtKind::Block { stmts, unchecked } => {
                self.line(format_args!(
                    "Block{} {s}",
                    if *unchecked { " unchecked" } else { "" }
                ));
                self.nested(|d| {
                    for &x in stmts {
                        d.stmt(x);
                    }
                });
            }
            StmtKind::VarDecl {
                decls,
                is_tuple,
                value,
            } => {
                self.line(format_args!(
                    "VarDecl{} {s}",
                    if *is_tuple { " tuple" } else { "" }
                ));
                self.nested(|d| {
                    for decl in decls {
                        match decl {
                            Some(v) => d.decl(v),
                            None => d.line(format_args!("Skipped")),
                        }
                    }
                    if let Some(e) = value {
                        d.labeled("value", |d| d.expr(*e));
                    }
                });
            }
            StmtKind::Expr(e) => {
                self.line(format_args!("ExprStmt {s}"));
                self.nested(|d| d.expr(*e));
            }
            StmtKind::If {
                cond,
                then_branch,
                else_branch,
            } => {
                self.line(format_args!("If {s}"));
                self.nested(|d| {
                    d.expr(*cond);
                    d.stmt(*then_branch);
                    if let Some(e) = else_branch {
                        d.labeled("else", |d| d.stmt(*e));
                    }
                });
            }
            StmtKind::For {
                init,
                cond,
                update,
                body,
            } => {
                self.line(format_args!("For {s}"));
                self.nested(|d| {
                    if let Some(i) = init {
                        d.labeled("init", |d| d.stmt(*i));
                    }
                    if let Some(c) = cond {
                        d.labeled("cond", |d| d.expr(*c));
                    }
                    if let Some(u) = update {
                        d.labeled("update", |d| d.expr(*u));
                    }
                    d.stmt(*body);
                });
            }
            StmtKind::While { cond, body } => {
                self.line(format_args!("While {s}"));
                self.nested(|d| {
                    d.expr(*cond);
                    d.stmt(*body);
                });
            }
            StmtKind::DoWhile { body, cond } => {
                self.line(format_args!("DoWhile {s}"));
                self.nested(|d| {
                    d.stmt(*body);
                    d.expr(*cond);
                });
            }
            StmtKind::Continue => self.line(format_args!("Continue {s}")),
            StmtKind::Break => self.line(format_args!("Break {s}")),
            StmtKind::Throw => self.line(format_args!("Throw {s}")),
            StmtKind::Placeholder => self.line(format_args!("Placeholder {s}")),
            StmtKind::Return { value } => {
                self.line(format_args!("Return {s}"));
                if let Some(e) = value {
                    self.nested(|d| d.expr(*e));
                }
            }
            StmtKind::Emit { event, args } => {
                self.line(format_args!("Emit {s}"));
                self.nested(|d| {
                    d.expr(*event);
                    d.labeled("args", |d| d.call_args(args));
                });
            }
            StmtKind::Revert { error, args } => {
                self.line(format_args!("Revert {s}"));
                self.nested(|d| {
                    if let Some(e) = error {
                        d.labeled("error", |d| d.expr(*e));
                    }
                    d.labeled("args", |d| d.call_args(args));
                });
            }
            StmtKind::Try {
                call,
                returns,
                body,
                catches,
            } => {
                self.line(format_args!("Try {s}"));
                self.nested(|d| {
                    d.expr(*call);
                    d.decls("returns", returns);
                    d.stmt(*body);
                    for c in catches {
                        let name = c.name.as_ref().map(ident).unwrap_or_else(|| "_".into());
                        d.line(format_args!("Catch {name} {}", sp(c.span)));
                        d.nested(|d| {
                            d.decls("params", &c.params);
                            d.stmt(c.body);
                        });
                    }
                });
            }
            StmtKind::Assembly {
                evmasm,
                flags,
                body,
            } => {
                let e = if *evmasm { " evmasm" } else { "" };
                self.line(format_args!("Assembly{e} flags={flags:?} {s}"));
                self.nested(|d| {
                    for &y in body {
                        d.yul_stmt(y);
                    }
                });
            }
            StmtKind::Error => self.line(format_args!("ErrorStmt {s}")),
        }
    }

    fn expr(&mut self, id: ExprId) {
        let ast = self.ast;
        let e = ast.expr(id);
        let s = sp(e.span);
        match &e.kind {
            ExprKind::Ident(i) => self.line(format_args!("Ident {:?} {s}", i.name.as_str())),
            ExprKind::Literal(l) => match l {
                Literal::Bool(b) => self.line(format_args!("Bool {b} {s}")),
                Literal::Number { text, is_hex, unit } => {
                    let hex = if *is_hex { " hex" } else { "" };
                    let unit = unit.map(|u| format!(" {u:?}")).unwrap_or_default();
                    self.line(format_args!("Number {text:?}{hex}{unit} {s}"));
                }
                Literal::String { kind, value } => {
                    self.line(format_args!("String {kind:?} {value:?} {s}"))
                }
            },
            ExprKind::ElementaryType(t) => {
                self.line(format_args!("ElementaryType {} {s}", t.canonical()))
            }
            ExprKind::Member { base, member } => {
                self.line(format_args!("Member {} {s}", ident(member)));
                self.nested(|d| d.expr(*base));
            }
            ExprKind::Index { base, index } => {
                self.line(format_args!("Index {s}"));
                self.nested(|d| {
                    d.expr(*base);
                    if let Some(i) = index {
                        d.expr(*i);
                    }
                });
            }
            ExprKind::Slice { base, start, end } => {
                self.line(format_args!("Slice {s}"));
                self.nested(|d| {
                    d.expr(*base);
                    if let Some(x) = start {
                        d.labeled("start", |d| d.expr(*x));
                    }
                    if let Some(x) = end {
                        d.labeled("end", |d| d.expr(*x));
                    }
                });
            }
            ExprKind::Call { callee, args } => {
                self.line(format_args!("Call {s}"));
                self.nested(|d| {
                    d.expr(*callee);
                    d.labeled("args", |d| d.call_args(args));
                });
            }
            ExprKind::CallOptions { callee, options } => {
                self.line(format_args!("CallOptions {s}"));
                self.nested(|d| {
                    d.expr(*callee);
                    d.call_args(&CallArgs::Named(options.clone()));
                });
            }
            ExprKind::New { ty } => {
                self.line(format_args!("New {s}"));
                self.nested(|d| d.ty(*ty));
            }
            ExprKind::Paren(inner) => {
                self.line(format_args!("Paren {s}"));
                self.nested(|d| d.expr(*inner));
            }
            ExprKind::Tuple { elements } => {
                self.line(format_args!("Tuple {s}"));
                self.nested(|d| {
                    for el in elements {
                        match el {
                            Some(x) => d.expr(*x),
                            None => d.line(format_args!("Empty")),
                        }
                    }
                });
            }
            ExprKind::InlineArray { elements } => {
                self.line(format_args!("InlineArray {s}"));
                self.nested(|d| {
                    for &x in elements {
                        d.expr(x);
                    }
                });
            }
            ExprKind::Unary { op, operand } => {
                self.line(format_args!("Unary {op:?} {s}"));
                self.nested(|d| d.expr(*operand));
            }
            ExprKind::Binary { op, lhs, rhs } => {
                self.line(format_args!("Binary {:?} {s}", op.as_str()));
                self.nested(|d| {
                    d.expr(*lhs);
                    d.expr(*rhs);
                });
            }
            ExprKind::Ternary {
                cond,
                then_expr,
                else_expr,
            } => {
                self.line(format_args!("Ternary {s}"));
                self.nested(|d| {
                    d.expr(*cond);
                    d.expr(*then_expr);
                    d.expr(*else_expr);
                });
            }
            ExprKind::Assign { op, lhs, rhs } => {
                let op = op.map_or("=".to_string(), |o| format!("{}=", o.as_str()));
                self.line(format_args!("Assign {op:?} {s}"));
                self.nested(|d| {
                    d.expr(*lhs);
                    d.expr(*rhs);
                });
            }
            ExprKind::TypeOf { ty } => {
                self.line(format_args!("TypeOf {s}"));
                self.nested(|d| d.ty(*ty));
            }
            ExprKind::Type(ty) => {
                self.line(format_args!("TypeExpr {s}"));
                self.nested(|d| d.ty(*ty));
            }
            ExprKind::Error => self.line(format_args!("ErrorExpr {s}")),
        }
    }

    fn ty(&mut self, id: TypeId) {
        let ast = self.ast;
        let t = ast.ty(id);
        let s = sp(t.span);
        match &t.kind {
            TypeKind::Elementary(e) => self.line(format_args!("Type {} {s}", e.canonical())),
            TypeKind::Var => self.line(format_args!("Type var {s}")),
            TypeKind::UserDefined(p) => self.line(format_args!("Type {} {s}", path(p))),
            TypeKind::Mapping {
                key,
                key_name,
                value,
                value_name,
            } => {
                self.line(format_args!("Mapping {s}"));
                self.nested(|d| {
                    d.ty(*key);
                    if let Some(n) = key_name {
                        d.line(format_args!("key_name {}", ident(n)));
                    }
                    d.ty(*value);
                    if let Some(n) = value_name {
                        d.line(format_args!("value_name {}", ident(n)));
                    }
                });
            }
            TypeKind::Array { element, size } => {
                self.line(format_args!("Array {s}"));
                self.nested(|d| {
                    d.ty(*element);
                    if let Some(x) = size {
                        d.labeled("size", |d| d.expr(*x));
                    }
                });
            }
            TypeKind::Function {
                params,
                returns,
                visibility,
                mutability,
            } => {
                self.line(format_args!(
                    "FunctionType {visibility:?} {mutability:?} {s}"
                ));
                self.nested(|d| {
                    d.decls("params", params);
                    d.decls("returns", returns);
                });
            }
            TypeKind::Error => self.line(format_args!("ErrorType {s}")),
        }
    }

    fn yul_stmt(&mut self, id: YulStmtId) {
        let ast = self.ast;
        let st = ast.yul_stmt(id);
        let s = sp(st.span);
        match &st.kind {
            YulStmtKind::Block(list) => {
                self.line(format_args!("YulBlock {s}"));
                self.nested(|d| {
                    for &x in list {
                        d.yul_stmt(x);
                    }
                });
            }
            YulStmtKind::Let { names, value } => {
                let names: Vec<_> = names.iter().map(ident).collect();
                self.line(format_args!("YulLet [{}] {s}", names.join(", ")));
                if let Some(v) = value {
                    self.nested(|d| d.yul_expr(*v));
                }
            }
            YulStmtKind::Assign { targets, value } => {
                let t: Vec<String> = targets
                    .iter()
                    .map(|p| {
                        p.iter()
                            .map(|i| i.name.as_str())
                            .collect::<Vec<_>>()
                            .join(".")
                    })
                    .collect();
                self.line(format_args!("YulAssign {t:?} {s}"));
                if let Some(v) = value {
                    self.nested(|d| d.yul_expr(*v));
                }
            }
            YulStmtKind::Expr(e) => {
                self.line(format_args!("YulExprStmt {s}"));
                self.nested(|d| d.yul_expr(*e));
            }
            YulStmtKind::If { cond, body } => {
                self.line(format_args!("YulIf {s}"));
                self.nested(|d| {
                    d.yul_expr(*cond);
                    d.yul_stmt(*body);
                });
            }
            YulStmtKind::For {
                init,
                cond,
                post,
                body,
            } => {
                self.line(format_args!("YulFor {s}"));
                self.nested(|d| {
                    d.yul_stmt(*init);
                    d.yul_expr(*cond);
                    d.yul_stmt(*post);
                    d.yul_stmt(*body);
                });
            }
            YulStmtKind::Switch { expr, cases } => {
                self.line(format_args!("YulSwitch {s}"));
                self.nested(|d| {
                    d.yul_expr(*expr);
                    for c in cases {
                        match c.value {
                            Some(v) => {
                                d.line(format_args!("Case {}", sp(c.span)));
                                d.nested(|d| {
                                    d.yul_expr(v);
                                    d.yul_stmt(c.body);
                                });
                            }
                            None => {
                                d.line(format_args!("Default {}", sp(c.span)));
                                d.nested(|d| d.yul_stmt(c.body));
                            }
                        }
                    }
                });
            }
            YulStmtKind::FunctionDef {
                name,
                params,
                returns,
                body,
            } => {
                let p: Vec<_> = params.iter().map(|i| i.name.as_str()).collect();
                let r: Vec<_> = returns.iter().map(|i| i.name.as_str()).collect();
                self.line(format_args!(
                    "YulFunction {} {p:?} -> {r:?} {s}",
                    ident(name)
                ));
                self.nested(|d| d.yul_stmt(*body));
            }
            YulStmtKind::Leave => self.line(format_args!("YulLeave {s}")),
            YulStmtKind::Break => self.line(format_args!("YulBreak {s}")),
            YulStmtKind::Continue => self.line(format_args!("YulContinue {s}")),
            YulStmtKind::Label(l) => self.line(format_args!("YulLabel {}", ident(l))),
            YulStmtKind::Error => self.line(format_args!("YulError {s}")),
        }
    }

    fn yul_expr(&mut self, id: YulExprId) {
        let ast = self.ast;
        let e = ast.yul_expr(id);
        let s = sp(e.span);
        match &e.kind {
            YulExprKind::Path(p) => {
                let p: Vec<_> = p.iter().map(|i| i.name.as_str()).collect();
                self.line(format_args!("YulPath {:?} {s}", p.join(".")));
            }
            YulExprKind::Call {
                function,
                builtin,
                args,
            } => {
                let b = if *builtin { " builtin" } else { "" };
                self.line(format_args!("YulCall {}{b} {s}", ident(function)));
                self.nested(|d| {
                    for &a in args {
                        d.yul_expr(a);
                    }
                });
            }
            YulExprKind::Literal(t) => self.line(format_args!("YulLiteral {t:?} {s}")),
            YulExprKind::Error => self.line(format_args!("YulErrorExpr {s}")),
        }
    }
}
