//! Monitors ready to run: the monitor file checked and compiled (addresses parsed, ABIs
//! read, conditions type-checked against the functions and events they watch).

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use alloy_json_abi::{Event, Function};
use alloy_primitives::{Address, B256, Selector, U256};

use crate::LoadError;
use crate::abi::{self, Interface};
use crate::config::{ContractSpec, MonitorFile, MonitorSpec, RuleKind, RuleSpec};
use crate::lang::{self, Condition, Env, Type, Value};

/// Confirmations when a monitor does not say.
pub const DEFAULT_CONFIRMATIONS: u64 = 2;
/// Poll interval when a monitor does not say.
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(1);
/// Cooldown of rules that watch windows (balances, supply, gas, failures, bursts) when
/// the rule does not say; rules that watch single transactions default to none.
pub const DEFAULT_WINDOW_COOLDOWN: Duration = Duration::from_secs(600);

/// Alert levels, most severe first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    Critical,
    High,
    Medium,
    Low,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Critical => "critical",
            Level::High => "high",
            Level::Medium => "medium",
            Level::Low => "low",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "critical" => Level::Critical,
            "high" => Level::High,
            "medium" => Level::Medium,
            "low" => Level::Low,
            _ => return None,
        })
    }
}

/// Where a monitor starts when it has no checkpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// The confirmed head at the first start.
    Latest,
    Block(u64),
}

/// A checked monitor.
#[derive(Debug, Clone)]
pub struct Monitor {
    pub name: String,
    pub tenant: Option<String>,
    pub chain_id: u64,
    pub rpc: Vec<String>,
    pub confirmations: u64,
    pub start: Start,
    pub poll_interval: Duration,
    pub contracts: Vec<Contract>,
    pub rules: Vec<Rule>,
}

#[derive(Debug, Clone)]
pub struct Contract {
    pub name: String,
    pub address: Address,
    pub interface: Interface,
}

/// A checked rule.
#[derive(Debug, Clone)]
pub struct Rule {
    pub name: String,
    pub level: Level,
    pub cooldown: Duration,
    pub description: Option<String>,
    /// Indexes into [`Monitor::contracts`] of the contracts the rule watches.
    pub contracts: Vec<usize>,
    pub kind: Kind,
}

/// What a rule watches, with its parameters checked.
#[derive(Debug, Clone)]
pub enum Kind {
    Call(CallMatch),
    Event(EventMatch),
    BalanceDrop {
        /// `None`: the native balance.
        token: Option<Address>,
        percent: f64,
        blocks: u64,
    },
    SupplyChange {
        percent: f64,
        blocks: u64,
    },
    GasPrice {
        factor: f64,
        blocks: u64,
    },
    FailedShare {
        share: f64,
        blocks: u64,
        min_count: u64,
    },
    FlashLoan {
        min_amount: U256,
    },
    CallBurst {
        call: CallMatch,
        min_count: u64,
    },
    Deployment {
        deployers: Vec<Address>,
        /// Creations made by contracts count too (from the node's traces).
        internal: bool,
    },
    CodeChange,
    SlotChange {
        slot: B256,
    },
}

/// Where a condition field's value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The transaction's sender.
    Caller,
    /// The transaction's recipient.
    To,
    /// The transaction's value.
    TxValue,
    GasPrice,
    BlockNumber,
    /// The contract that emitted the log.
    Emitter,
    /// The `i`-th decoded argument or event parameter.
    Arg(usize),
}

/// A function call to match, with its optional condition.
#[derive(Debug, Clone)]
pub struct CallMatch {
    pub selector: Selector,
    pub function: Option<Function>,
    pub when: Option<Condition>,
    /// The source of each condition field, in the order of the condition's fields.
    pub sources: Vec<Source>,
    /// Calls made by contracts count too (from the node's traces).
    pub internal: bool,
}

