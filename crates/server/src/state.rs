//! Shared state of the running service.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use store::{NewAuditEvent, Store};
use tokio::sync::{Notify, Semaphore};

use crate::analyzer::Analyzer;
use crate::auth::random_bytes;
use crate::config::{Secret, Settings};
use crate::error::{ApiError, ApiResult};
use crate::extract::Principal;
use crate::leases::Take;
use crate::metrics::Metrics;
use crate::ratelimit::RateLimiter;
use crate::timestamp::now_ms;

/// The rate limits a request counts against.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Limit {
    /// One API key, user or login email.
    Credential,
    /// A whole tenant.
    Tenant,
}

impl Limit {
    /// The limit's name in refusals and on the audit trail.
    pub(crate) fn scope(self) -> &'static str {
        match self {
            Limit::Credential => "credential",
            Limit::Tenant => "tenant",
        }
    }
}

pub struct AppState {
    pub settings: Settings,
    pub store: Arc<dyn Store>,
    pub analyzer: Arc<dyn Analyzer>,
    pub analyzer_version: String,
    pub secret: Secret,
    pub signer: store::trail::Signer,
    pub metrics: Metrics,
    pub key_limiter: RateLimiter,
    pub tenant_limiter: RateLimiter,
    /// API keys as authentication resolved them, for a short while.
    pub(crate) keys: crate::keycache::KeyCache,
    /// The Redis server holding rate limits and the key cache, when configured.
    pub(crate) redis: Option<crate::redis_client::SharedRedis>,
    /// Signalled on every submission so that an idle dispatcher wakes up.
    pub submitted: Notify,
    /// Signalled when a suggestion is queued, so that this node's assistant runner wakes.
    pub suggested: Notify,
    /// Running audits of this process, to stop waiting for a cancelled one.
    pub cancels: Mutex<HashMap<String, Arc<Notify>>>,
    /// Lease owner name of this process.
    pub owner: String,
    pub slots: Arc<Semaphore>,
    pub active: AtomicUsize,
    pub workers_alive: AtomicBool,
    /// What this process does (API, workers or both).
    pub role: crate::NodeRole,
    /// When a noisy event (rate limited, failed authentication) was last recorded per
    /// subject, so that an attack cannot flood the audit trail.
    noisy_events: Mutex<HashMap<String, Instant>>,
    /// When this process last recorded each API key's use (the store is written at most
    /// once a minute per key and process).
    key_uses: Mutex<HashMap<String, Instant>>,
    /// Wrong second-factor codes per user: how many since when (see
    /// [`AppState::second_factor_attempt`]).
    second_factor_failures: Mutex<HashMap<String, (u32, Instant)>>,
    /// Single sign-on providers' metadata and keys, as this node discovered them.
    pub(crate) sso: crate::sso::Discovery,
}

/// Wrong second-factor codes a user may send in [`SECOND_FACTOR_WINDOW`] (per process)
/// before further codes are refused until the window ends: with three codes valid at a
/// time out of a million, guessing stays hopeless.
pub(crate) const SECOND_FACTOR_FAILURES: u32 = 5;
pub(crate) const SECOND_FACTOR_WINDOW: Duration = Duration::from_secs(15 * 60);

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("settings", &self.settings)
            .field("owner", &self.owner)
            .finish_non_exhaustive()
    }
}

impl AppState {
    pub fn new(
        settings: Settings,
        store: Arc<dyn Store>,
        analyzer: Arc<dyn Analyzer>,
        secret: Secret,
    ) -> Self {
        let signer = store::trail::Signer::new(secret.expose().as_bytes());
        let limits = settings.rate_limits.clone();
        AppState {
            analyzer_version: analyzer.version(),
            slots: Arc::new(Semaphore::new(settings.max_concurrent_audits)),
            settings,
            store,
            analyzer,
            secret,
            signer,
            metrics: Metrics::default(),
            key_limiter: RateLimiter::new(limits.key_per_minute, limits.burst),
            keys: crate::keycache::KeyCache::default(),
            redis: None,
            tenant_limiter: RateLimiter::new(
                limits.tenant_per_minute,
                limits.burst.saturating_mul(2),
            ),
            submitted: Notify::new(),
            suggested: Notify::new(),
            cancels: Mutex::new(HashMap::new()),
            owner: format!(
                "{}-{}",
                std::process::id(),
                hex::encode(random_bytes::<6>())
            ),
            active: AtomicUsize::new(0),
            workers_alive: AtomicBool::new(false),
            role: crate::NodeRole::Combined,
            noisy_events: Mutex::new(HashMap::new()),
            key_uses: Mutex::new(HashMap::new()),
            second_factor_failures: Mutex::new(HashMap::new()),
            sso: crate::sso::Discovery::default(),
        }
    }

