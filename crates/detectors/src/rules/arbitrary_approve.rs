use semantics::{CallKind, Declaration};
use syntax::ast::{Ast, ExprId, ExprKind};

use crate::analysis::access::{
    CallerChoice, checked_in_body, exprs_within, is_msg_sender, is_this, local_initializer,
    open_entries, written_by,
};
use crate::analysis::reentrancy::strip_conversions;
use crate::declare::declare_detector;
use crate::detector::{Detector, FileContext};
use crate::finding::Finding;
use crate::meta::{Confidence, DetectorMeta, Severity};
use crate::rules::arbitrary_send_eth::param_chosen;
use crate::rules::arbitrary_transfer_from::names_param;

declare_detector! {
    /// ## What it detects
    /// An approval of the contract's own tokens, `token.approve(spender, amount)`,
    /// `increaseAllowance`, or SafeERC20's `safeApprove`, `forceApprove` and
    /// `safeIncreaseAllowance` (bound with `using` or called on the library), whose
    /// `spender` is a parameter of a public or external function anyone can call
    /// (directly, or passed on through internal calls), with no check of the caller on
    /// the way.
    ///
    /// Not reported: approvals of `msg.sender` or of the contract itself, and
    /// approvals of an amount that is the caller's own position (`balances[msg.sender]`,
    /// directly or through a local): then the amount decides what a caller gets, a
    /// question of the caller's accounting, not of this check. Nor approvals of zero
    /// (a reset), approvals to a stored address (a router or vault the deployer
    /// configured), approvals of a token to itself (`IERC20(t).approve(t, n)`, as flash
    /// loan borrowers repay), and approvals in functions only a privileged caller
    /// reaches.
    ///
    /// ## Why it matters
    /// An allowance lets the spender pull the contract's tokens at any later time with
    /// `transferFrom`. If any caller chooses the spender, an attacker approves their
    /// own address and drains every token the contract holds, including other users'
    /// deposits.
    ///
    /// ## Example
    /// ```solidity
    /// function swap(address router, uint256 amount, bytes calldata data) external {
    ///     token.approve(router, amount);   // reported: `router` is the caller's choice
    ///     (bool ok, ) = router.call(data);
    ///     require(ok);
    /// }
    /// ```
    ///
    /// ## Recommendation
    /// Approve only trusted, stored spenders (a router set by the owner), restrict the
    /// function to privileged callers, or approve exactly the amount the caller
    /// supplied in the same transaction and reset the allowance to zero afterwards.
    pub(crate) struct ArbitraryApprove;
}

static META: DetectorMeta = DetectorMeta {
    id: "arbitrary-approve",
    title: "Approval of the contract's tokens to a spender the caller chooses",
    severity: Severity::Low,
    confidence: Confidence::Medium,
    swc: Some("SWC-105"),
    category: "access_control",
    description: "Anyone can make the contract approve a spender of their choice, which can \
                  then pull the contract's tokens",
    recommendation: "Approve only stored, trusted spenders, or restrict the function to privileged callers",
    references: &["https://swcregistry.io/docs/SWC-105"],
    doc: ArbitraryApprove::DOC,
};

