//! Every real Vyper file of `../shared/corpus/vyper` parses without a panic,
//! and at least 98% parse with no error. Skipped (with a message) when the
//! corpus is absent. Figures and timing: `examples/vyper_corpus.rs`.
#![allow(clippy::disallowed_methods)]

use std::path::{Path, PathBuf};

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

#[test]
fn real_files_parse() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/vyper");
    if !dir.is_dir() {
        eprintln!("skipped: no corpus at {}", dir.display());
        return;
    }
    let mut paths = Vec::new();
    collect(&dir, &mut paths);
    paths.sort();
    let mut failures = Vec::new();
    for path in &paths {
        let Ok(bytes) = std::fs::read(path) else {
            continue;
        };
        let text = String::from_utf8_lossy(&bytes);
        let parse = vyper::parse(&text);
        let _ = vyper::summary::summarize(&parse, &text);
        if let Some(d) = parse.errors().next() {
            failures.push(format!("{}: {}", path.display(), d.message));
        }
    }
    let clean = paths.len() - failures.len();
    eprintln!("{clean}/{} files parsed with no error", paths.len());
    assert!(
        clean * 100 >= paths.len() * 98,
        "{clean}/{} clean; failures:\n{}",
        paths.len(),
        failures.join("\n")
    );
}
