//! The project loader: from paths given by the user (a `.sol` or `.vy` file, a folder,
//! a Foundry, Hardhat or Truffle project) or from in-memory sources to the
//! set of parsed source files to analyse, plus diagnostics.
//!
//! This is the only analysis crate that touches the file system, and it
//! does so through one internal `Store` interface, so that in-memory sources
//! go through the same detection, resolution and scoping code as a checkout
//! on disk.
//!
//! Invariants:
//! - Every file is read and parsed exactly once (deduplicated by canonical
//!   path); import cycles are fine.
//! - Loading never stops at a broken file: unresolved imports, unreadable,
//!   oversized or non-UTF-8 files are [`ProjectDiagnostic`]s. Only a missing
//!   input or no source file at all (`.sol`, `.vy`, or with [`LoadOptions::solana`] the
//!   Rust sources of a Solana program) is a [`ProjectError`].
//! - Output is deterministic: [`Project::files`] is ordered by display path
//!   (the standard interfaces standing in for missing imports last)
//!   and [`SourceFile::id`] is the index into it.
//! - Every loaded file is analysed; [`SourceFile::reported`] says whether its
//!   findings are shown (dependencies, tests and scripts are not, by default).

mod diagnostic;
mod error;
mod layout;
mod loader;
mod options;
mod remapping;
mod resolve;
mod rust;
mod scope;
mod store;
mod stubs;

/// The display-path prefix of the standard interfaces standing in for missing imports.
pub const STANDARD_PREFIX: &str = "<standard>/";

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use diagnostic::{DiagnosticKind, DiagnosticLevel, ProjectDiagnostic};
pub use error::ProjectError;
pub use layout::ProjectKind;
pub use options::LoadOptions;
pub use remapping::{Remapping, RemappingError};
pub use rust::SOLANA_CRATES;
use syntax::FileId;

use crate::layout::{Layout, find_root};
use crate::loader::{RootFile, discover, is_source, load_graph, normalize_sources};
use crate::scope::Origin;
use crate::store::{DiskStore, MemoryStore, OverlayStore, Store, slash_path};

/// A loaded set of Solidity sources: the compilation unit to analyse.
#[derive(Debug)]
pub struct Project {
    /// The project root: the folder holding `foundry.toml` (or the Hardhat or
    /// Truffle config) found at or above the first input, else the input
    /// folder (or the folder of an input file). Canonical for projects on
    /// disk; the empty path for in-memory sources.
    pub root: PathBuf,
    pub kind: ProjectKind,
    /// Every loaded file, ordered by display path, then the standard interfaces that
    /// stand in for unresolved imports of well-known files (display paths starting with
    /// `<standard>/`, never reported); `files[i].id == FileId(i)`.
    pub files: Vec<SourceFile>,
    /// Loading problems, ordered by file and position.
    pub diagnostics: Vec<ProjectDiagnostic>,
    /// The Cargo packages of Solana programs whose Rust files were loaded
    /// ([`LoadOptions::solana`]), ordered by folder: each is analysed as one unit.
    pub rust_packages: Vec<RustPackage>,
}

/// One Cargo package of a Solana program (or a lone `.rs` file given as input).
#[derive(Debug)]
pub struct RustPackage {
    /// The package folder as a display path (`""` for the project root).
    pub root: String,
    /// The `name` of its `[package]`.
    pub name: Option<String>,
    /// Its loaded `.rs` files, in id order; only the reported ones have findings shown.
    pub files: Vec<FileId>,
    /// `overflow-checks = true` in `[profile.release]` of the package or its workspace.
    pub overflow_checks: bool,
    /// The folder of its Cargo workspace's root manifest (a display path), when it has
    /// one: packages of one workspace may call each other's programs.
    pub workspace: Option<String>,
}

