//! Proxy resolution: from an address to the contract whose code runs there.
//!
//! Recognised, in this order (the first that applies names the hop):
//! - EIP-1167 minimal proxies: the standard runtime and its variants with a shorter
//!   `PUSHn` address (vanity addresses with leading zero bytes); the address is parsed from
//!   the code, no storage is read; and their EIP-7511 form with `PUSH0`.
//! - EIP-1967: the implementation slot; the beacon slot, whose beacon's `implementation()`
//!   names the target; the admin slot is recorded with the hop.
//! - EIP-1822 (UUPS): the `PROXIABLE` slot.
//! - Gnosis Safe proxies: the singleton (`masterCopy`) in slot 0, confirmed by the
//!   `masterCopy()` selector in the code or by the proxy answering `masterCopy()` with it.
//! - Other `DELEGATECALL` forwarders: an abstract interpretation of the runtime code (constants,
//!   storage loads, stack moves, constant jumps) finds the slot whose value every reachable
//!   `DELEGATECALL` targets. When a `DELEGATECALL` target cannot be traced to one constant
//!   slot, nothing is guessed: the address is taken as the implementation, with a note.
//!
//! Slots and selectors are computed from their defining strings ([`eip1967_slot`],
//! [`selector`]); the tests compare them with the constants the EIPs publish.

use std::collections::{BTreeSet, HashMap};
use std::fmt;

use alloy_primitives::{Address, B256, Bytes, U256, keccak256};

use crate::evm::{self, DELEGATECALL, PUSH0, PUSH1, PUSH32, SLOAD};
use crate::{ChainError, StateReader};

/// The hops followed before giving up, unless the caller says otherwise.
pub const DEFAULT_MAX_DEPTH: usize = 8;

/// The 4-byte selector of a function signature such as `"owner()"`.
pub fn selector(signature: &str) -> [u8; 4] {
    let hash = keccak256(signature.as_bytes());
    [hash[0], hash[1], hash[2], hash[3]]
}

/// An EIP-1967 slot: `keccak256(label) - 1`, e.g. for `"eip1967.proxy.implementation"`.
pub fn eip1967_slot(label: &str) -> U256 {
    U256::from_be_bytes(keccak256(label.as_bytes()).0).wrapping_sub(U256::from(1))
}

/// EIP-1967 implementation slot.
pub fn implementation_slot() -> U256 {
    eip1967_slot("eip1967.proxy.implementation")
}

/// EIP-1967 admin slot.
pub fn admin_slot() -> U256 {
    eip1967_slot("eip1967.proxy.admin")
}

/// EIP-1967 beacon slot.
pub fn beacon_slot() -> U256 {
    eip1967_slot("eip1967.proxy.beacon")
}

/// EIP-1822 slot: `keccak256("PROXIABLE")`.
pub fn proxiable_slot() -> U256 {
    U256::from_be_bytes(keccak256(b"PROXIABLE").0)
}

/// How a proxy names its target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProxyKind {
    /// EIP-1967 implementation slot; `admin` is the admin slot when it is set.
    Eip1967 { admin: Option<Address> },
    /// EIP-1967 beacon slot: the target is the beacon's `implementation()`.
    Eip1967Beacon {
        beacon: Address,
        admin: Option<Address>,
    },
    /// EIP-1822 `PROXIABLE` slot.
    Eip1822,
    /// EIP-1167 minimal proxy; the target is in the code.
    Eip1167,
    /// EIP-7511 minimal proxy (EIP-1167 rewritten with `PUSH0`); the target is in the code.
    Eip7511,
    /// Gnosis Safe proxy: the singleton in slot 0.
    GnosisSafe,
    /// A `DELEGATECALL` to the address stored in `slot`, found by tracing the code.
    Delegatecall { slot: B256 },
}

