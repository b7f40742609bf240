//! Replication and HA health: every replica's threads, errors, GTID position and true lag
//! (a heartbeat, not only `Seconds_Behind_Master`), the Redis replication links and
//! Sentinel's view, each with a verdict in words. Every server is asked under a timeout, so
//! one dead replica does not hold up the rest.

pub mod heartbeat;
pub mod redis_cluster;
pub mod redis_links;
pub mod replica_status;
pub mod workers;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use sqlx::mysql::MySqlRow;
use sqlx::{Column, Row};

use crate::error::{Error, ErrorKind, ErrorSummary, Result};
use crate::mysql::{Flavour, MysqlServer, MysqlTarget, mysql_since};
use crate::net::bounded;
use crate::servers::Servers;

pub use heartbeat::HeartbeatTable;
pub use redis_links::RedisReplication;
pub use replica_status::{ChannelStatus, ThreadState};

mod judge;

pub use judge::judge;

/// Healthy, lagging, broken, unreachable — or unknown when the account may not look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(
    feature = "ts",
    derive(ts_rs::TS),
    ts(export, rename = "HealthVerdict")
)]
pub enum Verdict {
    Healthy,
    Lagging,
    Unknown,
    Unreachable,
    Broken,
}

impl Verdict {
    /// What a monitoring script gets: 0 healthy, 1 degraded, 2 broken.
    pub fn exit_code(self) -> u8 {
        match self {
            Verdict::Healthy => 0,
            Verdict::Lagging | Verdict::Unknown => 1,
            Verdict::Unreachable | Verdict::Broken => 2,
        }
    }
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Thresholds {
    /// A replica this many seconds behind (by heartbeat, else by the server) is lagging.
    pub lagging_after_s: f64,
    /// Each server gets this long to answer a whole check.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub timeout_ms: u64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            lagging_after_s: 10.0,
            timeout_ms: 2_000,
        }
    }
}

/// The primary as the check saw it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct PrimaryHealth {
    pub address: String,
    pub version: Option<String>,
    pub server_id: Option<u32>,
    pub read_only: Option<bool>,
    pub binlog_file: Option<String>,
    pub binlog_pos: Option<String>,
    /// MariaDB `@@gtid_binlog_pos` or MySQL `@@gtid_executed`.
    pub gtid_position: Option<String>,
    /// Replicas the primary sees: `SHOW SLAVE HOSTS` and `Binlog Dump` threads.
    pub seen_replicas: Vec<String>,
    pub heartbeat: Option<HeartbeatTable>,
    /// Seconds since the primary's own last beat: large when nothing writes the heartbeat.
    pub heartbeat_age_s: Option<f64>,
    pub error: Option<ErrorSummary>,
}

/// One replica with its channels and verdict.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ReplicaHealth {
    pub address: String,
    /// Listed in the profile, or only discovered from the primary.
    pub discovered: bool,
    pub verdict: Verdict,
    pub reason: String,
    pub channels: Vec<ChannelStatus>,
    pub read_only: Option<bool>,
    pub semi_sync: Option<bool>,
    /// Seconds behind by the heartbeat table: true while the SQL thread is stopped.
    pub heartbeat_lag_s: Option<f64>,
    /// Transactions the replica has not applied yet (GTID), and bytes of the primary's
    /// binlog it has not executed (same file only).
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub gtid_gap: Option<u64>,
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub byte_gap: Option<u64>,
    /// MariaDB `@@gtid_slave_pos`.
    pub gtid_slave_pos: Option<String>,
    pub error: Option<ErrorSummary>,
}

impl ReplicaHealth {
    /// A replica before anything was learnt of it.
    fn unchecked(address: String, discovered: bool) -> Self {
        ReplicaHealth {
            address,
            discovered,
            verdict: Verdict::Unreachable,
            reason: String::new(),
            channels: Vec::new(),
            read_only: None,
            semi_sync: None,
            heartbeat_lag_s: None,
            gtid_gap: None,
            byte_gap: None,
            gtid_slave_pos: None,
            error: None,
        }
    }

