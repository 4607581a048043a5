//! Settings in three stages: [`ConfigFile`] mirrors the file (TOML or YAML) and is also
//! what the environment and the flags fill in; [`Settings::resolve`] merges defaults <
//! file < `WEB3AUDIT_*` environment < flags; the result is validated and immutable.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use assistant::AssistantSettings;
use serde::{Deserialize, Serialize};

/// A secret string whose `Debug` and serialization never show the value.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

impl Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str("<redacted>")
    }
}

/// Quotas of one plan; `None` is unlimited.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanQuota {
    pub audits_per_day: Option<u64>,
    pub stored_bytes: Option<u64>,
    /// Other analyzers this plan's tenants may add to an audit (`tools` of a submission),
    /// among [`crate::analyzer::EXTERNAL_TOOLS`]; none by default.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<String>,
    /// Assistant profiles (names of `[assistants.NAME]`) this plan's tenants may opt in
    /// to; none by default.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub assistants: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimits {
    /// Sustained requests per minute for one API key or user.
    pub key_per_minute: u32,
    /// Sustained requests per minute for a whole tenant.
    pub tenant_per_minute: u32,
    /// Requests allowed at once above the sustained rate.
    pub burst: u32,
}

/// The file mirror: every field optional, unknown fields rejected.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    pub bind: Option<String>,
    pub database_url: Option<String>,
    pub database_max_connections: Option<u32>,
    pub redis_url: Option<Secret>,
    pub redis_prefix: Option<String>,
    pub secret_key: Option<Secret>,
    pub max_concurrent_audits: Option<usize>,
    pub default_audit_timeout_secs: Option<u64>,
    pub max_audit_timeout_secs: Option<u64>,
    pub max_body_bytes: Option<usize>,
    pub allowed_extensions: Option<Vec<String>>,
    pub max_files: Option<usize>,
    pub max_unpacked_bytes: Option<u64>,
    pub rate_limits: Option<RateLimitsFile>,
    pub plans: Option<BTreeMap<String, PlanQuota>>,
    pub default_plan: Option<String>,
    pub jwt_issuer: Option<String>,
    pub jwt_ttl_secs: Option<u64>,
    pub lease_secs: Option<u64>,
    pub max_attempts: Option<u32>,
    pub shutdown_grace_secs: Option<u64>,
    pub log_format: Option<String>,
    pub log_level: Option<String>,
    pub retention: Option<RetentionFile>,
    // Outbound HTTP and webhooks.
    pub egress: Option<EgressFile>,
    pub webhooks: Option<WebhooksFile>,
    // Alert rules and channels, SMTP, egress.
    pub alerts: Option<AlertsConfig>,
    pub smtp: Option<SmtpFile>,
    // On-chain monitoring.
    pub monitoring: Option<MonitoringConfig>,
    /// `[assistants.NAME]`: the AI assistant profiles the operator offers to plans.
    pub assistants: Option<BTreeMap<String, AssistantSettings>>,
    // Dashboard
    pub dashboard_cookie_secure: Option<bool>,
    pub dashboard_session_ttl_secs: Option<u64>,
    /// `[compliance]`: how compliance packs are signed.
    pub compliance: Option<ComplianceFile>,
    /// The address browsers reach the service at (for the single sign-on callback).
    pub public_url: Option<String>,
    /// `[sso.NAME]`: OpenID Connect providers of tenants.
    pub sso: Option<BTreeMap<String, crate::sso::ProviderSettings>>,
}

/// `[compliance] signing_key_file = "/etc/web3audit/pack.key"`: packs are signed with this
/// Ed25519 key (`web3audit compliance keygen` writes one), verifiable with its public half
/// alone; without it, with the service's secret key (HMAC-SHA256).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComplianceFile {
    pub signing_key_file: Option<PathBuf>,
}

/// `[egress]`: where the service may send HTTP requests (webhooks, alert channels).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EgressFile {
    pub allow_hosts: Option<Vec<String>>,
}

/// `[webhooks]`: delivery of webhook events.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhooksFile {
    pub timeout_ms: Option<u64>,
    pub max_attempts: Option<u32>,
    pub retry_base_ms: Option<u64>,
    pub retry_max_ms: Option<u64>,
    pub disable_after_failures: Option<u32>,
}

/// Delivery of webhook events, resolved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookSettings {
    /// Limit of one attempt (connect, send, response head).
    pub timeout_ms: u64,
    /// Attempts of one delivery before it is failed.
    pub max_attempts: u32,
    /// Retry `n` waits a random time up to `retry_base_ms * 2^(n-1)` (full jitter) ...
    pub retry_base_ms: u64,
    /// ... and never more than this.
    pub retry_max_ms: u64,
    /// Consecutive failed deliveries after which a webhook is disabled.
    pub disable_after_failures: u32,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        WebhookSettings {
            timeout_ms: 10_000,
            max_attempts: 8,
            retry_base_ms: 2_000,
            retry_max_ms: 3_600_000,
            disable_after_failures: 20,
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitsFile {
    pub key_per_minute: Option<u32>,
    pub tenant_per_minute: Option<u32>,
    pub burst: Option<u32>,
}

/// Resolved, validated settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Settings {
    pub bind: String,
    pub database_url: String,
    /// Connections this process keeps open to the database at most (PostgreSQL: the one
    /// pool of requests and workers; SQLite: readers).
    pub database_max_connections: u32,
    /// A Redis server (`redis://[:PASSWORD@]HOST[:PORT][/DB]`) holding the rate-limit
    /// buckets and the cache of API keys, shared by every node; `None`: they stay in each
    /// process (synced with PostgreSQL when the database is shared).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redis_url: Option<Secret>,
    /// The prefix of every Redis key the service writes.
    pub redis_prefix: String,
    pub secret_key: Option<Secret>,
    pub max_concurrent_audits: usize,
    pub default_audit_timeout_secs: u64,
    pub max_audit_timeout_secs: u64,
    pub max_body_bytes: usize,
    pub allowed_extensions: Vec<String>,
    pub max_files: usize,
    pub max_unpacked_bytes: u64,
    pub rate_limits: RateLimits,
    pub plans: BTreeMap<String, PlanQuota>,
    pub default_plan: String,
    pub jwt_issuer: String,
    pub jwt_ttl_secs: u64,
    pub lease_secs: u64,
    pub max_attempts: u32,
    pub shutdown_grace_secs: u64,
    pub log_format: String,
    pub log_level: String,
    pub retention: Retention,
    // Outbound HTTP and webhooks.
    /// Hosts the service may send HTTP requests to (`name`, `*.suffix` or an IP literal);
    /// empty: none.
    pub egress_allow_hosts: Vec<String>,
    pub webhooks: WebhookSettings,
    // Alert rules and channels, SMTP, egress.
    pub alerts: AlertsConfig,
    pub smtp: SmtpSettings,
    // On-chain monitoring.
    pub monitoring: MonitoringConfig,
    /// AI assistant profiles by name (`[assistants.NAME]`, the assistant crate's
    /// settings); a plan's `assistants` names those its tenants may opt in to. A profile
    /// is used only while `enabled = true`.
    pub assistants: BTreeMap<String, AssistantSettings>,
    /// The address browsers reach the service at, such as `https://audit.example.com`
    /// (env WEB3AUDIT_PUBLIC_URL): single sign-on sends browsers back to
    /// `PUBLIC_URL/login/sso/NAME/callback`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public_url: Option<String>,
    /// OpenID Connect providers by name (`[sso.NAME]`), each signing in the users of one
    /// tenant.
    pub sso: BTreeMap<String, crate::sso::ProviderSettings>,
    // Dashboard
    /// Marks the dashboard cookies `Secure` (and names them `__Host-…`). Turn off only
    /// to use the dashboard over plain HTTP on a host other than localhost.
    pub dashboard_cookie_secure: bool,
    /// How long a dashboard sign-in lasts.
    pub dashboard_session_ttl_secs: u64,
    /// The Ed25519 key file compliance packs are signed with (`[compliance]
    /// signing_key_file`); `None`: the service's secret key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compliance_signing_key_file: Option<PathBuf>,
    // Deployed contracts
    /// Names of the chains whose deployed contracts can be audited (`{"address", "chain"}`
    /// submissions), sorted. Not read from this file: the binary passes the `[chains.NAME]`
    /// tables of its scan configuration (`web3audit.toml`), which hold the endpoints.
    #[serde(skip_serializing)]
    pub chains: Vec<String>,
}

/// A configuration problem, with where it came from.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("invalid config file {path}: {message}")]
    Parse { path: String, message: String },
    #[error("invalid environment variable {name}: {message}")]
    Env { name: String, message: String },
    #[error("invalid setting `{field}`: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
}

