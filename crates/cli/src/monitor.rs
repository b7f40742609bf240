//! `mindpal-admin monitor`: load, sessions, statements, settings, KILL.

use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Subcommand};
use mindpal_core::monitor::advisor::{self, Advice, Verdict};
use mindpal_core::monitor::sessions::{self, KillMode, SessionFilter, SessionsReport};
use mindpal_core::monitor::{self, DashboardPoint, TopReport};

use crate::Global;
use crate::cache::redis_nodes;
use crate::context::no_redis;
use crate::context::*;
use crate::output::Out;
use crate::output::words::{bytes, duration};

#[derive(Debug, Subcommand)]
pub enum MonitorCommand {
    /// Load between two readings of SHOW GLOBAL STATUS: QPS by kind, threads against
    /// max_connections, buffer-pool hit ratio, rows, slow queries, aborted connects, temp tables.
    Status {
        /// Seconds between the two readings; with --watch, between lines.
        #[arg(long, default_value_t = 1.0, value_name = "SECS", value_parser = |s: &str| crate::context::seconds(s, 0.2, 3600.0))]
        interval: f64,
        /// A line every --interval until Ctrl-C.
        #[arg(long)]
        watch: bool,
    },
    /// The processlist (filtered), transactions open too long, and who blocks whom.
    Sessions(SessionArgs),
    /// The statements that cost most: by digest from performance_schema, else the slow log table.
    Top {
        /// Statements listed (1–500).
        #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=500))]
        limit: u32,
    },
    /// The live MySQL and Redis settings beside the platform's recommendations.
    Advise,
    /// KILL QUERY (default) or, with --connection, KILL a session (operators; audited).
    Kill {
        /// The session's id, as `monitor sessions` lists it.
        id: u64,
        /// Drop the whole connection (rolling back its transaction), not just its statement.
        #[arg(long)]
        connection: bool,
        /// Required: you have checked it is the right session.
        #[arg(long)]
        yes: bool,
    },
    /// Redis memory, hit rate, evictions, expirations, clients, ops/s, keys per db, SLOWLOG.
    Redis,
}

#[derive(Debug, Args)]
pub struct SessionArgs {
    /// Only this MySQL account's sessions.
    #[arg(long)]
    user: Option<String>,
    /// Start of the client host, e.g. 10.0.3.
    #[arg(long)]
    host: Option<String>,
    /// Only sessions using this database.
    #[arg(long)]
    db: Option<String>,
    /// Query, Sleep, Binlog Dump...
    #[arg(long)]
    command: Option<String>,
    /// Only sessions in their state at least this many seconds.
    #[arg(long, value_name = "SECS")]
    min_time: Option<u64>,
    /// Leave out sleeping connections.
    #[arg(long)]
    active: bool,
    /// A transaction open this long is listed as long.
    #[arg(long, default_value_t = sessions::LONG_TRANSACTION_SECONDS, value_name = "SECS")]
    long_after: u64,
}

/// Pretty JSON on stdout, through `say!`.
pub(crate) fn needs_yes(yes: bool, what: &str) -> anyhow::Result<()> {
    if !yes {
        return Err(usage(format!("{what}: add --yes to confirm")));
    }
    Ok(())
}

fn pct(v: Option<f64>) -> String {
    v.map(|v| format!("{:.2} %", v * 100.0))
        .unwrap_or_else(|| "–".into())
}

fn point_line(p: &DashboardPoint) -> String {
    format!(
        "{:>8.1} qps (sel {:.1} ins {:.1} upd {:.1} del {:.1} other {:.1}) · threads {}/{} running {} · bp hit {} · rows r/w {:.0}/{:.0}/s · slow {} · aborted {} · tmp disk {}/{}",
        p.qps,
        p.select_per_sec,
        p.insert_per_sec,
        p.update_per_sec,
        p.delete_per_sec,
        p.other_per_sec,
        p.threads_connected,
        p.max_connections,
        p.threads_running,
        pct(p.buffer_pool_hit_ratio),
        p.rows_read_per_sec,
        p.rows_written_per_sec,
        p.slow_queries,
        p.aborted_connects,
        p.tmp_disk_tables,
        p.tmp_tables
    )
}

