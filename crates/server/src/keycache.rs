//! API keys as authentication resolves them (the key, its owner's state, the permissions
//! it grants), cached for [`KEY_CACHE_TTL`] so that a request with a known key makes no
//! round trip to the database for it.
//!
//! A cached entry belongs to a generation of credentials (see
//! [`store::Store::credential_generation`]): the store advances it on every change to a
//! key or a user, this process's own at once and (PostgreSQL) other processes' as their
//! `NOTIFY` arrives, so a revoked key, a disabled owner or a changed role is refused on
//! every node as soon as the change is seen, not at the end of the time to live. While the
//! store cannot see other processes' changes (the notification connection is down),
//! nothing is served from the cache.
//!
//! With Redis configured the entries live there, shared by every node; each node advances
//! the Redis generation when it sees its store's generation move, and an entry is only
//! read under the current Redis generation. A node also keeps the entries it read, each
//! with its Redis generation, and uses one again only while the Redis generation is still
//! that one: as the request's rate-limit script read it, when the request makes that
//! round trip, else as the node follows it. Every node advancing the generation announces
//! the new value on a channel of the same name, which each API node follows
//! ([`crate::redis_client::SharedRedis::watch_generation`]); while a node is not
//! subscribed, its kept entries are read again from Redis.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::error::ApiError;
use crate::extract::role_permissions;
use crate::permissions::Permissions;
use crate::state::AppState;

/// How long a resolved key is used without asking the database again (changes seen
/// through the credential generation end it sooner).
pub(crate) const KEY_CACHE_TTL: Duration = Duration::from_secs(15);

/// The most entries kept in this process.
const MAX_ENTRIES: usize = 100_000;

/// An API key as authentication needs it.
#[derive(Debug, Clone)]
pub(crate) struct ResolvedKey {
    pub id: String,
    pub tenant_id: String,
    pub user_id: Option<String>,
    pub role: String,
    pub secret_hash: String,
    pub revoked: bool,
    pub expires_at: Option<i64>,
    pub scoped: bool,
    /// The owner is disabled or removed.
    pub owner_disabled: bool,
    /// What the key may do: its role's permissions, narrowed by its scopes and its
    /// owner's.
    pub permissions: Permissions,
}

/// [`ResolvedKey`] as stored in Redis: permissions by name, so that nodes of different
/// releases read it alike.
#[derive(Serialize, Deserialize)]
struct StoredKey {
    id: String,
    tenant_id: String,
    user_id: Option<String>,
    role: String,
    secret_hash: String,
    revoked: bool,
    expires_at: Option<i64>,
    scoped: bool,
    owner_disabled: bool,
    permissions: Vec<String>,
}

impl From<&ResolvedKey> for StoredKey {
    fn from(key: &ResolvedKey) -> Self {
        StoredKey {
            id: key.id.clone(),
            tenant_id: key.tenant_id.clone(),
            user_id: key.user_id.clone(),
            role: key.role.clone(),
            secret_hash: key.secret_hash.clone(),
            revoked: key.revoked,
            expires_at: key.expires_at,
            scoped: key.scoped,
            owner_disabled: key.owner_disabled,
            permissions: key
                .permissions
                .names()
                .into_iter()
                .map(str::to_string)
                .collect(),
        }
    }
}

impl StoredKey {
    fn resolved(self) -> Option<ResolvedKey> {
        Some(ResolvedKey {
            permissions: Permissions::from_names(&self.permissions).ok()?,
            id: self.id,
            tenant_id: self.tenant_id,
            user_id: self.user_id,
            role: self.role,
            secret_hash: self.secret_hash,
            revoked: self.revoked,
            expires_at: self.expires_at,
            scoped: self.scoped,
            owner_disabled: self.owner_disabled,
        })
    }
}

#[derive(Debug)]
struct Entry {
    key: ResolvedKey,
    generation: u64,
    /// With Redis: the generation of the Redis cache the entry was read under.
    redis_generation: Option<u64>,
    cached: Instant,
}

/// What [`KeyCache::resolve`] found.
#[derive(Debug)]
pub(crate) struct Resolution {
    /// The key with the prefix; `None` when there is none.
    pub key: Option<ResolvedKey>,
    /// With Redis, a key this process kept from an earlier request, read under this
    /// Redis generation: it holds only if the generation the request's rate-limit script
    /// reads (the same round trip) is still this one. `None` when the key was read from
    /// Redis or the database for this request.
    pub unconfirmed: Option<u64>,
}

/// The cache of resolved API keys of this process.
#[derive(Debug)]
pub(crate) struct KeyCache {
    entries: Mutex<HashMap<String, Entry>>,
    /// The store generation this process last passed on to Redis.
    redis_seen: AtomicU64,
}

impl Default for KeyCache {
    fn default() -> Self {
        KeyCache {
            entries: Mutex::new(HashMap::new()),
            redis_seen: AtomicU64::new(u64::MAX),
        }
    }
}

