//! Scans a directory of Solana programs: groups the `.rs` files into Cargo
//! packages, analyses each, prints one JSON line per finding and a totals line.
//!
//! Usage: `cargo run --release -p solana --example scan_dir -- DIR [--quiet] [--model]`
//! (`--quiet` prints only the totals line; `--model` adds one line per program
//! with its account model).

// An example is a binary at the edge: it reads the directory it is given.
#![allow(clippy::disallowed_methods)]

use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::time::Instant;

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().collect();
    entries.sort_by_key(|e| e.path());
    for e in entries {
        let path = e.path();
        let Ok(ft) = e.file_type() else { continue };
        if ft.is_dir() {
            let name = e.file_name();
            if name == "target" || name == ".git" || name == "node_modules" {
                continue;
            }
            walk(&path, out);
        } else if ft.is_file() {
            out.push(path);
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(root) = args.iter().find(|a| !a.starts_with("--")).cloned() else {
        eprintln!("usage: scan_dir DIR [--quiet]");
        std::process::exit(2);
    };
    let quiet = args.iter().any(|a| a == "--quiet");
    let model = args.iter().any(|a| a == "--model");
    // A large stack for the worker: the parser is recursive.
    let worker = std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(move || scan(&root, quiet, model))
        .expect("spawn scan thread");
    let code = worker.join().unwrap_or(3);
    std::process::exit(code);
}

fn scan(root: &str, quiet: bool, model: bool) -> i32 {
    let root_path = Path::new(root);
    let mut all = Vec::new();
    walk(root_path, &mut all);
    let rel = |p: &Path| {
        p.strip_prefix(root_path)
            .unwrap_or(p)
            .to_string_lossy()
            .replace('\\', "/")
    };
    let paths: Vec<String> = all
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .map(|p| rel(p))
        .collect();
    let manifests: Vec<(String, String)> = all
        .iter()
        .filter(|p| p.file_name().is_some_and(|n| n == "Cargo.toml"))
        .filter_map(|p| Some((rel(p), std::fs::read_to_string(p).ok()?)))
        .collect();
    let packages = solana::group_packages(&paths, &manifests);
    let read = |pkg: &solana::PackageFiles| -> Vec<(String, String)> {
        pkg.files
            .iter()
            .filter_map(|f| {
                let bytes = std::fs::read(root_path.join(f)).ok()?;
                Some((f.clone(), String::from_utf8_lossy(&bytes).into_owned()))
            })
            .collect()
    };
    // Cargo workspaces (a manifest with `[workspace]`): the programs of each,
    // so that a CPI from one into another is resolved.
    let workspace_roots: Vec<&str> = manifests
        .iter()
        .filter(|(_, text)| text.lines().any(|l| l.trim() == "[workspace]"))
        .map(|(path, _)| path.rsplit_once('/').map(|(d, _)| d).unwrap_or(""))
        .collect();
    let workspace_of = |pkg: &solana::PackageFiles| -> Option<String> {
        workspace_roots
            .iter()
            .filter(|r| r.is_empty() || pkg.root == **r || pkg.root.starts_with(&format!("{r}/")))
            .max_by_key(|r| r.len())
            .map(|r| (*r).to_owned())
    };
    let mut workspaces: BTreeMap<String, solana::Workspace> = BTreeMap::new();
    for pkg in &packages {
        let Some(ws) = workspace_of(pkg) else {
            continue;
        };
        let sources = read(pkg);
        if let Ok(a) = catch_unwind(AssertUnwindSafe(|| {
            solana::analyze_package_with(&sources, pkg.options)
        })) {
            workspaces
                .entry(ws)
                .or_default()
                .add(pkg.name.as_deref(), &a.programs);
        }
        solana::release_span_memory();
    }
    let empty = solana::Workspace::new();
    let (mut files, mut bytes, mut panics, mut parse_errors) = (0usize, 0usize, 0usize, 0usize);
    let mut parse_secs = 0f64;
    let mut total_secs = 0f64;
    let mut by_rule: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
    let mut programs = 0usize;
    let mut instructions = 0usize;
    for pkg in &packages {
        let sources = read(pkg);
        let ws = workspace_of(pkg)
            .and_then(|w| workspaces.get(&w))
            .unwrap_or(&empty);
        files += sources.len();
        bytes += sources.iter().map(|(_, t)| t.len()).sum::<usize>();
        let t0 = Instant::now();
        let parsed = catch_unwind(AssertUnwindSafe(|| {
            sources
                .iter()
                .map(|(p, t)| solana::parse_file(p, t).diagnostics.len())
                .sum::<usize>()
        }));
        parse_secs += t0.elapsed().as_secs_f64();
        let t1 = Instant::now();
        let result = catch_unwind(AssertUnwindSafe(|| {
            solana::analyze_package_in(&sources, pkg.options, ws)
        }));
        total_secs += t1.elapsed().as_secs_f64();
        if parsed.is_err() {
            panics += 1;
        }
        let analysis = match result {
            Ok(a) => a,
            Err(_) => {
                panics += 1;
                eprintln!("PANIC in package {}", pkg.root);
                continue;
            }
        };
        programs += analysis.programs.len();
        if model {
            for p in &analysis.programs {
                let line =
                    serde_json::json!({"type": "program", "package": pkg.root, "program": p});
                println!("{line}");
            }
        }
        instructions += analysis
            .programs
            .iter()
            .map(|p| p.instructions.len())
            .sum::<usize>();
        for d in &analysis.diagnostics {
            if d.level == solana::DiagnosticLevel::Error {
                parse_errors += 1;
            }
            if !quiet {
                let line =
                    serde_json::json!({"type": "diagnostic", "package": pkg.root, "diagnostic": d});
                println!("{line}");
            }
        }
        for f in &analysis.findings {
            let class = solana::rule(f.rule_id).map(|r| r.class).unwrap_or("");
            *by_rule
                .entry(f.rule_id.to_owned())
                .or_default()
                .entry(f.severity.as_str().to_owned())
                .or_default() += 1;
            if !quiet {
                let line = serde_json::json!({"type": "finding", "package": pkg.root, "class": class, "finding": f});
                println!("{line}");
            }
        }
        drop(analysis);
        solana::release_span_memory();
    }
    let mb = bytes as f64 / 1e6;
    let totals = serde_json::json!({
        "type": "totals",
        "packages": packages.len(),
        "programs": programs,
        "instructions": instructions,
        "files": files,
        "bytes": bytes,
        "parse_errors": parse_errors,
        "parse_seconds": parse_secs,
        "parse_mb_per_s": if parse_secs > 0.0 { mb / parse_secs } else { 0.0 },
        "analysis_seconds": total_secs,
        "analysis_mb_per_s": if total_secs > 0.0 { mb / total_secs } else { 0.0 },
        "panics": panics,
        "findings_by_rule": by_rule,
    });
    println!("{totals}");
    if panics > 0 { 1 } else { 0 }
}
