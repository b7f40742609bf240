//! What every command starts from: the servers of the command line, a profile or the
//! environment (the profile read once per run), who is acting, where reads go, Ctrl-C, and
//! the usage errors that exit 2.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use mindpal_core::CancellationToken;
use mindpal_core::Error;
use mindpal_core::access::Actor;
use mindpal_core::mysql::{MysqlServer, MysqlTarget};
use mindpal_core::profiles::{self, Profile};
use mindpal_core::redis::{RedisMode, RedisTopology};
use mindpal_core::redis::{RedisServer, RedisTarget};
use mindpal_core::ssh::{SshProfile, Via};
use mindpal_core::workspace::{FileStore, Workspace};

use crate::Global;

/// A number of seconds from `lo` to `hi`, for the options that take fractions of one.
pub fn seconds(s: &str, lo: f64, hi: f64) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if (lo..=hi).contains(&v) => Ok(v),
        _ => Err(format!("expected seconds from {lo} to {hi}")),
    }
}

/// A command line the command cannot act on (a value out of range, a missing --yes): exit 2.
#[derive(Debug)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

pub fn usage(message: impl Into<String>) -> anyhow::Error {
    UsageError(message.into()).into()
}

/// An id from the command line: a malformed one (`abc`, `0`, 21 digits) is a usage error.
pub fn id_arg(raw: &str, what: &str) -> anyhow::Result<i64> {
    mindpal_core::keyset::parse_id(raw, what).map_err(|e| usage(e.to_string()))
}

pub fn closed_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

pub fn timeout(g: &Global) -> Duration {
    Duration::from_secs(g.connect_timeout.max(1))
}

pub fn store_path(g: &Global) -> anyhow::Result<PathBuf> {
    match &g.profiles_file {
        Some(path) => Ok(path.clone()),
        None => Ok(profiles::default_store_path()?),
    }
}

/// The run's workspace: the profile store of `--profiles-file` (or the default one), and
/// connections that wait `--connect-timeout`.
pub fn workspace(g: &Global) -> anyhow::Result<&'static Workspace> {
    static WORKSPACE: std::sync::OnceLock<Workspace> = std::sync::OnceLock::new();
    if let Some(workspace) = WORKSPACE.get() {
        return Ok(workspace);
    }
    let workspace = Workspace::new(FileStore(store_path(g)?)).with_connect_timeout(timeout(g));
    Ok(WORKSPACE.get_or_init(|| workspace))
}

/// The `--profile`, with its saved passwords read from the OS keyring: once per run (the
/// keyring may be slow, and one command is one process). Its servers go through the bastion
/// of the command line or the profile.
pub fn profile(g: &Global) -> anyhow::Result<Option<Profile>> {
    static RESOLVED: std::sync::OnceLock<Option<Profile>> = std::sync::OnceLock::new();
    if let Some(resolved) = RESOLVED.get() {
        return Ok(resolved.clone());
    }
    let resolved = match &g.profile {
        Some(name) => {
            // An unknown name is a mistake on the command line: exit 2.
            let mut stored = workspace(g)?.stored(name).map_err(|e| match e {
                Error::NotFound(m) => usage(m),
                e => e.into(),
            })?;
            if let Some(ca) = &g.redis_ca {
                for node in stored.redis.iter_mut().flat_map(|r| &mut r.nodes) {
                    node.ca_file = Some(ca.clone());
                }
            }
            // The bastion is the command line's to choose (`--ssh*` over the profile's).
            let ssh = stored.ssh.take();
            let mut profile = workspace(g)?.with_passwords(stored)?;
            if let Some(via) = bastion(g, ssh.as_ref())? {
                profile.mysql.via = Some(via.clone());
                for replica in &mut profile.replicas {
                    replica.via = Some(via.clone());
                }
                for node in profile.redis.iter_mut().flat_map(|r| &mut r.nodes) {
                    node.via = Some(via.clone());
                }
            }
            profile.ssh = ssh;
            Some(profile)
        }
        None => None,
    };
    Ok(RESOLVED.get_or_init(|| resolved).clone())
}

