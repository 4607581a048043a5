//! Prints figures of proxy resolution: RPC requests and time per proxy kind against a local
//! Anvil node, and the time of proxy detection on the fixtures' runtime codes (no node).
//!
//!     cargo run --release -p chain --example figures

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

use alloy_primitives::{Address, B256, Bytes, U256};
use chain::proxy;
use chain::upgrade;
use chain::{ChainError, ClientConfig, RpcClient, StateReader};
use serde_json::{Value, json};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/Proxies.json");

/// Code at addresses, every storage word zero: detection then has only the code to go on.
struct CodeOnly(HashMap<Address, Bytes>);

impl StateReader for CodeOnly {
    fn chain_id(&self) -> Result<u64, ChainError> {
        Ok(1)
    }
    fn block_number(&self) -> Result<u64, ChainError> {
        Ok(1)
    }
    fn code(&self, address: Address, _: u64) -> Result<Bytes, ChainError> {
        Ok(self.0.get(&address).cloned().unwrap_or_default())
    }
    fn storage(&self, _: Address, _: U256, _: u64) -> Result<B256, ChainError> {
        Ok(B256::ZERO)
    }
    fn balance(&self, _: Address, _: u64) -> Result<U256, ChainError> {
        Ok(U256::ZERO)
    }
    fn nonce(&self, _: Address, _: u64) -> Result<u64, ChainError> {
        Ok(0)
    }
    fn call(&self, _: Address, _: &[u8], _: u64) -> Result<Bytes, ChainError> {
        Ok(Bytes::new())
    }
}

fn word(address: Address) -> Vec<u8> {
    let mut out = vec![0u8; 12];
    out.extend_from_slice(address.as_slice());
    out
}

fn transact(node: &devnet::Anvil, tx: Value) -> Value {
    let hash = node.rpc("eth_sendTransaction", json!([tx])).expect("send");
    loop {
        let receipt = node
            .rpc("eth_getTransactionReceipt", json!([hash]))
            .expect("receipt");
        if !receipt.is_null() {
            return receipt;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn deploy(node: &devnet::Anvil, name: &str, args: &[Address]) -> Address {
    let mut code = devnet::load_artifact(Path::new(FIXTURES), name)
        .expect("fixture")
        .bytecode;
    for arg in args {
        code.extend(word(*arg));
    }
    let receipt = transact(
        node,
        json!({"from": node.accounts()[0], "data": devnet::hex(&code)}),
    );
    receipt["contractAddress"]
        .as_str()
        .and_then(|text| text.parse().ok())
        .expect("contract address")
}

fn main() {
    detection_on_fixtures();
    match devnet::Anvil::spawn() {
        Ok(node) => resolution_over_rpc(&node),
        Err(error) => println!("resolution over RPC: skipped ({error})"),
    }
}

fn detection_on_fixtures() {
    let text = std::fs::read_to_string(FIXTURES).expect("fixtures");
    let doc: Value = serde_json::from_str(&text).expect("fixtures JSON");
    let names: Vec<String> = doc["contracts"]
        .as_object()
        .expect("contracts")
        .keys()
        .cloned()
        .collect();
    let mut codes = HashMap::new();
    let mut bytes = 0usize;
    for (i, name) in names.iter().enumerate() {
        let artifact = devnet::load_artifact(Path::new(FIXTURES), name).expect("artifact");
        bytes += artifact.deployed_bytecode.len();
        codes.insert(
            Address::with_last_byte(i as u8 + 1),
            Bytes::from(artifact.deployed_bytecode),
        );
    }
    let reader = CodeOnly(codes);
    let rounds = 200;
    let start = Instant::now();
    for _ in 0..rounds {
        for (address, code) in &reader.0 {
            let mut notes = Vec::new();
            let _ = proxy::detect(&reader, *address, code, 1, &mut notes);
        }
    }
    let per = start.elapsed() / (rounds * reader.0.len() as u32);
    println!(
        "proxy detection without RPC: {} runtime codes ({} bytes in all), {:.1} µs per code",
        reader.0.len(),
        bytes,
        per.as_secs_f64() * 1e6
    );
}

fn resolution_over_rpc(node: &devnet::Anvil) {
    let owner = node.accounts()[1];
    let implementation = deploy(node, "Implementation", &[]);
    let admin = deploy(node, "ProxyAdmin", &[owner]);
    let transparent = deploy(node, "TransparentProxy", &[implementation, admin]);
    let beacon = deploy(node, "Beacon", &[implementation, owner]);
    let beacon_proxy = deploy(node, "BeaconProxy", &[beacon]);
    let forwarder = deploy(node, "CustomForwarder", &[implementation]);
    let singleton = deploy(node, "SafeSingleton", &[]);
    let safe = deploy(node, "SafeProxy", &[singleton]);
    let cases = [
        ("no proxy", implementation),
        ("EIP-1967 transparent + ProxyAdmin", transparent),
        ("EIP-1967 beacon", beacon_proxy),
        ("custom DELEGATECALL forwarder", forwarder),
        ("Safe proxy", safe),
    ];
    println!("resolution and upgrade control over JSON-RPC (local Anvil):");
    for (name, address) in cases {
        let mut config = ClientConfig::new([node.url()]);
        config.expected_chain_id = Some(31337);
        let client = RpcClient::new(config).expect("client");
        let start = Instant::now();
        let block = client.block_number().expect("block");
        let resolution = proxy::resolve(&client, address, block).expect("resolution");
        let controls = upgrade::upgrade_controls(&client, &resolution).expect("controls");
        let elapsed = start.elapsed();
        println!(
            "  {name}: {} hop(s), {} control(s), {} requests, {:.1} ms",
            resolution.hops.len(),
            controls.len(),
            client.requests_sent(),
            elapsed.as_secs_f64() * 1e3
        );
    }
}
