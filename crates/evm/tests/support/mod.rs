//! The fixture table shared by the artifact and the Anvil suites.

use std::path::{Path, PathBuf};

/// A vulnerable contract, its safe counterpart, the detector, and the functions at fault.
pub(crate) struct Case {
    pub(crate) detector: &'static str,
    pub(crate) vulnerable: &'static str,
    pub(crate) safe: &'static str,
    pub(crate) functions: &'static [&'static str],
}

pub(crate) const CASES: &[Case] = &[
    Case {
        detector: "bytecode-unguarded-selfdestruct",
        vulnerable: "SelfdestructVulnerable",
        safe: "SelfdestructSafe",
        functions: &["kill()"],
    },
    Case {
        detector: "bytecode-delegatecall-controlled",
        vulnerable: "DelegatecallVulnerable",
        safe: "DelegatecallSafe",
        functions: &["forward(bytes)", "execute(address,bytes)"],
    },
    Case {
        detector: "bytecode-unchecked-call",
        vulnerable: "UncheckedCallVulnerable",
        safe: "UncheckedCallSafe",
        functions: &["pay(address)"],
    },
    Case {
        detector: "bytecode-tx-origin-auth",
        vulnerable: "TxOriginVulnerable",
        safe: "TxOriginSafe",
        functions: &["transferOwnership(address)"],
    },
    Case {
        detector: "bytecode-arbitrary-storage-write",
        vulnerable: "StorageWriteVulnerable",
        safe: "StorageWriteSafe",
        functions: &["write(uint256,uint256)"],
    },
    Case {
        detector: "bytecode-unguarded-ether-transfer",
        vulnerable: "EtherTransferVulnerable",
        safe: "EtherTransferSafe",
        functions: &["withdrawAll()"],
    },
    Case {
        detector: "bytecode-state-write-after-call",
        vulnerable: "ReentrancyVulnerable",
        safe: "ReentrancySafe",
        functions: &["withdraw()", "withdrawChecked()"],
    },
];

/// The compiled fixture files: two compilers, with and without the optimizer.
pub(crate) const ARTIFACTS: &[&str] = &[
    "detectors-0.4.26.json",
    "detectors-0.4.26-opt.json",
    "detectors-0.8.26.json",
    "detectors-0.8.26-opt.json",
];

pub(crate) fn artifact_path(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(file)
}

pub(crate) fn selector(signature: &str) -> [u8; 4] {
    let hash = alloy_primitives::keccak256(signature.as_bytes());
    [hash[0], hash[1], hash[2], hash[3]]
}

/// Checks one case against the runtime codes of its two contracts; returns the failures.
pub(crate) fn check_case(case: &Case, label: &str, vulnerable: &[u8], safe: &[u8]) -> Vec<String> {
    let mut failures = Vec::new();
    let limits = evm::Limits::default();
    let findings = match evm::analyze(vulnerable, &limits) {
        Ok(analysis) => analysis.findings(),
        Err(e) => return vec![format!("{label} {}: {e}", case.vulnerable)],
    };
    for function in case.functions {
        let selector = selector(function);
        let hit = findings
            .iter()
            .any(|f| f.detector_id == case.detector && f.selector == Some(selector));
        if !hit {
            failures.push(format!(
                "{label} {}: no {} in {function}; findings: {findings:#?}",
                case.vulnerable, case.detector
            ));
        }
    }
    match evm::analyze(safe, &limits) {
        Ok(analysis) => {
            let wrong: Vec<_> = analysis
                .findings()
                .into_iter()
                .filter(|f| f.detector_id == case.detector)
                .collect();
            if !wrong.is_empty() {
                failures.push(format!("{label} {}: unexpected {wrong:#?}", case.safe));
            }
        }
        Err(e) => failures.push(format!("{label} {}: {e}", case.safe)),
    }
    failures
}
