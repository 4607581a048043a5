//! This node's leases of rate-limit tokens from the buckets in Redis.
//!
//! With Redis every request would otherwise run the token script once. A key or tenant
//! that sends many requests gets its tokens in leases instead: when the node has no
//! tokens of a bucket, the next request takes a lease in its round trip (one token for
//! itself, the rest for the requests that follow on this node); once a lease is down to
//! a quarter, the node refills it in the background, so that the requests in between do
//! not wait for Redis. A busy client costs Redis about one script per lease, not one per
//! request.
//!
//! The limits stay exact in one direction: a leased token has left the shared bucket, so
//! the nodes together never admit more than the bucket holds. The tolerance is the other
//! way: a node holds at most `most` tokens of a bucket (a sixteenth of its burst, at most
//! [`MAX_LEASE`]), dropped [`LEASE_LIFE`] after the lease was last filled, so a client
//! whose requests move to another node can be refused that many requests early, and
//! tokens left when a client stops are lost. A lease starts at one token (every request
//! asks Redis, as without leases) and doubles each time the previous one was spent (to a
//! quarter, once refilled early) within [`QUICK`]; one left unspent until it expires
//! halves the next. Buckets with a burst under 32 are never leased.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use store::TokenRate;

/// How long leased tokens may be used; what is left then is dropped.
pub(crate) const LEASE_LIFE: Duration = Duration::from_secs(1);

/// The most tokens of one bucket a node leases at a time.
pub(crate) const MAX_LEASE: u32 = 64;

/// A lease spent within this long makes the next one twice as large.
const QUICK: Duration = Duration::from_millis(100);

/// A request that asked for a lease this long ago and never settled it (it was dropped,
/// its client gone) no longer holds the next one back.
const ABANDONED: Duration = Duration::from_secs(10);

/// The most buckets a node keeps leases of; past it, leases older than a minute go.
const MAX_ENTRIES: usize = 100_000;

/// What a request does about one bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Take {
    /// It took a token from this node's lease; with `refill`, the lease is low and this
    /// request asks Redis (in the background) for that many tokens more, all for the
    /// lease (settle them with [`Leases::settle`], `own` false).
    Local { refill: Option<u32> },
    /// It asks Redis for `want` tokens; with `lease`, the ones beyond its own are the
    /// node's next lease (settle them with [`Leases::settle`], `own` true).
    Ask { want: u32, lease: bool },
}

#[derive(Debug)]
struct Lease {
    tokens: u32,
    granted: Option<Instant>,
    size: u32,
    /// Since when a request has been asking Redis for this bucket's next lease.
    asking: Option<Instant>,
}

impl Lease {
    /// Starts asking for the next lease: twice the size when the last was spent within
    /// [`QUICK`] of being filled (`age`), never more than `most`; returns the size.
    fn ask_next(&mut self, age: Duration, most: u32, now: Instant) -> u32 {
        if age < QUICK {
            self.size = self.size.saturating_mul(2);
        }
        self.size = self.size.min(most);
        self.asking = Some(now);
        self.size
    }
}

/// The leases of this node, by bucket.
#[derive(Debug, Default)]
pub(crate) struct Leases {
    held: Mutex<HashMap<String, Lease>>,
}

impl Leases {
    /// The most tokens of a bucket of `rate` a node holds: a sixteenth of the burst,
    /// between 1 and [`MAX_LEASE`].
    pub(crate) fn most(rate: &TokenRate) -> u32 {
        // `as` rounds down.
        (rate.capacity / 16.0).clamp(1.0, f64::from(MAX_LEASE)) as u32
    }

