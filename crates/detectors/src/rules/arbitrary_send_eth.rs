use semantics::{Builtin, CallKind, Declaration, FunctionId, ItemRef, LowLevelKind};
use syntax::Span;
use syntax::ast::{Ast, BinaryOp, ExprId, ExprKind, StmtKind, UnaryOp};

use crate::analysis::access::{
    CallerChoice, body_span, checked_in_body, checking_functions, def_of, exprs_within,
    is_msg_sender, local_initializer, modifier_args, open_entries, root_state_var, written_by,
};
use crate::declare::declare_detector;
use crate::detector::{Detector, FileContext};
use crate::finding::Finding;
use crate::meta::{Confidence, DetectorMeta, Severity};

declare_detector! {
    /// ## What it detects
    /// Ether sent (`transfer`, `send`, `call{value: ...}`) from a function anyone can
    /// call (no access check on the way) to an address the caller chooses
    /// (`msg.sender` or a parameter), when the amount is not the caller's own recorded
    /// balance: the usual withdrawal, where the amount is read from or checked against
    /// `balances[msg.sender]` and that balance is debited, is not reported, nor is
    /// returning `msg.value`.
    ///
    /// Payouts to the caller that the contract's own logic computes (prizes, refunds)
    /// are not judged, except the plainest one: the contract's ether (its balance or a
    /// fixed amount) paid to `msg.sender` by a function in whose reach nothing decides
    /// anything (no condition, loop or modifier), so every caller can take it.
    ///
    /// Nor is a payout to the caller of an amount the caller names itself (a parameter
    /// passed on unchanged, as in `_payout(msg.sender, amount)`) that nothing on the
    /// way compares (but with zero), subtracts or records.
    ///
    /// Two shapes are reported where they go wrong: the balance is read but never
    /// debited (`msg.sender.transfer(balances[msg.sender])` with no reset, so the
    /// caller can repeat it), and the check against the balance points the wrong way
    /// (`require(amount >= balances[msg.sender])`, reported at the check).
    ///
    /// The send, the destination and the amount are followed through internal helpers
    /// (a parameter every call passes `msg.sender` is the caller; two calls deep and
    /// more) and locals (`uint256 v = amount;`). The checks are those of every function
    /// on the way, of the modifiers they invoke (with the modifier's parameters bound
    /// to the invocation's arguments) and of the helpers they call, read through `!`
    /// (`if (!(amount <= balance)) revert();`) and `bool` locals holding them.
    ///
    /// Calibration: on the triage set of real mainnet contracts (`bench/triage/`),
    /// 3 of 17 findings were right when this severity and confidence were set
    /// (`docs/benchmarks.md`, Precision).
    ///
    /// ## Why it matters
    /// Any account can take ether that is not its own: drain the contract in one
    /// call, or repeat a refund until nothing is left.
    ///
    /// ## Example
    /// ```solidity
    /// function refund() public {
    ///     msg.sender.transfer(balances[msg.sender]);   // reported: never debited
    /// }
    /// function withdraw(uint256 amount) public {
    ///     require(amount >= balances[msg.sender]);     // reported: wrong direction
    ///     msg.sender.transfer(amount);
    ///     balances[msg.sender] -= amount;
    /// }
    /// ```
    ///
    /// ## Recommendation
    /// Send only what the caller is owed: check `amount <= balances[msg.sender]`,
    /// debit the balance before sending, or restrict the function to a privileged
    /// caller.
    pub(crate) struct ArbitrarySendEth;
}

static META: DetectorMeta = DetectorMeta {
    id: "arbitrary-send-eth",
    title: "Anyone can withdraw ether that is not theirs",
    severity: Severity::Low,
    confidence: Confidence::Low,
    swc: Some("SWC-105"),
    category: "access_control",
    description: "A function anyone can call sends ether to an address the caller chooses, and the amount is not \
                  bounded by the caller's own debited balance",
    recommendation: "Bound the amount by the caller's recorded balance and debit it first, or restrict the caller",
    references: &["https://swcregistry.io/docs/SWC-105"],
    doc: ArbitrarySendEth::DOC,
};

