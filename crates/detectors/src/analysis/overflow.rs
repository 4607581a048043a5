//! Raw `+`, `-`, `*` (and `+=`, `-=`, `*=`) that can wrap: not checked by the compiler,
//! an operand the caller chooses, and no check in the same body that bounds the
//! operation. Shared by `integer-overflow` (before 0.8) and `unchecked-arithmetic`
//! (`unchecked { }` blocks from 0.8).

use std::collections::HashSet;

use semantics::Declaration;
use syntax::Span;
use syntax::ast::{BinaryOp, ExprId, ExprKind, StmtId, StmtKind};

use crate::analysis::value_flow::{Body, args_by_param, bodies, body_of, internal_callee, key};
use crate::detector::FileContext;

/// Which arithmetic to look at.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Before 0.8: every arithmetic operation wraps.
    Legacy,
    /// From 0.8: only operations inside `unchecked { }` wrap.
    Unchecked,
}

/// One operation that can wrap.
pub(crate) struct Wrap {
    pub function: semantics::FunctionId,
    pub span: Span,
    pub message: String,
    /// The wrapped value is stored in contract state (`balance -= amount`,
    /// `owed[msg.sender] = owed[msg.sender] + amount`): the corruption persists. Other
    /// wraps (a product kept in a local, a value only emitted or compared) rarely
    /// matter on real code and are reported at low severity.
    pub stores_state: bool,
}

/// The operations of the file of `cx` that can wrap, at most one per statement.
pub(crate) fn find(cx: &FileContext<'_>, mode: Mode) -> Vec<Wrap> {
    let model = cx.model();
    let version_legacy = model
        .version(cx.file)
        .is_some_and(|v| v < syntax::Version::new(0, 8, 0));
    if (mode == Mode::Legacy) != version_legacy {
        return Vec::new();
    }
    let mut out = Vec::new();
    let all = bodies(cx);
    let caller_written = std::cell::OnceCell::new();
    let no_state = HashSet::new();
    for body in &all {
        let mut seen_stmts = Vec::new();
        // Privileged callers (and the deployer) and read-only functions do not corrupt
        // state by wrapping.
        if model.is_guarded(body.function)
            || body.def.is_read_only()
            || model.is_constructor(body.function)
        {
            continue;
        }
        // An internal function: its parameters are chosen when an open entry point of
        // this file passes it values its caller chooses; the checks of that caller
        // count too (with the parameters replaced by the arguments).
        // A modifier: its parameters are bound to the arguments of its invocations.
        let sites = if model.is_entry_point(body.function) {
            Vec::new()
        } else {
            open_call_sites(cx, &all, body.function, CALL_DEPTH)
        };
        let chosen = if model.is_entry_point(body.function) {
            chosen_names(cx, body)
        } else {
            sites
                .iter()
                .flat_map(|s| s.chosen.iter().cloned())
                .collect()
        };
        // Entries of state the caller wrote earlier with a value it chose
        // (`wanted[msg.sender] = n` in another open function), read for the caller.
        let written = if model.is_entry_point(body.function) {
            caller_written.get_or_init(|| caller_written_state(cx, &all))
        } else {
            &no_state
        };
        if chosen.is_empty() && written.is_empty() {
            continue;
        }
        let mut seen_ops: Vec<String> = Vec::new();
        // The comparisons of the function's modifiers, found once per body when needed.
        let modifier_checks = std::cell::OnceCell::new();
        for &e in &body.exprs {
            let Some((op, a, b, compound)) = operation(body, e) else {
                continue;
            };
            if model.is_checked_arithmetic(cx.file, e) {
                continue;
            }
            if let Some(s) = body.stmt_of(e)
                && seen_stmts.contains(&s)
            {
                continue;
            }
            let Some(amount) = caller_operand(cx, body, (&chosen, written), op, a, b, compound)
            else {
                continue;
            };
            let operation = Operation {
                e,
                op,
                a,
                b,
                amount,
            };
            if guarded(cx, body, operation, &modifier_checks)
                || in_equality(body, e)
                || model.guarded_at(body.function, body.ast.expr(e).span)
            {
                continue;
            }
            // Through a caller: reported when some open caller passing a chosen value
            // for the operand does not bound it.
            if !sites.is_empty() {
                let keys = op_keys(cx, body, operation);
                let amount_key = &keys.kamount;
                let unbounded = sites.iter().any(|site| {
                    site.chosen.iter().any(|p| mentions(amount_key, p))
                        && !comparisons_bound(
                            cx,
                            &all[site.caller],
                            op,
                            &keys.substituted(&site.names),
                        )
                        && !site.via.iter().any(|(i, names)| {
                            comparisons_bound(cx, &all[*i], op, &keys.substituted(names))
                        })
                });
                if !unbounded {
                    continue;
                }
            }
            let op_key = key(body.ast, cx.text, e);
            if seen_ops.contains(&op_key) {
                continue;
            }
            seen_ops.push(op_key);
            if let Some(s) = body.stmt_of(e) {
                seen_stmts.push(s);
            }
            let text = cx.text;
            let what = match op {
                BinaryOp::Sub => "underflow",
                _ => "overflow",
            };
            let op_text = compact(cx.snippet(body.ast.expr(e).span));
            let amount_text = compact(cx.snippet(body.ast.expr(amount).span));
            let message = format!(
                "`{op_text}` can {what}: `{amount_text}` is chosen by the caller and no check on the path bounds it"
            );
            out.push(Wrap {
                function: body.function,
                span: body.report_span(text, e),
                message,
                stores_state: stores_state(cx, body, e),
            });
        }
    }
    out
}

