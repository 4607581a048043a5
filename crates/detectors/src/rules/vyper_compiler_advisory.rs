use crate::declare::declare_detector;
use crate::detector::{Detector, FileContext};
use crate::finding::Finding;
use crate::meta::{Confidence, DetectorMeta, Severity};
use crate::vyper_analysis::VyperContext;

declare_detector! {
    /// ## What it detects
    /// A Vyper module that uses a construct named by a published Vyper security advisory,
    /// while its version pragma selects a compiler release the advisory affects. The
    /// advisories are a table of data (`crates/detectors/src/vyper/advisories.toml`): for
    /// each, its id (and CVE), the affected releases, the first fixed release and the
    /// construct that triggers the miscompilation. The message names the advisory and the
    /// compiler versions. (The broken `@nonreentrant` locks of 0.2.15, 0.2.16 and 0.3.0
    /// have their own detector, `vyper-reentrancy-lock-bug`.)
    ///
    /// Severity is the advisory's when the pragma admits only affected releases; when it
    /// also admits fixed ones, the finding is at most medium with low confidence. A
    /// Vyper-only detector.
    ///
    /// ## Why it matters
    /// The compiled code does not do what the source says, so reviews and tests of the
    /// source miss the bug; every contract built with an affected release and using the
    /// construct carries it, whoever wrote it.
    ///
    /// ## Example
    /// ```vyper
    /// # @version 0.2.15
    /// @external
    /// @nonreentrant("lock")
    /// def withdraw(): ...     # see the advisory table for the constructs matched
    /// ```
    ///
    /// ## Recommendation
    /// Compile with the advisory's fixed release (or later) and pin it in the version
    /// pragma; for deployed contracts, assess whether the construct is reachable in a way
    /// the bug makes exploitable, and migrate if it is.
    pub(crate) struct VyperCompilerAdvisory;
}

static META: DetectorMeta = DetectorMeta {
    id: "vyper-compiler-advisory",
    title: "Vyper compiler release with a known bug in a construct the module uses",
    severity: Severity::High,
    confidence: Confidence::Medium,
    swc: Some("SWC-102"),
    category: "compiler_bug",
    description: "The version pragma selects a Vyper release with a published miscompilation of a \
                  construct this module uses",
    recommendation: "Compile with the advisory's fixed release or later and pin it in the pragma",
    references: &["https://github.com/vyperlang/vyper/security/advisories"],
    doc: VyperCompilerAdvisory::DOC,
};

impl Detector for VyperCompilerAdvisory {
    fn meta(&self) -> &'static DetectorMeta {
        &META
    }

    fn check_file(&self, _cx: &FileContext<'_>, _out: &mut Vec<Finding>) {}

    fn check_vyper(&self, cx: &VyperContext<'_>, out: &mut Vec<Finding>) {
        crate::vyper_analysis::compiler::advisories_check(cx, &META, out);
    }

    fn supports_solidity(&self) -> bool {
        false
    }

    fn supports_vyper(&self) -> bool {
        true
    }
}