/// An event to match, with its optional condition.
#[derive(Debug, Clone)]
pub struct EventMatch {
    pub topic: B256,
    pub event: Event,
    pub when: Option<Condition>,
    pub sources: Vec<Source>,
}

impl Kind {
    /// Rules that fire on windows of blocks rather than on one transaction.
    pub fn is_windowed(&self) -> bool {
        matches!(
            self,
            Kind::BalanceDrop { .. }
                | Kind::SupplyChange { .. }
                | Kind::GasPrice { .. }
                | Kind::FailedShare { .. }
                | Kind::CallBurst { .. }
        )
    }
}

/// Reads and checks a monitor file into runnable monitors; `base` is where relative ABI
/// paths are read from (`None`: ABI files are refused).
pub fn compile(file: &MonitorFile, base: Option<&Path>) -> Result<Vec<Monitor>, LoadError> {
    let lists = compile_lists(file)?;
    let mut names = std::collections::BTreeSet::new();
    let mut monitors = Vec::with_capacity(file.monitors.len());
    for spec in &file.monitors {
        if !names.insert(spec.name.as_str()) {
            return Err(invalid(
                format!("monitors[{}]", spec.name),
                "another monitor has this name",
            ));
        }
        monitors.push(compile_monitor(spec, &lists, base)?);
    }
    Ok(monitors)
}

type Lists = BTreeMap<String, (Type, Vec<Value>)>;

fn invalid(place: String, message: impl Into<String>) -> LoadError {
    LoadError::Invalid {
        place,
        message: message.into(),
    }
}

fn compile_lists(file: &MonitorFile) -> Result<Lists, LoadError> {
    let mut lists = Lists::new();
    for (name, values) in &file.lists {
        let place = format!("lists.{name}");
        let mut element: Option<Type> = None;
        let mut out = Vec::with_capacity(values.len());
        for (i, value) in values.iter().enumerate() {
            let (ty, value) = match value {
                toml::Value::String(text) => match text.parse::<Address>() {
                    Ok(address) if text.len() == 42 => (Type::Address, Value::Address(address)),
                    _ => match parse_amount(text) {
                        Some(number) => (Type::Uint(256), Value::Uint(number)),
                        None => {
                            return Err(invalid(
                                format!("{place}[{i}]"),
                                format!("`{text}` is neither an address nor a number"),
                            ));
                        }
                    },
                },
                toml::Value::Integer(n) if *n >= 0 => {
                    (Type::Uint(256), Value::Uint(U256::from(*n as u64)))
                }
                other => {
                    return Err(invalid(
                        format!("{place}[{i}]"),
                        format!("`{other}` is neither an address nor a non-negative number"),
                    ));
                }
            };
            match &element {
                Some(first) if *first != ty => {
                    return Err(invalid(
                        format!("{place}[{i}]"),
                        "a list holds addresses or numbers, not both",
                    ));
                }
                _ => element = Some(ty),
            }
            out.push(value);
        }
        lists.insert(name.clone(), (element.unwrap_or(Type::Address), out));
    }
    Ok(lists)
}

