//! Provider failures: each becomes a precise error for the one suggestion.

use std::time::{Duration, Instant};

use assistant::{AssistantError, ProviderKind};
use serde_json::json;

use crate::common::*;

async fn run(kind: ProviderKind, replies: Vec<Reply>) -> AssistantError {
    let server = FakeServer::start(replies).await;
    assistant(&server, kind)
        .suggest(&finding())
        .await
        .expect_err("the call must fail")
}

const BOTH: [ProviderKind; 2] = [ProviderKind::OpenAiCompatible, ProviderKind::Anthropic];

#[tokio::test]
async fn a_server_slower_than_the_timeout_is_a_timeout() {
    for kind in BOTH {
        let server = FakeServer::start(vec![
            Reply::json(200, openai_reply("{}")).delayed(Duration::from_secs(4)),
        ])
        .await;
        let mut s = settings(kind, &server, "test-model");
        s.provider.timeout_secs = 1;
        let a = assistant_from(
            s,
            std::sync::Arc::new(assistant::InMemoryCache::new()),
            std::sync::Arc::new(assistant::InMemoryBudget::default()),
        );
        let started = Instant::now();
        let err = a.suggest(&finding()).await.unwrap_err();
        assert_eq!(
            err,
            AssistantError::Timeout {
                after: Duration::from_secs(1)
            },
            "{kind:?}"
        );
        assert!(started.elapsed() < Duration::from_secs(3));
        assert_eq!(err.to_string(), "the provider did not answer within 1s");
    }
}

#[tokio::test]
async fn a_bad_key_is_unauthorized() {
    let err = run(
        ProviderKind::OpenAiCompatible,
        vec![Reply::json(
            401,
            json!({"error": {"message": "Incorrect API key provided", "type": "invalid_request_error", "code": "invalid_api_key"}}),
        )],
    )
    .await;
    assert_eq!(
        err,
        AssistantError::Unauthorized {
            status: 401,
            message: "Incorrect API key provided".into()
        }
    );
    let err = run(
        ProviderKind::Anthropic,
        vec![Reply::json(
            403,
            json!({"type": "error", "error": {"type": "permission_error", "message": "Your API key does not have permission"}}),
        )],
    )
    .await;
    assert!(
        matches!(err, AssistantError::Unauthorized { status: 403, .. }),
        "{err:?}"
    );
    assert!(!err.to_string().contains(KEY));
}

#[tokio::test]
async fn rate_limits_carry_retry_after() {
    let err = run(
        ProviderKind::OpenAiCompatible,
        vec![
            Reply::json(
                429,
                json!({"error": {"message": "Rate limit reached", "type": "requests"}}),
            )
            .header("retry-after", "7"),
        ],
    )
    .await;
    assert_eq!(
        err,
        AssistantError::RateLimited {
            retry_after: Some(Duration::from_secs(7)),
            message: "Rate limit reached".into()
        }
    );
    assert!(err.to_string().contains("retry after 7s"));
    let err = run(
        ProviderKind::Anthropic,
        vec![Reply::json(
            429,
            json!({"type": "error", "error": {"type": "rate_limit_error", "message": "Number of request tokens has exceeded your per-minute rate limit"}}),
        )],
    )
    .await;
    assert!(
        matches!(&err, AssistantError::RateLimited { retry_after: None, message } if message.contains("per-minute")),
        "{err:?}"
    );
}

