//! The retention sweeper of a running service: started with it, it deletes old finished
//! audits (their findings, triage events, blobs and cache rows) and prunes the audit
//! trail behind a checkpoint; triage decisions survive into later audits; the trail
//! still verifies; metrics and the trail say what was deleted.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use reqwest::StatusCode;
use serde_json::json;
use server::Secret;

const DAY: i64 = 86_400_000;

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

#[tokio::test]
async fn the_sweeper_prunes_old_audits_and_the_trail_and_triage_survives() {
    // Five trail entries from 40 days ago, before anything else.
    let dir = Arc::new(tempfile::tempdir().unwrap());
    let settings = settings_for(dir.path());
    {
        let store = store::connect(&settings.database_url).await.unwrap();
        let signer = store::trail::Signer::new(SECRET.as_bytes());
        for i in 0..5 {
            let event = store::NewAuditEvent {
                ts: now_ms() - 40 * DAY + i,
                tenant_id: None,
                actor: "user:former".into(),
                action: "auth.login".into(),
                target: None,
                outcome: "success".into(),
                detail: json!({}),
            };
            store.append_audit_event(&event, &signer).await.unwrap();
        }
    }
    // Two audits; a finding of the first triaged.
    let server = start_in(dir.clone(), settings.clone(), true).await;
    let key = server.admin_key.clone();
    let old = server
        .submit(
            &key,
            &[("Old.sol", "contract Old { function f() { tx.origin; } }")],
        )
        .await;
    let recent = server
        .submit(
            &key,
            &[("New.sol", "contract New { function f() { tx.origin; } }")],
        )
        .await;
    server.wait_final(&key, &old).await;
    server.wait_final(&key, &recent).await;
    let (_, page) = server
        .get(&key, &format!("/api/v1/audits/{old}/findings"))
        .await;
    let finding = page["items"][0]["id"].as_str().unwrap().to_string();
    let (status, body) = server
        .post(
            &key,
            &format!("/api/v1/findings/{finding}/triage"),
            json!({ "state": "false_positive", "comment": "guarded by the modifier" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    server.stop().await;

    // The first audit finished 40 days ago.
    let pool = sqlx::SqlitePool::connect(&settings.database_url)
        .await
        .unwrap();
    let moved = sqlx::query(
        "UPDATE audits SET created_at = created_at - ?1, started_at = started_at - ?1, finished_at = finished_at - ?1 WHERE id = ?2",
    )
    .bind(40 * DAY)
    .bind(&old)
    .execute(&pool)
    .await
    .unwrap();
    assert_eq!(moved.rows_affected(), 1);
    pool.close().await;

    // Restart with retention: the first sweep runs at start.
    let mut settings = settings;
    settings.retention.audits_days = 30;
    settings.retention.audit_log_days = 30;
    let server = start_in(dir.clone(), settings.clone(), false).await;
    let mut gone = false;
    for _ in 0..200 {
        let (status, _) = server.get(&key, &format!("/api/v1/audits/{old}")).await;
        if status == StatusCode::NOT_FOUND {
            gone = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(gone, "the old audit was not pruned");
    let (status, _) = server.get(&key, &format!("/api/v1/audits/{recent}")).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = server
        .get(&key, &format!("/api/v1/findings/{finding}"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(server.count("triage_events").await, 0);
    assert_eq!(server.count("triage_states").await, 1);
    assert_eq!(server.count("source_blobs").await, 1);
    assert_eq!(server.count("analysis_cache").await, 1);

    // The sweep appends its entry (not tenant-scoped) after pruning, so wait for it.
    let store = store::connect(&server.db_url).await.unwrap();
    let mut swept = None;
    for _ in 0..200 {
        let filter = store::AuditEventFilter {
            action: Some(server::retention::SWEPT_ACTION.into()),
            limit: 10,
            ..Default::default()
        };
        swept = store.list_audit_events(&filter).await.unwrap().pop();
        if swept.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let swept = serde_json::to_value(swept.expect("a retention.swept entry")).unwrap();
    assert_eq!(swept["actor"], "system:retention", "{swept}");
    let pruned = &swept["detail"]["pruned"];
    assert_eq!(
        (pruned["audits"].as_u64(), pruned["findings"].as_u64()),
        (Some(1), Some(1)),
        "{swept}"
    );
    assert_eq!(pruned["audit_log"].as_u64(), Some(5), "{swept}");

    let metrics = server
        .client
        .get(server.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for line in [
        "web3audit_retention_pruned_total{kind=\"audits\"} 1",
        "web3audit_retention_pruned_total{kind=\"findings\"} 1",
        "web3audit_retention_pruned_total{kind=\"audit_log\"} 5",
    ] {
        assert!(metrics.contains(line), "{line} missing from\n{metrics}");
    }

    // The same sources again: analysed anew (the cache row went with the audit), and the
    // triage decision applies to the new finding.
    let again = server
        .submit(
            &key,
            &[("Old.sol", "contract Old { function f() { tx.origin; } }")],
        )
        .await;
    let audit = server.wait_final(&key, &again).await;
    assert_eq!(audit["from_cache"], false, "{audit}");
    let (_, page) = server
        .get(&key, &format!("/api/v1/audits/{again}/findings"))
        .await;
    assert_eq!(page["items"][0]["triage_state"], "false_positive", "{page}");

    // The trail verifies from the checkpoint.
    let verification = server::verify_audit_log(store.as_ref(), &Secret::new(SECRET))
        .await
        .unwrap();
    assert_eq!(verification.first_break, None, "{verification:?}");
    let start = verification.checkpoint.unwrap();
    assert_eq!((start.seq, start.pruned), (5, 5));
    server.stop().await;
}

#[test]
fn retention_settings_are_validated_and_read_from_the_environment() {
    let env = server::ConfigFile::from_env(|name| {
        match name {
            "WEB3AUDIT_RETENTION_AUDITS_DAYS" => Some("90"),
            "WEB3AUDIT_RETENTION_AUDIT_LOG_DAYS" => Some("365"),
            "WEB3AUDIT_RETENTION_INTERVAL" => Some("15m"),
            "WEB3AUDIT_RETENTION_MONITOR_EVENTS_DAYS" => Some("30"),
            "WEB3AUDIT_RETENTION_INCIDENTS_DAYS" => Some("400"),
            _ => None,
        }
        .map(str::to_string)
    })
    .unwrap();
    let settings = server::Settings::resolve(server::config::Sources {
        env,
        ..Default::default()
    })
    .unwrap();
    let r = settings.retention;
    assert_eq!(
        (
            r.audits_days,
            r.deliveries_days,
            r.audit_log_days,
            r.interval
        ),
        (90, 0, 365, 900)
    );
    assert_eq!((r.monitor_events_days, r.incidents_days), (30, 400));
    assert!(r.any());
    assert!(!server::Settings::default().retention.any());

    let bad = server::ConfigFile::from_env(|name| {
        (name == "WEB3AUDIT_RETENTION_INTERVAL").then(|| "soon".to_string())
    });
    assert!(
        bad.unwrap_err()
            .to_string()
            .contains("WEB3AUDIT_RETENTION_INTERVAL"),
    );
    let mut settings = server::Settings::default();
    settings.retention.alerts_days = 100_000;
    assert!(
        settings
            .validate()
            .unwrap_err()
            .to_string()
            .contains("retention.alerts_days")
    );
    settings.retention.alerts_days = 7;
    settings.retention.incidents_days = 40_000;
    assert!(
        settings
            .validate()
            .unwrap_err()
            .to_string()
            .contains("retention.incidents_days")
    );
    settings.retention.incidents_days = 365;
    settings.retention.interval = 0;
    assert!(
        settings
            .validate()
            .unwrap_err()
            .to_string()
            .contains("retention.interval")
    );
}

/// Monitor firings and resolved incidents go by their own periods; an incident that is
/// not resolved stays however old; the sweep's trail entry counts them.
#[tokio::test]
async fn a_sweep_prunes_old_monitor_events_and_resolved_incidents() {
    let dir = tempfile::tempdir().unwrap();
    let settings = settings_for(dir.path());
    let store = store::connect(&settings.database_url).await.unwrap();
    let tenant = store::Tenant {
        id: "t-ops".into(),
        name: "ops".into(),
        plan: "free".into(),
        is_operator: false,
        created_at: 1,
    };
    store.create_tenant(&tenant).await.unwrap();
    let now = now_ms();
    // Two monitors firing 40 days ago, each opening an incident.
    for key in ["vault", "bridge"] {
        let at = now - 40 * DAY;
        store
            .record_monitor_blocks(&store::MonitorBlocks {
                monitor_key: key.into(),
                monitor_name: key.into(),
                tenant_id: tenant.id.clone(),
                expected_next: None,
                checkpoint: store::MonitorCheckpoint {
                    monitor_key: key.into(),
                    chain_id: 1,
                    next_block: 2,
                    last_hash: Some("0xb1".into()),
                    state: json!({}),
                    updated_at: at,
                },
                events: vec![store::NewMonitorEvent {
                    id: format!("{key}-e"),
                    rule: "drain".into(),
                    level: "high".into(),
                    block_number: 1,
                    block_hash: "0xb1".into(),
                    tx_hash: None,
                    tx_index: -1,
                    log_index: -1,
                    dedup_key: key.into(),
                    cooldown_ms: 0,
                    detail: json!({ "summary": "drained" }),
                }],
                now: at,
            })
            .await
            .unwrap();
    }
    let resolve = store::IncidentUpdate {
        state: Some("resolved".into()),
        assignee: None,
        actor: "user:ops".into(),
        now: now - 35 * DAY,
    };
    store
        .update_incident(&tenant.id, "vault-e-incident", &resolve)
        .await
        .unwrap()
        .unwrap();

    let mut retention = settings.retention;
    retention.monitor_events_days = 30;
    retention.incidents_days = 30;
    let signer = store::trail::Signer::new(SECRET.as_bytes());
    let dry = server::retention::sweep(store.as_ref(), &signer, &retention, now, "test", true)
        .await
        .unwrap();
    assert_eq!(dry.rows("monitor_events"), None, "not counted in a dry run");
    let report = server::retention::sweep(store.as_ref(), &signer, &retention, now, "test", false)
        .await
        .unwrap();
    assert_eq!(report.rows("monitor_events"), Some(2));
    assert_eq!(report.rows("incidents"), Some(1));
    assert_eq!(report.rows("audits"), None, "kept forever");
    assert_eq!(
        store
            .get_incident(&tenant.id, "vault-e-incident")
            .await
            .unwrap(),
        None
    );
    let unresolved = store
        .get_incident(&tenant.id, "bridge-e-incident")
        .await
        .unwrap()
        .expect("an unresolved incident stays");
    assert_eq!(unresolved.state, "open");
    let swept = store
        .list_audit_events(&store::AuditEventFilter {
            action: Some(server::retention::SWEPT_ACTION.into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        swept[0].event.detail["pruned"]["incidents"], 1,
        "{:?}",
        swept[0].event.detail
    );
    assert_eq!(swept[0].event.detail["pruned"]["monitor_events"], 2);
}
