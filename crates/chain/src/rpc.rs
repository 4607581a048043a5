//! A blocking HTTP JSON-RPC client with failover, retries, a request budget and limits.

use std::fmt;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use alloy_primitives::{Address, B256, Bytes, U256};
use serde_json::{Value, json};

use crate::config::ClientConfig;
use crate::redact::{redact_url, scrub};
use crate::{BlockHeader, ChainError, StateReader};

/// A [`StateReader`] over HTTP JSON-RPC.
///
/// Endpoints are tried in order, starting with the last one that answered: a transport
/// error, a timeout, HTTP 429 or 5xx is retried at the same endpoint with exponential
/// backoff and jitter, then the next endpoint is tried; an answer that is not JSON-RPC, too
/// large, or another HTTP error moves to the next endpoint at once. A JSON-RPC error is the
/// node's answer and is returned as it is, except a rate-limit error (code -32005), which is
/// treated like HTTP 429. Each endpoint's chain id is checked on its first
/// use. Every HTTP request, retries included, spends one unit of the budget.
pub struct RpcClient {
    config: ClientConfig,
    /// Redacted form of each URL, for messages.
    names: Vec<String>,
    agent: ureq::Agent,
    spent: AtomicU64,
    preferred: AtomicUsize,
    next_id: AtomicU64,
    chain: Mutex<ChainCheck>,
}

struct ChainCheck {
    /// The configured chain id, or the first one an endpoint served.
    known: Option<u64>,
    verified: Vec<bool>,
}

/// How one endpoint failed a request.
enum Failure {
    /// This endpoint is of no use for this request: try the next one.
    Endpoint(ChainError),
    /// No endpoint would do better (a JSON-RPC error, a wrong chain, a budget spent).
    Final(ChainError),
}

/// The JSON-RPC error code of EIP-1474 for a request over the node's rate limit.
const LIMIT_EXCEEDED: i64 = -32005;

/// One HTTP exchange that did not give a result.
enum AttemptError {
    /// Worth trying again at the same endpoint; `wait` is a server's `Retry-After`.
    Retry {
        error: ChainError,
        wait: Option<Duration>,
    },
    /// Not worth trying again here.
    Endpoint(ChainError),
    /// Not worth trying anywhere.
    Final(ChainError),
}

fn retry(error: ChainError, wait: Option<Duration>) -> AttemptError {
    AttemptError::Retry { error, wait }
}

fn give_up(error: ChainError) -> AttemptError {
    AttemptError::Endpoint(error)
}

