//! The engine over a chain held in memory: restarts from a stored checkpoint give the same
//! firings as one uninterrupted run, reorganisations deeper than the confirmations are
//! reported, blocks that do not hang together are refused without moving the checkpoint.

use std::cell::RefCell;
use std::collections::HashMap;

use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use monitor::block::{Block, Log, Transaction};
use monitor::engine::{Checkpoint, Engine, EngineError, Needs, REORG_RULE, Source, Step};
use monitor::eval::{Firing, Read, ReadValues};

const VAULT: &str = "0x1111111111111111111111111111111111111111";

fn vault() -> Address {
    VAULT.parse().unwrap()
}

/// A chain in memory: blocks by number, the vault's balance at each block.
struct Chain {
    blocks: RefCell<Vec<Block>>,
    balances: RefCell<HashMap<u64, U256>>,
    fetches: RefCell<u64>,
}

impl Chain {
    fn new() -> Self {
        Chain {
            blocks: RefCell::new(Vec::new()),
            balances: RefCell::new(HashMap::new()),
            fetches: RefCell::new(0),
        }
    }

    /// Appends a block (on fork `fork`, which changes every hash) with `txs`, the vault
    /// holding `balance`.
    fn push(&self, fork: u8, txs: Vec<Transaction>, balance: u64) {
        let mut blocks = self.blocks.borrow_mut();
        let number = blocks.len() as u64;
        let parent_hash = blocks.last().map_or(B256::ZERO, |b| b.hash);
        let hash = keccak256([&parent_hash[..], &[fork], &number.to_be_bytes()].concat());
        blocks.push(Block {
            number,
            hash,
            parent_hash,
            timestamp: 1_700_000_000 + number * 12,
            transactions: txs,
        });
        self.balances
            .borrow_mut()
            .insert(number, U256::from(balance));
    }

    /// Drops the blocks from `number` on (a reorganisation starts there).
    fn truncate(&self, number: u64) {
        self.blocks.borrow_mut().truncate(number as usize);
    }
}

impl Source for Chain {
    fn head(&self) -> Result<u64, EngineError> {
        Ok(self.blocks.borrow().len() as u64 - 1)
    }

    fn fetch(
        &self,
        from: u64,
        to: u64,
        needs: &Needs,
    ) -> Result<Vec<(Block, ReadValues)>, EngineError> {
        *self.fetches.borrow_mut() += 1;
        let blocks = self.blocks.borrow();
        (from..=to)
            .map(|n| {
                let block = blocks.get(n as usize).cloned().ok_or(EngineError::Block {
                    block: n,
                    message: "missing".into(),
                })?;
                let mut values = ReadValues::new();
                for read in needs.reads() {
                    if let Read::Balance(_) = read {
                        values.insert(read.clone(), self.balances.borrow().get(&n).copied());
                    }
                }
                Ok((block, values))
            })
            .collect()
    }
}

/// A transaction to the vault emitting `OwnershipTransferred(old, new)`.
fn ownership_transfer(block: u64, new_owner: Address) -> Transaction {
    let topic = keccak256("OwnershipTransferred(address,address)");
    Transaction {
        hash: keccak256(block.to_be_bytes()),
        index: 0,
        from: Address::repeat_byte(0xaa),
        to: Some(vault()),
        input: Bytes::from(vec![0xf2, 0xfd, 0xe3, 0x8b]),
        value: U256::ZERO,
        gas_price: U256::from(1_000_000_000u64),
        success: true,
        gas_used: 30_000,
        created: None,
        internal: Vec::new(),
        logs: vec![Log {
            index: 0,
            address: vault(),
            topics: vec![
                topic,
                B256::left_padding_from(Address::repeat_byte(0xaa).as_slice()),
                B256::left_padding_from(new_owner.as_slice()),
            ],
            data: Bytes::new(),
        }],
    }
}

