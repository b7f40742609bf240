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
    /// One expression per column rendering it as an SQL literal.
    literals: Vec<String>,
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
        r = crate::mysql::bounded(server, limit, f) => r,
    }
}

/// A dump connection and its id, for `KILL QUERY`.
struct Dumper {
    conn: MySqlConnection,
    id: u64,
}

/// Opens a dump connection (the caller bounds the time it may take).
async fn open(server: &MysqlServer) -> Result<Dumper> {
    let mut conn = MySqlConnection::connect_with(&server.target.options())
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
        let mut conn = MySqlConnection::connect_with(&server.target.options()).await?;
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
        };
        manifest::write(dir, &manifest)?;
        Ok(manifest)
    }
}

/// The base tables (with how to render and chunk them), the views, and what is left out.
async fn plan_tables(
    server: &MysqlServer,
    database: &str,
) -> Result<(Vec<TablePlan>, Vec<String>, Vec<String>)> {
    type Listed = (String, String, Option<String>, Option<u64>, Option<u64>);
    let listed: Vec<Listed> = sqlx::query_as(
        "SELECT TABLE_NAME, TABLE_TYPE, ENGINE, TABLE_ROWS, DATA_LENGTH FROM information_schema.TABLES \
         WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME",
    )
    .bind(database)
    .fetch_all(&server.pool)
    .await
    .map_err(|e| server.err(e))?;
    let columns: Vec<(String, String, String, String)> = sqlx::query_as(
        "SELECT TABLE_NAME, COLUMN_NAME, DATA_TYPE, EXTRA FROM information_schema.COLUMNS \
         WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME, ORDINAL_POSITION",
    )
    .bind(database)
    .fetch_all(&server.pool)
    .await
    .map_err(|e| server.err(e))?;
    let keys: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT s.TABLE_NAME, s.COLUMN_NAME, c.DATA_TYPE FROM information_schema.STATISTICS s \
         JOIN information_schema.COLUMNS c ON c.TABLE_SCHEMA = s.TABLE_SCHEMA AND c.TABLE_NAME = s.TABLE_NAME AND c.COLUMN_NAME = s.COLUMN_NAME \
         WHERE s.TABLE_SCHEMA = ? AND s.INDEX_NAME = 'PRIMARY' ORDER BY s.TABLE_NAME, s.SEQ_IN_INDEX",
    )
    .bind(database)
    .fetch_all(&server.pool)
    .await
    .map_err(|e| server.err(e))?;
    let mut tables = Vec::new();
    let mut views = Vec::new();
    let mut notes = Vec::new();
    for (name, kind, engine, rows, bytes) in listed {
        if kind == "VIEW" {
            views.push(name);
            continue;
        }
        if kind != "BASE TABLE" {
            notes.push(format!("`{name}` ({kind}) is not backed up"));
            continue;
        }
        let mut cols = Vec::new();
        let mut literals = Vec::new();
        for (_, column, data_type, extra) in columns.iter().filter(|c| c.0 == name) {
            if extra.to_ascii_uppercase().contains("GENERATED") {
                continue;
            }
            literals.push(literal(column, data_type));
            cols.push(column.clone());
        }
        let pk: Vec<&(String, String, String)> = keys.iter().filter(|k| k.0 == name).collect();
        let chunk_key = match pk.as_slice() {
            [(_, column, data_type)] if is_integer(data_type) => Some(column.clone()),
            _ => None,
        };
        let engine = engine.unwrap_or_default();
        if !engine.eq_ignore_ascii_case("InnoDB") {
            notes.push(format!(
                "`{name}` is {engine}, not InnoDB: its rows are as of when it was read, not the snapshot"
            ));
        }
        tables.push(TablePlan {
            name,
            columns: cols,
            literals,
            chunk_key,
            order_by: pk.iter().map(|k| k.1.clone()).collect(),
            rows_estimate: rows.unwrap_or(0),
            data_bytes: bytes.unwrap_or(0),
            engine,
        });
    }
    let (triggers,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ?")
            .bind(database)
            .fetch_one(&server.pool)
            .await
            .map_err(|e| server.err(e))?;
    let (routines,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ?")
            .bind(database)
            .fetch_one(&server.pool)
            .await
            .map_err(|e| server.err(e))?;
    if triggers + routines > 0 {
        notes.push(format!(
            "{triggers} trigger(s) and {routines} routine(s) are not in this backup: keep them with `mysqldump --no-data --triggers --routines`"
        ));
    }
    Ok((tables, views, notes))
}

fn is_integer(data_type: &str) -> bool {
    matches!(
        data_type.to_ascii_lowercase().as_str(),
        "tinyint" | "smallint" | "mediumint" | "int" | "integer" | "bigint"
    )
}

/// An expression rendering `column` as an SQL literal that restores to the same value, on one
/// line (newlines inside strings become `\n`), `NULL` for NULL.
fn literal(column: &str, data_type: &str) -> String {
    let c = quote_ident(column);
    match data_type.to_ascii_lowercase().as_str() {
        "tinyint" | "smallint" | "mediumint" | "int" | "integer" | "bigint" | "decimal"
        | "numeric" | "float" | "double" | "real" => format!("IFNULL({c},'NULL')"),
        "bit" => format!("IFNULL(CAST({c} AS UNSIGNED),'NULL')"),
        "binary" | "varbinary" | "tinyblob" | "blob" | "mediumblob" | "longblob" | "geometry"
        | "point" | "linestring" | "polygon" | "multipoint" | "multilinestring"
        | "multipolygon" | "geometrycollection" => {
            format!("IF({c} IS NULL,'NULL',CONCAT('X''',HEX({c}),''''))")
        }
        _ => format!("REPLACE(REPLACE(QUOTE({c}),'\\n','\\\\n'),'\\r','\\\\r')"),
    }
}

/// Blocks commits for as short a time as the server allows while every dump connection opens
/// its snapshot, and reads the binlog position and GTID of that point.
async fn take_snapshot(
    server: &MysqlServer,
    options: &BackupOptions,
    dumpers: &mut Vec<Dumper>,
) -> Result<Snapshot> {
    let flavour = server.info.flavour;
    let mut coordinator = MySqlConnection::connect_with(&server.target.options())
        .await
        .map_err(|e| server.err(e))?;
    let wait = options.statement_timeout.as_secs().max(1);
    // A long statement holding a table must not make everyone wait behind our lock.
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "SET SESSION lock_wait_timeout = {wait}"
    )))
    .execute(&mut coordinator)
    .await
    .map_err(|e| server.err(e))?;
    let (method, lock, unlock): (&str, &[&str], &str) = match flavour {
        Flavour::MariaDb if server.info.at_least((10, 4, 1)) => (
            "BACKUP STAGE BLOCK_COMMIT",
            &["BACKUP STAGE START", "BACKUP STAGE BLOCK_COMMIT"],
            "BACKUP STAGE END",
        ),
        _ => (
            "FLUSH TABLES WITH READ LOCK",
            &["FLUSH TABLES WITH READ LOCK"],
            "UNLOCK TABLES",
        ),
    };
    let locked_at = Instant::now();
    let mut locked = Ok(());
    for statement in lock {
        if let Err(e) = sqlx::raw_sql(*statement).execute(&mut coordinator).await {
            locked = Err(server.err(e));
            break;
        }
    }
    match locked {
        Ok(()) => {
            let opened = async {
                for d in dumpers.iter_mut() {
                    start_snapshot(server, &mut d.conn).await?;
                }
                binlog_point(server, &mut coordinator).await
            }
            .await;
            let released = sqlx::raw_sql(unlock).execute(&mut coordinator).await;
            let lock_held_ms = locked_at.elapsed().as_secs_f64() * 1000.0;
            let _ = coordinator.close().await;
            released.map_err(|e| server.err(e))?;
            let (binlog_file, binlog_position, gtid) = opened?;
            Ok(Snapshot {
                method: method.to_owned(),
                lock_held_ms,
                connections: dumpers.len() as u32,
                binlog_file,
                binlog_position,
                gtid,
            })
        }
        Err(e) if e.kind() == ErrorKind::PrivilegeMissing => {
            let _ = sqlx::raw_sql(unlock).execute(&mut coordinator).await;
            let _ = coordinator.close().await;
            // Without the lock only one snapshot is consistent: dump on one connection.
            dumpers.truncate(1);
            let d = &mut dumpers[0];
            start_snapshot(server, &mut d.conn).await?;
            let (binlog_file, binlog_position) = if flavour == Flavour::MariaDb {
                // MariaDB reports the binlog point of this very snapshot.
                let rows = sqlx::raw_sql("SHOW STATUS LIKE 'binlog_snapshot_%'")
                    .fetch_all(&mut d.conn)
                    .await
                    .map_err(|e| server.err(e))?;
                let get = |name: &str| {
                    rows.iter()
                        .find(|r| cell_text(r, 0).as_deref() == Some(name))
                        .and_then(|r| cell_text(r, 1))
                };
                (
                    get("Binlog_snapshot_file").filter(|f| !f.is_empty()),
                    get("Binlog_snapshot_position").and_then(|p| p.parse().ok()),
                )
            } else {
                (None, None)
            };
            Ok(Snapshot {
                method: "START TRANSACTION WITH CONSISTENT SNAPSHOT".to_owned(),
                lock_held_ms: 0.0,
                connections: 1,
                binlog_file,
                binlog_position,
                gtid: None,
            })
        }
        Err(e) => {
            let _ = sqlx::raw_sql(unlock).execute(&mut coordinator).await;
            Err(e)
        }
    }
}

