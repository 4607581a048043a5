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

/// The analyzer behind `web3audit serve`. Temporary until the lead wires the real
/// pipeline here: every audit fails with the reason "analyzer not wired".
pub(crate) fn service_analyzer() -> std::sync::Arc<dyn server::Analyzer> {
    std::sync::Arc::new(UnwiredAnalyzer)
}

struct UnwiredAnalyzer;

impl server::Analyzer for UnwiredAnalyzer {
    fn version(&self) -> String {
        "unwired".into()
    }

    fn analyze(&self, _request: &server::AnalysisRequest) -> Result<server::AnalysisOutput, server::AnalysisError> {
        Err(server::AnalysisError::new("analyzer not wired"))
    }
}
