//! `web3audit.toml`: the scan configuration file (documented in `docs/configuration.md`).
//!
//! Three stages: [`ConfigFile`] mirrors the file (serde, unknown keys rejected), the scan
//! merges it with the defaults and the command-line flags (defaults < file < flags), and
//! the result is the resolved, immutable `ScanSettings` of `scan.rs`.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use detectors::{Severity, registry};
use serde::Deserialize;
use serde::de::{self, Deserializer};

/// The name of the file looked for in the scanned folder and its ancestors.
pub(crate) const FILE_NAME: &str = "web3audit.toml";

/// The configuration file, as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct ConfigFile {
    /// Exit with 1 when a reported finding is at or above this severity.
    pub(crate) fail_on: Option<Level>,
    /// Hide findings below this severity.
    pub(crate) min_severity: Option<Level>,
    /// Globs of files to report even when excluded by default.
    #[serde(default)]
    pub(crate) include: Vec<String>,
    /// Globs of files not to report.
    #[serde(default)]
    pub(crate) exclude: Vec<String>,
    #[serde(default)]
    pub(crate) detectors: DetectorsSection,
    /// Severity per detector id, replacing the detector's own.
    #[serde(default)]
    pub(crate) severity: BTreeMap<DetectorId, Level>,
    /// `[chains.NAME]`: RPC endpoints and limits of the chains `scan 0xADDRESS --chain NAME`
    /// reads from.
    #[serde(default)]
    pub(crate) chains: BTreeMap<String, chain::ClientConfig>,
    /// `[sources]`: where the verified sources of a scanned address are fetched from.
    #[serde(default)]
    pub(crate) sources: Option<verified::SourcesConfig>,
    /// `[tools.slither]`, `[tools.aderyn]`, `[tools.mythril]`: the other analyzers
    /// `scan --with` runs (path, timeout, memory, rules, extra arguments).
    #[serde(default)]
    pub(crate) tools: tools::ToolsConfig,
}

/// `[detectors]`: which detectors run.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DetectorsSection {
    /// Only these, when not empty.
    #[serde(default)]
    pub(crate) enable: Vec<DetectorId>,
    /// Never these.
    #[serde(default)]
    pub(crate) disable: Vec<DetectorId>,
}

/// A detector id that the registry knows (checked while reading, so that the error
/// points at the line and column).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct DetectorId(pub(crate) String);

impl<'de> Deserialize<'de> for DetectorId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let id = String::deserialize(deserializer)?;
        if registry::find(&id).is_none() {
            return Err(de::Error::custom(format!(
                "unknown detector `{id}` (see `web3audit detectors`)"
            )));
        }
        Ok(DetectorId(id))
    }
}

/// A severity, read from its name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Level(pub(crate) Severity);

impl<'de> Deserialize<'de> for Level {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        name.parse().map(Level).map_err(|_| {
            de::Error::custom(format!(
                "`{name}` is not one of critical, high, medium, low, informational"
            ))
        })
    }
}

impl fmt::Display for DetectorId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl ConfigFile {
    /// Reads and checks the file at `path`.
    pub(crate) fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the configuration {}", path.display()))?;
        Self::parse(&text).with_context(|| format!("invalid configuration {}", path.display()))
    }

    /// Parses the text of a configuration file.
    pub(crate) fn parse(text: &str) -> Result<Self> {
        Ok(toml::from_str(text)?)
    }
}

