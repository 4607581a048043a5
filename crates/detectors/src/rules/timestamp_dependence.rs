use std::collections::HashSet;

use semantics::{CallKind, Declaration};
use syntax::Span;
use syntax::ast::{BinaryOp, ExprId, ExprKind, StmtKind};

use crate::analysis::value_flow::{
    Body, bodies, is_comparison, is_hash_call, is_time_read, subexprs,
};
use crate::declare::declare_detector;
use crate::detector::{Detector, FileContext};
use crate::finding::Finding;
use crate::meta::{Confidence, DetectorMeta, Severity};

declare_detector! {
    /// ## What it detects
    /// The block time (`block.timestamp`, `now`) deciding what a contract does:
    /// - a comparison with the time, or with a variable holding it (`require(now >=
    ///   start)`, `if (block.timestamp < last + 1 minutes) throw;`,
    ///   `return block.timestamp >= deadline;`);
    /// - the time itself, directly or through a local holding it, required to equal a
    ///   value (`if (now == start + 5 days)`), or the time deciding an `if` whose branch pays ether or
    ///   records `msg.sender` in state (a winner), whatever the other side of the
    ///   comparison is (a parameter, a mapping entry, a call);
    /// - the time stored in a state variable that such a comparison reads
    ///   (`lastInvestment = block.timestamp;`), reported where it is stored;
    /// - a function that returns the time as a value the contract's own code uses.
    ///
    /// Every finding is low: measured on real mainnet code, the deadlines that decide
    /// payments are sale, vesting and auction windows that a few seconds of validator
    /// drift cannot exploit. Times only emitted in events or stored as records that nothing
    /// compares are not reported. A time reduced with `%` or hashed is randomness and is
    /// reported by `weak-randomness` instead.
    ///
    /// ## Why it matters
    /// The block producer chooses the timestamp within a tolerance (up to about 15
    /// seconds on older chains, a slot on current Ethereum). A decision that turns on a
    /// narrow window (the first investor after a minute, one play per block, a sale
    /// ending at an exact second) can be steered by whoever produces the block.
    ///
    /// ## Example
    /// ```solidity
    /// function claim() external {
    ///     if (block.timestamp < lastInvestment + 1 minutes) revert();  // reported
    ///     payable(lastInvestor).transfer(address(this).balance);
    /// }
    /// ```
    ///
    /// ## Recommendation
    /// Do not make outcomes depend on windows shorter than the producers' tolerance;
    /// prefer block numbers for ordering, or long deadlines whose precision does not
    /// matter.
    pub(crate) struct TimestampDependence;
}

static META: DetectorMeta = DetectorMeta {
    id: "timestamp-dependence",
    title: "Decision that depends on the block timestamp",
    severity: Severity::Low,
    confidence: Confidence::Low,
    swc: Some("SWC-116"),
    category: "time_manipulation",
    description: "The block timestamp, which the block producer chooses within a tolerance, decides a \
                  condition or a value",
    recommendation: "Do not let outcomes depend on time windows shorter than the producers' tolerance",
    references: &[
        "https://swcregistry.io/docs/SWC-116",
        "https://docs.soliditylang.org/en/latest/units-and-global-variables.html#block-and-transaction-properties",
    ],
    doc: TimestampDependence::DOC,
};

