//! The sandbox's processes: starting MariaDB and Redis detached with their own folders,
//! waiting until they answer, wiring replication, and stopping them by the pid they wrote.

use super::*;
use crate::error::ErrorKind;
use crate::secret::Secret;

pub(super) fn start_mariadb(
    dir: &Path,
    component: Component,
    base_port: u16,
    secure: bool,
) -> Result<()> {
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
    if secure {
        let tls = secure::TlsFiles::folder(dir)?;
        cmd.arg(format!("--ssl-ca={}", tls.join("ca.pem").display()))
            .arg(format!("--ssl-cert={}", tls.join("server.pem").display()))
            .arg(format!(
                "--ssl-key={}",
                tls.join("server-key.pem").display()
            ))
            .arg("--require-secure-transport=ON");
    }
    if is_root() {
        cmd.arg("--user=root");
    }
    spawn_detached(cmd, &home.join("stdout.log"))
}

pub(super) fn start_redis(
    dir: &Path,
    component: Component,
    base_port: u16,
    access: &Access,
) -> Result<()> {
    let home = component.workdir(dir);
    std::fs::create_dir_all(&home)
        .map_err(|e| Error::io(format!("creating {}", home.display()), e))?;
    let port = component.port(base_port);
    let listen = match access.ca_file {
        // TLS only: no plain port at all, and replication (and Sentinel's checks) over TLS.
        Some(_) => {
            let tls = secure::TlsFiles::folder(dir)?;
            format!(
                "port 0\ntls-port {port}\ntls-cert-file {}\ntls-key-file {}\ntls-ca-cert-file {}\n\
                 tls-auth-clients no\ntls-replication yes\n",
                tls.join("server.pem").display(),
                tls.join("server-key.pem").display(),
                tls.join("ca.pem").display()
            )
        }
        None => format!("port {port}\n"),
    };
    let common = format!(
        "{listen}bind 127.0.0.1\ndaemonize yes\npidfile {}\nlogfile {}\ndir {}\n",
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
             sentinel parallel-syncs {SENTINEL_MASTER} 1\n{auth}",
            master = Component::RedisMaster.port(base_port),
            // Sentinel keeps what it follows its master with in its own file, as it must.
            auth = access
                .credentials
                .as_ref()
                .map(|c| format!(
                    "sentinel auth-pass {SENTINEL_MASTER} {}\n",
                    c.redis.expose()
                ))
                .unwrap_or_default()
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
        write_private(&conf, &body)?;
    }
    let program = if component == Component::Sentinel {
        "redis-sentinel"
    } else {
        "redis-server"
    };
    let mut cmd = Command::new(require(program)?);
    cmd.arg(&conf);
    // A data node's password comes on standard input (`-`): never in its file or `ps`. Both
    // get `masterauth`, so a master Sentinel demotes can follow the new one.
    let password = match (&access.credentials, component) {
        (Some(c), Component::RedisMaster | Component::RedisReplica) => {
            cmd.arg("-");
            let p = c.redis.expose();
            Some(Secret::new(format!("requirepass {p}\nmasterauth {p}\n")))
        }
        _ => None,
    };
    spawn_detached_fed(cmd, &home.join("stdout.log"), password.as_ref())
}

/// Writes a file only its owner can read.
fn write_private(path: &Path, body: &str) -> Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .and_then(|mut f| f.write_all(body.as_bytes()))
        .map_err(|e| Error::io(format!("writing {}", path.display()), e))
}

/// Starts a server in its own process group so it outlives this process and a Ctrl-C here.
pub(super) fn spawn_detached(cmd: Command, output: &Path) -> Result<()> {
    spawn_detached_fed(cmd, output, None)
}

