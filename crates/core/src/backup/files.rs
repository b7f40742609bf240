//! The files of a backup: zstd-compressed SQL written on a blocking thread beside the dump
//! connection, hashed as written, synced before the folder gets its final name.

use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use tokio::sync::mpsc;

use super::manifest::{FileEntry, hex};
use crate::error::{Error, Result};

/// zstd level 1: on the dump's SQL it compresses as well as level 3 (1% smaller, measured on
/// a scale-1 backup) for 30% less CPU, and the backup shares two cores with the server.
pub const ZSTD_LEVEL: i32 = 1;

/// An I/O error with the path, and "no space left" spelt out.
pub fn io_error(action: &str, path: &Path, e: std::io::Error) -> Error {
    let context = if e.raw_os_error() == Some(nix::libc::ENOSPC) {
        format!(
            "no space left on the device while {action} {}",
            path.display()
        )
    } else {
        format!("{action} {}", path.display())
    };
    Error::io(context, e)
}

pub fn write_synced(path: &Path, body: &[u8]) -> Result<()> {
    let mut f = File::create(path).map_err(|e| io_error("creating", path, e))?;
    f.write_all(body)
        .and_then(|_| f.sync_all())
        .map_err(|e| io_error("writing", path, e))
}

/// Syncs a directory, so a rename or a new file in it survives a crash.
pub fn sync_dir(path: &Path) -> Result<()> {
    File::open(path)
        .and_then(|d| d.sync_all())
        .map_err(|e| io_error("syncing", path, e))
}

/// Counts and hashes what passes through to the file.
struct Hashing<W> {
    inner: W,
    hasher: Sha256,
    written: u64,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.written += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// The sending half of one data file being written; `finish` waits for it to be synced.
pub struct ChunkFile {
    sender: mpsc::Sender<Vec<u8>>,
    /// Taken when the writer is awaited early (it stopped on an error).
    writer: Option<tokio::task::JoinHandle<Result<(u64, u64, String)>>>,
    relative: String,
}

impl ChunkFile {
    /// Starts writing `root/relative` on a blocking thread.
    pub fn create(root: &Path, relative: String) -> Self {
        let path: PathBuf = root.join(&relative);
        let (sender, mut receiver) = mpsc::channel::<Vec<u8>>(4);
        let writer = tokio::task::spawn_blocking(move || {
            let file = File::create(&path).map_err(|e| io_error("creating", &path, e))?;
            let hashing = Hashing {
                inner: BufWriter::with_capacity(1 << 20, file),
                hasher: Sha256::new(),
                written: 0,
            };
            let mut encoder = zstd::stream::Encoder::new(hashing, ZSTD_LEVEL)
                .map_err(|e| io_error("compressing", &path, e))?;
            let mut raw = 0u64;
            while let Some(buf) = receiver.blocking_recv() {
                raw += buf.len() as u64;
                encoder
                    .write_all(&buf)
                    .map_err(|e| io_error("writing", &path, e))?;
            }
            let mut hashing = encoder
                .finish()
                .map_err(|e| io_error("writing", &path, e))?;
            hashing.flush().map_err(|e| io_error("writing", &path, e))?;
            let Hashing {
                inner,
                hasher,
                written,
            } = hashing;
            let file = inner
                .into_inner()
                .map_err(|e| io_error("writing", &path, e.into_error()))?;
            file.sync_all().map_err(|e| io_error("syncing", &path, e))?;
            Ok((raw, written, hex(&hasher.finalize())))
        });
        ChunkFile {
            sender,
            writer: Some(writer),
            relative,
        }
    }

    /// Hands a buffer of SQL to the writer; fails when the writer stopped (disk full…).
    pub async fn send(&mut self, buf: Vec<u8>) -> Result<()> {
        if self.sender.send(buf).await.is_err() {
            // The writer ended early: its error says why.
            let stopped = match self.writer.take() {
                Some(writer) => writer.await.ok().and_then(|r| r.err()),
                None => None,
            };
            return Err(stopped.unwrap_or_else(|| {
                Error::io(
                    "writing a backup file",
                    std::io::Error::other("the writer stopped"),
                )
            }));
        }
        Ok(())
    }

