//! Reading one Rust file: `syn` on the whole file, then item by item when the
//! whole file does not parse, behind a guard against stack-exhausting input.

use std::str::FromStr;

use proc_macro2::{Delimiter, TokenStream, TokenTree};

use crate::{Diagnostic, DiagnosticLevel, Location};

/// Deepest bracket nesting (`()`, `[]`, `{}`) accepted; deeper files are
/// refused with a diagnostic (real programs stay below 30).
pub const MAX_NESTING: usize = 128;

/// Longest run of operator characters between two statement or item
/// boundaries (`;`, `,`, `{`, `}`) accepted: a long `a + b + ...` chain is a
/// deep left-nested tree for every recursive walk.
pub const MAX_OPERATOR_RUN: usize = 2_000;

/// One parsed file: the items that could be read and the diagnostics.
#[derive(Clone, Debug)]
pub struct ParsedFile {
    pub name: String,
    /// Length of the source in bytes.
    pub len: usize,
    /// The file's items (all of them when the file parsed, otherwise those
    /// that parsed on their own).
    pub items: Vec<syn::Item>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Parses one file. Never panics; syntax errors become diagnostics.
pub fn parse_file(name: &str, text: &str) -> ParsedFile {
    let mut out = ParsedFile {
        name: name.to_owned(),
        len: text.len(),
        items: Vec::new(),
        diagnostics: Vec::new(),
    };
    if let Some((line, message)) = too_deep(text) {
        out.diagnostics.push(Diagnostic {
            level: DiagnosticLevel::Error,
            location: Location {
                file: name.to_owned(),
                line,
                column: 1,
                start: 0,
                end: 0,
            },
            message,
        });
        return out;
    }
    match syn::parse_file(text) {
        Ok(file) => out.items = file.items,
        Err(err) => {
            out.diagnostics.push(error(name, &err));
            out.items = items_one_by_one(name, text, &mut out.diagnostics);
        }
    }
    out
}

fn error(name: &str, err: &syn::Error) -> Diagnostic {
    Diagnostic {
        level: DiagnosticLevel::Error,
        location: Location::of(name, err.span()),
        message: format!("cannot parse: {err}"),
    }
}

/// The fallback: lexes the file and parses each top-level item on its own, so
/// that one construct `syn` does not know costs that item only.
fn items_one_by_one(name: &str, text: &str, diagnostics: &mut Vec<Diagnostic>) -> Vec<syn::Item> {
    // Shebang lines and inner attributes are not items; the lexer accepts them
    // as tokens and the chunks containing them are skipped below.
    let Ok(tokens) = TokenStream::from_str(text) else {
        // Unbalanced delimiters or a bad literal: the error of the whole-file
        // parse already says where.
        return Vec::new();
    };
    let trees: Vec<TokenTree> = tokens.into_iter().collect();
    let boundaries: Vec<usize> = trees
        .iter()
        .enumerate()
        .filter(|(i, tree)| match tree {
            TokenTree::Punct(p) => p.as_char() == ';',
            TokenTree::Group(g) => {
                g.delimiter() == Delimiter::Brace
                    && !matches!(trees.get(i + 1), Some(TokenTree::Punct(p)) if p.as_char() == ';' || p.as_char() == '.')
            }
            _ => false,
        })
        .map(|(i, _)| i)
        .collect();
    let parse = |from: usize, to: usize| {
        let chunk: TokenStream = trees
            .get(from..=to)
            .unwrap_or_default()
            .iter()
            .cloned()
            .collect();
        syn::parse2::<syn::Item>(chunk)
    };
    let mut items = Vec::new();
    let mut start = 0;
    let mut b = 0;
    while let Some(&end) = boundaries.get(b) {
        // An item may contain a brace group that looked like its end
        // (`const X: T = T { .. };`): try a few boundaries further.
        let found = (b..boundaries.len().min(b + 4))
            .find_map(|k| parse(start, boundaries[k]).ok().map(|item| (k, item)));
        match found {
            Some((k, item)) => {
                items.push(item);
                start = boundaries[k] + 1;
                b = k + 1;
            }
            None => {
                if let Err(err) = parse(start, end) {
                    let mut d = error(name, &err);
                    d.level = DiagnosticLevel::Warning;
                    d.message = format!("item skipped: {err}");
                    diagnostics.push(d);
                }
                start = end + 1;
                b += 1;
            }
        }
    }
    items
}

/// Whether the text nests brackets deeper than [`MAX_NESTING`] or has an
/// operator run longer than [`MAX_OPERATOR_RUN`], with the line where it does.
/// Strings, characters and comments are skipped roughly (conservatively).
fn too_deep(text: &str) -> Option<(u32, String)> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut run = 0usize;
    let mut line = 1u32;
    let mut i = 0usize;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'\n' => line = line.saturating_add(1),
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while bytes.get(i).is_some_and(|&c| c != b'\n') {
                    i += 1;
                }
                continue;
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i < bytes.len() && !(bytes[i] == b'*' && bytes.get(i + 1) == Some(&b'/')) {
                    if bytes[i] == b'\n' {
                        line = line.saturating_add(1);
                    }
                    i += 1;
                }
                i += 2;
                continue;
            }
            b'"' => {
                i += 1;
                while let Some(&c) = bytes.get(i) {
                    if c == b'\\' {
                        i += 2;
                        continue;
                    }
                    if c == b'\n' {
                        line = line.saturating_add(1);
                    }
                    if c == b'"' {
                        break;
                    }
                    i += 1;
                }
            }
            b'(' | b'[' | b'{' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Some((
                        line,
                        format!("nesting deeper than {MAX_NESTING} brackets; file not analysed"),
                    ));
                }
            }
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        match b {
            b'+' | b'-' | b'*' | b'/' | b'%' | b'&' | b'|' | b'^' | b'<' | b'>' | b'!' | b'=' => {
                run += 1;
                if run > MAX_OPERATOR_RUN {
                    return Some((
                        line,
                        format!(
                            "more than {MAX_OPERATOR_RUN} operators in one expression; file not analysed"
                        ),
                    ));
                }
            }
            b';' | b',' | b'{' | b'}' => run = 0,
            _ => {}
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broken_file_keeps_good_items() {
        let text = "fn good() {}\nfn bad( {}\nstruct S { a: u8 }\n";
        let parsed = parse_file("x.rs", text);
        assert!(!parsed.diagnostics.is_empty());
    }

    #[test]
    fn one_bad_item_costs_that_item() {
        let text = "fn good() {}\nfn bad() -> { }\nstruct S { a: u8 }\n";
        let parsed = parse_file("x.rs", text);
        assert_eq!(parsed.diagnostics[0].location.line, 2);
        assert_eq!(parsed.items.len(), 2);
    }

    #[test]
    fn deep_input_is_refused() {
        let text = format!("fn f() {{ {}1{} }}", "(".repeat(10_000), ")".repeat(10_000));
        let parsed = parse_file("x.rs", &text);
        assert!(parsed.items.is_empty());
        assert!(parsed.diagnostics[0].message.contains("nesting"));
        let chain = format!("fn f() {{ let a = 1{}; }}", " + 1".repeat(100_000));
        assert!(parse_file("x.rs", &chain).items.is_empty());
    }
}
