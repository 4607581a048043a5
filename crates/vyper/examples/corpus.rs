//! Parses every `.vy` / `.vyi` file under a directory and prints how many parse
//! without an error, the total time and the per-file time distribution:
//! `cargo run --release -p vyper --example corpus -- ../shared/corpus/vyper [--list-errors] [--repeat N] [--threads N]`.
//!
//! Files are read into memory first; only parsing is timed. With `--repeat N`
//! each file is parsed N times and its time is the fastest run. With
//! `--threads N` it also reports the wall time of parsing the whole corpus on
//! one thread and on N threads (files dealt round-robin; the best of the
//! repeats). With
//! `--counts` it prints instead, per function, its path, name, statement count
//! (nested blocks included, docstrings excluded), statement shape and counts of
//! calls, attributes, subscripts and binary operations, tab-separated: the
//! input of `scripts/python_ast_agreement.py`. With `--canonical` it prints,
//! per function, every statement and expression in a canonical S-expression
//! form (literals as `L`, `extcall`/`staticcall` and `log` transparent, loop
//! variable types dropped), the input of `scripts/python_ast_agreement.py
//! --canonical`.
#![allow(clippy::disallowed_methods, clippy::print_stdout)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, out);
        } else if path.extension().is_some_and(|e| e == "vy" || e == "vyi") {
            out.push(path);
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dir = args
        .iter()
        .find(|a| !a.starts_with("--") && a.parse::<u32>().is_err())
        .cloned()
        .unwrap_or_else(|| "../shared/corpus/vyper".to_string());
    let list_errors = args.iter().any(|a| a == "--list-errors");
    let counts = args.iter().any(|a| a == "--counts");
    let canonical_form = args.iter().any(|a| a == "--canonical");
    let repeat: u32 = args
        .iter()
        .position(|a| a == "--repeat")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(1)
        .max(1);
    if !Path::new(&dir).is_dir() {
        println!("skipped: no corpus at {dir}");
        return;
    }
    let mut paths = Vec::new();
    collect(Path::new(&dir), &mut paths);
    paths.sort();
    let sources: Vec<(PathBuf, String)> = paths
        .into_iter()
        .filter_map(|p| {
            let bytes = std::fs::read(&p).ok()?;
            Some((p, String::from_utf8_lossy(&bytes).into_owned()))
        })
        .collect();
    if canonical_form {
        for (path, text) in &sources {
            let parse = vyper::parse(text);
            let ast = parse.ast();
            let rel = path.strip_prefix(&dir).unwrap_or(path);
            println!(
                "{}\t<module>\t{}",
                rel.display(),
                canonical::module(ast).join(" ; ")
            );
            for f in ast.functions() {
                let mut out = Vec::new();
                canonical::block(ast, &f.body, &mut out);
                println!(
                    "{}\t{}\t{}",
                    rel.display(),
                    f.name.as_str(),
                    out.join(" ; ")
                );
            }
        }
        return;
    }
    if counts {
        for (path, text) in &sources {
            let parse = vyper::parse(text);
            let ast = parse.ast();
            let rel = path.strip_prefix(&dir).unwrap_or(path);
            for f in ast.functions() {
                let mut shape = String::new();
                let mut nodes = [0usize; 4];
                shape_of(ast, &f.body, &mut shape, &mut nodes);
                println!(
                    "{}\t{}\t{}\t{shape}\t{}\t{}\t{}\t{}",
                    rel.display(),
                    f.name.as_str(),
                    count(ast, &f.body),
                    nodes[0],
                    nodes[1],
                    nodes[2],
                    nodes[3]
                );
            }
        }
        return;
    }
    let bytes: usize = sources.iter().map(|(_, s)| s.len()).sum();
    let mut times = Vec::with_capacity(sources.len());
    let mut clean = 0;
    let mut functions = 0;
    let mut statements = 0;
    let mut failures = Vec::new();
    for (path, text) in &sources {
        let mut best = Duration::MAX;
        let mut parse = None;
        for _ in 0..repeat {
            let start = Instant::now();
            let p = vyper::parse(text);
            best = best.min(start.elapsed());
            parse = Some(p);
        }
        let Some(parse) = parse else { continue };
        times.push(best);
        functions += parse.ast().functions().count();
        statements += parse.ast().stmts().count();
        if parse.is_clean() {
            clean += 1;
        } else {
            failures.push((path, text, parse));
        }
    }
    let threads: usize = args
        .iter()
        .position(|a| a == "--threads")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    let mut thread_counts = vec![1, threads];
    thread_counts.dedup();
    for threads in thread_counts.into_iter().filter(|_| threads > 0) {
        let mut best = Duration::MAX;
        for _ in 0..repeat {
            let start = Instant::now();
            std::thread::scope(|scope| {
                for t in 0..threads {
                    let sources = &sources;
                    scope.spawn(move || {
                        for (_, text) in sources.iter().skip(t).step_by(threads) {
                            std::hint::black_box(vyper::parse(text));
                        }
                    });
                }
            });
            best = best.min(start.elapsed());
        }
        println!(
            "{threads} threads: {:.1} ms wall, {:.1} MB/s",
            best.as_secs_f64() * 1e3,
            bytes_total(&sources) as f64 / 1e6 / best.as_secs_f64().max(1e-9)
        );
    }
    let total: Duration = times.iter().sum();
    times.sort();
    let pct = |q: f64| {
        let i = ((times.len() as f64 * q).ceil() as usize).clamp(1, times.len().max(1)) - 1;
        times.get(i).copied().unwrap_or_default()
    };
    let n = sources.len();
    println!("corpus: {dir}");
    println!(
        "files: {n}, parsed with no error: {clean} ({:.1}%), functions: {functions}, statements: {statements}",
        100.0 * clean as f64 / n.max(1) as f64
    );
    println!(
        "bytes: {:.2} MB, total parse time: {:.1} ms, throughput: {:.1} MB/s",
        bytes as f64 / 1e6,
        total.as_secs_f64() * 1e3,
        bytes as f64 / 1e6 / total.as_secs_f64().max(1e-9)
    );
    println!(
        "per file: p50 {:.1} µs, p95 {:.1} µs, max {:.1} µs",
        pct(0.50).as_secs_f64() * 1e6,
        pct(0.95).as_secs_f64() * 1e6,
        times.last().copied().unwrap_or_default().as_secs_f64() * 1e6
    );
    for (path, text, parse) in &failures {
        let index = vyper::LineIndex::new(text);
        let errors: Vec<_> = parse.errors().collect();
        println!("FAIL {} ({} errors)", path.display(), errors.len());
        let shown = if list_errors { errors.len() } else { 1 };
        for d in errors.iter().take(shown) {
            let lc = index.line_col(text, d.span.lo);
            println!("  {}:{}: {}", lc.line, lc.col, d.message);
        }
    }
}

