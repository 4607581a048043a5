//! The role matrix on every route (viewer < auditor < admin) and tenant isolation
//! (another tenant's resources answer 404), monitors and incidents included.

mod common;

use common::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

struct Fixture {
    audit: String,
    finding: String,
    user: String,
    key_to_revoke: String,
    tenant: String,
    monitor: String,
    monitor_to_delete: String,
    incident: String,
}

async fn fixture(server: &TestServer) -> Fixture {
    let audit = server
        .submit(&server.admin_key, &[("Token.sol", TOKEN_SOL)])
        .await;
    server.wait_final(&server.admin_key, &audit).await;
    let (_, findings) = server
        .get(
            &server.admin_key,
            &format!("/api/v1/audits/{audit}/findings"),
        )
        .await;
    let (_, users) = server.get(&server.admin_key, "/api/v1/users").await;
    let (monitor, incident) =
        open_incident(server, &server.admin_key, &server.tenant_id, "vault").await;
    Fixture {
        audit,
        finding: findings["items"][0]["id"].as_str().unwrap().to_string(),
        user: users["items"][0]["id"].as_str().unwrap().to_string(),
        key_to_revoke: String::new(),
        tenant: server.tenant_id.clone(),
        monitor,
        monitor_to_delete: String::new(),
        incident,
    }
}

/// `(method, path, body, minimum role)` for every authenticated route. `{cancel}` is an
/// audit that is still queued when the request runs.
fn routes(
    f: &Fixture,
    cancel: &str,
    n: usize,
) -> Vec<(Method, String, Option<Value>, &'static str)> {
    vec![
        (Method::GET, "/api/v1/me".into(), None, "viewer"),
        (Method::GET, "/api/v1/audits".into(), None, "viewer"),
        (
            Method::GET,
            format!("/api/v1/audits/{}", f.audit),
            None,
            "viewer",
        ),
        (
            Method::GET,
            format!("/api/v1/audits/{}/findings", f.audit),
            None,
            "viewer",
        ),
        (
            Method::GET,
            format!("/api/v1/audits/{}/report?format=json", f.audit),
            None,
            "viewer",
        ),
        (
            Method::GET,
            format!("/api/v1/findings/{}", f.finding),
            None,
            "viewer",
        ),
        (
            Method::POST,
            "/api/v1/audits".into(),
            Some(json!({ "sources": { "R.sol": format!("contract R{n} {{}}") } })),
            "auditor",
        ),
        (
            Method::POST,
            format!("/api/v1/audits/{cancel}/cancel"),
            Some(json!({})),
            "auditor",
        ),
        (
            Method::POST,
            format!("/api/v1/findings/{}/triage", f.finding),
            Some(json!({ "state": "acknowledged" })),
            "auditor",
        ),
        (Method::GET, "/api/v1/tenants".into(), None, "admin"),
        (
            Method::GET,
            format!("/api/v1/tenants/{}", f.tenant),
            None,
            "admin",
        ),
        (
            Method::PATCH,
            format!("/api/v1/tenants/{}", f.tenant),
            Some(json!({ "plan": "enterprise" })),
            "admin",
        ),
        (
            Method::POST,
            "/api/v1/tenants".into(),
            Some(json!({ "name": format!("t{n}") })),
            "admin",
        ),
        (Method::GET, "/api/v1/users".into(), None, "admin"),
        (
            Method::POST,
            "/api/v1/users".into(),
            Some(
                json!({ "email": format!("u{n}@acme.test"), "password": "long enough password", "role": "viewer" }),
            ),
            "admin",
        ),
        (
            Method::PATCH,
            format!("/api/v1/users/{}", f.user),
            Some(json!({ "role": "admin" })),
            "admin",
        ),
        (Method::GET, "/api/v1/api-keys".into(), None, "admin"),
        (
            Method::POST,
            "/api/v1/api-keys".into(),
            Some(json!({ "name": format!("k{n}"), "role": "viewer" })),
            "admin",
        ),
        (
            Method::DELETE,
            format!("/api/v1/api-keys/{}", f.key_to_revoke),
            None,
            "admin",
        ),
        (Method::GET, "/api/v1/audit-log".into(), None, "admin"),
        // Monitors: viewers read, admins manage.
        (Method::GET, "/api/v1/monitors".into(), None, "viewer"),
        (
            Method::GET,
            format!("/api/v1/monitors/{}", f.monitor),
            None,
            "viewer",
        ),
        (
            Method::GET,
            format!("/api/v1/monitors/{}/events", f.monitor),
            None,
            "viewer",
        ),
        (
            Method::POST,
            "/api/v1/monitors".into(),
            Some(json!({ "name": format!("m{n}"), "config": monitor_config(&format!("m{n}")) })),
            "admin",
        ),
        (
            Method::PATCH,
            format!("/api/v1/monitors/{}", f.monitor),
            Some(json!({ "enabled": true })),
            "admin",
        ),
        (
            Method::DELETE,
            format!("/api/v1/monitors/{}", f.monitor_to_delete),
            None,
            "admin",
        ),
        // Incidents: viewers read, auditors and admins act.
        (Method::GET, "/api/v1/incidents".into(), None, "viewer"),
        (
            Method::GET,
            format!("/api/v1/incidents/{}", f.incident),
            None,
            "viewer",
        ),
        (
            Method::PATCH,
            format!("/api/v1/incidents/{}", f.incident),
            Some(json!({ "state": "acknowledged", "assignee": f.user })),
            "auditor",
        ),
        (
            Method::POST,
            format!("/api/v1/incidents/{}/comments", f.incident),
            Some(json!({ "text": format!("note {n}") })),
            "auditor",
        ),
    ]
}

