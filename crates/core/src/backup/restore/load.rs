//! The load: tables created without their secondary keys, data files sent on parallel
//! connections (each statement admitted again as it goes), keys built in one pass per table,
//! views, and every table checked against the manifest.

use std::path::Path;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use sqlx::{Connection, MySqlConnection};
use tokio_util::sync::CancellationToken;

use super::{RestoreOptions, STATEMENT_TIMEOUT, TableCheck};
use crate::backup::Phase;
use crate::backup::admit::{self, DataShape};
use crate::backup::files::{FileCheck, read_hashed_lines};
use crate::backup::manifest::{FileEntry, Manifest, TableEntry};
use crate::error::{Error, Result};
use crate::mysql::{MysqlServer, cell_text, quote_ident};

/// `ER_LOCK_DEADLOCK`: the server rolled the statement back to break a deadlock.
const DEADLOCK: u16 = 1213;
/// How often a key build chosen as a deadlock victim is run again.
const KEY_BUILD_RETRIES: u64 = 3;

async fn open_in(server: &MysqlServer, into: &str, unlogged: bool) -> Result<MySqlConnection> {
    let options = server.connect_options().database(into);
    let mut conn = crate::net::bounded(&server.info.address, Duration::from_secs(10), async {
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

pub(super) async fn load(
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

    // Biggest files first. The connection that loads a table's last file builds its keys and
    // checks it right away while the others go on loading: no core waits at a phase's end
    // (the largest table's key build alone used to leave one core idle for a third of the run).
    let mut files: Vec<(usize, &FileEntry)> = m
        .tables
        .iter()
        .enumerate()
        .flat_map(|(i, t)| t.files.iter().map(move |f| (i, f)))
        .collect();
    files.sort_by_key(|(_, f)| std::cmp::Reverse(f.compressed_bytes));
    let mut work: Vec<Work> = files.into_iter().map(|(i, f)| Work::File(i, f)).collect();
    work.extend(
        m.tables
            .iter()
            .enumerate()
            .filter(|(_, t)| t.files.is_empty())
            .map(|(i, _)| Work::Finish(i)),
    );
    let progress = Progress {
        next: AtomicUsize::new(0),
        rows: AtomicU64::new(0),
        bytes: AtomicU64::new(0),
        files_left: m
            .tables
            .iter()
            .map(|t| AtomicUsize::new(t.files.len()))
            .collect(),
        files_unloaded: AtomicUsize::new(m.tables.iter().map(|t| t.files.len()).sum()),
        tables_loaded: AtomicUsize::new(m.tables.iter().filter(|t| t.files.is_empty()).count()),
        keys_unbuilt: AtomicUsize::new(deferred.iter().flatten().count()),
        checksums: std::sync::Mutex::new(vec![None; m.tables.len()]),
    };
    let workers = conns.iter_mut().map(|conn| {
        let (work, progress, deferred) = (&work, &progress, &deferred);
        async move {
            while let Some(item) = work.get(progress.next.fetch_add(1, Ordering::Relaxed)) {
                let table = match *item {
                    Work::File(table, file) => {
                        load_file(
                            server,
                            conn,
                            backup,
                            (&m.tables[table], file),
                            &progress.rows,
                            &progress.bytes,
                            cancel,
                        )
                        .await?;
                        progress.files_unloaded.fetch_sub(1, Ordering::Relaxed);
                        if progress.files_left[table].fetch_sub(1, Ordering::AcqRel) != 1 {
                            continue;
                        }
                        progress.tables_loaded.fetch_add(1, Ordering::Relaxed);
                        table
                    }
                    Work::Finish(table) => table,
                };
                // Secondary keys in one sorted pass, then the table against the manifest.
                if let Some(alter) = &deferred[table] {
                    // Keys built side by side update InnoDB's persistent statistics at once,
                    // and the server may pick one as a deadlock victim: that ALTER changed
                    // nothing, and is run again.
                    let mut attempt = 0u64;
                    loop {
                        let built = tokio::select! {
                            _ = cancel.cancelled() => return Err(Error::Cancelled),
                            r = prepared(alter).execute(&mut *conn) => r.map_err(|e| server.err(e)),
                        };
                        match built {
                            Err(Error::Sql { code: DEADLOCK, .. })
                                if attempt < KEY_BUILD_RETRIES =>
                            {
                                attempt += 1;
                                tokio::time::sleep(Duration::from_millis(100 * attempt)).await;
                            }
                            built => {
                                built?;
                                break;
                            }
                        }
                    }
                    progress.keys_unbuilt.fetch_sub(1, Ordering::Relaxed);
                }
                // The checksum reads the clustered index, which other connections' open
                // transactions do not slow down; the rows are counted once they are all done.
                if m.tables[table].server_checksum.is_some() {
                    let name = quote_ident(&m.tables[table].name);
                    let checksum = tokio::select! {
                        _ = cancel.cancelled() => return Err(Error::Cancelled),
                        c = checksum_of(server, conn, &name) => c?,
                    };
                    progress.checksums.lock().expect("checksums")[table] = checksum;
                }
            }
            Ok::<(), Error>(())
        }
    });
    crate::backup::join_ticking(workers, || progress.report(report)).await?;
    for v in &m.views {
        prepared(&v.create_sql)
            .execute(&mut conns[0])
            .await
            .map_err(|e| server.err(e))?;
    }
    // Counted with no load transaction open: a count through a fresh secondary key that
    // other transactions might not yet see checks the clustered index row by row (seconds a
    // table, where it takes milliseconds now).
    let checksums = progress.checksums.into_inner().expect("checksums");
    let next = AtomicUsize::new(0);
    let counts = std::sync::Mutex::new(vec![0u64; m.tables.len()]);
    let counters = conns.iter_mut().map(|conn| {
        let (next, counts) = (&next, &counts);
        async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(t) = m.tables.get(i) else { break };
                let name = quote_ident(&t.name);
                let rows = tokio::select! {
                    _ = cancel.cancelled() => return Err(Error::Cancelled),
                    r = count_of(server, conn, &name) => r?,
                };
                counts.lock().expect("counts")[i] = rows;
            }
            Ok::<(), Error>(())
        }
    });
    futures_util::future::try_join_all(counters).await?;
    for c in conns {
        let _ = c.close().await;
    }
    let counts = counts.into_inner().expect("counts");
    Ok(m.tables
        .iter()
        .zip(counts.into_iter().zip(checksums))
        .map(|(t, (rows_found, checksum_found))| TableCheck {
            table: t.name.clone(),
            rows_expected: t.rows,
            rows_found,
            checksum_expected: t.server_checksum,
            checksum_found,
            ok: rows_found == t.rows && checksum_found == t.server_checksum,
        })
        .collect())
}

/// A worker's next step: load one data file of a table, or finish a table that has none.
enum Work<'m> {
    File(usize, &'m FileEntry),
    Finish(usize),
}

/// The load's counters, shared by the workers and read by the progress ticks.
struct Progress {
    next: AtomicUsize,
    rows: AtomicU64,
    bytes: AtomicU64,
    files_left: Vec<AtomicUsize>,
    files_unloaded: AtomicUsize,
    tables_loaded: AtomicUsize,
    keys_unbuilt: AtomicUsize,
    checksums: std::sync::Mutex<Vec<Option<u64>>>,
}

impl Progress {
    /// The phases overlap; the one shown is the earliest that still has work.
    fn report(&self, report: &(dyn Fn(Phase, usize, u64, u64) + Sync)) {
        let phase = if self.files_unloaded.load(Ordering::Relaxed) > 0 {
            Phase::Loading
        } else if self.keys_unbuilt.load(Ordering::Relaxed) > 0 {
            Phase::Indexing
        } else {
            Phase::Verifying
        };
        report(
            phase,
            self.tables_loaded.load(Ordering::Relaxed),
            self.rows.load(Ordering::Relaxed),
            self.bytes.load(Ordering::Relaxed),
        );
    }
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
    // Checked again as it is sent, and hashed again: what runs is what was admitted, and a
    // file changed since it was read stops the restore.
    let reader = tokio::task::spawn_blocking(move || {
        let changed = |what: String| {
            Error::Damaged(format!(
                "{what}: the file changed during the restore, which was stopped"
            ))
        };
        let check = read_hashed_lines(&root, &entry, &mut |number, line| {
            shape
                .check(number, line)
                .map_err(|r| changed(r.to_string()))?;
            let statement = String::from_utf8(line.to_vec())
                .map_err(|_| changed(format!("{} line {number}", entry.path)))?;
            sender
                .blocking_send(statement)
                .map_err(|_| Error::Cancelled)
        })?;
        match check {
            FileCheck::Ok => Ok(()),
            _ => Err(changed(entry.path.clone())),
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
                    Err(_) => return Err(Error::Timeout { server: server.info.address.clone(), waited: Some(STATEMENT_TIMEOUT) }),
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

/// `COUNT(*)` of `table` (quoted, possibly qualified).
async fn count_of(server: &MysqlServer, conn: &mut MySqlConnection, table: &str) -> Result<u64> {
    let row = sqlx::raw_sql(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
        .fetch_one(&mut *conn)
        .await
        .map_err(|e| server.err(e))?;
    Ok(cell_text(&row, 0).and_then(|s| s.parse().ok()).unwrap_or(0))
}

/// `CHECKSUM TABLE` of `table` (quoted, possibly qualified).
async fn checksum_of(
    server: &MysqlServer,
    conn: &mut MySqlConnection,
    table: &str,
) -> Result<Option<u64>> {
    let row = sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CHECKSUM TABLE {table}")))
        .fetch_one(&mut *conn)
        .await
        .map_err(|e| server.err(e))?;
    Ok(cell_text(&row, 1).and_then(|s| s.parse().ok()))
}

/// `COUNT(*)` of `table` and, when asked, its `CHECKSUM TABLE`.
pub(in crate::backup) async fn rows_and_checksum(
    server: &MysqlServer,
    conn: &mut MySqlConnection,
    table: &str,
    checksum: bool,
) -> Result<(u64, Option<u64>)> {
    let rows = count_of(server, conn, table).await?;
    if !checksum {
        return Ok((rows, None));
    }
    Ok((rows, checksum_of(server, conn, table).await?))
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
