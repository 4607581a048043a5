//! Monitors derived from analysis: rules for what the analyzer knows about a contract.
//!
//! [`suggest`] reads the semantic model of a compilation unit and writes one monitor per
//! covered contract (named after it, watching it at one address), with rules for:
//!
//! - **privileged functions**: a `call` rule for each state-changing entry point behind an
//!   access check ([`semantics::Model::guard`]): `critical` when it writes the state the
//!   access checks read (it changes who is privileged) or an upgrade slot, `high`
//!   otherwise. An entry point without a check that writes that state (an initializer, or
//!   a missing check) is `critical` too;
//! - **ownership, role, upgrade and pause events** the contract declares, inherits or
//!   emits ([`WATCHED_EVENTS`]): `critical`, pausing `high`. A function whose effect such
//!   an event announces gets no `call` rule of its own: the event rule fires for it, and
//!   for every other way to the same change;
//! - **upgrade and admin slots** (EIP-1967 implementation, admin and beacon slots, the
//!   EIP-1822 slot) the contract's code uses, or that the proxy at the address was found
//!   to use ([`Request::proxy`]): `slot_change`, `critical`; for a beacon proxy, the
//!   beacon's `Upgraded` event too (the beacon is a second contract of the monitor);
//! - **ether**: a `call` rule (`medium`) for each entry point without an access check that
//!   sends ether, and a `balance_drop` rule (`high`) on the native balance when any does;
//! - **supply**: a `supply_change` rule (`high`) for tokens whose total supply some entry
//!   point changes (mint, burn).
//!
//! View and pure functions never get a rule. Signatures are written out with parameter
//! names in the rules themselves, so the file loads without an ABI. Rules carry no `when`:
//! conditions are the reviewer's to add. Everything is sorted (monitors by contract name,
//! rules by level then name), so the same sources give the same file.
//!
//! [`suggest_bytecode`] covers a deployed contract without a verified source: its proxy
//! slots, its code and its native balance.
//!
//! This module does no IO.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use alloy_primitives::{Address, B256, U256};
use chain::proxy::ProxyKind;
use semantics::{ContractId, FunctionId, Guard, ItemRef, Model};
use syntax::FileId;
use syntax::ast::{ContractKind, ExprKind, FunctionKind, ItemKind, Literal, Visibility};

use crate::config::{ContractSpec, MonitorFile, MonitorSpec, RuleKind, RuleSpec};
use crate::rules::Level;

/// The events watched when a contract declares, inherits or emits them, with the level of
/// their rule and what they mean.
pub const WATCHED_EVENTS: [(&str, Level, &str); 10] = [
    ("AdminChanged", Level::Critical, "the proxy admin changed"),
    (
        "BeaconUpgraded",
        Level::Critical,
        "the proxy's beacon changed",
    ),
    (
        "OwnershipTransferStarted",
        Level::High,
        "an ownership transfer started",
    ),
    (
        "OwnershipTransferred",
        Level::Critical,
        "ownership changed hands",
    ),
    ("Paused", Level::High, "the contract was paused"),
    (
        "RoleAdminChanged",
        Level::Critical,
        "the admin role of a role changed",
    ),
    ("RoleGranted", Level::Critical, "a role was granted"),
    ("RoleRevoked", Level::Critical, "a role was revoked"),
    ("Unpaused", Level::High, "the contract was unpaused"),
    (
        "Upgraded",
        Level::Critical,
        "the implementation was upgraded",
    ),
];

/// The drop of the native balance, in percent within [`WINDOW_BLOCKS`], that fires.
pub const BALANCE_DROP_PERCENT: f64 = 20.0;
/// The change of the total supply, in percent within [`WINDOW_BLOCKS`], that fires.
pub const SUPPLY_CHANGE_PERCENT: f64 = 10.0;
/// The window of the balance and supply rules, in blocks.
pub const WINDOW_BLOCKS: u64 = 10;
/// The address written when the deployed address is not known.
pub const UNKNOWN_ADDRESS: &str = "0x0000000000000000000000000000000000000000";

/// The sources to suggest from: the semantic model and the text of its files (to quote
/// access checks as written).
pub struct Unit<'m, 'a> {
    pub model: &'m Model<'a>,
    /// The text of each file of the model; a file without text is described by names only.
    pub texts: BTreeMap<FileId, &'m str>,
    /// The files whose contracts are covered by default (the project's own files, not its
    /// dependencies); `None`: every file.
    pub files: Option<BTreeSet<FileId>>,
}

/// What to cover, and where it is deployed.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// The contracts to cover, by name; empty: every deployable contract of the unit's
    /// files (not abstract, not an interface or library) that is not a base of another.
    pub contracts: Vec<String>,
    /// The deployed address (the one users call: the proxy of an upgradeable contract);
    /// `None`: [`UNKNOWN_ADDRESS`], to fill in. Needs exactly one covered contract.
    pub address: Option<Address>,
    pub chain_id: u64,
    pub rpc: Vec<String>,
    /// The proxy found at [`Request::address`] on chain, if any: its slots are watched
    /// whatever the source says.
    pub proxy: Option<ProxyKind>,
}

/// The suggested monitor file, and what the reviewer should know about it.
#[derive(Debug, Clone, PartialEq)]
pub struct Suggestion {
    pub file: MonitorFile,
    /// Facts the file cannot say: skipped functions, contracts with nothing to watch.
    pub notes: Vec<String>,
}

