//! The Rust sources of Solana programs: which `.rs` files to load, grouped by Cargo
//! package, with the settings of each package's manifests.
//!
//! A `.rs` file belongs to the package of the nearest folder at or above it whose
//! `Cargo.toml` has a `[package]` table; the package is a Solana program when its
//! dependencies (`[dependencies]` or a `[target.*.dependencies]` table, under the crate's
//! name or renamed with `package = "..."`) include one of [`SOLANA_CRATES`]. Not loaded:
//! anything under a `target/` folder, and the package's own `tests/`, `benches/` and
//! `examples/` (not deployed code), as `solana::group_packages` groups a listing.
//! `overflow-checks = true` in `[profile.release]` of the package's manifest or of an
//! ancestor manifest up to the workspace root (the nearest one with `[workspace]`) is
//! kept for the package.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use crate::diagnostic::{DiagnosticKind, DiagnosticLevel, ProjectDiagnostic};
use crate::loader::{RootFile, SKIPPED_DIRS};
use crate::scope::Origin;
use crate::store::{Store, slash_path};

/// The crates whose use makes a package a Solana program.
pub const SOLANA_CRATES: &[&str] = &[
    "anchor-lang",
    "solana-program",
    "solana-program-entrypoint",
    "pinocchio",
    "solana-sdk",
];

/// Manifests larger than this are not read.
const MAX_MANIFEST_SIZE: u64 = 1 << 20;

/// How far up a `Cargo.toml` is looked for.
const MAX_DEPTH: usize = 64;

pub(crate) fn is_rust(path: &Path) -> bool {
    path.extension().is_some_and(|ext| ext == "rs")
}

/// What the loader needs of one `Cargo.toml`.
#[derive(Clone, Debug, Default)]
struct Manifest {
    /// The manifest has a `[package]` table.
    package: bool,
    name: Option<String>,
    /// One of [`SOLANA_CRATES`] is a dependency.
    solana: bool,
    /// The manifest has a `[workspace]` table.
    workspace: bool,
    /// `[profile.release] overflow-checks = true`.
    overflow_checks: bool,
}

fn parse_manifest(text: &str) -> Result<Manifest, toml::de::Error> {
    let table: toml::Table = text.parse()?;
    let package = table.get("package").and_then(toml::Value::as_table);
    let mut dependency_tables: Vec<&toml::Table> = Vec::new();
    if let Some(deps) = table.get("dependencies").and_then(toml::Value::as_table) {
        dependency_tables.push(deps);
    }
    if let Some(targets) = table.get("target").and_then(toml::Value::as_table) {
        for target in targets.values() {
            if let Some(deps) = target.get("dependencies").and_then(toml::Value::as_table) {
                dependency_tables.push(deps);
            }
        }
    }
    let solana = dependency_tables.iter().any(|deps| {
        deps.iter().any(|(key, value)| {
            let name = value
                .get("package")
                .and_then(toml::Value::as_str)
                .unwrap_or(key);
            SOLANA_CRATES.contains(&name)
        })
    });
    let overflow_checks = table
        .get("profile")
        .and_then(|p| p.get("release"))
        .and_then(|r| r.get("overflow-checks"))
        .and_then(toml::Value::as_bool)
        .unwrap_or(false);
    Ok(Manifest {
        package: package.is_some(),
        name: package
            .and_then(|p| p.get("name"))
            .and_then(toml::Value::as_str)
            .map(str::to_owned),
        solana,
        workspace: table.contains_key("workspace"),
        overflow_checks,
    })
}

/// A Cargo package whose files are loaded.
#[derive(Clone, Debug)]
pub(crate) struct PendingPackage {
    /// The package folder ([`Store::canonical`]), or the folder of a lone file.
    pub(crate) dir: PathBuf,
    pub(crate) name: Option<String>,
    pub(crate) overflow_checks: bool,
    /// The folder of its Cargo workspace's root manifest (`[workspace]`), when any.
    pub(crate) workspace: Option<PathBuf>,
    /// Its files to load, sorted.
    pub(crate) files: Vec<PathBuf>,
}

/// What a package takes from its workspace ([`RustCollector::settings`]).
#[derive(Clone, Debug, Default)]
struct Settings {
    overflow_checks: bool,
    workspace: Option<PathBuf>,
}

/// Finds the Rust files to load and their packages; reads each manifest once.
pub(crate) struct RustCollector<'s> {
    store: &'s dyn Store,
    manifests: HashMap<PathBuf, Option<Manifest>>,
    packages: BTreeMap<PathBuf, PendingPackage>,
    /// Origin of each file, the strongest first seen kept (explicit over discovered over
    /// a package sibling of an explicit file).
    origins: BTreeMap<PathBuf, (Origin, Option<String>)>,
    pub(crate) diagnostics: Vec<ProjectDiagnostic>,
}

