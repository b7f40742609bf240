//! The sandbox's processes: starting MariaDB and Redis detached with their own folders,
//! waiting until they answer, wiring replication, and stopping them by the pid they wrote.

use super::*;

pub(super) fn start_mariadb(dir: &Path, component: Component, base_port: u16) -> Result<()> {
    let home = dir.join(component.name());
    let data = component.workdir(dir);
    std::fs::create_dir_all(&home)
        .map_err(|e| Error::io(format!("creating {}", home.display()), e))?;
    let log = component.log_file(dir);
    // A temporary folder of its own: two servers bootstrapping at once in a shared /tmp can
    // remove each other's temporary tables (`Unknown table 'mysql.tmp_proxies_priv'`).
    let tmp = home.join("tmp");
    std::fs::create_dir_all(&tmp)
        .map_err(|e| Error::io(format!("creating {}", tmp.display()), e))?;
    if !data.join("mysql").exists() {
        let mut install = Command::new(require("mariadb-install-db")?);
        install
            .arg("--no-defaults")
            .arg(format!("--datadir={}", data.display()))
            .arg(format!("--tmpdir={}", tmp.display()))
            .arg("--auth-root-authentication-method=normal")
            .arg("--skip-test-db");
        if is_root() {
            install.arg("--user=root");
        }
        let output = install
            .stdin(Stdio::null())
            .output()
            .map_err(|e| Error::io("running mariadb-install-db", e))?;
        if !output.status.success() {
            return Err(Error::Io {
                context: format!("mariadb-install-db failed for the {}", component.name()),
                source: std::io::Error::other(
                    String::from_utf8_lossy(&output.stderr).trim().to_owned(),
                ),
            });
        }
    }
    let server_id = if component == Component::Primary {
        1
    } else {
        2
    };
    let mut cmd = Command::new(require("mariadbd")?);
    cmd.arg("--no-defaults")
        .arg(format!("--datadir={}", data.display()))
        .arg(format!("--tmpdir={}", tmp.display()))
        .arg(format!("--socket={}", component.socket(dir).display()))
        .arg(format!("--port={}", component.port(base_port)))
        .arg("--bind-address=127.0.0.1")
        .arg(format!("--pid-file={}", component.pid_file(dir).display()))
        .arg(format!("--log-error={}", log.display()))
        .arg(format!("--server-id={server_id}"))
        .arg("--log-bin=mysql-bin")
        .arg("--binlog-format=ROW")
        .arg("--log-slave-updates=1")
        .arg("--gtid-strict-mode=1")
        .arg("--skip-name-resolve")
        .arg("--character-set-server=utf8mb4")
        .arg("--innodb-buffer-pool-size=256M")
        .arg("--innodb-flush-log-at-trx-commit=2")
        .arg("--performance-schema=ON")
        .arg("--userstat=1")
        .arg("--max-allowed-packet=64M");
    if component == Component::Replica {
        cmd.arg("--read-only=1").arg("--relay-log=relay-bin");
    }
    if is_root() {
        cmd.arg("--user=root");
    }
    spawn_detached(cmd, &home.join("stdout.log"))
}

pub(super) fn start_redis(dir: &Path, component: Component, base_port: u16) -> Result<()> {
    let home = component.workdir(dir);
    std::fs::create_dir_all(&home)
        .map_err(|e| Error::io(format!("creating {}", home.display()), e))?;
    let port = component.port(base_port);
    let common = format!(
        "port {port}\nbind 127.0.0.1\ndaemonize yes\npidfile {}\nlogfile {}\ndir {}\n",
        component.pid_file(dir).display(),
        component.log_file(dir).display(),
        home.display()
    );
    let conf = home.join(if component == Component::Sentinel {
        "sentinel.conf"
    } else {
        "redis.conf"
    });
    let body = match component {
        Component::Sentinel => format!(
            "{common}sentinel monitor {SENTINEL_MASTER} 127.0.0.1 {master} 1\n\
             sentinel down-after-milliseconds {SENTINEL_MASTER} 2000\n\
             sentinel failover-timeout {SENTINEL_MASTER} 10000\n\
             sentinel parallel-syncs {SENTINEL_MASTER} 1\n",
            master = Component::RedisMaster.port(base_port)
        ),
        _ => {
            let mut body = format!(
                "{common}save 900 1\nsave 300 10\nsave 60 10000\nappendonly no\nrepl-diskless-sync-delay 0\n\
                 maxmemory 256mb\nmaxmemory-policy allkeys-lru\nslowlog-log-slower-than 10000\nslowlog-max-len 128\n"
            );
            if component == Component::RedisReplica {
                body.push_str(&format!(
                    "replicaof 127.0.0.1 {}\nreplica-read-only yes\n",
                    Component::RedisMaster.port(base_port)
                ));
            }
            body
        }
    };
    // Sentinel rewrites its file with what it learns; keep that across restarts.
    if component != Component::Sentinel || !conf.exists() {
        std::fs::write(&conf, body)
            .map_err(|e| Error::io(format!("writing {}", conf.display()), e))?;
    }
    let program = if component == Component::Sentinel {
        "redis-sentinel"
    } else {
        "redis-server"
    };
    let mut cmd = Command::new(require(program)?);
    cmd.arg(&conf);
    spawn_detached(cmd, &home.join("stdout.log"))
}

