//! Users: the list (search, filters, keyset pages) and the detail view.

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};

use super::Deleted;
use super::cache::{self, UserCache};
use crate::access::Actor;
use crate::error::{Error, Result};
use crate::keyset::cursor::{self, KeyValue};
use crate::keyset::{
    Bind, DEFAULT_PAGE, Filter, MAX_PAGE, Order, Page, PageQuery, PageRows, mask, parse_id,
};
use crate::mysql::MysqlServer;
use crate::redis::RedisServer;

/// Which column the search text is matched against.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum UserField {
    /// `#42` an id, text with `@` an email, digits a phone, anything else a nickname.
    #[default]
    Auto,
    Id,
    Phone,
    Email,
    Nickname,
}

/// The order of the list when no search text is given.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum UserSort {
    #[default]
    Id,
    CreatedAt,
    LastLoginAt,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct UserSearch {
    pub query: Option<String>,
    pub field: UserField,
    pub status: Option<i8>,
    pub role: Option<String>,
    pub gender: Option<i8>,
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub created_from: Option<NaiveDate>,
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub created_to: Option<NaiveDate>,
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub last_login_from: Option<NaiveDate>,
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub last_login_to: Option<NaiveDate>,
    pub deleted: Deleted,
    pub sort: UserSort,
    pub descending: bool,
    pub limit: u32,
}

impl Default for UserSearch {
    fn default() -> Self {
        UserSearch {
            query: None,
            field: UserField::Auto,
            status: None,
            role: None,
            gender: None,
            created_from: None,
            created_to: None,
            last_login_from: None,
            last_login_to: None,
            deleted: Deleted::Hide,
            sort: UserSort::Id,
            descending: true,
            limit: DEFAULT_PAGE,
        }
    }
}

/// One row of the users list.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct UserRow {
    #[serde(with = "crate::wire::id")]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub id: i64,
    pub phone: String,
    pub email: Option<String>,
    pub nickname: Option<String>,
    pub gender: Option<i8>,
    pub status: Option<i8>,
    pub role: Option<String>,
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub created_at: Option<NaiveDateTime>,
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub last_login_at: Option<NaiveDateTime>,
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub deleted_at: Option<NaiveDateTime>,
}

impl UserRow {
    fn mask(&mut self) {
        self.phone = mask::phone(&self.phone);
        self.email = self.email.as_deref().map(mask::email);
    }
}

const LIST_COLUMNS: &str =
    "id, phone, email, nickname, gender, status, role, created_at, last_login_at, deleted_at";

/// What the search text asks for, once its field is known.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Matcher {
    None,
    Id(i64),
    Phone(String),
    Email(String),
    Nickname(String),
}

fn matcher(search: &UserSearch) -> Result<Matcher> {
    let Some(text) = search.query.as_deref().filter(|t| !t.trim().is_empty()) else {
        return Ok(Matcher::None);
    };
    let text = text.trim();
    Ok(match search.field {
        UserField::Id => Matcher::Id(parse_id(text, "user")?),
        UserField::Phone => Matcher::Phone(text.to_owned()),
        UserField::Email => Matcher::Email(text.to_owned()),
        UserField::Nickname => Matcher::Nickname(text.to_owned()),
        UserField::Auto => {
            let phone_like = text.chars().any(|c| c.is_ascii_digit())
                && text
                    .chars()
                    .all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | ' '));
            if text.starts_with('#') {
                Matcher::Id(parse_id(text, "user")?)
            } else if text.contains('@') {
                Matcher::Email(text.to_owned())
            } else if phone_like {
                // Phones are stored as bare digits.
                Matcher::Phone(text.chars().filter(char::is_ascii_digit).collect())
            } else {
                Matcher::Nickname(text.to_owned())
            }
        }
    })
}

