//! The Redis cache browser: keys by pattern with SCAN only (never KEYS), under a cost guard,
//! on a standalone server, the master Sentinel names, or every master of a cluster.

pub mod analyze;
mod keys;
mod scan;
pub mod value;
mod views;

pub use keys::{check_pattern, glob_escape, is_binary, parse_key, show_bytes};
pub use scan::{KeyRow, ScanPage, ScanRequest, keyspace, scan};

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::access::{Actor, Permission};
use crate::audit::{self, Change};
use crate::error::{Error, Result};
use crate::mysql::MysqlServer;
use crate::profiles::{RedisMode, RedisProfile};
use crate::redis::{RedisServer, connect_profile, data_node};

/// The largest COUNT hint one SCAN call gets: bigger ones make single calls slow.
pub const MAX_COUNT: u32 = 1000;
/// SCAN calls one request makes at most, so one click never walks a huge keyspace.
pub const MAX_CALLS_PER_REQUEST: u32 = 50;
/// Wall-clock budget of one request; it returns what it has when this runs out.
pub const REQUEST_BUDGET: Duration = Duration::from_millis(1500);
/// Keys on one page at most (each gets a TYPE and a PTTL).
pub const MAX_PAGE: u32 = 500;
/// A keyspace this large is scanned only after the user said so.
pub const LARGE_KEYSPACE: u64 = 100_000;

/// The data nodes a browse walks: one, or every master of a cluster. Made only by
/// [`nodes`] or [`Nodes::single`], which check the actor may browse the cache: holding one
/// is the permission.
#[non_exhaustive]
pub struct Nodes {
    pub servers: Vec<RedisServer>,
}

impl Nodes {
    /// One server given by URL, for an actor that may browse the cache.
    pub fn single(server: RedisServer, actor: Actor) -> Result<Nodes> {
        actor.require(Permission::BrowseCache)?;
        Ok(Nodes {
            servers: vec![server],
        })
    }
}

/// Connects to the profile's data nodes: the server itself, the master Sentinel names, or
/// every master `CLUSTER NODES` lists.
pub async fn nodes(profile: &RedisProfile, actor: Actor, timeout: Duration) -> Result<Nodes> {
    actor.require(Permission::BrowseCache)?;
    let first = connect_profile(profile, timeout).await?;
    if profile.mode != RedisMode::Cluster {
        return Nodes::single(first, actor);
    }
    let mut conn = first.conn.clone();
    let raw: String = ::redis::cmd("CLUSTER")
        .arg("NODES")
        .query_async(&mut conn)
        .await
        .map_err(|e| first.err(e))?;
    let mut addresses = cluster_masters(&raw);
    addresses.sort();
    let like = profile
        .nodes
        .first()
        .expect("a cluster profile has a seed node");
    let mut servers = Vec::new();
    for (host, port) in addresses {
        if host == first.target.host && port == first.target.port {
            servers.push(first.clone());
        } else {
            servers.push(RedisServer::connect(&data_node(host, port, like), timeout).await?);
        }
    }
    Ok(Nodes { servers })
}

/// Masters of a `CLUSTER NODES` reply that are not failing: `(host, port)`.
pub fn cluster_masters(raw: &str) -> Vec<(String, u16)> {
    raw.lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let flags = fields.get(2)?;
            if !flags.split(',').any(|f| f == "master") || flags.contains("fail") {
                return None;
            }
            // ip:port@cport[,hostname]
            let addr = fields.get(1)?.split('@').next()?;
            let (host, port) = addr.rsplit_once(':')?;
            Some((host.to_owned(), port.parse().ok()?))
        })
        .collect()
}

/// The node of `nodes` that holds `key`: the only one, or the cluster master that owns its
/// slot (the others answer MOVED).
pub async fn node_for<'a>(nodes: &'a Nodes, key: &[u8]) -> Result<&'a RedisServer> {
    if nodes.servers.len() == 1 {
        return Ok(&nodes.servers[0]);
    }
    for server in &nodes.servers {
        let mut conn = server.conn.clone();
        match ::redis::cmd("EXISTS")
            .arg(key)
            .query_async::<u64>(&mut conn)
            .await
        {
            Ok(_) => return Ok(server),
            Err(e) if e.kind() == ::redis::ErrorKind::Server(::redis::ServerErrorKind::Moved) => {
                continue;
            }
            Err(e) => return Err(server.err(e)),
        }
    }
    Err(Error::NotFound(format!(
        "no master of the cluster owns the slot of `{}`",
        show_bytes(key)
    )))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum KeyChange {
    /// UNLINK: the value is freed in the background, so a huge key does not stall Redis.
    Delete,
    Expire {
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        seconds: u64,
    },
    /// PERSIST: remove the expiry.
    Persist,
}

/// Deletes a key or changes its expiry, and writes it to operation_logs. The caller asked
/// the user to confirm.
pub async fn change(
    nodes: &Nodes,
    actor: Actor,
    key: &str,
    what: KeyChange,
    audit_to: &MysqlServer,
) -> Result<bool> {
    actor.require(Permission::RedisWrite)?;
    let bytes = parse_key(key)?;
    let server = node_for(nodes, &bytes).await?;
    let mut conn = server.conn.clone();
    let (action, applied): (&str, i64) = match what {
        KeyChange::Delete => (
            "cache.delete",
            ::redis::cmd("UNLINK")
                .arg(&bytes)
                .query_async(&mut conn)
                .await
                .map_err(|e| server.err(e))?,
        ),
        KeyChange::Expire { seconds } => (
            "cache.expire",
            ::redis::cmd("EXPIRE")
                .arg(&bytes)
                .arg(seconds.max(1))
                .query_async(&mut conn)
                .await
                .map_err(|e| server.err(e))?,
        ),
        KeyChange::Persist => (
            "cache.persist",
            ::redis::cmd("PERSIST")
                .arg(&bytes)
                .query_async(&mut conn)
                .await
                .map_err(|e| server.err(e))?,
        ),
    };
    if applied == 0 && !matches!(what, KeyChange::Persist) {
        return Err(Error::NotFound(format!(
            "`{key}` no longer exists: it expired or was deleted"
        )));
    }
    audit::record(
        audit_to,
        Change {
            action,
            resource_type: "redis_key",
            resource_id: None,
            details: json!({ "key": key, "node": server.info.address, "change": what }),
        },
    )
    .await?;
    Ok(applied == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cluster_nodes_reply_lists_healthy_masters() {
        let raw = "a1 127.0.0.1:7000@17000 myself,master - 0 0 1 connected 0-5460\n\
                   b2 127.0.0.1:7001@17001 master - 0 0 2 connected 5461-10922\n\
                   c3 127.0.0.1:7002@17002 master,fail - 0 0 3 connected\n\
                   d4 127.0.0.1:7003@17003 slave a1 0 0 1 connected\n";
        assert_eq!(
            cluster_masters(raw),
            vec![("127.0.0.1".into(), 7000), ("127.0.0.1".into(), 7001)]
        );
    }
}