impl Suggestion {
    /// The monitor file as TOML, after a comment header saying where it comes from and
    /// that it needs a review.
    pub fn to_toml(&self, origin: &str) -> String {
        // A comment ends at a line break: one in a path must not end it.
        let origin: String = origin
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        let mut text = format!(
            "# Monitors suggested by `web3audit monitor suggest` from {origin}.\n\
             # Review every rule before loading: remove what you do not need, add `when`\n\
             # conditions (allow lists, thresholds), and check the address and the RPC.\n"
        );
        if self.file.monitors.is_empty() {
            text.push_str("# Nothing to watch was found.\n");
        }
        text.push('\n');
        text.push_str(&self.file.to_toml());
        text
    }
}

/// Why nothing could be suggested.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SuggestError {
    /// A requested contract is not in the sources.
    #[error("no contract `{name}` in the sources{}", known_list(.known))]
    UnknownContract { name: String, known: Vec<String> },
    /// A requested contract is never deployed on its own.
    #[error("`{name}` is {what}: it is never deployed on its own")]
    NotDeployable { name: String, what: &'static str },
    /// Nothing deployable in the sources.
    #[error(
        "no deployable contract in the sources (only interfaces, libraries and abstract contracts)"
    )]
    NothingDeployable,
    /// One address for several contracts.
    #[error(
        "one address for {} contracts ({}): choose the contract deployed there",
        .names.len(),
        .names.join(", ")
    )]
    AddressForSeveral { names: Vec<String> },
}

fn known_list(known: &[String]) -> String {
    if known.is_empty() {
        String::new()
    } else {
        format!(" (deployable: {})", known.join(", "))
    }
}

/// Suggests monitors for the contracts `request` names (or the default ones) of `unit`.
pub fn suggest(unit: &Unit<'_, '_>, request: &Request) -> Result<Suggestion, SuggestError> {
    let contracts = covered_contracts(unit, &request.contracts)?;
    if request.address.is_some() && contracts.len() > 1 {
        return Err(SuggestError::AddressForSeveral {
            names: contracts
                .iter()
                .map(|&c| unit.model.contract(c).name.to_string())
                .collect(),
        });
    }
    let mut file = MonitorFile::default();
    let mut notes = Vec::new();
    for c in contracts {
        let name = unit.model.contract(c).name.to_string();
        let analysis = ContractAnalysis::new(unit, c);
        notes.extend(analysis.notes.iter().cloned());
        let mut rules = analysis.rules();
        add_proxy_rules(request, &name, &mut rules);
        if rules.is_empty() {
            notes.push(format!(
                "`{name}`: nothing to watch (no privileged or ether-sending function, no ownership, role, pause or upgrade event, no supply change)"
            ));
            continue;
        }
        sort_rules(&mut rules);
        file.monitors.push(monitor(request, &name, rules));
    }
    file.monitors.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(Suggestion { file, notes })
}

/// Suggests monitors for a deployed contract whose source is not known: the proxy slots
/// `request.proxy` names, code changes and the native balance.
pub fn suggest_bytecode(request: &Request) -> Suggestion {
    let address = request.address.unwrap_or(Address::ZERO);
    let name = format!("deployed-{}", &crate::abi::hex(&address.as_slice()[..3]));
    let mut rules = vec![
        RuleSpec {
            description: Some(
                "the code at this address changed (self-destruct or re-deployment)".into(),
            ),
            contract: Some(name.clone()),
            ..rule("code-change", RuleKind::CodeChange, Level::Critical)
        },
        balance_rule(
            &name,
            "no verified source: the bytecode alone says not whether or how it sends ether",
        ),
    ];
    add_proxy_rules(request, &name, &mut rules);
    sort_rules(&mut rules);
    let mut file = MonitorFile::default();
    file.monitors.push(monitor(request, &name, rules));
    Suggestion {
        file,
        notes: vec![
            "no verified source: only the proxy slots, code changes and the native balance are watched".into(),
        ],
    }
}

/// The name of the beacon among the contracts of a monitor of a beacon proxy.
pub const BEACON_CONTRACT: &str = "beacon";

/// The rules the proxy found at the address calls for: its slots (unless the source
/// already watches them), and for a beacon proxy the beacon's upgrades.
fn add_proxy_rules(request: &Request, contract: &str, rules: &mut Vec<RuleSpec>) {
    let Some(proxy) = &request.proxy else {
        return;
    };
    for slot in proxy_slots(proxy) {
        if !rules.iter().any(|r| r.slot == Some(slot.hex())) {
            rules.push(slot_rule(
                contract,
                &slot,
                "the proxy at this address was found to use it",
            ));
        }
    }
    if let ProxyKind::Eip1967Beacon { beacon, .. } = proxy {
        rules.push(RuleSpec {
            contract: Some(BEACON_CONTRACT.into()),
            description: Some(format!(
                "the beacon {} the proxy follows switched implementation: an upgrade of the proxy (and of every other proxy of the beacon)",
                beacon.to_checksum(None)
            )),
            event: Some("event Upgraded(address indexed implementation)".into()),
            ..rule("beacon-upgraded", RuleKind::Event, Level::Critical)
        });
    }
}

fn monitor(request: &Request, name: &str, rules: Vec<RuleSpec>) -> MonitorSpec {
    let mut contracts = vec![ContractSpec {
        name: name.to_string(),
        address: request
            .address
            .map_or_else(|| UNKNOWN_ADDRESS.to_string(), |a| a.to_checksum(None)),
        abi: None,
        abi_json: None,
        signatures: Vec::new(),
    }];
    if let Some(ProxyKind::Eip1967Beacon { beacon, .. }) = &request.proxy {
        contracts.push(ContractSpec {
            name: BEACON_CONTRACT.into(),
            address: beacon.to_checksum(None),
            abi: None,
            abi_json: None,
            signatures: Vec::new(),
        });
    }
    MonitorSpec {
        name: name.to_string(),
        tenant: None,
        chain_id: request.chain_id,
        rpc: request.rpc.clone(),
        confirmations: None,
        start_block: None,
        poll_interval: None,
        contracts,
        rules,
    }
}

