//! Users, digital humans, their knowledge and tokens.

use super::words::ttl;
use super::*;

impl Out {
    pub fn user_page(&self, page: &Page<UserRow>) {
        self.show(page, || {
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
        });
    }

    pub fn user_detail(&self, d: &UserDetail) {
        self.show(d, || {
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
                                "  {}  ttl {}  {}",
                                e.key,
                                ttl(e.ttl_seconds),
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
                            "  {}  ttl {}  {}  {}",
                            e.key,
                            ttl(e.ttl_seconds),
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
        });
    }

    pub fn tokens(&self, scan: &TokenScan) {
        self.show(scan, || {
            if scan.tokens.is_empty() {
                say!("No tokens found.");
            }
            for t in &scan.tokens {
                say!("  {}  ttl {}", t.token, ttl(t.ttl_seconds));
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
        });
    }

    pub fn action(&self, o: &ActionOutcome) {
        self.show(o, || {
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
        });
    }

    pub fn dh_page(&self, page: &Page<DigitalHumanRow>) {
        self.show(page, || {
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
        });
    }

    pub fn dh_detail(&self, d: &DigitalHumanDetail) {
        self.show(d, || {
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
        });
    }

    pub fn knowledge_page(&self, page: &Page<KnowledgeRow>) {
        self.show(page, || {
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
        });
    }
}
