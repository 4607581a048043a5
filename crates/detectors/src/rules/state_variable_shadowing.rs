use syntax::Version;
use syntax::ast::{ContractKind, Visibility};

use crate::declare::declare_detector;
use crate::detector::{Detector, FileContext};
use crate::finding::Finding;
use crate::meta::{Confidence, DetectorMeta, Severity};

declare_detector! {
    /// ## What it detects
    /// A state variable declared with the same name as a state variable of a base
    /// contract. Before Solidity 0.6 this compiles: the derived contract gets a second,
    /// separate storage slot, and the base's functions keep using theirs. From 0.6 only a
    /// `private` base variable may share its name, which is deliberate encapsulation and
    /// not reported.
    ///
    /// ## Why it matters
    /// Code in the base reads and writes the base's variable, code in the derived contract
    /// the new one. An `owner` set in the derived constructor leaves the base's `owner`
    /// (checked by its `onlyOwner`) at zero, or the other way round: access checks and
    /// balances silently diverge.
    ///
    /// ## Example
    /// ```solidity
    /// contract Owned { address owner; modifier onlyOwner { require(msg.sender == owner); _; } }
    /// contract Wallet is Owned {
    ///     address owner;                       // reported: shadows `Owned.owner`
    ///     constructor() { owner = msg.sender; } // `onlyOwner` still checks the zero address
    /// }
    /// ```
    ///
    /// ## Recommendation
    /// Remove the redeclaration and use the base's variable (set it in the constructor),
    /// or give the new variable its own name.
    pub(crate) struct StateVariableShadowing;
}

static META: DetectorMeta = DetectorMeta {
    id: "state-variable-shadowing",
    title: "State variable shadows a state variable of a base contract",
    severity: Severity::Low,
    confidence: Confidence::Low,
    swc: Some("SWC-119"),
    category: "other",
    description: "A state variable redeclares one of a base contract, so base and derived code \
                  use two different storage slots under one name",
    recommendation: "Remove the redeclaration and use the base contract's variable, or rename it",
    references: &["https://swcregistry.io/docs/SWC-119"],
    doc: StateVariableShadowing::DOC,
};

impl Detector for StateVariableShadowing {
    fn meta(&self) -> &'static DetectorMeta {
        &META
    }

    fn check_file(&self, cx: &FileContext<'_>, out: &mut Vec<Finding>) {
        let model = cx.model();
        let modern = model
            .version(cx.file)
            .is_none_or(|v| v >= Version::new(0, 6, 0));
        for c in cx.contracts() {
            let info = model.contract(c);
            if matches!(info.kind, ContractKind::Interface | ContractKind::Library) {
                continue;
            }
            let Some(def) = cx.ast().item(info.item.item).as_contract() else {
                continue;
            };
            for &member in &def.members {
                let Some(var) = cx.ast().item(member).as_variable() else {
                    continue;
                };
                if var.is_constant {
                    continue;
                }
                let name = var.name.as_str();
                let shadowed = model.linearization(c).iter().skip(1).find_map(|&b| {
                    let base = model.contract(b);
                    let ast = model.file_ast(base.item.file)?;
                    let bdef = ast.item(base.item.item).as_contract()?;
                    bdef.members.iter().find_map(|&m| {
                        let v = ast.item(m).as_variable()?;
                        // From 0.6 a private base variable is invisible to the derived
                        // contract: a new one of the same name is its own, by design.
                        let hidden = v.visibility == Some(Visibility::Private) && modern;
                        (v.name.as_str() == name && !v.is_constant && !hidden).then_some((
                            base.name.clone(),
                            base.item.file,
                            v.name.span,
                        ))
                    })
                });
                let Some((base, file, span)) = shadowed else {
                    continue;
                };
                let mut finding = cx.finding(
                    &META,
                    None,
                    var.name.span,
                    format!(
                        "state variable `{name}` shadows `{base}.{name}`: the base contract's \
                         code keeps using its own variable"
                    ),
                );
                finding.contract = Some(info.name.to_string());
                out.push(finding.with_secondary(file, span, "the shadowed declaration"));
            }
        }
    }
}
