//! `web3audit scan 0xADDRESS`: a deployed contract, read over JSON-RPC at one block.
//!
//! [`inspect`] reads the chain (chain id, block, the proxy chain, the upgrade controllers,
//! the owner the contract reports); then the implementation's verified source is fetched,
//! checked against the deployed code and analyzed ([`source`]); the runtime code itself
//! is described by [`analyze_runtime_code`]; access-control findings are tried by
//! simulation ([`confirm`]). [`render_text`] and [`render_json`] print the result in the
//! styles of the source scan.

mod confirm;
mod source;

use std::fmt::Write as _;

use alloy_primitives::{Address, keccak256};
use anyhow::{Context, Result, bail};
use chain::proxy::{self, ProxyHop, Resolution};
use chain::upgrade::{self, ChainFinding, UpgradeControl};
use chain::{ClientConfig, RpcClient, StateReader};
use detectors::Severity;
use report::Summary;
use serde_json::{Value, json};

use crate::analysis::{AnalysisOptions, tool_info};
use crate::config::ConfigFile;
pub(crate) use confirm::Simulation;
#[cfg(feature = "service")]
pub(crate) use source::SourceCache;
pub(crate) use source::SourceStatus;

/// Whether a scan argument names an address rather than a path: `0x` and 40 hex digits.
pub(crate) fn parse_address(text: &str) -> Option<Address> {
    let digits = text
        .strip_prefix("0x")
        .or_else(|| text.strip_prefix("0X"))?;
    if digits.len() != 40 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    text.parse().ok()
}

/// Where the RPC endpoints come from: `--rpc-url` (repeatable) and `--chain NAME`.
pub(crate) struct Endpoints<'a> {
    pub(crate) rpc_urls: &'a [String],
    pub(crate) chain: Option<&'a str>,
}

/// The client configuration of a scan: `[chains.NAME]` of the configuration file when
/// `--chain` names one, with its URLs replaced by `--rpc-url` when given.
pub(crate) fn client_config(endpoints: &Endpoints<'_>, file: &ConfigFile) -> Result<ClientConfig> {
    let mut config = match endpoints.chain {
        Some(name) => match file.chains.get(name) {
            Some(config) => config.clone(),
            None => {
                let known: Vec<&str> = file.chains.keys().map(String::as_str).collect();
                if known.is_empty() {
                    bail!(
                        "unknown chain `{name}`: the configuration has no [chains.{name}] table (and no [chains] at all)"
                    );
                }
                bail!(
                    "unknown chain `{name}`: the configuration has [chains.{}]",
                    known.join("], [chains.")
                );
            }
        },
        None => ClientConfig::default(),
    };
    if !endpoints.rpc_urls.is_empty() {
        config.urls = endpoints.rpc_urls.to_vec();
    }
    if config.urls.is_empty() {
        bail!(
            "an address scan needs an RPC endpoint: --rpc-url URL, or --chain NAME with a [chains.NAME] table in web3audit.toml"
        );
    }
    Ok(config)
}

/// What the analysis of a runtime code found.
#[derive(Debug, Default)]
pub(crate) struct CodeAnalysis {
    /// Facts to show, as (name, value).
    pub(crate) facts: Vec<(String, String)>,
    pub(crate) findings: Vec<DeployedFinding>,
}

/// Where a finding of an address scan points.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Place {
    /// Deployed contracts, proxy first (upgrade findings).
    Addresses(Vec<Address>),
    /// A line of the verified source.
    Source {
        file: String,
        line: u32,
        contract: Option<String>,
        function: Option<String>,
    },
    /// A program counter of the runtime code (no source).
    Bytecode {
        address: Address,
        selector: Option<[u8; 4]>,
        function: Option<String>,
        pc: usize,
    },
}

/// One finding of an address scan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct DeployedFinding {
    pub(crate) id: String,
    pub(crate) severity: Severity,
    pub(crate) message: String,
    pub(crate) place: Place,
    /// The simulation of an access-control finding; `None` for the other findings.
    pub(crate) simulation: Option<Simulation>,
}

