//! Alerts and their notifications. A cooldown decision takes the dialect's transaction
//! lock on its alert key first (PostgreSQL: an advisory lock; SQLite: the single writer
//! already serializes it), so processes sharing the database decide one after the other
//! and send one alert per window.

use sqlx::Pool;

use super::{Builder, Dialect, RowExt, query};
use crate::alerts::lock_key;
use crate::*;

const ALERT_COLUMNS: &str = "id, rule, severity, tenant_id, dedup_key, state, first_seen, last_seen, occurrences, \
     escalated_at, acknowledged_by, acknowledged_at, resolved_at, detail";

fn alert_from_row(row: &impl RowExt) -> Result<Alert> {
    let detail: String = row.field("detail")?;
    Ok(Alert {
        id: row.field("id")?,
        rule: row.field("rule")?,
        severity: row.field("severity")?,
        tenant_id: row.field("tenant_id")?,
        dedup_key: row.field("dedup_key")?,
        state: row.field("state")?,
        first_seen: row.field("first_seen")?,
        last_seen: row.field("last_seen")?,
        occurrences: row.field("occurrences")?,
        escalated_at: row.field("escalated_at")?,
        acknowledged_by: row.field("acknowledged_by")?,
        acknowledged_at: row.field("acknowledged_at")?,
        resolved_at: row.field("resolved_at")?,
        detail: serde_json::from_str(&detail)?,
    })
}

fn notification_from_row(row: &impl RowExt) -> Result<AlertNotification> {
    Ok(AlertNotification {
        id: row.field("id")?,
        alert_id: row.field("alert_id")?,
        channel: row.field("channel")?,
        purpose: row.field("purpose")?,
        status: row.field("status")?,
        error: row.field("error")?,
        created_at: row.field("created_at")?,
    })
}

pub(crate) async fn raise<DB: Dialect>(writer: &Pool<DB>, new: &NewAlert) -> Result<RaisedAlert> {
    let mut tx = writer.begin().await?;
    let raised = raise_in::<DB>(&mut tx, new).await?;
    tx.commit().await?;
    Ok(raised)
}

/// The cooldown decision of [`raise`] inside the caller's transaction (which must be
/// one: the decision is only serialized until it commits).
pub(crate) async fn raise_in<DB: Dialect>(
    tx: &mut DB::Connection,
    new: &NewAlert,
) -> Result<RaisedAlert> {
    if let Some(lock) = DB::TRANSACTION_LOCK {
        query::<DB>(lock)
            .bind(lock_key(
                &new.rule,
                new.tenant_id.as_deref(),
                &new.dedup_key,
            ))
            .execute(&mut *tx)
            .await?;
    }
    let open = query::<DB>(&format!(
        "SELECT {ALERT_COLUMNS} FROM alerts WHERE rule = $1 AND dedup_key = $2 AND tenant_id IS NOT DISTINCT FROM $3 \
         AND state <> 'resolved' ORDER BY first_seen DESC, id DESC LIMIT 1"
    ))
    .bind(&new.rule)
    .bind(&new.dedup_key)
    .bind(&new.tenant_id)
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(row) = open {
        let alert = alert_from_row(&row)?;
        if new.now < alert.first_seen + new.cooldown_ms {
            let row = query::<DB>(&format!(
                "UPDATE alerts SET occurrences = occurrences + $1, last_seen = {greatest}(last_seen, $2) \
                 WHERE id = $3 RETURNING {ALERT_COLUMNS}",
                greatest = DB::GREATEST
            ))
            .bind(new.occurrences)
            .bind(new.now)
            .bind(&alert.id)
            .fetch_one(&mut *tx)
            .await?;
            let alert = alert_from_row(&row)?;
            return Ok(RaisedAlert::Folded(alert));
        }
    }
    // The cooldown is over: earlier alerts of this key are superseded by the new one.
    query::<DB>(
        "UPDATE alerts SET state = 'resolved', resolved_at = $1 \
         WHERE rule = $2 AND dedup_key = $3 AND tenant_id IS NOT DISTINCT FROM $4 AND state <> 'resolved'",
    )
    .bind(new.now)
    .bind(&new.rule)
    .bind(&new.dedup_key)
    .bind(&new.tenant_id)
    .execute(&mut *tx)
    .await?;
    let row = query::<DB>(&format!(
        "INSERT INTO alerts ({ALERT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, 'firing', $6, $7, $8, NULL, NULL, NULL, NULL, $9) \
         RETURNING {ALERT_COLUMNS}"
    ))
    .bind(&new.id)
    .bind(&new.rule)
    .bind(&new.severity)
    .bind(&new.tenant_id)
    .bind(&new.dedup_key)
    .bind(new.now)
    .bind(new.now)
    .bind(new.occurrences)
    .bind(new.detail.to_string())
    .fetch_one(&mut *tx)
    .await?;
    let alert = alert_from_row(&row)?;
    Ok(RaisedAlert::Opened(alert))
}

pub(crate) async fn get<DB: Dialect>(reader: &Pool<DB>, id: &str) -> Result<Option<Alert>> {
    let row = query::<DB>(&format!("SELECT {ALERT_COLUMNS} FROM alerts WHERE id = $1"))
        .bind(id)
        .fetch_optional(reader)
        .await?;
    row.map(|row| alert_from_row(&row)).transpose()
}