/// The run's one SSH bastion: the command line's `--ssh`, else the profile's, with the
/// other `--ssh-*` options over it. One connection serves every server of the run.
fn bastion(g: &Global, from_profile: Option<&SshProfile>) -> anyhow::Result<Option<Via>> {
    static VIA: std::sync::OnceLock<Option<Via>> = std::sync::OnceLock::new();
    if let Some(via) = VIA.get() {
        return Ok(via.clone());
    }
    let mut ssh = match (&g.ssh, from_profile) {
        (Some(host), _) => SshProfile {
            host: host.clone(),
            ..Default::default()
        },
        (None, Some(ssh)) => ssh.clone(),
        (None, None) => {
            if g.ssh_key.is_some() || g.accept_host_key.is_some() || g.ssh_known_hosts.is_some() {
                return Err(usage(
                    "--ssh-key, --ssh-known-hosts and --accept-host-key need a bastion: --ssh USER@HOST or a profile with one",
                ));
            }
            return Ok(VIA.get_or_init(|| None).clone());
        }
    };
    if let Some(key) = &g.ssh_key {
        ssh.key_file = Some(key.clone());
    }
    if let Some(auth) = g.ssh_auth {
        ssh.auth = auth;
    }
    if let Some(file) = &g.ssh_known_hosts {
        ssh.known_hosts = Some(file.clone());
    }
    if let Some(fingerprint) = &g.accept_host_key {
        if !fingerprint.starts_with("SHA256:") {
            return Err(usage(format!(
                "--accept-host-key takes the SHA256:… fingerprint the refusal printed, not `{fingerprint}`"
            )));
        }
        ssh.accept_host_key = Some(fingerprint.clone());
    }
    if let Ok(secret) = std::env::var("MINDPAL_SSH_SECRET") {
        ssh.secret = Some(mindpal_core::secret::Secret::new(secret));
    }
    let via = Via::new(&ssh, timeout(g)).map_err(|e| usage(e.to_string()))?;
    Ok(VIA.get_or_init(|| Some(via)).clone())
}

/// A server given by URL goes through the run's bastion too.
fn behind_bastion<T>(
    g: &Global,
    mut target: T,
    via_of: impl FnOnce(&mut T) -> &mut Option<Via>,
) -> anyhow::Result<T> {
    let from_profile = profile(g)?.and_then(|p| p.ssh);
    *via_of(&mut target) = bastion(g, from_profile.as_ref())?;
    Ok(target)
}

pub fn mysql_target(g: &Global) -> anyhow::Result<MysqlTarget> {
    if let Some(url) = &g.mysql {
        let target = MysqlTarget::from_url(url).map_err(|e| usage(e.to_string()))?;
        return behind_bastion(g, target, |t| &mut t.via);
    }
    if let Some(profile) = profile(g)? {
        return Ok(profile.mysql);
    }
    if let Ok(url) = std::env::var("MINDPAL_MYSQL_URL") {
        let target =
            MysqlTarget::from_url(&url).map_err(|e| usage(format!("MINDPAL_MYSQL_URL: {e}")))?;
        return behind_bastion(g, target, |t| &mut t.via);
    }
    Err(usage(
        "no MySQL server given: pass --mysql URL or --profile NAME, or set MINDPAL_MYSQL_URL",
    ))
}

pub async fn connect_mysql(g: &Global) -> anyhow::Result<MysqlServer> {
    Ok(MysqlServer::connect(&mysql_target(g)?, timeout(g), 8).await?)
}

/// `--redis-cluster URL,URL,…` as a cluster profile: each seed with `--redis-ca` and behind
/// the bastion of `--ssh` or the profile.
pub fn cluster_seeds(g: &Global) -> anyhow::Result<Option<RedisTopology>> {
    let urls = match &g.redis_cluster {
        None => return Ok(None),
        Some(Some(urls)) => urls,
        Some(None) => {
            return Err(usage(
                "--redis-cluster needs the seed nodes: --redis-cluster redis://h:p,redis://h:p"
                    .to_owned(),
            ));
        }
    };
    let mut nodes = Vec::new();
    for url in urls.split(',').map(str::trim).filter(|u| !u.is_empty()) {
        let mut target =
            RedisTarget::from_url(url).map_err(|e| usage(format!("--redis-cluster: {e}")))?;
        target.ca_file = g.redis_ca.clone();
        nodes.push(behind_bastion(g, target, |t| &mut t.via)?);
    }
    if nodes.is_empty() {
        return Err(usage(
            "--redis-cluster needs at least one seed node URL".to_owned(),
        ));
    }
    Ok(Some(RedisTopology {
        mode: RedisMode::Cluster,
        nodes,
        master_name: None,
    }))
}

