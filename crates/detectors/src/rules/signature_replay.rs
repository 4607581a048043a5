use std::collections::HashSet;

use semantics::{Builtin, CallKind, Declaration, FunctionId};
use syntax::Span;
use syntax::ast::{Ast, ExprKind};

use crate::analysis::access::{
    body_span, def_of, exprs_within, held_values, open_entries, root_state_var,
};
use crate::declare::declare_detector;
use crate::detector::{Detector, FileContext};
use crate::finding::Finding;
use crate::meta::{Confidence, DetectorMeta, Severity};

declare_detector! {
    /// ## What it detects
    /// A function anyone can call that authorises an action with a signature
    /// (`ecrecover`, or `ECDSA.recover` / `tryRecover`) but never records that the
    /// signed message was used: no nonce read into the message and advanced, no
    /// "used" flag written for the digest, the signature or a nonce that is part of
    /// the message. Looking for such a record, the detector follows internal calls
    /// (`_useNonce(owner)` inside the hashed data, `_useCheckedNonce(signer, nonce)`,
    /// `used[digest] = true`) and modifiers: a signature checked in a modifier given
    /// the digest as an argument (`signedBy(keccak256(..), v, r, s)`) is found there,
    /// and marking the modifier's digest parameter as used consumes it.
    ///
    /// Reported with low severity and confidence: signed allow-list entries are often
    /// meant to be reusable, and the detector cannot tell a one-time authorisation from a
    /// reusable one.
    ///
    /// Calibration: on the triage set of real mainnet contracts (`bench/triage/`),
    /// 0 of 8 findings were right when this severity and confidence were set
    /// (`docs/benchmarks.md`, Precision).
    ///
    /// ## Why it matters
    /// Anyone who sees the signature once (it is public on chain) can submit it again:
    /// repeat a withdrawal, a transfer or a vote as often as the action allows.
    ///
    /// ## Example
    /// ```solidity
    /// function claim(uint256 amount, uint8 v, bytes32 r, bytes32 s) external {
    ///     bytes32 h = keccak256(abi.encodePacked(msg.sender, amount));
    ///     require(ecrecover(h, v, r, s) == signer);   // reported: replayable
    ///     payable(msg.sender).transfer(amount);
    /// }
    /// ```
    ///
    /// ## Recommendation
    /// Include a per-signer nonce in the signed message and advance it (or mark the
    /// digest as used), and bind the message to the chain and contract with EIP-712
    /// (`block.chainid`, `address(this)`) and a deadline.
    pub(crate) struct SignatureReplay;
}

static META: DetectorMeta = DetectorMeta {
    id: "signature-replay",
    title: "Signature can be replayed",
    severity: Severity::Low,
    confidence: Confidence::Low,
    swc: Some("SWC-121"),
    category: "signature_replay",
    description: "A signature authorises an action, but nothing records that the signed message was used, so it \
                  can be submitted again",
    recommendation: "Sign a nonce that is consumed (or mark the digest used), with EIP-712 domain and deadline",
    references: &[
        "https://swcregistry.io/docs/SWC-121",
        "https://eips.ethereum.org/EIPS/eip-712",
    ],
    doc: SignatureReplay::DOC,
};

impl Detector for SignatureReplay {
    fn meta(&self) -> &'static DetectorMeta {
        &META
    }

    fn check_file(&self, cx: &FileContext<'_>, out: &mut Vec<Finding>) {
        let ast = cx.ast();
        let mut seen: Vec<Span> = Vec::new();
        for (entry, reach) in open_entries(cx) {
            let reach = with_modifiers(cx, entry, reach);
            let Some(recover) = reach.iter().find_map(|&g| recover_call(cx, ast, g)) else {
                continue;
            };
            // One finding per recovery (a helper shared by several entry points).
            if seen.contains(&recover) || consumes_message(cx, ast, entry, &reach) {
                continue;
            }
            seen.push(recover);
            let finding = cx.finding(
                &META,
                Some(entry),
                recover,
                format!(
                    "`{}` authorises the call, but nothing marks the signed message as used: the signature can be replayed",
                    cx.snippet(recover)
                ),
            );
            out.push(finding);
        }
    }
}

