use semantics::{CallKind, Declaration, ItemRef, LowLevelKind, TaintSources};
use syntax::Span;
use syntax::ast::{Ast, ExprId, ExprKind, StmtKind};

use crate::analysis::access::open_reach;
use crate::analysis::call_results::{CallResults, own_exprs, walk_expr, walk_stmts};
use crate::declare::declare_detector;
use crate::detector::{Detector, FileContext};
use crate::finding::Finding;
use crate::meta::{Confidence, DetectorMeta, Severity};

declare_detector! {
    /// ## What it detects
    /// A payment that must succeed (`transfer`, or a `send` / `call{value: ...}` whose
    /// failure reverts) to an address kept in a state variable that any caller can set
    /// to an address of their choice: a public or external function without an access
    /// check stores `msg.sender` or an argument in it. The "king of the hill" shape:
    /// the previous leader is refunded before the new one takes the place. The payment
    /// may sit in an internal helper, its success flag may be copied into locals or
    /// checked by a helper (`_check(sent)` with `require(ok)`), and the recipient may be
    /// installed by an internal helper the open function calls.
    ///
    /// ## Why it matters
    /// The attacker takes the place from a contract that reverts whenever it receives
    /// ether. From then on every attempt to pay it back reverts, so nobody can take the
    /// place again: the auction, game or queue is frozen with the attacker on top.
    ///
    /// ## Example
    /// ```solidity
    /// function bid() public payable {
    ///     require(msg.value > highestBid);
    ///     require(highestBidder.send(highestBid));   // reported
    ///     highestBidder = msg.sender;
    ///     highestBid = msg.value;
    /// }
    /// ```
    ///
    /// ## Recommendation
    /// Do not push the refund: credit it (`pendingReturns[highestBidder] += highestBid`)
    /// and let the previous leader withdraw it.
    pub(crate) struct DosFailedPayment;
}

static META: DetectorMeta = DetectorMeta {
    id: "dos-failed-payment",
    title: "Payment that must succeed to a recipient any caller can become",
    severity: Severity::Low,
    confidence: Confidence::Low,
    swc: Some("SWC-113"),
    category: "denial_of_service",
    description: "A payment that reverts on failure goes to an address any caller can install, so a \
                  recipient that rejects ether blocks the function for good",
    recommendation: "Credit the amount and let the recipient withdraw it (pull payment)",
    references: &[
        "https://swcregistry.io/docs/SWC-113",
        "https://consensys.github.io/smart-contract-best-practices/attacks/denial-of-service/",
    ],
    doc: DosFailedPayment::DOC,
};

impl Detector for DosFailedPayment {
    fn meta(&self) -> &'static DetectorMeta {
        &META
    }

    fn check_file(&self, cx: &FileContext<'_>, out: &mut Vec<Finding>) {
        let model = cx.model();
        let ast = cx.ast();
        for (f, _) in cx.functions() {
            // Only a function others can run is blocked for others.
            if model.is_constructor(f) || model.is_guarded(f) {
                continue;
            }
            let mut results = None;
            for site in model.calls(f) {
                let CallKind::LowLevel { kind, value, .. } = site.kind else {
                    continue;
                };
                let pays = match kind {
                    LowLevelKind::Transfer | LowLevelKind::Send => true,
                    LowLevelKind::Call => value.is_some(),
                    _ => false,
                };
                let Some(call) = site.expr else { continue };
                if !pays {
                    continue;
                }
                let Some(recipient) = recipient_state_var(cx, ast, call) else {
                    continue;
                };
                let Some(installed) = installed_by_anyone(cx, recipient) else {
                    continue;
                };
                let results = results.get_or_insert_with(|| CallResults::of(model, ast, f));
                if !results.failure_reverts_through(model, ast, f, site) {
                    continue;
                }
                let name = cx.snippet(ast.expr(recipient_expr(ast, call).unwrap_or(call)).span);
                out.push(
                    cx.finding(
                        &META,
                        Some(f),
                        site.span,
                        format!(
                            "the payment to `{name}` must succeed, and any caller can make `{name}` an address that rejects it"
                        ),
                    )
                    .with_secondary(cx.file, installed, format!("any caller sets `{name}` here")),
                );
            }
        }
    }
}