impl Default for Settings {
    fn default() -> Self {
        let mut plans = BTreeMap::new();
        plans.insert(
            "free".to_string(),
            PlanQuota {
                audits_per_day: Some(100),
                stored_bytes: Some(100 * 1024 * 1024),
                tools: Vec::new(),
                assistants: Vec::new(),
            },
        );
        plans.insert(
            "pro".to_string(),
            PlanQuota {
                audits_per_day: Some(10_000),
                stored_bytes: Some(10 * 1024 * 1024 * 1024),
                tools: Vec::new(),
                assistants: Vec::new(),
            },
        );
        plans.insert(
            "enterprise".to_string(),
            PlanQuota {
                audits_per_day: None,
                stored_bytes: None,
                tools: Vec::new(),
                assistants: Vec::new(),
            },
        );
        Settings {
            bind: "127.0.0.1:8000".into(),
            database_url: "sqlite://data/web3audit.db".into(),
            database_max_connections: store::default_max_connections(),
            redis_url: None,
            redis_prefix: "web3audit:".into(),
            secret_key: None,
            max_concurrent_audits: std::thread::available_parallelism().map_or(2, |n| n.get()),
            default_audit_timeout_secs: 60,
            max_audit_timeout_secs: 600,
            max_body_bytes: 10 * 1024 * 1024,
            // `.rs` and `.toml`: Solana programs, with the `Cargo.toml` that names them.
            allowed_extensions: vec![
                ".sol".into(),
                ".vy".into(),
                ".json".into(),
                ".rs".into(),
                ".toml".into(),
            ],
            max_files: 1000,
            max_unpacked_bytes: 50 * 1024 * 1024,
            rate_limits: RateLimits {
                key_per_minute: 600,
                tenant_per_minute: 1200,
                burst: 100,
            },
            plans,
            default_plan: "free".into(),
            jwt_issuer: "web3audit".into(),
            jwt_ttl_secs: 3600,
            lease_secs: 60,
            max_attempts: 3,
            shutdown_grace_secs: 30,
            log_format: "json".into(),
            log_level: "info".into(),
            retention: Retention::default(),
            egress_allow_hosts: Vec::new(),
            webhooks: WebhookSettings::default(),
            alerts: AlertsConfig::default(),
            monitoring: MonitoringConfig::default(),
            assistants: BTreeMap::new(),
            public_url: None,
            sso: BTreeMap::new(),
            smtp: SmtpSettings::default(),
            dashboard_cookie_secure: true,
            dashboard_session_ttl_secs: 8 * 3600,
            compliance_signing_key_file: None,
            chains: Vec::new(),
        }
    }
}

/// Names of the environment variables read, each mapping to one setting.
pub const ENV_VARS: &[&str] = &[
    "WEB3AUDIT_BIND",
    "WEB3AUDIT_DATABASE_URL",
    "WEB3AUDIT_DATABASE_MAX_CONNECTIONS",
    "WEB3AUDIT_REDIS_URL",
    "WEB3AUDIT_REDIS_PREFIX",
    "WEB3AUDIT_SECRET_KEY",
    "WEB3AUDIT_MAX_CONCURRENT_AUDITS",
    "WEB3AUDIT_DEFAULT_AUDIT_TIMEOUT_SECS",
    "WEB3AUDIT_MAX_AUDIT_TIMEOUT_SECS",
    "WEB3AUDIT_MAX_BODY_BYTES",
    "WEB3AUDIT_ALLOWED_EXTENSIONS",
    "WEB3AUDIT_MAX_FILES",
    "WEB3AUDIT_MAX_UNPACKED_BYTES",
    "WEB3AUDIT_RATE_LIMIT_KEY_PER_MINUTE",
    "WEB3AUDIT_RATE_LIMIT_TENANT_PER_MINUTE",
    "WEB3AUDIT_RATE_LIMIT_BURST",
    "WEB3AUDIT_DEFAULT_PLAN",
    "WEB3AUDIT_JWT_ISSUER",
    "WEB3AUDIT_JWT_TTL_SECS",
    "WEB3AUDIT_LEASE_SECS",
    "WEB3AUDIT_MAX_ATTEMPTS",
    "WEB3AUDIT_SHUTDOWN_GRACE_SECS",
    "WEB3AUDIT_LOG_FORMAT",
    "WEB3AUDIT_LOG_LEVEL",
    "WEB3AUDIT_RETENTION_AUDITS_DAYS",
    "WEB3AUDIT_RETENTION_DELIVERIES_DAYS",
    "WEB3AUDIT_RETENTION_ALERTS_DAYS",
    "WEB3AUDIT_RETENTION_AUDIT_LOG_DAYS",
    "WEB3AUDIT_RETENTION_INTERVAL",
    "WEB3AUDIT_EGRESS_ALLOW_HOSTS",
    "WEB3AUDIT_WEBHOOKS_TIMEOUT_MS",
    "WEB3AUDIT_WEBHOOKS_MAX_ATTEMPTS",
    "WEB3AUDIT_WEBHOOKS_RETRY_BASE_MS",
    "WEB3AUDIT_WEBHOOKS_RETRY_MAX_MS",
    "WEB3AUDIT_WEBHOOKS_DISABLE_AFTER_FAILURES",
    "WEB3AUDIT_SMTP_PASSWORD",
    "WEB3AUDIT_DASHBOARD_COOKIE_SECURE",
    "WEB3AUDIT_DASHBOARD_SESSION_TTL_SECS",
];