impl Detector for ArbitrarySendEth {
    fn meta(&self) -> &'static DetectorMeta {
        &META
    }

    fn check_file(&self, cx: &FileContext<'_>, out: &mut Vec<Finding>) {
        let model = cx.model();
        let ast = cx.ast();
        let entries = open_entries(cx);
        let open_written = written_by(model, &entries);
        let mut seen: Vec<ExprId> = Vec::new();
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
            let debited = debits(&choice);
            for &g in reach {
                for site in model.calls(g) {
                    let value = match site.kind {
                        CallKind::LowLevel {
                            kind: LowLevelKind::Transfer | LowLevelKind::Send | LowLevelKind::Call,
                            value: Some(v),
                            ..
                        }
                        | CallKind::HighLevel { value: Some(v), .. } => v,
                        _ => continue,
                    };
                    let Some(call) = site.expr else { continue };
                    if seen.contains(&call) || checked_in_body(model, ast, cx.file, g, site.span) {
                        continue;
                    }
                    let Some(dest) = destination(ast, call) else {
                        continue;
                    };
                    // To the caller, also through a helper's parameter every call passes
                    // `msg.sender` (`_payout(msg.sender, amount)`).
                    let to_caller = is_msg_sender(model, ast, cx.file, dest)
                        || is_origin(cx, ast, dest)
                        || choice.is_caller(dest, 2);
                    let to_chosen = !to_caller && param_chosen(&choice, dest, 3);
                    if !(to_caller || to_chosen)
                        || is_zero(ast, value)
                        || only_msg_value(&choice, g, value, 2)
                        // (A share of the payment includes an amount `g` bounds by it.)
                        || payment_share(cx, &choice, g, value, 3)
                        || own_entitlement(&choice, g, value)
                        || bounded_by_msg_value(cx, &choice, *entry, value)
                    {
                        continue;
                    }
                    // The destination's own entry (`rewards[to]` sent to `to`) is theirs.
                    let dest_key = match model.declaration(cx.file, ast.skip_parens(dest)) {
                        Some(d @ (Declaration::Param(_) | Declaration::Local(_))) => Some(d),
                        _ => None,
                    };
                    let mut chosen_amount = false;
                    let verdict = match judge_amount(cx, &choice, g, value, &debited, dest_key) {
                        // Payouts to the caller computed by the contract's own logic
                        // (prizes, refunds) are not judged here; nor are sends to
                        // parameters committed by a hash (proposals, operations).
                        Amount::Unbounded if hashes_params(&choice) => continue,
                        // To the caller, judged only when nothing at all decides whether
                        // it is owed: no condition on the way, no state the amount is
                        // computed from but the contract's balance.
                        // Or when the caller names the amount itself and nothing compares,
                        // debits or records it (`_payout(msg.sender, amount)`).
                        Amount::Unbounded
                            if to_caller
                                && !(unconditional(model, ast, reach)
                                    && balance_only(cx, ast, value)) =>
                        {
                            if !chosen_unchecked(&choice, value) {
                                continue;
                            }
                            chosen_amount = true;
                            Amount::Unbounded
                        }
                        v => v,
                    };
                    seen.push(call);
                    let call_span = ast.expr(call).span;
                    let amount = cx.snippet(ast.expr(value).span);
                    let finding = match verdict {
                        Amount::OwnBalanceDebited => continue,
                        Amount::WrongCheck(check) => cx
                            .finding(
                                &META,
                                Some(*entry),
                                check,
                                format!(
                                    "`{}` lets the caller take more than its balance: `{amount}` is sent",
                                    cx.snippet(check)
                                ),
                            )
                            .with_secondary(cx.file, call_span, "the ether is sent here"),
                        // A flag checked first and set here stops the repeat
                        // (`require(!claimed[who]); ... claimed[who] = true;`).
                        Amount::OwnBalanceNotDebited(_) if marks_done(&choice) => continue,
                        Amount::OwnBalanceNotDebited(var) => cx.finding(
                            &META,
                            Some(*entry),
                            call_span,
                            format!(
                                "the caller's balance in `{var}` is sent but never debited: any caller can repeat it",
                                var = var_text(cx, var)
                            ),
                        ),
                        Amount::Unbounded if chosen_amount => cx.finding(
                            &META,
                            Some(*entry),
                            call_span,
                            format!(
                                "any caller can have `{amount}` sent to itself, an amount it chooses and nothing bounds"
                            ),
                        ),
                        Amount::Unbounded => cx.finding(
                            &META,
                            Some(*entry),
                            call_span,
                            format!(
                                "any caller can have `{amount}` sent to `{}`, which it chooses",
                                cx.snippet(ast.expr(dest).span)
                            ),
                        ),
                    };
                    out.push(finding);
                }
            }
        }
    }
}

enum Amount {
    OwnBalanceDebited,
    OwnBalanceNotDebited(ItemRef),
    WrongCheck(Span),
    Unbounded,
}