/// The span of a signature recovery in `g`: the `ecrecover` builtin, or a library
/// `recover`/`tryRecover` (OpenZeppelin's `ECDSA`, a standard name).
fn recover_call(cx: &FileContext<'_>, ast: &Ast, g: FunctionId) -> Option<Span> {
    let model = cx.model();
    let body = def_of(ast, model, g).and_then(|d| body_span(ast, d))?;
    for x in exprs_within(ast, body) {
        let Some((callee, _)) = ast.expr(x).as_call() else {
            continue;
        };
        if matches!(
            model.declaration(cx.file, ast.skip_parens(callee)),
            Some(Declaration::Builtin(Builtin::Ecrecover))
        ) {
            return Some(ast.expr(x).span);
        }
    }
    model.calls(g).iter().find_map(|site| match site.kind {
        CallKind::Library { function, .. } => {
            let f = model.function_of_item(function)?;
            matches!(model.function(f).name.as_str(), "recover" | "tryRecover").then_some(site.span)
        }
        _ => None,
    })
}

/// True when the reach of `entry` records the signed message as used.
fn consumes_message(
    cx: &FileContext<'_>,
    ast: &Ast,
    entry: FunctionId,
    reach: &[FunctionId],
) -> bool {
    let model = cx.model();
    // Names in the signed data: everything inside `keccak256(...)` / `sha3(...)` and
    // the locals assigned from them.
    let mut message: HashSet<Declaration> = HashSet::new();
    let mut hashed_spans = Vec::new();
    // The hashed data: the hash calls and the values of the locals they hash.
    let mut data_spans = Vec::new();
    for &g in reach {
        for x in code_spans(ast, model, g)
            .into_iter()
            .flat_map(|sp| exprs_within(ast, sp))
        {
            let Some((callee, _)) = ast.expr(x).as_call() else {
                continue;
            };
            let hashes = matches!(
                model.declaration(cx.file, ast.skip_parens(callee)),
                Some(Declaration::Builtin(
                    Builtin::Keccak256 | Builtin::Sha3 | Builtin::Sha256
                ))
            ) || ast
                .expr(ast.skip_parens(callee))
                .as_ident()
                .is_some_and(|i| {
                    // EIP-712 helpers of OpenZeppelin's `EIP712`, standard names.
                    i.name == "_hashTypedDataV4"
                });
            if !hashes {
                continue;
            }
            hashed_spans.push(ast.expr(x).span);
            data_spans.push(ast.expr(x).span);
            // The data held in a local before hashing (`bytes memory m =
            // abi.encodePacked(.., nonce); keccak256(m)`).
            let held = ast.expr(x).as_call().map_or_else(Vec::new, |(_, args)| {
                args.exprs()
                    .into_iter()
                    .flat_map(|a| held_values(model, ast, cx.file, a, 3))
                    .map(|v| ast.expr(v).span)
                    .filter(|v| !(v.lo >= ast.expr(x).span.lo && v.hi <= ast.expr(x).span.hi))
                    .collect()
            });
            data_spans.extend(held);
        }
    }
    for &sp in &data_spans {
        for y in exprs_within(ast, sp) {
            if let Some(d @ (Declaration::Param(_) | Declaration::Local(_))) =
                model.declaration(cx.file, y)
            {
                message.insert(d);
            }
        }
    }
    // The locals holding a digest: `bytes32 h = keccak256(...)`, `h = ...`.
    let holds_hash = |value: syntax::ast::ExprId| {
        let v = ast.expr(value).span;
        hashed_spans.iter().any(|h| v.lo <= h.lo && h.hi <= v.hi)
    };
    let mut digest_locals = HashSet::new();
    for (_, stmt) in ast.stmts() {
        if let syntax::ast::StmtKind::VarDecl {
            decls,
            value: Some(value),
            ..
        } = &stmt.kind
            && holds_hash(*value)
        {
            for d in decls.iter().flatten() {
                let Some(name) = &d.name else { continue };
                for &g in reach {
                    let Some(body) = def_of(ast, model, g).and_then(|d| body_span(ast, d)) else {
                        continue;
                    };
                    for y in exprs_within(ast, body) {
                        if let Some(decl @ Declaration::Local(l)) = model.declaration(cx.file, y)
                            && model.var(l).span == name.span
                        {
                            message.insert(decl);
                            digest_locals.insert(l);
                        }
                    }
                }
            }
        }
    }
    // The parameters of the modifiers given the digest (`signedBy(keccak256(..), ..)`)
    // or part of the message.
    let mut digest_params = HashSet::new();
    for (p, arg) in modifier_bindings(cx, ast, entry, reach) {
        let arg = ast.expr(arg).span;
        if hashed_spans
            .iter()
            .any(|h| arg.lo <= h.lo && h.hi <= arg.hi)
        {
            digest_params.insert(p);
            message.insert(Declaration::Param(p));
        } else if exprs_within(ast, arg).any(|y| {
            model
                .declaration(cx.file, y)
                .is_some_and(|d| message.contains(&d))
        }) {
            message.insert(Declaration::Param(p));
        }
    }
    // (1) A call inside the hashed data that writes state: `_useNonce(owner)`.
    let md = model.function(entry).contract;
    let writes_state = |site: &semantics::CallSite| match site.kind {
        CallKind::Internal { function, .. } | CallKind::Library { function, .. } => {
            let function = md.map_or(function, |md| model.dispatch(md, function));
            model
                .function_of_item(function)
                .is_some_and(|f| !model.summary(md, f).writes.is_empty())
        }
        _ => false,
    };
    for &g in reach {
        for site in model.calls(g) {
            let inside_hash = data_spans
                .iter()
                .any(|h| h.lo <= site.span.lo && site.span.hi <= h.hi);
            if inside_hash && writes_state(site) {
                return true;
            }
            // (2) A state-writing call given part of the message: `_useCheckedNonce(signer, nonce)`.
            if !inside_hash
                && writes_state(site)
                && let Some(call) = site.expr
                && let Some((_, args)) = ast.expr(call).as_call()
                && args.exprs().iter().any(|&a| {
                    exprs_within(ast, ast.expr(a).span).any(|y| {
                        model
                            .declaration(cx.file, y)
                            .is_some_and(|d| message.contains(&d))
                    })
                })
                && model
                    .calls(g)
                    .iter()
                    .all(|s| s.expr != Some(call) || !is_recover_site(model, s))
            {
                return true;
            }
        }
        // (3) A state write keyed by part of the message: `used[digest] = true`,
        // `nonces[signer]++` where the nonce is read into the message.
        let Some(body) = def_of(ast, model, g).and_then(|d| body_span(ast, d)) else {
            continue;
        };
        for x in exprs_within(ast, body) {
            let place = match &ast.expr(x).kind {
                ExprKind::Assign { lhs, .. } => *lhs,
                ExprKind::Unary { op, operand } if op.is_update() => *operand,
                _ => continue,
            };
            let var = root_state_var(model, ast, cx.file, place);
            // Library state passed as a `storage` parameter (`self.nonces[from]++`).
            let storage_param = match model.declaration(cx.file, root_name(ast, place)) {
                Some(d @ Declaration::Param(p))
                    if matches!(
                        model.var(p).ty,
                        semantics::Type::Struct(_)
                            | semantics::Type::Mapping(..)
                            | semantics::Type::Array { .. }
                    ) =>
                {
                    Some(d)
                }
                _ => None,
            };
            if var.is_none() && storage_param.is_none() {
                continue;
            }
            // The place, and the initialiser of a local storage pointer at its root
            // (`Bet storage bet = bets[ticketId]; bet.player = msg.sender;`).
            let mut spans = vec![ast.expr(place).span];
            spans.extend(pointer_init(cx, ast, body, place));
            let keyed = spans.iter().any(|&sp| {
                exprs_within(ast, sp).any(|y| {
                    model
                        .declaration(cx.file, y)
                        .is_some_and(|d| message.contains(&d))
                })
            });
            // Keyed by the digest itself (`used[digest] = ...`), any write marks it. Keyed
            // by a part of the message (`nonces[signer]`, `executed[id]`), only a mark
            // does: a flag or a count set or stepped by a constant. Crediting an amount
            // to an account named in the message (`balanceOf[to] += value`) uses the
            // signature without consuming it.
            let by_digest = spans.iter().any(|&sp| {
                exprs_within(ast, sp).any(|y| match model.declaration(cx.file, y) {
                    Some(Declaration::Local(l)) => digest_locals.contains(&l),
                    Some(Declaration::Param(p)) => digest_params.contains(&p),
                    _ => false,
                })
            });
            let keyed = keyed && (by_digest || is_mark(ast, x));
            let read_in_message = data_spans.iter().any(|h| {
                exprs_within(ast, *h).any(|y| match model.declaration(cx.file, y) {
                    Some(Declaration::StateVar(r)) => Some(r) == var,
                    d @ Some(Declaration::Param(_)) => d == storage_param,
                    _ => false,
                })
            });
            if keyed || read_in_message {
                return true;
            }
        }
    }
    false
}

