use std::collections::HashSet;

use semantics::{Declaration, FunctionId, ItemRef, TaintSources};
use syntax::Span;
use syntax::ast::{BinaryOp, ElementaryType, ExprId, ExprKind, StmtKind};

use crate::analysis::value_flow::{
    Body, bodies, is_block_read, is_hash_call, key, line_count, subexprs,
};
use crate::declare::declare_detector;
use crate::detector::{Detector, FileContext};
use crate::finding::Finding;
use crate::meta::{Confidence, DetectorMeta, Severity};

declare_detector! {
    /// ## What it detects
    /// Block values used as a source of randomness. A function computes randomness when
    /// it has a *random sink* fed by a block value (`block.timestamp`/`now`,
    /// `block.number`, `block.difficulty`/`prevrandao`, `block.coinbase`,
    /// `block.gaslimit`, `blockhash(...)`), directly or through local variables and
    /// state variables written from block values:
    /// - a hash (`keccak256`, `sha3`, `sha256`) of block values taken as a number
    ///   (`uint(keccak256(...))`); a hash used as an identifier is not a sink;
    /// - a block hash taken as a number (`uint(blockhash(n))`);
    /// - a block value reduced with `%` (not a truncation by a power written `2**k`,
    ///   and not a rounding `x - x % n` or `n - x % n`);
    /// - a block hash (or a hash of block values) compared for equality with a value
    ///   the caller chose (a guess).
    ///
    /// In such a function each block value read inside a sink, or stored in a variable
    /// the sinks read (directly or through other variables), is reported on its own
    /// line; a `require`/`if` that only checks timing is not. A sink in a `return`
    /// statement (the random value the function hands out) is reported too, and so is
    /// `%` over `msg.sender` in the same function (an address used as a seed). A state variable
    /// initialised or assigned from a block value and read by a sink (inside it, or
    /// through a local it reads) is reported where it is written: it is a seed anyone
    /// can read.
    ///
    /// The hash of a block recorded by an earlier transaction (`blockhash(bet.block)`)
    /// used as entropy is reported at low severity, with what is wrong with it (its
    /// producer can withhold it; after 256 blocks it is zero); compared with a caller's
    /// guess it stays high (guess zero and wait).
    ///
    /// Not randomness: a time reduced to a position in a period (`x % 1 hours`,
    /// `(now - start) % 1 years`), and a block hash compared with a hash a privileged
    /// caller supplies (a croupier's reveal checked against the bet's block). Reported at
    /// low severity: a sink in an internal or `view` function nothing in the project
    /// calls, and a draw only a privileged caller can run (the players cannot time it;
    /// the message says that caller can).
    ///
    /// `timestamp-dependence` reports uses of the block time in conditions; a use that
    /// feeds randomness is reported only here.
    ///
    /// Calibration: on the triage set of real mainnet contracts (`bench/triage/`),
    /// 41 of 50 findings were right when this severity and confidence were set
    /// (`docs/benchmarks.md`, Precision).
    ///
    /// In Vyper: `x % n` where `x` comes from `block.prevrandao`, `block.difficulty`,
    /// `blockhash(...)` or a `keccak256`/`sha256` of block values (directly or through
    /// locals); `block.timestamp % WEEK` alone is time arithmetic and is not reported.
    ///
    /// ## Why it matters
    /// Every input is public or chosen by the block producer: a contract can compute the
    /// same "random" number in the same transaction and play only when it wins, and a
    /// producer can withhold or reorder blocks to pick the outcome. Lotteries, card
    /// games and raffles built this way are drained.
    ///
    /// ## Example
    /// ```solidity
    /// function play() external payable {
    ///     uint256 roll = uint256(keccak256(abi.encodePacked(block.timestamp, msg.sender))) % 6;  // reported
    ///     if (roll == 0) payable(msg.sender).transfer(address(this).balance);
    /// }
    /// ```
    ///
    /// ## Recommendation
    /// Use a verifiable random function (e.g. Chainlink VRF) or a commit-reveal scheme
    /// whose reveal happens in a later block than every commitment.
    pub(crate) struct WeakRandomness;
}

