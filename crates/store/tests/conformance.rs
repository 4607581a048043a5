//! Behaviour every backend must show; run against SQLite here (PostgreSQL will run the
//! same functions).

use std::collections::BTreeMap;
use std::sync::Arc;

use store::*;

async fn sqlite() -> (tempfile::TempDir, Arc<dyn Store>) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/nested/db.sqlite", dir.path().display());
    let store = connect(&url).await.unwrap();
    (dir, store)
}

async fn tenant(store: &dyn Store, name: &str) -> String {
    let t = Tenant {
        id: format!("t-{name}"),
        name: name.into(),
        plan: "free".into(),
        is_operator: false,
        created_at: 1,
    };
    store.create_tenant(&t).await.unwrap();
    t.id
}

fn new_audit(id: &str, tenant: &str, key: Option<&str>) -> NewAudit {
    NewAudit {
        id: id.into(),
        tenant_id: tenant.into(),
        sources_hash: format!("hash-{id}"),
        cache_key: format!("cache-{id}"),
        options: AuditOptions::default(),
        timeout_secs: 60,
        source_bytes: 10,
        file_count: 1,
        idempotency_key: key.map(str::to_string),
        request_hash: "r".into(),
        created_by: "user:u".into(),
        created_at: 1000,
    }
}

fn analysis(key: &str, n: usize) -> CachedAnalysis {
    let findings = (0..n)
        .map(|i| FindingData {
            detector: "d".into(),
            title: "t".into(),
            severity: "high".into(),
            confidence: "high".into(),
            file: "A.sol".into(),
            start_line: i as u32 + 1,
            end_line: i as u32 + 1,
            message: "m".into(),
            fingerprint: format!("fp{i}"),
            category: None,
            swc: None,
        })
        .collect();
    CachedAnalysis {
        cache_key: key.into(),
        analyzer_version: "v".into(),
        findings,
        reports: BTreeMap::new(),
    }
}

#[tokio::test]
async fn migrations_apply_once_and_reopen_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/db.sqlite", dir.path().display());
    let first = connect(&url).await.unwrap();
    assert_eq!(first.migration_versions().await.unwrap(), [1]);
    drop(first);
    let again = connect(&url).await.unwrap();
    assert_eq!(again.migration_versions().await.unwrap(), [1]);
    assert!(connect("postgres://user:pw@host/db").await.is_err());
    assert_eq!(
        redact_url("postgres://user:pw@host/db"),
        "postgres://user:***@host/db"
    );
}

#[tokio::test]
async fn queue_leases_guard_completion_and_findings_are_written_once() {
    let (_dir, store) = sqlite().await;
    let t = tenant(store.as_ref(), "a").await;
    for id in ["a1", "a2"] {
        store
            .insert_audit(&new_audit(id, &t, None), "{}", None)
            .await
            .unwrap();
    }
    assert_eq!(store.queue_depth().await.unwrap(), 2);
    let job = store.claim_next("w1", 2000, 5000).await.unwrap().unwrap();
    assert_eq!(job.audit.id, "a1", "oldest first");
    assert_eq!(job.audit.attempts, 1);
    assert!(store.heartbeat("a1", "w1", 9000).await.unwrap());
    assert!(
        !store.heartbeat("a1", "w2", 9000).await.unwrap(),
        "only the owner renews"
    );

    // The lease expires and another worker takes the job: the first may not complete.
    assert_eq!(store.requeue_expired(10_000).await.unwrap(), 1);
    let again = store
        .claim_next("w2", 10_001, 20_000)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((again.audit.id.as_str(), again.audit.attempts), ("a1", 2));
    assert!(
        !store
            .complete(
                "a1",
                "w1",
                10_002,
                &JobOutcome::Succeeded(analysis("cache-a1", 3))
            )
            .await
            .unwrap()
    );
    assert!(
        store
            .complete(
                "a1",
                "w2",
                10_003,
                &JobOutcome::Succeeded(analysis("cache-a1", 3))
            )
            .await
            .unwrap()
    );
    assert!(
        !store
            .complete("a1", "w2", 10_004, &JobOutcome::Failed("late".into()))
            .await
            .unwrap()
    );
    let findings = store
        .list_findings(
            &t,
            "a1",
            &FindingFilter {
                limit: 100,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(findings.len(), 3);
    let audit = store.get_audit(&t, "a1").await.unwrap().unwrap();
    assert_eq!(audit.status, STATUS_SUCCEEDED);
    assert_eq!(audit.counts.unwrap()["high"], 3);
    assert!(store.get_cached("cache-a1").await.unwrap().is_some());

    // Restart recovery: running audits go back to the queue.
    store
        .claim_next("w3", 11_000, 99_000)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(store.requeue_running(None).await.unwrap(), 1);
    assert_eq!(store.queue_depth().await.unwrap(), 1);
}

#[tokio::test]
async fn tenants_are_isolated_and_idempotency_keys_are_per_tenant() {
    let (_dir, store) = sqlite().await;
    let a = tenant(store.as_ref(), "a").await;
    let b = tenant(store.as_ref(), "b").await;
    let first = store
        .insert_audit(&new_audit("x1", &a, Some("k")), "{}", None)
        .await
        .unwrap();
    assert!(matches!(first, InsertedAudit::Created(_)));
    let replay = store
        .insert_audit(&new_audit("x2", &a, Some("k")), "{}", None)
        .await
        .unwrap();
    assert!(matches!(replay, InsertedAudit::Existing(ref e) if e.id == "x1"));
    let other = store
        .insert_audit(&new_audit("x3", &b, Some("k")), "{}", None)
        .await
        .unwrap();
    assert!(matches!(other, InsertedAudit::Created(_)));
    assert!(store.get_audit(&b, "x1").await.unwrap().is_none());
    assert!(store.cancel_audit(&b, "x1", 5).await.unwrap().is_none());
    assert_eq!(
        store.get_audit(&a, "x1").await.unwrap().unwrap().status,
        STATUS_QUEUED
    );
    let list = store
        .list_audits(
            &b,
            &AuditFilter {
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        list.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(),
        ["x3"]
    );
}

#[tokio::test]
async fn triage_follows_the_fingerprint_into_later_audits() {
    let (_dir, store) = sqlite().await;
    let t = tenant(store.as_ref(), "a").await;
    store
        .insert_audit(&new_audit("a1", &t, None), "{}", Some(&analysis("c", 2)))
        .await
        .unwrap();
    let event = NewTriageEvent {
        id: "e1".into(),
        to_state: "false_positive".into(),
        comment: Some("ok".into()),
        actor: "user:u".into(),
        created_at: 7,
    };
    let (finding, stored) = store
        .triage_finding(&t, "a1-f1", &event)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (stored.from_state.as_str(), finding.triage_state.as_str()),
        ("open", "false_positive")
    );
    store
        .insert_audit(&new_audit("a2", &t, None), "{}", Some(&analysis("c", 2)))
        .await
        .unwrap();
    let later = store
        .list_findings(
            &t,
            "a2",
            &FindingFilter {
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let states: Vec<&str> = later.iter().map(|f| f.triage_state.as_str()).collect();
    assert_eq!(states, ["open", "false_positive"]);
    assert_eq!(store.list_triage_events(&t, "fp1").await.unwrap().len(), 1);
}
