//! `web3audit`: the one binary. Argument parsing and wiring only.

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

mod address;
mod analysis;
#[cfg(feature = "service")]
mod backup;
mod catalog;
#[cfg(feature = "service")]
mod chain_cache;
#[cfg(feature = "service")]
mod compliance;
mod config;
mod doctor;
mod dump;
mod lsp;
mod monitor;
#[cfg(feature = "service")]
mod monitor_run;
#[cfg(feature = "service")]
mod retention;
mod scan;
#[cfg(feature = "service")]
mod service;
#[cfg(feature = "service")]
mod top;

/// `0.1.0 (commit 0123456789ab; 66 source detectors, 12 bytecode detectors, set
/// 1a2b3c4d)`: the release, the commit it was built from, and the detector set (a
/// digest of the detector ids: two binaries with the same set report the same findings
/// for the same code and release). Computed once per process.
fn version_line() -> &'static str {
    use sha2::{Digest, Sha256};
    let source: Vec<&str> = detectors::registry::metas().map(|m| m.id).collect();
    let bytecode: Vec<&str> = evm::detectors().iter().map(|d| d.id).collect();
    let mut digest = Sha256::new();
    for id in source.iter().chain(&bytecode) {
        digest.update(id.as_bytes());
        digest.update([0u8]);
    }
    let set: String = digest.finalize()[..4]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let line = format!(
        "{} (commit {}; {} source detectors, {} bytecode detectors, set {set})",
        env!("CARGO_PKG_VERSION"),
        env!("WEB3AUDIT_COMMIT"),
        source.len(),
        bytecode.len(),
    );
    Box::leak(line.into_boxed_str())
}

/// Solidity and Vyper static analyzer and self-hostable audit service.
#[derive(Debug, Parser)]
#[command(name = "web3audit", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Scan Solidity and Vyper files, folders, Foundry or Hardhat projects.
    Scan(scan::ScanArgs),
    /// List the detectors.
    Detectors(catalog::DetectorsArgs),
    /// Print the documentation of one detector.
    Explain(catalog::ExplainArgs),
    /// Run the language server (Language Server Protocol over standard input and output):
    /// diagnostics as you type, the detector's documentation on hover, suppression code
    /// actions (`docs/editors.md`).
    Lsp(lsp::LspArgs),
    /// Which other analyzers (Slither, Aderyn, Mythril) `scan --with` can run here, with
    /// their versions; exit 0 all found, 1 one is missing, 2 one is broken.
    Doctor(doctor::DoctorArgs),
    /// Watch a running service: queue depth, active audits, audits/min, error rate, alerts.
    #[cfg(feature = "service")]
    Top(top::TopArgs),
    /// On-chain monitoring: suggest monitor rules from the analysis of a contract, check a
    /// monitor file, follow monitors and raise alerts and incidents.
    #[command(subcommand)]
    Monitor(monitor::MonitorCommand),
    #[cfg(feature = "service")]
    #[command(flatten)]
    Service(service::ServiceCommand),
    /// Data retention: delete what is older than the configured periods.
    #[cfg(feature = "service")]
    #[command(subcommand)]
    Retention(retention::RetentionCommand),
    /// Back up the service's database (online, one consistent snapshot), or list, clean
    /// up, verify backups.
    #[cfg(feature = "service")]
    Backup(backup::BackupArgs),
    /// Restore a backup into an empty database (of either backend), checked before it
    /// commits.
    #[cfg(feature = "service")]
    Restore(backup::RestoreArgs),
    /// Compliance evidence: a tenant's signed pack for a period (SOC 2, ISO 27001), and
    /// checking one.
    #[cfg(feature = "service")]
    #[command(subcommand)]
    Compliance(compliance::ComplianceCommand),
}

/// jemalloc instead of the C library's allocator: the analyzer allocates many small,
/// short-lived values (syntax trees, the semantic model) and the service frees on one
/// thread what another allocated. With glibc's allocator a scan of 2,000 contracts took
/// 11% more CPU time and a poll of the service 18% more, at the same peak memory
/// (docs/benchmarks.md, "The allocator").
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> ExitCode {
    let matches = Cli::command().version(version_line()).get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|error| error.exit());
    match cli.command {
        Command::Scan(args) => scan::run(args),
        Command::Detectors(args) => catalog::list(&args),
        Command::Explain(args) => catalog::explain(&args),
        Command::Doctor(args) => doctor::run(&args),
        Command::Lsp(args) => lsp::run(&args),
        Command::Monitor(cmd) => monitor::run(cmd),
        #[cfg(feature = "service")]
        Command::Top(args) => top::run(&args),
        #[cfg(feature = "service")]
        Command::Service(cmd) => service::run(cmd),
        #[cfg(feature = "service")]
        Command::Retention(cmd) => retention::run(cmd),
        #[cfg(feature = "service")]
        Command::Backup(args) => backup::run_backup(args),
        #[cfg(feature = "service")]
        Command::Restore(args) => backup::run_restore(args),
        #[cfg(feature = "service")]
        Command::Compliance(cmd) => compliance::run(cmd),
    }
}
