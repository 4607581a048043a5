use std::collections::HashSet;

use semantics::{CallKind, FunctionId, Model, VarId};
use syntax::FileId;
use syntax::ast::{Ast, ExprId, ExprKind, StmtKind};

use crate::analysis::derived::{
    BodyNodes, body_nodes, callee_of, checked_in, conditions, local_closure, member_call,
    mentions_vars, var_of,
};
use crate::declare::declare_detector;
use crate::detector::{Detector, FileContext};
use crate::finding::Finding;
use crate::meta::{Confidence, DetectorMeta, Severity};

declare_detector! {
    /// ## What it detects
    /// The answer of a Chainlink-style price feed read through an external call of
    /// `latestRoundData()` and used while nothing checks that it is fresh or that it
    /// is positive:
    ///
    /// - freshness: no condition reads the returned `updatedAt` (compared with
    ///   `block.timestamp` and a heartbeat, or at least with zero);
    /// - sign: no condition reads the returned answer (`answer > 0`).
    ///
    /// The result may be destructured with skipped positions
    /// (`(, int256 price, , , ) = feed.latestRoundData()`), into named locals, assigned
    /// to existing variables, or bound in `try ... returns (...)`. A check counts when
    /// it is made in the same function, on a local derived from the value
    /// (`uint256 age = block.timestamp - updatedAt`), in an internal function the
    /// values are passed to, or, when the function returns the value, by every caller
    /// that compares the returned value. `answeredInRound >= roundId` is accepted but
    /// not required. Reads of `latestAnswer()`, deprecated and without any timestamp,
    /// are reported whenever their value is used. Functions that merely forward the
    /// feed (a function itself named `latestRoundData` or `latestAnswer`) are not
    /// reported.
    ///
    /// ## Why it matters
    /// A feed that stops updating (heartbeat missed, sequencer down, feed deprecated)
    /// keeps returning its last answer: a protocol that trusts it lends against, or
    /// liquidates at, a price that is hours or days old. A feed can also return `0`
    /// or a negative answer, which converted to `uint256` is zero or an enormous
    /// price.
    ///
    /// ## Example
    /// ```solidity
    /// function collateralValue(uint256 amount) public view returns (uint256) {
    ///     (, int256 price, , , ) = feed.latestRoundData();   // reported
    ///     return amount * uint256(price) / 1e8;
    /// }
    /// ```
    ///
    /// ## Recommendation
    /// Check both: `require(price > 0)` and
    /// `require(block.timestamp - updatedAt <= HEARTBEAT)` with the feed's heartbeat,
    /// and fall back or pause when they fail. Replace `latestAnswer()` with
    /// `latestRoundData()`.
    pub(crate) struct OracleStalePrice;
}

static META: DetectorMeta = DetectorMeta {
    id: "oracle-stale-price",
    title: "Oracle price used without freshness or sign checks",
    severity: Severity::Low,
    confidence: Confidence::Medium,
    swc: None,
    category: "oracle",
    description: "A Chainlink-style feed answer is used without checking that it is recent and positive",
    recommendation: "Require `answer > 0` and `block.timestamp - updatedAt <= heartbeat`; do not use `latestAnswer()`",
    references: &[
        "https://docs.chain.link/data-feeds/api-reference#latestrounddata",
        "https://docs.chain.link/data-feeds#check-the-timestamp-of-the-latest-answer",
    ],
    doc: OracleStalePrice::DOC,
};

/// How many internal calls deep a check may sit.
const CHECK_DEPTH: u32 = 2;

impl Detector for OracleStalePrice {
    fn meta(&self) -> &'static DetectorMeta {
        &META
    }

    fn check_file(&self, cx: &FileContext<'_>, out: &mut Vec<Finding>) {
        let model = cx.model();
        let ast = cx.ast();
        for (f, info) in cx.functions() {
            let Some(def) = ast.item(info.item.item).as_function() else {
                continue;
            };
            if def.body.is_none() {
                continue;
            }
            let nodes = body_nodes(ast, model, f);
            for &e in &nodes.exprs {
                let Some((_, name, args)) = member_call(ast, e) else {
                    continue;
                };
                if !args.is_empty() || !matches!(name, "latestRoundData" | "latestAnswer") {
                    continue;
                }
                let external = model
                    .calls(f)
                    .iter()
                    .any(|s| s.expr == Some(e) && matches!(s.kind, CallKind::HighLevel { .. }));
                // An adapter implementing the feed interface forwards the call.
                if !external || info.name == name {
                    continue;
                }
                let message = if name == "latestAnswer" {
                    latest_answer(cx, f, &nodes, e)
                } else {
                    latest_round_data(cx, f, &nodes, e)
                };
                if let Some(message) = message {
                    let span = value_flow_span(cx, ast, &nodes, e);
                    out.push(cx.finding(&META, Some(f), span, message));
                }
            }
        }
    }
}

