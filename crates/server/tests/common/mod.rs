//! Shared harness: a real server on an ephemeral port, over SQLite in a temp dir, with a
//! small deterministic analyzer (one finding per line that mentions `tx.origin`).

#![allow(dead_code, unreachable_pub)]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use server::{
    AnalysisError, AnalysisOutput, AnalysisRequest, AnalyzedFinding, Analyzer, Secret, Service,
    Settings,
};

pub const SECRET: &str = "test-secret-key-0123456789abcdef-0123456789";

/// One high finding per line containing `tx.origin`; a line `// sleep MS` sleeps; a line
/// `// panic` panics; a line `// fail` returns an error. A deployed contract gets one
/// medium finding naming its chain, address and block; on the chain `down` it fails.
#[derive(Debug, Default)]
pub struct TxOriginAnalyzer;

impl Analyzer for TxOriginAnalyzer {
    fn version(&self) -> String {
        "tx-origin-test/1".into()
    }

    fn analyze(&self, request: &AnalysisRequest) -> Result<AnalysisOutput, AnalysisError> {
        let mut findings = Vec::new();
        if let Some(target) = &request.target {
            if target.chain == "down" {
                return Err(AnalysisError::new(
                    "chain `down`: the RPC endpoint is unreachable",
                ));
            }
            let block = target.block.map_or("latest".to_owned(), |b| b.to_string());
            findings.push(AnalyzedFinding {
                detector: "deployed".into(),
                title: "Deployed contract".into(),
                severity: "medium".into(),
                confidence: "high".into(),
                file: target.address.clone(),
                start_line: 0,
                end_line: 0,
                message: format!("{} on {} at {block}", target.address, target.chain),
                fingerprint: format!("deployed:{}:{}", target.chain, target.address),
                category: None,
                swc: None,
                shape: None,
            });
        }
        for (file, text) in &request.sources {
            for (index, line) in text.lines().enumerate() {
                if let Some(ms) = line.trim().strip_prefix("// sleep ") {
                    std::thread::sleep(Duration::from_millis(ms.trim().parse().unwrap_or(0)));
                }
                if line.trim() == "// panic" {
                    panic!("test analyzer asked to panic");
                }
                if line.trim() == "// fail" {
                    return Err(AnalysisError::new("test analyzer asked to fail"));
                }
                if line.contains("tx.origin") {
                    findings.push(AnalyzedFinding {
                        detector: "tx-origin".into(),
                        title: "Authorization through tx.origin".into(),
                        severity: "high".into(),
                        confidence: "high".into(),
                        file: file.clone(),
                        start_line: index as u32 + 1,
                        end_line: index as u32 + 1,
                        message: "`tx.origin` used for authorization".into(),
                        fingerprint: format!("tx-origin:{file}:{}", line.trim()),
                        category: Some("access_control".into()),
                        swc: Some("SWC-115".into()),
                        // The same code in another file is the same shape.
                        shape: Some(format!("tx-origin:{}", line.trim())),
                    });
                }
            }
        }
        let min = request.min_severity.as_deref();
        if min == Some("critical") {
            findings.clear();
        }
        let mut reports = BTreeMap::new();
        reports.insert(
            "sarif".to_string(),
            json!({ "version": "2.1.0", "runs": [{ "results": findings.len() }] }).to_string(),
        );
        reports.insert(
            "markdown".to_string(),
            format!("# Audit report\n\n{} finding(s)\n", findings.len()),
        );
        Ok(AnalysisOutput { findings, reports })
    }
}

pub const TOKEN_SOL: &str = "pragma solidity ^0.8.0;\ncontract Token {\n    address owner;\n    function withdraw() public {\n        require(tx.origin == owner);\n    }\n}\n";

