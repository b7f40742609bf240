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

use crate::error::{Error, Result};
use crate::mysql::{MysqlServer, MysqlTarget, TlsMode};
use crate::profiles::{self, Profile, RedisMode, RedisProfile, Role};
use crate::redis::{RedisServer, RedisTarget};
use crate::seed::{self, SeedEvent, SeedOptions};

pub mod bastion;
pub mod cluster;
mod processes;

use processes::*;

pub const DEFAULT_BASE_PORT: u16 = 13306;
pub const DATABASE: &str = "mindpal";
pub const SENTINEL_MASTER: &str = "mindpal";
pub const PROFILE_NAME: &str = "sandbox";
const MARKER: &str = "sandbox.json";
const READY_TIMEOUT: Duration = Duration::from_secs(60);
const STOP_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Component {
    Primary,
    Replica,
    RedisMaster,
    RedisReplica,
    Sentinel,
}

impl Component {
    pub const ALL: [Component; 5] = [
        Component::Primary,
        Component::Replica,
        Component::RedisMaster,
        Component::RedisReplica,
        Component::Sentinel,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Component::Primary => "primary",
            Component::Replica => "replica",
            Component::RedisMaster => "redis-master",
            Component::RedisReplica => "redis-replica",
            Component::Sentinel => "sentinel",
        }
    }

    /// Five consecutive ports from the base, in this order.
    pub fn port(self, base: u16) -> u16 {
        base + self as u16
    }

    fn is_mariadb(self) -> bool {
        matches!(self, Component::Primary | Component::Replica)
    }

    /// The folder the process runs in (its data folder).
    fn workdir(self, dir: &Path) -> PathBuf {
        if self.is_mariadb() {
            dir.join(self.name()).join("data")
        } else {
            dir.join(self.name())
        }
    }

    fn pid_file(self, dir: &Path) -> PathBuf {
        dir.join(self.name()).join("server.pid")
    }

    fn log_file(self, dir: &Path) -> PathBuf {
        dir.join(self.name()).join("server.log")
    }

    fn socket(self, dir: &Path) -> PathBuf {
        dir.join(self.name()).join("mysqld.sock")
    }
}

/// What `sandbox.json` records: proof the folder is ours, and its ports.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Marker {
    product: String,
    base_port: u16,
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
}

impl SandboxStatus {
    pub fn all_running(&self) -> bool {
        self.components.iter().all(|c| c.running)
    }

    pub fn port_of(&self, component: Component) -> u16 {
        component.port(self.base_port)
    }

    pub fn primary_target(&self) -> MysqlTarget {
        sandbox_mysql_target(self.port_of(Component::Primary))
    }

    pub fn replica_target(&self) -> MysqlTarget {
        sandbox_mysql_target(self.port_of(Component::Replica))
    }

    pub fn redis_master_target(&self) -> RedisTarget {
        RedisTarget::new("127.0.0.1", self.port_of(Component::RedisMaster))
    }
}

fn sandbox_mysql_target(port: u16) -> MysqlTarget {
    let mut target = MysqlTarget::new("127.0.0.1", port, "root").with_database(DATABASE);
    target.tls = TlsMode::Disabled;
    target
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
            return Err(Error::InvalidInput(format!(
                "the sandbox in {} uses ports from {}; bring it down with --purge to change to {p}",
                dir.display(),
                m.base_port
            )));
        }
        (Some(m), _) => m.base_port,
        (None, p) => p.unwrap_or(DEFAULT_BASE_PORT),
    };
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
        };
        std::fs::write(
            dir.join(MARKER),
            serde_json::to_string_pretty(&marker).expect("serialises"),
        )
        .map_err(|e| Error::io("writing the sandbox marker", e))?;
    }

    for component in [Component::Primary, Component::Replica] {
        if running_pid(dir, component).is_none() {
            say(&format!(
                "starting MariaDB {} on 127.0.0.1:{}",
                component.name(),
                component.port(base_port)
            ));
            start_mariadb(dir, component, base_port)?;
            started.push(component);
        }
    }
    let primary = wait_for_mariadb(dir, Component::Primary, base_port).await?;
    let replica = wait_for_mariadb(dir, Component::Replica, base_port).await?;
    configure_replication(&primary, &replica, base_port).await?;
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
            start_redis(dir, component, base_port)?;
            started.push(component);
        }
    }
    let redis = wait_for_redis(dir, Component::RedisMaster, base_port).await?;
    wait_for_redis(dir, Component::RedisReplica, base_port).await?;
    wait_for_redis(dir, Component::Sentinel, base_port).await?;

    let mindpal = MysqlServer::connect(
        &sandbox_mysql_target(base_port),
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
        cluster::up(dir, base_port, keys, say).await?;
    }

    let status = status(dir).await?;
    if let Some(store) = &options.profile_store {
        profiles::upsert(store, sandbox_profile(&status))?;
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
            Some(cluster) => RedisProfile {
                mode: RedisMode::Cluster,
                nodes: cluster.seeds(),
                master_name: None,
            },
            None => RedisProfile {
                mode: RedisMode::Sentinel,
                nodes: vec![RedisTarget::new(
                    "127.0.0.1",
                    status.port_of(Component::Sentinel),
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
        cluster: cluster::status(dir, marker.base_port),
    })
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
