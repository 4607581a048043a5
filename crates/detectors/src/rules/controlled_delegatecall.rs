use semantics::{CallKind, Declaration, LowLevelKind};
use syntax::ast::{Ast, ExprId, ExprKind};

use crate::analysis::access::{
    CallerChoice, checked_in_body, open_entries, selector_chosen, written_by,
};
use crate::declare::declare_detector;
use crate::detector::{Detector, FileContext};
use crate::finding::Finding;
use crate::meta::{Confidence, DetectorMeta, Severity};

declare_detector! {
    /// ## What it detects
    /// `delegatecall` or `callcode` reachable from a function anyone can call (no
    /// access check on the way) when the caller chooses the target address or the
    /// call data: `target.delegatecall(data)` with a parameter as target, or
    /// forwarding `msg.data` or a parameter as the call data. A delegatecall to code
    /// stored in a mutable state variable from such a function is reported with lower
    /// confidence: that code runs with this contract's storage. Delegatecalls to the
    /// contract itself (`address(this)`) are not reported.
    ///
    /// ## Why it matters
    /// Delegated code runs in this contract's context: it writes its storage (owner,
    /// balances, implementation slot) and spends its ether. A caller who chooses the
    /// target runs arbitrary code as the contract; a caller who chooses the data can
    /// call every function of the library, including its initializers and
    /// `selfdestruct` (the Parity multisig losses).
    ///
    /// ## Example
    /// ```solidity
    /// function forward(address callee, bytes data) public {
    ///     require(callee.delegatecall(data));   // reported: both are the caller's
    /// }
    /// ```
    ///
    /// ## Recommendation
    /// Delegate only to trusted, fixed code (a constant or owner-set implementation),
    /// restrict who may trigger it, and whitelist the functions that may be forwarded.
    pub(crate) struct ControlledDelegatecall;
}

static META: DetectorMeta = DetectorMeta {
    id: "controlled-delegatecall",
    title: "Delegatecall controlled by the caller",
    severity: Severity::High,
    confidence: Confidence::Medium,
    swc: Some("SWC-112"),
    category: "access_control",
    description: "Anyone can make the contract delegatecall code or data of their choice, which runs with the \
                  contract's storage and balance",
    recommendation: "Delegate only to trusted fixed code, restrict the caller, and whitelist forwarded functions",
    references: &["https://swcregistry.io/docs/SWC-112"],
    doc: ControlledDelegatecall::DOC,
};

impl Detector for ControlledDelegatecall {
    fn meta(&self) -> &'static DetectorMeta {
        &META
    }

    fn check_file(&self, cx: &FileContext<'_>, out: &mut Vec<Finding>) {
        let model = cx.model();
        let ast = cx.ast();
        let mut seen = Vec::new();
        let entries = open_entries(cx);
        let open_written = written_by(model, &entries);
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
            for &g in reach {
                for site in model.calls(g) {
                    let CallKind::LowLevel {
                        kind: LowLevelKind::DelegateCall | LowLevelKind::CallCode,
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
                    if is_self(cx, ast, target)
                        || checked_in_body(model, ast, cx.file, g, ast.expr(call).span)
                    {
                        continue;
                    }
                    // The target itself (not an address looked up with a chosen key,
                    // which a registry vouches for).
                    let target_controlled = matches!(
                        ast.expr(ast.skip_parens(target)).kind,
                        ExprKind::Ident(_) | ExprKind::Member { .. }
                    ) && choice.leaf(target, 3);
                    let data_controlled = args
                        .exprs()
                        .first()
                        .is_some_and(|&d| selector_chosen(&choice, ast, d, 3));
                    let stored_target = matches!(
                        model.declaration(cx.file, ast.skip_parens(target)),
                        Some(Declaration::StateVar(r)) if !is_constant(cx, r)
                    );
                    let target_text = cx.snippet(ast.expr(target).span);
                    let (message, confidence, severity) = if target_controlled {
                        (
                            format!("the caller chooses the delegatecall target `{target_text}`"),
                            Confidence::High,
                            Severity::High,
                        )
                    } else if data_controlled {
                        (
                            format!(
                                "the caller chooses the data delegated to `{target_text}`: every function of that code runs as this contract"
                            ),
                            Confidence::Medium,
                            Severity::High,
                        )
                    } else if stored_target {
                        (
                            format!(
                                "anyone can trigger a delegatecall into the code at `{target_text}`, which runs with this contract's storage"
                            ),
                            Confidence::Low,
                            Severity::Medium,
                        )
                    } else {
                        continue;
                    };
                    seen.push(call);
                    let mut finding = cx.finding(&META, Some(*entry), ast.expr(call).span, message);
                    finding.confidence = confidence;
                    finding.severity = severity;
                    out.push(finding);
                }
            }
        }
    }
}

/// The address a low-level call is made on: `a` in `a.delegatecall(d)`,
/// `a.delegatecall.gas(g)(d)`, `a.delegatecall{gas: g}(d)`.
fn call_target(ast: &Ast, callee: ExprId) -> Option<ExprId> {
    let mut e = ast.skip_parens(callee);
    for _ in 0..8 {
        match &ast.expr(e).kind {
            ExprKind::CallOptions { callee, .. } => e = ast.skip_parens(*callee),
            ExprKind::Call { callee, .. } => e = ast.skip_parens(*callee),
            ExprKind::Member { base, member } => {
                if matches!(member.name.as_str(), "delegatecall" | "callcode") {
                    return Some(*base);
                }
                e = ast.skip_parens(*base);
            }
            _ => return None,
        }
    }
    None
}

/// `this`, `address(this)`.
fn is_self(cx: &FileContext<'_>, ast: &Ast, e: ExprId) -> bool {
    let e = ast.skip_parens(e);
    match &ast.expr(e).kind {
        ExprKind::Ident(_) => matches!(
            cx.model().declaration(cx.file, e),
            Some(Declaration::Builtin(semantics::Builtin::This))
        ),
        ExprKind::Call { args, .. } => {
            args.len() == 1 && args.exprs().first().is_some_and(|&a| is_self(cx, ast, a))
        }
        _ => false,
    }
}

/// True for `constant` and `immutable` state variables.
fn is_constant(cx: &FileContext<'_>, r: semantics::ItemRef) -> bool {
    if r.file != cx.file {
        return false;
    }
    cx.ast()
        .item(r.item)
        .as_variable()
        .is_some_and(|v| v.is_constant || v.is_immutable)
}
