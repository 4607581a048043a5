//! Built-in functions and environment variables, recognised by name.
//!
//! Vyper has no user-visible way to shadow a built-in, so a call whose callee
//! is the bare name `raw_call` is the built-in `raw_call`.

use crate::ast::{Ast, ExprId, ExprKind, Ident};

macro_rules! builtins {
    ($($variant:ident => $name:literal,)*) => {
        /// A built-in function of Vyper 0.2 – 0.4 (and a few 0.1 spellings).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Builtin { $($variant,)* }

        impl Builtin {
            /// The built-in called `name`, if any.
            pub fn from_name(name: &str) -> Option<Self> {
                match name {
                    $($name => Some(Builtin::$variant),)*
                    _ => None,
                }
            }

            /// The name as written in source.
            pub fn name(self) -> &'static str {
                match self { $(Builtin::$variant => $name,)* }
            }
        }
    };
}

builtins! {
    // Calls and contract creation.
    RawCall => "raw_call",
    Send => "send",
    Selfdestruct => "selfdestruct",
    RawLog => "raw_log",
    RawRevert => "raw_revert",
    CreateMinimalProxyTo => "create_minimal_proxy_to",
    CreateForwarderTo => "create_forwarder_to",
    CreateCopyOf => "create_copy_of",
    CreateFromBlueprint => "create_from_blueprint",
    RawCreate => "raw_create",
    // Bytes and strings.
    Extract32 => "extract32",
    Slice => "slice",
    Concat => "concat",
    Len => "len",
    Uint2Str => "uint2str",
    AbiEncode => "abi_encode",
    AbiEncodeLegacy => "_abi_encode",
    AbiDecode => "abi_decode",
    AbiDecodeLegacy => "_abi_decode",
    MethodId => "method_id",
    // Conversions and values.
    Convert => "convert",
    Empty => "empty",
    Clear => "clear",
    MinValue => "min_value",
    MaxValue => "max_value",
    Epsilon => "epsilon",
    AsWeiValue => "as_wei_value",
    // Arithmetic.
    UnsafeAdd => "unsafe_add",
    UnsafeSub => "unsafe_sub",
    UnsafeMul => "unsafe_mul",
    UnsafeDiv => "unsafe_div",
    PowMod256 => "pow_mod256",
    Uint256Addmod => "uint256_addmod",
    Uint256Mulmod => "uint256_mulmod",
    Shift => "shift",
    Min => "min",
    Max => "max",
    Abs => "abs",
    Floor => "floor",
    Ceil => "ceil",
    Sqrt => "sqrt",
    Isqrt => "isqrt",
    // Cryptography and chain.
    Keccak256 => "keccak256",
    Sha256 => "sha256",
    Ecrecover => "ecrecover",
    Ecadd => "ecadd",
    Ecmul => "ecmul",
    Blockhash => "blockhash",
    Blobhash => "blobhash",
    // Loops and debugging.
    Range => "range",
    Print => "print",
    Breakpoint => "breakpoint",
}

impl Builtin {
    /// Transfers control or value to another account (or destroys this one).
    pub fn is_external_call(self) -> bool {
        matches!(
            self,
            Builtin::RawCall
                | Builtin::Send
                | Builtin::Selfdestruct
                | Builtin::CreateMinimalProxyTo
                | Builtin::CreateForwarderTo
                | Builtin::CreateCopyOf
                | Builtin::CreateFromBlueprint
                | Builtin::RawCreate
        )
    }

    /// `unsafe_add`, `unsafe_sub`, `unsafe_mul`, `unsafe_div`: wrapping arithmetic.
    pub fn is_unchecked_arithmetic(self) -> bool {
        matches!(
            self,
            Builtin::UnsafeAdd | Builtin::UnsafeSub | Builtin::UnsafeMul | Builtin::UnsafeDiv
        )
    }
}

