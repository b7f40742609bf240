//! Conversation finder pages (the heaviest user; angry users in the last 7 days) and thread
//! pages at the start, middle and end of the longest conversation, through the core, beside
//! the same pages fetched with LIMIT … OFFSET. Run by `make bench` on a seeded database:
//! BENCH_DIRECTORY_URL=mysql://…/mindpal_bench.

mod common;

use std::time::{Duration, Instant};

use mindpal_core::conversations::{self, ConversationSearch, ThreadAnchor};
use mindpal_core::keyset::cursor::{self, KeyValue};

const REPEATS: usize = 15;
const PAGE: u32 = 50;

async fn time<F, Fut, T>(mut f: F) -> f64
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = T>,
{
    f().await;
    let mut samples: Vec<Duration> = Vec::with_capacity(REPEATS);
    for _ in 0..REPEATS {
        let started = Instant::now();
        std::hint::black_box(f().await);
        samples.push(started.elapsed());
    }
    samples.sort();
    samples[samples.len() / 2].as_secs_f64() * 1000.0
}

fn line(what: &str, depth: &str, offset: i64, core: f64, naive: f64) {
    println!(
        "{what:<34} {depth:>7} {offset:>8} {core:>10.2} {naive:>12.2} {:>7.1}x",
        naive / core
    );
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let Some((server, _)) = common::bench_database().await else {
        return;
    };
    let pool = &server.pool;
    println!(
        "{:<34} {:>7} {:>8} {:>10} {:>12} {:>8}",
        "page (50 rows)", "depth", "offset", "core ms", "OFFSET ms", "ratio"
    );

    // The finder: the heaviest user's conversations, newest last message first.
    let (heavy, count): (i64, i64) = sqlx::query_as(
        "SELECT user_id, COUNT(*) n FROM conversations WHERE deleted_at IS NULL GROUP BY user_id ORDER BY n DESC LIMIT 1",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    let search = ConversationSearch {
        user_id: Some(heavy),
        limit: PAGE,
        ..ConversationSearch::default()
    };
    let fingerprint = cursor::fingerprint(&ConversationSearch {
        limit: 0,
        ..search.clone()
    });
    for (depth, offset) in [("first", 0), ("middle", count / 2), ("last", count - 50)] {
        let after = if offset == 0 {
            None
        } else {
            let (at, id): (Option<chrono::NaiveDateTime>, i64) = sqlx::query_as(
                "SELECT last_message_at, id FROM conversations WHERE user_id = ? AND deleted_at IS NULL \
                 ORDER BY last_message_at DESC, id DESC LIMIT 1 OFFSET ?",
            )
            .bind(heavy)
            .bind(offset - 1)
            .fetch_one(pool)
            .await
            .unwrap();
            Some(cursor::encode(
                &fingerprint,
                vec![
                    at.map(KeyValue::Time).unwrap_or(KeyValue::Null),
                    KeyValue::Int(id),
                ],
            ))
        };
        let core = time(|| conversations::find(&server, &search, after.as_deref())).await;
        let naive = time(|| {
            sqlx::query_scalar::<_, i64>(
                "SELECT id FROM conversations WHERE user_id = ? AND deleted_at IS NULL \
                 ORDER BY last_message_at DESC, id DESC LIMIT 50 OFFSET ?",
            )
            .bind(heavy)
            .bind(offset)
            .fetch_all(pool)
        })
        .await;
        line(
            &format!("user {heavy}'s {count} conversations"),
            depth,
            offset,
            core,
            naive,
        );
    }

    // Angry users in the 7 days before the newest message.
    let newest: chrono::NaiveDateTime =
        sqlx::query_scalar("SELECT MAX(last_message_at) FROM conversations")
            .fetch_one(pool)
            .await
            .unwrap();
    let from = (newest - chrono::Duration::days(7)).date();
    let angry = ConversationSearch {
        user_emotion: Some("angry".into()),
        last_message_from: Some(from),
        limit: PAGE,
        ..ConversationSearch::default()
    };
    let core = time(|| conversations::find(&server, &angry, None)).await;
    let naive = time(|| {
        sqlx::query_scalar::<_, i64>(
            "SELECT c.id FROM conversations c WHERE c.deleted_at IS NULL AND c.last_message_at >= ? \
             AND EXISTS (SELECT 1 FROM conversation_messages m WHERE m.conversation_id = c.id AND m.user_emotion = 'angry') \
             ORDER BY c.last_message_at DESC, c.id DESC LIMIT 50 OFFSET 0",
        )
        .bind(from)
        .fetch_all(pool)
    })
    .await;
    line("angry users, last 7 days", "first", 0, core, naive);

    // The longest thread, by id pages against OFFSET pages.
    let (long, messages): (i64, i64) = sqlx::query_as(
        "SELECT conversation_id, COUNT(*) n FROM conversation_messages GROUP BY conversation_id ORDER BY n DESC LIMIT 1",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    for (depth, offset) in [
        ("start", 0),
        ("middle", messages / 2),
        ("end", messages - 50),
    ] {
        let anchor = if offset == 0 {
            ThreadAnchor::Start
        } else {
            let id: i64 = sqlx::query_scalar(
                "SELECT id FROM conversation_messages WHERE conversation_id = ? ORDER BY id LIMIT 1 OFFSET ?",
            )
            .bind(long)
            .bind(offset - 1)
            .fetch_one(pool)
            .await
            .unwrap();
            ThreadAnchor::After { id }
        };
        let core = time(|| conversations::thread(&server, long, anchor, PAGE)).await;
        let naive = time(|| {
            sqlx::query_scalar::<_, i64>(
                "SELECT id FROM conversation_messages WHERE conversation_id = ? ORDER BY id LIMIT 50 OFFSET ?",
            )
            .bind(long)
            .bind(offset)
            .fetch_all(pool)
        })
        .await;
        line(
            &format!("thread {long} ({messages} messages)"),
            depth,
            offset,
            core,
            naive,
        );
    }
    println!(
        "the core fetches whole rows (threads: full messages); OFFSET fetches ids only, its best case"
    );
}
