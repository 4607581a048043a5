//! Indentation-aware lexer: source text to tokens with `Newline`, `Indent` and
//! `Dedent`, the way Python's tokenizer does it.
//!
//! - Newlines inside `()`, `[]` and `{}` and after a `\` continuation do not end
//!   a logical line; blank and comment-only lines produce no tokens.
//! - Comments are collected on the side (pragmas and suppressions live there).
//! - Every byte of the input ends up in a token, a comment or whitespace; a byte
//!   the language does not know becomes an `Unknown` token and a diagnostic.
//! - An unclosed bracket does not swallow the rest of the file: a line starting
//!   at column 0 with `def`, `@`, `event`, `struct`, ... closes it with a
//!   diagnostic, so recovery stays at declaration level.

use crate::Span;
use crate::diagnostic::Diagnostic;

/// What kind of number a literal is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NumberKind {
    /// `123`, `1_000`.
    Int,
    /// `0x1f`.
    Hex,
    /// `0b101`.
    Binary,
    /// `0o17`.
    Octal,
    /// `1.5`, `1e18`, `2.5e-3`.
    Decimal,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TokenKind {
    Name,
    Number(NumberKind),
    /// A string literal; the flag says whether it is triple-quoted.
    Str {
        triple: bool,
    },
    Op(Op),
    Newline,
    Indent,
    Dedent,
    Unknown,
    Eof,
}

macro_rules! ops {
    ($($variant:ident => $text:literal,)*) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub(crate) enum Op { $($variant,)* }

        impl Op {
            pub(crate) const fn text(self) -> &'static str {
                match self { $(Op::$variant => $text,)* }
            }
        }

        /// Every operator, longest spelling first so that the lexer is greedy.
        const OPS_LONGEST_FIRST: &[Op] = &{
            let mut all = [$(Op::$variant,)*];
            // Insertion sort by descending length (const-evaluable).
            let mut i = 1;
            while i < all.len() {
                let mut j = i;
                while j > 0 && all[j - 1].text().len() < all[j].text().len() {
                    let t = all[j - 1];
                    all[j - 1] = all[j];
                    all[j] = t;
                    j -= 1;
                }
                i += 1;
            }
            all
        };
    };
}

ops! {
    LParen => "(", RParen => ")", LBracket => "[", RBracket => "]", LBrace => "{", RBrace => "}",
    Comma => ",", Colon => ":", Semi => ";", Dot => ".", Arrow => "->", At => "@",
    Ellipsis => "...", Walrus => ":=",
    Assign => "=", EqEq => "==", NotEq => "!=", Lt => "<", Gt => ">", Le => "<=", Ge => ">=",
    Plus => "+", Minus => "-", Star => "*", Slash => "/", SlashSlash => "//", Percent => "%",
    StarStar => "**", Amp => "&", Pipe => "|", Caret => "^", Tilde => "~", Shl => "<<", Shr => ">>",
    PlusEq => "+=", MinusEq => "-=", StarEq => "*=", SlashEq => "/=", SlashSlashEq => "//=",
    PercentEq => "%=", StarStarEq => "**=", AmpEq => "&=", PipeEq => "|=", CaretEq => "^=",
    ShlEq => "<<=", ShrEq => ">>=",
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Token {
    pub(crate) kind: TokenKind,
    pub(crate) span: Span,
}

/// One `#` comment, without its line terminator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Comment {
    /// From the `#` to the end of the line.
    pub span: Span,
}

impl Comment {
    /// The comment's text after the `#`.
    pub fn body<'a>(&self, source: &'a str) -> &'a str {
        let text = self.span.text(source);
        text.strip_prefix('#').unwrap_or(text)
    }
}

pub(crate) struct Lexed {
    pub(crate) tokens: Vec<Token>,
    pub(crate) comments: Vec<Comment>,
}

/// Keywords that start a top-level declaration; at column 0 they end any
/// unclosed bracket.
const DECLARATION_STARTS: &[&str] = &[
    "def",
    "event",
    "struct",
    "interface",
    "enum",
    "flag",
    "import",
    "from",
];

struct Lexer<'a> {
    src: &'a str,
    bytes: &'a [u8],
    pos: usize,
    tokens: Vec<Token>,
    comments: Vec<Comment>,
    diagnostics: &'a mut Vec<Diagnostic>,
    /// Indentation widths of the open blocks; starts with 0.
    indents: Vec<u32>,
    /// Open brackets, with the offset of each opener.
    brackets: Vec<(u8, u32)>,
}