impl<'s> RustCollector<'s> {
    pub(crate) fn new(store: &'s dyn Store) -> Self {
        Self {
            store,
            manifests: HashMap::new(),
            packages: BTreeMap::new(),
            origins: BTreeMap::new(),
            diagnostics: Vec::new(),
        }
    }

    fn manifest(&mut self, dir: &Path) -> Option<Manifest> {
        if let Some(known) = self.manifests.get(dir) {
            return known.clone();
        }
        let path = dir.join("Cargo.toml");
        let manifest = if self.store.is_file(&path) {
            match self.store.read(&path, MAX_MANIFEST_SIZE) {
                Ok(bytes) => {
                    let text = String::from_utf8_lossy(&bytes);
                    match parse_manifest(&text) {
                        Ok(manifest) => Some(manifest),
                        Err(error) => {
                            self.diagnostics.push(ProjectDiagnostic {
                                file: None,
                                path: Some(slash_path(&path)),
                                span: None,
                                severity: DiagnosticLevel::Warning,
                                message: format!(
                                    "cannot read `{}`: {}",
                                    slash_path(&path),
                                    error.message()
                                ),
                                kind: DiagnosticKind::Config,
                            });
                            // Still a package boundary, of no known program.
                            Some(Manifest {
                                package: text.lines().any(|l| l.trim() == "[package]"),
                                ..Manifest::default()
                            })
                        }
                    }
                }
                Err(_) => None,
            }
        } else {
            None
        };
        self.manifests.insert(dir.to_path_buf(), manifest.clone());
        manifest
    }

    /// The nearest folder at or above `file` whose manifest has `[package]`, with it.
    fn package_of(&mut self, file: &Path) -> Option<(PathBuf, Manifest)> {
        let mut dir = file.parent();
        for _ in 0..MAX_DEPTH {
            let current = dir?;
            if let Some(manifest) = self.manifest(current)
                && manifest.package
            {
                return Some((current.to_path_buf(), manifest));
            }
            dir = current.parent();
        }
        None
    }

    /// What the package at `dir` takes from its manifest and the ancestor manifests up to
    /// the workspace root: `overflow-checks`, and the root's folder.
    fn settings(&mut self, dir: &Path, manifest: &Manifest) -> Settings {
        if manifest.workspace {
            return Settings {
                overflow_checks: manifest.overflow_checks,
                workspace: Some(dir.to_path_buf()),
            };
        }
        let mut overflow_checks = manifest.overflow_checks;
        let mut current = dir.parent();
        for _ in 0..MAX_DEPTH {
            let Some(d) = current else { break };
            if let Some(m) = self.manifest(d) {
                overflow_checks |= m.overflow_checks;
                if m.workspace {
                    return Settings {
                        overflow_checks,
                        workspace: Some(d.to_path_buf()),
                    };
                }
            }
            current = d.parent();
        }
        Settings {
            overflow_checks,
            workspace: None,
        }
    }

    /// Whether `file` of the package at `dir` is deployed code (not under `target/`,
    /// nor the package's `tests/`, `benches/` or `examples/`).
    fn deployed(dir: &Path, file: &Path) -> bool {
        let Ok(inside) = file.strip_prefix(dir) else {
            return false;
        };
        let mut components = inside.components().map(|c| c.as_os_str().to_string_lossy());
        let first = components.next();
        !matches!(
            first.as_deref(),
            Some("tests" | "benches" | "examples" | "target")
        ) && !components.any(|c| c == "target")
    }

    fn add(&mut self, dir: &Path, name: Option<String>, settings: &Settings, file: PathBuf) {
        let package = self
            .packages
            .entry(dir.to_path_buf())
            .or_insert_with(|| PendingPackage {
                dir: dir.to_path_buf(),
                name,
                overflow_checks: settings.overflow_checks,
                workspace: settings.workspace.clone(),
                files: Vec::new(),
            });
        if !package.files.contains(&file) {
            package.files.push(file);
        }
    }

    fn set_origin(&mut self, file: &Path, origin: Origin, given: Option<String>) {
        let entry = self
            .origins
            .entry(file.to_path_buf())
            .or_insert((origin, given.clone()));
        let rank = |o: Origin| match o {
            Origin::Explicit => 0,
            Origin::Discovered => 1,
            Origin::Dependency => 2,
        };
        if rank(origin) < rank(entry.0) {
            *entry = (origin, given);
        }
    }