/// Where to report the read: the statement around it when it fits on three lines.
fn value_flow_span(cx: &FileContext<'_>, ast: &Ast, nodes: &BodyNodes, e: ExprId) -> syntax::Span {
    let own = ast.expr(e).span;
    nodes
        .stmts
        .iter()
        .rev()
        .map(|&s| ast.stmt(s))
        .find(|s| {
            s.span.lo <= own.lo
                && own.hi <= s.span.hi
                && matches!(
                    s.kind,
                    StmtKind::VarDecl { .. } | StmtKind::Expr(_) | StmtKind::Return { .. }
                )
        })
        .map(|s| s.span)
        .filter(|s| crate::analysis::value_flow::line_count(cx.text, *s) <= 3)
        .unwrap_or(own)
}

/// The variables bound to the positions of the tuple `latestRoundData()` returns
/// (`roundId, answer, startedAt, updatedAt, answeredInRound`), when the statement
/// around `call` destructures it.
fn bound_positions(
    model: &Model<'_>,
    file: FileId,
    ast: &Ast,
    nodes: &BodyNodes,
    call: ExprId,
) -> Option<Vec<Option<VarId>>> {
    for &s in &nodes.stmts {
        match &ast.stmt(s).kind {
            StmtKind::VarDecl {
                decls,
                value: Some(v),
                ..
            } if ast.skip_parens(*v) == call => {
                return Some(
                    decls
                        .iter()
                        .map(|d| {
                            d.as_ref()
                                .and_then(|d| d.name.as_ref())
                                .and_then(|n| model.var_declared_at(file, n.span))
                        })
                        .collect(),
                );
            }
            StmtKind::Try {
                call: c, returns, ..
            } if ast.skip_parens(*c) == call => {
                return Some(
                    returns
                        .iter()
                        .map(|d| {
                            d.name
                                .as_ref()
                                .and_then(|n| model.var_declared_at(file, n.span))
                        })
                        .collect(),
                );
            }
            _ => {}
        }
    }
    for &e in &nodes.exprs {
        if let ExprKind::Assign { lhs, rhs, op: None } = &ast.expr(e).kind
            && ast.skip_parens(*rhs) == call
            && let ExprKind::Tuple { elements } = &ast.expr(ast.skip_parens(*lhs)).kind
        {
            return Some(
                elements
                    .iter()
                    .map(|x| x.and_then(|x| var_of(model, file, ast, x)))
                    .collect(),
            );
        }
    }
    None
}

/// True when `v` is read somewhere in the body (not as a target of the destructuring
/// assignment of `call`).
fn is_read(
    model: &Model<'_>,
    file: FileId,
    ast: &Ast,
    nodes: &BodyNodes,
    call: ExprId,
    v: VarId,
) -> bool {
    let binding = nodes.exprs.iter().find_map(|&a| match &ast.expr(a).kind {
        ExprKind::Assign { lhs, rhs, .. } if ast.skip_parens(*rhs) == call => {
            Some(ast.expr(*lhs).span)
        }
        _ => None,
    });
    nodes.exprs.iter().any(|&x| {
        let s = ast.expr(x).span;
        var_of(model, file, ast, x) == Some(v)
            && binding.is_none_or(|l| !(l.lo <= s.lo && s.hi <= l.hi))
    })
}

fn latest_round_data(
    cx: &FileContext<'_>,
    f: FunctionId,
    nodes: &BodyNodes,
    call: ExprId,
) -> Option<String> {
    let (model, ast, file) = (cx.model(), cx.ast(), cx.file);
    let positions = bound_positions(model, file, ast, nodes, call)?;
    let answer = positions.get(1).copied().flatten()?;
    if !is_read(model, file, ast, nodes, call, answer) {
        return None;
    }
    let updated = positions.get(3).copied().flatten();
    let fresh = updated.is_some_and(|u| is_checked(model, f, u));
    let positive = is_checked(model, f, answer);
    let feed = cx.snippet(ast.expr(call).span);
    match (fresh, positive) {
        (true, true) => None,
        (false, true) => Some(format!(
            "the answer of `{feed}` is used without checking how old it is (`updatedAt` against `block.timestamp`)"
        )),
        (true, false) => Some(format!(
            "the answer of `{feed}` is used without checking that it is positive"
        )),
        (false, false) => Some(format!(
            "the answer of `{feed}` is used without checking that it is recent (`updatedAt`) and positive"
        )),
    }
}

