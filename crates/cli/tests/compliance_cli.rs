//! `web3audit compliance report|verify` as the real binary, on a database made by the
//! binary itself (bootstrap, a backup): the pack holds the backup and the bootstrap's
//! access changes, verifies (exit 0), is refused with one byte changed (exit 1) or under
//! another key (exit 1), and its generation is recorded in the audit trail.

mod service_support;

use std::path::Path;
use std::process::Output;

use serde_json::Value;
use service_support::*;

fn run(args: &[&str]) -> Output {
    bin().args(args).output().unwrap()
}

fn text(output: &Output) -> String {
    format!(
        "exit {:?}\nstdout: {}\nstderr: {}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn report(url: &str, tenant: &str, format: &str, out: &Path) -> Output {
    let today = &server::timestamp::rfc3339(server::timestamp::now_ms())[..10];
    run(&[
        "compliance",
        "report",
        "--database-url",
        url,
        "--tenant",
        tenant,
        "--from",
        today,
        "--to",
        today,
        "--format",
        format,
        "--output",
        out.to_str().unwrap(),
    ])
}

fn verify(url: &str, file: &Path) -> Output {
    run(&[
        "compliance",
        "verify",
        "--database-url",
        url,
        file.to_str().unwrap(),
    ])
}

#[test]
fn packs_are_written_verified_and_refused_once_changed() {
    let dir = temp_dir("compliance-cli");
    let url = db_url(&dir);
    let boot = bootstrap(&dir);
    let tenant = boot["tenant_id"].as_str().unwrap().to_owned();
    let backed_up = run(&[
        "backup",
        "--database-url",
        &url,
        "--out",
        dir.join("backups").to_str().unwrap(),
    ]);
    assert!(backed_up.status.success(), "{}", text(&backed_up));

    let json_file = dir.join("pack.json");
    let out = report(&url, &tenant, "json", &json_file);
    assert!(out.status.success(), "{}", text(&out));
    let signed: Value = serde_json::from_slice(&std::fs::read(&json_file).unwrap()).unwrap();
    let pack = &signed["pack"];
    assert_eq!(pack["tenant"]["id"], tenant.as_str());
    assert_eq!(pack["trail"]["verified"], true);
    let events = |id: &str| -> Vec<String> {
        pack["controls"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id)
            .unwrap()["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(events("backup-and-restore"), ["backup.created"]);
    assert!(events("access-provisioning").contains(&"user.created".to_owned()));

    let pdf_file = dir.join("pack.pdf");
    let out = report(&url, &tenant, "pdf", &pdf_file);
    assert!(out.status.success(), "{}", text(&out));
    for file in [&json_file, &pdf_file] {
        let ok = verify(&url, file);
        assert_eq!(ok.status.code(), Some(0), "{}", text(&ok));
        assert!(String::from_utf8_lossy(&ok.stdout).contains("intact"));

        let mut bytes = std::fs::read(file).unwrap();
        let middle = bytes.len() / 2;
        bytes[middle] ^= 0x20;
        let changed = dir.join(format!(
            "changed-{}",
            file.file_name().unwrap().to_str().unwrap()
        ));
        std::fs::write(&changed, &bytes).unwrap();
        let refused = verify(&url, &changed);
        assert_ne!(refused.status.code(), Some(0), "{}", text(&refused));

        let other_key = bin()
            .env(
                "WEB3AUDIT_SECRET_KEY",
                "another-secret-key-0123456789abcdef0123",
            )
            .args(["compliance", "verify", "--database-url", &url])
            .arg(file)
            .output()
            .unwrap();
        assert_eq!(other_key.status.code(), Some(1), "{}", text(&other_key));
        assert!(String::from_utf8_lossy(&other_key.stdout).contains("another key"));
    }
    let changed_pdf = verify(&url, &dir.join("changed-pack.pdf"));
    assert_eq!(changed_pdf.status.code(), Some(1), "{}", text(&changed_pdf));

    // Each generation is in the trail, and the trail still verifies.
    let log = run(&["audit-log", "verify", "--database-url", &url]);
    assert!(
        String::from_utf8_lossy(&log.stdout).contains("intact"),
        "{}",
        text(&log)
    );
    let second = report(&url, &tenant, "json", &dir.join("again.json"));
    assert!(second.status.success());
    let again: Value =
        serde_json::from_slice(&std::fs::read(dir.join("again.json")).unwrap()).unwrap();
    let generated: Vec<&Value> = again["pack"]["controls"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["events"].as_array().unwrap())
        .filter(|e| e["action"] == "compliance.pack_generated")
        .collect();
    assert_eq!(generated.len(), 2, "{generated:?}");

    // A restore is recorded in the restored database's trail, and its pack shows it.
    let written = String::from_utf8_lossy(&backed_up.stdout).into_owned();
    let file = written
        .strip_prefix("backup written: ")
        .and_then(|rest| rest.split(" (").next())
        .unwrap_or_else(|| panic!("unexpected output: {written}"))
        .to_owned();
    let restored_dir = temp_dir("compliance-cli-restored");
    let restored_url = db_url(&restored_dir);
    let restored = run(&["restore", &file, "--target", &restored_url]);
    assert!(restored.status.success(), "{}", text(&restored));
    let out = report(
        &restored_url,
        &tenant,
        "json",
        &restored_dir.join("pack.json"),
    );
    assert!(out.status.success(), "{}", text(&out));
    let signed: Value =
        serde_json::from_slice(&std::fs::read(restored_dir.join("pack.json")).unwrap()).unwrap();
    let operations: Vec<&str> = signed["pack"]["controls"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "backup-and-restore")
        .unwrap()["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        operations,
        ["restore.completed"],
        "the backup's own entry came after its snapshot"
    );
    assert_eq!(signed["pack"]["trail"]["verified"], true);

    // Bad input: an unknown tenant, a reversed period.
    let unknown = report(&url, "no-such-tenant", "json", &dir.join("x.json"));
    assert_eq!(unknown.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no tenant"));
    let reversed = run(&[
        "compliance",
        "report",
        "--database-url",
        &url,
        "--tenant",
        &tenant,
        "--from",
        "2026-12-05",
        "--to",
        "2026-12-01",
    ]);
    assert_eq!(reversed.status.code(), Some(2));
}

#[test]
fn packs_signed_with_an_ed25519_key_verify_with_its_public_key_alone() {
    let dir = temp_dir("compliance-cli-ed25519");
    let url = db_url(&dir);
    let tenant = bootstrap(&dir)["tenant_id"].as_str().unwrap().to_owned();
    let key_file = dir.join("pack.key");
    let made = run(&["compliance", "keygen", "--out", key_file.to_str().unwrap()]);
    assert!(made.status.success(), "{}", text(&made));
    let public = String::from_utf8_lossy(&made.stdout).trim().to_owned();
    assert_eq!(public.len(), 64, "{public}");
    // keygen never overwrites a key.
    let again = run(&["compliance", "keygen", "--out", key_file.to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(2));
    let config = dir.join("web3audit.toml");
    std::fs::write(
        &config,
        format!(
            "[compliance]\nsigning_key_file = \"{}\"\n",
            key_file.display()
        ),
    )
    .unwrap();

    let pdf = dir.join("pack.pdf");
    let today = &server::timestamp::rfc3339(server::timestamp::now_ms())[..10];
    let out = run(&[
        "compliance",
        "report",
        "--config",
        config.to_str().unwrap(),
        "--database-url",
        &url,
        "--tenant",
        &tenant,
        "--from",
        today,
        "--to",
        today,
        "--output",
        pdf.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out));

    // Anyone with the public key verifies it, with no secret and no configuration.
    let stranger = |keys: &[&str]| {
        let mut command = bin();
        command
            .env_remove("WEB3AUDIT_SECRET_KEY")
            .env("WEB3AUDIT_DATABASE_URL", "sqlite:///nonexistent/none.db")
            .args(["compliance", "verify", pdf.to_str().unwrap()]);
        for key in keys {
            command.args(["--public-key", key]);
        }
        command.output().unwrap()
    };
    let ok = stranger(&[&public]);
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok));
    assert!(String::from_utf8_lossy(&ok.stdout).contains("ed25519"));
    let other = "00".repeat(32);
    let wrong = stranger(&[&other]);
    assert_eq!(wrong.status.code(), Some(1), "{}", text(&wrong));
    let none = stranger(&[]);
    assert_eq!(none.status.code(), Some(2), "{}", text(&none));
    assert!(String::from_utf8_lossy(&none.stderr).contains("--public-key"));

    let mut bytes = std::fs::read(&pdf).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x20;
    std::fs::write(&pdf, &bytes).unwrap();
    let changed = stranger(&[&public]);
    assert_eq!(changed.status.code(), Some(1), "{}", text(&changed));
}
