//! Restore: every file's checksum first (a damaged backup loads nothing), then tables created
//! without their secondary indexes, data loaded on parallel connections, indexes built in one
//! pass per table, and every table verified against the manifest. A restore that fails or is
//! cancelled drops the database it created, so nothing half-restored looks complete.

use std::path::Path;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use sqlx::{Connection, MySqlConnection};
use tokio_util::sync::CancellationToken;

use super::admit::{self, DataShape};
use super::files::{FileCheck, read_hashed_lines, read_statements};
use super::manifest::{self, FileEntry, Manifest, TableEntry};
use super::pitr::{self, PitrReport, Until};
use super::{BackupProgress, Phase};
use crate::access::{Actor, Permission};
use crate::audit::{self, Change};
use crate::error::{Error, Result};
use crate::mysql::{MysqlServer, cell_text, quote_ident};

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct RestoreOptions {
    /// The database to restore into; created by the restore.
    pub into: String,
    /// Drop and recreate `into` when it exists and has tables (the operator confirmed).
    #[serde(default)]
    pub replace: bool,
    /// Allow `into` to be the database the connection itself uses (the live one): the
    /// operator typed its name to confirm. Without it such a restore is refused.
    #[serde(default)]
    pub replace_live_database: bool,
    #[serde(default = "default_jobs")]
    pub jobs: usize,
    /// Roll the snapshot forward with the server's binlog up to this point (always into a new
    /// database).
    #[serde(default)]
    pub until: Option<Until>,
}

fn default_jobs() -> usize {
    4
}

/// One table of a restore, against the manifest.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct TableCheck {
    pub table: String,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub rows_expected: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub rows_found: u64,
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub checksum_expected: Option<u64>,
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub checksum_found: Option<u64>,
    pub ok: bool,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct RestoreReport {
    pub backup: String,
    pub database: String,
    pub seconds: f64,
    pub ok: bool,
    pub tables: Vec<TableCheck>,
    /// The `mysqlbinlog` command that would roll this restore forward by hand.
    pub pitr_command: Option<String>,
    /// The replay of a point-in-time restore and the state it left.
    pub pitr: Option<PitrReport>,
}

/// Schemas the server itself owns: never a restore's target.
const SYSTEM_SCHEMAS: [&str; 4] = ["mysql", "sys", "performance_schema", "information_schema"];

/// Refuses a system schema always, and the database the connection uses unless the
/// operator confirmed replacing the live database by name.
fn refuse_target(server: &MysqlServer, into: &str, options: &RestoreOptions) -> Result<()> {
    if SYSTEM_SCHEMAS.iter().any(|s| s.eq_ignore_ascii_case(into)) {
        return Err(Error::Refused(format!(
            "`{into}` is a system schema of the server: a restore never writes there"
        )));
    }
    let live = server.target.database.as_deref();
    if live.is_some_and(|live| live.eq_ignore_ascii_case(into)) && !options.replace_live_database {
        return Err(Error::Refused(format!(
            "`{into}` is the live database this profile works on: restore into another name and compare, or confirm replacing the live database (--replace-live-database; in the window, type its name)"
        )));
    }
    Ok(())
}

const STATEMENT_TIMEOUT: Duration = Duration::from_secs(300);

