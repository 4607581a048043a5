//! Import resolution: from an import path, as written in one file, to the
//! file it names.
//!
//! Candidates are tried in order and the first existing file wins:
//! 1. relative imports (`./`, `../`): the importing file's folder, and nothing else;
//! 2. remappings that apply (solc's choice first: longest context, then
//!    longest prefix; the others follow as fallbacks);
//! 3. the project root (solc's base path: `contracts/Foo.sol`);
//! 4. each library folder (`lib/forge-std/src/Test.sol` from `forge-std/src/Test.sol`);
//! 5. the root of the package holding the importing file (a library that
//!    imports `src/Foo.sol` from inside `lib/<name>/` or `node_modules/<pkg>/`);
//! 6. `node_modules/<import>` in the importing file's folder and every folder above it.

use std::path::{Component, Path, PathBuf};

use crate::remapping::{Remapping, Remappings};
use crate::store::{Store, normalize, normalize_virtual, slash_path};

/// How many tried candidates an unresolved-import message lists.
const MAX_LISTED_CANDIDATES: usize = 6;

pub(crate) struct Resolver<'a> {
    store: &'a dyn Store,
    root: PathBuf,
    /// Library folders as paths below the root.
    libs: Vec<PathBuf>,
    remappings: Remappings,
}

/// The outcome of resolving one import.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Resolution {
    /// The file's identity ([`Store::canonical`]).
    Found(PathBuf),
    NotFound(Unresolved),
}

/// Why an import did not resolve.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Unresolved {
    pub(crate) tried: Vec<PathBuf>,
    /// The remapping solc would have applied.
    pub(crate) remapping: Option<Remapping>,
    /// A relative import that climbs above the root of in-memory sources.
    pub(crate) escapes_root: bool,
}

impl<'a> Resolver<'a> {
    pub(crate) fn new(
        store: &'a dyn Store,
        root: PathBuf,
        libs: &[String],
        remappings: Remappings,
    ) -> Self {
        let libs = libs.iter().map(|lib| root.join(lib)).collect();
        Self {
            store,
            root,
            libs,
            remappings,
        }
    }

    /// Resolves `import` written in the file at `importer` (a path from the store).
    pub(crate) fn resolve(&self, importer: &Path, import: &str) -> Resolution {
        let (candidates, remapping, escapes_root) = self.candidates(importer, import);
        match candidates
            .iter()
            .find(|candidate| self.store.is_file(candidate))
        {
            Some(found) => Resolution::Found(self.store.canonical(found)),
            None => Resolution::NotFound(Unresolved {
                tried: candidates,
                remapping,
                escapes_root,
            }),
        }
    }

    /// The candidate files for `import`, in the order they are tried, the
    /// remapping solc would apply, and whether a relative import escaped the
    /// virtual root.
    fn candidates(&self, importer: &Path, import: &str) -> (Vec<PathBuf>, Option<Remapping>, bool) {
        let dir = importer.parent().unwrap_or(&self.root);
        let mut out = Candidates::default();
        if is_relative_import(import) {
            let escapes = match self.normalize(&dir.join(import)) {
                Some(path) => {
                    out.push(path);
                    false
                }
                None => true,
            };
            return (out.0, None, escapes);
        }
        if Path::new(import).is_absolute() {
            if let Some(path) = self.normalize(Path::new(import)) {
                out.push(path);
            }
            return (out.0, None, false);
        }

        let unit = self.unit_name(importer);
        let remappings = self.remappings.matching(&unit, import);
        for remapping in &remappings {
            let target = remapping.apply(import);
            let target = Path::new(&target);
            let path = if target.is_absolute() && !self.store.is_virtual() {
                target.to_path_buf()
            } else {
                self.root.join(target)
            };
            if let Some(path) = self.normalize(&path) {
                out.push(path);
            }
        }
        let mut bases: Vec<PathBuf> = vec![self.root.clone()];
        bases.extend(self.libs.iter().cloned());
        bases.extend(self.package_root(importer));
        for base in bases {
            if let Some(path) = self.normalize(&base.join(import)) {
                out.push(path);
            }
        }
        for ancestor in dir.ancestors() {
            if let Some(path) = self.normalize(&ancestor.join("node_modules").join(import)) {
                out.push(path);
            }
        }
        (out.0, remappings.first().map(|r| (*r).clone()), false)
    }

    fn normalize(&self, path: &Path) -> Option<PathBuf> {
        if self.store.is_virtual() {
            normalize_virtual(path)
        } else {
            normalize(path)
        }
    }

