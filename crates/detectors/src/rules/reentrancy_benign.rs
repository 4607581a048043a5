use crate::analysis::reentrancy::{self, Kind};
use crate::declare::declare_detector;
use crate::detector::{Detector, FileContext};
use crate::finding::Finding;
use crate::meta::{Confidence, DetectorMeta, Severity};

declare_detector! {
    /// ## What it detects
    /// An external call that can re-enter, after which the function writes only state
    /// that no function of the contract reads (counters, records kept for off-chain use).
    /// Re-entering cannot exploit a stale value, but the order of effects still depends on
    /// the callee. The same exclusions as for `reentrancy-eth` apply (mutexes, `transfer`
    /// and `send`, calls to the contract itself, paths that revert).
    ///
    /// ## Why it matters
    /// Such code is one refactoring away from real reentrancy: the day a function starts
    /// reading the variable, the stale window is exploitable.
    ///
    /// ## Example
    /// ```solidity
    /// function pay(address to, uint amount) external {
    ///     (bool ok, ) = to.call{value: amount}("");   // reported
    ///     require(ok);
    ///     paymentsMade += 1;                          // never read on-chain
    /// }
    /// ```
    ///
    /// ## Recommendation
    /// Write state before the external call (checks-effects-interactions).
    pub(crate) struct ReentrancyBenign;
}

static META: DetectorMeta = DetectorMeta {
    id: "reentrancy-benign",
    title: "State written after an external call, read by no function",
    severity: Severity::Low,
    confidence: Confidence::Medium,
    swc: Some("SWC-107"),
    category: "reentrancy",
    description: "State is written after an external call that can re-enter; no function reads \
                  it, so the stale window is not exploitable today",
    recommendation: "Write state before the external call (checks-effects-interactions)",
    references: &["https://swcregistry.io/docs/SWC-107"],
    doc: ReentrancyBenign::DOC,
};

impl Detector for ReentrancyBenign {
    fn meta(&self) -> &'static DetectorMeta {
        &META
    }

    fn check_file(&self, cx: &FileContext<'_>, out: &mut Vec<Finding>) {
        reentrancy::emit(cx, &META, Kind::Benign, out);
    }
}
