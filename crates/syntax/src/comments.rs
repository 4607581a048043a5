//! Comments, found by a light scan of the source that skips string literals.

use crate::Span;

/// What kind of comment a [`Comment`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CommentKind {
    /// `// ...`
    Line,
    /// `/* ... */`
    Block,
    /// NatSpec `/// ...`
    DocLine,
    /// NatSpec `/** ... */`
    DocBlock,
    /// `# ...`: never produced by the Solidity scanner; the comments of Vyper sources,
    /// so that suppression comments read the same in both languages.
    Hash,
}

/// A comment with its span (covering the delimiters).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Comment {
    /// Line, block, or NatSpec.
    pub kind: CommentKind,
    /// Span including `//`, `/*` and `*/`.
    pub span: Span,
}

impl Comment {
    /// True for NatSpec comments (`///` and `/** */`).
    pub fn is_doc(&self) -> bool {
        matches!(self.kind, CommentKind::DocLine | CommentKind::DocBlock)
    }

    /// The comment text without its delimiters (`//`, `///`, `/*`, `/**`, `*/`).
    pub fn body<'s>(&self, source: &'s str) -> &'s str {
        let text = self.span.text(source);
        match self.kind {
            CommentKind::Line => text.get(2..).unwrap_or(""),
            CommentKind::Hash => text.get(1..).unwrap_or(""),
            CommentKind::DocLine => text.get(3..).unwrap_or(""),
            CommentKind::Block => {
                let t = text.get(2..).unwrap_or("");
                t.strip_suffix("*/").unwrap_or(t)
            }
            CommentKind::DocBlock => {
                let t = text.get(3..).unwrap_or("");
                t.strip_suffix("*/").unwrap_or(t)
            }
        }
    }
}

/// Finds every comment of `source`, in order. String literals (`"..."`, `'...'`,
/// including `hex` and `unicode` ones) are skipped so that `"//"` is not a comment.
pub(crate) fn scan(source: &str) -> Vec<Comment> {
    let bytes = source.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        // Jump to the next byte that can start a comment or a string.
        match memchr3(b'/', b'"', b'\'', &bytes[i..]) {
            Some(off) => i += off,
            None => break,
        }
        let b = bytes[i];
        if b == b'"' || b == b'\'' {
            i += 1;
            while i < bytes.len() && bytes[i] != b && bytes[i] != b'\n' {
                i += if bytes[i] == b'\\' { 2 } else { 1 };
            }
            i += 1;
            continue;
        }
        match bytes.get(i + 1) {
            Some(b'/') => {
                let start = i;
                let end = bytes[i..]
                    .iter()
                    .position(|&c| c == b'\n')
                    .map_or(bytes.len(), |p| i + p);
                let end = if end > start && bytes.get(end - 1) == Some(&b'\r') {
                    end - 1
                } else {
                    end
                };
                let doc = bytes.get(i + 2) == Some(&b'/') && bytes.get(i + 3) != Some(&b'/');
                out.push(Comment {
                    kind: if doc {
                        CommentKind::DocLine
                    } else {
                        CommentKind::Line
                    },
                    span: span(start, end),
                });
                i = end;
            }
            Some(b'*') => {
                let start = i;
                let end = find(&bytes[i + 2..], b"*/").map_or(bytes.len(), |p| i + 2 + p + 2);
                let doc = bytes.get(i + 2) == Some(&b'*')
                    && !matches!(bytes.get(i + 3), Some(b'*' | b'/'));
                out.push(Comment {
                    kind: if doc {
                        CommentKind::DocBlock
                    } else {
                        CommentKind::Block
                    },
                    span: span(start, end),
                });
                i = end;
            }
            _ => i += 1,
        }
    }
    out
}

fn span(lo: usize, hi: usize) -> Span {
    Span::new(
        u32::try_from(lo).unwrap_or(u32::MAX),
        u32::try_from(hi).unwrap_or(u32::MAX),
    )
}

fn memchr3(a: u8, b: u8, c: u8, hay: &[u8]) -> Option<usize> {
    hay.iter().position(|&x| x == a || x == b || x == c)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_all_comment_kinds_and_skips_strings() {
        let src = "/// doc\n// line\r\nx = \"// not\"; /* block */ /** nat */ '/*' /***/ //";
        let c = scan(src);
        let kinds: Vec<_> = c.iter().map(|c| (c.kind, c.span.text(src))).collect();
        assert_eq!(
            kinds,
            vec![
                (CommentKind::DocLine, "/// doc"),
                (CommentKind::Line, "// line"),
                (CommentKind::Block, "/* block */"),
                (CommentKind::DocBlock, "/** nat */"),
                (CommentKind::Block, "/***/"),
                (CommentKind::Line, "//"),
            ]
        );
        assert_eq!(c[0].body(src), " doc");
        assert_eq!(c[3].body(src), " nat ");
    }

    #[test]
    fn unterminated_block_runs_to_end() {
        let src = "a /* open";
        let c = scan(src);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].span, Span::new(2, 9));
    }
}
