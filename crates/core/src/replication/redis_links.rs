//! The Redis side of replication: `INFO replication` of the master and each replica (link,
//! offsets, byte lag), Sentinel's view (`SENTINEL MASTERS/REPLICAS/SENTINELS/CKQUORUM`), and a
//! Cluster's state and slot coverage.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;

use crate::error::{Error, ErrorSummary, Result};
use crate::redis::{RedisMode, RedisTopology};
use crate::redis::{RedisServer, RedisTarget};

use super::Verdict;

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct RedisNode {
    pub address: String,
    pub role: Option<String>,
    /// For a replica: `up` or `down`.
    pub link_status: Option<String>,
    pub last_io_seconds_ago: Option<i64>,
    pub sync_in_progress: bool,
    #[serde(with = "crate::wire::opt_id")]
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub offset: Option<u64>,
    /// The master's offset minus this replica's: bytes not yet replicated.
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub lag_bytes: Option<u64>,
    pub connected_replicas: Option<u32>,
    pub verdict: Verdict,
    pub reason: String,
    pub error: Option<ErrorSummary>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct SentinelView {
    pub address: String,
    pub master_name: String,
    /// Where this Sentinel says the master is now (a failover moves it).
    pub master: Option<String>,
    pub master_flags: Option<String>,
    pub replicas: Vec<String>,
    pub sentinels: u32,
    pub quorum: Option<u32>,
    /// `SENTINEL CKQUORUM`: `OK 1 usable Sentinels…` or the reason it cannot fail over.
    pub ckquorum: Option<String>,
    pub error: Option<ErrorSummary>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ClusterView {
    pub address: String,
    pub state: Option<String>,
    pub slots_assigned: Option<u32>,
    pub slots_ok: Option<u32>,
    pub slots_fail: Option<u32>,
    pub known_nodes: Option<u32>,
    /// Masters by first slot, each followed by its replicas, as the node at `address` sees
    /// them.
    pub nodes: Vec<crate::redis::cluster::ClusterNode>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct RedisReplication {
    pub mode: RedisMode,
    /// The master this check found (through Sentinel for a Sentinel profile).
    pub master: Option<String>,
    pub nodes: Vec<RedisNode>,
    pub sentinels: Vec<SentinelView>,
    pub cluster: Option<ClusterView>,
    pub overall: Verdict,
    pub reason: String,
}

impl RedisReplication {
    /// A report with nothing checked yet: healthy until something says otherwise.
    pub fn empty(mode: RedisMode) -> Self {
        RedisReplication {
            mode,
            master: None,
            nodes: Vec::new(),
            sentinels: Vec::new(),
            cluster: None,
            overall: Verdict::Healthy,
            reason: String::new(),
        }
    }
}

pub(super) fn num<T: std::str::FromStr>(m: &BTreeMap<String, String>, k: &str) -> Option<T> {
    m.get(k).and_then(|v| v.parse().ok())
}

/// `slave0:ip=127.0.0.1,port=13309,state=online,offset=123,lag=0` → its fields.
fn replica_line(v: &str) -> BTreeMap<String, String> {
    v.split(',')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

fn failed(address: String, e: &Error) -> RedisNode {
    RedisNode {
        address,
        role: None,
        link_status: None,
        last_io_seconds_ago: None,
        sync_in_progress: false,
        offset: None,
        lag_bytes: None,
        connected_replicas: None,
        verdict: Verdict::Unreachable,
        reason: format!("unreachable: {e}"),
        error: Some(e.summary()),
    }
}

/// `INFO replication` of `target`, with a master's replicas' addresses.
async fn node(target: &RedisTarget, timeout: Duration) -> (RedisNode, Vec<RedisTarget>) {
    let address = target.address();
    let server = match RedisServer::connect(target, timeout).await {
        Ok(s) => s,
        Err(e) => return (failed(address, &e), Vec::new()),
    };
    let info = match server.info_section("replication").await {
        Ok(i) => i,
        Err(e) => return (failed(address, &e), Vec::new()),
    };
    let role = info.get("role").cloned();
    let mut replicas = Vec::new();
    if role.as_deref() == Some("master") {
        for (k, v) in &info {
            if k.starts_with("slave") && k[5..].chars().all(|c| c.is_ascii_digit()) {
                let f = replica_line(v);
                if let (Some(ip), Some(port)) =
                    (f.get("ip"), f.get("port").and_then(|p| p.parse().ok()))
                {
                    // Reached as the master is: credentials, TLS with its CA, bastion.
                    replicas.push(crate::redis::data_node(ip.clone(), port, target));
                }
            }
        }
    }
    let link = info.get("master_link_status").cloned();
    let node = RedisNode {
        address,
        offset: num(
            &info,
            if role.as_deref() == Some("master") {
                "master_repl_offset"
            } else {
                "slave_repl_offset"
            },
        ),
        last_io_seconds_ago: num(&info, "master_last_io_seconds_ago"),
        sync_in_progress: info
            .get("master_sync_in_progress")
            .is_some_and(|v| v == "1"),
        connected_replicas: num(&info, "connected_slaves"),
        verdict: if role.as_deref() == Some("slave") && link.as_deref() != Some("up") {
            Verdict::Broken
        } else {
            Verdict::Healthy
        },
        reason: match (role.as_deref(), link.as_deref()) {
            (Some("slave"), Some("up")) => "replica, link up".into(),
            (Some("slave"), _) => format!(
                "replica, link down to {}:{}{}",
                info.get("master_host").cloned().unwrap_or_default(),
                info.get("master_port").cloned().unwrap_or_default(),
                info.get("master_link_down_since_seconds")
                    .map(|s| format!(" for {s} s"))
                    .unwrap_or_default()
            ),
            (Some("master"), _) => format!(
                "master with {} replica(s)",
                info.get("connected_slaves")
                    .cloned()
                    .unwrap_or_else(|| "0".into())
            ),
            _ => "unknown role".into(),
        },
        role,
        link_status: link,
        lag_bytes: None,
        error: None,
    };
    (node, replicas)
}

/// Sentinel's view of `name` from one Sentinel.
async fn sentinel(target: &RedisTarget, name: &str, timeout: Duration) -> SentinelView {
    let mut view = SentinelView {
        address: target.address(),
        master_name: name.to_owned(),
        master: None,
        master_flags: None,
        replicas: Vec::new(),
        sentinels: 0,
        quorum: None,
        ckquorum: None,
        error: None,
    };
    let server = match RedisServer::connect(target, timeout).await {
        Ok(s) => s,
        Err(e) => {
            view.error = Some(e.summary());
            return view;
        }
    };
    let mut conn = server.conn.clone();
    let result: Result<()> = async {
        let masters: Vec<BTreeMap<String, String>> = ::redis::cmd("SENTINEL")
            .arg("MASTERS")
            .query_async(&mut conn)
            .await
            .map_err(|e| server.err(e))?;
        if let Some(m) = masters
            .iter()
            .find(|m| m.get("name").map(String::as_str) == Some(name))
        {
            view.master = Some(format!(
                "{}:{}",
                m.get("ip").cloned().unwrap_or_default(),
                m.get("port").cloned().unwrap_or_default()
            ));
            view.master_flags = m.get("flags").cloned();
            view.quorum = m.get("quorum").and_then(|q| q.parse().ok());
        } else {
            return Err(Error::NotFound(format!(
                "this Sentinel watches no master named `{name}`"
            )));
        }
        let replicas: Vec<BTreeMap<String, String>> = ::redis::cmd("SENTINEL")
            .arg("REPLICAS")
            .arg(name)
            .query_async(&mut conn)
            .await
            .map_err(|e| server.err(e))?;
        view.replicas = replicas
            .iter()
            .map(|r| {
                format!(
                    "{}:{} ({})",
                    r.get("ip").cloned().unwrap_or_default(),
                    r.get("port").cloned().unwrap_or_default(),
                    r.get("flags").cloned().unwrap_or_default()
                )
            })
            .collect();
        let others: Vec<BTreeMap<String, String>> = ::redis::cmd("SENTINEL")
            .arg("SENTINELS")
            .arg(name)
            .query_async(&mut conn)
            .await
            .map_err(|e| server.err(e))?;
        view.sentinels = others.len() as u32 + 1;
        view.ckquorum = Some(
            match ::redis::cmd("SENTINEL")
                .arg("CKQUORUM")
                .arg(name)
                .query_async::<String>(&mut conn)
                .await
            {
                Ok(ok) => ok,
                Err(e) => e.detail().unwrap_or("no quorum").to_owned(),
            },
        );
        Ok(())
    }
    .await;
    if let Err(e) = result {
        view.error = Some(e.summary());
    }
    view
}

fn parse_addr(addr: &str) -> Option<(String, u16)> {
    let (h, p) = addr.rsplit_once(':')?;
    Some((h.to_owned(), p.parse().ok()?))
}

/// The Redis side of a profile.
pub async fn check(profile: &RedisTopology, timeout: Duration) -> RedisReplication {
    if profile.mode == RedisMode::Cluster {
        return super::redis_cluster::check(profile, timeout).await;
    }
    let mut report = RedisReplication::empty(profile.mode);
    let first = profile.nodes.first().cloned();
    let master_target: Option<RedisTarget> = match profile.mode {
        RedisMode::Standalone | RedisMode::Cluster => first.clone(),
        RedisMode::Sentinel => {
            let name = profile.master_name.clone().unwrap_or_default();
            let sentinels = crate::redis::sentinel_targets(profile);
            report.sentinels = futures_util::future::join_all(
                sentinels.iter().map(|s| sentinel(s, &name, timeout)),
            )
            .await;
            // The master most Sentinels name; a failover shows as the new address here.
            let mut votes: BTreeMap<String, u32> = BTreeMap::new();
            for v in &report.sentinels {
                if let Some(m) = &v.master {
                    *votes.entry(m.clone()).or_insert(0) += 1;
                }
            }
            votes
                .into_iter()
                .max_by_key(|(_, n)| *n)
                .and_then(|(addr, _)| parse_addr(&addr))
                .map(|(h, p)| match &first {
                    Some(like) => crate::redis::data_node(h, p, like),
                    None => RedisTarget::new(h, p),
                })
        }
    };
    let Some(master_target) = master_target else {
        report.overall = Verdict::Unreachable;
        report.reason = match profile.mode {
            RedisMode::Sentinel => "no Sentinel answered with the master's address".into(),
            _ => "the profile names no Redis node".into(),
        };
        return report;
    };
    report.master = Some(master_target.address());
    let (master, replica_targets) = node(&master_target, timeout).await;
    let master_offset = master.offset;
    let replicas =
        futures_util::future::join_all(replica_targets.iter().map(|t| node(t, timeout))).await;
    report.nodes.push(master);
    for (mut r, _) in replicas {
        if let (Some(m), Some(o)) = (master_offset, r.offset) {
            r.lag_bytes = Some(m.saturating_sub(o));
        }
        report.nodes.push(r);
    }
    let worst = report.nodes.iter().max_by_key(|n| n.verdict);
    report.overall = worst.map(|n| n.verdict).unwrap_or(Verdict::Healthy);
    report.reason = match worst {
        Some(n) if n.verdict != Verdict::Healthy => format!("{}: {}", n.address, n.reason),
        _ => format!(
            "master {} with {} replica(s) linked",
            report.master.clone().unwrap_or_default(),
            report.nodes.len().saturating_sub(1)
        ),
    };
    if report
        .nodes
        .first()
        .is_some_and(|m| m.role.as_deref() != Some("master"))
        && report.overall == Verdict::Healthy
    {
        report.overall = Verdict::Broken;
        report.reason = format!(
            "{} is not a master",
            report.master.clone().unwrap_or_default()
        );
    }
    // Sentinel knows every replica that was ever linked: one the master does not list now is
    // not replicating.
    let linked = report.nodes.len().saturating_sub(1);
    if let Some(known) = report.sentinels.iter().map(|s| s.replicas.len()).max()
        && known > linked
        && report.overall == Verdict::Healthy
    {
        report.overall = Verdict::Lagging;
        report.reason =
            format!("Sentinel knows {known} replica(s), the master has {linked} linked");
    }
    if let Some(s) = report
        .sentinels
        .iter()
        .find(|s| s.ckquorum.as_deref().is_some_and(|q| !q.starts_with("OK")))
    {
        report.overall = report.overall.max(Verdict::Lagging);
        report.reason = format!(
            "Sentinel {} cannot fail over: {}",
            s.address,
            s.ckquorum.clone().unwrap_or_default()
        );
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_master_info_line_names_its_replica() {
        let f = replica_line("ip=127.0.0.1,port=13309,state=online,offset=4242,lag=0");
        assert_eq!(f["port"], "13309");
        assert_eq!(f["offset"], "4242");
        assert_eq!(
            parse_addr("127.0.0.1:13308"),
            Some(("127.0.0.1".into(), 13308))
        );
    }
}
