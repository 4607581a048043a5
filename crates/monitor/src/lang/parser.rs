//! The syntax tree of a condition and its parser.
//!
//! Precedence climbing with one function per level; `and`, `or` and the arithmetic
//! operators build n-ary nodes, so a long chain is one node and not a deep tree. The only
//! recursion is through nesting (parentheses, `not`, unary `-`, calls and lists), which is
//! bounded by [`MAX_DEPTH`].

use alloy_primitives::{Address, U256};

use super::Error;
use super::lexer::{Tok, Token};

/// How deeply parentheses, `not`, unary `-`, calls and lists may nest.
pub(crate) const MAX_DEPTH: usize = 64;

/// A node of the syntax tree and the byte offset it starts at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Node {
    pub(crate) kind: Kind,
    pub(crate) at: usize,
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    pub(crate) fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }
}

/// An arithmetic operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ArithOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

impl ArithOp {
    pub(crate) fn symbol(self) -> &'static str {
        match self {
            ArithOp::Add => "+",
            ArithOp::Sub => "-",
            ArithOp::Mul => "*",
            ArithOp::Div => "/",
            ArithOp::Rem => "%",
        }
    }
}

/// One operator and operand after the first of an arithmetic chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ArithStep {
    pub(crate) op: ArithOp,
    pub(crate) op_at: usize,
    pub(crate) operand: Node,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A non-negative integer literal (units applied); `-` is [`Kind::Neg`].
    Int(U256),
    Address(Address),
    Bool(bool),
    Str(String),
    Bytes(Vec<u8>),
    Name(String),
    Call {
        name: String,
        args: Vec<Node>,
    },
    List(Vec<Node>),
    Neg(Box<Node>),
    Not(Box<Node>),
    /// Two or more operands.
    And(Vec<Node>),
    /// Two or more operands.
    Or(Vec<Node>),
    Compare {
        op: CmpOp,
        op_at: usize,
        lhs: Box<Node>,
        rhs: Box<Node>,
    },
    In {
        negated: bool,
        op_at: usize,
        item: Box<Node>,
        list: Box<Node>,
    },
    /// `first op operand op operand …`, left to right, one precedence level.
    Arith {
        first: Box<Node>,
        rest: Vec<ArithStep>,
    },
}

/// Parses the tokens of a whole condition.
pub(crate) fn parse(tokens: &[Token]) -> Result<Node, Error> {
    let mut parser = Parser {
        tokens,
        pos: 0,
        depth: 0,
    };
    if parser.peek() == &Tok::End {
        return Err(Error {
            at: 0,
            message: "the condition is empty".into(),
        });
    }
    let node = parser.or()?;
    let token = parser.token();
    if token.tok != Tok::End {
        let message = if token.tok == Tok::RParen {
            "unexpected `)`: there is no `(` to close".to_string()
        } else {
            format!(
                "unexpected {} after a complete condition; join conditions with `and` or `or`",
                token.tok.describe()
            )
        };
        return Err(Error {
            at: token.at,
            message,
        });
    }
    Ok(node)
}

struct Parser<'a> {
    tokens: &'a [Token],
    pos: usize,
    depth: usize,
}

/// The end token, for a parser that somehow ran past it.
static END: Token = Token {
    tok: Tok::End,
    at: 0,
};

