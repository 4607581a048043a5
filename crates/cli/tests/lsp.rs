//! `web3audit lsp` spoken to over its standard input and output, as an editor would:
//! initialize, open, change, diagnostics, hover, code actions, shutdown; a syntax error
//! mid-edit, a file outside any project, an unsaved buffer, and a 5 MB file analysed
//! while the server keeps answering.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

mod lsp_client;

use lsp_client::{Client, uri};

fn server() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_web3audit"))
}

fn write(root: &Path, path: &str, text: &str) -> PathBuf {
    let path = root.join(path);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, text).unwrap();
    path
}

const WALLET: &str = r#"// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {Owned} from "owned/Owned.sol";

contract Wallet is Owned {
    function withdraw() external {
        require(tx.origin == owner, "not owner");
        payable(msg.sender).transfer(address(this).balance);
    }
}
"#;

/// The line (0-based) of `require(tx.origin == owner ...)` in [`WALLET`].
const REQUIRE_LINE: u64 = 7;

/// A Foundry project whose `src/Wallet.sol` imports its base contract from a library
/// through a remapping.
fn foundry_project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "foundry.toml",
        "[profile.default]\nsrc = \"src\"\nlibs = [\"lib\"]\n",
    );
    write(dir.path(), "remappings.txt", "owned/=lib/owned/src/\n");
    write(
        dir.path(),
        "lib/owned/src/Owned.sol",
        "// SPDX-License-Identifier: MIT\npragma solidity 0.8.24;\n\ncontract Owned {\n    address public owner;\n\n    constructor() {\n        owner = msg.sender;\n    }\n}\n",
    );
    write(dir.path(), "src/Wallet.sol", WALLET);
    dir
}

fn codes(diagnostics: &[Value]) -> Vec<String> {
    diagnostics
        .iter()
        .map(|d| d["code"].as_str().unwrap_or_default().to_owned())
        .collect()
}

fn finding<'a>(diagnostics: &'a [Value], id: &str) -> &'a Value {
    diagnostics
        .iter()
        .find(|d| d["code"] == id)
        .unwrap_or_else(|| panic!("no `{id}` among {diagnostics:#?}"))
}

