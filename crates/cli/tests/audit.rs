//! `mindpal-admin audit`: a change made through the CLI is found by action and id with its
//! operator, host and before/after; support sees reviews and exports only; --export csv
//! writes every matching row. Runs against the real MariaDB on 127.0.0.1:3306.

mod common;

use std::process::{Command, Output};

use common::{BIN, Scratch, json, run};
use mindpal_core::mysql::quote_ident;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_is_found_with_who_where_and_what_changed() {
    let db = Scratch::seeded("audit").await;
    let url = db.url.clone();
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
    // ... and the diff the core made of them, the same for every face.
    let status = row["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["field"] == "status")
        .expect("status in the diff");
    assert_eq!(
        (&status["before"], &status["after"]),
        (&1.into(), &2.into())
    );
    assert_eq!(status["changed"], true);

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

    db.drop().await;
}

fn run_ok(url: &str, redis: &str, args: &[&str]) -> Output {
    let out = Command::new(BIN)
        .args(["--mysql", url, "--redis", redis])
        .args(args)
        .env_remove("MINDPAL_MYSQL_URL")
        .env_remove("MINDPAL_REDIS_URL")
        .env("MINDPAL_PROFILES", "/nonexistent/mindpal-profiles.json")
        .output()
        .expect("the binary runs");
    assert!(out.status.success(), "{args:?}: {out:?}");
    out
}

fn redis_cli(redis_port: &str, args: &[&str]) -> String {
    let out = Command::new("redis-cli")
        .args(["-h", "127.0.0.1", "-p", redis_port])
        .args(args)
        .output()
        .expect("redis-cli runs");
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// Every kind of change the console makes, made once through the CLI, leaves exactly one
/// row in operation_logs, with the operator and the client host.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_kind_of_change_leaves_exactly_one_row() {
    let redis =
        std::env::var("MINDPAL_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let redis_port = redis
        .rsplit(':')
        .next()
        .unwrap()
        .trim_end_matches('/')
        .to_owned();
    let db = Scratch::new("every_change").await;
    let restored = format!("{}_restored", db.name);
    db.exec(&format!(
        "DROP DATABASE IF EXISTS {}",
        quote_ident(&restored)
    ))
    .await;
    let url = db.url.clone();
    let pid = std::process::id();
    let backups = tempfile::tempdir().unwrap();
    let backups_dir = backups.path().to_str().unwrap();
    let version = |out: Output, pointer: &str| {
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        v.pointer(pointer)
            .and_then(|n| n.as_i64())
            .unwrap_or_else(|| panic!("no {pointer} in {v}"))
            .to_string()
    };

    run_ok(&url, &redis, &["migrate"]);
    run_ok(
        &url,
        &redis,
        &["seed", "--reset", "--yes", "--scale", "0.001", "--no-redis"],
    );

    // A user through all four states, and their cached rows dropped.
    for verb in ["disable", "enable", "delete", "restore"] {
        let v = version(
            run_ok(&url, &redis, &["--json", "users", "show", "3"]),
            "/user/version",
        );
        run_ok(&url, &redis, &["users", verb, "3", "--expect-version", &v]);
    }
    run_ok(&url, &redis, &["users", "invalidate-cache", "3"]);
    for verb in ["delete", "restore"] {
        let v = version(
            run_ok(&url, &redis, &["--json", "dh", "show", "2"]),
            "/digitalHuman/version",
        );
        run_ok(&url, &redis, &["dh", verb, "2", "--expect-version", &v]);
    }

    // A conversation reviewed and exported.
    let found: serde_json::Value = serde_json::from_slice(
        &run_ok(
            &url,
            &redis,
            &["--json", "conversations", "find", "--limit", "1"],
        )
        .stdout,
    )
    .unwrap();
    let conversation = found
        .pointer("/rows/0/id")
        .map(|v| v.to_string().trim_matches('"').to_owned())
        .unwrap_or_else(|| panic!("no conversation in {found}"));
    run_ok(
        &url,
        &redis,
        &["conversations", "review", &conversation, "--verdict", "ok"],
    );
    run_ok(&url, &redis, &["conversations", "export", &conversation]);
    // A QA sample kept as a review queue. (Claims on the queue are work in progress, kept
    // in review_claims, not changes: they are not in the trail.)
    run_ok(
        &url,
        &redis,
        &[
            "conversations",
            "sample",
            "--per-dh",
            "1",
            "--seed",
            "1",
            "--name",
            "every-change",
            "--from",
            "2000-01-01",
            "--to",
            "2100-01-01",
        ],
    );
    run_ok(
        &url,
        &redis,
        &[
            "conversations",
            "queue",
            "next",
            "--queue",
            "every-change",
            "--reviewer",
            "li",
        ],
    );

    // KILL of a statement that would otherwise sleep for a minute.
    let mut victim = db.admin.pool.acquire().await.unwrap();
    let (victim_id,): (u64,) = sqlx::query_as("SELECT CONNECTION_ID()")
        .fetch_one(&mut *victim)
        .await
        .unwrap();
    let sleeping = tokio::spawn(async move {
        let _ = sqlx::query("SELECT SLEEP(60)").execute(&mut *victim).await;
    });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    run_ok(
        &url,
        &redis,
        &["monitor", "kill", &victim_id.to_string(), "--yes"],
    );
    tokio::time::timeout(std::time::Duration::from_secs(10), sleeping)
        .await
        .expect("the killed statement ends")
        .unwrap();

    // A cache key given a lifetime, then deleted.
    let key = format!("mp:every-change:{pid}");
    assert_eq!(redis_cli(&redis_port, &["SET", &key, "x"]), "OK");
    run_ok(&url, &redis, &["cache", "expire", &key, "600", "--yes"]);
    run_ok(&url, &redis, &["cache", "del", &key, "--yes"]);

    // A backup, its restore, and a prune of an abandoned partial backup.
    run_ok(&url, &redis, &["backup", "run", "--out", backups_dir]);
    let listed: serde_json::Value = serde_json::from_slice(
        &run_ok(&url, &redis, &["--json", "backup", "list", backups_dir]).stdout,
    )
    .unwrap();
    let backup = listed
        .pointer("/0/path")
        .or_else(|| listed.pointer("/backups/0/path"))
        .and_then(|p| p.as_str())
        .unwrap_or_else(|| panic!("no backup in {listed}"))
        .to_owned();
    run_ok(
        &url,
        &redis,
        &["backup", "restore", &backup, "--into", &restored],
    );
    let abandoned = backups.path().join(".abandoned.partial");
    std::fs::create_dir(&abandoned).unwrap();
    let touched = Command::new("touch")
        .args(["-d", "3 days ago"])
        .arg(&abandoned)
        .status()
        .unwrap();
    assert!(touched.success());
    run_ok(
        &url,
        &redis,
        &["backup", "prune", backups_dir, "--keep-days", "7"],
    );
    assert!(!abandoned.exists(), "the prune removed the partial backup");

    run_ok(&url, &redis, &["replication", "heartbeat", "create"]);
    // One BGSAVE at a time per server: wait out one another test started.
    let mut saved = false;
    for _ in 0..60 {
        let out = Command::new(BIN)
            .args([
                "--mysql", &url, "--redis", &redis, "backup", "redis", "bgsave",
            ])
            .env("MINDPAL_PROFILES", "/nonexistent/mindpal-profiles.json")
            .output()
            .unwrap();
        if out.status.success() {
            saved = true;
            break;
        }
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("already running"),
            "{out:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    assert!(saved, "BGSAVE started within 30 s");

    let expected = [
        "schema.migrate",
        "seed.reset",
        "seed.load",
        "user.disable",
        "user.enable",
        "user.delete",
        "user.restore",
        "user.cache.invalidate",
        "digital_human.delete",
        "digital_human.restore",
        "conversation.review",
        "conversation.export",
        "review.queue.create",
        "session.kill_query",
        "cache.expire",
        "cache.delete",
        "backup.run",
        "backup.restore",
        "backup.prune",
        "replication.heartbeat.create",
        "redis.bgsave",
    ];
    // Every row, the seeded platform's own logs left out.
    let export = run(&url, &["audit", "--export", "json"]);
    assert!(export.status.success(), "{export:?}");
    let rows: Vec<serde_json::Value> = String::from_utf8_lossy(&export.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .filter(|r: &serde_json::Value| {
            r["userAgent"]
                .as_str()
                .is_some_and(|a| a.starts_with("mindpal-admin/"))
        })
        .collect();
    let actions: Vec<&str> = rows.iter().map(|r| r["action"].as_str().unwrap()).collect();
    for action in expected {
        let count = actions.iter().filter(|a| **a == action).count();
        assert_eq!(count, 1, "{action} once in {actions:?}");
    }
    assert_eq!(rows.len(), expected.len(), "no other rows: {actions:?}");
    for row in &rows {
        assert!(!row["operator"].as_str().unwrap_or("").is_empty(), "{row}");
        assert_eq!(row["clientHost"], "127.0.0.1", "{row}");
    }

    db.exec(&format!(
        "DROP DATABASE IF EXISTS {}",
        quote_ident(&restored)
    ))
    .await;
    db.drop().await;
}