impl fmt::Display for ProxyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProxyKind::Eip1967 { .. } => f.write_str("EIP-1967 proxy"),
            ProxyKind::Eip1967Beacon { beacon, .. } => {
                write!(f, "EIP-1967 beacon proxy (beacon {beacon})")
            }
            ProxyKind::Eip1822 => f.write_str("EIP-1822 (UUPS) proxy"),
            ProxyKind::Eip1167 => f.write_str("EIP-1167 minimal proxy"),
            ProxyKind::Eip7511 => f.write_str("EIP-7511 minimal proxy"),
            ProxyKind::GnosisSafe => f.write_str("Gnosis Safe proxy"),
            ProxyKind::Delegatecall { slot } => {
                write!(f, "DELEGATECALL forwarder (implementation in slot {slot})")
            }
        }
    }
}

/// One proxy on the way to the implementation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProxyHop {
    pub proxy: Address,
    pub kind: ProxyKind,
    /// The contract the proxy delegates to (itself possibly a proxy).
    pub target: Address,
}

/// Where an address leads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolution {
    /// The address asked about.
    pub address: Address,
    /// The block all reads were made at.
    pub block: u64,
    /// The proxies followed, from `address` on; empty when it is no proxy.
    pub hops: Vec<ProxyHop>,
    /// The contract whose code runs: the last target, or `address` itself.
    pub implementation: Address,
    /// Runtime code of `implementation`.
    pub implementation_code: Bytes,
    /// What could not be decided (a `DELEGATECALL` whose target could not be traced).
    pub notes: Vec<String>,
}

/// Why an address could not be resolved.
#[derive(Debug, thiserror::Error)]
pub enum ProxyError {
    #[error(transparent)]
    Chain(#[from] ChainError),
    /// No code where code is needed.
    #[error("no code at {address}: an externally owned account, or a self-destroyed contract{}",
        .referenced_by.map(|proxy| format!(" (the target of proxy {proxy})")).unwrap_or_default())]
    NoCode {
        address: Address,
        /// The proxy that points there, when it is not the address asked about.
        referenced_by: Option<Address>,
    },
    /// The proxies lead back to one already followed; `chain` ends with the repeated one.
    #[error("proxy loop: {}", path(.chain))]
    Loop { chain: Vec<Address> },
    /// More than `limit` proxies in a row.
    #[error("proxy chain longer than {limit} hops: {}", path(.chain))]
    TooDeep { limit: usize, chain: Vec<Address> },
    /// A beacon that does not name an implementation.
    #[error(
        "beacon {beacon} of proxy {proxy} does not answer implementation() with an address: {reason}"
    )]
    Beacon {
        proxy: Address,
        beacon: Address,
        reason: String,
    },
}

fn path(chain: &[Address]) -> String {
    chain
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" -> ")
}

/// Follows the proxies from `address` to the implementation, at most
/// [`DEFAULT_MAX_DEPTH`] hops.
pub fn resolve(
    reader: &dyn StateReader,
    address: Address,
    block: u64,
) -> Result<Resolution, ProxyError> {
    resolve_with_depth(reader, address, block, DEFAULT_MAX_DEPTH)
}

/// [`resolve`] with another hop limit.
pub fn resolve_with_depth(
    reader: &dyn StateReader,
    address: Address,
    block: u64,
    max_depth: usize,
) -> Result<Resolution, ProxyError> {
    let mut current = address;
    let mut code = reader.code(address, block)?;
    if code.is_empty() {
        return Err(ProxyError::NoCode {
            address,
            referenced_by: None,
        });
    }
    let mut chain = vec![address];
    let mut hops = Vec::new();
    let mut notes = Vec::new();
    while let Some(hop) = detect(reader, current, &code, block, &mut notes)? {
        let target = hop.target;
        chain.push(target);
        if chain[..chain.len() - 1].contains(&target) {
            return Err(ProxyError::Loop { chain });
        }
        if hops.len() >= max_depth {
            return Err(ProxyError::TooDeep {
                limit: max_depth,
                chain,
            });
        }
        code = reader.code(target, block)?;
        if code.is_empty() {
            return Err(ProxyError::NoCode {
                address: target,
                referenced_by: Some(current),
            });
        }
        hops.push(hop);
        current = target;
    }
    Ok(Resolution {
        address,
        block,
        hops,
        implementation: current,
        implementation_code: code,
        notes,
    })
}