impl ConfigFile {
    /// Reads a TOML (`.toml`) or YAML (`.yaml`, `.yml`) file.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.display().to_string(),
            source,
        })?;
        let parse_error = |message: String| ConfigError::Parse {
            path: path.display().to_string(),
            message,
        };
        match path.extension().and_then(|e| e.to_str()) {
            Some("yaml" | "yml") => {
                serde_yaml::from_str(&text).map_err(|e| parse_error(e.to_string()))
            }
            Some("toml") => toml::from_str(&text).map_err(|e| parse_error(e.to_string())),
            _ => Err(parse_error(
                "unknown format: the file name must end in .toml, .yaml or .yml".into(),
            )),
        }
    }

    /// The layer given by `WEB3AUDIT_*` variables, read through `lookup`.
    pub fn from_env(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        fn num<T: std::str::FromStr>(
            name: &str,
            value: Option<String>,
        ) -> Result<Option<T>, ConfigError>
        where
            T::Err: std::fmt::Display,
        {
            value
                .map(|v| {
                    v.trim().parse::<T>().map_err(|e| ConfigError::Env {
                        name: name.to_string(),
                        message: e.to_string(),
                    })
                })
                .transpose()
        }
        let get = |name: &str| lookup(name).filter(|v| !v.is_empty());
        let rate_limits = RateLimitsFile {
            key_per_minute: num(
                "WEB3AUDIT_RATE_LIMIT_KEY_PER_MINUTE",
                get("WEB3AUDIT_RATE_LIMIT_KEY_PER_MINUTE"),
            )?,
            tenant_per_minute: num(
                "WEB3AUDIT_RATE_LIMIT_TENANT_PER_MINUTE",
                get("WEB3AUDIT_RATE_LIMIT_TENANT_PER_MINUTE"),
            )?,
            burst: num(
                "WEB3AUDIT_RATE_LIMIT_BURST",
                get("WEB3AUDIT_RATE_LIMIT_BURST"),
            )?,
        };
        let webhooks = WebhooksFile {
            timeout_ms: num(
                "WEB3AUDIT_WEBHOOKS_TIMEOUT_MS",
                get("WEB3AUDIT_WEBHOOKS_TIMEOUT_MS"),
            )?,
            max_attempts: num(
                "WEB3AUDIT_WEBHOOKS_MAX_ATTEMPTS",
                get("WEB3AUDIT_WEBHOOKS_MAX_ATTEMPTS"),
            )?,
            retry_base_ms: num(
                "WEB3AUDIT_WEBHOOKS_RETRY_BASE_MS",
                get("WEB3AUDIT_WEBHOOKS_RETRY_BASE_MS"),
            )?,
            retry_max_ms: num(
                "WEB3AUDIT_WEBHOOKS_RETRY_MAX_MS",
                get("WEB3AUDIT_WEBHOOKS_RETRY_MAX_MS"),
            )?,
            disable_after_failures: num(
                "WEB3AUDIT_WEBHOOKS_DISABLE_AFTER_FAILURES",
                get("WEB3AUDIT_WEBHOOKS_DISABLE_AFTER_FAILURES"),
            )?,
        };
        let any_webhooks = webhooks.timeout_ms.is_some()
            || webhooks.max_attempts.is_some()
            || webhooks.retry_base_ms.is_some()
            || webhooks.retry_max_ms.is_some()
            || webhooks.disable_after_failures.is_some();
        let any_rate = rate_limits.key_per_minute.is_some()
            || rate_limits.tenant_per_minute.is_some()
            || rate_limits.burst.is_some();
        Ok(ConfigFile {
            bind: get("WEB3AUDIT_BIND"),
            database_url: get("WEB3AUDIT_DATABASE_URL"),
            database_max_connections: num(
                "WEB3AUDIT_DATABASE_MAX_CONNECTIONS",
                get("WEB3AUDIT_DATABASE_MAX_CONNECTIONS"),
            )?,
            redis_url: get("WEB3AUDIT_REDIS_URL").map(Secret),
            redis_prefix: get("WEB3AUDIT_REDIS_PREFIX"),
            secret_key: get("WEB3AUDIT_SECRET_KEY").map(Secret),
            max_concurrent_audits: num(
                "WEB3AUDIT_MAX_CONCURRENT_AUDITS",
                get("WEB3AUDIT_MAX_CONCURRENT_AUDITS"),
            )?,
            default_audit_timeout_secs: num(
                "WEB3AUDIT_DEFAULT_AUDIT_TIMEOUT_SECS",
                get("WEB3AUDIT_DEFAULT_AUDIT_TIMEOUT_SECS"),
            )?,
            max_audit_timeout_secs: num(
                "WEB3AUDIT_MAX_AUDIT_TIMEOUT_SECS",
                get("WEB3AUDIT_MAX_AUDIT_TIMEOUT_SECS"),
            )?,
            max_body_bytes: num("WEB3AUDIT_MAX_BODY_BYTES", get("WEB3AUDIT_MAX_BODY_BYTES"))?,
            allowed_extensions: get("WEB3AUDIT_ALLOWED_EXTENSIONS").map(|v| {
                v.split(',')
                    .map(|e| e.trim().to_string())
                    .filter(|e| !e.is_empty())
                    .collect()
            }),
            max_files: num("WEB3AUDIT_MAX_FILES", get("WEB3AUDIT_MAX_FILES"))?,
            max_unpacked_bytes: num(
                "WEB3AUDIT_MAX_UNPACKED_BYTES",
                get("WEB3AUDIT_MAX_UNPACKED_BYTES"),
            )?,
            rate_limits: any_rate.then_some(rate_limits),
            plans: None,
            default_plan: get("WEB3AUDIT_DEFAULT_PLAN"),
            jwt_issuer: get("WEB3AUDIT_JWT_ISSUER"),
            jwt_ttl_secs: num("WEB3AUDIT_JWT_TTL_SECS", get("WEB3AUDIT_JWT_TTL_SECS"))?,
            lease_secs: num("WEB3AUDIT_LEASE_SECS", get("WEB3AUDIT_LEASE_SECS"))?,
            max_attempts: num("WEB3AUDIT_MAX_ATTEMPTS", get("WEB3AUDIT_MAX_ATTEMPTS"))?,
            shutdown_grace_secs: num(
                "WEB3AUDIT_SHUTDOWN_GRACE_SECS",
                get("WEB3AUDIT_SHUTDOWN_GRACE_SECS"),
            )?,
            log_format: get("WEB3AUDIT_LOG_FORMAT"),
            log_level: get("WEB3AUDIT_LOG_LEVEL"),
            retention: RetentionFile::from_env(&get)?,
            alerts: None,
            monitoring: None,
            assistants: None,
            compliance: None,
            public_url: get("WEB3AUDIT_PUBLIC_URL"),
            sso: None,
            smtp: get("WEB3AUDIT_SMTP_PASSWORD").map(|password| SmtpFile {
                password: Some(Secret(password)),
                ..SmtpFile::default()
            }),
            egress: get("WEB3AUDIT_EGRESS_ALLOW_HOSTS").map(|v| EgressFile {
                allow_hosts: Some(
                    v.split(',')
                        .map(|h| h.trim().to_string())
                        .filter(|h| !h.is_empty())
                        .collect(),
                ),
            }),
            webhooks: any_webhooks.then_some(webhooks),
            dashboard_cookie_secure: num(
                "WEB3AUDIT_DASHBOARD_COOKIE_SECURE",
                get("WEB3AUDIT_DASHBOARD_COOKIE_SECURE"),
            )?,
            dashboard_session_ttl_secs: num(
                "WEB3AUDIT_DASHBOARD_SESSION_TTL_SECS",
                get("WEB3AUDIT_DASHBOARD_SESSION_TTL_SECS"),
            )?,
        })
    }

    fn apply(self, s: &mut Settings) {
        macro_rules! set {
            ($($field:ident),*) => { $( if let Some(v) = self.$field { s.$field = v; } )* };
        }
        set!(
            bind,
            database_url,
            database_max_connections,
            redis_prefix,
            max_concurrent_audits,
            default_audit_timeout_secs,
            max_audit_timeout_secs,
            max_body_bytes,
            allowed_extensions,
            max_files,
            max_unpacked_bytes,
            plans,
            default_plan,
            jwt_issuer,
            jwt_ttl_secs,
            lease_secs,
            max_attempts,
            shutdown_grace_secs,
            log_format,
            log_level,
            dashboard_cookie_secure,
            dashboard_session_ttl_secs
        );
        if let Some(secret) = self.secret_key {
            s.secret_key = Some(secret);
        }
        if let Some(url) = self.redis_url {
            s.redis_url = Some(url);
        }
        if let Some(path) = self.compliance.and_then(|c| c.signing_key_file) {
            s.compliance_signing_key_file = Some(path);
        }
        if let Some(r) = self.retention {
            r.apply(&mut s.retention);
        }
        if let Some(alerts) = self.alerts {
            s.alerts = alerts;
        }
        if let Some(assistants) = self.assistants {
            s.assistants = assistants;
        }
        if let Some(url) = self.public_url {
            s.public_url = Some(url.trim().trim_end_matches('/').to_owned());
        }
        if let Some(sso) = self.sso {
            s.sso = sso;
        }
        if let Some(monitoring) = self.monitoring {
            s.monitoring = monitoring;
        }
        if let Some(smtp) = self.smtp {
            smtp.apply(&mut s.smtp);
        }
        if let Some(hosts) = self.egress.and_then(|e| e.allow_hosts) {
            s.egress_allow_hosts = hosts;
        }
        if let Some(w) = self.webhooks {
            let t = &mut s.webhooks;
            t.timeout_ms = w.timeout_ms.unwrap_or(t.timeout_ms);
            t.max_attempts = w.max_attempts.unwrap_or(t.max_attempts);
            t.retry_base_ms = w.retry_base_ms.unwrap_or(t.retry_base_ms);
            t.retry_max_ms = w.retry_max_ms.unwrap_or(t.retry_max_ms);
            t.disable_after_failures = w.disable_after_failures.unwrap_or(t.disable_after_failures);
        }
        if let Some(r) = self.rate_limits {
            if let Some(v) = r.key_per_minute {
                s.rate_limits.key_per_minute = v;
            }
            if let Some(v) = r.tenant_per_minute {
                s.rate_limits.tenant_per_minute = v;
            }
            if let Some(v) = r.burst {
                s.rate_limits.burst = v;
            }
        }
    }
}

/// Where the settings come from.
#[derive(Debug, Default)]
pub struct Sources {
    pub file: Option<PathBuf>,
    pub env: ConfigFile,
    pub flags: ConfigFile,
}

