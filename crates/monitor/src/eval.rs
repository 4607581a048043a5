//! Rules at work: one block in, the firings of every rule out.
//!
//! Rules on single transactions (calls, events, flash loans, deployments, gas price) look
//! at the block alone; rules on windows (balances, supply, failure share, gas median) keep
//! what they need of the previous blocks in [`State`], which the engine stores with the
//! checkpoint so that a restart continues the same windows. Rules on state (balances,
//! supply, code, storage slots) name the [`Read`]s they need at each block; the engine
//! makes them at that block.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

use alloy_dyn_abi::DynSolValue;
use alloy_primitives::{Address, B256, U256, keccak256};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json, json};

use crate::abi;
use crate::block::{Block, CallKind, InternalCall, Log, Transaction};
use crate::lang::Value;
use crate::rules::{CallMatch, EventMatch, Kind, Level, Monitor, Rule, Source};

/// `Transfer(address,address,uint256)`: the ERC-20 transfer event flash loans are seen by.
pub fn transfer_topic() -> B256 {
    keccak256("Transfer(address,address,uint256)")
}

/// A piece of state a rule needs at each block.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Read {
    /// Native balance.
    Balance(Address),
    /// `token.balanceOf(holder)`.
    TokenBalance { token: Address, holder: Address },
    /// `token.totalSupply()`.
    TotalSupply(Address),
    /// The hash of the code at the address (the hash of empty code when there is none).
    CodeHash(Address),
    /// One storage slot.
    Storage(Address, B256),
}

/// The answer to a [`Read`]: a number (balances, supply) or a word (hashes, slots).
/// `None` when the read could not be answered at that block (a call that reverted): the
/// rule skips the block.
pub type ReadValues = HashMap<Read, Option<U256>>;

/// The hash of empty code.
pub fn empty_code_hash() -> B256 {
    keccak256([])
}

/// The reads a monitor needs at each block, without repeats, in a fixed order.
pub fn reads(monitor: &Monitor) -> Vec<Read> {
    let mut reads = Vec::new();
    for rule in &monitor.rules {
        for &c in &rule.contracts {
            let address = monitor.contracts[c].address;
            match &rule.kind {
                Kind::BalanceDrop { token: None, .. } => reads.push(Read::Balance(address)),
                Kind::BalanceDrop {
                    token: Some(token), ..
                } => reads.push(Read::TokenBalance {
                    token: *token,
                    holder: address,
                }),
                Kind::SupplyChange { .. } => reads.push(Read::TotalSupply(address)),
                Kind::CodeChange => reads.push(Read::CodeHash(address)),
                Kind::SlotChange { slot } => reads.push(Read::Storage(address, *slot)),
                _ => {}
            }
        }
    }
    reads.sort();
    reads.dedup();
    reads
}

/// The transactions whose calldata and value some rule looks at: those sent to a contract
/// of a call or call-burst rule, and those with a log from a contract of an event rule
/// whose condition reads `tx.value`. Every other field a rule reads (sender, recipient,
/// status, gas, logs, the contract created) is in the receipt, so the engine reads the
/// other transactions from their receipts alone, with empty calldata and a zero value
/// (or with those of their traces, when it reads the blocks' traces): full transactions
/// are most of what a node spends on a block.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Details {
    everything: bool,
    recipients: BTreeSet<Address>,
    emitters: BTreeSet<Address>,
}

impl Details {
    /// Every transaction in full (how blocks were read before: a reference to compare with).
    pub fn everything() -> Self {
        Details {
            everything: true,
            ..Details::default()
        }
    }

    pub fn is_everything(&self) -> bool {
        self.everything
    }

    /// Whether no transaction is wanted in full.
    pub fn is_nothing(&self) -> bool {
        !self.everything && self.recipients.is_empty() && self.emitters.is_empty()
    }

    /// Whether the transaction sent to `to`, with logs from `emitters`, is needed in full.
    pub fn wants(&self, to: Option<Address>, mut emitters: impl Iterator<Item = Address>) -> bool {
        self.everything
            || to.is_some_and(|to| self.recipients.contains(&to))
            || (!self.emitters.is_empty() && emitters.any(|e| self.emitters.contains(&e)))
    }
}

/// Whether an event rule's condition reads the value of the transaction.
fn reads_tx_value(event: &EventMatch) -> bool {
    event.when.as_ref().is_some_and(|when| {
        when.fields_used()
            .iter()
            .any(|&field| event.sources.get(field) == Some(&Source::TxValue))
    })
}

