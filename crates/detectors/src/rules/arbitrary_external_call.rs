use semantics::{CallKind, ContractId, Declaration, FunctionId, LowLevelKind, Model};
use syntax::FileId;
use syntax::ast::{Ast, ExprId, ExprKind};

use crate::analysis::access::{
    CallerChoice, checked_in_body, is_msg_sender, is_this, open_entries, selector_chosen,
    written_by,
};
use crate::analysis::contracts::ContractIndex;
use crate::analysis::derived::{body_nodes, callee_of, conditions, member_call, var_of};
use crate::analysis::value_flow::subexprs;
use crate::declare::declare_detector;
use crate::detector::{Detector, FileContext};
use crate::finding::Finding;
use crate::meta::{Confidence, DetectorMeta, Severity};

declare_detector! {
    /// ## What it detects
    /// A low-level `call` (`target.call(data)`, `target.call{value: v}(data)`) reachable
    /// from a function anyone can call (no access check on the way), when the caller
    /// chooses both the target address and the function the data calls: parameters of
    /// the entry point, through locals and internal calls, or `msg.data`; for the data
    /// also an encoding whose selector the caller chooses
    /// (`abi.encodePacked(data, ...)`, `abi.encodeWithSelector(selector, ...)`).
    /// Reported only in contracts that hold tokens or approvals: the contract is a token
    /// itself (it declares `transfer` or `transferFrom`) or it moves or approves tokens
    /// (`transfer`, `transferFrom`, `approve` and their `safe` forms).
    ///
    /// Not reported: calls to `msg.sender` or to the contract itself, targets checked
    /// against contract state in a condition (an allow-list `require(allowed[target])`,
    /// `require(target == router)`), calls under an access check, and data with a
    /// fixed selector (`abi.encodeWithSelector(IReceiver.onCall.selector, ...)`).
    ///
    /// ## Why it matters
    /// The call runs with the contract as `msg.sender`. A caller who picks a token as the
    /// target and `transferFrom(victim, attacker, amount)` as the data spends every
    /// allowance users gave the contract; `transfer(attacker, balance)` or
    /// `approve(attacker, max)` takes the contract's own tokens. Several router and
    /// bridge exploits were exactly this.
    ///
    /// ## Example
    /// ```solidity
    /// function approveAndCall(address spender, uint256 value, bytes memory data) public {
    ///     allowance[msg.sender][spender] = value;
    ///     spender.call(data);   // reported: target and data are the caller's
    /// }
    /// ```
    ///
    /// ## Recommendation
    /// Call only allow-listed targets, fix the selector
    /// (`abi.encodeWithSelector(IReceiver.onApproval.selector, ...)`), or restrict the
    /// function; never leave approvals with a contract that forwards arbitrary calls.
    pub(crate) struct ArbitraryExternalCall;
}

static META: DetectorMeta = DetectorMeta {
    id: "arbitrary-external-call",
    title: "Low-level call with caller-chosen target and data",
    severity: Severity::Low,
    confidence: Confidence::Medium,
    swc: None,
    category: "access_control",
    description: "Anyone can make the contract call any address with any data, which spends the \
                  approvals and tokens the contract holds",
    recommendation: "Allow-list the targets, fix the selector, or restrict the caller",
    references: &[
        "https://swcregistry.io/docs/SWC-107",
        "https://github.com/SunWeb3Sec/DeFiVulnLabs",
    ],
    doc: ArbitraryExternalCall::DOC,
};