impl Detector for TimestampDependence {
    fn meta(&self) -> &'static DetectorMeta {
        &META
    }

    fn check_file(&self, cx: &FileContext<'_>, out: &mut Vec<Finding>) {
        let model = cx.model();
        let ast = cx.ast();
        let all = bodies(cx);
        let state_times = time_state_names(cx);
        // The state variables read by the comparisons reported below.
        let mut compared: HashSet<String> = HashSet::new();
        for body in &all {
            let locals = time_local_names(cx, body, &state_times);
            for &e in &body.exprs {
                if is_timed_comparison(cx, body, &locals, &state_times, e) {
                    for x in subexprs(ast, e) {
                        if let Some(id) = ast.expr(x).as_ident()
                            && matches!(
                                model.declaration(cx.file, x),
                                Some(Declaration::StateVar(_))
                            )
                        {
                            compared.insert(id.as_str().to_owned());
                        }
                    }
                }
            }
        }
        // Functions the file's code calls internally.
        let mut called = HashSet::new();
        for body in &all {
            for c in model.calls(body.function) {
                if let CallKind::Internal { function, .. } = c.kind {
                    called.insert(function);
                }
            }
        }
        for body in &all {
            // Measured on real code, a deadline that gates a payment is almost always a
            // sale or vesting window a few seconds of drift cannot exploit: every
            // finding is low; timestamps as randomness are `weak-randomness`'s.
            let severity = Severity::Low;
            let locals = time_local_names(cx, body, &state_times);
            let mut reported: Vec<Span> = Vec::new();
            let mut push = |span: Span, message: String, out: &mut Vec<Finding>| {
                if reported.contains(&span) {
                    return;
                }
                reported.push(span);
                let mut f = cx.finding(&META, Some(body.function), span, message);
                f.severity = severity;
                out.push(f);
            };
            for &e in &body.exprs {
                match &ast.expr(e).kind {
                    ExprKind::Binary { .. }
                        if is_timed_comparison(cx, body, &locals, &state_times, e) =>
                    {
                        let message = format!(
                            "`{}` depends on the block timestamp, which the block producer \
                             chooses within a tolerance",
                            cx.snippet(ast.expr(e).span)
                        );
                        push(body.report_span(cx.text, e), message, out);
                    }
                    ExprKind::Assign { lhs, rhs, .. } => {
                        if let Some(Declaration::StateVar(_)) = model.declaration(cx.file, *lhs)
                            && let Some(id) = ast.expr(*lhs).as_ident()
                            && compared.contains(id.as_str())
                            && contains_time_read(cx, *rhs)
                            && !matches!(
                                ast.expr(ast.skip_parens(*rhs)).kind,
                                ExprKind::Call { .. }
                            )
                        {
                            let message = format!(
                                "the block timestamp stored in `{}` decides a later comparison",
                                id.as_str()
                            );
                            push(body.report_span(cx.text, e), message, out);
                        }
                    }
                    _ => {}
                }
            }
            let item = semantics::ItemRef {
                file: cx.file,
                item: body.item,
            };
            if called.contains(&item) {
                for a in body.anchor.values() {
                    if let StmtKind::Return { value: Some(v) } = &ast.stmt(a.stmt).kind
                        && is_time_read(model, cx.file, ast.skip_parens(*v))
                    {
                        let span = ast.stmt(a.stmt).span;
                        push(
                            span,
                            "the block timestamp is returned as a value the contract uses".into(),
                            out,
                        );
                    }
                }
            }
        }
    }
}

/// A comparison that the block time decides: one side holds the time, and every
/// other value in it is a constant, a plain variable or the time again, not a per-key
/// record (`lockTime[msg.sender]`, `acc.unlockTime`) or a value the caller passes (a
/// lock the user chose, whose precision is theirs). Comparisons that draw randomness
/// from the time are left to `weak-randomness`.
fn is_timed_comparison(
    cx: &FileContext<'_>,
    body: &Body<'_>,
    locals: &HashSet<String>,
    state: &HashSet<String>,
    e: ExprId,
) -> bool {
    let ast = body.ast;
    let model = cx.model();
    let ExprKind::Binary { op, lhs, rhs } = &ast.expr(e).kind else {
        return false;
    };
    if !is_comparison(*op) {
        return false;
    }
    let timed = [*lhs, *rhs]
        .into_iter()
        .any(|s| is_time_derived(cx, locals, state, s));
    if !timed || is_randomness(cx, locals, state, e) {
        return false;
    }
    // `require(finalisedAt != 0)`: whether a time was recorded, not when.
    let zero = |s: ExprId| {
        ast.expr(ast.skip_parens(s))
            .as_literal()
            .and_then(|l| l.number_value())
            == Some(0)
    };
    let reads_time = subexprs(ast, e)
        .into_iter()
        .any(|x| is_time_read(model, cx.file, x));
    if !reads_time && (zero(*lhs) || zero(*rhs)) {
        return false;
    }
    // The time required to equal a value (an exact second), or deciding a branch that
    // pays ether or names the caller in state (a winner): whoever produces the block
    // picks the outcome, whatever the other side is.
    if (*op == BinaryOp::Eq && (is_the_time(cx, body, *lhs) || is_the_time(cx, body, *rhs)))
        || decides_payout_or_winner(cx, body, e)
    {
        return true;
    }
    let entry = model.is_entry_point(body.function);
    subexprs(ast, e)
        .into_iter()
        .all(|x| match &ast.expr(x).kind {
            ExprKind::Index { .. } | ExprKind::Call { .. } => false,
            ExprKind::Member { .. } => {
                is_time_read(model, cx.file, x)
                    || matches!(model.declaration(cx.file, x), Some(Declaration::Builtin(_)))
            }
            ExprKind::Ident(_) => !matches!(
                model.declaration(cx.file, x),
                Some(Declaration::Param(_)) if entry
            ),
            _ => true,
        })
}

