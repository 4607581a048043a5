use semantics::{CallKind, Cfg, LowLevelKind, NodeId, NodeKind};
use syntax::Span;
use syntax::ast::{ExprKind, UnaryOp};

use crate::analysis::access::{def_of, item_name, root_state_var};
use crate::analysis::call_results::{own_exprs, walk_expr};
use crate::declare::declare_detector;
use crate::detector::{Detector, FileContext};
use crate::finding::Finding;
use crate::meta::{Confidence, DetectorMeta, Severity};

declare_detector! {
    /// ## What it detects
    /// Contract state written on some path after a `transfer` or `send` of ether in the
    /// same function (directly, or by an internal function called after it): the
    /// checks-effects-interactions order reversed, with only the 2300-gas stipend of
    /// `transfer`/`send` keeping the recipient from re-entering. Modifiers are expanded
    /// (a write after `_` counts). Constructors and read-only functions are not
    /// reported; reentrancy through calls that forward all gas is the `reentrancy-*`
    /// detectors' concern.
    ///
    /// Informational: today the stipend is too small to re-enter and change state, so
    /// nothing is exploitable as written; the finding records an ordering that breaks
    /// as soon as the call changes to `call{value: ...}` or the gas cost of storage
    /// changes (as EIP-1884 and EIP-2929 did).
    ///
    /// ## Why it matters
    /// Code that relies on the stipend for safety is one refactoring away from a
    /// reentrancy: when `transfer` becomes `call` (the usual advice for contract
    /// recipients) the recipient can re-enter before the state is updated.
    ///
    /// ## Example
    /// ```solidity
    /// function withdraw() public {
    ///     msg.sender.transfer(balances[msg.sender]);
    ///     balances[msg.sender] = 0;   // written after the transfer: reported at the transfer
    /// }
    /// ```
    ///
    /// ## Recommendation
    /// Update state before sending ether (checks-effects-interactions), so the order is
    /// safe whatever the call forwards.
    pub(crate) struct StateWriteAfterTransfer;
}

static META: DetectorMeta = DetectorMeta {
    id: "state-write-after-transfer",
    title: "State written after `transfer` or `send`",
    severity: Severity::Informational,
    confidence: Confidence::High,
    swc: Some("SWC-107"),
    category: "reentrancy",
    description: "State is updated after ether is sent with `transfer` or `send`; only the 2300-gas stipend \
                  keeps the recipient from re-entering",
    recommendation: "Update state before sending ether",
    references: &[
        "https://swcregistry.io/docs/SWC-107",
        "https://docs.soliditylang.org/en/latest/security-considerations.html#use-the-checks-effects-interactions-pattern",
    ],
    doc: StateWriteAfterTransfer::DOC,
};

impl Detector for StateWriteAfterTransfer {
    fn meta(&self) -> &'static DetectorMeta {
        &META
    }

    fn check_file(&self, cx: &FileContext<'_>, out: &mut Vec<Finding>) {
        let model = cx.model();
        let ast = cx.ast();
        for (f, _) in cx.functions() {
            if model.is_constructor(f) || def_of(ast, model, f).is_none_or(|d| d.is_read_only()) {
                continue;
            }
            let Some(cfg) = model.cfg(f) else { continue };
            let mut reported: Vec<Span> = Vec::new();
            for n in cfg.node_ids() {
                for sent in stipend_sends(cx, &cfg, n) {
                    if reported.contains(&sent) {
                        continue;
                    }
                    let Some(write) = first_write_after(cx, &cfg, n) else {
                        continue;
                    };
                    reported.push(sent);
                    out.push(
                        cx.finding(
                            &META,
                            Some(f),
                            sent,
                            format!(
                                "`{}` is written after `{}`: only the 2300-gas stipend keeps the recipient from re-entering first",
                                write.1,
                                cx.snippet(sent)
                            ),
                        )
                        .with_secondary(cx.file, write.0, "written here, after the ether is sent"),
                    );
                }
            }
        }
    }
}

/// The `transfer`/`send` calls in statement or condition node `n`, when it is in this file.
fn stipend_sends(cx: &FileContext<'_>, cfg: &Cfg, n: NodeId) -> Vec<Span> {
    let node = cfg.node(n);
    let span = match node.kind {
        NodeKind::Stmt { file, stmt } if file == cx.file => cx.ast().stmt(stmt).span,
        // `if (to.send(amount)) { ... }`
        NodeKind::Condition { file, expr } if file == cx.file => cx.ast().expr(expr).span,
        _ => return Vec::new(),
    };
    cx.model()
        .calls(node.function)
        .iter()
        .filter(|site| {
            span.lo <= site.span.lo
                && site.span.hi <= span.hi
                && matches!(
                    site.kind,
                    CallKind::LowLevel {
                        kind: LowLevelKind::Transfer | LowLevelKind::Send,
                        ..
                    }
                )
        })
        .map(|site| site.span)
        .collect()
}

/// The first state write (in this file) on a path from the node after `from`: its span
/// and the variable's name.
fn first_write_after(cx: &FileContext<'_>, cfg: &Cfg, from: NodeId) -> Option<(Span, String)> {
    let mut seen = vec![false; cfg.nodes.len()];
    let mut queue: std::collections::VecDeque<NodeId> =
        cfg.node(from).succs.iter().map(|e| e.0).collect();
    while let Some(n) = queue.pop_front() {
        if n == Cfg::EXIT || n == Cfg::REVERT {
            continue;
        }
        match seen.get_mut(n.index()) {
            Some(s) if !*s => *s = true,
            _ => continue,
        }
        if let Some(w) = writes_in(cx, cfg, n) {
            return Some(w);
        }
        queue.extend(cfg.node(n).succs.iter().map(|e| e.0));
    }
    None
}

/// A state write in statement node `n` (in this file): an assignment, `++`/`--` or
/// `delete` of state, or a call of an internal function that writes state.
fn writes_in(cx: &FileContext<'_>, cfg: &Cfg, n: NodeId) -> Option<(Span, String)> {
    let node = cfg.node(n);
    let NodeKind::Stmt { file, stmt } = node.kind else {
        return None;
    };
    if file != cx.file {
        return None;
    }
    let (model, ast) = (cx.model(), cx.ast());
    let mut found = None;
    for e in own_exprs(ast, stmt) {
        walk_expr(ast, e, &mut |x| {
            if found.is_some() {
                return;
            }
            let place = match &ast.expr(x).kind {
                ExprKind::Assign { lhs, .. } => Some(*lhs),
                ExprKind::Unary { op, operand } if op.is_update() || *op == UnaryOp::Delete => {
                    Some(*operand)
                }
                _ => None,
            };
            if let Some(p) = place
                && let Some(var) = root_state_var(model, ast, cx.file, p)
            {
                found = Some((ast.expr(x).span, item_name(model, var)));
            }
        });
    }
    if found.is_some() {
        return found;
    }
    let span = ast.stmt(stmt).span;
    let md = model.function(node.function).contract;
    model.calls(node.function).iter().find_map(|site| {
        let CallKind::Internal { function, .. } = site.kind else {
            return None;
        };
        if site.span.lo < span.lo || site.span.hi > span.hi {
            return None;
        }
        let g = model.function_of_item(md.map_or(function, |md| model.dispatch(md, function)))?;
        let var = *model.summary(md, g).writes.first()?;
        Some((site.span, item_name(model, var)))
    })
}
