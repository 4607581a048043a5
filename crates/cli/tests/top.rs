//! `web3audit top --once` against the real service.

mod service_support;

use service_support::*;

#[tokio::test(flavor = "multi_thread")]
async fn top_once_shows_the_queue_and_rates_of_a_running_service() {
    let dir = temp_dir("service-top");
    bootstrap(&dir);
    let client = reqwest::Client::new();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut server = serve(&dir, port, 0, &[]);
    wait_ready(&client, &base).await;

    let out = bin()
        .args(["top", "--once", "--interval", "1", "--url", &base])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains(&format!("web3audit top · {base} · status healthy")),
        "{text}"
    );
    assert!(
        text.contains("queue depth") && text.contains("audits/min"),
        "{text}"
    );
    assert!(text.contains("recent alerts\n  none"), "{text}");

    server.kill().unwrap();
    server.wait().unwrap();

    // With the service gone, the frame says so and the exit code is 2.
    let out = bin()
        .args(["top", "--once", "--interval", "1", "--url", &base])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stdout).contains("cannot reach"));
}
