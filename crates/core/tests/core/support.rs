use std::net::TcpListener;
use std::process::Child;
use std::time::Duration;

use mindpal_core::mysql::{MysqlServer, MysqlTarget, quote_ident};
use mindpal_core::redis::{RedisServer, RedisTarget};

pub const TIMEOUT: Duration = Duration::from_secs(5);

/// An operator's profile of one MySQL server and nothing else.
pub fn profile(name: &str, mysql: MysqlTarget) -> mindpal_core::profiles::Profile {
    mindpal_core::profiles::Profile {
        name: name.into(),
        role: mindpal_core::access::Role::Operator,
        read_only: false,
        mysql,
        replicas: vec![],
        redis: None,
        ssh: None,
        backup_dir: None,
        alerts: Default::default(),
    }
}

pub fn mysql_url() -> String {
    std::env::var("MINDPAL_TEST_MYSQL_URL").unwrap_or_else(|_| "mysql://root@127.0.0.1:3306".into())
}

pub fn redis_target(db: i64) -> RedisTarget {
    let mut target = RedisTarget::from_url(
        &std::env::var("MINDPAL_TEST_REDIS_URL")
            .unwrap_or_else(|_| "redis://127.0.0.1:6379".into()),
    )
    .unwrap();
    target.db = db;
    target
}

/// A Redis database of its own for one test, emptied first.
pub async fn redis_db(db: i64) -> RedisServer {
    let server = RedisServer::connect(&redis_target(db), TIMEOUT)
        .await
        .expect("the test Redis answers");
    let mut conn = server.conn.clone();
    let _: () = redis::cmd("FLUSHDB").query_async(&mut conn).await.unwrap();
    server
}

pub async fn admin() -> MysqlServer {
    MysqlServer::connect(&MysqlTarget::from_url(&mysql_url()).unwrap(), TIMEOUT, 2)
        .await
        .expect("the test MariaDB answers")
}

/// A fresh, empty database for one test, dropped by [`TestDb::drop`] at the end, or by
/// `Drop` when the test panicked before it.
pub struct TestDb {
    pub name: String,
    pub server: MysqlServer,
    admin: MysqlServer,
    dropped: bool,
}

impl TestDb {
    pub async fn new(label: &str) -> TestDb {
        let admin = admin().await;
        let name = format!(
            "mp_test_{label}_{}_{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .subsec_nanos()
        );
        let sql = format!(
            "CREATE DATABASE {} CHARACTER SET utf8mb4",
            quote_ident(&name)
        );
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(&admin.pool)
            .await
            .unwrap();
        let server = admin.with_database(&name).await.unwrap();
        TestDb {
            name,
            server,
            admin,
            dropped: false,
        }
    }

    /// Runs a file of SQL statements (a fixture) in this database.
    pub async fn load(&self, sql: &str) {
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
            .execute(&self.server.pool)
            .await
            .expect("the fixture loads");
    }

    pub async fn count(&self, table: &str) -> i64 {
        let sql = format!("SELECT COUNT(*) FROM {}", quote_ident(table));
        let (n,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .fetch_one(&self.server.pool)
            .await
            .unwrap();
        n
    }

    pub async fn drop(mut self) {
        self.server.pool.close().await;
        let sql = format!("DROP DATABASE IF EXISTS {}", quote_ident(&self.name));
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(&self.admin.pool)
            .await
            .unwrap();
        self.dropped = true;
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if self.dropped {
            return;
        }
        // The test panicked: its runtime may be unwinding, so a thread and runtime of their own.
        let sql = format!("DROP DATABASE IF EXISTS {}", quote_ident(&self.name));
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime");
            runtime.block_on(async {
                let admin = admin().await;
                let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                    .execute(&admin.pool)
                    .await;
            });
        })
        .join();
    }
}

/// A loopback port nothing listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind(("127.0.0.1", 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The first of `n` consecutive free loopback ports.
pub fn free_port_run(n: u16) -> u16 {
    for _ in 0..200 {
        // Below the ephemeral range (32768 and up), where client sockets take ports.
        let base = 20_000 + (free_port() % 12_000);
        if (0..n).all(|i| TcpListener::bind(("127.0.0.1", base + i)).is_ok()) {
            return base;
        }
    }
    panic!("no run of {n} free ports found");
}

pub const SOURCE_DESIGN: &str = include_str!("../fixtures/mindpal-source-design.sql");

/// A fresh database seeded at `scale` with `seed`; Redis keys too when `redis` is given.
pub async fn seeded(label: &str, seed: u64, redis: Option<&RedisServer>) -> TestDb {
    seeded_at(label, seed, redis, 0.002).await
}

/// A database seeded at `scale` (1 is the production-sized 300,000 conversations).
pub async fn seeded_at(label: &str, seed: u64, redis: Option<&RedisServer>, scale: f64) -> TestDb {
    let db = TestDb::new(label).await;
    mindpal_core::seed::run(
        &db.server,
        mindpal_core::access::Actor::OPERATOR,
        redis,
        &mindpal_core::seed::SeedOptions {
            scale,
            seed,
            reset: false,
            writers: 2,
        },
        &|_| {},
        &mindpal_core::CancellationToken::new(),
    )
    .await
    .unwrap();
    db
}

/// A server process a test started, stopped when the test ends however it ends.
pub struct KillOnDrop(pub Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub async fn database_exists(server: &MysqlServer, database: &str) -> bool {
    let row: Option<(String,)> =
        sqlx::query_as("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?")
            .bind(database)
            .fetch_optional(&server.pool)
            .await
            .unwrap();
    row.is_some()
}

pub async fn drop_database(server: &MysqlServer, database: &str) {
    let sql = format!("DROP DATABASE IF EXISTS {}", quote_ident(database));
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
        .execute(&server.pool)
        .await
        .unwrap();
}

/// Points `profile` (a sandbox's, through its bastion) at the bastion for real: its host key
/// trusted in a known-hosts file under `home`, and a forward opened for every server.
pub fn through_sandbox_bastion(
    profile: &mut mindpal_core::profiles::Profile,
    status: &mindpal_core::sandbox::SandboxStatus,
    home: &std::path::Path,
) {
    let ssh = profile
        .ssh
        .as_mut()
        .expect("the profile goes through the bastion");
    ssh.known_hosts = Some(home.join("known_hosts"));
    ssh.accept_host_key = Some(status.bastion.as_ref().unwrap().host_fingerprint.clone());
    mindpal_core::profiles::attach_bastion(profile, TIMEOUT).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_test_that_panics_leaves_no_database() {
    let name = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let seen = name.clone();
    let failed = tokio::spawn(async move {
        let db = TestDb::new("panics").await;
        *seen.lock().unwrap() = db.name.clone();
        panic!("a failing test");
    })
    .await;
    assert!(failed.unwrap_err().is_panic());
    let name = name.lock().unwrap().clone();
    assert!(name.starts_with("mp_test_panics_"));
    assert!(
        !database_exists(&admin().await, &name).await,
        "{name} is gone"
    );
}
