use semantics::{CallKind, ContractId, Declaration, FunctionId, ItemRef, Model};
use syntax::FileId;
use syntax::ast::{Ast, BinaryOp, ContractKind, ExprId, ExprKind};

use crate::analysis::access::{body_span, exprs_within, is_msg_sender, local_initializer};
use crate::analysis::reentrancy::strip_conversions;
use crate::declare::declare_detector;
use crate::detector::{Detector, FileContext};
use crate::finding::Finding;
use crate::meta::{Confidence, DetectorMeta, Severity};

declare_detector! {
    /// ## What it detects
    /// A function only a privileged caller can run (the model's guards: `onlyOwner`,
    /// roles, `require(msg.sender == admin)`) that transfers out a token chosen by a
    /// parameter (`IERC20(token).transfer(to, amount)`, `token.safeTransfer(to,
    /// amount)`), in a contract that holds tokens for its users: state variables
    /// holding tokens that functions open to users pull in (`stakingToken.
    /// safeTransferFrom(msg.sender, address(this), amount)`). The function compares the
    /// token parameter with nothing, so it can move those deposits too. Tokens the
    /// contract only pays out (a reward token the admin funds) are not counted.
    ///
    /// A deposit is a pull in a function that credits the depositor (writes state keyed
    /// by `msg.sender`); the recovered amount must be a parameter or the whole balance.
    ///
    /// Not reported: a recovery that compares the token with something first
    /// (`require(token != stakingToken)`), one whose amount comes from the contract's
    /// accounting (`fees[token]`), and contracts whose open functions take no deposit
    /// (nothing of the users' is held).
    ///
    /// ## Why it matters
    /// A "rescue" or "sweep" function meant for tokens sent by mistake also reaches the
    /// tokens users deposited or earned. The admin, or whoever takes over the admin key,
    /// can withdraw every deposit in one call: a rug pull path users must trust away.
    ///
    /// ## Example
    /// ```solidity
    /// function recoverERC20(address token, uint256 amount) external onlyOwner {
    ///     IERC20(token).safeTransfer(owner(), amount);   // reported: may be `stakingToken`
    /// }
    /// ```
    ///
    /// ## Recommendation
    /// Exclude the accounted tokens (`require(token != address(stakingToken) && token !=
    /// address(rewardToken))`), or let the recovery take only the balance above what
    /// the contract owes its users.
    pub(crate) struct TokenRecoveryOwnToken;
}

static META: DetectorMeta = DetectorMeta {
    id: "token-recovery-own-token",
    title: "Token recovery can take the users' tokens",
    severity: Severity::Low,
    confidence: Confidence::Medium,
    swc: None,
    category: "access_control",
    description: "A privileged recovery function transfers any token out, including the tokens \
                  the contract holds for its users",
    recommendation: "Exclude the contract's accounted tokens from the recovery, or recover only \
                     the excess balance",
    references: &["https://github.com/code-423n4/2021-11-streaming-findings/issues/258"],
    doc: TokenRecoveryOwnToken::DOC,
};

impl Detector for TokenRecoveryOwnToken {
    fn meta(&self) -> &'static DetectorMeta {
        &META
    }

    fn check_file(&self, cx: &FileContext<'_>, out: &mut Vec<Finding>) {
        let (model, ast) = (cx.model(), cx.ast());
        for (f, info) in cx.functions() {
            let Some(c) = info.contract else { continue };
            if matches!(
                model.contract(c).kind,
                ContractKind::Interface | ContractKind::Library
            ) || !model.is_entry_point(f)
                || model.is_constructor(f)
                || !model.is_guarded(f)
            {
                continue;
            }
            let Some(body) = ast
                .item(info.item.item)
                .as_function()
                .and_then(|d| body_span(ast, d))
            else {
                continue;
            };
            let params = model.params(f);
            let mut found = None;
            for site in model.calls(f) {
                let Some(call) = site.expr else { continue };
                let Some(token) = token_transfer(model, cx.file, ast, call, site.kind) else {
                    continue;
                };
                let root = strip_conversions(model, cx.file, ast, token);
                if let Some(Declaration::Param(p)) = model.declaration(cx.file, root)
                    && params.contains(&p)
                {
                    found = Some((call, p));
                    break;
                }
            }
            let Some((call, param)) = found else { continue };
            // An amount the contract accounts for (`fees[token]`) is bounded by it.
            if !unaccounted_amount(model, cx.file, ast, call) {
                continue;
            }
            // `require(token != stakingToken)`, `if (token == asset) revert(...)`.
            let compared = exprs_within(ast, body).any(|e| match &ast.expr(e).kind {
                ExprKind::Binary {
                    op: BinaryOp::Eq | BinaryOp::Ne,
                    lhs,
                    rhs,
                } => [*lhs, *rhs].iter().any(|&x| {
                    exprs_within(ast, ast.expr(x).span)
                        .any(|y| model.declaration(cx.file, y) == Some(Declaration::Param(param)))
                }),
                _ => false,
            });
            if compared {
                continue;
            }
            let held = accounted_tokens(model, c);
            let Some(&first) = held.first() else { continue };
            let names: Vec<String> = held
                .iter()
                .take(3)
                .map(|&v| format!("`{}`", var_name(model, v)))
                .collect();
            let mut finding = cx.finding(
                &META,
                Some(f),
                ast.expr(call).span,
                format!(
                    "`{}` can transfer any token out, including {} that users' funds are held in",
                    info.name,
                    names.join(", ")
                ),
            );
            if let Some(vast) = model.file_ast(first.file) {
                finding = finding.with_secondary(
                    first.file,
                    vast.item(first.item).span,
                    "token the contract holds for its users",
                );
            }
            out.push(finding);
        }
    }
}

