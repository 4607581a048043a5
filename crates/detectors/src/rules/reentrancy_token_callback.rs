use std::collections::HashMap;

use semantics::{
    Builtin, CallKind, Cfg, ContractId, Declaration, FunctionId, ItemRef, Model, NodeId, NodeKind,
    Type, solve,
};
use syntax::ast::{Ast, ContractKind, ExprId, ExprKind, FunctionKind, StmtId, StmtKind, TypeKind};
use syntax::{FileId, Span};

use crate::analysis::access::{fixed_initializer, is_this};
use crate::analysis::call_results::{own_exprs, walk_expr};
use crate::analysis::reentrancy::{MayHaveCalled, completing_nodes};
use crate::declare::declare_detector;
use crate::detector::{Detector, FileContext};
use crate::finding::Finding;
use crate::meta::{Confidence, DetectorMeta, Severity};

declare_detector! {
    /// ## What it detects
    /// A token operation that hands control to the recipient through a token hook, in a
    /// public function without a reentrancy guard, while state the function checked
    /// before the operation is written only after it:
    ///
    /// - ERC721 `_safeMint`, `_safeTransfer` and `safeTransferFrom` on an ERC721 token
    ///   (the recipient's `onERC721Received`);
    /// - ERC1155 `_mint`, `_mintBatch`, `_safeTransferFrom`, `safeTransferFrom` and
    ///   `safeBatchTransferFrom` (`onERC1155Received`, `onERC1155BatchReceived`);
    /// - ERC777 `send`, `transfer`, `transferFrom` and `operatorSend` on a token declared
    ///   as an ERC777 (`IERC777`, `ERC777`), or on any token of a contract that itself
    ///   implements `tokensReceived` (`tokensReceived`, `tokensToSend`). A plain ERC20
    ///   `transfer` is not a hook.
    ///
    /// Two shapes are reported. A state variable read in a check (`require`, `if`, a
    /// modifier's check, a loop condition) that reaches the hook and written after the
    /// hook on some path, with no write of it before the hook (`require(!claimed[a]);
    /// _safeMint(a, id); claimed[a] = true;`). And a limit checked once before a loop of
    /// mints of the contract's own token, where the check reads the token's accounting
    /// (`balanceOf`, `totalSupply`, `_numberMinted`, or the state the mint writes) and
    /// the amount that bounds the loop: each mint calls the recipient back before the
    /// remaining ones are counted, so a re-entrant call passes the same check again.
    /// The hook may be made through internal helpers; checks and writes through
    /// modifiers and internal calls count: a check held in a local (`bool ok =
    /// balanceOf(msg.sender) + amount <= MAX; require(ok);`) and a check made by an
    /// internal helper the function calls (`_checkLimit(amount)`, its parameter taken as
    /// the caller's argument) are checks of the function. Operations whose recipient is the contract
    /// itself are not hooks to a third party.
    ///
    /// Not reported: functions with a reentrancy mutex (`nonReentrant`, also when the
    /// modifier's source is missing), functions only a privileged caller can run, and
    /// state written before the hook (checks-effects-interactions).
    ///
    /// ## Why it matters
    /// The hook runs the recipient's code in the middle of the function. A recipient
    /// contract re-enters and finds the state as it was before the operation: a per-user
    /// mint limit, a "claimed" flag or a counter that is updated only afterwards passes
    /// again, so one account mints past its limit or claims several times. Token
    /// standards with hooks make every mint or transfer an external call even though it
    /// reads like a local operation.
    ///
    /// ## Example
    /// ```solidity
    /// function mint(uint256 amount) external {
    ///     require(balanceOf(msg.sender) + amount <= MAX_PER_USER);
    ///     for (uint256 i = 0; i < amount; i++) {
    ///         _safeMint(msg.sender, totalSupply());   // reported: re-entered before the rest is minted
    ///     }
    /// }
    /// ```
    ///
    /// ## Recommendation
    /// Update the checked state before the operation (checks-effects-interactions),
    /// count the whole amount before minting, or add a reentrancy guard
    /// (`nonReentrant`). Use `_mint` where the recipient hook is not needed.
    pub(crate) struct ReentrancyTokenCallback;
}