/// True when `e` is the block time itself, converted or not (`now`, `uint32(block.timestamp)`),
/// or a local declared with it as its value (`uint t = block.timestamp;`).
fn is_the_time(cx: &FileContext<'_>, body: &Body<'_>, e: ExprId) -> bool {
    let ast = body.ast;
    let model = cx.model();
    let strip = |mut e: ExprId| {
        for _ in 0..4 {
            e = ast.skip_parens(e);
            match ast.expr(e).as_call() {
                Some((callee, args))
                    if matches!(ast.expr(callee).kind, ExprKind::ElementaryType(_)) =>
                {
                    match args.exprs().as_slice() {
                        [a] => e = *a,
                        _ => break,
                    }
                }
                _ => break,
            }
        }
        e
    };
    let e = strip(e);
    if is_time_read(model, cx.file, e) {
        return true;
    }
    let Some(Declaration::Local(l)) = model.declaration(cx.file, e) else {
        return false;
    };
    let name = model.var(l).span;
    let Some(span) = crate::analysis::access::def_of(ast, model, body.function)
        .and_then(|d| crate::analysis::access::body_span(ast, d))
    else {
        return false;
    };
    ast.stmts().any(|(_, stmt)| {
        stmt.span.lo >= span.lo
            && stmt.span.hi <= span.hi
            && matches!(&stmt.kind, StmtKind::VarDecl { decls, value: Some(v), .. }
                if decls.iter().flatten().any(|d| d.name.as_ref().is_some_and(|n| n.span == name))
                    && is_time_read(model, cx.file, strip(*v)))
    })
}

/// True when `e` is (part of) the condition of an `if` whose taken branch sends ether
/// or stores `msg.sender` in contract state.
fn decides_payout_or_winner(cx: &FileContext<'_>, body: &Body<'_>, e: ExprId) -> bool {
    let ast = body.ast;
    let model = cx.model();
    let Some(s) = body.stmt_of(e) else {
        return false;
    };
    let StmtKind::If {
        cond, then_branch, ..
    } = &ast.stmt(s).kind
    else {
        return false;
    };
    let c = ast.expr(*cond).span;
    let inner = ast.expr(e).span;
    if inner.lo < c.lo || inner.hi > c.hi {
        return false;
    }
    let branch = ast.stmt(*then_branch).span;
    let pays = model.calls(body.function).iter().any(|site| {
        branch.lo <= site.span.lo
            && site.span.hi <= branch.hi
            && matches!(
                site.kind,
                CallKind::LowLevel { value: Some(_), .. }
                    | CallKind::HighLevel { value: Some(_), .. }
            )
    });
    let names_caller = body.exprs.iter().any(|&x| {
        let sp = ast.expr(x).span;
        branch.lo <= sp.lo
            && sp.hi <= branch.hi
            && matches!(&ast.expr(x).kind, ExprKind::Assign { op: None, lhs, rhs }
                if crate::analysis::access::is_msg_sender(model, ast, cx.file, *rhs)
                    && crate::analysis::access::root_state_var(model, ast, cx.file, *lhs).is_some())
    });
    pays || names_caller
}

