//! Type checking: from the syntax tree to the compiled tree of [`super::eval`], with
//! names resolved to field positions and named lists to sets.
//!
//! Integer literals have no type of their own: they take the type of the number they are
//! combined with (and must fit it in arithmetic), and arithmetic on literals alone is done
//! here, once. Numbers of any width and signedness compare mathematically.

use std::fmt;

use alloy_primitives::U256;

use super::eval::{AddrExpr, BoolExpr, BytesExpr, Expr, ListExpr, NumExpr, Set, StrExpr};
use super::num::{Num, NumTy};
use super::parser::{ArithOp, ArithStep, CmpOp, Kind, Node};
use super::{Env, Error, Type, Value};

/// The type of a checked expression.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Ty {
    Num(NumTy),
    /// An integer literal, or arithmetic on literals only (the expression is a constant).
    Lit,
    Address,
    Bool,
    Bytes(Option<usize>),
    Str,
    List(Box<Ty>),
    /// `[]`: no element type.
    EmptyList,
}

impl Ty {
    fn of(ty: &Type) -> Self {
        match ty {
            Type::Uint(bits) => Ty::Num(NumTy::uint(*bits)),
            Type::Int(bits) => Ty::Num(NumTy::int(*bits)),
            Type::Address => Ty::Address,
            Type::Bool => Ty::Bool,
            Type::Bytes(size) => Ty::Bytes(*size),
            Type::String => Ty::Str,
            Type::List(element) => Ty::List(Box::new(Ty::of(element))),
        }
    }

    fn is_number(&self) -> bool {
        matches!(self, Ty::Num(_) | Ty::Lit)
    }

    fn is_list(&self) -> bool {
        matches!(self, Ty::List(_) | Ty::EmptyList)
    }

    /// Whether values of the two types can be equal: numbers with numbers, bytes of any
    /// size with bytes, otherwise the same type.
    fn comparable(&self, other: &Ty) -> bool {
        match (self, other) {
            (a, b) if a.is_number() && b.is_number() => true,
            (Ty::Bytes(_), Ty::Bytes(_)) => true,
            (Ty::Address, Ty::Address) | (Ty::Bool, Ty::Bool) | (Ty::Str, Ty::Str) => true,
            _ => false,
        }
    }
}

impl fmt::Display for Ty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ty::Num(ty) => write!(f, "{ty}"),
            Ty::Lit => f.write_str("a number"),
            Ty::Address => f.write_str("address"),
            Ty::Bool => f.write_str("bool"),
            Ty::Bytes(None) => f.write_str("bytes"),
            Ty::Bytes(Some(n)) => write!(f, "bytes{n}"),
            Ty::Str => f.write_str("string"),
            Ty::List(element) => write!(f, "a list of {element}"),
            Ty::EmptyList => f.write_str("an empty list"),
        }
    }
}

/// Checks a whole condition; it must be a boolean. `used` gets the positions of the fields
/// the condition reads.
pub(crate) fn condition(node: &Node, env: &Env, used: &mut Vec<usize>) -> Result<BoolExpr, Error> {
    let mut checker = Checker { env, used };
    let (expr, ty) = checker.check(node)?;
    match expr {
        Expr::Bool(expr) => Ok(expr),
        _ => Err(error(
            node.at,
            format!(
                "the condition must be true or false, this is {}",
                article(&ty)
            ),
        )),
    }
}

fn error(at: usize, message: impl Into<String>) -> Error {
    Error {
        at,
        message: message.into(),
    }
}

/// `ty` in a sentence: "this is a uint256", "this is an address", "this is a number",
/// "this is bytes".
fn article(ty: &Ty) -> String {
    match ty {
        Ty::Lit | Ty::List(_) | Ty::EmptyList | Ty::Bytes(None) => ty.to_string(),
        Ty::Address | Ty::Num(NumTy { signed: true, .. }) => format!("an {ty}"),
        _ => format!("a {ty}"),
    }
}

