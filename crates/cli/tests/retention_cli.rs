//! `web3audit retention run [--dry-run]` end to end on a real database (SQLite, and
//! PostgreSQL when `WEB3AUDIT_TEST_POSTGRES_URL` is set), then `audit-log verify` over
//! the pruned trail, and after the checkpoint is deleted.

mod service_support;

use serde_json::Value;
use service_support::*;

const DAY: i64 = 86_400_000;

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

fn audit(id: &str, tenant: &str, at: i64) -> store::NewAudit {
    store::NewAudit {
        id: id.into(),
        tenant_id: tenant.into(),
        sources_hash: format!("hash-{id}"),
        cache_key: format!("cache-{id}"),
        options: store::AuditOptions::default(),
        timeout_secs: 60,
        source_bytes: 10,
        file_count: 1,
        idempotency_key: None,
        request_hash: "r".into(),
        created_by: "user:u".into(),
        created_at: at,
        project: None,
        target: None,
    }
}

fn two_findings() -> store::CachedAnalysis {
    let finding = |fp: &str| store::FindingData {
        detector: "tx-origin-auth".into(),
        title: "t".into(),
        severity: "high".into(),
        confidence: "high".into(),
        file: "A.sol".into(),
        start_line: 1,
        end_line: 1,
        message: "m".into(),
        fingerprint: fp.into(),
        category: None,
        swc: None,
        shape: None,
    };
    store::CachedAnalysis {
        cache_key: "k".into(),
        analyzer_version: "v".into(),
        findings: vec![finding("fp1"), finding("fp2")],
        reports: Default::default(),
    }
}

/// Five trail entries and two audits from 40 days ago (one finished, one still queued),
/// the bootstrap entries and one finished audit of today.
async fn populate(url: &str) {
    let store = store::connect(url).await.unwrap();
    let signer = store::trail::Signer::new(SECRET.as_bytes());
    let old = now_ms() - 40 * DAY;
    for i in 0..5 {
        let event = store::NewAuditEvent {
            ts: old + i,
            tenant_id: None,
            actor: "user:former".into(),
            action: "auth.login".into(),
            target: None,
            outcome: "success".into(),
            detail: serde_json::json!({}),
        };
        store.append_audit_event(&event, &signer).await.unwrap();
    }
    let tenant = bootstrap_at(url)["tenant_id"].as_str().unwrap().to_string();
    let analysis = two_findings();
    for (id, at, cached) in [
        ("old", old, Some(&analysis)),
        ("old-queued", old, None),
        ("today", now_ms(), Some(&analysis)),
    ] {
        store
            .insert_audit(&audit(id, &tenant, at), "{}", cached)
            .await
            .unwrap();
    }
}

fn retention(url: &str, extra: &[&str]) -> std::process::Output {
    bin()
        .args(["retention", "run", "--database-url", url])
        .args(extra)
        .env("WEB3AUDIT_RETENTION_AUDITS_DAYS", "30")
        .env("WEB3AUDIT_RETENTION_AUDIT_LOG_DAYS", "30")
        .output()
        .unwrap()
}

fn verify(url: &str) -> (Option<i32>, String) {
    let output = bin()
        .args(["audit-log", "verify", "--database-url", url])
        .output()
        .unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

fn rows(report: &Value, kind: &str) -> Value {
    report["kinds"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind} in {report}"))["rows"]
        .clone()
}

async fn run_dry_then_for_real_then_verify(url: &str, delete_checkpoints: impl AsyncFnOnce()) {
    populate(url).await;

    let output = retention(url, &["--dry-run", "--json"]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["dry_run"], true);
    for (kind, expected) in [
        ("audits", Value::from(1)),
        ("findings", Value::from(2)),
        ("source_blobs", Value::from(1)),
        ("audit_log", Value::from(5)),
        ("webhook_deliveries", Value::Null),
    ] {
        assert_eq!(rows(&report, kind), expected, "{kind}: {report}");
    }
    // Nothing deleted by the dry run.
    let again: Value =
        serde_json::from_slice(&retention(url, &["--dry-run", "--json"]).stdout).unwrap();
    let counts = |report: &Value| -> Vec<(Value, Value)> {
        report["kinds"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| (k["kind"].clone(), k["rows"].clone()))
            .collect()
    };
    assert_eq!(counts(&again), counts(&report));
    let (code, text) = verify(url);
    assert_eq!(code, Some(0), "{text}");
    assert!(!text.contains("checkpoint"), "{text}");

    let output = retention(url, &[]);
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let line = |kind: &str| {
        text.lines()
            .find(|l| l.split_whitespace().next() == Some(kind))
            .unwrap_or_else(|| panic!("no {kind} line in\n{text}"))
            .split_whitespace()
            .nth(1)
            .unwrap()
            .to_string()
    };
    assert_eq!(
        [line("audits"), line("findings"), line("audit_log")],
        ["1", "2", "5"],
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.contains("webhook_deliveries") && l.contains("kept forever")),
        "{text}"
    );
    assert!(text.contains("entries 1..=5 pruned"), "{text}");

    let (code, text) = verify(url);
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains("audit log intact")
            && text.contains("the chain starts at a checkpoint: entry 5")
            && text.contains("5 entries pruned"),
        "{text}"
    );

    // Idempotent: a second run deletes nothing and appends nothing.
    let output = retention(url, &["--json"]);
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        report["kinds"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|k| k["rows"].as_u64())
            .sum::<u64>(),
        0,
        "{report}"
    );
    assert_eq!(verify(url).0, Some(0));

    delete_checkpoints().await;
    let (code, text) = verify(url);
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("BROKEN") && text.contains("no checkpoint records their pruning"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retention_run_on_sqlite() {
    let dir = temp_dir("retention-cli");
    let url = db_url(&dir);
    let tamper_url = url.clone();
    run_dry_then_for_real_then_verify(&url, async move || {
        let pool = sqlx::SqlitePool::connect(&tamper_url).await.unwrap();
        sqlx::query("DELETE FROM audit_log_checkpoints")
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retention_run_on_postgres() {
    let Some(url) = postgres_schema_url("retention_cli").await else {
        return;
    };
    let tamper_url = url.clone();
    run_dry_then_for_real_then_verify(&url, async move || {
        let pool = sqlx::PgPool::connect(&tamper_url).await.unwrap();
        sqlx::query("DELETE FROM audit_log_checkpoints")
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
    })
    .await;
}