#[test]
fn diagnostics_hover_and_code_actions_follow_the_edits() {
    let project = foundry_project();
    let (mut client, init) = Client::start(server(), Some(project.path()), json!({}));
    assert_eq!(init["capabilities"]["hoverProvider"], true, "{init}");
    assert_eq!(init["serverInfo"]["name"], "web3audit");
    let wallet = uri(&project.path().join("src/Wallet.sol"));

    // Open: the finding, the import through the remapping resolved.
    client.open(&wallet, "solidity", WALLET);
    let diagnostics = client.diagnostics(&wallet, 1);
    assert_eq!(codes(&diagnostics), ["tx-origin-auth"], "{diagnostics:#?}");
    let found = finding(&diagnostics, "tx-origin-auth");
    assert_eq!(found["range"]["start"]["line"], REQUIRE_LINE);
    assert_eq!(found["range"]["start"]["character"], 16);
    assert_eq!(found["source"], "web3audit");
    assert_eq!(found["severity"], 1);

    // Hover on the finding: the detector's explanation.
    let hover = client.request(
        "textDocument/hover",
        json!({
            "textDocument": { "uri": wallet },
            "position": { "line": REQUIRE_LINE, "character": 20 },
        }),
    );
    let text = hover["contents"]["value"].as_str().unwrap();
    assert!(text.contains("(tx-origin-auth)"), "{text}");
    assert!(text.contains("## "), "the documentation's sections: {text}");
    // Elsewhere: nothing.
    let nothing = client.request(
        "textDocument/hover",
        json!({ "textDocument": { "uri": wallet }, "position": { "line": 1, "character": 3 } }),
    );
    assert_eq!(nothing, Value::Null);

    // Code actions on the finding's line: the suppression comment, indented like the
    // line, with a reason placeholder; and the documentation.
    let actions = client.request(
        "textDocument/codeAction",
        json!({
            "textDocument": { "uri": wallet },
            "range": found["range"],
            "context": { "diagnostics": [found] },
        }),
    );
    let actions = actions.as_array().unwrap();
    assert_eq!(actions.len(), 2, "{actions:#?}");
    let edit = &actions[0]["edit"]["changes"][&wallet][0];
    assert_eq!(
        edit["newText"],
        "        // web3audit-disable-next-line tx-origin-auth -- <reason>\n"
    );
    assert_eq!(
        edit["range"]["start"],
        json!({ "line": REQUIRE_LINE, "character": 0 })
    );
    assert_eq!(edit["range"]["end"], edit["range"]["start"]);
    assert_eq!(actions[0]["kind"], "quickfix");
    assert_eq!(
        actions[1]["command"]["command"],
        "web3audit.openDocumentation"
    );
    assert_eq!(
        actions[1]["command"]["arguments"],
        json!(["tx-origin-auth"])
    );
    // The documentation command: this client cannot show documents, so the server says
    // where the documentation is.
    client.request("workspace/executeCommand", actions[1]["command"].clone());
    let shown = client.wait_for("the documentation message", |m| {
        m["method"] == "window/showMessage"
    });
    assert!(
        shown["params"]["message"]
            .as_str()
            .unwrap()
            .contains("tx-origin-auth.md"),
        "{shown}"
    );

    // Mid-edit: a half-typed function after `withdraw` is a syntax error, and the rest of
    // the file is still analysed.
    let broken_at = json!({ "line": 10, "character": 0 });
    client.notify(
        "textDocument/didChange",
        json!({
            "textDocument": { "uri": wallet, "version": 2 },
            "contentChanges": [{
                "range": { "start": broken_at, "end": broken_at },
                "text": "\n    function sweep(address to) external {\n        uint256 amount = ;\n    }\n",
            }],
        }),
    );
    let diagnostics = client.diagnostics(&wallet, 2);
    let codes2 = codes(&diagnostics);
    assert!(
        codes2.contains(&"syntax-error".to_owned()),
        "{diagnostics:#?}"
    );
    assert!(
        codes2.contains(&"tx-origin-auth".to_owned()),
        "{diagnostics:#?}"
    );
    let syntax = finding(&diagnostics, "syntax-error");
    assert_eq!(syntax["severity"], 1);
    assert!(
        syntax["range"]["start"]["line"].as_u64().unwrap() >= 11,
        "{syntax}"
    );

    // Fixed (a whole-text change): the syntax error is gone.
    let fixed = WALLET.replace(
        "    }\n}\n",
        "    }\n\n    function sweep(address to) external {\n        uint256 amount = 1;\n    }\n}\n",
    );
    client.notify(
        "textDocument/didChange",
        json!({
            "textDocument": { "uri": wallet, "version": 3 },
            "contentChanges": [{ "text": fixed }],
        }),
    );
    let diagnostics = client.diagnostics(&wallet, 3);
    assert!(
        !codes(&diagnostics).contains(&"syntax-error".to_owned()),
        "{diagnostics:#?}"
    );
    assert!(codes(&diagnostics).contains(&"tx-origin-auth".to_owned()));

    // The suppression the code action inserts hides the finding.
    let suppressed = fixed.replace(
        "        require(tx.origin",
        "        // web3audit-disable-next-line tx-origin-auth -- the owner is an EOA by design\n        require(tx.origin",
    );
    client.notify(
        "textDocument/didChange",
        json!({
            "textDocument": { "uri": wallet, "version": 4 },
            "contentChanges": [{ "text": suppressed }],
        }),
    );
    let diagnostics = client.diagnostics(&wallet, 4);
    assert!(
        !codes(&diagnostics).contains(&"tx-origin-auth".to_owned()),
        "{diagnostics:#?}"
    );

    // A file outside any project, and an unsaved buffer without a file.
    let outside = tempfile::tempdir().unwrap();
    let lone_path = write(
        outside.path(),
        "Lone.sol",
        "pragma solidity 0.8.24;\ncontract Lone {\n    address owner;\n    function f() external { require(tx.origin == owner); }\n}\n",
    );
    let lone = uri(&lone_path);
    client.open(
        &lone,
        "solidity",
        &std::fs::read_to_string(&lone_path).unwrap(),
    );
    let diagnostics = client.diagnostics(&lone, 1);
    assert_eq!(
        finding(&diagnostics, "tx-origin-auth")["range"]["start"]["line"],
        3
    );

    let untitled = "untitled:Untitled-1";
    client.open(
        untitled,
        "solidity",
        "pragma solidity 0.8.24;\ncontract U {\n    address owner;\n    function f() external { require(tx.origin == owner); }\n}\n",
    );
    let diagnostics = client.diagnostics(untitled, 1);
    assert_eq!(codes(&diagnostics), ["tx-origin-auth"], "{diagnostics:#?}");

    assert!(client.shutdown().success());
}

