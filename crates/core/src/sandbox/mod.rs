//! A local MindPal platform on loopback: a MariaDB primary with a GTID replica, a Redis master
//! with a replica, and a Sentinel watching them, each on its own port and data folder.
//!
//! Every process the sandbox starts is found again by its pid file *and* by its working
//! directory (both MariaDB and Redis `chdir` into their data folder), so `down` stops exactly
//! the processes it started and never a server that merely took the same port.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use crate::access::Role;
use crate::error::{Error, Result};
use crate::mysql::{MysqlServer, MysqlTarget};
use crate::profiles::{self, Profile};
use crate::redis::{RedisMode, RedisTopology};
use crate::redis::{RedisServer, RedisTarget};
use crate::seed::{self, SeedEvent, SeedOptions};

mod access;
pub mod bastion;
pub mod cluster;
mod component;
mod processes;
pub mod secure;

pub(crate) use access::Access;
use access::{sandbox_mysql_target, sandbox_redis_target};
pub use component::Component;
use processes::*;

pub const DEFAULT_BASE_PORT: u16 = 13306;
pub const DATABASE: &str = "mindpal";
pub const SENTINEL_MASTER: &str = "mindpal";
pub const PROFILE_NAME: &str = "sandbox";
const MARKER: &str = "sandbox.json";
const READY_TIMEOUT: Duration = Duration::from_secs(60);
const STOP_TIMEOUT: Duration = Duration::from_secs(30);