pub async fn restore(
    server: &MysqlServer,
    actor: Actor,
    backup: &Path,
    options: &RestoreOptions,
    progress: &(dyn Fn(BackupProgress) + Send + Sync),
    cancel: &CancellationToken,
) -> Result<RestoreReport> {
    actor.require(Permission::Restore)?;
    let clock = Instant::now();
    let into = options.into.trim();
    if into.is_empty()
        || into.len() > 64
        || !into.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return Err(Error::InvalidInput(format!(
            "`{into}` is not a database name the restore accepts: letters, digits and _ only, at most 64"
        )));
    }
    refuse_target(server, into, options)?;
    let m = manifest::read(backup)?;
    if let Err(refusal) = admit::check_manifest(&m) {
        return Err(refused(server, backup, into, refusal).await);
    }
    // A point-in-time restore needs its binlogs on the server before anything is created.
    let window = match &options.until {
        Some(until) => {
            if options.replace || options.replace_live_database {
                return Err(Error::Refused(
                    "a point-in-time restore always creates a new database: name one that does not exist".into(),
                ));
            }
            let window = pitr::window(server, &m).await?;
            pitr::check_until(until, &window)?;
            Some(window)
        }
        None => None,
    };
    let tables_total = m.tables.len();
    let rows_total = m.rows();
    let bytes_total = m.bytes();
    let report = |phase: Phase, tables_done: usize, rows: u64, bytes: u64| {
        progress(BackupProgress::new(
            phase,
            (tables_done, tables_total),
            (rows, rows_total),
            (bytes, bytes_total),
            m.compressed_bytes(),
            clock.elapsed(),
        ))
    };
    report(Phase::Checking, 0, 0, 0);
    match admit_files(backup, &m, cancel).await {
        Ok(()) => {}
        Err(Refused::Statement(refusal)) => {
            return Err(refused(server, backup, into, refusal).await);
        }
        Err(Refused::Other(e)) => return Err(e),
    }

    let existing: Option<(String,)> =
        sqlx::query_as("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?")
            .bind(into)
            .fetch_optional(&server.pool)
            .await
            .map_err(|e| server.err(e))?;
    if existing.is_some() {
        let (tables,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?")
                .bind(into)
                .fetch_one(&server.pool)
                .await
                .map_err(|e| server.err(e))?;
        if tables > 0 && !options.replace {
            return Err(Error::Refused(format!(
                "database `{into}` exists and has {tables} table(s): restore into a new name, or confirm replacing it (--replace drops it first)"
            )));
        }
    }
    let db = quote_ident(into);
    // A database that did not exist is the restore's own: it is created and loaded without
    // the binlog, so replicas neither replay the whole load nor get an empty shell of it. One
    // that replaces an existing database is logged as before, so replicas follow the primary.
    let unlogged = existing.is_none();
    let mut admin = server.pool.acquire().await.map_err(|e| server.err(e))?;
    let admin_unlogged = unlogged
        && sqlx::raw_sql("SET SESSION sql_log_bin = 0")
            .execute(&mut *admin)
            .await
            .is_ok();
    if existing.is_some() {
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP DATABASE {db}")))
            .execute(&mut *admin)
            .await
            .map_err(|e| server.err(e))?;
    }
    let created = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "CREATE DATABASE {db} CHARACTER SET {} COLLATE {}",
        quote_ident(&m.charset),
        quote_ident(&m.collation)
    )))
    .execute(&mut *admin)
    .await
    .map_err(|e| server.err(e));
    if admin_unlogged {
        // The connection goes back to the pool: it logs again, or it is not reused.
        if sqlx::raw_sql("SET SESSION sql_log_bin = 1")
            .execute(&mut *admin)
            .await
            .is_err()
        {
            admin.detach();
        }
    } else {
        drop(admin);
    }
    created?;

    let loaded = load(
        server,
        backup,
        &m,
        (into, unlogged),
        options,
        &report,
        cancel,
    )
    .await;
    let checks = match loaded {
        Ok(checks) => checks,
        Err(e) => return Err(abandon(server, backup, into, "backup.restore_failed", e).await),
    };
    let pitr = match (&options.until, &window) {
        (Some(until), Some(window)) => {
            match pitr::replay(server, &m, into, until, window, progress, cancel).await {
                Ok(replayed) => Some(replayed),
                Err(e) => return Err(abandon(server, backup, into, "backup.pitr_failed", e).await),
            }
        }
        _ => None,
    };
    let ok = checks.iter().all(|c| c.ok);
    let seconds = clock.elapsed().as_secs_f64();
    // A connection without a default database records into the restored MindPal database.
    let restored_db;
    let audit_server = if server.target.database.is_some() {
        server
    } else {
        restored_db = server.with_database(into).await?;
        &restored_db
    };
    let mut details = serde_json::json!({
        "backup": backup.display().to_string(), "from": m.database, "into": into,
        "rows": rows_total, "verified": ok, "seconds": seconds,
    });
    if let Some(p) = &pitr {
        details["until"] = serde_json::Value::String(p.until.to_string());
        details["gtidReached"] = serde_json::json!(p.gtid_reached);
        details["binlogBytesRead"] = serde_json::json!(p.bytes_read);
    }
    audit::record(
        audit_server,
        Change {
            action: if pitr.is_some() {
                "backup.pitr"
            } else {
                "backup.restore"
            },
            resource_type: "database",
            resource_id: None,
            details,
        },
    )
    .await?;
    Ok(RestoreReport {
        backup: backup.display().to_string(),
        database: into.to_owned(),
        seconds,
        ok,
        tables: checks,
        pitr_command: if pitr.is_some() {
            None
        } else {
            super::pitr_command(&m, Some(into))
        },
        pitr,
    })
}

