//! Alerts on PostgreSQL. A cooldown decision takes a transaction-scoped advisory lock on
//! its alert key first, so processes sharing the database decide one after the other and
//! send one alert per window.

use sqlx::postgres::PgPool;
use sqlx::{Postgres, QueryBuilder, Row};

use super::{ALERT_COLUMNS, alert_from_row, notification_from_row};
use crate::*;

pub(crate) async fn raise(writer: &PgPool, new: &NewAlert) -> Result<RaisedAlert> {
    let mut tx = writer.begin().await?;
    let raised = raise_in(&mut tx, new).await?;
    tx.commit().await?;
    Ok(raised)
}

/// The cooldown decision of [`raise`] inside the caller's transaction (which must be
/// one: the decision is only serialized until it commits).
pub(crate) async fn raise_in(tx: &mut sqlx::PgConnection, new: &NewAlert) -> Result<RaisedAlert> {
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(super::lock_key(
            &new.rule,
            new.tenant_id.as_deref(),
            &new.dedup_key,
        ))
        .execute(&mut *tx)
        .await?;
    let open = sqlx::query(&format!(
        "SELECT {ALERT_COLUMNS} FROM alerts WHERE rule = $1 AND dedup_key = $2 AND tenant_id IS NOT DISTINCT FROM $3 \
         AND state <> 'resolved' ORDER BY first_seen DESC, id DESC LIMIT 1"
    ))
    .bind(&new.rule)
    .bind(&new.dedup_key)
    .bind(&new.tenant_id)
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(row) = open {
        let alert = alert_from_row!(&row)?;
        if new.now < alert.first_seen + new.cooldown_ms {
            let row = sqlx::query(&format!(
                "UPDATE alerts SET occurrences = occurrences + $1, last_seen = GREATEST(last_seen, $2) \
                 WHERE id = $3 RETURNING {ALERT_COLUMNS}"
            ))
            .bind(new.occurrences)
            .bind(new.now)
            .bind(&alert.id)
            .fetch_one(&mut *tx)
            .await?;
            let alert = alert_from_row!(&row)?;
            return Ok(RaisedAlert::Folded(alert));
        }
    }
    // The cooldown is over: earlier alerts of this key are superseded by the new one.
    sqlx::query(
        "UPDATE alerts SET state = 'resolved', resolved_at = $1 \
         WHERE rule = $2 AND dedup_key = $3 AND tenant_id IS NOT DISTINCT FROM $4 AND state <> 'resolved'",
    )
    .bind(new.now)
    .bind(&new.rule)
    .bind(&new.dedup_key)
    .bind(&new.tenant_id)
    .execute(&mut *tx)
    .await?;
    let row = sqlx::query(&format!(
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
    let alert = alert_from_row!(&row)?;
    Ok(RaisedAlert::Opened(alert))
}

pub(crate) async fn get(reader: &PgPool, id: &str) -> Result<Option<Alert>> {
    let row = sqlx::query(&format!("SELECT {ALERT_COLUMNS} FROM alerts WHERE id = $1"))
        .bind(id)
        .fetch_optional(reader)
        .await?;
    row.map(|row| alert_from_row!(&row)).transpose()
}

pub(crate) async fn list(reader: &PgPool, filter: &AlertFilter) -> Result<Vec<Alert>> {
    let mut q: QueryBuilder<Postgres> =
        QueryBuilder::new(format!("SELECT {ALERT_COLUMNS} FROM alerts WHERE 1 = 1"));
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
    q.push(" ORDER BY first_seen DESC, id DESC LIMIT ")
        .push_bind(filter.limit);
    let rows = q.build().fetch_all(reader).await?;
    rows.iter().map(|row| alert_from_row!(row)).collect()
}

pub(crate) async fn acknowledge(
    writer: &PgPool,
    id: &str,
    actor: &str,
    now: i64,
) -> Result<Option<Alert>> {
    sqlx::query(
        "UPDATE alerts SET state = 'acknowledged', acknowledged_by = $1, acknowledged_at = $2 \
         WHERE id = $3 AND state = 'firing'",
    )
    .bind(actor)
    .bind(now)
    .bind(id)
    .execute(writer)
    .await?;
    get(writer, id).await
}

pub(crate) async fn resolve(
    writer: &PgPool,
    rule: &str,
    tenant_id: Option<&str>,
    dedup_key: &str,
    now: i64,
) -> Result<u64> {
    Ok(sqlx::query(
        "UPDATE alerts SET state = 'resolved', resolved_at = $1 \
         WHERE rule = $2 AND dedup_key = $3 AND tenant_id IS NOT DISTINCT FROM $4 AND state <> 'resolved'",
    )
    .bind(now)
    .bind(rule)
    .bind(dedup_key)
    .bind(tenant_id)
    .execute(writer)
    .await?
    .rows_affected())
}

pub(crate) async fn claim_escalation(writer: &PgPool, id: &str, now: i64) -> Result<bool> {
    Ok(sqlx::query(
        "UPDATE alerts SET escalated_at = $1 WHERE id = $2 AND state = 'firing' AND escalated_at IS NULL",
    )
    .bind(now)
    .bind(id)
    .execute(writer)
    .await?
    .rows_affected()
        == 1)
}

pub(crate) async fn record_notification(writer: &PgPool, n: &AlertNotification) -> Result<()> {
    sqlx::query(
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

pub(crate) async fn notifications(
    reader: &PgPool,
    alert_id: &str,
) -> Result<Vec<AlertNotification>> {
    let rows = sqlx::query(
        "SELECT * FROM alert_notifications WHERE alert_id = $1 ORDER BY created_at, id",
    )
    .bind(alert_id)
    .fetch_all(reader)
    .await?;
    rows.iter().map(|row| notification_from_row!(row)).collect()
}

pub(crate) async fn count_finished(reader: &PgPool, since: i64) -> Result<(i64, i64)> {
    let row = sqlx::query(
        "SELECT COUNT(*), COALESCE(SUM(CASE WHEN status IN ('failed', 'timed_out') THEN 1 ELSE 0 END), 0) \
         FROM audits WHERE finished_at >= $1 AND status IN ('succeeded', 'failed', 'timed_out')",
    )
    .bind(since)
    .fetch_one(reader)
    .await?;
    Ok((row.try_get(0)?, row.try_get(1)?))
}

pub(crate) async fn prune(writer: &PgPool, before: i64) -> Result<u64> {
    let mut tx = writer.begin().await?;
    sqlx::query(
        "DELETE FROM alert_notifications WHERE alert_id IN \
         (SELECT id FROM alerts WHERE state <> 'firing' AND last_seen < $1)",
    )
    .bind(before)
    .execute(&mut *tx)
    .await?;
    let deleted = sqlx::query("DELETE FROM alerts WHERE state <> 'firing' AND last_seen < $1")
        .bind(before)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    tx.commit().await?;
    Ok(deleted)
}
