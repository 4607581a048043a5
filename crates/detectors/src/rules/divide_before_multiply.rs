use semantics::{Declaration, Model, VarId};
use syntax::FileId;
use syntax::ast::{Ast, BinaryOp, ExprId, ExprKind, StmtKind};

use crate::analysis::value_flow::{
    Body, CALL_DEPTH, args_by_param, bodies, body_of, internal_callee, key, returned_values,
};
use crate::declare::declare_detector;
use crate::detector::{Detector, FileContext};
use crate::finding::Finding;
use crate::meta::{Confidence, DetectorMeta, Severity};

declare_detector! {
    /// ## What it detects
    /// A multiplication of the result of an integer division: `(a / b) * c`, directly,
    /// through a local variable (`uint q = a / b; ... q * c`), also as `q *= c`, or
    /// through an internal or library helper that returns the quotient
    /// (`_perUnit() * units` with `return pool / units;` inside, `a.div(b) * c`).
    /// Rounding to a multiple on purpose, `(a / b) * b` (also with `b` passed to the
    /// helper), changes of unit between two literal scales (`n / 4 * 3`) and fields
    /// cut out of a packed value (`(x % M) / D`) are not reported.
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
                    let Some(q) = quotient_of(cx.model(), &body, side, 0) else {
                        continue;
                    };
                    let ExprKind::Binary {
                        lhs: dividend,
                        rhs: divisor,
                        ..
                    } = &q.ast.expr(q.div).kind
                    else {
                        continue;
                    };
                    // `(x % M) / D`: a field cut out of a packed value on purpose.
                    if matches!(
                        q.ast.expr(q.ast.skip_parens(*dividend)).kind,
                        ExprKind::Binary {
                            op: BinaryOp::Rem,
                            ..
                        }
                    ) {
                        continue;
                    }
                    if same_operand(cx, &q, *divisor, other) {
                        continue;
                    }
                    // `n / 4 * 3`: a change of unit between two fixed scales.
                    if is_literal(q.ast, *divisor) && is_literal(ast, other) {
                        continue;
                    }
                    let division = match q.ast.expr(q.div).span.text(q.text(cx)) {
                        "" => "a division",
                        d => d,
                    };
                    let message = match q.helper {
                        Some(call) => format!(
                            "`{}` multiplies the result of `{}`, which returns `{}`: the rounding \
                             of the division is multiplied too",
                            cx.snippet(ast.expr(e).span),
                            cx.snippet(ast.expr(call).span),
                            division
                        ),
                        None => format!(
                            "`{}` multiplies the result of `{}`: the rounding of the division is \
                             multiplied too",
                            cx.snippet(ast.expr(e).span),
                            division
                        ),
                    };
                    let mut f = cx.finding(
                        &META,
                        Some(body.function),
                        body.report_span(cx.text, e),
                        message,
                    );
                    if q.helper.is_some() || q.div != ast.skip_parens(side) {
                        f = f.with_secondary(q.file, q.ast.expr(q.div).span, "the division");
                    }
                    out.push(f);
                    break;
                }
            }
        }
    }
}

/// A division whose quotient an operand carries.
struct Quotient<'a> {
    ast: &'a Ast,
    file: FileId,
    div: ExprId,
    /// The outermost internal call returning it, when the division is in a helper.
    helper: Option<ExprId>,
    /// The helper's parameters bound to the caller's arguments (one call deep).
    frame: Vec<(VarId, ExprId)>,
}

impl Quotient<'_> {
    /// The source of the division's file ("" when it is not the file checked).
    fn text<'t>(&self, cx: &FileContext<'t>) -> &'t str {
        if self.file == cx.file { cx.text } else { "" }
    }
}

/// The division `e` is, that the local `e` names was initialised with, or that the
/// internal helper `e` calls returns (through at most [`CALL_DEPTH`] helpers).
fn quotient_of<'a>(
    model: &Model<'a>,
    body: &Body<'a>,
    e: ExprId,
    depth: u32,
) -> Option<Quotient<'a>> {
    let ast = body.ast;
    let e = ast.skip_parens(e);
    if let Some(div) = division_of(body, e) {
        return Some(Quotient {
            ast,
            file: body.file,
            div,
            helper: None,
            frame: Vec::new(),
        });
    }
    if depth >= CALL_DEPTH {
        return None;
    }
    let g = internal_callee(model, body.function, e)?;
    if g == body.function {
        return None;
    }
    let callee = body_of(model, g)?;
    let frame = args_by_param(model, ast, e, g);
    returned_values(&callee).into_iter().find_map(|v| {
        let mut q = quotient_of(model, &callee, v, depth + 1)?;
        q.helper = Some(e);
        if q.frame.is_empty() {
            q.frame = frame.clone();
        }
        Some(q)
    })
}

/// True when the divisor of `q` and the other factor `other` (in the checked file) are
/// the same operand: written the same way, the argument passed for a divisor
/// parameter, or the same state variable (`(a / b) * b` rounds on purpose).
fn same_operand(cx: &FileContext<'_>, q: &Quotient<'_>, divisor: ExprId, other: ExprId) -> bool {
    let model = cx.model();
    let ast = cx.ast();
    let divisor = q.ast.skip_parens(divisor);
    if let Some(Declaration::Param(p)) = model.declaration(q.file, divisor)
        && let Some(&(_, arg)) = q.frame.iter().find(|(v, _)| *v == p)
    {
        return key(ast, cx.text, arg) == key(ast, cx.text, other);
    }
    if q.file == cx.file && key(ast, cx.text, divisor) == key(ast, cx.text, other) {
        return true;
    }
    match model.declaration(q.file, divisor) {
        Some(Declaration::StateVar(r)) => {
            model.declaration(cx.file, ast.skip_parens(other)) == Some(Declaration::StateVar(r))
        }
        _ => false,
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
