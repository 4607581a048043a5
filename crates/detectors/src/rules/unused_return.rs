use semantics::{CallKind, Type};
use syntax::ast::ContractKind;

use crate::analysis::call_results::CallResults;
use crate::declare::declare_detector;
use crate::detector::{Detector, FileContext};
use crate::finding::Finding;
use crate::meta::{Confidence, DetectorMeta, Severity};
use crate::rules::unchecked_erc20_transfer::erc20_bool_function;
use crate::rules::unchecked_low_level_call::call_target_text;

declare_detector! {
    /// ## What it detects
    /// A call of a function of another contract, declared to return values, whose values
    /// are all dropped: the call is an expression statement, or every returned value it
    /// is stored in is a local variable that nothing reads afterwards (by def-use
    /// chains). ERC20 `transfer`/`transferFrom`/`approve` have their own detector
    /// (`unchecked-erc20-transfer`); low-level calls theirs.
    ///
    /// ## Why it matters
    /// A returned value often carries the outcome (an amount actually received, a
    /// success flag, a new identifier). Code that drops it assumes the best case: it may
    /// credit an amount other than the one swapped, or carry on after a failure the
    /// callee reported instead of reverting.
    ///
    /// ## Example
    /// ```solidity
    /// function deposit(uint256 amount) external {
    ///     vault.deposit(amount, address(this));   // reported: the shares minted are ignored
    ///     credited[msg.sender] += amount;
    /// }
    /// ```
    ///
    /// ## Recommendation
    /// Use the returned values, or check them (`require(ok)`); if they really do not
    /// matter, say so by naming the dropped value in a comment at the call.
    pub(crate) struct UnusedReturn;
}

static META: DetectorMeta = DetectorMeta {
    id: "unused-return",
    title: "Return value of an external call ignored",
    severity: Severity::Low,
    confidence: Confidence::Medium,
    swc: Some("SWC-104"),
    category: "unchecked_return",
    description: "Every value an external call returns is ignored, so an outcome the callee reports is lost",
    recommendation: "Use or check the returned values",
    references: &["https://swcregistry.io/docs/SWC-104"],
    doc: UnusedReturn::DOC,
};

impl Detector for UnusedReturn {
    fn meta(&self) -> &'static DetectorMeta {
        &META
    }

    fn check_file(&self, cx: &FileContext<'_>, out: &mut Vec<Finding>) {
        let model = cx.model();
        let ast = cx.ast();
        for (f, _) in cx.functions() {
            let mut results = None;
            for site in model.calls(f) {
                let CallKind::HighLevel {
                    function: Some(function),
                    ..
                } = site.kind
                else {
                    continue;
                };
                let Some(callee) = model.function_of_item(function) else {
                    continue;
                };
                // `x.f()` through `using L for I` runs library code, not another contract.
                if model
                    .function(callee)
                    .contract
                    .is_some_and(|c| model.contract(c).kind == ContractKind::Library)
                {
                    continue;
                }
                let Some(call) = site.expr else { continue };
                // A declaration taking another number of arguments is not the one called
                // (e.g. a library function attached with `using ... for`).
                let arity = ast.expr(call).as_call().map(|(_, args)| args.len());
                if arity != Some(model.function(callee).arity) {
                    continue;
                }
                let returns_nothing = match model.type_of(cx.file, call) {
                    Type::Tuple(parts) => parts.is_empty(),
                    Type::Unknown => true,
                    _ => false,
                };
                if returns_nothing
                    || erc20_bool_function(
                        model,
                        cx.file,
                        call,
                        model.function(callee).arity,
                        function,
                    )
                    .is_some()
                {
                    continue;
                }
                let results = results.get_or_insert_with(|| CallResults::of(model, ast, f));
                let (stmt, used) = results.get(call);
                let Some(stmt) = stmt.filter(|_| !used.any_is_used()) else {
                    continue;
                };
                let target = call_target_text(cx, ast, call);
                out.push(cx.finding(
                    &META,
                    Some(f),
                    ast.stmt(stmt).span,
                    format!("the values `{target}` returns are ignored"),
                ));
            }
        }
    }
}
