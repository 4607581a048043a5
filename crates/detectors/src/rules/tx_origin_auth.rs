use syntax::ast::{Ast, BinaryOp, ExprId, ExprKind, StmtId, StmtKind, UnaryOp};
use syntax::visit::{self, VisitCx, Visitor};

use crate::declare::declare_detector;
use crate::detector::{Detector, FileContext};
use crate::finding::Finding;
use crate::meta::{Confidence, DetectorMeta, Severity};

declare_detector! {
    /// ## What it detects
    /// `tx.origin` used to decide who may do something: in the condition of a
    /// `require`, `assert`, `if`, loop or conditional expression, compared with an
    /// address or used as the key of a permission mapping (`require(tx.origin == owner)`,
    /// `if (tx.origin != admin) revert()`, `require(isAdmin[tx.origin])`).
    ///
    /// Comparing `tx.origin` with `msg.sender` (an "only externally owned accounts"
    /// check) and with the zero address are not authorization and are not reported.
    ///
    /// Calibration: on the triage set of real mainnet contracts (`bench/triage/`),
    /// 4 of 5 findings were right when this severity and confidence were set, once
    /// EOA checks (`msg.sender == tx.origin`, also through a local) and exclusions
    /// (`require(tx.origin != x)`) were no longer reported
    /// (`docs/benchmarks.md`, Precision).
    ///
    /// In Vyper: `assert tx.origin == self.owner` (or a constant or immutable), `if
    /// tx.origin != X: raise`, and permissions looked up by `tx.origin` (`assert
    /// self.admins[tx.origin]`); `assert tx.origin == msg.sender` is not authorization.
    ///
    /// ## Why it matters
    /// `tx.origin` is the account that signed the transaction, not the caller. When the
    /// owner calls any malicious contract (a phishing airdrop, a fake token), that
    /// contract can call the victim: `tx.origin` is still the owner, so the check passes
    /// and the attacker acts with the owner's rights, e.g. withdraws every balance.
    ///
    /// ## Example
    /// ```solidity
    /// function withdrawAll(address to) public {
    ///     require(tx.origin == owner);   // reported: a contract the owner calls passes it
    ///     to.transfer(address(this).balance);
    /// }
    /// ```
    ///
    /// ## Recommendation
    /// Authorize with `msg.sender`, e.g. `require(msg.sender == owner)`, or an
    /// `onlyOwner`-style modifier built on it.
    pub(crate) struct TxOriginAuth;
}

static META: DetectorMeta = DetectorMeta {
    id: "tx-origin-auth",
    title: "Authorization through `tx.origin`",
    severity: Severity::High,
    confidence: Confidence::Medium,
    swc: Some("SWC-115"),
    category: "access_control",
    description: "`tx.origin` decides who may act, so any contract the authorized account calls can act \
                  with its rights",
    recommendation: "Authorize with `msg.sender` instead of `tx.origin`",
    references: &[
        "https://swcregistry.io/docs/SWC-115",
        "https://docs.soliditylang.org/en/latest/security-considerations.html#tx-origin",
    ],
    doc: TxOriginAuth::DOC,
};

impl Detector for TxOriginAuth {
    fn meta(&self) -> &'static DetectorMeta {
        &META
    }

    fn check_vyper(&self, cx: &crate::vyper_analysis::VyperContext<'_>, out: &mut Vec<Finding>) {
        crate::vyper_analysis::checks::tx_origin(cx, &META, out);
    }

    fn supports_vyper(&self) -> bool {
        true
    }

    fn check_file(&self, cx: &FileContext<'_>, out: &mut Vec<Finding>) {
        let ast = cx.parse.ast();
        let mut walker = Walker {
            ast,
            file: cx,
            out,
            following: std::cell::Cell::new(0),
            reported: std::collections::HashSet::new(),
        };
        walker.visit_source_unit(ast);
    }
}

struct Walker<'a, 'c> {
    ast: &'a Ast,
    file: &'c FileContext<'c>,
    out: &'c mut Vec<Finding>,
    /// How many bool locals deep the current search has followed (bounded).
    following: std::cell::Cell<u32>,
    /// The comparisons already reported.
    reported: std::collections::HashSet<ExprId>,
}

