use crate::analysis::reentrancy::{self, Kind};
use crate::declare::declare_detector;
use crate::detector::{Detector, FileContext};
use crate::finding::Finding;
use crate::meta::{Confidence, DetectorMeta, Severity};

declare_detector! {
    /// ## What it detects
    /// A function makes an external call that can run foreign code and updates state only
    /// after it, while a public `view` function reads that state: either the function is
    /// protected by a reentrancy mutex (which does not cover views), or only views read
    /// the state. During the call the view returns stale values. Functions only a
    /// privileged caller can run and calls to trusted targets are not reported.
    ///
    /// In Vyper: a state-changing function sends ether or makes a `raw_call`, and writes
    /// storage after it (or later in the same loop), while an `@external` `@view` function
    /// without `@nonreentrant` reads that storage: the Curve `get_virtual_price` case of
    /// 2023. Locking the view with the same key (or the 0.4 `nonreentrancy` pragma)
    /// silences it.
    ///
    /// ## Why it matters
    /// Other protocols call such views (share prices, balances, reserves) to value
    /// collateral. A callee re-entering them, not the guarded contract itself, during the
    /// call sees the old state and can borrow against an inflated price: the read-only
    /// reentrancy behind several 2022-2023 lending exploits.
    ///
    /// ## Example
    /// ```solidity
    /// function withdraw(uint shares) external nonReentrant {
    ///     uint amount = shares * price();
    ///     (bool ok, ) = msg.sender.call{value: amount}("");   // reported
    ///     require(ok);
    ///     totalShares -= shares;                              // stale during the call
    /// }
    /// function price() public view returns (uint) {
    ///     return address(this).balance / totalShares;
    /// }
    /// ```
    ///
    /// ## Recommendation
    /// Update state before the call, or make the views revert while the mutex is held
    /// (check the lock in them, like OpenZeppelin's `_reentrancyGuardEntered()`).
    pub(crate) struct ReentrancyReadOnly;
}

static META: DetectorMeta = DetectorMeta {
    id: "reentrancy-read-only",
    title: "View function reads state that is stale during an external call",
    severity: Severity::Low,
    confidence: Confidence::Low,
    swc: Some("SWC-107"),
    category: "reentrancy",
    description: "A guarded function updates state after an external call, and a view function \
                  outside the guard reads that state, so callers see stale values during the call",
    recommendation: "Update state before the external call, or make the view functions check the \
                     reentrancy lock",
    references: &["https://swcregistry.io/docs/SWC-107"],
    doc: ReentrancyReadOnly::DOC,
};

impl Detector for ReentrancyReadOnly {
    fn meta(&self) -> &'static DetectorMeta {
        &META
    }

    fn check_vyper(&self, cx: &crate::vyper_analysis::VyperContext<'_>, out: &mut Vec<Finding>) {
        crate::vyper_analysis::checks::read_only_reentrancy(cx, &META, out);
    }

    fn supports_vyper(&self) -> bool {
        true
    }

    fn check_file(&self, cx: &FileContext<'_>, out: &mut Vec<Finding>) {
        reentrancy::emit(cx, &META, Kind::ReadOnly, out);
    }
}
