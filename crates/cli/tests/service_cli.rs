//! The service subcommands: config validate/show, admin bootstrap, audit-log verify and
//! health, with their exit codes.

mod service_support;

use service_support::*;

#[test]
fn config_validate_reports_precise_errors_and_show_redacts_secrets() {
    let dir = temp_dir("service-config");
    let bad = dir.join("bad.toml");
    std::fs::write(&bad, "max_concurrent_audits = 4\nbindd = \"0.0.0.0:1\"\n").unwrap();
    let output = bin()
        .args(["config", "validate", "--config", bad.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("unknown field `bindd`") && stderr.contains("line 2"),
        "{stderr}"
    );

    let invalid = dir.join("invalid.yaml");
    std::fs::write(
        &invalid,
        "default_audit_timeout_secs: 900\nmax_audit_timeout_secs: 600\n",
    )
    .unwrap();
    let output = bin()
        .args(["config", "validate", "--config", invalid.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("default_audit_timeout_secs"));

    let good = dir.join("good.yaml");
    std::fs::write(
        &good,
        "max_concurrent_audits: 3\nrate_limits:\n  burst: 7\n",
    )
    .unwrap();
    let output = bin()
        .args(["config", "validate", "--config", good.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    // The chains of deployed-contract audits, from a scan configuration.
    let scan = dir.join("web3audit.toml");
    std::fs::write(
        &scan,
        "[chains.mainnet]\nurls = [\"https://rpc.example\"]\n[chains.local]\nurls = [\"http://127.0.0.1:8545\"]\n",
    )
    .unwrap();
    let output = bin()
        .args(["config", "validate", "--config", good.to_str().unwrap()])
        .args(["--scan-config", scan.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(output.status.success());
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "configuration is valid\nchains of deployed-contract audits: local, mainnet\n"
    );
    std::fs::write(&scan, "[chains.mainnet]\nurl = \"https://rpc.example\"\n").unwrap();
    let output = bin()
        .args([
            "config",
            "validate",
            "--scan-config",
            scan.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("unknown field `url`") && stderr.contains("line 2"),
        "{stderr}"
    );

    // Layering: file < environment < flags; the secret never printed.
    let output = bin()
        .args([
            "config",
            "show",
            "--config",
            good.to_str().unwrap(),
            "--database-url",
            "sqlite://flag/db.sqlite",
        ])
        .env("WEB3AUDIT_MAX_CONCURRENT_AUDITS", "5")
        .env("WEB3AUDIT_DATABASE_URL", "sqlite://env/db.sqlite")
        .output()
        .unwrap();
    let shown = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success());
    assert!(shown.contains("max_concurrent_audits = 5"), "{shown}");
    assert!(shown.contains("burst = 7"), "{shown}");
    assert!(
        shown.contains("database_url = \"sqlite://flag/db.sqlite\""),
        "{shown}"
    );
    assert!(
        shown.contains("secret_key = \"<redacted>\"") && !shown.contains(SECRET),
        "{shown}"
    );
}

#[test]
fn bootstrap_prints_credentials_once_and_refuses_a_second_time() {
    let dir = temp_dir("service-bootstrap");
    let out = bootstrap(&dir);
    for field in ["tenant_id", "user_id", "api_key"] {
        assert!(out[field].as_str().is_some_and(|v| !v.is_empty()), "{out}");
    }
    assert!(
        out.get("password").is_none(),
        "the given password is not echoed"
    );
    let output = bin()
        .args([
            "admin",
            "bootstrap",
            "--tenant",
            "again",
            "--admin-email",
            "b@acme.test",
            "--database-url",
            &db_url(&dir),
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("already has tenants"));
}

#[test]
fn audit_log_verify_exits_non_zero_on_tampering() {
    let dir = temp_dir("service-verify");
    bootstrap(&dir);
    let verify = || {
        bin()
            .args(["audit-log", "verify", "--database-url", &db_url(&dir)])
            .output()
            .unwrap()
    };
    let output = verify();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("3 entries verified"));

    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let pool = sqlx::SqlitePool::connect(&db_url(&dir)).await.unwrap();
        sqlx::query("UPDATE audit_log SET actor = 'someone else' WHERE seq = 2")
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
    });
    let output = verify();
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("BROKEN at entry 2"), "{stdout}");

    let json = bin()
        .args([
            "audit-log",
            "verify",
            "--json",
            "--database-url",
            &db_url(&dir),
        ])
        .output()
        .unwrap();
    let value: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(value["first_break"]["seq"], 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn health_exit_codes() {
    let dir = temp_dir("service-health");
    bootstrap(&dir);
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut server = serve(&dir, port, 0, &[]);
    wait_ready(&reqwest::Client::new(), &base).await;
    let output = bin()
        .args(["health", "--url", &base, "--json"])
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    let doc: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(doc["status"], "healthy");
    server.kill().unwrap();
    server.wait().unwrap();
    let output = bin().args(["health", "--url", &base]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stdout).starts_with("unhealthy"));
}
