//! Who can replace the code behind a proxy, and what kind of account that is.
//!
//! For each hop of a [`Resolution`]: the EIP-1967 admin (and, when the admin is a
//! ProxyAdmin-like contract, its `owner()`); for UUPS proxies the `owner()` answered through
//! the proxy (the implementation's code on the proxy's storage); for beacon proxies the
//! beacon's `owner()`; for Safe proxies the Safe itself. Each controller is classified: an
//! externally owned account (no code), a Safe-style multisig (`getThreshold()`,
//! `getOwners()`), a timelock (`getMinDelay()` or `delay()`), another contract, or the zero
//! address (renounced). An EOA in control is the finding `upgradeable-by-eoa`.

use std::fmt;

use alloy_primitives::{Address, U256};

use crate::proxy::{ProxyHop, ProxyKind, Resolution, returned_address, selector};
use crate::{ChainError, StateReader};

/// How far `owner()` is followed from one contract to the next.
const OWNER_DEPTH: usize = 3;
/// Owners read from a multisig at most.
const MAX_OWNERS: usize = 256;

/// How a proxy's implementation is replaced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UpgradeMechanism {
    /// The EIP-1967 admin calls the proxy's upgrade functions.
    Eip1967Admin { admin: Address },
    /// The implementation upgrades the proxy (UUPS); the controller is its `owner()`.
    Uups,
    /// Whoever may change the beacon's implementation: its `owner()`.
    Beacon { beacon: Address },
    /// A Safe changes its singleton by a transaction of its own owners.
    SafeOwners,
    /// The target is fixed in the code (EIP-1167): no upgrade.
    Immutable,
    /// No upgrade path could be established (no admin, no `owner()`, or a forwarder that
    /// follows no standard).
    Unknown { reason: String },
}

/// What kind of account a controller is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ControllerKind {
    /// No code (or an EIP-7702 delegation, still one key).
    Eoa,
    /// A Safe-style multisig: `threshold` of `owners` must sign.
    Multisig {
        threshold: u64,
        owners: Vec<Address>,
    },
    /// A timelock: changes wait `min_delay` seconds.
    Timelock { min_delay: u64 },
    /// A contract of no recognised kind.
    Contract,
    /// The zero address: nobody.
    Renounced,
}

/// The account in control, and the contracts in between.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Controller {
    pub address: Address,
    pub kind: ControllerKind,
    /// Contracts passed through on the way, outermost first: a ProxyAdmin whose `owner()`
    /// `address` is.
    pub via: Vec<Address>,
}

/// Who can upgrade one proxy of the chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UpgradeControl {
    pub proxy: Address,
    pub mechanism: UpgradeMechanism,
    /// `None` when there is no upgrade or nobody could be found.
    pub controller: Option<Controller>,
}

/// How bad a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Informational,
    Low,
    Medium,
    High,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Informational => "informational",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
        }
    }
}

/// A finding about deployed contracts (not tied to a source line).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainFinding {
    /// Detector id, e.g. `upgradeable-by-eoa`.
    pub id: &'static str,
    pub severity: Severity,
    pub message: String,
    /// The addresses involved, proxy first, controller last.
    pub addresses: Vec<Address>,
}

/// Id of the finding for a proxy whose upgrades one externally owned account controls.
pub const UPGRADEABLE_BY_EOA: &str = "upgradeable-by-eoa";

/// The upgrade control of every hop of `resolution`.
pub fn upgrade_controls(
    reader: &dyn StateReader,
    resolution: &Resolution,
) -> Result<Vec<UpgradeControl>, ChainError> {
    let block = resolution.block;
    let mut out = Vec::new();
    for hop in &resolution.hops {
        out.extend(hop_controls(reader, hop, block)?);
    }
    Ok(out)
}

