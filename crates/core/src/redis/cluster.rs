//! A Redis Cluster as its nodes describe it: `CLUSTER NODES` parsed into nodes, roles, slot
//! ranges and links; the slot of a key; the identity of a cluster across reconnections.
//!
//! The console dials every node itself (through the profile's bastion when it has one, each
//! announced address getting its own forward), so it routes by the slot map it read rather
//! than through a client that would dial announced addresses directly.

use std::collections::BTreeSet;
use std::time::Duration;

use serde::Serialize;

use super::{RedisServer, RedisTarget, data_node, parse_info};
use crate::error::{Error, Result};

/// Hash slots of every Redis Cluster.
pub const SLOTS: u16 = 16384;

/// The hash slot of `key`: CRC16 (XMODEM) of the key, or of its `{hash tag}` when the
/// braces hold at least one byte, modulo [`SLOTS`].
pub fn key_slot(key: &[u8]) -> u16 {
    let hashed = key
        .iter()
        .position(|b| *b == b'{')
        .and_then(|open| {
            let rest = &key[open + 1..];
            let close = rest.iter().position(|b| *b == b'}')?;
            (close > 0).then(|| &rest[..close])
        })
        .unwrap_or(key);
    crc16::State::<crc16::XMODEM>::calculate(hashed) % SLOTS
}

/// One node of a cluster, as a `CLUSTER NODES` line describes it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ClusterNode {
    pub id: String,
    /// `host:port` as the node announces it (dialled through the bastion when there is one).
    pub address: String,
    pub host: String,
    pub port: u16,
    /// `master` or `replica`.
    pub role: String,
    /// A replica's master.
    pub master_id: Option<String>,
    /// `myself`, `fail?` (suspected by the node asked), `fail` (agreed), `handshake`, …
    pub flags: Vec<String>,
    /// `connected` or `disconnected`: the cluster bus link of the node asked to this one.
    pub link: String,
    /// Slot ranges served, inclusive.
    pub slots: Vec<(u16, u16)>,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub config_epoch: u64,
}

impl ClusterNode {
    pub fn is_master(&self) -> bool {
        self.role == "master"
    }

    /// The cluster agreed it failed (`fail`), not just suspected (`fail?`).
    pub fn failed(&self) -> bool {
        self.flags.iter().any(|f| f == "fail")
    }

    pub fn suspected(&self) -> bool {
        self.flags.iter().any(|f| f == "fail?")
    }

    pub fn slot_count(&self) -> u32 {
        self.slots
            .iter()
            .map(|(a, b)| u32::from(*b) - u32::from(*a) + 1)
            .sum()
    }

    /// `0-5460,5462`: the slot ranges as Redis writes them.
    pub fn slot_ranges(&self) -> String {
        self.slots
            .iter()
            .map(|(a, b)| {
                if a == b {
                    a.to_string()
                } else {
                    format!("{a}-{b}")
                }
            })
            .collect::<Vec<_>>()
            .join(",")
    }

    pub fn serves(&self, slot: u16) -> bool {
        self.slots.iter().any(|(a, b)| (*a..=*b).contains(&slot))
    }

    /// The first slot it serves, to order masters stably across failovers.
    pub fn first_slot(&self) -> u16 {
        self.slots.iter().map(|(a, _)| *a).min().unwrap_or(SLOTS)
    }
}

/// Parses a `CLUSTER NODES` reply. Slots being migrated (`[n->-id]`) are left out: they
/// still belong to the node listed first.
pub fn parse_nodes(raw: &str) -> Vec<ClusterNode> {
    raw.lines().filter_map(parse_line).collect()
}

fn parse_line(line: &str) -> Option<ClusterNode> {
    let fields: Vec<&str> = line.split_whitespace().collect();
    if fields.len() < 8 {
        return None;
    }
    // ip:port@cport[,hostname]
    let address = fields[1].split(['@', ',']).next()?;
    let (host, port) = address.rsplit_once(':')?;
    let port: u16 = port.parse().ok()?;
    let flags: Vec<String> = fields[2].split(',').map(str::to_owned).collect();
    let role = if flags.iter().any(|f| f == "master") {
        "master"
    } else if flags.iter().any(|f| f == "slave" || f == "replica") {
        "replica"
    } else {
        "unknown"
    };
    let slots = fields[8..]
        .iter()
        .filter(|s| !s.starts_with('['))
        .filter_map(|s| match s.split_once('-') {
            Some((a, b)) => Some((a.parse().ok()?, b.parse().ok()?)),
            None => s.parse().ok().map(|n| (n, n)),
        })
        .collect();
    Some(ClusterNode {
        id: fields[0].to_owned(),
        address: address.to_owned(),
        host: host.to_owned(),
        port,
        role: role.to_owned(),
        master_id: (fields[3] != "-").then(|| fields[3].to_owned()),
        flags,
        link: fields[7].to_owned(),
        slots,
        config_epoch: fields[6].parse().unwrap_or(0),
    })
}

/// The masters serving slots that the cluster has not marked failed, ordered by their
/// first slot (so a replica that takes over keeps its master's place).
pub fn serving_masters(nodes: &[ClusterNode]) -> Vec<&ClusterNode> {
    let mut masters: Vec<&ClusterNode> = nodes
        .iter()
        .filter(|n| n.is_master() && !n.failed() && !n.slots.is_empty())
        .collect();
    masters.sort_by_key(|n| n.first_slot());
    masters
}

/// Which cluster this is: the ids of the nodes seen. Clusters have no id of their own, but
/// node ids are random and kept in each node's `nodes.conf`, so two clusters never share one;
/// a cluster seen again shares at least one node with what was seen before.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClusterIdentity(pub BTreeSet<String>);

