//! Who is connected and what they run: the processlist, transactions open too long, lock
//! waits, and `KILL` for operators.

use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::mysql::MySqlRow;

use crate::access::{Actor, Permission};
use crate::audit::{self, Change};
use crate::error::{Error, Result};
use crate::mysql::{Flavour, MysqlServer, cell_text};

/// The platform's alarm: a transaction open longer than this is a long one.
pub const LONG_TRANSACTION_SECONDS: u64 = 60;
/// Rows the processlist returns at most; a busier server is filtered first.
pub const PROCESSLIST_LIMIT: u32 = 1000;

/// Filters on the processlist; each `None` or empty filter matches everything.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct SessionFilter {
    pub user: Option<String>,
    /// Host without the port; matches the start of `HOST`.
    pub host: Option<String>,
    pub db: Option<String>,
    /// `Query`, `Sleep`, `Binlog Dump`...
    pub command: Option<String>,
    /// Only sessions in their current state at least this long.
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub min_seconds: Option<u64>,
    /// Leave out sleeping connections.
    pub hide_sleeping: bool,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Session {
    #[serde(with = "crate::wire::id")]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub id: u64,
    pub user: String,
    pub host: String,
    pub db: Option<String>,
    pub command: String,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub seconds: u64,
    pub state: Option<String>,
    /// The running statement, as the server shows it.
    pub statement: Option<String>,
    /// One of the console's own connections.
    pub own: bool,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct LongTransaction {
    pub trx_id: String,
    #[serde(with = "crate::wire::id")]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub thread_id: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub age_seconds: u64,
    pub state: String,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub rows_locked: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub rows_modified: u64,
    pub statement: Option<String>,
    pub user: Option<String>,
    pub host: Option<String>,
    pub db: Option<String>,
    /// `Sleep` means the client opened it and went quiet: the classic forgotten COMMIT.
    pub command: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct LockWait {
    pub waiting_trx: String,
    #[serde(with = "crate::wire::id")]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub waiting_thread: u64,
    pub waiting_statement: Option<String>,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub waiting_seconds: u64,
    pub blocking_trx: String,
    #[serde(with = "crate::wire::id")]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub blocking_thread: u64,
    pub blocking_statement: Option<String>,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub blocking_age_seconds: u64,
    pub table: Option<String>,
    pub index: Option<String>,
    pub mode: Option<String>,
}

/// Everything the Sessions view shows, read in one go.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct SessionsReport {
    pub sessions: Vec<Session>,
    /// More sessions matched than [`PROCESSLIST_LIMIT`].
    pub truncated: bool,
    pub long_transactions: Vec<LongTransaction>,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub long_after_seconds: u64,
    pub lock_waits: Vec<LockWait>,
    /// Where the lock waits came from.
    pub lock_source: String,
}

fn text(row: &MySqlRow, i: usize) -> Option<String> {
    cell_text(row, i)
}

fn number(row: &MySqlRow, i: usize) -> u64 {
    cell_text(row, i)
        .and_then(|v| v.parse::<f64>().ok())
        .map(|v| v.max(0.0) as u64)
        .unwrap_or(0)
}

fn blank_is_none(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

pub async fn processlist(
    server: &MysqlServer,
    filter: &SessionFilter,
) -> Result<(Vec<Session>, bool)> {
    let rows = sqlx::query(
        "SELECT ID, USER, HOST, DB, COMMAND, TIME, STATE, INFO \
         FROM information_schema.PROCESSLIST \
         WHERE (? IS NULL OR USER = ?) \
           AND (? IS NULL OR HOST LIKE CONCAT(REPLACE(REPLACE(?, '%', '\\\\%'), '_', '\\\\_'), '%')) \
           AND (? IS NULL OR DB = ?) \
           AND (? IS NULL OR COMMAND = ?) \
           AND TIME >= ? \
           AND (? = 0 OR COMMAND <> 'Sleep') \
         ORDER BY TIME DESC, ID LIMIT ?",
    )
    .bind(blank_is_none(&filter.user))
    .bind(blank_is_none(&filter.user))
    .bind(blank_is_none(&filter.host))
    .bind(blank_is_none(&filter.host))
    .bind(blank_is_none(&filter.db))
    .bind(blank_is_none(&filter.db))
    .bind(blank_is_none(&filter.command))
    .bind(blank_is_none(&filter.command))
    .bind(filter.min_seconds.unwrap_or(0))
    .bind(i32::from(filter.hide_sleeping))
    .bind(PROCESSLIST_LIMIT + 1)
    .fetch_all(&server.pool)
    .await
    .map_err(|e| server.err(e))?;
    let truncated = rows.len() > PROCESSLIST_LIMIT as usize;
    let sessions = rows
        .iter()
        .take(PROCESSLIST_LIMIT as usize)
        .map(|r| {
            let id = number(r, 0);
            Session {
                id,
                user: text(r, 1).unwrap_or_default(),
                host: text(r, 2).unwrap_or_default(),
                db: text(r, 3),
                command: text(r, 4).unwrap_or_default(),
                seconds: number(r, 5),
                state: text(r, 6).filter(|s| !s.is_empty()),
                statement: text(r, 7),
                // Every connection of the console's pool, not only the one reading this list:
                // the window's other screens query on the others at the same moment.
                own: server.owns_thread(id),
            }
        })
        .collect();
    Ok((sessions, truncated))
}

/// InnoDB transactions open at least `older_than` seconds, oldest first, with their session.
pub async fn long_transactions(
    server: &MysqlServer,
    older_than: u64,
) -> Result<Vec<LongTransaction>> {
    let rows = sqlx::query(
        "SELECT CAST(t.trx_id AS CHAR), t.trx_mysql_thread_id, \
                TIMESTAMPDIFF(SECOND, t.trx_started, NOW()), t.trx_state, \
                t.trx_rows_locked, t.trx_rows_modified, t.trx_query, \
                p.USER, p.HOST, p.DB, p.COMMAND \
         FROM information_schema.INNODB_TRX t \
         LEFT JOIN information_schema.PROCESSLIST p ON p.ID = t.trx_mysql_thread_id \
         WHERE t.trx_started <= NOW() - INTERVAL ? SECOND \
         ORDER BY t.trx_started LIMIT 200",
    )
    .bind(older_than)
    .fetch_all(&server.pool)
    .await
    .map_err(|e| server.err(e))?;
    Ok(rows
        .iter()
        .map(|r| LongTransaction {
            trx_id: text(r, 0).unwrap_or_default(),
            thread_id: number(r, 1),
            age_seconds: number(r, 2),
            state: text(r, 3).unwrap_or_default(),
            rows_locked: number(r, 4),
            rows_modified: number(r, 5),
            statement: text(r, 6),
            user: text(r, 7),
            host: text(r, 8),
            db: text(r, 9),
            command: text(r, 10),
        })
        .collect())
}

const LOCK_WAITS_INFORMATION_SCHEMA: &str = "SELECT CAST(r.trx_id AS CHAR), r.trx_mysql_thread_id, r.trx_query, \
        TIMESTAMPDIFF(SECOND, r.trx_wait_started, NOW()), \
        CAST(b.trx_id AS CHAR), b.trx_mysql_thread_id, b.trx_query, \
        TIMESTAMPDIFF(SECOND, b.trx_started, NOW()), l.lock_table, l.lock_index, l.lock_mode \
 FROM information_schema.INNODB_LOCK_WAITS w \
 JOIN information_schema.INNODB_TRX r ON r.trx_id = w.requesting_trx_id \
 JOIN information_schema.INNODB_TRX b ON b.trx_id = w.blocking_trx_id \
 LEFT JOIN information_schema.INNODB_LOCKS l ON l.lock_id = w.requested_lock_id \
 ORDER BY r.trx_wait_started LIMIT 200";

/// MySQL 8 moved lock waits to performance_schema; INNODB_LOCK_WAITS is gone there.
const LOCK_WAITS_PERFORMANCE_SCHEMA: &str = "SELECT CAST(r.trx_id AS CHAR), r.trx_mysql_thread_id, r.trx_query, \
        TIMESTAMPDIFF(SECOND, r.trx_wait_started, NOW()), \
        CAST(b.trx_id AS CHAR), b.trx_mysql_thread_id, b.trx_query, \
        TIMESTAMPDIFF(SECOND, b.trx_started, NOW()), \
        CONCAT('`', l.OBJECT_SCHEMA, '`.`', l.OBJECT_NAME, '`'), l.INDEX_NAME, l.LOCK_MODE \
 FROM performance_schema.data_lock_waits w \
 JOIN information_schema.INNODB_TRX r ON r.trx_id = w.REQUESTING_ENGINE_TRANSACTION_ID \
 JOIN information_schema.INNODB_TRX b ON b.trx_id = w.BLOCKING_ENGINE_TRANSACTION_ID \
 LEFT JOIN performance_schema.data_locks l ON l.ENGINE_LOCK_ID = w.REQUESTING_ENGINE_LOCK_ID \
 ORDER BY r.trx_wait_started LIMIT 200";

/// Which catalogue holds lock waits on this server, and its query.
pub fn lock_wait_source(server: &MysqlServer) -> (&'static str, &'static str) {
    if server.info.flavour == Flavour::MySql && server.info.at_least((8, 0, 1)) {
        (
            "performance_schema.data_lock_waits",
            LOCK_WAITS_PERFORMANCE_SCHEMA,
        )
    } else {
        (
            "information_schema.INNODB_LOCK_WAITS",
            LOCK_WAITS_INFORMATION_SCHEMA,
        )
    }
}

/// Who waits for a row lock, and who holds it.
pub async fn lock_waits(server: &MysqlServer) -> Result<Vec<LockWait>> {
    let (_, sql) = lock_wait_source(server);
    let rows = sqlx::raw_sql(sql)
        .fetch_all(&server.pool)
        .await
        .map_err(|e| server.err(e))?;
    Ok(rows
        .iter()
        .map(|r| LockWait {
            waiting_trx: text(r, 0).unwrap_or_default(),
            waiting_thread: number(r, 1),
            waiting_statement: text(r, 2),
            waiting_seconds: number(r, 3),
            blocking_trx: text(r, 4).unwrap_or_default(),
            blocking_thread: number(r, 5),
            blocking_statement: text(r, 6),
            blocking_age_seconds: number(r, 7),
            table: text(r, 8),
            index: text(r, 9),
            mode: text(r, 10),
        })
        .collect())
}

/// The processlist, long transactions and lock waits, read concurrently.
pub async fn report(
    server: &MysqlServer,
    actor: Actor,
    filter: &SessionFilter,
    long_after_seconds: u64,
) -> Result<SessionsReport> {
    actor.require(Permission::Monitor)?;
    let (list, long, waits) = tokio::join!(
        processlist(server, filter),
        long_transactions(server, long_after_seconds),
        lock_waits(server)
    );
    let (sessions, truncated) = list?;
    Ok(SessionsReport {
        sessions,
        truncated,
        long_transactions: long?,
        long_after_seconds,
        lock_waits: waits?,
        lock_source: lock_wait_source(server).0.to_owned(),
    })
}

/// `KILL QUERY` stops the statement and keeps the connection; `KILL CONNECTION` drops it
/// (and rolls back its transaction).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum KillMode {
    Query,
    Connection,
}

/// What was killed, as recorded in operation_logs.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Killed {
    #[serde(with = "crate::wire::id")]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub thread_id: u64,
    pub mode: KillMode,
    pub user: String,
    pub host: String,
    pub statement: Option<String>,
}

