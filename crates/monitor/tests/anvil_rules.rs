//! End-to-end: every rule kind of a monitor file against a local Anvil node with the
//! fixtures of `tests/fixtures/Monitoring.sol` deployed. Each test starts its own node,
//! deploys what its scenario needs, writes a monitor file for the deployed addresses,
//! drives the engine over JSON-RPC until it is caught up, and checks the firings: the rule
//! fires on its scenario and stays silent on the benign twin next to it.

use std::path::Path;

use alloy_primitives::{Address, B256, U256, keccak256};
use chain::{ChainError, ClientConfig, RpcClient};
use devnet::{Anvil, anvil_or_skip, anvil_with_or_skip};
use monitor::LoadError;
use monitor::engine::{Checkpoint, Engine, EngineError, Step};
use monitor::eval::Firing;
use serde_json::{Value as Json, json};

// ---------------------------------------------------------------------------------------
// Fixtures, transactions and the engine.

fn artifact(name: &str) -> devnet::Artifact {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/Monitoring.json");
    devnet::load_artifact(&path, name).unwrap()
}

/// The JSON ABI of a fixture contract, as a monitor file gives it inline (`abi_json`).
fn abi_json(name: &str) -> String {
    artifact(name).abi.to_string()
}

/// `n` × 10¹⁸ (ether, or whole tokens of 18 decimals).
fn ether(n: u64) -> U256 {
    U256::from(n) * U256::from(10u64).pow(U256::from(18))
}

/// `n` × 10¹⁵ (thousandths of an ether).
fn milliether(n: u64) -> U256 {
    U256::from(n) * U256::from(10u64).pow(U256::from(15))
}

fn gwei(n: u64) -> U256 {
    U256::from(n) * U256::from(1_000_000_000u64)
}

/// An ABI word of an address argument.
fn addr(address: Address) -> B256 {
    address.into_word()
}

/// An ABI word of a number argument.
fn num(value: U256) -> B256 {
    B256::from(value)
}

/// Calldata of `signature` (`withdraw(uint256)`) with static arguments.
fn calldata(signature: &str, args: &[B256]) -> Vec<u8> {
    let mut data = keccak256(signature.as_bytes())[..4].to_vec();
    for arg in args {
        data.extend_from_slice(arg.as_slice());
    }
    data
}

/// A mined transaction, from its receipt.
#[derive(Debug, Clone, Copy)]
struct Mined {
    hash: B256,
    block: u64,
    success: bool,
    created: Option<Address>,
}

fn quantity(value: &Json) -> u64 {
    let text = value.as_str().unwrap().trim_start_matches("0x");
    u64::from_str_radix(text, 16).unwrap()
}

/// Sends a transaction without waiting for it to be mined.
fn submit(node: &Anvil, tx: Json) -> B256 {
    serde_json::from_value(node.rpc("eth_sendTransaction", json!([tx])).unwrap()).unwrap()
}