impl RpcClient {
    /// A client for `config`; an error when it has no endpoint or an endpoint that is not an
    /// `http://` or `https://` URL.
    pub fn new(config: ClientConfig) -> Result<Self, ChainError> {
        if config.urls.is_empty() {
            return Err(ChainError::Other("no RPC endpoint configured".into()));
        }
        for url in &config.urls {
            let lower = url.to_ascii_lowercase();
            if !(lower.starts_with("http://") || lower.starts_with("https://")) {
                return Err(ChainError::Other(format!(
                    "{}: not an http:// or https:// URL",
                    redact_url(url)
                )));
            }
        }
        if config.budget == 0 {
            return Err(ChainError::Other("the request budget is 0".into()));
        }
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(config.timeout))
            .http_status_as_error(false)
            .max_redirects(0)
            .user_agent(concat!("web3audit/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        Ok(Self {
            names: config.urls.iter().map(|url| redact_url(url)).collect(),
            chain: Mutex::new(ChainCheck {
                known: config.expected_chain_id,
                verified: vec![false; config.urls.len()],
            }),
            agent,
            spent: AtomicU64::new(0),
            preferred: AtomicUsize::new(0),
            next_id: AtomicU64::new(1),
            config,
        })
    }

    /// The configuration this client was made with.
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// The endpoints, credentials removed, in the configured order.
    pub fn endpoints(&self) -> &[String] {
        &self.names
    }

    /// HTTP requests sent so far (retries included).
    pub fn requests_sent(&self) -> u64 {
        self.spent.load(Ordering::Relaxed).min(self.config.budget)
    }

    /// One JSON-RPC call with the client's failover and limits; its `result`.
    pub fn request(&self, method: &str, params: Value) -> Result<Value, ChainError> {
        self.request_with(method, &params, |value| Ok(value.clone()))
    }

    /// One call whose result is converted by `parse`; a conversion error is a malformed
    /// answer of the endpoint that gave it (and the next endpoint is tried).
    fn request_with<T>(
        &self,
        method: &str,
        params: &Value,
        parse: impl Fn(&Value) -> Result<T, String>,
    ) -> Result<T, ChainError> {
        let count = self.names.len();
        let start = self.preferred.load(Ordering::Relaxed) % count;
        let mut failures = Vec::new();
        for step in 0..count {
            let index = (start + step) % count;
            match self.request_at(index, method, params, &parse) {
                Ok(value) => {
                    self.preferred.store(index, Ordering::Relaxed);
                    return Ok(value);
                }
                Err(Failure::Final(error)) => return Err(error),
                Err(Failure::Endpoint(error)) => failures.push(error),
            }
        }
        if failures.len() == 1 {
            Err(failures.remove(0))
        } else {
            Err(ChainError::AllEndpointsFailed(failures))
        }
    }

    fn request_at<T>(
        &self,
        index: usize,
        method: &str,
        params: &Value,
        parse: &impl Fn(&Value) -> Result<T, String>,
    ) -> Result<T, Failure> {
        let checking_chain = method == "eth_chainId";
        if !checking_chain && !self.is_verified(index) {
            let result = self.exchange(index, "eth_chainId", &json!([]))?;
            let actual = parse_quantity(&result).map_err(|message| {
                Failure::Endpoint(self.malformed(index, "eth_chainId", message))
            })?;
            self.check_chain(index, actual)?;
        }
        let result = self.exchange(index, method, params)?;
        let value = parse(&result)
            .map_err(|message| Failure::Endpoint(self.malformed(index, method, message)))?;
        if checking_chain {
            let actual = parse_quantity(&result)
                .map_err(|message| Failure::Endpoint(self.malformed(index, method, message)))?;
            self.check_chain(index, actual)?;
        }
        Ok(value)
    }

    fn is_verified(&self, index: usize) -> bool {
        self.chain
            .lock()
            .map(|check| check.verified[index])
            .unwrap_or(false)
    }

    /// Records the chain id `index` serves; a wrong chain is final.
    fn check_chain(&self, index: usize, actual: u64) -> Result<(), Failure> {
        let mut check = self
            .chain
            .lock()
            .map_err(|_| Failure::Final(ChainError::Other("chain check poisoned".into())))?;
        match check.known {
            Some(expected) if expected != actual => Err(Failure::Final(ChainError::WrongChain {
                endpoint: self.names[index].clone(),
                expected,
                actual,
            })),
            _ => {
                check.known = Some(actual);
                check.verified[index] = true;
                Ok(())
            }
        }
    }

    /// One call at one endpoint, with retries; the `result` member of the answer.
    fn exchange(&self, index: usize, method: &str, params: &Value) -> Result<Value, Failure> {
        self.with_retries(method, || self.attempt(index, method, params))
    }

    /// One HTTP exchange made by `attempt`, retried with backoff as configured.
    fn with_retries<T>(
        &self,
        label: &str,
        attempt_once: impl Fn() -> Result<T, AttemptError>,
    ) -> Result<T, Failure> {
        let mut attempt = 0u32;
        loop {
            self.spend(label)?;
            match attempt_once() {
                Ok(answer) => return Ok(answer),
                Err(AttemptError::Final(error)) => return Err(Failure::Final(error)),
                Err(AttemptError::Endpoint(error)) => return Err(Failure::Endpoint(error)),
                Err(AttemptError::Retry { error, wait }) => {
                    if attempt >= self.config.retries {
                        return Err(Failure::Endpoint(error));
                    }
                    std::thread::sleep(self.backoff(attempt, wait));
                    attempt += 1;
                }
            }
        }
    }

    fn spend(&self, method: &str) -> Result<(), Failure> {
        let budget = self.config.budget;
        self.spent
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |spent| {
                (spent < budget).then_some(spent + 1)
            })
            .map(drop)
            .map_err(|_| {
                Failure::Final(ChainError::BudgetSpent {
                    budget,
                    method: method.to_string(),
                })
            })
    }

    /// Exponential backoff from the configured base, capped, with up to 50% jitter; a
    /// server's `Retry-After` is honoured up to the same cap.
    fn backoff(&self, attempt: u32, server_wait: Option<Duration>) -> Duration {
        let base = self.config.backoff_base.as_millis() as u64;
        let cap = ClientConfig::MAX_BACKOFF.as_millis() as u64;
        let exponential = base.saturating_mul(1u64 << attempt.min(20)).min(cap);
        let jitter = fastrand::u64(0..=exponential / 2);
        let mut wait = Duration::from_millis(exponential + jitter);
        if let Some(server) = server_wait {
            wait = wait.max(server.min(ClientConfig::MAX_BACKOFF));
        }
        wait
    }

    /// One HTTP exchange of one call.
    fn attempt(&self, index: usize, method: &str, params: &Value) -> Result<Value, AttemptError> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let body = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        let answer = self.post(index, method, &body)?;
        self.answer(index, method, id, &answer)
    }

    /// The `result` of one JSON-RPC answer object to request `id`.
    fn answer(
        &self,
        index: usize,
        method: &str,
        id: u64,
        answer: &Value,
    ) -> Result<Value, AttemptError> {
        let url = &self.config.urls[index];
        let endpoint = &self.names[index];
        let malformed = |message: String| give_up(self.malformed(index, method, message));
        let Some(object) = answer.as_object() else {
            return Err(malformed("not a JSON-RPC response object".into()));
        };
        if object.get("id") != Some(&json!(id)) {
            return Err(malformed(format!(
                "answer id {} does not match request id {id}",
                object
                    .get("id")
                    .map_or("(none)".to_string(), Value::to_string)
            )));
        }
        if let Some(error) = object.get("error") {
            let message = match (error.get("code"), error.get("message")) {
                (Some(code), Some(Value::String(text))) => format!("{text} (code {code})"),
                _ => error.to_string(),
            };
            let limited = error.get("code").and_then(Value::as_i64) == Some(LIMIT_EXCEEDED);
            let error = ChainError::Rpc {
                endpoint: endpoint.clone(),
                method: method.to_string(),
                message: scrub(&message, url),
            };
            // EIP-1474 "limit exceeded" is the node's HTTP 429: retried, then failed over.
            if limited {
                return Err(retry(error, None));
            }
            return Err(AttemptError::Final(error));
        }
        match object.get("result") {
            Some(result) => Ok(result.clone()),
            None => Err(malformed("neither result nor error".into())),
        }
    }

    /// Several calls in one JSON-RPC batch (one HTTP request), with the client's failover,
    /// retries and limits; the answer to each call in the order of `calls`. A transport
    /// failure, a malformed answer or a rate limit fails (or retries) the whole batch; a
    /// node's JSON-RPC error for one call is that call's `Err`.
    pub fn batch(
        &self,
        calls: &[(&str, Value)],
    ) -> Result<Vec<Result<Value, ChainError>>, ChainError> {
        if calls.is_empty() {
            return Ok(Vec::new());
        }
        let count = self.names.len();
        let start = self.preferred.load(Ordering::Relaxed) % count;
        let mut failures = Vec::new();
        for step in 0..count {
            let index = (start + step) % count;
            let outcome = (|| {
                if !self.is_verified(index) {
                    let result = self.exchange(index, "eth_chainId", &json!([]))?;
                    let actual = parse_quantity(&result).map_err(|message| {
                        Failure::Endpoint(self.malformed(index, "eth_chainId", message))
                    })?;
                    self.check_chain(index, actual)?;
                }
                self.with_retries("batch", || self.attempt_batch(index, calls))
            })();
            match outcome {
                Ok(answers) => {
                    self.preferred.store(index, Ordering::Relaxed);
                    return Ok(answers);
                }
                Err(Failure::Final(error)) => return Err(error),
                Err(Failure::Endpoint(error)) => failures.push(error),
            }
        }
        if failures.len() == 1 {
            Err(failures.remove(0))
        } else {
            Err(ChainError::AllEndpointsFailed(failures))
        }
    }

    /// One HTTP exchange of a batch.
    fn attempt_batch(
        &self,
        index: usize,
        calls: &[(&str, Value)],
    ) -> Result<Vec<Result<Value, ChainError>>, AttemptError> {
        let first = self
            .next_id
            .fetch_add(calls.len() as u64, Ordering::Relaxed);
        let body: Vec<Value> = calls
            .iter()
            .enumerate()
            .map(|(i, (method, params))| {
                json!({"jsonrpc": "2.0", "id": first + i as u64, "method": method, "params": params})
            })
            .collect();
        let answer = self.post(index, "batch", &Value::Array(body))?;
        let Some(items) = answer.as_array() else {
            return Err(give_up(self.malformed(
                index,
                "batch",
                "the answer to a batch is not an array".into(),
            )));
        };
        let mut by_id: std::collections::HashMap<u64, &Value> = items
            .iter()
            .filter_map(|item| Some((item.get("id")?.as_u64()?, item)))
            .collect();
        let mut results = Vec::with_capacity(calls.len());
        for (i, (method, _)) in calls.iter().enumerate() {
            let id = first + i as u64;
            let Some(item) = by_id.remove(&id) else {
                return Err(give_up(self.malformed(
                    index,
                    method,
                    format!("no answer to request {id} in the batch"),
                )));
            };
            match self.answer(index, method, id, item) {
                Ok(value) => results.push(Ok(value)),
                Err(AttemptError::Final(error)) => results.push(Err(error)),
                Err(other) => return Err(other),
            }
        }
        Ok(results)
    }

    /// One HTTP POST of `body`; the answer parsed as JSON.
    fn post(&self, index: usize, method: &str, body: &Value) -> Result<Value, AttemptError> {
        let url = &self.config.urls[index];
        let endpoint = &self.names[index];
        let transport = |message: String| ChainError::Transport {
            endpoint: endpoint.clone(),
            message: scrub(&message, url),
        };
        let mut response = match self.agent.post(url).send_json(body) {
            Ok(response) => response,
            Err(error) => {
                let message = match &error {
                    ureq::Error::Timeout(_) => format!(
                        "{method}: no answer within {} ms",
                        self.config.timeout.as_millis()
                    ),
                    other => format!("{method}: {other}"),
                };
                return Err(retry(transport(message), None));
            }
        };
        let status = response.status().as_u16();
        if status == 429 || (500..600).contains(&status) {
            let wait = response
                .headers()
                .get("retry-after")
                .and_then(|value| value.to_str().ok())
                .and_then(|text| text.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            return Err(retry(transport(format!("{method}: HTTP {status}")), wait));
        }
        let limit = self.config.max_response_bytes;
        let bytes = match response.body_mut().with_config().limit(limit).read_to_vec() {
            Ok(bytes) => bytes,
            Err(ureq::Error::BodyExceedsLimit(_)) => {
                return Err(give_up(ChainError::ResponseTooLarge {
                    endpoint: endpoint.clone(),
                    method: method.to_string(),
                    limit,
                }));
            }
            Err(ureq::Error::Timeout(_)) => {
                return Err(retry(
                    transport(format!(
                        "{method}: answer not complete within {} ms",
                        self.config.timeout.as_millis()
                    )),
                    None,
                ));
            }
            Err(error) => return Err(retry(transport(format!("{method}: {error}")), None)),
        };
        if !(200..300).contains(&status) {
            return Err(give_up(transport(format!("{method}: HTTP {status}"))));
        }
        serde_json::from_slice(&bytes)
            .map_err(|error| give_up(self.malformed(index, method, format!("not JSON ({error})"))))
    }

    fn malformed(&self, index: usize, method: &str, message: String) -> ChainError {
        ChainError::Malformed {
            endpoint: self.names[index].clone(),
            method: method.to_string(),
            message: scrub(&message, &self.config.urls[index]),
        }
    }
}

