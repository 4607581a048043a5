//! Confirmation by simulation against a local Anvil node: the fixtures are deployed for
//! real, the simulation reads their state over JSON-RPC at a fixed block, and the node's
//! state is checked unchanged after every simulation.
//!
//! Run with `WEB3AUDIT_ANVIL_TESTS=required` to fail instead of skipping without Anvil.

#[path = "support/anvil_reader.rs"]
mod anvil_reader;
#[path = "support/node.rs"]
mod node;

use alloy_primitives::{Address, B256, U256};
use anvil_reader::AnvilReader;
use chain::StateReader;
use devnet::Anvil;
use node::{deploy, deploy_with, send};
use sim::{
    BlockEnvironment, CallRequest, Effect, Probe, Simulator, Status, Verdict, confirm, selector,
    simulate,
};

const ETH: u128 = 1_000_000_000_000_000_000;

fn address_word(address: Address) -> Vec<u8> {
    let mut word = vec![0u8; 12];
    word.extend_from_slice(address.as_slice());
    word
}

/// What a simulation must leave untouched on the node.
#[derive(Debug, PartialEq, Eq)]
struct NodeState {
    block: u64,
    slot0: B256,
    balances: Vec<U256>,
}

fn node_state(node: &Anvil, target: Address, others: &[Address]) -> NodeState {
    let mut balances = vec![node.balance(target).unwrap()];
    for other in others {
        balances.push(node.balance(*other).unwrap());
    }
    NodeState {
        block: node.block_number().unwrap(),
        slot0: node.storage(target, B256::ZERO).unwrap(),
        balances,
    }
}

/// Confirms `probe` at the latest block and checks the node did not change.
fn confirm_unchanged(node: &Anvil, target: Address, probe: Probe) -> Verdict {
    let reader = AnvilReader::new(node);
    let block = reader.block_number().unwrap();
    let before = node_state(node, target, node.accounts());
    let verdict = confirm(&reader, block, target, probe).unwrap();
    let mut watched = node.accounts().to_vec();
    match &verdict {
        Verdict::Confirmed { attempt, .. } => watched.push(attempt.caller),
        Verdict::NotReproduced { attempts, .. } => {
            watched.extend(attempts.iter().map(|a| a.caller))
        }
    }
    let after = node_state(node, target, node.accounts());
    assert_eq!(before, after, "the node changed during a simulation");
    for caller in &watched[node.accounts().len()..] {
        assert_eq!(node.balance(*caller).unwrap(), U256::ZERO);
        assert!(node.code(*caller).unwrap().is_empty());
    }
    verdict
}

#[test]
fn an_unprotected_owner_change_is_confirmed_on_the_node() {
    let Some(node) = devnet::anvil_or_skip("an_unprotected_owner_change_is_confirmed_on_the_node")
    else {
        return;
    };
    let deployer = node.accounts()[0];
    let target = deploy(&node, "OpenOwnership");
    let verdict = confirm_unchanged(
        &node,
        target,
        Probe::signature(
            "transferOwnership(address)",
            Effect::PrivilegedWrite { slot: None },
        ),
    );
    let Verdict::Confirmed {
        evidence,
        attempt,
        outcome,
    } = verdict
    else {
        panic!("not confirmed: {verdict:?}");
    };
    assert_eq!(
        evidence,
        format!(
            "slot 0x0 changed from {deployer} (owner() before the call) to {} (unprivileged caller)",
            attempt.caller
        )
    );
    assert_eq!(attempt.number, 1);
    assert_eq!(outcome.storage_changes.len(), 1);
    // On the node the owner is still the deployer.
    assert_eq!(
        node.storage(target, B256::ZERO).unwrap().as_slice(),
        address_word(deployer).as_slice()
    );
}

#[test]
fn the_guarded_owner_change_is_not_reproduced_on_the_node() {
    let Some(node) =
        devnet::anvil_or_skip("the_guarded_owner_change_is_not_reproduced_on_the_node")
    else {
        return;
    };
    let target = deploy(&node, "GuardedOwnership");
    let verdict = confirm_unchanged(
        &node,
        target,
        Probe::signature(
            "transferOwnership(address)",
            Effect::PrivilegedWrite {
                slot: Some(U256::ZERO),
            },
        ),
    );
    let Verdict::NotReproduced { reason, attempts } = verdict else {
        panic!("confirmed: {verdict:?}");
    };
    assert_eq!(
        reason,
        "reverted with \"caller is not the owner\" on the only attempt"
    );
    assert_eq!(attempts.len(), 1);
}

