use semantics::{CallKind, ItemRef, Model, Type};
use syntax::FileId;
use syntax::ast::{ElementaryType, ExprId};

use crate::analysis::call_results::CallResults;
use crate::declare::declare_detector;
use crate::detector::{Detector, FileContext};
use crate::finding::Finding;
use crate::meta::{Confidence, DetectorMeta, Severity};
use crate::rules::unchecked_low_level_call::{call_target_text, unchecked_finding};

declare_detector! {
    /// ## What it detects
    /// A call of an ERC20 `transfer(address,uint256)`, `transferFrom(address,address,uint256)`
    /// or `approve(address,uint256)`, declared (by the interface or contract it is called
    /// through) to return `bool`, whose result is dropped or stored in a local variable
    /// that nothing reads afterwards (or only copies into other locals nothing checks).
    ///
    /// A call of a token the contract created itself (`token = new Coin()`) whose
    /// `transfer` returns only `true` (it reverts on failure) is not reported: its
    /// result carries nothing to check.
    ///
    /// Calibration: on the triage set of real mainnet contracts (`bench/triage/`),
    /// 29 of 88 findings were right when this severity and confidence were set
    /// (`docs/benchmarks.md`, Precision).
    ///
    /// ## Why it matters
    /// ERC20 lets a token signal failure by returning `false` instead of reverting, and
    /// several deployed tokens do. Ignoring the result credits a deposit that never
    /// arrived or records a payment that never left: the contract's books drift from its
    /// real token balance, usually in the attacker's favour.
    ///
    /// ## Example
    /// ```solidity
    /// function deposit(uint256 amount) external {
    ///     token.transferFrom(msg.sender, address(this), amount);   // reported
    ///     balances[msg.sender] += amount;
    /// }
    /// ```
    ///
    /// ## Recommendation
    /// Use OpenZeppelin's `SafeERC20` (`token.safeTransfer`, `safeTransferFrom`,
    /// `forceApprove`), which also handles tokens that return nothing, or
    /// `require(token.transfer(to, amount))`.
    pub(crate) struct UncheckedErc20Transfer;
}

static META: DetectorMeta = DetectorMeta {
    id: "unchecked-erc20-transfer",
    title: "Unchecked ERC20 `transfer`, `transferFrom` or `approve`",
    severity: Severity::Low,
    confidence: Confidence::Low,
    swc: Some("SWC-104"),
    category: "erc20",
    description: "The boolean an ERC20 `transfer`, `transferFrom` or `approve` returns is ignored, so a \
                  token that signals failure with `false` goes unnoticed",
    recommendation: "Use `SafeERC20` (`safeTransfer`, `safeTransferFrom`, `forceApprove`) or check the result",
    references: &[
        "https://eips.ethereum.org/EIPS/eip-20",
        "https://docs.openzeppelin.com/contracts/5.x/api/token/erc20#SafeERC20",
    ],
    doc: UncheckedErc20Transfer::DOC,
};

impl Detector for UncheckedErc20Transfer {
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
                let Some(call) = site.expr else { continue };
                let args = ast.expr(call).as_call().map_or(0, |(_, a)| a.len());
                if erc20_bool_function(model, cx.file, call, args, function).is_none()
                    || (created_here(cx, call) && never_returns_false(model, function))
                {
                    continue;
                }
                let results = results.get_or_insert_with(|| CallResults::of(model, ast, f));
                let Some((span, why)) = results.unchecked_flag_through(model, ast, cx.file, call)
                else {
                    continue;
                };
                let what = format!("the boolean `{}` returns", call_target_text(cx, ast, call));
                out.push(unchecked_finding(cx, &META, f, span, &what, why));
            }
        }
    }
}

