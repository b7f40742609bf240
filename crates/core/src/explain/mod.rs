//! The EXPLAIN workbench: a guarded statement's plan from the live server (or a plan from
//! elsewhere), one plan tree for MariaDB and MySQL, and lint that knows the MindPal schema.

pub mod catalog;
pub mod guard;
pub mod hot;
pub mod lint;
pub mod plan;
pub mod trial;

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use sqlx::mysql::MySqlRow;
use sqlx::{Column, Row};
use tokio_util::sync::CancellationToken;

use crate::access::{Actor, Permission};
use crate::error::{Error, ErrorSummary, Result};
use crate::mysql::{Flavour, MysqlServer};

pub use catalog::Catalog;
pub use guard::{Mode, StatementKind};
pub use lint::{Finding, Level, Rule};
pub use plan::{ClassicRow, Plan, PlanSource};

/// How long a plain EXPLAIN may take (the optimizer alone, but a subquery can be evaluated).
pub const EXPLAIN_TIME_LIMIT_MS: u64 = 5_000;
/// The default limit for ANALYZE, which runs the statement.
pub const ANALYZE_TIME_LIMIT_MS: u64 = 10_000;
/// The longest limit an operator may choose.
pub const MAX_TIME_LIMIT_MS: u64 = 300_000;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ExplainOptions {
    /// Run the statement (read-only ones only) and show actual rows and times.
    pub analyze: bool,
    /// The statement time limit; the defaults above when absent.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub time_limit_ms: Option<u64>,
}

/// A table the plan reads, with its size as the live server estimates it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct TableSize {
    pub table: String,
    pub rows: f64,
}

/// A plan with everything said about it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ExplainReport {
    /// The statement explained; absent for a plan read from elsewhere.
    pub sql: Option<String>,
    pub kind: Option<StatementKind>,
    /// The server that made the plan (`10.11.19-MariaDB…`); absent for a pasted plan.
    pub server: Option<String>,
    pub plan: Plan,
    /// The classic table: the server's own for a live EXPLAIN, else from the plan tree.
    pub classic: Vec<ClassicRow>,
    pub findings: Vec<Finding>,
    pub table_sizes: Vec<TableSize>,
    /// When ANALYZE ran the statement: inside a transaction that was rolled back.
    pub rolled_back: bool,
    pub elapsed_ms: f64,
    /// What the lint had to do without (the live schema could not be read, say).
    pub notes: Vec<String>,
}

/// Explains `sql` on `server`: guard, plan, lint. Nothing is written: EXPLAIN runs inside a
/// transaction that is rolled back, READ ONLY for reads, under a statement time limit; on
/// cancel or when the client-side deadline passes the statement is stopped with KILL QUERY.
pub async fn explain(
    server: &MysqlServer,
    actor: Actor,
    sql: &str,
    options: &ExplainOptions,
    cancel: &CancellationToken,
) -> Result<ExplainReport> {
    let checked = prepare(sql, options, actor)?;
    explain_checked(server, &checked, options.time_limit_ms, cancel).await
}

/// The guard alone, for callers that refuse a statement before connecting anywhere.
pub fn prepare(sql: &str, options: &ExplainOptions, actor: Actor) -> Result<guard::Checked> {
    let mode = if options.analyze {
        actor.require(Permission::Analyze)?;
        Mode::Analyze
    } else {
        Mode::Explain
    };
    guard::check(sql, mode).map_err(Error::Refused)
}

