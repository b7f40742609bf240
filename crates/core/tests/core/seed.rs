use mindpal_core::seed::{self, SeedOptions};
use mindpal_core::{CancellationToken, ErrorKind};

use crate::support::{TestDb, redis_db};

fn options(scale: f64, seed: u64) -> SeedOptions {
    SeedOptions {
        scale,
        seed,
        reset: false,
        writers: 3,
    }
}

async fn checksum(db: &TestDb, table: &str) -> String {
    let sql = format!("CHECKSUM TABLE `{table}`");
    let (_, sum): (String, Option<i64>) = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .fetch_one(&db.server.pool)
        .await
        .unwrap();
    format!("{sum:?}")
}

#[tokio::test]
async fn seeding_writes_the_reported_rows_and_redis_keys() {
    let db = TestDb::new("seed").await;
    let redis = redis_db(11).await;
    let report = seed::run(
        &db.server,
        mindpal_core::access::Actor::OPERATOR,
        Some(&redis),
        &options(0.002, 7),
        &|_| {},
        &CancellationToken::new(),
    )
    .await
    .unwrap();
    for figure in &report.tables {
        let extra = i64::from(figure.table == "operation_logs") * 2; // schema.migrate + seed.load
        assert_eq!(
            db.count(&figure.table).await,
            figure.rows as i64 + extra,
            "{}",
            figure.table
        );
    }
    assert!(report.redis_keys > 0);
    let mut conn = redis.conn.clone();
    let size: i64 = redis::cmd("DBSIZE").query_async(&mut conn).await.unwrap();
    assert_eq!(size as u64, report.redis_keys);
    let ttl: i64 = redis::cmd("TTL")
        .arg(first_key(&redis, "user:*").await)
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!(
        (3600..=3900).contains(&ttl),
        "user keys live an hour plus jitter, got {ttl}"
    );
    let board: Vec<(String, f64)> = redis::cmd("ZREVRANGE")
        .arg("leaderboard:today")
        .arg(0)
        .arg(9)
        .arg("WITHSCORES")
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(board.len(), 10);
    assert!(board[0].0.starts_with("user:"));

    // The data is what review needs: angry users, low scores, emoji, messages matching counts.
    let (angry,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM conversation_messages WHERE user_emotion = 'angry'")
            .fetch_one(&db.server.pool)
            .await
            .unwrap();
    let (low,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM conversation_messages WHERE quality_score < 0.5")
            .fetch_one(&db.server.pool)
            .await
            .unwrap();
    let (four_byte,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM users WHERE nickname REGEXP '[\\\\x{10000}-\\\\x{10FFFF}]'",
    )
    .fetch_one(&db.server.pool)
    .await
    .unwrap_or((0,));
    let (mismatched,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM conversations c WHERE c.message_count <> \
         (SELECT COUNT(*) FROM conversation_messages m WHERE m.conversation_id = c.id)",
    )
    .fetch_one(&db.server.pool)
    .await
    .unwrap();
    assert!(angry > 0 && low > 0, "angry={angry} low={low}");
    assert_eq!(mismatched, 0, "message_count matches the messages");
    let (emoji,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM users WHERE LENGTH(nickname) > 3 * CHAR_LENGTH(nickname)",
    )
    .fetch_one(&db.server.pool)
    .await
    .unwrap();
    assert!(
        emoji > 0 || four_byte > 0,
        "some nicknames carry 4-byte emoji"
    );
    db.drop().await;
}

async fn first_key(redis: &mindpal_core::redis::RedisServer, pattern: &str) -> String {
    let mut conn = redis.conn.clone();
    let (_, keys): (u64, Vec<String>) = redis::cmd("SCAN")
        .arg(0)
        .arg("MATCH")
        .arg(pattern)
        .arg("COUNT")
        .arg(10_000)
        .query_async(&mut conn)
        .await
        .unwrap();
    keys.into_iter().next().expect("a key matches")
}

#[tokio::test]
async fn the_same_seed_makes_the_same_data() {
    let a = TestDb::new("det_a").await;
    let b = TestDb::new("det_b").await;
    let one = options(0.001, 42);
    let other = SeedOptions {
        writers: 1,
        ..one.clone()
    };
    seed::run(
        &a.server,
        mindpal_core::access::Actor::OPERATOR,
        None,
        &one,
        &|_| {},
        &CancellationToken::new(),
    )
    .await
    .unwrap();
    seed::run(
        &b.server,
        mindpal_core::access::Actor::OPERATOR,
        None,
        &other,
        &|_| {},
        &CancellationToken::new(),
    )
    .await
    .unwrap();
    for table in [
        "users",
        "conversations",
        "conversation_messages",
        "emotion_logs",
    ] {
        assert_eq!(
            checksum(&a, table).await,
            checksum(&b, table).await,
            "{table} differs between runs"
        );
    }
    a.drop().await;
    b.drop().await;
}

#[tokio::test]
async fn a_database_with_data_is_refused_unless_reset_and_the_audit_trail_survives() {
    let db = TestDb::new("reseed").await;
    seed::run(
        &db.server,
        mindpal_core::access::Actor::OPERATOR,
        None,
        &options(0.001, 1),
        &|_| {},
        &CancellationToken::new(),
    )
    .await
    .unwrap();
    let err = seed::run(
        &db.server,
        mindpal_core::access::Actor::OPERATOR,
        None,
        &options(0.001, 1),
        &|_| {},
        &CancellationToken::new(),
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict);
    let reset = SeedOptions {
        reset: true,
        ..options(0.001, 2)
    };
    seed::run(
        &db.server,
        mindpal_core::access::Actor::OPERATOR,
        None,
        &reset,
        &|_| {},
        &CancellationToken::new(),
    )
    .await
    .unwrap();
    let actions: Vec<(String,)> = sqlx::query_as(
        "SELECT action FROM operation_logs WHERE user_agent LIKE 'mindpal-admin/%' ORDER BY id",
    )
    .fetch_all(&db.server.pool)
    .await
    .unwrap();
    let actions: Vec<&str> = actions.iter().map(|(a,)| a.as_str()).collect();
    assert_eq!(
        actions,
        ["schema.migrate", "seed.load", "seed.reset", "seed.load"]
    );
    db.drop().await;
}

#[tokio::test]
async fn a_cancelled_seed_stops_with_cancelled() {
    let db = TestDb::new("cancel").await;
    let cancel = CancellationToken::new();
    cancel.cancel();
    let err = seed::run(
        &db.server,
        mindpal_core::access::Actor::OPERATOR,
        None,
        &options(0.001, 1),
        &|_| {},
        &cancel,
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Cancelled);
    db.drop().await;
}

#[tokio::test]
async fn some_cached_users_are_stale_on_purpose() {
    let db = TestDb::new("stale").await;
    let redis = redis_db(12).await;
    let report = seed::run(
        &db.server,
        mindpal_core::access::Actor::OPERATOR,
        Some(&redis),
        &options(0.01, 3),
        &|_| {},
        &CancellationToken::new(),
    )
    .await
    .unwrap();
    assert!(report.stale_redis_keys > 0);
    // Compare every cached user with its row, as a cache-versus-database check would.
    let mut conn = redis.conn.clone();
    let mut cursor = 0u64;
    let mut differing = 0;
    loop {
        let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg("user:*")
            .arg("COUNT")
            .arg(500)
            .query_async(&mut conn)
            .await
            .unwrap();
        for key in keys {
            let cached: String = redis::cmd("GET")
                .arg(&key)
                .query_async(&mut conn)
                .await
                .unwrap();
            let cached: serde_json::Value = serde_json::from_str(&cached).unwrap();
            let id: i64 = key.trim_start_matches("user:").parse().unwrap();
            let (nickname, status, deleted): (Option<String>, i8, Option<chrono::NaiveDateTime>) =
                sqlx::query_as("SELECT nickname, status, deleted_at FROM users WHERE id = ?")
                    .bind(id)
                    .fetch_one(&db.server.pool)
                    .await
                    .unwrap();
            if cached["nickname"].as_str() != nickname.as_deref()
                || cached["status"] != status as i64
                || deleted.is_some()
            {
                differing += 1;
            }
        }
        if next == 0 {
            break;
        }
        cursor = next;
    }
    assert!(differing > 0, "a cache check must find stale user entries");
    db.drop().await;
}
