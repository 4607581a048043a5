//! Benchmark of the dashboard's pages (a program, not a test): seeds a tenant with 1,000
//! audits and 50,000 findings (20 projects, 50 findings per audit, a few thousand trail
//! entries), serves the dashboard on loopback, signs in and requests every page
//! repeatedly, then prints p50 / p95 / max response times per page.
//!
//! ```sh
//! cargo run --release -p server --example dashboard_pages            # SQLite in a temp dir
//! WEB3AUDIT_BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/bench \
//!     cargo run --release -p server --example dashboard_pages        # and PostgreSQL
//! ```
//!
//! Times are measured by the client over loopback HTTP/1.1 with keep-alive, so they are
//! the server's time plus a loopback round trip (tens of microseconds).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use server::{AnalysisError, AnalysisOutput, AnalysisRequest, Analyzer, Secret, Service, Settings};
use store::{CachedAnalysis, FindingData, NewAudit, NewAuditEvent, Store};

const SECRET: &str = "dashboard-benchmark-secret-0123456789abcdef";
const AUDITS: usize = 1_000;
const FINDINGS_PER_AUDIT: usize = 50;
const PROJECTS: usize = 20;
const ROUNDS: usize = 200;
const PASSWORD: &str = "a long benchmark password";

/// Never called: every seeded audit is already finished.
#[derive(Debug)]
struct NoAnalysis;

impl Analyzer for NoAnalysis {
    fn version(&self) -> String {
        "bench/1".into()
    }

    fn analyze(&self, _: &AnalysisRequest) -> Result<AnalysisOutput, AnalysisError> {
        Ok(AnalysisOutput {
            findings: Vec::new(),
            reports: BTreeMap::new(),
        })
    }
}

fn source(audit: usize) -> String {
    let mut text = String::from("pragma solidity ^0.8.0;\ncontract Vault {\n");
    for line in 0..400 {
        text.push_str(&format!("    uint256 v{line} = {audit}; // state {line}\n"));
    }
    text.push_str("}\n");
    text
}