#[tokio::test]
async fn server_errors_are_reported_with_their_status() {
    let err = run(
        ProviderKind::OpenAiCompatible,
        vec![Reply::raw(500, "<html>Internal Server Error</html>")],
    )
    .await;
    assert_eq!(
        err,
        AssistantError::ServerError {
            status: 500,
            message: "<html>Internal Server Error</html>".into()
        }
    );
    let err = run(
        ProviderKind::Anthropic,
        vec![Reply::json(529, json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}))],
    )
    .await;
    assert_eq!(
        err,
        AssistantError::ServerError {
            status: 529,
            message: "Overloaded".into()
        }
    );
    let err = run(
        ProviderKind::Anthropic,
        vec![Reply::json(400, json!({"type": "error", "error": {"type": "invalid_request_error", "message": "model: not found"}}))],
    )
    .await;
    assert!(
        matches!(err, AssistantError::Rejected { status: 400, .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn refusals_are_refusals() {
    let mut refusal = openai_reply("");
    refusal["choices"][0]["message"]["content"] = json!(null);
    refusal["choices"][0]["message"]["refusal"] = json!("I can't help with exploiting contracts.");
    let err = run(
        ProviderKind::OpenAiCompatible,
        vec![Reply::json(200, refusal)],
    )
    .await;
    assert_eq!(
        err,
        AssistantError::Refusal("I can't help with exploiting contracts.".into())
    );

    let mut filtered = openai_reply("");
    filtered["choices"][0]["finish_reason"] = json!("content_filter");
    let err = run(
        ProviderKind::OpenAiCompatible,
        vec![Reply::json(200, filtered)],
    )
    .await;
    assert!(matches!(err, AssistantError::Refusal(_)), "{err:?}");

    // A refusal in words, as models without a refusal field answer.
    let err = run(
        ProviderKind::OpenAiCompatible,
        vec![Reply::json(
            200,
            openai_reply("I’m sorry, but I can’t help with that."),
        )],
    )
    .await;
    assert_eq!(
        err,
        AssistantError::Refusal("I’m sorry, but I can’t help with that.".into())
    );

    let mut refused = anthropic_reply(json!({}));
    refused["stop_reason"] = json!("refusal");
    refused["content"] = json!([]);
    let err = run(ProviderKind::Anthropic, vec![Reply::json(200, refused)]).await;
    assert!(matches!(err, AssistantError::Refusal(_)), "{err:?}");

    // A text answer instead of the forced tool call is a refusal in words.
    let mut text = anthropic_reply(json!({}));
    text["content"] = json!([{"type": "text", "text": "I won't assess this."}]);
    text["stop_reason"] = json!("end_turn");
    let err = run(ProviderKind::Anthropic, vec![Reply::json(200, text)]).await;
    assert_eq!(err, AssistantError::Refusal("I won't assess this.".into()));
}

#[tokio::test]
async fn malformed_bodies_are_malformed() {
    for (kind, body) in [
        (
            ProviderKind::OpenAiCompatible,
            "{\"choices\": [".to_string(),
        ),
        (ProviderKind::OpenAiCompatible, "not json".to_string()),
        (
            ProviderKind::OpenAiCompatible,
            json!({"choices": []}).to_string(),
        ),
        (
            ProviderKind::OpenAiCompatible,
            json!({"object": "chat.completion"}).to_string(),
        ),
        (
            ProviderKind::OpenAiCompatible,
            json!({"choices": [{"index": 0, "finish_reason": "stop"}]}).to_string(),
        ),
        (
            ProviderKind::OpenAiCompatible,
            json!({"choices": [{"message": {"content": 5}}]}).to_string(),
        ),
        (ProviderKind::Anthropic, "".to_string()),
        (
            ProviderKind::Anthropic,
            json!({"type": "message", "content": []}).to_string(),
        ),
        (
            ProviderKind::Anthropic,
            json!({"type": "message"}).to_string(),
        ),
    ] {
        let err = run(kind, vec![Reply::raw(200, &body)]).await;
        assert!(
            matches!(err, AssistantError::MalformedResponse(_)),
            "{kind:?} {body}: {err:?}"
        );
    }
    let err = run(
        ProviderKind::OpenAiCompatible,
        vec![Reply::json(200, json!({"choices": []}))],
    )
    .await;
    assert_eq!(
        err.to_string(),
        "the provider's response is not in the API's format: the `choices` array is empty"
    );
}

#[tokio::test]
async fn an_answer_cut_at_the_token_limit_is_truncated() {
    let mut cut = openai_reply("{\"explanation\": \"The vault");
    cut["choices"][0]["finish_reason"] = json!("length");
    assert_eq!(
        run(ProviderKind::OpenAiCompatible, vec![Reply::json(200, cut)]).await,
        AssistantError::Truncated
    );
    let mut cut = anthropic_reply(json!({}));
    cut["stop_reason"] = json!("max_tokens");
    assert_eq!(
        run(ProviderKind::Anthropic, vec![Reply::json(200, cut)]).await,
        AssistantError::Truncated
    );
}

#[tokio::test]
async fn an_unreachable_provider_is_a_transport_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let server = FakeServer::start(vec![Reply::raw(200, "")]).await;
    let mut s = settings(ProviderKind::OpenAiCompatible, &server, "m");
    s.provider.endpoint = format!("http://127.0.0.1:{port}/v1");
    let a = assistant_from(
        s,
        std::sync::Arc::new(assistant::InMemoryCache::new()),
        std::sync::Arc::new(assistant::InMemoryBudget::default()),
    );
    let err = a.suggest(&finding()).await.unwrap_err();
    assert!(matches!(err, AssistantError::Transport(_)), "{err:?}");
}

#[test]
fn transient_errors_are_told_apart() {
    assert!(
        AssistantError::Timeout {
            after: Duration::from_secs(1)
        }
        .is_transient()
    );
    assert!(
        AssistantError::RateLimited {
            retry_after: None,
            message: String::new()
        }
        .is_transient()
    );
    assert!(
        AssistantError::ServerError {
            status: 503,
            message: String::new()
        }
        .is_transient()
    );
    assert!(!AssistantError::InvalidOutput(String::new()).is_transient());
    assert!(
        !AssistantError::Unauthorized {
            status: 401,
            message: String::new()
        }
        .is_transient()
    );
    assert!(!AssistantError::Refusal(String::new()).is_transient());
}
