//! Backups at the level of rows: a snapshot taken while the service writes is consistent
//! and restores exactly (row counts and content checksums), on SQLite, on PostgreSQL and
//! across them; refused restores leave the target untouched. PostgreSQL tests run in a
//! schema of their own in the database named by `WEB3AUDIT_TEST_POSTGRES_URL` and are
//! skipped, saying so, when it is unset.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::mpsc;

use store::backup::{
    Backend, ContentChecksum, RestoreRequest, RowSink, RowSource, Snapshot, TableSummary, Value,
};
use store::*;

const KEY: &[u8] = b"backup-test-secret";

// --- databases -------------------------------------------------------------------------

/// A database URL, kept alive (a temporary directory, or a schema) for the test.
struct Database {
    url: String,
    _dir: Option<tempfile::TempDir>,
}

fn sqlite_db() -> Database {
    let dir = tempfile::tempdir().unwrap();
    Database {
        url: format!("sqlite://{}/db.sqlite", dir.path().display()),
        _dir: Some(dir),
    }
}

const POSTGRES_ENV: &str = "WEB3AUDIT_TEST_POSTGRES_URL";

/// A fresh schema in the PostgreSQL test database; `None`, after saying so, when unset.
async fn postgres_db(test: &str) -> Option<Database> {
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
        "backup_{}_{}_{nanos}",
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
    Some(Database {
        url: format!("{base}{separator}options[search_path]={schema}"),
        _dir: None,
    })
}

async fn db(backend: Backend, test: &str) -> Option<Database> {
    match backend {
        Backend::Sqlite => Some(sqlite_db()),
        Backend::Postgres => postgres_db(test).await,
    }
}

/// Runs one test (an `async fn(Backend)`) on each backend.
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod on_sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(store::backup::Backend::Sqlite).await;
                }
            )*
        }
        mod on_postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(store::backup::Backend::Postgres).await;
                }
            )*
        }
    };
}

on_both_backends!(
    a_snapshot_taken_during_writes_is_consistent_and_restores_exactly,
    refused_restores_leave_the_target_untouched,
    tables_added_later_are_discovered_and_restored,
    a_database_migrated_by_a_newer_release_is_refused_untouched,
);

// --- data ------------------------------------------------------------------------------

/// Writes one round of service activity: a tenant's audit with its sources and three
/// findings, a triage, and a trail entry.
async fn write_round(store: &dyn Store, round: usize) {
    let signer = trail::Signer::new(KEY);
    let id = format!("a{round:05}");
    let findings = (0..3)
        .map(|i| FindingData {
            detector: "tx-origin".into(),
            title: "tx.origin".into(),
            severity: "high".into(),
            confidence: "medium".into(),
            file: "C.sol".into(),
            start_line: i + 1,
            end_line: i + 1,
            message: format!("round {round}, finding {i}: ü\"\\\n"),
            fingerprint: format!("fp-{round}-{i}"),
            category: (i == 0).then(|| "access".into()),
            swc: None,
            shape: None,
        })
        .collect();
    let analysis = CachedAnalysis {
        cache_key: format!("cache-{id}"),
        analyzer_version: "v1".into(),
        findings,
        reports: BTreeMap::new(),
    };
    let audit = NewAudit {
        id: id.clone(),
        tenant_id: "t-acme".into(),
        sources_hash: format!("hash-{id}"),
        cache_key: format!("cache-{id}"),
        options: AuditOptions::default(),
        timeout_secs: 60,
        source_bytes: 42,
        file_count: 1,
        idempotency_key: round.is_multiple_of(2).then(|| format!("idem-{round}")),
        request_hash: "r".into(),
        created_by: "user:u1".into(),
        created_at: 1_700_000_000_000 + round as i64,
        project: None,
        target: None,
    };
    store
        .insert_audit(&audit, "{\"C.sol\":\"contract C {}\"}", Some(&analysis))
        .await
        .unwrap();
    store
        .triage_finding(
            "t-acme",
            &format!("{id}-f1"),
            &NewTriageEvent {
                id: format!("tr-{id}"),
                to_state: "confirmed".into(),
                comment: Some("seen".into()),
                actor: "user:u1".into(),
                created_at: 1_700_000_000_000 + round as i64,
            },
        )
        .await
        .unwrap()
        .unwrap();
    store
        .append_audit_event(
            &NewAuditEvent {
                ts: 1_700_000_000_000 + round as i64,
                tenant_id: Some("t-acme".into()),
                actor: "user:u1".into(),
                action: "audit.created".into(),
                target: Some(id),
                outcome: "success".into(),
                detail: serde_json::json!({ "round": round }),
            },
            &signer,
        )
        .await
        .unwrap();
}