impl Settings {
    /// Merges defaults < file < environment < flags and validates the result.
    pub fn resolve(sources: Sources) -> Result<Self, ConfigError> {
        let mut settings = Settings::default();
        let mut pool_given = sources.env.database_max_connections.is_some()
            || sources.flags.database_max_connections.is_some();
        if let Some(path) = &sources.file {
            let file = ConfigFile::load(path)?;
            pool_given |= file.database_max_connections.is_some();
            file.apply(&mut settings);
        }
        sources.env.apply(&mut settings);
        sources.flags.apply(&mut settings);
        if !pool_given && settings.database_url.starts_with("sqlite:") {
            settings.database_max_connections = store::default_sqlite_readers();
        }
        settings.validate()?;
        Ok(settings)
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        let invalid =
            |field: &'static str, message: String| Err(ConfigError::Invalid { field, message });
        if self.bind.parse::<SocketAddr>().is_err() {
            return invalid(
                "bind",
                format!("`{}` is not an address like 127.0.0.1:8000", self.bind),
            );
        }
        let url = &self.database_url;
        if !(url.starts_with("sqlite:")
            || url.starts_with("postgres://")
            || url.starts_with("postgresql://"))
        {
            return invalid(
                "database_url",
                "expected sqlite://PATH or postgres://…".into(),
            );
        }
        if self.database_max_connections == 0 || self.database_max_connections > 1000 {
            return invalid(
                "database_max_connections",
                "must be between 1 and 1000".into(),
            );
        }
        if let Some(url) = &self.redis_url
            && !url.expose().starts_with("redis://")
        {
            return invalid(
                "redis_url",
                "expected redis://[:PASSWORD@]HOST[:PORT][/DB]".into(),
            );
        }
        if self.redis_prefix.is_empty() || self.redis_prefix.len() > 100 {
            return invalid("redis_prefix", "must be 1 to 100 characters".into());
        }
        if let Some(secret) = &self.secret_key
            && secret.expose().len() < 32
        {
            return invalid("secret_key", "must be at least 32 characters".into());
        }
        if self.max_concurrent_audits == 0 || self.max_concurrent_audits > 1024 {
            return invalid("max_concurrent_audits", "must be between 1 and 1024".into());
        }
        if self.default_audit_timeout_secs == 0 {
            return invalid("default_audit_timeout_secs", "must be at least 1".into());
        }
        if self.default_audit_timeout_secs > self.max_audit_timeout_secs {
            return invalid(
                "default_audit_timeout_secs",
                format!(
                    "{} exceeds max_audit_timeout_secs {}",
                    self.default_audit_timeout_secs, self.max_audit_timeout_secs
                ),
            );
        }
        if self.max_body_bytes < 1024 {
            return invalid("max_body_bytes", "must be at least 1024".into());
        }
        if self.allowed_extensions.is_empty() {
            return invalid(
                "allowed_extensions",
                "must name at least one extension".into(),
            );
        }
        if let Some(bad) = self
            .allowed_extensions
            .iter()
            .find(|e| !e.starts_with('.') || e.len() < 2)
        {
            return invalid(
                "allowed_extensions",
                format!("`{bad}` must look like `.sol`"),
            );
        }
        if self.max_files == 0 {
            return invalid("max_files", "must be at least 1".into());
        }
        if self.rate_limits.key_per_minute == 0
            || self.rate_limits.tenant_per_minute == 0
            || self.rate_limits.burst == 0
        {
            return invalid(
                "rate_limits",
                "key_per_minute, tenant_per_minute and burst must be at least 1".into(),
            );
        }
        for (name, plan) in &self.plans {
            if let Some(tool) = plan
                .tools
                .iter()
                .find(|t| !crate::analyzer::EXTERNAL_TOOLS.contains(&t.as_str()))
            {
                return invalid(
                    "plans",
                    format!(
                        "plan `{name}`: tool `{}` is not one of {}",
                        tool.escape_debug(),
                        crate::analyzer::EXTERNAL_TOOLS.join(", ")
                    ),
                );
            }
        }
        if !self.plans.contains_key(&self.default_plan) {
            return invalid(
                "default_plan",
                format!("`{}` is not one of the configured plans", self.default_plan),
            );
        }
        if self.jwt_ttl_secs == 0 {
            return invalid("jwt_ttl_secs", "must be at least 1".into());
        }
        if self.lease_secs < 3 {
            return invalid("lease_secs", "must be at least 3".into());
        }
        if self.max_attempts == 0 {
            return invalid("max_attempts", "must be at least 1".into());
        }
        if !matches!(self.log_format.as_str(), "json" | "text") {
            return invalid("log_format", "must be `json` or `text`".into());
        }
        self.retention.validate()?;
        if let Some(bad) = self.egress_allow_hosts.iter().find(|h| {
            let name = h.strip_prefix("*.").unwrap_or(h);
            name.is_empty() || name.contains(['/', '@', ' ', '*'])
        }) {
            return invalid(
                "egress.allow_hosts",
                format!("`{bad}` must be a host name, `*.suffix` or an IP address"),
            );
        }
        let w = &self.webhooks;
        if w.timeout_ms < 10 || w.max_attempts == 0 || w.disable_after_failures == 0 {
            return invalid(
                "webhooks",
                "timeout_ms must be at least 10; max_attempts and disable_after_failures at least 1"
                    .into(),
            );
        }
        if w.retry_base_ms == 0 || w.retry_base_ms > w.retry_max_ms {
            return invalid(
                "webhooks",
                "retry_base_ms must be at least 1 and at most retry_max_ms".into(),
            );
        }
        validate_alerts(&self.alerts, &self.smtp)?;
        validate_monitoring(&self.monitoring, &self.alerts)?;
        validate_assistants(self)?;
        validate_sso(self)?;
        if let Some(path) = &self.compliance_signing_key_file {
            let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Invalid {
                field: "compliance.signing_key_file",
                message: format!("cannot read {}: {e}", path.display()),
            })?;
            crate::compliance::Ed25519Key::from_text(&text).map_err(|message| {
                ConfigError::Invalid {
                    field: "compliance.signing_key_file",
                    message,
                }
            })?;
        }
        if !(60..=30 * 86_400).contains(&self.dashboard_session_ttl_secs) {
            return invalid(
                "dashboard_session_ttl_secs",
                "must be between 60 and 2592000 (30 days)".into(),
            );
        }
        Ok(())
    }

    /// The settings as TOML, secrets redacted.
    pub fn to_redacted_toml(&self) -> String {
        let mut value = serde_json::to_value(self).expect("settings serialize");
        if let Some(obj) = value.as_object_mut() {
            let secret = if self.secret_key.is_some() {
                "<redacted>"
            } else {
                "<generated on first start>"
            };
            obj.insert(
                "secret_key".into(),
                serde_json::Value::String(secret.into()),
            );
            obj.insert(
                "database_url".into(),
                serde_json::Value::String(store::redact_url(&self.database_url)),
            );
            if let Some(url) = &self.redis_url {
                obj.insert(
                    "redis_url".into(),
                    serde_json::Value::String(store::redact_url(url.expose())),
                );
            }
            // As in the file: `[egress] allow_hosts`.
            if let Some(hosts) = obj.remove("egress_allow_hosts") {
                obj.insert("egress".into(), serde_json::json!({ "allow_hosts": hosts }));
            }
            // As in the file: `[compliance] signing_key_file`.
            if let Some(path) = obj.remove("compliance_signing_key_file") {
                obj.insert(
                    "compliance".into(),
                    serde_json::json!({ "signing_key_file": path }),
                );
            }
            // TOML has no null: an unlimited quota is left out.
            if let Some(plans) = obj.get_mut("plans").and_then(|p| p.as_object_mut()) {
                for plan in plans.values_mut() {
                    if let Some(plan) = plan.as_object_mut() {
                        plan.retain(|_, v| !v.is_null());
                    }
                }
            }
        }
        toml::to_string_pretty(&value).expect("settings render as TOML")
    }

    /// Directory for files the service keeps next to its database (the generated secret).
    pub fn data_dir(&self) -> PathBuf {
        let path = self
            .database_url
            .strip_prefix("sqlite://")
            .or_else(|| self.database_url.strip_prefix("sqlite:"))
            .map(|p| p.split('?').next().unwrap_or(""));
        match path.and_then(|p| Path::new(p).parent()) {
            Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
            Some(_) => PathBuf::from("."),
            None => PathBuf::from("data"),
        }
    }
}

// Retention: how long rows are kept, and how often the sweeper runs.

/// Retention periods in days (0: keep forever) and the sweep interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Retention {
    /// Finished audits with their findings, the triage events of those findings, and the
    /// source blobs and cache rows no audit refers to any more.
    pub audits_days: u32,
    /// The webhook delivery log.
    pub deliveries_days: u32,
    /// The alert history.
    pub alerts_days: u32,
    /// The audit trail, pruned behind signed checkpoints.
    pub audit_log_days: u32,
    /// Monitor events (each firing of a monitor rule).
    pub monitor_events_days: u32,
    /// Resolved incidents with their timelines (by the time they were resolved).
    pub incidents_days: u32,
    /// Seconds between two sweeps (the first runs when the service starts).
    pub interval: u64,
}

impl Default for Retention {
    fn default() -> Self {
        Retention {
            audits_days: 0,
            deliveries_days: 0,
            alerts_days: 0,
            audit_log_days: 0,
            monitor_events_days: 0,
            incidents_days: 0,
            interval: 3600,
        }
    }
}

/// The longest retention period accepted, in days (100 years).
const MAX_RETENTION_DAYS: u32 = 36_500;
/// The longest sweep interval accepted, in seconds (7 days).
const MAX_SWEEP_INTERVAL: u64 = 7 * 86_400;

impl Retention {
    /// Whether any kind has a retention period (else the sweeper does not run).
    pub fn any(&self) -> bool {
        self.audits_days > 0
            || self.deliveries_days > 0
            || self.alerts_days > 0
            || self.audit_log_days > 0
            || self.monitor_events_days > 0
            || self.incidents_days > 0
    }

    fn validate(&self) -> Result<(), ConfigError> {
        for (field, days) in [
            ("retention.audits_days", self.audits_days),
            ("retention.deliveries_days", self.deliveries_days),
            ("retention.alerts_days", self.alerts_days),
            ("retention.audit_log_days", self.audit_log_days),
            ("retention.monitor_events_days", self.monitor_events_days),
            ("retention.incidents_days", self.incidents_days),
        ] {
            if days > MAX_RETENTION_DAYS {
                return Err(ConfigError::Invalid {
                    field,
                    message: format!(
                        "{days} days is over {MAX_RETENTION_DAYS}; use 0 to keep forever"
                    ),
                });
            }
        }
        if self.interval == 0 || self.interval > MAX_SWEEP_INTERVAL {
            return Err(ConfigError::Invalid {
                field: "retention.interval",
                message: format!(
                    "must be between 1 second and 7 days, got {} s",
                    self.interval
                ),
            });
        }
        Ok(())
    }
}

/// The `[retention]` table of the file; `interval` is seconds or a string with a unit
/// (`90s`, `15m`, `1h`, `1d`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionFile {
    pub audits_days: Option<u32>,
    pub deliveries_days: Option<u32>,
    pub alerts_days: Option<u32>,
    pub audit_log_days: Option<u32>,
    pub monitor_events_days: Option<u32>,
    pub incidents_days: Option<u32>,
    #[serde(default, deserialize_with = "deserialize_interval")]
    pub interval: Option<u64>,
}

impl RetentionFile {
    fn from_env(get: &dyn Fn(&str) -> Option<String>) -> Result<Option<Self>, ConfigError> {
        let days = |name: &str| -> Result<Option<u32>, ConfigError> {
            get(name)
                .map(|v| {
                    v.trim().parse::<u32>().map_err(|e| ConfigError::Env {
                        name: name.to_string(),
                        message: e.to_string(),
                    })
                })
                .transpose()
        };
        let file = RetentionFile {
            audits_days: days("WEB3AUDIT_RETENTION_AUDITS_DAYS")?,
            deliveries_days: days("WEB3AUDIT_RETENTION_DELIVERIES_DAYS")?,
            alerts_days: days("WEB3AUDIT_RETENTION_ALERTS_DAYS")?,
            audit_log_days: days("WEB3AUDIT_RETENTION_AUDIT_LOG_DAYS")?,
            monitor_events_days: days("WEB3AUDIT_RETENTION_MONITOR_EVENTS_DAYS")?,
            incidents_days: days("WEB3AUDIT_RETENTION_INCIDENTS_DAYS")?,
            interval: get("WEB3AUDIT_RETENTION_INTERVAL")
                .map(|v| {
                    parse_interval(&v).map_err(|message| ConfigError::Env {
                        name: "WEB3AUDIT_RETENTION_INTERVAL".into(),
                        message,
                    })
                })
                .transpose()?,
        };
        let any = file.audits_days.is_some()
            || file.deliveries_days.is_some()
            || file.alerts_days.is_some()
            || file.audit_log_days.is_some()
            || file.monitor_events_days.is_some()
            || file.incidents_days.is_some()
            || file.interval.is_some();
        Ok(any.then_some(file))
    }

