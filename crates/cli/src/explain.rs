//! `mindpal-admin explain` and `mindpal-admin indexes`.

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use mindpal_core::Error;
use mindpal_core::explain::lint::fmt_rows as rows;
use mindpal_core::explain::plan::{Access, PlanNode, Severity};
use mindpal_core::explain::{self, ExplainOptions, ExplainReport, HealthReport, Level};
use mindpal_core::indexes::{self, IndexReport, UsageSource};

use crate::Global;
use crate::context::*;
use crate::output::Out;

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The statement (`-` reads it from standard input). SELECT and WITH … SELECT; INSERT,
    /// UPDATE, DELETE and REPLACE for a plan without --analyze.
    #[arg(value_name = "SQL", conflicts_with_all = ["plan", "health"])]
    sql: Option<String>,
    /// Run the statement (read-only ones only) in a transaction that is rolled back, and show
    /// actual rows and times beside the estimates.
    #[arg(long)]
    analyze: bool,
    /// Seconds the statement may take on the server (default 5, or 10 with --analyze).
    #[arg(long, value_name = "SECS", value_parser = |s: &str| crate::context::seconds(s, 0.001, 3600.0))]
    time_limit: Option<f64>,
    /// Read a saved plan instead (`-` for standard input): MySQL or MariaDB FORMAT=JSON,
    /// MySQL's EXPLAIN ANALYZE / FORMAT=TREE text, or the classic table. No connection needed.
    #[arg(long, value_name = "FILE", conflicts_with = "analyze")]
    plan: Option<PathBuf>,
    /// Explain every hot query of the platform and list every warning.
    #[arg(long)]
    health: bool,
    /// List the built-in hot queries of the platform.
    #[arg(long, conflicts_with_all = ["plan", "health", "analyze"])]
    list_hot: bool,
    /// Explain the hot query with this id (see --list-hot).
    #[arg(long, value_name = "ID", conflicts_with_all = ["sql", "plan", "health"])]
    hot: Option<String>,
    /// Prove an index before creating it, e.g. `conversations(title)`: the statement's tables
    /// are copied (at most --sample-rows rows each, a random sample past that) into a scratch
    /// database on the same server, the statement is explained there without and with the
    /// index, and the copy is dropped, also on Ctrl+C. The live tables are never touched.
    /// Operators only; audited as explain.try_index.
    #[arg(long, value_name = "TABLE(COLUMNS)", conflicts_with_all = ["plan", "health"])]
    try_index: Option<String>,
    /// With --try-index: rows copied per table at most.
    #[arg(
        long,
        value_name = "N",
        default_value_t = 200_000,
        requires = "try_index"
    )]
    sample_rows: u64,
}

#[derive(Debug, Args)]
pub struct IndexesArgs {
    /// The database to report on (default: the connection's).
    #[arg(long, value_name = "NAME")]
    database: Option<String>,
}

