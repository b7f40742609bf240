//! `mindpal-admin status`: every saved profile at once, worst first, the exit code the worst
//! verdict. Runs against the real MariaDB on 127.0.0.1:3306 (or MINDPAL_TEST_MYSQL_URL).

use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Output};

use mindpal_core::mysql::{MysqlServer, MysqlTarget, quote_ident};

const BIN: &str = env!("CARGO_BIN_EXE_mindpal-admin");

fn mysql_target() -> MysqlTarget {
    let url = std::env::var("MINDPAL_TEST_MYSQL_URL")
        .unwrap_or_else(|_| "mysql://root@127.0.0.1:3306".into());
    MysqlTarget::from_url(&url).unwrap()
}

fn status(store: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .arg("status")
        .args(args)
        .env_remove("MINDPAL_MYSQL_URL")
        .env_remove("MINDPAL_REDIS_URL")
        .env("MINDPAL_PROFILES", store)
        .output()
        .expect("the binary runs")
}

fn profile(name: &str, host: &str, port: u16, database: &str) -> serde_json::Value {
    serde_json::json!({
        "name": name,
        "role": "operator",
        "readOnly": false,
        "mysql": { "host": host, "port": port, "user": "root", "passwordSaved": false,
                   "database": database, "tls": "disabled" },
        "replicas": [],
        "alerts": { "timeoutMs": 3000 }
    })
}

fn write_store(path: &Path, profiles: &[serde_json::Value]) {
    std::fs::write(
        path,
        serde_json::json!({ "profiles": profiles }).to_string(),
    )
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_profile_at_once_worst_first_and_the_exit_code_is_the_worst() {
    let target = mysql_target();
    let admin = MysqlServer::connect(&target, std::time::Duration::from_secs(5), 1)
        .await
        .unwrap();
    let database = format!("mp_cli_fleet_{}", std::process::id());
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "CREATE DATABASE {}",
        quote_ident(&database)
    )))
    .execute(&admin.pool)
    .await
    .unwrap();
    let migrated = Command::new(BIN)
        .args([
            "--mysql",
            &format!("mysql://root@{}:{}/{database}", target.host, target.port),
            "migrate",
        ])
        .env("MINDPAL_PROFILES", "/nonexistent/profiles.json")
        .output()
        .unwrap();
    assert!(migrated.status.success(), "{migrated:?}");

    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("profiles.json");
    let closed_port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let good = profile("production", &target.host, target.port, &database);
    write_store(
        &store,
        &[
            good.clone(),
            profile("staging", "127.0.0.1", closed_port, "mindpal"),
        ],
    );

    let out = status(&store, &["--all", "--json"]);
    assert_eq!(out.status.code(), Some(2), "an alarm somewhere: {out:?}");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["worst"], "critical");
    let profiles = report["profiles"].as_array().unwrap();
    assert_eq!(profiles[0]["profile"], "staging", "worst first");
    assert_eq!(profiles[0]["severity"], "critical");
    assert!(
        profiles[0]["problems"][0]["text"]
            .as_str()
            .unwrap()
            .starts_with("unreachable"),
        "{report}"
    );
    assert_eq!(profiles[1]["profile"], "production");
    assert_eq!(profiles[1]["severity"], "ok", "{report}");
    assert!(
        profiles[1]["primary"]["version"]
            .as_str()
            .unwrap()
            .starts_with("MariaDB")
    );
    assert_eq!(profiles[1]["schema"]["pendingMigrations"], 0);

    // The text a person reads: a table, then what is wrong in words.
    let text = status(&store, &["--all"]);
    let stdout = String::from_utf8_lossy(&text.stdout);
    assert!(stdout.starts_with("PROFILE"), "{stdout}");
    assert!(
        stdout.contains("CRITICAL  staging · primary: unreachable"),
        "{stdout}"
    );

    // A backup older than the profile allows is a warning: exit 1.
    let backups = dir.path().join("backups");
    std::fs::create_dir(&backups).unwrap();
    let mut warned = good.clone();
    warned["backupDir"] = serde_json::json!(backups.display().to_string());
    warned["alerts"]["backupWarningHours"] = serde_json::json!(0.0);
    write_store(&store, &[warned]);
    let out = status(&store, &["--all", "--json"]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // An empty folder is "no complete backup": an alarm, stated with the folder.
    assert_eq!(out.status.code(), Some(2), "{report}");
    assert!(
        report["profiles"][0]["problems"][0]["text"]
            .as_str()
            .unwrap()
            .starts_with("no complete backup in"),
        "{report}"
    );

    // All well: exit 0 and one reassuring line; --profile checks one.
    write_store(&store, &[good]);
    let out = status(&store, &["--profile", "production"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("Nothing wrong anywhere."));

    // No profile named: a usage error that says what to pass.
    let out = status(&store, &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--all"));

    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE {}",
        quote_ident(&database)
    )))
    .execute(&admin.pool)
    .await
    .unwrap();
}

#[test]
fn diagnostics_list_the_profiles_without_a_secret() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("profiles.json");
    let mut p = profile("production", "db.internal", 3306, "mindpal");
    p["mysql"]["passwordSaved"] = serde_json::json!(true);
    write_store(&store, &[p]);
    let out = Command::new(BIN)
        .args(["--json", "diagnostics"])
        .env("MINDPAL_PROFILES", &store)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["runningAs"], "cli");
    assert!(
        report["tool"]
            .as_str()
            .unwrap()
            .starts_with("mindpal-admin/")
    );
    let listed = &report["profiles"][0];
    assert_eq!(listed["name"], "production");
    assert_eq!(listed["mysql"][0], "db.internal:3306 (disabled)");
    assert_eq!(listed["passwordsSaved"][0], "mysql");
    let text = Command::new(BIN)
        .arg("diagnostics")
        .env("MINDPAL_PROFILES", &store)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("production (operator): mysql db.internal:3306 (disabled)"),
        "{text}"
    );
}
