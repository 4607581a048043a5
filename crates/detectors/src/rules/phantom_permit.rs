use semantics::{CallKind, Declaration, FunctionId, LowLevelKind};
use syntax::ast::{Ast, ExprId, ExprKind, Literal, StmtKind};

use crate::analysis::access::is_msg_sender;
use crate::analysis::derived::{BodyNodes, body_nodes, conditions, member_call, var_of};
use crate::analysis::value_flow::{key, subexprs};
use crate::declare::declare_detector;
use crate::detector::{Detector, FileContext};
use crate::finding::Finding;
use crate::meta::{Confidence, DetectorMeta, Severity};

declare_detector! {
    /// ## What it detects
    /// An EIP-2612 `permit(owner, ...)` whose success proves nothing, followed in the
    /// same function by `transferFrom(owner, ...)` (or `safeTransferFrom`) of that
    /// owner, when the owner is not `msg.sender`:
    ///
    /// - a low-level call encoding the `permit` selector
    ///   (`abi.encodeWithSignature("permit(...)", ...)`, `encodeWithSelector`,
    ///   `encodeCall`), checked or not;
    /// - `try token.permit(...) {} catch {}`, the failure ignored;
    /// - `token.permit(...)` on a token the caller chooses (a parameter or a value
    ///   derived from one).
    ///
    /// Not reported: a check that the owner's nonce moved (`nonces(owner)` compared in
    /// a condition, as `SafeERC20.safePermit` does), a permit of `msg.sender`, and
    /// `permit` called directly on a stored token (the contract knows its token).
    ///
    /// ## Why it matters
    /// A token without `permit` but with a fallback function that does not revert
    /// (WETH) accepts the call: the low-level call succeeds, nothing is approved, and
    /// nothing signals it. The following `transferFrom(owner, ...)` then spends any
    /// allowance `owner` gave the contract earlier, for whoever called, with a made-up
    /// signature (the Multichain "phantom permit" losses). A `try`/`catch` that ignores
    /// the failure has the same effect with any token.
    ///
    /// ## Example
    /// ```solidity
    /// function depositWithPermit(address owner, uint256 amount, uint8 v, bytes32 r, bytes32 s) external {
    ///     (bool ok, ) = address(token).call(
    ///         abi.encodeWithSignature("permit(address,address,uint256,uint256,uint8,bytes32,bytes32)",
    ///             owner, address(this), amount, block.timestamp, v, r, s));   // reported
    ///     require(ok);
    ///     token.transferFrom(owner, address(this), amount);
    /// }
    /// ```
    ///
    /// ## Recommendation
    /// Pull from `msg.sender` only, or use `SafeERC20.safePermit`, which checks that the
    /// owner's nonce increased, and accept only tokens known to implement EIP-2612.
    pub(crate) struct PhantomPermit;
}

static META: DetectorMeta = DetectorMeta {
    id: "phantom-permit",
    title: "Permit whose success proves nothing, then `transferFrom` of the owner",
    severity: Severity::Low,
    confidence: Confidence::Medium,
    swc: None,
    category: "access_control",
    description: "A permit call that may silently do nothing is taken as the owner's consent, and the \
                  owner's tokens are pulled with `transferFrom`",
    recommendation: "Pull from `msg.sender`, or check the nonce increment as `SafeERC20.safePermit` does",
    references: &[
        "https://eips.ethereum.org/EIPS/eip-2612",
        "https://media.dedaub.com/phantom-functions-and-the-billion-dollar-no-op-c56f062ae49f",
    ],
    doc: PhantomPermit::DOC,
};

/// How the permit is called.
enum Shape {
    LowLevel,
    TryIgnored,
    ChosenToken,
}

impl Detector for PhantomPermit {
    fn meta(&self) -> &'static DetectorMeta {
        &META
    }

    fn check_file(&self, cx: &FileContext<'_>, out: &mut Vec<Finding>) {
        let model = cx.model();
        let ast = cx.ast();
        let file = cx.file;
        for (f, info) in cx.functions() {
            if ast
                .item(info.item.item)
                .as_function()
                .is_none_or(|d| d.body.is_none())
            {
                continue;
            }
            let nodes = body_nodes(ast, model, f);
            for &e in &nodes.exprs {
                let Some((owner, shape)) = permit_call(cx, f, &nodes, e) else {
                    continue;
                };
                if is_msg_sender(model, ast, file, owner) || nonce_checked(ast, &nodes) {
                    continue;
                }
                let Some(pull) = pull_from(cx, &nodes, owner, e) else {
                    continue;
                };
                let how = match shape {
                    Shape::LowLevel => {
                        "a low-level call succeeds on a token without `permit` whose fallback does not revert"
                    }
                    Shape::TryIgnored => "its failure is caught and ignored",
                    Shape::ChosenToken => {
                        "the caller chooses the token, and one without `permit` may accept the call through its fallback"
                    }
                };
                out.push(
                    cx.finding(
                        &META,
                        Some(f),
                        ast.expr(e).span,
                        format!(
                            "`{}` may approve nothing ({how}), yet `{}` pulls that owner's tokens",
                            cx.snippet(ast.expr(owner).span),
                            cx.snippet(ast.expr(pull).span)
                        ),
                    )
                    .with_secondary(
                        file,
                        ast.expr(pull).span,
                        "tokens pulled here",
                    ),
                );
            }
        }
    }
}

