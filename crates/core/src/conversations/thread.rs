//! A thread, page by page on (conversation_id, id): as fast at the 60,000th message as at
//! the first; and the messages matching a text.

use super::*;

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Message {
    #[serde(with = "crate::wire::id")]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub id: i64,
    /// `user` or `digital_human`.
    pub sender_type: String,
    /// text, voice or image.
    pub message_type: Option<String>,
    pub content: String,
    pub audio_url: Option<String>,
    /// Seconds of a voice message.
    pub duration: Option<i32>,
    pub user_emotion: Option<String>,
    pub dh_emotion: Option<String>,
    pub intent: Option<String>,
    pub quality_score: Option<f64>,
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub created_at: Option<NaiveDateTime>,
}

/// Where a page of a thread starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "from")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum ThreadAnchor {
    /// The first messages.
    Start,
    /// The last messages.
    End,
    /// The messages after this id.
    After {
        #[serde(with = "crate::wire::id")]
        #[cfg_attr(feature = "ts", ts(type = "string"))]
        id: i64,
    },
    /// The messages before this id.
    Before {
        #[serde(with = "crate::wire::id")]
        #[cfg_attr(feature = "ts", ts(type = "string"))]
        id: i64,
    },
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ThreadPage {
    /// In thread order (oldest first).
    pub messages: Vec<Message>,
    pub more_before: bool,
    pub more_after: bool,
}

const MESSAGE_COLUMNS: &str = "id, sender_type, message_type, content, audio_url, duration, user_emotion, dh_emotion, \
     intent, CAST(quality_score AS DOUBLE) AS quality_score, created_at";

/// One page of a thread, by id on (conversation_id, id): as fast at the 60,000th message
/// as at the first.
pub async fn thread(
    server: &MysqlServer,
    conversation_id: i64,
    anchor: ThreadAnchor,
    limit: u32,
) -> Result<ThreadPage> {
    let limit = limit.clamp(1, MAX_PAGE);
    let (condition, descending, bind) = match anchor {
        ThreadAnchor::Start => ("", false, None),
        ThreadAnchor::End => ("", true, None),
        ThreadAnchor::After { id } => (" AND id > ?", false, Some(id)),
        ThreadAnchor::Before { id } => (" AND id < ?", true, Some(id)),
    };
    let sql = format!(
        "SELECT {MESSAGE_COLUMNS} FROM conversation_messages WHERE conversation_id = ?{condition} \
         ORDER BY id {} LIMIT {}",
        if descending { "DESC" } else { "ASC" },
        limit + 1
    );
    let mut query = sqlx::query_as::<_, Message>(sqlx::AssertSqlSafe(sql)).bind(conversation_id);
    if let Some(id) = bind {
        query = query.bind(id);
    }
    let mut messages = query
        .fetch_all(&server.pool)
        .await
        .map_err(|e| server.err(e))?;
    let more = messages.len() > limit as usize;
    messages.truncate(limit as usize);
    if descending {
        messages.reverse();
    }
    // The other side of the page: is there anything beyond its first (or last) message?
    let beyond = |id: i64, before: bool| async move {
        let sql = if before {
            "SELECT EXISTS (SELECT 1 FROM conversation_messages WHERE conversation_id = ? AND id < ?)"
        } else {
            "SELECT EXISTS (SELECT 1 FROM conversation_messages WHERE conversation_id = ? AND id > ?)"
        };
        sqlx::query_scalar::<_, bool>(sql)
            .bind(conversation_id)
            .bind(id)
            .fetch_one(&server.pool)
            .await
            .map_err(|e| server.err(e))
    };
    let (more_before, more_after) = match (messages.first(), messages.last(), anchor) {
        (None, _, _) | (_, None, _) => (false, false),
        (_, _, ThreadAnchor::Start) => (false, more),
        (_, _, ThreadAnchor::End) => (more, false),
        (Some(first), _, ThreadAnchor::After { .. }) => (beyond(first.id, true).await?, more),
        (_, Some(last), ThreadAnchor::Before { .. }) => (more, beyond(last.id, false).await?),
    };
    Ok(ThreadPage {
        messages,
        more_before,
        more_after,
    })
}

/// The most matches [`find_in_thread`] returns.
pub const THREAD_MATCHES: u32 = 500;

/// Ids of the messages of a conversation whose content contains `text` (a substring, so
/// Chinese and English alike), in thread order. Reads only that conversation's messages.
pub async fn find_in_thread(
    server: &MysqlServer,
    conversation_id: i64,
    text: &str,
) -> Result<Vec<i64>> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(Vec::new());
    }
    sqlx::query_scalar(
        "SELECT id FROM conversation_messages WHERE conversation_id = ? AND content LIKE ? ESCAPE '!' \
         ORDER BY id LIMIT ?",
    )
    .bind(conversation_id)
    .bind(like_contains(text))
    .bind(THREAD_MATCHES)
    .fetch_all(&server.pool)
    .await
    .map_err(|e| server.err(e))
}
