use semantics::{CallKind, Declaration, FunctionId, Model};
use syntax::Span;
use syntax::ast::{
    Ast, BinaryOp, ExprId, ExprKind, Literal, StmtId, StmtKind, UnaryOp, YulExprKind,
};

use crate::analysis::access::{body_span, exprs_within, fixed_initializer, is_msg_sender};
use crate::declare::declare_detector;
use crate::detector::{Detector, FileContext};
use crate::finding::Finding;
use crate::meta::{Confidence, DetectorMeta, Severity};

declare_detector! {
    /// ## What it detects
    /// A check that lets the code go on only when `msg.sender` has no code: a `require`
    /// (or a `require` in a modifier) whose condition needs `!isContract(msg.sender)`,
    /// `msg.sender.code.length == 0` or a helper of the project returning
    /// `extcodesize(a) == 0`; or an `if` whose branch reverts or returns when
    /// `isContract(msg.sender)`. A code-size helper is a function of the project that
    /// measures its address parameter with `extcodesize`, `extcodehash`, `.code` or
    /// `.codehash`, and OpenZeppelin's `Address.isContract` when its source is missing.
    /// The check may be held in a local first (`bool eoa = !isContract(msg.sender);
    /// require(eoa);`) when the local is not reassigned.
    ///
    /// Not reported: a check that also requires `msg.sender == tx.origin` (in the same
    /// function, its modifiers or the helpers it calls), which does keep contracts out, and checks of other
    /// addresses, such as `require(isContract(target))` before calling `target`, which
    /// make sure a target has code.
    ///
    /// ## Why it matters
    /// A contract's code is stored only at the end of its constructor: while the
    /// constructor runs, `extcodesize(address(this))` is 0. An attacker calls the
    /// protected function from a constructor and passes the "no contracts" guard
    /// (anti-bot mints, flash-loan and reentrancy protections built on it). The code
    /// size is also 0 for addresses where a contract will be deployed later.
    ///
    /// ## Example
    /// ```solidity
    /// function mint() external {
    ///     require(!isContract(msg.sender), "no contracts");   // reported
    ///     _mint(msg.sender, 1);
    /// }
    /// ```
    ///
    /// ## Recommendation
    /// Do not rely on the caller having no code. Design the function to be safe for
    /// contract callers; where only externally owned accounts may call,
    /// `msg.sender == tx.origin` is the check that holds (it also excludes smart-contract
    /// wallets).
    pub(crate) struct ContractCheckBypass;
}

static META: DetectorMeta = DetectorMeta {
    id: "contract-check-bypass",
    title: "Contract caller excluded by code size",
    severity: Severity::Low,
    confidence: Confidence::High,
    swc: None,
    category: "access_control",
    description: "A guard keeps contracts out by checking that `msg.sender` has no code, which \
                  a contract calling from its constructor passes",
    recommendation: "Do not rely on the caller having no code; use `msg.sender == tx.origin` \
                     where only externally owned accounts may call",
    references: &[
        "https://docs.openzeppelin.com/contracts/4.x/api/utils#Address-isContract-address-",
        "https://consensys.github.io/smart-contract-best-practices/development-recommendations/solidity-specific/extcodesize-checks/",
    ],
    doc: ContractCheckBypass::DOC,
};

/// The project's code-size helpers with what their result means: `true` when it is
/// true for an address with code (`isContract`), `false` when true for one without.
struct CodeSizeHelpers(Vec<(FunctionId, bool)>);

impl CodeSizeHelpers {
    fn of(m: &Model<'_>) -> CodeSizeHelpers {
        let mut out = Vec::new();
        for (f, info) in m.functions() {
            if info.arity == 0 {
                continue;
            }
            let Some(ast) = m.file_ast(info.item.file) else {
                continue;
            };
            let Some(def) = ast.item(info.item.item).as_function() else {
                continue;
            };
            let Some(body) = body_span(ast, def) else {
                continue;
            };
            if def.returns.len() != 1 || !measures_code(ast, body) {
                continue;
            }
            let returned = returned_polarity(ast, body).or_else(|| {
                let name = info.name.to_ascii_lowercase();
                if name.contains("contract") && !name.contains("not") {
                    Some(true)
                } else if name.contains("eoa")
                    || name.contains("human")
                    || name.contains("notcontract")
                {
                    Some(false)
                } else {
                    None
                }
            });
            if let Some(p) = returned {
                out.push((f, p));
            }
        }
        CodeSizeHelpers(out)
    }
}