    /// Takes a token of bucket `key` from this node's lease when it holds one, else says
    /// how many to ask Redis for. While one request asks for the next lease (or its
    /// refill), the others ask for their own token only, so a node never holds more than
    /// [`Leases::most`].
    pub(crate) fn take(&self, key: &str, rate: &TokenRate, now: Instant) -> Take {
        let most = Self::most(rate);
        if most == 1 {
            return Take::Ask {
                want: 1,
                lease: false,
            };
        }
        let mut held = self.lock();
        if held.len() >= MAX_ENTRIES && !held.contains_key(key) {
            held.retain(|_, lease| {
                lease.asking.is_some()
                    || lease
                        .granted
                        .is_some_and(|at| now.saturating_duration_since(at) < 60 * LEASE_LIFE)
            });
        }
        let lease = held.entry(key.to_string()).or_insert(Lease {
            tokens: 0,
            granted: None,
            size: 1,
            asking: None,
        });
        let age = lease
            .granted
            .map(|at| now.saturating_duration_since(at))
            .unwrap_or(Duration::MAX);
        if lease.tokens > 0 && age >= LEASE_LIFE {
            lease.tokens = 0;
            lease.size = (lease.size / 2).max(1);
        }
        let asking = lease
            .asking
            .is_some_and(|since| now.saturating_duration_since(since) < ABANDONED);
        if lease.tokens > 0 {
            lease.tokens -= 1;
            if asking || lease.size < 4 || lease.tokens > lease.size / 4 {
                return Take::Local { refill: None };
            }
            let size = lease.ask_next(age, most, now);
            return Take::Local {
                refill: Some(size.saturating_sub(lease.tokens).max(1)),
            };
        }
        if asking {
            return Take::Ask {
                want: 1,
                lease: false,
            };
        }
        Take::Ask {
            want: lease.ask_next(age, most, now),
            lease: true,
        }
    }

    /// Records Redis's answer to a [`Take::Ask`] with `lease` or to a refill: `granted`
    /// tokens (0 when the bucket refused, was not reached, or Redis did not answer), one
    /// of them the asking request's `own`.
    pub(crate) fn settle(&self, key: &str, granted: u32, own: bool, now: Instant) {
        if let Some(lease) = self.lock().get_mut(key) {
            lease.asking = None;
            if granted > 0 {
                lease.tokens += granted - u32::from(own);
                lease.granted = Some(now);
            }
        }
    }

