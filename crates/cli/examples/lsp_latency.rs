//! Latency of `web3audit lsp`: the time from a one-line `didChange` to the
//! `publishDiagnostics` of that version, for a 2,000-line file in a Foundry project.
//!
//! ```sh
//! cargo build --release -p web3audit --examples
//! target/release/examples/lsp_latency [--server target/release/web3audit] [--changes 200]
//! ```
//!
//! The project is generated in a temporary folder: `src/Vault.sol` (2,000 lines) imports
//! a library and an interface through a remapping and two files of `src/`, and is
//! imported by a test. Each change edits one line of a function body and waits for the
//! diagnostics of that version before the next one. It runs twice: with the default
//! debounce (50 ms) and with `debounceMs: 0` (the analysis alone).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::json;

#[path = "../tests/lsp_client/mod.rs"]
mod lsp_client;

const LINES: usize = 2_000;

fn main() {
    let mut server = PathBuf::from("target/release/web3audit");
    let mut changes = 200;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.next()) {
            ("--server", Some(path)) => server = PathBuf::from(path),
            ("--changes", Some(n)) => changes = n.parse().expect("--changes N"),
            _ => {
                eprintln!("usage: lsp_latency [--server PATH] [--changes N]");
                std::process::exit(2);
            }
        }
    }
    let project = tempfile::tempdir().expect("a temporary folder");
    let vault = generate(project.path());
    if let Ok(keep) = std::env::var("LSP_LATENCY_KEEP") {
        // A copy of the generated project, to scan it on its own.
        generate(Path::new(&keep));
    }
    let text = std::fs::read_to_string(&vault).expect("the generated file");
    println!(
        "project: Foundry, {} files; src/Vault.sol: {} lines, {} bytes; {changes} one-line changes",
        std::fs::read_dir(project.path().join("src")).map_or(0, Iterator::count) + 4,
        text.lines().count(),
        text.len()
    );
    for (label, options) in [
        ("default debounce (50 ms)", json!({})),
        ("debounceMs: 0", json!({ "web3audit": { "debounceMs": 0 } })),
    ] {
        let (first, samples, mut analysis) =
            measure(&server, project.path(), &vault, &text, changes, options);
        report(label, first, samples);
        report_part(
            "  of which the analysis (server log, whole ms)",
            &mut analysis,
        );
    }
}

/// Opens the file, then changes one line `changes` times; returns the time to the first
/// diagnostics, the latency of each change and the analysis time the server logged.
fn measure(
    server: &Path,
    root: &Path,
    vault: &Path,
    text: &str,
    changes: usize,
    options: serde_json::Value,
) -> (Duration, Vec<Duration>, Vec<Duration>) {
    let (mut client, _) = lsp_client::Client::start(server, Some(root), options);
    let uri = lsp_client::uri(vault);
    let opened = Instant::now();
    client.open(&uri, "solidity", text);
    let diagnostics = client.diagnostics(&uri, 1);
    let first = opened.elapsed();
    assert!(!diagnostics.is_empty(), "the generated file has findings");
    // The lines `        total = total + N;` of the function bodies.
    let editable: Vec<usize> = text
        .lines()
        .enumerate()
        .filter(|(_, line)| line.starts_with("        total = total + "))
        .map(|(i, _)| i)
        .collect();
    let mut samples = Vec::with_capacity(changes);
    let mut analysis = Vec::with_capacity(changes);
    for change in 0..changes {
        let line = editable[change % editable.len()];
        let version = i64::try_from(change).unwrap() + 2;
        let new_line = format!("        total = total + {};\n", change % 97 + 1);
        let sent = Instant::now();
        client.notify(
            "textDocument/didChange",
            json!({
                "textDocument": { "uri": uri, "version": version },
                "contentChanges": [{
                    "range": {
                        "start": { "line": line, "character": 0 },
                        "end": { "line": line + 1, "character": 0 },
                    },
                    "text": new_line,
                }],
            }),
        );
        client.diagnostics(&uri, version);
        samples.push(sent.elapsed());
        // The server logs the time its analysis took: `analysed 3 file(s) in 41 ms`.
        let logged = client.wait_for("the analysis log", |m| {
            m["method"] == "window/logMessage"
                && m["params"]["message"]
                    .as_str()
                    .is_some_and(|t| t.starts_with("analysed "))
        });
        let millis = logged["params"]["message"]
            .as_str()
            .and_then(|t| t.rsplit(" in ").next())
            .and_then(|t| t.trim_end_matches(" ms").parse::<u64>().ok())
            .unwrap_or_default();
        analysis.push(Duration::from_millis(millis));
        client.backlog.clear();
    }
    assert!(client.shutdown().success());
    (first, samples, analysis)
}

