//! The providers, speaking each API's wire format (no streaming: one suggestion is one
//! small JSON object, and the caller does not show partial output).

use std::time::Duration;

use async_trait::async_trait;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::config::{ProviderConfig, ProviderKind, Secret};
use crate::error::AssistantError;
use crate::finding::cut;
use crate::prompt::{Prompt, SCHEMA_NAME};

/// Tokens a call consumed, as the provider reports them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    pub input_tokens: u64,
    pub output_tokens: u64,
}

impl Usage {
    pub fn total(&self) -> u64 {
        self.input_tokens.saturating_add(self.output_tokens)
    }
}

/// The model's raw answer: text to parse (OpenAI-compatible) or an already-structured
/// value (Anthropic tool input). Validated by [`crate::suggestion`] afterwards.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    Text(String),
    Json(Value),
}

#[derive(Debug, Clone, PartialEq)]
pub struct ProviderReply {
    pub answer: Answer,
    pub usage: Usage,
}

#[async_trait]
pub trait Provider: Send + Sync {
    fn kind(&self) -> ProviderKind;
    fn model(&self) -> &str;
    /// One call. Never panics on any response.
    async fn complete(&self, prompt: &Prompt) -> Result<ProviderReply, AssistantError>;
}

/// Largest response body read.
const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

async fn read_body(
    mut response: reqwest::Response,
    timeout: Duration,
) -> Result<Vec<u8>, AssistantError> {
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if body.len() + chunk.len() > MAX_BODY_BYTES {
                    return Err(AssistantError::MalformedResponse(format!(
                        "the response body is larger than {MAX_BODY_BYTES} bytes"
                    )));
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(body),
            Err(e) if e.is_timeout() => return Err(AssistantError::Timeout { after: timeout }),
            Err(e) => return Err(transport(e)),
        }
    }
}

fn transport(e: reqwest::Error) -> AssistantError {
    // The URL is left out: it is the configured endpoint, known to the caller.
    AssistantError::Transport(e.without_url().to_string())
}

fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let v = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    v.parse::<u64>().ok().map(Duration::from_secs).or_else(|| {
        v.parse::<f64>()
            .ok()
            .filter(|s| s.is_finite() && *s >= 0.0 && *s < 86_400.0)
            .map(Duration::from_secs_f64)
    })
}

/// The provider's error message from an error body (both APIs put it at `error.message`),
/// cut and stripped of control characters; or the start of the body.
fn error_message(body: &[u8]) -> String {
    let text = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| {
            v.get("error")
                .and_then(|e| e.get("message").and_then(Value::as_str).map(str::to_string))
        })
        .unwrap_or_else(|| String::from_utf8_lossy(body).into_owned());
    let text = crate::suggestion::strip_controls(&text).replace('\n', " ");
    let text = cut(text.trim(), 300);
    if text.is_empty() {
        "(no message)".into()
    } else {
        text
    }
}

/// Maps a non-success status to its error.
fn status_error(status: u16, headers: &HeaderMap, body: &[u8]) -> AssistantError {
    let message = error_message(body);
    match status {
        401 | 403 => AssistantError::Unauthorized { status, message },
        429 => AssistantError::RateLimited {
            retry_after: retry_after(headers),
            message,
        },
        500..=599 => AssistantError::ServerError { status, message },
        _ => AssistantError::Rejected { status, message },
    }
}

async fn post_json(
    request: reqwest::RequestBuilder,
    timeout: Duration,
) -> Result<(u16, HeaderMap, Vec<u8>), AssistantError> {
    let call = async {
        let response = request.send().await.map_err(|e| {
            if e.is_timeout() {
                AssistantError::Timeout { after: timeout }
            } else {
                transport(e)
            }
        })?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = read_body(response, timeout).await?;
        Ok((status, headers, body))
    };
    match tokio::time::timeout(timeout, call).await {
        Ok(result) => result,
        Err(_) => Err(AssistantError::Timeout { after: timeout }),
    }
}

fn malformed(m: impl Into<String>) -> AssistantError {
    AssistantError::MalformedResponse(m.into())
}

fn parse_json_body(body: &[u8]) -> Result<Value, AssistantError> {
    serde_json::from_slice(body).map_err(|e| malformed(format!("the body is not JSON: {e}")))
}

fn tokens(v: Option<&Value>) -> u64 {
    v.and_then(Value::as_u64).unwrap_or(0)
}