/// A tenant (operator, a boolean), a user (disabled: another boolean), an API key with a
/// NULL, a rate-limit bucket (not backed up), and `rounds` rounds of activity.
async fn seed(store: &dyn Store, rounds: usize) {
    store
        .create_tenant(&Tenant {
            id: "t-acme".into(),
            name: "acme".into(),
            plan: "pro".into(),
            is_operator: true,
            created_at: 1,
        })
        .await
        .unwrap();
    store
        .create_user(&User {
            id: "u1".into(),
            tenant_id: "t-acme".into(),
            email: "admin@acme.test".into(),
            password_hash: "$argon2id$…".into(),
            role: "admin".into(),
            disabled: true,
            created_at: 2,
        })
        .await
        .unwrap();
    store
        .create_api_key(&ApiKey {
            id: "k1".into(),
            tenant_id: "t-acme".into(),
            user_id: None,
            name: "ci".into(),
            role: "member".into(),
            prefix: "0123456789abcdef".into(),
            secret_hash: "00".repeat(32),
            created_at: 3,
            revoked_at: None,
            expires_at: None,
            last_used_at: None,
            scopes: None,
        })
        .await
        .unwrap();
    store
        .take_token("key:k1", &TokenRate::per_minute(60, 5), 4)
        .await
        .unwrap();
    for round in 0..rounds {
        write_round(store, round).await;
    }
    seed_monitoring(store).await;
}

/// The monitoring tables that a backup holds: monitors, checkpoints, events, incidents and
/// their timelines (and the alerts the events raised).
const MONITORING_TABLES: [&str; 5] = [
    "monitors",
    "monitor_checkpoints",
    "monitor_events",
    "incidents",
    "incident_events",
];

fn monitor_event(id: &str, block: i64) -> NewMonitorEvent {
    NewMonitorEvent {
        id: id.into(),
        rule: "drain".into(),
        level: "high".into(),
        block_number: block,
        block_hash: format!("0xb{block}"),
        tx_hash: Some(format!("0xt{block}")),
        tx_index: 0,
        log_index: 0,
        dedup_key: "vault".into(),
        cooldown_ms: 60_000,
        detail: serde_json::json!({ "summary": "vault drained", "amount": "1e18" }),
    }
}

fn monitor_blocks(expected: Option<i64>, next: i64, events: Vec<NewMonitorEvent>) -> MonitorBlocks {
    MonitorBlocks {
        monitor_key: "mon-1".into(),
        monitor_name: "vault".into(),
        tenant_id: "t-acme".into(),
        expected_next: expected,
        checkpoint: MonitorCheckpoint {
            monitor_key: "mon-1".into(),
            chain_id: 1,
            next_block: next,
            last_hash: Some(format!("0xb{}", next - 1)),
            state: serde_json::json!({ "windows": { "drain": [next - 1] } }),
            updated_at: 50,
        },
        events,
        now: 50,
    }
}

