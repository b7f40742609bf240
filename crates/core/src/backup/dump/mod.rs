//! The dump: several connections open one consistent snapshot together (commits blocked for
//! the few milliseconds that takes), the binlog position and GTID are read at that point,
//! then tables are dumped in primary-key chunks in parallel, each chunk one zstd file.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use chrono::Utc;
use futures_util::TryStreamExt;
use sqlx::{Connection, MySqlConnection, Row};
use tokio_util::sync::CancellationToken;

use super::files::{ChunkFile, io_error, sync_dir, write_synced};
use super::manifest::{self, FileEntry, Manifest, Snapshot, TableEntry, ViewEntry};
use super::{BackupOptions, BackupOutcome, BackupProgress, ChecksumPolicy, Phase};
use crate::access::{Actor, Permission};
use crate::audit::{self, Change};
use crate::error::{Error, ErrorKind, Result};
use crate::mysql::{Flavour, MysqlServer, cell_text, mysql_since, quote_ident};

mod render;
mod snapshot;
mod tables;
mod work;

use snapshot::*;
use tables::*;

/// A statement in a data file stays near this size (well under `max_allowed_packet`).
const STATEMENT_BYTES: usize = 1 << 20;
/// Buffers handed to the file writer.
const BATCH_BYTES: usize = 4 << 20;
/// `auto` takes `CHECKSUM TABLE` of tables up to this size (it is a second full read).
pub const AUTO_CHECKSUM_BYTES: u64 = 256 << 20;

/// A base table as `information_schema` describes it before the snapshot.
struct TablePlan {
    name: String,
    columns: Vec<String>,
    /// How each column's values are written as SQL literals.
    renders: Vec<render::Render>,
    /// A single integer primary-key column, for chunking.
    chunk_key: Option<String>,
    /// The primary key's columns, for a stable order when not chunked.
    order_by: Vec<String>,
    rows_estimate: u64,
    data_bytes: u64,
    engine: String,
}

/// One piece of work for a dump connection.
enum Work {
    Chunk {
        table: usize,
        index: usize,
        low: Option<i64>,
        high: Option<i64>,
    },
    Checksum {
        table: usize,
    },
}

/// Counters the dump connections share, read by the progress ticker.
#[derive(Default)]
struct Counters {
    rows: AtomicU64,
    bytes: AtomicU64,
    compressed: AtomicU64,
    tables_done: AtomicUsize,
}

/// Backs up a database of `server` into a new folder under `options.out_dir`, written under a
/// temporary name and renamed only when complete. Cancelling (or a timeout) stops the
/// statements on the server and removes the partial folder. Audited in `operation_logs`.
pub async fn run(
    server: &MysqlServer,
    actor: Actor,
    options: &BackupOptions,
    progress: &(dyn Fn(BackupProgress) + Send + Sync),
    cancel: &CancellationToken,
) -> Result<BackupOutcome> {
    actor.require(Permission::Backup)?;
    let database = match &options.database {
        Some(d) => d.clone(),
        None => crate::schema::current_database(server).await?,
    };
    let (charset, collation) = database_defaults(server, &database).await?;
    if options.out_dir.exists() && !options.out_dir.is_dir() {
        return Err(Error::InvalidInput(format!(
            "{} is a file, not a folder: backups go into a folder (--out DIR)",
            options.out_dir.display()
        )));
    }
    std::fs::create_dir_all(&options.out_dir)
        .map_err(|e| io_error("creating", &options.out_dir, e))?;
    let started_at = Utc::now();
    let name = free_name(
        &options.out_dir,
        &format!("{database}-{}", started_at.format("%Y%m%dT%H%M%SZ")),
    );
    let partial = options.out_dir.join(format!(".{name}.partial"));
    std::fs::create_dir(&partial).map_err(|e| io_error("creating", &partial, e))?;
    let dump = Dump {
        server,
        options,
        database: &database,
        dir: &partial,
        cancel,
        counters: Counters::default(),
    };
    let result = dump
        .write_folder((&charset, &collation), started_at, progress)
        .await;
    let finished = match result {
        Ok(manifest) => publish(&options.out_dir, &partial, &name).map(|path| (path, manifest)),
        Err(e) => Err(e),
    };
    match finished {
        Ok((path, manifest)) => {
            let seconds = (manifest.finished_at - manifest.started_at).as_seconds_f64();
            audit::record(
                server,
                Change {
                    action: "backup.run",
                    resource_type: "database",
                    resource_id: None,
                    details: serde_json::json!({
                        "database": database, "path": path.display().to_string(),
                        "rows": manifest.rows(), "bytes": manifest.bytes(),
                        "compressedBytes": manifest.compressed_bytes(), "seconds": seconds,
                        "binlogFile": manifest.snapshot.binlog_file,
                        "binlogPosition": manifest.snapshot.binlog_position,
                        "gtid": manifest.snapshot.gtid,
                    }),
                },
            )
            .await?;
            Ok(BackupOutcome {
                path: path.display().to_string(),
                manifest,
                seconds,
            })
        }
        Err(e) => {
            let _ = std::fs::remove_dir_all(&partial);
            // The failure is recorded too, when the server still answers.
            let note = audit::record(
                server,
                Change {
                    action: "backup.failed",
                    resource_type: "database",
                    resource_id: None,
                    details: serde_json::json!({
                        "database": database, "error": e.to_string(), "kind": e.kind(),
                    }),
                },
            );
            let _ = tokio::time::timeout(Duration::from_secs(3), note).await;
            Err(e)
        }
    }
}

