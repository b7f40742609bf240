//! The EXPLAIN workbench and the index report against the real MariaDB.

use std::time::{Duration, Instant};

use mindpal_core::explain::plan::{Access, NodeKind, PlanNode};
use mindpal_core::explain::{self, ExplainOptions, Rule, hot};
use mindpal_core::indexes::{self, IndexIssue, UsageSource};
use mindpal_core::{CancellationToken, Error, ErrorKind};

use crate::support::{SOURCE_DESIGN, TestDb, seeded, seeded_at};

const HANG: Duration = Duration::from_secs(30);

fn table<'a>(plan: &'a explain::Plan, name: &str) -> &'a PlanNode {
    plan.tables()
        .into_iter()
        .find(|t| t.table.as_deref() == Some(name))
        .unwrap_or_else(|| panic!("{name} in the plan: {:#?}", plan.root))
}

async fn run(db: &TestDb, sql: &str, analyze: bool) -> Result<explain::ExplainReport, Error> {
    let options = ExplainOptions {
        analyze,
        time_limit_ms: Some(2_000),
    };
    tokio::time::timeout(
        HANG,
        explain::explain(
            &db.server,
            mindpal_core::access::Actor::OPERATOR,
            sql,
            &options,
            &CancellationToken::new(),
        ),
    )
    .await
    .unwrap_or_else(|_| panic!("explain of `{}` hung", &sql[..sql.len().min(80)]))
}

