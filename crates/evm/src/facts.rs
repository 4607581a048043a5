//! What the interpreter learns about each function: storage accesses, caller guards, uses of
//! the origin, external calls and self-destructs.

use alloy_primitives::U256;

use crate::value::{Source, Sources, Value};

/// A value as the facts describe it: its constant when known, its sources otherwise.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Operand {
    pub constant: Option<U256>,
    pub sources: Sources,
    /// The constant storage slot the value was loaded from, when it was.
    pub storage_slot: Option<U256>,
}

impl Operand {
    pub(crate) fn of(value: &Value) -> Self {
        Self {
            constant: value.konst,
            sources: value.sources.public(),
            storage_slot: value.slot,
        }
    }

    pub(crate) fn join(&self, other: &Self) -> Self {
        Self {
            constant: if self.constant == other.constant {
                self.constant
            } else {
                None
            },
            sources: self.sources | other.sources,
            storage_slot: if self.storage_slot == other.storage_slot {
                self.storage_slot
            } else {
                None
            },
        }
    }

    /// Whether the value is computed from calldata.
    pub fn from_calldata(&self) -> bool {
        self.sources.contains(Source::Calldata)
    }
}

/// The storage slot of an access, classified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SlotKind {
    /// A constant slot (a state variable).
    Constant(U256),
    /// A hash keyed by the caller (`mapping[msg.sender]`).
    KeyedByCaller,
    /// A hash keyed by calldata (`mapping[argument]`, dynamic arrays).
    KeyedByCalldata,
    /// Calldata itself, or arithmetic on it, without a hash: any slot the caller chooses.
    Calldata,
    /// A calldata index checked against a constant bound before use, plus constants: an
    /// element of a fixed-size array.
    CalldataIndexed,
    /// Anything else.
    Computed,
}

impl SlotKind {
    pub(crate) fn of(slot: &Operand) -> Self {
        let s = slot.sources;
        if let Some(k) = slot.constant {
            Self::Constant(k)
        } else if s.contains(Source::Keccak) && s.contains(Source::Caller) {
            Self::KeyedByCaller
        } else if s.contains(Source::Keccak) && s.contains(Source::Calldata) {
            Self::KeyedByCalldata
        } else if s.contains(Source::Calldata) && !s.contains(Source::Keccak) {
            Self::Calldata
        } else {
            Self::Computed
        }
    }
}

/// One `SLOAD` or `SSTORE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorageAccess {
    pub pc: usize,
    pub slot: Operand,
    pub kind: SlotKind,
    /// Whether every path to the access passed a caller guard.
    pub guarded: bool,
    /// For a write: a call forwarding more than 2300 gas that some path made before it.
    pub after_call: Option<usize>,
}

/// The kind of an external call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CallKind {
    Call,
    CallCode,
    DelegateCall,
    StaticCall,
}

impl CallKind {
    /// The mnemonic.
    pub fn name(self) -> &'static str {
        match self {
            Self::Call => "CALL",
            Self::CallCode => "CALLCODE",
            Self::DelegateCall => "DELEGATECALL",
            Self::StaticCall => "STATICCALL",
        }
    }
}

/// One external call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalCall {
    pub pc: usize,
    pub kind: CallKind,
    pub target: Operand,
    /// The wei sent (CALL and CALLCODE).
    pub value: Option<Operand>,
    pub gas: Operand,
    /// Whether the call may forward more than the 2300-gas stipend.
    pub forwards_gas: bool,
    /// Whether the success flag reaches a decision (JUMPI), memory or storage on some path.
    pub success_checked: bool,
    /// Whether every path to the call passed a caller guard.
    pub guarded: bool,
    /// Whether every path to the call read a storage slot keyed by the caller first.
    pub after_caller_keyed_read: bool,
}

/// One reachable `SELFDESTRUCT`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelfDestruct {
    pub pc: usize,
    pub beneficiary: Operand,
    /// Whether every path to it passed a caller guard.
    pub guarded: bool,
}

/// Everything known about one function.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FunctionFacts {
    pub storage_reads: Vec<StorageAccess>,
    pub storage_writes: Vec<StorageAccess>,
    /// JUMPIs decided by a comparison of the caller with storage or a constant, or by a
    /// boolean keyed by the caller (`isOwner[msg.sender]`), one side of which reverts.
    pub caller_guards: Vec<usize>,
    /// JUMPIs decided by a comparison of the origin.
    pub origin_checks: Vec<usize>,
    /// Whether `ORIGIN` is executed.
    pub uses_origin: bool,
    pub calls: Vec<ExternalCall>,
    pub selfdestructs: Vec<SelfDestruct>,
}
