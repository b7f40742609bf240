//! A Redis Cluster for the sandbox: six redis-server processes in cluster mode on the six
//! ports after the bastion's, each in its own folder, made three masters with one replica
//! each by `redis-cli --cluster create`, and seeded with the platform's kinds of keys.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::Access;
use super::processes::{log_tail, pid_running_in, spawn_detached_fed, stop_pid};
use crate::error::{Error, Result};
use crate::redis::cluster::{self, ClusterNode, key_slot};
use crate::redis::{RedisServer, RedisTarget};
use crate::secret::Secret;

/// The cluster's first port is this far from the sandbox's base port.
pub const PORT_OFFSET: u16 = 6;
pub const NODES: u16 = 6;
/// How long a node may be silent before the others mark it failed: short, so a failover
/// shows within seconds.
pub const NODE_TIMEOUT_MS: u64 = 2000;
/// Each node's cluster bus port (`cluster-port`) is this far above its port: right after the
/// nodes, inside the sandbox's own run of ports, rather than Redis' default of 10000 above,
/// which can land on a port a client connection holds.
const BUS_OFFSET: u16 = NODES;
/// Ports the sandbox uses from its base: its servers, the bastion, the nodes and their buses.
pub const SPAN: u16 = PORT_OFFSET + 2 * NODES;
const READY: Duration = Duration::from_secs(60);

fn folder(sandbox: &Path) -> PathBuf {
    sandbox.join("cluster")
}

pub fn ports(base_port: u16) -> Vec<u16> {
    (0..NODES).map(|i| base_port + PORT_OFFSET + i).collect()
}

fn node_dir(sandbox: &Path, port: u16) -> PathBuf {
    folder(sandbox).join(port.to_string())
}

