//! Webhooks end to end: a real receiver on 127.0.0.1 that checks every signature, the
//! service over HTTP on loopback, SQLite in a temp dir and (where the store's queue is
//! involved) PostgreSQL through `WEB3AUDIT_TEST_POSTGRES_URL` (skipped, saying so, when
//! it is unset).

mod common;

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode as AxumStatus};
use common::{Backend, TOKEN_SOL, TestServer, postgres_url};
use hmac::{Hmac, Mac};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::Sha256;

// --- the receiver ---

/// What the receiver answers to one request (after checking the signature).
#[derive(Debug, Clone, Copy)]
enum Reply {
    Status(u16),
    /// Answer 200 after this long.
    Sleep(Duration),
}

#[derive(Debug, Clone)]
struct Hit {
    event: String,
    delivery: String,
    signature_valid: bool,
    body: Value,
}

#[derive(Default)]
struct ReceiverState {
    /// The secret the receiver verifies with.
    secret: Mutex<String>,
    /// Replies to the next requests, in order; then `otherwise`.
    script: Mutex<VecDeque<Reply>>,
    otherwise: Mutex<Option<u16>>,
    hits: Mutex<Vec<Hit>>,
}

struct Receiver {
    addr: SocketAddr,
    state: Arc<ReceiverState>,
}

/// Verifies `X-Web3audit-Signature: t=<secs>,v1=<hex>` as a receiver would.
fn signature_valid(secret: &str, headers: &HeaderMap, body: &[u8]) -> bool {
    let Some(header) = headers
        .get("x-web3audit-signature")
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let mut timestamp = None;
    let mut signature = None;
    for part in header.split(',') {
        match part.split_once('=') {
            Some(("t", t)) => timestamp = Some(t.to_string()),
            Some(("v1", v)) => signature = hex::decode(v).ok(),
            _ => {}
        }
    }
    let (Some(timestamp), Some(signature)) = (timestamp, signature) else {
        return false;
    };
    let Ok(seconds) = timestamp.parse::<i64>() else {
        return false;
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    if (now - seconds).abs() > 300 {
        return false;
    }
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.verify_slice(&signature).is_ok()
}

impl Receiver {
    async fn start() -> Receiver {
        let state = Arc::new(ReceiverState::default());
        let shared = state.clone();
        let app =
            axum::Router::new().fallback(move |headers: HeaderMap, body: axum::body::Bytes| {
                let state = shared.clone();
                async move {
                    let secret = state.secret.lock().unwrap().clone();
                    let valid = signature_valid(&secret, &headers, &body);
                    let header = |name: &str| {
                        headers
                            .get(name)
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or("")
                            .to_string()
                    };
                    state.hits.lock().unwrap().push(Hit {
                        event: header("x-web3audit-event"),
                        delivery: header("x-web3audit-delivery"),
                        signature_valid: valid,
                        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
                    });
                    if !valid {
                        return AxumStatus::UNAUTHORIZED;
                    }
                    let reply = state.script.lock().unwrap().pop_front();
                    match reply {
                        Some(Reply::Status(code)) => AxumStatus::from_u16(code).unwrap(),
                        Some(Reply::Sleep(d)) => {
                            tokio::time::sleep(d).await;
                            AxumStatus::OK
                        }
                        None => state
                            .otherwise
                            .lock()
                            .unwrap()
                            .map_or(AxumStatus::OK, |c| AxumStatus::from_u16(c).unwrap()),
                    }
                }
            });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        Receiver { addr, state }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/hooks/web3audit", self.addr.port())
    }

    fn trust(&self, secret: &str) {
        *self.state.secret.lock().unwrap() = secret.to_string();
    }

    fn script(&self, replies: &[Reply]) {
        self.state
            .script
            .lock()
            .unwrap()
            .extend(replies.iter().copied());
    }

    fn hits(&self) -> Vec<Hit> {
        self.state.hits.lock().unwrap().clone()
    }
}

// --- the service, on either backend ---

/// Short retries and time-outs, loopback allowed.
fn webhook_settings(s: &mut server::Settings) {
    s.egress_allow_hosts = vec!["127.0.0.1".into()];
    s.webhooks.timeout_ms = 2_000;
    s.webhooks.max_attempts = 4;
    s.webhooks.retry_base_ms = 20;
    s.webhooks.retry_max_ms = 100;
}

async fn start(
    backend: Backend,
    test: &str,
    tweak: impl FnOnce(&mut server::Settings),
) -> Option<TestServer> {
    let dir = Arc::new(tempfile::tempdir().unwrap());
    let mut settings = common::settings_for(dir.path());
    webhook_settings(&mut settings);
    tweak(&mut settings);
    if let Backend::Postgres = backend {
        settings.database_url = postgres_url(test).await?;
    }
    Some(common::start_in(dir, settings, true).await)
}

macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod on_sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(super::Backend::Sqlite).await;
                }
            )*
        }
        mod on_postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(super::Backend::Postgres).await;
                }
            )*
        }
    };
}

