use crate::analysis::access::{
    GrantKind, def_of, has_once_check, header_span, is_misnamed_constructor, privileged_writes_of,
    requires_payment,
};
use crate::declare::declare_detector;
use crate::detector::{Detector, FileContext};
use crate::finding::Finding;
use crate::meta::{Confidence, DetectorMeta, Severity};
use crate::rules::unprotected_initializer::var_name;

declare_detector! {
    /// ## What it detects
    /// A function anyone can call (public or external, no access check) that writes a
    /// value or key of the caller's choosing into privileged state: state that the
    /// contract's guards compare `msg.sender` with (`owner`, an owners or admins
    /// mapping). For example `changeOwner(address o) public { owner = o; }` next to an
    /// `onlyOwner` modifier reading `owner`, or `owners[_o] = msg.sender` where
    /// `onlyOwner` checks `owners[msg.sender]` (or `owners[msg.sender] != address(0)`).
    /// Privilege is recognised by how the state is used in checks (also through `bool`
    /// locals and locals holding `msg.sender`), not by its name. Functions where the
    /// caller records only itself (directly, through a local or an internal function it
    /// is passed to) are `unprotected-initializer`'s.
    ///
    /// Reported at low severity when the function can run only once (a set-once
    /// initializer: a front-runner can at most block the deployment) or proceeds only for
    /// a caller who pays or holds a stake (a sale, an auction, a game move).
    ///
    /// State compared with the caller only in a modifier that no function invokes
    /// (a forgotten `onlyOwner`) gates nothing today: such writes are reported at low
    /// severity, saying so.
    ///
    /// Calibration: on the triage set of real mainnet contracts (`bench/triage/`),
    /// 1 of 8 findings were right when this severity and confidence were set
    /// (`docs/benchmarks.md`, Precision).
    ///
    /// In Vyper: an `@external` function with no caller check writes a storage variable
    /// that other functions check the caller against (`self.owner`, an allow-list mapping);
    /// functions that first assert the variable is unset (initializers) are left out.
    ///
    /// ## Why it matters
    /// Whoever calls the function decides who is privileged: an attacker installs
    /// their own address and then uses every owner-only function.
    ///
    /// ## Example
    /// ```solidity
    /// modifier onlyOwner { require(msg.sender == owner); _; }
    /// function changeOwner(address newOwner) public {   // reported: no `onlyOwner`
    ///     owner = newOwner;
    /// }
    /// ```
    ///
    /// ## Recommendation
    /// Guard the function with the same check as the functions the state protects
    /// (`onlyOwner`), or make it `internal` when only the contract itself should call it.
    pub(crate) struct UnprotectedStateWrite;
}

static META: DetectorMeta = DetectorMeta {
    id: "unprotected-state-write",
    title: "Anyone can change privileged state",
    severity: Severity::Low,
    confidence: Confidence::Low,
    swc: Some("SWC-105"),
    category: "access_control",
    description: "A function anyone can call writes caller-chosen values into state that access checks rely on",
    recommendation: "Guard the function like the functions the state protects, or make it internal",
    references: &["https://swcregistry.io/docs/SWC-105"],
    doc: UnprotectedStateWrite::DOC,
};

impl Detector for UnprotectedStateWrite {
    fn meta(&self) -> &'static DetectorMeta {
        &META
    }

    fn check_vyper(&self, cx: &crate::vyper_analysis::VyperContext<'_>, out: &mut Vec<Finding>) {
        crate::vyper_analysis::checks::unprotected_privileged_write(cx, &META, out);
    }

    fn supports_vyper(&self) -> bool {
        true
    }

    fn check_file(&self, cx: &FileContext<'_>, out: &mut Vec<Finding>) {
        let model = cx.model();
        let ast = cx.ast();
        let writes = privileged_writes_of(cx);
        let mut done = Vec::new();
        for w in &writes {
            let self_grant = writes
                .iter()
                .any(|o| o.entry == w.entry && o.kind == GrantKind::SelfGrant);
            if w.kind != GrantKind::CallerChosen
                || self_grant
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
            let mut finding = cx
                .finding(
                    &META,
                    Some(w.entry),
                    header_span(cx.text, def),
                    format!(
                        "any caller of `{name}` chooses what is written to `{var}`, {}",
                        if w.dormant {
                            "which only a modifier no function uses compares with the caller"
                        } else {
                            "which access checks rely on"
                        }
                    ),
                )
                .with_secondary(cx.file, w.span, format!("`{var}` is written here"));
            if has_once_check(model, w.entry) {
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