    /// Puts back a token taken from the lease ([`Take::Local`]) by a request another
    /// bucket refused.
    pub(crate) fn give_back(&self, key: &str) {
        if let Some(lease) = self.lock().get_mut(key) {
            lease.tokens += 1;
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Lease>> {
        self.held
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOCAL: Take = Take::Local { refill: None };

    fn ask(want: u32, lease: bool) -> Take {
        Take::Ask { want, lease }
    }

    /// Asks Redis for a lease, of whatever size.
    fn leasing(take: Take) -> bool {
        matches!(take, Take::Ask { lease: true, .. })
    }

    /// The next request's take of bucket `key:a`.
    fn take(leases: &Leases, rate: &TokenRate, now: Instant) -> Take {
        leases.take("key:a", rate, now)
    }

    fn rate(burst: u32) -> TokenRate {
        TokenRate::per_minute(60, burst)
    }

    /// Serves `requests` of bucket `key:a` the way a node does, Redis granting all it is
    /// asked at once; returns the tokens asked of Redis, one entry per round trip, and
    /// checks that the node never holds more than the most.
    fn serve(leases: &Leases, rate: &TokenRate, requests: u32, now: Instant) -> Vec<u32> {
        let mut asked = Vec::new();
        for _ in 0..requests {
            match take(leases, rate, now) {
                LOCAL => {}
                Take::Local { refill: Some(want) } => {
                    asked.push(want);
                    leases.settle("key:a", want, false, now);
                }
                Take::Ask { want, lease } => {
                    asked.push(want);
                    if lease {
                        leases.settle("key:a", want, true, now);
                    }
                }
            }
            assert!(held(leases) <= Leases::most(rate), "{}", held(leases));
        }
        asked
    }

    fn held(leases: &Leases) -> u32 {
        leases.lock().get("key:a").map_or(0, |lease| lease.tokens)
    }

    #[test]
    fn a_small_burst_is_never_leased() {
        let leases = Leases::default();
        let now = Instant::now();
        for burst in [1, 10, 31] {
            assert_eq!(Leases::most(&rate(burst)), 1);
            assert_eq!(serve(&leases, &rate(burst), 50, now), vec![1; 50]);
        }
        assert_eq!(Leases::most(&rate(32)), 2);
        assert_eq!(Leases::most(&rate(10_000_000)), MAX_LEASE);
    }

    #[test]
    fn a_busy_bucket_is_leased_in_doubling_sizes_up_to_the_most() {
        let leases = Leases::default();
        let rate = rate(10_000_000);
        let asked = serve(&leases, &rate, 1000, Instant::now());
        // One token, two, then refills while a quarter is left, each lease twice the
        // last (less what is left) up to 64.
        assert_eq!(&asked[..7], &[1, 2, 4, 7, 14, 28, 56]);
        assert!(asked[7..].iter().all(|&want| want == 48), "{asked:?}");
        // One round trip per 48 requests once at the most.
        assert_eq!(asked.len(), 7 + 19);
    }

    #[test]
    fn requests_while_a_lease_is_asked_for_take_their_own_token_only() {
        let leases = Leases::default();
        let rate = rate(10_000_000);
        let now = Instant::now();
        serve(&leases, &rate, 2, now);
        // The second lease (two tokens): one used, one left, taken now.
        assert_eq!(take(&leases, &rate, now), LOCAL);
        let first = take(&leases, &rate, now);
        assert_eq!(first, ask(4, true));
        for _ in 0..10 {
            assert_eq!(take(&leases, &rate, now), ask(1, false));
        }
        // Redis refused: no lease, and the next request asks for one again.
        leases.settle("key:a", 0, true, now);
        assert!(leasing(take(&leases, &rate, now)));
    }

    #[test]
    fn a_lease_is_refilled_while_a_quarter_is_left_and_requests_go_on_meanwhile() {
        let leases = Leases::default();
        let rate = rate(10_000_000);
        let now = Instant::now();
        serve(&leases, &rate, 200, now);
        let mut refill = None;
        let mut served = 0;
        while refill.is_none() {
            match take(&leases, &rate, now) {
                Take::Local { refill: asked } => refill = asked,
                other => panic!("{other:?}"),
            }
            served += 1;
        }
        assert!(served <= 48, "{served}");
        // While the refill is under way the rest of the lease serves requests.
        let left = held(&leases);
        assert!(left >= 15, "{left}");
        for _ in 0..left {
            assert_eq!(take(&leases, &rate, now), LOCAL);
        }
        assert_eq!(take(&leases, &rate, now), ask(1, false));
        leases.settle("key:a", refill.unwrap(), false, now);
        assert_eq!(held(&leases), refill.unwrap());
    }

    #[test]
    fn an_ask_never_settled_stops_holding_the_next_lease_back() {
        let leases = Leases::default();
        let rate = rate(10_000_000);
        let now = Instant::now();
        assert!(leasing(take(&leases, &rate, now)));
        // Its request was dropped before Redis answered.
        assert_eq!(take(&leases, &rate, now + ABANDONED / 2), ask(1, false));
        assert!(leasing(take(&leases, &rate, now + ABANDONED)));
    }

    #[test]
    fn a_lease_ends_after_its_life_and_the_next_is_smaller() {
        let leases = Leases::default();
        let rate = rate(10_000_000);
        let start = Instant::now();
        serve(&leases, &rate, 300, start);
        assert!(held(&leases) > 0);
        let later = start + LEASE_LIFE;
        // What is left expired: the next lease is asked for, half as large.
        assert_eq!(take(&leases, &rate, later), ask(32, true));
    }

    #[test]
    fn a_slow_client_keeps_asking_for_one_token() {
        let leases = Leases::default();
        let rate = rate(10_000_000);
        let mut now = Instant::now();
        for _ in 0..20 {
            assert_eq!(take(&leases, &rate, now), ask(1, true));
            leases.settle("key:a", 1, true, now);
            now += QUICK;
        }
    }

    #[test]
    fn a_token_given_back_is_taken_again() {
        let leases = Leases::default();
        let rate = rate(10_000_000);
        let now = Instant::now();
        serve(&leases, &rate, 2, now);
        // The second lease (2 tokens): one used by its request, one left.
        assert_eq!(take(&leases, &rate, now), LOCAL);
        leases.give_back("key:a");
        assert_eq!(take(&leases, &rate, now), LOCAL);
        assert!(leasing(take(&leases, &rate, now)));
    }
}
