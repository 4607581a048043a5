//! A canonical text form of a module, shared with
//! `scripts/python_ast_agreement.py`, which prints the same form from Python's
//! own parser, and `scripts/compiler_ast_agreement.py`, which prints it from the
//! Vyper compiler's AST (`vyper -f ast`): names and attributes as written, literals as `L`, operators and
//! nesting as parsed, `extcall`/`staticcall` and `log` transparent, loop
//! variable types dropped, events, structs, flags and interfaces as `class`.
//! One line per declaration or statement.

use crate::ast::{
    Ast, BoolOp, ExprId, ExprKind, Field, ItemKind, Param, StmtId, StmtKind, UnaryOp, VarLocation,
};

/// The canonical form of a whole file: `("<module>", declarations)` then
/// `(function name, statements)` per function, each joined with ` ; `.
pub fn file(ast: &Ast) -> Vec<(String, String)> {
    let mut out = vec![("<module>".to_string(), module(ast).join(" ; "))];
    for f in ast.functions() {
        let mut lines = Vec::new();
        block(ast, &f.body, &mut lines);
        out.push((f.name.as_str().to_string(), lines.join(" ; ")));
    }
    out
}

/// The module-level declarations, one canonical line each (events,
/// structs, flags and interfaces as `class`, as the Python side sees them).
pub fn module(ast: &Ast) -> Vec<String> {
    let mut out = Vec::new();
    let opt = |e: Option<ExprId>| e.map_or_else(|| "_".to_string(), |e| expr(ast, e));
    let fields = |out: &mut Vec<String>, fields: &[Field]| {
        for f in fields {
            out.push(format!(
                "field {} {} {}",
                f.name.as_str(),
                expr(ast, f.ty),
                if f.indexed { "indexed" } else { "_" }
            ));
        }
    };
    let params = |params: &[Param]| {
        params
            .iter()
            .map(|p| format!("{}:{}={}", p.name.as_str(), expr(ast, p.ty), opt(p.default)))
            .collect::<Vec<_>>()
            .join(",")
    };
    for item in &ast.items {
        match &item.kind {
            ItemKind::Import(i) if i.names.is_empty() => out.push(format!(
                "import {} as {}",
                i.module,
                i.alias.as_ref().map_or("_", |a| a.as_str())
            )),
            ItemKind::Import(i) => {
                for n in &i.names {
                    out.push(format!(
                        "from {} import {} as {}",
                        i.module,
                        n.name.as_str(),
                        n.alias.as_ref().map_or("_", |a| a.as_str())
                    ));
                }
            }
            ItemKind::Implements(l)
            | ItemKind::Uses(l)
            | ItemKind::Initializes(l)
            | ItemKind::Exports(l) => {
                let head = match &item.kind {
                    ItemKind::Implements(_) => "implements",
                    ItemKind::Uses(_) => "uses",
                    ItemKind::Initializes(_) => "initializes",
                    _ => "exports",
                };
                out.push(format!("decl {head} {}", list(ast, "", l)));
            }
            ItemKind::Variable(v) => {
                let mut ty = expr(ast, v.ty);
                let location = match v.location {
                    VarLocation::Storage => None,
                    VarLocation::Transient => Some("transient"),
                    VarLocation::Immutable => Some("immutable"),
                    VarLocation::Constant => Some("constant"),
                };
                if let Some(loc) = location {
                    ty = format!("(call {loc} {ty})");
                }
                if v.reentrant {
                    ty = format!("(call reentrant {ty})");
                }
                if v.public {
                    ty = format!("(call public {ty})");
                }
                out.push(format!("var {} {ty} {}", v.name.as_str(), opt(v.value)));
            }
            ItemKind::Event(e) => {
                out.push(format!("class {}", e.name.as_str()));
                fields(&mut out, &e.fields);
            }
            ItemKind::Struct(st) => {
                out.push(format!("class {}", st.name.as_str()));
                fields(&mut out, &st.fields);
            }
            ItemKind::Flag(f) => {
                out.push(format!("class {}", f.name.as_str()));
                for m in &f.members {
                    out.push(format!("member {}", m.as_str()));
                }
            }
            ItemKind::Interface(i) => {
                out.push(format!("class {}", i.name.as_str()));
                for f in &i.functions {
                    out.push(format!(
                        "def {} {} {} {}",
                        f.name.as_str(),
                        params(&f.params),
                        opt(f.returns),
                        f.mutability.as_ref().map_or("_", |m| m.as_str())
                    ));
                }
            }
            ItemKind::Function(f) => {
                let decorators: Vec<String> = f
                    .decorators
                    .iter()
                    .map(|d| match &d.args {
                        None => d.name.as_str().to_string(),
                        Some(args) => list(ast, &format!("call {}", d.name.as_str()), args),
                    })
                    .collect();
                out.push(format!(
                    "def {} {} {} @{}",
                    f.name.as_str(),
                    params(&f.params),
                    opt(f.returns),
                    decorators.join("@")
                ));
            }
        }
    }
    out
}

