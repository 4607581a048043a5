//! Unsaved buffers: [`LoadOptions::overlay`] texts stand in for files on disk, and
//! [`Project::detect_root`] finds the project a path belongs to.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use project::{LoadOptions, Project, ProjectKind};

fn write(root: &Path, path: &str, text: &str) -> PathBuf {
    let path = root.join(path);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, text).unwrap();
    path
}

/// A Foundry project whose `src/Vault.sol` imports `lib/math/Math.sol` through a remapping.
fn foundry() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "foundry.toml",
        "[profile.default]\nsrc = \"src\"\n",
    );
    write(dir.path(), "remappings.txt", "math/=lib/math/\n");
    write(
        dir.path(),
        "lib/math/Math.sol",
        "pragma solidity 0.8.24;\nlibrary Math {}\n",
    );
    write(
        dir.path(),
        "src/Vault.sol",
        "pragma solidity 0.8.24;\nimport \"math/Math.sol\";\ncontract Vault {}\n",
    );
    dir
}

fn overlay(entries: &[(&Path, &str)]) -> LoadOptions {
    LoadOptions {
        overlay: entries
            .iter()
            .map(|(path, text)| (path.to_path_buf(), Arc::<str>::from(*text)))
            .collect::<BTreeMap<_, _>>(),
        ..LoadOptions::default()
    }
}

#[test]
fn an_overlaid_text_replaces_the_file_on_disk_and_its_imports_follow_it() {
    let dir = foundry();
    let vault = dir.path().join("src/Vault.sol");
    let edited = "pragma solidity 0.8.24;\ncontract Vault { function f() external {} }\n";
    let project = Project::load(
        std::slice::from_ref(&vault),
        &overlay(&[(vault.as_path(), edited)]),
    )
    .unwrap();
    assert_eq!(project.kind, ProjectKind::Foundry);
    let file = project.file_by_display_path("src/Vault.sol").unwrap();
    assert_eq!(&*file.text, edited);
    // The unsaved text no longer imports the library.
    assert!(project.file_by_display_path("lib/math/Math.sol").is_none());

    let on_disk = Project::load(&[vault], &LoadOptions::default()).unwrap();
    assert!(on_disk.file_by_display_path("lib/math/Math.sol").is_some());
}

#[test]
fn an_overlaid_path_missing_on_disk_is_a_file_and_is_discovered() {
    let dir = foundry();
    let new = dir.path().join("src/New.sol");
    let text = "pragma solidity 0.8.24;\nimport \"./Vault.sol\";\ncontract New is Vault {}\n";
    let options = overlay(&[(new.as_path(), text)]);

    let project = Project::load(std::slice::from_ref(&new), &options).unwrap();
    assert!(project.file_by_display_path("src/New.sol").is_some());
    assert!(project.file_by_display_path("src/Vault.sol").is_some());

    let whole = Project::load(&[dir.path().to_path_buf()], &options).unwrap();
    let reported: Vec<&str> = whole
        .reported_files()
        .map(|f| f.display_path.as_str())
        .collect();
    assert_eq!(reported, ["src/New.sol", "src/Vault.sol"]);
}

#[test]
fn detect_root_finds_the_nearest_project_marker() {
    let dir = foundry();
    let root = dir.path().canonicalize().unwrap();
    for path in ["src/Vault.sol", "src/Unsaved.sol", "lib/math", ""] {
        assert_eq!(
            Project::detect_root(&dir.path().join(path)),
            Some((root.clone(), ProjectKind::Foundry)),
            "{path}"
        );
    }
    let outside = tempfile::tempdir().unwrap();
    let lone = write(outside.path(), "Lone.sol", "contract Lone {}\n");
    assert_eq!(Project::detect_root(&lone), None);
}
