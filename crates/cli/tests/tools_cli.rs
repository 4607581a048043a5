//! `web3audit doctor` and `web3audit scan --with`, with fake tools on a private `PATH`.

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
