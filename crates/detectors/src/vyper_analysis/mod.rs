//! Vyper modules as detectors see them, and the analyses the Vyper forms of the
//! detectors share.
//!
//! A Vyper file is one contract (module). Its facts come from the front-end's
//! per-function summaries ([`vyper::summary`]): visibility, mutability, the
//! `@nonreentrant` lock, storage reads and writes, external and internal calls and
//! caller guards. On top of them this module orders what a function does, with
//! internal calls inlined and call targets the caller chooses marked
//! ([`VyperModule::effects`]), follows caller input through expressions
//! ([`input_reaches`]) and tells which compiler releases a pragma admits
//! ([`admitted_releases`]).
//!
//! Like the Solidity detectors, everything here is per module and syntactic: names
//! resolve against the module's own declarations, imports are not followed.

pub(crate) mod checks;
pub(crate) mod compiler;
pub(crate) mod features;

use std::collections::{HashMap, HashSet};

use syntax::{Comment, CommentKind, FileId, Span};
use vyper::ast::{Ast, ExprId, ExprKind, FunctionDef, StmtId, StmtKind, Visibility};
use vyper::pragma::Version;
use vyper::summary::{ExternalCall, FunctionSummary};

use crate::finding::Finding;
use crate::meta::DetectorMeta;

/// What detectors share about one Vyper module, computed once per file.
#[derive(Debug)]
pub struct VyperModule {
    summaries: Vec<FunctionSummary>,
    by_name: HashMap<String, usize>,
    comments: Vec<Comment>,
    /// The spans of every assignment statement (`=` and augmented), by start.
    assignments: Vec<(u32, u32)>,
    /// The spans of every `for` statement.
    loops: Vec<(u32, u32)>,
    /// The `then` and `else` blocks of every `if` with both, as spans.
    branches: Vec<((u32, u32), (u32, u32))>,
    /// The storage variable holding the contract each external call goes to
    /// (`coins` for `ERC20(self.coins[1]).transfer(...)`), by call expression.
    targets: HashMap<ExprId, String>,
    /// What the call targets and internal-call arguments of each function depend on,
    /// by the function's item index.
    flows: HashMap<usize, Flow>,
}

/// What a value depends on: parameters of its function, and the caller's address.
#[derive(Debug, Default, Clone)]
struct Dep {
    params: Vec<String>,
    sender: bool,
}

impl Dep {
    /// True when the value is chosen by the caller, given which parameters are.
    fn reaches(&self, tainted: &HashSet<&str>) -> bool {
        self.sender || self.params.iter().any(|p| tainted.contains(p.as_str()))
    }
}

/// Per function: its parameters, what each external call's target depends on, and
/// what each argument of each internal call depends on (by call-site span).
#[derive(Debug, Default)]
struct Flow {
    params: Vec<String>,
    targets: HashMap<ExprId, Dep>,
    arguments: HashMap<(u32, u32), Vec<(String, Dep)>>,
}

impl VyperModule {
    /// Summarizes the functions of `parse` (the parse of `text`).
    pub fn new(parse: &vyper::Parse, text: &str) -> Self {
        let summaries = vyper::summary::summarize(parse, text);
        let by_name = summaries
            .iter()
            .enumerate()
            .map(|(i, s)| (s.name.clone(), i))
            .collect();
        let comments = parse
            .comments()
            .iter()
            .map(|c| Comment {
                kind: CommentKind::Hash,
                span: c.span,
            })
            .collect();
        let ast = parse.ast();
        let mut assignments: Vec<(u32, u32)> = ast
            .stmts()
            .filter(|(_, s)| matches!(s.kind, StmtKind::Assign { .. } | StmtKind::AugAssign { .. }))
            .map(|(_, s)| (s.span.lo, s.span.hi))
            .collect();
        assignments.sort_unstable();
        let loops = ast
            .stmts()
            .filter(|(_, s)| matches!(s.kind, StmtKind::For { .. }))
            .map(|(_, s)| (s.span.lo, s.span.hi))
            .collect();
        let block_span = |stmts: &[StmtId]| -> Option<(u32, u32)> {
            let first = ast.stmt(*stmts.first()?).span.lo;
            let last = ast.stmt(*stmts.last()?).span.hi;
            Some((first, last))
        };
        let branches = ast
            .stmts()
            .filter_map(|(_, s)| match &s.kind {
                StmtKind::If { then, orelse, .. } => Some((block_span(then)?, block_span(orelse)?)),
                _ => None,
            })
            .collect();
        let targets = call_targets(ast, &summaries);
        let flows = summaries
            .iter()
            .filter_map(|f| match &ast.items.get(f.item)?.kind {
                vyper::ast::ItemKind::Function(def) => Some((f.item, flow(ast, def, f))),
                _ => None,
            })
            .collect();
        Self {
            summaries,
            by_name,
            comments,
            assignments,
            loops,
            branches,
            targets,
            flows,
        }
    }