/// [`spawn_detached`], writing `input` to the process's standard input first.
pub(super) fn spawn_detached_fed(
    mut cmd: Command,
    output: &Path,
    input: Option<&Secret>,
) -> Result<()> {
    use std::io::Write;
    use std::os::unix::process::CommandExt;
    let out = std::fs::File::create(output)
        .map_err(|e| Error::io(format!("creating {}", output.display()), e))?;
    let err = out.try_clone().map_err(|e| Error::io("opening a log", e))?;
    cmd.stdin(if input.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(out)
    .stderr(err)
    .process_group(0);
    let mut child = cmd
        .spawn()
        .map_err(|e| Error::io("starting a sandbox server", e))?;
    if let (Some(input), Some(mut stdin)) = (input, child.stdin.take()) {
        stdin
            .write_all(input.expose().as_bytes())
            .map_err(|e| Error::io("handing a sandbox server its password", e))?;
    }
    // Reap it when it exits, so a long-lived host (the desktop app, a test) keeps no zombie.
    std::thread::spawn(move || child.wait());
    Ok(())
}

pub(super) async fn wait_for_mariadb(
    dir: &Path,
    component: Component,
    base_port: u16,
    access: &Access,
) -> Result<MysqlServer> {
    let mut target = access.mysql(component.port(base_port));
    target.database = None;
    let deadline = Instant::now() + READY_TIMEOUT;
    loop {
        match MysqlServer::connect(&target, Duration::from_secs(2), 2).await {
            Ok(server) => return Ok(server),
            // A secure sandbox's new server: root has no password yet; give it one.
            Err(e) if e.kind() == ErrorKind::AuthFailed && target.password.is_some() => {
                let open = MysqlTarget {
                    password: None,
                    ..target.clone()
                };
                let Ok(server) = MysqlServer::connect(&open, Duration::from_secs(2), 1).await
                else {
                    return Err(e);
                };
                let password = target.password.as_ref().expect("checked above");
                set_root_password(&server, password).await?;
                server.pool.close().await;
            }
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

/// Gives every `root` account of `server` the hash of `password`, on that server only
/// (not written to the binary log, so the replica keeps its own).
async fn set_root_password(server: &MysqlServer, password: &Secret) -> Result<()> {
    // mariadb-install-db also makes root@<this machine's name>, which --skip-name-resolve
    // cannot match and ALTER USER cannot change: it goes, so no passwordless root is left.
    const LOOPBACK: &str = "('localhost', '127.0.0.1', '::1')";
    let hosts: Vec<(String,)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT CAST(Host AS CHAR CHARACTER SET utf8mb4) FROM mysql.global_priv \
         WHERE User = 'root' AND Host IN {LOOPBACK}"
    )))
    .fetch_all(&server.pool)
    .await
    .map_err(|e| server.err(e))?;
    let hash = secure::sql_literal(&secure::native_password_hash(password));
    let mut sql = format!(
        "SET SESSION sql_log_bin = 0; \
         DELETE FROM mysql.global_priv WHERE User = 'root' AND Host NOT IN {LOOPBACK}; \
         FLUSH PRIVILEGES"
    );
    for (host,) in hosts {
        sql.push_str(&format!(
            "; ALTER USER 'root'@{} IDENTIFIED BY PASSWORD {hash}",
            secure::sql_literal(&host)
        ));
    }
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
        .execute(&server.pool)
        .await
        .map_err(|e| server.err(e))?;
    Ok(())
}

pub(super) async fn wait_for_redis(
    dir: &Path,
    component: Component,
    base_port: u16,
    access: &Access,
) -> Result<RedisServer> {
    let target = access.redis(component, base_port);
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
    access: &Access,
) -> Result<()> {
    let configured: Option<sqlx::mysql::MySqlRow> = sqlx::query("SHOW SLAVE STATUS")
        .fetch_optional(&replica.pool)
        .await
        .map_err(|e| replica.err(e))?;
    // A plain sandbox is loopback only and its replication account has no password; a secure
    // one's gets a new one whenever the replica is (re)configured, kept by the replica alone.
    let password = match (&configured, &access.credentials) {
        (None, Some(_)) => Some(secure::generate_password()?),
        _ => None,
    };
    let identified = match &password {
        Some(p) => format!(
            " IDENTIFIED BY PASSWORD {}",
            secure::sql_literal(&secure::native_password_hash(p))
        ),
        None => String::new(),
    };
    let account = format!(
        "CREATE USER IF NOT EXISTS 'repl'@'127.0.0.1'{identified}; \
         GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO 'repl'@'127.0.0.1'; \
         CREATE DATABASE IF NOT EXISTS mindpal CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
    );
    let account = match &password {
        Some(_) => format!("{account}; ALTER USER 'repl'@'127.0.0.1'{identified}"),
        None => account,
    };
    sqlx::raw_sql(sqlx::AssertSqlSafe(account))
        .execute(&primary.pool)
        .await
        .map_err(|e| primary.err(e))?;
    if configured.is_none() {
        // CHANGE MASTER takes no placeholders: the port is a number we chose, the password
        // hex we generated, the CA a path in the sandbox's folder.
        let tls = match &access.ca_file {
            Some(ca) => format!(
                ", MASTER_SSL = 1, MASTER_SSL_CA = {}, MASTER_SSL_VERIFY_SERVER_CERT = 1",
                secure::sql_literal(&ca.display().to_string())
            ),
            None => String::new(),
        };
        let change = format!(
            "CHANGE MASTER TO MASTER_HOST = '127.0.0.1', MASTER_PORT = {}, MASTER_USER = 'repl', \
             MASTER_PASSWORD = {}, MASTER_USE_GTID = slave_pos, MASTER_CONNECT_RETRY = 1{tls}",
            Component::Primary.port(base_port),
            secure::sql_literal(password.as_ref().map_or("", |p| p.expose())),
        );
        // On a connection of its own that logs no statement: this one holds a password.
        use sqlx::{ConnectOptions, Connection};
        let mut target = access.mysql(Component::Replica.port(base_port));
        target.database = None;
        let mut quiet = target
            .options(None)
            .disable_statement_logging()
            .connect()
            .await
            .map_err(|e| replica.err(e))?;
        sqlx::raw_sql(sqlx::AssertSqlSafe(change))
            .execute(&mut quiet)
            .await
            .map_err(|e| replica.err(e))?;
        let _ = quiet.close().await;
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