pub async fn explain_command(
    g: &Global,
    args: &ExplainArgs,
    out: &Out,
) -> anyhow::Result<ExitCode> {
    if args.list_hot {
        let queries = explain::hot::queries();
        out.show(&queries, || {
            for q in &queries {
                say!("{:<30} {}\n{:<30} {}\n", q.id, q.title, "", q.sql);
            }
        });
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(path) = &args.plan {
        let text = read_input(path)?;
        let text = String::from_utf8(text).map_err(|e| {
            usage(format!(
                "the plan is not valid UTF-8 (at byte {})",
                e.utf8_error().valid_up_to()
            ))
        })?;
        let report = explain::explain_plan_text(&text)?;
        print_report(out, &report);
        return Ok(ExitCode::SUCCESS);
    }
    let cancel = cancel_on_ctrl_c();
    if args.health {
        let server = connect_mysql(g).await?;
        let bar = crate::output::Spinner::new(out.is_json());
        let report = explain::schema_health(&server, &cancel, &|done, total| {
            bar.step(&format!("explained {done} of {total} hot queries"))
        })
        .await;
        bar.finish();
        print_health(out, &report?);
        return Ok(ExitCode::SUCCESS);
    }
    let sql = match (&args.sql, &args.hot) {
        (_, Some(id)) => explain::hot::queries()
            .into_iter()
            .find(|q| &q.id == id)
            .map(|q| q.sql)
            .ok_or_else(|| usage(format!("no hot query `{id}`: see --list-hot")))?,
        (Some(s), None) if s == "-" => {
            let bytes = read_input(&PathBuf::from("-"))?;
            explain::guard::utf8(&bytes)
                .map_err(Error::Refused)?
                .to_owned()
        }
        (Some(s), None) => s.clone(),
        (None, None) => {
            return Err(usage(
                "give a statement, --plan FILE, --hot ID or --health (see --help)",
            ));
        }
    };
    let options = ExplainOptions {
        analyze: args.analyze,
        time_limit_ms: args
            .time_limit
            .map(|s| (s * 1000.0).round().max(1.0) as u64),
    };
    // The guard runs before any connection: a refused statement never reaches a server.
    let checked = explain::prepare(&sql, &options, crate::context::actor(g)?)?;
    if let Some(spec) = &args.try_index {
        let (table, columns) = index_spec(spec)?;
        let server = connect_mysql(g).await?;
        let bar = crate::output::Spinner::new(out.is_json());
        let trial = explain::trial::try_index(
            &server,
            crate::context::actor(g)?,
            &checked.sql,
            &table,
            &columns,
            &explain::trial::TrialOptions {
                max_rows: args.sample_rows,
                analyze: args.analyze,
            },
            &|step| bar.step(step),
            &cancel,
        )
        .await;
        bar.finish();
        let trial = trial?;
        out.show(&trial, || trial_text(&trial));
        return Ok(ExitCode::SUCCESS);
    }
    let server = connect_mysql(g).await?;
    let report =
        explain::explain_checked(&server, &checked, options.time_limit_ms, &cancel).await?;
    print_report(out, &report);
    Ok(ExitCode::SUCCESS)
}

pub async fn indexes_command(
    g: &Global,
    args: &IndexesArgs,
    out: &Out,
) -> anyhow::Result<ExitCode> {
    let server = connect_mysql(g).await?;
    let database = match &args.database {
        Some(d) => d.clone(),
        None => mindpal_core::schema::current_database(&server).await?,
    };
    let known = indexes::databases(&server).await?;
    if !known.contains(&database) {
        return Err(Error::UnknownDatabase {
            server: server.info.address.clone(),
            database,
        }
        .into());
    }
    let report = indexes::report(&server, &database).await?;
    print_indexes(out, &report);
    Ok(ExitCode::SUCCESS)
}

fn read_input(path: &PathBuf) -> anyhow::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    if path.as_os_str() == "-" {
        std::io::stdin()
            .read_to_end(&mut bytes)
            .map_err(|e| Error::io("reading standard input", e))?;
    } else {
        bytes =
            std::fs::read(path).map_err(|e| Error::io(format!("reading {}", path.display()), e))?;
    }
    Ok(bytes)
}

fn say(line: &str) {
    say!("{line}");
}

fn node_line(n: &PlanNode) -> String {
    let mut parts = vec![n.label.clone()];
    if let Some(a) = n.access {
        let mark = match a.severity() {
            Severity::Bad => "✗",
            Severity::Warn => "~",
            Severity::Good => "✓",
            Severity::None => " ",
        };
        let name = if a == Access::Other {
            "?"
        } else {
            a.type_name()
        };
        parts.push(format!("[{mark} {name}]"));
    }
    if let Some(k) = &n.key {
        parts.push(format!(
            "key {k}{}",
            n.key_length
                .as_ref()
                .map(|l| format!(" ({l})"))
                .unwrap_or_default()
        ));
    }
    if let Some(r) = n.rows {
        parts.push(format!("rows {}", rows(r)));
    }
    if let Some(f) = n.filtered {
        parts.push(format!("filtered {f}%"));
    }
    if let Some(r) = n.actual_rows {
        parts.push(format!("actual {}", rows(r)));
    }
    if let Some(t) = n.actual_time_ms {
        parts.push(format!("{t:.3} ms"));
    }
    for (flag, word) in [
        (n.using_index, "using index"),
        (n.using_filesort, "filesort"),
        (n.using_temporary, "temporary"),
        (n.using_join_buffer, "join buffer"),
    ] {
        if flag {
            parts.push(word.into());
        }
    }
    if let Some(c) = &n.condition {
        parts.push(format!("where {c}"));
    }
    parts.join("  ")
}

fn print_tree(n: &PlanNode, depth: usize) {
    say(&format!("{}{}", "  ".repeat(depth), node_line(n)));
    for c in &n.children {
        print_tree(c, depth + 1);
    }
}

/// `conversations(user_id, created_at)` → the table and its columns.
fn index_spec(spec: &str) -> anyhow::Result<(String, Vec<String>)> {
    let bad = || usage(format!("--try-index wants TABLE(COLUMN, …), not `{spec}`"));
    let (table, rest) = spec.split_once('(').ok_or_else(bad)?;
    let columns: Vec<String> = rest
        .strip_suffix(')')
        .ok_or_else(bad)?
        .split(',')
        .map(|c| c.trim().to_owned())
        .filter(|c| !c.is_empty())
        .collect();
    if table.trim().is_empty() || columns.is_empty() {
        return Err(bad());
    }
    Ok((table.trim().to_owned(), columns))
}