pub struct TestServer {
    pub base: String,
    pub client: reqwest::Client,
    pub dir: Arc<tempfile::TempDir>,
    pub db_url: String,
    pub tenant_id: String,
    pub admin_key: String,
    pub admin_email: String,
    pub admin_password: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    handle: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

pub fn settings_for(dir: &std::path::Path) -> Settings {
    let defaults = Settings::default();
    Settings {
        database_url: format!("sqlite://{}/web3audit.db", dir.display()),
        secret_key: Some(Secret::new(SECRET)),
        max_concurrent_audits: 2,
        rate_limits: server::config::RateLimits {
            key_per_minute: 100_000,
            tenant_per_minute: 100_000,
            burst: 10_000,
        },
        log_format: "text".into(),
        ..defaults
    }
}

pub async fn start(tweak: impl FnOnce(&mut Settings)) -> TestServer {
    let dir = Arc::new(tempfile::tempdir().unwrap());
    let mut settings = settings_for(dir.path());
    tweak(&mut settings);
    start_in(dir, settings, true).await
}

/// Starts a server over `dir`; bootstraps when asked (first start).
pub async fn start_in(
    dir: Arc<tempfile::TempDir>,
    settings: Settings,
    bootstrap: bool,
) -> TestServer {
    settings.validate().unwrap();
    let store = store::connect(&settings.database_url).await.unwrap();
    let signer = store::trail::Signer::new(SECRET.as_bytes());
    let password = "correct horse battery staple".to_string();
    let (tenant_id, admin_key) = if bootstrap {
        let out = server::bootstrap(
            store.as_ref(),
            &signer,
            "acme",
            "admin@acme.test",
            Some(password.clone()),
        )
        .await
        .unwrap();
        (out.tenant_id, out.api_key)
    } else {
        (String::new(), String::new())
    };
    let db_url = settings.database_url.clone();
    let service = Service::start(
        settings,
        store,
        Arc::new(TxOriginAnalyzer),
        Secret::new(SECRET),
    )
    .await
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let handle = tokio::spawn(service.run(listener, async move {
        let _ = stopped.await;
    }));
    TestServer {
        base,
        client: reqwest::Client::new(),
        dir,
        db_url,
        tenant_id,
        admin_key,
        admin_email: "admin@acme.test".into(),
        admin_password: password,
        stop: Some(stop),
        handle: Some(handle),
    }
}

impl TestServer {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Graceful stop; returns the data directory for a restart.
    pub async fn stop(mut self) -> Arc<tempfile::TempDir> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(handle) = self.handle.take() {
            handle.await.unwrap().unwrap();
        }
        self.dir.clone()
    }

    pub async fn get(&self, key: &str, path: &str) -> (StatusCode, Value) {
        let response = self
            .client
            .get(self.url(path))
            .header("x-api-key", key)
            .send()
            .await
            .unwrap();
        split(response).await
    }

    pub async fn post(&self, key: &str, path: &str, body: Value) -> (StatusCode, Value) {
        self.send(reqwest::Method::POST, key, path, Some(body))
            .await
    }

    /// Any request with an API key, with a JSON body when given.
    pub async fn send(
        &self,
        method: reqwest::Method,
        key: &str,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self
            .client
            .request(method, self.url(path))
            .header("x-api-key", key);
        if let Some(body) = body {
            request = request.json(&body);
        }
        split(request.send().await.unwrap()).await
    }

    pub async fn submit(&self, key: &str, sources: &[(&str, &str)]) -> String {
        let sources: BTreeMap<_, _> = sources
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let (status, body) = self
            .post(key, "/api/v1/audits", json!({ "sources": sources }))
            .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
        body["id"].as_str().unwrap().to_string()
    }

