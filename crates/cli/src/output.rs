//! What the CLI prints: aligned text for people, JSON for scripts, progress on stderr.

use std::sync::Mutex;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use mindpal_core::Error;
use mindpal_core::mysql::ServerInfo;
use mindpal_core::profiles::Profile;
use mindpal_core::redis::RedisInfo;
use mindpal_core::sandbox::SandboxStatus;
use mindpal_core::schema::{MigrationState, SchemaDiff};
use mindpal_core::seed::{SeedEvent, SeedReport, TableFigure};
use serde::Serialize;

/// `println!` that ends the process quietly when stdout is closed (`mindpal-admin … | head`),
/// exiting 141 like a process killed by SIGPIPE instead of panicking.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if writeln!(std::io::stdout().lock(), $($arg)*).is_err() {
            std::process::exit(141);
        }
    }};
}

pub struct Out {
    json: bool,
}

impl Out {
    pub fn new(json: bool) -> Self {
        Out { json }
    }

    pub fn is_json(&self) -> bool {
        self.json
    }

    fn print_json(&self, value: &impl Serialize) {
        say!(
            "{}",
            serde_json::to_string_pretty(value).expect("output serialises")
        );
    }

    /// One line on stderr; with --json also `{ "error": { kind, message } }` on stdout.
    pub fn error(&self, err: &anyhow::Error) {
        let core = err.downcast_ref::<Error>();
        let message = match core {
            Some(e) => e.to_string(),
            None => format!("{err:#}"),
        };
        if self.json {
            let kind = core.map(|e| serde_json::to_value(e.kind()).expect("kind serialises"));
            self.print_json(&serde_json::json!({ "error": { "kind": kind, "message": message } }));
        }
        eprintln!("error: {message}");
    }

    pub fn ping(
        &self,
        mysql: &ServerInfo,
        replicas: &[Result<ServerInfo, String>],
        redis: Option<&RedisInfo>,
    ) {
        if self.json {
            let replicas: Vec<_> = replicas
                .iter()
                .map(|r| match r {
                    Ok(info) => serde_json::json!({ "ok": true, "server": info }),
                    Err(e) => serde_json::json!({ "ok": false, "error": e }),
                })
                .collect();
            return self.print_json(
                &serde_json::json!({ "mysql": mysql, "replicas": replicas, "redis": redis }),
            );
        }
        let line = |role: &str, info: &ServerInfo| {
            say!(
                "{role:<8} {:<22} {:?} {:<10} tls={:<5} {:>6.1} ms",
                info.address,
                info.flavour,
                info.version,
                info.tls,
                info.round_trip_ms
            )
        };
        line("mysql", mysql);
        for replica in replicas {
            match replica {
                Ok(info) => line("replica", info),
                Err(e) => say!("replica  unreachable: {e}"),
            }
        }
        match redis {
            Some(r) => say!(
                "{:<8} {:<22} Redis {:<10} role={:<6} {:>6.1} ms",
                "redis",
                r.address,
                r.version,
                r.role,
                r.round_trip_ms
            ),
            None => say!("redis    (none given)"),
        }
    }

    pub fn migrated(&self, applied: &[i64]) {
        if self.json {
            return self.print_json(&serde_json::json!({ "applied": applied }));
        }
        if applied.is_empty() {
            say!("The schema is up to date.");
        } else {
            say!("Applied {} migration(s): {:?}", applied.len(), applied);
        }
    }

    pub fn schema_status(&self, states: &[MigrationState]) {
        if self.json {
            return self.print_json(&states);
        }
        for m in states {
            say!(
                "{:>4}  {:<28} {}",
                m.version,
                m.description,
                if m.applied { "applied" } else { "pending" }
            );
        }
    }

    pub fn schema_diff(&self, diff: &SchemaDiff) {
        if self.json {
            return self.print_json(diff);
        }
        if diff.in_sync {
            say!("`{}` matches schema/.", diff.database);
            return;
        }
        say!(
            "`{}` differs from schema/ in {} table(s):",
            diff.database,
            diff.tables.len()
        );
        for table in &diff.tables {
            say!("\n{}", table.table);
            for d in &table.differences {
                let change = serde_json::to_value(d.change).expect("serialises");
                let object = serde_json::to_value(d.object).expect("serialises");
                say!(
                    "  {:<8} {:<7} {}",
                    change.as_str().unwrap_or_default(),
                    object.as_str().unwrap_or_default(),
                    d.name
                );
                if let Some(expected) = &d.expected {
                    say!("      schema/:  {expected}");
                }
                if let Some(actual) = &d.actual {
                    say!("      database: {actual}");
                }
                if let Some(note) = &d.note {
                    say!("      note:     {note}");
                }
            }
        }
    }

    pub fn seeded(&self, report: &SeedReport, with_redis: bool) {
        if self.json {
            return self.print_json(report);
        }
        say!("Seeded scale {} (seed {}):", report.scale, report.seed);
        for t in &report.tables {
            say!("  {:<24} {:>12}", t.table, t.rows);
        }
        say!(
            "  {:<24} {:>12}  in {:.1} s ({:.0} rows/s)",
            "total rows",
            report.total_rows,
            report.mysql_seconds,
            report.rows_per_second
        );
        if with_redis {
            say!(
                "  {:<24} {:>12}  in {:.1} s ({} stale on purpose)",
                "redis keys",
                report.redis_keys,
                report.redis_seconds,
                report.stale_redis_keys
            );
        }
    }

