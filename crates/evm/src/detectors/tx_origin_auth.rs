//! ## What it detects
//! `ORIGIN` compared by `EQ` with anything but `CALLER`, where the comparison decides a JUMPI.
//!
//! ## Why it matters
//! `tx.origin` is the account that signed the transaction, not the one calling: a contract the
//! owner is tricked into calling passes the check.
//!
//! ## Example
//! ```solidity
//! function transferOwnership(address next) external { require(tx.origin == owner); owner = next; }
//! ```
//!
//! ## Recommendation
//! Authorize `msg.sender` (`CALLER`) instead.
//!
//! ## References
//! SWC-115 (Authorization through tx.origin)

use super::{DetectorInfo, Finding, Severity, finding};
use crate::Analysis;

pub(super) const INFO: DetectorInfo = DetectorInfo {
    id: "bytecode-tx-origin-auth",
    title: "Authorization by tx.origin",
    severity: Severity::Medium,
    description: "A branch is decided by an equality between ORIGIN (the transaction's signer) \
                  and another value than CALLER: a malicious contract called by the owner passes \
                  such a check.",
};

pub(super) fn check(analysis: &Analysis, out: &mut Vec<Finding>) {
    for function in &analysis.functions {
        for &pc in &function.facts.origin_checks {
            out.push(finding(
                &INFO,
                function,
                pc,
                "branch decided by a comparison of `ORIGIN`",
            ));
        }
    }
}
