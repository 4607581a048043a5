use std::collections::HashSet;

use syntax::Span;
use syntax::ast::{
    Ast, ExprId, ExprKind, FunctionKind, ItemId, ItemKind, Literal, Mutability, NumberUnit, StmtId,
    StmtKind, TypeKind,
};
use syntax::pragma::Version;
use syntax::visit::{self, VisitCx, Visitor};

use crate::declare::declare_detector;
use crate::detector::{Detector, FileContext};
use crate::finding::Finding;
use crate::meta::{Confidence, DetectorMeta, Severity};

declare_detector! {
    /// ## What it detects
    /// Language constructs that the Solidity versions admitted by the file's pragma
    /// deprecate or no longer accept:
    ///
    /// | construct | deprecated in | removed in | use instead |
    /// |---|---|---|---|
    /// | `suicide(x)` | 0.4 (alias) | 0.5.0 | `selfdestruct(x)` |
    /// | `sha3(x)` | 0.4 (alias) | 0.5.0 | `keccak256(x)` |
    /// | `a.callcode(...)` | 0.4.12 | 0.5.0 | `a.delegatecall(...)` |
    /// | `throw` | 0.4.13 | 0.5.0 | `revert()` / `require(...)` |
    /// | `constant` functions | 0.4.17 | 0.5.0 | `view` |
    /// | `var x = ...` | 0.4.20 | 0.5.0 | an explicit type |
    /// | `msg.gas` | 0.4.21 | 0.5.0 | `gasleft()` |
    /// | events called without `emit` | 0.4.21 | 0.5.0 | `emit E(...)` |
    /// | `block.blockhash(n)` | 0.4.22 | 0.5.0 | `blockhash(n)` |
    /// | constructor named after the contract | 0.4.22 | 0.5.0 | `constructor(...)` |
    /// | `years` unit | 0.4.24 | 0.5.0 | an explicit number of days |
    /// | unnamed fallback `function()` | 0.6.0 | 0.6.0 | `fallback()` / `receive()` |
    /// | `x.f.value(v)(...)`, `.gas(g)` | 0.6.2 | 0.7.0 | `x.f{value: v, gas: g}(...)` |
    /// | `now` | 0.7.0 | 0.7.0 | `block.timestamp` |
    /// | `block.difficulty` | 0.8.18 | | `block.prevrandao` |
    /// | `selfdestruct(x)` | 0.8.18 (EIP-6049) | | no destruction; withdraw pattern |
    ///
    /// A construct is reported only where the file's pragma admits a version that
    /// deprecates it: `throw` under `pragma solidity ^0.4.11` is reported (0.4.13 and
    /// later admit it only as deprecated), under `pragma solidity 0.4.11` it is not.
    /// Without a pragma every version counts.
    ///
    /// ## Why it matters
    /// Deprecated constructs are kept only for compatibility and are removed in later
    /// versions; several have surprising semantics (`throw` consumes all remaining gas,
    /// `callcode` does not preserve `msg.sender`, `selfdestruct` no longer deletes code
    /// after the Cancun upgrade, `block.difficulty` is `prevrandao` after the Merge). Their
    /// presence also tells reviewers that the code predates fixes in the language.
    ///
    /// ## Example
    /// ```solidity
    /// pragma solidity ^0.4.24;
    /// contract Wallet {
    ///     function refund(uint amount) public {
    ///         if (balances[msg.sender] < amount) throw;   // reported
    ///         // ...
    ///     }
    ///     function hash(bytes data) public constant returns (bytes32) { // reported
    ///         return sha3(data);                            // reported
    ///     }
    /// }
    /// ```
    ///
    /// ## Recommendation
    /// Replace each construct with the current form given in the table and move to a
    /// maintained compiler version.
    pub(crate) struct DeprecatedConstruct;
}

static META: DetectorMeta = DetectorMeta {
    id: "deprecated-construct",
    title: "Deprecated Solidity construct",
    severity: Severity::Informational,
    confidence: Confidence::High,
    swc: Some("SWC-111"),
    category: "best_practice",
    description: "A language construct that the admitted compiler versions deprecate or removed is used",
    recommendation: "Replace it with its current form (e.g. `revert()` for `throw`, `keccak256` for `sha3`, \
                     `view` for `constant`) and move to a maintained compiler",
    references: &[
        "https://swcregistry.io/docs/SWC-111",
        "https://docs.soliditylang.org/en/latest/050-breaking-changes.html",
    ],
    doc: DeprecatedConstruct::DOC,
};

