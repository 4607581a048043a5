//! Alert storage every backend must show: each test runs against SQLite and against
//! PostgreSQL (in a schema of its own, in the database named by
//! `WEB3AUDIT_TEST_POSTGRES_URL`; skipped, saying so, when that variable is unset).

use std::sync::Arc;

use store::*;

#[allow(dead_code)]
enum Guard {
    Dir(tempfile::TempDir),
    Schema(String),
}

const POSTGRES_ENV: &str = "WEB3AUDIT_TEST_POSTGRES_URL";

async fn sqlite() -> (Guard, Arc<dyn Store>) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/db.sqlite", dir.path().display());
    (Guard::Dir(dir), connect(&url).await.unwrap())
}

async fn postgres(test: &str) -> Option<(Guard, Arc<dyn Store>)> {
    let Ok(base) = std::env::var(POSTGRES_ENV) else {
        eprintln!("skipped {test} on PostgreSQL: {POSTGRES_ENV} is not set");
        return None;
    };
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let schema = format!(
        "alerts_{}_{}_{nanos}",
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
    let url = format!("{base}{separator}options[search_path]={schema}");
    Some((Guard::Schema(schema), connect(&url).await.unwrap()))
}

macro_rules! on_every_backend {
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

on_every_backend!(
    concurrent_firings_open_one_alert_per_cooldown_window,
    escalation_is_claimed_once_and_never_after_an_ack,
    alerts_filter_resolve_and_prune,
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

fn firing(id: &str, tenant: Option<&str>, now: i64) -> NewAlert {
    NewAlert {
        id: id.into(),
        rule: "critical-findings".into(),
        severity: "critical".into(),
        tenant_id: tenant.map(str::to_string),
        dedup_key: "findings".into(),
        occurrences: 1,
        detail: serde_json::json!({ "summary": id }),
        now,
        cooldown_ms: 60_000,
    }
}

async fn concurrent_firings_open_one_alert_per_cooldown_window(store: Arc<dyn Store>) {
    let acme = tenant(store.as_ref(), "acme").await;
    let tasks: Vec<_> = (0..100)
        .map(|i| {
            let store = store.clone();
            let acme = acme.clone();
            tokio::spawn(async move {
                store
                    .raise_alert(&firing(&format!("a{i:03}"), Some(&acme), 1_000))
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut opened = Vec::new();
    for task in tasks {
        if let RaisedAlert::Opened(alert) = task.await.unwrap() {
            opened.push(alert);
        }
    }
    assert_eq!(opened.len(), 1, "{opened:?}");
    let alert = store.get_alert(&opened[0].id).await.unwrap().unwrap();
    assert_eq!(alert.occurrences, 100);
    assert_eq!(alert.state, ALERT_FIRING);
    assert_eq!(alert.tenant_id.as_deref(), Some(acme.as_str()));

    // Another tenant, and a service-wide alert of the same rule, are other keys.
    let other = tenant(store.as_ref(), "other").await;
    let raised = store
        .raise_alert(&firing("b", Some(&other), 2_000))
        .await
        .unwrap();
    assert!(matches!(raised, RaisedAlert::Opened(_)), "{raised:?}");
    let raised = store.raise_alert(&firing("c", None, 2_000)).await.unwrap();
    assert!(matches!(raised, RaisedAlert::Opened(_)), "{raised:?}");
    let raised = store.raise_alert(&firing("d", None, 3_000)).await.unwrap();
    assert!(matches!(raised, RaisedAlert::Folded(_)), "{raised:?}");

    // After the cooldown the next firing opens a new alert and supersedes the old one.
    let raised = store
        .raise_alert(&firing("e", Some(&acme), 1_000 + 60_000))
        .await
        .unwrap();
    let RaisedAlert::Opened(next) = raised else {
        panic!("expected a new alert after the cooldown: {raised:?}");
    };
    assert_eq!(next.occurrences, 1);
    let old = store.get_alert(&alert.id).await.unwrap().unwrap();
    assert_eq!(old.state, ALERT_RESOLVED);
    assert_eq!(old.resolved_at, Some(61_000));
}

async fn escalation_is_claimed_once_and_never_after_an_ack(store: Arc<dyn Store>) {
    let RaisedAlert::Opened(first) = store.raise_alert(&firing("x", None, 10)).await.unwrap()
    else {
        panic!("expected a new alert");
    };
    let due = store
        .list_alerts(&AlertFilter {
            state: Some(ALERT_FIRING.into()),
            escalated: Some(false),
            opened_before: Some(11),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(due.len(), 1);
    let claims: Vec<_> = (0..8)
        .map(|_| {
            let store = store.clone();
            let id = first.id.clone();
            tokio::spawn(async move { store.claim_alert_escalation(&id, 20).await.unwrap() })
        })
        .collect();
    let mut won = 0;
    for claim in claims {
        won += usize::from(claim.await.unwrap());
    }
    assert_eq!(won, 1);
    assert_eq!(
        store
            .get_alert(&first.id)
            .await
            .unwrap()
            .unwrap()
            .escalated_at,
        Some(20)
    );

    let mut second = firing("y", None, 10);
    second.rule = "queue".into();
    let RaisedAlert::Opened(second) = store.raise_alert(&second).await.unwrap() else {
        panic!("expected a new alert");
    };
    let acked = store
        .acknowledge_alert(&second.id, "user:u1", 15)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(acked.state, ALERT_ACKNOWLEDGED);
    assert_eq!(acked.acknowledged_by.as_deref(), Some("user:u1"));
    assert_eq!(acked.acknowledged_at, Some(15));
    assert!(!store.claim_alert_escalation(&second.id, 30).await.unwrap());
    // A second acknowledgement changes nothing.
    let again = store
        .acknowledge_alert(&second.id, "user:u2", 16)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again.acknowledged_by.as_deref(), Some("user:u1"));
    assert!(
        store
            .acknowledge_alert("missing", "user:u1", 16)
            .await
            .unwrap()
            .is_none()
    );

    for (status, error) in [
        ("failed", Some("the receiver answered 500")),
        ("sent", None),
    ] {
        store
            .record_alert_notification(&AlertNotification {
                id: format!("n-{status}"),
                alert_id: first.id.clone(),
                channel: "ops".into(),
                purpose: NOTIFICATION_ESCALATION.into(),
                status: status.into(),
                error: error.map(str::to_string),
                created_at: if error.is_some() { 21 } else { 22 },
            })
            .await
            .unwrap();
    }
    let notes = store.list_alert_notifications(&first.id).await.unwrap();
    assert_eq!(
        notes
            .iter()
            .map(|n| (n.status.as_str(), n.error.as_deref()))
            .collect::<Vec<_>>(),
        [
            ("failed", Some("the receiver answered 500")),
            ("sent", None)
        ]
    );
}

async fn alerts_filter_resolve_and_prune(store: Arc<dyn Store>) {
    let acme = tenant(store.as_ref(), "acme").await;
    store
        .raise_alert(&firing("f1", Some(&acme), 100))
        .await
        .unwrap();
    let mut queue = firing("q1", None, 200);
    queue.rule = "queue".into();
    queue.severity = "high".into();
    queue.dedup_key = "service".into();
    store.raise_alert(&queue).await.unwrap();

    let all = AlertFilter {
        limit: 10,
        ..Default::default()
    };
    let listed = store.list_alerts(&all).await.unwrap();
    assert_eq!(
        listed.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(),
        ["q1", "f1"]
    );
    let tenant_only = store
        .list_alerts(&AlertFilter {
            tenant_id: Some(acme.clone()),
            ..all.clone()
        })
        .await
        .unwrap();
    assert_eq!(tenant_only.len(), 1);
    assert_eq!(tenant_only[0].id, "f1");
    let high = store
        .list_alerts(&AlertFilter {
            severity: Some("high".into()),
            ..all.clone()
        })
        .await
        .unwrap();
    assert_eq!(high.len(), 1);
    assert_eq!(high[0].id, "q1");
    assert_eq!(
        store
            .list_alerts(&AlertFilter {
                since: Some(150),
                ..all.clone()
            })
            .await
            .unwrap()
            .len(),
        1
    );

    assert_eq!(
        store
            .resolve_alerts("queue", None, "service", 300)
            .await
            .unwrap(),
        1
    );
    let resolved = store.get_alert("q1").await.unwrap().unwrap();
    assert_eq!(resolved.state, ALERT_RESOLVED);
    // A resolved alert is not folded into: the next firing opens a new one.
    queue.id = "q2".into();
    queue.now = 400;
    assert!(matches!(
        store.raise_alert(&queue).await.unwrap(),
        RaisedAlert::Opened(_)
    ));

    store
        .record_alert_notification(&AlertNotification {
            id: "n1".into(),
            alert_id: "q1".into(),
            channel: "ops".into(),
            purpose: NOTIFICATION_INITIAL.into(),
            status: "sent".into(),
            error: None,
            created_at: 200,
        })
        .await
        .unwrap();
    // Firing alerts are kept whatever their age; the resolved one goes with its rows.
    assert_eq!(store.prune_alert_history(1_000).await.unwrap(), 1);
    assert!(store.get_alert("q1").await.unwrap().is_none());
    assert!(
        store
            .list_alert_notifications("q1")
            .await
            .unwrap()
            .is_empty()
    );
    assert!(store.get_alert("f1").await.unwrap().is_some());
    assert!(store.get_alert("q2").await.unwrap().is_some());

    // Finished audits of every tenant, for the audit_failures rule.
    assert_eq!(store.count_finished_audits(0).await.unwrap(), (0, 0));
    let other = tenant(store.as_ref(), "other").await;
    let outcomes = [
        (acme.as_str(), JobOutcome::Failed("broken".into()), 1_000),
        (other.as_str(), JobOutcome::TimedOut("slow".into()), 1_001),
        (acme.as_str(), JobOutcome::Failed("old".into()), 10),
        (
            other.as_str(),
            JobOutcome::Succeeded(CachedAnalysis {
                cache_key: "k3".into(),
                analyzer_version: "v".into(),
                findings: Vec::new(),
                reports: Default::default(),
            }),
            1_002,
        ),
    ];
    for (i, (tenant_id, outcome, finished_at)) in outcomes.into_iter().enumerate() {
        let audit = NewAudit {
            id: format!("audit-{i}"),
            tenant_id: tenant_id.into(),
            sources_hash: "h".into(),
            cache_key: format!("k{i}"),
            options: AuditOptions::default(),
            timeout_secs: 60,
            source_bytes: 1,
            file_count: 1,
            idempotency_key: None,
            request_hash: "r".into(),
            created_by: "user:u".into(),
            created_at: 1,
            project: None,
            target: None,
        };
        store.insert_audit(&audit, "{}", None).await.unwrap();
        let job = store.claim_next("w", 5, 100_000).await.unwrap().unwrap();
        assert!(
            store
                .complete(&job.audit.id, "w", finished_at, &outcome)
                .await
                .unwrap()
        );
    }
    store
        .insert_audit(
            &NewAudit {
                id: "queued".into(),
                tenant_id: acme.clone(),
                sources_hash: "h".into(),
                cache_key: "kq".into(),
                options: AuditOptions::default(),
                timeout_secs: 60,
                source_bytes: 1,
                file_count: 1,
                idempotency_key: None,
                request_hash: "r".into(),
                created_by: "user:u".into(),
                created_at: 1,
                project: None,
                target: None,
            },
            "{}",
            None,
        )
        .await
        .unwrap();
    assert_eq!(store.count_finished_audits(1_000).await.unwrap(), (3, 2));
}
