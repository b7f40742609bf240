//! The applier workers of a multi-threaded replica. When one fails, MySQL stops the
//! coordinator with a generic "Coordinator stopped because there were error(s) in the
//! worker(s)" that only points at `performance_schema.replication_applier_status_by_worker`;
//! the error an operator acts on (which table, which row) is that worker's own.

use std::collections::BTreeMap;

use serde::Serialize;

use super::replica_status::ChannelStatus;
use super::{needs_privilege, rows_as_maps};
use crate::error::Result;
use crate::mysql::{Flavour, MysqlServer};

/// What MySQL's coordinator says when a worker failed (Last_SQL_Error starts with it).
pub const COORDINATOR_STOPPED: &str =
    "Coordinator stopped because there were error(s) in the worker(s)";

/// One worker's last error.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct WorkerError {
    pub channel: String,
    /// MySQL's WORKER_ID (MariaDB's table has none).
    pub worker_id: Option<u32>,
    pub errno: u32,
    pub message: String,
    pub at: Option<String>,
}

/// Whether `c` stopped because a worker failed, so its own error says little.
pub fn coordinator_stopped(c: &ChannelStatus) -> bool {
    c.last_sql_errno != 0
        && c.last_sql_error
            .as_deref()
            .is_some_and(|e| e.starts_with(COORDINATOR_STOPPED))
}

/// Workers with an error, newest first. MariaDB (10.5.2+) has the table without WORKER_ID.
fn statement(flavour: Flavour) -> &'static str {
    match flavour {
        Flavour::MySql => {
            "SELECT CHANNEL_NAME, WORKER_ID, LAST_ERROR_NUMBER, LAST_ERROR_MESSAGE, LAST_ERROR_TIMESTAMP \
             FROM performance_schema.replication_applier_status_by_worker \
             WHERE LAST_ERROR_NUMBER <> 0 ORDER BY LAST_ERROR_TIMESTAMP DESC"
        }
        Flavour::MariaDb => {
            "SELECT CHANNEL_NAME, NULL AS WORKER_ID, LAST_ERROR_NUMBER, LAST_ERROR_MESSAGE, LAST_ERROR_TIMESTAMP \
             FROM performance_schema.replication_applier_status_by_worker \
             WHERE LAST_ERROR_NUMBER <> 0 ORDER BY LAST_ERROR_TIMESTAMP DESC"
        }
    }
}

/// The failed workers of `server`, newest error first.
pub async fn worker_errors(server: &MysqlServer) -> Result<Vec<WorkerError>> {
    let rows = sqlx::raw_sql(statement(server.info.flavour))
        .fetch_all(&server.pool)
        .await
        .map_err(|e| needs_privilege(server.err(e), server.info.flavour))?;
    let mut errors: Vec<WorkerError> = rows_as_maps(&rows).iter().filter_map(parse_row).collect();
    sort_newest_first(&mut errors);
    Ok(errors)
}

fn sort_newest_first(errors: &mut [WorkerError]) {
    // `YYYY-MM-DD hh:mm:ss.ffffff` sorts as text.
    errors.sort_by(|a, b| b.at.cmp(&a.at));
}

/// One row of the workers' table; `None` for a worker without an error.
pub fn parse_row(row: &BTreeMap<String, Option<String>>) -> Option<WorkerError> {
    let get = |name: &str| {
        row.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .and_then(|(_, v)| v.as_deref())
            .map(str::trim)
            .filter(|v| !v.is_empty() && !v.eq_ignore_ascii_case("NULL"))
    };
    let errno: u32 = get("LAST_ERROR_NUMBER")?.parse().ok()?;
    if errno == 0 {
        return None;
    }
    Some(WorkerError {
        channel: get("CHANNEL_NAME").unwrap_or_default().to_owned(),
        worker_id: get("WORKER_ID").and_then(|v| v.parse().ok()),
        errno,
        message: get("LAST_ERROR_MESSAGE").unwrap_or_default().to_owned(),
        at: get("LAST_ERROR_TIMESTAMP").map(str::to_owned),
    })
}