/// How many internal calls (or modifier invocations) deep an operation is followed
/// back to the open entry point that chooses its operand.
const CALL_DEPTH: u32 = 3;

/// A call of an internal function (or an invocation of a modifier) reached from an
/// open entry point of the file, directly or through other internal functions.
struct CallSite {
    /// Index of the open entry point in the file's bodies.
    caller: usize,
    /// The callee's parameters given values the caller chooses.
    chosen: Vec<String>,
    /// Each parameter of the callee with the key of its argument, in the terms of the
    /// entry point.
    names: Names,
    /// The internal functions in between (index in the file's bodies), each with the
    /// callee's parameters in its own terms: their checks count too.
    via: Vec<(usize, Names)>,
}

/// Parameters of a callee with the keys of their arguments.
type Names = Vec<(String, String)>;

/// A caller's open entry point (index in the file's bodies), the caller's chosen
/// names, its parameters in the entry point's terms, and the functions in between.
type Upper = (usize, HashSet<String>, Names, Vec<(usize, Names)>);

/// The calls of `callee` (an internal function or a modifier) from open (unguarded,
/// state-changing) entry points among `all`, followed back through up to `depth`
/// internal functions in between, with the parameters each passes chosen values for.
fn open_call_sites(
    cx: &FileContext<'_>,
    all: &[Body<'_>],
    callee: semantics::FunctionId,
    depth: u32,
) -> Vec<CallSite> {
    let model = cx.model();
    let mut out = Vec::new();
    for (i, caller) in all.iter().enumerate() {
        let f = caller.function;
        if f == callee
            || model.is_guarded(f)
            || model.is_constructor(f)
            || caller.def.is_read_only()
        {
            continue;
        }
        let entry = model.is_entry_point(f);
        if !entry && (depth == 0 || caller.def.kind == syntax::ast::FunctionKind::Modifier) {
            continue;
        }
        let arg_lists = call_args(cx, caller, callee);
        if arg_lists.is_empty() {
            continue;
        }
        // The caller's chosen names, and how to put its keys in its entry point's terms.
        let uppers: Vec<Upper> = if entry {
            vec![(i, chosen_names(cx, caller), Vec::new(), Vec::new())]
        } else {
            open_call_sites(cx, all, f, depth - 1)
                .into_iter()
                .map(|u| {
                    let mut chosen = u.chosen.iter().cloned().collect();
                    drop_overwritten(cx, caller, &mut chosen);
                    (u.caller, chosen, u.names, u.via)
                })
                .collect()
        };
        let params = model.params(callee);
        for args in &arg_lists {
            for (top, chosen, up_names, up_via) in &uppers {
                let mut site_chosen = Vec::new();
                let mut names = Vec::new();
                let mut local = Vec::new();
                for (&p, &a) in params.iter().zip(args) {
                    let name = model.var(p).name.to_string();
                    if derives_from(cx, caller, chosen, a) {
                        site_chosen.push(name.clone());
                    }
                    let ka = key(caller.ast, cx.text, a);
                    names.push((name.clone(), substitute(&ka, up_names)));
                    local.push((name, ka));
                }
                if site_chosen.is_empty() {
                    continue;
                }
                let mut via: Vec<(usize, Names)> = up_via
                    .iter()
                    .map(|(j, nm): &(usize, Names)| {
                        let composed = local
                            .iter()
                            .map(|(n, k)| (n.clone(), substitute(k, nm)))
                            .collect();
                        (*j, composed)
                    })
                    .collect();
                if !entry {
                    via.push((i, local));
                }
                out.push(CallSite {
                    caller: *top,
                    chosen: site_chosen,
                    names,
                    via,
                });
            }
        }
    }
    out
}

/// The argument lists `caller` passes to `callee`: at its internal calls, or at its
/// invocations when `callee` is a modifier (`consumes(units)`).
fn call_args(
    cx: &FileContext<'_>,
    caller: &Body<'_>,
    callee: semantics::FunctionId,
) -> Vec<Vec<ExprId>> {
    let model = cx.model();
    let f = caller.function;
    let md = model.function(f).contract;
    let mut out = Vec::new();
    for site in model.calls(f) {
        match site.kind {
            semantics::CallKind::Internal { function, .. } => {
                let target = md.map_or(function, |md| model.dispatch(md, function));
                if model.function_of_item(target) != Some(callee) {
                    continue;
                }
                if let Some((_, args)) = site.expr.and_then(|c| caller.ast.expr(c).as_call()) {
                    out.push(args.exprs());
                }
            }
            semantics::CallKind::Modifier { modifier } => {
                if model.function_of_item(modifier) != Some(callee) {
                    continue;
                }
                if let Some(args) = caller
                    .def
                    .modifiers
                    .iter()
                    .find(|inv| inv.span == site.span)
                    .and_then(|inv| inv.args.as_ref())
                {
                    out.push(args.exprs());
                }
            }
            _ => {}
        }
    }
    out
}

/// The state variables an open entry point of the file writes for its caller with a
/// value the caller chooses and that the function does not bound
/// (`wanted[msg.sender] = n;`): a later read of `wanted[msg.sender]` is the caller's
/// choice.
fn caller_written_state(cx: &FileContext<'_>, all: &[Body<'_>]) -> HashSet<semantics::ItemRef> {
    let model = cx.model();
    let mut out = HashSet::new();
    for body in all {
        let f = body.function;
        if !model.is_entry_point(f)
            || model.is_guarded(f)
            || model.is_constructor(f)
            || body.def.is_read_only()
        {
            continue;
        }
        let ast = body.ast;
        let chosen = chosen_names(cx, body);
        for &e in &body.exprs {
            let ExprKind::Assign { op: None, lhs, rhs } = &ast.expr(e).kind else {
                continue;
            };
            let ExprKind::Index {
                base,
                index: Some(k),
            } = &ast.expr(ast.skip_parens(*lhs)).kind
            else {
                continue;
            };
            if !crate::analysis::access::is_msg_sender(model, ast, cx.file, *k)
                || !derives_from(cx, body, &chosen, *rhs)
            {
                continue;
            }
            // A value the function compares with anything is bounded by it.
            let kr = key(ast, cx.text, *rhs);
            let compared = body.exprs.iter().any(|&c| match &ast.expr(c).kind {
                ExprKind::Binary { op, lhs, rhs }
                    if crate::analysis::value_flow::is_comparison(*op) =>
                {
                    key(ast, cx.text, *lhs) == kr || key(ast, cx.text, *rhs) == kr
                }
                _ => false,
            });
            if !compared
                && let Some(r) = crate::analysis::access::root_state_var(model, ast, cx.file, *base)
            {
                out.insert(r);
            }
        }
    }
    out
}

