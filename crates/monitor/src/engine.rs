//! Following a chain: blocks read in order at a confirmation depth, each evaluated once,
//! with the checkpoint that lets a restart resume at the next unprocessed block.
//!
//! The engine is synchronous and keeps nothing of its own between calls: the caller holds
//! the [`Checkpoint`], gives it to [`Engine::step`], and stores the new one together with
//! the firings (the service does both in one database transaction, which is what makes
//! every block count exactly once). A step that fails (an RPC error, a block that does not
//! hang together) changes nothing and is simply tried again.

use alloy_primitives::{B256, U256, keccak256};
use serde::{Deserialize, Serialize};
use serde_json::{Value as Json, json};

use std::collections::HashMap;
use std::sync::atomic::Ordering;

use crate::block::{Block, attach_traces, parse_block_with, receipts_suffice};
use crate::eval::{self, Details, Firing, Read, ReadValues, State};
use crate::rules::{Kind, Level, Monitor, Start};

/// Blocks read per step at most (one JSON-RPC batch).
pub const DEFAULT_BATCH_BLOCKS: u64 = 25;

/// The name of the firings that report a reorganisation deeper than the confirmations.
pub const REORG_RULE: &str = "chain-reorg";

/// Why a step could not be made. Nothing was processed; the step can be tried again.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Chain(#[from] chain::ChainError),
    /// The node answered, but not with blocks that can be used: a block or receipts that
    /// do not parse, receipts of another block, blocks whose parent hashes do not chain.
    #[error("block {block}: {message}")]
    Block { block: u64, message: String },
    /// The node refuses a method the monitor's rules need (`trace_block` for rules on
    /// internal calls): they could never fire on this node.
    #[error("block {block}: {message}")]
    Unsupported { block: u64, message: String },
}

/// Where a monitor stands: the next block to process, the hash of the last one processed,
/// and the windows of its rules.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub next_block: u64,
    pub last_hash: Option<B256>,
    pub state: State,
}

/// What a monitor reads besides the blocks and their receipts: the state its rules need at
/// each block (with the calls that make those reads, built once), and the transactions it
/// needs in full.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Needs {
    reads: Vec<Read>,
    plan: ReadPlan,
    details: Details,
    /// The blocks' traces (internal calls and creations), with `trace_block`.
    traces: bool,
    /// The calldata and value `details` wants from the blocks' traces (the transactions'
    /// own calls) rather than from the transactions in full: a node that serves traces
    /// answers them for much less than full transactions (Anvil: a tenth).
    details_from_traces: bool,
}

impl Needs {
    pub fn of(monitor: &Monitor) -> Self {
        Needs::new(eval::reads(monitor), eval::details(monitor)).with_traces(eval::traces(monitor))
    }

    pub fn new(reads: Vec<Read>, details: Details) -> Self {
        Needs {
            plan: ReadPlan::new(&reads),
            reads,
            details,
            traces: false,
            details_from_traces: false,
        }
    }

    /// The same, with the blocks' traces or without.
    pub fn with_traces(mut self, traces: bool) -> Self {
        self.traces = traces;
        self
    }

    pub fn reads(&self) -> &[Read] {
        &self.reads
    }

    /// Whether the blocks' internal calls and creations are wanted.
    pub fn traces(&self) -> bool {
        self.traces
    }

    /// The same reads, with every transaction in full.
    fn with_full_transactions(&self) -> Self {
        Needs {
            details: Details::everything(),
            details_from_traces: false,
            ..self.clone()
        }
    }

    /// The same, with the calldata and value of the transactions wanted from the blocks'
    /// traces; `None` when no transaction is wanted.
    fn with_details_from_traces(&self) -> Option<Self> {
        (!self.details.is_nothing() && !self.details.is_everything()).then(|| Needs {
            details_from_traces: true,
            ..self.clone()
        })
    }

    /// Whether `trace_block` is read with the blocks.
    fn reads_traces(&self) -> bool {
        self.traces || self.details_from_traces
    }
}

/// Blocks, their receipts and the reads a monitor needs, from a node.
pub trait Source {
    /// The latest block number.
    fn head(&self) -> Result<u64, EngineError>;
    /// Blocks `from..=to`, in order, each with the values of `needs.reads` at that block;
    /// at least the transactions `needs.details` wants are in full, and with
    /// `needs.traces()` every transaction has its internal calls.
    fn fetch(
        &self,
        from: u64,
        to: u64,
        needs: &Needs,
    ) -> Result<Vec<(Block, ReadValues)>, EngineError>;
}

/// What one step did.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// No confirmed block is waiting; `head` is the chain's head.
    Idle { head: u64 },
    /// Blocks processed: the firings, in block order, and the checkpoint after them.
    Advanced(Progress),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    pub firings: Vec<Firing>,
    pub checkpoint: Checkpoint,
    pub blocks: u64,
    pub transactions: u64,
    /// The chain's head when the step began.
    pub head: u64,
}

