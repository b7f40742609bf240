//! The Redis cache browser: keys by pattern with SCAN only (never KEYS), under a cost guard,
//! on a standalone server, the master Sentinel names, or every master of a cluster.

pub mod analyze;
mod keys;
mod redirect;
mod scan;
pub mod value;
mod views;

pub use keys::{check_pattern, glob_escape, is_binary, parse_key, show_bytes};
pub use scan::{KeyRow, NodeShare, ScanPage, ScanRequest, keyspace, scan};

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::access::{Actor, Permission};
use crate::audit::{self, Change};
use crate::error::{Error, Result};
use crate::mysql::MysqlServer;
use crate::redis::cluster::{self, ClusterIdentity, ClusterNode};
use crate::redis::{RedisMode, RedisTopology};
use crate::redis::{RedisServer, connect_topology};

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
    /// In a cluster: each server's node id and slot ranges, in the order of `servers`.
    pub masters: Vec<ClusterNode>,
    /// In a cluster: every node, as the node that answered described them.
    pub topology: Vec<ClusterNode>,
    /// In a cluster: which cluster these nodes belong to.
    pub identity: Option<ClusterIdentity>,
}

impl Nodes {
    /// One server given by URL, for an actor that may browse the cache.
    pub fn single(server: RedisServer, actor: Actor) -> Result<Nodes> {
        actor.require(Permission::BrowseCache)?;
        Ok(Nodes {
            servers: vec![server],
            masters: Vec::new(),
            topology: Vec::new(),
            identity: None,
        })
    }

    pub fn is_cluster(&self) -> bool {
        self.identity.is_some()
    }
}

/// Connects to the profile's data nodes: the server itself, the master Sentinel names, or
/// every master of the cluster that serves slots (each dialled through the profile's
/// bastion when it has one, by the address the cluster announces).
pub async fn nodes(profile: &RedisTopology, actor: Actor, timeout: Duration) -> Result<Nodes> {
    actor.require(Permission::BrowseCache)?;
    if profile.mode != RedisMode::Cluster {
        return Nodes::single(connect_topology(profile, timeout).await?, actor);
    }
    let state = cluster::state(&profile.nodes, timeout).await?;
    let like = profile
        .nodes
        .first()
        .expect("a cluster profile has a seed node");
    let masters: Vec<ClusterNode> = cluster::serving_masters(&state.nodes)
        .into_iter()
        .cloned()
        .collect();
    if masters.is_empty() {
        return Err(Error::NotFound(format!(
            "the cluster {} answered for serves no slot: is it created?",
            state.server.info.address
        )));
    }
    let mut servers = Vec::new();
    for master in &masters {
        if master.host == state.server.target.host && master.port == state.server.target.port {
            servers.push(state.server.clone());
        } else {
            servers.push(cluster::connect_node(master, like, timeout).await?);
        }
    }
    Ok(Nodes {
        servers,
        masters,
        identity: Some(ClusterIdentity::of(&state.nodes)),
        topology: state.nodes,
    })
}

/// The node of `nodes` that holds `key`: the only one, or the cluster master whose slot
/// ranges hold its slot.
pub async fn node_for<'a>(nodes: &'a Nodes, key: &[u8]) -> Result<&'a RedisServer> {
    if !nodes.is_cluster() {
        return Ok(&nodes.servers[0]);
    }
    let slot = cluster::key_slot(key);
    nodes
        .masters
        .iter()
        .position(|m| m.serves(slot))
        .map(|i| &nodes.servers[i])
        .ok_or_else(|| {
            Error::NotFound(format!(
                "no master of the cluster serves slot {slot} of `{}`",
                show_bytes(key)
            ))
        })
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
    let (action, mut command) = match what {
        KeyChange::Delete => ("cache.delete", ::redis::cmd("UNLINK")),
        KeyChange::Expire { .. } => ("cache.expire", ::redis::cmd("EXPIRE")),
        KeyChange::Persist => ("cache.persist", ::redis::cmd("PERSIST")),
    };
    command.arg(&bytes);
    if let KeyChange::Expire { seconds } = what {
        command.arg(seconds.max(1));
    }
    // On the slot's master by the map, or where it redirects when the slot moved.
    let mut at = redirect::Located::by_map(nodes, &bytes).await?;
    let applied: i64 = match command.query_async(&mut at.conn).await {
        Ok(applied) => applied,
        Err(e) => match redirect::Located::redirected(nodes, &e).await? {
            Some(there) => {
                at = there;
                command
                    .query_async(&mut at.conn)
                    .await
                    .map_err(|e| at.server.err(e))?
            }
            None => return Err(at.server.err(e)),
        },
    };
    let server = &at.server;
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