/// `reach` with the modifiers its functions invoke (a signature checked in
/// `modifier signedBy(bytes32 h, ..)`), declared in this file.
fn with_modifiers(
    cx: &FileContext<'_>,
    entry: FunctionId,
    mut reach: Vec<FunctionId>,
) -> Vec<FunctionId> {
    let model = cx.model();
    for i in 0..reach.len() {
        for m in invoked_modifiers(model, entry, reach[i]) {
            if model.function(m).item.file == cx.file && !reach.contains(&m) {
                reach.push(m);
            }
        }
    }
    reach
}

/// The modifiers `g` invokes, dispatched in the contract of `entry`.
fn invoked_modifiers(
    model: &semantics::Model<'_>,
    entry: FunctionId,
    g: FunctionId,
) -> Vec<FunctionId> {
    let md = model.function(entry).contract;
    model
        .calls(g)
        .iter()
        .filter_map(|site| match site.kind {
            CallKind::Modifier { modifier } => {
                model.function_of_item(md.map_or(modifier, |md| model.dispatch(md, modifier)))
            }
            _ => None,
        })
        .collect()
}

/// The parameters of the modifiers invoked by the functions of `reach`, each with the
/// argument the invocation passes it.
fn modifier_bindings(
    cx: &FileContext<'_>,
    ast: &Ast,
    entry: FunctionId,
    reach: &[FunctionId],
) -> Vec<(semantics::VarId, syntax::ast::ExprId)> {
    let model = cx.model();
    let md = model.function(entry).contract;
    let mut out = Vec::new();
    for &g in reach {
        let Some(def) = def_of(ast, model, g) else {
            continue;
        };
        for site in model.calls(g) {
            let CallKind::Modifier { modifier } = site.kind else {
                continue;
            };
            let Some(m) =
                model.function_of_item(md.map_or(modifier, |md| model.dispatch(md, modifier)))
            else {
                continue;
            };
            let Some(args) = def
                .modifiers
                .iter()
                .find(|inv| inv.span == site.span)
                .and_then(|inv| inv.args.as_ref())
            else {
                continue;
            };
            out.extend(model.params(m).iter().copied().zip(args.exprs()));
        }
    }
    out
}