fn engine(confirmations: u64) -> Engine {
    let text = format!(
        r#"
[lists]
owners = ["0x00000000000000000000000000000000000000bb"]

[[monitors]]
name = "vault"
chain_id = 31337
rpc = ["http://127.0.0.1:8545"]
confirmations = {confirmations}
start_block = 1

[[monitors.contracts]]
name = "Vault"
address = "{VAULT}"

[[monitors.rules]]
name = "owner-changed"
kind = "event"
event = "OwnershipTransferred"
when = "newOwner not in owners"
level = "critical"

[[monitors.rules]]
name = "drained"
kind = "balance_drop"
percent = 50
blocks = 4
level = "high"
"#
    );
    let mut monitors = monitor::load_monitors(&text, None).unwrap();
    Engine::new(monitors.remove(0)).with_batch_blocks(3)
}

/// A chain of 20 blocks: two ownership transfers (one to an allowed owner), and the
/// vault's balance drained twice.
fn chain() -> Chain {
    let chain = Chain::new();
    let balances = [
        100, 100, 100, 100, 100, 40, 40, 40, 40, 40, 40, 40, 40, 40, 10, 10, 10, 10, 10, 10,
    ];
    for (n, balance) in balances.into_iter().enumerate() {
        let txs = match n {
            3 => vec![ownership_transfer(3, Address::repeat_byte(0xcc))],
            7 => vec![ownership_transfer(7, Address::with_last_byte(0xbb))],
            12 => vec![ownership_transfer(12, Address::repeat_byte(0xdd))],
            _ => Vec::new(),
        };
        chain.push(0, txs, balance);
    }
    chain
}

/// Steps until idle; with `restart`, the checkpoint goes through JSON between steps as if
/// the process had been restarted from the stored checkpoint.
fn run(
    engine: &Engine,
    source: &impl Source,
    mut checkpoint: Checkpoint,
    restart: bool,
) -> (Vec<Firing>, Checkpoint) {
    let mut firings = Vec::new();
    loop {
        match engine.step(source, &checkpoint).unwrap() {
            Step::Idle { .. } => return (firings, checkpoint),
            Step::Advanced(progress) => {
                firings.extend(progress.firings);
                checkpoint = progress.checkpoint;
                if restart {
                    let stored = serde_json::to_string(&checkpoint).unwrap();
                    checkpoint = serde_json::from_str(&stored).unwrap();
                }
            }
        }
    }
}

fn summary(firings: &[Firing]) -> Vec<(String, u64)> {
    firings
        .iter()
        .map(|f| (f.rule.clone(), f.block_number))
        .collect()
}

#[test]
fn restarts_from_the_stored_checkpoint_change_nothing() {
    let engine = engine(0);
    let source = chain();
    let start = engine.initial_checkpoint(&source).unwrap();
    assert_eq!(start.next_block, 1);
    let (once, end) = run(&engine, &source, start.clone(), false);
    let (restarted, end_restarted) = run(&engine, &source, start, true);
    assert_eq!(
        summary(&once),
        vec![
            ("owner-changed".to_string(), 3),
            ("drained".to_string(), 5),
            ("owner-changed".to_string(), 12),
            ("drained".to_string(), 14),
        ]
    );
    assert_eq!(once, restarted);
    assert_eq!(end, end_restarted);
    assert_eq!(end.next_block, 20);
    // 19 blocks in batches of 3, and block 0 read once a run to fill the window before
    // the first block (the restarted run resumes with its windows: no second read).
    assert_eq!(*source.fetches.borrow(), 2 * (7 + 1));
}

#[test]
fn confirmations_hold_back_the_newest_blocks() {
    let engine = engine(5);
    let source = chain();
    let (firings, end) = run(
        &engine,
        &source,
        engine.initial_checkpoint(&source).unwrap(),
        false,
    );
    // Head 19, five confirmations: blocks up to 14 are processed.
    assert_eq!(end.next_block, 15);
    assert_eq!(firings.len(), 4);
    assert!(matches!(
        engine.step(&source, &end).unwrap(),
        Step::Idle { head: 19 }
    ));
}

