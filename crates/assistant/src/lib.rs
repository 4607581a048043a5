//! Optional AI assistant for web3audit findings.
//!
//! For one finding it asks a configured language-model provider (an OpenAI-compatible chat
//! API, which also covers local servers such as Ollama and vLLM, or Anthropic's messages
//! API) for an explanation, an attack scenario, a suggested patch and a verdict. The answer
//! is untrusted: it is parsed against a strict schema and sanitized ([`suggestion`]), and a
//! failure is an error for that one suggestion only. A suggestion never changes a finding's
//! triage state; it is stored beside the finding.
//!
//! The crate does no storage and opens no connection of its own choosing: the caller passes
//! an HTTP client (the service's egress-guarded client for the configured endpoint), a
//! [`SuggestionCache`] and a [`Budget`]. See the README for the design.

pub mod assistant;
pub mod budget;
pub mod cache;
pub mod config;
pub mod error;
pub mod finding;
pub mod prompt;
pub mod provider;
pub mod suggestion;

pub use assistant::{Assistant, Outcome};
pub use budget::{Budget, Clock, InMemoryBudget, Reservation, SystemClock};
pub use cache::{CacheKey, InMemoryCache, SuggestionCache};
pub use config::{AssistantSettings, KeySource, ProviderConfig, ProviderKind, Secret, resolve_key};
pub use error::AssistantError;
pub use finding::{FindingInput, SourceLine};
pub use prompt::{PROMPT_VERSION, Prompt};
pub use provider::{
    ANTHROPIC_VERSION, Answer, AnthropicProvider, OpenAiProvider, Provider, ProviderReply, Usage,
};
pub use suggestion::{Suggestion, Verdict};
