//! One builder per table: a row's values, each beside the column it fills.

use super::*;

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
    pub(super) fn user(&self, id: u64) -> Vec<Val> {
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

    pub(super) fn digital_human(&self, id: u64) -> Vec<Val> {
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

    pub(super) fn preferences(&self, user_id: u64, rows: &mut Vec<Vec<Val>>) {
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

    pub(super) fn knowledge(&self, id: u64) -> Vec<Val> {
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

    pub(super) fn conversation(&self, id: u64) -> Vec<Val> {
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

    pub(super) fn messages_of(&self, conversation_id: u64, rows: &mut Vec<Vec<Val>>) {
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

    pub(super) fn emotion(&self, id: u64) -> Vec<Val> {
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

    pub(super) fn setting(&self, id: u64) -> Vec<Val> {
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

    pub(super) fn operation(&self, id: u64) -> Vec<Val> {
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
