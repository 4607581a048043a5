//! A finding as another analyzer reports it, before it is mapped and located in our
//! files.

use crate::tool::ToolKind;

/// A place as the tool names it: the path it printed, 1-based lines, and byte offsets
/// when the tool gives them (checked against the lines before they are trusted).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ToolLocation {
    pub path: String,
    pub start_line: u32,
    pub end_line: u32,
    /// Byte offset and length in the file, when given.
    pub bytes: Option<(u32, u32)>,
}

/// A secondary place with what it shows ("external call", "state written").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ToolLabel {
    pub message: String,
    pub location: ToolLocation,
}

/// One finding of another analyzer, parsed from its JSON output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ToolFinding {
    pub tool: ToolKind,
    /// The tool's own rule id (`reentrancy-eth`, `unchecked-send`, `SWC-107`).
    pub rule: String,
    /// The tool's title of the rule, when it gives one.
    pub title: Option<String>,
    /// The tool's text for this instance.
    pub message: String,
    /// The tool's severity word (`High`, `Informational`, ...), mapped later.
    pub impact: String,
    /// The tool's confidence word, when it has one.
    pub confidence: Option<String>,
    pub swc: Option<String>,
    /// A link to the rule's documentation, when the tool gives one.
    pub reference: Option<String>,
    pub location: ToolLocation,
    pub secondary: Vec<ToolLabel>,
    pub contract: Option<String>,
    /// The function's name only (`withdraw`, not `withdraw()`), as ours are named.
    pub function: Option<String>,
}

/// Why a tool's output could not be read as its JSON report.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    #[error("the output is not JSON ({0})")]
    NotJson(#[from] serde_json::Error),
    #[error("the JSON is not the tool's report: {0}")]
    Shape(String),
    #[error("the tool reported an error: {0}")]
    ToolError(String),
}

/// `withdraw(uint256)` → `withdraw`; `constructor` and `fallback` stay as they are.
pub(crate) fn bare_function_name(signature: &str) -> String {
    signature
        .split('(')
        .next()
        .unwrap_or(signature)
        .trim()
        .to_owned()
}
