//! End to end: each fixture is deployed to a local Anvil node, its code read back over
//! JSON-RPC and analyzed; the detectors must fire and stay silent as on the artifacts.
//!
//! Skipped without Anvil (`tools/anvil/install.sh`, or `WEB3AUDIT_ANVIL=/path/to/anvil`);
//! `WEB3AUDIT_ANVIL_TESTS=required` makes a missing node fail instead.

mod support;

use support::{ARTIFACTS, CASES, artifact_path, check_case};

#[test]
fn detectors_on_deployed_code() {
    let Some(node) = devnet::anvil_or_skip("detectors_on_deployed_code") else {
        return;
    };
    let deployer = node.accounts()[0];
    let mut failures = Vec::new();
    for file in ARTIFACTS {
        let path = artifact_path(file);
        for case in CASES {
            let deployed = |name| {
                let artifact = devnet::load_artifact(&path, name).expect("fixture artifact");
                let address = node.deploy(deployer, &artifact.bytecode).expect("deploy");
                let code = node.code(address).expect("eth_getCode");
                assert_eq!(
                    code, artifact.deployed_bytecode,
                    "{file} {name}: code differs"
                );
                code
            };
            let vulnerable = deployed(case.vulnerable);
            let safe = deployed(case.safe);
            failures.extend(check_case(case, file, &vulnerable, &safe));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