/// Most severe first, then by name.
fn sort_rules(rules: &mut [RuleSpec]) {
    rules.sort_by(|a, b| {
        level_rank(&a.level)
            .cmp(&level_rank(&b.level))
            .then_with(|| a.name.cmp(&b.name))
    });
}

fn level_rank(level: &str) -> u8 {
    match level {
        "critical" => 0,
        "high" => 1,
        "medium" => 2,
        _ => 3,
    }
}

fn rule(name: &str, kind: RuleKind, level: Level) -> RuleSpec {
    RuleSpec {
        name: name.to_string(),
        kind,
        level: level.as_str().to_string(),
        contract: None,
        when: None,
        cooldown: None,
        description: None,
        function: None,
        selector: None,
        event: None,
        asset: None,
        percent: None,
        blocks: None,
        factor: None,
        share: None,
        min_count: None,
        min_amount: None,
        slot: None,
        deployers: Vec::new(),
        internal: false,
    }
}

fn balance_rule(contract: &str, why: &str) -> RuleSpec {
    RuleSpec {
        contract: Some(contract.to_string()),
        description: Some(format!(
            "the native balance fell by more than {BALANCE_DROP_PERCENT}% within {WINDOW_BLOCKS} blocks; {why}"
        )),
        asset: Some("native".into()),
        percent: Some(BALANCE_DROP_PERCENT),
        blocks: Some(WINDOW_BLOCKS),
        ..rule("balance-drop-native", RuleKind::BalanceDrop, Level::High)
    }
}

/// A storage slot with a meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum SlotRole {
    Implementation,
    Admin,
    Beacon,
    Proxiable,
    /// Slot 0 of a Gnosis Safe proxy.
    Singleton,
    /// The slot a `DELEGATECALL` forwarder reads its target from.
    Target(B256),
}

impl SlotRole {
    fn value(self) -> B256 {
        match self {
            SlotRole::Implementation => B256::from(chain::proxy::implementation_slot()),
            SlotRole::Admin => B256::from(chain::proxy::admin_slot()),
            SlotRole::Beacon => B256::from(chain::proxy::beacon_slot()),
            SlotRole::Proxiable => B256::from(chain::proxy::proxiable_slot()),
            SlotRole::Singleton => B256::ZERO,
            SlotRole::Target(slot) => slot,
        }
    }

    fn hex(self) -> String {
        format!("{:#x}", self.value())
    }

    fn rule_name(self) -> String {
        match self {
            SlotRole::Implementation => "slot-eip1967-implementation".into(),
            SlotRole::Admin => "slot-eip1967-admin".into(),
            SlotRole::Beacon => "slot-eip1967-beacon".into(),
            SlotRole::Proxiable => "slot-eip1822-proxiable".into(),
            SlotRole::Singleton => "slot-singleton".into(),
            SlotRole::Target(slot) => format!("slot-target-{}", crate::abi::hex(&slot[..4])),
        }
    }

    /// What the slot is, and what a change of it means.
    fn meaning(self) -> (&'static str, &'static str) {
        match self {
            SlotRole::Implementation => ("the EIP-1967 implementation slot", "an upgrade"),
            SlotRole::Admin => ("the EIP-1967 admin slot", "the proxy admin changed"),
            SlotRole::Beacon => ("the EIP-1967 beacon slot", "the beacon changed"),
            SlotRole::Proxiable => ("the EIP-1822 implementation slot", "an upgrade"),
            SlotRole::Singleton => ("slot 0, the Safe proxy's singleton", "an upgrade"),
            SlotRole::Target(_) => (
                "the slot the proxy reads its implementation from",
                "an upgrade",
            ),
        }
    }

    /// The slot a constant's initializer names: the hex value, or the EIP-1967 label it is
    /// derived from (`bytes32(uint256(keccak256("eip1967.proxy.admin")) - 1)`).
    fn of_constant(model: &Model<'_>, constant: ItemRef) -> Option<SlotRole> {
        let ast = model.file_ast(constant.file)?;
        let variable = ast.item(constant.item).as_variable()?;
        if !variable.is_constant {
            return None;
        }
        let value = ast.expr(variable.value?).span;
        let known = [
            SlotRole::Implementation,
            SlotRole::Admin,
            SlotRole::Beacon,
            SlotRole::Proxiable,
        ];
        for (_, expr) in ast.exprs() {
            if expr.span.lo < value.lo || expr.span.hi > value.hi {
                continue;
            }
            match &expr.kind {
                ExprKind::Literal(Literal::String { value, .. }) => {
                    let label = match value.as_str() {
                        "eip1967.proxy.implementation" => SlotRole::Implementation,
                        "eip1967.proxy.admin" => SlotRole::Admin,
                        "eip1967.proxy.beacon" => SlotRole::Beacon,
                        "PROXIABLE" => SlotRole::Proxiable,
                        _ => continue,
                    };
                    return Some(label);
                }
                ExprKind::Literal(Literal::Number {
                    text, is_hex: true, ..
                }) => {
                    let digits = text.trim_start_matches("0x").replace('_', "");
                    let Ok(number) = U256::from_str_radix(&digits, 16) else {
                        continue;
                    };
                    if let Some(role) = known
                        .iter()
                        .find(|r| U256::from_be_bytes(r.value().0) == number)
                    {
                        return Some(*role);
                    }
                }
                _ => {}
            }
        }
        None
    }
}

