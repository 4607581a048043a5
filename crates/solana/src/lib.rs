//! Solana front-end and detectors: Rust sources of Anchor and native programs
//! read with `syn`, an account model per instruction, and detectors for the
//! Sealevel vulnerability classes.
//!
//! CONTRACT:
//! - No IO: sources come in as `(path, text)` pairs; `clippy.toml` bans
//!   `std::fs`, `std::env` and `std::process`.
//! - Never panics on user input. A file `syn` cannot parse is one diagnostic
//!   (with line and column) and contributes no items; the other files of the
//!   package are still analysed. Input nested deeper than [`MAX_NESTING`]
//!   brackets, or with an operator chain longer than [`MAX_OPERATOR_RUN`], is
//!   refused before `syn` sees it (a diagnostic), so that neither the parser nor
//!   the recursive walks can exhaust the stack.
//! - Positions: [`Location`] carries the file, 1-based line, 1-based column
//!   (in characters) and the byte range of the primary span.
//!
//! Entry points: [`parse_file`], [`analyze_package`] (with [`Options`]),
//! [`group_packages`] (a pure function over a listing), the [`RULES`] table.
//!
//! Span memory: `proc-macro2` keeps a per-thread map of every source parsed on
//! that thread. A long-running caller that analyses many packages on one
//! thread may call [`release_span_memory`] once it holds no [`ParsedFile`].

mod extract;
mod model;
mod package;
mod parse;
mod rules;
mod workspace;

pub use model::{
    Account, AccountKind, BumpSource, Callee, Checks, Cpi, CpiKind, Instruction, Pda, Program,
    ProgramId, ProgramKind, Usage,
};
pub use package::{PackageFiles, group_packages};
pub use parse::{MAX_NESTING, MAX_OPERATOR_RUN, ParsedFile, parse_file};
pub use rules::{RULES, Rule, rule, rule_doc};
pub use workspace::Workspace;

use serde::Serialize;

/// How bad a finding is if it is real.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Informational,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const fn as_str(self) -> &'static str {
        match self {
            Severity::Informational => "informational",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

/// How sure the detector is that the pattern it saw is the bug it names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    Low,
    Medium,
    High,
}

impl Confidence {
    pub const fn as_str(self) -> &'static str {
        match self {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        }
    }
}

/// A place in one file: 1-based line and column (characters), byte range.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize)]
pub struct Location {
    pub file: String,
    pub line: u32,
    pub column: u32,
    pub start: usize,
    pub end: usize,
}

impl Location {
    pub(crate) fn of(file: &str, span: proc_macro2::Span) -> Self {
        let start = span.start();
        let range = span.byte_range();
        Location {
            file: file.to_owned(),
            line: u32::try_from(start.line).unwrap_or(u32::MAX),
            column: u32::try_from(start.column.saturating_add(1)).unwrap_or(u32::MAX),
            start: range.start,
            end: range.end,
        }
    }
}

/// Whether a diagnostic stops a file from being analysed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DiagnosticLevel {
    Error,
    Warning,
}

/// A problem reading the input (not a finding about the program).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub level: DiagnosticLevel,
    pub location: Location,
    pub message: String,
}

/// One detector result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Kebab-case id with the `solana-` prefix; a key of [`RULES`].
    pub rule_id: &'static str,
    pub severity: Severity,
    pub confidence: Confidence,
    pub file: String,
    pub line: u32,
    pub column: u32,
    /// Byte range of the primary span in `file`.
    pub start: usize,
    pub end: usize,
    pub message: String,
    /// The instruction (Anchor handler or native processor function), when any.
    pub instruction: Option<String>,
    /// The account the finding is about, when any.
    pub account: Option<String>,
}

/// Settings that come from outside the Rust sources.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// `overflow-checks = true` in the release profile of the package or of
    /// its workspace: arithmetic panics instead of wrapping, so the unchecked
    /// arithmetic rule stays silent. [`group_packages`] reads it from the
    /// `Cargo.toml` texts.
    pub overflow_checks: bool,
}

/// Everything [`analyze_package`] learns about one Cargo package.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Analysis {
    pub programs: Vec<Program>,
    pub findings: Vec<Finding>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Analyses the `.rs` files of one Cargo package (paths are only labels).
/// Never panics; files that do not parse become diagnostics.
pub fn analyze_package(files: &[(String, String)]) -> Analysis {
    analyze_package_with(files, Options::default())
}

/// [`analyze_package`] with [`Options`].
pub fn analyze_package_with(files: &[(String, String)], options: Options) -> Analysis {
    analyze_package_in(files, options, &Workspace::new())
}

/// [`analyze_package_with`] for a package of a workspace whose other programs
/// are known (see [`Workspace::add`]): CPIs into them are resolved to the
/// callee instruction, and its signer requirements are taken into account.
pub fn analyze_package_in(
    files: &[(String, String)],
    options: Options,
    workspace: &Workspace,
) -> Analysis {
    let parsed: Vec<ParsedFile> = files
        .iter()
        .map(|(path, text)| parse_file(path, text))
        .collect();
    let mut diagnostics: Vec<Diagnostic> = parsed
        .iter()
        .flat_map(|p| p.diagnostics.iter().cloned())
        .collect();
    let index = extract::PackageIndex::build(&parsed);
    let mut ws = workspace.clone();
    ws.add_index(&index);
    let programs = index.programs(&ws);
    let mut findings = rules::run(&index, &programs, &ws, options);
    findings.sort_by(|a, b| {
        (&a.file, a.start, a.rule_id, &a.account).cmp(&(&b.file, b.start, b.rule_id, &b.account))
    });
    findings.dedup_by(|a, b| {
        a.rule_id == b.rule_id && a.file == b.file && a.start == b.start && a.account == b.account
    });
    diagnostics.extend(index.diagnostics.iter().cloned());
    Analysis {
        programs: programs.into_iter().map(|p| p.model).collect(),
        findings,
        diagnostics,
    }
}

/// Frees the span map `proc-macro2` keeps for the sources parsed on this
/// thread. Every [`ParsedFile`] made on this thread must be dropped first:
/// their spans become invalid.
pub fn release_span_memory() {
    proc_macro2::extra::invalidate_current_thread_spans();
}
