//! Test support for the deployed-contract suites: a local Anvil node started on a free port
//! and stopped on drop, the JSON-RPC calls the tests make against it (deploy, send, read,
//! and Anvil's state-setting methods), and the loading of fixtures compiled by
//! `tools/solc/compile.js`.
//!
//! Anvil comes from the npm package `@foundry-rs/anvil`, installed by
//! `tools/anvil/install.sh` into `target/anvil`. The binary is looked up in this order:
//! `$WEB3AUDIT_ANVIL`, `target/anvil` in the workspace, `anvil` on `PATH`. When none is
//! found, [`anvil_or_skip`] returns `None` (the test says it was skipped) unless
//! `WEB3AUDIT_ANVIL_TESTS=required`, which CI sets: then a missing node fails the test.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use alloy_primitives::{Address, B256, U256};
use serde_json::{Value, json};

/// What can go wrong talking to the local node.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("no Anvil binary: set WEB3AUDIT_ANVIL or run tools/anvil/install.sh")]
    NotInstalled,
    #[error("could not start Anvil at {path}: {message}")]
    Start { path: PathBuf, message: String },
    #[error("JSON-RPC {method}: {message}")]
    Rpc { method: String, message: String },
    #[error("transaction {hash} reverted")]
    Reverted { hash: String },
    #[error("fixture {path}: {message}")]
    Fixture { path: PathBuf, message: String },
}

/// A running Anvil node, killed when dropped.
pub struct Anvil {
    child: Child,
    url: String,
    agent: ureq::Agent,
    accounts: Vec<Address>,
}

/// Starts a node for a test, or returns `None` after saying why the test is skipped. With
/// `WEB3AUDIT_ANVIL_TESTS=required` a node that cannot start fails the test instead.
pub fn anvil_or_skip(test: &str) -> Option<Anvil> {
    anvil_with_or_skip(test, &[])
}

/// [`anvil_or_skip`] with extra command-line arguments (`--hardfork shanghai`, …).
pub fn anvil_with_or_skip(test: &str, extra: &[&str]) -> Option<Anvil> {
    match Anvil::spawn_with(extra) {
        Ok(node) => Some(node),
        Err(error) => {
            if std::env::var("WEB3AUDIT_ANVIL_TESTS").as_deref() == Ok("required") {
                panic!("{test}: Anvil is required here: {error}");
            }
            eprintln!("{test}: skipped: {error}");
            None
        }
    }
}

/// The Anvil binary, if one can be found.
pub fn anvil_binary() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("WEB3AUDIT_ANVIL") {
        return Some(PathBuf::from(path));
    }
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let scope = workspace.join("target/anvil/node_modules/@foundry-rs");
    if let Ok(entries) = std::fs::read_dir(&scope) {
        for entry in entries.flatten() {
            let name = entry.file_name();
            let candidate = entry.path().join("bin/anvil");
            if name.to_string_lossy().starts_with("anvil-") && candidate.is_file() {
                return Some(candidate);
            }
        }
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join("anvil"))
        .find(|candidate| candidate.is_file())
}

fn free_port() -> Result<u16, Error> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| Error::Start {
        path: PathBuf::from("127.0.0.1:0"),
        message: e.to_string(),
    })?;
    listener
        .local_addr()
        .map(|addr| addr.port())
        .map_err(|e| Error::Start {
            path: PathBuf::from("127.0.0.1:0"),
            message: e.to_string(),
        })
}

impl Anvil {
    /// Starts Anvil (chain id 31337, ten funded accounts, automine) on a free port.
    pub fn spawn() -> Result<Self, Error> {
        Self::spawn_with(&[])
    }

