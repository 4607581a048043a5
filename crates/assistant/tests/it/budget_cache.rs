//! The cache (keyed by tenant, fingerprint, provider, model, prompt version and prompt
//! hash) and the per-tenant daily token budget.

use std::sync::Arc;
use std::time::Duration;

use assistant::{AssistantError, Budget, InMemoryBudget, InMemoryCache, Prompt, ProviderKind};
use serde_json::json;

use crate::common::*;

#[tokio::test]
async fn the_second_identical_request_is_served_from_the_cache() {
    let server = FakeServer::start(vec![Reply::json(200, anthropic_reply(good_answer()))]).await;
    let cache = Arc::new(InMemoryCache::new());
    let budget = Arc::new(InMemoryBudget::default());
    let a = assistant_with(
        &server,
        ProviderKind::Anthropic,
        "model-a",
        cache.clone(),
        budget.clone(),
    );
    let first = a.suggest(&finding()).await.unwrap();
    assert!(!first.cached);
    let used = budget.used_today("tenant-a");
    assert_eq!(used, 1100);

    let second = a.suggest(&finding()).await.unwrap();
    assert!(second.cached);
    assert_eq!(second.suggestion, first.suggestion);
    assert_eq!(server.count(), 1, "the cached request reached the server");
    assert_eq!(
        budget.used_today("tenant-a"),
        used,
        "a cache hit costs no tokens"
    );

    // A changed snippet is a new request.
    let mut changed = finding();
    changed
        .snippet
        .push_str("\n        emit Withdrawn(amount);");
    let third = a.suggest(&changed).await.unwrap();
    assert!(!third.cached);
    assert_eq!(server.count(), 2);

    // A changed context line too.
    let mut changed = finding();
    changed.context[0].text.push_str(" // edited");
    a.suggest(&changed).await.unwrap();
    assert_eq!(server.count(), 3);

    // Another model with the same cache is a new request.
    let b = assistant_with(
        &server,
        ProviderKind::Anthropic,
        "model-b",
        cache.clone(),
        budget.clone(),
    );
    assert!(!b.suggest(&finding()).await.unwrap().cached);
    assert_eq!(server.count(), 4);
    // And so is another provider kind (same model name).
    let other = FakeServer::start(vec![Reply::json(
        200,
        openai_reply(&good_answer().to_string()),
    )])
    .await;
    let c = assistant_with(
        &other,
        ProviderKind::OpenAiCompatible,
        "model-a",
        cache.clone(),
        budget,
    );
    assert!(!c.suggest(&finding()).await.unwrap().cached);
    assert_eq!(other.count(), 1);
    assert_eq!(cache.len(), 5);
    // Both of the model-a keys differ; the first is still served.
    assert!(a.suggest(&finding()).await.unwrap().cached);
    assert_eq!(server.count(), 4);
}

#[tokio::test]
async fn a_failed_suggestion_is_not_cached_and_is_retried() {
    let server = FakeServer::start(vec![
        Reply::json(500, json!({"error": {"message": "boom"}})),
        Reply::json(200, anthropic_reply(good_answer())),
    ])
    .await;
    let a = assistant(&server, ProviderKind::Anthropic);
    assert!(a.suggest(&finding()).await.is_err());
    assert!(a.suggest(&finding()).await.is_ok());
    assert_eq!(server.count(), 2);
}

#[tokio::test]
async fn a_tenant_that_has_not_opted_in_sends_nothing() {
    let server = FakeServer::start(vec![Reply::json(200, anthropic_reply(good_answer()))]).await;
    let mut s = settings(ProviderKind::Anthropic, &server, "m");
    s.enabled = false;
    let a = assistant_from(
        s,
        Arc::new(InMemoryCache::new()),
        Arc::new(InMemoryBudget::default()),
    );
    assert_eq!(
        a.suggest(&finding()).await.unwrap_err(),
        AssistantError::Disabled
    );
    assert_eq!(server.count(), 0);
}

