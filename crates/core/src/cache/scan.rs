//! The SCAN browser: one page of keys across every master, with a cursor that names the
//! node, under a budget of calls and time.

use super::*;

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
    /// The nodes walked, in walk order (one outside a cluster).
    pub nodes: Vec<NodeShare>,
}

/// Cursor of a walk: the node's cursor on one server; `<node id>:<cursor>` in a cluster, so
/// a page is only ever resumed on the very node it came from.
pub(super) fn make_cursor(ids: &[String], node: usize, cursor: u64) -> String {
    match ids.get(node) {
        Some(id) => format!("{id}:{cursor}"),
        None => cursor.to_string(),
    }
}

/// Where a cursor of [`make_cursor`] resumes: the index of its node and the node's cursor.
pub(super) fn split_cursor(cursor: &str, ids: &[String]) -> Result<(usize, u64)> {
    if cursor.is_empty() || cursor == "0" {
        return Ok((0, 0));
    }
    let bad = || Error::InvalidInput(format!("`{cursor}` is not a cursor this browser gave out"));
    if ids.is_empty() {
        return Ok((0, cursor.parse().map_err(|_| bad())?));
    }
    let (id, at) = cursor.split_once(':').ok_or_else(bad)?;
    let at: u64 = at.parse().map_err(|_| bad())?;
    if id.len() != 40 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(bad());
    }
    let node = ids.iter().position(|n| n == id).ok_or_else(|| {
        Error::Conflict(format!(
            "the cluster changed since this page: node {} no longer serves slots as a master \
             (a failover, or another cluster now answers); start the walk again",
            &id[..8]
        ))
    })?;
    Ok((node, at))
}

pub(super) async fn dbsize(server: &RedisServer) -> Result<u64> {
    let mut conn = server.conn.clone();
    ::redis::cmd("DBSIZE")
        .query_async(&mut conn)
        .await
        .map_err(|e| server.err(e))
}

/// Keys in every node's selected database.
pub async fn keyspace(nodes: &Nodes) -> Result<u64> {
    Ok(per_node(nodes).await?.iter().map(|n| n.keys).sum())
}

/// One master of a cluster browse: where it is, the slots it serves, its keys.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct NodeShare {
    pub address: String,
    /// The path to it: direct or through the profile's bastion.
    pub path: String,
    /// `0-5460,…`; empty outside a cluster.
    pub slots: String,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub keys: u64,
}

async fn per_node(nodes: &Nodes) -> Result<Vec<NodeShare>> {
    let mut shares = Vec::with_capacity(nodes.servers.len());
    for (i, server) in nodes.servers.iter().enumerate() {
        shares.push(NodeShare {
            address: server.info.address.clone(),
            path: server.info.path.clone(),
            slots: nodes
                .masters
                .get(i)
                .map(|m| m.slot_ranges())
                .unwrap_or_default(),
            keys: dbsize(server).await?,
        });
    }
    Ok(shares)
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
    let ids: Vec<String> = nodes.masters.iter().map(|m| m.id.clone()).collect();
    let (mut node, mut cursor) = split_cursor(&request.cursor, &ids)?;
    let shares = per_node(nodes).await?;
    let keyspace = shares.iter().map(|n| n.keys).sum();
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
            nodes: shares,
        });
    }
    let started = Instant::now();
    let mut calls = 0;
    let mut found: Vec<(usize, Vec<u8>)> = Vec::new();
    let mut stopped = None;
    let multi = nodes.is_cluster();
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
            make_cursor(&ids, node, cursor)
        },
        done,
        calls,
        count,
        keyspace,
        needs_confirmation: None,
        stopped,
        nodes: shares,
    })
}

/// TYPE and PTTL of the keys on screen, one pipeline per node.
pub(super) async fn describe(
    nodes: &Nodes,
    found: &[(usize, Vec<u8>)],
    multi: bool,
) -> Result<Vec<KeyRow>> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_name_a_node() {
        let ids: Vec<String> = ["a", "b", "c"].iter().map(|c| c.repeat(40)).collect();
        assert_eq!(split_cursor("", &ids).unwrap(), (0, 0));
        let resumed = make_cursor(&ids, 2, 991);
        assert_eq!(split_cursor(&resumed, &ids).unwrap(), (2, 991));
        assert_eq!(split_cursor("991", &[]).unwrap(), (0, 991));
        assert!(split_cursor("x", &ids).is_err());
        assert!(split_cursor("2:1", &ids).is_err(), "an index is not a node");
        let gone = make_cursor(&["d".repeat(40)], 0, 7);
        let err = split_cursor(&gone, &ids).unwrap_err().to_string();
        assert!(err.contains("the cluster changed"), "{err}");
    }
}