fn report_part(label: &str, samples: &mut [Duration]) {
    samples.sort();
    let at = |q: f64| {
        let index = ((samples.len() as f64 - 1.0) * q).round() as usize;
        samples[index].as_secs_f64() * 1000.0
    };
    println!("{label}: median {:.0} ms, p95 {:.0} ms", at(0.5), at(0.95));
}

fn report(label: &str, first: Duration, mut samples: Vec<Duration>) {
    samples.sort();
    let at = |q: f64| {
        let index = ((samples.len() as f64 - 1.0) * q).round() as usize;
        samples[index].as_secs_f64() * 1000.0
    };
    println!(
        "{label}: first diagnostics {:.1} ms; change → diagnostics: median {:.1} ms, p95 {:.1} ms, min {:.1} ms, max {:.1} ms",
        first.as_secs_f64() * 1000.0,
        at(0.5),
        at(0.95),
        at(0.0),
        at(1.0)
    );
}

fn write(root: &Path, path: &str, text: &str) -> PathBuf {
    let path = root.join(path);
    std::fs::create_dir_all(path.parent().expect("a parent")).expect("a folder");
    std::fs::write(&path, text).expect("a file");
    path
}

/// Writes the Foundry project; returns the path of the 2,000-line file.
fn generate(root: &Path) -> PathBuf {
    write(
        root,
        "foundry.toml",
        "[profile.default]\nsrc = \"src\"\nlibs = [\"lib\"]\n",
    );
    write(root, "remappings.txt", "token/=lib/token/src/\n");
    write(
        root,
        "lib/token/src/IERC20.sol",
        "// SPDX-License-Identifier: MIT\npragma solidity ^0.8.20;\n\ninterface IERC20 {\n    function transfer(address to, uint256 amount) external returns (bool);\n    function transferFrom(address from, address to, uint256 amount) external returns (bool);\n    function balanceOf(address account) external view returns (uint256);\n}\n",
    );
    write(
        root,
        "lib/token/src/SafeMath.sol",
        "// SPDX-License-Identifier: MIT\npragma solidity ^0.8.20;\n\nlibrary SafeMath {\n    function add(uint256 a, uint256 b) internal pure returns (uint256) {\n        return a + b;\n    }\n}\n",
    );
    write(
        root,
        "src/Owned.sol",
        "// SPDX-License-Identifier: MIT\npragma solidity 0.8.24;\n\ncontract Owned {\n    address public owner;\n\n    constructor() {\n        owner = msg.sender;\n    }\n\n    modifier onlyOwner() {\n        require(msg.sender == owner, \"owner\");\n        _;\n    }\n}\n",
    );
    write(
        root,
        "src/Events.sol",
        "// SPDX-License-Identifier: MIT\npragma solidity 0.8.24;\n\ncontract Events {\n    event Deposited(address indexed who, uint256 amount);\n    event Withdrawn(address indexed who, uint256 amount);\n}\n",
    );
    write(
        root,
        "test/Vault.t.sol",
        "// SPDX-License-Identifier: MIT\npragma solidity 0.8.24;\n\nimport {Vault} from \"../src/Vault.sol\";\n\ncontract VaultTest {\n    Vault vault = new Vault();\n}\n",
    );
    let mut text = String::from(
        "// SPDX-License-Identifier: MIT\npragma solidity 0.8.24;\n\nimport {IERC20} from \"token/IERC20.sol\";\nimport {SafeMath} from \"token/SafeMath.sol\";\nimport {Owned} from \"./Owned.sol\";\nimport {Events} from \"./Events.sol\";\n\ncontract Vault is Owned, Events {\n    using SafeMath for uint256;\n\n    IERC20 public token;\n    mapping(address => uint256) public balances;\n    uint256 public total;\n\n",
    );
    let mut function = 0;
    // Each function is 14 lines; a few have findings (tx.origin, an unchecked transfer,
    // a call before the state write).
    while text.lines().count() + 14 < LINES - 2 {
        let _ = write!(
            text,
            "    function step{function}(uint256 amount) external {{\n        require(amount > 0, \"zero\");\n        balances[msg.sender] = balances[msg.sender].add(amount);\n        total = total + 1;\n        if (amount > {function}) {{\n            emit Deposited(msg.sender, amount);\n        }}\n"
        );
        match function % 10 {
            0 => text.push_str(
                "        require(tx.origin == owner, \"owner\");\n        token.transfer(msg.sender, amount);\n",
            ),
            5 => text.push_str(
                "        (bool ok, ) = msg.sender.call{value: amount}(\"\");\n        balances[msg.sender] = 0;\n",
            ),
            _ => text.push_str(
                "        uint256 fee = amount / 100;\n        balances[owner] = balances[owner] + fee;\n",
            ),
        }
        text.push_str("        emit Withdrawn(msg.sender, amount);\n        return;\n    }\n\n");
        function += 1;
    }
    while text.lines().count() < LINES - 1 {
        text.push_str("    // padding\n");
    }
    text.push_str("}\n");
    write(root, "src/Vault.sol", &text)
}
