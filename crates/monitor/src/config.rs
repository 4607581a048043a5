//! The monitor file: monitors, their contracts and rules, as written by people (TOML).
//!
//! ```toml
//! [lists]
//! allow_list = ["0x1111111111111111111111111111111111111111"]
//!
//! [[monitors]]
//! name = "vault"
//! chain_id = 31337
//! rpc = ["http://127.0.0.1:8545"]
//! confirmations = 2
//!
//! [[monitors.contracts]]
//! name = "Vault"
//! address = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
//! abi = "abi/Vault.json"            # or abi_json = '[...]', or signatures = ["function …"]
//!
//! [[monitors.rules]]
//! name = "owner-changed"
//! kind = "event"
//! contract = "Vault"
//! event = "OwnershipTransferred(address indexed previousOwner, address indexed newOwner)"
//! when = "newOwner not in allow_list"
//! level = "critical"
//! ```
//!
//! The raw file ([`MonitorFile`]) is what serde reads and what `monitor suggest` writes;
//! loading checks it and compiles every rule ([`crate::rules`]).

use serde::{Deserialize, Serialize};

/// The whole file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MonitorFile {
    /// Named lists of values (addresses, numbers) conditions can use with `in`.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub lists: std::collections::BTreeMap<String, Vec<toml::Value>>,
    #[serde(default)]
    pub monitors: Vec<MonitorSpec>,
}

/// `[[monitors]]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MonitorSpec {
    pub name: String,
    /// The tenant whose alerts and incidents these are (service only; `default` otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
    pub chain_id: u64,
    /// JSON-RPC endpoints, tried in order (failover).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rpc: Vec<String>,
    /// Blocks behind the head a block must be before it is processed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmations: Option<u64>,
    /// The first block to process when no checkpoint exists: a number, or `latest`
    /// (the default: the confirmed head at the first start).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_block: Option<toml::Value>,
    /// How often the head is polled while caught up (`500ms`, `2s`); default 1 second.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub poll_interval: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub contracts: Vec<ContractSpec>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<RuleSpec>,
}

/// `[[monitors.contracts]]`: a watched address and, optionally, its interface.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContractSpec {
    pub name: String,
    pub address: String,
    /// Path to a JSON ABI (a bare array, or an artifact with an `abi` key), relative to
    /// the monitor file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub abi: Option<String>,
    /// The JSON ABI inline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub abi_json: Option<String>,
    /// Human-readable signatures (`function transfer(address to, uint256 amount)`,
    /// `event Transfer(address indexed from, address indexed to, uint256 value)`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub signatures: Vec<String>,
}

/// `[[monitors.rules]]`: common fields, then the parameters of its kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    pub name: String,
    pub kind: RuleKind,
    /// `critical`, `high`, `medium` or `low`.
    pub level: String,
    /// The contract (by name) the rule watches; every contract of the monitor when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contract: Option<String>,
    /// A condition in the condition language; the rule fires only where it holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<String>,
    /// While an alert of this rule is open and younger than this (`10m`, `0s`), new
    /// firings fold into it. Default 10 minutes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cooldown: Option<String>,
    /// Why the rule exists, shown in alerts (written by `monitor suggest`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `call`, `call_burst`: a signature (`transferOwnership(address newOwner)`, with or
    /// without `function`) or a name the contract's ABI defines.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function: Option<String>,
    /// `call`: a 4-byte selector (`0xf2fde38b`) instead of `function` (no decoded arguments).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selector: Option<String>,
    /// `event`: a signature or a name the contract's ABI defines.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
    /// `balance_drop`: `native` (the default) or an ERC-20 token address; the watched
    /// contract's balance of it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asset: Option<String>,
    /// `balance_drop`, `supply_change`: the change in percent that fires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub percent: Option<f64>,
    /// `balance_drop`, `supply_change`, `gas_price`, `failed_share`: the window in blocks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blocks: Option<u64>,
    /// `gas_price`: the factor over the rolling median that fires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub factor: Option<f64>,
    /// `failed_share`: the share (0..1) of failed transactions that fires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub share: Option<f64>,
    /// `failed_share`, `call_burst`: the fewest transactions (calls) that can fire.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_count: Option<u64>,
    /// `flash_loan`: the smallest borrowed amount (token units, e.g. `"1e24"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_amount: Option<String>,
    /// `slot_change`: the storage slot watched (`0x…`, 32 bytes), e.g. the EIP-1967
    /// implementation or admin slot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slot: Option<String>,
    /// `deployment`: the watched deployer addresses.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deployers: Vec<String>,
    /// `call`, `deployment`: also the calls (creations) made by contracts during a
    /// transaction, read from the node's traces (`trace_block`), not only the
    /// transactions' own.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub internal: bool,
}

/// The rule kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleKind {
    /// A transaction calling a function of a watched contract.
    Call,
    /// An event emitted by a watched contract.
    Event,
    /// A watched contract's native or ERC-20 balance falling by more than `percent`
    /// within `blocks`.
    BalanceDrop,
    /// A watched token's total supply changing by more than `percent` within `blocks`.
    SupplyChange,
    /// A transaction to a watched contract paying more than `factor` × the median gas
    /// price of the last `blocks` blocks.
    GasPrice,
    /// The share of failed transactions to a watched contract over the last `blocks`
    /// blocks above `share` (with at least `min_count` transactions).
    FailedShare,
    /// One transaction that borrows at least `min_amount` of a token from a watched
    /// contract and pays it back.
    FlashLoan,
    /// At least `min_count` calls of one function from one sender in one block.
    CallBurst,
    /// A contract created by one of `deployers`.
    Deployment,
    /// The code at a watched address changed (self-destruct, re-deployment).
    CodeChange,
    /// A storage slot of a watched contract changed value (`slot`): an upgrade or admin
    /// change of a proxy that emits no event.
    SlotChange,
}

impl MonitorFile {
    /// Reads the TOML text of a monitor file (no checks beyond its shape; see
    /// [`crate::load`]).
    pub fn parse(text: &str) -> Result<Self, toml::de::Error> {
        toml::from_str(text)
    }

    /// The TOML text of this file.
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).unwrap_or_default()
    }
}
