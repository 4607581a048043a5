//! The abstract values of the stack interpreter: a constant when known, and the sources a
//! value was computed from.

use alloy_primitives::U256;

/// Where a value may come from. A set: a sum of calldata and a storage value has both.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sources(u32);

impl std::fmt::Debug for Sources {
    /// `{calldata, caller}`: the public sources by name.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        const NAMES: [(Source, &str); 11] = [
            (Source::Calldata, "calldata"),
            (Source::Caller, "caller"),
            (Source::Origin, "origin"),
            (Source::CallValue, "callvalue"),
            (Source::Balance, "balance"),
            (Source::Storage, "storage"),
            (Source::CallerKeyedStorage, "caller-keyed-storage"),
            (Source::Keccak, "keccak"),
            (Source::Gas, "gas"),
            (Source::CallSuccess, "call-success"),
            (Source::ReturnData, "returndata"),
        ];
        let names: Vec<&str> = NAMES
            .iter()
            .filter(|(source, _)| self.contains(*source))
            .map(|(_, name)| *name)
            .collect();
        write!(f, "{{{}}}", names.join(", "))
    }
}

/// One source of a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Source {
    /// `CALLDATALOAD` or calldata copied to memory.
    Calldata,
    /// `CALLER` (`msg.sender`).
    Caller,
    /// `ORIGIN` (`tx.origin`).
    Origin,
    /// `CALLVALUE` (`msg.value`).
    CallValue,
    /// `SELFBALANCE` or `BALANCE` (an account's balance).
    Balance,
    /// `SLOAD`.
    Storage,
    /// A storage value whose slot is a hash keyed by the caller (`balances[msg.sender]`).
    CallerKeyedStorage,
    /// `KECCAK256`.
    Keccak,
    /// `GAS`.
    Gas,
    /// The success flag of an external call.
    CallSuccess,
    /// Data returned by an external call.
    ReturnData,
}

impl Sources {
    pub(crate) const CALLDATA: Self = Self(1);
    pub(crate) const CALLER: Self = Self(1 << 1);
    pub(crate) const ORIGIN: Self = Self(1 << 2);
    pub(crate) const CALLVALUE: Self = Self(1 << 3);
    pub(crate) const BALANCE: Self = Self(1 << 4);
    pub(crate) const STORAGE: Self = Self(1 << 5);
    pub(crate) const CALLER_KEYED: Self = Self(1 << 6);
    pub(crate) const KECCAK: Self = Self(1 << 7);
    pub(crate) const GAS: Self = Self(1 << 8);
    pub(crate) const CALL_SUCCESS: Self = Self(1 << 9);
    pub(crate) const RETURNDATA: Self = Self(1 << 10);
    /// Internal: the first calldata word (holds the selector).
    pub(crate) const CALLDATA_WORD0: Self = Self(1 << 16);
    /// Internal: the four-byte selector (first word shifted right by 224 bits).
    pub(crate) const SELECTOR: Self = Self(1 << 17);
    /// Internal: an equality of the caller with a storage value or a constant.
    pub(crate) const CALLER_EQ: Self = Self(1 << 18);
    /// Internal: an equality of the origin with something other than the caller.
    pub(crate) const ORIGIN_EQ: Self = Self(1 << 19);

    const PUBLIC: u32 = (1 << 11) - 1;

    /// No source: a constant or an opaque environment value.
    pub const fn empty() -> Self {
        Self(0)
    }

    /// Whether `source` is one of the sources.
    pub fn contains(self, source: Source) -> bool {
        let bit = match source {
            Source::Calldata => Self::CALLDATA,
            Source::Caller => Self::CALLER,
            Source::Origin => Self::ORIGIN,
            Source::CallValue => Self::CALLVALUE,
            Source::Balance => Self::BALANCE,
            Source::Storage => Self::STORAGE,
            Source::CallerKeyedStorage => Self::CALLER_KEYED,
            Source::Keccak => Self::KECCAK,
            Source::Gas => Self::GAS,
            Source::CallSuccess => Self::CALL_SUCCESS,
            Source::ReturnData => Self::RETURNDATA,
        };
        self.has(bit)
    }

    /// Whether no public source is set.
    pub fn is_empty(self) -> bool {
        self.0 & Self::PUBLIC == 0
    }