fn slot_rule(contract: &str, role: &SlotRole, why: &str) -> RuleSpec {
    RuleSpec {
        contract: Some(contract.to_string()),
        description: Some({
            let (what, meaning) = role.meaning();
            format!("{what} changed: {meaning} ({why})")
        }),
        slot: Some(role.hex()),
        ..rule(&role.rule_name(), RuleKind::SlotChange, Level::Critical)
    }
}

/// The slots a proxy of this kind keeps its implementation and admin in.
fn proxy_slots(kind: &ProxyKind) -> Vec<SlotRole> {
    match kind {
        ProxyKind::Eip1967 { admin } => {
            let mut slots = vec![SlotRole::Implementation];
            if admin.is_some() {
                slots.push(SlotRole::Admin);
            }
            slots
        }
        ProxyKind::Eip1967Beacon { admin, .. } => {
            let mut slots = vec![SlotRole::Beacon];
            if admin.is_some() {
                slots.push(SlotRole::Admin);
            }
            slots
        }
        ProxyKind::Eip1822 => vec![SlotRole::Proxiable],
        ProxyKind::GnosisSafe => vec![SlotRole::Singleton],
        ProxyKind::Delegatecall { slot } => vec![SlotRole::Target(*slot)],
        // The target is in the code: it never changes.
        ProxyKind::Eip1167 | ProxyKind::Eip7511 => Vec::new(),
    }
}

/// The contracts to cover: those named, or the default ones.
fn covered_contracts(
    unit: &Unit<'_, '_>,
    names: &[String],
) -> Result<Vec<ContractId>, SuggestError> {
    let model = unit.model;
    let in_files = |c: ContractId| {
        unit.files
            .as_ref()
            .is_none_or(|files| files.contains(&model.contract(c).item.file))
    };
    let deployable: Vec<ContractId> = model
        .contracts()
        .filter(|(id, info)| info.kind == ContractKind::Contract && in_files(*id))
        .map(|(id, _)| id)
        .collect();
    if !names.is_empty() {
        let mut out = Vec::new();
        for name in names {
            // The project's own declaration first, then any.
            let found = model
                .contracts_named(name)
                .find(|&c| in_files(c))
                .or_else(|| model.contracts_named(name).next());
            let Some(c) = found else {
                let mut known: Vec<String> = deployable
                    .iter()
                    .map(|&c| model.contract(c).name.to_string())
                    .collect();
                known.sort();
                known.dedup();
                return Err(SuggestError::UnknownContract {
                    name: name.clone(),
                    known,
                });
            };
            let what = match model.contract(c).kind {
                ContractKind::Contract => {
                    if !out.contains(&c) {
                        out.push(c);
                    }
                    continue;
                }
                ContractKind::Abstract => "an abstract contract",
                ContractKind::Interface => "an interface",
                ContractKind::Library => "a library",
            };
            return Err(SuggestError::NotDeployable {
                name: name.clone(),
                what,
            });
        }
        return Ok(out);
    }
    // Bases of another deployable contract are covered through it.
    let bases: BTreeSet<ContractId> = deployable
        .iter()
        .flat_map(|&c| model.linearization(c).iter().skip(1).copied())
        .collect();
    let mut out: Vec<ContractId> = deployable
        .into_iter()
        .filter(|c| !bases.contains(c))
        .collect();
    if out.is_empty() {
        return Err(SuggestError::NothingDeployable);
    }
    out.sort_by(|&a, &b| model.contract(a).name.cmp(&model.contract(b).name));
    out.dedup_by(|a, b| model.contract(*a).name == model.contract(*b).name);
    Ok(out)
}

/// One effective entry point of the covered contract.
struct Entry {
    function: FunctionId,
    name: String,
    /// `function name(type param, …)`; `None` when a parameter type has no ABI type.
    signature: Option<String>,
    guard: Option<Guard>,
    /// How the access check reads, for descriptions (`onlyOwner`).
    guard_text: Option<String>,
    summary: semantics::FunctionSummary,
    /// The meaningful slots it writes (through calls too).
    slot_writes: BTreeSet<SlotRole>,
    read_only: bool,
}

/// What the model says about one contract, as far as monitoring goes.
struct ContractAnalysis<'u, 'm, 'a> {
    unit: &'u Unit<'m, 'a>,
    contract: ContractId,
    name: String,
    entries: Vec<Entry>,
    /// The state the access checks of the entry points read (`_owner`, `_roles`).
    guard_state: BTreeSet<ItemRef>,
    /// The meaningful slots any function of the contract reads or writes, or a constant
    /// of its bases names.
    slots: BTreeSet<SlotRole>,
    notes: Vec<String>,
}

