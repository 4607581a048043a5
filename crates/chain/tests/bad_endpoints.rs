//! The JSON-RPC client against endpoints that misbehave: a small HTTP server in the test
//! answers each request as the test says. Every case must end fast with its own error.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use alloy_primitives::Address;
use chain::{ChainError, ClientConfig, RpcClient, StateReader};
use serde_json::{Value, json};

/// What the server does with one request.
enum Reply {
    /// HTTP 200 with this JSON body.
    Json(Value),
    /// Any status, headers and body.
    Raw {
        status: u16,
        headers: Vec<(&'static str, String)>,
        body: Vec<u8>,
    },
    /// Read the request, answer nothing, hold the connection.
    Hang,
}

fn result(request: &Value, value: Value) -> Reply {
    Reply::Json(json!({"jsonrpc": "2.0", "id": request["id"], "result": value}))
}

/// The answer of a healthy node on chain 31337.
fn healthy(request: &Value) -> Reply {
    match request["method"].as_str() {
        Some("eth_chainId") => result(request, json!("0x7a69")),
        Some("eth_blockNumber") => result(request, json!("0x10")),
        Some("eth_getCode") => result(request, json!("0x6000")),
        _ => result(request, json!("0x")),
    }
}

struct Server {
    url: String,
    requests: Arc<AtomicUsize>,
}

impl Server {
    fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

/// Serves `handler` (given the request's number, from 0, and its JSON body) on a free port.
fn serve(handler: impl Fn(usize, &Value) -> Reply + Send + Sync + 'static) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let requests = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&requests);
    let handler = Arc::new(handler);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { break };
            let handler = Arc::clone(&handler);
            let counter = Arc::clone(&counter);
            std::thread::spawn(move || {
                let _ = connection(stream, &*handler, &counter);
            });
        }
    });
    Server { url, requests }
}

fn connection(
    stream: TcpStream,
    handler: &dyn Fn(usize, &Value) -> Reply,
    counter: &AtomicUsize,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut stream = stream;
    loop {
        let mut length = 0usize;
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        loop {
            line.clear();
            reader.read_line(&mut line)?;
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
        reader.read_exact(&mut body)?;
        let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let index = counter.fetch_add(1, Ordering::SeqCst);
        let (status, headers, body) = match handler(index, &request) {
            Reply::Json(value) => (200, Vec::new(), value.to_string().into_bytes()),
            Reply::Raw {
                status,
                headers,
                body,
            } => (status, headers, body),
            Reply::Hang => {
                std::thread::sleep(Duration::from_secs(20));
                return Ok(());
            }
        };
        let mut head = format!(
            "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\n",
            body.len()
        );
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes())?;
        stream.write_all(&body)?;
        stream.flush()?;
    }
}

/// A client with short limits, so that every failure is quick.
fn config(urls: &[&str]) -> ClientConfig {
    let mut config = ClientConfig::new(urls.iter().copied());
    config.expected_chain_id = Some(31337);
    config.timeout = Duration::from_millis(400);
    config.retries = 1;
    config.backoff_base = Duration::from_millis(10);
    config
}

fn client(urls: &[&str]) -> RpcClient {
    RpcClient::new(config(urls)).unwrap()
}

fn code_error(rpc: &RpcClient) -> ChainError {
    rpc.code(Address::repeat_byte(1), 1).unwrap_err()
}

#[test]
fn wrong_chain_id_names_the_endpoint_and_both_ids() {
    let server = serve(|_, request| match request["method"].as_str() {
        Some("eth_chainId") => result(request, json!("0x1")),
        _ => healthy(request),
    });
    let rpc = client(&[&server.url]);
    match code_error(&rpc) {
        ChainError::WrongChain {
            endpoint,
            expected,
            actual,
        } => assert_eq!((endpoint, expected, actual), (server.url.clone(), 31337, 1)),
        other => panic!("expected WrongChain, got {other}"),
    }
    // The code was never asked for.
    assert_eq!(server.requests(), 1);
    // Without a configured chain id, the first endpoint's is the one the others must serve:
    // failing over to an endpoint of another chain is refused.
    let first = serve(|_, request| match request["method"].as_str() {
        Some("eth_chainId") => result(request, json!("0x1")),
        _ => Reply::Raw {
            status: 503,
            headers: Vec::new(),
            body: Vec::new(),
        },
    });
    let other = serve(|_, request| healthy(request));
    let mut unpinned = config(&[&first.url, &other.url]);
    unpinned.expected_chain_id = None;
    let rpc = RpcClient::new(unpinned).unwrap();
    assert_eq!(rpc.chain_id().unwrap(), 1);
    match code_error(&rpc) {
        ChainError::WrongChain {
            endpoint,
            expected,
            actual,
        } => assert_eq!((endpoint, expected, actual), (other.url.clone(), 1, 31337)),
        other => panic!("expected WrongChain, got {other}"),
    }
}

