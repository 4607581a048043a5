use std::collections::HashSet;

use semantics::{CallKind, Declaration, ItemRef, TaintSources, VarId};
use syntax::ast::{BinaryOp, ExprId, ExprKind};

use crate::analysis::value_flow::{Body, bodies, is_hash_call, subexprs};
use crate::declare::declare_detector;
use crate::detector::{Detector, FileContext};
use crate::finding::Finding;
use crate::meta::{Confidence, DetectorMeta, Severity};

declare_detector! {
    /// ## What it detects
    /// Outcomes that go to whichever transaction is mined first:
    /// - **a public answer race**: a public function pays its caller when the hash of a
    ///   value the caller submits matches a stored hash or answer (`require(hash ==
    ///   keccak256(solution)); msg.sender.transfer(prize);`). The check is reported. A
    ///   commitment kept per sender (`commitments[msg.sender]`) is commit-reveal and
    ///   is not reported.
    /// - **a reward or price that can change under a pending transaction**: ether sent
    ///   whose amount is a plain state variable (or a local holding it) that an owner-only function sets from
    ///   `msg.value` or its arguments (`reward = msg.value;` then
    ///   `msg.sender.transfer(reward);`): the owner's transaction and a claim race.
    ///   Each transfer of that amount is reported.
    /// - **a visible move**: a payable function stores the move a player submits in a
    ///   public array or mapping, and the contract later pays one of several stored
    ///   players, chosen by a condition on those stored moves (an odds-and-evens game): the second player
    ///   reads the first move from the chain, or from the first player's pending
    ///   transaction. The store is reported, and the parameter that carries the move
    ///   in clear calldata.
    ///
    /// ## Why it matters
    /// Pending transactions are public. Anyone can copy a correct answer with a higher
    /// gas price, an owner can change a price or reward just before a buyer's
    /// transaction, and a second player can choose a winning move after seeing the
    /// first.
    ///
    /// ## Example
    /// ```solidity
    /// function solve(string calldata answer) external {
    ///     require(keccak256(bytes(answer)) == answerHash);   // reported
    ///     payable(msg.sender).transfer(prize);
    /// }
    /// ```
    ///
    /// ## Recommendation
    /// Use commit-reveal (commit a hash bound to the sender, reveal later), let buyers
    /// pass the price they expect and check it, and keep moves hidden until every
    /// player has committed.
    pub(crate) struct TxOrderDependence;
}

static META: DetectorMeta = DetectorMeta {
    id: "tx-order-dependence",
    title: "Outcome depends on transaction order",
    severity: Severity::Low,
    confidence: Confidence::Low,
    swc: Some("SWC-114"),
    category: "front_running",
    description: "A reward, price or move is visible or changeable while a transaction that depends \
                  on it is pending, so whoever is mined first wins",
    recommendation: "Use commit-reveal, let callers bound the price they accept, and hide moves until \
                     all players committed",
    references: &["https://swcregistry.io/docs/SWC-114"],
    doc: TxOrderDependence::DOC,
};

impl Detector for TxOrderDependence {
    fn meta(&self) -> &'static DetectorMeta {
        &META
    }

    fn check_file(&self, cx: &FileContext<'_>, out: &mut Vec<Finding>) {
        let all = bodies(cx);
        answer_races(cx, &all, out);
        settable_amounts(cx, &all, out);
        visible_moves(cx, &all, out);
    }
}

/// The ether-sending calls of a body: (call expression, amount, receiver base).
fn value_calls(cx: &FileContext<'_>, body: &Body<'_>) -> Vec<(ExprId, ExprId)> {
    cx.model()
        .calls(body.function)
        .iter()
        .filter_map(|c| match c.kind {
            CallKind::LowLevel { value: Some(v), .. }
            | CallKind::HighLevel { value: Some(v), .. } => c.expr.map(|e| (e, v)),
            _ => None,
        })
        .collect()
}

fn caller_chosen(cx: &FileContext<'_>, e: ExprId) -> bool {
    let t = cx.taint().expr(cx.model(), cx.file, e);
    t.contains(TaintSources::CALLDATA) || t.contains(TaintSources::VALUE)
}

