//! The server dashboard: `SHOW GLOBAL STATUS` read twice and turned into rates per second.

use std::collections::{BTreeMap, VecDeque};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::error::Result;
use crate::mysql::{MysqlServer, cell_text};

/// The counters the dashboard reads, as the server names them.
const COUNTERS: &[&str] = &[
    "Questions",
    "Com_select",
    "Com_insert",
    "Com_update",
    "Com_delete",
    "Com_replace",
    "Com_commit",
    "Threads_connected",
    "Threads_running",
    "Max_used_connections",
    "Innodb_buffer_pool_read_requests",
    "Innodb_buffer_pool_reads",
    "Innodb_rows_read",
    "Innodb_rows_inserted",
    "Innodb_rows_updated",
    "Innodb_rows_deleted",
    "Innodb_data_reads",
    "Innodb_data_writes",
    "Slow_queries",
    "Aborted_connects",
    "Aborted_clients",
    "Created_tmp_tables",
    "Created_tmp_disk_tables",
    "Uptime",
];

/// One reading of the server's counters.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct StatusSample {
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub taken_at: DateTime<Utc>,
    #[cfg_attr(feature = "ts", ts(type = "Record<string, number>"))]
    pub counters: BTreeMap<String, u64>,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub max_connections: u64,
}

impl StatusSample {
    fn get(&self, name: &str) -> u64 {
        self.counters.get(name).copied().unwrap_or(0)
    }
}

/// Reads the dashboard's counters and `max_connections` in one round trip each.
pub async fn sample(server: &MysqlServer) -> Result<StatusSample> {
    let rows: Vec<(String, String)> = sqlx::raw_sql("SHOW GLOBAL STATUS")
        .fetch_all(&server.pool)
        .await
        .map_err(|e| server.err(e))
        .map(|rows| {
            rows.iter()
                .filter_map(|r| Some((cell_text(r, 0)?, cell_text(r, 1)?)))
                .collect()
        })?;
    let counters = rows
        .into_iter()
        .filter(|(name, _)| COUNTERS.iter().any(|c| c.eq_ignore_ascii_case(name)))
        .filter_map(|(name, value)| Some((name, value.parse().ok()?)))
        .collect();
    let (max_connections,): (u64,) = sqlx::query_as("SELECT CAST(@@max_connections AS UNSIGNED)")
        .fetch_one(&server.pool)
        .await
        .map_err(|e| server.err(e))?;
    Ok(StatusSample {
        taken_at: Utc::now(),
        counters,
        max_connections,
    })
}

/// What happened between two samples, per second, and the gauges of the later one.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct DashboardPoint {
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub at: DateTime<Utc>,
    pub seconds: f64,
    pub qps: f64,
    pub select_per_sec: f64,
    pub insert_per_sec: f64,
    pub update_per_sec: f64,
    pub delete_per_sec: f64,
    /// Questions that were none of the four above (commits, SETs, SHOWs...).
    pub other_per_sec: f64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub threads_connected: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub threads_running: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub max_connections: u64,
    /// Share of buffer-pool page requests served without a disk read, over the interval;
    /// `None` when there were no requests.
    pub buffer_pool_hit_ratio: Option<f64>,
    pub rows_read_per_sec: f64,
    pub rows_written_per_sec: f64,
    pub data_reads_per_sec: f64,
    pub data_writes_per_sec: f64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub slow_queries: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub aborted_connects: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub tmp_tables: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub tmp_disk_tables: u64,
}

/// The rates between `before` and `after`. Counters that went backwards (a restart or
/// `FLUSH STATUS`) count as zero rather than as a huge wrap-around.
pub fn between(before: &StatusSample, after: &StatusSample) -> DashboardPoint {
    let seconds =
        ((after.taken_at - before.taken_at).num_milliseconds() as f64 / 1000.0).max(0.001);
    let delta = |name: &str| after.get(name).saturating_sub(before.get(name));
    let rate = |name: &str| delta(name) as f64 / seconds;
    let qps = rate("Questions");
    let (select, insert, update, delete) = (
        rate("Com_select"),
        rate("Com_insert") + rate("Com_replace"),
        rate("Com_update"),
        rate("Com_delete"),
    );
    let requests = delta("Innodb_buffer_pool_read_requests");
    let disk_reads = delta("Innodb_buffer_pool_reads");
    DashboardPoint {
        at: after.taken_at,
        seconds,
        qps,
        select_per_sec: select,
        insert_per_sec: insert,
        update_per_sec: update,
        delete_per_sec: delete,
        other_per_sec: (qps - select - insert - update - delete).max(0.0),
        threads_connected: after.get("Threads_connected"),
        threads_running: after.get("Threads_running"),
        max_connections: after.max_connections,
        buffer_pool_hit_ratio: (requests > 0)
            .then(|| 1.0 - disk_reads.min(requests) as f64 / requests as f64),
        rows_read_per_sec: rate("Innodb_rows_read"),
        rows_written_per_sec: rate("Innodb_rows_inserted")
            + rate("Innodb_rows_updated")
            + rate("Innodb_rows_deleted"),
        data_reads_per_sec: rate("Innodb_data_reads"),
        data_writes_per_sec: rate("Innodb_data_writes"),
        slow_queries: delta("Slow_queries"),
        aborted_connects: delta("Aborted_connects"),
        tmp_tables: delta("Created_tmp_tables"),
        tmp_disk_tables: delta("Created_tmp_disk_tables"),
    }
}

