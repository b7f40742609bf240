//! `conversations …`: find the ones that need a human, read one, review it, export it.

use chrono::NaiveDate;
use clap::{Args, Subcommand, ValueEnum};
use mindpal_core::conversations::export::{self, ExportFormat};
use mindpal_core::conversations::review::{self, ReviewInput};
use mindpal_core::conversations::{self, ConversationSearch, ThreadAnchor, Verdict};

use crate::Global;
use crate::context::*;
use crate::output::Out;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum VerdictArg {
    Ok,
    /// Also spelled `needs_followup`, as verdicts print.
    #[value(alias = "needs_followup")]
    NeedsFollowup,
    Escalated,
}

impl From<VerdictArg> for Verdict {
    fn from(v: VerdictArg) -> Self {
        match v {
            VerdictArg::Ok => Verdict::Ok,
            VerdictArg::NeedsFollowup => Verdict::NeedsFollowup,
            VerdictArg::Escalated => Verdict::Escalated,
        }
    }
}

/// A score between 0 and 1.
fn unit_interval(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if (0.0..=1.0).contains(&v) => Ok(v),
        _ => Err("expected a score from 0 to 1, e.g. 0.4".into()),
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FormatArg {
    Md,
    Json,
    Csv,
}

#[derive(Debug, Subcommand)]
pub enum ConversationsCommand {
    /// Find conversations by user, digital human, status, dates, satisfaction, emotion,
    /// quality, size, review state and text; newest last message first.
    Find(Box<FindArgs>),
    /// One conversation: facts, reviews, emotion timeline, cached context, and a page of
    /// its thread (--at start|end, or --after/--before a message id).
    Show(ShowArgs),
    /// Write the thread with its reviews as Markdown, JSON or CSV on stdout.
    Export {
        /// The conversation's id.
        id: String,
        /// md, json or csv (default: md; json under --json).
        #[arg(long, value_enum)]
        format: Option<FormatArg>,
        #[command(flatten)]
        read: ReadFrom,
    },
    /// The team's shared queue: claim the next conversation to review (nobody else gets it
    /// while you hold it), renew, release or skip it.
    #[command(subcommand)]
    Queue(crate::queue::QueueCommand),
    /// A reproducible random sample for QA: N conversations per digital human, day or
    /// satisfaction score from a window, by a seeded hash of their ids; --name keeps it as
    /// a review queue.
    Sample(crate::queue::SampleArgs),
    /// Per reviewer and day: reviews, verdict mix, median time to save, expired claims; and
    /// agreement (Cohen's kappa) on conversations two people reviewed, with the disagreements.
    Dashboard(crate::queue::DashboardArgs),
    /// Record a verdict (with tags and a note) in conversation_reviews and operation_logs.
    Review {
        /// The conversation's id.
        id: String,
        /// ok, needs-followup (or needs_followup) or escalated.
        #[arg(long, value_enum)]
        verdict: VerdictArg,
        /// A short label; repeat for more.
        #[arg(long = "tag", value_name = "TAG")]
        tags: Vec<String>,
        /// A few words for the next reader.
        #[arg(long)]
        note: Option<String>,
        /// Who signs the review (default: your OS account, @ the profile's name).
        #[arg(long, value_name = "NAME")]
        reviewer: Option<String>,
    },
}

#[derive(Debug, Args)]
pub struct FilterArgs {
    /// Only this user's conversations.
    #[arg(long, value_name = "ID")]
    user: Option<String>,
    /// Only conversations with this digital human.
    #[arg(long = "dh", value_name = "ID")]
    digital_human: Option<String>,
    /// active or archived (deleted conversations are never listed).
    #[arg(long, value_parser = ["active", "archived"])]
    status: Option<String>,
    /// Last message on or after (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    from: Option<NaiveDate>,
    /// Last message on or before (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    to: Option<NaiveDate>,
    /// Satisfaction at most N (1–5).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(i8).range(1..=5))]
    max_satisfaction: Option<i8>,
    /// Some user message had this emotion.
    #[arg(long, value_name = "EMOTION", value_parser = ["angry", "sad", "anxious", "happy", "excited", "neutral"])]
    emotion: Option<String>,
    /// Some reply scored below this (0–1).
    #[arg(long, value_name = "SCORE", value_parser = unit_interval)]
    min_quality_below: Option<f64>,
    /// The replies' average score is below this (0–1; reads every reply of each candidate).
    #[arg(long, value_name = "SCORE", value_parser = unit_interval)]
    avg_quality_below: Option<f64>,
    /// At least N messages.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(i32).range(0..))]
    min_messages: Option<i32>,
    /// At most N messages.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(i32).range(0..))]
    max_messages: Option<i32>,
    /// Only reviewed conversations.
    #[arg(long, conflicts_with = "unreviewed")]
    reviewed: bool,
    /// Only conversations nobody has reviewed yet.
    #[arg(long)]
    unreviewed: bool,
    /// The latest review's verdict.
    #[arg(long, value_enum)]
    verdict: Option<VerdictArg>,
    /// The latest review carries this tag.
    #[arg(long)]
    tag: Option<String>,
    /// Words in the title or summary.
    #[arg(long, short)]
    text: Option<String>,
}

#[derive(Debug, Args)]
pub struct FindArgs {
    #[command(flatten)]
    filters: FilterArgs,
    /// Conversations on the page (1–500).
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=500))]
    limit: u32,
    /// The cursor the previous page printed: the next page.
    #[arg(long, value_name = "CURSOR")]
    after: Option<String>,
    #[command(flatten)]
    read: ReadFrom,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The conversation's id.
    id: String,
    /// Which end of the thread the page shows: start or end (`--from` in dates elsewhere).
    #[arg(long = "at", alias = "from", value_parser = ["start", "end"], default_value = "start")]
    at: String,
    /// The messages after this message id.
    #[arg(long, value_name = "MESSAGE_ID", conflicts_with = "before")]
    after: Option<i64>,
    /// The messages before this message id.
    #[arg(long, value_name = "MESSAGE_ID")]
    before: Option<i64>,
    /// Messages on the page (1–500).
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=500))]
    limit: u32,
    #[command(flatten)]
    read: ReadFrom,
}

