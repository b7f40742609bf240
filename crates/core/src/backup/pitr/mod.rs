//! Point-in-time recovery: a backup's snapshot restored into a new database, then the
//! primary's binlog replayed from the snapshot's position up to a moment (or a GTID), only the
//! backed-up database, rewritten into the new one: `window` says which moments a backup can
//! reach on a server, `replay` reads and applies the binlog.

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

mod replay;
mod window;

pub(in crate::backup) use replay::replay;
pub use window::{RestorableWindow, check_until, window};

/// Where a point-in-time restore stops: before the first event at or after a moment, or after
/// a GTID.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "kind", content = "value")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum Until {
    Time(#[cfg_attr(feature = "ts", ts(type = "string"))] DateTime<Utc>),
    Gtid(String),
}

impl Until {
    /// `2026-12-02 14:31:00` in the console's local time, or RFC 3339 with an offset.
    pub fn parse_time(text: &str) -> Result<Until> {
        let text = text.trim();
        if let Ok(t) = DateTime::parse_from_rfc3339(text) {
            return Ok(Until::Time(t.with_timezone(&Utc)));
        }
        let naive = [
            "%Y-%m-%d %H:%M:%S",
            "%Y-%m-%dT%H:%M:%S",
            "%Y-%m-%d %H:%M",
            "%Y-%m-%dT%H:%M",
        ]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
        .ok_or_else(|| {
            Error::InvalidInput(format!(
                "`{text}` is not a moment: write YYYY-MM-DD HH:MM:SS (local time) or RFC 3339"
            ))
        })?;
        let local = chrono::Local
            .from_local_datetime(&naive)
            .earliest()
            .ok_or_else(|| {
                Error::InvalidInput(format!("`{text}` does not exist in the local time zone"))
            })?;
        Ok(Until::Time(local.with_timezone(&Utc)))
    }

    /// A MariaDB GTID `domain-server-sequence`, each part a number in its range.
    pub fn parse_gtid(text: &str) -> Result<Until> {
        let text = text.trim();
        if gtid_parts(text).is_none() {
            return Err(Error::InvalidInput(format!(
                "`{text}` is not a MariaDB GTID (domain-server-sequence, e.g. 0-1-4711)"
            )));
        }
        Ok(Until::Gtid(text.to_owned()))
    }
}

impl std::fmt::Display for Until {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Until::Time(t) => write!(f, "{}", t.format("%Y-%m-%d %H:%M:%S UTC")),
            Until::Gtid(g) => write!(f, "GTID {g}"),
        }
    }
}

/// What the replay did.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct PitrReport {
    pub until: Until,
    /// The last GTID the replay read before it stopped.
    pub gtid_reached: Option<String>,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub bytes_read: u64,
    pub seconds: f64,
    /// Every table of the result as it stands: rows and CHECKSUM TABLE.
    pub tables: Vec<TableState>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct TableState {
    pub table: String,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub rows: u64,
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub checksum: Option<u64>,
}

/// A MariaDB GTID's domain, server id and sequence number.
pub(crate) fn gtid_parts(gtid: &str) -> Option<(u32, u32, u64)> {
    let mut parts = gtid.split('-');
    let parts = (parts.next()?, parts.next()?, parts.next()?, parts.next());
    let number = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    match parts {
        (d, s, n, None) if [d, s, n].into_iter().all(number) => {
            Some((d.parse().ok()?, s.parse().ok()?, n.parse().ok()?))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moments_and_gtids_are_read_strictly() {
        assert_eq!(
            Until::parse_time("2026-12-02T14:31:00+02:00").unwrap(),
            Until::Time(Utc.with_ymd_and_hms(2026, 12, 2, 12, 31, 0).unwrap())
        );
        assert!(Until::parse_time("2026-12-02 14:31:00").is_ok());
        assert!(Until::parse_time("yesterday").is_err());
        assert!(Until::parse_gtid("0-1-4711").is_ok());
        for bad in ["0-1", "0-1-x", "0-1-2; DROP", "--", ""] {
            assert!(Until::parse_gtid(bad).is_err(), "{bad}");
        }
    }
}