/// Statements in a block, nested blocks included (an `elif` is a nested `if`).
fn count(ast: &vyper::ast::Ast, block: &[vyper::ast::StmtId]) -> usize {
    use vyper::ast::StmtKind;
    block
        .iter()
        .map(|&s| {
            1 + match &ast.stmt(s).kind {
                StmtKind::If { then, orelse, .. } => count(ast, then) + count(ast, orelse),
                StmtKind::For { body, .. } => count(ast, body),
                _ => 0,
            }
        })
        .sum()
}

/// The statement kinds of a block as a string (`=`, `+=`, `:`, `if(..|..)`,
/// `for(..)`, ...) and the counts of calls, attributes, subscripts and binary
/// operations in it.
fn shape_of(
    ast: &vyper::ast::Ast,
    block: &[vyper::ast::StmtId],
    out: &mut String,
    nodes: &mut [usize; 4],
) {
    use vyper::ast::StmtKind;
    for &s in block {
        match &ast.stmt(s).kind {
            // The Python side drops the loop variable's type (`for x: T in`).
            StmtKind::For { target, iter, .. } => {
                count_nodes(ast, *target, nodes);
                count_nodes(ast, *iter, nodes);
            }
            _ => ast.for_each_stmt_expr(s, |e| count_nodes(ast, e, nodes)),
        }
        match &ast.stmt(s).kind {
            StmtKind::Expr(_) | StmtKind::Log(_) => out.push('e'),
            StmtKind::Assign { .. } => out.push('='),
            StmtKind::AugAssign { .. } => out.push('+'),
            StmtKind::AnnAssign { .. } => out.push(':'),
            StmtKind::If { then, orelse, .. } => {
                out.push_str("if(");
                shape_of(ast, then, out, nodes);
                out.push('|');
                shape_of(ast, orelse, out, nodes);
                out.push(')');
            }
            StmtKind::For { body, .. } => {
                out.push_str("for(");
                shape_of(ast, body, out, nodes);
                out.push(')');
            }
            StmtKind::Assert { .. } => out.push('a'),
            StmtKind::Raise(_) => out.push('r'),
            StmtKind::Return(_) => out.push('R'),
            StmtKind::Pass => out.push('p'),
            StmtKind::Break => out.push('b'),
            StmtKind::Continue => out.push('c'),
            StmtKind::Error => out.push('!'),
        }
    }
}

fn count_nodes(ast: &vyper::ast::Ast, e: vyper::ast::ExprId, nodes: &mut [usize; 4]) {
    use vyper::ast::ExprKind;
    match &ast.expr(e).kind {
        ExprKind::Call { .. } => nodes[0] += 1,
        ExprKind::Attribute { .. } => nodes[1] += 1,
        ExprKind::Subscript { .. } => nodes[2] += 1,
        ExprKind::Binary { .. } => nodes[3] += 1,
        _ => {}
    }
    ast.for_each_child_expr(e, |c| count_nodes(ast, c, nodes));
}

fn bytes_total(sources: &[(PathBuf, String)]) -> usize {
    sources.iter().map(|(_, s)| s.len()).sum()
}

/// The canonical form shared with `scripts/python_ast_agreement.py`.
mod canonical {
    use vyper::ast::{
        Ast, BoolOp, ExprId, ExprKind, Field, ItemKind, Param, StmtId, StmtKind, UnaryOp,
        VarLocation,
    };

    /// The module-level declarations, one canonical line each (events,
    /// structs, flags and interfaces as `class`, as the Python side sees them).
    pub(crate) fn module(ast: &Ast) -> Vec<String> {
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

    pub(crate) fn block(ast: &Ast, stmts: &[StmtId], out: &mut Vec<String>) {
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

    pub(crate) fn expr(ast: &Ast, id: ExprId) -> String {
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
}
