//! What each MindPal row looks like, generated from the plan.

use chrono::{DateTime, NaiveDate, NaiveDateTime};
use sqlx::MySql;
use sqlx::mysql::MySqlArguments;
use sqlx::query::Query;

use super::rng::Rng;
use super::text::{self, Mood};

/// Every timestamp is relative to this fixed instant, so a seed is the same on any day.
/// 2026-11-20 00:00:00 UTC.
pub const ANCHOR: i64 = 1_795_132_800;
const DAY: i64 = 86_400;
/// Rows generated per chunk (one unit of work for a writer).
const ROWS_PER_CHUNK: u64 = 5_000;

/// A generated row, each value beside the column it fills. Debug builds (the tests) check the
/// names against [`Table::columns`], the order the INSERT and LOAD DATA statements name, so
/// two values swapped in a builder fail every seeding test instead of filling each other's
/// column.
macro_rules! row {
    ($table:expr, $(($column:literal, $value:expr)),+ $(,)?) => {{
        let row = vec![$($value),+];
        debug_assert_eq!(
            $table.columns(),
            &[$($column),+][..],
            "the builder of {} names its columns out of order",
            $table.name()
        );
        row
    }};
}

mod builders;
mod table;

pub use table::Table;

/// One bound value of a generated row.
#[derive(Debug, Clone)]
pub enum Val {
    Int(i64),
    Text(String),
    Static(&'static str),
    Time(NaiveDateTime),
    Date(NaiveDate),
    Null,
}

impl Val {
    pub fn bind<'q>(
        &self,
        q: Query<'q, MySql, MySqlArguments>,
    ) -> Query<'q, MySql, MySqlArguments> {
        match self {
            Val::Int(v) => q.bind(*v),
            Val::Text(v) => q.bind(v.clone()),
            Val::Static(v) => q.bind(*v),
            Val::Time(v) => q.bind(*v),
            Val::Date(v) => q.bind(*v),
            Val::Null => q.bind(None::<i64>),
        }
    }

    /// The value as a LOAD DATA field: `\N` for NULL, backslash escapes for tab, newline, backslash.
    pub fn to_tsv(&self) -> String {
        let escape = |s: &str| {
            s.replace('\\', "\\\\")
                .replace('\t', "\\t")
                .replace('\n', "\\n")
                .replace('\r', "\\r")
                .replace('\0', "\\0")
        };
        match self {
            Val::Int(v) => v.to_string(),
            Val::Text(v) => escape(v),
            Val::Static(v) => escape(v),
            Val::Time(v) => v.format("%Y-%m-%d %H:%M:%S").to_string(),
            Val::Date(v) => v.format("%Y-%m-%d").to_string(),
            Val::Null => "\\N".to_owned(),
        }
    }

    fn opt_text(v: Option<String>) -> Val {
        v.map(Val::Text).unwrap_or(Val::Null)
    }

    fn opt_time(v: Option<i64>) -> Val {
        v.map(|t| Val::Time(time(t))).unwrap_or(Val::Null)
    }
}

fn time(unix: i64) -> NaiveDateTime {
    DateTime::from_timestamp(unix, 0)
        .expect("seed times are in range")
        .naive_utc()
}

/// A conversation's shape, decided once so the conversation row and its messages agree.
#[derive(Debug, Clone)]
pub struct ConvMeta {
    pub user_id: u64,
    pub dh_id: u64,
    pub created: i64,
    pub gap: i64,
    pub messages: u64,
    pub mood: Mood,
    /// The digital human answers poorly: low quality scores.
    pub poor: bool,
}

impl ConvMeta {
    pub fn last_message_at(&self) -> Option<i64> {
        (self.messages > 0).then(|| self.created + (self.messages as i64 - 1) * self.gap)
    }
}

/// A unit of work: rows `units` of `table` (the unit is a row id, or a user id for
/// preferences, or a conversation id for messages).
#[derive(Debug, Clone)]
pub struct Chunk {
    pub table: Table,
    pub units: std::ops::Range<u64>,
}

/// How many rows of each table a scale makes, and the decisions rows share.
#[derive(Debug)]
pub struct Plan {
    pub seed: u64,
    pub users: u64,
    pub dh_per_user: u64,
    pub conversations: u64,
    pub knowledge: u64,
    pub emotions: u64,
    pub settings: u64,
    pub global_settings: u64,
    pub operations: u64,
    pub convs: Vec<ConvMeta>,
    /// `message_start[c - 1]` is the id of conversation c's first message.
    pub message_start: Vec<u64>,
    pub messages: u64,
    /// Seeded operation logs are numbered after the rows already there.
    pub operation_id_offset: u64,
}

