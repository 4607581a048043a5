//! What a provider returned for a contract: its sources and, when the provider has it, the
//! compiler's metadata file.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// Where a bundle came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Provider {
    /// A Sourcify-compatible server (v2 API).
    Sourcify,
    /// An Etherscan-compatible explorer API (`getsourcecode`).
    Etherscan,
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Provider::Sourcify => "Sourcify-compatible server",
            Provider::Etherscan => "Etherscan-compatible API",
        })
    }
}

/// What the provider itself claims about the match. This is the provider's word; the
/// crate's own check is [`crate::check`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProviderMatch {
    /// Sourcify `exact_match`: the bytecode matched including the metadata hash.
    Exact,
    /// Sourcify `match`: the bytecode matched except for the metadata hash.
    Partial,
    /// The explorer lists the contract as verified, without saying how.
    Verified,
}

/// How the bundle's metadata text was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MetadataForm {
    /// The bytes as the compiler wrote them.
    Original,
    /// Written back from a parsed JSON object in solc's canonical form
    /// ([`crate::metadata::canonical_text`]); Sourcify's v2 API returns an object.
    Reserialized,
}

/// The verified sources of one contract, ready for the analyzer.
/// Serializable, so that a cache can keep it (keyed by the metadata hash the code embeds).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceBundle {
    /// Source files by the path the compiler saw (`src/Token.sol`), in provider order.
    pub files: Vec<(String, String)>,
    /// The contract that was compiled and deployed.
    pub contract_name: Option<String>,
    /// The compiler version (`0.8.26+commit.8a97fa7a`; explorers prefix a `v`).
    pub compiler_version: Option<String>,
    /// The compiler's metadata JSON, when the provider has it (explorers do not).
    pub metadata: Option<String>,
    pub metadata_form: MetadataForm,
    /// Import remappings of the build (`@oz/=lib/oz/`).
    pub remappings: Vec<String>,
    pub provider: Provider,
    pub match_status: ProviderMatch,
}

impl SourceBundle {
    /// The bundle as in-memory sources for `project::Project::from_sources`: every file by
    /// its path, plus a `remappings.txt` when the build had remappings (the loader reads it
    /// to resolve imports). No file is written to disk; the loader normalizes the paths
    /// and rejects any that would climb out of the virtual root.
    pub fn project_sources(&self) -> BTreeMap<String, String> {
        let mut sources: BTreeMap<String, String> = self.files.iter().cloned().collect();
        if !self.remappings.is_empty() && !sources.contains_key("remappings.txt") {
            let mut text = self.remappings.join("\n");
            text.push('\n');
            sources.insert("remappings.txt".to_string(), text);
        }
        sources
    }
}