/// Drops the database a failed restore created (nothing half-restored stays behind looking
/// like a database), records the failure where there is a database to record in, and returns
/// the error.
async fn abandon(
    server: &MysqlServer,
    backup: &Path,
    into: &str,
    action: &'static str,
    e: Error,
) -> Error {
    let drop_it = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {}",
        quote_ident(into)
    )))
    .execute(&server.pool);
    let _ = tokio::time::timeout(Duration::from_secs(10), drop_it).await;
    if server.target.database.is_some() {
        let note = audit::record(
            server,
            Change {
                action,
                resource_type: "database",
                resource_id: None,
                details: serde_json::json!({
                    "backup": backup.display().to_string(), "into": into, "error": e.to_string(),
                }),
            },
        );
        let _ = tokio::time::timeout(Duration::from_secs(3), note).await;
    }
    e
}

/// Why the files of a backup were not admitted.
enum Refused {
    /// A statement that is not what the console writes.
    Statement(admit::Refusal),
    /// Damage, a missing file, cancel, I/O.
    Other(Error),
}

impl From<Error> for Refused {
    fn from(e: Error) -> Self {
        Refused::Other(e)
    }
}

/// Records a refused restore (where the connection has a database to record in) and returns
/// the error that names the file, place and reason.
async fn refused(
    server: &MysqlServer,
    backup: &Path,
    into: &str,
    refusal: admit::Refusal,
) -> Error {
    let error = Error::Refused(format!(
        "{}: {refusal}. Only what MindPal Admin writes is restored: nothing was restored",
        backup.display()
    ));
    if server.target.database.is_some() {
        let note = audit::record(
            server,
            Change {
                action: "backup.restore_refused",
                resource_type: "database",
                resource_id: None,
                details: serde_json::json!({
                    "backup": backup.display().to_string(), "into": into,
                    "file": refusal.file, "place": refusal.place, "reason": refusal.reason,
                }),
            },
        );
        let _ = tokio::time::timeout(Duration::from_secs(3), note).await;
    }
    error
}

/// Every data file read once before anything reaches the server: its SHA-256 against the
/// manifest, and every statement in it admitted (see `admit`) with the rows the manifest
/// says. Files are read on as many threads as there are cores.
async fn admit_files(
    backup: &Path,
    m: &Manifest,
    cancel: &CancellationToken,
) -> std::result::Result<(), Refused> {
    let files: Vec<(TableEntry, FileEntry)> = m
        .tables
        .iter()
        .flat_map(|t| t.files.iter().map(move |f| (t.clone(), f.clone())))
        .collect();
    let files = std::sync::Arc::new(files);
    let next = std::sync::Arc::new(AtomicUsize::new(0));
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .min(files.len().max(1));
    let readers = (0..threads).map(|_| {
        let (files, next, root, cancel) = (
            files.clone(),
            next.clone(),
            backup.to_path_buf(),
            cancel.clone(),
        );
        tokio::task::spawn_blocking(move || {
            while let Some((table, file)) = files.get(next.fetch_add(1, Ordering::Relaxed)) {
                admit_file(&root, table, file, &cancel)?;
            }
            Ok::<(), Refused>(())
        })
    });
    for reader in futures_util::future::join_all(readers).await {
        reader.map_err(|e| {
            Error::io("checking the backup", std::io::Error::other(e.to_string()))
        })??;
    }
    Ok(())
}

