//! Monitoring storage every backend must show: monitors, exactly-once recording of a
//! monitor's blocks behind its checkpoint, the alerts and incidents those blocks raise,
//! and incident timelines. Each test runs against SQLite and against PostgreSQL (in a
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
        "monitoring_{}_{}_{nanos}",
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
    recording_is_exactly_once_behind_the_checkpoint,
    concurrent_recordings_from_one_checkpoint_let_one_win,
    an_event_of_an_unknown_level_writes_nothing,
    cooldown_folds_monitor_events_into_one_alert,
    incidents_are_joined_raised_and_reopened_after_resolution,
    incident_states_only_move_forward,
    comments_and_assignments_append_to_the_timeline,
    incidents_list_newest_first_with_filters,
    monitors_are_created_updated_and_deleted,
    another_tenant_sees_nothing,
    pruned_alerts_leave_their_events_and_incidents,
    a_firing_folded_into_an_alert_of_no_incident_links_none,
    retention_drops_old_firings_and_resolved_incidents_only,
);

const CHAIN: i64 = 1;

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

fn monitor(id: &str, tenant: &str, name: &str) -> StoredMonitor {
    StoredMonitor {
        id: id.into(),
        tenant_id: tenant.into(),
        name: name.into(),
        config: format!("[[monitors]]\nname = \"{name}\"\n"),
        enabled: true,
        created_by: "user:u1".into(),
        created_at: 10,
        updated_at: 10,
    }
}

/// A firing of `rule` at a block (transaction 0, log `log`).
fn event(id: &str, rule: &str, level: &str, block: i64, log: i64) -> NewMonitorEvent {
    NewMonitorEvent {
        id: id.into(),
        rule: rule.into(),
        level: level.into(),
        block_number: block,
        block_hash: format!("0xb{block}"),
        tx_hash: Some(format!("0xt{block}")),
        tx_index: 0,
        log_index: log,
        dedup_key: format!("key-{id}"),
        cooldown_ms: 0,
        detail: serde_json::json!({ "summary": format!("{rule} fired ({id})"), "amount": 7 }),
    }
}

/// Blocks of monitor `key` (named `name-of-KEY`) of `tenant` from `expected` up to
/// `next`.
fn blocks(
    key: &str,
    tenant: &str,
    expected: Option<i64>,
    next: i64,
    events: Vec<NewMonitorEvent>,
    now: i64,
) -> MonitorBlocks {
    MonitorBlocks {
        monitor_key: key.into(),
        monitor_name: format!("name-of-{key}"),
        tenant_id: tenant.into(),
        expected_next: expected,
        checkpoint: MonitorCheckpoint {
            monitor_key: key.into(),
            chain_id: CHAIN,
            next_block: next,
            last_hash: Some(format!("0xb{}", next - 1)),
            state: serde_json::json!({ "window": [next] }),
            updated_at: now,
        },
        events,
        now,
    }
}

