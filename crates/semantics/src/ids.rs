//! Typed ids that name things across the files of one model.

use syntax::FileId;
use syntax::ast::{ExprId, ItemId};

/// An item (contract, function, variable, struct, ...) in one file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ItemRef {
    /// The file declaring the item.
    pub file: FileId,
    /// The item in that file's AST.
    pub item: ItemId,
}

/// An expression in one file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ExprRef {
    /// The file containing the expression.
    pub file: FileId,
    /// The expression in that file's AST.
    pub expr: ExprId,
}

macro_rules! define_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub u32);

        impl $name {
            /// The position in its table.
            pub const fn index(self) -> usize {
                self.0 as usize
            }
        }
    };
}

define_id!(
    /// A contract, interface or library of the model.
    ContractId
);
define_id!(
    /// A function-like definition (function, constructor, fallback, receive, modifier) of the model.
    FunctionId
);
define_id!(
    /// A parameter, return variable or local variable of the model.
    VarId
);
