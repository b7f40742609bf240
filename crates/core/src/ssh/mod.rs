//! SSH bastions. A profile may name one (a host, `user@host:port`, or a `~/.ssh/config`
//! alias with its ProxyJump chain); every server of the profile is then reached through it:
//! one SSH connection per profile session, a local forward per server, host keys checked at
//! every hop, errors naming the hop that failed.

pub mod config;
pub mod hostkeys;
mod tunnel;

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::secret::Secret;
use hostkeys::KnownHosts;
use tunnel::Tunnel;

/// How the console logs in to the bastion itself (jump hosts before it use the agent and
/// the keys `~/.ssh/config` names for them, as `ssh` does).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum SshAuth {
    /// A private key file; its passphrase, if any, in the keyring.
    #[default]
    Key,
    /// The keys ssh-agent holds.
    Agent,
    /// A password, in the keyring.
    Password,
}

/// The bastion a profile goes through. Secrets never serialise.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct SshProfile {
    /// A host name or address, `user@host:port`, or a `~/.ssh/config` alias.
    pub host: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(default)]
    pub auth: SshAuth,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_file: Option<PathBuf>,
    /// Where accepted host keys are written (and read); the console's own file when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub known_hosts: Option<PathBuf>,
    /// The key's passphrase or the password is in the OS keyring.
    #[serde(default)]
    pub secret_saved: bool,
    #[serde(skip)]
    #[cfg_attr(feature = "ts", ts(skip))]
    pub secret: Option<Secret>,
    /// A host key fingerprint the user accepted for this run (`--accept-host-key`).
    #[serde(skip)]
    #[cfg_attr(feature = "ts", ts(skip))]
    pub accept_host_key: Option<String>,
}

impl fmt::Debug for SshProfile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SshProfile")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("user", &self.user)
            .field("auth", &self.auth)
            .field("key_file", &self.key_file)
            .finish_non_exhaustive()
    }
}

/// The tunnel's state, as the window shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum TunnelState {
    NotOpened,
    Open {
        #[cfg_attr(feature = "ts", ts(type = "string"))]
        since: chrono::DateTime<chrono::Utc>,
    },
    Down {
        error: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HopAuth {
    Keys,
    Agent,
    AgentThenKeys,
    Password,
}

/// One SSH server on the way, resolved through `~/.ssh/config`.
#[derive(Debug, Clone)]
pub(crate) struct Hop {
    /// `bastion host:port` or `jump host host:port`: how errors name it.
    pub label: String,
    pub host: String,
    pub port: u16,
    pub user: String,
    pub auth: HopAuth,
    pub identity_files: Vec<PathBuf>,
    pub identity_agent: Option<String>,
    pub known_hosts_files: Vec<PathBuf>,
}

impl Hop {
    fn agent_socket(&self) -> Option<PathBuf> {
        match self.identity_agent.as_deref() {
            Some("none") => None,
            Some("SSH_AUTH_SOCK") | None => std::env::var_os("SSH_AUTH_SOCK").map(PathBuf::from),
            Some(path) => Some(config::expand_home(path)),
        }
    }

    /// The keys named for this hop, else the default ones `ssh` tries that exist.
    fn key_files(&self) -> Vec<PathBuf> {
        if !self.identity_files.is_empty() {
            return self.identity_files.clone();
        }
        let ssh_dir = dirs::home_dir().unwrap_or_default().join(".ssh");
        ["id_ed25519", "id_ecdsa", "id_rsa"]
            .iter()
            .map(|name| ssh_dir.join(name))
            .filter(|path| path.exists())
            .collect()
    }

    fn known_hosts(&self, base: &KnownHosts) -> KnownHosts {
        KnownHosts {
            user_files: if self.known_hosts_files.is_empty() {
                base.user_files.clone()
            } else {
                self.known_hosts_files.clone()
            },
            own: base.own.clone(),
        }
    }
}

/// `[user@]host[:port]`.
fn split_spec(spec: &str) -> (Option<&str>, &str, Option<u16>) {
    let (user, rest) = match spec.rsplit_once('@') {
        Some((user, rest)) => (Some(user), rest),
        None => (None, spec),
    };
    match rest.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') => match port.parse() {
            Ok(port) => (user, host, Some(port)),
            Err(_) => (user, rest, None),
        },
        _ => (user, rest, None),
    }
}

fn local_user() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "root".into())
}

/// Every hop from this machine to the bastion of `ssh`, as `ssh` would take them.
pub(crate) fn plan(ssh: &SshProfile, config_file: Option<&Path>) -> Result<Vec<Hop>> {
    if ssh.host.trim().is_empty() || ssh.host.contains(char::is_whitespace) {
        return Err(Error::InvalidInput(format!(
            "`{}` is not an SSH host: give a host name, user@host:port, or a ~/.ssh/config alias",
            ssh.host
        )));
    }
    let (spec_user, alias, spec_port) = split_spec(&ssh.host);
    let found = config::lookup(config_file, alias)?;
    let mut hops = jumps(&found.proxy_jump, config_file, 0)?;
    let host = found.host_name.clone().unwrap_or_else(|| alias.to_owned());
    let port = ssh.port.or(spec_port).or(found.port).unwrap_or(22);
    let mut identity_files: Vec<PathBuf> = ssh.key_file.iter().cloned().collect();
    if identity_files.is_empty() {
        identity_files = found.identity_files.clone();
    }
    hops.push(Hop {
        label: format!("bastion {host}:{port}"),
        user: ssh
            .user
            .clone()
            .or(spec_user.map(str::to_owned))
            .or(found.user)
            .unwrap_or_else(local_user),
        host,
        port,
        auth: match ssh.auth {
            SshAuth::Key => HopAuth::Keys,
            SshAuth::Agent => HopAuth::Agent,
            SshAuth::Password => HopAuth::Password,
        },
        identity_files,
        identity_agent: found.identity_agent,
        known_hosts_files: found.known_hosts_files,
    });
    Ok(hops)
}

