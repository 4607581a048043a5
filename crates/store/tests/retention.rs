//! Retention on every backend (SQLite, and PostgreSQL when `WEB3AUDIT_TEST_POSTGRES_URL`
//! names a test database; skipped, saying so, otherwise): old finished audits go with
//! their findings, unfinished and recent ones stay, triage decisions outlive the pruned
//! findings; the audit trail is pruned behind signed checkpoints, verifies afterwards, and
//! every tampering with the checkpoints or the remaining entries is caught.

use std::collections::BTreeMap;
use std::sync::Arc;

use store::trail::{Signer, verify_snapshot};
use store::*;

const KEY: &[u8] = b"retention-test-key-0123456789abcdef";
const POSTGRES_ENV: &str = "WEB3AUDIT_TEST_POSTGRES_URL";

/// A database for one test: its store and a raw connection for checks and tampering.
struct Db {
    store: Arc<dyn Store>,
    raw: Raw,
    _dir: Option<tempfile::TempDir>,
}

enum Raw {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

impl Raw {
    async fn exec(&self, sql: &str) -> u64 {
        let done = match self {
            Raw::Sqlite(pool) => sqlx::query(sql)
                .execute(pool)
                .await
                .map(|r| r.rows_affected()),
            Raw::Postgres(pool) => sqlx::query(sql)
                .execute(pool)
                .await
                .map(|r| r.rows_affected()),
        };
        done.unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    async fn count(&self, sql: &str) -> i64 {
        let n = match self {
            Raw::Sqlite(pool) => sqlx::query_scalar(sql).fetch_one(pool).await,
            Raw::Postgres(pool) => sqlx::query_scalar(sql).fetch_one(pool).await,
        };
        n.unwrap_or_else(|e| panic!("{sql}: {e}"))
    }
}

async fn sqlite() -> Db {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/db.sqlite", dir.path().display());
    let store = connect(&url).await.unwrap();
    let raw = Raw::Sqlite(sqlx::SqlitePool::connect(&url).await.unwrap());
    Db {
        store,
        raw,
        _dir: Some(dir),
    }
}

/// A store over a fresh schema of the PostgreSQL test database; `None`, after saying
/// why, when none is configured.
async fn postgres(test: &str) -> Option<Db> {
    let Ok(base) = std::env::var(POSTGRES_ENV) else {
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr().lock(),
            "skipped {test} on PostgreSQL: {POSTGRES_ENV} is not set"
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
        "retention_{}_{}_{nanos}",
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
    let store = connect(&url).await.unwrap();
    let raw = Raw::Postgres(sqlx::PgPool::connect(&url).await.unwrap());
    Some(Db {
        store,
        raw,
        _dir: None,
    })
}

/// Runs one test (an `async fn(fn() -> Future<Db>)`-like body taking a database maker)
/// against every backend.
macro_rules! on_every_backend {
    ($($name:ident),* $(,)?) => {
        mod on_sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(super::Backend::Sqlite).await;
                }
            )*
        }
        mod on_postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if std::env::var(super::POSTGRES_ENV).is_err() {
                        super::postgres(stringify!($name)).await;
                        return;
                    }
                    super::$name(super::Backend::Postgres).await;
                }
            )*
        }
    };
}

#[derive(Clone, Copy)]
enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// A fresh, empty database of this backend.
    async fn db(self) -> Db {
        match self {
            Backend::Sqlite => sqlite().await,
            Backend::Postgres => postgres("retention").await.expect("checked by the caller"),
        }
    }
}

on_every_backend!(
    old_finished_audits_go_and_unfinished_or_recent_ones_stay,
    trail_pruning_writes_checkpoints_and_the_rest_verifies,
    tampering_with_a_pruned_trail_is_detected,
    pruning_refuses_a_tampered_trail,
    concurrent_sweeps_delete_each_row_once,
);

