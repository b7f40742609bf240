//! The EXPLAIN workbench's own cost: guard, plan parsing and lint per hot query (µs), and one
//! EXPLAIN through the core (guard, live schema, READ ONLY transaction, plan, classic table,
//! lint) beside the bare `EXPLAIN FORMAT=JSON` round trip a SQL client makes. Run by
//! `make bench` on a seeded database: BENCH_DIRECTORY_URL=mysql://…/mindpal_bench.

mod common;

use std::time::{Duration, Instant};

use mindpal_core::CancellationToken;
use mindpal_core::explain::lint::{LintInput, lint};
use mindpal_core::explain::{self, Catalog, ExplainOptions, guard, hot, plan};

fn median_us(samples: &mut [Duration]) -> f64 {
    samples.sort();
    samples[samples.len() / 2].as_secs_f64() * 1e6
}

fn time_us<T>(repeats: usize, mut f: impl FnMut() -> T) -> f64 {
    let mut samples = Vec::with_capacity(repeats);
    for _ in 0..repeats {
        let started = Instant::now();
        std::hint::black_box(f());
        samples.push(started.elapsed());
    }
    median_us(&mut samples)
}

/// The lint's median time for one statement and its plan.
fn lint_us(statement: &sqlparser::ast::Statement, parsed: &plan::Plan, catalog: &Catalog) -> f64 {
    time_us(2_000, || {
        lint(&LintInput {
            statement: Some(statement),
            plan: Some(parsed),
            catalog: Some(catalog),
        })
        .len()
    })
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let Some((server, url)) = common::bench_database().await else {
        return;
    };
    let database = url.rsplit('/').next().unwrap_or("mindpal_bench").to_owned();
    let catalog = Catalog::load(&server, &database).await.unwrap();
    let cancel = CancellationToken::new();

    println!(
        "{:<30} {:>9} {:>9} {:>9} {:>11} {:>11} {:>7}",
        "hot query", "guard µs", "parse µs", "lint µs", "core ms", "bare ms", "ratio"
    );
    let (mut guard_total, mut lint_total, mut parse_total) = (0.0, 0.0, 0.0);
    let queries = hot::queries();
    for q in &queries {
        let checked = guard::check(&q.sql, guard::Mode::Explain).unwrap();
        let bare_sql = format!("EXPLAIN FORMAT=JSON {}", q.sql);
        let (json,): (String,) = sqlx::query_as(sqlx::AssertSqlSafe(bare_sql.clone()))
            .fetch_one(&server.pool)
            .await
            .unwrap();
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        let parsed = plan::parse_json(&value).unwrap();

        let guard_us = time_us(2_000, || guard::check(&q.sql, guard::Mode::Explain).is_ok());
        let parse_us = time_us(2_000, || plan::parse(&json).is_ok());
        let lint_us = lint_us(&checked.statement, &parsed, &catalog);
        guard_total += guard_us;
        parse_total += parse_us;
        lint_total += lint_us;

        let mut core = Vec::new();
        let mut bare = Vec::new();
        for _ in 0..15 {
            let started = Instant::now();
            explain::explain(
                &server,
                mindpal_core::access::Actor::OPERATOR,
                &q.sql,
                &ExplainOptions::default(),
                &cancel,
            )
            .await
            .unwrap();
            core.push(started.elapsed());
            let started = Instant::now();
            let _: (String,) = sqlx::query_as(sqlx::AssertSqlSafe(bare_sql.clone()))
                .fetch_one(&server.pool)
                .await
                .unwrap();
            bare.push(started.elapsed());
        }
        let core_ms = median_us(&mut core) / 1000.0;
        let bare_ms = median_us(&mut bare) / 1000.0;
        println!(
            "{:<30} {guard_us:>9.1} {parse_us:>9.1} {lint_us:>9.1} {core_ms:>11.2} {bare_ms:>11.2} {:>6.1}x",
            q.id,
            core_ms / bare_ms
        );
    }
    let n = queries.len() as f64;
    println!(
        "{:<30} {:>9.1} {:>9.1} {:>9.1}   (mean per statement; guard + parse + lint {:.1} µs)",
        "all hot queries",
        guard_total / n,
        parse_total / n,
        lint_total / n,
        (guard_total + parse_total + lint_total) / n
    );
    // The statements a DBA meets every week (hidden indexes and the classics), each with its plan.
    let mut worst: f64 = 0.0;
    for sql in WEEKLY_STATEMENTS {
        let checked = guard::check(sql, guard::Mode::Explain).unwrap();
        let (json,): (String,) =
            sqlx::query_as(sqlx::AssertSqlSafe(format!("EXPLAIN FORMAT=JSON {sql}")))
                .fetch_one(&server.pool)
                .await
                .unwrap();
        let parsed = plan::parse(&json).unwrap();
        let lint_us = lint_us(&checked.statement, &parsed, &catalog);
        worst = worst.max(lint_us);
    }
    println!(
        "lint of {} statements a DBA meets every week (hidden indexes, ORDER BY RAND(), NOT IN, whole counts; with their plans): at most {worst:.1} µs each (aim: under 1,000 µs)",
        WEEKLY_STATEMENTS.len()
    );
    let catalog_ms = {
        let mut samples = Vec::new();
        for _ in 0..15 {
            let started = Instant::now();
            Catalog::load_tables(&server, &database, Some(&["conversations".to_owned()]))
                .await
                .unwrap();
            samples.push(started.elapsed());
        }
        median_us(&mut samples) / 1000.0
    };
    println!(
        "reading the live schema of one table for the lint (size, columns, indexes): {catalog_ms:.2} ms of each core round trip"
    );
}

const WEEKLY_STATEMENTS: [&str; 12] = [
    "SELECT id FROM conversations WHERE DATE_FORMAT(created_at, '%Y-%m') = '2025-11'",
    "SELECT id FROM conversations WHERE created_at + INTERVAL 1 DAY > NOW()",
    "SELECT id, nickname FROM users WHERE LEFT(phone, 8) = '13000000'",
    "SELECT title FROM conversations WHERE id + 1 = 1000",
    "SELECT id FROM users WHERE LOWER(email) = 'someone@example.com'",
    "SELECT id FROM users WHERE CAST(phone AS UNSIGNED) = 13000000007",
    "SELECT c.id FROM conversations c JOIN users u ON u.phone = c.user_id WHERE c.id < 50",
    "SELECT c.id, c.title FROM conversations c JOIN users u ON u.id = c.user_id \
     WHERE TIMESTAMPDIFF(DAY, c.last_message_at, NOW()) < 7 AND CONCAT(u.nickname, '') LIKE 'a%' \
     ORDER BY c.last_message_at DESC LIMIT 50",
    "SELECT id, title FROM conversations ORDER BY RAND() LIMIT 1",
    "SELECT id FROM users WHERE id NOT IN (SELECT user_id FROM knowledge_base)",
    "SELECT COUNT(*) FROM conversations",
    "SELECT user_id, COUNT(*) AS n FROM conversations GROUP BY user_id ORDER BY n DESC LIMIT 10",
];
