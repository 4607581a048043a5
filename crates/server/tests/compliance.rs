//! Compliance evidence packs from a database filled through the real API with a scripted
//! history: each control holds its evidence (and no other tenant's), the incidents come
//! with their timelines, the trail's verification and head are in; the JSON and PDF packs
//! verify, and are refused after one byte is changed; the PDF is read back page by page.

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use server::compliance::{self, PackKey, PackRequest, Trust, VerifyError};
use store::trail::Signer;

/// The scripted history; returns the incident's title.
async fn history(server: &TestServer) -> String {
    let admin = server.admin_key.clone();
    let (status, _) = server
        .post(
            &admin,
            "/api/v1/users",
            json!({ "email": "ana@acme.test", "password": "a long enough password 1", "role": "auditor" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, key) = server
        .post(
            &admin,
            "/api/v1/api-keys",
            json!({ "name": "ci", "role": "auditor" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{key}");
    let key_id = key["id"].as_str().unwrap().to_owned();
    let (status, rotated) = server
        .post(
            &admin,
            &format!("/api/v1/api-keys/{key_id}/rotate"),
            json!({ "overlap_secs": 0 }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{rotated}");
    let new_id = rotated["id"].as_str().unwrap().to_owned();
    let (status, _) = server
        .send(
            reqwest::Method::DELETE,
            &admin,
            &format!("/api/v1/api-keys/{new_id}"),
            None,
        )
        .await;
    assert!(status.is_success(), "{status}");
    // A failed and a successful sign-in.
    for password in ["wrong password", server.admin_password.as_str()] {
        server
            .client
            .post(server.url("/api/v1/auth/login"))
            .json(&json!({ "email": server.admin_email, "password": password }))
            .send()
            .await
            .unwrap();
    }
    // A permission denial.
    let viewer = server.key_with_role("viewer").await;
    let (status, _) = server
        .post(
            &viewer,
            "/api/v1/api-keys",
            json!({ "name": "x", "role": "admin" }),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // The tenant's second-factor policy, a monitor, an incident handled to resolution.
    let (status, _) = server
        .send(
            reqwest::Method::PUT,
            &admin,
            &format!("/api/v1/tenants/{}/second-factor-policy", server.tenant_id),
            Some(json!({ "required": false })),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, incident) = open_incident(server, &admin, &server.tenant_id, "vault").await;
    let path = format!("/api/v1/incidents/{incident}");
    let (status, _) = server
        .send(
            reqwest::Method::POST,
            &admin,
            &format!("{path}/comments"),
            Some(json!({ "text": "paused the vault" })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, resolved) = server
        .send(
            reqwest::Method::PATCH,
            &admin,
            &path,
            Some(json!({ "state": "resolved" })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{resolved}");
    // Another tenant's history, which the pack must not hold.
    let (_, other_admin) = server.other_tenant("beta").await;
    let (status, _) = server
        .post(
            &other_admin,
            "/api/v1/api-keys",
            json!({ "name": "beta-ci", "role": "viewer" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    resolved["title"].as_str().unwrap().to_owned()
}

fn control<'a>(pack: &'a Value, id: &str) -> &'a Value {
    pack["controls"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no control {id}"))
}

fn actions(control: &Value) -> Vec<String> {
    control["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{}:{}",
                e["action"].as_str().unwrap(),
                e["outcome"].as_str().unwrap()
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pack_of_a_scripted_history_holds_each_controls_evidence_and_verifies() {
    let server = start(allow_loopback).await;
    let started = server::timestamp::now_ms() - 60_000;
    let incident_title = history(&server).await;
    let tenant = server.tenant_id.clone();
    let db_url = server.db_url.clone();
    let _dir = server.stop().await;

    let store = store::connect(&db_url).await.unwrap();
    let signer = Signer::new(SECRET.as_bytes());
    let request = PackRequest {
        tenant_id: tenant.clone(),
        from_ms: started,
        to_ms: server::timestamp::now_ms() + 60_000,
        generated_by: "test".into(),
    };
    let pack = compliance::build(store.as_ref(), &signer, &request, request.to_ms)
        .await
        .unwrap();
    assert_eq!(pack["format"], compliance::FORMAT);
    assert_eq!(pack["trail"]["verified"], true, "{}", pack["trail"]);
    assert!(pack["trail"]["head"]["seq"].as_i64().unwrap() > 10);

    let provisioning = actions(control(&pack, "access-provisioning"));
    for expected in [
        "user.created:success",
        "api_key.created:success",
        "api_key.rotated:success",
        "api_key.revoked:success",
        "tenant.second_factor_policy:success",
    ] {
        assert!(
            provisioning.contains(&expected.to_owned()),
            "{expected} in {provisioning:?}"
        );
    }
    let authentication = actions(control(&pack, "authentication"));
    assert!(
        authentication.contains(&"login:failure".to_owned()),
        "{authentication:?}"
    );
    assert!(
        authentication.contains(&"login:success".to_owned()),
        "{authentication:?}"
    );
    assert!(
        actions(control(&pack, "access-denials")).contains(&"permission.denied:denied".to_owned())
    );
    let configuration = actions(control(&pack, "configuration-changes"));
    assert!(
        configuration.contains(&"monitor.created:success".to_owned()),
        "{configuration:?}"
    );
    let response = control(&pack, "incident-response");
    assert_eq!(response["incident_count"], 1);
    assert!(actions(response).iter().any(|a| a.starts_with("incident.")));
    let incident = &pack["incidents"][0];
    assert_eq!(incident["title"], incident_title.as_str());
    let kinds: Vec<&str> = incident["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"alert") && kinds.contains(&"comment") && kinds.contains(&"state"),
        "{kinds:?}"
    );
    assert_eq!(
        control(&pack, "audit-trail-integrity")["trail_verified"],
        true
    );
    // Nothing of the other tenant.
    let all = pack.to_string();
    assert!(
        !all.contains("beta-ci"),
        "another tenant's key is in the pack"
    );
    for c in pack["controls"].as_array().unwrap() {
        for e in c["events"].as_array().unwrap() {
            assert!(
                e["tenant_id"] == tenant.as_str() || e["tenant_id"].is_null(),
                "{e}"
            );
        }
    }

    // Signed JSON and PDF: intact, then refused with any one byte changed.
    let key = PackKey::Hmac(Signer::new(SECRET.as_bytes()));
    let trust = Trust {
        hmac: Some(Signer::new(SECRET.as_bytes())),
        ed25519: Vec::new(),
    };
    let json_pack = compliance::signed_json(&pack, &key);
    let pdf_pack = compliance::signed_pdf(&pack, &key);
    for signed in [&json_pack, &pdf_pack] {
        compliance::verify(signed, &trust).unwrap();
        for at in [0, signed.len() / 3, signed.len() / 2, signed.len() - 2] {
            let mut changed = signed.to_vec();
            changed[at] = changed[at].wrapping_add(1);
            assert!(compliance::verify(&changed, &trust).is_err(), "byte {at}");
        }
        assert_eq!(
            compliance::verify(
                signed,
                &Trust {
                    hmac: Some(Signer::new(b"another key")),
                    ed25519: Vec::new()
                }
            ),
            Err(VerifyError::BadSignature)
        );
    }

    // The PDF, page by page: the summary, a page per control, the incidents.
    let doc = lopdf::Document::load_mem(&pdf_pack).expect("a well-formed PDF");
    let pages = doc.get_pages().len() as u32;
    let controls = pack["controls"].as_array().unwrap().len() as u32;
    assert!(pages >= 2 + controls, "{pages} pages");
    let text = |page: u32| doc.extract_text(&[page]).unwrap();
    let first = text(1);
    assert!(
        first.contains("Summary") && first.contains("acme"),
        "{first}"
    );
    assert!(first.contains("Audit trail: verified"), "{first}");
    assert!(first.contains("access-provisioning"), "{first}");
    let mut seen_controls = 0;
    for page in 1..=pages {
        let body = text(page);
        assert!(
            body.contains(&format!("page {page} of {pages}")),
            "page {page}: {body}"
        );
        if body.contains("SOC 2:") {
            seen_controls += 1;
        }
    }
    assert_eq!(seen_controls, controls);
    let provisioning_page = (1..=pages)
        .map(text)
        .find(|t| t.contains("access-provisioning: Access provisioning"))
        .unwrap();
    assert!(
        provisioning_page.contains("api_key.rotated"),
        "{provisioning_page}"
    );
    assert!(provisioning_page.contains("CC6.2") && provisioning_page.contains("A.5.18"));
    let last = text(pages);
    assert!(
        last.contains("Incidents") && last.contains("paused the vault"),
        "{last}"
    );

    // A trail edited behind the service's back: the pack says so.
    let pool = sqlx::SqlitePool::connect(&db_url).await.unwrap();
    sqlx::query("UPDATE audit_log SET actor = 'someone else' WHERE seq = 2")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let tampered = compliance::build(store.as_ref(), &signer, &request, request.to_ms)
        .await
        .unwrap();
    assert_eq!(tampered["trail"]["verified"], false);
    assert_eq!(tampered["trail"]["first_break"]["seq"], 2);
    let pdf = compliance::signed_pdf(&tampered, &key);
    let doc = lopdf::Document::load_mem(&pdf).unwrap();
    assert!(doc.extract_text(&[1]).unwrap().contains("NOT VERIFIED"));
}
