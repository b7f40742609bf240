//! The fleet overview against real servers: a healthy deployment with a fresh backup, one
//! whose port is closed and one that accepts connections and never answers, checked at once;
//! the silent one is cut off at its own limit without holding up the others.

use std::time::{Duration, Instant};

use mindpal_core::backup::{self, BackupOptions};
use mindpal_core::fleet::{self, Severity};
use mindpal_core::mysql::MysqlTarget;
use mindpal_core::redis::{RedisMode, RedisTopology};

use crate::support::{free_port, profile, redis_target, seeded};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_profile_is_checked_at_once_and_a_dead_one_holds_up_nobody() {
    let db = seeded("fleet", 3, None).await;
    let backups = tempfile::tempdir().unwrap();
    backup::run(
        &db.server,
        mindpal_core::access::Actor::OPERATOR,
        &BackupOptions {
            database: Some(db.name.clone()),
            jobs: 2,
            ..BackupOptions::new(backups.path())
        },
        &|_| {},
        &mindpal_core::CancellationToken::new(),
    )
    .await
    .expect("a backup for the healthy profile");

    let mut target = MysqlTarget::from_url(&crate::support::mysql_url()).unwrap();
    target.database = Some(db.name.clone());
    let mut healthy = profile("production", target);
    healthy.redis = Some(RedisTopology {
        mode: RedisMode::Standalone,
        nodes: vec![redis_target(0)],
        master_name: None,
    });
    healthy.backup_dir = Some(backups.path().display().to_string());

    let closed = profile("closed", MysqlTarget::new("127.0.0.1", free_port(), "root"));
    // Accepts TCP connections (the kernel's backlog) and never says a word.
    let silent_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let mut silent = profile(
        "silent",
        MysqlTarget::new(
            "127.0.0.1",
            silent_listener.local_addr().unwrap().port(),
            "root",
        ),
    );
    silent.alerts.timeout_ms = 1_500;

    let started = Instant::now();
    let entries = fleet::check_all(vec![
        healthy.clone().into(),
        closed.clone().into(),
        silent.clone().into(),
    ])
    .await;
    let elapsed = started.elapsed();
    let names: Vec<&str> = entries.iter().map(|e| e.profile.as_str()).collect();
    assert_eq!(
        names,
        ["closed", "silent", "production"],
        "worst first, then by name"
    );

    let production = &entries[2];
    assert_eq!(
        production.severity,
        Severity::Ok,
        "{:#?}",
        production.problems
    );
    let primary = production.primary.as_ref().expect("the primary answered");
    assert!(primary.version.as_deref().unwrap().contains("MariaDB"));
    let load = production.load.as_ref().unwrap();
    assert!(load.threads_connected >= 1);
    let schema = production.schema.as_ref().unwrap();
    assert_eq!(
        (schema.pending_migrations, schema.missing_tables.len()),
        (0, 0)
    );
    let backup = production.backup.as_ref().unwrap();
    assert!(
        backup.newest.as_deref().unwrap().starts_with(&db.name),
        "{backup:?}"
    );
    assert!(backup.age_hours.unwrap() < 1.0);
    assert!(production.redis.as_ref().unwrap().used_memory_bytes > 0);
    assert_eq!(
        production.replication.as_ref().unwrap().replicas,
        0,
        "no replica listed or reported"
    );

    let closed_entry = &entries[0];
    assert_eq!(closed_entry.severity, Severity::Critical);
    assert!(
        closed_entry.problems[0].text.starts_with("unreachable"),
        "{:?}",
        closed_entry.problems
    );
    assert!(closed_entry.primary.is_none() && closed_entry.replication.is_none());

    let silent_entry = &entries[1];
    assert_eq!(silent_entry.severity, Severity::Critical);
    assert!(
        silent_entry.timed_out
            || silent_entry.problems[0].text.contains("1.5 s")
            || silent_entry.problems[0].text.contains("within"),
        "{:?}",
        silent_entry.problems
    );
    // Cut off at its own limit (plus scheduling slack), and the whole fleet took about as
    // long as its slowest profile, not the sum.
    assert!(
        silent_entry.elapsed_ms < 1_500.0 + 1_000.0,
        "{}",
        silent_entry.elapsed_ms
    );
    assert!(
        elapsed < Duration::from_millis(1_500 + 2_000),
        "{elapsed:?}"
    );

    // Each profile's own thresholds: the same deployment with a one-minute backup rule.
    let mut strict = healthy;
    strict.alerts.backup_warning_hours = 0.0;
    let entry = fleet::check(&strict).await;
    assert_eq!(entry.severity, Severity::Warning, "{:?}", entry.problems);
    assert_eq!(entry.problems[0].area, "backup");
    drop(silent_listener);
    db.drop().await;
}