pub async fn command(
    g: &Global,
    cmd: &ConversationsCommand,
    out: &Out,
) -> anyhow::Result<std::process::ExitCode> {
    match cmd {
        ConversationsCommand::Find(f) => {
            let search = search_of(&f.filters, f.limit)?;
            let server = reader(g, &f.read).await?;
            out.conversation_page(
                &conversations::find(&server, &search, f.after.as_deref()).await?,
            );
        }
        ConversationsCommand::Show(s) => {
            let id = crate::context::id_arg(&s.id, "conversation")?;
            let viewer = actor(g)?;
            let server = reader(g, &s.read).await?;
            let redis = redis_side(g).await?;
            let detail = conversations::show(&server, redis.as_ref(), id, viewer).await?;
            let anchor = match (s.after, s.before, s.at.as_str()) {
                (Some(id), _, _) => ThreadAnchor::After { id },
                (_, Some(id), _) => ThreadAnchor::Before { id },
                (_, _, "end") => ThreadAnchor::End,
                _ => ThreadAnchor::Start,
            };
            let page = conversations::thread(&server, id, anchor, s.limit).await?;
            out.conversation(&detail, &page);
        }
        ConversationsCommand::Export { id, format, read } => {
            let id = crate::context::id_arg(id, "conversation")?;
            let viewer = actor(g)?;
            let server = reader(g, read).await?;
            let format = match format.unwrap_or(if g.json {
                FormatArg::Json
            } else {
                FormatArg::Md
            }) {
                FormatArg::Md => ExportFormat::Md,
                FormatArg::Json => ExportFormat::Json,
                FormatArg::Csv => ExportFormat::Csv,
            };
            let mut stdout = std::io::BufWriter::new(std::io::stdout());
            let written = export::export(&server, id, format, viewer, &mut stdout).await?;
            drop(stdout);
            // Recorded on the primary, whichever server the thread was read from.
            let primary = connect_mysql(g).await?;
            export::record(&primary, actor(g)?, id, format, written).await?;
            eprintln!("{written} messages exported");
        }
        ConversationsCommand::Queue(cmd) => {
            if !crate::queue::queue_command(g, cmd, out).await? {
                return Ok(std::process::ExitCode::from(8));
            }
        }
        ConversationsCommand::Sample(a) => crate::queue::sample_command(g, a, out).await?,
        ConversationsCommand::Dashboard(a) => crate::queue::dashboard_command(g, a, out).await?,
        ConversationsCommand::Review {
            id,
            verdict,
            tags,
            note,
            reviewer,
        } => {
            let id = crate::context::id_arg(id, "conversation")?;
            let actor = actor(g)?;
            let server = connect_mysql(g).await?;
            let reviewer = match reviewer.as_deref().map(str::trim) {
                Some("") => return Err(crate::context::usage("--reviewer needs a name")),
                Some(name) => name.to_owned(),
                None => reviewer_name(g),
            };
            let input = ReviewInput {
                verdict: (*verdict).into(),
                tags: tags.clone(),
                note: note.clone(),
            };
            let saved = review::record(&server, actor, &reviewer, id, &input).await?;
            out.review(id, &saved);
        }
    }
    Ok(std::process::ExitCode::SUCCESS)
}

/// The finder's search from its flags.
pub(crate) fn search_of(f: &FilterArgs, limit: u32) -> anyhow::Result<ConversationSearch> {
    let id = |v: &Option<String>, what| {
        v.as_deref()
            .map(|v| crate::context::id_arg(v, what))
            .transpose()
    };
    Ok(ConversationSearch {
        user_id: id(&f.user, "user")?,
        digital_human_id: id(&f.digital_human, "digital human")?,
        status: f.status.clone(),
        last_message_from: f.from,
        last_message_to: f.to,
        max_satisfaction: f.max_satisfaction,
        user_emotion: f.emotion.clone(),
        min_quality_below: f.min_quality_below,
        avg_quality_below: f.avg_quality_below,
        min_messages: f.min_messages,
        max_messages: f.max_messages,
        reviewed: match (f.reviewed, f.unreviewed) {
            (true, _) => Some(true),
            (_, true) => Some(false),
            _ => None,
        },
        verdict: f.verdict.map(Verdict::from),
        tag: f.tag.clone(),
        text: f.text.clone(),
        limit,
    })
}

/// Who signs a review: the OS account, with the profile's name when one is used.
pub(crate) fn reviewer_name(g: &Global) -> String {
    let account = mindpal_core::audit::operator();
    match &g.profile {
        Some(p) => format!("{account}@{p}"),
        None => account,
    }
}