/// The configuration file for a scan of `first_path`: the first `web3audit.toml` in its
/// folder (its own folder when it is a file) or any ancestor, up to the file system root.
pub(crate) fn discover(first_path: &Path) -> Option<PathBuf> {
    let start = std::fs::canonicalize(first_path).unwrap_or_else(|_| first_path.to_path_buf());
    let start = if start.is_dir() {
        start.as_path()
    } else {
        start.parent()?
    };
    start
        .ancestors()
        .map(|dir| dir.join(FILE_NAME))
        .find(|candidate| candidate.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(text: &str) -> String {
        format!("{:#}", ConfigFile::parse(text).unwrap_err())
    }

    #[test]
    fn reads_every_key() {
        let config = ConfigFile::parse(
            r#"
fail-on = "high"
min-severity = "low"
include = ["test/**"]
exclude = ["src/legacy/**"]

[detectors]
enable = ["tx-origin-auth", "floating-pragma"]
disable = ["floating-pragma"]

[severity]
tx-origin-auth = "critical"
"#,
        )
        .unwrap();
        assert_eq!(config.fail_on, Some(Level(Severity::High)));
        assert_eq!(config.min_severity, Some(Level(Severity::Low)));
        assert_eq!(config.include, ["test/**"]);
        assert_eq!(config.exclude, ["src/legacy/**"]);
        assert_eq!(config.detectors.enable.len(), 2);
        assert_eq!(
            config.severity[&DetectorId("tx-origin-auth".into())],
            Level(Severity::Critical)
        );
        assert!(ConfigFile::parse("").is_ok());
    }

    #[test]
    fn reads_the_sources_table() {
        let config = ConfigFile::parse(
            "[sources]\nsourcify_url = \"http://127.0.0.1:5555\"\netherscan_url = \"\"\n",
        )
        .unwrap();
        let sources = config.sources.unwrap();
        assert_eq!(sources.sourcify_url, "http://127.0.0.1:5555");
        assert_eq!(sources.etherscan_url, "");
        assert_eq!(sources.timeout_secs, 20);
        assert!(ConfigFile::parse("[sources]\nsourcify = \"x\"\n").is_err());
        assert!(ConfigFile::parse("").unwrap().sources.is_none());
    }

    #[test]
    fn reads_tool_tables() {
        let config = ConfigFile::parse(
            "[tools.slither]\ntimeout = \"120s\"\nexclude-detectors = [\"solc-version\"]\n\n[tools.mythril]\npath = \"/opt/myth\"\n",
        )
        .unwrap();
        assert_eq!(
            config.tools.slither.timeout,
            std::time::Duration::from_secs(120)
        );
        assert_eq!(config.tools.slither.exclude_detectors, ["solc-version"]);
        assert_eq!(
            config.tools.mythril.path.as_deref(),
            Some(Path::new("/opt/myth"))
        );
        let e = error("[tools.slither]\nargs = \"--x\"\n");
        assert!(e.contains("line 2"), "{e}");
        let e = error("[tools.semgrep]\n");
        assert!(e.contains("unknown field `semgrep`"), "{e}");
    }

    #[test]
    fn reads_chain_tables() {
        let config = ConfigFile::parse(
            r#"
[chains.mainnet]
urls = ["https://rpc-a.example/v3/KEY", "https://rpc-b.example"]
expected-chain-id = 1
timeout = "5s"
budget = 200

[chains.local]
urls = ["http://127.0.0.1:8545"]
"#,
        )
        .unwrap();
        let mainnet = &config.chains["mainnet"];
        assert_eq!(mainnet.urls.len(), 2);
        assert_eq!(mainnet.expected_chain_id, Some(1));
        assert_eq!(mainnet.timeout, std::time::Duration::from_secs(5));
        assert_eq!(mainnet.budget, 200);
        assert_eq!(
            config.chains["local"].retries,
            chain::ClientConfig::default().retries
        );
        let e = error("[chains.x]\nurl = \"http://a\"\n");
        assert!(
            e.contains("line 2") && e.contains("unknown field `url`"),
            "{e}"
        );
    }

    #[test]
    fn unknown_keys_ids_and_levels_are_precise_errors() {
        let e = error("fail_on = \"high\"\n");
        assert!(
            e.contains("line 1") && e.contains("unknown field `fail_on`"),
            "{e}"
        );
        let e = error("[detectors]\ndisable = [\"nope\"]\n");
        assert!(
            e.contains("line 2") && e.contains("unknown detector `nope`"),
            "{e}"
        );
        let e = error("[severity]\nnope = \"low\"\n");
        assert!(e.contains("unknown detector `nope`"), "{e}");
        let e = error("[severity]\ntx-origin-auth = \"severe\"\n");
        assert!(
            e.contains("line 2") && e.contains("`severe` is not one of"),
            "{e}"
        );
        let e = error("[detectors]\nonly = []\n");
        assert!(e.contains("unknown field `only`"), "{e}");
    }
}
