//! Behaviour every backend must show: each test below runs against SQLite and against
//! PostgreSQL (in a schema of its own, in the database named by
//! `WEB3AUDIT_TEST_POSTGRES_URL`; skipped, saying so, when that variable is unset).

use std::collections::BTreeMap;
use std::sync::Arc;

use store::*;

/// Keeps a backend's database alive for the length of a test.
#[allow(dead_code)]
enum Guard {
    Dir(tempfile::TempDir),
    Schema(String),
}

async fn sqlite() -> (Guard, Arc<dyn Store>) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/nested/db.sqlite", dir.path().display());
    let store = connect(&url).await.unwrap();
    (Guard::Dir(dir), store)
}

const POSTGRES_ENV: &str = "WEB3AUDIT_TEST_POSTGRES_URL";

/// A URL of the test database whose search path is a fresh schema; `None` (after saying
/// why) when no test database is configured.
async fn postgres_schema_url(test: &str) -> Option<(String, String)> {
    let Ok(base) = std::env::var(POSTGRES_ENV) else {
        skip_notice(format!(
            "skipped {test} on PostgreSQL: {POSTGRES_ENV} is not set (.ci/run sets it to a throw-away database)"
        ));
        return None;
    };
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let schema = format!(
        "conformance_{}_{}_{nanos}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    );
    let admin = sqlx::PgPool::connect(&base)
        .await
        .unwrap_or_else(|e| panic!("{POSTGRES_ENV} is set but the database is unreachable: {e}"));
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(&admin)
        .await
        .unwrap();
    admin.close().await;
    let separator = if base.contains('?') { '&' } else { '?' };
    Some((
        format!("{base}{separator}options[search_path]={schema}"),
        schema,
    ))
}

async fn postgres(test: &str) -> Option<(Guard, Arc<dyn Store>)> {
    let (url, schema) = postgres_schema_url(test).await?;
    let store = connect(&url).await.unwrap();
    Some((Guard::Schema(schema), store))
}

/// Runs one behavioural test (an `async fn(Arc<dyn Store>)`) against every backend.
macro_rules! conformance {
    ($($name:ident),* $(,)?) => {
        mod on_sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let (_guard, store) = super::sqlite().await;
                    super::$name(store).await;
                }
            )*
        }
        mod on_postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some((_guard, store)) = super::postgres(stringify!($name)).await else {
                        return;
                    };
                    super::$name(store).await;
                }
            )*
        }
    };
}

conformance!(
    queue_leases_guard_completion_and_findings_are_written_once,
    concurrent_claims_never_share_a_job,
    cancellation_ends_the_lease,
    tenants_are_isolated_and_idempotency_keys_are_per_tenant,
    triage_follows_the_fingerprint_into_later_audits,
    users_keys_and_tenants_round_trip,
    concurrent_trail_appends_form_one_verifiable_chain,
    a_recorded_submission_stores_the_audit_and_its_trail_entry_together,
    quota_figures_count_the_tenant_only,
    rate_limit_buckets_refuse_after_the_burst_and_refill,
    synced_rate_buckets_add_every_node_consumption,
    credential_changes_advance_the_generation,
    dashboard_sessions_expire_and_are_revoked_once,
    previous_audit_is_the_latest_succeeded_one_of_the_same_project,
    dashboard_figures_count_the_tenant_only,
    audit_targets_round_trip_through_insert_claim_and_list,
    chain_reads_are_cached_by_chain_block_address_kind_and_key,
    assistant_suggestions_wait_once_per_finding_under_leases,
    assistant_policies_cache_and_budgets_round_trip,
    tenant_roles_are_per_tenant_and_held_roles_stay,
    sso_sign_ins_are_spent_once_and_identities_are_unique,
);

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
        project: None,
        target: None,
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
            shape: None,
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
async fn sqlite_migrations_apply_once_and_reopen_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/db.sqlite", dir.path().display());
    let first = connect(&url).await.unwrap();
    assert_eq!(
        first.migration_versions().await.unwrap(),
        [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]
    );
    assert!(!first.is_shared());
    drop(first);
    let again = connect(&url).await.unwrap();
    assert_eq!(
        again.migration_versions().await.unwrap(),
        [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]
    );
    assert!(connect("mysql://user:pw@host/db").await.is_err());
    assert_eq!(
        redact_url("postgres://user:pw@host/db"),
        "postgres://user:***@host/db"
    );
    assert_eq!(
        redact_url("postgres://user@host/db?sslmode=require&password=pw"),
        "postgres://user:***@host/db?sslmode=require&password=***"
    );
    assert_eq!(redact_url("sqlite://data/w.db"), "sqlite://data/w.db");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_migrations_apply_once_even_when_processes_start_together() {
    let Some((url, _schema)) = postgres_schema_url("postgres_migrations_apply_once").await else {
        return;
    };
    let (a, b) = tokio::join!(connect(&url), connect(&url));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(
        a.migration_versions().await.unwrap(),
        [1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]
    );
    assert_eq!(
        b.migration_versions().await.unwrap(),
        [1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]
    );
    assert!(a.is_shared());
    drop((a, b));
    let again = connect(&url).await.unwrap();
    assert_eq!(
        again.migration_versions().await.unwrap(),
        [1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]
    );
}