/// The proxy hop at `address` (whose runtime code is `code`), if it is a proxy.
pub fn detect(
    reader: &dyn StateReader,
    address: Address,
    code: &[u8],
    block: u64,
    notes: &mut Vec<String>,
) -> Result<Option<ProxyHop>, ProxyError> {
    let hop = |kind, target| {
        Ok(Some(ProxyHop {
            proxy: address,
            kind,
            target,
        }))
    };
    if let Some(target) = parse_eip1167(code) {
        return hop(ProxyKind::Eip1167, target);
    }
    if let Some(target) = parse_eip7511(code) {
        return hop(ProxyKind::Eip7511, target);
    }
    let word = |slot: U256| -> Result<Option<Address>, ChainError> {
        reader
            .storage(address, slot, block)
            .map(|value| word_address(&value))
    };
    let admin = word(admin_slot())?;
    if let Some(target) = word(implementation_slot())? {
        return hop(ProxyKind::Eip1967 { admin }, target);
    }
    if let Some(beacon) = word(beacon_slot())? {
        let target = beacon_implementation(reader, address, beacon, block)?;
        return hop(ProxyKind::Eip1967Beacon { beacon, admin }, target);
    }
    if let Some(target) = word(proxiable_slot())? {
        return hop(ProxyKind::Eip1822, target);
    }
    let trace = trace_delegatecalls(code);
    if trace.delegatecalls == 0 {
        return Ok(None);
    }
    if let Some(target) = safe_singleton(reader, address, code, block)? {
        return hop(ProxyKind::GnosisSafe, target);
    }
    match (trace.slots.len(), trace.untraced) {
        (1, 0) => {
            let slot = trace.slots.iter().next().copied().unwrap_or_default();
            match word(slot)? {
                Some(target) => hop(
                    ProxyKind::Delegatecall {
                        slot: B256::from(slot),
                    },
                    target,
                ),
                None => {
                    notes.push(format!(
                        "{address} DELEGATECALLs to the address in slot {}, which holds no address",
                        B256::from(slot)
                    ));
                    Ok(None)
                }
            }
        }
        _ => {
            notes.push(format!(
                "{address} has {} DELEGATECALL{} whose target could not be traced to one storage slot: taken as no proxy",
                trace.delegatecalls,
                if trace.delegatecalls == 1 { "" } else { "s" }
            ));
            Ok(None)
        }
    }
}

/// The address in the low 20 bytes of a storage word whose high 12 bytes are zero; `None`
/// for zero or for a word that is no address.
fn word_address(word: &B256) -> Option<Address> {
    if word[..12].iter().any(|&byte| byte != 0) {
        return None;
    }
    let address = Address::from_slice(&word[12..]);
    (address != Address::ZERO).then_some(address)
}

/// The address a call answered with (one ABI word holding an address).
pub(crate) fn returned_address(data: &[u8]) -> Option<Address> {
    if data.len() < 32 {
        return None;
    }
    word_address(&B256::from_slice(&data[..32]))
}

fn beacon_implementation(
    reader: &dyn StateReader,
    proxy: Address,
    beacon: Address,
    block: u64,
) -> Result<Address, ProxyError> {
    let error = |reason: String| ProxyError::Beacon {
        proxy,
        beacon,
        reason,
    };
    if reader.code(beacon, block)?.is_empty() {
        return Err(error("the beacon has no code".into()));
    }
    match reader.call(beacon, &selector("implementation()"), block) {
        Ok(data) => returned_address(&data).ok_or_else(|| {
            error(format!(
                "answered {} bytes that are not an address",
                data.len()
            ))
        }),
        Err(ChainError::Rpc { message, .. }) => Err(error(message)),
        Err(other) => Err(other.into()),
    }
}