fn contains_time_read(cx: &FileContext<'_>, e: ExprId) -> bool {
    subexprs(cx.ast(), e)
        .into_iter()
        .any(|x| is_time_read(cx.model(), cx.file, x))
}

/// State variables assigned or initialised from the block time.
fn time_state_names(cx: &FileContext<'_>) -> HashSet<String> {
    let ast = cx.ast();
    let mut names = HashSet::new();
    for (_, it) in ast.items() {
        if let Some(var) = it.as_variable()
            && let Some(v) = var.value
            && contains_time_read(cx, v)
            && !draws(cx, v)
        {
            names.insert(var.name.as_str().to_owned());
        }
    }
    for (_, e) in ast.exprs() {
        if let ExprKind::Assign { op: None, lhs, rhs } = &e.kind
            && let Some(Declaration::StateVar(_)) = cx.model().declaration(cx.file, *lhs)
            && let Some(id) = ast.expr(*lhs).as_ident()
            && contains_time_read(cx, *rhs)
            && !draws(cx, *rhs)
        {
            names.insert(id.as_str().to_owned());
        }
    }
    names
}

/// True when `e` draws a random value (a hash or a remainder): not a time.
fn draws(cx: &FileContext<'_>, e: ExprId) -> bool {
    let ast = cx.ast();
    subexprs(ast, e).into_iter().any(|x| {
        matches!(
            ast.expr(x).kind,
            ExprKind::Binary {
                op: BinaryOp::Rem,
                ..
            }
        ) || is_hash_call(cx.model(), ast, cx.file, x)
    })
}

/// Locals of the body holding the block time (or a value computed from it).
fn time_local_names(
    cx: &FileContext<'_>,
    body: &Body<'_>,
    state: &HashSet<String>,
) -> HashSet<String> {
    let ast = body.ast;
    let mut names = HashSet::new();
    for _ in 0..4 {
        let before = names.len();
        for a in body.anchor.values() {
            if let StmtKind::VarDecl {
                decls,
                value: Some(v),
                ..
            } = &ast.stmt(a.stmt).kind
                && is_time_derived(cx, &names, state, *v)
                && !draws(cx, *v)
            {
                for d in decls.iter().flatten() {
                    if let Some(n) = &d.name {
                        names.insert(n.as_str().to_owned());
                    }
                }
            }
        }
        if names.len() == before {
            break;
        }
    }
    names
}

/// True when `e` reads the block time, or a local or state variable holding it.
fn is_time_derived(
    cx: &FileContext<'_>,
    locals: &HashSet<String>,
    state: &HashSet<String>,
    e: ExprId,
) -> bool {
    let ast = cx.ast();
    subexprs(ast, e).into_iter().any(|x| {
        is_time_read(cx.model(), cx.file, x)
            || ast
                .expr(x)
                .as_ident()
                .is_some_and(|id| match cx.model().declaration(cx.file, x) {
                    Some(Declaration::Local(_)) => locals.contains(id.as_str()),
                    Some(Declaration::StateVar(_)) => state.contains(id.as_str()),
                    _ => false,
                })
    })
}

/// True when the comparison draws a random value from the time (`now % 15 == 0`, a
/// hash of it): `weak-randomness` reports those.
fn is_randomness(
    cx: &FileContext<'_>,
    locals: &HashSet<String>,
    state: &HashSet<String>,
    e: ExprId,
) -> bool {
    let ast = cx.ast();
    subexprs(ast, e)
        .into_iter()
        .any(|x| match &ast.expr(x).kind {
            ExprKind::Binary {
                op: BinaryOp::Rem,
                lhs,
                ..
            } => is_time_derived(cx, locals, state, *lhs),
            _ => is_hash_call(cx.model(), ast, cx.file, x),
        })
}
