//! Records the commit the binary is built from, for `web3audit --version`: the
//! `WEB3AUDIT_COMMIT` environment variable when set (builds from a source archive), else
//! `git rev-parse`, else `unknown`.

use std::path::Path;
use std::process::Command;

fn main() {
    let commit = std::env::var("WEB3AUDIT_COMMIT")
        .ok()
        .filter(|c| !c.trim().is_empty())
        .or_else(|| {
            let out = Command::new("git")
                .args(["rev-parse", "--short=12", "HEAD"])
                .output()
                .ok()?;
            let commit = String::from_utf8_lossy(&out.stdout).trim().to_owned();
            (out.status.success() && !commit.is_empty()).then_some(commit)
        })
        .unwrap_or_else(|| "unknown".to_owned());
    println!("cargo:rustc-env=WEB3AUDIT_COMMIT={commit}");
    println!("cargo:rerun-if-env-changed=WEB3AUDIT_COMMIT");
    // Build again when HEAD moves: the HEAD file and the branch it names (in a plain
    // checkout; elsewhere the commit is read at the next build of this crate).
    let git = Path::new("../../.git");
    let mut watched = vec![git.join("HEAD"), git.join("packed-refs")];
    if let Ok(head) = std::fs::read_to_string(git.join("HEAD"))
        && let Some(branch) = head.trim().strip_prefix("ref: ")
    {
        watched.push(git.join(branch));
    }
    for path in watched.iter().filter(|p| p.is_file()) {
        println!("cargo:rerun-if-changed={}", path.display());
    }
}
