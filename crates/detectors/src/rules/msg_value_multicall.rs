use semantics::{Builtin, CallKind, ContractId, Declaration, FunctionId, LowLevelKind, Model};
use syntax::Span;
use syntax::ast::{Ast, ContractKind, ExprId, ExprKind};

use crate::analysis::access::{body_span, exprs_within, is_this};
use crate::analysis::call_results::{own_exprs, walk_expr, walk_stmts};
use crate::declare::declare_detector;
use crate::detector::{Detector, FileContext};
use crate::finding::Finding;
use crate::meta::{Confidence, DetectorMeta, Severity};

declare_detector! {
    /// ## What it detects
    /// `msg.value` read in a payable entry point of a contract that also has a payable
    /// batch function (`multicall`) which, in a loop, delegatecalls the contract itself
    /// (`address(this).delegatecall(data[i])`, `Address.functionDelegateCall(address(this),
    /// data[i])`) with calldata the caller chooses. Reads in the function's internal
    /// callees count; a comparison with zero (`require(msg.value == 0)`) does not.
    /// The batch function may be inherited.
    ///
    /// `msg.value` read in a plain loop is the `msg-value-in-loop` detector's.
    ///
    /// ## Why it matters
    /// A delegatecall keeps the caller's `msg.value`. Each call of the batch sees the
    /// whole ether sent with the transaction: a caller sends 1 ether once and runs
    /// `deposit()` ten times, credited with 10 ether paid from other users' funds.
    ///
    /// ## Example
    /// ```solidity
    /// function multicall(bytes[] calldata data) external payable {
    ///     for (uint256 i = 0; i < data.length; i++) {
    ///         (bool ok, ) = address(this).delegatecall(data[i]);
    ///         require(ok);
    ///     }
    /// }
    ///
    /// function deposit() external payable {
    ///     balances[msg.sender] += msg.value;   // reported
    /// }
    /// ```
    ///
    /// ## Recommendation
    /// Make the batch function non-payable, or account ether once: track what has been
    /// spent of `msg.value` across the batch (or use `address(this).balance` deltas)
    /// instead of reading `msg.value` in each call.
    pub(crate) struct MsgValueMulticall;
}

static META: DetectorMeta = DetectorMeta {
    id: "msg-value-multicall",
    title: "`msg.value` reused through a payable multicall",
    severity: Severity::Low,
    confidence: Confidence::Medium,
    swc: None,
    category: "other",
    description: "A payable multicall delegatecalls the contract several times with the same \
                  `msg.value`, and a payable function reads it each time",
    recommendation: "Make the multicall non-payable or track the ether spent across the batch",
    references: &[
        "https://www.paradigm.xyz/2021/08/two-rights-might-make-a-wrong",
        "https://github.com/Uniswap/v3-periphery/issues/52",
    ],
    doc: MsgValueMulticall::DOC,
};

impl Detector for MsgValueMulticall {
    fn meta(&self) -> &'static DetectorMeta {
        &META
    }

    fn check_file(&self, cx: &FileContext<'_>, out: &mut Vec<Finding>) {
        let (model, ast) = (cx.model(), cx.ast());
        let mut reported: Vec<Span> = Vec::new();
        for c in cx.contracts() {
            if matches!(
                model.contract(c).kind,
                ContractKind::Interface | ContractKind::Library
            ) {
                continue;
            }
            let functions = hierarchy(model, c);
            let Some((multicall, at)) = functions
                .iter()
                .find_map(|&f| self_multicall(cx, f).map(|s| (f, s)))
            else {
                continue;
            };
            for &p in &functions {
                if p == multicall || !payable_entry(model, p) {
                    continue;
                }
                let mut bodies = vec![p];
                bodies.extend(model.summary(Some(c), p).callees);
                for g in bodies {
                    if model.function(g).item.file != cx.file {
                        continue;
                    }
                    for read in value_reads(cx, g) {
                        let span = ast.expr(read).span;
                        if reported.contains(&span) {
                            continue;
                        }
                        reported.push(span);
                        out.push(
                            cx.finding(
                                &META,
                                Some(p),
                                span,
                                format!(
                                    "`msg.value` is read in `{}`, which the payable `{}` can run \
                                     several times with the same ether",
                                    model.function(p).name,
                                    model.function(multicall).name
                                ),
                            )
                            .with_secondary(
                                model.function(multicall).item.file,
                                at,
                                "delegatecall to the contract itself in a loop",
                            ),
                        );
                    }
                }
            }
        }
    }
}

