//! `web3audit monitor suggest`: monitor files written from sources (a file, a project
//! folder) and the errors of the command.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Runs the binary in an empty folder, so that no `web3audit.toml` is found by accident.
fn web3audit(args: &[&str]) -> Output {
    let cwd = tempfile::tempdir().unwrap();
    Command::new(env!("CARGO_BIN_EXE_web3audit"))
        .args(args)
        .current_dir(cwd.path())
        .output()
        .expect("the binary runs")
}

fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../monitor/tests/fixtures/suggest")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn writes_a_monitor_file_that_loads() {
    let dir = tempfile::tempdir().unwrap();
    let output: PathBuf = dir.path().join("vault.toml");
    let out = web3audit(&[
        "monitor",
        "suggest",
        &fixture("OwnableVault.sol"),
        "--address",
        "0x5FbDB2315678afecb367f032d93F642f64180aa3",
        "--chain-id",
        "31337",
        "--rpc",
        "http://127.0.0.1:8545",
        "-o",
        output.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).is_empty());
    let err = stderr(&out);
    assert!(err.contains("wrote 1 monitor with 7 rules to"), "{err}");
    assert!(
        !err.contains("0x0000000000000000000000000000000000000000"),
        "{err}"
    );
    let text = std::fs::read_to_string(&output).unwrap();
    let file = monitor::load(&text, None).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let monitor = &file.monitors[0];
    assert_eq!(monitor.name, "Vault");
    assert_eq!(monitor.chain_id, 31337);
    assert_eq!(monitor.rpc, ["http://127.0.0.1:8545"]);
    assert_eq!(
        monitor.contracts[0].address,
        "0x5FbDB2315678afecb367f032d93F642f64180aa3"
    );
    let rules: Vec<(&str, &str)> = monitor
        .rules
        .iter()
        .map(|r| (r.name.as_str(), r.level.as_str()))
        .collect();
    assert_eq!(
        rules,
        [
            ("event-ownership-transferred", "critical"),
            ("balance-drop-native", "high"),
            ("call-set-fee", "high"),
            ("call-sweep", "high"),
            ("event-paused", "high"),
            ("event-unpaused", "high"),
            ("call-withdraw", "medium"),
        ]
    );
}

#[test]
fn a_project_folder_covers_its_own_contracts_and_asks_for_the_address() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("src")).unwrap();
    std::fs::write(
        dir.path().join("src/Owned.sol"),
        "pragma solidity ^0.8.20;\n\
         abstract contract Owned {\n\
           address public owner;\n\
           event OwnershipTransferred(address indexed previousOwner, address indexed newOwner);\n\
           modifier onlyOwner() { require(msg.sender == owner, \"not owner\"); _; }\n\
           function transferOwnership(address newOwner) external onlyOwner {\n\
             emit OwnershipTransferred(owner, newOwner);\n\
             owner = newOwner;\n\
           }\n\
         }\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("src/Registry.sol"),
        "pragma solidity ^0.8.20;\n\
         import \"./Owned.sol\";\n\
         contract Registry is Owned {\n\
           mapping(bytes32 => address) public entries;\n\
           constructor() { owner = msg.sender; }\n\
           function set(bytes32 key, address value) external onlyOwner { entries[key] = value; }\n\
           function get(bytes32 key) external view returns (address) { return entries[key]; }\n\
         }\n",
    )
    .unwrap();
    let out = web3audit(&["monitor", "suggest", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out)
            .contains("the file watches address 0x0000000000000000000000000000000000000000"),
        "{}",
        stderr(&out)
    );
    let text = stdout(&out);
    let file = monitor::load(&text, None).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(file.monitors.len(), 1, "{text}");
    let names: Vec<&str> = file.monitors[0]
        .rules
        .iter()
        .map(|r| r.name.as_str())
        .collect();
    assert_eq!(names, ["event-ownership-transferred", "call-set"], "{text}");
    assert!(
        text.contains("function = \"function set(bytes32 key, address value)\""),
        "{text}"
    );
    // Same sources, same file.
    let again = web3audit(&["monitor", "suggest", dir.path().to_str().unwrap()]);
    assert_eq!(stdout(&again), text);
}