    fn apply(self, r: &mut Retention) {
        if let Some(v) = self.audits_days {
            r.audits_days = v;
        }
        if let Some(v) = self.deliveries_days {
            r.deliveries_days = v;
        }
        if let Some(v) = self.alerts_days {
            r.alerts_days = v;
        }
        if let Some(v) = self.audit_log_days {
            r.audit_log_days = v;
        }
        if let Some(v) = self.monitor_events_days {
            r.monitor_events_days = v;
        }
        if let Some(v) = self.incidents_days {
            r.incidents_days = v;
        }
        if let Some(v) = self.interval {
            r.interval = v;
        }
    }
}

// Alert rules and channels, SMTP and egress. ---------------------------------------------

/// A length of time written as a whole number and a unit: `500ms`, `30s`, `10m`, `2h`,
/// `1d`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Period(std::time::Duration);

impl Period {
    pub const fn from_millis(ms: u64) -> Self {
        Period(std::time::Duration::from_millis(ms))
    }
    pub const fn from_secs(secs: u64) -> Self {
        Period(std::time::Duration::from_secs(secs))
    }
    pub fn duration(self) -> std::time::Duration {
        self.0
    }
    pub fn as_millis(self) -> i64 {
        i64::try_from(self.0.as_millis()).unwrap_or(i64::MAX)
    }
}

impl std::str::FromStr for Period {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let split = text
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len());
        let (number, unit) = text.split_at(split);
        let number: u64 = number.parse().map_err(|_| {
            format!("`{text}` is not a length of time like `30s`, `10m`, `2h` or `500ms`")
        })?;
        let ms_per_unit: u64 = match unit {
            "ms" => 1,
            "s" => 1000,
            "m" => 60_000,
            "h" => 3_600_000,
            "d" => 86_400_000,
            _ => {
                return Err(format!(
                    "`{text}` has no known unit: write `ms`, `s`, `m`, `h` or `d` after the number"
                ));
            }
        };
        number
            .checked_mul(ms_per_unit)
            .map(Period::from_millis)
            .ok_or_else(|| format!("`{text}` is too long"))
    }
}

impl std::fmt::Display for Period {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ms = self.0.as_millis();
        for (unit, size) in [
            ("d", 86_400_000),
            ("h", 3_600_000),
            ("m", 60_000),
            ("s", 1000),
        ] {
            if ms >= size && ms.is_multiple_of(size) {
                return write!(f, "{}{unit}", ms / size);
            }
        }
        write!(f, "{ms}ms")
    }
}

impl Serialize for Period {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Period {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// A share between 0 and 1 (`0.05` is 5 %).
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct Share(f64);

// Deserialization refuses NaN, so equality is total.
impl Eq for Share {}

impl Share {
    pub fn new(value: f64) -> Option<Self> {
        (0.0..=1.0).contains(&value).then_some(Share(value))
    }
    pub fn get(self) -> f64 {
        self.0
    }
}

impl Serialize for Share {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_f64(self.0)
    }
}

impl<'de> Deserialize<'de> for Share {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = f64::deserialize(deserializer)?;
        Share::new(value).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "{value} is not a share between 0 and 1 (0.05 is 5 %)"
            ))
        })
    }
}

/// Severity level of an alert, which decides the channels it reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertLevel {
    Critical,
    High,
    Medium,
    Low,
}

impl AlertLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertLevel::Critical => "critical",
            AlertLevel::High => "high",
            AlertLevel::Medium => "medium",
            AlertLevel::Low => "low",
        }
    }
}

/// What a rule watches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertRuleKind {
    /// A finding at or above `min_severity` was stored (per tenant).
    Finding,
    /// The share of failed or timed-out audits among those finished in `window`.
    AuditFailures,
    /// Queued audits above `threshold` for `sustained`.
    QueueDepth,
    /// The share of HTTP 5xx answers of this process in `window`.
    ErrorRate,
}

impl AlertRuleKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertRuleKind::Finding => "finding",
            AlertRuleKind::AuditFailures => "audit_failures",
            AlertRuleKind::QueueDepth => "queue_depth",
            AlertRuleKind::ErrorRate => "error_rate",
        }
    }
}

fn default_cooldown() -> Period {
    Period::from_secs(600)
}

fn default_evaluate_every() -> Period {
    Period::from_secs(15)
}

/// `[[alerts.rules]]`: common fields, then the parameters of its kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertRule {
    pub name: String,
    pub kind: AlertRuleKind,
    /// The level of the alerts this rule raises.
    pub severity: AlertLevel,
    /// While an alert of this rule (and tenant) is open and younger than this, new
    /// occurrences fold into it instead of sending another.
    #[serde(default = "default_cooldown")]
    pub cooldown: Period,
    /// An alert still firing (not acknowledged) this long after it opened is sent once
    /// more, to `escalate_to`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escalate_after: Option<Period>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub escalate_to: Vec<String>,
    /// `finding`: the lowest finding severity that counts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_severity: Option<String>,
    /// `finding`: only these tenant ids (all tenants when empty).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tenants: Vec<String>,
    /// `audit_failures`, `error_rate`: the window the share is measured over.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<Period>,
    /// `audit_failures`, `error_rate`: the share above which the rule fires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_share: Option<Share>,
    /// `audit_failures`, `error_rate`: fewer audits (requests) than this in the window
    /// never fire.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_count: Option<u64>,
    /// `queue_depth`: the depth above which the rule fires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<u64>,
    /// `queue_depth`: how long the depth must stay above the threshold (default: at once).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sustained: Option<Period>,
}

/// How a channel delivers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertChannelKind {
    /// Signed JSON `POST` to `url`.
    Webhook,
    /// A Slack-compatible incoming webhook at `url`: JSON `{"text": ...}`.
    Slack,
    /// E-mail to `to` through `[smtp]`.
    Email,
}

/// How long an alert of each level may stay unacknowledged before it is escalated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResponseTimes {
    #[serde(default = "default_response_critical")]
    pub critical: Period,
    #[serde(default = "default_response_high")]
    pub high: Period,
    #[serde(default = "default_response_medium")]
    pub medium: Period,
    #[serde(default = "default_response_low")]
    pub low: Period,
}

fn default_response_critical() -> Period {
    Period::from_secs(15 * 60)
}
fn default_response_high() -> Period {
    Period::from_secs(60 * 60)
}
fn default_response_medium() -> Period {
    Period::from_secs(4 * 60 * 60)
}
fn default_response_low() -> Period {
    Period::from_secs(24 * 60 * 60)
}

impl Default for ResponseTimes {
    fn default() -> Self {
        ResponseTimes {
            critical: default_response_critical(),
            high: default_response_high(),
            medium: default_response_medium(),
            low: default_response_low(),
        }
    }
}

impl ResponseTimes {
    /// The response time of a level (`critical`, …); the lowest level's for anything else.
    pub fn of(&self, level: &str) -> Period {
        match level {
            "critical" => self.critical,
            "high" => self.high,
            "medium" => self.medium,
            _ => self.low,
        }
    }
}

fn default_batch_blocks() -> u64 {
    25
}

fn default_refresh_every() -> Period {
    Period::from_secs(10)
}

fn default_resend_unsent_after() -> Period {
    Period::from_secs(60)
}

/// `[monitoring]`: on-chain monitors run by this process.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MonitoringConfig {
    /// Run monitors in this process (`serve`, `worker`): the tenants' monitors defined
    /// through the API, and those of `monitors_file`. `web3audit monitor run` always does.
    #[serde(default)]
    pub enabled: bool,
    /// A monitor file of the operator's monitors, read at start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monitors_file: Option<String>,
    /// A monitor alert still firing (not acknowledged) this long after it opened is sent
    /// once more, to `escalate_to`.
    #[serde(default)]
    pub response_times: ResponseTimes,
    /// Channels (names of `[[alerts.channels]]`) escalated monitor alerts go to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub escalate_to: Vec<String>,
    /// Blocks read in one JSON-RPC batch.
    #[serde(default = "default_batch_blocks")]
    pub batch_blocks: u64,
    /// How often the tenants' monitors are read again (new, changed, disabled ones).
    #[serde(default = "default_refresh_every")]
    pub refresh_every: Period,
    /// A monitor alert recorded this long ago without any notification (its process
    /// stopped between recording it and sending it) is sent by the next refresh.
    #[serde(default = "default_resend_unsent_after")]
    pub resend_unsent_after: Period,
}

impl Default for MonitoringConfig {
    fn default() -> Self {
        MonitoringConfig {
            enabled: false,
            monitors_file: None,
            response_times: ResponseTimes::default(),
            escalate_to: Vec::new(),
            batch_blocks: default_batch_blocks(),
            refresh_every: default_refresh_every(),
            resend_unsent_after: default_resend_unsent_after(),
        }
    }
}

/// `[[alerts.channels]]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertChannel {
    pub name: String,
    pub kind: AlertChannelKind,
    /// The alert levels this channel receives.
    pub levels: Vec<AlertLevel>,
    /// `webhook`, `slack`: where to post.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// `webhook`: the HMAC-SHA256 signing key (at least 16 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<Secret>,
    /// `email`: recipients.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub to: Vec<String>,
}

/// `[alerts]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertsConfig {
    /// How often metric rules and escalations are evaluated.
    #[serde(default = "default_evaluate_every")]
    pub evaluate_every: Period,
    #[serde(default)]
    pub rules: Vec<AlertRule>,
    #[serde(default)]
    pub channels: Vec<AlertChannel>,
}

