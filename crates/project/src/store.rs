//! Where sources come from: the disk, or an in-memory map of virtual paths.
//!
//! Layout detection, import resolution and loading are written once against
//! [`Store`], so the in-memory sources of the audit service go through exactly
//! the same code as a checkout on disk, and the resolver can be unit-tested
//! without touching the file system.

use std::collections::BTreeMap;
use std::io;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

/// Why a file could not be read.
#[derive(Debug)]
pub(crate) enum ReadError {
    /// The file is larger than the configured cap (its size in bytes).
    TooLarge(u64),
    Io(io::Error),
}

/// One entry of a directory listing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct DirEntry {
    pub(crate) name: String,
    pub(crate) is_dir: bool,
    /// The entry is a symbolic link (to a directory when `is_dir`).
    pub(crate) is_symlink: bool,
}

/// Read-only access to a tree of files.
pub(crate) trait Store: Sync {
    fn is_file(&self, path: &Path) -> bool;
    fn is_dir(&self, path: &Path) -> bool;
    /// Reads a whole file, refusing files larger than `max_size` bytes.
    fn read(&self, path: &Path, max_size: u64) -> Result<Vec<u8>, ReadError>;
    /// The entries of a directory, sorted by name.
    fn read_dir(&self, path: &Path) -> io::Result<Vec<DirEntry>>;
    /// The identity of a file, used to load each file once: the canonical path
    /// on disk (symbolic links resolved), the normalized path in memory.
    fn canonical(&self, path: &Path) -> PathBuf;
    /// Whether `..` may climb above the first component of a relative path.
    /// False for in-memory sources, whose root cannot be escaped.
    fn is_virtual(&self) -> bool;
}

/// Removes `.` components and folds `..` into the preceding component,
/// without touching the file system. At the root of an absolute path `..`
/// stays at the root (as the OS does); for a relative path, climbing above
/// its first component returns `None`.
pub(crate) fn normalize(path: &Path) -> Option<PathBuf> {
    let mut out: Vec<Component<'_>> = Vec::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => match out.last() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                // At the root of an absolute path `..` stays at the root.
                Some(_) => {}
                None => return None,
            },
            other => out.push(other),
        }
    }
    Some(out.iter().collect())
}

/// Renders a path with forward slashes, whatever the platform.
pub(crate) fn slash_path(path: &Path) -> String {
    let mut out = String::new();
    for component in path.components() {
        match component {
            Component::RootDir => out.push('/'),
            Component::Prefix(prefix) => out.push_str(&prefix.as_os_str().to_string_lossy()),
            other => {
                if !out.is_empty() && !out.ends_with('/') {
                    out.push('/');
                }
                out.push_str(&other.as_os_str().to_string_lossy());
            }
        }
    }
    out
}

/// The real file system.
pub(crate) struct DiskStore;

impl Store for DiskStore {
    fn is_file(&self, path: &Path) -> bool {
        std::fs::metadata(path).is_ok_and(|m| m.is_file())
    }

    fn is_dir(&self, path: &Path) -> bool {
        std::fs::metadata(path).is_ok_and(|m| m.is_dir())
    }

    fn read(&self, path: &Path, max_size: u64) -> Result<Vec<u8>, ReadError> {
        use std::io::Read;
        let file = std::fs::File::open(path).map_err(ReadError::Io)?;
        let len = file.metadata().map_err(ReadError::Io)?.len();
        if len > max_size {
            return Err(ReadError::TooLarge(len));
        }
        // Read at most one byte past the cap, in case the file grew meanwhile.
        let mut bytes = Vec::with_capacity(len as usize);
        file.take(max_size.saturating_add(1))
            .read_to_end(&mut bytes)
            .map_err(ReadError::Io)?;
        if bytes.len() as u64 > max_size {
            return Err(ReadError::TooLarge(bytes.len() as u64));
        }
        Ok(bytes)
    }