/// A whole number written as decimal, `0x` hex, or scientific (`1e24`, `1.5e18`).
pub(crate) fn parse_amount(text: &str) -> Option<U256> {
    let text = text.trim().replace('_', "");
    if let Some(hex) = text.strip_prefix("0x") {
        return U256::from_str_radix(hex, 16).ok();
    }
    let (mantissa, exponent) = match text.split_once(['e', 'E']) {
        Some((m, e)) => (m, e.parse::<u32>().ok()?),
        None => (text.as_str(), 0),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if whole.is_empty() && fraction.is_empty() {
        return None;
    }
    if !whole
        .chars()
        .chain(fraction.chars())
        .all(|c| c.is_ascii_digit())
    {
        return None;
    }
    let fraction = fraction.trim_end_matches('0');
    let shift = exponent.checked_sub(fraction.len() as u32)?;
    let digits = format!("{whole}{fraction}");
    let digits = if digits.is_empty() { "0" } else { &digits };
    let base = U256::from_str_radix(digits, 10).ok()?;
    base.checked_mul(U256::from(10).checked_pow(U256::from(shift))?)
}

fn compile_monitor(
    spec: &MonitorSpec,
    lists: &Lists,
    base: Option<&Path>,
) -> Result<Monitor, LoadError> {
    let place = format!("monitors[{}]", spec.name);
    if spec.name.trim().is_empty() {
        return Err(invalid(place, "the name is empty"));
    }
    for url in &spec.rpc {
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(invalid(
                format!("{place}.rpc"),
                format!("`{}` is not an http(s) URL", chain::redact_url(url)),
            ));
        }
    }
    let start = match &spec.start_block {
        None => Start::Latest,
        Some(toml::Value::String(s)) if s == "latest" => Start::Latest,
        Some(toml::Value::Integer(n)) if *n >= 0 => Start::Block(*n as u64),
        Some(other) => {
            return Err(invalid(
                format!("{place}.start_block"),
                format!("`{other}` is neither a block number nor \"latest\""),
            ));
        }
    };
    let poll_interval = match &spec.poll_interval {
        None => DEFAULT_POLL_INTERVAL,
        Some(text) => duration(text).map_err(|e| invalid(format!("{place}.poll_interval"), e))?,
    };
    let mut contracts = Vec::with_capacity(spec.contracts.len());
    for contract in &spec.contracts {
        if contracts.iter().any(|c: &Contract| c.name == contract.name) {
            return Err(invalid(
                format!("{place}.contracts[{}]", contract.name),
                "another contract of this monitor has this name",
            ));
        }
        contracts.push(compile_contract(contract, &place, base)?);
    }
    let mut rules = Vec::with_capacity(spec.rules.len());
    for rule in &spec.rules {
        if rules.iter().any(|r: &Rule| r.name == rule.name) {
            return Err(invalid(
                format!("{place}.rules[{}]", rule.name),
                "another rule of this monitor has this name",
            ));
        }
        rules.push(compile_rule(
            rule,
            &contracts,
            lists,
            &format!("{place}.rules[{}]", rule.name),
        )?);
    }
    Ok(Monitor {
        name: spec.name.clone(),
        tenant: spec.tenant.clone(),
        chain_id: spec.chain_id,
        rpc: spec.rpc.clone(),
        confirmations: spec.confirmations.unwrap_or(DEFAULT_CONFIRMATIONS),
        start,
        poll_interval,
        contracts,
        rules,
    })
}

fn duration(text: &str) -> Result<Duration, String> {
    humantime::parse_duration(text.trim())
        .map_err(|e| format!("`{text}` is not a length of time like `0s`, `30s` or `10m`: {e}"))
}

fn parse_address(text: &str, place: &str) -> Result<Address, LoadError> {
    let text = text.trim();
    if text.len() != 42 || !text.starts_with("0x") {
        return Err(invalid(
            place.to_string(),
            format!("`{text}` is not an address (0x and 40 hex digits)"),
        ));
    }
    let address: Address = text
        .parse()
        .map_err(|e| invalid(place.to_string(), format!("`{text}`: {e}")))?;
    let has_upper = text[2..].chars().any(|c| c.is_ascii_uppercase());
    let has_lower = text[2..].chars().any(|c| c.is_ascii_lowercase());
    if has_upper && has_lower && address.to_checksum(None) != text {
        return Err(invalid(
            place.to_string(),
            format!(
                "`{text}` has a wrong EIP-55 checksum (a typo?); the checksummed form is {}",
                address.to_checksum(None)
            ),
        ));
    }
    Ok(address)
}