#[test]
fn an_unprotected_withdrawal_is_confirmed_and_its_twin_is_not() {
    let Some(node) =
        devnet::anvil_or_skip("an_unprotected_withdrawal_is_confirmed_and_its_twin_is_not")
    else {
        return;
    };
    let funder = node.accounts()[1];
    let open = deploy(&node, "OpenVault");
    let guarded = deploy(&node, "GuardedVault");
    for vault in [open, guarded] {
        send(&node, funder, vault, &[], U256::from(3 * ETH / 2));
    }
    let probe = Probe::signature("withdraw(uint256)", Effect::EtherOut);

    let verdict = confirm_unchanged(&node, open, probe.clone());
    let Verdict::Confirmed {
        evidence,
        attempt,
        outcome,
    } = verdict
    else {
        panic!("not confirmed: {verdict:?}");
    };
    assert_eq!(
        evidence,
        "1.5 ETH (1500000000000000000 wei) left the contract to the caller"
    );
    assert_eq!(
        attempt.description,
        "withdraw(uint256) with number = the contract's balance (1500000000000000000 wei)"
    );
    assert_eq!(outcome.balance_change(open).unwrap().after, U256::ZERO);
    assert_eq!(node.balance(open).unwrap(), U256::from(3 * ETH / 2));

    let verdict = confirm_unchanged(&node, guarded, probe);
    let Verdict::NotReproduced { reason, attempts } = verdict else {
        panic!("confirmed: {verdict:?}");
    };
    assert_eq!(attempts.len(), 3);
    assert_eq!(
        reason,
        format!(
            "reverted with custom error NotOwner(address) (0x{}) with data 0x{} on every attempt (3)",
            alloy_primitives::hex::encode(selector("NotOwner(address)")),
            alloy_primitives::hex::encode(address_word(attempts[0].caller))
        )
    );
    assert_eq!(node.balance(guarded).unwrap(), U256::from(3 * ETH / 2));
}

#[test]
fn a_selector_only_probe_finds_the_argument_shape() {
    let Some(node) = devnet::anvil_or_skip("a_selector_only_probe_finds_the_argument_shape") else {
        return;
    };
    let target = deploy(&node, "ExitVault");
    node.set_balance(target, U256::from(2 * ETH)).unwrap();
    let verdict = confirm_unchanged(
        &node,
        target,
        Probe::selector(selector("emergencyExit(address,uint256)"), Effect::EtherOut),
    );
    let Verdict::Confirmed {
        evidence, attempt, ..
    } = verdict
    else {
        panic!("not confirmed: {verdict:?}");
    };
    assert_eq!(
        evidence,
        "2 ETH (2000000000000000000 wei) left the contract to the caller"
    );
    assert_eq!(attempt.number, 5);
    assert!(
        attempt
            .description
            .ends_with("with two words: the caller's address, the contract's balance"),
        "{}",
        attempt.description
    );
}

#[test]
fn a_simulation_reads_the_state_of_its_block_not_the_latest() {
    let Some(node) =
        devnet::anvil_or_skip("a_simulation_reads_the_state_of_its_block_not_the_latest")
    else {
        return;
    };
    let [deployer, heir, ..] = node.accounts() else {
        panic!("Anvil has fewer than two accounts");
    };
    let target = deploy(&node, "OpenOwnership");
    let reader = AnvilReader::new(&node);
    let old = reader.block_number().unwrap();
    // A real ownership transfer after `old`.
    let mut data = selector("transferOwnership(address)").to_vec();
    data.extend_from_slice(&address_word(*heir));
    send(&node, *deployer, target, &data, U256::ZERO);
    let latest = reader.block_number().unwrap();
    assert!(latest > old);

    let probe = Probe::signature(
        "transferOwnership(address)",
        Effect::PrivilegedWrite { slot: None },
    );
    let at = |block: u64| match confirm(&reader, block, target, probe.clone()).unwrap() {
        Verdict::Confirmed { evidence, .. } => evidence,
        other => panic!("not confirmed at {block}: {other:?}"),
    };
    assert!(at(old).starts_with(&format!("slot 0x0 changed from {deployer} (owner() before")));
    assert!(at(latest).starts_with(&format!("slot 0x0 changed from {heir} (owner() before")));
}

