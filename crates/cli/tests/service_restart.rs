//! Nothing submitted is lost: SIGKILL the real server while audits are queued and
//! running, start it again, and every audit reaches a final state exactly once.

mod service_support;

use std::collections::BTreeSet;
use std::time::Duration;

use serde_json::{Value, json};
use service_support::*;

async fn submit_many(client: &reqwest::Client, base: &str, key: &str, n: usize) -> Vec<String> {
    let mut ids = Vec::new();
    for i in 0..n {
        let source = format!(
            "contract C{i} {{\n    function f() public {{ require(tx.origin == msg.sender); }}\n}}\n"
        );
        let response = client
            .post(format!("{base}/api/v1/audits"))
            .header("x-api-key", key)
            .json(&json!({ "sources": { format!("C{i}.sol"): source } }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 202);
        let body: Value = response.json().await.unwrap();
        ids.push(body["id"].as_str().unwrap().to_string());
    }
    ids
}

async fn statuses(client: &reqwest::Client, base: &str, key: &str) -> Vec<Value> {
    get(client, key, &format!("{base}/api/v1/audits?limit=200")).await["items"]
        .as_array()
        .unwrap()
        .clone()
}

async fn wait_all_final(
    client: &reqwest::Client,
    base: &str,
    key: &str,
    ids: &[String],
) -> Vec<Value> {
    for _ in 0..600 {
        let items = statuses(client, base, key).await;
        if items.len() == ids.len()
            && items
                .iter()
                .all(|a| FINAL.contains(&a["status"].as_str().unwrap()))
        {
            return items;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("audits did not all reach a final state");
}

#[tokio::test(flavor = "multi_thread")]
async fn sigkill_while_queued_and_running_loses_and_duplicates_nothing() {
    let dir = temp_dir("service-restart");
    let key = bootstrap(&dir)["api_key"].as_str().unwrap().to_string();
    let client = reqwest::Client::new();

    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut first = serve(&dir, port, 1500, &[]);
    wait_ready(&client, &base).await;
    let ids = submit_many(&client, &base, &key, 8).await;
    // Wait until two are running (the worker pool is 2 wide) and the rest queued.
    let mut before = Vec::new();
    for _ in 0..100 {
        before = statuses(&client, &base, &key).await;
        if before.iter().filter(|a| a["status"] == "running").count() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    first.kill().unwrap(); // SIGKILL
    first.wait().unwrap();
    let running: BTreeSet<String> = before
        .iter()
        .filter(|a| a["status"] == "running")
        .map(|a| a["id"].as_str().unwrap().to_string())
        .collect();
    let queued = before.iter().filter(|a| a["status"] == "queued").count();
    assert_eq!(running.len(), 2, "{before:?}");
    assert_eq!(queued, 6, "{before:?}");

    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut second = serve(&dir, port, 20, &[]);
    wait_ready(&client, &base).await;
    let after = wait_all_final(&client, &base, &key, &ids).await;

    let seen: BTreeSet<String> = after
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        seen,
        ids.iter().cloned().collect::<BTreeSet<_>>(),
        "every submitted audit exists once"
    );
    for audit in &after {
        let id = audit["id"].as_str().unwrap();
        // Interrupted audits ran a second time; queued ones exactly once.
        let expected_attempts = if running.contains(id) { 2 } else { 1 };
        assert_eq!(audit["attempts"], expected_attempts, "{audit}");
        let findings = get(
            &client,
            &key,
            &format!("{base}/api/v1/audits/{id}/findings?limit=200"),
        )
        .await;
        let stored = findings["items"].as_array().unwrap().len() as i64;
        let counted = audit["finding_count"].as_i64().unwrap_or(0);
        assert_eq!(stored, counted, "findings of {id} stored once: {audit}");
    }
    second.kill().unwrap();
    second.wait().unwrap();
    let log = std::fs::read_to_string(dir.join(format!("server-{port}.log"))).unwrap();
    assert!(log.contains("re-queued audits interrupted"), "{log}");
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn sigterm_requeues_running_audits_and_exits_cleanly() {
    let dir = temp_dir("service-sigterm");
    let key = bootstrap(&dir)["api_key"].as_str().unwrap().to_string();
    let client = reqwest::Client::new();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut server = serve(&dir, port, 3000, &[("WEB3AUDIT_SHUTDOWN_GRACE_SECS", "0")]);
    wait_ready(&client, &base).await;
    let ids = submit_many(&client, &base, &key, 3).await;
    for _ in 0..100 {
        if statuses(&client, &base, &key)
            .await
            .iter()
            .any(|a| a["status"] == "running")
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let status = std::process::Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = server.wait().unwrap();
    assert!(exit.success(), "{exit:?}");

    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut again = serve(&dir, port, 10, &[]);
    wait_ready(&client, &base).await;
    let after = wait_all_final(&client, &base, &key, &ids).await;
    assert_eq!(after.len(), 3);
    again.kill().unwrap();
    again.wait().unwrap();
}