static META: DetectorMeta = DetectorMeta {
    id: "reentrancy-token-callback",
    title: "Reentrancy through a token hook",
    severity: Severity::Low,
    confidence: Confidence::Medium,
    swc: Some("SWC-107"),
    category: "reentrancy",
    description: "A token mint or transfer calls the recipient's hook (`onERC721Received`, \
                  `onERC1155Received`, `tokensReceived`) while state checked before it is \
                  written only after it",
    recommendation: "Write the checked state before the token operation, or add a reentrancy guard",
    references: &[
        "https://eips.ethereum.org/EIPS/eip-721",
        "https://eips.ethereum.org/EIPS/eip-777",
        "https://blocksecteam.medium.com/when-safemint-becomes-unsafe-lessons-from-the-hypebears-security-incident-2965209bda2a",
    ],
    doc: ReentrancyTokenCallback::DOC,
};

impl Detector for ReentrancyTokenCallback {
    fn meta(&self) -> &'static DetectorMeta {
        &META
    }

    fn check_file(&self, cx: &FileContext<'_>, out: &mut Vec<Finding>) {
        let model = cx.model();
        let mut an = Analyzer {
            model,
            hooks: HashMap::new(),
        };
        for (f, info) in cx.functions() {
            let Some(md) = info.contract else { continue };
            if matches!(
                model.contract(md).kind,
                ContractKind::Interface | ContractKind::Library
            ) || !model.is_entry_point(f)
                || model.is_constructor(f)
                || has_mutex(model, f)
            {
                continue;
            }
            let Some(def) = cx.ast().item(info.item.item).as_function() else {
                continue;
            };
            if def.is_read_only() || def.kind == FunctionKind::Modifier || def.body.is_none() {
                continue;
            }
            an.function(cx, f, md, out);
        }
    }
}

/// The standard whose hook an operation calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Standard {
    Erc721,
    Erc1155,
    Erc777,
}

impl Standard {
    fn hook(self) -> &'static str {
        match self {
            Standard::Erc721 => "onERC721Received",
            Standard::Erc1155 => "onERC1155Received",
            Standard::Erc777 => "tokensReceived",
        }
    }
}

/// A token operation calling a hook.
#[derive(Clone, Copy, Debug)]
struct Hook {
    standard: Standard,
    /// A mint or transfer of the contract's own token (internal `_safeMint`, ...),
    /// which updates its accounting (`balanceOf`, `totalSupply`) as it goes.
    own: bool,
    /// The function's source is missing (an unresolved base such as OpenZeppelin's).
    unresolved: bool,
}

/// The hook of the node, and where it is written.
#[derive(Clone, Copy)]
struct HookAt {
    hook: Hook,
    file: FileId,
    span: Span,
}

/// A check of the function: where, which state it reads, whether it reads the token's
/// accounting through a call whose source is missing, and the parameters and locals
/// it mentions.
struct Check {
    node: NodeId,
    span: Span,
    reads: Vec<ItemRef>,
    accounting_call: bool,
    names: Vec<Declaration>,
}

struct Analyzer<'m, 'a> {
    model: &'m Model<'a>,
    /// Whether an internal function makes a hook call (through its own callees).
    hooks: HashMap<(ContractId, FunctionId), Option<Hook>>,
}

/// How deep internal helpers are followed to find a hook call.
const HELPER_DEPTH: u32 = 3;

/// How many locals deep a check's condition is followed into their initializers.
const LOCAL_DEPTH: u32 = 2;

