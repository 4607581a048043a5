//! Monitoring and incidents, shared by any number of processes on PostgreSQL. Recording
//! a monitor's blocks takes the dialect's transaction lock on (monitor, chain) before
//! comparing the checkpoint, so two processes following the same monitor record one after
//! the other and the second sees the first's checkpoint; an incident is locked
//! (`FOR UPDATE`) before it is changed or its timeline grows. On SQLite the single writer
//! connection serializes all of these.

use sqlx::Pool;

use super::{Builder, Dialect, RowExt, query};
use crate::monitoring::{self, MonitorTx, NewIncidentEvent, checkpoint_lock_key, list_limit};
use crate::*;

const MONITOR_COLUMNS: &str =
    "id, tenant_id, name, config, enabled, created_by, created_at, updated_at";
const CHECKPOINT_COLUMNS: &str = "monitor_key, chain_id, next_block, last_hash, state, updated_at";
const EVENT_COLUMNS: &str = "id, monitor_key, tenant_id, rule, level, chain_id, block_number, block_hash, \
     tx_hash, tx_index, log_index, alert_id, incident_id, detail, created_at";
const INCIDENT_COLUMNS: &str = "id, tenant_id, title, priority, state, assignee, monitor_key, alert_count, \
     opened_at, acknowledged_at, mitigated_at, resolved_at, updated_at";
const INCIDENT_EVENT_COLUMNS: &str = "id, incident_id, kind, actor, body, created_at";

fn monitor_conflict(error: sqlx::Error) -> StoreError {
    match &error {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict("monitor"),
        _ => error.into(),
    }
}

pub(crate) async fn create_monitor<DB: Dialect>(
    writer: &Pool<DB>,
    m: &StoredMonitor,
) -> Result<()> {
    query::<DB>(&format!(
        "INSERT INTO monitors ({MONITOR_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
    ))
    .bind(&m.id)
    .bind(&m.tenant_id)
    .bind(&m.name)
    .bind(&m.config)
    .bind(m.enabled)
    .bind(&m.created_by)
    .bind(m.created_at)
    .bind(m.updated_at)
    .execute(writer)
    .await
    .map_err(monitor_conflict)?;
    Ok(())
}

pub(crate) async fn get_monitor<DB: Dialect>(
    reader: &Pool<DB>,
    tenant_id: &str,
    id: &str,
) -> Result<Option<StoredMonitor>> {
    let row = query::<DB>(&format!(
        "SELECT {MONITOR_COLUMNS} FROM monitors WHERE tenant_id = $1 AND id = $2"
    ))
    .bind(tenant_id)
    .bind(id)
    .fetch_optional(reader)
    .await?;
    row.map(|row| monitor_from_row(&row)).transpose()
}

pub(crate) async fn list_monitors<DB: Dialect>(
    reader: &Pool<DB>,
    tenant_id: Option<&str>,
) -> Result<Vec<StoredMonitor>> {
    let rows =
        match tenant_id {
            Some(tenant_id) => {
                query::<DB>(&format!(
                    "SELECT {MONITOR_COLUMNS} FROM monitors WHERE tenant_id = $1 ORDER BY name, id"
                ))
                .bind(tenant_id)
                .fetch_all(reader)
                .await?
            }
            None => query::<DB>(&format!(
                "SELECT {MONITOR_COLUMNS} FROM monitors WHERE enabled = TRUE ORDER BY tenant_id, name, id"
            ))
            .fetch_all(reader)
            .await?,
        };
    rows.iter().map(monitor_from_row).collect()
}

pub(crate) async fn update_monitor<DB: Dialect>(
    writer: &Pool<DB>,
    tenant_id: &str,
    id: &str,
    update: &MonitorUpdate,
) -> Result<Option<StoredMonitor>> {
    let mut q = Builder::<DB>::new("UPDATE monitors SET updated_at = ");
    q.push_bind(update.now);
    if let Some(name) = &update.name {
        q.push(", name = ").push_bind(name);
    }
    if let Some(config) = &update.config {
        q.push(", config = ").push_bind(config);
    }
    if let Some(enabled) = update.enabled {
        q.push(", enabled = ").push_bind(enabled);
    }
    q.push(" WHERE tenant_id = ")
        .push_bind(tenant_id)
        .push(" AND id = ")
        .push_bind(id)
        .push(format!(" RETURNING {MONITOR_COLUMNS}"));
    let row = q.fetch_optional(writer).await.map_err(monitor_conflict)?;
    row.map(|row| monitor_from_row(&row)).transpose()
}