/// How the amount relates to the caller's own recorded balance in function `g`.
fn judge_amount(
    cx: &FileContext<'_>,
    choice: &CallerChoice<'_, '_>,
    g: FunctionId,
    value: ExprId,
    debited: &[ItemRef],
    key: Option<Declaration>,
) -> Amount {
    let model = cx.model();
    let ast = choice.ast;
    // The amount reads the caller's balance: `balances[msg.sender]`.
    if let Some(var) = own_balance_in(choice, g, value, 2, key) {
        return if debited.contains(&var) {
            Amount::OwnBalanceDebited
        } else {
            Amount::OwnBalanceNotDebited(var)
        };
    }
    // A check relating the amount with the caller's balance.
    // Only a named amount (a parameter or local) can be checked against the balance.
    let aliases = amount_aliases(choice, value, 3);
    if aliases.is_empty() {
        return Amount::Unbounded;
    }
    let same_amount = |e: ExprId| same_value(choice, e, &aliases, 3);
    // A debit that reverts when the amount exceeds the balance:
    // `balances[msg.sender] = balances[msg.sender].sub(amount)`, or `-= amount` with
    // checked arithmetic.
    for &h in choice.reach {
        let Some(hbody) = def_of(ast, model, h).and_then(|d| body_span(ast, d)) else {
            continue;
        };
        for x in exprs_within(ast, hbody) {
            let ExprKind::Assign { op, lhs, rhs } = &ast.expr(x).kind else {
                continue;
            };
            let Some(var) = own_balance_in(choice, h, *lhs, 0, None) else {
                continue;
            };
            let subtracts = match op {
                Some(BinaryOp::Sub) => same_amount(*rhs) && model.is_checked_arithmetic(cx.file, x),
                None => exprs_within(ast, ast.expr(*rhs).span).any(|y| {
                    ast.expr(y).as_call().is_some_and(|(callee, args)| {
                        ast.expr(ast.skip_parens(callee))
                            .as_member_access()
                            .is_some_and(|(_, m)| m.name == "sub")
                            && args.exprs().into_iter().any(&same_amount)
                    })
                }),
                _ => false,
            };
            if subtracts && debited.contains(&var) {
                return Amount::OwnBalanceDebited;
            }
        }
    }
    let mut wrong = None;
    // The checks of the functions on the way, of their modifiers and helpers; each
    // comparison with the truth value it has when execution goes on (through `!` and
    // `bool` locals holding it).
    let checks: Vec<(FunctionId, ExprId, bool)> = checking_set(choice)
        .into_iter()
        .filter_map(|h| Some((h, def_of(ast, model, h).and_then(|d| body_span(ast, d))?)))
        .flat_map(|(h, body)| {
            conditions(ast, body)
                .into_iter()
                .flat_map(move |(cond, holds)| comparisons_in(choice, cond, holds, 2))
                .map(move |(x, holds)| (h, x, holds))
        })
        .collect();
    for (h, x, holds) in checks {
        {
            let ExprKind::Binary { op, lhs, rhs } = &ast.expr(x).kind else {
                continue;
            };
            let (amount_left, balance) = if same_amount(*lhs) {
                (true, own_balance_in(choice, h, *rhs, 2, key))
            } else if same_amount(*rhs) {
                (false, own_balance_in(choice, h, *lhs, 2, key))
            } else {
                continue;
            };
            let Some(var) = balance else { continue };
            // Normalised to `amount OP balance`.
            let op = if amount_left { *op } else { flip(*op) };
            let op = if holds { op } else { negate(op) };
            match op {
                BinaryOp::Le | BinaryOp::Lt => {
                    return if debited.contains(&var) {
                        Amount::OwnBalanceDebited
                    } else {
                        Amount::OwnBalanceNotDebited(var)
                    };
                }
                BinaryOp::Ge | BinaryOp::Gt => wrong = Some(ast.expr(x).span),
                _ => {}
            }
        }
    }
    match wrong {
        Some(check) => Amount::WrongCheck(check),
        None => Amount::Unbounded,
    }
}

fn flip(op: BinaryOp) -> BinaryOp {
    match op {
        BinaryOp::Le => BinaryOp::Ge,
        BinaryOp::Lt => BinaryOp::Gt,
        BinaryOp::Ge => BinaryOp::Le,
        BinaryOp::Gt => BinaryOp::Lt,
        other => other,
    }
}

/// True when the amount is a parameter of the entry point passed on unchanged (through
/// locals and helpers' parameters), and no function on the way compares it with
/// anything but zero, subtracts it or stores it: the caller takes what it names.
fn chosen_unchecked(choice: &CallerChoice<'_, '_>, value: ExprId) -> bool {
    let (model, ast, file) = (choice.model, choice.ast, choice.file);
    let aliases = amount_aliases(choice, value, 3);
    let from_entry = aliases.iter().any(
        |d| matches!(d, Declaration::Param(p) if model.var(*p).function == Some(choice.entry)),
    );
    if !from_entry {
        return false;
    }
    let holds =
        |e: ExprId| exprs_within(ast, ast.expr(e).span).any(|y| same_value(choice, y, &aliases, 3));
    !checking_set(choice).into_iter().any(|h| {
        let Some(body) = def_of(ast, model, h).and_then(|d| body_span(ast, d)) else {
            return false;
        };
        exprs_within(ast, body).any(|x| match &ast.expr(x).kind {
            ExprKind::Binary { op, lhs, rhs } if op.is_comparison() => {
                (holds(*lhs) && !is_zero(ast, *rhs)) || (holds(*rhs) && !is_zero(ast, *lhs))
            }
            ExprKind::Binary {
                op: BinaryOp::Sub,
                rhs,
                ..
            } => holds(*rhs),
            ExprKind::Assign { lhs, rhs, .. } => {
                holds(*rhs) && root_state_var(model, ast, file, *lhs).is_some()
            }
            ExprKind::Call { callee, args } => {
                ast.expr(ast.skip_parens(*callee))
                    .as_member_access()
                    .is_some_and(|(_, m)| m.name == "sub")
                    && args.exprs().into_iter().any(holds)
            }
            _ => false,
        })
    })
}

/// The functions of the reach with the modifiers they invoke and the helpers they
/// call: where a check of the amount may sit.
fn checking_set(choice: &CallerChoice<'_, '_>) -> Vec<FunctionId> {
    let mut out: Vec<FunctionId> = Vec::new();
    for &g in choice.reach {
        for h in checking_functions(choice.model, g, 1) {
            if !out.contains(&h) {
                out.push(h);
            }
        }
    }
    out
}

