//! Where sources are fetched from: the part of the configuration file the CLI embeds.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// The public Sourcify server's API.
pub const DEFAULT_SOURCIFY_URL: &str = "https://sourcify.dev/server";
/// Etherscan's multichain API (the chain is passed as `chainid`).
pub const DEFAULT_ETHERSCAN_URL: &str = "https://api.etherscan.io/v2/api";
/// The environment variable the Etherscan key is read from by default.
pub const DEFAULT_ETHERSCAN_KEY_ENV: &str = "ETHERSCAN_API_KEY";

/// Source providers (`[sources]` in the configuration file).
///
/// ```toml
/// [sources]
/// sourcify_url = "https://sourcify.dev/server"   # "" disables Sourcify
/// etherscan_url = "https://api.etherscan.io/v2/api"
/// etherscan_api_key_env = "ETHERSCAN_API_KEY"     # the key itself is never in the file
/// timeout_secs = 20
/// max_response_bytes = 33554432
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SourcesConfig {
    /// Base URL of a Sourcify-compatible server (its v2 API); empty to skip Sourcify.
    pub sourcify_url: String,
    /// An Etherscan-compatible `.../api` endpoint; empty to skip it.
    pub etherscan_url: String,
    /// The name of the environment variable holding the explorer's API key. The explorer
    /// is asked only when a key is available.
    pub etherscan_api_key_env: String,
    /// Timeout of one request, connection to last byte.
    pub timeout_secs: u64,
    /// The largest response body accepted.
    pub max_response_bytes: u64,
    /// A key given directly by the program (not read from the file); takes precedence over
    /// the environment variable.
    #[serde(skip)]
    pub etherscan_api_key: Option<ApiKey>,
}

impl Default for SourcesConfig {
    fn default() -> Self {
        SourcesConfig {
            sourcify_url: DEFAULT_SOURCIFY_URL.to_string(),
            etherscan_url: DEFAULT_ETHERSCAN_URL.to_string(),
            etherscan_api_key_env: DEFAULT_ETHERSCAN_KEY_ENV.to_string(),
            timeout_secs: 20,
            max_response_bytes: 32 * 1024 * 1024,
            etherscan_api_key: None,
        }
    }
}

impl SourcesConfig {
    pub fn timeout(&self) -> Duration {
        Duration::from_secs(self.timeout_secs.max(1))
    }

    /// The explorer key: the one set by the program, else the named environment variable
    /// when it is set and not empty.
    pub fn resolved_etherscan_key(&self) -> Option<ApiKey> {
        if let Some(key) = &self.etherscan_api_key {
            return Some(key.clone());
        }
        if self.etherscan_api_key_env.is_empty() {
            return None;
        }
        std::env::var(&self.etherscan_api_key_env)
            .ok()
            .filter(|key| !key.trim().is_empty())
            .map(|key| ApiKey(key.trim().to_string()))
    }
}

/// An API key; its `Debug` and `Display` never show it.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    pub fn new(key: impl Into<String>) -> ApiKey {
        ApiKey(key.into())
    }

    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

impl fmt::Display for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_file_form() {
        let config: SourcesConfig = toml_like(r#"{"sourcify_url": "http://localhost:5555"}"#);
        assert_eq!(config.sourcify_url, "http://localhost:5555");
        assert_eq!(config.etherscan_url, DEFAULT_ETHERSCAN_URL);
        assert_eq!(config.timeout(), Duration::from_secs(20));
        assert!(serde_json::from_str::<SourcesConfig>(r#"{"etherscan_api_key": "k"}"#).is_err());
    }

    fn toml_like(json: &str) -> SourcesConfig {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn keys_are_never_shown() {
        let config = SourcesConfig {
            etherscan_api_key: Some(ApiKey::new("SECRET123")),
            ..SourcesConfig::default()
        };
        assert!(!format!("{config:?}").contains("SECRET123"));
        assert_eq!(
            config.resolved_etherscan_key().unwrap().expose(),
            "SECRET123"
        );
    }
}

#[cfg(test)]
mod file_form {
    use super::*;

    #[test]
    fn reads_the_documented_toml() {
        let text = r#"
            sourcify_url = ""
            etherscan_url = "https://explorer.example/api"
            etherscan_api_key_env = "MY_EXPLORER_KEY"
            timeout_secs = 7
            max_response_bytes = 1000
        "#;
        let config: SourcesConfig = toml::from_str(text).unwrap();
        assert_eq!(config.sourcify_url, "");
        assert_eq!(config.etherscan_api_key_env, "MY_EXPLORER_KEY");
        assert_eq!(config.timeout(), Duration::from_secs(7));
        assert_eq!(config.max_response_bytes, 1000);
        assert!(config.etherscan_api_key.is_none());
        // An empty variable name reads no key.
        let none = SourcesConfig {
            etherscan_api_key_env: String::new(),
            ..SourcesConfig::default()
        };
        assert!(none.resolved_etherscan_key().is_none());
    }
}