/// The hops of a ProxyJump list; the first one's own ProxyJump comes before it.
fn jumps(list: &[String], config_file: Option<&Path>, depth: usize) -> Result<Vec<Hop>> {
    if depth > 8 {
        return Err(Error::InvalidInput(
            "ProxyJump chains through more than 8 levels of jump hosts (a loop?)".into(),
        ));
    }
    let mut hops = Vec::new();
    for (i, spec) in list.iter().enumerate() {
        let (user, alias, port) = split_spec(spec);
        let found = config::lookup(config_file, alias)?;
        if i == 0 && !found.proxy_jump.is_empty() {
            hops.extend(jumps(&found.proxy_jump, config_file, depth + 1)?);
        }
        let host = found.host_name.clone().unwrap_or_else(|| alias.to_owned());
        let port = port.or(found.port).unwrap_or(22);
        hops.push(Hop {
            label: format!("jump host {host}:{port}"),
            user: user
                .map(str::to_owned)
                .or(found.user)
                .unwrap_or_else(local_user),
            host,
            port,
            auth: HopAuth::AgentThenKeys,
            identity_files: found.identity_files,
            identity_agent: found.identity_agent,
            known_hosts_files: found.known_hosts_files,
        });
    }
    Ok(hops)
}

/// A profile's way through its bastion: cheap to clone, one SSH connection behind all clones.
/// Two are equal only when they are the same tunnel.
#[derive(Clone)]
pub struct Via(Arc<Tunnel>);

impl PartialEq for Via {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for Via {}

impl fmt::Debug for Via {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.path())
    }
}

impl Via {
    /// Resolves the hops of `ssh` (reading `~/.ssh/config`); nothing is dialled until a
    /// server is reached through it.
    pub fn new(ssh: &SshProfile, timeout: Duration) -> Result<Via> {
        Via::with_config(ssh, timeout, config::default_path().as_deref())
    }

    /// As [`Via::new`], reading `config_file` instead of `~/.ssh/config`.
    pub fn with_config(
        ssh: &SshProfile,
        timeout: Duration,
        config_file: Option<&Path>,
    ) -> Result<Via> {
        let hops = plan(ssh, config_file)?;
        let own = match &ssh.known_hosts {
            Some(path) => path.clone(),
            None => hostkeys::console_file().ok_or_else(|| {
                Error::NotFound("no user data directory for the known-hosts file".into())
            })?,
        };
        let user_files = dirs::home_dir()
            .map(|home| vec![home.join(".ssh").join("known_hosts")])
            .unwrap_or_default();
        Ok(Via(Arc::new(Tunnel::new(
            hops,
            ssh.secret.clone(),
            KnownHosts { user_files, own },
            ssh.accept_host_key.clone(),
            timeout,
        ))))
    }

    /// The local address that reaches `host:port` from the bastion; `what` names the server
    /// in errors (`database`, `redis`).
    pub async fn forward(&self, what: &str, host: &str, port: u16) -> Result<SocketAddr> {
        self.0.forward(what, host, port).await
    }

    /// Opens the SSH connection now (or checks the open one).
    pub async fn check(&self) -> Result<()> {
        self.0.session(true).await.map(|_| ())
    }

    /// `via jump host a:22 → bastion b:22`.
    pub fn path(&self) -> String {
        let hops: Vec<String> = self
            .0
            .hops
            .iter()
            .map(|hop| format!("{}@{}", hop.user, hop.label))
            .collect();
        format!("via {}", hops.join(" → "))
    }

    pub fn state(&self) -> TunnelState {
        self.0.state.lock().expect("tunnel state").clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_split_into_user_host_and_port() {
        assert_eq!(
            split_spec("ops@gate:2200"),
            (Some("ops"), "gate", Some(2200))
        );
        assert_eq!(split_spec("gate"), (None, "gate", None));
        assert_eq!(split_spec("a@b@gate"), (Some("a@b"), "gate", None));
    }

    #[test]
    fn proxy_jump_chains_resolve_hop_by_hop() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config");
        std::fs::write(
            &path,
            "Host prod\n  HostName 10.0.0.9\n  ProxyJump edge,inner:2201\n\
             Host edge\n  HostName edge.example\n  User jump\n  ProxyJump outer\n\
             Host *\n  User ops\n",
        )
        .unwrap();
        let ssh = SshProfile {
            host: "prod".into(),
            ..Default::default()
        };
        let hops = plan(&ssh, Some(&path)).unwrap();
        let labels: Vec<(&str, &str)> = hops
            .iter()
            .map(|h| (h.label.as_str(), h.user.as_str()))
            .collect();
        assert_eq!(
            labels,
            vec![
                ("jump host outer:22", "ops"),
                ("jump host edge.example:22", "jump"),
                ("jump host inner:2201", "ops"),
                ("bastion 10.0.0.9:22", "ops"),
            ]
        );
        assert_eq!(hops.last().unwrap().auth, HopAuth::Keys);
    }
}
