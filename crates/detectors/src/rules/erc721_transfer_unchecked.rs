use semantics::{CallKind, ContractId, Declaration, FunctionId, ItemRef, Model};
use syntax::Span;
use syntax::ast::{Ast, ContractKind, ExprId, ExprKind};

use crate::analysis::access::{body_span, exprs_within, is_msg_sender};
use crate::declare::declare_detector;
use crate::detector::{Detector, FileContext};
use crate::finding::Finding;
use crate::meta::{Confidence, DetectorMeta, Severity};

declare_detector! {
    /// ## What it detects
    /// A public or external `transferFrom`, `safeTransferFrom` or `transfer` of an
    /// ERC721-like contract (one that has `ownerOf` or `_owners`, or inherits an `ERC721`
    /// base whose source may be missing) that moves a token, by calling `_transfer`,
    /// `_safeTransfer` or `_update(to, id, address(0))` or by writing the state `ownerOf`
    /// reads (itself or in an internal helper of the same contract it calls), without
    /// any check of the caller: no `msg.sender` (`_msgSender()`) in the
    /// function, its modifiers or the internal functions it reaches, and no call of an
    /// authorization helper (`_isApprovedOrOwner`, `_checkAuthorized`, `_isAuthorized`,
    /// `getApproved`, `isApprovedForAll`), and no read of the state the contract's own
    /// `approve` writes (older designs approve the recipient: `approved[id] == to`,
    /// after which anyone may complete the transfer). Typically an override that dropped the
    /// check of the function it replaces.
    ///
    /// Not reported: a function calling `super.transferFrom(...)` (the base checks), one
    /// with a modifier or a helper whose source is missing and whose name speaks of
    /// approval, ownership or authorization (`onlyApproved(id)`), and `_transfer(msg.sender,
    /// to, id)`, where the base's `_transfer` checks that the sender owns the token.
    ///
    /// ## Why it matters
    /// `_transfer` only checks that `from` owns the token, not that the caller may move
    /// it: anyone can call `transferFrom(victim, attacker, id)` and take every token of
    /// the collection.
    ///
    /// ## Example
    /// ```solidity
    /// function transferFrom(address from, address to, uint256 tokenId) public override {
    ///     _transfer(from, to, tokenId);   // reported: no owner or approval check
    /// }
    /// ```
    ///
    /// ## Recommendation
    /// Check `_isApprovedOrOwner(_msgSender(), tokenId)` (OpenZeppelin 4) or
    /// `_checkAuthorized(ownerOf(tokenId), _msgSender(), tokenId)` (OpenZeppelin 5), or call
    /// `super.transferFrom`.
    pub(crate) struct Erc721TransferUnchecked;
}

static META: DetectorMeta = DetectorMeta {
    id: "erc721-transfer-unchecked",
    title: "ERC721 transfer without an owner or approval check",
    severity: Severity::Medium,
    confidence: Confidence::Medium,
    swc: Some("SWC-105"),
    category: "access_control",
    description: "A public ERC721 transfer function moves a token without checking that the caller \
                  owns it or is approved",
    recommendation: "Require `_isApprovedOrOwner(msg.sender, tokenId)` (or call `super.transferFrom`) \
                     before moving the token",
    references: &[
        "https://eips.ethereum.org/EIPS/eip-721",
        "https://docs.openzeppelin.com/contracts/5.x/api/token/erc721#ERC721-transferFrom-address-address-uint256-",
    ],
    doc: Erc721TransferUnchecked::DOC,
};

/// Calls that check the caller's right to move a token.
const AUTHORIZATION: &[&str] = &[
    "_isApprovedOrOwner",
    "_checkAuthorized",
    "_isAuthorized",
    "getApproved",
    "isApprovedForAll",
    "_isSenderApprovedOrOwner",
];

