//! Conversation review: find the conversations that need a human, read their threads page by
//! page, compare their context with Redis, record a verdict, export them.

pub mod agreement;
pub mod export;
pub mod queue;
pub mod review;
pub mod sample;

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};

use crate::access::Actor;
use crate::directory::cache::{FieldMatch, compare};
use crate::error::{Error, ErrorSummary, Result};
use crate::keyset::cursor::{self, KeyValue};
use crate::keyset::{
    Bind, DEFAULT_PAGE, Filter, MAX_PAGE, Order, Page, PageQuery, PageRows, Total, like_contains,
    mask,
};
use crate::mysql::MysqlServer;
use crate::redis::RedisServer;
pub use review::{Review, Verdict};

mod finder;
mod thread;

pub use finder::{
    COUNT_CAP, COUNT_TIME_LIMIT_MS, ConversationRow, ConversationSearch, count, find,
};
pub use thread::{Message, THREAD_MATCHES, ThreadAnchor, ThreadPage, find_in_thread, thread};

/// One point of the emotion timeline: a user message's emotion, or an `emotion_logs` entry.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct EmotionPoint {
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub at: Option<NaiveDateTime>,
    pub emotion: String,
    /// `message` or `log`.
    pub source: String,
    /// The message id, for a message.
    #[serde(with = "crate::wire::opt_id")]
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub message_id: Option<i64>,
    pub intensity: Option<f64>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ConversationFacts {
    #[serde(with = "crate::wire::id")]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub id: i64,
    #[serde(with = "crate::wire::id")]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub user_id: i64,
    pub user_nickname: Option<String>,
    pub user_phone: Option<String>,
    #[serde(with = "crate::wire::id")]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub digital_human_id: i64,
    pub digital_human_name: Option<String>,
    pub title: Option<String>,
    pub summary: Option<String>,
    pub status: Option<String>,
    pub message_count: Option<i32>,
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub last_message_at: Option<NaiveDateTime>,
    pub user_satisfaction: Option<i8>,
    pub context: Option<String>,
    pub version: i32,
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub created_at: Option<NaiveDateTime>,
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub deleted_at: Option<NaiveDateTime>,
}

/// The `conversation:{id}:context` entry beside the row's `context`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ContextCompare {
    pub key: String,
    /// `None` when the key is not in Redis.
    #[cfg_attr(feature = "ts", ts(type = "unknown"))]
    pub cached: Option<serde_json::Value>,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub ttl_seconds: i64,
    /// Each cached field against the database's context.
    pub fields: Vec<FieldMatch>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ConversationDetail {
    pub conversation: ConversationFacts,
    /// The row's `context`, parsed.
    #[cfg_attr(feature = "ts", ts(type = "unknown"))]
    pub context: Option<serde_json::Value>,
    /// Messages actually stored (the row's `message_count` may disagree).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub stored_messages: i64,
    pub reviews: Vec<Review>,
    /// The timeline, thinned evenly to at most [`TIMELINE_POINTS`].
    pub emotions: Vec<EmotionPoint>,
    /// How many of each emotion the whole thread has (before thinning).
    pub emotion_totals: Vec<EmotionTotal>,
    /// The first user message that was angry, and the lowest-scored reply: jump targets.
    #[serde(with = "crate::wire::opt_id")]
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub first_angry_message: Option<i64>,
    #[serde(with = "crate::wire::opt_id")]
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub lowest_score_message: Option<i64>,
    pub cached_context: Option<ContextCompare>,
    pub cache_error: Option<ErrorSummary>,
    pub answered_by: String,
    pub masked: bool,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct EmotionTotal {
    pub emotion: String,
    /// User messages with this emotion.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub messages: i64,
    /// `emotion_logs` entries with this emotion.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub logs: i64,
}

fn totals(points: &[EmotionPoint]) -> Vec<EmotionTotal> {
    let mut by: std::collections::BTreeMap<&str, (i64, i64)> = Default::default();
    for p in points {
        let e = by.entry(p.emotion.as_str()).or_default();
        if p.source == "message" {
            e.0 += 1;
        } else {
            e.1 += 1;
        }
    }
    let mut list: Vec<EmotionTotal> = by
        .into_iter()
        .map(|(emotion, (messages, logs))| EmotionTotal {
            emotion: emotion.to_owned(),
            messages,
            logs,
        })
        .collect();
    list.sort_by_key(|t| std::cmp::Reverse(t.messages + t.logs));
    list
}

/// How many emotion points the timeline carries at most (evenly thinned beyond that).
pub const TIMELINE_POINTS: usize = 2_000;

/// A conversation's facts, reviews, emotion timeline, jump targets and cached context.
pub async fn show(
    server: &MysqlServer,
    redis: Option<&Result<RedisServer>>,
    id: i64,
    viewer: Actor,
) -> Result<ConversationDetail> {
    let pool = &server.pool;
    let facts = facts(server, id).await?;
    let Some(mut facts) = facts else {
        return Err(Error::NotFound(format!("no conversation with id {id}")));
    };
    let stored = sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM conversation_messages WHERE conversation_id = ?",
    )
    .bind(id)
    .fetch_one(pool);
    let reviews = review::list(server, id);
    // User emotions from the messages (an index range on (conversation_id, user_emotion)),
    // and the emotion log entries of this conversation.
    let emotions = sqlx::query_as::<_, EmotionPoint>(
        "SELECT created_at AS at, user_emotion AS emotion, 'message' AS source, id AS message_id, \
         CAST(NULL AS DOUBLE) AS intensity FROM conversation_messages \
         WHERE conversation_id = ? AND user_emotion IS NOT NULL \
         UNION ALL SELECT detected_at, emotion, 'log', NULL, CAST(intensity AS DOUBLE) FROM emotion_logs \
         WHERE conversation_id = ? ORDER BY at",
    )
    .bind(id)
    .bind(id)
    .fetch_all(pool);
    let angry = sqlx::query_scalar::<_, Option<i64>>(
        "SELECT MIN(id) FROM conversation_messages WHERE conversation_id = ? AND user_emotion = 'angry'",
    )
    .bind(id)
    .fetch_one(pool);
    let lowest = sqlx::query_scalar::<_, i64>(
        "SELECT id FROM conversation_messages WHERE conversation_id = ? AND quality_score IS NOT NULL \
         ORDER BY quality_score, id LIMIT 1",
    )
    .bind(id)
    .fetch_optional(pool);
    let (stored_messages, emotions, first_angry_message, lowest_score_message) =
        tokio::try_join!(stored, emotions, angry, lowest).map_err(|e| server.err(e))?;
    let reviews = reviews.await?;
    let context: Option<serde_json::Value> = facts
        .context
        .as_deref()
        .and_then(|c| serde_json::from_str(c).ok());

    let (cached_context, cache_error) = match redis {
        None => (None, None),
        Some(Err(e)) => (None, Some(e.summary())),
        Some(Ok(r)) => match cached_context(r, id, &cache_truth(&facts, context.as_ref())).await {
            Ok(c) => (Some(c), None),
            Err(e) => (None, Some(e.summary())),
        },
    };
    let masked = viewer.masked();
    if masked {
        facts.user_phone = facts.user_phone.as_deref().map(mask::phone);
    }
    Ok(ConversationDetail {
        conversation: facts,
        context,
        stored_messages,
        reviews,
        emotion_totals: totals(&emotions),
        emotions: thin(emotions, TIMELINE_POINTS),
        first_angry_message,
        lowest_score_message,
        cached_context,
        cache_error,
        answered_by: server.info.address.clone(),
        masked,
    })
}

