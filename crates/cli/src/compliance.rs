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
    /// Check a pack's signature: exit 0 when it is intact and signed with a trusted key
    /// (the service's secret key, the configured Ed25519 key or a `--public-key`), 1 when
    /// it was changed or signed with another key, 2 when it cannot be checked.
    Verify(VerifyArgs),
    /// Make an Ed25519 key to sign packs with (`[compliance] signing_key_file`); prints
    /// its public key, which verifies the packs without any secret.
    Keygen(KeygenArgs),
}

#[derive(Debug, clap::Args)]
pub(crate) struct KeygenArgs {
    /// Where to write the private key (created, readable by the owner only).
    #[arg(long)]
    out: PathBuf,
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
    /// An Ed25519 public key (hex) to trust, as `keygen` printed it; may be repeated.
    #[arg(long = "public-key", value_name = "HEX")]
    public_keys: Vec<String>,
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
        ComplianceCommand::Keygen(args) => match keygen(&args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("error: {error:#}");
                ExitCode::from(2)
            }
        },
    }
}

/// A day at 00:00 UTC, or an RFC 3339 instant, in Unix milliseconds; a day given as `to`
/// is included (the period ends at the next midnight).
fn instant(text: &str, end_of_day: bool) -> anyhow::Result<i64> {
    // A day as the dashboard reads it.
    if let Some(midnight) = server::timestamp::day_start_ms(text) {
        return Ok(if end_of_day {
            midnight + 86_400_000
        } else {
            midnight
        });
    }
    let at = humantime::parse_rfc3339(text).map_err(|_| {
        anyhow!("`{text}` is neither a day (YYYY-MM-DD) nor an RFC 3339 instant (UTC, `Z`)")
    })?;
    Ok(at
        .duration_since(std::time::UNIX_EPOCH)
        .map_err(|_| anyhow!("`{text}` is before 1970"))?
        .as_millis() as i64)
}

fn keygen(args: &KeygenArgs) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let (text, key) = server::compliance::Ed25519Key::generate().map_err(|e| anyhow!(e))?;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    writeln!(file, "{text}")?;
    eprintln!(
        "signing key written to {} (set [compliance] signing_key_file to it)",
        args.out.display()
    );
    println!("{}", key.public_hex());
    Ok(())
}

/// The settings, the service's secret key (the trail's signer) and what signs packs.
fn keys_of(
    config: &ConfigArgs,
) -> anyhow::Result<(
    server::Settings,
    store::trail::Signer,
    server::compliance::PackKey,
)> {
    let settings = settings(config, None).map_err(|_| anyhow!("the configuration is invalid"))?;
    let (secret, _) = server::resolve_secret(&settings, false)
        .context("the service's secret key (the audit trail's) cannot be read")?;
    let signer = store::trail::Signer::new(secret.expose().as_bytes());
    let key = server::compliance::pack_key(&settings, &secret).map_err(|e| anyhow!(e))?;
    Ok((settings, signer, key))
}

fn report(args: &ReportArgs) -> anyhow::Result<()> {
    let from_ms = instant(&args.from, false)?;
    let to_ms = instant(&args.to, true)?;
    if from_ms >= to_ms {
        bail!("--from must be before --to");
    }
    let (settings, signer, key) = keys_of(&args.config)?;
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
            server::compliance::signed_json(&pack, &key)
        } else {
            server::compliance::signed_pdf(&pack, &key)
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
    // Trusted: the given public keys, the configured signing key's, and the service's
    // secret key when it can be read here.
    let mut trust = server::compliance::Trust {
        hmac: None,
        ed25519: args.public_keys.clone(),
    };
    if let Ok(settings) = settings(&args.config, None)
        && let Ok((secret, _)) = server::resolve_secret(&settings, false)
    {
        if let Ok(server::compliance::PackKey::Ed25519(key)) =
            server::compliance::pack_key(&settings, &secret)
        {
            trust.ed25519.push(key.public_hex());
        }
        trust.hmac = Some(store::trail::Signer::new(secret.expose().as_bytes()));
    }
    match server::compliance::verify(&bytes, &trust) {
        Ok(verified) => {
            println!(
                "intact: {} pack signed with a trusted {} key (SHA-256 {})",
                verified.format, verified.algorithm, verified.sha256
            );
            ExitCode::SUCCESS
        }
        Err(error @ server::compliance::VerifyError::NoKey(_)) => {
            eprintln!("error: {error}");
            ExitCode::from(2)
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
