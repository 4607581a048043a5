use semantics::{CallKind, Declaration};
use syntax::ast::{ExprId, ExprKind};

use crate::analysis::access::{
    CallerChoice, body_span, checked_in_body, def_of, exprs_within, held_values, is_msg_sender,
    is_this, open_entries, written_by,
};
use crate::declare::declare_detector;
use crate::detector::{Detector, FileContext};
use crate::finding::Finding;
use crate::meta::{Confidence, DetectorMeta, Severity};
use crate::rules::arbitrary_send_eth::param_chosen;

declare_detector! {
    /// ## What it detects
    /// A call of the ERC-20 `transferFrom(from, to, amount)` (or `safeTransferFrom`)
    /// from a function anyone can call, where `from` is a parameter the caller chooses
    /// rather than `msg.sender` or the contract itself (directly, or through a local
    /// holding it: `address payer = from;`), and nothing in the function
    /// relates `from` (or the local holding it) to the caller
    /// (`require(from == msg.sender)`, an allowance or operator lookup keyed by both).
    ///
    /// Calibration: on the triage set of real mainnet contracts (`bench/triage/`),
    /// 6 of 8 findings were right when this severity and confidence were set
    /// (`docs/benchmarks.md`, Precision).
    ///
    /// ## Why it matters
    /// Users approve the contract to move their tokens. If anyone can name the
    /// `from` account, anyone can move every approving user's tokens wherever the
    /// function sends them, up to the full allowance (often unlimited).
    ///
    /// ## Example
    /// ```solidity
    /// function deposit(address from, uint256 amount) external {
    ///     token.transferFrom(from, address(this), amount);   // reported
    ///     credit[msg.sender] += amount;
    /// }
    /// ```
    ///
    /// ## Recommendation
    /// Pull tokens from `msg.sender` only, or check that the caller is authorised to
    /// act for `from` (a signed permit, an operator approval).
    pub(crate) struct ArbitraryTransferFrom;
}

static META: DetectorMeta = DetectorMeta {
    id: "arbitrary-transfer-from",
    title: "`transferFrom` from an account the caller chooses",
    severity: Severity::High,
    confidence: Confidence::Medium,
    swc: Some("SWC-105"),
    category: "access_control",
    description: "Anyone can make the contract pull tokens from any account that approved it",
    recommendation: "Use `msg.sender` as `from`, or check the caller may act for `from`",
    references: &["https://swcregistry.io/docs/SWC-105"],
    doc: ArbitraryTransferFrom::DOC,
};

impl Detector for ArbitraryTransferFrom {
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
                for site in model.calls(g) {
                    let Some(call) = site.expr else { continue };
                    let Some((callee, args)) = ast.expr(call).as_call() else {
                        continue;
                    };
                    let Some((_, member)) = ast.expr(ast.skip_parens(callee)).as_member_access()
                    else {
                        continue;
                    };
                    let args = args.exprs();
                    // ERC-20 `transferFrom(from, to, amount)`, ERC-721
                    // `safeTransferFrom(from, to, id[, data])`, SafeERC20
                    // `token.safeTransferFrom(from, to, amount)` and
                    // `SafeERC20.safeTransferFrom(token, from, to, amount)`.
                    let library = matches!(site.kind, CallKind::Library { .. });
                    let bound = ast
                        .expr(ast.skip_parens(callee))
                        .as_member_access()
                        .is_some_and(|(base, _)| {
                            !model.type_of(cx.file, base).is_unknown()
                                && !matches!(
                                    model.type_of(cx.file, base),
                                    semantics::Type::TypeType(_)
                                )
                        });
                    let from = match (member.name.as_str(), args.len()) {
                        ("transferFrom", 3) if site.kind.is_external() => args[0],
                        ("safeTransferFrom", 3) => args[0],
                        ("safeTransferFrom", 4) if library && !bound => args[1],
                        ("safeTransferFrom", 4) => args[0],
                        _ => continue,
                    };
                    if matches!(site.kind, CallKind::Internal { .. }) {
                        continue;
                    }
                    // `from` itself, or the values of the local holding it
                    // (`address payer = source;`).
                    let chosen: Vec<ExprId> = held_values(model, ast, cx.file, from, 3)
                        .into_iter()
                        .filter(|&a| {
                            !is_msg_sender(model, ast, cx.file, a)
                                && !is_this(model, ast, cx.file, a)
                                && names_param(cx, a)
                                && param_chosen(&choice, a, 3)
                        })
                        .collect();
                    if seen.contains(&call)
                        || checked_in_body(model, ast, cx.file, g, site.span)
                        || is_msg_sender(model, ast, cx.file, from)
                        || chosen.is_empty()
                        || related_to_caller(cx, &choice, from)
                        || chosen.iter().any(|&a| related_to_caller(cx, &choice, a))
                    {
                        continue;
                    }
                    seen.push(call);
                    out.push(cx.finding(
                        &META,
                        Some(*entry),
                        ast.expr(call).span,
                        format!(
                            "any caller can move tokens from `{}`, an account it chooses",
                            cx.snippet(ast.expr(from).span)
                        ),
                    ));
                }
            }
        }
    }
}