/// The transactions a monitor needs in full.
pub fn details(monitor: &Monitor) -> Details {
    let mut details = Details::default();
    for rule in &monitor.rules {
        let addresses = rule.contracts.iter().map(|&c| monitor.contracts[c].address);
        match &rule.kind {
            Kind::Call(_) | Kind::CallBurst { .. } => details.recipients.extend(addresses),
            Kind::Event(event) if reads_tx_value(event) => details.emitters.extend(addresses),
            _ => {}
        }
    }
    details
}

/// Whether a monitor has rules on internal calls or creations, which read the node's
/// traces of every block.
pub fn traces(monitor: &Monitor) -> bool {
    monitor.rules.iter().any(|rule| match &rule.kind {
        Kind::Call(call) => call.internal,
        Kind::Deployment { internal, .. } => *internal,
        _ => false,
    })
}

/// One firing of a rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Firing {
    pub rule: String,
    pub level: Level,
    pub block_number: u64,
    pub block_hash: B256,
    pub tx_hash: Option<B256>,
    /// -1 for a firing of the block as a whole.
    pub tx_index: i64,
    /// -1 when no single log fired it.
    pub log_index: i64,
    /// Firings of one rule with the same key fold into one alert during the cooldown.
    pub dedup_key: String,
    pub cooldown_ms: i64,
    /// `summary` and what the rule decoded.
    pub detail: Json,
}

/// What windowed rules remember between blocks. Keys are `rule` or `rule/contract`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    /// `(block, amount)` samples within the window, oldest first.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    series: BTreeMap<String, VecDeque<(u64, U256)>>,
    /// `(block, transactions, failed)` within the window, oldest first.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    counts: BTreeMap<String, VecDeque<(u64, u64, u64)>>,
    /// `(block, median gas price)` within the window, oldest first.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    gas: BTreeMap<String, VecDeque<(u64, U256)>>,
    /// The last code hash or slot value seen.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    last: BTreeMap<String, U256>,
}

