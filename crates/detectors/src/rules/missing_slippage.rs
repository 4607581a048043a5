use std::collections::HashSet;

use semantics::{CallKind, Declaration, FunctionId, Model};
use syntax::FileId;
use syntax::ast::{Ast, CallArgs, ExprId, ExprKind, ItemKind, Literal, StmtKind, UnaryOp};

use crate::analysis::derived::{
    BodyNodes, body_nodes, callee_of, conditions, local_closure, member_call, mentions_vars, var_of,
};
use crate::analysis::value_flow::is_time_read;
use crate::declare::declare_detector;
use crate::detector::{Detector, FileContext};
use crate::finding::Finding;
use crate::meta::{Confidence, DetectorMeta, Severity};

declare_detector! {
    /// ## What it detects
    /// A swap or a liquidity operation on a router or pool called with no slippage
    /// bound or no deadline:
    ///
    /// - the minimum-out argument (`amountOutMin`, `amountOutMinimum`, `minAmountOut`,
    ///   `amountAMin`, `amount0Min`, ...) is the literal `0`, directly or through a
    ///   local that only ever holds `0`;
    /// - the deadline argument is `block.timestamp` (always satisfied) or
    ///   `type(uint256).max`.
    ///
    /// The argument is identified by the parameter names of the called function when
    /// its declaration is in the project, by the field names of a struct argument
    /// (`ExactInputSingleParams({amountOutMinimum: 0, deadline: block.timestamp, ...})`,
    /// named or positional when the struct is declared), and otherwise by the
    /// signatures of the Uniswap v2 router (`swapExact*`, `swap*ForExact*`,
    /// `addLiquidity*`, `removeLiquidity*`). `sqrtPriceLimitX96` is a price limit, not
    /// a slippage bound, and is not reported. A zero minimum is not reported when the
    /// function compares the call's result in a condition, or compares anything with
    /// one of its parameters after the call (a slippage check of its own).
    ///
    /// ## Why it matters
    /// With a zero minimum the trade accepts any price: a searcher sandwiches it,
    /// moving the pool before and back after, and keeps the difference. A deadline of
    /// `block.timestamp` is checked against the block that includes the transaction,
    /// so it never fails: a pending transaction can be held and executed later at a
    /// worse price.
    ///
    /// ## Example
    /// ```solidity
    /// router.swapExactTokensForTokens(
    ///     amountIn,
    ///     0,                    // reported: any output accepted
    ///     path,
    ///     address(this),
    ///     block.timestamp       // reported: never expires
    /// );
    /// ```
    ///
    /// ## Recommendation
    /// Let the caller pass the minimum output (computed off-chain from a quote and a
    /// tolerance) and the deadline, or derive the minimum from a manipulation-resistant
    /// oracle price.
    pub(crate) struct MissingSlippage;
}

static META: DetectorMeta = DetectorMeta {
    id: "missing-slippage",
    title: "Swap or liquidity call without slippage bound or deadline",
    severity: Severity::Low,
    confidence: Confidence::Medium,
    swc: None,
    category: "front_running",
    description: "A swap or liquidity operation accepts any output amount or never expires, so it can be \
                  sandwiched or delayed",
    recommendation: "Pass a caller-chosen minimum output and deadline to the router",
    references: &[
        "https://docs.uniswap.org/contracts/v2/guides/smart-contract-integration/trading-from-a-smart-contract",
        "https://docs.uniswap.org/contracts/v3/guides/swaps/single-swaps",
    ],
    doc: MissingSlippage::DOC,
};

/// What an argument means to the router.
#[derive(Clone, Copy, PartialEq)]
enum Role {
    MinOut,
    Deadline,
}

/// Normalised name: lower case, without underscores.
fn normal(name: &str) -> String {
    name.chars()
        .filter(|&c| c != '_')
        .flat_map(char::to_lowercase)
        .collect()
}

/// The role of a parameter or field, from its name.
fn role_of(name: &str) -> Option<Role> {
    let n = normal(name);
    if n.contains("sqrtprice") || n.contains("limit") {
        return None;
    }
    if n == "deadline" || n.ends_with("deadline") {
        return Some(Role::Deadline);
    }
    let bound = n.starts_with("min") || n.ends_with("min") || n.ends_with("minimum");
    let amount =
        n.contains("amount") || n.contains("out") || n.contains("return") || n.contains("dy");
    (bound && amount).then_some(Role::MinOut)
}