impl Default for AlertsConfig {
    fn default() -> Self {
        AlertsConfig {
            evaluate_every: default_evaluate_every(),
            rules: Vec::new(),
            channels: Vec::new(),
        }
    }
}

/// How the SMTP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StartTls {
    /// Upgrade with STARTTLS or fail.
    #[default]
    Required,
    /// Upgrade when the server offers STARTTLS, else send in clear.
    Opportunistic,
    /// Never upgrade (a relay on the same host or network).
    None,
}

/// `[smtp]` as written in the file (the password also from `WEB3AUDIT_SMTP_PASSWORD`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpFile {
    pub host: Option<String>,
    pub port: Option<u16>,
    pub starttls: Option<StartTls>,
    pub username: Option<String>,
    pub password: Option<Secret>,
    pub from: Option<String>,
    pub ca_file: Option<PathBuf>,
    pub timeout: Option<Period>,
}

impl SmtpFile {
    fn apply(self, s: &mut SmtpSettings) {
        if self.host.is_some() {
            s.host = self.host;
        }
        if let Some(port) = self.port {
            s.port = port;
        }
        if let Some(starttls) = self.starttls {
            s.starttls = starttls;
        }
        if self.username.is_some() {
            s.username = self.username;
        }
        if self.password.is_some() {
            s.password = self.password;
        }
        if self.from.is_some() {
            s.from = self.from;
        }
        if self.ca_file.is_some() {
            s.ca_file = self.ca_file;
        }
        if let Some(timeout) = self.timeout {
            s.timeout = timeout;
        }
    }
}

/// Seconds from `3600`, `90s`, `15m`, `1h` or `1d`.
pub fn parse_interval(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(at) => text.split_at(at),
        None => (text, "s"),
    };
    let scale = match unit.trim() {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => {
            return Err(format!(
                "`{text}` is not a duration like 3600, 90s, 15m, 1h or 1d"
            ));
        }
    };
    number
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(scale))
        .ok_or_else(|| format!("`{text}` is not a duration like 3600, 90s, 15m, 1h or 1d"))
}

fn deserialize_interval<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<u64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Value {
        Seconds(u64),
        Text(String),
    }
    match Option::<Value>::deserialize(deserializer)? {
        None => Ok(None),
        Some(Value::Seconds(n)) => Ok(Some(n)),
        Some(Value::Text(text)) => parse_interval(&text)
            .map(Some)
            .map_err(serde::de::Error::custom),
    }
}

#[cfg(test)]
mod egress_and_webhook_tests {
    use super::*;

    #[test]
    fn egress_and_webhooks_come_from_file_then_environment() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("web3audit.toml");
        std::fs::write(
            &path,
            "[egress]\nallow_hosts = [\"hooks.example.com\", \"*.example.org\"]\n\n[webhooks]\ntimeout_ms = 500\nmax_attempts = 3\n",
        )
        .unwrap();
        let env = ConfigFile::from_env(|name| match name {
            "WEB3AUDIT_EGRESS_ALLOW_HOSTS" => Some(" 127.0.0.1, ,hooks.example.com ".into()),
            "WEB3AUDIT_WEBHOOKS_DISABLE_AFTER_FAILURES" => Some("4".into()),
            _ => None,
        })
        .unwrap();
        let settings = Settings::resolve(Sources {
            file: Some(path),
            env,
            flags: ConfigFile::default(),
        })
        .unwrap();
        assert_eq!(
            settings.egress_allow_hosts,
            ["127.0.0.1", "hooks.example.com"]
        );
        let w = &settings.webhooks;
        assert_eq!((w.timeout_ms, w.max_attempts), (500, 3));
        assert_eq!(w.disable_after_failures, 4);
        assert_eq!(w.retry_base_ms, WebhookSettings::default().retry_base_ms);

        // `config show` prints them as the file spells them.
        let shown: ConfigFile = toml::from_str(&settings.to_redacted_toml()).unwrap();
        assert_eq!(
            shown.egress.and_then(|e| e.allow_hosts).unwrap(),
            ["127.0.0.1", "hooks.example.com"]
        );
        assert_eq!(shown.webhooks.and_then(|w| w.timeout_ms), Some(500));
    }

    #[test]
    fn bad_egress_and_webhook_settings_are_named() {
        let env = |name: &'static str, value: &'static str| {
            ConfigFile::from_env(move |n| (n == name).then(|| value.to_string()))
        };
        assert!(matches!(
            env("WEB3AUDIT_WEBHOOKS_TIMEOUT_MS", "soon"),
            Err(ConfigError::Env { .. })
        ));
        for (name, value, field) in [
            (
                "WEB3AUDIT_EGRESS_ALLOW_HOSTS",
                "https://hooks.example.com/x",
                "egress.allow_hosts",
            ),
            ("WEB3AUDIT_EGRESS_ALLOW_HOSTS", "*", "egress.allow_hosts"),
            ("WEB3AUDIT_WEBHOOKS_MAX_ATTEMPTS", "0", "webhooks"),
            (
                "WEB3AUDIT_WEBHOOKS_RETRY_BASE_MS",
                "99999999999",
                "webhooks",
            ),
        ] {
            let sources = Sources {
                env: env(name, value).unwrap(),
                ..Sources::default()
            };
            match Settings::resolve(sources) {
                Err(ConfigError::Invalid { field: f, .. }) => {
                    assert_eq!(f, field, "{name}={value}")
                }
                other => panic!("{name}={value}: {other:?}"),
            }
        }
    }

    #[test]
    fn the_default_pool_size_depends_on_the_backend_and_a_given_one_wins() {
        let resolve = |vars: &[(&str, &str)]| {
            let vars: Vec<(String, String)> = vars
                .iter()
                .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
                .collect();
            let env = ConfigFile::from_env(|name| {
                vars.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone())
            })
            .unwrap();
            Settings::resolve(Sources {
                env,
                ..Sources::default()
            })
            .unwrap()
            .database_max_connections
        };
        let sqlite = [("WEB3AUDIT_DATABASE_URL", "sqlite://data/w.db")];
        let postgres = [("WEB3AUDIT_DATABASE_URL", "postgres://u@db:5432/w")];
        assert_eq!(resolve(&sqlite), store::default_sqlite_readers());
        assert!((2..=16).contains(&resolve(&sqlite)));
        assert_eq!(resolve(&postgres), store::default_max_connections());
        let given = ("WEB3AUDIT_DATABASE_MAX_CONNECTIONS", "24");
        assert_eq!(resolve(&[sqlite[0], given]), 24);
        assert_eq!(resolve(&[postgres[0], given]), 24);
    }

    #[test]
    fn pool_size_and_redis_come_from_the_environment_and_are_checked() {
        let env = ConfigFile::from_env(|name| match name {
            "WEB3AUDIT_DATABASE_MAX_CONNECTIONS" => Some("48".into()),
            "WEB3AUDIT_REDIS_URL" => Some("redis://:hunter2-pass@cache.internal:6379/2".into()),
            "WEB3AUDIT_REDIS_PREFIX" => Some("w3a-prod:".into()),
            _ => None,
        })
        .unwrap();
        let settings = Settings::resolve(Sources {
            env,
            ..Sources::default()
        })
        .unwrap();
        assert_eq!(settings.database_max_connections, 48);
        assert_eq!(settings.redis_prefix, "w3a-prod:");
        let shown = settings.to_redacted_toml();
        assert!(!shown.contains("hunter2-pass"), "{shown}");
        assert!(shown.contains("cache.internal:6379/2"), "{shown}");
        assert!(!format!("{settings:?}").contains("hunter2-pass"));
        let defaults = Settings::default();
        assert!((16..=64).contains(&defaults.database_max_connections));
        assert!(defaults.redis_url.is_none());
        for (name, value, field) in [
            (
                "WEB3AUDIT_DATABASE_MAX_CONNECTIONS",
                "0",
                "database_max_connections",
            ),
            ("WEB3AUDIT_REDIS_URL", "http://cache:6379", "redis_url"),
        ] {
            let sources = Sources {
                env: ConfigFile::from_env(|n| (n == name).then(|| value.to_string())).unwrap(),
                ..Sources::default()
            };
            match Settings::resolve(sources) {
                Err(ConfigError::Invalid { field: f, .. }) => assert_eq!(f, field),
                other => panic!("{name}={value}: {other:?}"),
            }
        }
    }
}

/// The SMTP server e-mail channels send through; unset `host`: no e-mail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SmtpSettings {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    pub port: u16,
    pub starttls: StartTls,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<Secret>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// PEM file of extra CA certificates to trust (a private CA).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<PathBuf>,
    pub timeout: Period,
}

impl Default for SmtpSettings {
    fn default() -> Self {
        SmtpSettings {
            host: None,
            port: 587,
            starttls: StartTls::Required,
            username: None,
            password: None,
            from: None,
            ca_file: None,
            timeout: Period::from_secs(30),
        }
    }
}

/// Severities of findings, most severe first (those of the analyzer).
const FINDING_SEVERITIES: [&str; 5] = ["critical", "high", "medium", "low", "informational"];