fn rank(role: &str) -> u8 {
    match role {
        "viewer" => 0,
        "auditor" => 1,
        _ => 2,
    }
}

async fn call(
    server: &TestServer,
    key: &str,
    method: &Method,
    path: &str,
    body: &Option<Value>,
) -> (StatusCode, Value) {
    let mut request = server
        .client
        .request(method.clone(), server.url(path))
        .header("x-api-key", key);
    if let Some(body) = body {
        request = request.json(body);
    }
    split(request.send().await.unwrap()).await
}

#[tokio::test]
async fn every_route_enforces_its_role() {
    // One worker, held busy, so that audits to cancel stay queued.
    let server = start(|s| {
        s.max_concurrent_audits = 1;
        allow_loopback(s);
    })
    .await;
    let mut f = fixture(&server).await;
    let keys = [
        ("viewer", server.key_with_role("viewer").await),
        ("auditor", server.key_with_role("auditor").await),
        ("admin", server.key_with_role("admin").await),
    ];
    server
        .submit(
            &server.admin_key,
            &[("Busy.sol", "// sleep 5000\ncontract Busy {}")],
        )
        .await;
    let mut n = 0;
    for (role, key) in &keys {
        let cancel = server
            .submit(
                &server.admin_key,
                &[("C.sol", &format!("contract C{n} {{}}"))],
            )
            .await;
        f.key_to_revoke = server.key_with_role("viewer").await;
        let (_, list) = server.get(&server.admin_key, "/api/v1/api-keys").await;
        f.key_to_revoke = list["items"].as_array().unwrap().last().unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string();
        f.monitor_to_delete =
            create_monitor(&server, &server.admin_key, &format!("doomed-{role}")).await;
        for (method, path, body, needed) in routes(&f, &cancel, n) {
            n += 1;
            let (status, response) = call(&server, key, &method, &path, &body).await;
            if rank(role) >= rank(needed) {
                assert!(
                    status.is_success(),
                    "{role} {method} {path}: {status} {response}"
                );
            } else {
                assert_problem(status, &response, StatusCode::FORBIDDEN, "forbidden");
            }
        }
    }
    // Refusals are in the audit trail.
    let (_, log) = server
        .get(
            &server.admin_key,
            "/api/v1/audit-log?action=permission.denied&limit=200",
        )
        .await;
    assert!(log["items"].as_array().unwrap().len() >= 20, "{log}");
    // An auditor cannot manage users, even by promoting itself.
    let (status, _) = call(
        &server,
        &keys[1].1,
        &Method::PATCH,
        &format!("/api/v1/users/{}", f.user),
        &Some(json!({ "role": "admin" })),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    server.stop().await;
}

#[tokio::test]
async fn other_tenants_resources_are_not_found() {
    let server = start(allow_loopback).await;
    let f = fixture(&server).await;
    let (other_tenant, other_key) = server.other_tenant("globex").await;
    // Tenant B admin (not operator) on tenant A's resources.
    let (status, own) = call(&server, &other_key, &Method::GET, "/api/v1/audits", &None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(own["items"].as_array().unwrap().len(), 0);
    let (_, a_keys) = server.get(&server.admin_key, "/api/v1/api-keys").await;
    let a_key_id = a_keys["items"][0]["id"].as_str().unwrap().to_string();
    let cases: Vec<(Method, String, Option<Value>)> = vec![
        (Method::GET, format!("/api/v1/audits/{}", f.audit), None),
        (
            Method::GET,
            format!("/api/v1/audits/{}/findings", f.audit),
            None,
        ),
        (
            Method::GET,
            format!("/api/v1/audits/{}/report", f.audit),
            None,
        ),
        (
            Method::POST,
            format!("/api/v1/audits/{}/cancel", f.audit),
            Some(json!({})),
        ),
        (Method::GET, format!("/api/v1/findings/{}", f.finding), None),
        (
            Method::POST,
            format!("/api/v1/findings/{}/triage", f.finding),
            Some(json!({ "state": "fixed" })),
        ),
        (Method::GET, format!("/api/v1/tenants/{}", f.tenant), None),
        (
            Method::PATCH,
            format!("/api/v1/users/{}", f.user),
            Some(json!({ "disabled": true })),
        ),
        (Method::DELETE, format!("/api/v1/api-keys/{a_key_id}"), None),
        (
            Method::GET,
            format!("/api/v1/audit-log?tenant_id={}", f.tenant),
            None,
        ),
        (
            Method::POST,
            "/api/v1/api-keys".into(),
            Some(json!({ "name": "sneaky", "role": "admin", "tenant_id": f.tenant })),
        ),
        (Method::GET, format!("/api/v1/monitors/{}", f.monitor), None),
        (
            Method::PATCH,
            format!("/api/v1/monitors/{}", f.monitor),
            Some(json!({ "enabled": false })),
        ),
        (
            Method::DELETE,
            format!("/api/v1/monitors/{}", f.monitor),
            None,
        ),
        (
            Method::GET,
            format!("/api/v1/monitors/{}/events", f.monitor),
            None,
        ),
        (
            Method::GET,
            format!("/api/v1/incidents/{}", f.incident),
            None,
        ),
        (
            Method::PATCH,
            format!("/api/v1/incidents/{}", f.incident),
            Some(json!({ "state": "resolved" })),
        ),
        (
            Method::POST,
            format!("/api/v1/incidents/{}/comments", f.incident),
            Some(json!({ "text": "not yours" })),
        ),
    ];
    for (method, path, body) in cases {
        let (status, problem) = call(&server, &other_key, &method, &path, &body).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}: {problem}");
        assert_problem(status, &problem, StatusCode::NOT_FOUND, "not-found");
    }
    // Tenant B's lists hold nothing of A.
    for path in [
        "/api/v1/users",
        "/api/v1/api-keys",
        "/api/v1/tenants",
        "/api/v1/monitors",
        "/api/v1/incidents",
    ] {
        let (_, list) = call(&server, &other_key, &Method::GET, path, &None).await;
        let text = list.to_string();
        assert!(
            !text.contains(&server.tenant_id)
                && !text.contains(&f.monitor)
                && !text.contains(&f.incident),
            "{path} leaks tenant A: {text}"
        );
    }
    // A's resources are untouched.
    let (_, finding) = server
        .get(
            &server.admin_key,
            &format!("/api/v1/findings/{}", f.finding),
        )
        .await;
    assert_eq!(finding["triage_state"], "open");
    let (_, audit) = server
        .get(&server.admin_key, &format!("/api/v1/audits/{}", f.audit))
        .await;
    assert_eq!(audit["status"], "succeeded");
    let (_, incident) = server
        .get(
            &server.admin_key,
            &format!("/api/v1/incidents/{}", f.incident),
        )
        .await;
    assert_eq!(incident["state"], "open");
    assert_eq!(incident["timeline"].as_array().unwrap().len(), 1);
    let (_, monitor) = server
        .get(
            &server.admin_key,
            &format!("/api/v1/monitors/{}", f.monitor),
        )
        .await;
    assert_eq!(monitor["enabled"], true);
    // The same sources in B are B's own audit, served from the shared cache but scoped.
    let b_audit = server.submit(&other_key, &[("Token.sol", TOKEN_SOL)]).await;
    let (status, _) = server
        .get(&server.admin_key, &format!("/api/v1/audits/{b_audit}"))
        .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "not even the operator tenant reads another tenant's audits"
    );
    let (status, _) = call(
        &server,
        &other_key,
        &Method::GET,
        &format!("/api/v1/tenants/{other_tenant}"),
        &None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    server.stop().await;
}
