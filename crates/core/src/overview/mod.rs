//! The overview of a connected platform: servers, database size, MindPal table sizes,
//! Redis memory and keys, and the schema's state.

use serde::Serialize;

use crate::error::Result;
use crate::mysql::{MysqlServer, ServerInfo, quote_ident};
use crate::redis::{RedisInfo, RedisServer};
use crate::schema::{self, MINDPAL_TABLES, MigrationState};

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct TableFigures {
    pub table: String,
    /// `None` when the table does not exist yet.
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub rows: Option<i64>,
    /// `rows` is an exact `COUNT(*)`; else InnoDB's estimate (the table is too big to
    /// count on every refresh).
    pub rows_exact: bool,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub data_bytes: i64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub index_bytes: i64,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct DatabaseOverview {
    pub server: ServerInfo,
    pub database: String,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub size_bytes: i64,
    pub tables: Vec<TableFigures>,
    pub migrations: Vec<MigrationState>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct RedisOverview {
    pub server: RedisInfo,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub used_memory_bytes: i64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub max_memory_bytes: i64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub keys: i64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub connected_clients: i64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub uptime_seconds: i64,
}

/// Tables InnoDB estimates below this many rows are counted exactly on each refresh.
pub const EXACT_COUNT_BELOW: i64 = 200_000;

/// Sizes from `information_schema`, row counts of each MindPal table (exact for small tables,
/// InnoDB's estimate for big ones), migrations.
pub async fn database(server: &MysqlServer) -> Result<DatabaseOverview> {
    let database = schema::current_database(server).await?;
    let sizes: Vec<(String, i64, i64, i64)> = sqlx::query_as(
        "SELECT TABLE_NAME, CAST(COALESCE(DATA_LENGTH, 0) AS SIGNED), CAST(COALESCE(INDEX_LENGTH, 0) AS SIGNED), \
         CAST(COALESCE(TABLE_ROWS, 0) AS SIGNED) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?",
    )
    .bind(&database)
    .fetch_all(&server.pool)
    .await
    .map_err(|e| server.err(e))?;
    let size_bytes = sizes.iter().map(|(_, d, i, _)| d + i).sum();
    let sizes = &sizes;
    let counts = futures_util::future::join_all(MINDPAL_TABLES.iter().map(|table| async move {
        let exists = sizes.iter().find(|(name, _, _, _)| name == table);
        let (rows, rows_exact) = match exists {
            None => (None, true),
            Some((_, _, _, estimate)) if *estimate >= EXACT_COUNT_BELOW => (Some(*estimate), false),
            Some(_) => {
                let sql = format!("SELECT COUNT(*) FROM {}", quote_ident(table));
                let (n,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .fetch_one(&server.pool)
                    .await
                    .map_err(|e| server.err(e))?;
                (Some(n), true)
            }
        };
        Ok::<_, crate::Error>(TableFigures {
            table: (*table).to_owned(),
            rows,
            rows_exact,
            data_bytes: exists.map(|(_, d, _, _)| *d).unwrap_or(0),
            index_bytes: exists.map(|(_, _, i, _)| *i).unwrap_or(0),
        })
    }))
    .await
    .into_iter()
    .collect::<Result<Vec<_>>>()?;
    Ok(DatabaseOverview {
        server: server.info.clone(),
        database,
        size_bytes,
        tables: counts,
        migrations: schema::status(server).await?,
    })
}

/// Memory, key count and clients of a Redis server.
pub async fn redis(server: &RedisServer) -> Result<RedisOverview> {
    let memory = server.info_section("memory").await?;
    let clients = server.info_section("clients").await?;
    let info = server.info_section("server").await?;
    let mut conn = server.conn.clone();
    let keys: i64 = ::redis::cmd("DBSIZE")
        .query_async(&mut conn)
        .await
        .map_err(|e| server.err(e))?;
    let number = |map: &std::collections::BTreeMap<String, String>, key: &str| {
        map.get(key).and_then(|v| v.parse().ok()).unwrap_or(0)
    };
    Ok(RedisOverview {
        server: server.info.clone(),
        used_memory_bytes: number(&memory, "used_memory"),
        max_memory_bytes: number(&memory, "maxmemory"),
        keys,
        connected_clients: number(&clients, "connected_clients"),
        uptime_seconds: number(&info, "uptime_in_seconds"),
    })
}
