//! The statements that cost most: by digest from performance_schema, else from the slow log
//! table, else a note on how to turn one of them on.

use serde::Serialize;
use sqlx::mysql::MySqlRow;

use crate::access::{Actor, Permission};
use crate::error::Result;
use crate::mysql::{MysqlServer, cell_text};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum TopSource {
    /// `performance_schema.events_statements_summary_by_digest`.
    PerformanceSchema,
    /// `mysql.slow_log`, grouped by statement text.
    SlowLog,
    None,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct TopStatement {
    pub schema: Option<String>,
    /// The digest hash; `None` from the slow log.
    pub digest: Option<String>,
    /// Normalised text (literals as `?`) from performance_schema; the statement itself from
    /// the slow log.
    pub text: String,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub count: u64,
    pub total_seconds: f64,
    pub average_seconds: f64,
    pub max_seconds: f64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub rows_examined: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub rows_sent: u64,
    /// Executions that used no index (performance_schema only).
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub no_index_used: Option<u64>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct TopReport {
    pub source: TopSource,
    /// Which source is used and why; with no source, how to enable one.
    pub note: String,
    pub statements: Vec<TopStatement>,
}

fn number(row: &MySqlRow, i: usize) -> f64 {
    cell_text(row, i)
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0)
}

/// Whether performance_schema is on and collects digests.
async fn digests_collected(server: &MysqlServer) -> Result<bool> {
    let (on,): (i64,) = sqlx::query_as("SELECT CAST(@@performance_schema AS SIGNED)")
        .fetch_one(&server.pool)
        .await
        .map_err(|e| server.err(e))?;
    if on == 0 {
        return Ok(false);
    }
    let enabled: Option<(String,)> = sqlx::query_as(
        "SELECT CAST(ENABLED AS CHAR) FROM performance_schema.setup_consumers WHERE NAME = 'statements_digest'",
    )
    .fetch_optional(&server.pool)
    .await
    .map_err(|e| server.err(e))?;
    Ok(enabled.is_some_and(|(v,)| v.eq_ignore_ascii_case("YES")))
}

/// The `limit` statements of most total time.
pub async fn top(server: &MysqlServer, actor: Actor, limit: u32) -> Result<TopReport> {
    actor.require(Permission::Monitor)?;
    let limit = limit.clamp(1, 500);
    if digests_collected(server).await? {
        // Timers are picoseconds.
        let rows = sqlx::query(
            "SELECT SCHEMA_NAME, DIGEST, DIGEST_TEXT, COUNT_STAR, \
                    CAST(SUM_TIMER_WAIT / 1e12 AS CHAR), CAST(AVG_TIMER_WAIT / 1e12 AS CHAR), \
                    CAST(MAX_TIMER_WAIT / 1e12 AS CHAR), SUM_ROWS_EXAMINED, SUM_ROWS_SENT, SUM_NO_INDEX_USED \
             FROM performance_schema.events_statements_summary_by_digest \
             WHERE DIGEST_TEXT IS NOT NULL ORDER BY SUM_TIMER_WAIT DESC LIMIT ?",
        )
        .bind(limit)
        .fetch_all(&server.pool)
        .await
        .map_err(|e| server.err(e))?;
        return Ok(TopReport {
            source: TopSource::PerformanceSchema,
            note: format!(
                "performance_schema statement digests, since the server started or the summary was truncated{}",
                if server.info.flavour == crate::mysql::Flavour::MariaDb {
                    "; MariaDB does not digest prepared statements run with the binary protocol"
                } else {
                    ""
                }
            ),
            statements: rows
                .iter()
                .map(|r| TopStatement {
                    schema: cell_text(r, 0),
                    digest: cell_text(r, 1),
                    text: cell_text(r, 2).unwrap_or_default(),
                    count: number(r, 3) as u64,
                    total_seconds: number(r, 4),
                    average_seconds: number(r, 5),
                    max_seconds: number(r, 6),
                    rows_examined: number(r, 7) as u64,
                    rows_sent: number(r, 8) as u64,
                    no_index_used: Some(number(r, 9) as u64),
                })
                .collect(),
        });
    }
    let (output, slow_log, long_query_time): (String, i64, String) = sqlx::query_as(
        "SELECT CAST(@@GLOBAL.log_output AS CHAR), CAST(@@GLOBAL.slow_query_log AS SIGNED), CAST(@@GLOBAL.long_query_time AS CHAR)",
    )
    .fetch_one(&server.pool)
    .await
    .map_err(|e| server.err(e))?;
    let to_table = output
        .split(',')
        .any(|o| o.trim().eq_ignore_ascii_case("TABLE"));
    if slow_log == 1 && to_table {
        let rows = sqlx::query(
            "SELECT db, LEFT(CONVERT(sql_text USING utf8mb4), 4000) AS statement, COUNT(*), \
                    CAST(SUM(TIME_TO_SEC(query_time)) AS CHAR), CAST(AVG(TIME_TO_SEC(query_time)) AS CHAR), \
                    CAST(MAX(TIME_TO_SEC(query_time)) AS CHAR), SUM(rows_examined), SUM(rows_sent) \
             FROM mysql.slow_log GROUP BY db, statement ORDER BY SUM(TIME_TO_SEC(query_time)) DESC LIMIT ?",
        )
        .bind(limit)
        .fetch_all(&server.pool)
        .await
        .map_err(|e| server.err(e))?;
        return Ok(TopReport {
            source: TopSource::SlowLog,
            note: format!(
                "the slow log table (statements over long_query_time = {long_query_time} s), grouped by text; \
                 performance_schema would group by digest: set performance_schema=ON in the server's config"
            ),
            statements: rows
                .iter()
                .map(|r| TopStatement {
                    schema: cell_text(r, 0).filter(|s| !s.is_empty()),
                    digest: None,
                    text: cell_text(r, 1).unwrap_or_default(),
                    count: number(r, 2) as u64,
                    total_seconds: number(r, 3),
                    average_seconds: number(r, 4),
                    max_seconds: number(r, 5),
                    rows_examined: number(r, 6) as u64,
                    rows_sent: number(r, 7) as u64,
                    no_index_used: None,
                })
                .collect(),
        });
    }
    Ok(TopReport {
        source: TopSource::None,
        note: format!(
            "no statement statistics here: performance_schema is off and the slow log {}. \
             Either set performance_schema=ON in the server's config (needs a restart), or run \
             SET GLOBAL slow_query_log = 1, log_output = 'TABLE', long_query_time = 2",
            if slow_log == 1 {
                format!("goes to {output}, not to a table")
            } else {
                "is off".to_owned()
            }
        ),
        statements: Vec::new(),
    })
}