/// Processes one block: returns the firings in block order (transaction, then log).
pub fn process(
    monitor: &Monitor,
    state: &mut State,
    block: &Block,
    reads: &ReadValues,
) -> Vec<Firing> {
    let mut firings = Vec::new();
    for rule in &monitor.rules {
        match &rule.kind {
            Kind::Call(call) => {
                for tx in &block.transactions {
                    // One firing a transaction: its own call, or else the first of the
                    // calls its contracts made that matches.
                    let own = match_call(monitor, rule, call, block, tx, &Call::own(tx));
                    let matched = own.or_else(|| {
                        let internal = call.internal.then_some(tx.internal.as_slice());
                        internal
                            .unwrap_or_default()
                            .iter()
                            .filter(|c| c.kind != CallKind::Create)
                            .find_map(|c| {
                                match_call(monitor, rule, call, block, tx, &Call::internal(c))
                            })
                    });
                    if let Some((contract, detail)) = matched {
                        firings.push(tx_firing(rule, block, tx, -1, contract, detail));
                    }
                }
            }
            Kind::Event(event) => {
                for tx in &block.transactions {
                    for log in &tx.logs {
                        if let Some((contract, detail)) =
                            match_event(monitor, rule, event, block, tx, log)
                        {
                            firings.push(tx_firing(
                                rule,
                                block,
                                tx,
                                log.index as i64,
                                contract,
                                detail,
                            ));
                        }
                    }
                }
            }
            Kind::CallBurst { call, min_count } => {
                call_bursts(monitor, rule, call, *min_count, block, &mut firings);
            }
            Kind::FlashLoan { min_amount } => {
                for tx in &block.transactions {
                    flash_loans(monitor, rule, *min_amount, block, tx, &mut firings);
                }
            }
            Kind::Deployment {
                deployers,
                internal,
            } => {
                for tx in &block.transactions {
                    let own = (tx.to.is_none() && deployers.contains(&tx.from))
                        // A receipt may name the address of a creation that reverted.
                        .then(|| (tx.from, tx.created.filter(|_| tx.success), tx.success, 0));
                    let made = own.or_else(|| {
                        let internal = internal.then_some(tx.internal.as_slice());
                        internal.unwrap_or_default().iter().find_map(|c| {
                            (c.kind == CallKind::Create && deployers.contains(&c.from))
                                .then(|| (c.from, c.to.filter(|_| c.success), c.success, c.depth))
                        })
                    });
                    if let Some((deployer, address, success, depth)) = made {
                        let created = address
                            .map(|a| a.to_checksum(None))
                            .unwrap_or_else(|| "no contract (the creation failed)".into());
                        let mut detail = json!({
                            "summary": format!(
                                "{} deployed {created} in block {}{} ({})",
                                deployer.to_checksum(None), block.number,
                                if depth > 0 { " (an internal creation)" } else { "" },
                                rule.name
                            ),
                            "deployer": deployer.to_checksum(None),
                            "created": address.map(|a| a.to_checksum(None)),
                            "success": success,
                        });
                        if depth > 0 {
                            detail["depth"] = json!(depth);
                        }
                        let mut firing = tx_firing(rule, block, tx, -1, None, detail);
                        firing.dedup_key = deployer.to_checksum(None);
                        firings.push(firing);
                    }
                }
            }
            Kind::GasPrice { factor, blocks } => {
                gas_price(monitor, state, rule, *factor, *blocks, block, &mut firings);
            }
            Kind::FailedShare {
                share,
                blocks,
                min_count,
            } => failed_share(
                monitor,
                state,
                rule,
                (*share, *blocks, *min_count),
                block,
                &mut firings,
            ),
            Kind::BalanceDrop {
                token,
                percent,
                blocks,
            } => {
                for &c in &rule.contracts {
                    let contract = &monitor.contracts[c];
                    let read = match token {
                        None => Read::Balance(contract.address),
                        Some(token) => Read::TokenBalance {
                            token: *token,
                            holder: contract.address,
                        },
                    };
                    let Some(Some(now)) = reads.get(&read).copied() else {
                        continue;
                    };
                    let key = format!("{}/{}", rule.name, contract.address);
                    let series = state.series.entry(key).or_default();
                    trim(series, block.number, *blocks);
                    let peak = series.iter().map(|(_, v)| *v).max();
                    series.push_back((block.number, now));
                    let Some(peak) = peak else { continue };
                    if now < scale(peak, 100.0 - percent) {
                        let asset = token.map_or("native".to_string(), |t| t.to_checksum(None));
                        let detail = json!({
                            "summary": format!(
                                "balance of {} ({}) fell from {peak} to {now} ({:.1}%) within {blocks} blocks, block {}",
                                contract.name, contract.address.to_checksum(None),
                                drop_percent(peak, now), block.number
                            ),
                            "asset": asset,
                            "from": peak.to_string(),
                            "to": now.to_string(),
                        });
                        firings.push(block_firing(rule, block, Some(contract.address), detail));
                        series.clear();
                        series.push_back((block.number, now));
                    }
                }
            }
            Kind::SupplyChange { percent, blocks } => {
                for &c in &rule.contracts {
                    let contract = &monitor.contracts[c];
                    let Some(Some(now)) = reads.get(&Read::TotalSupply(contract.address)).copied()
                    else {
                        continue;
                    };
                    let key = format!("{}/{}", rule.name, contract.address);
                    let series = state.series.entry(key).or_default();
                    trim(series, block.number, *blocks);
                    let low = series.iter().map(|(_, v)| *v).min();
                    let high = series.iter().map(|(_, v)| *v).max();
                    series.push_back((block.number, now));
                    let (Some(low), Some(high)) = (low, high) else {
                        continue;
                    };
                    let jumped = now > scale(low, 100.0 + percent) && !low.is_zero();
                    let fell = now < scale(high, 100.0 - percent);
                    if jumped || fell || (low.is_zero() && !now.is_zero()) {
                        let from = if fell { high } else { low };
                        let detail = json!({
                            "summary": format!(
                                "total supply of {} ({}) went from {from} to {now} within {blocks} blocks, block {}",
                                contract.name, contract.address.to_checksum(None), block.number
                            ),
                            "from": from.to_string(),
                            "to": now.to_string(),
                        });
                        firings.push(block_firing(rule, block, Some(contract.address), detail));
                        series.clear();
                        series.push_back((block.number, now));
                    }
                }
            }
            Kind::CodeChange | Kind::SlotChange { .. } => {
                for &c in &rule.contracts {
                    let contract = &monitor.contracts[c];
                    let read = match &rule.kind {
                        Kind::SlotChange { slot } => Read::Storage(contract.address, *slot),
                        _ => Read::CodeHash(contract.address),
                    };
                    let Some(Some(now)) = reads.get(&read).copied() else {
                        continue;
                    };
                    let key = format!("{}/{}", rule.name, contract.address);
                    let before = state.last.insert(key, now);
                    let Some(before) = before.filter(|b| *b != now) else {
                        continue;
                    };
                    let address = contract.address.to_checksum(None);
                    let detail = match read {
                        Read::Storage(_, slot) => json!({
                            "summary": format!(
                                "storage slot {slot} of {} ({address}) changed in block {}",
                                contract.name, block.number
                            ),
                            "slot": slot.to_string(),
                            "from": B256::from(before).to_string(),
                            "to": B256::from(now).to_string(),
                        }),
                        _ => {
                            let removed = B256::from(now) == empty_code_hash();
                            json!({
                                "summary": format!(
                                    "the code of {} ({address}) {} in block {}",
                                    contract.name,
                                    if removed { "was removed (self-destruct)" } else { "changed" },
                                    block.number
                                ),
                                "from": B256::from(before).to_string(),
                                "to": B256::from(now).to_string(),
                                "removed": removed,
                            })
                        }
                    };
                    firings.push(block_firing(rule, block, Some(contract.address), detail));
                }
            }
        }
    }
    firings.sort_by_key(|f| (f.tx_index, f.log_index));
    firings
}