fn admit_file(
    root: &Path,
    table: &TableEntry,
    file: &FileEntry,
    cancel: &CancellationToken,
) -> std::result::Result<(), Refused> {
    let shape = DataShape::new(table, file);
    let mut rows = 0u64;
    let mut statement = None;
    let check = read_hashed_lines(root, file, &mut |number, line| {
        if cancel.is_cancelled() {
            return Err(Error::Cancelled);
        }
        if std::str::from_utf8(line).is_err() {
            return Err(Error::InvalidInput(format!(
                "{} line {number} holds bytes that are not UTF-8: nothing was restored",
                root.join(&file.path).display()
            )));
        }
        match shape.check(number, line) {
            Ok(n) => {
                rows += n;
                Ok(())
            }
            Err(refusal) => {
                statement = Some(refusal);
                Err(Error::Cancelled)
            }
        }
    });
    let problem = match check {
        Ok(FileCheck::Ok) => {
            return shape
                .check_rows(rows, file.rows)
                .map_err(Refused::Statement);
        }
        Err(e) => {
            return Err(match statement {
                Some(refusal) => Refused::Statement(refusal),
                None => Refused::Other(e),
            });
        }
        Ok(FileCheck::Missing) => "is missing".to_owned(),
        Ok(FileCheck::Mismatch { actual }) => format!(
            "is damaged (its SHA-256 is {actual}, the manifest says {})",
            file.sha256
        ),
    };
    Err(Refused::Other(Error::Damaged(format!(
        "{} {problem}: nothing was restored",
        root.join(&file.path).display()
    ))))
}

async fn open_in(server: &MysqlServer, into: &str, unlogged: bool) -> Result<MySqlConnection> {
    let options = server.target.options().database(into);
    let mut conn = crate::mysql::bounded(&server.info.address, Duration::from_secs(10), async {
        MySqlConnection::connect_with(&options)
            .await
            .map_err(|e| server.err(e))
    })
    .await?;
    // The dump's literals: backslash escapes, UTC times, explicit zeros in AUTO_INCREMENT columns.
    sqlx::raw_sql(
        "SET SESSION foreign_key_checks = 0, unique_checks = 0, sql_mode = 'NO_AUTO_VALUE_ON_ZERO', time_zone = '+00:00'",
    )
    .execute(&mut conn)
    .await
    .map_err(|e| server.err(e))?;
    // The restore's own new database is loaded without the binlog (an account without
    // BINLOG ADMIN keeps logging, and the load still works). These connections are not pooled.
    if unlogged {
        let _ = sqlx::raw_sql("SET SESSION sql_log_bin = 0")
            .execute(&mut conn)
            .await;
    }
    Ok(conn)
}

/// An admitted schema statement, sent as a prepared statement: the server itself then
/// refuses anything but exactly one statement.
fn prepared(sql: &str) -> sqlx::query::Query<'static, sqlx::MySql, sqlx::mysql::MySqlArguments> {
    sqlx::query(sqlx::AssertSqlSafe(sql.to_owned())).persistent(false)
}