#[test]
fn mistakes_are_reported() {
    let cases: [(&[&str], &str); 4] = [
        (
            &[
                "monitor",
                "suggest",
                "0x5FbDB2315678afecb367f032d93F642f64180aa3",
            ],
            "error: suggesting for a deployed contract needs its chain: --rpc URL",
        ),
        (
            &["monitor", "suggest", "missing.sol"],
            "error: missing.sol is neither a file, a folder nor a contract address",
        ),
        (
            &[
                "monitor",
                "suggest",
                &fixture("RoleToken.sol"),
                "--contract",
                "AccessControl",
            ],
            "error: `AccessControl` is an abstract contract: it is never deployed on its own",
        ),
        (
            &[
                "monitor",
                "suggest",
                &fixture("Upgradeable.sol"),
                "--address",
                "0x5FbDB2315678afecb367f032d93F642f64180aa3",
            ],
            "error: one address for 2 contracts (AdminProxy, UUPSCounter): choose the contract deployed there",
        ),
    ];
    for (args, expected) in cases {
        let out = web3audit(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains(expected),
            "{args:?}: {}",
            stderr(&out)
        );
        assert!(stdout(&out).is_empty());
    }
}

/// A one-thread HTTP server standing in for a chain (JSON-RPC `POST /`) holding an
/// EIP-1967 proxy with an admin, and for a Sourcify server (`GET /v2/contract/…`) that
/// has the implementation's source.
struct FakeChain {
    url: String,
    proxy: String,
    implementation: String,
}

const PROXY: &str = "0x5fbdb2315678afecb367f032d93f642f64180aa3";
const IMPLEMENTATION: &str = "0xe7f1725e7734ce288f8367e1bb143e90bb3f0512";
const ADMIN: &str = "0x9fe46736679d2d9a65f0992f2272de9f3c7fa6e0";

impl FakeChain {
    fn start() -> FakeChain {
        use std::io::{BufRead, BufReader, Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let source = std::fs::read_to_string(fixture("Upgradeable.sol")).unwrap();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                let _ = reader.read_line(&mut line);
                let mut length = 0usize;
                loop {
                    let mut header = String::new();
                    if reader.read_line(&mut header).unwrap_or(0) == 0 || header == "\r\n" {
                        break;
                    }
                    if let Some((name, value)) = header.split_once(':')
                        && name.eq_ignore_ascii_case("content-length")
                    {
                        length = value.trim().parse().unwrap_or(0);
                    }
                }
                let mut body = vec![0u8; length];
                let _ = reader.read_exact(&mut body);
                let answer = if line.starts_with("POST") {
                    let request: serde_json::Value =
                        serde_json::from_slice(&body).unwrap_or_default();
                    match request {
                        serde_json::Value::Array(batch) => {
                            serde_json::Value::Array(batch.iter().map(rpc).collect())
                        }
                        one => rpc(&one),
                    }
                } else if line.to_lowercase().contains(IMPLEMENTATION) {
                    serde_json::json!({
                        "match": "exact_match",
                        "sources": { "Upgradeable.sol": { "content": source } },
                        "compilation": { "name": "UUPSCounter" },
                    })
                } else {
                    serde_json::json!({ "match": null })
                };
                let status = if answer.get("match").is_some_and(|m| m.is_null()) {
                    404
                } else {
                    200
                };
                let body = answer.to_string();
                let head = format!(
                    "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = stream.write_all(head.as_bytes());
                let _ = stream.write_all(body.as_bytes());
            }
        });
        FakeChain {
            url,
            proxy: PROXY.into(),
            implementation: IMPLEMENTATION.into(),
        }
    }
}

