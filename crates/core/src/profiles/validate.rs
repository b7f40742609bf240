//! A profile's fields checked before it is saved, each problem on its field.

use serde::Serialize;

use super::Profile;
use crate::mysql::MysqlTarget;
use crate::redis::RedisMode;

/// A problem with one field of a profile form: `field` is a dotted path such as
/// `mysql.port` or `replicas.0.host`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// Checks a profile before it is saved; every problem is reported, each on its field.
pub fn validate(profile: &Profile) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let mut bad = |field: String, message: &str| {
        errors.push(FieldError {
            field,
            message: message.to_owned(),
        })
    };
    let name = profile.name.trim();
    if name.is_empty() {
        bad("name".into(), "Give the profile a name.");
    } else if name.len() > 64
        || !name
            .chars()
            .all(|c| c.is_alphanumeric() || "-_. ".contains(c))
    {
        bad(
            "name".into(),
            "Use up to 64 letters, digits, spaces, dots, dashes or underscores.",
        );
    }
    let mut server = |prefix: &str, t: &MysqlTarget| {
        if t.socket.is_none() {
            if t.host.trim().is_empty() {
                bad(format!("{prefix}.host"), "Enter a host name or address.");
            } else if t.host.contains(char::is_whitespace) {
                bad(format!("{prefix}.host"), "A host name has no spaces.");
            }
            if t.port == 0 {
                bad(
                    format!("{prefix}.port"),
                    "The port must be between 1 and 65535.",
                );
            }
        } else if let Some(socket) = &t.socket
            && !socket.exists()
        {
            bad(format!("{prefix}.socket"), "No socket file at this path.");
        }
        if t.user.trim().is_empty() {
            bad(format!("{prefix}.user"), "Enter the account's user name.");
        }
        match &t.ca_file {
            Some(ca) if !ca.is_file() => bad(format!("{prefix}.caFile"), "No file at this path."),
            None if matches!(
                t.tls,
                crate::mysql::TlsMode::VerifyCa | crate::mysql::TlsMode::VerifyIdentity
            ) =>
            {
                bad(
                    format!("{prefix}.caFile"),
                    "Verifying the server needs a CA file.",
                )
            }
            _ => {}
        }
    };
    server("mysql", &profile.mysql);
    for (i, replica) in profile.replicas.iter().enumerate() {
        server(&format!("replicas.{i}"), replica);
    }
    if let Some(redis) = &profile.redis {
        if redis.nodes.is_empty() {
            bad("redis.nodes".into(), "Add at least one Redis address.");
        }
        if redis
            .nodes
            .first()
            .and_then(|n| n.ca_file.as_ref())
            .is_some_and(|ca| !ca.is_file())
        {
            bad("redis.caFile".into(), "No file at this path.");
        }
        for (i, node) in redis.nodes.iter().enumerate() {
            if node.host.trim().is_empty() {
                bad(
                    format!("redis.nodes.{i}.host"),
                    "Enter a host name or address.",
                );
            }
            if node.port == 0 {
                bad(
                    format!("redis.nodes.{i}.port"),
                    "The port must be between 1 and 65535.",
                );
            }
        }
        if redis.mode == RedisMode::Sentinel
            && redis
                .master_name
                .as_deref()
                .is_none_or(|m| m.trim().is_empty())
        {
            bad(
                "redis.masterName".into(),
                "Sentinel needs the name of the master it watches.",
            );
        }
    }
    if let Some(ssh) = &profile.ssh {
        if ssh.host.trim().is_empty() {
            bad(
                "ssh.host".into(),
                "Enter the bastion: a host, user@host:port, or a ~/.ssh/config alias.",
            );
        } else if ssh.host.contains(char::is_whitespace) {
            bad("ssh.host".into(), "A host name has no spaces.");
        }
        if ssh.port == Some(0) {
            bad("ssh.port".into(), "The port must be between 1 and 65535.");
        }
        if let Some(key) = &ssh.key_file
            && !key.is_file()
        {
            bad("ssh.keyFile".into(), "No key file at this path.");
        }
    }
    if let Some(dir) = &profile.backup_dir
        && !std::path::Path::new(dir.trim()).is_absolute()
    {
        bad(
            "backupDir".into(),
            "Give the whole path of the folder, from /.",
        );
    }
    let alerts = &profile.alerts;
    let thresholds = [
        ("alerts.lagWarningS", alerts.lag_warning_s),
        ("alerts.lagCriticalS", alerts.lag_critical_s),
        ("alerts.backupWarningHours", alerts.backup_warning_hours),
        ("alerts.backupCriticalHours", alerts.backup_critical_hours),
        (
            "alerts.redisMemoryWarningPct",
            alerts.redis_memory_warning_pct,
        ),
        (
            "alerts.redisMemoryCriticalPct",
            alerts.redis_memory_critical_pct,
        ),
        (
            "alerts.redisHitRateWarningPct",
            alerts.redis_hit_rate_warning_pct,
        ),
    ];
    for (field, value) in thresholds {
        if !value.is_finite() || value < 0.0 {
            bad(field.into(), "Enter a number, 0 or more.");
        }
    }
    if !(500..=600_000).contains(&alerts.timeout_ms) {
        bad("alerts.timeoutMs".into(), "Between 0.5 and 600 seconds.");
    }
    errors
}