    /// Whether a second-factor code of `user_id` may be checked now: `Err(seconds)` to wait
    /// when the user sent [`SECOND_FACTOR_FAILURES`] wrong codes in the current window.
    pub(crate) fn second_factor_attempt(&self, user_id: &str) -> Result<(), u64> {
        let failures = self
            .second_factor_failures
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match failures.get(user_id) {
            Some(&(count, since)) if count >= SECOND_FACTOR_FAILURES => {
                let elapsed = since.elapsed();
                if elapsed < SECOND_FACTOR_WINDOW {
                    Err((SECOND_FACTOR_WINDOW - elapsed).as_secs().max(1))
                } else {
                    Ok(())
                }
            }
            _ => Ok(()),
        }
    }

    /// Counts a checked second-factor code: a right one clears the user's failures.
    pub(crate) fn second_factor_checked(&self, user_id: &str, right: bool) {
        let mut failures = self
            .second_factor_failures
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if right {
            failures.remove(user_id);
            return;
        }
        let now = Instant::now();
        let entry = failures.entry(user_id.to_owned()).or_insert((0, now));
        if now.duration_since(entry.1) >= SECOND_FACTOR_WINDOW {
            *entry = (0, now);
        }
        entry.0 += 1;
    }

    /// Records a use of an API key: in the store at most once a minute per key (and
    /// process). A failure to record it is logged, never a failed request.
    pub(crate) async fn key_used(&self, key_id: &str) {
        const EVERY: Duration = Duration::from_secs(60);
        let due = {
            let mut uses = self
                .key_uses
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let now = Instant::now();
            let due = uses
                .get(key_id)
                .is_none_or(|last| now.duration_since(*last) >= EVERY);
            if due {
                if uses.len() > 100_000 {
                    uses.retain(|_, last| now.duration_since(*last) < EVERY);
                }
                uses.insert(key_id.to_owned(), now);
            }
            due
        };
        if due {
            let now = crate::timestamp::now_ms();
            if let Err(error) = self.store.touch_api_key(key_id, now, now - 60_000).await {
                tracing::warn!(%error, "cannot record the use of an API key");
            }
        }
    }

    /// Takes one request from a rate limit; on refusal, the seconds until one is allowed.
    ///
    /// With Redis configured, the buckets live there (shared by every node; a busy
    /// client's tokens are leased to the node a few at a time, see [`crate::leases`]).
    /// Otherwise they live in this process: alone with a database it owns (SQLite),
    /// reconciled with the shared database every second (PostgreSQL; see
    /// [`crate::ratelimit`]). If Redis or the shared buckets cannot be reached, the
    /// request is allowed (by this node's buckets, when it has them) and the error logged.
    pub(crate) async fn check_rate(&self, limit: Limit, subject: &str) -> Result<(), u64> {
        self.check_rates(&[(limit, subject)])
            .await
            .0
            .map_err(|(_, retry)| retry)
    }

    /// Takes one request from each limit in turn, stopping at the first that refuses;
    /// on refusal, its index and the seconds until it allows one. With Redis this is at
    /// most one round trip for all of them (none while this node holds leases of every
    /// bucket), and the generation of the API-key cache in Redis is returned: the one the
    /// round trip read, else the one this node follows (`None` without Redis, when it
    /// cannot be reached, or while the node does not follow the generation).
    pub(crate) async fn check_rates(
        &self,
        limits: &[(Limit, &str)],
    ) -> (Result<(), (usize, u64)>, Option<u64>) {
        if let Some(redis) = &self.redis {
            return self.check_rates_in_redis(redis, limits).await;
        }
        for (index, (limit, subject)) in limits.iter().enumerate() {
            if let Err(retry) = self.check_local_rate(*limit, subject).await {
                return (Err((index, retry)), None);
            }
        }
        (Ok(()), None)
    }

