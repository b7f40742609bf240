//! The fleet: every profile checked at once, each within its own time limit, and what is
//! wrong anywhere said in words, worst first. A profile that is down or slow holds up only
//! itself: its entry says so when its limit runs out, while the others show their figures.

pub mod judge;

use std::path::Path;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::access::Role;
use crate::backup::catalog::{self, BackupState};
use crate::error::{Error, Result};
use crate::mysql::MysqlServer;
use crate::profiles::Profile;
use crate::redis::connect_topology;
use crate::replication::{self, Thresholds, Verdict};
use crate::schema::{self, MINDPAL_TABLES};

pub use judge::judge;

pub use crate::profiles::Alerts;

/// How bad: the exit code of `status` is the worst of these (0, 1, 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum Severity {
    Ok,
    Warning,
    Critical,
}

impl Severity {
    pub fn exit_code(self) -> u8 {
        self as u8
    }
}

/// One thing wrong with a profile.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Problem {
    pub severity: Severity,
    /// `primary`, `replication`, `redis`, `load`, `backup` or `schema`.
    pub area: String,
    pub text: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct FleetPrimary {
    pub address: String,
    /// `MariaDB 10.11.19`, `MySQL 8.0.36`.
    pub version: Option<String>,
    /// `direct`, or the bastion it is reached through.
    pub path: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct FleetReplication {
    pub verdict: Verdict,
    pub reason: String,
    pub replicas: u32,
    /// The furthest-behind replica's lag, by heartbeat else by the server.
    pub worst_lag_s: Option<f64>,
    /// Redis replication's own verdict, when the profile has Redis.
    pub redis_verdict: Option<Verdict>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct FleetRedis {
    pub address: String,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub used_memory_bytes: u64,
    /// 0 when no `maxmemory` is set.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub max_memory_bytes: u64,
    /// Hits among reads since the server started; `None` before it has served 1,000 reads.
    pub hit_rate: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct FleetLoad {
    pub qps: f64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub threads_running: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub threads_connected: u64,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct FleetBackup {
    pub folder: String,
    /// The newest complete backup's folder name.
    pub newest: Option<String>,
    pub age_hours: Option<f64>,
    /// The same age in words, as every face writes it (`3 h 20 min`, `2 d 4 h`).
    pub age: Option<String>,
    /// Why the folder could not be read.
    pub error: Option<String>,
}

/// The schema against the migrations this console carries (cheap enough for every refresh;
/// `schema diff` compares every column and index).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct FleetSchema {
    pub pending_migrations: u32,
    /// Migrations applied that this console does not know (a newer console migrated it).
    pub unknown_migrations: u32,
    pub missing_tables: Vec<String>,
}

/// One profile as the fleet check saw it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct FleetEntry {
    pub profile: String,
    pub role: Role,
    /// The worst of `problems`.
    pub severity: Severity,
    /// Worst first.
    pub problems: Vec<Problem>,
    pub primary: Option<FleetPrimary>,
    pub replication: Option<FleetReplication>,
    pub redis: Option<FleetRedis>,
    pub load: Option<FleetLoad>,
    pub backup: Option<FleetBackup>,
    pub schema: Option<FleetSchema>,
    /// Milliseconds since the Unix epoch when the check started.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub checked_at_ms: u64,
    pub elapsed_ms: f64,
    /// The check ran out of its time limit: what it had learnt by then is shown.
    pub timed_out: bool,
}

/// What one check gathered before judging; each part is its own error.
#[derive(Debug, Default)]
pub struct Findings {
    pub replication: Option<replication::ReplicationReport>,
    pub mysql: Option<Result<MysqlFigures>>,
    pub redis: Option<Result<FleetRedis>>,
    pub backup: Option<FleetBackup>,
    /// The profile could not even be prepared (a keyring or bastion error).
    pub setup_error: Option<Error>,
    pub timed_out: bool,
}

#[derive(Debug)]
pub struct MysqlFigures {
    pub primary: FleetPrimary,
    pub load: FleetLoad,
    pub schema: FleetSchema,
}

/// How far apart the two status readings are that give the QPS.
const RATE_WINDOW: Duration = Duration::from_millis(1_000);

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Checks one profile (passwords and bastion already attached) within its `alerts.timeout_ms`.
pub async fn check(profile: &Profile) -> FleetEntry {
    let started = Instant::now();
    let checked_at_ms = now_ms();
    let alerts = profile.alerts;
    let limit = Duration::from_millis(alerts.timeout_ms.max(500));
    // Each part fills its slot as it finishes, so a limit running out keeps what is done.
    let findings = std::sync::Mutex::new(Findings::default());
    let thresholds = Thresholds {
        lagging_after_s: alerts.lag_warning_s,
        // The replication check's own limit leaves it time to report within the profile's.
        timeout_ms: (alerts.timeout_ms * 4 / 5).max(400),
    };
    let gather = async {
        let replication = async {
            let report = replication::check(&profile.servers(), &thresholds).await;
            findings.lock().expect("findings").replication = Some(report);
        };
        let mysql = async {
            let figures = mysql_figures(profile, limit).await;
            findings.lock().expect("findings").mysql = Some(figures);
        };
        let redis = async {
            if let Some(redis) = &profile.redis {
                let figures = redis_figures(redis, limit).await;
                findings.lock().expect("findings").redis = Some(figures);
            }
        };
        let backup = async {
            if let Some(folder) = &profile.backup_dir {
                let folder = folder.clone();
                let now = chrono::Utc::now();
                let seen = tokio::task::spawn_blocking(move || newest_backup(&folder, now))
                    .await
                    .ok();
                findings.lock().expect("findings").backup = seen;
            }
        };
        tokio::join!(replication, mysql, redis, backup);
    };
    let timed_out = tokio::time::timeout(limit, gather).await.is_err();
    let mut findings = findings.into_inner().expect("findings");
    findings.timed_out = timed_out;
    let entry = entry(profile, findings, checked_at_ms, started.elapsed());
    tracing::info!(
        profile = %entry.profile,
        severity = ?entry.severity,
        problems = entry.problems.len(),
        "fleet check in {:.0} ms",
        entry.elapsed_ms
    );
    entry
}

/// Judges what was found into the entry the fleet shows.
pub fn entry(
    profile: &Profile,
    findings: Findings,
    checked_at_ms: u64,
    elapsed: Duration,
) -> FleetEntry {
    let problems = judge(&findings, &profile.alerts, profile.backup_dir.is_some());
    let severity = problems.first().map(|p| p.severity).unwrap_or(Severity::Ok);
    let (primary, load, schema) = match findings.mysql {
        Some(Ok(m)) => (Some(m.primary), Some(m.load), Some(m.schema)),
        _ => (None, None, None),
    };
    FleetEntry {
        profile: profile.name.clone(),
        role: profile.role,
        severity,
        problems,
        primary,
        // Nothing is known of replication when the primary did not answer and no replica
        // is listed.
        replication: findings
            .replication
            .as_ref()
            .filter(|r| r.primary.error.is_none() || !r.replicas.is_empty())
            .map(replication_summary),
        redis: findings.redis.and_then(|r| r.ok()),
        load,
        backup: findings.backup,
        schema,
        checked_at_ms,
        elapsed_ms: elapsed.as_secs_f64() * 1000.0,
        timed_out: findings.timed_out,
    }
}

/// An entry for a profile that could not be prepared (its keyring entry or bastion).
pub fn unprepared(profile: &Profile, error: Error) -> FleetEntry {
    let findings = Findings {
        setup_error: Some(error),
        ..Findings::default()
    };
    entry(profile, findings, now_ms(), Duration::ZERO)
}

fn replication_summary(report: &replication::ReplicationReport) -> FleetReplication {
    let mysql_verdict = report
        .replicas
        .iter()
        .map(|r| r.verdict)
        .max()
        .unwrap_or(Verdict::Healthy);
    let worst = report
        .replicas
        .iter()
        .filter(|r| r.verdict == mysql_verdict && mysql_verdict != Verdict::Healthy)
        .map(|r| format!("{}: {}", r.address, r.reason))
        .next();
    FleetReplication {
        verdict: mysql_verdict,
        reason: worst.unwrap_or_else(|| match report.replicas.len() {
            0 => "no replicas".into(),
            1 => "1 replica healthy".into(),
            n => format!("{n} replicas healthy"),
        }),
        replicas: report.replicas.len() as u32,
        worst_lag_s: report
            .replicas
            .iter()
            .filter_map(|r| r.lag_s())
            .fold(None, |a: Option<f64>, b| Some(a.map_or(b, |a| a.max(b)))),
        redis_verdict: report.redis.as_ref().map(|r| r.overall),
    }
}

/// Version, load and migrations of the primary, on a connection of its own.
async fn mysql_figures(profile: &Profile, limit: Duration) -> Result<MysqlFigures> {
    let server = MysqlServer::connect(&profile.mysql, limit, 2).await?;
    let figures = async {
        let before = load_sample(&server).await?;
        // The schema is read inside the rate window, not after it.
        let schema = schema_figures(&server).await?;
        tokio::time::sleep(RATE_WINDOW.saturating_sub(before.0.elapsed())).await;
        let after = load_sample(&server).await?;
        let seconds = after.0.duration_since(before.0).as_secs_f64().max(0.001);
        Ok(MysqlFigures {
            primary: FleetPrimary {
                address: server.info.address.clone(),
                version: Some(format!(
                    "{} {}",
                    match server.info.flavour {
                        crate::mysql::Flavour::MariaDb => "MariaDB",
                        crate::mysql::Flavour::MySql => "MySQL",
                    },
                    server.info.version
                )),
                path: server.info.path.clone(),
            },
            load: FleetLoad {
                qps: after.1.saturating_sub(before.1) as f64 / seconds,
                threads_running: after.2,
                threads_connected: after.3,
            },
            schema,
        })
    }
    .await;
    server.pool.close().await;
    figures
}

/// When, `Questions`, `Threads_running` and `Threads_connected`: three rows, one round trip
/// (the whole of SHOW GLOBAL STATUS is hundreds of rows, slow over a far link).
async fn load_sample(server: &MysqlServer) -> Result<(Instant, u64, u64, u64)> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SHOW GLOBAL STATUS WHERE Variable_name IN ('Questions', 'Threads_running', 'Threads_connected')",
    )
    .fetch_all(&server.pool)
    .await
    .map_err(|e| server.err(e))?;
    let at = Instant::now();
    let get = |name: &str| {
        rows.iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0)
    };
    Ok((
        at,
        get("Questions"),
        get("Threads_running"),
        get("Threads_connected"),
    ))
}

