use semantics::FunctionId;
use syntax::Version;
use syntax::ast::{Ast, BinaryOp, ExprId, ExprKind, UnaryOp};

use crate::analysis::access::{
    CallerChoice, body_span, checked_in_body, checking_functions, def_of, exprs_within,
    open_entries, root_state_var, written_by,
};
use crate::declare::declare_detector;
use crate::detector::{Detector, FileContext};
use crate::finding::Finding;
use crate::meta::{Confidence, DetectorMeta, Severity};

declare_detector! {
    /// ## What it detects
    /// Before Solidity 0.6 the `length` of a dynamic storage array could be written.
    /// This detector reports, in functions anyone can call:
    /// - `array.length--` (or `-=`) without a check that the array is not empty, or
    ///   behind a check that always holds (`require(0 <= array.length)`): on an empty
    ///   array the length underflows to 2^256 - 1 (reported at the useless check when
    ///   there is one, else at the decrement);
    /// - `array.length = x` with `x` chosen by the caller, and then a write at an
    ///   index the caller chooses (reported at the write).
    ///
    /// The checks are those of the function, of the modifiers it invokes and of the
    /// helpers it calls: a check moved into `modifier nonEmpty() { require(...); _; }`
    /// or an internal function still counts, and a useless one there is still reported.
    ///
    /// ## Why it matters
    /// An array element lives at `keccak256(slot) + index`. Once the length covers the
    /// whole storage space, a write at a chosen index reaches any storage slot: the
    /// owner, balances, anything. This is how storage of such contracts is taken over.
    ///
    /// ## Example
    /// ```solidity
    /// function pop() public {
    ///     require(0 <= codes.length);   // reported: always true for unsigned lengths
    ///     codes.length--;
    /// }
    /// function set(uint256 key, uint256 value) public {
    ///     if (map.length <= key) map.length = key + 1;
    ///     map[key] = value;             // reported: any storage slot
    /// }
    /// ```
    ///
    /// ## Recommendation
    /// Use `push`/`pop` (0.6 and later), check `array.length > 0` before shrinking, and
    /// never let the caller set a length or write at an unbounded index.
    pub(crate) struct ArbitraryStorageWrite;
}

static META: DetectorMeta = DetectorMeta {
    id: "arbitrary-storage-write",
    title: "Write to an arbitrary storage location",
    severity: Severity::High,
    confidence: Confidence::Medium,
    swc: Some("SWC-124"),
    category: "access_control",
    description: "A dynamic array's length can underflow or be set by the caller, after which a write at a chosen \
                  index reaches any storage slot",
    recommendation: "Check the array is not empty before shrinking it, never let the caller set a length, and bound \
                     indices",
    references: &["https://swcregistry.io/docs/SWC-124"],
    doc: ArbitraryStorageWrite::DOC,
};

impl Detector for ArbitraryStorageWrite {
    fn meta(&self) -> &'static DetectorMeta {
        &META
    }

    fn check_file(&self, cx: &FileContext<'_>, out: &mut Vec<Finding>) {
        let model = cx.model();
        let ast = cx.ast();
        if model
            .version(cx.file)
            .is_none_or(|v| v >= Version::new(0, 6, 0))
        {
            return;
        }
        let entries = open_entries(cx);
        let open_written = written_by(model, &entries);
        let mut seen = Vec::new();
        for (entry, reach) in &entries {
            let choice = CallerChoice {
                model,
                ast,
                file: cx.file,
                entry: *entry,
                reach,
                open_written: &open_written,
                taint: cx.taint(),
            };
            for &g in reach {
                let Some(body) = def_of(ast, model, g).and_then(|d| body_span(ast, d)) else {
                    continue;
                };
                for x in exprs_within(ast, body) {
                    if seen.contains(&x)
                        || checked_in_body(model, ast, cx.file, g, ast.expr(x).span)
                    {
                        continue;
                    }
                    // `a.length--`, `--a.length`, `a.length -= n`.
                    let decremented = match &ast.expr(x).kind {
                        ExprKind::Unary {
                            op: UnaryOp::PostDec | UnaryOp::PreDec,
                            operand,
                        } => length_of(ast, *operand),
                        ExprKind::Assign {
                            op: Some(BinaryOp::Sub),
                            lhs,
                            ..
                        } => length_of(ast, *lhs),
                        _ => None,
                    };
                    if let Some(array) = decremented {
                        seen.push(x);
                        let Some(var) = root_state_var(model, ast, cx.file, array) else {
                            continue;
                        };
                        let checks = length_checks(cx, ast, g, var);
                        if checks.iter().any(|&(_, holds)| !holds)
                            || indexed_before(cx, ast, body, array, ast.expr(x).span.lo)
                        {
                            continue;
                        }
                        let at = ast.expr(x).span;
                        let finding = match checks.first() {
                            Some(&(check, _)) => cx
                                .finding(
                                    &META,
                                    Some(*entry),
                                    ast.expr(check).span,
                                    format!(
                                        "`{}` always holds: `{}` underflows when the array is empty, and the array then covers all storage",
                                        cx.snippet(ast.expr(check).span),
                                        cx.snippet(at)
                                    ),
                                )
                                .with_secondary(cx.file, at, "the length is decremented here"),
                            None => cx.finding(
                                &META,
                                Some(*entry),
                                at,
                                format!(
                                    "`{}` underflows when the array is empty, and the array then covers all storage",
                                    cx.snippet(at)
                                ),
                            ),
                        };
                        out.push(finding);
                        continue;
                    }
                    // `a.length = chosen`, then `a[chosen] = v`.
                    if let ExprKind::Assign { op: None, lhs, rhs } = &ast.expr(x).kind
                        && let Some(array) = length_of(ast, *lhs)
                        && param_leaf(&choice, *rhs)
                        && let Some(var) = root_state_var(model, ast, cx.file, array)
                    {
                        seen.push(x);
                        let write = reach.iter().find_map(|&h| {
                            let body = def_of(ast, model, h).and_then(|d| body_span(ast, d))?;
                            exprs_within(ast, body).find(|&y| {
                                matches!(&ast.expr(y).kind, ExprKind::Assign { lhs, .. }
                                    if matches!(&ast.expr(ast.skip_parens(*lhs)).kind,
                                        ExprKind::Index { base, index: Some(i) }
                                            if root_state_var(model, ast, cx.file, *base) == Some(var)
                                                && param_leaf(&choice, *i)))
                            })
                        });
                        let length_span = ast.expr(x).span;
                        let finding = match write {
                            Some(w) => cx
                                .finding(
                                    &META,
                                    Some(*entry),
                                    ast.expr(w).span,
                                    format!(
                                        "`{}` writes at an index the caller chooses into an array whose length the caller sets: any storage slot",
                                        cx.snippet(ast.expr(w).span)
                                    ),
                                )
                                .with_secondary(cx.file, length_span, "the caller sets the length here"),
                            None => cx.finding(
                                &META,
                                Some(*entry),
                                length_span,
                                format!("the caller sets the length of the array: `{}`", cx.snippet(length_span)),
                            ),
                        };
                        out.push(finding);
                    }
                }
            }
        }
    }
}