/// One loaded and parsed source file.
#[derive(Debug)]
pub struct SourceFile {
    /// Index of this file in [`Project::files`].
    pub id: FileId,
    /// Canonical path on disk, or the normalized virtual path in memory.
    pub path: PathBuf,
    /// Path relative to the project root with forward slashes; for a file
    /// outside the root, the path as given (inputs) or its absolute path.
    pub display_path: String,
    /// The text (lossily converted when the file is not valid UTF-8).
    pub text: Arc<str>,
    /// The Solidity parse; empty for a Vyper or Rust file.
    pub parse: syntax::Parse,
    /// The Vyper parse of a `.vy` file (`None` for Solidity). Vyper imports are not
    /// followed: each Vyper file is analysed as one module.
    pub vyper: Option<vyper::Parse>,
    /// A Rust file of a Solana program (see [`Project::rust_packages`]); the Solana
    /// front-end parses it when analysing its package.
    pub rust: bool,
    /// Whether findings in this file are reported (see [`LoadOptions`]).
    pub reported: bool,
    pub line_index: syntax::LineIndex,
    /// The file each import of [`Self::parse`] resolved to, index for index
    /// with `parse.imports()`; `None` when unresolved or not loadable.
    pub imports: Vec<Option<FileId>>,
}

impl Project {
    /// Loads the given paths: `.sol` and `.vy` files, folders or project roots.
    ///
    /// The project root and kind come from the first input; the other
    /// inputs are loaded as part of that project. A folder contributes every
    /// `.sol` and `.vy` file below it, skipping `.git`, `node_modules`, `out`, `cache`,
    /// `artifacts` and Foundry library folders (those load only when
    /// imported). Imports are then followed transitively. With [`LoadOptions::solana`],
    /// the Rust sources of Solana programs in input folders, and `.rs` inputs, are loaded
    /// too, grouped by Cargo package ([`Project::rust_packages`]).
    ///
    /// The texts of [`LoadOptions::overlay`] replace the files at their paths.
    pub fn load(inputs: &[PathBuf], options: &LoadOptions) -> Result<Project, ProjectError> {
        let store = OverlayStore::new(&options.overlay);
        let mut canonical_inputs = Vec::with_capacity(inputs.len());
        for input in inputs {
            match std::fs::metadata(input) {
                Ok(metadata) => {
                    canonical_inputs.push((input, store.canonical(input), metadata.is_dir()))
                }
                Err(_) if store.is_file(input) => {
                    canonical_inputs.push((input, store.canonical(input), false));
                }
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                    return Err(ProjectError::InputNotFound(input.clone()));
                }
                Err(source) => {
                    return Err(ProjectError::InputUnreadable {
                        path: input.clone(),
                        source,
                    });
                }
            }
        }
        let Some((_, first, first_is_dir)) = canonical_inputs.first() else {
            return Err(ProjectError::NoSolidityFiles(Vec::new()));
        };
        let start = if *first_is_dir {
            first.as_path()
        } else {
            first.parent().unwrap_or(first)
        };
        let (root, kind) = find_root(&store, start).unwrap_or_else(|| {
            let kind = if *first_is_dir {
                ProjectKind::Folder
            } else {
                ProjectKind::File
            };
            (start.to_path_buf(), kind)
        });
        let layout = Layout::read(&store, root, kind, &options.remappings);

