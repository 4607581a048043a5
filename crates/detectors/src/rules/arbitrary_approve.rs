use semantics::CallKind;
use syntax::ast::{Ast, ExprId};

use crate::analysis::access::{
    CallerChoice, checked_in_body, is_msg_sender, is_this, open_entries, written_by,
};
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
    /// Not reported: approvals of `msg.sender` or of the contract itself (the amount
    /// then decides what a caller gets, a question of the caller's position, not of
    /// this check), approvals of zero (a reset), approvals to a stored address (a
    /// router or vault the deployer configured), and approvals in functions only a
    /// privileged caller reaches.
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
                    let Some((spender, amount)) = approval(cx, ast, call, site.kind) else {
                        continue;
                    };
                    if seen.contains(&call)
                        || checked_in_body(model, ast, cx.file, g, site.span)
                        || is_msg_sender(model, ast, cx.file, spender)
                        || is_this(model, ast, cx.file, spender)
                        || is_zero(ast, amount)
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

/// The spender and amount of an ERC20 approval made by the contract: `t.approve(s, n)`,
/// `t.increaseAllowance(s, n)`, `t.safeApprove(s, n)` (bound), `SafeERC20.forceApprove(t,
/// s, n)`.
fn approval(
    cx: &FileContext<'_>,
    ast: &Ast,
    call: ExprId,
    kind: CallKind,
) -> Option<(ExprId, ExprId)> {
    let (callee, args) = ast.expr(call).as_call()?;
    let (base, member) = ast.expr(ast.skip_parens(callee)).as_member_access()?;
    let args = args.exprs();
    let bound = !matches!(
        cx.model().type_of(cx.file, base),
        semantics::Type::TypeType(_) | semantics::Type::Unknown
    );
    match (member.name.as_str(), args.as_slice(), kind) {
        ("approve" | "increaseAllowance", [s, n], CallKind::HighLevel { .. }) => Some((*s, *n)),
        (
            "safeApprove" | "forceApprove" | "safeIncreaseAllowance",
            [s, n],
            CallKind::HighLevel { .. } | CallKind::Library { .. },
        ) if bound => Some((*s, *n)),
        (
            "safeApprove" | "forceApprove" | "safeIncreaseAllowance",
            [_, s, n],
            CallKind::Library { .. },
        ) if !bound => Some((*s, *n)),
        _ => None,
    }
}

fn is_zero(ast: &Ast, e: ExprId) -> bool {
    ast.expr(ast.skip_parens(e))
        .as_literal()
        .and_then(|l| l.number_value())
        == Some(0)
}
