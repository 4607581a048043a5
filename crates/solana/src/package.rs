//! Grouping a directory listing into Cargo packages (pure: the caller lists
//! the files and reads the `Cargo.toml` texts).
//!
//! Rules: a `.rs` file belongs to the package of the nearest enclosing
//! directory whose `Cargo.toml` has a `[package]` section. Skipped: anything
//! under a `target/` directory, and the package's `tests/`, `benches/` and
//! `examples/` directories (they are not part of the deployed program). Files
//! with no enclosing package are grouped by their directory, so loose
//! programs are still analysed.

use crate::Options;

/// The `.rs` files of one package.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PackageFiles {
    /// The package directory (`""` for the listing root).
    pub root: String,
    /// The `name` of `[package]`, when found.
    pub name: Option<String>,
    /// Paths of its `.rs` files, sorted.
    pub files: Vec<String>,
    /// Settings read from the package's and its workspace's `Cargo.toml`.
    pub options: Options,
}

fn parent(path: &str) -> &str {
    path.rfind('/').map(|i| &path[..i]).unwrap_or("")
}

fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_owned()
    } else {
        format!("{dir}/{name}")
    }
}

fn section<'t>(toml: &'t str, header: &str) -> Option<&'t str> {
    let start = toml.lines().position(|l| l.trim() == header)?;
    let lines: Vec<&str> = toml.lines().collect();
    let body_start: usize = lines.iter().take(start + 1).map(|l| l.len() + 1).sum();
    let rest = toml.get(body_start.min(toml.len())..)?;
    let end = rest
        .lines()
        .scan(0usize, |off, l| {
            let here = *off;
            *off += l.len() + 1;
            Some((here, l))
        })
        .find(|(_, l)| l.trim_start().starts_with('['))
        .map(|(o, _)| o)
        .unwrap_or(rest.len());
    rest.get(..end)
}

fn package_name(toml: &str) -> Option<String> {
    let body = section(toml, "[package]")?;
    body.lines().find_map(|l| {
        let (k, v) = l.split_once('=')?;
        (k.trim() == "name").then(|| v.trim().trim_matches('"').to_owned())
    })
}

fn overflow_checks(toml: &str) -> bool {
    section(toml, "[profile.release]").is_some_and(|b| {
        b.lines().any(|l| {
            l.split_once('=')
                .is_some_and(|(k, v)| k.trim() == "overflow-checks" && v.trim().starts_with("true"))
        })
    })
}

/// Groups `.rs` paths (`/`-separated, relative to one root) into packages.
/// `manifests` are the `(path, text)` of every `Cargo.toml` in the listing.
pub fn group_packages(paths: &[String], manifests: &[(String, String)]) -> Vec<PackageFiles> {
    let manifest_of = |dir: &str| {
        let p = join(dir, "Cargo.toml");
        manifests
            .iter()
            .find(|(m, _)| *m == p)
            .map(|(_, t)| t.as_str())
    };
    let mut packages: Vec<PackageFiles> = Vec::new();
    for path in paths {
        if !path.ends_with(".rs") || path.split('/').any(|c| c == "target") {
            continue;
        }
        // The nearest directory with a `[package]` manifest.
        let mut dir = parent(path);
        let mut found = None;
        for _ in 0..64 {
            if let Some(text) = manifest_of(dir)
                && text.lines().any(|l| l.trim() == "[package]")
            {
                found = Some(dir);
                break;
            }
            if dir.is_empty() {
                break;
            }
            dir = parent(dir);
        }
        let root = found.unwrap_or_else(|| parent(path)).to_owned();
        if found.is_some() {
            let inside = path.get(root.len()..).unwrap_or("").trim_start_matches('/');
            let first = inside.split('/').next().unwrap_or("");
            if matches!(first, "tests" | "benches" | "examples") {
                continue;
            }
        }
        match packages.iter_mut().find(|p| p.root == root) {
            Some(p) => p.files.push(path.clone()),
            None => {
                let text = found.and_then(manifest_of);
                // Overflow checks: the package's manifest or any ancestor's (workspace).
                let mut checks = false;
                let mut d = root.as_str();
                for _ in 0..64 {
                    checks |= manifest_of(d).is_some_and(overflow_checks);
                    if d.is_empty() {
                        break;
                    }
                    d = parent(d);
                }
                packages.push(PackageFiles {
                    name: text.and_then(package_name),
                    root,
                    files: vec![path.clone()],
                    options: Options {
                        overflow_checks: checks,
                    },
                });
            }
        }
    }
    for p in &mut packages {
        p.files.sort();
    }
    packages.sort_by(|a, b| a.root.cmp(&b.root));
    packages
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_by_nearest_package_and_reads_overflow_checks() {
        let paths: Vec<String> = [
            "programs/a/src/lib.rs",
            "programs/a/src/instructions/x.rs",
            "programs/a/tests/t.rs",
            "programs/b/src/lib.rs",
            "target/debug/build/x.rs",
            "loose/main.rs",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let manifests = vec![
            (
                "Cargo.toml".to_owned(),
                "[workspace]\nmembers = []\n[profile.release]\noverflow-checks = true\n".to_owned(),
            ),
            (
                "programs/a/Cargo.toml".to_owned(),
                "[package]\nname = \"a\"\n".to_owned(),
            ),
            (
                "programs/b/Cargo.toml".to_owned(),
                "[package]\nname = \"b\"\n".to_owned(),
            ),
        ];
        let groups = group_packages(&paths, &manifests);
        assert_eq!(groups.len(), 3);
        assert_eq!(groups[1].root, "programs/a");
        assert_eq!(groups[1].name.as_deref(), Some("a"));
        assert_eq!(groups[1].files.len(), 2);
        assert!(groups[1].options.overflow_checks);
        assert_eq!(groups[0].root, "loose");
    }
}