impl Analyzer<'_, '_> {
    fn function(
        &mut self,
        cx: &FileContext<'_>,
        f: FunctionId,
        md: ContractId,
        out: &mut Vec<Finding>,
    ) {
        let m = self.model;
        let Some(cfg) = m.cfg(f) else { return };
        let n = cfg.nodes.len();
        // Only a privileged caller passes a guard, unless the guard is the very check a
        // re-entrant call passes again (`require(shares[msg.sender] >= amount)`) or the
        // token operation itself (`require(token.transfer(msg.sender, n))`).
        let guard = m.guard(f);
        let overlap = |a: Span, b: Span| a.lo < b.hi && b.lo < a.hi;
        let privileged = |check: Span, hook: Span| {
            guard.is_some_and(|g| !overlap(g.span, check) && !overlap(g.span, hook))
        };
        let receiver = implements_receiver(m, md);
        let mut hooks_at: Vec<Option<HookAt>> = vec![None; n];
        let mut writes_at: Vec<Vec<ItemRef>> = vec![Vec::new(); n];
        let mut checks: Vec<Check> = Vec::new();
        for id in cfg.node_ids() {
            let Some((file, span, roots, check)) = node_exprs(m, &cfg, id) else {
                continue;
            };
            let Some(ast) = m.file_ast(file) else {
                continue;
            };
            let holder = cfg.node(id).function;
            let inside = |s: Span| s.lo >= span.lo && s.hi <= span.hi;
            let calls = calls_in(ast, &roots);
            for &call in &calls {
                if hooks_at[id.index()].is_some() {
                    break;
                }
                let hook = hook_of(m, md, holder, file, ast, call, receiver).or_else(|| {
                    let g = internal_target(m, md, holder, call)?;
                    self.helper_hook(md, g, HELPER_DEPTH)
                });
                if let Some(hook) = hook {
                    hooks_at[id.index()] = Some(HookAt {
                        hook,
                        file,
                        span: ast.expr(call).span,
                    });
                }
            }
            for w in m.state_writes(holder) {
                if inside(ast.expr(w.expr).span) {
                    writes_at[id.index()].push(w.var);
                }
            }
            for site in m.calls(holder).iter().filter(|c| inside(c.span)) {
                if let Some(g) = site.expr.and_then(|e| internal_target(m, md, holder, e)) {
                    writes_at[id.index()].extend(m.summary(Some(md), g).writes);
                }
            }
            if let Some(cond) = check {
                checks.push(self.check(md, holder, file, ast, id, cond));
            }
            // Checks made by internal helpers this node calls (`_checkLimit(amount);`).
            for &call in &calls {
                if let Some(g) = internal_target(m, md, holder, call) {
                    checks.extend(self.helper_checks(md, g, id, holder, file, ast, call));
                }
            }
        }
        if hooks_at.iter().all(Option::is_none) {
            return;
        }
        // Each hooked node marks itself.
        let marks: Vec<Vec<usize>> = hooks_at
            .iter()
            .enumerate()
            .map(|(i, h)| h.map(|_| vec![i]).unwrap_or_default())
            .collect();
        let before = solve(&cfg, &MayHaveCalled { calls_at: &marks });
        let completes = completing_nodes(&cfg);
        for h in cfg.node_ids() {
            let Some(at) = hooks_at[h.index()] else {
                continue;
            };
            if at.file != cx.file {
                continue;
            }
            let hi = h.index();
            let ran_before = |x: NodeId| before.get(x.index()).is_some_and(|b| b.contains(&hi));
            let reaching: Vec<&Check> = checks
                .iter()
                .filter(|c| c.node != h && cfg.reaches(c.node, h))
                .collect();
            if reaching.is_empty() {
                continue;
            }
            let mut written_after: Vec<ItemRef> = Vec::new();
            let mut written_before: Vec<ItemRef> = Vec::new();
            for x in cfg.node_ids().filter(|&x| x != h) {
                let ws = &writes_at[x.index()];
                if ran_before(x) && completes[x.index()] {
                    written_after.extend(ws.iter().copied());
                } else if !ran_before(x) && cfg.reaches(x, h) {
                    written_before.extend(ws.iter().copied());
                }
            }
            let stale: Vec<ItemRef> = reaching
                .iter()
                .flat_map(|c| c.reads.iter().copied())
                .filter(|v| written_after.contains(v) && !written_before.contains(v))
                .fold(Vec::new(), |mut acc, v| {
                    if !acc.contains(&v) {
                        acc.push(v);
                    }
                    acc
                });
            let hook = at.hook.standard.hook();
            let stale_check = reaching
                .iter()
                .find(|c| c.reads.iter().any(|v| stale.contains(v)));
            if let Some(c) = stale_check {
                if privileged(c.span, at.span) {
                    continue;
                }
                let names: Vec<String> = stale
                    .iter()
                    .take(3)
                    .map(|&v| format!("`{}`", var_name(m, v)))
                    .collect();
                let finding = cx.finding(
                    &META,
                    Some(f),
                    at.span,
                    format!(
                        "the recipient's `{hook}` can re-enter before {} {} written: the check \
                         made before this call passes again",
                        names.join(", "),
                        if names.len() == 1 { "is" } else { "are" }
                    ),
                );
                let finding = finding.with_secondary(cx.file, c.span, "checked here");
                out.push(finding);
                continue;
            }
            // A limit checked once before a loop of mints of the contract's own token.
            if !at.hook.own || !ran_before(h) {
                continue;
            }
            let Some(ast) = m.file_ast(at.file) else {
                continue;
            };
            let Some((loop_span, bound)) = enclosing_loop(m, at.file, ast, at.span) else {
                continue;
            };
            let mint_writes = &writes_at[hi];
            let limit = reaching.iter().find(|c| {
                let outside = c.span.hi <= loop_span.lo || c.span.lo >= loop_span.hi;
                let accounting = c.reads.iter().any(|v| mint_writes.contains(v))
                    || (at.hook.unresolved && c.accounting_call);
                outside && accounting && c.names.iter().any(|d| bound.contains(d))
            });
            if let Some(c) = limit.filter(|c| !privileged(c.span, at.span)) {
                out.push(
                    cx.finding(
                        &META,
                        Some(f),
                        at.span,
                        format!(
                            "the recipient's `{hook}` can re-enter before the rest of the loop is \
                             minted: the limit checked once before the loop passes again"
                        ),
                    )
                    .with_secondary(cx.file, c.span, "limit checked once here"),
                );
            }
        }
    }