/// An enabled and a disabled monitor (booleans), a run of blocks with two events folded
/// into one alert and incident, a comment and an assignment on the incident.
async fn seed_monitoring(store: &dyn Store) {
    for (id, name, enabled) in [("mon-1", "vault", true), ("mon-2", "bridge", false)] {
        store
            .create_monitor(&StoredMonitor {
                id: id.into(),
                tenant_id: "t-acme".into(),
                name: name.into(),
                config: format!("[[monitors]]\nname = \"{name}\"\n"),
                enabled,
                created_by: "user:u1".into(),
                created_at: 40,
                updated_at: 40,
            })
            .await
            .unwrap();
    }
    let recorded = store
        .record_monitor_blocks(&monitor_blocks(
            None,
            12,
            vec![monitor_event("me-1", 10), monitor_event("me-2", 11)],
        ))
        .await
        .unwrap();
    let incident = &recorded.incidents_opened[0].id;
    store
        .comment_incident("t-acme", incident, "user:u1", "on it", 60)
        .await
        .unwrap()
        .unwrap();
    store
        .update_incident(
            "t-acme",
            incident,
            &IncidentUpdate {
                state: Some(INCIDENT_ACKNOWLEDGED.into()),
                assignee: Some(Some("u1".into())),
                actor: "user:u1".into(),
                now: 70,
            },
        )
        .await
        .unwrap()
        .unwrap();
}

/// What the monitoring service reads back after a restore, and that it goes on from the
/// restored checkpoint exactly once.
async fn assert_monitoring_restored(store: &dyn Store) {
    let enabled: Vec<String> = store
        .list_enabled_monitors()
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.id)
        .collect();
    assert_eq!(enabled, ["mon-1"]);
    let incidents = store
        .list_incidents("t-acme", &IncidentFilter::default())
        .await
        .unwrap();
    assert_eq!(incidents.len(), 1);
    assert_eq!(incidents[0].state, INCIDENT_ACKNOWLEDGED);
    assert_eq!(incidents[0].assignee.as_deref(), Some("u1"));
    let timeline = store
        .list_incident_events("t-acme", &incidents[0].id)
        .await
        .unwrap();
    let kinds: Vec<&str> = timeline.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["alert", "comment", "state", "assign"]);
    let events = store
        .list_monitor_events("t-acme", "mon-1", 0)
        .await
        .unwrap();
    assert_eq!(events.len(), 2);
    assert!(
        events
            .iter()
            .all(|e| e.incident_id.as_deref() == Some(incidents[0].id.as_str()))
    );
    let checkpoint = store
        .get_monitor_checkpoint("mon-1", 1)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(checkpoint.next_block, 12);
    assert_eq!(
        checkpoint.state,
        serde_json::json!({ "windows": { "drain": [11] } })
    );
    // A replay of block 11 from the restored checkpoint stores nothing again.
    let recorded = store
        .record_monitor_blocks(&monitor_blocks(
            Some(12),
            13,
            vec![monitor_event("me-2-again", 11)],
        ))
        .await
        .unwrap();
    assert_eq!(recorded.events, 0);
}

// --- in-memory snapshots ---------------------------------------------------------------

/// An export held in memory; also the source of a restore.
#[derive(Debug, Default, Clone)]
struct Memory {
    tables: Vec<(String, Vec<String>, Vec<Vec<Value>>)>,
    reading: Option<(usize, usize)>,
}

impl RowSink for Memory {
    fn begin_table(&mut self, table: &str, columns: &[String]) -> Result<()> {
        self.tables
            .push((table.to_string(), columns.to_vec(), Vec::new()));
        Ok(())
    }
    fn row(&mut self, values: &[Value]) -> Result<()> {
        self.tables.last_mut().unwrap().2.push(values.to_vec());
        Ok(())
    }
    fn end_table(&mut self, _summary: &TableSummary) -> Result<()> {
        Ok(())
    }
}

impl RowSource for Memory {
    fn open_table(&mut self, table: &TableSummary) -> Result<()> {
        let index = self.tables.iter().position(|t| t.0 == table.name).unwrap();
        self.reading = Some((index, 0));
        Ok(())
    }
    fn next_row(&mut self) -> Result<Option<Vec<Value>>> {
        let (table, row) = self.reading.as_mut().unwrap();
        let next = self.tables[*table].2.get(*row).cloned();
        *row += 1;
        Ok(next)
    }
}

impl Memory {
    fn rows(&self, table: &str) -> (&[String], &[Vec<Value>]) {
        let t = self.tables.iter().find(|t| t.0 == table).unwrap();
        (&t.1, &t.2)
    }

    fn column(&self, table: &str, column: &str) -> Vec<Value> {
        let (columns, rows) = self.rows(table);
        let index = columns.iter().position(|c| c == column).unwrap();
        rows.iter().map(|r| r[index].clone()).collect()
    }