/// The constant value of a literal expression (of type [`Ty::Lit`]).
fn literal(expr: &Expr) -> Num {
    match expr {
        Expr::Num(NumExpr::Const(value)) => *value,
        _ => Num::ZERO,
    }
}

struct Checker<'a> {
    env: &'a Env,
    used: &'a mut Vec<usize>,
}

impl Checker<'_> {
    fn check(&mut self, node: &Node) -> Result<(Expr, Ty), Error> {
        let at = node.at;
        Ok(match &node.kind {
            Kind::Int(value) => (Expr::Num(NumExpr::Const(Num::from_uint(*value))), Ty::Lit),
            Kind::Address(address) => (Expr::Addr(AddrExpr::Const(*address)), Ty::Address),
            Kind::Bool(value) => (Expr::Bool(BoolExpr::Const(*value)), Ty::Bool),
            Kind::Str(text) => (Expr::Str(StrExpr::Const(text.clone())), Ty::Str),
            Kind::Bytes(bytes) => (
                Expr::Bytes(BytesExpr::Const(bytes.clone())),
                Ty::Bytes(None),
            ),
            Kind::Name(name) => self.name(name, at)?,
            Kind::Call { name, args } => self.call(name, args, at)?,
            Kind::List(items) => self.list(items)?,
            Kind::Neg(inner) => self.negate(inner, at)?,
            Kind::Not(inner) => {
                let inner = self.boolean(inner, "`not` needs")?;
                let expr = match inner {
                    BoolExpr::Const(value) => BoolExpr::Const(!value),
                    inner => BoolExpr::Not(Box::new(inner)),
                };
                (Expr::Bool(expr), Ty::Bool)
            }
            Kind::And(operands) => {
                let operands = operands
                    .iter()
                    .map(|operand| self.boolean(operand, "`and` needs"))
                    .collect::<Result<_, _>>()?;
                (Expr::Bool(BoolExpr::And(operands)), Ty::Bool)
            }
            Kind::Or(operands) => {
                let operands = operands
                    .iter()
                    .map(|operand| self.boolean(operand, "`or` needs"))
                    .collect::<Result<_, _>>()?;
                (Expr::Bool(BoolExpr::Or(operands)), Ty::Bool)
            }
            Kind::Compare {
                op,
                op_at,
                lhs,
                rhs,
            } => (Expr::Bool(self.compare(*op, *op_at, lhs, rhs)?), Ty::Bool),
            Kind::In {
                negated,
                op_at,
                item,
                list,
            } => (
                Expr::Bool(self.contains(*negated, *op_at, item, list)?),
                Ty::Bool,
            ),
            Kind::Arith { first, rest } => self.arith(first, rest)?,
        })
    }

    /// An operand of `and`, `or` or `not`.
    fn boolean(&mut self, node: &Node, what: &str) -> Result<BoolExpr, Error> {
        match self.check(node)? {
            (Expr::Bool(expr), _) => Ok(expr),
            (_, ty) => Err(error(
                node.at,
                format!("{what} true or false, this is {}", article(&ty)),
            )),
        }
    }

    fn name(&mut self, name: &str, at: usize) -> Result<(Expr, Ty), Error> {
        if let Some(index) = self.env.fields.iter().position(|(n, _)| n == name) {
            if !self.used.contains(&index) {
                self.used.push(index);
            }
            let ty = Ty::of(&self.env.fields[index].1);
            let expr = match &ty {
                Ty::Num(num) => Expr::Num(NumExpr::Field(index, *num)),
                Ty::Address => Expr::Addr(AddrExpr::Field(index)),
                Ty::Bool => Expr::Bool(BoolExpr::Field(index)),
                Ty::Bytes(size) => Expr::Bytes(BytesExpr::Field(index, *size)),
                Ty::Str => Expr::Str(StrExpr::Field(index)),
                Ty::List(_) | Ty::EmptyList | Ty::Lit => Expr::List(ListExpr::Field(index)),
            };
            return Ok((expr, ty));
        }
        if let Some((element, values)) = self.env.lists.get(name) {
            let ty = Ty::of(element);
            let set = named_set(name, &ty, values)
                .map_err(|message| error(at, message))?
                .sorted();
            return Ok((Expr::List(ListExpr::Const(set)), Ty::List(Box::new(ty))));
        }
        Err(error(at, self.unknown(name)))
    }

    /// The message for an unknown name, with the closest known name if one is close.
    fn unknown(&self, name: &str) -> String {
        let known = || {
            self.env
                .fields
                .iter()
                .map(|(n, _)| n.as_str())
                .chain(self.env.lists.keys().map(String::as_str))
        };
        let len = name.chars().count();
        let limit = if len <= 3 { 1 } else { (len / 3).max(2) };
        let closest = known()
            .map(|candidate| (edit_distance(name, candidate), candidate))
            .filter(|(distance, _)| *distance <= limit)
            .min_by_key(|(distance, _)| *distance);
        if let Some((_, candidate)) = closest {
            return format!("unknown name `{name}`; did you mean `{candidate}`?");
        }
        let names: Vec<String> = known().take(8).map(|n| format!("`{n}`")).collect();
        if names.is_empty() {
            format!("unknown name `{name}`; this rule has no fields")
        } else {
            format!("unknown name `{name}`; known names: {}", names.join(", "))
        }
    }

    fn call(&mut self, name: &str, args: &[Node], at: usize) -> Result<(Expr, Ty), Error> {
        if !matches!(name, "len" | "abs" | "lower") {
            return Err(error(
                at,
                format!("unknown function `{name}`; the functions are `len`, `abs` and `lower`"),
            ));
        }
        let [arg] = args else {
            return Err(error(
                at,
                format!("`{name}` takes 1 argument, {} given", args.len()),
            ));
        };
        let (expr, ty) = self.check(arg)?;
        let wrong = |expected: &str| {
            error(
                arg.at,
                format!("`{name}` takes {expected}, this is {}", article(&ty)),
            )
        };
        match name {
            "len" => {
                let len = |n: usize| {
                    (
                        Expr::Num(NumExpr::Const(Num::from_uint(U256::from(n)))),
                        Ty::Num(NumTy::uint(256)),
                    )
                };
                Ok(match expr {
                    Expr::Bytes(BytesExpr::Const(bytes)) => len(bytes.len()),
                    Expr::Str(StrExpr::Const(text)) => len(text.len()),
                    Expr::List(ListExpr::Items(items)) => len(items.len()),
                    expr @ (Expr::Bytes(_) | Expr::Str(_) | Expr::List(_)) => (
                        Expr::Num(NumExpr::Len(Box::new(expr))),
                        Ty::Num(NumTy::uint(256)),
                    ),
                    _ => return Err(wrong("bytes, a string or a list")),
                })
            }
            "abs" => match (expr, &ty) {
                (expr, Ty::Lit) => Ok((Expr::Num(NumExpr::Const(literal(&expr).abs())), Ty::Lit)),
                (Expr::Num(inner), Ty::Num(num)) if num.signed => Ok((
                    Expr::Num(NumExpr::Abs(Box::new(inner))),
                    Ty::Num(NumTy::uint(num.bits)),
                )),
                (_, Ty::Num(_)) => Err(wrong("an int (a uint is never negative)")),
                _ => Err(wrong("an int")),
            },
            _ => match expr {
                Expr::Str(StrExpr::Const(text)) => {
                    Ok((Expr::Str(StrExpr::Const(text.to_lowercase())), Ty::Str))
                }
                Expr::Str(inner) => Ok((Expr::Str(StrExpr::Lower(Box::new(inner))), Ty::Str)),
                _ => Err(wrong("a string")),
            },
        }
    }

    fn list(&mut self, items: &[Node]) -> Result<(Expr, Ty), Error> {
        let mut element: Option<Ty> = None;
        let mut exprs = Vec::with_capacity(items.len());
        for item in items {
            let (expr, ty) = self.check(item)?;
            if ty.is_list() {
                return Err(error(item.at, "a list cannot hold lists"));
            }
            match &element {
                None => element = Some(ty),
                Some(first) if first.comparable(&ty) => {
                    // A typed number decides the element type over literals.
                    if *first == Ty::Lit && ty != Ty::Lit {
                        element = Some(ty);
                    }
                }
                Some(first) => {
                    return Err(error(
                        item.at,
                        format!(
                            "the elements of a list have one type: this is {}, the first is {}",
                            article(&ty),
                            article(first)
                        ),
                    ));
                }
            }
            exprs.push(expr);
        }
        let Some(element) = element else {
            return Ok((Expr::List(ListExpr::Items(Vec::new())), Ty::EmptyList));
        };
        let list = match constant_set(&exprs) {
            Some(set) => ListExpr::Const(set.sorted()),
            None => ListExpr::Items(exprs),
        };
        Ok((Expr::List(list), Ty::List(Box::new(element))))
    }

    fn negate(&mut self, inner: &Node, at: usize) -> Result<(Expr, Ty), Error> {
        let (expr, ty) = self.check(inner)?;
        match (expr, &ty) {
            (expr, Ty::Lit) => Ok((Expr::Num(NumExpr::Const(literal(&expr).negate())), Ty::Lit)),
            (Expr::Num(expr), Ty::Num(num)) if num.signed => {
                Ok((Expr::Num(NumExpr::Neg(Box::new(expr), *num)), ty))
            }
            (_, Ty::Num(num)) => Err(error(
                at,
                format!("cannot negate a {num}: it is never negative"),
            )),
            _ => Err(error(
                at,
                format!("`-` needs a number, this is {}", article(&ty)),
            )),
        }
    }

    fn compare(
        &mut self,
        op: CmpOp,
        op_at: usize,
        lhs: &Node,
        rhs: &Node,
    ) -> Result<BoolExpr, Error> {
        let (left, left_ty) = self.check(lhs)?;
        let (right, right_ty) = self.check(rhs)?;
        for (node, ty) in [(lhs, &left_ty), (rhs, &right_ty)] {
            if ty.is_list() {
                return Err(error(
                    node.at,
                    "a list can only follow `in` or be given to `len`",
                ));
            }
        }
        if !left_ty.comparable(&right_ty) {
            return Err(error(
                op_at,
                format!("cannot compare {left_ty} with {right_ty}"),
            ));
        }
        match (left, right) {
            (Expr::Num(left), Expr::Num(right)) => Ok(match (&left, &right) {
                (NumExpr::Const(a), NumExpr::Const(b)) => BoolExpr::Const(op.holds_for(a, b)),
                _ => BoolExpr::Compare(op, Box::new((left, right))),
            }),
            (left, right) => {
                let equal = match op {
                    CmpOp::Eq => true,
                    CmpOp::Ne => false,
                    _ => {
                        return Err(error(
                            op_at,
                            format!("`{}` compares numbers, not {left_ty}", op.symbol()),
                        ));
                    }
                };
                Ok(BoolExpr::Equal {
                    equal,
                    operands: Box::new((left, right)),
                })
            }
        }
    }

    fn contains(
        &mut self,
        negated: bool,
        op_at: usize,
        item: &Node,
        list: &Node,
    ) -> Result<BoolExpr, Error> {
        let (item_expr, item_ty) = self.check(item)?;
        if item_ty.is_list() {
            return Err(error(
                item.at,
                "a list cannot be looked for in a list; `in` takes one value on its left",
            ));
        }
        let (list_expr, list_ty) = self.check(list)?;
        let Expr::List(list_expr) = list_expr else {
            return Err(error(
                list.at,
                format!("`in` needs a list after it, this is {}", article(&list_ty)),
            ));
        };
        if let Ty::List(element) = &list_ty
            && !element.comparable(&item_ty)
        {
            return Err(error(
                op_at,
                format!("cannot look for {} in {list_ty}", article(&item_ty)),
            ));
        }
        Ok(BoolExpr::In {
            negated,
            item: Box::new(item_expr),
            list: Box::new(list_expr),
        })
    }

    /// `first op operand op operand …`: literals fold together, and adapt to (and must
    /// fit) the type of the numbers they meet; both sides of each step are uints or ints.
    fn arith(&mut self, first: &Node, rest: &[ArithStep]) -> Result<(Expr, Ty), Error> {
        // `None` for a literal.
        let number = |checked: (Expr, Ty), at: usize, op: ArithOp| match checked {
            (Expr::Num(expr), Ty::Num(num)) => Ok((expr, Some(num))),
            (Expr::Num(expr), Ty::Lit) => Ok((expr, None)),
            (_, ty) => Err(error(
                at,
                format!("`{}` needs numbers, this is {}", op.symbol(), article(&ty)),
            )),
        };
        let fits = |value: Num, num: NumTy, at: usize| {
            if value.fits(num) {
                Ok(())
            } else {
                Err(error(at, format!("`{value}` does not fit in {num}")))
            }
        };
        let first_op = rest.first().map_or(ArithOp::Add, |step| step.op);
        let (mut acc, mut acc_ty) = number(self.check(first)?, first.at, first_op)?;
        for step in rest {
            let (operand, ty) = number(self.check(&step.operand)?, step.operand.at, step.op)?;
            let divides = matches!(step.op, ArithOp::Div | ArithOp::Rem);
            if divides && matches!(operand, NumExpr::Const(value) if value.is_zero()) {
                return Err(error(step.op_at, "division by zero"));
            }
            let result = match (acc_ty, ty) {
                (None, None) => {
                    let (NumExpr::Const(a), NumExpr::Const(b)) = (&acc, &operand) else {
                        return Err(error(step.op_at, "expected a constant"));
                    };
                    let value = step
                        .op
                        .apply(*a, *b)
                        .ok_or_else(|| error(step.op_at, "this arithmetic goes beyond 256 bits"))?;
                    acc = NumExpr::Const(value);
                    continue;
                }
                (None, Some(num)) => {
                    if let NumExpr::Const(value) = acc {
                        fits(value, num, first.at)?;
                    }
                    num
                }
                (Some(num), None) => {
                    if let NumExpr::Const(value) = operand {
                        fits(value, num, step.operand.at)?;
                    }
                    num
                }
                (Some(a), Some(b)) => {
                    if a.signed != b.signed {
                        return Err(error(
                            step.op_at,
                            format!(
                                "cannot mix {a} and {b} in arithmetic: both sides must be uints or both ints"
                            ),
                        ));
                    }
                    NumTy {
                        signed: a.signed,
                        bits: a.bits.max(b.bits),
                    }
                }
            };
            acc = match acc {
                NumExpr::Arith {
                    first,
                    mut rest,
                    ty,
                } if ty == result => {
                    rest.push((step.op, operand));
                    NumExpr::Arith { first, rest, ty }
                }
                acc => NumExpr::Arith {
                    first: Box::new(acc),
                    rest: vec![(step.op, operand)],
                    ty: result,
                },
            };
            acc_ty = Some(result);
        }
        let ty = acc_ty.map_or(Ty::Lit, Ty::Num);
        Ok((Expr::Num(acc), ty))
    }
}

