//! Verdicts on conversations, kept in `conversation_reviews` (append-only: the latest review
//! is the conversation's verdict) and written to `operation_logs` in the same transaction.

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::access::{Actor, Permission};
use crate::audit::{self, Change};
use crate::error::{Error, Result};
use crate::mysql::MysqlServer;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum Verdict {
    Ok,
    NeedsFollowup,
    Escalated,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Ok => "ok",
            Verdict::NeedsFollowup => "needs_followup",
            Verdict::Escalated => "escalated",
        }
    }
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Review {
    #[serde(with = "crate::wire::id")]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub id: i64,
    pub reviewer: String,
    pub verdict: String,
    /// The tags, as the JSON array stored.
    pub tags: Option<String>,
    pub note: Option<String>,
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub reviewed_at: NaiveDateTime,
}

impl Review {
    /// The tags as a list (an unreadable column reads as none).
    pub fn tag_list(&self) -> Vec<String> {
        self.tags
            .as_deref()
            .and_then(|t| serde_json::from_str(t).ok())
            .unwrap_or_default()
    }
}

/// Every review of a conversation, newest first.
pub async fn list(server: &MysqlServer, conversation_id: i64) -> Result<Vec<Review>> {
    sqlx::query_as(
        "SELECT id, reviewer, verdict, CAST(tags AS CHAR) AS tags, note, reviewed_at FROM conversation_reviews \
         WHERE conversation_id = ? ORDER BY reviewed_at DESC, id DESC",
    )
    .bind(conversation_id)
    .fetch_all(&server.pool)
    .await
    .map_err(|e| server.err(e))
}

/// Tags longer than this, or more of them, are refused (they are labels, not notes).
pub const MAX_TAG_CHARS: usize = 40;
pub const MAX_TAGS: usize = 20;
pub const MAX_NOTE_CHARS: usize = 10_000;

/// What a reviewer decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ReviewInput {
    pub verdict: Verdict,
    pub tags: Vec<String>,
    pub note: Option<String>,
}

fn clean(input: &ReviewInput) -> Result<(Vec<String>, Option<String>)> {
    let mut tags: Vec<String> = Vec::new();
    for t in &input.tags {
        let t = t.trim();
        if t.is_empty() || tags.iter().any(|x| x == t) {
            continue;
        }
        if t.chars().count() > MAX_TAG_CHARS {
            return Err(Error::InvalidInput(format!(
                "a tag is a short label (at most {MAX_TAG_CHARS} characters); put longer text in the note"
            )));
        }
        tags.push(t.to_owned());
    }
    if tags.len() > MAX_TAGS {
        return Err(Error::InvalidInput(format!(
            "at most {MAX_TAGS} tags per review"
        )));
    }
    let note = input
        .note
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty());
    if note.is_some_and(|n| n.chars().count() > MAX_NOTE_CHARS) {
        return Err(Error::InvalidInput(format!(
            "the note is longer than {MAX_NOTE_CHARS} characters"
        )));
    }
    Ok((tags, note.map(str::to_owned)))
}

/// Records a review of conversation `id` by `reviewer`. Support and operator profiles may
/// review; read-only profiles may not. A conversation deleted meanwhile is refused.
pub async fn record(
    server: &MysqlServer,
    actor: Actor,
    reviewer: &str,
    id: i64,
    input: &ReviewInput,
) -> Result<Review> {
    actor.require(Permission::Review)?;
    let (tags, note) = clean(input)?;
    let err = |e| server.err(e);
    let mut tx = server.pool.begin().await.map_err(err)?;
    let row: Option<(Option<NaiveDateTime>,)> =
        sqlx::query_as("SELECT deleted_at FROM conversations WHERE id = ? FOR UPDATE")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(err)?;
    match row {
        None => return Err(Error::NotFound(format!("no conversation with id {id}"))),
        Some((Some(at),)) => {
            return Err(Error::NotFound(format!(
                "conversation {id} was deleted at {at}; the review was not saved"
            )));
        }
        Some((None,)) => {}
    }
    let tags_json = serde_json::to_string(&tags).expect("tags serialise");
    let done = sqlx::query(
        "INSERT INTO conversation_reviews (conversation_id, reviewer, verdict, tags, note) VALUES (?, ?, ?, ?, ?)",
    )
    .bind(id)
    .bind(reviewer)
    .bind(input.verdict.as_str())
    .bind(&tags_json)
    .bind(&note)
    .execute(&mut *tx)
    .await
    .map_err(err)?;
    let review_id = done.last_insert_id() as i64;
    // The reviewer's claim on it ends with the review (a database without the queue's
    // migration has no claims to end).
    match super::queue::end_claim(&mut tx, reviewer, id, super::queue::ClaimEnd::Saved).await {
        Err(e) if super::queue::errno(&e) != Some(super::queue::NO_SUCH_TABLE) => {
            return Err(err(e));
        }
        _ => {}
    }
    audit::record_in(
        &mut tx,
        Change {
            action: "conversation.review",
            resource_type: "conversation",
            resource_id: Some(id),
            details: json!({"review": review_id, "reviewer": reviewer, "verdict": input.verdict.as_str(), "tags": tags}),
        },
    )
    .await
    .map_err(err)?;
    let review: Review = sqlx::query_as(
        "SELECT id, reviewer, verdict, CAST(tags AS CHAR) AS tags, note, reviewed_at FROM conversation_reviews WHERE id = ?",
    )
    .bind(review_id)
    .fetch_one(&mut *tx)
    .await
    .map_err(err)?;
    tx.commit().await.map_err(err)?;
    Ok(review)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_trimmed_deduplicated_and_bounded() {
        let input = ReviewInput {
            verdict: Verdict::Escalated,
            tags: vec![" rude ".into(), "rude".into(), "".into(), "refund".into()],
            note: Some("  ".into()),
        };
        let (tags, note) = clean(&input).unwrap();
        assert_eq!(tags, vec!["rude", "refund"]);
        assert_eq!(note, None);
        let long = ReviewInput {
            tags: vec!["x".repeat(41)],
            ..input.clone()
        };
        assert!(clean(&long).is_err());
        let many = ReviewInput {
            tags: (0..21).map(|i| format!("t{i}")).collect(),
            ..input
        };
        assert!(clean(&many).is_err());
    }

    #[test]
    fn verdicts_are_snake_case_on_the_wire() {
        assert_eq!(
            serde_json::to_string(&Verdict::NeedsFollowup).unwrap(),
            "\"needs_followup\""
        );
    }
}
