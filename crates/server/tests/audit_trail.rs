//! Tamper tests: edit, delete, insert and swap audit-trail rows directly in the database;
//! verification names the first broken entry every time.

mod common;

use common::*;
use server::Secret;

/// A server that has written a dozen trail entries, stopped; returns the database URL.
async fn trail_database() -> (std::sync::Arc<tempfile::TempDir>, String) {
    let server = start(|_| {}).await;
    for role in ["viewer", "auditor", "admin"] {
        server.key_with_role(role).await;
    }
    for i in 0..3 {
        let id = server
            .submit(
                &server.admin_key,
                &[(
                    "A.sol",
                    &format!("contract A{i} {{ function f() {{ tx.origin; }} }}"),
                )],
            )
            .await;
        server.wait_final(&server.admin_key, &id).await;
    }
    let url = server.db_url.clone();
    let dir = server.stop().await;
    (dir, url)
}

async fn verify(url: &str) -> store::trail::Verification {
    let store = store::connect(url).await.unwrap();
    server::verify_audit_log(store.as_ref(), &Secret::new(SECRET))
        .await
        .unwrap()
}

async fn tamper(url: &str, sql: &[&str]) {
    let pool = sqlx::SqlitePool::connect(url).await.unwrap();
    for statement in sql {
        let done = sqlx::query(statement).execute(&pool).await.unwrap();
        assert!(done.rows_affected() > 0, "{statement} changed nothing");
    }
    pool.close().await;
}

async fn copy_of(dir: &tempfile::TempDir, url: &str, name: &str) -> String {
    // Checkpoint so that the copy holds everything.
    let pool = sqlx::SqlitePool::connect(url).await.unwrap();
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let source = url.strip_prefix("sqlite://").unwrap();
    let target = dir.path().join(name);
    std::fs::copy(source, &target).unwrap();
    format!("sqlite://{}", target.display())
}

#[tokio::test]
async fn intact_trail_verifies_and_every_tampering_is_caught() {
    let (dir, url) = trail_database().await;
    let intact = verify(&url).await;
    assert_eq!(intact.first_break, None);
    assert!(intact.entries >= 9, "{intact:?}");

    let cases: Vec<(&str, Vec<&str>, i64)> = vec![
        (
            "edit an action",
            vec!["UPDATE audit_log SET action = 'audit.cancelled' WHERE seq = 5"],
            5,
        ),
        (
            "edit the detail",
            vec!["UPDATE audit_log SET detail = '{\"files\":99}' WHERE seq = 7"],
            7,
        ),
        (
            "edit and rehash without the key",
            vec![
                "UPDATE audit_log SET actor = 'user:intruder', hash = '00' || substr(hash, 3) WHERE seq = 4",
            ],
            4,
        ),
        (
            "delete a middle entry",
            vec!["DELETE FROM audit_log WHERE seq = 3"],
            3,
        ),
        (
            "delete the newest entry",
            vec!["DELETE FROM audit_log WHERE seq = (SELECT MAX(seq) FROM audit_log)"],
            0,
        ),
        (
            "delete the newest entry and rewind the head",
            vec![
                "DELETE FROM audit_log WHERE seq = (SELECT MAX(seq) FROM audit_log)",
                "UPDATE audit_log_head SET seq = seq - 1",
            ],
            0,
        ),
        (
            "insert an entry",
            vec![
                "UPDATE audit_log SET seq = seq + 1000 WHERE seq >= 6",
                "UPDATE audit_log SET seq = seq - 999 WHERE seq >= 1006",
                "INSERT INTO audit_log (seq, ts, tenant_id, actor, action, target, outcome, detail, prev_hash, hash, mac) \
             SELECT 6, ts, tenant_id, 'user:intruder', 'login', NULL, 'success', '{}', hash, hash, mac FROM audit_log WHERE seq = 5",
            ],
            6,
        ),
        (
            "append an entry",
            vec![
                "INSERT INTO audit_log (seq, ts, tenant_id, actor, action, target, outcome, detail, prev_hash, hash, mac) \
             SELECT seq + 1, ts, tenant_id, actor, action, target, outcome, detail, hash, hash, mac FROM audit_log \
             WHERE seq = (SELECT MAX(seq) FROM audit_log)",
            ],
            0,
        ),
        (
            "swap two entries",
            vec![
                "UPDATE audit_log SET seq = -1 WHERE seq = 4",
                "UPDATE audit_log SET seq = 4 WHERE seq = 5",
                "UPDATE audit_log SET seq = 5 WHERE seq = -1",
            ],
            4,
        ),
    ];
    for (index, (name, sql, expected_seq)) in cases.into_iter().enumerate() {
        let copy = copy_of(&dir, &url, &format!("tampered-{index}.db")).await;
        tamper(&copy, &sql).await;
        let result = verify(&copy).await;
        let brk = result
            .first_break
            .unwrap_or_else(|| panic!("{name}: not detected"));
        if expected_seq > 0 {
            assert_eq!(brk.seq, expected_seq, "{name}: {brk:?}");
        }
    }
}

#[tokio::test]
async fn a_different_key_does_not_verify() {
    let (_dir, url) = trail_database().await;
    let store = store::connect(&url).await.unwrap();
    let result = server::verify_audit_log(
        store.as_ref(),
        &Secret::new("another secret key of at least 32 chars"),
    )
    .await
    .unwrap();
    assert_eq!(result.first_break.unwrap().seq, 1);
}
