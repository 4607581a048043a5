//! Catch-up throughput of the monitor engine against a local Anvil node:
//!
//!     cargo run --release -p monitor --example catchup -- [--blocks 2000] [--txs 20] \
//!         [--unwatched PERCENT] [--internal] [--debug-trace]
//!
//! (or `bench/monitor-catchup.sh`). First generates a chain: the fixtures of
//! `tests/fixtures/Monitoring.sol` deployed, then, with automine off, BLOCKS blocks of TXS
//! transactions each (sent as one JSON-RPC batch, then `evm_mine`): deposits, withdrawals,
//! pings (some reverting), token transfers and mints, flash loans, proxy writes, plain
//! transfers, with now and then a drain, a big mint, a burst, an upgrade, a deployment or
//! a priority bid; with `--unwatched P`, P% of the ordinary transactions are transfers
//! between accounts that no rule looks at (most of a real block). Then times one monitor of 20 rules from block 1 to the head with
//! confirmations 0 and the default batch, and prints blocks/s, transactions/s, firings
//! and RPC requests, with where the time went (RPC, block decoding, evaluation); then the
//! same with every transaction read in full, which must give the same firings.
//! With `--internal`, the call rules are on internal calls too (`internal = true`: the
//! blocks' traces are read). The profile at the end times each kind of call alone,
//! traces included (`debug_traceBlockByNumber` only with `--debug-trace`: it takes
//! minutes). Nothing else is asserted: these are figures.
#![allow(clippy::disallowed_methods, clippy::print_stdout)]

use std::cell::Cell;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::time::{Duration, Instant};

use alloy_primitives::{Address, B256, U256, keccak256};
use chain::{ClientConfig, RpcClient};
use devnet::Anvil;
use monitor::block::{Block, parse_block};
use monitor::engine::{Checkpoint, Engine, EngineError, Needs, Source, Step, read_calls};
use monitor::eval::{Read, ReadValues};
use serde_json::{Value as Json, json};

const FIXTURES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/Monitoring.json"
);
const IMPLEMENTATION_SLOT: &str =
    "0x360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc";

fn fail(message: impl std::fmt::Display) -> ! {
    eprintln!("catchup: {message}");
    std::process::exit(1);
}

fn artifact(name: &str) -> devnet::Artifact {
    devnet::load_artifact(Path::new(FIXTURES), name).unwrap_or_else(|e| fail(e))
}

fn ether_milli(n: u64) -> U256 {
    U256::from(n) * U256::from(1_000_000_000_000_000u64)
}

fn tokens(n: u64) -> U256 {
    U256::from(n) * U256::from(10u64).pow(U256::from(18))
}

fn gwei(n: u64) -> U256 {
    U256::from(n) * U256::from(1_000_000_000u64)
}

fn calldata(signature: &str, args: &[B256]) -> String {
    let mut data = keccak256(signature.as_bytes())[..4].to_vec();
    for arg in args {
        data.extend_from_slice(arg.as_slice());
    }
    devnet::hex(&data)
}

fn addr(address: Address) -> B256 {
    address.into_word()
}

fn num(value: U256) -> B256 {
    B256::from(value)
}

/// xorshift64*: the same chain on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn client(url: &str) -> RpcClient {
    let mut config = ClientConfig::new([url]);
    config.expected_chain_id = Some(31337);
    config.budget = u64::MAX;
    config.timeout = Duration::from_secs(120);
    config.max_response_bytes = 256 * 1024 * 1024;
    RpcClient::new(config).unwrap_or_else(|e| fail(e))
}

/// Deploys with automine on; the address.
fn deploy(node: &Anvil, from: Address, name: &str, args: &[B256]) -> Address {
    let mut code = artifact(name).bytecode;
    for arg in args {
        code.extend_from_slice(arg.as_slice());
    }
    node.deploy(from, &code)
        .unwrap_or_else(|e| fail(format!("deploy {name}: {e}")))
}

fn send(node: &Anvil, from: Address, to: Address, data: &str, value: U256) {
    let bytes = devnet::parse_hex(data).unwrap_or_else(|e| fail(e));
    node.send(from, to, &bytes, value)
        .unwrap_or_else(|e| fail(format!("setup call: {e}")));
}