    /// The check made by node `id` on condition `cond`.
    fn check(
        &self,
        md: ContractId,
        holder: FunctionId,
        file: FileId,
        ast: &Ast,
        id: NodeId,
        cond: ExprId,
    ) -> Check {
        let span = ast.expr(cond).span;
        let mut reads = Vec::new();
        let mut accounting_call = false;
        let mut names = Vec::new();
        self.gather(
            md,
            holder,
            file,
            ast,
            cond,
            LOCAL_DEPTH,
            &mut reads,
            &mut accounting_call,
            &mut names,
        );
        Check {
            node: id,
            span,
            reads,
            accounting_call,
            names,
        }
    }

    /// What the expression `e` (of `holder`, in `file`) reads for a check: state read
    /// in it or by the internal functions it calls, whether it calls the token's
    /// accounting whose source is missing, and the parameters and locals it mentions;
    /// through the initializers of locals never reassigned (`bool ok = balanceOf(a) +
    /// n <= max; require(ok);`), `depth` locals deep.
    #[allow(clippy::too_many_arguments)]
    fn gather(
        &self,
        md: ContractId,
        holder: FunctionId,
        file: FileId,
        ast: &Ast,
        e: ExprId,
        depth: u32,
        reads: &mut Vec<ItemRef>,
        accounting_call: &mut bool,
        names: &mut Vec<Declaration>,
    ) {
        let m = self.model;
        let span = ast.expr(e).span;
        let inside = |s: Span| s.lo >= span.lo && s.hi <= span.hi;
        reads.extend(
            m.state_reads(holder)
                .iter()
                .filter(|r| inside(ast.expr(r.expr).span))
                .map(|r| r.var),
        );
        let mut locals = Vec::new();
        walk_expr(ast, e, &mut |x| match &ast.expr(x).kind {
            ExprKind::Call { callee, .. } => {
                if let Some(g) = internal_target(m, md, holder, x) {
                    reads.extend(m.summary(Some(md), g).reads);
                } else if let ExprKind::Ident(name) = &ast.expr(ast.skip_parens(*callee)).kind
                    && !m
                        .declaration(file, *callee)
                        .is_some_and(Declaration::is_resolved)
                    && ACCOUNTING.contains(&name.as_str())
                {
                    *accounting_call = true;
                }
            }
            ExprKind::Ident(_) => {
                if let Some(d @ (Declaration::Param(_) | Declaration::Local(_))) =
                    m.declaration(file, x)
                {
                    names.push(d);
                    if let Declaration::Local(v) = d {
                        locals.push(v);
                    }
                }
            }
            _ => {}
        });
        if depth == 0 {
            return;
        }
        for v in locals {
            if let Some(init) = fixed_initializer(m, ast, file, v) {
                self.gather(
                    md,
                    holder,
                    file,
                    ast,
                    init,
                    depth - 1,
                    reads,
                    accounting_call,
                    names,
                );
            }
        }
    }