/// True when `e` reads an entry of `written` for the caller: `wanted[msg.sender]`.
fn reads_caller_written(
    cx: &FileContext<'_>,
    body: &Body<'_>,
    written: &HashSet<semantics::ItemRef>,
    e: ExprId,
) -> bool {
    let ast = body.ast;
    !written.is_empty()
        && matches!(&ast.expr(ast.skip_parens(e)).kind,
            ExprKind::Index { base, index: Some(k) }
                if crate::analysis::access::is_msg_sender(cx.model(), ast, cx.file, *k)
                    && crate::analysis::access::root_state_var(cx.model(), ast, cx.file, *base)
                        .is_some_and(|r| written.contains(&r)))
}

/// True when `body` calls a checked subtraction with `amount` as the subtrahend: an
/// internal or library function of this file with two parameters whose body compares
/// them (`SafeMath.sub`, `safeSub`), written `sub(x, amount)` or `x.sub(amount)`.
fn checked_subtraction_of(cx: &FileContext<'_>, body: &Body<'_>, amount: &str) -> bool {
    let (model, ast) = (cx.model(), body.ast);
    let md = model.function(body.function).contract;
    model.calls(body.function).iter().any(|site| {
        let function = match site.kind {
            semantics::CallKind::Internal { function, .. } => {
                md.map_or(function, |md| model.dispatch(md, function))
            }
            semantics::CallKind::Library { function, .. } => function,
            _ => return false,
        };
        let Some(g) = model.function_of_item(function) else {
            return false;
        };
        let Some((_, args)) = site.expr.and_then(|c| ast.expr(c).as_call()) else {
            return false;
        };
        let last = args.exprs().last().map(|&a| key(ast, cx.text, a));
        if last.as_deref() != Some(amount) || model.function(g).item.file != cx.file {
            return false;
        }
        let [p, q] = model.params(g)[..] else {
            return false;
        };
        let names = [model.var(p).name.to_string(), model.var(q).name.to_string()];
        let Some(gbody) = crate::analysis::access::def_of(ast, model, g)
            .and_then(|d| crate::analysis::access::body_span(ast, d))
        else {
            return false;
        };
        crate::analysis::access::exprs_within(ast, gbody).any(|x| match &ast.expr(x).kind {
            ExprKind::Binary { op, lhs, rhs }
                if crate::analysis::value_flow::is_comparison(*op) =>
            {
                // `b <= a`, or `(z = a - b) <= a`: both parameters in the comparison.
                let both = format!("{}<>{}", key(ast, cx.text, *lhs), key(ast, cx.text, *rhs));
                mentions(&both, &names[0]) && mentions(&both, &names[1])
            }
            _ => false,
        })
    })
}

