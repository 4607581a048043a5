//! Loading the Rust sources of Solana programs (`LoadOptions::solana`): by Cargo package,
//! only packages that depend on a Solana crate, without tests, examples or `target/`.

use std::path::{Path, PathBuf};

use project::{LoadOptions, Project, ProjectError};

fn load(paths: &[PathBuf], options: &LoadOptions) -> Project {
    Project::load(paths, options).unwrap_or_else(|e| panic!("loading {paths:?}: {e}"))
}

/// Display paths of every loaded file, in id order.
fn displayed(project: &Project) -> Vec<&str> {
    project
        .files
        .iter()
        .map(|f| f.display_path.as_str())
        .collect()
}

/// Display paths of the reported files, in id order.
fn reported(project: &Project) -> Vec<&str> {
    project
        .reported_files()
        .map(|f| f.display_path.as_str())
        .collect()
}

fn write_tree(root: &Path, files: &[(&str, &str)]) {
    for (path, text) in files {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
}

fn solana() -> LoadOptions {
    LoadOptions {
        solana: true,
        ..LoadOptions::default()
    }
}

const ANCHOR: &str = "[package]\nname = \"vault\"\n[dependencies]\nanchor-lang = \"0.30\"\n";
const NATIVE: &str = "[package]\nname = \"counter\"\n[dependencies]\nsp = { package = \"solana-program\", version = \"2\" }\n";
const PLAIN: &str = "[package]\nname = \"tool\"\n[dependencies]\nserde = \"1\"\n[dev-dependencies]\nsolana-sdk = \"2\"\n";

/// An Anchor workspace with two programs, a client crate and the usual noise.
fn workspace(root: &Path) {
    write_tree(
        root,
        &[
            ("Anchor.toml", "[programs.localnet]\n"),
            (
                "Cargo.toml",
                "[workspace]\nmembers = [\"programs/*\", \"client\"]\n\
                 [profile.release]\noverflow-checks = true\n",
            ),
            ("programs/vault/Cargo.toml", ANCHOR),
            ("programs/vault/src/lib.rs", "pub mod state;\n"),
            ("programs/vault/src/state.rs", "pub struct S;\n"),
            ("programs/vault/tests/t.rs", "fn t() {}\n"),
            ("programs/vault/examples/e.rs", "fn e() {}\n"),
            ("programs/vault/benches/b.rs", "fn b() {}\n"),
            ("programs/counter/Cargo.toml", NATIVE),
            ("programs/counter/src/lib.rs", "fn c() {}\n"),
            ("client/Cargo.toml", PLAIN),
            ("client/src/main.rs", "fn main() {}\n"),
            ("target/debug/build/x/out.rs", "fn x() {}\n"),
            ("node_modules/p/src/lib.rs", "fn n() {}\n"),
            ("contracts/Token.sol", "contract Token {}\n"),
        ],
    );
}

#[test]
fn a_workspace_loads_its_programs_by_package() {
    let dir = tempfile::tempdir().unwrap();
    workspace(dir.path());
    let project = load(&[dir.path().to_path_buf()], &solana());
    assert_eq!(
        displayed(&project),
        [
            "contracts/Token.sol",
            "programs/counter/src/lib.rs",
            "programs/vault/src/lib.rs",
            "programs/vault/src/state.rs",
        ]
    );
    assert_eq!(reported(&project), displayed(&project));
    let packages: Vec<(&str, Option<&str>, usize, bool)> = project
        .rust_packages
        .iter()
        .map(|p| {
            (
                p.root.as_str(),
                p.name.as_deref(),
                p.files.len(),
                p.overflow_checks,
            )
        })
        .collect();
    assert_eq!(
        packages,
        [
            ("programs/counter", Some("counter"), 1, true),
            ("programs/vault", Some("vault"), 2, true),
        ]
    );
    for package in &project.rust_packages {
        for &id in &package.files {
            let file = project.file(id);
            assert!(file.rust && file.vyper.is_none());
            assert!(file.parse.diagnostics().is_empty() && file.imports.is_empty());
        }
    }
    assert!(
        !project
            .file_by_display_path("contracts/Token.sol")
            .unwrap()
            .rust
    );
}

#[test]
fn without_the_option_rust_is_not_loaded() {
    let dir = tempfile::tempdir().unwrap();
    workspace(dir.path());
    let project = load(&[dir.path().to_path_buf()], &LoadOptions::default());
    assert_eq!(displayed(&project), ["contracts/Token.sol"]);
    assert!(project.rust_packages.is_empty());
}

#[test]
fn a_program_folder_inside_a_workspace_keeps_the_workspace_profile() {
    let dir = tempfile::tempdir().unwrap();
    workspace(dir.path());
    let project = load(&[dir.path().join("programs/vault")], &solana());
    assert_eq!(displayed(&project), ["src/lib.rs", "src/state.rs"]);
    assert_eq!(project.rust_packages.len(), 1);
    assert_eq!(project.rust_packages[0].root, "");
    assert!(project.rust_packages[0].overflow_checks);
    // A folder below the package: the package's files there.
    let project = load(&[dir.path().join("programs/vault/src")], &solana());
    assert_eq!(displayed(&project), ["lib.rs", "state.rs"]);
    assert_eq!(project.rust_packages[0].name.as_deref(), Some("vault"));
}

#[test]
fn only_rust_programs_is_a_project_and_no_program_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    write_tree(
        dir.path(),
        &[
            ("p/Cargo.toml", ANCHOR),
            ("p/src/lib.rs", "fn f() {}\n"),
            ("tool/Cargo.toml", PLAIN),
            ("tool/src/main.rs", "fn main() {}\n"),
            ("loose/main.rs", "fn main() {}\n"),
        ],
    );
    let project = load(&[dir.path().to_path_buf()], &solana());
    assert_eq!(displayed(&project), ["p/src/lib.rs"]);
    let error = Project::load(&[dir.path().join("tool")], &solana()).unwrap_err();
    assert!(matches!(error, ProjectError::NoSourceFiles(_)));
    assert!(
        error
            .to_string()
            .starts_with("no .sol or .vy files nor Rust sources of Solana programs found in `"),
        "{error}"
    );
}

