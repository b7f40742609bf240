//! A Redis Cluster's replication: every node with its role, master, slots and bus link as a
//! live node reports them, and the verdict: slots uncovered, a node failed (and whether its
//! slots were taken over), a master left without a replica.

use std::time::Duration;

use crate::redis::cluster::{self, ClusterNode, SLOTS};
use crate::redis::{RedisMode, RedisTopology};

use super::Verdict;
use super::redis_links::{ClusterView, RedisReplication, num};

/// Masters by their first slot, each followed by its replicas; nodes of no master last.
fn ordered(mut nodes: Vec<ClusterNode>) -> Vec<ClusterNode> {
    nodes.sort_by(|a, b| {
        let key = |n: &ClusterNode| (n.first_slot(), n.port);
        key(a).cmp(&key(b))
    });
    let (masters, replicas): (Vec<_>, Vec<_>) = nodes.into_iter().partition(|n| n.is_master());
    let mut out = Vec::new();
    let mut placed = vec![false; replicas.len()];
    for master in masters {
        let id = master.id.clone();
        out.push(master);
        for (i, r) in replicas.iter().enumerate() {
            if r.master_id.as_deref() == Some(id.as_str()) {
                out.push(r.clone());
                placed[i] = true;
            }
        }
    }
    out.extend(
        replicas
            .into_iter()
            .zip(placed)
            .filter(|(_, p)| !p)
            .map(|(r, _)| r),
    );
    out
}

/// The verdict on a cluster from one live node's view of it.
pub fn judge(view: &ClusterView) -> (Verdict, String) {
    let nodes = &view.nodes;
    let masters: Vec<&ClusterNode> = nodes.iter().filter(|n| n.is_master()).collect();
    let covered: u32 = masters
        .iter()
        .filter(|m| !m.failed())
        .map(|m| m.slot_count())
        .sum();
    if view.state.as_deref() != Some("ok") {
        let failed: Vec<String> = masters
            .iter()
            .filter(|m| m.failed() && !m.slots.is_empty())
            .map(|m| format!("{} (slots {})", m.address, m.slot_ranges()))
            .collect();
        return (
            Verdict::Broken,
            if failed.is_empty() {
                format!(
                    "cluster_state is {}: {covered} of {SLOTS} slots served",
                    view.state.as_deref().unwrap_or("unknown")
                )
            } else {
                format!(
                    "cluster_state is {}: master {} failed and no replica has taken over",
                    view.state.as_deref().unwrap_or("unknown"),
                    failed.join(", ")
                )
            },
        );
    }
    if let Some(gone) = nodes.iter().find(|n| n.failed()) {
        let was = if gone.slots.is_empty() && gone.is_master() {
            "a master that no longer serves slots: a replica took over".to_owned()
        } else {
            gone.role.clone()
        };
        return (
            Verdict::Lagging,
            format!(
                "node {} ({}) failed, {was}; {} masters serve all {SLOTS} slots",
                gone.address,
                &gone.id[..8.min(gone.id.len())],
                masters.iter().filter(|m| !m.failed()).count()
            ),
        );
    }
    if let Some(doubted) = nodes.iter().find(|n| n.suspected()) {
        return (
            Verdict::Lagging,
            format!(
                "node {} is suspected down by {} (not yet agreed by the cluster)",
                doubted.address, view.address
            ),
        );
    }
    if let Some(cut) = nodes
        .iter()
        .find(|n| n.link != "connected" && !n.flags.iter().any(|f| f == "myself"))
    {
        return (
            Verdict::Lagging,
            format!(
                "{} has no cluster bus link to {}",
                view.address, cut.address
            ),
        );
    }
    let serving: Vec<&&ClusterNode> = masters.iter().filter(|m| !m.slots.is_empty()).collect();
    if let Some(alone) = serving.iter().find(|m| {
        !nodes
            .iter()
            .any(|r| r.master_id.as_deref() == Some(m.id.as_str()) && !r.failed())
    }) {
        return (
            Verdict::Lagging,
            format!(
                "master {} has no replica: losing it loses slots {}",
                alone.address,
                alone.slot_ranges()
            ),
        );
    }
    (
        Verdict::Healthy,
        format!(
            "{} masters with {} replicas; all {SLOTS} slots ok",
            serving.len(),
            nodes.iter().filter(|n| !n.is_master()).count()
        ),
    )
}