impl CmpOp {
    fn holds_for(self, a: &Num, b: &Num) -> bool {
        match self {
            CmpOp::Eq => a == b,
            CmpOp::Ne => a != b,
            CmpOp::Lt => a < b,
            CmpOp::Le => a <= b,
            CmpOp::Gt => a > b,
            CmpOp::Ge => a >= b,
        }
    }
}

/// A named list as a set, checking each value against the element type.
fn named_set(name: &str, element: &Ty, values: &[Value]) -> Result<Set, String> {
    let wrong = || {
        format!(
            "the list `{name}` holds a value that is not {}",
            article(element)
        )
    };
    Ok(match element {
        Ty::Num(num) => Set::Num(
            values
                .iter()
                .map(|value| match value {
                    Value::Uint(v) => Some(Num::from_uint(*v)),
                    Value::Int(v) => Some(Num::from_int(*v)),
                    _ => None,
                })
                .map(|n| n.filter(|n| n.fits(*num)))
                .collect::<Option<_>>()
                .ok_or_else(wrong)?,
        ),
        Ty::Address => Set::Addr(
            values
                .iter()
                .map(|value| match value {
                    Value::Address(a) => Some(*a),
                    _ => None,
                })
                .collect::<Option<_>>()
                .ok_or_else(wrong)?,
        ),
        Ty::Bool => Set::Bool(
            values
                .iter()
                .map(|value| match value {
                    Value::Bool(b) => Some(*b),
                    _ => None,
                })
                .collect::<Option<_>>()
                .ok_or_else(wrong)?,
        ),
        Ty::Bytes(_) => Set::Bytes(
            values
                .iter()
                .map(|value| match value {
                    Value::Bytes(b) => Some(b.clone()),
                    _ => None,
                })
                .collect::<Option<_>>()
                .ok_or_else(wrong)?,
        ),
        Ty::Str => Set::Str(
            values
                .iter()
                .map(|value| match value {
                    Value::String(s) => Some(s.clone()),
                    _ => None,
                })
                .collect::<Option<_>>()
                .ok_or_else(wrong)?,
        ),
        Ty::Lit | Ty::List(_) | Ty::EmptyList => {
            return Err(format!(
                "the list `{name}` holds lists, which conditions cannot use"
            ));
        }
    })
}

