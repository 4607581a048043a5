//! API key lifetimes over real HTTP: an expiry set at creation, the last use recorded,
//! expired keys refused (and recorded), and rotation with an overlap window in which both
//! keys work.

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn with_key(server: &TestServer, key: &str, path: &str) -> StatusCode {
    server
        .client
        .get(server.url(path))
        .header("x-api-key", key)
        .send()
        .await
        .unwrap()
        .status()
}

async fn key_view(server: &TestServer, id: &str) -> Value {
    let (_, keys) = server.get(&server.admin_key, "/api/v1/api-keys").await;
    keys["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["id"] == id)
        .cloned()
        .unwrap_or_else(|| panic!("no key {id} in {keys}"))
}

#[tokio::test]
async fn keys_expire_record_their_last_use_and_rotate_with_an_overlap() {
    let server = start(|_| {}).await;
    for days in [0, 3651] {
        let (status, problem) = server
            .post(
                &server.admin_key,
                "/api/v1/api-keys",
                json!({ "name": "ci", "role": "auditor", "expires_in_days": days }),
            )
            .await;
        assert_problem(
            status,
            &problem,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-request",
        );
    }
    let (status, created) = server
        .post(
            &server.admin_key,
            "/api/v1/api-keys",
            json!({ "name": "ci", "role": "auditor", "expires_in_days": 30 }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().unwrap().to_string();
    let key = created["api_key"].as_str().unwrap().to_string();
    assert!(created["expires_at"].is_string(), "{created}");
    assert!(created["last_used_at"].is_null());

    assert_eq!(
        with_key(&server, &key, "/api/v1/audits").await,
        StatusCode::OK
    );
    assert!(
        key_view(&server, &id).await["last_used_at"].is_string(),
        "the use is recorded"
    );

    // Rotation: a new key, same name and role and a 30-day lifetime; the old one keeps
    // working for the overlap (one second here), then is refused as expired.
    let (status, rotated) = server
        .post(
            &server.admin_key,
            &format!("/api/v1/api-keys/{id}/rotate"),
            json!({ "overlap_secs": 1 }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{rotated}");
    let new_key = rotated["api_key"].as_str().unwrap().to_string();
    assert_ne!(new_key, key);
    assert_eq!(rotated["name"], "ci");
    assert_eq!(rotated["role"], "auditor");
    assert!(rotated["expires_at"].is_string());
    assert_eq!(rotated["replaces"]["id"], id.as_str());
    assert_eq!(
        with_key(&server, &new_key, "/api/v1/audits").await,
        StatusCode::OK
    );
    assert_eq!(
        with_key(&server, &key, "/api/v1/audits").await,
        StatusCode::OK,
        "in the overlap"
    );
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    let response = server
        .client
        .get(server.url("/api/v1/audits"))
        .header("x-api-key", &key)
        .send()
        .await
        .unwrap();
    let (status, problem) = split(response).await;
    assert_problem(
        status,
        &problem,
        StatusCode::UNAUTHORIZED,
        "api-key-expired",
    );
    assert_eq!(
        with_key(&server, &new_key, "/api/v1/audits").await,
        StatusCode::OK
    );

    // An expired key cannot be rotated; the refusals and the rotation are in the trail.
    let (status, problem) = server
        .post(
            &server.admin_key,
            &format!("/api/v1/api-keys/{id}/rotate"),
            json!({}),
        )
        .await;
    assert_problem(status, &problem, StatusCode::CONFLICT, "api-key-not-live");
    let (_, log) = server
        .get(
            &server.admin_key,
            "/api/v1/audit-log?action=api_key.rotated",
        )
        .await;
    assert_eq!(log["items"][0]["target"], id.as_str(), "{log}");
    let (_, log) = server
        .get(&server.admin_key, "/api/v1/audit-log?action=auth.failed")
        .await;
    assert!(
        log["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["detail"]["reason"] == "expired"),
        "{log}"
    );
    // Only admins rotate.
    let viewer = server.key_with_role("viewer").await;
    let (status, _) = server
        .post(
            &viewer,
            &format!(
                "/api/v1/api-keys/{}/rotate",
                rotated["id"].as_str().unwrap()
            ),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    server.stop().await;
}
