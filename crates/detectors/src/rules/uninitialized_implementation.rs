use std::collections::BTreeSet;

use semantics::{
    Builtin, CallKind, ContractId, Declaration, FunctionId, ItemRef, LowLevelKind, Model,
};
use syntax::ast::{ContractKind, ExprKind, FunctionKind, YulExprKind};

use crate::analysis::access::{def_of, exprs_within, header_span, privileged_state};
use crate::analysis::contracts::ContractIndex;
use crate::declare::declare_detector;
use crate::detector::{Detector, FileContext};
use crate::finding::Finding;
use crate::meta::{Confidence, DetectorMeta, Severity};

declare_detector! {
    /// ## What it detects
    /// An upgradeable implementation that anyone can initialize in its own storage: a
    /// deployable contract (not abstract, not inherited in the project) with an
    /// initializer (a public function carrying the `initializer` or `reinitializer`
    /// modifier) that writes privileged state (state the contract's guards compare
    /// the caller with, such as an owner or upgrader), whose code can `delegatecall`
    /// or `selfdestruct` (an upgrade function, a UUPS `upgradeToAndCall`), and no
    /// constructor of which locks the initializer: none calls `_disableInitializers()`,
    /// carries the `initializer` modifier, or writes the state the initializer's
    /// modifiers check.
    ///
    /// This is the implementation's side of initialization: whether the initializer
    /// itself is open to the first caller on the proxy is `unprotected-initializer`'s
    /// concern.
    ///
    /// ## Why it matters
    /// A proxy runs the initializer in the proxy's storage; the implementation contract
    /// itself stays uninitialized. Anyone can call its initializer directly, become its
    /// owner or upgrader, and then use the upgrade path to `delegatecall` a contract
    /// that self-destructs: every proxy pointing at the implementation is bricked
    /// (Parity wallet library 2017, the UUPS advisory of 2021, Ethernaut Motorbike).
    ///
    /// ## Example
    /// ```solidity
    /// contract Engine is Initializable, UUPSUpgradeable {
    ///     address public upgrader;
    ///     function initialize() external initializer {   // reported
    ///         upgrader = msg.sender;
    ///     }
    ///     function _authorizeUpgrade(address) internal view override {
    ///         require(msg.sender == upgrader);
    ///     }
    /// }
    /// ```
    ///
    /// ## Recommendation
    /// Lock the implementation in its constructor:
    /// `constructor() { _disableInitializers(); }` (OpenZeppelin 4.6 and later), or
    /// `constructor() initializer {}` with older versions.
    pub(crate) struct UninitializedImplementation;
}

static META: DetectorMeta = DetectorMeta {
    id: "uninitialized-implementation",
    title: "Implementation contract left open to initialization",
    severity: Severity::Low,
    confidence: Confidence::Medium,
    swc: None,
    category: "access_control",
    description: "An upgradeable implementation does not disable its initializers in its constructor, so \
                  anyone can initialize the implementation itself and take its privileged roles",
    recommendation: "Call `_disableInitializers()` in the implementation's constructor",
    references: &[
        "https://docs.openzeppelin.com/upgrades-plugins/writing-upgradeable#initializing_the_implementation_contract",
    ],
    doc: UninitializedImplementation::DOC,
};

/// Modifier names of OpenZeppelin's `Initializable`, a standard.
fn is_initializer_modifier(name: &str) -> bool {
    matches!(name, "initializer" | "reinitializer")
}