    /// Starts Anvil with extra command-line arguments (`--chain-id`, `--block-time`, …).
    pub fn spawn_with(extra: &[&str]) -> Result<Self, Error> {
        let path = anvil_binary().ok_or(Error::NotInstalled)?;
        let start_error = |message: String| Error::Start {
            path: path.clone(),
            message,
        };
        // Another process may take the port between the probe and Anvil's bind: retry.
        let mut last = String::new();
        for _ in 0..3 {
            let port = free_port()?;
            let mut child = Command::new(&path)
                .args(["--host", "127.0.0.1", "--port", &port.to_string()])
                .args(extra)
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .map_err(|e| start_error(e.to_string()))?;
            if wait_listening(&mut child, Duration::from_secs(30)) {
                let agent = ureq::Agent::config_builder()
                    .timeout_global(Some(Duration::from_secs(30)))
                    .http_status_as_error(false)
                    .build()
                    .into();
                let mut node = Anvil {
                    child,
                    url: format!("http://127.0.0.1:{port}"),
                    agent,
                    accounts: Vec::new(),
                };
                let accounts = node.rpc("eth_accounts", json!([]))?;
                node.accounts =
                    serde_json::from_value::<Vec<Address>>(accounts).map_err(|e| Error::Rpc {
                        method: "eth_accounts".into(),
                        message: e.to_string(),
                    })?;
                return Ok(node);
            }
            let _ = child.kill();
            let _ = child.wait();
            last = format!("not listening on port {port} after 30 s");
        }
        Err(start_error(last))
    }

    /// The node's HTTP JSON-RPC endpoint.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The node's funded, unlocked accounts.
    pub fn accounts(&self) -> &[Address] {
        &self.accounts
    }

    /// One JSON-RPC call; a JSON-RPC error becomes [`Error::Rpc`].
    pub fn rpc(&self, method: &str, params: Value) -> Result<Value, Error> {
        let rpc_error = |message: String| Error::Rpc {
            method: method.to_string(),
            message,
        };
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
        let mut response = self
            .agent
            .post(&self.url)
            .send_json(&body)
            .map_err(|e| rpc_error(e.to_string()))?;
        let answer: Value = response
            .body_mut()
            .read_json()
            .map_err(|e| rpc_error(e.to_string()))?;
        if let Some(error) = answer.get("error") {
            return Err(rpc_error(error.to_string()));
        }
        Ok(answer.get("result").cloned().unwrap_or(Value::Null))
    }

    /// Deploys `init_code` (constructor arguments appended) from `from`; the new address.
    pub fn deploy(&self, from: Address, init_code: &[u8]) -> Result<Address, Error> {
        let receipt = self.transact(json!({"from": from, "data": hex(init_code)}))?;
        let address = receipt
            .get("contractAddress")
            .cloned()
            .and_then(|v| serde_json::from_value::<Address>(v).ok());
        address.ok_or_else(|| Error::Rpc {
            method: "eth_getTransactionReceipt".into(),
            message: "no contractAddress in the receipt".into(),
        })
    }

    /// Sends a transaction and waits for it to be mined; an error when it reverted.
    pub fn send(&self, from: Address, to: Address, data: &[u8], value: U256) -> Result<(), Error> {
        self.transact(json!({"from": from, "to": to, "data": hex(data), "value": value}))
            .map(drop)
    }

    /// Sends a transaction as `from` without holding its key (Anvil's impersonation).
    pub fn send_as(
        &self,
        from: Address,
        to: Address,
        data: &[u8],
        value: U256,
    ) -> Result<(), Error> {
        self.rpc("anvil_impersonateAccount", json!([from]))?;
        let outcome = self.send(from, to, data, value);
        self.rpc("anvil_stopImpersonatingAccount", json!([from]))?;
        outcome
    }

