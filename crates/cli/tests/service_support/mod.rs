//! Running the real `web3audit` binary as a service in a temporary directory.

#![allow(dead_code, unreachable_pub)]

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

pub const SECRET: &str = "service-test-secret-0123456789abcdef0123";

pub fn bin() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_web3audit"));
    command
        .env_remove("WEB3AUDIT_CONFIG")
        .env_remove("WEB3AUDIT_SCAN_CONFIG")
        .env("WEB3AUDIT_SECRET_KEY", SECRET);
    command
}

/// A fresh directory under the target's temporary directory.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir =
        PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub fn db_url(dir: &std::path::Path) -> String {
    format!("sqlite://{}/web3audit.db", dir.display())
}

pub fn bootstrap(dir: &std::path::Path) -> Value {
    bootstrap_at(&db_url(dir))
}

/// `admin bootstrap` on the database at `url`; the output as JSON.
pub fn bootstrap_at(url: &str) -> Value {
    let output = bin()
        .args([
            "admin",
            "bootstrap",
            "--tenant",
            "acme",
            "--admin-email",
            "admin@acme.test",
            "--database-url",
            url,
        ])
        .env("WEB3AUDIT_ADMIN_PASSWORD", "a long admin password")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts `web3audit serve`; the log goes to `dir/server-PORT.log`.
pub fn serve(dir: &std::path::Path, port: u16, delay_ms: u64, extra_env: &[(&str, &str)]) -> Child {
    let log = std::fs::File::create(dir.join(format!("server-{port}.log"))).unwrap();
    let mut command = bin();
    command
        .args([
            "serve",
            "--bind",
            &format!("127.0.0.1:{port}"),
            "--database-url",
            &db_url(dir),
        ])
        .args(["--test-analysis-delay-ms", &delay_ms.to_string()])
        .env("WEB3AUDIT_MAX_CONCURRENT_AUDITS", "2")
        .env("WEB3AUDIT_LOG_FORMAT", "json")
        .stdout(Stdio::null())
        .stderr(log);
    for (name, value) in extra_env {
        command.env(name, value);
    }
    command.spawn().unwrap()
}

pub async fn wait_ready(client: &reqwest::Client, base: &str) {
    for _ in 0..200 {
        if let Ok(response) = client.get(format!("{base}/health/ready")).send().await
            && response.status().is_success()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("server at {base} did not become ready");
}

pub async fn get(client: &reqwest::Client, key: &str, url: &str) -> Value {
    let response = client
        .get(url)
        .header("x-api-key", key)
        .send()
        .await
        .unwrap();
    assert!(
        response.status().is_success(),
        "{url}: {}",
        response.status()
    );
    response.json().await.unwrap()
}

/// Submits a JSON audit request (`{"sources": …}` and options); asserts it is accepted
/// (202) and returns the audit's id.
pub async fn submit(client: &reqwest::Client, key: &str, base: &str, body: &Value) -> String {
    let response = client
        .post(format!("{base}/api/v1/audits"))
        .header("x-api-key", key)
        .json(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 202);
    response.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string()
}

pub const FINAL: [&str; 4] = ["succeeded", "failed", "timed_out", "cancelled"];

/// Polls audit `id` until it reaches a final status (or 10 s pass) and returns the status.
pub async fn wait_for_audit(client: &reqwest::Client, key: &str, base: &str, id: &str) -> String {
    let mut status = String::new();
    for _ in 0..200 {
        status = get(client, key, &format!("{base}/api/v1/audits/{id}")).await["status"]
            .as_str()
            .unwrap()
            .to_string();
        if FINAL.contains(&status.as_str()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    status
}

pub const POSTGRES_ENV: &str = "WEB3AUDIT_TEST_POSTGRES_URL";

/// A URL of the PostgreSQL test database whose search path is a fresh schema, so that
/// tests run side by side; `None`, after saying why, when no test database is configured.
pub async fn postgres_schema_url(test: &str) -> Option<String> {
    let Ok(base) = std::env::var(POSTGRES_ENV) else {
        skip_notice(format!(
            "skipped {test}: {POSTGRES_ENV} is not set (it names a throw-away PostgreSQL database; .ci/run creates one)"
        ));
        return None;
    };
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let schema = format!("{test}_{}_{nanos}", std::process::id());
    let admin = sqlx::PgPool::connect(&base)
        .await
        .unwrap_or_else(|e| panic!("{POSTGRES_ENV} is set but the database is unreachable: {e}"));
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(&admin)
        .await
        .unwrap();
    admin.close().await;
    let separator = if base.contains('?') { '&' } else { '?' };
    Some(format!("{base}{separator}options[search_path]={schema}"))
}

/// Child processes killed (SIGKILL) when the test ends, also when it fails.
#[derive(Default)]
pub struct Processes(pub Vec<Child>);

impl Processes {
    pub fn push(&mut self, child: Child) -> usize {
        self.0.push(child);
        self.0.len() - 1
    }
}

impl Drop for Processes {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Says that a test was skipped, on standard error directly, so that it shows even when
/// the test harness captures the test's output.
fn skip_notice(message: String) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "{message}");
}

/// A dashboard page as the bootstrapped admin sees it: signs in through the form (its
/// CSRF token and cookie), then opens `path`.
pub async fn dashboard_page(base: &str, path: &str) -> String {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let cookie_of = |response: &reqwest::Response, part: &str| {
        response
            .headers()
            .get_all(reqwest::header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok()?.split(';').next().map(str::to_owned))
            .find(|pair| pair.contains(part) && !pair.ends_with('='))
            .unwrap_or_else(|| panic!("no {part} cookie"))
    };
    let form = client.get(format!("{base}/login")).send().await.unwrap();
    let login_cookie = cookie_of(&form, "login");
    let html = form.text().await.unwrap();
    let start = html.find("name=\"csrf\" value=\"").unwrap() + "name=\"csrf\" value=\"".len();
    let csrf = &html[start..start + html[start..].find('"').unwrap()];
    let answer = client
        .post(format!("{base}/login"))
        .header(reqwest::header::COOKIE, &login_cookie)
        .header(reqwest::header::ORIGIN, base)
        .form(&[
            ("csrf", csrf),
            ("email", "admin@acme.test"),
            ("password", "a long admin password"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 303, "sign-in refused");
    let session = cookie_of(&answer, "session");
    client
        .get(format!("{base}{path}"))
        .header(reqwest::header::COOKIE, session)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}
