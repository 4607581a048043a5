//! Monitors over the API, on SQLite and PostgreSQL (`WEB3AUDIT_TEST_POSTGRES_URL`;
//! skipped, saying so, when it is unset): create, read, change, delete, the validation
//! of configs by the monitor loader, the events the store recorded, tenant isolation and
//! the audit trail.

mod common;

use common::{
    Backend, TestServer, allow_loopback, assert_problem, create_monitor, fire, monitor_config,
    start_on,
};
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
    monitors_are_created_read_changed_and_deleted_with_trail_entries,
    the_events_of_a_monitor_are_listed_newest_first,
    another_tenants_monitors_are_not_found,
);

async fn call(
    server: &TestServer,
    key: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = server
        .client
        .request(method, server.url(path))
        .header("x-api-key", key);
    if let Some(body) = body {
        request = request.json(&body);
    }
    common::split(request.send().await.unwrap()).await
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

async fn monitors_are_created_read_changed_and_deleted_with_trail_entries(backend: Backend) {
    let Some(server) = start_on(backend, "monitors_crud", allow_loopback).await else {
        return;
    };
    let key = server.admin_key.clone();
    let (status, created) = server
        .post(
            &key,
            "/api/v1/monitors",
            json!({ "name": "vault", "config": monitor_config("vault"), "enabled": false }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().unwrap().to_string();
    assert_eq!(created["name"], "vault");
    assert_eq!(created["enabled"], false);
    assert_eq!(created["config"], monitor_config("vault"));
    assert_eq!(created["chain_id"], 31337);
    assert_eq!(created["rules"], json!(["owner-changed"]));
    assert!(
        created["created_by"]
            .as_str()
            .unwrap()
            .starts_with("api_key:")
    );

    let (status, list) = server.get(&key, "/api/v1/monitors").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert_eq!(list["items"][0]["id"], id.as_str());
    let (status, one) = server.get(&key, &format!("/api/v1/monitors/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(one, created);

    // The same name again is a conflict, and nothing is added.
    let (status, problem) = server
        .post(
            &key,
            "/api/v1/monitors",
            json!({ "name": "vault", "config": monitor_config("vault") }),
        )
        .await;
    assert_problem(status, &problem, StatusCode::CONFLICT, "conflict");
    assert!(problem["detail"].as_str().unwrap().contains("`vault`"));

    // Enable; rename (config and name together); a rename onto another monitor conflicts.
    let path = format!("/api/v1/monitors/{id}");
    let (status, enabled) = call(
        &server,
        &key,
        Method::PATCH,
        &path,
        Some(json!({ "enabled": true })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{enabled}");
    assert_eq!(enabled["enabled"], true);
    assert_eq!(enabled["name"], "vault");
    let (status, renamed) = call(
        &server,
        &key,
        Method::PATCH,
        &path,
        Some(json!({ "name": "treasury", "config": monitor_config("treasury") })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{renamed}");
    assert_eq!(renamed["name"], "treasury");
    assert_eq!(renamed["config"], monitor_config("treasury"));
    let other = create_monitor(&server, &key, "bridge").await;
    let (status, problem) = call(
        &server,
        &key,
        Method::PATCH,
        &format!("/api/v1/monitors/{other}"),
        Some(json!({ "name": "treasury", "config": monitor_config("treasury") })),
    )
    .await;
    assert_problem(status, &problem, StatusCode::CONFLICT, "conflict");
    // A name alone that the stored config does not give is refused.
    let (status, problem) = call(
        &server,
        &key,
        Method::PATCH,
        &path,
        Some(json!({ "name": "elsewhere" })),
    )
    .await;
    assert_problem(
        status,
        &problem,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid-monitor-config",
    );
    // So is a config alone that names the monitor otherwise.
    let (status, problem) = call(
        &server,
        &key,
        Method::PATCH,
        &path,
        Some(json!({ "config": monitor_config("elsewhere") })),
    )
    .await;
    assert_problem(
        status,
        &problem,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid-monitor-config",
    );
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("named `treasury` but its config names it `elsewhere`"),
        "{problem}"
    );
    // A broken config is refused and the stored one stays.
    let (status, problem) = call(
        &server,
        &key,
        Method::PATCH,
        &path,
        Some(json!({ "config": "[[monitors]]\nname = \n" })),
    )
    .await;
    assert_problem(
        status,
        &problem,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid-monitor-config",
    );
    let (status, problem) = call(&server, &key, Method::PATCH, &path, Some(json!({}))).await;
    assert_problem(
        status,
        &problem,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid-request",
    );
    let (_, still) = server.get(&key, &path).await;
    assert_eq!(still["config"], monitor_config("treasury"));

    let (status, _) = call(&server, &key, Method::DELETE, &path, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, problem) = server.get(&key, &path).await;
    assert_problem(status, &problem, StatusCode::NOT_FOUND, "not-found");
    let (status, problem) = call(&server, &key, Method::DELETE, &path, None).await;
    assert_problem(status, &problem, StatusCode::NOT_FOUND, "not-found");
    let (_, list) = server.get(&key, "/api/v1/monitors").await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1, "bridge stays");

    let created = trail(&server, "monitor.created").await;
    assert_eq!(created.len(), 2, "{created:?}");
    let first = created.iter().find(|e| e["target"] == id.as_str()).unwrap();
    assert_eq!(first["detail"]["name"], "vault");
    assert_eq!(first["detail"]["enabled"], false);
    assert_eq!(first["tenant_id"], server.tenant_id.as_str());
    let updated = trail(&server, "monitor.updated").await;
    assert_eq!(updated.len(), 2, "refusals change nothing: {updated:?}");
    let rename = updated
        .iter()
        .find(|e| e["detail"]["name"] == "treasury")
        .unwrap();
    assert_eq!(rename["detail"]["renamed_from"], "vault");
    assert_eq!(rename["detail"]["config_changed"], true);
    let deleted = trail(&server, "monitor.deleted").await;
    assert_eq!(deleted.len(), 1);
    assert_eq!(deleted[0]["target"], id.as_str());
    assert_eq!(deleted[0]["detail"]["name"], "treasury");
    server.stop().await;
}

async fn the_events_of_a_monitor_are_listed_newest_first(backend: Backend) {
    let Some(server) = start_on(backend, "monitor_events", allow_loopback).await else {
        return;
    };
    let key = server.admin_key.clone();
    let tenant = server.tenant_id.clone();
    let id = create_monitor(&server, &key, "vault").await;
    let path = format!("/api/v1/monitors/{id}/events");
    let (status, empty) = server.get(&key, &path).await;
    assert_eq!(status, StatusCode::OK, "{empty}");
    assert_eq!(empty["items"], json!([]));

    fire(&server, &tenant, &id, "vault", "owner-changed", "critical").await;
    fire(&server, &tenant, &id, "vault", "paused", "high").await;
    let (status, events) = server.get(&key, &path).await;
    assert_eq!(status, StatusCode::OK, "{events}");
    let items = events["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{events}");
    assert_eq!(items[0]["rule"], "paused", "newest first");
    assert_eq!(items[0]["block_number"], 101);
    assert_eq!(items[1]["rule"], "owner-changed");
    assert_eq!(items[1]["level"], "critical");
    assert_eq!(items[1]["monitor_id"], id.as_str());
    assert_eq!(items[1]["chain_id"], 31337);
    assert_eq!(items[1]["tx_index"], 0);
    assert_eq!(
        items[1]["detail"]["summary"],
        "owner-changed fired in block 100"
    );
    assert!(items[1]["alert_id"].is_string(), "{events}");
    assert!(items[1]["incident_id"].is_string(), "{events}");

    let (status, one) = server.get(&key, &format!("{path}?limit=1")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(one["items"].as_array().unwrap().len(), 1);
    assert_eq!(one["items"][0]["rule"], "paused");
    let (status, problem) = server.get(&key, &format!("{path}?limit=0")).await;
    assert_problem(
        status,
        &problem,
        StatusCode::BAD_REQUEST,
        "invalid-parameter",
    );
    let (status, problem) = server.get(&key, "/api/v1/monitors/nope/events").await;
    assert_problem(status, &problem, StatusCode::NOT_FOUND, "not-found");
    server.stop().await;
}

async fn another_tenants_monitors_are_not_found(backend: Backend) {
    let Some(server) = start_on(backend, "monitor_tenants", allow_loopback).await else {
        return;
    };
    let id = create_monitor(&server, &server.admin_key, "vault").await;
    let (_, other_key) = server.other_tenant("globex").await;
    let path = format!("/api/v1/monitors/{id}");
    let cases = [
        (Method::GET, path.clone(), None),
        (
            Method::PATCH,
            path.clone(),
            Some(json!({ "enabled": false })),
        ),
        (Method::DELETE, path.clone(), None),
        (Method::GET, format!("{path}/events"), None),
    ];
    for (method, path, body) in cases {
        let (status, problem) = call(&server, &other_key, method.clone(), &path, body).await;
        assert_problem(status, &problem, StatusCode::NOT_FOUND, "not-found");
    }
    let (_, list) = server.get(&other_key, "/api/v1/monitors").await;
    assert_eq!(list["items"], json!([]));
    // The same name is free in another tenant.
    create_monitor(&server, &other_key, "vault").await;
    let (_, mine) = server.get(&server.admin_key, &path).await;
    assert_eq!(mine["enabled"], true, "untouched");
    server.stop().await;
}

// --- validation (refused before anything is stored) ---

async fn refused(server: &TestServer, body: Value) -> String {
    let (status, problem) = server
        .post(&server.admin_key, "/api/v1/monitors", body)
        .await;
    assert_problem(
        status,
        &problem,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid-monitor-config",
    );
    problem["detail"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn configs_the_loader_refuses_are_422_with_its_message() {
    let server = common::start(allow_loopback).await;
    // A TOML mistake: the position of it.
    let detail = refused(
        &server,
        json!({ "name": "vault", "config": "[[monitors]]\nname = \"vault\"\nchain_id = = 1\n" }),
    )
    .await;
    assert!(detail.starts_with("3:"), "line and column: {detail}");
    // A rule mistake: its place.
    let bad_rule = monitor_config("vault").replace("level = \"critical\"", "level = \"dire\"");
    let detail = refused(&server, json!({ "name": "vault", "config": bad_rule })).await;
    assert!(detail.contains("owner-changed"), "{detail}");
    // A condition naming what the event does not have: the loader's type check.
    let bad_condition = monitor_config("vault").replace(
        "when = \"newOwner not in allow_list\"",
        "when = \"newOwnr not in allow_list\"",
    );
    let detail = refused(&server, json!({ "name": "vault", "config": bad_condition })).await;
    assert!(
        detail.starts_with("monitors[vault].rules[owner-changed].when"),
        "{detail}"
    );
    // No monitor, and two.
    let detail = refused(
        &server,
        json!({ "name": "vault", "config": "[lists]\nx = [1]\n" }),
    )
    .await;
    assert!(detail.contains("exactly one"), "{detail}");
    assert!(detail.ends_with("defines 0"), "{detail}");
    let two = format!(
        "{}\n{}",
        monitor_config("vault"),
        monitor_config("other").replace(
            "[lists]\nallow_list = [\"0x1111111111111111111111111111111111111111\"]\n",
            ""
        )
    );
    let detail = refused(&server, json!({ "name": "vault", "config": two })).await;
    assert!(detail.ends_with("defines 2"), "{detail}");
    // Another tenant's monitor; the caller's own tenant id is accepted.
    let foreign = monitor_config("vault").replace(
        "chain_id = 31337",
        "tenant = \"someone-else\"\nchain_id = 31337",
    );
    let detail = refused(&server, json!({ "name": "vault", "config": foreign })).await;
    assert!(detail.contains("tenant"), "{detail}");
    assert!(detail.contains(&server.tenant_id), "{detail}");
    // The name and the config's name must agree.
    let detail = refused(
        &server,
        json!({ "name": "treasury", "config": monitor_config("vault") }),
    )
    .await;
    assert!(
        detail.contains("`treasury`") && detail.contains("`vault`"),
        "{detail}"
    );
    // ABI files cannot be read by the service.
    let with_file = monitor_config("vault").replace(
        "signatures = [\"event OwnershipTransferred(address indexed previousOwner, address indexed newOwner)\"]",
        "abi = \"abi/Vault.json\"",
    );
    refused(&server, json!({ "name": "vault", "config": with_file })).await;

    // Request shape: names, unknown fields, wrong types.
    let (status, problem) = server
        .post(
            &server.admin_key,
            "/api/v1/monitors",
            json!({ "name": " ", "config": monitor_config("vault") }),
        )
        .await;
    assert_problem(
        status,
        &problem,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid-request",
    );
    let (status, problem) = server
        .post(
            &server.admin_key,
            "/api/v1/monitors",
            json!({ "name": "vault", "config": monitor_config("vault"), "owner": "me" }),
        )
        .await;
    assert_problem(status, &problem, StatusCode::BAD_REQUEST, "unknown-field");
    let (status, problem) = server
        .post(
            &server.admin_key,
            "/api/v1/monitors",
            json!({ "name": "vault", "config": 7 }),
        )
        .await;
    assert_problem(
        status,
        &problem,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid-request",
    );
    // Nothing was recorded as created.
    let (_, log) = server
        .get(
            &server.admin_key,
            "/api/v1/audit-log?action=monitor.created",
        )
        .await;
    assert_eq!(log["items"], json!([]));
    server.stop().await;
}

#[tokio::test]
async fn the_callers_own_tenant_may_be_named_in_the_config_by_id_or_name() {
    let server = common::start(allow_loopback).await;
    for (name, tenant) in [("by-id", server.tenant_id.as_str()), ("by-name", "acme")] {
        let own = monitor_config(name).replace(
            "chain_id = 31337",
            &format!("tenant = \"{tenant}\"\nchain_id = 31337"),
        );
        let (status, created) = server
            .post(
                &server.admin_key,
                "/api/v1/monitors",
                json!({ "name": name, "config": own }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
    }
    server.stop().await;
}

#[tokio::test]
async fn rpc_endpoints_must_exist_and_pass_the_egress_policy() {
    // No allow-list: loopback is refused, as the service would refuse to follow it.
    let server = common::start(|_| {}).await;
    let (status, problem) = server
        .post(
            &server.admin_key,
            "/api/v1/monitors",
            json!({ "name": "vault", "config": monitor_config("vault") }),
        )
        .await;
    assert_problem(
        status,
        &problem,
        StatusCode::UNPROCESSABLE_ENTITY,
        "url-not-allowed",
    );
    let detail = problem["detail"].as_str().unwrap();
    assert!(detail.starts_with("monitors[vault].rpc[0]: "), "{detail}");
    assert!(detail.contains("allow-list"), "{detail}");
    let without = monitor_config("vault").replace("rpc = [\"http://127.0.0.1:8545\"]\n", "");
    let detail = refused(&server, json!({ "name": "vault", "config": without })).await;
    assert!(detail.starts_with("monitors[vault].rpc: "), "{detail}");
    server.stop().await;
}

#[tokio::test]
async fn only_admins_read_the_rpc_endpoints_of_a_config_in_full() {
    let server = common::start(allow_loopback).await;
    let endpoint = "http://127.0.0.1:8545/v3/9aa3d95b3bc440fa88ea12eaa4456161?apikey=hunter2";
    let config = monitor_config("vault").replace("http://127.0.0.1:8545", endpoint);
    let (status, created) = server
        .post(
            &server.admin_key,
            "/api/v1/monitors",
            json!({ "name": "vault", "config": config }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["config"], config.as_str());
    assert_eq!(created["config_redacted"], false);
    let id = created["id"].as_str().unwrap();
    for role in ["viewer", "auditor"] {
        let key = server.key_with_role(role).await;
        let (status, one) = server.get(&key, &format!("/api/v1/monitors/{id}")).await;
        assert_eq!(status, StatusCode::OK, "{one}");
        let (_, list) = server.get(&key, "/api/v1/monitors").await;
        for view in [&one, &list["items"][0]] {
            let shown = view["config"].as_str().unwrap();
            assert!(
                !shown.contains("9aa3d95b3bc440fa88ea12eaa4456161"),
                "{role}: {shown}"
            );
            assert!(!shown.contains("hunter2"), "{role}: {shown}");
            assert!(
                shown.contains("http://127.0.0.1:8545/v3/***?apikey=***"),
                "{role}: {shown}"
            );
            assert!(shown.contains("event = \"OwnershipTransferred\""));
            assert_eq!(view["config_redacted"], true);
        }
    }
    let (_, full) = server
        .get(&server.admin_key, &format!("/api/v1/monitors/{id}"))
        .await;
    assert_eq!(full["config"], config.as_str());
    server.stop().await;
}
