//! What is wrong with a profile, in words, from what its check found.

use super::*;

fn problem(severity: Severity, area: &str, text: String) -> Problem {
    Problem {
        severity,
        area: area.to_owned(),
        text,
    }
}

/// The seconds a replica is behind beyond the delay it was set up with (a delayed replica
/// by design is behind by its delay and that is not an alarm).
fn lag_past_delay(replica: &replication::ReplicaHealth) -> Option<f64> {
    let delay = replica.sql_delay_s();
    replica.lag_s().map(|lag| (lag - delay).max(0.0))
}

/// Critical at or past `critical`, a warning at or past `warning`, else nothing.
fn level(value: f64, warning: f64, critical: f64) -> Option<Severity> {
    if value >= critical {
        Some(Severity::Critical)
    } else if value >= warning {
        Some(Severity::Warning)
    } else {
        None
    }
}

/// Every problem of `findings` against `alerts`, worst first.
pub fn judge(findings: &Findings, alerts: &Alerts, has_backup_folder: bool) -> Vec<Problem> {
    use Severity::{Critical, Warning};
    let mut out = Vec::new();
    let limit_s = alerts.timeout_ms as f64 / 1000.0;
    if let Some(e) = &findings.setup_error {
        out.push(problem(
            Critical,
            "primary",
            format!("cannot be checked: {e}"),
        ));
        return out;
    }
    match &findings.mysql {
        Some(Err(e)) => out.push(problem(Critical, "primary", format!("unreachable: {e}"))),
        None if findings.timed_out => out.push(problem(
            Critical,
            "primary",
            format!("no answer within {limit_s:.0} s"),
        )),
        _ => {}
    }
    if let Some(report) = &findings.replication {
        for replica in &report.replicas {
            let severity = match replica.verdict {
                Verdict::Healthy => continue,
                Verdict::Broken | Verdict::Unreachable => Critical,
                Verdict::Lagging
                    if lag_past_delay(replica).is_some_and(|l| l > alerts.lag_critical_s) =>
                {
                    Critical
                }
                Verdict::Lagging | Verdict::Unknown => Warning,
            };
            let reason = if replica.reason.is_empty() {
                replica
                    .error
                    .as_ref()
                    .map(|e| e.message.clone())
                    .unwrap_or_default()
            } else {
                replica.reason.clone()
            };
            out.push(problem(
                severity,
                "replication",
                format!("replica {}: {reason}", replica.address),
            ));
        }
        if let Some(redis) = &report.redis {
            let severity = match redis.overall {
                Verdict::Healthy => None,
                Verdict::Broken | Verdict::Unreachable => Some(Critical),
                Verdict::Lagging | Verdict::Unknown => Some(Warning),
            };
            if let Some(severity) = severity {
                out.push(problem(
                    severity,
                    "replication",
                    format!("Redis: {}", redis.reason),
                ));
            }
        }
    } else if findings.timed_out {
        out.push(problem(
            Warning,
            "replication",
            format!("replicas not checked within {limit_s:.0} s"),
        ));
    }
    match &findings.redis {
        Some(Err(e)) => out.push(problem(Critical, "redis", format!("unreachable: {e}"))),
        Some(Ok(redis)) => {
            if redis.max_memory_bytes > 0 {
                let pct = redis.used_memory_bytes as f64 * 100.0 / redis.max_memory_bytes as f64;
                if let Some(severity) = level(
                    pct,
                    alerts.redis_memory_warning_pct,
                    alerts.redis_memory_critical_pct,
                ) {
                    out.push(problem(
                        severity,
                        "redis",
                        format!("memory at {pct:.0}% of maxmemory"),
                    ));
                }
            }
            if let Some(rate) = redis.hit_rate
                && rate * 100.0 < alerts.redis_hit_rate_warning_pct
            {
                out.push(problem(
                    Warning,
                    "redis",
                    format!(
                        "cache hit rate {:.0}% (below {:.0}%)",
                        rate * 100.0,
                        alerts.redis_hit_rate_warning_pct
                    ),
                ));
            }
        }
        None => {}
    }
    if let Some(Ok(mysql)) = &findings.mysql {
        if mysql.load.threads_running > alerts.threads_running_warning {
            out.push(problem(
                Warning,
                "load",
                format!(
                    "{} statements running at once (above {})",
                    mysql.load.threads_running, alerts.threads_running_warning
                ),
            ));
        }
        let schema = &mysql.schema;
        if !schema.missing_tables.is_empty() {
            out.push(problem(
                Critical,
                "schema",
                format!("missing tables: {}", schema.missing_tables.join(", ")),
            ));
        }
        if schema.pending_migrations > 0 {
            out.push(problem(
                Warning,
                "schema",
                format!("{} migrations not applied", schema.pending_migrations),
            ));
        }
        if schema.unknown_migrations > 0 {
            out.push(problem(
                Warning,
                "schema",
                format!(
                    "{} migrations applied that this console does not know (a newer version migrated it)",
                    schema.unknown_migrations
                ),
            ));
        }
    }
    match &findings.backup {
        Some(FleetBackup {
            error: Some(e),
            folder,
            ..
        }) => out.push(problem(
            Warning,
            "backup",
            format!("cannot read the backup folder {folder}: {e}"),
        )),
        Some(FleetBackup {
            age_hours: Some(age),
            ..
        }) => {
            if let Some(severity) = level(
                *age,
                alerts.backup_warning_hours,
                alerts.backup_critical_hours,
            ) {
                out.push(problem(
                    severity,
                    "backup",
                    format!("newest backup is {} old", hours(*age)),
                ));
            }
        }
        Some(FleetBackup { folder, .. }) => out.push(problem(
            Critical,
            "backup",
            format!("no complete backup in {folder}"),
        )),
        None if has_backup_folder && findings.timed_out => out.push(problem(
            Warning,
            "backup",
            "backup folder not read in time".into(),
        )),
        None => {}
    }
    if findings.timed_out && findings.mysql.as_ref().is_some_and(|m| m.is_ok()) {
        out.push(problem(
            Warning,
            "primary",
            format!("the check took longer than {limit_s:.0} s: what answered in time is shown"),
        ));
    }
    out.sort_by_key(|p| std::cmp::Reverse(p.severity));
    out
}

