//! Permissions as data over real HTTP: the role matrix over every API route for the
//! built-in roles, a tenant's own role and a scoped key (refused exactly where the
//! credential lacks the route's permission, before the body is read); the table covers
//! every route of the API; nobody grants more than they hold; a user-owned key loses what
//! its owner loses.

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use server::permissions::{self, Permissions, ROUTES};

async fn call(server: &TestServer, key: &str, method: &str, path: &str) -> (StatusCode, Value) {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut request = server
        .client
        .request(method.clone(), server.url(path))
        .header("x-api-key", key);
    if matches!(method.as_str(), "POST" | "PUT" | "PATCH") {
        request = request.json(&json!({}));
    }
    split(request.send().await.unwrap()).await
}

async fn create_key(server: &TestServer, by: &str, body: Value) -> (StatusCode, Value) {
    server.post(by, "/api/v1/api-keys", body).await
}

/// Routes an API key can never use, whatever its permissions: a user's own second factor.
fn user_only(path: &str) -> bool {
    path.starts_with("/api/v1/me/second-factor")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_refuses_exactly_the_credentials_without_its_permission() {
    let server = start(|_| {}).await;
    let admin = server.admin_key.clone();
    let (status, role) = server
        .post(
            &admin,
            "/api/v1/roles",
            json!({ "name": "triager", "permissions": ["audit.read", "finding.triage", "incident.read"],
                    "description": "reads audits and triages findings" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{role}");
    let mut credentials: Vec<(String, String, Permissions)> = Vec::new();
    for role in ["viewer", "auditor", "admin", "triager"] {
        let (status, key) =
            create_key(&server, &admin, json!({ "name": role, "role": role })).await;
        assert_eq!(status, StatusCode::CREATED, "{key}");
        let granted = permissions::builtin(role).unwrap_or_else(|| {
            Permissions::from_names(&["audit.read", "finding.triage", "incident.read"]).unwrap()
        });
        credentials.push((
            role.into(),
            key["api_key"].as_str().unwrap().into(),
            granted,
        ));
    }
    let (status, scoped) = create_key(
        &server,
        &admin,
        json!({ "name": "reports", "role": "admin", "scopes": ["report.export", "audit.read"] }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{scoped}");
    assert_eq!(scoped["scopes"], json!(["audit.read", "report.export"]));
    credentials.push((
        "admin scoped to reports".into(),
        scoped["api_key"].as_str().unwrap().into(),
        Permissions::from_names(&["audit.read", "report.export"]).unwrap(),
    ));

    let mut checked = 0;
    for (method, route, permission) in ROUTES {
        if user_only(route) {
            continue;
        }
        let path = route
            .replace("{id}", "missing")
            .replace("{name}", "missing");
        for (who, key, granted) in &credentials {
            let (status, body) = call(&server, key, method, &path).await;
            let allowed = permission.is_none_or(|p| granted.contains(p));
            if allowed {
                assert_ne!(
                    status,
                    StatusCode::FORBIDDEN,
                    "{who} refused {method} {route}: {body}"
                );
            } else {
                assert_problem(status, &body, StatusCode::FORBIDDEN, "forbidden");
                let detail = body["detail"].as_str().unwrap();
                assert!(detail.contains(permission.unwrap()), "{detail}");
            }
            checked += 1;
        }
    }
    assert!(checked > 200, "{checked}");

    // The table covers the API exactly: every operation of the OpenAPI document (which
    // another test holds equal to the router) and nothing else.
    let (_, doc) = server.get(&admin, "/api/v1/openapi.json").await;
    let mut documented = Vec::new();
    for (path, operations) in doc["paths"].as_object().unwrap() {
        if !path.starts_with("/api/v1/") || path == "/api/v1/auth/login" {
            continue;
        }
        for method in operations.as_object().unwrap().keys() {
            documented.push((method.to_ascii_uppercase(), path.clone()));
        }
    }
    documented.sort();
    let mut table: Vec<(String, String)> = ROUTES
        .iter()
        .map(|(m, p, _)| ((*m).to_owned(), (*p).to_owned()))
        .collect();
    table.sort();
    assert_eq!(table, documented);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nobody_grants_more_than_they_hold_and_keys_follow_their_owner() {
    let server = start(|_| {}).await;
    let admin = server.admin_key.clone();
    // A role for people management only.
    let (status, _) = server
        .post(
            &admin,
            "/api/v1/roles",
            json!({ "name": "people", "permissions": ["user.manage", "key.manage", "audit.read"] }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, body) = server
        .post(
            &admin,
            "/api/v1/roles",
            json!({ "name": "people", "permissions": ["audit.read"] }),
        )
        .await;
    assert_problem(status, &body, StatusCode::CONFLICT, "role-exists");
    for bad in [
        json!({ "name": "Bad Name", "permissions": ["audit.read"] }),
        json!({ "name": "admin", "permissions": ["audit.read"] }),
        json!({ "name": "empty", "permissions": [] }),
        json!({ "name": "typo", "permissions": ["audit.reed"] }),
    ] {
        let (status, body) = server.post(&admin, "/api/v1/roles", bad).await;
        assert_problem(
            status,
            &body,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-request",
        );
    }
    let (_, people) = create_key(&server, &admin, json!({ "name": "hr", "role": "people" })).await;
    let people = people["api_key"].as_str().unwrap().to_owned();
    // It may hand out what it holds, never more.
    let (status, _) = server
        .post(
            &people,
            "/api/v1/users",
            json!({ "email": "v@acme.test", "password": "a long user password", "role": "viewer" }),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "viewer has report.export, which `people` lacks"
    );
    for (path, body) in [
        (
            "/api/v1/users",
            json!({ "email": "a@acme.test", "password": "a long user password", "role": "admin" }),
        ),
        ("/api/v1/api-keys", json!({ "name": "x", "role": "admin" })),
        (
            "/api/v1/api-keys",
            json!({ "name": "x", "role": "people", "scopes": ["trail.read"] }),
        ),
        (
            "/api/v1/roles",
            json!({ "name": "more", "permissions": ["trail.read"] }),
        ),
    ] {
        let (status, answer) = server.post(&people, path, body).await;
        assert_problem(status, &answer, StatusCode::FORBIDDEN, "forbidden");
    }
    let (status, own) = server
        .post(
            &people,
            "/api/v1/api-keys",
            json!({ "name": "same", "role": "people" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{own}");
    let (_, listed) = server.get(&people, "/api/v1/roles").await;
    assert!(
        listed["roles"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["name"] == "people")
    );
    assert!(listed["permissions"].as_array().unwrap().len() >= 16);

    // A held role stays; deleted once nobody holds it.
    let (status, body) = call(&server, &admin, "DELETE", "/api/v1/roles/people").await;
    assert_problem(status, &body, StatusCode::CONFLICT, "role-in-use");

    // A key made by a user follows that user: demoted, it loses the admin permissions;
    // disabled, it stops working.
    let (status, ops) = server
        .post(
            &admin,
            "/api/v1/users",
            json!({ "email": "ops@acme.test", "password": "a long user password", "role": "admin" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{ops}");
    let ops_id = ops["id"].as_str().unwrap().to_owned();
    let login = server
        .client
        .post(server.url("/api/v1/auth/login"))
        .json(&json!({ "email": "ops@acme.test", "password": "a long user password" }))
        .send()
        .await
        .unwrap();
    let token = split(login).await.1["token"].as_str().unwrap().to_owned();
    let made = server
        .client
        .post(server.url("/api/v1/api-keys"))
        .bearer_auth(&token)
        .json(&json!({ "name": "ops-key", "role": "admin" }))
        .send()
        .await
        .unwrap();
    let (status, made) = split(made).await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    assert_eq!(made["user_id"], ops_id.as_str());
    let ops_key = made["api_key"].as_str().unwrap().to_owned();
    assert_eq!(
        server.get(&ops_key, "/api/v1/users").await.0,
        StatusCode::OK
    );
    let patch = |body: Value| {
        server
            .client
            .patch(server.url(&format!("/api/v1/users/{ops_id}")))
            .header("x-api-key", &admin)
            .json(&body)
            .send()
    };
    assert_eq!(
        patch(json!({ "role": "viewer" })).await.unwrap().status(),
        StatusCode::OK
    );
    let (status, body) = server.get(&ops_key, "/api/v1/users").await;
    assert_problem(status, &body, StatusCode::FORBIDDEN, "forbidden");
    assert_eq!(
        server.get(&ops_key, "/api/v1/audits").await.0,
        StatusCode::OK
    );
    assert_eq!(
        patch(json!({ "disabled": true })).await.unwrap().status(),
        StatusCode::OK
    );
    let (status, body) = server.get(&ops_key, "/api/v1/audits").await;
    assert_problem(
        status,
        &body,
        StatusCode::UNAUTHORIZED,
        "api-key-owner-disabled",
    );

    // Denials are in the trail with the permission that was missing.
    let (_, log) = server
        .get(&admin, "/api/v1/audit-log?action=permission.denied")
        .await;
    assert!(
        log["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["detail"]["required"] == "user.manage"),
        "{log}"
    );
    server.stop().await;
}