/// Every table's CHECKSUM, to show that nothing changed.
async fn checksums(db: &TestDb) -> Vec<(String, Option<i64>)> {
    let tables: Vec<(String,)> = sqlx::query_as("SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME")
        .fetch_all(&db.server.pool)
        .await
        .unwrap();
    let list = tables
        .iter()
        .map(|(t,)| format!("`{t}`"))
        .collect::<Vec<_>>()
        .join(", ");
    sqlx::query_as(sqlx::AssertSqlSafe(format!("CHECKSUM TABLE {list}")))
        .fetch_all(&db.server.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn date_of_created_at_is_a_full_scan_and_its_rewrite_is_a_range() {
    let db = seeded("explain_date", 11, None).await;
    let hot = hot::queries()
        .into_iter()
        .find(|q| q.id == "conversations-of-a-day")
        .unwrap();
    let report = run(&db, &hot.sql, false).await.unwrap();
    assert_eq!(
        table(&report.plan, "conversations").access,
        Some(Access::FullScan),
        "DATE() hides the index"
    );
    let finding = report
        .findings
        .iter()
        .find(|f| f.rule == Rule::HiddenIndex)
        .expect("the lint names the function");
    let rewrite = finding.rewrite.clone().expect("a range rewrite");
    assert!(
        rewrite
            .contains("created_at >= '2026-11-11 00:00:00' AND created_at < '2026-11-12 00:00:00'"),
        "{rewrite}"
    );
    assert!(
        report
            .classic
            .iter()
            .any(|r| r.access_type.as_deref() == Some("ALL")),
        "the server's own table says ALL"
    );

    let again = run(&db, &rewrite, false).await.unwrap();
    let t = table(&again.plan, "conversations");
    assert_eq!(
        t.access,
        Some(Access::Range),
        "the rewrite uses the index: {:#?}",
        again.plan.root
    );
    assert_eq!(t.key.as_deref(), Some("idx_created_at"));
    assert!(again.findings.iter().all(|f| f.rule != Rule::HiddenIndex));
    db.drop().await;
}

/// Each way of hiding an index, on the seeded schema at scale 0.1 (30,000 conversations): the
/// server's plan reads the table in full and the lint names the index; where the lint rewrites,
/// the rewrite's plan uses that index and trips nothing.
#[tokio::test]
async fn every_expression_that_hides_an_index_is_flagged_and_its_rewrite_uses_the_index() {
    let db = seeded_at("explain_sargable", 12, None, 0.1).await;
    let cases: [(&str, &str, &str, Option<&str>); 6] = [
        (
            "SELECT id FROM conversations WHERE DATE_FORMAT(created_at, '%Y-%m') = '2025-11'",
            "conversations",
            "idx_created_at",
            Some("created_at >= '2025-11-01 00:00:00' AND created_at < '2025-12-01 00:00:00'"),
        ),
        (
            "SELECT id FROM conversations WHERE created_at + INTERVAL 1 DAY > NOW()",
            "conversations",
            "idx_created_at",
            Some("created_at > NOW() - INTERVAL 1 DAY"),
        ),
        (
            "SELECT id, nickname FROM users WHERE LEFT(phone, 8) = '13000000'",
            "users",
            "phone",
            Some("phone LIKE '13000000%'"),
        ),
        (
            "SELECT title FROM conversations WHERE id + 1 = 1000",
            "conversations",
            "PRIMARY",
            Some("id = 1000 - 1"),
        ),
        (
            "SELECT id FROM users WHERE LOWER(email) = 'someone@example.com'",
            "users",
            "email",
            None,
        ),
        (
            "SELECT id FROM conversations WHERE created_at + INTERVAL 1 MONTH < '2025-01-01'",
            "conversations",
            "idx_created_at",
            None,
        ),
    ];
    for (sql, table_name, index, rewrite) in cases {
        let report = run(&db, sql, false).await.unwrap();
        // Every row or every index entry: with `SELECT id` the server may read the
        // secondary index in full instead of the table, which is no better.
        let access = table(&report.plan, table_name).access;
        assert!(
            matches!(access, Some(Access::FullScan | Access::IndexScan)),
            "{sql}: the server reads all of {table_name}, not {access:?}"
        );
        let finding = report
            .findings
            .iter()
            .find(|f| f.rule == Rule::HiddenIndex)
            .unwrap_or_else(|| panic!("{sql}: no hidden-index finding in {:#?}", report.findings));
        assert!(finding.title.contains(index), "{sql}: {}", finding.title);
        let Some(expected) = rewrite else {
            assert_eq!(finding.rewrite, None, "{sql}");
            continue;
        };
        let rewritten = finding.rewrite.clone().expect("a rewrite");
        assert!(rewritten.contains(expected), "{sql} became {rewritten}");
        let again = run(&db, &rewritten, false).await.unwrap();
        let t = table(&again.plan, table_name);
        assert!(
            !matches!(t.access, Some(Access::FullScan | Access::IndexScan)),
            "{rewritten} reads only the range: {:#?}",
            again.plan.root
        );
        assert!(
            t.key.as_deref().is_some_and(|k| k.contains(index)),
            "{rewritten} uses {index}: {:#?}",
            again.plan.root
        );
        assert!(
            again.findings.iter().all(|f| f.rule != Rule::HiddenIndex),
            "{rewritten}: {:#?}",
            again.findings
        );
    }

    // A text column joined to a number: the text side's index cannot serve the join.
    let join =
        "SELECT c.id FROM conversations c JOIN users u ON u.phone = c.user_id WHERE c.id < 50";
    let report = run(&db, join, false).await.unwrap();
    // The server reads every phone (the whole table or the whole uk_phone) instead of looking
    // each one up; the same join with the number cast to text looks each one up.
    let users = table(&report.plan, "u");
    assert!(
        matches!(users.access, Some(Access::FullScan | Access::IndexScan)),
        "all of users is read for the join: {:#?}",
        report.plan.root
    );
    let cast = run(
        &db,
        &join.replace("= c.user_id", "= CAST(c.user_id AS CHAR)"),
        false,
    )
    .await
    .unwrap();
    assert_eq!(
        table(&cast.plan, "u").access,
        Some(Access::EqRef),
        "{:#?}",
        cast.plan.root
    );
    let finding = report
        .findings
        .iter()
        .find(|f| f.rule == Rule::HiddenIndex)
        .expect("the mismatched join is named");
    assert!(
        finding
            .title
            .contains("users.phone (VARCHAR) is joined to conversations.user_id (BIGINT)"),
        "{}",
        finding.title
    );
    // An explicit COLLATE on the pattern: the email index is read in full instead of a range.
    let collated = run(
        &db,
        "SELECT id FROM users WHERE email LIKE 'a%' COLLATE utf8mb4_bin",
        false,
    )
    .await
    .unwrap();
    assert_eq!(
        table(&collated.plan, "users").access,
        Some(Access::IndexScan),
        "{:#?}",
        collated.plan.root
    );
    let finding = collated
        .findings
        .iter()
        .find(|f| f.rule == Rule::HiddenIndex)
        .expect("the collation is named");
    assert!(
        finding
            .title
            .starts_with("COLLATE utf8mb4_bin against email hides the index uk_email"),
        "{}",
        finding.title
    );
    let own = run(&db, "SELECT id FROM users WHERE email LIKE 'a%'", false)
        .await
        .unwrap();
    assert_eq!(table(&own.plan, "users").access, Some(Access::Range));
    assert!(own.findings.iter().all(|f| f.rule != Rule::HiddenIndex));

    // A legacy utf8mb3 column joined to a utf8mb4 one: the utf8mb3 side is converted and its
    // index serves no lookup; the same table in utf8mb4 is looked up by phone.
    for (charset, lookup) in [("utf8mb3", false), ("utf8mb4", true)] {
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "DROP TABLE IF EXISTS legacy_contacts; \
             CREATE TABLE legacy_contacts (id INT AUTO_INCREMENT PRIMARY KEY, \
               phone VARCHAR(20) CHARACTER SET {charset} NOT NULL, KEY idx_phone (phone)); \
             INSERT INTO legacy_contacts (phone) SELECT phone FROM users; ANALYZE TABLE legacy_contacts"
        )))
        .execute(&db.server.pool)
        .await
        .unwrap();
        let joined = run(
            &db,
            "SELECT u.id FROM users u JOIN legacy_contacts l ON l.phone = u.phone WHERE u.id < 50",
            false,
        )
        .await
        .unwrap();
        let contacts = table(&joined.plan, "l");
        assert_eq!(
            contacts.access == Some(Access::Ref),
            lookup,
            "{charset}: {:#?}",
            joined.plan.root
        );
        let named = joined.findings.iter().find(|f| f.rule == Rule::HiddenIndex);
        assert_eq!(
            named.is_some(),
            !lookup,
            "{charset}: {:#?}",
            joined.findings
        );
        if let Some(f) = named {
            assert!(
                f.title.starts_with(
                    "legacy_contacts.phone (utf8mb3) is joined to users.phone (utf8mb4)"
                ),
                "{}",
                f.title
            );
        }
    }
    db.drop().await;
}

