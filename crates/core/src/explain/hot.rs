//! The queries the MindPal platform runs all day, as its design describes them, ready to be
//! explained in one click — including the slow shapes the design teaches to rewrite.

use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct HotQuery {
    pub id: String,
    pub title: String,
    /// Where the platform runs it.
    pub context: String,
    pub sql: String,
}

fn q(id: &str, title: &str, context: &str, sql: &str) -> HotQuery {
    HotQuery {
        id: id.into(),
        title: title.into(),
        context: context.into(),
        sql: sql.into(),
    }
}

/// The built-in list, in the order the screen shows it.
pub fn queries() -> Vec<HotQuery> {
    vec![
        q(
            "user-conversations",
            "A user's conversations by last message",
            "the app's conversation list, on every open",
            "SELECT id, digital_human_id, title, message_count, last_message_at FROM conversations WHERE user_id = 1 AND deleted_at IS NULL ORDER BY last_message_at DESC LIMIT 20",
        ),
        q(
            "conversation-messages",
            "A page of a conversation's messages",
            "the chat view, scrolling through a thread",
            "SELECT id, sender_type, message_type, content, user_emotion, created_at FROM conversation_messages WHERE conversation_id = 1 AND id > 0 ORDER BY id LIMIT 50",
        ),
        q(
            "dashboard-stats",
            "Dashboard statistics of a user",
            "the home page, cached in dashboard:stats:{user_id} for 300 s",
            "SELECT COUNT(*) AS conversations, COALESCE(SUM(message_count), 0) AS messages, AVG(user_satisfaction) AS satisfaction, MAX(last_message_at) AS last_active FROM conversations WHERE user_id = 1 AND deleted_at IS NULL",
        ),
        q(
            "knowledge-search",
            "Knowledge base search",
            "retrieval before a digital human answers",
            "SELECT id, title, category, priority FROM knowledge_base WHERE MATCH(title, content) AGAINST('sleep health' IN NATURAL LANGUAGE MODE) AND status = 1 AND deleted_at IS NULL LIMIT 10",
        ),
        q(
            "user-emotions",
            "A user's emotions over time",
            "the emotion trend chart of the last 30 days",
            "SELECT emotion, COUNT(*) AS times, AVG(intensity) AS intensity FROM emotion_logs WHERE user_id = 1 AND detected_at >= '2026-10-21 00:00:00' GROUP BY emotion",
        ),
        q(
            "login-by-phone",
            "Login by phone",
            "every sign-in",
            "SELECT id, password, status FROM users WHERE phone = '13800138000' AND deleted_at IS NULL",
        ),
        q(
            "conversations-of-a-day",
            "Conversations of a day, with DATE()",
            "the daily report as first written: a function on an indexed column (a full scan)",
            "SELECT id, user_id, title, created_at FROM conversations WHERE DATE(created_at) = '2026-11-11'",
        ),
        q(
            "conversations-of-a-day-range",
            "Conversations of a day, as a range",
            "the same report rewritten: a range on idx_created_at",
            "SELECT id, user_id, title, created_at FROM conversations WHERE created_at >= '2026-11-11 00:00:00' AND created_at < '2026-11-12 00:00:00'",
        ),
        q(
            "deep-offset",
            "Page 500 of a user's conversations by OFFSET",
            "an admin list paged with LIMIT … OFFSET (the keyset rewrite is suggested)",
            "SELECT id, title, last_message_at FROM conversations WHERE user_id = 1 ORDER BY id DESC LIMIT 20 OFFSET 10000",
        ),
        q(
            "n-plus-one",
            "Message counts per conversation, one subquery per row (N+1)",
            "a report that counts each conversation's messages in a loop",
            "SELECT c.id, c.title, (SELECT COUNT(*) FROM conversation_messages m WHERE m.conversation_id = c.id) AS messages FROM conversations c WHERE c.user_id = 1",
        ),
        q(
            "n-plus-one-join",
            "Message counts per conversation, one JOIN",
            "the N+1 report rewritten: one JOIN with GROUP BY and conditional sums",
            "SELECT c.id, c.title, COUNT(m.id) AS messages, SUM(m.user_emotion = 'angry') AS angry FROM conversations c LEFT JOIN conversation_messages m ON m.conversation_id = c.id WHERE c.user_id = 1 GROUP BY c.id, c.title",
        ),
        q(
            "phone-as-number",
            "Login by phone written with a number",
            "a common bug: the phone column is VARCHAR",
            "SELECT id, status FROM users WHERE phone = 13800138000",
        ),
        q(
            "global-setting",
            "A global setting",
            "read at start-up and cached",
            "SELECT setting_value FROM system_settings WHERE user_id IS NULL AND setting_key = 'max_daily_messages'",
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::explain::guard::{Mode, check};

    #[test]
    fn every_hot_query_passes_the_guard_for_analyze() {
        for hot in queries() {
            assert!(
                check(&hot.sql, Mode::Analyze).is_ok(),
                "{}: {}",
                hot.id,
                hot.sql
            );
        }
        let mut ids: Vec<_> = queries().into_iter().map(|q| q.id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), queries().len(), "ids are unique");
    }
}