impl Detector for DeprecatedConstruct {
    fn meta(&self) -> &'static DetectorMeta {
        &META
    }

    fn check_file(&self, cx: &FileContext<'_>, out: &mut Vec<Finding>) {
        let ast = cx.parse.ast();
        let reqs: Vec<_> = cx.parse.version_reqs().collect();
        let admits_from = |since: Version| {
            reqs.iter()
                .all(|req| req.ranges.iter().any(|r| r.hi.is_none_or(|hi| hi > since)))
        };
        let mut declared = HashSet::new();
        let mut events = HashSet::new();
        for (_, item) in ast.items() {
            match &item.kind {
                ItemKind::Event(e) => {
                    events.insert(e.name.as_str());
                }
                ItemKind::Function(f) => {
                    declared.insert(f.name_str());
                }
                ItemKind::Variable(v) => {
                    declared.insert(v.name.as_str());
                }
                _ => {}
            }
        }
        let mut walker = Walker {
            ast,
            file: cx,
            admits_from: &admits_from,
            declared,
            events,
            out,
        };
        walker.visit_source_unit(ast);
    }
}

/// One deprecated construct: the version that deprecates it and what to write instead.
struct Deprecation {
    what: &'static str,
    since: Version,
    instead: &'static str,
}

const fn v(minor: u32, patch: u32) -> Version {
    Version::new(0, minor, patch)
}

const SUICIDE: Deprecation = Deprecation {
    what: "`suicide`",
    since: v(4, 0),
    instead: "`selfdestruct`",
};
const SHA3: Deprecation = Deprecation {
    what: "`sha3`",
    since: v(4, 0),
    instead: "`keccak256`",
};
const CALLCODE: Deprecation = Deprecation {
    what: "`callcode`",
    since: v(4, 12),
    instead: "`delegatecall`",
};
const THROW: Deprecation = Deprecation {
    what: "`throw`",
    since: v(4, 13),
    instead: "`revert()` or `require(...)`",
};
const CONSTANT_FN: Deprecation = Deprecation {
    what: "`constant` on a function",
    since: v(4, 17),
    instead: "`view`",
};
const VAR: Deprecation = Deprecation {
    what: "`var`",
    since: v(4, 20),
    instead: "an explicit type",
};
const MSG_GAS: Deprecation = Deprecation {
    what: "`msg.gas`",
    since: v(4, 21),
    instead: "`gasleft()`",
};
const EMITLESS_EVENT: Deprecation = Deprecation {
    what: "an event invoked without `emit`",
    since: v(4, 21),
    instead: "`emit`",
};
const BLOCK_BLOCKHASH: Deprecation = Deprecation {
    what: "`block.blockhash`",
    since: v(4, 22),
    instead: "`blockhash(n)`",
};
const NAMED_CONSTRUCTOR: Deprecation = Deprecation {
    what: "a constructor named after its contract",
    since: v(4, 22),
    instead: "`constructor(...)`",
};
const YEARS: Deprecation = Deprecation {
    what: "the `years` unit",
    since: v(4, 24),
    instead: "a number of days",
};
const UNNAMED_FALLBACK: Deprecation = Deprecation {
    what: "the unnamed fallback `function()`",
    since: v(6, 0),
    instead: "`fallback()` or `receive()`",
};
const VALUE_GAS_CALL: Deprecation = Deprecation {
    what: "the `.value(...)`/`.gas(...)` call syntax",
    since: v(6, 2),
    instead: "`{value: ..., gas: ...}`",
};
const NOW: Deprecation = Deprecation {
    what: "`now`",
    since: v(7, 0),
    instead: "`block.timestamp`",
};
const DIFFICULTY: Deprecation = Deprecation {
    what: "`block.difficulty`",
    since: v(8, 18),
    instead: "`block.prevrandao`",
};
const SELFDESTRUCT: Deprecation = Deprecation {
    what: "`selfdestruct`",
    since: v(8, 18),
    instead: "a design without contract destruction",
};

struct Walker<'a, 'c, F> {
    ast: &'a Ast,
    file: &'c FileContext<'c>,
    admits_from: &'c F,
    /// Names the file declares as functions or variables: a user `sha3` is not the builtin.
    declared: HashSet<&'a str>,
    events: HashSet<&'a str>,
    out: &'c mut Vec<Finding>,
}

