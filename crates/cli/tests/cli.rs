//! The CLI as a script or a person meets it: exit codes, one-line errors, JSON output.
//! Runs against the real MariaDB on 127.0.0.1:3306 (or MINDPAL_TEST_MYSQL_URL).

use std::net::TcpListener;
use std::process::{Command, Output};

use mindpal_core::mysql::{MysqlServer, MysqlTarget, quote_ident};

const BIN: &str = env!("CARGO_BIN_EXE_mindpal-admin");
const SOURCE_DESIGN: &str = include_str!("../../core/tests/fixtures/mindpal-source-design.sql");

fn mysql_url() -> String {
    std::env::var("MINDPAL_TEST_MYSQL_URL").unwrap_or_else(|_| "mysql://root@127.0.0.1:3306".into())
}

fn run(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env_remove("MINDPAL_MYSQL_URL")
        .env_remove("MINDPAL_REDIS_URL")
        .env("MINDPAL_PROFILES", "/nonexistent/mindpal-profiles.json")
        .output()
        .expect("the binary runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn free_port() -> u16 {
    TcpListener::bind(("127.0.0.1", 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A database of its own for one test, made and dropped through the core.
struct Db {
    name: String,
    admin: MysqlServer,
}

impl Db {
    async fn new(label: &str) -> Db {
        let admin = MysqlServer::connect(
            &MysqlTarget::from_url(&mysql_url()).unwrap(),
            std::time::Duration::from_secs(5),
            1,
        )
        .await
        .unwrap();
        let name = format!("mp_cli_{label}_{}", std::process::id());
        let sql = format!("CREATE DATABASE {}", quote_ident(&name));
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(&admin.pool)
            .await
            .unwrap();
        Db { name, admin }
    }

    fn url(&self) -> String {
        format!("{}/{}", mysql_url(), self.name)
    }

    async fn drop(self) {
        let sql = format!("DROP DATABASE {}", quote_ident(&self.name));
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(&self.admin.pool)
            .await
            .unwrap();
    }
}

#[test]
fn help_teaches_the_commands_and_exit_codes() {
    let o = run(&["--help"]);
    assert!(o.status.success());
    let text = String::from_utf8_lossy(&o.stdout);
    for word in [
        "sandbox",
        "seed",
        "schema",
        "migrate",
        "Exit codes",
        "--json",
        "--profile",
    ] {
        assert!(text.contains(word), "--help should mention {word}");
    }
}

#[test]
fn an_unknown_scale_is_one_clear_line_and_exit_1() {
    let o = run(&["--mysql", &mysql_url(), "seed", "--scale", "0"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(err.starts_with("error: --scale"), "{err}");
}

#[test]
fn a_refused_password_exits_4_and_never_shows_the_password() {
    let url = format!(
        "mysql://mindpal_nobody:Sup3r-S3cret@127.0.0.1:{}/x",
        MysqlTarget::from_url(&mysql_url()).unwrap().port
    );
    let o = run(&["--json", "--mysql", &url, "ping"]);
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    let all = format!("{}{}", stderr(&o), String::from_utf8_lossy(&o.stdout));
    assert!(!all.contains("Sup3r-S3cret"), "the password leaked: {all}");
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(json["error"]["kind"], "authFailed");
}

#[test]
fn an_unreachable_server_exits_3() {
    let o = run(&[
        "--mysql",
        &format!("mysql://root@127.0.0.1:{}/x", free_port()),
        "ping",
    ]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(stderr(&o).contains("cannot reach"));
}

#[test]
fn no_server_given_says_how_to_give_one() {
    let o = run(&["ping"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("--mysql"), "{}", stderr(&o));
}

#[test]
fn ping_json_names_the_flavour() {
    let o = run(&[
        "--json",
        "--mysql",
        &mysql_url(),
        "--redis",
        "redis://127.0.0.1:6379",
        "ping",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(json["mysql"]["flavour"], "mariadb");
    assert_eq!(json["redis"]["role"], "master");
}

#[tokio::test]
async fn schema_diff_exits_5_on_the_source_design_and_0_once_migrated() {
    let source = Db::new("diff_src").await;
    let target = MysqlTarget::from_url(&source.url()).unwrap();
    let server = MysqlServer::connect(&target, std::time::Duration::from_secs(5), 1)
        .await
        .unwrap();
    sqlx::raw_sql(SOURCE_DESIGN)
        .execute(&server.pool)
        .await
        .unwrap();
    let o = run(&["--mysql", &source.url(), "schema", "diff"]);
    assert_eq!(o.status.code(), Some(5), "{}", stderr(&o));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("idx_phone") && text.contains("redundant"),
        "{text}"
    );
    server.pool.close().await;
    source.drop().await;

    let fresh = Db::new("diff_new").await;
    assert!(run(&["--mysql", &fresh.url(), "migrate"]).status.success());
    let o = run(&["--json", "--mysql", &fresh.url(), "schema", "diff"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(json["inSync"], true);
    fresh.drop().await;
}

#[test]
fn sandbox_without_server_binaries_names_the_debian_package_and_leaves_nothing() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("sb");
    let o = Command::new(BIN)
        .args(["sandbox", "up", "--dir"])
        .arg(&dir)
        .env("PATH", home.path())
        .env("MINDPAL_PROFILES", home.path().join("p.json"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("install the Debian package `mariadb-server`"),
        "{}",
        stderr(&o)
    );
    assert!(!dir.exists());
}

#[test]
fn sandbox_status_of_a_missing_sandbox_says_how_to_start_one() {
    let home = tempfile::tempdir().unwrap();
    let o = run(&[
        "sandbox",
        "status",
        "--dir",
        home.path().join("none").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("sandbox up"), "{}", stderr(&o));
}

#[test]
fn a_saved_password_without_a_keyring_is_a_clear_error_not_a_file() {
    let home = tempfile::tempdir().unwrap();
    let store = home.path().join("profiles.json");
    std::fs::write(
        &store,
        r#"{"profiles":[{"name":"prod","role":"operator","readOnly":true,
            "mysql":{"host":"127.0.0.1","port":3306,"user":"ops","passwordSaved":true,"tls":"disabled"},
            "replicas":[]}]}"#,
    )
    .unwrap();
    let o = Command::new(BIN)
        .args(["--profile", "prod", "ping"])
        .env("MINDPAL_PROFILES", &store)
        // No Secret Service reachable: the keyring must say so, never fall back to a file.
        .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")
        .env("HOME", home.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("keyring is not available"),
        "{}",
        stderr(&o)
    );
    let files: Vec<_> = std::fs::read_dir(home.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        files,
        vec![std::ffi::OsString::from("profiles.json")],
        "nothing else was written"
    );
}

#[tokio::test]
async fn users_find_show_and_act_as_scripts_meet_them() {
    let db = Db::new("users").await;
    let url = db.url();
    assert!(run(&["--mysql", &url, "migrate"]).status.success());
    let server = MysqlServer::connect(
        &MysqlTarget::from_url(&url).unwrap(),
        std::time::Duration::from_secs(5),
        1,
    )
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO users (phone, email, nickname, last_login_ip) VALUES \
         ('13812345678', 'alice@example.com', 'Alice', '203.0.113.45'), ('13812349999', NULL, 'Bob', NULL)",
    )
    .execute(&server.pool)
    .await
    .unwrap();
    server.pool.close().await;

    // A phone prefix finds both, in phone order, with an exact total.
    let o = run(&[
        "--json", "--mysql", &url, "users", "find", "--query", "138123",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let page: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(page["rows"].as_array().unwrap().len(), 2);
    assert_eq!(page["total"]["count"], 2);
    assert_eq!(page["total"]["exact"], true);
    assert_eq!(page["rows"][0]["phone"], "13812345678");

    // --role support: what a support profile sees, masked by the core.
    let o = run(&[
        "--json", "--role", "support", "--mysql", &url, "users", "show", "1",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        !text.contains("13812345678") && !text.contains("alice@") && !text.contains("113.45"),
        "{text}"
    );
    let detail: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(detail["user"]["phone"], "138****5678");
    assert_eq!(detail["user"]["email"], "a***@example.com");

    // Support cannot act (4); a stale version is a conflict (6); the right one lands (0).
    let o = run(&[
        "--role",
        "support",
        "--mysql",
        &url,
        "users",
        "disable",
        "1",
        "--expect-version",
        "0",
    ]);
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    let o = run(&[
        "--mysql",
        &url,
        "users",
        "disable",
        "1",
        "--expect-version",
        "7",
    ]);
    assert_eq!(o.status.code(), Some(6), "{}", stderr(&o));
    assert!(stderr(&o).contains("changed by someone else"));
    let o = run(&[
        "--json",
        "--mysql",
        &url,
        "users",
        "disable",
        "1",
        "--expect-version",
        "0",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let done: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(done["action"], "user.disable");
    assert_eq!(done["version"], 1);

    // Bad ids and edited cursors: one clear line, exit 1.
    let o = run(&["--mysql", &url, "users", "show", "12abc"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("is not a user id"), "{}", stderr(&o));
    let o = run(&[
        "--mysql",
        &url,
        "users",
        "find",
        "--after",
        "eyJzIjoiYSJ9.000000",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("page cursor is not valid"),
        "{}",
        stderr(&o)
    );
    let o = run(&["--mysql", &url, "users", "show", "99999"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("no user with id 99999"));
    db.drop().await;
}

#[tokio::test]
async fn conversations_find_show_review_export() {
    let db = Db::new("conv").await;
    let url = db.url();
    assert!(run(&["--mysql", &url, "migrate"]).status.success());
    let server = MysqlServer::connect(
        &MysqlTarget::from_url(&url).unwrap(),
        std::time::Duration::from_secs(5),
        1,
    )
    .await
    .unwrap();
    sqlx::raw_sql(
        "INSERT INTO users (id, phone) VALUES (1, '13812345678'); \
         INSERT INTO digital_humans (id, user_id, name) VALUES (1, 1, 'Nova'); \
         INSERT INTO conversations (id, user_id, digital_human_id, title, message_count, last_message_at, user_satisfaction) \
         VALUES (1, 1, 1, 'refund', 2, NOW(), 1), (2, 1, 1, 'gone', 0, NOW(), NULL); \
         INSERT INTO conversation_messages (conversation_id, sender_type, content, user_emotion, quality_score) VALUES \
         (1, 'user', 'where is my refund, \"now\"', 'angry', NULL), (1, 'digital_human', 'Sorry!', NULL, 0.20); \
         UPDATE conversations SET deleted_at = NOW() WHERE id = 2;",
    )
    .execute(&server.pool)
    .await
    .unwrap();
    server.pool.close().await;

    let o = run(&[
        "--json",
        "--mysql",
        &url,
        "conversations",
        "find",
        "--emotion",
        "angry",
        "--max-satisfaction",
        "2",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let page: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(page["rows"].as_array().unwrap().len(), 1);
    assert_eq!(page["rows"][0]["id"], 1);

    let o = run(&[
        "--mysql",
        &url,
        "conversations",
        "review",
        "1",
        "--verdict",
        "escalated",
        "--tag",
        "refund",
        "--note",
        "call back",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run(&[
        "--json",
        "--mysql",
        &url,
        "conversations",
        "find",
        "--reviewed",
        "--tag",
        "refund",
    ]);
    let page: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(page["rows"][0]["verdict"], "escalated");

    let o = run(&[
        "--role",
        "support",
        "--mysql",
        &url,
        "conversations",
        "export",
        "1",
        "--format",
        "csv",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let csv = String::from_utf8_lossy(&o.stdout);
    assert_eq!(csv.lines().count(), 3, "a header and two messages: {csv}");
    assert!(csv.contains("\"where is my refund, \"\"now\"\"\""), "{csv}");
    let o = run(&[
        "--role",
        "support",
        "--mysql",
        &url,
        "conversations",
        "export",
        "1",
        "--format",
        "md",
    ]);
    let md = String::from_utf8_lossy(&o.stdout);
    assert!(
        md.contains("138****5678") && !md.contains("13812345678"),
        "{md}"
    );

    // A deleted conversation refuses a review (6); an unknown one says so (1).
    let o = run(&[
        "--mysql",
        &url,
        "conversations",
        "review",
        "2",
        "--verdict",
        "ok",
    ]);
    assert_eq!(o.status.code(), Some(6), "{}", stderr(&o));
    assert!(stderr(&o).contains("deleted"));
    let o = run(&["--mysql", &url, "conversations", "show", "999"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("no conversation with id 999"));
    db.drop().await;
}

#[test]
fn a_refused_statement_exits_3_with_its_reason_and_touches_no_server() {
    // The port is closed: a refusal must come before any connection is tried.
    let closed = format!("mysql://root@127.0.0.1:{}/mindpal", free_port());
    let o = run(&["--mysql", &closed, "explain", "SELECT 1; DROP TABLE users"]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(stderr(&o).contains("2 statements"), "{}", stderr(&o));
    assert!(
        !stderr(&o).contains("cannot reach"),
        "no connection was tried"
    );
    let o = run(&[
        "--json",
        "--mysql",
        &closed,
        "explain",
        "--analyze",
        "DELETE FROM users",
    ]);
    assert_eq!(o.status.code(), Some(3));
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(json["error"]["kind"], "refused");
    // ANALYZE runs the statement: support sees plans only.
    let o = run(&[
        "--role",
        "support",
        "--mysql",
        &closed,
        "explain",
        "--analyze",
        "SELECT 1",
    ]);
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
}

#[test]
fn a_saved_plan_is_read_without_any_connection() {
    let dir = tempfile::tempdir().unwrap();
    let plan = dir.path().join("plan.json");
    std::fs::write(
        &plan,
        include_str!("../../core/src/explain/fixtures/mysql84-v1-filesort.json"),
    )
    .unwrap();
    let o = run(&["--json", "explain", "--plan", plan.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(json["plan"]["source"], "mySqlJsonV1");
    assert_eq!(json["classic"][0]["type"], "ALL");
    assert!(
        json["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["rule"] == "fullScan")
    );

    std::fs::write(&plan, "{\"query_block\": {\"select_id\": 1, \"table\": {").unwrap();
    let o = run(&["explain", "--plan", plan.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("damaged"), "{}", stderr(&o));
}

#[tokio::test]
async fn explain_and_indexes_on_a_live_database() {
    let db = Db::new("explain").await;
    assert!(run(&["--mysql", &db.url(), "migrate"]).status.success());
    let sql = "SELECT id FROM conversations WHERE DATE(created_at) = '2026-11-11'";
    let o = run(&["--mysql", &db.url(), "explain", sql]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = String::from_utf8_lossy(&o.stdout);
    // An empty table may be read through the covering index: a full scan all the same.
    assert!(
        text.contains("[✗ ALL]") || text.contains("[✗ index]"),
        "{text}"
    );
    assert!(
        text.contains(
            "rewrite: SELECT id FROM conversations WHERE created_at >= '2026-11-11 00:00:00'"
        ),
        "{text}"
    );

    let o = run(&[
        "--json",
        "--mysql",
        &db.url(),
        "explain",
        "--analyze",
        "SELECT COUNT(*) FROM users",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(json["plan"]["analyzed"], true);
    assert_eq!(json["rolledBack"], true);

    let o = run(&["--json", "--mysql", &db.url(), "indexes"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(json["database"], db.name.as_str());
    let o = run(&[
        "--mysql",
        &db.url(),
        "indexes",
        "--database",
        "no_such_db_here",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("unknown database"), "{}", stderr(&o));
    db.drop().await;
}