/// `CREATE TABLE` without the secondary keys a sorted build can add after the load, and the
/// `ALTER TABLE` adding them back; `None` when there is nothing to defer. Foreign keys stay in
/// the `CREATE` (InnoDB cannot add some by ALTER, e.g. on a generated column's base), with the
/// keys that start with their columns.
fn split_create(create_sql: &str, table: &str) -> Option<(String, String)> {
    let lines: Vec<&str> = create_sql.lines().collect();
    if !lines
        .iter()
        .any(|l| l.trim_start().starts_with("PRIMARY KEY "))
    {
        return None;
    }
    let first_column = |l: &str| -> Option<String> {
        let open = l.find('(')?;
        let rest = &l[open + 1..];
        let end = rest.find([',', ')'])?;
        Some(rest[..end].trim().to_owned())
    };
    let foreign: Vec<String> = lines
        .iter()
        .filter(|l| l.contains(" FOREIGN KEY ("))
        .filter_map(|l| first_column(&l[l.find(" FOREIGN KEY (")? + 12..]))
        .collect();
    let deferrable = |l: &str| {
        let t = l.trim_start();
        (t.starts_with("KEY ")
            || t.starts_with("UNIQUE KEY ")
            || t.starts_with("FULLTEXT KEY ")
            || t.starts_with("SPATIAL KEY "))
            && first_column(t).is_some_and(|c| !foreign.contains(&c))
    };
    let secondary: Vec<String> = lines
        .iter()
        .filter(|l| deferrable(l))
        .map(|l| l.trim().trim_end_matches(',').to_owned())
        .collect();
    if secondary.is_empty() {
        return None;
    }
    let mut kept: Vec<String> = lines
        .iter()
        .filter(|l| !deferrable(l))
        .map(|l| l.to_string())
        .collect();
    // The last definition before the closing `) ENGINE=…` line has no comma.
    let close = kept.iter().rposition(|l| l.starts_with(')'))?;
    if close == 0 {
        return None;
    }
    let last = &mut kept[close - 1];
    if last.ends_with(',') {
        last.pop();
    }
    let alter = format!(
        "ALTER TABLE {} {}",
        quote_ident(table),
        secondary
            .iter()
            .map(|d| format!("ADD {d}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    Some((kept.join("\n"), alter))
}

async fn load(
    server: &MysqlServer,
    backup: &Path,
    m: &Manifest,
    (into, unlogged): (&str, bool),
    options: &RestoreOptions,
    report: &(dyn Fn(Phase, usize, u64, u64) + Sync),
    cancel: &CancellationToken,
) -> Result<Vec<TableCheck>> {
    let jobs = options.jobs.clamp(1, 16);
    let mut conns = Vec::with_capacity(jobs);
    for _ in 0..jobs {
        conns.push(open_in(server, into, unlogged).await?);
    }
    let mut deferred: Vec<Option<String>> = Vec::with_capacity(m.tables.len());
    {
        let conn = &mut conns[0];
        for t in &m.tables {
            // The two halves are admitted again: cutting lines out of a statement must not
            // make it mean something else.
            let split = split_create(&t.create_sql, &t.name).filter(|(create, alter)| {
                admit::check_create_table(create, &t.name).is_ok()
                    && admit::check_add_keys(alter, &t.name).is_ok()
            });
            let (create, alter) = match &split {
                Some((create, alter)) => (create.as_str(), Some(alter.clone())),
                None => (t.create_sql.as_str(), None),
            };
            match prepared(create).execute(&mut *conn).await {
                Ok(_) => deferred.push(alter),
                Err(_) if alter.is_some() => {
                    // Some table needs its keys at creation (an AUTO_INCREMENT on a secondary key).
                    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                        "DROP TABLE IF EXISTS {}",
                        quote_ident(&t.name)
                    )))
                    .execute(&mut *conn)
                    .await
                    .map_err(|e| server.err(e))?;
                    prepared(&t.create_sql)
                        .execute(&mut *conn)
                        .await
                        .map_err(|e| server.err(e))?;
                    deferred.push(None);
                }
                Err(e) => return Err(server.err(e)),
            }
        }
    }

    // Biggest files first.
    let mut files: Vec<(usize, &FileEntry)> = m
        .tables
        .iter()
        .enumerate()
        .flat_map(|(i, t)| t.files.iter().map(move |f| (i, f)))
        .collect();
    files.sort_by_key(|f| std::cmp::Reverse(f.1.compressed_bytes));
    let next = AtomicUsize::new(0);
    let rows_done = AtomicU64::new(0);
    let bytes_done = AtomicU64::new(0);
    let files_left: Vec<AtomicUsize> = m
        .tables
        .iter()
        .map(|t| AtomicUsize::new(t.files.len()))
        .collect();
    let tables_done = AtomicUsize::new(m.tables.iter().filter(|t| t.files.is_empty()).count());
    let workers = conns.iter_mut().map(|conn| {
        let (files, next, rows_done, bytes_done, files_left, tables_done) = (
            &files,
            &next,
            &rows_done,
            &bytes_done,
            &files_left,
            &tables_done,
        );
        async move {
            while let Some((table, file)) = files.get(next.fetch_add(1, Ordering::Relaxed)) {
                load_file(
                    server,
                    conn,
                    backup,
                    (&m.tables[*table], file),
                    rows_done,
                    bytes_done,
                    cancel,
                )
                .await?;
                if files_left[*table].fetch_sub(1, Ordering::AcqRel) == 1 {
                    tables_done.fetch_add(1, Ordering::Relaxed);
                }
            }
            Ok::<(), Error>(())
        }
    });
    {
        let all = futures_util::future::try_join_all(workers);
        tokio::pin!(all);
        let mut tick = tokio::time::interval(Duration::from_millis(250));
        let tick_report = || {
            report(
                Phase::Loading,
                tables_done.load(Ordering::Relaxed),
                rows_done.load(Ordering::Relaxed),
                bytes_done.load(Ordering::Relaxed),
            )
        };
        loop {
            tokio::select! {
                r = &mut all => { r?; break; }
                _ = tick.tick() => tick_report(),
            }
        }
    }
    let rows = rows_done.load(Ordering::Relaxed);
    let bytes = bytes_done.load(Ordering::Relaxed);
    report(Phase::Indexing, m.tables.len(), rows, bytes);

    // Secondary keys in one sorted pass per table, tables in parallel.
    let alters: Vec<&String> = deferred.iter().flatten().collect();
    let next = AtomicUsize::new(0);
    let builders = conns.iter_mut().map(|conn| {
        let (alters, next) = (&alters, &next);
        async move {
            while let Some(alter) = alters.get(next.fetch_add(1, Ordering::Relaxed)) {
                tokio::select! {
                    _ = cancel.cancelled() => return Err(Error::Cancelled),
                    r = prepared(alter).execute(&mut *conn) => {
                        r.map_err(|e| server.err(e))?;
                    }
                }
            }
            Ok::<(), Error>(())
        }
    });
    futures_util::future::try_join_all(builders).await?;
    for v in &m.views {
        prepared(&v.create_sql)
            .execute(&mut conns[0])
            .await
            .map_err(|e| server.err(e))?;
    }

    report(Phase::Verifying, m.tables.len(), rows, bytes);
    let next = AtomicUsize::new(0);
    let checks = std::sync::Mutex::new(Vec::new());
    let verifiers = conns.iter_mut().map(|conn| {
        let (next, checks) = (&next, &checks);
        async move {
            while let Some(t) = m.tables.get(next.fetch_add(1, Ordering::Relaxed)) {
                let check = tokio::select! {
                    _ = cancel.cancelled() => return Err(Error::Cancelled),
                    c = check_table(server, conn, t) => c?,
                };
                checks.lock().expect("checks").push(check);
            }
            Ok::<(), Error>(())
        }
    });
    futures_util::future::try_join_all(verifiers).await?;
    for c in conns {
        let _ = c.close().await;
    }
    let mut checks = checks.into_inner().expect("checks");
    let order = |name: &str| m.tables.iter().position(|t| t.name == name);
    checks.sort_by_key(|c| order(&c.table));
    Ok(checks)
}