impl Detector for ContractCheckBypass {
    fn meta(&self) -> &'static DetectorMeta {
        &META
    }

    fn check_file(&self, cx: &FileContext<'_>, out: &mut Vec<Finding>) {
        let (model, ast, file) = (cx.model(), cx.ast(), cx.file);
        let helpers = cx.project.project_wide(|| CodeSizeHelpers::of(model));
        for (f, info) in cx.functions() {
            let Some(def) = ast.item(info.item.item).as_function() else {
                continue;
            };
            let Some(body) = body_span(ast, def) else {
                continue;
            };
            let sites = Sites {
                model,
                ast,
                file,
                f,
                helpers: &helpers.0,
            };
            let mut found: Vec<ExprId> = Vec::new();
            for e in exprs_within(ast, body) {
                let Some((callee, args)) = ast.expr(e).as_call() else {
                    continue;
                };
                if ast.expr(callee).is_ident("require")
                    && let Some(&cond) = args.exprs().first()
                    && sites.requires_no_code(cond)
                {
                    found.push(cond);
                }
            }
            for (_, s) in ast.stmts() {
                if s.span.lo < body.lo || s.span.hi > body.hi {
                    continue;
                }
                // `if (isContract(msg.sender)) revert(...);` guards what follows; with an
                // `else` that exits too, it only picks how to fail.
                if let StmtKind::If {
                    cond,
                    then_branch,
                    else_branch,
                } = &s.kind
                    && exits(ast, *then_branch)
                    && !else_branch.is_some_and(|e| exits(ast, e))
                    && sites.rejects_code(*cond)
                {
                    found.push(*cond);
                }
            }
            if found.is_empty() || checks_origin(model, file, f, body) {
                continue;
            }
            for cond in found {
                out.push(cx.finding(
                    &META,
                    Some(f),
                    ast.expr(cond).span,
                    "the caller is kept out only if it has code: a contract calling from its \
                     constructor has none yet and passes",
                ));
            }
        }
    }
}

struct Sites<'m, 'a> {
    model: &'m Model<'a>,
    ast: &'a Ast,
    file: syntax::FileId,
    f: FunctionId,
    helpers: &'m [(FunctionId, bool)],
}

impl Sites<'_, '_> {
    /// `cond` holding implies `msg.sender` has no code (through `&&`).
    fn requires_no_code(&self, cond: ExprId) -> bool {
        let ast = self.ast;
        let cond = ast.skip_parens(cond);
        if let ExprKind::Binary {
            op: BinaryOp::And,
            lhs,
            rhs,
        } = &ast.expr(cond).kind
        {
            return self.requires_no_code(*lhs) || self.requires_no_code(*rhs);
        }
        self.sender_has_code(cond) == Some(false)
    }

    /// `cond` holding is enough to reject a caller with code (through `||`).
    fn rejects_code(&self, cond: ExprId) -> bool {
        let ast = self.ast;
        let cond = ast.skip_parens(cond);
        if let ExprKind::Binary {
            op: BinaryOp::Or,
            lhs,
            rhs,
        } = &ast.expr(cond).kind
        {
            return self.rejects_code(*lhs) || self.rejects_code(*rhs);
        }
        self.sender_has_code(cond) == Some(true)
    }