/// The comparisons in the condition `cond`, each with the truth value it has when
/// `cond` has `holds`: `!(a >= b)` holding means `a >= b` fails; a `bool` local
/// tested in `cond` contributes the comparisons of its initializer
/// (`bool ok = a >= b; require(ok);`), `depth` locals deep.
fn comparisons_in(
    choice: &CallerChoice<'_, '_>,
    cond: ExprId,
    holds: bool,
    depth: u32,
) -> Vec<(ExprId, bool)> {
    let (model, ast, file) = (choice.model, choice.ast, choice.file);
    let mut out = Vec::new();
    for x in exprs_within(ast, ast.expr(cond).span) {
        let Some(positive) = polarity(ast, cond, x) else {
            continue;
        };
        let truth = holds == positive;
        match &ast.expr(x).kind {
            ExprKind::Binary { op, .. } if op.is_comparison() => out.push((x, truth)),
            ExprKind::Ident(_) if depth > 0 => {
                if let Some(Declaration::Local(v)) = model.declaration(file, x)
                    && *model.type_of(file, x) == semantics::Type::BOOL
                    && let Some(init) = local_initializer(model, ast, v)
                {
                    out.extend(comparisons_in(choice, init, truth, depth - 1));
                }
            }
            _ => {}
        }
    }
    out
}

/// Whether `target`, inside `root`, holds when `root` holds (`Some(true)`) or when it
/// fails (`Some(false)`: under an odd number of `!`); `None` when `target` is not a
/// part of `root` reached through `!`, parentheses, `&&` and `||`.
fn polarity(ast: &Ast, root: ExprId, target: ExprId) -> Option<bool> {
    if root == target {
        return Some(true);
    }
    match &ast.expr(root).kind {
        ExprKind::Paren(x) => polarity(ast, *x, target),
        ExprKind::Unary {
            op: UnaryOp::Not,
            operand,
        } => polarity(ast, *operand, target).map(|p| !p),
        ExprKind::Binary {
            op: BinaryOp::And | BinaryOp::Or,
            lhs,
            rhs,
        } => polarity(ast, *lhs, target).or_else(|| polarity(ast, *rhs, target)),
        _ => None,
    }
}

/// The names holding the amount `value` as it is sent: its parameter or local, and
/// the names it was copied from (`uint256 v = amount;`, a helper's parameter every
/// call passes `amount`), `depth` copies back. Empty when `value` is not a name.
fn amount_aliases(choice: &CallerChoice<'_, '_>, value: ExprId, depth: u32) -> Vec<Declaration> {
    let (model, ast, file) = (choice.model, choice.ast, choice.file);
    let decl = model.declaration(file, ast.skip_parens(value));
    let Some(d @ (Declaration::Param(_) | Declaration::Local(_))) = decl else {
        return Vec::new();
    };
    let mut out = vec![d];
    if depth == 0 {
        return out;
    }
    let sources = match d {
        Declaration::Local(v) => match model.var(v).function {
            Some(f) => choice.assigned_values(f, v),
            None => Vec::new(),
        },
        Declaration::Param(p) => param_args(choice, p),
        _ => Vec::new(),
    };
    if let [one] = sources.as_slice()
        && matches!(ast.expr(ast.skip_parens(*one)).kind, ExprKind::Ident(_))
    {
        out.extend(amount_aliases(choice, *one, depth - 1));
    } else if !sources.is_empty()
        && sources.iter().all(|&a| {
            matches!(ast.expr(ast.skip_parens(a)).kind, ExprKind::Ident(_))
                && model.declaration(file, ast.skip_parens(a))
                    == model.declaration(file, ast.skip_parens(sources[0]))
        })
    {
        out.extend(amount_aliases(choice, sources[0], depth - 1));
    }
    out
}

/// The arguments the functions of the reach pass for the parameter `p` of an internal
/// function or a modifier; empty for the entry point's own parameters.
fn param_args(choice: &CallerChoice<'_, '_>, p: semantics::VarId) -> Vec<ExprId> {
    let model = choice.model;
    let Some(f) = model.var(p).function else {
        return Vec::new();
    };
    if f == choice.entry {
        return Vec::new();
    }
    let Some(i) = model.params(f).iter().position(|&q| q == p) else {
        return Vec::new();
    };
    if model.function(f).kind == syntax::ast::FunctionKind::Modifier {
        choice
            .reach
            .iter()
            .flat_map(|&g| modifier_args(model, choice.ast, g, f))
            .filter_map(|args| args.get(i).copied())
            .collect()
    } else {
        choice.args_to(f, i)
    }
}

/// True when `e` holds the amount: one of its `aliases`, a local only ever assigned
/// it, or a parameter of a modifier or helper every call passes it (`depth` deep).
fn same_value(
    choice: &CallerChoice<'_, '_>,
    e: ExprId,
    aliases: &[Declaration],
    depth: u32,
) -> bool {
    let (model, ast, file) = (choice.model, choice.ast, choice.file);
    let Some(d) = model.declaration(file, ast.skip_parens(e)) else {
        return false;
    };
    if aliases.contains(&d) {
        return true;
    }
    if depth == 0 {
        return false;
    }
    let sources = match d {
        Declaration::Local(v) => match model.var(v).function {
            Some(f) => choice.assigned_values(f, v),
            None => return false,
        },
        Declaration::Param(p) => param_args(choice, p),
        _ => return false,
    };
    !sources.is_empty()
        && sources
            .into_iter()
            .all(|a| same_value(choice, a, aliases, depth - 1))
}