/// The receipt of a transaction, once it is there.
fn receipt(node: &Anvil, hash: B256) -> Mined {
    for _ in 0..1500 {
        let receipt = node
            .rpc("eth_getTransactionReceipt", json!([hash]))
            .unwrap();
        if !receipt.is_null() {
            return Mined {
                hash,
                block: quantity(&receipt["blockNumber"]),
                success: quantity(&receipt["status"]) == 1,
                created: serde_json::from_value(receipt["contractAddress"].clone()).unwrap(),
            };
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    panic!("no receipt for {hash} after 30 s");
}

/// Sends a transaction (automine) and returns it mined, whether it succeeded or not.
fn send(node: &Anvil, tx: Json) -> Mined {
    let hash = submit(node, tx);
    receipt(node, hash)
}

/// A call that must succeed.
fn call(node: &Anvil, from: Address, to: Address, data: &[u8], value: U256) -> Mined {
    let mined = send(
        node,
        json!({"from": from, "to": to, "data": devnet::hex(data), "value": value}),
    );
    assert!(mined.success, "call to {to} from {from} reverted");
    mined
}

/// A call that must revert, sent with an explicit gas limit so that the node mines it
/// (with status 0) instead of refusing it at estimation.
fn failing_call(node: &Anvil, from: Address, to: Address, data: &[u8]) -> Mined {
    let mined = send(
        node,
        json!({"from": from, "to": to, "data": devnet::hex(data), "gas": "0x30000"}),
    );
    assert!(!mined.success, "call to {to} from {from} did not revert");
    mined
}

/// Deploys fixture `name` with constructor arguments; the mined creation.
fn deploy(node: &Anvil, from: Address, name: &str, args: &[B256]) -> (Address, Mined) {
    let mut code = artifact(name).bytecode;
    for arg in args {
        code.extend_from_slice(arg.as_slice());
    }
    let mined = send(node, json!({"from": from, "data": devnet::hex(&code)}));
    assert!(mined.success, "deployment of {name} failed");
    (mined.created.unwrap(), mined)
}

/// A token, `lenders` lenders of it each holding `funds`, and a borrower.
fn lending(
    node: &Anvil,
    owner: Address,
    lenders: usize,
    funds: U256,
) -> (Address, Vec<Address>, Address) {
    let (token, _) = deploy(node, owner, "Token", &[]);
    let pools: Vec<Address> = (0..lenders)
        .map(|_| deploy(node, owner, "Lender", &[addr(token)]).0)
        .collect();
    let (borrower, _) = deploy(node, owner, "Borrower", &[]);
    for pool in &pools {
        call(
            node,
            owner,
            token,
            &calldata("mint(address,uint256)", &[addr(*pool), num(funds)]),
            U256::ZERO,
        );
    }
    (token, pools, borrower)
}

fn mine(node: &Anvil) -> u64 {
    node.rpc("evm_mine", json!([])).unwrap();
    node.block_number().unwrap()
}

fn set_automine(node: &Anvil, on: bool) {
    node.rpc("evm_setAutomine", json!([on])).unwrap();
}

/// A client for one monitor, made as the service makes it: the monitor's endpoints and
/// chain id.
fn client_for(monitor: &monitor::rules::Monitor) -> RpcClient {
    let mut config = ClientConfig::new(monitor.rpc.clone());
    config.expected_chain_id = Some(monitor.chain_id);
    config.budget = u64::MAX;
    config.retries = 0;
    RpcClient::new(config).unwrap()
}

/// One monitor followed over JSON-RPC from its start block; beside it the same monitor
/// reading every transaction in full, and the same reading calldata without the blocks'
/// traces (as on a node without `trace_block`), which must fire the same.
struct Follower {
    engine: Engine,
    reference: Engine,
    untraced: Engine,
    client: RpcClient,
    checkpoint: Checkpoint,
    reference_checkpoint: Checkpoint,
    untraced_checkpoint: Checkpoint,
}

impl Follower {
    fn new(monitor: monitor::rules::Monitor) -> Self {
        let client = client_for(&monitor);
        let reference = Engine::new(monitor.clone()).with_full_transactions();
        let untraced = Engine::new(monitor.clone()).without_traced_calldata();
        let engine = Engine::new(monitor);
        let checkpoint = engine.initial_checkpoint(&client).unwrap();
        Follower {
            engine,
            reference,
            untraced,
            client,
            reference_checkpoint: checkpoint.clone(),
            untraced_checkpoint: checkpoint.clone(),
            checkpoint,
        }
    }

    /// Steps until the engine is idle; every firing, in order.
    fn try_catch_up(&mut self) -> Result<Vec<Firing>, EngineError> {
        let firings = follow_until_idle(&self.engine, &self.client, &mut self.checkpoint)?;
        let reference = follow_until_idle(
            &self.reference,
            &self.client,
            &mut self.reference_checkpoint,
        )?;
        assert_eq!(
            firings, reference,
            "reading only the transactions the rules need changed the firings"
        );
        let untraced =
            follow_until_idle(&self.untraced, &self.client, &mut self.untraced_checkpoint)?;
        assert_eq!(
            untraced, reference,
            "reading calldata without the blocks' traces changed the firings"
        );
        Ok(firings)
    }

    fn catch_up(&mut self) -> Vec<Firing> {
        self.try_catch_up().unwrap()
    }
}

fn follow_until_idle(
    engine: &Engine,
    client: &RpcClient,
    checkpoint: &mut Checkpoint,
) -> Result<Vec<Firing>, EngineError> {
    let mut firings = Vec::new();
    loop {
        match engine.step(client, checkpoint)? {
            Step::Idle { head } => {
                let confirmed = head.saturating_sub(engine.monitor().confirmations);
                assert_eq!(checkpoint.next_block, confirmed + 1, "idle but behind");
                return Ok(firings);
            }
            Step::Advanced(progress) => {
                assert!(progress.checkpoint.next_block > checkpoint.next_block);
                firings.extend(progress.firings);
                *checkpoint = progress.checkpoint;
            }
        }
    }
}

/// Compiles a monitor file holding one monitor and follows it.
fn follow(text: &str) -> Follower {
    let mut monitors = monitor::load_monitors(text, None)
        .unwrap_or_else(|e| panic!("the monitor file does not load: {e}\n{text}"));
    assert_eq!(monitors.len(), 1);
    Follower::new(monitors.remove(0))
}

/// The `[[monitors]]` header of a monitor named `watch` on `node`.
fn header(node: &Anvil, start: u64, confirmations: u64) -> String {
    format!(
        r#"
[[monitors]]
name = "watch"
chain_id = 31337
rpc = ["{url}"]
confirmations = {confirmations}
start_block = {start}
"#,
        url = node.url()
    )
}

/// The block after the latest one: where a monitor starts to see what comes next.
fn next_block(node: &Anvil) -> u64 {
    node.block_number().unwrap() + 1
}

/// `(rule, block, transaction)` of each firing, to compare with what a scenario expects.
fn summary(firings: &[Firing]) -> Vec<(&str, u64, Option<B256>)> {
    firings
        .iter()
        .map(|f| (f.rule.as_str(), f.block_number, f.tx_hash))
        .collect()
}

fn checksum(address: Address) -> String {
    address.to_checksum(None)
}

// ---------------------------------------------------------------------------------------
// `call`

#[test]
fn call_rules_fire_on_decoded_arguments_caller_and_value() {
    let Some(node) = anvil_or_skip("call_rules_fire_on_decoded_arguments_caller_and_value") else {
        return;
    };
    let [owner, friend, stranger] = [node.accounts()[0], node.accounts()[1], node.accounts()[2]];
    let (vault, _) = deploy(&node, owner, "Vault", &[]);
    let start = next_block(&node);
    let text = format!(
        r#"
[lists]
allow_list = ["{owner}", "{friend}"]
{header}
[[monitors.contracts]]
name = "Vault"
address = "{vault}"
abi_json = '''{abi}'''

[[monitors.rules]]
name = "ownership-to-outsider"
kind = "call"
contract = "Vault"
function = "transferOwnership"
when = "newOwner not in allow_list"
level = "critical"

[[monitors.rules]]
name = "large-withdrawal-by-outsider"
kind = "call"
contract = "Vault"
function = "withdraw(uint256)"
when = "caller not in allow_list and amount > 1 ether"
level = "high"

[[monitors.rules]]
name = "large-deposit"
kind = "call"
function = "deposit"
when = "value > 1 ether"
level = "medium"
"#,
        header = header(&node, start, 1),
        abi = abi_json("Vault"),
    );
    let mut follower = follow(&text);

    let deposit = calldata("deposit()", &[]);
    let withdraw = |amount: U256| calldata("withdraw(uint256)", &[num(amount)]);
    let transfer_ownership = |to: Address| calldata("transferOwnership(address)", &[addr(to)]);
    let big_deposit = call(&node, owner, vault, &deposit, ether(5));
    call(&node, owner, vault, &deposit, milliether(500)); // twin: 0.5 ether
    let outsider_withdrawal = call(&node, stranger, vault, &withdraw(ether(2)), U256::ZERO);
    call(&node, friend, vault, &withdraw(ether(2)), U256::ZERO); // twin: allowed caller
    call(
        &node,
        stranger,
        vault,
        &withdraw(milliether(100)),
        U256::ZERO,
    ); // twin: small
    call(&node, owner, vault, &transfer_ownership(friend), U256::ZERO); // twin: allowed
    // The stranger is not the owner: the call reverts, and still fires (an attempt).
    let attempt = failing_call(&node, stranger, vault, &transfer_ownership(stranger));
    let handover = call(
        &node,
        friend,
        vault,
        &transfer_ownership(stranger),
        U256::ZERO,
    );

    // One confirmation: the handover, in the latest block, waits for the next one.
    let mut firings = follower.catch_up();
    assert_eq!(firings.len(), 3);
    assert_eq!(follower.checkpoint.next_block, handover.block);
    mine(&node);
    firings.extend(follower.catch_up());
    assert_eq!(
        summary(&firings),
        vec![
            ("large-deposit", big_deposit.block, Some(big_deposit.hash)),
            (
                "large-withdrawal-by-outsider",
                outsider_withdrawal.block,
                Some(outsider_withdrawal.hash)
            ),
            ("ownership-to-outsider", attempt.block, Some(attempt.hash)),
            ("ownership-to-outsider", handover.block, Some(handover.hash)),
        ]
    );
    let detail = &firings[0].detail;
    assert_eq!(detail["function"], "deposit()");
    assert_eq!(detail["value"], ether(5).to_string());
    assert_eq!(detail["caller"], checksum(owner));
    let detail = &firings[1].detail;
    assert_eq!(detail["contract"], "Vault");
    assert_eq!(detail["address"], checksum(vault));
    assert_eq!(detail["function"], "withdraw(uint256)");
    // The ABI's parameter name, though the rule wrote the signature without names.
    assert_eq!(detail["arguments"], json!({"amount": ether(2).to_string()}));
    assert_eq!(detail["caller"], checksum(stranger));
    assert_eq!(detail["success"], true);
    assert_eq!(firings[2].detail["success"], false);
    assert!(
        firings[2].detail["summary"]
            .as_str()
            .unwrap()
            .contains("(reverted)"),
        "{}",
        firings[2].detail
    );
    assert_eq!(
        firings[3].detail["arguments"],
        json!({"newOwner": checksum(stranger)})
    );
    assert_eq!(firings[3].detail["caller"], checksum(friend));
    assert_eq!(firings[3].dedup_key, checksum(vault));
    // Caught up: nothing more until new blocks come.
    assert!(follower.catch_up().is_empty());
}

/// In a block of many transactions, the few sent to a watched contract are read one by one
/// (the others from their receipts), and their calldata and value are what the rules see.
#[test]
fn call_rules_see_calldata_and_value_in_a_block_of_other_traffic() {
    let Some(node) = anvil_or_skip("call_rules_see_calldata_and_value_in_a_block_of_other_traffic")
    else {
        return;
    };
    let [owner, other] = [node.accounts()[0], node.accounts()[1]];
    let (vault, _) = deploy(&node, owner, "Vault", &[]);
    let start = next_block(&node);
    let text = format!(
        r#"{header}
[[monitors.contracts]]
name = "Vault"
address = "{vault}"
abi_json = '''{abi}'''

[[monitors.rules]]
name = "large-deposit"
kind = "call"
function = "deposit"
when = "value > 1 ether"
level = "medium"

[[monitors.rules]]
name = "withdrawn"
kind = "event"
event = "Withdrawn"
when = "tx_value == 0 and amount >= 1 ether"
level = "low"
"#,
        header = header(&node, start, 0),
        abi = abi_json("Vault"),
    );
    let mut follower = follow(&text);
    call(&node, owner, vault, &calldata("deposit()", &[]), ether(3));
    set_automine(&node, false);
    let mut hashes = Vec::new();
    for i in 0..8u64 {
        // Plain transfers between accounts, which no rule looks at.
        hashes.push(submit(
            &node,
            json!({"from": other, "to": owner, "value": U256::from(i + 1)}),
        ));
    }
    let deposit = submit(
        &node,
        json!({"from": owner, "to": vault, "data": devnet::hex(&calldata("deposit()", &[])), "value": ether(2)}),
    );
    let withdrawal = submit(
        &node,
        json!({"from": owner, "to": vault, "data": devnet::hex(&calldata("withdraw(uint256)", &[num(ether(1))])), "gas": "0x30000"}),
    );
    let block = mine(&node);
    set_automine(&node, true);
    for hash in hashes.iter().chain([&deposit, &withdrawal]) {
        assert_eq!(receipt(&node, *hash).block, block, "one block for all");
    }
    let firings = follower.catch_up();
    let in_block: Vec<_> = summary(&firings)
        .into_iter()
        .filter(|(_, b, _)| *b == block)
        .collect();
    assert_eq!(
        in_block,
        vec![
            ("large-deposit", block, Some(deposit)),
            ("withdrawn", block, Some(withdrawal)),
        ]
    );
    let detail = &firings
        .iter()
        .find(|f| f.tx_hash == Some(deposit))
        .unwrap()
        .detail;
    assert_eq!(detail["value"], json!(ether(2).to_string()), "{detail}");
}

// ---------------------------------------------------------------------------------------
// `event`

#[test]
fn event_rules_fire_by_name_and_on_a_decoded_field() {
    let Some(node) = anvil_or_skip("event_rules_fire_by_name_and_on_a_decoded_field") else {
        return;
    };
    let [owner, holder, other, heir] = [
        node.accounts()[0],
        node.accounts()[1],
        node.accounts()[2],
        node.accounts()[3],
    ];
    let (vault, _) = deploy(&node, owner, "Vault", &[]);
    let (token, _) = deploy(&node, owner, "Token", &[]);
    let start = next_block(&node);
    // No ABI at all: OwnershipTransferred is known by name, Transfer by its signature.
    let text = format!(
        r#"
{header}
[[monitors.contracts]]
name = "Vault"
address = "{vault}"

[[monitors.contracts]]
name = "Token"
address = "{token}"

[[monitors.rules]]
name = "owner-changed"
kind = "event"
event = "OwnershipTransferred"
level = "critical"

[[monitors.rules]]
name = "large-transfer"
kind = "event"
contract = "Token"
event = "Transfer(address indexed from, address indexed to, uint256 value)"
when = "Transfer.value > 1e24"
level = "high"
"#,
        header = header(&node, start, 0),
    );
    let mut follower = follow(&text);

    let transfer =
        |to: Address, amount: U256| calldata("transfer(address,uint256)", &[addr(to), num(amount)]);
    let mint = call(
        &node,
        owner,
        token,
        &calldata(
            "mint(address,uint256)",
            &[addr(holder), num(ether(2_000_000))],
        ),
        U256::ZERO,
    );
    call(&node, holder, token, &transfer(other, ether(1)), U256::ZERO); // twin: small
    // twin: exactly 1e24 is not above it
    call(
        &node,
        holder,
        token,
        &transfer(other, ether(1_000_000)),
        U256::ZERO,
    );
    let handover = calldata("transferOwnership(address)", &[addr(heir)]);
    let vault_handover = call(&node, owner, vault, &handover, U256::ZERO);
    let token_handover = call(&node, owner, token, &handover, U256::ZERO);
    // twin: a contract the monitor does not watch emits OwnershipTransferred when deployed
    // and when handed over.
    let (unwatched, _) = deploy(&node, owner, "Vault", &[]);
    call(&node, owner, unwatched, &handover, U256::ZERO);

    let firings = follower.catch_up();
    assert_eq!(
        summary(&firings),
        vec![
            ("large-transfer", mint.block, Some(mint.hash)),
            (
                "owner-changed",
                vault_handover.block,
                Some(vault_handover.hash)
            ),
            (
                "owner-changed",
                token_handover.block,
                Some(token_handover.hash)
            ),
        ]
    );
    let detail = &firings[0].detail;
    assert_eq!(detail["contract"], "Token");
    assert_eq!(
        detail["event"], "Transfer(address,address,uint256)",
        "{detail}"
    );
    assert_eq!(
        detail["fields"],
        json!({
            "from": checksum(Address::ZERO),
            "to": checksum(holder),
            "value": ether(2_000_000).to_string(),
        })
    );
    assert_eq!(firings[0].log_index, 0);
    for (firing, contract) in [(&firings[1], "Vault"), (&firings[2], "Token")] {
        assert_eq!(firing.detail["contract"], contract);
        assert_eq!(
            firing.detail["fields"],
            json!({"previousOwner": checksum(owner), "newOwner": checksum(heir)})
        );
    }
    assert_eq!(firings[2].dedup_key, checksum(token));
}

// ---------------------------------------------------------------------------------------
// `balance_drop`

#[test]
fn balance_drop_fires_on_native_and_token_drains_within_the_window() {
    let Some(node) =
        anvil_or_skip("balance_drop_fires_on_native_and_token_drains_within_the_window")
    else {
        return;
    };
    let [owner, thief, borrower_account] =
        [node.accounts()[0], node.accounts()[1], node.accounts()[2]];
    let deposit = calldata("deposit()", &[]);
    let (fast, _) = deploy(&node, owner, "Vault", &[]);
    let (slow, _) = deploy(&node, owner, "Vault", &[]);
    call(&node, owner, fast, &deposit, ether(10));
    call(&node, owner, slow, &deposit, ether(10));
    let (token, lenders, borrower) = lending(&node, owner, 1, ether(1000));
    let lender = lenders[0];
    let start = next_block(&node);
    let text = format!(
        r#"
{header}
[[monitors.contracts]]
name = "FastVault"
address = "{fast}"

[[monitors.contracts]]
name = "SlowVault"
address = "{slow}"

[[monitors.contracts]]
name = "Lender"
address = "{lender}"

# Every contract's ether: the Lender holds none, and stays silent.
[[monitors.rules]]
name = "ether-drained"
kind = "balance_drop"
percent = 50
blocks = 5
level = "critical"

[[monitors.rules]]
name = "tokens-drained"
kind = "balance_drop"
contract = "Lender"
asset = "{token}"
percent = 50
blocks = 10
level = "critical"
"#,
        header = header(&node, start, 0),
    );
    let mut follower = follow(&text);

    let withdraw = |amount: U256| calldata("withdraw(uint256)", &[num(amount)]);
    let pay_out = |amount: U256| calldata("payOut(address,uint256)", &[addr(thief), num(amount)]);
    // The balances after the first block processed are where the windows begin: a quiet
    // block, so that the first withdrawal counts.
    mine(&node);
    call(&node, thief, fast, &withdraw(ether(3)), U256::ZERO); // 30%: silent
    let drained = call(&node, thief, fast, &withdraw(ether(3)), U256::ZERO); // 60% in 2 blocks
    call(&node, thief, slow, &withdraw(ether(3)), U256::ZERO); // 30%
    for _ in 0..5 {
        mine(&node);
    }
    // twin: another 30% of the start, but 5 blocks later: 3 of 7 is 43% within the window.
    call(&node, thief, slow, &withdraw(ether(3)), U256::ZERO);
    // twin: a flash loan takes 90% of the tokens and brings them back in the same block.
    call(
        &node,
        borrower_account,
        borrower,
        &calldata("borrow(address,uint256)", &[addr(lender), num(ether(900))]),
        U256::ZERO,
    );
    call(&node, owner, lender, &pay_out(ether(10)), U256::ZERO); // twin: 1%
    let token_drain = call(&node, owner, lender, &pay_out(ether(600)), U256::ZERO);

    let firings = follower.catch_up();
    assert_eq!(
        summary(&firings),
        vec![
            ("ether-drained", drained.block, None),
            ("tokens-drained", token_drain.block, None),
        ]
    );
    let detail = &firings[0].detail;
    assert_eq!(detail["asset"], "native");
    assert_eq!(detail["from"], ether(10).to_string());
    assert_eq!(detail["to"], ether(4).to_string());
    assert!(
        detail["summary"].as_str().unwrap().contains("FastVault"),
        "{detail}"
    );
    assert_eq!(firings[0].dedup_key, checksum(fast));
    let detail = &firings[1].detail;
    assert_eq!(detail["asset"], checksum(token));
    // From the peak of the window, before the small payout.
    assert_eq!(detail["from"], ether(1000).to_string());
    assert_eq!(detail["to"], ether(390).to_string());
    assert_eq!(firings[1].dedup_key, checksum(lender));
}

#[test]
fn balance_drop_that_began_before_the_start_block_fires() {
    let Some(node) = anvil_or_skip("balance_drop_that_began_before_the_start_block_fires") else {
        return;
    };
    let [owner, thief] = [node.accounts()[0], node.accounts()[1]];
    let deposit = calldata("deposit()", &[]);
    let withdraw = |amount: U256| calldata("withdraw(uint256)", &[num(amount)]);
    let (spanning, _) = deploy(&node, owner, "Vault", &[]);
    let (earlier, _) = deploy(&node, owner, "Vault", &[]);
    call(&node, owner, spanning, &deposit, ether(10));
    call(&node, owner, earlier, &deposit, ether(10));
    // twin: 40% taken 6 blocks before the start, outside the window of 5 blocks.
    call(&node, thief, earlier, &withdraw(ether(4)), U256::ZERO);
    for _ in 0..3 {
        mine(&node);
    }
    // 40% taken 2 blocks before the start: silent on its own (below 50%).
    call(&node, thief, spanning, &withdraw(ether(4)), U256::ZERO);
    mine(&node);
    let start = next_block(&node);
    let text = format!(
        r#"
{header}
[[monitors.contracts]]
name = "Spanning"
address = "{spanning}"

[[monitors.contracts]]
name = "Earlier"
address = "{earlier}"

[[monitors.rules]]
name = "ether-drained"
kind = "balance_drop"
percent = 50
blocks = 5
level = "critical"
"#,
        header = header(&node, start, 0),
    );
    let mut follower = follow(&text);
    // 20% more of each: for the first vault, at the start block, 60% from the peak of 10
    // within 3 blocks (without the blocks before the start its window would begin at 4,
    // after the drop); for the other, 2 of 6 (33%) within the window.
    let first = call(&node, thief, spanning, &withdraw(ether(2)), U256::ZERO);
    assert_eq!(first.block, start);
    call(&node, thief, earlier, &withdraw(ether(2)), U256::ZERO);

    let firings = follower.catch_up();
    assert_eq!(
        summary(&firings),
        vec![("ether-drained", first.block, None)]
    );
    let detail = &firings[0].detail;
    assert_eq!(detail["from"], ether(10).to_string());
    assert_eq!(detail["to"], ether(4).to_string());
    assert_eq!(firings[0].dedup_key, checksum(spanning));
}

// ---------------------------------------------------------------------------------------
// `supply_change`

#[test]
fn supply_change_fires_on_a_big_mint_and_a_big_burn() {
    let Some(node) = anvil_or_skip("supply_change_fires_on_a_big_mint_and_a_big_burn") else {
        return;
    };
    let [owner, holder] = [node.accounts()[0], node.accounts()[1]];
    let (token, _) = deploy(&node, owner, "Token", &[]);
    let mint = |amount: U256| calldata("mint(address,uint256)", &[addr(holder), num(amount)]);
    let burn = |amount: U256| calldata("burn(address,uint256)", &[addr(holder), num(amount)]);
    call(&node, owner, token, &mint(ether(1000)), U256::ZERO);
    let start = next_block(&node);
    let text = format!(
        r#"
{header}
[[monitors.contracts]]
name = "Token"
address = "{token}"

[[monitors.rules]]
name = "supply-jump"
kind = "supply_change"
contract = "Token"
percent = 10
blocks = 10
level = "high"
"#,
        header = header(&node, start, 0),
    );
    let mut follower = follow(&text);

    call(&node, owner, token, &mint(ether(5)), U256::ZERO); // twin: 0.5%
    let big_mint = call(&node, owner, token, &mint(ether(500)), U256::ZERO);
    call(&node, owner, token, &burn(ether(100)), U256::ZERO); // twin: 6.6%
    let big_burn = call(&node, owner, token, &burn(ether(1000)), U256::ZERO);

    let firings = follower.catch_up();
    assert_eq!(
        summary(&firings),
        vec![
            ("supply-jump", big_mint.block, None),
            ("supply-jump", big_burn.block, None),
        ]
    );
    // From the low of the window, which holds the blocks before the start (1000).
    assert_eq!(firings[0].detail["from"], ether(1000).to_string());
    assert_eq!(firings[0].detail["to"], ether(1505).to_string());
    assert_eq!(firings[1].detail["from"], ether(1505).to_string());
    assert_eq!(firings[1].detail["to"], ether(405).to_string());
}

// ---------------------------------------------------------------------------------------
// `gas_price`

#[test]
fn gas_price_fires_above_the_factor_over_the_rolling_median() {
    let Some(node) = anvil_or_skip("gas_price_fires_above_the_factor_over_the_rolling_median")
    else {
        return;
    };
    let [owner, sender, bystander] = [node.accounts()[0], node.accounts()[1], node.accounts()[2]];
    let (vault, _) = deploy(&node, owner, "Vault", &[]);
    let start = next_block(&node);
    let text = format!(
        r#"
{header}
[[monitors.contracts]]
name = "Vault"
address = "{vault}"

[[monitors.rules]]
name = "priority-bid"
kind = "gas_price"
contract = "Vault"
factor = 3
blocks = 5
level = "medium"
"#,
        header = header(&node, start, 0),
    );
    let mut follower = follow(&text);

    // Legacy transactions with an explicit price, so that the price paid is exactly it.
    let ping = devnet::hex(&calldata("ping(uint256)", &[num(U256::from(1))]));
    let priced = |to: Address, price: U256| {
        let mined = send(
            &node,
            json!({"from": sender, "to": to, "data": ping, "gas": "0x20000", "gasPrice": price}),
        );
        assert!(mined.success);
        mined
    };
    for _ in 0..4 {
        priced(vault, gwei(2));
    }
    priced(vault, gwei(5)); // twin: 2.5 × the median
    let bid = priced(vault, gwei(10));
    // twin: a high price to a contract the rule does not watch
    send(
        &node,
        json!({"from": sender, "to": bystander, "gas": "0x5208", "gasPrice": gwei(40)}),
    );

    let firings = follower.catch_up();
    assert_eq!(
        summary(&firings),
        vec![("priority-bid", bid.block, Some(bid.hash))]
    );
    assert_eq!(firings[0].detail["gas_price"], gwei(10).to_string());
    assert_eq!(firings[0].detail["median"], gwei(2).to_string());
    assert_eq!(firings[0].detail["caller"], checksum(sender));
}

// ---------------------------------------------------------------------------------------
// `failed_share`

#[test]
fn failed_share_fires_when_most_transactions_to_a_contract_revert() {
    let Some(node) =
        anvil_or_skip("failed_share_fires_when_most_transactions_to_a_contract_revert")
    else {
        return;
    };
    let [owner, sender] = [node.accounts()[0], node.accounts()[1]];
    let (healthy, _) = deploy(&node, owner, "Vault", &[]);
    let (failing, _) = deploy(&node, owner, "Vault", &[]);
    let start = next_block(&node);
    let text = format!(
        r#"
{header}
[[monitors.contracts]]
name = "Healthy"
address = "{healthy}"

[[monitors.contracts]]
name = "Failing"
address = "{failing}"

[[monitors.rules]]
name = "mostly-failing"
kind = "failed_share"
share = 0.5
blocks = 10
min_count = 4
level = "medium"
"#,
        header = header(&node, start, 0),
    );
    let mut follower = follow(&text);

    let ok = calldata("ping(uint256)", &[num(U256::from(1))]);
    let zero = calldata("ping(uint256)", &[num(U256::ZERO)]);
    // twin: one failure in five
    failing_call(&node, sender, healthy, &zero);
    for _ in 0..4 {
        call(&node, sender, healthy, &ok, U256::ZERO);
    }
    // Three failures in four: fires when the fourth (the minimum count) comes.
    call(&node, sender, failing, &ok, U256::ZERO);
    failing_call(&node, sender, failing, &zero);
    failing_call(&node, sender, failing, &zero);
    let last = failing_call(&node, sender, failing, &zero);

    let firings = follower.catch_up();
    assert_eq!(
        summary(&firings),
        vec![("mostly-failing", last.block, None)]
    );
    assert_eq!(firings[0].detail["failed"], 3);
    assert_eq!(firings[0].detail["transactions"], 4);
    assert_eq!(firings[0].dedup_key, checksum(failing));
}

// ---------------------------------------------------------------------------------------
// `flash_loan`

#[test]
fn flash_loan_fires_on_a_large_loan_repaid_in_the_same_transaction() {
    let Some(node) =
        anvil_or_skip("flash_loan_fires_on_a_large_loan_repaid_in_the_same_transaction")
    else {
        return;
    };
    let [owner, attacker, recipient] = [node.accounts()[0], node.accounts()[1], node.accounts()[2]];
    let (token, lenders, borrower) = lending(&node, owner, 1, ether(1_000_000));
    let lender = lenders[0];
    let start = next_block(&node);
    let text = format!(
        r#"
{header}
[[monitors.contracts]]
name = "Lender"
address = "{lender}"

[[monitors.rules]]
name = "flash-loan"
kind = "flash_loan"
contract = "Lender"
min_amount = "1e23"
level = "high"
"#,
        header = header(&node, start, 0),
    );
    let mut follower = follow(&text);

    let borrow = |amount: U256| calldata("borrow(address,uint256)", &[addr(lender), num(amount)]);
    let loan = call(
        &node,
        attacker,
        borrower,
        &borrow(ether(500_000)),
        U256::ZERO,
    );
    call(
        &node,
        attacker,
        borrower,
        &borrow(ether(10_000)),
        U256::ZERO,
    ); // twin: below 1e23
    // twin: a large transfer out, repaid in another transaction
    call(
        &node,
        owner,
        lender,
        &calldata(
            "payOut(address,uint256)",
            &[addr(recipient), num(ether(200_000))],
        ),
        U256::ZERO,
    );
    call(
        &node,
        recipient,
        token,
        &calldata(
            "transfer(address,uint256)",
            &[addr(lender), num(ether(200_000))],
        ),
        U256::ZERO,
    );

    let firings = follower.catch_up();
    assert_eq!(
        summary(&firings),
        vec![("flash-loan", loan.block, Some(loan.hash))]
    );
    let detail = &firings[0].detail;
    assert_eq!(detail["contract"], "Lender");
    assert_eq!(detail["token"], checksum(token));
    assert_eq!(detail["amount"], ether(500_000).to_string());
    assert_eq!(detail["repaid"], ether(500_000).to_string());
    assert_eq!(detail["borrower"], checksum(attacker));
    // The log of the loan's transfer out: the first log of the transaction.
    assert_eq!(firings[0].log_index, 0);
}

// ---------------------------------------------------------------------------------------
// `call_burst`

#[test]
fn call_burst_fires_on_many_calls_from_one_sender_in_one_block() {
    let Some(node) = anvil_or_skip("call_burst_fires_on_many_calls_from_one_sender_in_one_block")
    else {
        return;
    };
    let [owner, spammer, other] = [node.accounts()[0], node.accounts()[1], node.accounts()[2]];
    let (vault, _) = deploy(&node, owner, "Vault", &[]);
    let start = next_block(&node);
    let text = format!(
        r#"
{header}
[[monitors.contracts]]
name = "Vault"
address = "{vault}"
signatures = ["function ping(uint256 n)", "function deposit()"]

[[monitors.rules]]
name = "ping-burst"
kind = "call_burst"
contract = "Vault"
function = "ping"
min_count = 3
level = "medium"
"#,
        header = header(&node, start, 0),
    );
    let mut follower = follow(&text);

    let ping = devnet::hex(&calldata("ping(uint256)", &[num(U256::from(1))]));
    let deposit = devnet::hex(&calldata("deposit()", &[]));
    let pending = |from: Address, data: &str| {
        submit(
            &node,
            json!({"from": from, "to": vault, "data": data, "gas": "0x20000"}),
        )
    };
    // One block: three pings from the spammer, two from another sender (twin: N−1).
    set_automine(&node, false);
    let burst: Vec<B256> = (0..3).map(|_| pending(spammer, &ping)).collect();
    pending(other, &ping);
    pending(other, &ping);
    let burst_block = mine(&node);
    // twin: two pings and a deposit from the spammer in one block
    pending(spammer, &ping);
    pending(spammer, &ping);
    pending(spammer, &deposit);
    mine(&node);
    set_automine(&node, true);
    // twin: three pings from the spammer, one block each
    for _ in 0..3 {
        receipt(&node, pending(spammer, &ping));
    }
    let burst: Vec<Mined> = burst.into_iter().map(|hash| receipt(&node, hash)).collect();
    assert!(burst.iter().all(|m| m.block == burst_block && m.success));

    let firings = follower.catch_up();
    assert_eq!(
        summary(&firings),
        vec![("ping-burst", burst_block, Some(burst[2].hash))]
    );
    let detail = &firings[0].detail;
    assert_eq!(detail["calls"], 3);
    assert_eq!(detail["sender"], checksum(spammer));
    assert_eq!(detail["function"], "ping(uint256)");
    assert_eq!(detail["first_tx"], burst[0].hash.to_string());
    assert_eq!(
        firings[0].dedup_key,
        format!("{}:{}", checksum(vault), checksum(spammer))
    );
}

// ---------------------------------------------------------------------------------------
// `deployment`

#[test]
fn deployment_fires_for_a_watched_deployer_only() {
    let Some(node) = anvil_or_skip("deployment_fires_for_a_watched_deployer_only") else {
        return;
    };
    let [watched, other] = [node.accounts()[1], node.accounts()[2]];
    let start = next_block(&node);
    let text = format!(
        r#"
{header}
[[monitors.rules]]
name = "new-contract"
kind = "deployment"
deployers = ["{watched}"]
level = "low"
"#,
        header = header(&node, start, 0),
    );
    let mut follower = follow(&text);

    let (created, deployment) = deploy(&node, watched, "Doomed", &[]);
    deploy(&node, other, "Doomed", &[]); // twin: another deployer
    // twin: the watched deployer calls a contract instead of creating one
    call(
        &node,
        watched,
        created,
        &calldata("poke()", &[]),
        U256::ZERO,
    );

    // A creation by the watched deployer that reverts (init code `revert(0, 0)`), mined
    // with status 0: Anvil's receipt still names the address it would have had.
    let failed = send(
        &node,
        json!({"from": watched, "data": "0x60006000fd", "gas": "0x30000"}),
    );
    assert!(!failed.success);
    assert!(failed.created.is_some());
    assert!(node.code(failed.created.unwrap()).unwrap().is_empty());

    let firings = follower.catch_up();
    assert_eq!(
        summary(&firings),
        vec![
            ("new-contract", deployment.block, Some(deployment.hash)),
            ("new-contract", failed.block, Some(failed.hash)),
        ]
    );
    let detail = &firings[0].detail;
    assert_eq!(detail["deployer"], checksum(watched));
    assert_eq!(detail["created"], checksum(created));
    assert_eq!(detail["success"], true);
    assert_eq!(firings[0].dedup_key, checksum(watched));
    // The failed creation made no contract, and the alert says so.
    let detail = &firings[1].detail;
    assert_eq!(detail["success"], false);
    assert_eq!(detail["created"], Json::Null, "{detail}");
    assert!(
        detail["summary"]
            .as_str()
            .unwrap()
            .contains("no contract (the creation failed)"),
        "{detail}"
    );
}

// ---------------------------------------------------------------------------------------
// Internal calls and creations (`internal = true`, from the node's traces)

#[test]
fn internal_calls_fire_only_for_rules_that_read_traces() {
    let Some(node) = anvil_or_skip("internal_calls_fire_only_for_rules_that_read_traces") else {
        return;
    };
    let [owner, attacker] = [node.accounts()[0], node.accounts()[1]];
    let (_, lenders, borrower) = lending(&node, owner, 2, ether(1000));
    let (lender, other_lender) = (lenders[0], lenders[1]);
    let start = next_block(&node);
    let text = format!(
        r#"
{header}
[[monitors.contracts]]
name = "Lender"
address = "{lender}"
abi_json = '{abi}'

[[monitors.rules]]
name = "large-loan"
kind = "call"
function = "flashLoan"
when = "amount >= 100 ether"
internal = true
level = "high"

[[monitors.rules]]
name = "large-loan-top-level"
kind = "call"
function = "flashLoan"
when = "amount >= 100 ether"
level = "high"
"#,
        header = header(&node, start, 0),
        abi = abi_json("Lender"),
    );
    let mut follower = follow(&text);

    let borrow = |pool: Address, amount: U256| {
        calldata("borrow(address,uint256)", &[addr(pool), num(amount)])
    };
    // The watched function called by a contract: only the rule on internal calls sees it.
    let through = call(
        &node,
        attacker,
        borrower,
        &borrow(lender, ether(500)),
        U256::ZERO,
    );
    // twins: the same through the unwatched lender, and a small loan from the watched one.
    call(
        &node,
        attacker,
        borrower,
        &borrow(other_lender, ether(500)),
        U256::ZERO,
    );
    call(
        &node,
        attacker,
        borrower,
        &borrow(lender, ether(1)),
        U256::ZERO,
    );
    // Called by the transaction itself: both rules see it.
    let direct = call(
        &node,
        attacker,
        lender,
        &calldata(
            "flashLoan(uint256,address)",
            &[num(ether(200)), addr(borrower)],
        ),
        U256::ZERO,
    );

    let firings = follower.catch_up();
    assert_eq!(
        summary(&firings),
        vec![
            ("large-loan", through.block, Some(through.hash)),
            ("large-loan", direct.block, Some(direct.hash)),
            ("large-loan-top-level", direct.block, Some(direct.hash)),
        ]
    );
    let detail = &firings[0].detail;
    assert_eq!(detail["arguments"]["amount"], ether(500).to_string());
    assert_eq!(detail["internal"]["from"], checksum(borrower));
    assert_eq!(detail["internal"]["kind"], "call");
    assert_eq!(detail["internal"]["depth"], 1);
    // The caller of an internal call is the contract that made it; the transaction's
    // sender is still the one the alert names.
    assert_eq!(detail["caller"], checksum(attacker));
    assert!(
        detail["summary"]
            .as_str()
            .unwrap()
            .contains(&format!("by {} through", checksum(borrower))),
        "{detail}"
    );
    assert_eq!(firings[1].detail.get("internal"), None);
}

/// Init code of a factory: its code creates an empty contract on every call
/// (`CREATE(0, 0, 0)`).
fn factory_init_code() -> Vec<u8> {
    let runtime = [0x60, 0x00, 0x60, 0x00, 0x60, 0x00, 0xf0, 0x50, 0x00];
    let mut code = vec![0x68]; // PUSH9 runtime
    code.extend_from_slice(&runtime);
    // MSTORE(0, runtime); RETURN(23, 9)
    code.extend_from_slice(&[0x60, 0x00, 0x52, 0x60, 0x09, 0x60, 0x17, 0xf3]);
    code
}

#[test]
fn internal_creations_fire_for_a_watched_factory() {
    let Some(node) = anvil_or_skip("internal_creations_fire_for_a_watched_factory") else {
        return;
    };
    let [owner, user] = [node.accounts()[0], node.accounts()[1]];
    let factory = |from: Address| {
        let mined = send(
            &node,
            json!({"from": from, "data": devnet::hex(&factory_init_code())}),
        );
        assert!(mined.success);
        mined.created.unwrap()
    };
    let (watched, other) = (factory(owner), factory(owner));
    let start = next_block(&node);
    let text = format!(
        r#"
{header}
[[monitors.rules]]
name = "factory-created"
kind = "deployment"
deployers = ["{watched}"]
internal = true
level = "low"

[[monitors.rules]]
name = "factory-created-top-level"
kind = "deployment"
deployers = ["{watched}"]
level = "low"
"#,
        header = header(&node, start, 0),
    );
    let mut follower = follow(&text);
    let made = call(&node, user, watched, &[], U256::ZERO);
    call(&node, user, other, &[], U256::ZERO); // twin: a factory not listed
    let firings = follower.catch_up();
    assert_eq!(
        summary(&firings),
        vec![("factory-created", made.block, Some(made.hash))]
    );
    let detail = &firings[0].detail;
    assert_eq!(detail["deployer"], checksum(watched));
    assert_eq!(detail["success"], true);
    assert_eq!(detail["depth"], 1);
    let created: Address = detail["created"].as_str().unwrap().parse().unwrap();
    assert!(node.code(created).unwrap().is_empty());
    assert_eq!(firings[0].dedup_key, checksum(watched));
}

/// A node that knows one empty block and refuses `trace_block`, as nodes without the
/// `trace` namespace do (`-32601`). Answers JSON-RPC over HTTP until the test ends.
fn node_without_traces() -> String {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let answer = |call: &Json| -> Json {
        let id = call["id"].clone();
        let block = json!({
            "number": "0x1", "hash": format!("0x{}", "11".repeat(32)),
            "parentHash": format!("0x{}", "22".repeat(32)), "timestamp": "0x1",
            "transactions": []
        });
        match call["method"].as_str().unwrap_or("") {
            "eth_chainId" => json!({"jsonrpc": "2.0", "id": id, "result": "0x7a69"}),
            "eth_blockNumber" => json!({"jsonrpc": "2.0", "id": id, "result": "0x1"}),
            "eth_getBlockByNumber" => json!({"jsonrpc": "2.0", "id": id, "result": block}),
            "eth_getBlockReceipts" => json!({"jsonrpc": "2.0", "id": id, "result": []}),
            method => json!({"jsonrpc": "2.0", "id": id,
                "error": {"code": -32601, "message": format!("the method {method} does not exist/is not available")}}),
        }
    };
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            let mut reader = BufReader::new(stream);
            loop {
                let mut length = None;
                let mut line = String::new();
                loop {
                    line.clear();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        break;
                    }
                    if line == "\r\n" {
                        break;
                    }
                    if let Some((name, value)) = line.split_once(':')
                        && name.eq_ignore_ascii_case("content-length")
                    {
                        length = value.trim().parse::<usize>().ok();
                    }
                }
                let Some(length) = length else { break };
                let mut body = vec![0u8; length];
                if reader.read_exact(&mut body).is_err() {
                    break;
                }
                let request: Json = serde_json::from_slice(&body).unwrap();
                let response = match &request {
                    Json::Array(calls) => Json::Array(calls.iter().map(answer).collect()),
                    call => answer(call),
                }
                .to_string();
                let head = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
                    response.len()
                );
                let stream = reader.get_mut();
                if stream.write_all(head.as_bytes()).is_err()
                    || stream.write_all(response.as_bytes()).is_err()
                {
                    break;
                }
            }
        }
    });
    url
}