#[test]
fn malformed_answers_name_the_endpoint_and_method() {
    let server = serve(|_, request| match request["method"].as_str() {
        Some("eth_getCode") => Reply::Raw {
            status: 200,
            headers: Vec::new(),
            body: b"{\"jsonrpc\": \"2.0\", \"result\": ".to_vec(),
        },
        Some("eth_getBalance") => result(request, json!(12)),
        Some("eth_getTransactionCount") => {
            Reply::Json(json!({"jsonrpc": "2.0", "id": 999_999, "result": "0x1"}))
        }
        Some("eth_getStorageAt") => Reply::Json(json!({"jsonrpc": "2.0", "id": request["id"]})),
        _ => healthy(request),
    });
    let rpc = client(&[&server.url]);
    let error = code_error(&rpc);
    assert!(
        matches!(&error, ChainError::Malformed { endpoint, method, message }
            if *endpoint == server.url && method == "eth_getCode" && message.contains("not JSON")),
        "{error}"
    );
    let error = rpc.balance(Address::ZERO, 1).unwrap_err();
    assert!(
        matches!(&error, ChainError::Malformed { method, message, .. }
            if method == "eth_getBalance" && message.contains("expected a hex quantity")),
        "{error}"
    );
    let error = rpc.nonce(Address::ZERO, 1).unwrap_err();
    assert!(
        error.to_string().contains("does not match request id"),
        "{error}"
    );
    let error = rpc
        .storage(Address::ZERO, Default::default(), 1)
        .unwrap_err();
    assert!(
        error.to_string().contains("neither result nor error"),
        "{error}"
    );
}

#[test]
fn a_json_rpc_error_is_the_nodes_answer() {
    let server = serve(|_, request| match request["method"].as_str() {
        Some("eth_call") => Reply::Json(json!({
            "jsonrpc": "2.0", "id": request["id"],
            "error": {"code": 3, "message": "execution reverted"}
        })),
        _ => healthy(request),
    });
    let rpc = client(&[&server.url]);
    let error = rpc.call(Address::ZERO, &[1, 2, 3, 4], 1).unwrap_err();
    match &error {
        ChainError::Rpc {
            endpoint,
            method,
            message,
        } => {
            assert_eq!(
                (endpoint.as_str(), method.as_str()),
                (server.url.as_str(), "eth_call")
            );
            assert_eq!(message, "execution reverted (code 3)");
        }
        other => panic!("expected Rpc, got {other}"),
    }
    // Not retried: the chain id check and the one call.
    assert_eq!(server.requests(), 2);
}

#[test]
fn a_hanging_endpoint_times_out() {
    let server = serve(|_, _| Reply::Hang);
    let rpc = client(&[&server.url]);
    let start = Instant::now();
    let error = rpc.chain_id().unwrap_err();
    let elapsed = start.elapsed();
    assert!(
        matches!(&error, ChainError::Transport { message, .. } if message.contains("no answer within 400 ms")),
        "{error}"
    );
    // One attempt and one retry of 400 ms each, and a short backoff.
    assert_eq!(server.requests(), 2);
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
}

