//! Loading behaviour that does not depend on import directives: project
//! detection, discovery, reporting scope, errors and file-level diagnostics.
//! (Import following is tested in `imports.rs`.)

use std::collections::BTreeMap;
use std::path::PathBuf;

use project::{DiagnosticKind, LoadOptions, Project, ProjectError, ProjectKind};

mod common;

use common::{displayed, fixture, load, reported};

fn options_with(f: impl FnOnce(&mut LoadOptions)) -> LoadOptions {
    let mut options = LoadOptions::default();
    f(&mut options);
    options
}

#[test]
fn foundry_root_is_found_from_a_nested_folder() {
    let project = load(&[fixture("foundry/src/legacy")], &LoadOptions::default());
    assert_eq!(project.kind, ProjectKind::Foundry);
    assert_eq!(project.root, fixture("foundry").canonicalize().unwrap());
    assert!(project.file_by_display_path("src/legacy/Old.sol").is_some());
    assert_eq!(reported(&project), ["src/legacy/Old.sol"]);
}

#[test]
fn foundry_discovery_skips_lib_out_and_cache() {
    let project = load(&[fixture("foundry")], &LoadOptions::default());
    let files = displayed(&project);
    for root in [
        "script/Deploy.s.sol",
        "src/Vault.sol",
        "src/interfaces/IVault.sol",
        "src/legacy/Old.sol",
        "src/libraries/Math.sol",
        "test/Vault.t.sol",
    ] {
        assert!(files.contains(&root), "{root} not loaded: {files:?}");
    }
    assert!(
        !files
            .iter()
            .any(|f| f.starts_with("out/") || f.starts_with("cache/")),
        "{files:?}"
    );
    // Unused library files are never loaded.
    assert!(!files.contains(&"lib/openzeppelin-contracts/contracts/access/Ownable.sol"));
    // Tests, scripts and libraries are analysed but not reported.
    assert_eq!(
        reported(&project),
        [
            "src/Vault.sol",
            "src/interfaces/IVault.sol",
            "src/legacy/Old.sol",
            "src/libraries/Math.sol"
        ]
    );
}

#[test]
fn ids_follow_display_order_and_loading_is_deterministic() {
    let first = load(&[fixture("foundry")], &LoadOptions::default());
    let second = load(&[fixture("foundry")], &LoadOptions::default());
    assert_eq!(displayed(&first), displayed(&second));
    let mut sorted = displayed(&first);
    sorted.sort_unstable();
    assert_eq!(displayed(&first), sorted);
    for (index, file) in first.files.iter().enumerate() {
        assert_eq!(file.id.0 as usize, index);
        assert_eq!(first.file(file.id).display_path, file.display_path);
        assert_eq!(
            first.file_by_display_path(&file.display_path).map(|f| f.id),
            Some(file.id)
        );
    }
}

#[test]
fn explicit_test_file_is_reported_unless_excluded() {
    let input = [fixture("foundry/test/Vault.t.sol")];
    let project = load(&input, &LoadOptions::default());
    assert_eq!(project.kind, ProjectKind::Foundry);
    assert!(
        project
            .file_by_display_path("test/Vault.t.sol")
            .unwrap()
            .reported
    );

    let excluded = load(
        &input,
        &options_with(|o| o.exclude = vec!["test/**".into()]),
    );
    assert!(
        !excluded
            .file_by_display_path("test/Vault.t.sol")
            .unwrap()
            .reported
    );
}

#[test]
fn include_globs_override_excludes() {
    let options = options_with(|o| {
        o.include = vec!["test".into(), "src/legacy/Old.sol".into()];
        o.exclude = vec!["src/legacy/**".into(), "src/*.sol".into()];
    });
    let project = load(&[fixture("foundry")], &options);
    assert_eq!(
        reported(&project),
        [
            "src/interfaces/IVault.sol",
            "src/legacy/Old.sol",
            "src/libraries/Math.sol",
            "test/Vault.t.sol"
        ]
    );
}

#[test]
fn default_excludes_can_be_turned_off() {
    let project = load(
        &[fixture("foundry")],
        &options_with(|o| o.use_default_excludes = false),
    );
    let shown = reported(&project);
    assert!(
        shown.contains(&"test/Vault.t.sol") && shown.contains(&"script/Deploy.s.sol"),
        "{shown:?}"
    );
    // Files only reached through imports stay dependencies.
    assert!(!shown.iter().any(|f| f.starts_with("lib/")), "{shown:?}");
}

