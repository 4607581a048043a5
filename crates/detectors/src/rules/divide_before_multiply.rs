use syntax::ast::{BinaryOp, ExprId, ExprKind, StmtKind};

use crate::analysis::value_flow::{Body, bodies, key};
use crate::declare::declare_detector;
use crate::detector::{Detector, FileContext};
use crate::finding::Finding;
use crate::meta::{Confidence, DetectorMeta, Severity};

declare_detector! {
    /// ## What it detects
    /// A multiplication of the result of an integer division: `(a / b) * c`, directly
    /// or through a local variable (`uint q = a / b; ... q * c`), also as `q *= c`.
    /// Rounding to a multiple on purpose, `(a / b) * b`, and changes of unit between two
    /// literal scales (`n / 4 * 3`) are not reported.
    ///
    /// ## Why it matters
    /// Integer division rounds down; multiplying afterwards multiplies the rounding
    /// error too. `(amount / total) * reward` is zero whenever `amount < total`, where
    /// `amount * reward / total` is exact up to one unit. Fees, shares and interest
    /// computed this way lose value, sometimes all of it.
    ///
    /// ## Example
    /// ```solidity
    /// function share(uint256 amount) public view returns (uint256) {
    ///     return (amount / totalSupply) * pool;   // reported
    /// }
    /// ```
    ///
    /// ## Recommendation
    /// Multiply first and divide last (`amount * pool / totalSupply`), with a full
    /// precision helper such as `mulDiv` when the product can overflow.
    pub(crate) struct DivideBeforeMultiply;
}

static META: DetectorMeta = DetectorMeta {
    id: "divide-before-multiply",
    title: "Multiplication after division loses precision",
    severity: Severity::Low,
    confidence: Confidence::Low,
    swc: None,
    category: "precision_loss",
    description: "The result of an integer division is multiplied, so the rounding error of the \
                  division is multiplied too",
    recommendation: "Multiply before dividing, e.g. `a * c / b`, with a full-precision `mulDiv` when \
                     the product can overflow",
    references: &["https://docs.soliditylang.org/en/latest/types.html#division"],
    doc: DivideBeforeMultiply::DOC,
};

impl Detector for DivideBeforeMultiply {
    fn meta(&self) -> &'static DetectorMeta {
        &META
    }

    fn check_file(&self, cx: &FileContext<'_>, out: &mut Vec<Finding>) {
        for body in bodies(cx) {
            let ast = body.ast;
            for &e in &body.exprs {
                let (lhs, rhs) = match &ast.expr(e).kind {
                    ExprKind::Binary {
                        op: BinaryOp::Mul,
                        lhs,
                        rhs,
                    }
                    | ExprKind::Assign {
                        op: Some(BinaryOp::Mul),
                        lhs,
                        rhs,
                    } => (*lhs, *rhs),
                    _ => continue,
                };
                for (side, other) in [(lhs, rhs), (rhs, lhs)] {
                    let Some(div) = division_of(&body, side) else {
                        continue;
                    };
                    let ExprKind::Binary { rhs: divisor, .. } = &ast.expr(div).kind else {
                        continue;
                    };
                    if key(ast, cx.text, *divisor) == key(ast, cx.text, other) {
                        continue;
                    }
                    // `n / 4 * 3`: a change of unit between two fixed scales.
                    let literal = |x: ExprId| is_literal(ast, x);
                    if literal(*divisor) && literal(other) {
                        continue;
                    }
                    let message = format!(
                        "`{}` multiplies the result of `{}`: the rounding of the division is \
                         multiplied too",
                        cx.snippet(ast.expr(e).span),
                        cx.snippet(ast.expr(div).span)
                    );
                    let mut f = cx.finding(
                        &META,
                        Some(body.function),
                        body.report_span(cx.text, e),
                        message,
                    );
                    if div != ast.skip_parens(side) {
                        f = f.with_secondary(cx.file, ast.expr(div).span, "the division");
                    }
                    out.push(f);
                    break;
                }
            }
        }
    }
}

/// The division `e` is, or that the local `e` names was initialised with.
fn division_of(body: &Body<'_>, e: ExprId) -> Option<ExprId> {
    let ast = body.ast;
    let e = ast.skip_parens(e);
    let is_div = |x: ExprId| {
        matches!(
            ast.expr(x).kind,
            ExprKind::Binary {
                op: BinaryOp::Div,
                ..
            }
        )
    };
    if is_div(e) {
        return Some(e);
    }
    let name = ast.expr(e).as_ident()?;
    let mut found = None;
    for a in body.anchor.values() {
        if let StmtKind::VarDecl {
            decls,
            value: Some(v),
            ..
        } = &ast.stmt(a.stmt).kind
            && let [Some(d)] = decls.as_slice()
            && d.name.as_ref().is_some_and(|n| n.as_str() == name.as_str())
        {
            let v = ast.skip_parens(*v);
            if is_div(v) {
                found = Some(v);
            } else {
                return None;
            }
        }
    }
    // Reassigned later: no longer (only) the quotient.
    let reassigned = body.exprs.iter().any(|&x| match &ast.expr(x).kind {
        ExprKind::Assign { op: None, lhs, .. } => ast.expr(*lhs).is_ident(name.as_str()),
        _ => false,
    });
    if reassigned { None } else { found }
}

/// Literals and operators over literals (`2**128`, `1 days`, `10 ** 18`).
fn is_literal(ast: &syntax::ast::Ast, e: ExprId) -> bool {
    let e = ast.skip_parens(e);
    match &ast.expr(e).kind {
        ExprKind::Literal(_) => true,
        ExprKind::Binary { lhs, rhs, .. } => is_literal(ast, *lhs) && is_literal(ast, *rhs),
        ExprKind::Unary { operand, .. } => is_literal(ast, *operand),
        _ => false,
    }
}