/// True when keys `x` and `y` are different entries of the same mapping or array
/// (`balanceOf[from]` and `balanceOf[msg.sender]`).
fn sibling_entry(x: &str, y: &str) -> bool {
    match (x.split_once('['), y.split_once('[')) {
        (Some((bx, _)), Some((by, _))) => bx == by && x != y,
        _ => false,
    }
}

/// True when the key `text` mentions the identifier `name`.
fn mentions(text: &str, name: &str) -> bool {
    text.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
        .any(|w| w == name)
}

/// The source of an expression on one line, shortened for a message.
fn compact(text: &str) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() > 80 {
        let cut: String = one_line.chars().take(77).collect();
        format!("{cut}...")
    } else {
        one_line
    }
}

/// True when the result of `e` lands in contract state: `e` is a compound assignment
/// to state, or the whole right-hand side of an assignment to state.
fn stores_state(cx: &FileContext<'_>, body: &Body<'_>, e: ExprId) -> bool {
    let ast = body.ast;
    let model = cx.model();
    let place = match &ast.expr(e).kind {
        ExprKind::Assign {
            op: Some(_), lhs, ..
        } => Some(*lhs),
        _ => body.exprs.iter().find_map(|&x| match &ast.expr(x).kind {
            ExprKind::Assign { op: None, lhs, rhs } if ast.skip_parens(*rhs) == e => Some(*lhs),
            _ => None,
        }),
    };
    place.is_some_and(|p| crate::analysis::access::root_state_var(model, ast, cx.file, p).is_some())
}

/// `(op, lhs, rhs, compound)` for `+ - *` and `+= -= *=`.
fn operation(body: &Body<'_>, e: ExprId) -> Option<(BinaryOp, ExprId, ExprId, bool)> {
    match &body.ast.expr(e).kind {
        ExprKind::Binary { op, lhs, rhs } if is_wrapping(*op) => Some((*op, *lhs, *rhs, false)),
        ExprKind::Assign {
            op: Some(op),
            lhs,
            rhs,
        } if is_wrapping(*op) => Some((*op, *lhs, *rhs, true)),
        _ => None,
    }
}

fn is_wrapping(op: BinaryOp) -> bool {
    matches!(op, BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul)
}

/// The operand the caller chooses that makes the operation wrap, if any: the
/// subtrahend of `-`, the added amount of `+=`, either side of `+` and `*`, when it is
/// computed from the parameters of the public function it is written in (array
/// lengths aside: they are bounded by the calldata), or an entry of state the caller
/// wrote earlier with a value it chose (`written`: `wanted[msg.sender]`).
fn caller_operand(
    cx: &FileContext<'_>,
    body: &Body<'_>,
    (chosen, written): (&HashSet<String>, &HashSet<semantics::ItemRef>),
    op: BinaryOp,
    a: ExprId,
    b: ExprId,
    compound: bool,
) -> Option<ExprId> {
    let model = cx.model();
    let is_integer = |e: ExprId| {
        let ty = model.type_of(cx.file, e);
        ty.is_unknown() || ty.is_integer()
    };
    if !is_integer(a) || !is_integer(b) {
        return None;
    }
    if is_constant(cx, body, a) && is_constant(cx, body, b) {
        return None;
    }
    // `x + 1`: a caller would have to pass nearly `2**256` to wrap it.
    let literal = |e: ExprId| {
        body.ast
            .expr(body.ast.skip_parens(e))
            .as_literal()
            .is_some()
    };
    if op == BinaryOp::Add && (literal(a) || literal(b)) {
        return None;
    }
    let candidates: &[ExprId] = match (op, compound) {
        (BinaryOp::Sub, _) | (BinaryOp::Add, true) => &[b],
        _ => &[b, a],
    };
    candidates
        .iter()
        .copied()
        .find(|&e| derives_from(cx, body, chosen, e) || reads_caller_written(cx, body, written, e))
}

