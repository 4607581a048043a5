//! The SARIF 2.1.0 renderer, shaped for GitHub code scanning. Documented field by field
//! in `docs/sarif.md`.

use std::collections::BTreeMap;

use detectors::Severity;
use serde::Serialize;

use crate::model::{Location, Report, ReportFinding, RuleInfo};

/// The schema a SARIF log names in its `$schema` field: the OASIS SARIF 2.1.0 schema.
pub const SARIF_SCHEMA_URI: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// The key of our fingerprint in each result's `partialFingerprints`.
pub const SARIF_FINGERPRINT_KEY: &str = "web3auditFingerprint/v1";

/// The base id of every artifact URI: paths are relative to the project root.
const SRCROOT: &str = "%SRCROOT%";

/// How [`render_sarif`] renders.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SarifOptions {
    /// Absolute `file://` URI of the project root that relative paths are resolved
    /// against, ending in `/`; written to `originalUriBaseIds`. GitHub does not need
    /// it (it resolves paths against the checkout); other viewers use it to open files.
    pub src_root: Option<String>,
}

impl SarifOptions {
    /// Options whose `%SRCROOT%` is the absolute directory `dir` (forward slashes, or a
    /// Windows path with a drive letter).
    pub fn with_src_root_dir(dir: &str) -> Self {
        let dir = dir.replace('\\', "/");
        let mut uri = absolute_file_uri(&dir);
        if !uri.ends_with('/') {
            uri.push('/');
        }
        Self {
            src_root: Some(uri),
        }
    }
}

/// Renders the report as a pretty-printed SARIF 2.1.0 log with one run.
pub fn render_sarif(report: &Report, options: &SarifOptions) -> String {
    // Plain structs, strings, integers and string-keyed maps: serialization cannot fail.
    serde_json::to_string_pretty(&sarif_log(report, options))
        .expect("a SARIF log always serializes to JSON")
}

fn sarif_log<'a>(report: &'a Report, options: &SarifOptions) -> SarifLog<'a> {
    let rule_index: BTreeMap<&str, usize> = report
        .rules
        .iter()
        .enumerate()
        .map(|(i, rule)| (rule.id.as_str(), i))
        .collect();
    let src_root = match &options.src_root {
        Some(uri) => ArtifactLocation {
            uri: Some(uri.clone()),
            uri_base_id: None,
            description: None,
        },
        None => ArtifactLocation {
            uri: None,
            uri_base_id: None,
            description: Some(Text {
                text: "The root of the analysed project".to_owned(),
            }),
        },
    };
    SarifLog {
        schema: SARIF_SCHEMA_URI,
        version: "2.1.0",
        runs: vec![Run {
            tool: Tool {
                driver: Driver {
                    name: &report.tool.name,
                    version: &report.tool.version,
                    information_uri: report.tool.information_uri.as_deref(),
                    rules: report.rules.iter().map(rule).collect(),
                },
                extensions: report
                    .tools
                    .iter()
                    .map(|t| Extension {
                        name: &t.name,
                        version: t.version.as_deref(),
                        properties: ExtensionProperties {
                            status: &t.status,
                            notes: &t.notes,
                        },
                    })
                    .collect(),
            },
            original_uri_base_ids: BTreeMap::from([(SRCROOT, src_root)]),
            column_kind: "unicodeCodePoints",
            results: report
                .findings
                .iter()
                .map(|f| {
                    let mut r = result(f, rule_index[f.rule_id.as_str()]);
                    // Compared with a baseline, every reported result is a new one.
                    r.baseline_state = report.baseline.map(|_| "new");
                    r
                })
                .collect(),
            properties: report.baseline.map(|b| RunProperties {
                hidden_by_baseline: b.hidden,
            }),
        }],
    }
}

fn rule(rule: &RuleInfo) -> Rule<'_> {
    let mut help_text = format!(
        "{}\n\nRecommendation: {}",
        rule.description, rule.recommendation
    );
    let mut help_markdown = if rule.doc.trim().is_empty() {
        format!(
            "{}\n\n## Recommendation\n\n{}",
            rule.description, rule.recommendation
        )
    } else {
        rule.doc.trim_end().to_owned()
    };
    if !rule.references.is_empty() {
        help_text.push_str("\n\nReferences:");
        // `doc` has its own references section; the generated Markdown gets one here.
        let add_markdown = rule.doc.trim().is_empty();
        if add_markdown {
            help_markdown.push_str("\n\n## References\n");
        }
        for reference in &rule.references {
            help_text.push_str("\n- ");
            help_text.push_str(reference);
            if add_markdown {
                help_markdown.push_str("\n- ");
                help_markdown.push_str(reference);
            }
        }
    }
    let mut tags = vec![rule.category.clone()];
    tags.extend(rule.swc.clone());
    tags.push("security".to_owned());
    Rule {
        id: &rule.id,
        name: pascal_case(&rule.id),
        short_description: Text {
            text: rule.title.clone(),
        },
        full_description: Text {
            text: rule.description.clone(),
        },
        help: MultiformatText {
            text: help_text,
            markdown: help_markdown,
        },
        default_configuration: Configuration {
            level: level(rule.severity),
        },
        properties: RuleProperties {
            security_severity: security_severity(rule.severity),
            tags,
            precision: rule.confidence.as_str(),
            problem_severity: problem_severity(rule.severity),
        },
    }
}

