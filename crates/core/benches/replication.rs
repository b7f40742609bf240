//! One full replication health refresh — primary, replica, Redis master, Redis replica and
//! Sentinel — through the core, on a sandbox of its own, beside what a person would run by
//! hand for the same facts (`mariadb -e 'SHOW SLAVE STATUS'` twice, `redis-cli INFO
//! replication` twice, `redis-cli SENTINEL MASTERS`). Run by `make bench`.

use std::process::Command;
use std::time::{Duration, Instant};

use mindpal_core::replication::{self, Thresholds};
use mindpal_core::sandbox::{self, Component, UpOptions};

const REPEATS: usize = 31;

fn median_ms(mut samples: Vec<Duration>) -> (f64, f64) {
    samples.sort();
    (
        samples[samples.len() / 2].as_secs_f64() * 1000.0,
        samples[samples.len() - 1].as_secs_f64() * 1000.0,
    )
}

fn free_base() -> u16 {
    for _ in 0..200 {
        let probe = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
        let base = 20_000 + probe.local_addr().unwrap().port() % 30_000;
        drop(probe);
        if (0..5).all(|i| std::net::TcpListener::bind(("127.0.0.1", base + i)).is_ok()) {
            return base;
        }
    }
    panic!("no five free ports");
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    // `cargo test --all-targets` runs bench targets too: nothing to measure then.
    if !std::env::args().any(|a| a == "--bench") {
        eprintln!("a benchmark: run it with `cargo bench` (make bench)");
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("sandbox");
    let status = sandbox::up(
        &UpOptions {
            bastion: false,
            redis_cluster: false,
            secure: None,
            dir: dir.clone(),
            base_port: Some(free_base()),
            seed_scale: None,
            profile_store: Some(home.path().join("profiles.json")),
        },
        &|_| {},
    )
    .await
    .expect("the sandbox comes up");
    let profile = sandbox::sandbox_profile(&status);
    let thresholds = Thresholds::default();
    replication::check(&profile.servers(), &thresholds).await;

    let mut core = Vec::new();
    let mut verdicts = Vec::new();
    for _ in 0..REPEATS {
        let started = Instant::now();
        let report = replication::check(&profile.servers(), &thresholds).await;
        core.push(started.elapsed());
        verdicts.push(report.overall);
    }
    let port = |c: Component| status.port_of(c).to_string();
    let mut by_hand = Vec::new();
    for _ in 0..REPEATS {
        let started = Instant::now();
        for p in [port(Component::Primary), port(Component::Replica)] {
            Command::new("mariadb")
                .args([
                    "--protocol=tcp",
                    "-h127.0.0.1",
                    &format!("-P{p}"),
                    "-uroot",
                    "-e",
                    "SHOW SLAVE STATUS",
                ])
                .output()
                .unwrap();
        }
        for p in [port(Component::RedisMaster), port(Component::RedisReplica)] {
            Command::new("redis-cli")
                .args(["-p", &p, "INFO", "replication"])
                .output()
                .unwrap();
        }
        Command::new("redis-cli")
            .args(["-p", &port(Component::Sentinel), "SENTINEL", "MASTERS"])
            .output()
            .unwrap();
        by_hand.push(started.elapsed());
    }
    sandbox::down(&dir, true).await.unwrap();

    let (core_med, core_max) = median_ms(core);
    let (hand_med, hand_max) = median_ms(by_hand);
    println!(
        "{:<72} {:>9} {:>9}",
        "one full health refresh (median and slowest of 31)", "median", "max"
    );
    println!(
        "{:<72} {core_med:>7.1} ms {core_max:>6.1} ms",
        "core: primary + replica (status, GTID, heartbeat) + Redis ×2 + Sentinel"
    );
    println!(
        "{:<72} {hand_med:>7.1} ms {hand_max:>6.1} ms",
        "by hand: mariadb ×2 + redis-cli ×3 (fewer facts, no verdict)"
    );
    println!(
        "ratio: the core's refresh takes {:.2}x the time of the by-hand commands (aim: ≤ 50 ms); every verdict {:?}",
        core_med / hand_med,
        verdicts[0]
    );
}