/// The row of conversation `id` with its user's and digital human's names, if it exists.
pub(crate) async fn facts(server: &MysqlServer, id: i64) -> Result<Option<ConversationFacts>> {
    sqlx::query_as(
        "SELECT c.id, c.user_id, u.nickname AS user_nickname, u.phone AS user_phone, c.digital_human_id, \
         d.name AS digital_human_name, c.title, c.summary, c.status, c.message_count, c.last_message_at, \
         c.user_satisfaction, CAST(c.context AS CHAR) AS context, c.version, c.created_at, c.deleted_at \
         FROM conversations c LEFT JOIN users u ON u.id = c.user_id LEFT JOIN digital_humans d ON d.id = c.digital_human_id \
         WHERE c.id = ?",
    )
    .bind(id)
    .fetch_optional(&server.pool)
    .await
    .map_err(|e| server.err(e))
}

/// Keeps at most `n` points, evenly spaced, always the first and the last.
fn thin<T>(points: Vec<T>, n: usize) -> Vec<T> {
    if points.len() <= n || n < 2 {
        return points;
    }
    let step = (points.len() - 1) as f64 / (n - 1) as f64;
    let keep: std::collections::BTreeSet<usize> =
        (0..n).map(|i| (i as f64 * step).round() as usize).collect();
    points
        .into_iter()
        .enumerate()
        .filter(|(i, _)| keep.contains(i))
        .map(|(_, p)| p)
        .collect()
}

/// What a cached context should say: the row's `context` JSON, and the ids the platform
/// caches beside it (`userId`, `digitalHumanId`), which live in columns, not in the JSON.
fn cache_truth(
    facts: &ConversationFacts,
    context: Option<&serde_json::Value>,
) -> serde_json::Map<String, serde_json::Value> {
    let mut truth = match context {
        Some(serde_json::Value::Object(map)) => map.clone(),
        _ => serde_json::Map::new(),
    };
    truth.insert("userId".into(), facts.user_id.into());
    truth.insert("digitalHumanId".into(), facts.digital_human_id.into());
    truth
}

async fn cached_context(
    redis: &RedisServer,
    id: i64,
    truth: &serde_json::Map<String, serde_json::Value>,
) -> Result<ContextCompare> {
    let key = format!("conversation:{id}:context");
    let mut conn = redis.conn.clone();
    let (raw, ttl): (Option<String>, i64) = ::redis::pipe()
        .cmd("GET")
        .arg(&key)
        .cmd("TTL")
        .arg(&key)
        .query_async(&mut conn)
        .await
        .map_err(|e| redis.err(e))?;
    let cached = raw.map(|r| serde_json::from_str(&r).unwrap_or(serde_json::Value::String(r)));
    let fields = cached
        .as_ref()
        .map(|c| compare(c, truth))
        .unwrap_or_default();
    Ok(ContextCompare {
        key,
        cached,
        ttl_seconds: ttl,
        fields,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thinning_keeps_the_ends_and_the_count() {
        let v: Vec<u32> = (0..10_000).collect();
        let t = thin(v, 100);
        assert_eq!(t.len(), 100);
        assert_eq!(t[0], 0);
        assert_eq!(*t.last().unwrap(), 9_999);
        assert_eq!(thin(vec![1, 2, 3], 100), vec![1, 2, 3]);
    }
}
