//! What the benchmarks on the seeded bench database share.

use std::time::Duration;

use mindpal_core::mysql::{MysqlServer, MysqlTarget};

/// The seeded bench database (`BENCH_DIRECTORY_URL`, default `mindpal_bench` on :3306), and its
/// URL; `None` when not run as a benchmark: `cargo test --all-targets` runs bench targets too,
/// without `--bench`, and there is nothing to measure then.
pub async fn bench_database() -> Option<(MysqlServer, String)> {
    if !std::env::args().any(|a| a == "--bench") {
        eprintln!("a benchmark: run it with `cargo bench` (make bench) on a seeded database");
        return None;
    }
    let url = std::env::var("BENCH_DIRECTORY_URL")
        .unwrap_or_else(|_| "mysql://root@127.0.0.1:3306/mindpal_bench".into());
    let server = MysqlServer::connect(
        &MysqlTarget::from_url(&url).unwrap(),
        Duration::from_secs(5),
        4,
    )
    .await
    .expect("the bench database answers");
    Some((server, url))
}
