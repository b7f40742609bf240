//! Words for realistic MindPal rows: Chinese and English mixed, with emoji of four bytes and
//! ZWJ sequences, so every layer (driver, utf8mb4 columns, the UI) meets real-world text.

use super::rng::Rng;

pub const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "胡", "朱", "高", "林",
];
pub const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "洋", "艳", "勇", "军", "杰", "娟", "涛", "明",
    "超", "秀英", "霞", "平", "子涵", "欣怡", "梓轩", "浩然",
];
pub const ENGLISH_NAMES: &[&str] = &[
    "Alice", "Ben", "Chloe", "David", "Emma", "Felix", "Grace", "Henry", "Iris", "Jack", "Kai",
    "Luna", "Mia", "Noah", "Olivia", "Leo",
];
pub const EMOJI: &[&str] = &[
    "😀", "😂", "🥲", "😭", "😡", "🤔", "🎉", "❤️", "👍", "🙏", "🌙", "☕", "🐱", "🌸", "💼", "🎧",
];
/// Multi-code-point emoji joined with U+200D, and a flag: the hard cases for truncation and width.
pub const ZWJ_EMOJI: &[&str] = &["👨‍👩‍👧‍👦", "🧑‍💻", "👩‍❤️‍👨", "🏳️‍🌈", "🧑🏽‍🚀", "🇨🇳"];
pub const DH_NAMES: &[&str] = &[
    "小暖",
    "知心姐姐",
    "Nova",
    "阿澈",
    "Coach Lin",
    "小助手",
    "Mochi",
    "晚安电台",
    "学霸同桌",
    "Dr. Sage",
    "旅行搭子",
    "Pixel",
];
pub const PERSONALITIES: &[&str] = &["friendly", "professional", "humorous", "gentle"];
pub const TONES: &[&str] = &["warm", "professional", "playful"];
pub const EXPERTISE: &[&str] = &[
    "情感支持",
    "编程技术",
    "健康养生",
    "生活常识",
    "language learning",
    "career advice",
    "旅行",
    "美食",
];
pub const CATEGORIES: &[&str] = &["生活常识", "编程技术", "情感支持", "健康养生", "其他"];
pub const TOPICS: &[&str] = &[
    "工作压力",
    "失眠",
    "学习计划",
    "travel plans",
    "a job interview",
    "家庭关系",
    "减肥",
    "Rust 编程",
    "考研",
    "breakup",
    "猫咪",
    "周末做饭",
];
pub const EMAIL_DOMAINS: &[&str] = &[
    "qq.com",
    "163.com",
    "gmail.com",
    "outlook.com",
    "126.com",
    "foxmail.com",
];

const USER_HAPPY: &[&str] = &[
    "今天心情特别好",
    "I finally passed the exam",
    "谢谢你一直陪我聊天",
    "周末去爬山了，风景超美",
    "my cat learned a new trick",
    "升职啦",
];
const USER_NEUTRAL: &[&str] = &[
    "帮我想想晚饭吃什么",
    "Can you explain closures in Rust?",
    "明天天气怎么样",
    "给我推荐几本书",
    "how do I stay focused",
    "我想制定一个学习计划",
];
const USER_SAD: &[&str] = &[
    "最近总是睡不着",
    "I feel lonely tonight",
    "和朋友吵架了，很难过",
    "工作好累，不想上班",
    "I miss home",
    "考试没考好",
];
const USER_ANGRY: &[&str] = &[
    "你根本没听懂我在说什么！",
    "This answer is useless",
    "又是这种敷衍的回复",
    "我要投诉，太差了",
    "stop repeating yourself",
    "说了三遍了还是错的",
];
const DH_GOOD: &[&str] = &[
    "听起来你今天过得很充实",
    "That sounds hard. I'm here with you.",
    "我们可以一步一步来",
    "Here is a short plan you could try",
    "你的感受很正常，要对自己温柔一点",
    "好主意！要不要先从小目标开始？",
];
const DH_POOR: &[&str] = &[
    "抱歉，我不太明白",
    "As an AI I cannot help with that",
    "请换个说法再试一次",
    "嗯嗯",
    "I'm not sure.",
    "这个问题我无法回答",
];

/// A Chinese (or, a quarter of the time, English) personal name, sometimes with an emoji.
pub fn nickname(rng: &mut Rng) -> String {
    let mut name = if rng.chance(0.25) {
        rng.pick(ENGLISH_NAMES).to_string()
    } else {
        format!("{}{}", rng.pick(SURNAMES), rng.pick(GIVEN))
    };
    if rng.chance(0.15) {
        name.push_str(rng.pick(EMOJI));
    }
    if rng.chance(0.03) {
        name.push_str(rng.pick(ZWJ_EMOJI));
    }
    name
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mood {
    Happy,
    Neutral,
    Sad,
    Angry,
}

impl Mood {
    pub fn user_emotion(self) -> &'static str {
        match self {
            Mood::Happy => "happy",
            Mood::Neutral => "neutral",
            Mood::Sad => "sad",
            Mood::Angry => "angry",
        }
    }
}

/// What a user says in a given mood, with the odd topic and emoji.
pub fn user_message(rng: &mut Rng, mood: Mood) -> String {
    let pool = match mood {
        Mood::Happy => USER_HAPPY,
        Mood::Neutral => USER_NEUTRAL,
        Mood::Sad => USER_SAD,
        Mood::Angry => USER_ANGRY,
    };
    let mut text = rng.pick(pool).to_string();
    if rng.chance(0.3) {
        text.push_str("，关于");
        text.push_str(rng.pick(TOPICS));
    }
    if rng.chance(0.2) {
        text.push(' ');
        text.push_str(rng.pick(EMOJI));
    }
    if rng.chance(0.02) {
        text.push_str(rng.pick(ZWJ_EMOJI));
    }
    text
}

/// What a digital human answers: a good answer, or a poor one for low-quality threads.
pub fn dh_message(rng: &mut Rng, poor: bool) -> String {
    let mut text = rng.pick(if poor { DH_POOR } else { DH_GOOD }).to_string();
    if !poor && rng.chance(0.4) {
        text.push_str(" 关于");
        text.push_str(rng.pick(TOPICS));
        text.push_str("，可以先试试每天记录一点点进展。");
    }
    if rng.chance(0.1) {
        text.push(' ');
        text.push_str(rng.pick(EMOJI));
    }
    text
}

/// A conversation title: a topic, sometimes with an emoji.
pub fn title(rng: &mut Rng) -> String {
    let mut t = format!("聊聊{}", rng.pick(TOPICS));
    if rng.chance(0.2) {
        t.push_str(rng.pick(EMOJI));
    }
    t
}
