//! Realistic, deterministic MindPal data at any scale, and the platform's Redis keys to match.
//!
//! Scale 1 is about 100k users, 200k digital humans, 300k conversations and 3M messages. Rows
//! are generated in chunks from per-row random streams (see [`rng`]), so the same `--seed`
//! gives the same database whatever the number of writers, and several connections insert
//! multi-row batches in parallel with foreign-key and unique checks off for the session.

mod redis_keys;
pub(crate) mod rng;
mod rows;
mod text;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use serde::Serialize;
use tokio_util::sync::CancellationToken;

use crate::access::{Actor, Permission};
use crate::audit::{self, Change};
use crate::error::{Error, Result};
use crate::mysql::{MysqlServer, quote_ident};
use crate::redis::RedisServer;
use crate::schema::{self, MINDPAL_TABLES};

pub use rows::Table;

/// The largest scale accepted: scale 10 is already ~12 GB of InnoDB.
pub const MAX_SCALE: f64 = 10.0;
/// Placeholders per statement stay under the protocol's limit of 65,535.
const MAX_PARAMS_PER_STATEMENT: usize = 60_000;

#[derive(Debug, Clone)]
pub struct SeedOptions {
    pub scale: f64,
    pub seed: u64,
    /// Empty the MindPal tables first instead of refusing to seed a database with data.
    pub reset: bool,
    /// Parallel insert connections.
    pub writers: usize,
}

impl Default for SeedOptions {
    fn default() -> Self {
        SeedOptions {
            scale: 0.01,
            seed: 1,
            reset: false,
            writers: 3,
        }
    }
}

/// Checks a `--scale` value: a finite number in (0, MAX_SCALE].
pub fn validate_scale(scale: f64) -> Result<f64> {
    if scale.is_finite() && scale > 0.0 && scale <= MAX_SCALE {
        Ok(scale)
    } else {
        Err(Error::InvalidInput(format!(
            "--scale must be a number above 0 and at most {MAX_SCALE} (1 is ~100k users and 3M messages; tests use 0.001–0.01), not {scale}"
        )))
    }
}

