//! Tokens of the condition language, with the byte offset each one starts at.

use alloy_primitives::{Address, U256};

use super::Error;

/// A token's kind and contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Tok {
    /// A decimal number: `digits × 10^exponent` (`1.5e18` is `15`, exponent 17); whether it
    /// is a whole number is decided with its unit, by the parser.
    Decimal {
        digits: String,
        exponent: i64,
        text: String,
    },
    /// `0x…` other than an address.
    Hex(U256),
    /// `0x` and exactly 40 hex digits.
    Address(Address),
    Str(String),
    /// `hex"…"`.
    HexBytes(Vec<u8>),
    /// A name; dotted names (`Transfer.value`) are one identifier.
    Ident(String),
    And,
    Or,
    Not,
    In,
    True,
    False,
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Plus,
    Minus,
    Star,
    Slash,
    Percent,
    /// The end of the condition.
    End,
}

impl Tok {
    /// How the token is named in messages.
    pub(crate) fn describe(&self) -> String {
        let symbol = match self {
            Tok::Decimal { text, .. } => return format!("the number `{text}`"),
            Tok::Hex(_) => return "a number".into(),
            Tok::Address(_) => return "an address".into(),
            Tok::Str(_) => return "a string".into(),
            Tok::HexBytes(_) => return "a bytes literal".into(),
            Tok::Ident(name) => return format!("`{name}`"),
            Tok::End => return "the end of the condition".into(),
            Tok::And => "and",
            Tok::Or => "or",
            Tok::Not => "not",
            Tok::In => "in",
            Tok::True => "true",
            Tok::False => "false",
            Tok::LParen => "(",
            Tok::RParen => ")",
            Tok::LBracket => "[",
            Tok::RBracket => "]",
            Tok::Comma => ",",
            Tok::Eq => "==",
            Tok::Ne => "!=",
            Tok::Lt => "<",
            Tok::Le => "<=",
            Tok::Gt => ">",
            Tok::Ge => ">=",
            Tok::Plus => "+",
            Tok::Minus => "-",
            Tok::Star => "*",
            Tok::Slash => "/",
            Tok::Percent => "%",
        };
        format!("`{symbol}`")
    }
}

/// A token and the byte offset of its first character.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Token {
    pub(crate) tok: Tok,
    pub(crate) at: usize,
}

/// Splits `source` into tokens, ending with [`Tok::End`].
pub(crate) fn tokens(source: &str) -> Result<Vec<Token>, Error> {
    let mut lexer = Lexer {
        source,
        bytes: source.as_bytes(),
        pos: 0,
    };
    let mut out = Vec::new();
    loop {
        lexer.skip_whitespace();
        let at = lexer.pos;
        let Some(c) = lexer.peek_char() else {
            out.push(Token { tok: Tok::End, at });
            return Ok(out);
        };
        let tok = lexer.token(c)?;
        out.push(Token { tok, at });
    }
}

struct Lexer<'a> {
    source: &'a str,
    bytes: &'a [u8],
    pos: usize,
}

fn is_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c == b'$'
}

fn is_ident_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'$'
}