/// The EIP-1167 runtime `363d3d373d3d3d363d` `PUSHn <address>` `5af43d82803e903d9160`
/// `<dest>` `57fd5bf3`, with `n` from 1 to 20 and `dest` the offset of the `JUMPDEST`.
pub fn parse_eip1167(code: &[u8]) -> Option<Address> {
    const HEAD: [u8; 9] = [0x36, 0x3d, 0x3d, 0x37, 0x3d, 0x3d, 0x3d, 0x36, 0x3d];
    const MIDDLE: [u8; 10] = [0x5a, 0xf4, 0x3d, 0x82, 0x80, 0x3e, 0x90, 0x3d, 0x91, 0x60];
    const TAIL: [u8; 4] = [0x57, 0xfd, 0x5b, 0xf3];
    let rest = code.strip_prefix(&HEAD)?;
    let (&push, rest) = rest.split_first()?;
    if !(PUSH1..PUSH1 + 20).contains(&push) {
        return None;
    }
    let width = usize::from(push - PUSH1) + 1;
    if rest.len() != width + MIDDLE.len() + 1 + TAIL.len() {
        return None;
    }
    let (target, rest) = rest.split_at(width);
    let rest = rest.strip_prefix(&MIDDLE)?;
    let (&dest, rest) = rest.split_first()?;
    if rest != TAIL || usize::from(dest) != HEAD.len() + 1 + width + MIDDLE.len() + 3 {
        return None;
    }
    let mut padded = [0u8; 20];
    padded[20 - width..].copy_from_slice(target);
    Some(Address::from(padded))
}

/// The EIP-7511 runtime `365f5f375f5f365f73` `<address>` `5af43d5f5f3e5f3d91602a57fd5bf3`
/// (44 bytes).
pub fn parse_eip7511(code: &[u8]) -> Option<Address> {
    const HEAD: [u8; 9] = [0x36, 0x5f, 0x5f, 0x37, 0x5f, 0x5f, 0x36, 0x5f, 0x73];
    const TAIL: [u8; 15] = [
        0x5a, 0xf4, 0x3d, 0x5f, 0x5f, 0x3e, 0x5f, 0x3d, 0x91, 0x60, 0x2a, 0x57, 0xfd, 0x5b, 0xf3,
    ];
    let rest = code.strip_prefix(&HEAD)?;
    let target = rest.strip_suffix(&TAIL)?;
    (target.len() == 20).then(|| Address::from_slice(target))
}

/// The singleton of a Gnosis Safe proxy: slot 0 holds an address, and the proxy knows the
/// `masterCopy()` selector (in its code, or by answering the call with that address).
fn safe_singleton(
    reader: &dyn StateReader,
    address: Address,
    code: &[u8],
    block: u64,
) -> Result<Option<Address>, ChainError> {
    let Some(singleton) = word_address(&reader.storage(address, U256::ZERO, block)?) else {
        return Ok(None);
    };
    let master_copy = selector("masterCopy()");
    let in_code = evm::instructions(code).any(|ins| {
        (ins.op == PUSH1 + 3 && ins.immediate == master_copy)
            || (ins.op == PUSH32
                && ins.immediate.starts_with(&master_copy)
                && ins.immediate[4..].iter().all(|&byte| byte == 0))
    });
    if in_code {
        return Ok(Some(singleton));
    }
    match reader.call(address, &master_copy, block) {
        Ok(data) if returned_address(&data) == Some(singleton) => Ok(Some(singleton)),
        Ok(_) | Err(ChainError::Rpc { .. }) => Ok(None),
        Err(other) => Err(other),
    }
}

/// A value on the abstract stack.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Value {
    Unknown,
    Constant(U256),
    /// The word loaded from a constant slot (possibly masked to an address).
    Loaded(U256),
}

