//! Single sign-on over real HTTP against a scripted OpenID provider on loopback (its
//! discovery document, key set, authorization and token endpoints; ES256 ID tokens signed
//! here), so that each bad answer a provider or an attacker can give is produced on
//! purpose: a forged or expired ID token, a wrong audience, issuer or nonce, a replayed
//! callback, a key set that cannot be fetched, `none` and HS256 tokens, a group claim
//! missing or of the wrong type, a callback from another browser. Each is refused with a
//! precise message and recorded in the audit trail, and nothing else changes. The good
//! path: a user created on the first sign-in with the mapped role, the role following the
//! groups at every sign-in, removal from every mapped group disabling the account (its
//! sessions and personal API keys with it), and a rotation of the provider's keys.
//! The browser test through the certified `oidc-provider` is
//! `crates/cli/tests/sso_browser.rs`.

mod common;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode as AxumStatus};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use common::{TestServer, start, start_in};
use reqwest::StatusCode;
use reqwest::header::{self, HeaderMap as ReqHeaders};
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const CLIENT_ID: &str = "web3audit-test";
const CLIENT_SECRET: &str = "a client secret the provider and the service share";
/// The address the provider sends browsers back to; the test swaps in the server's.
const PUBLIC_URL: &str = "http://dashboard.test";

/// How the next ID token is spoiled.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Tamper {
    None,
    Expired,
    Audience,
    Issuer,
    Nonce,
    Forged,
    AlgNone,
    Hs256,
    NoGroups,
    GroupsString,
}

struct SigningKey {
    kid: String,
    pair: EcdsaKeyPair,
}

impl SigningKey {
    fn new(kid: &str) -> Self {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
            .unwrap();
        SigningKey {
            kid: kid.into(),
            pair,
        }
    }

    fn jwk(&self) -> Value {
        let point = self.pair.public_key().as_ref();
        json!({ "kty": "EC", "crv": "P-256", "use": "sig", "alg": "ES256", "kid": self.kid,
                "x": B64.encode(&point[1..33]), "y": B64.encode(&point[33..65]) })
    }

    fn sign(&self, input: &[u8]) -> Vec<u8> {
        self.pair
            .sign(&SystemRandom::new(), input)
            .unwrap()
            .as_ref()
            .to_vec()
    }
}

struct Pending {
    nonce: String,
    challenge: String,
    redirect_uri: String,
}

/// The scripted provider.
struct Idp {
    issuer: String,
    key: Mutex<SigningKey>,
    /// Keys published at the key-set endpoint.
    published: Mutex<Vec<Value>>,
    jwks_broken: AtomicBool,
    pending: Mutex<HashMap<String, Pending>>,
    tamper: Mutex<Tamper>,
    /// The account the next sign-in is for: subject, e-mail, groups.
    account: Mutex<(String, String, Value)>,
    jwks_fetches: Mutex<u32>,
}

fn sign_jwt(header: &Value, claims: &Value, sign: impl Fn(&[u8]) -> Vec<u8>) -> String {
    let input = format!(
        "{}.{}",
        B64.encode(header.to_string()),
        B64.encode(claims.to_string())
    );
    let signature = sign(input.as_bytes());
    format!("{input}.{}", B64.encode(signature))
}