/// Progress of a seed run, for a progress bar.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "event", rename_all = "camelCase")]
pub enum SeedEvent {
    /// The row counts that will be written, table by table, before anything is.
    Planned {
        tables: Vec<(String, u64)>,
    },
    Rows {
        table: String,
        rows: u64,
    },
    Redis {
        keys: u64,
    },
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TableFigure {
    pub table: String,
    pub rows: u64,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SeedReport {
    pub scale: f64,
    pub seed: u64,
    pub tables: Vec<TableFigure>,
    pub total_rows: u64,
    pub redis_keys: u64,
    pub stale_redis_keys: u64,
    pub mysql_seconds: f64,
    pub redis_seconds: f64,
    pub rows_per_second: f64,
}

/// Seeds the MindPal tables of `mysql` (migrating first) and, when given, the Redis keys.
pub async fn run(
    mysql: &MysqlServer,
    actor: Actor,
    redis: Option<&RedisServer>,
    options: &SeedOptions,
    progress: &(dyn Fn(SeedEvent) + Send + Sync),
    cancel: &CancellationToken,
) -> Result<SeedReport> {
    actor.require(Permission::Seed)?;
    let scale = validate_scale(options.scale)?;
    schema::migrate(mysql, actor).await?;
    if options.reset {
        reset(mysql).await?;
    } else if let Some(table) = first_non_empty_table(mysql).await? {
        return Err(Error::Conflict(format!(
            "table `{table}` already has rows: seed an empty database, or pass --reset to empty the MindPal tables first"
        )));
    }

    // The console's own audit rows stay; seeded operation logs are numbered after them.
    let (audit_rows,): (i64,) = sqlx::query_as("SELECT COALESCE(MAX(id), 0) FROM operation_logs")
        .fetch_one(&mysql.pool)
        .await
        .map_err(|e| mysql.err(e))?;
    let plan =
        Arc::new(rows::Plan::new(scale, options.seed).with_operation_id_offset(audit_rows as u64));
    progress(SeedEvent::Planned {
        tables: Table::ALL
            .iter()
            .map(|t| (t.name().to_owned(), plan.rows(*t)))
            .collect(),
    });

    let started = Instant::now();
    let chunks: Arc<Vec<rows::Chunk>> = Arc::new(plan.chunks());
    let next = Arc::new(AtomicUsize::new(0));
    let progress_ref: &(dyn Fn(SeedEvent) + Send + Sync) = progress;
    let writers = options.writers.clamp(1, 16);
    let results = futures_util::future::join_all((0..writers).map(|_| {
        let plan = plan.clone();
        let chunks = chunks.clone();
        let next = next.clone();
        async move {
            let mut conn = mysql.pool.acquire().await.map_err(|e| mysql.err(e))?;
            sqlx::raw_sql("SET SESSION foreign_key_checks = 0, unique_checks = 0")
                .execute(&mut *conn)
                .await
                .map_err(|e| mysql.err(e))?;
            loop {
                if cancel.is_cancelled() {
                    return Err(Error::Cancelled);
                }
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(chunk) = chunks.get(i) else {
                    return Ok(());
                };
                let plan_for_chunk = plan.clone();
                let chunk_for_gen = chunk.clone();
                let batch =
                    tokio::task::spawn_blocking(move || plan_for_chunk.generate(&chunk_for_gen))
                        .await
                        .expect("row generation does not panic");
                insert(mysql, &mut conn, chunk.table, &batch).await?;
                progress_ref(SeedEvent::Rows {
                    table: chunk.table.name().to_owned(),
                    rows: batch.len() as u64,
                });
            }
        }
    }))
    .await;
    results.into_iter().collect::<Result<Vec<()>>>()?;
    let mysql_seconds = started.elapsed().as_secs_f64();

    // Fresh statistics so EXPLAIN sees the real cardinalities.
    for table in MINDPAL_TABLES {
        let sql = format!("ANALYZE TABLE {}", quote_ident(table));
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(&mysql.pool)
            .await
            .map_err(|e| mysql.err(e))?;
    }

    let redis_started = Instant::now();
    let (redis_keys, stale_redis_keys) = match redis {
        Some(redis) => redis_keys::write(redis, &plan, progress, cancel).await?,
        None => (0, 0),
    };
    let redis_seconds = redis_started.elapsed().as_secs_f64();

    let tables: Vec<TableFigure> = Table::ALL
        .iter()
        .map(|t| TableFigure {
            table: t.name().to_owned(),
            rows: plan.rows(*t),
        })
        .collect();
    let total_rows = tables.iter().map(|t| t.rows).sum();
    audit::record(
        mysql,
        Change {
            action: "seed.load",
            resource_type: "database",
            resource_id: None,
            details: serde_json::json!({
                "scale": scale, "seed": options.seed, "rows": total_rows, "redisKeys": redis_keys,
            }),
        },
    )
    .await?;
    Ok(SeedReport {
        scale,
        seed: options.seed,
        tables,
        total_rows,
        redis_keys,
        stale_redis_keys,
        mysql_seconds,
        redis_seconds,
        rows_per_second: total_rows as f64 / mysql_seconds.max(1e-9),
    })
}

/// The first seeded table that has rows (`operation_logs` holds the console's audit trail
/// and is not counted).
async fn first_non_empty_table(mysql: &MysqlServer) -> Result<Option<&'static str>> {
    for table in Table::ALL
        .iter()
        .filter(|t| **t != Table::OperationLogs)
        .map(|t| t.name())
    {
        let sql = format!("SELECT 1 FROM {} LIMIT 1", quote_ident(table));
        let row: Option<(i32,)> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .fetch_optional(&mysql.pool)
            .await
            .map_err(|e| mysql.err(e))?;
        if row.is_some() {
            return Ok(Some(table));
        }
    }
    Ok(None)
}

async fn reset(mysql: &MysqlServer) -> Result<()> {
    let mut conn = mysql.pool.acquire().await.map_err(|e| mysql.err(e))?;
    sqlx::raw_sql("SET SESSION foreign_key_checks = 0")
        .execute(&mut *conn)
        .await
        .map_err(|e| mysql.err(e))?;
    for table in MINDPAL_TABLES.iter().filter(|t| **t != "operation_logs") {
        let sql = format!("TRUNCATE TABLE {}", quote_ident(table));
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(&mut *conn)
            .await
            .map_err(|e| mysql.err(e))?;
    }
    // Seeded logs go; the console's own audit trail stays.
    sqlx::query("DELETE FROM operation_logs WHERE user_agent IS NULL OR user_agent NOT LIKE 'mindpal-admin/%'")
        .execute(&mut *conn)
        .await
        .map_err(|e| mysql.err(e))?;
    sqlx::raw_sql("SET SESSION foreign_key_checks = 1")
        .execute(&mut *conn)
        .await
        .map_err(|e| mysql.err(e))?;
    drop(conn);
    audit::record(
        mysql,
        Change {
            action: "seed.reset",
            resource_type: "database",
            resource_id: None,
            details: serde_json::json!({ "emptied": MINDPAL_TABLES }),
        },
    )
    .await
}

/// Inserts `rows` into `table` in as few statements as the placeholder limit allows.
async fn insert(
    mysql: &MysqlServer,
    conn: &mut sqlx::MySqlConnection,
    table: Table,
    rows: &[Vec<rows::Val>],
) -> Result<()> {
    let columns = table.columns();
    let per_statement = (MAX_PARAMS_PER_STATEMENT / columns.len()).max(1);
    for slice in rows.chunks(per_statement) {
        let sql = insert_sql(table, slice.len());
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for row in slice {
            for value in row {
                query = value.bind(query);
            }
        }
        query.execute(&mut *conn).await.map_err(|e| mysql.err(e))?;
    }
    Ok(())
}

/// `INSERT INTO t (a, b) VALUES (?, ?), (?, ?) …` from the fixed column list of `table`.
fn insert_sql(table: Table, rows: usize) -> String {
    let columns = table.columns();
    let tuple = format!("({})", vec!["?"; columns.len()].join(","));
    let mut sql = format!(
        "INSERT INTO {} ({}) VALUES ",
        quote_ident(table.name()),
        columns.join(",")
    );
    sql.reserve(rows * (tuple.len() + 1));
    for i in 0..rows {
        if i > 0 {
            sql.push(',');
        }
        sql.push_str(&tuple);
    }
    sql
}

/// Writes the rows a seed would insert as LOAD DATA files (`<table>.tsv`, tab-separated,
/// `\N` for NULL) instead of inserting them: the benchmark loads them with LOAD DATA to
/// compare that path with [`run`]'s parallel inserts on the same rows.
pub fn write_tsv(scale: f64, seed: u64, dir: &std::path::Path) -> Result<Vec<TableFigure>> {
    use std::io::Write;
    let plan = rows::Plan::new(validate_scale(scale)?, seed);
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;
    let mut figures = Vec::new();
    for table in Table::ALL {
        let path = dir.join(format!("{}.tsv", table.name()));
        let file = std::fs::File::create(&path)
            .map_err(|e| Error::io(format!("creating {}", path.display()), e))?;
        let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
        let mut count = 0u64;
        for chunk in plan.chunks().iter().filter(|c| c.table == table) {
            for row in plan.generate(chunk) {
                let line: Vec<String> = row.iter().map(rows::Val::to_tsv).collect();
                writeln!(out, "{}", line.join("\t"))
                    .map_err(|e| Error::io("writing a TSV file", e))?;
                count += 1;
            }
        }
        out.flush()
            .map_err(|e| Error::io("writing a TSV file", e))?;
        figures.push(TableFigure {
            table: table.name().to_owned(),
            rows: count,
        });
    }
    Ok(figures)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scale_must_be_positive_finite_and_bounded() {
        assert!(validate_scale(0.001).is_ok());
        assert!(validate_scale(1.0).is_ok());
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY, 11.0] {
            assert!(validate_scale(bad).is_err(), "{bad} must be refused");
        }
    }

    #[test]
    fn insert_statement_has_one_tuple_per_row() {
        let sql = insert_sql(Table::Users, 3);
        assert_eq!(sql.matches("),(").count(), 2);
        assert!(sql.starts_with("INSERT INTO `users` (id,phone,"));
    }
}