/// The week's classics on the seeded schema at scale 0.1, each shown by the server's plan (or,
/// for NOT IN, by its answer) and by what its rewrite does instead.
#[tokio::test]
async fn the_weeks_classics_are_flagged_where_the_server_shows_them() {
    let db = seeded_at("explain_classics", 13, None, 0.1).await;
    let finding = |report: &explain::ExplainReport, rule: Rule| {
        report
            .findings
            .iter()
            .find(|f| f.rule == rule)
            .unwrap_or_else(|| panic!("{rule:?} in {:#?}", report.findings))
            .clone()
    };
    // A filesort or a temporary table: a node of its own in JSON plans, a flag in others.
    let sorts = |plan: &explain::Plan| {
        plan.root.walk().iter().any(|n| {
            n.using_filesort
                || n.using_temporary
                || matches!(n.kind, Some(NodeKind::Sort | NodeKind::Temporary))
        })
    };

    // ORDER BY RAND(): the whole table into a temporary table and sorted; the keyed pick
    // reads a range of the primary key, unsorted.
    let random = run(
        &db,
        "SELECT id, title FROM conversations ORDER BY RAND() LIMIT 1",
        false,
    )
    .await
    .unwrap();
    assert!(sorts(&random.plan), "{:#?}", random.plan.root);
    assert_eq!(
        table(&random.plan, "conversations").access,
        Some(Access::FullScan)
    );
    let pick = finding(&random, Rule::RandomOrder)
        .rewrite
        .expect("a keyed pick");
    let picked = run(&db, &pick, false).await.unwrap();
    assert_eq!(
        table(&picked.plan, "conversations").key.as_deref(),
        Some("PRIMARY"),
        "{:#?}",
        picked.plan.root
    );
    assert!(!sorts(&picked.plan), "{:#?}", picked.plan.root);
    assert!(picked.findings.iter().all(|f| f.rule != Rule::RandomOrder));
    let (rows,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT COUNT(*) FROM ({pick}) AS p"
    )))
    .fetch_one(&db.server.pool)
    .await
    .unwrap();
    assert_eq!(rows, 1, "the pick returns a row");

    // NOT IN over knowledge_base.user_id, NULL for the system knowledge base: no user at all;
    // the NOT EXISTS rewrite finds the users without a knowledge base.
    let sql = "SELECT id FROM users WHERE id NOT IN (SELECT user_id FROM knowledge_base)";
    let not_in = run(&db, sql, false).await.unwrap();
    let rewrite = finding(&not_in, Rule::NotInNullable)
        .rewrite
        .expect("NOT EXISTS");
    let count = |q: String| {
        let pool = db.server.pool.clone();
        async move {
            let (n,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT COUNT(*) FROM ({q}) AS x"
            )))
            .fetch_one(&pool)
            .await
            .unwrap();
            n
        }
    };
    let (nulls,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM knowledge_base WHERE user_id IS NULL")
            .fetch_one(&db.server.pool)
            .await
            .unwrap();
    assert!(nulls > 0, "the seed has system knowledge bases");
    assert_eq!(
        count(sql.to_owned()).await,
        0,
        "one NULL and NOT IN is never true"
    );
    assert!(
        count(rewrite.clone()).await > 0,
        "{rewrite} finds the users without one"
    );
    let again = run(&db, &rewrite, false).await.unwrap();
    assert!(again.findings.iter().all(|f| f.rule != Rule::NotInNullable));
    // A NOT NULL column has no such trap.
    let safe = run(
        &db,
        "SELECT id FROM users WHERE id NOT IN (SELECT user_id FROM conversations)",
        false,
    )
    .await
    .unwrap();
    assert!(
        safe.findings.iter().all(|f| f.rule != Rule::NotInNullable),
        "{:#?}",
        safe.findings
    );

    // COUNT(*) of the whole table walks a whole index; the estimate reads none.
    let counted = run(&db, "SELECT COUNT(*) FROM conversations", false)
        .await
        .unwrap();
    assert_eq!(
        table(&counted.plan, "conversations").access,
        Some(Access::IndexScan)
    );
    let estimate = finding(&counted, Rule::WholeTableCount).rewrite.unwrap();
    let (rows,): (Option<u64>,) = sqlx::query_as(sqlx::AssertSqlSafe(estimate))
        .fetch_one(&db.server.pool)
        .await
        .unwrap();
    assert!(rows.is_some_and(|n| n > 10_000), "{rows:?}");

    // GROUP BY ordered by its count: a temporary table and a filesort of every group.
    let top = run(&db, "SELECT user_id, COUNT(*) AS n FROM conversations GROUP BY user_id ORDER BY n DESC LIMIT 10", false).await.unwrap();
    assert!(sorts(&top.plan), "{:#?}", top.plan.root);
    finding(&top, Rule::AggregateOrder);
    let by_user = run(&db, "SELECT user_id, COUNT(*) AS n FROM conversations GROUP BY user_id ORDER BY user_id LIMIT 10", false).await.unwrap();
    assert!(
        !sorts(&by_user.plan),
        "grouped in index order: {:#?}",
        by_user.plan.root
    );
    assert!(
        by_user
            .findings
            .iter()
            .all(|f| f.rule != Rule::AggregateOrder)
    );

    // Thousands of ids in one IN list.
    let ids = (1..=1_500)
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(",");
    let long = run(
        &db,
        &format!("SELECT title FROM conversations WHERE id IN ({ids})"),
        false,
    )
    .await
    .unwrap();
    assert_eq!(
        finding(&long, Rule::LongInList).title,
        "an IN list of 1,500 values"
    );
    db.drop().await;
}

