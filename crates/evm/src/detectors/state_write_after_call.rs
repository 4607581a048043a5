//! ## What it detects
//! An `SSTORE` on a path after a `CALL` that may forward more than the 2300-gas stipend, in
//! the same function.
//!
//! ## Why it matters
//! The callee can re-enter before the write and act on stale state (the classic reentrancy).
//!
//! ## Recommendation
//! Write state before external calls (checks-effects-interactions), or use a reentrancy lock.

use super::{DetectorInfo, Finding, Severity, finding};
use crate::Analysis;

pub(super) const INFO: DetectorInfo = DetectorInfo {
    id: "bytecode-state-write-after-call",
    title: "State written after an external call",
    severity: Severity::Medium,
    description: "An SSTORE follows, on the same path of a function, a CALL that forwards more \
                  than 2300 gas: the callee can re-enter the contract while its state is not yet \
                  updated.",
};

pub(super) fn check(analysis: &Analysis, out: &mut Vec<Finding>) {
    for function in &analysis.functions {
        for write in &function.facts.storage_writes {
            if let Some(call) = write.after_call {
                let message = format!("`SSTORE` after the `CALL` at pc {call}");
                out.push(finding(&INFO, function, write.pc, &message));
            }
        }
    }
}
