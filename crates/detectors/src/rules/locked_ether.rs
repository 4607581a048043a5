use semantics::{Builtin, CallKind, ContractId, Declaration, FunctionId, LowLevelKind, Model};
use syntax::Span;
use syntax::ast::{ContractKind, ExprId, ExprKind, FunctionKind, StmtKind};

use crate::analysis::contracts::ContractIndex;
use crate::declare::declare_detector;
use crate::detector::{Detector, FileContext};
use crate::finding::Finding;
use crate::meta::{Confidence, DetectorMeta, Severity};

declare_detector! {
    /// ## What it detects
    /// A deployable contract that can receive ether (a `payable` function, `receive`, a
    /// payable fallback) while nothing in it or its bases can send ether out: no call
    /// with value, no `transfer` or `send`, no `selfdestruct`, no `delegatecall` (which
    /// runs code that could), no inline assembly. Contracts inherited by another contract
    /// of the project are judged through the most derived one.
    ///
    /// A payable function whose body reverts before doing anything (`revert()`,
    /// `throw`, `require(false)`) accepts no ether and is not counted, nor is a payable
    /// constructor (the deployer's ether, sent once, knowingly).
    ///
    /// Calibration: on the triage set of real mainnet contracts (`bench/triage/`),
    /// 11 of 15 findings were right when this severity and confidence were set
    /// (`docs/benchmarks.md`, Precision).
    ///
    /// ## Why it matters
    /// Every wei sent to the contract stays there forever: there is no code path that can
    /// move it, and contracts cannot be patched.
    ///
    /// ## Example
    /// ```solidity
    /// contract Presale {
    ///     mapping(address => uint) public paid;
    ///     function buy() external payable { paid[msg.sender] += msg.value; }   // reported
    /// }
    /// ```
    ///
    /// ## Recommendation
    /// Add a (guarded) way to withdraw the ether, or remove `payable` where the contract is
    /// not meant to hold ether.
    pub(crate) struct LockedEther;
}

static META: DetectorMeta = DetectorMeta {
    id: "locked-ether",
    title: "Contract receives ether but cannot send it",
    severity: Severity::Medium,
    confidence: Confidence::Medium,
    swc: None,
    category: "other",
    description: "The contract accepts ether but no code path can move it out, so it is locked \
                  forever",
    recommendation: "Add a guarded withdrawal, or do not accept ether",
    references: &["https://dasp.co/#item-10"],
    doc: LockedEther::DOC,
};

impl Detector for LockedEther {
    fn meta(&self) -> &'static DetectorMeta {
        &META
    }

    fn check_file(&self, cx: &FileContext<'_>, out: &mut Vec<Finding>) {
        let model = cx.model();
        let index = ContractIndex::of(cx);
        for c in cx.contracts() {
            let info = model.contract(c);
            if info.kind != ContractKind::Contract || index.is_inherited(c) {
                continue;
            }
            let Some(def) = cx.ast().item(info.item.item).as_contract() else {
                continue;
            };
            if is_stub(model, &index, c) {
                continue;
            }
            let Some((payable, payable_span)) = payable_entry(model, &index, c) else {
                continue;
            };
            if can_send(model, &index, c) {
                continue;
            }
            let what = match model.function(payable).kind {
                FunctionKind::Receive => "`receive`".to_owned(),
                FunctionKind::Fallback => "a payable fallback".to_owned(),
                _ => format!("the payable function `{}`", model.function(payable).name),
            };
            let mut finding = cx.finding(
                &META,
                None,
                def.name.span,
                format!(
                    "contract `{}` receives ether through {what} but no code can send it out",
                    info.name
                ),
            );
            finding.contract = Some(info.name.to_string());
            out.push(finding.with_secondary(
                model.function(payable).item.file,
                payable_span,
                "ether comes in here",
            ));
        }
    }
}

/// True when another contract of the project inherits from `c`.
/// A payable function of `c` or its bases, with its header span.
fn payable_entry(
    model: &Model<'_>,
    index: &ContractIndex,
    c: ContractId,
) -> Option<(FunctionId, Span)> {
    let lin = model.linearization(c);
    lin.iter().flat_map(|&b| index.declared(b)).find_map(|&f| {
        let info = model.function(f);
        // A payable constructor takes the deployer's ether once, knowingly.
        if !model.is_entry_point(f) || model.is_constructor(f) {
            return None;
        }
        let def = model
            .file_ast(info.item.file)?
            .item(info.item.item)
            .as_function()?;
        ((def.is_payable() || def.kind == FunctionKind::Receive) && !starts_with_revert(model, f))
            .then_some((f, def.header_span))
    })
}

/// True for a contract that only describes another one: a function without a body
/// (abstract, never deployed) or only empty bodies (an interface written as a
/// contract, used to call the real one).
fn is_stub(model: &Model<'_>, index: &ContractIndex, c: ContractId) -> bool {
    let mut any = false;
    for &b in model.linearization(c) {
        for &f in index.declared(b) {
            let info = model.function(f);
            let Some(def) = model
                .file_ast(info.item.file)
                .and_then(|ast| ast.item(info.item.item).as_function())
            else {
                continue;
            };
            if def.kind == FunctionKind::Modifier || model.is_constructor(f) {
                continue;
            }
            let Some(body) = def.body else {
                return true;
            };
            let ast = model.file_ast(info.item.file);
            let empty = ast.is_some_and(|ast| {
                matches!(&ast.stmt(body).kind, StmtKind::Block { stmts, .. } if stmts.is_empty())
            });
            if !empty {
                return false;
            }
            any = true;
        }
    }
    any
}

