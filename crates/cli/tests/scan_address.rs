//! `web3audit scan 0xADDRESS` against a local Anvil node with the proxy fixtures of the
//! `chain` crate deployed.

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use alloy_primitives::{Address, U256};
use devnet::{Anvil, anvil_or_skip};
use serde_json::{Value, json};

/// Runs the binary in an empty folder, so that no `web3audit.toml` is found by accident.
fn web3audit(args: &[&str]) -> Output {
    let cwd = tempfile::tempdir().unwrap();
    Command::new(env!("CARGO_BIN_EXE_web3audit"))
        .args(args)
        .current_dir(cwd.path())
        .output()
        .expect("the binary runs")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn artifact(name: &str) -> devnet::Artifact {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../chain/tests/fixtures/Proxies.json");
    devnet::load_artifact(&path, name).unwrap()
}

fn address_word(address: Address) -> Vec<u8> {
    let mut out = vec![0u8; 12];
    out.extend_from_slice(address.as_slice());
    out
}

/// Sends a transaction and waits for its receipt; panics when it reverted.
fn transact(node: &Anvil, tx: Value) -> Value {
    let hash = node.rpc("eth_sendTransaction", json!([tx])).unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let receipt = node
            .rpc("eth_getTransactionReceipt", json!([hash]))
            .unwrap();
        if !receipt.is_null() {
            assert_eq!(receipt["status"], "0x1", "transaction {hash} reverted");
            return receipt;
        }
        assert!(Instant::now() < deadline, "no receipt for {hash}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn deploy(node: &Anvil, name: &str, args: &[Vec<u8>]) -> Address {
    let mut code = artifact(name).bytecode;
    for arg in args {
        code.extend_from_slice(arg);
    }
    let receipt = transact(
        node,
        json!({"from": node.accounts()[0], "data": devnet::hex(&code)}),
    );
    receipt["contractAddress"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap()
}

#[test]
fn scans_a_proxy_whose_upgrades_an_eoa_controls() {
    let Some(node) = anvil_or_skip("scans_a_proxy_whose_upgrades_an_eoa_controls") else {
        return;
    };
    let before = node.block_number().unwrap();
    let owner = node.accounts()[1];
    let implementation = deploy(&node, "Implementation", &[]);
    let admin = deploy(&node, "ProxyAdmin", &[address_word(owner)]);
    let mut args = address_word(implementation);
    args.extend(address_word(admin));
    let proxy = deploy(&node, "TransparentProxy", &[args]);
    let block = node.block_number().unwrap();
    let target = proxy.to_string();

    let out = web3audit(&["scan", &target, "--rpc-url", node.url(), "--color", "never"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    for expected in [
        format!("address: {proxy}"),
        "chain id: 31337".to_string(),
        format!("block: {block}"),
        format!("  {proxy} (EIP-1967 proxy) -> {implementation}"),
        format!("implementation: {implementation}"),
        format!(
            "upgraded by EIP-1967 admin {admin}; controlled by {owner} through {admin}: an externally owned account (one key)"
        ),
        "high[upgradeable-by-eoa]: the code behind proxy".to_string(),
        format!("  = addresses: {proxy}, {admin}, {owner}"),
        "1 finding: 1 high".to_string(),
    ] {
        assert!(text.contains(&expected), "{expected:?} not in\n{text}");
    }

    let out = web3audit(&["scan", &target, "--rpc-url", node.url(), "-f", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["target"]["chain_id"], 31337);
    assert_eq!(report["target"]["block"], block);
    let parse = |value: &Value| value.as_str().unwrap().parse::<Address>().unwrap();
    assert_eq!(parse(&report["proxy_chain"][0]["target"]), implementation);
    assert_eq!(parse(&report["implementation"]["address"]), implementation);
    let controller = &report["upgrade_controls"][0]["controller"];
    assert_eq!(controller["kind"], "eoa");
    assert_eq!(parse(&controller["address"]), owner);
    assert_eq!(parse(&controller["via"][0]), admin);
    assert_eq!(report["findings"][0]["rule_id"], "upgradeable-by-eoa");
    assert_eq!(report["findings"][0]["severity"], "high");
    assert_eq!(report["summary"]["high"], 1);

    // The gate.
    let out = web3audit(&[
        "scan",
        &target,
        "--rpc-url",
        node.url(),
        "--fail-on",
        "high",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));

    // At a block before the deployment there is no code.
    let out = web3audit(&[
        "scan",
        &target,
        "--rpc-url",
        node.url(),
        "--block",
        &before.to_string(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains(&format!(
            "no code at {proxy}: an externally owned account, or a self-destroyed contract"
        )),
        "{}",
        stderr(&out)
    );
}

#[test]
fn chains_come_from_the_configuration_file() {
    let Some(node) = anvil_or_skip("chains_come_from_the_configuration_file") else {
        return;
    };
    let implementation = deploy(&node, "Implementation", &[]);
    let timelock = deploy(
        &node,
        "Timelock",
        &[
            U256::from(3600).to_be_bytes::<32>().to_vec(),
            address_word(node.accounts()[0]),
        ],
    );
    let mut args = address_word(implementation);
    args.extend(address_word(timelock));
    let beacon = deploy(&node, "Beacon", &[args]);
    let proxy = deploy(&node, "BeaconProxy", &[address_word(beacon)]);
    let target = proxy.to_string();

    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("web3audit.toml");
    std::fs::write(
        &config,
        format!(
            "[chains.local]\nurls = [\"http://127.0.0.1:9\", \"{}\"]\nexpected-chain-id = 31337\ntimeout = \"2s\"\nretries = 0\n\n[chains.wrong]\nurls = [\"{}\"]\nexpected-chain-id = 1\n",
            node.url(),
            node.url()
        ),
    )
    .unwrap();
    let config = config.to_str().unwrap();
    // The first endpoint is down: the second answers.
    let out = web3audit(&["scan", &target, "--chain", "local", "--config", config]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains(&format!(
            "controlled by {timelock} through {beacon}: a timelock with a delay of 3600 s"
        )),
        "{text}"
    );
    assert!(text.ends_with("no findings\n"), "{text}");

    let out = web3audit(&["scan", &target, "--chain", "wrong", "--config", config]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("wrong chain: expected chain id 1, the endpoint serves 31337"),
        "{}",
        stderr(&out)
    );
    let out = web3audit(&["scan", &target, "--chain", "nope", "--config", config]);
    assert!(
        stderr(&out).contains("unknown chain `nope`"),
        "{}",
        stderr(&out)
    );
    let out = web3audit(&["scan", &target, "--no-config"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("an address scan needs an RPC endpoint"),
        "{}",
        stderr(&out)
    );
    let out = web3audit(&["scan", ".", "--rpc-url", node.url()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("apply to the scan of a contract address"));
}