async fn start_snapshot(server: &MysqlServer, conn: &mut MySqlConnection) -> Result<()> {
    sqlx::raw_sql("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY")
        .execute(conn)
        .await
        .map_err(|e| server.err(e))?;
    Ok(())
}

async fn binlog_point(
    server: &MysqlServer,
    conn: &mut MySqlConnection,
) -> Result<(Option<String>, Option<u64>, Option<String>)> {
    let status = mysql_since(
        server,
        (8, 4, 0),
        "SHOW BINARY LOG STATUS",
        "SHOW MASTER STATUS",
    );
    let row = sqlx::raw_sql(status)
        .fetch_optional(&mut *conn)
        .await
        .map_err(|e| server.err(e))?;
    let (file, position) = match &row {
        Some(r) => (
            cell_text(r, 0),
            cell_text(r, 1).and_then(|p| p.parse().ok()),
        ),
        None => (None, None),
    };
    let gtid_sql = match server.info.flavour {
        Flavour::MariaDb => "SELECT @@GLOBAL.gtid_binlog_pos",
        Flavour::MySql => "SELECT @@GLOBAL.gtid_executed",
    };
    let gtid = sqlx::raw_sql(gtid_sql)
        .fetch_optional(&mut *conn)
        .await
        .map_err(|e| server.err(e))?
        .and_then(|r| cell_text(&r, 0))
        .filter(|g| !g.is_empty());
    Ok((file, position, gtid))
}