fn block_tag(block: u64) -> String {
    format!("0x{block:x}")
}

/// A JSON-RPC quantity (`"0x1a"`) as a `u64`.
fn parse_quantity(value: &Value) -> Result<u64, String> {
    let text = value
        .as_str()
        .ok_or_else(|| format!("expected a hex quantity, got {}", short(value)))?;
    let digits = text
        .strip_prefix("0x")
        .ok_or_else(|| format!("expected a 0x-prefixed quantity, got {text:?}"))?;
    if digits.is_empty() || digits.len() > 16 {
        return Err(format!("not a 64-bit quantity: {text:?}"));
    }
    u64::from_str_radix(digits, 16).map_err(|_| format!("not a hex quantity: {text:?}"))
}

fn parse_u256(value: &Value) -> Result<U256, String> {
    let text = value
        .as_str()
        .ok_or_else(|| format!("expected a hex quantity, got {}", short(value)))?;
    let digits = text
        .strip_prefix("0x")
        .ok_or_else(|| format!("expected a 0x-prefixed quantity, got {text:?}"))?;
    if digits.is_empty() || digits.len() > 64 {
        return Err(format!("not a 256-bit quantity: {text:?}"));
    }
    U256::from_str_radix(digits, 16).map_err(|_| format!("not a hex quantity: {text:?}"))
}