/// `require(hash == keccak256(solution))` in a public function that pays.
fn answer_races(cx: &FileContext<'_>, all: &[Body<'_>], out: &mut Vec<Finding>) {
    let model = cx.model();
    for body in all {
        if !model.is_entry_point(body.function) || value_calls(cx, body).is_empty() {
            continue;
        }
        let ast = body.ast;
        // Each condition, and the initializer of a bool local it tests
        // (`bool ok = hash == keccak256(s); require(ok);`).
        let mut roots: Vec<ExprId> = Vec::new();
        for &c in &body.conditions {
            roots.push(c);
            for y in subexprs(ast, c) {
                if let Some(Declaration::Local(l)) = model.declaration(cx.file, y)
                    && let Some(init) = crate::analysis::access::local_initializer(model, ast, l)
                {
                    roots.push(init);
                }
            }
        }
        for c in roots {
            for x in subexprs(ast, c) {
                let ExprKind::Binary {
                    op: BinaryOp::Eq,
                    lhs,
                    rhs,
                } = &ast.expr(x).kind
                else {
                    continue;
                };
                let hashed = |s: ExprId| {
                    let s = ast.skip_parens(s);
                    is_hash_call(model, ast, cx.file, s) && caller_chosen(cx, s)
                };
                // The answer held by the contract: constants and state (whoever set it,
                // possibly from an earlier call's arguments), not this call's parameters,
                // locals, lookups or `msg` values.
                let stored = |s: ExprId| {
                    let s = ast.skip_parens(s);
                    subexprs(ast, s).into_iter().all(|y| {
                        !matches!(ast.expr(y).kind, ExprKind::Index { .. })
                            && !matches!(
                                model.declaration(cx.file, y),
                                Some(Declaration::Param(_) | Declaration::Local(_))
                            )
                            && !matches!(
                                crate::analysis::value_flow::builtin(model, cx.file, y),
                                Some(
                                    semantics::Builtin::MsgValue
                                        | semantics::Builtin::MsgData
                                        | semantics::Builtin::MsgSender
                                )
                            )
                    })
                };
                if (hashed(*lhs) && stored(*rhs)) || (hashed(*rhs) && stored(*lhs)) {
                    let message = format!(
                        "`{}` pays whoever submits the answer first: a copied pending transaction \
                         with a higher fee wins",
                        cx.snippet(ast.expr(x).span)
                    );
                    out.push(cx.finding(
                        &META,
                        Some(body.function),
                        body.report_span(cx.text, x),
                        message,
                    ));
                }
            }
        }
    }
}

/// Ether sent whose amount is a plain state variable that an owner-only function sets
/// from what its caller passes (a reward the owner can change or take back while a
/// claim is pending).
fn settable_amounts(cx: &FileContext<'_>, all: &[Body<'_>], out: &mut Vec<Finding>) {
    let model = cx.model();
    // State variable → (the owner-only function writing it, where).
    let mut settable: Vec<(ItemRef, semantics::FunctionId, u32)> = Vec::new();
    for body in all {
        if !model.is_entry_point(body.function) || model.is_constructor(body.function) {
            continue;
        }
        let ast = body.ast;
        for &e in &body.exprs {
            let ExprKind::Assign { op: None, lhs, rhs } = &ast.expr(e).kind else {
                continue;
            };
            let Some(Declaration::StateVar(r)) = model.declaration(cx.file, *lhs) else {
                continue;
            };
            if caller_chosen(cx, *rhs) && model.is_guarded(body.function) {
                settable.push((r, body.function, ast.expr(e).span.lo));
            }
        }
    }
    if settable.is_empty() {
        return;
    }
    // The state variable sent: directly, or through a local holding it (`uint r = reward;`).
    let state_of = |e: ExprId| match model.declaration(cx.file, cx.ast().skip_parens(e)) {
        Some(Declaration::StateVar(r)) => Some(r),
        Some(Declaration::Local(l)) => {
            crate::analysis::access::local_initializer(model, cx.ast(), l).and_then(|init| {
                match model.declaration(cx.file, cx.ast().skip_parens(init)) {
                    Some(Declaration::StateVar(r)) => Some(r),
                    _ => None,
                }
            })
        }
        _ => None,
    };
    for body in all {
        if !model.is_entry_point(body.function) {
            continue;
        }
        let ast = body.ast;
        for (call, amount) in value_calls(cx, body) {
            // Another function sets it, or this one after sending the old value: a
            // write before the transfer in the same function is the same transaction.
            let call_at = ast.expr(call).span.lo;
            if let Some(r) = state_of(amount)
                && settable
                    .iter()
                    .any(|&(v, g, at)| v == r && (g != body.function || call_at < at))
            {
                let message = format!(
                    "sends `{}`, which a pending transaction can change first",
                    cx.snippet(ast.expr(amount).span)
                );
                out.push(cx.finding(
                    &META,
                    Some(body.function),
                    body.report_span(cx.text, call),
                    message,
                ));
            }
        }
    }
}

