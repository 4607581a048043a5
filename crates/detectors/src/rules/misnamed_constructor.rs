use crate::analysis::access::{def_of, header_span, is_misnamed_constructor};
use crate::declare::declare_detector;
use crate::detector::{Detector, FileContext};
use crate::finding::Finding;
use crate::meta::{Confidence, DetectorMeta, Severity};

declare_detector! {
    /// ## What it detects
    /// Before Solidity 0.5, a constructor was the function named exactly like its
    /// contract. This detector reports a public function whose name matches the
    /// contract's only when letter case is ignored (`function owned()` in
    /// `contract Owned`), or that is named `Constructor`, and that writes state as a
    /// constructor does: it was meant as the constructor but is an ordinary function.
    ///
    /// ## Why it matters
    /// The intended constructor never runs at deployment and stays callable by anyone
    /// at any time: whatever it sets (usually the owner) can be taken over later.
    ///
    /// ## Example
    /// ```solidity
    /// pragma solidity ^0.4.15;
    /// contract Wallet {
    ///     address owner;
    ///     function wallet() public {   // reported: not `Wallet`, so not a constructor
    ///         owner = msg.sender;
    ///     }
    /// }
    /// ```
    ///
    /// ## Recommendation
    /// Use the `constructor` keyword (0.4.22 and later) and a current compiler.
    pub(crate) struct MisnamedConstructor;
}

static META: DetectorMeta = DetectorMeta {
    id: "misnamed-constructor",
    title: "Intended constructor is an ordinary function",
    severity: Severity::High,
    confidence: Confidence::High,
    swc: Some("SWC-118"),
    category: "access_control",
    description: "A function named like the contract up to letter case (or `Constructor`) is not a constructor \
                  before 0.5: anyone can call it after deployment",
    recommendation: "Use the `constructor` keyword and a current compiler",
    references: &["https://swcregistry.io/docs/SWC-118"],
    doc: MisnamedConstructor::DOC,
};

impl Detector for MisnamedConstructor {
    fn meta(&self) -> &'static DetectorMeta {
        &META
    }

    fn check_file(&self, cx: &FileContext<'_>, out: &mut Vec<Finding>) {
        let model = cx.model();
        let ast = cx.ast();
        for (f, info) in cx.functions() {
            // A constructor initialises state: a function that writes none (a
            // forwarder named `proxy` in `Proxy`) merely shares the name.
            if !is_misnamed_constructor(model, f)
                || !model.is_entry_point(f)
                || model.summary(None, f).writes.is_empty()
            {
                continue;
            }
            let Some(def) = def_of(ast, model, f) else {
                continue;
            };
            let contract = info
                .contract
                .map_or("", |c| model.contract(c).name.as_str());
            out.push(cx.finding(
                &META,
                Some(f),
                header_span(cx.text, def),
                format!(
                    "`{}` is not the constructor of `{contract}`: anyone can call it after deployment",
                    info.name
                ),
            ));
        }
    }
}
