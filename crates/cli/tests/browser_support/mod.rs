//! Driving headless Chromium through chromedriver (fantoccini) for the browser tests.

#![allow(dead_code, unreachable_pub)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use crate::service_support::{Processes, free_port};

pub fn tools() -> Option<(PathBuf, PathBuf)> {
    let find = |var: &str, candidates: &[&str]| {
        std::env::var_os(var)
            .map(PathBuf::from)
            .into_iter()
            .chain(candidates.iter().map(PathBuf::from))
            .find(|p| p.is_file())
    };
    let driver = find("WEB3AUDIT_CHROMEDRIVER", &["/usr/bin/chromedriver"]);
    let browser = find(
        "WEB3AUDIT_CHROMIUM",
        &["/usr/bin/chromium", "/usr/bin/chromium-browser"],
    );
    match (driver, browser) {
        (Some(driver), Some(browser)) => Some((driver, browser)),
        _ => {
            assert!(
                std::env::var("WEB3AUDIT_BROWSER_TESTS").as_deref() != Ok("required"),
                "WEB3AUDIT_BROWSER_TESTS=required but chromedriver or Chromium is missing"
            );
            eprintln!(
                "skipped: chromedriver or Chromium not found (install the Debian packages \
                 `chromium` and `chromium-driver`); .ci/run installs them and runs this test"
            );
            None
        }
    }
}

pub fn artifacts() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("the target directory")
        .join("browser-artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub async fn screenshot(client: &Client, name: &str) {
    let png = client.screenshot().await.unwrap();
    assert!(png.starts_with(b"\x89PNG"));
    std::fs::write(artifacts().join(format!("{name}.png")), png).unwrap();
}

/// Waits until the page's source satisfies `done` (pages refresh themselves while an
/// audit runs); returns the source.
pub async fn wait_for(client: &Client, what: &str, done: impl Fn(&str) -> bool) -> String {
    for _ in 0..240 {
        let source = client.source().await.unwrap();
        if done(&source) {
            return source;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    panic!(
        "timed out waiting for {what}: {}",
        client.source().await.unwrap()
    );
}

pub async fn click(client: &Client, locator: Locator<'_>) {
    client.find(locator).await.unwrap().click().await.unwrap();
}

pub async fn type_into(client: &Client, id: &str, text: &str) {
    client
        .find(Locator::Id(id))
        .await
        .unwrap()
        .send_keys(text)
        .await
        .unwrap();
}

/// Starts chromedriver (its log in `dir/chromedriver.log`) and a headless Chromium
/// session with its profile in `dir/profile`.
pub async fn start_browser(
    driver_path: &Path,
    browser_path: &Path,
    dir: &Path,
    processes: &mut Processes,
    http: &reqwest::Client,
) -> Client {
    let driver_port = free_port();
    let driver_log = std::fs::File::create(dir.join("chromedriver.log")).unwrap();
    processes.push(
        Command::new(driver_path)
            .arg(format!("--port={driver_port}"))
            .stdout(Stdio::null())
            .stderr(driver_log)
            .spawn()
            .unwrap(),
    );
    let driver_url = format!("http://127.0.0.1:{driver_port}");
    for _ in 0..100 {
        if http
            .get(format!("{driver_url}/status"))
            .send()
            .await
            .is_ok()
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": browser_path,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-dev-shm-usage", "--disable-extensions", "--no-first-run",
                "--window-size=1366,768",
                format!("--user-data-dir={}", dir.join("profile").display()),
            ],
        }),
    );
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(capabilities)
        .connect(&driver_url)
        .await
        .expect("chromedriver starts a headless Chromium session")
}
