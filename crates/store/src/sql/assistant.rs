//! The optional assistant's rows: tenants' policies, suggestions (a queue claimed under
//! leases with the dialect's `SKIP_LOCKED`, so processes sharing the database never work
//! on one suggestion at once), the outcome cache, and token usage per tenant and UTC day
//! (reserved with one conditional `UPDATE`, so concurrent reservations never exceed the
//! limit).

use sqlx::Pool;

use super::{Dialect, RowExt, query};
use crate::*;

const SUGGESTION_COLUMNS: &str = "id, tenant_id, audit_id, finding_id, fingerprint, profile, status, \
     requested_by, attempts, outcome, error, created_at, finished_at";

fn suggestion_from_row(row: &impl RowExt) -> Result<Suggestion> {
    Ok(Suggestion {
        id: row.field("id")?,
        tenant_id: row.field("tenant_id")?,
        audit_id: row.field("audit_id")?,
        finding_id: row.field("finding_id")?,
        fingerprint: row.field("fingerprint")?,
        profile: row.field("profile")?,
        status: row.field("status")?,
        requested_by: row.field("requested_by")?,
        attempts: row.field("attempts")?,
        outcome: row.field("outcome")?,
        error: row.field("error")?,
        created_at: row.field("created_at")?,
        finished_at: row.field("finished_at")?,
    })
}

pub(crate) async fn assistant_policy<DB: Dialect>(
    reader: &Pool<DB>,
    tenant_id: &str,
) -> Result<AssistantPolicy> {
    let row = query::<DB>(
        "SELECT assistant_profile, assistant_auto_severity FROM tenant_policies WHERE tenant_id = $1",
    )
    .bind(tenant_id)
    .fetch_optional(reader)
    .await?;
    Ok(match row {
        Some(row) => AssistantPolicy {
            profile: row.field("assistant_profile")?,
            auto_severity: row.field("assistant_auto_severity")?,
        },
        None => AssistantPolicy::default(),
    })
}

pub(crate) async fn set_assistant_policy<DB: Dialect>(
    writer: &Pool<DB>,
    tenant_id: &str,
    policy: &AssistantPolicy,
    now: i64,
) -> Result<()> {
    query::<DB>(
        "INSERT INTO tenant_policies (tenant_id, mfa_required, updated_at, assistant_profile, assistant_auto_severity) \
         VALUES ($1, FALSE, $2, $3, $4) ON CONFLICT (tenant_id) DO UPDATE SET \
         assistant_profile = EXCLUDED.assistant_profile, \
         assistant_auto_severity = EXCLUDED.assistant_auto_severity, updated_at = EXCLUDED.updated_at",
    )
    .bind(tenant_id)
    .bind(now)
    .bind(policy.profile.as_deref())
    .bind(policy.auto_severity.as_deref())
    .execute(writer)
    .await?;
    Ok(())
}

pub(crate) async fn request_suggestion<DB: Dialect>(
    writer: &Pool<DB>,
    s: &Suggestion,
) -> Result<(Suggestion, bool)> {
    let inserted = query::<DB>(&format!(
        "INSERT INTO suggestions ({SUGGESTION_COLUMNS}) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, NULL, NULL, $9, NULL) ON CONFLICT DO NOTHING"
    ))
    .bind(&s.id)
    .bind(&s.tenant_id)
    .bind(&s.audit_id)
    .bind(&s.finding_id)
    .bind(&s.fingerprint)
    .bind(&s.profile)
    .bind(SUGGESTION_QUEUED)
    .bind(&s.requested_by)
    .bind(s.created_at)
    .execute(writer)
    .await?
        == 1;
    let row = query::<DB>(&format!(
        "SELECT {SUGGESTION_COLUMNS} FROM suggestions WHERE tenant_id = $1 AND finding_id = $2 \
         AND (id = $3 OR status IN ('queued', 'running')) ORDER BY created_at DESC, id LIMIT 1"
    ))
    .bind(&s.tenant_id)
    .bind(&s.finding_id)
    .bind(&s.id)
    .fetch_one(writer)
    .await?;
    Ok((suggestion_from_row(&row)?, inserted))
}

pub(crate) async fn claim_suggestion<DB: Dialect>(
    writer: &Pool<DB>,
    owner: &str,
    now: i64,
    lease_until: i64,
    max_attempts: i64,
) -> Result<Option<Suggestion>> {
    let mut tx = writer.begin().await?;
    let row = query::<DB>(&format!(
        "UPDATE suggestions SET status = 'running', lease_owner = $1, lease_expires_at = $2, \
         attempts = attempts + 1 WHERE id IN (SELECT id FROM suggestions WHERE status = 'queued' \
         OR (status = 'running' AND lease_expires_at < $3 AND attempts < $4) \
         ORDER BY created_at, id LIMIT 1{skip_locked}) RETURNING {SUGGESTION_COLUMNS}",
        skip_locked = DB::SKIP_LOCKED
    ))
    .bind(owner)
    .bind(lease_until)
    .bind(now)
    .bind(max_attempts)
    .fetch_optional(&mut *tx)
    .await?;
    let claimed = row.map(|row| suggestion_from_row(&row)).transpose()?;
    // Suggestions whose lease ran out too often are given up rather than retried forever.
    query::<DB>(
        "UPDATE suggestions SET status = 'failed', error = 'the assistant did not answer in time on any attempt', \
         finished_at = $1, lease_owner = NULL WHERE status = 'running' AND lease_expires_at < $2 AND attempts >= $3",
    )
    .bind(now)
    .bind(now)
    .bind(max_attempts)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(claimed)
}

