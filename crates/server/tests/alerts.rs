//! Alert rules and channels over real sockets: the service on loopback, a Slack-compatible
//! and a signed-webhook receiver on loopback, and an SMTP server on loopback that speaks
//! STARTTLS with a certificate made here by a CA made here.

mod common;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::HeaderMap;
use reqwest::StatusCode;
use serde_json::{Value, json};
use server::config::{
    AlertChannel, AlertChannelKind, AlertLevel, AlertRule, AlertRuleKind, Period, StartTls,
};
use server::{
    AnalysisError, AnalysisOutput, AnalysisRequest, AnalyzedFinding, Analyzer, NodeRole, Secret,
    Service, Settings,
};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};

use common::{SECRET, settings_for, split};

/// A line `// critical N` gives N critical findings.
#[derive(Debug)]
struct CriticalAnalyzer;

impl Analyzer for CriticalAnalyzer {
    fn version(&self) -> String {
        "critical-test/1".into()
    }

    fn analyze(&self, request: &AnalysisRequest) -> Result<AnalysisOutput, AnalysisError> {
        let mut findings = Vec::new();
        for (file, text) in &request.sources {
            for line in text.lines() {
                let Some(n) = line.trim().strip_prefix("// critical ") else {
                    continue;
                };
                for i in 0..n.trim().parse::<u32>().unwrap_or(0) {
                    findings.push(AnalyzedFinding {
                        detector: "drain".into(),
                        title: "Anyone can drain the contract".into(),
                        severity: "critical".into(),
                        confidence: "high".into(),
                        file: file.clone(),
                        start_line: i + 1,
                        end_line: i + 1,
                        message: "funds can be withdrawn by anyone".into(),
                        fingerprint: format!("drain:{file}:{i}"),
                        category: None,
                        swc: None,
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

struct Server {
    base: String,
    client: reqwest::Client,
    admin_key: String,
    tenant_id: String,
    _dir: tempfile::TempDir,
    stop: tokio::sync::oneshot::Sender<()>,
    handle: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Server {
    async fn start(role: NodeRole, tweak: impl FnOnce(&mut Settings)) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let mut settings = settings_for(dir.path());
        settings.max_concurrent_audits = 4;
        settings.alerts.evaluate_every = Period::from_millis(100);
        tweak(&mut settings);
        settings.validate().unwrap();
        let store = store::connect(&settings.database_url).await.unwrap();
        let signer = store::trail::Signer::new(SECRET.as_bytes());
        let boot = server::bootstrap(store.as_ref(), &signer, "operator", "admin@op.test", None)
            .await
            .unwrap();
        let service = Service::start_node(
            role,
            settings,
            store,
            Arc::new(CriticalAnalyzer),
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
        Server {
            base,
            client: reqwest::Client::new(),
            admin_key: boot.api_key,
            tenant_id: boot.tenant_id,
            _dir: dir,
            stop,
            handle,
        }
    }

    async fn stop(self) {
        let _ = self.stop.send(());
        self.handle.await.unwrap().unwrap();
    }

    async fn get(&self, key: &str, path: &str) -> (StatusCode, Value) {
        let request = self.client.get(format!("{}{path}", self.base));
        split(request.header("x-api-key", key).send().await.unwrap()).await
    }

    async fn post(&self, key: &str, path: &str, body: Value) -> (StatusCode, Value) {
        let request = self.client.post(format!("{}{path}", self.base));
        split(
            request
                .header("x-api-key", key)
                .json(&body)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    async fn submit(&self, key: &str, source: &str) -> String {
        let (status, body) = self
            .post(
                key,
                "/api/v1/audits",
                json!({ "sources": { "A.sol": source } }),
            )
            .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
        body["id"].as_str().unwrap().to_string()
    }

    async fn wait_final(&self, key: &str, id: &str) {
        for _ in 0..400 {
            let (_, audit) = self.get(key, &format!("/api/v1/audits/{id}")).await;
            if !matches!(audit["status"].as_str(), Some("queued" | "running")) {
                assert_eq!(audit["status"], "succeeded", "{audit}");
                return;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("audit {id} did not finish");
    }

    /// Polls `GET path` with `key` until `done` holds of the answer.
    async fn wait_for(&self, key: &str, path: &str, done: impl Fn(&Value) -> bool) -> Value {
        for _ in 0..400 {
            let (status, body) = self.get(key, path).await;
            assert_eq!(status, StatusCode::OK, "{body}");
            if done(&body) {
                return body;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        let (_, body) = self.get(key, path).await;
        panic!("{path} never reached the expected state: {body}");
    }

    /// Another tenant with an admin key.
    async fn tenant(&self, name: &str) -> (String, String) {
        let (status, tenant) = self
            .post(&self.admin_key, "/api/v1/tenants", json!({ "name": name }))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{tenant}");
        let id = tenant["id"].as_str().unwrap().to_string();
        let (status, key) = self
            .post(
                &self.admin_key,
                "/api/v1/api-keys",
                json!({ "name": "admin", "role": "admin", "tenant_id": id }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{key}");
        (id, key["api_key"].as_str().unwrap().to_string())
    }
}

/// What an HTTP receiver on loopback was sent.
#[derive(Debug, Clone)]
struct Received {
    headers: HeaderMap,
    raw: String,
    body: Value,
}

/// A loopback HTTP receiver answering 200 to every `POST /hook`.
async fn receiver() -> (String, Arc<Mutex<Vec<Received>>>) {
    let received = Arc::new(Mutex::new(Vec::new()));
    let sink = received.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: Bytes| {
            let sink = sink.clone();
            async move {
                let raw = String::from_utf8_lossy(&body).into_owned();
                let body = serde_json::from_slice(&body).unwrap_or(Value::Null);
                sink.lock().unwrap().push(Received { headers, raw, body });
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, received)
}

fn finding_rule(name: &str) -> AlertRule {
    AlertRule {
        name: name.into(),
        kind: AlertRuleKind::Finding,
        severity: AlertLevel::Critical,
        cooldown: Period::from_secs(600),
        escalate_after: None,
        escalate_to: Vec::new(),
        min_severity: Some("critical".into()),
        tenants: Vec::new(),
        window: None,
        max_share: None,
        min_count: None,
        threshold: None,
        sustained: None,
    }
}

fn channel(name: &str, kind: AlertChannelKind, levels: &[AlertLevel]) -> AlertChannel {
    AlertChannel {
        name: name.into(),
        kind,
        levels: levels.to_vec(),
        url: None,
        secret: None,
        to: Vec::new(),
    }
}

fn items(body: &Value) -> &Vec<Value> {
    body["items"].as_array().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_burst_of_critical_findings_sends_one_alert_per_cooldown_window() {
    let (slack_url, slack) = receiver().await;
    let server = Server::start(NodeRole::Combined, |s| {
        s.egress_allow_hosts = vec!["127.0.0.1".into()];
        s.alerts.rules = vec![finding_rule("critical-findings")];
        let mut slack = channel(
            "ops-slack",
            AlertChannelKind::Slack,
            &[AlertLevel::Critical],
        );
        slack.url = Some(slack_url);
        s.alerts.channels = vec![slack];
    })
    .await;
    let key = server.admin_key.clone();

    // 100 critical findings: ten audits of ten, running four at a time.
    let mut audits = Vec::new();
    for i in 0..10 {
        audits.push(
            server
                .submit(&key, &format!("contract C{i} {{}}\n// critical 10\n"))
                .await,
        );
    }
    for id in &audits {
        server.wait_final(&key, id).await;
    }
    let list = server
        .wait_for(&key, "/api/v1/alerts", |b| {
            items(b)
                .iter()
                .map(|a| a["occurrences"].as_i64().unwrap())
                .sum::<i64>()
                == 100
        })
        .await;
    assert_eq!(items(&list).len(), 1, "{list}");
    let alert = &items(&list)[0];
    assert_eq!(alert["occurrences"], 100);
    assert_eq!(alert["rule"], "critical-findings");
    assert_eq!(alert["severity"], "critical");
    assert_eq!(alert["state"], "firing");
    assert_eq!(alert["tenant_id"], server.tenant_id.as_str());

    let path = format!("/api/v1/alerts/{}", alert["id"].as_str().unwrap());
    let one = server
        .wait_for(&key, &path, |b| {
            !b["notifications"].as_array().unwrap().is_empty()
        })
        .await;
    let notifications = one["notifications"].as_array().unwrap();
    assert_eq!(notifications.len(), 1, "{one}");
    assert_eq!(notifications[0]["channel"], "ops-slack");
    assert_eq!(notifications[0]["purpose"], "initial");
    assert_eq!(notifications[0]["status"], "sent", "{one}");

    // Every firing was recorded before this point, so no other message is on its way.
    let received = slack.lock().unwrap().clone();
    assert_eq!(received.len(), 1, "{received:?}");
    let text = received[0].body["text"].as_str().unwrap();
    assert!(text.contains("CRITICAL alert: critical-findings"), "{text}");
    assert!(text.contains("finding(s) at or above critical"), "{text}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_unacknowledged_alert_escalates_once_after_the_delay_and_an_acknowledged_one_never() {
    let (hook_url, pager) = receiver().await;
    const PAGER_SECRET: &str = "pager-signing-secret-0123";
    let server = Server::start(NodeRole::Combined, |s| {
        s.egress_allow_hosts = vec!["127.0.0.1".into()];
        let mut rule = finding_rule("critical-findings");
        rule.escalate_after = Some(Period::from_secs(2));
        rule.escalate_to = vec!["pager".into()];
        s.alerts.rules = vec![rule];
        // The pager only hears escalations (no low alerts are raised here).
        let mut pager = channel("pager", AlertChannelKind::Webhook, &[AlertLevel::Low]);
        pager.url = Some(hook_url);
        pager.secret = Some(Secret::new(PAGER_SECRET));
        s.alerts.channels = vec![pager];
    })
    .await;
    let operator = server.admin_key.clone();
    let (_, first_key) = server.tenant("first").await;
    let (_, second_key) = server.tenant("second").await;

    // The first tenant's alert is acknowledged at once, the second tenant's never.
    let audit = server.submit(&first_key, "// critical 1\n").await;
    server.wait_final(&first_key, &audit).await;
    let acked = server
        .wait_for(&first_key, "/api/v1/alerts", |b| items(b).len() == 1)
        .await;
    let acked_id = items(&acked)[0]["id"].as_str().unwrap().to_string();
    let (status, body) = server
        .post(
            &first_key,
            &format!("/api/v1/alerts/{acked_id}/ack"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["state"], "acknowledged");

    let audit = server.submit(&second_key, "// critical 1\n").await;
    server.wait_final(&second_key, &audit).await;
    let open = server
        .wait_for(&second_key, "/api/v1/alerts", |b| items(b).len() == 1)
        .await;
    let open_id = items(&open)[0]["id"].as_str().unwrap().to_string();

    let escalated = server
        .wait_for(&operator, &format!("/api/v1/alerts/{open_id}"), |b| {
            !b["notifications"].as_array().unwrap().is_empty()
        })
        .await;
    let notifications = escalated["notifications"].as_array().unwrap();
    assert_eq!(notifications.len(), 1, "{escalated}");
    assert_eq!(notifications[0]["purpose"], "escalation");
    assert_eq!(notifications[0]["channel"], "pager");
    assert_eq!(notifications[0]["status"], "sent", "{escalated}");
    assert_eq!(escalated["state"], "firing");
    assert!(escalated["escalated_at"].is_string(), "{escalated}");

    // The first alert opened earlier, so its escalation was due earlier: it never came.
    let (_, first) = server
        .get(&operator, &format!("/api/v1/alerts/{acked_id}"))
        .await;
    assert!(first["escalated_at"].is_null(), "{first}");
    assert!(
        first["notifications"].as_array().unwrap().is_empty(),
        "{first}"
    );

    // One signed delivery, for the second alert.
    let received = pager.lock().unwrap().clone();
    assert_eq!(received.len(), 1, "{received:?}");
    let delivery = &received[0];
    assert_eq!(delivery.body["purpose"], "escalation");
    assert_eq!(delivery.body["alert"]["id"], open_id.as_str());
    let signature = delivery.headers["x-web3audit-signature"].to_str().unwrap();
    let (t, v1) = signature
        .strip_prefix("t=")
        .and_then(|rest| rest.split_once(",v1="))
        .unwrap();
    use hmac::Mac;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(PAGER_SECRET.as_bytes()).unwrap();
    mac.update(format!("{t}.{}", delivery.raw).as_bytes());
    assert_eq!(v1, hex::encode(mac.finalize().into_bytes()));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn alerts_are_seen_and_acknowledged_by_the_admins_they_concern() {
    let server = Server::start(NodeRole::Combined, |s| {
        s.alerts.rules = vec![finding_rule("critical-findings")];
    })
    .await;
    let operator = server.admin_key.clone();
    let (tenant_a, key_a) = server.tenant("a").await;
    let (_, key_b) = server.tenant("b").await;

    let audit = server.submit(&key_a, "// critical 3\n").await;
    server.wait_final(&key_a, &audit).await;
    let list = server
        .wait_for(&operator, "/api/v1/alerts", |b| items(b).len() == 1)
        .await;
    let alert = &items(&list)[0];
    assert_eq!(alert["tenant_id"], tenant_a.as_str());
    assert_eq!(alert["occurrences"], 3);
    let id = alert["id"].as_str().unwrap().to_string();

    // Tenant a's admins see it, tenant b's do not, and viewers may not read alerts.
    let (status, body) = server.get(&key_a, "/api/v1/alerts?state=firing").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(items(&body).len(), 1);
    let (status, body) = server.get(&key_b, "/api/v1/alerts").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(items(&body).is_empty(), "{body}");
    let (status, body) = server.get(&key_b, &format!("/api/v1/alerts/{id}")).await;
    common::assert_problem(status, &body, StatusCode::NOT_FOUND, "not-found");
    let (status, body) = server
        .post(&key_b, &format!("/api/v1/alerts/{id}/ack"), json!({}))
        .await;
    common::assert_problem(status, &body, StatusCode::NOT_FOUND, "not-found");
    let (status, key) = server
        .post(
            &key_a,
            "/api/v1/api-keys",
            json!({ "name": "v", "role": "viewer" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{key}");
    let viewer = key["api_key"].as_str().unwrap();
    let (status, body) = server.get(viewer, "/api/v1/alerts").await;
    common::assert_problem(status, &body, StatusCode::FORBIDDEN, "forbidden");

    // Filters are checked.
    let (status, body) = server.get(&operator, "/api/v1/alerts?state=open").await;
    common::assert_problem(status, &body, StatusCode::BAD_REQUEST, "invalid-parameter");
    let (status, body) = server.get(&operator, "/api/v1/alerts?severity=high").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(items(&body).is_empty());

    // Acknowledgement: once, by whoever sees the alert, recorded in the audit trail.
    let (status, body) = server
        .post(&key_a, &format!("/api/v1/alerts/{id}/ack"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["state"], "acknowledged");
    assert!(
        body["acknowledged_by"]
            .as_str()
            .unwrap()
            .starts_with("api_key:")
    );
    assert!(body["acknowledged_at"].is_string());
    let (status, body) = server
        .post(&operator, &format!("/api/v1/alerts/{id}/ack"), json!({}))
        .await;
    common::assert_problem(status, &body, StatusCode::CONFLICT, "alert-not-firing");
    let (status, body) = server
        .get(&operator, "/api/v1/alerts?state=acknowledged")
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(items(&body).len(), 1);
    let (status, log) = server
        .get(&key_a, "/api/v1/audit-log?action=alert.acknowledged")
        .await;
    assert_eq!(status, StatusCode::OK, "{log}");
    let entries = items(&log);
    assert_eq!(entries.len(), 1, "{log}");
    assert_eq!(entries[0]["target"], id.as_str());
    assert_eq!(entries[0]["detail"]["rule"], "critical-findings");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_queue_deeper_than_the_threshold_for_the_duration_raises_a_service_alert() {
    // An API node runs no workers: submitted audits stay queued.
    let server = Server::start(NodeRole::Api, |s| {
        s.alerts.rules = vec![AlertRule {
            kind: AlertRuleKind::QueueDepth,
            severity: AlertLevel::High,
            min_severity: None,
            threshold: Some(2),
            sustained: Some(Period::from_millis(300)),
            ..finding_rule("queue-backlog")
        }];
    })
    .await;
    let operator = server.admin_key.clone();
    let (_, tenant_key) = server.tenant("t").await;
    for i in 0..3 {
        server
            .submit(&operator, &format!("contract Q{i} {{}}\n"))
            .await;
    }
    let list = server
        .wait_for(&operator, "/api/v1/alerts", |b| !items(b).is_empty())
        .await;
    let alert = &items(&list)[0];
    assert_eq!(alert["rule"], "queue-backlog");
    assert_eq!(alert["severity"], "high");
    assert_eq!(alert["tenant_id"], Value::Null);
    assert_eq!(alert["detail"]["queue_depth"], 3);
    assert_eq!(alert["detail"]["threshold"], 2);
    let first_seen = alert["first_seen"].as_str().unwrap().to_string();

    // Service-wide alerts are for the operator's admins only.
    let (status, body) = server.get(&tenant_key, "/api/v1/alerts").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(items(&body).is_empty(), "{body}");

    // Still above the threshold at every later evaluation: folded into the same alert.
    let list = server
        .wait_for(&operator, "/api/v1/alerts", |b| {
            items(b)[0]["occurrences"].as_i64().unwrap() >= 3
        })
        .await;
    assert_eq!(items(&list).len(), 1, "{list}");
    assert_eq!(items(&list)[0]["first_seen"], first_seen.as_str());
    server.stop().await;
}

/// What the SMTP server on loopback received.
#[derive(Debug, Default, Clone)]
struct Mail {
    /// Commands in order, with `+tls` after those received over TLS.
    commands: Vec<String>,
    auth: Option<String>,
    from: Option<String>,
    recipients: Vec<String>,
    data: String,
    tls_before_mail: bool,
}

enum Next {
    StartTls,
    Done,
}

/// One SMTP session (RFC 5321 subset) over `stream`; returns when the client asks for
/// STARTTLS (after answering 220) or quits.
async fn smtp_session<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut BufReader<S>,
    tls: bool,
    mail: &Mutex<Mail>,
) -> Next {
    let mut line = String::new();
    loop {
        line.clear();
        if stream.read_line(&mut line).await.unwrap_or(0) == 0 {
            return Next::Done;
        }
        let command = line.trim_end().to_string();
        let verb = command
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_ascii_uppercase();
        mail.lock()
            .unwrap()
            .commands
            .push(format!("{verb}{}", if tls { "+tls" } else { "" }));
        let reply: &[u8] = match verb.as_str() {
            "EHLO" if tls => b"250-mail.test\r\n250 AUTH PLAIN\r\n",
            "EHLO" => b"250-mail.test\r\n250 STARTTLS\r\n",
            "STARTTLS" if !tls => {
                stream.write_all(b"220 go ahead\r\n").await.unwrap();
                stream.flush().await.unwrap();
                return Next::StartTls;
            }
            "AUTH" if tls => {
                mail.lock().unwrap().auth = Some(command.clone());
                b"235 authenticated\r\n"
            }
            "MAIL" => {
                let mut mail = mail.lock().unwrap();
                mail.from = Some(command.clone());
                mail.tls_before_mail = tls;
                b"250 ok\r\n"
            }
            "RCPT" => {
                mail.lock().unwrap().recipients.push(command.clone());
                b"250 ok\r\n"
            }
            "DATA" => {
                stream.write_all(b"354 end with .\r\n").await.unwrap();
                stream.flush().await.unwrap();
                let mut data = String::new();
                loop {
                    line.clear();
                    if stream.read_line(&mut line).await.unwrap_or(0) == 0 {
                        return Next::Done;
                    }
                    if line == ".\r\n" {
                        break;
                    }
                    data.push_str(&line);
                }
                mail.lock().unwrap().data = data;
                b"250 queued\r\n"
            }
            "QUIT" => {
                stream.write_all(b"221 bye\r\n").await.unwrap();
                stream.flush().await.unwrap();
                return Next::Done;
            }
            "RSET" | "NOOP" => b"250 ok\r\n",
            _ => b"502 not implemented\r\n",
        };
        stream.write_all(reply).await.unwrap();
        stream.flush().await.unwrap();
    }
}

/// An SMTP server on loopback for one connection: greeting, EHLO, STARTTLS with `leaf`,
/// then EHLO, AUTH, MAIL, RCPT, DATA and QUIT over TLS.
async fn smtp_server(
    leaf_der: Vec<u8>,
    key_der: Vec<u8>,
) -> (u16, Arc<Mutex<Mail>>, tokio::task::JoinHandle<()>) {
    use tokio_rustls::rustls;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![rustls::pki_types::CertificateDer::from(leaf_der)],
            rustls::pki_types::PrivateKeyDer::Pkcs8(key_der.into()),
        )
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let mail = Arc::new(Mutex::new(Mail::default()));
    let record = mail.clone();
    let handle = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        socket.write_all(b"220 mail.test ESMTP\r\n").await.unwrap();
        let mut plain = BufReader::new(socket);
        if let Next::Done = smtp_session(&mut plain, false, &record).await {
            return;
        }
        assert!(
            plain.buffer().is_empty(),
            "data sent before the TLS handshake"
        );
        let tls = acceptor.accept(plain.into_inner()).await.unwrap();
        let mut secure = BufReader::new(tls);
        smtp_session(&mut secure, true, &record).await;
    });
    (port, mail, handle)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_email_channel_delivers_over_starttls_to_a_server_signed_by_a_private_ca() {
    // A private CA, and a server certificate for 127.0.0.1 signed by it.
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "web3audit test CA");
    let ca = rcgen::CertifiedIssuer::self_signed(ca_params, ca_key).unwrap();
    let leaf_key = rcgen::KeyPair::generate().unwrap();
    let leaf = rcgen::CertificateParams::new(vec!["127.0.0.1".to_string()])
        .unwrap()
        .signed_by(&leaf_key, &ca)
        .unwrap();
    let ca_dir = tempfile::tempdir().unwrap();
    let ca_file = ca_dir.path().join("ca.pem");
    std::fs::write(&ca_file, ca.pem()).unwrap();

    let (port, mail, smtp) = smtp_server(leaf.der().to_vec(), leaf_key.serialize_der()).await;
    let server = Server::start(NodeRole::Combined, |s| {
        s.egress_allow_hosts = vec!["127.0.0.1".into()];
        s.smtp.host = Some("127.0.0.1".into());
        s.smtp.port = port;
        s.smtp.starttls = StartTls::Required;
        s.smtp.username = Some("alerts".into());
        s.smtp.password = Some(Secret::new("smtp-password"));
        s.smtp.from = Some("web3audit <alerts@web3audit.test>".into());
        s.smtp.ca_file = Some(ca_file.clone());
        s.smtp.timeout = Period::from_secs(10);
        s.alerts.rules = vec![finding_rule("critical-findings")];
        let mut email = channel(
            "security-team",
            AlertChannelKind::Email,
            &[AlertLevel::Critical],
        );
        email.to = vec!["sec@example.test".into(), "oncall@example.test".into()];
        s.alerts.channels = vec![email];
    })
    .await;
    let key = server.admin_key.clone();
    let audit = server.submit(&key, "// critical 2\n").await;
    server.wait_final(&key, &audit).await;
    let list = server
        .wait_for(&key, "/api/v1/alerts", |b| items(b).len() == 1)
        .await;
    let id = items(&list)[0]["id"].as_str().unwrap().to_string();
    let one = server
        .wait_for(&key, &format!("/api/v1/alerts/{id}"), |b| {
            !b["notifications"].as_array().unwrap().is_empty()
        })
        .await;
    let notification = &one["notifications"][0];
    assert_eq!(notification["status"], "sent", "{one}");
    assert_eq!(notification["channel"], "security-team");
    smtp.await.unwrap();

    let mail = mail.lock().unwrap().clone();
    assert_eq!(
        mail.commands
            .iter()
            .take(3)
            .map(String::as_str)
            .collect::<Vec<_>>(),
        ["EHLO", "STARTTLS", "EHLO+tls"],
        "{mail:?}"
    );
    assert!(mail.tls_before_mail, "{mail:?}");
    // AUTH PLAIN carries "\0alerts\0smtp-password", base64, and only over TLS.
    use base64::Engine;
    let auth = mail.auth.as_deref().expect("AUTH over TLS");
    let credentials = auth.rsplit(' ').next().unwrap();
    assert_eq!(
        base64::engine::general_purpose::STANDARD
            .decode(credentials)
            .unwrap(),
        b"\0alerts\0smtp-password"
    );
    assert_eq!(
        mail.from.as_deref(),
        Some("MAIL FROM:<alerts@web3audit.test>")
    );
    let mut recipients = mail.recipients.clone();
    recipients.sort();
    assert_eq!(
        recipients,
        [
            "RCPT TO:<oncall@example.test>",
            "RCPT TO:<sec@example.test>"
        ]
    );
    assert!(
        mail.data
            .contains("Subject: [web3audit] CRITICAL alert: critical-findings"),
        "{}",
        mail.data
    );
    assert!(
        mail.data.contains("2 finding(s) at or above critical"),
        "{}",
        mail.data
    );
    assert!(
        mail.data.contains(&format!("/api/v1/alerts/{id}/ack")),
        "{}",
        mail.data
    );
    assert!(
        mail.commands
            .iter()
            .all(|c| c == "EHLO" || c == "STARTTLS" || c.ends_with("+tls"))
    );
    server.stop().await;
}

#[tokio::test]
async fn a_failed_delivery_is_recorded_and_the_engine_goes_on() {
    // The receiver's host is not in the egress allow-list.
    let (hook_url, received) = receiver().await;
    let server = Server::start(NodeRole::Combined, |s| {
        s.alerts.rules = vec![finding_rule("critical-findings")];
        let mut slack = channel(
            "ops-slack",
            AlertChannelKind::Slack,
            &[AlertLevel::Critical],
        );
        slack.url = Some(hook_url);
        s.alerts.channels = vec![slack];
    })
    .await;
    let key = server.admin_key.clone();
    let audit = server.submit(&key, "// critical 1\n").await;
    server.wait_final(&key, &audit).await;
    let list = server
        .wait_for(&key, "/api/v1/alerts", |b| items(b).len() == 1)
        .await;
    let id = items(&list)[0]["id"].as_str().unwrap().to_string();
    let one = server
        .wait_for(&key, &format!("/api/v1/alerts/{id}"), |b| {
            !b["notifications"].as_array().unwrap().is_empty()
        })
        .await;
    let notification = &one["notifications"][0];
    assert_eq!(notification["status"], "failed", "{one}");
    assert!(
        notification["error"]
            .as_str()
            .unwrap()
            .contains("not in the egress allow-list"),
        "{one}"
    );
    assert!(received.lock().unwrap().is_empty());
    // The service still runs audits.
    let audit = server.submit(&key, "contract Fine {}\n").await;
    server.wait_final(&key, &audit).await;
    server.stop().await;
}
