use crate::declare::declare_detector;
use crate::detector::{Detector, FileContext};
use crate::finding::Finding;
use crate::meta::{Confidence, DetectorMeta, Severity};
use crate::suppression::Suppressions;

/// The id of this detector.
pub(crate) const ID: &str = "unused-suppression";

declare_detector! {
    /// ## What it detects
    /// A `web3audit-disable-*` suppression comment that does not do what it says: it
    /// names a detector that does not exist, it hid no finding of the detector it names
    /// (checked only when that detector ran; a suppression of every detector only when
    /// every detector ran), it is a `web3audit-disable-end` without a matching start, or
    /// it is not one of the suppression forms at all (`web3audit-disable-nextline`).
    ///
    /// Slither's and Aderyn's suppression comments are honoured but never reported:
    /// they may serve those tools.
    ///
    /// ## Why it matters
    /// A suppression is a decision that a finding is acceptable. One that hides nothing
    /// outlives the code it was written for and will silently hide a new finding on that
    /// line later; a misspelled id or form hides nothing while the author believes the
    /// finding is handled.
    ///
    /// ## Example
    /// ```solidity
    /// // reported: no `tx-origin-auth` finding on the next line
    /// // web3audit-disable-next-line tx-origin-auth
    /// require(msg.sender == owner);
    ///
    /// // reported: `tx-orign-auth` is not a detector (and the finding below stays)
    /// // web3audit-disable-next-line tx-orign-auth
    /// require(tx.origin == owner);
    /// ```
    ///
    /// ## Recommendation
    /// Remove the suppression, or correct the detector id (`web3audit detectors` lists
    /// them). Findings of this detector are hidden only by suppressions that name
    /// `unused-suppression`, e.g. `// web3audit-disable-file unused-suppression`.
    pub(crate) struct UnusedSuppression;
}

static META: DetectorMeta = DetectorMeta {
    id: ID,
    title: "Unused or invalid suppression comment",
    severity: Severity::Low,
    confidence: Confidence::High,
    swc: None,
    category: "best_practice",
    description: "A suppression comment names an unknown detector, hides no finding, or is malformed, \
                  so it documents a decision that no longer holds",
    recommendation: "Remove the suppression or correct the detector id",
    references: &[],
    doc: UnusedSuppression::DOC,
};

impl Detector for UnusedSuppression {
    fn meta(&self) -> &'static DetectorMeta {
        &META
    }

    /// Nothing to do here: whether a suppression hid something is known only after
    /// every other detector ran, so [`crate::run`] reports through [`findings`].
    fn check_file(&self, _cx: &FileContext<'_>, _out: &mut Vec<Finding>) {}
}

/// The findings about the suppression comments of `cx`, after the other detectors'
/// findings went through `suppressions`.
pub(crate) fn findings(
    file: crate::FileId,
    suppressions: &Suppressions,
    ran: impl Fn(&str) -> bool,
    all_ran: bool,
) -> Vec<Finding> {
    suppressions
        .problems(ran, all_ran)
        .into_iter()
        .map(|problem| Finding::new(&META, file, problem.span, problem.message))
        .collect()
}