#[test]
fn an_unsaved_change_to_an_imported_file_re_analyses_its_importers() {
    let project = foundry_project();
    let wallet_path = write(
        project.path(),
        "src/Wallet.sol",
        &WALLET.replace(
            "contract Wallet is Owned {\n",
            "contract Wallet is Owned {\n    uint256 public fee;\n\n",
        ),
    );
    let (mut client, _) = Client::start(server(), Some(project.path()), json!({}));
    let wallet = uri(&wallet_path);
    let owned_path = project.path().join("lib/owned/src/Owned.sol");
    let owned = uri(&owned_path);
    client.open(
        &wallet,
        "solidity",
        &std::fs::read_to_string(&wallet_path).unwrap(),
    );
    assert_eq!(codes(&client.diagnostics(&wallet, 1)), ["tx-origin-auth"]);

    // The library file's findings are not reported (as in `scan`), but the file that
    // imports it sees its unsaved text: a `fee` in the base contract is shadowed by
    // `Wallet.fee`.
    let text = std::fs::read_to_string(&owned_path).unwrap();
    client.open(&owned, "solidity", &text);
    assert!(client.diagnostics(&owned, 1).is_empty());
    client.notify(
        "textDocument/didChange",
        json!({
            "textDocument": { "uri": owned, "version": 2 },
            "contentChanges": [{
                "text": text.replace("address public owner;", "address public owner;\n    uint256 public fee;"),
            }],
        }),
    );
    let shadowed = client.wait_for("the importer's new diagnostics", |m| {
        m["method"] == "textDocument/publishDiagnostics"
            && m["params"]["uri"] == wallet.as_str()
            && codes(m["params"]["diagnostics"].as_array().unwrap())
                .contains(&"state-variable-shadowing".to_owned())
    });
    assert_eq!(shadowed["params"]["version"], 1);
    assert!(client.diagnostics(&owned, 2).is_empty());
    // Closing the library file without saving: the disk's text applies again.
    client.notify(
        "textDocument/didClose",
        json!({ "textDocument": { "uri": owned } }),
    );
    client.wait_for("the importer's diagnostics from the disk", |m| {
        m["method"] == "textDocument/publishDiagnostics"
            && m["params"]["uri"] == wallet.as_str()
            && codes(m["params"]["diagnostics"].as_array().unwrap()) == ["tx-origin-auth"]
    });
    assert!(client.shutdown().success());
}

