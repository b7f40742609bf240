//! A thread with its reviews as Markdown, JSON or CSV, streamed page by page so a
//! 60,000-message conversation never sits in memory whole.

use std::io::Write;

use serde::{Deserialize, Serialize};

use super::{ConversationFacts, Message, ThreadAnchor, thread};
use crate::access::Actor;
use crate::error::{Error, Result};
use crate::keyset::mask;
use crate::mysql::MysqlServer;

use super::review::{self, Review};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum ExportFormat {
    Md,
    Json,
    Csv,
}

/// Messages read per round trip while exporting.
const EXPORT_PAGE: u32 = 500;

fn io(e: std::io::Error) -> Error {
    Error::io("writing the export", e)
}

/// Records in `operation_logs` that `actor` exported conversation `id` (a support lead asks
/// who took which conversation out). A read-only profile writes nothing, this row included.
pub async fn record(
    primary: &MysqlServer,
    actor: crate::access::Actor,
    id: i64,
    format: ExportFormat,
    messages: u64,
) -> Result<()> {
    if actor.read_only {
        return Ok(());
    }
    crate::audit::record(
        primary,
        crate::audit::Change {
            action: "conversation.export",
            resource_type: "conversation",
            resource_id: Some(id),
            details: serde_json::json!({"format": format, "messages": messages, "role": actor.role}),
        },
    )
    .await
}

/// Writes conversation `id` to `out` in `format`; support viewers get the user's phone masked.
/// Returns the number of messages written.
pub async fn export(
    server: &MysqlServer,
    id: i64,
    format: ExportFormat,
    viewer: Actor,
    out: &mut (dyn Write + Send),
) -> Result<u64> {
    let mut facts: ConversationFacts = super::facts(server, id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("no conversation with id {id}")))?;
    if viewer.masked() {
        facts.user_phone = facts.user_phone.as_deref().map(mask::phone);
    }
    let reviews = review::list(server, id).await?;
    match format {
        ExportFormat::Md => write_md_head(out, &facts, &reviews).map_err(io)?,
        ExportFormat::Json => {
            let head = serde_json::json!({"conversation": facts, "reviews": reviews});
            let head = serde_json::to_string(&head).expect("exports serialise");
            // The head's closing brace is reopened to stream the messages into it.
            write!(out, "{},\"messages\":[", &head[..head.len() - 1]).map_err(io)?;
        }
        ExportFormat::Csv => writeln!(
            out,
            "conversation_id,message_id,created_at,sender,message_type,content,user_emotion,dh_emotion,intent,quality_score,verdict,tags,note"
        )
        .map_err(io)?,
    }
    let latest = reviews.first();
    let mut written = 0u64;
    let mut anchor = ThreadAnchor::Start;
    loop {
        let page = thread(server, id, anchor, EXPORT_PAGE).await?;
        for m in &page.messages {
            match format {
                ExportFormat::Md => write_md_message(out, m).map_err(io)?,
                ExportFormat::Json => {
                    if written > 0 {
                        write!(out, ",").map_err(io)?;
                    }
                    serde_json::to_writer(&mut *out, m).map_err(|e| io(e.into()))?;
                }
                ExportFormat::Csv => write_csv_message(out, id, m, latest).map_err(io)?,
            }
            written += 1;
        }
        match page.messages.last() {
            Some(last) if page.more_after => anchor = ThreadAnchor::After { id: last.id },
            _ => break,
        }
    }
    if format == ExportFormat::Json {
        writeln!(out, "]}}").map_err(io)?;
    }
    out.flush().map_err(io)?;
    Ok(written)
}

