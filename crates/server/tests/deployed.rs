//! Audits of deployed contracts: `{"address", "chain", "block"}` submissions, checked
//! against the chains the service knows, stored with their target, and cached only when
//! they name a block.

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

const ADDRESS: &str = "0x000000000000000000000000000000000000bEEF";

async fn with_chains() -> TestServer {
    start(|s| s.chains = vec!["local".into(), "mainnet".into()]).await
}

async fn submit(server: &TestServer, body: Value) -> (StatusCode, Value) {
    server.post(&server.admin_key, "/api/v1/audits", body).await
}

async fn submit_ok(server: &TestServer, body: Value) -> Value {
    let (status, created) = submit(server, body).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{created}");
    server
        .wait_final(&server.admin_key, created["id"].as_str().unwrap())
        .await
}

#[tokio::test]
async fn a_deployed_contract_is_audited_and_its_target_shown() {
    let server = with_chains().await;
    let audit = submit_ok(
        &server,
        json!({ "address": ADDRESS, "chain": "local", "block": 7 }),
    )
    .await;
    assert_eq!(audit["status"], "succeeded", "{audit}");
    let address = ADDRESS.to_ascii_lowercase();
    assert_eq!(
        audit["target"],
        json!({ "chain": "local", "address": address, "block": 7 })
    );
    assert_eq!(audit["file_count"], 0);
    assert_eq!(audit["project"], format!("{address} on local"));
    let id = audit["id"].as_str().unwrap();
    let (status, findings) = server
        .get(&server.admin_key, &format!("/api/v1/audits/{id}/findings"))
        .await;
    assert_eq!(status, StatusCode::OK);
    let items = findings["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{findings}");
    assert_eq!(items[0]["file"], address);
    assert_eq!(items[0]["message"], format!("{address} on local at 7"));

    // The same contract at the same block is answered from the cache ...
    let again = submit_ok(
        &server,
        json!({ "address": address, "chain": "local", "block": 7 }),
    )
    .await;
    assert_eq!(again["from_cache"], true, "{again}");
    // ... but not at another block, on another chain, or at the latest block, which is
    // never answered from the cache.
    for body in [
        json!({ "address": ADDRESS, "chain": "local", "block": 8 }),
        json!({ "address": ADDRESS, "chain": "mainnet", "block": 7 }),
        json!({ "address": ADDRESS, "chain": "local" }),
        json!({ "address": ADDRESS, "chain": "local" }),
    ] {
        let audit = submit_ok(&server, body.clone()).await;
        assert_eq!(audit["status"], "succeeded", "{audit}");
        assert_eq!(audit["from_cache"], false, "{body} -> {audit}");
    }
    let (_, latest) = server
        .get(&server.admin_key, "/api/v1/audits?limit=1")
        .await;
    assert_eq!(latest["items"][0]["target"]["block"], Value::Null);
}

#[tokio::test]
async fn a_retried_submission_of_the_latest_block_replays_its_audit() {
    let server = with_chains().await;
    let body = json!({ "address": ADDRESS, "chain": "local" });
    let mut ids = Vec::new();
    for expected in [StatusCode::ACCEPTED, StatusCode::OK] {
        let response = server
            .client
            .post(server.url("/api/v1/audits"))
            .header("x-api-key", &server.admin_key)
            .header("idempotency-key", "deploy-1")
            .json(&body)
            .send()
            .await
            .unwrap();
        let (status, created) = split(response).await;
        assert_eq!(status, expected, "{created}");
        ids.push(created["id"].clone());
    }
    assert_eq!(ids[0], ids[1]);
}

#[tokio::test]
async fn an_analysis_error_fails_the_audit_with_its_message() {
    let server = start(|s| s.chains = vec!["down".into()]).await;
    let audit = submit_ok(&server, json!({ "address": ADDRESS, "chain": "down" })).await;
    assert_eq!(audit["status"], "failed");
    assert_eq!(
        audit["error"],
        "chain `down`: the RPC endpoint is unreachable"
    );
}

#[tokio::test]
async fn bad_deployed_contract_submissions_are_precise_problems() {
    let server = with_chains().await;
    let cases = [
        (
            json!({ "address": "0x1234", "chain": "local" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-address",
            "`0x1234` is not an address: expected `0x` and 40 hexadecimal digits",
        ),
        (
            json!({ "address": "0x000000000000000000000000000000000000beeg", "chain": "local" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-address",
            "`0x000000000000000000000000000000000000beeg` is not an address: expected `0x` and 40 hexadecimal digits",
        ),
        (
            json!({ "address": ADDRESS, "chain": "goerli" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown-chain",
            "chain `goerli` is unknown: this service reads `local`, `mainnet`",
        ),
        (
            json!({ "address": ADDRESS }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "missing-chain",
            "an `address` needs the `chain` it is deployed on",
        ),
        (
            json!({ "address": ADDRESS, "chain": "local", "sources": { "A.sol": TOKEN_SOL } }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "conflicting-targets",
            "submit either `sources` or a deployed contract (`address` and `chain`, optionally `block`), not both",
        ),
        (
            json!({ "chain": "local", "sources": { "A.sol": TOKEN_SOL } }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "conflicting-targets",
            "submit either `sources` or a deployed contract (`address` and `chain`, optionally `block`), not both",
        ),
        (
            json!({ "min_severity": "high" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "missing-target",
            "submit `sources` (a map of path to text) or the `address` and `chain` of a deployed contract",
        ),
        (
            json!({ "chain": "local", "block": 3 }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "missing-target",
            "submit `sources` (a map of path to text) or the `address` and `chain` of a deployed contract",
        ),
        (
            json!({ "address": ADDRESS, "chain": "local", "block": u64::MAX }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-block",
            "block 18446744073709551615 is larger than 9223372036854775807",
        ),
    ];
    for (body, status, slug, detail) in cases {
        let (got, problem) = submit(&server, body.clone()).await;
        assert_problem(got, &problem, status, slug);
        assert_eq!(problem["detail"], detail, "{body}");
    }
    let (status, problem) = submit(
        &server,
        json!({ "address": ADDRESS, "chain": "local", "block": "latest" }),
    )
    .await;
    assert_problem(
        status,
        &problem,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid-request",
    );
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .starts_with("invalid type: string \"latest\", expected u64"),
        "{problem}"
    );
    assert_eq!(server.count("audits").await, 0);

    let bare = start(|_| {}).await;
    let (status, problem) = submit(&bare, json!({ "address": ADDRESS, "chain": "local" })).await;
    assert_problem(
        status,
        &problem,
        StatusCode::UNPROCESSABLE_ENTITY,
        "unknown-chain",
    );
    assert_eq!(
        problem["detail"],
        "chain `local` is unknown: this service has no chains configured, so it cannot audit deployed contracts"
    );
}

#[tokio::test]
async fn the_openapi_document_describes_deployed_contract_submissions() {
    let server = with_chains().await;
    let (status, document) = server.get(&server.admin_key, "/api/v1/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    let submit = &document["components"]["schemas"]["SubmitAudit"];
    for field in ["sources", "address", "chain", "block"] {
        assert!(submit["properties"][field].is_object(), "{field}: {submit}");
    }
    assert!(document["components"]["schemas"]["AuditTarget"].is_object());
}