impl Parser<'_> {
    fn token(&self) -> &Token {
        self.tokens
            .get(self.pos)
            .or_else(|| self.tokens.last())
            .unwrap_or(&END)
    }

    fn peek(&self) -> &Tok {
        &self.token().tok
    }

    fn peek_at(&self, offset: usize) -> &Tok {
        self.tokens
            .get(self.pos + offset)
            .map_or(&Tok::End, |t| &t.tok)
    }

    fn bump(&mut self) -> Token {
        let token = self.token().clone();
        if self.pos < self.tokens.len() {
            self.pos += 1;
        }
        token
    }

    fn error_here(&self, message: impl Into<String>) -> Error {
        Error {
            at: self.token().at,
            message: message.into(),
        }
    }

    /// Enters one nesting level, opened by the token at `at`.
    fn enter(&mut self, at: usize) -> Result<(), Error> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(Error {
                at,
                message: format!("the condition is nested deeper than {MAX_DEPTH} levels"),
            });
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    fn expect(&mut self, tok: &Tok, what: &str) -> Result<(), Error> {
        if self.peek() == tok {
            self.bump();
            return Ok(());
        }
        Err(self.error_here(format!("expected {what}, found {}", self.peek().describe())))
    }

    fn or(&mut self) -> Result<Node, Error> {
        let first = self.and()?;
        if self.peek() != &Tok::Or {
            return Ok(first);
        }
        let at = first.at;
        let mut operands = vec![first];
        while self.peek() == &Tok::Or {
            self.bump();
            operands.push(self.and()?);
        }
        Ok(Node {
            kind: Kind::Or(operands),
            at,
        })
    }

    fn and(&mut self) -> Result<Node, Error> {
        let first = self.not()?;
        if self.peek() != &Tok::And {
            return Ok(first);
        }
        let at = first.at;
        let mut operands = vec![first];
        while self.peek() == &Tok::And {
            self.bump();
            operands.push(self.not()?);
        }
        Ok(Node {
            kind: Kind::And(operands),
            at,
        })
    }

    fn not(&mut self) -> Result<Node, Error> {
        if self.peek() != &Tok::Not {
            return self.comparison();
        }
        let at = self.bump().at;
        self.enter(at)?;
        let operand = self.not()?;
        self.leave();
        Ok(Node {
            kind: Kind::Not(Box::new(operand)),
            at,
        })
    }

    fn comparison_op(&self) -> Option<(Option<CmpOp>, bool, usize)> {
        let op = match self.peek() {
            Tok::Eq => CmpOp::Eq,
            Tok::Ne => CmpOp::Ne,
            Tok::Lt => CmpOp::Lt,
            Tok::Le => CmpOp::Le,
            Tok::Gt => CmpOp::Gt,
            Tok::Ge => CmpOp::Ge,
            Tok::In => return Some((None, false, 1)),
            Tok::Not if self.peek_at(1) == &Tok::In => return Some((None, true, 2)),
            _ => return None,
        };
        Some((Some(op), false, 1))
    }

    fn comparison(&mut self) -> Result<Node, Error> {
        let lhs = self.sum()?;
        let Some((op, negated, len)) = self.comparison_op() else {
            return Ok(lhs);
        };
        let op_at = self.token().at;
        for _ in 0..len {
            self.bump();
        }
        let rhs = self.sum()?;
        if self.comparison_op().is_some() {
            return Err(self.error_here(
                "comparisons cannot be chained; write `a < b and b < c` instead of `a < b < c`",
            ));
        }
        let at = lhs.at;
        let kind = match op {
            Some(op) => Kind::Compare {
                op,
                op_at,
                lhs: Box::new(lhs),
                rhs: Box::new(rhs),
            },
            None => Kind::In {
                negated,
                op_at,
                item: Box::new(lhs),
                list: Box::new(rhs),
            },
        };
        Ok(Node { kind, at })
    }

    fn sum(&mut self) -> Result<Node, Error> {
        let first = self.product()?;
        self.chain(first, Self::product, |tok| match tok {
            Tok::Plus => Some(ArithOp::Add),
            Tok::Minus => Some(ArithOp::Sub),
            _ => None,
        })
    }

    fn product(&mut self) -> Result<Node, Error> {
        let first = self.unary()?;
        self.chain(first, Self::unary, |tok| match tok {
            Tok::Star => Some(ArithOp::Mul),
            Tok::Slash => Some(ArithOp::Div),
            Tok::Percent => Some(ArithOp::Rem),
            _ => None,
        })
    }

    /// `first (op operand)*` for the operators `op_of` recognises.
    fn chain(
        &mut self,
        first: Node,
        operand: fn(&mut Self) -> Result<Node, Error>,
        op_of: fn(&Tok) -> Option<ArithOp>,
    ) -> Result<Node, Error> {
        let mut rest = Vec::new();
        while let Some(op) = op_of(self.peek()) {
            let op_at = self.bump().at;
            rest.push(ArithStep {
                op,
                op_at,
                operand: operand(self)?,
            });
        }
        if rest.is_empty() {
            return Ok(first);
        }
        let at = first.at;
        Ok(Node {
            kind: Kind::Arith {
                first: Box::new(first),
                rest,
            },
            at,
        })
    }

    fn unary(&mut self) -> Result<Node, Error> {
        if self.peek() != &Tok::Minus {
            return self.primary();
        }
        let at = self.bump().at;
        self.enter(at)?;
        let operand = self.unary()?;
        self.leave();
        Ok(Node {
            kind: Kind::Neg(Box::new(operand)),
            at,
        })
    }

    fn primary(&mut self) -> Result<Node, Error> {
        let token = self.bump();
        let at = token.at;
        let kind = match token.tok {
            Tok::Decimal {
                digits,
                exponent,
                text,
            } => Kind::Int(self.decimal(&digits, exponent, &text, at)?),
            Tok::Hex(value) => {
                if let Tok::Ident(unit) = self.peek()
                    && unit_exponent(unit).is_some()
                {
                    return Err(self.error_here(format!(
                        "a unit follows a decimal number (`1 {unit}`), not a hex one"
                    )));
                }
                Kind::Int(value)
            }
            Tok::Address(address) => Kind::Address(address),
            Tok::Str(text) => Kind::Str(text),
            Tok::HexBytes(bytes) => Kind::Bytes(bytes),
            Tok::True => Kind::Bool(true),
            Tok::False => Kind::Bool(false),
            Tok::Ident(name) if self.peek() == &Tok::LParen => {
                self.enter(at)?;
                self.bump();
                let args = self.items(&Tok::RParen, "`)` to close the arguments")?;
                self.leave();
                Kind::Call { name, args }
            }
            Tok::Ident(name) => Kind::Name(name),
            Tok::LParen => {
                self.enter(at)?;
                let inner = self.or()?;
                self.expect(&Tok::RParen, "`)`")?;
                self.leave();
                return Ok(inner);
            }
            Tok::LBracket => {
                self.enter(at)?;
                let items = self.items(&Tok::RBracket, "`]` to close the list")?;
                self.leave();
                Kind::List(items)
            }
            other => {
                return Err(Error {
                    at,
                    message: format!("expected a value, found {}", other.describe()),
                });
            }
        };
        Ok(Node { kind, at })
    }

    /// Comma-separated expressions up to `close` (a trailing comma is allowed).
    fn items(&mut self, close: &Tok, what: &str) -> Result<Vec<Node>, Error> {
        let mut items = Vec::new();
        loop {
            if self.peek() == close {
                self.bump();
                return Ok(items);
            }
            items.push(self.or()?);
            if self.peek() == &Tok::Comma {
                self.bump();
            } else {
                self.expect(close, &format!("`,` or {what}"))?;
                return Ok(items);
            }
        }
    }

    /// The value of a decimal literal, with the unit that follows it if any.
    fn decimal(
        &mut self,
        digits: &str,
        exponent: i64,
        text: &str,
        at: usize,
    ) -> Result<U256, Error> {
        let unit = match self.peek() {
            Tok::Ident(unit) => unit_exponent(unit).map(|power| (unit.clone(), power)),
            _ => None,
        };
        let shown = match &unit {
            Some((name, _)) => {
                self.bump();
                format!("{text} {name}")
            }
            None => text.to_string(),
        };
        let exponent = exponent + unit.as_ref().map_or(0, |(_, power)| *power);
        whole(digits, exponent).map_err(|problem| Error {
            at,
            message: match problem {
                Problem::Fraction => match &unit {
                    Some(_) => format!("`{shown}` is not a whole number of wei"),
                    None => format!("`{shown}` is not a whole number"),
                },
                Problem::TooLarge => format!("`{shown}` is too large for 256 bits"),
            },
        })
    }
}