fn compile_contract(
    spec: &ContractSpec,
    monitor: &str,
    base: Option<&Path>,
) -> Result<Contract, LoadError> {
    let place = format!("{monitor}.contracts[{}]", spec.name);
    let address = parse_address(&spec.address, &format!("{place}.address"))?;
    let mut interface = match (&spec.abi, &spec.abi_json) {
        (Some(_), Some(_)) => {
            return Err(invalid(place, "give `abi` or `abi_json`, not both"));
        }
        (Some(path), None) => {
            let Some(base) = base else {
                return Err(invalid(
                    format!("{place}.abi"),
                    "ABI files cannot be read here: give the ABI inline as `abi_json` or as `signatures`",
                ));
            };
            let full = base.join(path);
            let text = std::fs::read_to_string(&full)
                .map_err(|e| invalid(format!("{place}.abi"), format!("{}: {e}", full.display())))?;
            Interface::from_json(&text)
                .map_err(|e| invalid(format!("{place}.abi"), format!("{}: {e}", full.display())))?
        }
        (None, Some(json)) => {
            Interface::from_json(json).map_err(|e| invalid(format!("{place}.abi_json"), e))?
        }
        (None, None) => Interface::default(),
    };
    for (i, signature) in spec.signatures.iter().enumerate() {
        interface
            .add_signature(signature)
            .map_err(|e| invalid(format!("{place}.signatures[{i}]"), e))?;
    }
    Ok(Contract {
        name: spec.name.clone(),
        address,
        interface,
    })
}

/// The parameters a kind takes besides the common ones, to refuse the others.
fn allowed_parameters(kind: RuleKind) -> &'static [&'static str] {
    match kind {
        RuleKind::Call => &["function", "selector", "when", "internal"],
        RuleKind::Event => &["event", "when"],
        RuleKind::BalanceDrop => &["asset", "percent", "blocks"],
        RuleKind::SupplyChange => &["percent", "blocks"],
        RuleKind::GasPrice => &["factor", "blocks"],
        RuleKind::FailedShare => &["share", "blocks", "min_count"],
        RuleKind::FlashLoan => &["min_amount"],
        RuleKind::CallBurst => &["function", "selector", "min_count", "when"],
        RuleKind::Deployment => &["deployers", "internal"],
        RuleKind::CodeChange => &[],
        RuleKind::SlotChange => &["slot"],
    }
}

fn given_parameters(spec: &RuleSpec) -> Vec<&'static str> {
    let mut given = Vec::new();
    let mut add = |present: bool, name: &'static str| {
        if present {
            given.push(name);
        }
    };
    add(spec.function.is_some(), "function");
    add(spec.selector.is_some(), "selector");
    add(spec.when.is_some(), "when");
    add(spec.event.is_some(), "event");
    add(spec.asset.is_some(), "asset");
    add(spec.percent.is_some(), "percent");
    add(spec.blocks.is_some(), "blocks");
    add(spec.factor.is_some(), "factor");
    add(spec.share.is_some(), "share");
    add(spec.min_count.is_some(), "min_count");
    add(spec.min_amount.is_some(), "min_amount");
    add(!spec.deployers.is_empty(), "deployers");
    add(spec.slot.is_some(), "slot");
    add(spec.internal, "internal");
    given
}