/// The names of the parameters of the body's function, when it is a public entry
/// point, and of the locals assigned from them.
fn chosen_names(cx: &FileContext<'_>, body: &Body<'_>) -> HashSet<String> {
    let model = cx.model();
    let mut chosen = HashSet::new();
    if !model.is_entry_point(body.function) {
        return chosen;
    }
    for &p in model.params(body.function) {
        chosen.insert(model.var(p).name.to_string());
    }
    drop_overwritten(cx, body, &mut chosen);
    let ast = body.ast;
    let mut stmts: Vec<StmtId> = body.anchor.values().map(|a| a.stmt).collect();
    stmts.sort_unstable_by_key(|s| s.index());
    stmts.dedup();
    for _ in 0..4 {
        let before = chosen.len();
        for &s in &stmts {
            if let StmtKind::VarDecl {
                decls,
                value: Some(v),
                ..
            } = &ast.stmt(s).kind
                && derives_from(cx, body, &chosen, *v)
            {
                for d in decls.iter().flatten() {
                    if let Some(n) = &d.name {
                        chosen.insert(n.as_str().to_owned());
                    }
                }
            }
        }
        for &e in &body.exprs {
            if let ExprKind::Assign { lhs, rhs, .. } = &ast.expr(e).kind
                && let Some(Declaration::Local(_)) = model.declaration(cx.file, *lhs)
                && derives_from(cx, body, &chosen, *rhs)
                && let Some(id) = ast.expr(*lhs).as_ident()
            {
                chosen.insert(id.as_str().to_owned());
            }
        }
        if chosen.len() == before {
            break;
        }
    }
    chosen
}

/// Removes from `chosen` the parameters of `body` overwritten by a helper's result
/// (`_team = verifyTeam(_team)`, `cR = rgbLimit(cR)`): a clamp the caller cannot
/// get past. A library call on the value itself (`v = v.mul(10)`) keeps the choice.
fn drop_overwritten(cx: &FileContext<'_>, body: &Body<'_>, chosen: &mut HashSet<String>) {
    let ast = body.ast;
    for &e in &body.exprs {
        let ExprKind::Assign { op: None, lhs, rhs } = &ast.expr(e).kind else {
            continue;
        };
        let Some(id) = ast.expr(ast.skip_parens(*lhs)).as_ident() else {
            continue;
        };
        if !matches!(
            cx.model().declaration(cx.file, *lhs),
            Some(Declaration::Param(_))
        ) || !chosen.contains(id.as_str())
        {
            continue;
        }
        let call = ast.skip_parens(*rhs);
        let clamp = match ast.expr(call).as_call() {
            Some((callee, _)) => {
                matches!(ast.expr(ast.skip_parens(callee)).kind, ExprKind::Ident(_))
                    && !computes_on(cx, body, call, id.as_str())
            }
            None => false,
        };
        if clamp && !derives_from(cx, body, chosen, *rhs) {
            chosen.remove(id.as_str());
        }
    }
}

/// True when the helper that `call` runs does arithmetic on the parameter given `name`
/// (`function sub(uint x, uint y) returns (uint z) { z = x - y; ... }`): its result
/// still grows with the caller's choice, so it is no clamp. An unresolved helper is
/// taken for a clamp, as before.
fn computes_on(cx: &FileContext<'_>, body: &Body<'_>, call: ExprId, name: &str) -> bool {
    let model = cx.model();
    let ast = body.ast;
    let Some(g) = internal_callee(model, body.function, call) else {
        return false;
    };
    let Some(param) = args_by_param(model, ast, call, g)
        .into_iter()
        .find(|&(_, a)| {
            ast.expr(ast.skip_parens(a))
                .as_ident()
                .is_some_and(|i| i.as_str() == name)
        })
        .map(|(p, _)| p)
    else {
        return false;
    };
    let Some(helper) = body_of(model, g) else {
        return false;
    };
    let h = helper.ast;
    let is_param = |e: ExprId| {
        model.declaration(helper.file, h.skip_parens(e)) == Some(Declaration::Param(param))
    };
    helper.exprs.iter().any(|&e| match h.expr(e).kind {
        ExprKind::Binary { op, lhs, rhs } => op.is_arithmetic() && (is_param(lhs) || is_param(rhs)),
        _ => false,
    })
}

/// True when the value of `e` is computed from a chosen parameter or local: through
/// operators, conversions and member reads, not through array lengths, mapping keys
/// or function calls.
fn derives_from(
    cx: &FileContext<'_>,
    body: &Body<'_>,
    chosen: &HashSet<String>,
    e: ExprId,
) -> bool {
    let ast = body.ast;
    match &ast.expr(e).kind {
        ExprKind::Ident(id) => {
            matches!(
                cx.model().declaration(cx.file, e),
                Some(Declaration::Param(_) | Declaration::Local(_))
            ) && chosen.contains(id.as_str())
        }
        ExprKind::Member { base, member } => {
            member.as_str() != "length" && derives_from(cx, body, chosen, *base)
        }
        ExprKind::Index { base, .. } => derives_from(cx, body, chosen, *base),
        ExprKind::Paren(x) | ExprKind::Unary { operand: x, .. } => {
            derives_from(cx, body, chosen, *x)
        }
        ExprKind::Binary { lhs, rhs, .. } => {
            derives_from(cx, body, chosen, *lhs) || derives_from(cx, body, chosen, *rhs)
        }
        ExprKind::Ternary {
            then_expr,
            else_expr,
            ..
        } => {
            derives_from(cx, body, chosen, *then_expr) || derives_from(cx, body, chosen, *else_expr)
        }
        ExprKind::Call { callee, args } => {
            matches!(ast.expr(*callee).kind, ExprKind::ElementaryType(_))
                && args
                    .exprs()
                    .iter()
                    .any(|&x| derives_from(cx, body, chosen, x))
        }
        _ => false,
    }
}