static META: DetectorMeta = DetectorMeta {
    id: "weak-randomness",
    title: "Randomness from block values",
    severity: Severity::High,
    confidence: Confidence::High,
    swc: Some("SWC-120"),
    category: "bad_randomness",
    description: "A random value is computed from block values, which the block producer influences \
                  and any contract can compute in the same transaction",
    recommendation: "Use a verifiable random function or a commit-reveal scheme instead of block values",
    references: &[
        "https://swcregistry.io/docs/SWC-120",
        "https://docs.soliditylang.org/en/latest/units-and-global-variables.html#block-and-transaction-properties",
    ],
    doc: WeakRandomness::DOC,
};

impl Detector for WeakRandomness {
    fn meta(&self) -> &'static DetectorMeta {
        &META
    }

    fn check_vyper(&self, cx: &crate::vyper_analysis::VyperContext<'_>, out: &mut Vec<Finding>) {
        crate::vyper_analysis::checks::weak_randomness(cx, &META, out);
    }

    fn supports_vyper(&self) -> bool {
        true
    }

    fn check_file(&self, cx: &FileContext<'_>, out: &mut Vec<Finding>) {
        let all = bodies(cx);
        let mut seeds: HashSet<ItemRef> = HashSet::new();
        let mut random_bodies = Vec::new();
        let called = cx.project.project_wide(|| CalledFunctions::of(cx.model()));
        for body in &all {
            let sinks = random_sinks(cx, body);
            if sinks.is_empty() {
                continue;
            }
            seeds.extend(sink_state(cx, body, &sinks));
            let start = out.len();
            report_body(cx, body, &sinks, out);
            // Low: an internal function nothing calls, or a `view` one only outside
            // callers read (it decides nothing here); and a draw only a privileged
            // caller can run (players cannot time it; the privileged caller can).
            let uncalled = !called.0.contains(&body.function)
                && (!cx.model().is_entry_point(body.function) || body.def.is_read_only());
            let privileged = cx.model().is_guarded(body.function);
            if uncalled || privileged {
                for f in &mut out[start..] {
                    f.severity = Severity::Low;
                    if privileged {
                        f.primary.message = format!(
                            "{} (only a privileged caller runs this function, and can time it)",
                            f.primary.message
                        );
                    }
                }
            }
            random_bodies.push(body.function);
        }
        if seeds.is_empty() {
            return;
        }
        // Seeds written from block values: initialisers, and assignments elsewhere.
        let ast = cx.ast();
        for (item, it) in ast.items() {
            let Some(var) = it.as_variable() else {
                continue;
            };
            let r = ItemRef {
                file: cx.file,
                item,
            };
            if let Some(v) = var.value
                && seeds.contains(&r)
                && subexprs(ast, v)
                    .into_iter()
                    .any(|x| is_block_read(cx.model(), ast, cx.file, x))
            {
                let message = format!(
                    "`{}` is a random seed taken from a block value: anyone can read it",
                    var.name.as_str()
                );
                out.push(cx.finding(&META, None, it.span, message));
            }
        }
        for body in &all {
            if random_bodies.contains(&body.function) {
                continue;
            }
            for &e in &body.exprs {
                let ExprKind::Assign { lhs, rhs, .. } = &ast.expr(e).kind else {
                    continue;
                };
                let Some(Declaration::StateVar(r)) = cx.model().declaration(cx.file, *lhs) else {
                    continue;
                };
                if seeds.contains(&r)
                    && subexprs(ast, *rhs)
                        .into_iter()
                        .any(|x| is_block_read(cx.model(), ast, cx.file, x))
                {
                    let message = format!(
                        "`{}` is a random seed taken from a block value: anyone can read it",
                        cx.snippet(ast.expr(*lhs).span)
                    );
                    let span = body.report_span(cx.text, e);
                    out.push(cx.finding(&META, Some(body.function), span, message));
                }
            }
        }
    }
}

