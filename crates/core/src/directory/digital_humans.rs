//! Digital humans and their knowledge base: list, detail, and knowledge search.

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use super::Deleted;
use crate::access::Actor;
use crate::error::{Error, Result};
use crate::keyset::cursor::{self, KeyValue};
use crate::keyset::{
    Bind, DEFAULT_PAGE, Filter, MAX_PAGE, Order, Page, PageQuery, PageRows, Total, like_contains,
    mask, parse_id, total,
};
use crate::mysql::MysqlServer;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct DigitalHumanSearch {
    /// `#42` an id; anything else a name prefix.
    pub query: Option<String>,
    /// The owning user's id.
    #[serde(with = "crate::wire::opt_id")]
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub owner: Option<i64>,
    pub is_template: Option<bool>,
    pub status: Option<i8>,
    pub model_type: Option<String>,
    pub deleted: Deleted,
    pub limit: u32,
}

impl Default for DigitalHumanSearch {
    fn default() -> Self {
        DigitalHumanSearch {
            query: None,
            owner: None,
            is_template: None,
            status: None,
            model_type: None,
            deleted: Deleted::Hide,
            limit: DEFAULT_PAGE,
        }
    }
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct DigitalHumanRow {
    #[serde(with = "crate::wire::id")]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub id: i64,
    #[serde(with = "crate::wire::id")]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub user_id: i64,
    pub owner_nickname: Option<String>,
    pub name: String,
    pub model_type: Option<String>,
    pub personality: Option<String>,
    pub tone: Option<String>,
    pub status: Option<i8>,
    pub is_template: Option<i8>,
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub created_at: Option<NaiveDateTime>,
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub deleted_at: Option<NaiveDateTime>,
}

const LIST_COLUMNS: &str = "d.id, d.user_id, u.nickname AS owner_nickname, d.name, d.model_type, d.personality, \
     d.tone, d.status, d.is_template, d.created_at, d.deleted_at";

/// One page of digital humans matching `search`.
pub async fn find(
    server: &MysqlServer,
    search: &DigitalHumanSearch,
    after: Option<&str>,
) -> Result<Page<DigitalHumanRow>> {
    let limit = search.limit.clamp(1, MAX_PAGE);
    let text = search
        .query
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty());
    let mut filter = Filter::default();
    let mut by_name = false;
    match text {
        Some(t) if t.starts_with('#') => {
            filter.push("d.id = ?", [Bind::Int(parse_id(t, "digital human")?)]);
        }
        Some(t) => {
            filter.starts_with("d.name", t);
            // With an owner the owner's index is the narrower range; else the name's.
            by_name = search.owner.is_none();
        }
        None => {}
    }
    if let Some(owner) = search.owner {
        filter.push("d.user_id = ?", [Bind::Int(owner)]);
    }
    if let Some(t) = search.is_template {
        filter.push("d.is_template = ?", [Bind::Int(i64::from(t))]);
    }
    if let Some(status) = search.status {
        filter.push("d.status = ?", [Bind::Int(status.into())]);
    }
    if let Some(m) = search.model_type.as_deref().filter(|m| !m.is_empty()) {
        filter.push("d.model_type = ?", [Bind::Text(m.to_owned())]);
    }
    if let Some(p) = search.deleted.predicate("d.") {
        filter.push(p, []);
    }
    let order = if by_name {
        Order {
            column: Some("name"),
            nullable: false,
            descending: false,
            unique: false,
        }
    } else {
        Order::by_id(search.owner.is_none())
    };
    let PageRows { rows, next, total } = PageQuery {
        server,
        filter,
        order,
        fingerprint: cursor::fingerprint(&DigitalHumanSearch {
            limit: 0,
            ..search.clone()
        }),
        from: "FROM digital_humans d",
        select: &format!(
            "SELECT {LIST_COLUMNS} FROM digital_humans d LEFT JOIN users u ON u.id = d.user_id"
        ),
        alias: "d.",
        limit,
        estimate_unreliable: false,
        details: None,
    }
    .run(after, |last: &DigitalHumanRow| {
        if by_name {
            vec![KeyValue::Text(last.name.clone()), KeyValue::Int(last.id)]
        } else {
            vec![KeyValue::Int(last.id)]
        }
    })
    .await?;
    let order_words = match (by_name, search.owner.is_some()) {
        (true, _) => "name, ascending",
        (false, true) => "id, ascending",
        (false, false) => "id, descending",
    };
    Ok(Page {
        rows,
        next,
        total,
        order: order_words.into(),
        answered_by: server.info.address.clone(),
        masked: false,
        note: None,
    })
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct DigitalHumanProfile {
    #[serde(with = "crate::wire::id")]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub id: i64,
    #[serde(with = "crate::wire::id")]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub user_id: i64,
    pub name: String,
    pub avatar_url: Option<String>,
    pub model_type: Option<String>,
    pub personality: Option<String>,
    pub tone: Option<String>,
    pub expertise: Option<String>,
    pub voice_id: Option<String>,
    pub voice_speed: Option<f64>,
    pub voice_pitch: Option<f64>,
    pub description: Option<String>,
    pub system_prompt: Option<String>,
    pub status: Option<i8>,
    pub is_template: Option<i8>,
    pub version: i32,
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub created_at: Option<NaiveDateTime>,
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub updated_at: Option<NaiveDateTime>,
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub deleted_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Owner {
    #[serde(with = "crate::wire::id")]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub id: i64,
    pub nickname: Option<String>,
    pub phone: String,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct CategoryCount {
    pub category: Option<String>,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub entries: i64,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct DigitalHumanDetail {
    pub digital_human: DigitalHumanProfile,
    /// `expertise` parsed, when it holds valid JSON.
    #[cfg_attr(feature = "ts", ts(type = "unknown"))]
    pub expertise: Option<serde_json::Value>,
    pub owner: Option<Owner>,
    pub conversations: Total,
    pub knowledge_categories: Vec<CategoryCount>,
    pub answered_by: String,
    pub masked: bool,
}

pub async fn show(server: &MysqlServer, id: i64, viewer: Actor) -> Result<DigitalHumanDetail> {
    let pool = &server.pool;
    let dh: Option<DigitalHumanProfile> = sqlx::query_as(
        "SELECT id, user_id, name, avatar_url, model_type, personality, tone, expertise, voice_id, \
         CAST(voice_speed AS DOUBLE) AS voice_speed, CAST(voice_pitch AS DOUBLE) AS voice_pitch, description, \
         system_prompt, status, is_template, version, created_at, updated_at, deleted_at \
         FROM digital_humans WHERE id = ?",
    )
    .bind(id)
    .fetch_optional(pool)
    .await
    .map_err(|e| server.err(e))?;
    let Some(dh) = dh else {
        return Err(Error::NotFound(format!("no digital human with id {id}")));
    };
    let owner = sqlx::query_as::<_, Owner>("SELECT id, nickname, phone FROM users WHERE id = ?")
        .bind(dh.user_id)
        .fetch_optional(pool);
    let categories = sqlx::query_as::<_, CategoryCount>(
        "SELECT category, COUNT(*) AS entries FROM knowledge_base \
         WHERE digital_human_id = ? AND deleted_at IS NULL GROUP BY category ORDER BY entries DESC",
    )
    .bind(id)
    .fetch_all(pool);
    let (mut owner, knowledge_categories) =
        tokio::try_join!(owner, categories).map_err(|e| server.err(e))?;
    // A template can have a great many conversations: counted exactly up to the cap.
    let conversations = total(
        server,
        "FROM conversations WHERE digital_human_id = ?",
        &[Bind::Int(id)],
    )
    .await?;
    let masked = viewer.masked();
    if masked && let Some(o) = owner.as_mut() {
        o.phone = mask::phone(&o.phone);
    }
    let expertise = dh
        .expertise
        .as_deref()
        .and_then(|e| serde_json::from_str(e).ok());
    Ok(DigitalHumanDetail {
        digital_human: dh,
        expertise,
        owner,
        conversations,
        knowledge_categories,
        answered_by: server.info.address.clone(),
        masked,
    })
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct KnowledgeSearch {
    /// One digital human's entries; `None` searches the whole knowledge base.
    #[serde(with = "crate::wire::opt_id")]
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub digital_human_id: Option<i64>,
    /// Words matched with the FULLTEXT index on (title, content); Chinese text and words
    /// shorter than the index's minimum are matched as a substring instead.
    pub query: Option<String>,
    pub category: Option<String>,
    pub limit: u32,
}

impl Default for KnowledgeSearch {
    fn default() -> Self {
        KnowledgeSearch {
            digital_human_id: None,
            query: None,
            category: None,
            limit: DEFAULT_PAGE,
        }
    }
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct KnowledgeRow {
    #[serde(with = "crate::wire::id")]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub id: i64,
    #[serde(with = "crate::wire::opt_id")]
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub digital_human_id: Option<i64>,
    pub title: String,
    /// The first 200 characters of the content.
    pub snippet: String,
    pub keywords: Option<String>,
    pub category: Option<String>,
    pub source: Option<String>,
    pub priority: Option<i32>,
    pub use_count: Option<i32>,
    pub status: Option<i8>,
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub updated_at: Option<NaiveDateTime>,
}

/// InnoDB's default `innodb_ft_min_token_size`: shorter words are not in the index.
const FULLTEXT_MIN_WORD: usize = 3;

fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x3040..=0x30ff | 0x3400..=0x4dbf | 0x4e00..=0x9fff | 0xac00..=0xd7af | 0xf900..=0xfaff)
}

/// Whether the built-in FULLTEXT parser can find `text`: it splits on spaces, so Chinese
/// runs are not words to it, and words shorter than the minimum are not indexed.
fn fulltext_can_match(text: &str) -> bool {
    !text.chars().any(is_cjk)
        && text
            .split(|c: char| !c.is_alphanumeric())
            .any(|w| w.chars().count() >= FULLTEXT_MIN_WORD)
}

/// One page of knowledge-base entries, by id.
pub async fn knowledge(
    server: &MysqlServer,
    search: &KnowledgeSearch,
    after: Option<&str>,
) -> Result<Page<KnowledgeRow>> {
    let limit = search.limit.clamp(1, MAX_PAGE);
    let mut filter = Filter::default();
    filter.push("deleted_at IS NULL", []);
    if let Some(dh) = search.digital_human_id {
        filter.push("digital_human_id = ?", [Bind::Int(dh)]);
    }
    if let Some(c) = search.category.as_deref().filter(|c| !c.is_empty()) {
        filter.push("category = ?", [Bind::Text(c.to_owned())]);
    }
    let text = search
        .query
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty());
    let note = match text {
        None => None,
        Some(t) if fulltext_can_match(t) => {
            // Natural-language mode: the text's operators (+ - * " …) are words, not syntax.
            filter.push(
                "MATCH(title, content) AGAINST (? IN NATURAL LANGUAGE MODE)",
                [Bind::Text(t.to_owned())],
            );
            Some("matched with the FULLTEXT index on title and content".to_owned())
        }
        Some(t) => {
            let pattern = like_contains(t);
            filter.push(
                "(title LIKE ? ESCAPE '!' OR content LIKE ? ESCAPE '!')",
                [Bind::Text(pattern.clone()), Bind::Text(pattern)],
            );
            Some(if search.digital_human_id.is_some() {
                "matched as a substring within this digital human's entries (the FULLTEXT index does not split Chinese or short words)".to_owned()
            } else {
                "matched as a substring across the whole knowledge base: a scan (the FULLTEXT index does not split Chinese or short words); choose a digital human to narrow it".to_owned()
            })
        }
    };
    let PageRows { rows, next, total } = PageQuery {
        server,
        filter,
        order: Order::by_id(false),
        fingerprint: cursor::fingerprint(&KnowledgeSearch {
            limit: 0,
            ..search.clone()
        }),
        from: "FROM knowledge_base",
        select: "SELECT id, digital_human_id, title, LEFT(content, 200) AS snippet, keywords, category, source, \
                 priority, use_count, status, updated_at FROM knowledge_base",
        alias: "",
        limit,
        // Neither FULLTEXT nor a substring match gives the optimizer a usable row estimate.
        estimate_unreliable: text.is_some(),
        details: None,
    }
    .run(after, |last: &KnowledgeRow| vec![KeyValue::Int(last.id)])
    .await?;
    Ok(Page {
        rows,
        next,
        total,
        order: "id, ascending".into(),
        answered_by: server.info.address.clone(),
        masked: false,
        note,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_and_short_words_are_not_fulltext_searches() {
        assert!(fulltext_can_match("anxiety tips"));
        assert!(!fulltext_can_match("焦虑"));
        assert!(!fulltext_can_match("ok"));
        assert!(!fulltext_can_match("%_'\\"));
    }
}
