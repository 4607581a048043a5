//! End to end on a local Anvil node: deploy the compiled fixtures, read their code with
//! `eth_getCode`, fetch their sources from a local server answering in the Sourcify v2
//! format, and check them. Run with `WEB3AUDIT_ANVIL_TESTS=required` to fail instead of
//! skipping when no Anvil binary is found.

mod common;

use std::collections::BTreeMap;

use alloy_primitives::Address;
use common::{Reply, Server};
use serde_json::{Value, json};
use verified::{HashKind, Match, SourcesConfig, Subject, check, fetch, parse_tail};

struct Deployed {
    address: Address,
    answer: Value,
}

/// Fixtures deployed on the node: (fixture file, contract, its source files, hash kind).
const FIXTURES: &[(&str, &str, &[&str], HashKind)] = &[
    (
        "solc-0.8.26.json",
        "Vault",
        &["Owned.sol", "Vault.sol"],
        HashKind::Ipfs,
    ),
    (
        "solc-0.5.17.json",
        "Counter05",
        &["Counter05.sol"],
        HashKind::Bzzr1,
    ),
    (
        "solc-0.4.26.json",
        "Counter04",
        &["Counter04.sol"],
        HashKind::Bzzr0,
    ),
];

/// Deploys `init_code` and waits for its receipt. (`Anvil::deploy` reads the receipt once,
/// right after sending, and takes a receipt not yet there for a revert; polling avoids that.)
fn deploy(node: &devnet::Anvil, from: Address, init_code: &[u8]) -> Address {
    let hash = node
        .rpc(
            "eth_sendTransaction",
            json!([{"from": from, "data": devnet::hex(init_code)}]),
        )
        .unwrap();
    for _ in 0..200 {
        let receipt = node
            .rpc("eth_getTransactionReceipt", json!([hash]))
            .unwrap();
        if !receipt.is_null() {
            assert_eq!(
                receipt["status"],
                json!("0x1"),
                "deployment reverted: {receipt}"
            );
            return serde_json::from_value(receipt["contractAddress"].clone()).unwrap();
        }
        std::thread::sleep(std::time::Duration::from_millis(25));
    }
    panic!("no receipt for {hash}");
}

fn code_at(node: &devnet::Anvil, address: Address) -> Vec<u8> {
    let code = node.rpc("eth_getCode", json!([address, "latest"])).unwrap();
    devnet::parse_hex(code.as_str().unwrap()).unwrap()
}

#[test]
fn deployed_fixtures_match_their_sources_and_tampering_is_caught() {
    let Some(node) = devnet::anvil_or_skip("deployed_fixtures_match_their_sources") else {
        return;
    };
    let chain_id = u64::from_str_radix(
        node.rpc("eth_chainId", json!([]))
            .unwrap()
            .as_str()
            .unwrap()
            .trim_start_matches("0x"),
        16,
    )
    .unwrap();
    let deployer = node.accounts()[0];
    let mut deployed = Vec::new();
    for &(file, name, sources, kind) in FIXTURES {
        let artifact = devnet::load_artifact(&common::fixture_path(file), name).unwrap();
        let address = deploy(&node, deployer, &artifact.bytecode);
        let files: Vec<(String, String)> = sources
            .iter()
            .map(|p| {
                let text = std::fs::read_to_string(common::fixture_path(p)).unwrap();
                (p.to_string(), text)
            })
            .collect();
        let answer = common::sourcify_found(
            chain_id,
            &address.to_string(),
            &files,
            &artifact.metadata,
            name,
        );
        // The node runs the code the compiler wrote.
        let code = code_at(&node, address);
        assert_eq!(code, artifact.deployed_bytecode, "{name}");
        assert_eq!(parse_tail(&code).unwrap().hash_kind(), Some(kind), "{name}");
        deployed.push(Deployed { address, answer });
    }

    // The server answers for the deployed addresses of this chain and nothing else.
    let by_path: BTreeMap<String, Value> = deployed
        .iter()
        .map(|d| {
            (
                format!("/v2/contract/{chain_id}/{}", d.address),
                d.answer.clone(),
            )
        })
        .collect();
    let server = Server::start(move |target| {
        let path = target.split('?').next().unwrap_or_default();
        match by_path.get(path) {
            Some(answer) => Reply::json(200, answer),
            None => Reply::json(404, &common::sourcify_not_found(chain_id, "0x")),
        }
    });
    let config = SourcesConfig {
        sourcify_url: server.url.clone(),
        etherscan_url: String::new(),
        timeout_secs: 5,
        ..SourcesConfig::default()
    };

    for (d, &(_, name, _, kind)) in deployed.iter().zip(FIXTURES) {
        let code = code_at(&node, d.address);
        let bundle = fetch(&config, chain_id, d.address).unwrap().unwrap();
        let outcome = check(&code, &bundle);
        match &outcome {
            Match::Exact { hash } => assert_eq!(hash.kind(), kind, "{name}"),
            other => panic!("{name}: {other}"),
        }
    }

    // The same sources with one changed statement: the metadata still matches the code,
    // the file does not.
    let vault = &deployed[0];
    let mut tampered = vault.answer.clone();
    let owned = tampered["sources"]["Owned.sol"]["content"]
        .as_str()
        .unwrap()
        .replace("require(msg.sender == owner, \"not owner\");", "");
    tampered["sources"]["Owned.sol"]["content"] = json!(owned);
    let tampered_server = Server::start(move |_| Reply::json(200, &tampered));
    let config = SourcesConfig {
        sourcify_url: tampered_server.url.clone(),
        ..config
    };
    let bundle = fetch(&config, chain_id, vault.address).unwrap().unwrap();
    let outcome = check(&code_at(&node, vault.address), &bundle);
    assert!(
        matches!(&outcome, Match::Mismatch { subject: Subject::Source(p), .. } if p == "Owned.sol"),
        "{outcome:?}"
    );

    // Another contract's code at the address (as after an upgrade of the code): the
    // metadata hash differs.
    node.set_code(vault.address, &code_at(&node, deployed[1].address))
        .unwrap();
    let bundle = fetch(
        &SourcesConfig {
            sourcify_url: server.url.clone(),
            ..config.clone()
        },
        chain_id,
        vault.address,
    )
    .unwrap()
    .unwrap();
    let outcome = check(&code_at(&node, vault.address), &bundle);
    assert!(
        matches!(
            &outcome,
            Match::Mismatch {
                subject: Subject::Metadata,
                ..
            }
        ),
        "{outcome:?}"
    );

    // An address the server does not know.
    assert!(
        fetch(
            &SourcesConfig {
                sourcify_url: server.url.clone(),
                ..config
            },
            chain_id,
            Address::repeat_byte(0x42)
        )
        .unwrap()
        .is_none()
    );
}
