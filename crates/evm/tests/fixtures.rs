//! Every bytecode detector fires on its vulnerable fixture at the right function and stays
//! silent on the safe one, for solc 0.4.26 and 0.8.26, with and without the optimizer.
//! The artifacts are committed; `tests/fixtures/build.sh` regenerates them.

mod support;

use support::{ARTIFACTS, CASES, artifact_path, check_case};

#[test]
fn detectors_fire_on_vulnerable_and_not_on_safe_fixtures() {
    let mut failures = Vec::new();
    for file in ARTIFACTS {
        let path = artifact_path(file);
        for case in CASES {
            let load = |name| devnet::load_artifact(&path, name).expect("fixture artifact");
            let vulnerable = load(case.vulnerable).deployed_bytecode;
            let safe = load(case.safe).deployed_bytecode;
            failures.extend(check_case(case, file, &vulnerable, &safe));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn safe_fixtures_have_no_finding_at_all() {
    let mut failures = Vec::new();
    for file in ARTIFACTS {
        let path = artifact_path(file);
        for case in CASES {
            let code = devnet::load_artifact(&path, case.safe)
                .expect("fixture artifact")
                .deployed_bytecode;
            let analysis = evm::analyze(&code, &evm::Limits::default()).expect("analysis");
            let findings = analysis.findings();
            if !findings.is_empty() {
                failures.push(format!("{file} {}: {findings:#?}", case.safe));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn dispatch_recovers_every_abi_selector() {
    for file in ARTIFACTS {
        let path = artifact_path(file);
        for case in CASES {
            for name in [case.vulnerable, case.safe] {
                let artifact = devnet::load_artifact(&path, name).expect("fixture artifact");
                let analysis =
                    evm::analyze(&artifact.deployed_bytecode, &evm::Limits::default()).unwrap();
                assert_eq!(analysis.unresolved_jumps, 0, "{file} {name}");
                let found: Vec<[u8; 4]> = analysis.selectors().collect();
                for item in artifact.abi.as_array().into_iter().flatten() {
                    if item["type"] != "function" {
                        continue;
                    }
                    let inputs: Vec<&str> = item["inputs"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|i| i["type"].as_str())
                        .collect();
                    let signature =
                        format!("{}({})", item["name"].as_str().unwrap(), inputs.join(","));
                    assert!(
                        found.contains(&support::selector(&signature)),
                        "{file} {name}: {signature} not recovered"
                    );
                }
            }
        }
    }
}

#[test]
fn vulnerable_fixtures_report_only_their_own_detector() {
    let mut failures = Vec::new();
    for file in ARTIFACTS {
        let path = artifact_path(file);
        for case in CASES {
            let code = devnet::load_artifact(&path, case.vulnerable)
                .expect("fixture artifact")
                .deployed_bytecode;
            let analysis = evm::analyze(&code, &evm::Limits::default()).expect("analysis");
            let others: Vec<_> = analysis
                .findings()
                .into_iter()
                .filter(|f| f.detector_id != case.detector)
                .collect();
            if !others.is_empty() {
                failures.push(format!("{file} {}: {others:#?}", case.vulnerable));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn facts_of_the_fixtures() {
    use evm::{CallKind, SlotKind};
    for file in ARTIFACTS {
        let path = artifact_path(file);
        let analysis = |name| {
            let code = devnet::load_artifact(&path, name)
                .unwrap()
                .deployed_bytecode;
            evm::analyze(&code, &evm::Limits::default()).unwrap()
        };
        let function = |analysis: &evm::Analysis, signature: &str| {
            analysis
                .function(support::selector(signature))
                .unwrap_or_else(|| panic!("{file}: no {signature}"))
                .facts
                .clone()
        };
        let kinds = |facts: &evm::FunctionFacts| -> Vec<SlotKind> {
            facts
                .storage_writes
                .iter()
                .map(|w| w.kind.clone())
                .collect()
        };

        let safe = analysis("StorageWriteSafe");
        assert_eq!(
            kinds(&function(&safe, "setFixed(uint256,uint256)")),
            [SlotKind::CalldataIndexed],
            "{file}"
        );
        assert_eq!(
            kinds(&function(&safe, "write(uint256,uint256)")),
            [SlotKind::KeyedByCalldata],
            "{file}"
        );
        let vulnerable = analysis("StorageWriteVulnerable");
        assert_eq!(
            kinds(&function(&vulnerable, "write(uint256,uint256)")),
            [SlotKind::Calldata],
            "{file}"
        );

        let withdraw = function(&analysis("EtherTransferSafe"), "withdraw()");
        assert!(
            withdraw
                .storage_reads
                .iter()
                .any(|r| r.kind == SlotKind::KeyedByCaller),
            "{file}"
        );
        assert!(
            withdraw
                .storage_writes
                .iter()
                .all(|w| w.kind == SlotKind::KeyedByCaller),
            "{file}"
        );
        assert!(
            withdraw.calls.iter().all(|c| !c.forwards_gas),
            "{file}: transfer forwards 2300 gas"
        );

        // `if (receiver == msg.sender && now > unlock)`: the guard is decided after a join.
        let gift = function(&analysis("EtherTransferSafe"), "claimGift()");
        assert!(
            !gift.calls.is_empty() && gift.calls.iter().all(|c| c.guarded),
            "{file}"
        );

        // Written after the call, but under a lock: not reported.
        let locked = function(&analysis("ReentrancySafe"), "lockedWithdraw()");
        assert!(
            locked.storage_writes.iter().any(|w| w.after_call.is_some()),
            "{file}"
        );

        let kill = function(&analysis("SelfdestructSafe"), "kill()");
        assert!(
            !kill.caller_guards.is_empty() && kill.selfdestructs.iter().all(|s| s.guarded),
            "{file}"
        );
        // `require(admins[msg.sender])`: a membership flag keyed by the caller guards too.
        let shutdown = function(&analysis("SelfdestructSafe"), "shutdown()");
        assert!(!shutdown.caller_guards.is_empty(), "{file}");

        let kill = function(&analysis("SelfdestructVulnerable"), "kill()");
        assert!(
            kill.caller_guards.is_empty() && kill.selfdestructs.len() == 1,
            "{file}"
        );

        let origin = function(
            &analysis("TxOriginVulnerable"),
            "transferOwnership(address)",
        );
        assert!(
            origin.uses_origin && !origin.origin_checks.is_empty(),
            "{file}"
        );

        let pay = |name| function(&analysis(name), "pay(address)").calls;
        let unchecked = pay("UncheckedCallVulnerable");
        assert!(
            unchecked.len() == 1 && !unchecked[0].success_checked && unchecked[0].forwards_gas,
            "{file}"
        );
        assert!(
            pay("UncheckedCallSafe").iter().all(|c| c.success_checked),
            "{file}"
        );

        let forward = function(&analysis("DelegatecallVulnerable"), "forward(bytes)");
        let call = forward
            .calls
            .iter()
            .find(|c| c.kind == CallKind::DelegateCall)
            .unwrap();
        assert_eq!(
            call.target.storage_slot,
            Some(alloy_primitives::U256::from(1)),
            "{file}"
        );
    }
}

#[test]
fn binary_search_dispatchers_are_recovered() {
    for file in ARTIFACTS {
        let artifact = devnet::load_artifact(&artifact_path(file), "ManyFunctions").unwrap();
        let analysis = evm::analyze(&artifact.deployed_bytecode, &evm::Limits::default()).unwrap();
        let found: Vec<[u8; 4]> = analysis.selectors().collect();
        let mut expected = vec!["balance()", "owner()"];
        let names: Vec<String> = (0..14).map(|i| format!("f{i}(uint256)")).collect();
        expected.extend(names.iter().map(String::as_str));
        for signature in expected {
            assert!(
                found.contains(&support::selector(signature)),
                "{file}: {signature}"
            );
        }
        assert_eq!(found.len(), 16, "{file}");
        assert!(analysis.metadata_bytes > 0, "{file}: metadata tail kept");
        assert_eq!(analysis.unresolved_jumps, 0, "{file}");
        let owner = analysis.function(support::selector("owner()")).unwrap();
        assert_eq!(owner.name, Some("owner()"));
        assert!(analysis.findings().is_empty(), "{file}");
    }
}