/// One monitor's block processing.
#[derive(Debug)]
pub struct Engine {
    monitor: Monitor,
    needs: Needs,
    /// `needs` with every transaction in full, for the steps after dense ones.
    dense_needs: Needs,
    /// `needs` with calldata and value from the blocks' traces: how blocks are read
    /// unless the node refuses `trace_block` (`None`: no transaction is wanted).
    traced_needs: Option<Needs>,
    /// Whether the node refused `trace_block` for `traced_needs`: then blocks are read
    /// with `needs` (or `dense_needs`).
    untraced: std::sync::atomic::AtomicBool,
    /// What a block costs to read each way, as measured: which way is cheaper depends on
    /// the node (Anvil keeps the traces of its blocks; Reth and Erigon run a block again
    /// to trace it, far dearer than reading it).
    traced_cost: ReadCost,
    untraced_cost: ReadCost,
    /// Steps made, to try the dearer way now and then (see [`prefer_traces`]).
    steps: std::sync::atomic::AtomicU64,
    /// What the blocks before the first one are read with to fill the rules' windows:
    /// the state reads and the receipts, nothing in full, no traces.
    prime_needs: Needs,
    /// How many blocks before the first one fill the windows (0: no rule has one).
    window: u64,
    batch_blocks: u64,
    /// Whether most blocks of the last step were mostly made of transactions the rules
    /// need in full: then the next step reads blocks in full at once rather than their
    /// hashes first (a second round trip that would bring most of the block anyway).
    dense: std::sync::atomic::AtomicBool,
}

impl Clone for Engine {
    fn clone(&self) -> Self {
        Engine {
            monitor: self.monitor.clone(),
            needs: self.needs.clone(),
            dense_needs: self.dense_needs.clone(),
            traced_needs: self.traced_needs.clone(),
            untraced: std::sync::atomic::AtomicBool::new(self.untraced.load(Ordering::Relaxed)),
            traced_cost: self.traced_cost.clone(),
            untraced_cost: self.untraced_cost.clone(),
            steps: std::sync::atomic::AtomicU64::new(self.steps.load(Ordering::Relaxed)),
            prime_needs: self.prime_needs.clone(),
            window: self.window,
            batch_blocks: self.batch_blocks,
            dense: std::sync::atomic::AtomicBool::new(self.dense.load(Ordering::Relaxed)),
        }
    }
}

