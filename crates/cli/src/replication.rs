//! `mindpal-admin replication`: every replica's health, true lag, Redis links and Sentinel.

use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Subcommand};
use mindpal_core::Error;
use mindpal_core::access::Role;
use mindpal_core::mysql::{MysqlServer, MysqlTarget};
use mindpal_core::profiles::Profile;
use mindpal_core::replication::{self, ReplicationReport, Thresholds, Verdict, heartbeat};

use crate::Global;
use crate::context::*;
use crate::output::Out;
use crate::output::words::duration;

#[derive(Debug, Subcommand)]
pub enum ReplicationCommand {
    /// Health of the primary, each replica (threads, errors, GTID, true lag), Redis and
    /// Sentinel. Exit code: 0 healthy, 1 degraded (lagging, or cannot tell), 2 broken or
    /// unreachable.
    Status(StatusArgs),
    /// A pt-heartbeat compatible table on the primary, for lag that stays true while a
    /// replica's SQL thread is stopped (operators; audited).
    #[command(subcommand)]
    Heartbeat(HeartbeatCommand),
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Check again every --interval seconds until Ctrl-C, one line per server and poll.
    #[arg(long)]
    watch: bool,
    /// Seconds between checks with --watch.
    #[arg(long, default_value_t = 2.0, value_name = "SECS", value_parser = |s: &str| crate::context::seconds(s, 0.2, 3600.0))]
    interval: f64,
    /// A replica this many seconds behind is lagging.
    #[arg(long, default_value_t = 10.0, value_name = "SECS", value_parser = |s: &str| crate::context::seconds(s, 0.0, 86400.0))]
    lag_threshold: f64,
    /// How long each server may take to answer a check.
    #[arg(long, default_value_t = 2000, value_name = "MS", value_parser = clap::value_parser!(u64).range(100..=60_000))]
    server_timeout_ms: u64,
    /// With --watch: also write the heartbeat each poll (operators; the table must exist).
    #[arg(long)]
    beat: bool,
}

#[derive(Debug, Subcommand)]
pub enum HeartbeatCommand {
    /// Create percona.heartbeat on the primary.
    Create,
    /// Write the heartbeat every --interval seconds until Ctrl-C (what pt-heartbeat --update does).
    Run {
        /// Seconds between beats.
        #[arg(long, default_value_t = 1.0, value_name = "SECS", value_parser = |s: &str| crate::context::seconds(s, 0.1, 3600.0))]
        interval: f64,
    },
}

/// The servers to check: the profile, or `--mysql` alone (no replicas then but those the
/// primary reports).
fn topology(g: &Global) -> anyhow::Result<Profile> {
    let cluster = crate::context::cluster_seeds(g)?;
    if g.mysql.is_none()
        && let Some(mut p) = profile(g)?
    {
        if cluster.is_some() {
            p.redis = cluster;
        }
        return Ok(p);
    }
    let mysql: MysqlTarget = mysql_target(g)?;
    Ok(Profile {
        name: "command line".into(),
        role: Role::Operator,
        read_only: false,
        mysql,
        replicas: Vec::new(),
        redis: cluster,
        ssh: None,
        backup_dir: None,
        alerts: Default::default(),
    })
}

pub async fn command(g: &Global, cmd: &ReplicationCommand, out: &Out) -> anyhow::Result<ExitCode> {
    match cmd {
        ReplicationCommand::Status(args) => status(g, args, out).await,
        ReplicationCommand::Heartbeat(HeartbeatCommand::Create) => {
            let primary = MysqlServer::connect(&mysql_target(g)?, timeout(g), 1).await?;
            let table = heartbeat::create(&primary, crate::context::actor(g)?).await?;
            heartbeat::beat(&primary, crate::context::actor(g)?, &table).await?;
            out.show(&table, || {
                say!(
                    "created {}.{} on {} (written to operation_logs); keep it beating with `replication heartbeat run`",
                    table.database,
                    table.table,
                    primary.info.address
                );
            });
            Ok(ExitCode::SUCCESS)
        }
        ReplicationCommand::Heartbeat(HeartbeatCommand::Run { interval }) => {
            let actor = crate::context::actor(g)?;
            let primary = MysqlServer::connect(&mysql_target(g)?, timeout(g), 1).await?;
            let table = heartbeat::find(&primary).await?.ok_or_else(|| {
                Error::NotFound(
                    "no heartbeat table on the primary: run `replication heartbeat create` first"
                        .into(),
                )
            })?;
            eprintln!(
                "writing {}.{} every {interval} s; Ctrl-C stops",
                table.database, table.table
            );
            let mut tick = tokio::time::interval(Duration::from_secs_f64(*interval));
            loop {
                tokio::select! {
                    _ = tick.tick() => heartbeat::beat(&primary, actor, &table).await?,
                    _ = tokio::signal::ctrl_c() => return Ok(ExitCode::SUCCESS),
                }
            }
        }
    }
}