async fn alerts_of(store: &dyn Store, rule: &str) -> Vec<Alert> {
    store
        .list_alerts(&AlertFilter {
            rule: Some(rule.into()),
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap()
}

fn is_checkpoint_conflict(error: &StoreError) -> bool {
    matches!(error, StoreError::Conflict("monitor checkpoint"))
}

async fn recording_is_exactly_once_behind_the_checkpoint(store: Arc<dyn Store>) {
    let store = store.as_ref();
    let acme = tenant(store, "acme").await;
    assert_eq!(
        store.get_monitor_checkpoint("m1", CHAIN).await.unwrap(),
        None
    );

    let first = vec![
        event("e1", "large-transfer", "high", 10, 0),
        event("e2", "large-transfer", "high", 10, 1),
    ];
    let recorded = store
        .record_monitor_blocks(&blocks("m1", &acme, None, 11, first.clone(), 1_000))
        .await
        .unwrap();
    assert_eq!(recorded.events, 2);
    assert_eq!(recorded.opened.len(), 2);
    assert_eq!(recorded.incidents_opened.len(), 1);
    let checkpoint = store
        .get_monitor_checkpoint("m1", CHAIN)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(checkpoint.next_block, 11);
    assert_eq!(checkpoint.last_hash.as_deref(), Some("0xb10"));
    assert_eq!(checkpoint.state, serde_json::json!({ "window": [11] }));

    // Stale checkpoints: no row was expected, or another position. Nothing is written.
    let late = vec![event("e3", "large-transfer", "high", 11, 0)];
    for expected in [None, Some(5), Some(12)] {
        let error = store
            .record_monitor_blocks(&blocks("m1", &acme, expected, 12, late.clone(), 2_000))
            .await
            .unwrap_err();
        assert!(is_checkpoint_conflict(&error), "{error:?}");
    }
    // A checkpoint that does not exist is not at any position either.
    let error = store
        .record_monitor_blocks(&blocks("m-new", &acme, Some(11), 12, late.clone(), 2_000))
        .await
        .unwrap_err();
    assert!(is_checkpoint_conflict(&error), "{error:?}");
    assert_eq!(
        store.get_monitor_checkpoint("m-new", CHAIN).await.unwrap(),
        None
    );
    assert_eq!(
        store
            .get_monitor_checkpoint("m1", CHAIN)
            .await
            .unwrap()
            .unwrap()
            .next_block,
        11
    );
    assert_eq!(
        store
            .list_monitor_events(&acme, "m1", 0)
            .await
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        alerts_of(store, "monitor:name-of-m1/large-transfer")
            .await
            .len(),
        2
    );
    let incidents = store
        .list_incidents(&acme, &IncidentFilter::default())
        .await
        .unwrap();
    assert_eq!(incidents.len(), 1);
    assert_eq!(incidents[0].alert_count, 2);

    // Replaying the same firings (new ids, same place on the chain) with the right
    // checkpoint stores none of them again; a new firing among them is stored.
    let mut replay: Vec<NewMonitorEvent> = first
        .iter()
        .map(|e| NewMonitorEvent {
            id: format!("{}-again", e.id),
            ..e.clone()
        })
        .collect();
    replay.push(event("e4", "large-transfer", "high", 11, 0));
    let recorded = store
        .record_monitor_blocks(&blocks("m1", &acme, Some(11), 12, replay, 3_000))
        .await
        .unwrap();
    assert_eq!(recorded.events, 1);
    assert_eq!(recorded.opened.len(), 1);
    assert_eq!(recorded.opened[0].id, "e4-alert");
    assert!(recorded.incidents_opened.is_empty());
    let events = store.list_monitor_events(&acme, "m1", 0).await.unwrap();
    let ids: Vec<&str> = events.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, ["e4", "e2", "e1"], "newest first");
    assert_eq!(
        store
            .get_monitor_checkpoint("m1", CHAIN)
            .await
            .unwrap()
            .unwrap()
            .next_block,
        12
    );
    // The same chain position of another monitor is another event.
    let recorded = store
        .record_monitor_blocks(&blocks(
            "m2",
            &acme,
            None,
            11,
            vec![event("e1-m2", "large-transfer", "high", 10, 0)],
            3_000,
        ))
        .await
        .unwrap();
    assert_eq!(recorded.events, 1);
    assert_eq!(
        store
            .list_monitor_events(&acme, "m1", 2)
            .await
            .unwrap()
            .len(),
        2
    );
}

async fn concurrent_recordings_from_one_checkpoint_let_one_win(store: Arc<dyn Store>) {
    let acme = tenant(store.as_ref(), "acme").await;
    store
        .record_monitor_blocks(&blocks("m1", &acme, None, 100, Vec::new(), 1_000))
        .await
        .unwrap();
    let mut tasks = Vec::new();
    for process in 0..4 {
        let store = store.clone();
        let acme = acme.clone();
        tasks.push(tokio::spawn(async move {
            // Each process saw the same blocks and records them from the same checkpoint.
            let events = vec![
                event(&format!("p{process}-a"), "drain", "critical", 100, 0),
                event(&format!("p{process}-b"), "drain", "critical", 101, 0),
            ];
            store
                .record_monitor_blocks(&blocks("m1", &acme, Some(100), 102, events, 2_000))
                .await
        }));
    }
    let mut won = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(recorded) => {
                won += 1;
                assert_eq!(recorded.events, 2);
                assert_eq!(recorded.incidents_opened.len(), 1);
            }
            Err(error) => assert!(is_checkpoint_conflict(&error), "{error:?}"),
        }
    }
    assert_eq!(won, 1);
    assert_eq!(
        store
            .list_monitor_events(&acme, "m1", 0)
            .await
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        alerts_of(store.as_ref(), "monitor:name-of-m1/drain")
            .await
            .len(),
        2
    );
    let incidents = store
        .list_incidents(&acme, &IncidentFilter::default())
        .await
        .unwrap();
    assert_eq!(incidents.len(), 1);
    assert_eq!(incidents[0].alert_count, 2);
    assert_eq!(
        store
            .get_monitor_checkpoint("m1", CHAIN)
            .await
            .unwrap()
            .unwrap()
            .next_block,
        102
    );
}

