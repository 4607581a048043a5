//! `web3audit doctor`, `web3audit scan --with` and audits with `tools` in the service,
//! with fake tools on a private `PATH`.

mod service_support;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_web3audit"))
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tools/tests/fixtures")
}

/// A fake tool `name` in `dir` that answers `--version`/`version` with `version` and
/// otherwise runs `body`.
fn fake(dir: &Path, name: &str, version: &str, body: &str) {
    let path = dir.join(name);
    std::fs::write(
        &path,
        format!(
            "#!/bin/sh\ncase \"$1\" in --version|version) echo '{version}'; exit 0;; esac\n{body}\n"
        ),
    )
    .unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// `PATH` with only `dir` and the system directories (for `sh`, `cat`, `unshare`).
fn path_with(dir: &Path) -> String {
    format!("{}:/usr/bin:/bin", dir.display())
}

fn doctor(dir: &Path, extra: &[&str]) -> Output {
    bin()
        .arg("doctor")
        .args(extra)
        .current_dir(dir)
        .env("PATH", path_with(dir))
        .output()
        .unwrap()
}

#[test]
fn doctor_exit_codes_follow_health() {
    let dir = tempfile::tempdir().unwrap();
    // Nothing installed: every tool is optional, so the machine is degraded (1).
    let out = doctor(dir.path(), &[]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("slither  missing"), "{text}");
    assert!(text.contains("status: degraded"), "{text}");

    // All three answer: 0, with their versions.
    fake(dir.path(), "slither", "0.11.6", "exit 0");
    fake(dir.path(), "aderyn", "aderyn 0.5.13", "exit 0");
    fake(dir.path(), "myth", "Mythril version v0.24.8", "exit 0");
    let out = doctor(dir.path(), &["--json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["status"], "ok");
    assert_eq!(json["tools"][0]["tool"], "slither");
    assert_eq!(json["tools"][0]["version"], "0.11.6");
    assert_eq!(json["tools"][2]["version"], "0.24.8");

    // One that crashes on `--version` is broken: 2.
    std::fs::write(
        dir.path().join("aderyn"),
        "#!/bin/sh\necho 'Segmentation fault' >&2\nexit 139\n",
    )
    .unwrap();
    let out = doctor(dir.path(), &[]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(text.contains("aderyn   broken"), "{text}");
    assert!(text.contains("exited with code 139"), "{text}");

    // A configured path that does not exist is broken too.
    fake(dir.path(), "aderyn", "aderyn 0.5.13", "exit 0");
    std::fs::write(
        dir.path().join("web3audit.toml"),
        "[tools.mythril]\npath = \"/nonexistent/myth\"\n",
    )
    .unwrap();
    let out = doctor(dir.path(), &[]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn scan_with_slither_merges_and_reports_versions() {
    let dir = tempfile::tempdir().unwrap();
    let recorded = fixtures().join("recorded/slither");
    fake(
        dir.path(),
        "slither",
        "0.11.6",
        &format!(
            "cat \"{}/$(basename \"$1\" .sol).json\"",
            recorded.display()
        ),
    );
    let out = bin()
        .args([
            "scan",
            "--no-config",
            "--format",
            "json",
            "--with",
            "slither",
        ])
        .arg(fixtures().join("contracts"))
        .env("PATH", path_with(dir.path()))
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    assert_eq!(json["tools"][0]["name"], "slither");
    assert_eq!(json["tools"][0]["version"], "0.11.6");
    assert_eq!(json["tools"][0]["status"], "ok");
    let findings = json["findings"].as_array().unwrap();
    assert!(
        findings
            .iter()
            .any(|f| f["found_by"] == serde_json::json!(["web3audit", "slither"]))
    );
    assert!(
        findings
            .iter()
            .any(|f| f["found_by"] == serde_json::json!(["slither"]))
    );

    // Text output names the tool run; a missing tool is a note, not a failed scan.
    let out = bin()
        .args([
            "scan",
            "--no-config",
            "--color",
            "never",
            "--with",
            "slither,mythril",
        ])
        .arg(fixtures().join("contracts/Bank.sol"))
        .env("PATH", path_with(dir.path()))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("slither 0.11.6: ok"), "{text}");
    assert!(text.contains("mythril: unavailable"), "{text}");
    assert!(text.contains("found by: web3audit, slither"), "{text}");

    let out = bin()
        .args(["scan", "--no-config", "--with", "semgrep"])
        .arg(fixtures().join("contracts"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown tool `semgrep`"));
}

/// The service runs the other analyzers an audit asks for (when the tenant's plan includes
/// them), merges their findings into its reports, and tells in `/health/detailed`
/// whether this node can run them.
#[tokio::test(flavor = "multi_thread")]
async fn audits_in_the_service_run_the_tools_their_plan_allows() {
    use service_support::{
        bootstrap, dashboard_page, free_port, get, serve, submit, temp_dir, wait_for_audit,
        wait_ready,
    };

    let dir = temp_dir("service-tools");
    let bin_dir = dir.join("bin");
    std::fs::create_dir_all(&bin_dir).unwrap();
    let recorded = fixtures().join("recorded/slither");
    fake(
        &bin_dir,
        "slither",
        "0.11.6",
        &format!(
            "cat \"{}/$(basename \"$1\" .sol).json\"",
            recorded.display()
        ),
    );
    let config = dir.join("web3audit-service.toml");
    // The bootstrapped tenant's plan is `enterprise`.
    std::fs::write(
        &config,
        "[plans.free]\naudits_per_day = 100\n\n[plans.enterprise]\ntools = [\"slither\"]\n",
    )
    .unwrap();
    let key = bootstrap(&dir)["api_key"].as_str().unwrap().to_string();
    let client = reqwest::Client::new();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let path = path_with(&bin_dir);
    let mut server = serve(
        &dir,
        port,
        0,
        &[
            ("PATH", path.as_str()),
            ("WEB3AUDIT_CONFIG", config.to_str().unwrap()),
        ],
    );
    wait_ready(&client, &base).await;

    let bank = std::fs::read_to_string(fixtures().join("contracts/Bank.sol")).unwrap();
    let body = serde_json::json!({ "sources": { "Bank.sol": bank }, "tools": ["slither"] });
    let id = submit(&client, &key, &base, &body).await;
    assert_eq!(wait_for_audit(&client, &key, &base, &id).await, "succeeded");
    let report = client
        .get(format!("{base}/api/v1/audits/{id}/report?format=json"))
        .header("x-api-key", &key)
        .send()
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap();
    assert_eq!(report["tools"][0]["name"], "slither", "{report}");
    assert_eq!(report["tools"][0]["version"], "0.11.6");
    assert_eq!(report["tools"][0]["status"], "ok");
    let findings = report["findings"].as_array().unwrap();
    assert!(
        findings
            .iter()
            .any(|f| f["found_by"] == serde_json::json!(["web3audit", "slither"])),
        "{report}"
    );
    let listed = get(
        &client,
        &key,
        &format!("{base}/api/v1/audits/{id}/findings"),
    )
    .await;
    assert!(
        listed["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["detector"].as_str().unwrap().starts_with("slither:")),
        "{listed}"
    );

    let health = client
        .get(format!("{base}/health/detailed"))
        .send()
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap();
    let tools = &health["components"]["tools"];
    assert_eq!(tools["status"], "healthy", "{health}");
    assert_eq!(tools["tools"][0]["name"], "slither");
    assert_eq!(tools["tools"][0]["version"], "0.11.6");
    assert_eq!(
        tools["tools"].as_array().unwrap().len(),
        1,
        "only the tools a plan allows"
    );

    // The dashboard's audit page names the tool run and who found each finding.
    let page = dashboard_page(&base, &format!("/audits/{id}")).await;
    assert!(page.contains("slither 0.11.6: ok"), "{page}");
    assert!(page.contains("found by web3audit, slither"), "{page}");
    let _ = server.kill();
    let _ = server.wait();
}
