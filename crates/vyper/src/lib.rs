//! Vyper front-end: an indentation-aware lexer and a recursive-descent parser
//! (Pratt loop for expressions) into a typed AST, for Vyper 0.2, 0.3 and 0.4
//! (0.1 betas and 0.5 pre-releases are read with a warning).
//!
//! CONTRACT:
//! - [`parse`] never fails and never panics; it returns a [`Parse`] with the
//!   [`ast::Ast`], the comments, the pragmas and the diagnostics.
//! - Every node has a byte [`Span`]; [`LineIndex`] gives line and column.
//! - One broken declaration or statement is one diagnostic and is skipped to
//!   the end of its line (and its block); the rest of the file is parsed.
//! - Nesting deeper than [`MAX_NESTING`] (expressions and blocks) is a
//!   diagnostic and an `Error` node, never a stack overflow; every recursive
//!   walk over the AST is therefore bounded too.
//! - No IO (`clippy.toml` bans `std::fs`, `std::env` and `std::process`).

pub mod ast;
mod builtins;
pub mod canonical;
mod diagnostic;
pub mod dump;
mod lexer;
mod parser;
pub mod pragma;
pub mod summary;
mod types;

pub use builtins::{Builtin, EnvVar};
pub use diagnostic::{Diagnostic, Severity};
pub use lexer::{Comment, NumberKind};
// Positions in source text are the same for both languages: the Solidity front-end's types.
pub use syntax::{LineCol, LineIndex, Span};
pub use types::TypeShape;

use pragma::{Pragma, PragmaKind, Version, VersionReq};

/// How deeply expressions and blocks may nest before the subtree is replaced
/// by an `Error` node with a "nesting too deep" diagnostic (left-nested
/// chains such as `a + b + ...` and `elif` chains count too). Far above what
/// real contracts need; the robustness tests parse, dump and summarize
/// 10,000-deep input on a 2 MiB thread stack in debug builds.
pub const MAX_NESTING: u32 = 200;

/// The oldest and newest minor releases parsed without a warning.
const SUPPORTED: (Version, Version) = (Version::new(0, 2, 0), Version::new(0, 4, u32::MAX));

/// The result of parsing one file.
#[derive(Debug, Default)]
pub struct Parse {
    ast: ast::Ast,
    comments: Vec<Comment>,
    pragmas: Vec<Pragma>,
    diagnostics: Vec<Diagnostic>,
}

impl Parse {
    /// The typed AST.
    pub fn ast(&self) -> &ast::Ast {
        &self.ast
    }

    /// Every `#` comment, in source order (suppressions and pragmas live there).
    pub fn comments(&self) -> &[Comment] {
        &self.comments
    }

    /// The pragma comments, in source order.
    pub fn pragmas(&self) -> &[Pragma] {
        &self.pragmas
    }

    /// Diagnostics (errors and warnings), in source order.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    /// The error diagnostics.
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics.iter().filter(|d| d.is_error())
    }

    /// True when no error was reported (warnings allowed).
    pub fn is_clean(&self) -> bool {
        self.errors().next().is_none()
    }

    /// The version requirement of the file's version pragma, if it has a readable one.
    pub fn version_req(&self) -> Option<&VersionReq> {
        self.pragmas.iter().find_map(|p| match &p.kind {
            PragmaKind::Version { req, .. } => req.as_ref(),
            _ => None,
        })
    }

    /// The lowest compiler version the version pragma admits.
    pub fn lowest_version(&self) -> Option<Version> {
        self.version_req().and_then(VersionReq::lowest)
    }

    /// `Some(true)` with `# pragma nonreentrancy on`, `Some(false)` with `off`.
    pub fn nonreentrancy_pragma(&self) -> Option<bool> {
        self.pragmas.iter().find_map(|p| match p.kind {
            PragmaKind::NonReentrancy { on } => Some(on),
            _ => None,
        })
    }
}

/// Parses one Vyper source text. Never fails, never panics.
pub fn parse(text: &str) -> Parse {
    // Spans are u32: a larger text is cut (with a diagnostic) rather than wrapped.
    let (text, too_long) = if text.len() > u32::MAX as usize / 2 {
        let mut end = u32::MAX as usize / 2;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        (&text[..end], true)
    } else {
        (text, false)
    };
    let mut diagnostics = Vec::new();
    if too_long {
        diagnostics.push(Diagnostic::error(
            Span::new(0, 0),
            "file too large: only the first 2 GiB are parsed",
        ));
    }
    let lexed = lexer::lex(text, &mut diagnostics);
    let mut parser = parser::Parser::new(text, lexed.tokens, &mut diagnostics);
    parser.parse_module();
    let ast = parser.ast;
    let mut pragmas = Vec::new();
    for comment in &lexed.comments {
        match pragma::from_comment(comment, text) {
            Some(Ok(p)) => pragmas.push(p),
            Some(Err(message)) => diagnostics.push(Diagnostic::error(comment.span, message)),
            None => {}
        }
    }
    for again in pragmas
        .iter()
        .filter(|p| matches!(p.kind, PragmaKind::Version { .. }))
        .skip(1)
    {
        diagnostics.push(Diagnostic::error(
            again.span,
            "a second version pragma: the compiler accepts only one",
        ));
    }
    if let Some(p) = pragmas
        .iter()
        .find(|p| matches!(p.kind, PragmaKind::Version { .. }))
        && let PragmaKind::Version {
            req: Some(req),
            text: req_text,
            ..
        } = &p.kind
        && let Some(lowest) = req.lowest()
    {
        if lowest < SUPPORTED.0 {
            diagnostics.push(Diagnostic::warning(
                p.span,
                format!(
                    "Vyper `{req_text}` predates 0.2: read with the 0.2 grammar and legacy forms, analyses may be incomplete"
                ),
            ));
        } else if lowest > SUPPORTED.1 {
            diagnostics.push(Diagnostic::warning(
                p.span,
                format!("Vyper `{req_text}` is newer than 0.4: read with the 0.4 grammar"),
            ));
        }
    }
    diagnostics.sort_by_key(|d| (d.span.lo, d.span.hi));
    Parse {
        ast,
        comments: lexed.comments,
        pragmas,
        diagnostics,
    }
}