#[test]
fn a_node_without_traces_is_an_error_for_rules_on_internal_calls() {
    let url = node_without_traces();
    let text = format!(
        r#"
[[monitors]]
name = "watch"
chain_id = 31337
rpc = ["{url}"]
confirmations = 0
start_block = 1

[[monitors.contracts]]
name = "Vault"
address = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
signatures = ["function withdraw(uint256 amount)"]

[[monitors.rules]]
name = "withdrawal"
kind = "call"
function = "withdraw"
internal = true
level = "high"
"#
    );
    let mut monitors = monitor::load_monitors(&text, None).unwrap();
    let monitor = monitors.remove(0);
    let client = client_for(&monitor);
    let engine = Engine::new(monitor.clone());
    let checkpoint = engine.initial_checkpoint(&client).unwrap();
    match engine.step(&client, &checkpoint) {
        Err(error @ EngineError::Unsupported { block: 1, .. }) => {
            let message = error.to_string();
            assert!(message.contains("internal = true"), "{message}");
            assert!(message.contains("trace_block"), "{message}");
            assert!(message.contains("does not exist"), "{message}");
        }
        other => panic!("not an unsupported-method error: {other:?}"),
    }
    // The same monitor without `internal` reads the block from the same node.
    let mut top_level = monitor;
    for rule in &mut top_level.rules {
        if let monitor::rules::Kind::Call(call) = &mut rule.kind {
            call.internal = false;
        }
    }
    let engine = Engine::new(top_level);
    match engine.step(&client, &checkpoint).unwrap() {
        Step::Advanced(progress) => assert_eq!(progress.checkpoint.next_block, 2),
        other => panic!("{other:?}"),
    }
}