/// `a` in `a.length`.
fn length_of(ast: &Ast, e: ExprId) -> Option<ExprId> {
    match ast.expr(ast.skip_parens(e)).as_member_access() {
        Some((base, m)) if m.name == "length" => Some(base),
        _ => None,
    }
}

/// The comparisons in the conditions of `g`, of its modifiers and of the helpers it
/// calls that bound `var.length`, with whether they can fail (`false` for
/// `0 <= a.length` and `a.length >= 0`, which always hold).
fn length_checks(
    cx: &FileContext<'_>,
    ast: &Ast,
    g: FunctionId,
    var: semantics::ItemRef,
) -> Vec<(ExprId, bool)> {
    let model = cx.model();
    let is_len = |e: ExprId| {
        length_of(ast, e).is_some_and(|a| root_state_var(model, ast, cx.file, a) == Some(var))
    };
    let is_zero = |e: ExprId| {
        ast.expr(ast.skip_parens(e))
            .as_literal()
            .and_then(|l| l.number_value())
            == Some(0)
    };
    let mut out = Vec::new();
    // The checks of `g`, of its modifiers and of the helpers it calls.
    for h in checking_functions(model, g, 1) {
        let Some(body) = def_of(ast, model, h).and_then(|d| body_span(ast, d)) else {
            continue;
        };
        for x in exprs_within(ast, body) {
            let ExprKind::Binary { op, lhs, rhs } = &ast.expr(x).kind else {
                continue;
            };
            if !op.is_comparison() || !(is_len(*lhs) || is_len(*rhs)) {
                continue;
            }
            let always = (*op == BinaryOp::Le && is_zero(*lhs) && is_len(*rhs))
                || (*op == BinaryOp::Ge && is_len(*lhs) && is_zero(*rhs));
            out.push((x, always));
        }
    }
    out
}

/// True when `e` holds a parameter the caller chooses (directly or passed on through
/// internal calls), not only state.
fn param_leaf(choice: &CallerChoice<'_, '_>, e: ExprId) -> bool {
    let ast = choice.ast;
    exprs_within(ast, ast.expr(e).span).any(|y| {
        matches!(
            choice.model.declaration(choice.file, y),
            Some(semantics::Declaration::Param(_) | semantics::Declaration::Local(_))
        ) && choice.leaf(y, 3)
    })
}

/// True when the function indexes the same array before `before`
/// (`arr[arr.length - 1]` in a swap-and-pop): the bounds check of that access already
/// reverts on an empty array.
fn indexed_before(
    cx: &FileContext<'_>,
    ast: &Ast,
    body: syntax::Span,
    array: ExprId,
    before: u32,
) -> bool {
    let text = cx.snippet(ast.expr(array).span);
    exprs_within(ast, body).any(|y| {
        ast.expr(y).span.lo < before
            && matches!(&ast.expr(y).kind, ExprKind::Index { base, index: Some(_) }
                if cx.snippet(ast.expr(*base).span) == text)
    })
}
