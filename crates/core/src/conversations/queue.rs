//! The shared review queue: reviewers claim the next conversation that needs a human, hold it
//! on a lease while it is open, and let it go on save, skip or close. Claims live in the
//! platform database (`review_claims`), so windows and CLIs on different machines share one
//! queue; the unique index on `held_conversation_id` is what keeps two reviewers off one
//! conversation.

use std::time::Duration;

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use sqlx::MySqlConnection;

use super::finder::{self, ConversationSearch};
use crate::access::{Actor, Permission};
use crate::error::{Error, Result};
use crate::mysql::MysqlServer;

/// How long a claim lasts unless renewed: long enough to read a long thread.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(15 * 60);
/// Candidates read per round; a round is repeated while others took them all first.
const CANDIDATES: u32 = 20;
const ROUNDS: usize = 10;
const DUPLICATE_KEY: u16 = 1062;
const NO_SUCH_ROW: u16 = 1452;
pub(super) const NO_SUCH_TABLE: u16 = 1146;

/// The MySQL error number of a statement's failure.
pub(super) fn errno(e: &sqlx::Error) -> Option<u16> {
    match e {
        sqlx::Error::Database(d) => d
            .try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>()
            .map(|m| m.number()),
        _ => None,
    }
}

/// Where the next conversation comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum QueueSource {
    /// The finder's filters; the conversation must not be reviewed yet.
    Filters { search: ConversationSearch },
    /// A named queue (a QA sample), in its drawn order, until each conversation has the
    /// reviews the queue asks for.
    Named { name: String },
}

/// A live claim: who holds which conversation, until when.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Claim {
    #[serde(with = "crate::wire::id")]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub id: i64,
    #[serde(with = "crate::wire::id")]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub conversation_id: i64,
    pub queue: Option<String>,
    pub reviewer: String,
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub claimed_at: NaiveDateTime,
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub expires_at: NaiveDateTime,
    /// Seconds left on the lease when it was read.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub seconds_left: i64,
}

/// How a claim ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum ClaimEnd {
    /// A review was saved.
    Saved,
    /// The reviewer passed it on; it is not offered to them again.
    Skipped,
    /// Closed without a verdict; back in the queue for anyone.
    Released,
}

impl ClaimEnd {
    fn as_str(self) -> &'static str {
        match self {
            ClaimEnd::Saved => "saved",
            ClaimEnd::Skipped => "skipped",
            ClaimEnd::Released => "released",
        }
    }
}

const CLAIM_COLUMNS: &str = "k.id, k.conversation_id, q.name AS queue, k.reviewer, k.claimed_at, k.expires_at, \
     GREATEST(0, TIMESTAMPDIFF(SECOND, NOW(3), k.expires_at)) AS seconds_left \
     FROM review_claims k LEFT JOIN review_queues q ON q.id = k.queue_id";

/// Ends every lease that ran out, so its conversation can be claimed again.
async fn expire_stale(pool: &sqlx::MySqlPool) -> std::result::Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE review_claims SET held_conversation_id = NULL, ended_at = expires_at, outcome = 'expired' \
         WHERE held_conversation_id IS NOT NULL AND expires_at < NOW(3)",
    )
    .execute(pool)
    .await?;
    Ok(done.rows_affected())
}

/// Claims the next conversation of `source` for `reviewer`, for `lease`. `None` when nothing
/// is left that nobody holds. Two reviewers asking at once never get the same conversation.
pub async fn next(
    server: &MysqlServer,
    actor: Actor,
    reviewer: &str,
    source: &QueueSource,
    lease: Duration,
) -> Result<Option<Claim>> {
    actor.require(Permission::Review)?;
    let reviewer = reviewer_name(reviewer)?;
    let lease_ms = lease_ms(lease)?;
    let err = |e| server.err(e);
    expire_stale(&server.pool).await.map_err(err)?;
    let queue = match source {
        QueueSource::Named { name } => Some(named_queue(server, name).await?),
        QueueSource::Filters { .. } => None,
    };
    for _ in 0..ROUNDS {
        // The candidates are read on the pool, and each claim is tried on one connection
        // held only for it, so reviewers sharing a small pool never wait on each other.
        let candidates = match (source, &queue) {
            (QueueSource::Filters { search }, _) => {
                filter_candidates(server, search, &reviewer).await?
            }
            (QueueSource::Named { .. }, Some(q)) => {
                named_candidates(server, q, &reviewer).await.map_err(err)?
            }
            _ => unreachable!("a named source has its queue"),
        };
        if candidates.is_empty() {
            return Ok(None);
        }
        for conversation in candidates {
            let mut conn = server.pool.acquire().await.map_err(err)?;
            if let Some(claim) =
                try_claim(&mut conn, conversation, queue.as_ref(), &reviewer, lease_ms)
                    .await
                    .map_err(err)?
            {
                tracing::info!(conversation, "claimed for review");
                return Ok(Some(claim));
            }
        }
    }
    Err(Error::Conflict(
        "other reviewers took every candidate first; ask again".into(),
    ))
}