/// The cluster side of a profile, from the first seed node that answers.
pub async fn check(profile: &RedisTopology, timeout: Duration) -> RedisReplication {
    let mut report = RedisReplication::empty(RedisMode::Cluster);
    let state = match cluster::state(&profile.nodes, timeout).await {
        Ok(state) => state,
        Err(e) => {
            report.overall = Verdict::Unreachable;
            report.reason = format!("no seed node of the cluster answered: {e}");
            return report;
        }
    };
    let view = ClusterView {
        address: state.server.info.address.clone(),
        state: state.info.get("cluster_state").cloned(),
        slots_assigned: num(&state.info, "cluster_slots_assigned"),
        slots_ok: num(&state.info, "cluster_slots_ok"),
        slots_fail: num(&state.info, "cluster_slots_fail"),
        known_nodes: num(&state.info, "cluster_known_nodes"),
        nodes: ordered(state.nodes),
    };
    let (verdict, reason) = judge(&view);
    report.overall = verdict;
    report.reason = reason;
    report.cluster = Some(view);
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(reply: &str, state: &str) -> ClusterView {
        ClusterView {
            address: "127.0.0.1:7000".into(),
            state: Some(state.into()),
            slots_assigned: Some(16384),
            slots_ok: Some(16384),
            slots_fail: Some(0),
            known_nodes: Some(4),
            nodes: ordered(cluster::parse_nodes(reply)),
        }
    }

    const HEALTHY: &str = "\
a1 127.0.0.1:7000@17000 myself,master - 0 0 1 connected 0-8191
b2 127.0.0.1:7001@17001 master - 0 0 2 connected 8192-16383
c3 127.0.0.1:7002@17002 slave b2 0 0 2 connected
d4 127.0.0.1:7003@17003 slave a1 0 0 1 connected
";

    #[test]
    fn masters_come_with_their_replicas_and_health_is_said() {
        let v = view(HEALTHY, "ok");
        let order: Vec<u16> = v.nodes.iter().map(|n| n.port).collect();
        assert_eq!(order, vec![7000, 7003, 7001, 7002]);
        assert_eq!(
            judge(&v),
            (
                Verdict::Healthy,
                "2 masters with 2 replicas; all 16384 slots ok".into()
            )
        );
    }

    #[test]
    fn a_failed_master_is_broken_until_taken_over_then_degraded() {
        let down = HEALTHY.replace(
            "master - 0 0 2 connected 8192-16383",
            "master,fail - 0 0 2 disconnected 8192-16383",
        );
        let (verdict, reason) = judge(&view(&down, "fail"));
        assert_eq!(verdict, Verdict::Broken);
        assert!(
            reason.contains("127.0.0.1:7001 (slots 8192-16383)"),
            "{reason}"
        );
        let taken_over = "\
a1 127.0.0.1:7000@17000 myself,master - 0 0 1 connected 0-8191
b2 127.0.0.1:7001@17001 master,fail - 0 0 2 disconnected
c3 127.0.0.1:7002@17002 master - 0 0 3 connected 8192-16383
d4 127.0.0.1:7003@17003 slave a1 0 0 1 connected
";
        let (verdict, reason) = judge(&view(taken_over, "ok"));
        assert_eq!(verdict, Verdict::Lagging);
        assert!(reason.starts_with("node 127.0.0.1:7001 (b2) failed, a master that no longer serves slots: a replica took over"), "{reason}");
    }

    #[test]
    fn a_master_without_replica_is_a_risk() {
        let lonely = HEALTHY.replace("c3 127.0.0.1:7002@17002 slave b2 0 0 2 connected\n", "");
        let (verdict, reason) = judge(&view(&lonely, "ok"));
        assert_eq!(verdict, Verdict::Lagging);
        assert_eq!(
            reason,
            "master 127.0.0.1:7001 has no replica: losing it loses slots 8192-16383"
        );
    }
}