#[test]
fn settings_select_detectors_and_a_five_megabyte_file_does_not_block_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let (mut client, _) = Client::start(
        server(),
        None,
        json!({ "web3audit": { "detectors": { "exclude": ["floating-pragma"] } } }),
    );
    let small_path = write(
        dir.path(),
        "Small.sol",
        "pragma solidity ^0.8.0;\ncontract Small {\n    address owner;\n    function f() external { require(tx.origin == owner); }\n}\n",
    );
    let small = uri(&small_path);
    client.open(
        &small,
        "solidity",
        &std::fs::read_to_string(&small_path).unwrap(),
    );
    // `floating-pragma` is excluded by the client's settings.
    assert_eq!(codes(&client.diagnostics(&small, 1)), ["tx-origin-auth"]);

    // A 5 MB file, opened unsaved.
    let mut big = String::from("pragma solidity 0.8.24;\n");
    let mut contract = 0;
    while big.len() < 5 << 20 {
        big.push_str(&format!("contract Big{contract} {{\n    address owner;\n"));
        for function in 0..100 {
            big.push_str(&format!(
                "    function f{function}(uint256 a) external view returns (uint256) {{\n        require(msg.sender == owner);\n        return a + {function};\n    }}\n"
            ));
        }
        big.push_str("}\n");
        contract += 1;
    }
    let big_uri = uri(&dir.path().join("Big.sol"));
    client.open(&big_uri, "solidity", &big);

    // While it is analysed, the server answers and analyses the small file.
    let id = client.send_request(
        "textDocument/hover",
        json!({ "textDocument": { "uri": small }, "position": { "line": 3, "character": 40 } }),
    );
    let hover = client.response(id);
    assert!(
        hover["result"]["contents"]["value"]
            .as_str()
            .unwrap()
            .contains("tx-origin-auth"),
        "{hover}"
    );
    client.notify(
        "textDocument/didChange",
        json!({
            "textDocument": { "uri": small, "version": 2 },
            "contentChanges": [{
                "range": { "start": { "line": 3, "character": 0 }, "end": { "line": 4, "character": 0 } },
                "text": "",
            }],
        }),
    );
    assert!(client.diagnostics(&small, 2).is_empty());
    let big_published = |m: &Value| {
        m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == big_uri.as_str()
    };
    assert!(
        !client.backlog.iter().any(big_published),
        "the 5 MB file was analysed before the small file's change"
    );
    // A hover in the big file answers too (nothing is known of it yet).
    let nothing = client.request(
        "textDocument/hover",
        json!({ "textDocument": { "uri": big_uri }, "position": { "line": 5, "character": 8 } }),
    );
    assert_eq!(nothing, Value::Null);
    assert!(!client.backlog.iter().any(big_published));
    // Shutting down does not wait for the running analysis.
    assert!(client.shutdown().success());
}