impl ClusterIdentity {
    pub fn of(nodes: &[ClusterNode]) -> Self {
        ClusterIdentity(nodes.iter().map(|n| n.id.clone()).collect())
    }

    pub fn same_cluster(&self, other: &ClusterIdentity) -> bool {
        self.0.is_empty() || other.0.is_empty() || !self.0.is_disjoint(&other.0)
    }
}

/// What one node of a cluster says about all of them, and `CLUSTER INFO`.
pub struct ClusterState {
    /// The node that answered.
    pub server: RedisServer,
    pub nodes: Vec<ClusterNode>,
    pub info: std::collections::BTreeMap<String, String>,
}

/// Asks the seeds in turn until one answers `CLUSTER NODES` and `CLUSTER INFO`.
pub async fn state(seeds: &[RedisTarget], timeout: Duration) -> Result<ClusterState> {
    let mut last = None;
    for seed in seeds {
        match state_of(seed, timeout).await {
            Ok(state) => return Ok(state),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(super::no_node))
}

async fn state_of(seed: &RedisTarget, timeout: Duration) -> Result<ClusterState> {
    let server = RedisServer::connect(seed, timeout).await?;
    let mut conn = server.conn.clone();
    let raw: String = ::redis::cmd("CLUSTER")
        .arg("NODES")
        .query_async(&mut conn)
        .await
        .map_err(|e| not_a_cluster(&server, e))?;
    let info: String = ::redis::cmd("CLUSTER")
        .arg("INFO")
        .query_async(&mut conn)
        .await
        .map_err(|e| server.err(e))?;
    Ok(ClusterState {
        nodes: parse_nodes(&raw),
        info: parse_info(&info),
        server,
    })
}

fn not_a_cluster(server: &RedisServer, e: ::redis::RedisError) -> Error {
    if e.to_string().contains("cluster support disabled") {
        Error::InvalidInput(format!(
            "{} is not in cluster mode: set the profile's Redis mode to standalone or Sentinel",
            server.info.address
        ))
    } else {
        server.err(e)
    }
}

/// Connects to `node` with the credentials, TLS and bastion of the profile's seed `like`.
pub async fn connect_node(
    node: &ClusterNode,
    like: &RedisTarget,
    timeout: Duration,
) -> Result<RedisServer> {
    RedisServer::connect(&data_node(node.host.clone(), node.port, like), timeout).await
}

#[cfg(test)]
mod tests {
    use super::*;

    const REPLY: &str = "\
07c37dfeb235213a872192d90877d0cd55635b91 127.0.0.1:30004@31004,hostname4 slave e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 0 1426238317239 4 connected
67ed2db8d677e59ec4a4cefb06858cf2a1a89fa1 127.0.0.1:30002@31002,hostname2 master - 0 1426238316232 2 connected 5461-10922
292f8b365bb7edb5e285caf0b7e6ddc7265d2f4f 127.0.0.1:30003@31003,hostname3 master - 0 1426238318243 3 connected 10923-16383
6ec23923021cf3ffec47632106199cb7f496ce01 127.0.0.1:30005@31005,hostname5 slave 67ed2db8d677e59ec4a4cefb06858cf2a1a89fa1 0 1426238316232 5 connected
824fe116063bc5fcf9f4ffd895bc17aee7731ac3 127.0.0.1:30006@31006,hostname6 slave 292f8b365bb7edb5e285caf0b7e6ddc7265d2f4f 0 1426238317741 6 connected
e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 127.0.0.1:30001@31001,hostname1 myself,master,fail - 0 0 1 disconnected 0-5460 [5461->-67ed2db8d677e59ec4a4cefb06858cf2a1a89fa1]
";

    #[test]
    fn the_documented_nodes_reply_is_read() {
        let nodes = parse_nodes(REPLY);
        assert_eq!(nodes.len(), 6);
        let first = &nodes[5];
        assert_eq!(first.address, "127.0.0.1:30001");
        assert_eq!(first.port, 30001);
        assert!(first.is_master() && first.failed() && !first.suspected());
        assert_eq!(first.slots, vec![(0, 5460)], "a migrating slot stays out");
        assert_eq!(first.link, "disconnected");
        assert_eq!(
            nodes[0].master_id.as_deref(),
            Some("e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca")
        );
        assert_eq!(nodes[0].role, "replica");
        let serving: Vec<u16> = serving_masters(&nodes).iter().map(|n| n.port).collect();
        assert_eq!(
            serving,
            vec![30002, 30003],
            "the failed master serves nothing"
        );
        assert_eq!(nodes[1].slot_count(), 5462);
    }

    #[test]
    fn slots_follow_crc16_and_hash_tags() {
        // Values from the cluster specification and `CLUSTER KEYSLOT`.
        assert_eq!(key_slot(b"123456789"), 12739);
        assert_eq!(key_slot(b"foo"), 12182);
        assert_eq!(key_slot(b"{user1000}.following"), key_slot(b"user1000"));
        // An empty tag hashes the whole key.
        assert_ne!(key_slot(b"foo{}{bar}"), key_slot(b"bar"));
        assert_ne!(key_slot(b"foo{}{bar}"), key_slot(b""));
        assert_eq!(key_slot(b"foo{{bar}}zap"), key_slot(b"{bar"));
    }

    #[test]
    fn a_cluster_is_recognised_by_any_node_it_still_has() {
        let a = ClusterIdentity(["x".into(), "y".into()].into());
        let later = ClusterIdentity(["y".into(), "z".into()].into());
        let other = ClusterIdentity(["p".into()].into());
        assert!(a.same_cluster(&later));
        assert!(!a.same_cluster(&other));
    }
}