/// `SHOW CREATE TABLE` / `SHOW CREATE VIEW` of everything the backup holds.
async fn show_creates(
    server: &MysqlServer,
    database: &str,
    tables: &[TablePlan],
    views: &[String],
) -> Result<(Vec<String>, Vec<String>)> {
    let mut conn = server.pool.acquire().await.map_err(|e| server.err(e))?;
    let mut table_sql = Vec::with_capacity(tables.len());
    for t in tables {
        let sql = format!(
            "SHOW CREATE TABLE {}.{}",
            quote_ident(database),
            quote_ident(&t.name)
        );
        let row = sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .fetch_one(&mut *conn)
            .await
            .map_err(|e| server.err(e))?;
        table_sql.push(cell_text(&row, 1).unwrap_or_default());
    }
    let mut view_sql = Vec::with_capacity(views.len());
    for v in views {
        let sql = format!(
            "SHOW CREATE VIEW {}.{}",
            quote_ident(database),
            quote_ident(v)
        );
        let row = sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .fetch_one(&mut *conn)
            .await
            .map_err(|e| server.err(e))?;
        view_sql.push(cell_text(&row, 1).unwrap_or_default());
    }
    Ok((table_sql, view_sql))
}

impl Dump<'_> {
    /// Chunks by primary-key range (bounds read inside the snapshot), biggest first, and the
    /// `CHECKSUM TABLE`s the policy affords.
    async fn plan_work(&self, dumper: &mut Dumper, tables: &[TablePlan]) -> Result<Vec<Work>> {
        let (server, database, options) = (self.server, self.database, self.options);
        let mut work: Vec<(u64, Work)> = Vec::new();
        let chunk_rows = options.chunk_rows.max(1000);
        for (i, t) in tables.iter().enumerate() {
            let checksum = match options.checksum {
                ChecksumPolicy::All => true,
                ChecksumPolicy::None => false,
                ChecksumPolicy::Auto => t.data_bytes <= AUTO_CHECKSUM_BYTES,
            };
            if checksum {
                work.push((t.data_bytes, Work::Checksum { table: i }));
            }
            let chunks = t.rows_estimate.div_ceil(chunk_rows).max(1);
            let bounds = match (&t.chunk_key, chunks > 1) {
                (Some(key), true) => {
                    let sql = format!(
                        "SELECT MIN({k}), MAX({k}) FROM {}.{}",
                        quote_ident(database),
                        quote_ident(&t.name),
                        k = quote_ident(key)
                    );
                    let row = sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                        .fetch_one(&mut dumper.conn)
                        .await
                        .map_err(|e| server.err(e))?;
                    match (cell_text(&row, 0), cell_text(&row, 1)) {
                        (Some(lo), Some(hi)) => lo.parse::<i64>().ok().zip(hi.parse::<i64>().ok()),
                        _ => None,
                    }
                }
                _ => None,
            };
            match bounds {
                Some((lo, hi)) if hi > lo => {
                    let span = (hi as i128 - lo as i128 + 1) as u128;
                    let n = (chunks as u128).min(span);
                    let weight = t.data_bytes / n as u64;
                    for k in 0..n {
                        let low = (lo as i128 + (span * k / n) as i128) as i64;
                        let high = (lo as i128 + (span * (k + 1) / n) as i128) as i64;
                        work.push((
                            weight,
                            Work::Chunk {
                                table: i,
                                index: k as usize,
                                // The first and last chunks are open, so nothing outside the
                                // bounds read is missed.
                                low: (k > 0).then_some(low),
                                high: (k + 1 < n).then_some(high),
                            },
                        ));
                    }
                }
                _ => work.push((
                    t.data_bytes,
                    Work::Chunk {
                        table: i,
                        index: 0,
                        low: None,
                        high: None,
                    },
                )),
            }
        }
        // Longest first keeps the connections busy to the end.
        work.sort_by_key(|w| std::cmp::Reverse(w.0));
        Ok(work.into_iter().map(|(_, w)| w).collect())
    }
}

