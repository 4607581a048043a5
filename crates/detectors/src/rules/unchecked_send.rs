use semantics::{CallKind, LowLevelKind};

use crate::analysis::call_results::CallResults;
use crate::declare::declare_detector;
use crate::detector::{Detector, FileContext};
use crate::finding::Finding;
use crate::meta::{Confidence, DetectorMeta, Severity};
use crate::rules::unchecked_low_level_call::{call_target_text, unchecked_finding};

declare_detector! {
    /// ## What it detects
    /// `addr.send(amount)` whose boolean result is never acted on: the call is an
    /// expression statement, or the result is stored in a local variable that nothing
    /// reads afterwards (decided by def-use chains), or only copied into other locals
    /// that nothing checks either.
    ///
    /// Reported at low severity: measured on real mainnet code, most ignored results are
    /// deliberate (payout queues that skip a recipient who refuses ether, refunds of the
    /// caller's own payment, notifications whose failure does not matter).
    ///
    /// ## Why it matters
    /// `send` does not revert when the transfer fails (the recipient's code reverts or
    /// needs more than the 2300 gas stipend): it returns `false`. Ignoring it loses track
    /// of the ether: the contract records a payment that never happened, and the
    /// recipient cannot claim it again.
    ///
    /// ## Example
    /// ```solidity
    /// function payWinner() public {
    ///     winner.send(prize);   // reported: a failure is silently ignored
    ///     paidOut = true;
    /// }
    /// ```
    ///
    /// ## Recommendation
    /// Check the result (`require(winner.send(prize))`), use `transfer`, or better, let
    /// recipients withdraw their funds themselves (pull payments).
    pub(crate) struct UncheckedSend;
}

static META: DetectorMeta = DetectorMeta {
    id: "unchecked-send",
    title: "Unchecked `send`",
    severity: Severity::Low,
    confidence: Confidence::Low,
    swc: Some("SWC-104"),
    category: "unchecked_low_level_calls",
    description: "The result of `send` is never checked, so a failed payment goes unnoticed",
    recommendation: "Check the result of `send` (`require(to.send(v))`) or use pull payments",
    references: &[
        "https://swcregistry.io/docs/SWC-104",
        "https://docs.soliditylang.org/en/latest/security-considerations.html#sending-and-receiving-ether",
    ],
    doc: UncheckedSend::DOC,
};

impl Detector for UncheckedSend {
    fn meta(&self) -> &'static DetectorMeta {
        &META
    }

    fn check_file(&self, cx: &FileContext<'_>, out: &mut Vec<Finding>) {
        let model = cx.model();
        let ast = cx.ast();
        for (f, _) in cx.functions() {
            let mut results = None;
            for site in model.calls(f) {
                let CallKind::LowLevel {
                    kind: LowLevelKind::Send,
                    ..
                } = site.kind
                else {
                    continue;
                };
                let Some(call) = site.expr else { continue };
                let results = results.get_or_insert_with(|| CallResults::of(model, ast, f));
                let Some((span, why)) = results.unchecked_flag_through(model, ast, cx.file, call)
                else {
                    continue;
                };
                let what = format!("the result of `{}`", call_target_text(cx, ast, call));
                out.push(unchecked_finding(cx, &META, f, span, &what, why));
            }
        }
    }
}