/// Explains a statement the guard passed, in the mode it was checked for.
pub async fn explain_checked(
    server: &MysqlServer,
    checked: &guard::Checked,
    time_limit_ms: Option<u64>,
    cancel: &CancellationToken,
) -> Result<ExplainReport> {
    let analyze = checked.mode == Mode::Analyze;
    if analyze && server.info.flavour == Flavour::MySql && !server.info.at_least((8, 0, 18)) {
        return Err(Error::Refused(format!(
            "MySQL {} has no EXPLAIN ANALYZE (it came in 8.0.18)",
            server.info.version
        )));
    }
    let limit_ms = time_limit_ms
        .unwrap_or(if analyze {
            ANALYZE_TIME_LIMIT_MS
        } else {
            EXPLAIN_TIME_LIMIT_MS
        })
        .clamp(100, MAX_TIME_LIMIT_MS);
    let started = Instant::now();
    let mut notes = Vec::new();
    // The live schema of the statement's tables is read on another connection while the
    // plan is made: far from the server, its round trips then cost nothing extra.
    let schema = async {
        // The pool's connections open in the profile's database: no need to ask which.
        let database = match &server.target.database {
            Some(db) => Ok(db.clone()),
            None => crate::schema::current_database(server).await,
        };
        match database {
            Ok(db) => Catalog::load_tables(server, &db, Some(&relations(&checked.statement)))
                .await
                .map_err(|e| format!("the live schema could not be read, so the lint does not know table sizes: {e}")),
            Err(e) => Err(format!("{e}; the lint does not know table sizes")),
        }
    };
    let (catalog, guarded) = tokio::join!(
        schema,
        run_guarded(server, checked, analyze, limit_ms, cancel)
    );
    let (plan_text, table_rows) = guarded?;
    let catalog = catalog.map_err(|note| notes.push(note)).ok();
    let plan = read_plan(server, analyze, &plan_text)?;
    let classic = if table_rows.is_empty() {
        plan.classic_rows()
    } else {
        table_rows
    };
    let findings = lint::lint(&lint::LintInput {
        statement: Some(&checked.statement),
        plan: Some(&plan),
        catalog: catalog.as_ref(),
    });
    let table_sizes = sizes_of(&plan, catalog.as_ref());
    Ok(ExplainReport {
        sql: Some(checked.sql.clone()),
        kind: Some(checked.kind),
        server: Some(server.info.version_string.clone()),
        plan,
        classic,
        findings,
        table_sizes,
        rolled_back: true,
        elapsed_ms: started.elapsed().as_secs_f64() * 1000.0,
        notes,
    })
}

/// Reads a plan from elsewhere (pasted, a file) and lints it, with no connection.
pub fn explain_plan_text(text: &str) -> Result<ExplainReport> {
    let started = Instant::now();
    let plan = plan::parse(text).map_err(Error::InvalidInput)?;
    let findings = lint::lint(&lint::LintInput {
        statement: None,
        plan: Some(&plan),
        catalog: None,
    });
    let mut notes = Vec::new();
    if !plan.unread.is_empty() {
        notes.push(format!(
            "parts of the plan this console does not read: {}",
            plan.unread.join(", ")
        ));
    }
    notes.push("read without a connection: table sizes come from the plan's own estimates".into());
    Ok(ExplainReport {
        sql: plan.query.clone(),
        kind: None,
        server: None,
        classic: plan.classic_rows(),
        table_sizes: sizes_of(&plan, None),
        plan,
        findings,
        rolled_back: false,
        elapsed_ms: started.elapsed().as_secs_f64() * 1000.0,
        notes,
    })
}

/// The tables a statement names (the last part of each name).
fn relations(statement: &sqlparser::ast::Statement) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let _ = sqlparser::ast::visit_relations(statement, |name: &sqlparser::ast::ObjectName| {
        if let Some(ident) = name.0.last().and_then(|p| p.as_ident())
            && !names.contains(&ident.value)
        {
            names.push(ident.value.clone());
        }
        std::ops::ControlFlow::<()>::Continue(())
    });
    names
}

fn sizes_of(plan: &Plan, catalog: Option<&Catalog>) -> Vec<TableSize> {
    let mut out: Vec<TableSize> = Vec::new();
    for node in plan.tables() {
        let Some(table) = &node.table else { continue };
        if out.iter().any(|t| &t.table == table) {
            continue;
        }
        let rows = catalog.and_then(|c| c.rows_of(table)).or(node.rows);
        if let Some(rows) = rows {
            out.push(TableSize {
                table: table.clone(),
                rows,
            });
        }
    }
    out
}

