use crate::analysis::access::def_of;
use crate::declare::declare_detector;
use crate::detector::{Detector, FileContext};
use crate::finding::Finding;
use crate::meta::{Confidence, DetectorMeta, Severity};
use crate::rules::transient_lock_not_cleared::injected;

declare_detector! {
    /// ## What it detects
    /// A public function that reads a transient slot (`tload(slot)` with a literal or
    /// constant slot) as an authorization value and then stores one of its own
    /// parameters in the same slot (`tstore(slot, amount)`): the slot that says who
    /// may call back now holds a value the caller chose.
    ///
    /// Not reported: slots whose key is computed at run time, values the function
    /// computes itself, and read-only functions.
    ///
    /// ## Why it matters
    /// Transient storage lives until the end of the transaction. A callback that checks
    /// `msg.sender` against the slot accepts whoever the caller's value names: passing
    /// an amount equal to an address (`uint160(attacker)`) forges the authorization for
    /// the rest of the transaction.
    ///
    /// ## Example
    /// ```solidity
    /// function swapCallback(uint256 amount) external {
    ///     address pool;
    ///     assembly { pool := tload(1) }
    ///     require(msg.sender == pool);
    ///     assembly { tstore(1, amount) }   // reported: the caller's value in the slot
    /// }
    /// ```
    ///
    /// ## Recommendation
    /// Keep authorization values and data in different transient slots, and never
    /// store a caller-supplied value in a slot that is read for authorization.
    pub(crate) struct TransientSlotInjection;
}

static META: DetectorMeta = DetectorMeta {
    id: "transient-slot-injection",
    title: "Caller-supplied value stored in a transient authorization slot",
    severity: Severity::Low,
    confidence: Confidence::Medium,
    swc: None,
    category: "access_control",
    description: "A function stores a parameter in the transient slot it reads for authorization, so the \
                  caller chooses who passes the next check",
    recommendation: "Use separate transient slots for authorization and data",
    references: &["https://eips.ethereum.org/EIPS/eip-1153"],
    doc: TransientSlotInjection::DOC,
};

impl Detector for TransientSlotInjection {
    fn meta(&self) -> &'static DetectorMeta {
        &META
    }

    fn check_file(&self, cx: &FileContext<'_>, out: &mut Vec<Finding>) {
        let model = cx.model();
        let ast = cx.ast();
        for (f, _) in cx.functions() {
            if !model.is_entry_point(f) || model.is_constructor(f) {
                continue;
            }
            if def_of(ast, model, f).is_none_or(|def| def.is_read_only()) {
                continue;
            }
            injected(cx, &META, f, out);
        }
    }
}