async fn load_file(
    server: &MysqlServer,
    conn: &mut MySqlConnection,
    backup: &Path,
    (table, file): (&TableEntry, &FileEntry),
    rows_done: &AtomicU64,
    bytes_done: &AtomicU64,
    cancel: &CancellationToken,
) -> Result<()> {
    let (sender, mut statements) = tokio::sync::mpsc::channel::<String>(4);
    let root = backup.to_path_buf();
    let entry = file.clone();
    let shape = DataShape::new(table, file);
    // Checked again as it is sent: what runs is what was admitted, even if the file changed
    // since it was read.
    let reader = tokio::task::spawn_blocking(move || {
        let mut refusal = None;
        read_statements(
            &root,
            &entry,
            &mut |number, s| match shape.check(number, s.as_bytes()) {
                Ok(_) => sender.blocking_send(s).is_ok(),
                Err(r) => {
                    refusal = Some(r);
                    false
                }
            },
        )?;
        match refusal {
            Some(r) => Err(Error::Refused(format!(
                "{r}: the file changed during the restore, which was stopped"
            ))),
            None => Ok(()),
        }
    });
    let mut rows_credited = 0u64;
    let mut bytes_read = 0u64;
    // One transaction per file: one commit (and log flush) where there were hundreds.
    sqlx::raw_sql("BEGIN")
        .execute(&mut *conn)
        .await
        .map_err(|e| server.err(e))?;
    while let Some(statement) = statements.recv().await {
        let len = statement.len() as u64 + 1;
        bytes_read += len;
        tokio::select! {
            _ = cancel.cancelled() => return Err(Error::Cancelled),
            r = tokio::time::timeout(STATEMENT_TIMEOUT, sqlx::raw_sql(sqlx::AssertSqlSafe(statement)).execute(&mut *conn)) => {
                match r {
                    Ok(r) => { r.map_err(|e| server.err(e))?; }
                    Err(_) => return Err(Error::Timeout { server: server.info.address.clone(), seconds: STATEMENT_TIMEOUT.as_secs() }),
                }
            }
        }
        // Rows are credited by the share of the file's bytes loaded.
        let credit = (file.rows as u128 * bytes_read as u128 / file.bytes.max(1) as u128) as u64;
        rows_done.fetch_add(credit.saturating_sub(rows_credited), Ordering::Relaxed);
        rows_credited = credit.max(rows_credited);
        bytes_done.fetch_add(len, Ordering::Relaxed);
    }
    reader
        .await
        .map_err(|e| Error::io("reading the backup", std::io::Error::other(e.to_string())))??;
    sqlx::raw_sql("COMMIT")
        .execute(&mut *conn)
        .await
        .map_err(|e| server.err(e))?;
    rows_done.fetch_add(file.rows.saturating_sub(rows_credited), Ordering::Relaxed);
    Ok(())
}