#[test]
fn a_plain_simulation_with_the_real_header_changes_nothing_on_the_node() {
    let Some(node) = devnet::anvil_or_skip(
        "a_plain_simulation_with_the_real_header_changes_nothing_on_the_node",
    ) else {
        return;
    };
    let target = deploy(&node, "GuardedOwnership");
    let reader = AnvilReader::new(&node);
    let block = reader.block_number().unwrap();
    let header = reader.header(block).unwrap();
    let mut environment = BlockEnvironment::from_reader(&reader, block).unwrap();
    environment.timestamp = header.timestamp;
    environment.basefee = header.basefee;
    assert_eq!(environment.chain_id, 31337);
    assert!(environment.basefee > 0);

    // The owner itself changes the owner in the simulation: it succeeds, pays gas at the
    // base fee out of the simulation-only funding, and the node does not see it.
    let owner = node.accounts()[0];
    let heir = node.accounts()[2];
    let before = node_state(&node, target, node.accounts());
    let mut data = selector("transferOwnership(address)").to_vec();
    data.extend_from_slice(&address_word(heir));
    let request = CallRequest {
        from: owner,
        to: target,
        data: data.into(),
        value: U256::ZERO,
        gas_limit: 100_000,
    };
    let mut simulator = Simulator::with_environment(&reader, environment);
    let outcome = simulator.simulate(&request).unwrap();
    assert!(
        matches!(outcome.status, Status::Success { .. }),
        "{outcome:?}"
    );
    assert_eq!(
        outcome.funding,
        U256::from(header.basefee) * U256::from(100_000u64)
    );
    let paid = outcome.balance_change(owner).unwrap();
    assert_eq!(
        paid.before - paid.after,
        U256::from(outcome.gas_used) * U256::from(header.basefee)
    );
    assert_eq!(
        outcome.storage_changes[0].after,
        U256::from_be_slice(&address_word(heir))
    );
    assert_eq!(node_state(&node, target, node.accounts()), before);

    // The free function reads the same block and agrees on what changed.
    let plain = simulate(&reader, block, request).unwrap();
    assert_eq!(plain.storage_changes, outcome.storage_changes);
    assert_eq!(node_state(&node, target, node.accounts()), before);
}

#[test]
fn an_owner_change_behind_a_proxy_is_confirmed_in_the_proxy_storage() {
    let Some(node) =
        devnet::anvil_or_skip("an_owner_change_behind_a_proxy_is_confirmed_in_the_proxy_storage")
    else {
        return;
    };
    let deployer = node.accounts()[0];
    let implementation = deploy(&node, "InitializableOwnership");
    // constructor(address implementation, bytes init) with init = initialize().
    let mut arguments = address_word(implementation);
    arguments.extend_from_slice(&U256::from(0x40).to_be_bytes::<32>());
    arguments.extend_from_slice(&U256::from(4).to_be_bytes::<32>());
    let mut init = selector("initialize()").to_vec();
    init.resize(32, 0);
    arguments.extend_from_slice(&init);
    let proxy = deploy_with(&node, "SlotProxy", &arguments);
    assert_eq!(
        node.storage(proxy, B256::ZERO).unwrap().as_slice(),
        address_word(deployer).as_slice()
    );

    let verdict = confirm_unchanged(
        &node,
        proxy,
        Probe::signature(
            "function transferOwnership(address newOwner)",
            Effect::PrivilegedWrite { slot: None },
        ),
    );
    let Verdict::Confirmed {
        evidence, outcome, ..
    } = verdict
    else {
        panic!("not confirmed: {verdict:?}");
    };
    let Some(attempt_caller) = outcome
        .storage_changes
        .first()
        .map(|c| Address::from_slice(&c.after.to_be_bytes::<32>()[12..]))
    else {
        panic!("no storage change: {outcome:?}");
    };
    assert_eq!(
        evidence,
        format!(
            "slot 0x0 changed from {deployer} (owner() before the call) to {attempt_caller} (unprivileged caller)"
        )
    );
    // The change is in the proxy's storage, not the implementation's.
    assert!(outcome.storage_changes.iter().all(|c| c.account == proxy));
    assert!(node.storage(implementation, B256::ZERO).unwrap().is_zero());
}
