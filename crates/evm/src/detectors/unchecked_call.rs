//! ## What it detects
//! A `CALL`, `CALLCODE` or `DELEGATECALL` (to anything but a precompile) whose success flag
//! never reaches a JUMPI, memory or storage: it is popped or left on the stack.
//!
//! ## Why it matters
//! A failed call goes unnoticed: a payment that did not happen is booked as made.
//!
//! ## Example
//! ```solidity
//! function pay(address to) external payable { to.call{value: msg.value}(""); }
//! ```
//!
//! ## Recommendation
//! Check the returned flag (`require(ok)`), or use a call that reverts on failure.
//!
//! ## References
//! SWC-104 (Unchecked Call Return Value)

use super::{DetectorInfo, Finding, Severity, finding};
use crate::{Analysis, CallKind};

pub(super) const INFO: DetectorInfo = DetectorInfo {
    id: "bytecode-unchecked-call",
    title: "Success flag of a low-level call dropped",
    severity: Severity::Medium,
    description: "The success flag a CALL, CALLCODE or DELEGATECALL leaves on the stack is \
                  popped without deciding a branch or being stored or returned: a failing call \
                  is ignored and execution continues as if it had succeeded.",
};

pub(super) fn check(analysis: &Analysis, out: &mut Vec<Finding>) {
    for function in &analysis.functions {
        for call in &function.facts.calls {
            let precompile = call
                .target
                .constant
                .is_some_and(|k| k <= alloy_primitives::U256::from(0xffff));
            if call.kind != CallKind::StaticCall && !call.success_checked && !precompile {
                let message = format!("success flag of `{}` is never checked", call.kind.name());
                out.push(finding(&INFO, function, call.pc, &message));
            }
        }
    }
}