#[test]
fn internal_is_refused_on_rules_that_cannot_use_it() {
    let text = r#"
[[monitors]]
name = "watch"
chain_id = 1
rpc = ["http://127.0.0.1:1"]

[[monitors.contracts]]
name = "Vault"
address = "0x5FbDB2315678afecb367f032d93F642f64180aa3"

[[monitors.rules]]
name = "drain"
kind = "balance_drop"
percent = 50
internal = true
level = "high"
"#;
    let (place, message) = load_error(text);
    assert!(place.ends_with(".internal"), "{place}");
    assert!(message.contains("takes no `internal`"), "{message}");
}

// ---------------------------------------------------------------------------------------
// `code_change`

/// The monitor file of a `code_change` rule on one contract.
fn code_change_monitor(node: &Anvil, start: u64, watched: Address) -> String {
    format!(
        r#"
{header}
[[monitors.contracts]]
name = "Doomed"
address = "{watched}"

[[monitors.rules]]
name = "code-changed"
kind = "code_change"
level = "critical"
"#,
        header = header(node, start, 0),
    )
}

fn code_hash(code: &[u8]) -> String {
    keccak256(code).to_string()
}

#[test]
fn code_change_fires_when_the_node_replaces_the_code() {
    let Some(node) = anvil_or_skip("code_change_fires_when_the_node_replaces_the_code") else {
        return;
    };
    let owner = node.accounts()[0];
    let (doomed, _) = deploy(&node, owner, "Doomed", &[]);
    let start = next_block(&node);
    let mut follower = follow(&code_change_monitor(&node, start, doomed));

    // twin: a call that changes storage, not code
    let poke = call(&node, owner, doomed, &calldata("poke()", &[]), U256::ZERO);
    assert!(follower.catch_up().is_empty());
    assert_eq!(follower.checkpoint.next_block, poke.block + 1);
    // Anvil writes the new code into the state of its latest block rather than into a new
    // one: the engine has already read that block, so the change shows in the next block.
    let replacement = artifact("ImplementationV1").deployed_bytecode;
    node.set_code(doomed, &replacement).unwrap();
    let changed = mine(&node);

    let firings = follower.catch_up();
    assert_eq!(summary(&firings), vec![("code-changed", changed, None)]);
    let detail = &firings[0].detail;
    assert_eq!(
        detail["from"],
        code_hash(&artifact("Doomed").deployed_bytecode)
    );
    assert_eq!(detail["to"], code_hash(&replacement));
    assert_eq!(detail["removed"], false);
    // Once: the new code stays.
    mine(&node);
    assert!(follower.catch_up().is_empty());
}