fn parse_data(value: &Value) -> Result<Bytes, String> {
    let text = value
        .as_str()
        .ok_or_else(|| format!("expected hex data, got {}", short(value)))?;
    let digits = text
        .strip_prefix("0x")
        .ok_or_else(|| format!("expected 0x-prefixed data, got {}", short(value)))?;
    if digits.len() % 2 != 0 {
        return Err("odd number of hex digits".into());
    }
    let mut out = Vec::with_capacity(digits.len() / 2);
    for pair in digits.as_bytes().chunks(2) {
        let high = hex_digit(pair[0]);
        let low = hex_digit(pair[1]);
        match (high, low) {
            (Some(high), Some(low)) => out.push(high << 4 | low),
            _ => return Err("not hex data".into()),
        }
    }
    Ok(Bytes::from(out))
}

fn hex_digit(byte: u8) -> Option<u8> {
    (byte as char).to_digit(16).map(|digit| digit as u8)
}

fn parse_word(value: &Value) -> Result<B256, String> {
    let bytes = parse_data(value)?;
    if bytes.len() != 32 {
        return Err(format!(
            "expected a 32-byte word, got {} bytes",
            bytes.len()
        ));
    }
    Ok(B256::from_slice(&bytes))
}

/// A value for an error message, cut short.
fn short(value: &Value) -> String {
    let text = value.to_string();
    if text.len() > 80 {
        let cut = (0..=80)
            .rev()
            .find(|&at| text.is_char_boundary(at))
            .unwrap_or(0);
        format!("{}…", &text[..cut])
    } else {
        text
    }
}