    /// The source unit name of a file: its path relative to the root with
    /// forward slashes (absolute when outside the root). Remapping contexts
    /// are matched against it.
    pub(crate) fn unit_name(&self, path: &Path) -> String {
        match path.strip_prefix(&self.root) {
            Ok(relative) => slash_path(relative),
            Err(_) => slash_path(path),
        }
    }

    /// The root of the library package (`lib/<name>`) or npm package
    /// (`node_modules/<pkg>`, `node_modules/@scope/<pkg>`) holding `importer`.
    fn package_root(&self, importer: &Path) -> Option<PathBuf> {
        for lib in &self.libs {
            if let Ok(rest) = importer.strip_prefix(lib) {
                let name = rest
                    .components()
                    .next()
                    .filter(|_| rest.components().count() > 1)?;
                return Some(lib.join(name));
            }
        }
        let components: Vec<Component<'_>> = importer.components().collect();
        let at = components
            .iter()
            .rposition(|c| c.as_os_str() == "node_modules")?;
        let scoped = components
            .get(at + 1)?
            .as_os_str()
            .to_string_lossy()
            .starts_with('@');
        let end = at + if scoped { 3 } else { 2 };
        // The package folder must hold the importer, not be it.
        (end < components.len()).then(|| components[..end].iter().collect())
    }

    /// The message of an unresolved-import diagnostic.
    pub(crate) fn message(&self, import: &str, unresolved: &Unresolved) -> String {
        let mut message = format!("unresolved import `{import}`");
        if unresolved.escapes_root {
            message.push_str(": the path climbs above the root of the sources");
            return message;
        }
        if let Some(remapping) = &unresolved.remapping {
            message.push_str(&format!(": remapping `{remapping}` applies"));
        }
        let listed: Vec<String> = unresolved
            .tried
            .iter()
            .take(MAX_LISTED_CANDIDATES)
            .map(|path| format!("`{}`", self.unit_name(path)))
            .collect();
        message.push_str(if unresolved.remapping.is_some() {
            "; tried "
        } else {
            ": tried "
        });
        message.push_str(&listed.join(", "));
        let more = unresolved.tried.len().saturating_sub(MAX_LISTED_CANDIDATES);
        if more > 0 {
            message.push_str(&format!(" and {more} more"));
        }
        message
    }
}

/// `./x`, `../x`, `.` or `..`: solc resolves these against the importing file.
fn is_relative_import(import: &str) -> bool {
    import == "." || import == ".." || import.starts_with("./") || import.starts_with("../")
}

/// An ordered list without duplicates.
#[derive(Default)]
struct Candidates(Vec<PathBuf>);

impl Candidates {
    fn push(&mut self, path: PathBuf) {
        if !self.0.contains(&path) {
            self.0.push(path);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::store::MemoryStore;

    fn store(paths: &[&str]) -> MemoryStore {
        MemoryStore::new(
            paths
                .iter()
                .map(|p| (PathBuf::from(p), Vec::new()))
                .collect::<BTreeMap<_, _>>(),
        )
    }

    fn resolver<'a>(store: &'a MemoryStore, remappings: &[&str]) -> Resolver<'a> {
        let mut set = Remappings::default();
        for r in remappings {
            set.push(r.parse().unwrap());
        }
        Resolver::new(store, PathBuf::new(), &["lib".to_owned()], set)
    }

    fn found(r: &Resolver<'_>, importer: &str, import: &str) -> Option<String> {
        match r.resolve(Path::new(importer), import) {
            Resolution::Found(path) => Some(slash_path(&path)),
            Resolution::NotFound(_) => None,
        }
    }

    #[test]
    fn relative_imports() {
        let s = store(&["src/A.sol", "src/b/B.sol", "C.sol"]);
        let r = resolver(&s, &[]);
        assert_eq!(
            found(&r, "src/b/B.sol", "../A.sol").as_deref(),
            Some("src/A.sol")
        );
        assert_eq!(
            found(&r, "src/A.sol", "./b/./B.sol").as_deref(),
            Some("src/b/B.sol")
        );
        assert_eq!(found(&r, "src/A.sol", "../C.sol").as_deref(), Some("C.sol"));
        // Relative imports never fall back to the root.
        assert_eq!(found(&r, "src/b/B.sol", "./A.sol"), None);
        let Resolution::NotFound(escaped) = r.resolve(Path::new("src/A.sol"), "../../C.sol") else {
            panic!("resolved above the virtual root")
        };
        assert!(escaped.escapes_root);
        assert_eq!(
            r.message("../../C.sol", &escaped),
            "unresolved import `../../C.sol`: the path climbs above the root of the sources"
        );
    }

