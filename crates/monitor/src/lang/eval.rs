//! The compiled form of a condition and its evaluation.
//!
//! The type checker ([`super::check`]) has already decided what every node computes, so
//! the tree is split by result kind (numbers, addresses, booleans, bytes, strings, lists):
//! fields are positions in the value slice, named lists are pre-built sets, and a number is
//! a [`Num`] on the stack. Nothing is looked up by name and nothing is allocated while
//! evaluating, except by `lower(…)` on a field.
//!
//! Two things can go wrong at evaluation time, and neither panics:
//! - arithmetic overflows its type or divides by zero: the comparison (or `in`) it is part
//!   of is false, whatever the operator (`!=` included); an enclosing `not` then sees false;
//! - a field value does not have its declared type, or is missing: the whole condition is
//!   false.

use std::borrow::Cow;
use std::cmp::Ordering;

use alloy_primitives::Address;

use super::Value;
use super::num::{Num, NumTy};
use super::parser::{ArithOp, CmpOp};

/// Why a value could not be computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fault {
    /// Overflow or division by zero: the enclosing comparison is false.
    Arith,
    /// A field value is missing or not of its declared type: the condition is false.
    Field,
}

type Eval<T> = Result<T, Fault>;

/// A value of any kind, as an operand of `==`, `!=` and `in`, or a `len` argument.
#[derive(Debug, Clone)]
pub(crate) enum Expr {
    Num(NumExpr),
    Addr(AddrExpr),
    Bool(BoolExpr),
    Bytes(BytesExpr),
    Str(StrExpr),
    List(ListExpr),
}

#[derive(Debug, Clone)]
pub(crate) enum BoolExpr {
    Const(bool),
    Field(usize),
    Not(Box<BoolExpr>),
    And(Vec<BoolExpr>),
    Or(Vec<BoolExpr>),
    /// A numeric comparison, mathematical across widths and signedness.
    Compare(CmpOp, Box<(NumExpr, NumExpr)>),
    /// `==` (`equal`) or `!=` on addresses, booleans, bytes or strings.
    Equal {
        equal: bool,
        operands: Box<(Expr, Expr)>,
    },
    In {
        negated: bool,
        item: Box<Expr>,
        list: Box<ListExpr>,
    },
}

#[derive(Debug, Clone)]
pub(crate) enum NumExpr {
    Const(Num),
    Field(usize, NumTy),
    /// `-x` in the type `x` has.
    Neg(Box<NumExpr>, NumTy),
    /// `abs(x)`, an `intN` made `uintN`.
    Abs(Box<NumExpr>),
    /// Left to right, each intermediate result checked against `ty`.
    Arith {
        first: Box<NumExpr>,
        rest: Vec<(ArithOp, NumExpr)>,
        ty: NumTy,
    },
    /// `len(…)` of bytes, a string (in bytes) or a list field.
    Len(Box<Expr>),
}

#[derive(Debug, Clone)]
pub(crate) enum AddrExpr {
    Const(Address),
    Field(usize),
}

#[derive(Debug, Clone)]
pub(crate) enum BytesExpr {
    Const(Vec<u8>),
    /// A field of type `bytes` (`None`) or `bytesN`.
    Field(usize, Option<usize>),
}

#[derive(Debug, Clone)]
pub(crate) enum StrExpr {
    Const(String),
    Field(usize),
    Lower(Box<StrExpr>),
}

#[derive(Debug, Clone)]
pub(crate) enum ListExpr {
    /// A named list or a list literal of constants.
    Const(Set),
    /// A list literal with computed elements.
    Items(Vec<Expr>),
    /// A field holding a list.
    Field(usize),
}

/// The elements of a constant list, sorted (see [`Set::sorted`]) and searched by
/// bisection; duplicates are kept, for `len`.
#[derive(Debug, Clone)]
pub(crate) enum Set {
    Num(Vec<Num>),
    Addr(Vec<Address>),
    Bool(Vec<bool>),
    Bytes(Vec<Vec<u8>>),
    Str(Vec<String>),
}