/// `POST {endpoint}/chat/completions` with `response_format: json_schema` (strict); when
/// the server answers 400 naming `response_format`/`json_schema` (older or local servers
/// without schema support), once more with `response_format: json_object`.
pub struct OpenAiProvider {
    config: ProviderConfig,
    client: reqwest::Client,
    key: Option<Secret>,
}

impl OpenAiProvider {
    /// `client` must be the caller's egress-guarded client for the configured endpoint.
    pub fn new(
        config: ProviderConfig,
        client: reqwest::Client,
        key: Option<Secret>,
    ) -> Result<Self, AssistantError> {
        config.validate()?;
        Ok(OpenAiProvider {
            config,
            client,
            key,
        })
    }

    /// The request body (public for the tests and the README).
    pub fn request_body(&self, prompt: &Prompt, schema_mode: bool) -> Value {
        let response_format = if schema_mode {
            json!({
                "type": "json_schema",
                "json_schema": { "name": SCHEMA_NAME, "strict": true, "schema": prompt.schema }
            })
        } else {
            json!({ "type": "json_object" })
        };
        let system = if schema_mode {
            prompt.system.clone()
        } else {
            // Without schema enforcement the schema is given in the instructions.
            format!(
                "{}\n\nThe JSON schema of the answer:\n{}",
                prompt.system, prompt.schema
            )
        };
        json!({
            "model": self.config.model,
            "messages": [
                { "role": "system", "content": system },
                { "role": "user", "content": prompt.user },
            ],
            "max_tokens": self.config.max_output_tokens,
            "temperature": 0,
            "stream": false,
            "response_format": response_format,
        })
    }

    async fn call(
        &self,
        prompt: &Prompt,
        schema_mode: bool,
    ) -> Result<(u16, HeaderMap, Vec<u8>), AssistantError> {
        let url = self.config.url_for("chat/completions")?;
        let mut request = self
            .client
            .post(url)
            .json(&self.request_body(prompt, schema_mode));
        if let Some(key) = &self.key {
            request = request.bearer_auth(key.expose());
        }
        post_json(request, self.config.timeout()).await
    }

    fn parse(body: &[u8]) -> Result<ProviderReply, AssistantError> {
        let v = parse_json_body(body)?;
        let usage = v.get("usage").map(|u| Usage {
            input_tokens: tokens(u.get("prompt_tokens")),
            output_tokens: tokens(u.get("completion_tokens")),
        });
        let choice = v
            .get("choices")
            .and_then(Value::as_array)
            .ok_or_else(|| malformed("no `choices` array"))?
            .first()
            .ok_or_else(|| malformed("the `choices` array is empty"))?;
        let message = choice
            .get("message")
            .ok_or_else(|| malformed("the choice has no `message`"))?;
        if let Some(refusal) = message.get("refusal").and_then(Value::as_str) {
            return Err(AssistantError::Refusal(cut(
                &crate::suggestion::strip_controls(refusal),
                300,
            )));
        }
        match choice.get("finish_reason").and_then(Value::as_str) {
            Some("content_filter") => {
                return Err(AssistantError::Refusal(
                    "the provider's content filter stopped the answer".into(),
                ));
            }
            Some("length") => return Err(AssistantError::Truncated),
            _ => {}
        }
        let content = match message.get("content") {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Null) | None => return Err(malformed("the message has no text content")),
            Some(_) => return Err(malformed("the message content is not a string")),
        };
        if looks_like_refusal(&content) {
            return Err(AssistantError::Refusal(cut(
                crate::suggestion::strip_controls(content.trim()).trim(),
                300,
            )));
        }
        Ok(ProviderReply {
            answer: Answer::Text(content),
            usage: usage.unwrap_or_default(),
        })
    }
}

/// A text answer with no JSON object in it that opens like an apology or a refusal (what
/// models without a refusal field, such as many local ones, answer).
fn looks_like_refusal(content: &str) -> bool {
    if content.contains('{') {
        return false;
    }
    let start = content.trim_start().to_lowercase().replace('\u{2019}', "'");
    [
        "i'm sorry",
        "i am sorry",
        "sorry",
        "i can't",
        "i cannot",
        "i won't",
        "i will not",
        "i'm unable",
        "i am unable",
        "i'm not able",
    ]
    .iter()
    .any(|p| start.starts_with(p))
}

fn mentions_response_format(body: &[u8]) -> bool {
    let text = String::from_utf8_lossy(body).to_ascii_lowercase();
    text.contains("response_format") || text.contains("json_schema")
}