impl Detector for UninitializedImplementation {
    fn meta(&self) -> &'static DetectorMeta {
        &META
    }

    fn check_file(&self, cx: &FileContext<'_>, out: &mut Vec<Finding>) {
        let model = cx.model();
        let ast = cx.ast();
        let index = ContractIndex::of(cx);
        for c in cx.contracts() {
            let info = model.contract(c);
            if info.kind != ContractKind::Contract || index.is_inherited(c) {
                continue;
            }
            let functions: Vec<FunctionId> = model
                .linearization(c)
                .iter()
                .flat_map(|&b| index.declared(b).iter().copied())
                .collect();
            if !functions.iter().any(|&f| dangerous(model, f)) {
                continue;
            }
            let family: BTreeSet<ContractId> = model.linearization(c).iter().copied().collect();
            let privileged = privileged_state(model, &index, cx.file, ast, &family);
            let mut initializers = functions.iter().copied().filter(|&f| {
                model.is_entry_point(f)
                    && !model.is_constructor(f)
                    && has_initializer_modifier(model, f)
            });
            let Some((init, var)) = initializers.find_map(|f| {
                model
                    .summary(Some(c), f)
                    .writes
                    .into_iter()
                    .find(|v| privileged.contains(v))
                    .map(|v| (f, v))
            }) else {
                continue;
            };
            let guard_vars: Vec<ItemRef> = model
                .calls(init)
                .iter()
                .filter_map(|s| match s.kind {
                    CallKind::Modifier { modifier } => model.function_of_item(modifier),
                    _ => None,
                })
                .flat_map(|m| model.state_reads(m).iter().map(|a| a.var))
                .collect();
            let locked = functions
                .iter()
                .any(|&k| model.is_constructor(k) && locks(model, c, k, &guard_vars));
            if locked {
                continue;
            }
            let init_info = model.function(init);
            let span = if init_info.item.file == cx.file {
                def_of(ast, model, init).map(|d| header_span(cx.text, d))
            } else {
                None
            };
            let span = span.unwrap_or_else(|| {
                ast.item(info.item.item)
                    .as_contract()
                    .map_or(ast.item(info.item.item).span, |d| d.name.span)
            });
            let var_name = model
                .file_ast(var.file)
                .and_then(|a| a.item(var.item).as_variable())
                .map_or("privileged state", |v| v.name.as_str());
            out.push(cx.finding(
                &META,
                Some(init),
                span,
                format!(
                    "no constructor of implementation `{}` disables its initializers: anyone can \
                     call `{}` on the implementation itself and set `{var_name}`",
                    info.name, init_info.name
                ),
            ));
        }
    }
}

/// True when `f` carries a modifier named like `Initializable`'s (resolved or not).
fn has_initializer_modifier(model: &Model<'_>, f: FunctionId) -> bool {
    let item = model.function(f).item;
    model
        .file_ast(item.file)
        .and_then(|ast| ast.item(item.item).as_function())
        .is_some_and(|d| {
            d.modifiers.iter().any(|m| {
                m.path
                    .last()
                    .is_some_and(|n| is_initializer_modifier(n.as_str()))
            })
        })
}

/// True when constructor `k` locks the initializers: it carries `initializer`, calls
/// `_disableInitializers()`, or writes state the initializer's modifiers check.
fn locks(model: &Model<'_>, c: ContractId, k: FunctionId, guard_vars: &[ItemRef]) -> bool {
    if has_initializer_modifier(model, k) {
        return true;
    }
    let summary = model.summary(Some(c), k);
    if summary.writes.iter().any(|v| guard_vars.contains(v)) {
        return true;
    }
    std::iter::once(k)
        .chain(summary.callees.iter().copied())
        .any(|g| {
            let item = model.function(g).item;
            let Some(ast) = model.file_ast(item.file) else {
                return false;
            };
            let Some(body) = ast.item(item.item).as_function().and_then(|d| d.body) else {
                return false;
            };
            exprs_within(ast, ast.stmt(body).span).any(|x| {
                matches!(&ast.expr(x).kind, ExprKind::Call { callee, .. }
                    if ast.expr(ast.skip_parens(*callee)).is_ident("_disableInitializers"))
            })
        })
}

/// True when `f`'s own body can `delegatecall` or `selfdestruct`.
fn dangerous(model: &Model<'_>, f: FunctionId) -> bool {
    let info = model.function(f);
    if info.kind == FunctionKind::Modifier {
        return false;
    }
    let low_level = model.calls(f).iter().any(|s| {
        matches!(
            s.kind,
            CallKind::LowLevel {
                kind: LowLevelKind::DelegateCall | LowLevelKind::CallCode,
                ..
            }
        )
    });
    if low_level {
        return true;
    }
    let Some(ast) = model.file_ast(info.item.file) else {
        return false;
    };
    let Some(body) = ast.item(info.item.item).as_function().and_then(|d| d.body) else {
        return false;
    };
    let span = ast.stmt(body).span;
    let destructs = exprs_within(ast, span).any(|x| {
        matches!(
            model.declaration(info.item.file, x),
            Some(Declaration::Builtin(
                Builtin::Selfdestruct | Builtin::Suicide
            ))
        )
    });
    destructs
        || ast.yul_exprs().any(|(_, e)| {
            e.span.lo >= span.lo
                && e.span.hi <= span.hi
                && matches!(&e.kind, YulExprKind::Call { function, builtin: true, .. }
                    if matches!(function.as_str(), "delegatecall" | "selfdestruct"))
        })
}