/// The token of an ERC20 transfer out: `t` in `t.transfer(to, n)`, `t.safeTransfer(to,
/// n)` (bound) or `SafeERC20.safeTransfer(t, to, n)`.
fn token_transfer(
    m: &Model<'_>,
    file: FileId,
    ast: &Ast,
    call: ExprId,
    kind: CallKind,
) -> Option<ExprId> {
    let (callee, args) = ast.expr(call).as_call()?;
    let (base, member) = ast.expr(ast.skip_parens(callee)).as_member_access()?;
    let args = args.exprs();
    let bound = !matches!(
        m.type_of(file, base),
        semantics::Type::TypeType(_) | semantics::Type::Unknown
    );
    match (member.name.as_str(), args.as_slice(), kind) {
        ("transfer", [_, _], CallKind::HighLevel { .. }) => Some(base),
        ("safeTransfer", [_, _], CallKind::HighLevel { .. } | CallKind::Library { .. })
            if bound =>
        {
            Some(base)
        }
        ("safeTransfer", [t, _, _], CallKind::Library { .. }) if !bound => Some(*t),
        _ => None,
    }
}

/// The state variables holding tokens that functions open to users (not guarded)
/// pull in: `stakingToken.safeTransferFrom(msg.sender, address(this), amount)`.
fn accounted_tokens(m: &Model<'_>, c: ContractId) -> Vec<ItemRef> {
    let bases = m.linearization(c);
    let mut out = Vec::new();
    let functions: Vec<FunctionId> = m
        .functions()
        .filter(|(_, info)| info.contract.is_some_and(|k| bases.contains(&k)))
        .map(|(g, _)| g)
        .collect();
    for g in functions {
        if m.is_guarded(g) || m.is_constructor(g) {
            continue;
        }
        let file = m.function(g).item.file;
        let Some(ast) = m.file_ast(file) else {
            continue;
        };
        for site in m.calls(g) {
            let Some(call) = site.expr else { continue };
            let Some((callee, args)) = ast.expr(call).as_call() else {
                continue;
            };
            let Some((base, member)) = ast.expr(ast.skip_parens(callee)).as_member_access() else {
                continue;
            };
            let token = match (member.name.as_str(), args.len(), site.kind) {
                ("transferFrom", 3, CallKind::HighLevel { .. }) => Some(base),
                ("safeTransferFrom", 3, CallKind::HighLevel { .. } | CallKind::Library { .. }) => {
                    Some(base)
                }
                _ => None,
            };
            let Some(token) = token else { continue };
            // A deposit is credited to the depositor: state keyed by `msg.sender`.
            if !credits_sender(m, g) {
                continue;
            }
            let root = strip_conversions(m, file, ast, token);
            if let Some(Declaration::StateVar(v)) = m.declaration(file, root)
                && !out.contains(&v)
            {
                out.push(v);
            }
        }
    }
    out
}

fn var_name(m: &Model<'_>, v: ItemRef) -> String {
    crate::analysis::access::item_name(m, v)
}

/// The amount transferred is a parameter or the whole balance (`token.balanceOf(
/// address(this))`), not a figure read from the contract's accounting.
fn unaccounted_amount(m: &Model<'_>, file: FileId, ast: &Ast, call: ExprId) -> bool {
    let Some((_, args)) = ast.expr(call).as_call() else {
        return false;
    };
    let Some(&amount) = args.exprs().last() else {
        return false;
    };
    let mut e = ast.skip_parens(amount);
    if let Some(Declaration::Local(v)) = m.declaration(file, e)
        && let Some(init) = local_initializer(m, ast, v)
    {
        e = init;
    }
    let mut state = false;
    let mut chosen = false;
    for x in exprs_within(ast, ast.expr(e).span) {
        match m.declaration(file, x) {
            Some(Declaration::StateVar(_)) if !is_balance_base(ast, x) => state = true,
            Some(Declaration::Param(_)) => chosen = true,
            _ => {}
        }
        if ast
            .callee_name(x)
            .is_some_and(|n| n.as_str() == "balanceOf")
        {
            chosen = true;
        }
    }
    chosen && !state
}

/// `x` is the token a `balanceOf` is asked of (`stakingToken.balanceOf(this)`).
fn is_balance_base(ast: &Ast, x: ExprId) -> bool {
    let span = ast.expr(x).span;
    ast.exprs().any(|(_, e)| {
        e.as_member_access()
            .is_some_and(|(b, m)| m.as_str() == "balanceOf" && ast.expr(b).span == span)
    })
}

/// `g` (or an internal function it calls) writes state keyed by `msg.sender`
/// (`staked[msg.sender] += amount`).
fn credits_sender(m: &Model<'_>, g: FunctionId) -> bool {
    let mut functions = vec![g];
    functions.extend(m.summary(m.function(g).contract, g).callees);
    functions.into_iter().any(|h| {
        let file = m.function(h).item.file;
        let Some(ast) = m.file_ast(file) else {
            return false;
        };
        m.state_writes(h).iter().any(|w| {
            exprs_within(ast, ast.expr(w.expr).span).any(|x| is_msg_sender(m, ast, file, x))
        })
    })
}
