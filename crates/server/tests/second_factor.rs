//! A second factor for local accounts over real HTTP: TOTP enrolment (a first code
//! confirms it, recovery codes shown once), sign-in with it (a code never works twice, a
//! recovery code once), removal, and the tenant policy that restricts a user without one
//! to enrolling.

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

async fn login(
    server: &TestServer,
    email: &str,
    password: &str,
    code: Option<&str>,
) -> (StatusCode, Value) {
    let mut body = json!({ "email": email, "password": password });
    if let Some(code) = code {
        body["code"] = json!(code);
    }
    let response = server
        .client
        .post(server.url("/api/v1/auth/login"))
        .json(&body)
        .send()
        .await
        .unwrap();
    split(response).await
}

async fn bearer(
    server: &TestServer,
    method: reqwest::Method,
    token: &str,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = server
        .client
        .request(method, server.url(path))
        .bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    split(request.send().await.unwrap()).await
}

/// Enrols a second factor for the token's user with the code of the current step; the
/// secret and that (now used) code.
async fn enrol_now(server: &TestServer, token: &str) -> (Vec<u8>, String) {
    let (status, started) = bearer(
        server,
        reqwest::Method::POST,
        token,
        "/api/v1/me/second-factor",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{started}");
    let secret = server::mfa::secret_from_base32(started["secret"].as_str().unwrap()).unwrap();
    let code = server::mfa::code_at(&secret, now_secs()).unwrap();
    let (status, _) = bearer(
        server,
        reqwest::Method::POST,
        token,
        "/api/v1/me/second-factor/confirm",
        Some(json!({ "code": code })),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    (secret, code)
}

#[tokio::test]
async fn totp_enrolment_sign_in_recovery_codes_and_removal() {
    let server = start(|_| {}).await;
    let (email, password) = (server.admin_email.clone(), server.admin_password.clone());
    let (status, answer) = login(&server, &email, &password, None).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let token = answer["token"].as_str().unwrap().to_string();

    let (status, started) = bearer(
        &server,
        reqwest::Method::POST,
        &token,
        "/api/v1/me/second-factor",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{started}");
    let secret = server::mfa::secret_from_base32(started["secret"].as_str().unwrap()).unwrap();
    let uri = started["otpauth_uri"].as_str().unwrap();
    assert!(
        uri.starts_with("otpauth://totp/") && uri.contains("period=30"),
        "{uri}"
    );
    // An API key has no second factor.
    let (status, _) = server
        .post(&server.admin_key, "/api/v1/me/second-factor", json!({}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // The code of the next step: still inside the window if the clock moves on meanwhile.
    let next = now_secs() + 30;
    let code = server::mfa::code_at(&secret, next).unwrap();
    let wrong = format!("{:06}", (code.parse::<u32>().unwrap() + 1) % 1_000_000);
    let confirm = |code: String| {
        bearer(
            &server,
            reqwest::Method::POST,
            &token,
            "/api/v1/me/second-factor/confirm",
            Some(json!({ "code": code })),
        )
    };
    let (status, problem) = confirm(wrong).await;
    assert_problem(
        status,
        &problem,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid-second-factor",
    );
    let (status, confirmed) = confirm(code.clone()).await;
    assert_eq!(status, StatusCode::OK, "{confirmed}");
    let recovery: Vec<String> = confirmed["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    assert_eq!(recovery.len(), 10);
    // Enrolled: a second start is refused.
    let (status, _) = bearer(
        &server,
        reqwest::Method::POST,
        &token,
        "/api/v1/me/second-factor",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);

    // The password alone no longer signs in.
    let (status, problem) = login(&server, &email, &password, None).await;
    assert_problem(
        status,
        &problem,
        StatusCode::UNAUTHORIZED,
        "second-factor-required",
    );
    // The code that confirmed the enrolment was used: it does not sign in.
    let (status, problem) = login(&server, &email, &password, Some(&code)).await;
    assert_problem(
        status,
        &problem,
        StatusCode::UNAUTHORIZED,
        "invalid-second-factor",
    );
    // Nor does an earlier code still inside the window.
    let earlier = server::mfa::code_at(&secret, next - 30).unwrap();
    if earlier != code {
        let (status, problem) = login(&server, &email, &password, Some(&earlier)).await;
        assert_problem(
            status,
            &problem,
            StatusCode::UNAUTHORIZED,
            "invalid-second-factor",
        );
    }
    // A wrong password with a right code is still a wrong password.
    let (status, problem) = login(&server, &email, "not the password", Some(&recovery[1])).await;
    assert_problem(
        status,
        &problem,
        StatusCode::UNAUTHORIZED,
        "invalid-credentials",
    );

    // A recovery code signs in once, typed in capitals without its dash too.
    let typed = recovery[0].replace('-', "").to_uppercase();
    let (status, answer) = login(&server, &email, &password, Some(&typed)).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let token = answer["token"].as_str().unwrap().to_string();
    let (status, problem) = login(&server, &email, &password, Some(&recovery[0])).await;
    assert_problem(
        status,
        &problem,
        StatusCode::UNAUTHORIZED,
        "invalid-second-factor",
    );
    let (_, me) = bearer(&server, reqwest::Method::GET, &token, "/api/v1/me", None).await;
    assert_eq!(me["second_factor"]["enrolled"], true, "{me}");
    assert_eq!(me["second_factor"]["recovery_codes_left"], 9);

    // The trail: the enrolment, the failures with their reason, the sign-in by recovery code.
    let (_, log) = server
        .get(&server.admin_key, "/api/v1/audit-log?action=login&limit=50")
        .await;
    let logins = log["items"].as_array().unwrap();
    assert!(
        logins
            .iter()
            .any(|e| e["outcome"] == "failure" && e["detail"]["reason"] == "wrong second factor"),
        "{log}"
    );
    assert!(
        logins
            .iter()
            .any(|e| e["outcome"] == "success" && e["detail"]["second_factor"] == "recovery_code"),
        "{log}"
    );
    let (_, log) = server
        .get(
            &server.admin_key,
            "/api/v1/audit-log?action=second_factor.enrolled",
        )
        .await;
    assert_eq!(log["items"].as_array().unwrap().len(), 1);

    // Removal takes a valid code.
    let remove = |code: &str| {
        bearer(
            &server,
            reqwest::Method::DELETE,
            &token,
            "/api/v1/me/second-factor",
            Some(json!({ "code": code })),
        )
    };
    let (status, problem) = remove("000000").await;
    assert_problem(
        status,
        &problem,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid-second-factor",
    );
    let (status, _) = remove(&recovery[2]).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = login(&server, &email, &password, None).await;
    assert_eq!(status, StatusCode::OK, "the password alone signs in again");
    server.stop().await;
}

#[tokio::test]
async fn a_tenant_policy_restricts_users_without_a_second_factor_to_enrolling() {
    let server = start(|_| {}).await;
    let (status, created) = server
        .post(
            &server.admin_key,
            "/api/v1/users",
            json!({ "email": "dev@acme.test", "password": "a long user password", "role": "auditor" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let policy = format!("/api/v1/tenants/{}/second-factor-policy", server.tenant_id);
    // Only admins set it.
    let viewer = server.key_with_role("viewer").await;
    let response = server
        .client
        .put(server.url(&policy))
        .header("x-api-key", &viewer)
        .json(&json!({ "required": true }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let response = server
        .client
        .put(server.url(&policy))
        .header("x-api-key", &server.admin_key)
        .json(&json!({ "required": true }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);

    let (status, answer) = login(&server, "dev@acme.test", "a long user password", None).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["second_factor_enrolment_required"], true);
    let token = answer["token"].as_str().unwrap().to_string();
    let (status, problem) = bearer(
        &server,
        reqwest::Method::GET,
        &token,
        "/api/v1/audits",
        None,
    )
    .await;
    assert_problem(
        status,
        &problem,
        StatusCode::FORBIDDEN,
        "second-factor-enrolment-required",
    );
    let (status, me) = bearer(&server, reqwest::Method::GET, &token, "/api/v1/me", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        me["second_factor"],
        json!({ "required": true, "enrolled": false, "recovery_codes_left": null })
    );

    // Enrolling is what the token is for; the next sign-in needs the second factor and
    // gives a full token.
    let (secret, _) = enrol_now(&server, &token).await;
    let next = server::mfa::code_at(&secret, now_secs() + 30).unwrap();
    let (status, answer) = login(
        &server,
        "dev@acme.test",
        "a long user password",
        Some(&next),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert!(answer.get("second_factor_enrolment_required").is_none());
    let token = answer["token"].as_str().unwrap();
    let (status, _) = bearer(&server, reqwest::Method::GET, token, "/api/v1/audits", None).await;
    assert_eq!(status, StatusCode::OK);

    // An admin resets a user's second factor (lost phone): only an admin, recorded; the
    // password alone signs in again, to an enrol-only token while the policy holds.
    let user_id = created["id"].as_str().unwrap();
    let reset = format!("/api/v1/users/{user_id}/second-factor");
    let response = server
        .client
        .delete(server.url(&reset))
        .header("x-api-key", &viewer)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let response = server
        .client
        .delete(server.url(&reset))
        .header("x-api-key", &server.admin_key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let (status, answer) = login(&server, "dev@acme.test", "a long user password", None).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["second_factor_enrolment_required"], true);
    let (_, log) = server
        .get(
            &server.admin_key,
            "/api/v1/audit-log?action=second_factor.reset",
        )
        .await;
    assert_eq!(log["items"][0]["target"], user_id, "{log}");
    server.stop().await;
}

#[tokio::test]
async fn wrong_codes_lock_the_second_factor_for_a_while() {
    let server = start(|_| {}).await;
    let (email, password) = (server.admin_email.clone(), server.admin_password.clone());
    let (_, answer) = login(&server, &email, &password, None).await;
    let token = answer["token"].as_str().unwrap().to_string();
    let (secret, code) = enrol_now(&server, &token).await;

    let wrong = format!(
        "{:06}",
        (code.parse::<u32>().unwrap() + 500_000) % 1_000_000
    );
    for _ in 0..5 {
        let (status, problem) = login(&server, &email, &password, Some(&wrong)).await;
        assert_problem(
            status,
            &problem,
            StatusCode::UNAUTHORIZED,
            "invalid-second-factor",
        );
    }
    // Locked: even the right code of the next step is not checked now.
    let next = server::mfa::code_at(&secret, now_secs() + 30).unwrap();
    let response = server
        .client
        .post(server.url("/api/v1/auth/login"))
        .json(&json!({ "email": email, "password": password, "code": next }))
        .send()
        .await
        .unwrap();
    let retry: u64 = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok()?.parse().ok())
        .expect("a Retry-After header");
    assert!(retry > 0 && retry <= 15 * 60, "{retry}");
    let (status, problem) = split(response).await;
    assert_problem(
        status,
        &problem,
        StatusCode::TOO_MANY_REQUESTS,
        "second-factor-locked",
    );
    server.stop().await;
}