    /// The `#` comments, in the form the suppression parser reads.
    pub fn comments(&self) -> &[Comment] {
        &self.comments
    }

    /// Every function's summary, in source order.
    pub fn functions(&self) -> &[FunctionSummary] {
        &self.summaries
    }

    /// The summary of the function named `name`.
    pub fn function(&self, name: &str) -> Option<&FunctionSummary> {
        self.by_name.get(name).map(|&i| &self.summaries[i])
    }

    /// What `f` does, in source order, with the effects of the internal functions it
    /// calls placed at their call sites (recursively; an internal function already on
    /// the call path is not entered again, so recursion terminates). `f` is taken as
    /// called from outside: its parameters are caller input, and a call whose target
    /// derives from them (or from `msg.sender`) is marked `untrusted`, through internal
    /// calls too (a parameter of the callee is caller input when its argument is).
    pub(crate) fn effects<'m>(&'m self, f: &'m FunctionSummary) -> Vec<Effect<'m>> {
        let mut path = vec![f.name.as_str()];
        let tainted: HashSet<&str> = self
            .flows
            .get(&f.item)
            .map(|flow| flow.params.iter().map(String::as_str).collect())
            .unwrap_or_default();
        self.ordered_effects(f, &tainted, &mut path)
    }

    fn ordered_effects<'m>(
        &'m self,
        f: &'m FunctionSummary,
        tainted: &HashSet<&str>,
        path: &mut Vec<&'m str>,
    ) -> Vec<Effect<'m>> {
        let flow = self.flows.get(&f.item);
        let own = |at: u32, span: Span, kind: EffectKind<'m>, untrusted: bool| {
            (
                at,
                vec![Effect {
                    at,
                    span,
                    kind,
                    untrusted,
                }],
            )
        };
        let mut segments: Vec<(u32, Vec<Effect<'m>>)> = Vec::new();
        for r in &f.storage_reads {
            segments.push(own(
                r.span.lo,
                r.span,
                EffectKind::Read(r.name.as_str()),
                false,
            ));
        }
        for w in &f.storage_writes {
            segments.push(own(
                self.write_position(w.span),
                w.span,
                EffectKind::Write(w.name.as_str()),
                false,
            ));
        }
        for c in &f.external_calls {
            let untrusted = flow
                .and_then(|flow| flow.targets.get(&c.expr))
                .is_some_and(|dep| dep.reaches(tainted));
            segments.push(own(c.span.lo, c.span, EffectKind::Call(c), untrusted));
        }
        for (name, site) in &f.internal_call_sites {
            let Some(callee) = self.function(name) else {
                continue;
            };
            if path.contains(&callee.name.as_str()) || path.len() > 32 {
                continue;
            }
            let callee_tainted: HashSet<&str> = flow
                .and_then(|flow| flow.arguments.get(&(site.lo, site.hi)))
                .map(|args| {
                    args.iter()
                        .filter(|(_, dep)| dep.reaches(tainted))
                        .map(|(param, _)| param.as_str())
                        .collect()
                })
                .unwrap_or_default();
            path.push(callee.name.as_str());
            let inner = self.ordered_effects(callee, &callee_tainted, path);
            path.pop();
            let placed = inner
                .into_iter()
                .map(|e| Effect {
                    at: site.lo,
                    span: *site,
                    kind: e.kind,
                    untrusted: e.untrusted,
                })
                .collect();
            segments.push((site.lo, placed));
        }
        // Stable: at one position, reads come before writes and calls (as listed).
        segments.sort_by_key(|(at, _)| *at);
        segments.into_iter().flat_map(|(_, e)| e).collect()
    }

    /// True when `f` calls, directly or through its internal functions, an internal
    /// function this module does not define (a function of an imported 0.4 module): what
    /// it checks is unknown here.
    pub(crate) fn calls_unknown(&self, f: &FunctionSummary) -> bool {
        let mut seen: HashSet<&str> = HashSet::from([f.name.as_str()]);
        let mut todo = vec![f];
        while let Some(g) = todo.pop() {
            for (name, _) in &g.internal_call_sites {
                match self.function(name) {
                    None => return true,
                    Some(callee) if seen.insert(callee.name.as_str()) => todo.push(callee),
                    Some(_) => {}
                }
            }
        }
        false
    }

    /// The storage variable that holds the contract `call` goes to, when it is one.
    pub(crate) fn call_target(&self, call: &ExternalCall) -> Option<&str> {
        self.targets.get(&call.expr).map(String::as_str)
    }

    /// True when what happens at `later` can follow what happens at `first` in one
    /// execution: it comes after it (and not in the other branch of the same `if`), or
    /// both are in one loop (the next iteration).
    pub(crate) fn happens_after(&self, first: u32, later: u32) -> bool {
        let within = |(lo, hi): (u32, u32), at: u32| (lo..=hi).contains(&at);
        // The `then` and `else` blocks of one `if` never both run (in one iteration).
        let exclusive = self.branches.iter().any(|&(then, orelse)| {
            within(then, first) && within(orelse, later)
                || within(orelse, first) && within(then, later)
        });
        later > first && !exclusive
            || self
                .loops
                .iter()
                .any(|&loop_span| within(loop_span, first) && within(loop_span, later))
    }

    /// Where a write to storage takes effect: at the end of its assignment statement
    /// (`self.x = extcall t.f()` writes after the call), else where it is written.
    fn write_position(&self, target: Span) -> u32 {
        let i = self.assignments.partition_point(|&(lo, _)| lo <= target.lo);
        match i.checked_sub(1).map(|i| self.assignments[i]) {
            Some((_, hi)) if hi >= target.hi => hi,
            _ => target.lo,
        }
    }
}

