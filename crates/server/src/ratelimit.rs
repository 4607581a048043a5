//! Token buckets per API key (or user) and per tenant, kept in this process.
//!
//! A process that owns its database (SQLite) decides with its buckets alone. Processes
//! sharing a database (PostgreSQL) decide each request with their own buckets too, without
//! a round trip, and reconcile them with shared rows every [`SYNC_INTERVAL`]
//! ([`sync`]): each node adds what it consumed since its last sync to the shared bucket
//! and takes back the shared level, which holds every node's consumption. A bucket a node
//! has not used yet is read from the shared row first ([`RateLimiter::learn`]).
//!
//! The tolerance, with `N` nodes answering requests of one key or tenant: between two
//! syncs each node admits what its own copy of the bucket allows, so in one interval the
//! nodes together admit at most `(N − 1) × (burst + rate × interval)` requests more than
//! the limit. Shared levels may go below zero (down to minus the burst), so those extra
//! requests are paid back by the next ones: over a longer window the limit holds.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use store::TokenRate;
use tokio::sync::watch;

use crate::state::AppState;
use crate::timestamp::now_ms;

/// How often each node reconciles its buckets with the shared ones.
pub(crate) const SYNC_INTERVAL: Duration = Duration::from_secs(1);

/// A bucket unused for this long is forgotten by the node (a shared bucket is read again
/// at its next use).
const IDLE: Duration = Duration::from_secs(60);

/// The most buckets one statement syncs.
const SYNC_BATCH: usize = 1000;

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    updated: Instant,
    /// Tokens taken since the last sync.
    pending: f64,
    used: Instant,
}