impl DeployedFinding {
    fn from_chain(finding: &ChainFinding) -> DeployedFinding {
        DeployedFinding {
            id: finding.id.to_string(),
            severity: severity(finding),
            message: finding.message.clone(),
            place: Place::Addresses(finding.addresses.clone()),
            simulation: None,
        }
    }

    /// `file:line`, `0xADDR pc 0x1a2 in withdraw()`, or the addresses.
    pub(crate) fn place_text(&self) -> String {
        match &self.place {
            Place::Addresses(addresses) => {
                let addresses: Vec<String> = addresses.iter().map(ToString::to_string).collect();
                addresses.join(", ")
            }
            Place::Source { file, line, .. } => format!("{file}:{line}"),
            Place::Bytecode {
                address,
                selector,
                function,
                pc,
            } => {
                let mut text = format!("{address} pc {pc:#x}");
                match (function, selector) {
                    (Some(name), _) => text.push_str(&format!(" in {name}")),
                    (None, Some(selector)) => {
                        text.push_str(&format!(" in 0x{}", hex_selector(selector)))
                    }
                    (None, None) => {}
                }
                text
            }
        }
    }
}

fn hex_selector(selector: &[u8; 4]) -> String {
    selector.iter().map(|b| format!("{b:02x}")).collect()
}

/// What an address scan does beyond reading the proxy chain.
#[derive(Clone)]
pub(crate) struct ScanOptions {
    /// The block to read at; the latest when `None`.
    pub(crate) block: Option<u64>,
    /// Where verified sources come from; `None`: not fetched, the bytecode is analyzed.
    pub(crate) sources: Option<verified::SourcesConfig>,
    /// The source pipeline's options (detectors, severities).
    pub(crate) analysis: AnalysisOptions,
    /// Try access-control findings by simulation.
    pub(crate) simulate: bool,
    /// Verified sources kept between scans (the service's store).
    pub(crate) source_cache: Option<std::sync::Arc<dyn source::SourceCache>>,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            block: None,
            sources: None,
            analysis: AnalysisOptions::default(),
            simulate: true,
            source_cache: None,
        }
    }
}

/// Everything an address scan reports.
#[derive(Debug)]
pub(crate) struct AddressScan {
    pub(crate) chain_id: u64,
    pub(crate) block: u64,
    pub(crate) resolution: Resolution,
    pub(crate) controls: Vec<UpgradeControl>,
    /// On-chain facts read for the report (`owner()`), as (name, value).
    pub(crate) facts: Vec<(String, String)>,
    pub(crate) source: SourceStatus,
    pub(crate) code: CodeAnalysis,
    /// Upgrade findings, then the source's (or the bytecode's).
    pub(crate) findings: Vec<DeployedFinding>,
}

/// Reads `address` at `block` (the latest when `None`) through `reader`, with the default
/// options (no source fetched, simulation on).
#[cfg(test)]
pub(crate) fn inspect(
    reader: &dyn StateReader,
    address: Address,
    block: Option<u64>,
) -> Result<AddressScan> {
    inspect_with(
        reader,
        address,
        &ScanOptions {
            block,
            ..ScanOptions::default()
        },
    )
}

/// Reads `address` through `reader` as `options` say.
pub(crate) fn inspect_with(
    reader: &dyn StateReader,
    address: Address,
    options: &ScanOptions,
) -> Result<AddressScan> {
    let chain_id = reader.chain_id()?;
    let latest = reader.block_number()?;
    let block = match options.block {
        Some(block) if block > latest => {
            bail!("block {block} is not there yet: the latest block is {latest}")
        }
        Some(block) => block,
        None => latest,
    };
    let resolution = proxy::resolve(reader, address, block)?;
    let controls = upgrade::upgrade_controls(reader, &resolution)
        .context("cannot establish who controls upgrades")?;
    let facts = privileged_facts(reader, address, block);
    let source = source::analyze_verified(
        options.sources.as_ref(),
        options.source_cache.as_deref(),
        chain_id,
        resolution.implementation,
        &resolution.implementation_code,
        &options.analysis,
    );
    let code = analyze_runtime_code(resolution.implementation, &resolution.implementation_code);
    let mut findings: Vec<DeployedFinding> = upgrade::findings(&controls)
        .iter()
        .map(DeployedFinding::from_chain)
        .collect();
    match source.analysis() {
        Some(analysis) => findings.extend(source_findings(analysis)),
        None => findings.extend(
            code.findings
                .iter()
                .filter(|finding| {
                    options
                        .analysis
                        .min_severity
                        .is_none_or(|min| finding.severity >= min)
                })
                .cloned(),
        ),
    }
    if options.simulate {
        for finding in &mut findings {
            finding.simulation = simulation_of(reader, block, address, finding, source.analysis());
        }
    }
    Ok(AddressScan {
        chain_id,
        block,
        resolution,
        controls,
        facts,
        source,
        code,
        findings,
    })
}