async fn an_event_of_an_unknown_level_writes_nothing(store: Arc<dyn Store>) {
    let acme = tenant(store.as_ref(), "acme").await;
    let events = vec![
        event("ok", "drain", "low", 5, 0),
        event("bad", "drain", "urgent", 5, 1),
    ];
    let error = store
        .record_monitor_blocks(&blocks("m1", &acme, None, 6, events, 1_000))
        .await
        .unwrap_err();
    assert!(error.to_string().contains("urgent"), "{error}");
    assert_eq!(
        store.get_monitor_checkpoint("m1", CHAIN).await.unwrap(),
        None
    );
    assert!(
        store
            .list_monitor_events(&acme, "m1", 0)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        alerts_of(store.as_ref(), "monitor:name-of-m1/drain")
            .await
            .is_empty()
    );
}

async fn cooldown_folds_monitor_events_into_one_alert(store: Arc<dyn Store>) {
    let store = store.as_ref();
    let acme = tenant(store, "acme").await;
    let same_key = |id: &str, block: i64, cooldown_ms: i64| NewMonitorEvent {
        dedup_key: "pool-0xabc".into(),
        cooldown_ms,
        ..event(id, "price-drop", "medium", block, 0)
    };

    // No cooldown: every firing is an alert of its own, the older ones superseded.
    let recorded = store
        .record_monitor_blocks(&blocks(
            "hot",
            &acme,
            None,
            4,
            vec![
                same_key("h1", 1, 0),
                same_key("h2", 2, 0),
                same_key("h3", 3, 0),
            ],
            1_000,
        ))
        .await
        .unwrap();
    assert_eq!(recorded.opened.len(), 3);
    let alerts = alerts_of(store, "monitor:name-of-hot/price-drop").await;
    assert_eq!(alerts.len(), 3);
    assert_eq!(alerts.iter().filter(|a| a.state == ALERT_FIRING).count(), 1);
    assert_eq!(recorded.incidents_opened.len(), 1);
    let incident = store
        .get_incident(&acme, &recorded.incidents_opened[0].id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(incident.alert_count, 3);

    // A long cooldown: one alert, sent with every occurrence of the run counted.
    let recorded = store
        .record_monitor_blocks(&blocks(
            "calm",
            &acme,
            None,
            4,
            vec![
                same_key("c1", 1, 600_000),
                same_key("c2", 2, 600_000),
                same_key("c3", 3, 600_000),
            ],
            1_000,
        ))
        .await
        .unwrap();
    assert_eq!(recorded.events, 3);
    assert_eq!(recorded.opened.len(), 1);
    let alert = &recorded.opened[0];
    assert_eq!(alert.id, "c1-alert");
    assert_eq!(alert.occurrences, 3);
    assert_eq!(alert.rule, "monitor:name-of-calm/price-drop");
    assert_eq!(alert.severity, "medium");
    assert_eq!(alert.tenant_id.as_deref(), Some(acme.as_str()));
    assert_eq!(alert.dedup_key, "pool-0xabc");
    assert_eq!(alert.detail["summary"], "price-drop fired (c1)");
    assert_eq!(alert.detail["amount"], 7);
    assert_eq!(alert.detail["monitor"], "name-of-calm");
    assert_eq!(alert.detail["block_number"], 1);
    assert_eq!(alert.detail["tx_hash"], "0xt1");
    assert_eq!(alert.detail["chain_id"], CHAIN);
    let stored = store.get_alert("c1-alert").await.unwrap().unwrap();
    assert_eq!(stored.occurrences, 3);
    let incident_id = recorded.incidents_opened[0].id.clone();
    assert_eq!(recorded.incidents_opened[0].alert_count, 1);

    // A later run inside the cooldown folds too: nothing to send, the event still points
    // at the alert and at the incident that alert joined.
    let recorded = store
        .record_monitor_blocks(&blocks(
            "calm",
            &acme,
            Some(4),
            5,
            vec![same_key("c4", 4, 600_000)],
            5_000,
        ))
        .await
        .unwrap();
    assert_eq!(recorded.events, 1);
    assert!(recorded.opened.is_empty() && recorded.incidents_opened.is_empty());
    assert_eq!(
        store
            .get_alert("c1-alert")
            .await
            .unwrap()
            .unwrap()
            .occurrences,
        4
    );
    let events = store.list_monitor_events(&acme, "calm", 0).await.unwrap();
    assert_eq!(events.len(), 4);
    for e in &events {
        assert_eq!(e.alert_id.as_deref(), Some("c1-alert"), "{}", e.id);
        assert_eq!(
            e.incident_id.as_deref(),
            Some(incident_id.as_str()),
            "{}",
            e.id
        );
    }
    let incident = store
        .get_incident(&acme, &incident_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(incident.alert_count, 1);
    let timeline = store
        .list_incident_events(&acme, &incident_id)
        .await
        .unwrap();
    assert_eq!(timeline.len(), 1);

    // After the cooldown the key opens a new alert, which joins the open incident.
    let recorded = store
        .record_monitor_blocks(&blocks(
            "calm",
            &acme,
            Some(5),
            6,
            vec![same_key("c5", 5, 600_000)],
            1_000 + 600_000,
        ))
        .await
        .unwrap();
    assert_eq!(recorded.opened.len(), 1);
    assert_eq!(
        store.get_alert("c1-alert").await.unwrap().unwrap().state,
        ALERT_RESOLVED
    );
    let incident = store
        .get_incident(&acme, &incident_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(incident.alert_count, 2);
}

async fn incidents_are_joined_raised_and_reopened_after_resolution(store: Arc<dyn Store>) {
    let store = store.as_ref();
    let acme = tenant(store, "acme").await;
    let recorded = store
        .record_monitor_blocks(&blocks(
            "m1",
            &acme,
            None,
            2,
            vec![event("low1", "dust", "low", 1, 0)],
            1_000,
        ))
        .await
        .unwrap();
    let opened = &recorded.incidents_opened[0];
    assert_eq!(opened.id, "low1-incident");
    assert_eq!(opened.title, "dust fired (low1)");
    assert_eq!(opened.priority, "P3");
    assert_eq!(opened.state, INCIDENT_OPEN);
    assert_eq!(opened.monitor_key.as_deref(), Some("m1"));
    assert_eq!((opened.alert_count, opened.opened_at), (1, 1_000));

    // A more urgent alert joins and raises the priority; a less urgent one does not
    // lower it.
    let recorded = store
        .record_monitor_blocks(&blocks(
            "m1",
            &acme,
            Some(2),
            4,
            vec![
                event("high1", "drain", "high", 2, 0),
                event("med1", "drain", "medium", 3, 0),
            ],
            2_000,
        ))
        .await
        .unwrap();
    assert!(recorded.incidents_opened.is_empty());
    assert_eq!(recorded.opened.len(), 2);
    let incident = store
        .get_incident(&acme, "low1-incident")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(incident.priority, "P1");
    assert_eq!(incident.alert_count, 3);
    assert_eq!(incident.updated_at, 2_000);
    let timeline = store
        .list_incident_events(&acme, "low1-incident")
        .await
        .unwrap();
    assert_eq!(timeline.len(), 3);
    assert!(timeline.iter().all(|e| e.kind == INCIDENT_EVENT_ALERT));
    assert_eq!(
        timeline[1].body,
        serde_json::json!({
            "alert_id": "high1-alert",
            "rule": "monitor:name-of-m1/drain",
            "level": "high",
            "summary": "drain fired (high1)",
        })
    );
    assert_eq!(timeline[1].actor.as_deref(), Some("monitor:name-of-m1"));
    // Another monitor of the tenant has incidents of its own.
    let recorded = store
        .record_monitor_blocks(&blocks(
            "m2",
            &acme,
            None,
            4,
            vec![event("crit", "drain", "critical", 3, 0)],
            2_500,
        ))
        .await
        .unwrap();
    assert_eq!(recorded.incidents_opened[0].priority, "P0");

    // Resolved: the next alert opens a new incident.
    let resolved = store
        .update_incident(
            &acme,
            "low1-incident",
            &IncidentUpdate {
                state: Some(INCIDENT_RESOLVED.into()),
                actor: "user:u1".into(),
                now: 3_000,
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(resolved, IncidentChange::Updated(ref i) if i.resolved_at == Some(3_000)));
    let recorded = store
        .record_monitor_blocks(&blocks(
            "m1",
            &acme,
            Some(4),
            5,
            vec![event("low2", "dust", "low", 4, 0)],
            4_000,
        ))
        .await
        .unwrap();
    assert_eq!(recorded.incidents_opened.len(), 1);
    assert_eq!(recorded.incidents_opened[0].id, "low2-incident");
    assert_eq!(recorded.incidents_opened[0].priority, "P3");
    let old = store
        .get_incident(&acme, "low1-incident")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (old.state.as_str(), old.alert_count),
        (INCIDENT_RESOLVED, 3)
    );
    let events = store.list_monitor_events(&acme, "m1", 1).await.unwrap();
    assert_eq!(events[0].incident_id.as_deref(), Some("low2-incident"));
    assert_eq!(events[0].alert_id.as_deref(), Some("low2-alert"));
}

/// Opens one incident for monitor `key` of the tenant; returns its id.
async fn open_incident(store: &dyn Store, tenant: &str, key: &str, now: i64) -> String {
    let recorded = store
        .record_monitor_blocks(&blocks(
            key,
            tenant,
            None,
            2,
            vec![event(&format!("ev-{tenant}"), "drain", "high", 1, 0)],
            now,
        ))
        .await
        .unwrap();
    recorded.incidents_opened[0].id.clone()
}

fn change(state: Option<&str>, assignee: Option<Option<&str>>, now: i64) -> IncidentUpdate {
    IncidentUpdate {
        state: state.map(str::to_string),
        assignee: assignee.map(|a| a.map(str::to_string)),
        actor: "user:alice".into(),
        now,
    }
}

async fn updated(store: &dyn Store, tenant: &str, id: &str, update: &IncidentUpdate) -> Incident {
    match store.update_incident(tenant, id, update).await.unwrap() {
        Some(IncidentChange::Updated(incident)) => incident,
        other => panic!("expected an update, got {other:?}"),
    }
}

async fn incident_states_only_move_forward(store: Arc<dyn Store>) {
    let store = store.as_ref();
    let acme = tenant(store, "acme").await;
    let id = open_incident(store, &acme, "m1", 1_000).await;

    let incident = updated(
        store,
        &acme,
        &id,
        &change(Some("acknowledged"), None, 2_000),
    )
    .await;
    assert_eq!(incident.state, INCIDENT_ACKNOWLEDGED);
    assert_eq!(incident.acknowledged_at, Some(2_000));
    assert_eq!(incident.updated_at, 2_000);
    // The same state again changes nothing and records nothing.
    let again = updated(
        store,
        &acme,
        &id,
        &change(Some("acknowledged"), None, 2_500),
    )
    .await;
    assert_eq!(again, incident);
    // Backwards and unknown states are refused, with nothing written, an assignee
    // change asked for alongside included.
    for to in ["open", "closed"] {
        let refused = store
            .update_incident(&acme, &id, &change(Some(to), Some(Some("bob")), 3_000))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            refused,
            IncidentChange::InvalidTransition {
                from: "acknowledged".into(),
                to: to.into(),
            }
        );
    }
    assert_eq!(
        store.get_incident(&acme, &id).await.unwrap().unwrap(),
        incident
    );
    // Forward, skipping `mitigated`.
    let resolved = updated(store, &acme, &id, &change(Some("resolved"), None, 4_000)).await;
    assert_eq!(resolved.state, INCIDENT_RESOLVED);
    assert_eq!(resolved.resolved_at, Some(4_000));
    assert_eq!(resolved.mitigated_at, None);
    assert_eq!(resolved.acknowledged_at, Some(2_000));
    let refused = store
        .update_incident(&acme, &id, &change(Some("mitigated"), None, 5_000))
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(refused, IncidentChange::InvalidTransition { .. }));

    let timeline = store.list_incident_events(&acme, &id).await.unwrap();
    let states: Vec<(&str, Option<&str>, &serde_json::Value, i64)> = timeline
        .iter()
        .filter(|e| e.kind == INCIDENT_EVENT_STATE)
        .map(|e| (e.kind.as_str(), e.actor.as_deref(), &e.body, e.created_at))
        .collect();
    assert_eq!(
        states,
        [
            (
                "state",
                Some("user:alice"),
                &serde_json::json!({ "from": "open", "to": "acknowledged" }),
                2_000
            ),
            (
                "state",
                Some("user:alice"),
                &serde_json::json!({ "from": "acknowledged", "to": "resolved" }),
                4_000
            ),
        ]
    );
    assert_eq!(timeline.len(), 3, "the alert and two state changes");

    // Mitigated then resolved on another incident.
    let other = open_incident(store, &tenant(store, "beta").await, "m-beta", 1_000).await;
    let mitigated = updated(
        store,
        "t-beta",
        &other,
        &change(Some("mitigated"), None, 6_000),
    )
    .await;
    assert_eq!(
        (mitigated.acknowledged_at, mitigated.mitigated_at),
        (None, Some(6_000))
    );
}

async fn comments_and_assignments_append_to_the_timeline(store: Arc<dyn Store>) {
    let store = store.as_ref();
    let acme = tenant(store, "acme").await;
    let id = open_incident(store, &acme, "m1", 1_000).await;

    let comment = store
        .comment_incident(&acme, &id, "user:bob", "looking at the pool", 2_000)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(comment.incident_id, id);
    assert_eq!(comment.kind, INCIDENT_EVENT_COMMENT);
    assert_eq!(comment.actor.as_deref(), Some("user:bob"));
    assert_eq!(
        comment.body,
        serde_json::json!({ "text": "looking at the pool" })
    );
    assert_eq!(comment.created_at, 2_000);

    let assigned = updated(
        store,
        &acme,
        &id,
        &change(Some("acknowledged"), Some(Some("bob")), 3_000),
    )
    .await;
    assert_eq!(assigned.assignee.as_deref(), Some("bob"));
    // The same assignee records nothing; unassigning does.
    updated(store, &acme, &id, &change(None, Some(Some("bob")), 3_500)).await;
    let unassigned = updated(store, &acme, &id, &change(None, Some(None), 4_000)).await;
    assert_eq!(unassigned.assignee, None);
    store
        .comment_incident(&acme, &id, "user:bob", "fixed", 4_000)
        .await
        .unwrap()
        .unwrap();

    let timeline = store.list_incident_events(&acme, &id).await.unwrap();
    let kinds: Vec<&str> = timeline.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        ["alert", "comment", "state", "assign", "assign", "comment"]
    );
    assert_eq!(timeline[3].body, serde_json::json!({ "assignee": "bob" }));
    assert_eq!(timeline[4].body, serde_json::json!({ "assignee": null }));
    assert_eq!(timeline[4].actor.as_deref(), Some("user:alice"));
    let ids: std::collections::BTreeSet<&str> = timeline.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids.len(), timeline.len(), "entry ids are unique");

    assert_eq!(
        store
            .comment_incident(&acme, "no-such-incident", "user:bob", "?", 5_000)
            .await
            .unwrap(),
        None
    );
}

