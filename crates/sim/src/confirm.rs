//! Confirming an access-control finding: call the suspicious entry point as a fresh,
//! unprivileged address with arguments chosen for an attack, and look for the effect.

use alloy_primitives::{Address, Bytes, U256, keccak256};
use chain::StateReader;

use crate::abi::{self, AbiType, Amount, Choices, Shape, Signature};
use crate::revert::selector;
use crate::simulate::{
    BlockEnvironment, CallRequest, CodeChange, Outcome, SimError, Status, StorageChange, run,
};
use crate::state::LazyState;

/// The suspicious entry point and the effect that would confirm the finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    pub entry: EntryPoint,
    pub effect: Effect,
}

impl Probe {
    /// A function named by its Solidity signature (from a source finding).
    pub fn signature(signature: impl Into<String>, effect: Effect) -> Probe {
        Probe {
            entry: EntryPoint::Signature(signature.into()),
            effect,
        }
    }

    /// A function known only by its selector (from a bytecode finding).
    pub fn selector(selector: [u8; 4], effect: Effect) -> Probe {
        Probe {
            entry: EntryPoint::Selector(selector),
            effect,
        }
    }
}

/// How the suspicious function is named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryPoint {
    /// `transferOwnership(address)`: arguments are chosen from the types.
    Signature(String),
    /// A bare selector: arguments are unknown, a few calldata shapes are tried.
    Selector([u8; 4]),
}

/// The state change that confirms the finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// A privileged storage word of the target changes: `slot` when known; otherwise any
    /// word that held the address `owner()` (or `admin()`, `getOwner()`) returns, or, when
    /// no such getter answers, any word that comes to hold the caller's address.
    PrivilegedWrite { slot: Option<U256> },
    /// Ether leaves the target.
    EtherOut,
    /// `SELFDESTRUCT` runs in the target.
    CodeDestroyed,
}

/// One call tried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// From 1.
    pub number: usize,
    /// The arguments, in words: `transferOwnership(address) with address = the caller`.
    pub description: String,
    pub caller: Address,
    pub calldata: Bytes,
}

/// Whether the simulation reproduced the finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The effect happened: `evidence` says what changed, `attempt` which call did it.
    Confirmed {
        evidence: String,
        attempt: Attempt,
        outcome: Box<Outcome>,
    },
    /// No attempt caused the effect; `reason` says what happened instead.
    NotReproduced {
        reason: String,
        attempts: Vec<Attempt>,
    },
}

/// Getters whose answer is taken as the privileged address.
const PRIVILEGE_GETTERS: [&str; 3] = ["owner()", "admin()", "getOwner()"];

/// The privileged address a getter returned before the call.
struct Privileged {
    getter: &'static str,
    address: Address,
}

pub(crate) fn confirm_with<R: StateReader + ?Sized>(
    state: &mut LazyState<'_, R>,
    env: &BlockEnvironment,
    target: Address,
    probe: &Probe,
) -> Result<Verdict, SimError> {
    let account = state.account(target)?;
    if account.code.is_empty() {
        return Err(SimError::NoCode {
            address: target,
            block: state.block(),
        });
    }
    let balance = account.balance;
    let attacker = fresh_address(state)?;
    let privileged = match probe.effect {
        Effect::PrivilegedWrite { .. } => read_privileged(state, env, attacker, target)?,
        _ => None,
    };
    let attempts = plan(&probe.entry, attacker, balance)?;
    let mut failures = Vec::new();
    for attempt in &attempts {
        let request = CallRequest {
            from: attacker,
            to: target,
            data: attempt.calldata.clone(),
            value: U256::ZERO,
            gas_limit: CallRequest::DEFAULT_GAS_LIMIT,
        };
        let outcome = run(state, env, &request)?;
        if let Status::Success { .. } = outcome.status
            && let Some(evidence) = find_effect(
                &outcome,
                probe.effect,
                target,
                attacker,
                privileged.as_ref(),
            )
        {
            return Ok(Verdict::Confirmed {
                evidence,
                attempt: attempt.clone(),
                outcome: Box::new(outcome),
            });
        }
        failures.push(match &outcome.status {
            Status::Reverted { reason, .. } => format!("reverted with {reason}"),
            Status::Halted { reason } => format!("halted ({reason})"),
            Status::Success { .. } => format!("succeeded without {}", probe.effect.noun()),
        });
    }
    let mut reason = summarize(&failures, &attempts);
    if matches!(probe.effect, Effect::EtherOut | Effect::CodeDestroyed) && balance.is_zero() {
        reason = format!(
            "the contract holds no ether at block {}; {reason}",
            state.block()
        );
    }
    Ok(Verdict::NotReproduced { reason, attempts })
}