    fn transact(&self, tx: Value) -> Result<Value, Error> {
        let hash = self.rpc("eth_sendTransaction", json!([tx]))?;
        let hash_text = hash.as_str().unwrap_or_default().to_string();
        // Anvil mines at once but may store the receipt a moment later: poll until it is there.
        let deadline = Instant::now() + Duration::from_secs(30);
        let receipt = loop {
            let receipt = self.rpc("eth_getTransactionReceipt", json!([hash]))?;
            if !receipt.is_null() {
                break receipt;
            }
            if Instant::now() >= deadline {
                return Err(Error::Rpc {
                    method: "eth_getTransactionReceipt".into(),
                    message: format!("no receipt for {hash_text} after 30 s"),
                });
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        if receipt.get("status").and_then(Value::as_str) != Some("0x1") {
            return Err(Error::Reverted { hash: hash_text });
        }
        Ok(receipt)
    }

    /// `eth_call` against the latest block.
    pub fn call(&self, to: Address, data: &[u8]) -> Result<Vec<u8>, Error> {
        let out = self.rpc("eth_call", json!([{"to": to, "data": hex(data)}, "latest"]))?;
        parse_hex(out.as_str().unwrap_or_default()).map_err(|message| Error::Rpc {
            method: "eth_call".into(),
            message,
        })
    }

    /// The runtime code at `address`.
    pub fn code(&self, address: Address) -> Result<Vec<u8>, Error> {
        let out = self.rpc("eth_getCode", json!([address, "latest"]))?;
        parse_hex(out.as_str().unwrap_or_default()).map_err(|message| Error::Rpc {
            method: "eth_getCode".into(),
            message,
        })
    }

    /// One storage word.
    pub fn storage(&self, address: Address, slot: B256) -> Result<B256, Error> {
        let out = self.rpc("eth_getStorageAt", json!([address, slot, "latest"]))?;
        serde_json::from_value(out).map_err(|e| Error::Rpc {
            method: "eth_getStorageAt".into(),
            message: e.to_string(),
        })
    }

    /// The ether balance of `address`.
    pub fn balance(&self, address: Address) -> Result<U256, Error> {
        let out = self.rpc("eth_getBalance", json!([address, "latest"]))?;
        serde_json::from_value(out).map_err(|e| Error::Rpc {
            method: "eth_getBalance".into(),
            message: e.to_string(),
        })
    }

    /// Overwrites one storage word (`anvil_setStorageAt`).
    pub fn set_storage(&self, address: Address, slot: B256, value: B256) -> Result<(), Error> {
        self.rpc("anvil_setStorageAt", json!([address, slot, value]))
            .map(drop)
    }

    /// Puts runtime code at an address (`anvil_setCode`).
    pub fn set_code(&self, address: Address, code: &[u8]) -> Result<(), Error> {
        self.rpc("anvil_setCode", json!([address, hex(code)]))
            .map(drop)
    }

    /// Sets the ether balance of an address (`anvil_setBalance`).
    pub fn set_balance(&self, address: Address, wei: U256) -> Result<(), Error> {
        self.rpc("anvil_setBalance", json!([address, wei]))
            .map(drop)
    }

    /// The latest block number.
    pub fn block_number(&self) -> Result<u64, Error> {
        let out = self.rpc("eth_blockNumber", json!([]))?;
        let text = out.as_str().unwrap_or_default().trim_start_matches("0x");
        u64::from_str_radix(text, 16).map_err(|e| Error::Rpc {
            method: "eth_blockNumber".into(),
            message: e.to_string(),
        })
    }
}

impl Drop for Anvil {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Anvil prints "Listening on 127.0.0.1:PORT" once it accepts connections.
fn wait_listening(child: &mut Child, limit: Duration) -> bool {
    let Some(stdout) = child.stdout.take() else {
        return false;
    };
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut announced = false;
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if !announced && line.contains("Listening on") {
                announced = true;
                let _ = tx.send(());
            }
            // Keep draining so the node never blocks on a full pipe.
        }
    });
    let deadline = Instant::now() + limit;
    rx.recv_timeout(deadline.saturating_duration_since(Instant::now()))
        .is_ok()
}

/// `0x`-prefixed lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(2 + bytes.len() * 2);
    out.push_str("0x");
    for byte in bytes {
        out.push_str(&format!("{byte:02x}"));
    }
    out
}