/// One page of users matching `search`, after `after` (a cursor from the previous page).
pub async fn find(
    server: &MysqlServer,
    search: &UserSearch,
    after: Option<&str>,
    viewer: Actor,
) -> Result<Page<UserRow>> {
    let limit = search.limit.clamp(1, MAX_PAGE);
    let matcher = matcher(search)?;
    let mut filter = Filter::default();
    // A search orders by the searched column, so the page is a range of its index.
    let (order, order_words) = match &matcher {
        Matcher::None | Matcher::Id(_) => {
            let (column, nullable, words) = match search.sort {
                UserSort::Id => (None, false, "id"),
                UserSort::CreatedAt => (Some("created_at"), true, "created"),
                UserSort::LastLoginAt => (Some("last_login_at"), true, "last login"),
            };
            let order = Order {
                column,
                nullable,
                descending: search.descending,
                unique: false,
            };
            (order, words)
        }
        // Phone and email are UNIQUE, and a prefix match leaves no NULLs: they order alone.
        Matcher::Phone(_) => (
            Order {
                column: Some("phone"),
                nullable: false,
                descending: false,
                unique: true,
            },
            "phone",
        ),
        Matcher::Email(_) => (
            Order {
                column: Some("email"),
                nullable: false,
                descending: false,
                unique: true,
            },
            "email",
        ),
        Matcher::Nickname(_) => (
            Order {
                column: Some("nickname"),
                nullable: true,
                descending: false,
                unique: false,
            },
            "nickname",
        ),
    };
    match &matcher {
        Matcher::None => {}
        Matcher::Id(id) => filter.push("id = ?", [Bind::Int(*id)]),
        Matcher::Phone(p) => filter.starts_with("phone", p),
        Matcher::Email(e) => filter.starts_with("email", e),
        Matcher::Nickname(n) => filter.starts_with("nickname", n),
    }
    if let Some(status) = search.status {
        filter.push("status = ?", [Bind::Int(status.into())]);
    }
    if let Some(role) = search.role.as_deref().filter(|r| !r.is_empty()) {
        filter.push("role = ?", [Bind::Text(role.to_owned())]);
    }
    if let Some(gender) = search.gender {
        filter.push("gender = ?", [Bind::Int(gender.into())]);
    }
    filter.date_range("created_at", search.created_from, search.created_to);
    filter.date_range(
        "last_login_at",
        search.last_login_from,
        search.last_login_to,
    );
    if let Some(p) = search.deleted.predicate("") {
        filter.push(p, []);
    }

    let query = PageQuery {
        server,
        filter,
        order,
        fingerprint: cursor::fingerprint(&UserSearch {
            limit: 0,
            ..search.clone()
        }),
        from: "FROM users",
        select: &format!("SELECT {LIST_COLUMNS} FROM users"),
        alias: "",
        limit,
        estimate_unreliable: false,
        details: None,
    };
    let PageRows {
        mut rows,
        next,
        total,
    } = query
        .run(after, |last: &UserRow| match order.column {
            None => vec![KeyValue::Int(last.id)],
            Some("phone") => vec![KeyValue::Text(last.phone.clone())],
            Some("email") => vec![text_key(&last.email)],
            Some("nickname") => vec![text_key(&last.nickname), KeyValue::Int(last.id)],
            Some("created_at") => vec![time_key(last.created_at), KeyValue::Int(last.id)],
            Some(_) => vec![time_key(last.last_login_at), KeyValue::Int(last.id)],
        })
        .await?;
    let masked = viewer.masked();
    if masked {
        rows.iter_mut().for_each(UserRow::mask);
    }
    let direction = if order.descending {
        "descending"
    } else {
        "ascending"
    };
    Ok(Page {
        rows,
        next,
        total,
        order: format!("{order_words}, {direction}"),
        answered_by: server.info.address.clone(),
        masked,
        note: None,
    })
}

pub(crate) fn text_key(v: &Option<String>) -> KeyValue {
    v.clone().map(KeyValue::Text).unwrap_or(KeyValue::Null)
}

pub(crate) fn time_key(v: Option<NaiveDateTime>) -> KeyValue {
    v.map(KeyValue::Time).unwrap_or(KeyValue::Null)
}

