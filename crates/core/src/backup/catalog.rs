//! The backups in a folder: what each holds, whether it is whole, retention, and the
//! point-in-time recovery command from its binlog position.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::files::{FileCheck, check_file};
use super::manifest::{self, MANIFEST_FILE, Manifest};
use crate::access::{Actor, Permission};
use crate::audit::{self, Change};
use crate::error::{Error, Result};
use crate::mysql::MysqlServer;

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum BackupState {
    /// Renamed into place with a manifest that reads back unchanged.
    Complete,
    /// A `.…partial` folder: a backup running now, or one that was interrupted.
    Partial,
    /// Has a manifest that does not check out.
    Damaged,
}

/// One backup of a folder, as the catalog lists it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct BackupEntry {
    pub name: String,
    pub path: String,
    pub state: BackupState,
    /// Why a damaged backup is not trusted.
    pub problem: Option<String>,
    pub database: Option<String>,
    pub server: Option<String>,
    /// The program that wrote it, e.g. `mindpal-admin/0.1.0`.
    pub tool: Option<String>,
    /// Who took it and on which machine, when the backup records it.
    pub made_by: Option<manifest::MadeBy>,
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub finished_at: Option<DateTime<Utc>>,
    pub tables: u32,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub rows: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub bytes: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub compressed_bytes: u64,
    pub seconds: Option<f64>,
    pub binlog_file: Option<String>,
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub binlog_position: Option<u64>,
    pub gtid: Option<String>,
    /// What a person runs to roll this backup forward with the binlog.
    pub pitr_command: Option<String>,
}

/// The backups under `dir`, newest first; folders of other tools are left out.
pub fn list(dir: &Path) -> Result<Vec<BackupEntry>> {
    let read = std::fs::read_dir(dir).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => Error::NotFound(format!(
            "the backup folder {} does not exist",
            dir.display()
        )),
        _ => super::files::io_error("listing", dir, e),
    })?;
    let mut entries = Vec::new();
    for item in read.flatten() {
        let path = item.path();
        if !path.is_dir() {
            continue;
        }
        let name = item.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') && name.ends_with(".partial") {
            entries.push(empty_entry(&name, &path, BackupState::Partial, None));
            continue;
        }
        if !path.join(MANIFEST_FILE).exists() {
            continue;
        }
        match manifest::read(&path) {
            Ok(m) => entries.push(entry_of(&name, &path, &m)),
            Err(e) => entries.push(empty_entry(
                &name,
                &path,
                BackupState::Damaged,
                Some(e.to_string()),
            )),
        }
    }
    entries.sort_by(|a, b| b.finished_at.cmp(&a.finished_at).then(b.name.cmp(&a.name)));
    Ok(entries)
}

fn empty_entry(
    name: &str,
    path: &Path,
    state: BackupState,
    problem: Option<String>,
) -> BackupEntry {
    BackupEntry {
        name: name.to_owned(),
        path: path.display().to_string(),
        state,
        problem,
        database: None,
        server: None,
        tool: None,
        made_by: None,
        finished_at: None,
        tables: 0,
        rows: 0,
        bytes: 0,
        compressed_bytes: 0,
        seconds: None,
        binlog_file: None,
        binlog_position: None,
        gtid: None,
        pitr_command: None,
    }
}

fn entry_of(name: &str, path: &Path, m: &Manifest) -> BackupEntry {
    BackupEntry {
        name: name.to_owned(),
        path: path.display().to_string(),
        state: BackupState::Complete,
        problem: None,
        database: Some(m.database.clone()),
        server: Some(m.server.clone()),
        tool: Some(m.tool.clone()),
        made_by: m.made_by.clone(),
        finished_at: Some(m.finished_at),
        tables: m.tables.len() as u32,
        rows: m.rows(),
        bytes: m.bytes(),
        compressed_bytes: m.compressed_bytes(),
        seconds: Some((m.finished_at - m.started_at).as_seconds_f64()),
        binlog_file: m.snapshot.binlog_file.clone(),
        binlog_position: m.snapshot.binlog_position,
        gtid: m.snapshot.gtid.clone(),
        pitr_command: pitr_command(m, None),
    }
}

/// `mysqlbinlog … | mysql …` replaying the binlog from the backup's position (through every
/// later log; add `--stop-datetime` or `--stop-position` to stop before a mistake), into the
/// backed-up database or, after a restore elsewhere, into `restored_into`.
pub fn pitr_command(m: &Manifest, restored_into: Option<&str>) -> Option<String> {
    let file = m.snapshot.binlog_file.as_deref()?;
    let position = m.snapshot.binlog_position?;
    let (host, port) = match m.server.rsplit_once(':') {
        Some((h, p)) if p.parse::<u16>().is_ok() => (h.to_owned(), p.to_owned()),
        _ => ("127.0.0.1".to_owned(), "3306".to_owned()),
    };
    let rewrite = match restored_into {
        Some(db) if db != m.database => format!(" --rewrite-db='{}->{db}'", m.database),
        _ => String::new(),
    };
    let into = restored_into.unwrap_or(&m.database);
    Some(format!(
        "mysqlbinlog --read-from-remote-server --host={host} --port={port} --user=USER -p \
         --database={db} --start-position={position} --to-last-log{rewrite} \
         --stop-datetime='YYYY-MM-DD HH:MM:SS' {file} | mysql --host={host} --port={port} --user=USER -p {into}",
        db = m.database,
    ))
}