fn hop_controls(
    reader: &dyn StateReader,
    hop: &ProxyHop,
    block: u64,
) -> Result<Vec<UpgradeControl>, ChainError> {
    let proxy = hop.proxy;
    let control = |mechanism, controller| UpgradeControl {
        proxy,
        mechanism,
        controller,
    };
    let admin_control = |admin: Address| -> Result<UpgradeControl, ChainError> {
        Ok(control(
            UpgradeMechanism::Eip1967Admin { admin },
            Some(classify(reader, admin, block)?),
        ))
    };
    Ok(match &hop.kind {
        ProxyKind::Eip1967 { admin: Some(admin) } => vec![admin_control(*admin)?],
        ProxyKind::Eip1967 { admin: None } | ProxyKind::Eip1822 => {
            vec![uups_control(reader, hop, block)?]
        }
        ProxyKind::Eip1967Beacon { beacon, admin } => {
            let mut controls = Vec::new();
            if let Some(admin) = admin {
                controls.push(admin_control(*admin)?);
            }
            let controller = match owner_of(reader, *beacon, block)? {
                Some(owner) => {
                    let mut controller = classify(reader, owner, block)?;
                    controller.via.insert(0, *beacon);
                    Some(controller)
                }
                None => None,
            };
            let mechanism = if controller.is_some() {
                UpgradeMechanism::Beacon { beacon: *beacon }
            } else {
                UpgradeMechanism::Unknown {
                    reason: format!("the beacon {beacon} answers no owner()"),
                }
            };
            controls.push(control(mechanism, controller));
            controls
        }
        ProxyKind::Eip1167 | ProxyKind::Eip7511 => {
            vec![control(UpgradeMechanism::Immutable, None)]
        }
        ProxyKind::GnosisSafe => vec![control(
            UpgradeMechanism::SafeOwners,
            Some(classify(reader, proxy, block)?),
        )],
        ProxyKind::Delegatecall { slot } => vec![control(
            UpgradeMechanism::Unknown {
                reason: format!(
                    "a non-standard forwarder (implementation in slot {slot}): what may write that slot is not known"
                ),
            },
            None,
        )],
    })
}

/// UUPS: the implementation carries the upgrade function, guarded (usually) by `owner()`,
/// which is asked through the proxy because the proxy holds the state.
fn uups_control(
    reader: &dyn StateReader,
    hop: &ProxyHop,
    block: u64,
) -> Result<UpgradeControl, ChainError> {
    let code = reader.code(hop.target, block)?;
    let upgrade_selectors = [
        selector("upgradeToAndCall(address,bytes)"),
        selector("upgradeTo(address)"),
    ];
    let can_upgrade = crate::evm::instructions(&code).any(|ins| {
        ins.op == crate::evm::PUSH1 + 3 && upgrade_selectors.iter().any(|s| ins.immediate == s)
    });
    let (mechanism, controller) = if !can_upgrade {
        (
            UpgradeMechanism::Unknown {
                reason: format!(
                    "no admin is set and the implementation {} has no upgradeTo/upgradeToAndCall",
                    hop.target
                ),
            },
            None,
        )
    } else {
        match owner_of(reader, hop.proxy, block)? {
            Some(owner) => (
                UpgradeMechanism::Uups,
                Some(classify(reader, owner, block)?),
            ),
            None => (
                UpgradeMechanism::Unknown {
                    reason: format!(
                        "the implementation {} can upgrade the proxy but answers no owner(): its guard is not known",
                        hop.target
                    ),
                },
                None,
            ),
        }
    };
    Ok(UpgradeControl {
        proxy: hop.proxy,
        mechanism,
        controller,
    })
}

/// Classifies `address`, following `owner()` through ProxyAdmin-like contracts.
pub fn classify(
    reader: &dyn StateReader,
    address: Address,
    block: u64,
) -> Result<Controller, ChainError> {
    let mut via = Vec::new();
    let mut current = address;
    loop {
        let kind = classify_one(reader, current, block)?;
        if kind == ControllerKind::Contract
            && via.len() < OWNER_DEPTH
            && !via.contains(&current)
            && let Some(owner) = owner_of_or_zero(reader, current, block)?
        {
            via.push(current);
            current = owner;
            continue;
        }
        return Ok(Controller {
            address: current,
            kind,
            via,
        });
    }
}

