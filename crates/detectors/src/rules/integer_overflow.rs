use crate::analysis::overflow::{self, Mode};
use crate::declare::declare_detector;
use crate::detector::{Detector, FileContext};
use crate::finding::Finding;
use crate::meta::{Confidence, DetectorMeta, Severity};

declare_detector! {
    /// ## What it detects
    /// Before Solidity 0.8, `+`, `-`, `*` and their compound assignments (`+=`, `-=`,
    /// `*=`) wrap around silently. This detector reports such an operation when the
    /// caller chooses an operand (a parameter of a public function, `msg.value` in a
    /// subtraction or multiplication, or state that callers wrote) and no check in the
    /// same function bounds it:
    /// - `a - b` / `a -= b`: no comparison of `a` with `b` (`require(a >= b)`,
    ///   `if (a < b) throw;`);
    /// - `a + b` / `a += b`: no comparison of the sum (or the variable holding it) with
    ///   an operand (`require(a + b >= a)`, `c = a + b; assert(c >= a);`);
    /// - `a * b`: no division of the product by an operand compared for equality
    ///   (`require(c / a == b)`);
    /// - in every case, no upper bound of the caller's operand by a constant
    ///   (`require(n <= 100)`).
    ///
    /// The operand is followed to the caller's input through modifiers (a modifier's
    /// parameter bound to an argument of the invocation: `paysFor(units)`), through up
    /// to three internal functions (the checks of each function on the way count), and
    /// through state the caller wrote earlier with a value it chose and nothing bounded
    /// (`wanted[msg.sender] = n;` in one call, `wanted[msg.sender] * price` in the
    /// next). A parameter overwritten by a helper's result (`x = clamp(x)`) is no
    /// longer the caller's choice.
    ///
    /// SafeMath calls are library calls, not raw arithmetic, and its own bodies carry
    /// the checks above. Additions of `msg.value` are not reported: the ether supply
    /// cannot make a 256-bit sum wrap. Increments and decrements (`++`, `--`) are not
    /// reported: they change a value by one and are almost always counters.
    ///
    /// Reported at low severity: on real code the operands are almost always bounded by
    /// balances and supplies the analysis cannot see. A branch taken only by a privileged caller
    /// (`if (msg.sender == owner) { ... }`) and helpers returning a bool that receive the
    /// operands (`require(safeToSub(a, b))`) count as checks.
    ///
    /// Calibration: on the triage set of real mainnet contracts (`bench/triage/`),
    /// 3 of 11 findings were right when this severity and confidence were set
    /// (`docs/benchmarks.md`, Precision).
    ///
    /// ## Why it matters
    /// A wrapped balance or counter turns a small number into a huge one: a transfer of
    /// more than the sender has underflows their balance to nearly `2**256`, a batch
    /// transfer whose count times value overflows credits every receiver while
    /// debiting almost nothing, a lock time pushed past `2**256` wraps to the past.
    ///
    /// ## Example
    /// ```solidity
    /// pragma solidity ^0.4.24;
    /// contract Token {
    ///     mapping(address => uint256) balances;
    ///     function transfer(address to, uint256 value) public {
    ///         balances[msg.sender] -= value;   // reported: underflows when value > balance
    ///         balances[to] += value;           // reported: can overflow
    ///     }
    /// }
    /// ```
    ///
    /// ## Recommendation
    /// Compile with Solidity 0.8 or later (checked arithmetic), or use SafeMath, or check
    /// the operands first (`require(balances[msg.sender] >= value)`).
    pub(crate) struct IntegerOverflow;
}

static META: DetectorMeta = DetectorMeta {
    id: "integer-overflow",
    title: "Integer overflow or underflow",
    severity: Severity::Low,
    confidence: Confidence::Low,
    swc: Some("SWC-101"),
    category: "arithmetic",
    description: "Arithmetic before Solidity 0.8 wraps silently, and an operand the caller chooses can \
                  make it overflow or underflow",
    recommendation: "Use Solidity 0.8 checked arithmetic or SafeMath, or check the operands before the \
                     operation",
    references: &[
        "https://swcregistry.io/docs/SWC-101",
        "https://docs.soliditylang.org/en/latest/types.html#integers",
    ],
    doc: IntegerOverflow::DOC,
};

impl Detector for IntegerOverflow {
    fn meta(&self) -> &'static DetectorMeta {
        &META
    }

    fn check_file(&self, cx: &FileContext<'_>, out: &mut Vec<Finding>) {
        for w in overflow::find(cx, Mode::Legacy) {
            out.push(cx.finding(&META, Some(w.function), w.span, w.message));
        }
    }
}
