//! `mindpal-admin cache`: the Redis cache browser (SCAN only), one key by type, memory by
//! key shape, audited deletes and expiries.

use std::process::ExitCode;

use clap::Subcommand;
use mindpal_core::Error;
use mindpal_core::cache::analyze::{self, MemoryAnalysis};
use mindpal_core::cache::value::{self, KeyRequest, KeyView};
use mindpal_core::cache::{self, KeyChange, Nodes, ScanRequest};

use crate::Global;
use crate::context::*;
use crate::monitor::needs_yes;
use crate::output::Out;
use crate::output::words::{bytes, duration};

#[derive(Debug, Subcommand)]
pub enum CacheCommand {
    /// Keys matching a glob, a page at a time, with SCAN (never KEYS); --cursor continues.
    Scan {
        /// A Redis glob such as `user:*`; --literal matches the text itself.
        #[arg(default_value = "*")]
        pattern: String,
        /// Treat the pattern as text, not a glob (`odd[1]` means those six characters).
        #[arg(long)]
        literal: bool,
        /// Keys a page aims at (1–500). SCAN answers in whole batches of about this many
        /// keys examined, so a page can hold a few more; none is ever skipped.
        #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=500))]
        limit: u32,
        /// The cursor a previous page printed.
        #[arg(long, default_value = "")]
        cursor: String,
        /// Walk the whole keyspace, page after page (with a progress line on a terminal).
        #[arg(long)]
        all: bool,
        /// Scan a keyspace over 100 000 keys without asking.
        #[arg(long)]
        yes: bool,
    },
    /// One key: type, TTL, memory, its value (JSON pretty-printed, binary escaped) a page at a
    /// time, and what it is to the platform.
    Get {
        /// The key, as `cache scan` prints it (`\xNN` for a byte, `\\` for a backslash).
        key: String,
        /// Where the page of the value starts: the `--next` the previous page printed.
        #[arg(long = "next", alias = "from", default_value = "", value_name = "NEXT")]
        next: String,
        /// Elements (fields, members, items) on a page of the value (1–1000).
        #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=1000))]
        limit: u32,
    },
    /// Memory by key shape from a sample of keys (SCAN order stands for the keyspace).
    Analyze {
        /// Keys to sample (the report says how many it read and scales to DBSIZE).
        #[arg(long, default_value_t = analyze::DEFAULT_SAMPLE)]
        sample: u32,
    },
    /// Delete a key (UNLINK) — operators; audited in operation_logs.
    Del {
        /// The key, as `cache scan` prints it.
        key: String,
        /// Required: you have checked it is the right key.
        #[arg(long)]
        yes: bool,
    },
    /// Set a key's time to live (or --persist to remove it) — operators; audited.
    Expire {
        /// The key, as `cache scan` prints it.
        key: String,
        /// Seconds the key has left to live.
        #[arg(value_name = "SECS", required_unless_present = "persist")]
        seconds: Option<u64>,
        /// Remove the key's expiry instead.
        #[arg(long)]
        persist: bool,
        /// Required: you have checked it is the right key.
        #[arg(long)]
        yes: bool,
    },
}

/// The Redis data nodes: every cluster master or Sentinel's master for a `--profile` (unless
/// `--redis` overrides it), else the one server `connect_redis` finds.
pub(crate) async fn redis_nodes(g: &Global) -> anyhow::Result<Option<Nodes>> {
    if let Some(cluster) = crate::context::cluster_seeds(g)? {
        return Ok(Some(
            cache::nodes(&cluster, crate::context::actor(g)?, timeout(g)).await?,
        ));
    }
    if g.redis.is_none()
        && let Some(redis) = profile(g)?.and_then(|p| p.redis)
    {
        return Ok(Some(
            cache::nodes(&redis, crate::context::actor(g)?, timeout(g)).await?,
        ));
    }
    match connect_redis(g).await? {
        Some(server) => Ok(Some(Nodes::single(server, crate::context::actor(g)?)?)),
        None => Ok(None),
    }
}

