//! Every real Vyper file of `../shared/corpus/vyper` parses without a panic,
//! and at least 98% parse with no error. Skipped (with a message) when the
//! corpus is absent. Figures and timing: `examples/vyper_corpus.rs`.
#![allow(clippy::disallowed_methods)]

mod common;

#[test]
fn real_files_parse() {
    let Some(dir) = common::corpus_dir() else {
        return;
    };
    let paths = common::vyper_files(&dir);
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