impl<'a, F: Fn(Version) -> bool> Walker<'a, '_, F> {
    fn report(&mut self, cx: VisitCx<'a>, span: Span, d: &Deprecation) {
        if !(self.admits_from)(d.since) {
            return;
        }
        let message = format!(
            "{} is deprecated since Solidity {}; use {}",
            d.what, d.since, d.instead
        );
        let contract = cx.contract_def().map(|c| c.name.as_str());
        let function = cx.function_def().map(|f| f.name_str());
        self.out.push(
            Finding::new(&META, self.file.file, span, message).with_context(contract, function),
        );
    }

    fn is_builtin(&self, name: &str) -> bool {
        !self.declared.contains(name)
    }

    fn check_call(&mut self, cx: VisitCx<'a>, id: ExprId, callee: ExprId) {
        let callee_expr = self.ast.expr(callee);
        match &callee_expr.kind {
            ExprKind::Ident(name) => match name.as_str() {
                "suicide" if self.is_builtin("suicide") => {
                    self.report(cx, callee_expr.span, &SUICIDE)
                }
                "sha3" if self.is_builtin("sha3") => self.report(cx, callee_expr.span, &SHA3),
                "selfdestruct" if self.is_builtin("selfdestruct") => {
                    self.report(cx, callee_expr.span, &SELFDESTRUCT);
                }
                other if self.events.contains(other) && !self.declared.contains(other) => {
                    let span = self.ast.expr(id).span;
                    self.report(cx, span, &EMITLESS_EVENT);
                }
                _ => {}
            },
            ExprKind::Member { base, member } => match member.as_str() {
                "callcode" => self.report(cx, callee_expr.span, &CALLCODE),
                "value" | "gas" if self.is_legacy_call_option(*base) => {
                    self.report(cx, callee_expr.span, &VALUE_GAS_CALL);
                }
                _ => {}
            },
            _ => {}
        }
    }

    /// `x.f.value(v)`: the base of `.value` is itself a member (a function of a contract
    /// or address), not a struct field holding a function.
    fn is_legacy_call_option(&self, base: ExprId) -> bool {
        match &self.ast.expr(base).kind {
            ExprKind::Member { .. } => true,
            ExprKind::Call { callee, .. } => {
                // `x.call.value(1).gas(2)(...)`: the base is itself a legacy option call.
                self.ast
                    .expr(*callee)
                    .as_member_access()
                    .is_some_and(|(_, m)| matches!(m.as_str(), "value" | "gas"))
            }
            _ => false,
        }
    }
}

impl<'a, F: Fn(Version) -> bool> Visitor<'a> for Walker<'a, '_, F> {
    fn visit_item(&mut self, cx: VisitCx<'a>, id: ItemId) {
        let item = self.ast.item(id);
        if let ItemKind::Function(f) = &item.kind {
            if f.kind != FunctionKind::Modifier && f.mutability == Some(Mutability::Constant) {
                self.report(cx, f.header_span, &CONSTANT_FN);
            }
            if f.is_legacy_constructor {
                let span = f.name.as_ref().map_or(f.header_span, |n| n.span);
                self.report(cx, span, &NAMED_CONSTRUCTOR);
            }
            if f.is_legacy_fallback {
                self.report(cx, f.header_span, &UNNAMED_FALLBACK);
            }
        }
        visit::walk_item(self, cx, id);
    }

    fn visit_stmt(&mut self, cx: VisitCx<'a>, id: StmtId) {
        let stmt = self.ast.stmt(id);
        match &stmt.kind {
            StmtKind::Throw => self.report(cx, stmt.span, &THROW),
            StmtKind::VarDecl { decls, .. } => {
                let uses_var = decls
                    .iter()
                    .flatten()
                    .any(|d| matches!(self.ast.ty(d.ty).kind, TypeKind::Var));
                if uses_var {
                    self.report(cx, stmt.span, &VAR);
                }
            }
            _ => {}
        }
        visit::walk_stmt(self, cx, id);
    }

    fn visit_expr(&mut self, cx: VisitCx<'a>, id: ExprId) {
        let expr = self.ast.expr(id);
        match &expr.kind {
            ExprKind::Call { callee, .. } => self.check_call(cx, id, *callee),
            ExprKind::Member { base, member } => {
                let base = self.ast.expr(*base);
                match (base.as_ident().map(|i| i.as_str()), member.as_str()) {
                    (Some("msg"), "gas") if self.is_builtin("msg") => {
                        self.report(cx, expr.span, &MSG_GAS)
                    }
                    (Some("block"), "blockhash") if self.is_builtin("block") => {
                        self.report(cx, expr.span, &BLOCK_BLOCKHASH);
                    }
                    (Some("block"), "difficulty") if self.is_builtin("block") => {
                        self.report(cx, expr.span, &DIFFICULTY);
                    }
                    _ => {}
                }
            }
            ExprKind::Ident(name) if name.as_str() == "now" && self.is_builtin("now") => {
                self.report(cx, expr.span, &NOW);
            }
            ExprKind::Literal(Literal::Number {
                unit: Some(NumberUnit::Years),
                ..
            }) => {
                self.report(cx, expr.span, &YEARS);
            }
            _ => {}
        }
        visit::walk_expr(self, cx, id);
    }
}
