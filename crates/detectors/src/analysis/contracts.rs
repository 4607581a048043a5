//! An index of the project's contracts, built once per project: the functions each
//! contract declares, and which contracts some other contract inherits from.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use semantics::{ContractId, FunctionId};

use crate::detector::FileContext;

pub(crate) struct ContractIndex {
    declared: HashMap<ContractId, Vec<FunctionId>>,
    inherited: HashSet<ContractId>,
    /// For each contract, the contracts whose linearization holds it (itself included).
    derived: HashMap<ContractId, Vec<ContractId>>,
}

impl ContractIndex {
    /// The index of `cx`'s project (built on first use).
    pub(crate) fn of(cx: &FileContext<'_>) -> Arc<ContractIndex> {
        let model = cx.model();
        cx.project.project_wide(|| {
            let mut declared: HashMap<ContractId, Vec<FunctionId>> = HashMap::new();
            for (f, info) in model.functions() {
                if let Some(c) = info.contract {
                    declared.entry(c).or_default().push(f);
                }
            }
            let inherited = model
                .contracts()
                .flat_map(|(c, _)| model.linearization(c).iter().skip(1).copied())
                .collect();
            let mut derived: HashMap<ContractId, Vec<ContractId>> = HashMap::new();
            for (d, _) in model.contracts() {
                for &base in model.linearization(d) {
                    derived.entry(base).or_default().push(d);
                }
            }
            ContractIndex {
                declared,
                inherited,
                derived,
            }
        })
    }

    /// The functions (and modifiers) `c` itself declares.
    pub(crate) fn declared(&self, c: ContractId) -> &[FunctionId] {
        self.declared.get(&c).map_or(&[], Vec::as_slice)
    }

    /// The contracts that inherit from `c`, and `c` itself.
    pub(crate) fn derived(&self, c: ContractId) -> &[ContractId] {
        self.derived.get(&c).map_or(&[], Vec::as_slice)
    }

    /// True when another contract inherits from `c`.
    pub(crate) fn is_inherited(&self, c: ContractId) -> bool {
        self.inherited.contains(&c)
    }
}
