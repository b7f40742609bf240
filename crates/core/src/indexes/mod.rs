//! Index health of a live database, as Percona's duplicate-key checker and the sys schema's
//! unused-index view see it: redundant and unused indexes, foreign keys without an index,
//! UNIQUE keys over nullable columns, tables without a primary key. Each finding carries the
//! DDL that fixes it, to be read and run by a person: the console never runs it.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::error::Result;
use crate::mysql::{Flavour, MysqlServer};
use crate::schema::{IndexShape, TableShape, introspect};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum IndexIssue {
    NoPrimaryKey,
    Redundant,
    UniqueOverNullable,
    ForeignKeyWithoutIndex,
    Unused,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct IndexFinding {
    pub issue: IndexIssue,
    pub table: String,
    pub index: Option<String>,
    pub columns: Vec<String>,
    pub detail: String,
    pub ddl: String,
}

/// Where unused-index figures come from, or why there are none.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase", tag = "source")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum UsageSource {
    /// MariaDB `information_schema.INDEX_STATISTICS` (`userstat = ON`).
    IndexStatistics,
    /// `performance_schema.table_io_waits_summary_by_index_usage`.
    PerformanceSchema,
    /// The server keeps no index usage figures.
    Unavailable { why: String, enable: String },
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct IndexReport {
    pub database: String,
    /// How long the server has been counting index reads (its uptime), in seconds.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub counted_seconds: u64,
    pub tables: u32,
    pub indexes: u32,
    pub usage: UsageSource,
    pub findings: Vec<IndexFinding>,
}

fn q(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

fn cols(columns: &[String]) -> String {
    columns
        .iter()
        .map(|c| {
            // `keywords(255)` keeps its prefix length outside the quotes.
            match c.split_once('(') {
                Some((name, len)) => format!("{}({len}", q(name)),
                None => q(c),
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn describe(index: &IndexShape) -> String {
    let kind = if index.name == "PRIMARY" {
        "PRIMARY KEY".to_owned()
    } else if index.unique {
        format!("UNIQUE {}", q(&index.name))
    } else {
        format!(
            "{} {}",
            if index.index_type == "FULLTEXT" {
                "FULLTEXT"
            } else {
                "INDEX"
            },
            q(&index.name)
        )
    };
    format!("{kind} ({})", index.columns.join(", "))
}

/// Redundant indexes of one table: an exact copy of another, or a leftmost prefix of one
/// (a UNIQUE index is kept when the longer one is not unique: it is the constraint).
pub fn redundant(table: &TableShape) -> Vec<IndexFinding> {
    let mut out = Vec::new();
    let mut reported: BTreeSet<&str> = BTreeSet::new();
    for a in &table.indexes {
        if a.name == "PRIMARY" || reported.contains(a.name.as_str()) {
            continue;
        }
        let covering = table.indexes.iter().find(|b| {
            if std::ptr::eq(a, *b) || reported.contains(b.name.as_str()) || !a.is_prefix_of(b) {
                return false;
            }
            let same = b.columns.len() == a.columns.len();
            if a.unique && !b.unique {
                return false;
            }
            if same && a.unique == b.unique {
                // Of two identical indexes, keep PRIMARY, else the first by name.
                return b.name == "PRIMARY" || b.name < a.name;
            }
            true
        });
        if let Some(b) = covering {
            reported.insert(a.name.as_str());
            let how = if b.columns.len() == a.columns.len() {
                format!("a copy of {}", describe(b))
            } else {
                format!("a leftmost prefix of {}", describe(b))
            };
            out.push(IndexFinding {
                issue: IndexIssue::Redundant,
                table: table.name.clone(),
                index: Some(a.name.clone()),
                columns: a.columns.clone(),
                detail: format!("{} is {how}: every lookup it serves, that index serves too, and each write maintains both", describe(a)),
                ddl: format!("ALTER TABLE {} DROP INDEX {};", q(&table.name), q(&a.name)),
            });
        }
    }
    out
}

/// Multi-column UNIQUE keys with a nullable column: NULLs are distinct, so rows that agree
/// on every other column slip through (the platform's global settings). A single nullable
/// column that is UNIQUE is "optional, and unique when present", which is usually meant.
pub fn unique_over_nullable(table: &TableShape) -> Vec<IndexFinding> {
    let mut out = Vec::new();
    for index in table
        .indexes
        .iter()
        .filter(|i| i.unique && i.name != "PRIMARY" && i.columns.len() > 1)
    {
        let nullable: Vec<&str> = index
            .columns
            .iter()
            .filter_map(|c| {
                table
                    .columns
                    .iter()
                    .find(|col| col.name == c.split('(').next().unwrap_or(c))
            })
            // Generated columns are reported nullable whatever their expression; the usual
            // fix (a COALESCE'd scope column) is one of them.
            .filter(|c| c.nullable && !c.extra.contains("generated"))
            .map(|c| c.name.as_str())
            .collect();
        if nullable.is_empty() {
            continue;
        }
        let mut adds = Vec::new();
        let mut key_cols = Vec::new();
        for c in &index.columns {
            let bare = c.split('(').next().unwrap_or(c);
            match table
                .columns
                .iter()
                .find(|col| col.name == bare)
                .filter(|col| col.nullable)
            {
                Some(col) => {
                    let numeric = [
                        "int",
                        "bigint",
                        "smallint",
                        "tinyint",
                        "mediumint",
                        "decimal",
                    ]
                    .iter()
                    .any(|t| col.column_type.starts_with(t));
                    let scope = format!("{bare}_scope");
                    adds.push(format!(
                        "ADD COLUMN {} {} AS (COALESCE({}, {})) STORED",
                        q(&scope),
                        col.column_type
                            .split_whitespace()
                            .next()
                            .unwrap_or("BIGINT"),
                        q(bare),
                        if numeric { "0" } else { "''" }
                    ));
                    key_cols.push(scope);
                }
                None => key_cols.push(c.clone()),
            }
        }
        out.push(IndexFinding {
            issue: IndexIssue::UniqueOverNullable,
            table: table.name.clone(),
            index: Some(index.name.clone()),
            columns: index.columns.clone(),
            detail: format!(
                "{} allows duplicates: {} may be NULL, and NULLs never equal each other, so two rows with NULL there are both accepted",
                describe(index),
                nullable.join(", ")
            ),
            ddl: format!(
                "ALTER TABLE {} {}, DROP INDEX {}, ADD UNIQUE KEY {} ({});",
                q(&table.name),
                adds.join(", "),
                q(&index.name),
                q(&index.name),
                cols(&key_cols)
            ),
        });
    }
    out
}

pub fn no_primary_key(table: &TableShape) -> Option<IndexFinding> {
    if table.indexes.iter().any(|i| i.name == "PRIMARY") {
        return None;
    }
    Some(IndexFinding {
        issue: IndexIssue::NoPrimaryKey,
        table: table.name.clone(),
        index: None,
        columns: Vec::new(),
        detail: "no primary key: InnoDB clusters the rows on a hidden key, row-based replication must scan to find each changed row, and nothing identifies a row".into(),
        ddl: format!("ALTER TABLE {} ADD COLUMN `id` BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY FIRST;", q(&table.name)),
    })
}

/// A foreign key whose columns lead no index of its table.
pub fn foreign_keys_without_index(
    table: &TableShape,
    foreign_keys: &[(String, String, Vec<String>)],
) -> Vec<IndexFinding> {
    foreign_keys
        .iter()
        .filter(|(t, _, _)| *t == table.name)
        .filter(|(_, _, fk_cols)| {
            !table.indexes.iter().any(|i| {
                i.index_type != "FULLTEXT"
                    && i.columns.len() >= fk_cols.len()
                    && i.columns.iter().zip(fk_cols).all(|(a, b)| a == b)
            })
        })
        .map(|(t, name, fk_cols)| IndexFinding {
            issue: IndexIssue::ForeignKeyWithoutIndex,
            table: t.clone(),
            index: Some(name.clone()),
            columns: fk_cols.clone(),
            detail: format!("foreign key {} ({}) has no index: every delete or update of the parent row scans this table", q(name), fk_cols.join(", ")),
            ddl: format!("ALTER TABLE {} ADD INDEX {} ({});", q(t), q(&format!("idx_{}", fk_cols.join("_"))), cols(fk_cols)),
        })
        .collect()
}

/// The report for `database` on `server`.
pub async fn report(server: &MysqlServer, database: &str) -> Result<IndexReport> {
    let tables = introspect(server, database).await?;
    let fk_rows: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT TABLE_NAME, CONSTRAINT_NAME, COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE \
         WHERE TABLE_SCHEMA = ? AND REFERENCED_TABLE_NAME IS NOT NULL \
         ORDER BY TABLE_NAME, CONSTRAINT_NAME, ORDINAL_POSITION",
    )
    .bind(database)
    .fetch_all(&server.pool)
    .await
    .map_err(|e| server.err(e))?;
    let mut foreign_keys: Vec<(String, String, Vec<String>)> = Vec::new();
    for (table, name, column) in fk_rows {
        match foreign_keys
            .iter_mut()
            .find(|(t, n, _)| *t == table && *n == name)
        {
            Some(fk) => fk.2.push(column),
            None => foreign_keys.push((table, name, vec![column])),
        }
    }
    let (usage, used) = index_usage(server, database).await?;
    let uptime: Option<(String, String)> = sqlx::query_as("SHOW GLOBAL STATUS LIKE 'Uptime'")
        .fetch_optional(&server.pool)
        .await
        .map_err(|e| server.err(e))?;
    let counted_seconds = uptime.and_then(|(_, v)| v.parse().ok()).unwrap_or(0);
    let window = counted(counted_seconds);
    let mut findings = Vec::new();
    for table in &tables {
        findings.extend(no_primary_key(table));
        let redundant = redundant(table);
        let redundant_names: Vec<String> =
            redundant.iter().filter_map(|f| f.index.clone()).collect();
        findings.extend(redundant);
        findings.extend(unique_over_nullable(table));
        findings.extend(foreign_keys_without_index(table, &foreign_keys));
        if let Some(used) = &used {
            for index in &table.indexes {
                // Unique keys enforce a rule even when no read uses them; redundant ones are
                // reported already.
                if index.name == "PRIMARY" || index.unique || redundant_names.contains(&index.name)
                {
                    continue;
                }
                if !used.contains(&(table.name.clone(), index.name.clone())) {
                    findings.push(IndexFinding {
                        issue: IndexIssue::Unused,
                        table: table.name.clone(),
                        index: Some(index.name.clone()),
                        columns: index.columns.clone(),
                        detail: format!("{} has served no read in the {window} the server has counted (since it started, or since the counters were turned on): check a full business cycle before dropping it", describe(index)),
                        ddl: format!("ALTER TABLE {} DROP INDEX {};", q(&table.name), q(&index.name)),
                    });
                }
            }
        }
    }
    findings.sort_by(|a, b| (a.issue, &a.table, &a.index).cmp(&(b.issue, &b.table, &b.index)));
    Ok(IndexReport {
        database: database.to_owned(),
        counted_seconds,
        tables: tables.len() as u32,
        indexes: tables.iter().map(|t| t.indexes.len() as u32).sum(),
        usage,
        findings,
    })
}

/// `3 d 4 h`, `5 h 12 min`, `40 s`.
fn counted(seconds: u64) -> String {
    let (d, h, m) = (
        seconds / 86_400,
        seconds % 86_400 / 3_600,
        seconds % 3_600 / 60,
    );
    match (d, h, m) {
        (0, 0, 0) => format!("{seconds} s"),
        (0, 0, m) => format!("{m} min"),
        (0, h, m) => format!("{h} h {m} min"),
        (d, h, _) => format!("{d} d {h} h"),
    }
}

type UsedIndexes = BTreeSet<(String, String)>;

/// Which indexes have served reads, from whichever source the server keeps.
async fn index_usage(
    server: &MysqlServer,
    database: &str,
) -> Result<(UsageSource, Option<UsedIndexes>)> {
    let variable = |name: &'static str| async move {
        let row: Option<(String, String)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SHOW GLOBAL VARIABLES LIKE '{name}'"
        )))
        .fetch_optional(&server.pool)
        .await
        .map_err(|e| server.err(e))?;
        Ok::<bool, crate::Error>(row.is_some_and(|(_, v)| v.eq_ignore_ascii_case("ON") || v == "1"))
    };
    if server.info.flavour == Flavour::MariaDb && variable("userstat").await? {
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT TABLE_NAME, INDEX_NAME FROM information_schema.INDEX_STATISTICS WHERE TABLE_SCHEMA = ?",
        )
        .bind(database)
        .fetch_all(&server.pool)
        .await
        .map_err(|e| server.err(e))?;
        return Ok((
            UsageSource::IndexStatistics,
            Some(rows.into_iter().collect()),
        ));
    }
    if variable("performance_schema").await? {
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT OBJECT_NAME, INDEX_NAME FROM performance_schema.table_io_waits_summary_by_index_usage \
             WHERE OBJECT_SCHEMA = ? AND INDEX_NAME IS NOT NULL AND COUNT_STAR > 0",
        )
        .bind(database)
        .fetch_all(&server.pool)
        .await
        .map_err(|e| server.err(e))?;
        return Ok((
            UsageSource::PerformanceSchema,
            Some(rows.into_iter().collect()),
        ));
    }
    let (why, enable) = match server.info.flavour {
        Flavour::MariaDb => (
            "userstat is OFF and performance_schema is OFF: MariaDB is not counting index reads".to_owned(),
            "SET GLOBAL userstat = ON;  -- counts from now on (little overhead); or performance_schema = ON in my.cnf and a restart".to_owned(),
        ),
        Flavour::MySql => (
            "performance_schema is OFF: MySQL is not counting index reads".to_owned(),
            "performance_schema = ON in my.cnf, then a restart; sys.schema_unused_indexes reads it".to_owned(),
        ),
    };
    Ok((UsageSource::Unavailable { why, enable }, None))
}