/// The functions some function of the project calls internally (modifiers included).
struct CalledFunctions(HashSet<FunctionId>);

impl CalledFunctions {
    fn of(model: &semantics::Model<'_>) -> CalledFunctions {
        let mut out = HashSet::new();
        for (g, _) in model.functions() {
            out.extend(model.internal_callees(None, g));
        }
        CalledFunctions(out)
    }
}

/// The state variables the sinks of `body` read: inside a sink, or in the initialiser
/// or assignments of a local a sink reads (one step).
fn sink_state(cx: &FileContext<'_>, body: &Body<'_>, sinks: &[(ExprId, bool)]) -> HashSet<ItemRef> {
    let model = cx.model();
    let ast = body.ast;
    let mut out = HashSet::new();
    let mut locals: HashSet<String> = HashSet::new();
    let collect = |e: ExprId, locals: &mut HashSet<String>, out: &mut HashSet<ItemRef>| {
        for x in subexprs(ast, e) {
            match model.declaration(cx.file, x) {
                Some(Declaration::StateVar(r)) => {
                    out.insert(r);
                }
                Some(Declaration::Local(_)) => {
                    if let Some(id) = ast.expr(x).as_ident() {
                        locals.insert(id.as_str().to_owned());
                    }
                }
                _ => {}
            }
        }
    };
    for &(e, _) in sinks {
        collect(e, &mut locals, &mut out);
    }
    let mut feeding = Vec::new();
    for a in body.anchor.values() {
        if let StmtKind::VarDecl {
            decls,
            value: Some(v),
            ..
        } = &ast.stmt(a.stmt).kind
            && decls
                .iter()
                .flatten()
                .any(|d| d.name.as_ref().is_some_and(|n| locals.contains(n.as_str())))
        {
            feeding.push(*v);
        }
    }
    for &e in &body.exprs {
        if let ExprKind::Assign { lhs, rhs, .. } = &ast.expr(e).kind
            && ast
                .expr(*lhs)
                .as_ident()
                .is_some_and(|id| locals.contains(id.as_str()))
        {
            feeding.push(*rhs);
        }
    }
    feeding.sort_unstable_by_key(|e| e.index());
    feeding.dedup();
    let mut ignored = HashSet::new();
    for v in feeding {
        collect(v, &mut ignored, &mut out);
    }
    out
}

