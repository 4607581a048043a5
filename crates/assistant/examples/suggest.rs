//! One suggestion against a real provider (a manual step, not run in CI):
//!
//! ```text
//! cargo run -p assistant --example suggest -- CONFIG.toml FINDING.json
//! ```
//!
//! CONFIG.toml is an [`assistant::AssistantSettings`] (see `examples/openai.toml`,
//! `examples/anthropic.toml`, `examples/ollama.toml`); FINDING.json a
//! [`assistant::FindingInput`] (see `examples/finding.json`). Prints the outcome as JSON,
//! or the error. The service uses its egress-guarded client instead of the plain one here.

use std::sync::Arc;
use std::time::Duration;

use assistant::{
    Assistant, AssistantSettings, FindingInput, InMemoryBudget, InMemoryCache, resolve_key,
};

fn fail(message: String) -> ! {
    eprintln!("error: {message}");
    std::process::exit(1)
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [config, finding] = args.as_slice() else {
        fail("usage: suggest CONFIG.toml FINDING.json".into())
    };
    let config = std::fs::read_to_string(config).unwrap_or_else(|e| fail(format!("{config}: {e}")));
    let settings: AssistantSettings =
        toml::from_str(&config).unwrap_or_else(|e| fail(format!("config: {e}")));
    let finding =
        std::fs::read_to_string(finding).unwrap_or_else(|e| fail(format!("{finding}: {e}")));
    let finding: FindingInput =
        serde_json::from_str(&finding).unwrap_or_else(|e| fail(format!("finding: {e}")));
    let key = settings
        .provider
        .api_key
        .as_ref()
        .map(resolve_key)
        .transpose()
        .unwrap_or_else(|e| fail(e.to_string()));
    let timeout = Duration::from_secs(settings.provider.timeout_secs);
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout)
        .connect_timeout(timeout)
        .build()
        .unwrap_or_else(|e| fail(e.to_string()));
    let assistant = Assistant::new(
        "manual",
        settings,
        client,
        key,
        Arc::new(InMemoryCache::new()),
        Arc::new(InMemoryBudget::default()),
    )
    .unwrap_or_else(|e| fail(e.to_string()));
    match assistant.suggest(&finding).await {
        Ok(outcome) => println!(
            "{}",
            serde_json::to_string_pretty(&outcome).unwrap_or_else(|e| fail(e.to_string()))
        ),
        Err(e) => fail(e.to_string()),
    }
}
