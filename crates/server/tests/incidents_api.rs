//! Incidents over the API, on SQLite and PostgreSQL (`WEB3AUDIT_TEST_POSTGRES_URL`;
//! skipped, saying so, when it is unset). Incidents are opened as the monitor engine
//! opens them: by recording a monitor's events in the store. Covered: listing and
//! filters, the timeline, the state machine (forward only, 409 backwards), assignment,
//! comments, tenant isolation and the audit trail.

mod common;

use common::{Backend, TestServer, allow_loopback, assert_problem, fire, open_incident, start_on};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

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
    incidents_are_listed_and_filtered_with_their_timeline,
    states_only_move_forward,
    incidents_are_assigned_to_users_of_the_tenant,
    comments_are_added_to_the_timeline,
    another_tenants_incidents_are_not_found,
);

async fn patch(server: &TestServer, key: &str, path: &str, body: Value) -> (StatusCode, Value) {
    let response = server
        .client
        .request(Method::PATCH, server.url(path))
        .header("x-api-key", key)
        .json(&body)
        .send()
        .await
        .unwrap();
    common::split(response).await
}

async fn trail(server: &TestServer, action: &str) -> Vec<Value> {
    let (status, log) = server
        .get(
            &server.admin_key,
            &format!("/api/v1/audit-log?action={action}"),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{log}");
    log["items"].as_array().unwrap().clone()
}

async fn user_id(server: &TestServer, email: &str) -> String {
    let (_, users) = server.get(&server.admin_key, "/api/v1/users").await;
    users["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["email"] == email)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn incidents_are_listed_and_filtered_with_their_timeline(backend: Backend) {
    let Some(server) = start_on(backend, "incidents_list", allow_loopback).await else {
        return;
    };
    let key = server.admin_key.clone();
    let tenant = server.tenant_id.clone();
    let (monitor, id) = open_incident(&server, &key, &tenant, "vault").await;
    let (status, list) = server.get(&key, "/api/v1/incidents").await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{list}");
    let incident = &items[0];
    assert_eq!(incident["id"], id.as_str());
    assert_eq!(incident["state"], "open");
    assert_eq!(incident["priority"], "P0", "a critical alert opens a P0");
    assert_eq!(incident["monitor_id"], monitor.as_str());
    assert_eq!(incident["alert_count"], 1);
    assert_eq!(incident["assignee"], Value::Null);
    assert_eq!(incident["acknowledged_at"], Value::Null);

    for (query, expected) in [
        ("state=open", 1),
        ("state=resolved", 0),
        ("priority=P0", 1),
        ("priority=P2", 0),
        ("open=true", 1),
        ("open=true&priority=P0&limit=1", 1),
    ] {
        let (status, list) = server
            .get(&key, &format!("/api/v1/incidents?{query}"))
            .await;
        assert_eq!(status, StatusCode::OK, "{query}: {list}");
        assert_eq!(
            list["items"].as_array().unwrap().len(),
            expected,
            "{query}: {list}"
        );
    }
    for query in [
        "state=closed",
        "priority=P9",
        "open=maybe",
        "limit=0",
        "sort=age",
    ] {
        let (status, problem) = server
            .get(&key, &format!("/api/v1/incidents?{query}"))
            .await;
        assert_problem(
            status,
            &problem,
            StatusCode::BAD_REQUEST,
            "invalid-parameter",
        );
    }

    let (status, detail) = server.get(&key, &format!("/api/v1/incidents/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{detail}");
    assert_eq!(detail["id"], id.as_str());
    let timeline = detail["timeline"].as_array().unwrap();
    assert_eq!(timeline.len(), 1, "{detail}");
    assert_eq!(timeline[0]["kind"], "alert");
    assert_eq!(timeline[0]["body"]["level"], "critical");
    assert!(timeline[0]["created_at"].is_string());

    // Resolved incidents leave the open list.
    let (status, _) = patch(
        &server,
        &key,
        &format!("/api/v1/incidents/{id}"),
        json!({ "state": "resolved" }),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (_, open) = server.get(&key, "/api/v1/incidents?open=true").await;
    assert_eq!(open["items"], json!([]));
    let (_, resolved) = server.get(&key, "/api/v1/incidents?state=resolved").await;
    assert_eq!(resolved["items"].as_array().unwrap().len(), 1);
    let (status, problem) = server.get(&key, "/api/v1/incidents/missing").await;
    assert_problem(status, &problem, StatusCode::NOT_FOUND, "not-found");
    server.stop().await;
}

async fn states_only_move_forward(backend: Backend) {
    let Some(server) = start_on(backend, "incidents_states", allow_loopback).await else {
        return;
    };
    let key = server.admin_key.clone();
    let tenant = server.tenant_id.clone();
    let (_, id) = open_incident(&server, &key, &tenant, "vault").await;
    let path = format!("/api/v1/incidents/{id}");
    let auditor = server.key_with_role("auditor").await;

    let (status, acknowledged) =
        patch(&server, &auditor, &path, json!({ "state": "acknowledged" })).await;
    assert_eq!(status, StatusCode::OK, "{acknowledged}");
    assert_eq!(acknowledged["state"], "acknowledged");
    assert!(acknowledged["acknowledged_at"].is_string());
    // Backwards: refused, nothing changes.
    let (status, problem) = patch(&server, &auditor, &path, json!({ "state": "open" })).await;
    assert_problem(status, &problem, StatusCode::CONFLICT, "invalid-transition");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("from acknowledged to open"),
        "{problem}"
    );
    // The state it is in: nothing to do, nothing recorded.
    let (status, same) = patch(&server, &auditor, &path, json!({ "state": "acknowledged" })).await;
    assert_eq!(status, StatusCode::OK, "{same}");
    assert_eq!(same["state"], "acknowledged");
    // Skipping mitigated is allowed; then mitigated is backwards.
    let (status, resolved) = patch(&server, &auditor, &path, json!({ "state": "resolved" })).await;
    assert_eq!(status, StatusCode::OK, "{resolved}");
    assert_eq!(resolved["state"], "resolved");
    assert!(resolved["resolved_at"].is_string());
    assert_eq!(resolved["mitigated_at"], Value::Null);
    let (status, problem) = patch(&server, &auditor, &path, json!({ "state": "mitigated" })).await;
    assert_problem(status, &problem, StatusCode::CONFLICT, "invalid-transition");
    // Unknown states and empty changes are not transitions.
    let (status, problem) = patch(&server, &auditor, &path, json!({ "state": "closed" })).await;
    assert_problem(
        status,
        &problem,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid-request",
    );
    let (status, problem) = patch(&server, &auditor, &path, json!({})).await;
    assert_problem(
        status,
        &problem,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid-request",
    );
    let (status, problem) = patch(&server, &auditor, &path, json!({ "priority": "P3" })).await;
    assert_problem(status, &problem, StatusCode::BAD_REQUEST, "unknown-field");

    let (_, detail) = server.get(&key, &path).await;
    let states: Vec<(Value, Value)> = detail["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "state")
        .map(|e| (e["body"]["from"].clone(), e["body"]["to"].clone()))
        .collect();
    assert_eq!(
        states,
        vec![
            (json!("open"), json!("acknowledged")),
            (json!("acknowledged"), json!("resolved")),
        ],
        "{detail}"
    );
    let mut updates = trail(&server, "incident.updated").await;
    updates.reverse();
    assert_eq!(updates.len(), 2, "{updates:?}");
    assert_eq!(updates[0]["target"], id.as_str());
    assert_eq!(updates[0]["detail"]["from"], "open");
    assert_eq!(updates[0]["detail"]["to"], "acknowledged");
    assert_eq!(updates[1]["detail"]["to"], "resolved");
    assert!(
        updates[0]["actor"]
            .as_str()
            .unwrap()
            .starts_with("api_key:")
    );
    server.stop().await;
}

async fn incidents_are_assigned_to_users_of_the_tenant(backend: Backend) {
    let Some(server) = start_on(backend, "incidents_assign", allow_loopback).await else {
        return;
    };
    let key = server.admin_key.clone();
    let tenant = server.tenant_id.clone();
    let (_, id) = open_incident(&server, &key, &tenant, "vault").await;
    let path = format!("/api/v1/incidents/{id}");
    let admin = user_id(&server, &server.admin_email).await;

    let (status, assigned) = patch(&server, &key, &path, json!({ "assignee": admin })).await;
    assert_eq!(status, StatusCode::OK, "{assigned}");
    assert_eq!(assigned["assignee"], admin.as_str());
    assert_eq!(assigned["assignee_email"], server.admin_email.as_str());
    assert_eq!(
        assigned["state"], "open",
        "assigning does not move the state"
    );

    // Unknown ids, e-mails, and users of another tenant are refused.
    let (other_tenant, _) = server.other_tenant("globex").await;
    let (status, stranger) = server
        .post(
            &key,
            "/api/v1/users",
            json!({ "email": "ops@globex.test", "password": "a long user password", "role": "admin", "tenant_id": other_tenant }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{stranger}");
    let stranger = stranger["id"].as_str().unwrap().to_string();
    for assignee in ["nobody", server.admin_email.as_str(), stranger.as_str()] {
        let (status, problem) = patch(&server, &key, &path, json!({ "assignee": assignee })).await;
        assert_problem(
            status,
            &problem,
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown-assignee",
        );
    }
    // A disabled user neither.
    let (_, colleague) = server
        .post(
            &key,
            "/api/v1/users",
            json!({ "email": "ops@acme.test", "password": "a long user password", "role": "auditor" }),
        )
        .await;
    let colleague = colleague["id"].as_str().unwrap().to_string();
    patch(
        &server,
        &key,
        &format!("/api/v1/users/{colleague}"),
        json!({ "disabled": true }),
    )
    .await;
    let (status, problem) = patch(&server, &key, &path, json!({ "assignee": colleague })).await;
    assert_problem(
        status,
        &problem,
        StatusCode::UNPROCESSABLE_ENTITY,
        "unknown-assignee",
    );

    // State and assignee at once; then null unassigns.
    let (status, both) = patch(
        &server,
        &key,
        &path,
        json!({ "state": "mitigated", "assignee": admin }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{both}");
    assert_eq!(both["state"], "mitigated");
    assert_eq!(both["assignee"], admin.as_str());
    let (status, unassigned) = patch(&server, &key, &path, json!({ "assignee": null })).await;
    assert_eq!(status, StatusCode::OK, "{unassigned}");
    assert_eq!(unassigned["assignee"], Value::Null);
    assert_eq!(unassigned["assignee_email"], Value::Null);

    let (_, detail) = server.get(&key, &path).await;
    let assigns: Vec<Value> = detail["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "assign")
        .map(|e| e["body"]["assignee"].clone())
        .collect();
    assert_eq!(assigns, vec![json!(admin), Value::Null], "{detail}");
    let mut updates = trail(&server, "incident.updated").await;
    updates.reverse();
    assert_eq!(updates.len(), 3, "{updates:?}");
    assert_eq!(updates[0]["detail"]["assignee"], admin.as_str());
    assert_eq!(updates[0]["detail"].get("to"), None);
    assert_eq!(updates[1]["detail"]["from"], "open");
    assert_eq!(updates[1]["detail"]["to"], "mitigated");
    assert_eq!(updates[2]["detail"]["assignee"], Value::Null);
    assert_eq!(updates[2]["detail"]["previous_assignee"], admin.as_str());
    server.stop().await;
}

async fn comments_are_added_to_the_timeline(backend: Backend) {
    let Some(server) = start_on(backend, "incidents_comments", allow_loopback).await else {
        return;
    };
    let key = server.admin_key.clone();
    let tenant = server.tenant_id.clone();
    let (_, id) = open_incident(&server, &key, &tenant, "vault").await;
    let path = format!("/api/v1/incidents/{id}/comments");
    let auditor = server.key_with_role("auditor").await;

    let (status, comment) = server
        .post(
            &auditor,
            &path,
            json!({ "text": "Paused the vault <b>now</b>." }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{comment}");
    assert_eq!(comment["kind"], "comment");
    assert_eq!(comment["body"]["text"], "Paused the vault <b>now</b>.");
    assert!(comment["actor"].as_str().unwrap().starts_with("api_key:"));
    let longest = "é".repeat(4000);
    let (status, _) = server
        .post(&auditor, &path, json!({ "text": longest }))
        .await;
    assert_eq!(status, StatusCode::CREATED, "4000 characters, 8000 bytes");
    for text in [String::new(), " \n ".into(), "x".repeat(4001)] {
        let (status, problem) = server.post(&auditor, &path, json!({ "text": text })).await;
        assert_problem(
            status,
            &problem,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-request",
        );
    }
    let (status, problem) = server.post(&auditor, &path, json!({})).await;
    assert_problem(
        status,
        &problem,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid-request",
    );
    let (status, problem) = server
        .post(
            &auditor,
            "/api/v1/incidents/missing/comments",
            json!({ "text": "hi" }),
        )
        .await;
    assert_problem(status, &problem, StatusCode::NOT_FOUND, "not-found");

    let (_, detail) = server.get(&key, &format!("/api/v1/incidents/{id}")).await;
    let kinds: Vec<&str> = detail["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["alert", "comment", "comment"], "oldest first");
    let commented = trail(&server, "incident.commented").await;
    assert_eq!(commented.len(), 2, "{commented:?}");
    assert_eq!(commented[1]["target"], id.as_str());
    assert_eq!(commented[1]["detail"]["event_id"], comment["id"]);
    assert_eq!(commented[0]["detail"]["length"], 4000);
    server.stop().await;
}

async fn another_tenants_incidents_are_not_found(backend: Backend) {
    let Some(server) = start_on(backend, "incidents_tenants", allow_loopback).await else {
        return;
    };
    let tenant = server.tenant_id.clone();
    let (_, id) = open_incident(&server, &server.admin_key, &tenant, "vault").await;
    let (other_tenant, other_key) = server.other_tenant("globex").await;
    let (_, theirs) = open_incident(&server, &other_key, &other_tenant, "vault").await;
    let path = format!("/api/v1/incidents/{id}");
    let (status, problem) = server.get(&other_key, &path).await;
    assert_problem(status, &problem, StatusCode::NOT_FOUND, "not-found");
    let (status, problem) = patch(&server, &other_key, &path, json!({ "state": "resolved" })).await;
    assert_problem(status, &problem, StatusCode::NOT_FOUND, "not-found");
    let (status, problem) = server
        .post(
            &other_key,
            &format!("{path}/comments"),
            json!({ "text": "mine now" }),
        )
        .await;
    assert_problem(status, &problem, StatusCode::NOT_FOUND, "not-found");
    let (_, list) = server.get(&other_key, "/api/v1/incidents").await;
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{list}");
    assert_eq!(items[0]["id"], theirs.as_str());
    // Firing tenant B's monitor did not touch tenant A's incident.
    fire(
        &server,
        &other_tenant,
        items[0]["monitor_id"].as_str().unwrap(),
        "vault",
        "paused",
        "low",
    )
    .await;
    let (_, mine) = server.get(&server.admin_key, &path).await;
    assert_eq!(mine["state"], "open");
    assert_eq!(mine["alert_count"], 1);
    assert_eq!(mine["timeline"].as_array().unwrap().len(), 1);
    server.stop().await;
}