const DAY: i64 = 86_400_000;
/// "Now" of these tests: 2026-12-01.
const NOW: i64 = 1_796_083_200_000;
const OLD: i64 = NOW - 40 * DAY;
const CUTOFF: i64 = NOW - 30 * DAY;

async fn tenant(store: &dyn Store) -> String {
    store
        .create_tenant(&Tenant {
            id: "t1".into(),
            name: "acme".into(),
            plan: "free".into(),
            is_operator: false,
            created_at: 1,
        })
        .await
        .unwrap();
    "t1".into()
}

fn audit(id: &str, tenant: &str, at: i64) -> NewAudit {
    NewAudit {
        id: id.into(),
        tenant_id: tenant.into(),
        sources_hash: format!("hash-{id}"),
        cache_key: format!("cache-{id}"),
        options: AuditOptions::default(),
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

fn analysis(key: &str, fingerprints: &[&str]) -> CachedAnalysis {
    CachedAnalysis {
        cache_key: key.into(),
        analyzer_version: "v".into(),
        findings: fingerprints
            .iter()
            .enumerate()
            .map(|(i, fp)| FindingData {
                detector: "d".into(),
                title: "t".into(),
                severity: "high".into(),
                confidence: "high".into(),
                file: "A.sol".into(),
                start_line: i as u32 + 1,
                end_line: i as u32 + 1,
                message: "m".into(),
                fingerprint: fp.to_string(),
                category: None,
                swc: None,
                shape: None,
            })
            .collect(),
        reports: BTreeMap::new(),
    }
}

async fn findings(store: &dyn Store, tenant: &str, audit: &str) -> Vec<Finding> {
    store
        .list_findings(
            tenant,
            audit,
            &FindingFilter {
                limit: 100,
                ..Default::default()
            },
        )
        .await
        .unwrap()
}

async fn old_finished_audits_go_and_unfinished_or_recent_ones_stay(backend: Backend) {
    let db = backend.db().await;
    let store = db.store.as_ref();
    let t = tenant(store).await;

    // Old and finished: one run by a worker (with a cache row), one served from the cache
    // with two findings, one cancelled.
    store
        .insert_audit(&audit("a-done", &t, OLD), "{\"A.sol\":\"1\"}", None)
        .await
        .unwrap();
    let job = store
        .claim_next("w", OLD, OLD + 60_000)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(job.audit.id, "a-done");
    assert!(
        store
            .complete(
                "a-done",
                "w",
                OLD + 1000,
                &JobOutcome::Succeeded(analysis("cache-a-done", &["fp-x"]))
            )
            .await
            .unwrap()
    );
    store
        .insert_audit(
            &audit("b-cached", &t, OLD),
            "{}",
            Some(&analysis("cache-b-cached", &["fp-a", "fp-b"])),
        )
        .await
        .unwrap();
    store
        .insert_audit(&audit("c-cancelled", &t, OLD), "{}", None)
        .await
        .unwrap();
    store
        .cancel_audit(&t, "c-cancelled", OLD + 10)
        .await
        .unwrap();
    // Old but unfinished: one running, one queued. Recent and finished: one, sharing its
    // sources with the cancelled audit.
    store
        .insert_audit(&audit("d-running", &t, OLD), "{}", None)
        .await
        .unwrap();
    let job = store
        .claim_next("w", OLD, NOW + DAY)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(job.audit.id, "d-running");
    store
        .insert_audit(&audit("e-queued", &t, OLD), "{}", None)
        .await
        .unwrap();
    let mut recent = audit("f-recent", &t, NOW - DAY);
    recent.sources_hash = "hash-c-cancelled".into();
    store
        .insert_audit(&recent, "{}", Some(&analysis("cache-f", &["fp-a"])))
        .await
        .unwrap();

    // A triage decision on an old finding.
    let (_, event) = store
        .triage_finding(
            &t,
            "b-cached-f1",
            &NewTriageEvent {
                id: "ev1".into(),
                to_state: "false_positive".into(),
                comment: Some("guarded elsewhere".into()),
                actor: "user:u".into(),
                created_at: OLD + 5,
            },
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(event.fingerprint, "fp-b");

    let expected = PrunedAudits {
        audits: 3,
        findings: 3,
        triage_events: 1,
        // a-done's and b-cached's; c-cancelled's blob is still used by f-recent
        source_blobs: 2,
        // a-done's row (cached audits write none)
        analysis_cache: 1,
    };
    assert_eq!(store.count_prunable_audits(CUTOFF).await.unwrap(), expected);

    // Batches of one audit: the caller loops until a batch comes back short.
    let mut pruned = PrunedAudits::default();
    loop {
        let batch = store.prune_audits(CUTOFF, 1).await.unwrap();
        pruned += batch;
        if batch.audits < 1 {
            break;
        }
    }
    pruned += store.prune_unreferenced(100).await.unwrap();
    assert_eq!(pruned, expected);

    for gone in ["a-done", "b-cached", "c-cancelled"] {
        assert!(store.get_audit(&t, gone).await.unwrap().is_none(), "{gone}");
        assert!(findings(store, &t, gone).await.is_empty(), "{gone}");
    }
    for kept in ["d-running", "e-queued", "f-recent"] {
        assert!(store.get_audit(&t, kept).await.unwrap().is_some(), "{kept}");
    }
    assert!(store.get_cached("cache-a-done").await.unwrap().is_none());
    assert_eq!(
        db.raw
            .count("SELECT COUNT(*) FROM source_blobs WHERE hash IN ('hash-c-cancelled', 'hash-d-running', 'hash-e-queued', 'hash-f-recent')")
            .await,
        3,
        "blobs still referenced stay"
    );
    assert_eq!(db.raw.count("SELECT COUNT(*) FROM source_blobs").await, 3);
    assert!(
        store
            .list_triage_events(&t, "fp-b")
            .await
            .unwrap()
            .is_empty()
    );

    // The running audit still completes; the triage decision still applies to a later
    // audit with the same fingerprint.
    assert!(
        store
            .complete("d-running", "w", NOW, &JobOutcome::Failed("x".into()))
            .await
            .unwrap()
    );
    store
        .insert_audit(
            &audit("g-later", &t, NOW),
            "{}",
            Some(&analysis("cache-g", &["fp-a", "fp-b"])),
        )
        .await
        .unwrap();
    let states: Vec<String> = findings(store, &t, "g-later")
        .await
        .into_iter()
        .map(|f| f.triage_state)
        .collect();
    assert_eq!(states, ["open", "false_positive"]);

    // A second sweep finds nothing.
    assert_eq!(
        store.prune_audits(CUTOFF, 10).await.unwrap(),
        PrunedAudits::default()
    );
    assert_eq!(
        store.prune_unreferenced(10).await.unwrap(),
        PrunedAudits::default()
    );
    assert_eq!(
        store.count_prunable_audits(CUTOFF).await.unwrap(),
        PrunedAudits::default()
    );
}

fn event(ts: i64, action: &str) -> NewAuditEvent {
    NewAuditEvent {
        ts,
        tenant_id: Some("t1".into()),
        actor: "user:u".into(),
        action: action.into(),
        target: None,
        outcome: "success".into(),
        detail: serde_json::json!({ "n": ts }),
    }
}

/// Ten old entries, three recent ones; pruned in batches of four.
async fn pruned_trail(backend: Backend) -> Db {
    let db = backend.db().await;
    let signer = Signer::new(KEY);
    for i in 0..10 {
        db.store
            .append_audit_event(&event(OLD + i, "login"), &signer)
            .await
            .unwrap();
    }
    for i in 0..3 {
        db.store
            .append_audit_event(&event(NOW - 1000 + i, "audit.submitted"), &signer)
            .await
            .unwrap();
    }
    assert_eq!(db.store.count_prunable_audit_log(CUTOFF).await.unwrap(), 10);
    let mut seqs = Vec::new();
    while let Some(checkpoint) = db
        .store
        .prune_audit_log(CUTOFF, 4, NOW, "system:retention", &signer)
        .await
        .unwrap()
    {
        seqs.push((checkpoint.seq, checkpoint.pruned));
    }
    assert_eq!(seqs, [(4, 4), (8, 4), (10, 2)]);
    db
}

async fn verify(store: &dyn Store) -> trail::Verification {
    verify_snapshot(&store.audit_trail().await.unwrap(), &Signer::new(KEY))
}

async fn trail_pruning_writes_checkpoints_and_the_rest_verifies(backend: Backend) {
    let db = pruned_trail(backend).await;
    let store = db.store.as_ref();
    assert_eq!(store.count_prunable_audit_log(CUTOFF).await.unwrap(), 0);
    let result = verify(store).await;
    assert_eq!(result.first_break, None, "{result:?}");
    // Three recent entries and one `audit_log.pruned` entry per checkpoint.
    assert_eq!(result.entries, 6);
    let start = result.checkpoint.unwrap();
    assert_eq!((start.seq, start.pruned, start.checkpoints), (10, 10, 3));
    assert_eq!(start.created_at, NOW);
    let snapshot = store.audit_trail().await.unwrap();
    assert_eq!(snapshot.entries[0].seq, 11);
    let pruned: Vec<_> = snapshot
        .entries
        .iter()
        .filter(|e| e.event.action == "audit_log.pruned")
        .map(|e| e.event.detail["through_seq"].as_i64().unwrap())
        .collect();
    assert_eq!(pruned, [4, 8, 10]);

    // Appending goes on after the checkpoint and still verifies.
    store
        .append_audit_event(&event(NOW + 5, "login"), &Signer::new(KEY))
        .await
        .unwrap();
    assert_eq!(verify(store).await.first_break, None);
    // With another key, the checkpoints do not verify.
    let other = verify_snapshot(
        &store.audit_trail().await.unwrap(),
        &Signer::new(b"another-key-0123456789abcdef-012345"),
    );
    assert!(other.first_break.is_some());
}

async fn tampering_with_a_pruned_trail_is_detected(backend: Backend) {
    let cases: [(&str, &[&str], &str); 8] = [
        (
            "edit the latest checkpoint's count",
            &["UPDATE audit_log_checkpoints SET pruned = pruned + 1 WHERE seq = 10"],
            "checkpoint at entry 10 does not verify",
        ),
        (
            "forge the latest checkpoint's hash",
            &[
                "UPDATE audit_log_checkpoints SET hash = (SELECT hash FROM audit_log WHERE seq = 12) WHERE seq = 10",
            ],
            "checkpoint at entry 10 does not verify",
        ),
        (
            "delete the latest checkpoint",
            &["DELETE FROM audit_log_checkpoints WHERE seq = 10"],
            "entries 9..=10 are missing",
        ),
        (
            "delete an older checkpoint",
            &["DELETE FROM audit_log_checkpoints WHERE seq = 4"],
            "do not account for the pruned entries",
        ),
        (
            "delete every checkpoint",
            &["DELETE FROM audit_log_checkpoints"],
            "no checkpoint records their pruning",
        ),
        (
            "delete more entries after the checkpoint",
            &["DELETE FROM audit_log WHERE seq <= 12"],
            "entries 11..=12 are missing",
        ),
        (
            "delete the newest entry",
            &["DELETE FROM audit_log WHERE seq = (SELECT MAX(seq) FROM audit_log)"],
            "head records entry",
        ),
        (
            "edit a remaining entry",
            &["UPDATE audit_log SET actor = 'user:intruder' WHERE seq = 12"],
            "entry changed",
        ),
    ];
    for (name, sql, expected) in cases {
        let db = pruned_trail(backend).await;
        assert_eq!(verify(db.store.as_ref()).await.first_break, None, "{name}");
        for statement in sql {
            assert!(db.raw.exec(statement).await > 0, "{name}: {statement}");
        }
        let result = verify(db.store.as_ref()).await;
        let brk = result
            .first_break
            .unwrap_or_else(|| panic!("{name}: not detected"));
        assert!(brk.reason.contains(expected), "{name}: {brk:?}");
    }

    // Entries deleted from the start of a trail that was never pruned.
    let db = backend.db().await;
    for i in 0..5 {
        db.store
            .append_audit_event(&event(OLD + i, "login"), &Signer::new(KEY))
            .await
            .unwrap();
    }
    db.raw.exec("DELETE FROM audit_log WHERE seq <= 2").await;
    let brk = verify(db.store.as_ref()).await.first_break.unwrap();
    assert_eq!(brk.seq, 1);
    assert!(
        brk.reason.contains("no checkpoint records their pruning"),
        "{brk:?}"
    );
}

async fn pruning_refuses_a_tampered_trail(backend: Backend) {
    let db = backend.db().await;
    let signer = Signer::new(KEY);
    for i in 0..6 {
        db.store
            .append_audit_event(&event(OLD + i, "login"), &signer)
            .await
            .unwrap();
    }
    db.raw
        .exec("UPDATE audit_log SET action = 'logout' WHERE seq = 3")
        .await;
    let error = db
        .store
        .prune_audit_log(CUTOFF, 100, NOW, "system:retention", &signer)
        .await
        .unwrap_err();
    assert!(error.to_string().contains("entry 3"), "{error}");
    // Nothing deleted, no checkpoint: verification still points at the edited entry.
    assert_eq!(db.raw.count("SELECT COUNT(*) FROM audit_log").await, 6);
    assert_eq!(
        db.raw
            .count("SELECT COUNT(*) FROM audit_log_checkpoints")
            .await,
        0
    );
    assert_eq!(verify(db.store.as_ref()).await.first_break.unwrap().seq, 3);
}

async fn concurrent_sweeps_delete_each_row_once(backend: Backend) {
    let db = backend.db().await;
    let store = db.store.clone();
    let t = tenant(store.as_ref()).await;
    let signer = Signer::new(KEY);
    for i in 0..24 {
        store
            .insert_audit(
                &audit(&format!("a{i:02}"), &t, OLD),
                "{}",
                Some(&analysis(&format!("c{i}"), &["fp-1", "fp-2"])),
            )
            .await
            .unwrap();
        store
            .append_audit_event(&event(OLD + i, "audit.submitted"), &signer)
            .await
            .unwrap();
    }
    let mut tasks = Vec::new();
    for _ in 0..3 {
        let store = store.clone();
        let signer = signer.clone();
        tasks.push(tokio::spawn(async move {
            let mut audits = PrunedAudits::default();
            loop {
                let batch = store.prune_audits(CUTOFF, 3).await.unwrap();
                audits += batch;
                if batch.audits < 3 {
                    break;
                }
            }
            audits += store.prune_unreferenced(5).await.unwrap();
            let mut entries = 0;
            while let Some(c) = store
                .prune_audit_log(CUTOFF, 5, NOW, "system:retention", &signer)
                .await
                .unwrap()
            {
                entries += c.pruned;
            }
            (audits, entries)
        }));
    }
    let mut audits = PrunedAudits::default();
    let mut entries = 0;
    for task in tasks {
        let (a, e) = task.await.unwrap();
        audits += a;
        entries += e;
    }
    assert_eq!((audits.audits, audits.findings), (24, 48));
    assert_eq!(entries, 24);
    assert_eq!(db.raw.count("SELECT COUNT(*) FROM audits").await, 0);
    assert_eq!(db.raw.count("SELECT COUNT(*) FROM findings").await, 0);
    let result = verify(store.as_ref()).await;
    assert_eq!(result.first_break, None, "{result:?}");
    assert_eq!(result.checkpoint.unwrap().pruned, 24);
}
