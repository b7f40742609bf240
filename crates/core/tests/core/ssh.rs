//! Servers reached through SSH bastions: real sshd processes on loopback, with their own
//! host keys, in front of the test MariaDB and Redis.

use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::Duration;

use mindpal_core::mysql::{MysqlServer, MysqlTarget};
use mindpal_core::redis::RedisServer;
use mindpal_core::sandbox::bastion::{self, BastionFiles};
use mindpal_core::ssh::{SshAuth, SshProfile, TunnelState, Via};
use mindpal_core::{Error, ErrorKind};

use crate::support::{TIMEOUT, free_port, mysql_url, redis_target};

/// One sshd on a free loopback port, stopped when dropped.
struct Sshd {
    files: BastionFiles,
    child: Child,
}

impl Sshd {
    fn start(dir: &Path) -> Sshd {
        let files = bastion::prepare(dir, free_port()).unwrap();
        Sshd::run(files)
    }

    fn run(files: BastionFiles) -> Sshd {
        let child = bastion::command(&files)
            .unwrap()
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("sshd starts");
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", files.port)).is_err() {
            assert!(std::time::Instant::now() < deadline, "sshd did not listen");
            std::thread::sleep(Duration::from_millis(50));
        }
        Sshd { files, child }
    }

    /// Stops the listener and every session it forked (each its own process): the bastion
    /// host gone, not just restarted.
    fn stop(mut self) -> BastionFiles {
        kill_tree(self.child.id());
        let _ = self.child.wait();
        self.files.clone()
    }

    fn profile(&self, known_hosts: &Path) -> SshProfile {
        SshProfile {
            host: format!("root@127.0.0.1:{}", self.files.port),
            key_file: Some(self.files.client_key.clone()),
            known_hosts: Some(known_hosts.to_owned()),
            ..Default::default()
        }
    }

    fn fingerprint(&self) -> String {
        bastion::host_fingerprint(&self.files).unwrap()
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        kill_tree(self.child.id());
        let _ = self.child.wait();
    }
}

/// Kills `pid` and its descendants, found through /proc.
fn kill_tree(pid: u32) {
    let children: Vec<u32> = std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let stat = std::fs::read_to_string(entry.path().join("stat")).ok()?;
            // `pid (comm) state ppid …`; comm may hold spaces, so read after its `)`.
            let ppid: u32 = stat
                .rsplit_once(')')?
                .1
                .split_whitespace()
                .nth(1)?
                .parse()
                .ok()?;
            (ppid == pid).then(|| entry.file_name().to_str()?.parse().ok())?
        })
        .collect();
    for child in children {
        kill_tree(child);
    }
    let _ = nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid as i32),
        nix::sys::signal::Signal::SIGKILL,
    );
}

fn database_via(via: &Via) -> MysqlTarget {
    let mut target = MysqlTarget::from_url(&mysql_url()).unwrap();
    target.via = Some(via.clone());
    target
}

async fn connect(ssh: &SshProfile) -> Result<MysqlServer, Error> {
    let via = Via::with_config(ssh, TIMEOUT, None)?;
    MysqlServer::connect(&database_via(&via), TIMEOUT, 2).await
}

fn known_hosts_of(dir: &Path) -> PathBuf {
    dir.join("known_hosts")
}

#[tokio::test]
async fn an_unknown_host_key_is_asked_once_then_mysql_and_redis_answer_through_the_bastion() {
    let dir = tempfile::tempdir().unwrap();
    let sshd = Sshd::start(&dir.path().join("bastion"));
    let known = known_hosts_of(dir.path());
    let mut ssh = sshd.profile(&known);

    let err = connect(&ssh).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::HostKeyUnknown, "{err}");
    let Error::HostKeyUnknown { hop, fingerprint } = &err else {
        unreachable!()
    };
    assert_eq!(*fingerprint, sshd.fingerprint());
    assert_eq!(*hop, format!("bastion 127.0.0.1:{}", sshd.files.port));
    assert!(!known.exists(), "nothing is learnt before the user accepts");

    // A fingerprint that is not the offered key's accepts nothing.
    ssh.accept_host_key = Some("SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA".into());
    assert_eq!(
        connect(&ssh).await.unwrap_err().kind(),
        ErrorKind::HostKeyUnknown
    );

    ssh.accept_host_key = Some(sshd.fingerprint());
    let server = connect(&ssh)
        .await
        .expect("accepted once, the bastion lets us through");
    assert!(
        server.info.path.starts_with("via root@bastion 127.0.0.1:"),
        "{}",
        server.info.path
    );
    let (one,): (i64,) = sqlx::query_as("SELECT 1")
        .fetch_one(&server.pool)
        .await
        .unwrap();
    assert_eq!(one, 1);
    let recorded = std::fs::read_to_string(&known).unwrap();
    assert!(recorded.starts_with(&format!("[127.0.0.1]:{} ssh-ed25519 ", sshd.files.port)));

    // The next session knows the key without being told.
    ssh.accept_host_key = None;
    let via = Via::with_config(&ssh, TIMEOUT, None).unwrap();
    assert_eq!(via.state(), TunnelState::NotOpened);
    let server = MysqlServer::connect(&database_via(&via), TIMEOUT, 2)
        .await
        .unwrap();
    assert!(matches!(via.state(), TunnelState::Open { .. }));
    let mut redis = redis_target(0);
    redis.via = Some(via.clone());
    let redis = RedisServer::connect(&redis, TIMEOUT).await.unwrap();
    assert_eq!(redis.info.path, server.info.path);
    let mut conn = redis.conn.clone();
    let pong: String = redis::cmd("PING").query_async(&mut conn).await.unwrap();
    assert_eq!(pong, "PONG");
}