fn reviewer_name(reviewer: &str) -> Result<String> {
    let reviewer = reviewer.trim();
    if reviewer.is_empty() || reviewer.chars().count() > 100 {
        return Err(Error::InvalidInput(
            "the reviewer's name must be 1 to 100 characters".into(),
        ));
    }
    Ok(reviewer.to_owned())
}

fn lease_ms(lease: Duration) -> Result<i64> {
    if lease < Duration::from_secs(1) || lease > Duration::from_secs(24 * 3600) {
        return Err(Error::InvalidInput(
            "a lease lasts from 1 second to 24 hours".into(),
        ));
    }
    Ok(lease.as_millis() as i64)
}

#[derive(Debug, Clone, sqlx::FromRow)]
struct NamedQueue {
    id: i64,
    reviews_wanted: i8,
    /// To the whole second: reviews are timed in whole seconds (`reviewed_at` is a DATETIME),
    /// so a review in the queue's first second still counts for it.
    created_at: NaiveDateTime,
}

async fn named_queue(server: &MysqlServer, name: &str) -> Result<NamedQueue> {
    sqlx::query_as(
        "SELECT id, reviews_wanted, created_at - INTERVAL MICROSECOND(created_at) MICROSECOND AS created_at \
         FROM review_queues WHERE name = ?",
    )
    .bind(name)
    .fetch_optional(&server.pool)
    .await
    .map_err(|e| server.err(e))?
    .ok_or_else(|| Error::NotFound(format!("no review queue named `{name}`")))
}

/// The first unreviewed conversations of the filters that nobody holds and this reviewer did
/// not skip, newest last message first.
async fn filter_candidates(
    server: &MysqlServer,
    search: &ConversationSearch,
    reviewer: &str,
) -> Result<Vec<i64>> {
    let search = ConversationSearch {
        reviewed: Some(false),
        limit: CANDIDATES,
        ..search.clone()
    };
    let (mut filter, scans) = finder::filter_for(&search, finder::Driver::Conversations);
    filter.push(
        "NOT EXISTS (SELECT 1 FROM review_claims k WHERE k.held_conversation_id = c.id)",
        [],
    );
    filter.push(
        "NOT EXISTS (SELECT 1 FROM review_claims k WHERE k.conversation_id = c.id AND k.reviewer = ? AND k.outcome = 'skipped')",
        [crate::keyset::Bind::Text(reviewer.to_owned())],
    );
    let page = finder::page(
        server,
        &search,
        finder::Driver::Conversations,
        filter,
        &scans,
        None,
    )
    .await?;
    Ok(page.rows.into_iter().map(|r| r.id).collect())
}

