//! `web3audit monitor`: on-chain monitoring. `suggest` writes a monitor file for what the
//! analysis knows about a contract, from its sources or from a deployed address.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use ::monitor::suggest::{self, Request, Suggestion, Unit};
use alloy_primitives::Address;
use anyhow::{Context, Result, bail};
use project::{LoadOptions, Project};

use crate::address;
use crate::analysis;
use crate::config::{self, ConfigFile};

/// The `monitor` subcommands.
#[derive(Debug, clap::Subcommand)]
pub(crate) enum MonitorCommand {
    /// Write monitor rules for a contract from its analysis: privileged functions,
    /// ownership, role, pause and upgrade events, proxy slots, ether and supply.
    Suggest(SuggestArgs),
    /// Check a monitor file: every rule compiled, every condition type-checked.
    #[cfg(feature = "service")]
    Check(crate::monitor_run::CheckArgs),
    /// Follow the monitors of a monitor file and the tenants' monitors (health and metrics
    /// over HTTP); alerts go to the service's alert channels, incidents to its database.
    #[cfg(feature = "service")]
    Run(crate::monitor_run::RunArgs),
}

pub(crate) fn run(command: MonitorCommand) -> ExitCode {
    let result = match command {
        MonitorCommand::Suggest(args) => run_suggest(&args),
        #[cfg(feature = "service")]
        MonitorCommand::Check(args) => return crate::monitor_run::check(&args),
        #[cfg(feature = "service")]
        MonitorCommand::Run(args) => return crate::monitor_run::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(2)
        }
    }
}

#[derive(Debug, clap::Args)]
pub(crate) struct SuggestArgs {
    /// A Solidity file or project folder; or a deployed contract's address (`0x` and 40
    /// hex digits) with `--rpc`.
    #[arg(value_name = "PATH|ADDRESS")]
    target: String,

    /// The contract to watch (repeatable); default: every deployable contract of the
    /// sources that is not a base of another (an address: the verified contract).
    #[arg(long = "contract", value_name = "NAME")]
    contracts: Vec<String>,

    /// The deployed address (the proxy's, for an upgradeable contract); without it the
    /// file watches the zero address, to fill in.
    #[arg(long, value_name = "0x…", value_parser = parse_address)]
    address: Option<Address>,

    /// The chain the contract is deployed on (default 1; an address: the RPC's chain).
    #[arg(long, value_name = "N")]
    chain_id: Option<u64>,

    /// JSON-RPC endpoint written into the monitor (repeatable: failover), and read from
    /// when the target is an address.
    #[arg(long, value_name = "URL")]
    rpc: Vec<String>,

    /// Write the monitor file to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,

    /// Extra import remapping `PREFIX=TARGET` (repeatable).
    #[arg(long, value_name = "PREFIX=TARGET")]
    remap: Vec<String>,

    /// Read the configuration (`[sources]` for verified sources) from FILE instead of the
    /// `web3audit.toml` found in the current folder or the nearest ancestor that has one.
    #[arg(long, value_name = "FILE", conflicts_with = "no_config")]
    config: Option<PathBuf>,

    /// Ignore every `web3audit.toml`.
    #[arg(long)]
    no_config: bool,

    /// Address target: do not fetch the verified source; suggest from the bytecode and
    /// the proxy only.
    #[arg(long)]
    bytecode_only: bool,
}

fn parse_address(text: &str) -> Result<Address, String> {
    address::parse_address(text)
        .ok_or_else(|| format!("`{text}` is not an address (0x and 40 hex digits)"))
}