/// True when the body of `f` reverts before doing anything (`revert()`, `throw`,
/// `require(false)`, `require(msg.value == 0)`, `if (msg.value > 0) revert();`): the
/// function is payable in name only and takes no ether.
fn starts_with_revert(model: &Model<'_>, f: FunctionId) -> bool {
    let info = model.function(f);
    let Some(ast) = model.file_ast(info.item.file) else {
        return false;
    };
    let Some(body) = ast.item(info.item.item).as_function().and_then(|d| d.body) else {
        return false;
    };
    let StmtKind::Block { stmts, .. } = &ast.stmt(body).kind else {
        return false;
    };
    let Some(&first) = stmts.first() else {
        return false;
    };
    match &ast.stmt(first).kind {
        StmtKind::Revert { .. } | StmtKind::Throw => true,
        StmtKind::Expr(e) => {
            let Some((callee, args)) = ast.expr(ast.skip_parens(*e)).as_call() else {
                return false;
            };
            match model.declaration(info.item.file, callee) {
                Some(Declaration::Builtin(Builtin::Revert)) => true,
                Some(Declaration::Builtin(Builtin::Require | Builtin::Assert)) => {
                    args.exprs().first().is_some_and(|&c| {
                        matches!(
                            ast.expr(ast.skip_parens(c)).as_literal(),
                            Some(syntax::ast::Literal::Bool(false))
                        ) || no_value(model, info.item.file, ast, c, true)
                    })
                }
                _ => false,
            }
        }
        StmtKind::If {
            cond,
            then_branch,
            else_branch: None,
        } => {
            let first = match &ast.stmt(*then_branch).kind {
                StmtKind::Block { stmts, .. } => stmts.first().copied(),
                _ => Some(*then_branch),
            };
            no_value(model, info.item.file, ast, *cond, false)
                && first.is_some_and(|s| {
                    matches!(ast.stmt(s).kind, StmtKind::Revert { .. } | StmtKind::Throw)
                })
        }
        _ => false,
    }
}

/// With `holds`, true for `msg.value == 0`; without, for `msg.value > 0` or
/// `msg.value != 0` (the conditions that reject any ether).
fn no_value(
    model: &Model<'_>,
    file: syntax::FileId,
    ast: &syntax::ast::Ast,
    c: ExprId,
    holds: bool,
) -> bool {
    use syntax::ast::BinaryOp;
    let ExprKind::Binary { op, lhs, rhs } = &ast.expr(ast.skip_parens(c)).kind else {
        return false;
    };
    let is_value = |e: ExprId| {
        matches!(
            model.declaration(file, ast.skip_parens(e)),
            Some(Declaration::Builtin(Builtin::MsgValue))
        )
    };
    let is_zero = |e: ExprId| {
        ast.expr(ast.skip_parens(e))
            .as_literal()
            .and_then(|l| l.number_value())
            == Some(0)
    };
    let sides = (is_value(*lhs) && is_zero(*rhs)) || (is_value(*rhs) && is_zero(*lhs));
    sides
        && match op {
            BinaryOp::Eq => holds,
            BinaryOp::Ne => !holds,
            BinaryOp::Gt => !holds && is_value(*lhs),
            BinaryOp::Lt => !holds && is_value(*rhs),
            _ => false,
        }
}

/// True when some function of `c`'s hierarchy, or a library function they call, may move
/// ether: a call with value, `transfer`/`send`, `delegatecall`/`callcode`,
/// `selfdestruct`, or inline assembly (not analysed).
fn can_send(model: &Model<'_>, index: &ContractIndex, c: ContractId) -> bool {
    let lin = model.linearization(c);
    let mut functions: Vec<FunctionId> = lin
        .iter()
        .flat_map(|&b| index.declared(b).iter().copied())
        .collect();
    let own = functions.clone();
    for f in own {
        for g in model.summary(Some(c), f).callees {
            if !functions.contains(&g) {
                functions.push(g);
            }
        }
    }
    functions.iter().any(|&f| {
        model.calls(f).iter().any(|call| {
            matches!(
                call.kind,
                CallKind::LowLevel {
                    kind: LowLevelKind::Transfer
                        | LowLevelKind::Send
                        | LowLevelKind::DelegateCall
                        | LowLevelKind::CallCode,
                    ..
                } | CallKind::LowLevel { value: Some(_), .. }
                    | CallKind::HighLevel { value: Some(_), .. }
                    | CallKind::Creation { value: Some(_), .. }
            )
        }) || body_destroys_or_uses_assembly(model, f)
    })
}

fn body_destroys_or_uses_assembly(model: &Model<'_>, f: FunctionId) -> bool {
    let info = model.function(f);
    let Some(ast) = model.file_ast(info.item.file) else {
        return false;
    };
    let Some(body) = ast.item(info.item.item).as_function().and_then(|d| d.body) else {
        return false;
    };
    let span = ast.stmt(body).span;
    let inside = |s: Span| s.lo >= span.lo && s.hi <= span.hi;
    let assembly = ast
        .stmts()
        .any(|(_, s)| matches!(s.kind, StmtKind::Assembly { .. }) && inside(s.span));
    assembly
        || ast.exprs().any(|(id, e)| {
            inside(e.span)
                && matches!(e.kind, ExprKind::Ident(_))
                && matches!(
                    model.declaration(info.item.file, id),
                    Some(Declaration::Builtin(
                        Builtin::Selfdestruct | Builtin::Suicide
                    ))
                )
        })
}