/// The Redis server, or `None` when no source names one.
pub async fn connect_redis(g: &Global) -> anyhow::Result<Option<RedisServer>> {
    if let Some(cluster) = cluster_seeds(g)? {
        return Ok(Some(
            mindpal_core::redis::connect_topology(&cluster, timeout(g)).await?,
        ));
    }
    if let Some(url) = &g.redis {
        let mut target = RedisTarget::from_url(url).map_err(|e| usage(e.to_string()))?;
        target.ca_file = g.redis_ca.clone();
        let target = behind_bastion(g, target, |t| &mut t.via)?;
        return Ok(Some(RedisServer::connect(&target, timeout(g)).await?));
    }
    if let Some(profile) = profile(g)? {
        return match profile.redis {
            Some(redis) => Ok(Some(
                mindpal_core::redis::connect_topology(&redis, timeout(g)).await?,
            )),
            None => Ok(None),
        };
    }
    if let Ok(url) = std::env::var("MINDPAL_REDIS_URL") {
        let mut target =
            RedisTarget::from_url(&url).map_err(|e| usage(format!("MINDPAL_REDIS_URL: {e}")))?;
        target.ca_file = g.redis_ca.clone();
        let target = behind_bastion(g, target, |t| &mut t.via)?;
        return Ok(Some(RedisServer::connect(&target, timeout(g)).await?));
    }
    Ok(None)
}

/// Where reads go.
#[derive(Debug, Args)]
pub struct ReadFrom {
    /// Read from the profile's first replica instead of the primary (the answer says which
    /// server answered).
    #[arg(long)]
    from_replica: bool,
}

/// Who acts: the profile's role, lowered by `--role support` to see what a support profile
/// sees. The core refuses a `--role` that would raise the profile.
pub fn actor(g: &Global) -> anyhow::Result<Actor> {
    let own = profile(g)?.map_or(Actor::OPERATOR, |p| p.actor());
    match g.role {
        Some(role) => Ok(own.acting_as(role)?),
        None => Ok(own),
    }
}

/// The Redis side of a view: `None` when none is given, else the server or why it cannot be
/// reached (the view still shows the rest).
pub async fn redis_side(g: &Global) -> anyhow::Result<Option<mindpal_core::Result<RedisServer>>> {
    match connect_redis(g).await {
        Ok(r) => Ok(r.map(Ok)),
        // A server that cannot be reached is reported beside the answer; a malformed
        // --redis is the command line's fault and stops the command.
        Err(e) => match e.downcast::<mindpal_core::Error>() {
            Ok(server) => Ok(Some(Err(server))),
            Err(usage) => Err(usage),
        },
    }
}

/// The Redis a command cannot do without.
pub async fn require_redis(g: &Global) -> anyhow::Result<RedisServer> {
    connect_redis(g).await?.ok_or_else(no_redis)
}

pub(crate) fn no_redis() -> anyhow::Error {
    usage(
        "no Redis given: pass --redis URL or --profile NAME (with Redis), or set MINDPAL_REDIS_URL",
    )
}

/// The primary, or the profile's first replica when asked.
pub async fn reader(g: &Global, read: &ReadFrom) -> anyhow::Result<MysqlServer> {
    if !read.from_replica {
        return connect_mysql(g).await;
    }
    let Some(profile) = profile(g)? else {
        return Err(usage("--from-replica needs --profile NAME with a replica"));
    };
    let Some(replica) = profile.replicas.first() else {
        return Err(mindpal_core::Error::NotFound(format!(
            "profile `{}` has no replica",
            profile.name
        ))
        .into());
    };
    Ok(MysqlServer::connect(replica, timeout(g), 4).await?)
}

/// A token cancelled by Ctrl-C, for the commands that stop cleanly (seed, backup, explain).
pub fn cancel_on_ctrl_c() -> CancellationToken {
    let cancel = CancellationToken::new();
    let on_ctrl_c = cancel.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            on_ctrl_c.cancel();
        }
    });
    cancel
}