/// The findings of the source scan, placed in the verified files.
fn source_findings(analysis: &source::SourceAnalysis) -> Vec<DeployedFinding> {
    let Ok(report) = &analysis.report else {
        return Vec::new();
    };
    report
        .findings
        .iter()
        .map(|finding| DeployedFinding {
            id: finding.rule_id.clone(),
            severity: finding.severity,
            message: finding.message.clone(),
            place: Place::Source {
                file: finding.location.file.clone(),
                line: finding.location.start_line,
                contract: finding.contract.clone(),
                function: finding.function.clone(),
            },
            simulation: None,
        })
        .collect()
}

/// The simulation of `finding` against `target`, for access-control findings only.
fn simulation_of(
    reader: &dyn StateReader,
    block: u64,
    target: Address,
    finding: &DeployedFinding,
    source: Option<&source::SourceAnalysis>,
) -> Option<Simulation> {
    let effect = confirm::effect_of(&finding.id)?;
    let probe = match &finding.place {
        Place::Source {
            file,
            line,
            function,
            ..
        } => {
            let Some(name) = function else {
                return Some(Simulation::NotRun {
                    reason: "the finding is outside any function".into(),
                });
            };
            let text = source.and_then(|analysis| analysis.sources.get(file));
            let Some((params, attributes)) =
                text.and_then(|text| source::function_header(text, name, *line))
            else {
                return Some(Simulation::NotRun {
                    reason: format!("the declaration of `{name}` was not found in `{file}`"),
                });
            };
            match confirm::source_probe(name, &params, &attributes, effect) {
                Ok(probe) => probe,
                Err(reason) => return Some(Simulation::NotRun { reason }),
            }
        }
        Place::Bytecode {
            selector: Some(selector),
            ..
        } => sim::Probe::selector(*selector, effect),
        Place::Bytecode { selector: None, .. } | Place::Addresses(_) => {
            return Some(Simulation::NotRun {
                reason: "no function selector to call".into(),
            });
        }
    };
    Some(confirm::simulate(reader, block, target, probe))
}

/// Getters whose answer is shown as an on-chain fact when it is an address.
const OWNER_GETTERS: [&str; 2] = ["owner()", "admin()"];

/// The addresses `owner()` and `admin()` return through `address`, when they answer with
/// one word that holds an address. A reverting or absent getter is simply not shown.
fn privileged_facts(
    reader: &dyn StateReader,
    address: Address,
    block: u64,
) -> Vec<(String, String)> {
    let mut facts = Vec::new();
    for getter in OWNER_GETTERS {
        let Ok(answer) = reader.call(address, &proxy::selector(getter), block) else {
            continue;
        };
        if answer.len() == 32 && answer[..12].iter().all(|&b| b == 0) {
            let value = Address::from_slice(&answer[12..]);
            facts.push((getter.to_string(), value.to_string()));
        }
    }
    facts
}