impl Lexer<'_> {
    fn peek_char(&self) -> Option<char> {
        self.source[self.pos..].chars().next()
    }

    fn byte(&self, offset: usize) -> Option<u8> {
        self.bytes.get(self.pos + offset).copied()
    }

    fn skip_whitespace(&mut self) {
        while matches!(self.byte(0), Some(b' ' | b'\t' | b'\r' | b'\n')) {
            self.pos += 1;
        }
    }

    fn error(&self, at: usize, message: impl Into<String>) -> Error {
        Error {
            at,
            message: message.into(),
        }
    }

    fn token(&mut self, c: char) -> Result<Tok, Error> {
        let at = self.pos;
        let next = self.byte(1);
        let (tok, len) = match c {
            '(' => (Tok::LParen, 1),
            ')' => (Tok::RParen, 1),
            '[' => (Tok::LBracket, 1),
            ']' => (Tok::RBracket, 1),
            ',' => (Tok::Comma, 1),
            '+' => (Tok::Plus, 1),
            '-' => (Tok::Minus, 1),
            '*' => (Tok::Star, 1),
            '/' => (Tok::Slash, 1),
            '%' => (Tok::Percent, 1),
            '=' if next == Some(b'=') => (Tok::Eq, 2),
            '=' => return Err(self.error(at, "unexpected `=`; compare with `==`")),
            '!' if next == Some(b'=') => (Tok::Ne, 2),
            '!' => (Tok::Not, 1),
            '<' if next == Some(b'=') => (Tok::Le, 2),
            '<' => (Tok::Lt, 1),
            '>' if next == Some(b'=') => (Tok::Ge, 2),
            '>' => (Tok::Gt, 1),
            '&' if next == Some(b'&') => (Tok::And, 2),
            '&' => return Err(self.error(at, "unexpected `&`; write `and` (or `&&`)")),
            '|' if next == Some(b'|') => (Tok::Or, 2),
            '|' => return Err(self.error(at, "unexpected `|`; write `or` (or `||`)")),
            '"' => return self.string(),
            '0' if next == Some(b'x') => return self.hex(),
            '0'..='9' => return self.decimal(),
            c if c.is_ascii() && is_ident_start(c as u8) => return self.ident(),
            c => return Err(self.error(at, format!("unexpected character `{c}`"))),
        };
        self.pos += len;
        Ok(tok)
    }

    /// A double-quoted string at `self.pos`; `\"` and `\\` are its escapes.
    fn string(&mut self) -> Result<Tok, Error> {
        let open = self.pos;
        self.pos += 1;
        let mut text = String::new();
        loop {
            let Some(c) = self.peek_char() else {
                return Err(self.error(open, "unterminated string: missing the closing `\"`"));
            };
            match c {
                '"' => {
                    self.pos += 1;
                    return Ok(Tok::Str(text));
                }
                '\\' => {
                    let escape = self.pos;
                    self.pos += 1;
                    match self.peek_char() {
                        Some(c @ ('"' | '\\')) => {
                            text.push(c);
                            self.pos += 1;
                        }
                        Some(other) => {
                            return Err(self.error(
                                escape,
                                format!(
                                    "unknown escape `\\{other}`; the escapes are `\\\"` and `\\\\`"
                                ),
                            ));
                        }
                        None => {
                            return Err(
                                self.error(open, "unterminated string: missing the closing `\"`")
                            );
                        }
                    }
                }
                c => {
                    text.push(c);
                    self.pos += c.len_utf8();
                }
            }
        }
    }

    /// `0x…`: an address (exactly 40 hex digits) or a hex integer.
    fn hex(&mut self) -> Result<Tok, Error> {
        let at = self.pos;
        self.pos += 2;
        let start = self.pos;
        while self.byte(0).is_some_and(|c| c.is_ascii_hexdigit()) {
            self.pos += 1;
        }
        let digits = &self.source[start..self.pos];
        self.no_glued_letters(at)?;
        let text = &self.source[at..self.pos];
        if digits.is_empty() {
            return Err(self.error(at, "`0x` must be followed by hex digits"));
        }
        if digits.len() == 40 {
            return address(text).map_err(|message| self.error(at, message));
        }
        let trimmed = digits.trim_start_matches('0');
        if trimmed.len() > 64 {
            return Err(self.error(at, format!("`{text}` is too large for 256 bits")));
        }
        U256::from_str_radix(digits, 16)
            .map(Tok::Hex)
            .map_err(|_| self.error(at, format!("`{text}` is too large for 256 bits")))
    }

    /// A decimal number: digits with `_` separators, an optional fraction and exponent.
    fn decimal(&mut self) -> Result<Tok, Error> {
        let at = self.pos;
        let mut digits = String::new();
        self.digits(&mut digits)?;
        let mut exponent: i64 = 0;
        if self.byte(0) == Some(b'.') && self.byte(1).is_some_and(|c| c.is_ascii_digit()) {
            self.pos += 1;
            let before = digits.len();
            self.digits(&mut digits)?;
            exponent -= (digits.len() - before) as i64;
        }
        if matches!(self.byte(0), Some(b'e' | b'E')) {
            let sign_len = usize::from(matches!(self.byte(1), Some(b'+' | b'-')));
            if self.byte(1 + sign_len).is_some_and(|c| c.is_ascii_digit()) {
                let negative = self.byte(1) == Some(b'-');
                self.pos += 1 + sign_len;
                let mut power = String::new();
                self.digits(&mut power)?;
                let text = &self.source[at..self.pos];
                // Beyond this a number is too large, or too small to be whole, anyway.
                let power: i64 = power
                    .parse::<i64>()
                    .ok()
                    .filter(|p| *p <= 100_000)
                    .ok_or_else(|| {
                        let problem = if negative {
                            "is not a whole number"
                        } else {
                            "is too large for 256 bits"
                        };
                        self.error(at, format!("`{text}` {problem}"))
                    })?;
                exponent += if negative { -power } else { power };
            }
        }
        self.no_glued_letters(at)?;
        Ok(Tok::Decimal {
            digits,
            exponent,
            text: self.source[at..self.pos].to_string(),
        })
    }

    /// Decimal digits with `_` between them, appended to `out` without the separators.
    fn digits(&mut self, out: &mut String) -> Result<(), Error> {
        while let Some(c) = self.byte(0) {
            if c.is_ascii_digit() {
                out.push(c as char);
            } else if c == b'_' && self.byte(1).is_some_and(|c| c.is_ascii_digit()) && {
                self.pos > 0 && self.bytes[self.pos - 1].is_ascii_digit()
            } {
                // a separator between two digits
            } else if c == b'_' {
                return Err(self.error(self.pos, "`_` must stand between two digits"));
            } else {
                break;
            }
            self.pos += 1;
        }
        Ok(())
    }

    /// A number directly followed by a letter, a digit it cannot hold or a dot (`10ether`,
    /// `0xfg`, `1.2.3`) is a mistake.
    fn no_glued_letters(&self, number: usize) -> Result<(), Error> {
        let Some(c) = self.byte(0).filter(|c| is_ident_char(*c) || *c == b'.') else {
            return Ok(());
        };
        let text = &self.source[number..self.pos];
        let hint = if c.is_ascii_alphabetic() && !text.starts_with("0x") {
            format!(" (a unit needs a space: `{text} ether`)")
        } else {
            String::new()
        };
        Err(self.error(
            self.pos,
            format!(
                "unexpected `{}` right after the number `{text}`{hint}",
                c as char
            ),
        ))
    }

    /// A name, a keyword or a `hex"…"` literal.
    fn ident(&mut self) -> Result<Tok, Error> {
        let at = self.pos;
        loop {
            while self.byte(0).is_some_and(is_ident_char) {
                self.pos += 1;
            }
            if self.byte(0) == Some(b'.') && self.byte(1).is_some_and(is_ident_start) {
                self.pos += 1;
            } else {
                break;
            }
        }
        let name = &self.source[at..self.pos];
        if name == "hex" && self.byte(0) == Some(b'"') {
            return self.hex_bytes(at);
        }
        Ok(match name {
            "and" => Tok::And,
            "or" => Tok::Or,
            "not" => Tok::Not,
            "in" => Tok::In,
            "true" => Tok::True,
            "false" => Tok::False,
            _ => Tok::Ident(name.to_string()),
        })
    }

    /// `hex"…"` with `self.pos` at the opening quote.
    fn hex_bytes(&mut self, at: usize) -> Result<Tok, Error> {
        let Tok::Str(text) = self.string()? else {
            return Err(self.error(at, "expected a hex string"));
        };
        let digits = text.strip_prefix("0x").unwrap_or(&text);
        if let Some(c) = digits.chars().find(|c| !c.is_ascii_hexdigit()) {
            return Err(self.error(at, format!("`{c}` in `hex\"{text}\"` is not a hex digit")));
        }
        if digits.len() % 2 == 1 {
            return Err(self.error(
                at,
                format!("`hex\"{text}\"` has an odd number of hex digits"),
            ));
        }
        let bytes = (0..digits.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&digits[i..i + 2], 16))
            .collect::<Result<Vec<u8>, _>>()
            .map_err(|_| self.error(at, format!("`hex\"{text}\"` is not hex")))?;
        Ok(Tok::HexBytes(bytes))
    }
}

