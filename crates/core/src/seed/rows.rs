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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Table {
    Users,
    DigitalHumans,
    UserPreferences,
    KnowledgeBase,
    Conversations,
    ConversationMessages,
    EmotionLogs,
    SystemSettings,
    OperationLogs,
}

impl Table {
    pub const ALL: [Table; 9] = [
        Table::Users,
        Table::DigitalHumans,
        Table::UserPreferences,
        Table::KnowledgeBase,
        Table::Conversations,
        Table::ConversationMessages,
        Table::EmotionLogs,
        Table::SystemSettings,
        Table::OperationLogs,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Table::Users => "users",
            Table::DigitalHumans => "digital_humans",
            Table::UserPreferences => "user_preferences",
            Table::KnowledgeBase => "knowledge_base",
            Table::Conversations => "conversations",
            Table::ConversationMessages => "conversation_messages",
            Table::EmotionLogs => "emotion_logs",
            Table::SystemSettings => "system_settings",
            Table::OperationLogs => "operation_logs",
        }
    }

    pub fn columns(self) -> &'static [&'static str] {
        match self {
            Table::Users => &[
                "id",
                "phone",
                "email",
                "password",
                "nickname",
                "avatar_url",
                "gender",
                "birthday",
                "bio",
                "status",
                "role",
                "last_login_at",
                "last_login_ip",
                "created_at",
                "updated_at",
                "deleted_at",
            ],
            Table::DigitalHumans => &[
                "id",
                "user_id",
                "name",
                "avatar_url",
                "model_type",
                "personality",
                "tone",
                "expertise",
                "voice_id",
                "voice_speed",
                "voice_pitch",
                "description",
                "system_prompt",
                "status",
                "is_template",
                "created_at",
                "updated_at",
                "deleted_at",
            ],
            Table::UserPreferences => &[
                "id",
                "user_id",
                "preference_key",
                "preference_value",
                "source",
                "confidence",
                "created_at",
                "updated_at",
            ],
            Table::KnowledgeBase => &[
                "id",
                "user_id",
                "digital_human_id",
                "title",
                "content",
                "keywords",
                "category",
                "vector_embedding",
                "source",
                "priority",
                "use_count",
                "status",
                "created_at",
                "updated_at",
                "deleted_at",
            ],
            Table::Conversations => &[
                "id",
                "user_id",
                "digital_human_id",
                "title",
                "summary",
                "status",
                "message_count",
                "last_message_at",
                "user_satisfaction",
                "context",
                "created_at",
                "updated_at",
                "deleted_at",
            ],
            Table::ConversationMessages => &[
                "id",
                "conversation_id",
                "sender_type",
                "message_type",
                "content",
                "audio_url",
                "duration",
                "user_emotion",
                "dh_emotion",
                "intent",
                "quality_score",
                "created_at",
            ],
            Table::EmotionLogs => &[
                "id",
                "user_id",
                "conversation_id",
                "emotion",
                "intensity",
                "trigger_text",
                "context",
                "detected_at",
            ],
            Table::SystemSettings => &[
                "id",
                "user_id",
                "setting_key",
                "setting_value",
                "description",
                "created_at",
                "updated_at",
            ],
            Table::OperationLogs => &[
                "id",
                "user_id",
                "action",
                "resource_type",
                "resource_id",
                "details",
                "ip_address",
                "user_agent",
                "created_at",
            ],
        }
    }

    fn stream(self) -> u64 {
        self as u64 + 1
    }
}

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

