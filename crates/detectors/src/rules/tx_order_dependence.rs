use std::collections::HashSet;

use semantics::{CallKind, Declaration, ItemRef, TaintSources, VarId};
use syntax::FileId;
use syntax::ast::{Ast, BinaryOp, ExprId, ExprKind};

use crate::analysis::value_flow::{
    Body, Reached, bodies, is_hash_call, reached_internal, returned_values, subexprs,
};
use crate::declare::declare_detector;
use crate::detector::{Detector, FileContext};
use crate::finding::Finding;
use crate::meta::{Confidence, DetectorMeta, Severity};

declare_detector! {
    /// ## What it detects
    /// Outcomes that go to whichever transaction is mined first:
    /// - **a public answer race**: a public function pays its caller when the hash of a
    ///   value the caller submits matches a stored hash or answer (`require(hash ==
    ///   keccak256(solution)); msg.sender.transfer(prize);`). The check is reported. The
    ///   check and the payment may sit in internal helpers: a condition calling a
    ///   helper that returns the comparison (`if (_isSolution(s))`), or a helper that
    ///   requires it (`_check(s);`), is reported at the call. A commitment kept per
    ///   sender (`commitments[msg.sender]`) is commit-reveal, and an owner-only
    ///   function cannot be copied by others: neither is reported.
    /// - **a reward or price that can change under a pending transaction**: ether sent
    ///   whose amount is a plain state variable (or a local holding it) that an owner-only function sets from
    ///   `msg.value` or its arguments (`reward = msg.value;` then
    ///   `msg.sender.transfer(reward);`): the owner's transaction and a claim race.
    ///   Each transfer of that amount is reported, also in an internal helper the
    ///   paying function calls, and a setter that writes the amount through a helper
    ///   (`restart() onlyOwner { _reset(); }`) counts. A paying function that sets the
    ///   amount itself before sending it is one transaction and is not reported.
    /// - **a visible move**: a payable function stores the move a player submits in a
    ///   public array or mapping, and the contract later pays one of several stored
    ///   players, chosen by a condition on those stored moves (an odds-and-evens game): the second player
    ///   reads the first move from the chain, or from the first player's pending
    ///   transaction. The store is reported (or the call of the internal helper that
    ///   stores the move passed to it), and the parameter that carries the move in
    ///   clear calldata.
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

/// True when `body` sends ether itself or through an internal helper it calls.
fn pays(cx: &FileContext<'_>, body: &Body<'_>, reached: &[Reached<'_>]) -> bool {
    !value_calls(cx, body).is_empty()
        || reached.iter().any(|r| !value_calls(cx, &r.body).is_empty())
}

fn caller_chosen(cx: &FileContext<'_>, file: FileId, e: ExprId) -> bool {
    let t = cx.taint().expr(cx.model(), file, e);
    t.contains(TaintSources::CALLDATA) || t.contains(TaintSources::VALUE)
}

/// `require(hash == keccak256(solution))` in a public function that pays, also with the
/// comparison returned by an internal helper the condition calls (`if (_isSolution(s))`).
fn answer_races(cx: &FileContext<'_>, all: &[Body<'_>], out: &mut Vec<Finding>) {
    let model = cx.model();
    for body in all {
        // Only its owner can call a guarded function: nobody can copy the answer.
        if !model.is_entry_point(body.function) || model.is_guarded(body.function) {
            continue;
        }
        let reached = reached_internal(model, body.function);
        if !pays(cx, body, &reached) {
            continue;
        }
        let ast = body.ast;
        // Each condition, and the initializer of a bool local it tests
        // (`bool ok = hash == keccak256(s); require(ok);`), with where to report it.
        let mut roots: Vec<(FileId, &Ast, ExprId, ExprId)> = Vec::new();
        // The conditions of the helpers it calls (`step(s)` with `require(hash ==
        // sha3(s))` inside), reported at the call.
        for r in &reached {
            for &c in &r.body.conditions {
                roots.push((r.body.file, r.body.ast, c, r.via));
            }
        }
        for &c in &body.conditions {
            roots.push((cx.file, ast, c, c));
            for y in subexprs(ast, c) {
                if let Some(Declaration::Local(l)) = model.declaration(cx.file, y)
                    && let Some(init) = crate::analysis::access::local_initializer(model, ast, l)
                {
                    roots.push((cx.file, ast, init, init));
                }
                // What a helper called in the condition returns, reported at the call.
                for r in reached.iter().filter(|r| r.via == y) {
                    for v in returned_values(&r.body) {
                        roots.push((r.body.file, r.body.ast, v, y));
                    }
                }
            }
        }
        for (file, ast, c, at) in roots {
            for x in subexprs(ast, c) {
                if answer_check(cx, file, ast, x) {
                    let at = if file == cx.file && at == c { x } else { at };
                    let message = format!(
                        "`{}` pays whoever submits the answer first: a copied pending transaction \
                         with a higher fee wins",
                        cx.snippet(body.ast.expr(at).span)
                    );
                    out.push(cx.finding(
                        &META,
                        Some(body.function),
                        body.report_span(cx.text, at),
                        message,
                    ));
                }
            }
        }
    }
}

/// True when `x` (of `file`) compares the hash of a value the caller chose with an
/// answer the contract holds.
fn answer_check(cx: &FileContext<'_>, file: FileId, ast: &Ast, x: ExprId) -> bool {
    let model = cx.model();
    let ExprKind::Binary {
        op: BinaryOp::Eq,
        lhs,
        rhs,
    } = &ast.expr(x).kind
    else {
        return false;
    };
    let hashed = |s: ExprId| {
        let s = ast.skip_parens(s);
        is_hash_call(model, ast, file, s) && caller_chosen(cx, file, s)
    };
    // The answer held by the contract: constants and state (whoever set it, possibly
    // from an earlier call's arguments), not this call's parameters, locals, lookups
    // or `msg` values.
    let stored = |s: ExprId| {
        let s = ast.skip_parens(s);
        subexprs(ast, s).into_iter().all(|y| {
            !matches!(ast.expr(y).kind, ExprKind::Index { .. })
                && !matches!(
                    model.declaration(file, y),
                    Some(Declaration::Param(_) | Declaration::Local(_))
                )
                && !matches!(
                    crate::analysis::value_flow::builtin(model, file, y),
                    Some(
                        semantics::Builtin::MsgValue
                            | semantics::Builtin::MsgData
                            | semantics::Builtin::MsgSender
                    )
                )
        })
    };
    (hashed(*lhs) && stored(*rhs)) || (hashed(*rhs) && stored(*lhs))
}

/// Ether sent whose amount is a plain state variable that an owner-only function sets
/// from what its caller passes (a reward the owner can change or take back while a
/// claim is pending).
fn settable_amounts(cx: &FileContext<'_>, all: &[Body<'_>], out: &mut Vec<Finding>) {
    let model = cx.model();
    // State variable → (the owner-only function writing it, where).
    // Written by the function itself or by the internal helpers it calls (at the call).
    let mut settable: Vec<(ItemRef, semantics::FunctionId, u32)> = Vec::new();
    for body in all {
        if !model.is_entry_point(body.function)
            || model.is_constructor(body.function)
            || !model.is_guarded(body.function)
        {
            continue;
        }
        for (r, at, value) in state_writes(cx, body) {
            if caller_chosen(cx, body.file, value) {
                settable.push((r, body.function, body.ast.expr(at).span.lo));
            }
        }
        for helper in reached_internal(model, body.function) {
            for (r, _, value) in state_writes(cx, &helper.body) {
                if caller_chosen(cx, helper.body.file, value) {
                    settable.push((r, body.function, body.ast.expr(helper.via).span.lo));
                }
            }
        }
    }
    if settable.is_empty() {
        return;
    }
    // The state variable sent: directly, or through a local holding it (`uint r = reward;`).
    let state_of = |file: FileId, ast: &Ast, e: ExprId| match model
        .declaration(file, ast.skip_parens(e))
    {
        Some(Declaration::StateVar(r)) => Some(r),
        Some(Declaration::Local(l)) => crate::analysis::access::local_initializer(model, ast, l)
            .and_then(
                |init| match model.declaration(file, ast.skip_parens(init)) {
                    Some(Declaration::StateVar(r)) => Some(r),
                    _ => None,
                },
            ),
        _ => None,
    };
    let mut reported: HashSet<ExprId> = HashSet::new();
    for body in all {
        if !model.is_entry_point(body.function) {
            continue;
        }
        // The transfers of the entry point and of the helpers it calls in this file.
        let reached = reached_internal(model, body.function);
        let senders = std::iter::once(body)
            .chain(reached.iter().map(|r| &r.body))
            .filter(|b| b.file == cx.file);
        for sender in senders {
            let ast = sender.ast;
            for (call, amount) in value_calls(cx, sender) {
                // Another function sets it, or this one after sending the old value: a
                // write before the transfer in the same function is the same transaction.
                let call_at = ast.expr(call).span.lo;
                let Some(r) = state_of(sender.file, ast, amount) else {
                    continue;
                };
                // Where the entry point sends: the transfer, or the call of its helper.
                let entry_at = if sender.function == body.function {
                    call_at
                } else {
                    reached
                        .iter()
                        .find(|h| h.body.function == sender.function)
                        .map_or(call_at, |h| body.ast.expr(h.via).span.lo)
                };
                let raced = settable
                    .iter()
                    .any(|&(v, g, at)| v == r && (g != body.function || entry_at < at));
                // The paying transaction sets the amount itself first (`wager = msg.value`
                // then a helper sends `wager`): nothing pending can change it in between.
                let written_first = state_writes(cx, body)
                    .iter()
                    .any(|&(v, at, _)| v == r && body.ast.expr(at).span.lo < entry_at)
                    || (sender.function != body.function
                        && state_writes(cx, sender)
                            .iter()
                            .any(|&(v, at, _)| v == r && ast.expr(at).span.lo < call_at));
                let raced = raced && !written_first;
                if raced && reported.insert(call) {
                    let message = format!(
                        "sends `{}`, which a pending transaction can change first",
                        cx.snippet(ast.expr(amount).span)
                    );
                    out.push(cx.finding(
                        &META,
                        Some(sender.function),
                        sender.report_span(cx.text, call),
                        message,
                    ));
                }
            }
        }
    }
}

