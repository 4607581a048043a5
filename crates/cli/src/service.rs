//! The service front end: `serve`, `worker`, `admin bootstrap`, `config validate|show`,
//! `audit-log verify`, `health`. Wiring only; the service lives in the `server` crate.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use server::{Analyzer, ConfigFile, Settings};

#[derive(Debug, clap::Subcommand)]
pub(crate) enum ServiceCommand {
    /// Run the audit service (HTTP API and job workers).
    Serve(ServeArgs),
    /// Run job workers only (HTTP for health and metrics), against a PostgreSQL database
    /// shared with `serve --no-workers` nodes.
    Worker(WorkerArgs),
    /// Administration of a service database.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Check or print the resolved service configuration.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// The tamper-evident audit trail.
    #[command(subcommand, name = "audit-log")]
    AuditLog(AuditLogCommand),
    /// Ask a running service for its health; exit 0 healthy, 1 degraded, 2 unhealthy.
    Health(HealthArgs),
}

/// Where the configuration comes from (defaults < file < WEB3AUDIT_* < flags).
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct ConfigArgs {
    /// Configuration file, TOML (`.toml`) or YAML (`.yaml`, `.yml`).
    #[arg(long, env = "WEB3AUDIT_CONFIG", value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,
    /// Database URL, e.g. `sqlite://data/web3audit.db`.
    #[arg(long, value_name = "URL")]
    pub(crate) database_url: Option<String>,
}

/// Where the chains of deployed-contract audits come from.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct ChainsArgs {
    /// A scan configuration (`web3audit.toml`) whose `[chains.NAME]` tables name the chains
    /// the service reads deployed contracts from (`{"address", "chain"}` submissions).
    #[arg(long, env = "WEB3AUDIT_SCAN_CONFIG", value_name = "FILE")]
    pub(crate) scan_config: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub(crate) struct ServeArgs {
    #[command(flatten)]
    config: ConfigArgs,
    #[command(flatten)]
    chains: ChainsArgs,
    /// Address to listen on, e.g. `127.0.0.1:8000`.
    #[arg(long, value_name = "ADDR")]
    bind: Option<String>,
    /// Serve the API only and leave audits to `web3audit worker` processes (PostgreSQL).
    #[arg(long)]
    no_workers: bool,
    /// Also follow the on-chain monitors of this monitor file (and the tenants' monitors);
    /// overrides `[monitoring] monitors_file`.
    #[arg(long, value_name = "FILE")]
    monitors: Option<PathBuf>,
    /// Testing aid: delay every analysis by this many milliseconds (restart tests use it
    /// to kill the server while audits run).
    #[arg(long, hide = true, default_value_t = 0)]
    test_analysis_delay_ms: u64,
}

#[derive(Debug, clap::Args)]
pub(crate) struct WorkerArgs {
    #[command(flatten)]
    config: ConfigArgs,
    #[command(flatten)]
    chains: ChainsArgs,
    /// Address of the health and metrics endpoints, e.g. `127.0.0.1:9000`.
    #[arg(long, value_name = "ADDR")]
    bind: Option<String>,
    /// Testing aid: delay every analysis by this many milliseconds.
    #[arg(long, hide = true, default_value_t = 0)]
    test_analysis_delay_ms: u64,
}

#[derive(Debug, clap::Subcommand)]
pub(crate) enum AdminCommand {
    /// Create the first tenant, its admin user and an admin API key; prints JSON.
    Bootstrap(BootstrapArgs),
}

#[derive(Debug, clap::Args)]
pub(crate) struct BootstrapArgs {
    #[command(flatten)]
    config: ConfigArgs,
    /// Name of the first (operator) tenant.
    #[arg(long)]
    tenant: String,
    /// Email of its admin; the password comes from WEB3AUDIT_ADMIN_PASSWORD or is generated.
    #[arg(long)]
    admin_email: String,
}

