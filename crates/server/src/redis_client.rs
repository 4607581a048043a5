//! The optional Redis server (`redis_url`): rate-limit buckets shared by every node, one
//! atomic script per request for all its buckets, and the cache of API keys. Every key written starts with
//! `redis_prefix`.
//!
//! Keys:
//! - `PREFIX rl:BUCKET`: a hash `{t: tokens, u: updated (ms, Redis clock)}`, expiring once
//!   it would be full again;
//! - `PREFIX keys:generation`: a counter, advanced whenever a node learns that a
//!   credential changed (see [`crate::keycache`]);
//! - `PREFIX keys:GENERATION:KEYPREFIX`: an API key as authentication resolved it (JSON),
//!   expiring after the cache's time to live. Entries of an older generation are never
//!   read again.

use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{AsyncCommands, Script};
use store::TokenRate;

/// Takes one token from each bucket in turn (`KEYS[2..]`; `ARGV` the capacity and tokens
/// per second of each, in the same order) and stops at the first that has none, which is
/// left as it is: a refusal by the second bucket still spends the first one's token, as
/// two checks one after the other would. Returns `{0, "", generation}` when every bucket
/// gave a token, else `{i, level, generation}` for the i-th bucket (from 1) that refused;
/// the level as a string (Lua numbers leave Redis as integers); `generation` is the
/// key cache's (`KEYS[1]`), so that a node can check the key it has at hand in the same
/// round trip. Time is Redis's own, so nodes' clocks do not matter.
const TAKE_TOKENS: &str = r"
local generation = redis.call('GET', KEYS[1]) or '0'
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
for i = 2, #KEYS do
    local key = KEYS[i]
    local capacity = tonumber(ARGV[2 * i - 3])
    local rate = tonumber(ARGV[2 * i - 2])
    local bucket = redis.call('HMGET', key, 't', 'u')
    local tokens = tonumber(bucket[1])
    local updated = tonumber(bucket[2])
    if tokens == nil or updated == nil then
        tokens = capacity
        updated = now
    end
    tokens = math.min(capacity, tokens + math.max(0, now - updated) / 1000 * rate)
    local taken = tokens >= 1
    if taken then
        tokens = tokens - 1
    end
    redis.call('HSET', key, 't', tostring(tokens), 'u', tostring(now))
    redis.call('PEXPIRE', key, math.ceil((capacity - tokens) / rate * 1000) + 1000)
    if not taken then
        return {i - 1, tostring(tokens), generation}
    end
end
return {0, '', generation}
";

/// `KEYS[1]` the generation counter, `ARGV` the entry prefix and the key's prefix:
/// `{generation, entry or nil}`.
const CACHED_KEY: &str = r"
local generation = redis.call('GET', KEYS[1]) or '0'
return {generation, redis.call('GET', ARGV[1] .. generation .. ':' .. ARGV[2])}
";

/// A connection (re-established when lost) to the configured Redis server.
#[derive(Clone)]
pub(crate) struct SharedRedis {
    connection: ConnectionManager,
    prefix: String,
    take_tokens: Script,
    cached_key: Script,
}

impl std::fmt::Debug for SharedRedis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedRedis")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl SharedRedis {
    /// Connects to `url`; fails when the server does not answer.
    pub(crate) async fn connect(url: &str, prefix: &str) -> redis::RedisResult<Self> {
        let client = redis::Client::open(url)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(5)))
            .set_response_timeout(Some(Duration::from_secs(2)))
            .set_number_of_retries(2);
        let connection = ConnectionManager::new_with_config(client, config).await?;
        Ok(SharedRedis {
            connection,
            prefix: prefix.to_string(),
            take_tokens: Script::new(TAKE_TOKENS),
            cached_key: Script::new(CACHED_KEY),
        })
    }

    /// Takes one token from each bucket in turn, in one round trip (see [`TAKE_TOKENS`]):
    /// `None` when every bucket gave one, else the index of the bucket that refused and
    /// the seconds until it has a token; and the key cache's generation.
    pub(crate) async fn take_tokens(
        &self,
        buckets: &[(&str, &TokenRate)],
    ) -> redis::RedisResult<(Option<(usize, u64)>, u64)> {
        let mut connection = self.connection.clone();
        let mut invocation = self.take_tokens.prepare_invoke();
        invocation.key(self.generation_key());
        for (key, rate) in buckets {
            invocation
                .key(format!("{}rl:{key}", self.prefix))
                .arg(rate.capacity)
                .arg(rate.per_second);
        }
        let (refused, level, generation): (usize, String, String) =
            invocation.invoke_async(&mut connection).await?;
        let refused = refused
            .checked_sub(1)
            .and_then(|index| buckets.get(index).map(|(_, rate)| (index, rate)))
            .map(|(index, rate)| (index, rate.retry_after(level.parse().unwrap_or(0.0))));
        Ok((refused, generation.parse().unwrap_or(0)))
    }

    fn generation_key(&self) -> String {
        format!("{}keys:generation", self.prefix)
    }

    /// The cache's generation and the entry of `key_prefix` in it, if any.
    pub(crate) async fn cached_key(
        &self,
        key_prefix: &str,
    ) -> redis::RedisResult<(u64, Option<String>)> {
        let mut connection = self.connection.clone();
        let (generation, entry): (String, Option<String>) = self
            .cached_key
            .key(self.generation_key())
            .arg(format!("{}keys:", self.prefix))
            .arg(key_prefix)
            .invoke_async(&mut connection)
            .await?;
        Ok((generation.parse().unwrap_or(0), entry))
    }

    /// Caches the entry of `key_prefix` in `generation` for `ttl`.
    pub(crate) async fn cache_key(
        &self,
        generation: u64,
        key_prefix: &str,
        entry: &str,
        ttl: Duration,
    ) -> redis::RedisResult<()> {
        let mut connection = self.connection.clone();
        connection
            .set_ex::<_, _, ()>(
                format!("{}keys:{generation}:{key_prefix}", self.prefix),
                entry,
                ttl.as_secs().max(1),
            )
            .await
    }

    /// Makes every cached entry stale (they expire on their own).
    pub(crate) async fn advance_generation(&self) -> redis::RedisResult<()> {
        let mut connection = self.connection.clone();
        connection.incr::<_, _, ()>(self.generation_key(), 1).await
    }
}