/// Row count and (where the manifest has one) `CHECKSUM TABLE` against the snapshot's.
async fn check_table(
    server: &MysqlServer,
    conn: &mut MySqlConnection,
    t: &TableEntry,
) -> Result<TableCheck> {
    let name = quote_ident(&t.name);
    let row = sqlx::raw_sql(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {name}")))
        .fetch_one(&mut *conn)
        .await
        .map_err(|e| server.err(e))?;
    let rows_found: u64 = cell_text(&row, 0).and_then(|s| s.parse().ok()).unwrap_or(0);
    let checksum_found = match t.server_checksum {
        Some(_) => {
            let row = sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CHECKSUM TABLE {name}")))
                .fetch_one(&mut *conn)
                .await
                .map_err(|e| server.err(e))?;
            cell_text(&row, 1).and_then(|s| s.parse().ok())
        }
        None => None,
    };
    Ok(TableCheck {
        table: t.name.clone(),
        rows_expected: t.rows,
        rows_found,
        checksum_expected: t.server_checksum,
        checksum_found,
        ok: rows_found == t.rows && checksum_found == t.server_checksum,
    })
}

#[cfg(test)]
mod tests {
    use super::split_create;

    #[test]
    fn secondary_keys_are_added_after_the_load_foreign_keys_stay() {
        let create = "CREATE TABLE `c` (\n  `id` bigint(20) NOT NULL AUTO_INCREMENT,\n  `user_id` bigint(20) NOT NULL,\n  `phone` varchar(20) DEFAULT NULL,\n  PRIMARY KEY (`id`),\n  UNIQUE KEY `phone` (`phone`),\n  KEY `idx_user` (`user_id`),\n  CONSTRAINT `fk_c_user` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`)\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='x'";
        let (table, alter) = split_create(create, "c").expect("splits");
        assert_eq!(
            table,
            "CREATE TABLE `c` (\n  `id` bigint(20) NOT NULL AUTO_INCREMENT,\n  `user_id` bigint(20) NOT NULL,\n  `phone` varchar(20) DEFAULT NULL,\n  PRIMARY KEY (`id`),\n  KEY `idx_user` (`user_id`),\n  CONSTRAINT `fk_c_user` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`)\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='x'"
        );
        assert_eq!(alter, "ALTER TABLE `c` ADD UNIQUE KEY `phone` (`phone`)");
        // Both halves pass the restore's admission again, so the split is used.
        super::admit::check_create_table(&table, "c").unwrap();
        super::admit::check_add_keys(&alter, "c").unwrap();
        assert!(super::admit::check_add_keys("ALTER TABLE `c` DROP COLUMN `phone`", "c").is_err());
        assert!(super::admit::check_add_keys("ALTER TABLE `d` ADD KEY `k` (`a`)", "c").is_err());
    }

    #[test]
    fn a_table_without_a_primary_key_is_created_whole() {
        assert!(
            split_create(
                "CREATE TABLE `t` (\n  `a` int,\n  KEY `a` (`a`)\n) ENGINE=InnoDB",
                "t"
            )
            .is_none()
        );
    }
}
