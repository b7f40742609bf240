//! What the lint knows of the live schema: tables with their sizes, column types, indexes.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::error::Result;
use crate::mysql::MysqlServer;
use crate::schema::{IndexShape, introspect_tables};

/// Tables this large make a full scan or a filesort worth a warning.
pub const BIG_TABLE_ROWS: f64 = 10_000.0;

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ColumnFacts {
    pub name: String,
    /// `varchar`, `bigint`, `text`, …
    pub data_type: String,
    pub nullable: bool,
    /// A text column's collation (`utf8mb4_general_ci`); none for others.
    #[cfg_attr(feature = "ts", ts(skip))]
    #[serde(skip)]
    pub collation: Option<String>,
}

impl ColumnFacts {
    pub fn is_text_like(&self) -> bool {
        matches!(
            self.data_type.as_str(),
            "char" | "varchar" | "text" | "tinytext" | "mediumtext" | "longtext" | "enum" | "set"
        )
    }

    /// The character set of a text column's collation: `utf8mb4` of `utf8mb4_general_ci`.
    pub fn charset(&self) -> Option<&str> {
        let collation = self.collation.as_deref()?;
        Some(collation.split('_').next().unwrap_or(collation))
    }

    /// Columns a wide `SELECT *` drags along: TEXT, BLOB and JSON.
    pub fn is_wide(&self) -> bool {
        matches!(
            self.data_type.as_str(),
            "text" | "mediumtext" | "longtext" | "blob" | "mediumblob" | "longblob" | "json"
        )
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct TableFacts {
    pub name: String,
    /// InnoDB's estimate of the row count.
    pub rows: f64,
    pub columns: Vec<ColumnFacts>,
    #[cfg_attr(feature = "ts", ts(skip))]
    #[serde(skip)]
    pub indexes: Vec<IndexShape>,
}

impl TableFacts {
    pub fn column(&self, name: &str) -> Option<&ColumnFacts> {
        self.columns
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(name))
    }

    /// Some B-tree index starts with `columns`, in that order.
    pub fn has_index_leading(&self, columns: &[String]) -> bool {
        self.indexes.iter().any(|i| {
            i.index_type != "FULLTEXT"
                && i.columns.len() >= columns.len()
                && i.columns
                    .iter()
                    .zip(columns)
                    .all(|(a, b)| strip_prefix_len(a).eq_ignore_ascii_case(b))
        })
    }

    /// Some B-tree index has `column` as its first column.
    pub fn is_indexed(&self, column: &str) -> bool {
        self.has_index_leading(&[column.to_owned()])
    }

    pub fn fulltext_over(&self, column: &str) -> Option<&IndexShape> {
        self.indexes.iter().find(|i| {
            i.index_type == "FULLTEXT" && i.columns.iter().any(|c| c.eq_ignore_ascii_case(column))
        })
    }

    pub fn primary_key(&self) -> Vec<String> {
        self.indexes
            .iter()
            .find(|i| i.name == "PRIMARY")
            .map(|i| i.columns.clone())
            .unwrap_or_default()
    }
}

/// `keywords(255)` → `keywords`.
pub fn strip_prefix_len(column: &str) -> &str {
    column.split('(').next().unwrap_or(column)
}

/// The live schema of one database.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Catalog {
    pub database: String,
    pub tables: Vec<TableFacts>,
}

impl Catalog {
    /// Every table of `database`.
    pub async fn load(server: &MysqlServer, database: &str) -> Result<Catalog> {
        Catalog::load_tables(server, database, None).await
    }

    /// The named tables of `database` (all for `None`): what a statement reads.
    pub async fn load_tables(
        server: &MysqlServer,
        database: &str,
        only: Option<&[String]>,
    ) -> Result<Catalog> {
        let shapes = introspect_tables(server, database, only).await?;
        let sizes: Vec<(String, Option<u64>)> = sqlx::query_as(
            "SELECT TABLE_NAME, CAST(TABLE_ROWS AS UNSIGNED) FROM information_schema.TABLES \
             WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE'",
        )
        .bind(database)
        .fetch_all(&server.pool)
        .await
        .map_err(|e| server.err(e))?;
        let sizes: BTreeMap<String, u64> = sizes
            .into_iter()
            .map(|(t, n)| (t, n.unwrap_or(0)))
            .collect();
        // Text columns' collations, of the statement's tables only (as above): a join or a
        // comparison across two of them can hide an index.
        let mut query = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT TABLE_NAME, COLUMN_NAME, COLLATION_NAME FROM information_schema.COLUMNS \
             WHERE TABLE_SCHEMA = ? AND COLLATION_NAME IS NOT NULL{}",
            crate::schema::table_filter(only)
        )))
        .bind(database);
        for name in only.unwrap_or_default() {
            query = query.bind(name);
        }
        let collations: BTreeMap<(String, String), String> = query
            .fetch_all(&server.pool)
            .await
            .map_err(|e| server.err(e))?
            .into_iter()
            .map(|(t, c, coll): (String, String, String)| ((t, c), coll))
            .collect();
        let tables = shapes
            .into_iter()
            .map(|shape| TableFacts {
                rows: sizes.get(&shape.name).copied().unwrap_or(0) as f64,
                columns: shape
                    .columns
                    .iter()
                    .map(|c| ColumnFacts {
                        name: c.name.clone(),
                        data_type: c
                            .column_type
                            .split(['(', ' '])
                            .next()
                            .unwrap_or("")
                            .to_ascii_lowercase(),
                        nullable: c.nullable,
                        collation: collations
                            .get(&(shape.name.clone(), c.name.clone()))
                            .cloned(),
                    })
                    .collect(),
                indexes: shape.indexes,
                name: shape.name,
            })
            .collect();
        Ok(Catalog {
            database: database.to_owned(),
            tables,
        })
    }

    pub fn table(&self, name: &str) -> Option<&TableFacts> {
        self.tables
            .iter()
            .find(|t| t.name.eq_ignore_ascii_case(name))
    }

    /// The table's size: the catalog's estimate, else what the plan expected to read.
    pub fn rows_of(&self, table: &str) -> Option<f64> {
        self.table(table).map(|t| t.rows)
    }
}