/// The fake chain's answer to one JSON-RPC request.
fn rpc(request: &serde_json::Value) -> serde_json::Value {
    let word = |address: &str| format!("0x{:0>64}", address.trim_start_matches("0x"));
    let zero = format!("0x{}", "0".repeat(64));
    let params = &request["params"];
    let address = params[0].as_str().unwrap_or_default().to_lowercase();
    let result = match request["method"].as_str().unwrap_or_default() {
        "eth_chainId" => serde_json::json!("0x7a69"),
        "eth_blockNumber" => serde_json::json!("0x10"),
        // Some code without DELEGATECALL: what is a proxy is told by its slots.
        "eth_getCode" if address == PROXY || address == IMPLEMENTATION => {
            serde_json::json!("0x6001600055")
        }
        "eth_getCode" => serde_json::json!("0x"),
        "eth_getStorageAt" => {
            let slot = params[1]
                .as_str()
                .unwrap_or_default()
                .trim_start_matches("0x");
            let slot = slot.trim_start_matches('0');
            let answer = match (address == PROXY, slot) {
                (true, "360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc") => {
                    word(IMPLEMENTATION)
                }
                (true, "b53127684a568b3173ae13b9f8a6016e243e63b6e8ee1178d6a717850b5d6103") => {
                    word(ADMIN)
                }
                _ => zero,
            };
            serde_json::json!(answer)
        }
        "eth_getBalance" => serde_json::json!("0x0"),
        _ => serde_json::json!("0x"),
    };
    serde_json::json!({ "jsonrpc": "2.0", "id": request["id"], "result": result })
}

fn rule_names(file: &monitor::config::MonitorFile) -> Vec<&str> {
    file.monitors[0]
        .rules
        .iter()
        .map(|r| r.name.as_str())
        .collect()
}

#[test]
fn an_address_with_a_verified_source_is_watched_at_the_proxy() {
    let chain = FakeChain::start();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("web3audit.toml");
    std::fs::write(
        &config,
        format!(
            "[sources]\nsourcify_url = \"{}\"\netherscan_url = \"\"\ntimeout_secs = 10\n",
            chain.url
        ),
    )
    .unwrap();
    let out = web3audit(&[
        "monitor",
        "suggest",
        &chain.proxy,
        "--rpc",
        &chain.url,
        "--config",
        config.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("delegates to 0x"), "{err}");
    assert!(err.contains("(EIP-1967 proxy)"), "{err}");
    let text = stdout(&out);
    assert!(text.contains("from the verified source of 0x"), "{text}");
    let file = monitor::load(&text, None).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let monitor = &file.monitors[0];
    assert_eq!(monitor.name, "UUPSCounter");
    assert_eq!(monitor.chain_id, 31337);
    assert_eq!(monitor.contracts[0].address.to_lowercase(), chain.proxy);
    // The admin slot comes from the chain; the rest from the implementation's source.
    assert_eq!(
        rule_names(&file),
        [
            "call-initialize",
            "event-upgraded",
            "slot-eip1967-admin",
            "slot-eip1967-implementation"
        ],
        "{text}"
    );
    assert!(!text.contains(&chain.implementation[2..]), "{text}");
}

#[test]
fn an_address_without_a_source_gets_slots_code_and_balance() {
    let chain = FakeChain::start();
    let out = web3audit(&[
        "monitor",
        "suggest",
        &chain.proxy,
        "--rpc",
        &chain.url,
        "--no-config",
        "--bytecode-only",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("only the proxy slots, code changes and the native balance are watched"),
        "{err}"
    );
    let text = stdout(&out);
    let file = monitor::load(&text, None).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(file.monitors[0].chain_id, 31337);
    assert_eq!(
        rule_names(&file),
        [
            "code-change",
            "slot-eip1967-admin",
            "slot-eip1967-implementation",
            "balance-drop-native"
        ],
        "{text}"
    );
    // A chain id that is not the RPC's is refused.
    let out = web3audit(&[
        "monitor",
        "suggest",
        &chain.proxy,
        "--rpc",
        &chain.url,
        "--no-config",
        "--bytecode-only",
        "--chain-id",
        "1",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("the RPC serves chain 31337, not chain 1"),
        "{}",
        stderr(&out)
    );
}
