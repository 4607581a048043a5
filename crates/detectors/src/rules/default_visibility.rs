use semantics::FunctionId;
use syntax::Version;
use syntax::ast::FunctionKind;

use syntax::ast::ExprKind;

use crate::analysis::access::{
    GrantKind, body_span, def_of, exprs_within, header_span, is_msg_sender, is_open_entry,
    privileged_writes_of, root_state_var,
};
use crate::declare::declare_detector;
use crate::detector::{Detector, FileContext};
use crate::finding::Finding;
use crate::meta::{Confidence, DetectorMeta, Severity};

declare_detector! {
    /// ## What it detects
    /// Before Solidity 0.5, a function without a visibility keyword is `public`. This
    /// detector reports such a function when it behaves like an internal helper:
    /// other functions of the contract call it, it changes state or sends ether, and
    /// it has no access check of its own. The callers usually check their inputs or
    /// their caller; the helper, public by default, skips all of that.
    ///
    /// ## Why it matters
    /// Anyone can call the helper directly with any arguments: re-run an
    /// initialisation, pay out, or reset state that the public entry points only
    /// change under conditions (the Parity multisig's `initMultiowned`).
    ///
    /// ## Example
    /// ```solidity
    /// pragma solidity ^0.4.15;
    /// contract Wallet {
    ///     function initWallet(address[] owners) only_uninitialized { setOwners(owners); }
    ///     function setOwners(address[] owners) {   // reported: public by default
    ///         ...
    ///     }
    /// }
    /// ```
    ///
    /// ## Recommendation
    /// Declare every function's visibility; make helpers `internal` or `private`.
    pub(crate) struct DefaultVisibility;
}

static META: DetectorMeta = DetectorMeta {
    id: "default-visibility",
    title: "Internal helper is public by default",
    severity: Severity::Low,
    confidence: Confidence::Low,
    swc: Some("SWC-100"),
    category: "access_control",
    description: "A function without visibility (public before 0.5) that other functions call as a helper changes \
                  state without an access check: anyone can call it directly",
    recommendation: "Declare the visibility of every function; make helpers `internal` or `private`",
    references: &["https://swcregistry.io/docs/SWC-100"],
    doc: DefaultVisibility::DOC,
};

impl Detector for DefaultVisibility {
    fn meta(&self) -> &'static DetectorMeta {
        &META
    }

    fn check_file(&self, cx: &FileContext<'_>, out: &mut Vec<Finding>) {
        let model = cx.model();
        let ast = cx.ast();
        if model
            .version(cx.file)
            .is_none_or(|v| v >= Version::new(0, 5, 0))
        {
            return;
        }
        let functions: Vec<FunctionId> = cx.functions().map(|(f, _)| f).collect();
        // Functions that the privileged-state detectors already report.
        let reported: Vec<FunctionId> = privileged_writes_of(cx)
            .into_iter()
            .filter(|w| matches!(w.kind, GrantKind::SelfGrant | GrantKind::CallerChosen))
            .map(|w| w.entry)
            .collect();
        for &f in &functions {
            let info = model.function(f);
            let Some(def) = def_of(ast, model, f) else {
                continue;
            };
            if info.kind != FunctionKind::Function
                || def.visibility.is_some()
                || def.is_legacy_fallback
                || !is_open_entry(model, ast, f)
                || reported.contains(&f)
                || only_own_entries(cx, f)
            {
                continue;
            }
            let called_by: Vec<FunctionId> = functions
                .iter()
                .copied()
                .filter(|&g| {
                    g != f
                        && model.function(g).contract == info.contract
                        // A fallback forwarding to a function makes it public API.
                        && model.function(g).kind == FunctionKind::Function
                        && model.internal_callees(None, g).contains(&f)
                })
                .collect();
            let Some(&caller) = called_by.first() else {
                continue;
            };
            let summary = model.summary(None, f);
            if summary.writes.is_empty() && !summary.sends_value {
                continue;
            }
            let caller_name = model.function(caller).name.as_str();
            let caller_name = if caller_name.is_empty() {
                "the fallback function"
            } else {
                caller_name
            };
            out.push(cx.finding(
                &META,
                Some(f),
                header_span(cx.text, def),
                format!(
                    "`{}` has no visibility, so it is public: a helper of `{caller_name}` that anyone can call directly",
                    info.name
                ),
            ));
        }
    }
}

/// True when every state write in `f`'s body is keyed by the caller
/// (`allowed[msg.sender][spender] = v`): the caller changes only its own entries.
fn only_own_entries(cx: &FileContext<'_>, f: FunctionId) -> bool {
    let (model, ast) = (cx.model(), cx.ast());
    let Some(body) = def_of(ast, model, f).and_then(|d| body_span(ast, d)) else {
        return false;
    };
    let mut any = false;
    for x in exprs_within(ast, body) {
        let ExprKind::Assign { lhs, .. } = &ast.expr(x).kind else {
            continue;
        };
        if root_state_var(model, ast, cx.file, *lhs).is_none() {
            continue;
        }
        any = true;
        let own = exprs_within(ast, ast.expr(*lhs).span).any(|y| {
            matches!(&ast.expr(y).kind, ExprKind::Index { index: Some(i), .. }
                if is_msg_sender(model, ast, cx.file, *i))
        });
        if !own {
            return false;
        }
    }
    any
}