struct Contracts {
    vault: Address,
    token: Address,
    lender: Address,
    borrower: Address,
    proxy: Address,
    implementations: [Address; 2],
}

/// The chain's generator: accounts and their next nonces, the contracts, the RNG.
struct Generator<'a> {
    node: &'a Anvil,
    client: RpcClient,
    accounts: Vec<Address>,
    nonces: HashMap<Address, u64>,
    /// The gas price of each sender in the block being made.
    prices: HashMap<Address, U256>,
    contracts: Contracts,
    rng: Rng,
    vault_owner: Address,
    upgrades: u64,
    refused: u64,
    /// Percent of the ordinary transactions that no rule looks at: transfers of ether
    /// between accounts, as most of a real block is to a monitor.
    unwatched: u64,
}

impl Generator<'_> {
    fn account(&mut self) -> Address {
        // accounts[0] owns everything; the last one is the watched deployer.
        let n = self.accounts.len() as u64 - 2;
        self.accounts[1 + self.rng.below(n) as usize]
    }

    fn tx(&mut self, from: Address, to: Option<Address>, data: &str, value: U256) -> Json {
        // One price per sender and block: Anvil's miner takes the best-paying transactions
        // first and drops a later nonce that pays more than an earlier one.
        let price = match self.prices.get(&from) {
            Some(price) => *price,
            None => {
                let price = if self.rng.below(100) == 0 {
                    gwei(30) // a priority bid, now and then
                } else {
                    gwei(1 + self.rng.below(3))
                };
                self.prices.insert(from, price);
                price
            }
        };
        let nonce = self.nonces.entry(from).or_insert(0);
        let mut tx = json!({
            "from": from, "data": data, "value": value, "nonce": format!("0x{nonce:x}"),
            "gas": "0x60000", "gasPrice": price,
        });
        if let Some(to) = to {
            tx["to"] = json!(to);
        }
        *nonce += 1;
        tx
    }

    /// One ordinary transaction, chosen at random.
    fn ordinary(&mut self) -> Json {
        let c = &self.contracts;
        let (vault, token, lender, borrower, proxy) =
            (c.vault, c.token, c.lender, c.borrower, c.proxy);
        let from = self.account();
        if self.rng.below(100) < self.unwatched {
            let to = self.account();
            return self.tx(from, Some(to), "0x", ether_milli(1));
        }
        let roll = self.rng.below(100);
        match roll {
            0..20 => {
                let n = 1 + self.rng.below(2000);
                let data = calldata("ping(uint256)", &[num(U256::from(n))]);
                self.tx(from, Some(vault), &data, U256::ZERO)
            }
            20..25 => {
                let data = calldata("ping(uint256)", &[num(U256::ZERO)]);
                self.tx(from, Some(vault), &data, U256::ZERO)
            }
            25..40 => {
                let value = ether_milli(10 + self.rng.below(990));
                self.tx(from, Some(vault), &calldata("deposit()", &[]), value)
            }
            40..50 => {
                let amount = ether_milli(10 + self.rng.below(490));
                let data = calldata("withdraw(uint256)", &[num(amount)]);
                self.tx(from, Some(vault), &data, U256::ZERO)
            }
            50..70 => {
                let to = self.account();
                let amount = tokens(1 + self.rng.below(1000));
                let data = calldata("transfer(address,uint256)", &[addr(to), num(amount)]);
                self.tx(from, Some(token), &data, U256::ZERO)
            }
            70..75 => {
                let owner = self.accounts[0];
                let amount = tokens(1 + self.rng.below(100));
                let data = calldata("mint(address,uint256)", &[addr(from), num(amount)]);
                self.tx(owner, Some(token), &data, U256::ZERO)
            }
            75..80 => {
                let amount = tokens(100 + self.rng.below(5000));
                let data = calldata("borrow(address,uint256)", &[addr(lender), num(amount)]);
                self.tx(from, Some(borrower), &data, U256::ZERO)
            }
            80..90 => {
                let note = U256::from(self.rng.next());
                let data = calldata("setNote(uint256)", &[num(note)]);
                self.tx(from, Some(proxy), &data, U256::ZERO)
            }
            _ => {
                let to = self.account();
                let value = ether_milli(1 + self.rng.below(100));
                self.tx(from, Some(to), "0x", value)
            }
        }
    }

    /// The transactions of block `n` (1-based count of generated blocks): the scheduled
    /// ones (at most 19), then ordinary ones up to `per_block`.
    fn block(&mut self, n: u64, per_block: usize) -> Vec<Json> {
        let mut txs = Vec::with_capacity(per_block);
        self.prices.clear();
        let c = &self.contracts;
        let (vault, token, proxy) = (c.vault, c.token, c.proxy);
        let owner = self.accounts[0];
        if n.is_multiple_of(400) {
            // A drain: most of what the vault holds.
            let balance = self.node.balance(vault).unwrap_or_else(|e| fail(e));
            let amount = balance * U256::from(6) / U256::from(10);
            let thief = self.account();
            let data = calldata("withdraw(uint256)", &[num(amount)]);
            txs.push(self.tx(thief, Some(vault), &data, U256::ZERO));
        }
        if n.is_multiple_of(300) {
            let data = calldata(
                "mint(address,uint256)",
                &[addr(owner), num(tokens(50_000_000))],
            );
            txs.push(self.tx(owner, Some(token), &data, U256::ZERO));
        }
        if n.is_multiple_of(250) {
            // A burst of pings from one sender.
            let sender = self.account();
            for _ in 0..6 {
                let data = calldata("ping(uint256)", &[num(U256::from(7))]);
                txs.push(self.tx(sender, Some(vault), &data, U256::ZERO));
            }
        }
        if n.is_multiple_of(500) {
            // A storm of failing calls, and a deployment by the watched deployer.
            for _ in 0..8 {
                let from = self.account();
                let data = calldata("ping(uint256)", &[num(U256::ZERO)]);
                txs.push(self.tx(from, Some(vault), &data, U256::ZERO));
            }
            let deployer = *self.accounts.last().unwrap_or(&owner);
            let code = devnet::hex(&artifact("Doomed").bytecode);
            txs.push(self.tx(deployer, None, &code, U256::ZERO));
        }
        if n.is_multiple_of(700) {
            self.upgrades += 1;
            let next = self.contracts.implementations[(self.upgrades % 2) as usize];
            let data = calldata("upgradeTo(address)", &[addr(next)]);
            txs.push(self.tx(owner, Some(proxy), &data, U256::ZERO));
        }
        if n.is_multiple_of(600) {
            // Ownership to an account outside the allow list, then back.
            let heir = if self.vault_owner == owner {
                self.accounts[10]
            } else {
                owner
            };
            let data = calldata("transferOwnership(address)", &[addr(heir)]);
            let from = self.vault_owner;
            txs.push(self.tx(from, Some(vault), &data, U256::ZERO));
            self.vault_owner = heir;
        }
        while txs.len() < per_block {
            let tx = self.ordinary();
            txs.push(tx);
        }
        txs
    }

    /// Sends the transactions of one block as one JSON-RPC batch, then mines them.
    fn mine(&mut self, txs: &[Json]) {
        let calls: Vec<(&str, Json)> = txs
            .iter()
            .map(|tx| ("eth_sendTransaction", json!([tx])))
            .collect();
        let answers = self.client.batch(&calls).unwrap_or_else(|e| fail(e));
        for answer in answers {
            if let Err(error) = answer {
                self.refused += 1;
                if self.refused <= 3 {
                    eprintln!("catchup: a transaction was refused: {error}");
                }
            }
        }
        self.node
            .rpc("evm_mine", json!([]))
            .unwrap_or_else(|e| fail(e));
    }
}

