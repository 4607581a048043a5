//! The client's settings (`initializationOptions`, `workspace/didChangeConfiguration` and
//! the `workspace/configuration` answer), merged with the project's `web3audit.toml` the
//! way `scan` merges its flags: defaults < file < client.

use std::collections::BTreeMap;

use detectors::{Selection, Severity, registry};
use project::LoadOptions;
use serde::Deserialize;

use crate::analysis::AnalysisOptions;
use crate::config::{self, ConfigFile};

/// The wait after the last change of a document before it is analysed again, unless the
/// client sets `web3audit.debounceMs`.
pub(crate) const DEFAULT_DEBOUNCE_MS: u64 = 50;

/// The `web3audit` section of the client's settings, as documented in `docs/editors.md`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct ClientSettings {
    /// Hide findings below this severity (replaces the file's `min-severity`).
    pub(crate) min_severity: Option<String>,
    pub(crate) detectors: DetectorSettings,
    /// Where "open the documentation" leads: this URL with `#ID` appended (for example
    /// a rendering of `docs/detectors.md`); without it, the server writes the detector's
    /// documentation to a Markdown file and opens that.
    pub(crate) documentation_url: Option<String>,
    /// Milliseconds to wait after a change before analysing.
    pub(crate) debounce_ms: Option<u64>,
}

/// `web3audit.detectors`: which detectors run.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct DetectorSettings {
    /// Only these ids, when not empty (replaces the file's `[detectors] enable`, and runs
    /// ids the file disables).
    pub(crate) include: Vec<String>,
    /// Never these ids (added to the file's `[detectors] disable`).
    pub(crate) exclude: Vec<String>,
}

impl ClientSettings {
    /// Reads the settings from the client's JSON: the `web3audit` member when there is
    /// one, else the object itself. Returns the settings and what was wrong with them;
    /// an unknown detector id or severity is dropped with a warning, a value of the wrong
    /// shape leaves the defaults.
    pub(crate) fn from_json(value: &serde_json::Value) -> (ClientSettings, Vec<String>) {
        let section = value.get("web3audit").unwrap_or(value);
        if section.is_null() {
            return (ClientSettings::default(), Vec::new());
        }
        let mut settings = match ClientSettings::deserialize(section) {
            Ok(settings) => settings,
            Err(error) => {
                return (
                    ClientSettings::default(),
                    vec![format!("ignored the web3audit settings: {error}")],
                );
            }
        };
        let mut warnings = Vec::new();
        if let Some(name) = &settings.min_severity
            && name.parse::<Severity>().is_err()
        {
            warnings.push(format!(
                "ignored web3audit.minSeverity `{name}`: not one of critical, high, medium, low, informational"
            ));
            settings.min_severity = None;
        }
        for (key, ids) in [
            ("include", &mut settings.detectors.include),
            ("exclude", &mut settings.detectors.exclude),
        ] {
            ids.retain(|id| {
                let known = registry::find(id).is_some();
                if !known {
                    warnings.push(format!(
                        "ignored unknown detector `{id}` in web3audit.detectors.{key}"
                    ));
                }
                known
            });
        }
        (settings, warnings)
    }

    pub(crate) fn debounce(&self) -> std::time::Duration {
        std::time::Duration::from_millis(self.debounce_ms.unwrap_or(DEFAULT_DEBOUNCE_MS))
    }

    /// The load and analysis options for a project whose configuration file (if any) is
    /// `file`: the file's globs and severities, its detector selection and minimum
    /// severity unless the client sets them.
    pub(crate) fn resolve(&self, file: ConfigFile) -> (LoadOptions, AnalysisOptions) {
        let ids = |list: Vec<config::DetectorId>| -> Vec<String> {
            list.into_iter().map(|id| id.0).collect()
        };
        let include = &self.detectors.include;
        let only = if include.is_empty() {
            ids(file.detectors.enable)
        } else {
            include.clone()
        };
        let mut exclude: Vec<String> = ids(file.detectors.disable)
            .into_iter()
            .filter(|id| !include.contains(id))
            .collect();
        exclude.extend(self.detectors.exclude.iter().cloned());
        let min_severity = self
            .min_severity
            .as_deref()
            .and_then(|name| name.parse().ok())
            .or(file.min_severity.map(|level| level.0));
        let severity: BTreeMap<String, Severity> = file
            .severity
            .into_iter()
            .map(|(id, level)| (id.0, level.0))
            .collect();
        let load = LoadOptions {
            include: file.include,
            exclude: file.exclude,
            ..LoadOptions::default()
        };
        let analysis = AnalysisOptions {
            selection: Selection { only, exclude },
            min_severity,
            solc_version: None,
            severity,
        };
        (load, analysis)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn reads_the_section_or_the_object_and_drops_what_is_unknown() {
        let (settings, warnings) = ClientSettings::from_json(&json!({
            "web3audit": {
                "minSeverity": "medium",
                "detectors": { "include": ["tx-origin-auth", "nope"], "exclude": [] },
                "debounceMs": 10
            }
        }));
        assert_eq!(settings.min_severity.as_deref(), Some("medium"));
        assert_eq!(settings.detectors.include, ["tx-origin-auth"]);
        assert_eq!(settings.debounce(), std::time::Duration::from_millis(10));
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(warnings[0].contains("`nope`"));

        let (settings, warnings) = ClientSettings::from_json(&json!({ "minSeverity": "severe" }));
        assert_eq!(settings.min_severity, None);
        assert_eq!(warnings.len(), 1);

        let (settings, warnings) = ClientSettings::from_json(&json!({ "minSeverity": 3 }));
        assert_eq!(settings, ClientSettings::default());
        assert_eq!(warnings.len(), 1);
        assert_eq!(
            ClientSettings::from_json(&serde_json::Value::Null),
            (ClientSettings::default(), Vec::new())
        );
    }

    #[test]
    fn the_client_wins_over_the_configuration_file() {
        let file = ConfigFile::parse(
            "min-severity = \"high\"\nexclude = [\"src/legacy\"]\n[detectors]\ndisable = [\"floating-pragma\", \"tx-origin-auth\"]\n[severity]\ntx-origin-auth = \"critical\"\n",
        )
        .unwrap();
        let client = ClientSettings {
            min_severity: Some("low".to_owned()),
            detectors: DetectorSettings {
                include: vec!["tx-origin-auth".to_owned()],
                exclude: vec!["unused-suppression".to_owned()],
            },
            ..ClientSettings::default()
        };
        let (load, analysis) = client.resolve(file);
        assert_eq!(load.exclude, ["src/legacy"]);
        assert_eq!(analysis.min_severity, Some(Severity::Low));
        assert_eq!(analysis.selection.only, ["tx-origin-auth"]);
        assert_eq!(
            analysis.selection.exclude,
            ["floating-pragma", "unused-suppression"]
        );
        assert_eq!(analysis.severity["tx-origin-auth"], Severity::Critical);

        let (_, analysis) = ClientSettings::default().resolve(ConfigFile::default());
        assert!(analysis.selection.only.is_empty() && analysis.min_severity.is_none());
    }
}
