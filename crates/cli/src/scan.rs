//! `web3audit scan`.

use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub(crate) struct ScanArgs {
    /// Files or folders to scan.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
}

pub(crate) fn run(args: ScanArgs) -> ExitCode {
    eprintln!("scan of {} path(s) is not wired yet", args.paths.len());
    ExitCode::from(2)
}
