use crate::analysis::reentrancy::{self, Kind};
use crate::declare::declare_detector;
use crate::detector::{Detector, FileContext};
use crate::finding::Finding;
use crate::meta::{Confidence, DetectorMeta, Severity};

declare_detector! {
    /// ## What it detects
    /// An external call that can re-enter, after which the function emits events but
    /// writes no state. The same exclusions as for `reentrancy-eth` apply.
    ///
    /// ## Why it matters
    /// A callee that re-enters makes the inner call's events appear before the outer
    /// ones: indexers and off-chain accounting that replay events in order see a history
    /// that never happened (a withdrawal logged before the deposit it spends).
    ///
    /// ## Example
    /// ```solidity
    /// function pay(address to, uint amount) external onlyTreasury {
    ///     token.transfer(to, amount);   // reported
    ///     emit Paid(to, amount);
    /// }
    /// ```
    ///
    /// ## Recommendation
    /// Emit events before external calls, or guard the function with a reentrancy mutex.
    pub(crate) struct ReentrancyEvents;
}

static META: DetectorMeta = DetectorMeta {
    id: "reentrancy-events",
    title: "Event emitted after an external call",
    severity: Severity::Low,
    confidence: Confidence::Medium,
    swc: Some("SWC-107"),
    category: "reentrancy",
    description: "Events are emitted after an external call that can re-enter, so re-entrant \
                  calls log out of order",
    recommendation: "Emit events before the external call, or guard the function with a \
                     reentrancy mutex",
    references: &["https://swcregistry.io/docs/SWC-107"],
    doc: ReentrancyEvents::DOC,
};

impl Detector for ReentrancyEvents {
    fn meta(&self) -> &'static DetectorMeta {
        &META
    }

    fn check_file(&self, cx: &FileContext<'_>, out: &mut Vec<Finding>) {
        reentrancy::emit(cx, &META, Kind::Events, out);
    }
}