on_both_backends!(
    finished_audits_reach_the_receiver_signed_and_the_log_shows_them,
    a_failing_receiver_is_retried_until_it_answers,
);

// --- helpers ---

async fn create_webhook(
    server: &TestServer,
    key: &str,
    url: &str,
    events: &[&str],
) -> (StatusCode, Value) {
    server
        .post(
            key,
            "/api/v1/webhooks",
            json!({ "url": url, "events": events }),
        )
        .await
}

/// Creates a webhook to the receiver, which then trusts its secret.
async fn hook_to(server: &TestServer, receiver: &Receiver, events: &[&str]) -> String {
    let (status, body) = create_webhook(server, &server.admin_key, &receiver.url(), events).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let secret = body["secret"].as_str().unwrap();
    assert!(secret.starts_with("whsec_"), "{body}");
    receiver.trust(secret);
    body["id"].as_str().unwrap().to_string()
}

async fn deliveries(server: &TestServer, hook: &str) -> Vec<Value> {
    let (status, body) = server
        .get(
            &server.admin_key,
            &format!("/api/v1/webhooks/{hook}/deliveries"),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["items"].as_array().unwrap().clone()
}

/// Waits until the log of `hook` satisfies `done`.
async fn wait_log(server: &TestServer, hook: &str, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    for _ in 0..400 {
        let log = deliveries(server, hook).await;
        if done(&log) {
            return log;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!(
        "the delivery log of {hook} never got there: {:#?}",
        deliveries(server, hook).await
    );
}

fn all_final(log: &[Value], n: usize) -> bool {
    log.len() == n && log.iter().all(|d| d["status"] != "pending")
}

async fn ping(server: &TestServer, hook: &str) -> Value {
    let (status, body) = server
        .post(
            &server.admin_key,
            &format!("/api/v1/webhooks/{hook}/test"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

async fn audit_log(server: &TestServer, action: &str) -> Vec<Value> {
    let (status, body) = server
        .get(
            &server.admin_key,
            &format!("/api/v1/audit-log?action={action}"),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["items"].as_array().unwrap().clone()
}

// --- the tests ---

async fn finished_audits_reach_the_receiver_signed_and_the_log_shows_them(backend: Backend) {
    let Some(server) = start(backend, "finished_audits_reach_the_receiver", |_| {}).await else {
        return;
    };
    let receiver = Receiver::start().await;
    let hook = hook_to(
        &server,
        &receiver,
        &["audit.completed", "finding.high", "audit.failed"],
    )
    .await;

    let audit = server
        .submit(&server.admin_key, &[("Token.sol", TOKEN_SOL)])
        .await;
    assert_eq!(
        server.wait_final(&server.admin_key, &audit).await["status"],
        "succeeded"
    );
    let log = wait_log(&server, &hook, |log| all_final(log, 2)).await;

    let hits = receiver.hits();
    assert_eq!(hits.len(), 2, "{hits:#?}");
    assert!(hits.iter().all(|h| h.signature_valid), "{hits:#?}");
    let completed = hits.iter().find(|h| h.event == "audit.completed").unwrap();
    let body = &completed.body;
    assert_eq!(body["event"], "audit.completed");
    assert_eq!(body["tenant"], server.tenant_id.as_str());
    assert!(body["id"].as_str().is_some_and(|id| !id.is_empty()));
    assert!(body["created_at"].as_str().is_some());
    assert_eq!(body["audit"]["id"], audit.as_str());
    assert_eq!(body["audit"]["status"], "succeeded");
    assert_eq!(body["audit"]["counts"]["high"], 1);
    assert_eq!(
        body["audit"]["links"]["self"],
        format!("/api/v1/audits/{audit}")
    );
    let high = hits.iter().find(|h| h.event == "finding.high").unwrap();
    assert_eq!(high.body["finding_count"], 1);
    assert_eq!(high.body["findings"][0]["severity"], "high");
    assert_eq!(high.body["findings"][0]["detector"], "tx-origin");
    assert_eq!(high.body["findings"][0]["audit_id"], audit.as_str());

    // The log: one delivery per event, the ids sent as X-Web3audit-Delivery.
    for entry in &log {
        assert_eq!(entry["status"], "succeeded", "{entry}");
        assert_eq!(entry["last_status_code"], 200, "{entry}");
        assert_eq!(entry["attempts"], 1, "{entry}");
        assert!(entry["finished_at"].as_str().is_some(), "{entry}");
        let hit = hits
            .iter()
            .find(|h| h.delivery == entry["id"].as_str().unwrap());
        assert_eq!(hit.unwrap().event, entry["event"].as_str().unwrap());
    }

    // A failed audit is its own event; a webhook not subscribed to it hears nothing.
    let other = Receiver::start().await;
    let quiet = hook_to(&server, &other, &["finding.critical"]).await;
    let failed = server
        .submit(
            &server.admin_key,
            &[("Bad.sol", "// fail\ncontract A {}\n")],
        )
        .await;
    assert_eq!(
        server.wait_final(&server.admin_key, &failed).await["status"],
        "failed"
    );
    let log = wait_log(&server, &hook, |log| all_final(log, 3)).await;
    assert_eq!(log[0]["event"], "audit.failed");
    assert_eq!(log[0]["payload"]["audit"]["id"], failed.as_str());
    assert!(log[0]["payload"]["audit"]["error"].as_str().is_some());
    assert!(deliveries(&server, &quiet).await.is_empty());
    assert!(other.hits().is_empty());

    // The same sources again are answered from the cache: finished at once, same events.
    let cached = server
        .submit(&server.admin_key, &[("Token.sol", TOKEN_SOL)])
        .await;
    let (_, view) = server
        .get(&server.admin_key, &format!("/api/v1/audits/{cached}"))
        .await;
    assert_eq!(view["from_cache"], true, "{view}");
    let log = wait_log(&server, &hook, |log| all_final(log, 5)).await;
    let mut newest: Vec<_> = log[..2]
        .iter()
        .map(|d| d["event"].as_str().unwrap())
        .collect();
    newest.sort_unstable();
    assert_eq!(newest, ["audit.completed", "finding.high"]);
    assert!(
        log[..2]
            .iter()
            .all(|d| d["payload"]["audit"]["id"] == cached.as_str())
    );
}

async fn a_failing_receiver_is_retried_until_it_answers(backend: Backend) {
    let Some(server) = start(backend, "a_failing_receiver_is_retried", |_| {}).await else {
        return;
    };
    let receiver = Receiver::start().await;
    let hook = hook_to(&server, &receiver, &["audit.completed"]).await;
    receiver.script(&[Reply::Status(500), Reply::Status(503)]);
    let audit = server
        .submit(&server.admin_key, &[("Token.sol", TOKEN_SOL)])
        .await;
    server.wait_final(&server.admin_key, &audit).await;
    let log = wait_log(&server, &hook, |log| all_final(log, 1)).await;
    assert_eq!(log[0]["status"], "succeeded", "{log:#?}");
    assert_eq!(log[0]["attempts"], 3);
    assert_eq!(log[0]["last_status_code"], 200);
    let hits = receiver.hits();
    assert_eq!(hits.len(), 3);
    // Every attempt carries the same delivery id and body, freshly signed.
    assert!(
        hits.iter()
            .all(|h| h.signature_valid && h.delivery == log[0]["id"].as_str().unwrap())
    );
    assert!(hits.iter().all(|h| h.body == hits[0].body));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_that_does_not_answer_in_time_is_retried() {
    let server = start(Backend::Sqlite, "", |s| s.webhooks.timeout_ms = 300)
        .await
        .unwrap();
    let receiver = Receiver::start().await;
    let hook = hook_to(&server, &receiver, &["audit.completed"]).await;
    receiver.script(&[Reply::Sleep(Duration::from_millis(1_500))]);
    let first = ping(&server, &hook).await;
    assert_eq!(first["status"], "pending", "{first}");
    assert_eq!(first["attempts"], 1);
    assert_eq!(first["last_status_code"], Value::Null);
    assert!(
        first["last_error"]
            .as_str()
            .unwrap()
            .contains("no answer within 300 ms"),
        "{first}"
    );
    assert!(first["next_attempt_at"].as_str().is_some(), "{first}");
    let log = wait_log(&server, &hook, |log| all_final(log, 1)).await;
    assert_eq!(log[0]["id"], first["id"]);
    assert_eq!(log[0]["status"], "succeeded", "{log:#?}");
    assert_eq!(log[0]["attempts"], 2);
    assert_eq!(log[0]["event"], "ping");
    assert_eq!(receiver.hits().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_test_endpoint_answers_with_the_outcome_and_a_wrong_secret_is_rejected() {
    let server = start(Backend::Sqlite, "", |_| {}).await.unwrap();
    let receiver = Receiver::start().await;
    let hook = hook_to(&server, &receiver, &["audit.completed"]).await;

    let ok = ping(&server, &hook).await;
    assert_eq!(ok["status"], "succeeded", "{ok}");
    assert_eq!(ok["event"], "ping");
    assert_eq!(ok["last_status_code"], 200);
    assert_eq!(ok["payload"]["webhook"]["id"], hook.as_str());
    assert!(receiver.hits()[0].signature_valid);

    // A receiver holding another secret refuses the signature: a 401 fails at once.
    receiver.trust("whsec_not-the-secret");
    let refused = ping(&server, &hook).await;
    assert_eq!(refused["status"], "failed", "{refused}");
    assert_eq!(refused["attempts"], 1);
    assert_eq!(refused["last_status_code"], 401);
    assert!(refused["last_error"].as_str().unwrap().contains("401"));
    let hits = receiver.hits();
    assert_eq!(hits.len(), 2);
    assert!(!hits[1].signature_valid);

    // The secret is shown once: never in reads.
    let (_, one) = server
        .get(&server.admin_key, &format!("/api/v1/webhooks/{hook}"))
        .await;
    assert_eq!(one["id"], hook.as_str());
    assert!(one.get("secret").is_none(), "{one}");
    assert_eq!(one["consecutive_failures"], 1);
    let (_, list) = server.get(&server.admin_key, "/api/v1/webhooks").await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert!(!list.to_string().contains("whsec_"), "{list}");
    let log = deliveries(&server, &hook).await;
    assert_eq!(log.len(), 2);
    assert_eq!(log[0]["id"], refused["id"], "newest first");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn destinations_outside_the_allow_list_are_never_contacted() {
    let server = start(Backend::Sqlite, "", |s| {
        s.egress_allow_hosts = vec!["127.0.0.1".into(), "169.254.169.254".into()];
    })
    .await
    .unwrap();
    let receiver = Receiver::start().await;
    let port = receiver.addr.port();

    // Refused at creation, with the reason.
    for (url, reason) in [
        (
            "http://169.254.169.254/latest/meta-data/".to_string(),
            "169.254.169.254",
        ),
        (format!("http://localhost:{port}/"), "allow-list"),
        (format!("ftp://127.0.0.1:{port}/"), "scheme"),
    ] {
        let (status, body) =
            create_webhook(&server, &server.admin_key, &url, &["audit.completed"]).await;
        common::assert_problem(
            status,
            &body,
            StatusCode::UNPROCESSABLE_ENTITY,
            "url-not-allowed",
        );
        assert!(body["detail"].as_str().unwrap().contains(reason), "{body}");
    }

    // Rows accepted under an earlier allow-list: checked again before every attempt.
    let store = store::connect(&server.db_url).await.unwrap();
    for (id, url) in [
        ("hook-name", format!("http://localhost:{port}/hooks")),
        (
            "hook-metadata",
            "http://169.254.169.254/latest/meta-data/".to_string(),
        ),
    ] {
        store
            .create_webhook(&store::Webhook {
                id: id.into(),
                tenant_id: server.tenant_id.clone(),
                url,
                secret: "whsec_old".into(),
                events: vec!["audit.completed".into()],
                description: String::new(),
                enabled: true,
                disabled_reason: None,
                consecutive_failures: 0,
                created_by: "user:old".into(),
                created_at: 1,
                updated_at: 1,
            })
            .await
            .unwrap();
    }
    let audit = server
        .submit(&server.admin_key, &[("Token.sol", TOKEN_SOL)])
        .await;
    server.wait_final(&server.admin_key, &audit).await;
    let named = wait_log(&server, "hook-name", |log| all_final(log, 1)).await;
    assert_eq!(named[0]["status"], "refused", "{named:#?}");
    assert_eq!(named[0]["attempts"], 1);
    assert!(
        named[0]["last_error"]
            .as_str()
            .unwrap()
            .contains("allow-list")
    );
    let metadata = wait_log(&server, "hook-metadata", |log| all_final(log, 1)).await;
    assert_eq!(metadata[0]["status"], "refused", "{metadata:#?}");
    assert!(
        metadata[0]["last_error"]
            .as_str()
            .unwrap()
            .contains("169.254.169.254")
    );
    assert!(
        receiver.hits().is_empty(),
        "a refused destination was contacted"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_failures_disable_the_webhook_until_an_admin_enables_it() {
    let server = start(Backend::Sqlite, "", |s| {
        s.webhooks.max_attempts = 1;
        s.webhooks.disable_after_failures = 2;
    })
    .await
    .unwrap();
    let receiver = Receiver::start().await;
    let hook = hook_to(&server, &receiver, &["audit.completed"]).await;
    *receiver.state.otherwise.lock().unwrap() = Some(500);

    assert_eq!(ping(&server, &hook).await["status"], "failed");
    let (_, one) = server
        .get(&server.admin_key, &format!("/api/v1/webhooks/{hook}"))
        .await;
    assert_eq!(one["enabled"], true);
    let second = ping(&server, &hook).await;
    assert_eq!(second["status"], "failed");
    assert!(
        second["last_error"]
            .as_str()
            .unwrap()
            .contains("gave up after 1 attempts")
    );
    let (_, one) = server
        .get(&server.admin_key, &format!("/api/v1/webhooks/{hook}"))
        .await;
    assert_eq!(one["enabled"], false, "{one}");
    assert!(
        one["disabled_reason"]
            .as_str()
            .unwrap()
            .contains("2 consecutive"),
        "{one}"
    );
    let trail = audit_log(&server, "webhook.disabled").await;
    assert_eq!(trail.len(), 1, "{trail:#?}");
    assert_eq!(trail[0]["actor"], "system:webhooks");
    assert_eq!(trail[0]["target"], hook.as_str());

    // Disabled: a finished audit queues nothing for it.
    let audit = server
        .submit(&server.admin_key, &[("Token.sol", TOKEN_SOL)])
        .await;
    server.wait_final(&server.admin_key, &audit).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(deliveries(&server, &hook).await.len(), 2);

    // Re-enabled by an admin: the count starts again, and the change is in the trail.
    *receiver.state.otherwise.lock().unwrap() = None;
    let (status, body) = patch(
        &server,
        &format!("/api/v1/webhooks/{hook}"),
        json!({ "enabled": true }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["enabled"], true);
    assert_eq!(body["consecutive_failures"], 0);
    assert_eq!(body["disabled_reason"], Value::Null);
    assert_eq!(ping(&server, &hook).await["status"], "succeeded");
    let trail = audit_log(&server, "webhook.updated").await;
    assert_eq!(trail[0]["detail"]["enabled"], true, "{trail:#?}");
}

async fn patch(server: &TestServer, path: &str, body: Value) -> (StatusCode, Value) {
    let response = server
        .client
        .patch(server.url(path))
        .header("x-api-key", &server.admin_key)
        .json(&body)
        .send()
        .await
        .unwrap();
    common::split(response).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_are_admin_only_tenant_scoped_and_validated() {
    let server = start(Backend::Sqlite, "", |_| {}).await.unwrap();
    let receiver = Receiver::start().await;
    let hook = hook_to(&server, &receiver, &["audit.completed"]).await;
    let path = format!("/api/v1/webhooks/{hook}");

    let auditor = server.key_with_role("auditor").await;
    let (status, body) = server.get(&auditor, "/api/v1/webhooks").await;
    common::assert_problem(status, &body, StatusCode::FORBIDDEN, "forbidden");
    let (status, body) =
        create_webhook(&server, &auditor, &receiver.url(), &["audit.completed"]).await;
    common::assert_problem(status, &body, StatusCode::FORBIDDEN, "forbidden");

    let (_, other_admin) = server.other_tenant("globex").await;
    let (status, body) = server.get(&other_admin, &path).await;
    common::assert_problem(status, &body, StatusCode::NOT_FOUND, "not-found");
    let (status, body) = server
        .get(&other_admin, &format!("{path}/deliveries"))
        .await;
    common::assert_problem(status, &body, StatusCode::NOT_FOUND, "not-found");
    let (_, list) = server.get(&other_admin, "/api/v1/webhooks").await;
    assert_eq!(list["items"], json!([]));

    let (status, body) = create_webhook(
        &server,
        &server.admin_key,
        &receiver.url(),
        &["audit.exploded"],
    )
    .await;
    common::assert_problem(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid-request",
    );
    let (status, body) = create_webhook(&server, &server.admin_key, &receiver.url(), &[]).await;
    common::assert_problem(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid-request",
    );
    let (status, body) = patch(&server, &path, json!({ "url": "http://10.0.0.1/" })).await;
    common::assert_problem(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "url-not-allowed",
    );

    let (status, body) = patch(
        &server,
        &path,
        json!({ "events": ["finding.critical", "finding.critical"], "description": "pager" }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["events"], json!(["finding.critical"]));
    assert_eq!(body["description"], "pager");
    assert_eq!(audit_log(&server, "webhook.created").await.len(), 1);

    let response = server
        .client
        .delete(server.url(&path))
        .header("x-api-key", &server.admin_key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let (status, _) = server.get(&server.admin_key, &path).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(audit_log(&server, "webhook.deleted").await.len(), 1);
}