/// The owner argument of a permit call `e` and how it is called, when its success
/// proves nothing.
fn permit_call(
    cx: &FileContext<'_>,
    f: FunctionId,
    nodes: &BodyNodes,
    e: ExprId,
) -> Option<(ExprId, Shape)> {
    let (model, ast, file) = (cx.model(), cx.ast(), cx.file);
    let site = model.calls(f).iter().find(|s| s.expr == Some(e))?;
    let (base, name, args) = member_call(ast, e)?;
    match site.kind {
        CallKind::LowLevel {
            kind: LowLevelKind::Call,
            ..
        } => {
            let data = ast.skip_parens(*args.exprs().first()?);
            let (_, enc, enc_args) = member_call(ast, data)?;
            let enc_args = enc_args.exprs();
            let selector = *enc_args.first()?;
            let is_permit = match enc {
                "encodeWithSignature" => matches!(&ast.expr(selector).kind,
                    ExprKind::Literal(Literal::String { value, .. }) if value.starts_with("permit(")),
                "encodeWithSelector" | "encodeCall" => ast
                    .expr(ast.skip_parens(selector))
                    .as_member_access()
                    .is_some_and(|(b, m)| {
                        m.name == "permit"
                            || (m.name == "selector"
                                && ast
                                    .expr(b)
                                    .as_member_access()
                                    .is_some_and(|(_, m)| m.name == "permit"))
                    }),
                _ => false,
            };
            if !is_permit {
                return None;
            }
            let owner = if enc == "encodeCall" {
                match &ast.expr(ast.skip_parens(*enc_args.get(1)?)).kind {
                    ExprKind::Tuple { elements } => elements.first().copied().flatten()?,
                    _ => return None,
                }
            } else {
                *enc_args.get(1)?
            };
            Some((owner, Shape::LowLevel))
        }
        CallKind::HighLevel { .. } if name == "permit" && args.len() >= 7 => {
            let owner = *args.exprs().first()?;
            let tried = nodes.stmts.iter().any(|&s| match &ast.stmt(s).kind {
                StmtKind::Try { call, catches, .. } => {
                    ast.skip_parens(*call) == e && catches.iter().all(|c| !block_acts(ast, c.body))
                }
                _ => false,
            });
            if tried {
                return Some((owner, Shape::TryIgnored));
            }
            let token = strip_conversion(ast, base);
            let chosen = matches!(
                model.declaration(file, token),
                Some(Declaration::Param(_) | Declaration::Local(_))
            ) && cx.taint().expr(model, file, token).is_caller_controlled();
            chosen.then_some((owner, Shape::ChosenToken))
        }
        _ => None,
    }
}

/// True when a catch block does something: reverts, or runs any statement.
fn block_acts(ast: &Ast, body: syntax::ast::StmtId) -> bool {
    match &ast.stmt(body).kind {
        StmtKind::Block { stmts, .. } => !stmts.is_empty(),
        _ => true,
    }
}

/// `address(x)`, `IERC20(x)` → `x`.
fn strip_conversion(ast: &Ast, e: ExprId) -> ExprId {
    let e = ast.skip_parens(e);
    match &ast.expr(e).kind {
        ExprKind::Call { args, .. } if args.len() == 1 => args
            .exprs()
            .first()
            .map_or(e, |&a| strip_conversion(ast, a)),
        _ => e,
    }
}

/// True when a condition of the body reads a `nonces(...)` lookup (the nonce moved).
fn nonce_checked(ast: &Ast, nodes: &BodyNodes) -> bool {
    let reads_nonce = |x: ExprId| member_call(ast, x).is_some_and(|(_, n, _)| n == "nonces");
    if conditions(ast, nodes)
        .into_iter()
        .any(|c| subexprs(ast, c).into_iter().any(reads_nonce))
    {
        return true;
    }
    // `uint256 before = token.nonces(owner); ... require(token.nonces(owner) == before + 1)`
    // (read before and after, compared through a local).
    nodes.exprs.iter().filter(|&&x| reads_nonce(x)).count() >= 2
}

/// A `transferFrom(owner, ...)` / `safeTransferFrom(token, owner, ...)` after `permit`
/// pulling from the same owner.
fn pull_from(
    cx: &FileContext<'_>,
    nodes: &BodyNodes,
    owner: ExprId,
    permit: ExprId,
) -> Option<ExprId> {
    let (model, file, ast, text) = (cx.model(), cx.file, cx.ast(), cx.text);
    let after = ast.expr(permit).span.hi;
    let owner_var = var_of(model, file, ast, owner);
    let owner_key = key(ast, text, owner);
    let same = |a: ExprId| match owner_var {
        Some(v) => var_of(model, file, ast, a) == Some(v),
        None => key(ast, text, a) == owner_key,
    };
    nodes.exprs.iter().copied().find(|&x| {
        ast.expr(x).span.lo >= after
            && member_call(ast, x).is_some_and(|(_, n, args)| {
                let args = args.exprs();
                match n {
                    "transferFrom" if args.len() == 3 => args.first().is_some_and(|&a| same(a)),
                    "safeTransferFrom" if args.len() == 3 => args.first().is_some_and(|&a| same(a)),
                    "safeTransferFrom" if args.len() == 4 => args.get(1).is_some_and(|&a| same(a)),
                    _ => false,
                }
            })
    })
}