/// The random sinks of a body that block values feed.
fn random_sinks(cx: &FileContext<'_>, body: &Body<'_>) -> Vec<(ExprId, bool)> {
    let model = cx.model();
    let taint = cx.taint();
    let ast = body.ast;
    let derived = block_derived_names(cx, body);
    let block = |e: ExprId| is_block_derived(cx, body, &derived, e);
    let rounding = rounding_remainders(cx, body);
    let mut sinks = Vec::new();
    for &e in &body.exprs {
        let is_sink = match &ast.expr(e).kind {
            ExprKind::Binary {
                op: BinaryOp::Rem,
                lhs,
                rhs,
            } => {
                block(*lhs)
                    && !is_truncation(cx, *rhs)
                    && !is_period(cx, *lhs, *rhs)
                    && !rounding.contains(&e)
            }
            ExprKind::Binary {
                op: BinaryOp::Eq | BinaryOp::Ne,
                lhs,
                rhs,
            } => {
                let (tl, tr) = (
                    taint.expr(model, cx.file, *lhs),
                    taint.expr(model, cx.file, *rhs),
                );
                // A privileged caller supplying the hash (a croupier revealing
                // against a block hash) is checking, not guessing.
                !model.is_guarded(body.function)
                    && ((is_hash_derived(cx, body, &derived, *lhs) && chosen(tr))
                        || (is_hash_derived(cx, body, &derived, *rhs) && chosen(tl)))
            }
            // `uint(blockhash(n))`, `uint(keccak256(block values))`: taken as a number.
            ExprKind::Call { callee, args } => {
                matches!(
                    ast.expr(*callee).kind,
                    ExprKind::ElementaryType(ElementaryType::Uint(_) | ElementaryType::Int(_))
                ) && args.exprs().into_iter().any(|a| {
                    let a = ast.skip_parens(a);
                    (matches!(ast.expr(a).kind, ExprKind::Call { .. })
                        && is_block_read(model, ast, cx.file, a))
                        || (is_hash_call(model, ast, cx.file, a)
                            && ast
                                .expr(a)
                                .as_call()
                                .is_some_and(|(_, args)| args.exprs().into_iter().any(block)))
                })
            }
            _ => false,
        };
        if is_sink {
            sinks.push((e, false));
        }
    }
    if !sinks.is_empty() {
        // An address reduced with `%` next to block-based randomness is a seed too.
        for &e in &body.exprs {
            if let ExprKind::Binary {
                op: BinaryOp::Rem,
                lhs,
                ..
            } = &ast.expr(e).kind
            {
                let t = taint.expr(model, cx.file, *lhs);
                if (t.contains(TaintSources::SENDER) || t.contains(TaintSources::ORIGIN))
                    && !sinks.iter().any(|&(s, _)| s == e)
                {
                    sinks.push((e, true));
                }
            }
        }
    }
    sinks
}

/// Locals of the body assigned from block values (directly or through other such
/// locals), and state variables of the file written from block values.
fn block_derived_names(cx: &FileContext<'_>, body: &Body<'_>) -> HashSet<String> {
    let ast = body.ast;
    let model = cx.model();
    let mut names = HashSet::new();
    // State written from a block value anywhere in the file.
    for (_, it) in ast.items() {
        if let Some(var) = it.as_variable()
            && let Some(v) = var.value
            && contains_block_read(cx, v)
        {
            names.insert(var.name.as_str().to_owned());
        }
    }
    for (_, e) in ast.exprs() {
        if let ExprKind::Assign { op: None, lhs, rhs } = &e.kind
            && let Some(Declaration::StateVar(_)) = model.declaration(cx.file, *lhs)
            && let Some(id) = ast.expr(*lhs).as_ident()
            && contains_block_read(cx, *rhs)
        {
            names.insert(id.as_str().to_owned());
        }
    }
    let mut stmts: Vec<_> = body.anchor.values().map(|a| a.stmt).collect();
    stmts.sort_unstable_by_key(|s| s.index());
    stmts.dedup();
    for _ in 0..4 {
        let before = names.len();
        for &s in &stmts {
            if let StmtKind::VarDecl {
                decls,
                value: Some(v),
                ..
            } = &ast.stmt(s).kind
                && is_block_derived(cx, body, &names, *v)
            {
                for d in decls.iter().flatten() {
                    if let Some(n) = &d.name {
                        names.insert(n.as_str().to_owned());
                    }
                }
            }
        }
        for &e in &body.exprs {
            if let ExprKind::Assign { lhs, rhs, .. } = &ast.expr(e).kind
                && let Some(Declaration::Local(_)) = model.declaration(cx.file, *lhs)
                && is_block_derived(cx, body, &names, *rhs)
                && let Some(id) = ast.expr(*lhs).as_ident()
            {
                names.insert(id.as_str().to_owned());
            }
        }
        if names.len() == before {
            break;
        }
    }
    names
}

fn contains_block_read(cx: &FileContext<'_>, e: ExprId) -> bool {
    let ast = cx.ast();
    subexprs(ast, e)
        .into_iter()
        .any(|x| is_block_read(cx.model(), ast, cx.file, x))
}

