//! What an account may do, read from `SHOW GRANTS`.

use serde::Serialize;

use super::MysqlServer;
use crate::error::Result;

/// The privileges the console cares about, each true when granted globally or on the
/// profile's database.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Capabilities {
    /// SELECT: browse users and conversations, EXPLAIN.
    pub read: bool,
    /// INSERT, UPDATE and DELETE: disable users, record reviews.
    pub write: bool,
    /// CREATE, ALTER, INDEX, DROP: apply migrations.
    pub schema_change: bool,
    /// PROCESS: the full processlist and InnoDB status.
    pub process: bool,
    /// RELOAD (plus LOCK TABLES): consistent backups.
    pub reload: bool,
    /// REPLICATION CLIENT (BINLOG MONITOR / SLAVE MONITOR on MariaDB): replication health.
    pub replication_client: bool,
    /// SUPER or CONNECTION ADMIN: kill other sessions' queries.
    pub kill_any: bool,
}

/// Reads the grant lines of a `SHOW GRANTS` answer. `database` is the profile's database;
/// grants on other databases do not count.
pub fn parse_grants(lines: &[String], database: Option<&str>) -> Capabilities {
    let mut caps = Capabilities::default();
    for line in lines {
        let upper = line.to_ascii_uppercase();
        let Some(rest) = upper.strip_prefix("GRANT ") else {
            continue;
        };
        let Some((privileges, target)) = rest.split_once(" ON ") else {
            continue;
        };
        let target = target.split(" TO ").next().unwrap_or_default().trim();
        let applies = target == "*.*"
            || database.is_some_and(|db| {
                let db = db.to_ascii_uppercase();
                target == format!("`{db}`.*") || target == format!("{db}.*")
            });
        if !applies {
            continue;
        }
        let global = target == "*.*";
        let has = |p: &str| {
            privileges
                .split(',')
                .map(str::trim)
                .any(|x| x == p || x == "ALL PRIVILEGES" || x == "ALL")
        };
        caps.read |= has("SELECT");
        caps.write |= has("INSERT") && has("UPDATE") && has("DELETE");
        caps.schema_change |= has("CREATE") && has("ALTER") && has("INDEX");
        if global {
            caps.process |= has("PROCESS");
            caps.reload |= has("RELOAD");
            caps.replication_client |= has("REPLICATION CLIENT")
                || has("BINLOG MONITOR")
                || has("SLAVE MONITOR")
                || has("REPLICA MONITOR");
            caps.kill_any |= has("SUPER") || has("CONNECTION ADMIN") || has("CONNECTION_ADMIN");
        }
    }
    caps
}

/// The grants of the connected account and what they allow.
pub async fn capabilities(server: &MysqlServer) -> Result<(Vec<String>, Capabilities)> {
    let rows: Vec<(String,)> = sqlx::query_as("SHOW GRANTS")
        .fetch_all(&server.pool)
        .await
        .map_err(|e| server.err(e))?;
    let lines: Vec<String> = rows.into_iter().map(|(l,)| l).collect();
    let caps = parse_grants(&lines, server.target.database.as_deref());
    Ok((lines, caps))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn all_privileges_on_everything_allow_everything() {
        let caps = parse_grants(
            &lines(&[
                "GRANT ALL PRIVILEGES ON *.* TO `root`@`localhost` IDENTIFIED VIA mysql_native_password USING 'invalid' WITH GRANT OPTION",
            ]),
            Some("mindpal"),
        );
        assert!(caps.read && caps.write && caps.schema_change && caps.process && caps.reload);
        assert!(caps.replication_client && caps.kill_any);
    }

    #[test]
    fn a_support_account_reads_only_its_database() {
        let caps = parse_grants(
            &lines(&[
                "GRANT USAGE ON *.* TO `support`@`%`",
                "GRANT SELECT ON `mindpal`.* TO `support`@`%`",
                "GRANT SELECT, INSERT, UPDATE, DELETE ON `other`.* TO `support`@`%`",
            ]),
            Some("mindpal"),
        );
        assert_eq!(
            caps,
            Capabilities {
                read: true,
                ..Capabilities::default()
            }
        );
    }

    #[test]
    fn mariadb_monitor_privileges_count_as_replication_client() {
        let caps = parse_grants(
            &lines(&["GRANT PROCESS, RELOAD, BINLOG MONITOR ON *.* TO `ops`@`%`"]),
            None,
        );
        assert!(caps.process && caps.reload && caps.replication_client);
        assert!(!caps.read);
    }

    #[test]
    fn mysql8_dynamic_privileges_are_read() {
        let caps = parse_grants(
            &lines(&[
                "GRANT SELECT, PROCESS, REPLICATION CLIENT ON *.* TO `mon`@`%`",
                "GRANT CONNECTION_ADMIN ON *.* TO `mon`@`%`",
            ]),
            None,
        );
        assert!(caps.read && caps.process && caps.replication_client && caps.kill_any);
    }
}