impl KeyCache {
    /// The key with this public prefix, from the cache or the database; `None` when
    /// there is no such key.
    ///
    /// With Redis, a key this process read from Redis before (and that it would admit) is
    /// used again without a round trip, [unconfirmed](Resolution::unconfirmed): the
    /// caller checks the Redis generation in the request's rate-limit script, and calls
    /// [`KeyCache::forget`] and this again when it moved.
    pub(crate) async fn resolve(
        &self,
        state: &AppState,
        prefix: &str,
    ) -> Result<Resolution, ApiError> {
        let confirmed = |key| Resolution {
            key,
            unconfirmed: None,
        };
        let Some(generation) = state.store.credential_generation() else {
            return resolve_key(state, prefix).await.map(confirmed);
        };
        {
            let entries = self.lock();
            if let Some(entry) = entries.get(prefix)
                && entry.generation == generation
                && entry.cached.elapsed() < KEY_CACHE_TTL
            {
                match (&state.redis, entry.redis_generation) {
                    (None, _) => return Ok(confirmed(Some(entry.key.clone()))),
                    // A key that would be refused is always read again: its refusal must
                    // not rest on an unconfirmed copy.
                    (Some(_), Some(redis_generation)) if admissible(&entry.key) => {
                        return Ok(Resolution {
                            key: Some(entry.key.clone()),
                            unconfirmed: Some(redis_generation),
                        });
                    }
                    (Some(_), _) => {}
                }
            }
        }
        let (resolved, redis_generation) = match &state.redis {
            Some(redis) => {
                self.resolve_in_redis(state, redis, generation, prefix)
                    .await?
            }
            None => (resolve_key(state, prefix).await?, None),
        };
        if let Some(key) = &resolved
            // Changed while it was read: it may be stale already.
            && state.store.credential_generation() == Some(generation)
            && (state.redis.is_none() || redis_generation.is_some())
        {
            let mut entries = self.lock();
            if entries.len() >= MAX_ENTRIES {
                entries.retain(|_, e| {
                    e.generation == generation && e.cached.elapsed() < KEY_CACHE_TTL
                });
                if entries.len() >= MAX_ENTRIES {
                    entries.clear();
                }
            }
            entries.insert(
                prefix.to_string(),
                Entry {
                    key: key.clone(),
                    generation,
                    redis_generation,
                    cached: Instant::now(),
                },
            );
        }
        Ok(confirmed(resolved))
    }

    /// Drops this process's copy of the key with `prefix` (its Redis generation moved).
    pub(crate) fn forget(&self, prefix: &str) {
        self.lock().remove(prefix);
    }

    /// The key from Redis's cache, or from the database (then written to Redis's cache);
    /// with the Redis generation it holds under (`None` when Redis could not be asked).
    async fn resolve_in_redis(
        &self,
        state: &AppState,
        redis: &crate::redis_client::SharedRedis,
        generation: u64,
        prefix: &str,
    ) -> Result<(Option<ResolvedKey>, Option<u64>), ApiError> {
        let passed_on = async {
            if self.redis_seen.load(Ordering::Acquire) != generation {
                redis.advance_generation().await?;
                self.redis_seen.store(generation, Ordering::Release);
            }
            redis.cached_key(prefix).await
        }
        .await;
        let redis_generation = match passed_on {
            Ok((redis_generation, Some(entry))) => {
                if let Some(key) = serde_json::from_str::<StoredKey>(&entry)
                    .ok()
                    .and_then(StoredKey::resolved)
                {
                    return Ok((Some(key), Some(redis_generation)));
                }
                redis_generation
            }
            Ok((redis_generation, None)) => redis_generation,
            Err(error) => {
                tracing::warn!(%error, "cannot reach the key cache in Redis; the database answers");
                return Ok((resolve_key(state, prefix).await?, None));
            }
        };
        let resolved = resolve_key(state, prefix).await?;
        if let Some(key) = &resolved
            && state.store.credential_generation() == Some(generation)
        {
            let entry = serde_json::to_string(&StoredKey::from(key)).map_err(ApiError::internal)?;
            if let Err(error) = redis
                .cache_key(redis_generation, prefix, &entry, KEY_CACHE_TTL)
                .await
            {
                tracing::warn!(%error, "cannot write the key cache in Redis");
            }
        }
        Ok((resolved, Some(redis_generation)))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A key that authentication would admit (its secret aside): not revoked, not expired,
/// its owner enabled.
fn admissible(key: &ResolvedKey) -> bool {
    !key.revoked
        && !key.owner_disabled
        && key
            .expires_at
            .is_none_or(|at| at > crate::timestamp::now_ms())
}

/// Reads the key with this prefix, its owner and the permissions it grants.
async fn resolve_key(state: &AppState, prefix: &str) -> Result<Option<ResolvedKey>, ApiError> {
    let Some(stored) = state.store.find_api_key_by_prefix(prefix).await? else {
        return Ok(None);
    };
    let mut granted = role_permissions(state, &stored.tenant_id, &stored.role).await?;
    if let Some(scopes) = &stored.scopes {
        granted = granted.intersect(Permissions::from_names(scopes).map_err(ApiError::internal)?);
    }
    // A key never does more than its owner may do now.
    let mut owner_disabled = false;
    if let Some(owner) = &stored.user_id {
        match state
            .store
            .get_user(&stored.tenant_id, owner)
            .await?
            .filter(|u| !u.disabled)
        {
            Some(user) => {
                granted =
                    granted.intersect(role_permissions(state, &user.tenant_id, &user.role).await?);
            }
            None => owner_disabled = true,
        }
    }
    Ok(Some(ResolvedKey {
        id: stored.id,
        tenant_id: stored.tenant_id,
        user_id: stored.user_id,
        role: stored.role,
        secret_hash: stored.secret_hash,
        revoked: stored.revoked_at.is_some(),
        expires_at: stored.expires_at,
        scoped: stored.scopes.is_some(),
        owner_disabled,
        permissions: granted,
    }))
}
