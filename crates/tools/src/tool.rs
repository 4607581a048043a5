//! The analyzers we know how to run.

use std::fmt;
use std::str::FromStr;

/// Another analyzer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ToolKind {
    Slither,
    Aderyn,
    Mythril,
}

impl ToolKind {
    pub const ALL: [ToolKind; 3] = [ToolKind::Slither, ToolKind::Aderyn, ToolKind::Mythril];

    /// The name in configuration, flags and reports.
    pub const fn name(self) -> &'static str {
        match self {
            ToolKind::Slither => "slither",
            ToolKind::Aderyn => "aderyn",
            ToolKind::Mythril => "mythril",
        }
    }

    /// The executable looked for on `PATH` when no path is configured.
    pub const fn executable(self) -> &'static str {
        match self {
            ToolKind::Slither => "slither",
            ToolKind::Aderyn => "aderyn",
            ToolKind::Mythril => "myth",
        }
    }

    /// The arguments that make the tool print its version.
    pub const fn version_args(self) -> &'static [&'static str] {
        match self {
            ToolKind::Slither | ToolKind::Aderyn => &["--version"],
            ToolKind::Mythril => &["version"],
        }
    }

    /// How to install the tool, for `doctor`.
    pub const fn install_hint(self) -> &'static str {
        match self {
            ToolKind::Slither => "pip install slither-analyzer (and a solc: see docs/tools.md)",
            ToolKind::Aderyn => "npm install -g @cyfrin/aderyn, or cyfrinup",
            ToolKind::Mythril => "pip install mythril",
        }
    }
}

impl fmt::Display for ToolKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The error of reading a tool name.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown tool `{0}`: one of slither, aderyn, mythril")]
pub struct UnknownTool(pub String);

impl FromStr for ToolKind {
    type Err = UnknownTool;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ToolKind::ALL
            .into_iter()
            .find(|t| t.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| UnknownTool(s.to_owned()))
    }
}

/// The version number in a tool's `--version` output: the first word that starts with a
/// digit (a leading `v` dropped), e.g. `0.11.6`, `aderyn 0.5.13` → `0.5.13`,
/// `Mythril version v0.24.8` → `0.24.8`. `None` when there is none.
pub fn parse_version(output: &str) -> Option<String> {
    output
        .split_whitespace()
        .map(|w| w.trim_start_matches('v'))
        .find(|w| w.starts_with(|c: char| c.is_ascii_digit()) && w.contains('.'))
        .map(|w| {
            w.trim_end_matches(|c: char| !c.is_ascii_alphanumeric())
                .to_owned()
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_read_from_each_tools_output() {
        assert_eq!(parse_version("0.11.6\n").as_deref(), Some("0.11.6"));
        assert_eq!(parse_version("aderyn 0.5.13").as_deref(), Some("0.5.13"));
        assert_eq!(
            parse_version("Mythril version v0.24.8\n").as_deref(),
            Some("0.24.8")
        );
        assert_eq!(parse_version("Traceback (most recent call last):"), None);
        assert_eq!("Slither".parse::<ToolKind>(), Ok(ToolKind::Slither));
        assert!("semgrep".parse::<ToolKind>().is_err());
    }
}