impl Engine {
    pub fn new(monitor: Monitor) -> Self {
        let needs = Needs::of(&monitor);
        Engine {
            prime_needs: Needs::new(needs.reads.clone(), Details::default()),
            window: window(&monitor),
            monitor,
            dense_needs: needs.with_full_transactions(),
            traced_needs: needs.with_details_from_traces(),
            untraced: std::sync::atomic::AtomicBool::new(false),
            traced_cost: ReadCost::default(),
            untraced_cost: ReadCost::default(),
            steps: std::sync::atomic::AtomicU64::new(0),
            needs,
            batch_blocks: DEFAULT_BATCH_BLOCKS,
            dense: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// Reads every transaction in full, not only those the rules look at: the same firings
    /// at a higher cost to the node (a reference for tests and benchmarks).
    pub fn with_full_transactions(mut self) -> Self {
        self.needs = self.dense_needs.clone();
        self.traced_needs = None;
        self
    }

    /// Reads the calldata of the transactions the rules look at without the blocks'
    /// traces, as for a node that refuses `trace_block` (the blocks' traces are still
    /// read for rules on internal calls).
    pub fn without_traced_calldata(mut self) -> Self {
        self.traced_needs = None;
        self
    }

    /// Blocks read per step at most.
    pub fn with_batch_blocks(mut self, blocks: u64) -> Self {
        self.batch_blocks = blocks.max(1);
        self
    }

    pub fn monitor(&self) -> &Monitor {
        &self.monitor
    }

    /// The checkpoint of a monitor that has none yet: its `start_block`, or the first
    /// block not yet confirmed now.
    pub fn initial_checkpoint(&self, source: &impl Source) -> Result<Checkpoint, EngineError> {
        let next_block = match self.monitor.start {
            Start::Block(block) => block,
            Start::Latest => {
                let head = source.head()?;
                head.saturating_sub(self.monitor.confirmations) + 1
            }
        };
        Ok(Checkpoint {
            next_block,
            last_hash: None,
            state: State::default(),
        })
    }

    /// Processes the confirmed blocks after `checkpoint`, up to the batch size. The first
    /// step of a monitor (no block processed yet, empty windows) first fills its rules'
    /// windows from the blocks before its first one: see [`Engine::prime`].
    pub fn step(&self, source: &impl Source, checkpoint: &Checkpoint) -> Result<Step, EngineError> {
        let head = source.head()?;
        let Some(confirmed) = head.checked_sub(self.monitor.confirmations) else {
            return Ok(Step::Idle { head });
        };
        if checkpoint.next_block > confirmed {
            return Ok(Step::Idle { head });
        }
        let primed;
        let checkpoint = if checkpoint.last_hash.is_none()
            && checkpoint.state == State::default()
            && self.window > 0
            && checkpoint.next_block > 0
        {
            primed = Checkpoint {
                state: self.prime(source, checkpoint.next_block)?,
                ..checkpoint.clone()
            };
            &primed
        } else {
            checkpoint
        };
        let to = confirmed.min(checkpoint.next_block + self.batch_blocks - 1);
        let untraced = if self.dense.load(Ordering::Relaxed) {
            &self.dense_needs
        } else {
            &self.needs
        };
        let step = self.steps.fetch_add(1, Ordering::Relaxed);
        let traced = self.traced_needs.as_ref().filter(|_| {
            !self.untraced.load(Ordering::Relaxed)
                && (self.needs.traces
                    || prefer_traces(
                        self.traced_cost.measured(),
                        self.untraced_cost.measured(),
                        step,
                    ))
        });
        let started = std::time::Instant::now();
        let (fetched, cost) = match traced {
            Some(traced) => match source.fetch(checkpoint.next_block, to, traced) {
                // Traces were only a cheaper way to the calldata: read it the other way.
                Err(EngineError::Unsupported { .. }) if !self.needs.traces => {
                    self.untraced.store(true, Ordering::Relaxed);
                    (source.fetch(checkpoint.next_block, to, untraced)?, None)
                }
                other => (other?, Some(&self.traced_cost)),
            },
            None => (
                source.fetch(checkpoint.next_block, to, untraced)?,
                Some(&self.untraced_cost),
            ),
        };
        if let Some(cost) = cost {
            cost.record(started.elapsed(), fetched.len());
        }
        if !self.needs.details.is_everything() {
            let dense = fetched
                .iter()
                .filter(|(block, _)| {
                    let wanted = block
                        .transactions
                        .iter()
                        .filter(|tx| {
                            self.needs
                                .details
                                .wants(tx.to, tx.logs.iter().map(|log| log.address))
                        })
                        .count();
                    wanted * 2 > block.transactions.len()
                })
                .count();
            self.dense
                .store(dense * 2 > fetched.len(), Ordering::Relaxed);
        }
        let mut next = checkpoint.clone();
        let mut firings = Vec::new();
        let mut transactions = 0u64;
        for (block, reads) in &fetched {
            if block.number != next.next_block {
                return Err(EngineError::Block {
                    block: next.next_block,
                    message: format!("the node answered block {} instead", block.number),
                });
            }
            if let Some(last) = next.last_hash
                && block.parent_hash != last
            {
                firings.push(self.reorg(block, last));
            }
            firings.extend(eval::process(&self.monitor, &mut next.state, block, reads));
            transactions += block.transactions.len() as u64;
            next.next_block = block.number + 1;
            next.last_hash = Some(block.hash);
        }
        Ok(Step::Advanced(Progress {
            firings,
            blocks: fetched.len() as u64,
            transactions,
            checkpoint: next,
            head,
        }))
    }

    /// The rules' windows as they would stand at block `first` had the monitor processed
    /// the blocks of the longest window before it (their firings dropped: they were before
    /// its start). So a balance that began to fall before the start is measured from its
    /// peak, a gas median has its blocks, and a code or slot change at the first block is
    /// seen. The state reads are made at those blocks; a node that refuses them (one that
    /// keeps no old state) leaves the balance and supply windows to start at `first`, the
    /// others are filled from the blocks' receipts all the same.
    pub fn prime(&self, source: &impl Source, first: u64) -> Result<State, EngineError> {
        let from = first.saturating_sub(self.window);
        let mut state = State::default();
        if from >= first {
            return Ok(state);
        }
        let without_reads = Needs::new(Vec::new(), Details::default());
        let mut needs = &self.prime_needs;
        let mut next = from;
        while next < first {
            let to = (first - 1).min(next + self.batch_blocks - 1);
            let fetched = match source.fetch(next, to, needs) {
                Err(EngineError::Chain(chain::ChainError::Rpc { .. }))
                    if !needs.reads.is_empty() =>
                {
                    needs = &without_reads;
                    continue;
                }
                other => other?,
            };
            if fetched.len() as u64 > to - next + 1 {
                return Err(EngineError::Block {
                    block: to + 1,
                    message: format!(
                        "the node answered {} blocks for {next}..={to}",
                        fetched.len()
                    ),
                });
            }
            for (block, reads) in &fetched {
                if block.number != next {
                    return Err(EngineError::Block {
                        block: next,
                        message: format!("the node answered block {} instead", block.number),
                    });
                }
                eval::process(&self.monitor, &mut state, block, reads);
                next += 1;
            }
            if fetched.is_empty() {
                return Err(EngineError::Block {
                    block: next,
                    message: "the node answered no block".into(),
                });
            }
        }
        Ok(state)
    }

    /// The firing for a block whose parent is not the block processed before it: the
    /// chain was reorganised deeper than the confirmation depth, so what was processed
    /// (and alerted) for the replaced blocks may not be on the chain any more.
    fn reorg(&self, block: &Block, processed: B256) -> Firing {
        let depth = self.monitor.confirmations;
        Firing {
            rule: REORG_RULE.into(),
            level: Level::High,
            block_number: block.number,
            block_hash: block.hash,
            tx_hash: None,
            tx_index: -1,
            log_index: -1,
            dedup_key: String::new(),
            cooldown_ms: 0,
            detail: json!({
                "summary": format!(
                    "chain reorganised deeper than {depth} confirmations: block {} has parent {}, but block {} was processed as {processed}",
                    block.number, block.parent_hash, block.number.saturating_sub(1)
                ),
                "block": block.number,
                "parent_hash": block.parent_hash.to_string(),
                "processed_hash": processed.to_string(),
                "confirmations": depth,
            }),
        }
    }
}

/// The time a block takes to read one way: a moving average, in nanoseconds a block (0:
/// not measured yet).
#[derive(Debug, Default)]
struct ReadCost(std::sync::atomic::AtomicU64);

impl Clone for ReadCost {
    fn clone(&self) -> Self {
        ReadCost(std::sync::atomic::AtomicU64::new(
            self.0.load(Ordering::Relaxed),
        ))
    }
}

impl ReadCost {
    fn measured(&self) -> Option<u64> {
        Some(self.0.load(Ordering::Relaxed)).filter(|&cost| cost > 0)
    }

    /// Adds a fetch of `blocks` blocks that took `elapsed`; a quarter of the weight goes to
    /// the newest.
    fn record(&self, elapsed: std::time::Duration, blocks: usize) {
        let Some(blocks) = u128::try_from(blocks).ok().filter(|&b| b > 0) else {
            return;
        };
        let now = u64::try_from(elapsed.as_nanos() / blocks)
            .unwrap_or(u64::MAX)
            .max(1);
        let average = match self.measured() {
            None => now,
            Some(before) => before / 4 * 3 + now / 4,
        };
        self.0.store(average.max(1), Ordering::Relaxed);
    }
}

/// Steps between two tries of the way of reading calldata that was dearer: the node's
/// load, and the blocks, change.
const RETRY_DEARER_EVERY: u64 = 64;

/// Whether step `step` reads calldata from the blocks' traces, given what a block cost
/// each way so far: each way is measured once first (traces first), then the cheaper one
/// is taken, and the dearer one again every [`RETRY_DEARER_EVERY`] steps.
fn prefer_traces(traced: Option<u64>, untraced: Option<u64>, step: u64) -> bool {
    match (traced, untraced) {
        (None, _) => true,
        (Some(_), None) => false,
        (Some(traced), Some(untraced)) => {
            let cheaper = traced <= untraced;
            if step % RETRY_DEARER_EVERY == RETRY_DEARER_EVERY - 1 {
                !cheaper
            } else {
                cheaper
            }
        }
    }
}

/// How many blocks before the first one a monitor's windows need: the longest window of
/// its windowed rules, 1 for rules that compare a value with the previous block's.
fn window(monitor: &Monitor) -> u64 {
    monitor
        .rules
        .iter()
        .map(|rule| match &rule.kind {
            Kind::BalanceDrop { blocks, .. }
            | Kind::SupplyChange { blocks, .. }
            | Kind::GasPrice { blocks, .. }
            | Kind::FailedShare { blocks, .. } => *blocks,
            Kind::CodeChange | Kind::SlotChange { .. } => 1,
            _ => 0,
        })
        .max()
        .unwrap_or(0)
}

fn tag(block: u64) -> Json {
    json!(format!("0x{block:x}"))
}

fn address_hex(address: &alloy_primitives::Address) -> String {
    format!("{address:#x}")
}

/// `balanceOf(address)` and `totalSupply()`.
const BALANCE_OF: [u8; 4] = [0x70, 0xa0, 0x82, 0x31];
const TOTAL_SUPPLY: [u8; 4] = [0x18, 0x16, 0x0d, 0xdd];

fn read_call(read: &Read, block: u64) -> (&'static str, Json) {
    match read {
        Read::Balance(address) => ("eth_getBalance", json!([address_hex(address), tag(block)])),
        Read::TokenBalance { token, holder } => {
            let mut data = BALANCE_OF.to_vec();
            data.extend_from_slice(&[0u8; 12]);
            data.extend_from_slice(holder.as_slice());
            (
                "eth_call",
                json!([{"to": address_hex(token), "data": format!("0x{}", crate::abi::hex(&data))}, tag(block)]),
            )
        }
        Read::TotalSupply(token) => (
            "eth_call",
            json!([{"to": address_hex(token), "data": format!("0x{}", crate::abi::hex(&TOTAL_SUPPLY))}, tag(block)]),
        ),
        Read::CodeHash(address) => ("eth_getCode", json!([address_hex(address), tag(block)])),
        Read::Storage(address, slot) => (
            "eth_getStorageAt",
            json!([address_hex(address), slot.to_string(), tag(block)]),
        ),
    }
}

/// The value of a read from its answer; `None` for an `eth_call` that reverted or gave no
/// 32-byte word (not a token, say).
fn read_value(
    read: &Read,
    answer: Result<Json, chain::ChainError>,
    block: u64,
) -> Result<Option<U256>, EngineError> {
    let malformed = |message: String| EngineError::Block { block, message };
    let calls = matches!(read, Read::TokenBalance { .. } | Read::TotalSupply(_));
    let answer = match answer {
        Ok(answer) => answer,
        Err(_) if calls => return Ok(None),
        Err(error) => return Err(error.into()),
    };
    let text = answer
        .as_str()
        .ok_or_else(|| malformed(format!("{read:?}: the answer is not a hex string")))?;
    // Data (code, words) is bytes; a balance is a quantity (`0x0`), not bytes.
    let bytes = || {
        text.parse::<alloy_primitives::Bytes>()
            .map_err(|e| malformed(format!("{read:?}: {text} is not hex: {e}")))
    };
    Ok(match read {
        Read::CodeHash(_) => Some(U256::from_be_bytes(keccak256(bytes()?).0)),
        Read::Balance(_) => Some(
            text.parse::<U256>()
                .map_err(|e| malformed(format!("balance {text}: {e}")))?,
        ),
        Read::Storage(..) => {
            let bytes = bytes()?;
            if bytes.len() > 32 {
                return Err(malformed(format!(
                    "storage word {text} is longer than 32 bytes"
                )));
            }
            Some(U256::from_be_slice(&bytes))
        }
        Read::TokenBalance { .. } | Read::TotalSupply(_) => {
            let bytes = bytes()?;
            (bytes.len() == 32).then(|| U256::from_be_slice(&bytes))
        }
    })
}

impl Source for chain::RpcClient {
    fn head(&self) -> Result<u64, EngineError> {
        Ok(chain::StateReader::block_number(self)?)
    }

    /// Two batches at most: the blocks (with transaction hashes only, unless every
    /// transaction is wanted), their receipts, their traces when `needs` reads them, and
    /// the reads; then, unless the traces gave the calldata, the transactions wanted in
    /// full, one by one, or as the whole block where they are most of it.
    fn fetch(
        &self,
        from: u64,
        to: u64,
        needs: &Needs,
    ) -> Result<Vec<(Block, ReadValues)>, EngineError> {
        let all = needs.details.is_everything();
        let plan = &needs.plan;
        let traced = needs.reads_traces() && !all;
        let per_block = 2 + usize::from(traced || needs.traces) + plan.calls_per_block();
        let mut calls: Vec<(&str, Json)> = Vec::with_capacity(per_block * (to - from + 1) as usize);
        for number in from..=to {
            calls.push(("eth_getBlockByNumber", json!([tag(number), all])));
            calls.push(("eth_getBlockReceipts", json!([tag(number)])));
            if traced || needs.traces {
                calls.push(("trace_block", json!([tag(number)])));
            }
            plan.push_calls(number, &mut calls);
        }
        let mut answers = batches_in_parallel(self, &calls, per_block)?.into_iter();
        let mut read: Vec<FirstRead> = Vec::with_capacity((to - from + 1) as usize);
        for number in from..=to {
            let block = answers.next().unwrap_or(Ok(Json::Null))?;
            let receipts = answers.next().unwrap_or(Ok(Json::Null))?;
            let traces = if traced || needs.traces {
                match answers.next().unwrap_or(Ok(Json::Null)) {
                    Ok(traces) if !traces.is_null() => Some(traces),
                    Ok(_) => return Err(no_traces(needs, number, "answered nothing")),
                    Err(chain::ChainError::Rpc { message, .. }) => {
                        return Err(no_traces(needs, number, &format!("refused: {message}")));
                    }
                    Err(error) => return Err(error.into()),
                }
            } else {
                None
            };
            if block.is_null() {
                return Err(EngineError::Block {
                    block: number,
                    message: "the node does not have this block".into(),
                });
            }
            let (values, retry) = plan.values(&mut answers, number)?;
            read.push(FirstRead {
                number,
                block,
                receipts,
                traces,
                values,
                retry,
            });
        }

        let mut wanted = Vec::with_capacity(read.len());
        let mut more: Vec<(&str, Json)> = Vec::new();
        for FirstRead {
            number,
            receipts,
            retry,
            ..
        } in &read
        {
            let want = if all || (traced && receipts_suffice(receipts)) {
                // Calldata and value come with the block or from its traces.
                Want::Nothing
            } else {
                want(&needs.details, receipts)
            };
            match &want {
                Want::Nothing => {}
                Want::Block => more.push(("eth_getBlockByNumber", json!([tag(*number), true]))),
                Want::Transactions(hashes) => more.extend(
                    hashes
                        .iter()
                        .map(|hash| ("eth_getTransactionByHash", json!([hash]))),
                ),
            }
            // Reads the combined call could not make, one by one.
            more.extend(retry.iter().map(|r| read_call(r, *number)));
            wanted.push(want);
        }
        let mut more = batches_in_parallel(self, &more, 1)?.into_iter();

        let mut blocks: Vec<(Block, ReadValues)> = Vec::with_capacity(read.len());
        for (first, want) in read.into_iter().zip(wanted) {
            let FirstRead {
                number,
                mut block,
                receipts,
                traces,
                mut values,
                retry,
            } = first;
            let mut full = HashMap::new();
            let missing = |what: &str| EngineError::Block {
                block: number,
                message: format!("the node no longer has {what} (the chain moved while reading)"),
            };
            match want {
                Want::Nothing => {}
                Want::Block => {
                    block = more.next().unwrap_or(Ok(Json::Null))?;
                    if block.is_null() {
                        return Err(missing("this block"));
                    }
                }
                Want::Transactions(hashes) => {
                    for hash in hashes {
                        let tx = more.next().unwrap_or(Ok(Json::Null))?;
                        if tx.is_null() {
                            return Err(missing(&format!("transaction {hash}")));
                        }
                        full.insert(hash, tx);
                    }
                }
            }
            for read in retry {
                let answer = more.next().unwrap_or(Ok(Json::Null));
                let value = read_value(&read, answer, number)?;
                values.insert(read, value);
            }
            let mut block = parse_block_with(&block, &receipts, &full).map_err(|message| {
                EngineError::Block {
                    block: number,
                    message,
                }
            })?;
            if let Some(traces) = &traces {
                attach_traces(&mut block, traces).map_err(|message| EngineError::Block {
                    block: number,
                    message,
                })?;
            }
            if let Some((previous, _)) = blocks.last()
                && block.parent_hash != previous.hash
            {
                return Err(EngineError::Block {
                    block: number,
                    message: format!(
                        "parent hash {} is not the hash of block {} read with it: the chain moved while reading",
                        block.parent_hash,
                        number - 1
                    ),
                });
            }
            blocks.push((block, values));
        }
        Ok(blocks)
    }
}

/// The error of a node that does not serve `trace_block`: final for rules on internal
/// calls; otherwise the engine reads the calldata another way.
fn no_traces(needs: &Needs, block: u64, what: &str) -> EngineError {
    let message = if needs.traces {
        format!(
            "rules with `internal = true` read internal calls with `trace_block`, which the node {what}"
        )
    } else {
        format!("`trace_block`, read for the calldata of transactions, which the node {what}")
    };
    EngineError::Unsupported { block, message }
}

/// What the first round trip of a fetch gave for one block.
struct FirstRead {
    number: u64,
    block: Json,
    receipts: Json,
    /// `trace_block`'s answer, when traces are read.
    traces: Option<Json>,
    values: ReadValues,
    /// Reads the combined call could not make, to make one by one.
    retry: Vec<Read>,
}

/// The JSON-RPC calls that make `reads` at `block`, as [`Source::fetch`] makes them for a
/// node (for benchmarks that time them).
pub fn read_calls(reads: &[Read], block: u64) -> Vec<(&'static str, Json)> {
    let mut calls = Vec::new();
    ReadPlan::new(reads).push_calls(block, &mut calls);
    calls
}

/// Where the program of a combined read is placed (by state override) for its call: an
/// address with neither code nor state on any chain.
const READER: &str = "0x000000000000000000000000000000000077ead5";

/// How the reads of a block are made. Balances, code hashes and token calls are made
/// together by one `eth_call` of a small program placed by state override (a node spends
/// most of a read on opening the block's state, once per call), when there are two or
/// more of them; storage slots (which only the contract itself can read) one by one. A
/// node that refuses the override, or answers it with something else, gets those reads
/// one by one in the second round trip.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct ReadPlan {
    combined: Vec<Read>,
    program: Option<String>,
    single: Vec<Read>,
}

impl ReadPlan {
    fn new(reads: &[Read]) -> Self {
        let (combined, single): (Vec<Read>, Vec<Read>) = reads
            .iter()
            .cloned()
            .partition(|read| !matches!(read, Read::Storage(..)));
        if combined.len() < 2 {
            return ReadPlan {
                combined: Vec::new(),
                program: None,
                single: reads.to_vec(),
            };
        }
        let program = format!("0x{}", crate::abi::hex(&reader_program(&combined)));
        ReadPlan {
            combined,
            program: Some(program),
            single,
        }
    }