pub(crate) async fn finish_suggestion<DB: Dialect>(
    writer: &Pool<DB>,
    id: &str,
    owner: &str,
    outcome: std::result::Result<&str, &str>,
    now: i64,
) -> Result<bool> {
    let (status, outcome, error) = match outcome {
        Ok(outcome) => (SUGGESTION_DONE, Some(outcome), None),
        Err(error) => (SUGGESTION_FAILED, None, Some(error)),
    };
    let changed = query::<DB>(
        "UPDATE suggestions SET status = $1, outcome = $2, error = $3, finished_at = $4, \
         lease_owner = NULL, lease_expires_at = NULL \
         WHERE id = $5 AND status = 'running' AND lease_owner = $6",
    )
    .bind(status)
    .bind(outcome)
    .bind(error)
    .bind(now)
    .bind(id)
    .bind(owner)
    .execute(writer)
    .await?;
    Ok(changed == 1)
}

pub(crate) async fn finding_suggestions<DB: Dialect>(
    reader: &Pool<DB>,
    tenant_id: &str,
    finding_id: &str,
) -> Result<Vec<Suggestion>> {
    let rows = query::<DB>(&format!(
        "SELECT {SUGGESTION_COLUMNS} FROM suggestions WHERE tenant_id = $1 AND finding_id = $2 \
         ORDER BY created_at DESC, id DESC LIMIT 20"
    ))
    .bind(tenant_id)
    .bind(finding_id)
    .fetch_all(reader)
    .await?;
    rows.iter().map(suggestion_from_row).collect()
}

pub(crate) async fn audit_suggestions<DB: Dialect>(
    reader: &Pool<DB>,
    tenant_id: &str,
    audit_id: &str,
) -> Result<Vec<Suggestion>> {
    let rows = query::<DB>(&format!(
        "SELECT {SUGGESTION_COLUMNS} FROM suggestions WHERE tenant_id = $1 AND audit_id = $2 \
         ORDER BY created_at, id"
    ))
    .bind(tenant_id)
    .bind(audit_id)
    .fetch_all(reader)
    .await?;
    rows.iter().map(suggestion_from_row).collect()
}

pub(crate) async fn cached_outcome<DB: Dialect>(
    reader: &Pool<DB>,
    key: &str,
) -> Result<Option<String>> {
    let row = query::<DB>("SELECT outcome FROM assistant_cache WHERE cache_key = $1")
        .bind(key)
        .fetch_optional(reader)
        .await?;
    Ok(row.map(|row| row.field("outcome")).transpose()?)
}

pub(crate) async fn cache_outcome<DB: Dialect>(
    writer: &Pool<DB>,
    key: &str,
    tenant_id: &str,
    outcome: &str,
    now: i64,
) -> Result<()> {
    query::<DB>(
        "INSERT INTO assistant_cache (cache_key, tenant_id, outcome, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (cache_key) DO UPDATE SET outcome = EXCLUDED.outcome, created_at = EXCLUDED.created_at",
    )
    .bind(key)
    .bind(tenant_id)
    .bind(outcome)
    .bind(now)
    .execute(writer)
    .await?;
    Ok(())
}

pub(crate) async fn reserve_tokens<DB: Dialect>(
    writer: &Pool<DB>,
    tenant_id: &str,
    day: &str,
    tokens: i64,
    limit: i64,
) -> Result<bool> {
    let mut tx = writer.begin().await?;
    query::<DB>(
        "INSERT INTO assistant_usage (tenant_id, day, used) VALUES ($1, $2, 0) ON CONFLICT DO NOTHING",
    )
    .bind(tenant_id)
    .bind(day)
    .execute(&mut *tx)
    .await?;
    let taken = query::<DB>(
        "UPDATE assistant_usage SET used = used + $1 WHERE tenant_id = $2 AND day = $3 AND used + $4 <= $5",
    )
    .bind(tokens)
    .bind(tenant_id)
    .bind(day)
    .bind(tokens)
    .bind(limit)
    .execute(&mut *tx)
    .await?
        == 1;
    tx.commit().await?;
    Ok(taken)
}

pub(crate) async fn adjust_tokens<DB: Dialect>(
    writer: &Pool<DB>,
    tenant_id: &str,
    day: &str,
    delta: i64,
) -> Result<()> {
    query::<DB>(&format!(
        "UPDATE assistant_usage SET used = {greatest}(used + $1, 0) WHERE tenant_id = $2 AND day = $3",
        greatest = DB::GREATEST
    ))
    .bind(delta)
    .bind(tenant_id)
    .bind(day)
    .execute(writer)
    .await?;
    Ok(())
}

pub(crate) async fn tokens_used<DB: Dialect>(
    reader: &Pool<DB>,
    tenant_id: &str,
    day: &str,
) -> Result<i64> {
    let row = query::<DB>("SELECT used FROM assistant_usage WHERE tenant_id = $1 AND day = $2")
        .bind(tenant_id)
        .bind(day)
        .fetch_optional(reader)
        .await?;
    Ok(row.map(|row| row.field("used")).transpose()?.unwrap_or(0))
}
