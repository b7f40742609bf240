//! Memory by key prefix, from a sample: SCAN returns keys in hash-table order, which has
//! nothing to do with their names, so its first N keys stand for the whole keyspace.

use std::collections::BTreeMap;
use std::time::Instant;

use serde::Serialize;

use super::{MAX_COUNT, Nodes, keyspace, show_bytes};
use crate::error::Result;

/// Keys sampled unless the caller asks otherwise, and at most.
pub const DEFAULT_SAMPLE: u32 = 10_000;
pub const MAX_SAMPLE: u32 = 200_000;
/// Prefix groups listed; the rest are summed as one.
const MAX_GROUPS: usize = 40;

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct PrefixFigures {
    /// The key shape, ids replaced: `user:{id}`, `token:{token}`.
    pub prefix: String,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub sampled_keys: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub sampled_bytes: u64,
    pub average_bytes: f64,
    /// Share of the sample's bytes.
    pub share: f64,
    /// Scaled to the whole keyspace.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub estimated_keys: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub estimated_bytes: u64,
    /// Types seen, most common first.
    pub kinds: Vec<String>,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub without_ttl: u64,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct MemoryAnalysis {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub sample_size: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub keyspace: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub sampled_bytes: u64,
    pub seconds: f64,
    pub groups: Vec<PrefixFigures>,
}

/// The shape of a key: segments that are numbers become `{id}`, long hex ones `{token}`.
pub fn key_shape(key: &str) -> String {
    key.split(':')
        .map(|segment| {
            if !segment.is_empty() && segment.bytes().all(|b| b.is_ascii_digit()) {
                "{id}"
            } else if segment.len() >= 16 && segment.bytes().all(|b| b.is_ascii_hexdigit()) {
                "{token}"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join(":")
}

#[derive(Default)]
struct Tally {
    keys: u64,
    bytes: u64,
    kinds: BTreeMap<String, u64>,
    without_ttl: u64,
}

/// Samples up to `sample` keys (spread over the nodes) and sums MEMORY USAGE by shape.
pub async fn analyze(nodes: &Nodes, sample: u32) -> Result<MemoryAnalysis> {
    let started = Instant::now();
    let sample = sample.clamp(1, MAX_SAMPLE) as usize;
    let keyspace = keyspace(nodes).await?;
    let per_node = sample.div_ceil(nodes.servers.len());
    let mut tallies: BTreeMap<String, Tally> = BTreeMap::new();
    let mut sampled = 0u64;
    for server in &nodes.servers {
        let mut conn = server.conn.clone();
        let mut cursor = 0u64;
        let mut taken = 0usize;
        loop {
            let (next, keys): (u64, Vec<Vec<u8>>) = ::redis::cmd("SCAN")
                .arg(cursor)
                .arg("COUNT")
                .arg(MAX_COUNT.min(per_node as u32).max(10))
                .query_async(&mut conn)
                .await
                .map_err(|e| server.err(e))?;
            let keys: Vec<Vec<u8>> = keys.into_iter().take(per_node - taken).collect();
            if !keys.is_empty() {
                let mut pipe = ::redis::pipe();
                for key in &keys {
                    pipe.cmd("MEMORY")
                        .arg("USAGE")
                        .arg(key)
                        .cmd("TYPE")
                        .arg(key)
                        .cmd("PTTL")
                        .arg(key);
                }
                let replies: Vec<::redis::Value> = pipe
                    .query_async(&mut conn)
                    .await
                    .map_err(|e| server.err(e))?;
                for (key, reply) in keys.iter().zip(replies.chunks(3)) {
                    let bytes: Option<u64> = ::redis::from_redis_value(reply[0].clone()).ok();
                    let kind: String =
                        ::redis::from_redis_value(reply[1].clone()).unwrap_or_default();
                    let ttl: i64 = ::redis::from_redis_value(reply[2].clone()).unwrap_or(-2);
                    // Expired between SCAN and MEMORY USAGE: not part of the sample.
                    let Some(bytes) = bytes else { continue };
                    let tally = tallies.entry(key_shape(&show_bytes(key))).or_default();
                    tally.keys += 1;
                    tally.bytes += bytes;
                    *tally.kinds.entry(kind).or_default() += 1;
                    tally.without_ttl += u64::from(ttl == -1);
                    sampled += 1;
                }
                taken += keys.len();
            }
            cursor = next;
            if cursor == 0 || taken >= per_node {
                break;
            }
        }
    }
    let sampled_bytes: u64 = tallies.values().map(|t| t.bytes).sum();
    let scale = if sampled == 0 {
        0.0
    } else {
        keyspace as f64 / sampled as f64
    };
    let mut groups: Vec<PrefixFigures> = tallies
        .into_iter()
        .map(|(prefix, t)| {
            let mut kinds: Vec<(String, u64)> = t.kinds.into_iter().collect();
            kinds.sort_by_key(|k| std::cmp::Reverse(k.1));
            PrefixFigures {
                prefix,
                sampled_keys: t.keys,
                sampled_bytes: t.bytes,
                average_bytes: t.bytes as f64 / t.keys.max(1) as f64,
                share: if sampled_bytes == 0 {
                    0.0
                } else {
                    t.bytes as f64 / sampled_bytes as f64
                },
                estimated_keys: (t.keys as f64 * scale).round() as u64,
                estimated_bytes: (t.bytes as f64 * scale).round() as u64,
                kinds: kinds.into_iter().map(|(k, _)| k).collect(),
                without_ttl: t.without_ttl,
            }
        })
        .collect();
    groups.sort_by_key(|g| std::cmp::Reverse(g.sampled_bytes));
    if groups.len() > MAX_GROUPS {
        let rest = groups.split_off(MAX_GROUPS - 1);
        let mut other = PrefixFigures {
            prefix: format!("({} other shapes)", rest.len()),
            sampled_keys: 0,
            sampled_bytes: 0,
            average_bytes: 0.0,
            share: 0.0,
            estimated_keys: 0,
            estimated_bytes: 0,
            kinds: Vec::new(),
            without_ttl: 0,
        };
        for g in rest {
            other.sampled_keys += g.sampled_keys;
            other.sampled_bytes += g.sampled_bytes;
            other.share += g.share;
            other.estimated_keys += g.estimated_keys;
            other.estimated_bytes += g.estimated_bytes;
            other.without_ttl += g.without_ttl;
        }
        other.average_bytes = other.sampled_bytes as f64 / other.sampled_keys.max(1) as f64;
        groups.push(other);
    }
    Ok(MemoryAnalysis {
        sample_size: sampled,
        keyspace,
        sampled_bytes,
        seconds: started.elapsed().as_secs_f64(),
        groups,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_tokens_fold_into_shapes() {
        assert_eq!(key_shape("user:42"), "user:{id}");
        assert_eq!(
            key_shape("conversation:7:context"),
            "conversation:{id}:context"
        );
        assert_eq!(key_shape("token:0123456789abcdef0123"), "token:{token}");
        assert_eq!(key_shape("leaderboard:today"), "leaderboard:today");
    }
}