    /// The audit trail as held in the snapshot.
    fn chain(&self) -> (Vec<AuditEvent>, Option<trail::ChainHead>) {
        let text = |v: &Value| match v {
            Value::Text(s) => s.clone(),
            other => panic!("not a text: {other:?}"),
        };
        let opt = |v: &Value| match v {
            Value::Null => None,
            other => Some(text(other)),
        };
        let int = |v: &Value| match v {
            Value::Integer(i) => *i,
            other => panic!("not an integer: {other:?}"),
        };
        let (columns, rows) = self.rows("audit_log");
        let at = |name: &str| columns.iter().position(|c| c == name).unwrap();
        let entries = rows
            .iter()
            .map(|r| AuditEvent {
                seq: int(&r[at("seq")]),
                event: NewAuditEvent {
                    ts: int(&r[at("ts")]),
                    tenant_id: opt(&r[at("tenant_id")]),
                    actor: text(&r[at("actor")]),
                    action: text(&r[at("action")]),
                    target: opt(&r[at("target")]),
                    outcome: text(&r[at("outcome")]),
                    detail: serde_json::from_str(&text(&r[at("detail")])).unwrap(),
                },
                prev_hash: text(&r[at("prev_hash")]),
                hash: text(&r[at("hash")]),
                mac: text(&r[at("mac")]),
            })
            .collect();
        let (columns, rows) = self.rows("audit_log_head");
        let at = |name: &str| columns.iter().position(|c| c == name).unwrap();
        let head = rows.first().map(|r| trail::ChainHead {
            seq: int(&r[at("seq")]),
            hash: text(&r[at("hash")]),
            mac: text(&r[at("mac")]),
        });
        (entries, head)
    }

    /// Row counts and checksums computed from the held rows themselves.
    fn summaries(&self) -> Vec<TableSummary> {
        self.tables
            .iter()
            .map(|(name, columns, rows)| {
                let mut checksum = ContentChecksum::new(columns);
                for row in rows {
                    checksum.add_row(row);
                }
                TableSummary {
                    name: name.clone(),
                    columns: columns.clone(),
                    rows: checksum.rows(),
                    checksum: checksum.finish(),
                }
            })
            .collect()
    }
}

/// Lets the writer thread make one round of writes at the start of every table, while
/// the export's snapshot is open.
struct InterleavedSink {
    inner: Memory,
    go: mpsc::Sender<()>,
    done: mpsc::Receiver<()>,
}

impl RowSink for InterleavedSink {
    fn begin_table(&mut self, table: &str, columns: &[String]) -> Result<()> {
        self.go.send(()).unwrap();
        self.done.recv().unwrap();
        self.inner.begin_table(table, columns)
    }
    fn row(&mut self, values: &[Value]) -> Result<()> {
        self.inner.row(values)
    }
    fn end_table(&mut self, summary: &TableSummary) -> Result<()> {
        self.inner.end_table(summary)
    }
}

fn by_name(tables: &[TableSummary]) -> BTreeMap<&str, (u64, &str)> {
    tables
        .iter()
        .map(|t| (t.name.as_str(), (t.rows, t.checksum.as_str())))
        .collect()
}

fn restore_request<'a>(
    snapshot: &'a Snapshot,
    signer: &'a trail::Signer,
    force: bool,
) -> RestoreRequest<'a> {
    RestoreRequest {
        schema_version: snapshot.schema_version,
        tables: &snapshot.tables,
        force,
        signer: Some(signer),
    }
}

/// Every foreign key of the service's tables points to a table copied earlier.
fn assert_foreign_key_order(snapshot: &Snapshot) {
    let position = |name: &str| {
        snapshot
            .tables
            .iter()
            .position(|t| t.name == name)
            .unwrap_or_else(|| panic!("{name} is not in the snapshot"))
    };
    for (parent, child) in [
        ("tenants", "users"),
        ("tenants", "api_keys"),
        ("users", "api_keys"),
        ("tenants", "audits"),
        ("source_blobs", "audits"),
        ("audits", "findings"),
        ("tenants", "triage_states"),
        ("findings", "triage_events"),
    ] {
        assert!(
            position(parent) < position(child),
            "{parent} must come before {child}"
        );
    }
}

