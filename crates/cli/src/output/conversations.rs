//! Conversation review: the finder, one conversation with its thread, verdicts.

use super::words::ttl;
use super::*;

impl Out {
    pub fn conversation_page(&self, page: &Page<ConversationRow>) {
        self.show(page, || {
            if page.rows.is_empty() {
                say!("No conversations match.");
            } else {
                say!(
                    "{:>9}  {} {} {} {:>6}  {:<16} {:>4}  {}",
                    "ID",
                    cell("TITLE", 26),
                    cell("USER", 16),
                    cell("DIGITAL HUMAN", 14),
                    "MSGS",
                    "LAST MESSAGE",
                    "SAT",
                    "VERDICT"
                );
            }
            for c in &page.rows {
                say!(
                    "{:>9}  {} {} {} {:>6}  {:<16} {:>4}  {}",
                    c.id,
                    cell(&opt(&c.title), 26),
                    cell(&format!("{} #{}", opt(&c.user_nickname), c.user_id), 16),
                    cell(&opt(&c.digital_human_name), 14),
                    opt(&c.message_count),
                    when(c.last_message_at),
                    opt(&c.user_satisfaction),
                    c.verdict.as_deref().unwrap_or("-")
                );
            }
            self.page_footer(page, ("conversation", "conversations"));
        });
    }

    pub fn conversation(&self, d: &ConversationDetail, page: &ThreadPage) {
        self.show(&serde_json::json!({ "detail": d, "thread": page }), || {
            let c = &d.conversation;
            say!(
                "Conversation {} · {} · {}",
                c.id,
                opt(&c.title),
                opt(&c.status)
            );
            say!(
                "  user          {} #{} ({})",
                opt(&c.user_nickname),
                c.user_id,
                opt(&c.user_phone)
            );
            say!(
                "  digital human {} #{}",
                opt(&c.digital_human_name),
                c.digital_human_id
            );
            say!(
                "  messages      {} stored (row says {}) · last {}",
                d.stored_messages,
                opt(&c.message_count),
                when(c.last_message_at)
            );
            say!("  satisfaction  {}", opt(&c.user_satisfaction));
            if let Some(s) = &c.summary {
                say!("  summary       {}", cell(s, 100).trim_end());
            }
            match (d.first_angry_message, d.lowest_score_message) {
                (None, None) => {}
                (a, l) => say!(
                    "  jump to       first angry message {} · lowest-scored reply {}",
                    opt(&a),
                    opt(&l)
                ),
            }
            if !d.emotion_totals.is_empty() {
                let parts: Vec<String> = d
                    .emotion_totals
                    .iter()
                    .map(|t| match t.logs {
                        0 => format!("{} {}", t.emotion, t.messages),
                        logs => format!("{} {} (+{logs} logged)", t.emotion, t.messages),
                    })
                    .collect();
                say!("  emotions      {}", parts.join(" · "));
            }
            match (&d.cached_context, &d.cache_error) {
                (Some(cc), _) => match &cc.cached {
                    None => say!("  {}  not cached", cc.key),
                    Some(_) => {
                        let differ: Vec<&str> = cc
                            .fields
                            .iter()
                            .filter(|f| !f.matches)
                            .map(|f| f.field.as_str())
                            .collect();
                        say!(
                            "  {}  ttl {}  {}",
                            cc.key,
                            ttl(cc.ttl_seconds),
                            if differ.is_empty() {
                                "matches the database's context".to_owned()
                            } else {
                                format!("differs from the database in: {}", differ.join(", "))
                            }
                        );
                    }
                },
                (None, Some(e)) => say!("  Redis unavailable ({})", e.message),
                (None, None) => {}
            }
            say!("Reviews ({})", d.reviews.len());
            for r in &d.reviews {
                say!(
                    "  {}  {} by {}{}{}",
                    r.reviewed_at,
                    r.verdict,
                    r.reviewer,
                    match r.tag_list() {
                        t if t.is_empty() => String::new(),
                        t => format!(" · {}", t.join(", ")),
                    },
                    r.note
                        .as_deref()
                        .map(|n| format!(" · {n}"))
                        .unwrap_or_default()
                );
            }
            match page.messages.first() {
                Some(first) if page.more_before => {
                    say!("Thread (earlier messages: --before {})", first.id)
                }
                _ => say!("Thread (from its start)"),
            }
            for m in &page.messages {
                let who = if m.sender_type == "user" {
                    "USER"
                } else {
                    "DH  "
                };
                let mut facts = Vec::new();
                if let Some(e) = m.user_emotion.as_deref().or(m.dh_emotion.as_deref()) {
                    facts.push(e.to_owned());
                }
                if let Some(q) = m.quality_score {
                    facts.push(format!("score {q:.2}"));
                }
                if let Some(t) = m.message_type.as_deref().filter(|t| *t != "text") {
                    facts.push(t.to_owned());
                }
                say!(
                    "  #{:<9} {} {}  {}{}",
                    m.id,
                    who,
                    when(m.created_at),
                    m.content.replace('\n', " "),
                    if facts.is_empty() {
                        String::new()
                    } else {
                        format!("  [{}]", facts.join(", "))
                    }
                );
            }
            match page.messages.last() {
                Some(last) if page.more_after => say!("later messages: --after {}", last.id),
                _ => say!("(end of thread)"),
            }
            say!(
                "answered by {}{}",
                d.answered_by,
                if d.masked { " · PII masked" } else { "" }
            );
        });
    }

    pub fn review(&self, conversation: i64, r: &Review) {
        self.show(r, || {
        say!(
            "Review #{} of conversation {conversation}: {} by {} at {} (also in operation_logs)",
            r.id,
            r.verdict,
            r.reviewer,
            r.reviewed_at
        );
        });
    }
}
