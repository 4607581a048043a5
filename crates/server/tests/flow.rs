//! The full flow over real HTTP: bootstrap, key, submit, poll, findings, report, triage,
//! cache, idempotency, pagination, cancel, archives, login/JWT, metrics, health.

mod common;

use std::io::Write;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn full_flow_submit_poll_findings_report_triage() {
    let server = start(|_| {}).await;
    let key = server.key_with_role("auditor").await;

    let id = server.submit(&key, &[("Token.sol", TOKEN_SOL)]).await;
    let audit = server.wait_final(&key, &id).await;
    assert_eq!(audit["status"], "succeeded", "{audit}");
    assert_eq!(audit["counts"]["high"], 1);
    assert_eq!(audit["finding_count"], 1);
    assert!(audit["started_at"].is_string() && audit["finished_at"].is_string());
    assert_eq!(audit["from_cache"], false);

    let (status, findings) = server
        .get(&key, &format!("/api/v1/audits/{id}/findings"))
        .await;
    assert_eq!(status, StatusCode::OK);
    let items = findings["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    let finding = &items[0];
    for field in [
        "id",
        "detector",
        "severity",
        "confidence",
        "file",
        "start_line",
        "end_line",
        "message",
        "fingerprint",
        "triage_state",
    ] {
        assert!(!finding[field].is_null(), "missing {field} in {finding}");
    }
    assert_eq!(finding["start_line"], 5);
    assert_eq!(finding["triage_state"], "open");
    assert_eq!(findings["next_cursor"], Value::Null);

    // Filters.
    let (_, none) = server
        .get(&key, &format!("/api/v1/audits/{id}/findings?severity=low"))
        .await;
    assert_eq!(none["items"].as_array().unwrap().len(), 0);
    let (_, by_detector) = server
        .get(
            &key,
            &format!("/api/v1/audits/{id}/findings?detector=tx-origin&triage_state=open"),
        )
        .await;
    assert_eq!(by_detector["items"].as_array().unwrap().len(), 1);

    // Reports.
    for (format, content_type) in [
        ("json", "application/json"),
        ("sarif", "application/sarif+json"),
        ("markdown", "text/markdown"),
    ] {
        let response = server
            .client
            .get(server.url(&format!("/api/v1/audits/{id}/report?format={format}")))
            .header("x-api-key", &key)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with(content_type)
        );
        let text = response.text().await.unwrap();
        assert!(!text.is_empty());
        if format == "json" {
            let report: Value = serde_json::from_str(&text).unwrap();
            assert_eq!(report["findings"][0]["triage_state"], "open");
        }
    }

    // Triage with a comment, kept in history.
    let finding_id = finding["id"].as_str().unwrap();
    let (status, triaged) = server
        .post(
            &key,
            &format!("/api/v1/findings/{finding_id}/triage"),
            json!({ "state": "confirmed", "comment": "real issue" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{triaged}");
    assert_eq!(triaged["triage_state"], "confirmed");
    let (_, triaged) = server
        .post(
            &key,
            &format!("/api/v1/findings/{finding_id}/triage"),
            json!({ "state": "fixed" }),
        )
        .await;
    let (_, read) = server
        .get(&key, &format!("/api/v1/findings/{finding_id}"))
        .await;
    assert_eq!(read["triage_state"], "fixed");
    let history = read["history"].as_array().unwrap();
    assert_eq!(history.len(), 2, "{triaged}");
    assert_eq!(history[0]["from_state"], "open");
    assert_eq!(history[0]["to_state"], "confirmed");
    assert_eq!(history[0]["comment"], "real issue");
    assert_eq!(history[1]["to_state"], "fixed");

    // The same sources again: answered from the cache, triage carried by fingerprint.
    let again = server.submit(&key, &[("Token.sol", TOKEN_SOL)]).await;
    let cached = server.wait_final(&key, &again).await;
    assert_eq!(cached["status"], "succeeded");
    assert_eq!(cached["from_cache"], true);
    let (_, findings) = server
        .get(&key, &format!("/api/v1/audits/{again}/findings"))
        .await;
    assert_eq!(findings["items"][0]["triage_state"], "fixed");
    assert_eq!(server.count("findings").await, 2);

    // The audit trail saw it all, and verifies.
    let (status, log) = server
        .get(&server.admin_key, "/api/v1/audit-log?limit=200")
        .await;
    assert_eq!(status, StatusCode::OK);
    let actions: Vec<&str> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for action in [
        "tenant.created",
        "user.created",
        "api_key.created",
        "audit.submitted",
        "triage.changed",
    ] {
        assert!(
            actions.contains(&action),
            "{action} missing from {actions:?}"
        );
    }
    let store = store::connect(&server.db_url).await.unwrap();
    let verification = server::verify_audit_log(store.as_ref(), &server::Secret::new(SECRET))
        .await
        .unwrap();
    assert_eq!(verification.first_break, None);
    assert!(verification.entries >= 7);
    server.stop().await;
}

#[tokio::test]
async fn login_gives_a_jwt_that_works_and_failures_are_recorded() {
    let server = start(|_| {}).await;
    let response = server
        .client
        .post(server.url("/api/v1/auth/login"))
        .json(&json!({ "email": " Admin@ACME.test", "password": server.admin_password }))
        .send()
        .await
        .unwrap();
    let (status, body) = split(response).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "emails compare case-insensitively: {body}"
    );
    let token = body["token"].as_str().unwrap();
    let response = server
        .client
        .get(server.url("/api/v1/me"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let (status, me) = split(response).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["role"], "admin");
    assert_eq!(me["tenant"]["id"], server.tenant_id);

    let response = server
        .client
        .post(server.url("/api/v1/auth/login"))
        .json(&json!({ "email": server.admin_email, "password": "wrong password!!" }))
        .send()
        .await
        .unwrap();
    let (status, body) = split(response).await;
    assert_problem(
        status,
        &body,
        StatusCode::UNAUTHORIZED,
        "invalid-credentials",
    );
    let (_, log) = server
        .get(&server.admin_key, "/api/v1/audit-log?action=login")
        .await;
    let outcomes: Vec<&str> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, ["failure", "success"]);
    server.stop().await;
}

#[tokio::test]
async fn idempotency_key_answers_the_first_audit() {
    let server = start(|_| {}).await;
    let key = &server.admin_key;
    let body = json!({ "sources": { "A.sol": TOKEN_SOL } });
    let send = |body: Value| {
        server
            .client
            .post(server.url("/api/v1/audits"))
            .header("x-api-key", key)
            .header("idempotency-key", "abc-1")
            .json(&body)
            .send()
    };
    let (status, first) = split(send(body.clone()).await.unwrap()).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let response = send(body).await.unwrap();
    assert_eq!(response.headers()["idempotent-replayed"], "true");
    let (status, second) = split(response).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(first["id"], second["id"]);
    let (status, problem) = split(
        send(json!({ "sources": { "B.sol": "contract B {}" } }))
            .await
            .unwrap(),
    )
    .await;
    assert_problem(
        status,
        &problem,
        StatusCode::UNPROCESSABLE_ENTITY,
        "idempotency-key-reused",
    );
    assert_eq!(server.count("audits").await, 1);
    server.stop().await;
}

#[tokio::test]
async fn list_pages_with_cursor_and_filters() {
    let server = start(|_| {}).await;
    let key = &server.admin_key;
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(
            server
                .submit(key, &[("A.sol", &format!("contract A{i} {{}}"))])
                .await,
        );
    }
    for id in &ids {
        server.wait_final(key, id).await;
    }
    let (_, page1) = server.get(key, "/api/v1/audits?limit=2").await;
    let (_, page2) = server
        .get(
            key,
            &format!(
                "/api/v1/audits?limit=2&cursor={}",
                page1["next_cursor"].as_str().unwrap()
            ),
        )
        .await;
    let (_, page3) = server
        .get(
            key,
            &format!(
                "/api/v1/audits?limit=2&cursor={}",
                page2["next_cursor"].as_str().unwrap()
            ),
        )
        .await;
    assert_eq!(page3["next_cursor"], Value::Null);
    let seen: Vec<String> = [&page1, &page2, &page3]
        .iter()
        .flat_map(|p| {
            p["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a["id"].as_str().unwrap().to_string())
        })
        .collect();
    let mut expected = ids.clone();
    expected.reverse();
    assert_eq!(seen, expected);
    let (_, queued) = server.get(key, "/api/v1/audits?status=queued").await;
    assert_eq!(queued["items"].as_array().unwrap().len(), 0);
    let (_, succeeded) = server
        .get(key, "/api/v1/audits?status=succeeded&limit=200")
        .await;
    assert_eq!(succeeded["items"].as_array().unwrap().len(), 5);
    server.stop().await;
}

#[tokio::test]
async fn cancel_queued_and_running_audits_and_time_out_slow_ones() {
    let server = start(|s| s.max_concurrent_audits = 1).await;
    let key = &server.admin_key;
    let slow = server
        .submit(key, &[("Slow.sol", "// sleep 1500\ncontract S {}")])
        .await;
    let queued = server.submit(key, &[("Q.sol", "contract Q {}")]).await;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let (status, audit) = server
        .post(key, &format!("/api/v1/audits/{queued}/cancel"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{audit}");
    assert_eq!(audit["status"], "cancelled");
    let (status, audit) = server
        .post(key, &format!("/api/v1/audits/{slow}/cancel"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{audit}");
    assert_eq!(audit["status"], "cancelled");
    let (status, problem) = server
        .post(key, &format!("/api/v1/audits/{slow}/cancel"), json!({}))
        .await;
    assert_problem(
        status,
        &problem,
        StatusCode::CONFLICT,
        "audit-already-finished",
    );
    tokio::time::sleep(std::time::Duration::from_millis(1600)).await;
    let (_, audit) = server.get(key, &format!("/api/v1/audits/{slow}")).await;
    assert_eq!(
        audit["status"], "cancelled",
        "a cancelled audit stays cancelled"
    );

    let (status, body) = server
        .post(
            key,
            "/api/v1/audits",
            json!({ "sources": { "T.sol": "// sleep 3000\ncontract T {}" }, "timeout_secs": 1 }),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let audit = server.wait_final(key, body["id"].as_str().unwrap()).await;
    assert_eq!(audit["status"], "timed_out", "{audit}");

    let failing = server
        .submit(key, &[("F.sol", "// fail\ncontract F {}")])
        .await;
    let audit = server.wait_final(key, &failing).await;
    assert_eq!(audit["status"], "failed");
    assert_eq!(audit["error"], "test analyzer asked to fail");
    let panicking = server
        .submit(key, &[("P.sol", "// panic\ncontract P {}")])
        .await;
    let audit = server.wait_final(key, &panicking).await;
    assert_eq!(audit["status"], "failed");
    assert_eq!(audit["error"], "the analyzer crashed on this input");
    // The server survived the panic.
    let ok = server.submit(key, &[("Token.sol", TOKEN_SOL)]).await;
    assert_eq!(server.wait_final(key, &ok).await["status"], "succeeded");
    server.stop().await;
}

fn zip_of(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, content) in files {
        writer
            .start_file(*name, zip::write::SimpleFileOptions::default())
            .unwrap();
        writer.write_all(content).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

fn tar_gz_of(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(
        Vec::new(),
        flate2::Compression::default(),
    ));
    for (name, content) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(content.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        builder.append_data(&mut header, name, *content).unwrap();
    }
    builder.into_inner().unwrap().finish().unwrap()
}

#[tokio::test]
async fn zip_and_tar_gz_uploads_are_audited() {
    let server = start(|_| {}).await;
    let key = &server.admin_key;
    for (content_type, body) in [
        (
            "application/zip",
            zip_of(&[
                ("src/Token.sol", TOKEN_SOL.as_bytes()),
                ("src/Other.sol", b"contract O {}"),
            ]),
        ),
        (
            "application/gzip",
            tar_gz_of(&[
                ("src/Token.sol", TOKEN_SOL.as_bytes()),
                ("src/Other2.sol", b"contract O {}"),
            ]),
        ),
    ] {
        let response = server
            .client
            .post(server.url("/api/v1/audits?min_severity=low&exclude_detectors=naming"))
            .header("x-api-key", key)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        let (status, created) = split(response).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{created}");
        let audit = server
            .wait_final(key, created["id"].as_str().unwrap())
            .await;
        assert_eq!(audit["status"], "succeeded");
        assert_eq!(audit["file_count"], 2);
        assert_eq!(audit["counts"]["high"], 1);
        assert_eq!(audit["options"]["min_severity"], "low");
    }
    server.stop().await;
}

#[tokio::test]
async fn operations_endpoints_metrics_headers_and_openapi() {
    let server = start(|_| {}).await;
    let id = server
        .submit(&server.admin_key, &[("Token.sol", TOKEN_SOL)])
        .await;
    server.wait_final(&server.admin_key, &id).await;

    for path in ["/health", "/health/live", "/health/ready"] {
        let response = server.client.get(server.url(path)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
    }
    let (status, detailed) = split(
        server
            .client
            .get(server.url("/health/detailed"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(detailed["status"], "healthy", "{detailed}");
    assert_eq!(detailed["components"]["database"]["status"], "healthy");
    assert!(detailed["components"]["database"]["latency_ms"].is_number());
    assert_eq!(detailed["components"]["queue"]["depth"], 0);

    let response = server
        .client
        .get(server.url("/metrics"))
        .send()
        .await
        .unwrap();
    let metrics = response.text().await.unwrap();
    for name in [
        "web3audit_audits_started_total 1",
        "web3audit_audits_completed_total{status=\"succeeded\"} 1",
        "web3audit_findings_discovered_total{severity=\"high\"} 1",
        "web3audit_audit_duration_seconds_count 1",
        "web3audit_active_audits 0",
        "web3audit_queue_size 0",
        "web3audit_http_requests_total{method=\"POST\",route=\"/api/v1/audits\",status=\"202\"} 1",
        "web3audit_http_request_duration_seconds_bucket{",
    ] {
        assert!(metrics.contains(name), "`{name}` missing from\n{metrics}");
    }

    // Security headers and a request id on every response, problems included.
    for path in ["/api/v1/audits", "/health", "/no/such/route"] {
        let response = server.client.get(server.url(path)).send().await.unwrap();
        let headers = response.headers();
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(headers["x-frame-options"], "DENY");
        assert!(headers.contains_key("content-security-policy"));
        assert_eq!(headers["referrer-policy"], "no-referrer");
        assert!(headers.contains_key("x-request-id"));
    }
    let (status, problem) = split(
        server
            .client
            .get(server.url("/no/such/route"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_problem(status, &problem, StatusCode::NOT_FOUND, "not-found");

    // The OpenAPI document names every route and method of the router.
    let (status, doc) = split(
        server
            .client
            .get(server.url("/api/v1/openapi.json"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(doc["openapi"], "3.1.0");
    for (path, method) in ROUTES {
        assert!(
            doc["paths"][path][method].is_object(),
            "{method} {path} missing from the OpenAPI document"
        );
    }
    assert_eq!(
        doc["paths"]
            .as_object()
            .unwrap()
            .values()
            .map(|p| p.as_object().unwrap().len())
            .sum::<usize>(),
        ROUTES.len()
    );
    server.stop().await;
}

/// Every route of the router.
const ROUTES: &[(&str, &str)] = &[
    ("/api/v1/openapi.json", "get"),
    ("/api/v1/auth/login", "post"),
    ("/api/v1/me", "get"),
    ("/api/v1/me/second-factor", "post"),
    ("/api/v1/me/second-factor", "delete"),
    ("/api/v1/me/second-factor/confirm", "post"),
    ("/api/v1/tenants/{id}/second-factor-policy", "put"),
    ("/api/v1/users/{id}/second-factor", "delete"),
    ("/api/v1/api-keys/{id}/rotate", "post"),
    ("/api/v1/audits", "post"),
    ("/api/v1/audits", "get"),
    ("/api/v1/audits/{id}", "get"),
    ("/api/v1/audits/{id}/cancel", "post"),
    ("/api/v1/audits/{id}/findings", "get"),
    ("/api/v1/audits/{id}/report", "get"),
    ("/api/v1/findings/{id}", "get"),
    ("/api/v1/findings/{id}/triage", "post"),
    ("/api/v1/findings/{id}/suggestions", "get"),
    ("/api/v1/findings/{id}/suggestions", "post"),
    ("/api/v1/tenants/{id}/assistant", "get"),
    ("/api/v1/tenants/{id}/assistant", "put"),
    ("/api/v1/tenants", "get"),
    ("/api/v1/tenants", "post"),
    ("/api/v1/tenants/{id}", "get"),
    ("/api/v1/tenants/{id}", "patch"),
    ("/api/v1/users", "get"),
    ("/api/v1/users", "post"),
    ("/api/v1/users/{id}", "patch"),
    ("/api/v1/users/{id}/sessions", "delete"),
    ("/api/v1/roles", "get"),
    ("/api/v1/roles", "post"),
    ("/api/v1/roles/{name}", "delete"),
    ("/api/v1/api-keys", "get"),
    ("/api/v1/api-keys", "post"),
    ("/api/v1/api-keys/{id}", "delete"),
    ("/api/v1/audit-log", "get"),
    // Webhooks.
    ("/api/v1/webhooks", "get"),
    ("/api/v1/webhooks", "post"),
    ("/api/v1/webhooks/{id}", "get"),
    ("/api/v1/webhooks/{id}", "patch"),
    ("/api/v1/webhooks/{id}", "delete"),
    ("/api/v1/webhooks/{id}/test", "post"),
    ("/api/v1/webhooks/{id}/deliveries", "get"),
    // Alerts
    ("/api/v1/alerts", "get"),
    ("/api/v1/alerts/{id}", "get"),
    ("/api/v1/alerts/{id}/ack", "post"),
    // Monitors and incidents.
    ("/api/v1/monitors", "get"),
    ("/api/v1/monitors", "post"),
    ("/api/v1/monitors/{id}", "get"),
    ("/api/v1/monitors/{id}", "patch"),
    ("/api/v1/monitors/{id}", "delete"),
    ("/api/v1/monitors/{id}/events", "get"),
    ("/api/v1/incidents", "get"),
    ("/api/v1/incidents/{id}", "get"),
    ("/api/v1/incidents/{id}", "patch"),
    ("/api/v1/incidents/{id}/comments", "post"),
    ("/health", "get"),
    ("/health/live", "get"),
    ("/health/ready", "get"),
    ("/health/detailed", "get"),
    ("/metrics", "get"),
];

#[tokio::test]
async fn restart_in_process_keeps_audits_and_runs_queued_ones() {
    let server = start(|s| s.max_concurrent_audits = 1).await;
    let key = server.admin_key.clone();
    let done = server.submit(&key, &[("Token.sol", TOKEN_SOL)]).await;
    server.wait_final(&key, &done).await;
    let slow = server
        .submit(&key, &[("S.sol", "// sleep 400\ncontract S {}")])
        .await;
    let waiting = server
        .submit(
            &key,
            &[("W.sol", "contract W { function f() { tx.origin; } }")],
        )
        .await;
    let db_url = server.db_url.clone();
    let dir = server.stop().await;
    let mut settings = settings_for(dir.path());
    settings.database_url = db_url;
    let server = start_in(dir, settings, false).await;
    for id in [&done, &slow, &waiting] {
        assert_eq!(server.wait_final(&key, id).await["status"], "succeeded");
    }
    assert_eq!(server.count("findings").await, 2);
    server.stop().await;
}