type Files = Vec<Vec<FileEntry>>;

impl Dump<'_> {
    async fn run_work(
        &self,
        tables: &[TablePlan],
        work: &[Work],
        dumpers: &mut [Dumper],
        report: &(dyn Fn(Phase, &Counters) + Sync),
    ) -> Result<(Files, Vec<Option<u64>>)> {
        let counters = &self.counters;
        let next = AtomicUsize::new(0);
        let files: Mutex<Vec<Vec<(usize, FileEntry)>>> = Mutex::new(vec![Vec::new(); tables.len()]);
        let checksums: Mutex<Vec<Option<u64>>> = Mutex::new(vec![None; tables.len()]);
        // Pieces left per table: a table is done when its last one is.
        let left: Vec<AtomicUsize> = (0..tables.len())
            .map(|i| {
                AtomicUsize::new(
                    work.iter()
                        .filter(|w| match w {
                            Work::Chunk { table, .. } | Work::Checksum { table } => *table == i,
                        })
                        .count(),
                )
            })
            .collect();
        let workers = dumpers.iter_mut().map(|d| {
            let (next, files, checksums, left) = (&next, &files, &checksums, &left);
            async move {
                while let Some(item) = work.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let table = match item {
                        Work::Checksum { table } => {
                            let sum = self.checksum_table(&mut d.conn, &tables[*table]).await?;
                            checksums.lock().expect("checksums")[*table] = sum;
                            *table
                        }
                        Work::Chunk {
                            table,
                            index,
                            low,
                            high,
                        } => {
                            let t = &tables[*table];
                            let relative = format!(
                                "{}/{:03}-{}.{:05}.sql.zst",
                                manifest::DATA_DIR,
                                table,
                                file_safe(&t.name),
                                index
                            );
                            let entry = self
                                .dump_chunk(&mut d.conn, t, (*low, *high), relative)
                                .await?;
                            files.lock().expect("files")[*table].push((*index, entry));
                            *table
                        }
                    };
                    if left[table].fetch_sub(1, Ordering::AcqRel) == 1 {
                        counters.tables_done.fetch_add(1, Ordering::Relaxed);
                    }
                }
                Ok::<(), Error>(())
            }
        });
        {
            let all = futures_util::future::try_join_all(workers);
            tokio::pin!(all);
            let mut tick = tokio::time::interval(Duration::from_millis(250));
            loop {
                tokio::select! {
                    r = &mut all => { r?; break; }
                    _ = tick.tick() => report(Phase::Dumping, counters),
                }
            }
        }
        report(Phase::Dumping, counters);
        let files = files
            .into_inner()
            .expect("files")
            .into_iter()
            .map(|mut v| {
                v.sort_by_key(|(i, _)| *i);
                v.into_iter().map(|(_, f)| f).collect()
            })
            .collect();
        Ok((files, checksums.into_inner().expect("checksums")))
    }
}

