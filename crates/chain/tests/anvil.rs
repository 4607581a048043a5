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
    let address = deploy_code(&node, &init);
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
    // The header of a mined block: Anvil's clock and its default 30M gas limit, a base fee
    // after London; a block not mined yet is a malformed answer (`null`), said so.
    let header = rpc.header(block).unwrap();
    let clock = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(header.timestamp.abs_diff(clock) < 3600, "{header:?}");
    assert_eq!(header.gas_limit, 30_000_000);
    assert!(header.base_fee > 0, "{header:?}");
    let error = rpc.header(block + 1000).unwrap_err();
    assert!(
        error
            .to_string()
            .contains("the node does not have this block"),
        "{error}"
    );
    assert!(rpc.requests_sent() >= 9);
}

// ---------------------------------------------------------------------------------------
// Proxies and upgrade controllers on the fixtures of tests/fixtures/Proxies.sol.

use chain::proxy::{self, ProxyError, ProxyKind, Resolution};
use chain::upgrade::{self, ControllerKind, UpgradeMechanism};
use std::path::Path;

fn artifact(name: &str) -> devnet::Artifact {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/Proxies.json");
    devnet::load_artifact(&path, name).unwrap()
}

fn address_word(address: Address) -> Vec<u8> {
    let mut out = vec![0u8; 12];
    out.extend_from_slice(address.as_slice());
    out
}

fn uint_word(value: u64) -> Vec<u8> {
    U256::from(value).to_be_bytes::<32>().to_vec()
}

fn deploy(node: &Anvil, name: &str, args: &[Vec<u8>]) -> Address {
    let mut code = artifact(name).bytecode;
    for arg in args {
        code.extend_from_slice(arg);
    }
    deploy_code(node, &code)
}