#[test]
fn a_huge_body_is_refused_at_the_limit() {
    let server = serve(|_, request| match request["method"].as_str() {
        Some("eth_getCode") => Reply::Raw {
            status: 200,
            headers: Vec::new(),
            body: vec![b' '; 4 * 1024 * 1024],
        },
        _ => healthy(request),
    });
    let mut limited = config(&[&server.url]);
    limited.max_response_bytes = 64 * 1024;
    let rpc = RpcClient::new(limited).unwrap();
    match code_error(&rpc) {
        ChainError::ResponseTooLarge {
            endpoint,
            method,
            limit,
        } => assert_eq!(
            (endpoint, method.as_str(), limit),
            (server.url.clone(), "eth_getCode", 64 * 1024)
        ),
        other => panic!("expected ResponseTooLarge, got {other}"),
    }
}

#[test]
fn too_many_requests_then_success_is_retried() {
    let server = serve(|index, request| {
        if index == 0 {
            Reply::Raw {
                status: 429,
                headers: vec![("retry-after", "0".into())],
                body: b"slow down".to_vec(),
            }
        } else {
            healthy(request)
        }
    });
    let rpc = client(&[&server.url]);
    assert_eq!(rpc.chain_id().unwrap(), 31337);
    assert_eq!(server.requests(), 2);
    assert_eq!(rpc.requests_sent(), 2);

    // The JSON-RPC form of the same (EIP-1474 "limit exceeded", code -32005).
    let limited = serve(|index, request| {
        if index == 0 {
            Reply::Json(json!({
                "jsonrpc": "2.0", "id": request["id"],
                "error": {"code": -32005, "message": "request rate exceeded"}
            }))
        } else {
            healthy(request)
        }
    });
    let rpc = client(&[&limited.url]);
    assert_eq!(rpc.chain_id().unwrap(), 31337);
    assert_eq!(limited.requests(), 2);

    // A server error on every attempt: retried, then reported with its status.
    let failing = serve(|_, _| Reply::Raw {
        status: 503,
        headers: Vec::new(),
        body: Vec::new(),
    });
    let rpc = client(&[&failing.url]);
    let error = rpc.chain_id().unwrap_err();
    assert!(
        error.to_string().ends_with("eth_chainId: HTTP 503"),
        "{error}"
    );
    assert_eq!(failing.requests(), 2);
}

#[test]
fn a_dead_endpoint_fails_over_to_the_next() {
    let dead = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };
    let good = serve(|_, request| healthy(request));
    let rpc = client(&[&dead, &good.url]);
    assert_eq!(rpc.block_number().unwrap(), 16);
    // Two attempts at the dead one, the chain id check and the call at the good one.
    assert_eq!(rpc.requests_sent(), 4);
    // The good endpoint is now the first tried.
    assert_eq!(rpc.code(Address::ZERO, 1).unwrap().as_ref(), &[0x60, 0x00]);
    assert_eq!(rpc.requests_sent(), 5);

    // Both down: one error listing both.
    let rpc = client(&[&dead, &dead.replace("http://", "http://user:pw@")]);
    match rpc.chain_id().unwrap_err() {
        ChainError::AllEndpointsFailed(errors) => {
            assert_eq!(errors.len(), 2);
            assert!(
                errors
                    .iter()
                    .all(|e| matches!(e, ChainError::Transport { .. }))
            );
        }
        other => panic!("expected AllEndpointsFailed, got {other}"),
    }
}

#[test]
fn the_budget_is_enforced() {
    let server = serve(|_, request| healthy(request));
    let mut limited = config(&[&server.url]);
    limited.budget = 3;
    let rpc = RpcClient::new(limited).unwrap();
    rpc.chain_id().unwrap();
    rpc.block_number().unwrap();
    rpc.code(Address::ZERO, 1).unwrap();
    match rpc.code(Address::ZERO, 1).unwrap_err() {
        ChainError::BudgetSpent { budget, method } => {
            assert_eq!((budget, method.as_str()), (3, "eth_getCode"));
        }
        other => panic!("expected BudgetSpent, got {other}"),
    }
    assert_eq!(server.requests(), 3);
    assert_eq!(
        rpc.code(Address::ZERO, 1).unwrap_err().to_string(),
        "request budget of 3 requests spent: eth_getCode not sent"
    );
}

