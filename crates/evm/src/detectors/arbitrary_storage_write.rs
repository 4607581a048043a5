//! ## What it detects
//! An `SSTORE` whose slot is calldata itself or arithmetic on it, without a `KECCAK256`
//! (as mappings and dynamic arrays compute their slots). A calldata index checked against a
//! constant bound (a fixed-size array element) is not reported, nor are libraries (their
//! `storage` parameters are slots passed in calldata by design).
//!
//! ## Why it matters
//! The caller chooses the slot: any state variable, the owner included, can be overwritten.
//!
//! ## Example
//! ```solidity
//! function write(uint256 slot, uint256 value) external { assembly { sstore(slot, value) } }
//! ```
//!
//! ## Recommendation
//! Store through mappings or arrays, never at a slot taken from input.
//!
//! ## References
//! SWC-124 (Write to Arbitrary Storage Location)

use super::{DetectorInfo, Finding, Severity, finding};
use crate::{Analysis, SlotKind};

pub(super) const INFO: DetectorInfo = DetectorInfo {
    id: "bytecode-arbitrary-storage-write",
    title: "Storage write at a slot taken from calldata",
    severity: Severity::High,
    description: "An SSTORE writes a slot computed directly from calldata, with no hash in \
                  between: the caller decides which slot is written and can overwrite any state \
                  variable.",
};

pub(super) fn check(analysis: &Analysis, out: &mut Vec<Finding>) {
    // A library's external functions take `storage` parameters as slots in calldata, by the
    // library ABI; called directly, they write the library's own (unused) storage.
    if analysis.is_library {
        return;
    }
    for function in &analysis.functions {
        for write in &function.facts.storage_writes {
            if write.kind == SlotKind::Calldata {
                out.push(finding(
                    &INFO,
                    function,
                    write.pc,
                    "`SSTORE` slot taken from calldata",
                ));
            }
        }
    }
}