pub async fn cache_command(g: &Global, cmd: &CacheCommand, out: &Out) -> anyhow::Result<ExitCode> {
    let nodes = redis_nodes(g).await?.ok_or_else(no_redis)?;
    match cmd {
        CacheCommand::Scan {
            pattern,
            literal,
            limit,
            cursor,
            all,
            yes,
        } => {
            let pattern = if *literal {
                cache::glob_escape(pattern)
            } else {
                pattern.clone()
            };
            let mut request = ScanRequest {
                pattern,
                cursor: cursor.clone(),
                page_size: *limit,
                // Batches sized to the page, so --limit 3 is not answered with 1000 keys.
                count: Some((*limit).clamp(10, 1000)),
                confirm_large: *yes,
            };
            let progress =
                (*all && !out.is_json() && std::io::IsTerminal::is_terminal(&std::io::stderr()))
                    .then(indicatif::ProgressBar::new_spinner);
            let mut total = 0usize;
            loop {
                let page = cache::scan(&nodes, &request).await?;
                if let Some(question) = &page.needs_confirmation {
                    return Err(Error::Refused(format!(
                        "{question}. Run again with --yes to go ahead"
                    ))
                    .into());
                }
                total += page.keys.len();
                out.show(&page, || {
                    for k in &page.keys {
                        let ttl = match k.ttl_ms {
                            -1 => "no ttl".to_owned(),
                            -2 => "gone".to_owned(),
                            ms => format!("ttl {}", duration(ms as f64 / 1000.0)),
                        };
                        say!(
                            "{:<7} {:<12} {}{}",
                            k.kind,
                            ttl,
                            k.key,
                            k.node
                                .as_ref()
                                .map(|n| format!("  @{n}"))
                                .unwrap_or_default()
                        );
                    }
                });
                if let Some(bar) = &progress {
                    bar.set_message(format!("{total} keys, {} calls this page", page.calls));
                    bar.tick();
                }
                if page.done || !*all {
                    if !out.is_json() {
                        match (&page.stopped, page.done) {
                            (_, true) => eprintln!(
                                "{total} keys; the walk is complete ({} keys in the keyspace)",
                                page.keyspace
                            ),
                            (Some(why), false) => eprintln!(
                                "{total} keys; {why}; continue with --cursor {}",
                                page.cursor
                            ),
                            (None, false) => {
                                eprintln!("{total} keys; more with --cursor {}", page.cursor)
                            }
                        }
                    }
                    break;
                }
                request.cursor = page.cursor;
                request.confirm_large = true;
            }
            if let Some(bar) = progress {
                bar.finish_and_clear();
            }
        }
        CacheCommand::Get { key, next, limit } => {
            let view = value::get(
                &nodes,
                &KeyRequest {
                    key: key.clone(),
                    from: next.clone(),
                    page_size: *limit,
                },
            )
            .await?;
            out.show(&view, || {
                print_key(&view);
            });
        }
        CacheCommand::Analyze { sample } => {
            let analysis = analyze::analyze(&nodes, *sample).await?;
            out.show(&analysis, || {
                print_analysis(&analysis);
            });
        }
        CacheCommand::Del { key, yes } => {
            needs_yes(*yes, "deleting a key cannot be undone")?;
            let audit_to = connect_mysql(g).await?;
            cache::change(
                &nodes,
                crate::context::actor(g)?,
                key,
                KeyChange::Delete,
                &audit_to,
            )
            .await?;
            out.show(&serde_json::json!({ "deleted": key }), || {
                say!("deleted {key}; written to operation_logs");
            });
        }
        CacheCommand::Expire {
            key,
            seconds,
            persist,
            yes,
        } => {
            needs_yes(*yes, "changing a key's expiry")?;
            let audit_to = connect_mysql(g).await?;
            let what = match (persist, seconds) {
                (true, _) => KeyChange::Persist,
                (false, Some(s)) => KeyChange::Expire { seconds: *s },
                (false, None) => unreachable!("clap requires SECS without --persist"),
            };
            cache::change(&nodes, crate::context::actor(g)?, key, what, &audit_to).await?;
            out.show(&serde_json::json!({ "key": key, "change": what }), || {
                say!(
                    "{key}: {}; written to operation_logs",
                    match what {
                        KeyChange::Persist => "expiry removed".to_owned(),
                        KeyChange::Expire { seconds } => {
                            format!("expires in {}", duration(seconds as f64))
                        }
                        KeyChange::Delete => unreachable!(),
                    }
                );
            });
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_key(v: &KeyView) {
    let ttl = match v.ttl_ms {
        -1 => "no expiry".to_owned(),
        ms => format!("expires in {}", duration(ms as f64 / 1000.0)),
    };
    say!(
        "{} · {} · {} · {} · {}{}",
        v.key,
        v.kind,
        ttl,
        v.memory_bytes
            .map(bytes)
            .unwrap_or_else(|| "memory ?".into()),
        if v.kind == "string" {
            format!("{} bytes", v.length)
        } else {
            format!("{} elements", v.length)
        },
        if v.binary { " · binary (escaped)" } else { "" }
    );
    for link in &v.links {
        say!("  → {}", link.label);
    }
    if let Some(json) = &v.json {
        say!(
            "{}",
            serde_json::to_string_pretty(json).expect("json prints")
        );
    } else if let Some(text) = &v.text {
        say!("{text}");
    }
    if v.truncated {
        say!("(first {} of {} bytes)", value::STRING_LIMIT, v.length);
    }
    for e in &v.elements {
        let score = e.score.map(|s| format!(" ({s})")).unwrap_or_default();
        match &e.name {
            Some(name) => say!("  {name}  {}{score}", e.value),
            None => say!("  {}{score}", e.value),
        }
    }
    if let Some(next) = &v.next {
        say!("(more: --next {next})");
    }
}

fn print_analysis(a: &MemoryAnalysis) {
    say!(
        "sampled {} of {} keys ({} of memory) in {:.2} s; figures for the whole keyspace are the sample scaled up",
        a.sample_size,
        a.keyspace,
        bytes(a.sampled_bytes),
        a.seconds
    );
    say!(
        "{:<36} {:>8} {:>10} {:>10} {:>7} {:>12} {:>12}",
        "shape",
        "sampled",
        "bytes",
        "avg",
        "share",
        "est. keys",
        "est. bytes"
    );
    for g in &a.groups {
        say!(
            "{:<36} {:>8} {:>10} {:>10.0} {:>6.1}% {:>12} {:>12}  {}",
            g.prefix,
            g.sampled_keys,
            bytes(g.sampled_bytes),
            g.average_bytes,
            g.share * 100.0,
            g.estimated_keys,
            bytes(g.estimated_bytes),
            g.kinds.join(",")
        );
    }
}