async fn seed(store: &dyn Store) -> (String, Vec<String>) {
    let signer = store::trail::Signer::new(SECRET.as_bytes());
    let boot = server::bootstrap(
        store,
        &signer,
        "bench",
        "admin@bench.test",
        Some(PASSWORD.into()),
    )
    .await
    .expect("a fresh database");
    let severities = ["critical", "high", "medium", "low", "informational"];
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let started = Instant::now();
    let mut ids = Vec::with_capacity(AUDITS);
    for n in 0..AUDITS {
        // UUIDv7-like ids that grow with time, spread over the last 30 days.
        let created_at = now - ((AUDITS - n) as i64) * 2_600_000;
        let id = format!("{created_at:013x}-bench-{n:05}");
        let project = n % PROJECTS;
        let findings = (0..FINDINGS_PER_AUDIT)
            .map(|f| {
                // A finding in three of four audits changes, so "new" marks appear.
                let variant = if f % 4 == 0 { n } else { 0 };
                FindingData {
                    detector: format!("detector-{}", f % 12),
                    title: format!("Finding {f} of the benchmark"),
                    severity: severities[f % severities.len()].into(),
                    confidence: "high".into(),
                    file: "src/Vault.sol".into(),
                    start_line: (f * 7 % 390 + 3) as u32,
                    end_line: (f * 7 % 390 + 4) as u32,
                    message: "a benchmark finding with a message of ordinary length".into(),
                    fingerprint: format!("p{project}-f{f}-v{variant}"),
                    category: Some("bench".into()),
                    swc: None,
                    shape: None,
                }
            })
            .collect();
        let analysis = CachedAnalysis {
            cache_key: format!("cache-{n}"),
            analyzer_version: "bench/1".into(),
            findings,
            reports: BTreeMap::new(),
        };
        let sources = serde_json::json!({ "src/Vault.sol": source(n) }).to_string();
        let audit = NewAudit {
            id: id.clone(),
            tenant_id: boot.tenant_id.clone(),
            sources_hash: format!("hash-{n}"),
            cache_key: format!("cache-{n}"),
            options: Default::default(),
            timeout_secs: 60,
            source_bytes: sources.len() as i64,
            file_count: 1,
            idempotency_key: None,
            request_hash: format!("request-{n}"),
            created_by: format!("user:{}", boot.user_id),
            created_at,
            project: Some(format!("project-{project}")),
            target: None,
        };
        store
            .insert_audit(&audit, &sources, Some(&analysis))
            .await
            .unwrap();
        ids.push(id);
    }
    for n in 0..3_000 {
        let (action, outcome) = [
            ("login", "failure"),
            ("permission.denied", "denied"),
            ("audit.submitted", "success"),
        ][n % 3];
        let event = NewAuditEvent {
            ts: now - (n as i64) * 60_000,
            tenant_id: Some(boot.tenant_id.clone()),
            actor: format!("user:{}", boot.user_id),
            action: action.into(),
            target: None,
            outcome: outcome.into(),
            detail: serde_json::json!({ "n": n }),
        };
        store.append_audit_event(&event, &signer).await.unwrap();
    }
    eprintln!(
        "seeded {AUDITS} audits, {} findings and 3,000 trail entries in {:.1} s",
        AUDITS * FINDINGS_PER_AUDIT,
        started.elapsed().as_secs_f64()
    );
    (boot.tenant_id, ids)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

async fn run(label: &str, url: &str) {
    let store = store::connect(url).await.expect("the database opens");
    let (_tenant, ids) = seed(store.as_ref()).await;
    let settings = Settings {
        database_url: url.to_string(),
        secret_key: Some(Secret::new(SECRET)),
        dashboard_cookie_secure: false,
        rate_limits: server::config::RateLimits {
            key_per_minute: 1_000_000,
            tenant_per_minute: 1_000_000,
            burst: 1_000_000,
        },
        log_level: "warn".into(),
        ..Settings::default()
    };
    let service = Service::start(settings, store, Arc::new(NoAnalysis), Secret::new(SECRET))
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(service.run(listener, async move {
        let _ = stopped.await;
    }));

    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    // Sign in as a browser does.
    let form = client.get(format!("{base}/login")).send().await.unwrap();
    let nonce = form.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let html = form.text().await.unwrap();
    let csrf = html
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let answer = client
        .post(format!("{base}/login"))
        .header("cookie", &nonce)
        .form(&[
            ("csrf", csrf.as_str()),
            ("email", "admin@bench.test"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    let session = answer
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_string())
        .find(|c| c.starts_with("web3audit_session=") && c.len() > 20)
        .expect("signed in");

    let newest = ids.last().unwrap().clone();
    let middle = ids[ids.len() / 2].clone();
    let pages: Vec<(&str, Vec<String>)> = vec![
        ("audits (first page)", vec!["/audits".into()]),
        (
            "audits (older page)",
            vec![format!("/audits?before={middle}")],
        ),
        (
            "audit (50 findings, compared)",
            ids.iter()
                .rev()
                .step_by(37)
                .map(|id| format!("/audits/{id}"))
                .collect(),
        ),
        (
            "finding (400-line source)",
            ids.iter()
                .rev()
                .step_by(41)
                .map(|id| format!("/findings/{id}-f{}", id.len() % 50))
                .collect(),
        ),
        ("new audit form", vec!["/audits/new".into()]),
        ("security", vec!["/security".into()]),
        ("usage", vec!["/usage".into()]),
    ];
    println!(
        "\n{label}: {AUDITS} audits, {} findings, {ROUNDS} requests per page",
        AUDITS * FINDINGS_PER_AUDIT
    );
    println!(
        "{:<32} {:>9} {:>9} {:>9}",
        "page", "p50 ms", "p95 ms", "max ms"
    );
    let _ = newest;
    for (name, paths) in pages {
        let mut times = Vec::with_capacity(ROUNDS);
        // One warm-up request per path.
        for path in &paths {
            client
                .get(format!("{base}{path}"))
                .header("cookie", &session)
                .send()
                .await
                .unwrap();
        }
        for round in 0..ROUNDS {
            let path = &paths[round % paths.len()];
            let started = Instant::now();
            let response = client
                .get(format!("{base}{path}"))
                .header("cookie", &session)
                .send()
                .await
                .unwrap();
            let status = response.status();
            let body = response.bytes().await.unwrap();
            times.push(started.elapsed());
            assert!(
                status.is_success(),
                "{path}: {status}: {}",
                String::from_utf8_lossy(&body)
            );
        }
        times.sort();
        println!(
            "{name:<32} {:>9.2} {:>9.2} {:>9.2}",
            ms(percentile(&times, 0.5)),
            ms(percentile(&times, 0.95)),
            ms(*times.last().unwrap())
        );
    }
    let _ = stop.send(());
    server.await.unwrap().unwrap();
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    run(
        "SQLite",
        &format!("sqlite://{}/bench.db", dir.path().display()),
    )
    .await;
    if let Ok(base) = std::env::var("WEB3AUDIT_BENCH_POSTGRES_URL") {
        // A schema of its own, so that the database may be reused.
        let schema = format!("dashboard_bench_{}", std::process::id());
        let admin = sqlx::PgPool::connect(&base)
            .await
            .expect("the PostgreSQL database answers");
        sqlx::query(&format!("CREATE SCHEMA {schema}"))
            .execute(&admin)
            .await
            .unwrap();
        let separator = if base.contains('?') { '&' } else { '?' };
        run(
            "PostgreSQL",
            &format!("{base}{separator}options[search_path]={schema}"),
        )
        .await;
        sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
            .execute(&admin)
            .await
            .unwrap();
        admin.close().await;
    } else {
        eprintln!(
            "PostgreSQL skipped: set WEB3AUDIT_BENCH_POSTGRES_URL to a database URL to measure it too"
        );
    }
}