/// Kills a session's statement or connection and writes it to operation_logs. The server
/// checks the account may too (PROCESS/CONNECTION ADMIN).
pub async fn kill(
    server: &MysqlServer,
    actor: Actor,
    thread_id: u64,
    mode: KillMode,
) -> Result<Killed> {
    actor.require(Permission::Kill)?;
    let mut conn = server.pool.acquire().await.map_err(|e| server.err(e))?;
    if server.owns_thread(thread_id) {
        return Err(Error::Refused(
            "that session is one of the console's own connections".into(),
        ));
    }
    let row =
        sqlx::query("SELECT USER, HOST, INFO FROM information_schema.PROCESSLIST WHERE ID = ?")
            .bind(thread_id)
            .fetch_optional(&mut *conn)
            .await
            .map_err(|e| server.err(e))?
            .ok_or_else(|| Error::NotFound(format!("session {thread_id} has already ended")))?;
    let killed = Killed {
        thread_id,
        mode,
        user: text(&row, 0).unwrap_or_default(),
        host: text(&row, 1).unwrap_or_default(),
        statement: text(&row, 2),
    };
    // A thread id is a number, never text from the user, so it is safe to write inline.
    let sql = match mode {
        KillMode::Query => format!("KILL QUERY {thread_id}"),
        KillMode::Connection => format!("KILL CONNECTION {thread_id}"),
    };
    match sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
        .execute(&mut *conn)
        .await
    {
        Ok(_) => {}
        // ER_NO_SUCH_THREAD: it ended between the look-up and the KILL.
        Err(sqlx::Error::Database(db))
            if db
                .try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>()
                .is_some_and(|e| e.number() == 1094) =>
        {
            return Err(Error::NotFound(format!(
                "session {thread_id} has already ended"
            )));
        }
        Err(e) => return Err(server.err(e)),
    }
    drop(conn);
    let statement: Option<String> = killed
        .statement
        .as_ref()
        .map(|s| s.chars().take(500).collect());
    audit::record(
        server,
        Change {
            action: match mode {
                KillMode::Query => "session.kill_query",
                KillMode::Connection => "session.kill",
            },
            resource_type: "session",
            resource_id: i64::try_from(thread_id).ok(),
            details: json!({ "user": killed.user, "host": killed.host, "statement": statement }),
        },
    )
    .await?;
    Ok(killed)
}
