//! Backup and restore: the console's own parallel, consistent, compressed, checksummed dump
//! of a MindPal database, restored in parallel and verified table by table; the catalog of a
//! backup folder with its retention; Redis persistence.
//!
//! A backup is a folder `<database>-<UTC time>` holding `schema.sql`, `data/*.sql.zst` (one
//! INSERT statement per line, so `zstdcat | mysql` also restores it) and `manifest.json`. It is
//! written as `.<name>.partial` and renamed only when every file is synced.

pub mod admit;
pub mod catalog;
mod dump;
mod files;
pub mod manifest;
pub mod pitr;
pub mod redis;
mod restore;

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use catalog::{
    BackupEntry, BackupState, PruneReport, list, pitr_command, prune, prune_plan, verify,
};
pub use dump::{AUTO_CHECKSUM_BYTES, run};
pub use manifest::Manifest;
pub use restore::{RestoreOptions, RestoreReport, TableCheck, restore};

/// Which tables get a server-side `CHECKSUM TABLE` inside the snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum ChecksumPolicy {
    /// Tables up to 256 MiB of data: a second read of each is affordable there.
    #[default]
    Auto,
    All,
    None,
}

#[derive(Debug, Clone)]
pub struct BackupOptions {
    pub out_dir: PathBuf,
    /// Default: the connection's database.
    pub database: Option<String>,
    /// Parallel dump connections.
    pub jobs: usize,
    /// Rows per data file (tables are split by primary-key range).
    pub chunk_rows: u64,
    pub checksum: ChecksumPolicy,
    /// The longest any one statement (connect, lock, snapshot) may take.
    pub statement_timeout: Duration,
    /// The longest the server may go without sending a row.
    pub idle_timeout: Duration,
}

impl BackupOptions {
    pub fn new(out_dir: impl Into<PathBuf>) -> Self {
        BackupOptions {
            out_dir: out_dir.into(),
            database: None,
            jobs: 4,
            chunk_rows: 250_000,
            checksum: ChecksumPolicy::Auto,
            statement_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(30),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum Phase {
    Snapshot,
    Dumping,
    Finishing,
    Checking,
    Loading,
    Indexing,
    Verifying,
    /// A point-in-time restore reading and applying the binlog.
    Replaying,
}

/// Where a backup or restore is, against the estimates from `information_schema` (or, for a
/// restore, the manifest).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct BackupProgress {
    pub phase: Phase,
    pub tables_done: u32,
    pub tables_total: u32,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub rows_done: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub rows_estimate: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub bytes_done: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub bytes_estimate: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub compressed_bytes: u64,
    pub elapsed_seconds: f64,
    /// Rows a second so far.
    pub rows_per_second: f64,
    /// 0–1, from rows (estimates can be off: it stays below 1 until the end).
    pub fraction: f64,
    pub eta_seconds: Option<f64>,
}

impl BackupProgress {
    pub(crate) fn new(
        phase: Phase,
        (tables_done, tables_total): (usize, usize),
        (rows_done, rows_estimate): (u64, u64),
        (bytes_done, bytes_estimate): (u64, u64),
        compressed_bytes: u64,
        elapsed: Duration,
    ) -> Self {
        let elapsed_seconds = elapsed.as_secs_f64();
        let finished = tables_total > 0 && tables_done >= tables_total;
        let fraction = if finished {
            1.0
        } else if rows_estimate > 0 {
            (rows_done as f64 / rows_estimate as f64).min(0.99)
        } else {
            0.0
        };
        let eta_seconds =
            (fraction > 0.01 && !finished).then(|| elapsed_seconds * (1.0 - fraction) / fraction);
        BackupProgress {
            phase,
            tables_done: tables_done as u32,
            tables_total: tables_total as u32,
            rows_done,
            rows_estimate,
            bytes_done,
            bytes_estimate,
            compressed_bytes,
            elapsed_seconds,
            rows_per_second: rows_done as f64 / elapsed_seconds.max(1e-3),
            fraction,
            eta_seconds,
        }
    }
}

/// Runs `workers` to the end (the first error stops them all), calling `tick` every 250 ms
/// meanwhile and once more when they are done.
pub(crate) async fn join_ticking<F: std::future::Future<Output = crate::error::Result<()>>>(
    workers: impl IntoIterator<Item = F>,
    tick: impl Fn(),
) -> crate::error::Result<()> {
    let all = futures_util::future::try_join_all(workers);
    tokio::pin!(all);
    let mut ticks = tokio::time::interval(Duration::from_millis(250));
    loop {
        tokio::select! {
            r = &mut all => { r?; break; }
            _ = ticks.tick() => tick(),
        }
    }
    tick();
    Ok(())
}

impl BackupProgress {
    /// The replay's share of the binlog bytes to read.
    pub(crate) fn replaying(done: u64, total: u64, elapsed: Duration) -> Self {
        let mut p =
            BackupProgress::new(Phase::Replaying, (0, 1), (0, 0), (done, total), 0, elapsed);
        p.fraction = if total > 0 {
            (done as f64 / total as f64).min(0.99)
        } else {
            0.0
        };
        let seconds = p.elapsed_seconds;
        p.eta_seconds = (p.fraction > 0.01).then(|| seconds * (1.0 - p.fraction) / p.fraction);
        p
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct BackupOutcome {
    pub path: String,
    pub manifest: Manifest,
    pub seconds: f64,
}