impl<'u, 'm, 'a> ContractAnalysis<'u, 'm, 'a> {
    fn new(unit: &'u Unit<'m, 'a>, contract: ContractId) -> Self {
        let model = unit.model;
        let name = model.contract(contract).name.to_string();
        let lineage: BTreeSet<ContractId> = model.linearization(contract).iter().copied().collect();
        let functions: Vec<(FunctionId, &semantics::FunctionInfo)> = model
            .functions()
            .filter(|(_, info)| info.contract.is_some_and(|c| lineage.contains(&c)))
            .collect();
        let mut analysis = ContractAnalysis {
            unit,
            contract,
            name,
            entries: Vec::new(),
            guard_state: BTreeSet::new(),
            slots: BTreeSet::new(),
            notes: Vec::new(),
        };
        // Slots: those every function of the contract reaches, and constants of its bases.
        let mut reached: BTreeSet<FunctionId> = BTreeSet::new();
        for &(f, _) in &functions {
            if reached.insert(f) {
                reached.extend(model.summary(Some(contract), f).callees);
            }
        }
        for &g in &reached {
            let accesses = model.slot_accesses(Some(contract), g);
            for access in accesses.reads.iter().chain(&accesses.writes) {
                if let Some(role) = SlotRole::of_constant(model, access.key) {
                    analysis.slots.insert(role);
                }
            }
        }
        for &base in &lineage {
            let item = model.contract(base).item;
            let Some(ast) = model.file_ast(item.file) else {
                continue;
            };
            let Some(def) = ast.item(item.item).as_contract() else {
                continue;
            };
            for &member in &def.members {
                let r = ItemRef {
                    file: item.file,
                    item: member,
                };
                if let Some(role) = SlotRole::of_constant(model, r) {
                    analysis.slots.insert(role);
                }
            }
        }
        for &(f, info) in &functions {
            if info.kind != FunctionKind::Function
                || !model.is_entry_point(f)
                || model.is_constructor(f)
                || model.dispatch(contract, info.item) != info.item
            {
                continue;
            }
            let entry = analysis.entry(f);
            analysis.entries.push(entry);
        }
        analysis.entries.sort_by(|a, b| {
            a.name
                .cmp(&b.name)
                .then_with(|| a.signature.cmp(&b.signature))
        });
        let guards: Vec<Guard> = analysis
            .entries
            .iter()
            .filter(|e| !e.read_only)
            .filter_map(|e| e.guard)
            .collect();
        for guard in guards {
            let reads = analysis.guard_reads(&guard);
            analysis.guard_state.extend(reads);
        }
        analysis
    }

    fn entry(&mut self, f: FunctionId) -> Entry {
        let model = self.unit.model;
        let info = model.function(f);
        let def = model
            .file_ast(info.item.file)
            .and_then(|ast| ast.item(info.item.item).as_function());
        let read_only = def.is_none_or(|d| d.is_read_only());
        let signature = def.and_then(|d| {
            let params: Option<Vec<String>> = d
                .params
                .iter()
                .map(|p| {
                    let ty = model.abi_type(info.item, p.ty)?;
                    Some(match &p.name {
                        Some(name) => format!("{ty} {}", name.as_str()),
                        None => ty,
                    })
                })
                .collect();
            Some(format!("function {}({})", info.name, params?.join(", ")))
        });
        if signature.is_none() && !read_only {
            self.notes.push(format!(
                "`{}.{}`: a parameter type has no ABI type the analyzer can write; no rule watches it",
                self.name, info.name
            ));
        }
        let summary = model.summary(Some(self.contract), f);
        let mut slot_writes = BTreeSet::new();
        for g in std::iter::once(f).chain(summary.callees.iter().copied()) {
            for access in model.slot_accesses(Some(self.contract), g).writes {
                if let Some(role) = SlotRole::of_constant(model, access.key) {
                    slot_writes.insert(role);
                }
            }
        }
        let guard = if read_only {
            None
        } else {
            model.guard_for(self.contract, f)
        };
        let guard_text = guard.map(|g| self.guard_text(f, &g));
        Entry {
            function: f,
            name: info.name.to_string(),
            signature,
            guard,
            guard_text,
            summary,
            slot_writes,
            read_only,
        }
    }

    fn text(&self, file: FileId, span: syntax::Span) -> Option<String> {
        let text = self.unit.texts.get(&file)?;
        let slice = text.get(span.lo as usize..span.hi as usize)?;
        Some(slice.split_whitespace().collect::<Vec<_>>().join(" "))
    }

    /// The access check as the reviewer knows it: the modifier invocation that leads to
    /// it (`onlyRole(MINTER_ROLE)`), the internal call that does (`_authorizeUpgrade` →
    /// `onlyOwner`), else the checked condition and where it is.
    fn guard_text(&self, f: FunctionId, guard: &Guard) -> String {
        self.guard_path(f, guard, 3).unwrap_or_else(|| {
            let model = self.unit.model;
            let holder = model.function(guard.function);
            let condition = self
                .text(holder.item.file, guard.span)
                .unwrap_or_else(|| "a caller check".into());
            if guard.function == f {
                condition
            } else {
                format!("{condition}` in `{}", holder.name)
            }
        })
    }

    /// How `f` reaches the check of `guard` through a modifier or an internal call.
    fn guard_path(&self, f: FunctionId, guard: &Guard, depth: u32) -> Option<String> {
        let model = self.unit.model;
        let depth = depth.checked_sub(1)?;
        let reaches = |g: FunctionId| {
            g == guard.function
                || model
                    .summary(Some(self.contract), g)
                    .callees
                    .contains(&guard.function)
        };
        let file = model.function(f).item.file;
        for call in model.calls(f) {
            let semantics::CallKind::Modifier { modifier } = call.kind else {
                continue;
            };
            if let Some(m) = model.function_of_item(modifier)
                && reaches(m)
            {
                return Some(
                    self.text(file, call.span)
                        .unwrap_or_else(|| model.function(m).name.to_string()),
                );
            }
        }
        for call in model.calls(f) {
            let semantics::CallKind::Internal { function, .. } = call.kind else {
                continue;
            };
            let Some(target) = model.function_of_item(model.dispatch(self.contract, function))
            else {
                continue;
            };
            if target == guard.function || !reaches(target) {
                continue;
            }
            let name = model.function(target).name.to_string();
            return Some(match self.guard_path(target, guard, depth) {
                Some(inner) => format!("{name}` → `{inner}"),
                None => name,
            });
        }
        None
    }