#[test]
fn a_reorganisation_deeper_than_the_confirmations_is_reported_once() {
    let engine = engine(0);
    let source = chain();
    let (_, end) = run(
        &engine,
        &source,
        engine.initial_checkpoint(&source).unwrap(),
        false,
    );
    // Blocks 17.. replaced by another fork, one block longer.
    source.truncate(17);
    for _ in 17..21 {
        source.push(1, Vec::new(), 10);
    }
    let (firings, after) = run(&engine, &source, end, false);
    assert_eq!(summary(&firings), vec![(REORG_RULE.to_string(), 20)]);
    assert!(
        firings[0].detail["summary"]
            .as_str()
            .unwrap()
            .contains("deeper than 0 confirmations")
    );
    assert_eq!(after.next_block, 21);
    // The next blocks chain on the new fork: nothing more to report.
    source.push(1, Vec::new(), 10);
    let (firings, _) = run(&engine, &source, after, false);
    assert!(firings.is_empty());
}

/// A node that serves, in a batch of several blocks, a block out of place.
struct Broken(Chain);

impl Source for Broken {
    fn head(&self) -> Result<u64, EngineError> {
        self.0.head()
    }

    fn fetch(
        &self,
        from: u64,
        to: u64,
        needs: &Needs,
    ) -> Result<Vec<(Block, ReadValues)>, EngineError> {
        let mut blocks = self.0.fetch(from, to, needs)?;
        if let [_, .., (last, _)] = blocks.as_mut_slice() {
            last.number += 1;
        }
        Ok(blocks)
    }
}

#[test]
fn a_block_out_of_place_fails_the_step_and_keeps_the_checkpoint() {
    let engine = engine(0);
    let source = Broken(chain());
    let start = engine.initial_checkpoint(&source).unwrap();
    let error = engine.step(&source, &start).unwrap_err();
    assert!(
        error
            .to_string()
            .contains("the node answered block 4 instead"),
        "{error}"
    );
}

/// A node that keeps the state of its newest blocks only: reads at older blocks are
/// refused, as a pruning node refuses them.
struct Pruned {
    chain: Chain,
    oldest_state: u64,
}

impl Source for Pruned {
    fn head(&self) -> Result<u64, EngineError> {
        self.chain.head()
    }

    fn fetch(
        &self,
        from: u64,
        to: u64,
        needs: &Needs,
    ) -> Result<Vec<(Block, ReadValues)>, EngineError> {
        if from < self.oldest_state && !needs.reads().is_empty() {
            return Err(EngineError::Chain(chain::ChainError::Rpc {
                endpoint: "pruned".into(),
                method: "eth_call".into(),
                message: "missing trie node".into(),
            }));
        }
        self.chain.fetch(from, to, needs)
    }
}

#[test]
fn a_start_after_the_drain_began_measures_it_from_the_blocks_before() {
    // Started at block 5, where the balance falls from 100 to 40: the window filled from
    // blocks 1..=4 holds the peak.
    let engine = engine(0);
    let start = Checkpoint {
        next_block: 5,
        ..Checkpoint::default()
    };
    let (firings, _) = run(&engine, &chain(), start.clone(), false);
    assert_eq!(
        summary(&firings),
        vec![
            ("drained".to_string(), 5),
            ("owner-changed".to_string(), 12),
            ("drained".to_string(), 14),
        ]
    );
    // A node without the old state: the balance window begins at the start block, so the
    // first drain is not seen; the step goes on all the same.
    let pruned = Pruned {
        chain: chain(),
        oldest_state: 5,
    };
    let (firings, end) = run(&engine, &pruned, start, false);
    assert_eq!(
        summary(&firings),
        vec![
            ("owner-changed".to_string(), 12),
            ("drained".to_string(), 14),
        ]
    );
    assert_eq!(end.next_block, 20);
}
