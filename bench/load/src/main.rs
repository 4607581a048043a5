//! Load benchmark of the audit service.
//!
//! N concurrent clients each submit an audit of a small contract (unique text, so the
//! analysis cache never answers), poll `GET /api/v1/audits/{id}` every 10 ms until it is
//! final, and repeat. Prints completed audits per second (first submission to last
//! completion), the p50/p95/p99 latency of the GETs, and the error count.
//!
//! In-process (default): starts the service on a loopback port over SQLite in a temp dir
//! with a small line-scanning analyzer, so the figures measure the service (HTTP, auth,
//! queue, workers, storage) rather than detector speed. Against a running server:
//! `--url http://127.0.0.1:8000 --api-key KEY` (raise its rate limits first).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use server::{
    AnalysisError, AnalysisOutput, AnalysisRequest, AnalyzedFinding, Analyzer, Secret, Settings,
};

struct Options {
    url: Option<String>,
    api_key: Option<String>,
    clients: usize,
    audits: usize,
    workers: usize,
}

fn options() -> Options {
    let mut o = Options {
        url: None,
        api_key: None,
        clients: 100,
        audits: 3000,
        workers: 2,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| panic!("{arg} needs a value"));
        match arg.as_str() {
            "--url" => o.url = Some(value()),
            "--api-key" => o.api_key = Some(value()),
            "--clients" => o.clients = value().parse().expect("--clients N"),
            "--audits" => o.audits = value().parse().expect("--audits N"),
            "--workers" => o.workers = value().parse().expect("--workers N"),
            other => panic!("unknown argument {other}; see the module documentation"),
        }
    }
    o
}

/// One finding per line mentioning `tx.origin`: cheap, deterministic, realistic output size.
struct LineScanAnalyzer;

impl Analyzer for LineScanAnalyzer {
    fn version(&self) -> String {
        "load-line-scan/1".into()
    }

    fn analyze(&self, request: &AnalysisRequest) -> Result<AnalysisOutput, AnalysisError> {
        let mut findings = Vec::new();
        for (file, text) in &request.sources {
            for (i, line) in text.lines().enumerate() {
                if line.contains("tx.origin") {
                    findings.push(AnalyzedFinding {
                        detector: "tx-origin-auth".into(),
                        title: "Authorization through tx.origin".into(),
                        severity: "high".into(),
                        confidence: "high".into(),
                        file: file.clone(),
                        start_line: i as u32 + 1,
                        end_line: i as u32 + 1,
                        message: "`tx.origin` used for authorization".into(),
                        fingerprint: format!("{file}:{}", line.trim()),
                        category: Some("access_control".into()),
                        swc: Some("SWC-115".into()),
                        shape: None,
                    });
                }
            }
        }
        Ok(AnalysisOutput {
            findings,
            reports: BTreeMap::new(),
        })
    }
}

fn contract(n: usize) -> String {
    format!(
        "// SPDX-License-Identifier: MIT\npragma solidity ^0.8.20;\n\n// audit {n}\ncontract Vault {{\n    address owner;\n    mapping(address => uint256) balances;\n\n    function deposit() external payable {{\n        balances[msg.sender] += msg.value;\n    }}\n\n    function sweep(address payable to) external {{\n        require(tx.origin == owner, \"not owner\");\n        to.transfer(address(this).balance);\n    }}\n}}\n"
    )
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index]
}