    fn calls_per_block(&self) -> usize {
        usize::from(self.program.is_some()) + self.single.len()
    }

    fn push_calls(&self, block: u64, calls: &mut Vec<(&'static str, Json)>) {
        if let Some(program) = &self.program {
            calls.push((
                "eth_call",
                json!([{"to": READER, "data": "0x"}, tag(block), {READER: {"code": program}}]),
            ));
        }
        calls.extend(self.single.iter().map(|read| read_call(read, block)));
    }

    /// The values of one block's reads from its answers, and the reads to make again one
    /// by one.
    fn values(
        &self,
        answers: &mut impl Iterator<Item = Result<Json, chain::ChainError>>,
        block: u64,
    ) -> Result<(ReadValues, Vec<Read>), EngineError> {
        let mut values = ReadValues::with_capacity(self.combined.len() + self.single.len());
        let mut retry = Vec::new();
        if self.program.is_some() {
            let answer = answers.next().unwrap_or(Ok(Json::Null));
            match combined_values(&self.combined, answer) {
                Some(combined) => values.extend(self.combined.iter().cloned().zip(combined)),
                None => retry.clone_from(&self.combined),
            }
        }
        for read in &self.single {
            let answer = answers.next().unwrap_or(Ok(Json::Null));
            values.insert(read.clone(), read_value(read, answer, block)?);
        }
        Ok((values, retry))
    }
}

/// The values of a combined read from its answer: for each read two words, 1 and the value
/// when it could be made; `None` when the answer is not what the program returns.
fn combined_values(
    reads: &[Read],
    answer: Result<Json, chain::ChainError>,
) -> Option<Vec<Option<U256>>> {
    let bytes: alloy_primitives::Bytes = answer.ok()?.as_str()?.parse().ok()?;
    if bytes.len() != 64 * reads.len() {
        return None;
    }
    let values = reads
        .iter()
        .zip(bytes.chunks_exact(64))
        .map(|(read, words)| {
            let made = U256::from_be_slice(&words[..32]);
            let value = U256::from_be_slice(&words[32..]);
            (made == U256::from(1u8)).then(|| match read {
                // No account (or no code): the hash of empty code, as `eth_getCode` gives it.
                Read::CodeHash(_) if value.is_zero() => {
                    U256::from_be_bytes(eval::empty_code_hash().0)
                }
                _ => value,
            })
        })
        .collect();
    Some(values)
}

/// EVM code that makes `reads` (balances, code hashes, token calls) and returns two words
/// for each, in order: 1 and the value when it was made, 0 when a call reverted or did
/// not return one word. Call data is written after the answers.
fn reader_program(reads: &[Read]) -> Vec<u8> {
    const MSTORE: u8 = 0x52;
    let scratch = 64 * reads.len();
    let mut code = Vec::new();
    let push_u16 = |code: &mut Vec<u8>, value: usize| {
        code.push(0x61); // PUSH2
        code.extend_from_slice(&(value as u16).to_be_bytes());
    };
    let push_address = |code: &mut Vec<u8>, address: &alloy_primitives::Address| {
        code.push(0x73); // PUSH20
        code.extend_from_slice(address.as_slice());
    };
    for (i, read) in reads.iter().enumerate() {
        let base = 64 * i;
        match read {
            Read::Balance(address) | Read::CodeHash(address) => {
                push_address(&mut code, address);
                code.push(if matches!(read, Read::Balance(_)) {
                    0x31
                } else {
                    0x3f
                }); // BALANCE, EXTCODEHASH
                push_u16(&mut code, base + 32);
                code.push(MSTORE);
                code.extend_from_slice(&[0x60, 0x01]); // PUSH1 1
            }
            Read::TokenBalance { token, .. } | Read::TotalSupply(token) => {
                let (selector, holder) = match read {
                    Read::TokenBalance { holder, .. } => (BALANCE_OF, Some(holder)),
                    _ => (TOTAL_SUPPLY, None),
                };
                let mut word = [0u8; 32];
                word[..4].copy_from_slice(&selector);
                code.push(0x7f); // PUSH32
                code.extend_from_slice(&word);
                push_u16(&mut code, scratch);
                code.push(MSTORE);
                if let Some(holder) = holder {
                    push_address(&mut code, holder);
                    push_u16(&mut code, scratch + 4);
                    code.push(MSTORE);
                }
                // STATICCALL(gas, token, scratch, size, base + 32, 32)
                code.extend_from_slice(&[0x60, 0x20]); // PUSH1 32
                push_u16(&mut code, base + 32);
                code.extend_from_slice(&[0x60, if holder.is_some() { 36 } else { 4 }]);
                push_u16(&mut code, scratch);
                push_address(&mut code, token);
                code.push(0x5a); // GAS
                code.push(0xfa); // STATICCALL
                // made = success && RETURNDATASIZE == 32
                code.push(0x3d); // RETURNDATASIZE
                code.extend_from_slice(&[0x60, 0x20, 0x14, 0x16]); // PUSH1 32, EQ, AND
            }
            // Never combined (see `ReadPlan::new`): "not made".
            Read::Storage(..) => code.extend_from_slice(&[0x60, 0x00]), // PUSH1 0
        }
        push_u16(&mut code, base);
        code.push(MSTORE);
    }
    push_u16(&mut code, scratch); // RETURN(0, 64 × reads)
    code.extend_from_slice(&[0x60, 0x00, 0xf3]);
    code
}

/// Requests in flight at once while catching up: a node answers several on its cores.
const PARALLEL_REQUESTS: usize = 4;

/// `calls` (in units of `unit` calls that stay together, a block's for instance) as up to
/// [`PARALLEL_REQUESTS`] batches sent at once; the answers in the order of `calls`.
fn batches_in_parallel(
    client: &chain::RpcClient,
    calls: &[(&str, Json)],
    unit: usize,
) -> Result<Vec<Result<Json, chain::ChainError>>, EngineError> {
    let units = calls.len() / unit.max(1);
    let parallel = PARALLEL_REQUESTS.min(units);
    if parallel < 2 {
        return Ok(client.batch(calls)?);
    }
    let chunk = units.div_ceil(parallel) * unit;
    let outcomes: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = calls
            .chunks(chunk)
            .map(|part| scope.spawn(move || client.batch(part)))
            .collect();
        handles.into_iter().map(|h| h.join()).collect()
    });
    let mut answers = Vec::with_capacity(calls.len());
    for outcome in outcomes {
        match outcome {
            Ok(part) => answers.extend(part?),
            Err(panic) => std::panic::resume_unwind(panic),
        }
    }
    Ok(answers)
}

