use crate::declare::declare_detector;
use crate::detector::{Detector, FileContext};
use crate::finding::Finding;
use crate::meta::{Confidence, DetectorMeta, Severity};
use crate::vyper_analysis::VyperContext;

declare_detector! {
    /// ## What it detects
    /// A Vyper module whose functions share a `@nonreentrant("key")` lock, compiled (by
    /// its version pragma) with Vyper 0.2.15, 0.2.16 or 0.3.0. Those releases gave every
    /// function its own lock slot instead of one slot per key (advisory
    /// GHSA-5824-cm3x-3c38, CVE-2023-39363), so the lock protects each function only
    /// against itself.
    ///
    /// A pragma that pins an affected release is critical with high confidence. A
    /// floating pragma that also admits unaffected releases (`^0.2.0`) is high with
    /// medium confidence: the bytecode is broken only if one of the three was used. A
    /// Vyper-only detector; Solidity files are not checked.
    ///
    /// ## Why it matters
    /// In July 2023 attackers drained several Curve pools (alETH, msETH and pETH on
    /// 0.2.15, CRV/ETH on 0.3.0): `remove_liquidity` sent ether before it finished its
    /// accounting, and the callback re-entered `add_liquidity`, which the shared lock
    /// should have refused. No analysis that trusts the compiler sees this.
    ///
    /// ## Example
    /// ```vyper
    /// # @version 0.2.15
    /// @external
    /// @nonreentrant("lock")      # reported: compiled with 0.2.15, this lock
    /// def add_liquidity(amount: uint256): ...
    ///
    /// @external
    /// @nonreentrant("lock")      # and this one are different locks
    /// def remove_liquidity(amount: uint256): ...
    /// ```
    ///
    /// ## Recommendation
    /// Compile with Vyper 0.3.1 or later (or a release before 0.2.15) and pin it in the
    /// pragma. For deployed contracts, check the compiler version of the bytecode (it is
    /// in the metadata) and pause or migrate affected pools.
    pub(crate) struct VyperReentrancyLockBug;
}

static META: DetectorMeta = DetectorMeta {
    id: "vyper-reentrancy-lock-bug",
    title: "Vyper compiler with broken `@nonreentrant` locks",
    severity: Severity::Critical,
    confidence: Confidence::High,
    swc: Some("SWC-107"),
    category: "reentrancy",
    description: "Functions share a `@nonreentrant` key, but the Vyper release the pragma selects gives \
                  each function its own lock, so they can re-enter one another",
    recommendation: "Compile with Vyper 0.3.1 or later and pin it in the version pragma",
    references: &[
        "https://github.com/vyperlang/vyper/security/advisories/GHSA-5824-cm3x-3c38",
        "https://nvd.nist.gov/vuln/detail/CVE-2023-39363",
    ],
    doc: VyperReentrancyLockBug::DOC,
};

impl Detector for VyperReentrancyLockBug {
    fn meta(&self) -> &'static DetectorMeta {
        &META
    }

    fn check_file(&self, _cx: &FileContext<'_>, _out: &mut Vec<Finding>) {}

    fn check_vyper(&self, cx: &VyperContext<'_>, out: &mut Vec<Finding>) {
        crate::vyper_analysis::compiler::lock_bug(cx, &META, out);
    }

    fn supports_solidity(&self) -> bool {
        false
    }

    fn supports_vyper(&self) -> bool {
        true
    }
}