/// True when some expression of the reach mentions both `from` and `msg.sender`:
/// `require(from == msg.sender)`, `allowed[from][msg.sender]`,
/// `isApprovedForAll(from, msg.sender)`.
fn related_to_caller(cx: &FileContext<'_>, choice: &CallerChoice<'_, '_>, from: ExprId) -> bool {
    let (model, ast) = (cx.model(), cx.ast());
    let Some(decl @ (Declaration::Param(_) | Declaration::Local(_))) =
        model.declaration(cx.file, ast.skip_parens(from))
    else {
        return false;
    };
    choice.reach.iter().any(|&g| {
        let Some(body) = def_of(ast, model, g).and_then(|d| body_span(ast, d)) else {
            return false;
        };
        exprs_within(ast, body).any(|x| {
            matches!(
                ast.expr(x).kind,
                ExprKind::Binary { .. } | ExprKind::Index { .. } | ExprKind::Call { .. }
            ) && {
                let inner: Vec<ExprId> = exprs_within(ast, ast.expr(x).span).collect();
                inner
                    .iter()
                    .any(|&y| model.declaration(cx.file, y) == Some(decl))
                    && inner.iter().any(|&y| is_msg_sender(model, ast, cx.file, y))
                    && !is_transfer_call(ast, x)
            }
        })
    })
}

/// The `transferFrom` call itself does not relate its arguments.
fn is_transfer_call(ast: &syntax::ast::Ast, x: ExprId) -> bool {
    ast.expr(x).as_call().is_some_and(|(callee, _)| {
        ast.expr(ast.skip_parens(callee))
            .as_member_access()
            .is_some_and(|(_, m)| m.name == "transferFrom" || m.name == "safeTransferFrom")
    })
}

/// `from` is a parameter or local itself (possibly converted), not a lookup keyed by
/// one (`wallets[reserve]` names an account the contract recorded).
pub(crate) fn names_param(cx: &FileContext<'_>, from: ExprId) -> bool {
    let ast = cx.ast();
    let mut e = ast.skip_parens(from);
    for _ in 0..4 {
        match ast.expr(e).as_call() {
            Some((callee, args))
                if matches!(
                    ast.expr(ast.skip_parens(callee)).kind,
                    ExprKind::ElementaryType(_)
                ) && args.len() == 1 =>
            {
                match args.exprs().first() {
                    Some(&a) => e = ast.skip_parens(a),
                    None => return false,
                }
            }
            _ => break,
        }
    }
    matches!(
        cx.model().declaration(cx.file, e),
        Some(Declaration::Param(_) | Declaration::Local(_))
    )
}
