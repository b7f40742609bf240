//! The manifest: what a backup holds and how to tell it is whole. It is written last, with a
//! sidecar holding its own SHA-256, so a manifest edited by hand is told from one the engine
//! wrote.

use std::path::Path;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// The format marker every manifest starts with; other folders are not ours.
pub const FORMAT: &str = "mindpal-admin-backup/1";
pub const MANIFEST_FILE: &str = "manifest.json";
pub const MANIFEST_SUM_FILE: &str = "manifest.sha256";
pub const SCHEMA_FILE: &str = "schema.sql";
pub const DATA_DIR: &str = "data";

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Manifest {
    pub format: String,
    /// `mindpal-admin/<version>` that wrote it.
    pub tool: String,
    pub server: String,
    pub server_version: String,
    pub database: String,
    pub charset: String,
    pub collation: String,
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub started_at: DateTime<Utc>,
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub finished_at: DateTime<Utc>,
    pub snapshot: Snapshot,
    pub compression: String,
    pub tables: Vec<TableEntry>,
    /// Views, created after the tables on restore.
    pub views: Vec<ViewEntry>,
    /// What the backup does not hold, in words (triggers, routines, non-InnoDB tables…).
    pub notes: Vec<String>,
    /// Who took it, where; absent in backups of earlier versions.
    #[serde(default)]
    pub made_by: Option<MadeBy>,
}

/// The account and machine a backup was taken from, shown before anyone restores it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct MadeBy {
    /// The operating-system account that ran the console.
    pub operator: String,
    /// The machine it ran on.
    pub host: String,
}

impl MadeBy {
    pub fn here() -> Self {
        MadeBy {
            operator: crate::audit::operator(),
            host: nix::unistd::gethostname()
                .ok()
                .and_then(|h| h.into_string().ok())
                .unwrap_or_else(|| "unknown".to_owned()),
        }
    }
}

/// The point in time the backup shows, and how it was fixed.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Snapshot {
    /// `BACKUP STAGE BLOCK_COMMIT`, `FLUSH TABLES WITH READ LOCK`, or one connection's snapshot.
    pub method: String,
    /// How long commits were blocked while the dump connections opened their snapshots.
    pub lock_held_ms: f64,
    pub connections: u32,
    pub binlog_file: Option<String>,
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub binlog_position: Option<u64>,
    /// MariaDB `gtid_binlog_pos` or MySQL `gtid_executed` at the snapshot.
    pub gtid: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct TableEntry {
    pub name: String,
    /// `SHOW CREATE TABLE` at the snapshot: COMMENTs, indexes and foreign keys included.
    pub create_sql: String,
    /// The columns the data files insert (generated columns are left to the server).
    pub columns: Vec<String>,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub rows: u64,
    /// SQL bytes before compression.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub bytes: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub compressed_bytes: u64,
    /// SHA-256 over the SHA-256s of its files, in order.
    pub checksum: String,
    /// `CHECKSUM TABLE` inside the snapshot; `None` when it was skipped (table too big).
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub server_checksum: Option<u64>,
    pub files: Vec<FileEntry>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct FileEntry {
    /// Relative to the backup folder, e.g. `data/messages.00003.sql.zst`.
    pub path: String,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub rows: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub bytes: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub compressed_bytes: u64,
    pub sha256: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ViewEntry {
    pub name: String,
    pub create_sql: String,
}

impl Manifest {
    pub fn rows(&self) -> u64 {
        self.tables.iter().map(|t| t.rows).sum()
    }
    pub fn bytes(&self) -> u64 {
        self.tables.iter().map(|t| t.bytes).sum()
    }
    pub fn compressed_bytes(&self) -> u64 {
        self.tables.iter().map(|t| t.compressed_bytes).sum()
    }
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// SHA-256 over the files' SHA-256s, in order: one checksum per table.
pub fn table_checksum(files: &[FileEntry]) -> String {
    let mut h = Sha256::new();
    for f in files {
        h.update(f.sha256.as_bytes());
        h.update(b"\n");
    }
    hex(&h.finalize())
}

/// Writes `manifest.json` and its sidecar, both synced.
pub fn write(dir: &Path, manifest: &Manifest) -> Result<()> {
    let body = serde_json::to_vec_pretty(manifest).expect("a manifest serialises");
    let sum = format!("{}  {MANIFEST_FILE}\n", hex(&Sha256::digest(&body)));
    super::files::write_synced(&dir.join(MANIFEST_FILE), &body)?;
    super::files::write_synced(&dir.join(MANIFEST_SUM_FILE), sum.as_bytes())
}

/// Reads and checks the manifest of the backup in `dir`: ours, complete, not edited.
pub fn read(dir: &Path) -> Result<Manifest> {
    let path = dir.join(MANIFEST_FILE);
    let body = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let partial = dir
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with('.') && n.ends_with(".partial"));
            return Err(Error::NotFound(if partial {
                format!(
                    "{} is an interrupted or running backup: it has no {MANIFEST_FILE} yet",
                    dir.display()
                )
            } else {
                format!(
                    "{} is not a MindPal backup: it has no {MANIFEST_FILE}",
                    dir.display()
                )
            }));
        }
        Err(e) => return Err(Error::io(format!("reading {}", path.display()), e)),
    };
    let value: serde_json::Value = serde_json::from_slice(&body).map_err(|e| {
        Error::Damaged(format!(
            "{} is not a MindPal backup manifest: {e}",
            path.display()
        ))
    })?;
    if value.get("format").and_then(|f| f.as_str()) != Some(FORMAT) {
        return Err(Error::InvalidInput(format!(
            "{} is not a MindPal backup manifest (no \"format\": \"{FORMAT}\"): a folder of another tool?",
            path.display()
        )));
    }
    let sum_path = dir.join(MANIFEST_SUM_FILE);
    let recorded = std::fs::read_to_string(&sum_path)
        .map_err(|e| Error::io(format!("reading {}", sum_path.display()), e))?;
    let recorded = recorded.split_whitespace().next().unwrap_or_default();
    let actual = hex(&Sha256::digest(&body));
    if recorded != actual {
        return Err(Error::Damaged(format!(
            "{} was changed after the backup wrote it (its SHA-256 is {actual}, {MANIFEST_SUM_FILE} says {recorded}): the backup cannot be trusted as it is",
            path.display()
        )));
    }
    serde_json::from_value(value).map_err(|e| {
        Error::Damaged(format!(
            "{} does not read as a manifest of this version: {e}",
            path.display()
        ))
    })
}