fn trial_text(t: &explain::trial::TrialReport) {
    say(&format!(
        "tried on a scratch copy ({}, dropped): {}",
        t.scratch_database, t.index_ddl
    ));
    for s in &t.sampled {
        say(&format!(
            "  {}: {} of about {} rows copied",
            s.table,
            rows(s.copied_rows as f64),
            rows(s.live_rows)
        ));
    }
    let examined = if t.analyzed {
        "rows read"
    } else {
        "rows estimated"
    };
    for (label, side) in [
        ("without the index", &t.without_index),
        ("with the index", &t.with_index),
    ] {
        say(&format!("{label}: {} {examined}", rows(side.rows_examined)));
        print_tree(&side.plan.root, 1);
    }
    if !t.kept_out_of_binlog {
        say(
            "note: no privilege to keep the copy out of the binary log: replicas made and dropped it too",
        );
    }
}

fn print_report(out: &Out, r: &ExplainReport) {
    out.show(r, || report_text(r));
}

fn report_text(r: &ExplainReport) {
    let from = r
        .server
        .as_deref()
        .map(|s| format!(" from {s}"))
        .unwrap_or_default();
    say(&format!(
        "plan: {}{from}{}",
        r.plan.source.describe(),
        if r.plan.analyzed {
            " · analyzed (run, then rolled back)"
        } else {
            ""
        }
    ));
    print_tree(&r.plan.root, 1);
    if !r.table_sizes.is_empty() {
        let sizes: Vec<String> = r
            .table_sizes
            .iter()
            .map(|t| format!("{} ≈ {} rows", t.table, rows(t.rows)))
            .collect();
        say(&format!("tables: {}", sizes.join(", ")));
    }
    if r.findings.is_empty() {
        say("lint: no warnings");
    } else {
        say(&format!(
            "lint: {} warning{}",
            r.findings.len(),
            if r.findings.len() == 1 { "" } else { "s" }
        ));
        for f in &r.findings {
            let mark = if f.level == Level::Bad { "✗" } else { "!" };
            say(&format!("  {mark} {}\n    why: {}", f.title, f.why));
            if let Some(sql) = &f.rewrite {
                say(&format!("    rewrite: {sql}"));
            }
            if let Some(ddl) = &f.ddl {
                say(&format!("    index:   {ddl}"));
            }
        }
    }
    for note in &r.notes {
        say(&format!("note: {note}"));
    }
}

fn print_health(out: &Out, h: &HealthReport) {
    out.show(h, || health_text(h));
}

fn health_text(h: &HealthReport) {
    say(&format!(
        "schema health: {} hot queries, {} warnings, {:.0} ms",
        h.entries.len(),
        h.warnings,
        h.elapsed_ms
    ));
    for e in &h.entries {
        match (&e.report, &e.error) {
            (Some(r), _) => {
                let worst = r
                    .plan
                    .tables()
                    .iter()
                    .map(|t| t.access.map(|a| a.type_name()).unwrap_or(""))
                    .collect::<Vec<_>>()
                    .join(",");
                say(&format!(
                    "  {:<30} {:<28} {} warning(s)",
                    e.query.id,
                    worst,
                    r.findings.len()
                ));
                for f in &r.findings {
                    say(&format!(
                        "      {} {}",
                        if f.level == Level::Bad { "✗" } else { "!" },
                        f.title
                    ));
                }
            }
            (None, Some(err)) => say(&format!(
                "  {:<30} could not explain: {}",
                e.query.id, err.message
            )),
            (None, None) => {}
        }
    }
}

fn print_indexes(out: &Out, r: &IndexReport) {
    out.show(r, || indexes_text(r));
}

fn indexes_text(r: &IndexReport) {
    say(&format!(
        "index health of `{}`: {} tables, {} indexes, {} findings",
        r.database,
        r.tables,
        r.indexes,
        r.findings.len()
    ));
    match &r.usage {
        UsageSource::IndexStatistics => {
            say("unused indexes: from information_schema.INDEX_STATISTICS (userstat = ON)")
        }
        UsageSource::PerformanceSchema => {
            say("unused indexes: from performance_schema index I/O counters")
        }
        UsageSource::Unavailable { why, enable } => say(&format!(
            "unused indexes: not known: {why}\n  to count them: {enable}"
        )),
    }
    for f in &r.findings {
        say(&format!(
            "  {:?}  {}{}\n    {}\n    fix: {}",
            f.issue,
            f.table,
            f.index
                .as_ref()
                .map(|i| format!(".{i}"))
                .unwrap_or_default(),
            f.detail,
            f.ddl
        ));
    }
}
