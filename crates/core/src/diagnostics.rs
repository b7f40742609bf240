//! What an operator sends when something goes wrong: versions, the system and its WebKit/GPU
//! settings, the keyring, the profiles without a secret (no profile holds one; their servers,
//! TLS modes and bastions are listed), and the end of the log.

use std::path::Path;

use serde::Serialize;

use crate::profiles::{self, Profile};

/// Environment variables that change how the window draws or where it runs.
const DISPLAY_VARIABLES: [&str; 9] = [
    "DISPLAY",
    "WAYLAND_DISPLAY",
    "XDG_SESSION_TYPE",
    "GDK_BACKEND",
    "WEBKIT_DISABLE_COMPOSITING_MODE",
    "WEBKIT_DISABLE_DMABUF_RENDERER",
    "LIBGL_ALWAYS_SOFTWARE",
    "GALLIUM_DRIVER",
    "XDG_CURRENT_DESKTOP",
];

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProfileSummary {
    pub name: String,
    pub role: String,
    pub read_only: bool,
    /// `host:port (tls mode)` of the primary, then each replica.
    pub mysql: Vec<String>,
    /// `sentinel 127.0.0.1:26379 master mindpal`, `cluster a:1, b:2`.
    pub redis: Option<String>,
    pub bastion: Option<String>,
    pub backup_dir: Option<String>,
    /// Which of its passwords are kept in the keyring (never the passwords themselves).
    pub passwords_saved: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Diagnostics {
    /// `mindpal-admin/0.1.0` and what is running it (`app` or `cli`).
    pub tool: String,
    pub running_as: String,
    pub os: Option<String>,
    pub kernel: Option<String>,
    /// The WebKitGTK library the window draws with, when dpkg knows it.
    pub webkit: Option<String>,
    pub display: Vec<(String, String)>,
    pub keyring: String,
    pub profile_store: String,
    pub profiles: Vec<ProfileSummary>,
    pub profiles_error: Option<String>,
    pub log_dir: Option<String>,
    pub log_tail: Vec<String>,
}

fn summary(p: &Profile) -> ProfileSummary {
    let server = |t: &crate::mysql::MysqlTarget| match &t.socket {
        Some(socket) => format!("{} (socket)", socket.display()),
        None => format!(
            "{}:{} ({})",
            t.host,
            t.port,
            serde_json::to_value(t.tls)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default()
        ),
    };
    ProfileSummary {
        name: p.name.clone(),
        role: format!("{:?}", p.role).to_lowercase(),
        read_only: p.read_only,
        mysql: std::iter::once(&p.mysql)
            .chain(&p.replicas)
            .map(server)
            .collect(),
        redis: p.redis.as_ref().map(|r| {
            let nodes: Vec<String> = r
                .nodes
                .iter()
                .map(|n| format!("{}:{}{}", n.host, n.port, if n.tls { " tls" } else { "" }))
                .collect();
            format!(
                "{:?} {}{}",
                r.mode,
                nodes.join(", "),
                r.master_name
                    .as_deref()
                    .map(|m| format!(" master {m}"))
                    .unwrap_or_default()
            )
            .to_lowercase()
        }),
        bastion: p.ssh.as_ref().map(|s| s.host.clone()),
        backup_dir: p.backup_dir.clone(),
        passwords_saved: profiles::secrets::saved_slots(p)
            .iter()
            .map(|s| format!("{s:?}").to_lowercase())
            .collect(),
    }
}

fn command_line(program: &str, args: &[&str]) -> Option<String> {
    let out = std::process::Command::new(program)
        .args(args)
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
        .filter(|s| !s.is_empty())
}

/// Collects the report. `running_as` is `app` or `cli`.
pub fn collect(running_as: &str, store: &Path, log_dir: Option<&Path>) -> Diagnostics {
    let os = std::fs::read_to_string("/etc/os-release")
        .ok()
        .and_then(|text| {
            text.lines()
                .find_map(|l| l.strip_prefix("PRETTY_NAME="))
                .map(|v| v.trim_matches('"').to_owned())
        });
    let (profiles, profiles_error) = match profiles::load(store) {
        Ok(list) => (list.iter().map(summary).collect(), None),
        Err(e) => (Vec::new(), Some(e.to_string())),
    };
    Diagnostics {
        tool: crate::audit::USER_AGENT.to_owned(),
        running_as: running_as.to_owned(),
        os,
        kernel: command_line("uname", &["-srm"]),
        webkit: command_line(
            "dpkg-query",
            &["-W", "-f=${Package} ${Version}", "libwebkit2gtk-4.1-0"],
        ),
        display: DISPLAY_VARIABLES
            .iter()
            .filter_map(|v| std::env::var(v).ok().map(|value| ((*v).to_owned(), value)))
            .collect(),
        keyring: match profiles::secrets::probe() {
            Ok(()) => "available".into(),
            Err(e) => format!("not available: {e}"),
        },
        profile_store: store.display().to_string(),
        profiles,
        profiles_error,
        log_dir: log_dir.map(|d| d.display().to_string()),
        log_tail: log_dir
            .map(|d| crate::logs::last_lines(d, 200))
            .unwrap_or_default(),
    }
}

impl Diagnostics {
    /// The report as plain text, to paste into a ticket.
    pub fn text(&self) -> String {
        let mut out = String::new();
        let mut line = |s: String| {
            out.push_str(&s);
            out.push('\n');
        };
        line(format!("MindPal Admin diagnostics ({})", self.running_as));
        line(format!("tool:     {}", self.tool));
        line(format!("os:       {}", self.os.as_deref().unwrap_or("?")));
        line(format!(
            "kernel:   {}",
            self.kernel.as_deref().unwrap_or("?")
        ));
        line(format!(
            "webkit:   {}",
            self.webkit.as_deref().unwrap_or("not installed")
        ));
        for (k, v) in &self.display {
            line(format!("env:      {k}={v}"));
        }
        line(format!("keyring:  {}", self.keyring));
        line(format!("profiles: {}", self.profile_store));
        if let Some(e) = &self.profiles_error {
            line(format!("          cannot read: {e}"));
        }
        for p in &self.profiles {
            line(format!(
                "  {} ({}{}): mysql {}{}{}{}; passwords in the keyring: {}",
                p.name,
                p.role,
                if p.read_only { ", read-only" } else { "" },
                p.mysql.join(", "),
                p.redis
                    .as_deref()
                    .map(|r| format!("; redis {r}"))
                    .unwrap_or_default(),
                p.bastion
                    .as_deref()
                    .map(|b| format!("; via {b}"))
                    .unwrap_or_default(),
                p.backup_dir
                    .as_deref()
                    .map(|b| format!("; backups in {b}"))
                    .unwrap_or_default(),
                if p.passwords_saved.is_empty() {
                    "none".to_owned()
                } else {
                    p.passwords_saved.join(", ")
                }
            ));
        }
        line(format!(
            "logs:     {}",
            self.log_dir
                .as_deref()
                .unwrap_or("none (this process logs to stderr)")
        ));
        if !self.log_tail.is_empty() {
            line(format!(
                "--- the last {} log lines ---",
                self.log_tail.len()
            ));
            for l in &self.log_tail {
                line(l.clone());
            }
        }
        out
    }
}
