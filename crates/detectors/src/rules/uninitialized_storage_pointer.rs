use semantics::{Declaration, VarId};
use syntax::ast::{ExprId, ExprKind, StmtKind};

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
    /// Calibration: on the triage set of real mainnet contracts (`bench/triage/`),
    /// 3 of 4 findings were right when this severity and confidence were set
    /// (`docs/benchmarks.md`, Precision).
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
    confidence: Confidence::Medium,
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
        for (_, stmt) in ast.stmts() {
            let StmtKind::VarDecl {
                decls, value: None, ..
            } = &stmt.kind
            else {
                continue;
            };
            for decl in decls.iter().flatten() {
                let Some(name) = &decl.name else { continue };
                let Some(v) = model.var_declared_at(cx.file, name.span) else {
                    continue;
                };
                // The model knows the version rule (before 0.5, reference types).
                if !model.is_uninitialized_storage_pointer(v) {
                    continue;
                }
                let Some(f) = model.var(v).function else {
                    continue;
                };
                // A write through the pointer, which the model records as a write of
                // the slot-0 state variable: `r.f = ...`, `r[i] = ...`, `r.push(...)`.
                let write = model
                    .state_writes(f)
                    .iter()
                    .find(|a| through_local(cx, a.expr) == Some(v));
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
                            ast.expr(w.expr).span,
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

/// The local a place is reached through: `r` in `r.f`, `r[i].g`, `r`.
fn through_local(cx: &FileContext<'_>, mut e: ExprId) -> Option<VarId> {
    let ast = cx.ast();
    loop {
        match &ast.expr(e).kind {
            ExprKind::Paren(x) => e = *x,
            ExprKind::Member { base, .. } | ExprKind::Index { base, .. } => e = *base,
            ExprKind::Ident(_) => {
                return match cx.model().declaration(cx.file, e)? {
                    Declaration::Local(v) => Some(v),
                    _ => None,
                };
            }
            _ => return None,
        }
    }
}
