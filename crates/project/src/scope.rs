//! Reporting scope: which loaded files have their findings reported.
//!
//! Every loaded file is analysed (dependencies are part of the compilation
//! unit); only reported files show findings.

use std::sync::LazyLock;

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

use crate::diagnostic::{DiagnosticKind, DiagnosticLevel, ProjectDiagnostic};
use crate::options::LoadOptions;

/// Folders (relative to the project root) whose files are not reported by default.
const DEFAULT_EXCLUDED_DIRS: &[&str] =
    &["lib", "node_modules", "test", "tests", "script", "scripts"];

/// File globs not reported by default.
const DEFAULT_EXCLUDED_FILES: &[&str] = &["**/node_modules/**", "**/*.t.sol", "**/*.s.sol"];

/// How a loaded file came to be loaded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Origin {
    /// Named explicitly as an input `.sol` file.
    Explicit,
    /// Found in an input folder (or given as in-memory source).
    Discovered,
    /// Reached only through imports.
    Dependency,
}

pub(crate) struct ReportScope {
    include: GlobSet,
    exclude: GlobSet,
    default_exclude: GlobSet,
}

impl ReportScope {
    /// Builds the scope; `extra_dirs` are project folders excluded by default
    /// on top of the usual ones (Foundry's configured `libs`, `test`, `script`).
    pub(crate) fn new(
        options: &LoadOptions,
        extra_dirs: &[String],
        diagnostics: &mut Vec<ProjectDiagnostic>,
    ) -> ReportScope {
        let default_exclude = match (options.use_default_excludes, extra_dirs) {
            (false, _) => GlobSet::empty(),
            // The usual set: the same for every analysis (the service runs one per audit).
            (true, []) => USUAL_EXCLUDES.clone(),
            (true, extra) => glob_set(&default_excludes(extra), "default exclude", diagnostics),
        };
        ReportScope {
            include: glob_set(&options.include, "include", diagnostics),
            exclude: glob_set(&options.exclude, "exclude", diagnostics),
            default_exclude,
        }
    }

    /// Whether findings in the file at `display_path` are reported: an include
    /// glob always wins; then a user exclude hides the file; an explicit input
    /// is reported; a dependency is not; a default exclude hides the rest.
    pub(crate) fn is_reported(&self, display_path: &str, origin: Origin) -> bool {
        if self.include.is_match(display_path) {
            return true;
        }
        if self.exclude.is_match(display_path) {
            return false;
        }
        match origin {
            Origin::Explicit => true,
            Origin::Dependency => false,
            Origin::Discovered => !self.default_exclude.is_match(display_path),
        }
    }
}

/// The default excludes with no project folders of its own, compiled once (compiling a
/// glob set took a tenth of a small contract's analysis).
static USUAL_EXCLUDES: LazyLock<GlobSet> =
    LazyLock::new(|| glob_set(&default_excludes(&[]), "default exclude", &mut Vec::new()));

/// The globs excluded by default, with `extra_dirs` among the folders.
fn default_excludes(extra_dirs: &[String]) -> Vec<String> {
    DEFAULT_EXCLUDED_DIRS
        .iter()
        .copied()
        .chain(extra_dirs.iter().map(String::as_str))
        .map(|dir| format!("{dir}/**"))
        .chain(DEFAULT_EXCLUDED_FILES.iter().map(|g| (*g).to_owned()))
        .collect()
}

/// Compiles globs; a glob also matches everything below it (`src/legacy`
/// covers `src/legacy/**`). Invalid globs become diagnostics and are skipped.
fn glob_set(globs: &[String], what: &str, diagnostics: &mut Vec<ProjectDiagnostic>) -> GlobSet {
    let mut builder = GlobSetBuilder::new();
    for text in globs {
        let text = text.trim().trim_start_matches("./");
        let stem = text.trim_end_matches('/');
        for pattern in [stem.to_owned(), format!("{stem}/**")] {
            match GlobBuilder::new(&pattern).literal_separator(true).build() {
                Ok(glob) => {
                    builder.add(glob);
                }
                Err(error) => {
                    diagnostics.push(ProjectDiagnostic {
                        file: None,
                        path: None,
                        span: None,
                        severity: DiagnosticLevel::Warning,
                        message: format!("ignored {what} glob `{text}`: {}", error.kind()),
                        kind: DiagnosticKind::Config,
                    });
                    break;
                }
            }
        }
    }
    builder.build().unwrap_or_else(|_| GlobSet::empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope(include: &[&str], exclude: &[&str], defaults: bool) -> ReportScope {
        let options = LoadOptions {
            include: include.iter().map(|s| (*s).to_owned()).collect(),
            exclude: exclude.iter().map(|s| (*s).to_owned()).collect(),
            use_default_excludes: defaults,
            ..LoadOptions::default()
        };
        let mut diagnostics = Vec::new();
        let scope = ReportScope::new(&options, &["deps".to_owned()], &mut diagnostics);
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        scope
    }

    #[test]
    fn default_excludes() {
        let s = scope(&[], &[], true);
        let discovered = |p: &str| s.is_reported(p, Origin::Discovered);
        assert!(discovered("src/Vault.sol"));
        assert!(
            discovered("contracts/test/Mock.sol"),
            "only root-level test/ is excluded"
        );
        for hidden in [
            "lib/forge-std/src/Test.sol",
            "deps/x/A.sol",
            "test/Vault.t.sol",
            "tests/A.sol",
            "script/Deploy.s.sol",
            "scripts/A.sol",
            "src/Vault.t.sol",
            "packages/a/node_modules/x/A.sol",
        ] {
            assert!(!discovered(hidden), "{hidden}");
        }
        assert!(s.is_reported("test/Vault.t.sol", Origin::Explicit));
        assert!(!s.is_reported("src/Vault.sol", Origin::Dependency));
        assert!(scope(&[], &[], false).is_reported("test/Vault.t.sol", Origin::Discovered));
    }

    #[test]
    fn include_wins_then_exclude() {
        let s = scope(
            &["lib/forge-std/**", "src/mocks"],
            &["src/legacy/", "**/Old*.sol"],
            true,
        );
        assert!(s.is_reported("lib/forge-std/src/Test.sol", Origin::Dependency));
        assert!(s.is_reported("src/mocks/M.sol", Origin::Discovered));
        assert!(!s.is_reported("src/legacy/A.sol", Origin::Explicit));
        assert!(!s.is_reported("src/OldVault.sol", Origin::Discovered));
        assert!(s.is_reported("src/Vault.sol", Origin::Discovered));
        assert!(!scope(&[], &["src/*.sol"], true).is_reported("src/A.sol", Origin::Discovered));
        assert!(scope(&[], &["src/*.sol"], true).is_reported("src/a/A.sol", Origin::Discovered));
    }

    #[test]
    fn invalid_glob_is_a_diagnostic() {
        let options = LoadOptions {
            exclude: vec!["src/[".to_owned()],
            ..LoadOptions::default()
        };
        let mut diagnostics = Vec::new();
        let scope = ReportScope::new(&options, &[], &mut diagnostics);
        assert_eq!(diagnostics.len(), 1);
        assert!(
            diagnostics[0]
                .message
                .starts_with("ignored exclude glob `src/[`"),
            "{diagnostics:?}"
        );
        assert!(scope.is_reported("src/A.sol", Origin::Discovered));
    }
}