    /// The checks an internal helper `g` of this file makes when called by `call` (of
    /// `caller`, at node `id`): its `require`/`assert` and `if` conditions, with the
    /// helper's parameters they mention taken as the caller's arguments.
    #[allow(clippy::too_many_arguments)]
    fn helper_checks(
        &self,
        md: ContractId,
        g: FunctionId,
        id: NodeId,
        caller: FunctionId,
        file: FileId,
        ast: &Ast,
        call: ExprId,
    ) -> Vec<Check> {
        let m = self.model;
        let info = m.function(g);
        let mut out = Vec::new();
        if g == caller || info.item.file != file {
            return out;
        }
        let Some(def) = ast.item(info.item.item).as_function() else {
            return out;
        };
        if def.body.is_none() || def.kind == FunctionKind::Modifier {
            return out;
        }
        let args = ast
            .expr(call)
            .as_call()
            .map(|(_, a)| a.exprs())
            .unwrap_or_default();
        let params = m.params(g);
        let nodes = crate::analysis::derived::body_nodes(ast, m, g);
        for cond in crate::analysis::derived::conditions(ast, &nodes) {
            let mut c = self.check(md, g, file, ast, id, cond);
            let mut names = Vec::new();
            for d in &c.names {
                let Declaration::Param(p) = d else { continue };
                let Some(&a) = params.iter().position(|q| q == p).and_then(|i| args.get(i)) else {
                    continue;
                };
                walk_expr(ast, a, &mut |y| {
                    if let Some(d @ (Declaration::Param(_) | Declaration::Local(_))) =
                        m.declaration(file, y)
                    {
                        names.push(d);
                    }
                });
            }
            c.names = names;
            out.push(c);
        }
        out
    }