/// Deletes the monitor and its checkpoints; its events and incidents stay as history.
pub(crate) async fn delete_monitor<DB: Dialect>(
    writer: &Pool<DB>,
    tenant_id: &str,
    id: &str,
) -> Result<bool> {
    let mut tx = writer.begin().await?;
    let deleted = query::<DB>("DELETE FROM monitors WHERE tenant_id = $1 AND id = $2")
        .bind(tenant_id)
        .bind(id)
        .execute(&mut *tx)
        .await?
        == 1;
    if deleted {
        query::<DB>("DELETE FROM monitor_checkpoints WHERE monitor_key = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(deleted)
}

pub(crate) async fn prune_events<DB: Dialect>(writer: &Pool<DB>, before: i64) -> Result<u64> {
    Ok(
        query::<DB>("DELETE FROM monitor_events WHERE created_at < $1")
            .bind(before)
            .execute(writer)
            .await?,
    )
}

/// The incidents [`prune_incidents`] deletes.
const RESOLVED_BEFORE: &str =
    "SELECT id FROM incidents WHERE state = 'resolved' AND resolved_at < $1";

pub(crate) async fn prune_incidents<DB: Dialect>(writer: &Pool<DB>, before: i64) -> Result<u64> {
    let mut tx = writer.begin().await?;
    query::<DB>(&format!(
        "UPDATE monitor_events SET incident_id = NULL WHERE incident_id IN ({RESOLVED_BEFORE})"
    ))
    .bind(before)
    .execute(&mut *tx)
    .await?;
    query::<DB>(&format!(
        "DELETE FROM incident_events WHERE incident_id IN ({RESOLVED_BEFORE})"
    ))
    .bind(before)
    .execute(&mut *tx)
    .await?;
    let deleted =
        query::<DB>("DELETE FROM incidents WHERE state = 'resolved' AND resolved_at < $1")
            .bind(before)
            .execute(&mut *tx)
            .await?;
    tx.commit().await?;
    Ok(deleted)
}

pub(crate) async fn get_checkpoint<DB: Dialect>(
    reader: &Pool<DB>,
    monitor_key: &str,
    chain_id: i64,
) -> Result<Option<MonitorCheckpoint>> {
    let row = query::<DB>(&format!(
        "SELECT {CHECKPOINT_COLUMNS} FROM monitor_checkpoints WHERE monitor_key = $1 AND chain_id = $2"
    ))
    .bind(monitor_key)
    .bind(chain_id)
    .fetch_optional(reader)
    .await?;
    row.map(|row| checkpoint_from_row(&row)).transpose()
}

pub(crate) async fn record_blocks<DB: Dialect>(
    writer: &Pool<DB>,
    blocks: &MonitorBlocks,
) -> Result<RecordedBlocks> {
    let mut tx = writer.begin().await?;
    let recorded = monitoring::record(&mut SqlConn::<DB>(&mut *tx), blocks).await?;
    tx.commit().await?;
    Ok(recorded)
}

pub(crate) async fn list_events<DB: Dialect>(
    reader: &Pool<DB>,
    tenant_id: &str,
    monitor_key: &str,
    limit: i64,
) -> Result<Vec<MonitorEvent>> {
    let rows = query::<DB>(&format!(
        "SELECT {EVENT_COLUMNS} FROM monitor_events WHERE tenant_id = $1 AND monitor_key = $2 \
         ORDER BY created_at DESC, block_number DESC, tx_index DESC, log_index DESC, id DESC LIMIT $3"
    ))
    .bind(tenant_id)
    .bind(monitor_key)
    .bind(list_limit(limit))
    .fetch_all(reader)
    .await?;
    rows.iter().map(event_from_row).collect()
}

pub(crate) async fn list_incidents<DB: Dialect>(
    reader: &Pool<DB>,
    tenant_id: &str,
    filter: &IncidentFilter,
) -> Result<Vec<Incident>> {
    let mut q = Builder::<DB>::new(format!(
        "SELECT {INCIDENT_COLUMNS} FROM incidents WHERE tenant_id = "
    ));
    q.push_bind(tenant_id);
    if let Some(state) = &filter.state {
        q.push(" AND state = ").push_bind(state);
    }
    if let Some(priority) = &filter.priority {
        q.push(" AND priority = ").push_bind(priority);
    }
    if filter.open_only {
        q.push(" AND state <> 'resolved'");
    }
    q.push(" ORDER BY opened_at DESC, id LIMIT ")
        .push_bind(list_limit(filter.limit));
    let rows = q.fetch_all(reader).await?;
    rows.iter().map(incident_from_row).collect()
}

pub(crate) async fn get_incident<DB: Dialect>(
    reader: &Pool<DB>,
    tenant_id: &str,
    id: &str,
) -> Result<Option<Incident>> {
    let row = query::<DB>(&format!(
        "SELECT {INCIDENT_COLUMNS} FROM incidents WHERE tenant_id = $1 AND id = $2"
    ))
    .bind(tenant_id)
    .bind(id)
    .fetch_optional(reader)
    .await?;
    row.map(|row| incident_from_row(&row)).transpose()
}

pub(crate) async fn list_incident_events<DB: Dialect>(
    reader: &Pool<DB>,
    tenant_id: &str,
    incident_id: &str,
) -> Result<Vec<IncidentEvent>> {
    let rows = query::<DB>(&format!(
        "SELECT {INCIDENT_EVENT_COLUMNS} FROM incident_events WHERE incident_id = $1 \
         AND EXISTS (SELECT 1 FROM incidents WHERE id = $2 AND tenant_id = $3) ORDER BY seq"
    ))
    .bind(incident_id)
    .bind(incident_id)
    .bind(tenant_id)
    .fetch_all(reader)
    .await?;
    rows.iter().map(incident_event_from_row).collect()
}

pub(crate) async fn update_incident<DB: Dialect>(
    writer: &Pool<DB>,
    tenant_id: &str,
    id: &str,
    update: &IncidentUpdate,
) -> Result<Option<IncidentChange>> {
    let mut tx = writer.begin().await?;
    let change = monitoring::update(&mut SqlConn::<DB>(&mut *tx), tenant_id, id, update).await?;
    tx.commit().await?;
    Ok(change)
}

pub(crate) async fn comment_incident<DB: Dialect>(
    writer: &Pool<DB>,
    tenant_id: &str,
    id: &str,
    actor: &str,
    text: &str,
    now: i64,
) -> Result<Option<IncidentEvent>> {
    let mut tx = writer.begin().await?;
    let entry = monitoring::comment(
        &mut SqlConn::<DB>(&mut *tx),
        tenant_id,
        id,
        actor,
        text,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(entry)
}

/// The statements of a monitoring write, on the connection of its transaction.
struct SqlConn<'c, DB: Dialect>(&'c mut DB::Connection);

#[async_trait::async_trait]
impl<DB: Dialect> MonitorTx for SqlConn<'_, DB> {
    async fn lock_checkpoint(&mut self, monitor_key: &str, chain_id: i64) -> Result<()> {
        if let Some(lock) = DB::TRANSACTION_LOCK {
            query::<DB>(lock)
                .bind(checkpoint_lock_key(monitor_key, chain_id))
                .execute(&mut *self.0)
                .await?;
        }
        Ok(())
    }

    async fn checkpoint_next(&mut self, monitor_key: &str, chain_id: i64) -> Result<Option<i64>> {
        let row = query::<DB>(
            "SELECT next_block FROM monitor_checkpoints WHERE monitor_key = $1 AND chain_id = $2",
        )
        .bind(monitor_key)
        .bind(chain_id)
        .fetch_optional(&mut *self.0)
        .await?;
        Ok(row.map(|row| row.field_at(0)).transpose()?)
    }

    async fn upsert_checkpoint(&mut self, c: &MonitorCheckpoint) -> Result<()> {
        query::<DB>(&format!(
            "INSERT INTO monitor_checkpoints ({CHECKPOINT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (monitor_key, chain_id) DO UPDATE SET next_block = excluded.next_block, \
             last_hash = excluded.last_hash, state = excluded.state, updated_at = excluded.updated_at"
        ))
        .bind(&c.monitor_key)
        .bind(c.chain_id)
        .bind(c.next_block)
        .bind(&c.last_hash)
        .bind(c.state.to_string())
        .bind(c.updated_at)
        .execute(&mut *self.0)
        .await?;
        Ok(())
    }

    async fn insert_event(&mut self, e: &MonitorEvent) -> Result<bool> {
        let done = query::<DB>(&format!(
            "INSERT INTO monitor_events ({EVENT_COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) \
             ON CONFLICT (monitor_key, chain_id, rule, block_number, tx_index, log_index) DO NOTHING"
        ))
        .bind(&e.id)
        .bind(&e.monitor_key)
        .bind(&e.tenant_id)
        .bind(&e.rule)
        .bind(&e.level)
        .bind(e.chain_id)
        .bind(e.block_number)
        .bind(&e.block_hash)
        .bind(&e.tx_hash)
        .bind(e.tx_index)
        .bind(e.log_index)
        .bind(&e.alert_id)
        .bind(&e.incident_id)
        .bind(e.detail.to_string())
        .bind(e.created_at)
        .execute(&mut *self.0)
        .await?;
        Ok(done == 1)
    }

    async fn link_event(
        &mut self,
        event_id: &str,
        alert_id: &str,
        incident_id: Option<&str>,
    ) -> Result<()> {
        query::<DB>("UPDATE monitor_events SET alert_id = $1, incident_id = $2 WHERE id = $3")
            .bind(alert_id)
            .bind(incident_id)
            .bind(event_id)
            .execute(&mut *self.0)
            .await?;
        Ok(())
    }

    async fn raise_alert(&mut self, alert: &NewAlert) -> Result<RaisedAlert> {
        super::alerts::raise_in::<DB>(self.0, alert).await
    }

    async fn unresolved_incident(
        &mut self,
        tenant_id: &str,
        monitor_key: &str,
    ) -> Result<Option<Incident>> {
        let row = query::<DB>(&format!(
            "SELECT {INCIDENT_COLUMNS} FROM incidents WHERE tenant_id = $1 AND monitor_key = $2 \
             AND state <> 'resolved' ORDER BY opened_at DESC, id DESC LIMIT 1{for_update}",
            for_update = DB::FOR_UPDATE
        ))
        .bind(tenant_id)
        .bind(monitor_key)
        .fetch_optional(&mut *self.0)
        .await?;
        row.map(|row| incident_from_row(&row)).transpose()
    }

    async fn lock_incident(&mut self, tenant_id: &str, id: &str) -> Result<Option<Incident>> {
        let row = query::<DB>(&format!(
            "SELECT {INCIDENT_COLUMNS} FROM incidents WHERE tenant_id = $1 AND id = $2{for_update}",
            for_update = DB::FOR_UPDATE
        ))
        .bind(tenant_id)
        .bind(id)
        .fetch_optional(&mut *self.0)
        .await?;
        row.map(|row| incident_from_row(&row)).transpose()
    }

    async fn incident_of_alert(
        &mut self,
        tenant_id: &str,
        alert_id: &str,
    ) -> Result<Option<String>> {
        let row = query::<DB>(
            "SELECT e.incident_id FROM incident_events e JOIN incidents i ON i.id = e.incident_id \
             WHERE e.alert_id = $1 AND e.kind = 'alert' AND i.tenant_id = $2 ORDER BY e.seq LIMIT 1",
        )
        .bind(alert_id)
        .bind(tenant_id)
        .fetch_optional(&mut *self.0)
        .await?;
        Ok(row.map(|row| row.field_at(0)).transpose()?)
    }

    async fn insert_incident(&mut self, i: &Incident) -> Result<()> {
        query::<DB>(&format!(
            "INSERT INTO incidents ({INCIDENT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
        ))
        .bind(&i.id)
        .bind(&i.tenant_id)
        .bind(&i.title)
        .bind(&i.priority)
        .bind(&i.state)
        .bind(&i.assignee)
        .bind(&i.monitor_key)
        .bind(i.alert_count)
        .bind(i.opened_at)
        .bind(i.acknowledged_at)
        .bind(i.mitigated_at)
        .bind(i.resolved_at)
        .bind(i.updated_at)
        .execute(&mut *self.0)
        .await?;
        Ok(())
    }

    async fn save_incident(&mut self, i: &Incident) -> Result<()> {
        query::<DB>(
            "UPDATE incidents SET priority = $1, state = $2, assignee = $3, alert_count = $4, \
             acknowledged_at = $5, mitigated_at = $6, resolved_at = $7, updated_at = $8 \
             WHERE tenant_id = $9 AND id = $10",
        )
        .bind(&i.priority)
        .bind(&i.state)
        .bind(&i.assignee)
        .bind(i.alert_count)
        .bind(i.acknowledged_at)
        .bind(i.mitigated_at)
        .bind(i.resolved_at)
        .bind(i.updated_at)
        .bind(&i.tenant_id)
        .bind(&i.id)
        .execute(&mut *self.0)
        .await?;
        Ok(())
    }

    async fn append_incident_event(&mut self, e: &NewIncidentEvent<'_>) -> Result<IncidentEvent> {
        let seq: i64 = query::<DB>(
            "SELECT COALESCE(MAX(seq), 0) + 1 FROM incident_events WHERE incident_id = $1",
        )
        .bind(e.incident_id)
        .fetch_one(&mut *self.0)
        .await?
        .field_at(0)?;
        let row = query::<DB>(&format!(
            "INSERT INTO incident_events (id, incident_id, seq, kind, actor, body, alert_id, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {INCIDENT_EVENT_COLUMNS}"
        ))
        .bind(format!("{}-{seq}", e.incident_id))
        .bind(e.incident_id)
        .bind(seq)
        .bind(e.kind)
        .bind(e.actor)
        .bind(e.body.to_string())
        .bind(e.alert_id)
        .bind(e.created_at)
        .fetch_one(&mut *self.0)
        .await?;
        incident_event_from_row(&row)
    }
}

/// Decodes a [`StoredMonitor`] from a row of either backend.
fn monitor_from_row(row: &impl RowExt) -> Result<StoredMonitor> {
    Ok(StoredMonitor {
        id: row.field("id")?,
        tenant_id: row.field("tenant_id")?,
        name: row.field("name")?,
        config: row.field("config")?,
        enabled: row.field("enabled")?,
        created_by: row.field("created_by")?,
        created_at: row.field("created_at")?,
        updated_at: row.field("updated_at")?,
    })
}

/// Decodes a [`MonitorCheckpoint`] from a row of either backend.
fn checkpoint_from_row(row: &impl RowExt) -> Result<MonitorCheckpoint> {
    let state: String = row.field("state")?;
    Ok(MonitorCheckpoint {
        monitor_key: row.field("monitor_key")?,
        chain_id: row.field("chain_id")?,
        next_block: row.field("next_block")?,
        last_hash: row.field("last_hash")?,
        state: serde_json::from_str(&state)?,
        updated_at: row.field("updated_at")?,
    })
}

/// Decodes a [`MonitorEvent`] from a row of either backend.
fn event_from_row(row: &impl RowExt) -> Result<MonitorEvent> {
    let detail: String = row.field("detail")?;
    Ok(MonitorEvent {
        id: row.field("id")?,
        monitor_key: row.field("monitor_key")?,
        tenant_id: row.field("tenant_id")?,
        rule: row.field("rule")?,
        level: row.field("level")?,
        chain_id: row.field("chain_id")?,
        block_number: row.field("block_number")?,
        block_hash: row.field("block_hash")?,
        tx_hash: row.field("tx_hash")?,
        tx_index: row.field("tx_index")?,
        log_index: row.field("log_index")?,
        alert_id: row.field("alert_id")?,
        incident_id: row.field("incident_id")?,
        detail: serde_json::from_str(&detail)?,
        created_at: row.field("created_at")?,
    })
}

/// Decodes an [`Incident`] from a row of either backend.
fn incident_from_row(row: &impl RowExt) -> Result<Incident> {
    Ok(Incident {
        id: row.field("id")?,
        tenant_id: row.field("tenant_id")?,
        title: row.field("title")?,
        priority: row.field("priority")?,
        state: row.field("state")?,
        assignee: row.field("assignee")?,
        monitor_key: row.field("monitor_key")?,
        alert_count: row.field("alert_count")?,
        opened_at: row.field("opened_at")?,
        acknowledged_at: row.field("acknowledged_at")?,
        mitigated_at: row.field("mitigated_at")?,
        resolved_at: row.field("resolved_at")?,
        updated_at: row.field("updated_at")?,
    })
}

/// Decodes an [`IncidentEvent`] from a row of either backend.
fn incident_event_from_row(row: &impl RowExt) -> Result<IncidentEvent> {
    let body: String = row.field("body")?;
    Ok(IncidentEvent {
        id: row.field("id")?,
        incident_id: row.field("incident_id")?,
        kind: row.field("kind")?,
        actor: row.field("actor")?,
        body: serde_json::from_str(&body)?,
        created_at: row.field("created_at")?,
    })
}