/// Sends a transaction and waits for its receipt (Anvil may answer `eth_sendTransaction`
/// before the block with it is available when the machine is busy); panics when it reverted.
fn transact(node: &Anvil, tx: serde_json::Value) -> serde_json::Value {
    let hash = node
        .rpc("eth_sendTransaction", serde_json::json!([tx]))
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let receipt = node
            .rpc("eth_getTransactionReceipt", serde_json::json!([hash]))
            .unwrap();
        if !receipt.is_null() {
            assert_eq!(receipt["status"], "0x1", "transaction {hash} reverted");
            return receipt;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no receipt for {hash}"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

fn deploy_code(node: &Anvil, code: &[u8]) -> Address {
    let receipt = transact(
        node,
        serde_json::json!({"from": node.accounts()[0], "data": devnet::hex(code)}),
    );
    receipt["contractAddress"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap()
}

fn send(node: &Anvil, from: Address, to: Address, data: &[u8]) {
    transact(
        node,
        serde_json::json!({"from": from, "to": to, "data": devnet::hex(data)}),
    );
}

fn calldata(signature: &str, args: &[Vec<u8>]) -> Vec<u8> {
    let mut out = proxy::selector(signature).to_vec();
    for arg in args {
        out.extend_from_slice(arg);
    }
    out
}

fn resolve(rpc: &RpcClient, address: Address) -> Resolution {
    let block = rpc.block_number().unwrap();
    proxy::resolve(rpc, address, block).unwrap()
}

/// A Safe-style multisig: a SafeProxy in front of a fresh singleton, set up with `owners`.
fn deploy_safe(node: &Anvil, owners: &[Address], threshold: u64) -> (Address, Address) {
    let singleton = deploy(node, "SafeSingleton", &[]);
    let safe = deploy(node, "SafeProxy", &[address_word(singleton)]);
    let mut setup = calldata(
        "setup(address[],uint256)",
        &[uint_word(0x40), uint_word(threshold)],
    );
    setup.extend(uint_word(owners.len() as u64));
    for owner in owners {
        setup.extend(address_word(*owner));
    }
    send(node, node.accounts()[0], safe, &setup);
    (safe, singleton)
}

#[test]
fn transparent_proxy_admin_owned_by_an_eoa_is_a_finding() {
    let Some(node) = anvil_or_skip("transparent_proxy_admin_owned_by_an_eoa_is_a_finding") else {
        return;
    };
    let rpc = client(&node);
    let owner = node.accounts()[1];
    let implementation = deploy(&node, "Implementation", &[]);
    let admin = deploy(&node, "ProxyAdmin", &[address_word(owner)]);
    let proxy = deploy(
        &node,
        "TransparentProxy",
        &[address_word(implementation), address_word(admin)],
    );
    let resolution = resolve(&rpc, proxy);
    assert_eq!(resolution.hops.len(), 1);
    assert_eq!(
        resolution.hops[0].kind,
        ProxyKind::Eip1967 { admin: Some(admin) }
    );
    assert_eq!(resolution.implementation, implementation);
    assert_eq!(
        resolution.implementation_code.as_ref(),
        artifact("Implementation").deployed_bytecode.as_slice()
    );
    let controls = upgrade::upgrade_controls(&rpc, &resolution).unwrap();
    assert_eq!(controls.len(), 1);
    assert_eq!(
        controls[0].mechanism,
        UpgradeMechanism::Eip1967Admin { admin }
    );
    let controller = controls[0].controller.as_ref().unwrap();
    assert_eq!(
        (
            controller.address,
            &controller.kind,
            controller.via.as_slice()
        ),
        (owner, &ControllerKind::Eoa, [admin].as_slice())
    );
    let findings = upgrade::findings(&controls);
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].id, "upgradeable-by-eoa");
    assert_eq!(findings[0].severity, upgrade::Severity::High);
    assert_eq!(findings[0].addresses, vec![proxy, admin, owner]);

    // The owner upgrades: the new implementation is seen at the new block, the old one at
    // the old block.
    let before = rpc.block_number().unwrap();
    let second = deploy(&node, "Implementation", &[]);
    let upgrade_call = calldata(
        "upgrade(address,address)",
        &[address_word(proxy), address_word(second)],
    );
    send(&node, owner, admin, &upgrade_call);
    assert_eq!(resolve(&rpc, proxy).implementation, second);
    assert_eq!(
        proxy::resolve(&rpc, proxy, before).unwrap().implementation,
        implementation
    );

    // Renounced: nobody can upgrade, no finding.
    send(&node, owner, admin, &calldata("renounceOwnership()", &[]));
    let resolution = resolve(&rpc, proxy);
    let controls = upgrade::upgrade_controls(&rpc, &resolution).unwrap();
    let controller = controls[0].controller.as_ref().unwrap();
    assert_eq!(controller.kind, ControllerKind::Renounced);
    assert!(upgrade::findings(&controls).is_empty());

    // An EOA as the admin itself.
    let direct = deploy(
        &node,
        "TransparentProxy",
        &[address_word(implementation), address_word(owner)],
    );
    let resolution = resolve(&rpc, direct);
    let controls = upgrade::upgrade_controls(&rpc, &resolution).unwrap();
    let controller = controls[0].controller.as_ref().unwrap();
    assert_eq!(
        (controller.address, &controller.kind),
        (owner, &ControllerKind::Eoa)
    );
    assert!(controller.via.is_empty());
    assert_eq!(
        upgrade::findings(&controls)[0].addresses,
        vec![direct, owner]
    );
}

#[test]
fn beacon_proxy_controlled_by_a_timelock() {
    let Some(node) = anvil_or_skip("beacon_proxy_controlled_by_a_timelock") else {
        return;
    };
    let rpc = client(&node);
    let implementation = deploy(&node, "Implementation", &[]);
    let timelock = deploy(
        &node,
        "Timelock",
        &[uint_word(172_800), address_word(node.accounts()[0])],
    );
    let beacon = deploy(
        &node,
        "Beacon",
        &[address_word(implementation), address_word(timelock)],
    );
    let proxy = deploy(&node, "BeaconProxy", &[address_word(beacon)]);
    let resolution = resolve(&rpc, proxy);
    assert_eq!(
        resolution.hops[0].kind,
        ProxyKind::Eip1967Beacon {
            beacon,
            admin: None
        }
    );
    assert_eq!(resolution.implementation, implementation);
    let controls = upgrade::upgrade_controls(&rpc, &resolution).unwrap();
    assert_eq!(controls.len(), 1);
    assert_eq!(controls[0].mechanism, UpgradeMechanism::Beacon { beacon });
    let controller = controls[0].controller.as_ref().unwrap();
    assert_eq!(controller.address, timelock);
    assert_eq!(
        controller.kind,
        ControllerKind::Timelock { min_delay: 172_800 }
    );
    assert_eq!(controller.via, vec![beacon]);
    assert!(upgrade::findings(&controls).is_empty());
    assert!(
        controls[0]
            .to_string()
            .contains("a timelock with a delay of 172800 s")
    );
}

#[test]
fn uups_proxy_owned_by_a_multisig_and_the_safe_itself() {
    let Some(node) = anvil_or_skip("uups_proxy_owned_by_a_multisig_and_the_safe_itself") else {
        return;
    };
    let rpc = client(&node);
    let owners = &node.accounts()[1..4];
    let (safe, singleton) = deploy_safe(&node, owners, 2);
    let implementation = deploy(&node, "UupsImplementation", &[]);
    let mut init = calldata("initialize(address)", &[address_word(safe)]);
    let init_len = init.len() as u64;
    init.resize(init.len().div_ceil(32) * 32, 0);
    let mut args = address_word(implementation);
    args.extend(uint_word(0x40));
    args.extend(uint_word(init_len));
    args.extend(init);
    let proxy = deploy(&node, "UupsProxy", &[args]);
    let resolution = resolve(&rpc, proxy);
    assert_eq!(resolution.hops[0].kind, ProxyKind::Eip1967 { admin: None });
    assert_eq!(resolution.implementation, implementation);
    let controls = upgrade::upgrade_controls(&rpc, &resolution).unwrap();
    assert_eq!(controls[0].mechanism, UpgradeMechanism::Uups);
    let controller = controls[0].controller.as_ref().unwrap();
    assert_eq!(controller.address, safe);
    assert_eq!(
        controller.kind,
        ControllerKind::Multisig {
            threshold: 2,
            owners: owners.to_vec()
        }
    );
    assert!(upgrade::findings(&controls).is_empty());

    // The Safe proxy itself: its singleton, upgraded by its own owners.
    let resolution = resolve(&rpc, safe);
    assert_eq!(resolution.hops[0].kind, ProxyKind::GnosisSafe);
    assert_eq!(resolution.implementation, singleton);
    let controls = upgrade::upgrade_controls(&rpc, &resolution).unwrap();
    assert_eq!(controls[0].mechanism, UpgradeMechanism::SafeOwners);
    assert!(matches!(
        controls[0].controller.as_ref().unwrap().kind,
        ControllerKind::Multisig { threshold: 2, .. }
    ));

    // The same UUPS proxy with an EOA as owner is a finding.
    let key = node.accounts()[5];
    let mut init = calldata("initialize(address)", &[address_word(key)]);
    let init_len = init.len() as u64;
    init.resize(init.len().div_ceil(32) * 32, 0);
    let mut args = address_word(implementation);
    args.extend(uint_word(0x40));
    args.extend(uint_word(init_len));
    args.extend(init);
    let owned = deploy(&node, "UupsProxy", &[args]);
    let controls = upgrade::upgrade_controls(&rpc, &resolve(&rpc, owned)).unwrap();
    assert_eq!(upgrade::findings(&controls)[0].addresses, vec![owned, key]);
}

#[test]
fn eip1822_and_minimal_proxies() {
    let Some(node) = anvil_or_skip("eip1822_and_minimal_proxies") else {
        return;
    };
    let rpc = client(&node);
    let implementation = deploy(&node, "Implementation", &[]);
    let legacy = deploy(&node, "Eip1822Proxy", &[address_word(implementation)]);
    let resolution = resolve(&rpc, legacy);
    assert_eq!(resolution.hops[0].kind, ProxyKind::Eip1822);
    assert_eq!(resolution.implementation, implementation);
    let controls = upgrade::upgrade_controls(&rpc, &resolution).unwrap();
    assert!(matches!(
        controls[0].mechanism,
        UpgradeMechanism::Unknown { .. }
    ));

    let factory = deploy(&node, "CloneFactory", &[]);
    send(
        &node,
        node.accounts()[0],
        factory,
        &calldata("clone(address)", &[address_word(implementation)]),
    );
    let clone =
        Address::from_slice(&node.call(factory, &calldata("lastClone()", &[])).unwrap()[12..]);
    let resolution = resolve(&rpc, clone);
    assert_eq!(resolution.hops[0].kind, ProxyKind::Eip1167);
    assert_eq!(resolution.implementation, implementation);
    let controls = upgrade::upgrade_controls(&rpc, &resolution).unwrap();
    assert_eq!(controls[0].mechanism, UpgradeMechanism::Immutable);
    assert!(controls[0].controller.is_none());

    // A clone of a target whose address starts with zero bytes uses a shorter PUSH.
    let short_target: Address = "0x000000000000000000000000000000000000bEEF"
        .parse()
        .unwrap();
    node.set_code(short_target, &artifact("Implementation").deployed_bytecode)
        .unwrap();
    let runtime =
        devnet::parse_hex("0x363d3d373d3d3d363d61beef5af43d82803e903d91601957fd5bf3").unwrap();
    let short_clone = Address::repeat_byte(0x5c);
    node.set_code(short_clone, &runtime).unwrap();
    let resolution = resolve(&rpc, short_clone);
    assert_eq!(resolution.hops[0].kind, ProxyKind::Eip1167);
    assert_eq!(resolution.implementation, short_target);
    // The variant really runs: a call through it reaches the implementation.
    assert_eq!(
        node.call(short_clone, &calldata("version()", &[])).unwrap(),
        uint_word(1)
    );

    // The EIP-7511 form (PUSH0), as the standard gives it, runs and is followed.
    let mut runtime = devnet::parse_hex("0x365f5f375f5f365f73").unwrap();
    runtime.extend_from_slice(implementation.as_slice());
    runtime.extend(devnet::parse_hex("0x5af43d5f5f3e5f3d91602a57fd5bf3").unwrap());
    let push0_clone = Address::repeat_byte(0x7b);
    node.set_code(push0_clone, &runtime).unwrap();
    assert_eq!(
        node.call(push0_clone, &calldata("version()", &[])).unwrap(),
        uint_word(1)
    );
    let resolution = resolve(&rpc, push0_clone);
    assert_eq!(resolution.hops[0].kind, ProxyKind::Eip7511);
    assert_eq!(resolution.implementation, implementation);
    let controls = upgrade::upgrade_controls(&rpc, &resolution).unwrap();
    assert_eq!(controls[0].mechanism, UpgradeMechanism::Immutable);
}

#[test]
fn custom_forwarder_slot_is_traced() {
    let Some(node) = anvil_or_skip("custom_forwarder_slot_is_traced") else {
        return;
    };
    let rpc = client(&node);
    let implementation = deploy(&node, "Implementation", &[]);
    let forwarder = deploy(&node, "CustomForwarder", &[address_word(implementation)]);
    let resolution = resolve(&rpc, forwarder);
    let slot: alloy_primitives::B256 =
        "0x7d3ac6d53d2b16e4f6b1d8a1c3a5e2d4f0c9b8a7968574635241302f1e0d0c0b"
            .parse()
            .unwrap();
    assert_eq!(resolution.hops[0].kind, ProxyKind::Delegatecall { slot });
    assert_eq!(resolution.implementation, implementation);
    let controls = upgrade::upgrade_controls(&rpc, &resolution).unwrap();
    assert!(matches!(
        controls[0].mechanism,
        UpgradeMechanism::Unknown { .. }
    ));

    // A DELEGATECALL to an address from calldata is no proxy: nothing is guessed.
    let runner = deploy(&node, "CallerChosenDelegate", &[]);
    let resolution = resolve(&rpc, runner);
    assert!(resolution.hops.is_empty());
    assert_eq!(resolution.implementation, runner);
    assert_eq!(resolution.notes.len(), 1, "{:?}", resolution.notes);
    // Nor is a plain contract.
    let resolution = resolve(&rpc, implementation);
    assert!(resolution.hops.is_empty() && resolution.notes.is_empty());
}

#[test]
fn chains_loops_and_missing_code_are_precise_errors() {
    let Some(node) = anvil_or_skip("chains_loops_and_missing_code_are_precise_errors") else {
        return;
    };
    let rpc = client(&node);
    let implementation = deploy(&node, "Implementation", &[]);
    // Two hops: a transparent proxy in front of a custom forwarder.
    let inner = deploy(&node, "CustomForwarder", &[address_word(implementation)]);
    let outer = deploy(
        &node,
        "TransparentProxy",
        &[address_word(inner), address_word(node.accounts()[1])],
    );
    let block = rpc.block_number().unwrap();
    let resolution = proxy::resolve(&rpc, outer, block).unwrap();
    let path: Vec<Address> = resolution.hops.iter().map(|hop| hop.target).collect();
    assert_eq!(path, vec![inner, implementation]);
    match proxy::resolve_with_depth(&rpc, outer, block, 1) {
        Err(ProxyError::TooDeep { limit: 1, chain }) => {
            assert_eq!(chain, vec![outer, inner, implementation]);
        }
        other => panic!("expected TooDeep, got {other:?}"),
    }

    // A loop: a forwarder pointed back at the outer proxy.
    let slot: alloy_primitives::B256 =
        "0x7d3ac6d53d2b16e4f6b1d8a1c3a5e2d4f0c9b8a7968574635241302f1e0d0c0b"
            .parse()
            .unwrap();
    let mut target = [0u8; 32];
    target[12..].copy_from_slice(outer.as_slice());
    node.set_storage(inner, slot, target.into()).unwrap();
    let block = rpc.block_number().unwrap();
    let error = proxy::resolve(&rpc, outer, block).unwrap_err();
    match &error {
        ProxyError::Loop { chain } => assert_eq!(chain, &vec![outer, inner, outer]),
        other => panic!("expected Loop, got {other:?}"),
    }
    assert!(error.to_string().starts_with("proxy loop: "), "{error}");

    // No code at the address asked about.
    let nobody = Address::repeat_byte(0x77);
    let error = proxy::resolve(&rpc, nobody, block).unwrap_err();
    assert_eq!(
        error.to_string(),
        format!("no code at {nobody}: an externally owned account, or a self-destroyed contract")
    );
    // No code at a proxy's target.
    let dangling = deploy(&node, "CustomForwarder", &[address_word(nobody)]);
    let block = rpc.block_number().unwrap();
    match proxy::resolve(&rpc, dangling, block).unwrap_err() {
        ProxyError::NoCode {
            address,
            referenced_by,
        } => assert_eq!((address, referenced_by), (nobody, Some(dangling))),
        other => panic!("expected NoCode, got {other:?}"),
    }
}
