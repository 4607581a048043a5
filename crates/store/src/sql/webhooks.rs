//! Webhooks and their deliveries. Pending deliveries are claimed with the dialect's
//! `SKIP_LOCKED` (PostgreSQL: `FOR UPDATE SKIP LOCKED`, so processes sharing the database
//! never take one delivery at once; SQLite: the single writer serializes claims);
//! recording an attempt updates the webhook row, which PostgreSQL keeps locked until
//! commit, so failure counts add up.

use sqlx::Pool;

use super::{Builder, Dialect, RowExt, query};
use crate::*;

const DELIVERY_COLUMNS: &str = "id, webhook_id, tenant_id, event, payload, status, attempts, next_attempt_at, \
     last_status_code, last_error, last_attempt_at, duration_ms, created_at, finished_at";

fn webhook_from_row(row: &impl RowExt) -> Result<Webhook> {
    let events: String = row.field("events_json")?;
    Ok(Webhook {
        id: row.field("id")?,
        tenant_id: row.field("tenant_id")?,
        url: row.field("url")?,
        secret: row.field("secret")?,
        events: serde_json::from_str(&events)?,
        description: row.field("description")?,
        enabled: row.field("enabled")?,
        disabled_reason: row.field("disabled_reason")?,
        consecutive_failures: row.field("consecutive_failures")?,
        created_by: row.field("created_by")?,
        created_at: row.field("created_at")?,
        updated_at: row.field("updated_at")?,
    })
}

fn delivery_from_row(row: &impl RowExt) -> Result<WebhookDelivery> {
    Ok(WebhookDelivery {
        id: row.field("id")?,
        webhook_id: row.field("webhook_id")?,
        tenant_id: row.field("tenant_id")?,
        event: row.field("event")?,
        payload: row.field("payload")?,
        status: row.field("status")?,
        attempts: row.field("attempts")?,
        next_attempt_at: row.field("next_attempt_at")?,
        last_status_code: row.field("last_status_code")?,
        last_error: row.field("last_error")?,
        last_attempt_at: row.field("last_attempt_at")?,
        duration_ms: row.field("duration_ms")?,
        created_at: row.field("created_at")?,
        finished_at: row.field("finished_at")?,
    })
}