        let mut diagnostics = Vec::new();
        let skip: Vec<PathBuf> = if kind == ProjectKind::Foundry {
            layout
                .libs
                .iter()
                .map(|lib| layout.root.join(lib))
                .collect()
        } else {
            Vec::new()
        };
        let mut roots = Vec::new();
        let mut rust = crate::rust::RustCollector::new(&store);
        for (given, path, is_dir) in canonical_inputs {
            if is_dir {
                let found = discover(&store, &path, &skip, &mut diagnostics);
                roots.extend(found.into_iter().map(|path| RootFile {
                    path,
                    origin: Origin::Discovered,
                    given: None,
                }));
                if options.solana {
                    rust.folder(&path);
                }
            } else if options.solana && (crate::rust::is_rust(&path) || crate::rust::is_rust(given))
            {
                rust.file(&path, slash_path(given));
            } else if is_source(&path) || is_source(given) {
                roots.push(RootFile {
                    path,
                    origin: Origin::Explicit,
                    given: Some(slash_path(given)),
                });
            } else {
                diagnostics.push(ProjectDiagnostic {
                    file: None,
                    path: Some(slash_path(given)),
                    span: None,
                    severity: DiagnosticLevel::Warning,
                    message: if options.solana {
                        format!(
                            "ignored input `{}`: not a .sol, .vy or .rs file",
                            slash_path(given)
                        )
                    } else {
                        format!(
                            "ignored input `{}`: not a .sol or .vy file",
                            slash_path(given)
                        )
                    },
                    kind: DiagnosticKind::Config,
                });
            }
        }
        let (rust_roots, rust_packages, mut rust_diagnostics) = rust.finish();
        diagnostics.append(&mut rust_diagnostics);
        // Solidity imports never name a `.rs` file: the two sets are disjoint.
        roots.extend(rust_roots);
        if roots.is_empty() {
            return Err(if options.solana {
                ProjectError::NoSourceFiles(inputs.to_vec())
            } else {
                ProjectError::NoSolidityFiles(inputs.to_vec())
            });
        }
        Ok(load_graph(
            &store,
            layout,
            roots,
            options,
            diagnostics,
            rust_packages,
        ))
    }

    /// Loads in-memory sources keyed by virtual path (`src/Token.sol`), as the
    /// audit service receives them. Paths are normalized (`./`, a leading `/`
    /// and `..` folded); a path or relative import that climbs above the
    /// virtual root is rejected with a diagnostic, never resolved outside.
    ///
    /// Every `.sol` and `.vy` source is loaded, and with [`LoadOptions::solana`] the `.rs`
    /// files of Solana programs (packages whose `Cargo.toml` is among the sources); other
    /// entries (`remappings.txt`, `foundry.toml`, `package.json`) only configure resolution. Reporting
    /// follows the same rules as a folder on disk.
    pub fn from_sources(sources: BTreeMap<String, String>, options: &LoadOptions) -> Project {
        let mut diagnostics = Vec::new();
        let store = MemoryStore::new(normalize_sources(sources, &mut diagnostics));
        let mut layout = Layout::read(
            &store,
            PathBuf::new(),
            ProjectKind::InMemory,
            &options.remappings,
        );
        layout.kind = ProjectKind::InMemory;
        let mut roots: Vec<RootFile> = store
            .paths()
            .filter(|path| is_source(path))
            .map(|path| RootFile {
                path: path.to_path_buf(),
                origin: Origin::Discovered,
                given: None,
            })
            .collect();
        // Solana programs: the `.rs` files of every package whose `Cargo.toml` names a
        // Solana crate, found as in a folder on disk.
        let rust_packages = if options.solana {
            let mut rust = crate::rust::RustCollector::new(&store);
            rust.folder(Path::new(""));
            let (rust_roots, packages, mut rust_diagnostics) = rust.finish();
            roots.extend(rust_roots);
            diagnostics.append(&mut rust_diagnostics);
            packages
        } else {
            Vec::new()
        };
        if roots.is_empty() {
            diagnostics.push(ProjectDiagnostic {
                file: None,
                path: None,
                span: None,
                severity: DiagnosticLevel::Warning,
                message: if options.solana {
                    "no .sol or .vy sources nor Rust sources of a Solana program (with its Cargo.toml) given".to_owned()
                } else {
                    "no .sol or .vy sources given".to_owned()
                },
                kind: DiagnosticKind::Config,
            });
        }
        load_graph(&store, layout, roots, options, diagnostics, rust_packages)
    }

    /// The root and kind of the Foundry, Hardhat or Truffle project that `path` (a file
    /// or folder on disk) belongs to: the nearest folder at or above it holding a marker
    /// file, as [`Project::load`] finds it. `None` outside any project.
    pub fn detect_root(path: &Path) -> Option<(PathBuf, ProjectKind)> {
        let store = DiskStore;
        let path = store.canonical(path);
        let start = if store.is_dir(&path) {
            path.as_path()
        } else {
            path.parent()?
        };
        find_root(&store, start)
    }

    /// The file with this id.
    ///
    /// # Panics
    /// When `id` does not come from this project.
    pub fn file(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    /// The file with this display path (relative to the root, forward slashes).
    pub fn file_by_display_path(&self, display_path: &str) -> Option<&SourceFile> {
        // The loaded files are sorted; the standard stand-ins follow them.
        let loaded = self
            .files
            .partition_point(|file| !file.display_path.starts_with(STANDARD_PREFIX));
        let (sorted, stand_ins) = self.files.split_at(loaded);
        sorted
            .binary_search_by(|file| file.display_path.as_str().cmp(display_path))
            .ok()
            .map(|index| &sorted[index])
            .or_else(|| stand_ins.iter().find(|f| f.display_path == display_path))
    }

    /// The files whose findings are reported, in id order.
    pub fn reported_files(&self) -> impl Iterator<Item = &SourceFile> {
        self.files.iter().filter(|file| file.reported)
    }
}