impl StateReader for RpcClient {
    fn chain_id(&self) -> Result<u64, ChainError> {
        self.request_with("eth_chainId", &json!([]), parse_quantity)
    }

    fn block_number(&self) -> Result<u64, ChainError> {
        self.request_with("eth_blockNumber", &json!([]), parse_quantity)
    }

    fn code(&self, address: Address, block: u64) -> Result<Bytes, ChainError> {
        self.request_with(
            "eth_getCode",
            &json!([address, block_tag(block)]),
            parse_data,
        )
    }

    fn storage(&self, address: Address, slot: U256, block: u64) -> Result<B256, ChainError> {
        let slot = B256::from(slot);
        self.request_with(
            "eth_getStorageAt",
            &json!([address, slot, block_tag(block)]),
            parse_word,
        )
    }

    fn balance(&self, address: Address, block: u64) -> Result<U256, ChainError> {
        self.request_with(
            "eth_getBalance",
            &json!([address, block_tag(block)]),
            parse_u256,
        )
    }

    fn nonce(&self, address: Address, block: u64) -> Result<u64, ChainError> {
        self.request_with(
            "eth_getTransactionCount",
            &json!([address, block_tag(block)]),
            parse_quantity,
        )
    }

    fn call(&self, to: Address, data: &[u8], block: u64) -> Result<Bytes, ChainError> {
        let data = Bytes::copy_from_slice(data);
        self.request_with(
            "eth_call",
            &json!([{"to": to, "data": data}, block_tag(block)]),
            parse_data,
        )
    }