fn validate_monitoring(
    monitoring: &MonitoringConfig,
    alerts: &AlertsConfig,
) -> Result<(), ConfigError> {
    let invalid =
        |field: &'static str, message: String| Err(ConfigError::Invalid { field, message });
    if let Some(unknown) = monitoring
        .escalate_to
        .iter()
        .find(|name| !alerts.channels.iter().any(|c| &c.name == *name))
    {
        return invalid(
            "monitoring.escalate_to",
            format!("`{unknown}` is not a channel of [[alerts.channels]]"),
        );
    }
    if !(1..=1000).contains(&monitoring.batch_blocks) {
        return invalid(
            "monitoring.batch_blocks",
            "must be between 1 and 1000".into(),
        );
    }
    if monitoring.refresh_every < Period::from_millis(100) {
        return invalid("monitoring.refresh_every", "must be at least 100ms".into());
    }
    if monitoring.resend_unsent_after < Period::from_secs(1) {
        return invalid(
            "monitoring.resend_unsent_after",
            "must be at least 1s".into(),
        );
    }
    let times = &monitoring.response_times;
    for (name, period) in [
        ("critical", times.critical),
        ("high", times.high),
        ("medium", times.medium),
        ("low", times.low),
    ] {
        if period < Period::from_secs(1) {
            return invalid(
                "monitoring.response_times",
                format!("`{name}` must be at least 1s"),
            );
        }
    }
    Ok(())
}

fn validate_alerts(alerts: &AlertsConfig, smtp: &SmtpSettings) -> Result<(), ConfigError> {
    let rule_error = |rule: &AlertRule, message: String| ConfigError::Invalid {
        field: "alerts.rules",
        message: format!("rule `{}` ({}): {message}", rule.name, rule.kind.as_str()),
    };
    let channel_error = |channel: &AlertChannel, message: String| ConfigError::Invalid {
        field: "alerts.channels",
        message: format!("channel `{}`: {message}", channel.name),
    };
    if alerts.evaluate_every < Period::from_millis(100) {
        return Err(ConfigError::Invalid {
            field: "alerts.evaluate_every",
            message: "must be at least 100ms".into(),
        });
    }
    let mut channel_names = std::collections::BTreeSet::new();
    for channel in &alerts.channels {
        if channel.name.trim().is_empty() {
            return Err(channel_error(channel, "the name is empty".into()));
        }
        if !channel_names.insert(channel.name.as_str()) {
            return Err(channel_error(
                channel,
                "another channel has this name".into(),
            ));
        }
        if channel.levels.is_empty() {
            return Err(channel_error(
                channel,
                "`levels` must name at least one of critical, high, medium, low".into(),
            ));
        }
        let needs_url = matches!(
            channel.kind,
            AlertChannelKind::Webhook | AlertChannelKind::Slack
        );
        match (&channel.url, needs_url) {
            (None, true) => return Err(channel_error(channel, "`url` is required".into())),
            (Some(_), false) => {
                return Err(channel_error(
                    channel,
                    "`url` does not apply to e-mail channels".into(),
                ));
            }
            (Some(url), true) => {
                if !(url.starts_with("https://") || url.starts_with("http://"))
                    || url.contains(char::is_whitespace)
                {
                    return Err(channel_error(
                        channel,
                        format!("`{url}` is not an http:// or https:// URL"),
                    ));
                }
            }
            (None, false) => {}
        }
        match (channel.kind, &channel.secret) {
            (AlertChannelKind::Webhook, None) => {
                return Err(channel_error(
                    channel,
                    "`secret` is required: deliveries are signed with it".into(),
                ));
            }
            (AlertChannelKind::Webhook, Some(secret)) if secret.expose().len() < 16 => {
                return Err(channel_error(
                    channel,
                    "`secret` must be at least 16 characters".into(),
                ));
            }
            (AlertChannelKind::Slack | AlertChannelKind::Email, Some(_)) => {
                return Err(channel_error(
                    channel,
                    "`secret` applies to webhook channels only".into(),
                ));
            }
            _ => {}
        }
        if channel.kind == AlertChannelKind::Email {
            if channel.to.is_empty() {
                return Err(channel_error(
                    channel,
                    "`to` must name at least one recipient".into(),
                ));
            }
            for to in &channel.to {
                if to.parse::<lettre::message::Mailbox>().is_err() {
                    return Err(channel_error(
                        channel,
                        format!("`{to}` is not an e-mail address"),
                    ));
                }
            }
            if smtp.host.is_none() {
                return Err(channel_error(
                    channel,
                    "e-mail channels need an [smtp] section with a host".into(),
                ));
            }
        } else if !channel.to.is_empty() {
            return Err(channel_error(
                channel,
                "`to` applies to e-mail channels only".into(),
            ));
        }
    }

    let mut rule_names = std::collections::BTreeSet::new();
    for rule in &alerts.rules {
        if rule.name.trim().is_empty() {
            return Err(rule_error(rule, "the name is empty".into()));
        }
        if !rule_names.insert(rule.name.as_str()) {
            return Err(rule_error(rule, "another rule has this name".into()));
        }
        if rule.cooldown < Period::from_secs(1) {
            return Err(rule_error(rule, "`cooldown` must be at least 1s".into()));
        }
        match (&rule.escalate_after, rule.escalate_to.is_empty()) {
            (Some(_), true) => {
                return Err(rule_error(
                    rule,
                    "`escalate_after` needs `escalate_to` (channel names)".into(),
                ));
            }
            (None, false) => {
                return Err(rule_error(
                    rule,
                    "`escalate_to` needs `escalate_after`".into(),
                ));
            }
            (Some(after), false) if after.duration().is_zero() => {
                return Err(rule_error(rule, "`escalate_after` must be above 0".into()));
            }
            _ => {}
        }
        if let Some(unknown) = rule
            .escalate_to
            .iter()
            .find(|name| !channel_names.contains(name.as_str()))
        {
            return Err(rule_error(
                rule,
                format!("`escalate_to` names `{unknown}`, which is not a channel"),
            ));
        }
        // Which parameters the kind takes, and which it requires.
        let given = [
            ("min_severity", rule.min_severity.is_some()),
            ("tenants", !rule.tenants.is_empty()),
            ("window", rule.window.is_some()),
            ("max_share", rule.max_share.is_some()),
            ("min_count", rule.min_count.is_some()),
            ("threshold", rule.threshold.is_some()),
            ("sustained", rule.sustained.is_some()),
        ];
        let (takes, requires): (&[&str], &[&str]) = match rule.kind {
            AlertRuleKind::Finding => (&["min_severity", "tenants"], &["min_severity"]),
            AlertRuleKind::AuditFailures | AlertRuleKind::ErrorRate => (
                &["window", "max_share", "min_count"],
                &["window", "max_share"],
            ),
            AlertRuleKind::QueueDepth => (&["threshold", "sustained"], &["threshold"]),
        };
        for (param, present) in given {
            if present && !takes.contains(&param) {
                return Err(rule_error(
                    rule,
                    format!(
                        "`{param}` does not apply to this kind (it takes {})",
                        takes.join(", ")
                    ),
                ));
            }
            if !present && requires.contains(&param) {
                return Err(rule_error(rule, format!("`{param}` is required")));
            }
        }
        if let Some(min) = &rule.min_severity
            && !FINDING_SEVERITIES.contains(&min.as_str())
        {
            return Err(rule_error(
                rule,
                format!(
                    "`min_severity` `{min}` is not one of {}",
                    FINDING_SEVERITIES.join(", ")
                ),
            ));
        }
        if rule.window.is_some_and(|w| w < Period::from_secs(1)) {
            return Err(rule_error(rule, "`window` must be at least 1s".into()));
        }
        if rule.tenants.iter().any(|t| t.trim().is_empty()) {
            return Err(rule_error(rule, "`tenants` holds an empty id".into()));
        }
    }

    if let Some(host) = &smtp.host {
        let smtp_error = |message: String| ConfigError::Invalid {
            field: "smtp",
            message,
        };
        if host.trim().is_empty() || host.contains(char::is_whitespace) {
            return Err(smtp_error(format!("`{host}` is not a host name")));
        }
        if smtp.port == 0 {
            return Err(smtp_error("`port` must be above 0".into()));
        }
        match &smtp.from {
            None => return Err(smtp_error("`from` is required".into())),
            Some(from) if from.parse::<lettre::message::Mailbox>().is_err() => {
                return Err(smtp_error(format!(
                    "`from` `{from}` is not an e-mail address"
                )));
            }
            Some(_) => {}
        }
        if smtp.password.is_some() && smtp.username.is_none() {
            return Err(smtp_error("`password` needs `username`".into()));
        }
        if smtp.password.is_some() && smtp.starttls == StartTls::None {
            return Err(smtp_error(
                "a password is never sent over an unencrypted connection: use starttls = \"required\""
                    .into(),
            ));
        }
        if let Some(path) = &smtp.ca_file {
            let pem = std::fs::read(path).map_err(|e| {
                smtp_error(format!("cannot read `ca_file` {}: {e}", path.display()))
            })?;
            if !String::from_utf8_lossy(&pem).contains("-----BEGIN CERTIFICATE-----")
                || lettre::transport::smtp::client::Certificate::from_pem(&pem).is_err()
            {
                return Err(smtp_error(format!(
                    "`ca_file` {} holds no PEM certificate",
                    path.display()
                )));
            }
        }
    } else if smtp.from.is_some() || smtp.username.is_some() || smtp.ca_file.is_some() {
        return Err(ConfigError::Invalid {
            field: "smtp",
            message: "`host` is required".into(),
        });
    }
    Ok(())
}

