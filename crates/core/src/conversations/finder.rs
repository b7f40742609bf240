//! The finder: conversations by owner, digital human, status, dates, satisfaction, emotion,
//! quality, review state and text, page by page on a keyset.

use super::*;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ConversationSearch {
    #[serde(with = "crate::wire::opt_id")]
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub user_id: Option<i64>,
    #[serde(with = "crate::wire::opt_id")]
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub digital_human_id: Option<i64>,
    /// active, archived or deleted.
    pub status: Option<String>,
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub last_message_from: Option<NaiveDate>,
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub last_message_to: Option<NaiveDate>,
    /// Satisfaction at most this (1–5).
    pub max_satisfaction: Option<i8>,
    /// Some user message carries this emotion (angry, sad, anxious, …).
    pub user_emotion: Option<String>,
    /// Some digital-human reply scored below this (0–1).
    pub min_quality_below: Option<f64>,
    /// The replies' average score is below this (0–1); reads every reply of each candidate.
    pub avg_quality_below: Option<f64>,
    pub min_messages: Option<i32>,
    pub max_messages: Option<i32>,
    /// Reviewed (true), not yet (false), either (None).
    pub reviewed: Option<bool>,
    /// The latest review's verdict.
    pub verdict: Option<Verdict>,
    /// The latest review carries this tag.
    pub tag: Option<String>,
    /// Words in the title or summary.
    pub text: Option<String>,
    pub limit: u32,
}

impl Default for ConversationSearch {
    fn default() -> Self {
        ConversationSearch {
            user_id: None,
            digital_human_id: None,
            status: None,
            last_message_from: None,
            last_message_to: None,
            max_satisfaction: None,
            user_emotion: None,
            min_quality_below: None,
            avg_quality_below: None,
            min_messages: None,
            max_messages: None,
            reviewed: None,
            verdict: None,
            tag: None,
            text: None,
            limit: DEFAULT_PAGE,
        }
    }
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ConversationRow {
    #[serde(with = "crate::wire::id")]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub id: i64,
    #[serde(with = "crate::wire::id")]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub user_id: i64,
    pub user_nickname: Option<String>,
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
    /// The latest review's verdict, if reviewed.
    pub verdict: Option<String>,
}

/// The latest review of conversation `c`, one index probe on (conversation_id, reviewed_at).
const LATEST_REVIEW: &str = "(SELECT r.{col} FROM conversation_reviews r WHERE r.conversation_id = c.id \
     ORDER BY r.reviewed_at DESC, r.id DESC LIMIT 1)";

fn latest(col: &str) -> String {
    LATEST_REVIEW.replace("{col}", col)
}

/// One page of conversations matching `search`, most recent last message first.
pub async fn find(
    server: &MysqlServer,
    search: &ConversationSearch,
    after: Option<&str>,
) -> Result<Page<ConversationRow>> {
    let driver = driver(server, search).await?;
    let (filter, scans) = filter_for(search, driver);
    page(server, search, driver, filter, &scans, after).await
}

/// *Count now* counts at most this many matches ("more than 1,000,000").
pub const COUNT_CAP: i64 = 1_000_000;
/// How long *Count now* may run on the server before it is stopped there.
pub const COUNT_TIME_LIMIT_MS: u64 = 30_000;

/// Counts the conversations matching `search`, for a search whose page comes without a
/// total: up to [`COUNT_CAP`] matches, for at most [`COUNT_TIME_LIMIT_MS`]. `cancel` stops
/// the statement on the server (KILL QUERY), not only the wait for it.
pub async fn count(
    server: &MysqlServer,
    search: &ConversationSearch,
    cancel: &crate::CancellationToken,
) -> Result<Total> {
    let driver = driver(server, search).await?;
    let (mut filter, _) = filter_for(search, driver);
    let from = from_of(search, driver, &mut filter);
    let select = format!(
        "SELECT COUNT(*) FROM (SELECT 1 {from}{} LIMIT {}) matching",
        filter.sql(),
        COUNT_CAP + 1
    );
    let sql = crate::keyset::time_limited(server.info.flavour, &select, COUNT_TIME_LIMIT_MS);
    let err = |e| server.err(e);
    let mut conn = server.pool.acquire().await.map_err(err)?;
    let (connection_id,): (u64,) = sqlx::query_as("SELECT CONNECTION_ID()")
        .fetch_one(&mut *conn)
        .await
        .map_err(err)?;
    let counting = crate::keyset::bind_all_as(
        sqlx::query_as::<_, (i64,)>(sqlx::AssertSqlSafe(sql)),
        &filter.binds,
    )
    .fetch_one(&mut *conn);
    let counted = tokio::select! {
        r = counting => Some(r),
        _ = cancel.cancelled() => None,
    };
    match counted {
        Some(Ok((n,))) => Ok(Total {
            count: n.min(COUNT_CAP),
            exact: n <= COUNT_CAP,
            more_than: n > COUNT_CAP,
        }),
        Some(Err(e)) => Err(match err(e) {
            Error::StatementLimit { server, .. } => Error::StatementLimit {
                server,
                message: format!(
                    "counting was stopped after {} s; narrow the filters (a date range, a digital human) and count again",
                    COUNT_TIME_LIMIT_MS / 1000
                ),
            },
            other => other,
        }),
        None => {
            // Stop the statement from another connection; this one is not handed back.
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!("KILL QUERY {connection_id}")))
                .execute(&server.pool)
                .await;
            drop(conn.detach());
            Err(Error::Cancelled)
        }
    }
}