/// `3 h 20 min`, `2 d 4 h`.
pub fn hours(h: f64) -> String {
    let minutes = (h * 60.0).round() as u64;
    match minutes {
        m if m < 60 => format!("{m} min"),
        m if m < 48 * 60 => format!("{} h {} min", m / 60, m % 60),
        m => format!("{} d {} h", m / (24 * 60), (m / 60) % 24),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn figures(threads_running: u64, pending: u32) -> MysqlFigures {
        MysqlFigures {
            primary: FleetPrimary {
                address: "db:3306".into(),
                version: Some("MariaDB 10.11".into()),
                path: "direct".into(),
            },
            load: FleetLoad {
                qps: 1.0,
                threads_running,
                threads_connected: 3,
            },
            schema: FleetSchema {
                pending_migrations: pending,
                unknown_migrations: 0,
                missing_tables: vec![],
            },
        }
    }

    fn backup(age_hours: Option<f64>) -> FleetBackup {
        FleetBackup {
            folder: "/b".into(),
            newest: age_hours.map(|_| "mindpal-x".into()),
            age_hours,
            age: age_hours.map(hours),
            error: None,
        }
    }

    #[test]
    fn a_healthy_profile_has_no_problems() {
        let findings = Findings {
            mysql: Some(Ok(figures(1, 0))),
            backup: Some(backup(Some(3.0))),
            ..Findings::default()
        };
        assert!(judge(&findings, &Alerts::default(), true).is_empty());
    }

    #[test]
    fn problems_come_worst_first_with_each_profiles_own_thresholds() {
        let findings = Findings {
            mysql: Some(Ok(figures(40, 2))),
            backup: Some(backup(Some(60.0))),
            redis: Some(Ok(FleetRedis {
                address: "r:6379".into(),
                used_memory_bytes: 85,
                max_memory_bytes: 100,
                hit_rate: Some(0.5),
            })),
            ..Findings::default()
        };
        let problems = judge(&findings, &Alerts::default(), true);
        let areas: Vec<(Severity, &str)> = problems
            .iter()
            .map(|p| (p.severity, p.area.as_str()))
            .collect();
        assert_eq!(areas[0], (Severity::Critical, "backup"));
        assert!(areas[1..].iter().all(|(s, _)| *s == Severity::Warning));
        assert_eq!(problems.len(), 5, "{problems:?}");
        assert_eq!(problems[0].text, "newest backup is 2 d 12 h old");
        // A staging profile that keeps weekly backups and runs busy batch jobs.
        let relaxed = Alerts {
            backup_warning_hours: 24.0 * 8.0,
            backup_critical_hours: 24.0 * 10.0,
            threads_running_warning: 100,
            redis_memory_warning_pct: 90.0,
            redis_hit_rate_warning_pct: 0.0,
            ..Alerts::default()
        };
        let problems = judge(&findings, &relaxed, true);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].area, "schema");
    }

    #[test]
    fn an_unreachable_primary_or_an_empty_backup_folder_is_critical() {
        let findings = Findings {
            mysql: Some(Err(Error::Unreachable {
                server: "db:1".into(),
                reason: "connection refused".into(),
            })),
            backup: Some(backup(None)),
            ..Findings::default()
        };
        let problems = judge(&findings, &Alerts::default(), true);
        assert!(problems.iter().all(|p| p.severity == Severity::Critical));
        assert!(problems[0].text.starts_with("unreachable"), "{problems:?}");
        assert_eq!(problems[1].text, "no complete backup in /b");
    }

    #[test]
    fn a_timed_out_check_says_what_did_not_answer() {
        let findings = Findings {
            timed_out: true,
            ..Findings::default()
        };
        let problems = judge(&findings, &Alerts::default(), true);
        assert_eq!(problems[0].severity, Severity::Critical);
        assert_eq!(problems[0].text, "no answer within 5 s");
        assert!(problems.iter().any(|p| p.area == "backup"));
    }

    #[test]
    fn ages_read_as_a_person_says_them() {
        assert_eq!(hours(0.5), "30 min");
        assert_eq!(hours(26.25), "26 h 15 min");
        assert_eq!(hours(73.0), "3 d 1 h");
    }
}