/// Literals, constants, `type(T).max`-style values and expressions of them.
fn is_constant(cx: &FileContext<'_>, body: &Body<'_>, e: ExprId) -> bool {
    let ast = body.ast;
    let e = ast.skip_parens(e);
    match &ast.expr(e).kind {
        ExprKind::Literal(_) => true,
        ExprKind::Ident(_) | ExprKind::Member { .. } => match cx.model().declaration(cx.file, e) {
            Some(Declaration::StateVar(r) | Declaration::FileConstant(r)) => {
                r.file == cx.file
                    && ast
                        .item(r.item)
                        .as_variable()
                        .is_some_and(|v| v.is_constant || v.is_immutable)
            }
            _ => matches!(ast.expr(e).kind, ExprKind::Member { base, .. }
                    if matches!(ast.expr(ast.skip_parens(base)).kind, ExprKind::TypeOf { .. })),
        },
        ExprKind::Binary { lhs, rhs, .. } => {
            is_constant(cx, body, *lhs) && is_constant(cx, body, *rhs)
        }
        ExprKind::Unary { operand, .. } => is_constant(cx, body, *operand),
        ExprKind::Call { callee, args } => {
            matches!(ast.expr(*callee).kind, ExprKind::ElementaryType(_))
                && args.exprs().iter().all(|&x| is_constant(cx, body, x))
        }
        _ => false,
    }
}

/// An operation that can wrap: `e` is `a op b` (or `a op= b`), `amount` the operand
/// the caller chooses.
#[derive(Clone, Copy)]
struct Operation {
    e: ExprId,
    op: BinaryOp,
    a: ExprId,
    b: ExprId,
    amount: ExprId,
}

/// A comparison as `(lhs key, rhs key, operator)`.
type Comparison = (String, String, BinaryOp);

/// True when a check in the body bounds the operation: for `a - b` a comparison of
/// `a` with `b`; for `a + b` a comparison of the sum (or the variable holding it)
/// with an operand; for `a * b` a division of the product by an operand compared
/// for equality; for any operation an upper bound of the caller's operand by a
/// constant. Comparisons with zero bound nothing.
fn guarded(
    cx: &FileContext<'_>,
    body: &Body<'_>,
    operation: Operation,
    modifier_checks: &std::cell::OnceCell<Vec<Comparison>>,
) -> bool {
    let op = operation.op;
    let ast = body.ast;
    let text = cx.text;
    let Keys {
        ka,
        kb,
        kamount,
        ke,
        holders,
    } = op_keys(cx, body, operation);
    // A check by a helper returning a bool that receives the operands
    // (`require(safeToSub(a, b))`, `if (!a.safeToAdd(b)) return false;`).
    if matches!(op, BinaryOp::Sub | BinaryOp::Add | BinaryOp::Mul)
        && body.exprs.iter().any(|&c| {
            let Some((callee, args)) = ast.expr(c).as_call() else {
                return false;
            };
            // The contract's own helpers (internal or library functions): not `send`,
            // not external calls.
            let helper = cx.model().calls(body.function).iter().any(|site| {
                site.expr == Some(c)
                    && matches!(
                        site.kind,
                        semantics::CallKind::Internal { .. } | semantics::CallKind::Library { .. }
                    )
            });
            if !helper || *cx.model().type_of(cx.file, c) != semantics::Type::BOOL {
                return false;
            }
            let mut keys: Vec<String> = args.exprs().iter().map(|&x| key(ast, text, x)).collect();
            if let ExprKind::Member { base, .. } = &ast.expr(ast.skip_parens(callee)).kind {
                keys.push(key(ast, text, *base));
            }
            // For `+`, the amount checked against anything (a balance it moves) is
            // bounded as with a comparison; otherwise both operands must be checked.
            keys.contains(&kb) && (keys.contains(&ka) || (op == BinaryOp::Add && keys.len() > 1))
        })
    {
        return true;
    }
    // For `+`, the amount also taken from a balance by a checked subtraction in the same
    // body (`balances[from] = safeSub(balances[from], v); balances[to] += v;`): it moves
    // existing value, as when compared with the balance.
    if op == BinaryOp::Add && checked_subtraction_of(cx, body, &kb) {
        return true;
    }
    // A comparison in a modifier of the function, with the modifier's parameters
    // replaced by the arguments written at its invocation (`when_owns(_from, _value)`
    // checking `accounts[_owner].balance >= _amount`).
    for (kl, kr, cop) in modifier_checks.get_or_init(|| modifier_comparisons(cx, body)) {
        let (kl, kr, cop) = (kl.as_str(), kr.as_str(), *cop);
        let ordering = cop != BinaryOp::Eq && cop != BinaryOp::Ne;
        let pair = |x: &str, y: &str| (kl == x && kr == y) || (kl == y && kr == x);
        let bounded = match op {
            BinaryOp::Sub => ordering && pair(&ka, &kb),
            BinaryOp::Add => ordering && (kl == kb || kr == kb),
            _ => false,
        };
        if bounded {
            return true;
        }
    }
    comparisons_bound(
        cx,
        body,
        op,
        &Keys {
            ka,
            kb,
            kamount,
            ke,
            holders,
        },
    )
}