/// What more to read of a block read with transaction hashes only.
enum Want {
    Nothing,
    /// The block with its transactions in full.
    Block,
    /// These transactions, one by one.
    Transactions(Vec<B256>),
}

/// The transactions of a block that `details` wants, from the block's receipts: the whole
/// block when they are more than half of it (a full block costs a node less per
/// transaction than single transactions do) or when the receipts lack what a transaction
/// read from its receipt alone needs. A receipt that does not parse is wanted: reading it
/// in full reports what is wrong with it.
fn want(details: &Details, receipts: &Json) -> Want {
    let Some(list) = receipts.as_array() else {
        return Want::Nothing;
    };
    if !receipts_suffice(receipts) {
        return Want::Block;
    }
    let address = |value: Option<&Json>| -> Option<alloy_primitives::Address> {
        value
            .and_then(Json::as_str)
            .and_then(|text| text.parse().ok())
    };
    let mut hashes = Vec::new();
    for receipt in list {
        let Some(hash) = receipt
            .get("transactionHash")
            .and_then(Json::as_str)
            .and_then(|text| text.parse::<B256>().ok())
        else {
            return Want::Block;
        };
        let emitters = receipt
            .get("logs")
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
            .filter_map(|log| address(log.get("address")));
        if details.wants(address(receipt.get("to")), emitters) {
            hashes.push(hash);
        }
    }
    if hashes.is_empty() {
        Want::Nothing
    } else if hashes.len() * 2 > list.len() {
        Want::Block
    } else {
        Want::Transactions(hashes)
    }
}