/// True when `e` contains a block read or a local or state variable written from one.
fn is_block_derived(
    cx: &FileContext<'_>,
    body: &Body<'_>,
    names: &HashSet<String>,
    e: ExprId,
) -> bool {
    let ast = body.ast;
    subexprs(ast, e).into_iter().any(|x| {
        is_block_read(cx.model(), ast, cx.file, x)
            || ast.expr(x).as_ident().is_some_and(|id| {
                names.contains(id.as_str())
                    && matches!(
                        cx.model().declaration(cx.file, x),
                        Some(Declaration::Local(_) | Declaration::StateVar(_))
                    )
            })
    })
}

/// True when `e` is a block hash or a hash of block values (or a local holding one).
fn is_hash_derived(
    cx: &FileContext<'_>,
    body: &Body<'_>,
    names: &HashSet<String>,
    e: ExprId,
) -> bool {
    let ast = body.ast;
    let model = cx.model();
    let e = ast.skip_parens(e);
    let hashy = |x: ExprId| {
        (matches!(ast.expr(x).kind, ExprKind::Call { .. }) && is_block_read(model, ast, cx.file, x))
            || (is_hash_call(model, ast, cx.file, x) && is_block_derived(cx, body, names, x))
    };
    if hashy(e) {
        return true;
    }
    // A local initialised with a block hash.
    let Some(id) = ast.expr(e).as_ident() else {
        return false;
    };
    if !matches!(model.declaration(cx.file, e), Some(Declaration::Local(_))) {
        return false;
    }
    body.anchor.values().any(|a| match &ast.stmt(a.stmt).kind {
        StmtKind::VarDecl {
            decls,
            value: Some(v),
            ..
        } => {
            decls
                .iter()
                .flatten()
                .any(|d| d.name.as_ref().is_some_and(|n| n.as_str() == id.as_str()))
                && subexprs(ast, *v).into_iter().any(hashy)
        }
        _ => false,
    })
}

/// Remainders used to round: `x - x % n` (round down to a multiple) and
/// `n - x % n` (what is left of a period).
fn rounding_remainders(cx: &FileContext<'_>, body: &Body<'_>) -> Vec<ExprId> {
    let ast = body.ast;
    let mut out = Vec::new();
    for &e in &body.exprs {
        // `a - b`, or `a.sub(b)` through a SafeMath-style library.
        let (lhs, rhs) = match &ast.expr(e).kind {
            ExprKind::Binary {
                op: BinaryOp::Sub,
                lhs,
                rhs,
            } => (*lhs, *rhs),
            ExprKind::Call { callee, args } => match (&ast.expr(*callee).kind, &args.exprs()[..]) {
                (ExprKind::Member { base, member }, [arg]) if member.as_str() == "sub" => {
                    (*base, *arg)
                }
                _ => continue,
            },
            _ => continue,
        };
        let lhs = &lhs;
        let rem = ast.skip_parens(rhs);
        if let ExprKind::Binary {
            op: BinaryOp::Rem,
            lhs: x,
            rhs: n,
        } = &ast.expr(rem).kind
        {
            let k = key(ast, cx.text, *lhs);
            if k == key(ast, cx.text, *x) || k == key(ast, cx.text, *n) {
                out.push(rem);
            }
        }
    }
    out
}

/// A value the caller chose (a guess): calldata, not the sender's address.
fn chosen(t: TaintSources) -> bool {
    t.contains(TaintSources::CALLDATA)
}

/// `x % 2**32`: a truncation to a width, not a draw.
/// A time reduced to a period: by a number of time units (`x % 1 hours`), or an
/// elapsed time (`(now - start) % 1 years`): a position in a cycle, not a draw.
fn is_period(cx: &FileContext<'_>, lhs: ExprId, rhs: ExprId) -> bool {
    use syntax::ast::{Literal, NumberUnit};
    let ast = cx.ast();
    let unit = matches!(
        ast.expr(ast.skip_parens(rhs)).as_literal(),
        Some(Literal::Number {
            unit: Some(
                NumberUnit::Seconds
                    | NumberUnit::Minutes
                    | NumberUnit::Hours
                    | NumberUnit::Days
                    | NumberUnit::Weeks
                    | NumberUnit::Years
            ),
            ..
        })
    );
    // An elapsed time (`now - start`), or the time in coarser units (`now / 60 % 60`:
    // the minute of the hour).
    let elapsed = matches!(
        ast.expr(ast.skip_parens(lhs)).kind,
        ExprKind::Binary {
            op: BinaryOp::Sub | BinaryOp::Div,
            ..
        }
    );
    unit || elapsed
}

