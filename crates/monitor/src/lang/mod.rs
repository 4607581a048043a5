//! The condition language of monitor rules.
//!
//! A condition is one boolean expression over named fields (`caller`, `value`, a decoded
//! argument or event field) and named lists from the monitor file:
//!
//! ```text
//! caller not in allow_list and value > 100 ether
//! Transfer.value > 1e24
//! ```
//!
//! [`compile`] parses a condition and type-checks it against an [`Env`] (the fields a rule
//! offers, with their ABI types, and the lists); every mistake is a [`LangError`] with the
//! line and column it is at. A compiled [`Condition`] is evaluated against the field
//! values in the order of the [`Env`] it was compiled with.

use std::collections::BTreeMap;

use alloy_primitives::{Address, I256, U256};

mod check;
mod eval;
mod lexer;
mod num;
mod parser;

/// The type of a field, a list element or a literal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Type {
    /// `uintN` (bits).
    Uint(usize),
    /// `intN` (bits).
    Int(usize),
    Address,
    Bool,
    /// `bytes` and `bytesN` (`Some(N)`).
    Bytes(Option<usize>),
    String,
    /// A list (`[a, b]` literals and the monitor file's named lists).
    List(Box<Type>),
}

/// A field value or a list element at evaluation time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Uint(U256),
    Int(I256),
    Address(Address),
    Bool(bool),
    Bytes(Vec<u8>),
    String(String),
    List(Vec<Value>),
}

/// What a condition may name: fields (resolved to their position, in insertion order) and
/// named lists with their values.
#[derive(Debug, Clone, Default)]
pub struct Env {
    fields: Vec<(String, Type)>,
    lists: BTreeMap<String, (Type, Vec<Value>)>,
}

impl Env {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a field; its value is at this position in the slice given to
    /// [`Condition::eval`]. Returns the position.
    pub fn field(&mut self, name: &str, ty: Type) -> usize {
        self.fields.push((name.to_string(), ty));
        self.fields.len() - 1
    }

    /// Adds a named list whose elements all have type `element`.
    pub fn list(&mut self, name: &str, element: Type, values: Vec<Value>) {
        self.lists.insert(name.to_string(), (element, values));
    }

    pub fn fields(&self) -> &[(String, Type)] {
        &self.fields
    }
}

/// A condition that does not parse or does not type-check. `line` and `column` are
/// 1-based, counted in characters within the condition's text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{line}:{column}: {message}")]
pub struct LangError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// A mistake at a byte offset of the condition; made a [`LangError`] with line and column
/// by [`compile`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Error {
    pub(crate) at: usize,
    pub(crate) message: String,
}

/// A parsed, type-checked condition: names resolved to field positions, named lists to
/// sets, literal arithmetic done.
///
/// Evaluation never panics: arithmetic that overflows its type or divides by zero makes the
/// comparison (or `in`) it is part of false, and a field value that is missing or not of
/// its declared type makes the whole condition false.
#[derive(Debug, Clone)]
pub struct Condition {
    root: eval::BoolExpr,
    fields_used: Vec<usize>,
}

/// Parses and type-checks `source` against `env`.
pub fn compile(source: &str, env: &Env) -> Result<Condition, LangError> {
    let compiled = lexer::tokens(source).and_then(|tokens| {
        let node = parser::parse(&tokens)?;
        let mut fields_used = Vec::new();
        let root = check::condition(&node, env, &mut fields_used)?;
        fields_used.sort_unstable();
        Ok(Condition { root, fields_used })
    });
    compiled.map_err(|error| {
        let (line, column) = crate::line_column(source, error.at);
        LangError {
            line,
            column,
            message: error.message,
        }
    })
}

impl Condition {
    /// Evaluates the condition; `fields[i]` is the value of the `i`-th field of the
    /// [`Env`] it was compiled with. A missing field, or a value that is not of its field's
    /// type, makes the condition false.
    pub fn eval(&self, fields: &[Value]) -> bool {
        matches!(self.root.eval(fields), Ok(true))
    }

    /// The positions of the fields the condition reads, in increasing order (the others
    /// need not be decoded).
    pub fn fields_used(&self) -> &[usize] {
        &self.fields_used
    }
}
