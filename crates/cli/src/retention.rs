//! `web3audit retention run [--dry-run]`: one retention sweep now, with the configured
//! periods (`[retention]`, `WEB3AUDIT_RETENTION_*`), or a count of what it would delete.

use std::process::ExitCode;

use crate::service::{ConfigArgs, runtime, settings};

#[derive(Debug, clap::Subcommand)]
pub(crate) enum RetentionCommand {
    /// Delete now what is older than the configured retention periods; prints the rows
    /// deleted per kind (exit 0), or the error (exit 1).
    Run(RunArgs),
}

#[derive(Debug, clap::Args)]
pub(crate) struct RunArgs {
    #[command(flatten)]
    config: ConfigArgs,
    /// Count what would be deleted; delete nothing.
    #[arg(long)]
    dry_run: bool,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(command: RetentionCommand) -> ExitCode {
    let RetentionCommand::Run(args) = command;
    let settings = match settings(&args.config, None) {
        Ok(settings) => settings,
        Err(code) => return code,
    };
    // Pruning signs checkpoints and trail entries with the service's key; counting does
    // not need it.
    let signer = match server::resolve_secret(&settings, false) {
        Ok((secret, _)) => store::trail::Signer::new(secret.expose().as_bytes()),
        Err(_) if args.dry_run => store::trail::Signer::new(&[]),
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(1);
        }
    };
    let retention = settings.retention;
    let result = runtime().block_on(async {
        let store = store::connect(&settings.database_url).await?;
        anyhow::Ok(
            server::retention::sweep(
                store.as_ref(),
                &signer,
                &retention,
                server::timestamp::now_ms(),
                "cli:retention",
                args.dry_run,
            )
            .await?,
        )
    });
    let report = match result {
        Ok(report) => report,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(1);
        }
    };
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).expect("the report serializes")
        );
        return ExitCode::SUCCESS;
    }
    if !retention.any() {
        println!(
            "no retention period is configured ([retention] in the configuration file, or WEB3AUDIT_RETENTION_*): everything is kept"
        );
        return ExitCode::SUCCESS;
    }
    println!(
        "{}",
        if report.dry_run {
            "retention run --dry-run: rows that would be deleted (nothing deleted)"
        } else {
            "retention run: rows deleted"
        }
    );
    for kind in &report.kinds {
        let rows = kind.rows.map_or_else(|| "-".to_string(), |n| n.to_string());
        let detail = match (kind.note, kind.older_than) {
            (Some(note), _) => note.to_string(),
            (None, Some(before)) => format!("older than {}", server::rfc3339(before)),
            (None, None) => String::new(),
        };
        println!("  {:<20} {rows:>8}  {detail}", kind.kind);
    }
    if let Some(checkpoint) = report.checkpoints.last() {
        println!(
            "audit trail: entries 1..={} pruned; the chain now starts at the checkpoint after entry {}",
            checkpoint.seq, checkpoint.seq
        );
    }
    println!("total: {} rows", report.total());
    ExitCode::SUCCESS
}
