//! Redis persistence: what `INFO persistence`, `LASTSAVE` and the config say, and the
//! `BGSAVE` / `BGREWRITEAOF` triggers (refused on a replica, where they save nothing new).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::access::{Actor, Permission};
use crate::error::{Error, Result};
use crate::redis::RedisServer;

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Persistence {
    pub address: String,
    /// `master` or `slave`.
    pub role: String,
    pub loading: bool,
    pub rdb_bgsave_in_progress: bool,
    /// Seconds the running BGSAVE has taken so far.
    pub rdb_current_bgsave_seconds: Option<i64>,
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub rdb_last_save: Option<DateTime<Utc>>,
    pub rdb_last_bgsave_status: Option<String>,
    pub rdb_last_bgsave_seconds: Option<i64>,
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub rdb_changes_since_last_save: Option<u64>,
    pub aof_enabled: bool,
    pub aof_rewrite_in_progress: bool,
    pub aof_rewrite_scheduled: bool,
    pub aof_last_bgrewrite_status: Option<String>,
    pub aof_last_write_status: Option<String>,
    /// The `save` points, e.g. `["900 1", "300 10", "60 10000"]`; `None` when CONFIG is not allowed.
    pub save_points: Option<Vec<String>>,
    pub appendfsync: Option<String>,
    /// Why a trigger is not offered here (a replica), if so.
    pub refuses: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum Trigger {
    Bgsave,
    Bgrewriteaof,
}

impl Trigger {
    pub fn command(self) -> &'static str {
        match self {
            Trigger::Bgsave => "BGSAVE",
            Trigger::Bgrewriteaof => "BGREWRITEAOF",
        }
    }
}

fn flag(v: Option<&String>) -> bool {
    v.is_some_and(|v| v == "1")
}

pub async fn status(redis: &RedisServer) -> Result<Persistence> {
    let info = redis.info_section("persistence").await?;
    let replication = redis.info_section("replication").await?;
    let mut conn = redis.conn.clone();
    let last_save: Option<i64> = ::redis::cmd("LASTSAVE")
        .query_async(&mut conn)
        .await
        .map_err(|e| redis.err(e))?;
    // CONFIG can be renamed away on managed servers: then the save points are unknown.
    let config = |name: &'static str| {
        let mut conn = redis.conn.clone();
        async move {
            ::redis::cmd("CONFIG")
                .arg("GET")
                .arg(name)
                .query_async::<Vec<String>>(&mut conn)
                .await
                .ok()
                .and_then(|v| v.get(1).cloned())
        }
    };
    let save = config("save").await;
    let appendfsync = config("appendfsync").await;
    let save_points = save.map(|s| {
        let parts: Vec<&str> = s.split_whitespace().collect();
        parts.chunks(2).map(|p| p.join(" ")).collect()
    });
    let num = |k: &str| {
        info.get(k)
            .and_then(|v| v.parse::<i64>().ok())
            .filter(|n| *n >= 0)
    };
    let text = |k: &str| info.get(k).cloned();
    let role = replication.get("role").cloned().unwrap_or_default();
    Ok(Persistence {
        address: redis.info.address.clone(),
        refuses: (role == "slave").then(|| {
            "this is a replica: save on the master (a replica's file is a copy of it)".to_owned()
        }),
        role,
        loading: flag(info.get("loading")),
        rdb_bgsave_in_progress: flag(info.get("rdb_bgsave_in_progress")),
        rdb_current_bgsave_seconds: num("rdb_current_bgsave_time_sec"),
        rdb_last_save: last_save.and_then(|t| DateTime::from_timestamp(t, 0)),
        rdb_last_bgsave_status: text("rdb_last_bgsave_status"),
        rdb_last_bgsave_seconds: num("rdb_last_bgsave_time_sec"),
        rdb_changes_since_last_save: num("rdb_changes_since_last_save").map(|n| n as u64),
        aof_enabled: flag(info.get("aof_enabled")),
        aof_rewrite_in_progress: flag(info.get("aof_rewrite_in_progress")),
        aof_rewrite_scheduled: flag(info.get("aof_rewrite_scheduled")),
        aof_last_bgrewrite_status: text("aof_last_bgrewrite_status"),
        aof_last_write_status: text("aof_last_write_status"),
        save_points,
        appendfsync,
    })
}

/// Starts `BGSAVE` or `BGREWRITEAOF` on a master; the server's reply, e.g. "Background saving
/// started". Recorded in the `operation_logs` of `audit_to` when given.
pub async fn trigger(
    redis: &RedisServer,
    actor: Actor,
    what: Trigger,
    audit_to: Option<&crate::mysql::MysqlServer>,
) -> Result<String> {
    actor.require(Permission::RedisPersist)?;
    let now = status(redis).await?;
    if let Some(reason) = now.refuses {
        return Err(Error::Refused(format!(
            "{} refused: {reason}",
            what.command()
        )));
    }
    if what == Trigger::Bgsave && now.rdb_bgsave_in_progress {
        return Err(Error::Conflict("a BGSAVE is already running".into()));
    }
    let mut conn = redis.conn.clone();
    let reply = ::redis::cmd(what.command())
        .query_async::<String>(&mut conn)
        .await
        .map_err(|e| redis.err(e))?;
    if let Some(mysql) = audit_to {
        crate::audit::record(
            mysql,
            crate::audit::Change {
                action: match what {
                    Trigger::Bgsave => "redis.bgsave",
                    Trigger::Bgrewriteaof => "redis.bgrewriteaof",
                },
                resource_type: "redis",
                resource_id: None,
                details: serde_json::json!({ "server": redis.info.address, "reply": reply }),
            },
        )
        .await?;
    }
    Ok(reply)
}