/// The analysis of the implementation's runtime code: its size and hash, the functions
/// the dispatcher has, and the findings of the bytecode detectors (reported when no
/// verified source was analyzed).
pub(crate) fn analyze_runtime_code(address: Address, code: &[u8]) -> CodeAnalysis {
    let mut facts = vec![
        ("runtime code".into(), format!("{} bytes", code.len())),
        ("code hash".into(), keccak256(code).to_string()),
    ];
    let analysis = match evm::analyze(code, &evm::Limits::default()) {
        Ok(analysis) => analysis,
        Err(error) => {
            facts.push((
                "bytecode analysis".into(),
                format!("stopped ({}): {error}", error.kind()),
            ));
            return CodeAnalysis {
                facts,
                findings: Vec::new(),
            };
        }
    };
    let names: Vec<String> = analysis
        .functions
        .iter()
        .filter(|function| function.selector.is_some())
        .map(evm::Function::display_name)
        .collect();
    facts.push((
        "functions".into(),
        if names.is_empty() {
            "none found in a dispatcher".into()
        } else {
            format!("{} ({})", names.len(), names.join(", "))
        },
    ));
    if analysis.unresolved_jumps > 0 {
        facts.push((
            "bytecode analysis".into(),
            format!(
                "{} jumps could not be resolved: findings behind them may be missed",
                analysis.unresolved_jumps
            ),
        ));
    }
    let findings = analysis
        .findings()
        .into_iter()
        .map(|finding| DeployedFinding {
            id: finding.detector_id.to_string(),
            severity: match finding.severity {
                evm::Severity::High => Severity::High,
                evm::Severity::Medium => Severity::Medium,
                evm::Severity::Low => Severity::Low,
            },
            message: finding.message,
            place: Place::Bytecode {
                address,
                selector: finding.selector,
                function: finding.function_name,
                pc: finding.pc,
            },
            simulation: None,
        })
        .collect();
    CodeAnalysis { facts, findings }
}

/// What `monitor suggest 0xADDRESS` starts from: the chain, the proxy chain of the
/// address and the verified source of the contract whose code runs there.
pub(crate) struct Deployed {
    pub(crate) chain_id: u64,
    pub(crate) resolution: Resolution,
    pub(crate) source: SourceStatus,
}

/// Reads the chain id and the proxy chain of `address` at the latest block through a
/// client made from `config`, and fetches, checks and analyzes the implementation's
/// verified source as the address scan does (`sources`: `None` for the bytecode only).
pub(crate) fn deployed(
    config: ClientConfig,
    address: Address,
    sources: Option<&verified::SourcesConfig>,
) -> Result<Deployed> {
    let client = RpcClient::new(config)?;
    let chain_id = client.chain_id()?;
    let block = client.block_number()?;
    let resolution = proxy::resolve(&client, address, block)?;
    let source = source::analyze_verified(
        sources,
        None,
        chain_id,
        resolution.implementation,
        &resolution.implementation_code,
        &AnalysisOptions::default(),
    );
    Ok(Deployed {
        chain_id,
        resolution,
        source,
    })
}

/// The scan through a client made from `config`, as `options` say.
pub(crate) fn scan_with(
    config: ClientConfig,
    address: Address,
    options: &ScanOptions,
) -> Result<AddressScan> {
    let client = RpcClient::new(config)?;
    inspect_with(&client, address, options)
}

fn severity(finding: &ChainFinding) -> Severity {
    match finding.severity {
        upgrade::Severity::High => Severity::High,
        upgrade::Severity::Medium => Severity::Medium,
        upgrade::Severity::Low => Severity::Low,
        upgrade::Severity::Informational => Severity::Informational,
    }
}

/// The highest severity among the findings, for `--fail-on`.
pub(crate) fn severities(scan: &AddressScan) -> Vec<Severity> {
    scan.findings
        .iter()
        .map(|finding| finding.severity)
        .collect()
}

fn hop_line(hop: &ProxyHop) -> String {
    format!("{} ({}) -> {}", hop.proxy, hop.kind, hop.target)
}

