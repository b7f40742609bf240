//! Pages of the users, digital-humans and knowledge lists at the first, middle and last depth,
//! through the core (keyset cursors), beside the same page fetched with LIMIT … OFFSET.
//! Run by `make bench` on a seeded database: BENCH_DIRECTORY_URL=mysql://…/mindpal_bench.

mod common;

use std::time::{Duration, Instant};

use mindpal_core::access::Actor;
use mindpal_core::directory::digital_humans::{self, DigitalHumanSearch, KnowledgeSearch};
use mindpal_core::directory::users::{self, UserSearch, UserSort};
use mindpal_core::keyset::Page;
use mindpal_core::keyset::cursor::{self, KeyValue};
use mindpal_core::mysql::MysqlServer;

const REPEATS: usize = 15;
const PAGE: u32 = 50;

fn median(mut samples: Vec<Duration>) -> f64 {
    samples.sort();
    samples[samples.len() / 2].as_secs_f64() * 1000.0
}

async fn time<F, Fut, T>(mut f: F) -> f64
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = T>,
{
    f().await; // warm the buffer pool and the statement cache
    let mut samples = Vec::with_capacity(REPEATS);
    for _ in 0..REPEATS {
        let started = Instant::now();
        std::hint::black_box(f().await);
        samples.push(started.elapsed());
    }
    median(samples)
}

/// One list to measure: how to read the sort key at a depth, how the core pages it, and
/// the OFFSET statement a naive console would run.
struct List {
    name: &'static str,
    /// `SELECT <sort key…> … ORDER BY … LIMIT 1 OFFSET ?`: the row before a page at a depth.
    key_at: &'static str,
    offset_sql: &'static str,
    count_sql: &'static str,
    /// The key is (time, id) rather than id alone.
    keyed_by_time: bool,
}

async fn row_key(server: &MysqlServer, list: &List, offset: i64) -> Vec<KeyValue> {
    let sql = list.key_at;
    let row: (Option<chrono::NaiveDateTime>, i64) =
        sqlx::query_as(sqlx::AssertSqlSafe(sql.to_owned()))
            .bind(offset)
            .fetch_one(&server.pool)
            .await
            .expect("the bench database is seeded");
    if list.keyed_by_time {
        vec![
            row.0.map(KeyValue::Time).unwrap_or(KeyValue::Null),
            KeyValue::Int(row.1),
        ]
    } else {
        vec![KeyValue::Int(row.1)]
    }
}