/// The roles of the positional arguments of the Uniswap v2 router functions: `(name,
/// arity, minimum-out indexes, deadline index)`.
const V2_ROUTER: &[(&str, usize, &[usize], usize)] = &[
    ("swapExactTokensForTokens", 5, &[1], 4),
    (
        "swapExactTokensForTokensSupportingFeeOnTransferTokens",
        5,
        &[1],
        4,
    ),
    ("swapExactETHForTokens", 4, &[0], 3),
    (
        "swapExactETHForTokensSupportingFeeOnTransferTokens",
        4,
        &[0],
        3,
    ),
    ("swapExactTokensForETH", 5, &[1], 4),
    (
        "swapExactTokensForETHSupportingFeeOnTransferTokens",
        5,
        &[1],
        4,
    ),
    ("swapTokensForExactTokens", 5, &[], 4),
    ("swapTokensForExactETH", 5, &[], 4),
    ("swapETHForExactTokens", 4, &[], 3),
    ("addLiquidity", 8, &[4, 5], 7),
    ("addLiquidityETH", 6, &[2, 3], 5),
    ("removeLiquidity", 7, &[3, 4], 6),
    ("removeLiquidityETH", 6, &[2, 3], 5),
    ("removeLiquidityWithPermit", 11, &[3, 4], 6),
    ("removeLiquidityETHWithPermit", 10, &[2, 3], 5),
    (
        "removeLiquidityETHSupportingFeeOnTransferTokens",
        6,
        &[2, 3],
        5,
    ),
    (
        "removeLiquidityETHWithPermitSupportingFeeOnTransferTokens",
        10,
        &[2, 3],
        5,
    ),
];

impl Detector for MissingSlippage {
    fn meta(&self) -> &'static DetectorMeta {
        &META
    }

    fn check_file(&self, cx: &FileContext<'_>, out: &mut Vec<Finding>) {
        let model = cx.model();
        let ast = cx.ast();
        for (f, info) in cx.functions() {
            if ast
                .item(info.item.item)
                .as_function()
                .is_none_or(|d| d.body.is_none())
            {
                continue;
            }
            let nodes = body_nodes(ast, model, f);
            let mut reported = HashSet::new();
            for &e in &nodes.exprs {
                let ExprKind::Call { args, .. } = &ast.expr(e).kind else {
                    continue;
                };
                for (role, arg) in roles(cx, f, e, args) {
                    if !reported.insert(arg) {
                        continue;
                    }
                    let bad = match role {
                        Role::MinOut => {
                            is_zero(model, cx.file, ast, &nodes, arg)
                                && !checked_after(model, cx.file, ast, f, &nodes, e)
                        }
                        Role::Deadline => is_unbounded_deadline(model, cx.file, ast, &nodes, arg),
                    };
                    if !bad {
                        continue;
                    }
                    let call = outer_call(model, cx.file, ast, &nodes, e);
                    let text = cx.snippet(ast.expr(arg).span);
                    let literal =
                        !matches!(ast.expr(ast.skip_parens(arg)).kind, ExprKind::Ident(_));
                    let text = if literal {
                        format!("`{text}`")
                    } else {
                        format!("`{text}`, which only ever holds that value")
                    };
                    let message = match role {
                        Role::MinOut if !literal => format!(
                            "`{}` accepts any output: the minimum amount is {text} (`0`)",
                            callee_text(cx, ast, call)
                        ),
                        Role::MinOut => format!(
                            "`{}` accepts any output: the minimum amount is {text}",
                            callee_text(cx, ast, call)
                        ),
                        Role::Deadline => format!(
                            "`{}` never expires: the deadline is {text}",
                            callee_text(cx, ast, call)
                        ),
                    };
                    out.push(cx.finding(&META, Some(f), ast.expr(arg).span, message));
                }
            }
        }
    }
}

/// The callee text of a call, for messages (`router.swapExactTokensForTokens`).
fn callee_text<'a>(cx: &FileContext<'a>, ast: &Ast, call: ExprId) -> &'a str {
    match &ast.expr(call).kind {
        ExprKind::Call { callee, .. } => cx.snippet(ast.expr(*callee).span),
        _ => cx.snippet(ast.expr(call).span),
    }
}

/// The call a struct literal is passed to, when it is built inline or in a local
/// (`router.exactInputSingle(params)`); `e` itself when it is not a struct literal or
/// is passed nowhere.
fn outer_call(model: &Model<'_>, file: FileId, ast: &Ast, nodes: &BodyNodes, e: ExprId) -> ExprId {
    let ExprKind::Call { callee, .. } = &ast.expr(e).kind else {
        return e;
    };
    let literal = matches!(
        model.declaration(file, ast.skip_parens(*callee)),
        Some(Declaration::Struct(_))
    ) || ast
        .expr(e)
        .as_call()
        .is_some_and(|(_, a)| matches!(a, CallArgs::Named(_)));
    if !literal {
        return e;
    }
    let holder: HashSet<_> = nodes
        .stmts
        .iter()
        .filter_map(|&s| match &ast.stmt(s).kind {
            StmtKind::VarDecl {
                decls,
                value: Some(v),
                ..
            } if ast.skip_parens(*v) == e => decls
                .iter()
                .flatten()
                .filter_map(|d| d.name.as_ref())
                .find_map(|n| model.var_declared_at(file, n.span)),
            _ => None,
        })
        .collect();
    nodes
        .exprs
        .iter()
        .copied()
        .find(|&c| {
            c != e
                && ast.expr(c).as_call().is_some_and(|(_, args)| {
                    args.exprs().iter().any(|&a| {
                        let a = ast.skip_parens(a);
                        a == e || var_of(model, file, ast, a).is_some_and(|v| holder.contains(&v))
                    })
                })
        })
        .unwrap_or(e)
}

