//! Project detection: which kind of project a path belongs to, where its root
//! is, and the configuration that import resolution needs (library folders
//! and remappings).

use std::path::{Path, PathBuf};

use crate::diagnostic::{DiagnosticKind, DiagnosticLevel, ProjectDiagnostic};
use crate::remapping::{Remapping, Remappings};
use crate::store::{Store, normalize, slash_path};

/// What kind of project was loaded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ProjectKind {
    /// A single `.sol` file outside any project; the root is its folder.
    File,
    /// A folder that is not a Foundry, Hardhat or Truffle project.
    Folder,
    /// A folder with `foundry.toml`.
    Foundry,
    /// A folder with `hardhat.config.{js,ts,cjs,mjs,cts}`.
    Hardhat,
    /// A folder with `truffle-config.js` or `truffle.js`.
    Truffle,
    /// Sources given in memory ([`crate::Project::from_sources`]).
    InMemory,
}

/// Marker files, in the order they win when several sit in one folder.
const MARKERS: &[(&str, ProjectKind)] = &[
    ("foundry.toml", ProjectKind::Foundry),
    ("hardhat.config.js", ProjectKind::Hardhat),
    ("hardhat.config.ts", ProjectKind::Hardhat),
    ("hardhat.config.cjs", ProjectKind::Hardhat),
    ("hardhat.config.mjs", ProjectKind::Hardhat),
    ("hardhat.config.cts", ProjectKind::Hardhat),
    ("truffle-config.js", ProjectKind::Truffle),
    ("truffle.js", ProjectKind::Truffle),
];

/// The nearest folder at or above `start` holding a project marker file.
pub(crate) fn find_root(store: &dyn Store, start: &Path) -> Option<(PathBuf, ProjectKind)> {
    start.ancestors().find_map(|dir| {
        MARKERS
            .iter()
            .find(|(marker, _)| store.is_file(&dir.join(marker)))
            .map(|&(_, kind)| (dir.to_path_buf(), kind))
    })
}

/// How deep auto-detection looks into nested `lib/` folders of libraries
/// (`lib/forge-std/lib/ds-test` is depth 1).
const MAX_LIB_DEPTH: usize = 2;

/// Configuration files larger than this are ignored.
const MAX_CONFIG_SIZE: u64 = 1 << 20;

/// The resolved configuration of one project.
#[derive(Debug)]
pub(crate) struct Layout {
    pub(crate) kind: ProjectKind,
    pub(crate) root: PathBuf,
    /// Library folders relative to the root, with forward slashes (Foundry `libs`).
    pub(crate) libs: Vec<String>,
    /// Test and script folders configured in `foundry.toml`, relative to the root.
    pub(crate) test_dirs: Vec<String>,
    pub(crate) remappings: Remappings,
    pub(crate) diagnostics: Vec<ProjectDiagnostic>,
}

impl Layout {
    /// Reads the configuration of the project at `root`. `user_remappings`
    /// come first and win over every remapping found in the project.
    pub(crate) fn read(
        store: &dyn Store,
        root: PathBuf,
        kind: ProjectKind,
        user_remappings: &[String],
    ) -> Layout {
        let mut layout = Layout {
            kind,
            root,
            libs: Vec::new(),
            test_dirs: Vec::new(),
            remappings: Remappings::default(),
            diagnostics: Vec::new(),
        };
        for text in user_remappings {
            layout.push_remapping(text, "the options");
        }
        let foundry = layout.root.join("foundry.toml");
        if kind == ProjectKind::Foundry || store.is_file(&foundry) {
            layout.read_foundry_toml(store);
        }
        if let Some(text) = layout.read_config(store, "remappings.txt") {
            for line in remapping_lines(&text) {
                layout.push_remapping(line, "remappings.txt");
            }
        }
        if !layout.libs.is_empty() {
            let mut auto = AutoRemappings::default();
            for lib in layout.libs.clone() {
                auto.scan_lib_folder(store, &layout.root, &lib, 0);
            }
            for remapping in auto
                .nested
                .into_iter()
                .chain(auto.primary)
                .chain(auto.fallback)
            {
                layout.remappings.push(remapping);
            }
        }
        layout
    }