#[test]
fn code_change_fires_on_a_self_destruct_before_cancun() {
    let Some(node) = anvil_with_or_skip(
        "code_change_fires_on_a_self_destruct_before_cancun",
        &["--hardfork", "shanghai"],
    ) else {
        return;
    };
    let owner = node.accounts()[0];
    let (doomed, _) = deploy(&node, owner, "Doomed", &[]);
    let start = next_block(&node);
    let mut follower = follow(&code_change_monitor(&node, start, doomed));

    call(&node, owner, doomed, &calldata("poke()", &[]), U256::ZERO); // twin
    let destroy = call(
        &node,
        owner,
        doomed,
        &calldata("destroy()", &[]),
        U256::ZERO,
    );
    assert!(node.code(doomed).unwrap().is_empty());
    // After the self-destruct: a call to an empty account changes nothing.
    call(&node, owner, doomed, &calldata("poke()", &[]), U256::ZERO);

    let firings = follower.catch_up();
    assert_eq!(
        summary(&firings),
        vec![("code-changed", destroy.block, None)]
    );
    let detail = &firings[0].detail;
    assert_eq!(
        detail["from"],
        code_hash(&artifact("Doomed").deployed_bytecode)
    );
    assert_eq!(detail["to"], code_hash(&[]));
    assert_eq!(detail["removed"], true);
    assert!(
        detail["summary"]
            .as_str()
            .unwrap()
            .contains("self-destruct"),
        "{detail}"
    );
}