async fn scratch_databases(db: &TestDb) -> i64 {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE 'mindpal\\_try\\_%'",
    )
    .fetch_one(&db.server.pool)
    .await
    .unwrap();
    n
}

/// *Try it*: the index the lint suggests, built on a sampled scratch copy, changes the plan;
/// nothing is left behind, after a cancel either; support profiles and writes are refused.
#[tokio::test]
async fn try_it_proves_a_suggested_index_on_a_scratch_copy_and_leaves_nothing() {
    use mindpal_core::access::Actor;
    use mindpal_core::access::Role;
    use mindpal_core::explain::trial::{TrialOptions, try_index};
    let db = seeded_at("explain_try", 14, None, 0.1).await;
    let sql = "SELECT id, user_id FROM conversations WHERE title = 'no such title'";
    let report = run(&db, sql, false).await.unwrap();
    let suggestion = report
        .findings
        .iter()
        .find(|f| f.rule == Rule::FullScan)
        .and_then(|f| f.ddl.clone())
        .expect("the lint suggests an index");
    assert!(suggestion.contains("(`title`)"), "{suggestion}");
    let (live_rows,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM conversations")
        .fetch_one(&db.server.pool)
        .await
        .unwrap();

    let options = TrialOptions {
        max_rows: 2_000,
        analyze: true,
    };
    let steps = std::sync::Mutex::new(Vec::new());
    let trial = try_index(
        &db.server,
        Actor::OPERATOR,
        sql,
        "conversations",
        &["title".to_owned()],
        &options,
        &|step| steps.lock().unwrap().push(step.to_owned()),
        &CancellationToken::new(),
    )
    .await
    .unwrap();
    let sampled = &trial.sampled[0];
    assert_eq!(sampled.table, "conversations");
    assert!(
        sampled.copied_rows > 0
            && sampled.copied_rows <= 2_000
            && (sampled.copied_rows as i64) < live_rows,
        "a bounded sample: {sampled:?} of {live_rows}"
    );
    let before = table(&trial.without_index.plan, "conversations");
    let after = table(&trial.with_index.plan, "conversations");
    assert_eq!(
        before.access,
        Some(Access::FullScan),
        "{:#?}",
        trial.without_index.plan.root
    );
    assert_eq!(
        after.access,
        Some(Access::Ref),
        "{:#?}",
        trial.with_index.plan.root
    );
    assert_eq!(after.key.as_deref(), Some("try_title"));
    assert!(trial.analyzed);
    assert!(
        trial.with_index.rows_examined < trial.without_index.rows_examined,
        "{} < {}",
        trial.with_index.rows_examined,
        trial.without_index.rows_examined
    );
    assert!(
        steps
            .lock()
            .unwrap()
            .iter()
            .any(|s| s.starts_with("copying conversations"))
    );
    assert_eq!(
        scratch_databases(&db).await,
        0,
        "the scratch database is gone"
    );
    let (logged,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM operation_logs WHERE action = 'explain.try_index' AND details LIKE '%tried%'",
    )
    .fetch_one(&db.server.pool)
    .await
    .unwrap();
    assert_eq!(logged, 1);
    // The live table never got the index.
    let (live_index,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'conversations' AND INDEX_NAME = 'try_title'",
    )
    .fetch_one(&db.server.pool)
    .await
    .unwrap();
    assert_eq!(live_index, 0);

    // Cancelled while copying: stopped, and the scratch database dropped all the same.
    let cancel = CancellationToken::new();
    let stopped = try_index(
        &db.server,
        Actor::OPERATOR,
        "SELECT id FROM users WHERE nickname = 'x'",
        "users",
        &["nickname".to_owned()],
        &TrialOptions::default(),
        &|step| {
            if step.starts_with("copying") {
                cancel.cancel();
            }
        },
        &cancel,
    )
    .await;
    assert!(matches!(stopped, Err(Error::Cancelled)), "{stopped:?}");
    assert_eq!(scratch_databases(&db).await, 0, "dropped after the cancel");

    // Support profiles may not create a scratch database; writes are never tried.
    let support = Actor {
        role: Role::Support,
        read_only: false,
    };
    let refused = try_index(
        &db.server,
        support,
        sql,
        "users",
        &["nickname".to_owned()],
        &options,
        &|_| {},
        &CancellationToken::new(),
    )
    .await;
    assert!(matches!(refused, Err(Error::Forbidden(_))), "{refused:?}");
    let write = try_index(
        &db.server,
        Actor::OPERATOR,
        "DELETE FROM users WHERE nickname = 'x'",
        "users",
        &["nickname".to_owned()],
        &TrialOptions::default(),
        &|_| {},
        &CancellationToken::new(),
    )
    .await;
    assert!(matches!(write, Err(Error::Refused(_))), "{write:?}");
    assert_eq!(scratch_databases(&db).await, 0);
    db.drop().await;
}

#[tokio::test]
async fn every_hot_query_explains_on_the_migrated_schema() {
    let db = seeded("explain_hot", 12, None).await;
    let health = explain::schema_health(&db.server, &CancellationToken::new(), &|_, _| {})
        .await
        .unwrap();
    for entry in &health.entries {
        assert!(
            entry.error.is_none(),
            "{}: {:?}",
            entry.query.id,
            entry.error
        );
    }
    let of = |id: &str| {
        health
            .entries
            .iter()
            .find(|e| e.query.id == id)
            .unwrap()
            .report
            .as_ref()
            .unwrap()
    };
    assert!(
        of("deep-offset")
            .findings
            .iter()
            .any(|f| f.rule == Rule::DeepOffset && f.rewrite.is_some())
    );
    assert!(
        of("n-plus-one")
            .findings
            .iter()
            .any(|f| f.rule == Rule::DependentSubquery && f.rewrite.is_some())
    );
    assert!(
        of("phone-as-number")
            .findings
            .iter()
            .any(|f| f.rule == Rule::ImplicitConversion)
    );
    assert_eq!(
        table(&of("conversation-messages").plan, "conversation_messages")
            .key
            .as_deref(),
        Some("idx_conversation_id_id")
    );
    assert!(health.warnings >= 4);
    db.drop().await;
}

#[tokio::test]
async fn analyze_shows_actual_rows_and_writes_nothing() {
    let db = seeded("explain_analyze", 13, None).await;
    let report = run(
        &db,
        "SELECT id, title FROM conversations WHERE user_id = 1",
        true,
    )
    .await
    .unwrap();
    assert!(report.plan.analyzed);
    assert!(report.rolled_back);
    let t = table(&report.plan, "conversations");
    let (expected,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM conversations WHERE user_id = 1")
            .fetch_one(&db.server.pool)
            .await
            .unwrap();
    // r_rows counts the rows read, r_filtered the share of them that matched.
    let returned = t.actual_rows.unwrap() * t.actual_filtered.unwrap_or(100.0) / 100.0;
    assert_eq!(
        returned.round() as i64,
        expected,
        "ANALYZE reports what it really read: {t:?}"
    );

    // A write is refused for ANALYZE before anything is sent.
    let before = checksums(&db).await;
    match run(&db, "DELETE FROM conversations WHERE user_id = 1", true).await {
        Err(Error::Refused(reason)) => {
            assert!(reason.contains("ANALYZE runs the statement"), "{reason}")
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    // Its plain EXPLAIN shows a plan and deletes nothing.
    let plan = run(&db, "DELETE FROM conversations WHERE user_id = 1", false)
        .await
        .unwrap();
    assert!(!plan.plan.tables().is_empty());
    assert_eq!(checksums(&db).await, before, "nothing changed");
    db.drop().await;
}

#[tokio::test]
async fn a_slow_analyze_is_stopped_by_its_time_limit_and_the_connection_is_reusable() {
    let db = seeded("explain_limit", 14, None).await;
    let heavy = "SELECT COUNT(*) FROM conversation_messages a, conversation_messages b, conversation_messages c WHERE a.content < b.content AND b.id <> c.id";
    let options = ExplainOptions {
        analyze: true,
        time_limit_ms: Some(300),
    };
    let started = Instant::now();
    let err = explain::explain(
        &db.server,
        mindpal_core::access::Actor::OPERATOR,
        heavy,
        &options,
        &CancellationToken::new(),
    )
    .await
    .unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "stopped near its limit, took {:?}",
        started.elapsed()
    );
    assert!(err.to_string().contains("time limit"), "{err}");
    // The pool still works and the session limit was reset.
    let ok = run(&db, "SELECT id FROM users WHERE id = 1", true)
        .await
        .unwrap();
    assert!(ok.plan.analyzed);
    db.drop().await;
}

#[tokio::test]
async fn cancel_stops_the_statement_on_the_server() {
    let db = seeded("explain_cancel", 15, None).await;
    let marker = "mp_cancel_marker_7731";
    let heavy = format!(
        "SELECT COUNT(*) AS {marker} FROM conversation_messages a, conversation_messages b, conversation_messages c WHERE a.content < b.content AND b.id <> c.id"
    );
    let cancel = CancellationToken::new();
    let trigger = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(400)).await;
        trigger.cancel();
    });
    let options = ExplainOptions {
        analyze: true,
        time_limit_ms: Some(60_000),
    };
    let started = Instant::now();
    let err = explain::explain(
        &db.server,
        mindpal_core::access::Actor::OPERATOR,
        &heavy,
        &options,
        &cancel,
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Cancelled);
    assert!(started.elapsed() < Duration::from_secs(5));
    // KILL QUERY reached the server: the statement is gone from the processlist.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let (running,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE ? AND INFO NOT LIKE '%PROCESSLIST%'")
            .bind(format!("%{marker}%"))
            .fetch_one(&db.server.pool)
            .await
            .unwrap();
        if running == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the cancelled statement still runs on the server"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    db.drop().await;
}