/// The dependencies of `def`'s call targets and internal-call arguments on its
/// parameters and on `msg.sender` / `tx.origin`, through its locals (two passes over the
/// body, so that loops settle).
fn flow(ast: &Ast, def: &FunctionDef, summary: &FunctionSummary) -> Flow {
    let params: Vec<String> = def
        .params
        .iter()
        .map(|p| p.name.as_str().to_owned())
        .collect();
    let mut locals: HashMap<&str, Dep> = def
        .params
        .iter()
        .map(|p| {
            (
                p.name.as_str(),
                Dep {
                    params: vec![p.name.as_str().to_owned()],
                    sender: false,
                },
            )
        })
        .collect();
    let dep_of = |locals: &HashMap<&str, Dep>, e: ExprId| {
        let mut dep = Dep::default();
        add_dependencies(ast, locals, e, &mut dep);
        dep
    };
    for _ in 0..2 {
        walk_stmts(ast, &def.body, &mut |s| {
            let (name, value) = match &ast.stmt(s).kind {
                StmtKind::AnnAssign {
                    target,
                    value: Some(v),
                    ..
                } => (target.as_str(), *v),
                StmtKind::Assign { target, value } => match &ast.expr(*target).kind {
                    ExprKind::Name(n) => (n.as_str(), *value),
                    _ => return,
                },
                _ => return,
            };
            let dep = dep_of(&locals, value);
            if dep.sender || !dep.params.is_empty() {
                let entry = locals.entry(name).or_default();
                entry.sender |= dep.sender;
                for p in dep.params {
                    if !entry.params.contains(&p) {
                        entry.params.push(p);
                    }
                }
            }
        });
    }
    let mut out = Flow {
        params,
        ..Flow::default()
    };
    for call in &summary.external_calls {
        if let Some(target) = call_target_expr(ast, call.expr) {
            out.targets.insert(call.expr, dep_of(&locals, target));
        }
    }
    // Internal call sites: the call expressions with the sites' spans.
    let sites: HashSet<(u32, u32)> = summary
        .internal_call_sites
        .iter()
        .map(|(_, s)| (s.lo, s.hi))
        .collect();
    walk_stmts(ast, &def.body, &mut |s| {
        ast.for_each_stmt_expr(s, |root| {
            walk_expr(ast, root, &mut |e| {
                let span = ast.expr(e).span;
                if !sites.contains(&(span.lo, span.hi)) {
                    return;
                }
                let ExprKind::Call {
                    func,
                    args,
                    keywords,
                } = &ast.expr(e).kind
                else {
                    return;
                };
                let callee = match &ast.expr(*func).kind {
                    ExprKind::Attribute { attr, .. } => attr.as_str(),
                    _ => return,
                };
                let Some(callee_def) = ast.function(callee) else {
                    return;
                };
                let mut deps = Vec::new();
                for (param, &arg) in callee_def.params.iter().zip(args) {
                    deps.push((param.name.as_str().to_owned(), dep_of(&locals, arg)));
                }
                for k in keywords {
                    deps.push((k.name.as_str().to_owned(), dep_of(&locals, k.value)));
                }
                out.arguments.insert((span.lo, span.hi), deps);
            });
        });
    });
    out
}

