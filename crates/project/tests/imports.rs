//! End-to-end import following: these tests need `syntax::parse` to report
//! the import directives of each file.

use std::collections::BTreeMap;

use project::{
    DiagnosticKind, DiagnosticLevel, LoadOptions, Project, ProjectDiagnostic, SourceFile,
};

mod common;

use common::{displayed, fixture, load, reported};

fn file<'a>(project: &'a Project, display_path: &str) -> &'a SourceFile {
    project
        .file_by_display_path(display_path)
        .unwrap_or_else(|| panic!("`{display_path}` not loaded: {:?}", displayed(project)))
}

/// The display paths the imports of `display_path` resolved to.
fn imports_of<'a>(project: &'a Project, display_path: &str) -> Vec<Option<&'a str>> {
    file(project, display_path)
        .imports
        .iter()
        .map(|id| id.map(|id| project.file(id).display_path.as_str()))
        .collect()
}

/// Checks an unresolved-import diagnostic: it points at the quoted path
/// literal of `import` in `display_path` and its message starts as expected.
fn assert_unresolved(
    project: &Project,
    diagnostic: &ProjectDiagnostic,
    display_path: &str,
    import: &str,
    message_start: &str,
) {
    let source = file(project, display_path);
    assert_eq!(diagnostic.kind, DiagnosticKind::UnresolvedImport);
    assert_eq!(diagnostic.severity, DiagnosticLevel::Error);
    assert_eq!(diagnostic.file, Some(source.id));
    assert_eq!(diagnostic.path.as_deref(), Some(display_path));
    let span = diagnostic.span.expect("an unresolved import has a span");
    let literal = format!("\"{import}\"");
    let expected_lo = source
        .text
        .find(&literal)
        .expect("the import is in the text") as u32;
    assert_eq!(
        span.text(&source.text).trim_matches('"'),
        import,
        "span {span:?} does not cover the path literal"
    );
    assert!(
        (expected_lo..=expected_lo + 1).contains(&span.lo),
        "span {span:?}"
    );
    assert!(
        diagnostic.message.starts_with(message_start),
        "{}",
        diagnostic.message
    );
}