#[test]
fn hardhat_project_skips_node_modules_and_artifacts() {
    let project = load(&[fixture("hardhat/contracts")], &LoadOptions::default());
    assert_eq!(project.kind, ProjectKind::Hardhat);
    assert_eq!(project.root, fixture("hardhat").canonicalize().unwrap());
    assert_eq!(
        reported(&project),
        ["contracts/Token.sol", "contracts/math/SafeMath.sol"]
    );

    let whole = load(&[fixture("hardhat")], &LoadOptions::default());
    let files = displayed(&whole);
    assert!(files.contains(&"test/Helper.sol"));
    assert!(
        !files.iter().any(|f| f.starts_with("artifacts/")),
        "{files:?}"
    );
    assert!(!files.contains(&"node_modules/@openzeppelin/contracts/utils/Unused.sol"));
    assert_eq!(
        reported(&whole),
        ["contracts/Token.sol", "contracts/math/SafeMath.sol"]
    );
}

#[test]
fn truffle_root_is_found_by_walking_up() {
    let project = load(
        &[fixture("monorepo/packages/app/contracts/App.sol")],
        &LoadOptions::default(),
    );
    assert_eq!(project.kind, ProjectKind::Truffle);
    assert_eq!(
        project.root,
        fixture("monorepo/packages/app").canonicalize().unwrap()
    );
    assert_eq!(reported(&project), ["contracts/App.sol"]);
}

#[test]
fn plain_folder_and_single_file() {
    let folder = load(&[fixture("plain")], &LoadOptions::default());
    assert_eq!(folder.kind, ProjectKind::Folder);
    assert_eq!(displayed(&folder), ["A.sol", "B.sol", "sub/C.sol"]);
    assert_eq!(reported(&folder), ["A.sol", "B.sol", "sub/C.sol"]);

    let file = load(&[fixture("plain/sub/C.sol")], &LoadOptions::default());
    assert_eq!(file.kind, ProjectKind::File);
    assert_eq!(file.root, fixture("plain/sub").canonicalize().unwrap());
    assert_eq!(reported(&file), ["C.sol"]);
}

#[test]
fn environment_failures_are_errors() {
    let missing = fixture("does-not-exist");
    assert!(matches!(
        Project::load(std::slice::from_ref(&missing), &LoadOptions::default()),
        Err(ProjectError::InputNotFound(path)) if path == missing
    ));
    let error = Project::load(&[fixture("empty")], &LoadOptions::default()).unwrap_err();
    assert!(matches!(error, ProjectError::NoSolidityFiles(_)));
    assert!(
        error
            .to_string()
            .starts_with("no .sol or .vy files found in `"),
        "{error}"
    );
    assert!(matches!(
        Project::load(&[], &LoadOptions::default()),
        Err(ProjectError::NoSolidityFiles(_))
    ));
    assert!(matches!(
        Project::load(&[fixture("empty/README.txt")], &LoadOptions::default()),
        Err(ProjectError::NoSolidityFiles(_))
    ));
}

#[test]
fn non_solidity_input_is_a_diagnostic_next_to_other_inputs() {
    let project = load(
        &[fixture("plain"), fixture("foundry/foundry.toml")],
        &LoadOptions::default(),
    );
    let config: Vec<_> = project
        .diagnostics
        .iter()
        .filter(|d| d.kind == DiagnosticKind::Config)
        .collect();
    assert_eq!(config.len(), 1, "{:?}", project.diagnostics);
    assert!(
        config[0].message.starts_with("ignored input `"),
        "{}",
        config[0].message
    );
    assert!(
        config[0]
            .message
            .ends_with("foundry.toml`: not a .sol or .vy file"),
        "{}",
        config[0].message
    );
}

#[test]
fn invalid_utf8_is_converted_and_oversized_files_are_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let mut bad = b"contract A { string s = \"".to_vec();
    let at = bad.len() as u32;
    bad.extend_from_slice(b"\xff\xfe\"; }\n");
    std::fs::write(dir.path().join("Bad.sol"), &bad).unwrap();
    std::fs::write(dir.path().join("Big.sol"), "contract Big {}\n".repeat(20)).unwrap();
    std::fs::write(dir.path().join("Ok.sol"), "contract Ok {}\n").unwrap();

    let project = load(
        &[dir.path().to_path_buf()],
        &options_with(|o| o.max_file_size = 100),
    );
    assert_eq!(displayed(&project), ["Bad.sol", "Ok.sol"]);
    let bad_file = project.file_by_display_path("Bad.sol").unwrap();
    assert!(bad_file.text.contains('\u{FFFD}'));

    let kinds: Vec<_> = project
        .diagnostics
        .iter()
        .map(|d| (d.kind, d.file, d.path.as_deref()))
        .collect();
    assert_eq!(
        kinds,
        [
            (DiagnosticKind::TooLarge, None, Some("Big.sol")),
            (
                DiagnosticKind::InvalidUtf8,
                Some(bad_file.id),
                Some("Bad.sol")
            ),
        ]
    );
    let utf8 = &project.diagnostics[1];
    assert_eq!(utf8.span.map(|s| s.lo), Some(at));
    assert_eq!(
        utf8.message,
        "`Bad.sol` is not valid UTF-8; invalid bytes were replaced by U+FFFD"
    );
    assert_eq!(
        project.diagnostics[0].message,
        "cannot load `Big.sol`: file is 320 bytes, over the size limit"
    );
}