fn result(finding: &ReportFinding, rule_index: usize) -> SarifResult<'_> {
    SarifResult {
        rule_id: &finding.rule_id,
        rule_index,
        level: level(finding.severity),
        message: Text {
            text: finding.message.clone(),
        },
        locations: vec![location(&finding.location, None, None)],
        related_locations: finding
            .secondary
            .iter()
            .enumerate()
            .map(|(i, s)| location(&s.location, Some(i + 1), Some(&s.message)))
            .collect(),
        partial_fingerprints: BTreeMap::from([(
            SARIF_FINGERPRINT_KEY,
            finding.fingerprint.as_str(),
        )]),
        baseline_state: None,
        properties: ResultProperties {
            severity: finding.severity.as_str(),
            confidence: finding.confidence.as_str(),
            contract: finding.contract.as_deref(),
            function: finding.function.as_deref(),
            found_by: &finding.found_by,
            merged_rules: finding.merged.iter().map(|m| m.rule_id.as_str()).collect(),
        },
    }
}

fn location<'a>(
    location: &'a Location,
    id: Option<usize>,
    message: Option<&str>,
) -> SarifLocation<'a> {
    SarifLocation {
        id,
        physical_location: PhysicalLocation {
            artifact_location: artifact_location(&location.file),
            region: Region {
                start_line: location.start_line,
                start_column: location.start_column,
                end_line: location.end_line,
                end_column: location.end_column,
                snippet: ArtifactContent {
                    text: &location.snippet,
                },
            },
        },
        message: message.map(|m| Text { text: m.to_owned() }),
    }
}

/// A relative display path becomes a relative URI against `%SRCROOT%`; an absolute
/// path (which a caller should avoid) becomes a `file://` URI of its own.
fn artifact_location(path: &str) -> ArtifactLocation {
    if is_absolute(path) {
        ArtifactLocation {
            uri: Some(absolute_file_uri(path)),
            uri_base_id: None,
            description: None,
        }
    } else {
        ArtifactLocation {
            uri: Some(percent_encode_path(path.trim_start_matches("./"))),
            uri_base_id: Some(SRCROOT),
            description: None,
        }
    }
}

fn is_absolute(path: &str) -> bool {
    path.starts_with('/') || has_drive_letter(path)
}

fn has_drive_letter(path: &str) -> bool {
    let bytes = path.as_bytes();
    bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':'
}

fn absolute_file_uri(path: &str) -> String {
    if has_drive_letter(path) {
        // `C:/x` is `file:///C:/x`: the drive's colon stays as it is.
        format!("file:///{}{}", &path[..2], percent_encode_path(&path[2..]))
    } else {
        format!("file://{}", percent_encode_path(path))
    }
}

/// Percent-encodes everything in `path` but unreserved characters, `/`, `@` (npm
/// scopes), and the sub-delimiters that are safe in a path; `:` is encoded, so a
/// relative path can never read as a URI scheme.
fn percent_encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.bytes() {
        match byte {
            b'A'..=b'Z'
            | b'a'..=b'z'
            | b'0'..=b'9'
            | b'-'
            | b'.'
            | b'_'
            | b'~'
            | b'/'
            | b'@'
            | b'!'
            | b'$'
            | b'&'
            | b'\''
            | b'('
            | b')'
            | b'*'
            | b'+'
            | b','
            | b';'
            | b'=' => out.push(byte as char),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// `reentrancy-eth` is `ReentrancyEth`.
fn pascal_case(id: &str) -> String {
    id.split(['-', '_'])
        .flat_map(|word| {
            let mut chars = word.chars();
            chars
                .next()
                .map(|first| first.to_uppercase().chain(chars))
                .into_iter()
                .flatten()
        })
        .collect()
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Informational => "note",
    }
}

/// GitHub's `security-severity` score: critical from 9.0, high 7.0–8.9, medium
/// 4.0–6.9, low 0.1–3.9.
fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Informational => "0.0",
    }
}