/// The FROM of a search: conversations, or the reviews that drive it (their binds first).
fn from_of(search: &ConversationSearch, driver: Driver, filter: &mut Filter) -> String {
    match driver {
        Driver::Conversations => "FROM conversations c".to_owned(),
        Driver::Reviews => {
            let (from, binds) = driven_from(search);
            filter.binds.splice(0..0, binds);
            from
        }
    }
}

/// Whether some filter besides the review ones has no index to start from and is checked on
/// each conversation walked.
fn checked_row_by_row(search: &ConversationSearch) -> bool {
    search.max_satisfaction.is_some()
        || search
            .user_emotion
            .as_deref()
            .is_some_and(|e| !e.is_empty())
        || search.min_quality_below.is_some()
        || search.avg_quality_below.is_some()
        || search.min_messages.is_some()
        || search.max_messages.is_some()
        || search.text.as_deref().is_some_and(|t| !t.trim().is_empty())
}

/// Where a page starts reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Driver {
    /// Walk conversations newest first, checking each against the filters.
    Conversations,
    /// Start from the reviewed conversations (`conversation_reviews`), then sort them: for
    /// the review filters when reviews are few, where the walk would pass thousands of
    /// unreviewed conversations for each match.
    Reviews,
}

/// Chooses the driver from the two tables' row estimates. Walking costs about `limit / share`
/// probes of the small reviews index (ten times more for a verdict or tag, which few reviews
/// carry); starting from the reviews reads each matching conversation by its primary key, a
/// random read of the large table weighed as five probes (a third of the reviews for a verdict
/// or tag).
async fn driver(server: &MysqlServer, search: &ConversationSearch) -> Result<Driver> {
    let narrowed = search.verdict.is_some() || search.tag.as_deref().is_some_and(|t| !t.is_empty());
    if search.reviewed != Some(true) && !narrowed {
        return Ok(Driver::Conversations);
    }
    let estimates: Vec<(String, Option<u64>)> = sqlx::query_as(
        "SELECT TABLE_NAME, TABLE_ROWS FROM information_schema.TABLES \
         WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN ('conversations', 'conversation_reviews')",
    )
    .fetch_all(&server.pool)
    .await
    .map_err(|e| server.err(e))?;
    let rows = |name: &str| {
        estimates
            .iter()
            .find(|(t, _)| t == name)
            .and_then(|(_, n)| *n)
            .unwrap_or(0) as f64
    };
    let (conversations, reviews) = (rows("conversations"), rows("conversation_reviews"));
    let share = (reviews / conversations.max(1.0)).clamp(1e-6, 1.0);
    let (walk_factor, drive_factor) = if narrowed { (10.0, 0.3) } else { (1.0, 1.0) };
    let walk = f64::from(search.limit.clamp(1, MAX_PAGE)) / share * walk_factor;
    let drive = reviews * 5.0 * drive_factor;
    Ok(if drive < walk {
        Driver::Reviews
    } else {
        Driver::Conversations
    })
}