pub(crate) async fn list<DB: Dialect>(
    reader: &Pool<DB>,
    filter: &AlertFilter,
) -> Result<Vec<Alert>> {
    let mut q = Builder::<DB>::new(format!("SELECT {ALERT_COLUMNS} FROM alerts WHERE 1 = 1"));
    if let Some(v) = &filter.state {
        q.push(" AND state = ").push_bind(v);
    }
    if let Some(v) = &filter.severity {
        q.push(" AND severity = ").push_bind(v);
    }
    if let Some(v) = &filter.rule {
        q.push(" AND rule = ").push_bind(v);
    }
    if let Some(v) = &filter.tenant_id {
        q.push(" AND tenant_id = ").push_bind(v);
    }
    if let Some(v) = filter.since {
        q.push(" AND last_seen >= ").push_bind(v);
    }
    if let Some(v) = filter.opened_before {
        q.push(" AND first_seen < ").push_bind(v);
    }
    match filter.escalated {
        Some(true) => {
            q.push(" AND escalated_at IS NOT NULL");
        }
        Some(false) => {
            q.push(" AND escalated_at IS NULL");
        }
        None => {}
    }
    if let Some(notified) = filter.notified {
        q.push(if notified { " AND " } else { " AND NOT " })
            .push("EXISTS (SELECT 1 FROM alert_notifications n WHERE n.alert_id = alerts.id)");
    }
    q.push(" ORDER BY first_seen DESC, id DESC LIMIT ")
        .push_bind(filter.limit);
    let rows = q.fetch_all(reader).await?;
    rows.iter().map(alert_from_row).collect()
}

pub(crate) async fn acknowledge<DB: Dialect>(
    writer: &Pool<DB>,
    id: &str,
    actor: &str,
    now: i64,
) -> Result<Option<Alert>> {
    query::<DB>(
        "UPDATE alerts SET state = 'acknowledged', acknowledged_by = $1, acknowledged_at = $2 \
         WHERE id = $3 AND state = 'firing'",
    )
    .bind(actor)
    .bind(now)
    .bind(id)
    .execute(writer)
    .await?;
    get::<DB>(writer, id).await
}

pub(crate) async fn resolve<DB: Dialect>(
    writer: &Pool<DB>,
    rule: &str,
    tenant_id: Option<&str>,
    dedup_key: &str,
    now: i64,
) -> Result<u64> {
    Ok(query::<DB>(
        "UPDATE alerts SET state = 'resolved', resolved_at = $1 \
         WHERE rule = $2 AND dedup_key = $3 AND tenant_id IS NOT DISTINCT FROM $4 AND state <> 'resolved'",
    )
    .bind(now)
    .bind(rule)
    .bind(dedup_key)
    .bind(tenant_id)
    .execute(writer)
    .await?)
}

pub(crate) async fn claim_escalation<DB: Dialect>(
    writer: &Pool<DB>,
    id: &str,
    now: i64,
) -> Result<bool> {
    Ok(query::<DB>(
        "UPDATE alerts SET escalated_at = $1 WHERE id = $2 AND state = 'firing' AND escalated_at IS NULL",
    )
    .bind(now)
    .bind(id)
    .execute(writer)
    .await?
        == 1)
}

pub(crate) async fn record_notification<DB: Dialect>(
    writer: &Pool<DB>,
    n: &AlertNotification,
) -> Result<()> {
    query::<DB>(
        "INSERT INTO alert_notifications (id, alert_id, channel, purpose, status, error, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&n.id)
    .bind(&n.alert_id)
    .bind(&n.channel)
    .bind(&n.purpose)
    .bind(&n.status)
    .bind(&n.error)
    .bind(n.created_at)
    .execute(writer)
    .await?;
    Ok(())
}

pub(crate) async fn notifications<DB: Dialect>(
    reader: &Pool<DB>,
    alert_id: &str,
) -> Result<Vec<AlertNotification>> {
    let rows = query::<DB>(
        "SELECT * FROM alert_notifications WHERE alert_id = $1 ORDER BY created_at, id",
    )
    .bind(alert_id)
    .fetch_all(reader)
    .await?;
    rows.iter().map(notification_from_row).collect()
}

pub(crate) async fn count_finished<DB: Dialect>(
    reader: &Pool<DB>,
    since: i64,
) -> Result<(i64, i64)> {
    let row = query::<DB>(
        "SELECT COUNT(*), COALESCE(SUM(CASE WHEN status IN ('failed', 'timed_out') THEN 1 ELSE 0 END), 0) \
         FROM audits WHERE finished_at >= $1 AND status IN ('succeeded', 'failed', 'timed_out')",
    )
    .bind(since)
    .fetch_one(reader)
    .await?;
    Ok((row.field_at(0)?, row.field_at(1)?))
}

pub(crate) async fn prune<DB: Dialect>(writer: &Pool<DB>, before: i64) -> Result<u64> {
    let mut tx = writer.begin().await?;
    query::<DB>(
        "DELETE FROM alert_notifications WHERE alert_id IN \
         (SELECT id FROM alerts WHERE state <> 'firing' AND last_seen < $1)",
    )
    .bind(before)
    .execute(&mut *tx)
    .await?;
    let deleted = query::<DB>("DELETE FROM alerts WHERE state <> 'firing' AND last_seen < $1")
        .bind(before)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(deleted)
}
