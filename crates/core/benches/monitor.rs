//! The cache browser's SCAN walk through one million keys on a Redis of its own, beside a
//! plain `SCAN … COUNT 1000` loop: keys examined per second and the longest single SCAN the
//! server logged (SLOWLOG, every call recorded). Then one dashboard refresh through the core
//! (`SHOW GLOBAL STATUS` + `max_connections` + the rates) against the MariaDB of
//! BENCH_MYSQL_URL, beside `mariadb -e 'SHOW GLOBAL STATUS'`. Run by `make bench`.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use mindpal_core::cache::{self, Nodes, ScanRequest};
use mindpal_core::monitor;
use mindpal_core::mysql::{MysqlServer, MysqlTarget};
use mindpal_core::redis::{RedisServer, RedisTarget};

const KEYS: usize = 1_000_000;
const REPEATS: usize = 31;

fn median_ms(mut samples: Vec<Duration>) -> f64 {
    samples.sort();
    samples[samples.len() / 2].as_secs_f64() * 1000.0
}

/// The longest SCAN in the slowlog since the last reset, in microseconds, and how many.
async fn longest_scan(server: &RedisServer) -> (u64, usize) {
    let mut conn = server.conn.clone();
    let entries: Vec<(u64, i64, u64, Vec<String>)> = redis::cmd("SLOWLOG")
        .arg("GET")
        .arg(-1)
        .query_async::<Vec<redis::Value>>(&mut conn)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|v| match v {
            redis::Value::Array(items) if items.len() >= 4 => {
                redis::from_redis_value(redis::Value::Array(items[..4].to_vec())).ok()
            }
            _ => None,
        })
        .collect();
    let scans: Vec<u64> = entries
        .iter()
        .filter(|e| e.3.first().is_some_and(|c| c.eq_ignore_ascii_case("SCAN")))
        .map(|e| e.2)
        .collect();
    (scans.iter().copied().max().unwrap_or(0), scans.len())
}

async fn reset_slowlog(server: &RedisServer) {
    let mut conn = server.conn.clone();
    let _: () = redis::cmd("SLOWLOG")
        .arg("RESET")
        .query_async(&mut conn)
        .await
        .unwrap();
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        eprintln!("a benchmark: run it with `cargo bench` (make bench)");
        return;
    }
    let port = std::net::TcpListener::bind(("127.0.0.1", 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new("redis-server")
        .args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ])
        .arg("--dir")
        .arg(dir.path())
        .stdout(Stdio::null())
        .spawn()
        .expect("redis-server runs");
    let target = RedisTarget::new("127.0.0.1", port);
    let mut server = None;
    for _ in 0..50 {
        if let Ok(s) = RedisServer::connect(&target, Duration::from_secs(5)).await {
            server = Some(s);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let server = server.expect("the bench's redis-server answers");
    let mut conn = server.conn.clone();
    // A platform-like keyspace: a fifth are users, the rest tokens and contexts.
    for chunk in 0..(KEYS / 10_000) {
        let mut pipe = redis::pipe();
        for i in chunk * 10_000..(chunk + 1) * 10_000 {
            let key = match i % 5 {
                0 => format!("user:{i}"),
                1 | 2 => format!("token:{i:016x}"),
                _ => format!("conversation:{i}:context"),
            };
            pipe.cmd("SET").arg(key).arg("{\"v\":1}").ignore();
        }
        let _: () = pipe.query_async(&mut conn).await.unwrap();
    }
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("slowlog-log-slower-than")
        .arg(0)
        .query_async(&mut conn)
        .await
        .unwrap();
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("slowlog-max-len")
        .arg(2_000_000)
        .query_async(&mut conn)
        .await
        .unwrap();
    let nodes = Nodes::single(server.clone(), mindpal_core::access::Actor::OPERATOR).unwrap();

    println!("SCAN through {KEYS} keys for `user:*` (a fifth match):");
    for (label, page_size, count) in [
        ("browser, pages of 100 (COUNT 100)", 100u32, 100u32),
        ("browser, pages of 500 (COUNT 1000)", 500, 1000),
    ] {
        reset_slowlog(&server).await;
        let started = Instant::now();
        let (mut cursor, mut found, mut requests, mut calls) =
            (String::new(), 0usize, 0usize, 0u32);
        loop {
            let page = cache::scan(
                &nodes,
                &ScanRequest {
                    pattern: "user:*".into(),
                    cursor,
                    page_size,
                    count: Some(count),
                    confirm_large: true,
                },
            )
            .await
            .unwrap();
            found += page.keys.len();
            requests += 1;
            calls += page.calls;
            if page.done {
                break;
            }
            cursor = page.cursor;
        }
        let seconds = started.elapsed().as_secs_f64();
        let (longest, logged) = longest_scan(&server).await;
        println!(
            "  {label:<40} {:>9.0} keys/s · {seconds:.2} s · {found} found (TYPE+PTTL each) · {requests} requests, {calls} SCAN calls · longest SCAN {longest} µs of {logged}",
            KEYS as f64 / seconds
        );
    }
    reset_slowlog(&server).await;
    let started = Instant::now();
    let (mut cursor, mut found, mut calls) = (0u64, 0usize, 0usize);
    loop {
        let (next, keys): (u64, Vec<Vec<u8>>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg("user:*")
            .arg("COUNT")
            .arg(1000)
            .query_async(&mut conn)
            .await
            .unwrap();
        found += keys.len();
        calls += 1;
        cursor = next;
        if cursor == 0 {
            break;
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    let (longest, logged) = longest_scan(&server).await;
    println!(
        "  {:<40} {:>9.0} keys/s · {seconds:.2} s · {found} found (names only) · {calls} SCAN calls · longest SCAN {longest} µs of {logged}",
        "plain SCAN MATCH user:* COUNT 1000 loop",
        KEYS as f64 / seconds
    );
    let _ = child.kill();
    let _ = child.wait();

    let url =
        std::env::var("BENCH_MYSQL_URL").unwrap_or_else(|_| "mysql://root@127.0.0.1:3306".into());
    let mysql = MysqlServer::connect(
        &MysqlTarget::from_url(&url).unwrap(),
        Duration::from_secs(5),
        2,
    )
    .await
    .unwrap();
    let mut history = monitor::History::default();
    history.push(monitor::status::sample(&mysql).await.unwrap());
    let mut refresh = Vec::new();
    for _ in 0..REPEATS {
        let started = Instant::now();
        let sample = monitor::status::sample(&mysql).await.unwrap();
        history.push(sample);
        refresh.push(started.elapsed());
    }
    let target = MysqlTarget::from_url(&url).unwrap();
    let mut by_hand = Vec::new();
    for _ in 0..REPEATS {
        let started = Instant::now();
        Command::new("mariadb")
            .args([
                "--protocol=tcp",
                "-h",
                &target.host,
                &format!("-P{}", target.port),
                &format!("-u{}", target.user),
                "-e",
                "SHOW GLOBAL STATUS",
            ])
            .stdout(Stdio::null())
            .status()
            .unwrap();
        by_hand.push(started.elapsed());
    }
    let (core, hand) = (median_ms(refresh), median_ms(by_hand));
    println!("One dashboard refresh, median of {REPEATS}:");
    println!("  through the core (pooled connection)        {core:>7.2} ms");
    println!(
        "  mariadb -e 'SHOW GLOBAL STATUS'              {hand:>7.2} ms   (×{:.2} of the core's time)",
        hand / core
    );
}
