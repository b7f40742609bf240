//! Admission of a backup's data files: every file read once before anything reaches the
//! server, its SHA-256 against the manifest and every statement admitted (see `admit`).

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::audit::{self, Change};
use crate::backup::admit::{self, DataShape};
use crate::backup::files::{FileCheck, read_hashed_lines};
use crate::backup::manifest::{FileEntry, Manifest, TableEntry};
use crate::error::Error;
use crate::mysql::MysqlServer;

/// Why the files of a backup were not admitted.
pub(super) enum Refused {
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
pub(super) async fn refused(
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
pub(super) async fn admit_files(
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
            return Err(Error::Damaged(format!(
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