/// The databases of the server an operator may report on (system schemas left out).
pub async fn databases(server: &MysqlServer) -> Result<Vec<String>> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA \
         WHERE SCHEMA_NAME NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys') ORDER BY SCHEMA_NAME",
    )
    .fetch_all(&server.pool)
    .await
    .map_err(|e| server.err(e))?;
    Ok(rows.into_iter().map(|(d,)| d).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::ColumnShape;

    fn index(name: &str, unique: bool, columns: &[&str]) -> IndexShape {
        IndexShape {
            name: name.into(),
            unique,
            index_type: "BTREE".into(),
            columns: columns.iter().map(|c| c.to_string()).collect(),
        }
    }

    fn column(name: &str, ty: &str, nullable: bool) -> ColumnShape {
        ColumnShape {
            name: name.into(),
            column_type: ty.into(),
            nullable,
            default: None,
            extra: String::new(),
            comment: String::new(),
        }
    }

    fn table(indexes: Vec<IndexShape>) -> TableShape {
        TableShape {
            name: "t".into(),
            comment: String::new(),
            columns: vec![
                column("id", "bigint(20)", false),
                column("user_id", "bigint(20)", true),
                column("k", "varchar(100)", false),
                column("phone", "varchar(20)", false),
            ],
            indexes,
        }
    }

    #[test]
    fn a_copy_of_a_unique_key_and_a_leftmost_prefix_are_redundant() {
        let t = table(vec![
            index("PRIMARY", true, &["id"]),
            index("phone", true, &["phone"]),
            index("idx_phone", false, &["phone"]),
            index("idx_user", false, &["user_id"]),
            index("idx_user_k", false, &["user_id", "k"]),
        ]);
        let found = redundant(&t);
        let names: Vec<_> = found.iter().map(|f| f.index.clone().unwrap()).collect();
        assert_eq!(names, vec!["idx_phone", "idx_user"]);
        assert!(
            found[0].detail.contains("a copy of UNIQUE `phone`"),
            "{}",
            found[0].detail
        );
        assert_eq!(found[0].ddl, "ALTER TABLE `t` DROP INDEX `idx_phone`;");
        assert!(found[1].detail.contains("leftmost prefix"));
    }

    #[test]
    fn a_unique_prefix_of_a_plain_index_is_the_constraint_and_stays() {
        let t = table(vec![
            index("PRIMARY", true, &["id"]),
            index("uk_k", true, &["k"]),
            index("idx_k_user", false, &["k", "user_id"]),
        ]);
        assert!(redundant(&t).is_empty());
        let twins = table(vec![
            index("PRIMARY", true, &["id"]),
            index("a", false, &["k"]),
            index("b", false, &["k"]),
        ]);
        let found = redundant(&twins);
        assert_eq!(found.len(), 1, "only one of two identical indexes goes");
        assert_eq!(found[0].index.as_deref(), Some("b"));
        let fulltext = table(vec![
            index("PRIMARY", true, &["id"]),
            IndexShape {
                index_type: "FULLTEXT".into(),
                ..index("ft", false, &["k"])
            },
            index("idx_k", false, &["k"]),
        ]);
        assert!(
            redundant(&fulltext).is_empty(),
            "a FULLTEXT index does not serve B-tree lookups"
        );
    }

    #[test]
    fn unique_over_nullable_columns_gets_a_generated_scope_column() {
        let t = table(vec![
            index("PRIMARY", true, &["id"]),
            index("uk_user_key", true, &["user_id", "k"]),
        ]);
        let found = unique_over_nullable(&t);
        assert_eq!(found.len(), 1);
        assert!(found[0].detail.contains("user_id may be NULL"));
        assert_eq!(
            found[0].ddl,
            "ALTER TABLE `t` ADD COLUMN `user_id_scope` bigint(20) AS (COALESCE(`user_id`, 0)) STORED, DROP INDEX `uk_user_key`, ADD UNIQUE KEY `uk_user_key` (`user_id_scope`, `k`);"
        );
    }

    #[test]
    fn tables_without_primary_key_and_foreign_keys_without_index() {
        let t = table(vec![index("idx_k", false, &["k"])]);
        assert!(no_primary_key(&t).is_some());
        let fks = vec![
            (
                "t".to_owned(),
                "fk_t_user_id".to_owned(),
                vec!["user_id".to_owned()],
            ),
            ("t".to_owned(), "fk_t_k".to_owned(), vec!["k".to_owned()]),
        ];
        let found = foreign_keys_without_index(&t, &fks);
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].ddl,
            "ALTER TABLE `t` ADD INDEX `idx_user_id` (`user_id`);"
        );
    }
}