    pub async fn finish(self, rows: u64) -> Result<FileEntry> {
        let ChunkFile {
            sender,
            writer,
            relative,
        } = self;
        drop(sender);
        let writer = writer.ok_or_else(|| {
            Error::io(
                "writing a backup file",
                std::io::Error::other("the writer stopped"),
            )
        })?;
        let (bytes, compressed_bytes, sha256) = writer.await.map_err(|e| {
            Error::io(
                "writing a backup file",
                std::io::Error::other(e.to_string()),
            )
        })??;
        Ok(FileEntry {
            path: relative,
            rows,
            bytes,
            compressed_bytes,
            sha256,
        })
    }
}

/// What reading a data file back found.
pub enum FileCheck {
    Ok,
    Missing,
    /// Its SHA-256 differs from the manifest's (bit flip, truncation, edit).
    Mismatch {
        actual: String,
    },
}

/// Hashes `root/entry.path` and compares it with the manifest (blocking).
pub fn check_file(root: &Path, entry: &FileEntry) -> Result<FileCheck> {
    let path = root.join(&entry.path);
    let mut file = match File::open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(FileCheck::Missing),
        Err(e) => return Err(io_error("reading", &path, e)),
    };
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file
            .read(&mut buf)
            .map_err(|e| io_error("reading", &path, e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    let actual = hex(&hasher.finalize());
    Ok(if actual == entry.sha256 {
        FileCheck::Ok
    } else {
        FileCheck::Mismatch { actual }
    })
}

/// Hashes what is read through it: the compressed bytes, as the decoder pulls them.
struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

/// What a data file holds, read once: its SHA-256 over every byte on disk, and every line
/// decompressed, in order, handed to `each` with its number (blocking). An error from `each`
/// stops the lines; the file is still hashed to the end, so damage is told from content.
pub fn read_hashed_lines(
    root: &Path,
    entry: &FileEntry,
    each: &mut dyn FnMut(u64, &[u8]) -> Result<()>,
) -> Result<FileCheck> {
    use std::io::BufRead;
    let path = root.join(&entry.path);
    let file = match File::open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(FileCheck::Missing),
        Err(e) => return Err(io_error("reading", &path, e)),
    };
    let hashing = HashingReader {
        inner: file,
        hasher: Sha256::new(),
    };
    let mut decoder =
        zstd::stream::Decoder::new(hashing).map_err(|e| io_error("reading", &path, e))?;
    let mut lines = std::io::BufReader::with_capacity(1 << 20, &mut decoder);
    let mut line = Vec::with_capacity(1 << 20);
    let mut number = 0u64;
    let mut undecodable = false;
    let mut refused = None;
    loop {
        line.clear();
        match lines.read_until(b'\n', &mut line) {
            Ok(0) => break,
            Ok(_) => {}
            // Damage shows as a decoding error: the hash below tells it apart from an edit.
            Err(_) => {
                undecodable = true;
                break;
            }
        }
        number += 1;
        if line.last() == Some(&b'\n') {
            line.pop();
        }
        if !line.is_empty()
            && let Err(e) = each(number, &line)
        {
            refused = Some(e);
            break;
        }
    }
    drop(lines);
    // Whatever follows the last frame counts too.
    let mut rest = decoder.finish();
    std::io::copy(&mut rest, &mut std::io::sink()).map_err(|e| io_error("reading", &path, e))?;
    let actual = hex(&rest.into_inner().hasher.finalize());
    // A damaged file is reported as damaged, even when its garbage was refused first.
    Ok(if actual != entry.sha256 {
        FileCheck::Mismatch { actual }
    } else if let Some(refusal) = refused {
        return Err(refusal);
    } else if undecodable {
        return Err(Error::Damaged(format!(
            "{} matches its SHA-256 but does not decompress",
            path.display()
        )));
    } else {
        FileCheck::Ok
    })
}