// ---------------------------------------------------------------------------------------
// `slot_change`

/// `bytes32(uint256(keccak256("eip1967.proxy.implementation")) - 1)`.
const IMPLEMENTATION_SLOT: &str =
    "0x360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc";

#[test]
fn slot_change_fires_on_an_upgrade_with_or_without_an_event() {
    let Some(node) = anvil_or_skip("slot_change_fires_on_an_upgrade_with_or_without_an_event")
    else {
        return;
    };
    let [admin, user] = [node.accounts()[0], node.accounts()[1]];
    let (v1, _) = deploy(&node, admin, "ImplementationV1", &[]);
    let (v2, _) = deploy(&node, admin, "ImplementationV2", &[]);
    let (proxy, _) = deploy(&node, admin, "Proxy", &[addr(v1)]);
    let start = next_block(&node);
    let text = format!(
        r#"
{header}
[[monitors.contracts]]
name = "Proxy"
address = "{proxy}"

[[monitors.rules]]
name = "implementation-changed"
kind = "slot_change"
contract = "Proxy"
slot = "{IMPLEMENTATION_SLOT}"
level = "critical"

[[monitors.rules]]
name = "upgraded"
kind = "event"
contract = "Proxy"
event = "Upgraded"
level = "high"
"#,
        header = header(&node, start, 0),
    );
    let mut follower = follow(&text);

    // twins: a write to another slot, and a call delegated to the implementation
    call(
        &node,
        user,
        proxy,
        &calldata("setNote(uint256)", &[num(U256::from(7))]),
        U256::ZERO,
    );
    call(&node, user, proxy, &calldata("version()", &[]), U256::ZERO);
    let upgrade = call(
        &node,
        admin,
        proxy,
        &calldata("upgradeTo(address)", &[addr(v2)]),
        U256::ZERO,
    );
    let firings = follower.catch_up();
    assert_eq!(
        summary(&firings),
        vec![
            ("implementation-changed", upgrade.block, None),
            ("upgraded", upgrade.block, Some(upgrade.hash)),
        ]
    );
    let detail = &firings[0].detail;
    assert_eq!(detail["slot"], IMPLEMENTATION_SLOT);
    assert_eq!(detail["from"], v1.into_word().to_string());
    assert_eq!(detail["to"], v2.into_word().to_string());
    assert_eq!(
        firings[1].detail["fields"],
        json!({"implementation": checksum(v2)})
    );

    // An upgrade that emits no event (the slot written directly): only the slot rule sees
    // it. As with anvil_setCode, the write lands in the latest block, already read.
    let slot: B256 = IMPLEMENTATION_SLOT.parse().unwrap();
    node.set_storage(proxy, slot, v1.into_word()).unwrap();
    let silent_upgrade = mine(&node);
    let firings = follower.catch_up();
    assert_eq!(
        summary(&firings),
        vec![("implementation-changed", silent_upgrade, None)]
    );
    assert_eq!(firings[0].detail["to"], v1.into_word().to_string());
}