/// The statements of a block, one canonical line each (nested blocks between
/// `if`/`else`/`end` and `for`/`end` lines).
pub fn block(ast: &Ast, stmts: &[StmtId], out: &mut Vec<String>) {
    for &s in stmts {
        let opt = |e: &Option<ExprId>| e.map_or_else(|| "_".to_string(), |e| expr(ast, e));
        match &ast.stmt(s).kind {
            StmtKind::Expr(e) | StmtKind::Log(e) => out.push(format!("e {}", expr(ast, *e))),
            StmtKind::Assign { target, value } => {
                out.push(format!("= {} {}", expr(ast, *target), expr(ast, *value)));
            }
            StmtKind::AugAssign { target, op, value } => out.push(format!(
                "+= {} {} {}",
                op.as_str(),
                expr(ast, *target),
                expr(ast, *value)
            )),
            StmtKind::AnnAssign { target, ty, value } => out.push(format!(
                ": {} {} {}",
                target.as_str(),
                expr(ast, *ty),
                opt(value)
            )),
            StmtKind::If { cond, then, orelse } => {
                out.push(format!("if {}", expr(ast, *cond)));
                block(ast, then, out);
                out.push("else".into());
                block(ast, orelse, out);
                out.push("end".into());
            }
            StmtKind::For {
                target, iter, body, ..
            } => {
                out.push(format!("for {} {}", expr(ast, *target), expr(ast, *iter)));
                block(ast, body, out);
                out.push("end".into());
            }
            StmtKind::Assert { cond, msg } => {
                out.push(format!("assert {} {}", expr(ast, *cond), opt(msg)))
            }
            StmtKind::Raise(v) => out.push(format!("raise {}", opt(v))),
            StmtKind::Return(v) => out.push(format!("return {}", opt(v))),
            StmtKind::Pass => out.push("pass".into()),
            StmtKind::Break => out.push("break".into()),
            StmtKind::Continue => out.push("continue".into()),
            StmtKind::Error => out.push("?".into()),
        }
    }
}

fn list(ast: &Ast, head: &str, items: &[ExprId]) -> String {
    let mut s = format!("({head}");
    for &i in items {
        s.push(' ');
        s.push_str(&expr(ast, i));
    }
    s.push(')');
    s
}

/// One expression in canonical form.
pub fn expr(ast: &Ast, id: ExprId) -> String {
    match &ast.expr(id).kind {
        ExprKind::Name(n) => n.as_str().to_string(),
        ExprKind::Number(_) | ExprKind::Str(_) => "L".into(),
        ExprKind::Bool(b) => if *b { "True" } else { "False" }.into(),
        ExprKind::Ellipsis => "...".into(),
        ExprKind::Attribute { base, attr } => {
            format!("(. {} {})", expr(ast, *base), attr.as_str())
        }
        ExprKind::Subscript { base, index } => {
            format!("([] {} {})", expr(ast, *base), expr(ast, *index))
        }
        ExprKind::Call {
            func,
            args,
            keywords,
        } => {
            let mut s = format!("(call {}", expr(ast, *func));
            for &a in args {
                s.push(' ');
                s.push_str(&expr(ast, a));
            }
            for k in keywords {
                s.push_str(&format!(" {}={}", k.name.as_str(), expr(ast, k.value)));
            }
            s.push(')');
            s
        }
        ExprKind::Unary { op, operand } => {
            let op = match op {
                UnaryOp::Neg => "-",
                UnaryOp::Pos => "+",
                UnaryOp::Invert => "~",
                UnaryOp::Not => "not",
            };
            format!("({op} {})", expr(ast, *operand))
        }
        ExprKind::Binary { op, lhs, rhs } => {
            format!("({} {} {})", op.as_str(), expr(ast, *lhs), expr(ast, *rhs))
        }
        ExprKind::Logical { op, lhs, rhs } => format!(
            "({} {} {})",
            if *op == BoolOp::And { "and" } else { "or" },
            expr(ast, *lhs),
            expr(ast, *rhs)
        ),
        ExprKind::Compare { op, lhs, rhs } => {
            format!("({} {} {})", op.as_str(), expr(ast, *lhs), expr(ast, *rhs))
        }
        ExprKind::IfExp { body, cond, orelse } => format!(
            "(if {} {} {})",
            expr(ast, *cond),
            expr(ast, *body),
            expr(ast, *orelse)
        ),
        ExprKind::Tuple(items) => list(ast, "tuple", items),
        ExprKind::List(items) => list(ast, "list", items),
        ExprKind::Dict(pairs) => {
            let flat: Vec<ExprId> = pairs.iter().flat_map(|&(k, v)| [k, v]).collect();
            list(ast, "dict", &flat)
        }
        ExprKind::ExtCall(inner) | ExprKind::StaticCall(inner) => expr(ast, *inner),
        ExprKind::Walrus { target, value } => {
            format!("(:= {} {})", expr(ast, *target), expr(ast, *value))
        }
        ExprKind::Error => "?".into(),
    }
}
