//! The restorable window of a backup on a server: from its snapshot to now, when every binlog
//! file since is still there.

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use serde::Serialize;

use super::{Until, gtid_parts};
use crate::backup::manifest::Manifest;
use crate::error::{Error, Result};
use crate::mysql::{MysqlServer, cell_text};

/// The moments a backup can be restored to on the server it came from: from its snapshot to
/// the newest event of the binlogs still there, every file in between present.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct RestorableWindow {
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub from: DateTime<Utc>,
    /// The server's clock now: the binlog runs up to here.
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub to: DateTime<Utc>,
    pub gtid_from: Option<String>,
    /// `gtid_binlog_pos` now.
    pub gtid_to: Option<String>,
    /// The binlog files a replay reads, in order.
    pub files: Vec<String>,
    /// What a replay to the end would read.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub bytes: u64,
    /// Each file's size, for the replay's progress.
    #[serde(skip)]
    #[cfg_attr(feature = "ts", ts(skip))]
    pub sizes: Vec<u64>,
}

/// The moment the snapshot shows: its binlog position was read within the second the backup
/// started, so replay bounds start at the next whole second.
fn snapshot_moment(m: &Manifest) -> DateTime<Utc> {
    let started = m.started_at;
    let whole = started.timestamp();
    Utc.timestamp_opt(whole + 1, 0).single().unwrap_or(started)
}

/// The restorable window of `m` on `server`, or why there is none (binary logging off, another
/// server, a binlog purged).
pub async fn window(server: &MysqlServer, m: &Manifest) -> Result<RestorableWindow> {
    let (Some(file), Some(position)) = (&m.snapshot.binlog_file, m.snapshot.binlog_position) else {
        return Err(Error::Refused(
            "this backup has no binlog position (binary logging was off on its server): it restores only to its snapshot".into(),
        ));
    };
    // The database name reaches mariadb-binlog's arguments: a plain name only.
    if m.database.is_empty()
        || !m
            .database
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'$')
    {
        return Err(Error::Refused(format!(
            "`{}` is not a database name a point-in-time restore replays",
            m.database
        )));
    }
    if !same_server(&m.server, &server.info.address) {
        return Err(Error::Refused(format!(
            "this backup was taken on {}; its binlogs are there, not on {}: connect a profile of that server",
            m.server, server.info.address
        )));
    }
    let logs = sqlx::raw_sql("SHOW BINARY LOGS")
        .fetch_all(&server.pool)
        .await
        .map_err(|e| match server.err(e) {
            Error::Sql { message, .. } if message.contains("not using binary logging") => {
                Error::Refused("the server has binary logging off now: no binlog to replay".into())
            }
            other => other,
        })?;
    let logs: Vec<(String, u64)> = logs
        .iter()
        .filter_map(|r| Some((cell_text(r, 0)?, cell_text(r, 1)?.parse().ok()?)))
        .collect();
    let files = continuous_from(file, &logs)?;
    let sizes: Vec<u64> = files
        .iter()
        .map(|f| logs.iter().find(|l| &l.0 == f).map(|l| l.1).unwrap_or(0))
        .collect();
    let bytes = sizes.iter().sum::<u64>().saturating_sub(position);
    let row = sqlx::raw_sql("SELECT UTC_TIMESTAMP(6), @@gtid_binlog_pos")
        .fetch_one(&server.pool)
        .await
        .map_err(|e| server.err(e))?;
    let to = cell_text(&row, 0)
        .and_then(|t| NaiveDateTime::parse_from_str(&t, "%Y-%m-%d %H:%M:%S%.f").ok())
        .map(|t| t.and_utc())
        .unwrap_or_else(Utc::now);
    Ok(RestorableWindow {
        from: snapshot_moment(m),
        to,
        gtid_from: m.snapshot.gtid.clone(),
        gtid_to: cell_text(&row, 1).filter(|g| !g.is_empty()),
        files,
        bytes,
        sizes,
    })
}

/// `127.0.0.1:3306` and `localhost:3306` are one server; names are compared as written.
fn same_server(a: &str, b: &str) -> bool {
    let norm = |s: &str| {
        s.trim()
            .replace("localhost:", "127.0.0.1:")
            .to_ascii_lowercase()
    };
    norm(a) == norm(b)
}

