//! Solidity front-end: tree-sitter CST lowered into a typed, arena-allocated AST.
//!
//! CONTRACT (other crates rely on these names; keep them):
//! - [`Span`]: byte range `lo..hi` into one source text.
//! - [`LineIndex`]: maps byte offsets to 1-based line and column.
//! - [`parse`]: never fails, never panics; returns a [`Parse`].
//! - [`Parse::imports`]: the import directives of the file, in source order.
//! - [`Parse::diagnostics`]: syntax diagnostics with spans.
//!
//! # Overview
//! [`parse`] runs tree-sitter-solidity and lowers its concrete tree into an
//! [`ast::Ast`]: arenas of items, statements, expressions, types and Yul nodes
//! indexed by typed ids, every node with a [`Span`]. Solidity 0.4 to 0.8 syntax
//! is accepted (legacy `throw`, `var`, `constant` functions, unnamed fallbacks,
//! constructors named after the contract, ...). Walk the tree with
//! [`visit::Visitor`]. tree-sitter types never leave this crate.
//!
//! Invariants: parsing never panics and never fails; tree-sitter `ERROR` and
//! `MISSING` nodes become [`SyntaxDiagnostic`]s; nesting deeper than
//! [`MAX_NESTING`] becomes a diagnostic and an `Error` node, so every recursive
//! walk over the AST is bounded. This crate does no IO.

pub mod ast;
mod comments;
pub mod dump;
mod line_index;
mod lower;
pub mod pragma;
mod span;
pub mod visit;

pub use comments::{Comment, CommentKind};
pub use line_index::{LineCol, LineIndex};
pub use pragma::{Version, VersionRange, VersionReq};
pub use span::Span;

use ast::{Ast, Ident, Pragma, SourceUnit};

/// How deeply statements, expressions, types and Yul nodes may nest before the
/// subtree is replaced by an `Error` node with a "nesting too deep" diagnostic.
///
/// Chosen so that lowering and visiting stay well within a 2 MiB thread stack
/// in debug builds: the robustness tests (lowering, visitor and dump on a
/// 2 MiB thread) pass at 256 and overflow at 384 in debug, so 200 keeps a margin.
pub const MAX_NESTING: u32 = 200;

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
    /// The unit alias: `A` in `import "a.sol" as A;` and `import * as A from "a.sol";`.
    pub alias: Option<Ident>,
    /// The imported symbols of `import {X, Y as Z} from "a.sol";` (or `import X from "a.sol";`).
    pub symbols: Vec<ImportSymbol>,
}

/// One symbol of `import {X, Y as Z} from "a.sol";`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportSymbol {
    /// The imported name (`Y`).
    pub name: Ident,
    /// The local alias (`Z`), if written.
    pub alias: Option<Ident>,
}

/// A syntax diagnostic.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxDiagnostic {
    /// Where the problem is.
    pub span: Span,
    /// What is wrong, e.g. "unexpected `}`" or "expected `;`".
    pub message: String,
}

/// The result of parsing one file: the AST, comments and syntax diagnostics.
#[derive(Debug, Default)]
pub struct Parse {
    ast: Ast,
    imports: Vec<ImportDirective>,
    comments: Vec<Comment>,
    diagnostics: Vec<SyntaxDiagnostic>,
}

impl Parse {
    /// The import directives of the file, in source order.
    pub fn imports(&self) -> &[ImportDirective] {
        &self.imports
    }

    /// Syntax diagnostics, in source order.
    pub fn diagnostics(&self) -> &[SyntaxDiagnostic] {
        &self.diagnostics
    }

    /// The typed AST.
    pub fn ast(&self) -> &Ast {
        &self.ast
    }

    /// The top-level items of the file.
    pub fn source_unit(&self) -> &SourceUnit {
        self.ast.source_unit()
    }

    /// Every comment (`//`, `/* */`, NatSpec `///`, `/** */`) in source order.
    pub fn comments(&self) -> &[Comment] {
        &self.comments
    }

    /// The `pragma` directives of the file.
    pub fn pragmas(&self) -> impl Iterator<Item = &Pragma> {
        self.ast.pragmas()
    }

    /// The version requirements of all `pragma solidity` directives that could be parsed.
    pub fn version_reqs(&self) -> impl Iterator<Item = &VersionReq> {
        self.pragmas().filter_map(|p| match p {
            Pragma::Solidity { req, .. } => req.as_ref(),
            Pragma::Other { .. } => None,
        })
    }

    /// The lowest compiler version the file's `pragma solidity` directives admit
    /// (with several pragmas, the highest of their lowest versions); `None`
    /// without a parsable, satisfiable solidity pragma.
    pub fn lowest_solidity_version(&self) -> Option<Version> {
        let mut lowest = None;
        for req in self.version_reqs() {
            let v = req.lowest()?;
            lowest = Some(lowest.map_or(v, |l: Version| l.max(v)));
        }
        lowest
    }

    /// True when some `pragma solidity` admits more than one version.
    pub fn has_floating_pragma(&self) -> bool {
        self.version_reqs().any(VersionReq::is_floating)
    }
}

/// Parses and lowers one Solidity source text. Never fails, never panics.
pub fn parse(text: &str) -> Parse {
    let lowered = lower::lower(text);
    Parse {
        ast: lowered.ast,
        imports: lowered.imports,
        comments: comments::scan(text),
        diagnostics: lowered.diagnostics,
    }
}