impl Plan {
    pub fn new(scale: f64, seed: u64) -> Plan {
        let at = |n: f64, min: u64| ((n * scale).round() as u64).max(min);
        let users = at(100_000.0, 10);
        let conversations = at(300_000.0, 30);
        let target_messages = at(3_000_000.0, 100);
        // The one very heavy user (id 1) owns conversations 1..=whale_conversations.
        let whale_conversations = at(20_000.0, 3).min(conversations / 3);
        let dh_per_user = 2;
        // A few very long threads, scaled with the rest (60k, 25k, 10k messages at scale 1).
        let giants: Vec<(u64, u64)> = vec![
            (1, at(60_000.0, 40)),
            (conversations / 2, at(25_000.0, 30)),
            (conversations - 1, at(10_000.0, 20)),
        ];
        let giant_total: u64 = giants.iter().map(|(_, n)| n).sum();
        let mean = ((target_messages.saturating_sub(giant_total)) as f64
            / (conversations as f64 * 0.82)
            - 1.0)
            .max(0.5);

        let mut convs = Vec::with_capacity(conversations as usize);
        let mut message_start = Vec::with_capacity(conversations as usize);
        let mut next_message = 1u64;
        for id in 1..=conversations {
            let mut r = Rng::for_row(seed, 100, id);
            let user_id = if id <= whale_conversations {
                1
            } else {
                r.skewed(users)
            };
            let dh_id = (user_id - 1) * dh_per_user + 1 + r.below(dh_per_user);
            let giant = giants.iter().find(|(g, _)| *g == id).map(|(_, n)| *n);
            let messages = match giant {
                Some(n) => n,
                None if r.chance(0.15) => 0,
                None => (1 + r.exponential(mean)).min(2_000),
            };
            let mood = r.weighted(&[
                (30, Mood::Happy),
                (47, Mood::Neutral),
                (17, Mood::Sad),
                (6, Mood::Angry),
            ]);
            let poor = r.chance(if mood == Mood::Angry { 0.5 } else { 0.05 });
            let gap = if giant.is_some() {
                r.range(1, 4)
            } else {
                r.range(5, 300)
            };
            let user_created = user_created_at(users, user_id);
            let span = (messages as i64) * gap;
            let latest_start = (ANCHOR - span - 60).max(user_created);
            let created =
                user_created + ((latest_start - user_created) as f64 * r.unit().sqrt()) as i64;
            convs.push(ConvMeta {
                user_id,
                dh_id,
                created,
                gap,
                messages,
                mood,
                poor,
            });
            message_start.push(next_message);
            next_message += messages;
        }
        let settings = at(40_000.0, 8);
        Plan {
            seed,
            users,
            dh_per_user,
            conversations,
            knowledge: at(40_000.0, 4),
            emotions: at(400_000.0, 20),
            global_settings: (settings / 10).min(200),
            settings,
            operations: at(600_000.0, 30),
            convs,
            message_start,
            messages: next_message - 1,
            operation_id_offset: 0,
        }
    }

    pub fn with_operation_id_offset(mut self, offset: u64) -> Self {
        self.operation_id_offset = offset;
        self
    }

    pub fn rows(&self, table: Table) -> u64 {
        match table {
            Table::Users => self.users,
            Table::DigitalHumans => self.users * self.dh_per_user,
            Table::UserPreferences => (1..=self.users).map(preferences_of).sum(),
            Table::KnowledgeBase => self.knowledge,
            Table::Conversations => self.conversations,
            Table::ConversationMessages => self.messages,
            Table::EmotionLogs => self.emotions,
            Table::SystemSettings => self.settings,
            Table::OperationLogs => self.operations,
        }
    }

    /// Splits every table into chunks of about `ROWS_PER_CHUNK` rows, largest tables first.
    pub fn chunks(&self) -> Vec<Chunk> {
        let mut out = Vec::new();
        let mut by_id = |table: Table, total: u64, per_unit: u64| {
            let step = (ROWS_PER_CHUNK / per_unit).max(1);
            let mut start = 1;
            while start <= total {
                let end = (start + step).min(total + 1);
                out.push(Chunk {
                    table,
                    units: start..end,
                });
                start = end;
            }
        };
        by_id(Table::Users, self.users, 1);
        by_id(Table::DigitalHumans, self.users * self.dh_per_user, 1);
        by_id(Table::UserPreferences, self.users, 3);
        by_id(Table::KnowledgeBase, self.knowledge, 1);
        by_id(Table::Conversations, self.conversations, 1);
        by_id(Table::EmotionLogs, self.emotions, 1);
        by_id(Table::SystemSettings, self.settings, 1);
        by_id(Table::OperationLogs, self.operations, 1);
        // Messages by conversation, cut where the running count passes a chunk's worth.
        let mut start = 1u64;
        let mut rows = 0u64;
        for id in 1..=self.conversations {
            rows += self.convs[id as usize - 1].messages;
            if rows >= ROWS_PER_CHUNK || id == self.conversations {
                out.push(Chunk {
                    table: Table::ConversationMessages,
                    units: start..id + 1,
                });
                start = id + 1;
                rows = 0;
            }
        }
        // Messages are most of the work: interleave them so every writer stays busy to the end.
        out.sort_by_key(|c| (c.table != Table::ConversationMessages, c.units.start));
        out
    }

    pub fn conv(&self, id: u64) -> &ConvMeta {
        &self.convs[id as usize - 1]
    }

