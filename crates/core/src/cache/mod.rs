//! The Redis cache browser: keys by pattern with SCAN only (never KEYS), under a cost guard,
//! on a standalone server, the master Sentinel names, or every master of a cluster.

pub mod analyze;
pub mod value;
mod views;

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::access::{Actor, Permission};
use crate::audit::{self, Change};
use crate::error::{Error, Result};
use crate::mysql::MysqlServer;
use crate::profiles::{RedisMode, RedisProfile};
use crate::redis::{RedisServer, connect_profile, data_node};

/// The largest COUNT hint one SCAN call gets: bigger ones make single calls slow.
pub const MAX_COUNT: u32 = 1000;
/// SCAN calls one request makes at most, so one click never walks a huge keyspace.
pub const MAX_CALLS_PER_REQUEST: u32 = 50;
/// Wall-clock budget of one request; it returns what it has when this runs out.
pub const REQUEST_BUDGET: Duration = Duration::from_millis(1500);
/// Keys on one page at most (each gets a TYPE and a PTTL).
pub const MAX_PAGE: u32 = 500;
/// A keyspace this large is scanned only after the user said so.
pub const LARGE_KEYSPACE: u64 = 100_000;

/// Shows bytes as text without losing any: valid UTF-8 stays as it is, `\` becomes `\\`,
/// control characters and bytes that are not UTF-8 become `\xNN`. [`parse_key`] reverses it.
pub fn show_bytes(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    let mut rest = bytes;
    while !rest.is_empty() {
        let (valid, bad) = match std::str::from_utf8(rest) {
            Ok(s) => (s, None),
            Err(e) => {
                let (ok, _) = rest.split_at(e.valid_up_to());
                (
                    std::str::from_utf8(ok).expect("valid prefix"),
                    Some(e.error_len().unwrap_or(rest.len() - e.valid_up_to())),
                )
            }
        };
        for c in valid.chars() {
            match c {
                '\\' => out.push_str("\\\\"),
                c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                    out.push_str(&format!("\\x{:02x}", c as u32))
                }
                c => out.push(c),
            }
        }
        rest = &rest[valid.len()..];
        if let Some(n) = bad {
            for b in &rest[..n] {
                out.push_str(&format!("\\x{b:02x}"));
            }
            rest = &rest[n..];
        }
    }
    out
}

/// Whether [`show_bytes`] had to escape anything but backslashes.
pub fn is_binary(bytes: &[u8]) -> bool {
    match std::str::from_utf8(bytes) {
        Err(_) => true,
        Ok(s) => s
            .chars()
            .any(|c| (c as u32) < 0x20 && !matches!(c, '\n' | '\r' | '\t') || c as u32 == 0x7f),
    }
}

/// The bytes of a key as [`show_bytes`] showed it.
pub fn parse_key(text: &str) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            let mut buf = [0u8; 4];
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            continue;
        }
        match chars.next() {
            Some('\\') => out.push(b'\\'),
            Some('x') => {
                let hex: String = chars.by_ref().take(2).collect();
                let byte = u8::from_str_radix(&hex, 16)
                    .ok()
                    .filter(|_| hex.len() == 2)
                    .ok_or_else(|| {
                        Error::InvalidInput(format!(
                            "`\\x{hex}` in a key needs two hex digits, as in \\x00"
                        ))
                    })?;
                out.push(byte);
            }
            other => {
                return Err(Error::InvalidInput(format!(
                    "a key shows a backslash as \\\\ and a byte as \\xNN; `\\{}` is neither",
                    other.map(String::from).unwrap_or_default()
                )));
            }
        }
    }
    Ok(out)
}

