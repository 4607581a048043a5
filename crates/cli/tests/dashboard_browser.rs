//! The web dashboard of the real `web3audit serve`, driven in headless Chromium through
//! chromedriver: sign in, submit a vulnerable contract, wait for the result, open a
//! finding on its highlighted line, triage it; audit a contract deployed on a local Anvil
//! node from the same form (when Anvil is there); sign out; then a viewer, who gets no
//! submit form and whose forged submission is refused. Screenshots of the pages are kept
//! under `target/browser-artifacts/`.
//!
//! Skipped, with a message, when chromedriver or Chromium is missing (`cargo test` on a
//! developer machine); `.ci/run` installs the Debian packages `chromium` and
//! `chromium-driver` and sets `WEB3AUDIT_BROWSER_TESTS=required`, which turns the skip
//! into a failure.

mod browser_support;
mod service_support;

use std::path::Path;

use browser_support::*;
use fantoccini::{Client, Locator};
use serde_json::{Value, json};
use service_support::*;

const VULNERABLE: &str = "pragma solidity ^0.8.0;\n\
\n\
contract Wallet {\n\
    address owner;\n\
\n\
    constructor() {\n\
        owner = msg.sender;\n\
    }\n\
\n\
    function withdraw(address payable to) public {\n\
        require(tx.origin == owner);\n\
        to.transfer(address(this).balance);\n\
    }\n\
}\n";

async fn sign_in(client: &Client, base: &str, email: &str, password: &str) {
    client.goto(&format!("{base}/login")).await.unwrap();
    client
        .find(Locator::Id("email"))
        .await
        .unwrap()
        .send_keys(email)
        .await
        .unwrap();
    client
        .find(Locator::Id("password"))
        .await
        .unwrap()
        .send_keys(password)
        .await
        .unwrap();
    click(client, Locator::Css("form[action='/login'] button")).await;
    wait_for(client, "the audit list", |s| s.contains("<h1>Audits</h1>")).await;
}

