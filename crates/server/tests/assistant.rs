//! The optional assistant in the service, over real HTTP, against a local server that
//! speaks the OpenAI-compatible chat API: tenants opt in to a profile of their plan,
//! suggestions are queued and answered off the audit path, stored beside the finding and
//! shown in the report, cached across audits, refused by the schema or the budget one
//! suggestion at a time, and never change a finding's triage state.

mod common;

use std::time::Duration;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn suggestions_are_answered_off_the_audit_path_stored_reported_and_cached() {
    let (endpoint, provider) = fake_provider().await;
    let server = start_with_assistant(&endpoint).await;
    let tenant = server.tenant_id.clone();
    let (audit, finding) = first_finding(&server, TOKEN_SOL).await;
    let finding_id = finding["id"].as_str().unwrap().to_owned();

    // Not before the tenant opts in.
    let (status, body) = ask(&server, &server.admin_key, &finding_id).await;
    assert_problem(status, &body, StatusCode::CONFLICT, "assistant-unavailable");

    // Admins opt in, to a profile the plan offers and the operator enabled only.
    let viewer = server.key_with_role("viewer").await;
    let auditor = server.key_with_role("auditor").await;
    let path = format!("/api/v1/tenants/{tenant}/assistant");
    let (status, body) = put(&server, &viewer, &path, json!({ "profile": "local" })).await;
    assert_problem(status, &body, StatusCode::FORBIDDEN, "forbidden");
    for (bad, why) in [
        (json!({ "profile": "elsewhere" }), "does not offer"),
        (json!({ "profile": "off" }), "turned off"),
        (
            json!({ "profile": "local", "auto_severity": "severe" }),
            "auto_severity",
        ),
        (
            json!({ "profile": null, "auto_severity": "high" }),
            "needs a profile",
        ),
    ] {
        let (status, body) = put(&server, &server.admin_key, &path, bad).await;
        assert_problem(
            status,
            &body,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-request",
        );
        assert!(body["detail"].as_str().unwrap().contains(why), "{body}");
    }
    let (status, settings) = put(
        &server,
        &server.admin_key,
        &path,
        json!({ "profile": "local" }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{settings}");
    assert_eq!(settings["profile"], "local");
    assert_eq!(settings["profiles"].as_array().unwrap().len(), 3);
    assert_eq!(settings["unavailable"], Value::Null);

    // Viewers may read but not ask.
    let (status, body) = ask(&server, &viewer, &finding_id).await;
    assert_problem(status, &body, StatusCode::FORBIDDEN, "forbidden");
    let (status, queued) = ask(&server, &auditor, &finding_id).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{queued}");
    assert!(matches!(
        queued["status"].as_str(),
        Some("queued" | "running" | "done")
    ));
    let answered = settled(&server, &finding_id).await;
    assert_eq!(answered["status"], "done", "{answered}");
    assert_eq!(answered["suggestion"]["verdict"], "likely_true");
    assert_eq!(answered["suggestion"]["model"], "test-model");
    assert_eq!(answered["suggestion"]["cached"], false);
    assert!(answered["disclaimer"].as_str().unwrap().contains("triage"));

    // The provider got the finding and the source around it, as data.
    let sent = provider.bodies.lock().unwrap().clone();
    assert_eq!(sent.len(), 1);
    let user = sent[0]["messages"][1]["content"].as_str().unwrap();
    assert!(user.contains("require(tx.origin == owner);"), "{user}");
    assert!(user.contains("function withdraw()"), "{user}");

    // A suggestion is no triage decision; the report carries it beside the finding.
    let (_, after) = server
        .get(&server.admin_key, &format!("/api/v1/findings/{finding_id}"))
        .await;
    assert_eq!(after["triage_state"], "open");
    let (status, report) = server
        .get(
            &server.admin_key,
            &format!("/api/v1/audits/{audit}/report?format=json"),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let reported = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == finding_id.as_str())
        .unwrap();
    assert_eq!(
        reported["assistant"]["suggestion"]["verdict"],
        "likely_true"
    );

    // The same code in a later audit is answered from the cache.
    let (_, again) = first_finding(&server, TOKEN_SOL).await;
    let again_id = again["id"].as_str().unwrap().to_owned();
    assert_ne!(again_id, finding_id);
    let (status, _) = ask(&server, &auditor, &again_id).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let cached = settled(&server, &again_id).await;
    assert_eq!(cached["suggestion"]["cached"], true, "{cached}");
    assert_eq!(provider.bodies.lock().unwrap().len(), 1);

    // The request is in the audit trail; another tenant sees nothing.
    assert!(
        server
            .count("audit_log WHERE action = 'assistant.requested'")
            .await
            >= 2
    );
    let (_, other_key) = server.other_tenant("other").await;
    let (status, body) = server
        .get(
            &other_key,
            &format!("/api/v1/findings/{finding_id}/suggestions"),
        )
        .await;
    assert_problem(status, &body, StatusCode::NOT_FOUND, "not-found");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_answer_a_failing_provider_or_the_budget_fails_that_suggestion_only() {
    let (endpoint, provider) = fake_provider().await;
    let server = start_with_assistant(&endpoint).await;
    let path = format!("/api/v1/tenants/{}/assistant", server.tenant_id);
    let (status, _) = put(
        &server,
        &server.admin_key,
        &path,
        json!({ "profile": "local" }),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (audit, finding) = first_finding(&server, TOKEN_SOL).await;
    let id = finding["id"].as_str().unwrap().to_owned();

    // An answer with a field the schema does not have (an injected triage decision).
    *provider.mode.lock().unwrap() = "injected";
    ask(&server, &server.admin_key, &id).await;
    let refused = settled(&server, &id).await;
    assert_eq!(refused["status"], "failed", "{refused}");
    assert!(
        refused["error"].as_str().unwrap().contains("schema"),
        "{refused}"
    );
    assert_eq!(refused["suggestion"], Value::Null);

    // A provider error.
    *provider.mode.lock().unwrap() = "down";
    ask(&server, &server.admin_key, &id).await;
    let failed = settled(&server, &id).await;
    assert_eq!(failed["status"], "failed");
    assert!(
        failed["error"].as_str().unwrap().contains("HTTP 500"),
        "{failed}"
    );
    let calls = provider.bodies.lock().unwrap().len();

    // A budget too small for one call: refused before the provider is asked.
    *provider.mode.lock().unwrap() = "good";
    let (status, _) = put(
        &server,
        &server.admin_key,
        &path,
        json!({ "profile": "tight" }),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    ask(&server, &server.admin_key, &id).await;
    let over = settled(&server, &id).await;
    assert!(
        over["error"]
            .as_str()
            .unwrap()
            .contains("daily token budget exhausted"),
        "{over}"
    );
    assert_eq!(provider.bodies.lock().unwrap().len(), calls);

    // None of it touched the finding or the audit.
    let (_, after) = server
        .get(&server.admin_key, &format!("/api/v1/findings/{id}"))
        .await;
    assert_eq!(after["triage_state"], "open");
    let (_, audit) = server
        .get(&server.admin_key, &format!("/api/v1/audits/{audit}"))
        .await;
    assert_eq!(audit["status"], "succeeded");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn findings_at_the_chosen_severity_are_sent_when_an_audit_succeeds() {
    let (endpoint, provider) = fake_provider().await;
    let server = start_with_assistant(&endpoint).await;
    let path = format!("/api/v1/tenants/{}/assistant", server.tenant_id);
    let (status, body) = put(
        &server,
        &server.admin_key,
        &path,
        json!({ "profile": "local", "auto_severity": "high" }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["auto_severity"], "high");
    let (_, finding) = first_finding(&server, TOKEN_SOL).await;
    let id = finding["id"].as_str().unwrap();
    let answered = settled(&server, id).await;
    assert_eq!(answered["status"], "done", "{answered}");
    assert_eq!(answered["requested_by"], "system:assistant");
    assert_eq!(provider.bodies.lock().unwrap().len(), 1);

    // Opting out stops it.
    let (status, _) = put(
        &server,
        &server.admin_key,
        &path,
        json!({ "profile": null }),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let source = TOKEN_SOL.replace("owner);", "owner); // changed");
    let (_, later) = first_finding(&server, &source).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (_, list) = server
        .get(
            &server.admin_key,
            &format!(
                "/api/v1/findings/{}/suggestions",
                later["id"].as_str().unwrap()
            ),
        )
        .await;
    assert!(list["items"].as_array().unwrap().is_empty(), "{list}");
    server.stop().await;
}
