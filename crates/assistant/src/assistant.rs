//! The orchestrator: opt-in check, cache, budget, one provider call with a timeout,
//! validation. The caller runs it off the audit path (a background task after the audit
//! is stored); the audit never waits for it, and every failure is an error for this one
//! suggestion.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::budget::Budget;
use crate::cache::{CacheKey, SuggestionCache};
use crate::config::{AssistantSettings, ProviderKind, Secret};
use crate::error::AssistantError;
use crate::finding::FindingInput;
use crate::prompt::{PROMPT_VERSION, Prompt};
use crate::provider::{Answer, AnthropicProvider, OpenAiProvider, Provider, Usage};
use crate::suggestion::{self, Suggestion};

/// A suggestion with what produced it; what the service stores beside the finding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    pub suggestion: Suggestion,
    /// Precise notes about what was sanitized or dropped (e.g. a patch touching another
    /// file) and about cache problems.
    pub notes: Vec<String>,
    pub usage: Usage,
    pub provider: ProviderKind,
    pub model: String,
    pub prompt_version: u32,
    /// Served from the cache (no provider call, no tokens).
    pub cached: bool,
}

pub struct Assistant {
    tenant: String,
    settings: AssistantSettings,
    provider: Arc<dyn Provider>,
    cache: Arc<dyn SuggestionCache>,
    budget: Arc<dyn Budget>,
}

impl Assistant {
    /// Builds the configured provider. `client` must be the service's egress-guarded
    /// client for `settings.provider.endpoint` (the egress guard checks the host and pins
    /// its addresses); `key` is the result of [`crate::resolve_key`] on the configured
    /// source.
    pub fn new(
        tenant: impl Into<String>,
        settings: AssistantSettings,
        client: reqwest::Client,
        key: Option<Secret>,
        cache: Arc<dyn SuggestionCache>,
        budget: Arc<dyn Budget>,
    ) -> Result<Self, AssistantError> {
        settings.validate()?;
        let provider: Arc<dyn Provider> = match settings.provider.kind {
            ProviderKind::OpenAiCompatible => {
                Arc::new(OpenAiProvider::new(settings.provider.clone(), client, key)?)
            }
            ProviderKind::Anthropic => Arc::new(AnthropicProvider::new(
                settings.provider.clone(),
                client,
                key.ok_or_else(|| {
                    AssistantError::Key("the Anthropic provider needs an API key".into())
                })?,
            )?),
        };
        Self::with_provider(tenant, settings, provider, cache, budget)
    }

    /// With any [`Provider`] (tests, other back ends).
    pub fn with_provider(
        tenant: impl Into<String>,
        settings: AssistantSettings,
        provider: Arc<dyn Provider>,
        cache: Arc<dyn SuggestionCache>,
        budget: Arc<dyn Budget>,
    ) -> Result<Self, AssistantError> {
        settings.validate()?;
        Ok(Assistant {
            tenant: tenant.into(),
            settings,
            provider,
            cache,
            budget,
        })
    }

    /// The cache key of a finding under this assistant's tenant, provider and model.
    pub fn cache_key(&self, finding: &FindingInput) -> CacheKey {
        let prompt = Prompt::for_finding(finding);
        CacheKey::new(
            &self.tenant,
            &finding.fingerprint,
            self.provider.kind(),
            self.provider.model(),
            &prompt.digest(),
        )
    }

    /// One suggestion for one finding.
    pub async fn suggest(&self, finding: &FindingInput) -> Result<Outcome, AssistantError> {
        if !self.settings.enabled {
            return Err(AssistantError::Disabled);
        }
        let prompt = Prompt::for_finding(finding);
        let key = CacheKey::new(
            &self.tenant,
            &finding.fingerprint,
            self.provider.kind(),
            self.provider.model(),
            &prompt.digest(),
        );
        let mut cache_notes = Vec::new();
        match self.cache.get(&key).await {
            Ok(Some(mut hit)) => {
                hit.cached = true;
                return Ok(hit);
            }
            Ok(None) => {}
            Err(e) => cache_notes.push(format!("cache lookup failed: {e}")),
        }

        let estimate = prompt
            .estimated_input_tokens()
            .saturating_add(u64::from(self.settings.provider.max_output_tokens));
        let reservation = self
            .budget
            .reserve(&self.tenant, estimate, self.settings.daily_token_budget)
            .await?;

        // The provider applies the configured timeout; this one is the backstop for a
        // provider that does not.
        let timeout = self.settings.provider.timeout();
        let reply = match tokio::time::timeout(
            timeout + std::time::Duration::from_secs(1),
            self.provider.complete(&prompt),
        )
        .await
        {
            Ok(r) => r,
            Err(_) => Err(AssistantError::Timeout { after: timeout }),
        };
        let reply = match reply {
            Ok(reply) => reply,
            Err(e) => {
                let charge = if e.may_have_consumed_tokens() {
                    estimate
                } else {
                    0
                };
                self.budget.settle(reservation, charge).await?;
                return Err(e);
            }
        };
        // Usage the provider did not report is charged at the estimate.
        let actual = if reply.usage.total() == 0 {
            estimate
        } else {
            reply.usage.total()
        };
        self.budget.settle(reservation, actual).await?;

        let (suggestion, mut notes) = match reply.answer {
            Answer::Text(text) => suggestion::parse_text(&text, &finding.file)?,
            Answer::Json(value) => suggestion::parse_value(value, &finding.file)?,
        };
        notes.extend(cache_notes);
        let outcome = Outcome {
            suggestion,
            notes,
            usage: reply.usage,
            provider: self.provider.kind(),
            model: self.provider.model().to_string(),
            prompt_version: PROMPT_VERSION,
            cached: false,
        };
        if let Err(e) = self.cache.put(&key, &outcome).await {
            let mut outcome = outcome;
            outcome.notes.push(format!("cache store failed: {e}"));
            return Ok(outcome);
        }
        Ok(outcome)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send<T: Send>(_: &T) {}

    /// The service runs `suggest` in a spawned task, off the audit path: the assistant
    /// and the future must be `Send`.
    #[allow(dead_code)]
    fn suggest_can_be_spawned(assistant: &Assistant, finding: &FindingInput) {
        fn send_sync<T: Send + Sync>() {}
        send_sync::<Assistant>();
        assert_send(&assistant.suggest(finding));
    }
}