/// Bytes from hex, with or without `0x`.
pub fn parse_hex(text: &str) -> Result<Vec<u8>, String> {
    let digits = text.trim().trim_start_matches("0x");
    if !digits.len().is_multiple_of(2) {
        return Err(format!("odd number of hex digits in {text:?}"));
    }
    (0..digits.len())
        .step_by(2)
        .map(|i| {
            u8::from_str_radix(&digits[i..i + 2], 16)
                .map_err(|_| format!("not hex: {:?}", &digits[i..i + 2]))
        })
        .collect()
}

/// One contract of a fixture file written by `tools/solc/compile.js`.
#[derive(Debug, Clone)]
pub struct Artifact {
    /// The compiler's long version (`0.8.26+commit.8a97fa7a`).
    pub solc: String,
    pub abi: Value,
    /// Creation code.
    pub bytecode: Vec<u8>,
    /// Runtime code, as deployed.
    pub deployed_bytecode: Vec<u8>,
    /// The compiler's metadata JSON (its hash is in the CBOR tail of the runtime code).
    pub metadata: String,
}

/// Reads contract `name` (`"File.sol:Name"` or just `"Name"`) from a compile.js output file.
pub fn load_artifact(path: &Path, name: &str) -> Result<Artifact, Error> {
    let fixture_error = |message: String| Error::Fixture {
        path: path.to_path_buf(),
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|e| fixture_error(e.to_string()))?;
    let doc: Value = serde_json::from_str(&text).map_err(|e| fixture_error(e.to_string()))?;
    let contracts = doc
        .get("contracts")
        .and_then(Value::as_object)
        .ok_or_else(|| fixture_error("no \"contracts\" object".into()))?;
    let (_, entry) = contracts
        .iter()
        .find(|(key, _)| *key == name || key.rsplit(':').next() == Some(name))
        .ok_or_else(|| fixture_error(format!("no contract {name}")))?;
    let field = |key: &str| entry.get(key).and_then(Value::as_str).unwrap_or_default();
    Ok(Artifact {
        solc: doc
            .get("solc")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        abi: entry.get("abi").cloned().unwrap_or(Value::Null),
        bytecode: parse_hex(field("bytecode")).map_err(&fixture_error)?,
        deployed_bytecode: parse_hex(field("deployed_bytecode")).map_err(&fixture_error)?,
        metadata: field("metadata").to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trips() {
        assert_eq!(hex(&[0, 1, 0xab]), "0x0001ab");
        assert_eq!(parse_hex("0x0001ab").unwrap(), vec![0, 1, 0xab]);
        assert_eq!(parse_hex("").unwrap(), Vec::<u8>::new());
        assert!(parse_hex("0x123").is_err());
        assert!(parse_hex("0xzz").is_err());
    }

    #[test]
    fn node_starts_deploys_and_stops() {
        let Some(node) = anvil_or_skip("node_starts_deploys_and_stops") else {
            return;
        };
        let deployer = node.accounts()[0];
        // Init code that returns the one-byte runtime code 0x00 (STOP).
        let init = parse_hex("0x600a600c600039600a6000f3").unwrap();
        let mut code = init.clone();
        code.extend_from_slice(&[0u8; 10]);
        let address = node.deploy(deployer, &code).unwrap();
        assert_eq!(node.code(address).unwrap(), vec![0u8; 10]);
        node.set_storage(address, B256::ZERO, B256::with_last_byte(7))
            .unwrap();
        assert_eq!(
            node.storage(address, B256::ZERO).unwrap(),
            B256::with_last_byte(7)
        );
        assert!(node.balance(deployer).unwrap() > U256::ZERO);
        let url = node.url().to_string();
        drop(node);
        // The node is gone with its handle.
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(2)))
            .build()
            .into();
        assert!(agent.post(&url).send_json(json!({})).is_err());
    }
}
