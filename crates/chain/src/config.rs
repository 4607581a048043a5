//! How an [`RpcClient`](crate::RpcClient) talks to its endpoints.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Deserializer};

use crate::redact::redact_url;

/// Endpoints and limits of one [`RpcClient`](crate::RpcClient). Deserializable, so that a
/// configuration file can embed it (durations as milliseconds or as `"500ms"`, `"10s"`):
///
/// ```toml
/// urls = ["https://rpc-a.example/v3/KEY", "https://rpc-b.example"]
/// expected-chain-id = 1
/// timeout = "10s"
/// retries = 2
/// backoff-base = "250ms"
/// budget = 1000
/// max-response-bytes = 8388608
/// ```
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct ClientConfig {
    /// Endpoints in order of preference; the next one is used when one fails.
    pub urls: Vec<String>,
    /// The chain the endpoints must serve, checked on the first use of each endpoint. When
    /// absent, the first endpoint's chain id is the one all others must match.
    pub expected_chain_id: Option<u64>,
    /// Limit for one HTTP request, from connecting to the last byte of the answer.
    #[serde(deserialize_with = "duration")]
    pub timeout: Duration,
    /// Further attempts at one endpoint after a timeout, a transport error, HTTP 429 or 5xx,
    /// before moving to the next endpoint.
    pub retries: u32,
    /// Wait before the first retry; doubled for each further one (at most
    /// [`ClientConfig::MAX_BACKOFF`]), plus a random jitter of up to half of it.
    #[serde(deserialize_with = "duration")]
    pub backoff_base: Duration,
    /// HTTP requests this client may send in its life, retries included.
    pub budget: u64,
    /// Largest response body read; a longer one is an error.
    pub max_response_bytes: u64,
}

impl ClientConfig {
    /// The longest wait between two attempts, whatever the base and the attempt number.
    pub const MAX_BACKOFF: Duration = Duration::from_secs(10);

    /// The defaults with these endpoints.
    pub fn new<S: Into<String>>(urls: impl IntoIterator<Item = S>) -> Self {
        Self {
            urls: urls.into_iter().map(Into::into).collect(),
            ..Self::default()
        }
    }
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            urls: Vec::new(),
            expected_chain_id: None,
            timeout: Duration::from_secs(10),
            retries: 2,
            backoff_base: Duration::from_millis(250),
            budget: 1_000,
            max_response_bytes: 8 * 1024 * 1024,
        }
    }
}

impl fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let urls: Vec<String> = self.urls.iter().map(|url| redact_url(url)).collect();
        f.debug_struct("ClientConfig")
            .field("urls", &urls)
            .field("expected_chain_id", &self.expected_chain_id)
            .field("timeout", &self.timeout)
            .field("retries", &self.retries)
            .field("backoff_base", &self.backoff_base)
            .field("budget", &self.budget)
            .field("max_response_bytes", &self.max_response_bytes)
            .finish()
    }
}

/// A duration written as integer milliseconds or as a string with a unit (`ms`, `s`).
fn duration<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Written {
        Millis(u64),
        Text(String),
    }
    match Written::deserialize(deserializer)? {
        Written::Millis(ms) => Ok(Duration::from_millis(ms)),
        Written::Text(text) => parse_duration(&text).map_err(serde::de::Error::custom),
    }
}

fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, unit) = if let Some(number) = text.strip_suffix("ms") {
        (number, 1)
    } else if let Some(number) = text.strip_suffix('s') {
        (number, 1000)
    } else {
        return Err(format!(
            "duration {text:?} needs a unit: \"ms\" or \"s\" (or write milliseconds as a number)"
        ));
    };
    let value: u64 = number
        .trim()
        .parse()
        .map_err(|_| format!("duration {text:?} is not a whole number of ms or s"))?;
    Ok(Duration::from_millis(value.saturating_mul(unit)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_from_toml_with_defaults() {
        let config: ClientConfig = toml::from_str(
            r#"
            urls = ["https://u:p@a.example", "http://b.example"]
            expected-chain-id = 10
            timeout = "1500ms"
            backoff-base = 100
            "#,
        )
        .unwrap();
        assert_eq!(config.urls.len(), 2);
        assert_eq!(config.expected_chain_id, Some(10));
        assert_eq!(config.timeout, Duration::from_millis(1500));
        assert_eq!(config.backoff_base, Duration::from_millis(100));
        assert_eq!(config.retries, ClientConfig::default().retries);
        assert!(!format!("{config:?}").contains("u:p"));
    }

    #[test]
    fn rejects_unknown_fields_and_unitless_text() {
        assert!(toml::from_str::<ClientConfig>("url = \"x\"").is_err());
        assert!(toml::from_str::<ClientConfig>("expected_chain_id = 1").is_err());
        assert!(toml::from_str::<ClientConfig>("timeout = \"10\"").is_err());
        assert_eq!(parse_duration("2s"), Ok(Duration::from_secs(2)));
    }
}
