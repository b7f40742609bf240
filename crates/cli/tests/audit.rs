//! `mindpal-admin audit`: a change made through the CLI is found by action and id with its
//! operator, host and before/after; support sees reviews and exports only; --export csv
//! writes every matching row. Runs against the real MariaDB on 127.0.0.1:3306.

use std::process::{Command, Output};

use mindpal_core::mysql::{MysqlServer, MysqlTarget, quote_ident};

const BIN: &str = env!("CARGO_BIN_EXE_mindpal-admin");

fn run(url: &str, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(["--mysql", url])
        .args(args)
        .env_remove("MINDPAL_MYSQL_URL")
        .env_remove("MINDPAL_REDIS_URL")
        .env("MINDPAL_PROFILES", "/nonexistent/mindpal-profiles.json")
        .output()
        .expect("the binary runs")
}

fn json(o: &Output) -> serde_json::Value {
    assert!(o.status.success(), "{o:?}");
    serde_json::from_slice(&o.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_is_found_with_who_where_and_what_changed() {
    let base = std::env::var("MINDPAL_TEST_MYSQL_URL")
        .unwrap_or_else(|_| "mysql://root@127.0.0.1:3306".into());
    let admin = MysqlServer::connect(
        &MysqlTarget::from_url(&base).unwrap(),
        std::time::Duration::from_secs(5),
        1,
    )
    .await
    .unwrap();
    let database = format!("mp_cli_audit_{}", std::process::id());
    let exec = |sql: String| {
        let admin = admin.clone();
        async move {
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                .execute(&admin.pool)
                .await
                .unwrap();
        }
    };
    exec(format!("CREATE DATABASE {}", quote_ident(&database))).await;
    let url = format!("{base}/{database}");
    assert!(run(&url, &["migrate"]).status.success());
    assert!(
        run(&url, &["seed", "--scale", "0.001", "--no-redis"])
            .status
            .success()
    );
    let user = json(&run(&url, &["--json", "users", "show", "3"]));
    let version = user["user"]["version"].as_i64().unwrap_or(0).to_string();
    let disabled = run(
        &url,
        &["users", "disable", "3", "--expect-version", &version],
    );
    assert!(disabled.status.success(), "{disabled:?}");

    let page = json(&run(
        &url,
        &["--json", "audit", "--action", "user.", "--resource-id", "3"],
    ));
    let rows = page["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "exactly one row for the one change: {page}");
    let row = &rows[0];
    assert_eq!(row["action"], "user.disable");
    assert_eq!(row["resourceType"], "user");
    assert_eq!(row["resourceId"], "3");
    assert!(!row["operator"].as_str().unwrap().is_empty());
    assert_eq!(row["clientHost"], "127.0.0.1");
    assert_eq!(row["details"]["before"]["status"], 1);
    assert_eq!(row["details"]["after"]["status"], 2);

    // The text a person reads shows what changed.
    let text = run(&url, &["audit", "--action", "user.disable"]);
    let stdout = String::from_utf8_lossy(&text.stdout);
    assert!(stdout.contains("status: 1 → 2"), "{stdout}");

    // Support reads the trail of reviews and exports only.
    let support = json(&run(&url, &["--json", "--role", "support", "audit"]));
    assert!(
        support["rows"].as_array().unwrap().iter().all(|r| {
            let a = r["action"].as_str().unwrap();
            a == "conversation.review" || a == "conversation.export"
        }),
        "{support}"
    );
    assert_eq!(support["masked"], true);

    // Every matching row as CSV, the header first.
    let csv = run(&url, &["audit", "--action", "seed.", "--export", "csv"]);
    let csv = String::from_utf8_lossy(&csv.stdout);
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].starts_with("id,created_at,operator,action"));
    assert_eq!(lines.len(), 2, "{csv}");
    assert!(lines[1].contains(",seed.load,"));

    // A range that ends before it starts is wrong usage of the filters.
    let bad = run(
        &url,
        &["audit", "--from", "2026-12-02", "--to", "2026-12-01"],
    );
    assert_ne!(bad.status.code(), Some(0));

    exec(format!("DROP DATABASE {}", quote_ident(&database))).await;
}
