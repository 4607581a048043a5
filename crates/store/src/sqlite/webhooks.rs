//! Webhooks and their deliveries on SQLite. Writes go through the single writer
//! connection, so a claim and the recording of an attempt never interleave.

use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite};

use super::SqliteStore;
use crate::*;

const DELIVERY_COLUMNS: &str = "id, webhook_id, tenant_id, event, payload, status, attempts, next_attempt_at, \
     last_status_code, last_error, last_attempt_at, duration_ms, created_at, finished_at";

fn webhook_from_row(row: &SqliteRow) -> Result<Webhook> {
    let events: String = row.try_get("events_json")?;
    Ok(Webhook {
        id: row.try_get("id")?,
        tenant_id: row.try_get("tenant_id")?,
        url: row.try_get("url")?,
        secret: row.try_get("secret")?,
        events: serde_json::from_str(&events)?,
        description: row.try_get("description")?,
        enabled: row.try_get("enabled")?,
        disabled_reason: row.try_get("disabled_reason")?,
        consecutive_failures: row.try_get("consecutive_failures")?,
        created_by: row.try_get("created_by")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn delivery_from_row(row: &SqliteRow) -> Result<WebhookDelivery> {
    Ok(WebhookDelivery {
        id: row.try_get("id")?,
        webhook_id: row.try_get("webhook_id")?,
        tenant_id: row.try_get("tenant_id")?,
        event: row.try_get("event")?,
        payload: row.try_get("payload")?,
        status: row.try_get("status")?,
        attempts: row.try_get("attempts")?,
        next_attempt_at: row.try_get("next_attempt_at")?,
        last_status_code: row.try_get("last_status_code")?,
        last_error: row.try_get("last_error")?,
        last_attempt_at: row.try_get("last_attempt_at")?,
        duration_ms: row.try_get("duration_ms")?,
        created_at: row.try_get("created_at")?,
        finished_at: row.try_get("finished_at")?,
    })
}

pub(super) async fn create_webhook(store: &SqliteStore, w: &Webhook) -> Result<()> {
    sqlx::query(
        "INSERT INTO webhooks (id, tenant_id, url, secret, events_json, description, enabled, disabled_reason, \
         consecutive_failures, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
    .execute(&store.writer)
    .await?;
    Ok(())
}

pub(super) async fn get_webhook(
    store: &SqliteStore,
    tenant_id: &str,
    id: &str,
) -> Result<Option<Webhook>> {
    let row = sqlx::query("SELECT * FROM webhooks WHERE tenant_id = ? AND id = ?")
        .bind(tenant_id)
        .bind(id)
        .fetch_optional(&store.reader)
        .await?;
    row.as_ref().map(webhook_from_row).transpose()
}

pub(super) async fn list_webhooks(store: &SqliteStore, tenant_id: &str) -> Result<Vec<Webhook>> {
    let rows = sqlx::query("SELECT * FROM webhooks WHERE tenant_id = ? ORDER BY id")
        .bind(tenant_id)
        .fetch_all(&store.reader)
        .await?;
    rows.iter().map(webhook_from_row).collect()
}

pub(super) async fn update_webhook(
    store: &SqliteStore,
    tenant_id: &str,
    id: &str,
    update: &WebhookUpdate,
) -> Result<Option<Webhook>> {
    let mut tx = store.writer.begin().await?;
    let mut q: QueryBuilder<Sqlite> = QueryBuilder::new("UPDATE webhooks SET updated_at = ");
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
            q.push(", enabled = 1, disabled_reason = NULL, consecutive_failures = 0");
        }
        Some(false) => {
            q.push(", enabled = 0, disabled_reason = ")
                .push_bind(&update.disabled_reason);
        }
        None => {}
    }
    q.push(" WHERE tenant_id = ")
        .push_bind(tenant_id)
        .push(" AND id = ")
        .push_bind(id)
        .push(" RETURNING *");
    let row = q.build().fetch_optional(&mut *tx).await?;
    let Some(row) = row else {
        tx.rollback().await?;
        return Ok(None);
    };
    if update.enabled == Some(false) {
        fail_pending(&mut tx, id, update.updated_at).await?;
    }
    tx.commit().await?;
    webhook_from_row(&row).map(Some)
}

async fn fail_pending(conn: &mut sqlx::SqliteConnection, webhook_id: &str, now: i64) -> Result<()> {
    sqlx::query(
        "UPDATE webhook_deliveries SET status = 'failed', last_error = 'the webhook was disabled', \
         finished_at = ?, next_attempt_at = NULL, lease_owner = NULL, lease_expires_at = NULL \
         WHERE webhook_id = ? AND status = 'pending'",
    )
    .bind(now)
    .bind(webhook_id)
    .execute(conn)
    .await?;
    Ok(())
}

pub(super) async fn delete_webhook(store: &SqliteStore, tenant_id: &str, id: &str) -> Result<bool> {
    let mut tx = store.writer.begin().await?;
    sqlx::query("DELETE FROM webhook_deliveries WHERE tenant_id = ? AND webhook_id = ?")
        .bind(tenant_id)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    let deleted = sqlx::query("DELETE FROM webhooks WHERE tenant_id = ? AND id = ?")
        .bind(tenant_id)
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    tx.commit().await?;
    Ok(deleted == 1)
}

pub(super) async fn insert_webhook_deliveries(
    store: &SqliteStore,
    deliveries: &[NewWebhookDelivery],
) -> Result<()> {
    let mut tx = store.writer.begin().await?;
    for d in deliveries {
        sqlx::query(
            "INSERT INTO webhook_deliveries (id, webhook_id, tenant_id, event, payload, status, attempts, \
             next_attempt_at, created_at, lease_owner, lease_expires_at) VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?, ?)",
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

pub(super) async fn claim_webhook_deliveries(
    store: &SqliteStore,
    owner: &str,
    now: i64,
    lease_until: i64,
    limit: i64,
) -> Result<Vec<ClaimedDelivery>> {
    let mut tx = store.writer.begin().await?;
    let rows = sqlx::query(&format!(
        "UPDATE webhook_deliveries SET lease_owner = ?, lease_expires_at = ? WHERE id IN \
         (SELECT id FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= ? \
          AND (lease_expires_at IS NULL OR lease_expires_at < ?) ORDER BY next_attempt_at, id LIMIT ?) \
         RETURNING {DELIVERY_COLUMNS}"
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
        let hook = sqlx::query("SELECT url, secret FROM webhooks WHERE id = ?")
            .bind(&delivery.webhook_id)
            .fetch_one(&mut *tx)
            .await?;
        claimed.push(ClaimedDelivery {
            url: hook.try_get("url")?,
            secret: hook.try_get("secret")?,
            delivery,
        });
    }
    tx.commit().await?;
    claimed.sort_by(|a, b| a.delivery.id.cmp(&b.delivery.id));
    Ok(claimed)
}

pub(super) async fn record_webhook_attempt(
    store: &SqliteStore,
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
    let mut tx = store.writer.begin().await?;
    let row = sqlx::query(
        "UPDATE webhook_deliveries SET status = ?, attempts = attempts + 1, next_attempt_at = ?, \
         last_status_code = ?, last_error = ?, last_attempt_at = ?, duration_ms = ?, finished_at = ?, \
         lease_owner = NULL, lease_expires_at = NULL \
         WHERE id = ? AND status = 'pending' AND lease_owner = ? RETURNING webhook_id",
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
    let webhook_id: String = row.try_get(0)?;
    let mut webhook_disabled = false;
    match attempt.result {
        AttemptResult::Succeeded => {
            sqlx::query("UPDATE webhooks SET consecutive_failures = 0 WHERE id = ?")
                .bind(&webhook_id)
                .execute(&mut *tx)
                .await?;
        }
        AttemptResult::Failed | AttemptResult::Refused => {
            let row = sqlx::query(
                "UPDATE webhooks SET consecutive_failures = consecutive_failures + 1 WHERE id = ? \
                 RETURNING consecutive_failures, enabled",
            )
            .bind(&webhook_id)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(row) = row {
                let failures: i64 = row.try_get(0)?;
                let enabled: bool = row.try_get(1)?;
                if enabled && failures >= disable_after {
                    sqlx::query(
                        "UPDATE webhooks SET enabled = 0, disabled_reason = ? WHERE id = ?",
                    )
                    .bind(format!(
                        "disabled after {failures} consecutive failed deliveries"
                    ))
                    .bind(&webhook_id)
                    .execute(&mut *tx)
                    .await?;
                    fail_pending(&mut tx, &webhook_id, attempt.at).await?;
                    webhook_disabled = true;
                }
            }
        }
        AttemptResult::Retry(_) => {}
    }
    tx.commit().await?;
    Ok(AttemptRecorded::Recorded { webhook_disabled })
}

pub(super) async fn get_webhook_delivery(
    store: &SqliteStore,
    tenant_id: &str,
    id: &str,
) -> Result<Option<WebhookDelivery>> {
    let row = sqlx::query(&format!(
        "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE tenant_id = ? AND id = ?"
    ))
    .bind(tenant_id)
    .bind(id)
    .fetch_optional(&store.writer)
    .await?;
    row.as_ref().map(delivery_from_row).transpose()
}

pub(super) async fn list_webhook_deliveries(
    store: &SqliteStore,
    tenant_id: &str,
    webhook_id: &str,
    filter: &DeliveryFilter,
) -> Result<Vec<WebhookDelivery>> {
    let mut q: QueryBuilder<Sqlite> = QueryBuilder::new(format!(
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
    let rows = q.build().fetch_all(&store.reader).await?;
    rows.iter().map(delivery_from_row).collect()
}

pub(super) async fn prune_webhook_deliveries(store: &SqliteStore, before: i64) -> Result<u64> {
    Ok(sqlx::query(
        "DELETE FROM webhook_deliveries WHERE status <> 'pending' AND finished_at IS NOT NULL AND finished_at < ?",
    )
    .bind(before)
    .execute(&store.writer)
    .await?
    .rows_affected())
}