/// A set of token buckets sharing one rate and capacity.
#[derive(Debug)]
pub struct RateLimiter {
    rate: TokenRate,
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl RateLimiter {
    pub fn new(per_minute: u32, burst: u32) -> Self {
        RateLimiter {
            rate: TokenRate::per_minute(per_minute, burst),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    pub(crate) fn rate(&self) -> &TokenRate {
        &self.rate
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Bucket>> {
        self.buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Takes one token for `key` (a bucket this process has not seen is full); on
    /// refusal, the seconds until one is available.
    pub fn check(&self, key: &str) -> Result<(), u64> {
        let now = Instant::now();
        let mut buckets = self.lock();
        if !buckets.contains_key(key) {
            self.make_room(&mut buckets, now);
            buckets.insert(key.to_string(), self.full(now));
        }
        let bucket = buckets.get_mut(key).expect("inserted above");
        self.take(bucket, now)
    }

    /// [`RateLimiter::check`] for a bucket this process knows; `None`, taking nothing,
    /// for one it has not seen (read its shared level first).
    pub fn check_known(&self, key: &str) -> Option<Result<(), u64>> {
        let now = Instant::now();
        let mut buckets = self.lock();
        let bucket = buckets.get_mut(key)?;
        Some(self.take(bucket, now))
    }

    /// Sets the level of a bucket this process has not seen, as read at `at` from the
    /// shared row; a bucket learnt meanwhile (by a concurrent request) is left alone.
    pub fn learn(&self, key: &str, level: f64, at: Instant) {
        let mut buckets = self.lock();
        if buckets.contains_key(key) {
            return;
        }
        self.make_room(&mut buckets, at);
        buckets.insert(
            key.to_string(),
            Bucket {
                tokens: level.min(self.rate.capacity),
                updated: at,
                pending: 0.0,
                used: at,
            },
        );
    }

    fn full(&self, now: Instant) -> Bucket {
        Bucket {
            tokens: self.rate.capacity,
            updated: now,
            pending: 0.0,
            used: now,
        }
    }

    fn take(&self, bucket: &mut Bucket, now: Instant) -> Result<(), u64> {
        let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * self.rate.per_second).min(self.rate.capacity);
        bucket.updated = now;
        bucket.used = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            bucket.pending += 1.0;
            Ok(())
        } else {
            Err(self.rate.retry_after(bucket.tokens))
        }
    }

    /// Keeps memory bounded: past 100,000 buckets, forgets those idle or full.
    fn make_room(&self, buckets: &mut HashMap<String, Bucket>, now: Instant) {
        if buckets.len() > 100_000 {
            let rate = self.rate.per_second;
            let capacity = self.rate.capacity;
            buckets.retain(|_, b| {
                now.saturating_duration_since(b.used) < IDLE
                    && b.tokens + now.saturating_duration_since(b.updated).as_secs_f64() * rate
                        < capacity
            });
        }
    }

    /// What to add to the shared buckets: the tokens each bucket used in the last
    /// [`IDLE`] took since the last sync (moved out, possibly zero: its level is still
    /// read back), as of the returned instant. Forgets buckets idle for longer.
    fn take_pending(&self) -> (Instant, Vec<(String, f64)>) {
        let now = Instant::now();
        let mut buckets = self.lock();
        buckets.retain(|_, b| b.pending > 0.0 || now.saturating_duration_since(b.used) < IDLE);
        let consumed = buckets
            .iter_mut()
            .map(|(key, bucket)| (key.clone(), std::mem::take(&mut bucket.pending)))
            .collect();
        (now, consumed)
    }

    /// Sets each bucket to its shared `level` as of `at`, less what it took since.
    fn apply_synced(&self, at: Instant, keys: &[(String, f64)], levels: &[f64]) {
        let mut buckets = self.lock();
        for ((key, _), level) in keys.iter().zip(levels) {
            if let Some(bucket) = buckets.get_mut(key) {
                bucket.tokens = (level - bucket.pending).min(self.rate.capacity);
                bucket.updated = at;
            }
        }
    }

    /// Gives back consumption a failed sync did not record, for the next sync.
    fn restore_pending(&self, consumed: &[(String, f64)]) {
        let mut buckets = self.lock();
        for (key, used) in consumed {
            if let Some(bucket) = buckets.get_mut(key) {
                bucket.pending += used;
            }
        }
    }
}

/// Reconciles this node's buckets with the shared ones every [`SYNC_INTERVAL`] until
/// `stop`.
pub(crate) async fn sync(state: Arc<AppState>, mut stop: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(SYNC_INTERVAL) => {}
            _ = stop.changed() => return,
        }
        for limiter in [&state.key_limiter, &state.tenant_limiter] {
            sync_once(state.store.as_ref(), limiter).await;
        }
    }
}

/// One reconciliation of `limiter` with the shared buckets; a failure is logged and the
/// consumption kept for the next one.
pub(crate) async fn sync_once(store: &dyn store::Store, limiter: &RateLimiter) {
    let (at, consumed) = limiter.take_pending();
    let now = now_ms();
    for batch in consumed.chunks(SYNC_BATCH) {
        match store.sync_rate_buckets(limiter.rate(), batch, now).await {
            Ok(levels) => limiter.apply_synced(at, batch, &levels),
            Err(error) => {
                tracing::warn!(%error, "cannot sync rate limits with the database; retried at the next sync");
                limiter.restore_pending(batch);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_after_burst_and_says_when_to_retry() {
        let limiter = RateLimiter::new(60, 3);
        for _ in 0..3 {
            assert!(limiter.check("k").is_ok());
        }
        assert_eq!(limiter.check("k"), Err(1));
        assert!(limiter.check("other").is_ok());
    }

    #[test]
    fn a_bucket_follows_the_shared_level_less_what_it_took_since() {
        let limiter = RateLimiter::new(60, 10);
        assert_eq!(limiter.check_known("k"), None);
        limiter.learn("k", 2.0, Instant::now());
        assert_eq!(limiter.check_known("k"), Some(Ok(())));
        let (at, consumed) = limiter.take_pending();
        assert_eq!(consumed, vec![("k".to_string(), 1.0)]);
        assert_eq!(limiter.check_known("k"), Some(Ok(())));
        // Another node spent the bucket: the shared level is below zero.
        limiter.apply_synced(at, &consumed, &[-3.0]);
        assert!(matches!(limiter.check_known("k"), Some(Err(_))));
        let (_, consumed) = limiter.take_pending();
        assert_eq!(consumed, vec![("k".to_string(), 1.0)]);
        limiter.restore_pending(&consumed);
        assert_eq!(limiter.take_pending().1, vec![("k".to_string(), 1.0)]);
    }
}