fn latest_answer(
    cx: &FileContext<'_>,
    f: FunctionId,
    nodes: &BodyNodes,
    call: ExprId,
) -> Option<String> {
    let (model, ast, file) = (cx.model(), cx.ast(), cx.file);
    // A value discarded (`feed.latestAnswer();`) is not used.
    let discarded = nodes
        .stmts
        .iter()
        .any(|&s| matches!(ast.stmt(s).kind, StmtKind::Expr(x) if ast.skip_parens(x) == call));
    if discarded {
        return None;
    }
    // `latestTimestamp()` of the same feed compared in a condition.
    let dated = conditions(ast, nodes).into_iter().any(|c| {
        crate::analysis::value_flow::subexprs(ast, c)
            .into_iter()
            .any(|x| member_call(ast, x).is_some_and(|(_, n, _)| n == "latestTimestamp"))
    }) || {
        let stamps: HashSet<VarId> = nodes
            .stmts
            .iter()
            .filter_map(|&s| match &ast.stmt(s).kind {
                StmtKind::VarDecl {
                    decls,
                    value: Some(v),
                    ..
                } if member_call(ast, ast.skip_parens(*v))
                    .is_some_and(|(_, n, _)| n == "latestTimestamp") =>
                {
                    decls
                        .iter()
                        .flatten()
                        .filter_map(|d| d.name.as_ref())
                        .find_map(|n| model.var_declared_at(file, n.span))
                }
                _ => None,
            })
            .collect();
        !stamps.is_empty() && checked_in(model, f, &stamps, CHECK_DEPTH)
    };
    if dated {
        return None;
    }
    Some(format!(
        "`{}` is deprecated and returns no timestamp: the price may be stale",
        cx.snippet(ast.expr(call).span)
    ))
}

/// True when a condition reads `v` (or a value derived from it) in `f`, in an internal
/// function it is passed to, or, when `f` returns it, in each internal caller.
fn is_checked(model: &Model<'_>, f: FunctionId, v: VarId) -> bool {
    let seeds: HashSet<VarId> = [v].into_iter().collect();
    if checked_in(model, f, &seeds, CHECK_DEPTH) {
        return true;
    }
    let file = model.function(f).item.file;
    let Some(ast) = model.file_ast(file) else {
        return false;
    };
    let nodes = body_nodes(ast, model, f);
    let vars = local_closure(model, file, ast, &nodes, [v]);
    let returned = model.returns(f).iter().any(|r| vars.contains(r))
        || nodes.stmts.iter().any(|&s| {
            matches!(ast.stmt(s).kind, StmtKind::Return { value: Some(x) }
                if mentions_vars(model, file, ast, x, &vars))
        });
    if !returned {
        return false;
    }
    // The callers of `f` that read its result: each must check it.
    let mut callers = 0;
    for (g, info) in model.functions() {
        let Some(gast) = model.file_ast(info.item.file) else {
            continue;
        };
        for site in model.calls(g) {
            let Some(call) = site.expr else { continue };
            if !matches!(site.kind, CallKind::Internal { .. })
                || callee_of(model, g, call) != Some(f)
            {
                continue;
            }
            callers += 1;
            if !caller_checks(model, g, gast, call) {
                return false;
            }
        }
    }
    callers > 0
}

/// True when `g` compares the result of its call `call` in a condition.
fn caller_checks(model: &Model<'_>, g: FunctionId, ast: &Ast, call: ExprId) -> bool {
    let file = model.function(g).item.file;
    let nodes = body_nodes(ast, model, g);
    let conds = conditions(ast, &nodes);
    let call_span = ast.expr(call).span;
    if conds.iter().any(|&c| {
        let s = ast.expr(c).span;
        s.lo <= call_span.lo && call_span.hi <= s.hi
    }) {
        return true;
    }
    let mut seeds = HashSet::new();
    for &s in &nodes.stmts {
        if let StmtKind::VarDecl {
            decls,
            value: Some(v),
            ..
        } = &ast.stmt(s).kind
        {
            let vs = ast.expr(*v).span;
            if vs.lo <= call_span.lo && call_span.hi <= vs.hi {
                seeds.extend(
                    decls
                        .iter()
                        .flatten()
                        .filter_map(|d| d.name.as_ref())
                        .filter_map(|n| model.var_declared_at(file, n.span)),
                );
            }
        }
    }
    !seeds.is_empty() && checked_in(model, g, &seeds, CHECK_DEPTH)
}