impl Detector for Erc721TransferUnchecked {
    fn meta(&self) -> &'static DetectorMeta {
        &META
    }

    fn check_file(&self, cx: &FileContext<'_>, out: &mut Vec<Finding>) {
        let (model, ast) = (cx.model(), cx.ast());
        for (f, info) in cx.functions() {
            let Some(c) = info.contract else { continue };
            let arity_ok = match info.name.as_str() {
                "transferFrom" => info.arity == 3,
                "safeTransferFrom" => info.arity == 3 || info.arity == 4,
                "transfer" => info.arity == 2,
                _ => false,
            };
            if !arity_ok
                || model.contract(c).kind != ContractKind::Contract
                    && model.contract(c).kind != ContractKind::Abstract
                || !model.is_entry_point(f)
                || !erc721_like(model, c)
            {
                continue;
            }
            let Some(def) = ast.item(info.item.item).as_function() else {
                continue;
            };
            let Some(body) = body_span(ast, def) else {
                continue;
            };
            if def.is_read_only() {
                continue;
            }
            let Some(moved) = moves_through(model, ast, cx.file, f, c, body, HELPER_DEPTH) else {
                continue;
            };
            if authorizes(model, cx.file, f, c, def, body) {
                continue;
            }
            out.push(cx.finding(
                &META,
                Some(f),
                moved,
                format!(
                    "`{}` moves the token without checking that the caller owns it or is approved",
                    info.name
                ),
            ));
        }
    }
}

/// `c` keeps ERC721 ownership: it has `ownerOf` or `_owners`, or a base named `ERC721...`
/// (its source may be missing).
fn erc721_like(m: &Model<'_>, c: ContractId) -> bool {
    if m.lookup_member(c, "ownerOf").is_some() || m.lookup_member(c, "_owners").is_some() {
        return true;
    }
    m.linearization(c).iter().any(|&b| {
        let item = m.contract(b).item;
        m.file_ast(item.file)
            .and_then(|a| a.item(item.item).as_contract())
            .is_some_and(|d| {
                d.bases.iter().any(|s| {
                    s.path
                        .last()
                        .is_some_and(|n| n.as_str().starts_with("ERC721"))
                })
            })
    })
}

/// Where `f` moves a token: a call of `_transfer`, `_safeTransfer` or
/// `_update(to, id, address(0))`, or a write of the state `ownerOf` reads.
fn moves(
    m: &Model<'_>,
    ast: &Ast,
    file: syntax::FileId,
    f: FunctionId,
    c: ContractId,
    body: Span,
) -> Option<Span> {
    for e in exprs_within(ast, body) {
        let Some((_, args)) = ast.expr(e).as_call() else {
            continue;
        };
        let Some(name) = ast.callee_name(e) else {
            continue;
        };
        let moving = match name.as_str() {
            "_transfer" | "_safeTransfer" => {
                // `_transfer(msg.sender, to, id)`: the base checks that `from` owns it.
                !args
                    .exprs()
                    .first()
                    .is_some_and(|&a| is_msg_sender(m, ast, file, a))
            }
            "_update" => {
                args.len() == 3
                    && args
                        .exprs()
                        .get(2)
                        .is_some_and(|&a| is_zero_address(ast, a))
            }
            _ => false,
        };
        if moving && is_own_call(ast, e) {
            return Some(ast.expr(e).span);
        }
    }
    let owners = owner_state(m, c);
    m.state_writes(f)
        .iter()
        .find(|w| owners.contains(&w.var))
        .map(|w| ast.expr(w.expr).span)
}

/// How many internal helpers deep [`moves_through`] looks.
const HELPER_DEPTH: u32 = 2;

/// [`moves`], also through the internal helpers of the same contract that `f` calls
/// (not the moving primitives themselves, whose caller [`moves`] judges): reported at
/// the call of the helper.
fn moves_through(
    m: &Model<'_>,
    ast: &Ast,
    file: syntax::FileId,
    f: FunctionId,
    c: ContractId,
    body: Span,
    depth: u32,
) -> Option<Span> {
    if let Some(at) = moves(m, ast, file, f, c, body) {
        return Some(at);
    }
    if depth == 0 {
        return None;
    }
    m.calls(f).iter().find_map(|site| {
        let call = site.expr?;
        if !matches!(site.kind, CallKind::Internal { .. })
            || site.span.lo < body.lo
            || site.span.hi > body.hi
        {
            return None;
        }
        let g = crate::analysis::derived::callee_of(m, f, call)?;
        let info = m.function(g);
        if g == f
            || info.item.file != file
            || info.contract != m.function(f).contract
            || matches!(
                info.name.as_str(),
                "_transfer" | "_safeTransfer" | "_update"
            )
        {
            return None;
        }
        let gbody = body_span(ast, ast.item(info.item.item).as_function()?)?;
        moves_through(m, ast, file, g, c, gbody, depth - 1).map(|_| ast.expr(call).span)
    })
}