async fn discovery(State(idp): State<Arc<Idp>>) -> Json<Value> {
    let i = &idp.issuer;
    Json(json!({
        "issuer": i,
        "authorization_endpoint": format!("{i}/authorize"),
        "token_endpoint": format!("{i}/token"),
        "jwks_uri": format!("{i}/jwks"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["ES256"],
        "code_challenge_methods_supported": ["S256"],
    }))
}

async fn jwks(State(idp): State<Arc<Idp>>) -> Response {
    *idp.jwks_fetches.lock().unwrap() += 1;
    if idp.jwks_broken.load(Ordering::SeqCst) {
        return (AxumStatus::INTERNAL_SERVER_ERROR, "key store down").into_response();
    }
    Json(json!({ "keys": *idp.published.lock().unwrap() })).into_response()
}

async fn authorize(
    State(idp): State<Arc<Idp>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    assert_eq!(q["response_type"], "code");
    assert_eq!(q["client_id"], CLIENT_ID);
    assert_eq!(q["code_challenge_method"], "S256");
    assert!(q["scope"].split(' ').any(|s| s == "openid"), "{q:?}");
    let code = format!("code-{}", idp.pending.lock().unwrap().len());
    idp.pending.lock().unwrap().insert(
        code.clone(),
        Pending {
            nonce: q["nonce"].clone(),
            challenge: q["code_challenge"].clone(),
            redirect_uri: q["redirect_uri"].clone(),
        },
    );
    Redirect::to(&format!(
        "{}?code={code}&state={}",
        q["redirect_uri"], q["state"]
    ))
    .into_response()
}

async fn token(
    State(idp): State<Arc<Idp>>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!(
            "{}:{}",
            CLIENT_ID,
            percent_encode(CLIENT_SECRET)
        ))
    );
    let refused = |why: &str| {
        (
            AxumStatus::BAD_REQUEST,
            Json(json!({ "error": "invalid_grant", "error_description": why })),
        )
            .into_response()
    };
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(basic.as_str()) {
        return (
            AxumStatus::UNAUTHORIZED,
            Json(json!({ "error": "invalid_client" })),
        )
            .into_response();
    }
    // A code is spent by its first exchange.
    let Some(pending) = idp.pending.lock().unwrap().remove(&form["code"]) else {
        return refused("unknown or spent code");
    };
    let verifier = form.get("code_verifier").cloned().unwrap_or_default();
    if B64.encode(Sha256::digest(verifier.as_bytes())) != pending.challenge {
        return refused("PKCE verifier does not match");
    }
    if form["redirect_uri"] != pending.redirect_uri {
        return refused("redirect_uri differs");
    }
    let tamper = *idp.tamper.lock().unwrap();
    let (subject, email, groups) = idp.account.lock().unwrap().clone();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let mut claims = json!({
        "iss": idp.issuer, "sub": subject, "aud": CLIENT_ID, "iat": now, "exp": now + 300,
        "nonce": pending.nonce, "email": email, "email_verified": true, "groups": groups,
    });
    match tamper {
        Tamper::Expired => {
            claims["iat"] = json!(now - 7200);
            claims["exp"] = json!(now - 3600);
        }
        Tamper::Audience => claims["aud"] = json!("another-client"),
        Tamper::Issuer => claims["iss"] = json!("https://impostor.example"),
        Tamper::Nonce => claims["nonce"] = json!("a nonce of another sign-in"),
        Tamper::NoGroups => {
            claims.as_object_mut().unwrap().remove("groups");
        }
        Tamper::GroupsString => claims["groups"] = json!("auditors"),
        _ => {}
    }
    let key = idp.key.lock().unwrap();
    let id_token = match tamper {
        Tamper::AlgNone => format!(
            "{}.{}.",
            B64.encode(json!({ "alg": "none", "typ": "JWT" }).to_string()),
            B64.encode(claims.to_string())
        ),
        Tamper::Hs256 => sign_jwt(
            &json!({ "alg": "HS256", "typ": "JWT", "kid": key.kid }),
            &claims,
            |input| {
                use hmac::Mac;
                let mut mac =
                    hmac::Hmac::<Sha256>::new_from_slice(CLIENT_SECRET.as_bytes()).unwrap();
                mac.update(input);
                mac.finalize().into_bytes().to_vec()
            },
        ),
        Tamper::Forged => {
            // Signed by a key of the attacker's under the provider's key id.
            let other = SigningKey::new(&key.kid);
            sign_jwt(
                &json!({ "alg": "ES256", "typ": "JWT", "kid": key.kid }),
                &claims,
                |input| other.sign(input),
            )
        }
        _ => sign_jwt(
            &json!({ "alg": "ES256", "typ": "JWT", "kid": key.kid }),
            &claims,
            |input| key.sign(input),
        ),
    };
    Json(
        json!({ "access_token": "opaque-access-token", "token_type": "Bearer",
                 "expires_in": 300, "id_token": id_token }),
    )
    .into_response()
}