/// The text report: facts first, then findings as `severity[id]: message`, then the count.
pub(crate) fn render_text(scan: &AddressScan) -> String {
    let resolution = &scan.resolution;
    let mut out = String::new();
    let _ = writeln!(out, "address: {}", resolution.address);
    let _ = writeln!(out, "chain id: {}", scan.chain_id);
    let _ = writeln!(out, "block: {}", scan.block);
    if resolution.hops.is_empty() {
        let _ = writeln!(out, "proxy: none");
    } else {
        let _ = writeln!(out, "proxy chain:");
        for hop in &resolution.hops {
            let _ = writeln!(out, "  {}", hop_line(hop));
        }
    }
    let _ = writeln!(out, "implementation: {}", resolution.implementation);
    for (name, value) in scan.code.facts.iter().chain(&scan.facts) {
        let _ = writeln!(out, "{name}: {value}");
    }
    let _ = writeln!(out, "source: {}", scan.source.describe());
    if let Some(analysis) = scan.source.analysis() {
        let _ = writeln!(out, "source check: {}", analysis.check);
        if let Err(error) = &analysis.report {
            let _ = writeln!(out, "source analysis: {error}");
        }
    }
    if !scan.controls.is_empty() {
        let _ = writeln!(out, "upgrade control:");
        for control in &scan.controls {
            let _ = writeln!(out, "  {control}");
        }
    }
    for note in &resolution.notes {
        let _ = writeln!(out, "note: {note}");
    }
    out.push('\n');
    for finding in &scan.findings {
        let _ = writeln!(
            out,
            "{}[{}]: {}",
            finding.severity, finding.id, finding.message
        );
        match &finding.place {
            Place::Addresses(_) => {
                let _ = writeln!(out, "  = addresses: {}", finding.place_text());
            }
            _ => {
                let _ = writeln!(out, "  --> {}", finding.place_text());
            }
        }
        if let Some(simulation) = &finding.simulation {
            let _ = writeln!(
                out,
                "  = simulation: {}: {}",
                simulation.status(),
                simulation.detail()
            );
        }
        out.push('\n');
    }
    out.push_str(&summary_line(&Summary::of(severities(scan))));
    out.push('\n');
    out
}

/// `no findings`, `1 finding: 1 high`, `3 findings: 1 high, 2 low`.
fn summary_line(summary: &Summary) -> String {
    if summary.total == 0 {
        return "no findings".into();
    }
    let counts: Vec<String> = Severity::ALL
        .iter()
        .filter(|&&severity| summary.count(severity) > 0)
        .map(|&severity| format!("{} {severity}", summary.count(severity)))
        .collect();
    let noun = if summary.total == 1 {
        "finding"
    } else {
        "findings"
    };
    format!("{} {noun}: {}", summary.total, counts.join(", "))
}

/// The JSON report.
pub(crate) fn render_json(scan: &AddressScan) -> String {
    let resolution = &scan.resolution;
    let hops: Vec<Value> = resolution
        .hops
        .iter()
        .map(|hop| {
            json!({
                "proxy": hop.proxy,
                "kind": hop.kind.to_string(),
                "target": hop.target,
            })
        })
        .collect();
    let controls: Vec<Value> = scan
        .controls
        .iter()
        .map(|control| {
            let controller = control.controller.as_ref().map(|controller| {
                let mut value = json!({
                    "address": controller.address,
                    "kind": kind_name(&controller.kind),
                    "via": controller.via,
                    "description": controller.kind.to_string(),
                });
                match &controller.kind {
                    upgrade::ControllerKind::Multisig { threshold, owners } => {
                        value["threshold"] = json!(threshold);
                        value["owners"] = json!(owners);
                    }
                    upgrade::ControllerKind::Timelock { min_delay } => {
                        value["min_delay_seconds"] = json!(min_delay);
                    }
                    _ => {}
                }
                value
            });
            json!({
                "proxy": control.proxy,
                "mechanism": control.mechanism.to_string(),
                "controller": controller,
            })
        })
        .collect();
    let findings: Vec<Value> = scan.findings.iter().map(finding_json).collect();
    let facts: serde_json::Map<String, Value> = scan
        .code
        .facts
        .iter()
        .chain(&scan.facts)
        .map(|(name, value)| (name.clone(), json!(value)))
        .collect();
    let source = match &scan.source {
        SourceStatus::Analyzed(analysis) => json!({
            "status": "analyzed",
            "description": scan.source.describe(),
            "provider": analysis.provider.to_string(),
            "contract": analysis.contract_name,
            "compiler": analysis.compiler_version,
            "check": {
                "status": match analysis.check {
                    verified::Match::Exact { .. } => "exact",
                    verified::Match::Mismatch { .. } => "mismatch",
                    verified::Match::Unverifiable { .. } => "unverifiable",
                },
                "description": analysis.check.to_string(),
            },
            "analysis_error": analysis.report.as_ref().err(),
            "diagnostics": analysis.report.as_ref().map(|r| r.diagnostics.len()).unwrap_or(0),
        }),
        SourceStatus::NotVerified { .. } => {
            json!({"status": "not-verified", "description": scan.source.describe()})
        }
        SourceStatus::NotFetched { .. } => {
            json!({"status": "not-fetched", "description": scan.source.describe()})
        }
        SourceStatus::Failed { .. } => {
            json!({"status": "failed", "description": scan.source.describe()})
        }
    };
    let document = json!({
        "version": 1,
        "tool": tool_info(),
        "target": {
            "address": resolution.address,
            "chain_id": scan.chain_id,
            "block": scan.block,
        },
        "proxy_chain": hops,
        "implementation": {
            "address": resolution.implementation,
            "facts": facts,
        },
        "source": source,
        "upgrade_controls": controls,
        "notes": resolution.notes,
        "summary": Summary::of(severities(scan)),
        "findings": findings,
    });
    serde_json::to_string_pretty(&document).unwrap_or_default()
}