/// Escapes Redis glob characters so `text` matches itself.
pub fn glob_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Checks a MATCH pattern: an unclosed `[` or a trailing `\` is almost always a typo for a
/// literal character, and Redis would silently match nothing.
pub fn check_pattern(pattern: &str) -> Result<()> {
    let mut chars = pattern.chars();
    let mut open = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.next().is_none() => {
                return Err(Error::InvalidInput(
                    "the pattern ends with a lone `\\`: write `\\\\` to match a backslash".into(),
                ));
            }
            '[' if !open => open = true,
            ']' if open => open = false,
            _ => {}
        }
    }
    if open {
        return Err(Error::InvalidInput(
            "the pattern opens a `[` character class it never closes: write `\\[` to match a bracket, or search as literal text".into(),
        ));
    }
    Ok(())
}

/// The data nodes a browse walks: one, or every master of a cluster. Made only by
/// [`nodes`] or [`Nodes::single`], which check the actor may browse the cache: holding one
/// is the permission.
#[non_exhaustive]
pub struct Nodes {
    pub servers: Vec<RedisServer>,
}

impl Nodes {
    /// One server given by URL, for an actor that may browse the cache.
    pub fn single(server: RedisServer, actor: Actor) -> Result<Nodes> {
        actor.require(Permission::BrowseCache)?;
        Ok(Nodes {
            servers: vec![server],
        })
    }
}

/// Connects to the profile's data nodes: the server itself, the master Sentinel names, or
/// every master `CLUSTER NODES` lists.
pub async fn nodes(profile: &RedisProfile, actor: Actor, timeout: Duration) -> Result<Nodes> {
    actor.require(Permission::BrowseCache)?;
    let first = connect_profile(profile, timeout).await?;
    if profile.mode != RedisMode::Cluster {
        return Nodes::single(first, actor);
    }
    let mut conn = first.conn.clone();
    let raw: String = ::redis::cmd("CLUSTER")
        .arg("NODES")
        .query_async(&mut conn)
        .await
        .map_err(|e| first.err(e))?;
    let mut addresses = cluster_masters(&raw);
    addresses.sort();
    let like = profile
        .nodes
        .first()
        .expect("a cluster profile has a seed node");
    let mut servers = Vec::new();
    for (host, port) in addresses {
        if host == first.target.host && port == first.target.port {
            servers.push(first.clone());
        } else {
            servers.push(RedisServer::connect(&data_node(host, port, like), timeout).await?);
        }
    }
    Ok(Nodes { servers })
}

/// Masters of a `CLUSTER NODES` reply that are not failing: `(host, port)`.
pub fn cluster_masters(raw: &str) -> Vec<(String, u16)> {
    raw.lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let flags = fields.get(2)?;
            if !flags.split(',').any(|f| f == "master") || flags.contains("fail") {
                return None;
            }
            // ip:port@cport[,hostname]
            let addr = fields.get(1)?.split('@').next()?;
            let (host, port) = addr.rsplit_once(':')?;
            Some((host.to_owned(), port.parse().ok()?))
        })
        .collect()
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ScanRequest {
    /// A Redis glob (`user:*`); empty means every key.
    pub pattern: String,
    /// `""` or `"0"` to start; else the `cursor` of the previous page.
    #[serde(default)]
    pub cursor: String,
    /// Keys wanted on this page.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub page_size: u32,
    /// COUNT hint per SCAN call, at most [`MAX_COUNT`].
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub count: Option<u32>,
    /// The user confirmed scanning a keyspace over [`LARGE_KEYSPACE`] keys.
    #[serde(default)]
    pub confirm_large: bool,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct KeyRow {
    /// As [`show_bytes`] shows it.
    pub key: String,
    pub binary: bool,
    /// `string`, `hash`, ... or `none` when it expired before it was looked at.
    pub kind: String,
    /// Milliseconds left; -1 without expiry, -2 gone.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub ttl_ms: i64,
    /// The node holding it, in a cluster.
    pub node: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ScanPage {
    pub keys: Vec<KeyRow>,
    /// Where the next page starts; `"0"` once every node has been walked.
    pub cursor: String,
    pub done: bool,
    /// SCAN calls this page made.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub calls: u32,
    /// The COUNT hint each call used.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub count: u32,
    /// Keys in the database(s), by DBSIZE.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub keyspace: u64,
    /// Set when the keyspace is large and the request did not confirm: nothing was scanned.
    pub needs_confirmation: Option<String>,
    /// Why the page stopped short of `page_size` before the walk ended.
    pub stopped: Option<String>,
}

/// Cursor of a multi-node walk: `<node index>:<cursor on that node>`.
fn split_cursor(cursor: &str, nodes: usize) -> Result<(usize, u64)> {
    if cursor.is_empty() || cursor == "0" {
        return Ok((0, 0));
    }
    let bad = || Error::InvalidInput(format!("`{cursor}` is not a cursor this browser gave out"));
    let (node, at) = cursor.split_once(':').ok_or_else(bad)?;
    let node: usize = node.parse().map_err(|_| bad())?;
    let at: u64 = at.parse().map_err(|_| bad())?;
    if node >= nodes {
        return Err(bad());
    }
    Ok((node, at))
}

async fn dbsize(server: &RedisServer) -> Result<u64> {
    let mut conn = server.conn.clone();
    ::redis::cmd("DBSIZE")
        .query_async(&mut conn)
        .await
        .map_err(|e| server.err(e))
}

/// Keys in every node's selected database.
pub async fn keyspace(nodes: &Nodes) -> Result<u64> {
    let mut total = 0;
    for server in &nodes.servers {
        total += dbsize(server).await?;
    }
    Ok(total)
}

/// One page of keys matching `request.pattern`. It stops at `page_size` keys, at
/// [`MAX_CALLS_PER_REQUEST`] SCAN calls or at [`REQUEST_BUDGET`], whichever comes first, and
/// reads TYPE and PTTL only for the keys it returns.
pub async fn scan(nodes: &Nodes, request: &ScanRequest) -> Result<ScanPage> {
    let pattern = if request.pattern.is_empty() {
        "*"
    } else {
        request.pattern.as_str()
    };
    check_pattern(pattern)?;
    let page_size = request.page_size.clamp(1, MAX_PAGE) as usize;
    let count = request.count.unwrap_or(MAX_COUNT).clamp(10, MAX_COUNT);
    let (mut node, mut cursor) = split_cursor(&request.cursor, nodes.servers.len())?;
    let keyspace = keyspace(nodes).await?;
    let starting = node == 0 && cursor == 0;
    let selective = pattern.find(['*', '?', '[']).is_some_and(|i| i >= 3);
    if starting && keyspace > LARGE_KEYSPACE && !request.confirm_large {
        return Ok(ScanPage {
            keys: Vec::new(),
            cursor: "0".into(),
            done: false,
            calls: 0,
            count,
            keyspace,
            needs_confirmation: Some(format!(
                "{keyspace} keys: SCAN walks all of them to find {}, in pages of at most {} calls. {}",
                if pattern == "*" {
                    "every key".to_owned()
                } else {
                    format!("`{pattern}`")
                },
                MAX_CALLS_PER_REQUEST,
                if selective {
                    "Each call is short, but the walk is long."
                } else {
                    "Narrow the pattern first if you can."
                }
            )),
            stopped: None,
        });
    }
    let started = Instant::now();
    let mut calls = 0;
    let mut found: Vec<(usize, Vec<u8>)> = Vec::new();
    let mut stopped = None;
    let multi = nodes.servers.len() > 1;
    loop {
        let server = &nodes.servers[node];
        let mut conn = server.conn.clone();
        let (next, keys): (u64, Vec<Vec<u8>>) = ::redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(pattern)
            .arg("COUNT")
            .arg(count)
            .query_async(&mut conn)
            .await
            .map_err(|e| server.err(e))?;
        calls += 1;
        found.extend(keys.into_iter().map(|k| (node, k)));
        cursor = next;
        if cursor == 0 {
            node += 1;
            if node == nodes.servers.len() {
                break;
            }
        }
        if found.len() >= page_size {
            break;
        }
        if calls >= MAX_CALLS_PER_REQUEST {
            stopped = Some(format!(
                "stopped after {calls} SCAN calls; more keys may match further on"
            ));
            break;
        }
        if started.elapsed() >= REQUEST_BUDGET {
            stopped = Some(format!(
                "stopped after {:.1} s; more keys may match further on",
                started.elapsed().as_secs_f64()
            ));
            break;
        }
    }
    let done = node == nodes.servers.len();
    // SCAN may return a few more than asked; keep them all so none is skipped.
    let keys = describe(nodes, &found, multi).await?;
    Ok(ScanPage {
        keys,
        cursor: if done {
            "0".into()
        } else {
            format!("{node}:{cursor}")
        },
        done,
        calls,
        count,
        keyspace,
        needs_confirmation: None,
        stopped,
    })
}

/// TYPE and PTTL of the keys on screen, one pipeline per node.
async fn describe(nodes: &Nodes, found: &[(usize, Vec<u8>)], multi: bool) -> Result<Vec<KeyRow>> {
    let mut rows = Vec::with_capacity(found.len());
    for (index, server) in nodes.servers.iter().enumerate() {
        let keys: Vec<&Vec<u8>> = found
            .iter()
            .filter(|(n, _)| *n == index)
            .map(|(_, k)| k)
            .collect();
        if keys.is_empty() {
            continue;
        }
        let mut pipe = ::redis::pipe();
        for key in &keys {
            pipe.cmd("TYPE")
                .arg(key.as_slice())
                .cmd("PTTL")
                .arg(key.as_slice());
        }
        let mut conn = server.conn.clone();
        let replies: Vec<::redis::Value> = pipe
            .query_async(&mut conn)
            .await
            .map_err(|e| server.err(e))?;
        for (key, pair) in keys.iter().zip(replies.chunks(2)) {
            let kind: String =
                ::redis::from_redis_value(pair[0].clone()).unwrap_or_else(|_| "none".into());
            let ttl_ms: i64 = ::redis::from_redis_value(pair[1].clone()).unwrap_or(-2);
            rows.push(KeyRow {
                key: show_bytes(key),
                binary: is_binary(key),
                kind,
                ttl_ms,
                node: multi.then(|| server.info.address.clone()),
            });
        }
    }
    Ok(rows)
}

/// The node of `nodes` that holds `key`: the only one, or the cluster master that owns its
/// slot (the others answer MOVED).
pub async fn node_for<'a>(nodes: &'a Nodes, key: &[u8]) -> Result<&'a RedisServer> {
    if nodes.servers.len() == 1 {
        return Ok(&nodes.servers[0]);
    }
    for server in &nodes.servers {
        let mut conn = server.conn.clone();
        match ::redis::cmd("EXISTS")
            .arg(key)
            .query_async::<u64>(&mut conn)
            .await
        {
            Ok(_) => return Ok(server),
            Err(e) if e.kind() == ::redis::ErrorKind::Server(::redis::ServerErrorKind::Moved) => {
                continue;
            }
            Err(e) => return Err(server.err(e)),
        }
    }
    Err(Error::NotFound(format!(
        "no master of the cluster owns the slot of `{}`",
        show_bytes(key)
    )))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum KeyChange {
    /// UNLINK: the value is freed in the background, so a huge key does not stall Redis.
    Delete,
    Expire {
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        seconds: u64,
    },
    /// PERSIST: remove the expiry.
    Persist,
}

/// Deletes a key or changes its expiry, and writes it to operation_logs. The caller asked
/// the user to confirm.
pub async fn change(
    nodes: &Nodes,
    actor: Actor,
    key: &str,
    what: KeyChange,
    audit_to: &MysqlServer,
) -> Result<bool> {
    actor.require(Permission::RedisWrite)?;
    let bytes = parse_key(key)?;
    let server = node_for(nodes, &bytes).await?;
    let mut conn = server.conn.clone();
    let (action, applied): (&str, i64) = match what {
        KeyChange::Delete => (
            "cache.delete",
            ::redis::cmd("UNLINK")
                .arg(&bytes)
                .query_async(&mut conn)
                .await
                .map_err(|e| server.err(e))?,
        ),
        KeyChange::Expire { seconds } => (
            "cache.expire",
            ::redis::cmd("EXPIRE")
                .arg(&bytes)
                .arg(seconds.max(1))
                .query_async(&mut conn)
                .await
                .map_err(|e| server.err(e))?,
        ),
        KeyChange::Persist => (
            "cache.persist",
            ::redis::cmd("PERSIST")
                .arg(&bytes)
                .query_async(&mut conn)
                .await
                .map_err(|e| server.err(e))?,
        ),
    };
    if applied == 0 && !matches!(what, KeyChange::Persist) {
        return Err(Error::NotFound(format!(
            "`{key}` no longer exists: it expired or was deleted"
        )));
    }
    audit::record(
        audit_to,
        Change {
            action,
            resource_type: "redis_key",
            resource_id: None,
            details: json!({ "key": key, "node": server.info.address, "change": what }),
        },
    )
    .await?;
    Ok(applied == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_show_and_parse_back_losslessly() {
        for raw in [
            b"user:1".to_vec(),
            b"a\\b".to_vec(),
            vec![0, 159, 146, 150, b'k', 0xff],
            "情绪:开心".as_bytes().to_vec(),
            b"tab\there\x7f".to_vec(),
        ] {
            let shown = show_bytes(&raw);
            assert_eq!(parse_key(&shown).unwrap(), raw, "{shown}");
        }
        assert_eq!(show_bytes(&[0, b'a', 0xff]), "\\x00a\\xff");
        assert!(is_binary(&[0xff]));
        assert!(!is_binary("情绪".as_bytes()));
        assert!(parse_key("bad\\q").is_err());
        assert!(parse_key("bad\\x4").is_err());
    }

    #[test]
    fn patterns_with_open_classes_or_lone_backslashes_are_refused() {
        assert!(check_pattern("user:*").is_ok());
        assert!(check_pattern("user:[0-9]*").is_ok());
        assert!(check_pattern("user:\\[x").is_ok());
        assert!(check_pattern("user:[x").is_err());
        assert!(check_pattern("user:\\").is_err());
        assert_eq!(glob_escape("a*b?[c]\\"), "a\\*b\\?\\[c\\]\\\\");
    }

    #[test]
    fn cluster_nodes_reply_lists_healthy_masters() {
        let raw = "a1 127.0.0.1:7000@17000 myself,master - 0 0 1 connected 0-5460\n\
                   b2 127.0.0.1:7001@17001 master - 0 0 2 connected 5461-10922\n\
                   c3 127.0.0.1:7002@17002 master,fail - 0 0 3 connected\n\
                   d4 127.0.0.1:7003@17003 slave a1 0 0 1 connected\n";
        assert_eq!(
            cluster_masters(raw),
            vec![("127.0.0.1".into(), 7000), ("127.0.0.1".into(), 7001)]
        );
    }

    #[test]
    fn cursors_name_a_node() {
        assert_eq!(split_cursor("", 3).unwrap(), (0, 0));
        assert_eq!(split_cursor("2:991", 3).unwrap(), (2, 991));
        assert!(split_cursor("3:1", 3).is_err());
        assert!(split_cursor("x", 3).is_err());
    }
}