/// The monitor file: 20 rules over the deployed contracts.
fn monitor_file(node: &Anvil, c: &Contracts, accounts: &[Address]) -> String {
    let abi = |name: &str| artifact(name).abi.to_string();
    let deployer = accounts.last().copied().unwrap_or_default();
    format!(
        r#"
[lists]
allow_list = ["{a0}", "{a1}", "{a2}", "{a3}"]

[[monitors]]
name = "catchup"
chain_id = 31337
rpc = ["{url}"]
confirmations = 0
start_block = 1

[[monitors.contracts]]
name = "Vault"
address = "{vault}"
abi_json = '''{vault_abi}'''

[[monitors.contracts]]
name = "Token"
address = "{token}"
abi_json = '''{token_abi}'''

[[monitors.contracts]]
name = "Lender"
address = "{lender}"
abi_json = '''{lender_abi}'''

[[monitors.contracts]]
name = "Proxy"
address = "{proxy}"
abi_json = '''{proxy_abi}'''

[[monitors.rules]]
name = "ownership-to-outsider"
kind = "call"
contract = "Vault"
function = "transferOwnership"
when = "newOwner not in allow_list"
level = "critical"

[[monitors.rules]]
name = "large-withdrawal"
kind = "call"
contract = "Vault"
function = "withdraw"
when = "caller not in allow_list and amount > 5 ether"
level = "high"

[[monitors.rules]]
name = "large-deposit"
kind = "call"
contract = "Vault"
function = "deposit"
when = "value > 990 * 1e15"
level = "low"

[[monitors.rules]]
name = "odd-ping"
kind = "call"
contract = "Vault"
function = "ping"
when = "n > 1995 and caller != 0x0000000000000000000000000000000000000001"
level = "low"

[[monitors.rules]]
name = "large-token-transfer-call"
kind = "call"
contract = "Token"
function = "transfer"
when = "amount >= 999e18 and to not in allow_list"
level = "medium"

[[monitors.rules]]
name = "mint-call"
kind = "call"
contract = "Token"
function = "mint"
when = "amount > 1e24"
level = "high"

[[monitors.rules]]
name = "owner-changed"
kind = "event"
event = "OwnershipTransferred"
level = "critical"

[[monitors.rules]]
name = "large-transfer"
kind = "event"
contract = "Token"
event = "Transfer"
when = "Transfer.value > 1e24"
level = "high"

[[monitors.rules]]
name = "withdrawn"
kind = "event"
contract = "Vault"
event = "Withdrawn"
when = "amount > 10 ether"
level = "medium"

[[monitors.rules]]
name = "upgraded"
kind = "event"
contract = "Proxy"
event = "Upgraded"
level = "critical"

[[monitors.rules]]
name = "vault-drained"
kind = "balance_drop"
contract = "Vault"
percent = 40
blocks = 10
level = "critical"

[[monitors.rules]]
name = "lender-drained"
kind = "balance_drop"
contract = "Lender"
asset = "{token}"
percent = 30
blocks = 20
level = "critical"

[[monitors.rules]]
name = "supply-jump"
kind = "supply_change"
contract = "Token"
percent = 5
blocks = 50
level = "high"

[[monitors.rules]]
name = "priority-bid"
kind = "gas_price"
contract = "Vault"
factor = 5
blocks = 20
level = "medium"

[[monitors.rules]]
name = "mostly-failing"
kind = "failed_share"
contract = "Vault"
share = 0.4
blocks = 5
min_count = 10
level = "medium"

[[monitors.rules]]
name = "flash-loan"
kind = "flash_loan"
contract = "Lender"
min_amount = "4e21"
level = "high"

[[monitors.rules]]
name = "ping-burst"
kind = "call_burst"
contract = "Vault"
function = "ping"
min_count = 5
level = "medium"

[[monitors.rules]]
name = "new-contract"
kind = "deployment"
deployers = ["{deployer}"]
level = "low"

[[monitors.rules]]
name = "implementation-changed"
kind = "slot_change"
contract = "Proxy"
slot = "{IMPLEMENTATION_SLOT}"
level = "critical"

[[monitors.rules]]
name = "vault-code-changed"
kind = "code_change"
contract = "Vault"
level = "critical"
"#,
        a0 = accounts[0],
        a1 = accounts[1],
        a2 = accounts[2],
        a3 = accounts[3],
        url = node.url(),
        vault = c.vault,
        token = c.token,
        lender = c.lender,
        proxy = c.proxy,
        vault_abi = abi("Vault"),
        token_abi = abi("Token"),
        lender_abi = abi("Lender"),
        proxy_abi = abi("Proxy"),
    )
}