/// The elements of a list literal as a set, if they are all constants.
fn constant_set(exprs: &[Expr]) -> Option<Set> {
    let first = exprs.first()?;
    Some(match first {
        Expr::Num(_) => Set::Num(
            exprs
                .iter()
                .map(|e| match e {
                    Expr::Num(NumExpr::Const(n)) => Some(*n),
                    _ => None,
                })
                .collect::<Option<_>>()?,
        ),
        Expr::Addr(_) => Set::Addr(
            exprs
                .iter()
                .map(|e| match e {
                    Expr::Addr(AddrExpr::Const(a)) => Some(*a),
                    _ => None,
                })
                .collect::<Option<_>>()?,
        ),
        Expr::Bool(_) => Set::Bool(
            exprs
                .iter()
                .map(|e| match e {
                    Expr::Bool(BoolExpr::Const(b)) => Some(*b),
                    _ => None,
                })
                .collect::<Option<_>>()?,
        ),
        Expr::Bytes(_) => Set::Bytes(
            exprs
                .iter()
                .map(|e| match e {
                    Expr::Bytes(BytesExpr::Const(b)) => Some(b.clone()),
                    _ => None,
                })
                .collect::<Option<_>>()?,
        ),
        Expr::Str(_) => Set::Str(
            exprs
                .iter()
                .map(|e| match e {
                    Expr::Str(StrExpr::Const(s)) => Some(s.clone()),
                    _ => None,
                })
                .collect::<Option<_>>()?,
        ),
        Expr::List(_) => return None,
    })
}

/// The edit distance between two names in characters: insertions, deletions,
/// substitutions and transpositions of neighbours (optimal string alignment).
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let width = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * width];
    for i in 0..=a.len() {
        d[i * width] = i;
    }
    for (j, cell) in d.iter_mut().enumerate().take(width) {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[(i - 1) * width + j] + 1)
                .min(d[i * width + j - 1] + 1)
                .min(d[(i - 1) * width + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[(i - 2) * width + j - 2] + 1);
            }
            d[i * width + j] = best;
        }
    }
    d[a.len() * width + b.len()]
}

#[cfg(test)]
mod tests {
    use super::edit_distance;

    #[test]
    fn edit_distances() {
        assert_eq!(edit_distance("valu", "value"), 1);
        assert_eq!(edit_distance("vaule", "value"), 1);
        assert_eq!(edit_distance("valeu", "value"), 1);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("caller", "caller"), 0);
    }
}
