//! On-chain monitoring.
//!
//! - [`config`]: the monitor file (TOML): monitors, contracts, rules.
//! - [`lang`]: the condition language of rules, type-checked against the ABI.
//! - [`abi`]: contract interfaces, and decoding of calls and logs.
//! - [`rules`]: monitors checked and compiled, ready to run.
//! - [`block`]: the blocks a monitor processes.
//! - [`suggest`]: monitor rules derived from the analysis of a contract.

pub mod abi;
pub mod block;
pub mod config;
pub mod engine;
pub mod eval;
pub mod lang;
pub mod rules;
pub mod suggest;

use std::path::Path;

/// A monitor file that cannot be used: where, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoadError {
    /// The TOML does not parse or does not have the monitor file's shape.
    #[error("{line}:{column}: {message}")]
    Syntax {
        line: usize,
        column: usize,
        message: String,
    },
    /// A monitor, contract or rule is wrong: `place` names it
    /// (`monitors[vault].rules[owner-changed].when`), `line`/`column` point into the
    /// condition when the mistake is there.
    #[error("{place}: {message}")]
    Invalid { place: String, message: String },
}

/// Reads and checks a monitor file (every rule compiled, every condition type-checked);
/// `base` is the directory relative ABI paths are read from (`None`: ABI files are not
/// allowed, as for monitors sent to the API).
pub fn load(text: &str, base: Option<&Path>) -> Result<config::MonitorFile, LoadError> {
    let file = parse(text)?;
    rules::compile(&file, base)?;
    Ok(file)
}

/// Reads a monitor file and compiles its monitors.
pub fn load_monitors(text: &str, base: Option<&Path>) -> Result<Vec<rules::Monitor>, LoadError> {
    rules::compile(&parse(text)?, base)
}

fn parse(text: &str) -> Result<config::MonitorFile, LoadError> {
    config::MonitorFile::parse(text).map_err(|error| {
        let (line, column) = error
            .span()
            .map(|span| line_column(text, span.start))
            .unwrap_or((1, 1));
        LoadError::Syntax {
            line,
            column,
            message: error.message().to_string(),
        }
    })
}

/// 1-based line and column (in characters) of byte `offset` in `text`.
pub(crate) fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}
