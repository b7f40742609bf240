//! The support team's shared queue against the real MariaDB: two reviewers claiming at once
//! never share a conversation, an expired lease is claimable again, a saved review ends its
//! claim, samples are reproducible by seed and become named queues that ask for two reviews,
//! and the dashboard's kappa is the hand-computed one.

use std::collections::HashSet;
use std::time::Duration;

use mindpal_core::ErrorKind;
use mindpal_core::access::Actor;
use mindpal_core::conversations::agreement;
use mindpal_core::conversations::queue::{self, ClaimEnd, QueueSource};
use mindpal_core::conversations::review::{self, ReviewInput, Verdict};
use mindpal_core::conversations::sample::{self, SampleBy, SampleSpec};
use mindpal_core::conversations::{ConversationSearch, find};
use mindpal_core::mysql::MysqlServer;

use crate::support::seeded;

const LEASE: Duration = Duration::from_secs(15 * 60);

fn everything() -> QueueSource {
    QueueSource::Filters {
        search: ConversationSearch::default(),
    }
}

async fn save(s: &MysqlServer, reviewer: &str, id: i64, verdict: Verdict) {
    review::record(
        s,
        Actor::OPERATOR,
        reviewer,
        id,
        &ReviewInput {
            verdict,
            tags: vec![],
            note: None,
        },
    )
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_reviewers_claiming_at_once_never_share_and_expired_leases_come_back() {
    let db = seeded("queue_claims", 21, None).await;
    // Two reviewers on two machines: two pools of their own.
    let li_server = db.server.with_database(&db.name).await.unwrap();
    let wang_server = db.server.with_database(&db.name).await.unwrap();
    let claims = |server: MysqlServer, reviewer: &'static str| {
        tokio::spawn(async move {
            let mut taken = Vec::new();
            for _ in 0..100 {
                let claim = queue::next(&server, Actor::OPERATOR, reviewer, &everything(), LEASE)
                    .await
                    .unwrap()
                    .expect("the seed has more than 200 conversations");
                assert_eq!(claim.reviewer, reviewer);
                taken.push(claim.conversation_id);
            }
            taken
        })
    };
    let (li, wang) = tokio::join!(claims(li_server, "li"), claims(wang_server, "wang"));
    let (li, wang) = (li.unwrap(), wang.unwrap());
    let all: HashSet<i64> = li.iter().chain(&wang).copied().collect();
    assert_eq!(all.len(), 200, "200 claims, 200 different conversations");
    let (held,): (i64,) = sqlx::query_as(
        "SELECT COUNT(DISTINCT held_conversation_id) FROM review_claims WHERE held_conversation_id IS NOT NULL",
    )
    .fetch_one(&db.server.pool)
    .await
    .unwrap();
    assert_eq!(held, 200);
    assert_eq!(queue::mine(&db.server, "li").await.unwrap().len(), 100);

    // Someone else's claim is shown, not taken.
    let theirs = li[0];
    let refused = queue::claim(&db.server, Actor::OPERATOR, "zhao", theirs, LEASE)
        .await
        .unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::Conflict);
    assert!(refused.to_string().contains("li is reviewing"), "{refused}");

    // A short lease runs out; the conversation can be claimed again and the first claim is
    // kept as expired.
    let next = queue::next(
        &db.server,
        Actor::OPERATOR,
        "zhao",
        &everything(),
        Duration::from_secs(1),
    )
    .await
    .unwrap()
    .unwrap();
    assert!(!all.contains(&next.conversation_id));
    let held = queue::holder(&db.server, next.conversation_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(held.reviewer, "zhao");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let late = queue::renew(
        &db.server,
        Actor::OPERATOR,
        "zhao",
        next.conversation_id,
        LEASE,
    )
    .await
    .unwrap_err();
    assert_eq!(late.kind(), ErrorKind::Conflict);
    let again = queue::next(&db.server, Actor::OPERATOR, "li", &everything(), LEASE)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        again.conversation_id, next.conversation_id,
        "the expired conversation is the newest unheld one again"
    );
    let (outcome,): (Option<String>,) =
        sqlx::query_as("SELECT outcome FROM review_claims WHERE id = ?")
            .bind(next.id)
            .fetch_one(&db.server.pool)
            .await
            .unwrap();
    assert_eq!(outcome.as_deref(), Some("expired"));

    // Saving the review ends the claim; a skipped one is not offered to its skipper again.
    save(&db.server, "li", again.conversation_id, Verdict::Ok).await;
    assert!(
        queue::holder(&db.server, again.conversation_id)
            .await
            .unwrap()
            .is_none()
    );
    let skipped = queue::next(&db.server, Actor::OPERATOR, "zhao", &everything(), LEASE)
        .await
        .unwrap()
        .unwrap();
    assert!(
        queue::release(
            &db.server,
            Actor::OPERATOR,
            "zhao",
            skipped.conversation_id,
            ClaimEnd::Skipped
        )
        .await
        .unwrap()
    );
    let after_skip = queue::next(&db.server, Actor::OPERATOR, "zhao", &everything(), LEASE)
        .await
        .unwrap()
        .unwrap();
    assert_ne!(after_skip.conversation_id, skipped.conversation_id);
    let for_wang = queue::next(&db.server, Actor::OPERATOR, "wang", &everything(), LEASE)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        for_wang.conversation_id, skipped.conversation_id,
        "what zhao skipped goes to the next reviewer"
    );

    // A read-only profile claims nothing.
    let read_only = Actor {
        read_only: true,
        ..Actor::OPERATOR
    };
    let refused = queue::next(&db.server, read_only, "li", &everything(), LEASE)
        .await
        .unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::Forbidden);
    db.drop().await;
}

