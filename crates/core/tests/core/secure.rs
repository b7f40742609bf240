//! The secure sandbox: passwords on every account, TLS required by MariaDB and Redis, and the
//! bastion in front; its profile reaches every server through the bastion, encrypted.

use std::time::{Duration, Instant};

use mindpal_core::ErrorKind;
use mindpal_core::mysql::{MysqlServer, TlsMode};
use mindpal_core::profiles::{self};
use mindpal_core::redis::RedisMode;
use mindpal_core::redis::{RedisServer, RedisTarget, connect_topology};
use mindpal_core::sandbox::{self, UpOptions, secure::Credentials};

use crate::support::{TIMEOUT, free_port_run};

/// Every file under `dir` whose bytes hold `needle`.
fn files_holding(dir: &std::path::Path, needle: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(path) = stack.pop() {
        if path.is_dir() {
            for entry in std::fs::read_dir(&path).unwrap().flatten() {
                stack.push(entry.path());
            }
        } else if let Ok(bytes) = std::fs::read(&path)
            && bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
        {
            found.push(path.strip_prefix(dir).unwrap().display().to_string());
        }
    }
    found.sort();
    found
}

/// Command lines of every process that holds `needle`.
fn processes_holding(needle: &str) -> Vec<String> {
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| std::fs::read(e.path().join("cmdline")).ok())
        .map(|c| String::from_utf8_lossy(&c).replace('\0', " "))
        .filter(|c| c.contains(needle))
        .collect()
}

/// The sandbox's profile as the window holds it: its passwords filled in (the keyring's, in
/// the app) and its bastion open.
fn through_bastion_with(
    profile: &mut profiles::Profile,
    credentials: &Credentials,
    status: &sandbox::SandboxStatus,
    home: &std::path::Path,
) {
    profiles::secrets::resolve(profile, &|slot| match slot {
        profiles::secrets::Slot::Mysql => Some(credentials.mysql.clone()),
        profiles::secrets::Slot::Redis => Some(credentials.redis.clone()),
        _ => None,
    })
    .unwrap();
    crate::support::through_sandbox_bastion(profile, status, home);
}

#[tokio::test]
async fn a_secure_sandbox_requires_tls_and_passwords_and_its_profile_goes_through_the_bastion() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("sandbox");
    let store = home.path().join("profiles.json");
    let credentials = Credentials::generate().unwrap();
    let options = UpOptions {
        dir: dir.clone(),
        base_port: Some(free_port_run(6)),
        seed_scale: Some(0.001),
        profile_store: Some(store.clone()),
        bastion: true,
        redis_cluster: false,
        secure: Some(credentials.clone()),
    };
    let status = sandbox::up(&options, &|_| {})
        .await
        .expect("the secure sandbox comes up");
    assert!(status.all_running() && status.is_secure(), "{status:#?}");
    let ca = status.ca_file.clone().unwrap();
    assert!(ca.is_absolute() && ca.exists());
    let (mysql_password, redis_password) = (
        credentials.mysql.expose().to_owned(),
        credentials.redis.expose().to_owned(),
    );

    // MariaDB: no TLS, no password, or a CA that is not the sandbox's: each refused, by name.
    let mut primary = status.primary_target();
    assert_eq!(primary.tls, TlsMode::VerifyIdentity);
    let mut plain = primary.clone();
    plain.tls = TlsMode::Disabled;
    plain.password = Some(credentials.mysql.clone());
    let err = MysqlServer::connect(&plain, TIMEOUT, 1).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Tls, "{err}");
    let err = MysqlServer::connect(&primary, TIMEOUT, 1)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AuthFailed, "{err}");
    primary.password = Some(credentials.mysql.clone());
    let server = MysqlServer::connect(&primary, TIMEOUT, 2).await.unwrap();
    assert!(server.info.tls, "{:?}", server.info);
    let mut replica_target = status.replica_target();
    replica_target.password = Some(credentials.mysql.clone());
    let replica = MysqlServer::connect(&replica_target, TIMEOUT, 1)
        .await
        .unwrap();
    assert!(replica.info.tls);

    // Replication runs over TLS, with a password, and carries rows.
    sqlx::query("INSERT INTO system_settings (user_id, setting_key, setting_value) VALUES (NULL, 'secure.probe', 'sealed')")
        .execute(&server.pool).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let found: Option<(String,)> = sqlx::query_as(
            "SELECT setting_value FROM system_settings WHERE setting_key = 'secure.probe'",
        )
        .fetch_optional(&replica.pool)
        .await
        .unwrap();
        if found.is_some() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the row never reached the replica"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let slave: sqlx::mysql::MySqlRow = sqlx::query("SHOW SLAVE STATUS")
        .fetch_one(&replica.pool)
        .await
        .unwrap();
    use sqlx::Row;
    let ssl: String = slave.try_get("Master_SSL_Allowed").unwrap();
    let verified: String = slave.try_get("Master_SSL_Verify_Server_Cert").unwrap();
    assert_eq!((ssl.as_str(), verified.as_str()), ("Yes", "Yes"));

    // Redis: TLS only, and a password; Sentinel over TLS names the master.
    let redis_master = status.redis_master_target();
    assert!(redis_master.tls);
    let plain_redis = RedisTarget::new("127.0.0.1", redis_master.port);
    assert!(RedisServer::connect(&plain_redis, TIMEOUT).await.is_err());
    let err = RedisServer::connect(&redis_master, TIMEOUT)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AuthFailed, "{err}");

    // The registered profile: TLS verified, passwords marked as in the keyring, none in the store.
    let mut profile = profiles::find(&store, sandbox::PROFILE_NAME).unwrap();
    assert!(profile.mysql.password_saved && profile.mysql.tls == TlsMode::VerifyIdentity);
    let redis = profile.redis.clone().unwrap();
    assert_eq!(redis.mode, RedisMode::Sentinel);
    assert!(redis.nodes[0].tls && redis.nodes[0].password_saved);
    let raw = std::fs::read_to_string(&store).unwrap();
    assert!(!raw.contains(&mysql_password) && !raw.contains(&redis_password));

    // Through the bastion, every server answers encrypted.
    through_bastion_with(&mut profile, &credentials, &status, home.path());
    let checks = profiles::check(&profile, TIMEOUT).await;
    assert_eq!(checks.len(), 3, "{checks:#?}");
    for check in &checks {
        let summary = check
            .outcome
            .as_ref()
            .unwrap_or_else(|e| panic!("{} {}: {e}", check.role, check.address));
        assert!(summary.tls, "{check:?}");
        assert!(summary.path.starts_with("via "), "{check:?}");
    }
    let master = connect_topology(profile.redis.as_ref().unwrap(), TIMEOUT)
        .await
        .expect("Sentinel over TLS names the master, reached with the password");
    let keys: i64 = redis::cmd("DBSIZE")
        .query_async(&mut master.conn.clone())
        .await
        .unwrap();
    assert!(keys > 0, "seeded over TLS");

    // No password in a file the sandbox wrote but Sentinel's own, nor on a command line.
    assert_eq!(files_holding(&dir, &mysql_password), Vec::<String>::new());
    assert_eq!(
        files_holding(&dir, &redis_password),
        vec!["sentinel/sentinel.conf".to_owned()]
    );
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&dir).unwrap().permissions().mode();
    assert_eq!(
        mode & 0o077,
        0,
        "the secure sandbox's folder is private: {mode:o}"
    );
    assert!(processes_holding(&mysql_password).is_empty());
    assert!(processes_holding(&redis_password).is_empty());

    // A secure sandbox does not start without its passwords, nor does a plain one become secure.
    let err = sandbox::up(
        &UpOptions {
            secure: None,
            ..options.clone()
        },
        &|_| {},
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict, "{err}");
    let again = sandbox::up(&options, &|_| {}).await.expect("idempotent");
    assert!(again.all_running());

    sandbox::down(&dir, true).await.unwrap();
}