async fn sign_out(client: &Client) {
    click(client, Locator::Css("form[action='/logout'] button")).await;
    wait_for(client, "the sign-in page", |s| {
        s.contains("<h1>Sign in</h1>")
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_auditor_audits_and_triages_in_the_browser_and_a_viewer_cannot_submit() {
    let Some((driver_path, browser_path)) = tools() else {
        return;
    };
    let dir = temp_dir("dashboard-browser");
    let key = bootstrap(&dir)["api_key"].as_str().unwrap().to_string();
    let http = reqwest::Client::new();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut processes = Processes::default();
    // A chain for the deployed-contract form: a local node with a contract anyone can
    // self-destruct (skipped with the rest of the node tests when there is no Anvil).
    let node = devnet::anvil_or_skip("the deployed-contract form of the dashboard");
    let deployed = node.as_ref().map(|node| {
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../sim/tests/fixtures");
        let killable = devnet::load_artifact(&fixtures.join("fixtures.json"), "Killable").unwrap();
        node.deploy(node.accounts()[0], &killable.bytecode).unwrap()
    });
    let scan_config = dir.join("scan-config.toml");
    let mut env = vec![("WEB3AUDIT_DASHBOARD_COOKIE_SECURE", "false")];
    if let Some(node) = &node {
        std::fs::write(
            &scan_config,
            format!("[chains.local]\nurls = [\"{}\"]\n", node.url()),
        )
        .unwrap();
        env.push(("WEB3AUDIT_SCAN_CONFIG", scan_config.to_str().unwrap()));
    }
    // Plain HTTP on loopback: cookies without `Secure` (see docs/dashboard.md).
    processes.push(serve(&dir, port, 0, &env));
    wait_ready(&http, &base).await;
    let response = http
        .post(format!("{base}/api/v1/users"))
        .header("x-api-key", &key)
        .json(&json!({ "email": "viewer@acme.test", "password": "a long viewer password", "role": "viewer" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 201);

    let client = start_browser(&driver_path, &browser_path, &dir, &mut processes, &http).await;

    // An auditor's day: sign in, submit, read, triage.
    sign_in(&client, &base, "admin@acme.test", "a long admin password").await;
    screenshot(&client, "dashboard-audits-empty").await;
    click(&client, Locator::LinkText("New audit")).await;
    wait_for(&client, "the submit form", |s| {
        s.contains("<h1>New audit</h1>")
    })
    .await;
    for (id, text) in [
        ("project", "wallet"),
        ("file_name", "Wallet.sol"),
        ("source", VULNERABLE),
    ] {
        type_into(&client, id, text).await;
    }
    screenshot(&client, "dashboard-new-audit").await;
    click(
        &client,
        Locator::Css("form[action='/audits'] button[type=submit]"),
    )
    .await;
    let audit_page = wait_for(&client, "the audit's findings", |s| {
        s.contains("status-succeeded") && s.contains("class=\"findings\"")
    })
    .await;
    assert!(audit_page.contains("first succeeded audit of this project"));
    screenshot(&client, "dashboard-audit").await;

    // The tx.origin finding, opened on its line.
    let link = client
        .find(Locator::XPath(
            "//ul[@class='findings']//a[contains(., 'tx.origin')]",
        ))
        .await
        .unwrap();
    let href = link.attr("href").await.unwrap().unwrap();
    assert!(href.ends_with("#L11"), "{href}");
    link.click().await.unwrap();
    wait_for(&client, "the finding page", |s| s.contains("id=\"triage\"")).await;
    let url = client.current_url().await.unwrap();
    assert_eq!(url.fragment(), Some("L11"));
    let line = client.find(Locator::Id("L11")).await.unwrap();
    assert_eq!(
        line.attr("class").await.unwrap().as_deref(),
        Some("line flagged")
    );
    assert!(
        line.text()
            .await
            .unwrap()
            .contains("require(tx.origin == owner);")
    );
    let visible = client
        .execute(
            "const r = document.getElementById('L11').getBoundingClientRect(); \
             return r.top >= 0 && r.bottom <= window.innerHeight;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        visible,
        Value::Bool(true),
        "the flagged line is scrolled into view"
    );
    screenshot(&client, "dashboard-finding").await;

    click(&client, Locator::Css("#state option[value='confirmed']")).await;
    client
        .find(Locator::Id("comment"))
        .await
        .unwrap()
        .send_keys("reachable by any contract the owner calls")
        .await
        .unwrap();
    click(&client, Locator::Css("#triage button[type=submit]")).await;
    let after = wait_for(&client, "the triage history", |s| {
        s.contains("reachable by any contract the owner calls")
    })
    .await;
    assert!(after.contains("triage-confirmed"));
    let selected = client
        .find(Locator::Css("#state option[selected]"))
        .await
        .unwrap()
        .attr("value")
        .await
        .unwrap();
    assert_eq!(selected.as_deref(), Some("confirmed"));
    screenshot(&client, "dashboard-finding-triaged").await;

    // A deployed contract, from the same form: the bytecode finding, confirmed by simulation.
    if let Some(address) = deployed {
        client.goto(&format!("{base}/audits/new")).await.unwrap();
        wait_for(&client, "the submit form", |s| {
            s.contains("Or a deployed contract")
        })
        .await;
        type_into(&client, "address", &address.to_string()).await;
        click(&client, Locator::Css("#chain option[value='local']")).await;
        screenshot(&client, "dashboard-new-audit-deployed").await;
        click(
            &client,
            Locator::Css("form[action='/audits'] button[type=submit]"),
        )
        .await;
        let page = wait_for(&client, "the deployed contract's findings", |s| {
            s.contains("status-succeeded") && s.contains("class=\"findings\"")
        })
        .await;
        assert!(
            page.contains("SELFDESTRUCT reachable without a caller check"),
            "{page}"
        );
        // Confirmed by simulation: high confidence.
        assert!(
            page.contains("bytecode-unguarded-selfdestruct · high confidence"),
            "{page}"
        );
        screenshot(&client, "dashboard-audit-deployed").await;
        click(
            &client,
            Locator::XPath("//ul[@class='findings']//a[contains(., 'SELFDESTRUCT')]"),
        )
        .await;
        let finding = wait_for(&client, "the deployed finding's page", |s| {
            s.contains("id=\"triage\"")
        })
        .await;
        assert!(finding.contains("[simulation: confirmed: "), "{finding}");
        screenshot(&client, "dashboard-finding-deployed").await;
    }

    client.goto(&format!("{base}/security")).await.unwrap();
    wait_for(&client, "the security page", |s| {
        s.contains("<svg class=\"chart\"")
    })
    .await;
    screenshot(&client, "dashboard-security").await;
    client.goto(&format!("{base}/usage")).await.unwrap();
    wait_for(&client, "the usage page", |s| s.contains("Usage of acme")).await;
    client.goto(&format!("{base}/audits")).await.unwrap();
    wait_for(&client, "the audit list", |s| s.contains("wallet")).await;
    screenshot(&client, "dashboard-audits").await;
    sign_out(&client).await;
    client.goto(&format!("{base}/audits")).await.unwrap();
    wait_for(&client, "the sign-in page", |s| {
        s.contains("<h1>Sign in</h1>")
    })
    .await;

    // A viewer: no submit form, and a forged submission is refused.
    sign_in(&client, &base, "viewer@acme.test", "a long viewer password").await;
    assert!(
        client
            .find_all(Locator::Css("a[href='/audits/new']"))
            .await
            .unwrap()
            .is_empty()
    );
    client.goto(&format!("{base}/audits/new")).await.unwrap();
    let refused = wait_for(&client, "the refusal", |s| s.contains("Permission denied")).await;
    assert!(!refused.contains("name=\"source\""));
    screenshot(&client, "dashboard-viewer-refused").await;

    client.goto(&format!("{base}/audits")).await.unwrap();
    let csrf = client
        .find(Locator::Css("form[action='/logout'] input[name=csrf]"))
        .await
        .unwrap()
        .attr("value")
        .await
        .unwrap()
        .unwrap();
    let session = client
        .get_all_cookies()
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.name() == "web3audit_session")
        .expect("the session cookie");
    let boundary = "forged-7d1e";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file_name\"\r\n\r\nA.sol\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"source\"\r\n\r\n{VULNERABLE}\r\n\
         --{boundary}--\r\n"
    );
    let forged = http
        .post(format!("{base}/audits"))
        .header("origin", &base)
        .header("cookie", format!("web3audit_session={}", session.value()))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status().as_u16(), 403);
    let audits = get(&http, &key, &format!("{base}/api/v1/audits")).await;
    assert_eq!(
        audits["items"].as_array().unwrap().len(),
        1 + usize::from(deployed.is_some())
    );
    let denied = get(
        &http,
        &key,
        &format!("{base}/api/v1/audit-log?action=permission.denied"),
    )
    .await;
    assert_eq!(denied["items"][0]["detail"]["attempted"], "submit audits");
    sign_out(&client).await;
    client.close().await.unwrap();
}
