//! The web3audit audit service: HTTP API (axum), authentication and roles, tenants and
//! quotas, the job workers, the audit trail, metrics and health.
//!
//! Entry points: [`Service::start`] then [`Service::run`] with a listener and a shutdown
//! future; [`bootstrap`] for the first tenant; [`verify_audit_log`].
//!
//! Invariants: every handler reads and writes through the caller's tenant; errors leave
//! as problem documents and internal details only reach the log; analysis runs on the
//! blocking pool, never on the async executor; credentials are never logged.

mod analyzer;
mod auth;
pub mod compliance;
pub mod config;
mod dashboard;
mod egress;
mod error;
mod extract;
mod handlers;
mod keycache;
mod leases;
mod metrics;
pub mod mfa;
pub mod monitoring;
mod notify;
pub mod permissions;
mod ratelimit;
mod redis_client;
pub mod retention;
mod router;
pub mod sso;
mod state;
mod submission;
mod suggestions;
pub mod timestamp;
mod worker;

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

pub use analyzer::{
    AddressTarget, AnalysisError, AnalysisOutput, AnalysisRequest, AnalyzedFinding, Analyzer,
    EXTERNAL_TOOLS, ExternalToolStatus, SEVERITIES,
};
pub use auth::{Role, resolve_secret};
pub use config::{ConfigError, ConfigFile, Secret, Settings};
pub use error::PROBLEM_TYPE_PREFIX;
pub use handlers::openapi::openapi;
use serde::Serialize;
pub use state::AppState;
use store::Store;
use tokio::net::TcpListener;
use tokio::sync::watch;

/// What one process of the service does. Any number of processes of each kind may share a
/// PostgreSQL database; a SQLite database has one `Combined` process.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NodeRole {
    /// The HTTP API and the job workers (`web3audit serve`).
    #[default]
    Combined,
    /// The HTTP API only; audits are run by worker processes (`web3audit serve --no-workers`).
    Api,
    /// Job workers only, with health and metrics over HTTP (`web3audit worker`).
    Worker,
    /// On-chain monitors only, with health and metrics over HTTP (`web3audit monitor run`).
    Monitor,
}

impl NodeRole {
    pub fn runs_api(self) -> bool {
        matches!(self, NodeRole::Combined | NodeRole::Api)
    }

    pub fn runs_workers(self) -> bool {
        matches!(self, NodeRole::Combined | NodeRole::Worker)
    }
}