impl Detector for ArbitraryExternalCall {
    fn meta(&self) -> &'static DetectorMeta {
        &META
    }

    fn check_file(&self, cx: &FileContext<'_>, out: &mut Vec<Finding>) {
        let model = cx.model();
        let ast = cx.ast();
        let mut seen = Vec::new();
        let entries = open_entries(cx);
        if entries.is_empty() {
            return;
        }
        let open_written = written_by(model, &entries);
        let index = ContractIndex::of(cx);
        for (entry, reach) in &entries {
            let Some(contract) = model.function(*entry).contract else {
                continue;
            };
            let choice = CallerChoice {
                model,
                ast,
                file: cx.file,
                entry: *entry,
                reach,
                open_written: &open_written,
                taint: cx.taint(),
            };
            let mut holds = None;
            for &g in reach {
                for site in model.calls(g) {
                    let CallKind::LowLevel {
                        kind: LowLevelKind::Call,
                        ..
                    } = site.kind
                    else {
                        continue;
                    };
                    let Some(call) = site.expr else { continue };
                    if seen.contains(&call) {
                        continue;
                    }
                    let Some((callee, args)) = ast.expr(call).as_call() else {
                        continue;
                    };
                    let Some(target) = call_target(ast, callee) else {
                        continue;
                    };
                    let target = strip_conversion(ast, target);
                    if is_msg_sender(model, ast, cx.file, target)
                        || is_this(model, ast, cx.file, target)
                        || !matches!(
                            ast.expr(target).kind,
                            ExprKind::Ident(_) | ExprKind::Member { .. }
                        )
                        || !target_chosen(&choice, ast, target, 3)
                    {
                        continue;
                    }
                    let Some(&data) = args.exprs().first() else {
                        continue;
                    };
                    if !(selector_chosen(&choice, ast, data, 3)
                        || packed_chosen(&choice, ast, data))
                    {
                        continue;
                    }
                    if checked_in_body(model, ast, cx.file, g, ast.expr(call).span)
                        || reach
                            .iter()
                            .any(|&h| data_inspected(model, cx.file, ast, h, data))
                        || reach
                            .iter()
                            .any(|&h| allow_listed(model, cx.file, ast, h, target))
                    {
                        continue;
                    }
                    if !*holds.get_or_insert_with(|| holds_assets(model, &index, contract)) {
                        continue;
                    }
                    seen.push(call);
                    let message = format!(
                        "the caller chooses both the target `{}` and the data of this call, made as this contract: \
                         any token it holds or any approval it was given can be spent",
                        cx.snippet(ast.expr(target).span)
                    );
                    out.push(cx.finding(&META, Some(*entry), ast.expr(call).span, message));
                }
            }
        }
    }
}

/// The address a low-level `call` is made on: `a` in `a.call(d)`, `a.call{value: v}(d)`,
/// `a.call.value(v)(d)`.
fn call_target(ast: &Ast, callee: ExprId) -> Option<ExprId> {
    let mut e = ast.skip_parens(callee);
    for _ in 0..8 {
        match &ast.expr(e).kind {
            ExprKind::CallOptions { callee, .. } | ExprKind::Call { callee, .. } => {
                e = ast.skip_parens(*callee);
            }
            ExprKind::Member { base, member } => {
                if member.name == "call" {
                    return Some(*base);
                }
                e = ast.skip_parens(*base);
            }
            _ => return None,
        }
    }
    None
}

/// `address(x)`, `payable(x)` → `x`.
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

/// `abi.encodePacked(data, ...)` whose first part (the selector) the caller chooses.
fn packed_chosen(choice: &CallerChoice<'_, '_>, ast: &Ast, data: ExprId) -> bool {
    member_call(ast, ast.skip_parens(data)).is_some_and(|(_, name, args)| {
        name == "encodePacked"
            && args
                .exprs()
                .first()
                .is_some_and(|&a| selector_chosen(choice, ast, a, 3))
    })
}

/// True when a condition of `h` checks `target` against contract state: looked up in a
/// state mapping or compared with a state variable.
fn allow_listed(model: &Model<'_>, file: FileId, ast: &Ast, h: FunctionId, target: ExprId) -> bool {
    let Some(decl) = model.declaration(file, target) else {
        return false;
    };
    let is_target = |x: ExprId| model.declaration(file, strip_conversion(ast, x)) == Some(decl);
    let is_state = |x: ExprId| {
        subexprs(ast, x)
            .into_iter()
            .any(|y| matches!(model.declaration(file, y), Some(Declaration::StateVar(_))))
    };
    let nodes = body_nodes(ast, model, h);
    conditions(ast, &nodes).into_iter().any(|c| {
        subexprs(ast, c)
            .into_iter()
            .any(|x| match &ast.expr(x).kind {
                ExprKind::Index {
                    base,
                    index: Some(i),
                } => is_target(*i) && is_state(*base),
                ExprKind::Binary { op, lhs, rhs } if op.is_comparison() => {
                    (is_target(*lhs) && is_state(*rhs)) || (is_target(*rhs) && is_state(*lhs))
                }
                ExprKind::Call { args, .. } => {
                    // `isAllowed(target)`, `registry.isTrusted(target)`: a lookup, not an action.
                    args.exprs().into_iter().any(is_target)
                        && callee_of(model, h, x).is_some_and(|g| {
                            model
                                .file_ast(model.function(g).item.file)
                                .and_then(|a| a.item(model.function(g).item.item).as_function())
                                .is_some_and(|d| d.is_read_only())
                        })
                }
                _ => false,
            })
    })
}

