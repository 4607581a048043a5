//! Blocking GET with a timeout and a body size limit.

use ureq::Agent;

use crate::bundle::Provider;
use crate::config::SourcesConfig;
use crate::error::Error;

pub(crate) struct Client {
    agent: Agent,
    limit: u64,
}

/// An answer: the HTTP status and the body as text.
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) body: String,
}

impl Client {
    pub(crate) fn new(config: &SourcesConfig) -> Client {
        let agent: Agent = Agent::config_builder()
            .timeout_global(Some(config.timeout()))
            .http_status_as_error(false)
            .build()
            .into();
        Client {
            agent,
            limit: config.max_response_bytes,
        }
    }

    /// GETs `url`; `shown` is the URL as errors may print it (without secrets).
    pub(crate) fn get(&self, provider: Provider, url: &str, shown: &str) -> Result<Answer, Error> {
        let transport = |message: String| Error::Transport {
            provider,
            url: shown.to_string(),
            message,
        };
        let mut response = self
            .agent
            .get(url)
            .header("Accept", "application/json")
            .call()
            .map_err(|e| transport(scrub(&e.to_string(), url, shown)))?;
        let status = response.status().as_u16();
        let body = response
            .body_mut()
            .with_config()
            .limit(self.limit)
            .read_to_vec()
            .map_err(|e| match e {
                ureq::Error::BodyExceedsLimit(_) => Error::TooLarge {
                    provider,
                    limit: self.limit,
                },
                other => transport(scrub(&other.to_string(), url, shown)),
            })?;
        Ok(Answer {
            status,
            body: String::from_utf8_lossy(&body).into_owned(),
        })
    }
}

/// Replaces the secret-bearing URL by its shown form in a message.
fn scrub(message: &str, url: &str, shown: &str) -> String {
    message.replace(url, shown)
}

/// The first characters of a body, for error messages.
pub(crate) fn excerpt(body: &str) -> String {
    const MAX: usize = 200;
    let trimmed = body.trim();
    match trimmed.char_indices().nth(MAX) {
        Some((at, _)) => format!("{}…", &trimmed[..at]),
        None => trimmed.to_string(),
    }
}
