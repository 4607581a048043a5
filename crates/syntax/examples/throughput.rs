//! Parse+lower throughput on a directory of Solidity files:
//! `cargo run --release -p syntax --example throughput -- DIR`.
//!
//! Reads every `.sol` file under DIR into memory first, then times parsing and
//! lowering single-threaded and on all cores (rayon).
#![allow(clippy::disallowed_methods, clippy::print_stdout)]

use std::path::{Path, PathBuf};
use std::time::Instant;

use rayon::prelude::*;

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, out);
        } else if path.extension().is_some_and(|e| e == "sol") {
            out.push(path);
        }
    }
}

fn main() {
    let Some(dir) = std::env::args().nth(1) else {
        eprintln!("usage: throughput DIR");
        std::process::exit(2);
    };
    let verbose = std::env::args().any(|a| a == "--list-errors");
    let mut paths = Vec::new();
    collect(Path::new(&dir), &mut paths);
    paths.sort();
    let sources: Vec<(PathBuf, String)> = paths
        .into_iter()
        .filter_map(|p| {
            std::fs::read(&p)
                .ok()
                .map(|b| (p, String::from_utf8_lossy(&b).into_owned()))
        })
        .collect();
    let total: usize = sources.iter().map(|(_, s)| s.len()).sum();
    let mb = total as f64 / 1e6;

    let start = Instant::now();
    let mut with_errors = 0;
    let mut nodes = 0;
    for (path, s) in &sources {
        let parse = syntax::parse(s);
        nodes += parse.ast().exprs().count();
        if !parse.diagnostics().is_empty() {
            with_errors += 1;
            if verbose {
                let d = &parse.diagnostics()[0];
                println!(
                    "{}: {} at {}..{}",
                    path.display(),
                    d.message,
                    d.span.lo,
                    d.span.hi
                );
            }
        }
    }
    let single = start.elapsed().as_secs_f64();

    let start = Instant::now();
    let parallel_errors: usize = sources
        .par_iter()
        .map(|(_, s)| usize::from(!syntax::parse(s).diagnostics().is_empty()))
        .sum();
    let parallel = start.elapsed().as_secs_f64();
    assert_eq!(parallel_errors, with_errors);

    println!("files:                 {}", sources.len());
    println!("total:                 {mb:.2} MB");
    println!("files with diagnostics: {with_errors}");
    println!("expressions lowered:   {nodes}");
    println!(
        "single-threaded:       {:.2} s, {:.2} MB/s",
        single,
        mb / single
    );
    println!(
        "all cores ({} threads): {:.2} s, {:.2} MB/s",
        rayon::current_num_threads(),
        parallel,
        mb / parallel
    );
}
