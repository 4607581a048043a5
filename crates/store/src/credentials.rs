//! The generation of credentials: a counter that moves whenever a cached authentication
//! may have become wrong, so that caches drop what they hold (see
//! [`Store::credential_generation`](crate::Store::credential_generation)).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// A generation counter, and whether changes made elsewhere reach it now.
#[derive(Debug)]
pub struct CredentialEpoch {
    generation: AtomicU64,
    live: AtomicBool,
}

impl CredentialEpoch {
    /// A counter that follows every change from the start (a database owned by this
    /// process) or, when `live` is false, only once [`CredentialEpoch::set_live`] says so.
    pub fn new(live: bool) -> Self {
        CredentialEpoch {
            generation: AtomicU64::new(0),
            live: AtomicBool::new(live),
        }
    }

    /// The current generation; `None` while changes may go unseen.
    pub fn current(&self) -> Option<u64> {
        // Read `live` first: a generation read after it is at least as new.
        self.live
            .load(Ordering::Acquire)
            .then(|| self.generation.load(Ordering::Acquire))
    }

    /// Something changed: whatever was cached before is stale.
    pub fn advance(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// Whether changes made elsewhere reach this counter. Going live advances it, since
    /// changes may have been missed while it was not.
    pub fn set_live(&self, live: bool) {
        if live {
            // Entries cached before are dropped before anything is served again.
            self.advance();
            self.live.store(true, Ordering::Release);
        } else {
            self.live.store(false, Ordering::Release);
            self.advance();
        }
    }
}
