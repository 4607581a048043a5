//! Failures to fetch sources: the network, the provider's answer, or the configuration.

use crate::bundle::Provider;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request did not complete (connection refused, DNS, TLS, timeout).
    #[error("{provider}: request to {url} failed: {message}")]
    Transport {
        provider: Provider,
        /// The URL without its API key.
        url: String,
        message: String,
    },
    /// The provider answered with an HTTP status the API does not use for this request.
    #[error("{provider}: {url} answered HTTP {status}: {excerpt}")]
    Status {
        provider: Provider,
        url: String,
        status: u16,
        /// The start of the body.
        excerpt: String,
    },
    #[error("{provider}: rate limited: {message}")]
    RateLimited { provider: Provider, message: String },
    #[error("{provider}: the response is larger than the limit of {limit} bytes")]
    TooLarge { provider: Provider, limit: u64 },
    #[error("{provider}: malformed response: {message}")]
    Malformed { provider: Provider, message: String },
    /// The provider refused the request (bad key, unsupported chain, bad address).
    #[error("{provider}: request refused: {message}")]
    Refused { provider: Provider, message: String },
}
