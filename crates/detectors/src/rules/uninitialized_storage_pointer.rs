use semantics::{Declaration, Type};
use syntax::Version;
use syntax::ast::{ExprKind, StmtKind};

use crate::analysis::access::exprs_within;
use crate::declare::declare_detector;
use crate::detector::{Detector, FileContext};
use crate::finding::Finding;
use crate::meta::{Confidence, DetectorMeta, Severity};

declare_detector! {
    /// ## What it detects
    /// Before Solidity 0.5, a local variable of struct, array or mapping type declared
    /// without a data location and without an initial value (`Record r;`). Such a
    /// local is a storage pointer, and uninitialised it points at storage slot 0: the
    /// contract's first state variables. Reported with high severity when the function
    /// writes through it, medium otherwise. Files whose pragma admits only 0.5 or later
    /// are not concerned (the compiler rejects the declaration).
    ///
    /// Its category is `other`: the DASP taxonomy has no class for storage layout
    /// errors, so they fall under its "unknown unknowns", which SmartBugs names
    /// `other`; the flaw is a compiler default, not a missing access check.
    ///
    /// ## Why it matters
    /// Writing a field of the local overwrites the first state variables instead of a
    /// fresh record: an owner, a secret number, a lock. Honeypots use it on purpose
    /// (the "secret" changes when a player writes their guess); elsewhere it corrupts
    /// state silently.
    ///
    /// ## Example
    /// ```solidity
    /// pragma solidity ^0.4.19;
    /// contract Registrar {
    ///     bool public unlocked = false;
    ///     struct Record { bytes32 name; address owner; }
    ///     function register(bytes32 name) public {
    ///         Record r;          // reported: points at slot 0 (`unlocked`)
    ///         r.name = name;     // overwrites `unlocked`
    ///     }
    /// }
    /// ```
    ///
    /// ## Recommendation
    /// Declare the local `memory` (a fresh copy) or initialise it from the state
    /// element it should refer to (`Record storage r = records[id];`), and use
    /// Solidity 0.5 or later.
    pub(crate) struct UninitializedStoragePointer;
}

static META: DetectorMeta = DetectorMeta {
    id: "uninitialized-storage-pointer",
    title: "Uninitialised local storage pointer",
    severity: Severity::High,
    confidence: Confidence::High,
    swc: Some("SWC-109"),
    category: "other",
    description: "A local struct, array or mapping without data location or initial value is a storage pointer \
                  to slot 0 before 0.5: writing through it overwrites the first state variables",
    recommendation: "Declare the local `memory`, or initialise it as a `storage` reference to the intended element",
    references: &["https://swcregistry.io/docs/SWC-109"],
    doc: UninitializedStoragePointer::DOC,
};

impl Detector for UninitializedStoragePointer {
    fn meta(&self) -> &'static DetectorMeta {
        &META
    }

    fn check_file(&self, cx: &FileContext<'_>, out: &mut Vec<Finding>) {
        let model = cx.model();
        let ast = cx.ast();
        if model
            .version(cx.file)
            .is_none_or(|v| v >= Version::new(0, 5, 0))
        {
            return;
        }
        for (f, _) in cx.functions() {
            let Some(body) = ast
                .item(model.function(f).item.item)
                .as_function()
                .and_then(|d| d.body)
                .map(|b| ast.stmt(b).span)
            else {
                continue;
            };
            for (_, stmt) in ast.stmts() {
                let StmtKind::VarDecl {
                    decls, value: None, ..
                } = &stmt.kind
                else {
                    continue;
                };
                if stmt.span.lo < body.lo || stmt.span.hi > body.hi {
                    continue;
                }
                for decl in decls.iter().flatten() {
                    let Some(name) = &decl.name else { continue };
                    if decl.location.is_some() {
                        continue;
                    }
                    // The local, found through its uses.
                    let uses: Vec<_> = exprs_within(ast, body)
                        .filter(|&x| match model.declaration(cx.file, x) {
                            Some(Declaration::Local(v)) => model.var(v).span == name.span,
                            _ => false,
                        })
                        .collect();
                    let Some(&first) = uses.first() else { continue };
                    let Some(Declaration::Local(v)) = model.declaration(cx.file, first) else {
                        continue;
                    };
                    if !matches!(
                        model.var(v).ty,
                        Type::Struct(_) | Type::Array { .. } | Type::Mapping(..)
                    ) {
                        continue;
                    }
                    // A write through the pointer: `r.f = ...`, `r[i] = ...`, `r.push(...)`.
                    let write = exprs_within(ast, body).find(|&x| match &ast.expr(x).kind {
                        ExprKind::Assign { lhs, .. } => {
                            let lhs = ast.skip_parens(*lhs);
                            lhs != ast.skip_parens(first)
                                && uses.iter().any(|&u| {
                                    let s = ast.expr(u).span;
                                    let l = ast.expr(lhs).span;
                                    s.lo == l.lo && s.hi < l.hi
                                })
                        }
                        _ => false,
                    });
                    let text = name.name.as_str();
                    let mut finding = cx.finding(
                        &META,
                        Some(f),
                        stmt.span,
                        format!(
                            "`{text}` is an uninitialised storage pointer: it points at storage slot 0, the first state variables"
                        ),
                    );
                    match write {
                        Some(w) => {
                            finding = finding.with_secondary(
                                cx.file,
                                ast.expr(w).span,
                                "this write overwrites state at slot 0",
                            );
                        }
                        None => finding.severity = Severity::Medium,
                    }
                    out.push(finding);
                }
            }
        }
    }
}