/// A computed operand of `==`, `!=` or `in`.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Item<'a> {
    Num(Num),
    Addr(Address),
    Bool(bool),
    Bytes(&'a [u8]),
    Str(Cow<'a, str>),
}

/// A comparison whose operands overflowed or divided by zero is false.
fn comparison(result: Eval<bool>) -> Eval<bool> {
    match result {
        Err(Fault::Arith) => Ok(false),
        other => other,
    }
}

impl CmpOp {
    fn holds(self, ordering: Ordering) -> bool {
        match self {
            CmpOp::Eq => ordering.is_eq(),
            CmpOp::Ne => ordering.is_ne(),
            CmpOp::Lt => ordering.is_lt(),
            CmpOp::Le => ordering.is_le(),
            CmpOp::Gt => ordering.is_gt(),
            CmpOp::Ge => ordering.is_ge(),
        }
    }
}

impl ArithOp {
    pub(crate) fn apply(self, a: Num, b: Num) -> Option<Num> {
        match self {
            ArithOp::Add => a.add(b),
            ArithOp::Sub => a.sub(b),
            ArithOp::Mul => a.mul(b),
            ArithOp::Div => a.div(b),
            ArithOp::Rem => a.rem(b),
        }
    }
}

impl BoolExpr {
    pub(crate) fn eval(&self, fields: &[Value]) -> Eval<bool> {
        match self {
            BoolExpr::Const(value) => Ok(*value),
            BoolExpr::Field(index) => match fields.get(*index) {
                Some(Value::Bool(value)) => Ok(*value),
                _ => Err(Fault::Field),
            },
            BoolExpr::Not(inner) => Ok(!inner.eval(fields)?),
            BoolExpr::And(operands) => {
                for operand in operands {
                    if !operand.eval(fields)? {
                        return Ok(false);
                    }
                }
                Ok(true)
            }
            BoolExpr::Or(operands) => {
                for operand in operands {
                    if operand.eval(fields)? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            BoolExpr::Compare(op, operands) => comparison((|| {
                let (lhs, rhs) = &**operands;
                let lhs = lhs.eval(fields);
                let rhs = rhs.eval(fields);
                // A field fault wins over an arithmetic one.
                let (lhs, rhs) = match (lhs, rhs) {
                    (Err(Fault::Field), _) | (_, Err(Fault::Field)) => return Err(Fault::Field),
                    (lhs, rhs) => (lhs?, rhs?),
                };
                Ok(op.holds(lhs.cmp(&rhs)))
            })()),
            BoolExpr::Equal { equal, operands } => comparison((|| {
                let (lhs, rhs) = &**operands;
                let lhs = lhs.item(fields);
                let rhs = rhs.item(fields);
                let (lhs, rhs) = match (lhs, rhs) {
                    (Err(Fault::Field), _) | (_, Err(Fault::Field)) => return Err(Fault::Field),
                    (lhs, rhs) => (lhs?, rhs?),
                };
                Ok((lhs == rhs) == *equal)
            })()),
            BoolExpr::In {
                negated,
                item,
                list,
            } => comparison((|| {
                let item = item.item(fields)?;
                Ok(list.contains(&item, fields)? != *negated)
            })()),
        }
    }
}

impl NumExpr {
    pub(crate) fn eval(&self, fields: &[Value]) -> Eval<Num> {
        match self {
            NumExpr::Const(value) => Ok(*value),
            NumExpr::Field(index, ty) => {
                let value = match fields.get(*index) {
                    Some(Value::Uint(value)) if !ty.signed => Num::from_uint(*value),
                    Some(Value::Int(value)) if ty.signed => Num::from_int(*value),
                    _ => return Err(Fault::Field),
                };
                if value.fits(*ty) {
                    Ok(value)
                } else {
                    Err(Fault::Field)
                }
            }
            NumExpr::Neg(inner, ty) => {
                let value = inner.eval(fields)?.negate();
                if value.fits(*ty) {
                    Ok(value)
                } else {
                    Err(Fault::Arith)
                }
            }
            NumExpr::Abs(inner) => Ok(inner.eval(fields)?.abs()),
            NumExpr::Arith { first, rest, ty } => {
                let mut value = first.eval(fields)?;
                for (op, operand) in rest {
                    let operand = operand.eval(fields)?;
                    value = op
                        .apply(value, operand)
                        .filter(|v| v.fits(*ty))
                        .ok_or(Fault::Arith)?;
                }
                Ok(value)
            }
            NumExpr::Len(inner) => {
                let len = match &**inner {
                    Expr::Bytes(bytes) => bytes.eval(fields)?.len(),
                    Expr::Str(text) => text.eval(fields)?.len(),
                    Expr::List(ListExpr::Field(index)) => match fields.get(*index) {
                        Some(Value::List(values)) => values.len(),
                        _ => return Err(Fault::Field),
                    },
                    Expr::List(ListExpr::Const(set)) => set.len(),
                    Expr::List(ListExpr::Items(items)) => items.len(),
                    Expr::Num(_) | Expr::Addr(_) | Expr::Bool(_) => return Err(Fault::Field),
                };
                Ok(Num::from_uint(alloy_primitives::U256::from(len)))
            }
        }
    }
}

impl AddrExpr {
    fn eval(&self, fields: &[Value]) -> Eval<Address> {
        match self {
            AddrExpr::Const(address) => Ok(*address),
            AddrExpr::Field(index) => match fields.get(*index) {
                Some(Value::Address(address)) => Ok(*address),
                _ => Err(Fault::Field),
            },
        }
    }
}

impl BytesExpr {
    fn eval<'a>(&'a self, fields: &'a [Value]) -> Eval<&'a [u8]> {
        match self {
            BytesExpr::Const(bytes) => Ok(bytes),
            BytesExpr::Field(index, size) => match fields.get(*index) {
                Some(Value::Bytes(bytes)) if size.is_none_or(|n| n == bytes.len()) => Ok(bytes),
                _ => Err(Fault::Field),
            },
        }
    }
}

impl StrExpr {
    fn eval<'a>(&'a self, fields: &'a [Value]) -> Eval<Cow<'a, str>> {
        match self {
            StrExpr::Const(text) => Ok(Cow::Borrowed(text)),
            StrExpr::Field(index) => match fields.get(*index) {
                Some(Value::String(text)) => Ok(Cow::Borrowed(text)),
                _ => Err(Fault::Field),
            },
            StrExpr::Lower(inner) => {
                let text = inner.eval(fields)?;
                if text.chars().any(char::is_uppercase) {
                    Ok(Cow::Owned(text.to_lowercase()))
                } else {
                    Ok(text)
                }
            }
        }
    }
}

impl Expr {
    fn item<'a>(&'a self, fields: &'a [Value]) -> Eval<Item<'a>> {
        Ok(match self {
            Expr::Num(num) => Item::Num(num.eval(fields)?),
            Expr::Addr(address) => Item::Addr(address.eval(fields)?),
            Expr::Bool(value) => Item::Bool(value.eval(fields)?),
            Expr::Bytes(bytes) => Item::Bytes(bytes.eval(fields)?),
            Expr::Str(text) => Item::Str(text.eval(fields)?),
            // The type checker lets no list be compared.
            Expr::List(_) => return Err(Fault::Field),
        })
    }
}

impl Set {
    /// The set with its elements sorted, as [`Set::contains`] needs.
    pub(crate) fn sorted(mut self) -> Self {
        match &mut self {
            Set::Num(values) => values.sort_unstable(),
            Set::Addr(values) => values.sort_unstable(),
            Set::Bool(values) => values.sort_unstable(),
            Set::Bytes(values) => values.sort_unstable(),
            Set::Str(values) => values.sort_unstable(),
        }
        self
    }

    fn len(&self) -> usize {
        match self {
            Set::Num(values) => values.len(),
            Set::Addr(values) => values.len(),
            Set::Bool(values) => values.len(),
            Set::Bytes(values) => values.len(),
            Set::Str(values) => values.len(),
        }
    }

    fn contains(&self, item: &Item<'_>) -> bool {
        match (self, item) {
            (Set::Num(values), Item::Num(n)) => values.binary_search(n).is_ok(),
            (Set::Addr(values), Item::Addr(a)) => values.binary_search(a).is_ok(),
            (Set::Bool(values), Item::Bool(b)) => values.contains(b),
            (Set::Bytes(values), Item::Bytes(b)) => {
                values.binary_search_by(|v| v.as_slice().cmp(b)).is_ok()
            }
            (Set::Str(values), Item::Str(s)) => values
                .binary_search_by(|v| v.as_str().cmp(s.as_ref()))
                .is_ok(),
            _ => false,
        }
    }
}

impl ListExpr {
    fn contains(&self, item: &Item<'_>, fields: &[Value]) -> Eval<bool> {
        match self {
            ListExpr::Const(set) => Ok(set.contains(item)),
            ListExpr::Items(items) => {
                for element in items {
                    match element.item(fields) {
                        Ok(element) if element == *item => return Ok(true),
                        Ok(_) | Err(Fault::Arith) => {}
                        Err(Fault::Field) => return Err(Fault::Field),
                    }
                }
                Ok(false)
            }
            ListExpr::Field(index) => match fields.get(*index) {
                Some(Value::List(values)) => Ok(values.iter().any(|v| value_is(v, item))),
                _ => Err(Fault::Field),
            },
        }
    }
}

/// Whether a list field's element equals `item`.
fn value_is(value: &Value, item: &Item<'_>) -> bool {
    match (value, item) {
        (Value::Uint(v), Item::Num(n)) => Num::from_uint(*v) == *n,
        (Value::Int(v), Item::Num(n)) => Num::from_int(*v) == *n,
        (Value::Address(v), Item::Addr(a)) => v == a,
        (Value::Bool(v), Item::Bool(b)) => v == b,
        (Value::Bytes(v), Item::Bytes(b)) => v.as_slice() == *b,
        (Value::String(v), Item::Str(s)) => v.as_str() == s.as_ref(),
        _ => false,
    }
}
