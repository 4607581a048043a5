//! ## What it detects
//! A `SELFDESTRUCT` reachable from a function on a path that passed no caller guard: a
//! comparison of `CALLER` with a storage value or a constant (`EQ`, or `SUB`/`XOR` as solc
//! 0.8 compiles `if (msg.sender == owner)`) deciding a JUMPI whose other side reverts, or a
//! path on the side of such a JUMPI where the two are equal, or a boolean read from a slot
//! keyed by the caller (`require(isOwner[msg.sender])`) deciding a JUMPI that reverts on one
//! side.
//!
//! ## Why it matters
//! Anyone can destroy the contract (before Cancun) or drain its balance to the beneficiary.
//!
//! ## Example
//! ```solidity
//! function kill() external { selfdestruct(payable(msg.sender)); }
//! ```
//!
//! ## Recommendation
//! Remove the self-destruct, or restrict it to an owner.
//!
//! ## References
//! SWC-106 (Unprotected SELFDESTRUCT Instruction)

use super::{DetectorInfo, Finding, Severity, finding};
use crate::Analysis;

pub(super) const INFO: DetectorInfo = DetectorInfo {
    id: "bytecode-unguarded-selfdestruct",
    title: "SELFDESTRUCT reachable without a caller check",
    severity: Severity::High,
    description: "A SELFDESTRUCT is reachable from a function on a path where the caller was \
                  never compared with a stored owner or a constant before a reverting branch: \
                  anyone can destroy the contract or send its balance away.",
};

pub(super) fn check(analysis: &Analysis, out: &mut Vec<Finding>) {
    for function in &analysis.functions {
        for sd in function.facts.selfdestructs.iter().filter(|s| !s.guarded) {
            out.push(finding(
                &INFO,
                function,
                sd.pc,
                "`SELFDESTRUCT` reachable without a caller check",
            ));
        }
    }
}
