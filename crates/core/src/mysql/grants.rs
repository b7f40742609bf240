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
    for grant in lines.iter().filter_map(|l| Grant::parse(l)) {
        let target = grant.target.to_ascii_uppercase();
        let applies = target == "*.*"
            || database.is_some_and(|db| {
                let db = db.to_ascii_uppercase();
                target == format!("`{db}`.*") || target == format!("{db}.*")
            });
        if !applies {
            continue;
        }
        let privileges = &grant.privileges;
        let global = target == "*.*";
        let has = |p: &str| privileges.iter().any(|x| x == p || x == "ALL PRIVILEGES");
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

/// One `GRANT … ON … TO …` line: its privileges (upper case, `ALL` spelled `ALL PRIVILEGES`),
/// its target as written, and whether it carries GRANT OPTION.
struct Grant<'a> {
    privileges: Vec<String>,
    target: &'a str,
    grant_option: bool,
}

impl<'a> Grant<'a> {
    fn parse(line: &'a str) -> Option<Grant<'a>> {
        // Upper case for matching; the original's bytes (same offsets) for the target's name.
        let upper = line.to_ascii_uppercase();
        let rest = upper.strip_prefix("GRANT ")?;
        let (privileges, target) = rest.split_once(" ON ")?;
        let on_start = "GRANT ".len() + privileges.len() + " ON ".len();
        let on_len = target.find(" TO ").unwrap_or(target.len());
        Some(Grant {
            privileges: privileges
                .split(',')
                .map(|p| match p.trim() {
                    "ALL" => "ALL PRIVILEGES".to_owned(),
                    p => p.to_owned(),
                })
                .collect(),
            target: line[on_start..on_start + on_len].trim(),
            grant_option: upper.contains("WITH GRANT OPTION"),
        })
    }
}

/// Privileges that no support profile needs: it reads, and writes only its reviews.
const BEYOND_SUPPORT: &[&str] = &[
    "ALL PRIVILEGES",
    "DROP",
    "DELETE",
    "ALTER",
    "CREATE",
    "INDEX",
    "SUPER",
    "FILE",
    "PROCESS",
    "RELOAD",
    "SHUTDOWN",
    "CREATE USER",
    "GRANT OPTION",
    "CONNECTION ADMIN",
    "CONNECTION_ADMIN",
];

/// Privileges that a read-only profile never uses: it changes nothing.
const BEYOND_READ_ONLY: &[&str] = &[
    "ALL PRIVILEGES",
    "INSERT",
    "UPDATE",
    "DELETE",
    "DROP",
    "ALTER",
    "CREATE",
    "INDEX",
    "SUPER",
    "FILE",
    "SHUTDOWN",
    "CREATE USER",
    "GRANT OPTION",
];

/// What the account may do beyond what its profile needs, one line per grant target, e.g.
/// "DROP, DELETE on *.*". Empty for operator profiles that are not read-only. The console's
/// roles are guard rails; these grants are the wall, so a support account that may DROP is
/// worth a warning.
pub fn excess(lines: &[String], actor: crate::access::Actor) -> Vec<String> {
    let beyond = match (actor.role, actor.read_only) {
        (crate::access::Role::Support | crate::access::Role::Lead, _) => BEYOND_SUPPORT,
        (_, true) => BEYOND_READ_ONLY,
        _ => return Vec::new(),
    };
    let mut out = Vec::new();
    // `GRANT PROXY …` lets the account act as another; it reads and writes no data itself.
    let data_grants = lines
        .iter()
        .filter_map(|l| Grant::parse(l))
        .filter(|g| g.privileges.iter().any(|p| p != "PROXY"));
    for grant in data_grants {
        let mut found: Vec<&str> = grant
            .privileges
            .iter()
            .map(String::as_str)
            .filter(|p| beyond.contains(p))
            .collect();
        if grant.grant_option && beyond.contains(&"GRANT OPTION") {
            found.push("GRANT OPTION");
        }
        if !found.is_empty() {
            out.push(format!("{} on {}", found.join(", "), grant.target));
        }
    }
    out
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
    fn more_than_a_profile_needs_is_named() {
        use crate::access::Actor;
        use crate::access::Role;
        let root = lines(&[
            "GRANT ALL PRIVILEGES ON *.* TO `root`@`localhost` WITH GRANT OPTION",
            "GRANT PROXY ON ''@'%' TO 'root'@'localhost' WITH GRANT OPTION",
        ]);
        let support = Actor {
            role: Role::Support,
            read_only: false,
        };
        let warned = excess(&root, support);
        assert_eq!(warned, vec!["ALL PRIVILEGES, GRANT OPTION on *.*"]);
        assert!(excess(&root, Actor::OPERATOR).is_empty());
        let least = lines(&[
            "GRANT USAGE ON *.* TO `support`@`%`",
            "GRANT SELECT ON `mindpal`.* TO `support`@`%`",
            "GRANT INSERT ON `mindpal`.`conversation_reviews` TO `support`@`%`",
            "GRANT INSERT, UPDATE ON `mindpal`.`review_claims` TO `support`@`%`",
            "GRANT INSERT ON `mindpal`.`review_queues` TO `support`@`%`",
            "GRANT INSERT ON `mindpal`.`operation_logs` TO `support`@`%`",
        ]);
        assert!(excess(&least, support).is_empty());
        let read_only = Actor {
            role: Role::Operator,
            read_only: true,
        };
        let monitor = lines(&[
            "GRANT PROCESS, REPLICATION CLIENT ON *.* TO `mon`@`%`",
            "GRANT SELECT, DELETE, DROP ON `mindpal`.* TO `mon`@`%`",
        ]);
        assert_eq!(
            excess(&monitor, read_only),
            vec!["DELETE, DROP on `mindpal`.*"]
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