/// The conversations the reviews drive: each conversation whose latest review carries the
/// verdict and tag asked for (one row each), or every reviewed conversation. Its binds come
/// before the WHERE clause's.
fn driven_from(search: &ConversationSearch) -> (String, Vec<Bind>) {
    let mut conditions = Vec::new();
    let mut binds = Vec::new();
    if let Some(v) = search.verdict {
        conditions.push("r.verdict = ?");
        binds.push(Bind::Text(v.as_str().to_owned()));
    }
    if let Some(t) = search.tag.as_deref().filter(|t| !t.is_empty()) {
        conditions.push("JSON_CONTAINS(r.tags, JSON_QUOTE(?))");
        binds.push(Bind::Text(t.to_owned()));
    }
    let reviews = if conditions.is_empty() {
        "SELECT DISTINCT r.conversation_id FROM conversation_reviews r".to_owned()
    } else {
        format!(
            "SELECT r.conversation_id FROM conversation_reviews r WHERE {} \
             AND NOT EXISTS (SELECT 1 FROM conversation_reviews n WHERE n.conversation_id = r.conversation_id \
               AND (n.reviewed_at > r.reviewed_at OR (n.reviewed_at = r.reviewed_at AND n.id > r.id)))",
            conditions.join(" AND ")
        )
    };
    (
        format!("FROM ({reviews}) rv STRAIGHT_JOIN conversations c ON c.id = rv.conversation_id"),
        binds,
    )
}

/// The WHERE clause of `search`, and what of it the server must check row by row.
pub(super) fn filter_for(
    search: &ConversationSearch,
    driver: Driver,
) -> (Filter, Vec<&'static str>) {
    let mut filter = Filter::default();
    let mut scans = Vec::new();
    filter.push("c.deleted_at IS NULL", []);
    if let Some(u) = search.user_id {
        filter.push("c.user_id = ?", [Bind::Int(u)]);
    }
    if let Some(d) = search.digital_human_id {
        filter.push("c.digital_human_id = ?", [Bind::Int(d)]);
    }
    if let Some(s) = search.status.as_deref().filter(|s| !s.is_empty()) {
        filter.push("c.status = ?", [Bind::Text(s.to_owned())]);
    }
    filter.date_range(
        "c.last_message_at",
        search.last_message_from,
        search.last_message_to,
    );
    if let Some(s) = search.max_satisfaction {
        filter.push("c.user_satisfaction <= ?", [Bind::Int(s.into())]);
    }
    if let Some(n) = search.min_messages {
        filter.push("c.message_count >= ?", [Bind::Int(n.into())]);
    }
    if let Some(n) = search.max_messages {
        filter.push("c.message_count <= ?", [Bind::Int(n.into())]);
    }
    if let Some(e) = search.user_emotion.as_deref().filter(|e| !e.is_empty()) {
        filter.push(
            "EXISTS (SELECT 1 FROM conversation_messages m WHERE m.conversation_id = c.id AND m.user_emotion = ?)",
            [Bind::Text(e.to_owned())],
        );
    }
    if let Some(q) = search.min_quality_below {
        filter.push(
            "EXISTS (SELECT 1 FROM conversation_messages m WHERE m.conversation_id = c.id AND m.quality_score < ?)",
            [Bind::Float(q)],
        );
    }
    if let Some(q) = search.avg_quality_below {
        filter.push(
            "(SELECT AVG(m.quality_score) FROM conversation_messages m WHERE m.conversation_id = c.id) < ?",
            [Bind::Float(q)],
        );
        scans.push("the average score reads every reply of each conversation it looks at");
    }
    match search.reviewed {
        // Every row the reviews drive is reviewed.
        Some(true) if driver == Driver::Reviews => {}
        // Alone, a scalar probe: MariaDB turns EXISTS into a semi-join that reads every review
        // and sorts their conversations (172 ms at scale 1), where the walk in last-message
        // order stops at the page (16 ms). With other row-by-row filters the semi-join is the
        // better start (satisfaction ≤ 2: 10 ms against 184 ms walking), so EXISTS it stays.
        Some(true) if !checked_row_by_row(search) => filter.push(
            "(SELECT 1 FROM conversation_reviews r WHERE r.conversation_id = c.id LIMIT 1) IS NOT NULL",
            [],
        ),
        Some(true) => filter.push(
            "EXISTS (SELECT 1 FROM conversation_reviews r WHERE r.conversation_id = c.id)",
            [],
        ),
        Some(false) => filter.push(
            "NOT EXISTS (SELECT 1 FROM conversation_reviews r WHERE r.conversation_id = c.id)",
            [],
        ),
        None => {}
    }
    // The reviews that drive the page already carry the verdict and tag.
    if let Some(v) = search.verdict.filter(|_| driver == Driver::Conversations) {
        filter.push(
            format!("{} = ?", latest("verdict")),
            [Bind::Text(v.as_str().to_owned())],
        );
    }
    if let Some(t) = search
        .tag
        .as_deref()
        .filter(|t| !t.is_empty() && driver == Driver::Conversations)
    {
        filter.push(
            format!("JSON_CONTAINS({}, JSON_QUOTE(?))", latest("tags")),
            [Bind::Text(t.to_owned())],
        );
    }
    if let Some(t) = search
        .text
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        let pattern = like_contains(t);
        filter.push(
            "(c.title LIKE ? ESCAPE '!' OR c.summary LIKE ? ESCAPE '!')",
            [Bind::Text(pattern.clone()), Bind::Text(pattern)],
        );
        scans.push("text in titles and summaries is matched row by row");
    }
    (filter, scans)
}

