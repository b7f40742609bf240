//! The app's log folder and its file, rotated by size while the app runs: a few files of a few
//! MB, enough to send when something goes wrong, never a disk filled. No line holds a password:
//! the console's errors name servers and reasons, never credentials, and statement logging
//! (which would carry a sandbox's `CHANGE MASTER … PASSWORD`) is off in the filters below.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The current file; older ones are `mindpal-admin.log.1` (newest) … `.N`.
pub const LOG_FILE: &str = "mindpal-admin.log";
/// A file is rotated when a write would take it past this.
pub const MAX_BYTES: u64 = 2 * 1024 * 1024;
/// Rotated files kept besides the current one.
pub const KEEP: u32 = 3;
/// What is logged: the console's own events and warnings of the libraries, never a statement.
pub const FILTER: &str = "info,sqlx=off,russh=warn,hyper=warn,tao=warn,wry=warn";

/// `<data dir>/com.mindpal.admin/logs`, where Tauri puts an app's logs on Linux.
pub fn default_dir() -> Result<PathBuf> {
    crate::app::data_path("logs")
        .ok_or_else(|| Error::NotFound("no user data directory (is HOME set?)".into()))
}

/// A log file that rotates itself by size.
pub struct RotatingFile {
    dir: PathBuf,
    file: File,
    written: u64,
    max_bytes: u64,
    keep: u32,
}

impl RotatingFile {
    /// Opens (appends to) `dir/mindpal-admin.log`, making the folder (private to the user).
    pub fn open(dir: &Path) -> Result<RotatingFile> {
        Self::with_limits(dir, MAX_BYTES, KEEP)
    }

    pub fn with_limits(dir: &Path, max_bytes: u64, keep: u32) -> Result<RotatingFile> {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;
        let (file, written) = open_current(dir)
            .map_err(|e| Error::io(format!("opening the log in {}", dir.display()), e))?;
        Ok(RotatingFile {
            dir: dir.to_owned(),
            file,
            written,
            max_bytes,
            keep,
        })
    }

    fn rotate(&mut self) -> io::Result<()> {
        self.file.flush()?;
        let name = |n: u32| self.dir.join(format!("{LOG_FILE}.{n}"));
        let _ = std::fs::remove_file(name(self.keep));
        for n in (1..self.keep).rev() {
            let _ = std::fs::rename(name(n), name(n + 1));
        }
        std::fs::rename(self.dir.join(LOG_FILE), name(1))?;
        let (file, written) = open_current(&self.dir)?;
        self.file = file;
        self.written = written;
        Ok(())
    }
}

fn open_current(dir: &Path) -> io::Result<(File, u64)> {
    use std::os::unix::fs::OpenOptionsExt;
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(dir.join(LOG_FILE))?;
    let written = file.metadata()?.len();
    Ok((file, written))
}

impl Write for RotatingFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.written > 0 && self.written + buf.len() as u64 > self.max_bytes {
            self.rotate()?;
        }
        let n = self.file.write(buf)?;
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

/// The last `n` lines of the current log file (empty when there is none).
pub fn last_lines(dir: &Path, n: usize) -> Vec<String> {
    let Ok(text) = std::fs::read_to_string(dir.join(LOG_FILE)) else {
        return Vec::new();
    };
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..]
        .iter()
        .map(|l| (*l).to_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_rotates_by_size_and_keeps_a_few_files() {
        let dir = tempfile::tempdir().unwrap();
        let mut log = RotatingFile::with_limits(dir.path(), 1_000, 2).unwrap();
        let line = [b'x'; 99];
        for i in 0..50 {
            log.write_all(&line).unwrap();
            log.write_all(format!("{i}\n").as_bytes()).unwrap();
        }
        log.flush().unwrap();
        let mut names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(
            names,
            [LOG_FILE, "mindpal-admin.log.1", "mindpal-admin.log.2"]
        );
        for name in &names {
            let size = std::fs::metadata(dir.path().join(name)).unwrap().len();
            assert!(size <= 1_000, "{name} is {size} bytes");
        }
        assert_eq!(
            last_lines(dir.path(), 1)[0],
            format!("{}49", "x".repeat(99))
        );
    }
}
