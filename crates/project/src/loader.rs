//! Loading: discover the root files, then follow imports breadth-first,
//! parsing each wave of new files in parallel.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;
use syntax::{FileId, LineIndex, Parse, Span};

use crate::diagnostic::{DiagnosticKind, DiagnosticLevel, ProjectDiagnostic};
use crate::layout::{Layout, ProjectKind};
use crate::options::LoadOptions;
use crate::resolve::{Resolution, Resolver};
use crate::rust::PendingPackage;
use crate::scope::{Origin, ReportScope};
use crate::store::{ReadError, Store, slash_path};
use crate::{Project, RustPackage, SourceFile};

/// Folders never searched for root files; their files load only when imported.
pub(crate) const SKIPPED_DIRS: &[&str] = &[".git", "node_modules", "out", "cache", "artifacts"];

/// A file to load because it was given or discovered.
pub(crate) struct RootFile {
    /// Identity of the file ([`Store::canonical`]).
    pub(crate) path: PathBuf,
    pub(crate) origin: Origin,
    /// The path as the user wrote it, for display when outside the root.
    pub(crate) given: Option<String>,
}

pub(crate) fn is_solidity(path: &Path) -> bool {
    path.extension().is_some_and(|ext| ext == "sol")
}

/// A Vyper module (`.vy`; `.vyi` interface files hold no code to analyse).
pub(crate) fn is_vyper(path: &Path) -> bool {
    path.extension().is_some_and(|ext| ext == "vy")
}

/// A file this tool analyses: Solidity or Vyper.
pub(crate) fn is_source(path: &Path) -> bool {
    is_solidity(path) || is_vyper(path)
}

pub(crate) fn read_error(error: &ReadError) -> String {
    match error {
        ReadError::TooLarge(size) => format!("file is {size} bytes, over the size limit"),
        ReadError::Io(error) => error.to_string(),
    }
}

/// Every `.sol` and `.vy` file below `dir`, sorted, skipping [`SKIPPED_DIRS`], the
/// folders in `skip`, and symbolic links to folders (they may form cycles).
pub(crate) fn discover(
    store: &dyn Store,
    dir: &Path,
    skip: &[PathBuf],
    diagnostics: &mut Vec<ProjectDiagnostic>,
) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = match store.read_dir(&dir) {
            Ok(entries) => entries,
            Err(error) => {
                diagnostics.push(ProjectDiagnostic {
                    file: None,
                    path: Some(slash_path(&dir)),
                    span: None,
                    severity: DiagnosticLevel::Error,
                    message: format!("cannot read folder `{}`: {error}", slash_path(&dir)),
                    kind: DiagnosticKind::Io,
                });
                continue;
            }
        };
        for entry in entries {
            let path = dir.join(&entry.name);
            if entry.is_dir {
                let skipped = entry.is_symlink
                    || SKIPPED_DIRS.contains(&entry.name.as_str())
                    || skip.contains(&path);
                if !skipped {
                    stack.push(path);
                }
            } else if is_source(&path) && store.is_file(&path) {
                found.push(store.canonical(&path));
            }
        }
    }
    found.sort();
    found.dedup();
    found
}

/// One file read and parsed, with its imports resolved.
struct LoadedFile {
    path: PathBuf,
    text: Arc<str>,
    parse: Parse,
    vyper: Option<vyper::Parse>,
    rust: bool,
    line_index: LineIndex,
    /// Byte offset of the first invalid UTF-8 sequence, if any.
    invalid_utf8_at: Option<usize>,
    /// One per import of `parse`, in order.
    resolutions: Vec<Resolution>,
}

