use crate::analysis::reentrancy::{self, Kind};
use crate::declare::declare_detector;
use crate::detector::{Detector, FileContext};
use crate::finding::Finding;
use crate::meta::{Confidence, DetectorMeta, Severity};

declare_detector! {
    /// ## What it detects
    /// An external call that sends ether and hands control to code the contract does not
    /// know (`to.call{value: v}("")`, the pre-0.5 `to.call.value(v)()`, a high-level call
    /// with `{value: v}`), after which the function still writes contract state that is
    /// read somewhere: in the same function, or by another public entry point
    /// (cross-function reentrancy, said in the message). "After" follows the control
    /// flow, modifiers included, and a write or call inside an internal function counts
    /// where that function is called.
    ///
    /// Not reported: functions guarded by a reentrancy mutex (`nonReentrant`-style
    /// modifiers, or a `bool` lock set before the call and cleared after it), `transfer`
    /// and `send` (they forward only a 2300-gas stipend, too little to call back), calls
    /// to the contract itself, calls to a target only the deployer or a privileged caller
    /// sets (a constant, an immutable, or state written only by constructors and guarded
    /// functions), functions that update state before the call
    /// (checks-effects-interactions), in-place updates (`x -= amount` reads the current
    /// value, so only reads elsewhere make a write dangerous), and writes on paths that
    /// always revert. In functions only a privileged caller can run (`onlyOwner`), only
    /// state read by other, unrestricted entry points counts, and the finding has low
    /// confidence. A call forwarding a payload the caller chooses (a multisig or timelock
    /// executing arbitrary transactions) is reported with medium severity and low
    /// confidence: such functions are reentrant by design and their access control, which
    /// may be beyond what the analysis recognises, decides the impact.
    ///
    /// Calibration: on the triage set of real mainnet contracts (`bench/triage/`),
    /// 11 of 17 findings were right when this severity and confidence were set
    /// (`docs/benchmarks.md`, Precision).
    ///
    /// In Vyper: an `@external` function without `@nonreentrant` (or the 0.4
    /// `nonreentrancy` pragma) that reads a storage variable, sends ether with
    /// `raw_call(..., value=...)` (directly or in an internal function it calls) and writes
    /// that variable afterwards, or later in the loop that sends. `send` (2,300 gas) is not
    /// a re-entry point.
    ///
    /// ## Why it matters
    /// The receiving contract runs its fallback with the remaining gas and can call back
    /// into the contract while the state still says the ether has not left. The classic
    /// withdrawal pays out the same balance again and again until the contract is empty
    /// (The DAO, 2016).
    ///
    /// ## Example
    /// ```solidity
    /// function withdraw(uint amount) public {
    ///     require(balances[msg.sender] >= amount);
    ///     (bool ok, ) = msg.sender.call{value: amount}("");  // reported
    ///     require(ok);
    ///     balances[msg.sender] -= amount;                   // written after the call
    /// }
    /// ```
    ///
    /// ## Recommendation
    /// Update state before the call (checks-effects-interactions): subtract the balance,
    /// then send. Where that is not possible, guard every function sharing the state with
    /// a reentrancy mutex such as OpenZeppelin's `ReentrancyGuard`.
    pub(crate) struct ReentrancyEth;
}

static META: DetectorMeta = DetectorMeta {
    id: "reentrancy-eth",
    title: "Reentrancy through a call sending ether",
    severity: Severity::Medium,
    confidence: Confidence::Medium,
    swc: Some("SWC-107"),
    category: "reentrancy",
    description: "An external call sends ether and can re-enter the contract before state it \
                  depends on is updated",
    recommendation: "Update state before the external call (checks-effects-interactions) or \
                     guard the functions sharing the state with a reentrancy mutex",
    references: &[
        "https://swcregistry.io/docs/SWC-107",
        "https://docs.soliditylang.org/en/latest/security-considerations.html#reentrancy",
    ],
    doc: ReentrancyEth::DOC,
};

impl Detector for ReentrancyEth {
    fn meta(&self) -> &'static DetectorMeta {
        &META
    }

    fn check_vyper(&self, cx: &crate::vyper_analysis::VyperContext<'_>, out: &mut Vec<Finding>) {
        crate::vyper_analysis::checks::reentrancy(cx, &META, true, out);
    }

    fn supports_vyper(&self) -> bool {
        true
    }

    fn check_file(&self, cx: &FileContext<'_>, out: &mut Vec<Finding>) {
        reentrancy::emit(cx, &META, Kind::Eth, out);
    }
}