fn is_truncation(cx: &FileContext<'_>, rhs: ExprId) -> bool {
    let ast = cx.ast();
    matches!(
        ast.expr(ast.skip_parens(rhs)).kind,
        ExprKind::Binary {
            op: BinaryOp::Pow,
            ..
        }
    )
}

/// Reports the block reads that feed the randomness of `body`: inside a sink, or
/// stored in a variable the sinks read (directly or through other variables). An
/// address reduced with `%` (a seed) is reported where it is reduced.
fn report_body(
    cx: &FileContext<'_>,
    body: &Body<'_>,
    sinks: &[(ExprId, bool)],
    out: &mut Vec<Finding>,
) {
    let model = cx.model();
    let ast = body.ast;
    let sink_spans: Vec<Span> = sinks.iter().map(|&(s, _)| ast.expr(s).span).collect();
    let inside_sink = |e: ExprId| {
        let sp = ast.expr(e).span;
        sink_spans.iter().any(|s| s.lo <= sp.lo && sp.hi <= s.hi)
    };
    let relevant = relevant_names(body, sinks);
    let guessing = sinks.iter().any(|&(s, _)| {
        matches!(
            ast.expr(s).kind,
            ExprKind::Binary {
                op: BinaryOp::Eq | BinaryOp::Ne,
                ..
            }
        )
    });
    let mut reported: Vec<Span> = Vec::new();
    let mut push = |span: Span, message: String, out: &mut Vec<Finding>| {
        if reported.iter().any(|r| r.lo <= span.lo && span.hi <= r.hi) {
            return;
        }
        reported.push(span);
        out.push(cx.finding(&META, Some(body.function), span, message));
    };
    for &e in &body.exprs {
        if !is_block_read(model, ast, cx.file, e) {
            continue;
        }
        let defines_relevant = body
            .stmt_of(e)
            .is_some_and(|s| defined_names(body, s).iter().any(|n| relevant.contains(n)));
        if !inside_sink(e) && !defines_relevant {
            continue;
        }
        let span = own_line_span(cx, body, e);
        // Guessing a recorded block's hash stays predictable: after 256 blocks it is zero.
        if !guessing && committed_block_hash(cx, body, e) {
            // The hash of a block recorded in an earlier transaction (a bet's block):
            // no contract can compute it in advance; its producer can still withhold it.
            let message = format!(
                "`{}` of a block recorded earlier feeds a random value: contracts cannot \
                 predict it, but that block's producer can withhold it, and after 256 blocks it \
                 reads as zero",
                cx.snippet(ast.expr(e).span)
            );
            let before = out.len();
            push(span, message, out);
            for f in &mut out[before..] {
                f.severity = Severity::Low;
            }
            continue;
        }
        let message = format!(
            "`{}` feeds a random value: the block producer influences it and any contract can \
             compute it",
            cx.snippet(ast.expr(e).span)
        );
        push(span, message, out);
    }
    for &(s, alone) in sinks {
        if alone {
            let span = own_line_span(cx, body, s);
            let message = format!(
                "`{}` is a predictable seed of a random value",
                cx.snippet(ast.expr(s).span)
            );
            push(span, message, out);
            continue;
        }
        // The random value the function hands out: `return uint(h / f) % max;`.
        let returned = body
            .stmt_of(s)
            .is_some_and(|st| matches!(ast.stmt(st).kind, StmtKind::Return { .. }));
        if returned {
            let span = own_line_span(cx, body, s);
            let message = format!(
                "`{}` returns a random value computed from block values: it is predictable",
                cx.snippet(ast.expr(s).span)
            );
            push(span, message, out);
        }
    }
}

