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
