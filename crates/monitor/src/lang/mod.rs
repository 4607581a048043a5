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

/// A parsed, type-checked condition.
#[derive(Debug, Clone)]
pub struct Condition {
    _private: (),
}

/// Parses and type-checks `source` against `env`.
pub fn compile(source: &str, env: &Env) -> Result<Condition, LangError> {
    let _ = (source, env);
    Err(LangError {
        line: 1,
        column: 1,
        message: "the condition language is being written".into(),
    })
}

impl Condition {
    /// Evaluates the condition; `fields[i]` is the value of the `i`-th field of the
    /// [`Env`] it was compiled with.
    pub fn eval(&self, fields: &[Value]) -> bool {
        let _ = fields;
        false
    }
}