    /// The hook an internal function `g` makes (itself or through its helpers), for `md`.
    fn helper_hook(&mut self, md: ContractId, g: FunctionId, depth: u32) -> Option<Hook> {
        if let Some(&h) = self.hooks.get(&(md, g)) {
            return h;
        }
        self.hooks.insert((md, g), None);
        let m = self.model;
        let file = m.function(g).item.file;
        let ast = m.file_ast(file)?;
        let body = ast
            .item(m.function(g).item.item)
            .as_function()
            .and_then(|d| d.body)?;
        let span = ast.stmt(body).span;
        let receiver = implements_receiver(m, md);
        let mut found = None;
        for (x, e) in ast.exprs() {
            if e.span.lo < span.lo || e.span.hi > span.hi || e.as_call().is_none() {
                continue;
            }
            found = hook_of(m, md, g, file, ast, x, receiver);
            if found.is_none() && depth > 0 {
                let next = internal_target(m, md, g, x).filter(|&k| k != g);
                if let Some(k) = next {
                    found = self.helper_hook(md, k, depth - 1);
                }
            }
            if found.is_some() {
                break;
            }
        }
        self.hooks.insert((md, g), found);
        found
    }
}

/// Names of the token accounting an inherited ERC721/ERC1155 contract keeps, read
/// through calls whose source is missing.
const ACCOUNTING: &[&str] = &[
    "balanceOf",
    "totalSupply",
    "_numberMinted",
    "numberMinted",
    "_totalMinted",
    "totalMinted",
];

/// The expressions node `id` evaluates, its span, and the condition it checks (of an
/// `if`, a loop, a `require` or `assert`).
fn node_exprs(
    m: &Model<'_>,
    cfg: &Cfg,
    id: NodeId,
) -> Option<(FileId, Span, Vec<ExprId>, Option<ExprId>)> {
    match cfg.node(id).kind {
        NodeKind::Stmt { file, stmt } => {
            let ast = m.file_ast(file)?;
            let s = ast.stmt(stmt);
            let roots = own_exprs(ast, stmt);
            let check = match &s.kind {
                StmtKind::Expr(e) => {
                    ast.expr(ast.skip_parens(*e))
                        .as_call()
                        .and_then(|(c, args)| {
                            let callee = ast.expr(c);
                            (callee.is_ident("require") || callee.is_ident("assert"))
                                .then(|| args.exprs().first().copied())
                                .flatten()
                        })
                }
                _ => None,
            };
            let span = match &s.kind {
                StmtKind::Try { call, .. } => ast.expr(*call).span,
                StmtKind::Placeholder | StmtKind::Block { .. } => return None,
                _ => s.span,
            };
            Some((file, span, roots, check))
        }
        NodeKind::Condition { file, expr } => {
            let ast = m.file_ast(file)?;
            Some((file, ast.expr(expr).span, vec![expr], Some(expr)))
        }
        NodeKind::Update { file, expr } => {
            let ast = m.file_ast(file)?;
            Some((file, ast.expr(expr).span, vec![expr], None))
        }
        _ => None,
    }
}

/// The internal function the call `call` (in `holder`) reaches for `md`.
fn internal_target(
    m: &Model<'_>,
    md: ContractId,
    holder: FunctionId,
    call: ExprId,
) -> Option<FunctionId> {
    let site = m.calls(holder).iter().find(|c| c.expr == Some(call))?;
    crate::analysis::reentrancy::internal_target(m, md, holder, site)
}