impl<'a> Walker<'a, '_> {
    /// Reports every authorizing use of `tx.origin` inside the condition `cond`.
    fn check_condition(&mut self, cx: VisitCx<'a>, cond: ExprId, holds: Option<bool>) {
        let mut uses = Vec::new();
        self.collect_auth_uses(cond, holds, &mut uses);
        for (at, other) in uses {
            // A helper's comparison reached from several checks is reported once.
            if !self.reported.insert(at) {
                continue;
            }
            let message = match other {
                Some(other) => {
                    let text = self.ast.expr(other).span.text(self.file.text);
                    format!("authorization through `tx.origin`: it is compared with `{text}`")
                }
                None => "authorization through `tx.origin`".to_owned(),
            };
            let contract = cx.contract_def().map(|c| c.name.as_str());
            let function = cx.function_def().map(|f| f.name_str());
            let span = self.ast.expr(at).span;
            self.out.push(
                Finding::new(&META, self.file.file, span, message).with_context(contract, function),
            );
        }
    }

    /// Finds, in `id`, the smallest expressions that authorize with `tx.origin`: a
    /// comparison (with the other operand) or a lookup keyed by it. The AST's nesting
    /// is bounded by the parser, so this recursion is too.
    /// `holds` is whether `id` must be true for the code to go on (`require`), false
    /// for a condition that must fail, unknown for branches: a comparison that only
    /// excludes (`require(tx.origin != x)`) grants nobody anything.
    fn collect_auth_uses(
        &self,
        id: ExprId,
        holds: Option<bool>,
        uses: &mut Vec<(ExprId, Option<ExprId>)>,
    ) {
        let expr = self.ast.expr(id);
        match &expr.kind {
            ExprKind::Binary {
                op: op @ (BinaryOp::Eq | BinaryOp::Ne),
                ..
            } if holds.is_some_and(|h| h != (*op == BinaryOp::Eq)) => {}
            ExprKind::Binary {
                op: BinaryOp::Eq | BinaryOp::Ne,
                lhs,
                rhs,
            } => {
                let (lhs, rhs) = (self.ast.skip_parens(*lhs), self.ast.skip_parens(*rhs));
                let origin_side = if self.is_tx_origin(lhs) {
                    Some(rhs)
                } else if self.is_tx_origin(rhs) {
                    Some(lhs)
                } else {
                    None
                };
                match origin_side {
                    Some(other) if !self.is_benign_counterpart(other) => {
                        uses.push((id, Some(other)))
                    }
                    Some(_) => {}
                    None => {
                        self.collect_auth_uses(lhs, None, uses);
                        self.collect_auth_uses(rhs, None, uses);
                    }
                }
            }
            ExprKind::Index {
                index: Some(index), ..
            } if self.is_tx_origin(self.ast.skip_parens(*index)) => {
                uses.push((id, None));
            }
            // Only boolean structure is followed: `balances[tx.origin] >= amount` reads a
            // balance, it does not decide who may act.
            ExprKind::Binary {
                op: BinaryOp::And | BinaryOp::Or,
                lhs,
                rhs,
            } => {
                self.collect_auth_uses(*lhs, holds, uses);
                self.collect_auth_uses(*rhs, holds, uses);
            }
            ExprKind::Unary {
                op: UnaryOp::Not,
                operand,
            } => {
                self.collect_auth_uses(*operand, holds.map(|h| !h), uses);
            }
            ExprKind::Paren(operand) => {
                self.collect_auth_uses(*operand, holds, uses);
            }
            // `bool ok = tx.origin == owner; require(ok);`: the local's initializer.
            ExprKind::Ident(_) if self.following.get() < 2 => {
                let model = self.file.model();
                if let Some(semantics::Declaration::Local(l)) =
                    model.declaration(self.file.file, id)
                    && let Some(init) =
                        crate::analysis::access::local_initializer(model, self.ast, l)
                {
                    self.following.set(self.following.get() + 1);
                    self.collect_auth_uses(init, holds, uses);
                    self.following.set(self.following.get() - 1);
                }
            }
            ExprKind::Call { callee, args } => {
                // `hasRole(ROLE, tx.origin)`, `isOwner(tx.origin)`: a permission query.
                let asks_about_origin = args
                    .exprs()
                    .into_iter()
                    .any(|a| self.is_tx_origin(self.ast.skip_parens(a)));
                if asks_about_origin && !self.is_conversion(*callee) && !self.changes_state(*callee)
                {
                    uses.push((id, None));
                } else if self.following.get() < 2
                    && let Some(returned) = self.returned_values(*callee)
                {
                    // `require(_isManager())` where `_isManager` returns
                    // `tx.origin == manager`: the comparison in the helper is reported.
                    self.following.set(self.following.get() + 1);
                    for r in returned {
                        self.collect_auth_uses(r, holds, uses);
                    }
                    self.following.set(self.following.get() - 1);
                } else {
                    for a in args.exprs() {
                        self.collect_auth_uses(a, None, uses);
                    }
                }
            }
            _ => {}
        }
    }

    /// The values a read-only function of this file returns (`return tx.origin == a;`),
    /// when `callee` names one that takes no arguments from the call: a check the
    /// caller delegates to a helper.
    fn returned_values(&self, callee: ExprId) -> Option<Vec<ExprId>> {
        let model = self.file.model();
        let Some(semantics::Declaration::Function(item)) =
            model.declaration(self.file.file, self.ast.skip_parens(callee))
        else {
            return None;
        };
        if item.file != self.file.file {
            return None;
        }
        let def = self.ast.item(item.item).as_function()?;
        if !def.is_read_only() {
            return None;
        }
        let body = self.ast.stmt(def.body?).span;
        let returned: Vec<ExprId> = self
            .ast
            .stmts()
            .filter(|(_, s)| s.span.lo >= body.lo && s.span.hi <= body.hi)
            .filter_map(|(_, s)| match &s.kind {
                StmtKind::Return { value: Some(v), .. } => Some(*v),
                _ => None,
            })
            .collect();
        (!returned.is_empty()).then_some(returned)
    }

    /// `tx.origin`, or a local declared with it as its value (`address o = tx.origin;`).
    fn is_tx_origin(&self, id: ExprId) -> bool {
        if self.ast.is_member_of(id, "tx", "origin") {
            return true;
        }
        let model = self.file.model();
        matches!(model.declaration(self.file.file, id), Some(semantics::Declaration::Local(l))
            if crate::analysis::access::local_initializer(model, self.ast, l)
                .is_some_and(|init| self.ast.is_member_of(self.ast.skip_parens(init), "tx", "origin")))
    }

    /// `msg.sender` (only-EOA checks, also through a local holding it) and
    /// `address(0)` / `0` are not authorization.
    fn is_benign_counterpart(&self, id: ExprId) -> bool {
        if self.ast.is_member_of(id, "msg", "sender") {
            return true;
        }
        // `address _addr = msg.sender; require(_addr == tx.origin);`
        if let Some(semantics::Declaration::Local(v)) =
            self.file.model().declaration(self.file.file, id)
            && crate::analysis::access::local_initializer(self.file.model(), self.ast, v)
                .is_some_and(|value| {
                    self.ast
                        .is_member_of(self.ast.skip_parens(value), "msg", "sender")
                })
        {
            return true;
        }
        let expr = self.ast.expr(id);
        if let Some((callee, args)) = expr.as_call()
            && matches!(self.ast.expr(callee).kind, ExprKind::ElementaryType(_))
            && let [arg] = args.exprs().as_slice()
        {
            return self.is_zero(*arg);
        }
        self.is_zero(id)
    }

    fn is_zero(&self, id: ExprId) -> bool {
        self.ast
            .expr(id)
            .as_literal()
            .and_then(|l| l.number_value())
            .is_some_and(|v| v == 0)
    }

    /// True when the callee is a known function that is not `view`/`pure`: a call that
    /// does something (`transferFrom(from, tx.origin, n)`), not a permission query.
    fn changes_state(&self, callee: ExprId) -> bool {
        let model = self.file.model();
        let Some(semantics::Declaration::Function(item)) =
            model.declaration(self.file.file, self.ast.skip_parens(callee))
        else {
            return false;
        };
        model
            .file_ast(item.file)
            .and_then(|ast| ast.item(item.item).as_function())
            .is_some_and(|d| !d.is_read_only())
    }

    fn is_conversion(&self, callee: ExprId) -> bool {
        matches!(self.ast.expr(callee).kind, ExprKind::ElementaryType(_))
    }
}

impl<'a> Visitor<'a> for Walker<'a, '_> {
    fn visit_stmt(&mut self, cx: VisitCx<'a>, id: StmtId) {
        match &self.ast.stmt(id).kind {
            StmtKind::If { cond, .. }
            | StmtKind::While { cond, .. }
            | StmtKind::DoWhile { cond, .. } => {
                self.check_condition(cx, *cond, None);
            }
            StmtKind::For {
                cond: Some(cond), ..
            } => self.check_condition(cx, *cond, None),
            _ => {}
        }
        visit::walk_stmt(self, cx, id);
    }

    fn visit_expr(&mut self, cx: VisitCx<'a>, id: ExprId) {
        match &self.ast.expr(id).kind {
            ExprKind::Call { callee, args } => {
                let callee = self.ast.expr(*callee);
                if (callee.is_ident("require") || callee.is_ident("assert"))
                    && let Some(&cond) = args.exprs().first()
                {
                    self.check_condition(cx, cond, Some(true));
                }
            }
            ExprKind::Ternary { cond, .. } => self.check_condition(cx, *cond, None),
            _ => {}
        }
        visit::walk_expr(self, cx, id);
    }
}
