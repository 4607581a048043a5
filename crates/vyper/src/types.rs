//! Reading type expressions: Vyper writes types as expressions
//! (`HashMap[address, uint256]`, `DynArray[T, 8]`, `Bytes[32]`, `uint256[3]`).

use crate::ast::{Ast, ExprId, ExprKind, Ident};

/// The shape of a type expression.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TypeShape<'a> {
    /// `uint256`, `address`, a struct, flag or interface name, or `module.Name`
    /// (the last segment).
    Named(&'a Ident),
    /// `HashMap[K, V]` (0.1: `map(K, V)`).
    HashMap { key: ExprId, value: ExprId },
    /// `DynArray[T, N]`.
    DynArray { elem: ExprId, max: ExprId },
    /// `Bytes[N]` (0.1: `bytes[N]`).
    Bytes { max: ExprId },
    /// `String[N]` (0.1: `string[N]`).
    String { max: ExprId },
    /// `T[N]`.
    FixedArray { elem: ExprId, len: ExprId },
    /// `(T, U)` (return types).
    Tuple(&'a [ExprId]),
    /// Anything else (or a broken type).
    Unknown,
}

impl Ast {
    /// Classifies a type expression.
    pub fn type_shape(&self, ty: ExprId) -> TypeShape<'_> {
        match &self.expr(ty).kind {
            ExprKind::Name(n) => TypeShape::Named(n),
            ExprKind::Attribute { attr, .. } => TypeShape::Named(attr),
            ExprKind::Tuple(items) => TypeShape::Tuple(items),
            ExprKind::Subscript { base, index } => {
                let pair = match &self.expr(*index).kind {
                    ExprKind::Tuple(items) if items.len() == 2 => Some((items[0], items[1])),
                    _ => None,
                };
                let base_name = match &self.expr(*base).kind {
                    ExprKind::Name(n) => Some(n.as_str()),
                    _ => None,
                };
                match (base_name, pair) {
                    (Some("HashMap"), Some((key, value))) => TypeShape::HashMap { key, value },
                    (Some("DynArray"), Some((elem, max))) => TypeShape::DynArray { elem, max },
                    (Some("Bytes" | "bytes"), None) => TypeShape::Bytes { max: *index },
                    (Some("String" | "string"), None) => TypeShape::String { max: *index },
                    (_, None) => TypeShape::FixedArray {
                        elem: *base,
                        len: *index,
                    },
                    _ => TypeShape::Unknown,
                }
            }
            ExprKind::Call {
                func,
                args,
                keywords,
            } if keywords.is_empty() && args.len() == 2 => match &self.expr(*func).kind {
                ExprKind::Name(n) if n.as_str() == "map" => TypeShape::HashMap {
                    key: args[0],
                    value: args[1],
                },
                _ => TypeShape::Unknown,
            },
            _ => TypeShape::Unknown,
        }
    }
}