#[test]
fn client_settings_win_over_the_configuration_file_and_invalid_files_are_reported() {
    let project = foundry_project();
    let config = write(
        project.path(),
        "web3audit.toml",
        "[detectors]\ndisable = [\"tx-origin-auth\"]\n",
    );
    let (mut client, _) = Client::start_with(
        server(),
        Some(project.path()),
        Value::Null,
        json!({
            "workspace": { "configuration": true },
            "window": { "showDocument": { "support": true } },
        }),
    );
    // The server asks for its section; this client has none.
    let asked = client.server_request("workspace/configuration");
    assert_eq!(asked["params"]["items"][0]["section"], "web3audit");
    client.respond(&asked["id"], json!([null]));
    let wallet = uri(&project.path().join("src/Wallet.sol"));
    client.open(&wallet, "solidity", WALLET);
    // The configuration file disables the detector.
    assert!(client.diagnostics(&wallet, 1).is_empty());

    // The client's `detectors.include` runs it all the same.
    let published_with = |uri: &str, expected: &'static [&'static str]| {
        let uri = uri.to_owned();
        move |m: &Value| {
            m["method"] == "textDocument/publishDiagnostics"
                && m["params"]["uri"] == uri.as_str()
                && codes(m["params"]["diagnostics"].as_array().unwrap()) == expected
        }
    };
    client.notify(
        "workspace/didChangeConfiguration",
        json!({ "settings": { "web3audit": {
            "detectors": { "include": ["tx-origin-auth"] },
            "documentationUrl": "https://docs.example/detectors",
        } } }),
    );
    let published = client.wait_for(
        "the finding the client includes",
        published_with(&wallet, &["tx-origin-auth"]),
    );
    let found = &published["params"]["diagnostics"][0];
    assert_eq!(
        found["codeDescription"]["href"],
        "https://docs.example/detectors#tx-origin-auth"
    );
    // The documentation command asks the editor to show the documentation's address.
    client.backlog.clear();
    let id = client.send_request(
        "workspace/executeCommand",
        json!({ "command": "web3audit.openDocumentation", "arguments": ["tx-origin-auth"] }),
    );
    let show = client.server_request("window/showDocument");
    assert_eq!(
        show["params"]["uri"],
        "https://docs.example/detectors#tx-origin-auth"
    );
    assert_eq!(show["params"]["external"], true);
    client.respond(&show["id"], json!({ "success": true }));
    assert_eq!(client.response(id)["result"], Value::Null);

    // `minSeverity` above the finding's hides it.
    client.notify(
        "workspace/didChangeConfiguration",
        json!({ "settings": { "web3audit": {
            "minSeverity": "critical",
            "detectors": { "include": ["tx-origin-auth"] },
        } } }),
    );
    client.wait_for("the finding hidden", published_with(&wallet, &[]));

    // An invalid configuration file is an error on the file; the defaults apply.
    std::fs::write(&config, "fail_on = \"high\"\n").unwrap();
    client.notify(
        "textDocument/didSave",
        json!({ "textDocument": { "uri": wallet } }),
    );
    let config_uri = uri(&config);
    let invalid = client.wait_for("the configuration error", |m| {
        m["method"] == "textDocument/publishDiagnostics"
            && m["params"]["uri"] == config_uri.as_str()
    });
    let message = invalid["params"]["diagnostics"][0]["message"]
        .as_str()
        .unwrap();
    assert!(message.contains("unknown field `fail_on`"), "{message}");
    std::fs::write(&config, "").unwrap();
    client.notify(
        "textDocument/didSave",
        json!({ "textDocument": { "uri": wallet } }),
    );
    client.wait_for(
        "the configuration error cleared",
        published_with(&config_uri, &[]),
    );
    assert!(client.shutdown().success());
}

#[test]
fn a_vyper_module_gets_diagnostics_and_a_hash_suppression() {
    let project = foundry_project();
    // Compiled with 0.2.15, the two functions' shared lock is two locks.
    let pool = include_str!("fixtures/vyper/LockedPool.vy");
    let pool_path = write(project.path(), "src/Pool.vy", pool);
    let (mut client, _) = Client::start(server(), Some(project.path()), json!({}));
    let pool_uri = uri(&pool_path);
    client.open(&pool_uri, "vyper", pool);
    let diagnostics = client.diagnostics(&pool_uri, 1);
    assert_eq!(codes(&diagnostics), ["vyper-reentrancy-lock-bug"]);
    assert_eq!(
        finding(&diagnostics, "vyper-reentrancy-lock-bug")["range"]["start"]["line"],
        7
    );

    // The suppression the code action offers is a `#` comment, and it hides the finding.
    let suppressed = pool.replace(
        "@payable\n@nonreentrant('lock')",
        "@payable\n# web3audit-disable-next-line vyper-reentrancy-lock-bug -- migrated\n@nonreentrant('lock')",
    );
    client.notify(
        "textDocument/didChange",
        json!({
            "textDocument": { "uri": pool_uri, "version": 2 },
            "contentChanges": [{ "text": suppressed }],
        }),
    );
    assert!(client.diagnostics(&pool_uri, 2).is_empty());
    assert!(client.shutdown().success());
}
