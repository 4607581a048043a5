//! The audit service on Vyper sources: a tar.gz archive mixing `.vy` and `.sol` files
//! goes through the same analyzer as `scan`, and its findings are stored and served.

mod service_support;

use serde_json::Value;
use service_support::*;

/// A pool compiled with 0.2.15, whose shared `@nonreentrant` lock is two locks.
const POOL: &str = include_str!("fixtures/vyper/LockedPool.vy");

const WALLET: &str = "pragma solidity 0.8.24;\ncontract Wallet {\n    address owner;\n    \
function withdraw() public {\n        require(tx.origin == owner);\n        \
payable(msg.sender).transfer(address(this).balance);\n    }\n}\n";

fn tar_gz(files: &[(&str, &str)]) -> Vec<u8> {
    let encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let mut builder = tar::Builder::new(encoder);
    for (path, text) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(text.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        builder
            .append_data(&mut header, path, text.as_bytes())
            .unwrap();
    }
    builder.into_inner().unwrap().finish().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_archive_with_vyper_sources_is_audited_like_solidity() {
    let dir = temp_dir("service-vyper");
    let key = bootstrap(&dir)["api_key"].as_str().unwrap().to_string();
    let client = reqwest::Client::new();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut server = serve(&dir, port, 0, &[]);
    wait_ready(&client, &base).await;

    let response = client
        .post(format!("{base}/api/v1/audits"))
        .header("x-api-key", &key)
        .header("content-type", "application/gzip")
        .body(tar_gz(&[
            ("contracts/Pool.vy", POOL),
            ("contracts/Wallet.sol", WALLET),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 202);
    let id = response.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(wait_for_audit(&client, &key, &base, &id).await, "succeeded");

    let findings = get(
        &client,
        &key,
        &format!("{base}/api/v1/audits/{id}/findings"),
    )
    .await;
    let mut found: Vec<(String, String, String)> = findings["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["detector"].as_str().unwrap().to_owned(),
                f["file"].as_str().unwrap().to_owned(),
                f["severity"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    found.sort();
    assert_eq!(
        found,
        [
            (
                "tx-origin-auth".to_owned(),
                "contracts/Wallet.sol".to_owned(),
                "high".to_owned()
            ),
            (
                "vyper-reentrancy-lock-bug".to_owned(),
                "contracts/Pool.vy".to_owned(),
                "critical".to_owned()
            ),
        ]
    );
    server.kill().ok();
    server.wait().ok();
}