#[tokio::test]
async fn samples_are_reproducible_by_seed_and_become_double_review_queues() {
    let db = seeded("queue_sample", 22, None).await;
    let s = &db.server;
    let (first, last): (chrono::NaiveDateTime, chrono::NaiveDateTime) = sqlx::query_as(
        "SELECT MIN(last_message_at), MAX(last_message_at) FROM conversations WHERE deleted_at IS NULL",
    )
    .fetch_one(&s.pool)
    .await
    .unwrap();
    let spec = SampleSpec {
        per: SampleBy::DigitalHuman,
        n: 2,
        from: first.date(),
        to: last.date(),
        seed: 7,
        reviews_wanted: 2,
    };
    let drawn = sample::draw(s, &spec).await.unwrap();
    assert_eq!(drawn, sample::draw(s, &spec).await.unwrap(), "same seed");
    let other = sample::draw(
        s,
        &SampleSpec {
            seed: 8,
            ..spec.clone()
        },
    )
    .await
    .unwrap();
    assert_ne!(drawn, other, "another seed draws another sample");
    // Every digital human with conversations gets min(2, its count).
    let groups: Vec<(String, i64)> = sqlx::query_as(
        "SELECT CAST(digital_human_id AS CHAR), LEAST(COUNT(*), 2) FROM conversations \
         WHERE deleted_at IS NULL AND last_message_at IS NOT NULL GROUP BY digital_human_id ORDER BY 1",
    )
    .fetch_all(&s.pool)
    .await
    .unwrap();
    let mut counted: std::collections::BTreeMap<String, i64> = Default::default();
    for item in &drawn {
        *counted.entry(item.group.clone()).or_default() += 1;
    }
    assert_eq!(counted.into_iter().collect::<Vec<_>>(), groups);

    // Per satisfaction band, and a window that ends before it starts is refused.
    let bands = sample::draw(
        s,
        &SampleSpec {
            per: SampleBy::Satisfaction,
            n: 3,
            ..spec.clone()
        },
    )
    .await
    .unwrap();
    assert!(bands.len() <= 18 && !bands.is_empty());
    let backwards = sample::draw(
        s,
        &SampleSpec {
            from: last.date(),
            to: first.date() - chrono::Duration::days(1),
            ..spec.clone()
        },
    )
    .await
    .unwrap_err();
    assert_eq!(backwards.kind(), ErrorKind::InvalidInput);

    // Kept as a queue: each conversation goes to two different reviewers, in drawn order.
    let report = sample::create(s, Actor::OPERATOR, "lead", "qa-week", &spec)
        .await
        .unwrap();
    assert_eq!(report.items, drawn);
    let named = QueueSource::Named {
        name: "qa-week".into(),
    };
    let li = queue::next(s, Actor::OPERATOR, "li", &named, LEASE)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(li.conversation_id, drawn[0].conversation_id);
    assert_eq!(li.queue.as_deref(), Some("qa-week"));
    save(s, "li", li.conversation_id, Verdict::Ok).await;
    let wang = queue::next(s, Actor::OPERATOR, "wang", &named, LEASE)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        wang.conversation_id, drawn[0].conversation_id,
        "the second review of the first conversation"
    );
    let listed = sample::queues(s).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (
            listed[0].conversations,
            listed[0].done,
            listed[0].reviews_wanted
        ),
        (drawn.len() as i64, 0, 2),
        "one review of two is not done"
    );
    save(s, "wang", wang.conversation_id, Verdict::Ok).await;
    assert_eq!(sample::queues(s).await.unwrap()[0].done, 1);
    let li_again = queue::next(s, Actor::OPERATOR, "li", &named, LEASE)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(li_again.conversation_id, drawn[1].conversation_id);
    let duplicate = sample::create(s, Actor::OPERATOR, "lead", "qa-week", &spec)
        .await
        .unwrap_err();
    assert_eq!(duplicate.kind(), ErrorKind::Conflict);
    let (logged,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM operation_logs WHERE action = 'review.queue.create' AND user_agent LIKE 'mindpal-admin/%'",
    )
    .fetch_one(&s.pool)
    .await
    .unwrap();
    assert_eq!(logged, 1);
    db.drop().await;
}