/// `amount × percent / 100`, rounded down, exact for percentages with up to two decimals.
fn scale(amount: U256, percent: f64) -> U256 {
    let basis = (percent * 100.0).round().max(0.0) as u64;
    amount.saturating_mul(U256::from(basis)) / U256::from(10_000u64)
}

fn drop_percent(from: U256, to: U256) -> f64 {
    if from.is_zero() {
        return 0.0;
    }
    let lost = from.saturating_sub(to);
    let basis: U256 = lost.saturating_mul(U256::from(10_000u64)) / from;
    basis.saturating_to::<u64>() as f64 / 100.0
}

/// Drops the samples older than the window ending at `block` (exclusive of `block`).
fn trim<T>(samples: &mut VecDeque<(u64, T)>, block: u64, window: u64) {
    while samples
        .front()
        .is_some_and(|(b, _)| *b + window <= block || *b >= block)
    {
        samples.pop_front();
    }
}

fn watched<'a>(
    monitor: &'a Monitor,
    rule: &Rule,
    address: Address,
) -> Option<&'a crate::rules::Contract> {
    rule.contracts
        .iter()
        .map(|&c| &monitor.contracts[c])
        .find(|c| c.address == address)
}

fn tx_firing(
    rule: &Rule,
    block: &Block,
    tx: &Transaction,
    log_index: i64,
    contract: Option<Address>,
    detail: Json,
) -> Firing {
    Firing {
        rule: rule.name.clone(),
        level: rule.level,
        block_number: block.number,
        block_hash: block.hash,
        tx_hash: Some(tx.hash),
        tx_index: tx.index as i64,
        log_index,
        dedup_key: contract.map(|a| a.to_checksum(None)).unwrap_or_default(),
        cooldown_ms: cooldown_ms(rule),
        detail: with_common(detail, rule, Some(tx)),
    }
}

fn block_firing(rule: &Rule, block: &Block, contract: Option<Address>, detail: Json) -> Firing {
    Firing {
        rule: rule.name.clone(),
        level: rule.level,
        block_number: block.number,
        block_hash: block.hash,
        tx_hash: None,
        tx_index: -1,
        log_index: -1,
        dedup_key: contract.map(|a| a.to_checksum(None)).unwrap_or_default(),
        cooldown_ms: cooldown_ms(rule),
        detail: with_common(detail, rule, None),
    }
}

fn cooldown_ms(rule: &Rule) -> i64 {
    i64::try_from(rule.cooldown.as_millis()).unwrap_or(i64::MAX)
}

fn with_common(detail: Json, rule: &Rule, tx: Option<&Transaction>) -> Json {
    let mut object = match detail {
        Json::Object(object) => object,
        other => {
            let mut object = Map::new();
            object.insert("value".into(), other);
            object
        }
    };
    if let Some(description) = &rule.description {
        object.insert("description".into(), json!(description));
    }
    if let Some(tx) = tx {
        object.insert("tx_hash".into(), json!(tx.hash.to_string()));
        object.insert("caller".into(), json!(tx.from.to_checksum(None)));
    }
    Json::Object(object)
}