    fn config_diagnostic(&mut self, file: &str, message: String) {
        self.diagnostics.push(ProjectDiagnostic {
            file: None,
            path: Some(file.to_owned()),
            span: None,
            severity: DiagnosticLevel::Warning,
            message,
            kind: DiagnosticKind::Config,
        });
    }

    fn push_remapping(&mut self, text: &str, origin: &str) {
        match text.parse::<Remapping>() {
            Ok(remapping) => self.remappings.push(remapping),
            Err(error) => {
                self.config_diagnostic(origin, format!("ignored {error} (from {origin})"))
            }
        }
    }

    /// Reads a small configuration file at the root, if present.
    fn read_config(&mut self, store: &dyn Store, name: &str) -> Option<String> {
        let path = self.root.join(name);
        if !store.is_file(&path) {
            return None;
        }
        match store.read(&path, MAX_CONFIG_SIZE) {
            Ok(bytes) => Some(String::from_utf8_lossy(&bytes).into_owned()),
            Err(error) => {
                let message = format!(
                    "cannot read `{name}`: {}",
                    crate::loader::read_error(&error)
                );
                self.config_diagnostic(name, message);
                None
            }
        }
    }

    fn read_foundry_toml(&mut self, store: &dyn Store) {
        self.libs = vec!["lib".to_owned()];
        self.test_dirs = vec!["test".to_owned()];
        let Some(text) = self.read_config(store, "foundry.toml") else {
            return;
        };
        let profile = match FoundryProfile::parse(&text) {
            Ok(profile) => profile,
            Err(error) => {
                let message = format!("cannot parse `foundry.toml`, using defaults: {error}");
                self.config_diagnostic("foundry.toml", message);
                return;
            }
        };
        if let Some(libs) = profile.libs {
            self.libs = libs.iter().filter_map(|lib| relative_dir(lib)).collect();
        }
        for dir in [profile.test, profile.script].into_iter().flatten() {
            if let Some(dir) = relative_dir(&dir) {
                self.test_dirs.push(dir);
            }
        }
        for remapping in profile.remappings {
            self.push_remapping(&remapping, "foundry.toml");
        }
    }
}

/// The lines of a `remappings.txt` that hold remappings (no blanks, no `#` comments).
fn remapping_lines(text: &str) -> impl Iterator<Item = &str> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
}

/// A folder from the configuration as a normalized relative path with
/// forward slashes; `None` for `.`, absolute paths and paths leaving the root.
fn relative_dir(dir: &str) -> Option<String> {
    let path = Path::new(dir);
    if path.is_absolute() {
        return None;
    }
    let normal = slash_path(&normalize(path)?);
    (!normal.is_empty()).then_some(normal)
}

/// The keys of `[profile.default]` in `foundry.toml` that loading uses.
#[derive(Debug, Default, PartialEq)]
struct FoundryProfile {
    libs: Option<Vec<String>>,
    remappings: Vec<String>,
    test: Option<String>,
    script: Option<String>,
}

