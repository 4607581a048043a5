//! The audit service on a Solana program: JSON sources with the program's `Cargo.toml` go
//! through the same analyzer as `scan`; the findings are stored and served, and the
//! reports carry them.

mod service_support;

use std::collections::BTreeSet;

use serde_json::{Value, json};
use service_support::*;

const DIR: &str = "tests/fixtures/solana/anchor/programs/vault";

fn fixture(path: &str) -> String {
    std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join(DIR)
            .join(path),
    )
    .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_solana_program_is_audited_like_the_other_languages() {
    let dir = temp_dir("service-solana");
    let key = bootstrap(&dir)["api_key"].as_str().unwrap().to_string();
    let client = reqwest::Client::new();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut server = serve(&dir, port, 0, &[]);
    wait_ready(&client, &base).await;

    let sources = json!({
        "programs/vault/Cargo.toml": fixture("Cargo.toml"),
        "programs/vault/src/lib.rs": fixture("src/lib.rs"),
        "programs/vault/src/state.rs": fixture("src/state.rs"),
        // Tests of the package are not the deployed program.
        "programs/vault/tests/flow.rs": fixture("tests/flow.rs"),
    });
    let id = submit(&client, &key, &base, &json!({ "sources": sources })).await;
    assert_eq!(wait_for_audit(&client, &key, &base, &id).await, "succeeded");

    let findings = get(
        &client,
        &key,
        &format!("{base}/api/v1/audits/{id}/findings"),
    )
    .await;
    let found: BTreeSet<(String, String)> = findings["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["detector"].as_str().unwrap().to_owned(),
                f["file"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let lib = "programs/vault/src/lib.rs".to_owned();
    // The same findings as `scan` of the fixture (scan_solana.rs), nothing from the tests.
    let expected: BTreeSet<(String, String)> = [
        "solana-unchecked-arithmetic",
        "solana-missing-owner-check",
        "solana-missing-signer",
        "solana-unchecked-sysvar",
    ]
    .into_iter()
    .map(|rule| (rule.to_owned(), lib.clone()))
    .collect();
    assert_eq!(found, expected, "{findings}");
    let signer = findings["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["detector"] == "solana-missing-signer")
        .unwrap();
    assert_eq!(signer["category"], "access_control");
    assert_eq!(signer["severity"], "high");

    let sarif = client
        .get(format!("{base}/api/v1/audits/{id}/report?format=sarif"))
        .header("x-api-key", &key)
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert!(
        results
            .iter()
            .any(|r| r["ruleId"] == "solana-missing-signer"
                && r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                    == lib.as_str()),
        "{sarif}"
    );
    let html = client
        .get(format!("{base}/api/v1/audits/{id}/report?format=html"))
        .header("x-api-key", &key)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("solana-missing-signer"),
        "the HTML report lists it"
    );
    // The dashboard shows the finding on its line of the Rust source.
    let signer_id = signer["id"].as_str().unwrap().to_owned();
    let line = signer["start_line"].as_u64().unwrap();
    let page = dashboard_page(&base, &format!("/findings/{signer_id}")).await;
    assert!(
        page.contains(&format!("<div class=\"line flagged\" id=\"L{line}\">")),
        "{page}"
    );
    assert!(page.contains("pub authority: AccountInfo"), "{page}");

    // Without its Cargo.toml a Rust file is not known to be a Solana program.
    let response = client
        .post(format!("{base}/api/v1/audits"))
        .header("x-api-key", &key)
        .json(&json!({ "sources": { "programs/vault/src/lib.rs": fixture("src/lib.rs") } }))
        .send()
        .await
        .unwrap();
    let id = response.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    wait_for_audit(&client, &key, &base, &id).await;
    let findings = get(
        &client,
        &key,
        &format!("{base}/api/v1/audits/{id}/findings"),
    )
    .await;
    assert_eq!(findings["items"], json!([]), "{findings}");
    let _ = server.kill();
    let _ = server.wait();
}
