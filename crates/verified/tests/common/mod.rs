//! Test support: a small HTTP/1.1 server on a free local port serving canned answers, and
//! answers in the formats of the Sourcify v2 API and the Etherscan `getsourcecode` API.
//!
//! The answers are written by hand to the documented formats of those APIs (the Sourcify
//! v2 `GET /v2/contract/{chainId}/{address}` lookup, the Etherscan `getsourcecode`
//! action); they are not recordings of the public services.
#![allow(dead_code, unreachable_pub)]

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use serde_json::{Value, json};

/// One canned answer.
#[derive(Clone)]
pub struct Reply {
    pub status: u16,
    pub body: String,
    /// Wait this long before answering.
    pub delay: Duration,
}

impl Reply {
    pub fn json(status: u16, body: &Value) -> Reply {
        Reply {
            status,
            body: body.to_string(),
            delay: Duration::ZERO,
        }
    }

    pub fn text(status: u16, body: impl Into<String>) -> Reply {
        Reply {
            status,
            body: body.into(),
            delay: Duration::ZERO,
        }
    }
}

type Route = Box<dyn Fn(&str) -> Reply + Send + Sync>;

/// A server answering every request with `route(path_and_query)`; stops with the process.
pub struct Server {
    pub url: String,
    requests: Arc<Mutex<Vec<String>>>,
}

impl Server {
    pub fn start(route: impl Fn(&str) -> Reply + Send + Sync + 'static) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&requests);
        let route: Arc<Route> = Arc::new(Box::new(route));
        thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let route = Arc::clone(&route);
                let seen = Arc::clone(&seen);
                thread::spawn(move || serve(stream, &route, &seen));
            }
        });
        Server { url, requests }
    }

    /// The request targets received so far (path and query).
    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

fn serve(mut stream: TcpStream, route: &Route, seen: &Mutex<Vec<String>>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    // Drain the headers.
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            break;
        }
    }
    let target = request_line
        .split_whitespace()
        .nth(1)
        .unwrap_or("/")
        .to_string();
    seen.lock().unwrap().push(target.clone());
    let reply = route(&target);
    thread::sleep(reply.delay);
    let head = format!(
        "HTTP/1.1 {} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        reply.status,
        reply.body.len()
    );
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(reply.body.as_bytes());
    let _ = stream.flush();
}

pub fn fixture_path(file: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(file)
}

pub fn vault() -> devnet::Artifact {
    devnet::load_artifact(&fixture_path("solc-0.8.26.json"), "Vault").unwrap()
}

/// The source files of the Vault fixture, by the paths the compiler saw.
pub fn vault_sources() -> Vec<(String, String)> {
    ["Owned.sol", "Vault.sol"]
        .iter()
        .map(|p| {
            (
                p.to_string(),
                std::fs::read_to_string(fixture_path(p)).unwrap(),
            )
        })
        .collect()
}

/// A Sourcify v2 lookup answer for a verified contract with
/// `fields=sources,metadata,compilation`: the metadata is a JSON object.
pub fn sourcify_found(
    chain_id: u64,
    address: &str,
    sources: &[(String, String)],
    metadata: &str,
    name: &str,
) -> Value {
    let metadata: Value = serde_json::from_str(metadata).unwrap();
    let sources: serde_json::Map<String, Value> = sources
        .iter()
        .map(|(path, text)| (path.clone(), json!({ "content": text })))
        .collect();
    let target = metadata["settings"]["compilationTarget"]
        .as_object()
        .and_then(|t| t.keys().next().cloned())
        .unwrap_or_default();
    json!({
        "matchId": "3172",
        "match": "exact_match",
        "creationMatch": "exact_match",
        "runtimeMatch": "exact_match",
        "verifiedAt": "2026-01-01T00:00:00Z",
        "chainId": chain_id.to_string(),
        "address": address,
        "sources": sources,
        "metadata": metadata,
        "compilation": {
            "language": "Solidity",
            "compiler": "solc",
            "compilerVersion": metadata["compiler"]["version"],
            "compilerSettings": metadata["settings"],
            "name": name,
            "fullyQualifiedName": format!("{target}:{name}"),
        },
    })
}

/// The Sourcify v2 answer for a contract it does not have (HTTP 404).
pub fn sourcify_not_found(chain_id: u64, address: &str) -> Value {
    json!({
        "match": null,
        "creationMatch": null,
        "runtimeMatch": null,
        "chainId": chain_id.to_string(),
        "address": address,
    })
}

/// An Etherscan `getsourcecode` success with one result entry.
pub fn etherscan_found(source_code: &str, name: &str, file_name: Option<&str>) -> Value {
    let mut entry = json!({
        "SourceCode": source_code,
        "ABI": "[]",
        "ContractName": name,
        "CompilerVersion": "v0.8.26+commit.8a97fa7a",
        "OptimizationUsed": "1",
        "Runs": "200",
        "ConstructorArguments": "",
        "EVMVersion": "Default",
        "Library": "",
        "LicenseType": "Apache-2.0",
        "Proxy": "0",
        "Implementation": "",
        "SwarmSource": "",
    });
    if let Some(file) = file_name {
        entry["ContractFileName"] = json!(file);
    }
    json!({ "status": "1", "message": "OK", "result": [entry] })
}

/// Etherscan's answer for an address without verified source.
pub fn etherscan_unverified() -> Value {
    json!({
        "status": "1",
        "message": "OK",
        "result": [{
            "SourceCode": "",
            "ABI": "Contract source code not verified",
            "ContractName": "",
            "CompilerVersion": "",
            "OptimizationUsed": "",
            "Runs": "",
            "ConstructorArguments": "",
            "EVMVersion": "Default",
            "Library": "",
            "LicenseType": "Unknown",
            "Proxy": "0",
            "Implementation": "",
            "SwarmSource": "",
        }],
    })
}

/// Etherscan's refusal form: status "0" with the reason as `result`.
pub fn etherscan_refusal(reason: &str) -> Value {
    json!({ "status": "0", "message": "NOTOK", "result": reason })
}
