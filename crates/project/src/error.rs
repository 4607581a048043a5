//! Failures that leave nothing to analyse.

use std::path::PathBuf;

/// Loading failed as a whole. Problems with single files are
/// [`crate::ProjectDiagnostic`]s instead.
#[derive(Debug, thiserror::Error)]
pub enum ProjectError {
    #[error("input path `{}` does not exist", .0.display())]
    InputNotFound(PathBuf),
    #[error("input path `{}` cannot be accessed: {source}", .path.display())]
    InputUnreadable {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("no .sol or .vy files found in {}", display_list(.0))]
    NoSolidityFiles(Vec<PathBuf>),
    /// [`crate::LoadOptions::solana`] loading: no Solidity, Vyper or Solana program source.
    #[error(
        "no .sol or .vy files nor Rust sources of Solana programs found in {}",
        display_list(.0)
    )]
    NoSourceFiles(Vec<PathBuf>),
}

fn display_list(paths: &[PathBuf]) -> String {
    if paths.is_empty() {
        return "the inputs (none given)".to_owned();
    }
    paths
        .iter()
        .map(|p| format!("`{}`", p.display()))
        .collect::<Vec<_>>()
        .join(", ")
}
