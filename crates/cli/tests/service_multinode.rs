//! Several processes on one PostgreSQL database: an API node (`serve --no-workers`) and
//! two `web3audit worker` processes. SIGKILL one worker in the middle of 200 audits:
//! every audit still reaches exactly one final state with its findings stored once.
//! Concurrent audit-trail appends from two API processes still form one verifiable chain,
//! and a rate limit holds across the nodes.
//!
//! Needs `WEB3AUDIT_TEST_POSTGRES_URL` (a throw-away database; `.ci/run` creates one);
//! each test works in a schema of its own. Without the variable the tests say that they
//! were skipped and pass.

mod service_support;

use std::collections::{BTreeMap, BTreeSet};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use service_support::*;
use sqlx::Row;

const LEASE_SECS: &str = "3";

/// A node of the given kind (`["serve", "--no-workers"]` or `["worker"]`) on `url`,
/// logging to `dir/NAME.log`.
fn node(dir: &std::path::Path, name: &str, kind: &[&str], url: &str, port: u16) -> Child {
    node_with(dir, name, kind, url, port, &[])
}

fn node_with(
    dir: &std::path::Path,
    name: &str,
    kind: &[&str],
    url: &str,
    port: u16,
    extra_env: &[(&str, &str)],
) -> Child {
    let log = std::fs::File::create(dir.join(format!("{name}.log"))).unwrap();
    let mut command = bin();
    command
        .args(kind)
        .args([
            "--bind",
            &format!("127.0.0.1:{port}"),
            "--database-url",
            url,
        ])
        .args(["--test-analysis-delay-ms", "40"])
        .env("WEB3AUDIT_MAX_CONCURRENT_AUDITS", "2")
        .env("WEB3AUDIT_LEASE_SECS", LEASE_SECS)
        .env("WEB3AUDIT_RATE_LIMIT_KEY_PER_MINUTE", "1000000")
        .env("WEB3AUDIT_RATE_LIMIT_TENANT_PER_MINUTE", "1000000")
        .env("WEB3AUDIT_RATE_LIMIT_BURST", "100000")
        .env("WEB3AUDIT_LOG_FORMAT", "json")
        .env("WEB3AUDIT_LOG_LEVEL", "info")
        .stdout(Stdio::null())
        .stderr(log);
    for (name, value) in extra_env {
        command.env(name, value);
    }
    command.spawn().unwrap()
}

/// The database as the tests see it, for what the API does not show (lease owners).
async fn database(url: &str) -> sqlx::PgPool {
    sqlx::PgPool::connect(url).await.unwrap()
}