#[tokio::test]
async fn the_dashboard_counts_reviews_and_its_kappa_is_the_hand_computed_one() {
    let db = seeded("queue_kappa", 23, None).await;
    let s = &db.server;
    let page = find(
        s,
        &ConversationSearch {
            limit: 10,
            ..ConversationSearch::default()
        },
        None,
    )
    .await
    .unwrap();
    let ids: Vec<i64> = page.rows.iter().map(|r| r.id).collect();
    assert_eq!(ids.len(), 10);
    // The three-verdict set worked by hand in agreement.rs: kappa 0.5, 7 of 10 agree.
    use Verdict::*;
    let pattern = [
        (Ok, Ok),
        (Ok, Ok),
        (Ok, Ok),
        (Ok, Ok),
        (NeedsFollowup, NeedsFollowup),
        (NeedsFollowup, NeedsFollowup),
        (Escalated, Escalated),
        (Ok, NeedsFollowup),
        (Ok, NeedsFollowup),
        (Escalated, Ok),
    ];
    for (id, (a, b)) in ids.iter().zip(pattern) {
        // A changed mind: only the latest verdict of each reviewer counts.
        save(s, "li", *id, Escalated).await;
        save(s, "li", *id, a).await;
        save(s, "wang", *id, b).await;
    }
    let claim = queue::claim(s, Actor::OPERATOR, "zhao", ids[0], Duration::from_secs(1))
        .await
        .unwrap();
    assert_eq!(claim.reviewer, "zhao");
    tokio::time::sleep(Duration::from_millis(1200)).await;
    // The next claim ends the stale one as expired.
    queue::next(s, Actor::OPERATOR, "zhao", &everything(), LEASE)
        .await
        .unwrap()
        .unwrap();

    let today = chrono::Local::now().date_naive();
    let board = agreement::dashboard(
        s,
        Actor::OPERATOR,
        "root",
        None,
        today - chrono::Duration::days(1),
        today,
    )
    .await
    .unwrap();
    assert_eq!(board.pairs.len(), 1, "{board:?}");
    let pair = &board.pairs[0];
    assert_eq!((pair.a.as_str(), pair.b.as_str()), ("li", "wang"));
    assert_eq!((pair.conversations, pair.agreed), (10, 7));
    assert!((pair.kappa.unwrap() - 0.5).abs() < 1e-9, "{pair:?}");
    assert_eq!(board.disagreements.len(), 3);
    let li: Vec<_> = board.days.iter().filter(|d| d.reviewer == "li").collect();
    assert_eq!(li.iter().map(|d| d.reviews).sum::<i64>(), 20);
    let zhao_expired: i64 = board
        .days
        .iter()
        .filter(|d| d.reviewer == "zhao")
        .map(|d| d.claims_expired)
        .sum();
    assert_eq!(zhao_expired, 1);

    // Support staff see their own figures: only pairs they are in.
    let yesterday = today - chrono::Duration::days(1);
    let own = agreement::dashboard(s, Actor::SUPPORT, "zhao", None, yesterday, today)
        .await
        .unwrap();
    assert!(own.pairs.is_empty() && own.days.iter().all(|d| d.reviewer == "zhao"));
    // ... and are refused another's; a lead sees anyone's.
    let err = agreement::dashboard(s, Actor::SUPPORT, "zhao", Some("li"), yesterday, today)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), mindpal_core::ErrorKind::Forbidden, "{err}");
    let lead = Actor {
        role: mindpal_core::access::Role::Lead,
        read_only: true,
    };
    let li = agreement::dashboard(s, lead, "zhao", Some("li"), yesterday, today)
        .await
        .unwrap();
    assert!(!li.days.is_empty() && li.days.iter().all(|d| d.reviewer == "li"));
    db.drop().await;
}