/// True when no function of `reach` (an entry point and what it reaches) holds a
/// condition, a loop or a modifier: every caller gets the same treatment.
fn unconditional(model: &semantics::Model<'_>, ast: &Ast, reach: &[FunctionId]) -> bool {
    reach.iter().all(|&g| {
        let Some(def) = def_of(ast, model, g) else {
            return false;
        };
        let Some(body) = body_span(ast, def) else {
            return false;
        };
        def.modifiers.is_empty()
            && conditions(ast, body).is_empty()
            && !ast.stmts().any(|(_, stmt)| {
                stmt.span.lo >= body.lo
                    && stmt.span.hi <= body.hi
                    && matches!(
                        stmt.kind,
                        StmtKind::For { .. } | StmtKind::DoWhile { .. } | StmtKind::Try { .. }
                    )
            })
            && !exprs_within(ast, body)
                .any(|x| matches!(ast.expr(x).kind, ExprKind::Ternary { .. }))
    })
}

/// True when the amount is the contract's ether balance or a literal, or made of them:
/// `address(this).balance`, `this.balance / 2`, `1 ether`.
fn balance_only(cx: &FileContext<'_>, ast: &Ast, value: ExprId) -> bool {
    let mut ok = true;
    let mut saw_balance_or_literal = false;
    crate::analysis::call_results::walk_expr(ast, value, &mut |x| {
        let decl = cx.model().declaration(cx.file, x);
        match &ast.expr(x).kind {
            ExprKind::Literal(_) => saw_balance_or_literal = true,
            ExprKind::Member { .. }
                if decl == Some(Declaration::Builtin(Builtin::AddressBalance)) =>
            {
                saw_balance_or_literal = true;
            }
            ExprKind::Ident(_) if decl != Some(Declaration::Builtin(Builtin::This)) => {
                ok = false;
            }
            _ => {}
        }
    });
    ok && saw_balance_or_literal
}

/// The conditions of `require`/`assert` calls and `if`/loop statements inside `body`,
/// each with the truth value under which execution goes on (`false` for
/// `if (c) revert();`).
fn conditions(ast: &Ast, body: Span) -> Vec<(ExprId, bool)> {
    let mut out = Vec::new();
    for (_, stmt) in ast.stmts() {
        if stmt.span.lo < body.lo || stmt.span.hi > body.hi {
            continue;
        }
        match &stmt.kind {
            StmtKind::If {
                cond, then_branch, ..
            } => out.push((*cond, !exits(ast, *then_branch))),
            StmtKind::While { cond, .. } => out.push((*cond, true)),
            _ => {}
        }
    }
    for x in exprs_within(ast, body) {
        if let Some((callee, args)) = ast.expr(x).as_call()
            && (ast.expr(callee).is_ident("require") || ast.expr(callee).is_ident("assert"))
            && let Some(&c) = args.exprs().first()
        {
            out.push((c, true));
        }
    }
    out
}

/// A statement that leaves the function: `revert`, `throw`, `return`, or a block
/// starting with one.
fn exits(ast: &Ast, s: syntax::ast::StmtId) -> bool {
    match &ast.stmt(s).kind {
        StmtKind::Return { .. } | StmtKind::Revert { .. } | StmtKind::Throw => true,
        StmtKind::Block { stmts, .. } => stmts.first().is_some_and(|&x| exits(ast, x)),
        StmtKind::Expr(e) => ast
            .expr(ast.skip_parens(*e))
            .as_call()
            .is_some_and(|(c, _)| ast.expr(c).is_ident("revert")),
        _ => false,
    }
}

/// The comparison that holds when `op` does not.
fn negate(op: BinaryOp) -> BinaryOp {
    match op {
        BinaryOp::Le => BinaryOp::Gt,
        BinaryOp::Lt => BinaryOp::Ge,
        BinaryOp::Ge => BinaryOp::Lt,
        BinaryOp::Gt => BinaryOp::Le,
        other => other,
    }
}

/// The state variable `M` of a `M[msg.sender]` read inside `e`, also through locals
/// assigned from one (`uint a = balances[msg.sender]`, `var acc = accounts[msg.sender]`).
fn own_balance_in(
    choice: &CallerChoice<'_, '_>,
    g: FunctionId,
    e: ExprId,
    depth: u32,
    key: Option<Declaration>,
) -> Option<ItemRef> {
    let (model, ast, file) = (choice.model, choice.ast, choice.file);
    exprs_within(ast, ast.expr(e).span).find_map(|x| match &ast.expr(x).kind {
        ExprKind::Index {
            base,
            index: Some(i),
        } if is_msg_sender(model, ast, file, *i)
            || key.is_some_and(|d| model.declaration(file, ast.skip_parens(*i)) == Some(d)) =>
        {
            root_state_var(model, ast, file, *base)
        }
        ExprKind::Ident(_) if depth > 0 => match model.declaration(file, x) {
            Some(Declaration::Local(v)) => choice
                .assigned_values(g, v)
                .into_iter()
                .find_map(|a| own_balance_in(choice, g, a, depth - 1, key)),
            _ => None,
        },
        _ => None,
    })
}

