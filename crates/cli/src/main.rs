//! `web3audit`: the one binary. Argument parsing and wiring only.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod analysis;
mod backup;
mod catalog;
mod config;
mod dump;
mod scan;
mod service;
mod top;

/// Solidity static analyzer and self-hostable audit service.
#[derive(Debug, Parser)]
#[command(name = "web3audit", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Scan Solidity files, folders, Foundry or Hardhat projects.
    Scan(scan::ScanArgs),
    /// List the detectors.
    Detectors(catalog::DetectorsArgs),
    /// Print the documentation of one detector.
    Explain(catalog::ExplainArgs),
    /// Watch a running service: queue depth, active audits, audits/min, error rate, alerts.
    #[command(alias = "monitor")]
    Top(top::TopArgs),
    #[command(flatten)]
    Service(service::ServiceCommand),
    /// Back up the service's database (online, one consistent snapshot), or list, clean
    /// up, verify backups.
    Backup(backup::BackupArgs),
    /// Restore a backup into an empty database (of either backend), checked before it
    /// commits.
    Restore(backup::RestoreArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Scan(args) => scan::run(args),
        Command::Detectors(args) => catalog::list(&args),
        Command::Explain(args) => catalog::explain(&args),
        Command::Top(args) => top::run(&args),
        Command::Service(cmd) => service::run(cmd),
        Command::Backup(args) => backup::run_backup(args),
        Command::Restore(args) => backup::run_restore(args),
    }
}