/// `transfer`, `transferFrom` or `approve` with the ERC20 parameter types (as far as
/// the declaration names them), whose call `call` (in `file`, with `args` arguments)
/// yields one `bool`.
pub(crate) fn erc20_bool_function(
    model: &Model<'_>,
    file: FileId,
    call: ExprId,
    args: usize,
    function: ItemRef,
) -> Option<&'static str> {
    let f = model.function_of_item(function)?;
    let info = model.function(f);
    let (name, params): (&'static str, &[Type]) = match info.name.as_str() {
        "transfer" => ("transfer", &[Type::ADDRESS, Type::UINT256]),
        "transferFrom" => (
            "transferFrom",
            &[Type::ADDRESS, Type::ADDRESS, Type::UINT256],
        ),
        "approve" => ("approve", &[Type::ADDRESS, Type::UINT256]),
        _ => return None,
    };
    if info.arity != params.len()
        || args != params.len()
        || *model.type_of(file, call) != Type::BOOL
    {
        return None;
    }
    // Named parameters must have the ERC20 types (unnamed ones are not in the model).
    let named = model.params(f);
    if named.len() == params.len()
        && !named
            .iter()
            .zip(params)
            .all(|(&v, p)| same_abi_type(&model.var(v).ty, p))
    {
        return None;
    }
    Some(name)
}

/// True when the token called is a state variable of this file that only ever holds
/// contracts this code creates (`token = new Coin()`): then the declared type is the
/// code that runs. A token address set from outside may be any contract.
fn created_here(cx: &FileContext<'_>, call: ExprId) -> bool {
    use syntax::ast::ExprKind;
    let (model, ast) = (cx.model(), cx.ast());
    let Some((callee, _)) = ast.expr(call).as_call() else {
        return false;
    };
    let Some((base, _)) = ast.expr(ast.skip_parens(callee)).as_member_access() else {
        return false;
    };
    let Some(semantics::Declaration::StateVar(var)) =
        model.declaration(cx.file, ast.skip_parens(base))
    else {
        return false;
    };
    if var.file != cx.file {
        return false;
    }
    // `new C(...)`, possibly converted: `C(new C())`.
    let creation = |e: ExprId| {
        let mut e = ast.skip_parens(e);
        for _ in 0..4 {
            match &ast.expr(e).kind {
                ExprKind::Call { callee, args } => {
                    if matches!(
                        ast.expr(ast.skip_parens(*callee)).kind,
                        ExprKind::New { .. }
                    ) {
                        return true;
                    }
                    match args.exprs().as_slice() {
                        [a] => e = ast.skip_parens(*a),
                        _ => return false,
                    }
                }
                _ => return false,
            }
        }
        false
    };
    let mut values = Vec::new();
    if let Some(v) = ast.item(var.item).as_variable().and_then(|d| d.value) {
        values.push(v);
    }
    for (_, e) in ast.exprs() {
        if let ExprKind::Assign { lhs, rhs, .. } = &e.kind
            && model.declaration(cx.file, ast.skip_parens(*lhs))
                == Some(semantics::Declaration::StateVar(var))
        {
            values.push(*rhs);
        }
    }
    !values.is_empty() && values.into_iter().all(creation)
}

/// True when the called function's own source is in the project and every `return`
/// in it returns `true`: it reverts on failure, so its result carries nothing to check
/// (a token the project defines, built on a reverting implementation).
fn never_returns_false(model: &Model<'_>, function: ItemRef) -> bool {
    use syntax::ast::{Literal, StmtKind};
    let Some(ast) = model.file_ast(function.file) else {
        return false;
    };
    let Some(body) = ast.item(function.item).as_function().and_then(|d| d.body) else {
        return false;
    };
    let span = ast.stmt(body).span;
    let mut returns = 0;
    for (_, stmt) in ast.stmts() {
        if stmt.span.lo < span.lo || stmt.span.hi > span.hi {
            continue;
        }
        if let StmtKind::Return { value } = &stmt.kind {
            let is_true = value.is_some_and(|v| {
                matches!(
                    ast.expr(ast.skip_parens(v)).as_literal(),
                    Some(Literal::Bool(true))
                )
            });
            if !is_true {
                return false;
            }
            returns += 1;
        }
    }
    returns > 0
}

/// Address types match regardless of `payable`; `uint` is `uint256`.
fn same_abi_type(declared: &Type, expected: &Type) -> bool {
    match (declared, expected) {
        (
            Type::Elementary(ElementaryType::Address { .. }),
            Type::Elementary(ElementaryType::Address { .. }),
        ) => true,
        _ => declared == expected,
    }
}
