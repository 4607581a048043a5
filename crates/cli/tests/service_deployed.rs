//! Deployed contracts through the service: `web3audit serve` with a scan configuration
//! whose `[chains.local]` is a local Anvil node, a proxy deployed from the `chain` crate's
//! fixtures, and `{"address", "chain"}` submissions over HTTP.

mod service_support;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use alloy_primitives::Address;
use devnet::{Anvil, anvil_or_skip};
use serde_json::{Value, json};
use service_support::*;

fn artifact(name: &str) -> devnet::Artifact {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../chain/tests/fixtures/Proxies.json");
    devnet::load_artifact(&path, name).unwrap()
}

fn address_word(address: Address) -> Vec<u8> {
    let mut out = vec![0u8; 12];
    out.extend_from_slice(address.as_slice());
    out
}

/// Deploys `name` with constructor arguments and waits for the receipt.
fn deploy(node: &Anvil, name: &str, args: &[u8]) -> Address {
    let mut code = artifact(name).bytecode;
    code.extend_from_slice(args);
    let hash = node
        .rpc(
            "eth_sendTransaction",
            json!([{"from": node.accounts()[0], "data": devnet::hex(&code)}]),
        )
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let receipt = node
            .rpc("eth_getTransactionReceipt", json!([hash]))
            .unwrap();
        if !receipt.is_null() {
            assert_eq!(receipt["status"], "0x1", "deployment of {name} reverted");
            return receipt["contractAddress"]
                .as_str()
                .unwrap()
                .parse()
                .unwrap();
        }
        assert!(Instant::now() < deadline, "no receipt for {hash}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A TCP relay in front of `upstream` (`http://HOST:PORT`) that counts the HTTP requests
/// sent through it; its URL and the count.
fn counting_relay(upstream: &str) -> (String, Arc<AtomicUsize>) {
    let upstream = upstream.trim_start_matches("http://").to_string();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let requests = Arc::new(AtomicUsize::new(0));
    let counter = requests.clone();
    std::thread::spawn(move || {
        for client in listener.incoming() {
            let (Ok(client), Ok(server)) = (client, TcpStream::connect(&upstream)) else {
                continue;
            };
            let (mut from_client, mut to_server) =
                (client.try_clone().unwrap(), server.try_clone().unwrap());
            let (mut from_server, mut to_client) = (server, client);
            let counter = counter.clone();
            std::thread::spawn(move || {
                let mut buffer = vec![0u8; 64 * 1024];
                loop {
                    let n = match from_client.read(&mut buffer) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => n,
                    };
                    let posts = buffer[..n].windows(5).filter(|w| w == b"POST ").count();
                    counter.fetch_add(posts, Ordering::SeqCst);
                    if to_server.write_all(&buffer[..n]).is_err() {
                        break;
                    }
                }
                let _ = to_server.shutdown(Shutdown::Write);
            });
            std::thread::spawn(move || {
                let _ = std::io::copy(&mut from_server, &mut to_client);
                let _ = to_client.shutdown(Shutdown::Write);
            });
        }
    });
    (url, requests)
}

async fn submit(client: &reqwest::Client, base: &str, key: &str, body: Value) -> (u16, Value) {
    let response = client
        .post(format!("{base}/api/v1/audits"))
        .header("x-api-key", key)
        .json(&body)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

/// Submits and waits for the audit to finish; the audit as the API shows it.
async fn audit(client: &reqwest::Client, base: &str, key: &str, body: Value) -> Value {
    let (status, created) = submit(client, base, key, body).await;
    assert_eq!(status, 202, "{created}");
    let url = format!("{base}/api/v1/audits/{}", created["id"].as_str().unwrap());
    for _ in 0..600 {
        let audit = get(client, key, &url).await;
        if FINAL.contains(&audit["status"].as_str().unwrap()) {
            return audit;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("audit {url} did not finish");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_deployed_proxy_is_audited_over_http() {
    let Some(node) = anvil_or_skip("a_deployed_proxy_is_audited_over_http") else {
        return;
    };
    let before = node.block_number().unwrap();
    let owner = node.accounts()[1];
    let implementation = deploy(&node, "Implementation", &[]);
    let admin = deploy(&node, "ProxyAdmin", &address_word(owner));
    let mut args = address_word(implementation);
    args.extend(address_word(admin));
    let proxy = deploy(&node, "TransparentProxy", &args);
    let block = node.block_number().unwrap();

    let dir = temp_dir("service-deployed");
    let scan_config = dir.join("web3audit.toml");
    let (counted, requests) = counting_relay(node.url());
    std::fs::write(
        &scan_config,
        format!(
            "[chains.local]\nurls = [\"{}\"]\nexpected-chain-id = 31337\n\n[chains.down]\nurls = [\"http://127.0.0.1:9\"]\ntimeout = \"1s\"\nretries = 0\n\n[chains.counted]\nurls = [\"{counted}\"]\n",
            node.url()
        ),
    )
    .unwrap();
    let key = bootstrap(&dir)["api_key"].as_str().unwrap().to_string();
    let client = reqwest::Client::new();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut processes = Processes::default();
    processes.push(serve(
        &dir,
        port,
        0,
        &[("WEB3AUDIT_SCAN_CONFIG", scan_config.to_str().unwrap())],
    ));
    wait_ready(&client, &base).await;
    let lower = proxy.to_string().to_ascii_lowercase();

    // At the latest block.
    let latest = audit(
        &client,
        &base,
        &key,
        json!({ "address": proxy.to_string(), "chain": "local" }),
    )
    .await;
    assert_eq!(latest["status"], "succeeded", "{latest}");
    assert_eq!(
        latest["target"],
        json!({ "chain": "local", "address": lower, "block": null })
    );
    let id = latest["id"].as_str().unwrap();
    let findings = get(
        &client,
        &key,
        &format!("{base}/api/v1/audits/{id}/findings"),
    )
    .await;
    let items = findings["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{findings}");
    let finding = &items[0];
    assert_eq!(finding["detector"], "upgradeable-by-eoa");
    assert_eq!(finding["severity"], "high");
    assert_eq!(finding["file"], proxy.to_string());
    assert!(
        finding["message"]
            .as_str()
            .unwrap()
            .starts_with("the code behind proxy"),
        "{finding}"
    );
    let markdown = client
        .get(format!("{base}/api/v1/audits/{id}/report?format=markdown"))
        .header("x-api-key", &key)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for expected in [
        "# Deployed contract audit".to_string(),
        format!("- address: `{proxy}`"),
        "- chain: local (chain id 31337)".to_string(),
        format!("- block: {block}"),
        format!("- implementation: `{implementation}`"),
        "| high | `upgradeable-by-eoa` |".to_string(),
    ] {
        assert!(
            markdown.contains(&expected),
            "{expected:?} not in\n{markdown}"
        );
    }

    // At a named block: the same finding (same fingerprint); a second audit of that block
    // is answered from the cache.
    let pinned = json!({ "address": lower, "chain": "local", "block": block });
    let first = audit(&client, &base, &key, pinned.clone()).await;
    assert_eq!(first["status"], "succeeded", "{first}");
    assert_eq!(first["from_cache"], false);
    let pinned_findings = get(
        &client,
        &key,
        &format!(
            "{base}/api/v1/audits/{}/findings",
            first["id"].as_str().unwrap()
        ),
    )
    .await;
    assert_eq!(
        pinned_findings["items"][0]["fingerprint"],
        finding["fingerprint"]
    );
    let second = audit(&client, &base, &key, pinned).await;
    assert_eq!(second["from_cache"], true, "{second}");

    // The chain reads of a block are kept by chain id: `counted` is the same node as
    // `local`, whose audits read this block already, so an audit through it asks only for
    // the chain id and the latest block number ...
    let at_block = json!({ "address": lower, "chain": "counted", "block": block });
    let first = audit(&client, &base, &key, at_block.clone()).await;
    assert_eq!(first["status"], "succeeded", "{first}");
    let sent = requests.load(Ordering::SeqCst);
    assert!((1..=2).contains(&sent), "{sent} requests");
    // ... and another audit of the same contract and block (other options, so not
    // answered from the analysis cache) sends no request at all.
    let mut other_options = at_block.clone();
    other_options["min_severity"] = json!("low");
    let again = audit(&client, &base, &key, other_options).await;
    assert_eq!(again["status"], "succeeded", "{again}");
    assert_eq!(again["from_cache"], false);
    assert_eq!(requests.load(Ordering::SeqCst), sent);
    // At the latest block the audit asks for the block number (with the check of the
    // endpoint's chain id a new client makes first), and reads nothing: no block was mined
    // since.
    let latest = json!({ "address": lower, "chain": "counted" });
    let first = audit(&client, &base, &key, latest.clone()).await;
    assert_eq!(first["status"], "succeeded", "{first}");
    let more = requests.load(Ordering::SeqCst) - sent;
    assert!((1..=2).contains(&more), "{more} more requests");

    // Before the deployment there is no code: the audit fails and says why.
    let empty = audit(
        &client,
        &base,
        &key,
        json!({ "address": lower, "chain": "local", "block": before }),
    )
    .await;
    assert_eq!(empty["status"], "failed");
    let error = empty["error"].as_str().unwrap();
    assert!(
        error.contains(&format!(
            "no code at {proxy}: an externally owned account, or a self-destroyed contract"
        )),
        "{error}"
    );

    // An unreachable endpoint fails the audit with the endpoint's error.
    let down = audit(
        &client,
        &base,
        &key,
        json!({ "address": lower, "chain": "down" }),
    )
    .await;
    assert_eq!(down["status"], "failed");
    let error = down["error"].as_str().unwrap();
    assert!(error.contains("http://127.0.0.1:9"), "{error}");

    // A chain the scan configuration does not name is refused at submission.
    let (status, problem) = submit(
        &client,
        &base,
        &key,
        json!({ "address": lower, "chain": "mainnet" }),
    )
    .await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(
        problem["detail"],
        "chain `mainnet` is unknown: this service reads `counted`, `down`, `local`"
    );
}
