//! ## What it detects
//! An `SSTORE` on a path after a `CALL` that may forward more than the 2300-gas stipend, in
//! the same function, when the call's target is not trusted and the function is open to
//! anyone.
//!
//! Not reported: writes on paths that passed a caller guard; calls whose target is loaded
//! from a constant storage slot that only guarded code (or the constructor) writes (a token
//! or oracle fixed by the deployer or the owner); calls to constant addresses; functions with
//! a lock (a constant slot read, written before the call and written again after it).
//!
//! ## Why it matters
//! The callee can re-enter before the write and act on stale state (the classic reentrancy).
//!
//! ## Example
//! ```solidity
//! uint256 amount = balances[msg.sender];
//! (bool ok, ) = msg.sender.call{value: amount}("");
//! balances[msg.sender] = 0;   // reported: written after the call
//! ```
//!
//! ## Recommendation
//! Write state before external calls (checks-effects-interactions), or use a reentrancy lock.
//!
//! ## References
//! SWC-107 (Reentrancy)

use super::{DetectorInfo, Finding, Severity, finding, unguarded_writer};
use crate::{Analysis, FunctionFacts, SlotKind};

pub(super) const INFO: DetectorInfo = DetectorInfo {
    id: "bytecode-state-write-after-call",
    title: "State written after an external call",
    severity: Severity::Medium,
    description: "An SSTORE follows, on the same path of a function anyone can call, a CALL \
                  that forwards more than 2300 gas to a target the caller may control: the \
                  callee can re-enter the contract while its state is not yet updated.",
};

/// A constant slot read, written with no call before, and written again after a call.
fn has_lock(facts: &FunctionFacts) -> bool {
    facts.storage_writes.iter().any(|before| {
        let SlotKind::Constant(slot) = before.kind else {
            return false;
        };
        before.after_call.is_none()
            && facts
                .storage_writes
                .iter()
                .any(|after| after.after_call.is_some() && after.kind == before.kind)
            && facts
                .storage_reads
                .iter()
                .any(|r| r.kind == SlotKind::Constant(slot))
    })
}

pub(super) fn check(analysis: &Analysis, out: &mut Vec<Finding>) {
    for function in &analysis.functions {
        if has_lock(&function.facts) {
            continue;
        }
        for write in &function.facts.storage_writes {
            let Some(call_pc) = write.after_call else {
                continue;
            };
            if write.guarded {
                continue;
            }
            let call = function.facts.calls.iter().find(|c| c.pc == call_pc);
            let trusted = call.is_some_and(|call| {
                call.target.constant.is_some()
                    || call
                        .target
                        .storage_slot
                        .is_some_and(|slot| unguarded_writer(analysis, slot).is_none())
            });
            if !trusted {
                let message = format!("`SSTORE` after the `CALL` at pc {call_pc}");
                out.push(finding(&INFO, function, write.pc, &message));
            }
        }
    }
}
