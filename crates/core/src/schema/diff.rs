//! Drift between `schema/` and a live database, table by table.
//!
//! The expected shape is not parsed from SQL: the migrations are applied to a scratch database
//! on the same server and both are read back from `information_schema`, so the comparison sees
//! types, defaults and index details exactly as that server spells them.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::error::Result;
use crate::mysql::{MysqlServer, quote_ident};

use super::{MIGRATOR, current_database};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ColumnShape {
    pub name: String,
    pub column_type: String,
    pub nullable: bool,
    pub default: Option<String>,
    pub extra: String,
    pub comment: String,
}

impl ColumnShape {
    fn describe(&self) -> String {
        let mut s = self.column_type.clone();
        if !self.nullable {
            s.push_str(" NOT NULL");
        }
        if let Some(default) = &self.default {
            s.push_str(&format!(" DEFAULT {default}"));
        }
        if !self.extra.is_empty() {
            s.push(' ');
            s.push_str(&self.extra);
        }
        if !self.comment.is_empty() {
            s.push_str(&format!(" COMMENT '{}'", self.comment));
        }
        s
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IndexShape {
    pub name: String,
    pub unique: bool,
    pub index_type: String,
    /// Columns in `SEQ_IN_INDEX` order, with a prefix length where there is one: `keywords(255)`.
    pub columns: Vec<String>,
}

impl IndexShape {
    fn describe(&self) -> String {
        let kind = if self.name == "PRIMARY" {
            "PRIMARY KEY"
        } else if self.unique {
            "UNIQUE"
        } else if self.index_type == "FULLTEXT" {
            "FULLTEXT"
        } else {
            "INDEX"
        };
        format!("{kind} ({})", self.columns.join(", "))
    }

    /// True when `self`'s columns are a leftmost prefix of `other`'s (or the same columns).
    pub fn is_prefix_of(&self, other: &IndexShape) -> bool {
        self.index_type == other.index_type
            && self.columns.len() <= other.columns.len()
            && other.columns.starts_with(&self.columns)
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TableShape {
    pub name: String,
    pub comment: String,
    pub columns: Vec<ColumnShape>,
    pub indexes: Vec<IndexShape>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Object {
    Table,
    Column,
    Index,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    /// In `schema/`, not in the database.
    Missing,
    /// In the database, not in `schema/`.
    Extra,
    /// In both, with a different definition.
    Changed,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Difference {
    pub object: Object,
    pub name: String,
    pub change: Change,
    pub expected: Option<String>,
    pub actual: Option<String>,
    /// Why it matters, when the console can tell (a redundant index, say).
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TableDiff {
    pub table: String,
    pub differences: Vec<Difference>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SchemaDiff {
    pub database: String,
    pub in_sync: bool,
    pub tables: Vec<TableDiff>,
}

/// Reads the shape of every base table of `database` (the migrations' own table excluded).
pub async fn introspect(server: &MysqlServer, database: &str) -> Result<Vec<TableShape>> {
    introspect_tables(server, database, None).await
}

/// ` AND TABLE_NAME IN (?, …)` for `only` (nothing for every table): the names are bound
/// values, one placeholder each, in `only`'s order.
pub(crate) fn table_filter(only: Option<&[String]>) -> String {
    match only {
        Some(names) if !names.is_empty() => {
            format!(" AND TABLE_NAME IN ({})", vec!["?"; names.len()].join(", "))
        }
        Some(_) => " AND FALSE".to_owned(),
        None => String::new(),
    }
}

/// Reads the shape of the named base tables of `database` (all of them for `None`). Naming
/// them spares the server opening every table's metadata.
pub async fn introspect_tables(
    server: &MysqlServer,
    database: &str,
    only: Option<&[String]>,
) -> Result<Vec<TableShape>> {
    let filter = table_filter(only);
    let names = only.unwrap_or_default();
    let mut query = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT TABLE_NAME, TABLE_COMMENT FROM information_schema.TABLES \
         WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE' AND TABLE_NAME <> '_sqlx_migrations'{filter} \
         ORDER BY TABLE_NAME"
    )))
    .bind(database);
    for n in names {
        query = query.bind(n);
    }
    let tables: Vec<(String, String)> = query
        .fetch_all(&server.pool)
        .await
        .map_err(|e| server.err(e))?;

    type ColumnRow = (
        String,
        String,
        String,
        String,
        Option<String>,
        String,
        String,
    );
    let mut query = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT, EXTRA, COLUMN_COMMENT \
         FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ?{filter} ORDER BY TABLE_NAME, ORDINAL_POSITION"
    )))
    .bind(database);
    for n in names {
        query = query.bind(n);
    }
    let columns: Vec<ColumnRow> = query
        .fetch_all(&server.pool)
        .await
        .map_err(|e| server.err(e))?;

    type IndexRow = (String, String, i64, String, String, Option<i64>);
    let mut query = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT TABLE_NAME, INDEX_NAME, CAST(NON_UNIQUE AS SIGNED), INDEX_TYPE, COLUMN_NAME, CAST(SUB_PART AS SIGNED) \
         FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ?{filter} \
         ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX"
    )))
    .bind(database);
    for n in names {
        query = query.bind(n);
    }
    let index_rows: Vec<IndexRow> = query
        .fetch_all(&server.pool)
        .await
        .map_err(|e| server.err(e))?;

    let mut shapes: BTreeMap<String, TableShape> = tables
        .into_iter()
        .map(|(name, comment)| {
            (
                name.clone(),
                TableShape {
                    name,
                    comment,
                    columns: Vec::new(),
                    indexes: Vec::new(),
                },
            )
        })
        .collect();
    for (table, name, column_type, nullable, default, extra, comment) in columns {
        if let Some(shape) = shapes.get_mut(&table) {
            shape.columns.push(ColumnShape {
                name,
                column_type,
                nullable: nullable == "YES",
                // MariaDB spells "no default" on a nullable column as the string NULL.
                default: default.filter(|d| d != "NULL"),
                extra: normalise_extra(&extra),
                comment,
            });
        }
    }
    for (table, index, non_unique, index_type, column, sub_part) in index_rows {
        let Some(shape) = shapes.get_mut(&table) else {
            continue;
        };
        let column = match sub_part {
            Some(n) => format!("{column}({n})"),
            None => column,
        };
        match shape.indexes.iter_mut().find(|i| i.name == index) {
            Some(existing) => existing.columns.push(column),
            None => shape.indexes.push(IndexShape {
                name: index,
                unique: non_unique == 0,
                index_type,
                columns: vec![column],
            }),
        }
    }
    Ok(shapes.into_values().collect())
}

