use crate::analysis::reentrancy::{self, Kind};
use crate::declare::declare_detector;
use crate::detector::{Detector, FileContext};
use crate::finding::Finding;
use crate::meta::{Confidence, DetectorMeta, Severity};

declare_detector! {
    /// ## What it detects
    /// An external call that sends no ether but can run code the contract does not
    /// control (a call of a function of a token or other contract given by a caller, a
    /// low-level `call` without value), after which the function writes contract state
    /// that is read in the same function or by another public entry point (cross-function,
    /// said in the message). The control flow decides what comes after the call,
    /// modifiers expanded and internal calls followed.
    ///
    /// Not reported: functions guarded by a reentrancy mutex or an inline lock flag,
    /// calls to the contract itself, calls to a target only the deployer or a privileged
    /// caller sets (a token fixed at deployment, an oracle set by the owner),
    /// `staticcall`, calls of `view`/`pure` functions from Solidity 0.5 on (they compile
    /// to `STATICCALL` and cannot change state; before 0.5 they were ordinary calls and
    /// are reported), `transfer`/`send`, in-place updates read nowhere else, and writes
    /// on paths that always revert. In functions only a privileged caller can run, only state
    /// read by other, unrestricted entry points counts, with low confidence.
    ///
    /// In Vyper: the same shape as `reentrancy-eth` with a call that sends no ether: an
    /// interface call, `extcall` or `raw_call` (not `staticcall`, a `view` interface
    /// function, a delegate call or a deployment).
    ///
    /// ## Why it matters
    /// A malicious token (or any callee chosen by a user) can call back into the contract
    /// while its state is half updated: a second deposit credited twice, a reward claimed
    /// again because the "claimed" flag is set only after the transfer.
    ///
    /// ## Example
    /// ```solidity
    /// function claim(IERC20 token) external {
    ///     require(!claimed[msg.sender]);
    ///     token.transfer(msg.sender, reward);   // reported: `token` may call back
    ///     claimed[msg.sender] = true;
    /// }
    /// ```
    ///
    /// ## Recommendation
    /// Write state before the external call (checks-effects-interactions), or guard the
    /// functions sharing the state with a reentrancy mutex.
    pub(crate) struct ReentrancyNoEth;
}

static META: DetectorMeta = DetectorMeta {
    id: "reentrancy-no-eth",
    title: "Reentrancy through an external call without ether",
    severity: Severity::Low,
    confidence: Confidence::Low,
    swc: Some("SWC-107"),
    category: "reentrancy",
    description: "An external call can re-enter the contract before state it depends on is \
                  updated",
    recommendation: "Update state before the external call (checks-effects-interactions) or \
                     guard the functions sharing the state with a reentrancy mutex",
    references: &["https://swcregistry.io/docs/SWC-107"],
    doc: ReentrancyNoEth::DOC,
};

impl Detector for ReentrancyNoEth {
    fn meta(&self) -> &'static DetectorMeta {
        &META
    }

    fn check_vyper(&self, cx: &crate::vyper_analysis::VyperContext<'_>, out: &mut Vec<Finding>) {
        crate::vyper_analysis::checks::reentrancy(cx, &META, false, out);
    }

    fn supports_vyper(&self) -> bool {
        true
    }

    fn check_file(&self, cx: &FileContext<'_>, out: &mut Vec<Finding>) {
        reentrancy::emit(cx, &META, Kind::NoEth, out);
    }
}
