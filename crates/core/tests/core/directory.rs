//! Users and digital humans against the real MariaDB and Redis: keyset pages walk every row
//! once, search text is data, cursors are checked, support sees masked PII, and actions check
//! the version and land in operation_logs.

use mindpal_core::access::Actor;
use mindpal_core::access::Role;
use mindpal_core::directory::actions::{self, DigitalHumanAction, UserAction};
use mindpal_core::directory::digital_humans::{self, DigitalHumanSearch, KnowledgeSearch};
use mindpal_core::directory::users::{self, UserField, UserSearch, UserSort};
use mindpal_core::directory::{Deleted, cache};
use mindpal_core::mysql::MysqlServer;
use mindpal_core::redis::RedisServer;
use mindpal_core::{Error, ErrorKind};

use crate::support::{TestDb, redis_db, seeded};

const OPERATOR: Actor = Actor {
    role: Role::Operator,
    read_only: false,
};

async fn ids(server: &MysqlServer, sql: &str) -> Vec<i64> {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
        .fetch_all(&server.pool)
        .await
        .unwrap()
}

/// Every page of `search`, following the cursors; the ids in order.
async fn walk(server: &MysqlServer, search: &UserSearch) -> Vec<i64> {
    let mut all = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = users::find(server, search, after.as_deref(), Actor::OPERATOR)
            .await
            .unwrap();
        assert!(page.rows.len() <= search.limit as usize);
        all.extend(page.rows.iter().map(|r| r.id));
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    all
}

#[tokio::test]
async fn keyset_pages_walk_every_user_once_in_each_order() {
    let db = seeded("dir_pages", 5, None).await;
    let s = &db.server;
    // Some logins erased so the nullable order has NULLs to cross.
    sqlx::query("UPDATE users SET last_login_at = NULL WHERE id % 7 = 0")
        .execute(&s.pool)
        .await
        .unwrap();
    let cases = [
        (
            UserSort::Id,
            true,
            "SELECT id FROM users WHERE deleted_at IS NULL ORDER BY id DESC",
        ),
        (
            UserSort::CreatedAt,
            false,
            "SELECT id FROM users WHERE deleted_at IS NULL ORDER BY created_at, id",
        ),
        (
            UserSort::LastLoginAt,
            true,
            "SELECT id FROM users WHERE deleted_at IS NULL ORDER BY last_login_at DESC, id DESC",
        ),
        (
            UserSort::LastLoginAt,
            false,
            "SELECT id FROM users WHERE deleted_at IS NULL ORDER BY last_login_at, id",
        ),
    ];
    for (sort, descending, truth) in cases {
        let search = UserSearch {
            sort,
            descending,
            limit: 17,
            ..UserSearch::default()
        };
        let expected = ids(s, truth).await;
        assert!(expected.len() > 100, "the seed makes enough users to page");
        assert_eq!(
            walk(s, &search).await,
            expected,
            "{sort:?} desc={descending}"
        );
    }
    // A prefix search pages by the searched column.
    let search = UserSearch {
        query: Some("1".into()),
        field: UserField::Phone,
        deleted: Deleted::Include,
        limit: 9,
        ..UserSearch::default()
    };
    let expected = ids(
        s,
        "SELECT id FROM users WHERE phone LIKE '1%' ORDER BY phone",
    )
    .await;
    assert_eq!(walk(s, &search).await, expected);
    db.drop().await;
}

