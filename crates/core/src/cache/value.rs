//! One key opened: its type, TTL, memory, a page of its value, and what it means to the
//! platform (`user:{id}` is a user, `token:{token}` says whose it is, ...).

use serde::{Deserialize, Serialize};

use super::redirect::Located;
use super::views;
use super::{Nodes, is_binary, parse_key, show_bytes};
use crate::error::{Error, Result};

/// A string value is read up to this many bytes (GETRANGE), never whole.
pub const STRING_LIMIT: usize = 256 * 1024;
/// Elements on one page of a hash, set, zset, list or stream, at most.
pub const MAX_ELEMENTS: u32 = 500;

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct KeyRequest {
    /// As the browser showed it (see `show_bytes`).
    pub key: String,
    /// Where this page starts: a SCAN cursor for hashes and sets, an offset for lists and
    /// zsets, an entry id for streams; empty for the first page.
    #[serde(default)]
    pub from: String,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub page_size: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum LinkKind {
    User,
    Conversation,
    DigitalHuman,
}

/// A platform row a key or element stands for.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct PlatformLink {
    pub kind: LinkKind,
    #[serde(with = "crate::wire::id")]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub id: i64,
    /// What the link says, e.g. "the cached row of user 42".
    pub label: String,
}

/// One element of a collection: a hash field, a set member, a zset member with its score,
/// a list item with its index, a stream entry with its id.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Element {
    /// Field, stream id or list index; `None` for set members.
    pub name: Option<String>,
    pub value: String,
    pub score: Option<f64>,
    pub binary: bool,
    pub link: Option<PlatformLink>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct KeyView {
    pub key: String,
    pub kind: String,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub ttl_ms: i64,
    /// MEMORY USAGE (sampled by the server for big collections).
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub memory_bytes: Option<u64>,
    /// Bytes of a string; elements of a collection.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub length: u64,
    /// A string's text (escaped where binary), up to [`STRING_LIMIT`] bytes.
    pub text: Option<String>,
    /// The string parsed as JSON, when it is JSON.
    #[cfg_attr(feature = "ts", ts(type = "unknown"))]
    pub json: Option<serde_json::Value>,
    pub binary: bool,
    pub truncated: bool,
    pub elements: Vec<Element>,
    /// Where the next page starts; `None` at the end.
    pub next: Option<String>,
    pub links: Vec<PlatformLink>,
    pub node: String,
}

fn gone(key: &str) -> Error {
    Error::NotFound(format!(
        "`{key}` no longer exists: it expired or was deleted"
    ))
}

fn id_after(text: &str, prefix: &str, suffix: &str) -> Option<i64> {
    text.strip_prefix(prefix)?
        .strip_suffix(suffix)?
        .parse()
        .ok()
}

/// What the platform's key names mean.
pub fn key_links(key: &str) -> Vec<PlatformLink> {
    let mut out = Vec::new();
    if let Some(id) = id_after(key, "user:", "") {
        out.push(PlatformLink {
            kind: LinkKind::User,
            id,
            label: format!("the cached row of user {id}"),
        });
    }
    if let Some(id) = id_after(key, "dashboard:stats:", "") {
        out.push(PlatformLink {
            kind: LinkKind::User,
            id,
            label: format!("dashboard figures of user {id}"),
        });
    }
    if let Some(id) = id_after(key, "conversation:", ":context") {
        out.push(PlatformLink {
            kind: LinkKind::Conversation,
            id,
            label: format!("context of conversation {id}"),
        });
    }
    out
}

/// Links a value adds: a token's user, a context's user and digital human.
pub(super) fn value_links(
    key: &str,
    text: &str,
    json: Option<&serde_json::Value>,
) -> Vec<PlatformLink> {
    let mut out = Vec::new();
    if key.starts_with("token:")
        && let Ok(id) = text.trim().trim_matches('"').parse::<i64>()
    {
        out.push(PlatformLink {
            kind: LinkKind::User,
            id,
            label: format!("a login token of user {id}"),
        });
    }
    if let Some(serde_json::Value::Object(map)) = json {
        let number = |name: &str| {
            map.get(name).and_then(|v| {
                v.as_i64()
                    .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
            })
        };
        if key.starts_with("conversation:") {
            if let Some(id) = number("userId") {
                out.push(PlatformLink {
                    kind: LinkKind::User,
                    id,
                    label: format!("user {id}, who holds the conversation"),
                });
            }
            if let Some(id) = number("digitalHumanId") {
                out.push(PlatformLink {
                    kind: LinkKind::DigitalHuman,
                    id,
                    label: format!("digital human {id}"),
                });
            }
        }
    }
    out
}