/// What `sandbox.json` records: proof the folder is ours, and its ports.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Marker {
    product: String,
    base_port: u16,
    /// Passwords on every account and TLS required (`up --secure`).
    #[serde(default)]
    secure: bool,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ComponentStatus {
    pub name: &'static str,
    pub host: &'static str,
    pub port: u16,
    pub pid: Option<u32>,
    pub running: bool,
    /// Accepting TCP connections on its port.
    pub answering: bool,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SandboxStatus {
    pub dir: PathBuf,
    pub base_port: u16,
    pub database: &'static str,
    pub user: &'static str,
    pub sentinel_master: &'static str,
    pub components: Vec<ComponentStatus>,
    /// The SSH bastion, when the sandbox was brought up with one.
    pub bastion: Option<bastion::BastionStatus>,
    /// The Redis Cluster, when the sandbox was brought up with one.
    pub cluster: Option<cluster::SandboxCluster>,
    /// The CA that signed the servers' certificate, when the sandbox is secure: passwords
    /// on every account (in the keyring) and TLS required by MariaDB and Redis.
    pub ca_file: Option<PathBuf>,
}

impl SandboxStatus {
    pub fn all_running(&self) -> bool {
        self.components.iter().all(|c| c.running)
    }

    pub fn port_of(&self, component: Component) -> u16 {
        component.port(self.base_port)
    }

    pub fn is_secure(&self) -> bool {
        self.ca_file.is_some()
    }

    /// The primary as the profile reaches it (a secure sandbox's password is left to fill in).
    pub fn primary_target(&self) -> MysqlTarget {
        sandbox_mysql_target(self.port_of(Component::Primary), self.ca_file.as_deref())
    }

    /// The replica: the same `root` as the primary, so it keeps no password of its own.
    pub fn replica_target(&self) -> MysqlTarget {
        let mut target =
            sandbox_mysql_target(self.port_of(Component::Replica), self.ca_file.as_deref());
        target.password_saved = false;
        target
    }

    pub fn redis_master_target(&self) -> RedisTarget {
        sandbox_redis_target(
            self.port_of(Component::RedisMaster),
            self.ca_file.as_deref(),
        )
    }
}

/// The default sandbox folder: `<data dir>/mindpal-admin/sandbox`.
pub fn default_dir() -> Result<PathBuf> {
    dirs::data_dir()
        .map(|d| d.join("mindpal-admin").join("sandbox"))
        .ok_or_else(|| Error::NotFound("no user data directory (is HOME set?)".into()))
}

#[derive(Debug, Clone)]
pub struct UpOptions {
    pub dir: PathBuf,
    /// `None`: the recorded base port of an existing sandbox, else [`DEFAULT_BASE_PORT`].
    pub base_port: Option<u16>,
    /// Seed this scale into an empty sandbox; `None` leaves it empty.
    pub seed_scale: Option<f64>,
    /// Where to register the `sandbox` profile; `None` registers none.
    pub profile_store: Option<PathBuf>,
    /// Put an SSH bastion on the port after the servers; the profile goes through it.
    pub bastion: bool,
    /// Add a 3-master, 3-replica Redis Cluster on the six ports after the bastion's; the
    /// profile's Redis is then the cluster.
    pub redis_cluster: bool,
    /// Passwords on every account and TLS required, with these passwords (the CLI keeps them
    /// in the keyring: [`secure::Credentials::from_keyring_or_new`]). A sandbox is secure or
    /// not from its first `up`; a secure one needs its passwords on every later `up`.
    pub secure: Option<secure::Credentials>,
}

/// A program the sandbox runs, and the Debian package that provides it.
struct Program {
    name: &'static str,
    package: &'static str,
}

const PROGRAMS: [Program; 4] = [
    Program {
        name: "mariadbd",
        package: "mariadb-server",
    },
    Program {
        name: "mariadb-install-db",
        package: "mariadb-server",
    },
    Program {
        name: "redis-server",
        package: "redis-server",
    },
    Program {
        name: "redis-sentinel",
        package: "redis-sentinel",
    },
];

fn find_program(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        // Server binaries live in sbin, which a user's PATH often lacks.
        .chain(["/usr/sbin", "/usr/local/sbin", "/sbin"].map(PathBuf::from))
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

fn require(name: &str) -> Result<PathBuf> {
    let program = PROGRAMS
        .iter()
        .find(|p| p.name == name)
        .expect("known program");
    find_program(name).ok_or(Error::MissingProgram {
        program: program.name,
        package: program.package,
    })
}

/// Brings the sandbox up (idempotent): starts what is not running, sets up replication,
/// applies the schema, seeds an empty database, registers the `sandbox` profile.
/// On failure it stops what this call started and removes a folder it created.
pub async fn up(options: &UpOptions, say: &(dyn Fn(&str) + Send + Sync)) -> Result<SandboxStatus> {
    for program in &PROGRAMS {
        require(program.name)?;
    }
    let dir = &options.dir;
    let existing = read_marker(dir)?;
    let base_port = match (existing.as_ref(), options.base_port) {
        (Some(m), Some(p)) if m.base_port != p => {
            return Err(Error::Conflict(format!(
                "the sandbox in {} uses ports from {}; bring it down with --purge to change to {p}",
                dir.display(),
                m.base_port
            )));
        }
        (Some(m), _) => m.base_port,
        (None, p) => p.unwrap_or(DEFAULT_BASE_PORT),
    };
    match (
        existing.as_ref().map(|m| m.secure),
        options.secure.is_some(),
    ) {
        (Some(false), true) => {
            return Err(Error::Conflict(format!(
                "the sandbox in {} has no passwords or TLS; bring it down with --purge to make it secure",
                dir.display()
            )));
        }
        (Some(true), false) => {
            return Err(Error::Conflict(format!(
                "the sandbox in {} is secure: its passwords are needed to start it",
                dir.display()
            )));
        }
        _ => {}
    }
    let span = cluster::SPAN;
    if !(1024..=65535 - span).contains(&base_port) {
        return Err(Error::InvalidInput(format!(
            "--port-base {base_port} must leave {span} ports between 1024 and 65535"
        )));
    }
    let created_dir = existing.is_none() && !dir.exists();
    let mut started: Vec<Component> = Vec::new();
    let result = bring_up(
        dir,
        base_port,
        existing.is_none(),
        options,
        say,
        &mut started,
    )
    .await;
    match result {
        Ok(status) => Ok(status),
        Err(e) => {
            if !started.is_empty() {
                say("cleaning up after the failure");
            }
            bastion::down(dir).await;
            cluster::down(dir, base_port).await;
            for component in started.iter().rev() {
                let _ = stop(dir, *component).await;
            }
            if created_dir {
                let _ = std::fs::remove_dir_all(dir);
            }
            Err(e)
        }
    }
}

async fn bring_up(
    dir: &Path,
    base_port: u16,
    fresh: bool,
    options: &UpOptions,
    say: &(dyn Fn(&str) + Send + Sync),
    started: &mut Vec<Component>,
) -> Result<SandboxStatus> {
    // Check every port before starting anything, so a taken port leaves nothing behind.
    for component in Component::ALL {
        if running_pid(dir, component).is_none() {
            let port = component.port(base_port);
            if TcpListener::bind(("127.0.0.1", port)).is_err() {
                return Err(Error::PortInUse {
                    port,
                    by: format!(
                        " (needed by the sandbox {}; pick other ports with --port-base)",
                        component.name()
                    ),
                });
            }
        }
    }
    if fresh {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;
        let marker = Marker {
            product: "mindpal-admin sandbox".into(),
            base_port,
            secure: options.secure.is_some(),
        };
        std::fs::write(
            dir.join(MARKER),
            serde_json::to_string_pretty(&marker).expect("serialises"),
        )
        .map_err(|e| Error::io("writing the sandbox marker", e))?;
    }

    if options.secure.is_some() {
        // Keys, Sentinel's file and the replica's master.info are for this user's eyes only.
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .map_err(|e| Error::io(format!("protecting {}", dir.display()), e))?;
    }
    let access = Access {
        ca_file: match options.secure {
            Some(_) => Some(secure::certificates(&secure::TlsFiles::folder(dir)?)?.ca),
            None => None,
        },
        credentials: options.secure.clone(),
    };
    for component in [Component::Primary, Component::Replica] {
        if running_pid(dir, component).is_none() {
            say(&format!(
                "starting MariaDB {} on 127.0.0.1:{}",
                component.name(),
                component.port(base_port)
            ));
            start_mariadb(dir, component, base_port, access.ca_file.is_some())?;
            started.push(component);
        }
    }
    let primary = wait_for_mariadb(dir, Component::Primary, base_port, &access).await?;
    let replica = wait_for_mariadb(dir, Component::Replica, base_port, &access).await?;
    configure_replication(&primary, &replica, base_port, &access).await?;
    say("replication: replica follows the primary by GTID");

    for component in [
        Component::RedisMaster,
        Component::RedisReplica,
        Component::Sentinel,
    ] {
        if running_pid(dir, component).is_none() {
            say(&format!(
                "starting {} on 127.0.0.1:{}",
                component.name(),
                component.port(base_port)
            ));
            start_redis(dir, component, base_port, &access)?;
            started.push(component);
        }
    }
    let redis = wait_for_redis(dir, Component::RedisMaster, base_port, &access).await?;
    wait_for_redis(dir, Component::RedisReplica, base_port, &access).await?;
    wait_for_redis(dir, Component::Sentinel, base_port, &access).await?;

    let mindpal = MysqlServer::connect(
        &access.mysql(base_port),
        crate::mysql::DEFAULT_CONNECT_TIMEOUT,
        4,
    )
    .await?;
    let applied = crate::schema::migrate(&mindpal, crate::access::Actor::OPERATOR).await?;
    if !applied.is_empty() {
        say(&format!("schema: applied {} migration(s)", applied.len()));
    }
    if let Some(scale) = options.seed_scale {
        let (users,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM users")
            .fetch_one(&mindpal.pool)
            .await
            .map_err(|e| mindpal.err(e))?;
        if users == 0 {
            say(&format!("seeding demo data at scale {scale}"));
            let report = seed::run(
                &mindpal,
                crate::access::Actor::OPERATOR,
                Some(&redis),
                &SeedOptions {
                    scale,
                    ..SeedOptions::default()
                },
                &|_: SeedEvent| {},
                &CancellationToken::new(),
            )
            .await?;
            say(&format!(
                "seeded {} rows and {} Redis keys in {:.1} s",
                report.total_rows,
                report.redis_keys,
                report.mysql_seconds + report.redis_seconds
            ));
        }
    }
    mindpal.pool.close().await;
    if options.bastion {
        say("starting the SSH bastion");
        bastion::up(dir, base_port).await?;
    }
    if options.redis_cluster {
        say("starting the Redis Cluster");
        let keys = options
            .seed_scale
            .map_or(0, |scale| (scale * 200_000.0).max(2_000.0) as u64);
        cluster::up(dir, base_port, keys, &access, say).await?;
    }

    let status = status(dir).await?;
    if let Some(store) = &options.profile_store {
        let mut profile = sandbox_profile(&status);
        // What the operator set on the profile (its backup folder, its alert thresholds)
        // survives the sandbox registering it again.
        if let Ok(before) = profiles::find(store, PROFILE_NAME) {
            profile.backup_dir = before.backup_dir;
            profile.alerts = before.alerts;
        }
        profiles::upsert(store, profile)?;
        say(&format!(
            "profile `{PROFILE_NAME}` registered in {}",
            store.display()
        ));
    }
    Ok(status)
}

/// The connection profile of a running sandbox.
pub fn sandbox_profile(status: &SandboxStatus) -> Profile {
    Profile {
        name: PROFILE_NAME.into(),
        role: Role::Operator,
        read_only: false,
        mysql: status.primary_target(),
        replicas: vec![status.replica_target()],
        redis: Some(match &status.cluster {
            Some(cluster) => RedisTopology {
                mode: RedisMode::Cluster,
                nodes: cluster.seeds(),
                master_name: None,
            },
            None => RedisTopology {
                mode: RedisMode::Sentinel,
                // The first node carries the data nodes' password flag (Sentinels take none).
                nodes: vec![sandbox_redis_target(
                    status.port_of(Component::Sentinel),
                    status.ca_file.as_deref(),
                )],
                master_name: Some(SENTINEL_MASTER.into()),
            },
        }),
        // Through the bastion when it runs: the servers are then dialled from it.
        ssh: status
            .bastion
            .as_ref()
            .filter(|b| b.pid.is_some())
            .map(|b| crate::ssh::SshProfile {
                host: format!("{}@127.0.0.1:{}", local_user(), b.port),
                key_file: Some(b.client_key.clone()),
                ..Default::default()
            }),
        backup_dir: None,
        alerts: Default::default(),
    }
}

fn local_user() -> String {
    nix::unistd::User::from_uid(nix::unistd::geteuid())
        .ok()
        .flatten()
        .map_or_else(|| "root".to_owned(), |u| u.name)
}

fn read_marker(dir: &Path) -> Result<Option<Marker>> {
    let marker_path = dir.join(MARKER);
    match std::fs::read_to_string(&marker_path) {
        Ok(raw) => serde_json::from_str(&raw)
            .map(Some)
            .map_err(|_| Error::NotOurs {
                path: dir.to_owned(),
            }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let non_empty = std::fs::read_dir(dir)
                .map(|mut d| d.next().is_some())
                .unwrap_or(false);
            if non_empty {
                Err(Error::NotOurs {
                    path: dir.to_owned(),
                })
            } else {
                Ok(None)
            }
        }
        Err(e) => Err(Error::io(format!("reading {}", marker_path.display()), e)),
    }
}

/// What runs of the sandbox in `dir`.
pub async fn status(dir: &Path) -> Result<SandboxStatus> {
    let marker = read_marker(dir)?.ok_or_else(|| {
        Error::NotFound(format!(
            "no sandbox in {}: start one with `mindpal-admin sandbox up`",
            dir.display()
        ))
    })?;
    let ca_file = match marker.secure {
        true => Some(secure::TlsFiles::folder(dir)?.join("ca.pem")),
        false => None,
    };
    let components = Component::ALL
        .iter()
        .map(|c| {
            let pid = running_pid(dir, *c);
            let port = c.port(marker.base_port);
            ComponentStatus {
                name: c.name(),
                host: "127.0.0.1",
                port,
                pid,
                running: pid.is_some(),
                answering: pid.is_some() && answering(port),
            }
        })
        .collect();
    Ok(SandboxStatus {
        dir: dir.to_owned(),
        base_port: marker.base_port,
        database: DATABASE,
        user: "root",
        sentinel_master: SENTINEL_MASTER,
        components,
        bastion: bastion::status(dir, marker.base_port),
        cluster: cluster::status(dir, marker.base_port, ca_file.as_deref()),
        ca_file,
    })
}

/// Whether the sandbox in `dir` was made secure (`None`: there is none).
pub fn is_secure(dir: &Path) -> Result<Option<bool>> {
    Ok(read_marker(dir)?.map(|m| m.secure))
}

/// Stops every running process of the sandbox; with `purge`, also deletes its folder.
/// Returns the names of the components it stopped.
pub async fn down(dir: &Path, purge: bool) -> Result<Vec<&'static str>> {
    if read_marker(dir)?.is_none() {
        return Err(Error::NotFound(format!("no sandbox in {}", dir.display())));
    }
    let mut stopped = Vec::new();
    if bastion::down(dir).await {
        stopped.push("bastion");
    }
    if let Some(marker) = read_marker(dir)?
        && cluster::down(dir, marker.base_port).await
    {
        stopped.push("redis-cluster");
    }
    for component in Component::ALL.iter().rev() {
        if stop(dir, *component).await? {
            stopped.push(component.name());
        }
    }
    if purge {
        std::fs::remove_dir_all(dir)
            .map_err(|e| Error::io(format!("removing {}", dir.display()), e))?;
    }
    Ok(stopped)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_with_other_files_is_not_ours() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("thesis.tex"), "x").unwrap();
        assert!(matches!(
            read_marker(dir.path()),
            Err(Error::NotOurs { .. })
        ));
    }

    #[test]
    fn an_empty_or_missing_folder_is_free_to_use() {
        let dir = tempfile::tempdir().unwrap();
        assert!(read_marker(dir.path()).unwrap().is_none());
        assert!(read_marker(&dir.path().join("new")).unwrap().is_none());
    }

    #[test]
    fn ports_are_consecutive_from_the_base() {
        let ports: Vec<u16> = Component::ALL.iter().map(|c| c.port(20000)).collect();
        assert_eq!(ports, vec![20000, 20001, 20002, 20003, 20004]);
    }
}