/// The arguments of call `e` of `f` with a role, by parameter or field names, or by
/// the known router signatures.
fn roles(cx: &FileContext<'_>, f: FunctionId, e: ExprId, args: &CallArgs) -> Vec<(Role, ExprId)> {
    let (model, ast) = (cx.model(), cx.ast());
    let mut out = Vec::new();
    let ExprKind::Call { callee, .. } = &ast.expr(e).kind else {
        return out;
    };
    let callee = ast.skip_parens(*callee);
    let is_struct = matches!(
        model.declaration(cx.file, callee),
        Some(Declaration::Struct(_))
    );
    let site = model.calls(f).iter().find(|s| s.expr == Some(e));
    let external = site.is_some_and(|s| matches!(s.kind, CallKind::HighLevel { .. }));
    if let CallArgs::Named(named) = args {
        // Named arguments: the struct or call must reach an external call.
        let outer = outer_call(model, cx.file, ast, &body_nodes(ast, model, f), e);
        let reaches_call = model.calls(f).iter().any(|s| {
            (s.expr == Some(outer) || s.expr == Some(e))
                && matches!(s.kind, CallKind::HighLevel { .. })
        });
        if !reaches_call {
            return out;
        }
        for a in named {
            if let Some(r) = role_of(&a.name.name) {
                out.push((r, a.value));
            }
        }
        return out;
    }
    if !is_struct && !external {
        return out;
    }
    let args = args.exprs();
    // Names of the declaration: struct fields or function parameters.
    let names: Vec<String> =
        if let Some(Declaration::Struct(r)) = model.declaration(cx.file, callee) {
            model
                .file_ast(r.file)
                .and_then(|a| match &a.item(r.item).kind {
                    ItemKind::Struct(s) => Some(
                        s.fields
                            .iter()
                            .map(|d| {
                                d.name
                                    .as_ref()
                                    .map_or(String::new(), |n| n.name.to_string())
                            })
                            .collect(),
                    ),
                    _ => None,
                })
                .unwrap_or_default()
        } else {
            callee_of(model, f, e)
                .map(|g| {
                    model
                        .params(g)
                        .iter()
                        .map(|&p| model.var(p).name.to_string())
                        .collect()
                })
                .unwrap_or_default()
        };
    if names.len() == args.len() && names.iter().any(|n| role_of(n).is_some()) {
        for (n, &a) in names.iter().zip(&args) {
            if let Some(r) = role_of(n) {
                out.push((r, a));
            }
        }
        return out;
    }
    if is_struct {
        return out;
    }
    let Some((_, name, _)) = member_call(ast, e) else {
        return out;
    };
    if let Some(&(_, _, mins, deadline)) = V2_ROUTER
        .iter()
        .find(|(n, arity, _, _)| *n == name && *arity == args.len())
    {
        out.extend(
            mins.iter()
                .filter_map(|&i| args.get(i))
                .map(|&a| (Role::MinOut, a)),
        );
        out.extend(args.get(deadline).map(|&a| (Role::Deadline, a)));
    }
    out
}

/// The values a local of the body holds: its initialiser and assignments (`None`
/// for a compound assignment or a declaration without value, which may hold anything).
fn local_values(
    model: &Model<'_>,
    file: FileId,
    ast: &Ast,
    nodes: &BodyNodes,
    v: semantics::VarId,
) -> Option<Vec<ExprId>> {
    let mut out = Vec::new();
    for &s in &nodes.stmts {
        if let StmtKind::VarDecl { decls, value, .. } = &ast.stmt(s).kind
            && decls
                .iter()
                .flatten()
                .filter_map(|d| d.name.as_ref())
                .any(|n| model.var_declared_at(file, n.span) == Some(v))
        {
            match value {
                Some(x) if decls.len() == 1 => out.push(*x),
                _ => return None,
            }
        }
    }
    for &x in &nodes.exprs {
        if let ExprKind::Assign { lhs, rhs, op } = &ast.expr(x).kind {
            let l = ast.skip_parens(*lhs);
            let hits = crate::analysis::value_flow::subexprs(ast, l)
                .into_iter()
                .any(|y| var_of(model, file, ast, y) == Some(v));
            if hits {
                if op.is_some()
                    || l != ast.skip_parens(*lhs)
                    || var_of(model, file, ast, l) != Some(v)
                {
                    return None;
                }
                out.push(*rhs);
            }
        }
    }
    (!out.is_empty()).then_some(out)
}