#[async_trait]
impl Provider for OpenAiProvider {
    fn kind(&self) -> ProviderKind {
        ProviderKind::OpenAiCompatible
    }
    fn model(&self) -> &str {
        &self.config.model
    }
    async fn complete(&self, prompt: &Prompt) -> Result<ProviderReply, AssistantError> {
        let (mut status, mut headers, mut body) = self.call(prompt, true).await?;
        if status == 400 && mentions_response_format(&body) {
            (status, headers, body) = self.call(prompt, false).await?;
        }
        if !(200..300).contains(&status) {
            return Err(status_error(status, &headers, &body));
        }
        Self::parse(&body)
    }
}

/// The `anthropic-version` header sent.
pub const ANTHROPIC_VERSION: &str = "2023-06-01";

/// `POST {endpoint}/v1/messages` with one tool whose `input_schema` is the output schema
/// and `tool_choice` forcing it: the answer arrives as the tool call's `input`, a JSON
/// object, with no prose to cut away.
pub struct AnthropicProvider {
    config: ProviderConfig,
    client: reqwest::Client,
    key: Secret,
}

impl AnthropicProvider {
    /// `client` must be the caller's egress-guarded client for the configured endpoint.
    pub fn new(
        config: ProviderConfig,
        client: reqwest::Client,
        key: Secret,
    ) -> Result<Self, AssistantError> {
        config.validate()?;
        Ok(AnthropicProvider {
            config,
            client,
            key,
        })
    }

    pub fn request_body(&self, prompt: &Prompt) -> Value {
        json!({
            "model": self.config.model,
            "max_tokens": self.config.max_output_tokens,
            "temperature": 0,
            "system": prompt.system,
            "messages": [ { "role": "user", "content": prompt.user } ],
            "tools": [ {
                "name": SCHEMA_NAME,
                "description": "Record the assessment of the finding. The only way to answer.",
                "input_schema": prompt.schema,
            } ],
            "tool_choice": { "type": "tool", "name": SCHEMA_NAME },
        })
    }

    fn parse(body: &[u8]) -> Result<ProviderReply, AssistantError> {
        let v = parse_json_body(body)?;
        let usage = v.get("usage").map(|u| Usage {
            input_tokens: tokens(u.get("input_tokens")),
            output_tokens: tokens(u.get("output_tokens")),
        });
        match v.get("stop_reason").and_then(Value::as_str) {
            Some("refusal") => {
                return Err(AssistantError::Refusal(
                    "the model stopped with `stop_reason: refusal`".into(),
                ));
            }
            Some("max_tokens") => return Err(AssistantError::Truncated),
            _ => {}
        }
        let content = v
            .get("content")
            .and_then(Value::as_array)
            .ok_or_else(|| malformed("no `content` array"))?;
        let tool = content.iter().find(|b| {
            b.get("type").and_then(Value::as_str) == Some("tool_use")
                && b.get("name").and_then(Value::as_str) == Some(SCHEMA_NAME)
        });
        let Some(tool) = tool else {
            let text: String = content
                .iter()
                .filter_map(|b| b.get("text").and_then(Value::as_str))
                .collect::<Vec<_>>()
                .join(" ");
            return Err(if text.trim().is_empty() {
                malformed("no `tool_use` block in the content")
            } else {
                AssistantError::Refusal(cut(&crate::suggestion::strip_controls(text.trim()), 300))
            });
        };
        let input = tool
            .get("input")
            .cloned()
            .ok_or_else(|| malformed("the `tool_use` block has no `input`"))?;
        Ok(ProviderReply {
            answer: Answer::Json(input),
            usage: usage.unwrap_or_default(),
        })
    }
}

#[async_trait]
impl Provider for AnthropicProvider {
    fn kind(&self) -> ProviderKind {
        ProviderKind::Anthropic
    }
    fn model(&self) -> &str {
        &self.config.model
    }
    async fn complete(&self, prompt: &Prompt) -> Result<ProviderReply, AssistantError> {
        let url = self.config.url_for("v1/messages")?;
        let request = self
            .client
            .post(url)
            .header("x-api-key", self.key.expose())
            .header("anthropic-version", ANTHROPIC_VERSION)
            .json(&self.request_body(prompt));
        let (status, headers, body) = post_json(request, self.config.timeout()).await?;
        if !(200..300).contains(&status) {
            return Err(status_error(status, &headers, &body));
        }
        Self::parse(&body)
    }
}