/// Runs the EXPLAIN on one connection of its own: time limit, transaction, rollback.
/// Returns the plan text and, for a plain EXPLAIN, the server's classic table.
async fn run_guarded(
    server: &MysqlServer,
    checked: &guard::Checked,
    analyze: bool,
    limit_ms: u64,
    cancel: &CancellationToken,
) -> Result<(String, Vec<ClassicRow>)> {
    let mut conn = server.pool.acquire().await.map_err(|e| server.err(e))?;
    let flavour = server.info.flavour;
    let set_limit = match flavour {
        Flavour::MariaDb => format!(
            "SET SESSION max_statement_time = {:.3}",
            limit_ms as f64 / 1000.0
        ),
        Flavour::MySql => format!("SET SESSION max_execution_time = {limit_ms}"),
    };
    // EXPLAIN of a write or a locking read is refused inside a READ ONLY transaction; it runs in a plain one,
    // rolled back all the same (a stored function evaluated while planning writes nothing).
    let begin = if checked.kind.is_read_only() && !checked.locking {
        "START TRANSACTION READ ONLY"
    } else {
        "START TRANSACTION"
    };
    // One round trip for the limit, the transaction and the id to KILL by: text the console
    // wrote (a number and fixed words), so it goes as one batch.
    let opening: Vec<MySqlRow> = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "{set_limit}; {begin}; SELECT CONNECTION_ID()"
    )))
    .fetch_all(&mut *conn)
    .await
    .map_err(|e| server.err(e))?;
    let connection_id: u64 = opening
        .first()
        .and_then(|row| sqlx::Row::try_get::<u64, _>(row, 0).ok())
        .ok_or_else(|| server.odd_answer("the server did not say its connection id"))?;

    // The statement passed the guard as exactly one statement; it is sent as a prepared
    // statement, which the server also refuses to split. Prepared statements stay in the
    // connection's cache: closing one each time (a reply-less packet) costs a delayed-ACK
    // stall of ~40 ms on the next statement.
    let statement = format!("{}{}", plan_prefix(flavour, analyze), checked.sql);
    let deadline = Duration::from_millis(limit_ms) + Duration::from_secs(2);
    let work = async {
        let rows: Vec<MySqlRow> = sqlx::query(sqlx::AssertSqlSafe(statement))
            .fetch_all(&mut *conn)
            .await?;
        let classic = if analyze {
            Vec::new()
        } else {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!("EXPLAIN {}", checked.sql)))
                .fetch_all(&mut *conn)
                .await?;
            rows.iter().map(classic_row).collect()
        };
        Ok::<_, sqlx::Error>((rows, classic))
    };
    let outcome = tokio::select! {
        r = tokio::time::timeout(deadline, work) => match r {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => Err(limit_message(server.err(e), limit_ms, analyze)),
            Err(_) => Err(Error::Timeout { server: server.info.address.clone(), waited: Some(deadline) }),
        },
        _ = cancel.cancelled() => Err(Error::Cancelled),
    };
    let outcome = match outcome {
        Err(e @ (Error::Timeout { .. } | Error::Cancelled)) => {
            // The statement may still run on the server: stop it from another connection,
            // and never hand this connection back to the pool.
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!("KILL QUERY {connection_id}")))
                .execute(&server.pool)
                .await;
            drop(conn.detach());
            return Err(e);
        }
        other => other,
    };
    let reset = match flavour {
        Flavour::MariaDb => "SET SESSION max_statement_time = DEFAULT",
        Flavour::MySql => "SET SESSION max_execution_time = DEFAULT",
    };
    let cleaned = sqlx::raw_sql(sqlx::AssertSqlSafe(format!("ROLLBACK; {reset}")))
        .execute(&mut *conn)
        .await;
    if cleaned.is_err() {
        drop(conn.detach());
    }
    let (rows, classic) = outcome?;
    let text = rows
        .first()
        .and_then(|r| crate::mysql::cell_text(r, 0))
        .ok_or_else(|| server.odd_answer("the server returned no plan"))?;
    Ok((text, classic))
}

/// What asks the server for a plan: JSON, or MySQL's EXPLAIN ANALYZE tree.
fn plan_prefix(flavour: Flavour, analyze: bool) -> &'static str {
    match (flavour, analyze) {
        (Flavour::MariaDb, true) => "ANALYZE FORMAT=JSON ",
        (Flavour::MySql, true) => "EXPLAIN ANALYZE ",
        (_, false) => "EXPLAIN FORMAT=JSON ",
    }
}

/// The server's answer to [`plan_prefix`] as a plan.
fn read_plan(server: &MysqlServer, analyze: bool, text: &str) -> Result<Plan> {
    match (server.info.flavour, analyze) {
        (Flavour::MySql, true) => plan::parse_tree(text),
        _ => serde_json::from_str(text)
            .map_err(|e| format!("the server's JSON plan did not parse: {e}"))
            .and_then(|v| plan::parse_json(&v)),
    }
    .map_err(|reason| server.odd_answer(format!("could not read the server's plan: {reason}")))
}

/// Turns the server's statement-timeout error into words about the limit.
fn limit_message(e: Error, limit_ms: u64, analyze: bool) -> Error {
    match &e {
        Error::StatementLimit { server, .. } => Error::StatementLimit {
            server: server.clone(),
            message: format!(
                "{} stopped at its {:.1} s limit; nothing was changed",
                if analyze {
                    "the statement ran and was"
                } else {
                    "planning the statement was"
                },
                limit_ms as f64 / 1000.0
            ),
        },
        _ => e,
    }
}