/// The binlog files from `first` to the newest, or the first one missing: every file of the
/// replay must still be on the server, in an unbroken sequence.
fn continuous_from(first: &str, logs: &[(String, u64)]) -> Result<Vec<String>> {
    let sequence = |name: &str| -> Option<(String, u64)> {
        let (stem, number) = name.rsplit_once('.')?;
        Some((stem.to_owned(), number.parse().ok()?))
    };
    let oldest = logs.first().map(|l| l.0.clone()).unwrap_or_default();
    // Only a name the server lists is ever handed to mariadb-binlog.
    let Some(start) = logs.iter().position(|l| l.0 == first) else {
        return Err(Error::Refused(format!(
            "the binlog {first} this backup starts from is no longer on the server (the oldest there is {}): it was purged, so the backup restores only to its snapshot; nothing was restored",
            if oldest.is_empty() { "none" } else { &oldest }
        )));
    };
    let mut files = vec![first.to_owned()];
    let mut previous = sequence(first);
    for (name, _) in &logs[start + 1..] {
        let here = sequence(name);
        if let (Some((stem, n)), Some((stem2, m))) = (&previous, &here)
            && stem == stem2
            && *m != n + 1
        {
            return Err(Error::Refused(format!(
                "the binlog {stem}.{:06} is missing between {} and {name}: the replay cannot pass it; nothing was restored",
                n + 1,
                files.last().expect("one file at least")
            )));
        }
        files.push(name.clone());
        previous = here;
    }
    Ok(files)
}

/// Checks `until` against the window before anything is restored.
pub fn check_until(until: &Until, window: &RestorableWindow) -> Result<()> {
    match until {
        Until::Time(t) if *t < window.from => Err(Error::Refused(format!(
            "{until} is before this backup's snapshot ({}): restore an older backup",
            window.from.format("%Y-%m-%d %H:%M:%S UTC")
        ))),
        Until::Time(t) if *t > window.to + chrono::Duration::seconds(1) => {
            Err(Error::Refused(format!(
                "{until} is in the future of the server's clock ({})",
                window.to.format("%Y-%m-%d %H:%M:%S UTC")
            )))
        }
        Until::Gtid(_) if window.gtid_from.is_none() => Err(Error::Refused(
            "this backup has no GTID position: restore to a moment (--until) instead".into(),
        )),
        Until::Gtid(g) => {
            // The snapshot's position lists one GTID per domain: the stop must be past it.
            // It may have come from the window unparsed.
            Until::parse_gtid(g)?;
            let (domain, _, sequence) = gtid_parts(g).expect("parse_gtid accepted it");
            let snapshot = window.gtid_from.as_deref().unwrap_or_default();
            let behind = snapshot
                .split(',')
                .filter_map(|p| gtid_parts(p.trim()))
                .any(|(d, _, s)| d == domain && s >= sequence);
            if behind {
                return Err(Error::Refused(format!(
                    "{until} is not after this backup's snapshot (GTID {snapshot}): restore an older backup"
                )));
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_binlogs_of_a_replay_must_all_be_there() {
        let logs = |names: &[&str]| -> Vec<(String, u64)> {
            names.iter().map(|n| (n.to_string(), 100)).collect()
        };
        assert_eq!(
            continuous_from(
                "bin.000002",
                &logs(&["bin.000001", "bin.000002", "bin.000003"])
            )
            .unwrap(),
            vec!["bin.000002", "bin.000003"]
        );
        let purged =
            continuous_from("bin.000002", &logs(&["bin.000004", "bin.000005"])).unwrap_err();
        assert!(purged.to_string().contains("bin.000002"), "{purged}");
        assert!(purged.to_string().contains("purged"), "{purged}");
        let gap = continuous_from("bin.000002", &logs(&["bin.000002", "bin.000004"])).unwrap_err();
        assert!(gap.to_string().contains("bin.000003 is missing"), "{gap}");
    }

    #[test]
    fn a_gtid_must_be_past_the_snapshot() {
        assert_eq!(gtid_parts("0-1-4711"), Some((0, 1, 4711)));
        let window = RestorableWindow {
            from: Utc::now(),
            to: Utc::now(),
            gtid_from: Some("0-1-100,1-2-5".into()),
            gtid_to: None,
            files: vec![],
            bytes: 0,
            sizes: vec![],
        };
        assert!(check_until(&Until::Gtid("0-1-100".into()), &window).is_err());
        assert!(check_until(&Until::Gtid("1-2-4".into()), &window).is_err());
        assert!(check_until(&Until::Gtid("0-1-101".into()), &window).is_ok());
    }
}
