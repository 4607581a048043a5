//! Settings in three stages: [`ConfigFile`] mirrors the file (TOML or YAML) and is also
//! what the environment and the flags fill in; [`Settings::resolve`] merges defaults <
//! file < `WEB3AUDIT_*` environment < flags; the result is validated and immutable.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

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
    // Dashboard
    pub dashboard_cookie_secure: Option<bool>,
    pub dashboard_session_ttl_secs: Option<u64>,
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
    // Dashboard
    /// Marks the dashboard cookies `Secure` (and names them `__Host-…`). Turn off only
    /// to use the dashboard over plain HTTP on a host other than localhost.
    pub dashboard_cookie_secure: bool,
    /// How long a dashboard sign-in lasts.
    pub dashboard_session_ttl_secs: u64,
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
            },
        );
        plans.insert(
            "pro".to_string(),
            PlanQuota {
                audits_per_day: Some(10_000),
                stored_bytes: Some(10 * 1024 * 1024 * 1024),
            },
        );
        plans.insert(
            "enterprise".to_string(),
            PlanQuota {
                audits_per_day: None,
                stored_bytes: None,
            },
        );
        Settings {
            bind: "127.0.0.1:8000".into(),
            database_url: "sqlite://data/web3audit.db".into(),
            secret_key: None,
            max_concurrent_audits: std::thread::available_parallelism().map_or(2, |n| n.get()),
            default_audit_timeout_secs: 60,
            max_audit_timeout_secs: 600,
            max_body_bytes: 10 * 1024 * 1024,
            allowed_extensions: vec![".sol".into(), ".vy".into(), ".json".into()],
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
            dashboard_cookie_secure: true,
            dashboard_session_ttl_secs: 8 * 3600,
        }
    }
}

/// Names of the environment variables read, each mapping to one setting.
pub const ENV_VARS: &[&str] = &[
    "WEB3AUDIT_BIND",
    "WEB3AUDIT_DATABASE_URL",
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
        let any_rate = rate_limits.key_per_minute.is_some()
            || rate_limits.tenant_per_minute.is_some()
            || rate_limits.burst.is_some();
        Ok(ConfigFile {
            bind: get("WEB3AUDIT_BIND"),
            database_url: get("WEB3AUDIT_DATABASE_URL"),
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
        if let Some(path) = &sources.file {
            ConfigFile::load(path)?.apply(&mut settings);
        }
        sources.env.apply(&mut settings);
        sources.flags.apply(&mut settings);
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