/// The named queue's conversations, in drawn order, that still want a review, that this
/// reviewer has not reviewed or skipped, and that nobody holds.
async fn named_candidates(
    server: &MysqlServer,
    queue: &NamedQueue,
    reviewer: &str,
) -> std::result::Result<Vec<i64>, sqlx::Error> {
    let rows: Vec<(i64,)> = sqlx::query_as(
        "SELECT i.conversation_id FROM review_queue_items i \
         WHERE i.queue_id = ? \
           AND NOT EXISTS (SELECT 1 FROM review_claims k WHERE k.held_conversation_id = i.conversation_id) \
           AND NOT EXISTS (SELECT 1 FROM review_claims k WHERE k.conversation_id = i.conversation_id AND k.reviewer = ? AND k.outcome = 'skipped') \
           AND NOT EXISTS (SELECT 1 FROM conversation_reviews r WHERE r.conversation_id = i.conversation_id AND r.reviewer = ? AND r.reviewed_at >= ?) \
           AND (SELECT COUNT(DISTINCT r.reviewer) FROM conversation_reviews r \
                WHERE r.conversation_id = i.conversation_id AND r.reviewed_at >= ?) < ? \
         ORDER BY i.position LIMIT ?",
    )
    .bind(queue.id)
    .bind(reviewer)
    .bind(reviewer)
    .bind(queue.created_at)
    .bind(queue.created_at)
    .bind(queue.reviews_wanted)
    .bind(CANDIDATES)
    .fetch_all(&server.pool)
    .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// Takes `conversation` for `reviewer` unless someone holds it or it was reviewed meanwhile.
async fn try_claim(
    conn: &mut MySqlConnection,
    conversation: i64,
    queue: Option<&NamedQueue>,
    reviewer: &str,
    lease_ms: i64,
) -> std::result::Result<Option<Claim>, sqlx::Error> {
    let mut tx = sqlx::Connection::begin(&mut *conn).await?;
    let inserted = sqlx::query(
        "INSERT INTO review_claims (conversation_id, held_conversation_id, queue_id, reviewer, claimed_at, expires_at) \
         VALUES (?, ?, ?, ?, NOW(3), NOW(3) + INTERVAL ? * 1000 MICROSECOND)",
    )
    .bind(conversation)
    .bind(conversation)
    .bind(queue.map(|q| q.id))
    .bind(reviewer)
    .bind(lease_ms)
    .execute(&mut *tx)
    .await;
    let claim_id = match inserted {
        Ok(done) => done.last_insert_id() as i64,
        Err(e) if errno(&e) == Some(DUPLICATE_KEY) => return Ok(None),
        Err(e) => return Err(e),
    };
    // A review saved between the candidate list and this claim: the saver held the claim
    // until its commit, so this locking read sees that review.
    let still_wanted: (i64,) = match queue {
        None => {
            sqlx::query_as(
                "SELECT NOT EXISTS (SELECT 1 FROM conversation_reviews r WHERE r.conversation_id = ? LOCK IN SHARE MODE)",
            )
            .bind(conversation)
            .fetch_one(&mut *tx)
            .await?
        }
        Some(q) => {
            sqlx::query_as(
                "SELECT (SELECT COUNT(DISTINCT r.reviewer) FROM conversation_reviews r \
                   WHERE r.conversation_id = ? AND r.reviewed_at >= ? LOCK IN SHARE MODE) < ? \
                 AND NOT EXISTS (SELECT 1 FROM conversation_reviews r WHERE r.conversation_id = ? AND r.reviewer = ? AND r.reviewed_at >= ?)",
            )
            .bind(conversation)
            .bind(q.created_at)
            .bind(q.reviews_wanted)
            .bind(conversation)
            .bind(reviewer)
            .bind(q.created_at)
            .fetch_one(&mut *tx)
            .await?
        }
    };
    if still_wanted.0 == 0 {
        tx.rollback().await?;
        return Ok(None);
    }
    let claim = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {CLAIM_COLUMNS} WHERE k.id = ?"
    )))
    .bind(claim_id)
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Some(claim))
}

/// Who holds `conversation` now, if anyone ("Li is reviewing this, 4 min left").
pub async fn holder(server: &MysqlServer, conversation: i64) -> Result<Option<Claim>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {CLAIM_COLUMNS} WHERE k.held_conversation_id = ? AND k.expires_at >= NOW(3)"
    )))
    .bind(conversation)
    .fetch_optional(&server.pool)
    .await
    .map_err(|e| server.err(e))
}

