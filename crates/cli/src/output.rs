//! What the CLI prints: aligned text for people, JSON for scripts, progress on stderr.

use std::sync::Mutex;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use mindpal_core::Error;
use mindpal_core::conversations::review::Review;
use mindpal_core::conversations::{ConversationDetail, ConversationRow, ThreadPage};
use mindpal_core::directory::Page;
use mindpal_core::directory::actions::ActionOutcome;
use mindpal_core::directory::cache::TokenScan;
use mindpal_core::directory::digital_humans::{DigitalHumanDetail, DigitalHumanRow, KnowledgeRow};
use mindpal_core::directory::users::{UserDetail, UserRow};
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
            let kind = match core {
                Some(e) => Some(serde_json::to_value(e.kind()).expect("kind serialises")),
                None if err.downcast_ref::<crate::context::UsageError>().is_some() => {
                    Some("usage".into())
                }
                None => None,
            };
            self.print_json(&serde_json::json!({ "error": { "kind": kind, "message": message } }));
        }
        eprintln!("error: {message}");
    }

    pub fn ping(
        &self,
        mysql: &ServerInfo,
        replicas: &[Result<ServerInfo, String>],
        redis: Option<&RedisInfo>,
        excess_grants: &[String],
    ) {
        if self.json {
            let replicas: Vec<_> = replicas
                .iter()
                .map(|r| match r {
                    Ok(info) => serde_json::json!({ "ok": true, "server": info }),
                    Err(e) => serde_json::json!({ "ok": false, "error": e }),
                })
                .collect();
            return self.print_json(&serde_json::json!({
                "mysql": mysql,
                "replicas": replicas,
                "redis": redis,
                "excessGrants": excess_grants,
            }));
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
        for grant in excess_grants {
            say!(
                "warning: the account holds {grant}: more than this profile needs (see the README's least-privilege grants)"
            );
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

/// `2026-11-20 10:00` for a row's time; `-` when absent.
fn when(t: Option<chrono::NaiveDateTime>) -> String {
    t.map(|t| t.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|| "-".into())
}

fn opt<T: std::fmt::Display>(v: &Option<T>) -> String {
    v.as_ref()
        .map(|v| v.to_string())
        .unwrap_or_else(|| "-".into())
}

/// `s` cut and padded to `n` terminal columns: Chinese characters and emoji take two, so
/// counting characters would misalign the table.
fn cell(s: &str, n: usize) -> String {
    use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};
    let mut out = String::new();
    let mut width = 0;
    if s.width() > n {
        for c in s.chars() {
            let w = c.width().unwrap_or(0);
            if width + w + 1 > n {
                break;
            }
            out.push(c);
            width += w;
        }
        out.push('…');
        width += 1;
    } else {
        out.push_str(s);
        width = s.width();
    }
    out.extend(std::iter::repeat_n(' ', n.saturating_sub(width)));
    out
}

fn status_word(status: Option<i8>) -> &'static str {
    match status {
        Some(1) => "enabled",
        Some(2) => "disabled",
        _ => "?",
    }
}

impl Out {
    /// The lines under every page: total, order, who answered, the next cursor.
    fn page_footer<T>(&self, page: &Page<T>, nouns: (&str, &str)) {
        let noun = |n: i64| if n == 1 { nouns.0 } else { nouns.1 };
        let total = match page.total {
            Some(t) if t.exact => format!("{} {}", t.count, noun(t.count)),
            Some(t) if t.more_than => format!("more than {} {}", t.count, nouns.1),
            Some(t) => format!("about {} {} (estimated)", t.count, nouns.1),
            None => format!(
                "{} {} on this page",
                page.rows.len(),
                noun(page.rows.len() as i64)
            ),
        };
        say!(
            "{total} · ordered by {} · answered by {}{}",
            page.order,
            page.answered_by,
            if page.masked { " · PII masked" } else { "" }
        );
        if let Some(note) = &page.note {
            say!("{note}");
        }
        match &page.next {
            Some(next) => say!("next page: --after {next}"),
            None => say!("(last page)"),
        }
    }

    pub fn user_page(&self, page: &Page<UserRow>) {
        if self.json {
            return self.print_json(page);
        }
        if page.rows.is_empty() {
            say!("No users match.");
        } else {
            say!(
                "{:>9}  {:<14} {:<28} {:<18} {:<9} {:<6} {:<16} {:<16}",
                "ID",
                "PHONE",
                "EMAIL",
                "NICKNAME",
                "STATUS",
                "ROLE",
                "CREATED",
                "LAST LOGIN"
            );
        }
        for u in &page.rows {
            say!(
                "{:>9}  {:<14} {} {} {:<9} {:<6} {:<16} {:<16}{}",
                u.id,
                u.phone,
                cell(&opt(&u.email), 28),
                cell(&opt(&u.nickname), 18),
                status_word(u.status),
                opt(&u.role),
                when(u.created_at),
                when(u.last_login_at),
                if u.deleted_at.is_some() {
                    "  deleted"
                } else {
                    ""
                }
            );
        }
        self.page_footer(page, ("user", "users"));
    }

    pub fn user_detail(&self, d: &UserDetail) {
        if self.json {
            return self.print_json(d);
        }
        let u = &d.user;
        say!(
            "User {} · {} · version {}",
            u.id,
            status_word(u.status),
            u.version
        );
        say!("  phone      {}", u.phone);
        say!("  email      {}", opt(&u.email));
        say!("  nickname   {}", opt(&u.nickname));
        say!("  role       {}", opt(&u.role));
        say!("  gender     {}", opt(&u.gender));
        say!("  birthday   {}", opt(&u.birthday));
        say!(
            "  password   {}",
            if u.has_password { "set" } else { "not set" }
        );
        say!("  created    {}", when(u.created_at));
        say!(
            "  last login {} from {}",
            when(u.last_login_at),
            opt(&u.last_login_ip)
        );
        if let Some(t) = u.deleted_at {
            say!("  DELETED    {}", when(Some(t)));
        }
        say!("Preferences ({})", d.preferences.len());
        for p in &d.preferences {
            say!(
                "  {:<20} {} ({})",
                p.key,
                cell(&p.value, 60),
                opt(&p.source)
            );
        }
        say!("Digital humans ({})", d.digital_humans.len());
        for h in &d.digital_humans {
            say!(
                "  {:>9}  {} {:<4} {:<12} {}{}",
                h.id,
                cell(&h.name, 20),
                opt(&h.model_type),
                opt(&h.personality),
                status_word(h.status),
                if h.deleted_at.is_some() {
                    " deleted"
                } else {
                    ""
                }
            );
        }
        say!(
            "Conversations: {} in all; most recent:",
            d.conversation_count
        );
        for c in &d.recent_conversations {
            say!(
                "  {:>9}  {} {:<16} {:>5} msgs  satisfaction {}  with {}",
                c.id,
                cell(&opt(&c.title), 24),
                when(c.last_message_at),
                opt(&c.message_count),
                opt(&c.user_satisfaction),
                opt(&c.digital_human_name)
            );
        }
        say!("Emotions, last 30 days:");
        if d.emotions_30_days.is_empty() {
            say!("  (none logged)");
        }
        for e in &d.emotions_30_days {
            say!(
                "  {:<10} {:>6}  avg intensity {}",
                e.emotion,
                e.count,
                e.average_intensity
                    .map(|v| format!("{v:.2}"))
                    .unwrap_or_else(|| "-".into())
            );
        }
        match (&d.cache, &d.cache_error) {
            (Some(c), _) => {
                say!("Redis ({}):", c.server);
                match &c.user {
                    None => say!("  user:{}  not cached", u.id),
                    Some(e) => {
                        say!(
                            "  {}  ttl {} s  {}",
                            e.key,
                            e.ttl_seconds,
                            if e.fresh {
                                "matches the database"
                            } else {
                                "STALE"
                            }
                        );
                        for f in e.fields.iter().filter(|f| !f.matches) {
                            say!(
                                "    {:<12} cached {}  database {}",
                                f.field,
                                f.cached,
                                f.database
                                    .as_ref()
                                    .map(|v| v.to_string())
                                    .unwrap_or_else(|| "(no such column)".into())
                            );
                        }
                    }
                }
                match &c.dashboard {
                    None => say!("  dashboard:stats:{}  not cached", u.id),
                    Some(e) => say!(
                        "  {}  ttl {} s  {}  {}",
                        e.key,
                        e.ttl_seconds,
                        e.value,
                        if e.fresh {
                            ""
                        } else {
                            "(conversations differ from the database)"
                        }
                    ),
                }
                match &c.leaderboard {
                    None => say!("  leaderboard:today  not ranked"),
                    Some(r) => say!("  leaderboard:today  rank {} · score {}", r.rank, r.score),
                }
            }
            (None, Some(e)) => say!("Redis: unavailable ({})", e.message),
            (None, None) => say!("Redis: none configured"),
        }
        say!(
            "answered by {}{}",
            d.answered_by,
            if d.masked { " · PII masked" } else { "" }
        );
    }

    pub fn tokens(&self, scan: &TokenScan) {
        if self.json {
            return self.print_json(scan);
        }
        if scan.tokens.is_empty() {
            say!("No tokens found.");
        }
        for t in &scan.tokens {
            say!("  {}  ttl {} s", t.token, t.ttl_seconds);
        }
        say!(
            "{} token keys examined in {} SCAN calls of a {}-key keyspace{}",
            scan.tokens_examined,
            scan.scan_calls,
            scan.keyspace_size,
            if scan.complete {
                ""
            } else {
                " · stopped at the cap: raise --max-scans to look further"
            }
        );
    }

    pub fn action(&self, o: &ActionOutcome) {
        if self.json {
            return self.print_json(o);
        }
        say!(
            "{} done on {} (now version {}); recorded as operation_logs #{}",
            o.action,
            o.resource_id,
            o.version,
            o.audit_id
        );
        if !o.cache_keys_deleted.is_empty() {
            say!("Deleted from Redis: {}", o.cache_keys_deleted.join(", "));
        }
        if let Some(e) = &o.cache_error {
            say!(
                "The cache could not be invalidated ({}); run `users invalidate-cache` when Redis is back.",
                e.message
            );
        }
    }

    pub fn dh_page(&self, page: &Page<DigitalHumanRow>) {
        if self.json {
            return self.print_json(page);
        }
        if page.rows.is_empty() {
            say!("No digital humans match.");
        } else {
            say!(
                "{:>9}  {:<22} {:>9}  {:<16} {:<4} {:<12} {:<9} {}",
                "ID",
                "NAME",
                "OWNER",
                "OWNER NICKNAME",
                "TYPE",
                "PERSONALITY",
                "STATUS",
                "TEMPLATE"
            );
        }
        for h in &page.rows {
            say!(
                "{:>9}  {} {:>9}  {} {:<4} {:<12} {:<9} {}{}",
                h.id,
                cell(&h.name, 22),
                h.user_id,
                cell(&opt(&h.owner_nickname), 16),
                opt(&h.model_type),
                opt(&h.personality),
                status_word(h.status),
                if h.is_template == Some(1) {
                    "yes"
                } else {
                    "no"
                },
                if h.deleted_at.is_some() {
                    "  deleted"
                } else {
                    ""
                }
            );
        }
        self.page_footer(page, ("digital human", "digital humans"));
    }

    pub fn dh_detail(&self, d: &DigitalHumanDetail) {
        if self.json {
            return self.print_json(d);
        }
        let h = &d.digital_human;
        say!(
            "Digital human {} · {} · {} · version {}",
            h.id,
            h.name,
            status_word(h.status),
            h.version
        );
        match &d.owner {
            Some(o) => say!(
                "  owner        {} ({}, {})",
                o.id,
                opt(&o.nickname),
                o.phone
            ),
            None => say!("  owner        {} (missing)", h.user_id),
        }
        say!(
            "  template     {}",
            if h.is_template == Some(1) {
                "yes"
            } else {
                "no"
            }
        );
        say!("  model        {}", opt(&h.model_type));
        say!("  personality  {}", opt(&h.personality));
        say!("  tone         {}", opt(&h.tone));
        say!(
            "  voice        {} · speed {} · pitch {}",
            opt(&h.voice_id),
            opt(&h.voice_speed),
            opt(&h.voice_pitch)
        );
        match &d.expertise {
            Some(e) => say!("  expertise    {e}"),
            None => say!("  expertise    {}", opt(&h.expertise)),
        }
        say!("  description  {}", opt(&h.description));
        say!("  prompt       {}", opt(&h.system_prompt));
        let c = d.conversations;
        match (c.exact, c.more_than) {
            (true, _) => say!("  conversations {}", c.count),
            (false, true) => say!("  conversations more than {}", c.count),
            (false, false) => say!("  conversations about {} (estimated)", c.count),
        }
        say!("Knowledge base by category:");
        if d.knowledge_categories.is_empty() {
            say!("  (no entries)");
        }
        for c in &d.knowledge_categories {
            say!("  {:<12} {}", opt(&c.category), c.entries);
        }
        say!("answered by {}", d.answered_by);
    }

    pub fn knowledge_page(&self, page: &Page<KnowledgeRow>) {
        if self.json {
            return self.print_json(page);
        }
        if page.rows.is_empty() {
            say!("No knowledge entries match.");
        }
        for k in &page.rows {
            say!(
                "{:>8}  [{}] {}  (dh {}, used {})",
                k.id,
                opt(&k.category),
                cell(&k.title, 60),
                opt(&k.digital_human_id),
                opt(&k.use_count)
            );
        }
        self.page_footer(page, ("entry", "entries"));
    }
}

impl Out {
    pub fn conversation_page(&self, page: &Page<ConversationRow>) {
        if self.json {
            return self.print_json(page);
        }
        if page.rows.is_empty() {
            say!("No conversations match.");
        } else {
            say!(
                "{:>9}  {} {} {} {:>6}  {:<16} {:>4}  {}",
                "ID",
                cell("TITLE", 26),
                cell("USER", 16),
                cell("DIGITAL HUMAN", 14),
                "MSGS",
                "LAST MESSAGE",
                "SAT",
                "VERDICT"
            );
        }
        for c in &page.rows {
            say!(
                "{:>9}  {} {} {} {:>6}  {:<16} {:>4}  {}",
                c.id,
                cell(&opt(&c.title), 26),
                cell(&format!("{} #{}", opt(&c.user_nickname), c.user_id), 16),
                cell(&opt(&c.digital_human_name), 14),
                opt(&c.message_count),
                when(c.last_message_at),
                opt(&c.user_satisfaction),
                c.verdict.as_deref().unwrap_or("-")
            );
        }
        self.page_footer(page, ("conversation", "conversations"));
    }

    pub fn conversation(&self, d: &ConversationDetail, page: &ThreadPage) {
        if self.json {
            return self.print_json(&serde_json::json!({ "detail": d, "thread": page }));
        }
        let c = &d.conversation;
        say!(
            "Conversation {} · {} · {}",
            c.id,
            opt(&c.title),
            opt(&c.status)
        );
        say!(
            "  user          {} #{} ({})",
            opt(&c.user_nickname),
            c.user_id,
            opt(&c.user_phone)
        );
        say!(
            "  digital human {} #{}",
            opt(&c.digital_human_name),
            c.digital_human_id
        );
        say!(
            "  messages      {} stored (row says {}) · last {}",
            d.stored_messages,
            opt(&c.message_count),
            when(c.last_message_at)
        );
        say!("  satisfaction  {}", opt(&c.user_satisfaction));
        if let Some(s) = &c.summary {
            say!("  summary       {}", cell(s, 100).trim_end());
        }
        match (d.first_angry_message, d.lowest_score_message) {
            (None, None) => {}
            (a, l) => say!(
                "  jump to       first angry message {} · lowest-scored reply {}",
                opt(&a),
                opt(&l)
            ),
        }
        if !d.emotion_totals.is_empty() {
            let parts: Vec<String> = d
                .emotion_totals
                .iter()
                .map(|t| match t.logs {
                    0 => format!("{} {}", t.emotion, t.messages),
                    logs => format!("{} {} (+{logs} logged)", t.emotion, t.messages),
                })
                .collect();
            say!("  emotions      {}", parts.join(" · "));
        }
        match (&d.cached_context, &d.cache_error) {
            (Some(cc), _) => match &cc.cached {
                None => say!("  {}  not cached", cc.key),
                Some(_) => {
                    let differ: Vec<&str> = cc
                        .fields
                        .iter()
                        .filter(|f| !f.matches)
                        .map(|f| f.field.as_str())
                        .collect();
                    say!(
                        "  {}  ttl {} s  {}",
                        cc.key,
                        cc.ttl_seconds,
                        if differ.is_empty() {
                            "matches the database's context".to_owned()
                        } else {
                            format!("differs from the database in: {}", differ.join(", "))
                        }
                    );
                }
            },
            (None, Some(e)) => say!("  Redis unavailable ({})", e.message),
            (None, None) => {}
        }
        say!("Reviews ({})", d.reviews.len());
        for r in &d.reviews {
            say!(
                "  {}  {} by {}{}{}",
                r.reviewed_at,
                r.verdict,
                r.reviewer,
                match r.tag_list() {
                    t if t.is_empty() => String::new(),
                    t => format!(" · {}", t.join(", ")),
                },
                r.note
                    .as_deref()
                    .map(|n| format!(" · {n}"))
                    .unwrap_or_default()
            );
        }
        match page.messages.first() {
            Some(first) if page.more_before => {
                say!("Thread (earlier messages: --before {})", first.id)
            }
            _ => say!("Thread (from its start)"),
        }
        for m in &page.messages {
            let who = if m.sender_type == "user" {
                "USER"
            } else {
                "DH  "
            };
            let mut facts = Vec::new();
            if let Some(e) = m.user_emotion.as_deref().or(m.dh_emotion.as_deref()) {
                facts.push(e.to_owned());
            }
            if let Some(q) = m.quality_score {
                facts.push(format!("score {q:.2}"));
            }
            if let Some(t) = m.message_type.as_deref().filter(|t| *t != "text") {
                facts.push(t.to_owned());
            }
            say!(
                "  #{:<9} {} {}  {}{}",
                m.id,
                who,
                when(m.created_at),
                m.content.replace('\n', " "),
                if facts.is_empty() {
                    String::new()
                } else {
                    format!("  [{}]", facts.join(", "))
                }
            );
        }
        match page.messages.last() {
            Some(last) if page.more_after => say!("later messages: --after {}", last.id),
            _ => say!("(end of thread)"),
        }
        say!(
            "answered by {}{}",
            d.answered_by,
            if d.masked { " · PII masked" } else { "" }
        );
    }

    pub fn review(&self, conversation: i64, r: &Review) {
        if self.json {
            return self.print_json(r);
        }
        say!(
            "Review #{} of conversation {conversation}: {} by {} at {} (also in operation_logs)",
            r.id,
            r.verdict,
            r.reviewer,
            r.reviewed_at
        );
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