/// What reading a backup back found, table by table.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct VerifyReport {
    pub path: String,
    pub ok: bool,
    pub tables: Vec<TableVerify>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct TableVerify {
    pub table: String,
    pub files: u32,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub rows: u64,
    pub ok: bool,
    /// Each file that is missing or whose SHA-256 differs from the manifest's.
    pub problems: Vec<String>,
}

/// Checks the manifest and the SHA-256 of every file against it (nothing is loaded).
pub fn verify(path: &Path) -> Result<VerifyReport> {
    let m = manifest::read(path)?;
    let mut tables = Vec::with_capacity(m.tables.len());
    for t in &m.tables {
        let mut problems = Vec::new();
        for f in &t.files {
            match check_file(path, f)? {
                FileCheck::Ok => {}
                FileCheck::Missing => problems.push(format!("{} is missing", f.path)),
                FileCheck::Mismatch { actual } => problems.push(format!(
                    "{} is damaged: its SHA-256 is {actual}, the manifest says {}",
                    f.path, f.sha256
                )),
            }
        }
        if manifest::table_checksum(&t.files) != t.checksum {
            problems.push("the table's checksum does not match its files' list".into());
        }
        tables.push(TableVerify {
            table: t.name.clone(),
            files: t.files.len() as u32,
            rows: t.rows,
            ok: problems.is_empty(),
            problems,
        });
    }
    Ok(VerifyReport {
        path: path.display().to_string(),
        ok: tables.iter().all(|t| t.ok),
        tables,
    })
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct PruneReport {
    pub keep_days: u32,
    pub dry_run: bool,
    pub kept: Vec<String>,
    pub removed: Vec<String>,
}

/// What a prune would remove: complete backups finished more than `keep_days` ago (the
/// newest complete one is always kept) and partial folders left for over a day by interrupted
/// runs. Damaged backups and folders of other tools are never touched. Nothing is removed.
pub fn prune_plan(dir: &Path, keep_days: u32, now: DateTime<Utc>) -> Result<PruneReport> {
    let entries = list(dir)?;
    let cutoff = now - chrono::Duration::days(keep_days as i64);
    let newest_complete = entries
        .iter()
        .find(|e| matches!(e.state, BackupState::Complete))
        .map(|e| e.name.clone());
    let mut kept = Vec::new();
    let mut removed = Vec::new();
    for e in entries {
        let old = match e.state {
            BackupState::Complete => {
                Some(&e.name) != newest_complete.as_ref()
                    && e.finished_at.is_some_and(|t| t < cutoff)
            }
            BackupState::Partial => {
                modified_before(Path::new(&e.path), now - chrono::Duration::days(1))
            }
            BackupState::Damaged => false,
        };
        if old {
            removed.push(e.name);
        } else {
            kept.push(e.name);
        }
    }
    Ok(PruneReport {
        keep_days,
        dry_run: true,
        kept,
        removed,
    })
}

/// Removes what `prune_plan` finds, after recording the removal in `operation_logs` (a prune
/// that cannot be recorded removes nothing). `dry_run` only plans.
pub async fn prune(
    server: &MysqlServer,
    actor: Actor,
    dir: &Path,
    keep_days: u32,
    now: DateTime<Utc>,
    dry_run: bool,
) -> Result<PruneReport> {
    let plan = {
        let dir = dir.to_path_buf();
        tokio::task::spawn_blocking(move || prune_plan(&dir, keep_days, now))
            .await
            .map_err(|e| Error::io("listing backups", std::io::Error::other(e.to_string())))??
    };
    if dry_run || plan.removed.is_empty() {
        return Ok(plan);
    }
    actor.require(Permission::Backup)?;
    audit::record(
        server,
        Change {
            action: "backup.prune",
            resource_type: "backup_folder",
            resource_id: None,
            details: serde_json::json!({
                "folder": dir.display().to_string(), "keepDays": keep_days, "removed": plan.removed,
            }),
        },
    )
    .await?;
    let folder = dir.to_path_buf();
    let names = plan.removed.clone();
    tokio::task::spawn_blocking(move || {
        for name in &names {
            let path = folder.join(name);
            std::fs::remove_dir_all(&path)
                .map_err(|err| super::files::io_error("removing", &path, err))?;
        }
        Ok::<(), Error>(())
    })
    .await
    .map_err(|e| Error::io("removing backups", std::io::Error::other(e.to_string())))??;
    Ok(PruneReport {
        dry_run: false,
        ..plan
    })
}

fn modified_before(path: &Path, when: DateTime<Utc>) -> bool {
    std::fs::metadata(path)
        .and_then(|m| m.modified())
        .map(|t| DateTime::<Utc>::from(t) < when)
        .unwrap_or(false)
}

/// The backup folder a path names: the folder itself, or the folder of a `manifest.json`.
pub fn backup_dir(path: &Path) -> PathBuf {
    if path.file_name().is_some_and(|n| n == MANIFEST_FILE) {
        path.parent().map(Path::to_path_buf).unwrap_or_default()
    } else {
        path.to_path_buf()
    }
}
