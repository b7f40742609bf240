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

/// A database of its own for one test, made and dropped through the core: by `drop` at the
/// end, or by `Drop` when the test panicked before it.
struct Db {
    name: String,
    admin: MysqlServer,
    dropped: bool,
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
        Db {
            name,
            admin,
            dropped: false,
        }
    }

    fn url(&self) -> String {
        format!("{}/{}", mysql_url(), self.name)
    }

    async fn drop(mut self) {
        let sql = format!("DROP DATABASE {}", quote_ident(&self.name));
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(&self.admin.pool)
            .await
            .unwrap();
        self.dropped = true;
    }
}

impl Drop for Db {
    fn drop(&mut self) {
        if self.dropped {
            return;
        }
        // The test panicked: a thread and runtime of their own, as its runtime may be unwinding.
        let sql = format!("DROP DATABASE IF EXISTS {}", quote_ident(&self.name));
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime");
            runtime.block_on(async {
                let target = MysqlTarget::from_url(&mysql_url()).unwrap();
                if let Ok(admin) =
                    MysqlServer::connect(&target, std::time::Duration::from_secs(5), 1).await
                {
                    let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                        .execute(&admin.pool)
                        .await;
                }
            });
        })
        .join();
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
fn an_unknown_scale_is_one_clear_line_and_exit_2() {
    let o = run(&["--mysql", &mysql_url(), "seed", "--scale", "0"]);
    assert_eq!(o.status.code(), Some(2));
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
    assert_eq!(o.status.code(), Some(2));
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

    // A bad id is wrong usage (exit 2); an edited cursor is refused (exit 1): one clear line.
    let o = run(&["--mysql", &url, "users", "show", "12abc"]);
    assert_eq!(o.status.code(), Some(2));
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
    assert_eq!(page["rows"][0]["id"], "1", "64-bit ids cross as strings");

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
    assert_eq!(
        o.status.code(),
        Some(1),
        "not a changed row (6): {}",
        stderr(&o)
    );
    assert!(stderr(&o).contains("deleted"));
    let o = run(&["--mysql", &url, "conversations", "show", "999"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("no conversation with id 999"));
    db.drop().await;
}

#[test]
fn a_refused_statement_exits_7_with_its_reason_and_touches_no_server() {
    // The port is closed: a refusal must come before any connection is tried.
    let closed = format!("mysql://root@127.0.0.1:{}/mindpal", free_port());
    let o = run(&["--mysql", &closed, "explain", "SELECT 1; DROP TABLE users"]);
    assert_eq!(o.status.code(), Some(7), "{}", stderr(&o));
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
    assert_eq!(o.status.code(), Some(7));
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
        include_str!("../../core/src/explain/plan/fixtures/mysql84-v1-filesort.json"),
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

    // --try-index: tried on a scratch copy that is gone after; support may not; a bad spec says so.
    let o = run(&[
        "--json",
        "--mysql",
        &db.url(),
        "explain",
        "SELECT id FROM conversations WHERE title = 'x'",
        "--try-index",
        "conversations(title)",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let scratch = json["scratchDatabase"].as_str().unwrap().to_owned();
    assert!(scratch.starts_with("mindpal_try_"), "{json}");
    assert_eq!(
        json["indexDdl"],
        "ALTER TABLE `conversations` ADD INDEX `try_title` (`title`)"
    );
    let (left,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?")
            .bind(&scratch)
            .fetch_one(&db.admin.pool)
            .await
            .unwrap();
    assert_eq!(left, 0, "the scratch copy was dropped");
    let o = run(&[
        "--mysql",
        &db.url(),
        "--role",
        "support",
        "explain",
        "SELECT id FROM conversations WHERE title = 'x'",
        "--try-index",
        "conversations(title)",
    ]);
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("operator profiles only"),
        "{}",
        stderr(&o)
    );
    let o = run(&[
        "--mysql",
        &db.url(),
        "explain",
        "SELECT id FROM conversations WHERE title = 'x'",
        "--try-index",
        "conversations title",
    ]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("TABLE(COLUMN"), "{}", stderr(&o));

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

/// Runs with `--json` and checks the error object names `kind`.
fn json_error(args: &[&str], code: i32, kind: &str) -> String {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let o = run(&all);
    assert_eq!(o.status.code(), Some(code), "{args:?}: {}", stderr(&o));
    let json: serde_json::Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{args:?}: no JSON error ({e}): {}", stderr(&o)));
    assert_eq!(json["error"]["kind"], kind, "{args:?}: {json}");
    json["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

async fn count(server: &MysqlServer, db: &str, table: &str) -> i64 {
    let sql = format!(
        "SELECT COUNT(*) FROM {}.{}",
        quote_ident(db),
        quote_ident(table)
    );
    let (n,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .fetch_one(&server.pool)
        .await
        .unwrap();
    n
}

#[tokio::test]
async fn support_and_read_only_rails_hold_in_the_core_whatever_the_command() {
    let db = Db::new("rails").await;
    let url = db.url();
    let redis = "redis://127.0.0.1:6379/0";
    assert!(run(&["--mysql", &url, "migrate"]).status.success());
    let o = run(&["--mysql", &url, "seed", "--scale", "0.001", "--no-redis"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let users = count(&db.admin, &db.name, "users").await;
    assert!(users > 0);
    let out = tempfile::tempdir().unwrap();
    let out_dir = out.path().to_str().unwrap();

    // Every destructive or raw-PII command is refused for support, exit 4, nothing done.
    let support = |rest: &[&str]| {
        let mut args = vec!["--role", "support", "--mysql", &url, "--redis", redis];
        args.extend_from_slice(rest);
        run(&args)
    };
    for command in [
        &["seed", "--scale", "0.001", "--reset", "--yes", "--no-redis"][..],
        &["migrate"],
        &["cache", "get", "user:1"],
        &["cache", "scan", "token:*"],
        &["cache", "analyze"],
        &["cache", "del", "user:1", "--yes"],
        &["backup", "run", "--out", out_dir],
        &["monitor", "sessions"],
        &["monitor", "top"],
        &["monitor", "redis"],
        &["monitor", "kill", "1", "--yes"],
        &["explain", "--analyze", "SELECT 1"],
        &["replication", "heartbeat", "create"],
        &["users", "disable", "1", "--expect-version", "1"],
    ] {
        let o = support(command);
        assert_eq!(
            o.status.code(),
            Some(4),
            "support {command:?}: {}",
            stderr(&o)
        );
        assert!(
            stderr(&o).contains("refused"),
            "{command:?}: {}",
            stderr(&o)
        );
    }
    assert_eq!(
        count(&db.admin, &db.name, "users").await,
        users,
        "nothing reset"
    );
    assert_eq!(
        std::fs::read_dir(out.path()).unwrap().count(),
        0,
        "no backup"
    );

    // Destroying needs --yes: a usage error (exit 2) that touches nothing.
    let o = run(&[
        "--mysql",
        &url,
        "seed",
        "--scale",
        "0.001",
        "--reset",
        "--no-redis",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("--yes"), "{}", stderr(&o));
    assert_eq!(count(&db.admin, &db.name, "users").await, users);

    // A backup, then restores the rails refuse: over the live database, into a system schema.
    let o = run(&["--json", "--mysql", &url, "backup", "run", "--out", out_dir]);
    assert!(o.status.success(), "{}", stderr(&o));
    let done: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let path = done["path"].as_str().unwrap().to_owned();
    let logs = count(&db.admin, &db.name, "operation_logs").await;
    let restore = |into: &str, more: &[&str]| {
        let mut args = vec!["--mysql", &url, "backup", "restore", &path, "--into", into];
        args.extend_from_slice(more);
        run(&args)
    };
    let o = restore(&db.name, &["--replace"]);
    assert_eq!(
        o.status.code(),
        Some(2),
        "--replace needs --yes: {}",
        stderr(&o)
    );
    let o = restore(&db.name, &["--replace", "--yes"]);
    assert_eq!(o.status.code(), Some(7), "{}", stderr(&o));
    assert!(stderr(&o).contains("live database"), "{}", stderr(&o));
    for system in ["mysql", "sys", "performance_schema", "information_schema"] {
        let o = restore(system, &["--replace", "--yes"]);
        assert_eq!(o.status.code(), Some(7), "{system}: {}", stderr(&o));
    }
    let o = support(&["backup", "restore", &path, "--into", "mp_cli_never"]);
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    assert_eq!(
        count(&db.admin, &db.name, "operation_logs").await,
        logs,
        "the live database was not touched"
    );

    // A damaged file: exit 5, nothing restored.
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(format!("{path}/manifest.json")).unwrap()).unwrap();
    let file = manifest["tables"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|t| t["files"].as_array().unwrap())
        .next()
        .unwrap()["path"]
        .as_str()
        .unwrap()
        .to_owned();
    let victim = std::path::Path::new(&path).join(file);
    let mut bytes = std::fs::read(&victim).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x10;
    std::fs::write(&victim, &bytes).unwrap();
    let target = format!("{}_damaged", db.name);
    let o = run(&[
        "--mysql", &url, "backup", "restore", &path, "--into", &target,
    ]);
    assert_eq!(o.status.code(), Some(5), "{}", stderr(&o));
    let o = run(&["backup", "verify", &path]);
    assert_eq!(o.status.code(), Some(5), "{}", stderr(&o));

    // The account's grants are the wall: root as support is warned about.
    let o = run(&["--role", "support", "--mysql", &url, "ping"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("warning: the account holds ALL PRIVILEGES"),
        "{text}"
    );
    let o = run(&["--mysql", &url, "ping"]);
    assert!(
        !String::from_utf8_lossy(&o.stdout).contains("warning"),
        "operators are not warned"
    );
    db.drop().await;
}

#[test]
fn wrong_usage_exits_2_with_a_json_error_naming_the_allowed_values() {
    let url = format!("{}/mindpal_nowhere", mysql_url());
    for id in ["abc", "0", "99999999999999999999"] {
        let m = json_error(&["--mysql", &url, "users", "show", id], 2, "usage");
        assert!(m.contains("not a user id"), "{m}");
    }
    json_error(&["--mysql", "notaurl", "ping"], 2, "usage");
    let missing = tempfile::tempdir().unwrap();
    let store = missing.path().join("profiles.json");
    let o = Command::new(BIN)
        .args(["--json", "--profile", "nosuch", "ping"])
        .env("MINDPAL_PROFILES", &store)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let m = json_error(
        &["conversations", "find", "--emotion", "furious"],
        2,
        "usage",
    );
    assert!(m.contains("furious"), "{m}");
    json_error(
        &["conversations", "find", "--max-satisfaction", "9"],
        2,
        "usage",
    );
    json_error(&["conversations", "find", "--status", "bogus"], 2, "usage");
    json_error(
        &["conversations", "find", "--min-quality-below", "2"],
        2,
        "usage",
    );
    // Point-in-time restores: a moment or GTID that does not read, or over an existing database.
    let restore = ["backup", "restore", "/nowhere", "--into", "x"];
    let m = json_error(
        &[&restore[..], &["--until", "yesterday"]].concat(),
        2,
        "usage",
    );
    assert!(m.contains("not a moment"), "{m}");
    let m = json_error(
        &[&restore[..], &["--until-gtid", "0-1"]].concat(),
        2,
        "usage",
    );
    assert!(m.contains("not a MariaDB GTID"), "{m}");
    json_error(
        &[
            &restore[..],
            &["--until", "2026-12-02 14:31:00", "--replace", "--yes"],
        ]
        .concat(),
        2,
        "usage",
    );
    json_error(&["cache", "scan", "--limit", "0"], 2, "usage");
    json_error(&["cache", "scan", "--limit", "100000"], 2, "usage");
    // One spelling, as verdicts print: needs_followup is accepted where needs-followup is.
    // It gets past the arguments to the next question: which server.
    let o = run(&["conversations", "find", "--verdict", "needs_followup"]);
    assert!(
        stderr(&o).contains("no MySQL server given"),
        "{}",
        stderr(&o)
    );
}

/// Runs `args` with stdout already closed: harsher than `… | head -1`, whose reader closes
/// after a line, since every write fails. Returns the exit code and stderr.
fn with_stdout_closed(args: &[&str]) -> (Option<i32>, String) {
    let mut child = Command::new(BIN)
        .args(args)
        .env("MINDPAL_PROFILES", "/nonexistent/mindpal-profiles.json")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let o = child.wait_with_output().unwrap();
    (o.status.code(), stderr(&o))
}

#[tokio::test]
async fn every_command_prints_json_that_parses_and_stops_quietly_when_the_reader_goes() {
    let db = Db::new("pipes").await;
    let url = db.url();
    let redis = "redis://127.0.0.1:6379/6";
    let o = run(&[
        "--mysql", &url, "--redis", redis, "seed", "--scale", "0.001",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = tempfile::tempdir().unwrap();
    let folder = out.path().to_str().unwrap().to_owned();
    let o = run(&["--json", "--mysql", &url, "backup", "run", "--out", &folder]);
    assert!(o.status.success(), "{}", stderr(&o));
    let backup: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let path = backup["path"].as_str().unwrap().to_owned();
    let commands: Vec<Vec<&str>> = vec![
        vec!["ping"],
        vec!["schema", "status"],
        vec!["schema", "diff"],
        vec!["profiles"],
        vec!["users", "find", "--query", "13"],
        vec!["users", "show", "1"],
        vec!["users", "tokens", "1"],
        vec!["dh", "find"],
        vec!["dh", "show", "1"],
        vec!["dh", "knowledge"],
        vec!["conversations", "find"],
        vec!["conversations", "show", "1"],
        vec!["conversations", "export", "1"],
        vec![
            "explain",
            "SELECT id FROM users WHERE phone = '13000000001'",
        ],
        vec!["explain", "--list-hot"],
        vec!["explain", "--health"],
        vec!["indexes"],
        vec!["replication", "status"],
        vec!["backup", "list", &folder],
        vec!["backup", "verify", &path],
        vec!["backup", "prune", &folder, "--dry-run"],
        vec!["backup", "redis"],
        vec!["monitor", "status", "--interval", "0.2"],
        vec!["monitor", "sessions"],
        vec!["monitor", "top"],
        vec!["monitor", "redis"],
        vec!["cache", "scan", "user:*"],
        vec!["cache", "get", "leaderboard:today"],
        vec!["cache", "analyze", "--sample", "100"],
    ];
    for command in &commands {
        let mut args = vec!["--mysql", &url, "--redis", redis];
        args.extend_from_slice(command);
        // Text to a reader that is gone: no panic, no complaint, exit 141 (or its own code).
        let (code, err) = with_stdout_closed(&args);
        assert!(!err.contains("panicked"), "{command:?}: {err}");
        assert!(
            !err.contains("Broken pipe"),
            "{command:?} complains of the closed pipe: {err}"
        );
        assert_ne!(code, Some(101), "{command:?}: {err}");
        // JSON, read whole: it parses.
        let mut json_args = vec!["--json"];
        json_args.extend_from_slice(&args);
        let o = run(&json_args);
        let text = String::from_utf8_lossy(&o.stdout);
        serde_json::from_str::<serde_json::Value>(&text)
            .or_else(|_| {
                // Streams (`--health`, exports) print one JSON document per line.
                text.lines()
                    .map(serde_json::from_str::<serde_json::Value>)
                    .collect::<Result<Vec<_>, _>>()
                    .map(serde_json::Value::from)
            })
            .unwrap_or_else(|e| panic!("{command:?}: not JSON ({e}): {text}\n{}", stderr(&o)));
    }
    let flushed = Command::new("redis-cli")
        .args(["-n", "6", "FLUSHDB"])
        .output()
        .unwrap();
    assert!(flushed.status.success());
    db.drop().await;
}

#[tokio::test]
async fn every_documented_exit_code_is_reached_by_a_real_case() {
    let db = Db::new("codes").await;
    let url = db.url();
    let code = |args: &[&str]| run(args).status.code();
    // 5: a database that is not the MindPal schema yet.
    assert_eq!(code(&["--mysql", &url, "schema", "diff"]), Some(5));
    // 0: migrated, it is in sync.
    assert_eq!(code(&["--mysql", &url, "migrate"]), Some(0));
    assert_eq!(code(&["--mysql", &url, "schema", "diff"]), Some(0));
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO {}.users (phone, nickname) VALUES ('13000000001', 'Ann')",
        quote_ident(&db.name)
    )))
    .execute(&db.admin.pool)
    .await
    .unwrap();
    // 1: a failure that is nobody's usage: no such row.
    assert_eq!(code(&["--mysql", &url, "users", "show", "99999"]), Some(1));
    // 2: wrong usage.
    assert_eq!(code(&["--mysql", &url, "users", "show", "abc"]), Some(2));
    assert_eq!(
        code(&["--mysql", &url, "users", "find", "--limit", "0"]),
        Some(2)
    );
    // 3: nothing answers.
    let closed = format!("mysql://root@127.0.0.1:{}/x", free_port());
    assert_eq!(code(&["--mysql", &closed, "ping"]), Some(3));
    // 4: the console's rules (and, elsewhere, the server's) refuse.
    assert_eq!(
        code(&["--role", "support", "--mysql", &url, "migrate"]),
        Some(4)
    );
    // 6: the row moved on since the version you read.
    assert_eq!(
        code(&[
            "--mysql",
            &url,
            "users",
            "disable",
            "1",
            "--expect-version",
            "7"
        ]),
        Some(6)
    );
    // 7: refused before anything was done.
    assert_eq!(
        code(&["--mysql", &url, "explain", "DROP TABLE users"]),
        Some(7)
    );
    // 130: Ctrl-C in the middle of a seed.
    let fresh = Db::new("codes_seed").await;
    let child = Command::new(BIN)
        .args([
            "--mysql",
            &fresh.url(),
            "seed",
            "--scale",
            "0.5",
            "--no-redis",
        ])
        .env("MINDPAL_PROFILES", "/nonexistent/mindpal-profiles.json")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until its inserts run, so the seed is under way when it is interrupted.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let (inserting,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE DB = ? AND INFO LIKE 'INSERT%'",
        )
        .bind(&fresh.name)
        .fetch_one(&fresh.admin.pool)
        .await
        .unwrap();
        if inserting > 0 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the seed never started"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let interrupted = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(interrupted.success());
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(130), "{}", stderr(&o));
    fresh.drop().await;
    db.drop().await;
}

#[test]
fn a_cluster_is_named_by_its_seeds_and_its_errors_say_which() {
    let message = json_error(&["cache", "scan", "user:*", "--redis-cluster"], 2, "usage");
    assert!(message.contains("--redis-cluster redis://"), "{message}");
    let nobody = format!("redis://127.0.0.1:{}", free_port());
    json_error(
        &["--redis-cluster", &nobody, "cache", "scan", "user:*"],
        3,
        "unreachable",
    );
    // The test Redis is a standalone server: named as such, not browsed as a one-node cluster.
    let message = json_error(
        &[
            "--redis-cluster",
            "redis://127.0.0.1:6379",
            "cache",
            "scan",
            "user:*",
        ],
        1,
        "invalidInput",
    );
    assert!(message.contains("is not in cluster mode"), "{message}");
}