impl Effect {
    fn noun(self) -> &'static str {
        match self {
            Effect::PrivilegedWrite { slot: Some(_) } => "changing the privileged slot",
            Effect::PrivilegedWrite { slot: None } => "changing a privileged storage word",
            Effect::EtherOut => "ether leaving the contract",
            Effect::CodeDestroyed => "running SELFDESTRUCT",
        }
    }
}

fn summarize(failures: &[String], attempts: &[Attempt]) -> String {
    let Some(first) = failures.first() else {
        return "no attempt was made".into();
    };
    if failures.iter().all(|failure| failure == first) {
        let every = if failures.len() == 1 {
            "on the only attempt".to_string()
        } else {
            format!("on every attempt ({})", failures.len())
        };
        return format!("{first} {every}");
    }
    failures
        .iter()
        .zip(attempts)
        .map(|(failure, attempt)| {
            format!(
                "attempt {} ({}): {failure}",
                attempt.number, attempt.description
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// An address with no code, no nonce and no ether at the block.
fn fresh_address<R: StateReader + ?Sized>(
    state: &mut LazyState<'_, R>,
) -> Result<Address, SimError> {
    let mut last = Address::ZERO;
    for index in 0..8u32 {
        let seed = keccak256(format!("web3audit simulated caller {index}"));
        let candidate = Address::from_slice(&seed[12..]);
        let account = state.account(candidate)?;
        if account.code.is_empty() && account.nonce == 0 && account.balance.is_zero() {
            return Ok(candidate);
        }
        last = candidate;
    }
    // Eight used candidates out of 2^160 means the reader is lying; use the last one.
    Ok(last)
}

fn read_privileged<R: StateReader + ?Sized>(
    state: &mut LazyState<'_, R>,
    env: &BlockEnvironment,
    caller: Address,
    target: Address,
) -> Result<Option<Privileged>, SimError> {
    for getter in PRIVILEGE_GETTERS {
        let request = CallRequest {
            from: caller,
            to: target,
            data: Bytes::copy_from_slice(&selector(getter)),
            value: U256::ZERO,
            gas_limit: CallRequest::DEFAULT_GAS_LIMIT,
        };
        let outcome = run(state, env, &request)?;
        if let Status::Success { output } = &outcome.status
            && output.len() == 32
            && output[..12].iter().all(|b| *b == 0)
            && output[12..].iter().any(|b| *b != 0)
        {
            return Ok(Some(Privileged {
                getter,
                address: Address::from_slice(&output[12..]),
            }));
        }
    }
    Ok(None)
}

/// The calls to try, in order.
fn plan(entry: &EntryPoint, attacker: Address, balance: U256) -> Result<Vec<Attempt>, SimError> {
    let mut calls: Vec<(String, Vec<u8>)> = Vec::new();
    match entry {
        EntryPoint::Signature(text) => {
            let signature = Signature::parse(text)?;
            for amount in abi::amounts_for(&signature) {
                let choices = Choices {
                    attacker,
                    balance,
                    amount: *amount,
                };
                let data = abi::encode_call(&signature, &choices);
                calls.push((describe_arguments(&signature, *amount, balance), data));
            }
        }
        EntryPoint::Selector(selector) => {
            for shape in Shape::ALL {
                let data = shape.encode(*selector, attacker, balance);
                let description = format!(
                    "selector 0x{} with {}",
                    alloy_primitives::hex::encode(selector),
                    shape.describe()
                );
                calls.push((description, data));
            }
        }
    }
    // The same calldata twice (a zero balance equals no amount, …) is tried once.
    let mut attempts: Vec<Attempt> = Vec::new();
    for (description, data) in calls {
        if attempts
            .iter()
            .any(|a| a.calldata.as_ref() == data.as_slice())
        {
            continue;
        }
        attempts.push(Attempt {
            number: attempts.len() + 1,
            description,
            caller: attacker,
            calldata: Bytes::from(data),
        });
    }
    Ok(attempts)
}

fn describe_arguments(signature: &Signature, amount: Amount, balance: U256) -> String {
    fn kinds(ty: &AbiType, out: &mut Vec<&'static str>) {
        let kind = match ty {
            AbiType::Address => "address",
            AbiType::Uint(_) | AbiType::Int(_) => "number",
            AbiType::Bool => "bool",
            AbiType::FixedBytes(_) => "bytesN",
            AbiType::Bytes | AbiType::String => "bytes",
            AbiType::Array(inner) | AbiType::FixedArray(inner, _) => {
                if matches!(ty, AbiType::Array(_)) && !out.contains(&"array") {
                    out.push("array");
                }
                return kinds(inner, out);
            }
            AbiType::Tuple(items) => {
                for item in items {
                    kinds(item, out);
                }
                return;
            }
        };
        if !out.contains(&kind) {
            out.push(kind);
        }
    }
    let mut found = Vec::new();
    for param in &signature.params {
        kinds(param, &mut found);
    }
    let mut parts = Vec::new();
    for kind in found {
        parts.push(match kind {
            "address" => "address = the caller".to_string(),
            "number" => match amount {
                Amount::ContractBalance => {
                    format!("number = the contract's balance ({balance} wei)")
                }
                other => format!("number = {}", other.describe()),
            },
            "bool" => "bool = true".into(),
            "bytesN" => "bytesN = zero".into(),
            "bytes" => "bytes and strings empty".into(),
            _ => "dynamic arrays of one element".into(),
        });
    }
    if parts.is_empty() {
        signature.canonical()
    } else {
        format!("{} with {}", signature.canonical(), parts.join(", "))
    }
}

fn find_effect(
    outcome: &Outcome,
    effect: Effect,
    target: Address,
    attacker: Address,
    privileged: Option<&Privileged>,
) -> Option<String> {
    let label = |address: Address| -> String {
        if address == attacker {
            format!("{address} (unprivileged caller)")
        } else if let Some(p) = privileged.filter(|p| p.address == address) {
            format!("{address} ({} before the call)", p.getter)
        } else if address.is_zero() {
            format!("{address} (zero)")
        } else {
            address.to_string()
        }
    };
    match effect {
        Effect::PrivilegedWrite { slot } => {
            let changes = outcome
                .storage_changes
                .iter()
                .filter(|c| c.account == target && c.before != c.after);
            for change in changes {
                if let Some(slot) = slot {
                    if change.slot == slot {
                        return Some(describe_slot_change(change, None, &label));
                    }
                    continue;
                }
                if let Some(p) = privileged {
                    if let Some(offset) = address_offset(change.before, p.address)
                        && address_at(change.after, offset) != p.address
                    {
                        return Some(describe_slot_change(change, Some(offset), &label));
                    }
                } else if let Some(offset) = address_offset(change.after, attacker)
                    && address_at(change.before, offset) != attacker
                {
                    return Some(format!(
                        "{} (no owner(), admin() or getOwner() answered)",
                        describe_slot_change(change, Some(offset), &label)
                    ));
                }
            }
            None
        }
        Effect::EtherOut => {
            let change = outcome.balance_change(target)?;
            if change.after >= change.before {
                return None;
            }
            let amount = change.before - change.after;
            // The caller's fee is added back: it gained ether if it ends above its
            // start less the gas it paid.
            let receivers: Vec<Address> = outcome
                .balance_changes
                .iter()
                .filter(|c| {
                    let fee = if c.account == attacker {
                        outcome.fee()
                    } else {
                        U256::ZERO
                    };
                    c.account != target && c.after.saturating_add(fee) > c.before
                })
                .map(|c| c.account)
                .collect();
            let to = if receivers.contains(&attacker) {
                "to the caller".to_string()
            } else if receivers.is_empty() {
                "(burnt or paid as fees)".to_string()
            } else {
                let names: Vec<String> = receivers.iter().map(|a| label(*a)).collect();
                format!("to {}", names.join(", "))
            };
            Some(format!(
                "{} ({amount} wei) left the contract {to}",
                format_ether(amount)
            ))
        }
        Effect::CodeDestroyed => outcome.code_changes.iter().find_map(|change| match change {
            CodeChange::SelfDestruct {
                account,
                beneficiary,
                value,
                removed,
            } if *account == target => {
                let code = if *removed {
                    "the code was removed"
                } else {
                    "the code stays (since Cancun SELFDESTRUCT only removes contracts created in the same transaction)"
                };
                Some(format!(
                    "SELFDESTRUCT ran in the contract, sending {} ({value} wei) to {}; {code}",
                    format_ether(*value),
                    label(*beneficiary)
                ))
            }
            _ => None,
        }),
    }
}

/// The byte offset (from the left, 0..=12) at which `word` holds `address`.
fn address_offset(word: U256, address: Address) -> Option<usize> {
    let bytes = word.to_be_bytes::<32>();
    // Right-aligned first: that is where a lone address lives.
    (0..=12)
        .rev()
        .find(|offset| bytes[*offset..offset + 20] == address[..])
}

fn address_at(word: U256, offset: usize) -> Address {
    let bytes = word.to_be_bytes::<32>();
    Address::from_slice(&bytes[offset..offset + 20])
}

fn describe_slot_change(
    change: &StorageChange,
    offset: Option<usize>,
    label: &dyn Fn(Address) -> String,
) -> String {
    let offset = offset.or_else(|| {
        // A known slot: describe it as an address when both values are address-sized.
        let sized = |w: U256| w.to_be_bytes::<32>()[..12].iter().all(|b| *b == 0);
        (sized(change.before) && sized(change.after)).then_some(12)
    });
    match offset {
        Some(12) => format!(
            "slot {:#x} changed from {} to {}",
            change.slot,
            label(address_at(change.before, 12)),
            label(address_at(change.after, 12))
        ),
        Some(offset) => format!(
            "slot {:#x} changed: the address in bytes {}..{} went from {} to {}",
            change.slot,
            offset,
            offset + 20,
            label(address_at(change.before, offset)),
            label(address_at(change.after, offset))
        ),
        None => format!(
            "slot {:#x} changed from {:#066x} to {:#066x}",
            change.slot, change.before, change.after
        ),
    }
}

/// Wei as ether, exactly: `1.5 ETH`, `0.000000000000000001 ETH`.
pub(crate) fn format_ether(wei: U256) -> String {
    let unit = U256::from(10u64).pow(U256::from(18));
    let whole = wei / unit;
    let fraction = wei % unit;
    if fraction.is_zero() {
        return format!("{whole} ETH");
    }
    let digits = format!("{fraction:0>18}");
    format!("{whole}.{} ETH", digits.trim_end_matches('0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ether_is_formatted_exactly() {
        let eth = |wei: u128| format_ether(U256::from(wei));
        assert_eq!(eth(1_500_000_000_000_000_000), "1.5 ETH");
        assert_eq!(eth(2_000_000_000_000_000_000), "2 ETH");
        assert_eq!(eth(1), "0.000000000000000001 ETH");
        assert_eq!(eth(0), "0 ETH");
    }

    #[test]
    fn addresses_are_found_in_packed_words() {
        let admin = Address::repeat_byte(0x11);
        let mut bytes = [0u8; 32];
        bytes[4..24].copy_from_slice(admin.as_slice());
        bytes[31] = 3;
        let word = U256::from_be_bytes(bytes);
        assert_eq!(address_offset(word, admin), Some(4));
        assert_eq!(address_at(word, 4), admin);
        let lone = U256::from_be_bytes(abi::address_word(admin));
        assert_eq!(address_offset(lone, admin), Some(12));
        assert_eq!(address_offset(U256::from(3), admin), None);
    }

    #[test]
    fn a_repeated_failure_is_said_once() {
        let attempts: Vec<Attempt> = (1..=3)
            .map(|number| Attempt {
                number,
                description: format!("shape {number}"),
                caller: Address::ZERO,
                calldata: Bytes::new(),
            })
            .collect();
        let same = vec!["reverted with \"no\"".to_string(); 3];
        assert_eq!(
            summarize(&same, &attempts),
            "reverted with \"no\" on every attempt (3)"
        );
        let mixed = vec![
            "reverted with \"no\"".to_string(),
            "succeeded without ether leaving the contract".to_string(),
        ];
        assert_eq!(
            summarize(&mixed, &attempts),
            "attempt 1 (shape 1): reverted with \"no\"; attempt 2 (shape 2): succeeded without ether leaving the contract"
        );
    }
}