/// The hook the call `call` (written in `holder`, in `file`) makes, if it is a token
/// operation that calls the recipient back. `receiver`: the contract implements
/// `tokensReceived`, so the tokens it moves may be ERC777 tokens.
fn hook_of(
    m: &Model<'_>,
    md: ContractId,
    holder: FunctionId,
    file: FileId,
    ast: &Ast,
    call: ExprId,
    receiver: bool,
) -> Option<Hook> {
    let (mut callee, args) = ast.expr(call).as_call()?;
    let args = args.exprs();
    while let ExprKind::Paren(x) | ExprKind::CallOptions { callee: x, .. } = &ast.expr(callee).kind
    {
        callee = *x;
    }
    let name = ast.callee_name(call)?.as_str();
    let n = args.len();
    let arg = |i: usize| args.get(i).copied();
    let to_this = |i: usize| arg(i).is_some_and(|a| is_this(m, ast, file, a));
    let site = m.calls(holder).iter().find(|c| c.expr == Some(call));
    let base = match &ast.expr(callee).kind {
        ExprKind::Ident(_) => None,
        ExprKind::Member { base, .. } => {
            let is_super = matches!(
                m.declaration(file, ast.skip_parens(*base)),
                Some(Declaration::Builtin(Builtin::Super))
            );
            if is_super { None } else { Some(*base) }
        }
        _ => return None,
    };
    match base {
        // The contract's own mint or transfer.
        None => {
            let (standard, recipient) = match (name, n) {
                ("_safeMint", 2 | 3) => (Standard::Erc721, 0),
                ("_safeTransfer", 3 | 4) => (Standard::Erc721, 1),
                ("_mint" | "_mintBatch", 4) => (Standard::Erc1155, 0),
                ("_safeTransferFrom" | "_safeBatchTransferFrom", 5) => (Standard::Erc1155, 1),
                _ => return None,
            };
            if to_this(recipient) {
                return None;
            }
            // With its source at hand, the operation must reach an external call.
            let unresolved = match site {
                Some(s) => {
                    let CallKind::Internal { function, .. } = s.kind else {
                        return None;
                    };
                    let g = m.function_of_item(m.dispatch(md, function))?;
                    if m.summary(Some(md), g).external_calls.is_empty() {
                        return None;
                    }
                    false
                }
                None => true,
            };
            Some(Hook {
                standard,
                own: true,
                unresolved,
            })
        }
        Some(base) => {
            if site.is_some_and(|s| !matches!(s.kind, CallKind::HighLevel { .. })) {
                return None;
            }
            let names = type_names(m, file, ast, base);
            let erc777 = names.iter().any(|t| t.contains("777")) || receiver;
            let erc721 = names.iter().any(|t| t.contains("721"))
                || matches!(m.type_of(file, base), Type::Contract(c)
                    if m.lookup_member(*c, "ownerOf").is_some());
            let standard = match (name, n) {
                ("safeTransferFrom", 3 | 4) if erc721 => {
                    if to_this(1) {
                        return None;
                    }
                    Standard::Erc721
                }
                ("safeTransferFrom" | "safeBatchTransferFrom", 5) => {
                    if to_this(1) {
                        return None;
                    }
                    Standard::Erc1155
                }
                ("send", 3) | ("transfer", 2) if erc777 => {
                    if to_this(0) {
                        return None;
                    }
                    Standard::Erc777
                }
                ("transferFrom", 3) | ("operatorSend", 5) if erc777 => {
                    if to_this(0) && to_this(1) {
                        return None;
                    }
                    Standard::Erc777
                }
                _ => return None,
            };
            Some(Hook {
                standard,
                own: false,
                unresolved: false,
            })
        }
    }
}

/// The names of the contract types `e` is declared with: its resolved type and the
/// bases, or the written name of a type whose source is missing (`ERC777 token;`,
/// `IERC777(addr)`).
fn type_names(m: &Model<'_>, file: FileId, ast: &Ast, e: ExprId) -> Vec<String> {
    let e = ast.skip_parens(e);
    if let Type::Contract(c) = m.type_of(file, e) {
        return m
            .linearization(*c)
            .iter()
            .map(|&b| m.contract(b).name.to_string())
            .collect();
    }
    let mut out = Vec::new();
    if let Some((callee, args)) = ast.expr(e).as_call()
        && args.len() == 1
        && let ExprKind::Ident(i) = &ast.expr(ast.skip_parens(callee)).kind
    {
        out.push(i.as_str().to_owned());
    }
    let written = |vast: &Ast, ty: syntax::ast::TypeId| match &vast.ty(ty).kind {
        TypeKind::UserDefined(p) => p.last().map(|i| i.as_str().to_owned()),
        _ => None,
    };
    match m.declaration(file, e) {
        Some(Declaration::StateVar(v)) => {
            if let Some(vast) = m.file_ast(v.file)
                && let Some(d) = vast.item(v.item).as_variable()
            {
                out.extend(written(vast, d.ty));
            }
        }
        Some(Declaration::Param(p)) => {
            let info = m.var(p);
            if let Some(f) = info.function
                && let Some(vast) = m.file_ast(info.file)
                && let Some(d) = vast.item(m.function(f).item.item).as_function()
            {
                for decl in &d.params {
                    if decl.name.as_ref().is_some_and(|n| n.span == info.span) {
                        out.extend(written(vast, decl.ty));
                    }
                }
            }
        }
        _ => {}
    }
    out
}