    /// `Some(true)` when `e` is true exactly when `msg.sender` has code, `Some(false)`
    /// when it is true exactly when it has none.
    fn sender_has_code(&self, e: ExprId) -> Option<bool> {
        let ast = self.ast;
        let e = ast.skip_parens(e);
        match &ast.expr(e).kind {
            // `bool eoa = !isContract(msg.sender); require(eoa);`: a local never
            // reassigned stands for its initializer.
            ExprKind::Ident(_) => {
                let Some(Declaration::Local(v)) = self.model.declaration(self.file, e) else {
                    return None;
                };
                self.sender_has_code(fixed_initializer(self.model, ast, self.file, v)?)
            }
            ExprKind::Unary {
                op: UnaryOp::Not,
                operand,
            } => self.sender_has_code(*operand).map(|p| !p),
            ExprKind::Binary { op, lhs, rhs } => {
                // `isContract(msg.sender) == false`.
                let as_bool = |x: ExprId| match ast.expr(ast.skip_parens(x)).as_literal() {
                    Some(Literal::Bool(b)) => Some(*b),
                    _ => None,
                };
                if let (Some(b), Some(p)) = (as_bool(*rhs), self.sender_has_code(*lhs)) {
                    return match op {
                        BinaryOp::Eq => Some(p == b),
                        BinaryOp::Ne => Some(p != b),
                        _ => None,
                    };
                }
                // `msg.sender.code.length == 0`, `> 0`, `!= 0`.
                let zero = |x: ExprId| {
                    ast.expr(ast.skip_parens(x))
                        .as_literal()
                        .and_then(Literal::number_value)
                        == Some(0)
                };
                if self.is_sender_code_size(*lhs) && zero(*rhs) {
                    return match op {
                        BinaryOp::Eq | BinaryOp::Le => Some(false),
                        BinaryOp::Gt | BinaryOp::Ne => Some(true),
                        _ => None,
                    };
                }
                None
            }
            ExprKind::Call { callee, args } => {
                // `isContract(msg.sender)`, `Address.isContract(msg.sender)`,
                // `msg.sender.isContract()`.
                let callee = ast.skip_parens(*callee);
                let (subject, bound) = match args.exprs().as_slice() {
                    [a] => (Some(*a), false),
                    [] => (ast.expr(callee).as_member_access().map(|(b, _)| b), true),
                    _ => (None, false),
                };
                let subject = subject?;
                if !is_msg_sender(self.model, ast, self.file, subject) {
                    return None;
                }
                let site = self.model.calls(self.f).iter().find(|c| c.expr == Some(e));
                let target = site.and_then(|c| match c.kind {
                    CallKind::Internal { function, .. } | CallKind::Library { function, .. } => {
                        self.model.function_of_item(function)
                    }
                    _ => None,
                });
                match target {
                    Some(g) => self.helpers.iter().find(|(h, _)| *h == g).map(|&(_, p)| p),
                    None => {
                        let name = ast.callee_name(e)?;
                        let resolved = !bound
                            && self
                                .model
                                .declaration(self.file, callee)
                                .is_some_and(Declaration::is_resolved);
                        (name.as_str() == "isContract" && !resolved && site.is_none())
                            .then_some(true)
                    }
                }
            }
            _ => None,
        }
    }

    /// `msg.sender.code.length`.
    fn is_sender_code_size(&self, e: ExprId) -> bool {
        let ast = self.ast;
        let Some((code, len)) = ast.expr(ast.skip_parens(e)).as_member_access() else {
            return false;
        };
        let Some((sender, c)) = ast.expr(ast.skip_parens(code)).as_member_access() else {
            return false;
        };
        len.as_str() == "length"
            && c.as_str() == "code"
            && is_msg_sender(self.model, ast, self.file, sender)
    }
}

/// The body measures an address's code: `extcodesize`, `extcodehash`, `.code`, `.codehash`.
fn measures_code(ast: &Ast, body: Span) -> bool {
    let yul = ast.yul_exprs().any(|(_, y)| {
        y.span.lo >= body.lo
            && y.span.hi <= body.hi
            && matches!(&y.kind, YulExprKind::Call { function, .. }
                if function.as_str() == "extcodesize" || function.as_str() == "extcodehash")
    });
    yul || exprs_within(ast, body).any(|e| {
        ast.expr(e)
            .as_member_access()
            .is_some_and(|(_, m)| m.as_str() == "code" || m.as_str() == "codehash")
    })
}