/// The client, timing its reads.
struct Timed<'a> {
    inner: &'a RpcClient,
    head: Cell<Duration>,
    fetch: Cell<Duration>,
}

impl Source for Timed<'_> {
    fn head(&self) -> Result<u64, EngineError> {
        let start = Instant::now();
        let head = self.inner.head();
        self.head.set(self.head.get() + start.elapsed());
        head
    }

    fn fetch(
        &self,
        from: u64,
        to: u64,
        needs: &Needs,
    ) -> Result<Vec<(Block, ReadValues)>, EngineError> {
        let start = Instant::now();
        let blocks = self.inner.fetch(from, to, needs);
        self.fetch.set(self.fetch.get() + start.elapsed());
        blocks
    }
}

fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(|v| v.parse().unwrap_or_else(|_| fail(format!("{name} {v}"))))
        .unwrap_or(default)
}

fn main() {
    let blocks = arg("--blocks", 2000);
    let per_block = arg("--txs", 20) as usize;
    let unwatched = arg("--unwatched", 0).min(100);
    let node = Anvil::spawn_with(&["--accounts", "20", "--balance", "1000000"])
        .unwrap_or_else(|e| fail(e));
    let accounts = node.accounts().to_vec();
    let owner = accounts[0];

    // Set-up, mined one transaction a block: contracts, balances, tokens.
    let vault = deploy(&node, owner, "Vault", &[]);
    let token = deploy(&node, owner, "Token", &[]);
    let lender = deploy(&node, owner, "Lender", &[addr(token)]);
    let borrower = deploy(&node, owner, "Borrower", &[]);
    let v1 = deploy(&node, owner, "ImplementationV1", &[]);
    let v2 = deploy(&node, owner, "ImplementationV2", &[]);
    let proxy = deploy(&node, owner, "Proxy", &[addr(v1)]);
    send(
        &node,
        owner,
        vault,
        &calldata("deposit()", &[]),
        ether_milli(100_000),
    );
    let mint =
        |to: Address, amount: U256| calldata("mint(address,uint256)", &[addr(to), num(amount)]);
    send(
        &node,
        owner,
        token,
        &mint(lender, tokens(10_000_000)),
        U256::ZERO,
    );
    for &account in &accounts[1..] {
        send(
            &node,
            owner,
            token,
            &mint(account, tokens(1_000_000)),
            U256::ZERO,
        );
    }
    let contracts = Contracts {
        vault,
        token,
        lender,
        borrower,
        proxy,
        implementations: [v1, v2],
    };
    let watched = [vault, token, lender, proxy];
    let mut text = monitor_file(&node, &contracts, &accounts);
    if std::env::args().any(|a| a == "--internal") {
        text = text.replace("kind = \"call\"\n", "kind = \"call\"\ninternal = true\n");
    }
    let mut nonces = HashMap::new();
    for &account in &accounts {
        let count = node
            .rpc("eth_getTransactionCount", json!([account, "latest"]))
            .unwrap_or_else(|e| fail(e));
        let count =
            u64::from_str_radix(count.as_str().unwrap_or("0x0").trim_start_matches("0x"), 16)
                .unwrap_or_else(|e| fail(e));
        nonces.insert(account, count);
    }

    // The chain: BLOCKS blocks of TXS transactions.
    node.rpc("evm_setAutomine", json!([false]))
        .unwrap_or_else(|e| fail(e));
    let mut generator = Generator {
        node: &node,
        client: client(node.url()),
        accounts: accounts.clone(),
        nonces,
        prices: HashMap::new(),
        contracts,
        rng: Rng(0x9e37_79b9_7f4a_7c15),
        vault_owner: owner,
        upgrades: 0,
        refused: 0,
        unwatched,
    };
    let start = Instant::now();
    let mut sent = 0u64;
    for n in 1..=blocks {
        let txs = generator.block(n, per_block);
        sent += txs.len() as u64;
        generator.mine(&txs);
    }
    let generation = start.elapsed();
    let head = node.block_number().unwrap_or_else(|e| fail(e));
    println!(
        "chain: {blocks} blocks of {per_block} transactions, {unwatched}% of the ordinary ones unwatched ({sent} sent, {} refused) generated in {:.1} s ({:.0} transactions/s); head {head}",
        generator.refused,
        generation.as_secs_f64(),
        sent as f64 / generation.as_secs_f64()
    );

    // The catch-up, timed: as the engine reads blocks (transactions in full only where a
    // rule looks at their calldata or value), then every transaction in full, as a
    // reference that must give the same firings.
    let mut monitors = monitor::load_monitors(&text, None).unwrap_or_else(|e| fail(e));
    let monitor = monitors.remove(0);
    let rules = monitor.rules.len();
    let lean = catch_up(Engine::new(monitor.clone()), node.url());
    lean.print("catch-up", rules);
    let full = catch_up(
        Engine::new(monitor.clone()).with_full_transactions(),
        node.url(),
    );
    full.print("reference, every transaction in full", rules);
    if lean.by_rule != full.by_rule {
        fail("the firings differ between the two ways of reading blocks");
    }
    let rpc = client(node.url());
    profile(&rpc, head, &monitor::eval::reads(&monitor), &watched);
}

