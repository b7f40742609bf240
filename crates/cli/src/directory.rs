//! `users …` and `dh …`: find people and digital humans, show one, and the operator's actions.

use chrono::NaiveDate;
use clap::{Args, Subcommand, ValueEnum};
use mindpal_core::directory::actions::{self, DigitalHumanAction, UserAction};
use mindpal_core::directory::digital_humans::{self, DigitalHumanSearch, KnowledgeSearch};
use mindpal_core::directory::users::{self, UserField, UserSearch, UserSort};
use mindpal_core::directory::{Deleted, cache};

use crate::Global;
use crate::context::*;
use crate::output::Out;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Status {
    Enabled,
    Disabled,
}

impl Status {
    fn code(self) -> i8 {
        match self {
            Status::Enabled => 1,
            Status::Disabled => 2,
        }
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Gender {
    Unknown,
    Male,
    Female,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum DeletedArg {
    Hide,
    Only,
    Include,
}

impl From<DeletedArg> for Deleted {
    fn from(d: DeletedArg) -> Self {
        match d {
            DeletedArg::Hide => Deleted::Hide,
            DeletedArg::Only => Deleted::Only,
            DeletedArg::Include => Deleted::Include,
        }
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SortArg {
    Id,
    Created,
    LastLogin,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FieldArg {
    Auto,
    Id,
    Phone,
    Email,
    Nickname,
}

#[derive(Debug, Args)]
pub struct Paging {
    /// Rows per page (1–500).
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=500))]
    limit: u32,
    /// Continue after this cursor (printed as `next` by the previous page).
    #[arg(long, value_name = "CURSOR")]
    after: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Search users by id (#42), phone or email prefix, or nickname prefix; filter; page.
    Find(UserFind),
    /// Everything about one user: profile, preferences, digital humans, recent
    /// conversations, 30-day emotions, and their Redis entries beside the row.
    Show {
        /// The user's id.
        id: String,
        #[command(flatten)]
        read: ReadFrom,
    },
    /// Find a user's login tokens in Redis (a bounded SCAN of token:*, never KEYS).
    Tokens {
        /// The user's id.
        id: String,
        /// At most this many SCAN calls of 1000 keys each (1–100000).
        #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u32).range(1..=100_000))]
        max_scans: u32,
    },
    /// Disable a user (status 2). Operators only; written to operation_logs.
    Disable(ActOn),
    /// Enable a disabled user (status 1).
    Enable(ActOn),
    /// Soft-delete a user (sets deleted_at).
    Delete(ActOn),
    /// Restore a soft-deleted user.
    Restore(ActOn),
    /// Delete the user's cache entries (user:{id}, dashboard:stats:{id}).
    InvalidateCache { id: String },
}

#[derive(Debug, Args)]
pub struct ActOn {
    /// The row's id.
    id: String,
    /// The version you looked at (shown by `show`); the change is refused if the row has
    /// moved on since.
    #[arg(long = "expect-version", value_name = "N")]
    version: i32,
}

#[derive(Debug, Args)]
pub struct UserFind {
    /// Search text; see --field.
    #[arg(long, short)]
    query: Option<String>,
    /// What the text is: auto guesses (#42 id, @ email, digits phone, else nickname).
    #[arg(long, value_enum, default_value = "auto")]
    field: FieldArg,
    /// Enabled or disabled accounts only.
    #[arg(long, value_enum)]
    status: Option<Status>,
    /// The user's platform role (user, admin).
    #[arg(long, value_name = "ROLE")]
    user_role: Option<String>,
    /// The gender the user gave.
    #[arg(long, value_enum)]
    gender: Option<Gender>,
    /// Created on or after (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    created_from: Option<NaiveDate>,
    /// Created on or before (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    created_to: Option<NaiveDate>,
    /// Last logged in on or after (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    last_login_from: Option<NaiveDate>,
    /// Last logged in on or before (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    last_login_to: Option<NaiveDate>,
    /// Soft-deleted users: hidden, only them, or both.
    #[arg(long, value_enum, default_value = "hide")]
    deleted: DeletedArg,
    /// Order when there is no search text (a search orders by the searched column).
    #[arg(long, value_enum, default_value = "id")]
    sort: SortArg,
    /// Oldest/smallest first.
    #[arg(long)]
    asc: bool,
    #[command(flatten)]
    paging: Paging,
    #[command(flatten)]
    read: ReadFrom,
}

#[derive(Debug, Subcommand)]
pub enum DhCommand {
    /// Search digital humans by name prefix or id (#42), owner, template flag, status, model.
    Find(DhFind),
    /// One digital human: persona, voice, system prompt, expertise, owner, knowledge
    /// categories and conversation count.
    Show {
        /// The digital human's id.
        id: String,
        #[command(flatten)]
        read: ReadFrom,
    },
    /// Knowledge-base entries: FULLTEXT search on title and content, category filter.
    Knowledge(KnowledgeFind),
    /// Soft-delete a digital human. Operators only; written to operation_logs.
    Delete(ActOn),
    /// Restore a soft-deleted digital human.
    Restore(ActOn),
}

#[derive(Debug, Args)]
pub struct DhFind {
    /// A name prefix, or #ID.
    #[arg(long, short)]
    query: Option<String>,
    /// The owner's user id.
    #[arg(long, value_name = "USER_ID")]
    owner: Option<String>,
    /// Only templates (yes) or only personal ones (no).
    #[arg(long, value_name = "yes|no", value_parser = parse_yes_no)]
    template: Option<bool>,
    /// Enabled or disabled digital humans only.
    #[arg(long, value_enum)]
    status: Option<Status>,
    /// 2d or 3d.
    #[arg(long, value_name = "TYPE")]
    model_type: Option<String>,
    /// Soft-deleted digital humans: hidden, only them, or both.
    #[arg(long, value_enum, default_value = "hide")]
    deleted: DeletedArg,
    #[command(flatten)]
    paging: Paging,
    #[command(flatten)]
    read: ReadFrom,
}

#[derive(Debug, Args)]
pub struct KnowledgeFind {
    /// Only this digital human's entries.
    #[arg(long = "dh", value_name = "ID")]
    digital_human: Option<String>,
    /// Words to search for in titles and contents.
    #[arg(long, short)]
    query: Option<String>,
    /// Only entries of this category (as `dh show` lists them).
    #[arg(long)]
    category: Option<String>,
    #[command(flatten)]
    paging: Paging,
    #[command(flatten)]
    read: ReadFrom,
}

fn parse_yes_no(s: &str) -> Result<bool, String> {
    match s {
        "yes" | "true" | "1" => Ok(true),
        "no" | "false" | "0" => Ok(false),
        _ => Err("expected yes or no".into()),
    }
}

pub async fn users_command(g: &Global, cmd: &UsersCommand, out: &Out) -> anyhow::Result<()> {
    match cmd {
        UsersCommand::Find(f) => {
            let search = UserSearch {
                query: f.query.clone(),
                field: match f.field {
                    FieldArg::Auto => UserField::Auto,
                    FieldArg::Id => UserField::Id,
                    FieldArg::Phone => UserField::Phone,
                    FieldArg::Email => UserField::Email,
                    FieldArg::Nickname => UserField::Nickname,
                },
                status: f.status.map(Status::code),
                role: f.user_role.clone(),
                gender: f.gender.map(|g| g as i8),
                created_from: f.created_from,
                created_to: f.created_to,
                last_login_from: f.last_login_from,
                last_login_to: f.last_login_to,
                deleted: f.deleted.into(),
                sort: match f.sort {
                    SortArg::Id => UserSort::Id,
                    SortArg::Created => UserSort::CreatedAt,
                    SortArg::LastLogin => UserSort::LastLoginAt,
                },
                descending: !f.asc,
                limit: f.paging.limit,
            };
            let viewer = actor(g)?;
            let server = reader(g, &f.read).await?;
            let page = users::find(&server, &search, f.paging.after.as_deref(), viewer).await?;
            out.user_page(&page);
        }
        UsersCommand::Show { id, read } => {
            let id = crate::context::id_arg(id, "user")?;
            let viewer = actor(g)?;
            let server = reader(g, read).await?;
            let redis = redis_side(g).await?;
            let detail = users::show(&server, redis.as_ref(), id, viewer).await?;
            out.user_detail(&detail);
        }
        UsersCommand::Tokens { id, max_scans } => {
            let id = crate::context::id_arg(id, "user")?;
            let viewer = actor(g)?;
            let redis = crate::context::require_redis(g).await?;
            let scan = cache::find_tokens(&redis, id, *max_scans, viewer).await?;
            out.tokens(&scan);
        }
        UsersCommand::Disable(a) => user_action(g, a, UserAction::Disable, out).await?,
        UsersCommand::Enable(a) => user_action(g, a, UserAction::Enable, out).await?,
        UsersCommand::Delete(a) => user_action(g, a, UserAction::Delete, out).await?,
        UsersCommand::Restore(a) => user_action(g, a, UserAction::Restore, out).await?,
        UsersCommand::InvalidateCache { id } => {
            let id = crate::context::id_arg(id, "user")?;
            let actor = actor(g)?;
            let server = connect_mysql(g).await?;
            let redis = crate::context::require_redis(g).await?;
            let outcome = actions::invalidate_user_cache(&server, &redis, actor, id).await?;
            out.action(&outcome);
        }
    }
    Ok(())
}

async fn user_action(g: &Global, a: &ActOn, action: UserAction, out: &Out) -> anyhow::Result<()> {
    let id = crate::context::id_arg(&a.id, "user")?;
    let actor = actor(g)?;
    let server = connect_mysql(g).await?;
    let redis = redis_side(g).await?;
    let outcome = actions::user(&server, redis.as_ref(), actor, id, a.version, action).await?;
    out.action(&outcome);
    Ok(())
}

pub async fn dh_command(g: &Global, cmd: &DhCommand, out: &Out) -> anyhow::Result<()> {
    match cmd {
        DhCommand::Find(f) => {
            let owner = f
                .owner
                .as_deref()
                .map(|o| crate::context::id_arg(o, "user"))
                .transpose()?;
            let search = DigitalHumanSearch {
                query: f.query.clone(),
                owner,
                is_template: f.template,
                status: f.status.map(Status::code),
                model_type: f.model_type.clone(),
                deleted: f.deleted.into(),
                limit: f.paging.limit,
            };
            let server = reader(g, &f.read).await?;
            let page = digital_humans::find(&server, &search, f.paging.after.as_deref()).await?;
            out.dh_page(&page);
        }
        DhCommand::Show { id, read } => {
            let id = crate::context::id_arg(id, "digital human")?;
            let viewer = actor(g)?;
            let server = reader(g, read).await?;
            out.dh_detail(&digital_humans::show(&server, id, viewer).await?);
        }
        DhCommand::Knowledge(k) => {
            let digital_human_id = k
                .digital_human
                .as_deref()
                .map(|d| crate::context::id_arg(d, "digital human"))
                .transpose()?;
            let search = KnowledgeSearch {
                digital_human_id,
                query: k.query.clone(),
                category: k.category.clone(),
                limit: k.paging.limit,
            };
            let server = reader(g, &k.read).await?;
            let page =
                digital_humans::knowledge(&server, &search, k.paging.after.as_deref()).await?;
            out.knowledge_page(&page);
        }
        DhCommand::Delete(a) | DhCommand::Restore(a) => {
            let action = if matches!(cmd, DhCommand::Delete(_)) {
                DigitalHumanAction::Delete
            } else {
                DigitalHumanAction::Restore
            };
            let id = crate::context::id_arg(&a.id, "digital human")?;
            let actor = actor(g)?;
            let server = connect_mysql(g).await?;
            let outcome = actions::digital_human(&server, actor, id, a.version, action).await?;
            out.action(&outcome);
        }
    }
    Ok(())
}
