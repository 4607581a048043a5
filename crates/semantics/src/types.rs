//! Expression types, as far as the source determines them.

use syntax::FileId;
use syntax::ast::ElementaryType;

use crate::ids::{ContractId, ItemRef};

/// The type of an expression. [`Type::Unknown`] is explicit: the model never guesses.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Type {
    /// The source does not determine the type (missing file, unsupported construct, ...).
    Unknown,
    /// `uint256`, `address payable`, `bool`, `bytes32`, `string`, `bytes`, ...
    Elementary(ElementaryType),
    /// A number literal (its type is decided by the context).
    NumberLiteral,
    /// A string or hex string literal.
    StringLiteral,
    /// A value of contract, interface or library type.
    Contract(ContractId),
    /// A value of a struct type.
    Struct(ItemRef),
    /// A value of an enum type.
    Enum(ItemRef),
    /// A value of a user-defined value type (`type T is uint256`).
    UserValue(ItemRef),
    /// `mapping(K => V)`.
    Mapping(Box<Type>, Box<Type>),
    /// `T[]` (`fixed` is false) or `T[n]`.
    Array {
        /// The element type.
        element: Box<Type>,
        /// A fixed-size array.
        fixed: bool,
    },
    /// `(a, b)` or the result of a call with several return values.
    Tuple(Vec<Type>),
    /// A declared function (or modifier, event, error) named directly; calling it yields its returns.
    Function(ItemRef),
    /// A public state variable reached through a contract value: its getter.
    Getter(ItemRef),
    /// A variable of function type; calling it yields these returns.
    FunctionPointer(Vec<Type>),
    /// A builtin function (`require`, `keccak256`, `addr.call`, `abi.encode`, ...).
    BuiltinFunction(crate::Builtin),
    /// `msg`, `tx`, `block`, `abi` and `type(T)`.
    Magic(Magic),
    /// `super` inside a contract.
    Super(ContractId),
    /// A type used as an expression: `uint256` in `uint256(x)`, `C` in `C(addr)` or `C.f`.
    TypeType(Box<Type>),
    /// An import alias (`import "a.sol" as M`).
    Module(FileId),
}

/// The magic objects of Solidity.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Magic {
    /// `msg`.
    Msg,
    /// `tx`.
    Tx,
    /// `block`.
    Block,
    /// `abi`.
    Abi,
    /// `type(T)`.
    TypeInfo(Box<Type>),
}

impl Type {
    /// `uint256`.
    pub const UINT256: Type = Type::Elementary(ElementaryType::Uint(256));
    /// `bool`.
    pub const BOOL: Type = Type::Elementary(ElementaryType::Bool);
    /// `bytes`.
    pub const BYTES: Type = Type::Elementary(ElementaryType::Bytes);
    /// `address`.
    pub const ADDRESS: Type = Type::Elementary(ElementaryType::Address { payable: false });
    /// `address payable`.
    pub const ADDRESS_PAYABLE: Type = Type::Elementary(ElementaryType::Address { payable: true });

    /// True for [`Type::Unknown`].
    pub fn is_unknown(&self) -> bool {
        matches!(self, Type::Unknown)
    }

    /// True for `address` and `address payable`.
    pub fn is_address(&self) -> bool {
        matches!(self, Type::Elementary(ElementaryType::Address { .. }))
    }

    /// The contract, for values of contract type.
    pub fn as_contract(&self) -> Option<ContractId> {
        match self {
            Type::Contract(c) => Some(*c),
            _ => None,
        }
    }

    /// True for signed or unsigned integers.
    pub fn is_integer(&self) -> bool {
        matches!(
            self,
            Type::Elementary(ElementaryType::Int(_) | ElementaryType::Uint(_))
                | Type::NumberLiteral
        )
    }
}