/// A started service: workers running, ready to serve HTTP.
#[derive(Debug)]
pub struct Service {
    state: Arc<AppState>,
    stop: watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Service {
    /// Recovers interrupted audits and starts the workers: [`Service::start_node`] with
    /// [`NodeRole::Combined`].
    pub async fn start(
        settings: Settings,
        store: Arc<dyn Store>,
        analyzer: Arc<dyn Analyzer>,
        secret: Secret,
    ) -> Result<Self, store::StoreError> {
        Self::start_node(NodeRole::Combined, settings, store, analyzer, secret).await
    }

    /// Starts one process of the service in the given role.
    ///
    /// With the embedded SQLite backend one process owns the database, so every audit
    /// left `running` by a previous process (crash, SIGKILL) is put back in the queue at
    /// once. A shared (PostgreSQL) database may have audits running in other processes:
    /// there, the lease reaper of any node re-queues only audits whose lease expired.
    pub async fn start_node(
        role: NodeRole,
        settings: Settings,
        store: Arc<dyn Store>,
        analyzer: Arc<dyn Analyzer>,
        secret: Secret,
    ) -> Result<Self, store::StoreError> {
        // A monitor process never runs audits, so it leaves the queue alone.
        if !store.is_shared() && role != NodeRole::Monitor {
            let recovered = store.requeue_running(None).await?;
            if recovered > 0 {
                tracing::warn!(
                    count = recovered,
                    "re-queued audits interrupted by the previous shutdown or crash"
                );
            }
        }
        let redis = match &settings.redis_url {
            Some(url) => Some(
                redis_client::SharedRedis::connect(url.expose(), &settings.redis_prefix)
                    .await
                    .map_err(|error| {
                        store::StoreError::Unsupported(format!(
                            "cannot connect to Redis at {}: {error}",
                            store::redact_url(url.expose())
                        ))
                    })?,
            ),
            None => None,
        };
        if role.runs_api() {
            // Cached API keys are dropped on every node when a credential changes.
            store.watch_credentials();
        }
        let mut state = AppState::new(settings, store, analyzer, secret);
        state.role = role;
        state.redis = redis;
        let state = Arc::new(state);
        let (stop, stop_rx) = watch::channel(false);
        let mut tasks = vec![tokio::spawn(worker::lease_reaper(
            state.clone(),
            stop_rx.clone(),
        ))];
        if role.runs_api()
            && let Some(redis) = &state.redis
        {
            tasks.push(tokio::spawn(
                redis.clone().watch_generation(stop_rx.clone()),
            ));
        }
        if role.runs_api() && state.redis.is_none() && state.store.is_shared() {
            tasks.push(tokio::spawn(ratelimit::sync(
                state.clone(),
                stop_rx.clone(),
            )));
        }
        tasks.push(tokio::spawn(retention::sweeper(
            state.clone(),
            stop_rx.clone(),
        )));
        tasks.push(tokio::spawn(notify::alerts::evaluator(
            state.clone(),
            stop_rx.clone(),
        )));
        if role.runs_workers() {
            tasks.push(tokio::spawn(worker::dispatcher(
                state.clone(),
                stop_rx.clone(),
            )));
            // Webhooks: deliveries are sent by worker nodes.
            tasks.push(tokio::spawn(notify::webhooks::delivery_worker(
                state.clone(),
                stop_rx.clone(),
            )));
            // Assistant suggestions are answered by worker nodes too.
            tasks.push(tokio::spawn(suggestions::runner(state.clone(), stop_rx)));
        }
        Ok(Service { state, stop, tasks })
    }

    pub fn state(&self) -> &Arc<AppState> {
        &self.state
    }

    /// Starts following on-chain monitors in this process: the operator's `file` monitors
    /// and the tenants' monitors defined through the API ([`monitoring`]).
    pub fn start_monitoring(&mut self, file: Vec<monitoring::MonitorJob>) {
        let stop = self.stop.subscribe();
        self.tasks.push(tokio::spawn(monitoring::supervisor(
            self.state.clone(),
            file,
            stop,
        )));
    }

    /// The router, for in-process tests.
    pub fn router(&self) -> axum::Router {
        router::router(self.state.clone())
    }

    /// Serves until `shutdown` completes, then stops taking jobs, waits up to the grace
    /// period for running audits, and re-queues those still running.
    pub async fn run(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let app = self.router();
        let result = axum::serve(listener, app)
            .with_graceful_shutdown(shutdown)
            .await;
        self.shutdown().await;
        result
    }

    /// Stops the workers (see [`Service::run`]).
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let grace = Duration::from_secs(self.state.settings.shutdown_grace_secs);
        let started = Instant::now();
        while self.state.active.load(Ordering::SeqCst) > 0 && started.elapsed() < grace {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        match self
            .state
            .store
            .requeue_running(Some(&self.state.owner))
            .await
        {
            Ok(0) => {}
            Ok(n) => tracing::warn!(count = n, "re-queued audits still running at shutdown"),
            Err(error) => tracing::error!(%error, "cannot re-queue running audits at shutdown"),
        }
        for task in self.tasks {
            task.abort();
        }
        tracing::info!("service stopped");
    }
}

/// Logging: JSON lines (or text) to standard error, filtered by `level` unless
/// `RUST_LOG` is set.
pub fn init_logging(format: &str, level: &str) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(level));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if format == "json" {
        builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .try_init()
    } else {
        builder.try_init()
    };
}

/// What `web3audit admin bootstrap` prints.
#[derive(Debug, Serialize)]
pub struct Bootstrapped {
    pub tenant_id: String,
    pub user_id: String,
    pub email: String,
    pub api_key: String,
    /// Present when the password was generated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
}