/// An environment variable: `msg.sender`, `block.timestamp`, ...
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EnvVar {
    MsgSender,
    MsgValue,
    MsgData,
    MsgGas,
    MsgMana,
    TxOrigin,
    TxGasPrice,
    BlockTimestamp,
    BlockNumber,
    BlockCoinbase,
    BlockDifficulty,
    BlockPrevrandao,
    BlockGasLimit,
    BlockBaseFee,
    BlockPrevHash,
    BlockBlobBaseFee,
    ChainId,
}

impl EnvVar {
    fn from_parts(base: &str, attr: &str) -> Option<Self> {
        Some(match (base, attr) {
            ("msg", "sender") => EnvVar::MsgSender,
            ("msg", "value") => EnvVar::MsgValue,
            ("msg", "data") => EnvVar::MsgData,
            ("msg", "gas") => EnvVar::MsgGas,
            ("msg", "mana") => EnvVar::MsgMana,
            ("tx", "origin") => EnvVar::TxOrigin,
            ("tx", "gasprice") => EnvVar::TxGasPrice,
            ("block", "timestamp") => EnvVar::BlockTimestamp,
            ("block", "number") => EnvVar::BlockNumber,
            ("block", "coinbase") => EnvVar::BlockCoinbase,
            ("block", "difficulty") => EnvVar::BlockDifficulty,
            ("block", "prevrandao") => EnvVar::BlockPrevrandao,
            ("block", "gaslimit") => EnvVar::BlockGasLimit,
            ("block", "basefee") => EnvVar::BlockBaseFee,
            ("block", "prevhash") => EnvVar::BlockPrevHash,
            ("block", "blobbasefee") => EnvVar::BlockBlobBaseFee,
            ("chain", "id") => EnvVar::ChainId,
            _ => return None,
        })
    }

    /// Values a block producer chooses or can predict (`block.*`).
    pub fn is_block_value(self) -> bool {
        matches!(
            self,
            EnvVar::BlockTimestamp
                | EnvVar::BlockNumber
                | EnvVar::BlockCoinbase
                | EnvVar::BlockDifficulty
                | EnvVar::BlockPrevrandao
                | EnvVar::BlockGasLimit
                | EnvVar::BlockBaseFee
                | EnvVar::BlockPrevHash
                | EnvVar::BlockBlobBaseFee
        )
    }
}

impl Ast {
    /// The built-in a call expression calls, if its callee is a built-in's name.
    pub fn builtin_call(&self, call: ExprId) -> Option<Builtin> {
        let ExprKind::Call { func, .. } = &self.expr(call).kind else {
            return None;
        };
        match &self.expr(*func).kind {
            ExprKind::Name(name) => Builtin::from_name(name.as_str()),
            _ => None,
        }
    }

    /// The environment variable an expression reads (`msg.sender`, `tx.origin`, ...).
    pub fn env_var(&self, expr: ExprId) -> Option<EnvVar> {
        let ExprKind::Attribute { base, attr } = &self.expr(expr).kind else {
            return None;
        };
        match &self.expr(*base).kind {
            ExprKind::Name(base) => EnvVar::from_parts(base.as_str(), attr.as_str()),
            _ => None,
        }
    }

    /// `x` for `self.x` (a storage variable, or an internal function when called).
    pub fn self_member(&self, expr: ExprId) -> Option<&Ident> {
        let ExprKind::Attribute { base, attr } = &self.expr(expr).kind else {
            return None;
        };
        matches!(&self.expr(*base).kind, ExprKind::Name(n) if n.as_str() == "self").then_some(attr)
    }

    /// The keyword argument `name=` of a call expression.
    pub fn keyword_arg(&self, call: ExprId, name: &str) -> Option<ExprId> {
        let ExprKind::Call { keywords, .. } = &self.expr(call).kind else {
            return None;
        };
        keywords
            .iter()
            .find(|k| k.name.as_str() == name)
            .map(|k| k.value)
    }
}