#[tokio::main]
async fn main() {
    let o = options();
    let mut _server_dir = None;
    let (base, key) = match (&o.url, &o.api_key) {
        (Some(url), Some(key)) => (url.trim_end_matches('/').to_string(), key.clone()),
        (None, None) => {
            let dir = tempfile::tempdir().unwrap();
            let defaults = Settings::default();
            let settings = Settings {
                database_url: format!("sqlite://{}/web3audit.db", dir.path().display()),
                secret_key: Some(Secret::new("load-benchmark-secret-key-0123456789abcdef")),
                max_concurrent_audits: o.workers,
                rate_limits: server::config::RateLimits {
                    key_per_minute: 10_000_000,
                    tenant_per_minute: 10_000_000,
                    burst: 1_000_000,
                },
                log_level: "warn".into(),
                ..defaults
            };
            server::init_logging("json", "warn");
            let store = store::connect(&settings.database_url).await.unwrap();
            let signer = store::trail::Signer::new(
                settings.secret_key.as_ref().unwrap().expose().as_bytes(),
            );
            let boot =
                server::bootstrap(store.as_ref(), &signer, "bench", "bench@example.test", None)
                    .await
                    .unwrap();
            let secret = settings.secret_key.clone().unwrap();
            let service =
                server::Service::start(settings, store, Arc::new(LineScanAnalyzer), secret)
                    .await
                    .unwrap();
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let base = format!("http://{}", listener.local_addr().unwrap());
            tokio::spawn(service.run(listener, std::future::pending()));
            _server_dir = Some(dir);
            (base, boot.api_key)
        }
        _ => panic!("give both --url and --api-key, or neither"),
    };

    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(o.clients)
        .build()
        .unwrap();
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..o.clients {
        let (client, base, key, next) = (client.clone(), base.clone(), key.clone(), next.clone());
        let total = o.audits;
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = 0usize;
            let mut completed = Vec::new();
            loop {
                let n = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                if n >= total {
                    break;
                }
                let response = client
                    .post(format!("{base}/api/v1/audits"))
                    .header("x-api-key", &key)
                    .json(&json!({ "sources": { "Vault.sol": contract(n) } }))
                    .send()
                    .await;
                let id = match response {
                    Ok(r) if r.status().as_u16() == 202 => r.json::<Value>().await.unwrap()["id"]
                        .as_str()
                        .unwrap()
                        .to_string(),
                    _ => {
                        errors += 1;
                        continue;
                    }
                };
                loop {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    let t = Instant::now();
                    let response = client
                        .get(format!("{base}/api/v1/audits/{id}"))
                        .header("x-api-key", &key)
                        .send()
                        .await;
                    let body = match response {
                        Ok(r) if r.status().is_success() => r.json::<Value>().await.ok(),
                        _ => None,
                    };
                    latencies.push(t.elapsed());
                    let Some(body) = body else {
                        errors += 1;
                        break;
                    };
                    match body["status"].as_str() {
                        Some("queued" | "running") => {}
                        Some("succeeded") => {
                            completed.push(started.elapsed());
                            break;
                        }
                        _ => {
                            errors += 1;
                            break;
                        }
                    }
                }
            }
            (latencies, errors, completed)
        }));
    }
    let mut latencies = Vec::new();
    let mut errors = 0;
    let mut completed = Vec::new();
    for task in tasks {
        let (l, e, c) = task.await.unwrap();
        latencies.extend(l);
        errors += e;
        completed.extend(c);
    }
    let elapsed = completed
        .iter()
        .max()
        .copied()
        .unwrap_or_else(|| started.elapsed());
    latencies.sort();
    println!("web3audit service load benchmark");
    println!(
        "  mode:               {}",
        if o.url.is_some() {
            "external server"
        } else {
            "in-process, line-scan analyzer"
        }
    );
    println!("  clients:            {}", o.clients);
    println!(
        "  worker slots:       {}",
        if o.url.is_some() {
            "server setting".to_string()
        } else {
            o.workers.to_string()
        }
    );
    println!("  audits completed:   {} of {}", completed.len(), o.audits);
    println!("  wall time:          {:.2} s", elapsed.as_secs_f64());
    println!(
        "  completed audits/s: {:.1}",
        completed.len() as f64 / elapsed.as_secs_f64()
    );
    println!("  GET /api/v1/audits/{{id}}: {} requests", latencies.len());
    println!(
        "    p50 {:.2} ms",
        percentile(&latencies, 0.50).as_secs_f64() * 1000.0
    );
    println!(
        "    p95 {:.2} ms",
        percentile(&latencies, 0.95).as_secs_f64() * 1000.0
    );
    println!(
        "    p99 {:.2} ms",
        percentile(&latencies, 0.99).as_secs_f64() * 1000.0
    );
    println!("  errors:             {errors}");
    if errors > 0 {
        std::process::exit(1);
    }
}