/// One finding in the JSON report: `place` says where, `simulation` what the simulation
/// showed (access-control findings only).
fn finding_json(finding: &DeployedFinding) -> Value {
    let place = match &finding.place {
        Place::Addresses(addresses) => json!({"kind": "addresses", "addresses": addresses}),
        Place::Source {
            file,
            line,
            contract,
            function,
        } => json!({
            "kind": "source",
            "file": file,
            "line": line,
            "contract": contract,
            "function": function,
        }),
        Place::Bytecode {
            address,
            selector,
            function,
            pc,
        } => json!({
            "kind": "bytecode",
            "address": address,
            "selector": selector.as_ref().map(|s| format!("0x{}", hex_selector(s))),
            "function": function,
            "pc": pc,
        }),
    };
    let simulation = finding
        .simulation
        .as_ref()
        .map(|simulation| json!({"status": simulation.status(), "detail": simulation.detail()}));
    json!({
        "rule_id": finding.id,
        "severity": finding.severity.as_str(),
        "message": finding.message,
        "place": place,
        "simulation": simulation,
    })
}

fn kind_name(kind: &upgrade::ControllerKind) -> &'static str {
    match kind {
        upgrade::ControllerKind::Eoa => "eoa",
        upgrade::ControllerKind::Multisig { .. } => "multisig",
        upgrade::ControllerKind::Timelock { .. } => "timelock",
        upgrade::ControllerKind::Contract => "contract",
        upgrade::ControllerKind::Renounced => "renounced",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_addresses_only() {
        assert!(parse_address("0x000000000000000000000000000000000000bEEF").is_some());
        assert!(parse_address("0x00000000000000000000000000000000000000").is_none());
        assert!(parse_address("contracts/0x000000000000000000000000000000000000beef").is_none());
        assert!(parse_address("0x000000000000000000000000000000000000beeg").is_none());
    }

    #[test]
    fn endpoints_come_from_flags_or_the_chain_table() {
        let file = ConfigFile::parse(
            "[chains.local]\nurls = [\"http://127.0.0.1:8545\"]\nexpected-chain-id = 31337\n",
        )
        .unwrap();
        let urls = vec!["http://other:1".to_string()];
        let config = client_config(
            &Endpoints {
                rpc_urls: &urls,
                chain: Some("local"),
            },
            &file,
        )
        .unwrap();
        assert_eq!(
            (config.urls, config.expected_chain_id),
            (urls.clone(), Some(31337))
        );
        let error = client_config(
            &Endpoints {
                rpc_urls: &[],
                chain: Some("mainnet"),
            },
            &file,
        )
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "unknown chain `mainnet`: the configuration has [chains.local]"
        );
        let error = client_config(
            &Endpoints {
                rpc_urls: &[],
                chain: None,
            },
            &ConfigFile::default(),
        )
        .unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("an address scan needs an RPC endpoint")
        );
    }
}
