//! One parser for `SHOW REPLICA STATUS` in both column dialects: MariaDB's and older MySQL's
//! `Slave_*`/`Master_*`, MySQL 8.0.22+'s `Replica_*`/`Source_*`; one row per channel
//! (`SHOW ALL REPLICAS STATUS` on MariaDB, `Channel_Name` on MySQL).

use std::collections::BTreeMap;

use serde::Serialize;

/// One replication channel of a replica, as its server reports it.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ChannelStatus {
    /// `Connection_name` (MariaDB) or `Channel_Name` (MySQL); empty for the default channel.
    pub channel: String,
    pub source_host: Option<String>,
    pub source_port: Option<u16>,
    pub io_running: ThreadState,
    pub sql_running: ThreadState,
    pub io_state: Option<String>,
    pub sql_state: Option<String>,
    pub last_io_errno: u32,
    pub last_io_error: Option<String>,
    pub last_sql_errno: u32,
    pub last_sql_error: Option<String>,
    /// NULL exactly when the SQL thread is stopped: the reason a heartbeat is needed.
    pub seconds_behind: Option<f64>,
    pub source_log_file: Option<String>,
    /// Binlog offsets travel as strings (they exceed JS integers on long-lived servers).
    pub read_source_log_pos: Option<String>,
    pub relay_source_log_file: Option<String>,
    pub exec_source_log_pos: Option<String>,
    /// MariaDB `Gtid_IO_Pos`.
    pub gtid_io_pos: Option<String>,
    /// MySQL `Retrieved_Gtid_Set` / `Executed_Gtid_Set`.
    pub retrieved_gtid_set: Option<String>,
    pub executed_gtid_set: Option<String>,
    pub using_gtid: Option<String>,
    pub sql_delay: Option<u32>,
    pub source_server_id: Option<u32>,
    /// On a multi-threaded replica whose coordinator stopped: the failed worker's own error.
    pub worker_error: Option<super::workers::WorkerError>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum ThreadState {
    Running,
    /// Started, trying to (re)connect to the source.
    Connecting,
    #[default]
    Stopped,
}

/// The value of the first of `names` present and non-empty in `row`.
fn get<'a>(row: &'a BTreeMap<String, Option<String>>, names: &[&str]) -> Option<&'a str> {
    names.iter().find_map(|n| {
        row.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(n))
            .and_then(|(_, v)| v.as_deref())
            .map(str::trim)
            .filter(|v| !v.is_empty() && !v.eq_ignore_ascii_case("NULL"))
    })
}

fn thread(v: Option<&str>) -> ThreadState {
    match v.map(str::to_ascii_lowercase).as_deref() {
        Some("yes") => ThreadState::Running,
        Some("connecting") | Some("preparing") => ThreadState::Connecting,
        _ => ThreadState::Stopped,
    }
}

/// Reads one row (column name → value) of either dialect.
pub fn parse_row(row: &BTreeMap<String, Option<String>>) -> ChannelStatus {
    let s = |names: &[&str]| get(row, names).map(str::to_owned);
    let n = |names: &[&str]| get(row, names).and_then(|v| v.parse::<u32>().ok());
    ChannelStatus {
        channel: s(&["Connection_name", "Channel_Name"]).unwrap_or_default(),
        source_host: s(&["Source_Host", "Master_Host"]),
        source_port: get(row, &["Source_Port", "Master_Port"]).and_then(|v| v.parse().ok()),
        io_running: thread(get(row, &["Replica_IO_Running", "Slave_IO_Running"])),
        sql_running: thread(get(row, &["Replica_SQL_Running", "Slave_SQL_Running"])),
        io_state: s(&["Replica_IO_State", "Slave_IO_State"]),
        sql_state: s(&["Replica_SQL_Running_State", "Slave_SQL_Running_State"]),
        last_io_errno: n(&["Last_IO_Errno"]).unwrap_or(0),
        last_io_error: s(&["Last_IO_Error"]),
        last_sql_errno: n(&["Last_SQL_Errno"]).unwrap_or(0),
        last_sql_error: s(&["Last_SQL_Error"]),
        seconds_behind: get(row, &["Seconds_Behind_Source", "Seconds_Behind_Master"])
            .and_then(|v| v.parse().ok()),
        source_log_file: s(&["Source_Log_File", "Master_Log_File"]),
        read_source_log_pos: s(&["Read_Source_Log_Pos", "Read_Master_Log_Pos"]),
        relay_source_log_file: s(&["Relay_Source_Log_File", "Relay_Master_Log_File"]),
        exec_source_log_pos: s(&["Exec_Source_Log_Pos", "Exec_Master_Log_Pos"]),
        gtid_io_pos: s(&["Gtid_IO_Pos"]),
        // MySQL wraps long GTID sets over lines; the newlines are not part of them.
        retrieved_gtid_set: s(&["Retrieved_Gtid_Set"]).map(|v| v.replace(['\n', ' '], "")),
        executed_gtid_set: s(&["Executed_Gtid_Set"]).map(|v| v.replace(['\n', ' '], "")),
        using_gtid: s(&["Using_Gtid", "Auto_Position"]),
        sql_delay: n(&["SQL_Delay"]),
        source_server_id: n(&["Source_Server_Id", "Master_Server_Id"]),
        worker_error: None,
    }
}