fn classify_one(
    reader: &dyn StateReader,
    address: Address,
    block: u64,
) -> Result<ControllerKind, ChainError> {
    if address == Address::ZERO {
        return Ok(ControllerKind::Renounced);
    }
    let code = reader.code(address, block)?;
    if code.is_empty() || (code.len() == 23 && code.starts_with(&[0xef, 0x01, 0x00])) {
        return Ok(ControllerKind::Eoa);
    }
    if let Some(threshold) = call_u64(reader, address, "getThreshold()", block)?
        && let Some(data) = call(reader, address, "getOwners()", block)?
        && let Some(owners) = decode_addresses(&data)
    {
        return Ok(ControllerKind::Multisig { threshold, owners });
    }
    for getter in ["getMinDelay()", "delay()"] {
        if let Some(min_delay) = call_u64(reader, address, getter, block)? {
            return Ok(ControllerKind::Timelock { min_delay });
        }
    }
    Ok(ControllerKind::Contract)
}

/// `owner()` of `address` when it answers with a non-zero address.
fn owner_of(
    reader: &dyn StateReader,
    address: Address,
    block: u64,
) -> Result<Option<Address>, ChainError> {
    Ok(owner_of_or_zero(reader, address, block)?.filter(|owner| *owner != Address::ZERO))
}

/// `owner()` of `address` when it answers with an address (zero included: renounced).
fn owner_of_or_zero(
    reader: &dyn StateReader,
    address: Address,
    block: u64,
) -> Result<Option<Address>, ChainError> {
    let Some(data) = call(reader, address, "owner()", block)? else {
        return Ok(None);
    };
    if data.len() < 32 || data[..12].iter().any(|&byte| byte != 0) {
        return Ok(None);
    }
    Ok(Some(returned_address(&data).unwrap_or(Address::ZERO)))
}

/// A call with no arguments; `None` when it reverts (the node's JSON-RPC error).
fn call(
    reader: &dyn StateReader,
    to: Address,
    signature: &str,
    block: u64,
) -> Result<Option<Vec<u8>>, ChainError> {
    match reader.call(to, &selector(signature), block) {
        Ok(data) => Ok(Some(data.to_vec())),
        Err(ChainError::Rpc { .. }) => Ok(None),
        Err(other) => Err(other),
    }
}

fn call_u64(
    reader: &dyn StateReader,
    to: Address,
    signature: &str,
    block: u64,
) -> Result<Option<u64>, ChainError> {
    let Some(data) = call(reader, to, signature, block)? else {
        return Ok(None);
    };
    if data.len() < 32 {
        return Ok(None);
    }
    Ok(u64::try_from(U256::from_be_slice(&data[..32])).ok())
}

/// An ABI-encoded `address[]` return value.
fn decode_addresses(data: &[u8]) -> Option<Vec<Address>> {
    let word = |at: usize| -> Option<usize> {
        let bytes = data.get(at..at.checked_add(32)?)?;
        usize::try_from(U256::from_be_slice(bytes)).ok()
    };
    let offset = word(0)?;
    let length = word(offset)?;
    if length > MAX_OWNERS {
        return None;
    }
    (0..length)
        .map(|i| {
            let at = offset.checked_add(32)?.checked_add(i.checked_mul(32)?)?;
            let bytes = data.get(at..at.checked_add(32)?)?;
            bytes[..12]
                .iter()
                .all(|&byte| byte == 0)
                .then(|| Address::from_slice(&bytes[12..]))
        })
        .collect()
}

/// The findings of the controls: `upgradeable-by-eoa` for each one an EOA holds.
pub fn findings(controls: &[UpgradeControl]) -> Vec<ChainFinding> {
    controls
        .iter()
        .filter_map(|control| {
            let controller = control.controller.as_ref()?;
            if controller.kind != ControllerKind::Eoa {
                return None;
            }
            let mut addresses = vec![control.proxy];
            addresses.extend(&controller.via);
            addresses.push(controller.address);
            Some(ChainFinding {
                id: UPGRADEABLE_BY_EOA,
                severity: Severity::High,
                message: format!(
                    "the code behind proxy {} can be replaced by the externally owned account {}{} ({}): one key, no delay, no second signature",
                    control.proxy,
                    controller.address,
                    through(&controller.via),
                    control.mechanism,
                ),
                addresses,
            })
        })
        .collect()
}

