//! Every bad input answers a precise problem document, and nothing is stored.

mod common;

use std::io::Write;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn post_raw(server: &TestServer, content_type: &str, body: Vec<u8>) -> (StatusCode, Value) {
    let response = server
        .client
        .post(server.url("/api/v1/audits"))
        .header("x-api-key", &server.admin_key)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    split(response).await
}

async fn assert_nothing_stored(server: &TestServer) {
    assert_eq!(server.count("audits").await, 0);
    assert_eq!(server.count("source_blobs").await, 0);
    assert_eq!(server.count("findings").await, 0);
}

fn zip_of(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, content) in files {
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        writer.start_file(*name, options).unwrap();
        writer.write_all(content).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

/// A tar.gz whose single entry has the raw `name` (the tar builder refuses `..`).
fn tar_gz_raw(name: &str, entry_type: tar::EntryType, content: &[u8]) -> Vec<u8> {
    let mut header = tar::Header::new_old();
    let bytes = name.as_bytes();
    header.as_old_mut().name[..bytes.len()].copy_from_slice(bytes);
    header.set_entry_type(entry_type);
    header.set_size(content.len() as u64);
    header.set_mode(0o644);
    if entry_type == tar::EntryType::Symlink {
        header.set_link_name("/etc/passwd").unwrap();
    }
    header.set_cksum();
    let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(
        Vec::new(),
        flate2::Compression::default(),
    ));
    builder.append(&header, content).unwrap();
    builder.into_inner().unwrap().finish().unwrap()
}

