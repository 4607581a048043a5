use crate::analysis::access::{
    GrantKind, def_of, has_once_check, header_span, is_misnamed_constructor, privileged_writes_of,
    requires_payment,
};
use crate::declare::declare_detector;
use crate::detector::{Detector, FileContext};
use crate::finding::Finding;
use crate::meta::{Confidence, DetectorMeta, Severity};

declare_detector! {
    /// ## What it detects
    /// A function anyone can call (public or external, no access check) that records
    /// its caller in privileged state: state that the contract's guards compare
    /// `msg.sender` with, such as `owner = msg.sender` where another function checks
    /// `require(msg.sender == owner)`, or `admins[msg.sender] = true` where another
    /// checks `admins[msg.sender]`. This is the shape of a lost constructor (a renamed
    /// contract, an `init` function meant to run once at deployment) and of an
    /// initializer left open. Privilege is recognised by how the state is used in
    /// checks (also a check held in a `bool` local, or in a helper such as
    /// `isOwner(msg.sender)`), not by its name. The caller is recognised through
    /// locals (`address who = msg.sender; operator = who;`) and through internal
    /// functions it is passed to (`_setOwner(msg.sender)` writing `owner = o`).
    ///
    /// The caller's own entry in a set (`managers[msg.sender] = true`) is reported
    /// when the set admits its members to an administrative action: a function
    /// guarded by `managers[msg.sender]` that sets contract-wide state from its
    /// arguments or pays out ether in an amount its caller chooses (or the whole
    /// balance). Open registers that admit members to play or to withdraw their own
    /// funds are the design and are not reported.
    ///
    /// A function that can run only once (a modifier reverting once the state it
    /// sets is written) is reported with low severity: whoever calls it first,
    /// possibly a front-runner, takes the privilege, which on real code is mostly the
    /// deployer's own set-up transaction. A function that proceeds only for
    /// a caller who pays (`require(msg.value >= price)`, also through a local computed
    /// from `msg.value`) or holds a stake (`require(balanceOf[msg.sender] ==
    /// totalSupply)`) is reported at low severity: buying or earning the position (a
    /// sale, an auction, the last depositor of a game) is usually the design.
    ///
    /// State compared with the caller only in a modifier that no function invokes
    /// (a forgotten `onlyOwner`) gates nothing today: such writes are reported at low
    /// severity, saying so.
    ///
    /// Calibration: on the triage set of real mainnet contracts (`bench/triage/`),
    /// 6 of 9 findings were right when this severity and confidence were set
    /// (`docs/benchmarks.md`, Precision).
    ///
    /// ## Why it matters
    /// Any account can make itself the owner and then call every owner-only function:
    /// withdraw the funds, change fees, destroy the contract (Rubixi, the Parity
    /// multisig library).
    ///
    /// ## Example
    /// ```solidity
    /// function initWallet() public {   // reported: anyone becomes `creator`
    ///     creator = msg.sender;
    /// }
    /// function migrateTo(address to) public {
    ///     require(creator == msg.sender);
    ///     to.transfer(address(this).balance);
    /// }
    /// ```
    ///
    /// ## Recommendation
    /// Set privileged roles in the constructor (`constructor() { owner = msg.sender; }`),
    /// or guard the function, and make initializers callable once by the deployer
    /// only (and disable them on implementation contracts).
    pub(crate) struct UnprotectedInitializer;
}

static META: DetectorMeta = DetectorMeta {
    id: "unprotected-initializer",
    title: "Anyone can make themselves privileged",
    severity: Severity::Medium,
    confidence: Confidence::Medium,
    swc: Some("SWC-105"),
    category: "access_control",
    description: "A function anyone can call records its caller in state that access checks rely on, so any \
                  account can take the owner's rights",
    recommendation: "Set privileged roles in the constructor or restrict the function to the deployer, callable once",
    references: &[
        "https://swcregistry.io/docs/SWC-105",
        "https://swcregistry.io/docs/SWC-118",
    ],
    doc: UnprotectedInitializer::DOC,
};

impl Detector for UnprotectedInitializer {
    fn meta(&self) -> &'static DetectorMeta {
        &META
    }

    fn check_file(&self, cx: &FileContext<'_>, out: &mut Vec<Finding>) {
        let model = cx.model();
        let ast = cx.ast();
        let mut done = Vec::new();
        for w in privileged_writes_of(cx) {
            if w.kind != GrantKind::SelfGrant
                || done.contains(&w.entry)
                || is_misnamed_constructor(model, w.entry)
            {
                continue;
            }
            let Some(def) = def_of(ast, model, w.entry) else {
                continue;
            };
            done.push(w.entry);
            let name = match model.function(w.entry).name.as_str() {
                "" => "the fallback function",
                n => n,
            };
            let var = var_name(cx, w.var);
            let once = has_once_check(model, w.entry);
            let relied = if w.dormant {
                "which only a modifier no function uses compares with the caller"
            } else {
                "which access checks rely on"
            };
            let mut finding = cx
                .finding(
                    &META,
                    Some(w.entry),
                    header_span(cx.text, def),
                    if once {
                        format!("the first caller of `{name}` records itself in `{var}`, {relied}")
                    } else {
                        format!("any caller of `{name}` records itself in `{var}`, {relied}")
                    },
                )
                .with_secondary(
                    cx.file,
                    w.span,
                    format!("the caller is written to `{var}` here"),
                );
            if once {
                finding.severity = Severity::Low;
            }
            if w.dormant || requires_payment(model, ast, w.entry) {
                finding.severity = Severity::Low;
                finding.confidence = Confidence::Low;
            }
            out.push(finding);
        }
    }
}

/// The name of a state variable.
pub(crate) fn var_name(cx: &FileContext<'_>, r: semantics::ItemRef) -> String {
    if r.file != cx.file {
        return "state".to_owned();
    }
    cx.ast()
        .item(r.item)
        .as_variable()
        .map_or_else(|| "state".to_owned(), |v| v.name.name.to_string())
}