async fn status(g: &Global, args: &StatusArgs, out: &Out) -> anyhow::Result<ExitCode> {
    let profile = topology(g)?;
    let thresholds = Thresholds {
        lagging_after_s: args.lag_threshold,
        timeout_ms: args.server_timeout_ms,
    };
    let actor = crate::context::actor(g)?;
    let beater = if args.beat {
        let primary = MysqlServer::connect(&profile.mysql, timeout(g), 1).await?;
        let table = heartbeat::find(&primary).await?.ok_or_else(|| {
            Error::NotFound(
                "no heartbeat table on the primary: run `replication heartbeat create` first"
                    .into(),
            )
        })?;
        // The first beat says at once whether this profile may write it.
        heartbeat::beat(&primary, actor, &table).await?;
        Some((primary, table))
    } else {
        None
    };
    let mut last_master: Option<String> = None;
    loop {
        if let Some((primary, table)) = &beater {
            // A primary that stopped answering shows in the report; the beat just waits.
            let _ = heartbeat::beat(primary, actor, table).await;
        }
        let report = replication::check(&profile.servers(), &thresholds).await;
        let master = report.redis.as_ref().and_then(|r| r.master.clone());
        if let (Some(before), Some(now)) = (&last_master, &master)
            && before != now
            && !out.is_json()
        {
            say!("failover: the Redis master moved from {before} to {now}");
        }
        last_master = master;
        print(out, &report, args.watch);
        if !args.watch {
            return Ok(ExitCode::from(report.overall.exit_code()));
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs_f64(args.interval)) => {}
            _ = tokio::signal::ctrl_c() => return Ok(ExitCode::from(report.overall.exit_code())),
        }
    }
}

fn word(v: Verdict) -> &'static str {
    match v {
        Verdict::Healthy => "healthy",
        Verdict::Lagging => "lagging",
        Verdict::Unknown => "unknown",
        Verdict::Unreachable => "unreachable",
        Verdict::Broken => "broken",
    }
}

/// One document per poll; with --watch, one per line.
fn print(out: &Out, r: &ReplicationReport, watch: bool) {
    if watch {
        out.show_line(r, || print_text(r, watch));
    } else {
        out.show(r, || print_text(r, watch));
    }
}

fn print_text(r: &ReplicationReport, watch: bool) {
    if watch {
        say!(
            "-- {} · overall {} · {:.0} ms",
            chrono::Local::now().format("%H:%M:%S"),
            word(r.overall),
            r.elapsed_ms
        );
    } else {
        say!("overall: {} ({:.0} ms)", word(r.overall), r.elapsed_ms);
    }
    let p = &r.primary;
    match &p.error {
        Some(e) => say!("  primary  {:<22} unreachable: {}", p.address, e.message),
        None => say!(
            "  primary  {:<22} server {} · binlog {}:{} · gtid {} · heartbeat {}{}",
            p.address,
            p.server_id.map(|i| i.to_string()).unwrap_or_default(),
            p.binlog_file.clone().unwrap_or_default(),
            p.binlog_pos.clone().unwrap_or_default(),
            p.gtid_position.clone().unwrap_or_else(|| "—".into()),
            match (&p.heartbeat, p.heartbeat_age_s) {
                (None, _) => "none (create one: replication heartbeat create)".to_owned(),
                (Some(h), Some(age)) if age > 5.0 => format!(
                    "{}.{}, not being written (last beat {age:.0} s ago: run `replication heartbeat run`)",
                    h.database, h.table
                ),
                (Some(h), _) => format!("{}.{}", h.database, h.table),
            },
            if p.seen_replicas.is_empty() {
                String::new()
            } else {
                format!(" · sees {}", p.seen_replicas.join(", "))
            }
        ),
    }
    for rep in &r.replicas {
        let lag = rep.lag_s().map(duration).unwrap_or_else(|| "—".into());
        say!(
            "  replica  {:<22} {:<11} lag {lag:<8} gtid gap {} · {}{}",
            rep.address,
            word(rep.verdict),
            rep.gtid_gap
                .map(|g| g.to_string())
                .unwrap_or_else(|| "—".into()),
            rep.reason,
            if rep.discovered {
                " (found through the primary)"
            } else {
                ""
            }
        );
    }
    if let Some(redis) = &r.redis {
        say!(
            "  redis    {:<22} {:<11} {}",
            redis.master.clone().unwrap_or_else(|| "—".into()),
            word(redis.overall),
            redis.reason
        );
        for n in redis.nodes.iter().skip(1) {
            say!(
                "    replica {:<21} {:<11} {} · {} bytes behind",
                n.address,
                word(n.verdict),
                n.reason,
                n.lag_bytes
                    .map(|b| b.to_string())
                    .unwrap_or_else(|| "?".into())
            );
        }
        if let Some(cluster) = &redis.cluster {
            say!(
                "    cluster {} · {}/{} slots ok · as seen by {}",
                cluster.state.clone().unwrap_or_else(|| "unknown".into()),
                cluster.slots_ok.unwrap_or(0),
                cluster.slots_assigned.unwrap_or(0),
                cluster.address
            );
            for n in &cluster.nodes {
                say!(
                    "    {:<8} {:<21} {} {:<8} {:<12} {}",
                    n.role,
                    n.address,
                    &n.id[..8.min(n.id.len())],
                    if n.failed() {
                        "FAILED"
                    } else if n.suspected() {
                        "fail?"
                    } else {
                        "ok"
                    },
                    n.link,
                    n.slot_ranges()
                );
            }
        }
        for s in &redis.sentinels {
            match &s.error {
                Some(e) => say!("    sentinel {:<20} {}", s.address, e.message),
                None => say!(
                    "    sentinel {:<20} master {} ({}) · {} sentinel(s), quorum {} · {}",
                    s.address,
                    s.master.clone().unwrap_or_default(),
                    s.master_flags.clone().unwrap_or_default(),
                    s.sentinels,
                    s.quorum.map(|q| q.to_string()).unwrap_or_default(),
                    s.ckquorum.clone().unwrap_or_default()
                ),
            }
        }
    }
}