    /// [`AppState::check_rates`] with Redis: tokens from this node's leases where it holds
    /// them ([`crate::leases`]), the rest in one round trip. The generation is the one the
    /// script read, else the one this node follows on its channel.
    async fn check_rates_in_redis(
        &self,
        redis: &crate::redis_client::SharedRedis,
        limits: &[(Limit, &str)],
    ) -> (Result<(), (usize, u64)>, Option<u64>) {
        let now = Instant::now();
        let buckets: Vec<(String, &store::TokenRate)> = limits
            .iter()
            .map(|(limit, subject)| {
                let (limiter, prefix) = self.limiter(*limit);
                (format!("{prefix}:{subject}"), limiter.rate())
            })
            .collect();
        let takes: Vec<Take> = buckets
            .iter()
            .map(|(key, rate)| redis.leases.take(key, rate, now))
            .collect();
        for ((key, rate), take) in buckets.iter().zip(&takes) {
            if let Take::Local { refill: Some(want) } = take {
                tokio::spawn(refill_lease(redis.clone(), key.clone(), **rate, *want));
            }
        }
        if takes.iter().all(|take| matches!(take, Take::Local { .. })) {
            return (Ok(()), redis.generation());
        }
        let asked: Vec<(&str, &store::TokenRate, u32)> = buckets
            .iter()
            .zip(&takes)
            .map(|((key, rate), take)| {
                let want = match take {
                    Take::Local { .. } => 0,
                    Take::Ask { want, .. } => *want,
                };
                (key.as_str(), *rate, want)
            })
            .collect();
        let taken = redis.take_tokens(&asked).await;
        let settled = Instant::now();
        let (granted, refused) = match &taken {
            Ok(taken) => (taken.granted.as_slice(), taken.refused),
            Err(_) => (&[][..], None),
        };
        for (index, ((key, _), take)) in buckets.iter().zip(&takes).enumerate() {
            match take {
                Take::Ask { lease: true, .. } => {
                    let granted = granted.get(index).copied().unwrap_or(0);
                    redis.leases.settle(key, granted, true, settled);
                }
                // Not reached: another bucket refused first.
                Take::Local { .. } if refused.is_some_and(|(at, _)| index > at) => {
                    redis.leases.give_back(key);
                }
                _ => {}
            }
        }
        match taken {
            Ok(taken) => (taken.refused.map_or(Ok(()), Err), Some(taken.generation)),
            Err(error) => {
                tracing::error!(%error, "cannot reach the rate limits in Redis; request allowed");
                (Ok(()), None)
            }
        }
    }

    fn limiter(&self, limit: Limit) -> (&crate::ratelimit::RateLimiter, &'static str) {
        match limit {
            Limit::Credential => (&self.key_limiter, "key"),
            Limit::Tenant => (&self.tenant_limiter, "tenant"),
        }
    }

    /// [`AppState::check_rate`] without Redis: this node's buckets, synced with the
    /// database's when it is shared.
    async fn check_local_rate(&self, limit: Limit, subject: &str) -> Result<(), u64> {
        let (limiter, prefix) = self.limiter(limit);
        let key = format!("{prefix}:{subject}");
        if !self.store.is_shared() {
            return limiter.check(&key);
        }
        if let Some(decided) = limiter.check_known(&key) {
            return decided;
        }
        // The first use of this bucket on this node: read its shared level.
        let at = Instant::now();
        match self
            .store
            .sync_rate_buckets(limiter.rate(), &[(key.clone(), 0.0)], now_ms())
            .await
        {
            Ok(levels) => {
                limiter.learn(&key, levels.first().copied().unwrap_or(0.0), at);
            }
            Err(error) => {
                tracing::error!(%error, "cannot reach the shared rate limits; this node's limit applies alone");
                limiter.learn(&key, limiter.rate().capacity, at);
            }
        }
        limiter.check(&key)
    }

    /// Appends an event to the audit trail.
    pub async fn record(
        &self,
        tenant_id: Option<&str>,
        actor: &str,
        action: &str,
        target: Option<&str>,
        outcome: &str,
        detail: serde_json::Value,
    ) -> ApiResult<()> {
        let event = NewAuditEvent {
            ts: now_ms(),
            tenant_id: tenant_id.map(str::to_string),
            actor: actor.to_string(),
            action: action.to_string(),
            target: target.map(str::to_string),
            outcome: outcome.to_string(),
            detail,
        };
        self.store
            .append_audit_event(&event, &self.signer)
            .await
            .map_err(ApiError::from)?;
        Ok(())
    }

