use semantics::CallKind;
use syntax::ast::{BinaryOp, ExprKind};

use crate::analysis::value_flow::{Body, bodies, key, subexprs};
use crate::declare::declare_detector;
use crate::detector::{Detector, FileContext};
use crate::finding::Finding;
use crate::meta::{Confidence, DetectorMeta, Severity};

declare_detector! {
    /// ## What it detects
    /// An ERC20 `approve(address spender, uint256 value)` that overwrites the allowance
    /// (`allowed[msg.sender][spender] = value`) without first requiring the new value
    /// or the current allowance to be zero. The write is reported where it happens:
    /// in `approve` itself or in the internal function it calls.
    ///
    /// ## Why it matters
    /// When the owner changes an allowance from N to M, the spender can watch the
    /// pending transaction and spend N first; after the change lands it spends M too,
    /// N + M in all instead of M.
    ///
    /// ## Example
    /// ```solidity
    /// function approve(address spender, uint256 value) public returns (bool) {
    ///     allowed[msg.sender][spender] = value;   // reported
    ///     return true;
    /// }
    /// ```
    ///
    /// ## Recommendation
    /// Offer `increaseAllowance` / `decreaseAllowance`, or require
    /// `value == 0 || allowed[msg.sender][spender] == 0`; clients should set the
    /// allowance to zero before setting a new value.
    pub(crate) struct Erc20ApproveRace;
}

static META: DetectorMeta = DetectorMeta {
    id: "erc20-approve-race",
    title: "ERC20 `approve` overwrites a non-zero allowance",
    severity: Severity::Low,
    confidence: Confidence::Medium,
    swc: Some("SWC-114"),
    category: "front_running",
    description: "`approve` replaces the allowance without requiring it to be zero first, so the \
                  spender can spend the old and the new allowance by front-running the change",
    recommendation: "Require the new value or the current allowance to be zero, or offer \
                     `increaseAllowance`/`decreaseAllowance`",
    references: &[
        "https://swcregistry.io/docs/SWC-114",
        "https://eips.ethereum.org/EIPS/eip-20#approve",
    ],
    doc: Erc20ApproveRace::DOC,
};

impl Detector for Erc20ApproveRace {
    fn meta(&self) -> &'static DetectorMeta {
        &META
    }

    fn check_file(&self, cx: &FileContext<'_>, out: &mut Vec<Finding>) {
        let model = cx.model();
        let all = bodies(cx);
        let mut found = Vec::new();
        for body in &all {
            let info = model.function(body.function);
            if info.name != "approve" || info.arity != 2 || !model.is_entry_point(body.function) {
                continue;
            }
            let params = model.params(body.function);
            let (Some(&spender), Some(&value)) = (params.first(), params.get(1)) else {
                continue;
            };
            if !model.var(spender).ty.is_address() || !model.var(value).ty.is_integer() {
                continue;
            }
            if checks_zero(cx, body) {
                continue;
            }
            let value_name = model.var(value).name.to_string();
            if report_write(cx, body, &[value_name.as_str()], &mut found) {
                continue;
            }
            // `approve` delegating to an internal function of this file.
            for c in model.calls(body.function) {
                let CallKind::Internal { function, .. } = c.kind else {
                    continue;
                };
                let Some(g) = model.function_of_item(function) else {
                    continue;
                };
                let Some(callee) = all.iter().find(|b| b.function == g) else {
                    continue;
                };
                if checks_zero(cx, callee) {
                    continue;
                }
                let names: Vec<String> = model
                    .params(g)
                    .iter()
                    .filter(|&&p| model.var(p).ty.is_integer())
                    .map(|&p| model.var(p).name.to_string())
                    .collect();
                let names: Vec<&str> = names.iter().map(String::as_str).collect();
                report_write(cx, callee, &names, &mut found);
            }
        }
        // `approve` overriding another that it calls reaches the same write twice.
        let mut spans = Vec::new();
        for f in found {
            if !spans.contains(&f.primary.span) {
                spans.push(f.primary.span);
                out.push(f);
            }
        }
    }
}

/// Reports `state[a][b] = value` in `body` where `value` is one of `values`.
fn report_write(
    cx: &FileContext<'_>,
    body: &Body<'_>,
    values: &[&str],
    out: &mut Vec<Finding>,
) -> bool {
    let model = cx.model();
    let ast = body.ast;
    let mut found = false;
    for &e in &body.exprs {
        let ExprKind::Assign { op: None, lhs, rhs } = &ast.expr(e).kind else {
            continue;
        };
        let ExprKind::Index { base, .. } = &ast.expr(*lhs).kind else {
            continue;
        };
        if !matches!(ast.expr(*base).kind, ExprKind::Index { .. }) {
            continue;
        }
        let writes_state = model
            .state_writes(body.function)
            .iter()
            .any(|w| w.expr == *lhs);
        let rhs_is_value = ast
            .expr(ast.skip_parens(*rhs))
            .as_ident()
            .is_some_and(|id| values.contains(&id.as_str()));
        if writes_state && rhs_is_value {
            let message = format!(
                "`{}` replaces the allowance without requiring it to be zero first",
                cx.snippet(ast.expr(e).span)
            );
            out.push(cx.finding(
                &META,
                Some(body.function),
                body.report_span(cx.text, e),
                message,
            ));
            found = true;
        }
    }
    found
}

/// True when a condition of the body compares something with zero using `==`
/// (`require(value == 0 || allowed[msg.sender][spender] == 0)`).
fn checks_zero(cx: &FileContext<'_>, body: &Body<'_>) -> bool {
    let ast = body.ast;
    body.conditions.iter().any(|&c| {
        subexprs(ast, c)
            .into_iter()
            .any(|x| match &ast.expr(x).kind {
                ExprKind::Binary {
                    op: BinaryOp::Eq,
                    lhs,
                    rhs,
                } => [*lhs, *rhs]
                    .into_iter()
                    .any(|s| key(ast, cx.text, s) == "0"),
                _ => false,
            })
    })
}