/// Two round trips: the database's tables, then the migrations it has applied.
async fn schema_figures(server: &MysqlServer) -> Result<FleetSchema> {
    let (tables,): (Option<String>,) = sqlx::query_as(
        "SELECT GROUP_CONCAT(TABLE_NAME SEPARATOR ',') FROM information_schema.TABLES \
         WHERE TABLE_SCHEMA = DATABASE()",
    )
    .fetch_one(&server.pool)
    .await
    .map_err(|e| server.err(e))?;
    let tables: Vec<&str> = tables.as_deref().unwrap_or("").split(',').collect();
    let applied = schema::applied_versions(server, tables.contains(&"_sqlx_migrations")).await?;
    let known = |v: i64| schema::MIGRATOR.iter().any(|m| m.version == v);
    Ok(FleetSchema {
        pending_migrations: schema::MIGRATOR
            .iter()
            .filter(|m| !applied.contains(&m.version))
            .count() as u32,
        unknown_migrations: applied.iter().filter(|v| !known(**v)).count() as u32,
        missing_tables: MINDPAL_TABLES
            .iter()
            .filter(|t| !tables.contains(t))
            .map(|t| (*t).to_owned())
            .collect(),
    })
}

async fn redis_figures(redis: &crate::redis::RedisTopology, limit: Duration) -> Result<FleetRedis> {
    let server = connect_topology(redis, limit).await?;
    let memory = server.info_section("memory").await?;
    let stats = server.info_section("stats").await?;
    let number = |map: &std::collections::BTreeMap<String, String>, key: &str| -> u64 {
        map.get(key).and_then(|v| v.parse().ok()).unwrap_or(0)
    };
    let (hits, misses) = (
        number(&stats, "keyspace_hits"),
        number(&stats, "keyspace_misses"),
    );
    Ok(FleetRedis {
        address: server.info.address.clone(),
        used_memory_bytes: number(&memory, "used_memory"),
        max_memory_bytes: number(&memory, "maxmemory"),
        hit_rate: (hits + misses >= 1_000).then(|| hits as f64 / (hits + misses) as f64),
    })
}