pub(crate) fn lex(src: &str, diagnostics: &mut Vec<Diagnostic>) -> Lexed {
    let mut lexer = Lexer {
        src,
        bytes: src.as_bytes(),
        pos: 0,
        tokens: Vec::with_capacity(src.len() / 4),
        comments: Vec::new(),
        diagnostics,
        indents: vec![0],
        brackets: Vec::new(),
    };
    // A leading byte-order mark is not part of the program.
    if src.starts_with('\u{feff}') {
        lexer.pos = 3;
    }
    lexer.run();
    Lexed {
        tokens: lexer.tokens,
        comments: lexer.comments,
    }
}

impl Lexer<'_> {
    fn run(&mut self) {
        let mut at_line_start = true;
        loop {
            if at_line_start && self.brackets.is_empty() {
                if !self.line_start() {
                    break;
                }
                at_line_start = false;
            }
            let Some(&b) = self.bytes.get(self.pos) else {
                break;
            };
            match b {
                b' ' | b'\t' | b'\x0c' => self.pos += 1,
                b'\r' | b'\n' => {
                    self.eat_line_break();
                    if self.brackets.is_empty() {
                        self.push_newline(self.pos as u32);
                        at_line_start = true;
                    } else if self.closes_brackets_at_line_start() {
                        at_line_start = true;
                    }
                }
                b'#' => self.comment(),
                b'\\' => {
                    let start = self.pos;
                    self.pos += 1;
                    match self.bytes.get(self.pos) {
                        Some(b'\n' | b'\r') => self.eat_line_break(),
                        None => {}
                        Some(_) => self.unknown(
                            start,
                            "unexpected `\\` (a line continuation must end its line)",
                        ),
                    }
                }
                b'"' | b'\'' => self.string(self.pos, self.pos),
                b'0'..=b'9' => self.number(),
                b'.' if matches!(self.bytes.get(self.pos + 1), Some(b'0'..=b'9')) => self.number(),
                _ if is_name_start(b) => self.name_or_prefixed_string(),
                _ if b >= 0x80 => {
                    let start = self.pos;
                    let ch = self.src[start..].chars().next().unwrap_or('\u{fffd}');
                    self.pos += ch.len_utf8().max(1);
                    if ch.is_alphabetic() {
                        // Non-ASCII identifiers: accept as names (the compiler decides).
                        while let Some(c) = self.src.get(self.pos..).and_then(|s| s.chars().next())
                        {
                            if c.is_alphanumeric() || c == '_' {
                                self.pos += c.len_utf8();
                            } else {
                                break;
                            }
                        }
                        self.push(TokenKind::Name, start);
                    } else {
                        self.pos = start;
                        self.unknown_char(start, ch);
                    }
                }
                _ => self.operator(),
            }
        }
        // End of input.
        for &(open, at) in self.brackets.iter().rev() {
            self.diagnostics.push(Diagnostic::error(
                Span::new(at, at + 1),
                format!("unclosed `{}`", open as char),
            ));
        }
        self.brackets.clear();
        let end = self.src.len() as u32;
        if self
            .tokens
            .last()
            .is_some_and(|t| !matches!(t.kind, TokenKind::Newline | TokenKind::Dedent))
        {
            self.push_newline(end);
        }
        while self.indents.len() > 1 {
            self.indents.pop();
            self.tokens.push(Token {
                kind: TokenKind::Dedent,
                span: Span::new(end, end),
            });
        }
        self.tokens.push(Token {
            kind: TokenKind::Eof,
            span: Span::new(end, end),
        });
    }

    /// At the start of a physical line outside brackets: measures indentation,
    /// skips blank and comment-only lines, emits `Indent`/`Dedent`. Returns
    /// false at the end of the input.
    fn line_start(&mut self) -> bool {
        loop {
            let line_start = self.pos;
            let mut width = 0u32;
            while let Some(&b) = self.bytes.get(self.pos) {
                match b {
                    b' ' => width += 1,
                    b'\t' => width = (width / 8 + 1) * 8,
                    b'\x0c' => width = 0,
                    _ => break,
                }
                self.pos += 1;
            }
            match self.bytes.get(self.pos) {
                None => return false,
                Some(b'\n' | b'\r') => {
                    self.eat_line_break();
                    continue;
                }
                Some(b'#') => {
                    self.comment();
                    continue;
                }
                Some(b'\\') if matches!(self.bytes.get(self.pos + 1), Some(b'\n' | b'\r')) => {
                    // A continuation on an otherwise empty line: a blank line.
                    self.pos += 1;
                    self.eat_line_break();
                    continue;
                }
                Some(_) => {}
            }
            let here = self.pos as u32;
            let top = self.indents.last().copied().unwrap_or(0);
            if width > top {
                self.indents.push(width);
                self.tokens.push(Token {
                    kind: TokenKind::Indent,
                    span: Span::new(line_start as u32, here),
                });
            } else if width < top {
                while self.indents.last().is_some_and(|&w| w > width) {
                    self.indents.pop();
                    self.tokens.push(Token {
                        kind: TokenKind::Dedent,
                        span: Span::new(here, here),
                    });
                }
                if self.indents.last().is_some_and(|&w| w < width) {
                    self.diagnostics.push(Diagnostic::error(
                        Span::new(line_start as u32, here),
                        "unindent does not match any outer indentation level",
                    ));
                    self.indents.push(width);
                    self.tokens.push(Token {
                        kind: TokenKind::Indent,
                        span: Span::new(line_start as u32, here),
                    });
                }
            }
            return true;
        }
    }

    /// Inside brackets, after a line break: if the next line starts a
    /// declaration at column 0, the brackets were never closed. Reports them,
    /// ends the logical line and returns true.
    fn closes_brackets_at_line_start(&mut self) -> bool {
        let rest = &self.bytes[self.pos..];
        let starts_declaration = rest.first() == Some(&b'@')
            || DECLARATION_STARTS.iter().any(|kw| {
                rest.starts_with(kw.as_bytes())
                    && rest.get(kw.len()).is_some_and(|&b| b == b' ' || b == b'\t')
            });
        if !starts_declaration {
            return false;
        }
        for &(open, at) in self.brackets.iter().rev() {
            self.diagnostics.push(Diagnostic::error(
                Span::new(at, at + 1),
                format!("unclosed `{}`", open as char),
            ));
        }
        self.brackets.clear();
        self.push_newline(self.pos as u32);
        true
    }

    fn eat_line_break(&mut self) {
        match self.bytes.get(self.pos) {
            Some(b'\r') => {
                self.pos += 1;
                if self.bytes.get(self.pos) == Some(&b'\n') {
                    self.pos += 1;
                }
            }
            Some(b'\n') => self.pos += 1,
            _ => {}
        }
    }

    fn push(&mut self, kind: TokenKind, start: usize) {
        self.tokens.push(Token {
            kind,
            span: Span::new(start as u32, self.pos as u32),
        });
    }

    /// Ends a logical line, unless it is empty.
    fn push_newline(&mut self, at: u32) {
        if self.tokens.last().is_some_and(|t| {
            !matches!(
                t.kind,
                TokenKind::Newline | TokenKind::Indent | TokenKind::Dedent
            )
        }) {
            self.tokens.push(Token {
                kind: TokenKind::Newline,
                span: Span::new(at, at),
            });
        }
    }

    fn comment(&mut self) {
        let start = self.pos;
        while let Some(&b) = self.bytes.get(self.pos) {
            if b == b'\n' || b == b'\r' {
                break;
            }
            self.pos += 1;
        }
        self.comments.push(Comment {
            span: Span::new(start as u32, self.pos as u32),
        });
    }

    fn unknown(&mut self, start: usize, message: &str) {
        self.pos = self.pos.max(start + 1);
        self.push(TokenKind::Unknown, start);
        self.diagnostics.push(Diagnostic::error(
            Span::new(start as u32, self.pos as u32),
            message,
        ));
    }

    fn unknown_char(&mut self, start: usize, ch: char) {
        self.pos = start + ch.len_utf8().max(1);
        self.push(TokenKind::Unknown, start);
        self.diagnostics.push(Diagnostic::error(
            Span::new(start as u32, self.pos as u32),
            format!("unexpected character `{}`", ch.escape_debug()),
        ));
    }

    fn name_or_prefixed_string(&mut self) {
        let start = self.pos;
        while self
            .bytes
            .get(self.pos)
            .is_some_and(|&b| is_name_continue(b))
        {
            self.pos += 1;
        }
        // `b"..."`, `x"..."`, `r"..."`, `rb'...'`: a short prefix right before a quote.
        if matches!(self.bytes.get(self.pos), Some(b'"' | b'\''))
            && self.pos - start <= 2
            && self.bytes[start..self.pos]
                .iter()
                .all(|b| matches!(b.to_ascii_lowercase(), b'b' | b'x' | b'r' | b'u' | b'f'))
        {
            let quote_at = self.pos;
            self.string(start, quote_at);
            return;
        }
        self.push(TokenKind::Name, start);
    }

    fn string(&mut self, start: usize, quote_at: usize) {
        let quote = self.bytes[quote_at];
        let triple = self.bytes.get(quote_at..quote_at + 3) == Some(&[quote, quote, quote][..]);
        self.pos = quote_at + if triple { 3 } else { 1 };
        loop {
            let Some(&b) = self.bytes.get(self.pos) else {
                self.diagnostics.push(Diagnostic::error(
                    Span::new(start as u32, self.pos as u32),
                    if triple {
                        "unterminated triple-quoted string"
                    } else {
                        "unterminated string"
                    },
                ));
                break;
            };
            if b == b'\\' {
                self.pos += 2;
                self.pos = self.pos.min(self.bytes.len());
                // Keep `pos` on a char boundary after skipping an escaped multi-byte char.
                while !self.src.is_char_boundary(self.pos) {
                    self.pos += 1;
                }
                continue;
            }
            if b == quote {
                if !triple {
                    self.pos += 1;
                    break;
                }
                if self.bytes.get(self.pos..self.pos + 3) == Some(&[quote, quote, quote][..]) {
                    self.pos += 3;
                    break;
                }
            }
            if !triple && (b == b'\n' || b == b'\r') {
                self.diagnostics.push(Diagnostic::error(
                    Span::new(start as u32, self.pos as u32),
                    "unterminated string",
                ));
                break;
            }
            self.pos += 1;
        }
        self.push(TokenKind::Str { triple }, start);
    }

    fn number(&mut self) {
        let start = self.pos;
        let bytes = self.bytes;
        let radix = match (
            bytes.get(start),
            bytes.get(start + 1).map(u8::to_ascii_lowercase),
        ) {
            (Some(b'0'), Some(b'x')) => Some(NumberKind::Hex),
            (Some(b'0'), Some(b'b')) => Some(NumberKind::Binary),
            (Some(b'0'), Some(b'o')) => Some(NumberKind::Octal),
            _ => None,
        };
        let kind = if let Some(kind) = radix {
            self.pos += 2;
            while self
                .bytes
                .get(self.pos)
                .is_some_and(|&b| b.is_ascii_alphanumeric() || b == b'_')
            {
                self.pos += 1;
            }
            kind
        } else {
            let mut kind = NumberKind::Int;
            self.digits();
            // `1.5`, `1.`, `1.e5` are decimals; in `1..` or `1.attr` the dot is not ours.
            let after_dot = self.bytes.get(self.pos + 1).copied();
            let dot_is_ours = match after_dot {
                Some(b'.') => false,
                Some(b'e' | b'E') => true,
                Some(b) => !is_name_start(b),
                None => true,
            };
            if self.bytes.get(self.pos) == Some(&b'.') && dot_is_ours {
                kind = NumberKind::Decimal;
                self.pos += 1;
                self.digits();
            }
            if matches!(self.bytes.get(self.pos), Some(b'e' | b'E')) {
                let mut p = self.pos + 1;
                if matches!(self.bytes.get(p), Some(b'+' | b'-')) {
                    p += 1;
                }
                if self.bytes.get(p).is_some_and(u8::is_ascii_digit) {
                    kind = NumberKind::Decimal;
                    self.pos = p;
                    self.digits();
                }
            }
            kind
        };
        let text = &self.src[start..self.pos];
        let well_formed = match kind {
            NumberKind::Hex => {
                text.len() > 2
                    && text[2..]
                        .bytes()
                        .all(|b| b.is_ascii_hexdigit() || b == b'_')
            }
            NumberKind::Binary => {
                text.len() > 2 && text[2..].bytes().all(|b| matches!(b, b'0' | b'1' | b'_'))
            }
            NumberKind::Octal => {
                text.len() > 2 && text[2..].bytes().all(|b| matches!(b, b'0'..=b'7' | b'_'))
            }
            NumberKind::Int | NumberKind::Decimal => !self
                .bytes
                .get(self.pos)
                .is_some_and(|&b| is_name_continue(b)),
        };
        if !well_formed {
            while self
                .bytes
                .get(self.pos)
                .is_some_and(|&b| is_name_continue(b))
            {
                self.pos += 1;
            }
            self.diagnostics.push(Diagnostic::error(
                Span::new(start as u32, self.pos as u32),
                format!("malformed number literal `{}`", &self.src[start..self.pos]),
            ));
            // Reported here: the parser does not report it again.
            self.push(TokenKind::Unknown, start);
            return;
        }
        self.push(TokenKind::Number(kind), start);
    }

    fn digits(&mut self) {
        while self
            .bytes
            .get(self.pos)
            .is_some_and(|&b| b.is_ascii_digit() || b == b'_')
        {
            self.pos += 1;
        }
    }

    fn operator(&mut self) {
        let start = self.pos;
        let rest = &self.bytes[start..];
        let Some(op) = OPS_LONGEST_FIRST
            .iter()
            .copied()
            .find(|op| rest.starts_with(op.text().as_bytes()))
        else {
            let ch = self.src[start..].chars().next().unwrap_or('\u{fffd}');
            self.unknown_char(start, ch);
            return;
        };
        self.pos += op.text().len();
        match op {
            Op::LParen | Op::LBracket | Op::LBrace => {
                self.brackets.push((rest[0], start as u32));
            }
            Op::RParen | Op::RBracket | Op::RBrace => {
                let want = match op {
                    Op::RParen => b'(',
                    Op::RBracket => b'[',
                    _ => b'{',
                };
                match self.brackets.last() {
                    Some(&(open, _)) if open == want => {
                        self.brackets.pop();
                    }
                    Some(&(open, _)) => {
                        self.diagnostics.push(Diagnostic::error(
                            Span::new(start as u32, self.pos as u32),
                            format!(
                                "`{}` does not match the `{}` opened here",
                                op.text(),
                                open as char
                            ),
                        ));
                        // Assume the closer is right and the opener was never closed.
                        if let Some(i) = self.brackets.iter().rposition(|&(o, _)| o == want) {
                            self.brackets.truncate(i);
                        }
                    }
                    None => {
                        // The parser reports the stray closer.
                    }
                }
            }
            _ => {}
        }
        self.push(TokenKind::Op(op), start);
    }
}

