//! Single sign-on end to end: the real `web3audit serve` and a real OpenID provider (the
//! npm package `oidc-provider`, run by `tools/oidc/provider.mjs`), driven in headless
//! Chromium. A first sign-in through the provider creates the user with the role its
//! group maps to; the role's pages open and the pages it lacks are refused; moved to
//! another group at the provider, the user has the new role at the next sign-in; removed
//! from every mapped group, the next sign-in is refused and the account disabled.
//! Screenshots go to `target/browser-artifacts/sso-*.png`.
//!
//! Skipped, with a message, when chromedriver, Chromium or the provider is missing;
//! `.ci/run` installs them (`tools/oidc/install.sh` for the provider) and sets
//! `WEB3AUDIT_BROWSER_TESTS=required`, which turns the skip into a failure.

mod browser_support;
mod service_support;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use browser_support::*;
use fantoccini::{Client, Locator};
use serde_json::json;
use service_support::*;

const CLIENT_ID: &str = "web3audit-browser-test";
const CLIENT_SECRET: &str = "browser test client secret 7c1f";

/// The provider's start script with its `node_modules` beside it.
fn provider_script() -> Option<PathBuf> {
    let script = std::env::var_os("WEB3AUDIT_OIDC_PROVIDER")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/oidc/provider.mjs")
        });
    let installed = script.is_file()
        && script
            .parent()
            .is_some_and(|d| d.join("node_modules/oidc-provider").is_dir());
    if installed {
        return Some(script);
    }
    assert!(
        std::env::var("WEB3AUDIT_BROWSER_TESTS").as_deref() != Ok("required"),
        "WEB3AUDIT_BROWSER_TESTS=required but the OpenID provider is not installed \
         (bash tools/oidc/install.sh)"
    );
    eprintln!("skipped: the OpenID provider is not installed (run `bash tools/oidc/install.sh`)");
    None
}

fn write_accounts(path: &Path, groups: &[&str]) {
    std::fs::write(
        path,
        json!({ "ada": { "email": "ada@acme.test", "groups": groups } }).to_string(),
    )
    .unwrap();
}

/// Signs in through the provider, from the sign-in page: the provider's own form the
/// first time (any password), its consent the first time; the way back to the dashboard.
async fn sso_sign_in(client: &Client, base: &str) -> String {
    client.goto(&format!("{base}/login")).await.unwrap();
    click(
        client,
        Locator::Css("form[action='/login/sso/acme'] button"),
    )
    .await;
    for _ in 0..3 {
        let source = wait_for(client, "the provider or the dashboard", |s| {
            s.contains("name=\"login\"")
                || s.contains("name=\"prompt\" value=\"consent\"")
                || s.contains("<h1>Audits</h1>")
                || s.contains("Single sign-on refused")
        })
        .await;
        if source.contains("name=\"login\"") {
            screenshot(client, "sso-provider-login").await;
            let login = client
                .find(Locator::Css("input[name=login]"))
                .await
                .unwrap();
            login.send_keys("ada").await.unwrap();
            let password = client
                .find(Locator::Css("input[name=password]"))
                .await
                .unwrap();
            password.send_keys("any password").await.unwrap();
            click(client, Locator::Css("button[type=submit]")).await;
            // The next source read must be of the next page, not of this one.
            wait_for(client, "the provider's next page", |s| {
                !s.contains("name=\"login\"")
            })
            .await;
        } else if source.contains("name=\"prompt\" value=\"consent\"") {
            click(client, Locator::Css("button[type=submit]")).await;
            wait_for(client, "the way back from the provider", |s| {
                !s.contains("name=\"prompt\" value=\"consent\"")
            })
            .await;
        } else {
            return source;
        }
    }
    wait_for(client, "the dashboard", |s| {
        s.contains("<h1>Audits</h1>") || s.contains("Single sign-on refused")
    })
    .await
}

/// The user ada, as the users API shows her (created at her first sign-in).
async fn ada_account(http: &reqwest::Client, key: &str, base: &str) -> serde_json::Value {
    let users = get(http, key, &format!("{base}/api/v1/users")).await;
    users["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["email"] == "ada@acme.test")
        .expect("ada was created at her first sign-in")
        .clone()
}

async fn sign_out(client: &Client) {
    click(client, Locator::Css("form[action='/logout'] button")).await;
    wait_for(client, "the sign-in page", |s| {
        s.contains("<h1>Sign in</h1>")
    })
    .await;
}

async fn status_of(http: &reqwest::Client, client: &Client, base: &str, path: &str) -> u16 {
    let session = client
        .get_all_cookies()
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.name() == "web3audit_session")
        .expect("the session cookie");
    http.get(format!("{base}{path}"))
        .header("cookie", format!("web3audit_session={}", session.value()))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test(flavor = "multi_thread")]
