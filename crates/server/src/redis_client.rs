//! The optional Redis server (`redis_url`): rate-limit buckets shared by every node (at
//! most one atomic script per request for all its buckets, none while the node holds
//! leases of them, see [`crate::leases`]), and the cache of API keys. Every key written
//! starts with `redis_prefix`.
//!
//! Keys:
//! - `PREFIX rl:BUCKET`: a hash `{t: tokens, u: updated (ms, Redis clock)}`, expiring once
//!   it would be full again;
//! - `PREFIX keys:generation`: a counter, advanced whenever a node learns that a
//!   credential changed (see [`crate::keycache`]); each new value is also published on
//!   the channel of the same name, which every API node follows;
//! - `PREFIX keys:GENERATION:KEYPREFIX`: an API key as authentication resolved it (JSON),
//!   expiring after the cache's time to live. Entries of an older generation are never
//!   read again.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use futures_util::StreamExt;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{AsyncCommands, Script};
use store::TokenRate;
use tokio::sync::watch;

use crate::leases::Leases;

/// How often a node checks that its subscription to the key cache's channel still
/// answers; a silent connection is dropped and subscribed again.
const PING_EVERY: Duration = Duration::from_secs(5);

fn timed_out(_: tokio::time::error::Elapsed) -> redis::RedisError {
    redis::RedisError::from((redis::ErrorKind::Io, "Redis did not answer in time"))
}

