//! `web3audit doctor`: which other analyzers this machine can run.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::config::{self, ConfigFile};

#[derive(Debug, clap::Args)]
pub(crate) struct DoctorArgs {
    /// Read `[tools.NAME]` from FILE instead of the `web3audit.toml` found in the
    /// current folder or the nearest ancestor that has one.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,

    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

/// Exit 0 when every tool answers, 1 when one is missing (they are optional), 2 when
/// one is configured or installed but broken, or the configuration cannot be read.
pub(crate) fn run(args: &DoctorArgs) -> ExitCode {
    let path = args
        .config
        .clone()
        .or_else(|| config::discover(Path::new(".")));
    let file = match path {
        Some(path) => match ConfigFile::load(&path) {
            Ok(file) => file,
            Err(err) => {
                eprintln!("error: {err:#}");
                return ExitCode::from(2);
            }
        },
        None => ConfigFile::default(),
    };
    let checkup = tools::doctor::check(&file.tools);
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&checkup).expect("the checkup serializes")
        );
    } else {
        print!("{}", tools::doctor::render(&checkup));
    }
    ExitCode::from(checkup.exit_code())
}