/// Reads the mysql client's vertical output (`SHOW REPLICA STATUS\G`), one map per row;
/// continuation lines (a wrapped GTID set) join the value above.
pub fn parse_vertical(text: &str) -> Vec<BTreeMap<String, Option<String>>> {
    let mut rows = Vec::new();
    let mut current: BTreeMap<String, Option<String>> = BTreeMap::new();
    let mut last_key: Option<String> = None;
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with("***") {
            if !current.is_empty() {
                rows.push(std::mem::take(&mut current));
            }
            last_key = None;
            continue;
        }
        if trimmed.is_empty()
            || trimmed.contains("row in set")
            || trimmed.contains("rows in set")
            || trimmed.starts_with("mysql>")
        {
            continue;
        }
        match line
            .split_once(": ")
            .or_else(|| line.strip_suffix(':').map(|k| (k, "")))
        {
            Some((key, value)) if !key.trim().contains(' ') && !key.trim().is_empty() => {
                let key = key.trim().to_owned();
                let value = value.trim();
                current.insert(key.clone(), (!value.is_empty()).then(|| value.to_owned()));
                last_key = Some(key);
            }
            _ => {
                if let Some(key) = &last_key
                    && let Some(Some(v)) = current.get_mut(key)
                {
                    v.push('\n');
                    v.push_str(trimmed);
                }
            }
        }
    }
    if !current.is_empty() {
        rows.push(current);
    }
    rows
}

/// Sequence numbers per GTID domain of a MariaDB position (`0-1-42,1-2-7`).
pub fn mariadb_gtid_seqs(pos: &str) -> BTreeMap<u32, u64> {
    pos.split(',')
        .filter_map(|part| {
            let mut it = part.trim().split('-');
            let domain = it.next()?.parse().ok()?;
            let _server = it.next()?;
            let seq = it.next()?.parse().ok()?;
            Some((domain, seq))
        })
        .collect()
}

/// Transactions the replica lacks: per domain, the primary's sequence minus the replica's.
pub fn mariadb_gtid_gap(primary: &str, replica: &str) -> u64 {
    let have = mariadb_gtid_seqs(replica);
    mariadb_gtid_seqs(primary)
        .into_iter()
        .map(|(domain, seq)| seq.saturating_sub(have.get(&domain).copied().unwrap_or(0)))
        .sum()
}

/// Transactions in a MySQL GTID set (`uuid:1-5:7,uuid2:1-3`), counted.
pub fn mysql_gtid_count(set: &str) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for part in set.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let mut pieces = part.split(':');
        let Some(uuid) = pieces.next() else { continue };
        let mut n = 0u64;
        for range in pieces {
            let (a, b) = range.split_once('-').unwrap_or((range, range));
            if let (Ok(a), Ok(b)) = (a.parse::<u64>(), b.parse::<u64>()) {
                n += b.saturating_sub(a) + 1;
            }
        }
        *out.entry(uuid.to_lowercase()).or_insert(0) += n;
    }
    out
}