#[cfg(test)]
mod tests {
    use alloy_primitives::Address;

    use super::*;

    fn word(value: u64) -> String {
        format!("{value:064x}")
    }

    #[test]
    fn combined_reads_are_read_from_the_program_answer() {
        let reads = [
            Read::Balance(Address::repeat_byte(1)),
            Read::CodeHash(Address::repeat_byte(2)),
            Read::TotalSupply(Address::repeat_byte(3)),
        ];
        // Made, made with no code at the address, not made (the call reverted).
        let answer = format!(
            "0x{}{}{}{}{}{}",
            word(1),
            word(7),
            word(1),
            word(0),
            word(0),
            word(9)
        );
        let values = combined_values(&reads, Ok(json!(answer))).unwrap();
        assert_eq!(
            values,
            vec![
                Some(U256::from(7u8)),
                Some(U256::from_be_bytes(eval::empty_code_hash().0)),
                None,
            ]
        );
    }

    #[test]
    fn a_node_that_refuses_the_program_gets_the_reads_one_by_one() {
        let reads = [
            Read::Balance(Address::repeat_byte(1)),
            Read::TotalSupply(Address::repeat_byte(3)),
        ];
        // An error (no state override), an empty answer (the override ignored), a short one.
        let refused = Err(chain::ChainError::AllEndpointsFailed(Vec::new()));
        assert_eq!(combined_values(&reads, refused), None);
        assert_eq!(combined_values(&reads, Ok(json!("0x"))), None);
        assert_eq!(
            combined_values(&reads, Ok(json!(format!("0x{}", word(1))))),
            None
        );
        let plan = ReadPlan::new(&reads);
        let mut answers = vec![Ok(json!("0x"))].into_iter();
        let (values, retry) = plan.values(&mut answers, 5).unwrap();
        assert!(values.is_empty());
        assert_eq!(retry, reads.to_vec());
    }