fn is_name_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

fn is_name_continue(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<String> {
        let mut diags = Vec::new();
        lex(src, &mut diags)
            .tokens
            .iter()
            .map(|t| match t.kind {
                TokenKind::Name => t.span.text(src).to_string(),
                TokenKind::Number(_) => format!("num:{}", t.span.text(src)),
                TokenKind::Str { .. } => format!("str:{}", t.span.text(src)),
                TokenKind::Op(op) => op.text().to_string(),
                TokenKind::Newline => "NL".into(),
                TokenKind::Indent => "INDENT".into(),
                TokenKind::Dedent => "DEDENT".into(),
                TokenKind::Unknown => "?".into(),
                TokenKind::Eof => "EOF".into(),
            })
            .collect()
    }

    #[test]
    fn indentation_brackets_and_continuations() {
        let src = "def f():\n    x = (1 +\n  2)\n\n    # c\n    y = 1 \\\n  + 2\nz = 3\n";
        assert_eq!(
            kinds(src).join(" "),
            "def f ( ) : NL INDENT x = ( num:1 + num:2 ) NL y = num:1 + num:2 NL DEDENT z = num:3 NL EOF"
        );
    }

    #[test]
    fn operators_are_greedy_and_strings_have_prefixes() {
        assert_eq!(
            kinds("a //= b ** -c <= d := x\"ab\" b'c' ...").join(" "),
            "a //= b ** - c <= d := str:x\"ab\" str:b'c' ... NL EOF"
        );
    }

    #[test]
    fn numbers() {
        assert_eq!(
            kinds("1_000 0xFF 1.5 1e18 2.5e-3 0b101 x.y").join(" "),
            "num:1_000 num:0xFF num:1.5 num:1e18 num:2.5e-3 num:0b101 x . y NL EOF"
        );
    }

    #[test]
    fn unclosed_bracket_stops_at_next_declaration() {
        let mut diags = Vec::new();
        let lexed = lex(
            "x: uint256 = f(1,\n\n@external\ndef g():\n    pass\n",
            &mut diags,
        );
        assert_eq!(diags.len(), 1, "{diags:?}");
        assert_eq!(diags[0].message, "unclosed `(`");
        assert!(lexed.tokens.iter().any(|t| t.kind == TokenKind::Indent));
    }
}
