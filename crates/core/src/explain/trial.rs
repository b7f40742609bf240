//! *Try it*: an index the lint suggests, proven before it is given. The statement's tables are
//! copied (their definitions, and a bounded sample of their rows) into a scratch database on the
//! same server — never the live tables — the statement is explained there without the index
//! and with it, and the scratch database is dropped, whatever happened.

use std::time::{Instant, SystemTime, UNIX_EPOCH};

use serde::Serialize;

use super::catalog::Catalog;
use super::guard::{self, Mode};
use super::plan::Plan;
use super::{plan_prefix, read_plan, relations};
use crate::CancellationToken;
use crate::access::{Actor, Permission};
use crate::audit::{self, Change};
use crate::error::{Error, Result};
use crate::mysql::{MysqlServer, quote_ident};

/// Scratch databases are named with this prefix, so one left by a crash is recognisable.
pub const SCRATCH_PREFIX: &str = "mindpal_try_";

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct TrialOptions {
    /// At most this many rows of each table are copied (a random sample past it).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub max_rows: u64,
    /// Run the statement on the copy (ANALYZE) for actual rows; operators only.
    pub analyze: bool,
}

impl Default for TrialOptions {
    fn default() -> Self {
        TrialOptions {
            max_rows: 200_000,
            analyze: false,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct SampledTable {
    pub table: String,
    /// The live table's size, as InnoDB estimates it.
    pub live_rows: f64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub copied_rows: u64,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct TrialPlan {
    pub plan: Plan,
    /// Rows the plan reads, summed over its tables: actual after ANALYZE, else estimated.
    pub rows_examined: f64,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct TrialReport {
    pub scratch_database: String,
    pub index_ddl: String,
    pub sampled: Vec<SampledTable>,
    pub without_index: TrialPlan,
    pub with_index: TrialPlan,
    pub analyzed: bool,
    /// The scratch database was kept out of the binary log (so replicas never saw it).
    pub kept_out_of_binlog: bool,
    pub elapsed_ms: f64,
}

/// Tries `CREATE INDEX (columns)` on `table` for `sql`: a scratch copy, both plans, the copy
/// dropped after (also on an error or a cancel). Audited as `explain.try_index`.
#[allow(clippy::too_many_arguments)]
pub async fn try_index(
    server: &MysqlServer,
    actor: Actor,
    sql: &str,
    table: &str,
    columns: &[String],
    options: &TrialOptions,
    progress: &(dyn Fn(&str) + Send + Sync),
    cancel: &CancellationToken,
) -> Result<TrialReport> {
    actor.require(Permission::TryIndex)?;
    if options.analyze {
        actor.require(Permission::Analyze)?;
    }
    let mode = if options.analyze {
        Mode::Analyze
    } else {
        Mode::Explain
    };
    let checked = guard::check(sql, mode).map_err(Error::Refused)?;
    if !checked.kind.is_read_only() {
        return Err(Error::Refused(
            "Try it plans reads only: a write would be tried on a copy that is not the data it meant".into(),
        ));
    }
    if names_a_database(&checked.statement) {
        return Err(Error::Refused(
            "the statement names a database (db.table): Try it can only point unqualified table names at its copy".into(),
        ));
    }
    let database = match &server.target.database {
        Some(db) => db.clone(),
        None => crate::schema::current_database(server).await?,
    };
    let tables = relations(&checked.statement);
    let Some(table) = tables
        .iter()
        .find(|t| t.eq_ignore_ascii_case(table))
        .cloned()
    else {
        return Err(Error::InvalidInput(format!(
            "the statement does not read {table}"
        )));
    };
    let catalog = Catalog::load_tables(server, &database, Some(&tables)).await?;
    let facts = catalog
        .table(&table)
        .ok_or_else(|| Error::NotFound(format!("no table {table} in {database}")))?;
    let mut indexed = Vec::new();
    for c in columns {
        let column = facts
            .column(c)
            .ok_or_else(|| Error::NotFound(format!("{table} has no column {c}")))?;
        indexed.push(column.name.clone());
    }
    if indexed.is_empty() {
        return Err(Error::InvalidInput(
            "name at least one column to index".into(),
        ));
    }
    let index_ddl = format!(
        "ALTER TABLE {} ADD INDEX {} ({})",
        quote_ident(&table),
        quote_ident(&format!("try_{}", indexed.join("_"))),
        indexed
            .iter()
            .map(|c| quote_ident(c))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let scratch = format!(
        "{SCRATCH_PREFIX}{}_{}",
        std::process::id(),
        nanos % 1_000_000_000_000
    );
    let started = Instant::now();

    let mut conn = server.pool.acquire().await.map_err(|e| server.err(e))?;
    let (connection_id,): (u64,) = sqlx::query_as("SELECT CONNECTION_ID()")
        .fetch_one(&mut *conn)
        .await
        .map_err(|e| server.err(e))?;
    // Replicas need never see a scratch copy; without the privilege it replicates, and is
    // dropped there too.
    let kept_out_of_binlog = sqlx::query("SET SESSION sql_log_bin = 0")
        .execute(&mut *conn)
        .await
        .is_ok();
    let copy = ScratchCopy {
        server,
        database: &database,
        scratch: &scratch,
        tables: &catalog,
        max_rows: options.max_rows.max(1),
        statement: &checked.sql,
        analyze: options.analyze,
        progress,
    };
    let work = copy.run(&mut conn, &table, &index_ddl);
    let outcome = tokio::select! {
        r = work => r,
        _ = cancel.cancelled() => Err(Error::Cancelled),
    };
    if outcome.is_err() {
        // A copy or a plan may still run: stop it before the database goes.
        let _ = sqlx::query(sqlx::AssertSqlSafe(format!("KILL QUERY {connection_id}")))
            .execute(&server.pool)
            .await;
    }
    // The session's settings (binlog, default database) go with the connection.
    drop(conn.detach());
    let dropped = drop_scratch(server, &scratch, kept_out_of_binlog).await;
    let done = if outcome.is_ok() { "tried" } else { "stopped" };
    // What was created is written down whatever came of it.
    let recorded = record(server, &scratch, &table, &index_ddl, done, dropped.is_ok()).await;
    let (sampled, without_index, with_index) = outcome?;
    dropped?;
    recorded?;
    Ok(TrialReport {
        scratch_database: scratch,
        index_ddl,
        sampled,
        without_index,
        with_index,
        analyzed: options.analyze,
        kept_out_of_binlog,
        elapsed_ms: started.elapsed().as_secs_f64() * 1000.0,
    })
}

struct ScratchCopy<'a> {
    server: &'a MysqlServer,
    database: &'a str,
    scratch: &'a str,
    tables: &'a Catalog,
    max_rows: u64,
    statement: &'a str,
    analyze: bool,
    progress: &'a (dyn Fn(&str) + Send + Sync),
}

impl ScratchCopy<'_> {
    async fn run(
        &self,
        conn: &mut sqlx::pool::PoolConnection<sqlx::MySql>,
        table: &str,
        index_ddl: &str,
    ) -> Result<(Vec<SampledTable>, TrialPlan, TrialPlan)> {
        let server = self.server;
        let exec = |sql: String| sqlx::query(sqlx::AssertSqlSafe(sql));
        let scratch = quote_ident(self.scratch);
        // Reading the live rows takes no locks: a consistent snapshot, as a SELECT would.
        exec("SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED".into())
            .execute(&mut **conn)
            .await
            .map_err(|e| server.err(e))?;
        exec(format!("CREATE DATABASE {scratch}"))
            .execute(&mut **conn)
            .await
            .map_err(|e| server.err(e))?;
        let mut sampled = Vec::new();
        for facts in &self.tables.tables {
            let name = quote_ident(&facts.name);
            (self.progress)(&format!("copying {} into {}", facts.name, self.scratch));
            exec(format!(
                "CREATE TABLE {scratch}.{name} LIKE {}.{name}",
                quote_ident(self.database)
            ))
            .execute(&mut **conn)
            .await
            .map_err(|e| server.err(e))?;
            let source = format!("{}.{name}", quote_ident(self.database));
            let copy = if facts.rows <= self.max_rows as f64 {
                format!(
                    "INSERT INTO {scratch}.{name} SELECT * FROM {source} LIMIT {}",
                    self.max_rows
                )
            } else {
                // A random sample of about max_rows, bounded all the same.
                let fraction = self.max_rows as f64 / facts.rows;
                format!(
                    "INSERT INTO {scratch}.{name} SELECT * FROM {source} WHERE RAND() < {fraction:.6} LIMIT {}",
                    self.max_rows
                )
            };
            let copied = exec(copy)
                .execute(&mut **conn)
                .await
                .map_err(|e| server.err(e))?
                .rows_affected();
            exec(format!("ANALYZE TABLE {scratch}.{name}"))
                .fetch_all(&mut **conn)
                .await
                .map_err(|e| server.err(e))?;
            sampled.push(SampledTable {
                table: facts.name.clone(),
                live_rows: facts.rows,
                copied_rows: copied,
            });
        }
        exec(format!("USE {scratch}"))
            .execute(&mut **conn)
            .await
            .map_err(|e| server.err(e))?;
        (self.progress)("explaining on the copy without the index");
        let without_index = self.plan(conn).await?;
        (self.progress)("creating the index on the copy");
        exec(index_ddl.to_owned())
            .execute(&mut **conn)
            .await
            .map_err(|e| server.err(e))?;
        exec(format!("ANALYZE TABLE {}", quote_ident(table)))
            .fetch_all(&mut **conn)
            .await
            .map_err(|e| server.err(e))?;
        (self.progress)("explaining on the copy with the index");
        let with_index = self.plan(conn).await?;
        Ok((sampled, without_index, with_index))
    }

    /// The statement's plan on the copy (the connection's default database): EXPLAIN, or
    /// ANALYZE inside a read-only transaction that is rolled back.
    async fn plan(&self, conn: &mut sqlx::pool::PoolConnection<sqlx::MySql>) -> Result<TrialPlan> {
        let server = self.server;
        let flavour = server.info.flavour;
        let prefix = plan_prefix(flavour, self.analyze);
        if self.analyze {
            sqlx::query("START TRANSACTION READ ONLY")
                .execute(&mut **conn)
                .await
                .map_err(|e| server.err(e))?;
        }
        // The statement passed the guard as exactly one read; sent as a prepared statement,
        // prepared afresh each time: the plan with the index must not come from the statement
        // prepared (and cached on this connection) before the index existed.
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!("{prefix}{}", self.statement)))
            .persistent(false)
            .fetch_all(&mut **conn)
            .await
            .map_err(|e| server.err(e));
        if self.analyze {
            sqlx::query("ROLLBACK")
                .execute(&mut **conn)
                .await
                .map_err(|e| server.err(e))?;
        }
        let text = rows?
            .first()
            .and_then(|r| crate::mysql::cell_text(r, 0))
            .ok_or_else(|| server.odd_answer("the server returned no plan"))?;
        let plan = read_plan(server, self.analyze, &text)?;
        let rows_examined = plan
            .tables()
            .iter()
            .map(|t| {
                t.actual_rows
                    .map(|r| r * t.loops.unwrap_or(1.0))
                    .or(t.rows)
                    .unwrap_or(0.0)
            })
            .sum();
        Ok(TrialPlan {
            plan,
            rows_examined,
        })
    }
}

/// Drops the scratch database on a connection of its own, and checks it is gone.
async fn drop_scratch(server: &MysqlServer, scratch: &str, kept_out_of_binlog: bool) -> Result<()> {
    let mut conn = server.pool.acquire().await.map_err(|e| server.err(e))?;
    if kept_out_of_binlog {
        let _ = sqlx::query("SET SESSION sql_log_bin = 0")
            .execute(&mut *conn)
            .await;
    }
    let dropped = sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {}",
        quote_ident(scratch)
    )))
    .execute(&mut *conn)
    .await;
    // This connection's binlog setting must not outlive it in the pool.
    drop(conn.detach());
    dropped.map_err(|e| server.err(e))?;
    let (left,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?")
            .bind(scratch)
            .fetch_one(&server.pool)
            .await
            .map_err(|e| server.err(e))?;
    if left > 0 {
        return Err(Error::Conflict(format!(
            "the scratch database {scratch} is still there: drop it by hand"
        )));
    }
    Ok(())
}

async fn record(
    server: &MysqlServer,
    scratch: &str,
    table: &str,
    ddl: &str,
    outcome: &str,
    dropped: bool,
) -> Result<()> {
    audit::record(
        server,
        Change {
            action: "explain.try_index",
            resource_type: "table",
            resource_id: None,
            details: serde_json::json!({
                "scratchDatabase": scratch,
                "table": table,
                "index": ddl,
                "outcome": outcome,
                "dropped": dropped,
            }),
        },
    )
    .await
}

/// A table named with its database (`mindpal.users`) cannot be pointed at the copy.
fn names_a_database(statement: &sqlparser::ast::Statement) -> bool {
    let mut qualified = false;
    let _ = sqlparser::ast::visit_relations(statement, |name: &sqlparser::ast::ObjectName| {
        qualified |= name.0.len() > 1;
        std::ops::ControlFlow::<()>::Continue(())
    });
    qualified
}
