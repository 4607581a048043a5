//! The suggestion cache. The key covers everything that makes an answer differ: tenant,
//! finding fingerprint, provider kind, model, prompt version and a hash of the whole
//! prompt (instructions, finding data with its snippet and context, schema).

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::assistant::Outcome;
use crate::config::ProviderKind;
use crate::error::AssistantError;
use crate::prompt::PROMPT_VERSION;

/// Hex SHA-256 of the key's parts; the service can store it as a text primary key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CacheKey(pub String);

impl CacheKey {
    pub fn new(
        tenant: &str,
        fingerprint: &str,
        kind: ProviderKind,
        model: &str,
        prompt_digest: &str,
    ) -> CacheKey {
        let mut h = Sha256::new();
        let version = PROMPT_VERSION.to_string();
        for part in [
            tenant,
            fingerprint,
            kind.as_str(),
            model,
            &version,
            prompt_digest,
        ] {
            h.update((part.len() as u64).to_be_bytes());
            h.update(part.as_bytes());
        }
        CacheKey(hex::encode(h.finalize()))
    }
}

#[async_trait]
pub trait SuggestionCache: Send + Sync {
    async fn get(&self, key: &CacheKey) -> Result<Option<Outcome>, AssistantError>;
    async fn put(&self, key: &CacheKey, outcome: &Outcome) -> Result<(), AssistantError>;
}

/// A process-local cache (tests, the example, a single-process deployment).
#[derive(Debug, Default)]
pub struct InMemoryCache {
    entries: Mutex<HashMap<CacheKey, Outcome>>,
}

impl InMemoryCache {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn len(&self) -> usize {
        self.entries.lock().map(|m| m.len()).unwrap_or(0)
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[async_trait]
impl SuggestionCache for InMemoryCache {
    async fn get(&self, key: &CacheKey) -> Result<Option<Outcome>, AssistantError> {
        let entries = self
            .entries
            .lock()
            .map_err(|_| AssistantError::Storage("cache lock poisoned".into()))?;
        Ok(entries.get(key).cloned())
    }
    async fn put(&self, key: &CacheKey, outcome: &Outcome) -> Result<(), AssistantError> {
        let mut entries = self
            .entries
            .lock()
            .map_err(|_| AssistantError::Storage("cache lock poisoned".into()))?;
        entries.insert(key.clone(), outcome.clone());
        Ok(())
    }
}