/// Every column of a user but the password hash.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct UserProfile {
    #[serde(with = "crate::wire::id")]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub id: i64,
    pub phone: String,
    pub email: Option<String>,
    pub has_password: bool,
    pub nickname: Option<String>,
    pub avatar_url: Option<String>,
    pub gender: Option<i8>,
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub birthday: Option<NaiveDate>,
    pub bio: Option<String>,
    pub status: Option<i8>,
    pub role: Option<String>,
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub last_login_at: Option<NaiveDateTime>,
    pub last_login_ip: Option<String>,
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
pub struct Preference {
    pub key: String,
    pub value: String,
    pub source: Option<String>,
    pub confidence: Option<f64>,
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub updated_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct OwnedDigitalHuman {
    #[serde(with = "crate::wire::id")]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub id: i64,
    pub name: String,
    pub model_type: Option<String>,
    pub personality: Option<String>,
    pub status: Option<i8>,
    pub is_template: Option<i8>,
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub deleted_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct RecentConversation {
    #[serde(with = "crate::wire::id")]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub id: i64,
    #[serde(with = "crate::wire::id")]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub digital_human_id: i64,
    pub digital_human_name: Option<String>,
    pub title: Option<String>,
    pub status: Option<String>,
    pub message_count: Option<i32>,
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub last_message_at: Option<NaiveDateTime>,
    pub user_satisfaction: Option<i8>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct EmotionCount {
    pub emotion: String,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub count: i64,
    pub average_intensity: Option<f64>,
}

/// How many recent conversations the detail view lists.
pub const RECENT_CONVERSATIONS: u32 = 20;

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct UserDetail {
    pub user: UserProfile,
    pub preferences: Vec<Preference>,
    pub digital_humans: Vec<OwnedDigitalHuman>,
    pub recent_conversations: Vec<RecentConversation>,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub conversation_count: i64,
    /// Emotions logged in the last 30 days, most frequent first.
    pub emotions_30_days: Vec<EmotionCount>,
    /// The user's Redis entries; `None` when the profile has no Redis.
    pub cache: Option<UserCache>,
    /// Why the Redis entries could not be read (the rest of the view still shows).
    pub cache_error: Option<crate::error::ErrorSummary>,
    pub answered_by: String,
    pub masked: bool,
}

/// Everything about one user; the Redis side read from `redis` when there is one.
pub async fn show(
    server: &MysqlServer,
    redis: Option<&Result<RedisServer>>,
    id: i64,
    viewer: Actor,
) -> Result<UserDetail> {
    let pool = &server.pool;
    let user: Option<UserProfile> = sqlx::query_as(
        "SELECT id, phone, email, password IS NOT NULL AND password <> '' AS has_password, nickname, avatar_url, \
         gender, birthday, bio, status, role, last_login_at, last_login_ip, version, created_at, updated_at, deleted_at \
         FROM users WHERE id = ?",
    )
    .bind(id)
    .fetch_optional(pool)
    .await
    .map_err(|e| server.err(e))?;
    let Some(mut user) = user else {
        return Err(Error::NotFound(format!("no user with id {id}")));
    };
    let preferences = sqlx::query_as(
        "SELECT preference_key AS `key`, preference_value AS value, source, CAST(confidence AS DOUBLE) AS confidence, updated_at \
         FROM user_preferences WHERE user_id = ? ORDER BY preference_key LIMIT 200",
    )
    .bind(id)
    .fetch_all(pool);
    let digital_humans = sqlx::query_as(
        "SELECT id, name, model_type, personality, status, is_template, deleted_at \
         FROM digital_humans WHERE user_id = ? ORDER BY id LIMIT 200",
    )
    .bind(id)
    .fetch_all(pool);
    let recent = sqlx::query_as(
        "SELECT c.id, c.digital_human_id, d.name AS digital_human_name, c.title, c.status, c.message_count, \
         c.last_message_at, c.user_satisfaction \
         FROM conversations c LEFT JOIN digital_humans d ON d.id = c.digital_human_id \
         WHERE c.user_id = ? ORDER BY c.last_message_at DESC LIMIT ?",
    )
    .bind(id)
    .bind(RECENT_CONVERSATIONS)
    .fetch_all(pool);
    let count = sqlx::query_as::<_, (i64,)>("SELECT COUNT(*) FROM conversations WHERE user_id = ?")
        .bind(id)
        .fetch_one(pool);
    // A range on (user_id, detected_at), never a function of the column.
    let emotions = sqlx::query_as(
        "SELECT emotion, COUNT(*) AS count, CAST(AVG(intensity) AS DOUBLE) AS average_intensity \
         FROM emotion_logs WHERE user_id = ? AND detected_at >= NOW() - INTERVAL 30 DAY \
         GROUP BY emotion ORDER BY count DESC, emotion",
    )
    .bind(id)
    .fetch_all(pool);
    let (preferences, digital_humans, recent, count, emotions) =
        tokio::try_join!(preferences, digital_humans, recent, count, emotions)
            .map_err(|e| server.err(e))?;

    let (cache, cache_error) = match redis {
        None => (None, None),
        Some(Err(e)) => (None, Some(e.summary())),
        Some(Ok(redis)) => match cache::user_entries(redis, &user, count.0).await {
            Ok(mut c) => {
                if viewer.masked() {
                    c.mask();
                }
                (Some(c), None)
            }
            Err(e) => (None, Some(e.summary())),
        },
    };
    let masked = viewer.masked();
    if masked {
        user.phone = mask::phone(&user.phone);
        user.email = user.email.as_deref().map(mask::email);
        user.last_login_ip = user.last_login_ip.as_deref().map(mask::ip);
    }
    Ok(UserDetail {
        user,
        preferences,
        digital_humans,
        recent_conversations: recent,
        conversation_count: count.0,
        emotions_30_days: emotions,
        cache,
        cache_error,
        answered_by: server.info.address.clone(),
        masked,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn search(query: &str) -> UserSearch {
        UserSearch {
            query: Some(query.into()),
            ..UserSearch::default()
        }
    }

    #[test]
    fn auto_search_picks_the_field_from_the_text() {
        assert_eq!(matcher(&search("#42")).unwrap(), Matcher::Id(42));
        assert_eq!(
            matcher(&search("ann@")).unwrap(),
            Matcher::Email("ann@".into())
        );
        assert_eq!(
            matcher(&search("138 0013")).unwrap(),
            Matcher::Phone("1380013".into())
        );
        assert_eq!(
            matcher(&search("小明")).unwrap(),
            Matcher::Nickname("小明".into())
        );
        assert_eq!(matcher(&search("  ")).unwrap(), Matcher::None);
        assert!(matcher(&search("#abc")).is_err());
    }
}
