//! The finder's review filters at production size: with 1% of conversations reviewed, the
//! first page (50 rows) of every combination of reviewed / not reviewed / verdict / tag with
//! the other filters, through the core, beside the finder as it was (a correlated probe of
//! `conversation_reviews` per conversation walked, stopped by the same 5 s limit). Both must
//! list the same conversations. Run by `make bench` on a seeded database:
//! BENCH_DIRECTORY_URL=mysql://…/mindpal_bench.

mod common;

use std::time::{Duration, Instant};

use mindpal_core::conversations::{self, ConversationSearch, Verdict};

const PAGE: u32 = 50;
const REPEATS: usize = 7;
const AIM_MS: f64 = 20.0;

/// The finder's review filters before they could start from the reviews.
fn probe_sql(search: &ConversationSearch) -> (String, Vec<String>) {
    let latest = |col: &str| {
        format!(
            "(SELECT r.{col} FROM conversation_reviews r WHERE r.conversation_id = c.id ORDER BY r.reviewed_at DESC, r.id DESC LIMIT 1)"
        )
    };
    let mut clauses = vec!["c.deleted_at IS NULL".to_owned()];
    let mut binds = Vec::new();
    if let Some(d) = search.digital_human_id {
        clauses.push(format!("c.digital_human_id = {d}"));
    }
    if let Some(s) = search.max_satisfaction {
        clauses.push(format!("c.user_satisfaction <= {s}"));
    }
    if search.user_emotion.is_some() {
        clauses.push("EXISTS (SELECT 1 FROM conversation_messages m WHERE m.conversation_id = c.id AND m.user_emotion = 'angry')".into());
    }
    match search.reviewed {
        Some(true) => clauses.push(
            "EXISTS (SELECT 1 FROM conversation_reviews r WHERE r.conversation_id = c.id)".into(),
        ),
        Some(false) => clauses.push(
            "NOT EXISTS (SELECT 1 FROM conversation_reviews r WHERE r.conversation_id = c.id)"
                .into(),
        ),
        None => {}
    }
    if let Some(v) = search.verdict {
        clauses.push(format!("{} = ?", latest("verdict")));
        binds.push(v.as_str().to_owned());
    }
    if let Some(t) = &search.tag {
        clauses.push(format!("JSON_CONTAINS({}, JSON_QUOTE(?))", latest("tags")));
        binds.push(t.clone());
    }
    (
        format!(
            "SET STATEMENT max_statement_time=5 FOR SELECT c.id FROM conversations c WHERE {} \
             ORDER BY c.last_message_at DESC, c.id DESC LIMIT {PAGE}",
            clauses.join(" AND ")
        ),
        binds,
    )
}

fn median(mut samples: Vec<Duration>) -> f64 {
    samples.sort();
    samples[samples.len() / 2].as_secs_f64() * 1000.0
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let Some((server, _)) = common::bench_database().await else {
        return;
    };
    let pool = &server.pool;
    // 1% of conversations reviewed, by five reviewers, a third escalated, one in seven tagged.
    let (reviews,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM conversation_reviews")
        .fetch_one(pool)
        .await
        .unwrap();
    if reviews == 0 {
        sqlx::raw_sql(
            "INSERT INTO conversation_reviews (conversation_id, reviewer, verdict, tags) \
             SELECT id, CONCAT('reviewer', id % 5), ELT(1 + id % 3, 'ok', 'needs_followup', 'escalated'), \
               IF(id % 7 = 0, '[\"refund\"]', '[]') \
             FROM conversations WHERE id % 100 = 0 AND deleted_at IS NULL; \
             ANALYZE TABLE conversation_reviews, conversations",
        )
        .execute(pool)
        .await
        .unwrap();
    }
    let (conversations, reviewed): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM conversations), (SELECT COUNT(DISTINCT conversation_id) FROM conversation_reviews)",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    let (busiest_dh,): (i64,) = sqlx::query_as(
        "SELECT digital_human_id FROM conversations GROUP BY digital_human_id ORDER BY COUNT(*) DESC LIMIT 1",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    println!(
        "{conversations} conversations, {reviewed} reviewed ({:.2}%); first page of {PAGE}",
        reviewed as f64 * 100.0 / conversations as f64
    );
    println!(
        "{:<44} {:>6} {:>10} {:>14} {:>8}",
        "filters", "rows", "core ms", "as it was ms", "ratio"
    );

    let base = ConversationSearch {
        limit: PAGE,
        ..ConversationSearch::default()
    };
    let others: [(&str, ConversationSearch); 4] = [
        ("", base.clone()),
        (
            " + angry user",
            ConversationSearch {
                user_emotion: Some("angry".into()),
                ..base.clone()
            },
        ),
        (
            " + busiest digital human",
            ConversationSearch {
                digital_human_id: Some(busiest_dh),
                ..base.clone()
            },
        ),
        (
            " + satisfaction ≤ 2",
            ConversationSearch {
                max_satisfaction: Some(2),
                ..base.clone()
            },
        ),
    ];
    type Narrow = fn(ConversationSearch) -> ConversationSearch;
    let reviews: [(&str, Narrow); 6] = [
        ("reviewed", |s| ConversationSearch {
            reviewed: Some(true),
            ..s
        }),
        ("not reviewed", |s| ConversationSearch {
            reviewed: Some(false),
            ..s
        }),
        ("verdict escalated", |s| ConversationSearch {
            verdict: Some(Verdict::Escalated),
            ..s
        }),
        ("tag refund", |s| ConversationSearch {
            tag: Some("refund".into()),
            ..s
        }),
        ("escalated + refund", |s| ConversationSearch {
            verdict: Some(Verdict::Escalated),
            tag: Some("refund".into()),
            ..s
        }),
        ("reviewed + escalated", |s| ConversationSearch {
            reviewed: Some(true),
            verdict: Some(Verdict::Escalated),
            ..s
        }),
    ];
    let mut slowest: f64 = 0.0;
    for (review_label, with_review) in reviews {
        for (other_label, other) in &others {
            let search = with_review(other.clone());
            let label = format!("{review_label}{other_label}");
            let mut core = Vec::new();
            let mut ids = Vec::new();
            for _ in 0..REPEATS {
                let started = Instant::now();
                let page = conversations::find(&server, &search, None).await.unwrap();
                core.push(started.elapsed());
                ids = page.rows.iter().map(|r| r.id).collect::<Vec<_>>();
            }
            let core = median(core);
            slowest = slowest.max(core);
            let (sql, binds) = probe_sql(&search);
            let mut before = Vec::new();
            let mut stopped = false;
            for _ in 0..3 {
                let mut query = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql.clone()));
                for b in &binds {
                    query = query.bind(b);
                }
                let started = Instant::now();
                match query.fetch_all(pool).await {
                    Ok(old) => assert_eq!(old, ids, "{label}: the same conversations"),
                    Err(_) => stopped = true,
                }
                before.push(started.elapsed());
                if stopped || started.elapsed() > Duration::from_secs(1) {
                    break;
                }
            }
            let before = median(before);
            println!(
                "{label:<44} {:>6} {core:>10.2} {:>14} {:>7.0}x",
                ids.len(),
                if stopped {
                    format!("{before:.0} stopped")
                } else {
                    format!("{before:.2}")
                },
                before / core
            );
        }
    }
    println!(
        "slowest first page through the core: {slowest:.2} ms (aim ≤ {AIM_MS} ms){}",
        if slowest <= AIM_MS {
            ""
        } else {
            " — NOT MET"
        }
    );
}