#[test]
fn broken_foundry_toml_falls_back_to_defaults() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("foundry.toml"), "[profile.default\nsrc = 1").unwrap();
    std::fs::create_dir_all(dir.path().join("src")).unwrap();
    std::fs::create_dir_all(dir.path().join("lib/dep")).unwrap();
    std::fs::write(dir.path().join("src/A.sol"), "contract A {}\n").unwrap();
    std::fs::write(dir.path().join("lib/dep/D.sol"), "contract D {}\n").unwrap();

    let project = load(
        &[dir.path().to_path_buf()],
        &options_with(|o| o.remappings = vec!["nope".into()]),
    );
    assert_eq!(project.kind, ProjectKind::Foundry);
    assert_eq!(
        displayed(&project),
        ["src/A.sol"],
        "the default `lib` folder is not discovered"
    );
    let messages: Vec<&str> = project
        .diagnostics
        .iter()
        .map(|d| d.message.as_str())
        .collect();
    assert_eq!(messages.len(), 2, "{messages:?}");
    assert!(
        messages
            .iter()
            .any(|m| m.starts_with("cannot parse `foundry.toml`, using defaults: "))
    );
    assert!(messages.contains(&"ignored remapping `nope` has no `=` (from the options)"));
    assert!(
        project
            .diagnostics
            .iter()
            .all(|d| d.kind == DiagnosticKind::Config)
    );
}

#[cfg(unix)]
#[test]
fn symlinked_folders_do_not_loop() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("a")).unwrap();
    std::fs::write(dir.path().join("a/A.sol"), "contract A {}\n").unwrap();
    std::os::unix::fs::symlink(dir.path(), dir.path().join("a/loop")).unwrap();
    let project = load(&[dir.path().to_path_buf()], &LoadOptions::default());
    assert_eq!(displayed(&project), ["a/A.sol"]);
}

#[test]
fn in_memory_paths_are_normalized_and_cannot_escape() {
    let sources: BTreeMap<String, String> = [
        ("./src/A.sol", "contract A {}"),
        ("/src/B.sol", "contract B {}"),
        ("src\\win\\C.sol", "contract C {}"),
        ("src/x/../D.sol", "contract D {}"),
        ("../../etc/E.sol", "contract E {}"),
        ("src/../../F.sol", "contract F {}"),
        ("test/A.t.sol", "contract T {}"),
        ("notes.md", "not solidity"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let project = Project::from_sources(sources, &LoadOptions::default());
    assert_eq!(project.kind, ProjectKind::InMemory);
    assert_eq!(project.root, PathBuf::new());
    assert_eq!(
        displayed(&project),
        [
            "src/A.sol",
            "src/B.sol",
            "src/D.sol",
            "src/win/C.sol",
            "test/A.t.sol"
        ]
    );
    assert_eq!(
        reported(&project),
        ["src/A.sol", "src/B.sol", "src/D.sol", "src/win/C.sol"]
    );
    let messages: Vec<&str> = project
        .diagnostics
        .iter()
        .map(|d| d.message.as_str())
        .collect();
    assert_eq!(
        messages,
        [
            "ignored source `../../etc/E.sol`: the path climbs above the root of the sources or is empty",
            "ignored source `src/../../F.sol`: the path climbs above the root of the sources or is empty",
        ]
    );
}

#[test]
fn in_memory_without_solidity_is_an_empty_project() {
    let sources = BTreeMap::from([("README.md".to_owned(), "hi".to_owned())]);
    let project = Project::from_sources(sources, &LoadOptions::default());
    assert!(project.files.is_empty());
    assert_eq!(project.diagnostics.len(), 1);
    assert_eq!(
        project.diagnostics[0].message,
        "no .sol or .vy sources given"
    );
}