fn same_rows<T>(page: &Page<T>, ids: &[i64], id_of: impl Fn(&T) -> i64) {
    let got: Vec<i64> = page.rows.iter().map(id_of).collect();
    assert_eq!(
        got, ids,
        "the keyset page and the OFFSET page must be the same rows"
    );
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let Some((server, _)) = common::bench_database().await else {
        return;
    };

    let lists = [
        List {
            name: "users by id",
            key_at: "SELECT NULL, id FROM users WHERE deleted_at IS NULL ORDER BY id DESC LIMIT 1 OFFSET ?",
            offset_sql: "SELECT id FROM users WHERE deleted_at IS NULL ORDER BY id DESC LIMIT 50 OFFSET ?",
            count_sql: "SELECT COUNT(*) FROM users WHERE deleted_at IS NULL",
            keyed_by_time: false,
        },
        List {
            name: "users by last login",
            key_at: "SELECT last_login_at, id FROM users WHERE deleted_at IS NULL ORDER BY last_login_at DESC, id DESC LIMIT 1 OFFSET ?",
            offset_sql: "SELECT id FROM users WHERE deleted_at IS NULL ORDER BY last_login_at DESC, id DESC LIMIT 50 OFFSET ?",
            count_sql: "SELECT COUNT(*) FROM users WHERE deleted_at IS NULL",
            keyed_by_time: true,
        },
        List {
            name: "digital humans by id",
            key_at: "SELECT NULL, id FROM digital_humans WHERE deleted_at IS NULL ORDER BY id DESC LIMIT 1 OFFSET ?",
            offset_sql: "SELECT d.id FROM digital_humans d LEFT JOIN users u ON u.id = d.user_id WHERE d.deleted_at IS NULL ORDER BY d.id DESC LIMIT 50 OFFSET ?",
            count_sql: "SELECT COUNT(*) FROM digital_humans WHERE deleted_at IS NULL",
            keyed_by_time: false,
        },
        List {
            name: "knowledge base by id",
            key_at: "SELECT NULL, id FROM knowledge_base WHERE deleted_at IS NULL ORDER BY id LIMIT 1 OFFSET ?",
            offset_sql: "SELECT id FROM knowledge_base WHERE deleted_at IS NULL ORDER BY id LIMIT 50 OFFSET ?",
            count_sql: "SELECT COUNT(*) FROM knowledge_base WHERE deleted_at IS NULL",
            keyed_by_time: false,
        },
    ];

    println!(
        "{:<24} {:>7} {:>10} {:>12} {:>12} {:>8}",
        "list (50 rows a page)", "depth", "offset", "core ms", "OFFSET ms", "ratio"
    );
    // The OFFSET statements fetch ids only, from a covering index where one exists: OFFSET's
    // best case. The core fetches whole rows (and the owner's nickname for digital humans).
    let mut worst = 0.0f64;
    for list in &lists {
        let total: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(list.count_sql.to_owned()))
            .fetch_one(&server.pool)
            .await
            .unwrap();
        for (depth, offset) in [
            ("first", 0),
            ("middle", total / 2),
            ("last", (total - i64::from(PAGE)).max(0)),
        ] {
            let expected: Vec<i64> =
                sqlx::query_scalar(sqlx::AssertSqlSafe(list.offset_sql.to_owned()))
                    .bind(offset)
                    .fetch_all(&server.pool)
                    .await
                    .unwrap();
            let key = if offset == 0 {
                None
            } else {
                Some(row_key(&server, list, offset - 1).await)
            };
            let core_ms = match list.name {
                "users by id" | "users by last login" => {
                    let search = UserSearch {
                        sort: if list.name == "users by id" {
                            UserSort::Id
                        } else {
                            UserSort::LastLoginAt
                        },
                        limit: PAGE,
                        ..UserSearch::default()
                    };
                    let after = key.map(|k| {
                        cursor::encode(
                            &cursor::fingerprint(&UserSearch {
                                limit: 0,
                                ..search.clone()
                            }),
                            k,
                        )
                    });
                    let page = users::find(&server, &search, after.as_deref(), Actor::OPERATOR)
                        .await
                        .unwrap();
                    same_rows(&page, &expected, |r| r.id);
                    time(|| users::find(&server, &search, after.as_deref(), Actor::OPERATOR)).await
                }
                "digital humans by id" => {
                    let search = DigitalHumanSearch {
                        limit: PAGE,
                        ..DigitalHumanSearch::default()
                    };
                    let after = key.map(|k| {
                        cursor::encode(
                            &cursor::fingerprint(&DigitalHumanSearch {
                                limit: 0,
                                ..search.clone()
                            }),
                            k,
                        )
                    });
                    let page = digital_humans::find(&server, &search, after.as_deref())
                        .await
                        .unwrap();
                    same_rows(&page, &expected, |r| r.id);
                    time(|| digital_humans::find(&server, &search, after.as_deref())).await
                }
                _ => {
                    let search = KnowledgeSearch {
                        limit: PAGE,
                        ..KnowledgeSearch::default()
                    };
                    let after = key.map(|k| {
                        cursor::encode(
                            &cursor::fingerprint(&KnowledgeSearch {
                                limit: 0,
                                ..search.clone()
                            }),
                            k,
                        )
                    });
                    let page = digital_humans::knowledge(&server, &search, after.as_deref())
                        .await
                        .unwrap();
                    same_rows(&page, &expected, |r| r.id);
                    time(|| digital_humans::knowledge(&server, &search, after.as_deref())).await
                }
            };
            let offset_ms = time(|| {
                sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(list.offset_sql.to_owned()))
                    .bind(offset)
                    .fetch_all(&server.pool)
            })
            .await;
            worst = worst.max(core_ms);
            println!(
                "{:<24} {:>7} {:>10} {:>12.2} {:>12.2} {:>7.1}x",
                list.name,
                depth,
                offset,
                core_ms,
                offset_ms,
                offset_ms / core_ms
            );
        }
    }
    println!(
        "slowest page through the core: {worst:.2} ms (aim: 10 ms at any depth); the first page includes the total (capped count + estimate)"
    );
}
