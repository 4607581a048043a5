use semantics::{Builtin, Declaration, FunctionId, Model, VarId};
use syntax::ast::{ExprKind, FunctionKind};
use syntax::{Span, Version};

use crate::declare::declare_detector;
use crate::detector::{Detector, FileContext};
use crate::finding::Finding;
use crate::meta::{Confidence, DetectorMeta, Severity};

declare_detector! {
    /// ## What it detects
    /// In code compiled before Solidity 0.5, a public or external transfer-style function
    /// that does not check `msg.data.length`, in its body or its modifiers: an `address`
    /// parameter followed by an integer amount, and the amount moved between state
    /// entries, one of them keyed by an address parameter (`balances[msg.sender] -= amount;
    /// balances[to] += amount`). Functions only a privileged caller can run are not
    /// reported. From 0.5.0 on the ABI decoder rejects short calldata,
    /// so newer code is not reported.
    ///
    /// ## Why it matters
    /// A client that encodes a recipient address missing its last byte sends calldata one
    /// byte short; the old EVM decoder pads it with zeros at the end, which shifts the
    /// amount left by 8 bits: the transfer moves 256 times the intended amount. Whether
    /// this can happen depends on the clients (exchanges) that call the contract, hence
    /// the low confidence.
    ///
    /// ## Example
    /// ```solidity
    /// function transfer(address to, uint amount) public {   // reported (before 0.5)
    ///     balances[msg.sender] -= amount;
    ///     balances[to] += amount;
    /// }
    /// ```
    ///
    /// ## Recommendation
    /// Compile with Solidity 0.5 or later; otherwise check the calldata size, e.g. a
    /// modifier `require(msg.data.length >= 2 * 32 + 4)`.
    pub(crate) struct ShortAddress;
}

static META: DetectorMeta = DetectorMeta {
    id: "short-address",
    title: "Transfer function without a calldata length check (before 0.5)",
    severity: Severity::Low,
    confidence: Confidence::Low,
    swc: None,
    category: "short_addresses",
    description: "A transfer-style function compiled before 0.5 accepts short calldata, so a \
                  truncated address inflates the amount",
    recommendation: "Compile with Solidity 0.5 or later, or check `msg.data.length`",
    references: &["https://dasp.co/#item-9"],
    doc: ShortAddress::DOC,
};

impl Detector for ShortAddress {
    fn meta(&self) -> &'static DetectorMeta {
        &META
    }

    fn check_file(&self, cx: &FileContext<'_>, out: &mut Vec<Finding>) {
        let model = cx.model();
        if model
            .version(cx.file)
            .is_none_or(|v| v >= Version::new(0, 5, 0))
        {
            return;
        }
        for (f, info) in cx.functions() {
            if info.kind != FunctionKind::Function
                || !model.is_entry_point(f)
                || model.is_constructor(f)
            {
                continue;
            }
            let Some(def) = cx.ast().item(info.item.item).as_function() else {
                continue;
            };
            // An address parameter followed by an integer amount: a truncated address
            // shifts the amount's bytes.
            let params = model.params(f);
            let Some(first_address) = params.iter().position(|&p| model.var(p).ty.is_address())
            else {
                continue;
            };
            let addresses: Vec<VarId> = params
                .iter()
                .copied()
                .filter(|&p| model.var(p).ty.is_address())
                .collect();
            let amounts: Vec<VarId> = params
                .iter()
                .skip(first_address + 1)
                .copied()
                .filter(|&p| model.var(p).ty.is_integer())
                .collect();
            if amounts.is_empty()
                || model.is_guarded(f)
                || !moves_amount(cx, f, &addresses, &amounts)
            {
                continue;
            }
            if checks_length(model, f) {
                continue;
            }
            let span = def.name.as_ref().map_or(def.header_span, |n| n.span);
            out.push(cx.finding(
                &META,
                Some(f),
                span,
                format!(
                    "`{}` takes an address and an amount and does not check `msg.data.length`: \
                     a short address shifts the amount",
                    info.name
                ),
            ));
        }
    }
}

/// True when the function moves an amount parameter between state entries, one of them
/// keyed by an address parameter (`balances[msg.sender] -= amount; balances[to] += amount`).
fn moves_amount(
    cx: &FileContext<'_>,
    f: FunctionId,
    addresses: &[VarId],
    amounts: &[VarId],
) -> bool {
    let model = cx.model();
    let ast = cx.ast();
    let param_uses = |vars: &[VarId]| -> Vec<Span> {
        ast.exprs()
            .filter(|(id, e)| {
                matches!(e.kind, ExprKind::Ident(_))
                    && matches!(
                        model.declaration(cx.file, *id),
                        Some(Declaration::Param(v)) if vars.contains(&v)
                    )
            })
            .map(|(_, e)| e.span)
            .collect()
    };
    let amount_uses = param_uses(amounts);
    let address_uses = param_uses(addresses);
    let within = |inner: Span, outer: Span| inner.lo >= outer.lo && inner.hi <= outer.hi;
    let places: Vec<Span> = model
        .state_writes(f)
        .iter()
        .map(|w| ast.expr(w.expr).span)
        .collect();
    // Assignments of the amount into state: (keyed by an address parameter).
    let moves: Vec<bool> = ast
        .exprs()
        .filter_map(|(_, e)| {
            let ExprKind::Assign { lhs, rhs, .. } = &e.kind else {
                return None;
            };
            let (l, r) = (ast.expr(*lhs).span, ast.expr(*rhs).span);
            let place = places.iter().copied().find(|&p| within(p, l))?;
            amount_uses
                .iter()
                .any(|&u| within(u, r))
                .then(|| address_uses.iter().any(|&u| within(u, place)))
        })
        .collect();
    // A debit and a credit, one of them for an address parameter.
    moves.len() >= 2 && moves.iter().any(|&keyed| keyed)
}

/// True when `f` or one of its modifiers reads `msg.data.length`.
fn checks_length(model: &Model<'_>, f: FunctionId) -> bool {
    let mut scopes = vec![f];
    scopes.extend(model.internal_callees(None, f));
    scopes.iter().any(|&g| {
        let info = model.function(g);
        let Some(ast) = model.file_ast(info.item.file) else {
            return false;
        };
        let span = ast.item(info.item.item).span;
        ast.exprs().any(|(_, e)| {
            let Some((base, member)) = e.as_member_access() else {
                return false;
            };
            member.name == "length"
                && e.span.lo >= span.lo
                && e.span.hi <= span.hi
                && matches!(
                    model.declaration(info.item.file, ast.skip_parens(base)),
                    Some(Declaration::Builtin(Builtin::MsgData))
                )
        })
    })
}
