//! Detector metadata: static data, one value per detector.

use std::fmt;
use std::str::FromStr;

/// How bad a finding is when it is right. Ordered from least to most severe.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Informational,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Informational,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
            Severity::Informational => "informational",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error of parsing a [`Severity`] or [`Confidence`] from text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownLevel(pub String);

impl fmt::Display for UnknownLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown level `{}`", self.0)
    }
}

impl std::error::Error for UnknownLevel {}

impl FromStr for Severity {
    type Err = UnknownLevel;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "critical" => Ok(Severity::Critical),
            "high" => Ok(Severity::High),
            "medium" => Ok(Severity::Medium),
            "low" => Ok(Severity::Low),
            "informational" | "info" => Ok(Severity::Informational),
            _ => Err(UnknownLevel(s.to_owned())),
        }
    }
}

/// How likely a finding is to be right.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Confidence {
    Low,
    Medium,
    High,
}

impl Confidence {
    pub const fn as_str(self) -> &'static str {
        match self {
            Confidence::High => "high",
            Confidence::Medium => "medium",
            Confidence::Low => "low",
        }
    }
}

impl fmt::Display for Confidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Confidence {
    type Err = UnknownLevel;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "high" => Ok(Confidence::High),
            "medium" => Ok(Confidence::Medium),
            "low" => Ok(Confidence::Low),
            _ => Err(UnknownLevel(s.to_owned())),
        }
    }
}

/// What a detector is, as data. The `doc` text is the user documentation in the
/// sections *What it detects / Why it matters / Example / Recommendation*; it feeds
/// `web3audit explain`, `docs/detectors.md` and SARIF rule help alike.
#[derive(Debug)]
pub struct DetectorMeta {
    /// Kebab-case id, e.g. `tx-origin-auth`.
    pub id: &'static str,
    /// One-line title.
    pub title: &'static str,
    pub severity: Severity,
    pub confidence: Confidence,
    /// SWC registry id, e.g. `SWC-115`.
    pub swc: Option<&'static str>,
    /// DASP-style category, e.g. `access_control` (the benchmarks' classes), or a modern one
    /// (`signature_replay`, `best_practice`, ...).
    pub category: &'static str,
    /// One or two sentences: what is wrong.
    pub description: &'static str,
    /// One or two sentences: what to do instead.
    pub recommendation: &'static str,
    pub references: &'static [&'static str],
    /// Full Markdown documentation (the detector's doc sections).
    pub doc: &'static str,
}
