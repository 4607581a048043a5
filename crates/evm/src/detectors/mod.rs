//! The bytecode detectors: one file each, a static [`DetectorInfo`] and a check over the
//! facts of an [`Analysis`]. The registry is sorted by id.

use crate::{Analysis, Function};

mod arbitrary_storage_write;
mod delegatecall_controlled;
mod state_write_after_call;
mod tx_origin_auth;
mod unchecked_call;
mod unguarded_ether_transfer;
mod unguarded_selfdestruct;

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    High,
    Medium,
    Low,
}

impl Severity {
    /// `high`, `medium` or `low`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::High => "high",
            Self::Medium => "medium",
            Self::Low => "low",
        }
    }
}

/// What a detector is, as static data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DetectorInfo {
    /// Kebab-case, prefixed `bytecode-`.
    pub id: &'static str,
    pub title: &'static str,
    pub severity: Severity,
    /// The property the detector checks, in one paragraph.
    pub description: &'static str,
}

/// One finding in bytecode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub detector_id: &'static str,
    pub severity: Severity,
    /// The function's selector; `None` for code outside every selector branch.
    pub selector: Option<[u8; 4]>,
    /// The function's signature when the bundled list knows the selector.
    pub function_name: Option<String>,
    /// Byte offset of the instruction at fault.
    pub pc: usize,
    pub message: String,
}

type Check = fn(&Analysis, &mut Vec<Finding>);

const REGISTRY: &[(DetectorInfo, Check)] = &[
    (
        arbitrary_storage_write::INFO,
        arbitrary_storage_write::check,
    ),
    (
        delegatecall_controlled::INFO,
        delegatecall_controlled::check,
    ),
    (state_write_after_call::INFO, state_write_after_call::check),
    (tx_origin_auth::INFO, tx_origin_auth::check),
    (unchecked_call::INFO, unchecked_call::check),
    (
        unguarded_ether_transfer::INFO,
        unguarded_ether_transfer::check,
    ),
    (unguarded_selfdestruct::INFO, unguarded_selfdestruct::check),
];

/// Every bytecode detector, sorted by id.
/// The bytecode detector with this id.
pub fn detector(id: &str) -> Option<&'static DetectorInfo> {
    detectors().iter().find(|info| info.id == id)
}

pub fn detectors() -> &'static [DetectorInfo] {
    static INFOS: [DetectorInfo; 7] = [
        arbitrary_storage_write::INFO,
        delegatecall_controlled::INFO,
        state_write_after_call::INFO,
        tx_origin_auth::INFO,
        unchecked_call::INFO,
        unguarded_ether_transfer::INFO,
        unguarded_selfdestruct::INFO,
    ];
    &INFOS
}

pub(crate) fn run(analysis: &Analysis) -> Vec<Finding> {
    let mut out = Vec::new();
    for (_, check) in REGISTRY {
        check(analysis, &mut out);
    }
    out
}

/// A function that writes constant storage slot `slot` on a path without a caller guard.
fn unguarded_writer(analysis: &Analysis, slot: alloy_primitives::U256) -> Option<&Function> {
    analysis.functions.iter().find(|writer| {
        writer
            .facts
            .storage_writes
            .iter()
            .any(|w| !w.guarded && w.kind == crate::SlotKind::Constant(slot))
    })
}

/// A finding of `info` in `function` at `pc`; the message gets the no-source note.
fn finding(info: &DetectorInfo, function: &Function, pc: usize, message: &str) -> Finding {
    Finding {
        detector_id: info.id,
        severity: info.severity,
        selector: function.selector,
        function_name: function.name.map(str::to_string),
        pc,
        message: format!(
            "{message} in `{}` at pc {pc} (source not available: found in bytecode)",
            function.display_name()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_is_sorted_unique_and_documented() {
        let ids: Vec<_> = detectors().iter().map(|d| d.id).collect();
        let mut sorted = ids.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(ids, sorted);
        let registry: Vec<_> = REGISTRY.iter().map(|(i, _)| i.id).collect();
        assert_eq!(ids, registry);
        for d in detectors() {
            assert!(d.id.starts_with("bytecode-"), "{}", d.id);
            assert!(d.id.chars().all(|c| c.is_ascii_lowercase() || c == '-'));
            assert!(!d.title.is_empty() && d.description.len() > 40, "{}", d.id);
        }
    }
}