/// The pid of the sandbox's cluster node on `port`, if it runs in its folder.
pub fn running(sandbox: &Path, port: u16) -> Option<u32> {
    let dir = node_dir(sandbox, port);
    pid_running_in(&dir.join("server.pid"), &dir)
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClusterNodeStatus {
    pub port: u16,
    pub pid: Option<u32>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SandboxCluster {
    pub nodes: Vec<ClusterNodeStatus>,
    /// The sandbox's CA when it is secure: the nodes then speak TLS only, bus included.
    pub ca_file: Option<PathBuf>,
}

impl SandboxCluster {
    /// The nodes as a profile names them (a secure sandbox's password is left to fill in).
    pub fn seeds(&self) -> Vec<RedisTarget> {
        self.nodes
            .iter()
            .map(|n| super::sandbox_redis_target(n.port, self.ca_file.as_deref()))
            .collect()
    }

    pub fn running(&self) -> bool {
        self.nodes.iter().all(|n| n.pid.is_some())
    }
}

pub(super) fn status(
    sandbox: &Path,
    base_port: u16,
    ca_file: Option<&Path>,
) -> Option<SandboxCluster> {
    if !folder(sandbox).exists() {
        return None;
    }
    Some(SandboxCluster {
        ca_file: ca_file.map(Path::to_owned),
        nodes: ports(base_port)
            .into_iter()
            .map(|port| ClusterNodeStatus {
                port,
                pid: running(sandbox, port),
            })
            .collect(),
    })
}

fn redis_cli() -> Result<PathBuf> {
    ["/usr/bin/redis-cli", "/usr/local/bin/redis-cli"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .ok_or(Error::MissingProgram {
            program: "redis-cli",
            package: "redis-tools",
        })
}

fn start_node(sandbox: &Path, port: u16, access: &Access) -> Result<()> {
    let dir = node_dir(sandbox, port);
    std::fs::create_dir_all(&dir)
        .map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;
    let conf = dir.join("redis.conf");
    let listen = match access.ca_file {
        // TLS only, for clients, replication and the cluster bus alike.
        Some(_) => {
            let tls = super::secure::TlsFiles::folder(sandbox)?;
            format!(
                "port 0\ntls-port {port}\ntls-cert-file {}\ntls-key-file {}\ntls-ca-cert-file {}\n\
                 tls-auth-clients no\ntls-replication yes\ntls-cluster yes\n",
                tls.join("server.pem").display(),
                tls.join("server-key.pem").display(),
                tls.join("ca.pem").display()
            )
        }
        None => format!("port {port}\n"),
    };
    let body = format!(
        "{listen}bind 127.0.0.1\ndaemonize yes\npidfile {d}/server.pid\nlogfile {d}/server.log\n\
         dir {d}\ncluster-enabled yes\ncluster-port {bus}\ncluster-config-file nodes.conf\n\
         cluster-node-timeout {NODE_TIMEOUT_MS}\ncluster-replica-validity-factor 0\n\
         appendonly no\nsave \"\"\nmaxmemory 512mb\nrepl-diskless-sync-delay 0\n",
        d = dir.display(),
        bus = port + BUS_OFFSET
    );
    std::fs::write(&conf, body).map_err(|e| Error::io(format!("writing {}", conf.display()), e))?;
    let mut cmd = Command::new(super::require("redis-server")?);
    cmd.arg(&conf);
    // As the sandbox's other Redis: the password on standard input, never in a file.
    let password = access.credentials.as_ref().map(|c| {
        cmd.arg("-");
        let p = c.redis.expose();
        Secret::new(format!("requirepass {p}\nmasterauth {p}\n"))
    });
    spawn_detached_fed(cmd, &dir.join("stdout.log"), password.as_ref())
}

/// A node as this run reaches it: with TLS and the password when the sandbox is secure.
fn node_target(port: u16, access: &Access) -> RedisTarget {
    let mut target = super::sandbox_redis_target(port, access.ca_file.as_deref());
    target.password = access.credentials.as_ref().map(|c| c.redis.clone());
    target
}

async fn wait_answering(sandbox: &Path, port: u16, access: &Access) -> Result<RedisServer> {
    let target = node_target(port, access);
    let deadline = Instant::now() + READY;
    loop {
        match RedisServer::connect(&target, Duration::from_secs(2)).await {
            Ok(server) => return Ok(server),
            Err(e) if Instant::now() > deadline => {
                return Err(Error::Io {
                    context: format!("the sandbox cluster node {port} did not start: {e}"),
                    source: std::io::Error::other(log_tail(
                        &node_dir(sandbox, port).join("server.log"),
                    )),
                });
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

/// Starts the nodes that are not running, creates the cluster if its slots are not all
/// assigned, waits until every node says `cluster_state:ok`, and seeds an empty cluster.
pub(super) async fn up(
    sandbox: &Path,
    base_port: u16,
    seed_keys: u64,
    access: &Access,
    say: &(dyn Fn(&str) + Send + Sync),
) -> Result<SandboxCluster> {
    let cli = redis_cli()?;
    let ports = ports(base_port);
    for &port in &ports {
        let free = |p: u16| std::net::TcpListener::bind(("127.0.0.1", p)).is_ok();
        if running(sandbox, port).is_some() {
            continue;
        }
        if let Some(taken) = [port, port + BUS_OFFSET].into_iter().find(|p| !free(*p)) {
            return Err(Error::PortInUse {
                port: taken,
                by: " (needed by the sandbox Redis Cluster; pick other ports with --port-base)"
                    .into(),
            });
        }
    }
    for &port in &ports {
        if running(sandbox, port).is_none() {
            start_node(sandbox, port, access)?;
        }
    }
    for &port in &ports {
        wait_answering(sandbox, port, access).await?;
    }
    let seeds: Vec<RedisTarget> = ports.iter().map(|p| node_target(*p, access)).collect();
    let state = cluster::state(&seeds, Duration::from_secs(5)).await?;
    let assigned: u32 = state
        .info
        .get("cluster_slots_assigned")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    if assigned == 0 {
        say("creating the Redis Cluster: 3 masters, 3 replicas");
        let mut create = tokio::process::Command::new(&cli);
        if let Some(ca) = &access.ca_file {
            create.arg("--tls").arg("--cacert").arg(ca);
        }
        if let Some(c) = &access.credentials {
            // redis-cli's own way to take a password off its command line.
            create.env("REDISCLI_AUTH", c.redis.expose());
        }
        create
            .arg("--cluster")
            .arg("create")
            .args(ports.iter().map(|p| format!("127.0.0.1:{p}")))
            .args(["--cluster-replicas", "1", "--cluster-yes"])
            .kill_on_drop(true);
        // redis-cli waits for the nodes to join for as long as it takes; a bus they cannot
        // open (a port, a certificate) would hang here forever.
        let output = tokio::time::timeout(READY, create.output())
            .await
            .map_err(|_| {
                Error::Sandbox(format!(
                    "the sandbox cluster's nodes did not join within {} s: {}",
                    READY.as_secs(),
                    log_tail(&node_dir(sandbox, ports[0]).join("server.log"))
                ))
            })?
            .map_err(|e| Error::io("running redis-cli --cluster create", e))?;
        if !output.status.success() {
            return Err(Error::Sandbox(format!(
                "redis-cli --cluster create failed: {}",
                String::from_utf8_lossy(&output.stdout)
                    .lines()
                    .chain(String::from_utf8_lossy(&output.stderr).lines())
                    .filter(|l| l.contains("ERR"))
                    .collect::<Vec<_>>()
                    .join(" | ")
            )));
        }
    }
    wait_all_ok(&seeds).await?;
    let state = cluster::state(&seeds, Duration::from_secs(5)).await?;
    let masters: Vec<ClusterNode> = cluster::serving_masters(&state.nodes)
        .into_iter()
        .cloned()
        .collect();
    let mut total = 0;
    for m in &masters {
        let server = cluster::connect_node(m, &seeds[0], Duration::from_secs(5)).await?;
        let mut conn = server.conn.clone();
        let keys: u64 = ::redis::cmd("DBSIZE")
            .query_async(&mut conn)
            .await
            .map_err(|e| server.err(e))?;
        total += keys;
    }
    if total == 0 && seed_keys > 0 {
        let started = Instant::now();
        let written = seed(&masters, &seeds[0], seed_keys).await?;
        say(&format!(
            "seeded the cluster with {written} keys in {:.1} s",
            started.elapsed().as_secs_f64()
        ));
    }
    Ok(status(sandbox, base_port, access.ca_file.as_deref()).expect("the cluster folder exists"))
}

async fn wait_all_ok(seeds: &[RedisTarget]) -> Result<()> {
    let deadline = Instant::now() + READY;
    loop {
        let mut all_ok = true;
        for seed in seeds {
            // Slots all served, and every node knows which master each replica follows.
            let ok = match cluster::state(std::slice::from_ref(seed), Duration::from_secs(2)).await
            {
                Ok(s) => {
                    s.info.get("cluster_state").map(String::as_str) == Some("ok")
                        && s.nodes
                            .iter()
                            .filter(|n| !n.is_master() && n.master_id.is_some())
                            .count()
                            == usize::from(NODES / 2)
                }
                Err(_) => false,
            };
            all_ok &= ok;
        }
        if all_ok {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(Error::Sandbox(
                "the sandbox Redis Cluster did not reach cluster_state:ok within 60 s".into(),
            ));
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Writes `keys` keys of the platform's kinds, each on the master that serves its slot, in
/// pipelines. Returns how many it wrote.
pub async fn seed(masters: &[ClusterNode], like: &RedisTarget, keys: u64) -> Result<u64> {
    let mut servers = Vec::new();
    for m in masters {
        servers.push(cluster::connect_node(m, like, Duration::from_secs(5)).await?);
    }
    let mut pipes: Vec<(::redis::Pipeline, usize)> =
        masters.iter().map(|_| (::redis::pipe(), 0)).collect();
    let mut written = 0;
    for i in 0..keys {
        let key = match i % 4 {
            0 => format!("user:{i}"),
            1 => format!("token:{i:016x}"),
            2 => format!("dashboard:stats:{i}"),
            _ => format!("conversation:{i}:context"),
        };
        let slot = key_slot(key.as_bytes());
        let Some(owner) = masters.iter().position(|m| m.serves(slot)) else {
            continue;
        };
        let (pipe, queued) = &mut pipes[owner];
        match i % 4 {
            0 => pipe
                .cmd("SET")
                .arg(&key)
                .arg(format!("{{\"id\":\"{i}\",\"status\":1}}"))
                .ignore(),
            1 => pipe
                .cmd("SET")
                .arg(&key)
                .arg(i)
                .arg("EX")
                .arg(86_400)
                .ignore(),
            2 => pipe
                .cmd("HSET")
                .arg(&key)
                .arg("conversations")
                .arg(i % 17)
                .arg("messages")
                .arg(i % 311)
                .ignore(),
            _ => pipe
                .cmd("RPUSH")
                .arg(&key)
                .arg("你好")
                .arg("hello")
                .ignore(),
        };
        *queued += 1;
        written += 1;
        if *queued >= 2_000 {
            flush(&servers[owner], pipe).await?;
            *queued = 0;
        }
    }
    for ((pipe, queued), server) in pipes.iter_mut().zip(&servers) {
        if *queued > 0 {
            flush(server, pipe).await?;
        }
    }
    // Every master's replica has every key before the sandbox says it is up, so a failover
    // right after loses nothing.
    for server in &servers {
        let mut conn = server.conn.clone();
        let acked: i64 = ::redis::cmd("WAIT")
            .arg(1)
            .arg(30_000)
            .query_async(&mut conn)
            .await
            .map_err(|e| server.err(e))?;
        if acked < 1 {
            return Err(Error::Sandbox(format!(
                "the replica of {} did not catch up within 30 s",
                server.info.address
            )));
        }
    }
    Ok(written)
}

async fn flush(server: &RedisServer, pipe: &mut ::redis::Pipeline) -> Result<()> {
    let mut conn = server.conn.clone();
    pipe.query_async::<()>(&mut conn)
        .await
        .map_err(|e| server.err(e))?;
    *pipe = ::redis::pipe();
    Ok(())
}

/// Stops the cluster's nodes; whether any ran.
pub(super) async fn down(sandbox: &Path, base_port: u16) -> bool {
    let mut any = false;
    for port in ports(base_port) {
        if let Some(pid) = running(sandbox, port) {
            stop_pid(pid).await;
            any = true;
        }
    }
    any
}
