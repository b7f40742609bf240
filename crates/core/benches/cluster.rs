//! SCAN of a Redis Cluster with a million keys (BENCH_CLUSTER_KEYS), on a sandbox cluster of
//! its own (three masters, three replicas): the console's browse — one cursor over every
//! master, pages of 500 keys each with TYPE and PTTL — against a plain SCAN loop over the
//! masters, and against `redis-cli --scan` on each master. Run by `make bench`.

use std::process::Command;
use std::time::{Duration, Instant};

use mindpal_core::access::Actor;
use mindpal_core::cache::{self, ScanRequest};
use mindpal_core::redis::RedisServer;
use mindpal_core::redis::cluster;
use mindpal_core::sandbox::{self, UpOptions};

const TIMEOUT: Duration = Duration::from_secs(10);

fn free_base() -> u16 {
    for _ in 0..200 {
        let probe = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
        let base = 20_000 + probe.local_addr().unwrap().port() % 30_000;
        drop(probe);
        let free = |p: u16| std::net::TcpListener::bind(("127.0.0.1", p)).is_ok();
        if (0..18).all(|i| free(base + i)) {
            return base;
        }
    }
    panic!("no free ports for the cluster");
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        eprintln!("a benchmark: run it with `cargo bench` (make bench)");
        return;
    }
    let keys: u64 = std::env::var("BENCH_CLUSTER_KEYS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("sandbox");
    let status = sandbox::up(
        &UpOptions {
            bastion: false,
            redis_cluster: true,
            secure: None,
            dir: dir.clone(),
            base_port: Some(free_base()),
            seed_scale: None,
            profile_store: None,
        },
        &|_| {},
    )
    .await
    .expect("the sandbox comes up with its cluster");
    let seeds = status.cluster.as_ref().unwrap().seeds();
    let state = cluster::state(&seeds, TIMEOUT).await.unwrap();
    let masters: Vec<cluster::ClusterNode> = cluster::serving_masters(&state.nodes)
        .into_iter()
        .cloned()
        .collect();
    let seeding = Instant::now();
    let written = sandbox::cluster::seed(&masters, &seeds[0], keys)
        .await
        .unwrap();
    let seeded_s = seeding.elapsed().as_secs_f64();

    // 1. A plain SCAN loop over the masters, COUNT 1000, keys only.
    let started = Instant::now();
    let mut plain = 0u64;
    for master in &masters {
        let server: RedisServer = cluster::connect_node(master, &seeds[0], TIMEOUT)
            .await
            .unwrap();
        let mut conn = server.conn.clone();
        let mut cursor = 0u64;
        loop {
            let (next, batch): (u64, Vec<Vec<u8>>) = ::redis::cmd("SCAN")
                .arg(cursor)
                .arg("COUNT")
                .arg(1000)
                .query_async(&mut conn)
                .await
                .unwrap();
            plain += batch.len() as u64;
            cursor = next;
            if cursor == 0 {
                break;
            }
        }
    }
    let plain_s = started.elapsed().as_secs_f64();

    // 2. `redis-cli --scan` on each master (7.0 has no --count: its SCANs use COUNT 10).
    let started = Instant::now();
    let mut cli = 0u64;
    for master in &masters {
        let out = Command::new("redis-cli")
            .args(["-p", &master.port.to_string(), "--scan"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        cli += out
            .stdout
            .split(|b| *b == b'\n')
            .filter(|l| !l.is_empty())
            .count() as u64;
    }
    let cli_s = started.elapsed().as_secs_f64();

    // 3. The console's browse: pages of 500 keys over one cursor, TYPE and PTTL for each.
    let mut profile = sandbox::sandbox_profile(&status);
    let redis = profile.redis.take().unwrap();
    let nodes = cache::nodes(&redis, Actor::OPERATOR, TIMEOUT)
        .await
        .unwrap();
    let started = Instant::now();
    let mut ours = 0u64;
    let mut pages = 0u64;
    let mut cursor = String::new();
    loop {
        let page = cache::scan(
            &nodes,
            &ScanRequest {
                pattern: String::new(),
                cursor: cursor.clone(),
                page_size: cache::MAX_PAGE,
                count: Some(cache::MAX_COUNT),
                confirm_large: true,
            },
        )
        .await
        .unwrap();
        ours += page.keys.len() as u64;
        pages += 1;
        if page.done {
            break;
        }
        cursor = page.cursor;
    }
    let ours_s = started.elapsed().as_secs_f64();
    sandbox::down(&dir, true).await.unwrap();

    println!("Redis Cluster of 3 masters: {written} keys seeded in {seeded_s:.1} s");
    println!(
        "{:<70} {:>9} {:>9} {:>11}",
        "walk of every key", "keys", "seconds", "keys/s"
    );
    for (what, n, s) in [
        (
            "plain SCAN loop over the masters (COUNT 1000, keys only)",
            plain,
            plain_s,
        ),
        ("redis-cli --scan on each master (COUNT 10)", cli, cli_s),
        (
            "console browse: one cursor, pages of 500 with TYPE and PTTL",
            ours,
            ours_s,
        ),
    ] {
        println!("{what:<70} {n:>9} {s:>9.2} {:>11.0}", n as f64 / s);
    }
    println!(
        "ratio: the console's walk ({pages} pages) takes {:.2}x the plain loop's time and {:.2}x redis-cli's, while it also reads each key's type and TTL",
        ours_s / plain_s,
        ours_s / cli_s
    );
}
