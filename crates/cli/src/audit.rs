//! `mindpal-admin audit`: what the console changed, who did it and from where, newest first.

use chrono::NaiveDate;
use clap::{Args, ValueEnum};
use mindpal_core::audit::trail::{self, AuditSearch};

use crate::Global;
use crate::context::*;
use crate::output::Out;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ExportArg {
    Csv,
    Json,
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Changes made by this operating-system account.
    #[arg(long, value_name = "NAME")]
    operator: Option<String>,
    /// Actions starting with this: `user.` (disable, enable, cache …), `backup.`, `conversation.review`.
    #[arg(long, value_name = "PREFIX")]
    action: Option<String>,
    /// `user`, `digital_human`, `conversation`, `backup`, `schema`, `redis` …
    #[arg(long, value_name = "TYPE")]
    resource_type: Option<String>,
    /// The id of the row changed (with --resource-type).
    #[arg(long, value_name = "ID")]
    resource_id: Option<String>,
    /// The console's host as the server saw it.
    #[arg(long, value_name = "HOST")]
    host: Option<String>,
    /// On or after this day (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    from: Option<NaiveDate>,
    /// On or before this day (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    to: Option<NaiveDate>,
    /// Rows per page (1–500).
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=500))]
    limit: u32,
    /// Continue after this cursor (printed by the previous page).
    #[arg(long, value_name = "CURSOR")]
    after: Option<String>,
    /// Every matching row (all pages) as CSV or JSON lines on stdout.
    #[arg(long, value_name = "FORMAT")]
    export: Option<ExportArg>,
}

pub async fn command(g: &Global, args: &AuditArgs, out: &Out) -> anyhow::Result<()> {
    let search = AuditSearch {
        operator: args.operator.clone(),
        action: args.action.clone(),
        resource_type: args.resource_type.clone(),
        resource_id: args
            .resource_id
            .as_deref()
            .map(|id| id_arg(id, "resource"))
            .transpose()?,
        client_host: args.host.clone(),
        from: args.from,
        to: args.to,
        limit: args.limit,
    };
    let actor = actor(g)?;
    let server = connect_mysql(g).await?;
    if let Some(format) = args.export {
        let mut stdout = std::io::BufWriter::new(std::io::stdout());
        let rows = trail::export(
            &server,
            actor,
            &search,
            matches!(format, ExportArg::Json),
            &mut stdout,
        )
        .await?;
        eprintln!("{rows} rows exported");
        return Ok(());
    }
    let page = trail::find(&server, actor, &search, args.after.as_deref()).await?;
    out.show(&page, || {
        if page.rows.is_empty() {
            say!("No changes match.");
        }
        for row in &page.rows {
            say!(
                "#{:<8} {}  {:<12} {:<28} {}{}  from {}",
                row.id,
                row.created_at.as_deref().unwrap_or("?"),
                row.operator.as_deref().unwrap_or("—"),
                row.action,
                row.resource_type,
                row.resource_id
                    .map(|id| format!(" #{id}"))
                    .unwrap_or_default(),
                row.client_host.as_deref().unwrap_or("?"),
            );
            for change in row.changes.iter().filter(|c| c.changed) {
                let show = |v: &Option<serde_json::Value>| {
                    v.as_ref().map_or_else(|| "—".to_owned(), |v| v.to_string())
                };
                say!(
                    "           {}: {} → {}",
                    change.field,
                    show(&change.before),
                    show(&change.after)
                );
            }
        }
        if let Some(note) = &page.note {
            say!("({note})");
        }
        if let Some(next) = &page.next {
            say!("more: --after {next}");
        }
    });
    Ok(())
}
