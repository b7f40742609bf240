//! The Redis overview: memory, hit rate, evictions, clients, ops/s, keys per database and
//! the slow log.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::access::{Actor, Permission};
use crate::cache::show_bytes;
use crate::error::Result;
use crate::redis::{RedisInfo, RedisServer};

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct KeyspaceDb {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub db: u32,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub keys: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub expires: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub avg_ttl_ms: u64,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct SlowEntry {
    #[serde(with = "crate::wire::id")]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub id: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub at_unix: i64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub micros: u64,
    /// The command and its arguments, binary shown escaped, long ones cut by the server.
    pub command: Vec<String>,
    pub client: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct RedisStatus {
    pub server: RedisInfo,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub used_memory: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub used_memory_peak: u64,
    pub fragmentation_ratio: f64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub maxmemory: u64,
    pub maxmemory_policy: String,
    /// hits / (hits + misses) since the server started; `None` before any lookup.
    pub hit_rate: Option<f64>,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub keyspace_hits: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub keyspace_misses: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub evicted_keys: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub expired_keys: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub connected_clients: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub blocked_clients: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub ops_per_sec: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub uptime_seconds: u64,
    pub keyspace: Vec<KeyspaceDb>,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub slowlog_length: u64,
    pub slowlog: Vec<SlowEntry>,
}

fn field<T: std::str::FromStr + Default>(map: &BTreeMap<String, String>, key: &str) -> T {
    map.get(key)
        .and_then(|v| v.parse().ok())
        .unwrap_or_default()
}

/// `db0:keys=1,expires=0,avg_ttl=0` lines of `INFO keyspace`.
pub fn parse_keyspace(map: &BTreeMap<String, String>) -> Vec<KeyspaceDb> {
    let mut out: Vec<KeyspaceDb> = map
        .iter()
        .filter_map(|(name, value)| {
            let db = name.strip_prefix("db")?.parse().ok()?;
            let parts: BTreeMap<&str, u64> = value
                .split(',')
                .filter_map(|p| p.split_once('='))
                .filter_map(|(k, v)| Some((k, v.parse().ok()?)))
                .collect();
            Some(KeyspaceDb {
                db,
                keys: parts.get("keys").copied().unwrap_or(0),
                expires: parts.get("expires").copied().unwrap_or(0),
                avg_ttl_ms: parts.get("avg_ttl").copied().unwrap_or(0),
            })
        })
        .collect();
    out.sort_by_key(|d| d.db);
    out
}

type RawSlowEntry = (u64, i64, u64, Vec<Vec<u8>>, Option<String>, Option<String>);

/// The newest `limit` entries of `SLOWLOG GET`, and its length.
pub async fn slowlog(server: &RedisServer, limit: u32) -> Result<(u64, Vec<SlowEntry>)> {
    let mut conn = server.conn.clone();
    let (length, raw): (u64, Vec<::redis::Value>) = ::redis::pipe()
        .cmd("SLOWLOG")
        .arg("LEN")
        .cmd("SLOWLOG")
        .arg("GET")
        .arg(limit.min(1000))
        .query_async(&mut conn)
        .await
        .map_err(|e| server.err(e))?;
    let entries = raw
        .into_iter()
        .filter_map(|v| {
            ::redis::from_redis_value::<RawSlowEntry>(v.clone())
                .ok()
                .or_else(|| {
                    // Redis before 4.0 has no client fields.
                    ::redis::from_redis_value::<(u64, i64, u64, Vec<Vec<u8>>)>(v)
                        .ok()
                        .map(|(a, b, c, d)| (a, b, c, d, None, None))
                })
        })
        .map(|(id, at_unix, micros, args, client, _name)| SlowEntry {
            id,
            at_unix,
            micros,
            command: args.iter().map(|a| show_bytes(a)).collect(),
            client: client.filter(|c| !c.is_empty()),
        })
        .collect();
    Ok((length, entries))
}

/// The node's figures and its slow log, whose commands carry keys and values as sent (tokens,
/// cached rows): operators only.
pub async fn status(server: &RedisServer, actor: Actor) -> Result<RedisStatus> {
    actor.require(Permission::Monitor)?;
    let memory = server.info_section("memory").await?;
    let stats = server.info_section("stats").await?;
    let clients = server.info_section("clients").await?;
    let info = server.info_section("server").await?;
    let keyspace = server.info_section("keyspace").await?;
    let (slowlog_length, slowlog) = slowlog(server, 32).await?;
    let hits: u64 = field(&stats, "keyspace_hits");
    let misses: u64 = field(&stats, "keyspace_misses");
    Ok(RedisStatus {
        server: server.info.clone(),
        used_memory: field(&memory, "used_memory"),
        used_memory_peak: field(&memory, "used_memory_peak"),
        fragmentation_ratio: field(&memory, "mem_fragmentation_ratio"),
        maxmemory: field(&memory, "maxmemory"),
        maxmemory_policy: field(&memory, "maxmemory_policy"),
        hit_rate: (hits + misses > 0).then(|| hits as f64 / (hits + misses) as f64),
        keyspace_hits: hits,
        keyspace_misses: misses,
        evicted_keys: field(&stats, "evicted_keys"),
        expired_keys: field(&stats, "expired_keys"),
        connected_clients: field(&clients, "connected_clients"),
        blocked_clients: field(&clients, "blocked_clients"),
        ops_per_sec: field(&stats, "instantaneous_ops_per_sec"),
        uptime_seconds: field(&info, "uptime_in_seconds"),
        keyspace: parse_keyspace(&keyspace),
        slowlog_length,
        slowlog,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyspace_lines_parse() {
        let map = crate::redis::parse_info(
            "# Keyspace\r\ndb0:keys=12,expires=3,avg_ttl=5000\r\ndb2:keys=1,expires=0,avg_ttl=0\r\n",
        );
        let dbs = parse_keyspace(&map);
        assert_eq!(dbs.len(), 2);
        assert_eq!(
            (dbs[0].db, dbs[0].keys, dbs[0].expires, dbs[0].avg_ttl_ms),
            (0, 12, 3, 5000)
        );
        assert_eq!(dbs[1].db, 2);
    }
}