/// True when the contract is a token (declares `transfer` or `transferFrom`) or moves or
/// approves tokens somewhere in its linearization.
fn holds_assets(model: &Model<'_>, index: &ContractIndex, c: ContractId) -> bool {
    let token = ["transfer", "transferFrom"]
        .iter()
        .any(|n| matches!(model.lookup_member(c, n), Some(Declaration::Function(_))));
    if token {
        return true;
    }
    model.linearization(c).iter().any(|&base| {
        index.declared(base).iter().any(|&f| {
            let Some(ast) = model.file_ast(model.function(f).item.file) else {
                return false;
            };
            // Syntactic: the token's interface may be missing from the project.
            body_nodes(ast, model, f).exprs.into_iter().any(|e| {
                member_call(ast, e).is_some_and(|(_, n, args)| {
                    args.len() >= 2
                        && matches!(
                            n,
                            "transfer"
                                | "transferFrom"
                                | "safeTransfer"
                                | "safeTransferFrom"
                                | "approve"
                                | "safeApprove"
                                | "forceApprove"
                                | "safeIncreaseAllowance"
                        )
                }) && !model
                    .calls(f)
                    .iter()
                    .any(|s| s.expr == Some(e) && matches!(s.kind, CallKind::Internal { .. }))
            })
        })
    })
}

/// True when the caller chooses the address `e` itself: a parameter of the entry point,
/// or a parameter or local of a function along it holding such a value (not an address
/// looked up with a chosen key, which a registry vouches for).
fn target_chosen(choice: &CallerChoice<'_, '_>, ast: &Ast, e: ExprId, depth: u32) -> bool {
    let e = strip_conversion(ast, e);
    let model = choice.model;
    match model.declaration(choice.file, e) {
        Some(Declaration::Param(v)) if matches!(ast.expr(e).kind, ExprKind::Ident(_)) => {
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
                && choice
                    .args_to(f, i)
                    .into_iter()
                    .any(|a| target_chosen(choice, ast, a, depth - 1))
        }
        Some(Declaration::Local(v)) if matches!(ast.expr(e).kind, ExprKind::Ident(_)) => {
            let Some(f) = model.var(v).function else {
                return false;
            };
            depth > 0
                && choice
                    .assigned_values(f, v)
                    .into_iter()
                    .any(|a| target_chosen(choice, ast, a, depth - 1))
        }
        Some(Declaration::StateVar(_)) => choice.leaf(e, depth),
        _ => false,
    }
}

/// True when a condition of `h` reads the bytes of the call data (a check of its
/// selector: `require(data[0] != 0xa9 ...)`, `bytes4(data) == ...`).
fn data_inspected(model: &Model<'_>, file: FileId, ast: &Ast, h: FunctionId, data: ExprId) -> bool {
    let Some(v) = var_of(model, file, ast, data) else {
        return false;
    };
    let nodes = body_nodes(ast, model, h);
    conditions(ast, &nodes).into_iter().any(|c| {
        subexprs(ast, c)
            .into_iter()
            .any(|x| match &ast.expr(x).kind {
                ExprKind::Index { base, .. } | ExprKind::Slice { base, .. } => {
                    var_of(model, file, ast, *base)
                        .is_some_and(|b| b == v || same_name(model, b, v))
                }
                ExprKind::Call { callee, args } => {
                    matches!(ast.expr(*callee).kind, ExprKind::ElementaryType(_))
                        && args
                            .exprs()
                            .first()
                            .and_then(|&a| var_of(model, file, ast, a))
                            .is_some_and(|b| b == v || same_name(model, b, v))
                }
                _ => false,
            })
    })
}

/// Parameters passed down keep their name more often than not; a check in the entry
/// point of `data` covers `data` of the helper.
fn same_name(model: &Model<'_>, a: semantics::VarId, b: semantics::VarId) -> bool {
    model.var(a).name == model.var(b).name
}