#[tokio::test]
async fn reservations_settle_and_the_budget_resets_on_the_next_utc_day() {
    // 2026-03-01 23:00 UTC.
    let clock = FakeClock::at(20_513 * 86_400 + 23 * 3_600);
    let budget = InMemoryBudget::new(clock.clone());
    let r = budget.reserve("t", 600, 1_000).await.unwrap();
    assert_eq!(budget.used_today("t"), 600);
    // Held tokens count: 600 + 500 > 1000.
    let err = budget.reserve("t", 500, 1_000).await.unwrap_err();
    assert_eq!(
        err,
        AssistantError::BudgetExhausted {
            tenant: "t".into(),
            day: "2026-03-01".into(),
            limit: 1_000,
            used: 600,
            requested: 500
        }
    );
    // Another tenant has its own budget.
    budget.reserve("u", 1_000, 1_000).await.unwrap();
    // The actual usage replaces the reservation.
    budget.settle(r, 200).await.unwrap();
    assert_eq!(budget.used_today("t"), 200);
    let r = budget.reserve("t", 500, 1_000).await.unwrap();
    budget.settle(r, 0).await.unwrap();
    assert_eq!(budget.used_today("t"), 200);
    budget.reserve("t", 800, 1_000).await.unwrap();
    assert!(budget.reserve("t", 1, 1_000).await.is_err());

    // One hour later it is the next UTC day.
    clock.advance(Duration::from_secs(3_600));
    assert_eq!(budget.used_today("t"), 0);
    budget.reserve("t", 1_000, 1_000).await.unwrap();
}

#[tokio::test]
async fn the_assistant_refuses_past_the_daily_budget_until_the_next_day() {
    let server = FakeServer::start(vec![Reply::json(200, anthropic_reply(good_answer()))]).await;
    let clock = FakeClock::at(20_513 * 86_400 + 12 * 3_600);
    let budget = Arc::new(InMemoryBudget::new(clock.clone()));
    let estimate = Prompt::for_finding(&finding()).estimated_input_tokens() + 1024;
    let mut s = settings(ProviderKind::Anthropic, &server, "m");
    // Room for one estimate plus one actual usage (1100), not for a second estimate.
    s.daily_token_budget = estimate + 1_100 - 1;
    let a = assistant_from(s, Arc::new(InMemoryCache::new()), budget.clone());

    a.suggest(&finding()).await.unwrap();
    assert_eq!(
        budget.used_today("tenant-a"),
        1_100,
        "settled to the actual usage"
    );
    let mut other = finding();
    other.fingerprint = "fp-other".into();
    let err = a.suggest(&other).await.unwrap_err();
    assert!(
        matches!(err, AssistantError::BudgetExhausted { used: 1_100, .. }),
        "{err:?}"
    );
    assert_eq!(server.count(), 1, "a refused reservation sends nothing");

    clock.advance(Duration::from_secs(86_400));
    a.suggest(&other).await.unwrap();
    assert_eq!(server.count(), 2);
}

#[tokio::test]
async fn failed_calls_release_or_keep_their_reservation() {
    let estimate = Prompt::for_finding(&finding()).estimated_input_tokens() + 1024;
    // An HTTP error: the model did not run, the reservation is released.
    let server =
        FakeServer::start(vec![Reply::json(500, json!({"error": {"message": "x"}}))]).await;
    let budget = Arc::new(InMemoryBudget::default());
    let a = assistant_with(
        &server,
        ProviderKind::Anthropic,
        "m",
        Arc::new(InMemoryCache::new()),
        budget.clone(),
    );
    assert!(a.suggest(&finding()).await.is_err());
    assert_eq!(budget.used_today("tenant-a"), 0);

    // An answer that is not the schema: the tokens were spent, and reported.
    let server = FakeServer::start(vec![Reply::json(200, openai_reply("not json"))]).await;
    let a = assistant_with(
        &server,
        ProviderKind::OpenAiCompatible,
        "m",
        Arc::new(InMemoryCache::new()),
        budget.clone(),
    );
    assert!(matches!(
        a.suggest(&finding()).await,
        Err(AssistantError::InvalidOutput(_))
    ));
    assert_eq!(budget.used_today("tenant-a"), 1_100);

    // A timeout: the usage is unknown, the estimate is kept.
    let server = FakeServer::start(vec![
        Reply::json(200, openai_reply("{}")).delayed(Duration::from_secs(3)),
    ])
    .await;
    let mut s = settings(ProviderKind::OpenAiCompatible, &server, "m");
    s.provider.timeout_secs = 1;
    let a = assistant_from(s, Arc::new(InMemoryCache::new()), budget.clone());
    assert!(matches!(
        a.suggest(&finding()).await,
        Err(AssistantError::Timeout { .. })
    ));
    assert_eq!(budget.used_today("tenant-a"), 1_100 + estimate);
}