#[test]
fn foundry_imports_follow_remappings_and_libraries() {
    let project = load(&[fixture("foundry")], &LoadOptions::default());
    assert_eq!(project.diagnostics, [], "every import resolves");
    assert_eq!(
        displayed(&project),
        [
            "lib/forge-std/src/Script.sol",
            "lib/forge-std/src/Test.sol",
            "lib/forge-std/src/Vm.sol",
            "lib/openzeppelin-contracts/contracts/token/ERC20/ERC20.sol",
            "lib/openzeppelin-contracts/contracts/token/ERC20/IERC20.sol",
            "lib/openzeppelin-contracts/contracts/utils/Context.sol",
            "script/Deploy.s.sol",
            "src/Vault.sol",
            "src/interfaces/IVault.sol",
            "src/legacy/Old.sol",
            "src/libraries/Math.sol",
            "test/Vault.t.sol",
        ]
    );
    // `@openzeppelin/contracts/` is inferred from `lib/openzeppelin-contracts/contracts/`,
    // `src/libraries/Math.sol` is relative to the root.
    assert_eq!(
        imports_of(&project, "src/Vault.sol"),
        [
            Some("lib/openzeppelin-contracts/contracts/token/ERC20/ERC20.sol"),
            Some("src/interfaces/IVault.sol"),
            Some("src/libraries/Math.sol"),
        ]
    );
    // The context-specific remapping `src/legacy:@oz/=...` from foundry.toml.
    assert_eq!(
        imports_of(&project, "src/legacy/Old.sol"),
        [Some(
            "lib/openzeppelin-contracts/contracts/utils/Context.sol"
        )]
    );
    // remappings.txt, then relative imports inside the library.
    assert_eq!(
        imports_of(&project, "test/Vault.t.sol"),
        [Some("lib/forge-std/src/Test.sol"), Some("src/Vault.sol")]
    );
    assert_eq!(
        imports_of(&project, "lib/forge-std/src/Test.sol"),
        [Some("lib/forge-std/src/Vm.sol")]
    );
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
fn files_reached_only_through_imports_are_dependencies() {
    let project = load(&[fixture("foundry/src/Vault.sol")], &LoadOptions::default());
    assert_eq!(
        displayed(&project),
        [
            "lib/openzeppelin-contracts/contracts/token/ERC20/ERC20.sol",
            "lib/openzeppelin-contracts/contracts/token/ERC20/IERC20.sol",
            "lib/openzeppelin-contracts/contracts/utils/Context.sol",
            "src/Vault.sol",
            "src/interfaces/IVault.sol",
            "src/libraries/Math.sol",
        ]
    );
    assert_eq!(reported(&project), ["src/Vault.sol"]);

    let included = load(
        &[fixture("foundry/src/Vault.sol")],
        &LoadOptions {
            include: vec!["src/**".into()],
            ..LoadOptions::default()
        },
    );
    assert_eq!(
        reported(&included),
        [
            "src/Vault.sol",
            "src/interfaces/IVault.sol",
            "src/libraries/Math.sol"
        ]
    );
}

#[test]
fn hardhat_imports_resolve_through_node_modules() {
    let project = load(&[fixture("hardhat/contracts")], &LoadOptions::default());
    assert_eq!(project.diagnostics, []);
    assert_eq!(
        displayed(&project),
        [
            "contracts/Token.sol",
            "contracts/math/SafeMath.sol",
            "node_modules/@openzeppelin/contracts/token/ERC20/ERC20.sol",
            "node_modules/@openzeppelin/contracts/token/ERC20/IERC20.sol",
            "node_modules/@openzeppelin/contracts/utils/Context.sol",
        ]
    );
    assert_eq!(
        imports_of(
            &project,
            "node_modules/@openzeppelin/contracts/token/ERC20/ERC20.sol"
        ),
        [
            Some("node_modules/@openzeppelin/contracts/token/ERC20/IERC20.sol"),
            Some("node_modules/@openzeppelin/contracts/utils/Context.sol"),
        ]
    );
    assert_eq!(
        reported(&project),
        ["contracts/Token.sol", "contracts/math/SafeMath.sol"]
    );
}

#[test]
fn node_modules_is_found_above_the_project_root() {
    let project = load(&[fixture("monorepo/packages/app")], &LoadOptions::default());
    assert_eq!(project.diagnostics, []);
    let shared = fixture("monorepo/node_modules/shared-lib/contracts/Shared.sol")
        .canonicalize()
        .unwrap();
    let [dependency, app] = &project.files[..] else {
        panic!("{:?}", displayed(&project))
    };
    // A file outside the root is shown by its absolute path (which sorts first).
    assert_eq!(dependency.path, shared);
    assert!(dependency.display_path.starts_with('/'));
    assert!(
        dependency
            .display_path
            .ends_with("monorepo/node_modules/shared-lib/contracts/Shared.sol")
    );
    assert!(!dependency.reported);
    assert_eq!(app.display_path, "contracts/App.sol");
    assert!(app.reported);
    assert_eq!(app.imports, [Some(dependency.id)]);
}

#[test]
fn cycles_load_each_file_once_and_unresolved_imports_are_diagnostics() {
    let project = load(&[fixture("plain/A.sol")], &LoadOptions::default());
    assert_eq!(displayed(&project), ["A.sol", "B.sol", "sub/C.sol"]);
    assert_eq!(reported(&project), ["A.sol"]);
    assert_eq!(imports_of(&project, "A.sol"), [Some("B.sol"), None]);
    assert_eq!(
        imports_of(&project, "B.sol"),
        [Some("A.sol"), Some("sub/C.sol")]
    );
    assert_eq!(imports_of(&project, "sub/C.sol"), [Some("A.sol"), None]);

    let [gone, package] = &project.diagnostics[..] else {
        panic!("{:#?}", project.diagnostics)
    };
    assert_unresolved(
        &project,
        gone,
        "A.sol",
        "./missing/Gone.sol",
        "unresolved import `./missing/Gone.sol`: tried `missing/Gone.sol`",
    );
    assert_eq!(
        gone.message,
        "unresolved import `./missing/Gone.sol`: tried `missing/Gone.sol`"
    );
    assert_unresolved(
        &project,
        package,
        "sub/C.sol",
        "nonexistent-pkg/X.sol",
        "unresolved import `nonexistent-pkg/X.sol`: tried `nonexistent-pkg/X.sol`, \
         `sub/node_modules/nonexistent-pkg/X.sol`, `node_modules/nonexistent-pkg/X.sol`",
    );
}

#[test]
fn an_import_of_an_oversized_file_is_left_unresolved() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("A.sol"),
        "import \"./Big.sol\";\ncontract A {}\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("Big.sol"), "contract Big {}\n".repeat(10)).unwrap();
    let options = LoadOptions {
        max_file_size: 100,
        ..LoadOptions::default()
    };
    let project = load(&[dir.path().join("A.sol")], &options);
    assert_eq!(displayed(&project), ["A.sol"]);
    assert_eq!(project.files[0].imports, [None]);
    assert_eq!(project.diagnostics.len(), 1);
    assert_eq!(project.diagnostics[0].kind, DiagnosticKind::TooLarge);
}

