//! Replication health against a sandbox of its own: a real MariaDB primary/replica pair by
//! GTID, a Redis master with a replica, and a Sentinel. Faults are made for real: the SQL
//! thread stopped while writes continue, a conflicting row, a frozen replica, a missing
//! privilege, the Redis master stopped.

use std::time::{Duration, Instant};

use mindpal_core::mysql::MysqlServer;
use mindpal_core::replication::{self, Thresholds, Verdict, heartbeat};
use mindpal_core::sandbox::{self, Component, UpOptions};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use crate::support::{TIMEOUT, free_port_run};

async fn exec(server: &MysqlServer, sql: &str) {
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
        .execute(&server.pool)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// Polls `check` until `done` holds for the report, or panics with the last one.
async fn until(
    profile: &mindpal_core::profiles::Profile,
    thresholds: &Thresholds,
    what: &str,
    mut before: impl FnMut(),
    done: impl Fn(&replication::ReplicationReport) -> bool,
) -> replication::ReplicationReport {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        before();
        let report = replication::check(&profile.servers(), thresholds).await;
        if done(&report) {
            return report;
        }
        assert!(Instant::now() < deadline, "{what}: {report:#?}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

#[tokio::test]
async fn replication_faults_are_seen_for_what_they_are() {
    let home = tempfile::tempdir().unwrap();
    let status = sandbox::up(
        &UpOptions {
            bastion: false,
            redis_cluster: false,
            secure: None,
            dir: home.path().join("sandbox"),
            base_port: Some(free_port_run(5)),
            seed_scale: Some(0.001),
            profile_store: Some(home.path().join("profiles.json")),
        },
        &|_| {},
    )
    .await
    .expect("the sandbox comes up");
    let profile = sandbox::sandbox_profile(&status);
    let thresholds = Thresholds {
        lagging_after_s: 5.0,
        timeout_ms: 1_500,
    };
    let primary = MysqlServer::connect(&status.primary_target(), TIMEOUT, 2)
        .await
        .unwrap();
    let replica = MysqlServer::connect(&status.replica_target(), TIMEOUT, 2)
        .await
        .unwrap();

    // Healthy, with the Redis side and Sentinel's view.
    let report = until(
        &profile,
        &thresholds,
        "healthy at first",
        || {},
        // Right after start the Redis replica may still be syncing: Sentinel knows it first.
        |r| r.overall == Verdict::Healthy && r.redis.as_ref().is_some_and(|x| x.nodes.len() == 2),
    )
    .await;
    let redis = report.redis.as_ref().unwrap();
    assert_eq!(
        redis.master.as_deref(),
        Some(format!("127.0.0.1:{}", status.port_of(Component::RedisMaster)).as_str())
    );
    assert_eq!(redis.nodes.len(), 2, "master and its replica");
    assert_eq!(redis.nodes[1].link_status.as_deref(), Some("up"));
    assert!(
        redis.sentinels[0]
            .ckquorum
            .as_deref()
            .unwrap()
            .starts_with("OK")
    );
    assert_eq!(
        report.replicas[0].channels[0].using_gtid.as_deref(),
        Some("Slave_Pos")
    );

    // A replica the profile does not list is found through the primary and checked too.
    let mut bare = profile.clone();
    bare.replicas.clear();
    let found = replication::check(&bare.servers(), &thresholds).await;
    assert_eq!(found.replicas.len(), 1, "{found:#?}");
    assert!(found.replicas[0].discovered);
    assert_eq!(found.replicas[0].address, status.replica_target().address());
    assert_eq!(found.replicas[0].verdict, Verdict::Healthy);

    // A heartbeat (audited), then the SQL thread stopped while writes continue: the lag is
    // a number that grows, not NULL.
    let table = heartbeat::create(&primary, mindpal_core::access::Actor::OPERATOR)
        .await
        .unwrap();
    let (logged,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM operation_logs WHERE action = 'replication.heartbeat.create'",
    )
    .fetch_one(&primary.pool)
    .await
    .unwrap();
    assert_eq!(logged, 1);
    heartbeat::beat(&primary, mindpal_core::access::Actor::OPERATOR, &table)
        .await
        .unwrap();
    until(
        &profile,
        &thresholds,
        "the heartbeat replicated",
        || {},
        |r| r.replicas[0].heartbeat_lag_s.is_some(),
    )
    .await;
    exec(&replica, "STOP SLAVE SQL_THREAD").await;
    let mut lags = Vec::new();
    for _ in 0..4 {
        heartbeat::beat(&primary, mindpal_core::access::Actor::OPERATOR, &table)
            .await
            .unwrap();
        exec(&primary, "INSERT INTO system_settings (user_id, setting_key, setting_value) VALUES (NULL, CONCAT('lag.', UUID()), 'x')").await;
        let r = replication::check(&profile.servers(), &thresholds).await;
        let rep = &r.replicas[0];
        assert_eq!(rep.verdict, Verdict::Lagging, "{}", rep.reason);
        assert!(
            rep.channels[0].seconds_behind.is_none(),
            "the server's own number is NULL"
        );
        lags.push(rep.lag_s().expect("the heartbeat gives a number"));
        assert!(rep.gtid_gap.unwrap() > 0);
        tokio::time::sleep(Duration::from_millis(700)).await;
    }
    assert!(
        lags.windows(2).all(|w| w[1] > w[0]),
        "the lag grows: {lags:?}"
    );
    exec(&replica, "START SLAVE SQL_THREAD").await;
    until(
        &profile,
        &thresholds,
        "healthy again",
        || {},
        |r| r.replicas[0].verdict == Verdict::Healthy,
    )
    .await;

    // A row written on the replica (outside its binlog, as a stray write by hand is), then the
    // same key on the primary: error 1062.
    exec(&replica, "SET SESSION sql_log_bin = 0; INSERT INTO system_settings (id, user_id, setting_key, setting_value) VALUES (990001, NULL, 'conflict', 'replica')").await;
    exec(&primary, "INSERT INTO system_settings (id, user_id, setting_key, setting_value) VALUES (990001, NULL, 'conflict', 'primary')").await;
    let r = until(
        &profile,
        &thresholds,
        "broken by 1062",
        || {},
        |r| r.replicas[0].verdict == Verdict::Broken,
    )
    .await;
    let reason = &r.replicas[0].reason;
    assert!(
        reason.starts_with("SQL thread stopped: error 1062"),
        "{reason}"
    );
    assert!(
        reason.contains("system_settings"),
        "the reason names the table: {reason}"
    );
    assert_eq!(r.overall.exit_code(), 2);
    // The workers' table a stopped MySQL coordinator points at is read the same way here.
    let workers = replication::workers::worker_errors(&replica)
        .await
        .expect("MariaDB's workers' table is readable");
    assert!(workers.iter().all(|w| w.errno == 1062), "{workers:?}");
    exec(
        &replica,
        "SET SESSION sql_log_bin = 0; DELETE FROM system_settings WHERE id = 990001",
    )
    .await;
    exec(&replica, "START SLAVE SQL_THREAD").await;
    until(
        &profile,
        &thresholds,
        "healthy after the fix",
        || {},
        |r| r.replicas[0].verdict == Verdict::Healthy,
    )
    .await;

    // An account without REPLICATION CLIENT: a clear "needs privilege", not a crash.
    exec(&replica, "CREATE USER IF NOT EXISTS 'peek'@'127.0.0.1' IDENTIFIED BY 'peek-pw'; GRANT SELECT ON mindpal.* TO 'peek'@'127.0.0.1'").await;
    let mut limited = profile.clone();
    limited.replicas[0].user = "peek".into();
    limited.replicas[0].password = Some(mindpal_core::secret::Secret::new("peek-pw".to_owned()));
    let r = replication::check(&limited.servers(), &thresholds).await;
    assert_eq!(r.replicas[0].verdict, Verdict::Unknown);
    assert!(
        r.replicas[0].reason.contains("needs privilege"),
        "{}",
        r.replicas[0].reason
    );
    assert!(!r.replicas[0].reason.contains("peek-pw"));

    // A frozen replica (SIGSTOP): unreachable within the timeout, the rest still checked.
    let pid = status
        .components
        .iter()
        .find(|c| c.name == Component::Replica.name())
        .and_then(|c| c.pid)
        .unwrap();
    kill(Pid::from_raw(pid as i32), Signal::SIGSTOP).unwrap();
    let started = Instant::now();
    let r = replication::check(&profile.servers(), &thresholds).await;
    let took = started.elapsed();
    kill(Pid::from_raw(pid as i32), Signal::SIGCONT).unwrap();
    assert_eq!(
        r.replicas[0].verdict,
        Verdict::Unreachable,
        "{}",
        r.replicas[0].reason
    );
    assert!(
        took < Duration::from_millis(thresholds.timeout_ms + 1_500),
        "answered in {took:?}"
    );
    assert!(r.primary.error.is_none(), "the primary is still checked");

    // The Redis master stopped: Sentinel's failover is seen, the replica is the new master.
    // Sentinel learns of replicas from the master's INFO every 10 s: wait until it knows.
    until(
        &profile,
        &thresholds,
        "Sentinel to know the replica",
        || {},
        |r| {
            r.redis
                .as_ref()
                .is_some_and(|x| x.sentinels.iter().all(|s| s.replicas.len() == 1))
        },
    )
    .await;
    let old_master = format!("127.0.0.1:{}", status.port_of(Component::RedisMaster));
    let new_master = format!("127.0.0.1:{}", status.port_of(Component::RedisReplica));
    let redis_pid = status
        .components
        .iter()
        .find(|c| c.name == Component::RedisMaster.name())
        .and_then(|c| c.pid)
        .unwrap();
    kill(Pid::from_raw(redis_pid as i32), Signal::SIGSTOP).unwrap();
    let r = until(
        &profile,
        &thresholds,
        "the failover",
        || {},
        |r| r.redis.as_ref().and_then(|x| x.master.clone()).as_deref() == Some(new_master.as_str()),
    )
    .await;
    kill(Pid::from_raw(redis_pid as i32), Signal::SIGCONT).unwrap();
    let redis = r.redis.unwrap();
    assert_ne!(redis.master.as_deref(), Some(old_master.as_str()));
    assert_eq!(redis.nodes[0].role.as_deref(), Some("master"));

    primary.pool.close().await;
    replica.pool.close().await;
    sandbox::down(&home.path().join("sandbox"), true)
        .await
        .unwrap();
}