/// Claims one conversation the reviewer opened by hand, unless someone else holds it (then
/// their claim comes back as a conflict naming them). Renews the reviewer's own claim.
pub async fn claim(
    server: &MysqlServer,
    actor: Actor,
    reviewer: &str,
    conversation: i64,
    lease: Duration,
) -> Result<Claim> {
    actor.require(Permission::Review)?;
    let reviewer = reviewer_name(reviewer)?;
    let lease_ms = lease_ms(lease)?;
    let err = |e| server.err(e);
    expire_stale(&server.pool).await.map_err(err)?;
    if let Some(held) = holder(server, conversation).await? {
        if held.reviewer != reviewer {
            return Err(held_by(&held));
        }
        return renew(server, actor, &reviewer, conversation, lease).await;
    }
    let inserted = sqlx::query(
        "INSERT INTO review_claims (conversation_id, held_conversation_id, reviewer, claimed_at, expires_at) \
         VALUES (?, ?, ?, NOW(3), NOW(3) + INTERVAL ? * 1000 MICROSECOND)",
    )
    .bind(conversation)
    .bind(conversation)
    .bind(&reviewer)
    .bind(lease_ms)
    .execute(&server.pool)
    .await;
    match inserted {
        Ok(_) => {}
        Err(e) if errno(&e) == Some(DUPLICATE_KEY) => {
            let held = holder(server, conversation).await?;
            return Err(held.map(|h| held_by(&h)).unwrap_or_else(|| {
                Error::Conflict(format!("conversation {conversation} was just claimed"))
            }));
        }
        Err(e) if errno(&e) == Some(NO_SUCH_ROW) => {
            return Err(Error::NotFound(format!(
                "no conversation with id {conversation}"
            )));
        }
        Err(e) => return Err(err(e)),
    }
    holder(server, conversation)
        .await?
        .ok_or_else(|| Error::Conflict(format!("the claim on {conversation} ended at once")))
}

fn held_by(claim: &Claim) -> Error {
    Error::Conflict(format!(
        "{} is reviewing conversation {}, {} min left",
        claim.reviewer,
        claim.conversation_id,
        (claim.seconds_left + 59) / 60
    ))
}

/// Extends the reviewer's live claim on `conversation` by `lease` from now.
pub async fn renew(
    server: &MysqlServer,
    actor: Actor,
    reviewer: &str,
    conversation: i64,
    lease: Duration,
) -> Result<Claim> {
    actor.require(Permission::Review)?;
    let lease_ms = lease_ms(lease)?;
    let done = sqlx::query(
        "UPDATE review_claims SET expires_at = NOW(3) + INTERVAL ? * 1000 MICROSECOND \
         WHERE held_conversation_id = ? AND reviewer = ? AND expires_at >= NOW(3)",
    )
    .bind(lease_ms)
    .bind(conversation)
    .bind(reviewer.trim())
    .execute(&server.pool)
    .await
    .map_err(|e| server.err(e))?;
    if done.rows_affected() == 0 {
        return Err(Error::Conflict(format!(
            "your claim on conversation {conversation} has expired; claim it again"
        )));
    }
    holder(server, conversation)
        .await?
        .ok_or_else(|| Error::Conflict(format!("the claim on {conversation} ended")))
}

/// Ends the reviewer's live claim on `conversation` (no claim is not an error: it may have
/// expired). Returns whether there was one.
pub async fn release(
    server: &MysqlServer,
    actor: Actor,
    reviewer: &str,
    conversation: i64,
    end: ClaimEnd,
) -> Result<bool> {
    actor.require(Permission::Review)?;
    let mut conn = server.pool.acquire().await.map_err(|e| server.err(e))?;
    end_claim(&mut conn, reviewer, conversation, end)
        .await
        .map_err(|e| server.err(e))
}

/// Ends the claim inside the caller's transaction (a saved review ends its claim with it).
pub(super) async fn end_claim(
    conn: &mut MySqlConnection,
    reviewer: &str,
    conversation: i64,
    end: ClaimEnd,
) -> std::result::Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE review_claims SET held_conversation_id = NULL, ended_at = NOW(3), outcome = ? \
         WHERE held_conversation_id = ? AND reviewer = ?",
    )
    .bind(end.as_str())
    .bind(conversation)
    .bind(reviewer.trim())
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// The reviewer's live claims, oldest first.
pub async fn mine(server: &MysqlServer, reviewer: &str) -> Result<Vec<Claim>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {CLAIM_COLUMNS} WHERE k.reviewer = ? AND k.held_conversation_id IS NOT NULL \
         AND k.expires_at >= NOW(3) ORDER BY k.claimed_at"
    )))
    .bind(reviewer.trim())
    .fetch_all(&server.pool)
    .await
    .map_err(|e| server.err(e))
}