/// The address ether goes to: `a` in `a.transfer(v)`, `a.send(v)`,
/// `a.call.value(v)()`, `a.call{value: v}("")`, `C(a).f{value: v}()`.
fn destination(ast: &Ast, call: ExprId) -> Option<ExprId> {
    let (mut e, _) = ast.expr(call).as_call()?;
    for _ in 0..8 {
        e = ast.skip_parens(e);
        match &ast.expr(e).kind {
            ExprKind::CallOptions { callee, .. } => e = *callee,
            ExprKind::Call { callee, .. } => e = *callee,
            ExprKind::Member { base, member } => {
                if matches!(member.name.as_str(), "value" | "gas") {
                    e = *base;
                    continue;
                }
                return Some(*base);
            }
            _ => return None,
        }
    }
    None
}

fn is_origin(cx: &FileContext<'_>, ast: &Ast, e: ExprId) -> bool {
    matches!(
        cx.model().declaration(cx.file, ast.skip_parens(e)),
        Some(Declaration::Builtin(Builtin::TxOrigin))
    )
}

fn is_zero(ast: &Ast, e: ExprId) -> bool {
    ast.expr(ast.skip_parens(e))
        .as_literal()
        .and_then(|l| l.number_value())
        == Some(0)
}

/// The amount is made of `msg.value` (returning or sharing the caller's own
/// payment), constants and locals holding such values.
fn only_msg_value(choice: &CallerChoice<'_, '_>, g: FunctionId, e: ExprId, depth: u32) -> bool {
    let (model, ast, file) = (choice.model, choice.ast, choice.file);
    let mut saw = false;
    for x in exprs_within(ast, ast.expr(e).span) {
        match model.declaration(file, x) {
            Some(Declaration::Builtin(Builtin::MsgValue)) => saw = true,
            Some(Declaration::Builtin(_)) | None => {}
            Some(Declaration::Local(v)) if depth > 0 => {
                let values = choice.assigned_values(g, v);
                if values.is_empty()
                    || !values
                        .into_iter()
                        .all(|a| only_msg_value(choice, g, a, depth - 1))
                {
                    return false;
                }
                saw = true;
            }
            Some(Declaration::StateVar(r)) if is_constant_var(choice, r) => {}
            // A parameter of an internal function every caller passes a share of its
            // payment (`_payReferrer(ref, msg.value / 100)`).
            Some(Declaration::Param(p)) if depth > 0 => {
                let Some(h) = model.var(p).function else {
                    return false;
                };
                let Some(i) = model.params(h).iter().position(|&q| q == p) else {
                    return false;
                };
                let args = choice.args_to_from(h, i);
                if h == choice.entry
                    || args.is_empty()
                    || !args
                        .into_iter()
                        .all(|(caller, a)| only_msg_value(choice, caller, a, depth - 1))
                {
                    return false;
                }
                saw = true;
            }
            Some(_) => return false,
        }
    }
    saw
}

/// True when a check in `f` keeps the amount at or below what the caller paid:
/// `require(msg.value >= price)` before sending `price`, or a running total taken
/// from `msg.value` compared with each amount (`require(total >= amounts[i])`).
fn bounded_by_msg_value(
    cx: &FileContext<'_>,
    choice: &CallerChoice<'_, '_>,
    f: FunctionId,
    value: ExprId,
) -> bool {
    let ast = choice.ast;
    let Some(body) = def_of(ast, choice.model, f).and_then(|d| body_span(ast, d)) else {
        return false;
    };
    let amount = crate::analysis::value_flow::key(ast, cx.text, value);
    exprs_within(ast, body).any(|c| {
        let ExprKind::Binary { op, lhs, rhs } = &ast.expr(c).kind else {
            return false;
        };
        // (the side that must be larger, the side that must be smaller)
        let (big, small) = match op {
            BinaryOp::Ge | BinaryOp::Gt | BinaryOp::Eq => (*lhs, *rhs),
            BinaryOp::Le | BinaryOp::Lt => (*rhs, *lhs),
            _ => return false,
        };
        let paid = |e: ExprId| only_msg_value(choice, f, e, 2) || paid_balance(choice, f, e);
        let named = |e: ExprId| crate::analysis::value_flow::key(ast, cx.text, e) == amount;
        (paid(big) && named(small)) || (*op == BinaryOp::Eq && paid(small) && named(big))
    })
}