/// The state the contract's `ownerOf` reads.
fn owner_state(m: &Model<'_>, c: ContractId) -> Vec<ItemRef> {
    match m.lookup_member(c, "ownerOf") {
        Some(Declaration::Function(item)) => m
            .function_of_item(m.dispatch(c, item))
            .map(|g| m.summary(Some(c), g).reads)
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

/// `f(...)` or `super.f(...)`: a function of the contract itself.
fn is_own_call(ast: &Ast, call: ExprId) -> bool {
    let Some((callee, _)) = ast.expr(call).as_call() else {
        return false;
    };
    match &ast.expr(ast.skip_parens(callee)).kind {
        ExprKind::Ident(_) => true,
        ExprKind::Member { base, .. } => ast.expr(*base).is_ident("super"),
        _ => false,
    }
}

fn is_zero_address(ast: &Ast, e: ExprId) -> bool {
    let e = ast.skip_parens(e);
    match &ast.expr(e).kind {
        ExprKind::Literal(l) => l.number_value() == Some(0),
        ExprKind::Call { args, .. } => match args.exprs().as_slice() {
            [a] => is_zero_address(ast, *a),
            _ => false,
        },
        _ => false,
    }
}

/// True when `f` (with its modifiers and internal callees) checks the caller: it reads
/// `msg.sender`, calls an authorization helper or `super` for the same function, or has
/// a modifier or helper whose source is missing and whose name speaks of approval,
/// ownership or authorization.
fn authorizes(
    m: &Model<'_>,
    file: syntax::FileId,
    f: FunctionId,
    c: ContractId,
    def: &syntax::ast::FunctionDef,
    body: Span,
) -> bool {
    let name = m.function(f).name.as_str();
    let speaks = |n: &str| {
        let n = n.to_ascii_lowercase();
        n.contains("approv") || n.contains("owner") || n.contains("auth")
    };
    // Modifiers whose source is missing.
    let resolved: Vec<Span> = m
        .calls(f)
        .iter()
        .filter(|s| matches!(s.kind, CallKind::Modifier { .. }))
        .map(|s| s.span)
        .collect();
    if def.modifiers.iter().any(|inv| {
        !resolved
            .iter()
            .any(|s| s.lo >= inv.span.lo && s.hi <= inv.span.hi)
            && inv.path.last().is_some_and(|n| speaks(n.as_str()))
    }) {
        return true;
    }
    // A check of the approvals the contract's `approve` records (`approved[id] == to`:
    // the owner approved the recipient).
    let summary = m.summary(Some(c), f);
    if let Some(Declaration::Function(item)) = m.lookup_member(c, "approve")
        && let Some(approve) = m.function_of_item(m.dispatch(c, item))
    {
        let approvals = m.summary(Some(c), approve).writes;
        if summary.reads.iter().any(|v| approvals.contains(v)) {
            return true;
        }
    }
    let mut functions = vec![f];
    functions.extend(summary.callees);
    for g in functions {
        let item = m.function(g).item;
        let Some(gast) = m.file_ast(item.file) else {
            continue;
        };
        let Some(gbody) = gast
            .item(item.item)
            .as_function()
            .and_then(|d| body_span(gast, d))
        else {
            continue;
        };
        let gbody = if g == f { body } else { gbody };
        for e in exprs_within(gast, gbody) {
            if is_msg_sender(m, gast, item.file, e) {
                return true;
            }
            let Some(callee) = gast.callee_name(e) else {
                continue;
            };
            let called = callee.as_str();
            if AUTHORIZATION.contains(&called) {
                return true;
            }
            if let Some((callee_expr, _)) = gast.expr(e).as_call()
                && let ExprKind::Member { base, .. } =
                    &gast.expr(gast.skip_parens(callee_expr)).kind
                && gast.expr(*base).is_ident("super")
                && called == name
            {
                return true;
            }
            // A helper whose source is missing.
            let resolved_call = m.calls(g).iter().any(|s| s.expr == Some(e));
            if !resolved_call && g == f && speaks(called) && file == item.file {
                return true;
            }
        }
    }
    false
}