#[tokio::test]
async fn a_changed_host_key_is_refused_with_both_fingerprints() {
    let dir = tempfile::tempdir().unwrap();
    let sshd = Sshd::start(&dir.path().join("bastion"));
    let known = known_hosts_of(dir.path());
    let mut ssh = sshd.profile(&known);
    let first = sshd.fingerprint();
    ssh.accept_host_key = Some(first.clone());
    connect(&ssh).await.unwrap();

    // The same address now answers with another host key.
    let mut files = sshd.stop();
    std::fs::remove_file(&files.host_key).unwrap();
    std::fs::remove_file(files.host_key.with_extension("pub")).unwrap();
    files = bastion::prepare(&files.dir, files.port).unwrap();
    let sshd = Sshd::run(files);
    let second = sshd.fingerprint();
    assert_ne!(first, second);

    for accept in [None, Some(second.clone())] {
        ssh.accept_host_key = accept;
        let err = connect(&ssh).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::HostKeyChanged, "{err}");
        let message = err.to_string();
        assert!(
            message.contains(&first) && message.contains(&second),
            "{message}"
        );
    }
}

#[tokio::test]
async fn each_failure_names_the_hop_that_failed() {
    let dir = tempfile::tempdir().unwrap();
    let sshd = Sshd::start(&dir.path().join("bastion"));
    let known = known_hosts_of(dir.path());
    let mut ssh = sshd.profile(&known);
    ssh.accept_host_key = Some(sshd.fingerprint());

    // Nothing listens on the bastion's port.
    let mut dark = ssh.clone();
    dark.host = format!("root@127.0.0.1:{}", free_port());
    let err = connect(&dark).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unreachable, "{err}");
    assert!(
        err.to_string().contains("cannot reach bastion 127.0.0.1:"),
        "{err}"
    );

    // A key the bastion does not authorize is named.
    let stranger = dir.path().join("stranger_ed25519");
    bastion::key_pair(&stranger).unwrap();
    let mut wrong = ssh.clone();
    wrong.key_file = Some(stranger.clone());
    let err = connect(&wrong).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AuthFailed, "{err}");
    assert!(
        err.to_string()
            .contains(&format!("refused key {}", stranger.display())),
        "{err}"
    );

    // A passphrase-protected key with the wrong passphrase, and with none saved.
    let locked = dir.path().join("locked_ed25519");
    let status = std::process::Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "right horse", "-f"])
        .arg(&locked)
        .status()
        .unwrap();
    assert!(status.success());
    let mut locked_profile = ssh.clone();
    locked_profile.key_file = Some(locked.clone());
    locked_profile.secret = Some(mindpal_core::secret::Secret::new("wrong horse"));
    let err = connect(&locked_profile).await.unwrap_err();
    assert!(
        err.to_string().contains("passphrase wrong for key"),
        "{err}"
    );
    assert!(!err.to_string().contains("wrong horse"), "{err}");
    locked_profile.secret = None;
    let err = connect(&locked_profile).await.unwrap_err();
    assert!(
        err.to_string().contains("protected by a passphrase"),
        "{err}"
    );

    // Password authentication is off on this bastion: refused, and the password not shown.
    let mut password = ssh.clone();
    password.auth = SshAuth::Password;
    password.secret = Some(mindpal_core::secret::Secret::new("hunter2-ssh"));
    let err = connect(&password).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AuthFailed, "{err}");
    assert!(!err.to_string().contains("hunter2-ssh"));

    // The bastion is fine; the database behind it is not there.
    let via = Via::with_config(&ssh, TIMEOUT, None).unwrap();
    let mut target = database_via(&via);
    target.port = free_port();
    let err = MysqlServer::connect(&target, TIMEOUT, 1).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unreachable, "{err}");
    let message = err.to_string();
    assert!(
        message.contains(&format!("database 127.0.0.1:{}", target.port))
            && message.contains(&format!(
                "unreachable from bastion 127.0.0.1:{}",
                sshd.files.port
            )),
        "{message}"
    );
}