// --- tests -----------------------------------------------------------------------------

async fn a_snapshot_taken_during_writes_is_consistent_and_restores_exactly(backend: Backend) {
    let test = "a_snapshot_taken_during_writes_is_consistent";
    let Some(source_db) = db(backend, test).await else {
        return;
    };
    let source = connect(&source_db.url).await.unwrap();
    seed(source.as_ref(), 5).await;

    // A second handle on the same database writes a round each time the export starts a
    // table: another process of the service, writing while the backup runs.
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let (done_tx, done_rx) = mpsc::channel::<()>();
    let url = source_db.url.clone();
    let writer = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let store = connect(&url).await.unwrap();
            let mut round = 1000;
            while go_rx.recv().is_ok() {
                write_round(store.as_ref(), round).await;
                round += 1;
                done_tx.send(()).unwrap();
            }
            round - 1000
        })
    });
    let mut sink = InterleavedSink {
        inner: Memory::default(),
        go: go_tx,
        done: done_rx,
    };
    let snapshot = source.backup_export(&mut sink).await.unwrap();
    let InterleavedSink {
        inner: memory, go, ..
    } = sink;
    drop(go);
    let rounds_during = writer.join().unwrap();

    // The writes went on: the live database is ahead of the snapshot.
    let live = source.backup_checksums().await.unwrap();
    assert_eq!(rounds_during, snapshot.tables.len());
    let rows = |s: &Snapshot, table: &str| by_name(&s.tables)[table].0;
    assert_eq!(
        rows(&snapshot, "audits"),
        5,
        "the snapshot saw later writes"
    );
    assert_eq!(rows(&live, "audits"), 5 + rounds_during as u64);

    // Consistent: every finding's audit is there, and the trail (entries and head, two
    // tables read at different moments) verifies.
    let audits = memory.column("audits", "id");
    let findings = memory.column("findings", "audit_id");
    assert_eq!(findings.len(), 15);
    assert!(findings.iter().all(|a| audits.contains(a)));
    let (entries, head) = memory.chain();
    assert_eq!(entries.len(), 5);
    let verification = trail::verify(&entries, head.as_ref(), &trail::Signer::new(KEY));
    assert_eq!(verification.first_break, None);

    // What was exported is what the summaries describe; ephemeral and migration tables
    // stay out; tables come in foreign-key order.
    assert_eq!(memory.summaries(), snapshot.tables);
    let names: BTreeSet<&str> = snapshot.tables.iter().map(|t| t.name.as_str()).collect();
    assert!(!names.contains("rate_limit_buckets") && !names.contains("schema_migrations"));
    for table in MONITORING_TABLES {
        assert!(rows(&snapshot, table) > 0, "{table} is not backed up");
    }
    assert_eq!(snapshot.backend, backend);
    assert_eq!(snapshot.schema_version, backend.latest_schema_version());
    assert_foreign_key_order(&snapshot);

    // Wipe (a new database) and restore: equal by row counts and checksums.
    let target_db = db(backend, test).await.unwrap();
    let target = connect(&target_db.url).await.unwrap();
    let signer = trail::Signer::new(KEY);
    let mut source_rows = memory.clone();
    let outcome = target
        .backup_restore(
            &restore_request(&snapshot, &signer, false),
            &mut source_rows,
        )
        .await
        .unwrap();
    assert_eq!(outcome.trail.unwrap().entries, 5);
    assert!(outcome.cleared.is_empty() && outcome.missing.is_empty());
    let restored = target.backup_checksums().await.unwrap();
    assert_eq!(restored.tables, snapshot.tables);
    assert_eq!(
        server_view(target.as_ref()).await,
        (5, 15, "confirmed".to_string())
    );

    // A restored row that differs shows in its table's checksum.
    target
        .update_tenant_plan("t-acme", "free")
        .await
        .unwrap()
        .unwrap();
    let changed = target.backup_checksums().await.unwrap();
    let differing: Vec<&str> = changed
        .tables
        .iter()
        .zip(&snapshot.tables)
        .filter(|(a, b)| a != b)
        .map(|(a, _)| a.name.as_str())
        .collect();
    assert_eq!(differing, ["tenants"]);
    assert_monitoring_restored(target.as_ref()).await;
}

