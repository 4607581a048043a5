//! Deploying the fixtures to Anvil and sending transactions, waiting for their receipts.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use alloy_primitives::{Address, U256};
use devnet::Anvil;
use serde_json::{Value, json};

pub(crate) fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fixtures.json")
}

pub(crate) fn deploy(node: &Anvil, name: &str) -> Address {
    deploy_with(node, name, &[])
}

/// Deploys `name` from the first account with ABI-encoded constructor arguments.
pub(crate) fn deploy_with(node: &Anvil, name: &str, arguments: &[u8]) -> Address {
    let artifact = devnet::load_artifact(&fixtures(), name).unwrap();
    let mut code = artifact.bytecode;
    code.extend_from_slice(arguments);
    let receipt = transact(
        node,
        json!({"from": node.accounts()[0], "data": devnet::hex(&code)}),
    );
    serde_json::from_value(receipt["contractAddress"].clone()).unwrap()
}

/// Sends a transaction and waits for its receipt. `devnet::Anvil::send` reads the receipt
/// once, right after sending, and Anvil may not have stored it yet: that reads as a revert.
pub(crate) fn transact(node: &Anvil, tx: Value) -> Value {
    let hash = node.rpc("eth_sendTransaction", json!([tx])).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let receipt = node
            .rpc("eth_getTransactionReceipt", json!([hash]))
            .unwrap();
        if !receipt.is_null() {
            assert_eq!(receipt["status"], "0x1", "transaction reverted: {receipt}");
            return receipt;
        }
        assert!(
            Instant::now() < deadline,
            "no receipt for {hash} after 10 s"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

pub(crate) fn send(node: &Anvil, from: Address, to: Address, data: &[u8], value: U256) {
    transact(
        node,
        json!({"from": from, "to": to, "data": devnet::hex(data), "value": value}),
    );
}