    /// The state variables the checked condition of `guard` reads, directly or through
    /// the internal functions it calls (`hasRole(role, msg.sender)` reads `_roles`).
    fn guard_reads(&self, guard: &Guard) -> BTreeSet<ItemRef> {
        let model = self.unit.model;
        let holder = model.function(guard.function);
        let within = |span: syntax::Span| span.lo >= guard.span.lo && span.hi <= guard.span.hi;
        let mut out = BTreeSet::new();
        let Some(ast) = model.file_ast(holder.item.file) else {
            return out;
        };
        for access in model.state_reads(guard.function) {
            if within(ast.expr(access.expr).span) {
                out.insert(access.var);
            }
        }
        for call in model.calls(guard.function) {
            if !within(call.span) {
                continue;
            }
            let target = match call.kind {
                semantics::CallKind::Internal { function, .. } => {
                    Some(model.dispatch(self.contract, function))
                }
                semantics::CallKind::Library { function, .. } => Some(function),
                _ => None,
            };
            if let Some(target) = target.and_then(|t| model.function_of_item(t)) {
                out.extend(model.summary(Some(self.contract), target).reads);
            }
        }
        out
    }

    fn var_name(&self, var: ItemRef) -> String {
        self.unit
            .model
            .file_ast(var.file)
            .and_then(|ast| ast.item(var.item).name().map(|n| n.as_str().to_string()))
            .unwrap_or_else(|| "?".into())
    }

    fn names_of(&self, vars: impl IntoIterator<Item = ItemRef>) -> Vec<String> {
        let mut names: Vec<String> = vars.into_iter().map(|v| self.var_name(v)).collect();
        names.sort();
        names.dedup();
        names
    }

    /// The watched events this contract declares, inherits or emits: name → signatures.
    fn watched_events(&self) -> BTreeMap<String, BTreeSet<String>> {
        let model = self.unit.model;
        let mut events: BTreeSet<ItemRef> = BTreeSet::new();
        for &base in model.linearization(self.contract) {
            let item = model.contract(base).item;
            let Some(def) = model
                .file_ast(item.file)
                .and_then(|ast| ast.item(item.item).as_contract())
            else {
                continue;
            };
            for &member in &def.members {
                events.insert(ItemRef {
                    file: item.file,
                    item: member,
                });
            }
        }
        for entry in &self.entries {
            events.extend(entry.summary.events.iter().copied());
        }
        let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for event in events {
            let Some(ast) = model.file_ast(event.file) else {
                continue;
            };
            let ItemKind::Event(def) = &ast.item(event.item).kind else {
                continue;
            };
            if def.is_anonymous || watched(def.name.as_str()).is_none() {
                continue;
            }
            let params: Option<Vec<String>> = def
                .params
                .iter()
                .map(|p| {
                    let mut text = model.abi_type(event, p.ty)?;
                    if p.indexed {
                        text.push_str(" indexed");
                    }
                    if let Some(name) = &p.name {
                        text.push(' ');
                        text.push_str(name.as_str());
                    }
                    Some(text)
                })
                .collect();
            if let Some(params) = params {
                out.entry(def.name.as_str().to_string())
                    .or_default()
                    .insert(format!(
                        "event {}({})",
                        def.name.as_str(),
                        params.join(", ")
                    ));
            }
        }
        out
    }

    fn describe_entry(&self, entry: &Entry) -> String {
        let signature = entry
            .signature
            .as_deref()
            .map_or(entry.name.as_str(), |s| s.trim_start_matches("function "));
        let mut text = format!("`{signature}`");
        match &entry.guard_text {
            Some(guard) => {
                let _ = write!(text, " is restricted by `{guard}`");
            }
            None => text.push_str(" has no access check"),
        }
        let mut effects = Vec::new();
        if entry.summary.sends_value {
            effects.push("sends ether".to_string());
        }
        let writes = self.names_of(entry.summary.writes.iter().copied());
        if !writes.is_empty() {
            effects.push(format!("writes {}", code_list(&writes, 6)));
        }
        for role in &entry.slot_writes {
            effects.push(format!("writes {}", role.meaning().0));
        }
        if !effects.is_empty() {
            text.push_str(", ");
            text.push_str(&effects.join(", "));
        }
        text
    }