/// The value of each condition field, in the condition's order. `call`, for call rules,
/// is the call matched: its sender, recipient and value stand for the transaction's.
fn field_values(
    sources: &[Source],
    block: &Block,
    tx: &Transaction,
    call: Option<&Call<'_>>,
    emitter: Option<Address>,
    args: &[DynSolValue],
) -> Option<Vec<Value>> {
    let (from, to, value) = match call {
        Some(call) => (call.from, call.to, call.value),
        None => (tx.from, tx.to, tx.value),
    };
    sources
        .iter()
        .map(|source| match source {
            Source::Caller => Some(Value::Address(from)),
            Source::To => Some(Value::Address(to.unwrap_or_default())),
            Source::TxValue => Some(Value::Uint(value)),
            Source::GasPrice => Some(Value::Uint(tx.gas_price)),
            Source::BlockNumber => Some(Value::Uint(U256::from(block.number))),
            Source::Emitter => Some(Value::Address(emitter.unwrap_or_default())),
            Source::Arg(i) => args.get(*i).and_then(abi::to_value),
        })
        .collect()
}

fn named_args<'a>(names: impl Iterator<Item = &'a str>, args: &[DynSolValue]) -> Json {
    let mut object = Map::new();
    for (i, (name, value)) in names.zip(args).enumerate() {
        let name = if name.is_empty() {
            format!("arg{i}")
        } else {
            name.to_string()
        };
        object.insert(name, abi::to_json(value));
    }
    Json::Object(object)
}

/// A message call as call rules see it: a transaction's own call, or one a contract made
/// during it.
struct Call<'a> {
    from: Address,
    to: Option<Address>,
    input: &'a alloy_primitives::Bytes,
    value: U256,
    success: bool,
    /// `None` for the transaction's own call.
    internal: Option<&'a InternalCall>,
}

impl<'a> Call<'a> {
    fn own(tx: &'a Transaction) -> Self {
        Call {
            from: tx.from,
            to: tx.to,
            input: &tx.input,
            value: tx.value,
            success: tx.success,
            internal: None,
        }
    }

    fn internal(call: &'a InternalCall) -> Self {
        Call {
            from: call.from,
            to: call.to,
            input: &call.input,
            value: call.value,
            success: call.success,
            internal: Some(call),
        }
    }
}

/// A call matches when it goes to a watched contract with the selector, its arguments
/// decode, and the condition holds.
fn match_call(
    monitor: &Monitor,
    rule: &Rule,
    call: &CallMatch,
    block: &Block,
    tx: &Transaction,
    made: &Call<'_>,
) -> Option<(Option<Address>, Json)> {
    let to = made.to?;
    let contract = watched(monitor, rule, to)?;
    if made.input.get(..4)? != call.selector.0.as_slice() {
        return None;
    }
    let args = match &call.function {
        Some(function) => abi::decode_call(function, made.input)?,
        None => Vec::new(),
    };
    if let Some(when) = &call.when {
        let values = field_values(&call.sources, block, tx, Some(made), None, &args)?;
        if !when.eval(&values) {
            return None;
        }
    }
    let (name, arguments) = match &call.function {
        Some(function) => (
            function.signature(),
            named_args(function.inputs.iter().map(|p| p.name.as_str()), &args),
        ),
        None => (format!("selector {}", call.selector), Json::Null),
    };
    let through = match made.internal {
        Some(internal) => format!(
            " through {} ({}, depth {}, transaction from {})",
            made.from.to_checksum(None),
            internal.kind.as_str(),
            internal.depth,
            tx.from.to_checksum(None)
        ),
        None => String::new(),
    };
    let mut detail = json!({
        "summary": format!(
            "{name} called on {} ({}) by {}{through}{} in block {} ({})",
            contract.name,
            to.to_checksum(None),
            made.from.to_checksum(None),
            if made.success { "" } else { " (reverted)" },
            block.number,
            rule.name
        ),
        "contract": contract.name,
        "address": to.to_checksum(None),
        "function": name,
        "arguments": arguments,
        "value": made.value.to_string(),
        "success": made.success,
    });
    if let Some(internal) = made.internal {
        detail["internal"] = json!({
            "from": made.from.to_checksum(None),
            "kind": internal.kind.as_str(),
            "depth": internal.depth,
        });
    }
    Some((Some(to), detail))
}

