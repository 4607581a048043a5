//! What the caller can configure about loading.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

/// Options for [`crate::Project::load`] and [`crate::Project::from_sources`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadOptions {
    /// Globs (relative to the project root, `*` stops at `/`, `**` does not)
    /// of files to report even when excluded. A glob also matches everything
    /// under a folder of that name (`src/legacy` covers `src/legacy/**`).
    pub include: Vec<String>,
    /// Globs of files not to report, on top of the default excludes.
    pub exclude: Vec<String>,
    /// Extra remappings (`[context:]prefix=target`) that win over the project's own.
    pub remappings: Vec<String>,
    /// Files larger than this many bytes are skipped with a diagnostic.
    pub max_file_size: u64,
    /// Hide findings in `lib/`, `node_modules/`, `test/`, `tests/`, `script/`,
    /// `scripts/`, `*.t.sol` and `*.s.sol` (and Foundry's configured `libs`,
    /// `test` and `script` folders).
    pub use_default_excludes: bool,
    /// Texts that stand in for files on disk, keyed by path (an editor's unsaved
    /// buffers). [`crate::Project::load`] reads them instead of the disk, as if saved; a
    /// path that does not exist on disk yet is a file all the same. Empty by default.
    pub overlay: BTreeMap<PathBuf, Arc<str>>,
    /// Also load the Rust sources of Solana programs (Cargo packages that depend on one
    /// of [`crate::SOLANA_CRATES`]) found in input folders, and `.rs` files given as
    /// inputs; see [`crate::Project::rust_packages`]. Off by default: `scan` turns it on.
    pub solana: bool,
}

impl LoadOptions {
    /// The default cap on the size of one source file: 20 MiB.
    pub const DEFAULT_MAX_FILE_SIZE: u64 = 20 << 20;
}

impl Default for LoadOptions {
    fn default() -> Self {
        Self {
            include: Vec::new(),
            exclude: Vec::new(),
            remappings: Vec::new(),
            max_file_size: Self::DEFAULT_MAX_FILE_SIZE,
            use_default_excludes: true,
            overlay: BTreeMap::new(),
            solana: false,
        }
    }
}