/// True when `md` or a base implements the ERC777 recipient hook.
fn implements_receiver(m: &Model<'_>, md: ContractId) -> bool {
    m.lookup_member(md, "tokensReceived")
        .is_some_and(|d| matches!(d, Declaration::Function(_)))
}

/// A reentrancy mutex on `f`: one the model recognises, or a modifier whose source is
/// missing named as one (`nonReentrant`, `lock`).
fn has_mutex(m: &Model<'_>, f: FunctionId) -> bool {
    if m.has_reentrancy_mutex(f) {
        return true;
    }
    let item = m.function(f).item;
    let Some(def) = m
        .file_ast(item.file)
        .and_then(|a| a.item(item.item).as_function())
    else {
        return false;
    };
    let resolved: Vec<Span> = m
        .calls(f)
        .iter()
        .filter(|c| matches!(c.kind, CallKind::Modifier { .. }))
        .map(|c| c.span)
        .collect();
    def.modifiers.iter().any(|inv| {
        let name = inv
            .path
            .last()
            .map(|i| i.as_str().to_ascii_lowercase())
            .unwrap_or_default();
        !resolved
            .iter()
            .any(|s| s.lo >= inv.span.lo && s.hi <= inv.span.hi)
            && (name.contains("reentran") || name.contains("lock") || name.contains("mutex"))
    })
}

/// The innermost loop around `span` in `ast` (a loop of the function's own body), with
/// the parameters and locals its condition mentions.
fn enclosing_loop(
    m: &Model<'_>,
    file: FileId,
    ast: &Ast,
    span: Span,
) -> Option<(Span, Vec<Declaration>)> {
    let mut best: Option<(StmtId, Span)> = None;
    for (id, s) in ast.stmts() {
        let (body, _) = match &s.kind {
            StmtKind::For { body, cond, .. } => (*body, *cond),
            StmtKind::While { body, cond } | StmtKind::DoWhile { body, cond } => {
                (*body, Some(*cond))
            }
            _ => continue,
        };
        let b = ast.stmt(body).span;
        if b.lo <= span.lo && span.hi <= b.hi && best.is_none_or(|(_, bs)| s.span.lo >= bs.lo) {
            best = Some((id, s.span));
        }
    }
    let (id, loop_span) = best?;
    let cond = match &ast.stmt(id).kind {
        StmtKind::For { cond, .. } => *cond,
        StmtKind::While { cond, .. } | StmtKind::DoWhile { cond, .. } => Some(*cond),
        _ => None,
    }?;
    let mut names = Vec::new();
    walk_expr(ast, cond, &mut |x| {
        if let Some(d @ (Declaration::Param(_) | Declaration::Local(_))) = m.declaration(file, x) {
            names.push(d);
        }
    });
    Some((loop_span, names))
}

fn var_name(m: &Model<'_>, v: ItemRef) -> String {
    crate::analysis::access::item_name(m, v)
}

/// The calls in the expressions `roots`, outermost first.
fn calls_in(ast: &Ast, roots: &[ExprId]) -> Vec<ExprId> {
    let mut calls = Vec::new();
    for &root in roots {
        walk_expr(ast, root, &mut |x| {
            if ast.expr(x).as_call().is_some() {
                calls.push(x);
            }
        });
    }
    calls
}
