//! `web3audit monitor run` end to end, against a local Anvil node: alerts reach a webhook
//! channel (the time from a transaction's confirmation to the webhook is measured and
//! printed), cooldown folds and escalation re-sends, a process killed while it processes
//! resumes without losing or repeating an alert, and reorganisations below and above the
//! confirmation depth; and a monitor suggested from fixtures, as written, catching an
//! ownership takeover and an upgrade.

mod service_support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use alloy_primitives::{Address, U256, keccak256};
use devnet::{Anvil, anvil_or_skip};
use serde_json::{Value, json};
use service_support::*;

/// The address the monitors watch: calls to it need no contract.
const TARGET: &str = "0x00000000000000000000000000000000000a11ce";

/// Webhook bodies received, with when they arrived. While `hold` is set, requests are
/// read and then held without an answer (a receiver that hangs), and not kept.
#[derive(Clone, Default)]
struct Inbox(
    Arc<Mutex<Vec<(Instant, Value)>>>,
    Arc<AtomicBool>,
    Arc<AtomicUsize>,
);

impl Inbox {
    /// Starts a webhook receiver on a free port; its URL.
    fn serve(&self) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let (inbox, hold, held) = (self.0.clone(), self.1.clone(), self.2.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { break };
                let (inbox, hold, held) = (inbox.clone(), hold.clone(), held.clone());
                std::thread::spawn(move || {
                    let mut reader = BufReader::new(stream.try_clone().unwrap());
                    let mut length = 0usize;
                    let mut line = String::new();
                    loop {
                        line.clear();
                        if reader.read_line(&mut line).unwrap_or(0) == 0 {
                            return;
                        }
                        let header = line.trim_end();
                        if header.is_empty() {
                            break;
                        }
                        if let Some((name, value)) = header.split_once(':')
                            && name.eq_ignore_ascii_case("content-length")
                        {
                            length = value.trim().parse().unwrap_or(0);
                        }
                    }
                    let mut body = vec![0u8; length];
                    if reader.read_exact(&mut body).is_err() {
                        return;
                    }
                    if hold.load(Ordering::SeqCst) {
                        held.fetch_add(1, Ordering::SeqCst);
                        std::thread::sleep(Duration::from_secs(120));
                        return;
                    }
                    let arrived = Instant::now();
                    if let Ok(value) = serde_json::from_slice(&body) {
                        inbox.lock().unwrap().push((arrived, value));
                    }
                    let _ = stream.write_all(
                        b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
                    );
                });
            }
        });
        url
    }

    fn all(&self) -> Vec<(Instant, Value)> {
        self.0.lock().unwrap().clone()
    }

    /// Waits until a body matching `want` arrives; when it arrived.
    fn wait(&self, what: &str, want: impl Fn(&Value) -> bool) -> (Instant, Value) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(found) = self.all().into_iter().find(|(_, v)| want(v)) {
                return found;
            }
            assert!(
                Instant::now() < deadline,
                "no webhook for {what}: {:?}",
                self.all()
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

/// Sends a call with `data` to the target from the node's first account; its hash, once
/// mined.
fn call(node: &Anvil, data: &str) -> String {
    let from = format!("{:#x}", node.accounts()[0]);
    let hash = node
        .rpc(
            "eth_sendTransaction",
            json!([{"from": from, "to": TARGET, "data": data, "gas": "0x186a0"}]),
        )
        .unwrap();
    let hash = hash.as_str().unwrap().to_string();
    for _ in 0..1000 {
        if !node
            .rpc("eth_getTransactionReceipt", json!([hash]))
            .unwrap()
            .is_null()
        {
            return hash;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    panic!("no receipt for {hash}");
}

fn mine(node: &Anvil, blocks: u64) {
    node.rpc("anvil_mine", json!([format!("0x{blocks:x}")]))
        .unwrap();
}

/// The service configuration: one channel for critical and high alerts, one for
/// escalations.
fn service_config(dir: &Path, oncall: &str, pager: &str, extra: &str) -> std::path::PathBuf {
    let path = dir.join("web3audit.toml");
    std::fs::write(
        &path,
        format!(
            r#"
[egress]
allow_hosts = ["127.0.0.1"]

[[alerts.channels]]
name = "oncall"
kind = "webhook"
levels = ["critical", "high"]
url = "{oncall}"
secret = "0123456789abcdef0123456789abcdef"

[[alerts.channels]]
name = "pager"
kind = "webhook"
levels = ["low"]
url = "{pager}"
secret = "0123456789abcdef0123456789abcdef"

[monitoring]
refresh_every = "200ms"
escalate_to = ["pager"]
{extra}
"#
        ),
    )
    .unwrap();
    path
}

/// A bootstrapped service directory whose one webhook receiver takes every alert and
/// escalation, with its configuration.
fn one_channel_service(name: &str, extra: &str) -> (std::path::PathBuf, Inbox, std::path::PathBuf) {
    let dir = temp_dir(name);
    bootstrap(&dir);
    let oncall = Inbox::default();
    let url = oncall.serve();
    let config = service_config(&dir, &url, &url, extra);
    (dir, oncall, config)
}

/// A monitor file watching the target: `poke(…)` (selector 0xdeadbeef) is critical with no
/// cooldown; `nudge(…)` (0xfeedbeef) is high with a one-hour cooldown.
fn monitor_file(dir: &Path, node: &Anvil, confirmations: u64, start: u64) -> std::path::PathBuf {
    let path = dir.join("monitors.toml");
    std::fs::write(
        &path,
        format!(
            r#"
[[monitors]]
name = "watch"
chain_id = 31337
rpc = ["{url}"]
confirmations = {confirmations}
start_block = {start}
poll_interval = "50ms"

[[monitors.contracts]]
name = "Target"
address = "{TARGET}"

[[monitors.rules]]
name = "poke"
kind = "call"
contract = "Target"
selector = "0xdeadbeef"
level = "critical"

[[monitors.rules]]
name = "nudge"
kind = "call"
contract = "Target"
selector = "0xfeedbeef"
level = "high"
cooldown = "1h"
"#,
            url = node.url()
        ),
    )
    .unwrap();
    path
}

fn monitor_run(dir: &Path, config: &Path, monitors: &Path, port: u16, log: &str) -> Child {
    let log = std::fs::File::create(dir.join(log)).unwrap();
    bin()
        .args(["monitor", "run", "--bind", &format!("127.0.0.1:{port}")])
        .arg("--config")
        .arg(config)
        .arg("--monitors")
        .arg(monitors)
        .args(["--database-url", &db_url(dir)])
        .env("WEB3AUDIT_LOG_FORMAT", "json")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap()
}

async fn sqlite(dir: &Path) -> sqlx::SqlitePool {
    sqlx::SqlitePool::connect(&format!("{}?mode=ro", db_url(dir)))
        .await
        .unwrap()
}

async fn count(pool: &sqlx::SqlitePool, sql: &str) -> i64 {
    sqlx::query_scalar::<_, i64>(sql)
        .fetch_one(pool)
        .await
        .unwrap_or(0)
}

fn is_alert(value: &Value, rule: &str, purpose: &str) -> bool {
    value["alert"]["rule"] == json!(format!("monitor:watch/{rule}")) && value["purpose"] == purpose
}

#[tokio::test(flavor = "multi_thread")]
async fn alerts_reach_the_webhook_fold_in_the_cooldown_and_escalate() {
    let Some(node) = anvil_or_skip("alerts_reach_the_webhook_fold_in_the_cooldown_and_escalate")
    else {
        return;
    };
    let dir = temp_dir("monitor-alerts");
    bootstrap(&dir);
    let (oncall, pager) = (Inbox::default(), Inbox::default());
    let config = service_config(
        &dir,
        &oncall.serve(),
        &pager.serve(),
        "response_times = { critical = \"2s\" }",
    );
    let start = node.block_number().unwrap() + 1;
    let monitors = monitor_file(&dir, &node, 1, start);
    let port = free_port();
    let mut processes = Processes::default();
    processes.push(monitor_run(&dir, &config, &monitors, port, "monitor.log"));
    let client = reqwest::Client::new();
    wait_ready(&client, &format!("http://127.0.0.1:{port}")).await;

    // Critical: from the confirming block to the webhook, measured five times.
    let mut latencies = Vec::new();
    for i in 0..5u8 {
        let hash = call(&node, &format!("0xdeadbeef{:064x}", i));
        mine(&node, 1);
        let confirmed = Instant::now();
        let (arrived, body) = oncall.wait("a critical alert", |v| {
            is_alert(v, "poke", "initial") && v["alert"]["detail"]["tx_hash"] == json!(hash)
        });
        assert_eq!(body["alert"]["severity"], "critical");
        latencies.push(arrived.saturating_duration_since(confirmed));
    }
    latencies.sort();
    eprintln!(
        "monitor webhook latency from confirmation: min {} ms, median {} ms, max {} ms",
        latencies[0].as_millis(),
        latencies[2].as_millis(),
        latencies[4].as_millis()
    );

    // High with a cooldown: three calls, one alert sent, three occurrences.
    for i in 0..3u8 {
        call(&node, &format!("0xfeedbeef{:064x}", i));
    }
    mine(&node, 1);
    oncall.wait("the first high alert", |v| is_alert(v, "nudge", "initial"));
    let pool = sqlite(&dir).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    while count(
        &pool,
        "SELECT COUNT(*) FROM monitor_events WHERE rule = 'nudge'",
    )
    .await
        < 3
    {
        assert!(
            Instant::now() < deadline,
            "the three nudges were not recorded"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let occurrences = count(
        &pool,
        "SELECT occurrences FROM alerts WHERE rule = 'monitor:watch/nudge'",
    )
    .await;
    assert_eq!(occurrences, 3);
    assert_eq!(
        count(
            &pool,
            "SELECT COUNT(*) FROM alerts WHERE rule = 'monitor:watch/nudge'"
        )
        .await,
        1
    );
    let nudges = oncall
        .all()
        .into_iter()
        .filter(|(_, v)| is_alert(v, "nudge", "initial"))
        .count();
    assert_eq!(nudges, 1, "the cooldown sends one alert");

    // Escalation: critical alerts not acknowledged within 2 s go to the pager, once each.
    pager.wait("an escalation", |v| is_alert(v, "poke", "escalation"));
    tokio::time::sleep(Duration::from_secs(1)).await;
    let escalations: Vec<Value> = pager.all().into_iter().map(|(_, v)| v).collect();
    assert!(
        escalations
            .iter()
            .all(|v| is_alert(v, "poke", "escalation"))
    );
    let mut ids: Vec<&Value> = escalations.iter().map(|v| &v["alert"]["id"]).collect();
    ids.dedup();
    assert_eq!(ids.len(), escalations.len(), "each alert escalates once");
    // Incidents: the critical alerts opened one incident (P0) and joined it.
    assert_eq!(
        count(
            &pool,
            "SELECT COUNT(*) FROM incidents WHERE priority = 'P0'"
        )
        .await,
        1
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_killed_monitor_resumes_with_every_alert_exactly_once() {
    let Some(node) = anvil_or_skip("a_killed_monitor_resumes_with_every_alert_exactly_once") else {
        return;
    };
    let (dir, _oncall, config) = one_channel_service("monitor-kill", "batch_blocks = 1");
    let start = node.block_number().unwrap() + 1;
    let mut hashes = Vec::new();
    for i in 0..300u32 {
        hashes.push(call(&node, &format!("0xdeadbeef{i:064x}")));
    }
    let monitors = monitor_file(&dir, &node, 0, start);
    let mut processes = Processes::default();
    let first = processes.push(monitor_run(
        &dir,
        &config,
        &monitors,
        free_port(),
        "first.log",
    ));
    let pool = sqlite(&dir).await;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let done = count(&pool, "SELECT COUNT(*) FROM monitor_events").await;
        if done >= 30 {
            assert!(done < 300, "processed everything before it could be killed");
            break;
        }
        assert!(Instant::now() < deadline, "the monitor made no progress");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    processes.0[first].kill().unwrap();
    processes.0[first].wait().unwrap();
    let at_kill = count(&pool, "SELECT COUNT(*) FROM monitor_events").await;
    for i in 300..350u32 {
        hashes.push(call(&node, &format!("0xdeadbeef{i:064x}")));
    }
    processes.push(monitor_run(
        &dir,
        &config,
        &monitors,
        free_port(),
        "second.log",
    ));
    let deadline = Instant::now() + Duration::from_secs(120);
    while count(&pool, "SELECT COUNT(*) FROM monitor_events").await < 350 {
        assert!(
            Instant::now() < deadline,
            "the restarted monitor did not catch up"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    eprintln!("killed after {at_kill} of 300 events; 50 blocks mined while it was down");
    assert_eq!(
        count(&pool, "SELECT COUNT(*) FROM monitor_events").await,
        350
    );
    assert_eq!(
        count(&pool, "SELECT COUNT(DISTINCT tx_hash) FROM monitor_events").await,
        350
    );
    assert_eq!(
        count(
            &pool,
            "SELECT COUNT(*) FROM alerts WHERE rule = 'monitor:watch/poke'"
        )
        .await,
        350
    );
    let stored: Vec<String> = sqlx::query_scalar("SELECT tx_hash FROM monitor_events")
        .fetch_all(&pool)
        .await
        .unwrap();
    let mut expected = hashes.clone();
    let mut stored = stored;
    expected.sort();
    stored.sort();
    assert_eq!(stored, expected, "every call exactly once");
}

#[tokio::test(flavor = "multi_thread")]
async fn reorganisations_below_the_depth_change_nothing_and_above_it_are_reported() {
    let Some(node) =
        anvil_or_skip("reorganisations_below_the_depth_change_nothing_and_above_it_are_reported")
    else {
        return;
    };
    let (dir, oncall, config) = one_channel_service("monitor-reorg", "");
    let start = node.block_number().unwrap() + 1;
    let monitors = monitor_file(&dir, &node, 3, start);
    let mut processes = Processes::default();
    processes.push(monitor_run(
        &dir,
        &config,
        &monitors,
        free_port(),
        "monitor.log",
    ));
    let pool = sqlite(&dir).await;

    // Below the depth: a call mined, then undone before three confirmations.
    let snapshot = node.rpc("evm_snapshot", json!([])).unwrap();
    let undone = call(&node, &format!("0xdeadbeef{:064x}", 1));
    mine(&node, 1);
    node.rpc("evm_revert", json!([snapshot])).unwrap();
    let kept = call(&node, &format!("0xdeadbeef{:064x}", 2));
    mine(&node, 4);
    oncall.wait("the call that stayed", |v| {
        is_alert(v, "poke", "initial") && v["alert"]["detail"]["tx_hash"] == json!(kept)
    });
    let events: Vec<String> = sqlx::query_scalar("SELECT tx_hash FROM monitor_events")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(events, vec![kept.clone()]);
    assert_ne!(undone, kept);

    // Above the depth: blocks processed, then replaced by another fork.
    let snapshot = node.rpc("evm_snapshot", json!([])).unwrap();
    let fork_point = node.block_number().unwrap();
    call(&node, &format!("0xdeadbeef{:064x}", 3));
    mine(&node, 8);
    let deadline = Instant::now() + Duration::from_secs(30);
    while count(&pool, "SELECT next_block FROM monitor_checkpoints").await < fork_point as i64 + 5 {
        assert!(
            Instant::now() < deadline,
            "the monitor did not process the first fork"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    node.rpc("evm_revert", json!([snapshot])).unwrap();
    // The other fork: a different first block, then more blocks than before.
    call(&node, &format!("0xfeedbeef{:064x}", 9));
    mine(&node, 12);
    let (_, reorg) = oncall.wait("the reorganisation", |v| {
        v["alert"]["rule"] == json!("monitor:watch/chain-reorg")
    });
    let summary = reorg["alert"]["detail"]["summary"].as_str().unwrap();
    assert!(summary.contains("deeper than 3 confirmations"), "{summary}");
    assert_eq!(
        count(
            &pool,
            "SELECT COUNT(*) FROM monitor_events WHERE rule = 'chain-reorg'"
        )
        .await,
        1
    );
}

// ---------------------------------------------------------------------------------------
// A monitor suggested from the analysis of fixtures, loaded as written, against the
// deployed fixtures.

/// The compiled fixtures of `monitor suggest` (`crates/monitor/tests/fixtures/build.sh`).
fn suggest_artifact(name: &str) -> devnet::Artifact {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../monitor/tests/fixtures/suggest/Suggest.json");
    devnet::load_artifact(&path, name).unwrap()
}

fn suggest_source(file: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../monitor/tests/fixtures/suggest")
        .join(file)
        .to_string_lossy()
        .into_owned()
}

/// Calldata of `signature` with address arguments.
fn with_addresses(signature: &str, args: &[Address]) -> Vec<u8> {
    let mut data = keccak256(signature.as_bytes())[..4].to_vec();
    for arg in args {
        data.extend_from_slice(arg.into_word().as_slice());
    }
    data
}

/// `web3audit monitor suggest SOURCE --contract NAME --address ADDRESS` for the node; the
/// file it wrote.
fn suggest_for(dir: &Path, node: &Anvil, source: &str, contract: &str, address: Address) -> String {
    let out = dir.join(format!("{contract}.toml"));
    let output = bin()
        .current_dir(dir)
        .args([
            "monitor",
            "suggest",
            &suggest_source(source),
            "--contract",
            contract,
        ])
        .args(["--address", &format!("{address:#x}")])
        .args(["--chain-id", "31337", "--rpc", node.url()])
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    std::fs::read_to_string(&out).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_suggested_monitor_catches_an_ownership_takeover_and_an_upgrade() {
    let Some(node) =
        anvil_or_skip("a_suggested_monitor_catches_an_ownership_takeover_and_an_upgrade")
    else {
        return;
    };
    let (dir, oncall, config) = one_channel_service("monitor-suggested", "");
    let [owner, attacker, user] = [0, 1, 2].map(|i| node.accounts()[i]);
    let vault = node
        .deploy(owner, &suggest_artifact("Vault").bytecode)
        .unwrap();
    let first = node
        .deploy(owner, &suggest_artifact("UUPSCounter").bytecode)
        .unwrap();
    let second = node
        .deploy(owner, &suggest_artifact("UUPSCounter").bytecode)
        .unwrap();
    let mut init = suggest_artifact("AdminProxy").bytecode;
    init.extend_from_slice(first.into_word().as_slice());
    init.extend_from_slice(owner.into_word().as_slice());
    let proxy = node.deploy(owner, &init).unwrap();
    // Deployed and confirmed before the monitors start: their first block comes after.
    mine(&node, 3);

    // The suggestions, as the command writes them, in one file: nothing edited.
    let text = [
        suggest_for(&dir, &node, "OwnableVault.sol", "Vault", vault),
        suggest_for(&dir, &node, "Upgradeable.sol", "AdminProxy", proxy),
    ]
    .join("\n");
    let monitors = dir.join("monitors.toml");
    std::fs::write(&monitors, &text).unwrap();
    let mut processes = Processes::default();
    processes.push(monitor_run(
        &dir,
        &config,
        &monitors,
        free_port(),
        "monitor.log",
    ));
    // Both monitors start at the confirmed head of their first start.
    let pool = sqlite(&dir).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    while count(&pool, "SELECT COUNT(*) FROM monitor_checkpoints").await < 2 {
        assert!(Instant::now() < deadline, "the monitors did not start");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // Benign traffic: a deposit, and a call through the proxy.
    node.send(
        user,
        vault,
        &with_addresses("deposit()", &[]),
        U256::from(10u64).pow(U256::from(18)),
    )
    .unwrap();
    node.send(user, proxy, &with_addresses("increment()", &[]), U256::ZERO)
        .unwrap();
    // The takeover: the owner's key moves ownership to the attacker, who raises the fee.
    node.send(
        owner,
        vault,
        &with_addresses("transferOwnership(address)", &[attacker]),
        U256::ZERO,
    )
    .unwrap();
    let mut set_fee = with_addresses("setFee(uint256)", &[]);
    set_fee.extend_from_slice(&U256::from(500u64).to_be_bytes::<32>());
    node.send(attacker, vault, &set_fee, U256::ZERO).unwrap();
    // The upgrade: the proxy admin points the proxy at another implementation.
    node.send(
        owner,
        proxy,
        &with_addresses("upgradeTo(address)", &[second]),
        U256::ZERO,
    )
    .unwrap();
    // The default confirmation depth of a suggested monitor is 2.
    mine(&node, 3);

    let rule = |v: &Value| v["alert"]["rule"].as_str().unwrap_or_default().to_string();
    let (_, takeover) = oncall.wait("the ownership takeover", |v| {
        rule(v) == "monitor:Vault/event-ownership-transferred"
    });
    assert_eq!(
        takeover["alert"]["severity"],
        json!("critical"),
        "{takeover}"
    );
    oncall.wait("the upgrade", |v| {
        rule(v) == "monitor:AdminProxy/event-upgraded"
    });
    let head = node.block_number().unwrap() as i64;
    let deadline = Instant::now() + Duration::from_secs(30);
    while count(&pool, "SELECT MIN(next_block) FROM monitor_checkpoints").await < head - 1 {
        assert!(Instant::now() < deadline, "the monitors did not catch up");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut alerted: Vec<String> = sqlx::query_scalar("SELECT rule FROM alerts")
        .fetch_all(&pool)
        .await
        .unwrap();
    alerted.sort();
    assert_eq!(
        alerted,
        [
            "monitor:AdminProxy/event-upgraded",
            "monitor:AdminProxy/slot-eip1967-implementation",
            "monitor:Vault/call-set-fee",
            "monitor:Vault/event-ownership-transferred",
        ],
        "the takeover and the upgrade, and nothing of the benign calls:\n{text}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_alert_recorded_but_not_sent_before_a_kill_is_sent_after_the_restart() {
    let Some(node) =
        anvil_or_skip("an_alert_recorded_but_not_sent_before_a_kill_is_sent_after_the_restart")
    else {
        return;
    };
    let (dir, oncall, config) =
        one_channel_service("monitor-unsent", r#"resend_unsent_after = "1s""#);
    // The receiver hangs: the first delivery never ends, and the process is killed in it.
    oncall.1.store(true, Ordering::SeqCst);
    let start = node.block_number().unwrap() + 1;
    let monitors = monitor_file(&dir, &node, 0, start);
    let mut processes = Processes::default();
    let first = processes.push(monitor_run(
        &dir,
        &config,
        &monitors,
        free_port(),
        "first.log",
    ));
    let pool = sqlite(&dir).await;
    let poke = call(&node, &format!("0xdeadbeef{:064x}", 1));
    let deadline = Instant::now() + Duration::from_secs(60);
    while oncall.2.load(Ordering::SeqCst) == 0 {
        assert!(Instant::now() < deadline, "the alert was not sent");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    processes.0[first].kill().unwrap();
    processes.0[first].wait().unwrap();
    let alerts = "SELECT COUNT(*) FROM alerts WHERE rule = 'monitor:watch/poke'";
    assert_eq!(count(&pool, alerts).await, 1, "the alert was recorded");
    assert_eq!(
        count(&pool, "SELECT COUNT(*) FROM alert_notifications").await,
        0,
        "and never sent"
    );

    oncall.1.store(false, Ordering::SeqCst);
    processes.push(monitor_run(
        &dir,
        &config,
        &monitors,
        free_port(),
        "second.log",
    ));
    let (_, sent) = oncall.wait("the alert after the restart", |v| {
        is_alert(v, "poke", "initial")
    });
    assert_eq!(sent["alert"]["detail"]["tx_hash"], json!(poke));
    // One more refresh or two: it is not sent again, and nothing else was alerted.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(oncall.all().len(), 1, "{:?}", oncall.all());
    assert_eq!(count(&pool, alerts).await, 1);
    assert_eq!(
        count(
            &pool,
            "SELECT COUNT(*) FROM alert_notifications WHERE status = 'sent'"
        )
        .await,
        1
    );
}
