//! `web3audit monitor run` and `monitor check`: on-chain monitors from a monitor file.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::service::{ChainsArgs, ConfigArgs};

#[derive(Debug, clap::Args)]
pub(crate) struct RunArgs {
    #[command(flatten)]
    config: ConfigArgs,
    /// The monitor file (TOML); overrides `[monitoring] monitors_file`. The tenants'
    /// monitors defined through the API run as well.
    #[arg(long, value_name = "FILE")]
    monitors: Option<PathBuf>,
    /// Address of the health and metrics endpoints, e.g. `127.0.0.1:9100`.
    #[arg(long, value_name = "ADDR")]
    bind: Option<String>,
}

#[derive(Debug, clap::Args)]
pub(crate) struct CheckArgs {
    /// The monitor file (TOML).
    file: PathBuf,
}

/// Follows the monitors until interrupted (a process of the service's `Monitor` role).
pub(crate) fn run(args: RunArgs) -> ExitCode {
    crate::service::run_node(
        server::NodeRole::Monitor,
        &args.config,
        &ChainsArgs { scan_config: None },
        args.bind,
        0,
        args.monitors,
    )
}

/// Checks a monitor file: every rule compiled, every condition type-checked.
pub(crate) fn check(args: &CheckArgs) -> ExitCode {
    match load(&args.file) {
        Ok(monitors) => {
            let rules: usize = monitors.iter().map(|m| m.rules.len()).sum();
            println!(
                "{}: {} monitor(s), {rules} rule(s): valid",
                args.file.display(),
                monitors.len()
            );
            ExitCode::SUCCESS
        }
        Err(code) => code,
    }
}

/// Reads and compiles a monitor file, ABI paths relative to it; prints a precise error
/// (exit 2) when it cannot be used.
pub(crate) fn load(path: &Path) -> Result<Vec<monitor::rules::Monitor>, ExitCode> {
    let text = std::fs::read_to_string(path).map_err(|error| {
        eprintln!("error: cannot read {}: {error}", path.display());
        ExitCode::from(2)
    })?;
    let base = path.parent().unwrap_or(Path::new("."));
    monitor::load_monitors(&text, Some(base)).map_err(|error| {
        eprintln!("error: {}:{error}", path.display());
        ExitCode::from(2)
    })
}