/// Starts a server in its own process group so it outlives this process and a Ctrl-C here.
pub(super) fn spawn_detached(mut cmd: Command, output: &Path) -> Result<()> {
    use std::os::unix::process::CommandExt;
    let out = std::fs::File::create(output)
        .map_err(|e| Error::io(format!("creating {}", output.display()), e))?;
    let err = out.try_clone().map_err(|e| Error::io("opening a log", e))?;
    cmd.stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .process_group(0);
    let mut child = cmd
        .spawn()
        .map_err(|e| Error::io("starting a sandbox server", e))?;
    // Reap it when it exits, so a long-lived host (the desktop app, a test) keeps no zombie.
    std::thread::spawn(move || child.wait());
    Ok(())
}

pub(super) async fn wait_for_mariadb(
    dir: &Path,
    component: Component,
    base_port: u16,
) -> Result<MysqlServer> {
    let mut target = sandbox_mysql_target(component.port(base_port));
    target.database = None;
    let deadline = Instant::now() + READY_TIMEOUT;
    loop {
        match MysqlServer::connect(&target, Duration::from_secs(2), 2).await {
            Ok(server) => return Ok(server),
            Err(e) if Instant::now() > deadline => return Err(e),
            Err(_) => {}
        }
        if component.pid_file(dir).exists() && running_pid(dir, component).is_none() {
            return Err(Error::Io {
                context: format!("the sandbox {} stopped while starting", component.name()),
                source: std::io::Error::other(log_tail(&component.log_file(dir))),
            });
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

pub(super) async fn wait_for_redis(
    dir: &Path,
    component: Component,
    base_port: u16,
) -> Result<RedisServer> {
    let target = RedisTarget::new("127.0.0.1", component.port(base_port));
    let deadline = Instant::now() + READY_TIMEOUT;
    loop {
        match RedisServer::connect(&target, Duration::from_secs(2)).await {
            Ok(server) => return Ok(server),
            Err(e) if Instant::now() > deadline => {
                return Err(Error::Io {
                    context: format!("the sandbox {} did not start: {e}", component.name()),
                    source: std::io::Error::other(log_tail(&component.log_file(dir))),
                });
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

pub(super) async fn configure_replication(
    primary: &MysqlServer,
    replica: &MysqlServer,
    base_port: u16,
) -> Result<()> {
    // Loopback only, so the replication account needs no password (and none lands on disk).
    sqlx::raw_sql(
        "CREATE USER IF NOT EXISTS 'repl'@'127.0.0.1'; \
         GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO 'repl'@'127.0.0.1'; \
         CREATE DATABASE IF NOT EXISTS mindpal CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci",
    )
    .execute(&primary.pool)
    .await
    .map_err(|e| primary.err(e))?;
    let configured: Option<sqlx::mysql::MySqlRow> = sqlx::query("SHOW SLAVE STATUS")
        .fetch_optional(&replica.pool)
        .await
        .map_err(|e| replica.err(e))?;
    if configured.is_none() {
        // CHANGE MASTER takes no placeholders; the port is a number we chose.
        let change = format!(
            "CHANGE MASTER TO MASTER_HOST = '127.0.0.1', MASTER_PORT = {}, MASTER_USER = 'repl', \
             MASTER_PASSWORD = '', MASTER_USE_GTID = slave_pos, MASTER_CONNECT_RETRY = 1",
            Component::Primary.port(base_port)
        );
        sqlx::raw_sql(sqlx::AssertSqlSafe(change))
            .execute(&replica.pool)
            .await
            .map_err(|e| replica.err(e))?;
    }
    sqlx::raw_sql("START SLAVE")
        .execute(&replica.pool)
        .await
        .map_err(|e| replica.err(e))?;
    Ok(())
}

/// The pid of `component` if its process runs in this sandbox's folder.
pub(super) fn running_pid(dir: &Path, component: Component) -> Option<u32> {
    pid_running_in(&component.pid_file(dir), &component.workdir(dir))
}

/// The pid in `pid_file` if that process runs in `workdir`.
pub(super) fn pid_running_in(pid_file: &Path, workdir: &Path) -> Option<u32> {
    let raw = std::fs::read_to_string(pid_file).ok()?;
    let pid: u32 = raw.trim().parse().ok()?;
    let cwd = std::fs::read_link(format!("/proc/{pid}/cwd")).ok()?;
    let ours = std::fs::canonicalize(workdir).ok()?;
    (cwd == ours).then_some(pid)
}

/// A process that exists and is not a zombie waiting to be reaped.
pub(super) fn alive(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state follows the parenthesised command name: `pid (comm) S …`.
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| !rest.trim_start().starts_with('Z')),
        Err(_) => false,
    }
}

pub(super) fn answering(port: u16) -> bool {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    TcpStream::connect_timeout(&addr, Duration::from_millis(300)).is_ok()
}

pub(super) async fn stop(dir: &Path, component: Component) -> Result<bool> {
    let Some(pid) = running_pid(dir, component) else {
        return Ok(false);
    };
    stop_pid(pid).await;
    Ok(true)
}

/// SIGTERM, then SIGKILL when it has not gone within the stop timeout.
pub(super) async fn stop_pid(pid: u32) {
    use nix::sys::signal::{Signal, kill};
    use nix::unistd::Pid;
    let pid = Pid::from_raw(pid as i32);
    let _ = kill(pid, Signal::SIGTERM);
    let deadline = Instant::now() + STOP_TIMEOUT;
    while alive(pid.as_raw()) {
        if Instant::now() > deadline {
            let _ = kill(pid, Signal::SIGKILL);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub(super) fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

pub(super) fn log_tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().rev().take(4).collect();
    lines.into_iter().rev().collect::<Vec<_>>().join(" | ")
}