async fn queue_leases_guard_completion_and_findings_are_written_once(store: Arc<dyn Store>) {
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

async fn tenants_are_isolated_and_idempotency_keys_are_per_tenant(store: Arc<dyn Store>) {
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

async fn triage_follows_the_fingerprint_into_later_audits(store: Arc<dyn Store>) {
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

async fn concurrent_claims_never_share_a_job(store: Arc<dyn Store>) {
    let t = tenant(store.as_ref(), "a").await;
    for i in 0..40 {
        store
            .insert_audit(&new_audit(&format!("j{i:02}"), &t, None), "{}", None)
            .await
            .unwrap();
    }
    // Eight dispatchers at once, each taking jobs until the queue is empty.
    let mut tasks = Vec::new();
    for w in 0..8 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let owner = format!("w{w}");
            let mut taken = Vec::new();
            while let Some(job) = store.claim_next(&owner, 2000, 60_000).await.unwrap() {
                taken.push(job.audit.id);
            }
            taken
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.unwrap());
    }
    all.sort();
    let expected: Vec<String> = (0..40).map(|i| format!("j{i:02}")).collect();
    assert_eq!(all, expected, "every job taken exactly once");
    assert_eq!(store.queue_depth().await.unwrap(), 0);
}

async fn cancellation_ends_the_lease(store: Arc<dyn Store>) {
    let t = tenant(store.as_ref(), "a").await;
    store
        .insert_audit(&new_audit("c1", &t, None), "{}", None)
        .await
        .unwrap();
    let job = store.claim_next("w1", 2000, 60_000).await.unwrap().unwrap();
    assert_eq!(job.audit.status, STATUS_RUNNING);
    let cancelled = store.cancel_audit(&t, "c1", 2500).await.unwrap().unwrap();
    assert_eq!(cancelled.status, STATUS_CANCELLED);
    // The worker running it learns at its next heartbeat and may not record a result.
    assert!(!store.heartbeat("c1", "w1", 70_000).await.unwrap());
    assert!(
        !store
            .complete("c1", "w1", 3000, &JobOutcome::Succeeded(analysis("k", 2)))
            .await
            .unwrap()
    );
    assert_eq!(store.requeue_expired(1_000_000).await.unwrap(), 0);
    let audit = store.get_audit(&t, "c1").await.unwrap().unwrap();
    assert_eq!(audit.status, STATUS_CANCELLED);
    let findings = store
        .list_findings(
            &t,
            "c1",
            &FindingFilter {
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(findings.is_empty());
}

async fn users_keys_and_tenants_round_trip(store: Arc<dyn Store>) {
    let t = tenant(store.as_ref(), "a").await;
    let other = tenant(store.as_ref(), "b").await;
    assert!(matches!(
        store
            .create_tenant(&Tenant {
                id: "t-dup".into(),
                name: "a".into(),
                plan: "free".into(),
                is_operator: false,
                created_at: 2,
            })
            .await,
        Err(StoreError::Conflict("tenant"))
    ));
    let user = User {
        id: "u1".into(),
        tenant_id: t.clone(),
        email: "a@example.test".into(),
        password_hash: "h".into(),
        role: "viewer".into(),
        disabled: false,
        created_at: 3,
    };
    store.create_user(&user).await.unwrap();
    assert!(matches!(
        store
            .create_user(&User {
                id: "u2".into(),
                ..user.clone()
            })
            .await,
        Err(StoreError::Conflict("user"))
    ));
    assert_eq!(
        store.find_user_by_email("a@example.test").await.unwrap(),
        Some(user.clone())
    );
    assert!(store.get_user(&other, "u1").await.unwrap().is_none());
    let updated = store
        .update_user(
            &t,
            "u1",
            &UserUpdate {
                role: Some("admin".into()),
                disabled: Some(true),
                password_hash: None,
            },
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!((updated.role.as_str(), updated.disabled), ("admin", true));
    let key = ApiKey {
        id: "k1".into(),
        tenant_id: t.clone(),
        user_id: Some("u1".into()),
        name: "ci".into(),
        role: "auditor".into(),
        prefix: "w3a_0011".into(),
        secret_hash: "s".into(),
        created_at: 4,
        revoked_at: None,
        expires_at: None,
        last_used_at: None,
        scopes: Some(vec!["audit.read".into()]),
    };
    store.create_api_key(&key).await.unwrap();
    assert_eq!(
        store.find_api_key_by_prefix("w3a_0011").await.unwrap(),
        Some(key.clone())
    );
    assert!(
        store
            .revoke_api_key(&other, "k1", 9)
            .await
            .unwrap()
            .is_none()
    );
    let revoked = store.revoke_api_key(&t, "k1", 9).await.unwrap().unwrap();
    assert_eq!(revoked.revoked_at, Some(9));
    assert_eq!(store.list_api_keys(&t).await.unwrap().len(), 1);
    assert!(store.list_api_keys(&other).await.unwrap().is_empty());
    let plan = store.update_tenant_plan(&t, "pro").await.unwrap().unwrap();
    assert_eq!(plan.plan, "pro");
    assert_eq!(store.list_tenants().await.unwrap().len(), 2);
    store.ping().await.unwrap();
}

async fn quota_figures_count_the_tenant_only(store: Arc<dyn Store>) {
    let a = tenant(store.as_ref(), "a").await;
    let b = tenant(store.as_ref(), "b").await;
    for (id, t) in [("q1", &a), ("q2", &a), ("q3", &b)] {
        store
            .insert_audit(&new_audit(id, t, None), "{}", None)
            .await
            .unwrap();
    }
    assert_eq!(store.count_audits_since(&a, 0).await.unwrap(), 2);
    assert_eq!(store.count_audits_since(&a, 1001).await.unwrap(), 0);
    assert_eq!(store.stored_source_bytes(&a).await.unwrap(), 20);
    assert_eq!(store.stored_source_bytes(&b).await.unwrap(), 10);
}

async fn concurrent_trail_appends_form_one_verifiable_chain(store: Arc<dyn Store>) {
    let signer = trail::Signer::new(b"conformance-secret");
    let mut tasks = Vec::new();
    for writer in 0..4 {
        let store = store.clone();
        let signer = signer.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..25 {
                let event = NewAuditEvent {
                    ts: i,
                    tenant_id: None,
                    actor: format!("writer{writer}"),
                    action: "test.appended".into(),
                    target: Some(format!("{i}")),
                    outcome: "success".into(),
                    detail: serde_json::json!({ "writer": writer, "i": i }),
                };
                store.append_audit_event(&event, &signer).await.unwrap();
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let (entries, head) = store.audit_chain().await.unwrap();
    assert_eq!(entries.len(), 100);
    let verification = trail::verify(&entries, head.as_ref(), &signer);
    assert_eq!(verification.first_break, None);
    assert_eq!(
        trail::verify(&entries, head.as_ref(), &trail::Signer::new(b"other key"))
            .first_break
            .map(|b| b.seq),
        Some(1)
    );
    let newest = store
        .list_audit_events(&AuditEventFilter {
            actor: Some("writer2".into()),
            limit: 5,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(newest.len(), 5);
    assert!(newest.windows(2).all(|w| w[0].seq > w[1].seq));
}

async fn a_recorded_submission_stores_the_audit_and_its_trail_entry_together(
    store: Arc<dyn Store>,
) {
    let t = tenant(store.as_ref(), "recorded").await;
    let signer = trail::Signer::new(b"conformance-secret");
    let submitted = |id: &str| NewAuditEvent {
        ts: 1000,
        tenant_id: Some(t.clone()),
        actor: "user:u".into(),
        action: "audit.submitted".into(),
        target: Some(id.into()),
        outcome: "success".into(),
        detail: serde_json::json!({ "files": 1 }),
    };
    let first = new_audit("rec-1", &t, Some("key-1"));
    let created = store
        .insert_audit_recorded(&first, "{}", None, &submitted("rec-1"), &signer)
        .await
        .unwrap();
    let InsertedAudit::Created(audit) = created else {
        panic!("a new audit is created");
    };
    assert_eq!(
        (audit.id.as_str(), audit.status.as_str()),
        ("rec-1", STATUS_QUEUED)
    );
    // The same idempotency key: the stored audit comes back and nothing is appended.
    let again = store
        .insert_audit_recorded(&first, "{}", None, &submitted("rec-1"), &signer)
        .await
        .unwrap();
    assert!(matches!(again, InsertedAudit::Existing(ref a) if a.id == "rec-1"));
    // Answered from the cache: stored succeeded, with its findings and its entry.
    let cached = analysis("cache-rec-2", 2);
    let second = new_audit("rec-2", &t, None);
    let InsertedAudit::Created(audit) = store
        .insert_audit_recorded(&second, "{}", Some(&cached), &submitted("rec-2"), &signer)
        .await
        .unwrap()
    else {
        panic!("a new audit is created");
    };
    assert_eq!(audit.status, STATUS_SUCCEEDED);
    // Refused by the database (an audit id taken already): neither is stored.
    let mut clash = new_audit("rec-1", &t, None);
    clash.sources_hash = "hash-other".into();
    assert!(
        store
            .insert_audit_recorded(&clash, "{}", None, &submitted("rec-1"), &signer)
            .await
            .is_err()
    );

    let (entries, head) = store.audit_chain().await.unwrap();
    let targets: Vec<&str> = entries
        .iter()
        .filter(|e| e.event.action == "audit.submitted")
        .map(|e| e.event.target.as_deref().unwrap_or(""))
        .collect();
    assert_eq!(targets, ["rec-1", "rec-2"]);
    assert_eq!(
        trail::verify(&entries, head.as_ref(), &signer).first_break,
        None
    );
    let findings = store
        .list_findings(
            &t,
            "rec-2",
            &FindingFilter {
                limit: 100,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(findings.len(), 2);
}

/// Says that a test was skipped, on standard error directly, so that it shows even when
/// the test harness captures the test's output.
fn skip_notice(message: String) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "{message}");
}

async fn rate_limit_buckets_refuse_after_the_burst_and_refill(store: Arc<dyn Store>) {
    // 60 a minute (one a second), three at once.
    let rate = TokenRate::per_minute(60, 3);
    for _ in 0..3 {
        assert_eq!(
            store.take_token("key:a", &rate, 10_000).await.unwrap(),
            None
        );
    }
    assert_eq!(
        store.take_token("key:a", &rate, 10_000).await.unwrap(),
        Some(1)
    );
    assert_eq!(
        store.take_token("key:a", &rate, 10_500).await.unwrap(),
        Some(1)
    );
    assert_eq!(
        store.take_token("key:b", &rate, 10_500).await.unwrap(),
        None
    );
    // Refusals take nothing: a second after the last take, one token is back.
    assert_eq!(
        store.take_token("key:a", &rate, 11_000).await.unwrap(),
        None
    );
    assert_eq!(
        store.take_token("key:a", &rate, 11_000).await.unwrap(),
        Some(1)
    );
    // Concurrent takes never hand out more than the bucket holds.
    let mut tasks = Vec::new();
    for _ in 0..10 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            store
                .take_token("key:c", &rate, 20_000)
                .await
                .unwrap()
                .is_none()
        }));
    }
    let mut taken = 0;
    for task in tasks {
        taken += usize::from(task.await.unwrap());
    }
    assert_eq!(taken, 3);
    assert_eq!(store.prune_rate_buckets(15_000).await.unwrap(), 2);
    assert_eq!(
        store.take_token("key:a", &rate, 20_000).await.unwrap(),
        None
    );
}

async fn synced_rate_buckets_add_every_node_consumption(store: Arc<dyn Store>) {
    // One a second, ten at once.
    let rate = TokenRate::per_minute(60, 10);
    let levels = |v: Vec<f64>| {
        v.into_iter()
            .map(|l| (l * 1000.0).round() / 1000.0)
            .collect::<Vec<_>>()
    };
    // A missing bucket is full; reading it consumes nothing.
    assert_eq!(
        levels(
            store
                .sync_rate_buckets(&rate, &[("key:s".into(), 0.0)], 10_000)
                .await
                .unwrap()
        ),
        vec![10.0]
    );
    // Two nodes add what they took; each reads back the level holding both, in the
    // order asked.
    assert_eq!(
        levels(
            store
                .sync_rate_buckets(
                    &rate,
                    &[("tenant:s".into(), 2.0), ("key:s".into(), 4.0)],
                    10_000
                )
                .await
                .unwrap()
        ),
        vec![8.0, 6.0]
    );
    assert_eq!(
        levels(
            store
                .sync_rate_buckets(&rate, &[("key:s".into(), 5.0)], 10_000)
                .await
                .unwrap()
        ),
        vec![1.0]
    );
    // Over the limit, the level goes below zero (paid back by refilling), at most down
    // to minus the burst; the refill counts from the last sync; never above the capacity.
    for (taken, at, level) in [
        (4.0, 12_000, -1.0),
        (50.0, 12_000, -10.0),
        (0.0, 15_000, -7.0),
        (0.0, 100_000, 10.0),
    ] {
        let synced = store
            .sync_rate_buckets(&rate, &[("key:s".into(), taken)], at)
            .await
            .unwrap();
        assert_eq!(levels(synced), vec![level], "{taken} taken at {at}");
    }
}

async fn credential_changes_advance_the_generation(store: Arc<dyn Store>) {
    store.watch_credentials();
    // A shared database's generation goes live once its LISTEN connection is up.
    let mut generation = None;
    for _ in 0..200 {
        generation = store.credential_generation();
        if generation.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    let mut generation = generation.expect("the credential generation goes live");
    let t = tenant(store.as_ref(), "a").await;
    let user = User {
        id: "u1".into(),
        tenant_id: t.clone(),
        email: "g@example.test".into(),
        password_hash: "h".into(),
        role: "admin".into(),
        disabled: false,
        created_at: 1,
    };
    store.create_user(&user).await.unwrap();
    store
        .create_api_key(&ApiKey {
            id: "k1".into(),
            tenant_id: t.clone(),
            user_id: Some("u1".into()),
            name: "ci".into(),
            role: "auditor".into(),
            prefix: "w3a_0022".into(),
            secret_hash: "s".into(),
            created_at: 4,
            revoked_at: None,
            expires_at: None,
            last_used_at: None,
            scopes: None,
        })
        .await
        .unwrap();
    let mut advanced = |store: &dyn Store| {
        let now = store.credential_generation().expect("still live");
        let moved = now != generation;
        generation = now;
        moved
    };
    store.expire_api_key_by(&t, "k1", 1_000).await.unwrap();
    assert!(advanced(store.as_ref()), "expiry change");
    store
        .update_user(
            &t,
            "u1",
            &UserUpdate {
                role: None,
                disabled: Some(true),
                password_hash: None,
            },
        )
        .await
        .unwrap();
    assert!(advanced(store.as_ref()), "owner disabled");
    store.revoke_api_key(&t, "k1", 9).await.unwrap();
    assert!(advanced(store.as_ref()), "revoked");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_tells_other_processes_of_a_credential_change() {
    let Some((url, _schema)) = postgres_schema_url("postgres_tells_other_processes").await else {
        return;
    };
    // Two stores stand for two processes.
    let watcher = connect(&url).await.unwrap();
    let admin = connect(&url).await.unwrap();
    assert_eq!(watcher.credential_generation(), None, "not watching yet");
    watcher.watch_credentials();
    let mut before = None;
    for _ in 0..200 {
        before = watcher.credential_generation();
        if before.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    let before = before.expect("the watcher goes live");
    let t = tenant(admin.as_ref(), "a").await;
    admin
        .create_api_key(&ApiKey {
            id: "k1".into(),
            tenant_id: t.clone(),
            user_id: None,
            name: "ci".into(),
            role: "auditor".into(),
            prefix: "w3a_0033".into(),
            secret_hash: "s".into(),
            created_at: 4,
            revoked_at: None,
            expires_at: None,
            last_used_at: None,
            scopes: None,
        })
        .await
        .unwrap();
    admin.revoke_api_key(&t, "k1", 9).await.unwrap();
    for _ in 0..400 {
        if watcher.credential_generation().is_some_and(|g| g != before) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("the other process did not see the revocation");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_wakes_an_idle_dispatcher_of_another_process_on_submission() {
    let Some((url, _schema)) = postgres_schema_url("postgres_wakes_an_idle_dispatcher").await
    else {
        return;
    };
    // Two stores stand for two processes: a worker waiting, an API node submitting.
    let worker = connect(&url).await.unwrap();
    let api = connect(&url).await.unwrap();
    let t = tenant(api.as_ref(), "a").await;
    // The first wait opens the LISTEN connection; let it time out once.
    worker
        .wait_for_work(std::time::Duration::from_millis(100))
        .await;
    let submit = async {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        api.insert_audit(&new_audit("n1", &t, None), "{}", None)
            .await
            .unwrap();
    };
    let started = std::time::Instant::now();
    tokio::join!(
        worker.wait_for_work(std::time::Duration::from_secs(30)),
        submit
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(20),
        "the waiting dispatcher was not woken by the submission"
    );
    assert!(worker.claim_next("w", 1, 2).await.unwrap().is_some());
}

// Dashboard

async fn dashboard_sessions_expire_and_are_revoked_once(store: Arc<dyn Store>) {
    let t = tenant(store.as_ref(), "a").await;
    store
        .create_user(&User {
            id: "u1".into(),
            tenant_id: t.clone(),
            email: "a@example.test".into(),
            password_hash: "h".into(),
            role: "viewer".into(),
            disabled: false,
            created_at: 1,
        })
        .await
        .unwrap();
    for (hash, expires_at) in [("live", 2_000), ("old", 500)] {
        store
            .create_dashboard_session(&DashboardSession {
                token_hash: hash.into(),
                tenant_id: t.clone(),
                user_id: "u1".into(),
                created_at: 100,
                expires_at,
                revoked_at: None,
            })
            .await
            .unwrap();
    }
    let live = store.get_dashboard_session("live").await.unwrap().unwrap();
    assert_eq!(
        (live.user_id.as_str(), live.tenant_id.as_str()),
        ("u1", t.as_str())
    );
    assert!(live.is_live(1_000) && !live.is_live(2_000));
    assert!(
        store
            .get_dashboard_session("missing")
            .await
            .unwrap()
            .is_none()
    );

    // An expired session cannot be revoked; a live one is, once.
    assert!(!store.revoke_dashboard_session("old", 1_000).await.unwrap());
    assert!(store.revoke_dashboard_session("live", 1_000).await.unwrap());
    assert!(!store.revoke_dashboard_session("live", 1_001).await.unwrap());
    let revoked = store.get_dashboard_session("live").await.unwrap().unwrap();
    assert_eq!(revoked.revoked_at, Some(1_000));
    assert!(!revoked.is_live(1_500));

    assert_eq!(
        store
            .delete_expired_dashboard_sessions(1_000)
            .await
            .unwrap(),
        1
    );
    assert!(store.get_dashboard_session("old").await.unwrap().is_none());
    assert!(store.get_dashboard_session("live").await.unwrap().is_some());
}

fn project_audit(id: &str, tenant: &str, project: &str) -> NewAudit {
    NewAudit {
        project: Some(project.into()),
        ..new_audit(id, tenant, None)
    }
}

async fn previous_audit_is_the_latest_succeeded_one_of_the_same_project(store: Arc<dyn Store>) {
    let t = tenant(store.as_ref(), "a").await;
    let other = tenant(store.as_ref(), "b").await;
    // Ids grow with time: a1 < a2 < ... as the service's UUIDv7 ids do.
    store
        .insert_audit(
            &project_audit("a1", &t, "vault"),
            r#"{"A.sol":"x"}"#,
            Some(&analysis("c1", 3)),
        )
        .await
        .unwrap();
    store
        .insert_audit(
            &project_audit("a2", &t, "token"),
            "{}",
            Some(&analysis("c2", 1)),
        )
        .await
        .unwrap();
    // Queued (not succeeded): never a "previous" audit.
    store
        .insert_audit(&project_audit("a3", &t, "vault"), "{}", None)
        .await
        .unwrap();
    store
        .insert_audit(
            &project_audit("a4", &other, "vault"),
            "{}",
            Some(&analysis("c3", 1)),
        )
        .await
        .unwrap();
    store
        .insert_audit(
            &project_audit("a5", &t, "vault"),
            "{}",
            Some(&analysis("c4", 2)),
        )
        .await
        .unwrap();

    let a5 = store.get_audit(&t, "a5").await.unwrap().unwrap();
    assert_eq!(a5.project.as_deref(), Some("vault"));
    let previous = store
        .previous_project_audit(&t, &a5)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(previous.id, "a1");
    let a1 = store.get_audit(&t, "a1").await.unwrap().unwrap();
    assert!(
        store
            .previous_project_audit(&t, &a1)
            .await
            .unwrap()
            .is_none()
    );
    let a4 = store.get_audit(&other, "a4").await.unwrap().unwrap();
    assert!(
        store
            .previous_project_audit(&other, &a4)
            .await
            .unwrap()
            .is_none()
    );

    let mut fingerprints = store.audit_fingerprints(&t, "a1").await.unwrap();
    fingerprints.sort();
    assert_eq!(fingerprints, ["fp0", "fp1", "fp2"]);
    assert!(
        store
            .audit_fingerprints(&other, "a1")
            .await
            .unwrap()
            .is_empty()
    );

    assert_eq!(
        store.audit_sources(&t, "a1").await.unwrap().as_deref(),
        Some(r#"{"A.sol":"x"}"#)
    );
    assert!(store.audit_sources(&other, "a1").await.unwrap().is_none());
}

async fn dashboard_figures_count_the_tenant_only(store: Arc<dyn Store>) {
    let t = tenant(store.as_ref(), "a").await;
    let other = tenant(store.as_ref(), "b").await;
    for (id, tenant_id, created_at) in [("a1", &t, 10), ("a2", &t, 2_000), ("a3", &other, 2_000)] {
        let audit = NewAudit {
            created_at,
            ..new_audit(id, tenant_id, None)
        };
        store
            .insert_audit(&audit, "{}", Some(&analysis(id, 2)))
            .await
            .unwrap();
    }
    store
        .insert_audit(&new_audit("queued", &t, None), "{}", None)
        .await
        .unwrap();
    let series = store.severity_counts_since(&t, 1_000).await.unwrap();
    assert_eq!(series.len(), 1);
    assert_eq!(series[0].created_at, 2_000);
    assert_eq!(series[0].counts.get("high"), Some(&2));

    let signer = trail::Signer::new(b"key");
    for (tenant_id, action, outcome, ts) in [
        (Some(&t), "login", "failure", 1_500),
        (Some(&t), "login", "failure", 1_600),
        (Some(&t), "login", "success", 1_700),
        (Some(&t), "login", "failure", 10),
        (Some(&other), "login", "failure", 1_500),
        (None, "auth.failed", "denied", 1_500),
    ] {
        let event = NewAuditEvent {
            ts,
            tenant_id: tenant_id.cloned(),
            actor: "anonymous".into(),
            action: action.into(),
            target: None,
            outcome: outcome.into(),
            detail: serde_json::json!({}),
        };
        store.append_audit_event(&event, &signer).await.unwrap();
    }
    let count = |action: &str, outcome: &str, count: i64| AuditEventCount {
        action: action.into(),
        outcome: outcome.into(),
        count,
    };
    assert_eq!(
        store.audit_event_counts(&t, false, 1_000).await.unwrap(),
        [count("login", "failure", 2), count("login", "success", 1)]
    );
    assert_eq!(
        store.audit_event_counts(&t, true, 1_000).await.unwrap(),
        [
            count("auth.failed", "denied", 1),
            count("login", "failure", 2),
            count("login", "success", 1)
        ]
    );
}

async fn audit_targets_round_trip_through_insert_claim_and_list(store: Arc<dyn Store>) {
    let t = tenant(store.as_ref(), "a").await;
    let pinned = AuditTarget {
        chain: "mainnet".into(),
        address: "0x000000000000000000000000000000000000bEEF".into(),
        block: Some(u64::from(u32::MAX) + 7),
    };
    let latest = AuditTarget {
        block: None,
        ..pinned.clone()
    };
    for (id, target) in [("a1", &pinned), ("a2", &latest)] {
        let audit = NewAudit {
            target: Some(target.clone()),
            file_count: 0,
            source_bytes: 0,
            ..new_audit(id, &t, None)
        };
        store.insert_audit(&audit, "{}", None).await.unwrap();
    }
    store
        .insert_audit(&new_audit("a3", &t, None), "{}", None)
        .await
        .unwrap();
    let got = store.get_audit(&t, "a1").await.unwrap().unwrap();
    assert_eq!(got.target.as_ref(), Some(&pinned));
    let claimed = store.claim_next("w", 10, 1_000).await.unwrap().unwrap();
    assert_eq!(claimed.audit.id, "a1");
    assert_eq!(claimed.audit.target.as_ref(), Some(&pinned));
    let listed = store
        .list_audits(
            &t,
            &AuditFilter {
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let targets: Vec<_> = listed.iter().map(|a| a.target.clone()).collect();
    assert_eq!(targets, [None, Some(latest), Some(pinned)]);
}

async fn chain_reads_are_cached_by_chain_block_address_kind_and_key(store: Arc<dyn Store>) {
    let key = ChainReadKey {
        chain_id: 1,
        block: u64::from(u32::MAX) + 1,
        address: "0x000000000000000000000000000000000000beef".into(),
        kind: ChainReadKind::Storage,
        key: format!("0x{}", "0".repeat(63) + "1"),
    };
    assert_eq!(store.get_chain_read(&key).await.unwrap(), None);
    store.put_chain_read(&key, &[0, 1, 255], 10).await.unwrap();
    assert_eq!(
        store.get_chain_read(&key).await.unwrap(),
        Some(vec![0, 1, 255])
    );
    // A value read at a block never changes: a second write keeps the first.
    store.put_chain_read(&key, &[9], 11).await.unwrap();
    assert_eq!(
        store.get_chain_read(&key).await.unwrap(),
        Some(vec![0, 1, 255])
    );
    let others = [
        ChainReadKey {
            chain_id: 2,
            ..key.clone()
        },
        ChainReadKey {
            block: key.block + 1,
            ..key.clone()
        },
        ChainReadKey {
            address: "0x000000000000000000000000000000000000bee0".into(),
            ..key.clone()
        },
        ChainReadKey {
            kind: ChainReadKind::Code,
            key: String::new(),
            ..key.clone()
        },
        ChainReadKey {
            key: format!("0x{}", "0".repeat(63) + "2"),
            ..key.clone()
        },
    ];
    for other in &others {
        assert_eq!(
            store.get_chain_read(other).await.unwrap(),
            None,
            "{other:?}"
        );
    }
    let code = &others[3];
    store.put_chain_read(code, &[], 12).await.unwrap();
    assert_eq!(store.get_chain_read(code).await.unwrap(), Some(Vec::new()));

    let sources = VerifiedSourcesKey {
        chain_id: 1,
        address: key.address.clone(),
        metadata_hash: "a2646970667358221220".into(),
    };
    assert_eq!(store.get_verified_sources(&sources).await.unwrap(), None);
    store
        .put_verified_sources(&sources, r#"{"A.sol":"contract A {}"}"#, 13)
        .await
        .unwrap();
    store
        .put_verified_sources(&sources, "{}", 14)
        .await
        .unwrap();
    assert_eq!(
        store
            .get_verified_sources(&sources)
            .await
            .unwrap()
            .as_deref(),
        Some(r#"{"A.sol":"contract A {}"}"#)
    );
    let other_hash = VerifiedSourcesKey {
        metadata_hash: "ff".into(),
        ..sources
    };
    assert_eq!(store.get_verified_sources(&other_hash).await.unwrap(), None);
}

fn suggestion(id: &str, tenant: &str, finding: &str, created_at: i64) -> Suggestion {
    Suggestion {
        id: id.into(),
        tenant_id: tenant.into(),
        audit_id: "a-1".into(),
        finding_id: finding.into(),
        fingerprint: format!("fp-{finding}"),
        profile: "local".into(),
        status: String::new(),
        requested_by: "user:u-1".into(),
        attempts: 0,
        outcome: None,
        error: None,
        created_at,
        finished_at: None,
    }
}

async fn assistant_suggestions_wait_once_per_finding_under_leases(store: Arc<dyn Store>) {
    let t = tenant(&*store, "assist").await;
    let (first, created) = store
        .request_suggestion(&suggestion("s-1", &t, "f-1", 10))
        .await
        .unwrap();
    assert!(created);
    assert_eq!(first.status, SUGGESTION_QUEUED);
    // A second request for the same finding while one waits is that one.
    let (again, created) = store
        .request_suggestion(&suggestion("s-2", &t, "f-1", 11))
        .await
        .unwrap();
    assert!(!created);
    assert_eq!(again.id, "s-1");
    store
        .request_suggestion(&suggestion("s-3", &t, "f-2", 12))
        .await
        .unwrap();

    // Oldest first, one claimant at a time.
    let claimed = store
        .claim_suggestion("node-a", 100, 200, 2)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((claimed.id.as_str(), claimed.attempts), ("s-1", 1));
    assert_eq!(claimed.status, SUGGESTION_RUNNING);
    let other = store
        .claim_suggestion("node-b", 100, 200, 2)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(other.id, "s-3");
    assert!(
        store
            .claim_suggestion("node-b", 100, 200, 2)
            .await
            .unwrap()
            .is_none()
    );

    // Only the lease holder records the outcome.
    assert!(
        !store
            .finish_suggestion("s-1", "node-b", Ok("{}"), 150)
            .await
            .unwrap()
    );
    assert!(
        store
            .finish_suggestion("s-1", "node-a", Ok(r#"{"verdict":"uncertain"}"#), 150)
            .await
            .unwrap()
    );
    assert!(
        !store
            .finish_suggestion("s-1", "node-a", Err("late"), 160)
            .await
            .unwrap()
    );
    // Once answered, a new request for the finding queues a new suggestion.
    let (newer, created) = store
        .request_suggestion(&suggestion("s-4", &t, "f-1", 170))
        .await
        .unwrap();
    assert!(created);
    assert_eq!(newer.id, "s-4");
    let listed = store.finding_suggestions(&t, "f-1").await.unwrap();
    assert_eq!(
        listed.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(),
        ["s-4", "s-1"]
    );
    assert_eq!(listed[1].status, SUGGESTION_DONE);
    assert_eq!(
        listed[1].outcome.as_deref(),
        Some(r#"{"verdict":"uncertain"}"#)
    );
    assert_eq!(listed[1].finished_at, Some(150));

    // s-3's lease (node-b) expires at 200: it is taken again, then given up after its
    // last attempt's lease expires too.
    let retried = store
        .claim_suggestion("node-a", 300, 400, 2)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((retried.id.as_str(), retried.attempts), ("s-3", 2));
    let next = store
        .claim_suggestion("node-a", 500, 600, 2)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(next.id, "s-4");
    assert!(
        store
            .finish_suggestion("s-4", "node-a", Err("provider said 500"), 510)
            .await
            .unwrap()
    );
    let gone = store.claim_suggestion("node-a", 700, 800, 2).await.unwrap();
    assert!(gone.is_none());
    let s3 = &store.finding_suggestions(&t, "f-2").await.unwrap()[0];
    assert_eq!(s3.status, SUGGESTION_FAILED);
    assert!(
        s3.error
            .as_deref()
            .unwrap()
            .contains("did not answer in time")
    );
    let failed = &store.finding_suggestions(&t, "f-1").await.unwrap()[0];
    assert_eq!(failed.error.as_deref(), Some("provider said 500"));

    // Another tenant sees none of them.
    let other_tenant = tenant(&*store, "other").await;
    assert!(
        store
            .finding_suggestions(&other_tenant, "f-1")
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .audit_suggestions(&other_tenant, "a-1")
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(store.audit_suggestions(&t, "a-1").await.unwrap().len(), 3);
}

async fn assistant_policies_cache_and_budgets_round_trip(store: Arc<dyn Store>) {
    let t = tenant(&*store, "budget").await;
    assert_eq!(
        store.assistant_policy(&t).await.unwrap(),
        AssistantPolicy::default()
    );
    let policy = AssistantPolicy {
        profile: Some("local".into()),
        auto_severity: Some("high".into()),
    };
    store.set_assistant_policy(&t, &policy, 5).await.unwrap();
    assert_eq!(store.assistant_policy(&t).await.unwrap(), policy);
    // The second-factor policy beside it is untouched, and the reverse.
    assert!(!store.mfa_required(&t).await.unwrap());
    store.set_mfa_required(&t, true, 6).await.unwrap();
    assert_eq!(store.assistant_policy(&t).await.unwrap(), policy);
    store
        .set_assistant_policy(&t, &AssistantPolicy::default(), 7)
        .await
        .unwrap();
    assert!(store.mfa_required(&t).await.unwrap());
    assert_eq!(
        store.assistant_policy(&t).await.unwrap(),
        AssistantPolicy::default()
    );

    assert_eq!(store.cached_outcome("k").await.unwrap(), None);
    store.cache_outcome("k", &t, "{\"a\":1}", 1).await.unwrap();
    store.cache_outcome("k", &t, "{\"a\":2}", 2).await.unwrap();
    assert_eq!(
        store.cached_outcome("k").await.unwrap().as_deref(),
        Some("{\"a\":2}")
    );

    // Reservations never pass the limit, even at once.
    let mut handles = Vec::new();
    for _ in 0..10 {
        let store = store.clone();
        let t = t.clone();
        handles.push(tokio::spawn(async move {
            store
                .reserve_assistant_tokens(&t, "2026-12-07", 300, 1000)
                .await
                .unwrap()
        }));
    }
    let mut granted = 0;
    for handle in handles {
        granted += usize::from(handle.await.unwrap());
    }
    assert_eq!(granted, 3);
    assert_eq!(
        store.assistant_tokens_used(&t, "2026-12-07").await.unwrap(),
        900
    );
    store
        .adjust_assistant_tokens(&t, "2026-12-07", -250)
        .await
        .unwrap();
    assert_eq!(
        store.assistant_tokens_used(&t, "2026-12-07").await.unwrap(),
        650
    );
    store
        .adjust_assistant_tokens(&t, "2026-12-07", -5000)
        .await
        .unwrap();
    assert_eq!(
        store.assistant_tokens_used(&t, "2026-12-07").await.unwrap(),
        0
    );
    // Another day starts empty.
    assert!(
        store
            .reserve_assistant_tokens(&t, "2026-12-08", 1000, 1000)
            .await
            .unwrap()
    );
    assert!(
        !store
            .reserve_assistant_tokens(&t, "2026-12-08", 1, 1000)
            .await
            .unwrap()
    );
}

async fn tenant_roles_are_per_tenant_and_held_roles_stay(store: Arc<dyn Store>) {
    let t = tenant(&*store, "roles").await;
    let other = tenant(&*store, "roles-other").await;
    let role = TenantRole {
        tenant_id: t.clone(),
        name: "triager".into(),
        permissions: vec!["audit.read".into(), "finding.triage".into()],
        description: Some("reads and triages".into()),
        created_by: "user:u".into(),
        created_at: 3,
    };
    store.create_role(&role).await.unwrap();
    assert!(matches!(
        store.create_role(&role).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(
        store.get_role(&t, "triager").await.unwrap(),
        Some(role.clone())
    );
    assert_eq!(store.get_role(&other, "triager").await.unwrap(), None);
    assert_eq!(
        store.list_roles(&t).await.unwrap(),
        std::slice::from_ref(&role)
    );
    assert!(store.list_roles(&other).await.unwrap().is_empty());

    // Held by a key: kept; once the key is revoked, deleted once.
    let key = ApiKey {
        id: "k-role".into(),
        tenant_id: t.clone(),
        user_id: None,
        name: "k".into(),
        role: "triager".into(),
        prefix: "w3a_role".into(),
        secret_hash: "s".into(),
        created_at: 4,
        revoked_at: None,
        expires_at: None,
        last_used_at: None,
        scopes: None,
    };
    store.create_api_key(&key).await.unwrap();
    assert!(matches!(
        store.delete_role(&t, "triager").await,
        Err(StoreError::Conflict(_))
    ));
    store.revoke_api_key(&t, "k-role", 5).await.unwrap();
    assert!(!store.delete_role(&other, "triager").await.unwrap());
    assert!(store.delete_role(&t, "triager").await.unwrap());
    assert!(!store.delete_role(&t, "triager").await.unwrap());
}

async fn sso_sign_ins_are_spent_once_and_identities_are_unique(store: Arc<dyn Store>) {
    let t = tenant(&*store, "sso").await;
    let login = SsoLogin {
        state_hash: "state-1".into(),
        provider: "acme".into(),
        browser_hash: "browser".into(),
        nonce: "nonce".into(),
        pkce_verifier: "verifier".into(),
        created_at: 10,
        expires_at: 100,
        used_at: None,
    };
    store.create_sso_login(&login).await.unwrap();
    assert_eq!(
        store.get_sso_login("state-1").await.unwrap(),
        Some(login.clone())
    );
    assert_eq!(store.get_sso_login("state-2").await.unwrap(), None);
    // Spent once: a replayed callback finds it spent.
    assert!(store.spend_sso_login("state-1", 20).await.unwrap());
    assert!(!store.spend_sso_login("state-1", 21).await.unwrap());
    assert_eq!(
        store
            .get_sso_login("state-1")
            .await
            .unwrap()
            .unwrap()
            .used_at,
        Some(20)
    );
    assert_eq!(store.delete_expired_sso_logins(100).await.unwrap(), 0);
    assert_eq!(store.delete_expired_sso_logins(101).await.unwrap(), 1);
    assert_eq!(store.get_sso_login("state-1").await.unwrap(), None);

    let user = User {
        id: "u-sso".into(),
        tenant_id: t.clone(),
        email: "sso@example.com".into(),
        password_hash: "!sso".into(),
        role: "viewer".into(),
        disabled: false,
        created_at: 1,
    };
    store.create_user(&user).await.unwrap();
    let identity = SsoIdentity {
        provider: "acme".into(),
        subject: "sub-1".into(),
        tenant_id: t.clone(),
        user_id: user.id.clone(),
        created_at: 30,
        last_sign_in_at: 30,
    };
    store.create_sso_identity(&identity).await.unwrap();
    assert!(matches!(
        store.create_sso_identity(&identity).await,
        Err(StoreError::Conflict(_))
    ));
    store.touch_sso_identity("acme", "sub-1", 40).await.unwrap();
    assert_eq!(
        store.get_sso_identity("acme", "sub-1").await.unwrap(),
        Some(SsoIdentity {
            last_sign_in_at: 40,
            ..identity
        })
    );
    assert_eq!(
        store.get_sso_identity("other", "sub-1").await.unwrap(),
        None
    );

    // Revoking a user's sessions ends the live ones only, of that user only.
    for (hash, user_id, expires_at) in [
        ("s1", "u-sso", 1_000),
        ("s2", "u-sso", 5),
        ("s3", "u-other", 1_000),
    ] {
        if user_id == "u-other" && store.get_user(&t, "u-other").await.unwrap().is_none() {
            store
                .create_user(&User {
                    id: "u-other".into(),
                    email: "other-sso@example.com".into(),
                    ..user.clone()
                })
                .await
                .unwrap();
        }
        store
            .create_dashboard_session(&DashboardSession {
                token_hash: hash.into(),
                tenant_id: t.clone(),
                user_id: user_id.into(),
                created_at: 1,
                expires_at,
                revoked_at: None,
            })
            .await
            .unwrap();
    }
    assert_eq!(
        store.revoke_user_sessions(&t, "u-sso", 50).await.unwrap(),
        1
    );
    assert_eq!(
        store.revoke_user_sessions(&t, "u-sso", 51).await.unwrap(),
        0
    );
    let live = |hash: &'static str| {
        let store = store.clone();
        async move {
            store
                .get_dashboard_session(hash)
                .await
                .unwrap()
                .unwrap()
                .is_live(60)
        }
    };
    assert!(!live("s1").await);
    assert!(live("s3").await);
}
