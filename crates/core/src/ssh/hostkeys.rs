//! Host keys: each hop's key checked against the user's known-hosts files and the console's
//! own, under its own `[host]:port` entry. An unknown key is learnt only when the user
//! accepted its fingerprint; a changed key is never accepted.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use russh::keys::known_hosts::{check_known_hosts_path, known_host_keys_path};
use russh::keys::{HashAlg, PublicKey};

use crate::error::{Error, Result};

/// `SHA256:…`, as `ssh` prints it.
pub fn fingerprint(key: &PublicKey) -> String {
    key.fingerprint(HashAlg::Sha256).to_string()
}

/// The console's own known-hosts file, beside the profile store.
pub fn console_file() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("MINDPAL_KNOWN_HOSTS") {
        return Some(PathBuf::from(path));
    }
    crate::app::data_path("known_hosts")
}

/// What the known-hosts files say of a key a server offered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Known,
    Unknown,
    /// The files hold another key of the same kind for this host: refused.
    Changed {
        known: String,
        file: PathBuf,
        line: usize,
    },
}

/// The files a hop's key is checked against, and the one accepted keys are written to.
#[derive(Debug, Clone)]
pub struct KnownHosts {
    /// Read only: the user's own (`~/.ssh/known_hosts`, or the config's `UserKnownHostsFile`).
    pub user_files: Vec<PathBuf>,
    /// Read and written: the console's file, or the one the profile names.
    pub own: PathBuf,
}

impl KnownHosts {
    pub fn check(&self, host: &str, port: u16, key: &PublicKey) -> Result<Verdict> {
        let mut known = false;
        for file in self.user_files.iter().chain(std::iter::once(&self.own)) {
            match check_known_hosts_path(host, port, key, file) {
                Ok(true) => known = true,
                Ok(false) => {}
                Err(russh::keys::Error::KeyChanged { line }) => {
                    let known = known_host_keys_path(host, port, file)
                        .ok()
                        .and_then(|keys| keys.into_iter().find(|(l, _)| *l == line))
                        .map(|(_, key)| fingerprint(&key))
                        .unwrap_or_else(|| "another key".into());
                    return Ok(Verdict::Changed {
                        known,
                        file: file.clone(),
                        line,
                    });
                }
                Err(e) => {
                    return Err(Error::Damaged(format!(
                        "known-hosts file {} cannot be read: {e}",
                        file.display()
                    )));
                }
            }
        }
        Ok(if known {
            Verdict::Known
        } else {
            Verdict::Unknown
        })
    }

    /// Appends `key` for `[host]:port` to the console's file (made readable by its owner only).
    pub fn learn(&self, host: &str, port: u16, key: &PublicKey) -> Result<()> {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let failed = |e: std::io::Error| {
            Error::io(
                format!("writing the known-hosts file {}", self.own.display()),
                e,
            )
        };
        if let Some(dir) = self.own.parent() {
            std::fs::create_dir_all(dir).map_err(failed)?;
        }
        let existing = std::fs::read(&self.own).unwrap_or_default();
        let name = if port == 22 {
            host.to_owned()
        } else {
            format!("[{host}]:{port}")
        };
        let key = key.to_openssh().map_err(|e| Error::Protocol {
            server: name.clone(),
            message: format!("its host key cannot be written down: {e}"),
        })?;
        let separator = if existing.is_empty() || existing.ends_with(b"\n") {
            ""
        } else {
            "\n"
        };
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(&self.own)
            .and_then(|mut file| writeln!(file, "{separator}{name} {key}"))
            .map_err(failed)
    }
}

/// Keys servers offered that nobody has accepted yet, by fingerprint, so the window can
/// accept one by the fingerprint it showed (the user accepts what they saw, nothing else).
static OFFERED: Mutex<Option<HashMap<String, Offered>>> = Mutex::new(None);

#[derive(Clone)]
struct Offered {
    host: String,
    port: u16,
    key: PublicKey,
    own: PathBuf,
}

pub(crate) fn remember_offer(host: &str, port: u16, key: &PublicKey, own: &Path) {
    OFFERED
        .lock()
        .expect("offered keys")
        .get_or_insert_with(HashMap::new)
        .insert(
            fingerprint(key),
            Offered {
                host: host.to_owned(),
                port,
                key: key.clone(),
                own: own.to_owned(),
            },
        );
}

/// Records the key a server offered with `fingerprint` as known; `[host]:port` of it is
/// returned. Fails when no server offered that key in this session.
pub fn accept_offered(fingerprint: &str) -> Result<String> {
    let offered = OFFERED
        .lock()
        .expect("offered keys")
        .as_mut()
        .and_then(|map| map.remove(fingerprint))
        .ok_or_else(|| {
            Error::NotFound(format!(
                "no server offered the host key {fingerprint} in this session: connect again"
            ))
        })?;
    let keys = KnownHosts {
        user_files: Vec::new(),
        own: offered.own.clone(),
    };
    keys.learn(&offered.host, offered.port, &offered.key)?;
    Ok(format!("[{}]:{}", offered.host, offered.port))
}