    fn header(&self, block: u64) -> Result<BlockHeader, ChainError> {
        self.request_with(
            "eth_getBlockByNumber",
            &json!([block_tag(block), false]),
            parse_header,
        )
    }
}

/// `eth_getBlockByNumber` without transactions: timestamp, base fee (absent before
/// London: zero) and gas limit. A block the node does not have answers `null`.
fn parse_header(value: &Value) -> Result<BlockHeader, String> {
    if value.is_null() {
        return Err("the node does not have this block".into());
    }
    let field = |name: &str| -> Result<u64, String> {
        parse_quantity(&value[name]).map_err(|e| format!("{name}: {e}"))
    };
    Ok(BlockHeader {
        timestamp: field("timestamp")?,
        base_fee: match value.get("baseFeePerGas") {
            None | Some(Value::Null) => 0,
            Some(_) => field("baseFeePerGas")?,
        },
        gas_limit: field("gasLimit")?,
    })
}

impl fmt::Display for RpcClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "JSON-RPC client for {}", self.names.join(", "))?;
        if let Some(chain) = self.config.expected_chain_id {
            write!(f, " (chain {chain})")?;
        }
        Ok(())
    }
}

impl fmt::Debug for RpcClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RpcClient")
            .field("config", &self.config)
            .field("requests_sent", &self.requests_sent())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_quantities_and_data() {
        assert_eq!(parse_quantity(&json!("0x7a69")), Ok(31337));
        assert!(parse_quantity(&json!("7a69")).is_err());
        assert!(parse_quantity(&json!(12)).is_err());
        assert!(parse_quantity(&json!("0x")).is_err());
        assert!(parse_quantity(&json!("0x1ffffffffffffffff")).is_err());
        assert_eq!(parse_data(&json!("0x00ff")).unwrap().as_ref(), &[0, 255]);
        assert!(parse_data(&json!("0x0")).is_err());
        assert!(parse_data(&json!("0xzz")).is_err());
        assert!(parse_word(&json!("0x00")).is_err());
        assert_eq!(parse_u256(&json!("0x10")), Ok(U256::from(16)));
    }

    #[test]
    fn rejects_configs_that_cannot_work() {
        assert!(RpcClient::new(ClientConfig::default()).is_err());
        let error = RpcClient::new(ClientConfig::new(["ws://k:secret@x"])).unwrap_err();
        assert!(!error.to_string().contains("secret"), "{error}");
        let client = RpcClient::new(ClientConfig::new(["https://u:pw@x.example/"])).unwrap();
        assert_eq!(
            client.to_string(),
            "JSON-RPC client for https://***@x.example/"
        );
        assert!(!format!("{client:?}").contains("pw"));
    }

    #[test]
    fn backoff_grows_and_stays_bounded() {
        let mut config = ClientConfig::new(["http://127.0.0.1:1"]);
        config.backoff_base = Duration::from_millis(100);
        let client = RpcClient::new(config).unwrap();
        for attempt in 0..4 {
            let wait = client.backoff(attempt, None).as_millis() as u64;
            let floor = 100 << attempt;
            assert!(
                (floor..=floor + floor / 2).contains(&wait),
                "{attempt}: {wait}"
            );
        }
        assert!(client.backoff(40, None) <= ClientConfig::MAX_BACKOFF * 3 / 2);
        assert!(client.backoff(0, Some(Duration::from_secs(3))) >= Duration::from_secs(3));
        assert!(
            client.backoff(0, Some(Duration::from_secs(3600))) <= ClientConfig::MAX_BACKOFF * 3 / 2
        );
    }
}
