//! What the CLI prints: aligned text for people, JSON for scripts, progress on stderr.

use std::sync::Mutex;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use mindpal_core::Error;
use mindpal_core::conversations::review::Review;
use mindpal_core::conversations::{ConversationDetail, ConversationRow, ThreadPage};
use mindpal_core::directory::actions::ActionOutcome;
use mindpal_core::directory::cache::TokenScan;
use mindpal_core::directory::digital_humans::{DigitalHumanDetail, DigitalHumanRow, KnowledgeRow};
use mindpal_core::directory::users::{UserDetail, UserRow};
use mindpal_core::keyset::Page;
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

    fn print_json(&self, value: &(impl Serialize + ?Sized)) {
        say!(
            "{}",
            serde_json::to_string_pretty(value).expect("output serialises")
        );
    }

    /// The one place that chooses: `value` as JSON with `--json`, else its text for people.
    /// Every command's result goes through here.
    pub fn show<T: Serialize + ?Sized>(&self, value: &T, text: impl FnOnce()) {
        if self.json {
            self.print_json(value)
        } else {
            text()
        }
    }

    /// For `--watch` streams: with `--json`, one compact document per line.
    pub fn show_line<T: Serialize + ?Sized>(&self, value: &T, text: impl FnOnce()) {
        if self.json {
            say!(
                "{}",
                serde_json::to_string(value).expect("output serialises")
            );
        } else {
            text()
        }
    }

    /// One line on stderr; with --json also `{ "error": { kind, message } }` on stdout.
    pub fn error(&self, err: &anyhow::Error) {
        let core = err.downcast_ref::<Error>();
        let message = match core {
            // The window offers a button; a terminal needs the option that does the same.
            Some(e @ Error::HostKeyUnknown { fingerprint, .. }) => {
                format!("{e} (to accept it: --accept-host-key {fingerprint})")
            }
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
}

mod conversations;
mod directory;
mod progress;
mod setup;
pub mod words;

pub use progress::{SeedBars, Spinner};

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
}