async fn incidents_list_newest_first_with_filters(store: Arc<dyn Store>) {
    let store = store.as_ref();
    let acme = tenant(store, "acme").await;
    // Three monitors, one incident each: P0 at 1000, P2 at 2000, P3 at 3000.
    for (i, (level, now)) in [("critical", 1_000), ("medium", 2_000), ("low", 3_000)]
        .into_iter()
        .enumerate()
    {
        store
            .record_monitor_blocks(&blocks(
                &format!("m{i}"),
                &acme,
                None,
                2,
                vec![event(&format!("e{i}"), "r", level, 1, 0)],
                now,
            ))
            .await
            .unwrap();
    }
    updated(
        store,
        &acme,
        "e1-incident",
        &change(Some("resolved"), None, 5_000),
    )
    .await;
    let list = |filter: IncidentFilter| async move {
        store
            .list_incidents(&acme_id(), &filter)
            .await
            .unwrap()
            .into_iter()
            .map(|i| i.id)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        list(IncidentFilter::default()).await,
        ["e2-incident", "e1-incident", "e0-incident"]
    );
    assert_eq!(
        list(IncidentFilter {
            open_only: true,
            ..Default::default()
        })
        .await,
        ["e2-incident", "e0-incident"]
    );
    assert_eq!(
        list(IncidentFilter {
            state: Some("resolved".into()),
            ..Default::default()
        })
        .await,
        ["e1-incident"]
    );
    assert_eq!(
        list(IncidentFilter {
            priority: Some("P0".into()),
            ..Default::default()
        })
        .await,
        ["e0-incident"]
    );
    assert_eq!(
        list(IncidentFilter {
            limit: 2,
            ..Default::default()
        })
        .await,
        ["e2-incident", "e1-incident"]
    );
    assert_eq!(
        list(IncidentFilter {
            limit: -1,
            ..Default::default()
        })
        .await
        .len(),
        3
    );
}