    #[test]
    fn remappings_root_libs_and_node_modules() {
        let s = store(&[
            "lib/forge-std/src/Test.sol",
            "lib/forge-std/Test.sol",
            "lib/oz/contracts/token/ERC20.sol",
            "lib/oz-old/contracts/token/ERC20.sol",
            "lib/solmate/src/auth/Owned.sol",
            "lib/solmate/src/tokens/ERC20.sol",
            "contracts/Foo.sol",
            "node_modules/@pkg/x/X.sol",
            "packages/app/node_modules/@pkg/x/X.sol",
            "node_modules/dep/contracts/Dep.sol",
            "node_modules/dep/contracts/Inner.sol",
        ]);
        let r = resolver(
            &s,
            &[
                "forge-std/=lib/forge-std/src/",
                "@oz/=lib/oz/contracts/",
                "src/legacy:@oz/=lib/oz-old/contracts/",
                "solmate/=lib/solmate/src/",
            ],
        );
        // Remapped, and the longest context wins over a plain remapping.
        assert_eq!(
            found(&r, "src/T.sol", "forge-std/Test.sol").as_deref(),
            Some("lib/forge-std/src/Test.sol")
        );
        assert_eq!(
            found(&r, "src/A.sol", "@oz/token/ERC20.sol").as_deref(),
            Some("lib/oz/contracts/token/ERC20.sol")
        );
        assert_eq!(
            found(&r, "src/legacy/A.sol", "@oz/token/ERC20.sol").as_deref(),
            Some("lib/oz-old/contracts/token/ERC20.sol")
        );
        // `solmate/src/...` does not exist under the remapped target: the lib folder finds it.
        assert_eq!(
            found(&r, "src/A.sol", "solmate/src/auth/Owned.sol").as_deref(),
            Some("lib/solmate/src/auth/Owned.sol")
        );
        // Root-relative (solc base path).
        assert_eq!(
            found(&r, "src/A.sol", "contracts/Foo.sol").as_deref(),
            Some("contracts/Foo.sol")
        );
        // Inside a library, `src/...` is relative to the library.
        assert_eq!(
            found(&r, "lib/solmate/src/auth/Owned.sol", "src/tokens/ERC20.sol").as_deref(),
            Some("lib/solmate/src/tokens/ERC20.sol")
        );
        // node_modules: nearest folder first, walking up.
        assert_eq!(
            found(&r, "packages/app/contracts/A.sol", "@pkg/x/X.sol").as_deref(),
            Some("packages/app/node_modules/@pkg/x/X.sol")
        );
        assert_eq!(
            found(&r, "contracts/A.sol", "@pkg/x/X.sol").as_deref(),
            Some("node_modules/@pkg/x/X.sol")
        );
        // Inside an npm package, package-relative imports resolve.
        assert_eq!(
            found(
                &r,
                "node_modules/dep/contracts/Dep.sol",
                "contracts/Inner.sol"
            )
            .as_deref(),
            Some("node_modules/dep/contracts/Inner.sol")
        );
    }

    #[test]
    fn unresolved_message_lists_candidates() {
        let s = store(&["src/A.sol"]);
        let r = resolver(&s, &["forge-std/=lib/forge-std/src/"]);
        let Resolution::NotFound(unresolved) =
            r.resolve(Path::new("src/A.sol"), "forge-std/Test.sol")
        else {
            panic!("resolved a missing file")
        };
        assert_eq!(
            r.message("forge-std/Test.sol", &unresolved),
            "unresolved import `forge-std/Test.sol`: remapping `forge-std/=lib/forge-std/src/` applies; \
             tried `lib/forge-std/src/Test.sol`, `forge-std/Test.sol`, `lib/forge-std/Test.sol`, \
             `src/node_modules/forge-std/Test.sol`, `node_modules/forge-std/Test.sol`"
        );
        let Resolution::NotFound(relative) = r.resolve(Path::new("src/A.sol"), "./B.sol") else {
            panic!("resolved a missing file")
        };
        assert_eq!(
            r.message("./B.sol", &relative),
            "unresolved import `./B.sol`: tried `src/B.sol`"
        );
    }
}