/// Adds what `e` depends on to `dep`. A value read from storage, an immutable or a
/// constant is the module's own configuration whatever index the caller picks
/// (`self.coins[i]` is one of the coins the pool was set up with), so nothing below it
/// counts.
fn add_dependencies(ast: &Ast, locals: &HashMap<&str, Dep>, e: ExprId, dep: &mut Dep) {
    if module_state(ast, e) {
        return;
    }
    if matches!(
        ast.env_var(e),
        Some(vyper::EnvVar::MsgSender | vyper::EnvVar::TxOrigin)
    ) {
        dep.sender = true;
        return;
    }
    if let ExprKind::Name(n) = &ast.expr(e).kind
        && let Some(d) = locals.get(n.as_str())
    {
        dep.sender |= d.sender;
        for p in &d.params {
            if !dep.params.contains(p) {
                dep.params.push(p.clone());
            }
        }
    }
    // The result of a call (an internal or external function, a deployment) is not the
    // caller's choice; built-ins that compute with their arguments (`convert`, `min`) are.
    let computes = match &ast.expr(e).kind {
        ExprKind::Call { .. } => ast.builtin_call(e).is_some_and(|b| !b.is_external_call()),
        ExprKind::ExtCall(_) | ExprKind::StaticCall(_) => false,
        _ => true,
    };
    if computes {
        ast.for_each_child_expr(e, |child| add_dependencies(ast, locals, child, dep));
    }
}

/// The expression naming the account an external call goes to: the first argument of
/// `raw_call`/`send`, `a` in `I(a).f()`, `self.t` in `self.t.f()`.
fn call_target_expr(ast: &Ast, call: ExprId) -> Option<ExprId> {
    let ExprKind::Call { func, args, .. } = &ast.expr(call).kind else {
        return None;
    };
    match &ast.expr(*func).kind {
        ExprKind::Name(_) => args.first().copied(),
        ExprKind::Attribute { base, .. } => match &ast.expr(*base).kind {
            ExprKind::Call { args, .. } if args.len() == 1 => Some(args[0]),
            _ => Some(*base),
        },
        _ => None,
    }
}

/// True when `e` is read from the module's state: `self.x...`, or an element or member
/// of a module-level name (an immutable or constant, written in upper case by
/// convention, or any name declared at module level).
pub(crate) fn module_state(ast: &Ast, mut e: ExprId) -> bool {
    loop {
        if ast.self_member(e).is_some() {
            return true;
        }
        match &ast.expr(e).kind {
            ExprKind::Subscript { base, .. } | ExprKind::Attribute { base, .. } => e = *base,
            ExprKind::Name(n) => {
                return ast.variables().any(|v| v.name.as_str() == n.as_str());
            }
            _ => return false,
        }
    }
}