fn run_suggest(args: &SuggestArgs) -> Result<()> {
    let target = Path::new(&args.target);
    let (suggestion, origin) = match address::parse_address(&args.target) {
        Some(deployed) if !target.exists() => suggest_address(args, deployed)?,
        _ => suggest_path(args, target)?,
    };
    let text = suggestion.to_toml(&origin);
    // The file must load as written: a failure here is a bug of the suggestion.
    ::monitor::load(&text, None).context("the suggested monitor file does not load")?;
    for note in &suggestion.notes {
        eprintln!("note: {note}");
    }
    crate::scan::write_output(args.output.as_deref(), text.as_bytes())?;
    if let Some(path) = &args.output {
        let rules: usize = suggestion.file.monitors.iter().map(|m| m.rules.len()).sum();
        eprintln!(
            "wrote {} monitor{} with {rules} rule{} to {}: review them before loading",
            suggestion.file.monitors.len(),
            plural(suggestion.file.monitors.len()),
            plural(rules),
            path.display()
        );
    }
    Ok(())
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// `suggest PATH`: the sources loaded as `scan` loads them.
fn suggest_path(args: &SuggestArgs, target: &Path) -> Result<(Suggestion, String)> {
    if args.bytecode_only {
        bail!("--bytecode-only applies to a contract address (0x…), not to sources");
    }
    if !target.exists() {
        bail!(
            "{} is neither a file, a folder nor a contract address (0x and 40 hex digits)",
            target.display()
        );
    }
    let project = Project::load(
        &[target.to_path_buf()],
        &LoadOptions {
            remappings: args.remap.clone(),
            ..LoadOptions::default()
        },
    )?;
    let model = analysis::build_model(&project, None);
    let unit = Unit {
        model: &model,
        texts: project.files.iter().map(|f| (f.id, &*f.text)).collect(),
        files: Some(
            project
                .reported_files()
                .map(|f| f.id)
                .collect::<BTreeSet<_>>(),
        ),
    };
    let request = Request {
        contracts: args.contracts.clone(),
        address: args.address,
        chain_id: args.chain_id.unwrap_or(1),
        rpc: args.rpc.clone(),
        proxy: None,
    };
    let suggestion = suggest::suggest(&unit, &request)?;
    if args.address.is_none() && !suggestion.file.monitors.is_empty() {
        eprintln!(
            "note: the file watches address {}: set each contract's `address` to the deployed one (the proxy's, for an upgradeable contract), or pass --address",
            suggest::UNKNOWN_ADDRESS
        );
    }
    Ok((suggestion, target.display().to_string()))
}

/// `suggest 0xADDRESS`: the proxy chain and the verified source of the implementation, as
/// the address scan reads them.
fn suggest_address(args: &SuggestArgs, target: Address) -> Result<(Suggestion, String)> {
    if args.address.is_some_and(|a| a != target) {
        bail!("--address differs from the address to suggest for");
    }
    if args.rpc.is_empty() {
        bail!("suggesting for a deployed contract needs its chain: --rpc URL");
    }
    let mut file = if args.no_config {
        ConfigFile::default()
    } else {
        match args
            .config
            .clone()
            .or_else(|| config::discover(Path::new(".")))
        {
            Some(path) => ConfigFile::load(&path)?,
            None => ConfigFile::default(),
        }
    };
    let client = address::client_config(
        &address::Endpoints {
            rpc_urls: &args.rpc,
            chain: None,
        },
        &file,
    )?;
    let sources = file.sources.take().unwrap_or_default();
    let deployed = address::deployed(client, target, (!args.bytecode_only).then_some(&sources))?;
    if let Some(expected) = args.chain_id
        && expected != deployed.chain_id
    {
        bail!(
            "the RPC serves chain {}, not chain {expected}",
            deployed.chain_id
        );
    }
    let proxy = deployed.resolution.hops.first().map(|hop| hop.kind.clone());
    if let Some(hop) = deployed.resolution.hops.first() {
        eprintln!("note: {target} delegates to {} ({})", hop.target, hop.kind);
    }
    let request = Request {
        contracts: args.contracts.clone(),
        address: Some(target),
        chain_id: deployed.chain_id,
        rpc: args.rpc.clone(),
        proxy,
    };
    let implementation = deployed.resolution.implementation;
    let Some(analysis) = deployed.source.analysis() else {
        eprintln!(
            "note: the source of {implementation} {}: only the proxy slots, code changes and the native balance are watched",
            deployed
                .source
                .describe()
                .trim_end_matches(": the bytecode was analyzed")
        );
        return Ok((
            suggest::suggest_bytecode(&request),
            format!("the bytecode of {target} (chain {})", deployed.chain_id),
        ));
    };
    if !analysis.check.is_exact() {
        eprintln!(
            "note: the verified source and the deployed code: {}",
            analysis.check
        );
    }
    let project = Project::from_sources(analysis.sources.clone(), &LoadOptions::default());
    let model = analysis::build_model(&project, None);
    let texts: BTreeMap<_, _> = project.files.iter().map(|f| (f.id, &*f.text)).collect();
    let unit = Unit {
        model: &model,
        texts,
        files: Some(project.reported_files().map(|f| f.id).collect()),
    };
    let mut request = request;
    if request.contracts.is_empty()
        && let Some(name) = &analysis.contract_name
    {
        request.contracts = vec![name.clone()];
    }
    let suggestion = suggest::suggest(&unit, &request)?;
    let name = analysis
        .contract_name
        .as_deref()
        .map(|n| format!(" ({n})"))
        .unwrap_or_default();
    Ok((
        suggestion,
        format!(
            "the verified source of {implementation}{name}, deployed at {target} (chain {})",
            deployed.chain_id
        ),
    ))
}