fn through(via: &[Address]) -> String {
    if via.is_empty() {
        String::new()
    } else {
        let names: Vec<String> = via.iter().map(ToString::to_string).collect();
        format!(" through {}", names.join(" -> "))
    }
}

impl fmt::Display for UpgradeMechanism {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UpgradeMechanism::Eip1967Admin { admin } => write!(f, "EIP-1967 admin {admin}"),
            UpgradeMechanism::Uups => f.write_str("UUPS: the implementation's owner()"),
            UpgradeMechanism::Beacon { beacon } => write!(f, "owner() of beacon {beacon}"),
            UpgradeMechanism::SafeOwners => f.write_str("the Safe's own owners"),
            UpgradeMechanism::Immutable => f.write_str("no upgrade: the target is in the code"),
            UpgradeMechanism::Unknown { reason } => write!(f, "unknown: {reason}"),
        }
    }
}

impl fmt::Display for ControllerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ControllerKind::Eoa => f.write_str("an externally owned account (one key)"),
            ControllerKind::Multisig { threshold, owners } => write!(
                f,
                "a multisig needing {threshold} of {} signatures",
                owners.len()
            ),
            ControllerKind::Timelock { min_delay } => {
                write!(f, "a timelock with a delay of {min_delay} s")
            }
            ControllerKind::Contract => f.write_str("a contract of unknown kind"),
            ControllerKind::Renounced => f.write_str("nobody (the zero address: renounced)"),
        }
    }
}

impl fmt::Display for UpgradeControl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "proxy {}: upgraded by {}", self.proxy, self.mechanism)?;
        match &self.controller {
            Some(controller) => write!(
                f,
                "; controlled by {}{}: {}",
                controller.address,
                through(&controller.via),
                controller.kind
            ),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word(value: usize) -> Vec<u8> {
        U256::from(value).to_be_bytes::<32>().to_vec()
    }

    #[test]
    fn decodes_address_arrays_and_rejects_bad_ones() {
        let mut data = word(32);
        data.extend(word(2));
        data.extend(address_word(Address::repeat_byte(1)));
        data.extend(address_word(Address::repeat_byte(2)));
        assert_eq!(
            decode_addresses(&data),
            Some(vec![Address::repeat_byte(1), Address::repeat_byte(2)])
        );
        assert_eq!(decode_addresses(&data[..96]), None);
        let mut huge = word(32);
        huge.extend(word(usize::MAX));
        assert_eq!(decode_addresses(&huge), None);
        assert_eq!(decode_addresses(&word(1 << 40)), None);
    }

    fn address_word(address: Address) -> Vec<u8> {
        let mut out = vec![0u8; 12];
        out.extend_from_slice(address.as_slice());
        out
    }

    #[test]
    fn an_eoa_controller_is_a_high_finding_naming_the_addresses() {
        let proxy = Address::repeat_byte(0xaa);
        let admin = Address::repeat_byte(0xbb);
        let key = Address::repeat_byte(0xcc);
        let controls = vec![
            UpgradeControl {
                proxy,
                mechanism: UpgradeMechanism::Eip1967Admin { admin },
                controller: Some(Controller {
                    address: key,
                    kind: ControllerKind::Eoa,
                    via: vec![admin],
                }),
            },
            UpgradeControl {
                proxy,
                mechanism: UpgradeMechanism::Immutable,
                controller: None,
            },
            UpgradeControl {
                proxy,
                mechanism: UpgradeMechanism::SafeOwners,
                controller: Some(Controller {
                    address: proxy,
                    kind: ControllerKind::Multisig {
                        threshold: 2,
                        owners: vec![admin, key],
                    },
                    via: vec![],
                }),
            },
        ];
        let found = findings(&controls);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].id, "upgradeable-by-eoa");
        assert_eq!(found[0].severity, Severity::High);
        assert_eq!(found[0].addresses, vec![proxy, admin, key]);
        assert!(found[0].message.contains(&key.to_string()));
        assert!(controls[2].to_string().contains("2 of 2 signatures"));
    }
}
