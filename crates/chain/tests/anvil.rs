//! End-to-end: the JSON-RPC client, proxy resolution and upgrade controllers against a local
//! Anvil node with the fixtures of `tests/fixtures` deployed.

use alloy_primitives::{Address, B256, U256};
use chain::{ChainError, ClientConfig, RpcClient, StateReader};
use devnet::{Anvil, anvil_or_skip};

fn client(node: &Anvil) -> RpcClient {
    let mut config = ClientConfig::new([node.url()]);
    config.expected_chain_id = Some(31337);
    RpcClient::new(config).unwrap()
}

#[test]
fn client_reads_state_at_a_block() {
    let Some(node) = anvil_or_skip("client_reads_state_at_a_block") else {
        return;
    };
    let rpc = client(&node);
    let deployer = node.accounts()[0];
    // Init code returning the 10-byte runtime code of zeros.
    let mut init = devnet::parse_hex("0x600a600c600039600a6000f3").unwrap();
    init.extend_from_slice(&[0u8; 10]);
    let address = node.deploy(deployer, &init).unwrap();
    let block = rpc.block_number().unwrap();
    assert_eq!(rpc.chain_id().unwrap(), 31337);
    assert_eq!(rpc.code(address, block).unwrap().as_ref(), &[0u8; 10]);
    assert!(
        rpc.code(Address::repeat_byte(0x42), block)
            .unwrap()
            .is_empty()
    );
    node.set_storage(address, B256::with_last_byte(3), B256::with_last_byte(9))
        .unwrap();
    let now = rpc.block_number().unwrap();
    assert_eq!(
        rpc.storage(address, U256::from(3), now).unwrap(),
        B256::with_last_byte(9)
    );
    assert!(rpc.balance(deployer, block).unwrap() > U256::ZERO);
    assert_eq!(rpc.nonce(deployer, block).unwrap(), 1);
    assert_eq!(rpc.nonce(deployer, 0).unwrap(), 0);
    // A call to code that stops returns nothing.
    assert!(rpc.call(address, &[1, 2, 3, 4], block).unwrap().is_empty());
    // A block that does not exist yet is the node's error, named with the method.
    let error = rpc.code(address, block + 1000).unwrap_err();
    assert!(
        matches!(error, ChainError::Rpc { ref method, .. } if method == "eth_getCode"),
        "{error}"
    );
    assert!(rpc.requests_sent() >= 9);
}