#[tokio::test]
async fn proxy_jump_chains_from_the_ssh_config_check_every_hop() {
    let dir = tempfile::tempdir().unwrap();
    let jump = Sshd::start(&dir.path().join("jump"));
    let inner = Sshd::start(&dir.path().join("inner"));
    let known = known_hosts_of(dir.path());
    // Both hops know the same client key: the jump host is reached with the config's key.
    std::fs::copy(
        jump.files.dir.join("authorized_keys"),
        inner.files.dir.join("authorized_keys"),
    )
    .unwrap();
    let config = dir.path().join("ssh_config");
    std::fs::write(
        &config,
        format!(
            "Host prod-bastion\n  HostName 127.0.0.1\n  Port {}\n  User root\n  ProxyJump gate\n\
             Host gate\n  HostName 127.0.0.1\n  Port {}\n  User root\n  IdentityFile {}\n  IdentityAgent none\n",
            inner.files.port,
            jump.files.port,
            jump.files.client_key.display()
        ),
    )
    .unwrap();
    let mut ssh = SshProfile {
        host: "prod-bastion".into(),
        key_file: Some(jump.files.client_key.clone()),
        known_hosts: Some(known.clone()),
        ..Default::default()
    };
    let open = |ssh: &SshProfile| {
        let via = Via::with_config(ssh, TIMEOUT, Some(&config)).unwrap();
        async move { MysqlServer::connect(&database_via(&via), TIMEOUT, 1).await }
    };
    // Each hop's key is asked for in turn, under its own [host]:port.
    let err = open(&ssh).await.unwrap_err();
    assert!(
        matches!(&err, Error::HostKeyUnknown { hop, fingerprint }
            if *hop == format!("jump host 127.0.0.1:{}", jump.files.port) && *fingerprint == jump.fingerprint()),
        "{err}"
    );
    ssh.accept_host_key = Some(jump.fingerprint());
    let err = open(&ssh).await.unwrap_err();
    assert!(
        matches!(&err, Error::HostKeyUnknown { hop, fingerprint }
            if *hop == format!("bastion 127.0.0.1:{}", inner.files.port) && *fingerprint == inner.fingerprint()),
        "{err}"
    );
    ssh.accept_host_key = Some(inner.fingerprint());
    let server = open(&ssh).await.expect("two hops, both known");
    assert_eq!(
        server.info.path,
        format!(
            "via root@jump host 127.0.0.1:{} → root@bastion 127.0.0.1:{}",
            jump.files.port, inner.files.port
        )
    );
    let recorded = std::fs::read_to_string(&known).unwrap();
    assert_eq!(recorded.lines().count(), 2, "{recorded}");

    // The jump host dark: the error names it, not the bastion behind it.
    drop(jump);
    ssh.accept_host_key = None;
    let err = open(&ssh).await.unwrap_err();
    assert!(
        err.to_string()
            .contains("cannot reach jump host 127.0.0.1:"),
        "{err}"
    );
}

#[tokio::test]
async fn the_tunnel_reopens_when_the_bastion_comes_back() {
    let dir = tempfile::tempdir().unwrap();
    let sshd = Sshd::start(&dir.path().join("bastion"));
    let mut ssh = sshd.profile(&known_hosts_of(dir.path()));
    ssh.accept_host_key = Some(sshd.fingerprint());
    let via = Via::with_config(&ssh, TIMEOUT, None).unwrap();
    let target = database_via(&via);
    let first = MysqlServer::connect(&target, TIMEOUT, 2).await.unwrap();

    let files = sshd.stop();
    let err = MysqlServer::connect(&target, TIMEOUT, 1).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unreachable, "{err}");
    assert!(
        matches!(via.state(), TunnelState::Down { .. }),
        "{:?}",
        via.state()
    );

    let _sshd = Sshd::run(files);
    let again = MysqlServer::connect(&target, TIMEOUT, 2)
        .await
        .expect("reopened");
    assert_eq!(
        again.dial_address(),
        first.dial_address(),
        "the forward keeps its port"
    );
    let (one,): (i64,) = sqlx::query_as("SELECT 1")
        .fetch_one(&again.pool)
        .await
        .unwrap();
    assert_eq!(one, 1);
}

