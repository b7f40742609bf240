//! The one place the console writes down what it changed: `operation_logs`.

pub mod trail;

use serde::Serialize;
use serde_json::Value;
use sqlx::MySqlConnection;

use crate::error::Result;
use crate::mysql::MysqlServer;

/// What the console did, to what.
#[derive(Debug, Clone, Serialize)]
pub struct Change<'a> {
    /// Dotted verb, e.g. `schema.migrate`, `seed.load`, `user.disable`.
    pub action: &'a str,
    pub resource_type: &'a str,
    pub resource_id: Option<i64>,
    pub details: Value,
}

/// The app's user agent, as operation_logs records it.
pub const USER_AGENT: &str = concat!("mindpal-admin/", env!("CARGO_PKG_VERSION"));

/// Who made changes: the operating-system account running the console.
pub fn operator() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .ok()
        .or_else(|| {
            let uid = nix::unistd::geteuid();
            nix::unistd::User::from_uid(uid)
                .ok()
                .flatten()
                .map(|u| u.name)
        })
        .unwrap_or_else(|| "unknown".to_owned())
}

/// Writes one row to `operation_logs`. Call it after every change the console makes.
pub async fn record(server: &MysqlServer, change: Change<'_>) -> Result<()> {
    let mut conn = server.pool.acquire().await.map_err(|e| server.err(e))?;
    record_in(&mut conn, change)
        .await
        .map_err(|e| server.err(e))?;
    Ok(())
}

/// Writes one row to `operation_logs` on `conn` (inside the caller's transaction, so the
/// change and its record commit together). `ip_address` is the console's host as the
/// server sees it. Returns the new row's id.
pub async fn record_in(
    conn: &mut MySqlConnection,
    change: Change<'_>,
) -> std::result::Result<i64, sqlx::Error> {
    let mut details = change.details;
    if let Value::Object(map) = &mut details {
        map.insert("operator".into(), Value::String(operator()));
    }
    let done = sqlx::query(
        "INSERT INTO operation_logs (user_id, action, resource_type, resource_id, details, ip_address, user_agent) \
         VALUES (NULL, ?, ?, ?, ?, SUBSTRING_INDEX(USER(), '@', -1), ?)",
    )
    .bind(change.action)
    .bind(change.resource_type)
    .bind(change.resource_id)
    .bind(details.to_string())
    .bind(USER_AGENT)
    .execute(&mut *conn)
    .await?;
    tracing::info!(
        action = change.action,
        resource = change.resource_type,
        id = change.resource_id,
        "recorded as operation_logs #{}",
        done.last_insert_id()
    );
    Ok(done.last_insert_id() as i64)
}
