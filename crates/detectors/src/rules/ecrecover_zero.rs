use std::collections::{HashMap, HashSet};

use semantics::{Builtin, Declaration, FunctionId, VarId};
use syntax::ast::{Ast, BinaryOp, ExprId, ExprKind, StmtKind};

use crate::analysis::access::{body_span, def_of, exprs_within, is_msg_sender};
use crate::declare::declare_detector;
use crate::detector::{Detector, FileContext};
use crate::finding::Finding;
use crate::meta::{Confidence, DetectorMeta, Severity};

declare_detector! {
    /// ## What it detects
    /// The address returned by the `ecrecover` precompile compared for equality with a
    /// stored or passed-in address (`require(ecrecover(h, v, r, s) == signer)`), when
    /// the function never checks that the recovered address, or the address it is
    /// compared with, is not zero. Comparisons with `msg.sender` are not reported
    /// (it is never zero), nor are `ECDSA.recover`-style helpers, which revert on
    /// invalid signatures. The recovered address is followed through locals, helpers
    /// returning it, and into the parameters of internal helpers it is passed to
    /// (`_checkSigner(signer)` with `require(signer == admin)` inside) when the caller
    /// does not exclude zero first.
    ///
    /// ## Why it matters
    /// `ecrecover` returns `address(0)` for an invalid signature instead of failing.
    /// When the expected signer is zero (an unset `signer` variable, a mapping entry
    /// never written, a `from` parameter the caller sets to zero), any garbage
    /// signature "verifies" and authorises the action.
    ///
    /// ## Example
    /// ```solidity
    /// function claim(uint256 amount, uint8 v, bytes32 r, bytes32 s) external {
    ///     bytes32 h = keccak256(abi.encodePacked(msg.sender, amount));
    ///     require(ecrecover(h, v, r, s) == signer);   // reported: `signer` may be 0
    ///     ...
    /// }
    /// ```
    ///
    /// ## Recommendation
    /// Check `recovered != address(0)`, or use a vetted library such as OpenZeppelin's
    /// `ECDSA.recover`, which reverts on invalid signatures.
    pub(crate) struct EcrecoverZero;
}

static META: DetectorMeta = DetectorMeta {
    id: "ecrecover-zero",
    title: "`ecrecover` result not checked against the zero address",
    severity: Severity::Low,
    confidence: Confidence::Low,
    swc: Some("SWC-117"),
    category: "signature_validation",
    description: "`ecrecover` returns the zero address for invalid signatures; comparing its result with an address \
                  that may be zero lets any signature pass",
    recommendation: "Require the recovered address to be non-zero, or use `ECDSA.recover`",
    references: &[
        "https://swcregistry.io/docs/SWC-117",
        "https://docs.soliditylang.org/en/latest/units-and-global-variables.html#mathematical-and-cryptographic-functions",
    ],
    doc: EcrecoverZero::DOC,
};