fn sources(entries: &[(&str, &str)]) -> BTreeMap<String, String> {
    entries
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn in_memory_sources_resolve_between_themselves() {
    let project = Project::from_sources(
        sources(&[
            (
                "src/Vault.sol",
                "import \"./lib/Math.sol\";\nimport \"@oz/token/ERC20.sol\";\ncontract Vault {}\n",
            ),
            (
                "src/lib/Math.sol",
                "import \"../../../../etc/passwd.sol\";\nlibrary Math {}\n",
            ),
            (
                "/node_modules/@oz/token/ERC20.sol",
                "import \"../utils/Context.sol\";\ncontract ERC20 {}\n",
            ),
            (
                "node_modules/@oz/utils/Context.sol",
                "contract Context {}\n",
            ),
            ("etc/passwd.sol", "contract Secret {}\n"),
        ]),
        &LoadOptions::default(),
    );
    assert_eq!(
        imports_of(&project, "src/Vault.sol"),
        [
            Some("src/lib/Math.sol"),
            Some("node_modules/@oz/token/ERC20.sol")
        ]
    );
    assert_eq!(
        imports_of(&project, "node_modules/@oz/token/ERC20.sol"),
        [Some("node_modules/@oz/utils/Context.sol")]
    );
    // `..` never climbs out of the virtual root, even onto a file that exists inside it.
    assert_eq!(imports_of(&project, "src/lib/Math.sol"), [None]);
    let [escape] = &project.diagnostics[..] else {
        panic!("{:#?}", project.diagnostics)
    };
    assert_unresolved(
        &project,
        escape,
        "src/lib/Math.sol",
        "../../../../etc/passwd.sol",
        "unresolved import `../../../../etc/passwd.sol`: the path climbs above the root of the sources",
    );
    assert_eq!(
        reported(&project),
        ["etc/passwd.sol", "src/Vault.sol", "src/lib/Math.sol"]
    );
}

#[test]
fn in_memory_sources_honour_remappings() {
    let project = Project::from_sources(
        sources(&[
            ("remappings.txt", "solmate/=vendor/solmate/src/\n"),
            (
                "src/A.sol",
                "import \"solmate/tokens/ERC20.sol\";\nimport \"oz/Ownable.sol\";\ncontract A {}\n",
            ),
            ("vendor/solmate/src/tokens/ERC20.sol", "contract ERC20 {}\n"),
            ("vendor/oz/Ownable.sol", "contract Ownable {}\n"),
        ]),
        &LoadOptions {
            remappings: vec!["oz/=vendor/oz/".into()],
            ..LoadOptions::default()
        },
    );
    assert_eq!(project.diagnostics, []);
    assert_eq!(
        imports_of(&project, "src/A.sol"),
        [
            Some("vendor/solmate/src/tokens/ERC20.sol"),
            Some("vendor/oz/Ownable.sol")
        ]
    );
}

#[test]
fn user_remappings_win_and_unresolved_remappings_are_explained() {
    let project = Project::from_sources(
        sources(&[
            ("remappings.txt", "x/=vendor/a/\n"),
            (
                "src/A.sol",
                "import \"x/X.sol\";\nimport \"y/Y.sol\";\ncontract A {}\n",
            ),
            ("vendor/a/X.sol", "contract XA {}\n"),
            ("vendor/b/X.sol", "contract XB {}\n"),
        ]),
        &LoadOptions {
            remappings: vec!["x/=vendor/b/".into(), "y/=vendor/none/".into()],
            ..LoadOptions::default()
        },
    );
    assert_eq!(
        imports_of(&project, "src/A.sol"),
        [Some("vendor/b/X.sol"), None]
    );
    let [missing] = &project.diagnostics[..] else {
        panic!("{:#?}", project.diagnostics)
    };
    assert_unresolved(
        &project,
        missing,
        "src/A.sol",
        "y/Y.sol",
        "unresolved import `y/Y.sol`: remapping `y/=vendor/none/` applies; tried `vendor/none/Y.sol`, \
         `y/Y.sol`, `src/node_modules/y/Y.sol`, `node_modules/y/Y.sol`",
    );
}

#[test]
fn unresolved_imports_of_standard_interfaces_get_stand_ins() {
    let project = Project::from_sources(
        sources(&[
            (
                "src/Vault.sol",
                "import \"@openzeppelin/contracts/token/ERC20/IERC20.sol\";\n\
                 import \"@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol\";\n\
                 import \"@openzeppelin/contracts/access/Ownable.sol\";\n\
                 contract Vault { IERC20 token; }\n",
            ),
            (
                "src/Own.sol",
                "import \"@openzeppelin/contracts/token/ERC721/IERC721.sol\";\n\
                 interface IERC721 { function ownerOf(uint256) external view returns (address); }\n",
            ),
        ]),
        &LoadOptions::default(),
    );
    // Both ERC20 imports share one stand-in; nothing stands in for `Ownable.sol`, and a
    // project declaring `IERC721` itself keeps its own.
    assert_eq!(
        imports_of(&project, "src/Vault.sol"),
        [
            Some("<standard>/IERC20.sol"),
            Some("<standard>/IERC20.sol"),
            None
        ]
    );
    assert_eq!(imports_of(&project, "src/Own.sol"), [None]);
    let stub = file(&project, "<standard>/IERC20.sol");
    assert!(!stub.reported);
    assert_eq!(stub.id.0 as usize, project.files.len() - 1);
    assert!(
        stub.parse.diagnostics().is_empty(),
        "{:?}",
        stub.parse.diagnostics()
    );
    // The imports stay unresolved in the diagnostics, which say what stood in.
    let messages: Vec<&str> = project
        .diagnostics
        .iter()
        .map(|d| d.message.as_str())
        .collect();
    assert_eq!(messages.len(), 4, "{messages:#?}");
    assert!(
        messages
            .iter()
            .filter(|m| m
                .contains("the standard interfaces of `<standard>/IERC20.sol` stand in for it"))
            .count()
            == 2,
        "{messages:#?}"
    );
    assert_eq!(reported(&project), ["src/Own.sol", "src/Vault.sol"]);
}
