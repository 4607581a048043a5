//! `web3audit scan 0xADDRESS` of contracts whose verified source a local server in the
//! Sourcify v2 format serves: the source is checked against the deployed code, analyzed,
//! and its access-control findings are tried by simulation on a local Anvil node.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};
use std::thread;

use alloy_primitives::{Address, U256};
use devnet::{Anvil, anvil_or_skip};
use serde_json::{Value, json};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../sim/tests/fixtures")
}

/// The `Name` contract of the simulation fixtures, compiled from `file`.
fn artifact(name: &str) -> devnet::Artifact {
    devnet::load_artifact(&fixtures().join("fixtures.json"), name).unwrap()
}

fn metadata(file: &str, name: &str) -> Value {
    let text = std::fs::read_to_string(fixtures().join("fixtures.json")).unwrap();
    let all: Value = serde_json::from_str(&text).unwrap();
    let raw = all["contracts"][format!("{file}:{name}")]["metadata"]
        .as_str()
        .unwrap()
        .to_string();
    serde_json::from_str(&raw).unwrap()
}

/// A Sourcify v2 lookup answer (`fields=sources,metadata,compilation`) for `name` of `file`.
fn sourcify_answer(address: Address, file: &str, name: &str, source: &str) -> Value {
    let metadata = metadata(file, name);
    json!({
        "match": "exact_match",
        "creationMatch": "exact_match",
        "runtimeMatch": "exact_match",
        "chainId": "31337",
        "address": address.to_string(),
        "sources": { file: { "content": source } },
        "metadata": metadata,
        "compilation": {
            "language": "Solidity",
            "compiler": "solc",
            "compilerVersion": metadata["compiler"]["version"],
            "name": name,
            "fullyQualifiedName": format!("{file}:{name}"),
        },
    })
}

/// A one-thread HTTP server answering `GET /v2/contract/31337/{address}?...` from `answers`
/// (lower-case address → body), 404 otherwise. Counts the requests.
struct SourceServer {
    url: String,
    requests: Arc<Mutex<usize>>,
}

impl SourceServer {
    fn start(answers: BTreeMap<String, Value>) -> SourceServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(0));
        let seen = Arc::clone(&requests);
        thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                let _ = reader.read_line(&mut line);
                loop {
                    let mut header = String::new();
                    if reader.read_line(&mut header).unwrap_or(0) == 0 || header == "\r\n" {
                        break;
                    }
                }
                *seen.lock().unwrap() += 1;
                let path = line.split_whitespace().nth(1).unwrap_or("/").to_lowercase();
                let found = answers.iter().find(|(address, _)| {
                    path.starts_with(&format!("/v2/contract/31337/{address}"))
                });
                let (status, body) = match found {
                    Some((_, body)) => (200, body.to_string()),
                    None => (404, json!({"match": null}).to_string()),
                };
                let head = format!(
                    "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = stream.write_all(head.as_bytes());
                let _ = stream.write_all(body.as_bytes());
            }
        });
        SourceServer { url, requests }
    }
}

/// Deploys `name` and gives it `value` wei.
fn deploy(node: &Anvil, name: &str, value: U256) -> Address {
    let address = node
        .deploy(node.accounts()[0], &artifact(name).bytecode)
        .unwrap_or_else(|e| panic!("deployment of {name}: {e}"));
    if value > U256::ZERO {
        node.set_balance(address, value).unwrap();
    }
    address
}

/// Runs the binary in a folder holding a `web3audit.toml` that points `[sources]` at
/// `server`.
fn scan(node: &Anvil, server: &SourceServer, address: Address, extra: &[&str]) -> Output {
    let cwd = tempfile::tempdir().unwrap();
    std::fs::write(
        cwd.path().join("web3audit.toml"),
        format!(
            "[sources]\nsourcify_url = \"{}\"\netherscan_url = \"\"\ntimeout_secs = 10\n",
            server.url
        ),
    )
    .unwrap();
    let target = address.to_string();
    let mut args = vec!["scan", target.as_str(), "--rpc-url", node.url()];
    args.extend_from_slice(extra);
    Command::new(env!("CARGO_BIN_EXE_web3audit"))
        .args(&args)
        .current_dir(cwd.path())
        .output()
        .expect("the binary runs")
}

