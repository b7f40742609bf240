//! A real Redis Cluster (the sandbox's: three masters, three replicas, on loopback) reached
//! through the sandbox's SSH bastion: browse over every master with one resumable cursor,
//! key views on the node that serves the key, the topology, and a master killed.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use mindpal_core::access::Actor;
use mindpal_core::cache::{self, ScanRequest};
use mindpal_core::error::ErrorKind;
use mindpal_core::redis::RedisMode;
use mindpal_core::redis::cluster::key_slot;
use mindpal_core::replication::{Verdict, redis_links};
use mindpal_core::sandbox::{self, UpOptions};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use crate::support::free_port_run;

const TIMEOUT: Duration = Duration::from_secs(5);

fn request(cursor: &str, page_size: u32) -> ScanRequest {
    ScanRequest {
        pattern: String::new(),
        cursor: cursor.into(),
        page_size,
        count: Some(page_size),
        confirm_large: false,
    }
}

#[tokio::test]
async fn a_cluster_through_the_bastion_is_browsed_and_its_failover_seen() {
    let home = tempfile::tempdir().unwrap();
    let status = sandbox::up(
        &UpOptions {
            dir: home.path().join("sandbox"),
            base_port: Some(free_port_run(18)),
            seed_scale: Some(0.001),
            profile_store: None,
            bastion: true,
            redis_cluster: true,
            secure: None,
        },
        &|_| {},
    )
    .await
    .expect("the sandbox comes up with its cluster");
    let cluster = status.cluster.clone().expect("a cluster");
    assert!(cluster.running());
    let mut profile = sandbox::sandbox_profile(&status);
    crate::support::through_sandbox_bastion(&mut profile, &status, home.path());
    let redis = profile.redis.clone().unwrap();
    assert_eq!(redis.mode, RedisMode::Cluster);

    // Every master, each dialled through the bastion by the address the cluster announces.
    let nodes = cache::nodes(&redis, Actor::OPERATOR, TIMEOUT)
        .await
        .unwrap();
    assert_eq!(nodes.servers.len(), 3);
    assert_eq!(nodes.topology.len(), 6);
    for server in &nodes.servers {
        assert!(server.info.path.starts_with("via "), "{}", server.info.path);
    }
    let total = cache::keyspace(&nodes).await.unwrap();
    assert!(total >= 2_000, "seeded: {total}");

    // One cursor walks every master; pages resume where they stopped, no key twice.
    let mut seen = BTreeSet::new();
    let mut on_nodes = BTreeSet::new();
    let mut cursor = String::new();
    let mut pages = 0;
    loop {
        let page = cache::scan(&nodes, &request(&cursor, 50)).await.unwrap();
        pages += 1;
        for key in &page.keys {
            assert!(seen.insert(key.key.clone()), "{} twice", key.key);
            on_nodes.insert(key.node.clone().expect("a cluster page names nodes"));
        }
        if page.done {
            break;
        }
        cursor = page.cursor;
    }
    assert_eq!(seen.len() as u64, total);
    assert_eq!(on_nodes.len(), 3);
    assert!(pages > 3);

    // Key views go to the master whose slots hold the key.
    for key in ["user:4", "token:0000000000000005", "conversation:7:context"] {
        let server = cache::node_for(&nodes, key.as_bytes()).await.unwrap();
        let owner = nodes
            .masters
            .iter()
            .find(|m| m.serves(key_slot(key.as_bytes())))
            .unwrap();
        assert_eq!(server.target.port, owner.port);
        let view = cache::value::get(
            &nodes,
            &cache::value::KeyRequest {
                key: key.into(),
                from: String::new(),
                page_size: 50,
            },
        )
        .await
        .unwrap_or_else(|e| panic!("{key}: {e}"));
        assert_ne!(view.kind, "none", "{key}");
        assert_eq!(view.node, server.info.address);
    }

    // The topology as the Replication screen shows it.
    let report = redis_links::check(&redis, TIMEOUT).await;
    assert_eq!(report.overall, Verdict::Healthy, "{}", report.reason);
    let view = report.cluster.as_ref().unwrap();
    assert_eq!(view.nodes.len(), 6);
    assert_eq!(view.nodes[0].slots, vec![(0, 5460)]);
    assert_eq!(view.nodes[1].role, "replica");

    slot_moves_under_an_old_map(&nodes, &status).await;

    // A cursor resumed on the first master, which is then killed.
    let first = cache::scan(&nodes, &request("", 10)).await.unwrap();
    let victim = nodes.masters[0].clone();
    let pid = cluster
        .nodes
        .iter()
        .find(|n| n.port == victim.port)
        .and_then(|n| n.pid)
        .unwrap();
    kill(Pid::from_raw(pid as i32), Signal::SIGKILL).unwrap();
    let killed = Instant::now();

    // Polled as the screen does (every 2 s): the poll that sees the failure, and the one
    // after, which must show who serves the slots now.
    let mut marked_failed = None;
    let mut taken_over = None;
    while killed.elapsed() < Duration::from_secs(30) {
        let report = redis_links::check(&redis, TIMEOUT).await;
        let view = report.cluster.as_ref().expect("a live node answers");
        let dead = view.nodes.iter().find(|n| n.id == victim.id).unwrap();
        if dead.failed() && marked_failed.is_none() {
            marked_failed = Some(killed.elapsed());
        }
        if let Some(heir) = view
            .nodes
            .iter()
            .find(|n| n.is_master() && !n.failed() && n.serves(0))
            && heir.id != victim.id
        {
            assert_eq!(report.overall, Verdict::Lagging, "{}", report.reason);
            assert!(
                report.reason.contains("a replica took over"),
                "{}",
                report.reason
            );
            taken_over = Some((killed.elapsed(), heir.port));
            break;
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    let marked_failed = marked_failed.expect("the cluster marks the killed master failed");
    let (took, heir) = taken_over.expect("a replica takes over slot 0");
    assert!(
        took <= marked_failed + Duration::from_millis(2_000 + 5_000),
        "the takeover is shown within one poll of the failure being agreed: failed at \
         {marked_failed:?}, shown at {took:?}"
    );

    // The old cursor named the dead master: refused, not served from another node.
    let fresh = cache::nodes(&redis, Actor::OPERATOR, TIMEOUT)
        .await
        .unwrap();
    if first.cursor != "0" {
        let err = cache::scan(&fresh, &request(&first.cursor, 10))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Conflict, "{err}");
    }
    assert!(fresh.servers.iter().any(|s| s.target.port == heir));
    assert!(
        fresh
            .identity
            .as_ref()
            .unwrap()
            .same_cluster(nodes.identity.as_ref().unwrap())
    );
    let after = cache::keyspace(&fresh).await.unwrap();
    assert_eq!(after, total, "the replica had every key of its master");

    sandbox::down(&home.path().join("sandbox"), false)
        .await
        .unwrap();
}

async fn cluster_command(server: &mindpal_core::redis::RedisServer, args: &[&str]) {
    let mut command = redis::cmd(args[0]);
    for arg in &args[1..] {
        command.arg(*arg);
    }
    command
        .query_async::<redis::Value>(&mut server.conn.clone())
        .await
        .unwrap_or_else(|e| panic!("{args:?}: {e}"));
}

/// A user key's slot is resharded from the second master to the third while the console's
/// map still names the second: the key is read where `ASK` sends it while the slot
/// migrates, and where `MOVED` sends it after; a change to it lands there too.
async fn slot_moves_under_an_old_map(nodes: &cache::Nodes, status: &sandbox::SandboxStatus) {
    let (source, target) = (&nodes.masters[1], &nodes.masters[2]);
    let key = (0..4_000u64)
        .step_by(4)
        .map(|i| format!("user:{i}"))
        .find(|k| source.serves(key_slot(k.as_bytes())))
        .expect("a seeded user key on the second master");
    let slot = key_slot(key.as_bytes()).to_string();
    let target_port = target.port.to_string();
    cluster_command(
        &nodes.servers[2],
        &["CLUSTER", "SETSLOT", &slot, "IMPORTING", &source.id],
    )
    .await;
    cluster_command(
        &nodes.servers[1],
        &["CLUSTER", "SETSLOT", &slot, "MIGRATING", &target.id],
    )
    .await;
    cluster_command(
        &nodes.servers[1],
        &["MIGRATE", &target.host, &target_port, &key, "0", "5000"],
    )
    .await;
    let request = cache::value::KeyRequest {
        key: key.clone(),
        from: String::new(),
        page_size: 50,
    };
    let view = cache::value::get(nodes, &request)
        .await
        .expect("the key is read where ASK sends it");
    assert_eq!(view.kind, "string");
    assert_eq!(view.node, nodes.servers[2].info.address);

    for server in &nodes.servers {
        cluster_command(server, &["CLUSTER", "SETSLOT", &slot, "NODE", &target.id]).await;
    }
    let view = cache::value::get(nodes, &request)
        .await
        .expect("the key is read where MOVED sends it");
    assert_eq!(view.node, nodes.servers[2].info.address);
    let primary = mindpal_core::mysql::MysqlServer::connect(&status.primary_target(), TIMEOUT, 1)
        .await
        .unwrap();
    let changed = cache::change(
        nodes,
        Actor::OPERATOR,
        &key,
        cache::KeyChange::Expire { seconds: 3_600 },
        &primary,
    )
    .await
    .expect("the change follows MOVED");
    assert!(changed);
    let ttl: i64 = redis::cmd("TTL")
        .arg(&key)
        .query_async(&mut nodes.servers[2].conn.clone())
        .await
        .unwrap();
    assert!(ttl > 3_000, "{ttl}");
}
