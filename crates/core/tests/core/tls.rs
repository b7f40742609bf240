//! TLS, live: a MariaDB that requires TLS and a Redis that speaks only TLS, with certificates
//! made here by openssl (a CA of the test's own, a server certificate for `localhost`).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use mindpal_core::mysql::{MysqlServer, MysqlTarget, TlsMode};
use mindpal_core::redis::{RedisServer, RedisTarget};
use mindpal_core::sandbox::secure::certificates_for;
use mindpal_core::{Error, ErrorKind};

use crate::support::{TIMEOUT, free_port};

/// `ca.pem` (the right CA), `other-ca.pem` (a CA that signed nothing here), and
/// `server.pem`/`server-key.pem` for DNS name `localhost` only.
fn certificates(dir: &Path) {
    certificates_for(dir, "DNS:localhost").unwrap();
    let other = dir.join("other");
    certificates_for(&other, "DNS:localhost").unwrap();
    std::fs::copy(other.join("ca.pem"), dir.join("other-ca.pem")).unwrap();
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn wait_for_port(port: u16, child: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(child.try_wait().unwrap().is_none(), "the server exited");
        assert!(Instant::now() < deadline, "the server did not listen");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A MariaDB of its own that refuses connections without TLS.
fn mariadb_requiring_tls(dir: &Path, certs: &Path) -> (Server, u16) {
    let data = dir.join("data");
    let tmp = dir.join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    let root = nix::unistd::geteuid().is_root();
    let mut install = Command::new("mariadb-install-db");
    install
        .arg("--no-defaults")
        .arg(format!("--datadir={}", data.display()))
        .arg(format!("--tmpdir={}", tmp.display()))
        .arg("--auth-root-authentication-method=normal")
        .arg("--skip-test-db")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if root {
        install.arg("--user=root");
    }
    assert!(install.status().unwrap().success(), "mariadb-install-db");
    let port = free_port();
    let mut server = Command::new("mariadbd");
    server
        .arg("--no-defaults")
        .arg(format!("--datadir={}", data.display()))
        .arg(format!("--tmpdir={}", tmp.display()))
        .arg(format!("--socket={}", dir.join("mysqld.sock").display()))
        .arg(format!("--port={port}"))
        .arg("--bind-address=127.0.0.1")
        .arg("--skip-name-resolve")
        .arg("--innodb-buffer-pool-size=16M")
        .arg(format!("--ssl-ca={}", certs.join("ca.pem").display()))
        .arg(format!("--ssl-cert={}", certs.join("server.pem").display()))
        .arg(format!(
            "--ssl-key={}",
            certs.join("server-key.pem").display()
        ))
        .arg("--require-secure-transport=ON")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if root {
        server.arg("--user=root");
    }
    let mut child = server.spawn().expect("mariadbd starts");
    wait_for_port(port, &mut child);
    (Server(child), port)
}

fn target(port: u16, host: &str, tls: TlsMode, ca: Option<PathBuf>) -> MysqlTarget {
    let mut t = MysqlTarget::new(host, port, "root");
    t.tls = tls;
    t.ca_file = ca;
    t
}

#[tokio::test]
async fn mysql_tls_modes_against_a_server_that_requires_tls() {
    let dir = tempfile::tempdir().unwrap();
    let certs = dir.path().join("certs");
    std::fs::create_dir_all(&certs).unwrap();
    certificates(&certs);
    let (_server, port) = mariadb_requiring_tls(&dir.path().join("mariadb"), &certs);
    let ca = Some(certs.join("ca.pem"));
    let other = Some(certs.join("other-ca.pem"));

    // Encrypted and verified: the version and cipher are what the server says.
    for (host, mode, ca) in [
        ("127.0.0.1", TlsMode::Preferred, None),
        ("127.0.0.1", TlsMode::Required, None),
        ("127.0.0.1", TlsMode::VerifyCa, ca.clone()),
        ("localhost", TlsMode::VerifyIdentity, ca.clone()),
    ] {
        let server = MysqlServer::connect(&target(port, host, mode, ca), TIMEOUT, 1)
            .await
            .unwrap_or_else(|e| panic!("{mode:?} to {host}: {e}"));
        assert!(server.info.tls, "{mode:?}");
        assert!(
            server
                .info
                .tls_version
                .as_deref()
                .is_some_and(|v| v.starts_with("TLSv1.")),
            "{:?}",
            server.info
        );
        assert!(server.info.tls_cipher.is_some(), "{:?}", server.info);
    }

    let refused = |e: &Error, words: &str| {
        let message = e.to_string();
        assert_eq!(e.kind(), ErrorKind::Tls, "{message}");
        assert!(message.contains(words), "expected `{words}` in: {message}");
        assert_eq!(message.lines().count(), 1, "one line: {message}");
    };
    for (mode, ca, cause) in [
        (TlsMode::VerifyCa, other, "not signed by the CA file"),
        (TlsMode::VerifyIdentity, ca, "not issued for 127.0.0.1"),
        (TlsMode::Disabled, None, "requires TLS"),
    ] {
        let err = MysqlServer::connect(&target(port, "127.0.0.1", mode, ca), TIMEOUT, 1)
            .await
            .unwrap_err();
        refused(&err, cause);
    }
}

#[tokio::test]
async fn redis_over_tls_with_a_ca_file() {
    let dir = tempfile::tempdir().unwrap();
    certificates(dir.path());
    let port = free_port();
    let mut child = Command::new("redis-server")
        .args([
            "--port",
            "0",
            "--tls-port",
            &port.to_string(),
            "--save",
            "",
            "--appendonly",
            "no",
        ])
        .args(["--tls-auth-clients", "no", "--bind", "127.0.0.1"])
        .arg("--tls-cert-file")
        .arg(dir.path().join("server.pem"))
        .arg("--tls-key-file")
        .arg(dir.path().join("server-key.pem"))
        .arg("--tls-ca-cert-file")
        .arg(dir.path().join("ca.pem"))
        .arg("--dir")
        .arg(dir.path())
        .stdout(Stdio::null())
        .spawn()
        .expect("redis-server starts");
    wait_for_port(port, &mut child);
    let _server = Server(child);

    let mut target = RedisTarget::from_url(&format!("rediss://localhost:{port}")).unwrap();
    target.ca_file = Some(dir.path().join("ca.pem"));
    let server = RedisServer::connect(&target, TIMEOUT)
        .await
        .expect("TLS with the CA");
    assert!(server.info.tls);
    let mut conn = server.conn.clone();
    let pong: String = redis::cmd("PING").query_async(&mut conn).await.unwrap();
    assert_eq!(pong, "PONG");

    target.ca_file = Some(dir.path().join("other-ca.pem"));
    let err = RedisServer::connect(&target, TIMEOUT).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Tls, "{err}");
    assert!(
        err.to_string().contains("not signed by the CA file"),
        "{err}"
    );

    // A plain client on the TLS port gets no answer it understands: said so, in one line.
    let plain = RedisTarget::from_url(&format!("redis://127.0.0.1:{port}")).unwrap();
    let err = RedisServer::connect(&plain, Duration::from_secs(2))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("TLS"), "{err}");
}
