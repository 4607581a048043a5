//! Parses every `.vy` / `.vyi` file under a directory and prints how many parse
//! without an error, the total time and the per-file time distribution:
//! `cargo run --release -p vyper --example vyper_corpus -- ../shared/corpus/vyper [--list-errors] [--repeat N] [--threads N]`.
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
//! --canonical` and of `scripts/compiler_ast_agreement.py`.
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
            let rel = path.strip_prefix(&dir).unwrap_or(path);
            for (name, form) in vyper::canonical::file(parse.ast()) {
                println!("{}\t{name}\t{form}", rel.display());
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