/// `e` itself, or every value of the local it names.
fn values(model: &Model<'_>, file: FileId, ast: &Ast, nodes: &BodyNodes, e: ExprId) -> Vec<ExprId> {
    let e = ast.skip_parens(e);
    match model.declaration(file, e) {
        Some(Declaration::Local(v)) if matches!(ast.expr(e).kind, ExprKind::Ident(_)) => {
            local_values(model, file, ast, nodes, v).unwrap_or_default()
        }
        _ => vec![e],
    }
}

fn is_zero(model: &Model<'_>, file: FileId, ast: &Ast, nodes: &BodyNodes, e: ExprId) -> bool {
    let vs = values(model, file, ast, nodes, e);
    !vs.is_empty()
        && vs.iter().all(|&x| {
            let x = strip_conversion(ast, x);
            matches!(&ast.expr(x).kind, ExprKind::Literal(Literal::Number { text, unit: None, .. })
                if text.trim_start_matches("0x").chars().all(|c| c == '0'))
        })
}

fn is_unbounded_deadline(
    model: &Model<'_>,
    file: FileId,
    ast: &Ast,
    nodes: &BodyNodes,
    e: ExprId,
) -> bool {
    let vs = values(model, file, ast, nodes, e);
    !vs.is_empty()
        && vs.iter().all(|&x| {
            let x = strip_conversion(ast, x);
            is_time_read(model, file, x) || is_max(ast, x)
        })
}

/// `uint256(x)` → `x`.
fn strip_conversion(ast: &Ast, e: ExprId) -> ExprId {
    let e = ast.skip_parens(e);
    match &ast.expr(e).kind {
        ExprKind::Call { callee, args }
            if matches!(ast.expr(*callee).kind, ExprKind::ElementaryType(_)) && args.len() == 1 =>
        {
            args.exprs()
                .first()
                .map_or(e, |&a| strip_conversion(ast, a))
        }
        _ => e,
    }
}

/// `type(uint256).max`, `uint256(-1)`, `~uint256(0)`.
fn is_max(ast: &Ast, e: ExprId) -> bool {
    let e = ast.skip_parens(e);
    match &ast.expr(e).kind {
        ExprKind::Member { base, member } => {
            member.name == "max" && matches!(ast.expr(*base).kind, ExprKind::TypeOf { .. })
        }
        ExprKind::Unary {
            op: UnaryOp::Neg,
            operand,
        } => {
            matches!(&ast.expr(*operand).kind, ExprKind::Literal(Literal::Number { text, .. }) if text == "1")
        }
        ExprKind::Unary {
            op: UnaryOp::BitNot,
            operand,
        } => matches!(&ast.expr(strip_conversion(ast, *operand)).kind,
            ExprKind::Literal(Literal::Number { text, .. }) if text == "0"),
        _ => false,
    }
}

/// True when the function checks the outcome itself: a condition reads the call's
/// result, or a condition after the call compares with a parameter of the function.
fn checked_after(
    model: &Model<'_>,
    file: FileId,
    ast: &Ast,
    f: FunctionId,
    nodes: &BodyNodes,
    call: ExprId,
) -> bool {
    let call = outer_call(model, file, ast, nodes, call);
    let span = ast.expr(call).span;
    let mut results = HashSet::new();
    for &s in &nodes.stmts {
        if let StmtKind::VarDecl {
            decls,
            value: Some(v),
            ..
        } = &ast.stmt(s).kind
        {
            let vs = ast.expr(*v).span;
            if vs.lo <= span.lo && span.hi <= vs.hi {
                results.extend(
                    decls
                        .iter()
                        .flatten()
                        .filter_map(|d| d.name.as_ref())
                        .filter_map(|n| model.var_declared_at(file, n.span)),
                );
            }
        }
    }
    for &x in &nodes.exprs {
        if let ExprKind::Assign { lhs, rhs, .. } = &ast.expr(x).kind {
            let rs = ast.expr(*rhs).span;
            if rs.lo <= span.lo
                && span.hi <= rs.hi
                && let Some(v) = var_of(model, file, ast, *lhs)
            {
                results.insert(v);
            }
        }
    }
    let results = local_closure(model, file, ast, nodes, results);
    let params: HashSet<_> = model.params(f).iter().copied().collect();
    conditions(ast, nodes).into_iter().any(|c| {
        let cs = ast.expr(c).span;
        let inside = cs.lo <= span.lo && span.hi <= cs.hi;
        inside
            || mentions_vars(model, file, ast, c, &results)
            || (cs.lo >= span.hi && mentions_vars(model, file, ast, c, &params))
    })
}