#[test]
fn an_explicit_file_brings_its_package_and_a_lone_file_stands_alone() {
    let dir = tempfile::tempdir().unwrap();
    workspace(dir.path());
    write_tree(dir.path(), &[("scratch/probe.rs", "fn p() {}\n")]);
    let project = load(&[dir.path().join("programs/vault/src/lib.rs")], &solana());
    // Its package's other files are analysed with it, but only it is reported.
    assert_eq!(displayed(&project), ["lib.rs", "state.rs"]);
    assert_eq!(reported(&project), ["lib.rs"]);
    assert_eq!(project.rust_packages.len(), 1);
    assert_eq!(project.rust_packages[0].files.len(), 2);

    let lone = dir.path().join("scratch/probe.rs");
    let project = load(&[lone], &solana());
    assert_eq!(displayed(&project), ["probe.rs"]);
    assert_eq!(project.rust_packages.len(), 1);
    assert_eq!(project.rust_packages[0].name, None);
    assert!(!project.rust_packages[0].overflow_checks);
}

#[test]
fn a_broken_manifest_is_a_diagnostic() {
    let dir = tempfile::tempdir().unwrap();
    write_tree(
        dir.path(),
        &[
            ("p/Cargo.toml", "[package]\nname = \"p\nbroken"),
            ("p/src/lib.rs", "fn f() {}\n"),
            ("A.sol", "contract A {}\n"),
        ],
    );
    let project = load(&[dir.path().to_path_buf()], &solana());
    assert_eq!(displayed(&project), ["A.sol"]);
    assert!(
        project
            .diagnostics
            .iter()
            .any(|d| d.message.starts_with("cannot read `") && d.message.contains("Cargo.toml")),
        "{:?}",
        project.diagnostics
    );
}

/// In-memory sources (as the audit service receives them) load Solana programs the same
/// way: by the package `Cargo.toml` among them, tests and other crates left out.
#[test]
fn in_memory_sources_load_solana_programs_by_their_manifest() {
    let sources: std::collections::BTreeMap<String, String> = [
        ("programs/vault/Cargo.toml", ANCHOR),
        ("programs/vault/src/lib.rs", "pub mod state;\n"),
        ("programs/vault/src/state.rs", "pub struct Vault;\n"),
        ("programs/vault/tests/flow.rs", "fn flow() {}\n"),
        ("client/Cargo.toml", PLAIN),
        ("client/src/main.rs", "fn main() {}\n"),
        ("loose/lib.rs", "fn loose() {}\n"),
        ("src/Token.sol", "contract Token {}\n"),
    ]
    .into_iter()
    .map(|(p, t)| (p.to_owned(), t.to_owned()))
    .collect();
    let project = Project::from_sources(sources.clone(), &solana());
    let mut shown = displayed(&project);
    shown.sort();
    assert_eq!(
        shown,
        [
            "programs/vault/src/lib.rs",
            "programs/vault/src/state.rs",
            "src/Token.sol"
        ]
    );
    assert_eq!(project.rust_packages.len(), 1);
    assert_eq!(project.rust_packages[0].name.as_deref(), Some("vault"));
    assert!(project.files.iter().filter(|f| f.rust).all(|f| f.reported));

    // Without the option, only Solidity and Vyper.
    let plain = Project::from_sources(sources, &LoadOptions::default());
    assert_eq!(displayed(&plain), ["src/Token.sol"]);
    assert!(plain.rust_packages.is_empty());
}
