//! ## What it detects
//! A `DELEGATECALL` whose target comes from calldata on a path without a caller guard, or
//! from a constant storage slot that some function writes on a path without a caller guard.
//! An admin's `upgradeToAndCall(implementation, data)` is not reported.
//!
//! ## Why it matters
//! Code chosen by the caller runs with the contract's storage and balance: it can take
//! ownership, move every asset or self-destruct.
//!
//! ## Example
//! ```solidity
//! function setImplementation(address next) external { implementation = next; }
//! function forward(bytes calldata data) external { implementation.delegatecall(data); }
//! ```
//!
//! ## Recommendation
//! Delegate only to fixed code, or guard every write of the implementation slot.
//!
//! ## References
//! SWC-112 (Delegatecall to Untrusted Callee)

use super::{DetectorInfo, Finding, Severity, finding, unguarded_writer};
use crate::{Analysis, CallKind};

pub(super) const INFO: DetectorInfo = DetectorInfo {
    id: "bytecode-delegatecall-controlled",
    title: "DELEGATECALL to a caller-controlled target",
    severity: Severity::High,
    description: "The target of a DELEGATECALL is taken from calldata without a caller check, \
                  or loaded from a storage slot that a function writes without checking the \
                  caller: anyone can make the contract run code of their choice in its own \
                  context.",
};

pub(super) fn check(analysis: &Analysis, out: &mut Vec<Finding>) {
    for function in &analysis.functions {
        for call in &function.facts.calls {
            if !matches!(call.kind, CallKind::DelegateCall | CallKind::CallCode) {
                continue;
            }
            if call.target.from_calldata() && !call.guarded {
                out.push(finding(
                    &INFO,
                    function,
                    call.pc,
                    &format!("`{}` target from calldata", call.kind.name()),
                ));
                continue;
            }
            let Some(slot) = call.target.storage_slot else {
                continue;
            };
            if let Some(writer) = unguarded_writer(analysis, slot) {
                let message = format!(
                    "`{}` target loaded from storage slot {slot:#x}, which `{}` writes without a caller check",
                    call.kind.name(),
                    writer.display_name()
                );
                out.push(finding(&INFO, function, call.pc, &message));
            }
        }
    }
}