/// Why bootstrap refused.
#[derive(Debug, thiserror::Error)]
pub enum BootstrapError {
    #[error("the database already has tenants; create more through the API as an operator admin")]
    AlreadyBootstrapped,
    #[error("invalid input: {0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] store::StoreError),
}

/// Creates the first (operator) tenant, its admin user and an admin API key.
pub async fn bootstrap(
    store: &dyn Store,
    signer: &store::trail::Signer,
    tenant: &str,
    email: &str,
    password: Option<String>,
) -> Result<Bootstrapped, BootstrapError> {
    if !store.list_tenants().await?.is_empty() {
        return Err(BootstrapError::AlreadyBootstrapped);
    }
    let email = email.trim().to_ascii_lowercase();
    if tenant.trim().is_empty() || !email.contains('@') {
        return Err(BootstrapError::Invalid(
            "a tenant name and an email address are required".into(),
        ));
    }
    if password.as_ref().is_some_and(|p| p.len() < 12) {
        return Err(BootstrapError::Invalid(
            "the admin password must be at least 12 characters".into(),
        ));
    }
    let generated = password.is_none().then(auth::generate_password);
    let password_text = password.or_else(|| generated.clone()).unwrap_or_default();
    let hash = tokio::task::spawn_blocking(move || auth::hash_password(&password_text))
        .await
        .map_err(|e| BootstrapError::Invalid(e.to_string()))?;
    let now = timestamp::now_ms();
    let tenant = store::Tenant {
        id: handlers::new_id(),
        name: tenant.trim().to_string(),
        plan: "enterprise".into(),
        is_operator: true,
        created_at: now,
    };
    store.create_tenant(&tenant).await?;
    let user = store::User {
        id: handlers::new_id(),
        tenant_id: tenant.id.clone(),
        email: email.clone(),
        password_hash: hash,
        role: Role::Admin.as_str().into(),
        disabled: false,
        created_at: now,
    };
    store.create_user(&user).await?;
    let key = auth::generate_api_key();
    let api_key = store::ApiKey {
        id: handlers::new_id(),
        tenant_id: tenant.id.clone(),
        user_id: Some(user.id.clone()),
        name: "bootstrap".into(),
        role: Role::Admin.as_str().into(),
        prefix: key.prefix.clone(),
        secret_hash: key.secret_hash.clone(),
        created_at: now,
        revoked_at: None,
        expires_at: None,
        last_used_at: None,
        scopes: None,
    };
    store.create_api_key(&api_key).await?;
    for (action, target, detail) in [
        (
            "tenant.created",
            &tenant.id,
            serde_json::json!({ "name": tenant.name, "plan": tenant.plan }),
        ),
        (
            "user.created",
            &user.id,
            serde_json::json!({ "email": user.email, "role": user.role }),
        ),
        (
            "api_key.created",
            &api_key.id,
            serde_json::json!({ "name": api_key.name, "role": api_key.role }),
        ),
    ] {
        let event = store::NewAuditEvent {
            ts: now,
            tenant_id: Some(tenant.id.clone()),
            actor: "cli:bootstrap".into(),
            action: action.into(),
            target: Some(target.clone()),
            outcome: "success".into(),
            detail,
        };
        store.append_audit_event(&event, signer).await?;
    }
    Ok(Bootstrapped {
        tenant_id: tenant.id,
        user_id: user.id,
        email,
        api_key: key.full,
        password: generated,
    })
}

/// Verifies the whole audit trail: the remaining entries from the latest checkpoint (or
/// from the start when nothing was pruned), the head and every checkpoint.
pub async fn verify_audit_log(
    store: &dyn Store,
    secret: &Secret,
) -> Result<store::trail::Verification, store::StoreError> {
    let snapshot = store.audit_trail().await?;
    Ok(store::trail::verify_snapshot(
        &snapshot,
        &store::trail::Signer::new(secret.expose().as_bytes()),
    ))
}

/// RFC 3339 (UTC) rendering of a Unix-millisecond time, as the service prints times.
pub fn rfc3339(ms: i64) -> String {
    timestamp::rfc3339(ms)
}