/// `text` (`0x` and 40 hex digits) as an address; a mixed-case address must carry a correct
/// EIP-55 checksum.
fn address(text: &str) -> Result<Tok, String> {
    let digits = &text[2..];
    let has_lower = digits.bytes().any(|c| c.is_ascii_lowercase());
    let has_upper = digits.bytes().any(|c| c.is_ascii_uppercase());
    let parsed: Address = digits
        .parse()
        .map_err(|_| format!("`{text}` is not an address"))?;
    if has_lower && has_upper && Address::parse_checksummed(text, None).is_err() {
        return Err(format!(
            "`{text}` has a wrong EIP-55 checksum (expected `{}`); check the address, or write it all in lowercase",
            parsed.to_checksum(None)
        ));
    }
    Ok(Tok::Address(parsed))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(source: &str) -> Vec<Tok> {
        tokens(source).unwrap().into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn operators_and_synonyms() {
        assert_eq!(
            kinds("a&&b||!c == != < <= > >= + - * / % ( ) [ ] ,"),
            vec![
                Tok::Ident("a".into()),
                Tok::And,
                Tok::Ident("b".into()),
                Tok::Or,
                Tok::Not,
                Tok::Ident("c".into()),
                Tok::Eq,
                Tok::Ne,
                Tok::Lt,
                Tok::Le,
                Tok::Gt,
                Tok::Ge,
                Tok::Plus,
                Tok::Minus,
                Tok::Star,
                Tok::Slash,
                Tok::Percent,
                Tok::LParen,
                Tok::RParen,
                Tok::LBracket,
                Tok::RBracket,
                Tok::Comma,
                Tok::End,
            ]
        );
    }

    #[test]
    fn dotted_names_are_one_token() {
        assert_eq!(
            kinds("Transfer.value"),
            vec![Tok::Ident("Transfer.value".into()), Tok::End]
        );
    }

    #[test]
    fn decimal_forms() {
        let decimal = |source: &str| match kinds(source).remove(0) {
            Tok::Decimal {
                digits, exponent, ..
            } => (digits, exponent),
            other => panic!("{other:?}"),
        };
        assert_eq!(decimal("1_000"), ("1000".into(), 0));
        assert_eq!(decimal("1.5e18"), ("15".into(), 17));
        assert_eq!(decimal("25e-1"), ("25".into(), -1));
    }

    #[test]
    fn string_escapes() {
        assert_eq!(
            kinds(r#""a\"b\\c""#),
            vec![Tok::Str("a\"b\\c".into()), Tok::End]
        );
    }
}