impl FoundryProfile {
    fn parse(text: &str) -> Result<FoundryProfile, String> {
        let table: toml::Table = text
            .parse()
            .map_err(|e: toml::de::Error| e.message().to_owned())?;
        let Some(profile) = table
            .get("profile")
            .and_then(|p| p.get("default"))
            .and_then(toml::Value::as_table)
        else {
            return Ok(FoundryProfile::default());
        };
        let string = |key: &str| {
            profile
                .get(key)
                .and_then(toml::Value::as_str)
                .map(str::to_owned)
        };
        let strings = |key: &str| {
            profile
                .get(key)
                .and_then(toml::Value::as_array)
                .map(|values| {
                    values
                        .iter()
                        .filter_map(toml::Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
        };
        Ok(FoundryProfile {
            libs: strings("libs"),
            remappings: strings("remappings").unwrap_or_default(),
            test: string("test"),
            script: string("script"),
        })
    }
}

/// Remappings inferred from the packages in library folders, the way
/// `forge remappings` does for common layouts.
#[derive(Default)]
struct AutoRemappings {
    /// Remappings declared by the libraries themselves, rebased onto the root.
    nested: Vec<Remapping>,
    /// `<name>/=lib/<name>/src/`, npm package names, well-known packages.
    primary: Vec<Remapping>,
    /// `<name>/=lib/<name>/`, tried when the primary candidate does not exist.
    fallback: Vec<Remapping>,
}

/// Packages vendored without a `package.json` that imports know by their npm name.
const WELL_KNOWN: &[(&str, &str, &str)] = &[
    (
        "openzeppelin-contracts",
        "@openzeppelin/contracts/",
        "contracts/",
    ),
    (
        "openzeppelin-contracts-upgradeable",
        "@openzeppelin/contracts-upgradeable/",
        "contracts/",
    ),
];

impl AutoRemappings {
    /// Looks at every package folder in `lib` (relative to `root`).
    fn scan_lib_folder(&mut self, store: &dyn Store, root: &Path, lib: &str, depth: usize) {
        let Ok(entries) = store.read_dir(&root.join(lib)) else {
            return;
        };
        for entry in entries
            .iter()
            .filter(|e| e.is_dir && !e.name.starts_with('.'))
        {
            self.scan_package(store, root, lib, &entry.name, depth);
        }
    }

    fn scan_package(
        &mut self,
        store: &dyn Store,
        root: &Path,
        lib: &str,
        name: &str,
        depth: usize,
    ) {
        let package = format!("{lib}/{name}");
        let dir = root.join(&package);
        self.read_nested_remappings(store, &dir, &package);

        if store.is_dir(&dir.join("src")) {
            self.primary
                .push(auto(&format!("{name}/"), &format!("{package}/src/")));
        }
        for manifest in ["package.json", "contracts/package.json"] {
            if let Some(npm_name) = npm_package_name(store, &dir.join(manifest)) {
                let target = Path::new(&package).join(manifest);
                let target = target.parent().map(slash_path).unwrap_or_default();
                self.primary
                    .push(auto(&format!("{npm_name}/"), &format!("{target}/")));
            }
        }
        for &(known, prefix, subdir) in WELL_KNOWN {
            if name == known && store.is_dir(&dir.join(subdir)) {
                self.primary
                    .push(auto(prefix, &format!("{package}/{subdir}")));
            }
        }
        self.fallback
            .push(auto(&format!("{name}/"), &format!("{package}/")));

        if depth < MAX_LIB_DEPTH {
            self.scan_lib_folder(store, root, &format!("{package}/lib"), depth + 1);
        }
    }

    /// The package's own `remappings.txt` and `foundry.toml` remappings,
    /// with relative contexts and targets rebased from the package onto the root.
    fn read_nested_remappings(&mut self, store: &dyn Store, dir: &Path, package: &str) {
        let read = |name: &str| {
            store
                .read(&dir.join(name), MAX_CONFIG_SIZE)
                .ok()
                .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        };
        let mut lines: Vec<String> = Vec::new();
        if let Some(text) = read("remappings.txt") {
            lines.extend(remapping_lines(&text).map(str::to_owned));
        }
        if let Some(profile) = read("foundry.toml").and_then(|t| FoundryProfile::parse(&t).ok()) {
            lines.extend(profile.remappings);
        }
        for line in lines {
            let Ok(mut remapping) = line.parse::<Remapping>() else {
                continue;
            };
            if Path::new(&remapping.target).is_absolute() {
                continue;
            }
            let Some(target) = normalize(&Path::new(package).join(&remapping.target)) else {
                continue;
            };
            remapping.target = format!("{}/", slash_path(&target));
            if !remapping.context.is_empty() {
                remapping.context = format!("{package}/{}", remapping.context);
            }
            self.nested.push(remapping);
        }
    }
}

fn auto(prefix: &str, target: &str) -> Remapping {
    Remapping {
        context: String::new(),
        prefix: prefix.to_owned(),
        target: target.to_owned(),
    }
}

/// The `name` of an npm `package.json`, when it looks like a package name.
fn npm_package_name(store: &dyn Store, manifest: &Path) -> Option<String> {
    let bytes = store.read(manifest, MAX_CONFIG_SIZE).ok()?;
    let json: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    let name = json.get("name")?.as_str()?;
    let valid = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "@/-._".contains(c))
        && !name.contains("..");
    valid.then(|| name.to_owned())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::store::MemoryStore;

    fn store(files: &[(&str, &str)]) -> MemoryStore {
        MemoryStore::new(
            files
                .iter()
                .map(|(p, t)| (PathBuf::from(p), t.as_bytes().to_vec()))
                .collect::<BTreeMap<_, _>>(),
        )
    }

    #[test]
    fn finds_the_nearest_marker() {
        let s = store(&[
            ("foundry.toml", ""),
            ("sub/hardhat.config.ts", ""),
            ("sub/contracts/A.sol", ""),
            ("src/B.sol", ""),
        ]);
        assert_eq!(
            find_root(&s, Path::new("sub/contracts")),
            Some((PathBuf::from("sub"), ProjectKind::Hardhat))
        );
        assert_eq!(
            find_root(&s, Path::new("src")),
            Some((PathBuf::new(), ProjectKind::Foundry))
        );
        assert_eq!(find_root(&store(&[("a/x.sol", "")]), Path::new("a")), None);
    }

    #[test]
    fn reads_foundry_profile() {
        let profile = FoundryProfile::parse(
            "[profile.default]\nsrc = 'contracts'\nlibs = ['lib', 'deps']\n\
             remappings = ['a/=b/']\ntest = 'tests'\n[profile.ci]\nlibs = ['x']\n",
        )
        .unwrap();
        assert_eq!(
            profile.libs,
            Some(vec!["lib".to_owned(), "deps".to_owned()])
        );
        assert_eq!(profile.remappings, ["a/=b/"]);
        assert_eq!(profile.test.as_deref(), Some("tests"));
        assert!(FoundryProfile::parse("[profile.default\n").is_err());
        assert_eq!(
            FoundryProfile::parse("").unwrap(),
            FoundryProfile::default()
        );
    }

    #[test]
    fn infers_remappings_like_forge() {
        let s = store(&[
            (
                "foundry.toml",
                "[profile.default]\nremappings = ['solmate/=lib/solmate/']\n",
            ),
            (
                "remappings.txt",
                "# comment\n\nforge-std/=lib/forge-std/src/\nbroken\n",
            ),
            ("lib/forge-std/src/Test.sol", ""),
            ("lib/forge-std/lib/ds-test/src/test.sol", ""),
            ("lib/openzeppelin-contracts/contracts/token/ERC20.sol", ""),
            (
                "lib/openzeppelin-contracts/remappings.txt",
                "@openzeppelin/contracts/=contracts/\n",
            ),
            ("lib/solady/package.json", r#"{"name": "solady"}"#),
            ("lib/solady/src/Lib.sol", ""),
        ]);
        let layout = Layout::read(
            &s,
            PathBuf::new(),
            ProjectKind::Foundry,
            &["x/=y/".to_owned()],
        );
        let all: Vec<String> = layout.remappings.iter().map(ToString::to_string).collect();
        assert_eq!(
            all,
            [
                "x/=y/",
                "solmate/=lib/solmate/",
                "forge-std/=lib/forge-std/src/",
                "@openzeppelin/contracts/=lib/openzeppelin-contracts/contracts/",
                "ds-test/=lib/forge-std/lib/ds-test/src/",
                "solady/=lib/solady/src/",
                "solady/=lib/solady/",
                "forge-std/=lib/forge-std/",
                "ds-test/=lib/forge-std/lib/ds-test/",
                "openzeppelin-contracts/=lib/openzeppelin-contracts/",
            ]
        );
        assert_eq!(layout.libs, ["lib"]);
        assert_eq!(layout.diagnostics.len(), 1);
        assert_eq!(
            layout.diagnostics[0].message,
            "ignored remapping `broken` has no `=` (from remappings.txt)"
        );
    }
}