// ---------------------------------------------------------------------------------------
// Bad input

/// The error of a monitor file that must not load.
fn load_error(text: &str) -> (String, String) {
    match monitor::load_monitors(text, None) {
        Ok(_) => panic!("the monitor file loads:\n{text}"),
        Err(LoadError::Invalid { place, message }) => (place, message),
        Err(other) => panic!("not a rule error: {other}"),
    }
}

#[test]
fn a_condition_that_does_not_type_check_is_reported_with_its_rule_and_position() {
    // Loading needs no node: the addresses need not hold anything.
    let text = r#"
[[monitors]]
name = "watch"
chain_id = 31337
rpc = ["http://127.0.0.1:8545"]

[[monitors.contracts]]
name = "Vault"
address = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
signatures = ["function withdraw(uint256 amount)"]

[[monitors.rules]]
name = "fine"
kind = "call"
function = "withdraw"
when = "amount > 1 ether"
level = "high"

[[monitors.rules]]
name = "compares-apples"
kind = "call"
function = "withdraw"
when = """amount > 1 ether
  and caller == 5"""
level = "high"
"#;
    let (place, message) = load_error(text);
    assert_eq!(place, "monitors[watch].rules[compares-apples].when");
    // Line 2, column 7 of the condition: the `==` between an address and a number.
    assert!(message.starts_with("2:"), "{message}");
    assert!(message.contains("address"), "{message}");
    let unknown = text.replace("caller == 5", "callr == 5");
    let (place, message) = load_error(&unknown);
    assert_eq!(place, "monitors[watch].rules[compares-apples].when");
    assert!(message.starts_with("2:7: "), "{message}");
    assert!(message.contains("did you mean `caller`"), "{message}");
}