fn file_safe(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

impl Dump<'_> {
    async fn checksum_table(
        &self,
        conn: &mut MySqlConnection,
        table: &TablePlan,
    ) -> Result<Option<u64>> {
        let (server, options, database, cancel) =
            (self.server, self.options, self.database, self.cancel);
        if !table.engine.eq_ignore_ascii_case("InnoDB") {
            return Ok(None);
        }
        // Inside the snapshot's transaction, CHECKSUM TABLE reads the snapshot's rows.
        let sql = format!(
            "CHECKSUM TABLE {}.{}",
            quote_ident(database),
            quote_ident(&table.name)
        );
        let row = within(&server.info.address, options.idle_timeout, cancel, async {
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                .fetch_one(&mut *conn)
                .await
                .map_err(|e| server.err(e))
        })
        .await?;
        Ok(cell_text(&row, 1).and_then(|s| s.parse().ok()))
    }

    /// One chunk of a table into its own zstd file, `relative` to the backup folder.
    async fn dump_chunk(
        &self,
        conn: &mut MySqlConnection,
        table: &TablePlan,
        (low, high): (Option<i64>, Option<i64>),
        relative: String,
    ) -> Result<FileEntry> {
        let (server, options, database, cancel, counters) = (
            self.server,
            self.options,
            self.database,
            self.cancel,
            &self.counters,
        );
        let mut sql = format!(
            "SELECT CONCAT('(',CONCAT_WS(',',{}),')') FROM {}.{}",
            table.literals.join(","),
            quote_ident(database),
            quote_ident(&table.name)
        );
        let key = table.chunk_key.as_deref().map(quote_ident);
        match (&key, low, high) {
            (Some(k), Some(_), Some(_)) => sql.push_str(&format!(" WHERE {k} >= ? AND {k} < ?")),
            (Some(k), Some(_), None) => sql.push_str(&format!(" WHERE {k} >= ?")),
            (Some(k), None, Some(_)) => sql.push_str(&format!(" WHERE {k} < ?")),
            _ => {}
        }
        if !table.order_by.is_empty() {
            let order: Vec<String> = table.order_by.iter().map(|c| quote_ident(c)).collect();
            sql.push_str(&format!(" ORDER BY {}", order.join(",")));
        }
        let prefix = format!(
            "INSERT INTO {} ({}) VALUES ",
            quote_ident(&table.name),
            table
                .columns
                .iter()
                .map(|c| quote_ident(c))
                .collect::<Vec<_>>()
                .join(",")
        );
        let mut file = ChunkFile::create(self.dir, relative);
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        if let Some(low) = low {
            query = query.bind(low);
        }
        if let Some(high) = high {
            query = query.bind(high);
        }
        let mut rows = query.fetch(&mut *conn);
        let mut batch: Vec<u8> = Vec::with_capacity(BATCH_BYTES + STATEMENT_BYTES);
        let mut statement_start = 0usize;
        let mut in_statement = false;
        let mut count = 0u64;
        let address = &server.info.address;
        loop {
            // Idle timeout: a server that stops sending rows fails the chunk, not the operator's night.
            let next = within(address, options.idle_timeout, cancel, async {
                rows.try_next().await.map_err(|e| server.err(e))
            })
            .await?;
            let Some(row) = next else { break };
            let tuple: &[u8] = row.try_get_unchecked(0).map_err(|e| server.err(e))?;
            if in_statement {
                batch.push(b',');
            } else {
                statement_start = batch.len();
                batch.extend_from_slice(prefix.as_bytes());
                in_statement = true;
            }
            batch.extend_from_slice(tuple);
            count += 1;
            if batch.len() - statement_start >= STATEMENT_BYTES {
                batch.extend_from_slice(b";\n");
                in_statement = false;
                if batch.len() >= BATCH_BYTES {
                    counters
                        .bytes
                        .fetch_add(batch.len() as u64, Ordering::Relaxed);
                    file.send(std::mem::replace(
                        &mut batch,
                        Vec::with_capacity(BATCH_BYTES + STATEMENT_BYTES),
                    ))
                    .await?;
                }
            }
            if count.is_multiple_of(1024) {
                counters.rows.fetch_add(1024, Ordering::Relaxed);
            }
        }
        drop(rows);
        if in_statement {
            batch.extend_from_slice(b";\n");
        }
        counters.rows.fetch_add(count % 1024, Ordering::Relaxed);
        counters
            .bytes
            .fetch_add(batch.len() as u64, Ordering::Relaxed);
        if !batch.is_empty() {
            file.send(batch).await?;
        }
        let entry = file.finish(count).await?;
        counters
            .compressed
            .fetch_add(entry.compressed_bytes, Ordering::Relaxed);
        Ok(entry)
    }
}