pub async fn monitor_command(
    g: &Global,
    cmd: &MonitorCommand,
    out: &Out,
) -> anyhow::Result<ExitCode> {
    match cmd {
        MonitorCommand::Status { interval, watch } => {
            let server = connect_mysql(g).await?;
            let interval = Duration::from_secs_f64(*interval);
            let cancel = cancel_on_ctrl_c();
            let mut history = monitor::History::default();
            history.push(monitor::status::sample(&server).await?);
            loop {
                tokio::select! {
                    _ = tokio::time::sleep(interval) => {}
                    _ = cancel.cancelled() => return Ok(ExitCode::SUCCESS),
                }
                let dashboard = history.push(monitor::status::sample(&server).await?);
                let point = dashboard.points.last().expect("two samples make a point");
                let text = || {
                    let time = chrono::Local::now().format("%H:%M:%S");
                    say!("{time} {}", point_line(point));
                };
                if *watch {
                    out.show_line(point, text);
                } else {
                    out.show(
                        &serde_json::json!({ "point": point, "uptimeSeconds": dashboard.uptime_seconds,
                        "slowQueriesTotal": dashboard.slow_queries_total, "maxUsedConnections": dashboard.max_used_connections }),
                        text,
                    );
                }
                if !*watch {
                    return Ok(ExitCode::SUCCESS);
                }
            }
        }
        MonitorCommand::Sessions(args) => {
            let server = connect_mysql(g).await?;
            let filter = SessionFilter {
                user: args.user.clone(),
                host: args.host.clone(),
                db: args.db.clone(),
                command: args.command.clone(),
                min_seconds: args.min_time,
                hide_sleeping: args.active,
            };
            let report =
                sessions::report(&server, crate::context::actor(g)?, &filter, args.long_after)
                    .await?;
            out.show(&report, || {
                print_sessions(&report);
            });
        }
        MonitorCommand::Top { limit } => {
            let server = connect_mysql(g).await?;
            let report = monitor::top::top(&server, crate::context::actor(g)?, *limit).await?;
            out.show(&report, || {
                print_top(&report);
            });
        }
        MonitorCommand::Advise => {
            let server = connect_mysql(g).await?;
            let mut advice = advisor::mysql(&server).await?;
            if let Some(nodes) = redis_nodes(g).await? {
                advice.extend(advisor::redis(&nodes.servers[0]).await);
            }
            out.show(&advice, || {
                print_advice(&advice);
            });
            if advice.iter().any(|a| a.verdict == Verdict::Differs) {
                return Ok(ExitCode::from(5));
            }
        }
        MonitorCommand::Kill {
            id,
            connection,
            yes,
        } => {
            needs_yes(*yes, "KILL ends another client's work")?;
            let server = connect_mysql(g).await?;
            let mode = if *connection {
                KillMode::Connection
            } else {
                KillMode::Query
            };
            let killed = sessions::kill(&server, crate::context::actor(g)?, *id, mode).await?;
            out.show(&killed, || {
                say!(
                    "killed {} of session {} ({}@{}){}; written to operation_logs",
                    if *connection {
                        "the connection"
                    } else {
                        "the statement"
                    },
                    killed.thread_id,
                    killed.user,
                    killed.host,
                    killed
                        .statement
                        .as_deref()
                        .map(|s| format!(": {}", one_line(s, 80)))
                        .unwrap_or_default()
                );
            });
        }
        MonitorCommand::Redis => {
            let nodes = redis_nodes(g).await?.ok_or_else(no_redis)?;
            for server in &nodes.servers {
                let status = monitor::redis::status(server, actor(g)?).await?;
                out.show(&status, || {
                say!(
                    "{} · Redis {} · {} · up {}",
                    status.server.address,
                    status.server.version,
                    status.server.role,
                    duration(status.uptime_seconds as f64)
                );
                say!(
                    "  memory {} (peak {}, fragmentation {:.2}) of {} · policy {}",
                    bytes(status.used_memory),
                    bytes(status.used_memory_peak),
                    status.fragmentation_ratio,
                    if status.maxmemory == 0 {
                        "no limit".into()
                    } else {
                        bytes(status.maxmemory)
                    },
                    status.maxmemory_policy
                );
                say!(
                    "  hit rate {} ({} hits, {} misses) · evicted {} · expired {} · clients {} (blocked {}) · {} ops/s",
                    pct(status.hit_rate),
                    status.keyspace_hits,
                    status.keyspace_misses,
                    status.evicted_keys,
                    status.expired_keys,
                    status.connected_clients,
                    status.blocked_clients,
                    status.ops_per_sec
                );
                for db in &status.keyspace {
                    say!("  db{}: {} keys, {} with a TTL", db.db, db.keys, db.expires);
                }
                say!("  slowlog: {} entries", status.slowlog_length);
                for e in status.slowlog.iter().take(10) {
                    let at = chrono::DateTime::from_timestamp(e.at_unix, 0).map(|t| {
                        t.with_timezone(&chrono::Local)
                            .format("%H:%M:%S")
                            .to_string()
                    });
                    say!(
                        "    {} {:>8} µs  {}",
                        at.unwrap_or_default(),
                        e.micros,
                        one_line(&e.command.join(" "), 100)
                    );
                }
                });
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn one_line(text: &str, max: usize) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() > max {
        format!("{}…", flat.chars().take(max).collect::<String>())
    } else {
        flat
    }
}

fn print_sessions(r: &SessionsReport) {
    say!(
        "{:>8} {:<12} {:<22} {:<14} {:<8} {:>6}  statement",
        "id",
        "user",
        "host",
        "db",
        "command",
        "secs"
    );
    for s in &r.sessions {
        say!(
            "{:>8} {:<12} {:<22} {:<14} {:<8} {:>6}  {}{}",
            s.id,
            s.user,
            s.host,
            s.db.as_deref().unwrap_or("-"),
            s.command,
            s.seconds,
            s.statement
                .as_deref()
                .map(|t| one_line(t, 70))
                .unwrap_or_default(),
            if s.own { "  (this console)" } else { "" }
        );
    }
    if r.truncated {
        say!(
            "(only the first {} sessions; filter to see the rest)",
            sessions::PROCESSLIST_LIMIT
        );
    }
    say!(
        "\ntransactions open over {}: {}",
        duration(r.long_after_seconds as f64),
        r.long_transactions.len()
    );
    for t in &r.long_transactions {
        say!(
            "  trx {} · session {} · {} · {} · {} rows locked, {} modified · {}@{} {}",
            t.trx_id,
            t.thread_id,
            duration(t.age_seconds as f64),
            t.state,
            t.rows_locked,
            t.rows_modified,
            t.user.as_deref().unwrap_or("?"),
            t.host.as_deref().unwrap_or("?"),
            match (t.command.as_deref(), &t.statement) {
                (_, Some(s)) => one_line(s, 60),
                (Some("Sleep"), None) => "idle inside the transaction (a forgotten COMMIT?)".into(),
                _ => String::new(),
            }
        );
    }
    say!("\nlock waits ({}): {}", r.lock_source, r.lock_waits.len());
    for w in &r.lock_waits {
        say!(
            "  session {} waits {} on {} {} held by session {} (open {}): {}  ⟵  {}",
            w.waiting_thread,
            duration(w.waiting_seconds as f64),
            w.table.as_deref().unwrap_or("?"),
            w.mode.as_deref().unwrap_or(""),
            w.blocking_thread,
            duration(w.blocking_age_seconds as f64),
            w.waiting_statement
                .as_deref()
                .map(|s| one_line(s, 50))
                .unwrap_or_default(),
            w.blocking_statement
                .as_deref()
                .map(|s| one_line(s, 50))
                .unwrap_or_else(|| "(idle)".into())
        );
    }
}

fn print_top(r: &TopReport) {
    say!("source: {}", r.note);
    if r.statements.is_empty() {
        return;
    }
    say!(
        "{:>8} {:>10} {:>10} {:>12} {:>10}  statement",
        "count",
        "total s",
        "avg ms",
        "examined",
        "sent"
    );
    for s in &r.statements {
        say!(
            "{:>8} {:>10.3} {:>10.2} {:>12} {:>10}  {}",
            s.count,
            s.total_seconds,
            s.average_seconds * 1000.0,
            s.rows_examined,
            s.rows_sent,
            one_line(&s.text, 90)
        );
    }
}

fn print_advice(advice: &[Advice]) {
    for a in advice {
        let mark = match a.verdict {
            Verdict::Ok => "ok     ",
            Verdict::Differs => "DIFFERS",
            Verdict::Unknown => "?      ",
        };
        say!(
            "{mark} {:<6} {:<42} {} (recommended {})",
            a.server,
            a.setting,
            a.current,
            a.recommended
        );
        say!("        {}", a.why);
    }
}