#[test]
fn a_rule_the_abi_does_not_define_is_reported() {
    let vault_abi = abi_json("Vault");
    let monitor = |rule: &str| {
        format!(
            r#"
[[monitors]]
name = "watch"
chain_id = 31337
rpc = ["http://127.0.0.1:8545"]

[[monitors.contracts]]
name = "Vault"
address = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
abi_json = '''{vault_abi}'''

[[monitors.rules]]
name = "r"
level = "high"
contract = "Vault"
{rule}
"#
        )
    };
    let (place, message) = load_error(&monitor("kind = \"call\"\nfunction = \"drain\""));
    assert_eq!(place, "monitors[watch].rules[r].function");
    assert!(message.contains("no function `drain`"), "{message}");
    let (place, message) = load_error(&monitor("kind = \"event\"\nevent = \"Drained\""));
    assert_eq!(place, "monitors[watch].rules[r].event");
    assert!(message.contains("no event `Drained`"), "{message}");
    // A condition on a parameter the ABI's function does not have.
    let (place, message) = load_error(&monitor(
        "kind = \"call\"\nfunction = \"withdraw\"\nwhen = \"to_address != caller\"",
    ));
    assert_eq!(place, "monitors[watch].rules[r].when");
    assert!(message.contains("to_address"), "{message}");

    // The ABI's Transfer has `from` and `to` indexed; a signature that has them in the data
    // has the same topic but would decode no log of the contract: the rule would never fire.
    let token = format!(
        r#"
[[monitors]]
name = "watch"
chain_id = 31337
rpc = ["http://127.0.0.1:8545"]

[[monitors.contracts]]
name = "Token"
address = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
abi_json = '''{}'''

[[monitors.rules]]
name = "big-transfer"
level = "high"
kind = "event"
event = "Transfer(address from, address to, uint256 value)"
when = "value > 1e24"
"#,
        abi_json("Token")
    );
    let (place, message) = load_error(&token);
    assert_eq!(place, "monitors[watch].rules[big-transfer].event");
    assert!(message.contains("indexed"), "{message}");
    assert!(
        message.contains("event Transfer(address indexed from, address indexed to, uint256 value)"),
        "{message}"
    );
    // The same signature with the ABI's indexed parameters loads.
    let fixed = token.replace(
        "Transfer(address from, address to, uint256 value)",
        "Transfer(address indexed from, address indexed to, uint256 value)",
    );
    assert!(monitor::load_monitors(&fixed, None).is_ok());
    // So does the signature with types only: it is the ABI's event.
    let bare = token.replace(
        "Transfer(address from, address to, uint256 value)",
        "Transfer(address,address,uint256)",
    );
    assert!(monitor::load_monitors(&bare, None).is_ok());
}

#[test]
fn wrong_chain_and_dead_endpoints_fail_their_monitor_only() {
    let Some(node) = anvil_or_skip("wrong_chain_and_dead_endpoints_fail_their_monitor_only") else {
        return;
    };
    let [owner, heir] = [node.accounts()[0], node.accounts()[1]];
    let (vault, _) = deploy(&node, owner, "Vault", &[]);
    let start = next_block(&node);
    // A port nothing listens on: bound, then released.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let monitor = |name: &str, chain_id: u64, url: &str| {
        format!(
            r#"
[[monitors]]
name = "{name}"
chain_id = {chain_id}
rpc = ["{url}"]
confirmations = 0
start_block = {start}

[[monitors.contracts]]
name = "Vault"
address = "{vault}"

[[monitors.rules]]
name = "owner-changed"
kind = "event"
event = "OwnershipTransferred"
level = "critical"
"#
        )
    };
    let text = [
        monitor("mainnet-by-mistake", 1, node.url()),
        monitor("nobody-home", 31337, &format!("http://127.0.0.1:{closed}")),
        monitor("good", 31337, node.url()),
    ]
    .concat();
    let mut followers: Vec<Follower> = monitor::load_monitors(&text, None)
        .unwrap()
        .into_iter()
        .map(Follower::new)
        .collect();
    // Ownership goes to the heir and back: each round one handover for the good monitor.
    let handover = |from: Address, to: Address| {
        call(
            &node,
            from,
            vault,
            &calldata("transferOwnership(address)", &[addr(to)]),
            U256::ZERO,
        )
    };

    for round in 0..2 {
        let mined = if round == 0 {
            handover(owner, heir)
        } else {
            handover(heir, owner)
        };
        // The wrong chain is said as such, with both chain ids; nothing moves.
        let before = followers[0].checkpoint.clone();
        match followers[0].try_catch_up() {
            Err(EngineError::Chain(ChainError::WrongChain {
                expected, actual, ..
            })) => assert_eq!((expected, actual), (1, 31337)),
            other => panic!("round {round}: not a wrong-chain error: {other:?}"),
        }
        assert_eq!(followers[0].checkpoint, before);
        // A closed port is a transport error naming the endpoint.
        match followers[1].try_catch_up() {
            Err(EngineError::Chain(ChainError::Transport { endpoint, .. })) => {
                assert!(endpoint.contains(&closed.to_string()), "{endpoint}");
            }
            other => panic!("round {round}: not a transport error: {other:?}"),
        }
        assert_eq!(followers[1].checkpoint.next_block, start);
        // The good monitor, on the same thread, goes on.
        let firings = followers[2].catch_up();
        assert_eq!(
            summary(&firings),
            vec![("owner-changed", mined.block, Some(mined.hash))]
        );
    }
}