async fn sso_creates_the_user_with_the_mapped_role_and_follows_the_provider() {
    let Some((driver_path, browser_path)) = tools() else {
        return;
    };
    let Some(script) = provider_script() else {
        return;
    };
    let dir = temp_dir("sso-browser");
    let boot = bootstrap(&dir);
    let tenant_id = boot["tenant_id"].as_str().unwrap().to_string();
    let key = boot["api_key"].as_str().unwrap().to_string();
    let http = reqwest::Client::new();
    let (port, idp_port) = (free_port(), free_port());
    let base = format!("http://127.0.0.1:{port}");
    let issuer = format!("http://127.0.0.1:{idp_port}");
    let mut processes = Processes::default();

    // The provider, with ada in the auditors' group.
    let accounts = dir.join("accounts.json");
    write_accounts(&accounts, &["staff", "auditors"]);
    let mut provider = Command::new("node")
        .arg(&script)
        .args([
            idp_port.to_string(),
            accounts.display().to_string(),
            CLIENT_ID.into(),
            CLIENT_SECRET.into(),
            format!("{base}/login/sso/acme/callback"),
        ])
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(dir.join("provider.log")).unwrap())
        .spawn()
        .expect("node runs the OpenID provider");
    let stdout = provider.stdout.take().unwrap();
    processes.push(provider);
    let mut lines = BufReader::new(stdout).lines();
    let ready = lines.next();
    // The rest of its output is drained: a closed pipe would end the provider.
    std::thread::spawn(move || lines.for_each(drop));
    assert!(
        matches!(&ready, Some(Ok(line)) if line.starts_with("ready ")),
        "the provider did not start: {ready:?}; see {}",
        dir.join("provider.log").display()
    );

    // The service, with the provider for the tenant.
    let secret_file = dir.join("oidc-secret");
    std::fs::write(&secret_file, CLIENT_SECRET).unwrap();
    let config = dir.join("web3audit.toml");
    std::fs::write(
        &config,
        format!(
            r#"public_url = "{base}"

[egress]
allow_hosts = ["127.0.0.1"]

[sso.acme]
tenant = "{tenant_id}"
label = "Acme staff"
issuer = "{issuer}"
client_id = "{CLIENT_ID}"
client_secret = {{ file = "{}" }}
allowed_domains = ["acme.test"]
scopes = ["groups"]
roles = [
    {{ group = "security-leads", role = "admin" }},
    {{ group = "auditors", role = "auditor" }},
    {{ group = "readers", role = "viewer" }},
]
"#,
            secret_file.display()
        ),
    )
    .unwrap();
    processes.push(serve(
        &dir,
        port,
        0,
        &[
            ("WEB3AUDIT_DASHBOARD_COOKIE_SECURE", "false"),
            ("WEB3AUDIT_CONFIG", config.to_str().unwrap()),
        ],
    ));
    wait_ready(&http, &base).await;
    let client = start_browser(&driver_path, &browser_path, &dir, &mut processes, &http).await;

    // First sign-in: the user is created with the auditors' role.
    client.goto(&format!("{base}/login")).await.unwrap();
    wait_for(&client, "the provider's button", |s| {
        s.contains("Sign in with Acme staff")
    })
    .await;
    screenshot(&client, "sso-login").await;
    let page = sso_sign_in(&client, &base).await;
    assert!(page.contains("ada@acme.test"), "{page}");
    assert!(page.contains(">auditor<"), "{page}");
    screenshot(&client, "sso-signed-in-auditor").await;
    let ada = ada_account(&http, &key, &base).await;
    assert_eq!(ada["role"], "auditor");
    // The role's pages open; the pages it lacks are refused.
    assert!(
        !client
            .find_all(Locator::Css("a[href='/audits/new']"))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(status_of(&http, &client, &base, "/audits/new").await, 200);
    assert!(
        client
            .find_all(Locator::Css("a[href='/security']"))
            .await
            .unwrap()
            .is_empty()
    );
    client.goto(&format!("{base}/security")).await.unwrap();
    wait_for(&client, "the refusal", |s| s.contains("Permission denied")).await;
    screenshot(&client, "sso-auditor-refused-security").await;
    assert_eq!(status_of(&http, &client, &base, "/compliance").await, 403);
    client.goto(&format!("{base}/audits")).await.unwrap();
    sign_out(&client).await;

    // Moved to the readers at the provider: a viewer at the next sign-in.
    write_accounts(&accounts, &["staff", "readers"]);
    let page = sso_sign_in(&client, &base).await;
    assert!(page.contains(">viewer<"), "{page}");
    assert!(
        client
            .find_all(Locator::Css("a[href='/audits/new']"))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(status_of(&http, &client, &base, "/audits/new").await, 403);
    screenshot(&client, "sso-signed-in-viewer").await;
    sign_out(&client).await;

    // Removed from every mapped group: refused, and the account is disabled.
    write_accounts(&accounts, &["staff"]);
    let page = sso_sign_in(&client, &base).await;
    assert!(page.contains("Single sign-on refused"), "{page}");
    assert!(page.contains("maps to a role here"), "{page}");
    screenshot(&client, "sso-refused").await;
    assert_eq!(ada_account(&http, &key, &base).await["disabled"], true);
    let trail = get(
        &http,
        &key,
        &format!("{base}/api/v1/audit-log?action=login&limit=200"),
    )
    .await;
    let sso: Vec<_> = trail["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["detail"]["via"] == "sso")
        .collect();
    assert_eq!(
        sso.iter().filter(|e| e["outcome"] == "success").count(),
        2,
        "{trail}"
    );
    assert_eq!(sso[0]["outcome"], "failure");
    assert_eq!(sso[0]["detail"]["reason"], "no mapped group");
    client.close().await.unwrap();
}
