//! What the CLI's tests share: running the binary on a database URL, and a scratch database
//! of their own on the real MariaDB (127.0.0.1:3306, or MINDPAL_TEST_MYSQL_URL).
#![allow(dead_code)]

use std::process::{Command, Output};

use mindpal_core::mysql::{MysqlServer, MysqlTarget, quote_ident};

pub const BIN: &str = env!("CARGO_BIN_EXE_mindpal-admin");

/// The binary with `--mysql url` and no profile store or URLs from the environment.
pub fn run(url: &str, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(["--mysql", url])
        .args(args)
        .env_remove("MINDPAL_MYSQL_URL")
        .env_remove("MINDPAL_REDIS_URL")
        .env("MINDPAL_PROFILES", "/nonexistent/mindpal-profiles.json")
        .output()
        .expect("the binary runs")
}

/// The JSON a successful run printed.
pub fn json(o: &Output) -> serde_json::Value {
    assert!(o.status.success(), "{o:?}");
    serde_json::from_slice(&o.stdout).unwrap()
}

pub fn base_url() -> String {
    std::env::var("MINDPAL_TEST_MYSQL_URL").unwrap_or_else(|_| "mysql://root@127.0.0.1:3306".into())
}

/// A database of the test's own, empty, dropped by `drop`.
pub struct Scratch {
    pub admin: MysqlServer,
    pub name: String,
    pub url: String,
}

impl Scratch {
    pub async fn new(label: &str) -> Scratch {
        let base = base_url();
        let admin = MysqlServer::connect(
            &MysqlTarget::from_url(&base).unwrap(),
            std::time::Duration::from_secs(5),
            2,
        )
        .await
        .unwrap();
        let name = format!("mp_cli_{label}_{}", std::process::id());
        let scratch = Scratch {
            admin,
            url: format!("{base}/{name}"),
            name,
        };
        scratch
            .exec(&format!(
                "DROP DATABASE IF EXISTS {}",
                quote_ident(&scratch.name)
            ))
            .await;
        scratch
            .exec(&format!("CREATE DATABASE {}", quote_ident(&scratch.name)))
            .await;
        scratch
    }

    pub async fn exec(&self, sql: &str) {
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
            .execute(&self.admin.pool)
            .await
            .unwrap();
    }

    /// Migrated and seeded at scale 0.001, without Redis.
    pub async fn seeded(label: &str) -> Scratch {
        let scratch = Scratch::new(label).await;
        assert!(run(&scratch.url, &["migrate"]).status.success());
        let seed = run(&scratch.url, &["seed", "--scale", "0.001", "--no-redis"]);
        assert!(seed.status.success(), "{seed:?}");
        scratch
    }

    pub async fn drop(self) {
        self.exec(&format!(
            "DROP DATABASE IF EXISTS {}",
            quote_ident(&self.name)
        ))
        .await;
    }
}