impl Detector for EcrecoverZero {
    fn meta(&self) -> &'static DetectorMeta {
        &META
    }

    fn check_file(&self, cx: &FileContext<'_>, out: &mut Vec<Finding>) {
        let model = cx.model();
        let ast = cx.ast();
        let helpers = recovering_helpers(cx);
        // Parameters of internal functions that receive a recovered address the caller
        // did not check against zero (`_checkSigner(signer)`), followed two calls deep.
        let mut params: HashMap<FunctionId, Vec<VarId>> = HashMap::new();
        for _ in 0..PARAM_DEPTH {
            let mut next = params.clone();
            for (f, _) in cx.functions() {
                let Some(r) = Recovered::of(cx, f, &helpers, &params) else {
                    continue;
                };
                if r.zero_checked(None) {
                    continue;
                }
                for site in model.calls(f) {
                    let (semantics::CallKind::Internal { .. }, Some(call)) = (site.kind, site.expr)
                    else {
                        continue;
                    };
                    let Some(g) = crate::analysis::derived::callee_of(model, f, call) else {
                        continue;
                    };
                    let Some((_, args)) = ast.expr(call).as_call() else {
                        continue;
                    };
                    for (i, &a) in args.exprs().iter().enumerate() {
                        if r.is_recovered(a)
                            && let Some(&p) = model.params(g).get(i)
                            && model.function(g).item.file == cx.file
                        {
                            let held = next.entry(g).or_default();
                            if !held.contains(&p) {
                                held.push(p);
                            }
                        }
                    }
                }
            }
            params = next;
        }
        for (f, _) in cx.functions() {
            let Some(r) = Recovered::of(cx, f, &helpers, &params) else {
                continue;
            };
            for x in exprs_within(ast, r.body) {
                let ExprKind::Binary {
                    op: BinaryOp::Eq | BinaryOp::Ne,
                    lhs,
                    rhs,
                } = &ast.expr(x).kind
                else {
                    continue;
                };
                let other = if r.is_recovered(*lhs) {
                    *rhs
                } else if r.is_recovered(*rhs) {
                    *lhs
                } else {
                    continue;
                };
                if is_zero_address(ast, other) || is_msg_sender(model, ast, cx.file, other) {
                    continue;
                }
                if r.zero_checked(model.declaration(cx.file, ast.skip_parens(other))) {
                    continue;
                }
                out.push(cx.finding(
                    &META,
                    Some(f),
                    ast.expr(x).span,
                    format!(
                        "the recovered signer is compared with `{}` without excluding the zero address that `ecrecover` returns for invalid signatures",
                        cx.snippet(ast.expr(other).span)
                    ),
                ));
            }
        }
    }
}

/// How many internal calls deep a recovered address is followed into parameters.
const PARAM_DEPTH: usize = 2;

/// The recovered addresses of one function body: `ecrecover` calls, calls of
/// recovering helpers, the names holding their results, and parameters that receive one.
struct Recovered<'c, 'a> {
    cx: &'c FileContext<'a>,
    body: syntax::Span,
    recovers: Vec<ExprId>,
    declared: Vec<syntax::Span>,
    holders: Vec<Declaration>,
}

impl<'c, 'a> Recovered<'c, 'a> {
    /// `None` when `f` holds no recovered address.
    fn of(
        cx: &'c FileContext<'a>,
        f: FunctionId,
        helpers: &HashSet<FunctionId>,
        params: &HashMap<FunctionId, Vec<VarId>>,
    ) -> Option<Self> {
        let (model, ast) = (cx.model(), cx.ast());
        let body = def_of(ast, model, f).and_then(|d| body_span(ast, d))?;
        // Recoveries: the builtin, and calls of this file's helpers that return its
        // result unchecked (`address signer = recoverSigner(hash, v, r, s);`).
        let mut recovers: Vec<ExprId> = exprs_within(ast, body)
            .filter(|&x| is_ecrecover(cx, ast, x))
            .collect();
        recovers.extend(model.calls(f).iter().filter_map(|site| {
            match site.kind {
                semantics::CallKind::Internal { function, .. }
                    if model
                        .function_of_item(function)
                        .is_some_and(|g| helpers.contains(&g)) =>
                {
                    site.expr
                }
                _ => None,
            }
        }));
        let mut holders: Vec<Declaration> = params
            .get(&f)
            .into_iter()
            .flatten()
            .map(|&p| Declaration::Param(p))
            .collect();
        if recovers.is_empty() && holders.is_empty() {
            return None;
        }
        // Names holding a recovered address: `address signer = ecrecover(...)`, and
        // places assigned one.
        let declared = declared_from(ast, body, &recovers);
        for x in exprs_within(ast, body) {
            if let ExprKind::Assign { lhs, rhs, .. } = &ast.expr(x).kind
                && recovers.contains(&ast.skip_parens(*rhs))
                && let Some(d) = model.declaration(cx.file, ast.skip_parens(*lhs))
            {
                holders.push(d);
            }
        }
        Some(Recovered {
            cx,
            body,
            recovers,
            declared,
            holders,
        })
    }

    fn is_recovered(&self, e: ExprId) -> bool {
        let (model, ast) = (self.cx.model(), self.cx.ast());
        let e = ast.skip_parens(e);
        self.recovers.contains(&e) || model.declaration(self.cx.file, e).is_some_and(|d| {
            self.holders.contains(&d)
                || matches!(d, Declaration::Local(l) if self.declared.contains(&model.var(l).span))
        })
    }