    pub fn tsv_written(&self, tables: &[TableFigure], seconds: f64) {
        if self.json {
            return self.print_json(&serde_json::json!({ "tables": tables, "seconds": seconds }));
        }
        let rows: u64 = tables.iter().map(|t| t.rows).sum();
        say!("Wrote {rows} rows as LOAD DATA files in {seconds:.1} s");
    }

    pub fn sandbox_status(&self, status: &SandboxStatus) {
        if self.json {
            return self.print_json(status);
        }
        say!("Sandbox in {}", status.dir.display());
        for c in &status.components {
            say!(
                "  {:<14} 127.0.0.1:{:<6} {}",
                c.name,
                c.port,
                match (c.running, c.answering) {
                    (true, true) => format!("running (pid {})", c.pid.unwrap_or_default()),
                    (true, false) => "starting".to_owned(),
                    _ => "stopped".to_owned(),
                }
            );
        }
        if status.all_running() {
            say!(
                "\nConnect: mysql://root@127.0.0.1:{}/{}   redis://127.0.0.1:{}   (or --profile sandbox)",
                status.base_port,
                status.database,
                status.base_port + 2
            );
        }
    }

    pub fn sandbox_down(&self, stopped: &[&str], purged: bool) {
        if self.json {
            return self.print_json(&serde_json::json!({ "stopped": stopped, "purged": purged }));
        }
        if stopped.is_empty() {
            say!("Nothing of the sandbox was running.");
        } else {
            say!("Stopped: {}", stopped.join(", "));
        }
        if purged {
            say!("Removed the sandbox's folder.");
        }
    }

    pub fn profiles(&self, list: &[Profile]) {
        if self.json {
            return self.print_json(&list);
        }
        if list.is_empty() {
            say!("No profiles yet. `mindpal-admin sandbox up` registers one named `sandbox`.");
        }
        for p in list {
            say!(
                "{:<16} {:<9} {}{}",
                p.name,
                format!("{:?}", p.role).to_lowercase(),
                p.mysql.address(),
                if p.read_only { "  (read-only)" } else { "" }
            );
        }
    }
}

/// One progress bar per table while seeding, on stderr (hidden when not a terminal).
pub struct SeedBars {
    multi: MultiProgress,
    bars: Mutex<Vec<(String, ProgressBar)>>,
    hidden: bool,
}

impl SeedBars {
    pub fn new(hidden: bool) -> Self {
        SeedBars {
            multi: MultiProgress::new(),
            bars: Mutex::new(Vec::new()),
            hidden,
        }
    }

    pub fn on(&self, event: SeedEvent) {
        if self.hidden {
            return;
        }
        let mut bars = self.bars.lock().expect("progress lock");
        match event {
            SeedEvent::Planned { tables } => {
                let style = ProgressStyle::with_template(
                    "{prefix:>22} [{bar:30.cyan/blue}] {pos:>9}/{len:9} {per_sec:>12} {eta:>4}",
                )
                .expect("valid template")
                .progress_chars("=> ");
                for (table, rows) in tables {
                    let bar = self.multi.add(ProgressBar::new(rows));
                    bar.set_style(style.clone());
                    bar.set_prefix(table.clone());
                    bars.push((table, bar));
                }
            }
            SeedEvent::Rows { table, rows } => {
                if let Some((_, bar)) = bars.iter().find(|(t, _)| *t == table) {
                    bar.inc(rows);
                }
            }
            SeedEvent::Redis { keys } => {
                if !bars.iter().any(|(t, _)| t == "redis keys") {
                    let bar = self.multi.add(ProgressBar::new_spinner());
                    bar.set_style(
                        ProgressStyle::with_template("{prefix:>22} {spinner} {pos} keys")
                            .expect("valid template"),
                    );
                    bar.set_prefix("redis keys");
                    bars.push(("redis keys".into(), bar));
                }
                if let Some((_, bar)) = bars.iter().find(|(t, _)| t == "redis keys") {
                    bar.inc(keys);
                }
            }
        }
    }

    pub fn finish(&self) {
        for (_, bar) in self.bars.lock().expect("progress lock").iter() {
            bar.finish();
        }
    }
}

/// A spinner naming the current step of a multi-step job.
pub struct Spinner {
    bar: Option<ProgressBar>,
}

impl Spinner {
    pub fn new(hidden: bool) -> Self {
        let bar = (!hidden).then(|| {
            let bar = ProgressBar::new_spinner();
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        });
        Spinner { bar }
    }

    pub fn step(&self, message: &str) {
        match &self.bar {
            Some(bar) => bar.println(format!("  {message}")),
            None => eprintln!("{message}"),
        }
        if let Some(bar) = &self.bar {
            bar.set_message(message.to_owned());
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