/// Gives each stopped coordinator the newest error of a worker of its channel.
pub fn attach(channels: &mut [ChannelStatus], mut errors: Vec<WorkerError>) {
    sort_newest_first(&mut errors);
    for channel in channels.iter_mut().filter(|c| coordinator_stopped(c)) {
        channel.worker_error = errors
            .iter()
            .find(|w| w.channel == channel.channel)
            .cloned();
    }
}

/// `Worker 2 failed executing transaction '…' at source log f, end_log_pos n; Could not
/// execute …` → the part after the worker's preamble, which reads like a plain SQL error.
pub fn worker_cause(message: &str) -> &str {
    match message.split_once("; ") {
        Some((preamble, rest)) if preamble.starts_with("Worker ") => rest,
        _ => message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::replication::replica_status::{
        ThreadState, parse_row as parse_channel, parse_vertical,
    };

    const RECORDED: &str = include_str!("fixtures/mysql80-mts-worker-error.txt");

    fn recorded() -> (Vec<ChannelStatus>, Vec<WorkerError>) {
        let (status, workers) = RECORDED
            .split_once("mysql> SELECT")
            .expect("the fixture holds both outputs");
        let channels = parse_vertical(status).iter().map(parse_channel).collect();
        let errors = parse_vertical(workers)
            .iter()
            .filter_map(parse_row)
            .collect();
        (channels, errors)
    }

    #[test]
    fn the_recorded_coordinator_stop_points_at_worker_two() {
        let (mut channels, errors) = recorded();
        assert_eq!(channels.len(), 1);
        assert_eq!(channels[0].sql_running, ThreadState::Stopped);
        assert!(coordinator_stopped(&channels[0]));
        assert_eq!(errors.len(), 1, "workers 1 and 3 have no error");
        assert_eq!(errors[0].worker_id, Some(2));
        assert_eq!(errors[0].errno, 1032);
        assert_eq!(errors[0].at.as_deref(), Some("2023-12-11 14:02:37.120414"));
        attach(&mut channels, errors);
        let worker = channels[0].worker_error.as_ref().expect("attached");
        assert_eq!(
            worker_cause(&worker.message),
            "Could not execute Update_rows event on table mindpal.users; Can't find record in 'users', Error_code: 1032; handler error HA_ERR_KEY_NOT_FOUND; the event's source log binlog.000002, end_log_pos 2358"
        );
    }

    #[test]
    fn a_plain_sql_error_is_not_a_coordinator_stop() {
        let channel = ChannelStatus {
            last_sql_errno: 1062,
            last_sql_error: Some("Could not execute Write_rows event on table t".into()),
            ..Default::default()
        };
        assert!(!coordinator_stopped(&channel));
        let mut channels = vec![channel];
        attach(
            &mut channels,
            vec![WorkerError {
                errno: 1062,
                ..Default::default()
            }],
        );
        assert!(channels[0].worker_error.is_none());
    }

    #[test]
    fn the_newest_error_of_the_same_channel_wins() {
        let mut channels = vec![ChannelStatus {
            channel: "eu".into(),
            last_sql_errno: 1062,
            last_sql_error: Some(format!("{COORDINATOR_STOPPED}. The most recent failure …")),
            ..Default::default()
        }];
        let error = |channel: &str, id, at: &str| WorkerError {
            channel: channel.into(),
            worker_id: Some(id),
            errno: 1062,
            message: format!("worker {id}"),
            at: Some(at.into()),
        };
        attach(
            &mut channels,
            vec![
                error("eu", 1, "2023-12-11 14:00:00.000000"),
                error("us", 2, "2023-12-11 15:00:00.000000"),
                error("eu", 3, "2023-12-11 14:30:00.000000"),
            ],
        );
        assert_eq!(
            channels[0].worker_error.as_ref().unwrap().worker_id,
            Some(3)
        );
    }
}