/// The keys of `operation` in `body`.
fn op_keys(cx: &FileContext<'_>, body: &Body<'_>, operation: Operation) -> Keys {
    let Operation {
        e, a, b, amount, ..
    } = operation;
    let ast = body.ast;
    let text = cx.text;
    let ke = key(ast, text, e);
    // The variable the result is stored in: `uint c = a + b;` or `c = a + b;`.
    let mut holders = vec![ke.clone()];
    if let Some(s) = body.stmt_of(e)
        && let StmtKind::VarDecl { decls, value, .. } = &ast.stmt(s).kind
        && value.map(|v| ast.skip_parens(v)) == Some(e)
        && let [Some(d)] = decls.as_slice()
        && let Some(name) = &d.name
    {
        holders.push(name.as_str().to_owned());
    }
    if let ExprKind::Assign {
        op: Some(_), lhs, ..
    } = &ast.expr(e).kind
    {
        holders.push(key(ast, text, *lhs));
    }
    Keys {
        ka: key(ast, text, a),
        kb: key(ast, text, b),
        kamount: key(ast, text, amount),
        ke,
        holders,
    }
}

/// The keys of an operation `a op b` (`e`) whose caller-chosen operand is `amount`,
/// and of the places holding its result.
struct Keys {
    ka: String,
    kb: String,
    kamount: String,
    ke: String,
    holders: Vec<String>,
}

impl Keys {
    /// The same keys with the parameters of an internal function replaced by the
    /// arguments a caller passes (`names`: parameter, argument key).
    fn substituted(&self, names: &[(String, String)]) -> Keys {
        Keys {
            ka: substitute(&self.ka, names),
            kb: substitute(&self.kb, names),
            kamount: substitute(&self.kamount, names),
            ke: substitute(&self.ke, names),
            holders: self.holders.iter().map(|h| substitute(h, names)).collect(),
        }
    }
}

/// True when a comparison of `body` bounds the operation described by `keys`.
fn comparisons_bound(cx: &FileContext<'_>, body: &Body<'_>, op: BinaryOp, keys: &Keys) -> bool {
    let Keys {
        ka,
        kb,
        kamount,
        ke,
        holders,
    } = keys;
    let ast = body.ast;
    let text = cx.text;
    // The amount checked against another entry of the map it is taken from
    // (`require(balanceOf[from] >= v)` before `balanceOf[msg.sender] -= v`): the wrong
    // account was checked, and the amount's other comparisons (an allowance) do not
    // bound this subtraction.
    let wrong_account = op == BinaryOp::Sub
        && body.exprs.iter().any(|&c| match &ast.expr(c).kind {
            ExprKind::Binary { op: cop, lhs, rhs }
                if crate::analysis::value_flow::is_comparison(*cop) =>
            {
                let (kl, kr) = (key(ast, text, *lhs), key(ast, text, *rhs));
                (&kl == kb && sibling_entry(&kr, ka)) || (&kr == kb && sibling_entry(&kl, ka))
            }
            _ => false,
        });
    // Every comparison counts: in a condition, or kept in a flag
    // (`bool ok = balance >= amount; if (ok) ...`).
    for &c in &body.exprs {
        let ExprKind::Binary { op: cop, lhs, rhs } = &ast.expr(c).kind else {
            continue;
        };
        if !crate::analysis::value_flow::is_comparison(*cop) {
            continue;
        }
        let (l, r) = (ast.skip_parens(*lhs), ast.skip_parens(*rhs));
        let (kl, kr) = (key(ast, text, l), key(ast, text, r));
        let sides = [(&kl, &kr, r), (&kr, &kl, l)];
        let ordering = *cop != BinaryOp::Eq && *cop != BinaryOp::Ne;
        let asserted = body.in_asserted(c);
        // In `require(l < r)` the smaller side is `l`; an `if` may be either way round.
        let smaller_is_lhs = matches!(cop, BinaryOp::Lt | BinaryOp::Le);
        for (i, (this, other, other_id)) in sides.into_iter().enumerate() {
            // A comparison with zero bounds nothing that can wrap.
            let zero = ast
                .expr(other_id)
                .as_literal()
                .and_then(|l| l.number_value())
                == Some(0);
            if zero {
                continue;
            }
            // The caller's operand required to equal another value (a stored amount).
            if *cop == BinaryOp::Eq && asserted && this == kamount {
                return true;
            }
            // The caller's operand bounded from above by a constant.
            let this_smaller = (i == 0) == smaller_is_lhs;
            if ordering
                && this == kamount
                && is_constant(cx, body, other_id)
                && (this_smaller || !asserted)
            {
                return true;
            }
            match op {
                // The amount was compared with something (a balance it is taken from):
                // it moves existing value, which cannot exceed the supply.
                // (Not when the wrong account was checked: see `wrong_account`.)
                BinaryOp::Sub | BinaryOp::Add
                    if ordering && this == kb && (other == ka || !wrong_account) =>
                {
                    return true;
                }
                BinaryOp::Sub if ordering && this == ka && other == kb => {
                    return true;
                }
                BinaryOp::Add
                    if ordering && holders.contains(this) && (other == ka || other == kb) =>
                {
                    return true;
                }
                BinaryOp::Add
                    if ordering
                        && is_same_sum(cx, body, this, ka, kb)
                        && (other == ka || other == kb) =>
                {
                    return true;
                }
                BinaryOp::Mul if !ordering => {
                    let side = if this == &kl { l } else { r };
                    if let ExprKind::Binary {
                        op: BinaryOp::Div,
                        lhs: num,
                        rhs: den,
                    } = &ast.expr(side).kind
                    {
                        let kd = key(ast, text, *den);
                        let kn = key(ast, text, *num);
                        if (&kd == ka || &kd == kb) && (holders.contains(&kn) || &kn == ke) {
                            return true;
                        }
                    }
                }
                _ => {}
            }
        }
    }
    false
}

