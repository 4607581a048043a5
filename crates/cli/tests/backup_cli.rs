//! `web3audit backup`, `backup list|cleanup|verify|checksums` and `web3audit restore`,
//! run as the real binary: an online backup while the server takes submissions, restored
//! and proven equal by checksums; damaged, newer and misdirected backups refused before
//! anything is written; SQLite ↔ PostgreSQL.

mod service_support;

use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde_json::{Value, json};
use service_support::*;

fn run(args: &[&str]) -> Output {
    bin().args(args).output().unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[track_caller]
fn success(output: Output) -> Output {
    assert!(
        output.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        output.status.code(),
        stdout(&output),
        stderr(&output)
    );
    output
}

#[track_caller]
fn failure(output: Output) -> String {
    assert_eq!(
        output.status.code(),
        Some(1),
        "stdout: {}\nstderr: {}",
        stdout(&output),
        stderr(&output)
    );
    stderr(&output)
}

/// Backs up the database at `url` into `out`; the file written.
fn backup(url: &str, out: &Path, extra: &[&str]) -> PathBuf {
    let output = success(run(&[
        &[
            "backup",
            "--database-url",
            url,
            "--out",
            out.to_str().unwrap(),
        ],
        extra,
    ]
    .concat()));
    let text = stdout(&output);
    let path = text
        .strip_prefix("backup written: ")
        .and_then(|rest| rest.split(" (").next())
        .unwrap_or_else(|| panic!("unexpected output: {text}"));
    PathBuf::from(path)
}

/// The manifest's tables: name → (rows, checksum).
fn manifest_tables(file: &Path) -> Vec<(String, u64, String)> {
    let output = success(run(&["backup", "verify", file.to_str().unwrap(), "--json"]));
    let manifest: Value = serde_json::from_str(&stdout(&output)).unwrap();
    manifest["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["table"].is_string())
        .map(|c| {
            (
                c["table"].as_str().unwrap().to_string(),
                c["rows"].as_u64().unwrap(),
                c["content_checksum"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// The live database's tables: name → (rows, checksum).
fn live_tables(url: &str) -> Vec<(String, u64, String)> {
    let output = success(run(&[
        "backup",
        "checksums",
        "--database-url",
        url,
        "--json",
    ]));
    let snapshot: Value = serde_json::from_str(&stdout(&output)).unwrap();
    snapshot["tables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["name"].as_str().unwrap().to_string(),
                t["rows"].as_u64().unwrap(),
                t["checksum"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// `actual` holds every table of `backup` exactly, and the audit trail `added` entries
/// more (each restore records itself in the restored trail).
#[track_caller]
fn assert_restored(actual: &[(String, u64, String)], backup: &[(String, u64, String)], added: u64) {
    let untouched = |tables: &[(String, u64, String)]| -> Vec<(String, u64, String)> {
        tables
            .iter()
            .filter(|t| t.0 != "audit_log" && t.0 != "audit_log_head")
            .cloned()
            .collect()
    };
    assert_eq!(untouched(actual), untouched(backup));
    assert_eq!(
        rows_of(actual, "audit_log"),
        rows_of(backup, "audit_log") + added
    );
}

fn rows_of(tables: &[(String, u64, String)], table: &str) -> u64 {
    tables.iter().find(|t| t.0 == table).unwrap().1
}

/// Where the bytes of one entry of the tar start, and how many there are.
fn entry_span(file: &Path, name: &str) -> (u64, u64) {
    let mut archive = tar::Archive::new(std::fs::File::open(file).unwrap());
    for entry in archive.entries().unwrap() {
        let entry = entry.unwrap();
        if entry.path().unwrap().to_str() == Some(name) {
            return (entry.raw_file_position(), entry.size());
        }
    }
    panic!("no entry {name} in {}", file.display());
}

/// A copy of `file` with one byte flipped in the middle of the entry `name`.
fn flipped(file: &Path, name: &str) -> PathBuf {
    let copy = file.with_file_name(format!("flipped-{}.tar", name.replace('/', "_")));
    std::fs::copy(file, &copy).unwrap();
    let (offset, size) = entry_span(&copy, name);
    let mut f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&copy)
        .unwrap();
    f.seek(SeekFrom::Start(offset + size / 2)).unwrap();
    let mut byte = [0u8];
    f.read_exact(&mut byte).unwrap();
    f.seek(SeekFrom::Start(offset + size / 2)).unwrap();
    f.write_all(&[byte[0] ^ 0x20]).unwrap();
    copy
}

/// The stored bytes of one entry, gunzipped when compressed.
fn entry_text(file: &Path, name: &str) -> String {
    let mut archive = tar::Archive::new(std::fs::File::open(file).unwrap());
    for entry in archive.entries().unwrap() {
        let entry = entry.unwrap();
        if entry.path().unwrap().to_str() == Some(name) {
            let mut text = String::new();
            if name.ends_with(".gz") {
                flate2::read::GzDecoder::new(entry)
                    .read_to_string(&mut text)
                    .unwrap();
            } else {
                let mut entry = entry;
                entry.read_to_string(&mut text).unwrap();
            }
            return text;
        }
    }
    panic!("no entry {name}");
}

async fn submit_until(
    client: reqwest::Client,
    base: String,
    key: String,
    stop: Arc<AtomicBool>,
) -> usize {
    let mut submitted = 0;
    while !stop.load(Ordering::SeqCst) {
        let source = format!(
            "contract C{submitted} {{\n    function f() public {{ require(tx.origin == msg.sender); }}\n}}\n"
        );
        let response = client
            .post(format!("{base}/api/v1/audits"))
            .header("x-api-key", &key)
            .json(&json!({ "sources": { format!("C{submitted}.sol"): source } }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 202);
        submitted += 1;
    }
    submitted
}

#[tokio::test(flavor = "multi_thread")]
async fn an_online_backup_restores_into_an_equal_database() {
    let dir = temp_dir("backup-online");
    let url = db_url(&dir);
    let key = bootstrap(&dir)["api_key"].as_str().unwrap().to_string();
    let client = reqwest::Client::new();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut processes = Processes::default();
    // The writer below submits as fast as it can: no rate limit may stop it.
    let unlimited = [
        ("WEB3AUDIT_RATE_LIMIT_KEY_PER_MINUTE", "1000000"),
        ("WEB3AUDIT_RATE_LIMIT_TENANT_PER_MINUTE", "1000000"),
        ("WEB3AUDIT_RATE_LIMIT_BURST", "1000000"),
    ];
    processes.push(serve(&dir, port, 0, &unlimited));
    wait_ready(&client, &base).await;

    // Submissions (audits, their analyses and findings, trail entries) go on throughout.
    let stop = Arc::new(AtomicBool::new(false));
    let writer = tokio::spawn(submit_until(
        client.clone(),
        base.clone(),
        key.clone(),
        stop.clone(),
    ));
    tokio::time::sleep(Duration::from_millis(300)).await;
    let backups = dir.join("backups");
    std::fs::create_dir_all(&backups).unwrap();
    let (first, second) = tokio::task::spawn_blocking({
        let url = url.clone();
        let backups = backups.clone();
        move || {
            let first = backup(&url, &backups, &[]);
            std::thread::sleep(Duration::from_millis(1100));
            let second = backup(&url, &backups, &[]);
            (first, second)
        }
    })
    .await
    .unwrap();
    stop.store(true, Ordering::SeqCst);
    let submitted = writer.await.unwrap();
    assert!(submitted > 0);

    let snapshot = manifest_tables(&second);
    let live = live_tables(&url);
    assert!(rows_of(&snapshot, "audits") > 0);
    assert!(
        rows_of(&live, "audits") >= rows_of(&snapshot, "audits"),
        "{live:?} {snapshot:?}"
    );
    assert!(
        rows_of(&snapshot, "audits") >= rows_of(&manifest_tables(&first), "audits"),
        "backups are taken in order"
    );

    // list: newest first, with schema, backend and rows.
    let listed = stdout(&success(run(&[
        "backup",
        "list",
        "--dir",
        backups.to_str().unwrap(),
    ])));
    let lines: Vec<&str> = listed.lines().collect();
    assert_eq!(lines.len(), 3, "{listed}");
    assert!(lines[0].contains("CREATED") && lines[0].contains("ROWS"));
    let name = |p: &Path| p.file_name().unwrap().to_str().unwrap().to_string();
    assert!(lines[1].starts_with(&name(&second)), "{listed}");
    assert!(lines[2].starts_with(&name(&first)), "{listed}");
    assert!(lines[1].contains("sqlite"), "{listed}");

    // verify, then restore into a fresh database: equal row counts and checksums, and the
    // consistency the foreign keys and the trail demand (the restore checks both).
    let verified = stdout(&success(run(&[
        "backup",
        "verify",
        second.to_str().unwrap(),
    ])));
    assert!(verified.contains("intact"), "{verified}");
    let target_dir = temp_dir("backup-online-target");
    let target = db_url(&target_dir);
    let restored = stdout(&success(run(&[
        "restore",
        second.to_str().unwrap(),
        "--target",
        &target,
    ])));
    assert!(restored.contains("audit trail verified"), "{restored}");
    assert!(
        restored.contains("recorded in the audit trail"),
        "{restored}"
    );
    let restored = live_tables(&target);
    assert_restored(&restored, &snapshot, 1);
    let verified = success(run(&["audit-log", "verify", "--database-url", &target]));
    assert!(stdout(&verified).contains("intact"));

    // Into a database that holds rows: refused, unless --force.
    let refused = failure(run(&[
        "restore",
        first.to_str().unwrap(),
        "--target",
        &target,
    ]));
    assert!(
        refused.contains("not empty") && refused.contains("--force"),
        "{refused}"
    );
    assert_eq!(live_tables(&target), restored);
    success(run(&[
        "restore",
        first.to_str().unwrap(),
        "--target",
        &target,
        "--force",
    ]));
    assert_restored(&live_tables(&target), &manifest_tables(&first), 1);

    // cleanup keeps the newest.
    let cleaned = stdout(&success(run(&[
        "backup",
        "cleanup",
        "--keep",
        "1",
        "--dir",
        backups.to_str().unwrap(),
    ])));
    assert!(cleaned.contains(&name(&first)), "{cleaned}");
    assert!(!first.exists() && second.exists());
}

/// A small service database: bootstrapped (tenant, admin, API key, three trail entries).
fn seeded_database(name: &str) -> (PathBuf, String) {
    let dir = temp_dir(name);
    bootstrap(&dir);
    (dir.clone(), db_url(&dir))
}

#[test]
fn damaged_backups_are_refused_naming_the_component_and_touch_nothing() {
    let (dir, url) = seeded_database("backup-damaged");
    let file = backup(&url, &dir.join("b.tar"), &[]);
    let target_dir = temp_dir("backup-damaged-target");
    let target_db = target_dir.join("web3audit.db");
    let target = db_url(&target_dir);

    for component in [
        "tables/audit_log.jsonl.gz",
        "tables/tenants.jsonl.gz",
        "config.json.gz",
        "manifest.json",
    ] {
        let damaged = flipped(&file, component);
        let message = failure(run(&["backup", "verify", damaged.to_str().unwrap()]));
        assert!(
            message.contains(&format!("component `{component}` is damaged")),
            "{component}: {message}"
        );
        let message = failure(run(&[
            "restore",
            damaged.to_str().unwrap(),
            "--target",
            &target,
        ]));
        assert!(
            message.contains(&format!("`{component}`")),
            "{component}: {message}"
        );
        assert!(!target_db.exists(), "the target was created");
    }

    // A cut-short file.
    let bytes = std::fs::read(&file).unwrap();
    let cut = dir.join("cut.tar");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    failure(run(&["backup", "verify", cut.to_str().unwrap()]));

    // The intact one restores.
    success(run(&[
        "restore",
        file.to_str().unwrap(),
        "--target",
        &target,
    ]));
    assert_restored(&live_tables(&target), &manifest_tables(&file), 1);
}

/// A copy of `file` whose manifest (and its checksum) is changed by `edit`: a backup as
/// another version of web3audit would write it.
fn with_manifest(file: &Path, edit: impl Fn(&mut Value)) -> PathBuf {
    use sha2::Digest;
    let copy = file.with_file_name("edited.tar");
    let mut archive = tar::Archive::new(std::fs::File::open(file).unwrap());
    let mut builder = tar::Builder::new(std::fs::File::create(&copy).unwrap());
    let mut manifest = Vec::new();
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let name = entry.path().unwrap().to_str().unwrap().to_string();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).unwrap();
        let bytes = match name.as_str() {
            "manifest.json" => {
                let mut value: Value = serde_json::from_slice(&bytes).unwrap();
                edit(&mut value);
                manifest = serde_json::to_vec(&value).unwrap();
                manifest.clone()
            }
            "manifest.sha256" => hex::encode(sha2::Sha256::digest(&manifest)).into_bytes(),
            _ => bytes,
        };
        let mut header = tar::Header::new_ustar();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        builder
            .append_data(&mut header, &name, bytes.as_slice())
            .unwrap();
    }
    builder.finish().unwrap();
    copy
}

#[test]
fn newer_schemas_and_missing_keys_are_refused_before_writing() {
    let (dir, url) = seeded_database("backup-refusals");
    let file = backup(&url, &dir.join("b.tar"), &[]);
    let target_dir = temp_dir("backup-refusals-target");
    let target = db_url(&target_dir);

    let newer = with_manifest(&file, |m| {
        m["schema_version"] = json!(m["schema_version"].as_i64().unwrap() + 1)
    });
    success(run(&["backup", "verify", newer.to_str().unwrap()]));
    let message = failure(run(&[
        "restore",
        newer.to_str().unwrap(),
        "--target",
        &target,
    ]));
    assert!(message.contains("newer"), "{message}");
    assert!(!target_dir.join("web3audit.db").exists());

    // No key to verify the trail with: the target has none, the backup holds none.
    let message = failure(
        bin()
            .env_remove("WEB3AUDIT_SECRET_KEY")
            .args(["restore", file.to_str().unwrap(), "--target", &target])
            .output()
            .unwrap(),
    );
    assert!(message.contains("--include-secrets"), "{message}");
    assert!(!target_dir.join("web3audit.db").exists());
}

#[test]
fn secrets_stay_out_unless_included_and_then_travel_with_the_backup() {
    let (dir, url) = seeded_database("backup-secrets");
    let plain = backup(&url, &dir.join("plain.tar"), &[]);
    let config = entry_text(&plain, "config.json.gz");
    assert!(
        !config.contains(SECRET) && config.contains("<redacted>"),
        "{config}"
    );
    assert!(!entry_text(&plain, "manifest.json").contains(SECRET));

    let with = backup(&url, &dir.join("with.tar"), &["--include-secrets"]);
    assert!(entry_text(&with, "config.json.gz").contains(SECRET));
    let listed = stdout(&success(run(&["backup", "verify", with.to_str().unwrap()])));
    assert!(listed.contains("secrets included"), "{listed}");

    // A target without a key of its own adopts the backup's, and the trail verifies.
    let target_dir = temp_dir("backup-secrets-target");
    let target = db_url(&target_dir);
    let restored = success(
        bin()
            .env_remove("WEB3AUDIT_SECRET_KEY")
            .args(["restore", with.to_str().unwrap(), "--target", &target])
            .output()
            .unwrap(),
    );
    assert!(stdout(&restored).contains("secret key of the backup saved"));
    assert_eq!(
        std::fs::read_to_string(target_dir.join("secret.key")).unwrap(),
        SECRET
    );
    let verified = bin()
        .env_remove("WEB3AUDIT_SECRET_KEY")
        .args(["audit-log", "verify", "--database-url", &target])
        .output()
        .unwrap();
    assert!(
        stdout(&verified).contains("intact"),
        "{}",
        stderr(&verified)
    );

    // A target whose key differs from the backup's: refused before writing.
    let other_dir = temp_dir("backup-secrets-other");
    let message = failure(
        bin()
            .env(
                "WEB3AUDIT_SECRET_KEY",
                "a-different-secret-key-0123456789abcdef",
            )
            .args([
                "restore",
                with.to_str().unwrap(),
                "--target",
                &db_url(&other_dir),
            ])
            .output()
            .unwrap(),
    );
    assert!(message.contains("differs"), "{message}");
    assert!(!other_dir.join("web3audit.db").exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn restores_cross_from_sqlite_to_postgres_and_back() {
    let Some(postgres) = postgres_schema_url("backup_cli_cross").await else {
        return;
    };
    let (dir, url) = seeded_database("backup-cross");
    let from_sqlite = backup(&url, &dir.join("sqlite.tar"), &[]);
    let expected = manifest_tables(&from_sqlite);

    success(run(&[
        "restore",
        from_sqlite.to_str().unwrap(),
        "--target",
        &postgres,
    ]));
    assert_restored(&live_tables(&postgres), &expected, 1);

    let from_postgres = backup(&postgres, &dir.join("postgres.tar"), &[]);
    let listed = stdout(&success(run(&[
        "backup",
        "verify",
        from_postgres.to_str().unwrap(),
    ])));
    assert!(listed.contains("postgres"), "{listed}");
    assert_restored(&manifest_tables(&from_postgres), &expected, 1);
    let back_dir = temp_dir("backup-cross-back");
    let back = db_url(&back_dir);
    success(run(&[
        "restore",
        from_postgres.to_str().unwrap(),
        "--target",
        &back,
    ]));
    assert_restored(&live_tables(&back), &expected, 2);
}

/// The upgrade path: `serve` migrates an older database (covered by every service test,
/// which starts on a new one) and refuses, before anything is written, one that a newer
/// release migrated; so do the other commands that open the database.
#[tokio::test]
async fn serve_refuses_a_database_migrated_by_a_newer_release() {
    let (dir, url) = seeded_database("serve-newer-schema");
    let before = live_tables(&url);
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    sqlx::query(
        "INSERT INTO schema_migrations (version, name, applied_at) \
         SELECT MAX(version) + 1, 'from_a_newer_release', 0 FROM schema_migrations",
    )
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;

    let port = free_port();
    let mut server = serve(&dir, port, 0, &[]);
    let status = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            if let Some(status) = server.try_wait().unwrap() {
                return status;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .unwrap_or_else(|_| {
        let _ = server.kill();
        panic!("serve started on a database of a newer release");
    });
    assert!(!status.success());
    let log = std::fs::read_to_string(dir.join(format!("server-{port}.log"))).unwrap();
    assert!(log.contains("schema is newer than this release"), "{log}");

    let message = failure(run(&["backup", "checksums", "--database-url", &url]));
    assert!(message.contains("newer than this release"), "{message}");

    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    sqlx::query("DELETE FROM schema_migrations WHERE name = 'from_a_newer_release'")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    assert_eq!(live_tables(&url), before);
}