fn acme_id() -> String {
    "t-acme".into()
}

async fn monitors_are_created_updated_and_deleted(store: Arc<dyn Store>) {
    let store = store.as_ref();
    let acme = tenant(store, "acme").await;
    let beta = tenant(store, "beta").await;
    store
        .create_monitor(&monitor("mon-1", &acme, "whales"))
        .await
        .unwrap();
    store
        .create_monitor(&monitor("mon-2", &acme, "drains"))
        .await
        .unwrap();
    // The name is unique per tenant only.
    let error = store
        .create_monitor(&monitor("mon-3", &acme, "whales"))
        .await
        .unwrap_err();
    assert!(
        matches!(error, StoreError::Conflict("monitor")),
        "{error:?}"
    );
    store
        .create_monitor(&monitor("mon-4", &beta, "whales"))
        .await
        .unwrap();

    assert_eq!(
        store.get_monitor(&acme, "mon-1").await.unwrap(),
        Some(monitor("mon-1", &acme, "whales"))
    );
    let names: Vec<String> = store
        .list_monitors(&acme)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.name)
        .collect();
    assert_eq!(names, ["drains", "whales"]);

    let error = store
        .update_monitor(
            &acme,
            "mon-2",
            &MonitorUpdate {
                name: Some("whales".into()),
                now: 20,
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(error, StoreError::Conflict("monitor")),
        "{error:?}"
    );
    let changed = store
        .update_monitor(
            &acme,
            "mon-2",
            &MonitorUpdate {
                name: Some("rugs".into()),
                config: Some("[[monitors]]\nname = \"rugs\"\n".into()),
                enabled: Some(false),
                now: 30,
            },
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(changed.name, "rugs");
    assert_eq!(changed.config, "[[monitors]]\nname = \"rugs\"\n");
    assert!(!changed.enabled);
    assert_eq!((changed.created_at, changed.updated_at), (10, 30));
    assert_eq!(
        store.get_monitor(&acme, "mon-2").await.unwrap(),
        Some(changed)
    );

    let enabled: Vec<(String, String)> = store
        .list_enabled_monitors()
        .await
        .unwrap()
        .into_iter()
        .map(|m| (m.tenant_id, m.id))
        .collect();
    assert_eq!(
        enabled,
        [
            (acme.clone(), "mon-1".to_string()),
            (beta.clone(), "mon-4".to_string())
        ]
    );

    // Deleting a monitor deletes its checkpoint; its events stay.
    store
        .record_monitor_blocks(&blocks(
            "mon-1",
            &acme,
            None,
            2,
            vec![event("w1", "whale", "low", 1, 0)],
            40,
        ))
        .await
        .unwrap();
    assert!(store.delete_monitor(&acme, "mon-1").await.unwrap());
    assert!(!store.delete_monitor(&acme, "mon-1").await.unwrap());
    assert_eq!(store.get_monitor(&acme, "mon-1").await.unwrap(), None);
    assert_eq!(
        store.get_monitor_checkpoint("mon-1", CHAIN).await.unwrap(),
        None
    );
    assert_eq!(
        store
            .list_monitor_events(&acme, "mon-1", 0)
            .await
            .unwrap()
            .len(),
        1
    );
    // The name is free again.
    store
        .create_monitor(&monitor("mon-5", &acme, "whales"))
        .await
        .unwrap();
}

async fn another_tenant_sees_nothing(store: Arc<dyn Store>) {
    let store = store.as_ref();
    let acme = tenant(store, "acme").await;
    let beta = tenant(store, "beta").await;
    store
        .create_monitor(&monitor("mon-1", &acme, "whales"))
        .await
        .unwrap();
    let incident = open_incident(store, &acme, "m1", 1_000).await;

    assert_eq!(store.get_monitor(&beta, "mon-1").await.unwrap(), None);
    assert!(store.list_monitors(&beta).await.unwrap().is_empty());
    let update = MonitorUpdate {
        enabled: Some(false),
        now: 5,
        ..Default::default()
    };
    assert_eq!(
        store.update_monitor(&beta, "mon-1", &update).await.unwrap(),
        None
    );
    assert!(!store.delete_monitor(&beta, "mon-1").await.unwrap());
    assert!(
        store
            .list_monitor_events(&beta, "m1", 0)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .list_incidents(&beta, &IncidentFilter::default())
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(store.get_incident(&beta, &incident).await.unwrap(), None);
    assert!(
        store
            .list_incident_events(&beta, &incident)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store
            .update_incident(
                &beta,
                &incident,
                &change(Some("resolved"), Some(Some("eve")), 2_000)
            )
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store
            .comment_incident(&beta, &incident, "user:eve", "mine now", 2_000)
            .await
            .unwrap(),
        None
    );

    // Acme's rows are as they were.
    let monitor_row = store.get_monitor(&acme, "mon-1").await.unwrap().unwrap();
    assert!(monitor_row.enabled);
    let own = store.get_incident(&acme, &incident).await.unwrap().unwrap();
    assert_eq!(
        (own.state.as_str(), own.assignee.as_deref()),
        (INCIDENT_OPEN, None)
    );
    assert_eq!(
        store
            .list_incident_events(&acme, &incident)
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        store
            .list_monitor_events(&acme, "m1", 0)
            .await
            .unwrap()
            .len(),
        1
    );

    // A monitor of another tenant with the same key records incidents of its own.
    let recorded = store
        .record_monitor_blocks(&blocks(
            "m1-beta",
            &beta,
            None,
            2,
            vec![event("b1", "drain", "high", 1, 0)],
            3_000,
        ))
        .await
        .unwrap();
    assert_eq!(recorded.incidents_opened[0].tenant_id, beta);
    assert_eq!(
        store
            .list_incidents(&acme, &IncidentFilter::default())
            .await
            .unwrap()
            .len(),
        1
    );
}

async fn pruned_alerts_leave_their_events_and_incidents(store: Arc<dyn Store>) {
    let store = store.as_ref();
    let acme = tenant(store, "acme").await;
    let same_key = |id: &str, block: i64| NewMonitorEvent {
        dedup_key: "vault".into(),
        ..event(id, "drain", "high", block, 0)
    };
    store
        .record_monitor_blocks(&blocks(
            "m1",
            &acme,
            None,
            3,
            vec![same_key("e1", 1), same_key("e2", 2)],
            1_000,
        ))
        .await
        .unwrap();
    // e1's alert was superseded (resolved) by e2's; history older than 2000 goes.
    assert_eq!(store.prune_alert_history(2_000).await.unwrap(), 1);
    assert_eq!(store.get_alert("e1-alert").await.unwrap(), None);
    let events = store.list_monitor_events(&acme, "m1", 0).await.unwrap();
    let links: Vec<(&str, Option<&str>, Option<&str>)> = events
        .iter()
        .map(|e| {
            (
                e.id.as_str(),
                e.alert_id.as_deref(),
                e.incident_id.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        links,
        [
            ("e2", Some("e2-alert"), Some("e1-incident")),
            ("e1", None, Some("e1-incident")),
        ]
    );
    let timeline = store
        .list_incident_events(&acme, "e1-incident")
        .await
        .unwrap();
    assert_eq!(timeline.len(), 2);
    assert_eq!(timeline[0].body["alert_id"], "e1-alert");
}

async fn a_firing_folded_into_an_alert_of_no_incident_links_none(store: Arc<dyn Store>) {
    let store = store.as_ref();
    let acme = tenant(store, "acme").await;
    // The same alert key raised outside any monitor run: it joined no incident.
    let raised = store
        .raise_alert(&NewAlert {
            id: "manual".into(),
            rule: "monitor:name-of-m1/drain".into(),
            severity: "high".into(),
            tenant_id: Some(acme.clone()),
            dedup_key: "vault".into(),
            occurrences: 1,
            detail: serde_json::json!({ "summary": "raised by hand" }),
            now: 1_000,
            cooldown_ms: 600_000,
        })
        .await
        .unwrap();
    assert!(matches!(raised, RaisedAlert::Opened(_)));
    let recorded = store
        .record_monitor_blocks(&blocks(
            "m1",
            &acme,
            None,
            2,
            vec![NewMonitorEvent {
                dedup_key: "vault".into(),
                cooldown_ms: 600_000,
                ..event("e1", "drain", "high", 1, 0)
            }],
            2_000,
        ))
        .await
        .unwrap();
    assert_eq!(recorded.events, 1);
    assert!(recorded.opened.is_empty() && recorded.incidents_opened.is_empty());
    assert_eq!(
        store
            .get_alert("manual")
            .await
            .unwrap()
            .unwrap()
            .occurrences,
        2
    );
    let events = store.list_monitor_events(&acme, "m1", 0).await.unwrap();
    assert_eq!(events[0].alert_id.as_deref(), Some("manual"));
    assert_eq!(events[0].incident_id, None);
    assert!(
        store
            .list_incidents(&acme, &IncidentFilter::default())
            .await
            .unwrap()
            .is_empty()
    );
}

async fn retention_drops_old_firings_and_resolved_incidents_only(store: Arc<dyn Store>) {
    let store = store.as_ref();
    let acme = tenant(store, "acme").await;
    // Two monitors, each with one firing that opens an incident: at 1000 and at 2000.
    for (key, id, now) in [("m1", "a1", 1_000), ("m2", "b1", 2_000)] {
        store
            .record_monitor_blocks(&blocks(
                key,
                &acme,
                None,
                2,
                vec![event(id, "drain", "high", 1, 0)],
                now,
            ))
            .await
            .unwrap();
    }
    updated(
        store,
        &acme,
        "a1-incident",
        &change(Some("resolved"), None, 3_000),
    )
    .await;
    updated(
        store,
        &acme,
        "b1-incident",
        &change(Some("mitigated"), None, 3_000),
    )
    .await;

    // Incidents resolved before 4000 go with their timelines; the mitigated one, older
    // than that too, stays; the firing that joined the deleted one stays, unlinked.
    assert_eq!(store.prune_incidents(4_000).await.unwrap(), 1);
    assert_eq!(
        store.get_incident(&acme, "a1-incident").await.unwrap(),
        None
    );
    assert!(
        store
            .list_incident_events(&acme, "a1-incident")
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .get_incident(&acme, "b1-incident")
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        !store
            .list_incident_events(&acme, "b1-incident")
            .await
            .unwrap()
            .is_empty()
    );
    let a1 = store.list_monitor_events(&acme, "m1", 0).await.unwrap();
    assert_eq!(a1.len(), 1);
    assert_eq!(a1[0].incident_id, None);
    assert_eq!(store.prune_incidents(4_000).await.unwrap(), 0, "idempotent");

    // Firings recorded before 1500 go; the later one stays, still linked.
    assert_eq!(store.prune_monitor_events(1_500).await.unwrap(), 1);
    assert!(
        store
            .list_monitor_events(&acme, "m1", 0)
            .await
            .unwrap()
            .is_empty()
    );
    let b1 = store.list_monitor_events(&acme, "m2", 0).await.unwrap();
    assert_eq!(b1[0].incident_id.as_deref(), Some("b1-incident"));
}