/// The form-urlencoding the client applies to its credentials in HTTP Basic (RFC 6749
/// 2.3.1).
fn percent_encode(text: &str) -> String {
    url_encode(text)
}

fn url_encode(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

async fn start_idp() -> Arc<Idp> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("http://{}", listener.local_addr().unwrap());
    let key = SigningKey::new("key-1");
    let idp = Arc::new(Idp {
        issuer,
        published: Mutex::new(vec![key.jwk()]),
        key: Mutex::new(key),
        jwks_broken: AtomicBool::new(false),
        pending: Mutex::new(HashMap::new()),
        tamper: Mutex::new(Tamper::None),
        account: Mutex::new((
            "subject-ada".into(),
            "ada@acme.test".into(),
            json!(["staff", "auditors"]),
        )),
        jwks_fetches: Mutex::new(0),
    });
    let app = Router::new()
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/jwks", get(jwks))
        .route("/authorize", get(authorize))
        .route("/token", post(token))
        .with_state(idp.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    idp
}

/// A service whose tenant signs in through `idp`: started once to create the tenant,
/// then again with the provider configured for it.
async fn service_with(idp: &Idp) -> (TestServer, String, String) {
    let first = start(|_| {}).await;
    let (tenant_id, admin_key) = (first.tenant_id.clone(), first.admin_key.clone());
    let dir = first.stop().await;
    let secret_file = dir.path().join("oidc-secret");
    std::fs::write(&secret_file, format!("{CLIENT_SECRET}\n")).unwrap();
    let mut settings = common::settings_for(dir.path());
    settings.egress_allow_hosts = vec!["127.0.0.1".into()];
    settings.public_url = Some(PUBLIC_URL.into());
    let provider: server::sso::ProviderSettings = toml::from_str(&format!(
        r#"
        tenant = "{tenant_id}"
        label = "Acme staff"
        issuer = "{}"
        client_id = "{CLIENT_ID}"
        client_secret = {{ file = "{}" }}
        allowed_domains = ["acme.test"]
        roles = [
            {{ group = "security-leads", role = "admin" }},
            {{ group = "auditors", role = "auditor" }},
        ]
        "#,
        idp.issuer,
        secret_file.display()
    ))
    .unwrap();
    settings.sso.insert("acme".into(), provider);
    let server = start_in(dir, settings, false).await;
    (server, tenant_id, admin_key)
}

/// A browser: its cookies by name.
struct Browser {
    client: reqwest::Client,
    cookies: HashMap<String, String>,
}

struct Answer {
    status: StatusCode,
    headers: ReqHeaders,
    body: String,
}

impl Answer {
    fn location(&self) -> String {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    }
}

impl Browser {
    fn new() -> Self {
        Browser {
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookies: HashMap::new(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn send(&mut self, request: reqwest::RequestBuilder) -> Answer {
        let response = request
            .header(header::COOKIE, self.cookie_header())
            .send()
            .await
            .unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        for value in headers.get_all(header::SET_COOKIE) {
            let pair = value.to_str().unwrap().split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            if value.is_empty() {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.into(), value.into());
            }
        }
        Answer {
            status,
            headers,
            body: response.text().await.unwrap(),
        }
    }

    async fn get(&mut self, url: &str) -> Answer {
        let request = self.client.get(url);
        self.send(request).await
    }

    /// Up to the provider's answer: the callback URL it sends the browser to, made to
    /// point at `server`.
    async fn follow_to_callback(&mut self, server: &TestServer) -> String {
        let form = self.get(&server.url("/login")).await;
        assert!(
            form.body.contains("Sign in with Acme staff"),
            "{}",
            form.body
        );
        let csrf = csrf_of(&form.body);
        let request = self
            .client
            .post(server.url("/login/sso/acme"))
            .header(header::ORIGIN, &server.base)
            .form(&[("csrf", csrf.as_str())]);
        let started = self.send(request).await;
        assert_eq!(started.status, StatusCode::OK, "{}", started.body);
        let at_provider = self.get(&provider_url_of(&started.body)).await;
        assert_eq!(at_provider.status, StatusCode::SEE_OTHER);
        let back = at_provider.location();
        assert!(back.starts_with(&format!("{PUBLIC_URL}/login/sso/acme/callback?")));
        back.replacen(PUBLIC_URL, &server.base, 1)
    }

    /// A whole sign-in; the callback's answer.
    async fn sign_in(&mut self, server: &TestServer) -> Answer {
        let callback = self.follow_to_callback(server).await;
        self.get(&callback).await
    }
}

/// Where the page that follows the sign-in button goes on to (its refresh target).
fn provider_url_of(html: &str) -> String {
    let marker = "content=\"0;url=";
    let start = html.find(marker).expect("a refresh to the provider") + marker.len();
    let end = html[start..].find('"').unwrap();
    html[start..start + end]
        .replace("&#x2f;", "/")
        .replace("&amp;", "&")
}

fn csrf_of(html: &str) -> String {
    let start = html.find("name=\"csrf\" value=\"").unwrap() + "name=\"csrf\" value=\"".len();
    let end = html[start..].find('"').unwrap();
    html[start..start + end].to_string()
}

fn session_of(browser: &Browser) -> Option<&String> {
    browser
        .cookies
        .iter()
        .find(|(k, _)| k.contains("session"))
        .map(|(_, v)| v)
}

/// The audit trail's failed single sign-ons, newest first.
async fn sso_failures(server: &TestServer, admin: &str) -> Vec<Value> {
    let (status, log) = server.get(admin, "/api/v1/audit-log?limit=200").await;
    assert_eq!(status, StatusCode::OK, "{log}");
    log["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| {
            e["action"] == "login" && e["outcome"] == "failure" && e["detail"]["via"] == "sso"
        })
        .cloned()
        .collect()
}

async fn users(server: &TestServer, admin: &str) -> Vec<Value> {
    let (status, users) = server.get(admin, "/api/v1/users").await;
    assert_eq!(status, StatusCode::OK, "{users}");
    users["items"].as_array().unwrap().clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_sign_in_creates_the_user_and_the_role_follows_the_groups() {
    let idp = start_idp().await;
    let (server, tenant_id, admin) = service_with(&idp).await;

    let mut browser = Browser::new();
    let done = browser.sign_in(&server).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert!(
        done.body.contains("http-equiv=\"refresh\""),
        "{}",
        done.body
    );
    assert!(done.body.contains("Your account was created"));
    let audits = browser.get(&server.url("/audits")).await;
    assert_eq!(audits.status, StatusCode::OK, "{}", audits.body);
    assert!(audits.body.contains("ada@acme.test"));
    assert!(audits.body.contains(">auditor<"), "{}", audits.body);
    let ada = users(&server, &admin)
        .await
        .into_iter()
        .find(|u| u["email"] == "ada@acme.test")
        .unwrap();
    assert_eq!(ada["role"], "auditor");
    assert_eq!(ada["tenant_id"], tenant_id.as_str());
    // No password signs in to an account of single sign-on.
    let (status, _) = server
        .client
        .post(server.url("/api/v1/auth/login"))
        .json(&json!({ "email": "ada@acme.test", "password": "!sso" }))
        .send()
        .await
        .map(|r| (r.status(), ()))
        .unwrap();
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // A personal API key made in the dashboard reaches the API as the user.
    let account = browser.get(&server.url("/account")).await;
    let csrf = csrf_of(&account.body);
    let request = browser
        .client
        .post(server.url("/account/keys"))
        .header(header::ORIGIN, &server.base)
        .form(&[
            ("csrf", csrf.as_str()),
            ("name", "ci"),
            ("expires_in_days", "30"),
        ]);
    let made = browser.send(request).await;
    assert_eq!(made.status, StatusCode::OK, "{}", made.body);
    let start = made.body.find("id=\"new-api-key\">").unwrap() + "id=\"new-api-key\">".len();
    let key = made.body[start..start + made.body[start..].find('<').unwrap()].to_string();
    let (status, me) = server.get(&key, "/api/v1/me").await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["role"], "auditor");
    let (status, _) = server.get(&key, "/api/v1/users").await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Promoted at the provider: admin at the next sign-in, the same account.
    idp.account.lock().unwrap().2 = json!(["security-leads", "auditors"]);
    let mut again = Browser::new();
    let done = again.sign_in(&server).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert!(!done.body.contains("Your account was created"));
    let all = users(&server, &admin).await;
    assert_eq!(
        all.iter().filter(|u| u["email"] == "ada@acme.test").count(),
        1
    );
    let ada = all.iter().find(|u| u["email"] == "ada@acme.test").unwrap();
    assert_eq!(ada["role"], "admin");
    let (_, me) = server.get(&key, "/api/v1/me").await;
    assert_eq!(me["role"], "auditor", "a key keeps its own role");

    // Removed from every mapped group: refused, and the account is disabled with its
    // sessions and keys.
    idp.account.lock().unwrap().2 = json!(["staff"]);
    let mut removed = Browser::new();
    let refused = removed.sign_in(&server).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    assert!(
        refused
            .body
            .contains("none of the account&#x27;s groups at the identity provider maps to a role"),
        "{}",
        refused.body
    );
    assert!(session_of(&removed).is_none());
    let page = browser.get(&server.url("/audits")).await;
    assert_eq!(
        page.status,
        StatusCode::SEE_OTHER,
        "the old session is revoked"
    );
    let (status, _) = server.get(&key, "/api/v1/me").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the personal key stops");
    let ada = users(&server, &admin)
        .await
        .into_iter()
        .find(|u| u["email"] == "ada@acme.test")
        .unwrap();
    assert_eq!(ada["disabled"], true);
    let failures = sso_failures(&server, &admin).await;
    assert_eq!(failures[0]["detail"]["reason"], "no mapped group");
    assert_eq!(failures[0]["actor"], "sso:acme:subject-ada");

    // An administrator can sign a user out everywhere.
    let (status, body) = server
        .send(
            reqwest::Method::DELETE,
            &admin,
            &format!("/api/v1/users/{}/sessions", ada["id"].as_str().unwrap()),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["revoked"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_answers_are_refused_precisely_recorded_and_change_nothing() {
    let idp = start_idp().await;
    let (server, _tenant, admin) = service_with(&idp).await;
    let cases = [
        (Tamper::Forged, "its signature does not verify"),
        (Tamper::Expired, "it has expired"),
        (Tamper::Audience, "it was not issued to this service"),
        (Tamper::Issuer, "it was issued by another issuer"),
        (Tamper::Nonce, "its nonce is not the one of this sign-in"),
        (Tamper::AlgNone, "it is not signed"),
        (Tamper::Hs256, "an algorithm this service does not accept"),
        (Tamper::NoGroups, "the ID token has no `groups` claim"),
        (
            Tamper::GroupsString,
            "the ID token&#x27;s `groups` claim is not a list of group names",
        ),
    ];
    let users_before = users(&server, &admin).await;
    for (tamper, message) in cases {
        *idp.tamper.lock().unwrap() = tamper;
        let mut browser = Browser::new();
        let answer = browser.sign_in(&server).await;
        assert_eq!(
            answer.status,
            StatusCode::UNAUTHORIZED,
            "{tamper:?}: {}",
            answer.body
        );
        assert!(answer.body.contains(message), "{tamper:?}: {}", answer.body);
        assert!(session_of(&browser).is_none(), "{tamper:?}");
        let failure = &sso_failures(&server, &admin).await[0];
        assert!(
            failure["detail"]["error"]
                .as_str()
                .unwrap()
                .contains(&message.replace("&#x27;", "'")),
            "{tamper:?}: {failure}"
        );
        assert_eq!(users(&server, &admin).await, users_before, "{tamper:?}");
    }
    *idp.tamper.lock().unwrap() = Tamper::None;

    // A replayed callback: the first one signs in, the second is refused.
    let mut browser = Browser::new();
    let callback = browser.follow_to_callback(&server).await;
    assert_eq!(browser.get(&callback).await.status, StatusCode::OK);
    let replay = browser.get(&callback).await;
    assert_eq!(replay.status, StatusCode::UNAUTHORIZED);
    assert!(
        replay.body.contains("already completed once"),
        "{}",
        replay.body
    );
    assert_eq!(
        sso_failures(&server, &admin).await[0]["detail"]["reason"],
        "replayed"
    );

    // A callback opened in another browser (login CSRF) is refused before any exchange.
    let mut victim = Browser::new();
    let mut attacker = Browser::new();
    let callback = attacker.follow_to_callback(&server).await;
    let answer = victim.get(&callback).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert!(
        answer.body.contains("started in another browser"),
        "{}",
        answer.body
    );
    assert!(session_of(&victim).is_none());

    // A made-up state, and a callback without a code.
    let forged = victim
        .get(&server.url("/login/sso/acme/callback?code=x&state=made-up"))
        .await;
    assert!(
        forged.body.contains("was not started here"),
        "{}",
        forged.body
    );
    let missing = victim.get(&server.url("/login/sso/acme/callback")).await;
    assert!(missing.body.contains("has no `code`"), "{}", missing.body);
    // The provider's own refusal is shown as such.
    let denied =
        victim
            .get(&server.url(
                "/login/sso/acme/callback?error=access_denied&error_description=the+user+said+no",
            ))
            .await;
    assert!(
        denied
            .body
            .contains("refused the sign-in: access_denied: the user said no"),
        "{}",
        denied.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotated_keys_are_fetched_again_and_an_unreachable_key_set_is_refused() {
    let idp = start_idp().await;
    let (server, _tenant, admin) = service_with(&idp).await;
    let mut browser = Browser::new();
    assert_eq!(browser.sign_in(&server).await.status, StatusCode::OK);
    let fetches = *idp.jwks_fetches.lock().unwrap();

    // The provider rotates: a new key under a new id, the old one withdrawn.
    let new = SigningKey::new("key-2");
    *idp.published.lock().unwrap() = vec![new.jwk()];
    *idp.key.lock().unwrap() = new;
    let mut browser = Browser::new();
    let answer = browser.sign_in(&server).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(*idp.jwks_fetches.lock().unwrap(), fetches + 1);

    // Rotated again while the key set cannot be fetched: refused, and said why.
    let newer = SigningKey::new("key-3");
    *idp.published.lock().unwrap() = vec![newer.jwk()];
    *idp.key.lock().unwrap() = newer;
    idp.jwks_broken.store(true, Ordering::SeqCst);
    // The last fetch was moments ago: wait out the refresh interval.
    tokio::time::sleep(std::time::Duration::from_secs(11)).await;
    let mut browser = Browser::new();
    let answer = browser.sign_in(&server).await;
    assert_eq!(answer.status, StatusCode::BAD_GATEWAY, "{}", answer.body);
    assert!(
        answer.body.contains("cannot reach the identity provider"),
        "{}",
        answer.body
    );
    let failure = &sso_failures(&server, &admin).await[0];
    assert_eq!(failure["detail"]["reason"], "provider unreachable");
    assert!(session_of(&browser).is_none());
}
