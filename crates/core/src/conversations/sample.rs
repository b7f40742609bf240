//! QA sampling: a reproducible random sample of N conversations per digital human, per day or
//! per satisfaction band, from a time window, kept as a named review queue.
//!
//! How it draws: every conversation whose last message falls in the window (read through the
//! `last_message_at` index, so only the window is scanned, never the whole table) is ranked
//! within its group by `CRC32(seed ':' id)`, a seeded hash of its primary key, and the first N
//! of each group are taken. The same seed and window always give the same sample; another
//! seed gives another.

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::access::{Actor, Permission};
use crate::audit::{self, Change};
use crate::error::{Error, Result};
use crate::mysql::MysqlServer;

pub const MAX_PER_GROUP: u32 = 1000;
pub const MAX_REVIEWS_WANTED: u8 = 3;
/// The window a sample without dates is drawn from.
pub const DEFAULT_DAYS: i64 = 30;

/// What the sample is drawn per.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum SampleBy {
    DigitalHuman,
    Day,
    /// The conversation's satisfaction score, 1–5 (unrated as 0).
    Satisfaction,
}

impl SampleBy {
    /// The group's key, as it sorts.
    fn group_sql(self) -> &'static str {
        match self {
            SampleBy::DigitalHuman => "c.digital_human_id",
            SampleBy::Day => "DATE(c.last_message_at)",
            SampleBy::Satisfaction => "COALESCE(c.user_satisfaction, 0)",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct SampleSpec {
    pub per: SampleBy,
    /// Conversations per group.
    pub n: u32,
    /// First day of the window (last message on or after it).
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub from: NaiveDate,
    /// Last day of the window, included.
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub to: NaiveDate,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub seed: u64,
    /// How many reviewers each conversation should get (2 for agreement).
    pub reviews_wanted: u8,
}

impl SampleSpec {
    fn check(&self) -> Result<()> {
        if self.n == 0 || self.n > MAX_PER_GROUP {
            return Err(Error::InvalidInput(format!(
                "a sample takes 1 to {MAX_PER_GROUP} conversations per group"
            )));
        }
        crate::keyset::ordered(&self.from, &self.to)?;
        if self.reviews_wanted == 0 || self.reviews_wanted > MAX_REVIEWS_WANTED {
            return Err(Error::InvalidInput(format!(
                "each conversation may want 1 to {MAX_REVIEWS_WANTED} reviewers"
            )));
        }
        Ok(())
    }
}

/// One drawn conversation and the group it was drawn for.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct SampleItem {
    #[serde(with = "crate::wire::id")]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub conversation_id: i64,
    pub group: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct SampleReport {
    /// The named queue the sample became.
    pub queue: String,
    pub spec: SampleSpec,
    pub groups: usize,
    pub items: Vec<SampleItem>,
    /// How the sample was drawn, in words.
    pub method: String,
}

/// Draws the sample without saving it.
pub async fn draw(server: &MysqlServer, spec: &SampleSpec) -> Result<Vec<SampleItem>> {
    spec.check()?;
    let group = spec.per.group_sql();
    let sql = format!(
        "SELECT conversation_id, CAST(grp AS CHAR) AS `group` FROM ( \
           SELECT c.id AS conversation_id, {group} AS grp, \
             ROW_NUMBER() OVER (PARTITION BY {group} ORDER BY CRC32(CONCAT(?, ':', c.id)), c.id) AS rn \
           FROM conversations c \
           WHERE c.deleted_at IS NULL AND c.last_message_at >= ? AND c.last_message_at < ? \
         ) s WHERE rn <= ? ORDER BY grp, rn"
    );
    let start: NaiveDateTime = spec.from.and_hms_opt(0, 0, 0).expect("midnight");
    let end: NaiveDateTime = (spec.to + chrono::Duration::days(1))
        .and_hms_opt(0, 0, 0)
        .expect("midnight");
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(spec.seed.to_string())
        .bind(start)
        .bind(end)
        .bind(spec.n)
        .fetch_all(&server.pool)
        .await
        .map_err(|e| server.err(e))
}

/// Draws the sample and keeps it as the named queue `name`, recorded in operation_logs.
pub async fn create(
    server: &MysqlServer,
    actor: Actor,
    created_by: &str,
    name: &str,
    spec: &SampleSpec,
) -> Result<SampleReport> {
    actor.require(Permission::Review)?;
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(Error::InvalidInput(
            "a queue's name must be 1 to 100 characters".into(),
        ));
    }
    let items = draw(server, spec).await?;
    if items.is_empty() {
        return Err(Error::NotFound(format!(
            "no conversation had its last message between {} and {}",
            spec.from, spec.to
        )));
    }
    let err = |e| server.err(e);
    let mut tx = server.pool.begin().await.map_err(err)?;
    let spec_json = serde_json::to_string(spec).expect("a spec serialises");
    let made = sqlx::query(
        "INSERT INTO review_queues (name, spec, reviews_wanted, created_by) VALUES (?, ?, ?, ?)",
    )
    .bind(name)
    .bind(&spec_json)
    .bind(spec.reviews_wanted)
    .bind(created_by)
    .execute(&mut *tx)
    .await;
    let queue_id = match made {
        Ok(done) => done.last_insert_id() as i64,
        Err(e) if super::queue::errno(&e) == Some(1062) => {
            return Err(Error::Conflict(format!(
                "a review queue named `{name}` already exists"
            )));
        }
        Err(e) => return Err(err(e)),
    };
    for (chunk_no, chunk) in items.chunks(1000).enumerate() {
        let values = vec!["(?, ?, ?)"; chunk.len()].join(", ");
        let sql = format!(
            "INSERT INTO review_queue_items (queue_id, position, conversation_id) VALUES {values}"
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (i, item) in chunk.iter().enumerate() {
            query = query
                .bind(queue_id)
                .bind((chunk_no * 1000 + i) as i64)
                .bind(item.conversation_id);
        }
        query.execute(&mut *tx).await.map_err(err)?;
    }
    let groups = {
        let mut g: Vec<&str> = items.iter().map(|i| i.group.as_str()).collect();
        g.dedup();
        g.len()
    };
    audit::record_in(
        &mut tx,
        Change {
            action: "review.queue.create",
            resource_type: "review_queue",
            resource_id: Some(queue_id),
            details: json!({"name": name, "spec": spec, "conversations": items.len(), "groups": groups}),
        },
    )
    .await
    .map_err(err)?;
    tx.commit().await.map_err(err)?;
    Ok(SampleReport {
        queue: name.to_owned(),
        spec: spec.clone(),
        groups,
        items,
        method: METHOD.into(),
    })
}

/// A named queue and how far its reviewers have got.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct QueueSummary {
    pub name: String,
    pub created_by: String,
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub created_at: NaiveDateTime,
    pub reviews_wanted: i8,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub conversations: i64,
    /// Conversations with all the reviews the queue asks for since it was made.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub done: i64,
}

/// The named queues, newest first (at most 200). Reviews count from the queue's creation,
/// to the whole second as reviews are timed.
pub async fn queues(server: &MysqlServer) -> Result<Vec<QueueSummary>> {
    sqlx::query_as(
        "SELECT q.name, q.created_by, q.created_at, q.reviews_wanted, \
           COUNT(i.conversation_id) AS conversations, \
           CAST(COALESCE(SUM((SELECT COUNT(DISTINCT r.reviewer) FROM conversation_reviews r \
             WHERE r.conversation_id = i.conversation_id \
             AND r.reviewed_at >= q.created_at - INTERVAL MICROSECOND(q.created_at) MICROSECOND) >= q.reviews_wanted), 0) AS SIGNED) AS done \
         FROM review_queues q LEFT JOIN review_queue_items i ON i.queue_id = q.id \
         GROUP BY q.id ORDER BY q.created_at DESC, q.id DESC LIMIT 200",
    )
    .fetch_all(&server.pool)
    .await
    .map_err(|e| server.err(e))
}

pub const METHOD: &str = "conversations with their last message in the window (read by the last_message_at index), \
     ranked within each group by CRC32(seed ':' id), the first N of each group";