/// What the trace of a runtime code found.
#[derive(Debug, Default, PartialEq, Eq)]
struct Trace {
    /// `DELEGATECALL` instructions reached.
    delegatecalls: usize,
    /// Those whose target is not the word of a constant slot.
    untraced: usize,
    /// The constant slots the traced targets come from.
    slots: BTreeSet<U256>,
}

/// Paths followed from one jump destination before it is left alone.
const VISITS_PER_BLOCK: u32 = 8;
/// Instructions interpreted in all, whatever the code.
const STEP_LIMIT: usize = 200_000;

/// Follows every path of `code` from its start (both sides of each `JUMPI`, constant jump
/// targets only) on an abstract stack, and records where each `DELEGATECALL` target comes
/// from.
fn trace_delegatecalls(code: &[u8]) -> Trace {
    let program: Vec<evm::Instruction<'_>> = evm::instructions(code).collect();
    let index: HashMap<usize, usize> = program
        .iter()
        .enumerate()
        .filter(|(_, ins)| evm::starts_block(ins.op))
        .map(|(at, ins)| (ins.pc, at))
        .collect();
    let mut seen_calls: HashMap<usize, Option<U256>> = HashMap::new();
    let mut visits: HashMap<usize, u32> = HashMap::new();
    let mut work: Vec<(usize, Vec<Value>)> = vec![(0, Vec::new())];
    let mut steps = 0usize;
    let jump_target = |value: &Value| match value {
        Value::Constant(dest) => usize::try_from(*dest)
            .ok()
            .and_then(|pc| index.get(&pc).copied()),
        _ => None,
    };
    'paths: while let Some((start, mut stack)) = work.pop() {
        let mut at = start;
        while let Some(ins) = program.get(at) {
            steps += 1;
            if steps > STEP_LIMIT {
                break 'paths;
            }
            if evm::starts_block(ins.op) && at != start || at == start && start != 0 {
                let count = visits.entry(at).or_default();
                *count += 1;
                if *count > VISITS_PER_BLOCK {
                    continue 'paths;
                }
            }
            let Some((pops, _)) = evm::stack_effect(ins.op) else {
                continue 'paths;
            };
            if stack.len() < pops || stack.len() > 1024 {
                continue 'paths;
            }
            let top = stack.len().saturating_sub(1);
            match ins.op {
                PUSH0 => stack.push(Value::Constant(U256::ZERO)),
                op if (PUSH1..=PUSH32).contains(&op) => {
                    if ins.immediate.len() == evm::push_width(op) {
                        stack.push(Value::Constant(U256::from_be_slice(ins.immediate)));
                    } else {
                        stack.push(Value::Unknown);
                    }
                }
                0x80..=0x8f => {
                    let n = usize::from(ins.op - 0x80) + 1;
                    stack.push(stack[stack.len() - n].clone());
                }
                0x90..=0x9f => {
                    let n = usize::from(ins.op - 0x90) + 1;
                    stack.swap(top, top - n);
                }
                SLOAD => {
                    let loaded = match stack.pop() {
                        Some(Value::Constant(slot)) => Value::Loaded(slot),
                        _ => Value::Unknown,
                    };
                    stack.push(loaded);
                }
                0x16 => {
                    // AND with an address mask keeps the loaded word.
                    let (a, b) = (stack[top].clone(), stack[top - 1].clone());
                    stack.truncate(top - 1);
                    let mask = U256::MAX >> 96;
                    let kept = match (a, b) {
                        (Value::Loaded(slot), Value::Constant(m))
                        | (Value::Constant(m), Value::Loaded(slot))
                            if m & mask == mask =>
                        {
                            Value::Loaded(slot)
                        }
                        (Value::Constant(x), Value::Constant(y)) => Value::Constant(x & y),
                        _ => Value::Unknown,
                    };
                    stack.push(kept);
                }
                DELEGATECALL => {
                    let source = match &stack[top - 1] {
                        Value::Loaded(slot) => Some(*slot),
                        _ => None,
                    };
                    seen_calls
                        .entry(ins.pc)
                        .and_modify(|known| {
                            if *known != source {
                                *known = None;
                            }
                        })
                        .or_insert(source);
                    stack.truncate(stack.len() - 6);
                    stack.push(Value::Unknown);
                }
                0x56 => {
                    if let Some(target) = jump_target(&stack[top]) {
                        stack.pop();
                        work.push((target, stack));
                    }
                    continue 'paths;
                }
                0x57 => {
                    let target = jump_target(&stack[top]);
                    stack.truncate(top - 1);
                    if let Some(target) = target {
                        work.push((target, stack.clone()));
                    }
                }
                op => {
                    let (pops, pushes) = evm::stack_effect(op).unwrap_or((0, 0));
                    stack.truncate(stack.len() - pops);
                    stack.extend(std::iter::repeat_n(Value::Unknown, pushes));
                    if evm::ends_block(op) {
                        continue 'paths;
                    }
                }
            }
            at += 1;
        }
    }
    let mut trace = Trace {
        delegatecalls: seen_calls.len(),
        ..Trace::default()
    };
    // A DELEGATECALL the paths never reached still counts, untraced.
    let unreached = program
        .iter()
        .filter(|ins| ins.op == DELEGATECALL && !seen_calls.contains_key(&ins.pc))
        .count();
    trace.delegatecalls += unreached;
    trace.untraced += unreached;
    for source in seen_calls.values() {
        match source {
            Some(slot) => {
                trace.slots.insert(*slot);
            }
            None => trace.untraced += 1,
        }
    }
    trace
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word(hex: &str) -> U256 {
        U256::from_str_radix(hex.trim_start_matches("0x"), 16).unwrap()
    }

    #[test]
    fn slots_and_selectors_match_the_published_constants() {
        assert_eq!(
            implementation_slot(),
            word("0x360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc")
        );
        assert_eq!(
            admin_slot(),
            word("0xb53127684a568b3173ae13b9f8a6016e243e63b6e8ee1178d6a717850b5d6103")
        );
        assert_eq!(
            beacon_slot(),
            word("0xa3f0ad74e5423aebfd80d3ef4346578335a9a72aeaee59ff6cb3582b35133d50")
        );
        assert_eq!(
            proxiable_slot(),
            word("0xc5f16f0fcc639fa48a6947836d9850f504798523bf8c9a3a87d5876cf622bcf7")
        );
        assert_eq!(selector("implementation()"), [0x5c, 0x60, 0xda, 0x1b]);
        assert_eq!(selector("masterCopy()"), [0xa6, 0x19, 0x48, 0x6e]);
        assert_eq!(selector("owner()"), [0x8d, 0xa5, 0xcb, 0x5b]);
        assert_eq!(selector("getThreshold()"), [0xe7, 0x52, 0x35, 0xb8]);
    }

    fn minimal(width: usize, target: &[u8]) -> Vec<u8> {
        let mut code = vec![0x36, 0x3d, 0x3d, 0x37, 0x3d, 0x3d, 0x3d, 0x36, 0x3d];
        code.push(PUSH1 + (width as u8 - 1));
        code.extend_from_slice(target);
        code.extend_from_slice(&[0x5a, 0xf4, 0x3d, 0x82, 0x80, 0x3e, 0x90, 0x3d, 0x91, 0x60]);
        code.push((23 + width) as u8);
        code.extend_from_slice(&[0x57, 0xfd, 0x5b, 0xf3]);
        code
    }

    #[test]
    fn parses_minimal_proxies_of_every_push_width() {
        let standard = devnet_free_hex(
            "363d3d373d3d3d363d73bebebebebebebebebebebebebebebebebebebebe5af43d82803e903d91602b57fd5bf3",
        );
        assert_eq!(parse_eip1167(&standard), Some(Address::repeat_byte(0xbe)));
        let mut expected = [0u8; 20];
        expected[18] = 0x12;
        expected[19] = 0x34;
        assert_eq!(
            parse_eip1167(&minimal(2, &[0x12, 0x34])),
            Some(Address::from(expected))
        );
        // A wrong jump destination, a trailing byte, a cut-off code: not a minimal proxy.
        let mut wrong = minimal(2, &[0x12, 0x34]);
        let dest = wrong.len() - 5;
        wrong[dest] += 1;
        assert_eq!(parse_eip1167(&wrong), None);
        let mut longer = standard.clone();
        longer.push(0);
        assert_eq!(parse_eip1167(&longer), None);
        assert_eq!(parse_eip1167(&standard[..20]), None);
        assert_eq!(parse_eip1167(&[]), None);
        // EIP-7511, its runtime as the standard gives it.
        let push0 = devnet_free_hex(
            "365f5f375f5f365f73bebebebebebebebebebebebebebebebebebebebe5af43d5f5f3e5f3d91602a57fd5bf3",
        );
        assert_eq!(push0.len(), 44);
        assert_eq!(parse_eip7511(&push0), Some(Address::repeat_byte(0xbe)));
        assert_eq!(parse_eip1167(&push0), None);
        assert_eq!(parse_eip7511(&push0[..43]), None);
        assert_eq!(parse_eip7511(&standard), None);
    }

    fn devnet_free_hex(text: &str) -> Vec<u8> {
        (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn traces_a_delegatecall_target_to_its_slot() {
        // sload(0x2a) & mask, through an internal jump, then DELEGATECALL(gas, it, 0, cds, 0, 0).
        let code = devnet_free_hex(concat!(
            "602a54",                                       // PUSH1 2a SLOAD
            "73ffffffffffffffffffffffffffffffffffffffff16", // PUSH20 mask AND
            "600a56",                                       // PUSH1 0a JUMP  (pc 0x1a..)
        ));
        // Jump destination must be right: build the tail at its offset.
        let mut code = code;
        let dest = code.len();
        code[dest - 2] = dest as u8;
        code.extend(devnet_free_hex("5b5f5f365f845af400"));
        let trace = trace_delegatecalls(&code);
        assert_eq!(trace.delegatecalls, 1);
        assert_eq!(trace.untraced, 0);
        assert_eq!(trace.slots, BTreeSet::from([U256::from(0x2a)]));
    }

    #[test]
    fn an_untraceable_target_is_not_guessed() {
        // DELEGATECALL to an address from calldata.
        let code = devnet_free_hex("5f5f365f5f355af400");
        let trace = trace_delegatecalls(&code);
        assert_eq!((trace.delegatecalls, trace.untraced), (1, 1));
        assert!(trace.slots.is_empty());
        // A DELEGATECALL no path reaches (here: the stack is too short) counts as untraced.
        let trace = trace_delegatecalls(&devnet_free_hex("5f5f365f600154600257f4"));
        assert_eq!(trace.untraced, 1);
        // Garbage never panics.
        for code in [vec![0xf4], vec![0x90; 40], vec![0x7f, 1, 2], vec![0x56; 3]] {
            let _ = trace_delegatecalls(&code);
        }
    }

    #[test]
    fn random_code_never_panics_and_stays_bounded() {
        let mut rng = fastrand::Rng::with_seed(0x5eed);
        // Bytes biased towards the opcodes the trace interprets: pushes, stack moves,
        // jumps, SLOAD, AND, DELEGATECALL.
        let interesting = [
            0x5b, 0x56, 0x57, 0x54, 0x16, 0xf4, 0x80, 0x81, 0x90, 0x91, 0x5f, 0x60, 0x7f,
        ];
        for round in 0..2_000 {
            let len = rng.usize(0..if round % 100 == 0 { 24_576 } else { 300 });
            let code: Vec<u8> = (0..len)
                .map(|_| {
                    if rng.bool() {
                        interesting[rng.usize(0..interesting.len())]
                    } else {
                        rng.u8(..)
                    }
                })
                .collect();
            let trace = trace_delegatecalls(&code);
            assert!(trace.untraced <= trace.delegatecalls);
            let _ = parse_eip1167(&code);
        }
    }
}