fn member_link(member: &str) -> Option<PlatformLink> {
    let id = id_after(member, "user:", "")?;
    Some(PlatformLink {
        kind: LinkKind::User,
        id,
        label: format!("user {id}"),
    })
}

pub(super) fn element(name: Option<String>, value: &[u8], score: Option<f64>) -> Element {
    let shown = show_bytes(value);
    let link = if name.is_none() || score.is_some() {
        member_link(&shown)
    } else {
        None
    };
    Element {
        name,
        binary: is_binary(value),
        value: shown,
        score,
        link,
    }
}

/// Opens `request.key` at page `request.from`. A key that expired meanwhile is NotFound.
pub async fn get(nodes: &Nodes, request: &KeyRequest) -> Result<KeyView> {
    let key = parse_key(&request.key)?;
    let shown = request.key.clone();
    let page = request.page_size.clamp(1, MAX_ELEMENTS);
    let mut head = ::redis::pipe();
    head.cmd("TYPE")
        .arg(&key)
        .cmd("PTTL")
        .arg(&key)
        .cmd("MEMORY")
        .arg("USAGE")
        .arg(&key);
    // The slot's master by the map; where it redirects, once, when its slot moved.
    let mut at = Located::by_map(nodes, &key).await?;
    let first: std::result::Result<(String, i64, Option<u64>), _> =
        head.query_async(&mut at.conn).await;
    let (kind, ttl_ms, memory) = match first {
        Ok(head) => head,
        Err(e) => match Located::redirected(nodes, &e).await? {
            Some(there) => {
                at = there;
                head.query_async(&mut at.conn)
                    .await
                    .map_err(|e| at.server.err(e))?
            }
            None => return Err(at.server.err(e)),
        },
    };
    let server = &at.server;
    let mut conn = at.conn.clone();
    if kind == "none" {
        // A first look cannot tell a key never written from one that expired; only a later
        // page of a key that was open can say it went away.
        return Err(if request.from.is_empty() {
            Error::NotFound(format!(
                "`{shown}` does not exist on {} (never written, or expired or deleted); `cache scan` finds keys",
                server.info.address
            ))
        } else {
            gone(&shown)
        });
    }
    let mut view = KeyView {
        key: shown.clone(),
        kind: kind.clone(),
        ttl_ms,
        memory_bytes: memory,
        length: 0,
        text: None,
        json: None,
        binary: false,
        truncated: false,
        elements: Vec::new(),
        next: None,
        links: key_links(&shown),
        node: server.info.address.clone(),
    };
    let read = views::Read {
        server,
        conn: at.conn.clone(),
        key: &key,
        shown: &shown,
        from: request.from.as_str(),
        page,
    };
    match kind.as_str() {
        "string" => read.string(&mut view).await?,
        "hash" => read.hash(&mut view).await?,
        "set" => read.set(&mut view).await?,
        "zset" => read.zset(&mut view).await?,
        "list" => read.list(&mut view).await?,
        "stream" => read.stream(&mut view).await?,
        other => {
            return Err(Error::Refused(format!(
                "`{shown}` is a {other}, which the browser does not show"
            )));
        }
    }
    // Expired between TYPE and the read: say so rather than show an empty value.
    if view.length == 0 {
        let exists: u64 = ::redis::cmd("EXISTS")
            .arg(&key)
            .query_async(&mut conn)
            .await
            .map_err(|e| server.err(e))?;
        if exists == 0 {
            return Err(gone(&shown));
        }
    }
    Ok(view)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platform_keys_link_to_their_rows() {
        assert_eq!(key_links("user:42")[0].id, 42);
        assert_eq!(
            key_links("conversation:7:context")[0].kind,
            LinkKind::Conversation
        );
        assert!(key_links("user:42:extra").is_empty());
        let token = value_links("token:abc", "42", None);
        assert_eq!((token[0].kind, token[0].id), (LinkKind::User, 42));
        let ctx = serde_json::json!({"userId": "5", "digitalHumanId": 9});
        let links = value_links("conversation:1:context", "", Some(&ctx));
        assert_eq!(links.iter().map(|l| l.id).collect::<Vec<_>>(), vec![5, 9]);
        assert_eq!(member_link("user:3").unwrap().id, 3);
    }
}