/// One page of `filter`'s conversations, most recent last message first.
pub(super) async fn page(
    server: &MysqlServer,
    search: &ConversationSearch,
    driver: Driver,
    filter: Filter,
    scans: &[&str],
    after: Option<&str>,
) -> Result<Page<ConversationRow>> {
    let limit = search.limit.clamp(1, MAX_PAGE);
    let order = Order {
        column: Some("last_message_at"),
        nullable: true,
        descending: true,
        unique: false,
    };
    let mut filter = filter;
    let from = from_of(search, driver, &mut filter);
    // The page's ids first, then their rows with the owner's and digital human's names: joined
    // before the sort, those names were read for every candidate (every reviewed conversation
    // when the server starts from the reviews: 216 ms against 17 ms at scale 1).
    let select = format!("SELECT c.id, c.last_message_at {from}");
    let details = format!(
        "SELECT c.id, c.user_id, u.nickname AS user_nickname, c.digital_human_id, d.name AS digital_human_name, \
         c.title, c.status, c.message_count, c.last_message_at, c.user_satisfaction, {} AS verdict \
         FROM ({{page}}) k JOIN conversations c ON c.id = k.id \
         LEFT JOIN users u ON u.id = c.user_id LEFT JOIN digital_humans d ON d.id = c.digital_human_id",
        latest("verdict")
    );
    let PageRows { rows, next, total } = PageQuery {
        server,
        filter,
        order,
        fingerprint: cursor::fingerprint(&ConversationSearch {
            limit: 0,
            ..search.clone()
        }),
        from: &from,
        select: &select,
        alias: "c.",
        limit,
        // EXISTS probes and text matches leave the optimizer guessing.
        estimate_unreliable: search.user_emotion.is_some()
            || search.min_quality_below.is_some()
            || search.avg_quality_below.is_some()
            || search.reviewed.is_some()
            || search.verdict.is_some()
            || search.tag.is_some()
            || search.text.is_some(),
        details: Some(&details),
    }
    .run(after, |last: &ConversationRow| {
        vec![
            last.last_message_at
                .map(KeyValue::Time)
                .unwrap_or(KeyValue::Null),
            KeyValue::Int(last.id),
        ]
    })
    .await?;
    Ok(Page {
        rows,
        next,
        total,
        order: "last message, newest first".into(),
        answered_by: server.info.address.clone(),
        masked: false,
        note: (!scans.is_empty()).then(|| {
            format!(
                "{}: the server walks conversations by last message and checks each (each page stops after 5 s)",
                scans.join("; ")
            )
        }),
    })
}
