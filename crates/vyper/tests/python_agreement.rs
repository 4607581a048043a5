//! Every module and function of the real corpus has the same canonical form
//! as Python's own parser gives (after the keyword rewrite in
//! `scripts/python_ast_agreement.py`). Skipped, with a message, when the
//! corpus or `python3` is absent.
#![allow(clippy::disallowed_methods)]

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

#[test]
fn canonical_forms_match_pythons_parser() {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let Some(dir) = common::corpus_dir() else {
        return;
    };
    if Command::new("python3").arg("--version").output().is_err() {
        eprintln!("skipped: no python3");
        return;
    }
    let paths = common::vyper_files(&dir);
    let mut tsv = String::new();
    for path in &paths {
        let Ok(bytes) = std::fs::read(path) else {
            continue;
        };
        let text = String::from_utf8_lossy(&bytes);
        let parse = vyper::parse(&text);
        let rel = path.strip_prefix(&dir).unwrap_or(path);
        for (name, form) in vyper::canonical::file(parse.ast()) {
            tsv.push_str(&format!("{}\t{name}\t{form}\n", rel.display()));
        }
    }
    let tsv_path = std::env::temp_dir().join(format!("vyper-canonical-{}.tsv", std::process::id()));
    std::fs::File::create(&tsv_path)
        .and_then(|mut f| f.write_all(tsv.as_bytes()))
        .expect("write the canonical forms");
    let output = Command::new("python3")
        .arg(manifest.join("scripts/python_ast_agreement.py"))
        .arg("--canonical")
        .arg(&dir)
        .arg(&tsv_path)
        .stdin(Stdio::null())
        .output()
        .expect("run python3");
    let _ = std::fs::remove_file(&tsv_path);
    let report = String::from_utf8_lossy(&output.stdout);
    eprintln!("{report}");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let differences: Vec<&str> = report.lines().filter(|l| l.starts_with("  ")).collect();
    assert!(
        differences.is_empty(),
        "disagreements with Python's parser:\n{}",
        differences.join("\n")
    );
}