#[tokio::test]
async fn search_text_is_data_and_cursors_are_checked() {
    let db = seeded("dir_search", 5, None).await;
    let s = &db.server;
    let before = s_count(s, "users").await;
    let odd = [
        "50%_off",
        "O'Brien \"q\"",
        "back\\slash",
        "bang!",
        "🎉party",
        "x'); DROP TABLE users; --",
    ];
    for (i, nick) in odd.iter().enumerate() {
        sqlx::query("INSERT INTO users (phone, nickname) VALUES (?, ?)")
            .bind(format!("1990000000{i}"))
            .bind(nick)
            .execute(&s.pool)
            .await
            .unwrap();
    }
    for nick in odd {
        let page = users::find(
            s,
            &UserSearch {
                query: Some(nick.into()),
                field: UserField::Nickname,
                ..UserSearch::default()
            },
            None,
            Actor::OPERATOR,
        )
        .await
        .unwrap();
        let found: Vec<_> = page
            .rows
            .iter()
            .map(|r| r.nickname.clone().unwrap())
            .collect();
        assert_eq!(found, vec![nick.to_owned()], "searching {nick:?}");
        assert_eq!(page.total.unwrap().count, 1);
    }
    // `%` and `_` are literal: "50%" finds the one row, not every nickname starting "50".
    for (text, expected) in [("50%", 1), ("5_%", 0), ("%", 0), ("_", 0)] {
        let page = users::find(
            s,
            &UserSearch {
                query: Some(text.into()),
                field: UserField::Nickname,
                ..UserSearch::default()
            },
            None,
            Actor::OPERATOR,
        )
        .await
        .unwrap();
        assert_eq!(page.rows.len(), expected, "{text:?}");
    }
    // 10 kB of text is a search that matches nothing, not an error.
    let long = "长".repeat(10_000);
    let page = users::find(
        s,
        &UserSearch {
            query: Some(long),
            ..UserSearch::default()
        },
        None,
        Actor::OPERATOR,
    )
    .await
    .unwrap();
    assert!(page.rows.is_empty());
    assert_eq!(
        s_count(s, "users").await,
        before + odd.len() as i64,
        "nothing was dropped"
    );

    // Ids that are not ids.
    let err = users::find(
        s,
        &UserSearch {
            query: Some("12abc".into()),
            field: UserField::Id,
            ..UserSearch::default()
        },
        None,
        Actor::OPERATOR,
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);

    // A cursor that was edited, or that belongs to another search, is refused.
    let search = UserSearch {
        limit: 5,
        ..UserSearch::default()
    };
    let first = users::find(s, &search, None, Actor::OPERATOR)
        .await
        .unwrap();
    let next = first.next.unwrap();
    let (body, check) = next.split_once('.').unwrap();
    let flipped = format!(
        "{body}.{}",
        check.replace(|c: char| c.is_ascii_digit(), "f")
    );
    for bad in [flipped.as_str(), "garbage", &format!("x{next}")] {
        let err = users::find(s, &search, Some(bad), Actor::OPERATOR)
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{bad}");
    }
    let other = UserSearch {
        sort: UserSort::CreatedAt,
        ..search.clone()
    };
    assert!(
        users::find(s, &other, Some(&next), Actor::OPERATOR)
            .await
            .is_err()
    );
    assert!(
        users::find(s, &search, Some(&next), Actor::OPERATOR)
            .await
            .is_ok()
    );
    db.drop().await;
}

