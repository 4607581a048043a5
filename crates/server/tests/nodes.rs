//! Several API nodes on one database, over real HTTP: cached API keys are refused on every
//! node as soon as they are revoked (or their owner disabled), long before the cache's
//! time to live; rate limits hold across nodes within the documented tolerance, exactly
//! with Redis. PostgreSQL through `WEB3AUDIT_TEST_POSTGRES_URL`, Redis through
//! `WEB3AUDIT_TEST_REDIS_URL` (each skipped, saying so, when unset).

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use reqwest::StatusCode;
use serde_json::json;
use server::Settings;

const REDIS_ENV: &str = "WEB3AUDIT_TEST_REDIS_URL";

/// The Redis URL of the tests and a key prefix of this test's own; `None` (saying so)
/// when unset.
fn redis(test: &str) -> Option<(String, String)> {
    let Ok(url) = std::env::var(REDIS_ENV) else {
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr().lock(),
            "skipped {test} with Redis: {REDIS_ENV} is not set (.ci/run sets it)"
        );
        return None;
    };
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    Some((
        url,
        format!("w3a-test:{test}:{}:{nanos}:", std::process::id()),
    ))
}

async fn redis_connection(url: &str) -> redis::aio::MultiplexedConnection {
    let client = redis::Client::open(url).unwrap();
    client.get_multiplexed_async_connection().await.unwrap()
}

/// Revokes the key `id` in a single node's database behind its back, as a change whose
/// notice has not reached the node.
async fn revoke_unseen(server: &TestServer, id: &str) {
    let pool = sqlx::SqlitePool::connect(&server.db_url).await.unwrap();
    sqlx::query("UPDATE api_keys SET revoked_at = 1 WHERE id = ?1")
        .bind(id)
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
}

/// A single node, a key it admitted `uses` times (so it keeps it), then that key revoked
/// behind the node's back ([`revoke_unseen`]).
async fn kept_then_revoked_unseen(
    tweak: impl Fn(&mut Settings),
    uses: usize,
) -> (TestServer, String) {
    let server = start(tweak).await;
    let (id, key) = new_key(&server, "auditor").await;
    for _ in 0..uses {
        assert_eq!(status(&server, &key).await, StatusCode::OK);
    }
    revoke_unseen(&server, &id).await;
    (server, key)
}

/// Deletes the keys a test wrote in Redis.
async fn flush(url: &str, prefix: &str) {
    let mut connection = redis_connection(url).await;
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{prefix}*"))
        .query_async(&mut connection)
        .await
        .unwrap();
    if !keys.is_empty() {
        redis::cmd("DEL")
            .arg(keys)
            .query_async::<()>(&mut connection)
            .await
            .unwrap();
    }
}

/// Two nodes (API and workers) on one PostgreSQL database; `None` when it is not set.
async fn two_nodes(test: &str, tweak: impl Fn(&mut Settings)) -> Option<(TestServer, TestServer)> {
    let url = postgres_url(test).await?;
    let first_dir = Arc::new(tempfile::tempdir().unwrap());
    let mut settings = settings_for(first_dir.path());
    settings.database_url = url;
    tweak(&mut settings);
    let first = start_in(first_dir, settings.clone(), true).await;
    let second = start_in(Arc::new(tempfile::tempdir().unwrap()), settings, false).await;
    Some((first, second))
}

async fn status(server: &TestServer, key: &str) -> StatusCode {
    server.get(key, "/api/v1/audits").await.0
}