/// Takes tokens from each bucket in turn (`KEYS[2..]`; `ARGV` the capacity, tokens per
/// second and tokens wanted of each, in the same order) and stops at the first that has
/// not one token, which is left as it is: a refusal by the second bucket still spends the
/// first one's tokens, as two checks one after the other would. A bucket gives what it
/// has up to what is wanted; one wanting none is not touched (the node holds a lease of
/// it). Returns `{0, "", generation, granted}` when every bucket gave, else `{i, level,
/// generation, granted}` for the i-th bucket (from 1) that refused; `granted` what each
/// bucket before it gave; the level as a string (Lua numbers leave Redis as integers);
/// `generation` is the key cache's (`KEYS[1]`), so that a node can check the key it has
/// at hand in the same round trip. Time is Redis's own, so nodes' clocks do not matter.
const TAKE_TOKENS: &str = r"
local generation = redis.call('GET', KEYS[1]) or '0'
local granted = {}
local now = nil
for i = 2, #KEYS do
    local key = KEYS[i]
    local capacity = tonumber(ARGV[3 * i - 5])
    local rate = tonumber(ARGV[3 * i - 4])
    local want = tonumber(ARGV[3 * i - 3])
    local given = 0
    if want > 0 then
        if now == nil then
            local time = redis.call('TIME')
            now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
        end
        local bucket = redis.call('HMGET', key, 't', 'u')
        local tokens = tonumber(bucket[1])
        local updated = tonumber(bucket[2])
        if tokens == nil or updated == nil then
            tokens = capacity
            updated = now
        end
        tokens = math.min(capacity, tokens + math.max(0, now - updated) / 1000 * rate)
        if tokens >= 1 then
            given = math.min(want, math.floor(tokens))
            tokens = tokens - given
        end
        redis.call('HSET', key, 't', tostring(tokens), 'u', tostring(now))
        redis.call('PEXPIRE', key, math.ceil((capacity - tokens) / rate * 1000) + 1000)
        if given == 0 then
            return {i - 1, tostring(tokens), generation, granted}
        end
    end
    granted[#granted + 1] = given
end
return {0, '', generation, granted}
";

/// `KEYS[1]` the generation counter: advances it and announces the new value on the
/// channel of the same name.
const ADVANCE_GENERATION: &str = r"
local generation = redis.call('INCR', KEYS[1])
redis.call('PUBLISH', KEYS[1], generation)
return generation
";

/// `KEYS[1]` the generation counter, `ARGV` the entry prefix and the key's prefix:
/// `{generation, entry or nil}`.
const CACHED_KEY: &str = r"
local generation = redis.call('GET', KEYS[1]) or '0'
return {generation, redis.call('GET', ARGV[1] .. generation .. ':' .. ARGV[2])}
";

/// The key cache's generation as this node follows it on its channel.
#[derive(Debug, Default)]
struct GenerationWatch {
    generation: AtomicU64,
    /// Subscribed, and `generation` read after the subscription began: every later move
    /// arrives on the channel.
    live: AtomicBool,
}

/// What [`SharedRedis::take_tokens`] found.
#[derive(Debug)]
pub(crate) struct Taken {
    /// The tokens each bucket gave, up to the one that refused.
    pub granted: Vec<u32>,
    /// The index of the bucket that refused and the seconds until it has a token.
    pub refused: Option<(usize, u64)>,
    /// The key cache's generation.
    pub generation: u64,
}

/// A connection (re-established when lost) to the configured Redis server, and what this
/// node keeps of it: its leases of rate-limit tokens and the key cache's generation.
#[derive(Clone)]
pub(crate) struct SharedRedis {
    client: redis::Client,
    connection: ConnectionManager,
    prefix: String,
    take_tokens: Script,
    cached_key: Script,
    advance_generation: Script,
    watch: Arc<GenerationWatch>,
    pub(crate) leases: Arc<Leases>,
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
        let connection = ConnectionManager::new_with_config(client.clone(), config).await?;
        Ok(SharedRedis {
            client,
            connection,
            prefix: prefix.to_string(),
            take_tokens: Script::new(TAKE_TOKENS),
            cached_key: Script::new(CACHED_KEY),
            advance_generation: Script::new(ADVANCE_GENERATION),
            watch: Arc::default(),
            leases: Arc::default(),
        })
    }

    /// Takes from each bucket in turn the tokens wanted of it, in one round trip (see
    /// [`TAKE_TOKENS`]); with the key cache's generation.
    pub(crate) async fn take_tokens(
        &self,
        buckets: &[(&str, &TokenRate, u32)],
    ) -> redis::RedisResult<Taken> {
        let mut connection = self.connection.clone();
        let mut invocation = self.take_tokens.prepare_invoke();
        invocation.key(self.generation_key());
        for (key, rate, want) in buckets {
            invocation
                .key(format!("{}rl:{key}", self.prefix))
                .arg(rate.capacity)
                .arg(rate.per_second)
                .arg(*want);
        }
        let (refused, level, generation, granted): (usize, String, String, Vec<u32>) =
            invocation.invoke_async(&mut connection).await?;
        let refused = refused
            .checked_sub(1)
            .and_then(|index| buckets.get(index).map(|(_, rate, _)| (index, rate)))
            .map(|(index, rate)| (index, rate.retry_after(level.parse().unwrap_or(0.0))));
        Ok(Taken {
            granted,
            refused,
            generation: generation.parse().unwrap_or(0),
        })
    }

    /// The key cache's generation, while this node follows its channel
    /// ([`SharedRedis::watch_generation`]); `None` when it may have missed a move.
    pub(crate) fn generation(&self) -> Option<u64> {
        self.watch
            .live
            .load(Ordering::Acquire)
            .then(|| self.watch.generation.load(Ordering::Acquire))
    }

    /// Follows the key cache's generation on its channel until `stop`, subscribing again
    /// (after a second) whenever the connection is lost. While it is not subscribed,
    /// [`SharedRedis::generation`] is `None` and requests read the generation in Redis.
    pub(crate) async fn watch_generation(self, mut stop: watch::Receiver<bool>) {
        loop {
            let followed = tokio::select! {
                followed = self.follow_generation() => followed,
                _ = stop.changed() => return,
            };
            self.watch.live.store(false, Ordering::Release);
            if let Err(error) = followed {
                tracing::warn!(%error, "lost the key cache's channel in Redis; subscribing again");
            }
            tokio::select! {
                () = tokio::time::sleep(Duration::from_secs(1)) => {}
                _ = stop.changed() => return,
            }
        }
    }

    /// Subscribes to the generation's channel, reads the generation, then follows the
    /// channel (pinging every [`PING_EVERY`]) until the connection fails.
    async fn follow_generation(&self) -> redis::RedisResult<()> {
        let pubsub = tokio::time::timeout(Duration::from_secs(5), self.client.get_async_pubsub())
            .await
            .map_err(timed_out)??;
        let (mut sink, mut messages) = pubsub.split();
        tokio::time::timeout(
            Duration::from_secs(5),
            sink.subscribe(self.generation_key()),
        )
        .await
        .map_err(timed_out)??;
        // Read after subscribing: a move after this read arrives as a message, handled
        // after the value read is stored.
        let mut connection = self.connection.clone();
        let current: Option<u64> = connection.get(self.generation_key()).await?;
        self.watch
            .generation
            .store(current.unwrap_or(0), Ordering::Release);
        self.watch.live.store(true, Ordering::Release);
        let mut ping = tokio::time::interval(PING_EVERY);
        ping.tick().await;
        loop {
            tokio::select! {
                message = messages.next() => {
                    let Some(message) = message else {
                        return Err(redis::RedisError::from((
                            redis::ErrorKind::Io,
                            "the subscription ended",
                        )));
                    };
                    if let Ok(generation) = message.get_payload::<u64>() {
                        self.watch.generation.fetch_max(generation, Ordering::AcqRel);
                    }
                }
                _ = ping.tick() => {
                    tokio::time::timeout(Duration::from_secs(2), sink.ping::<redis::Value>())
                        .await
                        .map_err(timed_out)??;
                }
            }
        }
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

    /// Makes every cached entry stale (they expire on their own), and tells every node
    /// following the channel.
    pub(crate) async fn advance_generation(&self) -> redis::RedisResult<()> {
        let mut connection = self.connection.clone();
        self.advance_generation
            .key(self.generation_key())
            .invoke_async::<u64>(&mut connection)
            .await
            .map(drop)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;

    /// A node stays subscribed past its pings and follows every announced move.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_generation_is_followed_across_pings() {
        let Ok(url) = std::env::var("WEB3AUDIT_TEST_REDIS_URL") else {
            eprintln!("skipped: WEB3AUDIT_TEST_REDIS_URL is not set (.ci/run sets it)");
            return;
        };
        let prefix = format!("w3a-test:watch:{}:", std::process::id());
        let redis = SharedRedis::connect(&url, &prefix).await.unwrap();
        let (stop, stopped) = watch::channel(false);
        let watching = tokio::spawn(redis.clone().watch_generation(stopped));
        let started = Instant::now();
        while redis.generation().is_none() {
            assert!(
                started.elapsed() < Duration::from_secs(5),
                "never subscribed"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let first = redis.generation().unwrap();
        let until = Instant::now() + PING_EVERY * 2 + Duration::from_millis(500);
        while Instant::now() < until {
            assert!(redis.generation().is_some(), "the subscription was dropped");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        redis.advance_generation().await.unwrap();
        let started = Instant::now();
        while redis.generation() != Some(first + 1) {
            assert!(
                started.elapsed() < Duration::from_secs(2),
                "the move never arrived"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        stop.send(true).unwrap();
        watching.await.unwrap();
        let mut connection = redis.connection.clone();
        connection
            .del::<_, ()>(redis.generation_key())
            .await
            .unwrap();
    }
}
