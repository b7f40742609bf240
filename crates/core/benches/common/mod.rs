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

/// The median of five runs of `run`, in milliseconds.
#[allow(dead_code)] // not every bench times a call this way
pub async fn median_ms(mut run: impl AsyncFnMut()) -> f64 {
    let mut samples = Vec::new();
    for _ in 0..5 {
        let started = std::time::Instant::now();
        run().await;
        samples.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}