/// The public address, and each single sign-on provider (see
/// [`crate::sso::ProviderSettings::validate`]).
fn validate_sso(settings: &Settings) -> Result<(), ConfigError> {
    if let Some(url) = &settings.public_url {
        let parsed = reqwest::Url::parse(url).map_err(|e| ConfigError::Invalid {
            field: "public_url",
            message: format!("`{url}` is not a URL: {e}"),
        })?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.query().is_some() {
            return Err(ConfigError::Invalid {
                field: "public_url",
                message: format!("`{url}` must be an http or https address without a query"),
            });
        }
    }
    let egress = crate::egress::EgressPolicy::new(&settings.egress_allow_hosts);
    for (name, provider) in &settings.sso {
        provider
            .validate(name, settings.public_url.as_deref(), &egress)
            .map_err(|message| ConfigError::Invalid {
                field: "sso",
                message: format!("`{}`: {message}", name.escape_debug()),
            })?;
    }
    Ok(())
}

/// Assistant profiles: each valid (the assistant crate's rules), its provider's host on
/// the egress allow-list, its key readable when it is enabled; plans name existing ones.
fn validate_assistants(settings: &Settings) -> Result<(), ConfigError> {
    let invalid = |message: String| {
        Err(ConfigError::Invalid {
            field: "assistants",
            message,
        })
    };
    let egress = crate::egress::EgressPolicy::new(&settings.egress_allow_hosts);
    for (name, profile) in &settings.assistants {
        if let Err(error) = profile.validate() {
            return invalid(format!("`{}`: {error}", name.escape_debug()));
        }
        let host = profile
            .provider
            .endpoint_url()
            .ok()
            .and_then(|url| url.host_str().map(str::to_owned))
            .unwrap_or_default();
        if !egress.allows(&host) {
            return invalid(format!(
                "`{}`: the provider's host `{host}` is not in `[egress] allow_hosts`",
                name.escape_debug()
            ));
        }
        if profile.enabled
            && let Some(source) = &profile.provider.api_key
            && let Err(error) = assistant::resolve_key(source)
        {
            return invalid(format!("`{}`: {error}", name.escape_debug()));
        }
    }
    for (plan, quota) in &settings.plans {
        if let Some(unknown) = quota
            .assistants
            .iter()
            .find(|a| !settings.assistants.contains_key(a.as_str()))
        {
            return Err(ConfigError::Invalid {
                field: "plans",
                message: format!(
                    "plan `{plan}`: assistant `{}` is not a profile of `[assistants]`",
                    unknown.escape_debug()
                ),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod sso_config_tests {
    use super::*;

    #[test]
    fn sso_providers_are_read_shown_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        let secret = dir.path().join("oidc-secret");
        std::fs::write(&secret, "s3cret\n").unwrap();
        let path = dir.path().join("web3audit.toml");
        let resolve = |text: &str| {
            std::fs::write(&path, text).unwrap();
            Settings::resolve(Sources {
                file: Some(path.clone()),
                env: ConfigFile::default(),
                flags: ConfigFile::default(),
            })
        };
        let good = format!(
            "public_url = \"https://audit.example.com/\"\n\n[egress]\nallow_hosts = [\"login.example.com\"]\n\n\
             [sso.acme]\ntenant = \"t1\"\nissuer = \"https://login.example.com\"\nclient_id = \"w3a\"\n\
             client_secret = {{ file = \"{}\" }}\nroles = [{{ group = \"auditors\", role = \"auditor\" }}]\n",
            secret.display()
        );
        let settings = resolve(&good).unwrap();
        assert_eq!(
            settings.public_url.as_deref(),
            Some("https://audit.example.com")
        );
        let acme = &settings.sso["acme"];
        assert_eq!(acme.groups_claim, "groups");
        assert_eq!(acme.roles[0].role, "auditor");
        let shown: ConfigFile = toml::from_str(&settings.to_redacted_toml()).unwrap();
        assert_eq!(shown.sso.unwrap()["acme"], *acme);
        assert!(!settings.to_redacted_toml().contains("s3cret"));
        // Without a public address, the provider cannot send browsers back.
        let error = resolve(&good.replace("public_url = \"https://audit.example.com/\"\n", ""))
            .unwrap_err()
            .to_string();
        assert!(error.contains("public_url"), "{error}");
        let error =
            resolve(&good.replace("allow_hosts = [\"login.example.com\"]", "allow_hosts = []"))
                .unwrap_err()
                .to_string();
        assert!(
            error.contains("allow_hosts") && error.contains("`acme`"),
            "{error}"
        );
        let error = resolve(&good.replace("oidc-secret", "missing-secret"))
            .unwrap_err()
            .to_string();
        assert!(error.contains("missing-secret"), "{error}");
        // Settings without providers show no public address when none is set.
        let plain = resolve("").unwrap();
        assert!(!plain.to_redacted_toml().contains("public_url"));
    }
}

#[cfg(test)]
mod plan_tools_tests {
    use super::*;

    #[test]
    fn plan_tools_are_read_shown_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("web3audit.toml");
        let resolve = |text: &str| {
            std::fs::write(&path, text).unwrap();
            Settings::resolve(Sources {
                file: Some(path.clone()),
                env: ConfigFile::default(),
                flags: ConfigFile::default(),
            })
        };
        let settings = resolve(
            "[plans.free]\naudits_per_day = 10\n\n[plans.team]\ntools = [\"slither\", \"mythril\"]\n",
        )
        .unwrap();
        assert_eq!(settings.plans["team"].tools, ["slither", "mythril"]);
        assert!(settings.plans["free"].tools.is_empty(), "off by default");
        let shown: ConfigFile = toml::from_str(&settings.to_redacted_toml()).unwrap();
        assert_eq!(shown.plans.unwrap()["team"].tools, ["slither", "mythril"]);

        let error = resolve("[plans.free]\ntools = [\"semgrep\"]\n").unwrap_err();
        let message = error.to_string();
        assert!(
            message.contains("plans") && message.contains("`semgrep`"),
            "{message}"
        );
    }
}

#[cfg(test)]
mod assistant_profile_tests {
    use super::*;

    fn resolve(text: &str) -> Result<Settings, ConfigError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("web3audit.toml");
        std::fs::write(&path, text).unwrap();
        Settings::resolve(Sources {
            file: Some(path),
            env: ConfigFile::default(),
            flags: ConfigFile::default(),
        })
    }

    const PROFILE: &str = "[assistants.local]\nenabled = true\ndaily_token_budget = 1000\n\
        [assistants.local.provider]\nkind = \"openai-compatible\"\n\
        endpoint = \"http://127.0.0.1:11434/v1\"\nmodel = \"llama3.1\"\n";

    #[test]
    fn a_compliance_signing_key_must_read_and_parse() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("none.key");
        let error = resolve(&format!(
            "[compliance]\nsigning_key_file = \"{}\"\n",
            missing.display()
        ))
        .unwrap_err()
        .to_string();
        assert!(error.contains("compliance.signing_key_file"), "{error}");
        let garbage = dir.path().join("garbage.key");
        std::fs::write(&garbage, "not a key").unwrap();
        let error = resolve(&format!(
            "[compliance]\nsigning_key_file = \"{}\"\n",
            garbage.display()
        ))
        .unwrap_err()
        .to_string();
        assert!(error.contains("not hex"), "{error}");
        let good = dir.path().join("good.key");
        let (text, key) = crate::compliance::Ed25519Key::generate().unwrap();
        std::fs::write(&good, text).unwrap();
        let settings = resolve(&format!(
            "[compliance]\nsigning_key_file = \"{}\"\n",
            good.display()
        ))
        .unwrap();
        assert_eq!(
            settings.compliance_signing_key_file.as_deref(),
            Some(good.as_path())
        );
        assert!(key.public_hex().len() == 64);
    }

    #[test]
    fn profiles_are_read_and_offered_by_plans() {
        let settings = resolve(&format!(
            "[egress]\nallow_hosts = [\"127.0.0.1\"]\n\n[plans.free]\nassistants = [\"local\"]\n\n{PROFILE}"
        ))
        .unwrap();
        assert_eq!(settings.plans["free"].assistants, ["local"]);
        assert_eq!(settings.assistants["local"].provider.model, "llama3.1");
        let shown: ConfigFile = toml::from_str(&settings.to_redacted_toml()).unwrap();
        assert_eq!(shown.assistants.unwrap()["local"].daily_token_budget, 1000);
    }

    #[test]
    fn a_profile_outside_the_egress_list_an_unreadable_key_or_an_unknown_name_is_refused() {
        let message = |text: &str| resolve(text).unwrap_err().to_string();
        let outside = message(PROFILE);
        assert!(
            outside.contains("`127.0.0.1` is not in `[egress] allow_hosts`"),
            "{outside}"
        );
        let keyed = format!(
            "[egress]\nallow_hosts = [\"127.0.0.1\"]\n\n{PROFILE}api_key = {{ env = \"WEB3AUDIT_TEST_UNSET_ASSISTANT_KEY\" }}\n"
        );
        let unreadable = message(&keyed);
        assert!(
            unreadable.contains("WEB3AUDIT_TEST_UNSET_ASSISTANT_KEY"),
            "{unreadable}"
        );
        // A profile turned off is not asked for its key.
        resolve(&keyed.replace("enabled = true", "enabled = false")).unwrap();
        let unknown = message(
            "[egress]\nallow_hosts = [\"127.0.0.1\"]\n\n[plans.free]\nassistants = [\"cloud\"]\n",
        );
        assert!(
            unknown.contains("plan `free`: assistant `cloud` is not a profile"),
            "{unknown}"
        );
        let invalid = message(&format!(
            "[egress]\nallow_hosts = [\"127.0.0.1\"]\n\n{}",
            PROFILE.replace("1000", "0")
        ));
        assert!(invalid.contains("daily_token_budget"), "{invalid}");
    }
}