    /// The `.rs` files of Solana programs below the folder `dir` ([`Store::canonical`]).
    pub(crate) fn folder(&mut self, dir: &Path) {
        for file in rust_files(self.store, dir) {
            let Some((package, manifest)) = self.package_of(&file) else {
                continue;
            };
            if !manifest.solana || !Self::deployed(&package, &file) {
                continue;
            }
            let checks = self.settings(&package, &manifest);
            self.add(&package, manifest.name.clone(), &checks, file.clone());
            self.set_origin(&file, Origin::Discovered, None);
        }
    }

    /// A `.rs` file named as an input: analysed with the other files of its package when
    /// that is a Solana program (only its own findings reported), else on its own with
    /// its package's settings, or as a package of one file outside any package.
    pub(crate) fn file(&mut self, file: &Path, given: String) {
        self.set_origin(file, Origin::Explicit, Some(given));
        match self.package_of(file) {
            Some((package, manifest)) if manifest.solana && Self::deployed(&package, file) => {
                let checks = self.settings(&package, &manifest);
                self.add(&package, manifest.name.clone(), &checks, file.to_path_buf());
                let siblings: Vec<PathBuf> = rust_files(self.store, &package)
                    .into_iter()
                    .filter(|f| Self::deployed(&package, f))
                    .collect();
                for sibling in siblings {
                    if self
                        .package_of(&sibling)
                        .is_some_and(|(owner, _)| owner == package)
                    {
                        self.add(&package, manifest.name.clone(), &checks, sibling.clone());
                        self.set_origin(&sibling, Origin::Dependency, None);
                    }
                }
            }
            Some((package, manifest)) => {
                let checks = self.settings(&package, &manifest);
                // A package of its own: the file is not deployed code of the package.
                let key = file.to_path_buf();
                self.add(&key, manifest.name.clone(), &checks, file.to_path_buf());
            }
            None => {
                let key = file.to_path_buf();
                self.add(&key, None, &Settings::default(), file.to_path_buf());
            }
        }
    }

    /// The root files to load and the packages, files sorted.
    pub(crate) fn finish(self) -> (Vec<RootFile>, Vec<PendingPackage>, Vec<ProjectDiagnostic>) {
        let roots = self
            .origins
            .into_iter()
            .map(|(path, (origin, given))| RootFile {
                path,
                origin,
                given,
            })
            .collect();
        let packages = self
            .packages
            .into_values()
            .map(|mut p| {
                p.files.sort();
                // A lone file keyed by itself: its package folder is the file's.
                if is_rust(&p.dir)
                    && let Some(parent) = p.dir.parent()
                {
                    p.dir = parent.to_path_buf();
                }
                p
            })
            .collect();
        (roots, packages, self.diagnostics)
    }
}

/// Every `.rs` file below `dir`, sorted, skipping [`SKIPPED_DIRS`], `target` folders and
/// symbolic links to folders.
fn rust_files(store: &dyn Store, dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = store.read_dir(&dir) else {
            // The Solidity walk of the same folder reports it.
            continue;
        };
        for entry in entries {
            let path = dir.join(&entry.name);
            if entry.is_dir {
                if !entry.is_symlink
                    && entry.name != "target"
                    && !SKIPPED_DIRS.contains(&entry.name.as_str())
                {
                    stack.push(path);
                }
            } else if is_rust(&path) && store.is_file(&path) {
                found.push(store.canonical(&path));
            }
        }
    }
    found.sort();
    found.dedup();
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifests_name_solana_programs() {
        let anchor = parse_manifest(
            "[package]\nname = \"vault\"\n[dependencies]\nanchor-lang = { version = \"0.30\" }\n",
        )
        .unwrap();
        assert!(anchor.package && anchor.solana && !anchor.workspace);
        assert_eq!(anchor.name.as_deref(), Some("vault"));
        let renamed = parse_manifest(
            "[package]\nname = \"p\"\n[target.'cfg(not(target_os = \"solana\"))'.dependencies]\n\
             sp = { package = \"solana-program\", workspace = true }\n",
        )
        .unwrap();
        assert!(renamed.solana);
        let dev_only = parse_manifest(
            "[package]\nname = \"c\"\n[dependencies]\nserde = \"1\"\n[dev-dependencies]\nsolana-sdk = \"2\"\n",
        )
        .unwrap();
        assert!(!dev_only.solana);
        let workspace = parse_manifest(
            "[workspace]\nmembers = [\"programs/*\"]\n[profile.release]\noverflow-checks = true\n",
        )
        .unwrap();
        assert!(workspace.workspace && workspace.overflow_checks && !workspace.package);
    }
}
