//! The live settings beside the platform's own recommendations for MySQL and Redis.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::error::Result;
use crate::mysql::{MysqlServer, cell_text};
use crate::redis::RedisServer;

const MIB: f64 = 1024.0 * 1024.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(
    feature = "ts",
    derive(ts_rs::TS),
    ts(export, rename = "AdviceVerdict")
)]
pub enum Verdict {
    Ok,
    Differs,
    /// The console could not read the setting or what it depends on.
    Unknown,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Advice {
    /// `mysql` or `redis`.
    pub server: String,
    pub setting: String,
    pub current: String,
    pub recommended: String,
    pub verdict: Verdict,
    pub why: String,
}

fn advice(
    server: &str,
    setting: &str,
    current: String,
    recommended: &str,
    verdict: Verdict,
    why: &str,
) -> Advice {
    Advice {
        server: server.into(),
        setting: setting.into(),
        current,
        recommended: recommended.into(),
        verdict,
        why: why.into(),
    }
}

fn mib(bytes: f64) -> String {
    if bytes >= 1024.0 * MIB {
        format!("{:.1} GiB", bytes / 1024.0 / MIB)
    } else {
        format!("{:.0} MiB", bytes / MIB)
    }
}

fn verdict(ok: bool) -> Verdict {
    if ok { Verdict::Ok } else { Verdict::Differs }
}

/// The machine's memory when the server runs on it (loopback or a socket); a remote
/// server's memory is not something SQL reports.
fn local_memory_bytes(server: &MysqlServer) -> Option<f64> {
    let t = &server.target;
    let local = t.socket.is_some() || matches!(t.host.as_str(), "127.0.0.1" | "localhost" | "::1");
    if !local {
        return None;
    }
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = meminfo.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024.0)
}

/// Advice on the MySQL/MariaDB settings the platform's design names.
pub async fn mysql(server: &MysqlServer) -> Result<Vec<Advice>> {
    let rows = sqlx::raw_sql(
        "SHOW GLOBAL VARIABLES WHERE Variable_name IN ('innodb_buffer_pool_size', 'innodb_buffer_pool_instances', \
         'innodb_log_file_size', 'innodb_log_files_in_group', 'innodb_redo_log_capacity', 'innodb_log_buffer_size', \
         'max_connections', 'tmp_table_size', 'max_heap_table_size', 'thread_cache_size', 'sort_buffer_size', \
         'join_buffer_size', 'read_buffer_size', 'read_rnd_buffer_size', 'slow_query_log', 'long_query_time')",
    )
    .fetch_all(&server.pool)
    .await
    .map_err(|e| server.err(e))?;
    let vars: BTreeMap<String, String> = rows
        .iter()
        .filter_map(|r| Some((cell_text(r, 0)?.to_ascii_lowercase(), cell_text(r, 1)?)))
        .collect();
    let num = |name: &str| vars.get(name).and_then(|v| v.parse::<f64>().ok());
    let mut out = Vec::new();
    let m = "mysql";

    let pool = num("innodb_buffer_pool_size").unwrap_or(0.0);
    match local_memory_bytes(server) {
        Some(memory) => {
            let share = pool / memory;
            out.push(advice(
                m,
                "innodb_buffer_pool_size",
                format!("{} ({:.0} % of this machine's {})", mib(pool), share * 100.0, mib(memory)),
                "70–80 % of memory",
                verdict((0.7..=0.8).contains(&share)),
                "the buffer pool is InnoDB's cache of pages; too small and reads go to disk, too big and the OS swaps",
            ));
        }
        None => out.push(advice(
            m,
            "innodb_buffer_pool_size",
            mib(pool),
            "70–80 % of memory",
            Verdict::Unknown,
            "the server is not on this machine, so its memory is unknown: compare with the host's RAM",
        )),
    }
    match num("innodb_buffer_pool_instances") {
        Some(n) => out.push(advice(
            m,
            "innodb_buffer_pool_instances",
            format!("{n}"),
            "4",
            verdict(n == 4.0),
            "several instances cut contention on the buffer pool's mutex under concurrent load",
        )),
        None => out.push(advice(
            m,
            "innodb_buffer_pool_instances",
            "not a setting here".into(),
            "4",
            Verdict::Ok,
            "MariaDB 10.6 and later have one buffer pool instance and no such setting",
        )),
    }
    let redo = num("innodb_redo_log_capacity").or_else(|| {
        num("innodb_log_file_size")
            .map(|size| size * num("innodb_log_files_in_group").unwrap_or(1.0))
    });
    out.push(advice(
        m,
        if vars.contains_key("innodb_redo_log_capacity") {
            "innodb_redo_log_capacity"
        } else {
            "innodb_log_file_size"
        },
        redo.map(mib).unwrap_or_else(|| "unknown".into()),
        "512 MiB",
        redo.map(|r| verdict(r >= 512.0 * MIB))
            .unwrap_or(Verdict::Unknown),
        "a small redo log forces frequent checkpoints and stalls write bursts",
    ));
    let log_buffer = num("innodb_log_buffer_size").unwrap_or(0.0);
    out.push(advice(
        m,
        "innodb_log_buffer_size",
        mib(log_buffer),
        "16 MiB",
        verdict(log_buffer >= 16.0 * MIB),
        "big transactions write redo to disk before commit when the buffer is small",
    ));
    let max_connections = num("max_connections").unwrap_or(0.0);
    out.push(advice(
        m,
        "max_connections",
        format!("{max_connections}"),
        "500",
        verdict(max_connections >= 500.0),
        "the platform's application servers and pools together need up to 500",
    ));
    let tmp = num("tmp_table_size").unwrap_or(0.0);
    let heap = num("max_heap_table_size").unwrap_or(0.0);
    out.push(advice(
        m,
        "tmp_table_size / max_heap_table_size",
        format!("{} / {}", mib(tmp), mib(heap)),
        "64 MiB both",
        verdict(tmp.min(heap) >= 64.0 * MIB),
        "an in-memory temporary table larger than the smaller of the two goes to disk",
    ));
    let threads = num("thread_cache_size").unwrap_or(0.0);
    out.push(advice(
        m,
        "thread_cache_size",
        format!("{threads}"),
        "100",
        verdict(threads >= 100.0),
        "reused threads save a thread creation on every new connection",
    ));
    for (name, want, why) in [
        (
            "sort_buffer_size",
            2.0,
            "allocated per sort: big values multiply by the connections",
        ),
        (
            "join_buffer_size",
            2.0,
            "allocated per join without an index: big values multiply by the connections",
        ),
        ("read_buffer_size", 2.0, "allocated per sequential scan"),
        (
            "read_rnd_buffer_size",
            8.0,
            "used for reads in sorted order after a sort",
        ),
    ] {
        let value = num(name).unwrap_or(0.0);
        out.push(advice(
            m,
            name,
            mib(value),
            &format!("{want:.0} MiB"),
            // Per-connection buffers: within a factor of two either way is fine.
            verdict((want * MIB / 2.0..=want * MIB * 2.0).contains(&value)),
            why,
        ));
    }
    let slow = vars.get("slow_query_log").map(String::as_str).unwrap_or("");
    let long_query_time = num("long_query_time").unwrap_or(10.0);
    out.push(advice(
        m,
        "slow_query_log / long_query_time",
        format!("{slow} / {long_query_time} s"),
        "ON / 2 s",
        verdict(slow.eq_ignore_ascii_case("ON") && long_query_time <= 2.0),
        "the platform summarises statements slower than 2 s from the slow log",
    ));
    Ok(out)
}