/// What one timed catch-up did.
struct Outcome {
    processed: u64,
    transactions: u64,
    by_rule: BTreeMap<String, u64>,
    elapsed: Duration,
    fetch: Duration,
    head: Duration,
    requests: u64,
    reads: usize,
}

/// Follows the chain from its first block to the head with `engine`.
fn catch_up(engine: Engine, url: &str) -> Outcome {
    let rpc = client(url);
    let source = Timed {
        inner: &rpc,
        head: Cell::new(Duration::ZERO),
        fetch: Cell::new(Duration::ZERO),
    };
    let mut checkpoint: Checkpoint = engine
        .initial_checkpoint(&source)
        .unwrap_or_else(|e| fail(e));
    let mut processed = 0u64;
    let mut transactions = 0u64;
    let mut by_rule: BTreeMap<String, u64> = BTreeMap::new();
    let start = Instant::now();
    loop {
        match engine
            .step(&source, &checkpoint)
            .unwrap_or_else(|e| fail(e))
        {
            Step::Idle { .. } => break,
            Step::Advanced(progress) => {
                processed += progress.blocks;
                transactions += progress.transactions;
                for firing in &progress.firings {
                    *by_rule.entry(firing.rule.clone()).or_default() += 1;
                }
                checkpoint = progress.checkpoint;
            }
        }
    }
    Outcome {
        processed,
        transactions,
        by_rule,
        elapsed: start.elapsed(),
        fetch: source.fetch.get(),
        head: source.head.get(),
        requests: rpc.requests_sent(),
        reads: monitor::eval::reads(engine.monitor()).len(),
    }
}

