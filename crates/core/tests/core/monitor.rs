//! Monitoring and the cache browser against the real MariaDB and Redis: counters that move,
//! a long transaction and its lock wait seen and killed, statements by cost, the advisor,
//! and SCAN paging with its cost guard and bad input.

use std::collections::BTreeSet;
use std::process::{Command, Stdio};
use std::time::Duration;

use mindpal_core::ErrorKind;
use mindpal_core::cache::{
    self, KeyChange, Nodes, ScanRequest,
    value::{self, KeyRequest, LinkKind},
};
use mindpal_core::monitor::{self, KillMode, SessionFilter, TopSource, advisor};
use mindpal_core::redis::RedisMode;
use mindpal_core::redis::{RedisServer, RedisTarget};

use crate::support::{KillOnDrop, TIMEOUT, admin, free_port, redis_db, seeded};

fn one(server: &RedisServer) -> Nodes {
    Nodes::single(server.clone(), mindpal_core::access::Actor::OPERATOR).unwrap()
}

fn scan_request(pattern: &str, cursor: &str, page_size: u32) -> ScanRequest {
    ScanRequest {
        pattern: pattern.into(),
        cursor: cursor.into(),
        page_size,
        count: Some(100),
        confirm_large: false,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_counts_the_statements_run_between_two_samples() {
    let server = admin().await;
    let mut history = monitor::History::default();
    assert!(
        history
            .push(monitor::status::sample(&server).await.unwrap())
            .points
            .is_empty()
    );
    for _ in 0..300 {
        sqlx::query("SELECT 1").execute(&server.pool).await.unwrap();
    }
    let dashboard = history.push(monitor::status::sample(&server).await.unwrap());
    let point = dashboard.points.last().expect("a point after two samples");
    let selects = point.select_per_sec * point.seconds;
    assert!(selects >= 300.0, "{selects} selects counted");
    assert!(point.qps >= point.select_per_sec);
    assert!(point.threads_connected >= 1 && point.threads_running >= 1);
    let (max,): (u64,) = sqlx::query_as("SELECT CAST(@@max_connections AS UNSIGNED)")
        .fetch_one(&server.pool)
        .await
        .unwrap();
    assert_eq!(point.max_connections, max);
    assert!(dashboard.uptime_seconds > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_transaction_and_the_lock_it_holds_are_seen_then_killed() {
    let db = seeded("monitor_kill", 3, None).await;
    db.load(
        "CREATE TABLE probe (id INT PRIMARY KEY, v INT); INSERT INTO probe VALUES (1, 0), (2, 0);",
    )
    .await;
    // The holder and the waiter have pools of their own, so the report and the KILL still
    // get connections.
    let holder_pool = admin().await.with_database(&db.name).await.unwrap();
    let mut holder = holder_pool.pool.acquire().await.unwrap();
    let (holder_id,): (u64,) = sqlx::query_as("SELECT CONNECTION_ID()")
        .fetch_one(&mut *holder)
        .await
        .unwrap();
    sqlx::raw_sql("START TRANSACTION; UPDATE probe SET v = 1 WHERE id = 1")
        .execute(&mut *holder)
        .await
        .unwrap();

    let waiter_pool = admin().await.with_database(&db.name).await.unwrap();
    let waiter = tokio::spawn(async move {
        let mut conn = waiter_pool.pool.acquire().await.unwrap();
        sqlx::raw_sql("SET SESSION innodb_lock_wait_timeout = 30")
            .execute(&mut *conn)
            .await
            .unwrap();
        sqlx::raw_sql("UPDATE probe SET v = 2 WHERE id = 1")
            .execute(&mut *conn)
            .await
    });
    tokio::time::sleep(Duration::from_millis(2200)).await;

    let filter = SessionFilter {
        db: Some(db.name.clone()),
        hide_sleeping: true,
        ..Default::default()
    };
    let report = monitor::sessions::report(
        &db.server,
        mindpal_core::access::Actor::OPERATOR,
        &filter,
        2,
    )
    .await
    .unwrap();
    let long = report
        .long_transactions
        .iter()
        .find(|t| t.thread_id == holder_id)
        .expect("the open transaction is long");
    assert!(long.age_seconds >= 2, "age {}", long.age_seconds);
    assert_eq!(long.rows_modified, 1);
    assert_eq!(long.command.as_deref(), Some("Sleep"));
    let wait = report
        .lock_waits
        .iter()
        .find(|w| w.blocking_thread == holder_id)
        .expect("the waiter is seen");
    assert!(
        wait.waiting_statement
            .as_deref()
            .unwrap_or("")
            .contains("v = 2")
    );
    assert!(
        wait.table.as_deref().unwrap_or("").contains("probe"),
        "{:?}",
        wait.table
    );
    let running = report
        .sessions
        .iter()
        .find(|s| s.id == wait.waiting_thread)
        .expect("the waiter runs");
    assert_eq!(running.command, "Query");
    assert!(
        report.sessions.iter().all(|s| s.command != "Sleep"),
        "sleeping sessions hidden"
    );
    // An older threshold leaves it out.
    let none = monitor::sessions::long_transactions(&db.server, 3600)
        .await
        .unwrap();
    assert!(none.iter().all(|t| t.thread_id != holder_id));

    let killed = monitor::sessions::kill(
        &db.server,
        mindpal_core::access::Actor::OPERATOR,
        holder_id,
        KillMode::Connection,
    )
    .await
    .unwrap();
    assert_eq!(killed.thread_id, holder_id);
    // The lock is gone with the connection: the waiter's update goes through.
    let done = tokio::time::timeout(Duration::from_secs(10), waiter)
        .await
        .unwrap()
        .unwrap();
    assert!(done.is_ok(), "{done:?}");
    assert!(
        sqlx::query("SELECT 1").execute(&mut *holder).await.is_err(),
        "the killed connection is dead"
    );
    let (v,): (i32,) = sqlx::query_as("SELECT v FROM probe WHERE id = 1")
        .fetch_one(&db.server.pool)
        .await
        .unwrap();
    assert_eq!(
        v, 2,
        "the killed transaction rolled back and the waiter's write stands"
    );
    let (logged,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM operation_logs WHERE action = 'session.kill' AND resource_id = ?",
    )
    .bind(holder_id)
    .fetch_one(&db.server.pool)
    .await
    .unwrap();
    assert_eq!(logged, 1);
    let gone = monitor::sessions::kill(
        &db.server,
        mindpal_core::access::Actor::OPERATOR,
        holder_id,
        KillMode::Query,
    )
    .await
    .unwrap_err();
    assert_eq!(gone.kind(), ErrorKind::NotFound);
    drop(holder);
    db.drop().await;
}

/// Every connection of the console's pool is its own session, not only the one that reads the
/// processlist: the window's other screens query on the others at the same moment, and an
/// operator must not be offered their statements to EXPLAIN or KILL.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_connection_of_the_consoles_pool_is_its_own_and_cannot_be_killed() {
    let console = admin().await;
    // Two connections held at once: the pool opens both.
    let mut first = console.pool.acquire().await.unwrap();
    let mut second = console.pool.acquire().await.unwrap();
    let mut ids = Vec::new();
    for conn in [&mut first, &mut second] {
        let (id,): (u64,) = sqlx::query_as("SELECT CONNECTION_ID()")
            .fetch_one(&mut **conn)
            .await
            .unwrap();
        ids.push(id);
    }
    // A stranger: another client's connection.
    let stranger = admin().await;
    let mut other = stranger.pool.acquire().await.unwrap();
    let (other_id,): (u64,) = sqlx::query_as("SELECT CONNECTION_ID()")
        .fetch_one(&mut *other)
        .await
        .unwrap();
    drop(second);

    let all_sessions = SessionFilter {
        hide_sleeping: false,
        ..Default::default()
    };
    let (sessions, _) = monitor::sessions::processlist(&console, &all_sessions)
        .await
        .unwrap();
    for id in &ids {
        let own = sessions.iter().find(|s| s.id == *id).expect("listed");
        assert!(own.own, "session {id} is the console's");
    }
    let stranger_row = sessions.iter().find(|s| s.id == other_id).expect("listed");
    assert!(
        !stranger_row.own,
        "another client's session is not the console's"
    );

    drop(first);
    let refused = monitor::sessions::kill(
        &console,
        mindpal_core::access::Actor::OPERATOR,
        ids[1],
        KillMode::Connection,
    )
    .await
    .unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::Refused, "{refused}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn top_statements_say_their_source_and_read_the_slow_log_table() {
    let server = admin().await;
    let (ps, output, slow): (i64, String, i64) =
        sqlx::query_as("SELECT CAST(@@performance_schema AS SIGNED), CAST(@@GLOBAL.log_output AS CHAR), CAST(@@GLOBAL.slow_query_log AS SIGNED)")
            .fetch_one(&server.pool)
            .await
            .unwrap();
    if ps == 1 {
        eprintln!("performance_schema is on here; the digest path is covered on the sandbox");
        return;
    }
    let restore = format!("SET GLOBAL log_output = '{output}', slow_query_log = {slow}");
    if slow == 0 {
        let none = monitor::top::top(&server, mindpal_core::access::Actor::OPERATOR, 10)
            .await
            .unwrap();
        assert_eq!(none.source, TopSource::None);
        assert!(
            none.note.contains("performance_schema=ON")
                && none.note.contains("log_output = 'TABLE'"),
            "{}",
            none.note
        );
    }
    sqlx::raw_sql("SET GLOBAL log_output = 'FILE,TABLE', slow_query_log = 1")
        .execute(&server.pool)
        .await
        .unwrap();
    let mut conn = server.pool.acquire().await.unwrap();
    sqlx::raw_sql("SET SESSION slow_query_log = 1, long_query_time = 0")
        .execute(&mut *conn)
        .await
        .unwrap();
    for _ in 0..3 {
        sqlx::raw_sql("SELECT SLEEP(0.02), 'mp-top-probe'")
            .execute(&mut *conn)
            .await
            .unwrap();
    }
    sqlx::raw_sql("SET SESSION long_query_time = 10")
        .execute(&mut *conn)
        .await
        .unwrap();
    drop(conn);
    let report = monitor::top::top(&server, mindpal_core::access::Actor::OPERATOR, 500).await;
    sqlx::raw_sql(sqlx::AssertSqlSafe(restore))
        .execute(&server.pool)
        .await
        .unwrap();
    let report = report.unwrap();
    assert_eq!(report.source, TopSource::SlowLog);
    let probe = report
        .statements
        .iter()
        .find(|s| s.text.contains("mp-top-probe"))
        .expect("the probe is listed");
    assert!(probe.count >= 3);
    assert!(
        probe.total_seconds >= 0.06 && probe.max_seconds >= 0.02,
        "{probe:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_advisor_reads_every_setting_it_names() {
    let server = admin().await;
    let mysql = advisor::mysql(&server).await.unwrap();
    let names: Vec<&str> = mysql.iter().map(|a| a.setting.as_str()).collect();
    for want in [
        "innodb_buffer_pool_size",
        "innodb_log_buffer_size",
        "max_connections",
        "thread_cache_size",
        "sort_buffer_size",
        "read_rnd_buffer_size",
    ] {
        assert!(names.contains(&want), "{want} in {names:?}");
    }
    let (max,): (u64,) = sqlx::query_as("SELECT CAST(@@max_connections AS UNSIGNED)")
        .fetch_one(&server.pool)
        .await
        .unwrap();
    let line = mysql
        .iter()
        .find(|a| a.setting == "max_connections")
        .unwrap();
    assert_eq!(line.current, max.to_string());
    assert_eq!(line.verdict == advisor::Verdict::Ok, max >= 500);
    // Loopback: the buffer pool is compared with this machine's memory.
    assert!(
        mysql[0].current.contains("% of this machine's"),
        "{}",
        mysql[0].current
    );

    let redis = redis_db(8).await;
    let advice = advisor::redis(&redis).await;
    assert_eq!(advice.len(), 5);
    let policy = advice
        .iter()
        .find(|a| a.setting == "maxmemory-policy")
        .unwrap();
    let mut conn = redis.conn.clone();
    let (_, live): (String, String) = redis::cmd("CONFIG")
        .arg("GET")
        .arg("maxmemory-policy")
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(policy.current, live);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scan_pages_every_matching_key_once_and_describes_only_those_on_screen() {
    let redis = redis_db(9).await;
    let mut conn = redis.conn.clone();
    let mut pipe = redis::pipe();
    for i in 0..2500 {
        pipe.cmd("SET")
            .arg(format!("user:{i}"))
            .arg("{}")
            .arg("EX")
            .arg(3600)
            .ignore();
        pipe.cmd("SET").arg(format!("other:{i}")).arg("x").ignore();
    }
    let _: () = pipe.query_async(&mut conn).await.unwrap();
    let nodes = one(&redis);
    let mut seen = BTreeSet::new();
    let mut cursor = String::new();
    let mut pages = 0;
    loop {
        let page = cache::scan(&nodes, &scan_request("user:*", &cursor, 200))
            .await
            .unwrap();
        pages += 1;
        assert!(page.calls <= cache::MAX_CALLS_PER_REQUEST);
        for key in &page.keys {
            assert!(key.key.starts_with("user:"));
            assert_eq!(key.kind, "string");
            assert!(key.ttl_ms > 3_000_000);
            seen.insert(key.key.clone());
        }
        if page.done {
            break;
        }
        cursor = page.cursor;
    }
    assert_eq!(seen.len(), 2500, "every user key, none twice counted");
    assert!(pages >= 2500 / 250, "{pages} pages");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_patterns_binary_keys_and_expiring_keys_are_handled() {
    let redis = redis_db(10).await;
    let mut conn = redis.conn.clone();
    let binary_key: Vec<u8> = vec![b'b', b'i', b'n', b':', 0x00, 0xff, b'\\'];
    let binary_value: Vec<u8> = vec![0x89, b'P', b'N', b'G', 0x00, 0x01];
    let _: () = redis::pipe()
        .cmd("SET")
        .arg("odd[1]")
        .arg("a")
        .ignore()
        .cmd("SET")
        .arg("odd*x")
        .arg("b")
        .ignore()
        .cmd("SET")
        .arg("odd1")
        .arg("c")
        .ignore()
        .cmd("SET")
        .arg(&binary_key)
        .arg(&binary_value)
        .ignore()
        .query_async(&mut conn)
        .await
        .unwrap();
    let nodes = one(&redis);
    let err = cache::scan(&nodes, &scan_request("odd[1", "", 50))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    let literal = cache::scan(&nodes, &scan_request(&cache::glob_escape("odd[1]"), "", 50))
        .await
        .unwrap();
    assert_eq!(
        literal
            .keys
            .iter()
            .map(|k| k.key.as_str())
            .collect::<Vec<_>>(),
        vec!["odd[1]"]
    );

    let page = cache::scan(&nodes, &scan_request("bin:*", "", 50))
        .await
        .unwrap();
    let shown = &page.keys[0];
    assert!(shown.binary);
    assert_eq!(shown.key, "bin:\\x00\\xff\\\\");
    let view = value::get(
        &nodes,
        &KeyRequest {
            key: shown.key.clone(),
            from: String::new(),
            page_size: 50,
        },
    )
    .await
    .unwrap();
    assert!(view.binary);
    assert_eq!(view.text.as_deref(), Some("\\x89PNG\\x00\\x01"));
    assert_eq!(view.length, 6);
    let raw: Vec<u8> = redis::cmd("GET")
        .arg(&binary_key)
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(raw, binary_value, "reading changed nothing");

    let _: () = redis::cmd("SET")
        .arg("fleeting")
        .arg("{\"a\":1}")
        .arg("PX")
        .arg(300)
        .query_async(&mut conn)
        .await
        .unwrap();
    let open = KeyRequest {
        key: "fleeting".into(),
        from: String::new(),
        page_size: 50,
    };
    let first = value::get(&nodes, &open).await.unwrap();
    assert_eq!(first.json, Some(serde_json::json!({"a": 1})));
    assert!(first.ttl_ms > 0 && first.ttl_ms <= 300);
    tokio::time::sleep(Duration::from_millis(400)).await;
    let gone = value::get(&nodes, &open).await.unwrap_err();
    assert_eq!(gone.kind(), ErrorKind::NotFound);
    assert!(gone.to_string().contains("does not exist"), "{gone}");
    // A later page of a key that went away says so.
    let later = KeyRequest {
        from: "0".into(),
        ..open
    };
    let gone = value::get(&nodes, &later).await.unwrap_err();
    assert!(gone.to_string().contains("no longer exists"), "{gone}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn platform_keys_link_to_their_rows_and_collections_page() {
    let db = seeded("monitor_cache", 5, None).await;
    let redis = redis_db(8).await;
    let mut conn = redis.conn.clone();
    let _: () = redis::pipe()
        .cmd("SET")
        .arg("user:7")
        .arg("{\"id\":\"7\",\"nickname\":\"小七\"}")
        .ignore()
        .cmd("SET")
        .arg("token:00ff00ff00ff00ff00ff")
        .arg("7")
        .ignore()
        .cmd("SET")
        .arg("conversation:3:context")
        .arg("{\"userId\":\"7\",\"digitalHumanId\":\"2\"}")
        .ignore()
        .cmd("ZADD")
        .arg("leaderboard:today")
        .arg(10)
        .arg("user:1")
        .arg(30)
        .arg("user:7")
        .arg(20)
        .arg("user:5")
        .ignore()
        .cmd("RPUSH")
        .arg("recent")
        .arg("a")
        .arg("b")
        .arg("c")
        .ignore()
        .cmd("XADD")
        .arg("events")
        .arg("*")
        .arg("kind")
        .arg("login")
        .ignore()
        .query_async(&mut conn)
        .await
        .unwrap();
    let nodes = one(&redis);
    let get = |key: &str, from: &str, page_size: u32| {
        let request = KeyRequest {
            key: key.into(),
            from: from.into(),
            page_size,
        };
        let nodes = &nodes;
        async move { value::get(nodes, &request).await.unwrap() }
    };
    let user = get("user:7", "", 50).await;
    assert_eq!(user.json.as_ref().unwrap()["nickname"], "小七");
    assert_eq!((user.links[0].kind, user.links[0].id), (LinkKind::User, 7));
    let token = get("token:00ff00ff00ff00ff00ff", "", 50).await;
    assert_eq!(
        token.links.iter().map(|l| l.id).collect::<Vec<_>>(),
        vec![7]
    );
    let context = get("conversation:3:context", "", 50).await;
    assert_eq!(
        context
            .links
            .iter()
            .map(|l| (l.kind, l.id))
            .collect::<Vec<_>>(),
        vec![
            (LinkKind::Conversation, 3),
            (LinkKind::User, 7),
            (LinkKind::DigitalHuman, 2)
        ]
    );
    let board = get("leaderboard:today", "", 2).await;
    assert_eq!(board.length, 3);
    assert_eq!(
        board
            .elements
            .iter()
            .map(|e| e.value.as_str())
            .collect::<Vec<_>>(),
        vec!["user:7", "user:5"]
    );
    assert_eq!(board.elements[0].link.as_ref().map(|l| l.id), Some(7));
    assert_eq!(board.next.as_deref(), Some("2"));
    let rest = get("leaderboard:today", "2", 2).await;
    assert_eq!(rest.elements[0].value, "user:1");
    assert_eq!(rest.elements[0].name.as_deref(), Some("#3"));
    assert!(rest.next.is_none());
    let list = get("recent", "1", 1).await;
    assert_eq!(
        (
            list.length,
            list.elements[0].value.as_str(),
            list.next.as_deref()
        ),
        (3, "b", Some("2"))
    );
    let stream = get("events", "", 10).await;
    assert_eq!(stream.kind, "stream");
    assert_eq!(stream.elements[0].value, "kind=login");

    // Changes are audited; a change to a key that is gone is NotFound and logs nothing.
    cache::change(
        &nodes,
        mindpal_core::access::Actor::OPERATOR,
        "user:7",
        KeyChange::Expire { seconds: 100 },
        &db.server,
    )
    .await
    .unwrap();
    let ttl: i64 = redis::cmd("TTL")
        .arg("user:7")
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!((90..=100).contains(&ttl));
    cache::change(
        &nodes,
        mindpal_core::access::Actor::OPERATOR,
        "user:7",
        KeyChange::Delete,
        &db.server,
    )
    .await
    .unwrap();
    let exists: i64 = redis::cmd("EXISTS")
        .arg("user:7")
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(exists, 0);
    let err = cache::change(
        &nodes,
        mindpal_core::access::Actor::OPERATOR,
        "user:7",
        KeyChange::Delete,
        &db.server,
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    let logged: Vec<(String,)> = sqlx::query_as(
        "SELECT action FROM operation_logs WHERE resource_type = 'redis_key' ORDER BY id",
    )
    .fetch_all(&db.server.pool)
    .await
    .unwrap();
    assert_eq!(
        logged,
        vec![("cache.expire".to_owned(),), ("cache.delete".to_owned(),)]
    );
    db.drop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_huge_hash_opens_a_page_at_a_time_and_a_large_keyspace_asks_first() {
    let redis = redis_db(11).await;
    let mut conn = redis.conn.clone();
    for chunk in 0..100 {
        let mut hset = redis::cmd("HSET");
        hset.arg("huge");
        for i in 0..10_000 {
            let n = chunk * 10_000 + i;
            hset.arg(format!("f{n}")).arg(n);
        }
        let _: () = hset.query_async(&mut conn).await.unwrap();
    }
    let nodes = one(&redis);
    let started = std::time::Instant::now();
    let view = value::get(
        &nodes,
        &KeyRequest {
            key: "huge".into(),
            from: String::new(),
            page_size: 100,
        },
    )
    .await
    .unwrap();
    assert_eq!(view.length, 1_000_000);
    assert!(
        !view.elements.is_empty() && view.elements.len() <= 1000,
        "{}",
        view.elements.len()
    );
    assert!(view.next.is_some());
    assert!(view.memory_bytes.unwrap() > 10_000_000);
    eprintln!("a 10⁶-field hash opened in {:?}", started.elapsed());

    let mut pipe = redis::pipe();
    for i in 0..cache::LARGE_KEYSPACE {
        pipe.cmd("SET").arg(format!("k:{i}")).arg(1).ignore();
    }
    let _: () = pipe.query_async(&mut conn).await.unwrap();
    let asked = cache::scan(&nodes, &scan_request("k:1*", "", 100))
        .await
        .unwrap();
    assert!(asked.needs_confirmation.is_some() && asked.keys.is_empty() && asked.calls == 0);
    let confirmed = cache::scan(
        &nodes,
        &ScanRequest {
            confirm_large: true,
            ..scan_request("k:1*", "", 100)
        },
    )
    .await
    .unwrap();
    assert!(confirmed.keys.len() >= 100);
    let _: () = redis::cmd("FLUSHDB").query_async(&mut conn).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_analysis_groups_a_sample_by_key_shape() {
    let redis = redis_db(12).await;
    let db = seeded("monitor_analyze", 9, Some(&redis)).await;
    let nodes = one(&redis);
    let analysis = cache::analyze::analyze(&nodes, 100).await.unwrap();
    assert!(analysis.sample_size <= 100 && analysis.sample_size > 0);
    let shapes: Vec<&str> = analysis.groups.iter().map(|g| g.prefix.as_str()).collect();
    assert!(shapes.contains(&"user:{id}"), "{shapes:?}");
    let share: f64 = analysis.groups.iter().map(|g| g.share).sum();
    assert!((share - 1.0).abs() < 1e-6);
    let whole = cache::analyze::analyze(&nodes, 1_000_000).await.unwrap();
    assert_eq!(
        whole.sample_size, whole.keyspace,
        "a sample larger than the keyspace is all of it"
    );
    let estimated: u64 = whole.groups.iter().map(|g| g.estimated_keys).sum();
    assert_eq!(estimated, whole.keyspace);
    db.drop().await;
}

/// A Redis of the test's own, to stop mid-scan and to change the config of.
struct PrivateRedis {
    child: KillOnDrop,
    port: u16,
}

impl PrivateRedis {
    async fn start() -> (PrivateRedis, RedisServer) {
        let port = free_port();
        let child = Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::null())
            .spawn()
            .expect("redis-server runs");
        let target = RedisTarget::new("127.0.0.1", port);
        for _ in 0..50 {
            if let Ok(server) = RedisServer::connect(&target, TIMEOUT).await {
                return (
                    PrivateRedis {
                        child: KillOnDrop(child),
                        port,
                    },
                    server,
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        drop(KillOnDrop(child));
        panic!("the private redis-server on {port} did not answer");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_status_reads_the_slowlog_and_a_redis_down_mid_scan_is_a_clear_error() {
    let (mut private, server) = PrivateRedis::start().await;
    let mut conn = server.conn.clone();
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("slowlog-log-slower-than")
        .arg(0)
        .query_async(&mut conn)
        .await
        .unwrap();
    let mut pipe = redis::pipe();
    for i in 0..5000 {
        pipe.cmd("SET").arg(format!("s:{i}")).arg(i).ignore();
    }
    let _: () = pipe.query_async(&mut conn).await.unwrap();
    let _: Option<String> = redis::cmd("GET")
        .arg("s:1")
        .query_async(&mut conn)
        .await
        .unwrap();
    let _: Option<String> = redis::cmd("GET")
        .arg("missing")
        .query_async(&mut conn)
        .await
        .unwrap();
    let status = monitor::redis::status(&server, mindpal_core::access::Actor::OPERATOR)
        .await
        .unwrap();
    assert_eq!(status.keyspace[0].keys, 5000);
    assert_eq!((status.keyspace_hits, status.keyspace_misses), (1, 1));
    assert_eq!(status.hit_rate, Some(0.5));
    assert!(
        status
            .slowlog
            .iter()
            .any(|e| e.command.first().map(String::as_str) == Some("GET")),
        "{:?}",
        status.slowlog
    );
    assert!(status.used_memory > 0 && status.used_memory_peak >= status.used_memory);

    let nodes = one(&server);
    let first = cache::scan(&nodes, &scan_request("s:*", "", 100))
        .await
        .unwrap();
    assert!(!first.done);
    private.child.0.kill().unwrap();
    private.child.0.wait().unwrap();
    let started = std::time::Instant::now();
    let err = cache::scan(&nodes, &scan_request("s:*", &first.cursor, 100))
        .await
        .unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::Unreachable | ErrorKind::Timeout),
        "{err:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(err.to_string().contains(&private.port.to_string()), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_the_sandbox_statements_group_by_digest_and_the_browser_follows_sentinel() {
    use mindpal_core::mysql::MysqlServer;
    use mindpal_core::sandbox::{self, UpOptions};
    let home = tempfile::tempdir().unwrap();
    let status = sandbox::up(
        &UpOptions {
            bastion: false,
            redis_cluster: false,
            secure: None,
            dir: home.path().join("sandbox"),
            base_port: Some(crate::support::free_port_run(5)),
            seed_scale: Some(0.001),
            profile_store: None,
        },
        &|_| {},
    )
    .await
    .expect("the sandbox comes up");
    let primary = MysqlServer::connect(&status.primary_target(), TIMEOUT, 2)
        .await
        .unwrap();
    // Text protocol: MariaDB's performance_schema does not digest prepared statements.
    for id in 1..=20 {
        let sql = format!("SELECT nickname FROM mindpal.users WHERE id = {id}");
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .fetch_all(&primary.pool)
            .await
            .unwrap();
    }
    let report = monitor::top::top(&primary, mindpal_core::access::Actor::OPERATOR, 500)
        .await
        .unwrap();
    assert_eq!(
        report.source,
        TopSource::PerformanceSchema,
        "{}",
        report.note
    );
    let lookup = report
        .statements
        .iter()
        .find(|s| {
            s.text.contains("`users`") && s.text.contains("nickname") && s.text.contains("WHERE")
        })
        .unwrap_or_else(|| {
            panic!(
                "the lookup by digest in {:?}",
                report
                    .statements
                    .iter()
                    .map(|s| &s.text)
                    .collect::<Vec<_>>()
            )
        });
    assert!(
        lookup.count >= 20,
        "one digest for twenty literals: {}",
        lookup.count
    );
    assert!(lookup.digest.is_some());

    let profile = sandbox::sandbox_profile(&status);
    let redis = profile.redis.clone().unwrap();
    assert_eq!(redis.mode, RedisMode::Sentinel);
    let nodes = cache::nodes(&redis, mindpal_core::access::Actor::OPERATOR, TIMEOUT)
        .await
        .unwrap();
    assert_eq!(nodes.servers.len(), 1);
    assert_eq!(
        nodes.servers[0].info.role, "master",
        "through Sentinel to the current master"
    );
    let page = cache::scan(
        &nodes,
        &ScanRequest {
            confirm_large: true,
            ..scan_request("user:*", "", 20)
        },
    )
    .await
    .unwrap();
    assert!(!page.keys.is_empty(), "the sandbox's cached users");
    sandbox::down(&home.path().join("sandbox"), true)
        .await
        .unwrap();
}