fn match_event(
    monitor: &Monitor,
    rule: &Rule,
    event: &EventMatch,
    block: &Block,
    tx: &Transaction,
    log: &Log,
) -> Option<(Option<Address>, Json)> {
    if log.topics.first() != Some(&event.topic) {
        return None;
    }
    let contract = watched(monitor, rule, log.address)?;
    let args = abi::decode_log(&event.event, &log.topics, &log.data)?;
    if let Some(when) = &event.when {
        let values = field_values(&event.sources, block, tx, None, Some(log.address), &args)?;
        if !when.eval(&values) {
            return None;
        }
    }
    let fields = named_args(event.event.inputs.iter().map(|p| p.name.as_str()), &args);
    let shown: Vec<String> = fields
        .as_object()
        .map(|o| {
            o.iter()
                .map(|(k, v)| format!("{k}={}", v.as_str().map_or(v.to_string(), str::to_string)))
                .collect()
        })
        .unwrap_or_default();
    let detail = json!({
        "summary": format!(
            "{} emitted by {} ({}) in block {}: {} ({})",
            event.event.name,
            contract.name,
            log.address.to_checksum(None),
            block.number,
            shown.join(", "),
            rule.name
        ),
        "contract": contract.name,
        "address": log.address.to_checksum(None),
        "event": event.event.signature(),
        "fields": fields,
    });
    Some((Some(log.address), detail))
}

fn call_bursts(
    monitor: &Monitor,
    rule: &Rule,
    call: &CallMatch,
    min_count: u64,
    block: &Block,
    firings: &mut Vec<Firing>,
) {
    // (contract, sender) → (calls, first and last transaction of the burst)
    let mut bursts: BTreeMap<(Address, Address), (u64, &Transaction, &Transaction)> =
        BTreeMap::new();
    for tx in &block.transactions {
        if match_call(monitor, rule, call, block, tx, &Call::own(tx)).is_none() {
            continue;
        }
        let Some(to) = tx.to else { continue };
        bursts
            .entry((to, tx.from))
            .and_modify(|(n, _, last)| {
                *n += 1;
                *last = tx;
            })
            .or_insert((1, tx, tx));
    }
    for ((to, sender), (count, first, last)) in bursts {
        if count < min_count {
            continue;
        }
        let name = monitor
            .contracts
            .iter()
            .find(|c| c.address == to)
            .map_or("", |c| c.name.as_str());
        let function = call
            .function
            .as_ref()
            .map_or(format!("selector {}", call.selector), |f| f.signature());
        let detail = json!({
            "summary": format!(
                "{count} calls of {function} on {name} ({}) from {} in block {} ({})",
                to.to_checksum(None), sender.to_checksum(None), block.number, rule.name
            ),
            "contract": name,
            "address": to.to_checksum(None),
            "function": function,
            "sender": sender.to_checksum(None),
            "calls": count,
            "first_tx": first.hash.to_string(),
        });
        let mut firing = tx_firing(rule, block, last, -1, Some(to), detail);
        firing.dedup_key = format!("{}:{}", to.to_checksum(None), sender.to_checksum(None));
        firings.push(firing);
    }
}

/// A flash loan: in one transaction, a watched contract sends at least `min_amount` of a
/// token and receives at least as much of the same token back later in the transaction.
fn flash_loans(
    monitor: &Monitor,
    rule: &Rule,
    min_amount: U256,
    block: &Block,
    tx: &Transaction,
    firings: &mut Vec<Firing>,
) {
    let topic = transfer_topic();
    let transfers: Vec<(&Log, Address, Address, U256)> = tx
        .logs
        .iter()
        .filter(|log| log.topics.len() == 3 && log.topics[0] == topic && log.data.len() == 32)
        .map(|log| {
            (
                log,
                Address::from_word(log.topics[1]),
                Address::from_word(log.topics[2]),
                U256::from_be_slice(&log.data),
            )
        })
        .collect();
    for &c in &rule.contracts {
        let contract = &monitor.contracts[c];
        let lender = contract.address;
        let loan = transfers
            .iter()
            .enumerate()
            .find_map(|(i, (out, from, _, amount))| {
                if *from != lender || *amount < min_amount {
                    return None;
                }
                let back = transfers[i + 1..].iter().find(|(log, _, to, repaid)| {
                    log.address == out.address && *to == lender && repaid >= amount
                })?;
                Some((*out, *amount, back.3))
            });
        let Some((out, amount, repaid)) = loan else {
            continue;
        };
        let detail = json!({
            "summary": format!(
                "flash loan of {amount} of token {} from {} ({}) repaid in the same transaction, block {} ({})",
                out.address.to_checksum(None), contract.name, lender.to_checksum(None),
                block.number, rule.name
            ),
            "contract": contract.name,
            "token": out.address.to_checksum(None),
            "amount": amount.to_string(),
            "repaid": repaid.to_string(),
            "borrower": tx.from.to_checksum(None),
        });
        firings.push(tx_firing(
            rule,
            block,
            tx,
            out.index as i64,
            Some(lender),
            detail,
        ));
    }
}