#[tokio::test]
async fn a_secure_cluster_is_browsed_through_the_bastion_over_tls_with_its_password() {
    use mindpal_core::access::Actor;
    use mindpal_core::cache::{self, ScanRequest};
    use mindpal_core::replication::{Verdict, redis_links};

    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("sandbox");
    let credentials = Credentials::generate().unwrap();
    let status = sandbox::up(
        &UpOptions {
            dir: dir.clone(),
            base_port: Some(free_port_run(18)),
            seed_scale: Some(0.001),
            profile_store: None,
            bastion: true,
            redis_cluster: true,
            secure: Some(credentials.clone()),
        },
        &|_| {},
    )
    .await
    .expect("the secure sandbox comes up with its cluster");
    let cluster = status.cluster.clone().unwrap();
    assert!(cluster.running());

    // A node takes neither plain text nor TLS without the password.
    let seed = &cluster.seeds()[0];
    assert!(seed.tls && seed.password_saved);
    let plain = RedisTarget::new("127.0.0.1", seed.port);
    assert!(RedisServer::connect(&plain, TIMEOUT).await.is_err());
    let err = RedisServer::connect(seed, TIMEOUT).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AuthFailed, "{err}");

    let mut profile = sandbox::sandbox_profile(&status);
    through_bastion_with(&mut profile, &credentials, &status, home.path());
    let redis = profile.redis.clone().unwrap();
    assert_eq!(redis.mode, RedisMode::Cluster);

    // Every master dialled through the bastion, over TLS, by its announced (TLS) port.
    let nodes = cache::nodes(&redis, Actor::OPERATOR, TIMEOUT)
        .await
        .unwrap();
    assert_eq!(nodes.servers.len(), 3);
    for server in &nodes.servers {
        assert!(
            server.info.tls && server.info.path.starts_with("via "),
            "{:?}",
            server.info
        );
    }
    let total = cache::keyspace(&nodes).await.unwrap();
    assert!(total >= 2_000, "seeded over TLS: {total}");
    let page = cache::scan(
        &nodes,
        &ScanRequest {
            pattern: String::new(),
            cursor: String::new(),
            page_size: 50,
            count: Some(50),
            confirm_large: false,
        },
    )
    .await
    .unwrap();
    assert!(!page.keys.is_empty());
    let report = redis_links::check(&redis, TIMEOUT).await;
    assert_eq!(report.overall, Verdict::Healthy, "{}", report.reason);
    assert_eq!(report.cluster.as_ref().unwrap().nodes.len(), 6);

    // The cluster's files hold no password (it came on standard input), nor does `ps`.
    let password = credentials.redis.expose();
    assert_eq!(
        files_holding(&dir.join("cluster"), password),
        Vec::<String>::new()
    );
    assert!(processes_holding(password).is_empty());
    sandbox::down(&dir, true).await.unwrap();
}