#[derive(Debug, clap::Subcommand)]
pub(crate) enum ConfigCommand {
    /// Check the configuration (and the scan configuration's chains, when given); exit 1
    /// with a precise message when it is invalid.
    Validate(ValidateArgs),
    /// Print the resolved configuration as TOML, secrets redacted.
    Show(ConfigArgs),
}

#[derive(Debug, clap::Args)]
pub(crate) struct ValidateArgs {
    #[command(flatten)]
    config: ConfigArgs,
    #[command(flatten)]
    chains: ChainsArgs,
}

#[derive(Debug, clap::Subcommand)]
pub(crate) enum AuditLogCommand {
    /// Verify the hash chain and HMACs; exit 1 at the first broken entry.
    Verify {
        #[command(flatten)]
        config: ConfigArgs,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, clap::Args)]
pub(crate) struct HealthArgs {
    /// Base URL of the service; default from the configured bind address.
    #[arg(long)]
    url: Option<String>,
    /// Print the detailed health document as JSON.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    config: ConfigArgs,
}

pub(crate) fn run(command: ServiceCommand) -> ExitCode {
    match command {
        ServiceCommand::Serve(args) => {
            let role = if args.no_workers {
                server::NodeRole::Api
            } else {
                server::NodeRole::Combined
            };
            run_node(
                role,
                &args.config,
                &args.chains,
                args.bind,
                args.test_analysis_delay_ms,
                args.monitors,
            )
        }
        ServiceCommand::Worker(args) => run_node(
            server::NodeRole::Worker,
            &args.config,
            &args.chains,
            args.bind,
            args.test_analysis_delay_ms,
            None,
        ),
        ServiceCommand::Admin(AdminCommand::Bootstrap(args)) => bootstrap(args),
        ServiceCommand::Config(ConfigCommand::Validate(args)) => {
            if let Err(code) = settings(&args.config, None) {
                return code;
            }
            match scan_config(&args.chains) {
                Ok(file) => {
                    println!("configuration is valid");
                    if args.chains.scan_config.is_some() {
                        let names: Vec<&str> = file.chains.keys().map(String::as_str).collect();
                        println!(
                            "chains of deployed-contract audits: {}",
                            if names.is_empty() {
                                "none".to_owned()
                            } else {
                                names.join(", ")
                            }
                        );
                    }
                    ExitCode::SUCCESS
                }
                Err(code) => code,
            }
        }
        ServiceCommand::Config(ConfigCommand::Show(args)) => match settings(&args, None) {
            Ok(settings) => {
                print!("{}", settings.to_redacted_toml());
                ExitCode::SUCCESS
            }
            Err(code) => code,
        },
        ServiceCommand::AuditLog(AuditLogCommand::Verify { config, json }) => verify(config, json),
        ServiceCommand::Health(args) => health(args),
    }
}

/// Resolves the settings, printing a precise error (exit 1) when they are invalid.
pub(crate) fn settings(args: &ConfigArgs, bind: Option<String>) -> Result<Settings, ExitCode> {
    let env = ConfigFile::from_env(|name| std::env::var(name).ok());
    let flags = ConfigFile {
        database_url: args.database_url.clone(),
        bind,
        ..ConfigFile::default()
    };
    let sources = server::config::Sources {
        file: args.config.clone(),
        env: env.map_err(report_config)?,
        flags,
    };
    Settings::resolve(sources).map_err(report_config)
}

/// The scan configuration named by `--scan-config` (none: no chains), printing a precise
/// error (exit 1) when it cannot be read.
fn scan_config(chains: &ChainsArgs) -> Result<crate::config::ConfigFile, ExitCode> {
    match &chains.scan_config {
        Some(path) => crate::config::ConfigFile::load(path).map_err(|error| {
            eprintln!("error: {error:#}");
            ExitCode::from(1)
        }),
        None => Ok(crate::config::ConfigFile::default()),
    }
}

fn report_config(error: server::ConfigError) -> ExitCode {
    eprintln!("error: {error}");
    ExitCode::from(1)
}

pub(crate) fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("the tokio runtime starts")
}

