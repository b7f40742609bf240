//! The platform's Redis keys for the seeded rows, a few deliberately stale so that
//! cache-versus-database checks have something to find.

use std::collections::HashMap;

use tokio_util::sync::CancellationToken;

use super::SeedEvent;
use super::rng::Rng;
use super::rows::{ANCHOR, Plan};
use crate::error::{Error, Result};
use crate::redis::RedisServer;

/// Commands per pipeline round trip.
const PIPELINE: usize = 2_000;
const STREAM: u64 = 900;

/// Writes `user:{id}`, `token:{token}`, `dashboard:stats:{id}`, `conversation:{id}:context`,
/// `leaderboard:today` and a counter. Returns (keys written, keys stale on purpose).
pub async fn write(
    redis: &RedisServer,
    plan: &Plan,
    progress: &(dyn Fn(SeedEvent) + Send + Sync),
    cancel: &CancellationToken,
) -> Result<(u64, u64)> {
    let mut conn = redis.conn.clone();
    let mut pipe = ::redis::pipe();
    let mut queued = 0usize;
    let mut keys = 0u64;
    let mut stale = 0u64;

    // Per-user conversation and message totals for the dashboard cache.
    let mut per_user: HashMap<u64, (u64, u64)> = HashMap::new();
    for c in &plan.convs {
        let e = per_user.entry(c.user_id).or_default();
        e.0 += 1;
        e.1 += c.messages;
    }

    macro_rules! flush_if_full {
        () => {
            if queued >= PIPELINE {
                if cancel.is_cancelled() {
                    return Err(Error::Cancelled);
                }
                pipe.query_async::<()>(&mut conn)
                    .await
                    .map_err(|e| redis.err(e))?;
                progress(SeedEvent::Redis {
                    keys: queued as u64,
                });
                pipe = ::redis::pipe();
                queued = 0;
            }
        };
    }

    for id in 1..=plan.users {
        let mut r = Rng::for_row(plan.seed, STREAM, id);
        // Cache-aside: roughly the recently active fifth of users is cached.
        if r.chance(0.2) {
            let facts = plan.user_facts(id);
            let mut nickname = facts.nickname.clone();
            let mut status = facts.status;
            // A stale entry: the database changed and the delete of the key was lost.
            let is_stale = r.chance(0.02) || facts.deleted;
            if is_stale && !facts.deleted {
                if r.chance(0.5) {
                    nickname = Some(format!("{}(旧)", nickname.unwrap_or_default()));
                } else {
                    status = if status == 1 { 2 } else { 1 };
                }
            }
            stale += u64::from(is_stale);
            let value = serde_json::json!({
                "id": id.to_string(),
                "phone": facts.phone,
                "nickname": nickname,
                "status": status,
                "role": facts.role,
            });
            let ttl = 3600 + r.below(301);
            pipe.cmd("SET")
                .arg(format!("user:{id}"))
                .arg(value.to_string())
                .arg("EX")
                .arg(ttl)
                .ignore();
            queued += 1;
            keys += 1;
        }
        if r.chance(0.05) {
            let token = format!("{:016x}{:016x}", r.next_u64(), r.next_u64());
            pipe.cmd("SET")
                .arg(format!("token:{token}"))
                .arg(id)
                .arg("EX")
                .arg(86_400 - r.below(80_000))
                .ignore();
            queued += 1;
            keys += 1;
        }
        if r.chance(0.05) {
            let (conversations, messages) = per_user.get(&id).copied().unwrap_or_default();
            let is_stale = r.chance(0.1);
            stale += u64::from(is_stale);
            let value = serde_json::json!({
                "conversations": if is_stale { conversations + 3 } else { conversations },
                "messages": messages,
                "generatedAt": ANCHOR,
            });
            pipe.cmd("SET")
                .arg(format!("dashboard:stats:{id}"))
                .arg(value.to_string())
                .arg("EX")
                .arg(300)
                .ignore();
            queued += 1;
            keys += 1;
        }
        flush_if_full!();
    }

    // Context of the most recently active conversations.
    let mut recent: Vec<(i64, u64)> = plan
        .convs
        .iter()
        .enumerate()
        .filter_map(|(i, c)| c.last_message_at().map(|t| (t, i as u64 + 1)))
        .collect();
    recent.sort_unstable_by(|a, b| b.cmp(a));
    for (_, cid) in recent
        .iter()
        .take(((plan.conversations / 100) as usize).max(5))
    {
        let c = plan.conv(*cid);
        let value = serde_json::json!({
            "userId": c.user_id.to_string(),
            "digitalHumanId": c.dh_id.to_string(),
            "mood": c.mood.user_emotion(),
            "turns": c.messages,
        });
        pipe.cmd("SET")
            .arg(format!("conversation:{cid}:context"))
            .arg(value.to_string())
            .arg("EX")
            .arg(1800)
            .ignore();
        queued += 1;
        keys += 1;
        flush_if_full!();
    }

    // Today's leaderboard: members `user:{id}`, read with ZREVRANGE 0 9 WITHSCORES.
    pipe.cmd("DEL").arg("leaderboard:today").ignore();
    let mut board = ::redis::cmd("ZADD");
    board.arg("leaderboard:today");
    for id in 1..=plan.users.min(200) {
        let mut r = Rng::for_row(plan.seed, STREAM + 1, id);
        board.arg(r.below(5_000)).arg(format!("user:{id}"));
    }
    pipe.add_command(board).ignore();
    pipe.cmd("SET")
        .arg("messages:total:count")
        .arg(plan.messages)
        .ignore();
    queued += 3;
    keys += 2;
    pipe.query_async::<()>(&mut conn)
        .await
        .map_err(|e| redis.err(e))?;
    progress(SeedEvent::Redis {
        keys: queued as u64,
    });
    Ok((keys, stale))
}
