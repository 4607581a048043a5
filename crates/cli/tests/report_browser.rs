//! The HTML report in headless Chromium, with the network cut off: it renders, logs no
//! console message and requests nothing. A screenshot is kept under
//! `target/browser-artifacts/`.
//!
//! Skipped, with a message, when no Chromium is installed (`cargo test` on a developer
//! machine); `.ci/run` installs the Debian package and sets
//! `WEB3AUDIT_BROWSER_TESTS=required`, which turns the skip into a failure.

use std::path::{Path, PathBuf};
use std::process::Command;

fn chromium() -> Option<PathBuf> {
    let candidates = [
        std::env::var_os("WEB3AUDIT_CHROMIUM").map(PathBuf::from),
        Some(PathBuf::from("/usr/bin/chromium")),
        Some(PathBuf::from("/usr/bin/chromium-browser")),
        Some(PathBuf::from("/usr/bin/google-chrome")),
    ];
    let found = candidates.into_iter().flatten().find(|p| p.is_file());
    if found.is_none() {
        assert!(
            std::env::var("WEB3AUDIT_BROWSER_TESTS").as_deref() != Ok("required"),
            "WEB3AUDIT_BROWSER_TESTS=required but no Chromium was found"
        );
        eprintln!(
            "skipped: no Chromium found (install the Debian package `chromium`, or set \
             WEB3AUDIT_CHROMIUM); .ci/run installs it and runs this test"
        );
    }
    found
}

fn artifacts() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("the target directory")
        .join("browser-artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs headless Chromium on `page` with `extra` arguments; returns its log.
fn run_chromium(browser: &Path, profile: &Path, page: &Path, extra: &[String]) -> (String, String) {
    let out = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-extensions",
            // Every request that is not for the page itself goes to a closed port.
            "--proxy-server=127.0.0.1:9",
            "--enable-logging=stderr",
            "--v=0",
            "--window-size=1280,1600",
            "--virtual-time-budget=3000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("Chromium runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn html_report_renders_offline_without_console_messages() {
    let Some(browser) = chromium() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let contract = dir.path().join("Evil.sol");
    std::fs::write(
        &contract,
        "pragma solidity ^0.8.0;\n// </script><script>console.error('injected')</script>\n\
         contract Evil {\n    address owner;\n    string s = \"<img src=x onerror=console.error(1)>\";\n\
         function f() public { require(tx.origin == owner); }\n}\n",
    )
    .unwrap();
    let page = dir.path().join("report.html");
    let out = Command::new(env!("CARGO_BIN_EXE_web3audit"))
        .args(["scan", "--format", "html", "--output"])
        .arg(&page)
        .arg(&contract)
        .output()
        .unwrap();
    assert!(
        out.status.code().is_some_and(|c| c < 2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let profile = dir.path().join("profile");
    let (dom, log) = run_chromium(&browser, &profile, &page, &["--dump-dom".to_owned()]);
    assert!(dom.contains("class=\"line flagged\""), "{dom}");
    assert!(dom.contains("<svg class=\"chart\""));
    assert!(
        !dom.contains("<script") && !dom.contains("<img"),
        "markup in the source stays text"
    );
    for line in log.lines() {
        assert!(
            !line.contains("CONSOLE") && !line.contains("Failed to load resource"),
            "console message or request from the report: {line}"
        );
    }

    let shot = artifacts().join("report.png");
    let _ = std::fs::remove_file(&shot);
    run_chromium(
        &browser,
        &profile,
        &page,
        &[format!("--screenshot={}", shot.display())],
    );
    let png = std::fs::read(&shot).expect("a screenshot");
    assert!(png.starts_with(b"\x89PNG") && png.len() > 10_000);
}