/// `serve` (API and workers, or `--no-workers`), `worker`, and `monitor run`.
pub(crate) fn run_node(
    role: server::NodeRole,
    config: &ConfigArgs,
    chains: &ChainsArgs,
    bind: Option<String>,
    test_analysis_delay_ms: u64,
    monitors: Option<PathBuf>,
) -> ExitCode {
    let mut settings = match settings(config, bind) {
        Ok(settings) => settings,
        Err(code) => return code,
    };
    let monitors = monitors.or_else(|| {
        settings
            .monitoring
            .monitors_file
            .as_ref()
            .map(PathBuf::from)
    });
    let monitoring =
        role == server::NodeRole::Monitor || settings.monitoring.enabled || monitors.is_some();
    let file_monitors = match &monitors {
        Some(path) => match crate::monitor_run::load(path) {
            Ok(monitors) => monitors,
            Err(code) => return code,
        },
        None => Vec::new(),
    };
    let scan_config = match scan_config(chains) {
        Ok(file) => file,
        Err(code) => return code,
    };
    settings.chains = scan_config.chains.keys().cloned().collect();
    let split = matches!(role, server::NodeRole::Api | server::NodeRole::Worker);
    if split && settings.database_url.starts_with("sqlite:") {
        eprintln!(
            "error: `web3audit worker` and `serve --no-workers` split the service over several processes, which needs a PostgreSQL database (postgres://…); with SQLite, `web3audit serve` runs the API and the workers in one process"
        );
        return ExitCode::from(2);
    }
    server::init_logging(&settings.log_format, &settings.log_level);
    let (secret, generated) = match server::resolve_secret(&settings, true) {
        Ok(secret) => secret,
        Err(error) => {
            tracing::error!(%error, "cannot obtain the secret key");
            return ExitCode::from(1);
        }
    };
    if generated {
        tracing::warn!(
            path = %settings.data_dir().join("secret.key").display(),
            "no secret key configured (WEB3AUDIT_SECRET_KEY); generated one and saved it; back it up: JWTs and the audit trail depend on it"
        );
    }
    let result = runtime().block_on(async move {
        let store = store::connect_with(
            &settings.database_url,
            &store::ConnectOptions {
                max_connections: settings.database_max_connections,
            },
        )
        .await?;
        let cache = crate::chain_cache::ChainReadCache {
            store: store.clone(),
            runtime: tokio::runtime::Handle::current(),
        };
        let mut analyzer = crate::analysis::service_analyzer(scan_config, Some(cache));
        if test_analysis_delay_ms > 0 {
            analyzer = Arc::new(DelayedAnalyzer {
                inner: analyzer,
                delay: Duration::from_millis(test_analysis_delay_ms),
            });
        }
        let bind = settings.bind.clone();
        let listener = tokio::net::TcpListener::bind(&bind).await?;
        tracing::info!(bind = %bind, role = ?role, database = %store::redact_url(&settings.database_url), "web3audit service listening");
        let jobs = if monitoring {
            server::monitoring::file_jobs(store.as_ref(), file_monitors)
                .await
                .map_err(anyhow::Error::msg)?
        } else {
            Vec::new()
        };
        let mut service =
            server::Service::start_node(role, settings, store, analyzer, secret).await?;
        if monitoring {
            service.start_monitoring(jobs);
        }
        service.run(listener, shutdown_signal()).await?;
        anyhow::Ok(())
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(error = %error, "the service stopped on an error");
            ExitCode::from(1)
        }
    }
}

/// Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
    tracing::info!("shutdown requested: finishing or re-queuing running audits");
}

/// Wraps an analyzer with a fixed delay (the hidden `--test-analysis-delay-ms`).
struct DelayedAnalyzer {
    inner: Arc<dyn Analyzer>,
    delay: Duration,
}

impl Analyzer for DelayedAnalyzer {
    fn version(&self) -> String {
        self.inner.version()
    }

    fn analyze(
        &self,
        request: &server::AnalysisRequest,
    ) -> Result<server::AnalysisOutput, server::AnalysisError> {
        std::thread::sleep(self.delay);
        self.inner.analyze(request)
    }