    /// The delay the replica was set up with (`MASTER_DELAY`): it is that far behind on
    /// purpose.
    pub fn sql_delay_s(&self) -> f64 {
        self.channels
            .iter()
            .filter_map(|c| c.sql_delay)
            .max()
            .unwrap_or(0) as f64
    }

    /// The lag worth charting: the heartbeat's, else the server's own number.
    pub fn lag_s(&self) -> Option<f64> {
        self.heartbeat_lag_s.or_else(|| {
            self.channels
                .iter()
                .filter_map(|c| c.seconds_behind)
                .fold(None, |a: Option<f64>, b| Some(a.map_or(b, |a| a.max(b))))
        })
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ReplicationReport {
    pub primary: PrimaryHealth,
    pub replicas: Vec<ReplicaHealth>,
    pub redis: Option<RedisReplication>,
    /// The worst verdict of all.
    pub overall: Verdict,
    /// Milliseconds since the Unix epoch when the check started.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub checked_at_ms: u64,
    pub elapsed_ms: f64,
}

/// A result set of any shape as rows of column name → text.
fn rows_as_maps(rows: &[MySqlRow]) -> Vec<BTreeMap<String, Option<String>>> {
    rows.iter()
        .map(|row| {
            row.columns()
                .iter()
                .enumerate()
                .map(|(i, c)| (c.name().to_owned(), crate::mysql::cell_text(row, i)))
                .collect()
        })
        .collect()
}

/// The replication privilege a status statement needs, named for the server.
fn privilege_hint(flavour: Flavour) -> &'static str {
    match flavour {
        Flavour::MariaDb => "REPLICATION CLIENT (REPLICA MONITOR on MariaDB 10.5 and later)",
        Flavour::MySql => "REPLICATION CLIENT",
    }
}

fn needs_privilege(e: Error, flavour: Flavour) -> Error {
    match e {
        Error::PrivilegeMissing { server, message } => Error::PrivilegeMissing {
            server,
            message: format!("needs privilege {}: {message}", privilege_hint(flavour)),
        },
        Error::Sql {
            server,
            code: 1227,
            message,
        } => Error::PrivilegeMissing {
            server,
            message: format!("needs privilege {}: {message}", privilege_hint(flavour)),
        },
        other => other,
    }
}

/// The status rows of every channel of `server`.
pub async fn channels(server: &MysqlServer) -> Result<Vec<ChannelStatus>> {
    let statement = match server.info.flavour {
        Flavour::MariaDb => "SHOW ALL REPLICAS STATUS",
        Flavour::MySql if server.info.at_least((8, 0, 22)) => "SHOW REPLICA STATUS",
        Flavour::MySql => "SHOW SLAVE STATUS",
    };
    let rows = sqlx::raw_sql(statement)
        .fetch_all(&server.pool)
        .await
        .map_err(|e| needs_privilege(server.err(e), server.info.flavour))?;
    let mut channels: Vec<ChannelStatus> = rows_as_maps(&rows)
        .iter()
        .map(replica_status::parse_row)
        .collect();
    // The coordinator's own error is a pointer to the workers' table: fetch what it points to.
    if channels.iter().any(workers::coordinator_stopped) {
        workers::attach(&mut channels, workers::worker_errors(server).await?);
    }
    Ok(channels)
}

/// Connects within `limit`, then gives the checks that follow five times as long as the
/// connection took (at least `limit`): a server 100 ms away each way, whose connect alone
/// takes a second, is checked rather than timed out, and a dead one still fails in `limit`.
async fn connect_for_check(
    target: &MysqlTarget,
    limit: Duration,
    max_connections: u32,
) -> Result<(MysqlServer, Duration)> {
    let server = bounded(
        &target.address(),
        limit,
        MysqlServer::connect(target, limit, max_connections),
    )
    .await?;
    let rest = limit.max(Duration::from_secs_f64(
        5.0 * server.info.round_trip_ms / 1000.0,
    ));
    Ok((server, rest))
}

async fn scalar(server: &MysqlServer, sql: &'static str) -> Result<Option<String>> {
    let row = sqlx::raw_sql(sql)
        .fetch_optional(&server.pool)
        .await
        .map_err(|e| server.err(e))?;
    Ok(row.and_then(|r| crate::mysql::cell_text(&r, 0)))
}

/// The primary, its connection for the replicas' comparisons, and the replicas it reports
/// (`SHOW SLAVE HOSTS` rows with a `report_host`) as host and port.
async fn check_primary(
    target: &MysqlTarget,
    limit: Duration,
) -> (PrimaryHealth, Option<MysqlServer>, Vec<(String, u16)>) {
    let mut reported: Vec<(String, u16)> = Vec::new();
    let address = target.address();
    let mut health = PrimaryHealth {
        address: address.clone(),
        version: None,
        server_id: None,
        read_only: None,
        binlog_file: None,
        binlog_pos: None,
        gtid_position: None,
        seen_replicas: Vec::new(),
        heartbeat: None,
        heartbeat_age_s: None,
        error: None,
    };
    let outcome = async {
        let (server, rest) = connect_for_check(target, limit, 2).await?;
        bounded(&address, rest, async move {
            let flavour = server.info.flavour;
            // One round trip for the three variables: far from the server, each costs one.
            let variables = sqlx::raw_sql(match flavour {
                Flavour::MariaDb => "SELECT @@server_id, @@read_only, @@gtid_binlog_pos",
                Flavour::MySql => "SELECT @@server_id, @@read_only, @@gtid_executed",
            })
            .fetch_optional(&server.pool)
            .await
            .map_err(|e| server.err(e))?;
            let variable = |i: usize| {
                variables
                    .as_ref()
                    .and_then(|row| crate::mysql::cell_text(row, i))
            };
            let (server_id, read_only, gtid) = (variable(0), variable(1), variable(2));
            let status_sql = mysql_since(
                &server,
                (8, 4, 0),
                "SHOW BINARY LOG STATUS",
                "SHOW MASTER STATUS",
            );
            let binlog = sqlx::raw_sql(status_sql)
                .fetch_all(&server.pool)
                .await
                .map_err(|e| needs_privilege(server.err(e), flavour))?;
            let binlog = rows_as_maps(&binlog);
            let hosts_sql = mysql_since(&server, (8, 0, 22), "SHOW REPLICAS", "SHOW SLAVE HOSTS");
            let hosts = sqlx::raw_sql(hosts_sql)
                .fetch_all(&server.pool)
                .await
                .map(|r| rows_as_maps(&r))
                .unwrap_or_default();
            // Unprepared: one round trip, not a prepare and an execute on this new connection.
            let dumps: Vec<(String,)> = sqlx::raw_sql(
                "SELECT HOST FROM information_schema.PROCESSLIST WHERE COMMAND LIKE 'Binlog Dump%'",
            )
            .fetch_all(&server.pool)
            .await
            .map(|rows| {
                rows.iter()
                    .filter_map(|r| crate::mysql::cell_text(r, 0))
                    .map(|host| (host,))
                    .collect()
            })
            .unwrap_or_default();
            let beat = heartbeat::find(&server).await.ok().flatten();
            let mut age = None;
            if let (Some(table), Some(id)) =
                (&beat, server_id.as_deref().and_then(|v| v.parse().ok()))
            {
                age = heartbeat::lag(&server, table, id).await.unwrap_or(None);
            }
            Ok((
                server,
                server_id,
                read_only,
                gtid,
                binlog,
                hosts,
                dumps,
                (beat, age),
            ))
        })
        .await
    }
    .await;
    match outcome {
        Ok((server, server_id, read_only, gtid, binlog, hosts, dumps, (beat, age))) => {
            health.version = Some(server.info.version_string.clone());
            health.server_id = server_id.and_then(|v| v.parse().ok());
            health.read_only = read_only.map(|v| v == "1");
            health.gtid_position = gtid.filter(|g| !g.is_empty()).map(|g| g.replace('\n', ""));
            if let Some(row) = binlog.first() {
                health.binlog_file = row.get("File").cloned().flatten();
                health.binlog_pos = row.get("Position").cloned().flatten();
            }
            for h in &hosts {
                let host = h.get("Host").cloned().flatten().unwrap_or_default();
                let port = h.get("Port").cloned().flatten().unwrap_or_default();
                let id = h.get("Server_id").cloned().flatten().unwrap_or_default();
                if let (false, Ok(port)) = (host.is_empty(), port.parse::<u16>()) {
                    reported.push((host.clone(), port));
                }
                health.seen_replicas.push(if host.is_empty() {
                    format!("server {id}")
                } else {
                    format!("{host}:{port} (server {id})")
                });
            }
            for (host,) in dumps {
                // The processlist names the replica's address and its outgoing port.
                let ip = host
                    .rsplit_once(':')
                    .map(|(h, _)| h.to_owned())
                    .unwrap_or(host);
                let line = format!("{ip} (binlog dump)");
                if !health.seen_replicas.contains(&line) {
                    health.seen_replicas.push(line);
                }
            }
            health.heartbeat = beat;
            health.heartbeat_age_s = age;
            (health, Some(server), reported)
        }
        Err(e) => {
            health.error = Some(e.summary());
            (health, None, reported)
        }
    }
}

/// Everything said about one replica, and its verdict.
async fn check_replica(
    target: &MysqlTarget,
    discovered: bool,
    primary: Option<(&PrimaryHealth, &MysqlServer)>,
    thresholds: &Thresholds,
) -> ReplicaHealth {
    let address = target.address();
    let limit = Duration::from_millis(thresholds.timeout_ms);
    let mut health = ReplicaHealth::unchecked(address.clone(), discovered);
    let outcome = async {
        let (server, rest) = connect_for_check(target, limit, 1).await?;
        bounded(&address, rest, async move {
        let channels = channels(&server).await?;
        let read_only = scalar(&server, "SELECT @@read_only").await?;
        let slave_pos = match server.info.flavour {
            Flavour::MariaDb => scalar(&server, "SELECT @@gtid_slave_pos").await?,
            Flavour::MySql => None,
        };
        let semi: Option<(String, String)> = sqlx::query_as(
            "SHOW GLOBAL STATUS WHERE Variable_name IN ('Rpl_semi_sync_slave_status', 'Rpl_semi_sync_replica_status')",
        )
        .fetch_optional(&server.pool)
        .await
        .unwrap_or_default();
        let mut beat_lag = None;
        if let Some((p, _)) = primary
            && let (Some(table), Some(id)) = (&p.heartbeat, p.server_id)
        {
            // The replica's copy of the beat against the primary's row: when nothing writes the
            // heartbeat any more both stop, and the lag stays what it was instead of growing.
            let age = heartbeat::lag(&server, table, id).await.unwrap_or(None);
            beat_lag = age.map(|a| (a - p.heartbeat_age_s.unwrap_or(0.0)).max(0.0));
        }
        Ok((channels, read_only, slave_pos, semi, beat_lag))
        })
        .await
    }
    .await;
    let (channels, read_only, slave_pos, semi, beat_lag) = match outcome {
        Ok(v) => v,
        Err(e) => {
            health.verdict = match e.kind() {
                ErrorKind::PrivilegeMissing | ErrorKind::AuthFailed => Verdict::Unknown,
                _ => Verdict::Unreachable,
            };
            health.reason = match e.kind() {
                ErrorKind::PrivilegeMissing => e.to_string(),
                ErrorKind::Timeout => format!("did not answer within {} ms", thresholds.timeout_ms),
                _ => format!("unreachable: {e}"),
            };
            health.error = Some(e.summary());
            return health;
        }
    };
    health.read_only = read_only.map(|v| v == "1");
    health.semi_sync = semi.map(|(_, v)| v.eq_ignore_ascii_case("ON"));
    health.heartbeat_lag_s = beat_lag;
    health.gtid_slave_pos = slave_pos.clone();
    if let Some((p, _)) = primary {
        if let Some(primary_gtid) = &p.gtid_position {
            health.gtid_gap = match (
                &slave_pos,
                channels.first().and_then(|c| c.executed_gtid_set.clone()),
            ) {
                (Some(pos), _) => Some(replica_status::mariadb_gtid_gap(primary_gtid, pos)),
                (None, Some(set)) => Some(replica_status::mysql_gtid_gap(primary_gtid, &set)),
                _ => None,
            };
        }
        if let (Some(file), Some(pos)) = (
            &p.binlog_file,
            p.binlog_pos.as_deref().and_then(|v| v.parse::<u64>().ok()),
        ) && let Some(c) = channels
            .iter()
            .find(|c| c.relay_source_log_file.as_ref() == Some(file))
            && let Some(exec) = c
                .exec_source_log_pos
                .as_deref()
                .and_then(|v| v.parse::<u64>().ok())
        {
            health.byte_gap = Some(pos.saturating_sub(exec));
        }
    }
    health.channels = channels;
    let (verdict, reason) = judge(&health, thresholds);
    health.verdict = verdict;
    health.reason = reason;
    health
}

/// `localhost` and `127.0.0.1` name the same machine.
fn same_host(a: &str, b: &str) -> bool {
    let norm = |h: &str| {
        if h == "localhost" || h == "::1" {
            "127.0.0.1".to_owned()
        } else {
            h.to_ascii_lowercase()
        }
    };
    norm(a) == norm(b)
}

/// One full health check of a deployment: primary, its replicas (listed and discovered),
/// Redis and Sentinel, all at once, each under `thresholds.timeout_ms`.
pub async fn check(servers: &Servers, thresholds: &Thresholds) -> ReplicationReport {
    let started = Instant::now();
    let checked_at_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0);
    let limit = Duration::from_millis(thresholds.timeout_ms);
    let redis = async {
        match &servers.redis {
            Some(r) => Some(redis_links::check(r, limit).await),
            None => None,
        }
    };
    let mysql = async {
        let (primary, server, reported) = check_primary(&servers.primary, limit).await;
        let with = server.as_ref().map(|s| (&primary, s));
        // Replicas the primary reports that the servers does not list are checked too, with
        // the primary's account.
        let discovered: Vec<MysqlTarget> = reported
            .into_iter()
            .filter(|(host, port)| {
                !servers
                    .replicas
                    .iter()
                    .any(|r| r.port == *port && same_host(&r.host, host))
            })
            .map(|(host, port)| MysqlTarget {
                host,
                port,
                socket: None,
                ..servers.primary.clone()
            })
            .collect();
        let listed = servers.replicas.iter().map(|t| (t, false));
        let found = discovered.iter().map(|t| (t, true));
        let all = futures_util::future::join_all(
            listed
                .chain(found)
                .map(|(t, discovered)| check_replica(t, discovered, with, thresholds)),
        )
        .await;
        (primary, all)
    };
    let ((primary, mut replicas), redis) = tokio::join!(mysql, redis);
    let overall = replicas
        .iter()
        .map(|r| r.verdict)
        .chain(primary.error.as_ref().map(|_| Verdict::Unreachable))
        .chain(redis.as_ref().map(|r| r.overall))
        .max()
        .unwrap_or(Verdict::Healthy);
    replicas.sort_by(|a, b| a.address.cmp(&b.address));
    ReplicationReport {
        primary,
        replicas,
        redis,
        overall,
        checked_at_ms,
        elapsed_ms: started.elapsed().as_secs_f64() * 1000.0,
    }
}