/// `base`, or `base-2`, `base-3`… when a backup of that second exists already.
fn free_name(dir: &Path, base: &str) -> String {
    let mut name = base.to_owned();
    let mut n = 2;
    while dir.join(&name).exists() || dir.join(format!(".{name}.partial")).exists() {
        name = format!("{base}-{n}");
        n += 1;
    }
    name
}

/// Gives the synced folder its final name, then syncs the parent so the rename lasts.
fn publish(out_dir: &Path, partial: &Path, name: &str) -> Result<PathBuf> {
    sync_dir(&partial.join(manifest::DATA_DIR))?;
    sync_dir(partial)?;
    let path = out_dir.join(name);
    std::fs::rename(partial, &path).map_err(|e| io_error("renaming", partial, e))?;
    sync_dir(out_dir)?;
    Ok(path)
}

async fn database_defaults(server: &MysqlServer, database: &str) -> Result<(String, String)> {
    let row: Option<(String, String)> = sqlx::query_as(
        "SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?",
    )
    .bind(database)
    .fetch_optional(&server.pool)
    .await
    .map_err(|e| server.err(e))?;
    row.ok_or_else(|| Error::UnknownDatabase {
        server: server.info.address.clone(),
        database: database.to_owned(),
    })
}

/// Runs `f` within `limit`, or until cancelled.
async fn within<T>(
    server: &str,
    limit: Duration,
    cancel: &CancellationToken,
    f: impl std::future::Future<Output = Result<T>>,
) -> Result<T> {
    tokio::select! {
        _ = cancel.cancelled() => Err(Error::Cancelled),
        r = crate::net::bounded(server, limit, f) => r,
    }
}

/// A dump connection and its id, for `KILL QUERY`.
struct Dumper {
    conn: MySqlConnection,
    id: u64,
}

/// Opens a dump connection (the caller bounds the time it may take).
async fn open(server: &MysqlServer) -> Result<Dumper> {
    let mut conn = MySqlConnection::connect_with(&server.connect_options())
        .await
        .map_err(|e| server.err(e))?;
    // Literals are rendered with backslash escapes and times in UTC, whatever the server's defaults.
    sqlx::raw_sql(
        "SET SESSION sql_mode = '', time_zone = '+00:00'; SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ",
    )
    .execute(&mut conn)
    .await
    .map_err(|e| server.err(e))?;
    let (id,): (u64,) = sqlx::query_as("SELECT CONNECTION_ID()")
        .fetch_one(&mut conn)
        .await
        .map_err(|e| server.err(e))?;
    Ok(Dumper { conn, id })
}

/// Stops what the dump connections are running, from a connection of its own.
async fn kill_queries(server: &MysqlServer, ids: &[u64]) {
    let kill = async {
        let mut conn = MySqlConnection::connect_with(&server.connect_options()).await?;
        for id in ids {
            let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!("KILL QUERY {id}")))
                .execute(&mut conn)
                .await;
        }
        conn.close().await
    };
    let _ = tokio::time::timeout(Duration::from_secs(3), kill).await;
}

/// One backup being written: what every step of the dump shares.
struct Dump<'a> {
    server: &'a MysqlServer,
    options: &'a BackupOptions,
    database: &'a str,
    /// The partial folder the backup is written into.
    dir: &'a Path,
    cancel: &'a CancellationToken,
    counters: Counters,
}

