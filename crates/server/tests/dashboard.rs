//! The web dashboard over real HTTP on loopback: sign-in, sessions, CSRF and origin
//! checks, roles, tenant isolation, submission, triage, "new since the previous audit",
//! incidents and monitors, and escaping of hostile text.

mod common;

use std::io::Write;

use common::{
    TOKEN_SOL, TestServer, allow_loopback, create_monitor, fake_provider, fire, open_incident, put,
    settled, start, start_with_assistant,
};
use reqwest::StatusCode;
use reqwest::header::{self, HeaderMap};
use serde_json::json;

/// A browser of the dashboard: its session cookie and the CSRF token of its pages.
struct Browser<'a> {
    server: &'a TestServer,
    client: reqwest::Client,
    cookie: Option<String>,
    csrf: Option<String>,
}

struct Page {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

impl Page {
    fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

/// The value of the first hidden `csrf` field of a page.
fn csrf_of(html: &str) -> Option<String> {
    let start = html.find("name=\"csrf\" value=\"")? + "name=\"csrf\" value=\"".len();
    let end = html[start..].find('"')?;
    Some(html[start..start + end].to_string())
}

/// `name=value` of each `Set-Cookie` header, with the whole header.
fn set_cookies(headers: &HeaderMap) -> Vec<(String, String, String)> {
    headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| {
            let pair = v.split(';').next()?;
            let (name, value) = pair.split_once('=')?;
            Some((name.to_string(), value.to_string(), v.to_string()))
        })
        .collect()
}

impl<'a> Browser<'a> {
    fn new(server: &'a TestServer) -> Self {
        Browser {
            server,
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookie: None,
            csrf: None,
        }
    }

    async fn page(&mut self, response: reqwest::Response) -> Page {
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.text().await.unwrap();
        if let Some(csrf) = csrf_of(&body) {
            self.csrf = Some(csrf);
        }
        Page {
            status,
            headers,
            body,
        }
    }

    async fn get(&mut self, path: &str) -> Page {
        let mut request = self.client.get(self.server.url(path));
        if let Some(cookie) = &self.cookie {
            request = request.header(header::COOKIE, cookie);
        }
        let response = request.send().await.unwrap();
        self.page(response).await
    }

    fn post(&self, path: &str) -> reqwest::RequestBuilder {
        let mut request = self
            .client
            .post(self.server.url(path))
            .header(header::ORIGIN, &self.server.base);
        if let Some(cookie) = &self.cookie {
            request = request.header(header::COOKIE, cookie);
        }
        request
    }

    async fn post_form(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let response = self.post(path).form(fields).send().await.unwrap();
        self.page(response).await
    }

    /// Posts `multipart/form-data`: `(name, file name, content)`.
    async fn post_multipart(&mut self, path: &str, parts: &[(&str, Option<&str>, &[u8])]) -> Page {
        let boundary = "----dashboard-test-boundary-7f3a";
        let mut body = Vec::new();
        for (name, file_name, content) in parts {
            write!(
                body,
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\""
            )
            .unwrap();
            if let Some(file_name) = file_name {
                write!(
                    body,
                    "; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream"
                )
                .unwrap();
            }
            body.extend_from_slice(b"\r\n\r\n");
            body.extend_from_slice(content);
            body.extend_from_slice(b"\r\n");
        }
        write!(body, "--{boundary}--\r\n").unwrap();
        let response = self
            .post(path)
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(body)
            .send()
            .await
            .unwrap();
        self.page(response).await
    }

    /// Signs in; returns the answer to the sign-in post.
    async fn login(&mut self, email: &str, password: &str) -> Page {
        self.login_with(email, password, None).await
    }

    /// Signs in with a second-factor code when given.
    async fn login_with(&mut self, email: &str, password: &str, code: Option<&str>) -> Page {
        let form = self.get("/login").await;
        assert_eq!(form.status, StatusCode::OK);
        let (name, nonce, _) = set_cookies(&form.headers)
            .into_iter()
            .find(|(name, _, _)| name.contains("login"))
            .expect("the sign-in form sets its cookie");
        self.cookie = Some(format!("{name}={nonce}"));
        let csrf = self.csrf.clone().unwrap();
        let mut fields = vec![
            ("csrf", csrf.as_str()),
            ("email", email),
            ("password", password),
        ];
        if let Some(code) = code {
            fields.push(("code", code));
        }
        let answer = self.post_form("/login", &fields).await;
        if let Some((name, value, _)) = set_cookies(&answer.headers)
            .into_iter()
            .find(|(name, value, _)| name.contains("session") && !value.is_empty())
        {
            self.cookie = Some(format!("{name}={value}"));
        }
        answer
    }

