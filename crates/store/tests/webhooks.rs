//! Webhooks and their delivery queue, on every backend: SQLite, and PostgreSQL (in a
//! schema of its own, in the database named by `WEB3AUDIT_TEST_POSTGRES_URL`; skipped,
//! saying so, when that variable is unset).

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
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr().lock(),
            "skipped {test} on PostgreSQL: {POSTGRES_ENV} is not set (.ci/run sets it to a throw-away database)"
        );
        return None;
    };
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let schema = format!(
        "webhooks_{}_{}_{nanos}",
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
    webhooks_are_tenant_scoped_and_round_trip,
    deliveries_are_leased_retried_and_finished_once,
    consecutive_failures_disable_the_webhook,
    concurrent_claims_never_share_a_delivery,
    pruning_deletes_finished_deliveries_only,
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

async fn webhook(store: &dyn Store, tenant: &str, id: &str) -> Webhook {
    let w = Webhook {
        id: id.into(),
        tenant_id: tenant.into(),
        url: format!("https://hooks.example.com/{id}"),
        secret: format!("whsec_{id}"),
        events: vec!["audit.completed".into(), "finding.high".into()],
        description: "ops".into(),
        enabled: true,
        disabled_reason: None,
        consecutive_failures: 0,
        created_by: "user:u1".into(),
        created_at: 10,
        updated_at: 10,
    };
    store.create_webhook(&w).await.unwrap();
    w
}

fn delivery(id: &str, webhook: &Webhook, at: i64) -> NewWebhookDelivery {
    NewWebhookDelivery {
        id: id.into(),
        webhook_id: webhook.id.clone(),
        tenant_id: webhook.tenant_id.clone(),
        event: "audit.completed".into(),
        payload: format!("{{\"id\":\"{id}\"}}"),
        created_at: at,
        lease: None,
    }
}

fn attempt(result: AttemptResult, at: i64) -> DeliveryAttempt {
    DeliveryAttempt {
        status_code: match result {
            AttemptResult::Succeeded => Some(200),
            AttemptResult::Refused => None,
            _ => Some(500),
        },
        error: (result != AttemptResult::Succeeded).then(|| "HTTP 500".to_string()),
        result,
        at,
        duration_ms: 5,
    }
}

fn all() -> DeliveryFilter {
    DeliveryFilter {
        limit: 100,
        ..DeliveryFilter::default()
    }
}

async fn webhooks_are_tenant_scoped_and_round_trip(store: Arc<dyn Store>) {
    let a = tenant(store.as_ref(), "a").await;
    let b = tenant(store.as_ref(), "b").await;
    let w = webhook(store.as_ref(), &a, "w1").await;
    webhook(store.as_ref(), &b, "w2").await;
    assert_eq!(store.get_webhook(&a, "w1").await.unwrap(), Some(w.clone()));
    assert_eq!(store.get_webhook(&b, "w1").await.unwrap(), None);
    assert_eq!(
        store.list_webhooks(&a).await.unwrap(),
        std::slice::from_ref(&w)
    );
    assert!(
        store
            .update_webhook(&b, "w1", &WebhookUpdate::default())
            .await
            .unwrap()
            .is_none()
    );
    assert!(!store.delete_webhook(&b, "w1").await.unwrap());

    let changed = store
        .update_webhook(
            &a,
            "w1",
            &WebhookUpdate {
                url: Some("https://other.example.com/x".into()),
                events: Some(vec!["audit.failed".into()]),
                updated_at: 20,
                ..WebhookUpdate::default()
            },
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(changed.url, "https://other.example.com/x");
    assert_eq!(changed.events, ["audit.failed"]);
    assert_eq!(changed.description, "ops");
    assert_eq!(changed.secret, w.secret);
    assert_eq!(changed.updated_at, 20);

    // Disabling fails what is still pending; re-enabling clears the reason.
    store
        .insert_webhook_deliveries(&[delivery("d1", &changed, 30)])
        .await
        .unwrap();
    let off = store
        .update_webhook(
            &a,
            "w1",
            &WebhookUpdate {
                enabled: Some(false),
                disabled_reason: Some("disabled by user:u1".into()),
                updated_at: 40,
                ..WebhookUpdate::default()
            },
        )
        .await
        .unwrap()
        .unwrap();
    assert!(!off.enabled);
    assert_eq!(off.disabled_reason.as_deref(), Some("disabled by user:u1"));
    let d1 = store.get_webhook_delivery(&a, "d1").await.unwrap().unwrap();
    assert_eq!(d1.status, DELIVERY_FAILED);
    assert_eq!(d1.finished_at, Some(40));
    assert!(
        store
            .claim_webhook_deliveries("o", 1000, 2000, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let on = store
        .update_webhook(
            &a,
            "w1",
            &WebhookUpdate {
                enabled: Some(true),
                updated_at: 50,
                ..WebhookUpdate::default()
            },
        )
        .await
        .unwrap()
        .unwrap();
    assert!(on.enabled);
    assert_eq!(on.disabled_reason, None);

    // Another tenant sees neither the delivery nor the log.
    assert_eq!(store.get_webhook_delivery(&b, "d1").await.unwrap(), None);
    assert!(
        store
            .list_webhook_deliveries(&b, "w1", &all())
            .await
            .unwrap()
            .is_empty()
    );
    assert!(store.delete_webhook(&a, "w1").await.unwrap());
    assert_eq!(store.get_webhook(&a, "w1").await.unwrap(), None);
    assert_eq!(store.get_webhook_delivery(&a, "d1").await.unwrap(), None);
    assert_eq!(store.list_webhooks(&b).await.unwrap().len(), 1);
}

async fn deliveries_are_leased_retried_and_finished_once(store: Arc<dyn Store>) {
    let a = tenant(store.as_ref(), "a").await;
    let w = webhook(store.as_ref(), &a, "w1").await;
    store
        .insert_webhook_deliveries(&[
            delivery("d1", &w, 100),
            delivery("d2", &w, 100),
            delivery("d3", &w, 200),
        ])
        .await
        .unwrap();
    // Not due before its creation time.
    assert_eq!(
        store
            .claim_webhook_deliveries("o1", 150, 10_000, 10)
            .await
            .unwrap()
            .len(),
        2
    );
    assert!(
        store
            .claim_webhook_deliveries("o2", 150, 10_000, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let third = store
        .claim_webhook_deliveries("o2", 200, 10_000, 10)
        .await
        .unwrap();
    assert_eq!(third.len(), 1);
    assert_eq!(third[0].delivery.id, "d3");
    assert_eq!(third[0].url, w.url);
    assert_eq!(third[0].secret, w.secret);
    assert_eq!(third[0].delivery.payload, "{\"id\":\"d3\"}");

    // Only the lease holder records.
    assert_eq!(
        store
            .record_webhook_attempt("d1", "o2", &attempt(AttemptResult::Succeeded, 300), 5)
            .await
            .unwrap(),
        AttemptRecorded::LeaseLost
    );
    // A retry puts it back for later, with the attempt counted.
    assert_eq!(
        store
            .record_webhook_attempt("d1", "o1", &attempt(AttemptResult::Retry(5_000), 300), 5)
            .await
            .unwrap(),
        AttemptRecorded::Recorded {
            webhook_disabled: false
        }
    );
    let d1 = store.get_webhook_delivery(&a, "d1").await.unwrap().unwrap();
    assert_eq!(
        (
            d1.status.as_str(),
            d1.attempts,
            d1.next_attempt_at,
            d1.last_status_code
        ),
        (DELIVERY_PENDING, 1, Some(5_000), Some(500))
    );
    assert_eq!(d1.last_error.as_deref(), Some("HTTP 500"));
    assert_eq!(d1.finished_at, None);
    assert!(
        store
            .claim_webhook_deliveries("o3", 4_999, 20_000, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let again = store
        .claim_webhook_deliveries("o3", 5_000, 20_000, 10)
        .await
        .unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].delivery.attempts, 1);
    store
        .record_webhook_attempt("d1", "o3", &attempt(AttemptResult::Succeeded, 5_100), 5)
        .await
        .unwrap();
    let d1 = store.get_webhook_delivery(&a, "d1").await.unwrap().unwrap();
    assert_eq!((d1.status.as_str(), d1.attempts), (DELIVERY_SUCCEEDED, 2));
    assert_eq!(d1.finished_at, Some(5_100));
    assert_eq!(d1.duration_ms, Some(5));
    // Finished: never recorded again.
    assert_eq!(
        store
            .record_webhook_attempt("d1", "o3", &attempt(AttemptResult::Failed, 5_200), 5)
            .await
            .unwrap(),
        AttemptRecorded::LeaseLost
    );

    // d2's lease (o1, until 10 000) expires: another owner takes it.
    assert!(
        store
            .claim_webhook_deliveries("o4", 9_999, 30_000, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let expired = store
        .claim_webhook_deliveries("o4", 10_001, 30_000, 10)
        .await
        .unwrap();
    let ids: Vec<_> = expired.iter().map(|c| c.delivery.id.as_str()).collect();
    assert_eq!(ids, ["d2", "d3"]);
    assert_eq!(
        store
            .record_webhook_attempt("d2", "o1", &attempt(AttemptResult::Failed, 10_002), 5)
            .await
            .unwrap(),
        AttemptRecorded::LeaseLost
    );
    store
        .record_webhook_attempt("d3", "o4", &attempt(AttemptResult::Refused, 10_003), 5)
        .await
        .unwrap();

    // The log: newest first, paged by id, filtered by status.
    let log = store
        .list_webhook_deliveries(&a, "w1", &all())
        .await
        .unwrap();
    let ids: Vec<_> = log.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(ids, ["d3", "d2", "d1"]);
    assert_eq!(log[0].status, DELIVERY_REFUSED);
    let page = store
        .list_webhook_deliveries(
            &a,
            "w1",
            &DeliveryFilter {
                before_id: Some("d3".into()),
                limit: 1,
                ..DeliveryFilter::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(page.len(), 1);
    assert_eq!(page[0].id, "d2");
    let pending = store
        .list_webhook_deliveries(
            &a,
            "w1",
            &DeliveryFilter {
                status: Some(DELIVERY_PENDING.into()),
                limit: 10,
                ..DeliveryFilter::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].id, "d2");

    // A delivery inserted leased is its creator's until the lease ends.
    store
        .insert_webhook_deliveries(&[NewWebhookDelivery {
            lease: Some(("api".into(), 50_000)),
            ..delivery("d4", &w, 40_000)
        }])
        .await
        .unwrap();
    let due = store
        .claim_webhook_deliveries("o5", 40_001, 60_000, 10)
        .await
        .unwrap();
    assert_eq!(
        due.iter()
            .map(|c| c.delivery.id.as_str())
            .collect::<Vec<_>>(),
        ["d2"]
    );
    store
        .record_webhook_attempt("d4", "api", &attempt(AttemptResult::Succeeded, 40_002), 5)
        .await
        .unwrap();
    assert_eq!(
        store
            .get_webhook_delivery(&a, "d4")
            .await
            .unwrap()
            .unwrap()
            .status,
        DELIVERY_SUCCEEDED
    );
}

async fn consecutive_failures_disable_the_webhook(store: Arc<dyn Store>) {
    let a = tenant(store.as_ref(), "a").await;
    let w = webhook(store.as_ref(), &a, "w1").await;
    let ids = ["d1", "d2", "d3", "d4", "d5"];
    let news: Vec<_> = ids.iter().map(|id| delivery(id, &w, 100)).collect();
    store.insert_webhook_deliveries(&news).await.unwrap();
    let claimed = store
        .claim_webhook_deliveries("o", 100, 10_000, 3)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 3);
    let record = |id: &'static str, result: AttemptResult| {
        let store = store.clone();
        async move {
            store
                .record_webhook_attempt(id, "o", &attempt(result, 200), 2)
                .await
                .unwrap()
        }
    };
    // A failure, then a success resets the count; a retry does not count.
    let not_disabled = AttemptRecorded::Recorded {
        webhook_disabled: false,
    };
    assert_eq!(record("d1", AttemptResult::Failed).await, not_disabled);
    assert_eq!(
        store
            .get_webhook(&a, "w1")
            .await
            .unwrap()
            .unwrap()
            .consecutive_failures,
        1
    );
    assert_eq!(record("d2", AttemptResult::Succeeded).await, not_disabled);
    assert_eq!(
        store
            .get_webhook(&a, "w1")
            .await
            .unwrap()
            .unwrap()
            .consecutive_failures,
        0
    );
    assert_eq!(record("d3", AttemptResult::Retry(150)).await, not_disabled);
    let claimed = store
        .claim_webhook_deliveries("o", 200, 10_000, 10)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 3, "d3 again, d4 and d5");
    assert_eq!(record("d3", AttemptResult::Refused).await, not_disabled);
    assert_eq!(
        record("d4", AttemptResult::Failed).await,
        AttemptRecorded::Recorded {
            webhook_disabled: true
        }
    );
    let hook = store.get_webhook(&a, "w1").await.unwrap().unwrap();
    assert!(!hook.enabled);
    assert_eq!(hook.consecutive_failures, 2);
    assert!(
        hook.disabled_reason
            .unwrap()
            .contains("2 consecutive failed")
    );
    // d5 was in flight: it is failed with the webhook, and its late outcome is dropped.
    let d5 = store.get_webhook_delivery(&a, "d5").await.unwrap().unwrap();
    assert_eq!(d5.status, DELIVERY_FAILED);
    assert_eq!(
        record("d5", AttemptResult::Failed).await,
        AttemptRecorded::LeaseLost
    );
}

async fn concurrent_claims_never_share_a_delivery(store: Arc<dyn Store>) {
    let a = tenant(store.as_ref(), "a").await;
    let w = webhook(store.as_ref(), &a, "w1").await;
    let news: Vec<_> = (0..40)
        .map(|i| delivery(&format!("d{i:02}"), &w, 100))
        .collect();
    store.insert_webhook_deliveries(&news).await.unwrap();
    // Eight workers at once, each taking small batches until nothing is due.
    let mut tasks = Vec::new();
    for n in 0..8 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let owner = format!("w{n}");
            let mut taken = Vec::new();
            loop {
                let batch = store
                    .claim_webhook_deliveries(&owner, 1_000, 60_000, 3)
                    .await
                    .unwrap();
                if batch.is_empty() {
                    return taken;
                }
                taken.extend(batch.into_iter().map(|c| c.delivery.id));
            }
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.unwrap());
    }
    all.sort();
    let expected: Vec<String> = (0..40).map(|i| format!("d{i:02}")).collect();
    assert_eq!(all, expected, "every delivery taken exactly once");
}

async fn pruning_deletes_finished_deliveries_only(store: Arc<dyn Store>) {
    let a = tenant(store.as_ref(), "a").await;
    let w = webhook(store.as_ref(), &a, "w1").await;
    store
        .insert_webhook_deliveries(&[
            delivery("d1", &w, 100),
            delivery("d2", &w, 100),
            delivery("d3", &w, 100),
        ])
        .await
        .unwrap();
    store
        .claim_webhook_deliveries("o", 100, 10_000, 2)
        .await
        .unwrap();
    store
        .record_webhook_attempt("d1", "o", &attempt(AttemptResult::Succeeded, 1_000), 5)
        .await
        .unwrap();
    store
        .record_webhook_attempt("d2", "o", &attempt(AttemptResult::Failed, 3_000), 5)
        .await
        .unwrap();
    // d3 is pending (created long ago), d2 finished after the cut-off.
    assert_eq!(store.prune_webhook_deliveries(2_000).await.unwrap(), 1);
    let left: Vec<_> = store
        .list_webhook_deliveries(&a, "w1", &all())
        .await
        .unwrap()
        .into_iter()
        .map(|d| d.id)
        .collect();
    assert_eq!(left, ["d3", "d2"]);
    assert_eq!(store.prune_webhook_deliveries(i64::MAX).await.unwrap(), 1);
    assert_eq!(store.prune_webhook_deliveries(i64::MAX).await.unwrap(), 0);
}
