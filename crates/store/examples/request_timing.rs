//! Where the store time of an authenticated `GET /api/v1/audits/{id}` goes, on the
//! database named by the first argument (a throw-away PostgreSQL or SQLite database):
//! each call the request makes, timed alone (one client) and under load (many clients
//! sharing one pool), so that the difference is the wait for a pooled connection.
//!
//! ```sh
//! cargo run --release -p store --example request_timing -- postgres://postgres@127.0.0.1/w3a_timing 100 16 5
//! ```
//!
//! Arguments: URL, clients (100), pool size (16), seconds per run (5). Two request shapes:
//! - `per request`: what every request did before keys were cached and rate limits kept
//!   per node: key look-up, its owner, the key's and the tenant's bucket, the read;
//! - `cached`: what a request with a cached key and node-local buckets does: the read.

use std::sync::Arc;
use std::time::{Duration, Instant};

use store::*;

const STEPS: [&str; 5] = [
    "key look-up",
    "owner",
    "key bucket",
    "tenant bucket",
    "read",
];

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let url = args
        .next()
        .ok_or("usage: request_timing URL [CLIENTS] [POOL] [SECONDS]")?;
    let clients: usize = args.next().map_or(Ok(100), |a| a.parse())?;
    let pool: u32 = args.next().map_or(Ok(16), |a| a.parse())?;
    let seconds: u64 = args.next().map_or(Ok(5), |a| a.parse())?;
    let store = connect_with(
        &url,
        &ConnectOptions {
            max_connections: pool,
        },
    )
    .await?;
    let fixture = Fixture::create(store.as_ref()).await?;
    let fixture = Arc::new(fixture);
    println!("database {}, pool {pool}", redact_url(&url));
    for (shape, full) in [("per request", true), ("cached", false)] {
        for concurrency in [1, clients] {
            let timings = run(
                store.clone(),
                fixture.clone(),
                concurrency,
                full,
                Duration::from_secs(seconds),
            )
            .await?;
            report(shape, concurrency, &timings, full);
        }
    }
    Ok(())
}

struct Fixture {
    tenant: String,
    user: String,
    prefix: String,
    audit: String,
}

impl Fixture {
    async fn create(store: &dyn Store) -> Result<Self, StoreError> {
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let tenant = format!("timing-{stamp}");
        store
            .create_tenant(&Tenant {
                id: tenant.clone(),
                name: tenant.clone(),
                plan: "enterprise".into(),
                is_operator: false,
                created_at: 0,
            })
            .await?;
        let user = format!("{tenant}-user");
        store
            .create_user(&User {
                id: user.clone(),
                tenant_id: tenant.clone(),
                email: format!("{tenant}@timing.test"),
                password_hash: "-".into(),
                role: "admin".into(),
                disabled: false,
                created_at: 0,
            })
            .await?;
        let prefix = format!("{:016x}", stamp as u64);
        store
            .create_api_key(&ApiKey {
                id: format!("{tenant}-key"),
                tenant_id: tenant.clone(),
                user_id: Some(user.clone()),
                name: "timing".into(),
                role: "admin".into(),
                prefix: prefix.clone(),
                secret_hash: "-".into(),
                created_at: 0,
                revoked_at: None,
                expires_at: None,
                last_used_at: None,
                scopes: None,
            })
            .await?;
        let audit = format!("{tenant}-audit");
        store
            .insert_audit(
                &NewAudit {
                    id: audit.clone(),
                    tenant_id: tenant.clone(),
                    sources_hash: "-".into(),
                    cache_key: "-".into(),
                    options: AuditOptions::default(),
                    timeout_secs: 60,
                    source_bytes: 1,
                    file_count: 1,
                    idempotency_key: None,
                    request_hash: "-".into(),
                    created_by: "timing".into(),
                    created_at: 0,
                    project: None,
                    target: None,
                },
                "{}",
                None,
            )
            .await?;
        Ok(Fixture {
            tenant,
            user,
            prefix,
            audit,
        })
    }
}

/// Durations of each step, per request.
type Timings = Vec<[Duration; 5]>;

async fn run(
    store: Arc<dyn Store>,
    fixture: Arc<Fixture>,
    concurrency: usize,
    full: bool,
    length: Duration,
) -> Result<Timings, StoreError> {
    let until = Instant::now() + length;
    let rate = TokenRate::per_minute(100_000_000, 10_000_000);
    let mut tasks = Vec::new();
    for client in 0..concurrency {
        let store = store.clone();
        let fixture = fixture.clone();
        tasks.push(tokio::spawn(async move {
            let mut timings = Vec::new();
            let now = || {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_millis() as i64)
            };
            while Instant::now() < until {
                let mut steps = [Duration::ZERO; 5];
                if full {
                    let t = Instant::now();
                    store.find_api_key_by_prefix(&fixture.prefix).await?;
                    steps[0] = t.elapsed();
                    let t = Instant::now();
                    store.get_user(&fixture.tenant, &fixture.user).await?;
                    steps[1] = t.elapsed();
                    let t = Instant::now();
                    store
                        .take_token(&format!("key:timing-{client}"), &rate, now())
                        .await?;
                    steps[2] = t.elapsed();
                    let t = Instant::now();
                    store
                        .take_token(&format!("tenant:{}", fixture.tenant), &rate, now())
                        .await?;
                    steps[3] = t.elapsed();
                }
                let t = Instant::now();
                store.get_audit(&fixture.tenant, &fixture.audit).await?;
                steps[4] = t.elapsed();
                timings.push(steps);
            }
            Ok::<_, StoreError>(timings)
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        all.extend(
            task.await
                .map_err(|e| StoreError::Unsupported(e.to_string()))??,
        );
    }
    Ok(all)
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let index = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[index].as_secs_f64() * 1000.0
}

fn report(shape: &str, concurrency: usize, timings: &Timings, full: bool) {
    println!(
        "\n{shape}, {concurrency} client(s): {} requests",
        timings.len()
    );
    let mut totals: Vec<Duration> = timings.iter().map(|s| s.iter().sum()).collect();
    totals.sort();
    for (index, name) in STEPS.iter().enumerate() {
        if !full && index < 4 {
            continue;
        }
        let mut step: Vec<Duration> = timings.iter().map(|s| s[index]).collect();
        step.sort();
        println!(
            "  {name:<14} p50 {:>8.2} ms  p95 {:>8.2} ms",
            percentile(&step, 0.5),
            percentile(&step, 0.95)
        );
    }
    println!(
        "  {:<14} p50 {:>8.2} ms  p95 {:>8.2} ms",
        "whole",
        percentile(&totals, 0.5),
        percentile(&totals, 0.95)
    );
}