const PREFERENCE_KEYS: &[&str] = &[
    "favorite_topics",
    "interests",
    "reply_length",
    "language",
    "voice_style",
];
const SETTING_KEYS: &[&str] = &["theme", "notify.email", "notify.push", "privacy.history"];
const INTENTS: &[&str] = &[
    "chitchat",
    "ask_advice",
    "vent",
    "learn",
    "plan",
    "complain",
];
const ACTIONS: &[(u32, (&str, &str))] = &[
    (40, ("login", "user")),
    (10, ("logout", "user")),
    (15, ("update_profile", "user")),
    (10, ("create_digital_human", "digital_human")),
    (8, ("update_digital_human", "digital_human")),
    (12, ("delete_conversation", "conversation")),
    (5, ("export_conversation", "conversation")),
];
const USER_AGENTS: &[&str] = &[
    "MindPal/3.2.1 (iPhone; iOS 18.1)",
    "MindPal/3.2.0 (Android 15; Pixel 9)",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/131.0",
    "MindPal-MiniProgram/2.8 (WeChat 8.0.50)",
];

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

    fn user(&self, id: u64) -> Vec<Val> {
        let facts = self.user_facts(id);
        let mut r = self.rng(Table::Users, id ^ 0xA5A5);
        let created = user_created_at(self.users, id);
        let email = (!r.chance(0.2)).then(|| {
            format!(
                "{}{}@{}",
                r.pick(&["mp", "user", "hello", "lin", "amy", "dev"]),
                id,
                r.pick(text::EMAIL_DOMAINS)
            )
        });
        let last_login = (!r.chance(0.1)).then(|| created + r.range(0, ANCHOR - created));
        let ip = last_login.map(|_| {
            format!(
                "{}.{}.{}.{}",
                r.range(36, 223),
                r.range(0, 255),
                r.range(0, 255),
                r.range(1, 254)
            )
        });
        let bio = r.chance(0.4).then(|| {
            format!(
                "{} 喜欢{} {}",
                r.pick(&["Hi!", "你好呀", "Just here to chat."]),
                r.pick(text::TOPICS),
                r.pick(text::EMOJI)
            )
        });
        let birthday = r.chance(0.6).then(|| {
            NaiveDate::from_ymd_opt(
                r.range(1960, 2008) as i32,
                r.range(1, 12) as u32,
                r.range(1, 28) as u32,
            )
            .expect("valid date")
        });
        let updated = created + r.range(0, (ANCHOR - created).max(1));
        row![
            Table::Users,
            ("id", Val::Int(id as i64)),
            ("phone", Val::Text(facts.phone)),
            ("email", Val::opt_text(email)),
            (
                "password",
                Val::Text(format!(
                    "$2b$10${:022x}{:031x}",
                    r.next_u64() as u128,
                    r.next_u64() as u128 * 7919
                ))
            ),
            ("nickname", Val::opt_text(facts.nickname)),
            (
                "avatar_url",
                Val::opt_text(
                    r.chance(0.7)
                        .then(|| format!("https://cdn.mindpal.example/avatar/u{id}.png")),
                )
            ),
            ("gender", Val::Int(r.range(0, 2))),
            ("birthday", birthday.map(Val::Date).unwrap_or(Val::Null)),
            ("bio", Val::opt_text(bio)),
            ("status", Val::Int(facts.status)),
            ("role", Val::Static(facts.role)),
            ("last_login_at", Val::opt_time(last_login)),
            ("last_login_ip", Val::opt_text(ip)),
            ("created_at", Val::Time(time(created))),
            ("updated_at", Val::Time(time(updated))),
            (
                "deleted_at",
                Val::opt_time(facts.deleted.then_some(updated))
            ),
        ]
    }

    fn digital_human(&self, id: u64) -> Vec<Val> {
        let mut r = self.rng(Table::DigitalHumans, id);
        let user_id = (id - 1) / self.dh_per_user + 1;
        let created = user_created_at(self.users, user_id) + r.range(0, 30 * DAY);
        let name = format!(
            "{}{}",
            r.pick(text::DH_NAMES),
            if r.chance(0.1) {
                r.pick(text::EMOJI)
            } else {
                ""
            }
        );
        let expertise: Vec<&str> = (0..r.range(1, 3))
            .map(|_| r.pick(text::EXPERTISE))
            .collect();
        let deleted = r.chance(0.03);
        row![
            Table::DigitalHumans,
            ("id", Val::Int(id as i64)),
            ("user_id", Val::Int(user_id as i64)),
            ("name", Val::Text(name.clone())),
            (
                "avatar_url",
                Val::opt_text(
                    r.chance(0.8)
                        .then(|| format!("https://cdn.mindpal.example/dh/{id}.png")),
                )
            ),
            (
                "model_type",
                Val::Static(if r.chance(0.3) { "3d" } else { "2d" })
            ),
            ("personality", Val::Static(r.pick(text::PERSONALITIES))),
            ("tone", Val::Static(r.pick(text::TONES))),
            (
                "expertise",
                Val::Text(serde_json::to_string(&expertise).expect("strings serialise"))
            ),
            (
                "voice_id",
                Val::opt_text(r.chance(0.6).then(|| format!("voice-{:03}", r.below(120))))
            ),
            ("voice_speed", Val::Text(r.decimal(0.8, 1.3))),
            ("voice_pitch", Val::Text(r.decimal(0.8, 1.2))),
            (
                "description",
                Val::opt_text(r.chance(0.5).then(|| {
                    format!(
                        "{name}是一位{}的伙伴，擅长{}。",
                        r.pick(&["温柔", "幽默", "专业"]),
                        expertise[0]
                    )
                }))
            ),
            (
                "system_prompt",
                Val::opt_text(r.chance(0.7).then(|| {
                    format!("You are {name}, a caring companion. 用用户的语言回答，保持简洁。")
                }))
            ),
            ("status", Val::Int(if r.chance(0.04) { 2 } else { 1 })),
            ("is_template", Val::Int(i64::from(id.is_multiple_of(97)))),
            ("created_at", Val::Time(time(created))),
            (
                "updated_at",
                Val::Time(time(created + r.range(0, DAY * 10)))
            ),
            (
                "deleted_at",
                Val::opt_time(deleted.then(|| created + DAY * 11))
            ),
        ]
    }

    fn preferences(&self, user_id: u64, rows: &mut Vec<Vec<Val>>) {
        let first_id = preferences_before(user_id) + 1;
        let created = user_created_at(self.users, user_id);
        for k in 0..preferences_of(user_id) {
            let mut r = self.rng(Table::UserPreferences, first_id + k);
            let key = PREFERENCE_KEYS[((user_id + k) % PREFERENCE_KEYS.len() as u64) as usize];
            let value = match key {
                "favorite_topics" | "interests" => {
                    serde_json::to_string(&[r.pick(text::TOPICS), r.pick(text::TOPICS)])
                        .expect("serialises")
                }
                "reply_length" => format!("\"{}\"", r.pick(&["short", "medium", "long"])),
                "language" => format!("\"{}\"", r.pick(&["zh-CN", "en-US", "zh-TW"])),
                _ => format!(
                    "{{\"speed\":{},\"voice\":\"{}\"}}",
                    r.decimal(0.8, 1.2),
                    r.pick(&["soft", "bright"])
                ),
            };
            let learned = r.chance(0.4);
            rows.push(row![
                Table::UserPreferences,
                ("id", Val::Int((first_id + k) as i64)),
                ("user_id", Val::Int(user_id as i64)),
                ("preference_key", Val::Static(key)),
                ("preference_value", Val::Text(value)),
                (
                    "source",
                    Val::Static(if learned { "learned" } else { "manual" })
                ),
                (
                    "confidence",
                    Val::Text(if learned {
                        r.decimal(0.3, 0.95)
                    } else {
                        "1.00".into()
                    })
                ),
                ("created_at", Val::Time(time(created + DAY))),
                (
                    "updated_at",
                    Val::Time(time(created + DAY + r.range(0, 90 * DAY)))
                ),
            ]);
        }
    }

    fn knowledge(&self, id: u64) -> Vec<Val> {
        let mut r = self.rng(Table::KnowledgeBase, id);
        let system = r.chance(0.2);
        let user_id = (!system).then(|| r.skewed(self.users));
        let dh_id = user_id
            .filter(|_| r.chance(0.5))
            .map(|u| (u - 1) * self.dh_per_user + 1 + r.below(self.dh_per_user));
        let category = r.pick(text::CATEGORIES);
        let topic = r.pick(text::TOPICS);
        let created = ANCHOR - r.range(DAY, 400 * DAY);
        row![
            Table::KnowledgeBase,
            ("id", Val::Int(id as i64)),
            (
                "user_id",
                user_id.map(|u| Val::Int(u as i64)).unwrap_or(Val::Null)
            ),
            (
                "digital_human_id",
                dh_id.map(|d| Val::Int(d as i64)).unwrap_or(Val::Null)
            ),
            (
                "title",
                Val::Text(format!("如何应对{topic}？({category} #{id})"))
            ),
            (
                "content",
                Val::Text(format!(
                    "关于{topic}：先照顾好自己的情绪，再把问题拆成小步骤。Tip: write down one small next step. {}",
                    r.pick(text::EMOJI)
                ))
            ),
            ("keywords", Val::Text(format!("{topic},{category},tips"))),
            ("category", Val::Static(category)),
            (
                "vector_embedding",
                Val::opt_text(r.chance(0.3).then(|| {
                    let v: Vec<String> = (0..8)
                        .map(|_| format!("{:.4}", r.unit() * 2.0 - 1.0))
                        .collect();
                    format!("[{}]", v.join(","))
                }))
            ),
            (
                "source",
                Val::Static(r.pick(&["manual", "uploaded", "learned"]))
            ),
            ("priority", Val::Int(r.range(0, 10))),
            ("use_count", Val::Int(r.exponential(40.0) as i64)),
            ("status", Val::Int(if r.chance(0.05) { 2 } else { 1 })),
            ("created_at", Val::Time(time(created))),
            (
                "updated_at",
                Val::Time(time(created + r.range(0, DAY * 30)))
            ),
            (
                "deleted_at",
                Val::opt_time(r.chance(0.02).then(|| created + DAY * 31))
            ),
        ]
    }

    fn conversation(&self, id: u64) -> Vec<Val> {
        let c = self.conv(id);
        let mut r = self.rng(Table::Conversations, id);
        let status = r.weighted(&[(70, "active"), (25, "archived"), (5, "deleted")]);
        let satisfaction = if r.chance(0.4) || c.messages == 0 {
            None
        } else if c.mood == Mood::Angry || c.poor {
            Some(r.range(1, 2))
        } else {
            Some(r.weighted(&[(3, 2), (15, 3), (40, 4), (42, 5)]))
        };
        let last = c.last_message_at();
        let context = (c.messages > 0 && !r.chance(0.3)).then(|| {
            serde_json::json!({
                "memory": [format!("用户提到{}", r.pick(text::TOPICS)), format!("prefers {} replies", r.pick(&["short", "detailed"]))],
                "topics": [r.pick(text::TOPICS)],
                "mood": c.mood.user_emotion(),
                "turns": c.messages,
            })
            .to_string()
        });
        let summary = (c.messages > 4 && r.chance(0.5)).then(|| {
            format!(
                "用户聊了{}，情绪{}。",
                r.pick(text::TOPICS),
                c.mood.user_emotion()
            )
        });
        let updated = last.unwrap_or(c.created);
        row![
            Table::Conversations,
            ("id", Val::Int(id as i64)),
            ("user_id", Val::Int(c.user_id as i64)),
            ("digital_human_id", Val::Int(c.dh_id as i64)),
            (
                "title",
                Val::opt_text((!r.chance(0.1)).then(|| text::title(&mut r)))
            ),
            ("summary", Val::opt_text(summary)),
            ("status", Val::Static(status)),
            ("message_count", Val::Int(c.messages as i64)),
            ("last_message_at", Val::opt_time(last)),
            (
                "user_satisfaction",
                satisfaction.map(Val::Int).unwrap_or(Val::Null)
            ),
            ("context", Val::opt_text(context)),
            ("created_at", Val::Time(time(c.created))),
            ("updated_at", Val::Time(time(updated))),
            (
                "deleted_at",
                Val::opt_time((status == "deleted").then(|| updated + DAY))
            ),
        ]
    }

    fn messages_of(&self, conversation_id: u64, rows: &mut Vec<Vec<Val>>) {
        let c = self.conv(conversation_id);
        let first = self.message_start[conversation_id as usize - 1];
        for k in 0..c.messages {
            let id = first + k;
            let mut r = self.rng(Table::ConversationMessages, id);
            let from_user = k % 2 == 0;
            let kind = r.weighted(&[(90, "text"), (7, "voice"), (3, "image")]);
            let (content, audio_url, duration) = match kind {
                "voice" => (
                    "[语音]".to_owned(),
                    Some(format!("https://cdn.mindpal.example/audio/{id}.mp3")),
                    Some(r.range(1, 60)),
                ),
                "image" => (
                    format!("[图片] https://cdn.mindpal.example/img/{id}.jpg"),
                    None,
                    None,
                ),
                _ if from_user => {
                    let mood = if r.chance(0.75) {
                        c.mood
                    } else {
                        Mood::Neutral
                    };
                    (text::user_message(&mut r, mood), None, None)
                }
                _ => (text::dh_message(&mut r, c.poor), None, None),
            };
            let (user_emotion, dh_emotion, quality) = if from_user {
                let mood = if r.chance(0.75) {
                    c.mood
                } else {
                    Mood::Neutral
                };
                (Some(mood.user_emotion()), None, None)
            } else {
                let quality = (!r.chance(0.08)).then(|| {
                    if c.poor {
                        r.decimal(0.05, 0.45)
                    } else {
                        r.decimal(0.6, 1.0)
                    }
                });
                (
                    None,
                    Some(r.pick(&["friendly", "warm", "professional"])),
                    quality,
                )
            };
            rows.push(row![
                Table::ConversationMessages,
                ("id", Val::Int(id as i64)),
                ("conversation_id", Val::Int(conversation_id as i64)),
                (
                    "sender_type",
                    Val::Static(if from_user { "user" } else { "digital_human" })
                ),
                ("message_type", Val::Static(kind)),
                ("content", Val::Text(content)),
                ("audio_url", Val::opt_text(audio_url)),
                ("duration", duration.map(Val::Int).unwrap_or(Val::Null)),
                (
                    "user_emotion",
                    user_emotion.map(Val::Static).unwrap_or(Val::Null)
                ),
                (
                    "dh_emotion",
                    dh_emotion.map(Val::Static).unwrap_or(Val::Null)
                ),
                (
                    "intent",
                    if from_user && r.chance(0.6) {
                        Val::Static(r.pick(INTENTS))
                    } else {
                        Val::Null
                    }
                ),
                ("quality_score", Val::opt_text(quality)),
                ("created_at", Val::Time(time(c.created + k as i64 * c.gap))),
            ]);
        }
    }

    fn emotion(&self, id: u64) -> Vec<Val> {
        let mut r = self.rng(Table::EmotionLogs, id);
        let conversation = (!r.chance(0.1)).then(|| r.skewed(self.conversations));
        let (user_id, mood, at) = match conversation {
            Some(cid) => {
                let c = self.conv(cid);
                let span = (c.messages as i64 * c.gap).max(1);
                (c.user_id, c.mood, c.created + r.range(0, span))
            }
            None => {
                let u = r.skewed(self.users);
                let created = user_created_at(self.users, u);
                (u, Mood::Neutral, created + r.range(0, ANCHOR - created))
            }
        };
        let emotion = match mood {
            Mood::Angry if r.chance(0.7) => "angry",
            Mood::Sad if r.chance(0.6) => r.pick(&["sad", "anxious"]),
            Mood::Happy if r.chance(0.6) => r.pick(&["happy", "excited"]),
            _ => r.pick(&["happy", "sad", "anxious", "excited", "angry"]),
        };
        row![
            Table::EmotionLogs,
            ("id", Val::Int(id as i64)),
            ("user_id", Val::Int(user_id as i64)),
            (
                "conversation_id",
                conversation
                    .map(|c| Val::Int(c as i64))
                    .unwrap_or(Val::Null)
            ),
            ("emotion", Val::Static(emotion)),
            (
                "intensity",
                Val::opt_text((!r.chance(0.05)).then(|| r.decimal(0.2, 1.0)))
            ),
            (
                "trigger_text",
                Val::opt_text(r.chance(0.8).then(|| text::user_message(&mut r, mood)))
            ),
            (
                "context",
                Val::opt_text(
                    r.chance(0.3)
                        .then(|| format!("话题: {}", r.pick(text::TOPICS))),
                )
            ),
            ("detected_at", Val::Time(time(at.min(ANCHOR)))),
        ]
    }

    fn setting(&self, id: u64) -> Vec<Val> {
        let mut r = self.rng(Table::SystemSettings, id);
        let (user_id, key) = if id <= self.global_settings {
            (None, format!("platform.option_{id:03}"))
        } else {
            let i = id - self.global_settings - 1;
            let key = SETTING_KEYS[(i % SETTING_KEYS.len() as u64) as usize];
            (Some(i / SETTING_KEYS.len() as u64 + 1), key.to_owned())
        };
        let created = ANCHOR - r.range(DAY, 500 * DAY);
        row![
            Table::SystemSettings,
            ("id", Val::Int(id as i64)),
            (
                "user_id",
                user_id.map(|u| Val::Int(u as i64)).unwrap_or(Val::Null)
            ),
            ("setting_key", Val::Text(key)),
            (
                "setting_value",
                Val::Text(
                    r.pick(&[
                        "true",
                        "false",
                        "\"dark\"",
                        "\"light\"",
                        "30",
                        "{\"quiet_hours\":[22,7]}",
                    ])
                    .to_string(),
                )
            ),
            (
                "description",
                Val::opt_text(user_id.is_none().then(|| "全局配置".to_owned()))
            ),
            ("created_at", Val::Time(time(created))),
            (
                "updated_at",
                Val::Time(time(created + r.range(0, DAY * 60)))
            ),
        ]
    }

    fn operation(&self, id: u64) -> Vec<Val> {
        let mut r = self.rng(Table::OperationLogs, id);
        let (action, resource_type) = r.weighted(ACTIONS);
        let user_id = (!r.chance(0.05)).then(|| r.skewed(self.users));
        let resource_id = match resource_type {
            "user" => user_id,
            "digital_human" => user_id.map(|u| (u - 1) * self.dh_per_user + 1),
            _ => Some(r.range(1, self.conversations as i64) as u64),
        };
        let at = ANCHOR - r.range(60, 365 * DAY);
        row![
Table::OperationLogs,
("id", Val::Int((self.operation_id_offset + id) as i64)),
("user_id", user_id.map(|u| Val::Int(u as i64)).unwrap_or(Val::Null)),
("action", Val::Static(action)),
("resource_type", Val::Static(resource_type)),
("resource_id", resource_id.map(|v| Val::Int(v as i64)).unwrap_or(Val::Null)),
("details", Val::opt_text((!r.chance(0.2)).then(|| {
                serde_json::json!({"client": r.pick(&["ios", "android", "web", "miniprogram"]), "ok": !r.chance(0.03)}).to_string()
            }))),
("ip_address", Val::Text(format!("{}.{}.{}.{}", r.range(36, 223), r.range(0, 255), r.range(0, 255), r.range(1, 254)))),
("user_agent", Val::Static(r.pick(USER_AGENTS))),
("created_at", Val::Time(time(at))),
]
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
