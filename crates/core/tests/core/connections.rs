use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use mindpal_core::ErrorKind;
use mindpal_core::mysql::{Flavour, MysqlServer, MysqlTarget};
use mindpal_core::redis::{RedisServer, RedisTarget};
use mindpal_core::secret::Secret;

use crate::support::{self, KillOnDrop, TIMEOUT, free_port, mysql_url};

#[tokio::test]
async fn mariadb_is_detected_with_its_version() {
    let server = support::admin().await;
    assert_eq!(server.info.flavour, Flavour::MariaDb);
    assert!(
        server.info.version.starts_with("10.") || server.info.version.starts_with("11."),
        "{:?}",
        server.info
    );
    assert!(server.info.round_trip_ms > 0.0);
}

#[tokio::test]
async fn a_wrong_password_is_an_auth_failure_that_does_not_repeat_the_password() {
    let mut target = MysqlTarget::from_url(&mysql_url()).unwrap();
    target.user = "mindpal_nobody".into();
    target.password = Some(Secret::new("Wr0ng-Pa55word"));
    let err = MysqlServer::connect(&target, TIMEOUT, 1).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AuthFailed, "{err}");
    assert!(
        !err.to_string().contains("Wr0ng-Pa55word"),
        "the message must not carry the password: {err}"
    );
}

#[tokio::test]
async fn a_refused_port_is_unreachable_and_fails_fast() {
    let target = MysqlTarget::new("127.0.0.1", free_port(), "root");
    let started = Instant::now();
    let err = MysqlServer::connect(&target, TIMEOUT, 1).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unreachable, "{err}");
    assert!(
        started.elapsed() < TIMEOUT,
        "a refused port needs no timeout"
    );
}

#[tokio::test]
async fn an_unknown_host_is_told_apart_from_a_refused_port() {
    let target = MysqlTarget::new("no-such-host.invalid", 3306, "root");
    let err = MysqlServer::connect(&target, TIMEOUT, 1).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UnknownHost, "{err}");
}

#[tokio::test]
async fn a_host_that_never_answers_times_out_within_the_connect_timeout() {
    // Accepts TCP but never sends the MySQL greeting: a frozen server.
    let silent = TcpListener::bind(("127.0.0.1", 0)).unwrap();
    let port = silent.local_addr().unwrap().port();
    let target = MysqlTarget::new("127.0.0.1", port, "root");
    let started = Instant::now();
    let err = MysqlServer::connect(&target, Duration::from_secs(1), 1)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "took {:?}",
        started.elapsed()
    );
    drop(silent);
}

#[tokio::test]
async fn an_unknown_database_is_named_in_the_error() {
    let target = MysqlTarget::from_url(&mysql_url())
        .unwrap()
        .with_database("mindpal_no_such_db");
    let err = MysqlServer::connect(&target, TIMEOUT, 1).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UnknownDatabase, "{err}");
    assert!(err.to_string().contains("mindpal_no_such_db"));
}

#[tokio::test]
async fn redis_is_detected_with_version_and_role() {
    let server = RedisServer::connect(&support::redis_target(0), TIMEOUT)
        .await
        .unwrap();
    assert!(
        server.info.version.starts_with('7') || server.info.version.starts_with('8'),
        "{:?}",
        server.info
    );
    assert_eq!(server.info.role, "master");
}

#[tokio::test]
async fn a_redis_that_is_down_is_unreachable() {
    let err = RedisServer::connect(&RedisTarget::new("127.0.0.1", free_port()), TIMEOUT)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unreachable, "{err}");
}

#[tokio::test]
async fn a_redis_that_wants_auth_says_so_and_a_wrong_password_is_refused() {
    let port = free_port();
    let dir = tempfile::tempdir().unwrap();
    let _redis = KillOnDrop(
        Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--requirepass",
                "right-one",
            ])
            .arg("--dir")
            .arg(dir.path())
            .stdout(Stdio::null())
            .spawn()
            .expect("redis-server is installed"),
    );
    let mut target = RedisTarget::new("127.0.0.1", port);
    let deadline = Instant::now() + Duration::from_secs(10);
    let no_password = loop {
        match RedisServer::connect(&target, TIMEOUT).await {
            Err(e) if e.kind() == ErrorKind::Unreachable && Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(50)).await
            }
            other => break other,
        }
    };
    assert_eq!(no_password.unwrap_err().kind(), ErrorKind::AuthFailed);
    target.password = Some(Secret::new("wrong-one"));
    let err = RedisServer::connect(&target, TIMEOUT).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AuthFailed, "{err}");
    assert!(!err.to_string().contains("wrong-one"));
    target.password = Some(Secret::new("right-one"));
    assert!(RedisServer::connect(&target, TIMEOUT).await.is_ok());
}

#[tokio::test]
async fn a_read_on_a_direct_link_gone_dark_ends_at_its_deadline() {
    let mut target = MysqlTarget::from_url(&mysql_url()).unwrap();
    let link = crate::proxy::LinkProxy::start(target.port, Duration::ZERO).await;
    target.host = "127.0.0.1".into();
    target.port = link.port;
    target.socket = None;
    let server = MysqlServer::connect(&target, TIMEOUT, 1).await.unwrap();
    let read = || async {
        sqlx::query_as::<_, (i64,)>("SELECT 1")
            .fetch_one(&server.pool)
            .await
            .map_err(|e| server.err(e))
    };
    let limit = Duration::from_secs(2);
    assert_eq!(
        mindpal_core::mysql::read_within(&server, limit, read())
            .await
            .unwrap(),
        (1,)
    );

    link.go_dark();
    // Unbounded, the read just waits: nothing closes a link whose packets vanish.
    assert!(
        tokio::time::timeout(Duration::from_secs(3), read())
            .await
            .is_err()
    );
    let started = Instant::now();
    let err = mindpal_core::mysql::read_within(&server, limit, read())
        .await
        .unwrap_err();
    assert!(started.elapsed() < limit + Duration::from_secs(1));
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert!(err.to_string().contains(&link.port.to_string()), "{err}");
}
