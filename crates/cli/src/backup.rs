//! `mindpal-admin backup`: consistent parallel backups for cron and terminals, their catalog
//! and retention, verified restores, Redis persistence.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use mindpal_core::backup::redis::{self as persistence, Trigger};
use mindpal_core::backup::{
    self, BackupOptions, BackupProgress, BackupState, ChecksumPolicy, RestoreOptions, pitr::Until,
};
use mindpal_core::mysql::MysqlServer;

use crate::Global;
use crate::context::*;
use crate::output::Out;
use crate::output::words::{bytes, duration};

#[derive(Debug, Subcommand)]
pub enum BackupCommand {
    /// Back up the database: one consistent snapshot dumped on parallel connections, zstd,
    /// every file checksummed, a manifest with the binlog position and GTID. Written as
    /// DIR/.NAME.partial and renamed to DIR/<database>-<UTC time> only when complete.
    Run(RunArgs),
    /// The backups in DIR, newest first: complete, partial (running or interrupted), damaged.
    List {
        /// The folder the backups are in (`backup run --out`).
        dir: PathBuf,
    },
    /// Check a backup's manifest and every file's SHA-256 (exit 5 when something is damaged).
    Verify {
        /// The backup's folder (as `backup list` prints it).
        backup: PathBuf,
    },
    /// Remove backups older than --keep-days (the newest complete one always stays).
    Prune(PruneArgs),
    /// Restore a backup into a new database, in parallel, then compare every table's rows and
    /// CHECKSUM TABLE with the manifest (exit 5 when a file is damaged or a table differs, 7
    /// when the target exists, is a system schema, the live database, or the folder holds a
    /// statement the restore does not admit). With --until or --until-gtid, then replay the
    /// server's binlog to that point: point-in-time recovery into a new database.
    Restore(RestoreArgs),
    /// The moments a backup can be restored to on this server (--until): from its snapshot to
    /// now, when every binlog since is still there (exit 7 when one was purged).
    Window {
        /// The backup's folder.
        backup: PathBuf,
    },
    /// Redis persistence: status, or start BGSAVE / BGREWRITEAOF on the master.
    Redis {
        /// status reads INFO persistence; bgsave and bgrewriteaof start one (operators; audited).
        #[arg(value_enum, default_value_t = RedisAction::Status)]
        action: RedisAction,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum RedisAction {
    Status,
    Bgsave,
    Bgrewriteaof,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The folder the backup goes in (created when missing).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// The database to back up (default: the connection's).
    #[arg(long, value_name = "NAME")]
    database: Option<String>,
    /// Parallel dump connections (1–16).
    #[arg(long, default_value_t = 4, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=16))]
    jobs: u64,
    /// Rows per data file: tables are split by primary-key range.
    #[arg(long, default_value_t = 250_000, value_name = "ROWS")]
    chunk_rows: u64,
    /// CHECKSUM TABLE inside the snapshot: auto (tables up to 256 MiB), all, none.
    #[arg(long, value_enum, default_value_t = Checksum::Auto)]
    checksum: Checksum,
    /// Fail when the server sends nothing for this long (a frozen server, a lost network).
    #[arg(long, default_value_t = 30, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..=86400))]
    idle_timeout: u64,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Checksum {
    Auto,
    All,
    None,
}

#[derive(Debug, Args)]
pub struct PruneArgs {
    /// The folder the backups are in.
    dir: PathBuf,
    /// Backups older than this many days go (the newest complete one always stays).
    #[arg(long, default_value_t = 7, value_name = "DAYS")]
    keep_days: u32,
    /// Show what would go, remove nothing (needs no connection).
    #[arg(long)]
    dry_run: bool,
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// The backup's folder (as `backup list` prints it).
    backup: PathBuf,
    /// The database to create and restore into.
    #[arg(long, value_name = "NAME")]
    into: String,
    /// The target exists with tables: drop it and restore in its place (needs --yes).
    #[arg(long)]
    replace: bool,
    /// The target is the live database the connection uses: replace it anyway (needs --yes).
    /// Without this, restoring over the live database is refused.
    #[arg(long)]
    replace_live_database: bool,
    /// Confirm dropping the target (with --replace or --replace-live-database).
    #[arg(long)]
    yes: bool,
    /// Parallel load connections (1–16).
    #[arg(long, default_value_t = 4, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=16))]
    jobs: u64,
    /// Point-in-time recovery: after the snapshot, replay the server's binlog up to this moment
    /// (YYYY-MM-DD HH:MM:SS in local time, or RFC 3339), into a new database.
    #[arg(long, value_name = "TIME", conflicts_with_all = ["until_gtid", "replace", "replace_live_database"])]
    until: Option<String>,
    /// Point-in-time recovery up to and including this GTID (e.g. 0-1-4711).
    #[arg(long, value_name = "GTID", conflicts_with_all = ["replace", "replace_live_database"])]
    until_gtid: Option<String>,
}

/// A progress bar on a terminal; nothing in cron or with --json.
fn bar(out: &Out) -> Option<ProgressBar> {
    (!out.is_json() && std::io::stderr().is_terminal()).then(|| {
        let bar = ProgressBar::new(1000);
        bar.set_style(
            ProgressStyle::with_template("{prefix:>10} [{bar:30.cyan/blue}] {percent:>3}% {msg}")
                .expect("valid template")
                .progress_chars("=> "),
        );
        bar
    })
}

fn show(bar: &Option<ProgressBar>, p: &BackupProgress) {
    if let Some(bar) = bar {
        bar.set_prefix(format!("{:?}", p.phase).to_lowercase());
        bar.set_position((p.fraction * 1000.0) as u64);
        let eta = p
            .eta_seconds
            .map(|s| format!(", ETA {}", duration(s)))
            .unwrap_or_default();
        bar.set_message(format!(
            "{}/{} tables, {} of ~{} rows, {} ({} zstd), {:.0} rows/s{eta}",
            p.tables_done,
            p.tables_total,
            p.rows_done,
            p.rows_estimate,
            bytes(p.bytes_done),
            bytes(p.compressed_bytes),
            p.rows_per_second
        ));
    }
}

pub async fn command(g: &Global, cmd: &BackupCommand, out: &Out) -> anyhow::Result<ExitCode> {
    match cmd {
        BackupCommand::Run(args) => {
            let jobs = args.jobs as usize;
            let server = MysqlServer::connect(&mysql_target(g)?, timeout(g), 2).await?;
            let options = BackupOptions {
                database: args.database.clone(),
                jobs,
                chunk_rows: args.chunk_rows,
                checksum: match args.checksum {
                    Checksum::Auto => ChecksumPolicy::Auto,
                    Checksum::All => ChecksumPolicy::All,
                    Checksum::None => ChecksumPolicy::None,
                },
                idle_timeout: Duration::from_secs(args.idle_timeout),
                ..BackupOptions::new(&args.out)
            };
            let cancel = cancel_on_ctrl_c();
            let bar = bar(out);
            let outcome = backup::run(
                &server,
                crate::context::actor(g)?,
                &options,
                &|p| show(&bar, &p),
                &cancel,
            )
            .await;
            if let Some(bar) = &bar {
                bar.finish_and_clear();
            }
            let outcome = outcome?;
            out.show(&outcome, || {
                let m = &outcome.manifest;
                say!(
                    "backed up `{}` to {} in {}: {} tables, {} rows, {} of SQL in {} ({:.1}×)",
                    m.database,
                    outcome.path,
                    duration(outcome.seconds),
                    m.tables.len(),
                    m.rows(),
                    bytes(m.bytes()),
                    bytes(m.compressed_bytes()),
                    m.bytes() as f64 / m.compressed_bytes().max(1) as f64
                );
                say!(
                    "snapshot: {} held {:.1} ms on {} connection(s); binlog {} {}; GTID {}",
                    m.snapshot.method,
                    m.snapshot.lock_held_ms,
                    m.snapshot.connections,
                    m.snapshot.binlog_file.as_deref().unwrap_or("(off)"),
                    m.snapshot
                        .binlog_position
                        .map(|p| p.to_string())
                        .unwrap_or_default(),
                    m.snapshot.gtid.as_deref().unwrap_or("-")
                );
                for note in &m.notes {
                    say!("note: {note}");
                }
            });
            Ok(ExitCode::SUCCESS)
        }
        BackupCommand::List { dir } => {
            let list = backup::list(dir)?;
            out.show(&list, || {
                if list.is_empty() {
                    say!("no backups in {}", dir.display());
                } else {
                    for e in &list {
                        match e.state {
                            BackupState::Complete => say!(
                                "{:<36} {:<20} {:>3} tables {:>11} rows {:>10}  binlog {} {}",
                                e.name,
                                e.finished_at
                                    .map(|t| t.format("%Y-%m-%d %H:%M:%SZ").to_string())
                                    .unwrap_or_default(),
                                e.tables,
                                e.rows,
                                bytes(e.compressed_bytes),
                                e.binlog_file.as_deref().unwrap_or("-"),
                                e.binlog_position.map(|p| p.to_string()).unwrap_or_default(),
                            ),
                            BackupState::Partial => {
                                say!("{:<36} partial: running now, or interrupted", e.name)
                            }
                            BackupState::Damaged => say!(
                                "{:<36} DAMAGED: {}",
                                e.name,
                                e.problem.as_deref().unwrap_or_default()
                            ),
                        }
                    }
                    if let Some(cmd) = list.iter().find_map(|e| e.pitr_command.as_ref()) {
                        say!(
                            "\npoint-in-time recovery from the newest, after restoring it:\n  {cmd}"
                        );
                    }
                }
            });
            Ok(ExitCode::SUCCESS)
        }
        BackupCommand::Verify { backup: path } => {
            let dir = backup::catalog::backup_dir(path);
            let report = tokio::task::spawn_blocking(move || backup::verify(&dir)).await??;
            out.show(&report, || {
                for t in &report.tables {
                    let status = if t.ok { "ok" } else { "DAMAGED" };
                    say!(
                        "{:<28} {:>3} files {:>11} rows  {status}",
                        t.table,
                        t.files,
                        t.rows
                    );
                    for p in &t.problems {
                        say!("    {p}");
                    }
                }
                say!(
                    "{}",
                    if report.ok {
                        "every file matches the manifest"
                    } else {
                        "this backup is damaged: do not restore it"
                    }
                );
            });
            Ok(if report.ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(5)
            })
        }
        BackupCommand::Prune(args) => {
            let now = chrono::Utc::now();
            let report = if args.dry_run {
                backup::prune_plan(&args.dir, args.keep_days, now)?
            } else {
                // The removal is recorded in the profile's operation_logs first.
                let server = MysqlServer::connect(&mysql_target(g)?, timeout(g), 1).await?;
                backup::prune(
                    &server,
                    crate::context::actor(g)?,
                    &args.dir,
                    args.keep_days,
                    now,
                    false,
                )
                .await?
            };
            out.show(&report, || {
                let verb = if args.dry_run {
                    "would remove"
                } else {
                    "removed"
                };
                for name in &report.removed {
                    say!("{verb} {name}");
                }
                say!(
                    "{} {}, kept {} (retention {} days)",
                    verb,
                    report.removed.len(),
                    report.kept.len(),
                    args.keep_days
                );
            });
            Ok(ExitCode::SUCCESS)
        }
        BackupCommand::Window { backup: folder } => {
            let dir = backup::catalog::backup_dir(folder);
            let m = backup::manifest::read(&dir)?;
            let server = MysqlServer::connect(&mysql_target(g)?, timeout(g), 1).await?;
            let window = backup::pitr::window(&server, &m).await?;
            out.show(&window, || {
                say!(
                    "restorable from {} to {} (now)",
                    window.from.format("%Y-%m-%d %H:%M:%S UTC"),
                    window.to.format("%Y-%m-%d %H:%M:%S UTC")
                );
                say!(
                    "GTID {} to {}; binlogs {} ({} to replay at most)",
                    window.gtid_from.as_deref().unwrap_or("-"),
                    window.gtid_to.as_deref().unwrap_or("-"),
                    window.files.join(", "),
                    bytes(window.bytes)
                );
            });
            Ok(ExitCode::SUCCESS)
        }
        BackupCommand::Restore(args) => {
            if (args.replace || args.replace_live_database) && !args.yes {
                return Err(crate::context::usage(
                    "--replace drops the target database first: add --yes to confirm",
                ));
            }
            let until = match (&args.until, &args.until_gtid) {
                // A moment or GTID that does not read is wrong usage, like a malformed id.
                (Some(t), _) => {
                    Some(Until::parse_time(t).map_err(|e| crate::context::usage(e.to_string()))?)
                }
                (None, Some(g)) => {
                    Some(Until::parse_gtid(g).map_err(|e| crate::context::usage(e.to_string()))?)
                }
                (None, None) => None,
            };
            let server = MysqlServer::connect(&mysql_target(g)?, timeout(g), 2).await?;
            let cancel = cancel_on_ctrl_c();
            let bar = bar(out);
            let dir = backup::catalog::backup_dir(&args.backup);
            let report = backup::restore(
                &server,
                crate::context::actor(g)?,
                &dir,
                &RestoreOptions {
                    into: args.into.clone(),
                    replace: args.replace || args.replace_live_database,
                    replace_live_database: args.replace_live_database,
                    jobs: args.jobs as usize,
                    until,
                },
                &|p| show(&bar, &p),
                &cancel,
            )
            .await;
            if let Some(bar) = &bar {
                bar.finish_and_clear();
            }
            let report = report?;
            out.show(&report, || {
                say!(
                    "{:<28} {:>11} {:>11}  {:>10} {:>10}",
                    "table",
                    "rows",
                    "expected",
                    "checksum",
                    "expected"
                );
                for t in &report.tables {
                    let sum =
                        |s: Option<u64>| s.map(|v| v.to_string()).unwrap_or_else(|| "-".into());
                    say!(
                        "{:<28} {:>11} {:>11}  {:>10} {:>10}  {}",
                        t.table,
                        t.rows_found,
                        t.rows_expected,
                        sum(t.checksum_found),
                        sum(t.checksum_expected),
                        if t.ok { "ok" } else { "DIFFERS" }
                    );
                }
                say!(
                    "restored into `{}` in {}: {}",
                    report.database,
                    duration(report.seconds),
                    if report.ok {
                        "every table equals the backup"
                    } else {
                        "some tables differ from the backup"
                    }
                );
                if let Some(p) = &report.pitr {
                    say!(
                        "then replayed the binlog up to {} in {}: {} read, last GTID {}",
                        p.until,
                        duration(p.seconds),
                        bytes(p.bytes_read),
                        p.gtid_reached.as_deref().unwrap_or("-")
                    );
                    say!("{:<28} {:>11} {:>12}", "table", "rows", "checksum");
                    for t in &p.tables {
                        say!(
                            "{:<28} {:>11} {:>12}",
                            t.table,
                            t.rows,
                            t.checksum.map(|c| c.to_string()).unwrap_or_else(|| "-".into())
                        );
                    }
                    say!(
                        "`{}` is a new database as of {}: compare it before pointing the platform at it",
                        report.database,
                        p.until
                    );
                }
                if let Some(cmd) = &report.pitr_command {
                    say!("roll forward with the binlog:\n  {cmd}");
                }
            });
            Ok(if report.ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(5)
            })
        }
        BackupCommand::Redis { action } => {
            let redis = crate::context::require_redis(g).await?;
            if let RedisAction::Bgsave | RedisAction::Bgrewriteaof = action {
                let trigger = match action {
                    RedisAction::Bgsave => Trigger::Bgsave,
                    _ => Trigger::Bgrewriteaof,
                };
                // Recorded in operation_logs when a MySQL server is known too.
                let audit_to = match mysql_target(g) {
                    Ok(target) => Some(MysqlServer::connect(&target, timeout(g), 1).await?),
                    Err(_) => None,
                };
                let reply = persistence::trigger(
                    &redis,
                    crate::context::actor(g)?,
                    trigger,
                    audit_to.as_ref(),
                )
                .await?;
                if !out.is_json() {
                    say!("{}: {reply}", trigger.command());
                }
            }
            let status = persistence::status(&redis).await?;
            out.show(&status, || {
                say!("{} ({})", status.address, status.role);
                say!(
                    "RDB: last save {}, status {}, {} change(s) since{}",
                    status
                        .rdb_last_save
                        .map(|t| t.format("%Y-%m-%d %H:%M:%SZ").to_string())
                        .unwrap_or_else(|| "never".into()),
                    status.rdb_last_bgsave_status.as_deref().unwrap_or("-"),
                    status.rdb_changes_since_last_save.unwrap_or(0),
                    if status.rdb_bgsave_in_progress {
                        "; BGSAVE running"
                    } else {
                        ""
                    }
                );
                say!(
                    "save points: {}",
                    status
                        .save_points
                        .as_ref()
                        .map(|p| if p.is_empty() {
                            "none (RDB snapshots off)".to_owned()
                        } else {
                            p.join(", ")
                        })
                        .unwrap_or_else(|| "unknown (CONFIG not allowed)".into())
                );
                say!(
                    "AOF: {}{}, appendfsync {}",
                    if status.aof_enabled { "on" } else { "off" },
                    if status.aof_rewrite_in_progress {
                        ", rewrite running"
                    } else {
                        ""
                    },
                    status.appendfsync.as_deref().unwrap_or("-")
                );
                if let Some(reason) = &status.refuses {
                    say!("note: {reason}");
                }
            });
            Ok(ExitCode::SUCCESS)
        }
    }
}