/// Transactions in the primary's executed set the replica has not executed (by count; the
/// sets of a healthy topology only ever grow at their ends).
pub fn mysql_gtid_gap(primary: &str, replica: &str) -> u64 {
    let have = mysql_gtid_count(replica);
    mysql_gtid_count(primary)
        .into_iter()
        .map(|(uuid, n)| n.saturating_sub(have.get(&uuid).copied().unwrap_or(0)))
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MYSQL80: &str = include_str!("fixtures/mysql80-replica-status.txt");

    #[test]
    fn mysql80_replica_status_reads_the_replica_source_dialect() {
        let rows = parse_vertical(MYSQL80);
        assert_eq!(rows.len(), 1);
        let c = parse_row(&rows[0]);
        assert_eq!(c.source_host.as_deref(), Some("127.0.0.1"));
        assert_eq!(c.source_port, Some(13000));
        assert_eq!(c.io_running, ThreadState::Running);
        assert_eq!(c.sql_running, ThreadState::Running);
        assert_eq!(c.seconds_behind, Some(0.0));
        assert_eq!(c.exec_source_log_pos.as_deref(), Some("927"));
        assert_eq!(c.source_log_file.as_deref(), Some("master-bin.000001"));
        assert_eq!(
            c.retrieved_gtid_set.as_deref(),
            Some("73f86016-978b-11ee-ade5-8d2a2a562feb:1-3")
        );
        assert_eq!(c.sql_delay, Some(0));
        assert_eq!(c.source_server_id, Some(1));
        assert_eq!(c.channel, "");
        assert_eq!(
            c.sql_state.as_deref(),
            Some("Replica has read all relay log; waiting for more updates")
        );
    }

    #[test]
    fn a_wrapped_multi_uuid_executed_set_is_joined_and_counted() {
        let text = "\
*************************** 1. row ***************************
           Replica_IO_Running: Yes
          Replica_SQL_Running: No
        Seconds_Behind_Source: NULL
               Last_SQL_Errno: 1062
               Last_SQL_Error: Could not execute Write_rows event on table mindpal.conversation_messages; Duplicate entry '7' for key 'PRIMARY'
            Executed_Gtid_Set: 7caa9a48-b325-11ed-8541-fab81f64ee00:1-16333,
c1a67221-f9fc-11ed-bffd-fa8338b09400:1-106
                 Channel_Name: europe
";
        let c = parse_row(&parse_vertical(text)[0]);
        assert_eq!(c.sql_running, ThreadState::Stopped);
        assert_eq!(
            c.seconds_behind, None,
            "NULL while the SQL thread is stopped"
        );
        assert_eq!(c.last_sql_errno, 1062);
        assert_eq!(c.channel, "europe");
        let set = c.executed_gtid_set.unwrap();
        assert_eq!(
            set,
            "7caa9a48-b325-11ed-8541-fab81f64ee00:1-16333,c1a67221-f9fc-11ed-bffd-fa8338b09400:1-106"
        );
        assert_eq!(
            mysql_gtid_gap(
                "7caa9a48-b325-11ed-8541-fab81f64ee00:1-16340,c1a67221-f9fc-11ed-bffd-fa8338b09400:1-106",
                &set
            ),
            7
        );
    }

    #[test]
    fn mariadb_columns_and_gtid_positions() {
        let mut row = BTreeMap::new();
        for (k, v) in [
            ("Connection_name", ""),
            ("Slave_IO_Running", "Connecting"),
            ("Slave_SQL_Running", "Yes"),
            ("Master_Host", "127.0.0.1"),
            ("Master_Port", "13306"),
            ("Seconds_Behind_Master", "3"),
            ("Gtid_IO_Pos", "0-1-420"),
            ("Using_Gtid", "Slave_Pos"),
            ("Last_IO_Errno", "2003"),
            ("Last_IO_Error", "error reconnecting to master"),
        ] {
            row.insert(k.to_owned(), Some(v.to_owned()));
        }
        let c = parse_row(&row);
        assert_eq!(c.io_running, ThreadState::Connecting);
        assert_eq!(c.last_io_errno, 2003);
        assert_eq!(c.seconds_behind, Some(3.0));
        assert_eq!(c.using_gtid.as_deref(), Some("Slave_Pos"));
        assert_eq!(mariadb_gtid_gap("0-1-430,1-2-5", "0-1-420"), 15);
        assert_eq!(mariadb_gtid_gap("0-1-420", "0-1-420"), 0);
    }
}