/// True for `blockhash(n)` where `n` is a block number read from storage (recorded by an
/// earlier transaction), not computed from the current block nor chosen by the caller.
fn committed_block_hash(cx: &FileContext<'_>, body: &Body<'_>, e: ExprId) -> bool {
    let model = cx.model();
    let ast = body.ast;
    let Some((_, args)) = ast.expr(e).as_call() else {
        return false;
    };
    let args = args.exprs();
    let [arg] = args.as_slice() else {
        return false;
    };
    let parts = subexprs(ast, *arg);
    let mut stored = false;
    for &x in &parts {
        if is_block_read(model, ast, cx.file, x) {
            return false;
        }
        match model.declaration(cx.file, x) {
            Some(Declaration::StateVar(_)) => stored = true,
            // A storage pointer to a record (`Bet storage bet = bets[id]`).
            Some(Declaration::Local(v)) if model.storage_alias(v).is_some() => stored = true,
            _ => {}
        }
    }
    // The caller choosing the block number directly picks a past, known hash.
    let direct_param = matches!(
        model.declaration(cx.file, ast.skip_parens(*arg)),
        Some(Declaration::Param(_))
    );
    stored && !direct_param
}

/// The names the sinks read, and the names read where those are defined, and so on.
fn relevant_names(body: &Body<'_>, sinks: &[(ExprId, bool)]) -> HashSet<String> {
    let ast = body.ast;
    let idents = |e: ExprId, into: &mut HashSet<String>| {
        for x in subexprs(ast, e) {
            if let Some(id) = ast.expr(x).as_ident() {
                into.insert(id.as_str().to_owned());
            }
        }
    };
    let mut names = HashSet::new();
    for &(s, _) in sinks {
        idents(s, &mut names);
    }
    let mut stmts: Vec<_> = body.anchor.values().map(|a| a.stmt).collect();
    stmts.sort_unstable_by_key(|s| s.index());
    stmts.dedup();
    for _ in 0..6 {
        let before = names.len();
        for &st in &stmts {
            if let StmtKind::VarDecl { value: Some(v), .. } = &ast.stmt(st).kind
                && defined_names(body, st).iter().any(|n| names.contains(n))
            {
                idents(*v, &mut names);
            }
        }
        for &e in &body.exprs {
            if let ExprKind::Assign { lhs, rhs, .. } = &ast.expr(e).kind
                && ast
                    .expr(*lhs)
                    .as_ident()
                    .is_some_and(|id| names.contains(id.as_str()))
            {
                idents(*rhs, &mut names);
            }
        }
        if names.len() == before {
            break;
        }
    }
    names
}

/// The names a statement declares or assigns (plain names only).
fn defined_names(body: &Body<'_>, s: syntax::ast::StmtId) -> Vec<String> {
    let ast = body.ast;
    match &ast.stmt(s).kind {
        StmtKind::VarDecl { decls, .. } => decls
            .iter()
            .flatten()
            .filter_map(|d| d.name.as_ref().map(|n| n.as_str().to_owned()))
            .collect(),
        StmtKind::Expr(e) => match &ast.expr(*e).kind {
            ExprKind::Assign { lhs, .. } => ast
                .expr(*lhs)
                .as_ident()
                .map(|id| vec![id.as_str().to_owned()])
                .unwrap_or_default(),
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

/// The statement of `e` when it is simple and short, else `e` itself.
fn own_line_span(cx: &FileContext<'_>, body: &Body<'_>, e: ExprId) -> Span {
    let span = body.report_span(cx.text, e);
    if line_count(cx.text, span) <= 1 {
        span
    } else {
        body.ast.expr(e).span
    }
}
