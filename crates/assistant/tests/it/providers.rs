//! Both providers: a valid answer parsed; the exact request shape.

use assistant::prompt::{DATA_BEGIN, DATA_END, SYSTEM_PROMPT, output_schema};
use assistant::{ANTHROPIC_VERSION, ProviderKind, Verdict};
use serde_json::json;

use crate::common::*;

#[tokio::test]
async fn openai_valid_answer_is_parsed_and_the_request_has_the_api_shape() {
    let server = FakeServer::start(vec![Reply::json(
        200,
        openai_reply(&good_answer().to_string()),
    )])
    .await;
    let finding = finding();
    let outcome = assistant(&server, ProviderKind::OpenAiCompatible)
        .suggest(&finding)
        .await
        .unwrap();
    assert_eq!(outcome.suggestion.verdict, Verdict::LikelyTrue);
    assert_eq!(outcome.suggestion.patch_diff.as_deref(), Some(GOOD_PATCH));
    assert_eq!(outcome.suggestion.confidence, 0.9);
    assert!(outcome.notes.is_empty(), "{:?}", outcome.notes);
    assert_eq!(
        (outcome.usage.input_tokens, outcome.usage.output_tokens),
        (900, 200)
    );
    assert!(!outcome.cached);
    assert_eq!(outcome.model, "test-model");

    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let r = &requests[0];
    assert_eq!(r.path, "/v1/chat/completions");
    assert_eq!(r.headers["authorization"], format!("Bearer {KEY}"));
    assert!(r.headers["content-type"].starts_with("application/json"));
    let b = &r.body;
    assert_eq!(b["model"], "test-model");
    assert_eq!(b["max_tokens"], 1024);
    assert_eq!(b["stream"], false);
    assert_eq!(b["response_format"]["type"], "json_schema");
    assert_eq!(b["response_format"]["json_schema"]["strict"], true);
    assert_eq!(
        b["response_format"]["json_schema"]["name"],
        "record_suggestion"
    );
    assert_eq!(
        b["response_format"]["json_schema"]["schema"],
        output_schema()
    );
    let messages = b["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[0]["role"], "system");
    assert_eq!(messages[0]["content"], SYSTEM_PROMPT);
    assert_eq!(messages[1]["role"], "user");
    let user = messages[1]["content"].as_str().unwrap();
    // The snippet and the context are inside the delimiters, as data.
    let data = data_block(user);
    assert_eq!(data["flagged_snippet"], finding.snippet);
    assert_eq!(data["file"], "src/Vault.sol");
    assert_eq!(data["lines"], json!({"start": 11, "end": 13}));
    assert_eq!(data["context"][0]["line"], 5);
    assert!(user.find(DATA_BEGIN).unwrap() < user.find("msg.sender.call").unwrap());
    assert!(user.find("msg.sender.call").unwrap() < user.rfind(DATA_END).unwrap());
}

#[tokio::test]
async fn openai_falls_back_to_json_object_when_the_server_has_no_schema_support() {
    let server = FakeServer::start(vec![
        Reply::json(
            400,
            json!({"error": {"message": "response_format type json_schema is not supported", "type": "invalid_request_error"}}),
        ),
        Reply::json(200, openai_reply(&good_answer().to_string())),
    ])
    .await;
    let outcome = assistant(&server, ProviderKind::OpenAiCompatible)
        .suggest(&finding())
        .await
        .unwrap();
    assert_eq!(outcome.suggestion.verdict, Verdict::LikelyTrue);
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(
        requests[1].body["response_format"],
        json!({"type": "json_object"})
    );
    let system = requests[1].body["messages"][0]["content"].as_str().unwrap();
    assert!(system.contains("\"additionalProperties\":false"));
}

#[tokio::test]
async fn anthropic_valid_answer_is_parsed_and_the_request_has_the_api_shape() {
    let server = FakeServer::start(vec![Reply::json(200, anthropic_reply(good_answer()))]).await;
    let finding = finding();
    let outcome = assistant(&server, ProviderKind::Anthropic)
        .suggest(&finding)
        .await
        .unwrap();
    assert_eq!(outcome.suggestion.verdict, Verdict::LikelyTrue);
    assert_eq!(outcome.suggestion.patch_diff.as_deref(), Some(GOOD_PATCH));
    assert_eq!(
        (outcome.usage.input_tokens, outcome.usage.output_tokens),
        (900, 200)
    );
    assert_eq!(outcome.provider, ProviderKind::Anthropic);

    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let r = &requests[0];
    assert_eq!(r.path, "/v1/messages");
    assert_eq!(r.headers["x-api-key"], KEY);
    assert_eq!(r.headers["anthropic-version"], ANTHROPIC_VERSION);
    assert!(!r.headers.contains_key("authorization"));
    let b = &r.body;
    assert_eq!(b["model"], "test-model");
    assert_eq!(b["max_tokens"], 1024);
    assert_eq!(b["system"], SYSTEM_PROMPT);
    assert_eq!(b["tools"][0]["name"], "record_suggestion");
    assert_eq!(b["tools"][0]["input_schema"], output_schema());
    assert_eq!(
        b["tool_choice"],
        json!({"type": "tool", "name": "record_suggestion"})
    );
    let messages = b["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0]["role"], "user");
    let data = data_block(messages[0]["content"].as_str().unwrap());
    assert_eq!(data["flagged_snippet"], finding.snippet);
    assert_eq!(data["rule_id"], "reentrancy-eth");
}