    pub async fn wait_final(&self, key: &str, id: &str) -> Value {
        for _ in 0..400 {
            let (status, audit) = self.get(key, &format!("/api/v1/audits/{id}")).await;
            assert_eq!(status, StatusCode::OK, "{audit}");
            if !matches!(audit["status"].as_str(), Some("queued" | "running")) {
                return audit;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("audit {id} did not finish");
    }

    /// Creates a credential with `role` in this server's tenant.
    pub async fn key_with_role(&self, role: &str) -> String {
        let (status, body) = self
            .post(
                &self.admin_key,
                "/api/v1/api-keys",
                json!({ "name": role, "role": role }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["api_key"].as_str().unwrap().to_string()
    }

    /// Creates another tenant with an admin key.
    pub async fn other_tenant(&self, name: &str) -> (String, String) {
        let (status, tenant) = self
            .post(
                &self.admin_key,
                "/api/v1/tenants",
                json!({ "name": name, "plan": "pro" }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{tenant}");
        let tenant_id = tenant["id"].as_str().unwrap().to_string();
        let (status, key) = self
            .post(
                &self.admin_key,
                "/api/v1/api-keys",
                json!({ "name": "admin", "role": "admin", "tenant_id": tenant_id }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{key}");
        (tenant_id, key["api_key"].as_str().unwrap().to_string())
    }

    /// Rows in a table, read directly from the database.
    pub async fn count(&self, table: &str) -> i64 {
        let pool = sqlx::SqlitePool::connect(&self.db_url).await.unwrap();
        let n: (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(&pool)
            .await
            .unwrap();
        pool.close().await;
        n.0
    }
}

pub async fn split(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    let text = response.text().await.unwrap();
    let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, value)
}

/// Asserts a problem document with the given status and `type` slug.
pub fn assert_problem(status: StatusCode, body: &Value, expected: StatusCode, slug: &str) {
    assert_eq!(status, expected, "{body}");
    assert_eq!(
        body["type"],
        format!("{}{slug}", server::PROBLEM_TYPE_PREFIX),
        "{body}"
    );
    assert_eq!(body["status"], expected.as_u16(), "{body}");
    assert!(
        body["detail"].as_str().is_some_and(|d| !d.is_empty()),
        "{body}"
    );
}

// --- backends ---

/// Which database a test runs on.
#[derive(Debug, Clone, Copy)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub const POSTGRES_ENV: &str = "WEB3AUDIT_TEST_POSTGRES_URL";

/// A URL of the test database whose search path is a fresh schema; `None` (saying so)
/// when `WEB3AUDIT_TEST_POSTGRES_URL` is unset.
pub async fn postgres_url(test: &str) -> Option<String> {
    let Ok(base) = std::env::var(POSTGRES_ENV) else {
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr().lock(),
            "skipped {test} on PostgreSQL: {POSTGRES_ENV} is not set (.ci/run sets it to a throw-away database)"
        );
        return None;
    };
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let schema = format!(
        "server_test_{}_{}_{nanos}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    );
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

/// A bootstrapped server on `backend`; `None` when PostgreSQL is asked for but not set.
pub async fn start_on(
    backend: Backend,
    test: &str,
    tweak: impl FnOnce(&mut Settings),
) -> Option<TestServer> {
    let dir = Arc::new(tempfile::tempdir().unwrap());
    let mut settings = settings_for(dir.path());
    tweak(&mut settings);
    if let Backend::Postgres = backend {
        settings.database_url = postgres_url(test).await?;
    }
    Some(start_in(dir, settings, true).await)
}

// --- monitoring ---

/// Lets monitors follow a node on loopback (the egress policy refuses it otherwise).
pub fn allow_loopback(settings: &mut Settings) {
    settings.egress_allow_hosts = vec!["127.0.0.1".into()];
}

/// A monitor file with one monitor named `name` watching an ownership event.
pub fn monitor_config(name: &str) -> String {
    format!(
        r#"[lists]
allow_list = ["0x1111111111111111111111111111111111111111"]

[[monitors]]
name = "{name}"
chain_id = 31337
rpc = ["http://127.0.0.1:8545"]

[[monitors.contracts]]
name = "Vault"
address = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
signatures = ["event OwnershipTransferred(address indexed previousOwner, address indexed newOwner)"]

[[monitors.rules]]
name = "owner-changed"
kind = "event"
contract = "Vault"
event = "OwnershipTransferred"
when = "newOwner not in allow_list"
level = "critical"
"#
    )
}

/// Creates a monitor named `name` through the API; answers its id.
pub async fn create_monitor(server: &TestServer, key: &str, name: &str) -> String {
    let (status, body) = server
        .post(
            key,
            "/api/v1/monitors",
            json!({ "name": name, "config": monitor_config(name) }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["id"].as_str().unwrap().to_string()
}

/// Records, as the monitor engine would, one firing of `rule` at `level` in the next
/// block of monitor `monitor_id`; answers what the store did.
pub async fn fire(
    server: &TestServer,
    tenant_id: &str,
    monitor_id: &str,
    monitor_name: &str,
    rule: &str,
    level: &str,
) -> store::RecordedBlocks {
    let store = store::connect(&server.db_url).await.unwrap();
    let chain_id = 31337;
    let previous = store
        .get_monitor_checkpoint(monitor_id, chain_id)
        .await
        .unwrap();
    let block = previous.as_ref().map_or(100, |c| c.next_block);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let hash = format!("0x{block:064x}");
    let blocks = store::MonitorBlocks {
        monitor_key: monitor_id.to_string(),
        monitor_name: monitor_name.to_string(),
        tenant_id: tenant_id.to_string(),
        expected_next: previous.as_ref().map(|c| c.next_block),
        checkpoint: store::MonitorCheckpoint {
            monitor_key: monitor_id.to_string(),
            chain_id,
            next_block: block + 1,
            last_hash: Some(hash.clone()),
            state: json!({}),
            updated_at: now,
        },
        events: vec![store::NewMonitorEvent {
            id: format!("{monitor_id}-{rule}-{block}"),
            rule: rule.to_string(),
            level: level.to_string(),
            block_number: block,
            block_hash: hash,
            tx_hash: Some(format!("0x{:064x}", block + 7)),
            tx_index: 0,
            log_index: 0,
            dedup_key: format!("{rule}-{block}"),
            cooldown_ms: 600_000,
            detail: json!({ "summary": format!("{rule} fired in block {block}") }),
        }],
        now,
    };
    store.record_monitor_blocks(&blocks).await.unwrap()
}

/// Creates a monitor and fires it once; answers `(monitor id, incident id)`.
pub async fn open_incident(
    server: &TestServer,
    key: &str,
    tenant_id: &str,
    name: &str,
) -> (String, String) {
    let monitor = create_monitor(server, key, name).await;
    let recorded = fire(
        server,
        tenant_id,
        &monitor,
        name,
        "owner-changed",
        "critical",
    )
    .await;
    assert_eq!(recorded.incidents_opened.len(), 1, "{recorded:?}");
    (monitor, recorded.incidents_opened[0].id.clone())
}

// --- the assistant ---

#[allow(unused_imports)]
pub use assistant_provider::*;

/// A local server speaking the OpenAI-compatible chat API, and helpers around it.
mod assistant_provider {
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use assistant::{AssistantSettings, ProviderConfig, ProviderKind};
    use axum::Json;
    use axum::extract::State;
    use axum::http::StatusCode as AxumStatus;
    use axum::response::{IntoResponse, Response};
    use reqwest::StatusCode;
    use serde_json::{Value, json};

    use super::{TestServer, allow_loopback, start};

    /// What the fake provider answers, and the request bodies it received.
    #[derive(Default)]
    pub struct Provider {
        pub mode: Mutex<&'static str>,
        pub bodies: Mutex<Vec<Value>>,
    }

    pub fn content(extra: Option<(&str, Value)>) -> String {
        let mut answer = json!({
            "explanation": "The owner check reads tx.origin, which is the original sender.",
            "attack_scenario": "A contract the owner calls forwards the call to withdraw().",
            "patch_diff": null,
            "verdict": "likely_true",
            "reasoning": "tx.origin authentication is phishable.",
            "confidence": 0.8
        });
        if let Some((key, value)) = extra {
            answer[key] = value;
        }
        answer.to_string()
    }

    pub async fn chat(State(provider): State<Arc<Provider>>, Json(body): Json<Value>) -> Response {
        provider.bodies.lock().unwrap().push(body);
        let mode = *provider.mode.lock().unwrap();
        let text = match mode {
            "down" => {
                return (
                    AxumStatus::INTERNAL_SERVER_ERROR,
                    Json(json!({ "error": { "message": "upstream overloaded" } })),
                )
                    .into_response();
            }
            // A comment in the contract steered the model into adding a triage decision.
            "injected" => content(Some(("triage_state", json!("false_positive")))),
            _ => content(None),
        };
        Json(json!({
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "model": "test-model",
            "choices": [{ "index": 0, "finish_reason": "stop",
                "message": { "role": "assistant", "content": text } }],
            "usage": { "prompt_tokens": 120, "completion_tokens": 80, "total_tokens": 200 }
        }))
        .into_response()
    }

    pub async fn fake_provider() -> (String, Arc<Provider>) {
        let provider = Arc::new(Provider::default());
        *provider.mode.lock().unwrap() = "good";
        let app = axum::Router::new()
            .route("/v1/chat/completions", axum::routing::post(chat))
            .with_state(provider.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let endpoint = format!("http://{}/v1", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (endpoint, provider)
    }

    pub fn profile(endpoint: &str, budget: u64) -> AssistantSettings {
        AssistantSettings {
            enabled: true,
            daily_token_budget: budget,
            provider: ProviderConfig {
                kind: ProviderKind::OpenAiCompatible,
                endpoint: endpoint.to_owned(),
                model: "test-model".into(),
                api_key: None,
                timeout_secs: 5,
                max_output_tokens: 256,
            },
        }
    }

    pub async fn start_with_assistant(endpoint: &str) -> TestServer {
        let endpoint = endpoint.to_owned();
        start(move |settings| {
            allow_loopback(settings);
            settings
                .assistants
                .insert("local".into(), profile(&endpoint, 1_000_000));
            // Too small for one call: the estimate alone is over it.
            settings
                .assistants
                .insert("tight".into(), profile(&endpoint, 300));
            let mut off = profile(&endpoint, 1_000_000);
            off.enabled = false;
            settings.assistants.insert("off".into(), off);
            // Every plan (the bootstrapped operator tenant's included) offers them.
            for plan in settings.plans.values_mut() {
                plan.assistants = vec!["local".into(), "tight".into(), "off".into()];
            }
        })
        .await
    }

    pub async fn put(
        server: &TestServer,
        key: &str,
        path: &str,
        body: Value,
    ) -> (StatusCode, Value) {
        server
            .send(reqwest::Method::PUT, key, path, Some(body))
            .await
    }

    pub async fn first_finding(server: &TestServer, source: &str) -> (String, Value) {
        let audit = server
            .submit(&server.admin_key, &[("Token.sol", source)])
            .await;
        let done = server.wait_final(&server.admin_key, &audit).await;
        assert_eq!(done["status"], "succeeded", "{done}");
        let (status, findings) = server
            .get(
                &server.admin_key,
                &format!("/api/v1/audits/{audit}/findings"),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        (audit, findings["items"][0].clone())
    }

    /// Polls the finding's newest suggestion until it is answered or given up.
    pub async fn settled(server: &TestServer, finding: &str) -> Value {
        for _ in 0..400 {
            let (status, list) = server
                .get(
                    &server.admin_key,
                    &format!("/api/v1/findings/{finding}/suggestions"),
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{list}");
            let newest = &list["items"][0];
            if matches!(newest["status"].as_str(), Some("done" | "failed")) {
                return newest.clone();
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("the suggestion on {finding} was not answered");
    }

    pub async fn ask(server: &TestServer, key: &str, finding: &str) -> (StatusCode, Value) {
        server
            .post(
                key,
                &format!("/api/v1/findings/{finding}/suggestions"),
                json!({}),
            )
            .await
    }
}