impl Dump<'_> {
    /// Writes the whole backup into `self.dir`: snapshot, schema, data files, manifest.
    async fn write_folder(
        &self,
        (charset, collation): (&str, &str),
        started_at: chrono::DateTime<Utc>,
        progress: &(dyn Fn(BackupProgress) + Send + Sync),
    ) -> Result<Manifest> {
        let (server, options, database, dir, cancel) = (
            self.server,
            self.options,
            self.database,
            self.dir,
            self.cancel,
        );
        let clock = Instant::now();
        let address = server.info.address.clone();
        let data_dir = dir.join(manifest::DATA_DIR);
        std::fs::create_dir(&data_dir).map_err(|e| io_error("creating", &data_dir, e))?;
        let (tables, views, mut notes) = plan_tables(server, database).await?;
        let rows_estimate: u64 = tables.iter().map(|t| t.rows_estimate).sum();
        let bytes_estimate: u64 = tables.iter().map(|t| t.data_bytes).sum();
        let report = |phase: Phase, c: &Counters| {
            progress(BackupProgress::new(
                phase,
                (c.tables_done.load(Ordering::Relaxed), tables.len()),
                (c.rows.load(Ordering::Relaxed), rows_estimate),
                (c.bytes.load(Ordering::Relaxed), bytes_estimate),
                c.compressed.load(Ordering::Relaxed),
                clock.elapsed(),
            ))
        };
        let counters = &self.counters;
        report(Phase::Snapshot, counters);

        let jobs = options.jobs.clamp(1, 16);
        let mut dumpers = Vec::with_capacity(jobs);
        for _ in 0..jobs {
            dumpers.push(within(&address, options.statement_timeout, cancel, open(server)).await?);
        }
        let ids: Vec<u64> = dumpers.iter().map(|d| d.id).collect();
        let outcome = async {
        let snapshot = within(
            &address,
            options.statement_timeout,
            cancel,
            take_snapshot(server, options, &mut dumpers),
        )
        .await?;
        if snapshot.connections == 1 {
            notes.push(format!(
                "one connection: {} (the account lacks RELOAD, which blocking commits for a moment needs)",
                snapshot.method
            ));
        }
        let creates = within(
            &address,
            options.statement_timeout,
            cancel,
            show_creates(server, database, &tables, &views),
        )
        .await?;
        let work = within(
            &address,
            options.statement_timeout,
            cancel,
            self.plan_work(&mut dumpers[0], &tables),
        )
        .await?;
        let (files, checksums) = self
            .run_work(&tables, &work, &mut dumpers, &report)
            .await?;
        Ok::<_, Error>((snapshot, creates, files, checksums))
    }
    .await;
        let (snapshot, (table_sql, view_sql), files, checksums) = match outcome {
            Ok(v) => v,
            Err(e) => {
                drop(dumpers);
                kill_queries(server, &ids).await;
                return Err(e);
            }
        };
        for d in dumpers {
            let _ = d.conn.close().await;
        }
        report(Phase::Finishing, counters);

        let mut entries = Vec::with_capacity(tables.len());
        for (i, t) in tables.iter().enumerate() {
            let files = files[i].clone();
            entries.push(TableEntry {
                name: t.name.clone(),
                create_sql: table_sql[i].clone(),
                columns: t.columns.clone(),
                rows: files.iter().map(|f| f.rows).sum(),
                bytes: files.iter().map(|f| f.bytes).sum(),
                compressed_bytes: files.iter().map(|f| f.compressed_bytes).sum(),
                checksum: manifest::table_checksum(&files),
                server_checksum: checksums[i],
                files,
            });
        }
        let views: Vec<ViewEntry> = views
            .iter()
            .zip(view_sql)
            .map(|(name, create_sql)| ViewEntry {
                name: name.clone(),
                create_sql,
            })
            .collect();
        let mut schema = format!(
            "-- MindPal Admin backup of `{database}` from {address} ({}), {started_at}\n-- Restore with `mindpal-admin backup restore`, or: mysql NEWDB < schema.sql\n\nSET foreign_key_checks = 0;\n\n",
            server.info.version_string
        );
        for e in &entries {
            schema.push_str(&e.create_sql);
            schema.push_str(";\n\n");
        }
        for v in &views {
            schema.push_str(&v.create_sql);
            schema.push_str(";\n\n");
        }
        write_synced(&dir.join(manifest::SCHEMA_FILE), schema.as_bytes())?;
        let manifest = Manifest {
            format: manifest::FORMAT.to_owned(),
            tool: audit::USER_AGENT.to_owned(),
            server: address,
            server_version: server.info.version_string.clone(),
            database: database.to_owned(),
            charset: charset.to_owned(),
            collation: collation.to_owned(),
            started_at,
            finished_at: Utc::now(),
            snapshot,
            compression: format!("zstd level {}", super::files::ZSTD_LEVEL),
            tables: entries,
            views,
            notes,
            made_by: Some(manifest::MadeBy::here()),
        };
        manifest::write(dir, &manifest)?;
        Ok(manifest)
    }
}
