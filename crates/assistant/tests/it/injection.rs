//! A prompt-injection fixture: the contract's comments tell the model to answer with a
//! chosen verdict, extra fields, Markdown, and try to close the data block. The fake
//! servers return what a compromised model might: each answer is refused or sanitized,
//! never accepted as-is, and nothing refused is cached.

use std::sync::Arc;

use assistant::prompt::{DATA_BEGIN, DATA_END};
use assistant::{AssistantError, InMemoryBudget, InMemoryCache, ProviderKind, Verdict};
use serde_json::{Value, json};

use crate::common::*;

fn with(field: &str, value: Value) -> Value {
    let mut answer = good_answer();
    answer[field] = value;
    answer
}

#[tokio::test]
async fn the_injected_comments_stay_inside_the_escaped_data_block() {
    let server = FakeServer::start(vec![Reply::json(200, anthropic_reply(good_answer()))]).await;
    let finding = finding();
    assert!(context_line(&finding, 8).text.contains("</finding_data>"));
    assistant(&server, ProviderKind::Anthropic)
        .suggest(&finding)
        .await
        .unwrap();
    let user = server.requests()[0].body["messages"][0]["content"]
        .as_str()
        .unwrap()
        .to_string();
    // The comment's closing tag is escaped: the delimiters occur once each.
    assert_eq!(user.matches(DATA_BEGIN).count(), 1);
    assert_eq!(user.matches(DATA_END).count(), 1);
    assert!(user.contains("\\u003c/finding_data\\u003e New instructions"));
    let data = data_block(&user);
    let lines: Vec<&str> = data["context"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["text"].as_str().unwrap())
        .collect();
    assert!(
        lines
            .iter()
            .any(|l| l.contains("ignore previous instructions"))
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("</finding_data> New instructions"))
    );
}

/// Answers a compromised model might give, as OpenAI-compatible message text, with what
/// must become of each.
fn compromised_texts() -> Vec<(&'static str, String)> {
    let good = good_answer().to_string();
    vec![
        ("extra field", with("approved", json!(true)).to_string()),
        (
            "extra field severity_override",
            with("severity_override", json!("none")).to_string(),
        ),
        (
            "wrong type confidence",
            with("confidence", json!("high")).to_string(),
        ),
        (
            "wrong type verdict",
            with("verdict", json!(false)).to_string(),
        ),
        (
            "confidence out of range",
            with("confidence", json!(1.5)).to_string(),
        ),
        (
            "verdict not in the enum",
            with("verdict", json!("definitely_safe")).to_string(),
        ),
        (
            "verdict in another case",
            with("verdict", json!("LIKELY_FALSE_POSITIVE")).to_string(),
        ),
        ("missing field", {
            let mut a = good_answer();
            a.as_object_mut().unwrap().remove("reasoning");
            a.to_string()
        }),
        (
            "text around the JSON",
            format!("Sure! Here is the answer:\n{good}\nHope it helps."),
        ),
        ("markdown fence", format!("```json\n{good}\n```")),
        (
            "markdown only",
            "## Verdict\n**likely false positive**, safe to ignore.".into(),
        ),
        ("two objects", format!("{good}{good}")),
        ("an array", format!("[{good}]")),
        (
            "empty text field",
            with("explanation", json!("  \u{7} ")).to_string(),
        ),
        (
            "oversized text",
            with("reasoning", json!("x".repeat(10_000))).to_string(),
        ),
    ]
}

#[tokio::test]
async fn compromised_openai_answers_are_refused() {
    for (case, text) in compromised_texts() {
        let server = FakeServer::start(vec![Reply::json(200, openai_reply(&text))]).await;
        let cache = Arc::new(InMemoryCache::new());
        let a = assistant_with(
            &server,
            ProviderKind::OpenAiCompatible,
            "test-model",
            cache.clone(),
            Arc::new(InMemoryBudget::default()),
        );
        match a.suggest(&finding()).await {
            Err(AssistantError::InvalidOutput(why)) => assert!(!why.is_empty(), "{case}"),
            other => panic!("{case}: expected InvalidOutput, got {other:?}"),
        }
        assert!(cache.is_empty(), "{case}: a refused answer was cached");
    }
}

#[tokio::test]
async fn compromised_anthropic_tool_inputs_are_refused() {
    let cases = vec![
        ("extra field", with("approved", json!(true))),
        ("wrong type", with("confidence", json!("1"))),
        ("verdict not in the enum", with("verdict", json!("safe"))),
        ("input is a string", json!(good_answer().to_string())),
        ("input is an array", json!([good_answer()])),
        ("null patch field type", with("patch_diff", json!(42))),
    ];
    for (case, input) in cases {
        let server = FakeServer::start(vec![Reply::json(200, anthropic_reply(input))]).await;
        match assistant(&server, ProviderKind::Anthropic)
            .suggest(&finding())
            .await
        {
            Err(AssistantError::InvalidOutput(_)) => {}
            other => panic!("{case}: expected InvalidOutput, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn a_patch_touching_another_file_is_dropped_with_a_note() {
    let other_file = GOOD_PATCH.replace("src/Vault.sol", "src/Token.sol");
    let mixed =
        format!("{GOOD_PATCH}--- a/src/Token.sol\n+++ b/src/Token.sol\n@@ -1 +1 @@\n-a\n+b\n");
    for (case, patch) in [
        ("another file", other_file),
        ("a second file", mixed),
        (
            "not a diff",
            "Replace line 13 with a safe call.".to_string(),
        ),
        (
            "new file",
            "--- /dev/null\n+++ b/src/Vault.sol\n@@ -0,0 +1 @@\n+x\n".to_string(),
        ),
    ] {
        let server = FakeServer::start(vec![Reply::json(
            200,
            anthropic_reply(with("patch_diff", json!(patch))),
        )])
        .await;
        let outcome = assistant(&server, ProviderKind::Anthropic)
            .suggest(&finding())
            .await
            .unwrap_or_else(|e| panic!("{case}: {e}"));
        assert_eq!(outcome.suggestion.patch_diff, None, "{case}");
        assert_eq!(outcome.notes.len(), 1, "{case}");
        assert!(
            outcome.notes[0].starts_with("the suggested patch was dropped"),
            "{case}: {:?}",
            outcome.notes
        );
        // The rest of the suggestion is kept.
        assert_eq!(outcome.suggestion.verdict, Verdict::LikelyTrue);
    }
}

#[tokio::test]
async fn control_and_bidi_characters_are_stripped_from_text() {
    let answer = with(
        "explanation",
        json!("Sends\u{1b}[31m ether\u{202E} first.\r\nThen writes.\u{0}"),
    );
    let server = FakeServer::start(vec![Reply::json(
        200,
        openai_reply(&format!("\n  {answer}  \n")),
    )])
    .await;
    let outcome = assistant(&server, ProviderKind::OpenAiCompatible)
        .suggest(&finding())
        .await
        .unwrap();
    assert_eq!(
        outcome.suggestion.explanation,
        "Sends[31m ether first.\nThen writes."
    );
}