    /// Records a request the `scope` rate limit refused (throttled, like every denial;
    /// `via` names the surface when it is not the API) and returns the sentence that
    /// tells the client.
    pub(crate) async fn rate_refused(
        &self,
        principal: &Principal,
        scope: &str,
        retry: u64,
        via: Option<&str>,
    ) -> String {
        let mut detail = serde_json::json!({ "scope": scope, "retry_after_secs": retry });
        if let Some(via) = via {
            detail["via"] = via.into();
        }
        self.record_denial(
            Some(&principal.tenant_id),
            &principal.actor,
            "rate_limited",
            None,
            detail,
        )
        .await;
        format!("the {scope} request rate limit is exceeded; retry after {retry} s")
    }

    /// Records a denial; at most once a minute per `subject` and action, and never fails
    /// the request it is about.
    pub async fn record_denial(
        &self,
        tenant_id: Option<&str>,
        actor: &str,
        action: &str,
        target: Option<&str>,
        detail: serde_json::Value,
    ) {
        self.record_throttled(tenant_id, actor, action, target, "denied", detail)
            .await;
    }

    /// Records a noisy event (one an attacker can cause at will) at most once a minute
    /// per actor and action; never fails the request it is about.
    pub async fn record_throttled(
        &self,
        tenant_id: Option<&str>,
        actor: &str,
        action: &str,
        target: Option<&str>,
        outcome: &str,
        detail: serde_json::Value,
    ) {
        let key = format!("{action}\u{0}{actor}");
        {
            let mut seen = self.noisy_events.lock().unwrap_or_else(|p| p.into_inner());
            let now = Instant::now();
            if seen.len() > 10_000 {
                seen.retain(|_, t| now.duration_since(*t) < Duration::from_secs(60));
            }
            if seen
                .get(&key)
                .is_some_and(|t| now.duration_since(*t) < Duration::from_secs(60))
            {
                return;
            }
            seen.insert(key, now);
        }
        if let Err(error) = self
            .record(tenant_id, actor, action, target, outcome, detail)
            .await
        {
            tracing::error!(error = ?error, "cannot record an event in the audit trail");
        }
    }

    /// Requires at least `role`; a refusal is answered 403 and recorded.
    /// The quotas and options of the tenant's plan, when the tenant and its plan exist.
    pub(crate) async fn tenant_plan(&self, tenant_id: &str) -> Option<crate::config::PlanQuota> {
        let tenant = self.store.get_tenant(tenant_id).await.ok()??;
        self.settings.plans.get(&tenant.plan).cloned()
    }

    /// Checks that the principal holds `permission` (see [`crate::permissions`]); a
    /// refusal is recorded as `permission.denied`.
    pub async fn require(
        &self,
        principal: &Principal,
        permission: &str,
        action: &str,
    ) -> ApiResult<()> {
        if principal.permissions.contains(permission) {
            return Ok(());
        }
        self.record(
            Some(&principal.tenant_id),
            &principal.actor,
            "permission.denied",
            None,
            "denied",
            serde_json::json!({ "attempted": action, "role": principal.role, "required": permission }),
        )
        .await?;
        Err(ApiError::forbidden(format!(
            "`{action}` needs the `{permission}` permission, which this credential (role `{}`{}) does not have",
            principal.role,
            if principal.scoped { ", scoped" } else { "" }
        )))
    }
}

/// Asks Redis for `want` more tokens of bucket `key` for this node's lease, which is
/// running low ([`crate::leases`]); a refusal only means no refill.
async fn refill_lease(
    redis: crate::redis_client::SharedRedis,
    key: String,
    rate: store::TokenRate,
    want: u32,
) {
    let granted = match redis.take_tokens(&[(key.as_str(), &rate, want)]).await {
        Ok(taken) => taken.granted.first().copied().unwrap_or(0),
        Err(error) => {
            tracing::warn!(%error, "cannot refill a lease of rate-limit tokens from Redis");
            0
        }
    };
    redis.leases.settle(&key, granted, false, Instant::now());
}