/// A payable function stores a submitted move in a public array or mapping, and a
/// payout goes to a player chosen by a condition on the stored moves.
fn visible_moves(cx: &FileContext<'_>, all: &[Body<'_>], out: &mut Vec<Finding>) {
    let model = cx.model();
    // State read by a condition and by the receiver of a payment in the same body.
    let mut decides_payee: HashSet<ItemRef> = HashSet::new();
    for body in all {
        let ast = body.ast;
        let calls = value_calls(cx, body);
        if calls.is_empty() {
            continue;
        }
        let reads = |e: ExprId| -> Vec<ItemRef> {
            subexprs(ast, e)
                .into_iter()
                .filter_map(|x| match model.declaration(cx.file, x) {
                    Some(Declaration::StateVar(r)) => Some(r),
                    _ => None,
                })
                .collect()
        };
        let mut in_conditions: HashSet<ItemRef> = HashSet::new();
        for &c in &body.conditions {
            in_conditions.extend(reads(c));
        }
        // Locals computed from state feed the conditions too (`n = a[0].x + a[1].x`).
        for &e in &body.exprs {
            if body.in_condition(e) {
                continue;
            }
            if let Some(s) = body.stmt_of(e)
                && let syntax::ast::StmtKind::VarDecl { value: Some(v), .. } = &ast.stmt(s).kind
                && *v == e
            {
                in_conditions.extend(reads(e));
            }
        }
        // Several payments whose payee reads the same state: the condition chooses
        // between players.
        let mut payees: Vec<ItemRef> = Vec::new();
        for (call, _) in calls {
            if let ExprKind::Call { callee, .. } = &ast.expr(call).kind {
                let mut read = reads(*callee);
                read.sort_unstable_by_key(|r| (r.file.0, r.item.index()));
                read.dedup();
                payees.extend(read.into_iter().filter(|r| in_conditions.contains(r)));
            }
        }
        for r in &payees {
            if payees.iter().filter(|x| *x == r).count() >= 2 {
                decides_payee.insert(*r);
            }
        }
    }
    if decides_payee.is_empty() {
        return;
    }
    for body in all {
        if !model.is_entry_point(body.function) || !body.def.is_payable() {
            continue;
        }
        let params: Vec<_> = model.params(body.function).to_vec();
        if params.is_empty() {
            continue;
        }
        let ast = body.ast;
        let mut sent_in_clear: Vec<VarId> = Vec::new();
        for &e in &body.exprs {
            let ExprKind::Assign { op: None, lhs, rhs } = &ast.expr(e).kind else {
                continue;
            };
            let ExprKind::Index { base, .. } = &ast.expr(*lhs).kind else {
                continue;
            };
            let Some(Declaration::StateVar(r)) = model.declaration(cx.file, *base) else {
                continue;
            };
            let moved: Vec<_> = subexprs(ast, *rhs)
                .into_iter()
                .filter_map(|x| match model.declaration(cx.file, x) {
                    Some(Declaration::Param(p)) if params.contains(&p) => Some(p),
                    _ => None,
                })
                .collect();
            if !moved.is_empty() && decides_payee.contains(&r) {
                // The move travels in clear calldata first: pending, it is public.
                for p in moved {
                    if !sent_in_clear.contains(&p) && model.var(p).file == cx.file {
                        sent_in_clear.push(p);
                        let name = &model.var(p).name;
                        out.push(cx.finding(
                            &META,
                            Some(body.function),
                            model.var(p).span,
                            format!(
                                "the move `{name}` is sent in clear: while the transaction is \
                                 pending anyone can read it and answer it"
                            ),
                        ));
                    }
                }
                let message = format!(
                    "`{}` stores a move on chain where the next player can read it before \
                     choosing theirs",
                    cx.snippet(ast.expr(e).span)
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
