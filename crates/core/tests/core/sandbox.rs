//! The sandbox brings up a real primary/replica pair, Redis with a replica and a Sentinel.

use std::net::TcpListener;
use std::time::{Duration, Instant};

use mindpal_core::ErrorKind;
use mindpal_core::mysql::MysqlServer;
use mindpal_core::profiles::{self};
use mindpal_core::redis::RedisMode;
use mindpal_core::redis::{RedisServer, connect_topology, master_from_sentinels};
use mindpal_core::sandbox::{self, Component, UpOptions};

use crate::support::{TIMEOUT, free_port_run};

fn quiet(_: &str) {}

#[tokio::test]
async fn sandbox_replicates_rows_and_redis_and_stops_exactly_what_it_started() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("sandbox");
    let store = home.path().join("profiles.json");
    let base = free_port_run(5);
    let options = UpOptions {
        bastion: false,
        redis_cluster: false,
        secure: None,
        dir: dir.clone(),
        base_port: Some(base),
        seed_scale: Some(0.001),
        profile_store: Some(store.clone()),
    };
    let status = sandbox::up(&options, &quiet)
        .await
        .expect("the sandbox comes up");
    assert!(status.all_running(), "{status:#?}");
    assert!(
        status
            .components
            .iter()
            .all(|c| c.answering && c.host == "127.0.0.1")
    );

    // Idempotent: a second `up` starts nothing new and keeps the same processes.
    let again = sandbox::up(&options, &quiet).await.unwrap();
    let pids = |s: &sandbox::SandboxStatus| s.components.iter().map(|c| c.pid).collect::<Vec<_>>();
    assert_eq!(pids(&status), pids(&again));

    // A row written on the primary appears on the replica.
    let primary = MysqlServer::connect(&status.primary_target(), TIMEOUT, 2)
        .await
        .unwrap();
    let replica = MysqlServer::connect(&status.replica_target(), TIMEOUT, 2)
        .await
        .unwrap();
    sqlx::query("INSERT INTO system_settings (user_id, setting_key, setting_value) VALUES (NULL, 'replication.probe', 'hello 👋')")
        .execute(&primary.pool).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let row: Option<(String,)> = sqlx::query_as(
            "SELECT setting_value FROM system_settings WHERE setting_key = 'replication.probe'",
        )
        .fetch_optional(&replica.pool)
        .await
        .unwrap();
        if let Some((value,)) = row {
            assert_eq!(value, "hello 👋");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the row never reached the replica"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The seeded data replicated too, and the replica is read-only.
    let (users,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM users")
        .fetch_one(&replica.pool)
        .await
        .unwrap();
    assert!(users > 0);
    let (read_only,): (i64,) = sqlx::query_as("SELECT @@read_only")
        .fetch_one(&replica.pool)
        .await
        .unwrap();
    assert_eq!(read_only, 1);

    // The registered profile leads, through the Sentinel, to the Redis master with the seeded keys.
    let profile = profiles::find(&store, "sandbox").unwrap();
    let redis_profile = profile.redis.clone().unwrap();
    assert_eq!(redis_profile.mode, RedisMode::Sentinel);
    let master = connect_topology(&redis_profile, TIMEOUT).await.unwrap();
    assert_eq!(master.info.role, "master");
    assert_eq!(master.target.port, status.port_of(Component::RedisMaster));
    let replica_redis = RedisServer::connect(
        &mindpal_core::redis::RedisTarget::new(
            "127.0.0.1",
            status.port_of(Component::RedisReplica),
        ),
        TIMEOUT,
    )
    .await
    .unwrap();
    assert_eq!(replica_redis.info.role, "slave");
    let unknown = master_from_sentinels(&redis_profile.nodes, "no-such-master", TIMEOUT)
        .await
        .unwrap_err();
    assert_eq!(unknown.kind(), ErrorKind::NotFound, "{unknown}");

    primary.pool.close().await;
    replica.pool.close().await;
    let stopped = sandbox::down(&dir, false).await.unwrap();
    assert_eq!(stopped.len(), 5, "{stopped:?}");
    let after = sandbox::status(&dir).await.unwrap();
    assert!(after.components.iter().all(|c| !c.running), "{after:#?}");
    for c in &status.components {
        let pid = c.pid.unwrap();
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        let state = stat
            .rsplit_once(')')
            .map(|(_, rest)| rest.trim_start().chars().next())
            .unwrap_or(None);
        assert!(
            matches!(state, None | Some('Z')),
            "{} (pid {pid}) still runs: {stat}",
            c.name
        );
    }
    sandbox::down(&dir, true).await.unwrap();
    assert!(!dir.exists());
}

#[tokio::test]
async fn a_taken_port_is_refused_and_leaves_nothing_behind() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("sandbox");
    let base = free_port_run(5);
    let _taken = TcpListener::bind(("127.0.0.1", base + 2)).unwrap();
    let err = sandbox::up(
        &UpOptions {
            bastion: false,
            redis_cluster: false,
            secure: None,
            dir: dir.clone(),
            base_port: Some(base),
            seed_scale: None,
            profile_store: None,
        },
        &quiet,
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PortInUse, "{err}");
    assert!(err.to_string().contains(&(base + 2).to_string()));
    assert!(!dir.exists(), "a failed up must not leave its folder");
}

#[tokio::test]
async fn a_folder_that_is_not_a_sandbox_is_left_alone() {
    let home = tempfile::tempdir().unwrap();
    std::fs::write(home.path().join("notes.txt"), "mine").unwrap();
    let err = sandbox::up(
        &UpOptions {
            bastion: false,
            redis_cluster: false,
            secure: None,
            dir: home.path().to_owned(),
            base_port: Some(free_port_run(5)),
            seed_scale: None,
            profile_store: None,
        },
        &quiet,
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotOurs);
    assert_eq!(
        std::fs::read_to_string(home.path().join("notes.txt")).unwrap(),
        "mine"
    );
    assert_eq!(
        sandbox::down(home.path(), true).await.unwrap_err().kind(),
        ErrorKind::NotOurs
    );
}