fn median(values: &mut [U256]) -> Option<U256> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    Some(values[values.len() / 2])
}

/// A transaction to a watched contract (any transaction when the rule watches none)
/// paying more than `factor` × the median of the previous blocks' median gas prices.
fn gas_price(
    monitor: &Monitor,
    state: &mut State,
    rule: &Rule,
    factor: f64,
    blocks: u64,
    block: &Block,
    firings: &mut Vec<Firing>,
) {
    let window = state.gas.entry(rule.name.clone()).or_default();
    trim(window, block.number, blocks);
    let mut medians: Vec<U256> = window.iter().map(|(_, v)| *v).collect();
    if let Some(reference) = median(&mut medians).filter(|m| !m.is_zero()) {
        let limit = scale(reference, factor * 100.0);
        for tx in &block.transactions {
            let contract = match tx.to {
                _ if rule.contracts.is_empty() => None,
                Some(to) => match watched(monitor, rule, to) {
                    Some(contract) => Some(contract),
                    None => continue,
                },
                None => continue,
            };
            if tx.gas_price <= limit {
                continue;
            }
            let detail = json!({
                "summary": format!(
                    "gas price {} wei paid by {} to {}: more than {factor} × the median of the last {blocks} blocks ({reference} wei), block {} ({})",
                    tx.gas_price, tx.from.to_checksum(None),
                    contract.map_or("a contract creation".to_string(), |c| format!("{} ({})", c.name, c.address.to_checksum(None))),
                    block.number, rule.name
                ),
                "gas_price": tx.gas_price.to_string(),
                "median": reference.to_string(),
            });
            firings.push(tx_firing(
                rule,
                block,
                tx,
                -1,
                contract.map(|c| c.address),
                detail,
            ));
        }
    }
    let mut prices: Vec<U256> = block.transactions.iter().map(|tx| tx.gas_price).collect();
    if let Some(block_median) = median(&mut prices) {
        window.push_back((block.number, block_median));
    }
}

fn failed_share(
    monitor: &Monitor,
    state: &mut State,
    rule: &Rule,
    (share, blocks, min_count): (f64, u64, u64),
    block: &Block,
    firings: &mut Vec<Firing>,
) {
    for &c in &rule.contracts {
        let contract = &monitor.contracts[c];
        let (total, failed) = block
            .transactions
            .iter()
            .filter(|tx| tx.to == Some(contract.address))
            .fold((0u64, 0u64), |(t, f), tx| {
                (t + 1, f + u64::from(!tx.success))
            });
        let key = format!("{}/{}", rule.name, contract.address);
        let window = state.counts.entry(key).or_default();
        while window
            .front()
            .is_some_and(|(b, _, _)| *b + blocks <= block.number || *b >= block.number)
        {
            window.pop_front();
        }
        if total > 0 {
            window.push_back((block.number, total, failed));
        }
        let (all, bad) = window
            .iter()
            .fold((0u64, 0u64), |(a, b), (_, t, f)| (a + t, b + f));
        if all >= min_count && all > 0 && (bad as f64) / (all as f64) > share {
            let detail = json!({
                "summary": format!(
                    "{bad} of {all} transactions to {} ({}) failed in the last {blocks} blocks (above {:.0}%), block {} ({})",
                    contract.name, contract.address.to_checksum(None), share * 100.0,
                    block.number, rule.name
                ),
                "failed": bad,
                "transactions": all,
            });
            firings.push(block_firing(rule, block, Some(contract.address), detail));
            window.clear();
        }
    }
}