/// The functions of `c`'s hierarchy that `c` dispatches to (overridden ones left out).
fn hierarchy(m: &Model<'_>, c: ContractId) -> Vec<FunctionId> {
    let bases = m.linearization(c);
    m.functions()
        .filter(|(_, info)| {
            info.contract.is_some_and(|k| bases.contains(&k))
                && m.dispatch(c, info.item) == info.item
        })
        .map(|(f, _)| f)
        .collect()
}

fn payable_entry(m: &Model<'_>, f: FunctionId) -> bool {
    let item = m.function(f).item;
    m.is_entry_point(f)
        && !m.is_constructor(f)
        && m.file_ast(item.file)
            .and_then(|a| a.item(item.item).as_function())
            .is_some_and(|d| d.is_payable())
}

/// Where payable `f` delegatecalls the contract itself in a loop, with calldata the
/// caller chooses.
fn self_multicall(cx: &FileContext<'_>, f: FunctionId) -> Option<Span> {
    let m = cx.model();
    if !payable_entry(m, f) {
        return None;
    }
    let item = m.function(f).item;
    let file = item.file;
    let ast = m.file_ast(file)?;
    let body = ast.item(item.item).as_function()?.body?;
    let mut found = None;
    walk_stmts(ast, body, &mut Vec::new(), &mut |s, loops| {
        if loops.is_empty() || found.is_some() {
            return;
        }
        for root in own_exprs(ast, s) {
            walk_expr(ast, root, &mut |x| {
                if found.is_none() && delegates_to_self(cx, f, file, ast, x) {
                    found = Some(ast.expr(x).span);
                }
            });
        }
    });
    found
}

/// `address(this).delegatecall(data)` or `functionDelegateCall(address(this), data)`
/// (a library's or the contract's own), with `data` chosen by the caller.
fn delegates_to_self(
    cx: &FileContext<'_>,
    f: FunctionId,
    file: syntax::FileId,
    ast: &Ast,
    call: ExprId,
) -> bool {
    let m = cx.model();
    let Some((_, args)) = ast.expr(call).as_call() else {
        return false;
    };
    let args = args.exprs();
    let caller_data = |e: ExprId| cx.taint().expr(m, file, e).is_caller_controlled();
    let site = m.calls(f).iter().find(|c| c.expr == Some(call));
    if let Some(CallKind::LowLevel {
        kind: LowLevelKind::DelegateCall,
        ..
    }) = site.map(|s| s.kind)
    {
        let target = crate::analysis::reentrancy::call_target(ast, call);
        return target.is_some_and(|t| is_this(m, ast, file, t))
            && args.first().is_some_and(|&d| caller_data(d));
    }
    let named = ast
        .callee_name(call)
        .is_some_and(|n| matches!(n.as_str(), "functionDelegateCall" | "_functionDelegateCall"));
    named
        && args.len() >= 2
        && args.first().is_some_and(|&t| is_this(m, ast, file, t))
        && args.get(1).is_some_and(|&d| caller_data(d))
}

/// The reads of `msg.value` in `g`'s body other than comparisons with zero.
fn value_reads(cx: &FileContext<'_>, g: FunctionId) -> Vec<ExprId> {
    let m = cx.model();
    let ast = cx.ast();
    let Some(body) = ast
        .item(m.function(g).item.item)
        .as_function()
        .and_then(|d| body_span(ast, d))
    else {
        return Vec::new();
    };
    let is_value = |e: ExprId| {
        ast.expr(e).as_member_access().is_some()
            && m.declaration(cx.file, e) == Some(Declaration::Builtin(Builtin::MsgValue))
    };
    let zero = |e: ExprId| {
        ast.expr(ast.skip_parens(e))
            .as_literal()
            .and_then(|l| l.number_value())
            == Some(0)
    };
    let mut exempt = Vec::new();
    for e in exprs_within(ast, body) {
        if let ExprKind::Binary { op, lhs, rhs } = &ast.expr(e).kind
            && op.is_comparison()
            && (zero(*lhs) || zero(*rhs))
        {
            exempt.push(ast.skip_parens(*lhs));
            exempt.push(ast.skip_parens(*rhs));
        }
    }
    exprs_within(ast, body)
        .filter(|&e| is_value(e) && !exempt.contains(&e))
        .collect()
}