#[tokio::test]
async fn the_agent_named_by_identity_agent_logs_in() {
    let dir = tempfile::tempdir().unwrap();
    let sshd = Sshd::start(&dir.path().join("bastion"));
    let socket = dir.path().join("agent.sock");
    let mut agent = std::process::Command::new("ssh-agent")
        .arg("-D")
        .arg("-a")
        .arg(&socket)
        .stdout(Stdio::null())
        .spawn()
        .expect("ssh-agent starts");
    while !socket.exists() {
        std::thread::sleep(Duration::from_millis(20));
    }
    let added = std::process::Command::new("ssh-add")
        .arg(&sshd.files.client_key)
        .env("SSH_AUTH_SOCK", &socket)
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(added.success());
    let config = dir.path().join("ssh_config");
    std::fs::write(
        &config,
        format!(
            "Host gate\n  HostName 127.0.0.1\n  Port {}\n  User root\n  IdentityAgent {}\n",
            sshd.files.port,
            socket.display()
        ),
    )
    .unwrap();
    let ssh = SshProfile {
        host: "gate".into(),
        auth: SshAuth::Agent,
        known_hosts: Some(known_hosts_of(dir.path())),
        accept_host_key: Some(sshd.fingerprint()),
        ..Default::default()
    };
    let via = Via::with_config(&ssh, TIMEOUT, Some(&config)).unwrap();
    let result = MysqlServer::connect(&database_via(&via), TIMEOUT, 1).await;
    let _ = agent.kill();
    let _ = agent.wait();
    result.expect("the agent's key is accepted");
}

#[tokio::test]
async fn a_bastion_link_gone_dark_is_named_within_the_timeout_not_waited_on() {
    let dir = tempfile::tempdir().unwrap();
    let sshd = Sshd::start(&dir.path().join("bastion"));
    // The bastion is far away (40 ms each way) and its link will go dark.
    let link = crate::proxy::LinkProxy::start(sshd.files.port, Duration::from_millis(40)).await;
    let mut ssh = sshd.profile(&known_hosts_of(dir.path()));
    ssh.host = format!("root@127.0.0.1:{}", link.port);
    // The key is recorded under the address dialled: the proxy's.
    let via = Via::with_config(&ssh, TIMEOUT, None).unwrap();
    let Error::HostKeyUnknown { fingerprint, .. } =
        MysqlServer::connect(&database_via(&via), TIMEOUT, 1)
            .await
            .unwrap_err()
    else {
        panic!("the proxy's address is a new host");
    };
    ssh.accept_host_key = Some(fingerprint);
    let limit = Duration::from_secs(2);
    let via = Via::with_config(&ssh, limit, None).unwrap();
    let server = MysqlServer::connect(&database_via(&via), limit, 1)
        .await
        .expect("through the slow link");
    let (one,): (i64,) = sqlx::query_as("SELECT 1")
        .fetch_one(&server.pool)
        .await
        .unwrap();
    assert_eq!(one, 1);

    link.go_dark();
    let started = std::time::Instant::now();
    let err = MysqlServer::connect(&database_via(&via), limit, 1)
        .await
        .unwrap_err();
    // One ping unanswered, then a new connection that gets no handshake: each bounded.
    assert!(
        started.elapsed() < limit * 3,
        "waited {:?}",
        started.elapsed()
    );
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert!(
        err.to_string()
            .starts_with(&format!("bastion 127.0.0.1:{} did not answer", link.port)),
        "{err}"
    );
    assert!(matches!(via.state(), TunnelState::Down { .. }));

    // A profile's servers connect at once: those queued behind the timed-out opening are told
    // at once, so the whole profile fails in one timeout, not one per server.
    let started = std::time::Instant::now();
    let mut redis = redis_target(0);
    redis.via = Some(via.clone());
    let database = database_via(&via);
    let (mysql, redis) = tokio::join!(
        MysqlServer::connect(&database, limit, 1),
        RedisServer::connect(&redis, limit),
    );
    assert_eq!(mysql.unwrap_err().kind(), ErrorKind::Timeout);
    assert_eq!(redis.unwrap_err().kind(), ErrorKind::Timeout);
    assert!(
        started.elapsed() < limit * 2,
        "waited {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn the_proxy_delays_each_way_and_counts_one_exchange_per_round_trip() {
    let target = MysqlTarget::from_url(&mysql_url()).unwrap();
    let link = crate::proxy::LinkProxy::start(target.port, Duration::from_millis(25)).await;
    let mut far = target.clone();
    far.port = link.port;
    let server = MysqlServer::connect(&far, TIMEOUT, 1).await.unwrap();
    let mut conn = server.pool.acquire().await.unwrap();
    link.take_turns();
    let started = std::time::Instant::now();
    let (one,): (i64,) = sqlx::query_as("SELECT 1")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert_eq!(one, 1);
    assert!(
        started.elapsed() >= Duration::from_millis(50),
        "{:?}",
        started.elapsed()
    );
    // A prepared statement's first use is two exchanges (prepare, execute); a plain one, one.
    let exchanges = link.take_turns();
    assert!((1..=2).contains(&exchanges), "{exchanges}");
    sqlx::raw_sql("DO 1").execute(&mut *conn).await.unwrap();
    assert_eq!(link.take_turns(), 1);
}
