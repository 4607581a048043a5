//! Solidity front-end: tree-sitter CST lowered into a typed, arena-allocated AST.
//!
//! CONTRACT (other crates rely on these names; keep them):
//! - [`Span`]: byte range `lo..hi` into one source text.
//! - [`LineIndex`]: maps byte offsets to 1-based line and column.
//! - [`parse`]: never fails, never panics; returns a [`Parse`].
//! - [`Parse::imports`]: the import directives of the file, in source order.
//! - [`Parse::diagnostics`]: syntax diagnostics with spans.

mod line_index;
mod span;

pub use line_index::{LineCol, LineIndex};
pub use span::Span;

/// Index of a source file in one analysed set (assigned by the `project` crate).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FileId(pub u32);

/// One import directive, as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportDirective {
    /// The import path without quotes, e.g. `@openzeppelin/contracts/token/ERC20/ERC20.sol`.
    pub path: String,
    /// Span of the quoted path literal.
    pub path_span: Span,
    /// Span of the whole directive.
    pub span: Span,
}

/// A syntax diagnostic.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxDiagnostic {
    pub span: Span,
    pub message: String,
}

/// The result of parsing one file. PLACEHOLDER: replaced by the real lowering.
#[derive(Debug, Default)]
pub struct Parse {
    imports: Vec<ImportDirective>,
    diagnostics: Vec<SyntaxDiagnostic>,
}

impl Parse {
    pub fn imports(&self) -> &[ImportDirective] {
        &self.imports
    }
    pub fn diagnostics(&self) -> &[SyntaxDiagnostic] {
        &self.diagnostics
    }
}

/// Parses and lowers one Solidity source text.
pub fn parse(_text: &str) -> Parse {
    Parse::default()
}
