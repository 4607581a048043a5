//! Helpers shared by the loader's integration tests.

use std::path::{Path, PathBuf};

use project::{LoadOptions, Project};

/// A fixture project under `tests/fixtures`.
pub(crate) fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// Loads `paths`, failing the test on a `ProjectError`.
pub(crate) fn load(paths: &[PathBuf], options: &LoadOptions) -> Project {
    Project::load(paths, options).unwrap_or_else(|e| panic!("loading {paths:?}: {e}"))
}

/// Display paths of every loaded file, in id order.
pub(crate) fn displayed(project: &Project) -> Vec<&str> {
    project
        .files
        .iter()
        .map(|f| f.display_path.as_str())
        .collect()
}

/// Display paths of the reported files, in id order.
pub(crate) fn reported(project: &Project) -> Vec<&str> {
    project
        .reported_files()
        .map(|f| f.display_path.as_str())
        .collect()
}