/// One row of the server's classic EXPLAIN, by column name (MariaDB and MySQL differ).
fn classic_row(row: &MySqlRow) -> ClassicRow {
    let get = |name: &str| {
        row.columns()
            .iter()
            .position(|c| c.name().eq_ignore_ascii_case(name))
            .and_then(|i| crate::mysql::cell_text(row, i))
    };
    ClassicRow {
        id: get("id").and_then(|v| v.parse().ok()),
        select_type: get("select_type").unwrap_or_default(),
        table: get("table"),
        access_type: get("type"),
        possible_keys: get("possible_keys"),
        key: get("key"),
        key_len: get("key_len"),
        refs: get("ref"),
        rows: get("rows").and_then(|v| v.parse().ok()),
        filtered: get("filtered").and_then(|v| v.parse().ok()),
        extra: get("Extra").unwrap_or_default(),
    }
}

/// One hot query of the platform, explained, or why it could not be.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct HealthEntry {
    pub query: hot::HotQuery,
    pub report: Option<ExplainReport>,
    pub error: Option<ErrorSummary>,
}

/// "Schema health": every hot query explained, every warning listed.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct HealthReport {
    pub entries: Vec<HealthEntry>,
    pub warnings: u32,
    pub elapsed_ms: f64,
}

/// Explains every hot query in turn; `on_step(done, total)` after each.
pub async fn schema_health(
    server: &MysqlServer,
    cancel: &CancellationToken,
    on_step: &(dyn Fn(usize, usize) + Send + Sync),
) -> Result<HealthReport> {
    let started = Instant::now();
    let queries = hot::queries();
    let total = queries.len();
    let mut entries = Vec::with_capacity(total);
    for (i, query) in queries.into_iter().enumerate() {
        if cancel.is_cancelled() {
            return Err(Error::Cancelled);
        }
        // Plain EXPLAIN (no ANALYZE) needs no permission: any actor passes.
        let outcome = explain(
            server,
            Actor::OPERATOR,
            &query.sql,
            &ExplainOptions::default(),
            cancel,
        )
        .await;
        let (report, error) = match outcome {
            Ok(r) => (Some(r), None),
            Err(Error::Cancelled) => return Err(Error::Cancelled),
            Err(e) => (None, Some(e.summary())),
        };
        entries.push(HealthEntry {
            query,
            report,
            error,
        });
        on_step(i + 1, total);
    }
    let warnings = entries
        .iter()
        .filter_map(|e| e.report.as_ref())
        .map(|r| r.findings.len() as u32)
        .sum();
    Ok(HealthReport {
        entries,
        warnings,
        elapsed_ms: started.elapsed().as_secs_f64() * 1000.0,
    })
}

/// The tables and columns of the live schema, for the editor's completion.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct SchemaNames {
    pub database: String,
    pub tables: Vec<TableNames>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct TableNames {
    pub name: String,
    pub columns: Vec<String>,
}

pub async fn schema_names(server: &MysqlServer) -> Result<SchemaNames> {
    let database = crate::schema::current_database(server).await?;
    let catalog = Catalog::load(server, &database).await?;
    Ok(SchemaNames {
        database,
        tables: catalog
            .tables
            .into_iter()
            .map(|t| TableNames {
                name: t.name,
                columns: t.columns.into_iter().map(|c| c.name).collect(),
            })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explain_analyze_arrived_in_mysql_8_0_18() {
        assert!(!crate::mysql::version_at_least("8.0.17", (8, 0, 18)));
        assert!(crate::mysql::version_at_least("8.0.18", (8, 0, 18)));
        assert!(crate::mysql::version_at_least("8.4.3", (8, 0, 18)));
        assert!(!crate::mysql::version_at_least("5.7.44", (8, 0, 18)));
    }

    #[test]
    fn a_pasted_plan_is_read_and_linted_without_a_connection() {
        let report =
            explain_plan_text(include_str!("plan/fixtures/mysql84-v1-filesort.json")).unwrap();
        assert!(report.server.is_none());
        assert_eq!(report.classic.len(), 1);
        assert!(
            report.findings.iter().any(|f| f.rule == Rule::FullScan),
            "{:?}",
            report.findings
        );
        assert!(
            report
                .findings
                .iter()
                .all(|f| f.rule != Rule::FilesortOnBigResult || f.level == Level::Warn)
        );
    }
}
