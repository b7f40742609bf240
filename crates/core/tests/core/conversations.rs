//! Conversation review against the real MariaDB: the finder's pages match SQL truth, threads
//! page both ways, reviews are recorded and audited (and refused on a deleted conversation),
//! exports carry every message and mask PII for support.

use mindpal_core::access::Actor;
use mindpal_core::access::Role;
use mindpal_core::conversations::export::{self, ExportFormat};
use mindpal_core::conversations::review::{self, ReviewInput, Verdict};
use mindpal_core::conversations::{self, ConversationSearch, ThreadAnchor};
use mindpal_core::mysql::MysqlServer;
use mindpal_core::{CancellationToken, ErrorKind};

use crate::support::{TestDb, seeded};

const SUPPORT: Actor = Actor {
    role: Role::Support,
    read_only: false,
};

async fn ids(s: &MysqlServer, sql: &str) -> Vec<i64> {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
        .fetch_all(&s.pool)
        .await
        .unwrap()
}

async fn walk(s: &MysqlServer, search: &ConversationSearch) -> Vec<i64> {
    let mut all = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = conversations::find(s, search, after.as_deref())
            .await
            .unwrap();
        all.extend(page.rows.iter().map(|r| r.id));
        match page.next {
            Some(n) => after = Some(n),
            None => return all,
        }
    }
}

