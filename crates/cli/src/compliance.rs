//! `web3audit compliance report|verify`: a tenant's signed compliance evidence pack for a
//! period, and checking one (`server::compliance`).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, anyhow, bail};

use crate::service::{ConfigArgs, runtime, settings};

#[derive(Debug, clap::Subcommand)]
pub(crate) enum ComplianceCommand {
    /// Write a tenant's evidence pack for a period (access changes, sign-ins, denials,
    /// configuration changes, backups and restores, retention runs, incidents, and the
    /// audit trail's verification), each control mapped to SOC 2 and ISO 27001, signed
    /// with the service's secret key. Recorded in the audit trail.
    Report(ReportArgs),
    /// Check a pack's signature: exit 0 when it is intact and signed with this service's
    /// key, 1 when it was changed or signed with another key, 2 when it cannot be checked.
    Verify(VerifyArgs),
}

#[derive(Debug, clap::Args)]
pub(crate) struct ReportArgs {
    #[command(flatten)]
    config: ConfigArgs,
    /// The tenant's id.
    #[arg(long)]
    tenant: String,
    /// First day (`YYYY-MM-DD`, UTC) or instant (RFC 3339) of the period.
    #[arg(long)]
    from: String,
    /// Last day of the period, included (`YYYY-MM-DD`, UTC), or the instant it ends
    /// (RFC 3339, excluded).
    #[arg(long)]
    to: String,
    /// `pdf` or `json`.
    #[arg(long, default_value = "pdf", value_parser = ["pdf", "json"])]
    format: String,
    /// Where to write the pack; standard output when absent.
    #[arg(long, short)]
    output: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub(crate) struct VerifyArgs {
    #[command(flatten)]
    config: ConfigArgs,
    /// The pack (`.pdf` or `.json`).
    file: PathBuf,
}

pub(crate) fn run(command: ComplianceCommand) -> ExitCode {
    match command {
        ComplianceCommand::Report(args) => match report(&args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("error: {error:#}");
                ExitCode::from(2)
            }
        },
        ComplianceCommand::Verify(args) => verify(&args),
    }
}

/// A day at 00:00 UTC, or an RFC 3339 instant, in Unix milliseconds; a day given as `to`
/// is included (the period ends at the next midnight).
fn instant(text: &str, end_of_day: bool) -> anyhow::Result<i64> {
    let is_day = text.len() == 10 && text.as_bytes()[4] == b'-' && text.as_bytes()[7] == b'-';
    let full = if is_day {
        format!("{text}T00:00:00Z")
    } else {
        text.to_owned()
    };
    let at = humantime::parse_rfc3339(&full).map_err(|_| {
        anyhow!("`{text}` is neither a day (YYYY-MM-DD) nor an RFC 3339 instant (UTC, `Z`)")
    })?;
    let ms = at
        .duration_since(std::time::UNIX_EPOCH)
        .map_err(|_| anyhow!("`{text}` is before 1970"))?
        .as_millis() as i64;
    Ok(if is_day && end_of_day {
        ms + 86_400_000
    } else {
        ms
    })
}

fn signer_of(config: &ConfigArgs) -> anyhow::Result<(server::Settings, store::trail::Signer)> {
    let settings = settings(config, None).map_err(|_| anyhow!("the configuration is invalid"))?;
    let (secret, _) = server::resolve_secret(&settings, false)
        .context("the pack is signed with the service's secret key, which cannot be read")?;
    let signer = store::trail::Signer::new(secret.expose().as_bytes());
    Ok((settings, signer))
}

fn report(args: &ReportArgs) -> anyhow::Result<()> {
    let from_ms = instant(&args.from, false)?;
    let to_ms = instant(&args.to, true)?;
    if from_ms >= to_ms {
        bail!("--from must be before --to");
    }
    let (settings, signer) = signer_of(&args.config)?;
    let request = server::compliance::PackRequest {
        tenant_id: args.tenant.clone(),
        from_ms,
        to_ms,
        generated_by: "cli:compliance".into(),
    };
    let bytes = runtime().block_on(async {
        let store = store::connect(&settings.database_url).await?;
        let pack = server::compliance::build(
            store.as_ref(),
            &signer,
            &request,
            server::timestamp::now_ms(),
        )
        .await?;
        let bytes = if args.format == "json" {
            server::compliance::signed_json(&pack, &signer)
        } else {
            server::compliance::signed_pdf(&pack, &signer)
        };
        server::compliance::record(store.as_ref(), &signer, &request, &args.format, &bytes).await?;
        anyhow::Ok(bytes)
    })?;
    match &args.output {
        Some(path) => {
            std::fs::write(path, &bytes)
                .with_context(|| format!("cannot write {}", path.display()))?;
            eprintln!(
                "compliance pack written: {} ({} bytes, {})",
                path.display(),
                bytes.len(),
                args.format
            );
        }
        None => {
            use std::io::Write;
            std::io::stdout().write_all(&bytes)?;
        }
    }
    Ok(())
}

fn verify(args: &VerifyArgs) -> ExitCode {
    let bytes = match std::fs::read(&args.file) {
        Ok(bytes) => bytes,
        Err(error) => {
            eprintln!("error: cannot read {}: {error}", args.file.display());
            return ExitCode::from(2);
        }
    };
    let signer = match signer_of(&args.config) {
        Ok((_, signer)) => signer,
        Err(error) => {
            eprintln!("error: {error:#}");
            return ExitCode::from(2);
        }
    };
    match server::compliance::verify(&bytes, &signer) {
        Ok(verified) => {
            println!(
                "intact: {} pack signed with this service's key (SHA-256 {})",
                verified.format, verified.sha256
            );
            ExitCode::SUCCESS
        }
        Err(server::compliance::VerifyError::NotAPack(why)) => {
            eprintln!(
                "error: {} is not a compliance pack: {why}",
                args.file.display()
            );
            ExitCode::from(2)
        }
        Err(error) => {
            println!("REFUSED: {error}");
            ExitCode::from(1)
        }
    }
}