async fn submit(client: &reqwest::Client, base: &str, key: &str, i: usize) -> String {
    let source = format!(
        "contract C{i} {{\n    address owner;\n    function f() public {{ require(tx.origin == owner); }}\n}}\n"
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
    body["id"].as_str().unwrap().to_string()
}

/// `(id, status, lease_owner)` of every audit.
async fn queue(db: &sqlx::PgPool) -> Vec<(String, String, Option<String>)> {
    sqlx::query("SELECT id, status, lease_owner FROM audits ORDER BY id")
        .fetch_all(db)
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect()
}

fn is_final(status: &str) -> bool {
    FINAL.contains(&status)
}

#[tokio::test(flavor = "multi_thread")]
async fn two_workers_and_an_api_node_survive_a_sigkilled_worker() {
    let Some(url) = postgres_schema_url("multinode_sigkill").await else {
        return;
    };
    let dir = temp_dir("service-multinode");
    let key = bootstrap_at(&url)["api_key"].as_str().unwrap().to_string();
    let client = reqwest::Client::new();
    let db = database(&url).await;

    let mut processes = Processes::default();
    let (api_port, a_port, b_port) = (free_port(), free_port(), free_port());
    let base = format!("http://127.0.0.1:{api_port}");
    processes.push(node(
        &dir,
        "api",
        &["serve", "--no-workers"],
        &url,
        api_port,
    ));
    let a = processes.push(node(&dir, "worker-a", &["worker"], &url, a_port));
    processes.push(node(&dir, "worker-b", &["worker"], &url, b_port));
    for port in [api_port, a_port, b_port] {
        wait_ready(&client, &format!("http://127.0.0.1:{port}")).await;
    }
    // A worker answers health and metrics, not the API.
    let response = client
        .get(format!("http://127.0.0.1:{a_port}/api/v1/audits"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 404);

    let mut ids = Vec::new();
    for i in 0..200 {
        ids.push(submit(&client, &base, &key, i).await);
    }

    // In the middle: some audits finished, and worker A holds running ones.
    let a_owner = format!("{}-", processes.0[a].id());
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let rows = queue(&db).await;
        let done = rows.iter().filter(|r| is_final(&r.1)).count();
        let a_running = rows
            .iter()
            .filter(|r| r.1 == "running" && r.2.as_deref().is_some_and(|o| o.starts_with(&a_owner)))
            .count();
        if done >= 40 && a_running > 0 {
            break;
        }
        assert!(Instant::now() < deadline, "the workers made no progress");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    processes.0[a].kill().unwrap(); // SIGKILL
    processes.0[a].wait().unwrap();
    let killed_at = Instant::now();
    let orphans: BTreeSet<String> = queue(&db)
        .await
        .into_iter()
        .filter(|r| r.1 == "running" && r.2.as_deref().is_some_and(|o| o.starts_with(&a_owner)))
        .map(|r| r.0)
        .collect();
    assert!(!orphans.is_empty());

    // Takeover: the orphans' leases expire, they are re-queued and worker B runs them.
    let mut requeued_after = None;
    let finished_after;
    loop {
        let rows = queue(&db).await;
        let orphan_rows: Vec<_> = rows.iter().filter(|r| orphans.contains(&r.0)).collect();
        if requeued_after.is_none()
            && orphan_rows
                .iter()
                .all(|r| !r.2.as_deref().is_some_and(|o| o.starts_with(&a_owner)))
        {
            requeued_after = Some(killed_at.elapsed());
        }
        if orphan_rows.iter().all(|r| is_final(&r.1)) {
            finished_after = killed_at.elapsed();
            break;
        }
        assert!(
            killed_at.elapsed() < Duration::from_secs(120),
            "the orphaned audits were not taken over: {orphan_rows:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let requeued_after = requeued_after.unwrap_or(finished_after);
    println!(
        "takeover: {} audits of the killed worker re-queued {:.2} s after SIGKILL (lease {LEASE_SECS} s) and finished by the surviving worker {:.2} s after SIGKILL",
        orphans.len(),
        requeued_after.as_secs_f64(),
        finished_after.as_secs_f64()
    );

    // Every audit: one final state, succeeded, findings stored once.
    let deadline = Instant::now() + Duration::from_secs(180);
    let audits = loop {
        let items = get(&client, &key, &format!("{base}/api/v1/audits?limit=200")).await["items"]
            .as_array()
            .unwrap()
            .clone();
        if items.len() == ids.len()
            && items
                .iter()
                .all(|a| is_final(a["status"].as_str().unwrap()))
        {
            break items;
        }
        assert!(Instant::now() < deadline, "audits did not all finish");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let seen: BTreeSet<String> = audits
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(seen, ids.iter().cloned().collect::<BTreeSet<_>>());
    let mut expected_findings = 0;
    for audit in &audits {
        let id = audit["id"].as_str().unwrap();
        assert_eq!(audit["status"], "succeeded", "{audit}");
        let attempts = audit["attempts"].as_i64().unwrap();
        if orphans.contains(id) {
            assert_eq!(attempts, 2, "interrupted once, run again once: {audit}");
        } else {
            assert_eq!(attempts, 1, "{audit}");
        }
        let counted = audit["finding_count"].as_i64().unwrap();
        assert!(counted > 0, "{audit}");
        expected_findings += counted;
    }
    let per_audit: BTreeMap<String, i64> =
        sqlx::query("SELECT audit_id, COUNT(*) FROM findings GROUP BY audit_id")
            .fetch_all(&db)
            .await
            .unwrap()
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
    let stored: i64 = per_audit.values().sum();
    assert_eq!(stored, expected_findings, "findings stored once");
    for audit in &audits {
        assert_eq!(
            per_audit.get(audit["id"].as_str().unwrap()).copied(),
            audit["finding_count"].as_i64(),
            "{audit}"
        );
    }
    // The worker that took over served its metrics all along.
    let metrics = client
        .get(format!("http://127.0.0.1:{b_port}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("web3audit_audits_completed_total"),
        "{metrics}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn trail_appends_from_two_processes_form_one_chain_and_tampering_is_caught() {
    let Some(url) = postgres_schema_url("multinode_trail").await else {
        return;
    };
    let dir = temp_dir("service-multinode-trail");
    let key = bootstrap_at(&url)["api_key"].as_str().unwrap().to_string();
    let client = reqwest::Client::new();
    let mut processes = Processes::default();
    let ports = [free_port(), free_port()];
    for (i, port) in ports.iter().enumerate() {
        processes.push(node(
            &dir,
            &format!("api-{i}"),
            &["serve", "--no-workers"],
            &url,
            *port,
        ));
    }
    for port in ports {
        wait_ready(&client, &format!("http://127.0.0.1:{port}")).await;
    }

    // Both nodes append at once: every created API key is an audit-trail entry.
    let mut tasks = Vec::new();
    for port in ports {
        let client = client.clone();
        let key = key.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..40 {
                let response = client
                    .post(format!("http://127.0.0.1:{port}/api/v1/api-keys"))
                    .header("x-api-key", &key)
                    .json(&json!({ "name": format!("node-{port}-{i}"), "role": "viewer" }))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(response.status().as_u16(), 201);
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    drop(processes);

    let verify = || {
        bin()
            .args(["audit-log", "verify", "--database-url", &url])
            .output()
            .unwrap()
    };
    let intact = verify();
    let stdout = String::from_utf8_lossy(&intact.stdout);
    assert!(
        intact.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&intact.stderr)
    );
    // Three entries from bootstrap, eighty from the two nodes.
    assert!(stdout.contains("83 entries verified"), "{stdout}");

    let db = database(&url).await;
    sqlx::query("UPDATE audit_log SET actor = 'someone else' WHERE seq = 40")
        .execute(&db)
        .await
        .unwrap();
    let tampered = verify();
    let stdout = String::from_utf8_lossy(&tampered.stdout);
    assert_eq!(tampered.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("BROKEN at entry 40"), "{stdout}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rate_limit_holds_across_api_nodes() {
    let Some(url) = postgres_schema_url("multinode_rate").await else {
        return;
    };
    let dir = temp_dir("service-multinode-rate");
    let key = bootstrap_at(&url)["api_key"].as_str().unwrap().to_string();
    let client = reqwest::Client::new();
    let mut processes = Processes::default();
    let ports = [free_port(), free_port()];
    // Five requests at once, then one a minute, per credential.
    let limits = [
        ("WEB3AUDIT_RATE_LIMIT_KEY_PER_MINUTE", "1"),
        ("WEB3AUDIT_RATE_LIMIT_BURST", "5"),
    ];
    for (i, port) in ports.iter().enumerate() {
        processes.push(node_with(
            &dir,
            &format!("api-{i}"),
            &["serve", "--no-workers"],
            &url,
            *port,
            &limits,
        ));
    }
    for port in ports {
        wait_ready(&client, &format!("http://127.0.0.1:{port}")).await;
    }
    let statuses = |count: usize| {
        let client = &client;
        let key = &key;
        async move {
            let mut statuses = Vec::new();
            for i in 0..count {
                let port = ports[i % 2];
                let response = client
                    .get(format!("http://127.0.0.1:{port}/api/v1/me"))
                    .header("x-api-key", key)
                    .send()
                    .await
                    .unwrap();
                if response.status().as_u16() == 429 {
                    assert!(response.headers().contains_key("retry-after"));
                }
                statuses.push(response.status().as_u16());
            }
            statuses
        }
    };
    // Each node decides from its own buckets between syncs (every second): within a
    // second, the two nodes together admit at most the burst plus one more burst (the
    // stated tolerance: (nodes − 1) × (burst + one second of refill)).
    let first = statuses(16).await;
    let admitted = first.iter().filter(|s| **s == 200).count();
    assert!((5..=10).contains(&admitted), "{first:?}");
    assert!(first.iter().all(|s| *s == 200 || *s == 429), "{first:?}");
    // Once the nodes have synced, the shared bucket is spent for both.
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    assert_eq!(statuses(4).await, [429, 429, 429, 429]);
}
