use semantics::Type;
use syntax::ast::{BinaryOp, ElementaryType, ExprKind};

use crate::analysis::value_flow::{bodies, is_comparison, key, subexprs};
use crate::declare::declare_detector;
use crate::detector::{Detector, FileContext};
use crate::finding::Finding;
use crate::meta::{Confidence, DetectorMeta, Severity};

declare_detector! {
    /// ## What it detects
    /// An explicit conversion to a narrower integer type (`uint128(x)`, `uint8(x)`,
    /// `int64(y)`) of a value the caller or another contract influences (a parameter
    /// of a public function, `msg.value`, or state they wrote), when no comparison in the same function bounds that value
    /// (`require(x <= type(uint128).max)`, `if (x >= 2**64) revert();`).
    ///
    /// Not reported: conversions of literals, of values masked (`x & 0xff`) or reduced
    /// (`x % 256`) first, of block values (`uint32(block.timestamp)` is a deliberate
    /// truncation), of values computed by function calls (their bounds are not
    /// visible here), of a packed word that the same function also shifts right (a
    /// split into fields), and SafeCast calls (library calls that check).
    ///
    /// Vyper has no form of this detector: its `convert` checks the range at run time and
    /// reverts instead of truncating. The compiler releases that failed to check a value
    /// (`int128` returned by external calls, `decimal` arguments) are reported by
    /// `vyper-compiler-advisory`.
    ///
    /// ## Why it matters
    /// Before and after 0.8 alike, explicit conversions truncate silently: `uint128(x)`
    /// keeps the low 128 bits. An amount of `2**128 + 1` is recorded as `1` while the
    /// full amount is credited elsewhere, or a large deposit becomes a tiny one.
    ///
    /// ## Example
    /// ```solidity
    /// function deposit(uint256 amount) external {
    ///     token.transferFrom(msg.sender, address(this), amount);
    ///     balances[msg.sender] += uint128(amount);   // reported
    /// }
    /// ```
    ///
    /// ## Recommendation
    /// Check the bound first (`require(amount <= type(uint128).max)`) or use
    /// OpenZeppelin's `SafeCast` (`amount.toUint128()`).
    pub(crate) struct UnsafeDowncast;
}

static META: DetectorMeta = DetectorMeta {
    id: "unsafe-downcast",
    title: "Unchecked conversion to a narrower integer type",
    severity: Severity::Low,
    confidence: Confidence::Low,
    swc: None,
    category: "unsafe_downcast",
    description: "An explicit conversion to a narrower integer type truncates a value that callers \
                  influence, and nothing checks that it fits",
    recommendation: "Check the value against the target type's maximum first, or use SafeCast",
    references: &["https://docs.soliditylang.org/en/latest/types.html#explicit-conversions"],
    doc: UnsafeDowncast::DOC,
};

fn width(ty: &Type) -> Option<(bool, u16)> {
    match ty {
        Type::Elementary(ElementaryType::Uint(n)) => Some((false, *n)),
        Type::Elementary(ElementaryType::Int(n)) => Some((true, *n)),
        _ => None,
    }
}

impl Detector for UnsafeDowncast {
    fn meta(&self) -> &'static DetectorMeta {
        &META
    }

    fn check_file(&self, cx: &FileContext<'_>, out: &mut Vec<Finding>) {
        let model = cx.model();
        let taint = cx.taint();
        for body in bodies(cx) {
            let ast = body.ast;
            for &e in &body.exprs {
                let ExprKind::Call { callee, args } = &ast.expr(e).kind else {
                    continue;
                };
                let to = match ast.expr(*callee).kind {
                    ExprKind::ElementaryType(ElementaryType::Uint(n)) => (false, n),
                    ExprKind::ElementaryType(ElementaryType::Int(n)) => (true, n),
                    _ => continue,
                };
                let [arg] = args.exprs()[..] else { continue };
                let arg = ast.skip_parens(arg);
                let Some(from) = width(model.type_of(cx.file, arg)) else {
                    continue;
                };
                // Narrower only (a sign change at the same width is another matter).
                if from.1 <= to.1 {
                    continue;
                }
                if matches!(
                    ast.expr(arg).kind,
                    ExprKind::Literal(_)
                        | ExprKind::Binary {
                            op: BinaryOp::BitAnd | BinaryOp::Rem | BinaryOp::Shr,
                            ..
                        }
                ) {
                    continue;
                }
                // Values returned by functions (`Math.max` of narrow values, packed slot
                // reads) carry bounds this analysis does not see.
                let calls_function = subexprs(ast, arg).into_iter().any(|x| {
                    matches!(&ast.expr(x).kind, ExprKind::Call { callee, .. }
                        if !matches!(ast.expr(*callee).kind, ExprKind::ElementaryType(_)))
                });
                if calls_function {
                    continue;
                }
                let t = taint.expr(model, cx.file, arg);
                if t.is_miner_controlled() && !t.is_caller_controlled() {
                    continue;
                }
                if !t.is_caller_controlled() {
                    continue;
                }
                let k = key(ast, cx.text, arg);
                let bounded = body.conditions.iter().any(|&c| {
                    subexprs(ast, c)
                        .into_iter()
                        .any(|x| match &ast.expr(x).kind {
                            ExprKind::Binary { op, lhs, rhs } if is_comparison(*op) => {
                                key(ast, cx.text, *lhs) == k || key(ast, cx.text, *rhs) == k
                            }
                            _ => false,
                        })
                });
                // A packed word split into parts: the same value is also shifted right.
                let inner = match &ast.expr(arg).kind {
                    ExprKind::Call { args, .. } => match args.exprs()[..] {
                        [x] => key(ast, cx.text, x),
                        _ => k.clone(),
                    },
                    _ => k.clone(),
                };
                let split = body.exprs.iter().any(|&x| match &ast.expr(x).kind {
                    ExprKind::Binary {
                        op: BinaryOp::Shr,
                        lhs,
                        ..
                    } => {
                        let kl = key(ast, cx.text, *lhs);
                        kl == k || kl == inner || kl.contains(&format!("({inner})"))
                    }
                    _ => false,
                });
                if bounded || split {
                    continue;
                }
                let message = format!(
                    "`{}` truncates `{}` to {} bits without checking that it fits",
                    cx.snippet(ast.expr(e).span),
                    cx.snippet(ast.expr(arg).span),
                    to.1
                );
                out.push(cx.finding(
                    &META,
                    Some(body.function),
                    body.report_span(cx.text, e),
                    message,
                ));
            }
        }
    }
}