/// The comparisons of the modifiers `body`'s function invokes with arguments (those
/// declared in the same file), as `(lhs key, rhs key, operator)` with each parameter of
/// the modifier replaced by the key of its argument.
fn modifier_comparisons(cx: &FileContext<'_>, body: &Body<'_>) -> Vec<Comparison> {
    let model = cx.model();
    let ast = body.ast;
    let mut out = Vec::new();
    for inv in &body.def.modifiers {
        let Some(args) = inv.args.as_ref().map(|a| a.exprs()) else {
            continue;
        };
        let Some(m) = model
            .calls(body.function)
            .iter()
            .find_map(|c| match c.kind {
                semantics::CallKind::Modifier { modifier } if c.span == inv.span => {
                    model.function_of_item(modifier)
                }
                _ => None,
            })
        else {
            continue;
        };
        if model.function(m).item.file != cx.file {
            continue;
        }
        let Some(mbody) = ast
            .item(model.function(m).item.item)
            .as_function()
            .and_then(|d| d.body)
        else {
            continue;
        };
        let names: Vec<(String, String)> = model
            .params(m)
            .iter()
            .zip(&args)
            .map(|(&p, &a)| (model.var(p).name.to_string(), key(ast, cx.text, a)))
            .collect();
        for x in crate::analysis::access::exprs_within(ast, ast.stmt(mbody).span) {
            if let ExprKind::Binary { op, lhs, rhs } = &ast.expr(x).kind
                && crate::analysis::value_flow::is_comparison(*op)
            {
                let sub = |x: ExprId| substitute(&key(ast, cx.text, x), &names);
                out.push((sub(*lhs), sub(*rhs), *op));
            }
        }
    }
    out
}

/// `text` with each identifier equal to a name of `names` replaced by its value.
fn substitute(text: &str, names: &[(String, String)]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        match names.iter().find(|(n, _)| n == word) {
            Some((_, v)) => out.push_str(v),
            None => out.push_str(word),
        }
        word.clear();
    };
    for ch in text.chars() {
        if ch.is_alphanumeric() || ch == '_' || ch == '$' {
            word.push(ch);
        } else {
            flush(&mut word, &mut out);
            out.push(ch);
        }
    }
    flush(&mut word, &mut out);
    out
}

/// True when `k` is the text of `a + b` or `b + a`.
fn is_same_sum(_cx: &FileContext<'_>, _body: &Body<'_>, k: &str, ka: &str, kb: &str) -> bool {
    k == format!("{ka}+{kb}") || k == format!("{kb}+{ka}")
}

/// True when the sum `e` is a side of an `==` / `!=` comparison (a conservation check
/// such as `require(total == a + b)`), where a wrapped sum only makes the check fail.
fn in_equality(body: &Body<'_>, e: ExprId) -> bool {
    let ast = body.ast;
    if !matches!(
        ast.expr(e).kind,
        ExprKind::Binary {
            op: BinaryOp::Add,
            ..
        }
    ) {
        return false;
    }
    body.exprs.iter().any(|&c| match &ast.expr(c).kind {
        ExprKind::Binary {
            op: BinaryOp::Eq | BinaryOp::Ne,
            lhs,
            rhs,
        } => ast.skip_parens(*lhs) == e || ast.skip_parens(*rhs) == e,
        _ => false,
    })
}