    fn external_tools(&self, names: &[String]) -> Vec<server::ExternalToolStatus> {
        self.inner.external_tools(names)
    }
}

fn bootstrap(args: BootstrapArgs) -> ExitCode {
    let settings = match settings(&args.config, None) {
        Ok(settings) => settings,
        Err(code) => return code,
    };
    let (secret, generated) = match server::resolve_secret(&settings, true) {
        Ok(secret) => secret,
        Err(error) => {
            eprintln!("error: cannot obtain the secret key: {error}");
            return ExitCode::from(1);
        }
    };
    if generated {
        eprintln!(
            "warning: no secret key configured; generated one in {}",
            settings.data_dir().join("secret.key").display()
        );
    }
    let password = std::env::var("WEB3AUDIT_ADMIN_PASSWORD")
        .ok()
        .filter(|p| !p.is_empty());
    let result = runtime().block_on(async {
        let store = store::connect(&settings.database_url).await?;
        let signer = store::trail::Signer::new(secret.expose().as_bytes());
        anyhow::Ok(
            server::bootstrap(
                store.as_ref(),
                &signer,
                &args.tenant,
                &args.admin_email,
                password,
            )
            .await?,
        )
    });
    match result {
        Ok(out) => {
            println!(
                "{}",
                serde_json::to_string_pretty(&out).expect("bootstrap output serializes")
            );
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::from(1)
        }
    }
}

fn verify(config: ConfigArgs, json: bool) -> ExitCode {
    let settings = match settings(&config, None) {
        Ok(settings) => settings,
        Err(code) => return code,
    };
    let secret = match server::resolve_secret(&settings, false) {
        Ok((secret, _)) => secret,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(2);
        }
    };
    let result = runtime().block_on(async {
        let store = store::connect(&settings.database_url).await?;
        anyhow::Ok(server::verify_audit_log(store.as_ref(), &secret).await?)
    });
    let verification = match result {
        Ok(v) => v,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(2);
        }
    };
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&verification).expect("verification serializes")
        );
    } else {
        match &verification.first_break {
            None => println!(
                "audit log intact: {} entries verified",
                verification.entries
            ),
            Some(brk) => println!("audit log BROKEN at entry {}: {}", brk.seq, brk.reason),
        }
        if let Some(start) = &verification.checkpoint {
            println!(
                "the chain starts at a checkpoint: entry {}, written {}, {} entries pruned in all ({} checkpoint{})",
                start.seq,
                server::rfc3339(start.created_at),
                start.pruned,
                start.checkpoints,
                if start.checkpoints == 1 { "" } else { "s" }
            );
        }
    }
    if verification.first_break.is_some() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn health(args: HealthArgs) -> ExitCode {
    let base = match args.url {
        Some(url) => url,
        None => match settings(&args.config, None) {
            Ok(settings) => format!("http://{}", settings.bind),
            Err(code) => return code,
        },
    };
    let url = format!("{}/health/detailed", base.trim_end_matches('/'));
    let result = runtime().block_on(async {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()?;
        let response = client.get(&url).send().await?;
        anyhow::Ok(response.json::<serde_json::Value>().await?)
    });
    let document = match result {
        Ok(document) => document,
        Err(error) => {
            serde_json::json!({ "status": "unhealthy", "error": format!("cannot reach {url}: {error}") })
        }
    };
    let status = document["status"]
        .as_str()
        .unwrap_or("unhealthy")
        .to_string();
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&document).expect("JSON value serializes")
        );
    } else {
        println!("{status}");
        if let Some(components) = document["components"].as_object() {
            for (name, component) in components {
                println!(
                    "  {name}: {}",
                    component["status"].as_str().unwrap_or("unknown")
                );
            }
        }
        if let Some(error) = document["error"].as_str() {
            println!("  {error}");
        }
    }
    match status.as_str() {
        "healthy" => ExitCode::SUCCESS,
        "degraded" => ExitCode::from(1),
        _ => ExitCode::from(2),
    }
}