/// The power of ten a unit multiplies by.
fn unit_exponent(unit: &str) -> Option<i64> {
    match unit {
        "wei" => Some(0),
        "gwei" => Some(9),
        "ether" => Some(18),
        _ => None,
    }
}

enum Problem {
    Fraction,
    TooLarge,
}

/// `digits × 10^exponent` as a 256-bit integer.
fn whole(digits: &str, exponent: i64) -> Result<U256, Problem> {
    let mut digits = digits.trim_start_matches('0');
    if digits.is_empty() {
        return Ok(U256::ZERO);
    }
    let mut exponent = exponent;
    while exponent < 0 && digits.ends_with('0') {
        digits = &digits[..digits.len() - 1];
        exponent += 1;
    }
    if exponent < 0 {
        return Err(Problem::Fraction);
    }
    // 2^256 has 78 decimal digits.
    if digits.len() as i64 + exponent > 78 {
        return Err(Problem::TooLarge);
    }
    let mantissa = U256::from_str_radix(digits, 10).map_err(|_| Problem::TooLarge)?;
    let scale = U256::from(10u8)
        .checked_pow(U256::from(exponent as u64))
        .ok_or(Problem::TooLarge)?;
    mantissa.checked_mul(scale).ok_or(Problem::TooLarge)
}