/// Where `g` computes values: its body and the arguments of its modifier invocations.
fn code_spans(ast: &Ast, model: &semantics::Model<'_>, g: FunctionId) -> Vec<Span> {
    let Some(def) = def_of(ast, model, g) else {
        return Vec::new();
    };
    body_span(ast, def)
        .into_iter()
        .chain(def.modifiers.iter().map(|inv| inv.span))
        .collect()
}

/// True when the write `x` marks a key: a flag or count set to a constant
/// (`used[id] = true`, `nonces[s] = 1`, `deposit[s] = uint(0)`), stepped by one (`nonces[s]++`, `nonces[s] += 1`),
/// or set from its own value plus a constant (`nonces[s] = nonce + 1`).
fn is_mark(ast: &Ast, x: syntax::ast::ExprId) -> bool {
    // A literal, or a literal converted (`uint(0)`, `address(0)`).
    let constant = |e: syntax::ast::ExprId| {
        let e = ast.skip_parens(e);
        ast.expr(e).as_literal().is_some()
            || ast.expr(e).as_call().is_some_and(|(callee, args)| {
                matches!(ast.expr(callee).kind, ExprKind::ElementaryType(_))
                    && matches!(args.exprs().as_slice(), [a] if ast.expr(ast.skip_parens(*a)).as_literal().is_some())
            })
    };
    match &ast.expr(x).kind {
        ExprKind::Unary { op, .. } => op.is_update(),
        ExprKind::Assign { op: None, rhs, .. } => {
            constant(*rhs)
                || matches!(&ast.expr(ast.skip_parens(*rhs)).kind,
                    ExprKind::Binary { op: syntax::ast::BinaryOp::Add, lhs, rhs }
                        if constant(*lhs) || constant(*rhs))
        }
        ExprKind::Assign {
            op: Some(_), rhs, ..
        } => constant(*rhs),
        _ => false,
    }
}

