//! One fleet refresh of three profiles (the bench database with Redis, the same database
//! through a link adding 100 ms each way, and a closed port) against each profile's check
//! alone: the fleet should take about as long as its slowest profile (aim ≤ 1.2×), not the
//! sum. Run by `make bench` on the seeded bench database.

mod common;
#[allow(dead_code)]
#[path = "../tests/core/proxy.rs"]
mod proxy;

use std::time::Duration;

use mindpal_core::access::Role;
use mindpal_core::fleet::{self, Alerts};
use mindpal_core::mysql::MysqlTarget;
use mindpal_core::profiles::Profile;
use mindpal_core::redis::RedisTarget;
use mindpal_core::redis::{RedisMode, RedisTopology};

fn profile(name: &str, mysql: MysqlTarget, redis: Option<RedisTopology>) -> Profile {
    Profile {
        name: name.into(),
        role: Role::Operator,
        read_only: true,
        mysql,
        replicas: vec![],
        redis,
        ssh: None,
        backup_dir: None,
        alerts: Alerts::default(),
    }
}

#[tokio::main]
async fn main() {
    let Some((_server, url)) = common::bench_database().await else {
        return;
    };
    let target = MysqlTarget::from_url(&url).unwrap();
    let redis = RedisTopology {
        mode: RedisMode::Standalone,
        nodes: vec![RedisTarget::new("127.0.0.1", 6379)],
        master_name: None,
    };
    let link = proxy::LinkProxy::start(target.port, Duration::from_millis(100)).await;
    let mut far = target.clone();
    far.host = "127.0.0.1".into();
    far.port = link.port;
    far.socket = None;
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let profiles = [
        profile("near", target.clone(), Some(redis)),
        profile("far", far, None),
        profile(
            "closed",
            MysqlTarget::new("127.0.0.1", closed, "root"),
            None,
        ),
    ];
    println!(
        "fleet refresh (median of 5), {}:",
        url.rsplit('/').next().unwrap_or("")
    );
    let mut slowest: f64 = 0.0;
    for p in &profiles {
        let ms = common::median_ms(async || {
            fleet::check(p).await;
        })
        .await;
        slowest = slowest.max(ms);
        println!("  {:<8} alone         {ms:>8.0} ms", p.name);
    }
    let all = common::median_ms(async || {
        let entries = fleet::check_all(profiles.iter().cloned().map(Into::into).collect()).await;
        assert_eq!(entries.len(), 3);
    })
    .await;
    println!(
        "  all three at once      {all:>8.0} ms  ×{:.2} of the slowest alone (aim ≤ 1.2)",
        all / slowest
    );
}
