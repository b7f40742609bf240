//! Restore: every statement of the backup admitted and every file's checksum checked first
//! (a hostile or damaged folder loads nothing), then tables created without their secondary
//! indexes, data loaded on parallel connections, indexes built in one pass per table, every
//! table verified against the manifest, and, for a point in time, the binlog replayed. A
//! restore that fails or is cancelled drops the database it created, so nothing half-restored
//! looks complete.

use std::path::Path;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use super::pitr::{self, PitrReport, Until};
use super::{BackupProgress, Phase};
use super::{admit, manifest};
use crate::access::{Actor, Permission};
use crate::audit::{self, Change};
use crate::error::{Error, Result};
use crate::mysql::{MysqlServer, quote_ident};

mod admission;
mod load;

use admission::{Refused, admit_files, refused};
use load::load;
pub(in crate::backup) use load::rows_and_checksum;

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