    /// Signs in and opens the audit list (which carries the session's CSRF token).
    async fn signed_in(server: &'a TestServer, email: &str, password: &str) -> Browser<'a> {
        let mut browser = Browser::new(server);
        let answer = browser.login(email, password).await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
        assert_eq!(answer.location(), "/audits");
        let list = browser.get("/audits").await;
        assert_eq!(list.status, StatusCode::OK, "{}", list.body);
        browser
    }

    fn token(&self) -> String {
        self.csrf.clone().expect("a page with a form was opened")
    }

    /// Submits pasted source through the form; returns the new audit's id.
    async fn submit(&mut self, project: &str, file_name: &str, source: &str) -> String {
        self.get("/audits/new").await;
        let csrf = self.token();
        let answer = self
            .post_multipart(
                "/audits",
                &[
                    ("csrf", None, csrf.as_bytes()),
                    ("project", None, project.as_bytes()),
                    ("file_name", None, file_name.as_bytes()),
                    ("source", None, source.as_bytes()),
                    ("files", Some(""), b""),
                ],
            )
            .await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
        answer
            .location()
            .strip_prefix("/audits/")
            .expect("redirected to the audit")
            .to_string()
    }
}

async fn create_user(server: &TestServer, email: &str, role: &str, tenant: Option<&str>) {
    let mut body = json!({ "email": email, "password": "a long user password", "role": role });
    if let Some(tenant) = tenant {
        body["tenant_id"] = json!(tenant);
    }
    let (status, created) = server.post(&server.admin_key, "/api/v1/users", body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
}

async fn trail_actions(server: &TestServer, action: &str) -> Vec<serde_json::Value> {
    let (status, log) = server
        .get(
            &server.admin_key,
            &format!("/api/v1/audit-log?action={action}"),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{log}");
    log["items"].as_array().unwrap().clone()
}

/// Insecure cookies: the tests speak plain HTTP (as browsers do on localhost).
async fn server() -> TestServer {
    start(|s| s.dashboard_cookie_secure = false).await
}

#[tokio::test]
async fn sign_in_sets_a_strict_session_cookie_and_sign_out_revokes_it() {
    let server = start(|_| {}).await;
    let mut browser = Browser::new(&server);
    let home = browser.get("/").await;
    assert_eq!(home.status, StatusCode::SEE_OTHER);
    assert_eq!(home.location(), "/login");
    let audits = browser.get("/audits").await;
    assert_eq!(audits.location(), "/login", "pages need a session");

    let wrong = browser.login(&server.admin_email, "not the password").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.body.contains("The email or password is wrong"));
    let failures = trail_actions(&server, "login").await;
    assert_eq!(failures[0]["outcome"], "failure");
    assert_eq!(failures[0]["detail"]["via"], "dashboard");

    let answer = browser
        .login(&server.admin_email, &server.admin_password)
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    let (name, token, cookie) = set_cookies(&answer.headers)
        .into_iter()
        .find(|(name, _, _)| name.contains("session"))
        .unwrap();
    // The default configuration: Secure, with the prefix browsers hold it to.
    assert_eq!(name, "__Host-web3audit_session");
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/", "Secure"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    let list = browser.get("/audits").await;
    assert_eq!(list.status, StatusCode::OK);
    let csp = list.headers[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap();
    assert!(csp.contains("default-src 'none'") && csp.contains("style-src 'self'"));
    assert!(csp.contains("frame-ancestors 'none'") && !csp.contains("script-src"));
    assert_eq!(list.headers[header::CACHE_CONTROL], "no-store");
    // Attribute values are escaped (`/` as `&#x2f;`); the version is what matters.
    let version = list
        .body
        .split("dashboard.css?v=")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    let css = browser
        .get(&format!("/assets/dashboard.css?v={version}"))
        .await;
    assert_eq!(css.status, StatusCode::OK);
    assert!(
        css.headers[header::CACHE_CONTROL]
            .to_str()
            .unwrap()
            .contains("max-age=31536000")
    );

    // The store keeps a hash of the token, never the token.
    let pool = sqlx::SqlitePool::connect(&server.db_url).await.unwrap();
    let hashes: Vec<(String,)> = sqlx::query_as("SELECT token_hash FROM dashboard_sessions")
        .fetch_all(&pool)
        .await
        .unwrap();
    pool.close().await;
    assert_eq!(hashes.len(), 1);
    assert_ne!(hashes[0].0, token);

    let csrf = browser.token();
    let out = browser.post_form("/logout", &[("csrf", &csrf)]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert!(
        set_cookies(&out.headers)
            .iter()
            .any(|(n, v, c)| n == &name && v.is_empty() && c.contains("Max-Age=0"))
    );
    // The old cookie is worth nothing now.
    let after = browser.get("/audits").await;
    assert_eq!(after.location(), "/login");
    assert_eq!(trail_actions(&server, "logout").await.len(), 1);
    server.stop().await;
}

#[tokio::test]
async fn posts_without_the_session_token_or_from_another_origin_are_refused() {
    let server = server().await;
    let audit = server
        .submit(&server.admin_key, &[("Token.sol", TOKEN_SOL)])
        .await;
    server.wait_final(&server.admin_key, &audit).await;
    let finding = format!("{audit}-f0");
    let mut browser =
        Browser::signed_in(&server, &server.admin_email, &server.admin_password).await;
    let path = format!("/findings/{finding}/triage");

    let missing = browser.post_form(&path, &[("state", "confirmed")]).await;
    assert_eq!(missing.status, StatusCode::FORBIDDEN);
    let wrong = browser
        .post_form(&path, &[("csrf", "forged"), ("state", "confirmed")])
        .await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    assert!(wrong.body.contains("Form refused"));

    // The right token from another site's page.
    browser.get("/audits").await;
    let csrf = browser.token();
    let response = browser
        .client
        .post(server.url(&path))
        .header(header::COOKIE, browser.cookie.clone().unwrap())
        .header(header::ORIGIN, "https://evil.example")
        .form(&[("csrf", csrf.as_str()), ("state", "confirmed")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);

    // A sign-in form posted without the cookie of the page that showed it.
    let mut stranger = Browser::new(&server);
    stranger.get("/login").await;
    let csrf = stranger.token();
    let answer = stranger
        .post_form(
            "/login",
            &[
                ("csrf", &csrf),
                ("email", &server.admin_email),
                ("password", &server.admin_password),
            ],
        )
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);

    let (_, body) = server
        .get(&server.admin_key, &format!("/api/v1/findings/{finding}"))
        .await;
    assert_eq!(body["triage_state"], "open", "nothing was changed");
    let rejected = trail_actions(&server, "csrf.rejected").await;
    assert!(!rejected.is_empty());
    assert_eq!(
        rejected.last().unwrap()["detail"]["attempted"],
        "triage findings"
    );

    // With the token and from this origin, the same post goes through.
    let csrf = csrf_of_session(&mut browser).await;
    let ok = browser
        .post_form(&path, &[("csrf", &csrf), ("state", "confirmed")])
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    server.stop().await;
}

async fn csrf_of_session(browser: &mut Browser<'_>) -> String {
    browser.get("/audits").await;
    browser.token()
}

#[tokio::test]
async fn a_viewer_gets_no_submit_form_and_a_forged_submission_is_refused_and_recorded() {
    let server = server().await;
    create_user(&server, "viewer@acme.test", "viewer", None).await;
    let mut viewer = Browser::signed_in(&server, "viewer@acme.test", "a long user password").await;
    let list = viewer.get("/audits").await;
    assert!(!list.body.contains("/audits/new"), "{}", list.body);
    assert!(!list.body.contains("/security"));
    let form = viewer.get("/audits/new").await;
    assert_eq!(form.status, StatusCode::FORBIDDEN);
    let security = viewer.get("/security").await;
    assert_eq!(security.status, StatusCode::FORBIDDEN);

    let csrf = csrf_of_session(&mut viewer).await;
    let forged = viewer
        .post_multipart(
            "/audits",
            &[
                ("csrf", None, csrf.as_bytes()),
                ("file_name", None, b"Token.sol"),
                ("source", None, TOKEN_SOL.as_bytes()),
            ],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN, "{}", forged.body);
    assert_eq!(server.count("audits").await, 0);
    let denied = trail_actions(&server, "permission.denied").await;
    assert_eq!(denied.len(), 2, "the security page and the submission");
    assert_eq!(denied[0]["detail"]["attempted"], "submit audits");

    // An auditor gets the form and may submit.
    create_user(&server, "auditor@acme.test", "auditor", None).await;
    let mut auditor =
        Browser::signed_in(&server, "auditor@acme.test", "a long user password").await;
    assert!(auditor.get("/audits").await.body.contains("/audits/new"));
    auditor.submit("", "Token.sol", TOKEN_SOL).await;
    assert_eq!(server.count("audits").await, 1);
    server.stop().await;
}

#[tokio::test]
async fn another_tenants_audits_and_findings_are_not_found() {
    let server = server().await;
    let (other_tenant, other_key) = server.other_tenant("globex").await;
    let audit = server.submit(&other_key, &[("Token.sol", TOKEN_SOL)]).await;
    server.wait_final(&other_key, &audit).await;
    create_user(&server, "admin@globex.test", "admin", Some(&other_tenant)).await;

    let mut browser =
        Browser::signed_in(&server, &server.admin_email, &server.admin_password).await;
    assert!(!browser.get("/audits").await.body.contains(&audit[..8]));
    assert_eq!(
        browser.get(&format!("/audits/{audit}")).await.status,
        StatusCode::NOT_FOUND
    );
    let finding = format!("{audit}-f0");
    assert_eq!(
        browser.get(&format!("/findings/{finding}")).await.status,
        StatusCode::NOT_FOUND
    );
    let csrf = csrf_of_session(&mut browser).await;
    let triage = browser
        .post_form(
            &format!("/findings/{finding}/triage"),
            &[("csrf", &csrf), ("state", "fixed")],
        )
        .await;
    assert_eq!(triage.status, StatusCode::NOT_FOUND);

    let mut owner = Browser::signed_in(&server, "admin@globex.test", "a long user password").await;
    let page = owner.get(&format!("/audits/{audit}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Authorization through tx.origin"));
    server.stop().await;
}

#[tokio::test]
async fn a_finding_shows_its_flagged_line_and_triage_round_trips_with_history() {
    let server = server().await;
    let mut browser =
        Browser::signed_in(&server, &server.admin_email, &server.admin_password).await;
    let audit = browser.submit("token", "Token.sol", TOKEN_SOL).await;
    server.wait_final(&server.admin_key, &audit).await;

    let page = browser.get(&format!("/audits/{audit}")).await;
    assert_eq!(page.status, StatusCode::OK);
    let link = format!("/findings/{audit}-f0#L5");
    assert!(page.body.contains(&link), "{}", page.body);
    assert!(page.body.contains("first succeeded audit of this project"));

    let finding = browser.get(&format!("/findings/{audit}-f0")).await;
    assert_eq!(finding.status, StatusCode::OK);
    assert!(
        finding
            .body
            .contains("<div class=\"line flagged\" id=\"L5\">"),
        "{}",
        finding.body
    );
    assert!(finding.body.contains("<div class=\"line\" id=\"L4\">"));
    assert!(finding.body.contains("No triage yet"));

    let csrf = browser.token();
    let answer = browser
        .post_form(
            &format!("/findings/{audit}-f0/triage"),
            &[
                ("csrf", &csrf),
                ("state", "confirmed"),
                ("comment", "exploitable by a phishing contract"),
            ],
        )
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    assert_eq!(answer.location(), format!("/findings/{audit}-f0#triage"));
    let after = browser.get(&format!("/findings/{audit}-f0")).await;
    assert!(after.body.contains("<option value=\"confirmed\" selected>"));
    assert!(after.body.contains("exploitable by a phishing contract"));
    assert!(after.body.contains("open → <strong>confirmed</strong>"));

    let (_, api) = server
        .get(&server.admin_key, &format!("/api/v1/findings/{audit}-f0"))
        .await;
    assert_eq!(api["triage_state"], "confirmed");
    assert_eq!(
        api["history"][0]["comment"],
        "exploitable by a phishing contract"
    );
    assert_eq!(trail_actions(&server, "triage.changed").await.len(), 1);

    let invalid = browser
        .post_form(
            &format!("/findings/{audit}-f0/triage"),
            &[("csrf", &csrf), ("state", "gone")],
        )
        .await;
    assert_eq!(invalid.status, StatusCode::UNPROCESSABLE_ENTITY);
    server.stop().await;
}

#[tokio::test]
async fn findings_missing_from_the_previous_audit_of_the_project_are_marked_new() {
    let server = server().await;
    let mut browser =
        Browser::signed_in(&server, &server.admin_email, &server.admin_password).await;
    let v1 = "contract V {\n  function a() public { require(tx.origin == a1); }\n  function b() public { require(tx.origin == b1); }\n}\n";
    // `a` stays, `b` is fixed, `c` is new.
    let v2 = "contract V {\n  function a() public { require(tx.origin == a1); }\n  function c() public { require(tx.origin == c1); }\n}\n";
    let first = browser.submit("vault", "V.sol", v1).await;
    server.wait_final(&server.admin_key, &first).await;
    // Another project in between: not compared with.
    let other = browser.submit("other", "V.sol", v2).await;
    server.wait_final(&server.admin_key, &other).await;
    let second = browser.submit("vault", "V.sol", v2).await;
    server.wait_final(&server.admin_key, &second).await;

    let page = browser.get(&format!("/audits/{second}")).await.body;
    assert!(
        page.contains(&format!("href=\"/audits/{first}\"")),
        "{page}"
    );
    assert!(
        page.contains("<strong>1 new</strong>, <strong>1 fixed</strong>"),
        "{page}"
    );
    // The second finding (line 3, `c`) is the new one.
    let new_item = page
        .split(&format!("/findings/{second}-f1#L3"))
        .nth(1)
        .unwrap();
    assert!(
        new_item
            .split("</li>")
            .next()
            .unwrap()
            .contains("badge new")
    );
    let old_item = page
        .split(&format!("/findings/{second}-f0#L2"))
        .nth(1)
        .unwrap();
    assert!(
        !old_item
            .split("</li>")
            .next()
            .unwrap()
            .contains("badge new")
    );

    // Without a project name, the same file names make the project.
    let third = browser.submit("", "V.sol", v1).await;
    server.wait_final(&server.admin_key, &third).await;
    let fourth = browser.submit("", "V.sol", v2).await;
    server.wait_final(&server.admin_key, &fourth).await;
    let page = browser.get(&format!("/audits/{fourth}")).await.body;
    assert!(
        page.contains(&format!("href=\"/audits/{third}\"")),
        "{page}"
    );
    let (_, api) = server
        .get(&server.admin_key, &format!("/api/v1/audits/{fourth}"))
        .await;
    assert_eq!(api["project"], "V.sol");
    server.stop().await;
}

#[tokio::test]
async fn hostile_source_and_names_are_shown_as_text() {
    let server = server().await;
    let mut browser =
        Browser::signed_in(&server, &server.admin_email, &server.admin_password).await;
    let hostile = "contract X {\n  // </code></div><script>alert(1)</script>\n  function f() public { require(tx.origin == o); } // <img src=x onerror=alert(2)>\n}\n";
    let audit = browser
        .submit("<b onmouseover=alert(3)>p</b>", "X.sol", hostile)
        .await;
    server.wait_final(&server.admin_key, &audit).await;
    for path in [
        "/audits".to_string(),
        format!("/audits/{audit}"),
        format!("/findings/{audit}-f0"),
    ] {
        let page = browser.get(&path).await;
        assert_eq!(page.status, StatusCode::OK);
        for markup in ["<script>", "<img", "<b onmouseover"] {
            assert!(
                !page.body.contains(markup),
                "{path} carries {markup}: {}",
                page.body
            );
        }
    }
    let finding = browser.get(&format!("/findings/{audit}-f0")).await.body;
    assert!(finding.contains("&lt;script&gt;alert(1)"));
    assert!(finding.contains("&lt;img src=x onerror=alert(2)&gt;"));
    server.stop().await;
}

#[tokio::test]
async fn uploaded_files_and_archives_are_audited_under_the_api_limits() {
    let server = server().await;
    let mut browser =
        Browser::signed_in(&server, &server.admin_email, &server.admin_password).await;
    let mut zip_bytes = Vec::new();
    {
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(&mut zip_bytes));
        let options = zip::write::SimpleFileOptions::default();
        zip.start_file("lib/Owned.sol", options).unwrap();
        zip.write_all(b"contract Owned { function f() public { require(tx.origin == o); } }\n")
            .unwrap();
        zip.finish().unwrap();
    }
    let csrf = csrf_of_session(&mut browser).await;
    let answer = browser
        .post_multipart(
            "/audits",
            &[
                ("csrf", None, csrf.as_bytes()),
                ("project", None, b"uploads"),
                ("files", Some("Token.sol"), TOKEN_SOL.as_bytes()),
                ("files", Some("lib.zip"), &zip_bytes),
            ],
        )
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    let audit = answer
        .location()
        .strip_prefix("/audits/")
        .unwrap()
        .to_string();
    let done = server.wait_final(&server.admin_key, &audit).await;
    assert_eq!(done["file_count"], 2);
    assert_eq!(done["finding_count"], 2);

    // A file type the API refuses is refused here too, and the form keeps what was typed.
    let refused = browser
        .post_multipart(
            "/audits",
            &[
                ("csrf", None, csrf.as_bytes()),
                ("project", None, b"kept project"),
                ("files", Some("notes.txt"), b"hello"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("does not end in one of"));
    assert!(refused.body.contains("value=\"kept project\""));
    server.stop().await;
}

#[tokio::test]
async fn the_security_and_usage_pages_show_the_trail_keys_and_quotas() {
    let server = server().await;
    let mut browser = Browser::new(&server);
    browser.login(&server.admin_email, "wrong password!!").await;
    let mut admin = Browser::signed_in(&server, &server.admin_email, &server.admin_password).await;
    admin.submit("", "Token.sol", TOKEN_SOL).await;
    let page = admin.get("/security").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body
            .contains("<span class=\"figure\">1</span> Failed sign-ins"),
        "{}",
        page.body
    );
    assert!(page.body.contains("bootstrap"), "the API keys are listed");
    assert!(
        page.body
            .contains("<th scope=\"col\">Last used</th><th scope=\"col\">Expires</th>"),
        "keys show their last use and expiry"
    );
    assert!(page.body.contains("<svg class=\"chart\""));
    assert!(page.body.contains("audit.submitted"));

    let usage = admin.get("/usage").await;
    assert_eq!(usage.status, StatusCode::OK);
    // The bootstrapped tenant is on the unlimited enterprise plan.
    assert!(usage.body.contains("1 (unlimited)"), "{}", usage.body);
    server.stop().await;
}

/// Pages count against the same rate limits as the API: past the burst a page answers
/// 429 with the limit and the wait, and the refusal is on the trail as the dashboard's.
#[tokio::test]
async fn pages_past_the_rate_limit_are_refused_and_recorded() {
    let server = start(|s| {
        s.dashboard_cookie_secure = false;
        s.rate_limits = server::config::RateLimits {
            key_per_minute: 60,
            tenant_per_minute: 100_000,
            burst: 3,
        };
    })
    .await;
    let mut admin = Browser::signed_in(&server, &server.admin_email, &server.admin_password).await;
    let mut statuses = Vec::new();
    let mut refused = None;
    for _ in 0..6 {
        let page = admin.get("/audits").await;
        if page.status == StatusCode::TOO_MANY_REQUESTS {
            refused = Some(page.body.clone());
        }
        statuses.push(page.status);
    }
    assert!(
        statuses.contains(&StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
    let body = refused.unwrap_or_default();
    assert!(
        body.contains("the credential request rate limit is exceeded; retry after"),
        "{body}"
    );
    let recorded = trail_actions(&server, "rate_limited").await;
    assert_eq!(recorded[0]["detail"]["via"], "dashboard", "{recorded:?}");
    assert_eq!(recorded[0]["detail"]["scope"], "credential");
    server.stop().await;
}

/// Posts the new-audit form with a deployed contract (and optionally pasted source).
async fn submit_contract(browser: &mut Browser<'_>, fields: &[(&str, &str)]) -> Page {
    browser.get("/audits/new").await;
    let csrf = browser.token();
    let mut parts: Vec<(&str, Option<&str>, &[u8])> = vec![("csrf", None, csrf.as_bytes())];
    for (name, value) in fields {
        parts.push((name, None, value.as_bytes()));
    }
    parts.push(("files", Some(""), b""));
    browser.post_multipart("/audits", &parts).await
}

#[tokio::test]
async fn a_deployed_contract_is_submitted_through_the_form_and_checked_like_the_api() {
    let server = start(|s| {
        s.dashboard_cookie_secure = false;
        s.chains = vec!["local".into(), "mainnet".into()];
    })
    .await;
    let mut browser =
        Browser::signed_in(&server, &server.admin_email, &server.admin_password).await;
    let form = browser.get("/audits/new").await;
    assert!(
        form.body.contains("<select id=\"chain\" name=\"chain\">")
            && form.body.contains("<option value=\"local\">local</option>")
            && form
                .body
                .contains("<option value=\"mainnet\">mainnet</option>"),
        "{}",
        form.body
    );

    let address = "0x000000000000000000000000000000000000bEEF";
    let answer = submit_contract(
        &mut browser,
        &[("address", address), ("chain", "mainnet"), ("block", " 7 ")],
    )
    .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    let id = answer
        .location()
        .strip_prefix("/audits/")
        .unwrap()
        .to_string();
    let audit = server.wait_final(&server.admin_key, &id).await;
    assert_eq!(audit["status"], "succeeded", "{audit}");
    let lower = address.to_ascii_lowercase();
    assert_eq!(
        audit["target"],
        json!({ "chain": "mainnet", "address": lower, "block": 7 })
    );
    let page = browser.get(&format!("/audits/{id}")).await;
    assert!(
        page.body
            .contains(&format!("<code>{lower} on mainnet at block 7</code>")),
        "{}",
        page.body
    );
    // Without a block: the latest.
    let answer = submit_contract(
        &mut browser,
        &[("address", address), ("chain", "local"), ("block", "")],
    )
    .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    let id = answer
        .location()
        .strip_prefix("/audits/")
        .unwrap()
        .to_string();
    let audit = server.wait_final(&server.admin_key, &id).await;
    assert_eq!(audit["target"]["block"], serde_json::Value::Null);

    let list = browser.get("/audits").await;
    assert!(
        list.body.contains(&format!(
            "<span title=\"{lower} on mainnet at block 7\">contract</span>"
        )),
        "{}",
        list.body
    );

    let before = server.count("audits").await;
    let cases: [(&[(&str, &str)], &str); 4] = [
        (
            &[("address", "0xbeef"), ("chain", "local")],
            "`0xbeef` is not an address: expected `0x` and 40 hexadecimal digits",
        ),
        (
            &[("address", address), ("chain", "goerli")],
            "chain `goerli` is unknown: this service reads `local`, `mainnet`",
        ),
        (
            &[("address", address), ("chain", "local"), ("block", "next")],
            "block `next` is not a block number",
        ),
        (
            &[
                ("address", address),
                ("chain", "local"),
                ("file_name", "Token.sol"),
                ("source", TOKEN_SOL),
            ],
            "submit either `sources` or a deployed contract (`address` and `chain`, optionally `block`), not both",
        ),
    ];
    for (fields, detail) in cases {
        let page = submit_contract(&mut browser, fields).await;
        assert_eq!(
            page.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            page.body
        );
        let escaped = detail.replace('`', "&#96;");
        assert!(
            page.body.contains(detail) || page.body.contains(&escaped),
            "{detail} not in {}",
            page.body
        );
        // The form comes back with what was typed.
        let typed = fields
            .iter()
            .find(|(name, _)| *name == "address")
            .unwrap()
            .1;
        assert!(
            page.body.contains(&format!("value=\"{typed}\"")),
            "{}",
            page.body
        );
    }
    assert_eq!(server.count("audits").await, before);
    server.stop().await;

    // A service without chains says so instead of offering the fields.
    let bare = self::server().await;
    let mut browser = Browser::signed_in(&bare, &bare.admin_email, &bare.admin_password).await;
    let form = browser.get("/audits/new").await;
    assert!(
        form.body.contains(
            "This service has no chains configured, so it cannot audit deployed contracts"
        ),
        "{}",
        form.body
    );
    assert!(!form.body.contains("name=\"address\""));
    bare.stop().await;
}

// --- incidents and monitors ---

/// A server whose monitors may follow a node on loopback, with a monitor `vault` that
/// fired once (an open P0 incident); answers `(server, monitor id, incident id)`.
async fn server_with_incident() -> (TestServer, String, String) {
    let server = start(|s| {
        s.dashboard_cookie_secure = false;
        allow_loopback(s);
    })
    .await;
    let tenant = server.tenant_id.clone();
    let (monitor, incident) = open_incident(&server, &server.admin_key, &tenant, "vault").await;
    (server, monitor, incident)
}

async fn incident_json(server: &TestServer, id: &str) -> serde_json::Value {
    let (status, incident) = server
        .get(&server.admin_key, &format!("/api/v1/incidents/{id}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{incident}");
    incident
}

#[tokio::test]
async fn the_incident_pages_list_filter_and_show_the_timeline() {
    let (server, _, id) = server_with_incident().await;
    let mut browser =
        Browser::signed_in(&server, &server.admin_email, &server.admin_password).await;
    let list = browser.get("/incidents").await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    assert!(
        list.body
            .contains("href=\"/incidents\" aria-current=\"page\"")
    );
    assert!(list.body.contains("prio prio-P0"), "{}", list.body);
    assert!(list.body.contains("owner-changed fired in block 100"));
    assert!(list.body.contains(&format!("href=\"/incidents/{id}\"")));
    assert!(list.body.contains("istate-open"));
    // Filters: matching, not matching, refused.
    let p0 = browser.get("/incidents?state=unresolved&priority=P0").await;
    assert!(p0.body.contains(&format!("/incidents/{id}")));
    assert!(p0.body.contains("<option value=\"P0\" selected>"));
    let p3 = browser.get("/incidents?priority=P3").await;
    assert_eq!(p3.status, StatusCode::OK);
    assert!(!p3.body.contains(&format!("/incidents/{id}")));
    assert!(p3.body.contains("No incident matches this filter."));
    let resolved = browser.get("/incidents?state=resolved").await;
    assert!(!resolved.body.contains(&format!("/incidents/{id}")));
    let bad = browser.get("/incidents?state=closed").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("state `closed` is not one of"));

    let page = browser.get(&format!("/incidents/{id}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body
            .contains("<span class=\"sev sev-critical\">critical</span> alert")
    );
    assert!(
        page.body.contains("vault&#x2f;owner-changed</code>"),
        "{}",
        page.body
    );
    assert!(page.body.contains("unassigned"));
    assert!(
        page.body.contains("<a href=\"/monitors#m-"),
        "the monitor is linked"
    );
    for action in ["state", "assign", "comments"] {
        assert!(
            page.body
                .contains(&format!("action=\"/incidents/{id}/{action}\"")),
            "{action}"
        );
    }
    // Only forward states are offered.
    assert!(page.body.contains("<option value=\"acknowledged\">"));
    assert!(!page.body.contains("<option value=\"open\">"));
    assert_eq!(
        browser.get("/incidents/missing").await.status,
        StatusCode::NOT_FOUND
    );
    server.stop().await;
}

#[tokio::test]
async fn incident_forms_move_the_state_assign_and_comment_as_the_api_does() {
    let (server, _, id) = server_with_incident().await;
    create_user(&server, "auditor@acme.test", "auditor", None).await;
    let mut auditor =
        Browser::signed_in(&server, "auditor@acme.test", "a long user password").await;
    let page = auditor.get(&format!("/incidents/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    let csrf = auditor.token();

    let moved = auditor
        .post_form(
            &format!("/incidents/{id}/state"),
            &[("csrf", &csrf), ("state", "mitigated")],
        )
        .await;
    assert_eq!(moved.status, StatusCode::SEE_OTHER, "{}", moved.body);
    assert_eq!(moved.location(), format!("/incidents/{id}#actions"));
    assert_eq!(incident_json(&server, &id).await["state"], "mitigated");
    // Backwards: the page again, with the API's refusal.
    let back = auditor
        .post_form(
            &format!("/incidents/{id}/state"),
            &[("csrf", &csrf), ("state", "acknowledged")],
        )
        .await;
    assert_eq!(back.status, StatusCode::CONFLICT);
    assert!(
        back.body
            .contains("cannot go from mitigated to acknowledged"),
        "{}",
        back.body
    );

    let (_, users) = server.get(&server.admin_key, "/api/v1/users").await;
    let admin_id = users["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["email"] == server.admin_email.as_str())
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let assigned = auditor
        .post_form(
            &format!("/incidents/{id}/assign"),
            &[("csrf", &csrf), ("assignee", &admin_id)],
        )
        .await;
    assert_eq!(assigned.status, StatusCode::SEE_OTHER, "{}", assigned.body);
    assert_eq!(
        incident_json(&server, &id).await["assignee"],
        admin_id.as_str()
    );
    let unknown = auditor
        .post_form(
            &format!("/incidents/{id}/assign"),
            &[("csrf", &csrf), ("assignee", "nobody")],
        )
        .await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);

    let hostile = "<script>alert(1)</script> rotated the key";
    let commented = auditor
        .post_form(
            &format!("/incidents/{id}/comments"),
            &[("csrf", &csrf), ("text", hostile)],
        )
        .await;
    assert_eq!(
        commented.status,
        StatusCode::SEE_OTHER,
        "{}",
        commented.body
    );
    assert_eq!(commented.location(), format!("/incidents/{id}#timeline"));
    let empty = auditor
        .post_form(
            &format!("/incidents/{id}/comments"),
            &[("csrf", &csrf), ("text", "  ")],
        )
        .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);

    let page = auditor.get(&format!("/incidents/{id}")).await;
    assert!(!page.body.contains("<script>alert(1)</script>"));
    assert!(
        page.body
            .contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt; rotated the key")
    );
    assert!(
        page.body
            .contains("auditor@acme.test</span>: open → <strong>mitigated</strong>"),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains(&format!("assigned <strong>{}</strong>", server.admin_email))
    );
    let updates = trail_actions(&server, "incident.updated").await;
    assert_eq!(updates.len(), 2, "refusals are not updates: {updates:?}");
    assert!(
        updates
            .iter()
            .all(|e| e["actor"].as_str().unwrap().starts_with("user:"))
    );
    assert_eq!(trail_actions(&server, "incident.commented").await.len(), 1);
    server.stop().await;
}

#[tokio::test]
async fn viewers_get_no_incident_forms_and_forged_or_foreign_posts_are_refused() {
    let (server, _, id) = server_with_incident().await;
    create_user(&server, "viewer@acme.test", "viewer", None).await;
    let mut viewer = Browser::signed_in(&server, "viewer@acme.test", "a long user password").await;
    let page = viewer.get(&format!("/incidents/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains(&format!("/incidents/{id}/state")));
    assert!(page.body.contains("Viewers cannot change incidents."));
    // Posting anyway, with the session's own token: the API's role check.
    let csrf = csrf_of_session(&mut viewer).await;
    let refused = viewer
        .post_form(
            &format!("/incidents/{id}/state"),
            &[("csrf", &csrf), ("state", "resolved")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let refused = viewer
        .post_form(
            &format!("/incidents/{id}/comments"),
            &[("csrf", &csrf), ("text", "hello")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let denied = trail_actions(&server, "permission.denied").await;
    assert_eq!(denied.len(), 2, "{denied:?}");
    assert_eq!(denied[0]["detail"]["attempted"], "comment on incidents");
    assert_eq!(denied[1]["detail"]["attempted"], "update incidents");

    // An admin's post without the token, or from another site.
    let mut admin = Browser::signed_in(&server, &server.admin_email, &server.admin_password).await;
    let forged = admin
        .post_form(
            &format!("/incidents/{id}/assign"),
            &[("csrf", "forged"), ("assignee", "")],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert!(forged.body.contains("Form refused"));
    let csrf = csrf_of_session(&mut admin).await;
    let response = admin
        .client
        .post(server.url(&format!("/incidents/{id}/state")))
        .header(header::COOKIE, admin.cookie.clone().unwrap())
        .header(header::ORIGIN, "https://evil.example")
        .form(&[("csrf", csrf.as_str()), ("state", "resolved")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let rejected = trail_actions(&server, "csrf.rejected").await;
    assert!(!rejected.is_empty());
    assert_eq!(
        incident_json(&server, &id).await["state"],
        "open",
        "nothing changed"
    );

    // Another tenant's admin: not found, for pages and forms alike.
    let (other_tenant, _) = server.other_tenant("globex").await;
    create_user(&server, "admin@globex.test", "admin", Some(&other_tenant)).await;
    let mut stranger =
        Browser::signed_in(&server, "admin@globex.test", "a long user password").await;
    assert!(!stranger.get("/incidents").await.body.contains(&id));
    assert_eq!(
        stranger.get(&format!("/incidents/{id}")).await.status,
        StatusCode::NOT_FOUND
    );
    let csrf = csrf_of_session(&mut stranger).await;
    for (action, field, value) in [
        ("state", "state", "resolved"),
        ("assign", "assignee", ""),
        ("comments", "text", "mine"),
    ] {
        let answer = stranger
            .post_form(
                &format!("/incidents/{id}/{action}"),
                &[("csrf", &csrf), (field, value)],
            )
            .await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{action}");
    }
    assert!(!stranger.get("/monitors").await.body.contains("vault"));
    assert_eq!(
        incident_json(&server, &id).await["timeline"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    server.stop().await;
}

#[tokio::test]
async fn the_monitors_page_lists_the_tenants_monitors_with_their_recent_events() {
    let (server, monitor, incident) = server_with_incident().await;
    let tenant = server.tenant_id.clone();
    let quiet = create_monitor(&server, &server.admin_key, "bridge").await;
    let response = server
        .client
        .patch(server.url(&format!("/api/v1/monitors/{quiet}")))
        .header("x-api-key", &server.admin_key)
        .json(&json!({ "enabled": false }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    fire(&server, &tenant, &monitor, "vault", "paused", "high").await;

    create_user(&server, "viewer@acme.test", "viewer", None).await;
    let mut viewer = Browser::signed_in(&server, "viewer@acme.test", "a long user password").await;
    let page = viewer.get("/monitors").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body
            .contains("href=\"/monitors\" aria-current=\"page\"")
    );
    let vault = page
        .body
        .find(&format!("id=\"m-{monitor}\""))
        .expect("vault listed");
    let bridge = page
        .body
        .find(&format!("id=\"m-{quiet}\""))
        .expect("bridge listed");
    let (vault_part, bridge_part) = if vault < bridge {
        (&page.body[vault..bridge], &page.body[bridge..])
    } else {
        (&page.body[vault..], &page.body[bridge..vault])
    };
    assert!(vault_part.contains(">enabled<"), "{vault_part}");
    assert!(
        vault_part.contains("Chain 31337 · 1 contract · 1 rule"),
        "{vault_part}"
    );
    assert!(vault_part.contains("owner-changed fired in block 100"));
    assert!(vault_part.contains("paused fired in block 101"));
    assert!(vault_part.contains(&format!("href=\"/incidents/{incident}\"")));
    // Newest first.
    assert!(vault_part.find("block 101").unwrap() < vault_part.find("block 100").unwrap());
    assert!(bridge_part.contains(">disabled<"), "{bridge_part}");
    assert!(bridge_part.contains("No events yet."));
    assert!(
        !page.body.contains("POST /api/v1/monitors"),
        "the hint is for admins"
    );
    server.stop().await;
}

#[tokio::test]
async fn the_form_offers_the_other_analyzers_of_the_plan_and_submits_them() {
    let server = server().await;
    let mut browser =
        Browser::signed_in(&server, &server.admin_email, &server.admin_password).await;
    let form = browser.get("/audits/new").await;
    assert!(
        !form.body.contains("name=\"tools\""),
        "no plan allows a tool: {}",
        form.body
    );
    server.stop().await;

    // The bootstrapped tenant's plan is `enterprise`.
    let server = start(|s| {
        s.dashboard_cookie_secure = false;
        s.plans.get_mut("enterprise").unwrap().tools = vec!["slither".into()];
    })
    .await;
    let mut browser =
        Browser::signed_in(&server, &server.admin_email, &server.admin_password).await;
    let form = browser.get("/audits/new").await;
    assert!(
        form.body
            .contains("<input type=\"checkbox\" name=\"tools\" value=\"slither\">")
            && !form.body.contains("value=\"mythril\""),
        "{}",
        form.body
    );
    let csrf = browser.token();
    let answer = browser
        .post_multipart(
            "/audits",
            &[
                ("csrf", None, csrf.as_bytes()),
                ("file_name", None, b"A.sol"),
                ("source", None, b"contract A {}"),
                ("tools", None, b"slither"),
                ("files", Some(""), b""),
            ],
        )
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    let id = answer
        .location()
        .strip_prefix("/audits/")
        .unwrap()
        .to_string();
    let audit = server.wait_final(&server.admin_key, &id).await;
    assert_eq!(audit["options"]["tools"], json!(["slither"]), "{audit}");

    // A tool the plan does not include is refused as the API refuses it, the form kept.
    let refused = browser
        .post_multipart(
            "/audits",
            &[
                ("csrf", None, csrf.as_bytes()),
                ("file_name", None, b"A.sol"),
                ("source", None, b"contract A {}"),
                ("tools", None, b"mythril"),
                ("files", Some(""), b""),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    assert!(
        refused.body.contains("does not include `mythril`"),
        "{}",
        refused.body
    );
    server.stop().await;
}

#[tokio::test]
async fn a_dismissed_finding_is_recalled_on_the_same_code_in_later_audits_of_the_project() {
    let server = server().await;
    let mut browser =
        Browser::signed_in(&server, &server.admin_email, &server.admin_password).await;
    let first = browser.submit("vault", "Vault.sol", TOKEN_SOL).await;
    server.wait_final(&server.admin_key, &first).await;
    let (status, _) = server
        .post(
            &server.admin_key,
            &format!("/api/v1/findings/{first}-f0/triage"),
            json!({ "state": "false_positive", "comment": "owner is an EOA by design" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    // The same code moved to another file: another fingerprint, the same shape.
    let moved = browser.submit("vault", "VaultV2.sol", TOKEN_SOL).await;
    server.wait_final(&server.admin_key, &moved).await;
    let (_, listed) = server
        .get(
            &server.admin_key,
            &format!("/api/v1/audits/{moved}/findings"),
        )
        .await;
    let recalled = &listed["items"][0]["previously_dismissed"];
    assert_eq!(listed["items"][0]["triage_state"], "open", "{listed}");
    assert_eq!(recalled["finding_id"], format!("{first}-f0"), "{listed}");
    assert_eq!(recalled["audit_id"], first.as_str());
    assert_eq!(recalled["matched"], "shape");
    assert_eq!(recalled["reason"], "owner is an EOA by design");
    let (_, report) = server
        .get(
            &server.admin_key,
            &format!("/api/v1/audits/{moved}/report?format=json"),
        )
        .await;
    assert_eq!(report["findings"][0]["previously_dismissed"], *recalled);
    let page = browser.get(&format!("/audits/{moved}")).await;
    assert!(
        page.body.contains(&format!(
            "<a class=\"badge dismissed\" href=\"/findings/{first}-f0\""
        )) && page.body.contains("previously dismissed (same code)"),
        "{}",
        page.body
    );

    // Another project's audit of the same code recalls nothing.
    let elsewhere = browser.submit("bridge", "VaultV2.sol", TOKEN_SOL).await;
    server.wait_final(&server.admin_key, &elsewhere).await;
    let (_, listed) = server
        .get(
            &server.admin_key,
            &format!("/api/v1/audits/{elsewhere}/findings"),
        )
        .await;
    assert!(
        listed["items"][0].get("previously_dismissed").is_none(),
        "{listed}"
    );

    // A decision taken back no longer stands.
    let (status, _) = server
        .post(
            &server.admin_key,
            &format!("/api/v1/findings/{first}-f0/triage"),
            json!({ "state": "confirmed", "comment": "the owner can be a contract" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, listed) = server
        .get(
            &server.admin_key,
            &format!("/api/v1/audits/{moved}/findings"),
        )
        .await;
    assert!(
        listed["items"][0].get("previously_dismissed").is_none(),
        "{listed}"
    );
    server.stop().await;
}

#[tokio::test]
async fn sign_in_asks_for_the_second_factor_of_users_who_have_one() {
    let server = server().await;
    let (email, password) = (server.admin_email.clone(), server.admin_password.clone());
    let (_, answer) = server
        .post(
            "",
            "/api/v1/auth/login",
            json!({ "email": email, "password": password }),
        )
        .await;
    let token = answer["token"].as_str().unwrap().to_string();
    let started = server
        .client
        .post(server.url("/api/v1/me/second-factor"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap();
    let secret = server::mfa::secret_from_base32(started["secret"].as_str().unwrap()).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let confirmed = server
        .client
        .post(server.url("/api/v1/me/second-factor/confirm"))
        .bearer_auth(&token)
        .json(&json!({ "code": server::mfa::code_at(&secret, now).unwrap() }))
        .send()
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap();
    let recovery = confirmed["recovery_codes"][0].as_str().unwrap().to_string();

    let mut browser = Browser::new(&server);
    let answer = browser.login_with(&email, &password, None).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert!(
        answer.body.contains("signs in with a second factor"),
        "{}",
        answer.body
    );
    assert!(answer.body.contains("name=\"code\""));
    let answer = browser.login_with(&email, &password, Some("000000")).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert!(
        answer.body.contains("wrong or was already used"),
        "{}",
        answer.body
    );
    let answer = browser.login_with(&email, &password, Some(&recovery)).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    assert_eq!(answer.location(), "/audits");

    // A tenant that requires a second factor: a user without one is sent to enrol.
    create_user(&server, "dev@acme.test", "auditor", None).await;
    let response = server
        .client
        .put(server.url(&format!(
            "/api/v1/tenants/{}/second-factor-policy",
            server.tenant_id
        )))
        .header("x-api-key", &server.admin_key)
        .json(&json!({ "required": true }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let mut browser = Browser::new(&server);
    let answer = browser
        .login_with("dev@acme.test", "a long user password", None)
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    assert_eq!(answer.location(), "/account");
    let elsewhere = browser.get("/audits").await;
    assert_eq!(elsewhere.status, StatusCode::SEE_OTHER);
    assert_eq!(elsewhere.location(), "/account");
    let account = browser.get("/account").await;
    assert!(
        account
            .body
            .contains("Your organisation requires a second factor"),
        "{}",
        account.body
    );
    let csrf = browser.token();
    let started = browser
        .post_form("/account/second-factor", &[("csrf", &csrf)])
        .await;
    assert_eq!(started.status, StatusCode::OK, "{}", started.body);
    let at = started.body.find("Key: <code>").unwrap() + "Key: <code>".len();
    let key = &started.body[at..at + started.body[at..].find('<').unwrap()];
    let secret = server::mfa::secret_from_base32(key).unwrap();
    let wrong = browser
        .post_form(
            "/account/second-factor/confirm",
            &[("csrf", &csrf), ("code", "000000")],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    let code = server::mfa::code_at(&secret, now).unwrap();
    let confirmed = browser
        .post_form(
            "/account/second-factor/confirm",
            &[("csrf", &csrf), ("code", &code)],
        )
        .await;
    assert_eq!(confirmed.status, StatusCode::OK, "{}", confirmed.body);
    assert_eq!(
        confirmed.body.matches("<li><code>").count(),
        10,
        "{}",
        confirmed.body
    );
    assert_eq!(
        browser.get("/audits").await.status,
        StatusCode::OK,
        "enrolled: every page opens"
    );
    // A form posted without the session's token changes nothing.
    let forged = browser
        .post_form(
            "/account/second-factor/remove",
            &[("csrf", "forged"), ("code", &code)],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let account = browser.get("/account").await;
    assert!(
        account.body.contains("Recovery codes left: 10"),
        "{}",
        account.body
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_finding_page_asks_the_assistant_and_shows_its_suggestion_beside_the_triage() {
    let (endpoint, provider) = fake_provider().await;
    let server = start_with_assistant(&endpoint).await;
    let mut browser =
        Browser::signed_in(&server, &server.admin_email, &server.admin_password).await;
    let audit = browser.submit("token", "Token.sol", TOKEN_SOL).await;
    server.wait_final(&server.admin_key, &audit).await;
    let path = format!("/findings/{audit}-f0");

    // Before the tenant opts in: the reason, no button.
    let page = browser.get(&path).await;
    assert!(page.body.contains("has not opted in"), "{}", page.body);
    assert!(!page.body.contains("Ask the assistant"));
    let (status, _) = put(
        &server,
        &server.admin_key,
        &format!("/api/v1/tenants/{}/assistant", server.tenant_id),
        serde_json::json!({ "profile": "local" }),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let page = browser.get(&path).await;
    assert!(
        page.body.contains("Ask the assistant (local)"),
        "{}",
        page.body
    );

    // A form without the session's token is refused and queues nothing.
    let forged = browser
        .post_form(&format!("{path}/assistant"), &[("csrf", "forged")])
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(server.count("suggestions").await, 0);

    let csrf = browser.token();
    let asked = browser
        .post_form(&format!("{path}/assistant"), &[("csrf", &csrf)])
        .await;
    assert_eq!(asked.status, StatusCode::SEE_OTHER, "{}", asked.body);
    assert_eq!(asked.location(), format!("{path}#assistant"));
    let answered = settled(&server, &format!("{audit}-f0")).await;
    assert_eq!(answered["status"], "done", "{answered}");
    assert_eq!(provider.bodies.lock().unwrap().len(), 1);

    let page = browser.get(&path).await;
    for shown in [
        "likely true",
        "The owner check reads tx.origin, which is the original sender.",
        "A contract the owner calls forwards the call to withdraw().",
        "it does not change the finding&#x27;s triage state",
        "test-model",
        "No triage yet",
    ] {
        assert!(page.body.contains(shown), "{shown} missing: {}", page.body);
    }
    server.stop().await;
}

#[tokio::test]
async fn admins_download_a_signed_compliance_pack_and_others_are_refused() {
    let server = server().await;
    let mut admin = Browser::signed_in(&server, &server.admin_email, &server.admin_password).await;
    let page = admin.get("/compliance").await;
    assert_eq!(page.status, StatusCode::OK);
    for shown in [
        "Download the pack",
        "Access provisioning and changes",
        "CC6.1",
        "A.8.13",
    ] {
        assert!(page.body.contains(shown), "{shown} missing: {}", page.body);
    }
    let today = &server::timestamp::rfc3339(server::timestamp::now_ms())[..10];
    let response = admin
        .client
        .get(server.url(&format!(
            "/compliance/pack?from={today}&to={today}&format=pdf"
        )))
        .header(header::COOKIE, admin.cookie.clone().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[header::CONTENT_TYPE], "application/pdf");
    assert!(
        response.headers()[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .starts_with("attachment; filename=\"compliance-")
    );
    let bytes = response.bytes().await.unwrap();
    let trust = server::compliance::Trust {
        hmac: Some(store::trail::Signer::new(common::SECRET.as_bytes())),
        ed25519: Vec::new(),
    };
    server::compliance::verify(&bytes, &trust).unwrap();
    assert_eq!(
        trail_actions(&server, "compliance.pack_generated")
            .await
            .len(),
        1
    );

    let reversed = admin
        .get(&format!("/compliance/pack?from={today}&to=2020-01-01"))
        .await;
    assert_eq!(reversed.status, StatusCode::BAD_REQUEST);
    let nonsense = admin.get("/compliance/pack?from=yesterday&to=today").await;
    assert_eq!(nonsense.status, StatusCode::BAD_REQUEST);

    create_user(&server, "viewer@acme.test", "viewer", None).await;
    let mut viewer = Browser::signed_in(&server, "viewer@acme.test", "a long user password").await;
    assert!(
        !viewer
            .get("/audits")
            .await
            .body
            .contains("href=\"/compliance\"")
    );
    assert_eq!(
        viewer.get("/compliance").await.status,
        StatusCode::FORBIDDEN
    );
    let refused = viewer
        .get(&format!("/compliance/pack?from={today}&to={today}"))
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(
        trail_actions(&server, "compliance.pack_generated")
            .await
            .len(),
        1
    );
    server.stop().await;
}

#[tokio::test]
async fn each_page_opens_for_the_roles_whose_permissions_it_needs() {
    let server = server().await;
    let (status, _) = server
        .post(
            &server.admin_key,
            "/api/v1/roles",
            json!({ "name": "triager", "permissions": ["audit.read", "finding.triage", "incident.read"] }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    // (page, the permission it needs; None: any signed-in user)
    let pages = [
        ("/audits", None),
        ("/audits/new", Some("audit.submit")),
        ("/incidents", None),
        ("/monitors", None),
        ("/usage", None),
        ("/account", None),
        ("/security", Some("trail.read")),
        ("/compliance", Some("compliance.export")),
    ];
    for role in ["viewer", "auditor", "admin", "triager"] {
        let email = format!("{role}-user@acme.test");
        create_user(&server, &email, role, None).await;
        let granted = server::permissions::builtin(role).unwrap_or_else(|| {
            server::permissions::Permissions::from_names(&[
                "audit.read",
                "finding.triage",
                "incident.read",
            ])
            .unwrap()
        });
        let mut browser = Browser::signed_in(&server, &email, "a long user password").await;
        for (page, needs) in pages {
            let opened = browser.get(page).await;
            let expected = if needs.is_none_or(|p| granted.contains(p)) {
                StatusCode::OK
            } else {
                StatusCode::FORBIDDEN
            };
            assert_eq!(opened.status, expected, "{role} on {page}");
        }
        // The navigation offers what the role can open.
        let nav = browser.get("/audits").await.body;
        assert_eq!(
            nav.contains("href=\"/security\""),
            granted.contains("trail.read"),
            "{role}"
        );
        assert_eq!(
            nav.contains("href=\"/audits/new\""),
            granted.contains("audit.submit"),
            "{role}"
        );
    }
    server.stop().await;
}
