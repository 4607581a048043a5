//! The real Vyper corpus, shared by the tests that read it.
#![allow(clippy::disallowed_methods, dead_code)]

use std::path::{Path, PathBuf};

/// `../shared/corpus/vyper` beside the repository, when it is there.
pub(crate) fn corpus_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/vyper");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("skipped: no corpus at {}", dir.display());
        None
    }
}

/// Every `.vy` and `.vyi` file below `dir`, sorted.
pub(crate) fn vyper_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    collect(dir, &mut out);
    out.sort();
    out
}

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
