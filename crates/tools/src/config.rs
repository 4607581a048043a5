//! `[tools.NAME]` of the scan configuration: where each analyzer is and how it runs.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Deserializer};

use crate::sandbox::Limits;
use crate::tool::ToolKind;

/// `[tools]`: one table per analyzer.
///
/// ```toml
/// [tools.slither]
/// path = "/opt/slither/bin/slither"
/// timeout = "300s"
/// memory-mb = 4096
/// max-output-mb = 64
/// detectors = ["reentrancy-eth", "suicidal"]
/// exclude-detectors = ["solc-version"]
/// args = ["--exclude-dependencies"]
/// solc = "solc-0.8.27"
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ToolsConfig {
    pub slither: ToolSettings,
    pub aderyn: ToolSettings,
    pub mythril: ToolSettings,
}

impl ToolsConfig {
    pub fn get(&self, tool: ToolKind) -> &ToolSettings {
        match tool {
            ToolKind::Slither => &self.slither,
            ToolKind::Aderyn => &self.aderyn,
            ToolKind::Mythril => &self.mythril,
        }
    }
}

/// One analyzer's settings.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct ToolSettings {
    /// The executable; default: the tool's command on `PATH`.
    pub path: Option<PathBuf>,
    /// Wall-clock limit of each process the tool runs as (durations as milliseconds or
    /// `"90s"`, `"500ms"`).
    #[serde(deserialize_with = "duration")]
    pub timeout: Duration,
    /// Memory limit (`RLIMIT_DATA`) of the tool's processes, in MiB.
    pub memory_mb: u64,
    /// The most output read from the tool, in MiB; more stops the run.
    pub max_output_mb: u64,
    /// Only these rules of the tool (its own ids), when not empty.
    pub detectors: Vec<String>,
    /// Never these rules of the tool.
    pub exclude_detectors: Vec<String>,
    /// Extra arguments, appended to ours.
    pub args: Vec<String>,
    /// The compiler (a command on `PATH` or a path) for Slither; the version for the
    /// solc shim (`SOLC_VERSION`) for Mythril and Aderyn. Default: the newest
    /// `solc-X.Y.Z` on `PATH` that the file's pragma admits.
    pub solc: Option<String>,
}

impl Default for ToolSettings {
    fn default() -> Self {
        let limits = Limits::default();
        Self {
            path: None,
            timeout: limits.timeout,
            memory_mb: limits.memory_bytes >> 20,
            max_output_mb: (limits.output_bytes >> 20) as u64,
            detectors: Vec::new(),
            exclude_detectors: Vec::new(),
            args: Vec::new(),
            solc: None,
        }
    }
}

impl ToolSettings {
    pub fn limits(&self) -> Limits {
        Limits {
            timeout: self.timeout,
            memory_bytes: self.memory_mb.saturating_mul(1 << 20),
            output_bytes: usize::try_from(self.max_output_mb.saturating_mul(1 << 20))
                .unwrap_or(usize::MAX),
        }
    }

    /// Whether findings of `rule` are kept.
    pub fn keeps(&self, rule: &str) -> bool {
        (self.detectors.is_empty() || self.detectors.iter().any(|d| d == rule))
            && !self.exclude_detectors.iter().any(|d| d == rule)
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
    let text = match Written::deserialize(deserializer)? {
        Written::Millis(ms) => return Ok(Duration::from_millis(ms)),
        Written::Text(text) => text,
    };
    let t = text.trim();
    let (number, unit) = if let Some(n) = t.strip_suffix("ms") {
        (n, 1)
    } else if let Some(n) = t.strip_suffix('s') {
        (n, 1000)
    } else {
        return Err(serde::de::Error::custom(format!(
            "duration {text:?} needs a unit: \"ms\" or \"s\""
        )));
    };
    let value: u64 = number.trim().parse().map_err(|_| {
        serde::de::Error::custom(format!("duration {text:?} is not a whole number"))
    })?;
    Ok(Duration::from_millis(value.saturating_mul(unit)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_tool_table_and_rejects_unknown_keys() {
        let config: ToolsConfig = toml::from_str(
            "[slither]\ntimeout = \"90s\"\nmemory-mb = 512\nexclude-detectors = [\"solc-version\"]\nargs = [\"--foo\"]\n",
        )
        .unwrap();
        assert_eq!(config.slither.timeout, Duration::from_secs(90));
        assert_eq!(config.slither.limits().memory_bytes, 512 << 20);
        assert!(!config.slither.keeps("solc-version"));
        assert!(config.slither.keeps("reentrancy-eth"));
        assert_eq!(config.mythril, ToolSettings::default());
        let e = toml::from_str::<ToolsConfig>("[slither]\ntimout = 3\n").unwrap_err();
        assert!(e.to_string().contains("unknown field `timout`"), "{e}");
        assert!(toml::from_str::<ToolsConfig>("[semgrep]\n").is_err());
        assert!(toml::from_str::<ToolsConfig>("[slither]\ntimeout = \"3 minutes\"\n").is_err());
    }
}