/// A part of what the caller paid: `msg.value`, a share of it (`msg.value * fee / 100`,
/// `msg.value.mul(2).div(100)`, with a multiplier the caller does not choose), the
/// change left after a cost (`msg.value - price`), or a local or helper parameter
/// holding one of these.
fn payment_share(
    cx: &FileContext<'_>,
    choice: &CallerChoice<'_, '_>,
    f: FunctionId,
    e: ExprId,
    depth: u32,
) -> bool {
    let (model, ast, file) = (choice.model, choice.ast, choice.file);
    let e = ast.skip_parens(e);
    // A value the function requires the payment to cover (`require(msg.value >= price)`).
    if bounded_by_msg_value(cx, choice, f, e) {
        return true;
    }
    // No parameter of the entry point and no other payment source in a multiplier.
    let fixed = |x: ExprId| {
        exprs_within(ast, ast.expr(x).span).all(|y| {
            !matches!(
                model.declaration(file, y),
                Some(Declaration::Param(_) | Declaration::Builtin(Builtin::MsgValue))
            )
        }) && !choice.any_leaf(x, 2)
    };
    let arith = |op: BinaryOp, lhs: ExprId, rhs: ExprId| match op {
        BinaryOp::Mul => {
            (payment_share(cx, choice, f, lhs, depth) && fixed(rhs))
                || (payment_share(cx, choice, f, rhs, depth) && fixed(lhs))
        }
        BinaryOp::Div | BinaryOp::Sub => payment_share(cx, choice, f, lhs, depth),
        _ => false,
    };
    match &ast.expr(e).kind {
        ExprKind::Member { .. } | ExprKind::Ident(_) => match model.declaration(file, e) {
            Some(Declaration::Builtin(Builtin::MsgValue)) => true,
            Some(Declaration::Local(_) | Declaration::Param(_)) if depth > 0 => {
                only_msg_value(choice, f, e, depth) || {
                    let Some(Declaration::Local(v)) = model.declaration(file, e) else {
                        return false;
                    };
                    let values = choice.assigned_values(f, v);
                    !values.is_empty()
                        && values
                            .into_iter()
                            .all(|a| payment_share(cx, choice, f, a, depth - 1))
                }
            }
            _ => false,
        },
        ExprKind::Binary { op, lhs, rhs } => arith(*op, *lhs, *rhs),
        // SafeMath: `a.mul(b)`, `a.div(b)`, `a.sub(b)`.
        ExprKind::Call { callee, args } => {
            let Some((base, name)) = ast.expr(ast.skip_parens(*callee)).as_member_access() else {
                return false;
            };
            let args = args.exprs();
            let [arg] = args.as_slice() else {
                return false;
            };
            let op = match name.name.as_str() {
                "mul" => BinaryOp::Mul,
                "div" => BinaryOp::Div,
                "sub" => BinaryOp::Sub,
                _ => return false,
            };
            arith(op, base, *arg)
        }
        _ => false,
    }
}

/// The caller's own entitlement, settled: the amount comes from an internal function
/// given `msg.sender` (`dividends(msg.sender)`), and the function records the payment
/// in state keyed by the caller (`payouts[msg.sender] += ...`). Where it is sent is the
/// caller's business.
fn own_entitlement(choice: &CallerChoice<'_, '_>, f: FunctionId, value: ExprId) -> bool {
    let (model, ast, file) = (choice.model, choice.ast, choice.file);
    let from_sender_call = |e: ExprId| {
        let e = ast.skip_parens(e);
        let Some((_, args)) = ast.expr(e).as_call() else {
            return false;
        };
        let internal = model
            .calls(f)
            .iter()
            .any(|c| c.expr == Some(e) && matches!(c.kind, semantics::CallKind::Internal { .. }));
        let args = args.exprs();
        internal && !args.is_empty() && args.iter().all(|&a| is_msg_sender(model, ast, file, a))
    };
    let amount = ast.skip_parens(value);
    let sourced = from_sender_call(amount)
        || match model.declaration(file, amount) {
            Some(Declaration::Local(v)) => {
                let values = choice.assigned_values(f, v);
                !values.is_empty() && values.into_iter().all(from_sender_call)
            }
            _ => false,
        };
    if !sourced {
        return false;
    }
    let Some(body) = def_of(ast, model, f).and_then(|d| body_span(ast, d)) else {
        return false;
    };
    exprs_within(ast, body).any(|x| match &ast.expr(x).kind {
        ExprKind::Assign { lhs, .. } => matches!(&ast.expr(ast.skip_parens(*lhs)).kind,
            ExprKind::Index { base, index: Some(k) }
                if is_msg_sender(model, ast, file, *k)
                    && root_state_var(model, ast, file, *base).is_some()),
        _ => false,
    })
}

/// True when a function the entry point reaches sets a state flag to `true` that a
/// condition of the same function reads: a once-only mark (`claimed[voter] = true`
/// after `require(!claimed[voter])`).
fn marks_done(choice: &CallerChoice<'_, '_>) -> bool {
    let (model, ast, file) = (choice.model, choice.ast, choice.file);
    choice.reach.iter().any(|&g| {
        let Some(body) = def_of(ast, model, g).and_then(|d| body_span(ast, d)) else {
            return false;
        };
        let exprs: Vec<ExprId> = exprs_within(ast, body).collect();
        let set: Vec<ItemRef> = exprs
            .iter()
            .filter_map(|&x| match &ast.expr(x).kind {
                ExprKind::Assign { op: None, lhs, rhs }
                    if matches!(
                        ast.expr(ast.skip_parens(*rhs)).as_literal(),
                        Some(syntax::ast::Literal::Bool(true))
                    ) =>
                {
                    root_state_var(model, ast, file, *lhs)
                }
                _ => None,
            })
            .collect();
        !set.is_empty()
            && exprs.iter().any(|&x| match &ast.expr(x).kind {
                // `require(!m[k])`, `require(m[k] == false)`, `if (m[k]) revert();`
                ExprKind::Call { callee, args } => {
                    matches!(
                        model.declaration(file, ast.skip_parens(*callee)),
                        Some(Declaration::Builtin(Builtin::Require | Builtin::Assert))
                    ) && args.exprs().first().is_some_and(|&c| {
                        exprs_within(ast, ast.expr(c).span).any(|y| {
                            root_state_var(model, ast, file, y).is_some_and(|v| set.contains(&v))
                        })
                    })
                }
                _ => false,
            })
    })
}