impl Outcome {
    fn print(&self, what: &str, rules: usize) {
        let seconds = self.elapsed.as_secs_f64();
        let firings: u64 = self.by_rule.values().sum();
        println!(
            "{what}: {} blocks, {} transactions, {rules} rules in {seconds:.2} s: {:.0} blocks/s, {:.0} transactions/s",
            self.processed,
            self.transactions,
            self.processed as f64 / seconds,
            self.transactions as f64 / seconds
        );
        println!(
            "  firings: {firings} ({})",
            self.by_rule
                .iter()
                .map(|(rule, n)| format!("{rule} {n}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let evaluation = self.elapsed.saturating_sub(self.fetch + self.head);
        let share = |d: Duration| 100.0 * d.as_secs_f64() / seconds;
        println!(
            "  {} HTTP requests ({} reads a block); time: fetch (RPC and block decoding) {:.2} s ({:.0}%), head {:.2} s ({:.0}%), evaluation {:.2} s ({:.0}%)",
            self.requests,
            self.reads,
            self.fetch.as_secs_f64(),
            share(self.fetch),
            self.head.as_secs_f64(),
            share(self.head),
            evaluation.as_secs_f64(),
            share(evaluation)
        );
    }
}

fn tag(n: u64) -> Json {
    json!(format!("0x{n:x}"))
}

/// The fetch taken apart, over the same blocks and in batches of the engine's size: the
/// node's time (HTTP included) for each kind of call alone, the client's JSON parsing of
/// the answers, and the decoding of blocks.
fn profile(rpc: &RpcClient, head: u64, reads: &[Read], watched: &[Address]) {
    type Calls = Box<dyn Fn(u64) -> Vec<(&'static str, Json)>>;
    let batch = monitor::engine::DEFAULT_BATCH_BLOCKS;
    let to_watched: Vec<String> = watched.iter().map(|a| format!("{a:#x}")).collect();
    let mut groups: Vec<(String, Calls)> = vec![
        (
            "eth_getBlockByNumber".into(),
            Box::new(move |n| vec![("eth_getBlockByNumber", json!([tag(n), true]))]),
        ),
        (
            "eth_getBlockReceipts".into(),
            Box::new(move |n| vec![("eth_getBlockReceipts", json!([tag(n)]))]),
        ),
        (
            "eth_getBlockByNumber (hashes only)".into(),
            Box::new(move |n| vec![("eth_getBlockByNumber", json!([tag(n), false]))]),
        ),
        (
            "trace_block".into(),
            Box::new(move |n| vec![("trace_block", json!([tag(n)]))]),
        ),
        (
            format!("trace_filter ({batch} blocks, to watched)"),
            Box::new(move |n| {
                if (n - 1) % batch != 0 {
                    return Vec::new();
                }
                vec![(
                    "trace_filter",
                    json!([{"fromBlock": tag(n), "toBlock": tag((n + batch - 1).min(head)),
                            "toAddress": to_watched}]),
                )]
            }),
        ),
    ];
    // Anvil runs the block again for it: about a hundred times trace_block's time.
    if std::env::args().any(|a| a == "--debug-trace") {
        groups.push((
            "debug_traceBlockByNumber (callTracer)".into(),
            Box::new(move |n| {
                vec![(
                    "debug_traceBlockByNumber",
                    json!([tag(n), {"tracer": "callTracer"}]),
                )]
            }),
        ));
    }
    for read in reads {
        let read = read.clone();
        let name = format!("{read:?}");
        let short: String = name.chars().take(40).collect();
        groups.push((
            short,
            Box::new(move |n| read_calls(std::slice::from_ref(&read), n)),
        ));
    }
    let all = reads.to_vec();
    groups.push((
        format!("the engine's reads ({} calls)", read_calls(&all, 0).len()),
        Box::new(move |n| read_calls(&all, n)),
    ));
    let mut blocks_and_receipts: Vec<Json> = Vec::new();
    println!("profile: the node's answers, one kind of call at a time, {batch} blocks a batch:");
    for (i, (name, calls)) in groups.iter().enumerate() {
        let mut answers: Vec<Json> = Vec::new();
        let start = Instant::now();
        let mut from = 1;
        while from <= head {
            let to = head.min(from + batch - 1);
            let batch_calls: Vec<(&str, Json)> = (from..=to).flat_map(calls).collect();
            let batch_answers = rpc.batch(&batch_calls).unwrap_or_else(|e| fail(e));
            answers.extend(batch_answers.into_iter().map(|a| a.unwrap_or(Json::Null)));
            from = to + 1;
        }
        let node = start.elapsed();
        // The client's share: parsing the same answers again from their text.
        let texts: Vec<String> = answers.iter().map(Json::to_string).collect();
        let bytes: usize = texts.iter().map(String::len).sum();
        let start = Instant::now();
        for text in &texts {
            let parsed: Json = serde_json::from_str(text).unwrap_or_else(|e| fail(e));
            std::hint::black_box(parsed);
        }
        let parse = start.elapsed();
        println!(
            "  {name:<42} {:>6.2} s ({:>5.1} MB; JSON parsing {:.2} s of it)",
            node.as_secs_f64(),
            bytes as f64 / 1e6,
            parse.as_secs_f64()
        );
        if i < 2 {
            blocks_and_receipts.push(Json::Array(answers));
        }
    }
    if let [Json::Array(blocks), Json::Array(receipts)] = blocks_and_receipts.as_slice() {
        let start = Instant::now();
        let decoded = blocks
            .iter()
            .zip(receipts)
            .filter(|(block, receipts)| parse_block(block, receipts).is_ok())
            .count();
        println!(
            "  decoding {decoded} blocks with their receipts (parse_block): {:.2} s",
            start.elapsed().as_secs_f64()
        );
    }
}