fn problem_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Informational => "recommendation",
    }
}

// The SARIF object model, as far as we fill it in. Field order is output order.

#[derive(Serialize)]
struct SarifLog<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: Vec<Run<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    tool: Tool<'a>,
    original_uri_base_ids: BTreeMap<&'static str, ArtifactLocation>,
    column_kind: &'static str,
    results: Vec<SarifResult<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    properties: Option<RunProperties>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RunProperties {
    /// Findings not reported because the baseline has them.
    hidden_by_baseline: usize,
}

#[derive(Serialize)]
struct Tool<'a> {
    driver: Driver<'a>,
    /// The other analyzers that ran in the same scan, with their versions.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    extensions: Vec<Extension<'a>>,
}

#[derive(Serialize)]
struct Extension<'a> {
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<&'a str>,
    properties: ExtensionProperties<'a>,
}

#[derive(Serialize)]
struct ExtensionProperties<'a> {
    status: &'a str,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    notes: &'a [String],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver<'a> {
    name: &'a str,
    version: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    information_uri: Option<&'a str>,
    rules: Vec<Rule<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Rule<'a> {
    id: &'a str,
    name: String,
    short_description: Text,
    full_description: Text,
    help: MultiformatText,
    default_configuration: Configuration,
    properties: RuleProperties,
}

#[derive(Serialize)]
struct Text {
    text: String,
}

#[derive(Serialize)]
struct MultiformatText {
    text: String,
    markdown: String,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
struct RuleProperties {
    #[serde(rename = "security-severity")]
    security_severity: &'static str,
    tags: Vec<String>,
    precision: &'static str,
    #[serde(rename = "problem.severity")]
    problem_severity: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'a> {
    rule_id: &'a str,
    rule_index: usize,
    level: &'static str,
    message: Text,
    locations: Vec<SarifLocation<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_locations: Vec<SarifLocation<'a>>,
    partial_fingerprints: BTreeMap<&'static str, &'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    baseline_state: Option<&'static str>,
    properties: ResultProperties<'a>,
}

#[derive(Serialize)]
struct ResultProperties<'a> {
    severity: &'static str,
    confidence: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    contract: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    function: Option<&'a str>,
    /// The analyzers that reported the finding, when other analyzers ran.
    #[serde(rename = "foundBy", skip_serializing_if = "<[String]>::is_empty")]
    found_by: &'a [String],
    /// Other analyzers' rules merged into this result (`tool:rule-id`).
    #[serde(rename = "mergedRules", skip_serializing_if = "Vec::is_empty")]
    merged_rules: Vec<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifLocation<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<usize>,
    physical_location: PhysicalLocation<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<Text>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation<'a> {
    artifact_location: ArtifactLocation,
    region: Region<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactLocation {
    #[serde(skip_serializing_if = "Option::is_none")]
    uri: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    uri_base_id: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<Text>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region<'a> {
    start_line: u32,
    start_column: u32,
    end_line: u32,
    end_column: u32,
    snippet: ArtifactContent<'a>,
}

#[derive(Serialize)]
struct ArtifactContent<'a> {
    text: &'a str,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_become_relative_uris() {
        let loc = artifact_location("contracts/My Token.sol");
        assert_eq!(loc.uri.as_deref(), Some("contracts/My%20Token.sol"));
        assert_eq!(loc.uri_base_id, Some(SRCROOT));
        let loc = artifact_location("./node_modules/@oz/c:x/é.sol");
        assert_eq!(
            loc.uri.as_deref(),
            Some("node_modules/@oz/c%3Ax/%C3%A9.sol")
        );
    }

    #[test]
    fn absolute_paths_become_file_uris() {
        let loc = artifact_location("/home/dev/A.sol");
        assert_eq!(loc.uri.as_deref(), Some("file:///home/dev/A.sol"));
        assert_eq!(loc.uri_base_id, None);
        assert_eq!(
            artifact_location("C:/dev/A.sol").uri.as_deref(),
            Some("file:///C:/dev/A.sol")
        );
        assert_eq!(
            SarifOptions::with_src_root_dir("/work/p")
                .src_root
                .as_deref(),
            Some("file:///work/p/")
        );
        assert_eq!(
            SarifOptions::with_src_root_dir(r"D:\p\")
                .src_root
                .as_deref(),
            Some("file:///D:/p/")
        );
    }

    #[test]
    fn rule_names_are_pascal_case() {
        assert_eq!(pascal_case("reentrancy-eth"), "ReentrancyEth");
        assert_eq!(pascal_case("tx-origin-auth"), "TxOriginAuth");
        assert_eq!(pascal_case("a"), "A");
    }
}
