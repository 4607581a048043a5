//! What the server knows of the projects it has analysed whole: each file's imports and
//! whether its findings are reported, so that a change re-analyses only the changed file
//! and the files that import it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// One loaded file of a project, as the import graph keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct GraphFile {
    /// The files its imports resolved to (canonical paths).
    pub(crate) imports: Vec<PathBuf>,
    /// Whether `scan` of the project reports its findings.
    pub(crate) reported: bool,
}

/// A Foundry, Hardhat or Truffle project the server analyses.
#[derive(Debug)]
pub(crate) struct KnownProject {
    /// Canonical.
    pub(crate) root: PathBuf,
    /// Every file the last analysis of the project loaded, by canonical path; empty until
    /// the first whole-project analysis is done.
    pub(crate) files: BTreeMap<PathBuf, GraphFile>,
    /// Whether a whole-project analysis has finished.
    pub(crate) loaded: bool,
}

impl KnownProject {
    pub(crate) fn new(root: PathBuf) -> Self {
        Self {
            root,
            files: BTreeMap::new(),
            loaded: false,
        }
    }

    pub(crate) fn contains(&self, path: &Path) -> bool {
        path.starts_with(&self.root)
    }

    /// Whether the project analysis reports findings of `path`; `None` for a file it did
    /// not load.
    pub(crate) fn reported(&self, path: &Path) -> Option<bool> {
        self.files.get(path).map(|file| file.reported)
    }

    /// The files a change to `changed` can affect: `changed` itself, then every file that
    /// imports it directly or through other files, keeping only those `keep` accepts
    /// (reported or open: the others would be analysed for nothing).
    pub(crate) fn affected(
        &self,
        changed: &Path,
        keep: impl Fn(&Path, bool) -> bool,
    ) -> Vec<PathBuf> {
        let mut importers: BTreeMap<&Path, Vec<&Path>> = BTreeMap::new();
        for (path, file) in &self.files {
            for import in &file.imports {
                importers.entry(import.as_path()).or_default().push(path);
            }
        }
        let mut seen: BTreeSet<&Path> = BTreeSet::from([changed]);
        let mut todo = vec![changed];
        let mut out = vec![changed.to_path_buf()];
        while let Some(path) = todo.pop() {
            for &importer in importers.get(path).into_iter().flatten() {
                if seen.insert(importer) {
                    todo.push(importer);
                    if keep(importer, self.reported(importer).unwrap_or(false)) {
                        out.push(importer.to_path_buf());
                    }
                }
            }
        }
        out
    }

    /// Records what an analysis of some files loaded: their imports as now written. A
    /// file the project analysis did not know keeps the reporting `reported` gives it.
    pub(crate) fn update(&mut self, loaded: Vec<(PathBuf, GraphFile)>) {
        for (path, file) in loaded {
            match self.files.get_mut(&path) {
                Some(known) => known.imports = file.imports,
                None => {
                    self.files.insert(path, file);
                }
            }
        }
    }

    /// Replaces the graph with a whole-project analysis.
    pub(crate) fn replace(&mut self, loaded: Vec<(PathBuf, GraphFile)>) {
        self.files = loaded.into_iter().collect();
        self.loaded = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(imports: &[&str], reported: bool) -> GraphFile {
        GraphFile {
            imports: imports
                .iter()
                .map(|p| PathBuf::from(format!("/p/{p}")))
                .collect(),
            reported,
        }
    }

    #[test]
    fn a_change_affects_the_file_and_its_importers_transitively() {
        let mut project = KnownProject::new(PathBuf::from("/p"));
        project.replace(vec![
            (PathBuf::from("/p/src/A.sol"), file(&[], true)),
            (PathBuf::from("/p/src/B.sol"), file(&["src/A.sol"], true)),
            (PathBuf::from("/p/src/C.sol"), file(&["src/B.sol"], true)),
            (PathBuf::from("/p/src/D.sol"), file(&[], true)),
            (
                PathBuf::from("/p/test/A.t.sol"),
                file(&["src/A.sol"], false),
            ),
            // A cycle does not loop.
            (
                PathBuf::from("/p/src/E.sol"),
                file(&["src/E.sol", "src/C.sol"], true),
            ),
        ]);
        let reported = |_: &Path, reported: bool| reported;
        let affected = project.affected(Path::new("/p/src/A.sol"), reported);
        let names: BTreeSet<_> = affected
            .iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            names,
            BTreeSet::from(
                [
                    "/p/src/A.sol",
                    "/p/src/B.sol",
                    "/p/src/C.sol",
                    "/p/src/E.sol"
                ]
                .map(str::to_owned)
            )
        );
        assert_eq!(affected[0], Path::new("/p/src/A.sol"));
        assert_eq!(
            project.affected(Path::new("/p/src/D.sol"), reported).len(),
            1
        );
        // An open test file is kept.
        let open = |path: &Path, reported: bool| reported || path.ends_with("A.t.sol");
        assert_eq!(project.affected(Path::new("/p/src/A.sol"), open).len(), 5);

        project.update(vec![
            (PathBuf::from("/p/src/D.sol"), file(&["src/A.sol"], true)),
            (PathBuf::from("/p/src/New.sol"), file(&["src/D.sol"], true)),
        ]);
        assert_eq!(
            project.affected(Path::new("/p/src/A.sol"), reported).len(),
            6
        );
        assert_eq!(project.reported(Path::new("/p/test/A.t.sol")), Some(false));
        assert!(project.contains(Path::new("/p/lib/x.sol")));
        assert!(!project.contains(Path::new("/q/x.sol")));
    }
}