/// Hundreds of hostile statements: stacked, hidden in comments, INTO OUTFILE, SLEEP in
/// ANALYZE, DDL, huge, invalid. None may write anything or hang.
#[tokio::test]
async fn a_hostile_corpus_never_writes_or_hangs() {
    let db = seeded("explain_hostile", 16, None).await;
    let outfile = std::env::temp_dir().join(format!("mp_hostile_{}.txt", std::process::id()));
    let out = outfile.display().to_string();
    let bases: Vec<String> = vec![
        "DROP TABLE users".into(),
        "DELETE FROM users".into(),
        "TRUNCATE TABLE conversations".into(),
        "UPDATE users SET status = 2".into(),
        "INSERT INTO users (phone) VALUES ('1')".into(),
        "CREATE TABLE pwned (id INT)".into(),
        "ALTER TABLE users DROP COLUMN phone".into(),
        "SET GLOBAL read_only = 1".into(),
        "SET @a = 1".into(),
        "CALL mysql.nothing()".into(),
        "GRANT ALL ON *.* TO 'x'@'%'".into(),
        "LOAD DATA INFILE '/etc/passwd' INTO TABLE users".into(),
        "HANDLER users OPEN".into(),
        "DO SLEEP(5)".into(),
        "KILL CONNECTION_ID()".into(),
        "LOCK TABLES users WRITE".into(),
        format!("SELECT * FROM users INTO OUTFILE '{out}'"),
        format!("SELECT phone FROM users INTO DUMPFILE '{out}'"),
        "SELECT * INTO @x FROM users LIMIT 1".into(),
        "SELECT SLEEP(5)".into(),
        "SELECT BENCHMARK(100000000, MD5('x'))".into(),
        "SELECT GET_LOCK('mp', 10)".into(),
        "SELECT LOAD_FILE('/etc/passwd')".into(),
        "SELECT * FROM users WHERE id = 1 FOR UPDATE".into(),
        "SELECT * FROM users WHERE id = 1 LOCK IN SHARE MODE".into(),
        "SELECT * FROM users WHERE id = (SELECT SLEEP(5))".into(),
        "SELECT NEXTVAL(s)".into(),
        "EXPLAIN SELECT 1".into(),
        "SELECT 1 /*!50000 ; DROP TABLE users */".into(),
        "SELECT 1 /*M! ; DELETE FROM users */".into(),
        "SELECT * FROM users WHERE id = ?".into(),
        "SELECT 1; DROP TABLE users".into(),
        "SELECT 1 -- x\n; DELETE FROM users".into(),
        "SELECT 1 # x\n; DELETE FROM users".into(),
        "SELECT 1 /* ; */ ; TRUNCATE users".into(),
        "SELECT '\\'; DROP TABLE users; --'".into(),
        "SELECT \"\"\"; DROP TABLE users".into(),
        "SELECT 1 --1; DROP TABLE users".into(),
        "SELEC * FROM users".into(),
        "SELECT * FROM users WHERE".into(),
        "WITH d AS (DELETE FROM users RETURNING id) SELECT * FROM d".into(),
        "PREPARE s FROM 'DROP TABLE users'".into(),
        "EXECUTE s".into(),
        "SHUTDOWN".into(),
        "FLUSH TABLES".into(),
        "RENAME TABLE users TO gone".into(),
        "XA START 'x'".into(),
        "BINLOG 'AAAA'".into(),
    ];
    let wrappers: Vec<fn(&str) -> String> = vec![
        |s| s.to_owned(),
        |s| format!("  {s};  "),
        |s| format!("/* c */ {s}"),
        |s| format!("{s} -- trailing"),
        |s| s.to_lowercase(),
        |s| format!("SELECT 1; {s}"),
        |s| format!("(SELECT 1) UNION ({s})"),
        |s| format!("SELECT * FROM ({s}) t"),
    ];
    let mut corpus: Vec<Vec<u8>> = Vec::new();
    for b in &bases {
        for w in &wrappers {
            corpus.push(w(b).into_bytes());
        }
    }
    corpus.push(
        format!(
            "SELECT 1 FROM users WHERE phone IN ({})",
            vec!["'1'"; 200_000].join(",")
        )
        .into_bytes(),
    );
    corpus.push(format!("SELECT {}1{}", "(".repeat(10_000), ")".repeat(10_000)).into_bytes());
    corpus.push(b"SELECT '\xff\xfe' FROM users".to_vec());
    corpus.push(b"SELECT 1\0; DROP TABLE users".to_vec());
    corpus.push("SELECT '🙂'; DROP TABLE users".as_bytes().to_vec());
    assert!(corpus.len() >= 300, "{} statements", corpus.len());

    let before = checksums(&db).await;
    let started = Instant::now();
    let mut refused = 0;
    for sql in &corpus {
        for analyze in [false, true] {
            let text = match std::str::from_utf8(sql) {
                Ok(t) => t.to_owned(),
                Err(_) => {
                    assert!(explain::guard::check_bytes(sql, explain::Mode::Explain).is_err());
                    refused += 1;
                    continue;
                }
            };
            // Whatever passed the guard was only planned, or run read-only and rolled back.
            if let Err(Error::Refused(_)) = run(&db, &text, analyze).await {
                refused += 1;
            }
        }
    }
    assert!(
        started.elapsed() < Duration::from_secs(240),
        "the corpus took {:?}",
        started.elapsed()
    );
    assert!(
        refused as f64 > corpus.len() as f64 * 1.6,
        "almost every hostile statement is refused ({refused})"
    );
    assert_eq!(checksums(&db).await, before, "no table changed");
    assert!(!outfile.exists(), "no file was written");
    let (tables,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()",
    )
    .fetch_one(&db.server.pool)
    .await
    .unwrap();
    assert_eq!(tables as usize, before.len(), "no table created or dropped");
    let (read_only,): (i64,) = sqlx::query_as("SELECT @@GLOBAL.read_only")
        .fetch_one(&db.server.pool)
        .await
        .unwrap();
    assert_eq!(read_only, 0);
    db.drop().await;
}