    #[test]
    fn calldata_is_read_the_way_measured_cheaper_with_the_other_tried_now_and_then() {
        // Both ways measured once, traces first.
        assert!(prefer_traces(None, None, 0));
        assert!(!prefer_traces(Some(5), None, 1));
        // Then the cheaper, whichever it is.
        assert!(prefer_traces(Some(5), Some(9), 2));
        assert!(!prefer_traces(Some(9), Some(5), 2));
        // And the dearer once every RETRY_DEARER_EVERY steps.
        let retry = RETRY_DEARER_EVERY - 1;
        assert!(!prefer_traces(Some(5), Some(9), retry));
        assert!(prefer_traces(Some(9), Some(5), retry));
        assert!(prefer_traces(Some(9), Some(5), 2 * RETRY_DEARER_EVERY - 1));
        assert!(!prefer_traces(Some(9), Some(5), RETRY_DEARER_EVERY));

        let cost = ReadCost::default();
        assert_eq!(cost.measured(), None);
        cost.record(std::time::Duration::from_micros(100), 0); // no block: nothing
        assert_eq!(cost.measured(), None);
        cost.record(std::time::Duration::from_micros(800), 4);
        assert_eq!(cost.measured(), Some(200_000));
        cost.record(std::time::Duration::from_micros(600), 1);
        assert_eq!(cost.measured(), Some(300_000));
    }

    #[test]
    fn storage_slots_and_single_reads_are_not_combined() {
        let slot = Read::Storage(Address::repeat_byte(4), B256::repeat_byte(5));
        let one = ReadPlan::new(&[Read::Balance(Address::repeat_byte(1)), slot.clone()]);
        assert!(one.program.is_none());
        assert_eq!(one.calls_per_block(), 2);
        let two = ReadPlan::new(&[
            Read::Balance(Address::repeat_byte(1)),
            Read::CodeHash(Address::repeat_byte(1)),
            slot.clone(),
        ]);
        assert_eq!(two.calls_per_block(), 2);
        assert_eq!(two.single, vec![slot]);
        let calls = read_calls(&two.combined, 16);
        assert_eq!(calls[0].0, "eth_call");
        assert_eq!(calls[0].1[1], json!("0x10"));
        assert!(calls[0].1[2][READER]["code"].is_string());
    }
}
