//! Per-tenant daily token budgets: reserve an estimate before the call, settle with the
//! actual usage after.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::error::AssistantError;

/// The time source (injectable for tests).
pub trait Clock: Send + Sync {
    fn now(&self) -> SystemTime;
}

#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// Days since 1970-01-01 UTC.
pub fn utc_day(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() / 86_400)
        .unwrap_or(0)
}

/// `YYYY-MM-DD` of a day number (civil-from-days).
pub fn day_string(day: u64) -> String {
    let z = day as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Tokens held for one call, on the tenant's day the call started.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reservation {
    pub tenant: String,
    pub day: u64,
    pub tokens: u64,
}

#[async_trait]
pub trait Budget: Send + Sync {
    /// Holds `tokens` of the tenant's budget for today, or refuses with
    /// [`AssistantError::BudgetExhausted`] when used + held + `tokens` would exceed
    /// `daily_limit`.
    async fn reserve(
        &self,
        tenant: &str,
        tokens: u64,
        daily_limit: u64,
    ) -> Result<Reservation, AssistantError>;
    /// Replaces the reservation with the tokens actually used (0 releases it).
    async fn settle(&self, reservation: Reservation, actual: u64) -> Result<(), AssistantError>;
}

/// A process-local budget keyed by (tenant, UTC day).
pub struct InMemoryBudget {
    clock: Arc<dyn Clock>,
    used: Mutex<HashMap<(String, u64), u64>>,
}

impl Default for InMemoryBudget {
    fn default() -> Self {
        Self::new(Arc::new(SystemClock))
    }
}

impl InMemoryBudget {
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        InMemoryBudget {
            clock,
            used: Mutex::new(HashMap::new()),
        }
    }

    /// Tokens used or held by `tenant` today.
    pub fn used_today(&self, tenant: &str) -> u64 {
        let day = utc_day(self.clock.now());
        self.used
            .lock()
            .ok()
            .and_then(|m| m.get(&(tenant.to_string(), day)).copied())
            .unwrap_or(0)
    }
}

#[async_trait]
impl Budget for InMemoryBudget {
    async fn reserve(
        &self,
        tenant: &str,
        tokens: u64,
        daily_limit: u64,
    ) -> Result<Reservation, AssistantError> {
        let day = utc_day(self.clock.now());
        let mut used = self
            .used
            .lock()
            .map_err(|_| AssistantError::Storage("budget lock poisoned".into()))?;
        let entry = used.entry((tenant.to_string(), day)).or_insert(0);
        if entry.saturating_add(tokens) > daily_limit {
            return Err(AssistantError::BudgetExhausted {
                tenant: tenant.to_string(),
                day: day_string(day),
                limit: daily_limit,
                used: *entry,
                requested: tokens,
            });
        }
        *entry += tokens;
        Ok(Reservation {
            tenant: tenant.to_string(),
            day,
            tokens,
        })
    }

    async fn settle(&self, reservation: Reservation, actual: u64) -> Result<(), AssistantError> {
        let mut used = self
            .used
            .lock()
            .map_err(|_| AssistantError::Storage("budget lock poisoned".into()))?;
        let entry = used
            .entry((reservation.tenant, reservation.day))
            .or_insert(0);
        *entry = entry
            .saturating_sub(reservation.tokens)
            .saturating_add(actual);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_strings() {
        assert_eq!(day_string(0), "1970-01-01");
        assert_eq!(day_string(20_454), "2026-01-01");
        assert_eq!(day_string(11_016), "2000-02-29");
    }
}
