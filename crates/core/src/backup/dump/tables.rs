//! What to dump: the base tables with how to render each column as an SQL literal and how
//! to chunk them, the views, and what is left out.

use super::render::Render;

use super::*;

/// The base tables (with how to render and chunk them), the views, and what is left out.
pub(super) async fn plan_tables(
    server: &MysqlServer,
    database: &str,
) -> Result<(Vec<TablePlan>, Vec<String>, Vec<String>)> {
    type Listed = (String, String, Option<String>, Option<u64>, Option<u64>);
    let listed: Vec<Listed> = sqlx::query_as(
        "SELECT TABLE_NAME, TABLE_TYPE, ENGINE, TABLE_ROWS, DATA_LENGTH FROM information_schema.TABLES \
         WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME",
    )
    .bind(database)
    .fetch_all(&server.pool)
    .await
    .map_err(|e| server.err(e))?;
    let columns: Vec<(String, String, String, String, String)> = sqlx::query_as(
        "SELECT TABLE_NAME, COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, EXTRA FROM information_schema.COLUMNS \
         WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME, ORDINAL_POSITION",
    )
    .bind(database)
    .fetch_all(&server.pool)
    .await
    .map_err(|e| server.err(e))?;
    let keys: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT s.TABLE_NAME, s.COLUMN_NAME, c.DATA_TYPE FROM information_schema.STATISTICS s \
         JOIN information_schema.COLUMNS c ON c.TABLE_SCHEMA = s.TABLE_SCHEMA AND c.TABLE_NAME = s.TABLE_NAME AND c.COLUMN_NAME = s.COLUMN_NAME \
         WHERE s.TABLE_SCHEMA = ? AND s.INDEX_NAME = 'PRIMARY' ORDER BY s.TABLE_NAME, s.SEQ_IN_INDEX",
    )
    .bind(database)
    .fetch_all(&server.pool)
    .await
    .map_err(|e| server.err(e))?;
    let mut tables = Vec::new();
    let mut views = Vec::new();
    let mut notes = Vec::new();
    for (name, kind, engine, rows, bytes) in listed {
        if kind == "VIEW" {
            views.push(name);
            continue;
        }
        if kind != "BASE TABLE" {
            notes.push(format!("`{name}` ({kind}) is not backed up"));
            continue;
        }
        let mut cols = Vec::new();
        let mut renders = Vec::new();
        for (_, column, data_type, column_type, extra) in columns.iter().filter(|c| c.0 == name) {
            if extra.to_ascii_uppercase().contains("GENERATED") {
                continue;
            }
            renders.push(Render::of(data_type, column_type));
            cols.push(column.clone());
        }
        let pk: Vec<&(String, String, String)> = keys.iter().filter(|k| k.0 == name).collect();
        let chunk_key = match pk.as_slice() {
            [(_, column, data_type)] if is_integer(data_type) => Some(column.clone()),
            _ => None,
        };
        let engine = engine.unwrap_or_default();
        if !engine.eq_ignore_ascii_case("InnoDB") {
            notes.push(format!(
                "`{name}` is {engine}, not InnoDB: its rows are as of when it was read, not the snapshot"
            ));
        }
        tables.push(TablePlan {
            name,
            columns: cols,
            renders,
            chunk_key,
            order_by: pk.iter().map(|k| k.1.clone()).collect(),
            rows_estimate: rows.unwrap_or(0),
            data_bytes: bytes.unwrap_or(0),
            engine,
        });
    }
    let (triggers,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ?")
            .bind(database)
            .fetch_one(&server.pool)
            .await
            .map_err(|e| server.err(e))?;
    let (routines,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ?")
            .bind(database)
            .fetch_one(&server.pool)
            .await
            .map_err(|e| server.err(e))?;
    if triggers + routines > 0 {
        notes.push(format!(
            "{triggers} trigger(s) and {routines} routine(s) are not in this backup: keep them with `mysqldump --no-data --triggers --routines`"
        ));
    }
    Ok((tables, views, notes))
}

pub(super) fn is_integer(data_type: &str) -> bool {
    matches!(
        data_type.to_ascii_lowercase().as_str(),
        "tinyint" | "smallint" | "mediumint" | "int" | "integer" | "bigint"
    )
}