    fn read_dir(&self, path: &Path) -> io::Result<Vec<DirEntry>> {
        let mut entries = Vec::new();
        for entry in std::fs::read_dir(path)? {
            let entry = entry?;
            let file_type = entry.file_type()?;
            let is_symlink = file_type.is_symlink();
            let is_dir = if is_symlink {
                std::fs::metadata(entry.path()).is_ok_and(|m| m.is_dir())
            } else {
                file_type.is_dir()
            };
            entries.push(DirEntry {
                name: entry.file_name().to_string_lossy().into_owned(),
                is_dir,
                is_symlink,
            });
        }
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(entries)
    }

    fn canonical(&self, path: &Path) -> PathBuf {
        std::fs::canonicalize(path)
            .ok()
            .or_else(|| normalize(path))
            .unwrap_or_else(|| path.to_path_buf())
    }

    fn is_virtual(&self) -> bool {
        false
    }
}

/// The disk, with some files' texts replaced: an editor's unsaved buffers
/// ([`crate::LoadOptions::overlay`]). Overlaid paths that do not exist on disk are files
/// all the same, listed in their folder.
pub(crate) struct OverlayStore<'a> {
    /// Keyed by [`DiskStore::canonical`] of the given paths.
    texts: BTreeMap<PathBuf, &'a Arc<str>>,
}

impl<'a> OverlayStore<'a> {
    pub(crate) fn new(overlay: &'a BTreeMap<PathBuf, Arc<str>>) -> Self {
        Self {
            texts: overlay
                .iter()
                .map(|(path, text)| (DiskStore.canonical(path), text))
                .collect(),
        }
    }

    fn text(&self, path: &Path) -> Option<&Arc<str>> {
        if self.texts.is_empty() {
            return None;
        }
        self.texts.get(&DiskStore.canonical(path)).copied()
    }
}

impl Store for OverlayStore<'_> {
    fn is_file(&self, path: &Path) -> bool {
        DiskStore.is_file(path) || self.text(path).is_some()
    }

    fn is_dir(&self, path: &Path) -> bool {
        DiskStore.is_dir(path)
    }

    fn read(&self, path: &Path, max_size: u64) -> Result<Vec<u8>, ReadError> {
        match self.text(path) {
            Some(text) if text.len() as u64 > max_size => {
                Err(ReadError::TooLarge(text.len() as u64))
            }
            Some(text) => Ok(text.as_bytes().to_vec()),
            None => DiskStore.read(path, max_size),
        }
    }

    fn read_dir(&self, path: &Path) -> io::Result<Vec<DirEntry>> {
        let mut entries = DiskStore.read_dir(path)?;
        if self.texts.is_empty() {
            return Ok(entries);
        }
        let dir = DiskStore.canonical(path);
        for overlaid in self.texts.keys() {
            if overlaid.parent() == Some(dir.as_path())
                && let Some(name) = overlaid.file_name()
            {
                let name = name.to_string_lossy().into_owned();
                if !entries.iter().any(|e| e.name == name) {
                    entries.push(DirEntry {
                        name,
                        is_dir: false,
                        is_symlink: false,
                    });
                }
            }
        }
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(entries)
    }

    fn canonical(&self, path: &Path) -> PathBuf {
        DiskStore.canonical(path)
    }

    fn is_virtual(&self) -> bool {
        false
    }
}

/// In-memory sources keyed by normalized relative paths (`src/Token.sol`).
/// The virtual root is the empty path.
pub(crate) struct MemoryStore {
    files: BTreeMap<PathBuf, Vec<u8>>,
}

impl MemoryStore {
    /// Builds the store from normalized relative paths.
    pub(crate) fn new(files: BTreeMap<PathBuf, Vec<u8>>) -> Self {
        Self { files }
    }

    pub(crate) fn paths(&self) -> impl Iterator<Item = &Path> {
        self.files.keys().map(PathBuf::as_path)
    }
}