fn kind_name(kind: RuleKind) -> String {
    serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn compile_rule(
    spec: &RuleSpec,
    contracts: &[Contract],
    lists: &Lists,
    place: &str,
) -> Result<Rule, LoadError> {
    let level = Level::parse(&spec.level).ok_or_else(|| {
        invalid(
            format!("{place}.level"),
            format!(
                "`{}` is not a level: write critical, high, medium or low",
                spec.level
            ),
        )
    })?;
    let allowed = allowed_parameters(spec.kind);
    if let Some(extra) = given_parameters(spec)
        .into_iter()
        .find(|p| !allowed.contains(p))
    {
        return Err(invalid(
            format!("{place}.{extra}"),
            format!(
                "a `{}` rule takes no `{extra}`{}",
                kind_name(spec.kind),
                if allowed.is_empty() {
                    String::new()
                } else {
                    format!(" (it takes {})", allowed.join(", "))
                }
            ),
        ));
    }
    let scope: Vec<usize> = match &spec.contract {
        Some(name) => match contracts.iter().position(|c| &c.name == name) {
            Some(index) => vec![index],
            None => {
                return Err(invalid(
                    format!("{place}.contract"),
                    format!("no contract `{name}` in this monitor"),
                ));
            }
        },
        None => (0..contracts.len()).collect(),
    };
    let needs_contract = !matches!(spec.kind, RuleKind::Deployment | RuleKind::GasPrice);
    if needs_contract && scope.is_empty() {
        return Err(invalid(
            place.to_string(),
            "the monitor watches no contract: add one under [[monitors.contracts]]",
        ));
    }
    let interface = match scope.as_slice() {
        [one] => contracts[*one].interface.clone(),
        _ => Interface::default(),
    };
    let cooldown = match &spec.cooldown {
        Some(text) => duration(text).map_err(|e| invalid(format!("{place}.cooldown"), e))?,
        None => Duration::ZERO,
    };
    let percent = |default: Option<f64>| -> Result<f64, LoadError> {
        let value = spec.percent.or(default).ok_or_else(|| {
            invalid(
                format!("{place}.percent"),
                "missing: the change in percent that fires",
            )
        })?;
        if !(value > 0.0 && value <= 100.0) {
            return Err(invalid(
                format!("{place}.percent"),
                format!("{value} is not a percentage above 0 and at most 100"),
            ));
        }
        Ok(value)
    };
    let blocks = |default: u64| -> Result<u64, LoadError> {
        let value = spec.blocks.unwrap_or(default);
        if value == 0 || value > 10_000 {
            return Err(invalid(
                format!("{place}.blocks"),
                format!("{value} blocks: the window must be 1 to 10000 blocks"),
            ));
        }
        Ok(value)
    };
    let kind = match spec.kind {
        RuleKind::Call => Kind::Call(call_match(spec, &interface, lists, place)?),
        RuleKind::CallBurst => {
            let min_count = spec.min_count.ok_or_else(|| {
                invalid(
                    format!("{place}.min_count"),
                    "missing: the number of calls from one sender in one block that fires",
                )
            })?;
            if min_count < 2 {
                return Err(invalid(
                    format!("{place}.min_count"),
                    "a burst is at least 2 calls",
                ));
            }
            Kind::CallBurst {
                call: call_match(spec, &interface, lists, place)?,
                min_count,
            }
        }
        RuleKind::Event => Kind::Event(event_match(spec, &interface, lists, place)?),
        RuleKind::BalanceDrop => Kind::BalanceDrop {
            token: match spec.asset.as_deref() {
                None | Some("native") => None,
                Some(token) => Some(parse_address(token, &format!("{place}.asset"))?),
            },
            percent: percent(None)?,
            blocks: blocks(10)?,
        },
        RuleKind::SupplyChange => Kind::SupplyChange {
            percent: percent(None)?,
            blocks: blocks(10)?,
        },
        RuleKind::GasPrice => {
            let factor = spec.factor.ok_or_else(|| {
                invalid(
                    format!("{place}.factor"),
                    "missing: the factor over the rolling median that fires",
                )
            })?;
            if !(factor > 1.0 && factor.is_finite()) {
                return Err(invalid(
                    format!("{place}.factor"),
                    format!("{factor}: the factor must be above 1"),
                ));
            }
            Kind::GasPrice {
                factor,
                blocks: blocks(20)?,
            }
        }
        RuleKind::FailedShare => {
            let share = spec.share.ok_or_else(|| {
                invalid(
                    format!("{place}.share"),
                    "missing: the share of failed transactions (0 to 1) that fires",
                )
            })?;
            if !(share > 0.0 && share < 1.0) {
                return Err(invalid(
                    format!("{place}.share"),
                    format!("{share}: a share is between 0 and 1 (0.5 is half)"),
                ));
            }
            Kind::FailedShare {
                share,
                blocks: blocks(20)?,
                min_count: spec.min_count.unwrap_or(5).max(1),
            }
        }
        RuleKind::FlashLoan => {
            let text = spec.min_amount.as_deref().ok_or_else(|| {
                invalid(
                    format!("{place}.min_amount"),
                    "missing: the smallest borrowed amount, in token units (`1e24`)",
                )
            })?;
            Kind::FlashLoan {
                min_amount: parse_amount(text).ok_or_else(|| {
                    invalid(
                        format!("{place}.min_amount"),
                        format!("`{text}` is not a whole number"),
                    )
                })?,
            }
        }
        RuleKind::Deployment => {
            if spec.deployers.is_empty() {
                return Err(invalid(
                    format!("{place}.deployers"),
                    "missing: the deployer addresses to watch",
                ));
            }
            Kind::Deployment {
                deployers: spec
                    .deployers
                    .iter()
                    .enumerate()
                    .map(|(i, d)| parse_address(d, &format!("{place}.deployers[{i}]")))
                    .collect::<Result<_, _>>()?,
                internal: spec.internal,
            }
        }
        RuleKind::CodeChange => Kind::CodeChange,
        RuleKind::SlotChange => {
            let text = spec.slot.as_deref().ok_or_else(|| {
                invalid(
                    format!("{place}.slot"),
                    "missing: the storage slot to watch",
                )
            })?;
            let slot = text
                .strip_prefix("0x")
                .and_then(|hex| U256::from_str_radix(hex, 16).ok())
                .ok_or_else(|| {
                    invalid(
                        format!("{place}.slot"),
                        format!("`{text}` is not a storage slot (0x and up to 64 hex digits)"),
                    )
                })?;
            Kind::SlotChange {
                slot: B256::from(slot),
            }
        }
    };
    let cooldown = if spec.cooldown.is_none() && kind.is_windowed() {
        DEFAULT_WINDOW_COOLDOWN
    } else {
        cooldown
    };
    Ok(Rule {
        name: spec.name.clone(),
        level,
        cooldown,
        description: spec.description.clone(),
        contracts: if needs_contract || spec.contract.is_some() {
            scope
        } else {
            Vec::new()
        },
        kind,
    })
}

/// Adds the lists to an environment.
fn with_lists(env: &mut Env, lists: &Lists) {
    for (name, (ty, values)) in lists {
        env.list(name, ty.clone(), values.clone());
    }
}

/// Compiles `when` against `env`, mapping a language error into the rule's place with the
/// line and column inside the condition.
fn condition(spec: &RuleSpec, env: &Env, place: &str) -> Result<Option<Condition>, LoadError> {
    let Some(text) = &spec.when else {
        return Ok(None);
    };
    lang::compile(text, env).map(Some).map_err(|e| {
        invalid(
            format!("{place}.when"),
            format!("{}:{}: {}", e.line, e.column, e.message),
        )
    })
}

fn call_match(
    spec: &RuleSpec,
    interface: &Interface,
    lists: &Lists,
    place: &str,
) -> Result<CallMatch, LoadError> {
    let (selector, function) = match (&spec.function, &spec.selector) {
        (Some(_), Some(_)) => {
            return Err(invalid(
                place.to_string(),
                "give `function` or `selector`, not both",
            ));
        }
        (Some(function), None) => {
            let function = interface
                .function(function)
                .map_err(|e| invalid(format!("{place}.function"), e))?;
            (function.selector(), Some(function))
        }
        (None, Some(selector)) => {
            let bytes = selector
                .strip_prefix("0x")
                .filter(|hex| hex.len() == 8)
                .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                .ok_or_else(|| {
                    invalid(
                        format!("{place}.selector"),
                        format!("`{selector}` is not a 4-byte selector like 0xa9059cbb"),
                    )
                })?;
            (Selector::from(bytes.to_be_bytes()), None)
        }
        (None, None) => {
            return Err(invalid(
                place.to_string(),
                "missing: `function` (a signature or name) or `selector`",
            ));
        }
    };
    let mut env = Env::new();
    let mut sources = Vec::new();
    let mut add = |env: &mut Env, name: &str, ty: Type, source: Source| {
        if !env.fields().iter().any(|(n, _)| n == name) {
            env.field(name, ty);
            sources.push(source);
        }
    };
    if let Some(function) = &function {
        for (i, param) in function.inputs.iter().enumerate() {
            let Some(ty) = abi::param_type(param) else {
                continue;
            };
            if !param.name.is_empty() {
                add(&mut env, &param.name, ty.clone(), Source::Arg(i));
                add(
                    &mut env,
                    &format!("{}.{}", function.name, param.name),
                    ty.clone(),
                    Source::Arg(i),
                );
            }
            add(&mut env, &format!("arg{i}"), ty, Source::Arg(i));
        }
    }
    add(&mut env, "caller", Type::Address, Source::Caller);
    add(&mut env, "to", Type::Address, Source::To);
    add(&mut env, "value", Type::Uint(256), Source::TxValue);
    add(&mut env, "gas_price", Type::Uint(256), Source::GasPrice);
    add(&mut env, "block", Type::Uint(256), Source::BlockNumber);
    with_lists(&mut env, lists);
    let when = condition(spec, &env, place)?;
    Ok(CallMatch {
        selector,
        function,
        when,
        sources,
        internal: spec.internal,
    })
}

fn event_match(
    spec: &RuleSpec,
    interface: &Interface,
    lists: &Lists,
    place: &str,
) -> Result<EventMatch, LoadError> {
    let name = spec.event.as_deref().ok_or_else(|| {
        invalid(
            format!("{place}.event"),
            "missing: the event (a signature or a name)",
        )
    })?;
    let event = interface
        .event(name)
        .map_err(|e| invalid(format!("{place}.event"), e))?;
    if event.anonymous {
        return Err(invalid(
            format!("{place}.event"),
            "anonymous events have no topic to match",
        ));
    }
    let mut env = Env::new();
    let mut sources = Vec::new();
    let mut add = |env: &mut Env, name: &str, ty: Type, source: Source| {
        if !env.fields().iter().any(|(n, _)| n == name) {
            env.field(name, ty);
            sources.push(source);
        }
    };
    for (i, param) in event.inputs.iter().enumerate() {
        let ty = if param.indexed {
            abi::indexed_param_type(param)
        } else {
            abi::param_type(param)
        };
        let Some(ty) = ty else {
            continue;
        };
        if !param.name.is_empty() {
            add(&mut env, &param.name, ty.clone(), Source::Arg(i));
            add(
                &mut env,
                &format!("{}.{}", event.name, param.name),
                ty.clone(),
                Source::Arg(i),
            );
        }
        add(&mut env, &format!("arg{i}"), ty, Source::Arg(i));
    }
    add(&mut env, "caller", Type::Address, Source::Caller);
    add(&mut env, "contract", Type::Address, Source::Emitter);
    add(&mut env, "tx_to", Type::Address, Source::To);
    add(&mut env, "tx_value", Type::Uint(256), Source::TxValue);
    add(&mut env, "block", Type::Uint(256), Source::BlockNumber);
    with_lists(&mut env, lists);
    let when = condition(spec, &env, place)?;
    Ok(EventMatch {
        topic: event.selector(),
        event,
        when,
        sources,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts() {
        assert_eq!(
            parse_amount("1e24"),
            Some(U256::from(10).pow(U256::from(24)))
        );
        assert_eq!(
            parse_amount("1.5e18"),
            Some(U256::from(15) * U256::from(10).pow(U256::from(17)))
        );
        assert_eq!(parse_amount("1_000"), Some(U256::from(1000)));
        assert_eq!(parse_amount("0x10"), Some(U256::from(16)));
        assert_eq!(parse_amount("1.25e1"), None);
        assert_eq!(parse_amount("abc"), None);
        assert_eq!(parse_amount("1e999"), None);
    }
}
