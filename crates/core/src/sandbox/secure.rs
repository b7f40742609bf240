//! The secure sandbox (`sandbox up --secure`): a generated password on every account, TLS
//! required by MariaDB and Redis with certificates of the sandbox's own CA.
//!
//! The passwords live in the OS keyring under the `sandbox` profile, as any profile's do.
//! What reaches the servers: MariaDB stores only the password's hash (sent as a hash, so
//! no statement or server log holds it); Redis takes its password on standard input, never
//! from a file or its command line. The exceptions are the servers' own replication
//! state: the replica's `master.info` and Sentinel's `sentinel.conf` (mode 0600) keep the
//! password they follow their master with, as they must to survive a restart.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::backup::manifest::hex;
use crate::error::{Error, Result};
use crate::profiles::secrets::{self, Slot};
use crate::secret::Secret;

use super::PROFILE_NAME;

/// The passwords of a secure sandbox.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// MariaDB's `root` on the primary and the replica.
    pub mysql: Secret,
    /// Redis master and replica (`requirepass`, and `masterauth` for the replica).
    pub redis: Secret,
}

/// 24 random bytes as 48 hex digits: long, and nothing any config or SQL needs escaped.
pub fn generate_password() -> Result<Secret> {
    use std::io::Read;
    let mut bytes = [0u8; 24];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .map_err(|e| Error::io("reading /dev/urandom", e))?;
    Ok(Secret::new(hex(&bytes)))
}

impl Credentials {
    pub fn generate() -> Result<Self> {
        Ok(Credentials {
            mysql: generate_password()?,
            redis: generate_password()?,
        })
    }

    /// The sandbox profile's passwords from the keyring, when both are there.
    pub fn from_keyring() -> Result<Option<Self>> {
        let mysql = secrets::load(PROFILE_NAME, Slot::Mysql)?;
        let redis = secrets::load(PROFILE_NAME, Slot::Redis)?;
        Ok(mysql
            .zip(redis)
            .map(|(mysql, redis)| Credentials { mysql, redis }))
    }

    /// The keyring's passwords for the sandbox profile, else new ones saved there first, so a
    /// sandbox never runs with passwords nobody kept. Every secure sandbox of this user shares
    /// them, as they share the one `sandbox` profile.
    pub fn from_keyring_or_new() -> Result<Self> {
        secrets::probe()?;
        if let Some(kept) = Self::from_keyring()? {
            return Ok(kept);
        }
        let fresh = Self::generate()?;
        secrets::save(PROFILE_NAME, Slot::Mysql, &fresh.mysql)?;
        secrets::save(PROFILE_NAME, Slot::Redis, &fresh.redis)?;
        Ok(fresh)
    }
}

/// MariaDB's `mysql_native_password` hash of `password`: `*` and the upper-case hex of
/// SHA1(SHA1(password)), the form `IDENTIFIED BY PASSWORD '…'` takes.
pub fn native_password_hash(password: &Secret) -> String {
    use ring::digest::{SHA1_FOR_LEGACY_USE_ONLY, digest};
    let once = digest(&SHA1_FOR_LEGACY_USE_ONLY, password.expose().as_bytes());
    let twice = digest(&SHA1_FOR_LEGACY_USE_ONLY, once.as_ref());
    format!("*{}", hex(twice.as_ref()).to_uppercase())
}

/// The certificates of a secure sandbox, in `<sandbox>/tls`.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    pub ca: PathBuf,
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl TlsFiles {
    /// `<sandbox>/tls`, absolute: the profile and the servers' configs name files in it.
    pub fn folder(sandbox: &Path) -> Result<PathBuf> {
        std::path::absolute(sandbox.join("tls"))
            .map_err(|e| Error::io(format!("resolving {}", sandbox.display()), e))
    }
}

fn openssl(dir: &Path, args: &[&str]) -> Result<()> {
    let output = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => Error::MissingProgram {
                program: "openssl",
                package: "openssl",
            },
            _ => Error::io("running openssl", e),
        })?;
    if !output.status.success() {
        return Err(Error::Sandbox(format!(
            "openssl {} failed: {}",
            args.first().copied().unwrap_or_default(),
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    Ok(())
}

/// Makes a CA (`ca.pem`) and a server certificate it signed for `localhost` and `127.0.0.1`
/// in `dir`, unless they are there. The keys are readable by this user only.
pub fn certificates(dir: &Path) -> Result<TlsFiles> {
    certificates_for(dir, "DNS:localhost,IP:127.0.0.1")
}

/// [`certificates`] for the names `subject_alt_names` gives (`DNS:localhost,IP:10.0.0.5`).
pub fn certificates_for(dir: &Path, subject_alt_names: &str) -> Result<TlsFiles> {
    let files = TlsFiles {
        ca: dir.join("ca.pem"),
        cert: dir.join("server.pem"),
        key: dir.join("server-key.pem"),
    };
    if files.ca.exists() && files.cert.exists() && files.key.exists() {
        return Ok(files);
    }
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
    ];
    let days = ["-days", "825"];
    openssl(
        dir,
        &[&["req", "-x509"][..], &ec, &days]
            .concat()
            .into_iter()
            .chain([
                "-keyout",
                "ca-key.pem",
                "-out",
                "ca.pem",
                "-subj",
                "/CN=MindPal sandbox CA",
            ])
            .collect::<Vec<_>>(),
    )?;
    openssl(
        dir,
        &[&["req"][..], &ec]
            .concat()
            .into_iter()
            .chain([
                "-keyout",
                "server-key.pem",
                "-out",
                "server.csr",
                "-subj",
                "/CN=localhost",
            ])
            .collect::<Vec<_>>(),
    )?;
    std::fs::write(
        dir.join("server.ext"),
        // clientAuth too: Redis Cluster nodes present it to each other on the bus, and check.
        format!("subjectAltName={subject_alt_names}\nextendedKeyUsage=serverAuth,clientAuth\n"),
    )
    .map_err(|e| Error::io("writing the certificate's extensions", e))?;
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca-key.pem",
            "-CAcreateserial",
            "-out",
            "server.pem",
            "-days",
            "825",
            "-extfile",
            "server.ext",
        ],
    )?;
    for key in ["ca-key.pem", "server-key.pem"] {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir.join(key), std::fs::Permissions::from_mode(0o600))
            .map_err(|e| Error::io(format!("protecting {key}"), e))?;
    }
    Ok(files)
}

/// A string as a single-quoted SQL literal, for the statements that take no placeholders
/// (`CHANGE MASTER`, `ALTER USER … IDENTIFIED BY PASSWORD`) and only values the sandbox
/// made itself: its folder's path, a host name from `mysql.user`, a hash.
pub(super) fn sql_literal(value: &str) -> String {
    format!("'{}'", value.replace('\\', "\\\\").replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_native_hash_is_what_mariadb_computes() {
        // SELECT PASSWORD('mindpal') on MariaDB 10.11.
        assert_eq!(
            native_password_hash(&Secret::new("mindpal")),
            "*3CB44CD01D72AD8ECC42AED5925B84CEF2E62690"
        );
    }

    #[test]
    fn generated_passwords_differ_and_need_no_escaping() {
        let a = generate_password().unwrap();
        let b = generate_password().unwrap();
        assert_ne!(a, b);
        assert_eq!(a.expose().len(), 48);
        assert!(a.expose().chars().all(|c| c.is_ascii_hexdigit()));
    }

    #[test]
    fn literals_double_quotes_and_backslashes() {
        assert_eq!(sql_literal(r"/tmp/it's\here"), r"'/tmp/it''s\\here'");
    }
}
