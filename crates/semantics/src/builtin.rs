//! Builtin names and members of Solidity.

/// A builtin global name or a builtin member (`msg.sender`, `addr.call`, `arr.push`, ...).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum Builtin {
    // Global names.
    Msg,
    Tx,
    Block,
    Abi,
    This,
    Super,
    /// `now` (before 0.7): `block.timestamp`.
    Now,
    Require,
    Assert,
    Revert,
    Keccak256,
    /// `sha3` (before 0.5): `keccak256`.
    Sha3,
    Sha256,
    Ripemd160,
    Ecrecover,
    Addmod,
    Mulmod,
    Selfdestruct,
    /// `suicide` (before 0.5): `selfdestruct`.
    Suicide,
    Blockhash,
    Blobhash,
    Gasleft,
    // `msg.*`.
    MsgSender,
    MsgValue,
    MsgData,
    MsgSig,
    MsgGas,
    // `tx.*`.
    TxOrigin,
    TxGasPrice,
    // `block.*`.
    BlockTimestamp,
    BlockNumber,
    BlockDifficulty,
    BlockPrevrandao,
    BlockCoinbase,
    BlockGasLimit,
    BlockBaseFee,
    BlockChainId,
    BlockBlobBaseFee,
    BlockBlockhash,
    // `abi.*`.
    AbiEncode,
    AbiEncodePacked,
    AbiEncodeWithSelector,
    AbiEncodeWithSignature,
    AbiEncodeCall,
    AbiDecode,
    // Address members.
    AddressBalance,
    AddressCode,
    AddressCodehash,
    AddressCall,
    AddressDelegatecall,
    AddressStaticcall,
    AddressCallcode,
    AddressSend,
    AddressTransfer,
    // Array, bytes and string members.
    ArrayLength,
    ArrayPush,
    ArrayPop,
    BytesConcat,
    StringConcat,
    // `type(T).*`.
    TypeName,
    TypeCreationCode,
    TypeRuntimeCode,
    TypeInterfaceId,
    TypeMin,
    TypeMax,
    // Function members.
    FunctionSelector,
    FunctionAddress,
    /// Legacy `f.value(v)` (before 0.7).
    FunctionValue,
    /// Legacy `f.gas(g)` (before 0.7).
    FunctionGas,
    // User-defined value types.
    Wrap,
    Unwrap,
}

impl Builtin {
    /// The builtin global named `name`, if any.
    pub fn global(name: &str) -> Option<Builtin> {
        Some(match name {
            "msg" => Builtin::Msg,
            "tx" => Builtin::Tx,
            "block" => Builtin::Block,
            "abi" => Builtin::Abi,
            "this" => Builtin::This,
            "super" => Builtin::Super,
            "now" => Builtin::Now,
            "require" => Builtin::Require,
            "assert" => Builtin::Assert,
            "revert" => Builtin::Revert,
            "keccak256" => Builtin::Keccak256,
            "sha3" => Builtin::Sha3,
            "sha256" => Builtin::Sha256,
            "ripemd160" => Builtin::Ripemd160,
            "ecrecover" => Builtin::Ecrecover,
            "addmod" => Builtin::Addmod,
            "mulmod" => Builtin::Mulmod,
            "selfdestruct" => Builtin::Selfdestruct,
            "suicide" => Builtin::Suicide,
            "blockhash" => Builtin::Blockhash,
            "blobhash" => Builtin::Blobhash,
            "gasleft" => Builtin::Gasleft,
            _ => return None,
        })
    }

    /// True for values a miner or validator can influence (`block.*`, `now`, `blockhash`).
    pub fn is_block_value(self) -> bool {
        matches!(
            self,
            Builtin::Now
                | Builtin::Blockhash
                | Builtin::BlockTimestamp
                | Builtin::BlockNumber
                | Builtin::BlockDifficulty
                | Builtin::BlockPrevrandao
                | Builtin::BlockCoinbase
                | Builtin::BlockGasLimit
                | Builtin::BlockBaseFee
                | Builtin::BlockBlockhash
        )
    }
}
