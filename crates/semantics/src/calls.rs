//! Call sites and their classification.

use syntax::Span;
use syntax::ast::ExprId;

use crate::ids::{ContractId, ItemRef};

/// The low-level calls on addresses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LowLevelKind {
    /// `addr.call(...)`.
    Call,
    /// `addr.delegatecall(...)`.
    DelegateCall,
    /// `addr.staticcall(...)`.
    StaticCall,
    /// `addr.callcode(...)` (before 0.5).
    CallCode,
    /// `addr.send(v)`.
    Send,
    /// `addr.transfer(v)`.
    Transfer,
}

/// What a call does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CallKind {
    /// A call of a function of this contract or its bases, or of a free function,
    /// without leaving the contract. `function` is the definition visible where the
    /// call is written; see [`crate::Model::dispatch`] for the most-derived contract.
    Internal {
        /// The called function.
        function: ItemRef,
        /// Written as `super.f(...)`.
        via_super: bool,
    },
    /// A modifier invoked in a function header.
    Modifier {
        /// The modifier definition.
        modifier: ItemRef,
    },
    /// A call of a library function (`L.f(x)` or `x.f()` through `using L for T`).
    Library {
        /// The library.
        library: Option<ContractId>,
        /// The function.
        function: ItemRef,
    },
    /// A call through a contract or interface value: `token.transfer(to, n)`, `this.f()`.
    HighLevel {
        /// The static type of the callee, when known.
        callee_contract: Option<ContractId>,
        /// The called function (or public state variable getter), when known.
        function: Option<ItemRef>,
        /// The ether sent (`{value: v}` or `.value(v)`).
        value: Option<ExprId>,
        /// The gas given (`{gas: g}` or `.gas(g)`).
        gas: Option<ExprId>,
    },
    /// A low-level call on an address.
    LowLevel {
        /// Which one.
        kind: LowLevelKind,
        /// The ether sent (`{value: v}`, `.value(v)`, or the argument of `send`/`transfer`).
        value: Option<ExprId>,
        /// The gas given (`{gas: g}` or `.gas(g)`).
        gas: Option<ExprId>,
    },
    /// `new C(...)`.
    Creation {
        /// The created contract, when known.
        contract: Option<ContractId>,
        /// The ether sent.
        value: Option<ExprId>,
    },
}

impl CallKind {
    /// True for calls that leave the contract (high-level, low-level, creation).
    pub fn is_external(&self) -> bool {
        matches!(
            self,
            CallKind::HighLevel { .. } | CallKind::LowLevel { .. } | CallKind::Creation { .. }
        )
    }
}

/// One call in a function.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CallSite {
    /// The call expression (for modifiers, the first argument or nothing: see `span`).
    pub expr: Option<ExprId>,
    /// The span of the call or modifier invocation.
    pub span: Span,
    /// What the call does.
    pub kind: CallKind,
}
