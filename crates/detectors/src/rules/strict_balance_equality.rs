use semantics::{Builtin, Declaration};
use syntax::ast::{Ast, BinaryOp, ExprId, ExprKind, StmtKind};

use crate::analysis::call_results::{walk_expr, walk_stmts};
use crate::declare::declare_detector;
use crate::detector::{Detector, FileContext};
use crate::finding::Finding;
use crate::meta::{Confidence, DetectorMeta, Severity};

declare_detector! {
    /// ## What it detects
    /// A condition (of `require`, `assert`, `if`, a loop or `?:`) that compares the
    /// contract's own ether balance (`this.balance`, `address(this).balance`) with `==` or
    /// `!=`. Against zero, only a required emptiness (`require(address(this).balance == 0)`)
    /// is reported: forced ether can only make the balance non-zero.
    ///
    /// ## Why it matters
    /// Anyone can add ether to a contract without calling it: `selfdestruct` towards it
    /// (before Cancun, and still within the creating transaction), or a block reward to
    /// it as coinbase. After one wei is forced in, an exact balance check never holds
    /// again, and whatever it gates (the end of a game, a withdrawal, the next phase) is
    /// blocked for good.
    ///
    /// ## Example
    /// ```solidity
    /// function finish() public {
    ///     require(address(this).balance == TARGET);   // reported
    ///     winner.transfer(TARGET);
    /// }
    /// ```
    ///
    /// ## Recommendation
    /// Compare with `>=` / `<=`, or track the deposits in a state variable and compare
    /// that instead of the balance.
    pub(crate) struct StrictBalanceEquality;
}

static META: DetectorMeta = DetectorMeta {
    id: "strict-balance-equality",
    title: "Strict equality on the contract's ether balance",
    severity: Severity::Low,
    confidence: Confidence::Low,
    swc: Some("SWC-132"),
    category: "denial_of_service",
    description: "A condition requires the contract's balance to be exactly some value, which anyone can \
                  break for good by forcing ether into the contract",
    recommendation: "Use `>=`/`<=`, or compare a state variable that tracks the deposits",
    references: &["https://swcregistry.io/docs/SWC-132"],
    doc: StrictBalanceEquality::DOC,
};

impl Detector for StrictBalanceEquality {
    fn meta(&self) -> &'static DetectorMeta {
        &META
    }

    fn check_file(&self, cx: &FileContext<'_>, out: &mut Vec<Finding>) {
        let ast = cx.ast();
        for (f, info) in cx.functions() {
            let Some(body) = ast.item(info.item.item).as_function().and_then(|d| d.body) else {
                continue;
            };
            // (condition, inside `require`/`assert`)
            let mut conditions: Vec<(ExprId, bool)> = Vec::new();
            walk_stmts(ast, body, &mut Vec::new(), &mut |s, _| {
                match &ast.stmt(s).kind {
                    StmtKind::If { cond, .. }
                    | StmtKind::While { cond, .. }
                    | StmtKind::DoWhile { cond, .. } => conditions.push((*cond, false)),
                    StmtKind::For {
                        cond: Some(cond), ..
                    } => conditions.push((*cond, false)),
                    _ => {}
                }
                for e in crate::analysis::call_results::own_exprs(ast, s) {
                    walk_expr(ast, e, &mut |x| match &ast.expr(x).kind {
                        ExprKind::Call { callee, args } => {
                            if matches!(
                                cx.model().declaration(cx.file, ast.skip_parens(*callee)),
                                Some(Declaration::Builtin(Builtin::Require | Builtin::Assert))
                            ) && let Some(&c) = args.exprs().first()
                            {
                                conditions.push((c, true));
                            }
                        }
                        ExprKind::Ternary { cond, .. } => conditions.push((*cond, false)),
                        _ => {}
                    });
                }
            });
            conditions.sort();
            conditions.dedup();
            // Locals holding the balance and never reassigned: `uint b = address(this).balance;`.
            let mut holders = Vec::new();
            walk_stmts(ast, body, &mut Vec::new(), &mut |s, _| {
                if let StmtKind::VarDecl {
                    decls,
                    value: Some(v),
                    ..
                } = &ast.stmt(s).kind
                    && own_balance(cx, ast, *v)
                    && let [Some(d)] = decls.as_slice()
                    && let Some(name) = &d.name
                {
                    holders.push(name.span);
                }
            });
            let mut reassigned = Vec::new();
            walk_stmts(ast, body, &mut Vec::new(), &mut |s, _| {
                for e in crate::analysis::call_results::own_exprs(ast, s) {
                    walk_expr(ast, e, &mut |x| {
                        if let ExprKind::Assign { lhs, .. } = &ast.expr(x).kind
                            && let Some(Declaration::Local(l)) =
                                cx.model().declaration(cx.file, ast.skip_parens(*lhs))
                        {
                            reassigned.push(cx.model().var(l).span);
                        }
                    });
                }
            });
            holders.retain(|h| !reassigned.contains(h));
            let own_balance = |cx: &FileContext<'_>, ast: &Ast, e: ExprId| {
                own_balance(cx, ast, e)
                    || matches!(cx.model().declaration(cx.file, ast.skip_parens(e)),
                        Some(Declaration::Local(l)) if holders.contains(&cx.model().var(l).span))
            };
            for (cond, required) in conditions {
                walk_expr(ast, cond, &mut |x| {
                    if let ExprKind::Binary {
                        op: op @ (BinaryOp::Eq | BinaryOp::Ne),
                        lhs,
                        rhs,
                    } = &ast.expr(x).kind
                        && let Some(other) = if own_balance(cx, ast, *lhs) {
                            Some(*rhs)
                        } else if own_balance(cx, ast, *rhs) {
                            Some(*lhs)
                        } else {
                            None
                        }
                        // Forced ether only makes the balance non-zero: against zero, only a
                        // required emptiness (`require(balance == 0)`) can be blocked.
                        && (!is_zero(ast, other) || (required && *op == BinaryOp::Eq))
                    {
                        out.push(cx.finding(
                            &META,
                            Some(f),
                            ast.expr(x).span,
                            format!(
                                "the contract's balance is compared with `{}`: ether forced into the contract breaks it for good",
                                op.as_str()
                            ),
                        ));
                    }
                });
            }
        }
    }
}

/// `this.balance` or `address(this).balance`.
fn own_balance(cx: &FileContext<'_>, ast: &Ast, e: ExprId) -> bool {
    let e = ast.skip_parens(e);
    let Some((base, _)) = ast.expr(e).as_member_access() else {
        return false;
    };
    if cx.model().declaration(cx.file, e) != Some(Declaration::Builtin(Builtin::AddressBalance)) {
        return false;
    }
    let mut base = ast.skip_parens(base);
    if let ExprKind::Call { callee, args } = &ast.expr(base).kind
        && matches!(ast.expr(*callee).kind, ExprKind::ElementaryType(_))
        && let [arg] = args.exprs().as_slice()
    {
        base = ast.skip_parens(*arg);
    }
    cx.model().declaration(cx.file, base) == Some(Declaration::Builtin(Builtin::This))
}

fn is_zero(ast: &Ast, e: ExprId) -> bool {
    ast.expr(ast.skip_parens(e))
        .as_literal()
        .and_then(|l| l.number_value())
        .is_some_and(|v| v == 0)
}