impl Detector for ArbitraryApprove {
    fn meta(&self) -> &'static DetectorMeta {
        &META
    }

    fn check_file(&self, cx: &FileContext<'_>, out: &mut Vec<Finding>) {
        let model = cx.model();
        let ast = cx.ast();
        let entries = open_entries(cx);
        let open_written = written_by(model, &entries);
        let mut seen: Vec<ExprId> = Vec::new();
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
                // A library's approval is reported where the library is called.
                let in_library = model
                    .function(g)
                    .contract
                    .is_some_and(|c| model.contract(c).kind == syntax::ast::ContractKind::Library);
                if in_library {
                    continue;
                }
                for site in model.calls(g) {
                    let Some(call) = site.expr else { continue };
                    let Some((token, spender, amount)) = approval(cx, ast, call, site.kind) else {
                        continue;
                    };
                    if seen.contains(&call)
                        || checked_in_body(model, ast, cx.file, g, site.span)
                        || is_msg_sender(model, ast, cx.file, spender)
                        || is_this(model, ast, cx.file, spender)
                        || is_zero(ast, amount)
                        || same_name(cx, token, spender)
                        || own_position(cx, amount)
                        || !names_param(cx, spender)
                        || !param_chosen(&choice, spender, 3)
                    {
                        continue;
                    }
                    seen.push(call);
                    out.push(cx.finding(
                        &META,
                        Some(*entry),
                        ast.expr(call).span,
                        format!(
                            "any caller can make the contract approve `{}`, a spender it chooses, \
                             for its tokens",
                            cx.snippet(ast.expr(spender).span)
                        ),
                    ));
                }
            }
        }
    }
}

/// The token, spender and amount of an ERC20 approval made by the contract: `t.approve(s, n)`,
/// `t.increaseAllowance(s, n)`, `t.safeApprove(s, n)` (bound), `SafeERC20.forceApprove(t,
/// s, n)`.
fn approval(
    cx: &FileContext<'_>,
    ast: &Ast,
    call: ExprId,
    kind: CallKind,
) -> Option<(ExprId, ExprId, ExprId)> {
    let (callee, args) = ast.expr(call).as_call()?;
    let (base, member) = ast.expr(ast.skip_parens(callee)).as_member_access()?;
    let args = args.exprs();
    let bound = !matches!(
        cx.model().type_of(cx.file, base),
        semantics::Type::TypeType(_) | semantics::Type::Unknown
    );
    match (member.name.as_str(), args.as_slice(), kind) {
        ("approve" | "increaseAllowance", [s, n], CallKind::HighLevel { .. }) => {
            Some((base, *s, *n))
        }
        (
            "safeApprove" | "forceApprove" | "safeIncreaseAllowance",
            [s, n],
            CallKind::HighLevel { .. } | CallKind::Library { .. },
        ) if bound => Some((base, *s, *n)),
        (
            "safeApprove" | "forceApprove" | "safeIncreaseAllowance",
            [t, s, n],
            CallKind::Library { .. },
        ) if !bound => Some((*t, *s, *n)),
        _ => None,
    }
}

fn is_zero(ast: &Ast, e: ExprId) -> bool {
    ast.expr(ast.skip_parens(e))
        .as_literal()
        .and_then(|l| l.number_value())
        == Some(0)
}

/// The token and the spender are the same variable (`IERC20(token).approve(token, n)`):
/// the token contract itself may pull, which only a token the caller chose can abuse.
fn same_name(cx: &FileContext<'_>, token: ExprId, spender: ExprId) -> bool {
    let (m, ast) = (cx.model(), cx.ast());
    let t = strip_conversions(m, cx.file, ast, token);
    let s = strip_conversions(m, cx.file, ast, spender);
    match (m.declaration(cx.file, t), m.declaration(cx.file, s)) {
        (Some(a @ (Declaration::Param(_) | Declaration::Local(_))), Some(b)) => a == b,
        _ => false,
    }
}

/// The amount is the caller's own position: it reads state keyed by `msg.sender`
/// (`balances[msg.sender]`), directly or through the local it is stored in.
fn own_position(cx: &FileContext<'_>, amount: ExprId) -> bool {
    let (m, ast) = (cx.model(), cx.ast());
    let keyed = |e: ExprId| {
        exprs_within(ast, ast.expr(e).span).any(|x| match &ast.expr(x).kind {
            ExprKind::Index { index: Some(i), .. } => is_msg_sender(m, ast, cx.file, *i),
            _ => false,
        })
    };
    if keyed(amount) {
        return true;
    }
    match m.declaration(cx.file, ast.skip_parens(amount)) {
        Some(Declaration::Local(v)) => local_initializer(m, ast, v).is_some_and(keyed),
        _ => false,
    }
}