/// The plain assignments of `body` to state variables: (variable, assignment, value).
fn state_writes(cx: &FileContext<'_>, body: &Body<'_>) -> Vec<(ItemRef, ExprId, ExprId)> {
    let ast = body.ast;
    body.exprs
        .iter()
        .filter_map(|&e| {
            let ExprKind::Assign { op: None, lhs, rhs } = &ast.expr(e).kind else {
                return None;
            };
            match cx.model().declaration(body.file, *lhs) {
                Some(Declaration::StateVar(r)) => Some((r, e, *rhs)),
                _ => None,
            }
        })
        .collect()
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
        // Stores of the function and of the helpers it calls: (the store's body, the
        // assignment, the parameters of this function it stores, where to report it).
        let reached = reached_internal(model, body.function);
        let mut stores: Vec<(&Body<'_>, ExprId, Vec<VarId>, ExprId)> = Vec::new();
        for (b, via) in
            std::iter::once((body, None)).chain(reached.iter().map(|r| (&r.body, Some(r))))
        {
            for &e in &b.exprs {
                let ExprKind::Assign { op: None, lhs, rhs } = &b.ast.expr(e).kind else {
                    continue;
                };
                let ExprKind::Index { base, .. } = &b.ast.expr(*lhs).kind else {
                    continue;
                };
                let Some(Declaration::StateVar(r)) = model.declaration(b.file, *base) else {
                    continue;
                };
                if !decides_payee.contains(&r) {
                    continue;
                }
                // A parameter of this function, or one of a helper bound to it.
                let moved: Vec<VarId> = subexprs(b.ast, *rhs)
                    .into_iter()
                    .filter_map(|x| {
                        let Some(Declaration::Param(p)) = model.declaration(b.file, x) else {
                            return None;
                        };
                        let p = match via {
                            None => p,
                            Some(r) => {
                                let &(file, arg) = r.frame.get(&p)?;
                                match model.declaration(file, ast.skip_parens(arg)) {
                                    Some(Declaration::Param(q)) if file == cx.file => q,
                                    _ => return None,
                                }
                            }
                        };
                        params.contains(&p).then_some(p)
                    })
                    .collect();
                if !moved.is_empty() {
                    stores.push((b, e, moved, via.map_or(e, |r| r.via)));
                }
            }
        }
        for (_, _, moved, at) in stores {
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
                cx.snippet(ast.expr(at).span)
            );
            out.push(cx.finding(
                &META,
                Some(body.function),
                body.report_span(cx.text, at),
                message,
            ));
        }
    }
}
