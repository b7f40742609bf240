//! An SSH bastion on loopback: Debian's sshd with its own config, host key and authorized
//! key in one folder, listening on 127.0.0.1 only and forwarding only to 127.0.0.1.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::error::{Error, Result};

/// The files of one bastion.
#[derive(Debug, Clone)]
pub struct BastionFiles {
    pub dir: PathBuf,
    pub port: u16,
    pub config: PathBuf,
    /// The private key the console logs in with (no passphrase).
    pub client_key: PathBuf,
    pub host_key: PathBuf,
}

fn sshd_program() -> Result<PathBuf> {
    let path = PathBuf::from("/usr/sbin/sshd");
    if path.exists() {
        Ok(path)
    } else {
        Err(Error::MissingProgram {
            program: "sshd",
            package: "openssh-server",
        })
    }
}

/// Makes a key pair at `path` (and `path.pub`) unless one is there.
pub fn key_pair(path: &Path) -> Result<()> {
    if path.exists() {
        return Ok(());
    }
    let status = Command::new("ssh-keygen")
        .args([
            "-q",
            "-t",
            "ed25519",
            "-N",
            "",
            "-C",
            "mindpal-sandbox",
            "-f",
        ])
        .arg(path)
        .status()
        .map_err(|e| Error::io("running ssh-keygen (Debian package openssh-client)", e))?;
    if !status.success() {
        return Err(Error::Sandbox(format!(
            "ssh-keygen could not make {}",
            path.display()
        )));
    }
    Ok(())
}

/// Writes the bastion's keys and config into `dir`; keys already there are kept.
pub fn prepare(dir: &Path, port: u16) -> Result<BastionFiles> {
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;
    let dir = dir
        .canonicalize()
        .map_err(|e| Error::io(format!("reading {}", dir.display()), e))?;
    let host_key = dir.join("host_ed25519");
    let client_key = dir.join("client_ed25519");
    key_pair(&host_key)?;
    key_pair(&client_key)?;
    let authorized = dir.join("authorized_keys");
    let public = std::fs::read_to_string(client_key.with_extension("pub"))
        .map_err(|e| Error::io("reading the client's public key", e))?;
    std::fs::write(&authorized, public)
        .map_err(|e| Error::io(format!("writing {}", authorized.display()), e))?;
    let config = dir.join("sshd_config");
    let text = format!(
        "Port {port}\nListenAddress 127.0.0.1\nHostKey {host}\nPidFile {dir}/sshd.pid\n\
         AuthorizedKeysFile {authorized}\nStrictModes no\nUsePAM no\n\
         PasswordAuthentication no\nKbdInteractiveAuthentication no\n\
         PermitRootLogin prohibit-password\nAllowTcpForwarding local\n\
         PermitOpen 127.0.0.1:* localhost:*\nX11Forwarding no\nAllowAgentForwarding no\n\
         PermitTTY no\nPermitTunnel no\nClientAliveInterval 10\nLogLevel VERBOSE\n",
        host = host_key.display(),
        dir = dir.display(),
        authorized = authorized.display(),
    );
    std::fs::write(&config, text)
        .map_err(|e| Error::io(format!("writing {}", config.display()), e))?;
    Ok(BastionFiles {
        dir,
        port,
        config,
        client_key,
        host_key,
    })
}

/// The command that runs the bastion in the foreground, logging to stderr.
pub fn command(files: &BastionFiles) -> Result<Command> {
    let program = sshd_program()?;
    // sshd refuses to start without its privilege separation folder.
    if super::processes::is_root() {
        let _ = std::fs::create_dir_all("/run/sshd");
    }
    let mut command = Command::new(program);
    command.arg("-D").arg("-e").arg("-f").arg(&files.config);
    Ok(command)
}

/// `SHA256:…` of the bastion's host key, as the console shows it.
pub fn host_fingerprint(files: &BastionFiles) -> Result<String> {
    let public = std::fs::read_to_string(files.host_key.with_extension("pub"))
        .map_err(|e| Error::io("reading the bastion's host key", e))?;
    let key = russh::keys::PublicKey::from_openssh(public.trim())
        .map_err(|e| Error::Sandbox(format!("the bastion's host key is malformed: {e}")))?;
    Ok(crate::ssh::hostkeys::fingerprint(&key))
}

/// The sandbox's bastion sits on the port after its five servers.
pub const PORT_OFFSET: u16 = 5;

fn folder(sandbox: &Path) -> PathBuf {
    sandbox.join("bastion")
}

/// The running bastion of the sandbox in `sandbox`, if any: the pid its pid file names, if
/// that process runs this sandbox's config (sshd works in `/`, so its folder cannot tell).
pub(super) fn running(sandbox: &Path) -> Option<u32> {
    let dir = folder(sandbox).canonicalize().ok()?;
    let pid: u32 = std::fs::read_to_string(dir.join("sshd.pid"))
        .ok()?
        .trim()
        .parse()
        .ok()?;
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    // sshd rewrites its title to `sshd: /usr/sbin/sshd -D -e -f <config> [listener] …`.
    let config = format!(" -f {} ", dir.join("sshd_config").display());
    let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
    let ours = cmdline.contains(&config);
    (ours && super::processes::alive(pid as i32)).then_some(pid)
}

/// What the sandbox's bastion is, for its status and profile.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BastionStatus {
    pub port: u16,
    pub pid: Option<u32>,
    pub client_key: PathBuf,
    pub host_fingerprint: String,
}

pub(super) fn status(sandbox: &Path, base_port: u16) -> Option<BastionStatus> {
    let dir = folder(sandbox);
    let files = BastionFiles {
        port: base_port + PORT_OFFSET,
        config: dir.join("sshd_config"),
        client_key: dir.join("client_ed25519"),
        host_key: dir.join("host_ed25519"),
        dir: dir.clone(),
    };
    if !files.config.exists() {
        return None;
    }
    Some(BastionStatus {
        port: files.port,
        pid: running(sandbox),
        host_fingerprint: host_fingerprint(&files).unwrap_or_default(),
        client_key: files.client_key,
    })
}

/// Starts the sandbox's bastion unless it runs already.
pub(super) async fn up(sandbox: &Path, base_port: u16) -> Result<()> {
    if running(sandbox).is_some() {
        return Ok(());
    }
    let port = base_port + PORT_OFFSET;
    if std::net::TcpListener::bind(("127.0.0.1", port)).is_err() {
        return Err(Error::PortInUse {
            port,
            by: " (needed by the sandbox bastion; pick other ports with --port-base)".into(),
        });
    }
    let files = prepare(&folder(sandbox), port)?;
    let mut cmd = command(&files)?;
    // Its working folder is how `down` knows the process is this sandbox's.
    cmd.current_dir(&files.dir);
    let log = files.dir.join("sshd.log");
    super::processes::spawn_detached(cmd, &log)?;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while !super::processes::answering(port) || running(sandbox).is_none() {
        if std::time::Instant::now() > deadline {
            down(sandbox).await;
            return Err(Error::Sandbox(format!(
                "the sandbox bastion did not start: {}",
                super::processes::log_tail(&log)
            )));
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    Ok(())
}

/// Stops the sandbox's bastion; whether one ran.
pub(super) async fn down(sandbox: &Path) -> bool {
    match running(sandbox) {
        Some(pid) => {
            super::processes::stop_pid(pid).await;
            true
        }
        None => false,
    }
}
