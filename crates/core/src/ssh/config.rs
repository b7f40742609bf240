//! What `~/.ssh/config` says of a host, read the way `ssh` reads it: `Host` blocks matched
//! against the name typed (patterns with `*`, `?` and `!`), the first value of each keyword
//! wins, `IdentityFile` and `UserKnownHostsFile` collect, `Include` is followed. `Match`
//! blocks are skipped (their conditions need a running ssh), which only ever applies less.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// One host as the config describes it, before defaults.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostConfig {
    pub host_name: Option<String>,
    pub port: Option<u16>,
    pub user: Option<String>,
    pub identity_files: Vec<PathBuf>,
    /// `IdentityAgent`: a socket path, or `none` to use no agent.
    pub identity_agent: Option<String>,
    /// `ProxyJump` hops in order, `[user@]host[:port]` each; empty when none.
    pub proxy_jump: Vec<String>,
    pub known_hosts_files: Vec<PathBuf>,
}

/// The config file `ssh` reads: `$MINDPAL_SSH_CONFIG`, else `~/.ssh/config`.
pub fn default_path() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("MINDPAL_SSH_CONFIG") {
        return Some(PathBuf::from(path));
    }
    dirs::home_dir().map(|home| home.join(".ssh").join("config"))
}

/// What `config` (a missing file is an empty one) says of `alias`.
pub fn lookup(config: Option<&Path>, alias: &str) -> Result<HostConfig> {
    let mut found = HostConfig::default();
    let mut proxy_jump_seen = false;
    if let Some(path) = config {
        read_file(path, alias, &mut found, &mut proxy_jump_seen, 0)?;
    }
    Ok(found)
}

fn read_file(
    path: &Path,
    alias: &str,
    found: &mut HostConfig,
    proxy_jump_seen: &mut bool,
    depth: usize,
) -> Result<()> {
    if depth > 8 {
        return Err(Error::InvalidInput(format!(
            "{}: Include nests deeper than 8 files",
            path.display()
        )));
    }
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(Error::io(format!("reading {}", path.display()), e)),
    };
    // Lines before the first Host apply to every host.
    let mut applies = true;
    for (number, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (keyword, value) = split_keyword(line);
        let keyword = keyword.to_ascii_lowercase();
        let bad = |what: &str| {
            Error::InvalidInput(format!("{} line {}: {what}", path.display(), number + 1))
        };
        match keyword.as_str() {
            "host" => {
                applies = host_matches(value, alias);
                continue;
            }
            "match" => {
                applies = false;
                continue;
            }
            _ if !applies => continue,
            "include" => {
                for include in words(value) {
                    let included = expand_home(&include);
                    let included = if included.is_relative() {
                        dirs::home_dir()
                            .unwrap_or_default()
                            .join(".ssh")
                            .join(included)
                    } else {
                        included
                    };
                    read_file(&included, alias, found, proxy_jump_seen, depth + 1)?;
                }
            }
            "hostname" if found.host_name.is_none() => {
                found.host_name = Some(value.replace("%h", alias).replace("%%", "%"))
            }
            "port" if found.port.is_none() => {
                found.port = Some(value.parse().map_err(|_| bad("Port is not a number"))?)
            }
            "user" if found.user.is_none() => found.user = Some(unquote(value)),
            "identityfile" => found.identity_files.push(expand_home(&unquote(value))),
            "identityagent" if found.identity_agent.is_none() => {
                found.identity_agent = Some(unquote(value))
            }
            "proxyjump" if !*proxy_jump_seen => {
                *proxy_jump_seen = true;
                if !value.eq_ignore_ascii_case("none") {
                    found.proxy_jump = value
                        .split(',')
                        .map(|hop| hop.trim().to_owned())
                        .filter(|hop| !hop.is_empty())
                        .collect();
                }
            }
            "userknownhostsfile" if found.known_hosts_files.is_empty() => {
                found.known_hosts_files = words(value).iter().map(|w| expand_home(w)).collect()
            }
            _ => {}
        }
    }
    Ok(())
}

/// `Keyword value`, `Keyword=value` or `Keyword = value`.
fn split_keyword(line: &str) -> (&str, &str) {
    let end = line
        .find(|c: char| c.is_whitespace() || c == '=')
        .unwrap_or(line.len());
    let (keyword, rest) = line.split_at(end);
    let rest = rest.trim_start();
    let rest = rest.strip_prefix('=').unwrap_or(rest).trim();
    (keyword, rest)
}

fn unquote(value: &str) -> String {
    value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .unwrap_or(value)
        .to_owned()
}

fn words(value: &str) -> Vec<String> {
    value.split_whitespace().map(unquote).collect()
}

/// `~/x` under the home folder.
pub fn expand_home(path: &str) -> PathBuf {
    match path.strip_prefix("~/") {
        Some(rest) => dirs::home_dir().unwrap_or_default().join(rest),
        None => PathBuf::from(path),
    }
}

/// A `Host` line matches when one pattern matches and no negated one does.
fn host_matches(patterns: &str, alias: &str) -> bool {
    let mut matched = false;
    for pattern in patterns.split_whitespace() {
        match pattern.strip_prefix('!') {
            Some(negated) if glob(negated, alias) => return false,
            Some(_) => {}
            None => matched |= glob(pattern, alias),
        }
    }
    matched
}

/// `*` is any run of characters, `?` any one; case-insensitive as host names are.
fn glob(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (
        pattern.to_ascii_lowercase().chars().collect(),
        text.to_ascii_lowercase().chars().collect(),
    );
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(text: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config");
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    #[test]
    fn first_value_wins_and_identity_files_collect() {
        let (_dir, path) = config(
            "# ops\nHost prod-db\n  HostName 10.0.0.5\n  Port=2222\n  IdentityFile /k/one\n\
             Host prod-*\n  HostName ignored\n  User ops\n  IdentityFile /k/two\n  ProxyJump bastion, ops@edge:2200\n\
             Host *\n  User nobody\n  IdentityAgent none\n",
        );
        let host = lookup(Some(&path), "prod-db").unwrap();
        assert_eq!(host.host_name.as_deref(), Some("10.0.0.5"));
        assert_eq!(host.port, Some(2222));
        assert_eq!(host.user.as_deref(), Some("ops"));
        assert_eq!(
            host.identity_files,
            vec![PathBuf::from("/k/one"), PathBuf::from("/k/two")]
        );
        assert_eq!(host.proxy_jump, vec!["bastion", "ops@edge:2200"]);
        assert_eq!(host.identity_agent.as_deref(), Some("none"));
    }

    #[test]
    fn patterns_negation_and_proxy_jump_none() {
        let (_dir, path) = config(
            "Host *.internal !secret.internal\n  ProxyJump none\nHost *\n  ProxyJump gate\n",
        );
        assert!(
            lookup(Some(&path), "a.internal")
                .unwrap()
                .proxy_jump
                .is_empty()
        );
        assert_eq!(
            lookup(Some(&path), "secret.internal").unwrap().proxy_jump,
            vec!["gate"]
        );
        assert!(glob("db?.prod", "DB1.prod"));
        assert!(!glob("db?.prod", "db12.prod"));
        assert!(lookup(None, "x").unwrap() == HostConfig::default());
    }

    #[test]
    fn a_bad_port_names_the_line() {
        let (_dir, path) = config("Host x\n  Port twenty\n");
        let err = lookup(Some(&path), "x").unwrap_err().to_string();
        assert!(err.contains("line 2"), "{err}");
    }
}