#[tokio::test]
async fn the_source_design_shows_idx_phone_as_redundant_and_the_nullable_unique_key() {
    let db = TestDb::new("indexes_source").await;
    db.load(SOURCE_DESIGN).await;
    let report = indexes::report(&db.server, &db.name).await.unwrap();
    let phone = report
        .findings
        .iter()
        .find(|f| {
            f.issue == IndexIssue::Redundant
                && f.table == "users"
                && f.index.as_deref() == Some("idx_phone")
        })
        .unwrap_or_else(|| panic!("idx_phone is redundant: {:#?}", report.findings));
    assert!(
        phone.detail.contains("a copy of UNIQUE"),
        "{}",
        phone.detail
    );
    assert_eq!(phone.ddl, "ALTER TABLE `users` DROP INDEX `idx_phone`;");
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.issue == IndexIssue::UniqueOverNullable && f.table == "system_settings")
    );
    // The InnoDB-made FK indexes beside the design's own single-column ones.
    assert!(
        report
            .findings
            .iter()
            .all(|f| f.issue != IndexIssue::NoPrimaryKey)
    );
    db.drop().await;
}

#[tokio::test]
async fn the_migrated_schema_has_no_redundant_index() {
    let db = TestDb::new("indexes_migrated").await;
    mindpal_core::schema::migrate(&db.server, mindpal_core::access::Actor::OPERATOR)
        .await
        .unwrap();
    let report = indexes::report(&db.server, &db.name).await.unwrap();
    let structural: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.issue != IndexIssue::Unused)
        .collect();
    assert!(structural.is_empty(), "{structural:#?}");
    db.drop().await;
}