    fn rules(&self) -> Vec<RuleSpec> {
        let mut rules = Vec::new();
        let mut names = BTreeSet::new();
        let contract = Some(self.name.clone());
        let events = self.watched_events();
        // Calls.
        for entry in &self.entries {
            if entry.read_only {
                continue;
            }
            let Some(signature) = &entry.signature else {
                continue;
            };
            let announced = entry.summary.events.iter().any(|e| {
                self.event_name(*e)
                    .is_some_and(|name| events.contains_key(&name))
            });
            if announced {
                continue;
            }
            let privileged_state: Vec<ItemRef> = entry
                .summary
                .writes
                .iter()
                .copied()
                .filter(|w| self.guard_state.contains(w))
                .collect();
            let upgrades = !entry.slot_writes.is_empty();
            let (level, why) = match (&entry.guard, privileged_state.is_empty() && !upgrades) {
                (Some(_), false) => (
                    Level::Critical,
                    if upgrades {
                        "it upgrades the contract".to_string()
                    } else {
                        format!(
                            "{} is what the access checks read: it changes who is privileged",
                            code_list(&self.names_of(privileged_state), 6)
                        )
                    },
                ),
                (Some(_), true) => (Level::High, "a privileged call".to_string()),
                (None, false) => (
                    Level::Critical,
                    if upgrades {
                        "anyone can call it, and it upgrades the contract".to_string()
                    } else {
                        format!(
                            "anyone can call it, and {} is what the access checks read (an initializer, or a missing check)",
                            code_list(&self.names_of(privileged_state), 6)
                        )
                    },
                ),
                (None, true) if entry.summary.sends_value => (
                    Level::Medium,
                    "ether leaves the contract; narrow it with a `when` on the amount".to_string(),
                ),
                (None, true) => continue,
            };
            let arity = self.unit.model.function(entry.function).arity;
            let name = unique(&mut names, format!("call-{}", kebab(&entry.name)), arity);
            rules.push(RuleSpec {
                contract: contract.clone(),
                description: Some(format!("{}: {why}", self.describe_entry(entry))),
                function: Some(signature.clone()),
                ..rule(&name, RuleKind::Call, level)
            });
        }
        // Events.
        for (event, signatures) in &events {
            let Some((level, meaning)) = watched(event) else {
                continue;
            };
            let mut emitters: Vec<String> = self
                .entries
                .iter()
                .filter(|e| {
                    !e.read_only
                        && e.summary
                            .events
                            .iter()
                            .any(|x| self.event_name(*x).as_deref() == Some(event.as_str()))
                })
                .map(|e| match &e.guard_text {
                    Some(guard) => format!("`{}` (`{guard}`)", e.name),
                    None => format!("`{}` (no access check)", e.name),
                })
                .collect();
            emitters.dedup();
            for (i, signature) in signatures.iter().enumerate() {
                let base = format!("event-{}", kebab(event));
                let name = if i == 0 {
                    base
                } else {
                    format!("{base}-{}", i + 1)
                };
                names.insert(name.clone());
                let mut description = format!("`{event}`: {meaning}");
                if emitters.is_empty() {
                    description.push_str("; declared, and no entry point emits it (a constructor or future code may)");
                } else {
                    let _ = write!(description, "; emitted by {}", emitters.join(", "));
                }
                rules.push(RuleSpec {
                    contract: contract.clone(),
                    description: Some(description),
                    event: Some(signature.clone()),
                    ..rule(&name, RuleKind::Event, level)
                });
            }
        }
        // Slots.
        for role in &self.slots {
            let writers: Vec<String> = self
                .entries
                .iter()
                .filter(|e| e.slot_writes.contains(role))
                .map(|e| format!("`{}`", e.name))
                .collect();
            let why = if writers.is_empty() {
                "the contract's code uses this slot".to_string()
            } else {
                format!("written by {}", writers.join(", "))
            };
            rules.push(slot_rule(&self.name, role, &why));
        }
        // Ether.
        let senders: Vec<&Entry> = self
            .entries
            .iter()
            .filter(|e| !e.read_only && e.summary.sends_value)
            .collect();
        if !senders.is_empty() {
            let names: Vec<String> = senders.iter().map(|e| e.name.clone()).collect();
            rules.push(balance_rule(
                &self.name,
                &format!("ether leaves through {}", code_list(&names, 6)),
            ));
        }
        // Supply.
        if let Some(rule) = self.supply_rule() {
            rules.push(rule);
        }
        rules
    }

    fn event_name(&self, event: ItemRef) -> Option<String> {
        let ast = self.unit.model.file_ast(event.file)?;
        match &ast.item(event.item).kind {
            ItemKind::Event(def) => Some(def.name.as_str().to_string()),
            _ => None,
        }
    }

    /// A token: the state `totalSupply` reads (a function or a public variable), changed
    /// by some entry point.
    fn supply_rule(&self) -> Option<RuleSpec> {
        let model = self.unit.model;
        let mut supply: BTreeSet<ItemRef> = BTreeSet::new();
        if let Some(entry) = self
            .entries
            .iter()
            .find(|e| e.name == "totalSupply" && model.function(e.function).arity == 0)
        {
            supply.extend(entry.summary.reads.iter().copied());
        }
        for &base in model.linearization(self.contract) {
            let item = model.contract(base).item;
            let Some(ast) = model.file_ast(item.file) else {
                continue;
            };
            let Some(def) = ast.item(item.item).as_contract() else {
                continue;
            };
            for &member in &def.members {
                if let Some(var) = ast.item(member).as_variable()
                    && var.name.as_str() == "totalSupply"
                    && var.visibility == Some(Visibility::Public)
                {
                    supply.insert(ItemRef {
                        file: item.file,
                        item: member,
                    });
                }
            }
        }
        if supply.is_empty() {
            return None;
        }
        let changers: Vec<String> = self
            .entries
            .iter()
            .filter(|e| !e.read_only && e.summary.writes.iter().any(|w| supply.contains(w)))
            .map(|e| match &e.guard_text {
                Some(guard) => format!("`{}` (`{guard}`)", e.name),
                None => format!("`{}` (no access check)", e.name),
            })
            .collect();
        if changers.is_empty() {
            return None;
        }
        Some(RuleSpec {
            contract: Some(self.name.clone()),
            description: Some(format!(
                "the total supply changed by more than {SUPPLY_CHANGE_PERCENT}% within {WINDOW_BLOCKS} blocks; {} is written (on some path) by {}",
                code_list(&self.names_of(supply), 3),
                changers.join(", ")
            )),
            percent: Some(SUPPLY_CHANGE_PERCENT),
            blocks: Some(WINDOW_BLOCKS),
            ..rule("supply-change", RuleKind::SupplyChange, Level::High)
        })
    }
}