/// What the service reads back: audits, findings of one audit, a finding's triage state,
/// and a verifying trail.
async fn server_view(store: &dyn Store) -> (usize, usize, String) {
    let audits = store
        .list_audits(
            "t-acme",
            &AuditFilter {
                limit: 100,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let mut findings = 0;
    for audit in &audits {
        findings += store
            .list_findings(
                "t-acme",
                &audit.id,
                &FindingFilter {
                    limit: 100,
                    ..Default::default()
                },
            )
            .await
            .unwrap()
            .len();
    }
    let finding = store
        .get_finding("t-acme", "a00001-f1")
        .await
        .unwrap()
        .unwrap();
    let (entries, head) = store.audit_chain().await.unwrap();
    assert_eq!(
        trail::verify(&entries, head.as_ref(), &trail::Signer::new(KEY)).first_break,
        None
    );
    let tenant = store.get_tenant("t-acme").await.unwrap().unwrap();
    assert!(tenant.is_operator);
    (audits.len(), findings, finding.triage_state)
}

async fn refused_restores_leave_the_target_untouched(backend: Backend) {
    let test = "refused_restores_leave_the_target_untouched";
    let Some(source_db) = db(backend, test).await else {
        return;
    };
    let source = connect(&source_db.url).await.unwrap();
    seed(source.as_ref(), 3).await;
    let mut memory = Memory::default();
    let snapshot = source.backup_export(&mut memory).await.unwrap();
    let signer = trail::Signer::new(KEY);

    let target_db = db(backend, test).await.unwrap();
    let target = connect(&target_db.url).await.unwrap();
    let empty = target.backup_checksums().await.unwrap();
    assert!(empty.tables.iter().all(|t| t.rows == 0));

    // A newer schema.
    let mut newer = restore_request(&snapshot, &signer, false);
    newer.schema_version = backend.latest_schema_version() + 1;
    let error = target
        .backup_restore(&newer, &mut memory.clone())
        .await
        .unwrap_err();
    assert!(error.to_string().contains("newer"), "{error}");

    // Rows that do not add up to the backup's checksum: rolled back.
    let mut tampered = memory.clone();
    let events = tampered
        .tables
        .iter_mut()
        .find(|t| t.0 == "triage_events")
        .unwrap();
    events.2.pop().unwrap();
    let error = target
        .backup_restore(&restore_request(&snapshot, &signer, false), &mut tampered)
        .await
        .unwrap_err();
    assert!(
        error.to_string().contains("`triage_events`") && error.to_string().contains("2 rows"),
        "{error}"
    );
    assert_eq!(target.backup_checksums().await.unwrap(), empty);

    // The audit trail under another key: rolled back.
    let other = trail::Signer::new(b"another key");
    let error = target
        .backup_restore(
            &restore_request(&snapshot, &other, false),
            &mut memory.clone(),
        )
        .await
        .unwrap_err();
    assert!(error.to_string().contains("audit trail"), "{error}");
    assert_eq!(target.backup_checksums().await.unwrap(), empty);

    // A target with rows: refused without force, nothing changed.
    seed_other(target.as_ref()).await;
    let before = target.backup_checksums().await.unwrap();
    let error = target
        .backup_restore(
            &restore_request(&snapshot, &signer, false),
            &mut memory.clone(),
        )
        .await
        .unwrap_err();
    match &error {
        StoreError::NotEmpty { tables } => {
            assert!(tables.contains(&"tenants".to_string()), "{tables:?}")
        }
        other => panic!("expected NotEmpty, got {other}"),
    }
    assert_eq!(target.backup_checksums().await.unwrap(), before);

    // With force: emptied and restored in one go.
    let outcome = target
        .backup_restore(
            &restore_request(&snapshot, &signer, true),
            &mut memory.clone(),
        )
        .await
        .unwrap();
    assert!(outcome.cleared.contains(&"tenants".to_string()));
    assert!(outcome.cleared.contains(&"rate_limit_buckets".to_string()));
    assert_eq!(
        target.backup_checksums().await.unwrap().tables,
        snapshot.tables
    );
}

/// Rows of another service: a tenant and a rate-limit bucket.
async fn seed_other(store: &dyn Store) {
    store
        .create_tenant(&Tenant {
            id: "t-other".into(),
            name: "other".into(),
            plan: "free".into(),
            is_operator: false,
            created_at: 9,
        })
        .await
        .unwrap();
    store
        .take_token("key:other", &TokenRate::per_minute(60, 5), 9)
        .await
        .unwrap();
}

/// A table of later work (here: `later_items`, with a boolean and a foreign key), created
/// outside the store, in the backend's own types.
async fn create_later_table(backend: Backend, url: &str) {
    let sql = match backend {
        Backend::Sqlite => {
            "CREATE TABLE later_items (id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL REFERENCES tenants(id), \
             enabled INTEGER NOT NULL, failures INTEGER NOT NULL, weight REAL, secret TEXT)"
        }
        Backend::Postgres => {
            "CREATE TABLE later_items (id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL REFERENCES tenants(id), \
             enabled BOOLEAN NOT NULL, failures INTEGER NOT NULL, weight DOUBLE PRECISION, secret TEXT)"
        }
    };
    run_sql(backend, url, sql).await;
}

async fn run_sql(backend: Backend, url: &str, sql: &str) {
    match backend {
        Backend::Sqlite => {
            let pool = sqlx::SqlitePool::connect(url).await.unwrap();
            sqlx::raw_sql(sql).execute(&pool).await.unwrap();
            pool.close().await;
        }
        Backend::Postgres => {
            let pool = sqlx::PgPool::connect(url).await.unwrap();
            sqlx::raw_sql(sql).execute(&pool).await.unwrap();
            pool.close().await;
        }
    }
}

async fn tables_added_later_are_discovered_and_restored(backend: Backend) {
    let test = "tables_added_later_are_discovered";
    let Some(source_db) = db(backend, test).await else {
        return;
    };
    let source = connect(&source_db.url).await.unwrap();
    seed(source.as_ref(), 1).await;
    create_later_table(backend, &source_db.url).await;
    let truth = match backend {
        Backend::Sqlite => "1",
        Backend::Postgres => "TRUE",
    };
    run_sql(
        backend,
        &source_db.url,
        &format!(
            "INSERT INTO later_items VALUES ('w2', 't-acme', {truth}, 3, NULL, 's'), ('w1', 't-acme', {truth}, 0, 0.25, NULL)"
        ),
    )
    .await;
    let mut memory = Memory::default();
    let snapshot = source.backup_export(&mut memory).await.unwrap();
    let later = snapshot.tables.iter().position(|t| t.name == "later_items");
    let tenants = snapshot.tables.iter().position(|t| t.name == "tenants");
    assert!(later > tenants, "{:?}", snapshot.tables);
    // Primary-key order.
    assert_eq!(
        memory.column("later_items", "id"),
        [Value::Text("w1".into()), Value::Text("w2".into())]
    );

    // Missing in the target: refused. Present: restored.
    let target_db = db(backend, test).await.unwrap();
    let target = connect(&target_db.url).await.unwrap();
    let signer = trail::Signer::new(KEY);
    let error = target
        .backup_restore(
            &restore_request(&snapshot, &signer, false),
            &mut memory.clone(),
        )
        .await
        .unwrap_err();
    assert!(error.to_string().contains("`later_items`"), "{error}");
    create_later_table(backend, &target_db.url).await;
    target
        .backup_restore(
            &restore_request(&snapshot, &signer, false),
            &mut memory.clone(),
        )
        .await
        .unwrap();
    assert_eq!(
        target.backup_checksums().await.unwrap().tables,
        snapshot.tables
    );
}

/// SQLite → PostgreSQL → SQLite: every hop proven by equal row counts and checksums.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backups_cross_between_sqlite_and_postgres() {
    let test = "backups_cross_between_sqlite_and_postgres";
    let Some(postgres_db) = postgres_db(test).await else {
        return;
    };
    let signer = trail::Signer::new(KEY);
    let sqlite_db = sqlite_db();
    let sqlite = connect(&sqlite_db.url).await.unwrap();
    seed(sqlite.as_ref(), 4).await;
    create_later_table(Backend::Sqlite, &sqlite_db.url).await;
    run_sql(
        Backend::Sqlite,
        &sqlite_db.url,
        "INSERT INTO later_items VALUES ('w1', 't-acme', 1, 2, 1.5, 'k'), ('w0', 't-acme', 0, 0, NULL, NULL)",
    )
    .await;
    let mut from_sqlite = Memory::default();
    let snapshot = sqlite.backup_export(&mut from_sqlite).await.unwrap();

    let postgres = connect(&postgres_db.url).await.unwrap();
    create_later_table(Backend::Postgres, &postgres_db.url).await;
    postgres
        .backup_restore(
            &restore_request(&snapshot, &signer, false),
            &mut from_sqlite,
        )
        .await
        .unwrap();
    let on_postgres = postgres.backup_checksums().await.unwrap();
    assert_eq!(on_postgres.backend, Backend::Postgres);
    assert_eq!(on_postgres.schema_version, snapshot.schema_version);
    assert_eq!(on_postgres.tables, snapshot.tables);
    assert_eq!(
        server_view(postgres.as_ref()).await,
        (4, 12, "confirmed".to_string())
    );

    // Booleans arrive as booleans, and go back as 0/1.
    let mut from_postgres = Memory::default();
    postgres.backup_export(&mut from_postgres).await.unwrap();
    assert_eq!(
        from_postgres.column("later_items", "enabled"),
        [Value::Bool(false), Value::Bool(true)]
    );
    let back_db = self::sqlite_db();
    let back = connect(&back_db.url).await.unwrap();
    create_later_table(Backend::Sqlite, &back_db.url).await;
    back.backup_restore(
        &restore_request(&on_postgres, &signer, false),
        &mut from_postgres,
    )
    .await
    .unwrap();
    assert_eq!(
        back.backup_checksums().await.unwrap().tables,
        snapshot.tables
    );
    let mut again = Memory::default();
    back.backup_export(&mut again).await.unwrap();
    assert_eq!(
        again.column("later_items", "enabled"),
        [Value::Integer(0), Value::Integer(1)]
    );
    assert_eq!(
        server_view(back.as_ref()).await,
        (4, 12, "confirmed".to_string())
    );
    assert_monitoring_restored(postgres.as_ref()).await;
    assert_monitoring_restored(back.as_ref()).await;
}

/// The upgrade path's other half: a release never opens a database that a newer release
/// migrated (it would run on a schema it does not know); the refusal names the versions
/// and changes nothing, so the newer release still finds the database as it left it.
async fn a_database_migrated_by_a_newer_release_is_refused_untouched(backend: Backend) {
    let test = "a_database_migrated_by_a_newer_release_is_refused";
    let Some(database) = db(backend, test).await else {
        return;
    };
    let store = connect(&database.url).await.unwrap();
    seed(store.as_ref(), 1).await;
    let before = store.backup_checksums().await.unwrap();
    drop(store);

    let newer = backend.latest_schema_version() + 1;
    run_sql(
        backend,
        &database.url,
        &format!(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES ({newer}, 'from_a_newer_release', 0)"
        ),
    )
    .await;
    let error = match connect(&database.url).await {
        Ok(_) => panic!("a database with migration {newer} was opened"),
        Err(error) => error,
    };
    assert!(
        matches!(&error, StoreError::NewerSchema { unknown, known }
            if unknown == &[newer] && *known == backend.latest_schema_version()),
        "{error:?}"
    );
    assert!(
        error.to_string().contains(&format!("migration(s) {newer}")),
        "{error}"
    );

    // Nothing was applied or changed: once the newer release's row is gone, the database
    // opens with the same rows and checksums as before.
    run_sql(
        backend,
        &database.url,
        &format!("DELETE FROM schema_migrations WHERE version = {newer}"),
    )
    .await;
    let store = connect(&database.url).await.unwrap();
    assert_eq!(store.backup_checksums().await.unwrap(), before);
}