    /// True when the body compares a recovered address, or `other` (the address it is
    /// compared with), with zero.
    fn zero_checked(&self, other: Option<Declaration>) -> bool {
        let (model, ast) = (self.cx.model(), self.cx.ast());
        let is = |e: ExprId| {
            self.is_recovered(e)
                || (other.is_some() && model.declaration(self.cx.file, ast.skip_parens(e)) == other)
        };
        exprs_within(ast, self.body).any(|y| {
            matches!(&ast.expr(y).kind, ExprKind::Binary { op: BinaryOp::Eq | BinaryOp::Ne, lhs, rhs }
                if (is_zero_address(ast, *rhs) && is(*lhs)) || (is_zero_address(ast, *lhs) && is(*rhs)))
        })
    }
}

/// The functions of this file that return the result of `ecrecover` (directly or through
/// a local) without comparing anything with the zero address: their callers hold a
/// recovered address as if they had called the builtin.
fn recovering_helpers(cx: &FileContext<'_>) -> HashSet<FunctionId> {
    let (model, ast) = (cx.model(), cx.ast());
    let mut out = HashSet::new();
    for (f, _) in cx.functions() {
        let Some(body) = def_of(ast, model, f).and_then(|d| body_span(ast, d)) else {
            continue;
        };
        let recovers: Vec<ExprId> = exprs_within(ast, body)
            .filter(|&x| is_ecrecover(cx, ast, x))
            .collect();
        if recovers.is_empty() {
            continue;
        }
        let holders = declared_from(ast, body, &recovers);
        let is_recovered = |e: ExprId| {
            let e = ast.skip_parens(e);
            recovers.contains(&e)
                || matches!(model.declaration(cx.file, e), Some(Declaration::Local(l))
                    if holders.contains(&model.var(l).span))
        };
        let returns_recovered = ast.stmts().any(|(_, stmt)| {
            matches!(&stmt.kind, StmtKind::Return { value: Some(v) }
                if stmt.span.lo >= body.lo && stmt.span.hi <= body.hi && is_recovered(*v))
        });
        let compares_zero = exprs_within(ast, body).any(|y| {
            matches!(&ast.expr(y).kind, ExprKind::Binary { op: BinaryOp::Eq | BinaryOp::Ne, lhs, rhs }
                if is_zero_address(ast, *lhs) || is_zero_address(ast, *rhs))
        });
        if returns_recovered && !compares_zero {
            out.insert(f);
        }
    }
    out
}

/// The name spans of the locals of `body` declared with one of `recovers` as their value.
fn declared_from(ast: &Ast, body: syntax::Span, recovers: &[ExprId]) -> Vec<syntax::Span> {
    ast.stmts()
        .filter_map(|(_, stmt)| match &stmt.kind {
            StmtKind::VarDecl {
                decls,
                value: Some(v),
                ..
            } if stmt.span.lo >= body.lo
                && stmt.span.hi <= body.hi
                && recovers.contains(&ast.skip_parens(*v)) =>
            {
                decls.first()?.as_ref()?.name.as_ref().map(|n| n.span)
            }
            _ => None,
        })
        .collect()
}

/// A call of the `ecrecover` builtin.
fn is_ecrecover(cx: &FileContext<'_>, ast: &Ast, x: ExprId) -> bool {
    ast.expr(x).as_call().is_some_and(|(callee, _)| {
        matches!(
            cx.model().declaration(cx.file, ast.skip_parens(callee)),
            Some(Declaration::Builtin(Builtin::Ecrecover))
        )
    })
}

/// `0`, `address(0)`, `address(0x0)`.
fn is_zero_address(ast: &Ast, e: ExprId) -> bool {
    let e = ast.skip_parens(e);
    let x = ast.expr(e);
    if let Some(l) = x.as_literal() {
        return l.number_value() == Some(0);
    }
    if let Some((callee, args)) = x.as_call()
        && matches!(ast.expr(callee).kind, ExprKind::ElementaryType(_))
        && let [a] = args.exprs().as_slice()
    {
        return is_zero_address(ast, *a);
    }
    false
}