fn write_md_head(
    out: &mut (dyn Write + Send),
    c: &ConversationFacts,
    reviews: &[Review],
) -> std::io::Result<()> {
    let dash = |v: &Option<String>| v.clone().unwrap_or_else(|| "—".into());
    writeln!(
        out,
        "# {}\n",
        c.title
            .clone()
            .unwrap_or_else(|| format!("Conversation {}", c.id))
    )?;
    writeln!(out, "- Conversation: {}", c.id)?;
    writeln!(
        out,
        "- User: {} (#{}, {})",
        dash(&c.user_nickname),
        c.user_id,
        dash(&c.user_phone)
    )?;
    writeln!(
        out,
        "- Digital human: {} (#{})",
        dash(&c.digital_human_name),
        c.digital_human_id
    )?;
    writeln!(out, "- Status: {}", dash(&c.status))?;
    writeln!(
        out,
        "- Satisfaction: {}",
        c.user_satisfaction
            .map(|s| format!("{s}/5"))
            .unwrap_or_else(|| "—".into())
    )?;
    writeln!(
        out,
        "- Messages: {}",
        c.message_count.map(|n| n.to_string()).unwrap_or_default()
    )?;
    if let Some(s) = &c.summary {
        writeln!(out, "\n> {}", s.replace('\n', "\n> "))?;
    }
    writeln!(out, "\n## Reviews\n")?;
    if reviews.is_empty() {
        writeln!(out, "Not reviewed.")?;
    }
    for r in reviews {
        let tags = r.tag_list();
        writeln!(
            out,
            "- **{}** by {} at {}{}{}",
            r.verdict,
            r.reviewer,
            r.reviewed_at,
            if tags.is_empty() {
                String::new()
            } else {
                format!(" · tags: {}", tags.join(", "))
            },
            r.note
                .as_deref()
                .map(|n| format!("\n  {}", n.replace('\n', "\n  ")))
                .unwrap_or_default()
        )?;
    }
    writeln!(out, "\n## Thread\n")
}

fn write_md_message(out: &mut (dyn Write + Send), m: &Message) -> std::io::Result<()> {
    let who = if m.sender_type == "user" {
        "User"
    } else {
        "Digital human"
    };
    let mut facts = vec![
        m.created_at
            .map(|t| t.to_string())
            .unwrap_or_else(|| "—".into()),
    ];
    if let Some(t) = m.message_type.as_deref().filter(|t| *t != "text") {
        facts.push(match m.duration {
            Some(d) => format!("{t} {d} s"),
            None => t.to_owned(),
        });
    }
    if let Some(e) = m.user_emotion.as_deref().or(m.dh_emotion.as_deref()) {
        facts.push(e.to_owned());
    }
    if let Some(i) = &m.intent {
        facts.push(format!("intent {i}"));
    }
    if let Some(q) = m.quality_score {
        facts.push(format!("score {q:.2}"));
    }
    writeln!(out, "**{who}** · {} · #{}\n", facts.join(" · "), m.id)?;
    writeln!(out, "> {}\n", m.content.replace('\n', "\n> "))?;
    if let Some(url) = &m.audio_url {
        writeln!(out, "[audio]({url})\n")?;
    }
    Ok(())
}

/// One CSV field: quoted when it must be, and a leading `=`, `+`, `-` or `@` defused so a
/// spreadsheet shows the text rather than running it as a formula.
fn csv_field(v: &str) -> String {
    let v = if v.starts_with(['=', '+', '-', '@']) {
        format!("'{v}")
    } else {
        v.to_owned()
    };
    if v.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", v.replace('"', "\"\""))
    } else {
        v
    }
}

fn write_csv_message(
    out: &mut (dyn Write + Send),
    conversation: i64,
    m: &Message,
    latest: Option<&Review>,
) -> std::io::Result<()> {
    let opt = |v: &Option<String>| csv_field(v.as_deref().unwrap_or(""));
    writeln!(
        out,
        "{conversation},{},{},{},{},{},{},{},{},{},{},{},{}",
        m.id,
        m.created_at.map(|t| t.to_string()).unwrap_or_default(),
        csv_field(&m.sender_type),
        opt(&m.message_type),
        csv_field(&m.content),
        opt(&m.user_emotion),
        opt(&m.dh_emotion),
        opt(&m.intent),
        m.quality_score.map(|q| q.to_string()).unwrap_or_default(),
        latest.map(|r| csv_field(&r.verdict)).unwrap_or_default(),
        latest
            .map(|r| csv_field(&r.tag_list().join(";")))
            .unwrap_or_default(),
        latest
            .map(|r| csv_field(r.note.as_deref().unwrap_or("")))
            .unwrap_or_default(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_formulas_defused() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_field("-1"), "'-1");
        assert_eq!(csv_field("多行\n文本"), "\"多行\n文本\"");
    }
}
