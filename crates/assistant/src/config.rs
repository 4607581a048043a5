//! Per-tenant configuration: TOML-friendly, unknown fields refused, validated.
//!
//! ```toml
//! enabled = true
//! daily_token_budget = 200000
//!
//! [provider]
//! kind = "openai-compatible"          # or "anthropic"
//! endpoint = "https://api.openai.com/v1"
//! model = "gpt-4o-mini"
//! api_key = { env = "OPENAI_API_KEY" } # or { file = "/run/secrets/openai" }, or absent
//! timeout_secs = 60
//! max_output_tokens = 2048
//! ```

use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use reqwest::Url;
use serde::{Deserialize, Serialize};

use crate::error::AssistantError;

/// An API key. Its `Debug` and `Display` never show the value.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }
    /// The key itself, for the request header only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Where the API key comes from: `{ env = "NAME" }` or `{ file = "/path" }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum KeySource {
    Env(String),
    File(PathBuf),
}

/// Reads the key (the only IO of the configuration). Surrounding whitespace (a trailing
/// newline in a secret file) is removed; an empty key is an error. The error names the
/// variable or file, never the value.
pub fn resolve_key(source: &KeySource) -> Result<Secret, AssistantError> {
    let value = match source {
        KeySource::Env(name) => std::env::var(name)
            .map_err(|e| AssistantError::Key(format!("environment variable `{name}`: {e}")))?,
        KeySource::File(path) => std::fs::read_to_string(path)
            .map_err(|e| AssistantError::Key(format!("secret file `{}`: {e}", path.display())))?,
    };
    let value = value.trim();
    if value.is_empty() {
        let from = match source {
            KeySource::Env(name) => format!("environment variable `{name}`"),
            KeySource::File(path) => format!("secret file `{}`", path.display()),
        };
        return Err(AssistantError::Key(format!("{from} is empty")));
    }
    Ok(Secret::new(value))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProviderKind {
    /// `POST {endpoint}/chat/completions` (OpenAI, Ollama, vLLM, LM Studio, ...).
    #[serde(rename = "openai-compatible")]
    OpenAiCompatible,
    /// `POST {endpoint}/v1/messages`.
    Anthropic,
}

impl ProviderKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderKind::OpenAiCompatible => "openai-compatible",
            ProviderKind::Anthropic => "anthropic",
        }
    }
}

fn default_timeout_secs() -> u64 {
    60
}
fn default_max_output_tokens() -> u32 {
    2048
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderConfig {
    pub kind: ProviderKind,
    /// Base URL: `https://api.openai.com/v1`, `http://localhost:11434/v1` (Ollama),
    /// `https://api.anthropic.com`. https is required except for loopback hosts.
    pub endpoint: String,
    pub model: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key: Option<KeySource>,
    #[serde(default = "default_timeout_secs")]
    pub timeout_secs: u64,
    #[serde(default = "default_max_output_tokens")]
    pub max_output_tokens: u32,
}

/// Upper bounds of the configuration.
pub const MAX_TIMEOUT_SECS: u64 = 600;
pub const MAX_OUTPUT_TOKENS: u32 = 32_768;

fn is_loopback_host(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            d == "localhost" || d.ends_with(".localhost")
        }
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

impl ProviderConfig {
    pub fn timeout(&self) -> Duration {
        Duration::from_secs(self.timeout_secs)
    }

    /// The endpoint parsed: http(s), a host, no user name or password, no query or
    /// fragment; https unless the host is loopback (`localhost`, `127.0.0.0/8`, `::1`).
    pub fn endpoint_url(&self) -> Result<Url, AssistantError> {
        let bad = |m: String| AssistantError::Config(format!("endpoint `{}`: {m}", self.endpoint));
        let url = Url::parse(self.endpoint.trim()).map_err(|e| bad(e.to_string()))?;
        if url.host().is_none() {
            return Err(bad("no host".into()));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(bad("must not carry a user name or password".into()));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(bad("must not have a query or fragment".into()));
        }
        match url.scheme() {
            "https" => {}
            "http" if is_loopback_host(&url) => {}
            "http" => {
                return Err(bad(
                    "plain http is allowed only for a loopback host (a local server); use https"
                        .into(),
                ));
            }
            other => return Err(bad(format!("scheme `{other}` is not http or https"))),
        }
        Ok(url)
    }

    /// `{endpoint}/{path}`, with exactly one slash between them.
    pub fn url_for(&self, path: &str) -> Result<Url, AssistantError> {
        let base = self.endpoint_url()?;
        let joined = format!(
            "{}/{}",
            base.as_str().trim_end_matches('/'),
            path.trim_start_matches('/')
        );
        Url::parse(&joined).map_err(|e| AssistantError::Config(format!("endpoint: {e}")))
    }

    pub fn validate(&self) -> Result<(), AssistantError> {
        self.endpoint_url()?;
        let model = self.model.trim();
        if model.is_empty() || model.len() > 200 || model.chars().any(char::is_control) {
            return Err(AssistantError::Config(
                "model must be a non-empty name of at most 200 characters".into(),
            ));
        }
        if self.timeout_secs == 0 || self.timeout_secs > MAX_TIMEOUT_SECS {
            return Err(AssistantError::Config(format!(
                "timeout_secs must be between 1 and {MAX_TIMEOUT_SECS}"
            )));
        }
        if self.max_output_tokens < 256 || self.max_output_tokens > MAX_OUTPUT_TOKENS {
            return Err(AssistantError::Config(format!(
                "max_output_tokens must be between 256 and {MAX_OUTPUT_TOKENS}"
            )));
        }
        if self.kind == ProviderKind::Anthropic && self.api_key.is_none() {
            return Err(AssistantError::Config(
                "the Anthropic provider needs an api_key".into(),
            ));
        }
        Ok(())
    }
}

/// One tenant's assistant settings. Off unless `enabled = true` (opt-in).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssistantSettings {
    #[serde(default)]
    pub enabled: bool,
    /// Tokens (input + output) per UTC day for the tenant.
    pub daily_token_budget: u64,
    pub provider: ProviderConfig,
}

impl AssistantSettings {
    pub fn validate(&self) -> Result<(), AssistantError> {
        if self.daily_token_budget == 0 {
            return Err(AssistantError::Config(
                "daily_token_budget must be positive".into(),
            ));
        }
        self.provider.validate()
    }
}
