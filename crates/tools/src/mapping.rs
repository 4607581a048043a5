//! The mapping of other analyzers' rules onto our categories, severities and SWC ids:
//! data (`mapping.toml`, compiled in), read once.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use detectors::{Confidence, Severity};
use serde::Deserialize;

use crate::tool::ToolKind;

/// The mapping file, as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    slither: ToolMapping,
    aderyn: ToolMapping,
    mythril: ToolMapping,
}

/// One tool's part of the mapping.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ToolMapping {
    pub default_category: String,
    pub default_confidence: String,
    /// The tool's severity words → ours.
    pub severity: BTreeMap<String, String>,
    /// The tool's confidence words → ours.
    pub confidence: BTreeMap<String, String>,
    pub rules: BTreeMap<String, RuleMapping>,
}

/// One rule of a tool.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleMapping {
    pub category: String,
    #[serde(default)]
    pub severity: Option<String>,
    #[serde(default)]
    pub swc: Option<String>,
}

/// What a finding of a tool becomes in our model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mapped {
    pub category: String,
    pub severity: Severity,
    pub confidence: Confidence,
    pub swc: Option<String>,
}

/// The compiled-in mapping text.
pub const MAPPING_TOML: &str = include_str!("mapping.toml");

/// The mapping, parsed on first use. The file is checked by the tests, so a parse
/// failure cannot ship.
pub fn mapping() -> &'static Mapping {
    static MAPPING: OnceLock<Mapping> = OnceLock::new();
    MAPPING.get_or_init(|| {
        toml::from_str(MAPPING_TOML).unwrap_or_else(|e| panic!("mapping.toml is invalid: {e}"))
    })
}

impl Mapping {
    pub fn tool(&self, tool: ToolKind) -> &ToolMapping {
        match tool {
            ToolKind::Slither => &self.slither,
            ToolKind::Aderyn => &self.aderyn,
            ToolKind::Mythril => &self.mythril,
        }
    }

    /// Maps one finding of `tool`: its rule's category (the tool's default when the
    /// rule is not listed), the rule's severity or else the tool's word read through
    /// the table (medium when the word is unknown), and the confidence likewise.
    pub fn map(
        &self,
        tool: ToolKind,
        rule: &str,
        impact: &str,
        confidence: Option<&str>,
        swc: Option<&str>,
    ) -> Mapped {
        let table = self.tool(tool);
        let entry = table.rules.get(rule);
        let severity = entry
            .and_then(|r| r.severity.as_deref())
            .or_else(|| table.severity.get(impact.trim()).map(String::as_str))
            .and_then(|s| s.parse().ok())
            .unwrap_or(Severity::Medium);
        let confidence = confidence
            .and_then(|c| table.confidence.get(c.trim()))
            .unwrap_or(&table.default_confidence);
        let confidence = match confidence.as_str() {
            "high" => Confidence::High,
            "low" => Confidence::Low,
            _ => Confidence::Medium,
        };
        Mapped {
            category: entry.map_or_else(|| table.default_category.clone(), |r| r.category.clone()),
            severity,
            confidence,
            swc: entry
                .and_then(|r| r.swc.clone())
                .or_else(|| swc.map(str::to_owned)),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn every_category_and_level_of_the_mapping_is_ours() {
        let ours: BTreeSet<&str> = detectors::registry::metas().map(|m| m.category).collect();
        let mapping = mapping();
        for tool in ToolKind::ALL {
            let t = mapping.tool(tool);
            assert!(ours.contains(t.default_category.as_str()), "{tool}");
            for (rule, entry) in &t.rules {
                assert!(
                    ours.contains(entry.category.as_str()),
                    "{tool} rule `{rule}`: `{}` is not one of our categories",
                    entry.category
                );
                if let Some(s) = &entry.severity {
                    assert!(s.parse::<Severity>().is_ok(), "{tool} `{rule}`: {s}");
                }
                if let Some(swc) = &entry.swc {
                    assert!(swc.starts_with("SWC-"), "{tool} `{rule}`: {swc}");
                }
            }
            for level in t.severity.values() {
                assert!(level.parse::<Severity>().is_ok(), "{tool}: {level}");
            }
            for level in t.confidence.values().chain([&t.default_confidence]) {
                assert!(
                    ["high", "medium", "low"].contains(&level.as_str()),
                    "{tool}: {level}"
                );
            }
        }
    }

    #[test]
    fn docs_list_every_rule_of_the_mapping() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/tools.md");
        let docs = std::fs::read_to_string(path).unwrap();
        for tool in ToolKind::ALL {
            for (rule, entry) in &mapping().tool(tool).rules {
                let row = format!(
                    "| `{rule}` | {} | {} |",
                    entry.category,
                    entry.swc.as_deref().unwrap_or("")
                );
                assert!(
                    docs.contains(&row),
                    "docs/tools.md lacks the row `{row}` ({tool})"
                );
            }
        }
    }

    #[test]
    fn rules_map_by_data_and_unknown_ones_fall_back() {
        let m = mapping();
        let r = m.map(
            ToolKind::Slither,
            "reentrancy-eth",
            "High",
            Some("Medium"),
            None,
        );
        assert_eq!(r.category, "reentrancy");
        assert_eq!(r.severity, Severity::High);
        assert_eq!(r.confidence, Confidence::Medium);
        assert_eq!(r.swc.as_deref(), Some("SWC-107"));
        let r = m.map(
            ToolKind::Slither,
            "brand-new-check",
            "Optimization",
            None,
            None,
        );
        assert_eq!(r.category, "other");
        assert_eq!(r.severity, Severity::Informational);
        let r = m.map(ToolKind::Aderyn, "weak-randomness", "NC", None, None);
        assert_eq!(r.category, "bad_randomness");
        assert_eq!(r.severity, Severity::Informational);
        let r = m.map(ToolKind::Mythril, "SWC-999", "Weird", None, Some("SWC-999"));
        assert_eq!(r.severity, Severity::Medium);
        assert_eq!(r.swc.as_deref(), Some("SWC-999"));
    }
}