/// A local that starts from `msg.value` and only decreases (`left -= amounts[i]`): what
/// is left of the caller's payment.
fn paid_balance(choice: &CallerChoice<'_, '_>, f: FunctionId, e: ExprId) -> bool {
    let (model, ast) = (choice.model, choice.ast);
    let Some(Declaration::Local(v)) = model.declaration(choice.file, ast.skip_parens(e)) else {
        return false;
    };
    let Some(body) = def_of(ast, model, f).and_then(|d| body_span(ast, d)) else {
        return false;
    };
    let mut decreases = Vec::new();
    for x in exprs_within(ast, body) {
        if let ExprKind::Assign { op, lhs, rhs } = &ast.expr(x).kind
            && model.declaration(choice.file, ast.skip_parens(*lhs)) == Some(Declaration::Local(v))
        {
            // `left -= a`, `left = left - a`, `left = left.sub(a)`.
            let same = |e: ExprId| {
                model.declaration(choice.file, ast.skip_parens(e)) == Some(Declaration::Local(v))
            };
            let decrease = match (op, &ast.expr(ast.skip_parens(*rhs)).kind) {
                (Some(BinaryOp::Sub), _) => true,
                (
                    None,
                    ExprKind::Binary {
                        op: BinaryOp::Sub,
                        lhs: from,
                        ..
                    },
                ) => same(*from),
                (None, ExprKind::Call { callee, .. }) => ast
                    .expr(ast.skip_parens(*callee))
                    .as_member_access()
                    .is_some_and(|(base, m)| m.name == "sub" && same(base)),
                _ => false,
            };
            if !decrease {
                return false;
            }
            decreases.push(*rhs);
        }
    }
    let starts: Vec<ExprId> = choice
        .assigned_values(f, v)
        .into_iter()
        .filter(|x| !decreases.contains(x))
        .collect();
    !starts.is_empty() && starts.iter().all(|&x| only_msg_value(choice, f, x, 2))
}

fn is_constant_var(choice: &CallerChoice<'_, '_>, r: ItemRef) -> bool {
    r.file == choice.file
        && choice
            .ast
            .item(r.item)
            .as_variable()
            .is_some_and(|v| v.is_constant || v.is_immutable)
}

fn var_text(cx: &FileContext<'_>, r: ItemRef) -> String {
    crate::rules::unprotected_initializer::var_name(cx, r)
}

/// True when a parameter of the entry point chooses the address, directly or passed
/// on as a parameter of internal calls (not when the caller passes `msg.sender`).
pub(crate) fn param_chosen(choice: &CallerChoice<'_, '_>, dest: ExprId, depth: u32) -> bool {
    let (model, ast) = (choice.model, choice.ast);
    exprs_within(ast, ast.expr(dest).span).any(|x| {
        let Some(Declaration::Param(v)) = model.declaration(choice.file, x) else {
            return false;
        };
        let Some(f) = model.var(v).function else {
            return false;
        };
        if f == choice.entry {
            return true;
        }
        let Some(i) = model.params(f).iter().position(|&p| p == v) else {
            return false;
        };
        depth > 0
            && choice.args_to(f, i).into_iter().any(|a| {
                matches!(ast.expr(ast.skip_parens(a)).kind, ExprKind::Ident(_))
                    && param_chosen(choice, a, depth - 1)
            })
    })
}

/// The state variables the functions of `reach` debit or reset: assigned (also
/// through local storage pointers such as `var acc = accounts[msg.sender]`), deleted
/// or decremented.
fn debits(choice: &CallerChoice<'_, '_>) -> Vec<ItemRef> {
    let (model, ast, file) = (choice.model, choice.ast, choice.file);
    let mut out = Vec::new();
    for &g in choice.reach {
        out.extend(model.state_writes(g).iter().map(|a| a.var));
        let Some(body) = def_of(ast, model, g).and_then(|d| body_span(ast, d)) else {
            continue;
        };
        for x in exprs_within(ast, body) {
            let place = match &ast.expr(x).kind {
                ExprKind::Assign { lhs, .. } => *lhs,
                ExprKind::Unary {
                    op: UnaryOp::Delete | UnaryOp::PostDec | UnaryOp::PreDec,
                    operand,
                } => *operand,
                _ => continue,
            };
            if let Some(r) = root_state_var(model, ast, file, place) {
                out.push(r);
            } else if let Some(r) = own_balance_in(choice, g, place, 2, None) {
                out.push(r);
            }
        }
    }
    out
}

/// True when some function of the reach hashes one of its parameters
/// (`keccak256(abi.encode(targets, values, ...))`): the call is authorised by a
/// commitment to its arguments, not by who calls.
fn hashes_params(choice: &CallerChoice<'_, '_>) -> bool {
    let (model, ast, file) = (choice.model, choice.ast, choice.file);
    choice.reach.iter().any(|&g| {
        let Some(body) = def_of(ast, model, g).and_then(|d| body_span(ast, d)) else {
            return false;
        };
        exprs_within(ast, body).any(|x| {
            let Some((callee, args)) = ast.expr(x).as_call() else {
                return false;
            };
            matches!(
                model.declaration(file, ast.skip_parens(callee)),
                Some(Declaration::Builtin(Builtin::Keccak256 | Builtin::Sha3))
            ) && args.exprs().iter().any(|&a| {
                exprs_within(ast, ast.expr(a).span)
                    .any(|y| matches!(model.declaration(file, y), Some(Declaration::Param(_))))
            })
        })
    })
}