async fn s_count(s: &MysqlServer, table: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
        .fetch_one(&s.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn detail_shows_redis_beside_the_row_and_support_sees_it_masked() {
    let redis = redis_db(15).await;
    let db = seeded("dir_detail", 5, Some(&redis)).await;
    let s = &db.server;
    let (id, phone): (i64, String) = sqlx::query_as(
        "SELECT id, phone FROM users WHERE email IS NOT NULL AND last_login_ip IS NOT NULL \
         AND deleted_at IS NULL ORDER BY id LIMIT 1",
    )
    .fetch_one(&s.pool)
    .await
    .unwrap();
    let mut conn = redis.conn.clone();
    // A stale cached row: the nickname changed in the database after it was cached.
    let cached = serde_json::json!({"id": id.to_string(), "phone": phone, "nickname": "old name", "status": 1});
    let _: () = redis::cmd("SET")
        .arg(format!("user:{id}"))
        .arg(cached.to_string())
        .arg("EX")
        .arg(3600)
        .query_async(&mut conn)
        .await
        .unwrap();
    let _: () = redis::cmd("ZADD")
        .arg("leaderboard:today")
        .arg(1_000_000)
        .arg(format!("user:{id}"))
        .query_async(&mut conn)
        .await
        .unwrap();
    let up: mindpal_core::Result<RedisServer> = Ok(redis.clone());
    let d = users::show(s, Some(&up), id, Actor::OPERATOR)
        .await
        .unwrap();
    assert_eq!(d.user.phone, phone);
    let entry = d.cache.as_ref().unwrap().user.as_ref().unwrap();
    assert!(!entry.fresh);
    assert!((3500..=3600).contains(&entry.ttl_seconds));
    let field = |name: &str| entry.fields.iter().find(|f| f.field == name).unwrap();
    assert!(!field("nickname").matches);
    assert!(field("phone").matches && field("id").matches && field("status").matches);
    assert_eq!(
        d.cache.as_ref().unwrap().leaderboard.as_ref().unwrap().rank,
        1
    );
    let dhs: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM digital_humans WHERE user_id = ?")
        .bind(id)
        .fetch_one(&s.pool)
        .await
        .unwrap();
    assert_eq!(d.digital_humans.len() as i64, dhs);

    // Support: masked in the row, the list and the cached JSON, never in clear.
    let d = users::show(s, Some(&up), id, Actor::SUPPORT).await.unwrap();
    let masked_phone = format!("{}****{}", &phone[..3], &phone[phone.len() - 4..]);
    assert_eq!(d.user.phone, masked_phone);
    assert!(d.user.email.as_deref().unwrap().contains("***@"));
    assert!(d.user.last_login_ip.as_deref().unwrap().ends_with(".*.*"));
    let json = serde_json::to_string(&d).unwrap();
    assert!(!json.contains(&phone), "the phone leaks: {json}");
    let page = users::find(
        s,
        &UserSearch {
            query: Some(phone.clone()),
            ..UserSearch::default()
        },
        None,
        Actor::SUPPORT,
    )
    .await
    .unwrap();
    assert!(page.masked);
    assert_eq!(page.rows[0].phone, masked_phone);

    // Redis down: the rest of the view still shows, with the reason.
    let down: mindpal_core::Result<RedisServer> = Err(Error::Unreachable {
        server: "127.0.0.1:1".into(),
        reason: "connection refused".into(),
    });
    let d = users::show(s, Some(&down), id, Actor::OPERATOR)
        .await
        .unwrap();
    assert!(d.cache.is_none());
    assert_eq!(d.cache_error.unwrap().kind, ErrorKind::Unreachable);
    assert_eq!(
        users::show(s, None, i64::MAX, Actor::OPERATOR)
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::NotFound
    );

    // Tokens: found by a bounded SCAN, masked for support.
    let _: () = redis::cmd("SET")
        .arg("token:abcdef0123456789")
        .arg(id)
        .query_async(&mut conn)
        .await
        .unwrap();
    let scan = cache::find_tokens(&redis, id, 100, Actor::OPERATOR)
        .await
        .unwrap();
    assert!(scan.complete);
    assert!(scan.tokens.iter().any(|t| t.token == "abcdef0123456789"));
    let scan = cache::find_tokens(&redis, id, 100, Actor::SUPPORT)
        .await
        .unwrap();
    assert!(scan.tokens.iter().all(|t| !t.token.contains("0123456789")));
    db.drop().await;
}

async fn user_state(s: &MysqlServer, id: i64) -> (Option<i8>, i32, bool) {
    let (status, version, deleted): (Option<i8>, i32, bool) =
        sqlx::query_as("SELECT status, version, deleted_at IS NOT NULL FROM users WHERE id = ?")
            .bind(id)
            .fetch_one(&s.pool)
            .await
            .unwrap();
    (status, version, deleted)
}

async fn logs_for(s: &MysqlServer, id: i64) -> Vec<(String, String)> {
    sqlx::query_as(
        "SELECT action, CAST(details AS CHAR) FROM operation_logs WHERE resource_type = 'user' AND resource_id = ? ORDER BY id",
    )
    .bind(id)
    .fetch_all(&s.pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn actions_check_the_version_invalidate_the_cache_and_are_logged() {
    let redis = redis_db(13).await;
    let db = TestDb::new("dir_actions").await;
    let s = &db.server;
    mindpal_core::schema::migrate(s, mindpal_core::access::Actor::OPERATOR)
        .await
        .unwrap();
    sqlx::query("INSERT INTO users (phone, nickname, status) VALUES ('13800000001', 'Ann', 1)")
        .execute(&s.pool)
        .await
        .unwrap();
    let id: i64 = sqlx::query_scalar("SELECT id FROM users WHERE phone = '13800000001'")
        .fetch_one(&s.pool)
        .await
        .unwrap();
    let mut conn = redis.conn.clone();
    let key = format!("user:{id}");
    let _: () = redis::cmd("SET")
        .arg(&key)
        .arg("{}")
        .query_async(&mut conn)
        .await
        .unwrap();
    let up: mindpal_core::Result<RedisServer> = Ok(redis.clone());

    let done = actions::user(s, Some(&up), OPERATOR, id, 0, UserAction::Disable)
        .await
        .unwrap();
    assert_eq!(done.version, 1);
    assert_eq!(done.cache_keys_deleted, vec![key.clone()]);
    assert_eq!(user_state(s, id).await, (Some(2), 1, false));
    let exists: bool = redis::cmd("EXISTS")
        .arg(&key)
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!(!exists, "cache-aside: the key is deleted after the write");

    // A stale version changes nothing and writes no log row.
    let err = actions::user(s, Some(&up), OPERATOR, id, 0, UserAction::Enable)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict);
    assert_eq!(user_state(s, id).await, (Some(2), 1, false));
    // Support and read-only profiles cannot act.
    for actor in [
        Actor {
            role: Role::Support,
            read_only: false,
        },
        Actor {
            role: Role::Operator,
            read_only: true,
        },
    ] {
        let err = actions::user(s, Some(&up), actor, id, 1, UserAction::Enable)
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Forbidden);
    }
    // Two operators racing on the same version: one wins, the other is told.
    let (a, b) = tokio::join!(
        actions::user(s, Some(&up), OPERATOR, id, 1, UserAction::Enable),
        actions::user(s, Some(&up), OPERATOR, id, 1, UserAction::Delete),
    );
    assert!(
        a.is_ok() ^ b.is_ok(),
        "exactly one of two racing changes lands"
    );
    let loser = if a.is_ok() { b } else { a };
    assert_eq!(loser.unwrap_err().kind(), ErrorKind::Conflict);
    let (_, version, _) = user_state(s, id).await;
    assert_eq!(version, 2);

    // Redis down after the commit: the change stands and says the cache was not touched.
    let down: mindpal_core::Result<RedisServer> = Err(Error::Unreachable {
        server: "127.0.0.1:1".into(),
        reason: "connection refused".into(),
    });
    let state = user_state(s, id).await;
    let action = if state.0 == Some(1) {
        UserAction::Disable
    } else {
        UserAction::Enable
    };
    let done = actions::user(s, Some(&down), OPERATOR, id, 2, action)
        .await
        .unwrap();
    assert_eq!(done.cache_error.unwrap().kind, ErrorKind::Unreachable);

    let logs = logs_for(s, id).await;
    assert_eq!(logs.len(), 3, "one row per change that landed: {logs:?}");
    assert_eq!(logs[0].0, "user.disable");
    let details: serde_json::Value = serde_json::from_str(&logs[0].1).unwrap();
    assert_eq!(details["before"]["status"], 1);
    assert_eq!(details["after"]["status"], 2);
    assert_eq!(details["after"]["version"], 1);
    let (host, agent): (Option<String>, String) = sqlx::query_as(
        "SELECT ip_address, user_agent FROM operation_logs WHERE resource_id = ? ORDER BY id LIMIT 1",
    )
    .bind(id)
    .fetch_one(&s.pool)
    .await
    .unwrap();
    assert!(host.is_some_and(|h| !h.is_empty()));
    assert!(agent.starts_with("mindpal-admin/"));

    // Invalidating the cache is a change too.
    let outcome = actions::invalidate_user_cache(s, &redis, OPERATOR, id)
        .await
        .unwrap();
    assert_eq!(outcome.action, "user.cache.invalidate");
    assert_eq!(logs_for(s, id).await.len(), 4);
    db.drop().await;
}

#[tokio::test]
async fn digital_humans_and_their_knowledge() {
    let db = seeded("dir_dh", 5, None).await;
    let s = &db.server;
    let (owner, dh): (i64, i64) = sqlx::query_as(
        "SELECT user_id, id FROM digital_humans WHERE deleted_at IS NULL ORDER BY id LIMIT 1",
    )
    .fetch_one(&s.pool)
    .await
    .unwrap();
    let page = digital_humans::find(
        s,
        &DigitalHumanSearch {
            owner: Some(owner),
            ..DigitalHumanSearch::default()
        },
        None,
    )
    .await
    .unwrap();
    let expected = ids(
        s,
        &format!("SELECT id FROM digital_humans WHERE user_id = {owner} AND deleted_at IS NULL ORDER BY id"),
    )
    .await;
    assert_eq!(page.rows.iter().map(|r| r.id).collect::<Vec<_>>(), expected);

    // Name prefix pages walk every match in name order.
    let mut seen = Vec::new();
    let mut after = None;
    let search = DigitalHumanSearch {
        query: Some("小".into()),
        deleted: Deleted::Include,
        limit: 7,
        ..DigitalHumanSearch::default()
    };
    loop {
        let page = digital_humans::find(s, &search, after.as_deref())
            .await
            .unwrap();
        seen.extend(page.rows.iter().map(|r| r.id));
        match page.next {
            Some(n) => after = Some(n),
            None => break,
        }
    }
    let expected = ids(
        s,
        "SELECT id FROM digital_humans WHERE name LIKE '小%' ORDER BY name, id",
    )
    .await;
    assert!(!expected.is_empty());
    assert_eq!(seen, expected);

    let d = digital_humans::show(s, dh, Actor::SUPPORT).await.unwrap();
    assert_eq!(d.digital_human.id, dh);
    assert!(d.owner.unwrap().phone.contains("****"));

    // Knowledge: one entry of this digital human with words and Chinese to find.
    sqlx::query(
        "INSERT INTO knowledge_base (user_id, digital_human_id, title, content, category) \
         VALUES (?, ?, 'Sleep hygiene basics', '睡前一小时放下手机 keeps melatonin flowing', '健康养生')",
    )
    .bind(owner)
    .bind(dh)
    .execute(&s.pool)
    .await
    .unwrap();
    for (query, note) in [("melatonin", "FULLTEXT"), ("放下手机", "substring")] {
        let page = digital_humans::knowledge(
            s,
            &KnowledgeSearch {
                digital_human_id: Some(dh),
                query: Some(query.into()),
                ..KnowledgeSearch::default()
            },
            None,
        )
        .await
        .unwrap();
        assert_eq!(page.rows.len(), 1, "{query}");
        assert!(page.note.unwrap().contains(note), "{query}");
    }
    // Boolean-mode operators are words in natural-language mode, not syntax errors.
    digital_humans::knowledge(
        s,
        &KnowledgeSearch {
            query: Some("+sleep -\"unclosed (*".into()),
            ..KnowledgeSearch::default()
        },
        None,
    )
    .await
    .unwrap();

    let version = d.digital_human.version;
    let done = actions::digital_human(s, OPERATOR, dh, version, DigitalHumanAction::Delete)
        .await
        .unwrap();
    assert_eq!(done.version, version + 1);
    let err = actions::digital_human(s, OPERATOR, dh, version, DigitalHumanAction::Restore)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict);
    actions::digital_human(s, OPERATOR, dh, version + 1, DigitalHumanAction::Restore)
        .await
        .unwrap();
    let logged: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM operation_logs WHERE resource_type = 'digital_human' AND resource_id = ? \
         AND user_agent = ?",
    )
    .bind(dh)
    .bind(mindpal_core::audit::USER_AGENT)
    .fetch_one(&s.pool)
    .await
    .unwrap();
    assert_eq!(logged, 2);
    db.drop().await;
}