#[cfg(test)]
mod tests {
    use super::super::lexer::tokens;
    use super::*;

    fn parse_str(source: &str) -> Result<Node, Error> {
        parse(&tokens(source)?)
    }

    #[test]
    fn precedence_of_not_and_or() {
        let node = parse_str("not a or b and c").unwrap();
        let Kind::Or(operands) = node.kind else {
            panic!("{node:?}")
        };
        assert!(matches!(operands[0].kind, Kind::Not(_)));
        assert!(matches!(operands[1].kind, Kind::And(_)));
    }

    #[test]
    fn arithmetic_binds_tighter_than_comparison() {
        let node = parse_str("a + b * c > -d").unwrap();
        let Kind::Compare { lhs, rhs, .. } = node.kind else {
            panic!()
        };
        let Kind::Arith { rest, .. } = lhs.kind else {
            panic!()
        };
        assert!(matches!(rest[0].operand.kind, Kind::Arith { .. }));
        assert!(matches!(rhs.kind, Kind::Neg(_)));
    }

    #[test]
    fn long_chains_are_flat() {
        let source = vec!["a"; 20_000].join(" and ");
        let Kind::And(operands) = parse_str(&source).unwrap().kind else {
            panic!()
        };
        assert_eq!(operands.len(), 20_000);
        let source = vec!["a"; 20_000].join(" + ");
        let Kind::Compare { lhs, .. } = parse_str(&format!("{source} > 1")).unwrap().kind else {
            panic!()
        };
        let Kind::Arith { rest, .. } = lhs.kind else {
            panic!()
        };
        assert_eq!(rest.len(), 19_999);
    }

    #[test]
    fn whole_numbers() {
        assert!(
            matches!(whole("15", 17), Ok(v) if v == U256::from(15u8) * U256::from(10u8).pow(U256::from(17u8)))
        );
        assert!(matches!(whole("15", -1), Err(Problem::Fraction)));
        assert!(matches!(whole("150", -1), Ok(v) if v == U256::from(15u8)));
        assert!(matches!(whole("1", 78), Err(Problem::TooLarge)));
        assert!(matches!(whole("0", 1000), Ok(v) if v.is_zero()));
    }
}
