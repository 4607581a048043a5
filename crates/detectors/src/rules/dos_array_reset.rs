use crate::analysis::storage_arrays::{ArrayOpKind, array_name, costly_array_ops};
use crate::declare::declare_detector;
use crate::detector::{Detector, FileContext};
use crate::finding::Finding;
use crate::meta::{Confidence, DetectorMeta, Severity};

declare_detector! {
    /// ## What it detects
    /// Resetting a whole dynamic storage array (`list = new address[](0)`, `delete list`,
    /// `list.length = 0`) when any caller can grow that array: some public or external
    /// function without an access check pushes to it (or lengthens it), directly or
    /// through an internal function.
    ///
    /// ## Why it matters
    /// Clearing a storage array writes every element back to zero, so its gas cost grows
    /// with the array's length. When anyone can append to the array, an attacker makes it
    /// long enough that the reset no longer fits in a block: the function that clears it
    /// (often the one paying out or starting a new round) can never succeed again.
    ///
    /// ## Example
    /// ```solidity
    /// address[] creditors;
    /// function lend() public payable { creditors.push(msg.sender); }
    /// function reset() public {
    ///     creditors = new address[](0);   // reported: cost grows with `creditors`
    /// }
    /// ```
    ///
    /// ## Recommendation
    /// Bound the array's length, or do not clear it in one transaction: keep a round
    /// counter and index entries by round (`mapping(uint256 => address[])`), or clear it in
    /// bounded batches.
    pub(crate) struct DosArrayReset;
}

static META: DetectorMeta = DetectorMeta {
    id: "dos-array-reset",
    title: "Reset of a storage array anyone can grow",
    severity: Severity::Low,
    confidence: Confidence::Low,
    swc: Some("SWC-128"),
    category: "denial_of_service",
    description: "A storage array that any caller can grow is cleared in one go, whose gas cost grows with \
                  its length until it exceeds the block gas limit",
    recommendation: "Bound the array or avoid clearing it in one transaction (index entries by round, or \
                     clear in bounded batches)",
    references: &[
        "https://swcregistry.io/docs/SWC-128",
        "https://consensys.github.io/smart-contract-best-practices/attacks/denial-of-service/",
    ],
    doc: DosArrayReset::DOC,
};

impl Detector for DosArrayReset {
    fn meta(&self) -> &'static DetectorMeta {
        &META
    }

    fn check_file(&self, cx: &FileContext<'_>, out: &mut Vec<Finding>) {
        for (op, growth) in costly_array_ops(cx) {
            if op.kind != ArrayOpKind::Reset {
                continue;
            }
            let name = array_name(cx, op.array);
            let mut finding = cx.finding(
                &META,
                Some(op.function),
                op.span,
                format!(
                    "resetting `{name}` costs gas for every element, and any caller can grow it"
                ),
            );
            for g in growth.iter().take(3) {
                finding = finding.with_secondary(
                    g.file,
                    g.span,
                    format!("any caller grows `{name}` here"),
                );
            }
            out.push(finding);
        }
    }
}