/// Normalizes a virtual path for lookup: drops a leading `/`, so that `/a.sol`
/// and `a.sol` name the same source. `None` when it climbs above the root.
pub(crate) fn normalize_virtual(path: &Path) -> Option<PathBuf> {
    let relative: PathBuf = path
        .components()
        .filter(|c| !matches!(c, Component::RootDir | Component::Prefix(_)))
        .collect();
    normalize(&relative)
}

impl Store for MemoryStore {
    fn is_file(&self, path: &Path) -> bool {
        normalize_virtual(path).is_some_and(|p| self.files.contains_key(&p))
    }

    fn is_dir(&self, path: &Path) -> bool {
        let Some(dir) = normalize_virtual(path) else {
            return false;
        };
        self.files.keys().any(|p| p != &dir && p.starts_with(&dir))
    }

    fn read(&self, path: &Path, max_size: u64) -> Result<Vec<u8>, ReadError> {
        let not_found = || ReadError::Io(io::Error::from(io::ErrorKind::NotFound));
        let key = normalize_virtual(path).ok_or_else(not_found)?;
        let bytes = self.files.get(&key).ok_or_else(not_found)?;
        if bytes.len() as u64 > max_size {
            return Err(ReadError::TooLarge(bytes.len() as u64));
        }
        Ok(bytes.clone())
    }

    fn read_dir(&self, path: &Path) -> io::Result<Vec<DirEntry>> {
        let dir = normalize_virtual(path).ok_or(io::ErrorKind::NotFound)?;
        let mut entries: BTreeMap<String, bool> = BTreeMap::new();
        for key in self.files.keys() {
            let Ok(rest) = key.strip_prefix(&dir) else {
                continue;
            };
            let mut components = rest.components();
            let Some(first) = components.next() else {
                continue;
            };
            let is_dir = components.next().is_some();
            let name = first.as_os_str().to_string_lossy().into_owned();
            *entries.entry(name).or_insert(false) |= is_dir;
        }
        if entries.is_empty() {
            return Err(io::ErrorKind::NotFound.into());
        }
        Ok(entries
            .into_iter()
            .map(|(name, is_dir)| DirEntry {
                name,
                is_dir,
                is_symlink: false,
            })
            .collect())
    }

    fn canonical(&self, path: &Path) -> PathBuf {
        normalize_virtual(path).unwrap_or_else(|| path.to_path_buf())
    }

    fn is_virtual(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_folds_dots() {
        assert_eq!(
            normalize(Path::new("a/./b/../c.sol")),
            Some(PathBuf::from("a/c.sol"))
        );
        assert_eq!(
            normalize(Path::new("/a/../../b.sol")),
            Some(PathBuf::from("/b.sol"))
        );
        assert_eq!(normalize(Path::new("a/../../b.sol")), None);
        assert_eq!(normalize(Path::new("../b.sol")), None);
        assert_eq!(
            normalize_virtual(Path::new("/x/y.sol")),
            Some(PathBuf::from("x/y.sol"))
        );
    }

    #[test]
    fn slash_path_uses_forward_slashes() {
        assert_eq!(slash_path(Path::new("/a/b/c.sol")), "/a/b/c.sol");
        assert_eq!(slash_path(Path::new("a/b")), "a/b");
    }

    #[test]
    fn memory_store_lists_directories() {
        let store = MemoryStore::new(BTreeMap::from([
            (PathBuf::from("lib/a/src/A.sol"), b"a".to_vec()),
            (PathBuf::from("lib/b.sol"), b"b".to_vec()),
        ]));
        let names: Vec<_> = store
            .read_dir(Path::new("lib"))
            .unwrap()
            .into_iter()
            .map(|e| (e.name, e.is_dir))
            .collect();
        assert_eq!(names, [("a".to_owned(), true), ("b.sol".to_owned(), false)]);
        assert!(store.is_dir(Path::new("lib/a")));
        assert!(store.is_file(Path::new("/lib/b.sol")));
        assert!(!store.is_file(Path::new("../lib/b.sol")));
        assert!(matches!(
            store.read(Path::new("lib/b.sol"), 0),
            Err(ReadError::TooLarge(1))
        ));
    }
}
