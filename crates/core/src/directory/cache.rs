//! A user's Redis entries beside their row: `user:{id}` compared field by field,
//! `dashboard:stats:{id}`, their rank on `leaderboard:today`, and their login tokens.

use serde::Serialize;
use serde_json::{Map, Value};

use super::users::UserProfile;
use crate::error::Result;
use crate::keyset::mask;
use crate::redis::RedisServer;

/// One cached field against the database's value of it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct FieldMatch {
    pub field: String,
    #[cfg_attr(feature = "ts", ts(type = "unknown"))]
    pub cached: Value,
    /// `None` when the database has no such field to compare with.
    #[cfg_attr(feature = "ts", ts(type = "unknown"))]
    pub database: Option<Value>,
    pub matches: bool,
}

/// A Redis string entry holding JSON (or text), with its TTL.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct CachedEntry {
    pub key: String,
    /// Seconds left; -1 when the key never expires.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub ttl_seconds: i64,
    #[cfg_attr(feature = "ts", ts(type = "unknown"))]
    pub value: Value,
    pub fields: Vec<FieldMatch>,
    /// Every compared field agrees with the database.
    pub fresh: bool,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct LeaderboardRank {
    /// 1 is the top.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub rank: i64,
    pub score: f64,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct UserCache {
    pub server: String,
    /// `user:{id}`; `None` when it is not cached.
    pub user: Option<CachedEntry>,
    /// `dashboard:stats:{id}`; its `conversations` compared with the database's count.
    pub dashboard: Option<CachedEntry>,
    pub leaderboard: Option<LeaderboardRank>,
}

impl UserCache {
    pub(crate) fn mask(&mut self) {
        for entry in [&mut self.user, &mut self.dashboard].into_iter().flatten() {
            mask::json_fields(&mut entry.value);
            for f in &mut entry.fields {
                let masker: Option<fn(&str) -> String> = match f.field.as_str() {
                    "phone" => Some(mask::phone),
                    "email" => Some(mask::email),
                    "lastLoginIp" | "last_login_ip" => Some(mask::ip),
                    _ => None,
                };
                if let Some(m) = masker {
                    for v in [Some(&mut f.cached), f.database.as_mut()]
                        .into_iter()
                        .flatten()
                    {
                        if let Value::String(s) = v {
                            *s = m(s);
                        }
                    }
                }
            }
        }
    }
}

pub fn user_key(id: i64) -> String {
    format!("user:{id}")
}

pub fn dashboard_key(id: i64) -> String {
    format!("dashboard:stats:{id}")
}

const LEADERBOARD: &str = "leaderboard:today";

/// `some_field` → `someField`, so cached rows in either style meet the database's names.
pub fn camel(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    let mut upper = false;
    for c in key.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// A scalar as text, so `"42"` meets `42` and `2026-11-20 10:00:00` meets `2026-11-20T10:00:00`.
fn scalar_text(v: &Value) -> String {
    match v {
        Value::String(s) => {
            let b = s.as_bytes();
            if b.len() >= 19 && b[10] == b'T' && b[4] == b'-' && b[13] == b':' {
                format!("{} {}", &s[..10], &s[11..])
            } else {
                s.clone()
            }
        }
        Value::Number(n) => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < 9e15 => format!("{}", f as i64),
            _ => n.to_string(),
        },
        other => other.to_string(),
    }
}

/// Compares every field of a cached JSON object with `truth`.
pub fn compare(cached: &Value, truth: &Map<String, Value>) -> Vec<FieldMatch> {
    let Value::Object(map) = cached else {
        return Vec::new();
    };
    map.iter()
        .map(|(field, value)| {
            let database = truth
                .get(field)
                .or_else(|| truth.get(&camel(field)))
                .cloned();
            let matches = database
                .as_ref()
                .is_some_and(|d| scalar_text(d) == scalar_text(value));
            FieldMatch {
                field: field.clone(),
                cached: value.clone(),
                database,
                matches,
            }
        })
        .collect()
}

fn entry(
    key: String,
    raw: Option<String>,
    ttl: i64,
    truth: &Map<String, Value>,
) -> Option<CachedEntry> {
    let raw = raw?;
    let value = serde_json::from_str(&raw).unwrap_or(Value::String(raw));
    let fields = compare(&value, truth);
    let fresh = fields.iter().all(|f| f.matches || f.database.is_none());
    Some(CachedEntry {
        key,
        ttl_seconds: ttl,
        value,
        fields,
        fresh,
    })
}

/// Reads the user's entries in one round trip.
pub async fn user_entries(
    redis: &RedisServer,
    user: &UserProfile,
    conversation_count: i64,
) -> Result<UserCache> {
    let (ukey, dkey) = (user_key(user.id), dashboard_key(user.id));
    let mut conn = redis.conn.clone();
    let member = user_key(user.id);
    #[allow(clippy::type_complexity)]
    let (user_raw, user_ttl, dash_raw, dash_ttl, rank, score): (
        Option<String>,
        i64,
        Option<String>,
        i64,
        Option<i64>,
        Option<f64>,
    ) = ::redis::pipe()
        .cmd("GET")
        .arg(&ukey)
        .cmd("TTL")
        .arg(&ukey)
        .cmd("GET")
        .arg(&dkey)
        .cmd("TTL")
        .arg(&dkey)
        .cmd("ZREVRANK")
        .arg(LEADERBOARD)
        .arg(&member)
        .cmd("ZSCORE")
        .arg(LEADERBOARD)
        .arg(&member)
        .query_async(&mut conn)
        .await
        .map_err(|e| redis.err(e))?;
    let row = match serde_json::to_value(user).expect("rows serialise") {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    let mut counts = Map::new();
    counts.insert("conversations".into(), Value::from(conversation_count));
    Ok(UserCache {
        server: redis.info.address.clone(),
        user: entry(ukey, user_raw, user_ttl, &row),
        dashboard: entry(dkey, dash_raw, dash_ttl, &counts),
        leaderboard: rank.map(|r| LeaderboardRank {
            rank: r + 1,
            score: score.unwrap_or(0.0),
        }),
    })
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct TokenEntry {
    /// The token, or its first characters for a support viewer.
    pub token: String,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub ttl_seconds: i64,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct TokenScan {
    pub tokens: Vec<TokenEntry>,
    /// `token:*` keys looked at.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub tokens_examined: u64,
    /// SCAN calls made (each looks at about [`SCAN_COUNT`] keys of the keyspace).
    pub scan_calls: u32,
    /// The whole keyspace was walked; when false the cap stopped the scan first.
    pub complete: bool,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub keyspace_size: i64,
}

/// Keys SCAN is asked to look at per call.
pub const SCAN_COUNT: u32 = 1_000;

/// Finds the user's login tokens. `token:{token}` holds a user id with no index the other
/// way, so this walks the keyspace with SCAN (never KEYS), at most `max_calls` calls.
pub async fn find_tokens(
    redis: &RedisServer,
    user_id: i64,
    max_calls: u32,
    viewer: crate::access::Actor,
) -> Result<TokenScan> {
    let mut conn = redis.conn.clone();
    let keyspace_size: i64 = ::redis::cmd("DBSIZE")
        .query_async(&mut conn)
        .await
        .map_err(|e| redis.err(e))?;
    let mut cursor: u64 = 0;
    let mut calls = 0u32;
    let mut examined = 0u64;
    let mut found = Vec::new();
    let wanted = user_id.to_string();
    loop {
        let (next, keys): (u64, Vec<String>) = ::redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg("token:*")
            .arg("COUNT")
            .arg(SCAN_COUNT)
            .query_async(&mut conn)
            .await
            .map_err(|e| redis.err(e))?;
        calls += 1;
        examined += keys.len() as u64;
        if !keys.is_empty() {
            let values: Vec<Option<String>> = ::redis::cmd("MGET")
                .arg(&keys)
                .query_async(&mut conn)
                .await
                .map_err(|e| redis.err(e))?;
            for (key, value) in keys.into_iter().zip(values) {
                if value.as_deref() == Some(wanted.as_str()) {
                    found.push(key);
                }
            }
        }
        cursor = next;
        if cursor == 0 || calls >= max_calls {
            break;
        }
    }
    let mut tokens = Vec::with_capacity(found.len());
    for key in found {
        let ttl: i64 = ::redis::cmd("TTL")
            .arg(&key)
            .query_async(&mut conn)
            .await
            .map_err(|e| redis.err(e))?;
        let token = key.trim_start_matches("token:").to_owned();
        tokens.push(TokenEntry {
            token: if viewer.masked() {
                mask::token(&token)
            } else {
                token
            },
            ttl_seconds: ttl,
        });
    }
    Ok(TokenScan {
        tokens,
        tokens_examined: examined,
        scan_calls: calls,
        complete: cursor == 0,
        keyspace_size,
    })
}

/// Deletes the user's cached row and dashboard stats (cache-aside: the next read rebuilds
/// them from the database). Returns the keys that existed.
pub async fn invalidate_user(redis: &RedisServer, user_id: i64) -> Result<Vec<String>> {
    let keys = [user_key(user_id), dashboard_key(user_id)];
    let mut conn = redis.conn.clone();
    let mut pipe = ::redis::pipe();
    for k in &keys {
        pipe.cmd("DEL").arg(k);
    }
    let deleted: Vec<i64> = pipe
        .query_async(&mut conn)
        .await
        .map_err(|e| redis.err(e))?;
    Ok(keys
        .into_iter()
        .zip(deleted)
        .filter(|(_, n)| *n > 0)
        .map(|(k, _)| k)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cached_fields_meet_the_row_in_either_style() {
        let truth = serde_json::json!({"id": 42, "phone": "13800000000", "status": 1,
            "lastLoginAt": "2026-11-20T10:00:00"});
        let Value::Object(truth) = truth else {
            unreachable!()
        };
        let cached = serde_json::json!({"id": "42", "phone": "13800000001", "status": 1,
            "last_login_at": "2026-11-20 10:00:00", "extra": true});
        let fields = compare(&cached, &truth);
        let get = |name: &str| fields.iter().find(|f| f.field == name).unwrap();
        assert!(get("id").matches);
        assert!(!get("phone").matches);
        assert!(get("status").matches);
        assert!(get("last_login_at").matches);
        assert!(get("extra").database.is_none());
    }
}