fn load_file(
    store: &dyn Store,
    resolver: &Resolver<'_>,
    path: &Path,
    max_size: u64,
) -> Result<LoadedFile, ReadError> {
    let bytes = store.read(path, max_size)?;
    let (text, invalid_utf8_at) = match String::from_utf8(bytes) {
        Ok(text) => (text, None),
        Err(error) => {
            let at = error.utf8_error().valid_up_to();
            (
                String::from_utf8_lossy(error.as_bytes()).into_owned(),
                Some(at),
            )
        }
    };
    let text: Arc<str> = text.into();
    let rust = crate::rust::is_rust(path);
    let (parse, vyper) = if is_vyper(path) {
        (syntax::parse(""), Some(vyper::parse(&text)))
    } else if rust {
        (syntax::parse(""), None)
    } else {
        (syntax::parse(&text), None)
    };
    let resolutions = parse
        .imports()
        .iter()
        .map(|import| resolver.resolve(path, &import.path))
        .collect();
    let line_index = LineIndex::new(&text);
    Ok(LoadedFile {
        path: path.to_path_buf(),
        text,
        parse,
        vyper,
        rust,
        line_index,
        invalid_utf8_at,
        resolutions,
    })
}

/// Loads `roots` and everything they import, then assigns ids in display-path order.
pub(crate) fn load_graph(
    store: &dyn Store,
    mut layout: Layout,
    roots: Vec<RootFile>,
    options: &LoadOptions,
    mut diagnostics: Vec<ProjectDiagnostic>,
    rust_packages: Vec<PendingPackage>,
) -> Project {
    diagnostics.append(&mut layout.diagnostics);
    let mut excluded_dirs = Vec::new();
    if layout.kind == ProjectKind::Foundry {
        excluded_dirs.extend(layout.libs.iter().cloned());
        excluded_dirs.extend(layout.test_dirs.iter().cloned());
    }
    let scope = ReportScope::new(options, &excluded_dirs, &mut diagnostics);
    let root = layout.root.clone();
    let resolver = Resolver::new(store, root.clone(), &layout.libs, layout.remappings);

    // Where each known file came from; the first wave is the roots.
    let mut origins: HashMap<PathBuf, (Origin, Option<String>)> = HashMap::new();
    let mut wave: BTreeSet<PathBuf> = BTreeSet::new();
    for root_file in roots {
        let entry = origins
            .entry(root_file.path.clone())
            .or_insert((root_file.origin, None));
        if root_file.origin == Origin::Explicit {
            *entry = (Origin::Explicit, root_file.given);
        }
        wave.insert(root_file.path);
    }

    let display = |path: &Path, given: Option<&String>| match path.strip_prefix(&root) {
        Ok(relative) => slash_path(relative),
        Err(_) => given.cloned().unwrap_or_else(|| slash_path(path)),
    };

    let mut loaded: Vec<LoadedFile> = Vec::new();
    while !wave.is_empty() {
        let paths: Vec<PathBuf> = std::mem::take(&mut wave).into_iter().collect();
        let load = |path: &PathBuf| load_file(store, &resolver, path, options.max_file_size);
        // One file is read on this thread: handing it to the pool costs more than that.
        let results: Vec<Result<LoadedFile, ReadError>> = match paths.as_slice() {
            [one] => vec![load(one)],
            _ => paths.par_iter().map(load).collect(),
        };
        for (path, result) in paths.iter().zip(results) {
            match result {
                Ok(file) => {
                    for resolution in &file.resolutions {
                        if let Resolution::Found(target) = resolution
                            && !origins.contains_key(target)
                        {
                            origins.insert(target.clone(), (Origin::Dependency, None));
                            wave.insert(target.clone());
                        }
                    }
                    loaded.push(file);
                }
                Err(error) => {
                    let shown = display(path, origins.get(path).and_then(|(_, g)| g.as_ref()));
                    let kind = match error {
                        ReadError::TooLarge(_) => DiagnosticKind::TooLarge,
                        ReadError::Io(_) => DiagnosticKind::Io,
                    };
                    diagnostics.push(ProjectDiagnostic {
                        file: None,
                        path: Some(shown.clone()),
                        span: None,
                        severity: DiagnosticLevel::Error,
                        message: format!("cannot load `{shown}`: {}", read_error(&error)),
                        kind,
                    });
                }
            }
        }
    }

    // Stable ids: files ordered by display path.
    let mut keyed: Vec<(String, LoadedFile)> = loaded
        .into_iter()
        .map(|file| {
            (
                display(
                    &file.path,
                    origins.get(&file.path).and_then(|(_, g)| g.as_ref()),
                ),
                file,
            )
        })
        .collect();
    keyed.sort_by(|(a, _), (b, _)| a.cmp(b));
    let ids: HashMap<PathBuf, FileId> = keyed
        .iter()
        .enumerate()
        .map(|(index, (_, file))| (file.path.clone(), file_id(index)))
        .collect();

    // Standard interfaces stand in for unresolved imports of well-known files (see
    // `stubs`), after the loaded files; not for a file that declares or imports (through
    // resolved imports) one of their names itself. A stub is parsed only when an
    // unresolved import names one of its files, and then once.
    let mut stub_parses: Vec<Option<syntax::Parse>> =
        crate::stubs::STUBS.iter().map(|_| None).collect();
    let mut stub_names: Vec<Option<Vec<String>>> = vec![None; crate::stubs::STUBS.len()];
    let index_of: HashMap<&Path, usize> = keyed
        .iter()
        .enumerate()
        .map(|(i, (_, file))| (file.path.as_path(), i))
        .collect();
    let visible_names = |start: usize| -> HashSet<String> {
        let mut seen = HashSet::from([start]);
        let mut todo = vec![start];
        let mut names = HashSet::new();
        while let Some(i) = todo.pop() {
            let file = &keyed[i].1;
            names.extend(crate::stubs::declared_names(&file.parse));
            for r in &file.resolutions {
                if let Resolution::Found(target) = r
                    && let Some(&j) = index_of.get(target.as_path())
                    && seen.insert(j)
                {
                    todo.push(j);
                }
            }
        }
        names
    };
    let mut stands_in: Vec<Vec<Option<usize>>> = Vec::with_capacity(keyed.len());
    for (i, (_, file)) in keyed.iter().enumerate() {
        let mut visible: Option<HashSet<String>> = None;
        let mut row = Vec::with_capacity(file.resolutions.len());
        for (import, resolution) in file.parse.imports().iter().zip(&file.resolutions) {
            let stub = match resolution {
                Resolution::NotFound(_) => crate::stubs::for_import(&import.path),
                Resolution::Found(_) => None,
            };
            row.push(stub.filter(|&k| {
                let names = stub_names[k].get_or_insert_with(|| {
                    let parse = syntax::parse(crate::stubs::STUBS[k].source);
                    let names = crate::stubs::declared_names(&parse);
                    stub_parses[k] = Some(parse);
                    names
                });
                let visible = visible.get_or_insert_with(|| visible_names(i));
                !names.iter().any(|n| visible.contains(n))
            }));
        }
        stands_in.push(row);
    }
    let mut stubs_used: Vec<usize> = Vec::new();
    let loaded_count = keyed.len();

    let mut files = Vec::with_capacity(keyed.len());
    for (index, (display_path, file)) in keyed.into_iter().enumerate() {
        let id = file_id(index);
        let origin = origins
            .get(&file.path)
            .map_or(Origin::Dependency, |(origin, _)| *origin);
        if let Some(at) = file.invalid_utf8_at {
            diagnostics.push(ProjectDiagnostic {
                file: Some(id),
                path: Some(display_path.clone()),
                span: Some(Span::new(at as u32, at as u32 + 1)),
                severity: DiagnosticLevel::Warning,
                message: format!(
                    "`{display_path}` is not valid UTF-8; invalid bytes were replaced by U+FFFD"
                ),
                kind: DiagnosticKind::InvalidUtf8,
            });
        }
        let mut imports = Vec::with_capacity(file.resolutions.len());
        for ((import, resolution), stub) in file
            .parse
            .imports()
            .iter()
            .zip(&file.resolutions)
            .zip(&stands_in[index])
        {
            match resolution {
                Resolution::Found(target) => imports.push(ids.get(target).copied()),
                Resolution::NotFound(unresolved) => {
                    let mut message = resolver.message(&import.path, unresolved);
                    match *stub {
                        Some(k) => {
                            let slot = match stubs_used.iter().position(|&u| u == k) {
                                Some(slot) => slot,
                                None => {
                                    stubs_used.push(k);
                                    stubs_used.len() - 1
                                }
                            };
                            imports.push(Some(file_id(loaded_count + slot)));
                            message.push_str(&format!(
                                "; the standard interfaces of `{}` stand in for it",
                                crate::stubs::STUBS[k].display_path
                            ));
                        }
                        None => imports.push(None),
                    }
                    diagnostics.push(ProjectDiagnostic {
                        file: Some(id),
                        path: Some(display_path.clone()),
                        span: Some(import.path_span),
                        severity: DiagnosticLevel::Error,
                        message,
                        kind: DiagnosticKind::UnresolvedImport,
                    });
                }
            }
        }
        files.push(SourceFile {
            id,
            reported: scope.is_reported(&display_path, origin),
            path: file.path,
            display_path,
            text: file.text,
            parse: file.parse,
            vyper: file.vyper,
            rust: file.rust,
            line_index: file.line_index,
            imports,
        });
    }

    for (slot, k) in stubs_used.into_iter().enumerate() {
        let stub = &crate::stubs::STUBS[k];
        let Some(parse) = stub_parses.get_mut(k).and_then(Option::take) else {
            continue;
        };
        let text: Arc<str> = stub.source.into();
        files.push(SourceFile {
            id: file_id(loaded_count + slot),
            reported: false,
            path: PathBuf::from(stub.display_path),
            display_path: stub.display_path.to_owned(),
            line_index: LineIndex::new(&text),
            text,
            parse,
            vyper: None,
            rust: false,
            imports: Vec::new(),
        });
    }

    diagnostics.sort_by(|a, b| {
        (a.file, &a.path, a.span.map(|s| s.lo), a.kind, &a.message).cmp(&(
            b.file,
            &b.path,
            b.span.map(|s| s.lo),
            b.kind,
            &b.message,
        ))
    });
    let rust_packages = rust_packages
        .into_iter()
        .filter_map(|package| {
            let mut files: Vec<FileId> = package
                .files
                .iter()
                .filter_map(|path| ids.get(path).copied())
                .collect();
            files.sort();
            files.dedup();
            (!files.is_empty()).then(|| RustPackage {
                root: display(&package.dir, None),
                name: package.name,
                files,
                overflow_checks: package.overflow_checks,
                workspace: package.workspace.as_deref().map(|dir| display(dir, None)),
            })
        })
        .collect();
    Project {
        root,
        kind: layout.kind,
        files,
        diagnostics,
        rust_packages,
    }
}

fn file_id(index: usize) -> FileId {
    FileId(u32::try_from(index).expect("fewer than 2^32 files"))
}

/// Normalizes the keys of in-memory sources; keys that climb above the root,
/// are empty, or collide with an earlier key are dropped with a diagnostic.
pub(crate) fn normalize_sources(
    sources: BTreeMap<String, String>,
    diagnostics: &mut Vec<ProjectDiagnostic>,
) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    for (key, text) in sources {
        let normalized = crate::store::normalize_virtual(Path::new(&key.replace('\\', "/")))
            .filter(|path| !path.as_os_str().is_empty());
        let problem = match normalized {
            None => "climbs above the root of the sources or is empty",
            Some(path) if files.contains_key(&path) => "names the same file as another source",
            Some(path) => {
                files.insert(path, text.into_bytes());
                continue;
            }
        };
        diagnostics.push(ProjectDiagnostic {
            file: None,
            path: Some(key.clone()),
            span: None,
            severity: DiagnosticLevel::Warning,
            message: format!("ignored source `{key}`: the path {problem}"),
            kind: DiagnosticKind::Config,
        });
    }
    files
}
