//! `mindpal-admin status`: is anything wrong anywhere? Every profile at once, each within its
//! own time limit, worst first; the exit code is the worst verdict, for cron and alerting.

use std::process::ExitCode;
use std::time::Instant;

use clap::Args;
use mindpal_core::fleet::{self, FleetEntry, Severity};
use mindpal_core::profiles;

use crate::Global;
use crate::context::*;
use crate::output::Out;
use crate::output::words::{bytes, duration};

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Every saved profile at once (default: the --profile's servers only).
    #[arg(long)]
    all: bool,
    /// How long each profile's check may take, instead of the profile's own limit.
    #[arg(long, value_name = "SECS", value_parser = |s: &str| crate::context::seconds(s, 0.5, 600.0))]
    timeout: Option<f64>,
}

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct FleetReport<'a> {
    worst: Severity,
    elapsed_ms: f64,
    profiles: &'a [FleetEntry],
}

pub async fn command(g: &Global, args: &StatusArgs, out: &Out) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let mut prepared = Vec::new();
    if args.all {
        let stored = profiles::load(&store_path(g)?)?;
        if stored.is_empty() {
            return Err(usage(
                "no profiles saved yet: add one in the app, or run `mindpal-admin sandbox up`",
            ));
        }
        // The keyring blocks; every profile's passwords are read side by side.
        let reads: Vec<_> = stored
            .into_iter()
            .map(|mut p| {
                if let Some(secs) = args.timeout {
                    p.alerts.timeout_ms = (secs * 1000.0) as u64;
                }
                tokio::task::spawn_blocking(move || fleet::prepare(&p))
            })
            .collect();
        for read in reads {
            prepared.push(read.await?);
        }
    } else {
        let Some(mut p) = profile(g)? else {
            return Err(usage(
                "status checks saved profiles: pass --profile NAME, or --all for every profile",
            ));
        };
        if let Some(secs) = args.timeout {
            p.alerts.timeout_ms = (secs * 1000.0) as u64;
        }
        prepared.push(p.into());
    }
    let entries = fleet::check_all(prepared).await;
    let worst = entries
        .iter()
        .map(|e| e.severity)
        .max()
        .unwrap_or(Severity::Ok);
    let report = FleetReport {
        worst,
        elapsed_ms: started.elapsed().as_secs_f64() * 1000.0,
        profiles: &entries,
    };
    out.show(&report, || print_text(&report));
    Ok(ExitCode::from(worst.exit_code()))
}

fn severity_word(s: Severity) -> &'static str {
    match s {
        Severity::Ok => "ok",
        Severity::Warning => "WARNING",
        Severity::Critical => "CRITICAL",
    }
}

/// One row of the table, in the header's order.
fn cells(e: &FleetEntry) -> [String; 9] {
    let dash = || "—".to_owned();
    let primary = e
        .primary
        .as_ref()
        .map(|p| format!("{} {}", p.address, p.version.as_deref().unwrap_or("?")))
        .unwrap_or_else(|| "unreachable".into());
    let replication = e
        .replication
        .as_ref()
        .map(|r| {
            let lag = r
                .worst_lag_s
                .map(|l| format!(", lag {}", duration(l)))
                .unwrap_or_default();
            format!("{:?}{lag}", r.verdict).to_lowercase()
        })
        .unwrap_or_else(dash);
    let redis = e
        .redis
        .as_ref()
        .map(|r| {
            let memory = if r.max_memory_bytes > 0 {
                format!(
                    "{} of {}",
                    bytes(r.used_memory_bytes),
                    bytes(r.max_memory_bytes)
                )
            } else {
                bytes(r.used_memory_bytes)
            };
            match r.hit_rate {
                Some(h) => format!("{memory}, hits {:.0}%", h * 100.0),
                None => memory,
            }
        })
        .unwrap_or_else(dash);
    let (qps, running) = e
        .load
        .as_ref()
        .map(|l| (format!("{:.1}", l.qps), l.threads_running.to_string()))
        .unwrap_or_else(|| (dash(), dash()));
    let backup = e
        .backup
        .as_ref()
        .map(|b| match (b.age_hours, &b.error) {
            (Some(age), _) => fleet::judge::hours(age),
            (None, Some(_)) => "unreadable".into(),
            (None, None) => "none".into(),
        })
        .unwrap_or_else(|| "not set".into());
    let schema = e
        .schema
        .as_ref()
        .map(|s| {
            if s.missing_tables.is_empty() && s.pending_migrations == 0 && s.unknown_migrations == 0
            {
                "up to date".to_owned()
            } else {
                "drift".to_owned()
            }
        })
        .unwrap_or_else(dash);
    [
        e.profile.clone(),
        severity_word(e.severity).to_owned(),
        primary,
        replication,
        redis,
        qps,
        running,
        backup,
        schema,
    ]
}

fn print_text(report: &FleetReport) {
    let header = [
        "PROFILE",
        "STATE",
        "PRIMARY",
        "REPLICATION",
        "REDIS",
        "QPS",
        "RUNNING",
        "BACKUP",
        "SCHEMA",
    ];
    let rows: Vec<[String; 9]> = report.profiles.iter().map(cells).collect();
    let widths: Vec<usize> = (0..header.len())
        .map(|i| {
            rows.iter()
                .map(|r| r[i].chars().count())
                .chain([header[i].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        say!("{}", padded.join("  ").trim_end());
    };
    line(header.to_vec());
    for row in &rows {
        line(row.iter().map(String::as_str).collect());
    }
    let problems: Vec<(&FleetEntry, &fleet::Problem)> = report
        .profiles
        .iter()
        .flat_map(|e| e.problems.iter().map(move |p| (e, p)))
        .collect();
    if problems.is_empty() {
        say!("\nNothing wrong anywhere.");
    } else {
        let mut problems = problems;
        problems.sort_by_key(|p| std::cmp::Reverse(p.1.severity));
        say!("\nWhat is wrong, worst first:");
        for (entry, p) in problems {
            say!(
                "  {:<8}  {} · {}: {}",
                severity_word(p.severity),
                entry.profile,
                p.area,
                p.text
            );
        }
    }
    say!(
        "\n{} checked in {}",
        match report.profiles.len() {
            1 => "1 profile".to_owned(),
            n => format!("{n} profiles"),
        },
        duration(report.elapsed_ms / 1000.0)
    );
}