#[test]
fn credentials_never_appear_in_errors() {
    let server = serve(|_, request| match request["method"].as_str() {
        Some("eth_chainId") => result(request, json!("0x1")),
        _ => healthy(request),
    });
    let dead = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().to_string()
    };
    let secrets = [
        "hunter2",
        "9aa3d95b3bc440fa88ea12eaa4456161",
        "TOPSECRETKEY",
    ];
    let lying = server.url.replace("http://", "http://alice:hunter2@")
        + "/v3/9aa3d95b3bc440fa88ea12eaa4456161?apikey=TOPSECRETKEY";
    let unreachable = format!("http://alice:hunter2@{dead}/v3/9aa3d95b3bc440fa88ea12eaa4456161");
    let rpc = client(&[&unreachable, &lying]);
    let texts = [
        code_error(&rpc).to_string(),
        format!("{:?}", code_error(&rpc)),
        rpc.to_string(),
        format!("{rpc:?}"),
        format!("{:?}", rpc.config()),
        rpc.endpoints().join(" "),
    ];
    for text in &texts {
        for secret in secrets {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
    }
    assert!(
        texts[0].contains("wrong chain: expected chain id 31337, the endpoint serves 1"),
        "{}",
        texts[0]
    );
    assert!(texts[0].contains("http://***@127.0.0.1:"), "{}", texts[0]);
    eprintln!("{}", texts[0]);
}

/// A node answering batches: each call by its method, in reverse order (answers of a batch
/// may come in any order), with a JSON-RPC error for `eth_call`.
fn batch_node(request: &Value) -> Reply {
    match request {
        Value::Array(calls) => {
            let mut answers: Vec<Value> = calls
                .iter()
                .map(|call| match call["method"].as_str() {
                    Some("eth_call") => json!({"jsonrpc": "2.0", "id": call["id"],
                        "error": {"code": 3, "message": "execution reverted"}}),
                    Some("eth_blockNumber") => {
                        json!({"jsonrpc": "2.0", "id": call["id"], "result": "0x10"})
                    }
                    _ => json!({"jsonrpc": "2.0", "id": call["id"], "result": "0x01"}),
                })
                .collect();
            answers.reverse();
            Reply::Json(Value::Array(answers))
        }
        single => healthy(single),
    }
}

#[test]
fn a_batch_answers_each_call_in_order_with_its_own_errors() {
    let server = serve(|_, request| batch_node(request));
    let rpc = client(&[&server.url]);
    let answers = rpc
        .batch(&[
            ("eth_blockNumber", json!([])),
            (
                "eth_call",
                json!([{"to": "0x0000000000000000000000000000000000000001"}, "latest"]),
            ),
            (
                "eth_getBalance",
                json!(["0x0000000000000000000000000000000000000001", "latest"]),
            ),
        ])
        .unwrap();
    assert_eq!(answers.len(), 3);
    assert_eq!(answers[0].as_ref().unwrap(), &json!("0x10"));
    match &answers[1] {
        Err(ChainError::Rpc {
            method, message, ..
        }) => {
            assert_eq!(method, "eth_call");
            assert!(message.contains("execution reverted"), "{message}");
        }
        other => panic!("expected the node's error for eth_call, got {other:?}"),
    }
    assert_eq!(answers[2].as_ref().unwrap(), &json!("0x01"));
    // The chain id check, then one HTTP request for the whole batch.
    assert_eq!(server.requests(), 2);
    assert!(rpc.batch(&[]).unwrap().is_empty());
}

#[test]
fn a_batch_with_a_missing_answer_fails_over_to_the_next_endpoint() {
    let broken = serve(|_, request| match request {
        Value::Array(calls) => {
            Reply::Json(json!([{"jsonrpc": "2.0", "id": calls[0]["id"], "result": "0x1"}]))
        }
        single => healthy(single),
    });
    let good = serve(|_, request| batch_node(request));
    let rpc = client(&[&broken.url, &good.url]);
    let answers = rpc
        .batch(&[
            ("eth_blockNumber", json!([])),
            ("eth_getBalance", json!([])),
        ])
        .unwrap();
    assert_eq!(answers.len(), 2);
    assert!(broken.requests() >= 2 && good.requests() >= 2);

    let alone = client(&[&broken.url]);
    let error = alone
        .batch(&[
            ("eth_blockNumber", json!([])),
            ("eth_getBalance", json!([])),
        ])
        .unwrap_err();
    assert!(
        error.to_string().contains("no answer to request"),
        "{error}"
    );
}