#[tokio::test]
async fn unused_indexes_come_from_index_statistics_when_userstat_is_on() {
    let db = TestDb::new("indexes_unused").await;
    db.load("CREATE TABLE t (id INT PRIMARY KEY, a INT, b INT, KEY idx_a (a), KEY idx_b (b)); INSERT INTO t VALUES (1,1,1),(2,2,2),(3,3,3);").await;
    let (_, was): (String, String) = sqlx::query_as("SHOW GLOBAL VARIABLES LIKE 'userstat'")
        .fetch_one(&db.server.pool)
        .await
        .unwrap();
    sqlx::query("SET GLOBAL userstat = ON")
        .execute(&db.server.pool)
        .await
        .unwrap();
    let _: Vec<(i32,)> = sqlx::query_as("SELECT id FROM t FORCE INDEX (idx_a) WHERE a = 2")
        .fetch_all(&db.server.pool)
        .await
        .unwrap();
    let report = indexes::report(&db.server, &db.name).await.unwrap();
    if was.eq_ignore_ascii_case("OFF") {
        sqlx::query("SET GLOBAL userstat = OFF")
            .execute(&db.server.pool)
            .await
            .unwrap();
    }
    assert!(matches!(report.usage, UsageSource::IndexStatistics));
    let unused: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.issue == IndexIssue::Unused)
        .filter_map(|f| f.index.as_deref())
        .collect();
    assert_eq!(unused, vec!["idx_b"], "idx_a served a read");
    db.drop().await;
}