    pub(crate) fn has(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }

    pub(crate) fn any(self, other: Self) -> bool {
        self.0 & other.0 != 0
    }

    pub(crate) fn without(self, other: Self) -> Self {
        Self(self.0 & !other.0)
    }

    /// The public part only.
    pub(crate) fn public(self) -> Self {
        Self(self.0 & Self::PUBLIC)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_print_by_name() {
        let sources = Sources::CALLDATA | Sources::CALLER | Sources::SELECTOR;
        assert_eq!(format!("{sources:?}"), "{calldata, caller}");
        assert!(sources.contains(Source::Caller) && !sources.contains(Source::Origin));
    }
}

impl std::ops::BitOr for Sources {
    type Output = Self;
    fn bitor(self, rhs: Self) -> Self {
        Self(self.0 | rhs.0)
    }
}

impl std::ops::BitOrAssign for Sources {
    fn bitor_assign(&mut self, rhs: Self) {
        self.0 |= rhs.0;
    }
}

/// Up to four call pcs (more are dropped: their flags then count as unchecked).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct CallSet([u32; 4]);

impl Default for CallSet {
    fn default() -> Self {
        Self([u32::MAX; 4])
    }
}

impl CallSet {
    pub(crate) fn one(pc: u32) -> Self {
        let mut set = Self::default();
        set.0[0] = pc;
        set
    }

    pub(crate) fn iter(self) -> impl Iterator<Item = u32> {
        self.0.into_iter().filter(|pc| *pc != u32::MAX)
    }

    pub(crate) fn union(self, other: Self) -> Self {
        let mut out = self;
        for pc in other.iter() {
            if out.0.contains(&pc) {
                continue;
            }
            if let Some(free) = out.0.iter_mut().find(|slot| **slot == u32::MAX) {
                *free = pc;
            }
        }
        out.0.sort_unstable();
        out
    }
}

/// An abstract stack or memory word.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub(crate) struct Value {
    pub(crate) konst: Option<U256>,
    pub(crate) sources: Sources,
    /// The constant storage slot the value was loaded from (kept through masks and shifts).
    pub(crate) slot: Option<U256>,
    /// The calls whose success flag this may be (kept through ISZERO, NOT, EQ, AND, OR, and
    /// through joins: a variable assigned by one of several calls).
    pub(crate) call: CallSet,
    /// `(selector, positive)`: the value is `selector == s` (`positive`) or its negation.
    pub(crate) selector_eq: Option<(u32, bool)>,
    /// The pc of the CALLDATALOAD the value is (a constant offset or mask of).
    pub(crate) origin: Option<u32>,
    /// `Some(true)`: the value is `caller == trusted`; `Some(false)`: its negation.
    pub(crate) caller_eq: Option<bool>,
    /// The value is a storage word keyed by the caller, at most masked, shifted or negated:
    /// a membership flag (`isOwner[msg.sender]`, `hasRole(role, msg.sender)`).
    pub(crate) caller_member: bool,
    /// The value is a comparison of the calldata word loaded at this pc with a constant.
    pub(crate) bound: Option<u32>,
}

impl Value {
    pub(crate) fn constant(konst: U256) -> Self {
        Self {
            konst: Some(konst),
            ..Self::default()
        }
    }

    pub(crate) fn from_sources(sources: Sources) -> Self {
        Self {
            sources,
            ..Self::default()
        }
    }

    /// The least value above both (what is common to two paths).
    pub(crate) fn join(&self, other: &Self) -> Self {
        Self {
            konst: if self.konst == other.konst {
                self.konst
            } else {
                None
            },
            sources: self.sources | other.sources,
            slot: if self.slot == other.slot {
                self.slot
            } else {
                None
            },
            call: self.call.union(other.call),
            selector_eq: if self.selector_eq == other.selector_eq {
                self.selector_eq
            } else {
                None
            },
            caller_member: self.caller_member && other.caller_member,
            caller_eq: if self.caller_eq == other.caller_eq {
                self.caller_eq
            } else {
                None
            },
            origin: if self.origin == other.origin {
                self.origin
            } else {
                None
            },
            bound: if self.bound == other.bound {
                self.bound
            } else {
                None
            },
        }
    }
}
