//! `conversations queue …`, `conversations sample`, `conversations dashboard`: the support
//! team's shared review queue, QA samples and whether reviewers agree.

use std::time::Duration;

use chrono::NaiveDate;
use clap::{Args, Subcommand, ValueEnum};
use mindpal_core::conversations::agreement;
use mindpal_core::conversations::queue::{self, Claim, ClaimEnd, QueueSource};
use mindpal_core::conversations::sample::{self, SampleBy, SampleSpec};

use crate::Global;
use crate::context::*;
use crate::conversations::{FilterArgs, reviewer_name, search_of};
use crate::output::Out;
use crate::output::words::duration;

#[derive(Debug, Subcommand)]
pub enum QueueCommand {
    /// Claim the next conversation nobody has reviewed or holds: from the finder's filters,
    /// or from a named queue (--queue, e.g. a QA sample). Exit 8 when nothing is left.
    Next(Box<NextArgs>),
    /// Let a conversation you hold go: back to the queue, or --skip (not offered to you again).
    Release {
        /// The conversation's id.
        id: String,
        /// Pass it on: it is not offered to you again.
        #[arg(long)]
        skip: bool,
        #[command(flatten)]
        who: Reviewer,
    },
    /// Keep holding a conversation for another lease from now.
    Renew {
        /// The conversation's id.
        id: String,
        #[command(flatten)]
        who: Reviewer,
        #[command(flatten)]
        lease: Lease,
    },
    /// The conversations you hold now, with the time left on each.
    Mine {
        #[command(flatten)]
        who: Reviewer,
    },
}

#[derive(Debug, Args)]
pub struct Reviewer {
    /// Who is reviewing (default: your OS account, @ the profile's name).
    #[arg(long, value_name = "NAME")]
    reviewer: Option<String>,
}

#[derive(Debug, Args)]
pub struct Lease {
    /// How long the claim lasts unless renewed.
    #[arg(long, default_value_t = 15, value_name = "MINUTES", value_parser = clap::value_parser!(u64).range(1..=1440))]
    lease_minutes: u64,
}

