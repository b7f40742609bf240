//! A heartbeat table, as pt-heartbeat keeps it: the primary writes the time into a row of its
//! own every second; a replica's lag is its clock minus the time its copy of that row shows.
//! That stays true while the SQL thread is stopped, when `Seconds_Behind_Master` is NULL.

use serde::Serialize;
use serde_json::json;

use crate::access::{Actor, Permission};
use crate::audit::{self, Change};
use crate::error::Result;
use crate::mysql::MysqlServer;

/// Where the console creates one (pt-heartbeat's customary database).
pub const DATABASE: &str = "percona";
pub const TABLE: &str = "heartbeat";

/// A heartbeat table found on a server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct HeartbeatTable {
    pub database: String,
    pub table: String,
}

impl HeartbeatTable {
    fn qualified(&self) -> String {
        format!(
            "{}.{}",
            crate::mysql::quote_ident(&self.database),
            crate::mysql::quote_ident(&self.table)
        )
    }
}

/// A pt-heartbeat compatible table (`ts` and `server_id` columns): `percona.heartbeat` first,
/// else one named `heartbeat` in any database.
pub async fn find(server: &MysqlServer) -> Result<Option<HeartbeatTable>> {
    // Unprepared: each refresh asks it on a new connection, where a prepare is a round trip.
    let row = sqlx::raw_sql(
        "SELECT c.TABLE_SCHEMA, c.TABLE_NAME FROM information_schema.COLUMNS c \
         WHERE c.TABLE_NAME = 'heartbeat' AND c.COLUMN_NAME IN ('ts', 'server_id') \
         GROUP BY c.TABLE_SCHEMA, c.TABLE_NAME HAVING COUNT(*) = 2 \
         ORDER BY c.TABLE_SCHEMA <> 'percona', c.TABLE_SCHEMA LIMIT 1",
    )
    .fetch_optional(&server.pool)
    .await
    .map_err(|e| server.err(e))?;
    Ok(row.and_then(|row| {
        Some(HeartbeatTable {
            database: crate::mysql::cell_text(&row, 0)?,
            table: crate::mysql::cell_text(&row, 1)?,
        })
    }))
}

/// Creates `percona.heartbeat` on the primary (pt-heartbeat's layout), audited.
pub async fn create(primary: &MysqlServer, actor: Actor) -> Result<HeartbeatTable> {
    actor.require(Permission::Heartbeat)?;
    let table = HeartbeatTable {
        database: DATABASE.into(),
        table: TABLE.into(),
    };
    let mut conn = primary.pool.acquire().await.map_err(|e| primary.err(e))?;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "CREATE DATABASE IF NOT EXISTS {}",
        crate::mysql::quote_ident(DATABASE)
    )))
    .execute(&mut *conn)
    .await
    .map_err(|e| primary.err(e))?;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "CREATE TABLE IF NOT EXISTS {} (\
           ts varchar(26) NOT NULL, \
           server_id int unsigned NOT NULL PRIMARY KEY, \
           file varchar(255) DEFAULT NULL, \
           position bigint unsigned DEFAULT NULL, \
           relay_master_log_file varchar(255) DEFAULT NULL, \
           exec_master_log_pos bigint unsigned DEFAULT NULL\
         ) ENGINE=InnoDB",
        table.qualified()
    )))
    .execute(&mut *conn)
    .await
    .map_err(|e| primary.err(e))?;
    drop(conn);
    audit::record(
        primary,
        Change {
            action: "replication.heartbeat.create",
            resource_type: "heartbeat",
            resource_id: None,
            details: json!({ "table": format!("{DATABASE}.{TABLE}") }),
        },
    )
    .await?;
    Ok(table)
}

/// One beat: the primary's UTC time (microseconds, pt-heartbeat's `--utc` format) in its row.
pub async fn beat(primary: &MysqlServer, actor: Actor, table: &HeartbeatTable) -> Result<()> {
    actor.require(Permission::Heartbeat)?;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "REPLACE INTO {} (ts, server_id) VALUES (DATE_FORMAT(UTC_TIMESTAMP(6), '%Y-%m-%dT%H:%i:%s.%f'), @@server_id)",
        table.qualified()
    )))
    .execute(&primary.pool)
    .await
    .map_err(|e| primary.err(e))?;
    Ok(())
}

/// Seconds between the replica's clock and the last beat of `source_server_id` it applied;
/// `None` when it has no beat of that server yet.
pub async fn lag(
    replica: &MysqlServer,
    table: &HeartbeatTable,
    source_server_id: u32,
) -> Result<Option<f64>> {
    let row: Option<(Option<i64>,)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT TIMESTAMPDIFF(MICROSECOND, STR_TO_DATE(ts, '%Y-%m-%dT%H:%i:%s.%f'), UTC_TIMESTAMP(6)) \
         FROM {} WHERE server_id = ?",
        table.qualified()
    )))
    .bind(source_server_id)
    .fetch_optional(&replica.pool)
    .await
    .map_err(|e| replica.err(e))?;
    Ok(row
        .and_then(|(us,)| us)
        .map(|us| (us as f64 / 1e6).max(0.0)))
}