    pub fn generate(&self, chunk: &Chunk) -> Vec<Vec<Val>> {
        let mut rows = Vec::new();
        for unit in chunk.units.clone() {
            match chunk.table {
                Table::Users => rows.push(self.user(unit)),
                Table::DigitalHumans => rows.push(self.digital_human(unit)),
                Table::UserPreferences => self.preferences(unit, &mut rows),
                Table::KnowledgeBase => rows.push(self.knowledge(unit)),
                Table::Conversations => rows.push(self.conversation(unit)),
                Table::ConversationMessages => self.messages_of(unit, &mut rows),
                Table::EmotionLogs => rows.push(self.emotion(unit)),
                Table::SystemSettings => rows.push(self.setting(unit)),
                Table::OperationLogs => rows.push(self.operation(unit)),
            }
        }
        rows
    }

    fn rng(&self, table: Table, id: u64) -> Rng {
        Rng::for_row(self.seed, table.stream(), id)
    }

    /// The user row's facts that the Redis cache repeats.
    pub fn user_facts(&self, id: u64) -> UserFacts {
        let mut r = self.rng(Table::Users, id);
        let nickname = (!r.chance(0.05)).then(|| text::nickname(&mut r));
        let status = if r.chance(0.03) { 2 } else { 1 };
        let deleted = r.chance(0.02);
        let role = if (2..=4).contains(&id) {
            "admin"
        } else {
            "user"
        };
        UserFacts {
            phone: format!("1{}{:09}", 3 + id % 7, id),
            nickname,
            status,
            role,
            deleted,
        }
    }
}

/// What the cache of a user repeats from the row.
#[derive(Debug, Clone)]
pub struct UserFacts {
    pub phone: String,
    pub nickname: Option<String>,
    pub status: i64,
    pub role: &'static str,
    pub deleted: bool,
}

/// Users sign up evenly over the two years before the anchor.
pub fn user_created_at(users: u64, id: u64) -> i64 {
    let first = ANCHOR - 730 * DAY;
    first + ((id - 1) as f64 / users as f64 * (729 * DAY) as f64) as i64
}

/// Two or three preferences per user (unique per key).
fn preferences_of(user_id: u64) -> u64 {
    2 + user_id % 2
}

/// How many preference rows the users before `user_id` have.
fn preferences_before(user_id: u64) -> u64 {
    let before = user_id - 1;
    // Odd user ids have three, even ones two.
    2 * before + before.div_ceil(2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tsv_fields_escape_what_load_data_would_misread() {
        assert_eq!(Val::Null.to_tsv(), "\\N");
        assert_eq!(Val::Text("a\tb\nc\\d".into()).to_tsv(), "a\\tb\\nc\\\\d");
        assert_eq!(Val::Text("你好👋".into()).to_tsv(), "你好👋");
    }

    #[test]
    fn preference_ids_are_contiguous_and_unique() {
        let mut next = 1;
        for user in 1..50 {
            assert_eq!(preferences_before(user) + 1, next, "user {user}");
            next += preferences_of(user);
        }
    }

    #[test]
    fn chunks_cover_every_row_exactly_once() {
        let plan = Plan::new(0.002, 9);
        for table in Table::ALL {
            let generated: u64 = plan
                .chunks()
                .iter()
                .filter(|c| c.table == table)
                .map(|c| plan.generate(c).len() as u64)
                .sum();
            assert_eq!(generated, plan.rows(table), "{}", table.name());
        }
    }

    #[test]
    fn every_row_has_one_value_per_column() {
        let plan = Plan::new(0.001, 3);
        for chunk in plan.chunks() {
            for row in plan.generate(&chunk) {
                assert_eq!(
                    row.len(),
                    chunk.table.columns().len(),
                    "{}",
                    chunk.table.name()
                );
            }
        }
    }

    #[test]
    fn scale_one_has_the_promised_shape() {
        let plan = Plan::new(1.0, 1);
        assert_eq!(plan.users, 100_000);
        assert_eq!(plan.rows(Table::DigitalHumans), 200_000);
        assert_eq!(plan.conversations, 300_000);
        let messages = plan.messages as f64;
        assert!(
            (2_700_000.0..3_300_000.0).contains(&messages),
            "about 3M messages, got {messages}"
        );
        let whale = plan.convs.iter().filter(|c| c.user_id == 1).count();
        assert!(
            whale >= 20_000,
            "user 1 owns ~20k conversations, got {whale}"
        );
        assert!(plan.convs.iter().any(|c| c.messages >= 60_000));
        let empty = plan.convs.iter().filter(|c| c.messages == 0).count();
        assert!(empty > 30_000, "many conversations are empty, got {empty}");
        let angry = plan.convs.iter().filter(|c| c.mood == Mood::Angry).count();
        assert!(angry > 10_000, "some threads are angry, got {angry}");
    }

    #[test]
    fn messages_never_come_after_the_anchor() {
        let plan = Plan::new(0.01, 5);
        for c in &plan.convs {
            if let Some(last) = c.last_message_at() {
                assert!(last <= ANCHOR, "last message at {last} is after the anchor");
            }
        }
    }
}