/// The address a payment goes to: `to` in `to.transfer(v)`, `payable(to).call{value: v}("")`.
fn recipient_expr(ast: &Ast, call: ExprId) -> Option<ExprId> {
    let (mut callee, _) = ast.expr(call).as_call()?;
    // `to.call.value(v)(...)`, `to.call{value: v}(...)`: down to the member access.
    loop {
        callee = ast.skip_parens(callee);
        match &ast.expr(callee).kind {
            ExprKind::CallOptions { callee: inner, .. } => callee = *inner,
            ExprKind::Call { callee: inner, .. } => {
                match ast.expr(ast.skip_parens(*inner)).as_member_access() {
                    Some((base, _)) => callee = base,
                    None => return None,
                }
            }
            ExprKind::Member { base, .. } => {
                let mut base = ast.skip_parens(*base);
                // Conversions: `payable(to)`, `address(to)`.
                while let ExprKind::Call { callee, args } = &ast.expr(base).kind
                    && matches!(ast.expr(*callee).kind, ExprKind::ElementaryType(_))
                    && let [arg] = args.exprs().as_slice()
                {
                    base = ast.skip_parens(*arg);
                }
                return Some(base);
            }
            _ => return None,
        }
    }
}

/// The state variable holding the recipient of a payment.
fn recipient_state_var(cx: &FileContext<'_>, ast: &Ast, call: ExprId) -> Option<ItemRef> {
    let r = recipient_expr(ast, call)?;
    match cx.model().declaration(cx.file, r)? {
        Declaration::StateVar(v) => Some(v),
        _ => None,
    }
}

/// True when `value` is picked by the current caller: it derives from `msg.sender` or
/// the call's arguments and reads no state (an address installed earlier by a privileged
/// account, as in a two-step ownership transfer, is not the caller's choice).
fn chosen_by_caller(cx: &FileContext<'_>, value: ExprId) -> bool {
    let model = cx.model();
    let t = cx.taint().expr(model, cx.file, value);
    if !(t.contains(TaintSources::SENDER) || t.contains(TaintSources::CALLDATA)) {
        return false;
    }
    let mut reads_state = false;
    walk_expr(cx.ast(), value, &mut |x| {
        reads_state |= matches!(
            model.declaration(cx.file, x),
            Some(Declaration::StateVar(_))
        );
    });
    !reads_state
}

/// Where a function any caller may run, or an internal helper it reaches without a
/// guard, stores a caller-chosen address in `var`.
fn installed_by_anyone(cx: &FileContext<'_>, var: ItemRef) -> Option<Span> {
    let model = cx.model();
    let ast = cx.ast();
    let entries = cx.functions().filter(|&(g, _)| {
        model.is_entry_point(g) && !model.is_constructor(g) && !model.is_guarded(g)
    });
    for h in entries.flat_map(|(g, _)| open_reach(model, g)) {
        let info = model.function(h);
        if info.item.file != cx.file {
            continue;
        }
        let Some(body) = ast.item(info.item.item).as_function().and_then(|d| d.body) else {
            continue;
        };
        let mut found = None;
        walk_stmts(ast, body, &mut Vec::new(), &mut |s, _| {
            if found.is_some() || !matches!(ast.stmt(s).kind, StmtKind::Expr(_)) {
                return;
            }
            for e in own_exprs(ast, s) {
                walk_expr(ast, e, &mut |x| {
                    if let ExprKind::Assign { op: None, lhs, rhs } = &ast.expr(x).kind
                        && model.declaration(cx.file, ast.skip_parens(*lhs))
                            == Some(Declaration::StateVar(var))
                        && chosen_by_caller(cx, *rhs)
                    {
                        found = Some(ast.expr(x).span);
                    }
                });
            }
        });
        if found.is_some() {
            return found;
        }
    }
    None
}
