//! Reports from the running service: `GET /api/v1/audits/{id}/report?format=html|pdf`
//! with the real analyzer, enriched with the triage the service keeps.

mod service_support;

use serde_json::json;
use service_support::*;

const EVIL: &str = "pragma solidity ^0.8.0;\n\
// </script><script>alert(1)</script>\n\
contract Wallet {\n    address owner;\n    string note = \"</script><script>alert(1)</script>\";\n\
    function withdraw() public {\n        require(tx.origin == owner);\n        payable(msg.sender).transfer(address(this).balance);\n    }\n}\n";

/// A running service on a fresh database, with one succeeded audit of `EVIL` at `path`.
struct Audited {
    dir: std::path::PathBuf,
    key: String,
    client: reqwest::Client,
    base: String,
    server: std::process::Child,
    id: String,
}

async fn audited(name: &str, path: &str) -> Audited {
    let dir = temp_dir(name);
    let key = bootstrap(&dir)["api_key"].as_str().unwrap().to_string();
    let client = reqwest::Client::new();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let server = serve(&dir, port, 0, &[]);
    wait_ready(&client, &base).await;
    let id = submit(&client, &key, &base, &json!({ "sources": { path: EVIL } })).await;
    assert_eq!(wait_for_audit(&client, &key, &base, &id).await, "succeeded");
    Audited {
        dir,
        key,
        client,
        base,
        server,
        id,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn html_and_pdf_reports_carry_excerpts_and_triage() {
    let Audited {
        key,
        client,
        base,
        mut server,
        id,
        ..
    } = audited("service-reports", "src/<b>Wallet</b>.sol").await;

    let findings = get(
        &client,
        &key,
        &format!("{base}/api/v1/audits/{id}/findings"),
    )
    .await;
    let finding = findings["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["detector"] == "tx-origin-auth")
        .expect("a tx.origin finding")
        .clone();
    let response = client
        .post(format!(
            "{base}/api/v1/findings/{}/triage",
            finding["id"].as_str().unwrap()
        ))
        .header("x-api-key", &key)
        .json(&json!({ "state": "confirmed", "comment": "<script>alert(2)</script> real issue" }))
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{}", response.status());

    let response = client
        .get(format!("{base}/api/v1/audits/{id}/report?format=html"))
        .header("x-api-key", &key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let headers = response.headers().clone();
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("default-src 'none'") && csp.contains("style-src 'unsafe-inline'"));
    assert!(!csp.contains("script-src"), "no script may run: {csp}");
    let html = response.text().await.unwrap();
    assert!(!html.contains("<script"), "{html}");
    assert!(!html.contains("<b>Wallet"), "{html}");
    let html = html.replace("&#x2f;", "/");
    assert!(html.contains("<span class=\"line flagged\"><span class=\"ln\" aria-hidden=\"true\">7</span>        require(tx.origin == owner);"), "{html}");
    assert!(html.contains("<span class=\"triage triage-confirmed\">confirmed</span>"));
    assert!(html.contains("&lt;script&gt;alert(2)&lt;/script&gt; real issue"));
    assert!(html.contains(&format!("Audit report {id}")));

    let response = client
        .get(format!("{base}/api/v1/audits/{id}/report?format=pdf"))
        .header("x-api-key", &key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.headers()["content-type"], "application/pdf");
    let pdf = response.bytes().await.unwrap();
    assert!(pdf.starts_with(b"%PDF-1.4"));
    let pages = pdf
        .windows(b"/Type /Page ".len())
        .filter(|w| w == b"/Type /Page ")
        .count();
    let n = findings["items"].as_array().unwrap().len();
    assert_eq!(pages, 1 + n.div_ceil(report::DEFAULT_FINDINGS_PER_PAGE));

    // Another audit id, or an unknown format, is refused.
    let response = client
        .get(format!("{base}/api/v1/audits/nope/report?format=html"))
        .header("x-api-key", &key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 404);
    let response = client
        .get(format!("{base}/api/v1/audits/{id}/report?format=docx"))
        .header("x-api-key", &key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 400);

    server.kill().unwrap();
    server.wait().unwrap();
}

/// The service keeps the analyzer's report with the rules that found nothing by id only,
/// and renders SARIF and Markdown from it when asked: what it serves is what `scan`
/// writes for the same source (every rule that ran, with its documentation), apart from
/// the run's timing.
#[tokio::test(flavor = "multi_thread")]
async fn sarif_and_markdown_match_the_scan_of_the_same_source() {
    let Audited {
        dir,
        key,
        client,
        base,
        mut server,
        id,
    } = audited("service-reports-sarif", "Wallet.sol").await;
    let served = |format: &'static str| {
        let request = client
            .get(format!("{base}/api/v1/audits/{id}/report?format={format}"))
            .header("x-api-key", &key);
        async move {
            let response = request.send().await.unwrap();
            assert_eq!(response.status().as_u16(), 200, "{format}");
            response.text().await.unwrap()
        }
    };
    let sarif: serde_json::Value = serde_json::from_str(&served("sarif").await).unwrap();
    let markdown = served("markdown").await;

    let source = dir.join("Wallet.sol");
    std::fs::write(&source, EVIL).unwrap();
    let scan = |format: &str| {
        let out = bin()
            .current_dir(&dir)
            .args(["scan", "Wallet.sol", "--no-config", "--format", format])
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap()
    };
    let scanned: serde_json::Value = serde_json::from_str(&scan("sarif")).unwrap();
    let driver = &sarif["runs"][0]["tool"]["driver"];
    let rules = driver["rules"].as_array().unwrap();
    assert_eq!(rules.len(), detectors::registry::metas().count());
    assert!(
        rules
            .iter()
            .all(|r| !r["help"]["markdown"].as_str().unwrap_or("").is_empty())
    );
    assert_eq!(
        driver["rules"],
        scanned["runs"][0]["tool"]["driver"]["rules"]
    );
    assert_eq!(sarif["runs"][0]["results"], scanned["runs"][0]["results"]);
    assert!(
        sarif["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["ruleId"] == "tx-origin-auth")
    );
    // Markdown: the same text but for the timing in its header.
    let without_timing = |text: &str| {
        text.lines()
            .filter(|line| !line.contains(" ms"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert!(markdown.contains("tx-origin-auth"), "{markdown}");
    assert_eq!(without_timing(&markdown), without_timing(&scan("markdown")));

    server.kill().unwrap();
    server.wait().unwrap();
}