#[tokio::test]
async fn json_submissions_with_bad_input() {
    let server = start(|s| {
        s.max_body_bytes = 64 * 1024;
        s.max_files = 3;
    })
    .await;
    let cases: Vec<(&str, Vec<u8>, StatusCode, &str)> = vec![
        (
            "malformed JSON",
            b"{\"sources\": {\"A.sol\": ".to_vec(),
            StatusCode::BAD_REQUEST,
            "malformed-json",
        ),
        (
            "unknown field",
            br#"{"sources": {"A.sol": "contract A {}"}, "priority": 1}"#.to_vec(),
            StatusCode::BAD_REQUEST,
            "unknown-field",
        ),
        (
            "wrong type",
            br#"{"sources": ["A.sol"]}"#.to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-request",
        ),
        (
            "invalid UTF-8",
            b"{\"sources\": {\"A.sol\": \"\xff\xfe\"}}".to_vec(),
            StatusCode::BAD_REQUEST,
            "invalid-utf8",
        ),
        (
            "oversized body",
            serde_json::to_vec(&json!({ "sources": { "A.sol": "x".repeat(100 * 1024) } })).unwrap(),
            StatusCode::PAYLOAD_TOO_LARGE,
            "body-too-large",
        ),
        (
            "too many files",
            serde_json::to_vec(
                &json!({ "sources": { "A.sol": "", "B.sol": "", "C.sol": "", "D.sol": "" } }),
            )
            .unwrap(),
            StatusCode::PAYLOAD_TOO_LARGE,
            "too-many-files",
        ),
        (
            "non-.sol file",
            serde_json::to_vec(&json!({ "sources": { "run.sh": "rm -rf /" } })).unwrap(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "file-type-not-allowed",
        ),
        (
            "../ path",
            serde_json::to_vec(&json!({ "sources": { "../A.sol": "contract A {}" } })).unwrap(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unsafe-path",
        ),
        (
            "absolute path",
            serde_json::to_vec(&json!({ "sources": { "/etc/A.sol": "contract A {}" } })).unwrap(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unsafe-path",
        ),
        (
            "no sources",
            br#"{"sources": {}}"#.to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "empty-submission",
        ),
        (
            "bad severity",
            br#"{"sources": {"A.sol": ""}, "min_severity": "urgent"}"#.to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-request",
        ),
        (
            "timeout above the maximum",
            br#"{"sources": {"A.sol": ""}, "timeout_secs": 100000}"#.to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-request",
        ),
    ];
    for (name, body, status, slug) in cases {
        let (got, problem) = post_raw(&server, "application/json", body).await;
        assert_eq!(got, status, "{name}: {problem}");
        assert_problem(got, &problem, status, slug);
    }
    let (status, problem) = post_raw(&server, "text/plain", b"contract A {}".to_vec()).await;
    assert_problem(
        status,
        &problem,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported-media-type",
    );
    assert_nothing_stored(&server).await;
    server.stop().await;
}

#[tokio::test]
async fn archives_with_bad_content() {
    let server = start(|s| {
        s.max_files = 3;
        s.max_unpacked_bytes = 1024 * 1024;
    })
    .await;
    // 64 MiB of zeros deflates to about 64 KiB: a bomb against a 1 MiB unpacked cap.
    let zeros = vec![0u8; 64 * 1024 * 1024];
    let bomb = zip_of(&[("Bomb.sol", &zeros)]);
    drop(zeros);
    assert!(bomb.len() < 1024 * 1024);
    let mut symlink_zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    symlink_zip
        .add_symlink(
            "Link.sol",
            "/etc/passwd",
            zip::write::SimpleFileOptions::default(),
        )
        .unwrap();
    let symlink_zip = symlink_zip.finish().unwrap().into_inner();
    let cases: Vec<(&str, &str, Vec<u8>, StatusCode, &str)> = vec![
        (
            "zip bomb",
            "application/zip",
            bomb,
            StatusCode::PAYLOAD_TOO_LARGE,
            "unpacked-too-large",
        ),
        (
            "zip ../ path",
            "application/zip",
            zip_of(&[("../../evil.sol", b"x")]),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unsafe-path",
        ),
        (
            "zip absolute path",
            "application/zip",
            zip_of(&[("/tmp/evil.sol", b"x")]),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unsafe-path",
        ),
        (
            "zip symlink",
            "application/zip",
            symlink_zip,
            StatusCode::UNPROCESSABLE_ENTITY,
            "unsafe-archive-entry",
        ),
        (
            "zip non-.sol file",
            "application/zip",
            zip_of(&[("A.sol", b"x"), ("payload.exe", b"MZ")]),
            StatusCode::UNPROCESSABLE_ENTITY,
            "file-type-not-allowed",
        ),
        (
            "zip too many files",
            "application/zip",
            zip_of(&[
                ("A.sol", b""),
                ("B.sol", b""),
                ("C.sol", b""),
                ("D.sol", b""),
            ]),
            StatusCode::PAYLOAD_TOO_LARGE,
            "too-many-files",
        ),
        (
            "zip invalid UTF-8",
            "application/zip",
            zip_of(&[("A.sol", b"\xff\xfe")]),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-utf8",
        ),
        (
            "not a zip",
            "application/zip",
            b"PK but not really".to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-archive",
        ),
        (
            "tar ../ path",
            "application/gzip",
            tar_gz_raw("../evil.sol", tar::EntryType::Regular, b"x"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unsafe-path",
        ),
        (
            "tar absolute path",
            "application/gzip",
            tar_gz_raw("/etc/evil.sol", tar::EntryType::Regular, b"x"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unsafe-path",
        ),
        (
            "tar symlink",
            "application/gzip",
            tar_gz_raw("Link.sol", tar::EntryType::Symlink, b""),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unsafe-archive-entry",
        ),
    ];
    for (name, content_type, body, status, slug) in cases {
        let (got, problem) = post_raw(&server, content_type, body).await;
        assert_eq!(got, status, "{name}: {problem}");
        assert_problem(got, &problem, status, slug);
    }
    assert_nothing_stored(&server).await;
    server.stop().await;
}

fn forge_jwt(header: Value, claims: Value, key: &[u8]) -> String {
    use hmac::{Hmac, Mac};
    let head = URL_SAFE_NO_PAD.encode(header.to_string());
    let body = URL_SAFE_NO_PAD.encode(claims.to_string());
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key).unwrap();
    mac.update(format!("{head}.{body}").as_bytes());
    format!(
        "{head}.{body}.{}",
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    )
}

#[tokio::test]
async fn bad_credentials_are_refused_and_nothing_is_stored() {
    let server = start(|_| {}).await;
    let submit = |auth: (&'static str, String)| {
        server
            .client
            .post(server.url("/api/v1/audits"))
            .header(auth.0, auth.1)
            .json(&json!({ "sources": { "A.sol": "contract A {}" } }))
            .send()
    };
    let login = server
        .client
        .post(server.url("/api/v1/auth/login"))
        .json(&json!({ "email": server.admin_email, "password": server.admin_password }))
        .send()
        .await
        .unwrap();
    let token = split(login).await.1["token"].as_str().unwrap().to_string();
    let claims: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(token.split('.').nth(1).unwrap())
            .unwrap(),
    )
    .unwrap();
    let now = claims["iat"].as_i64().unwrap();

    let mut expired = claims.clone();
    expired["exp"] = json!(now - 10);
    expired["iat"] = json!(now - 3610);
    let expired = forge_jwt(
        json!({ "alg": "HS256", "typ": "JWT" }),
        expired,
        SECRET.as_bytes(),
    );
    let mut parts: Vec<String> = token.split('.').map(str::to_string).collect();
    let mut elevated = claims.clone();
    elevated["tid"] = json!("someone-else");
    parts[1] = URL_SAFE_NO_PAD.encode(elevated.to_string());
    let tampered = parts.join(".");
    let none = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(json!({ "alg": "none", "typ": "JWT" }).to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let other_alg = forge_jwt(
        json!({ "alg": "HS512", "typ": "JWT" }),
        claims.clone(),
        SECRET.as_bytes(),
    );
    let wrong_key = forge_jwt(
        json!({ "alg": "HS256", "typ": "JWT" }),
        claims.clone(),
        b"another key entirely, not ours!!",
    );
    let mut wrong_issuer = claims.clone();
    wrong_issuer["iss"] = json!("evil");
    let wrong_issuer = forge_jwt(
        json!({ "alg": "HS256", "typ": "JWT" }),
        wrong_issuer,
        SECRET.as_bytes(),
    );

    for (name, jwt, detail) in [
        ("expired", expired, "expired"),
        ("tampered", tampered, "signature"),
        ("alg none", none, "`none`"),
        ("alg HS512", other_alg, "`HS512`"),
        ("wrong key", wrong_key, "signature"),
        ("wrong issuer", wrong_issuer, "issuer"),
    ] {
        let (status, problem) = split(
            submit(("authorization", format!("Bearer {jwt}")))
                .await
                .unwrap(),
        )
        .await;
        assert_problem(status, &problem, StatusCode::UNAUTHORIZED, "invalid-token");
        assert!(
            problem["detail"].as_str().unwrap().contains(detail),
            "{name}: {problem}"
        );
    }

    let key = server.key_with_role("auditor").await;
    let (_, keys) = server.get(&server.admin_key, "/api/v1/api-keys").await;
    let key_id = keys["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["name"] == "auditor")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let response = server
        .client
        .delete(server.url(&format!("/api/v1/api-keys/{key_id}")))
        .header("x-api-key", &server.admin_key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let (status, problem) = split(submit(("x-api-key", key.clone())).await.unwrap()).await;
    assert_problem(
        status,
        &problem,
        StatusCode::UNAUTHORIZED,
        "api-key-revoked",
    );
    let (status, problem) = split(submit(("x-api-key", format!("{key}x"))).await.unwrap()).await;
    assert_problem(
        status,
        &problem,
        StatusCode::UNAUTHORIZED,
        "invalid-api-key",
    );
    let (status, problem) = split(
        server
            .client
            .get(server.url("/api/v1/audits"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_problem(
        status,
        &problem,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    );
    assert_nothing_stored(&server).await;
    server.stop().await;
}

#[tokio::test]
async fn rate_limits_answer_429_with_retry_after_and_are_recorded() {
    let server = start(|s| {
        s.rate_limits.key_per_minute = 60;
        s.rate_limits.burst = 3;
    })
    .await;
    let mut statuses = Vec::new();
    let mut retry_after = None;
    for _ in 0..5 {
        let response = server
            .client
            .get(server.url("/api/v1/audits"))
            .header("x-api-key", &server.admin_key)
            .send()
            .await
            .unwrap();
        statuses.push(response.status().as_u16());
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            retry_after = response
                .headers()
                .get("retry-after")
                .map(|v| v.to_str().unwrap().to_string());
            let (_, problem) = split(response).await;
            assert_eq!(
                problem["type"],
                format!("{}rate-limited", server::PROBLEM_TYPE_PREFIX)
            );
        }
    }
    assert_eq!(statuses, [200, 200, 200, 429, 429]);
    assert_eq!(retry_after.as_deref(), Some("1"));
    let store = store::connect(&server.db_url).await.unwrap();
    let events = store
        .list_audit_events(&store::AuditEventFilter {
            action: Some("rate_limited".into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(events.len(), 1, "recorded once per minute per credential");
    server.stop().await;
}

#[tokio::test]
async fn plan_quotas_answer_clear_problems() {
    let server = start(|s| {
        s.plans.insert(
            "tiny".into(),
            server::config::PlanQuota {
                audits_per_day: Some(2),
                stored_bytes: Some(200),
                tools: Vec::new(),
                assistants: Vec::new(),
            },
        );
    })
    .await;
    let (tenant_id, key) = server.other_tenant("small").await;
    let (status, _) = {
        let response = server
            .client
            .patch(server.url(&format!("/api/v1/tenants/{tenant_id}")))
            .header("x-api-key", &server.admin_key)
            .json(&json!({ "plan": "tiny" }))
            .send()
            .await
            .unwrap();
        split(response).await
    };
    assert_eq!(status, StatusCode::OK);
    server.submit(&key, &[("A.sol", "contract A {}")]).await;
    let (status, problem) = server
        .post(
            &key,
            "/api/v1/audits",
            json!({ "sources": { "B.sol": "x".repeat(300) } }),
        )
        .await;
    assert_problem(
        status,
        &problem,
        StatusCode::FORBIDDEN,
        "storage-quota-exceeded",
    );
    server.submit(&key, &[("C.sol", "contract C {}")]).await;
    let (status, problem) = server
        .post(
            &key,
            "/api/v1/audits",
            json!({ "sources": { "D.sol": "contract D {}" } }),
        )
        .await;
    assert_problem(
        status,
        &problem,
        StatusCode::TOO_MANY_REQUESTS,
        "quota-exceeded",
    );
    assert_eq!(server.count("audits").await, 2);
    server.stop().await;
}

#[tokio::test]
async fn the_tenant_limit_covers_all_its_keys() {
    let server = start(|s| {
        s.rate_limits.key_per_minute = 6000;
        s.rate_limits.tenant_per_minute = 60;
        s.rate_limits.burst = 2; // the tenant bucket holds twice the burst: 4
    })
    .await;
    let keys = [
        server.admin_key.clone(),
        server.key_with_role("viewer").await,
        server.key_with_role("viewer").await,
    ];
    // Let the admin key's own bucket (2 tokens at 100/s) refill; the tenant's (1/s) cannot.
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let mut statuses = Vec::new();
    let mut last = Value::Null;
    for key in keys.iter().cycle().take(6) {
        let response = server
            .client
            .get(server.url("/api/v1/audits"))
            .header("x-api-key", key)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        if status == 429 {
            assert!(response.headers().contains_key("retry-after"));
            last = split(response).await.1;
        }
        statuses.push(status);
    }
    // The two key creations above used two tenant tokens already.
    assert_eq!(statuses, [200, 200, 429, 429, 429, 429], "{last}");
    assert!(
        last["detail"].as_str().unwrap().contains("tenant"),
        "{last}"
    );
    server.stop().await;
}

#[tokio::test]
async fn other_analyzers_run_only_when_the_plan_includes_them() {
    let server = start(|s| {
        s.plans.insert(
            "with-slither".into(),
            server::config::PlanQuota {
                audits_per_day: None,
                stored_bytes: None,
                tools: vec!["slither".into()],
                assistants: Vec::new(),
            },
        );
    })
    .await;
    let (tenant_id, key) = server.other_tenant("tooled").await;
    let body = |tools: Value| json!({ "sources": { "A.sol": "contract A {}" }, "tools": tools });

    // Off by default: the tenant's plan has none.
    let (status, problem) = server
        .post(&key, "/api/v1/audits", body(json!(["slither"])))
        .await;
    assert_problem(status, &problem, StatusCode::FORBIDDEN, "tool-not-allowed");
    let (status, problem) = server
        .post(&key, "/api/v1/audits", body(json!(["semgrep"])))
        .await;
    assert_problem(
        status,
        &problem,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid-request",
    );
    assert_eq!(server.count("audits").await, 0);

    let response = server
        .client
        .patch(server.url(&format!("/api/v1/tenants/{tenant_id}")))
        .header("x-api-key", &server.admin_key)
        .json(&json!({ "plan": "with-slither" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let (status, problem) = server
        .post(&key, "/api/v1/audits", body(json!(["mythril"])))
        .await;
    assert_problem(status, &problem, StatusCode::FORBIDDEN, "tool-not-allowed");
    let (status, created) = server
        .post(&key, "/api/v1/audits", body(json!(["slither", "slither"])))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{created}");
    let store = store::connect(&server.db_url).await.unwrap();
    let audit = store
        .get_audit(&tenant_id, created["id"].as_str().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(audit.options.tools, ["slither"]);
    // The same sources without the tool are another request (another cache key).
    let (status, plain) = server.post(&key, "/api/v1/audits", body(json!([]))).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let plain = store
        .get_audit(&tenant_id, plain["id"].as_str().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert!(plain.options.tools.is_empty());
    assert_ne!(plain.cache_key, audit.cache_key);
    server.stop().await;
}