/// What the body's `return` means: `size > 0`, `size != 0` and `codehash != h` are
/// true for an address with code, `size == 0` for one without; or the Yul
/// `gt(extcodesize(a), 0)` / `iszero(extcodesize(a))` assigned to the result.
fn returned_polarity(ast: &Ast, body: Span) -> Option<bool> {
    fn of(ast: &Ast, e: ExprId) -> Option<bool> {
        let e = ast.skip_parens(e);
        match &ast.expr(e).kind {
            ExprKind::Unary {
                op: UnaryOp::Not,
                operand,
            } => of(ast, *operand).map(|p| !p),
            ExprKind::Binary { op, lhs, .. } => match op {
                BinaryOp::Gt | BinaryOp::Ne => Some(true),
                BinaryOp::Eq | BinaryOp::Le => Some(false),
                BinaryOp::And | BinaryOp::Or => of(ast, *lhs),
                _ => None,
            },
            _ => None,
        }
    }
    for (_, s) in ast.stmts() {
        if s.span.lo < body.lo || s.span.hi > body.hi {
            continue;
        }
        // `if (a == address(0)) return false;` says nothing about the measure.
        if let StmtKind::Return { value: Some(v) } = &s.kind
            && ast.expr(ast.skip_parens(*v)).as_literal().is_none()
        {
            return of(ast, *v);
        }
    }
    for (_, y) in ast.yul_exprs() {
        if y.span.lo < body.lo || y.span.hi > body.hi {
            continue;
        }
        if let YulExprKind::Call { function, args, .. } = &y.kind {
            let inner_measures = args.first().is_some_and(|&a| {
                matches!(&ast.yul_expr(a).kind, YulExprKind::Call { function, .. }
                    if function.as_str() == "extcodesize")
            });
            if inner_measures {
                match function.as_str() {
                    "gt" => return Some(true),
                    "iszero" => return Some(false),
                    _ => {}
                }
            }
        }
    }
    None
}

/// True when `f` (its body, modifiers or internal callees) compares `msg.sender` with
/// `tx.origin`.
fn checks_origin(m: &Model<'_>, file: syntax::FileId, f: FunctionId, body: Span) -> bool {
    let mut spans = vec![(file, body)];
    // Its modifiers and the internal functions it reaches (the code-size helper may
    // itself require `tx.origin == msg.sender`).
    for g in m.summary(m.function(f).contract, f).callees {
        let item = m.function(g).item;
        if let Some(gast) = m.file_ast(item.file)
            && let Some(b) = gast
                .item(item.item)
                .as_function()
                .and_then(|d| body_span(gast, d))
        {
            spans.push((item.file, b));
        }
    }
    spans.into_iter().any(|(file, span)| {
        let Some(a) = m.file_ast(file) else {
            return false;
        };
        exprs_within(a, span).any(|e| match &a.expr(e).kind {
            ExprKind::Binary {
                op: BinaryOp::Eq | BinaryOp::Ne,
                lhs,
                rhs,
            } => {
                let origin = |x: ExprId| a.is_member_of(a.skip_parens(x), "tx", "origin");
                (origin(*lhs) && is_msg_sender(m, a, file, *rhs))
                    || (origin(*rhs) && is_msg_sender(m, a, file, *lhs))
            }
            _ => false,
        })
    })
}

/// The statement leaves the function: `revert`, `return`, `throw`, or a block starting so.
fn exits(ast: &Ast, s: StmtId) -> bool {
    match &ast.stmt(s).kind {
        StmtKind::Return { .. } | StmtKind::Revert { .. } | StmtKind::Throw => true,
        StmtKind::Block { stmts, .. } => stmts.first().is_some_and(|&x| exits(ast, x)),
        StmtKind::Expr(e) => ast
            .expr(ast.skip_parens(*e))
            .as_call()
            .is_some_and(|(c, _)| ast.expr(c).is_ident("revert")),
        _ => false,
    }
}