/// `x` for `self.x`, `self.x[i]`, `self.x.y`: the member of `self` an expression is
/// rooted at.
pub(crate) fn storage_root(ast: &Ast, mut e: ExprId) -> Option<&str> {
    loop {
        if let Some(member) = ast.self_member(e) {
            return Some(member.as_str());
        }
        match &ast.expr(e).kind {
            ExprKind::Subscript { base, .. } | ExprKind::Attribute { base, .. } => e = *base,
            _ => return None,
        }
    }
}

/// The storage roots of every external call's target. A local assigned from storage
/// (`lp_token: address = self.lp_token`) stands for that storage variable (locals are
/// matched by name across the module: names are rarely reused for other contracts).
fn call_targets(ast: &Ast, summaries: &[FunctionSummary]) -> HashMap<ExprId, String> {
    let mut locals: HashMap<&str, &str> = HashMap::new();
    for (_, stmt) in ast.stmts() {
        if let StmtKind::AnnAssign {
            target,
            value: Some(v),
            ..
        } = &stmt.kind
            && let Some(root) = storage_root(ast, *v).or_else(|| {
                // `Token(self.token)` converted on assignment.
                match &ast.expr(*v).kind {
                    ExprKind::Call { args, .. } if args.len() == 1 => storage_root(ast, args[0]),
                    _ => None,
                }
            })
        {
            locals.insert(target.as_str(), root);
        }
    }
    let root_of = |e: ExprId| -> Option<&str> {
        storage_root(ast, e).or_else(|| match &ast.expr(e).kind {
            ExprKind::Name(n) => locals.get(n.as_str()).copied(),
            _ => None,
        })
    };
    let mut out = HashMap::new();
    for call in summaries.iter().flat_map(|f| &f.external_calls) {
        if let Some(root) = call_target_expr(ast, call.expr).and_then(root_of) {
            out.insert(call.expr, root.to_owned());
        }
    }
    out
}

/// One thing a function does, at a position of its own body.
#[derive(Clone, Debug)]
pub(crate) struct Effect<'m> {
    /// The offset in the analysed function's body (a call site for inlined effects).
    pub(crate) at: u32,
    /// Where to point: the effect itself, or the call site that leads to it.
    pub(crate) span: Span,
    pub(crate) kind: EffectKind<'m>,
    /// For a call: its target is chosen by the caller (`msg.sender`, a parameter, or a
    /// value computed from them).
    pub(crate) untrusted: bool,
}

#[derive(Clone, Debug)]
pub(crate) enum EffectKind<'m> {
    Read(&'m str),
    Write(&'m str),
    Call(&'m ExternalCall),
}

/// One Vyper module as a detector sees it.
#[derive(Clone, Copy)]
pub struct VyperContext<'a> {
    pub file: FileId,
    /// The contract's name: the file name without `.vy`.
    pub name: &'a str,
    pub text: &'a str,
    pub parse: &'a vyper::Parse,
    pub module: &'a VyperModule,
}

impl<'a> VyperContext<'a> {
    pub fn ast(&self) -> &'a Ast {
        self.parse.ast()
    }

    /// The definition of a summarized function.
    pub(crate) fn def(&self, f: &FunctionSummary) -> Option<&'a FunctionDef> {
        match &self.ast().items.get(f.item)?.kind {
            vyper::ast::ItemKind::Function(def) => Some(def),
            _ => None,
        }
    }

    /// A finding of `meta` at `span`, in function `function` of this module.
    pub(crate) fn finding(
        &self,
        meta: &'static DetectorMeta,
        function: Option<&str>,
        span: Span,
        message: impl Into<String>,
    ) -> Finding {
        Finding::new(meta, self.file, span, message).with_context(Some(self.name), function)
    }
}

/// True when anyone may call `f` from outside: `@external` (or `@public`), and not the
/// constructor.
pub(crate) fn is_entry_point(f: &FunctionSummary, def: Option<&FunctionDef>) -> bool {
    f.visibility == Some(Visibility::External) && !def.is_some_and(FunctionDef::is_constructor)
}