/// The newest complete backup in `folder` and its age.
pub fn newest_backup(folder: &str, now: chrono::DateTime<chrono::Utc>) -> FleetBackup {
    let mut seen = FleetBackup {
        folder: folder.to_owned(),
        newest: None,
        age_hours: None,
        age: None,
        error: None,
    };
    match catalog::list(Path::new(folder)) {
        Ok(entries) => {
            if let Some(newest) = entries
                .iter()
                .filter(|e| matches!(e.state, BackupState::Complete))
                .filter_map(|e| e.finished_at.map(|at| (at, e)))
                .max_by_key(|(at, _)| *at)
            {
                seen.newest = Some(newest.1.name.clone());
                let hours = (now - newest.0).num_seconds().max(0) as f64 / 3600.0;
                seen.age_hours = Some(hours);
                seen.age = Some(judge::hours(hours));
            }
        }
        Err(e) => seen.error = Some(e.to_string()),
    }
    seen
}

/// A stored profile made ready to check: its passwords from the OS keyring (this blocks:
/// call it off the async workers) and its servers behind its bastion.
pub fn prepare(stored: &Profile) -> Prepared {
    let mut profile = stored.clone();
    let timeout = Duration::from_millis(profile.alerts.timeout_ms.max(500));
    match crate::profiles::secrets::resolve(&mut profile, &|_| None)
        .and_then(|()| crate::profiles::attach_bastion(&mut profile, timeout))
    {
        Ok(()) => Prepared {
            profile,
            error: None,
        },
        Err(e) => Prepared {
            profile: stored.clone(),
            error: Some(e),
        },
    }
}

/// A profile ready to check, or as stored with why it is not.
#[derive(Debug)]
pub struct Prepared {
    pub profile: Profile,
    pub error: Option<Error>,
}

impl From<Profile> for Prepared {
    fn from(profile: Profile) -> Self {
        Prepared {
            profile,
            error: None,
        }
    }
}

/// Every profile at once; worst first, then by name.
pub async fn check_all(profiles: Vec<Prepared>) -> Vec<FleetEntry> {
    let mut entries = futures_util::future::join_all(profiles.into_iter().map(|p| async move {
        match p.error {
            None => check(&p.profile).await,
            Some(error) => unprepared(&p.profile, error),
        }
    }))
    .await;
    sort(&mut entries);
    entries
}

/// Worst first, then by name.
pub fn sort(entries: &mut [FleetEntry]) {
    entries.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.profile.cmp(&b.profile))
    });
}
