//! The one error type: each variant is a precise note for one suggestion, never a failed
//! audit.

use std::time::Duration;

use thiserror::Error;

#[derive(Debug, Error, Clone, PartialEq)]
pub enum AssistantError {
    #[error("the assistant is not enabled for this tenant")]
    Disabled,
    #[error("assistant configuration: {0}")]
    Config(String),
    #[error("assistant API key: {0}")]
    Key(String),
    #[error(
        "daily token budget exhausted for tenant `{tenant}` on day {day}: {used} of {limit} tokens used, {requested} more requested"
    )]
    BudgetExhausted {
        tenant: String,
        day: String,
        limit: u64,
        used: u64,
        requested: u64,
    },
    #[error("the provider did not answer within {}s", .after.as_secs_f64())]
    Timeout { after: Duration },
    #[error("the provider refused the API key (HTTP {status}): {message}")]
    Unauthorized { status: u16, message: String },
    #[error("the provider rate-limited the request (HTTP 429{}): {message}", match .retry_after { Some(d) => format!(", retry after {}s", d.as_secs()), None => String::new() })]
    RateLimited {
        retry_after: Option<Duration>,
        message: String,
    },
    #[error("the provider failed (HTTP {status}): {message}")]
    ServerError { status: u16, message: String },
    #[error("the provider rejected the request (HTTP {status}): {message}")]
    Rejected { status: u16, message: String },
    #[error("cannot reach the provider: {0}")]
    Transport(String),
    #[error("the model refused to answer: {0}")]
    Refusal(String),
    #[error("the model's answer was cut off at the output token limit")]
    Truncated,
    #[error("the provider's response is not in the API's format: {0}")]
    MalformedResponse(String),
    #[error("the model's answer does not follow the suggestion schema: {0}")]
    InvalidOutput(String),
    #[error("assistant storage: {0}")]
    Storage(String),
}

impl AssistantError {
    /// Whether trying the same suggestion again later may succeed (the service's queue
    /// can retry these, after `retry_after` for a rate limit); the others need a change
    /// of configuration, budget day or prompt.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            AssistantError::Timeout { .. }
                | AssistantError::RateLimited { .. }
                | AssistantError::ServerError { .. }
                | AssistantError::Transport(_)
                | AssistantError::Storage(_)
        )
    }

    /// Whether a failed call may still have consumed tokens at the provider, so its budget
    /// reservation is kept rather than released: the request reached the model (timeout,
    /// or an answer that was refused, cut off or unusable). An HTTP error status means the
    /// provider did not run the model, and the reservation is released.
    pub fn may_have_consumed_tokens(&self) -> bool {
        matches!(
            self,
            AssistantError::Timeout { .. }
                | AssistantError::Refusal(_)
                | AssistantError::Truncated
                | AssistantError::MalformedResponse(_)
                | AssistantError::InvalidOutput(_)
        )
    }
}