/// MySQL 8 adds `DEFAULT_GENERATED` where MariaDB says nothing; it is not a difference.
fn normalise_extra(extra: &str) -> String {
    extra
        .split_whitespace()
        .filter(|word| !word.eq_ignore_ascii_case("DEFAULT_GENERATED"))
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Compares the live database of `server` with `schema/`, by applying the migrations to a
/// scratch database on the same server (dropped afterwards) and comparing the two.
pub async fn diff_live(server: &MysqlServer) -> Result<SchemaDiff> {
    let database = current_database(server).await?;
    let scratch = format!(
        "mindpal_schema_ref_{}_{}",
        std::process::id(),
        chrono::Utc::now().timestamp_micros()
    );
    let create = format!(
        "CREATE DATABASE {} CHARACTER SET utf8mb4",
        quote_ident(&scratch)
    );
    sqlx::raw_sql(sqlx::AssertSqlSafe(create))
        .execute(&server.pool)
        .await
        .map_err(|e| server.err(e))?;
    let expected = async {
        let reference = server.with_database(&scratch).await?;
        let run = MIGRATOR.run(&reference.pool).await;
        reference.pool.close().await;
        run.map_err(|e| crate::error::Error::Sql {
            server: server.info.address.clone(),
            code: 0,
            message: format!("applying schema/ to a scratch database: {e}"),
        })?;
        introspect(server, &scratch).await
    }
    .await;
    let drop = format!("DROP DATABASE IF EXISTS {}", quote_ident(&scratch));
    let dropped = sqlx::raw_sql(sqlx::AssertSqlSafe(drop))
        .execute(&server.pool)
        .await
        .map_err(|e| server.err(e));
    let expected = expected?;
    dropped?;
    let actual = introspect(server, &database).await?;
    Ok(compare(database, &expected, &actual))
}

/// The differences between an expected and an actual set of tables.
pub fn compare(database: String, expected: &[TableShape], actual: &[TableShape]) -> SchemaDiff {
    let mut names: Vec<&str> = expected
        .iter()
        .chain(actual.iter())
        .map(|t| t.name.as_str())
        .collect();
    names.sort_unstable();
    names.dedup();
    let mut tables = Vec::new();
    for name in names {
        let want = expected.iter().find(|t| t.name == name);
        let have = actual.iter().find(|t| t.name == name);
        let differences = match (want, have) {
            (Some(_), None) => vec![Difference {
                object: Object::Table,
                name: name.to_owned(),
                change: Change::Missing,
                expected: Some("table".into()),
                actual: None,
                note: Some("run `mindpal-admin migrate`".into()),
            }],
            (None, Some(_)) => vec![Difference {
                object: Object::Table,
                name: name.to_owned(),
                change: Change::Extra,
                expected: None,
                actual: Some("table".into()),
                note: None,
            }],
            (Some(want), Some(have)) => compare_table(want, have),
            (None, None) => Vec::new(),
        };
        if !differences.is_empty() {
            tables.push(TableDiff {
                table: name.to_owned(),
                differences,
            });
        }
    }
    SchemaDiff {
        database,
        in_sync: tables.is_empty(),
        tables,
    }
}

fn compare_table(want: &TableShape, have: &TableShape) -> Vec<Difference> {
    let mut out = Vec::new();
    if want.comment != have.comment {
        out.push(Difference {
            object: Object::Table,
            name: want.name.clone(),
            change: Change::Changed,
            expected: Some(format!("COMMENT '{}'", want.comment)),
            actual: Some(format!("COMMENT '{}'", have.comment)),
            note: None,
        });
    }
    for column in &want.columns {
        match have.columns.iter().find(|c| c.name == column.name) {
            None => out.push(Difference {
                object: Object::Column,
                name: column.name.clone(),
                change: Change::Missing,
                expected: Some(column.describe()),
                actual: None,
                note: None,
            }),
            Some(live) if live != column => out.push(Difference {
                object: Object::Column,
                name: column.name.clone(),
                change: Change::Changed,
                expected: Some(column.describe()),
                actual: Some(live.describe()),
                note: None,
            }),
            Some(_) => {}
        }
    }
    for live in have
        .columns
        .iter()
        .filter(|c| !want.columns.iter().any(|w| w.name == c.name))
    {
        out.push(Difference {
            object: Object::Column,
            name: live.name.clone(),
            change: Change::Extra,
            expected: None,
            actual: Some(live.describe()),
            note: None,
        });
    }
    for index in &want.indexes {
        match have.indexes.iter().find(|i| i.name == index.name) {
            None => out.push(Difference {
                object: Object::Index,
                name: index.name.clone(),
                change: Change::Missing,
                expected: Some(index.describe()),
                actual: None,
                note: None,
            }),
            Some(live) if live != index => out.push(Difference {
                object: Object::Index,
                name: index.name.clone(),
                change: Change::Changed,
                expected: Some(index.describe()),
                actual: Some(live.describe()),
                note: None,
            }),
            Some(_) => {}
        }
    }
    for live in have
        .indexes
        .iter()
        .filter(|i| !want.indexes.iter().any(|w| w.name == i.name))
    {
        let covered_by = have.indexes.iter().find(|other| {
            other.name != live.name
                && live.is_prefix_of(other)
                && (other.unique
                    || other.columns.len() > live.columns.len()
                    || other.name == "PRIMARY")
        });
        out.push(Difference {
            object: Object::Index,
            name: live.name.clone(),
            change: Change::Extra,
            expected: None,
            actual: Some(live.describe()),
            note: covered_by.map(|other| {
                format!(
                    "redundant: a leftmost prefix of {} {}",
                    other.name,
                    other.describe()
                )
            }),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index(name: &str, unique: bool, cols: &[&str]) -> IndexShape {
        IndexShape {
            name: name.into(),
            unique,
            index_type: "BTREE".into(),
            columns: cols.iter().map(|c| c.to_string()).collect(),
        }
    }

    fn table(indexes: Vec<IndexShape>) -> TableShape {
        TableShape {
            name: "users".into(),
            comment: "用户表".into(),
            columns: vec![],
            indexes,
        }
    }

    #[test]
    fn an_index_duplicating_a_unique_key_is_reported_as_redundant() {
        let want = table(vec![index("uk_phone", true, &["phone"])]);
        let have = table(vec![
            index("uk_phone", true, &["phone"]),
            index("idx_phone", false, &["phone"]),
        ]);
        let diff = compare("db".into(), &[want], &[have]);
        let d = &diff.tables[0].differences[0];
        assert_eq!(
            (d.object, d.change, d.name.as_str()),
            (Object::Index, Change::Extra, "idx_phone")
        );
        assert!(
            d.note.as_deref().unwrap().contains("uk_phone"),
            "{:?}",
            d.note
        );
    }

    #[test]
    fn identical_tables_are_in_sync() {
        let t = table(vec![index("uk_phone", true, &["phone"])]);
        let diff = compare(
            "db".into(),
            std::slice::from_ref(&t),
            std::slice::from_ref(&t),
        );
        assert!(diff.in_sync);
    }

    #[test]
    fn a_changed_index_shows_both_definitions() {
        let want = table(vec![index(
            "idx_status",
            false,
            &["status", "created_at", "id"],
        )]);
        let have = table(vec![index("idx_status", false, &["status"])]);
        let diff = compare("db".into(), &[want], &[have]);
        let d = &diff.tables[0].differences[0];
        assert_eq!(d.change, Change::Changed);
        assert_eq!(
            d.expected.as_deref(),
            Some("INDEX (status, created_at, id)")
        );
        assert_eq!(d.actual.as_deref(), Some("INDEX (status)"));
    }
}
