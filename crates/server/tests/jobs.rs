//! The job queue seen from the workers: an audit that keeps killing its worker ends as
//! failed, with the reason, instead of looping.

mod common;

use std::time::Duration;

use common::*;

#[tokio::test]
async fn an_audit_interrupted_max_attempts_times_fails_with_the_reason() {
    let server = start(|s| s.max_attempts = 3).await;
    let tenant = server.tenant_id.clone();
    let dir = server.stop().await;
    let mut settings = settings_for(dir.path());
    settings.max_attempts = 3;

    // Three workers took the audit and died with it (their leases ran out).
    let store = store::connect(&settings.database_url).await.unwrap();
    let audit = store::NewAudit {
        id: "dying".into(),
        tenant_id: tenant.clone(),
        sources_hash: "h".into(),
        cache_key: "k".into(),
        options: store::AuditOptions::default(),
        timeout_secs: 60,
        source_bytes: 10,
        file_count: 1,
        idempotency_key: None,
        request_hash: "r".into(),
        created_by: "user:u".into(),
        created_at: 1,
        project: None,
        target: None,
    };
    store
        .insert_audit(&audit, r#"{"A.sol": "contract A {}"}"#, None)
        .await
        .unwrap();
    for attempt in 1..=3 {
        let job = store
            .claim_next(&format!("dead-worker-{attempt}"), 10, 20)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(job.audit.attempts, attempt);
        assert_eq!(store.requeue_expired(1_000).await.unwrap(), 1);
    }

    // The next worker to take it gives up instead of running it a fourth time.
    let server = start_in(dir, settings, false).await;
    let mut finished = None;
    for _ in 0..200 {
        let audit = store.get_audit(&tenant, "dying").await.unwrap().unwrap();
        if audit.is_terminal() {
            finished = Some(audit);
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let audit = finished.expect("the audit reached a final state");
    assert_eq!(audit.status, store::STATUS_FAILED);
    assert_eq!(audit.attempts, 4);
    assert!(
        audit
            .error
            .as_deref()
            .is_some_and(|e| e.contains("gave up after 3 attempts")),
        "{audit:?}"
    );
    server.stop().await;
}