pub(crate) async fn create_webhook<DB: Dialect>(writer: &Pool<DB>, w: &Webhook) -> Result<()> {
    query::<DB>(
        "INSERT INTO webhooks (id, tenant_id, url, secret, events_json, description, enabled, disabled_reason, \
         consecutive_failures, created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(&w.id)
    .bind(&w.tenant_id)
    .bind(&w.url)
    .bind(&w.secret)
    .bind(serde_json::to_string(&w.events)?)
    .bind(&w.description)
    .bind(w.enabled)
    .bind(&w.disabled_reason)
    .bind(w.consecutive_failures)
    .bind(&w.created_by)
    .bind(w.created_at)
    .bind(w.updated_at)
    .execute(writer)
    .await?;
    Ok(())
}

pub(crate) async fn get_webhook<DB: Dialect>(
    reader: &Pool<DB>,
    tenant_id: &str,
    id: &str,
) -> Result<Option<Webhook>> {
    let row = query::<DB>("SELECT * FROM webhooks WHERE tenant_id = $1 AND id = $2")
        .bind(tenant_id)
        .bind(id)
        .fetch_optional(reader)
        .await?;
    row.as_ref().map(webhook_from_row).transpose()
}

pub(crate) async fn list_webhooks<DB: Dialect>(
    reader: &Pool<DB>,
    tenant_id: &str,
) -> Result<Vec<Webhook>> {
    let rows = query::<DB>("SELECT * FROM webhooks WHERE tenant_id = $1 ORDER BY id")
        .bind(tenant_id)
        .fetch_all(reader)
        .await?;
    rows.iter().map(webhook_from_row).collect()
}

pub(crate) async fn update_webhook<DB: Dialect>(
    writer: &Pool<DB>,
    tenant_id: &str,
    id: &str,
    update: &WebhookUpdate,
) -> Result<Option<Webhook>> {
    let mut tx = writer.begin().await?;
    let mut q = Builder::<DB>::new("UPDATE webhooks SET updated_at = ");
    q.push_bind(update.updated_at);
    if let Some(url) = &update.url {
        q.push(", url = ").push_bind(url);
    }
    if let Some(events) = &update.events {
        q.push(", events_json = ")
            .push_bind(serde_json::to_string(events)?);
    }
    if let Some(description) = &update.description {
        q.push(", description = ").push_bind(description);
    }
    match update.enabled {
        Some(true) => {
            q.push(", enabled = TRUE, disabled_reason = NULL, consecutive_failures = 0");
        }
        Some(false) => {
            q.push(", enabled = FALSE, disabled_reason = ")
                .push_bind(&update.disabled_reason);
        }
        None => {}
    }
    q.push(" WHERE tenant_id = ")
        .push_bind(tenant_id)
        .push(" AND id = ")
        .push_bind(id)
        .push(" RETURNING *");
    let row = q.fetch_optional(&mut *tx).await?;
    let Some(row) = row else {
        tx.rollback().await?;
        return Ok(None);
    };
    if update.enabled == Some(false) {
        fail_pending::<DB>(&mut *tx, id, update.updated_at).await?;
    }
    tx.commit().await?;
    webhook_from_row(&row).map(Some)
}

async fn fail_pending<DB: Dialect>(
    conn: &mut DB::Connection,
    webhook_id: &str,
    now: i64,
) -> Result<()> {
    query::<DB>(
        "UPDATE webhook_deliveries SET status = 'failed', last_error = 'the webhook was disabled', \
         finished_at = $1, next_attempt_at = NULL, lease_owner = NULL, lease_expires_at = NULL \
         WHERE webhook_id = $2 AND status = 'pending'",
    )
    .bind(now)
    .bind(webhook_id)
    .execute(conn)
    .await?;
    Ok(())
}

pub(crate) async fn delete_webhook<DB: Dialect>(
    writer: &Pool<DB>,
    tenant_id: &str,
    id: &str,
) -> Result<bool> {
    let mut tx = writer.begin().await?;
    query::<DB>("DELETE FROM webhook_deliveries WHERE tenant_id = $1 AND webhook_id = $2")
        .bind(tenant_id)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    let deleted = query::<DB>("DELETE FROM webhooks WHERE tenant_id = $1 AND id = $2")
        .bind(tenant_id)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(deleted == 1)
}

pub(crate) async fn insert_webhook_deliveries<DB: Dialect>(
    writer: &Pool<DB>,
    deliveries: &[NewWebhookDelivery],
) -> Result<()> {
    let mut tx = writer.begin().await?;
    for d in deliveries {
        query::<DB>(
            "INSERT INTO webhook_deliveries (id, webhook_id, tenant_id, event, payload, status, attempts, \
             next_attempt_at, created_at, lease_owner, lease_expires_at) VALUES ($1, $2, $3, $4, $5, 'pending', 0, $6, $7, $8, $9)",
        )
        .bind(&d.id)
        .bind(&d.webhook_id)
        .bind(&d.tenant_id)
        .bind(&d.event)
        .bind(&d.payload)
        .bind(d.created_at)
        .bind(d.created_at)
        .bind(d.lease.as_ref().map(|l| l.0.as_str()))
        .bind(d.lease.as_ref().map(|l| l.1))
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

pub(crate) async fn claim_webhook_deliveries<DB: Dialect>(
    writer: &Pool<DB>,
    owner: &str,
    now: i64,
    lease_until: i64,
    limit: i64,
) -> Result<Vec<ClaimedDelivery>> {
    let mut tx = writer.begin().await?;
    let rows = query::<DB>(&format!(
        "UPDATE webhook_deliveries SET lease_owner = $1, lease_expires_at = $2 WHERE id IN \
         (SELECT id FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= $3 \
          AND (lease_expires_at IS NULL OR lease_expires_at < $4) ORDER BY next_attempt_at, id LIMIT $5{skip_locked}) \
         RETURNING {DELIVERY_COLUMNS}",
        skip_locked = DB::SKIP_LOCKED
    ))
    .bind(owner)
    .bind(lease_until)
    .bind(now)
    .bind(now)
    .bind(limit)
    .fetch_all(&mut *tx)
    .await?;
    let mut claimed = Vec::with_capacity(rows.len());
    for row in &rows {
        let delivery = delivery_from_row(row)?;
        let hook = query::<DB>("SELECT url, secret FROM webhooks WHERE id = $1")
            .bind(&delivery.webhook_id)
            .fetch_one(&mut *tx)
            .await?;
        claimed.push(ClaimedDelivery {
            url: hook.field("url")?,
            secret: hook.field("secret")?,
            delivery,
        });
    }
    tx.commit().await?;
    claimed.sort_by(|a, b| a.delivery.id.cmp(&b.delivery.id));
    Ok(claimed)
}

pub(crate) async fn record_webhook_attempt<DB: Dialect>(
    writer: &Pool<DB>,
    id: &str,
    owner: &str,
    attempt: &DeliveryAttempt,
    disable_after: i64,
) -> Result<AttemptRecorded> {
    let (status, next, finished) = match attempt.result {
        AttemptResult::Succeeded => (DELIVERY_SUCCEEDED, None, Some(attempt.at)),
        AttemptResult::Retry(at) => (DELIVERY_PENDING, Some(at), None),
        AttemptResult::Failed => (DELIVERY_FAILED, None, Some(attempt.at)),
        AttemptResult::Refused => (DELIVERY_REFUSED, None, Some(attempt.at)),
    };
    let mut tx = writer.begin().await?;
    let row = query::<DB>(
        "UPDATE webhook_deliveries SET status = $1, attempts = attempts + 1, next_attempt_at = $2, \
         last_status_code = $3, last_error = $4, last_attempt_at = $5, duration_ms = $6, finished_at = $7, \
         lease_owner = NULL, lease_expires_at = NULL \
         WHERE id = $8 AND status = 'pending' AND lease_owner = $9 RETURNING webhook_id",
    )
    .bind(status)
    .bind(next)
    .bind(attempt.status_code)
    .bind(&attempt.error)
    .bind(attempt.at)
    .bind(attempt.duration_ms)
    .bind(finished)
    .bind(id)
    .bind(owner)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(row) = row else {
        tx.rollback().await?;
        return Ok(AttemptRecorded::LeaseLost);
    };
    let webhook_id: String = row.field_at(0)?;
    let mut webhook_disabled = false;
    match attempt.result {
        AttemptResult::Succeeded => {
            query::<DB>("UPDATE webhooks SET consecutive_failures = 0 WHERE id = $1")
                .bind(&webhook_id)
                .execute(&mut *tx)
                .await?;
        }
        AttemptResult::Failed | AttemptResult::Refused => {
            let row = query::<DB>(
                "UPDATE webhooks SET consecutive_failures = consecutive_failures + 1 WHERE id = $1 \
                 RETURNING consecutive_failures, enabled",
            )
            .bind(&webhook_id)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(row) = row {
                let failures: i64 = row.field_at(0)?;
                let enabled: bool = row.field_at(1)?;
                if enabled && failures >= disable_after {
                    query::<DB>(
                        "UPDATE webhooks SET enabled = FALSE, disabled_reason = $1 WHERE id = $2",
                    )
                    .bind(format!(
                        "disabled after {failures} consecutive failed deliveries"
                    ))
                    .bind(&webhook_id)
                    .execute(&mut *tx)
                    .await?;
                    fail_pending::<DB>(&mut *tx, &webhook_id, attempt.at).await?;
                    webhook_disabled = true;
                }
            }
        }
        AttemptResult::Retry(_) => {}
    }
    tx.commit().await?;
    Ok(AttemptRecorded::Recorded { webhook_disabled })
}

pub(crate) async fn get_webhook_delivery<DB: Dialect>(
    writer: &Pool<DB>,
    tenant_id: &str,
    id: &str,
) -> Result<Option<WebhookDelivery>> {
    let row = query::<DB>(&format!(
        "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE tenant_id = $1 AND id = $2"
    ))
    .bind(tenant_id)
    .bind(id)
    .fetch_optional(writer)
    .await?;
    row.as_ref().map(delivery_from_row).transpose()
}

pub(crate) async fn list_webhook_deliveries<DB: Dialect>(
    reader: &Pool<DB>,
    tenant_id: &str,
    webhook_id: &str,
    filter: &DeliveryFilter,
) -> Result<Vec<WebhookDelivery>> {
    let mut q = Builder::<DB>::new(format!(
        "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE tenant_id = "
    ));
    q.push_bind(tenant_id)
        .push(" AND webhook_id = ")
        .push_bind(webhook_id);
    if let Some(before) = &filter.before_id {
        q.push(" AND id < ").push_bind(before);
    }
    if let Some(status) = &filter.status {
        q.push(" AND status = ").push_bind(status);
    }
    q.push(" ORDER BY id DESC LIMIT ").push_bind(filter.limit);
    let rows = q.fetch_all(reader).await?;
    rows.iter().map(delivery_from_row).collect()
}

pub(crate) async fn prune_webhook_deliveries<DB: Dialect>(
    writer: &Pool<DB>,
    before: i64,
) -> Result<u64> {
    Ok(query::<DB>(
        "DELETE FROM webhook_deliveries WHERE status <> 'pending' AND finished_at IS NOT NULL AND finished_at < $1",
    )
    .bind(before)
    .execute(writer)
    .await?)
}
