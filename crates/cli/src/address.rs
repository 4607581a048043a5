//! `web3audit scan 0xADDRESS`: a deployed contract, read over JSON-RPC at one block.
//!
//! Three steps, each one function: [`inspect`] reads the chain (chain id, block, the proxy
//! chain, the upgrade controllers); [`analyze_runtime_code`] looks at the implementation's
//! runtime code (the place where bytecode analysis plugs in); [`render_text`] and
//! [`render_json`] print the result in the styles of the source scan.

use std::fmt::Write as _;

use alloy_primitives::{Address, keccak256};
use anyhow::{Context, Result, bail};
use chain::proxy::{self, ProxyHop, Resolution};
use chain::upgrade::{self, ChainFinding, UpgradeControl};
use chain::{ClientConfig, RpcClient, StateReader};
use detectors::Severity;
use report::Summary;
use serde_json::{Value, json};

use crate::analysis::tool_info;
use crate::config::ConfigFile;

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
    pub(crate) findings: Vec<ChainFinding>,
}

/// Everything an address scan reports.
#[derive(Debug)]
pub(crate) struct AddressScan {
    pub(crate) chain_id: u64,
    pub(crate) block: u64,
    pub(crate) resolution: Resolution,
    pub(crate) controls: Vec<UpgradeControl>,
    pub(crate) code: CodeAnalysis,
    /// Upgrade findings, then the code's.
    pub(crate) findings: Vec<ChainFinding>,
}

/// Reads `address` at `block` (the latest when `None`) through `reader`.
pub(crate) fn inspect(
    reader: &dyn StateReader,
    address: Address,
    block: Option<u64>,
) -> Result<AddressScan> {
    let chain_id = reader.chain_id()?;
    let latest = reader.block_number()?;
    let block = match block {
        Some(block) if block > latest => {
            bail!("block {block} is not there yet: the latest block is {latest}")
        }
        Some(block) => block,
        None => latest,
    };
    let resolution = proxy::resolve(reader, address, block)?;
    let controls = upgrade::upgrade_controls(reader, &resolution)
        .context("cannot establish who controls upgrades")?;
    let code = analyze_runtime_code(resolution.implementation, &resolution.implementation_code);
    let mut findings = upgrade::findings(&controls);
    findings.extend(code.findings.iter().cloned());
    Ok(AddressScan {
        chain_id,
        block,
        resolution,
        controls,
        code,
        findings,
    })
}

/// The analysis of the implementation's runtime code: for now its size and hash; the
/// bytecode detectors add their findings here.
pub(crate) fn analyze_runtime_code(address: Address, code: &[u8]) -> CodeAnalysis {
    let _ = address;
    CodeAnalysis {
        facts: vec![
            ("runtime code".into(), format!("{} bytes", code.len())),
            ("code hash".into(), keccak256(code).to_string()),
        ],
        findings: Vec::new(),
    }
}

/// The scan through a client made from `config`.
pub(crate) fn scan(
    config: ClientConfig,
    address: Address,
    block: Option<u64>,
) -> Result<AddressScan> {
    let client = RpcClient::new(config)?;
    inspect(&client, address, block)
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
    scan.findings.iter().map(severity).collect()
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
    for (name, value) in &scan.code.facts {
        let _ = writeln!(out, "{name}: {value}");
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
            severity(finding),
            finding.id,
            finding.message
        );
        let addresses: Vec<String> = finding.addresses.iter().map(ToString::to_string).collect();
        let _ = writeln!(out, "  = addresses: {}", addresses.join(", "));
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
    let findings: Vec<Value> = scan
        .findings
        .iter()
        .map(|finding| {
            json!({
                "rule_id": finding.id,
                "severity": severity(finding).as_str(),
                "message": finding.message,
                "addresses": finding.addresses,
            })
        })
        .collect();
    let facts: serde_json::Map<String, Value> = scan
        .code
        .facts
        .iter()
        .map(|(name, value)| (name.clone(), json!(value)))
        .collect();
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
        "upgrade_controls": controls,
        "notes": resolution.notes,
        "summary": Summary::of(severities(scan)),
        "findings": findings,
    });
    serde_json::to_string_pretty(&document).unwrap_or_default()
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