fn json_of(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// The findings of `rule` in a JSON report.
fn findings_of<'a>(report: &'a Value, rule: &str) -> Vec<&'a Value> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule_id"] == rule)
        .collect()
}

#[test]
fn verified_sources_are_checked_analyzed_and_their_findings_simulated() {
    let Some(node) =
        anvil_or_skip("verified_sources_are_checked_analyzed_and_their_findings_simulated")
    else {
        return;
    };
    let ownership = std::fs::read_to_string(fixtures().join("Ownership.sol")).unwrap();
    let vault = std::fs::read_to_string(fixtures().join("Vault.sol")).unwrap();
    let open = deploy(&node, "OpenOwnership", U256::ZERO);
    let guarded = deploy(&node, "GuardedOwnership", U256::ZERO);
    let ether = U256::from(10u64).pow(U256::from(18u64));
    let exit_vault = deploy(&node, "ExitVault", ether);
    let killable = deploy(&node, "Killable", ether);
    let unknown = deploy(&node, "OpenVault", U256::ZERO);
    let tampered_at = deploy(&node, "GuardedOwnership", U256::ZERO);
    // The answer for `tampered_at` has its guard removed: the check must catch it.
    let tampered = ownership.replace("external onlyOwner {", "external {");
    assert_ne!(tampered, ownership);
    let answers: BTreeMap<String, Value> = [
        (open, "Ownership.sol", "OpenOwnership", &ownership),
        (guarded, "Ownership.sol", "GuardedOwnership", &ownership),
        (tampered_at, "Ownership.sol", "GuardedOwnership", &tampered),
        (exit_vault, "Vault.sol", "ExitVault", &vault),
        (killable, "Vault.sol", "Killable", &vault),
    ]
    .into_iter()
    .map(|(address, file, name, source)| {
        (
            address.to_string().to_lowercase(),
            sourcify_answer(address, file, name, source),
        )
    })
    .collect();
    let server = SourceServer::start(answers);
    let before = node.block_number().unwrap();
    let owner_before = node.storage(open, Default::default()).unwrap();

    // The open ownership: the source is an exact match, the unguarded write is found at
    // its line, and the simulation takes the ownership.
    let out = scan(&node, &server, open, &["-f", "json"]);
    let report = json_of(&out);
    assert_eq!(report["source"]["status"], "analyzed", "{report:#}");
    assert_eq!(report["source"]["check"]["status"], "exact", "{report:#}");
    assert_eq!(report["source"]["contract"], "OpenOwnership");
    let owner_line = ownership
        .lines()
        .position(|l| l.contains("function transferOwnership(address newOwner) external {"))
        .unwrap()
        + 1;
    // Only the deployed contract's findings: not those of the other contracts of the file.
    let writes = findings_of(&report, "unprotected-state-write");
    assert_eq!(writes.len(), 1, "{report:#}");
    assert_eq!(writes[0]["place"]["line"], owner_line, "{report:#}");
    let write = writes[0];
    assert_eq!(write["place"]["kind"], "source");
    assert_eq!(write["place"]["file"], "Ownership.sol");
    assert_eq!(write["place"]["function"], "transferOwnership");
    assert_eq!(write["simulation"]["status"], "confirmed", "{write:#}");
    assert!(
        report["implementation"]["facts"]["owner()"]
            .as_str()
            .is_some_and(|o| o.eq_ignore_ascii_case(&node.accounts()[0].to_string())),
        "{report:#}"
    );

    // The exit: the unguarded payout is found and the simulation takes ether out.
    let out = scan(&node, &server, exit_vault, &["-f", "json"]);
    let report = json_of(&out);
    let payouts = findings_of(&report, "arbitrary-send-eth");
    assert_eq!(payouts.len(), 1, "{report:#}");
    assert_eq!(payouts[0]["place"]["function"], "emergencyExit");
    assert_eq!(
        payouts[0]["simulation"]["status"], "confirmed",
        "{report:#}"
    );

    // The self-destruct: confirmed too, and the text report shows the evidence.
    let out = scan(&node, &server, killable, &["--color", "never"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("low[unprotected-selfdestruct]"), "{text}");
    assert!(text.contains("  = simulation: confirmed: "), "{text}");
    assert!(!text.contains("unprotected-state-write"), "{text}");

    // The guarded contract: no access-control finding; the text report names the source.
    let out = scan(&node, &server, guarded, &["--color", "never"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("source: verified on the Sourcify-compatible server (exact match), contract GuardedOwnership"),
        "{text}"
    );
    assert!(
        text.contains("source check: The sources match the deployed code"),
        "{text}"
    );
    assert!(!text.contains("unprotected-state-write"), "{text}");

    // Sources that are not the deployed ones: said plainly; the simulation of the finding
    // the edited source shows finds the guard.
    let out = scan(&node, &server, tampered_at, &["-f", "json"]);
    let report = json_of(&out);
    assert_eq!(
        report["source"]["check"]["status"], "mismatch",
        "{report:#}"
    );
    assert!(
        report["source"]["check"]["description"]
            .as_str()
            .unwrap()
            .contains("do NOT match"),
        "{report:#}"
    );
    for finding in findings_of(&report, "unprotected-state-write") {
        assert_eq!(
            finding["simulation"]["status"], "not reproduced",
            "{finding:#}"
        );
    }

    // A contract the server does not have: said plainly, and the scan goes on.
    let out = scan(&node, &server, unknown, &["--color", "never"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(
            "source: not verified (Sourcify-compatible server answered that it has no source)"
        ),
        "{text}"
    );

    // --bytecode-only asks no provider.
    let asked = *server.requests.lock().unwrap();
    let out = scan(
        &node,
        &server,
        open,
        &["--bytecode-only", "--color", "never"],
    );
    assert!(out.status.success() || out.status.code() == Some(1));
    assert_eq!(*server.requests.lock().unwrap(), asked);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("source: not fetched: bytecode only was asked for"),
        "{text}"
    );

    // Without the source, the bytecode detectors speak, at a selector and a program
    // counter, and their access-control findings are simulated through the selector.
    let out = scan(&node, &server, killable, &["--bytecode-only", "-f", "json"]);
    let report = json_of(&out);
    let destructs = findings_of(&report, "bytecode-unguarded-selfdestruct");
    assert_eq!(destructs.len(), 1, "{report:#}");
    let place = &destructs[0]["place"];
    assert_eq!(place["kind"], "bytecode");
    assert_eq!(place["selector"], "0x41c0e1b5");
    assert_eq!(place["function"], "kill()");
    assert_eq!(
        destructs[0]["simulation"]["status"], "confirmed",
        "{report:#}"
    );
    assert!(
        destructs[0]["message"]
            .as_str()
            .unwrap()
            .contains("source not available"),
        "{report:#}"
    );
    let out = scan(&node, &server, guarded, &["--bytecode-only", "-f", "json"]);
    let report = json_of(&out);
    assert_eq!(report["findings"], json!([]), "{report:#}");

    // Nothing was sent to the chain.
    assert_eq!(node.block_number().unwrap(), before);
    assert_eq!(
        node.storage(open, Default::default()).unwrap(),
        owner_before
    );
}

#[test]
fn a_self_destroyed_contract_is_said_so_and_its_past_can_be_scanned() {
    // Before Cancun, SELFDESTRUCT removes the code.
    let Some(node) = devnet::anvil_with_or_skip(
        "a_self_destroyed_contract_is_said_so_and_its_past_can_be_scanned",
        &["--hardfork", "shanghai"],
    ) else {
        return;
    };
    let ether = U256::from(10u64).pow(U256::from(18u64));
    let killable = deploy(&node, "Killable", ether);
    let alive = node.block_number().unwrap();
    let kill = sim::Signature::parse("kill()").unwrap().selector();
    node.send(node.accounts()[1], killable, &kill, U256::ZERO)
        .unwrap();
    assert!(node.code(killable).unwrap().is_empty());
    let server = SourceServer::start(BTreeMap::new());

    let out = scan(&node, &server, killable, &["--color", "never"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "no code at {killable}: an externally owned account, or a self-destroyed contract"
        )),
        "{stderr}"
    );

    // At a block where it was alive, its code is analyzed and the finding confirmed there.
    let block = alive.to_string();
    let out = scan(
        &node,
        &server,
        killable,
        &["--block", &block, "--bytecode-only", "-f", "json"],
    );
    let report = json_of(&out);
    assert_eq!(report["target"]["block"], alive);
    let destructs = findings_of(&report, "bytecode-unguarded-selfdestruct");
    assert_eq!(destructs.len(), 1, "{report:#}");
    assert_eq!(
        destructs[0]["simulation"]["status"], "confirmed",
        "{report:#}"
    );
}