fn is_recover_site(model: &semantics::Model<'_>, site: &semantics::CallSite) -> bool {
    match site.kind {
        CallKind::Library { function, .. } => model
            .function_of_item(function)
            .is_some_and(|f| matches!(model.function(f).name.as_str(), "recover" | "tryRecover")),
        _ => false,
    }
}

/// The initialiser span of the local storage pointer at the root of `place`.
fn pointer_init(
    cx: &FileContext<'_>,
    ast: &Ast,
    body: Span,
    place: syntax::ast::ExprId,
) -> Option<Span> {
    let mut e = ast.skip_parens(place);
    for _ in 0..32 {
        match &ast.expr(e).kind {
            ExprKind::Member { base, .. } | ExprKind::Index { base, .. } => {
                e = ast.skip_parens(*base)
            }
            _ => break,
        }
    }
    let Some(Declaration::Local(v)) = cx.model().declaration(cx.file, e) else {
        return None;
    };
    let name = cx.model().var(v).span;
    ast.stmts().find_map(|(_, stmt)| match &stmt.kind {
        syntax::ast::StmtKind::VarDecl {
            decls,
            value: Some(value),
            ..
        } if stmt.span.lo >= body.lo
            && stmt.span.hi <= body.hi
            && decls
                .iter()
                .flatten()
                .any(|d| d.name.as_ref().is_some_and(|n| n.span == name)) =>
        {
            Some(ast.expr(*value).span)
        }
        _ => None,
    })
}

/// The name at the root of an assigned place: `self` in `self.nonces[from]`.
fn root_name(ast: &Ast, place: syntax::ast::ExprId) -> syntax::ast::ExprId {
    let mut e = ast.skip_parens(place);
    for _ in 0..32 {
        match &ast.expr(e).kind {
            ExprKind::Member { base, .. } | ExprKind::Index { base, .. } => {
                e = ast.skip_parens(*base)
            }
            _ => break,
        }
    }
    e
}