/// Advice on the Redis settings the platform's design names. A server that refuses
/// `CONFIG GET` (renamed or ACL-limited) gets one Unknown line saying so.
pub async fn redis(server: &RedisServer) -> Vec<Advice> {
    let r = "redis";
    let mut conn = server.conn.clone();
    let mut config = BTreeMap::new();
    for name in [
        "maxmemory",
        "maxmemory-policy",
        "save",
        "appendonly",
        "appendfsync",
        "slowlog-log-slower-than",
        "slowlog-max-len",
    ] {
        let got: std::result::Result<Vec<String>, _> = ::redis::cmd("CONFIG")
            .arg("GET")
            .arg(name)
            .query_async(&mut conn)
            .await;
        match got {
            Ok(pair) if pair.len() == 2 => {
                config.insert(name, pair[1].clone());
            }
            Ok(_) => {}
            Err(e) => {
                return vec![advice(
                    r,
                    "CONFIG GET",
                    "refused".into(),
                    "readable",
                    Verdict::Unknown,
                    &format!(
                        "the server did not answer CONFIG GET ({}): the settings cannot be compared",
                        server.err(e)
                    ),
                )];
            }
        }
    }
    let get = |name: &str| config.get(name).cloned().unwrap_or_default();
    let maxmemory: f64 = get("maxmemory").parse().unwrap_or(0.0);
    let policy = get("maxmemory-policy");
    let save = get("save");
    let slower_than: i64 = get("slowlog-log-slower-than").parse().unwrap_or(-1);
    let max_len: i64 = get("slowlog-max-len").parse().unwrap_or(0);
    vec![
        advice(
            r,
            "maxmemory",
            if maxmemory == 0.0 {
                "0 (no limit)".into()
            } else {
                mib(maxmemory)
            },
            "2 GiB",
            verdict(maxmemory == 2048.0 * MIB),
            "without a limit the cache grows until the OS kills it; with one, the policy decides what goes",
        ),
        advice(
            r,
            "maxmemory-policy",
            policy.clone(),
            "allkeys-lru",
            verdict(policy == "allkeys-lru"),
            "the cache holds rebuildable entries, so evicting the least recently used of any key is right",
        ),
        advice(
            r,
            "save",
            if save.is_empty() {
                "(no RDB snapshots)".into()
            } else {
                save.clone()
            },
            "900 1 300 10 60 10000",
            verdict(save == "900 1 300 10 60 10000"),
            "the platform's RDB save points: a snapshot after 15 min with a change, 5 min with 10, 1 min with 10 000",
        ),
        advice(
            r,
            "appendonly / appendfsync",
            format!("{} / {}", get("appendonly"), get("appendfsync")),
            "yes / everysec",
            verdict(get("appendonly") == "yes" && get("appendfsync") == "everysec"),
            "the AOF with a sync every second loses at most a second of writes on a crash",
        ),
        advice(
            r,
            "slowlog-log-slower-than / slowlog-max-len",
            format!("{} ms / {max_len}", slower_than as f64 / 1000.0),
            "10 ms / 128",
            verdict(slower_than == 10_000 && max_len >= 128),
            "commands over 10 ms are the ones that stall everyone else on a single-threaded server",
        ),
    ]
}
