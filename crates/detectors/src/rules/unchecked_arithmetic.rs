use crate::analysis::overflow::{self, Mode};
use crate::declare::declare_detector;
use crate::detector::{Detector, FileContext};
use crate::finding::Finding;
use crate::meta::{Confidence, DetectorMeta, Severity};

declare_detector! {
    /// ## What it detects
    /// From Solidity 0.8, arithmetic inside `unchecked { }` wraps around like before
    /// 0.8. This detector reports `+`, `-`, `*`, `+=`, `-=`, `*=` inside an `unchecked`
    /// block when the caller chooses an operand (a parameter of a public function or
    /// state that callers wrote) and no check in the same function bounds the
    /// operation (`if (balance < amount) revert();` before `balance - amount`,
    /// `require(n <= MAX)`, and so on; see `integer-overflow` for the checks
    /// recognised). The operand is followed like there: through a modifier's
    /// parameters bound to the caller's arguments (an `unchecked` addition inside
    /// `modifier consumes(uint256 units)`), through internal functions, and through
    /// state the caller wrote earlier.
    ///
    /// Severity: medium when the wrapped value is stored in contract state, low when it
    /// stays in an expression or a local.
    ///
    /// In Vyper: `unsafe_add`, `unsafe_sub`, `unsafe_mul` or `unsafe_div` in an `@external`
    /// function applied to caller input (a parameter, `msg.value` or a local computed from
    /// them) that no earlier `assert` or `if` of the function compares.
    ///
    /// ## Why it matters
    /// `unchecked` is meant for operations proven not to wrap. When the proof is
    /// missing, a caller can choose an operand that wraps a balance or an index.
    ///
    /// ## Example
    /// ```solidity
    /// function burn(uint256 amount) external {
    ///     unchecked {
    ///         balances[msg.sender] -= amount;   // reported: nothing checks the balance
    ///     }
    /// }
    /// ```
    ///
    /// ## Recommendation
    /// Check the operands before the `unchecked` block, or move the operation out of it.
    pub(crate) struct UncheckedArithmetic;
}

static META: DetectorMeta = DetectorMeta {
    id: "unchecked-arithmetic",
    title: "Caller-controlled arithmetic in an `unchecked` block",
    severity: Severity::Medium,
    confidence: Confidence::Low,
    swc: Some("SWC-101"),
    category: "arithmetic",
    description: "Arithmetic inside `unchecked { }` wraps, and an operand the caller chooses is not \
                  bounded before it",
    recommendation: "Check the operands before the `unchecked` block, or move the operation out of it",
    references: &[
        "https://swcregistry.io/docs/SWC-101",
        "https://docs.soliditylang.org/en/latest/control-structures.html#checked-or-unchecked-arithmetic",
    ],
    doc: UncheckedArithmetic::DOC,
};

impl Detector for UncheckedArithmetic {
    fn meta(&self) -> &'static DetectorMeta {
        &META
    }

    fn check_vyper(&self, cx: &crate::vyper_analysis::VyperContext<'_>, out: &mut Vec<Finding>) {
        crate::vyper_analysis::checks::unsafe_math_on_input(cx, &META, out);
    }

    fn supports_vyper(&self) -> bool {
        true
    }

    fn check_file(&self, cx: &FileContext<'_>, out: &mut Vec<Finding>) {
        for w in overflow::find(cx, Mode::Unchecked) {
            let mut finding = cx.finding(&META, Some(w.function), w.span, w.message);
            if !w.stores_state {
                finding.severity = Severity::Low;
            }
            out.push(finding);
        }
    }
}