/// The level and meaning of a watched event.
fn watched(name: &str) -> Option<(Level, &'static str)> {
    WATCHED_EVENTS
        .iter()
        .find(|(n, _, _)| *n == name)
        .map(|(_, level, meaning)| (*level, *meaning))
}

/// A rule name not taken yet: `base`, else `base` with the parameter count (overloads),
/// else with a number.
fn unique(names: &mut BTreeSet<String>, base: String, arity: usize) -> String {
    let mut name = base.clone();
    if names.contains(&name) {
        name = format!("{base}-{arity}");
    }
    let mut n = 2;
    while names.contains(&name) {
        name = format!("{base}-{arity}-{n}");
        n += 1;
    }
    names.insert(name.clone());
    name
}

/// `transferOwnership` → `transfer-ownership`, `_setFee` → `set-fee`, `UUPSUpgrade` →
/// `uups-upgrade`.
fn kebab(name: &str) -> String {
    let chars: Vec<char> = name.trim_matches('_').chars().collect();
    let mut out = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if c == '_' {
            if !out.ends_with('-') {
                out.push('-');
            }
            continue;
        }
        if c.is_ascii_uppercase() && i > 0 {
            let previous = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase());
            let boundary = previous.is_ascii_lowercase()
                || previous.is_ascii_digit()
                || (previous.is_ascii_uppercase() && next_lower);
            if boundary && !out.ends_with('-') {
                out.push('-');
            }
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// `` `a`, `b` and `c` ``, at most `limit` names, then how many more.
fn code_list(names: &[String], limit: usize) -> String {
    let shown: Vec<String> = names.iter().take(limit).map(|n| format!("`{n}`")).collect();
    let more = names.len().saturating_sub(limit);
    let mut text = match shown.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    };
    if more > 0 {
        let _ = write!(text, " and {more} more");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_in_kebab_case() {
        assert_eq!(kebab("transferOwnership"), "transfer-ownership");
        assert_eq!(kebab("_setFee"), "set-fee");
        assert_eq!(kebab("UUPSUpgrade"), "uups-upgrade");
        assert_eq!(kebab("upgradeToAndCall"), "upgrade-to-and-call");
        assert_eq!(kebab("set_fee_v2"), "set-fee-v2");
        assert_eq!(kebab("OwnershipTransferred"), "ownership-transferred");
    }

    #[test]
    fn lists_of_names() {
        let names: Vec<String> = ["a", "b", "c"].map(String::from).to_vec();
        assert_eq!(code_list(&names[..1], 3), "`a`");
        assert_eq!(code_list(&names, 3), "`a`, `b` and `c`");
        assert_eq!(code_list(&names, 2), "`a` and `b` and 1 more");
    }

    #[test]
    fn proxy_kinds_name_their_slots() {
        let admin = Some(Address::repeat_byte(1));
        assert_eq!(
            proxy_slots(&ProxyKind::Eip1967 { admin }),
            [SlotRole::Implementation, SlotRole::Admin]
        );
        assert_eq!(
            proxy_slots(&ProxyKind::Eip1967 { admin: None }),
            [SlotRole::Implementation]
        );
        assert!(proxy_slots(&ProxyKind::Eip1167).is_empty());
        assert_eq!(
            SlotRole::Implementation.hex(),
            "0x360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc"
        );
    }

    #[test]
    fn the_header_stays_a_comment() {
        let suggestion = suggest_bytecode(&Request {
            chain_id: 1,
            ..Request::default()
        });
        let text = suggestion.to_toml("a\nmonitors = 1");
        assert!(text.starts_with("# Monitors suggested by"), "{text}");
        assert!(crate::load(&text, None).is_ok(), "{text}");
    }

    #[test]
    fn beacon_proxies_watch_their_beacon() {
        let beacon = Address::repeat_byte(0xbe);
        let suggestion = suggest_bytecode(&Request {
            address: Some(Address::repeat_byte(0xab)),
            chain_id: 1,
            proxy: Some(ProxyKind::Eip1967Beacon {
                beacon,
                admin: None,
            }),
            ..Request::default()
        });
        let file = crate::load(&suggestion.file.to_toml(), None).expect("the suggestion loads");
        let monitor = &file.monitors[0];
        assert_eq!(monitor.contracts[1].name, BEACON_CONTRACT);
        assert_eq!(monitor.contracts[1].address, beacon.to_checksum(None));
        let rules: Vec<(&str, Option<&str>)> = monitor
            .rules
            .iter()
            .map(|r| (r.name.as_str(), r.contract.as_deref()))
            .collect();
        assert_eq!(
            rules,
            [
                ("beacon-upgraded", Some(BEACON_CONTRACT)),
                ("code-change", Some("deployed-ababab")),
                ("slot-eip1967-beacon", Some("deployed-ababab")),
                ("balance-drop-native", Some("deployed-ababab")),
            ]
        );
    }

    #[test]
    fn bytecode_suggestions_load() {
        let suggestion = suggest_bytecode(&Request {
            address: Some(Address::repeat_byte(0xab)),
            chain_id: 1,
            proxy: Some(ProxyKind::Eip1967 { admin: None }),
            ..Request::default()
        });
        let text = suggestion.file.to_toml();
        let file = crate::load(&text, None).expect("the suggestion loads");
        let kinds: Vec<RuleKind> = file.monitors[0].rules.iter().map(|r| r.kind).collect();
        assert_eq!(
            kinds,
            [
                RuleKind::CodeChange,
                RuleKind::SlotChange,
                RuleKind::BalanceDrop
            ]
        );
    }
}