/// Polls `server` with `key` until it answers `expected`; how long that took.
async fn until(server: &TestServer, key: &str, expected: StatusCode) -> Duration {
    let started = Instant::now();
    loop {
        let (status, body) = server.get(key, "/api/v1/audits").await;
        if status == expected {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "still {status} after 3 s, not {expected}: {body}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// A key of the first node's tenant: `(id, key)`.
async fn new_key(server: &TestServer, role: &str) -> (String, String) {
    let (status, created) = server
        .post(
            &server.admin_key,
            "/api/v1/api-keys",
            json!({ "name": role, "role": role }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    (
        created["id"].as_str().unwrap().to_string(),
        created["api_key"].as_str().unwrap().to_string(),
    )
}

/// Revokes the API key `id` through `node`'s API, as the tenant's admin.
async fn revoke(node: &TestServer, id: &str) {
    let (status_code, _) = node
        .send(
            reqwest::Method::DELETE,
            &node.admin_key,
            &format!("/api/v1/api-keys/{id}"),
            None,
        )
        .await;
    assert!(status_code.is_success(), "{status_code}");
}

/// `node` refuses `key` as revoked.
async fn assert_revoked(node: &TestServer, key: &str) {
    let (status_code, problem) = node.get(key, "/api/v1/audits").await;
    assert_problem(
        status_code,
        &problem,
        StatusCode::UNAUTHORIZED,
        "api-key-revoked",
    );
}

/// Both nodes use (and cache) a key; one revokes it; both refuse it well within the
/// cache's time to live (15 s): the revocation reached the other node's cache.
async fn revocation_reaches_every_node(a: &TestServer, b: &TestServer) {
    let (id, key) = new_key(a, "auditor").await;
    for node in [a, b, a, b] {
        assert_eq!(status(node, &key).await, StatusCode::OK);
    }
    revoke(a, &id).await;
    // The node that revoked it refuses it at once.
    assert_revoked(a, &key).await;
    let took = until(b, &key, StatusCode::UNAUTHORIZED).await;
    assert!(took < Duration::from_secs(3), "{took:?}");
    assert_revoked(b, &key).await;
}

/// A user's own key stops working on every node once the user is disabled.
async fn disabled_owner_reaches_every_node(a: &TestServer, b: &TestServer) {
    let (status_code, _) = a
        .post(
            &a.admin_key,
            "/api/v1/users",
            json!({ "email": "owner@acme.test", "password": "a long enough password 1", "role": "admin" }),
        )
        .await;
    assert_eq!(status_code, StatusCode::CREATED);
    let login = a
        .client
        .post(a.url("/api/v1/auth/login"))
        .json(&json!({ "email": "owner@acme.test", "password": "a long enough password 1" }))
        .send()
        .await
        .unwrap();
    let (status_code, token) = split(login).await;
    assert_eq!(status_code, StatusCode::OK, "{token}");
    let token = token["token"].as_str().unwrap().to_string();
    let created = a
        .client
        .post(a.url("/api/v1/api-keys"))
        .bearer_auth(&token)
        .json(&json!({ "name": "own", "role": "auditor" }))
        .send()
        .await
        .unwrap();
    let (status_code, created) = split(created).await;
    assert_eq!(status_code, StatusCode::CREATED, "{created}");
    let key = created["api_key"].as_str().unwrap().to_string();
    for node in [a, b] {
        assert_eq!(status(node, &key).await, StatusCode::OK);
    }
    let (_, users) = a.get(&a.admin_key, "/api/v1/users").await;
    let user_id = users["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["email"] == "owner@acme.test")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (status_code, body) = a
        .send(
            reqwest::Method::PATCH,
            &a.admin_key,
            &format!("/api/v1/users/{user_id}"),
            Some(json!({ "disabled": true })),
        )
        .await;
    assert_eq!(status_code, StatusCode::OK, "{body}");
    for node in [a, b] {
        until(node, &key, StatusCode::UNAUTHORIZED).await;
        let (status_code, problem) = node.get(&key, "/api/v1/audits").await;
        assert_problem(
            status_code,
            &problem,
            StatusCode::UNAUTHORIZED,
            "api-key-owner-disabled",
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_key_is_refused_by_every_node() {
    let Some((a, b)) = two_nodes("a_revoked_key_is_refused_by_every_node", |_| {}).await else {
        return;
    };
    revocation_reaches_every_node(&a, &b).await;
    disabled_owner_reaches_every_node(&a, &b).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_key_is_refused_at_once_by_a_single_node() {
    let server = start(|_| {}).await;
    let (id, key) = new_key(&server, "auditor").await;
    assert_eq!(status(&server, &key).await, StatusCode::OK);
    assert_eq!(status(&server, &key).await, StatusCode::OK);
    revoke(&server, &id).await;
    assert_eq!(status(&server, &key).await, StatusCode::UNAUTHORIZED);
}

/// Requests of one key, `rounds` times one to each node in turn; how many were admitted.
async fn admitted(nodes: &[&TestServer], key: &str, rounds: usize) -> usize {
    let mut ok = 0;
    for _ in 0..rounds {
        for node in nodes {
            match status(node, key).await {
                StatusCode::OK => ok += 1,
                StatusCode::TOO_MANY_REQUESTS => {}
                other => panic!("unexpected {other}"),
            }
        }
    }
    ok
}

/// One request a second per key, ten at once; the tenant's limit out of the way.
fn tight_limits(settings: &mut Settings) {
    settings.rate_limits = server::config::RateLimits {
        key_per_minute: 60,
        tenant_per_minute: 100_000,
        burst: 10,
    };
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_hold_across_nodes_within_one_sync() {
    let Some((a, b)) = two_nodes("rate_limits_hold_across_nodes", tight_limits).await else {
        return;
    };
    // The admin key has its own bucket (it created the keys): use fresh keys.
    let (_, key) = new_key(&a, "auditor").await;
    let started = Instant::now();
    let first = admitted(&[&a], &key, 10).await;
    assert_eq!(first, 10);
    // Once node A synced, node B reads the spent bucket at its first use.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let second = admitted(&[&b], &key, 10).await;
    let elapsed = started.elapsed().as_secs_f64();
    assert!(
        second as f64 <= 1.0 + elapsed + 1.0,
        "node B admitted {second} after node A spent the burst ({elapsed:.1} s)"
    );

    // Both nodes at once, from full: at most the burst plus the refill, plus the
    // tolerance of one sync interval on the other node (burst + rate × 1 s).
    let (_, key) = new_key(&a, "auditor").await;
    let started = Instant::now();
    let both = admitted(&[&a, &b], &key, 20).await;
    let elapsed = started.elapsed().as_secs_f64();
    let bound = 10.0 + elapsed + (10.0 + 1.0);
    assert!(both >= 10, "{both}");
    assert!(
        both as f64 <= bound,
        "{both} admitted in {elapsed:.1} s, more than {bound}"
    );
    // Once synced, the debt is shared: both nodes refuse.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let after = admitted(&[&a, &b], &key, 3).await;
    assert!(after <= 2, "{after}");
}

fn with_redis(url: &str, prefix: &str) -> impl Fn(&mut Settings) {
    let url = url.to_string();
    let prefix = prefix.to_string();
    move |settings: &mut Settings| {
        tight_limits(settings);
        settings.redis_url = Some(server::Secret::new(url.clone()));
        settings.redis_prefix = prefix.clone();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_redis_rate_limits_are_exact_across_nodes_and_revocations_reach_every_node() {
    let test = "redis_across_nodes";
    let Some((url, prefix)) = redis(test) else {
        return;
    };
    let Some((a, b)) = two_nodes(test, with_redis(&url, &prefix)).await else {
        return;
    };
    let (_, key) = new_key(&a, "auditor").await;
    let started = Instant::now();
    let both = admitted(&[&a, &b], &key, 15).await;
    let elapsed = started.elapsed().as_secs_f64();
    assert!(
        both >= 10 && both as f64 <= 10.0 + elapsed.ceil(),
        "{both} admitted in {elapsed:.1} s"
    );
    let (status_code, problem) = a.get(&key, "/api/v1/audits").await;
    assert_problem(
        status_code,
        &problem,
        StatusCode::TOO_MANY_REQUESTS,
        "rate-limited",
    );
    revocation_reaches_every_node(&a, &b).await;
    flush(&url, &prefix).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_redis_a_single_node_limits_and_refuses_revoked_keys() {
    let Some((url, prefix)) = redis("redis_single_node") else {
        return;
    };
    let server = start(with_redis(&url, &prefix)).await;
    let (id, key) = new_key(&server, "auditor").await;
    let ok = admitted(&[&server], &key, 12).await;
    assert!((10..=11).contains(&ok), "{ok}");
    let (_, other) = new_key(&server, "viewer").await;
    assert_eq!(status(&server, &other).await, StatusCode::OK);
    revoke(&server, &id).await;
    // Revoked wins over rate-limited: authentication comes first.
    assert_revoked(&server, &key).await;
    flush(&url, &prefix).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_redis_the_tenant_limit_counts_every_key_of_the_tenant() {
    let Some((url, prefix)) = redis("redis_tenant_limit") else {
        return;
    };
    let server = start(|settings: &mut Settings| {
        with_redis(&url, &prefix)(settings);
        // The tenant's limit is the tight one now.
        settings.rate_limits = server::config::RateLimits {
            key_per_minute: 100_000,
            tenant_per_minute: 60,
            burst: 10,
        };
    })
    .await;
    // Three keys of one tenant, eight requests each: no key reaches its own burst (10),
    // together they pass the tenant's (twice the burst, less what the admin spent).
    let mut keys = Vec::new();
    for role in ["auditor", "viewer", "viewer"] {
        keys.push(new_key(&server, role).await.1);
    }
    let started = Instant::now();
    let mut all = 0;
    for key in &keys {
        all += admitted(&[&server], key, 8).await;
    }
    let elapsed = started.elapsed().as_secs_f64();
    assert!(
        all >= 10 && all as f64 <= 20.0 - 3.0 + elapsed.ceil(),
        "{all} admitted in {elapsed:.1} s"
    );
    let second = &keys[1];
    let (status_code, problem) = server.get(second, "/api/v1/audits").await;
    assert_problem(
        status_code,
        &problem,
        StatusCode::TOO_MANY_REQUESTS,
        "rate-limited",
    );
    let detail = problem["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("tenant request rate limit"), "{detail}");
    flush(&url, &prefix).await;
}

/// With Redis a node keeps the keys it read from Redis and checks them by the Redis
/// generation its rate-limit script reads in the same round trip. Here the key is revoked
/// behind the node's back (in the database, as a node whose notice has not arrived would
/// see it) and the Redis generation advanced, as the node that made the change does: the
/// next request is refused, not served from the node's copy.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_redis_a_kept_key_is_dropped_when_the_redis_generation_moves() {
    let Some((url, prefix)) = redis("redis_kept_key") else {
        return;
    };
    let (server, key) = kept_then_revoked_unseen(with_redis(&url, &prefix), 3).await;
    // The node's copy still admits it while the generation stands.
    assert_eq!(status(&server, &key).await, StatusCode::OK);
    let mut connection = redis_connection(&url).await;
    redis::cmd("INCR")
        .arg(format!("{prefix}keys:generation"))
        .query_async::<()>(&mut connection)
        .await
        .unwrap();
    assert_revoked(&server, &key).await;
    flush(&url, &prefix).await;
}

/// Redis, and bursts large enough for leases: a sixteenth of the key's burst (20 tokens)
/// and of the tenant's (40); one request a second refilled per key.
fn leased_limits(url: &str, prefix: &str) -> impl Fn(&mut Settings) {
    let redis = with_redis(url, prefix);
    move |settings: &mut Settings| {
        redis(settings);
        settings.rate_limits = server::config::RateLimits {
            key_per_minute: 60,
            tenant_per_minute: 100_000,
            burst: 320,
        };
    }
}

/// Leased tokens have left the shared bucket: two nodes answering one key in turn admit
/// no more than its burst and refill, and at most one lease per node fewer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_redis_leased_tokens_never_admit_more_than_the_limit_across_nodes() {
    let test = "redis_leases";
    let Some((url, prefix)) = redis(test) else {
        return;
    };
    let Some((a, b)) = two_nodes(test, leased_limits(&url, &prefix)).await else {
        return;
    };
    let (_, key) = new_key(&a, "auditor").await;
    let started = Instant::now();
    let both = admitted(&[&a, &b], &key, 200).await;
    let elapsed = started.elapsed().as_secs_f64();
    assert!(
        both as f64 <= 320.0 + elapsed.ceil(),
        "{both} admitted in {elapsed:.1} s"
    );
    assert!(both >= 320 - 2 * 20, "{both} admitted in {elapsed:.1} s");
    flush(&url, &prefix).await;
}

/// A busy client's requests mostly make no round trip to Redis (its tokens are leased),
/// so a node checks the keys it kept against the generation it follows on Redis's
/// channel: once a node announces a move, the kept copy is dropped without waiting for
/// the next round trip.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_redis_a_kept_key_is_dropped_when_the_announced_generation_arrives() {
    let Some((url, prefix)) = redis("redis_announced") else {
        return;
    };
    // Leases of 1, 2, 4, 8, 16 then 20 tokens for the key, up to 32 for the tenant: the
    // next requests are served from this node's leases.
    let (server, key) = kept_then_revoked_unseen(leased_limits(&url, &prefix), 40).await;
    let mut connection = redis_connection(&url).await;
    redis::Script::new(
        "local g = redis.call('INCR', KEYS[1]) redis.call('PUBLISH', KEYS[1], g) return g",
    )
    .key(format!("{prefix}keys:generation"))
    .invoke_async::<u64>(&mut connection)
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_revoked(&server, &key).await;
    flush(&url, &prefix).await;
}