/// The last minutes of dashboard points while a screen is open.
#[derive(Debug, Default, Clone)]
pub struct History {
    last: Option<StatusSample>,
    points: VecDeque<DashboardPoint>,
}

/// Points kept: ten minutes at the window's two-second refresh.
pub const HISTORY_POINTS: usize = 300;

/// The dashboard as the window draws it: the newest point and those before it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Dashboard {
    pub points: Vec<DashboardPoint>,
    /// Totals since the server started, for the figures no interval has yet.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub uptime_seconds: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub slow_queries_total: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub aborted_connects_total: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub max_used_connections: u64,
}

impl History {
    /// Adds a sample; from the second one on, each adds a point.
    pub fn push(&mut self, sample: StatusSample) -> Dashboard {
        if let Some(last) = &self.last
            && sample.taken_at > last.taken_at
        {
            self.points.push_back(between(last, &sample));
            while self.points.len() > HISTORY_POINTS {
                self.points.pop_front();
            }
        }
        let dashboard = Dashboard {
            points: self.points.iter().cloned().collect(),
            uptime_seconds: sample.get("Uptime"),
            slow_queries_total: sample.get("Slow_queries"),
            aborted_connects_total: sample.get("Aborted_connects"),
            max_used_connections: sample.get("Max_used_connections"),
        };
        self.last = Some(sample);
        dashboard
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64, pairs: &[(&str, u64)]) -> StatusSample {
        StatusSample {
            taken_at: DateTime::from_timestamp(1_700_000_000 + seconds, 0).unwrap(),
            counters: pairs.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect(),
            max_connections: 151,
        }
    }

    #[test]
    fn rates_are_per_second_and_the_rest_is_other() {
        let a = at(
            0,
            &[
                ("Questions", 100),
                ("Com_select", 50),
                ("Innodb_buffer_pool_read_requests", 1000),
                ("Innodb_buffer_pool_reads", 10),
            ],
        );
        let b = at(
            2,
            &[
                ("Questions", 300),
                ("Com_select", 150),
                ("Com_insert", 20),
                ("Innodb_buffer_pool_read_requests", 2000),
                ("Innodb_buffer_pool_reads", 60),
                ("Threads_running", 3),
            ],
        );
        let p = between(&a, &b);
        assert_eq!(p.qps, 100.0);
        assert_eq!(p.select_per_sec, 50.0);
        assert_eq!(p.insert_per_sec, 10.0);
        assert_eq!(p.other_per_sec, 40.0);
        assert_eq!(p.buffer_pool_hit_ratio, Some(0.95));
        assert_eq!(p.threads_running, 3);
    }

    #[test]
    fn a_counter_that_went_back_counts_zero_and_idle_has_no_hit_ratio() {
        let a = at(0, &[("Questions", 1000)]);
        let b = at(1, &[("Questions", 5)]);
        let p = between(&a, &b);
        assert_eq!(p.qps, 0.0);
        assert_eq!(p.buffer_pool_hit_ratio, None);
    }

    #[test]
    fn history_keeps_a_bounded_window() {
        let mut h = History::default();
        assert!(h.push(at(0, &[])).points.is_empty());
        for s in 1..=(HISTORY_POINTS as i64 + 5) {
            h.push(at(s, &[("Questions", s as u64 * 10)]));
        }
        let d = h.push(at(HISTORY_POINTS as i64 + 6, &[("Questions", 1)]));
        assert_eq!(d.points.len(), HISTORY_POINTS);
    }
}