/// Calls `visit` on every statement of `body`, nested blocks included, in source order.
pub(crate) fn walk_stmts(ast: &Ast, body: &[StmtId], visit: &mut impl FnMut(StmtId)) {
    for &s in body {
        visit(s);
        match &ast.stmt(s).kind {
            StmtKind::If { then, orelse, .. } => {
                walk_stmts(ast, then, visit);
                walk_stmts(ast, orelse, visit);
            }
            StmtKind::For { body, .. } => walk_stmts(ast, body, visit),
            _ => {}
        }
    }
}

/// Calls `visit` on `root` and every expression below it (the parser bounds the depth).
pub(crate) fn walk_expr(ast: &Ast, root: ExprId, visit: &mut impl FnMut(ExprId)) {
    visit(root);
    ast.for_each_child_expr(root, |child| walk_expr(ast, child, visit));
}

/// True when `root` or an expression below it satisfies `test`.
pub(crate) fn any_expr(ast: &Ast, root: ExprId, test: &mut impl FnMut(ExprId) -> bool) -> bool {
    let mut found = false;
    walk_expr(ast, root, &mut |e| found = found || test(e));
    found
}

/// The names of local variables (parameters included) that `expr` mentions.
pub(crate) fn names_in(ast: &Ast, expr: ExprId) -> Vec<&str> {
    let mut out = Vec::new();
    walk_expr(ast, expr, &mut |e| {
        if let ExprKind::Name(n) = &ast.expr(e).kind {
            out.push(n.as_str());
        }
    });
    out
}

/// True when `e` computes with caller input: a name in `tainted`, `msg.value` or
/// `msg.data`. Values read from the module's state and results of function calls
/// (other than built-ins such as `convert`, `min` or `unsafe_add`) are not the caller's
/// choice and are not followed.
pub(crate) fn input_reaches(ast: &Ast, tainted: &HashSet<&str>, e: ExprId) -> bool {
    if module_state(ast, e) {
        return false;
    }
    if matches!(
        ast.env_var(e),
        Some(vyper::EnvVar::MsgValue | vyper::EnvVar::MsgData)
    ) {
        return true;
    }
    match &ast.expr(e).kind {
        ExprKind::Name(n) => tainted.contains(n.as_str()),
        ExprKind::Call { .. } if ast.builtin_call(e).is_none() => false,
        ExprKind::ExtCall(_) | ExprKind::StaticCall(_) => false,
        _ => {
            let mut found = false;
            ast.for_each_child_expr(e, |child| {
                found = found || input_reaches(ast, tainted, child)
            });
            found
        }
    }
}

/// Every Vyper release, oldest first: what a version pragma is matched against.
/// 0.1 betas are left out (the front-end reads them with a warning only).
pub(crate) const RELEASES: &[(u32, u32, u32)] = &[
    (0, 2, 0),
    (0, 2, 1),
    (0, 2, 2),
    (0, 2, 3),
    (0, 2, 4),
    (0, 2, 5),
    (0, 2, 6),
    (0, 2, 7),
    (0, 2, 8),
    (0, 2, 9),
    (0, 2, 10),
    (0, 2, 11),
    (0, 2, 12),
    (0, 2, 13),
    (0, 2, 14),
    (0, 2, 15),
    (0, 2, 16),
    (0, 3, 0),
    (0, 3, 1),
    (0, 3, 2),
    (0, 3, 3),
    (0, 3, 4),
    (0, 3, 5),
    (0, 3, 6),
    (0, 3, 7),
    (0, 3, 8),
    (0, 3, 9),
    (0, 3, 10),
    (0, 4, 0),
    (0, 4, 1),
    (0, 4, 2),
    (0, 4, 3),
];

/// The released compilers the module's version pragma admits, oldest first; `None`
/// without a readable pragma (the version is unknown).
pub(crate) fn admitted_releases(parse: &vyper::Parse) -> Option<Vec<Version>> {
    let req = parse.version_req()?;
    Some(
        RELEASES
            .iter()
            .map(|&(a, b, c)| Version::new(a, b, c))
            .filter(|v| req.matches(v))
            .collect(),
    )
}

/// `0.2.15` for a version.
pub(crate) fn version_text(v: &Version) -> String {
    format!("{}.{}.{}", v.major, v.minor, v.patch)
}
