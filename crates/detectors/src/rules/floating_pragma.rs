use syntax::ast::{ContractKind, ItemKind, Pragma};

use crate::declare::declare_detector;
use crate::detector::{Detector, FileContext};
use crate::finding::Finding;
use crate::meta::{Confidence, DetectorMeta, Severity};

declare_detector! {
    /// ## What it detects
    /// A `pragma solidity` that admits more than one compiler version (`^0.8.0`,
    /// `>=0.6.0 <0.9.0`, `0.8.x`) in a file that defines a deployable contract.
    /// Files that only hold interfaces, libraries or abstract contracts are meant to be
    /// compiled by their users' compilers and are left alone.
    ///
    /// ## Why it matters
    /// The bytecode that was tested and audited should be the bytecode that is deployed.
    /// With a floating pragma the contract may be deployed with another compiler than the
    /// one it was tested with: one with known bugs, or one whose code generation or
    /// defaults (optimizer, EVM version) differ.
    ///
    /// ## Example
    /// ```solidity
    /// pragma solidity ^0.8.0;
    ///
    /// contract Vault { /* ... */ }
    /// ```
    ///
    /// ## Recommendation
    /// Lock the pragma to the version the contract was tested and audited with, e.g.
    /// `pragma solidity 0.8.24;`, and pin the same version in the build configuration.
    pub(crate) struct FloatingPragma;
}

static META: DetectorMeta = DetectorMeta {
    id: "floating-pragma",
    title: "Floating compiler version pragma",
    severity: Severity::Informational,
    confidence: Confidence::High,
    swc: Some("SWC-103"),
    category: "best_practice",
    description: "The `pragma solidity` admits several compiler versions, so the deployed bytecode may \
                  come from a compiler other than the one that was tested",
    recommendation: "Lock the pragma to one version, e.g. `pragma solidity 0.8.24;`",
    references: &["https://swcregistry.io/docs/SWC-103"],
    doc: FloatingPragma::DOC,
};

impl Detector for FloatingPragma {
    fn meta(&self) -> &'static DetectorMeta {
        &META
    }

    fn check_file(&self, cx: &FileContext<'_>, out: &mut Vec<Finding>) {
        let ast = cx.parse.ast();
        let deployable = ast
            .contracts()
            .any(|(_, c)| c.kind == ContractKind::Contract);
        if !deployable {
            return;
        }
        for &id in &cx.parse.source_unit().items {
            let item = ast.item(id);
            let ItemKind::Pragma(Pragma::Solidity {
                req: Some(req),
                text,
                ..
            }) = &item.kind
            else {
                continue;
            };
            if req.is_floating() {
                out.push(Finding::new(
                    &META,
                    cx.file,
                    item.span,
                    format!("`pragma solidity {text}` admits more than one compiler version"),
                ));
            }
        }
    }
}