#[derive(Debug, Args)]
pub struct NextArgs {
    #[command(flatten)]
    filters: FilterArgs,
    /// Take from this named queue (a QA sample) instead of the filters.
    #[arg(long, value_name = "NAME")]
    queue: Option<String>,
    #[command(flatten)]
    who: Reviewer,
    #[command(flatten)]
    lease: Lease,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum PerArg {
    Dh,
    Day,
    Satisfaction,
}

#[derive(Debug, Args)]
pub struct SampleArgs {
    /// Conversations per digital human (shorthand for --per dh --n N).
    #[arg(long, value_name = "N", conflicts_with_all = ["per", "n"])]
    per_dh: Option<u32>,
    /// Draw per digital human, per day of last message, or per satisfaction score.
    #[arg(long, value_enum, requires = "n")]
    per: Option<PerArg>,
    /// Conversations per group (1–1000).
    #[arg(long, value_name = "N")]
    n: Option<u32>,
    /// First day of the window, by last message (default: 30 days ago).
    #[arg(long, value_name = "DATE")]
    from: Option<NaiveDate>,
    /// Last day of the window, included (default: today).
    #[arg(long, value_name = "DATE")]
    to: Option<NaiveDate>,
    /// The same seed draws the same sample.
    #[arg(long, value_name = "S")]
    seed: u64,
    /// Keep the sample as this named queue (`queue next --queue NAME`); without it the
    /// sample is only printed.
    #[arg(long, value_name = "NAME")]
    name: Option<String>,
    /// Each conversation wants two reviewers, for the agreement figures.
    #[arg(long)]
    double: bool,
}

#[derive(Debug, Args)]
pub struct DashboardArgs {
    /// First day (default: 7 days ago).
    #[arg(long, value_name = "DATE")]
    from: Option<NaiveDate>,
    /// Last day, included (default: today).
    #[arg(long, value_name = "DATE")]
    to: Option<NaiveDate>,
    /// Only this reviewer (support profiles always see only their own).
    #[arg(long, value_name = "NAME")]
    reviewer: Option<String>,
}

fn reviewer_of(g: &Global, who: &Reviewer) -> anyhow::Result<String> {
    match who.reviewer.as_deref().map(str::trim) {
        Some("") => Err(usage("--reviewer needs a name")),
        Some(name) => Ok(name.to_owned()),
        None => Ok(reviewer_name(g)),
    }
}

fn claim_line(c: &Claim) {
    say!(
        "conversation {} held by {} until {} ({} min left){}",
        c.conversation_id,
        c.reviewer,
        c.expires_at.format("%H:%M:%S"),
        (c.seconds_left + 59) / 60,
        c.queue
            .as_deref()
            .map(|q| format!(", queue {q}"))
            .unwrap_or_default()
    );
}

/// Runs a queue command; `Ok(false)` when `next` found nothing left.
pub async fn queue_command(g: &Global, cmd: &QueueCommand, out: &Out) -> anyhow::Result<bool> {
    let actor = actor(g)?;
    let server = connect_mysql(g).await?;
    match cmd {
        QueueCommand::Next(a) => {
            let reviewer = reviewer_of(g, &a.who)?;
            let source = match &a.queue {
                Some(name) => QueueSource::Named { name: name.clone() },
                None => QueueSource::Filters {
                    search: search_of(&a.filters, 20)?,
                },
            };
            let lease = Duration::from_secs(a.lease.lease_minutes * 60);
            let claim = queue::next(&server, actor, &reviewer, &source, lease).await?;
            out.show(&serde_json::json!({ "claim": claim }), || match &claim {
                Some(c) => claim_line(c),
                None => say!("nothing left to review for these filters"),
            });
            return Ok(claim.is_some());
        }
        QueueCommand::Release { id, skip, who } => {
            let id = id_arg(id, "conversation")?;
            let reviewer = reviewer_of(g, who)?;
            let end = if *skip {
                ClaimEnd::Skipped
            } else {
                ClaimEnd::Released
            };
            let held = queue::release(&server, actor, &reviewer, id, end).await?;
            out.show(
                &serde_json::json!({ "conversation": id.to_string(), "released": held }),
                || {
                    if held {
                        say!("conversation {id} released");
                    } else {
                        say!("you held no claim on conversation {id} (it may have expired)");
                    }
                },
            );
        }
        QueueCommand::Renew { id, who, lease } => {
            let id = id_arg(id, "conversation")?;
            let reviewer = reviewer_of(g, who)?;
            let lease = Duration::from_secs(lease.lease_minutes * 60);
            let claim = queue::renew(&server, actor, &reviewer, id, lease).await?;
            out.show(&claim, || claim_line(&claim));
        }
        QueueCommand::Mine { who } => {
            let reviewer = reviewer_of(g, who)?;
            let claims = queue::mine(&server, &reviewer).await?;
            out.show(&claims, || {
                if claims.is_empty() {
                    say!("{reviewer} holds no conversation");
                }
                claims.iter().for_each(claim_line);
            });
        }
    }
    Ok(true)
}

pub async fn sample_command(g: &Global, a: &SampleArgs, out: &Out) -> anyhow::Result<()> {
    let today = chrono::Local::now().date_naive();
    let (per, n) = match (a.per_dh, a.per, a.n) {
        (Some(n), _, _) => (SampleBy::DigitalHuman, n),
        (None, Some(per), Some(n)) => (
            match per {
                PerArg::Dh => SampleBy::DigitalHuman,
                PerArg::Day => SampleBy::Day,
                PerArg::Satisfaction => SampleBy::Satisfaction,
            },
            n,
        ),
        _ => {
            return Err(usage(
                "say how many: --per-dh N, or --per dh|day|satisfaction --n N",
            ));
        }
    };
    let spec = SampleSpec {
        per,
        n,
        from: a
            .from
            .unwrap_or(today - chrono::Duration::days(sample::DEFAULT_DAYS)),
        to: a.to.unwrap_or(today),
        seed: a.seed,
        reviews_wanted: if a.double { 2 } else { 1 },
    };
    let server = connect_mysql(g).await?;
    let (queue, groups, items) = match &a.name {
        Some(name) => {
            let report = sample::create(&server, actor(g)?, &reviewer_name(g), name, &spec).await?;
            (Some(report.queue), report.groups, report.items)
        }
        None => {
            let items = sample::draw(&server, &spec).await?;
            let mut groups: Vec<&str> = items.iter().map(|i| i.group.as_str()).collect();
            groups.dedup();
            (None, groups.len(), items)
        }
    };
    out.show(
        &serde_json::json!({
            "queue": queue, "spec": spec, "groups": groups, "items": items, "method": sample::METHOD,
        }),
        || {
            say!(
                "{} conversations from {groups} groups, {} to {}, seed {}",
                items.len(),
                spec.from,
                spec.to,
                spec.seed
            );
            say!("drawn: {}", sample::METHOD);
            for item in &items {
                say!("  {:<12} {}", item.group, item.conversation_id);
            }
            match &queue {
                Some(q) => say!("kept as queue `{q}`: conversations queue next --queue {q}"),
                None => say!("not kept: add --name NAME to make it a review queue"),
            }
        },
    );
    Ok(())
}

pub async fn dashboard_command(g: &Global, a: &DashboardArgs, out: &Out) -> anyhow::Result<()> {
    let today = chrono::Local::now().date_naive();
    let from = a.from.unwrap_or(today - chrono::Duration::days(7));
    let to = a.to.unwrap_or(today);
    let own = reviewer_name(g);
    let server = connect_mysql(g).await?;
    let board =
        agreement::dashboard(&server, actor(g)?, &own, a.reviewer.as_deref(), from, to).await?;
    out.show(&board, || {
        say!("reviews {} to {}", board.from, board.to);
        if board.days.is_empty() {
            say!("  no reviews in these days");
        }
        for d in &board.days {
            let mix: Vec<String> = d.verdicts.iter().map(|(v, n)| format!("{v} {n}")).collect();
            say!(
                "  {} {:<24} {:>4} reviews ({})  median to save {}  expired claims {}",
                d.day,
                d.reviewer,
                d.reviews,
                mix.join(", "),
                d.median_seconds_to_save
                    .map(duration)
                    .unwrap_or_else(|| "-".into()),
                d.claims_expired
            );
        }
        say!("agreement (conversations both reviewed)");
        if board.pairs.is_empty() {
            say!("  no conversation was reviewed by two people");
        }
        for p in &board.pairs {
            say!(
                "  {} / {}: {} of {} agree, kappa {}",
                p.a,
                p.b,
                p.agreed,
                p.conversations,
                p.kappa
                    .map(|k| format!("{k:.2}"))
                    .unwrap_or_else(|| "undefined".into())
            );
        }
        for d in &board.disagreements {
            say!(
                "  conversation {}: {} said {}, {} said {}",
                d.conversation_id,
                d.a,
                d.verdict_a,
                d.b,
                d.verdict_b
            );
        }
    });
    Ok(())
}
