use crate::analysis::storage_arrays::{ArrayOpKind, array_name, costly_array_ops};
use crate::declare::declare_detector;
use crate::detector::{Detector, FileContext};
use crate::finding::Finding;
use crate::meta::{Confidence, DetectorMeta, Severity};

declare_detector! {
    /// ## What it detects
    /// Loops whose cost grows with a dynamic storage array that any caller can grow (a
    /// public or external function without an access check pushes to it, directly or
    /// through an internal function):
    /// - a loop, in a function that changes state, whose condition reads the array's
    ///   `length`;
    /// - a loop that itself grows such an array, when something else pays for its length
    ///   (the array is reset or iterated elsewhere); the growth may sit in an internal
    ///   helper the loop calls (`for (...) { _add(msg.sender); }`), unless the helper
    ///   has an access check or the loop's condition reads a stored bound. Not reported
    ///   either when the loop's bound is checked against state before the loop (a stored
    ///   cap: `if (count + amount >= maxCount) throw;` before `for (j < amount)`).
    ///
    /// `view` and `pure` functions are not reported: they are read off-chain.
    ///
    /// ## Why it matters
    /// Every iteration costs gas and a block has a gas limit. When anyone can lengthen the
    /// array cheaply, an attacker makes the loop (or the reset it feeds) exceed the block
    /// gas limit, and the function can never complete again: payouts, refunds or the next
    /// round are blocked for good.
    ///
    /// ## Example
    /// ```solidity
    /// address[] players;
    /// function join() public payable { players.push(msg.sender); }
    /// function payAll() public {
    ///     for (uint256 i = 0; i < players.length; i++) {   // reported
    ///         balances[players[i]] += 1;
    ///     }
    /// }
    /// ```
    ///
    /// ## Recommendation
    /// Bound the array's length, process it in bounded batches that keep a cursor in
    /// storage, or let each participant act for themselves (pull instead of push).
    pub(crate) struct DosUnboundedLoop;
}

static META: DetectorMeta = DetectorMeta {
    id: "dos-unbounded-loop",
    title: "Loop over a storage array anyone can grow",
    severity: Severity::Low,
    confidence: Confidence::Low,
    swc: Some("SWC-128"),
    category: "denial_of_service",
    description: "A loop's gas cost grows with a storage array that any caller can grow, until it exceeds the \
                  block gas limit",
    recommendation: "Bound the array, process it in bounded batches with a stored cursor, or use pull payments",
    references: &[
        "https://swcregistry.io/docs/SWC-128",
        "https://consensys.github.io/smart-contract-best-practices/attacks/denial-of-service/",
    ],
    doc: DosUnboundedLoop::DOC,
};

impl Detector for DosUnboundedLoop {
    fn meta(&self) -> &'static DetectorMeta {
        &META
    }

    fn check_file(&self, cx: &FileContext<'_>, out: &mut Vec<Finding>) {
        for (op, growth) in costly_array_ops(cx) {
            let name = array_name(cx, op.array);
            let message = match op.kind {
                ArrayOpKind::Reset => continue,
                ArrayOpKind::Iterate => {
                    format!("the loop runs once per element of `{name}`, which any caller can grow")
                }
                ArrayOpKind::GrowInLoop => format!(
                    "the loop lets any caller grow `{name}` by many elements at once, and other code pays gas for each of them"
                ),
            };
            let mut finding = cx.finding(&META, Some(op.function), op.span, message);
            for &at in op.cost_at.iter().take(3) {
                finding = finding.with_secondary(
                    cx.file,
                    at,
                    format!("the cost of this grows with `{name}`"),
                );
            }
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