#[tokio::test]
async fn the_finder_pages_match_sql_and_threads_page_both_ways() {
    let db = seeded("conv_find", 9, None).await;
    let s = &db.server;
    let angry = ConversationSearch {
        user_emotion: Some("angry".into()),
        limit: 13,
        ..ConversationSearch::default()
    };
    let expected = ids(
        s,
        "SELECT c.id FROM conversations c WHERE c.deleted_at IS NULL AND EXISTS (SELECT 1 FROM conversation_messages m \
         WHERE m.conversation_id = c.id AND m.user_emotion = 'angry') ORDER BY c.last_message_at DESC, c.id DESC",
    )
    .await;
    assert!(
        expected.len() > 13,
        "the seed has angry threads to page through"
    );
    assert_eq!(walk(s, &angry).await, expected);
    // The page comes without a total; *Count now* counts it exactly, and a cancel stops it.
    assert!(
        conversations::find(s, &angry, None)
            .await
            .unwrap()
            .total
            .is_none()
    );
    let counted = conversations::count(s, &angry, &CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(
        (counted.count, counted.exact),
        (expected.len() as i64, true)
    );
    let cancelled = CancellationToken::new();
    cancelled.cancel();
    let stopped = conversations::count(s, &angry, &cancelled)
        .await
        .unwrap_err();
    assert_eq!(stopped.kind(), ErrorKind::Cancelled);

    let unhappy = ConversationSearch {
        max_satisfaction: Some(2),
        min_quality_below: Some(0.3),
        min_messages: Some(2),
        limit: 7,
        ..ConversationSearch::default()
    };
    let expected = ids(
        s,
        "SELECT c.id FROM conversations c WHERE c.deleted_at IS NULL AND c.user_satisfaction <= 2 AND c.message_count >= 2 \
         AND EXISTS (SELECT 1 FROM conversation_messages m WHERE m.conversation_id = c.id AND m.quality_score < 0.3) \
         ORDER BY c.last_message_at DESC, c.id DESC",
    )
    .await;
    assert!(!expected.is_empty());
    assert_eq!(walk(s, &unhappy).await, expected);

    // Text is data: metacharacters, regex-like strings and 10 kB find nothing and break nothing.
    for text in ["%", "_", "' OR 1=1 --", ".*(a|b)+$", &"长".repeat(10_000)] {
        let page = conversations::find(
            s,
            &ConversationSearch {
                text: Some(text.to_owned()),
                ..ConversationSearch::default()
            },
            None,
        )
        .await
        .unwrap();
        assert!(page.rows.is_empty(), "{text:?}");
        assert!(page.note.is_some(), "a text search says it scans");
    }

    // The largest thread, forwards from the start and backwards from the end.
    let (id, stored): (i64, i64) = sqlx::query_as(
        "SELECT conversation_id, COUNT(*) n FROM conversation_messages GROUP BY conversation_id ORDER BY n DESC LIMIT 1",
    )
    .fetch_one(&s.pool)
    .await
    .unwrap();
    let truth = ids(
        s,
        &format!("SELECT id FROM conversation_messages WHERE conversation_id = {id} ORDER BY id"),
    )
    .await;
    assert_eq!(truth.len() as i64, stored);
    let mut forward = Vec::new();
    let mut anchor = ThreadAnchor::Start;
    loop {
        let page = conversations::thread(s, id, anchor, 40).await.unwrap();
        assert_eq!(page.more_before, !forward.is_empty());
        forward.extend(page.messages.iter().map(|m| m.id));
        match page.messages.last() {
            Some(last) if page.more_after => anchor = ThreadAnchor::After { id: last.id },
            _ => break,
        }
    }
    assert_eq!(forward, truth);
    let mut backward: Vec<i64> = Vec::new();
    let mut anchor = ThreadAnchor::End;
    loop {
        let page = conversations::thread(s, id, anchor, 40).await.unwrap();
        assert_eq!(page.more_after, !backward.is_empty());
        let mut ids: Vec<i64> = page.messages.iter().map(|m| m.id).collect();
        ids.extend(backward);
        backward = ids;
        match page.messages.first() {
            Some(first) if page.more_before => anchor = ThreadAnchor::Before { id: first.id },
            _ => break,
        }
    }
    assert_eq!(backward, truth);

    let detail = conversations::show(s, None, id, Actor::SUPPORT)
        .await
        .unwrap();
    assert_eq!(detail.stored_messages, stored);
    assert!(detail.conversation.user_phone.unwrap().contains("****"));
    assert_eq!(
        conversations::show(s, None, i64::MAX, Actor::OPERATOR)
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::NotFound
    );
    db.drop().await;
}

#[tokio::test]
async fn reviews_are_recorded_found_audited_and_refused_on_deleted_conversations() {
    let db = seeded("conv_review", 9, None).await;
    let s = &db.server;
    let (id,): (i64,) = sqlx::query_as(
        "SELECT id FROM conversations WHERE deleted_at IS NULL AND message_count > 3 ORDER BY id LIMIT 1",
    )
    .fetch_one(&s.pool)
    .await
    .unwrap();
    let input = ReviewInput {
        verdict: Verdict::NeedsFollowup,
        tags: vec!["refund".into(), "rude, \"quoted\"".into()],
        note: Some("Call back tomorrow; =SUM(A1) is text".into()),
    };
    let saved = review::record(s, SUPPORT, "ana@support", id, &input)
        .await
        .unwrap();
    assert_eq!(saved.verdict, "needs_followup");
    assert_eq!(saved.tag_list(), vec!["refund", "rude, \"quoted\""]);
    let logged: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM operation_logs WHERE action = 'conversation.review' AND resource_id = ?",
    )
    .bind(id)
    .fetch_one(&s.pool)
    .await
    .unwrap();
    assert_eq!(logged, 1);

    // Found as reviewed, by verdict and by tag; gone from the unreviewed queue.
    for search in [
        ConversationSearch {
            reviewed: Some(true),
            ..ConversationSearch::default()
        },
        ConversationSearch {
            verdict: Some(Verdict::NeedsFollowup),
            ..ConversationSearch::default()
        },
        ConversationSearch {
            tag: Some("refund".into()),
            ..ConversationSearch::default()
        },
    ] {
        assert_eq!(walk(s, &search).await, vec![id], "{search:?}");
    }
    let queue = walk(
        s,
        &ConversationSearch {
            reviewed: Some(false),
            limit: 500,
            ..ConversationSearch::default()
        },
    )
    .await;
    assert!(!queue.contains(&id));

    // Exports carry every message and the review; support gets the phone masked.
    let stored: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM conversation_messages WHERE conversation_id = ?")
            .bind(id)
            .fetch_one(&s.pool)
            .await
            .unwrap();
    let mut json = Vec::new();
    let n = export::export(s, id, ExportFormat::Json, Actor::SUPPORT, &mut json)
        .await
        .unwrap();
    assert_eq!(n as i64, stored);
    let parsed: serde_json::Value = serde_json::from_slice(&json).unwrap();
    assert_eq!(parsed["messages"].as_array().unwrap().len() as i64, stored);
    assert_eq!(parsed["reviews"][0]["verdict"], "needs_followup");
    assert!(
        parsed["conversation"]["userPhone"]
            .as_str()
            .unwrap()
            .contains("****")
    );
    let mut md = Vec::new();
    export::export(s, id, ExportFormat::Md, Actor::OPERATOR, &mut md)
        .await
        .unwrap();
    let md = String::from_utf8(md).unwrap();
    assert!(md.contains("needs_followup") && md.contains("Call back tomorrow"));
    let mut csv = Vec::new();
    export::export(s, id, ExportFormat::Csv, Actor::OPERATOR, &mut csv)
        .await
        .unwrap();
    let csv = String::from_utf8(csv).unwrap();
    assert!(csv.starts_with("conversation_id,message_id,"));
    assert!(csv.contains(",Call back tomorrow; =SUM(A1) is text"));
    assert!(
        csv.contains(r#""refund;rude, ""quoted""""#),
        "tags with commas and quotes are quoted"
    );
    let records = csv
        .lines()
        .filter(|l| l.starts_with(&format!("{id},")))
        .count();
    assert_eq!(records as i64, stored);

    // Read-only profiles cannot review; a deleted conversation or an unknown one is refused.
    let read_only = Actor {
        role: Role::Support,
        read_only: true,
    };
    assert_eq!(
        review::record(s, read_only, "x", id, &input)
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::Forbidden
    );
    sqlx::query("UPDATE conversations SET deleted_at = NOW() WHERE id = ?")
        .bind(id)
        .execute(&s.pool)
        .await
        .unwrap();
    let err = review::record(s, SUPPORT, "ana@support", id, &input)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert!(err.to_string().contains("deleted"));
    assert_eq!(
        review::record(s, SUPPORT, "x", i64::MAX, &input)
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::NotFound
    );
    assert_eq!(
        review::list(s, id).await.unwrap().len(),
        1,
        "nothing more was saved"
    );
    db.drop().await;
}

#[tokio::test]
async fn text_is_found_inside_a_thread_in_chinese_and_english() {
    let db = TestDb::new("conv_text").await;
    let s = &db.server;
    mindpal_core::schema::migrate(s, mindpal_core::access::Actor::OPERATOR)
        .await
        .unwrap();
    sqlx::raw_sql(
        "INSERT INTO users (id, phone) VALUES (1, '13800000000'); \
         INSERT INTO digital_humans (id, user_id, name) VALUES (1, 1, 'Nova'); \
         INSERT INTO conversations (id, user_id, digital_human_id) VALUES (1, 1, 1); \
         INSERT INTO conversation_messages (conversation_id, sender_type, content) VALUES \
         (1, 'user', '我最近总是失眠'), (1, 'digital_human', 'Insomnia is hard. 100% normal though'), \
         (1, 'user', '失眠 again'), (1, 'user', 'nothing here');",
    )
    .execute(&s.pool)
    .await
    .unwrap();
    let found = |t: &'static str| conversations::find_in_thread(s, 1, t);
    assert_eq!(found("失眠").await.unwrap().len(), 2);
    assert_eq!(
        found("insomnia").await.unwrap().len(),
        1,
        "case-insensitive"
    );
    assert_eq!(found("100%").await.unwrap().len(), 1);
    assert_eq!(found("%").await.unwrap().len(), 1, "% is a character");
    assert!(found("").await.unwrap().is_empty());
    db.drop().await;
}
