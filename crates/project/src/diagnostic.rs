//! Diagnostics about loading: unresolved imports, unreadable files, bad configuration.

use syntax::{FileId, Span};

/// How serious a [`ProjectDiagnostic`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DiagnosticLevel {
    /// Something that analysis needed is missing (an import, a file).
    Error,
    /// Analysis goes on with a fallback (lossy text, default configuration).
    Warning,
}

/// What a [`ProjectDiagnostic`] is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DiagnosticKind {
    /// An import path that names no file; the span is the path literal.
    UnresolvedImport,
    /// A file or folder that could not be read.
    Io,
    /// A file that is not valid UTF-8; it was converted lossily and the span
    /// marks the first invalid byte.
    InvalidUtf8,
    /// A file larger than [`crate::LoadOptions::max_file_size`]; it was skipped.
    TooLarge,
    /// A configuration problem: `foundry.toml`, `remappings.txt`, a remapping
    /// or glob from the options, an input that is not a `.sol` file.
    Config,
}

/// A problem found while loading a project. Loading never stops at one: the
/// files that could be loaded are analysed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProjectDiagnostic {
    /// The loaded file the diagnostic points into (for an unresolved import,
    /// the importing file).
    pub file: Option<FileId>,
    /// Display path of the file concerned; set also when that file could not
    /// be loaded (`file` is then `None`).
    pub path: Option<String>,
    /// Where in `file` (for an unresolved import, the quoted path literal).
    pub span: Option<Span>,
    pub severity: DiagnosticLevel,
    /// One line, without trailing period, code in backticks.
    pub message: String,
    pub kind: DiagnosticKind,
}
